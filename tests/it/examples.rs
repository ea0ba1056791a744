//! The examples and counterexamples written inside the relation rule files.

use std::fs;

use accord::eval::test_rules;

use crate::support::{accord, root, rules, stdout};

#[test]
fn rule_examples_and_counterexamples_hold() {
    let report = test_rules(rules()).unwrap();
    assert!(report.examples >= 10, "only {} examples", report.examples);
    assert!(report.counterexamples >= 10);
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| {
            format!(
                "{}: rule {}: {} {}\n  wrong: {:?}\n  missed: {:?}",
                f.place, f.rule, f.kind, f.text, f.wrong, f.missed
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every relation and pattern rule shows what it is for, and is held to it.
    assert!(
        report.without_example.is_empty(),
        "rules without an example: {:?}",
        report.without_example
    );
}

/// `accord rules test` names a failing rule by its file and line, says what the text gave and
/// what it did not, and exits 1; on the shipped rules it passes.
#[test]
fn rules_test_names_each_failing_rule_where_it_is_written() {
    let ok = accord(&root(), &["rules", "test"]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).ends_with("0 failed\n"), "{}", stdout(&ok));

    let out = rules_test_with("relations/4-stances.toml", |text| {
        text.replacen(
            r#"facts = ["中国 supports 联合国", "俄罗斯 supports 联合国"]"#,
            r#"facts = ["中国 opposes 联合国", "俄罗斯 supports 联合国"]"#,
            1,
        )
    });
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    let line = printed
        .lines()
        .find(|l| l.contains("rule stance-central-role: example fails"))
        .unwrap_or_else(|| panic!("{printed}"));
    assert!(line.contains("relations/4-stances.toml:"), "{line}");
    assert!(
        printed.contains("not listed: 中国 supports 联合国"),
        "{printed}"
    );
    assert!(
        printed.contains("missing: 中国 opposes 联合国"),
        "{printed}"
    );
    assert!(printed.ends_with("1 failed\n"), "{printed}");
}

/// A pattern's examples are held the same way: a mention the text gives that the example does
/// not list, one it lists that the text does not give, and a counterexample that gives one are
/// each named with the pattern's place.
#[test]
fn rules_test_holds_the_examples_of_patterns() {
    let out = rules_test_with("patterns/names.toml", |text| {
        text.replacen(
            r#"mentions = ["《莫斯科宣言》"]"#,
            r#"mentions = ["《莫斯科宣言》", "《杜尚别宣言》"]"#,
            1,
        )
        .replacen(
            r#"counterexamples = ["双方签署了《》。"]"#,
            r#"counterexamples = ["双方签署了《》。", "各方欢迎《上海合作组织宪章》。"]"#,
            1,
        )
    });
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    for expected in [
        "patterns/names.toml:5: rule title: example fails: 会议通过了《莫斯科宣言》。\n  missing: 《杜尚别宣言》\n",
        "patterns/names.toml:5: rule title: counterexample fails: 各方欢迎《上海合作组织宪章》。\n  gave: 《上海合作组织宪章》\n",
    ] {
        assert!(printed.contains(expected), "{expected}\nnot in\n{printed}");
    }
    assert!(printed.ends_with("2 failed\n"), "{printed}");
}

/// A rule with no example fails `rules test`, named where it is written.
#[test]
fn rules_test_names_a_rule_with_no_example() {
    let line =
        r#"examples = [{ text = "会议通过了《莫斯科宣言》。", mentions = ["《莫斯科宣言》"] }]"#;
    let out = rules_test_with("patterns/names.toml", |text| {
        text.replacen(&format!("{line}\n"), "", 1)
    });
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    assert!(
        printed.contains("patterns/names.toml:5: rule title has no example\n"),
        "{printed}"
    );
    assert!(
        printed.contains("(1 without an example): 0 failed"),
        "{printed}"
    );
}

/// `accord rules test` over a copy of the shipped rules in which `file` (under `rules/`) is
/// changed by `edit`, which must change it.
fn rules_test_with(file: &str, edit: impl FnOnce(&str) -> String) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("rules"), dir.path());
    let path = dir.path().join(file);
    let text = fs::read_to_string(&path).unwrap();
    let changed = edit(&text);
    assert_ne!(text, changed, "what the test changes is in {file}");
    fs::write(&path, changed).unwrap();
    accord(
        &root(),
        &["--rules", dir.path().to_str().unwrap(), "rules", "test"],
    )
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A `replace` rule folds its whole match into one mention unless a `span` group narrows it. A
/// match that may run across clauses (`[^。；]*?`, a gap that allows `，`) would then swallow
/// the member lists, persons and meetings of the clauses between, which no later rule sees.
#[test]
fn replacing_rules_that_cross_clauses_narrow_what_they_fold() {
    let gap = regex::Regex::new(r"\[\^([^\]]*)\](\*|\{0,(\d+)\})").unwrap();
    let rules = rules();
    let offenders: Vec<&str> = rules
        .relations
        .iter()
        .filter(|r| r.replace.is_some() && !r.regex.as_str().contains("(?P<span>"))
        .filter(|r| {
            gap.captures_iter(r.regex.as_str()).any(|c| {
                let crosses_commas = !c[1].contains('，');
                let long = c
                    .get(3)
                    .is_none_or(|n| n.as_str().parse::<u32>().unwrap_or(0) >= 20);
                crosses_commas && long
            })
        })
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        offenders.is_empty(),
        "replacing rules that may fold several clauses without a `span` group: {offenders:?}"
    );
}

