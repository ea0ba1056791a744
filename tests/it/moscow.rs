//! The Moscow Declaration, both copies, against the facts a person wrote down while reading it
//! (`tests/data/moscow/expected.facts`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use accord::eval::{self, Found, run_document};
use accord::read::read_file;

use crate::support::{root, rules, trap_lines};

fn expected() -> eval::FactsFile {
    let path = root().join("tests/data/moscow/expected.facts");
    eval::parse(&fs::read_to_string(&path).unwrap(), "expected.facts").unwrap()
}

/// Facts the extractor does not find yet, one per line; see the FIXME in the file.
fn known_missed() -> BTreeSet<String> {
    let text = fs::read_to_string(root().join("tests/data/moscow/missed.facts")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// One copy of the declaration (`web`, `print`), extracted.
fn extract_copy(copy: &str) -> accord::Extraction {
    let path = root().join(format!("corpus/moscow-2020-{copy}.txt"));
    accord::extract(rules(), read_file(&path).unwrap())
}

fn outcomes() -> Vec<(String, eval::Outcome)> {
    eval::evaluate(rules(), &expected(), &root()).unwrap()
}

#[test]
fn no_wrong_fact_and_no_trap_in_either_copy() {
    for (doc, o) in outcomes() {
        let wrong: Vec<String> = o
            .wrong
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}  <- {}",
                    f.subject.display, f.predicate, f.object.display, f.sentence
                )
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{doc}: facts no reader expects:\n{}",
            wrong.join("\n")
        );
        let traps = trap_lines(&o);
        assert!(traps.is_empty(), "{doc}: traps fallen into:\n{traps}");
    }
}

