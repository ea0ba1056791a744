//! The examples and counterexamples written inside the relation rule files.

use accord::eval::{Case, Expected, compare, run_document};
use accord::read::decode;

use crate::support::rules;

fn case_of(text: &str, facts: &[String]) -> Case {
    let facts = facts
        .iter()
        .map(|f| {
            let p: Vec<&str> = f.split_whitespace().collect();
            assert_eq!(
                p.len(),
                3,
                "example fact {f:?} is not `subject predicate object`"
            );
            Expected {
                subject: p[0].into(),
                predicate: p[1].into(),
                object: p[2].into(),
                negative: false,
                line: 0,
            }
        })
        .collect();
    Case {
        text: text.into(),
        line: 0,
        date: None,
        facts,
    }
}

#[test]
fn rule_examples_give_exactly_their_facts() {
    let rules = rules();
    let mut failures = Vec::new();
    let mut checked = 0;
    for r in &rules.relations {
        for ex in &r.examples {
            let doc = decode("example", "example", ex.text.as_bytes()).unwrap();
            let (_, found) = run_document(rules, doc);
            let case = case_of(&ex.text, &ex.facts);
            let o = compare(rules, &found, &[&case], &ex.text);
            checked += 1;
            if !o.wrong.is_empty() || !o.missed.is_empty() {
                let wrong: Vec<String> = o
                    .wrong
                    .iter()
                    .map(|f| format!("{} {} {}", f.subject.display, f.predicate, f.object.display))
                    .collect();
                let missed: Vec<String> = o
                    .missed
                    .iter()
                    .map(|e| format!("{} {} {}", e.subject, e.predicate, e.object))
                    .collect();
                failures.push(format!(
                    "rule {}: {}\n  wrong: {wrong:?}\n  missed: {missed:?}",
                    r.id, ex.text
                ));
            }
        }
    }
    assert!(checked >= 10, "only {checked} examples in the rule files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rule_counterexamples_give_nothing_from_their_rule() {
    let rules = rules();
    let mut failures = Vec::new();
    for r in &rules.relations {
        for text in &r.counterexamples {
            let doc = decode("counterexample", "counterexample", text.as_bytes()).unwrap();
            let (_, found) = run_document(rules, doc);
            let from_rule: Vec<_> = found.iter().filter(|f| f.rule == r.id).collect();
            if !from_rule.is_empty() {
                failures.push(format!(
                    "rule {}: {text}\n  gave {:?}",
                    r.id,
                    from_rule
                        .iter()
                        .map(|f| format!(
                            "{} {} {}",
                            f.subject.display, f.predicate, f.object.display
                        ))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
