//! The generalisation set: sentences of the genre with other states, cities, bodies, dates
//! and phrasings than the Moscow text, in simplified and traditional script
//! (`tests/data/genre/*.facts`), and the committed accuracy report.

use std::fs;

use accord::eval::{self, Outcome};
use accord::read::decode;

use crate::support::{accord, root, rules, stdout};

fn outcome() -> Outcome {
    let mut files: Vec<_> = fs::read_dir(root().join("tests/data/genre"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut total = Outcome::default();
    let mut cases = 0;
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "facts"))
    {
        let parsed =
            eval::parse(&fs::read_to_string(f).unwrap(), &f.display().to_string()).unwrap();
        cases += parsed.cases.len();
        for (_, o) in eval::evaluate(rules(), &parsed, &root()).unwrap() {
            total.merge(o);
        }
    }
    assert!(cases >= 80, "only {cases} cases");
    total
}

#[test]
fn no_trap_and_precision_first() {
    let o = outcome();
    let traps: Vec<String> = o
        .traps
        .iter()
        .map(|e| {
            format!(
                "line {}: ! {} {} {}",
                e.line, e.subject, e.predicate, e.object
            )
        })
        .collect();
    assert!(traps.is_empty(), "traps fallen into:\n{}", traps.join("\n"));
    let t = o.total();
    // A wrong fact is worse than a missing one: precision stays near 1 while recall grows.
    assert!(
        t.precision() >= 0.98,
        "precision {:.3}: {t:?}",
        t.precision()
    );
    assert!(t.recall() >= 0.70, "recall {:.3}: {t:?}", t.recall());
}

#[test]
fn traditional_script_gives_the_same_facts_as_simplified() {
    use ferrous_opencc::{OpenCC, config::BuiltinConfig};
    let s2t = OpenCC::from_config(BuiltinConfig::S2t).unwrap();
    let web = fs::read_to_string(root().join("corpus/moscow-2020-web.txt")).unwrap();
    let traditional = s2t.convert(&web);
    assert_ne!(traditional, web);
    assert!(traditional.contains("上海合作組織"), "not converted");
    let (_, simplified_facts) =
        eval::run_document(rules(), decode("moscow", "s.txt", web.as_bytes()).unwrap());
    let (x, traditional_facts) = eval::run_document(
        rules(),
        decode("moscow", "t.txt", traditional.as_bytes()).unwrap(),
    );
    let key =
        |f: &eval::Found| format!("{} {} {}", f.subject.display, f.predicate, f.object.display);
    let a: Vec<String> = simplified_facts.iter().map(key).collect();
    let b: Vec<String> = traditional_facts.iter().map(key).collect();
    assert_eq!(a, b);
    // Provenance keeps the original (traditional) characters.
    assert!(x.document.text.contains("成員國"));
}

#[test]
fn committed_accuracy_report_is_up_to_date() {
    // The same command as scripts/accuracy-report.
    let args = [
        "eval",
        "tests/data/moscow/expected.facts",
        "tests/data/genre",
        "tests/data/samples",
        "tests/data/heldout",
    ];
    let out = accord(&root(), &args);
    assert!(out.status.success());
    let committed = fs::read_to_string(root().join("accuracy/report.md")).unwrap_or_default();
    assert!(
        stdout(&out) == committed,
        "accuracy/report.md is stale: run scripts/accuracy-report"
    );
}