#[test]
fn missed_facts_are_exactly_the_known_gaps() {
    let known = known_missed();
    for (doc, o) in outcomes() {
        let missed: BTreeSet<String> = o
            .missed
            .iter()
            .map(|e| format!("{} {} {}", e.subject, e.predicate, e.object))
            .collect();
        let new: Vec<&String> = missed.difference(&known).collect();
        assert!(
            new.is_empty(),
            "{doc}: expected facts no longer found:\n{}",
            new.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        if doc.ends_with("web.txt") {
            let fixed: Vec<&String> = known.difference(&missed).collect();
            assert!(
                fixed.is_empty(),
                "found now, remove from missed.facts:\n{}",
                fixed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

#[test]
fn recall_and_precision_on_the_web_copy() {
    let (_, o) = outcomes()
        .into_iter()
        .find(|(d, _)| d.ends_with("web.txt"))
        .unwrap();
    let t = o.total();
    assert!(t.correct >= 160, "{t:?}");
    assert_eq!(t.wrong, 0);
}

fn by_sentence(found: &[Found]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in found {
        out.entry(f.sentence.clone()).or_default().insert(format!(
            "{} {} {}",
            f.subject.display, f.predicate, f.object.display
        ));
    }
    out
}

#[test]
fn both_layouts_give_the_same_facts_sentence_by_sentence() {
    let rules = rules();
    let (_, web) = run_document(
        rules,
        read_file(&root().join("corpus/moscow-2020-web.txt")).unwrap(),
    );
    let (print_x, print) = run_document(
        rules,
        read_file(&root().join("corpus/moscow-2020-print.txt")).unwrap(),
    );
    let web = by_sentence(&web);
    let print = by_sentence(&print);
    let mut compared = 0;
    for (sentence, facts) in &print {
        let Some(same) = web.get(sentence) else {
            panic!("print sentence not in the web copy: {sentence}")
        };
        assert_eq!(facts, same, "{sentence}");
        compared += 1;
    }
    // Every print sentence that gives facts was compared; the print copy has the second half.
    assert!(compared >= 55, "only {compared} sentences compared");
    // The signature block gives the same eight persons from the print layout.
    let signatures = print_x
        .segmented
        .paragraphs
        .iter()
        .filter(|p| p.kind == accord::segment::ParagraphKind::Signature)
        .count();
    assert_eq!(signatures, 8);
}

#[test]
fn document_metadata() {
    let x = extract_copy("print");
    assert_eq!(x.title, "上海合作组织成员国元首理事会莫斯科宣言");
    assert_eq!(x.date.unwrap().to_string(), "2020-11-10");
    let sections: BTreeSet<&str> = x
        .segmented
        .paragraphs
        .iter()
        .filter_map(|p| p.section.as_deref())
        .collect();
    assert_eq!(
        sections,
        BTreeSet::from(["人文合作", "司法合作", "国际交往", "经贸合作", "议会合作"])
    );
    let web = extract_copy("web");
    assert_eq!(web.title, "moscow-2020-web");
    assert_eq!(web.date.unwrap().to_string(), "2020-11-10");
    let first = &web.segmented.paragraphs[0];
    assert_eq!(first.section, None);
    let security = web
        .segmented
        .paragraphs
        .iter()
        .find(|p| p.text.starts_with("为此，成员国欢迎第73届"))
        .unwrap();
    assert_eq!(security.section.as_deref(), Some("安全合作"));
}

#[test]
fn provenance_points_into_the_original_bytes() {
    let rules = rules();
    let path = root().join("corpus/moscow-2020-print.txt");
    let bytes = fs::read(&path).unwrap();
    let x = accord::extract(rules, read_file(&path).unwrap());
    let g = x.graph(rules);
    assert!(!g.sentences.is_empty());
    for s in &g.sentences {
        let original =
            String::from_utf8(bytes[s.bytes.0 as usize..s.bytes.1 as usize].to_vec()).unwrap();
        let squeezed: String = original.chars().filter(|c| !c.is_whitespace()).collect();
        // The original bytes hold the sentence as printed: wrapped, with spaced digits and
        // ASCII dashes; closing them up gives the sentence accord reports.
        let repaired = squeezed.replace(['-', '－'], "—");
        let reported: String = s.text.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(repaired, reported, "bytes {:?}", s.bytes);
    }
}

#[test]
fn in_text_abbreviations_name_the_entity_they_follow() {
    let rules = rules();
    let x = extract_copy("web");
    let shorts: BTreeMap<String, String> = x
        .abbreviations
        .iter()
        .map(|a| {
            let target = match &a.target {
                accord::recognize::Target::Entity(i) => rules.entities[*i].key.clone(),
                accord::recognize::Target::Text(label) => label.clone(),
                other => format!("{other:?}"),
            };
            (a.short.clone(), target)
        })
        .collect();
    assert_eq!(shorts.get("本组织").map(String::as_str), Some("sco"));
    assert_eq!(
        shorts.get("中导条约").map(String::as_str),
        Some("《美苏关于消除中程和中短程导弹条约》")
    );
    // 上合组织 is a gazetteer alias already: no document-level alias for it.
    assert!(!shorts.contains_key("上合组织"));
    // Later uses of 本组织 are mentions of the SCO.
    let uses = x
        .mentions
        .iter()
        .flatten()
        .filter(|m| m.rule == "abbreviation")
        .count();
    assert!(uses >= 5, "{uses}");
    let g = x.graph(rules);
    let aliases: Vec<&str> = g.aliases.iter().map(|(_, s)| s.as_str()).collect();
    assert!(aliases.contains(&"中导条约"), "{aliases:?}");
}

#[test]
fn a_proposal_that_sets_something_up_is_also_named_by_it() {
    let rules = rules();
    let x = extract_copy("web");
    let g = x.graph(rules);
    let alias_of = |label: &str| -> Vec<String> {
        g.aliases
            .iter()
            .filter(|(i, _)| {
                matches!(&g.graph[*i], accord::graph::Entity::Found { label: l, .. } if l == label)
            })
            .map(|(_, a)| a.clone())
            .collect()
    };
    // (proposal as the declaration writes it, the other names the graph gives it)
    let cases: [(&str, &[&str]); 4] = [
        ("建立打击经济犯罪会议机制", &["打击经济犯罪会议机制"]),
        ("建立减贫专门工作组", &["减贫专门工作组"]),
        ("建立创新创业工作组", &["创新创业工作组"]),
        // Set up in a place: the proposal is there, the thing it would set up is not yet.
        ("在杨凌设立上合组织农业技术交流培训示范基地", &[]),
    ];
    for (label, expected) in cases {
        assert_eq!(alias_of(label), expected, "{label}");
    }
}
