//! `accord rules check`: small broken rule folders, each with the exact diagnostics it must
//! give (place, severity, message); the shipped rules check clean; a command that loads rules
//! refuses broken ones with the same messages; the predicates' domains and ranges of the
//! checker agree with `ontology/accord.ttl`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use accord::rules::{Kind, PREDICATES, signature};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{NamedOrBlankNode, Term, Triple};

use crate::support::{accord, root, stderr, stdout};

/// A folder of things to match, so that rules in the cases below have something to refer to.
const BASE: &str = r#"
[[entity]]
id = "chn"
type = "State"
labels = { zh = "中国" }

[[entity]]
id = "beijing"
type = "City"
labels = { zh = "北京", en = "Beijing" }
country = "chn"

[[entity]]
id = "sco"
type = "Organization"
labels = { zh = "上海合作组织" }

[[entity]]
id = "xi"
type = "Person"
labels = { zh = "习近平" }

[[office]]
zh = "总统"

[[pattern]]
id = "meeting"
type = "Event"
regex = '[\p{Han}]{2,8}会议'

[[pattern]]
id = "year"
type = "Date"
regex = '\d{4}年'
"#;

/// Writes `files` (name, text) beside `base.toml` into a folder `rules`, runs
/// `accord --rules rules rules check` and compares what it prints, without the hints, with
/// `expect`; `status` is the exit status it must give.
fn check(files: &[(&str, &str)], status: i32, expect: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("base.toml"), BASE).unwrap();
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    let out = accord(tmp.path(), &["--rules", "rules", "rules", "check"]);
    let printed = stdout(&out);
    let lines: Vec<&str> = printed
        .lines()
        .filter(|l| !l.starts_with("  hint: "))
        .collect();
    assert_eq!(lines.join("\n"), expect.trim(), "{printed}");
    // Every diagnostic has its one-line hint.
    let hints = printed
        .lines()
        .filter(|l| l.starts_with("  hint: "))
        .count();
    assert_eq!(hints, lines.len() - 1, "{printed}");
    assert_eq!(out.status.code(), Some(status), "{printed}");
}

#[test]
fn toml_syntax_errors_each_with_their_place() {
    check(
        &[("a.toml", "[[relation]\nid = \"r\"\n")],
        1,
        r#"
rules/a.toml:1:12: error: unclosed array table, expected `]`
1 error, 0 warnings in 2 files
"#,
    );
}

#[test]
fn unknown_keys_and_wrong_types_of_every_entry() {
    check(
        &[(
            "a.toml",
            r#"
[[relation]]
id = "r1"
pattern = '{s:State}支持{o:Organization}'
facts = ["s supports o"]
example = []

[[relation]]
id = "r2"
pattern = '{s:State}支持{o:Organization}'
facts = "s supports o"

[[entity]]
id = "rus"
type = "State"
labels = { zh = "俄罗斯" }
colour = "red"
"#,
        )],
        1,
        r#"
rules/a.toml:6:1: error: unknown field `example`, expected one of `id`, `pattern`, `facts`, `create`, `exclude`, `reject`, `role`, `replace`, `scope`, `examples`, `counterexamples`
rules/a.toml:11:9: error: invalid type: string "s supports o", expected a sequence
rules/a.toml:17:1: error: unknown field `colour`, expected one of `id`, `type`, `labels`, `aliases`, `wikidata`, `country`
3 errors, 0 warnings in 2 files
"#,
    );
}

#[test]
fn invalid_regexes_with_the_regex_crates_message() {
    check(
        &[(
            "a.toml",
            r#"
[[pattern]]
id = "p"
type = "Event"
regex = '(会议'

[[relation]]
id = "r"
pattern = '{s:State}支持[{o:Organization}'
facts = ["s supports o"]
exclude = '将|(拟'
"#,
        )],
        1,
        r#"
rules/a.toml:5:9: error: invalid regex: unclosed group
rules/a.toml:9:11: error: invalid pattern: unclosed character class
2 errors, 0 warnings in 2 files
"#,
    );
}