#[test]
fn rules_test_lists_a_rule_that_matches_none_of_its_own_examples() {
    // A second rule whose example holds only by the first one: listed, and no failure.
    let copy = r#"
[[relation]]
id = "stance-condemns-before-copy"
pattern = '对{object:Event}(?:予以|表示)(?:最)?(?:强烈|严厉)?谴责并声讨'
facts = ["$topic condemns object"]
examples = [{ text = "成员国对喀布尔机场恐怖袭击事件予以强烈谴责。", facts = ["成员国 condemns 喀布尔机场恐怖袭击事件"] }]
"#;
    let out = rules_test_with("relations/4-stances.toml", |text| format!("{text}{copy}"));
    let printed = stdout(&out);
    assert!(
        printed.contains(": rule stance-condemns-before-copy matches none of its own examples\n"),
        "{printed}"
    );
    assert!(
        !printed.contains("rule stance-condemns-before matches none"),
        "{printed}"
    );
    assert!(printed.trim_end().ends_with(": 0 failed"), "{printed}");
}

/// Every shipped rule does something somewhere: a relation matches (`fired`) or a pattern wins a
/// mention in one of its own examples or in a text of the test sets (the corpus, the
/// generalisation set, the samples, the development set). A rule that does neither is dead
/// weight or broken by a change elsewhere.
#[test]
fn every_rule_fires_on_an_example_or_a_test_text() {
    use std::collections::BTreeSet;

    use crate::support::{case_documents, facts_files};

    let rules = rules();
    let mut fired: BTreeSet<String> = BTreeSet::new();
    let mut read = |doc: accord::read::Document| {
        let x = accord::extract_traced(rules, doc);
        fired.extend(x.trace.iter().flat_map(|s| s.fired.iter().cloned()));
        // A mention joined from several (`gazetteer+meeting-of-owner`) names each rule.
        fired.extend(
            x.mentions
                .iter()
                .flatten()
                .flat_map(|m| m.rule.split('+').map(String::from)),
        );
    };
    let texts = rules
        .relations
        .iter()
        .flat_map(|r| r.examples.iter().map(|e| e.text.clone()))
        .chain(
            rules
                .patterns
                .iter()
                .flat_map(|p| p.examples.iter().map(|e| e.text.clone())),
        );
    for (i, text) in texts.enumerate() {
        read(accord::read::decode(&format!("example-{i}"), "example", text.as_bytes()).unwrap());
    }
    for name in ["moscow-2020-web.txt", "moscow-2020-print.txt"] {
        read(accord::read::read_file(&root().join("corpus").join(name)).unwrap());
    }
    for set in ["genre", "samples", "dev"] {
        for file in facts_files(&root().join("tests/data").join(set)) {
            case_documents(&file).into_iter().for_each(&mut read);
        }
    }
    let never: Vec<&str> = rules
        .relations
        .iter()
        .map(|r| r.id.as_str())
        .chain(rules.patterns.iter().map(|p| p.id.as_str()))
        .filter(|id| !fired.contains(*id))
        .collect();
    assert!(
        never.is_empty(),
        "rules that fire on no example and no test text: {never:?}"
    );
}