#[test]
fn a_list_gap_is_checked_where_it_is_written() {
    // Pasted into every tolerant list slot, a broken gap is named once, at its own line, and
    // the relations that use it are not blamed for it.
    let relation = "[[relation]]\nid = \"r\"\npattern = '{who:Person*}出席{e:Event}'\nfacts = [\"who attended e\"]\n";
    check(
        &[("a.toml", "list_gap = '[^，。'\n"), ("b.toml", relation)],
        1,
        r#"
rules/a.toml:1:12: error: invalid regex: unclosed character class
1 error, 0 warnings in 3 files
"#,
    );
    check(
        &[("a.toml", "list_gap = '[^，。]*'\n"), ("b.toml", relation)],
        1,
        r#"
rules/a.toml:1:12: error: list_gap matches the empty string, so a list would run over any text
1 error, 0 warnings in 3 files
"#,
    );
}

#[test]
fn named_lists_in_excludes_and_rejects_are_checked() {
    check(
        &[(
            "a.toml",
            r#"
[[relation]]
id = "r"
pattern = '{s:State}支持(?P<o>[^，。]{2,9}会议)'
create = { o = "Event" }
facts = ["s supports o"]
exclude = '{no_such_plan}'
reject = { o = '{offices}|{no_such_word}' }
"#,
        )],
        1,
        r#"
rules/a.toml:7:11: error: unknown named list {no_such_plan}
rules/a.toml:8:16: error: unknown named list {no_such_word}
2 errors, 0 warnings in 2 files
"#,
    );
}

#[test]
fn unknown_types_and_predicates() {
    check(
        &[(
            "a.toml",
            r#"
[[entity]]
id = "mars"
type = "Planet"
labels = { zh = "火星" }

[[pattern]]
id = "p"
type = "Meeting"
regex = '峰会'

[[relation]]
id = "r"
pattern = '{s:State}支持{o:Organization}'
facts = ["s suports o"]

[[relation]]
id = "r2"
pattern = '{s:Country}支持{o:Organization}'
facts = ["s supports o"]
"#,
        )],
        1,
        r#"
rules/a.toml:4:8: error: unknown entity type "Planet"
rules/a.toml:9:8: error: unknown type "Meeting"
rules/a.toml:15:10: error: unknown predicate "suports"
rules/a.toml:19:11: error: slot {s:Country}: unknown type "Country"
4 errors, 0 warnings in 2 files
"#,
    );
}

#[test]
fn duplicate_rule_ids_and_entity_ids_within_a_file() {
    check(
        &[
            (
                "a.toml",
                r#"
[[relation]]
id = "backs"
pattern = '{s:State}支持{o:Organization}'
facts = ["s supports o"]

[[entity]]
id = "rus"
type = "State"
labels = { zh = "俄罗斯" }

[[entity]]
id = "rus"
aliases = ["俄国"]
"#,
            ),
            (
                "b.toml",
                r#"
[[pattern]]
id = "backs"
type = "Event"
regex = '峰会'
"#,
            ),
        ],
        1,
        r#"
rules/a.toml:13:6: error: entity "rus" is already defined at rules/a.toml:8:6
rules/b.toml:3:6: error: rule id "backs" is already used at rules/a.toml:3:6
2 errors, 0 warnings in 3 files
"#,
    );
}

#[test]
fn a_surface_bound_to_two_entities_names_both_places() {
    check(
        &[(
            "cities.toml",
            r#"
[[entity]]
id = "peking"
type = "City"
labels = { zh = "北平" }
aliases = ["北京"]
"#,
        )],
        1,
        r#"
rules/cities.toml:6:12: error: surface "北京" already names City beijing at rules/base.toml:10:17
1 error, 0 warnings in 2 files
"#,
    );
}

#[test]
fn a_country_must_be_a_state() {
    check(
        &[(
            "cities.toml",
            r#"
[[entity]]
id = "qingdao"
type = "City"
labels = { zh = "青岛" }
country = "china"

[[entity]]
id = "haidian"
type = "Place"
labels = { zh = "海淀" }
country = "beijing"
"#,
        )],
        1,
        r#"
rules/cities.toml:6:11: error: country "china" of entity "qingdao" names no entity
rules/cities.toml:12:11: error: country "beijing" of entity "haidian" is a City, not a State
2 errors, 0 warnings in 2 files
"#,
    );
}

#[test]
fn a_venue_names_a_city() {
    check(
        &[(
            "venues.toml",
            r#"
[venues]
"人民大会堂" = "beijing"
"钓鱼台国宾馆" = "chn"
"克里姆林宫" = "moscow"
"#,
        )],
        1,
        r#"
rules/venues.toml:4:12: error: venue "钓鱼台国宾馆": no city with id "chn"
rules/venues.toml:5:11: error: venue "克里姆林宫": no city with id "moscow"
2 errors, 0 warnings in 2 files
"#,
    );
}

#[test]
fn slots_roles_and_groups_that_name_nothing() {
    check(
        &[(
            "a.toml",
            r#"
[[relation]]
id = "r"
pattern = '{p:Person}(?P<office>{offices})代表{s:State}'
facts = ["p represents state"]
role = "title"

[[relation]]
id = "r2"
pattern = '{s:State}(?P<verb>支持){o:Organization}{d:Date}'
facts = ["s supports o"]
"#,
        )],
        1,
        r#"
rules/a.toml:4:11: warning: group "office" is captured but nothing reads it
rules/a.toml:4:11: warning: group "s" is captured but nothing reads it
rules/a.toml:5:10: error: slot "state" is not in the pattern
rules/a.toml:6:8: error: role: group "title" is not in the pattern
rules/a.toml:10:11: warning: group "verb" is captured but nothing reads it
rules/a.toml:10:11: warning: group "d" is captured but nothing reads it
2 errors, 4 warnings in 2 files
"#,
    );
}

#[test]
fn subjects_and_objects_against_the_domain_and_range() {
    check(
        &[(
            "a.toml",
            r#"
[[relation]]
id = "held"
pattern = '{s:State}举行{e:Event}'
facts = ["s heldIn e"]

[[relation]]
id = "joined"
pattern = '{m:State|City}加入{o:Organization}'
facts = ["m joined o"]

[[relation]]
id = "dated"
pattern = '{e:Event}于{d:Date}'
facts = ["e dated d", "d dated e"]
"#,
        )],
        1,
        r#"
rules/a.toml:5:10: error: subject "s" is of type State, which heldIn does not take
rules/a.toml:5:10: error: object "e" is of type Event, which heldIn does not take
rules/a.toml:10:10: warning: subject "m" may be of type City, which joined does not take
rules/a.toml:15:23: error: subject "d" is of type Date, which dated does not take
rules/a.toml:15:23: error: object "e" is of type Event, which dated does not take
4 errors, 1 warning in 2 files
"#,
    );
}

#[test]
fn rules_that_can_never_match() {
    check(
        &[(
            "a.toml",
            r#"
[[pattern]]
id = "nothing"
type = "Event"
regex = '会议[^\s\S]'

[[relation]]
id = "lists"
pattern = '{s:State}支持{o:Organization}{no_such_list}'
facts = ["s supports o"]

[[relation]]
id = "topics"
pattern = '{s:State}反对{o:Topic}'
facts = ["s opposes o"]

[[relation]]
id = "maybe-topics"
pattern = '{s:State}反对(?:{o:Topic}|{o2:Organization})'
facts = ["s opposes o", "s opposes o2"]

[[relation]]
id = "filters"
pattern = '{s:State}支持(?P<o>[^，。]{2,9}会议)'
create = { o = "Event" }
facts = ["s supports o"]
exclude = '将|'
reject = { o = '(?:第.次)?' }

[[relation]]
id = "anchored-filters"
pattern = '{s:State}支持(?P<o>[^，。]{2,9}会议)'
create = { o = "Event" }
facts = ["s supports o"]
exclude = '^$'
reject = { o = '^(?:会议)?$' }
"#,
        )],
        1,
        r#"
rules/a.toml:5:9: error: this pattern can never match
rules/a.toml:9:11: error: unknown named list {no_such_list}
rules/a.toml:14:11: warning: this rule can never match: nothing makes mentions of type Topic
rules/a.toml:27:11: error: exclude matches every text, so the rule never gives anything
rules/a.toml:28:16: error: reject matches every text, so the rule never gives anything
4 errors, 1 warning in 2 files
"#,
    );
}

#[test]
fn an_empty_named_list_matches_nothing() {
    let base_without_offices = BASE.replace("[[office]]\nzh = \"总统\"\n", "");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("base.toml"), base_without_offices).unwrap();
    fs::write(
        dir.join("a.toml"),
        "[[relation]]\nid = \"r\"\npattern = '{s:State}{offices}'\nfacts = []\n",
    )
    .unwrap();
    let out = accord(tmp.path(), &["--rules", "rules", "rules", "check"]);
    let printed = stdout(&out);
    assert!(
        printed.contains("rules/a.toml:3:11: warning: named list {offices} is empty"),
        "{printed}"
    );
    assert!(
        printed.contains("rules/a.toml:3:11: error: this pattern can never match"),
        "{printed}"
    );
}

#[test]
fn the_shipped_rules_check_clean() {
    for args in [
        &["rules", "check"][..],
        &["--rules", "rules", "rules", "check"],
    ] {
        let out = accord(&root(), args);
        let printed = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{printed}");
        let summary = printed.lines().last().unwrap_or("");
        assert!(summary.starts_with("0 errors, "), "{printed}");
        assert!(!printed.contains(": error: "), "{printed}");
    }
}

#[test]
fn commands_refuse_broken_rules_with_the_checks_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("broken");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("base.toml"), BASE).unwrap();
    fs::write(
        dir.join("a.toml"),
        "[[relation]]\nid = \"r\"\npattern = '{s:State}支持{o:Organization}'\nfacts = [\"s suports o\"]\n",
    )
    .unwrap();
    fs::write(tmp.path().join("a.txt"), "中国支持上海合作组织。\n").unwrap();
    let message = "broken/a.toml:4:10: error: unknown predicate \"suports\"";
    let check = accord(tmp.path(), &["--rules", "broken", "rules", "check"]);
    assert!(stdout(&check).contains(message), "{}", stdout(&check));
    for args in [
        &["--rules", "broken", "extract", "a.txt"][..],
        &["--rules", "broken", "explain", "a.txt"],
        &["--rules", "broken", "rules", "test"],
    ] {
        let out = accord(tmp.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(err.contains("  hint: predicates are proposed, "), "{err}");
    }
    assert!(!tmp.path().join("output").exists());
}

#[test]
fn warnings_of_ones_own_rules_are_printed_but_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("base.toml"), BASE).unwrap();
    fs::write(
        dir.join("a.toml"),
        "[[relation]]\nid = \"r\"\npattern = '{s:State}(?P<verb>支持){o:Organization}'\nfacts = [\"s supports o\"]\n",
    )
    .unwrap();
    fs::write(tmp.path().join("a.txt"), "中国支持上海合作组织。\n").unwrap();
    let out = accord(tmp.path(), &["--rules", "mine", "extract", "a.txt"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("mine/a.toml:3:11: warning: group \"verb\" is captured but nothing reads it"),
        "{err}"
    );
}

/// The domain and range the checker holds for each predicate are the ontology's (its unions of
/// classes; `acc:Entity` is every entity class, `acc:DateValue` a date).
#[test]
fn predicate_signatures_are_the_ontologys() {
    let path = root().join("ontology/accord.ttl");
    let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(&fs::read(&path).unwrap())
        .map(|q| q.unwrap().into())
        .collect();
    let acc = "https://w3id.org/accord/ontology#";
    let object = |s: &NamedOrBlankNode, p: &str| -> Option<Term> {
        triples
            .iter()
            .find(|t| &t.subject == s && t.predicate.as_str() == p)
            .map(|t| t.object.clone())
    };
    let rdfs = "http://www.w3.org/2000/01/rdf-schema#";
    let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    let classes = |t: Term| -> BTreeSet<Kind> {
        let mut names = Vec::new();
        match &t {
            Term::NamedNode(n) => names.push(n.as_str().to_string()),
            Term::BlankNode(b) => {
                let mut list = object(&b.clone().into(), "http://www.w3.org/2002/07/owl#unionOf");
                while let Some(Term::BlankNode(cell)) = list {
                    let cell: NamedOrBlankNode = cell.into();
                    if let Some(Term::NamedNode(n)) = object(&cell, &format!("{rdf}first")) {
                        names.push(n.as_str().to_string());
                    }
                    list = object(&cell, &format!("{rdf}rest"));
                }
            }
            _ => {}
        }
        names
            .iter()
            .flat_map(|n| match n.strip_prefix(acc) {
                Some("Entity") => Kind::ALL.into_iter().filter(|k| k.is_entity()).collect(),
                Some("DateValue") => vec![Kind::Date],
                Some(local) => Kind::parse(local).into_iter().collect(),
                None => Vec::new(),
            })
            .collect()
    };
    for p in PREDICATES {
        let node: NamedOrBlankNode = oxigraph::model::NamedNode::new(format!("{acc}{p}"))
            .unwrap()
            .into();
        let declared = |which: &str| classes(object(&node, &format!("{rdfs}{which}")).unwrap());
        let (domain, range) = signature(p).unwrap();
        assert_eq!(
            domain.iter().copied().collect::<BTreeSet<_>>(),
            declared("domain"),
            "domain of {p}"
        );
        assert_eq!(
            range.iter().copied().collect::<BTreeSet<_>>(),
            declared("range"),
            "range of {p}"
        );
    }
}

#[test]
fn a_missing_rules_folder_is_no_check_result() {
    let tmp = tempfile::tempdir().unwrap();
    let out = accord(tmp.path(), &["--rules", "nowhere", "rules", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("accord: nowhere: "),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&tmp.path().join("nowhere")).exists());
}

#[test]
fn what_the_gazetteers_entries_must_agree_on() {
    check(
        &[
            (
                "a.toml",
                r#"
[[entity]]
id = "_x"
type = "City"
labels = { zh = "某城" }

[[entity]]
id = "qingdao"
type = "City"
labels = { zh = "青岛", en = "Beijing" }
aliases = ["青岛市", "青岛市"]
country = "chn"

[[entity]]
id = "kaz"
type = "State"
labels = { zh = "哈萨克斯坦" }
wikidata = "Q0"

[[entity]]
id = "rus"
type = "State"
labels = { zh = "俄罗斯" }
country = "chn"
"#,
            ),
            (
                "b.toml",
                r#"
[[entity]]
id = "qingdao"
country = "rus"
"#,
            ),
        ],
        1,
        r#"
rules/a.toml:3:6: error: entity id "_x" must be lower-case ASCII letters, digits and _, starting with a letter
rules/a.toml:11:19: warning: alias "青岛市" is already given at rules/a.toml:11:12
rules/a.toml:18:12: error: wikidata id "Q0" is not of the form Q123
rules/a.toml:24:11: error: a State has no country
rules/b.toml:4:11: error: entity "qingdao" already has the country "chn"
rules/base.toml:10:28: warning: English label "Beijing" is already the label of entity "qingdao" at rules/a.toml:10:28
4 errors, 2 warnings in 3 files
"#,
    );
}

/// Runs `accord --rules rules rules test` over `BASE` and `extra`; true when every example
/// and counterexample holds (`BASE`'s patterns have none, which the summary reports apart).
fn rules_test_passes(extra: &str) -> bool {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("base.toml"), BASE).unwrap();
    fs::write(dir.join("extra.toml"), extra).unwrap();
    let out = accord(tmp.path(), &["--rules", "rules", "rules", "test"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    stdout(&out).trim_end().ends_with(": 0 failed")
}

#[test]
fn mention_classes_stand_for_the_mentions_of_their_types() {
    // Between the person and the verb, no mention (`{mention}`) or no state (`{mention:State}`):
    // 会见中国代表后 holds a state, so the counterexample gives nothing; a class of events only
    // lets it through.
    let rule = |class: &str| {
        format!(
            r#"
[[entity]]
id = "rus"
type = "State"
labels = {{ zh = "俄罗斯" }}

[[relation]]
id = "r"
pattern = '{{s:Person}}[^，。{class}]{{0,8}}支持{{o:State}}'
facts = ["s supports o"]
examples = [{{ text = "习近平表示坚定支持俄罗斯。", facts = ["习近平 supports 俄罗斯"] }}]
counterexamples = ["习近平会见中国代表后支持俄罗斯。"]
"#
        )
    };
    for (class, holds) in [
        ("{mention}", true),
        ("{mention:State}", true),
        ("{mention:Organization|State}", true),
        ("{mention:Event}", false),
        ("", false),
    ] {
        assert_eq!(rules_test_passes(&rule(class)), holds, "{class}");
    }
}

#[test]
fn shipped_rules_name_mentions_by_class_not_by_private_use_character() {
    for file in rule_files(&root().join("rules")) {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let private =
                line.contains("\\x{E0") || line.contains("\\x{F8") || line.contains("\\u{E0");
            let raw = line.chars().any(|c| ('\u{E000}'..='\u{F8FF}').contains(&c));
            assert!(
                !private && !raw,
                "{}:{}: write {{mention}} or {{mention:Type}}: {line}",
                file.display(),
                n + 1
            );
        }
    }
}

/// The `.toml` files under `dir`.
fn rule_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rule_files(&path));
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    out
}
