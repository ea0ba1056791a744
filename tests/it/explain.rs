//! `accord explain`: the report on the Moscow Declaration and on made-up sentences of the
//! genre, through the library and the command line.

use std::fs;
use std::sync::OnceLock;

use accord::explain::{self, ExplainError, Filter, NearMisses, Report};
use accord::{Extraction, LossKind};

use crate::support::{accord, root, rules, stderr, stdout};

const WEB: &str = "corpus/moscow-2020-web.txt";

fn near_misses() -> &'static NearMisses {
    static MISSES: OnceLock<NearMisses> = OnceLock::new();
    MISSES.get_or_init(|| NearMisses::new(rules()))
}

fn moscow() -> &'static Extraction {
    static X: OnceLock<Extraction> = OnceLock::new();
    X.get_or_init(|| {
        let doc = accord::read::read_file(&root().join(WEB)).unwrap();
        accord::extract_traced(rules(), doc)
    })
}

/// A made-up text, one sentence a line, extracted for `explain`.
fn text(lines: &str) -> Extraction {
    let doc = accord::read::decode("made-up", "made-up.txt", lines.as_bytes()).unwrap();
    accord::extract_traced(rules(), doc)
}

fn report(x: &Extraction, filter: &Filter) -> Report {
    explain::explain(rules(), near_misses(), x, filter).unwrap()
}

/// Every fact of a report as `subject predicate object [rule]`.
fn facts(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .paragraphs
        .iter()
        .flat_map(|p| &p.sentences)
        .flat_map(|s| &s.facts)
        .map(|f| format!("{} {} {} [{}]", f.subject, f.predicate, f.object, f.rule))
        .collect();
    out.sort();
    out
}

#[test]
fn para_shows_the_paragraph_of_that_number_with_its_facts() {
    let cases: &[(usize, &str, &[&str])] = &[
        (
            88,
            "成员国注意到乌兹别克斯坦共和国关于制定",
            &[
                "乌兹别克斯坦 proposed 《上合组织绿色之带纲要》 [proposal-guanyu]",
                "成员国 notes 《上合组织绿色之带纲要》 [stance-notes]",
            ],
        ),
        (
            91,
            "根据2007年签署的《上合组织成员国政府间文化合作协定》",
            &["《上合组织成员国政府间文化合作协定》 signedOn 2007 [signed]"],
        ),
        (
            132,
            "2020年11月10日",
            &["$document adoptedOn 2020-11-10 [signature-date]"],
        ),
    ];
    for &(para, start, expected) in cases {
        let filter = Filter {
            paragraph: Some(para),
            rule: None,
        };
        let r = report(moscow(), &filter);
        assert_eq!(r.paragraphs.len(), 1, "{para}");
        assert_eq!(r.paragraphs[0].number, para);
        assert!(
            r.paragraphs[0].sentences[0].text.starts_with(start),
            "{para}: {}",
            r.paragraphs[0].sentences[0].text
        );
        assert_eq!(facts(&r), expected, "{para}");
        // The text view numbers it the same way.
        let text = explain::render(&r);
        assert!(text.contains(&format!("\n[{para}.1] ")), "{text}");
    }
    let filter = Filter {
        paragraph: Some(999),
        rule: None,
    };
    let err = explain::explain(rules(), near_misses(), moscow(), &filter).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("moscow-2020-web.txt: no paragraph 999 (paragraphs are numbered 1 to 133)"),
        "{err}"
    );
}

#[test]
fn rule_shows_only_what_that_rule_did() {
    let x = moscow();
    for rule in ["proposal-guanyu", "stance-supports", "title", "gazetteer"] {
        let filter = Filter {
            paragraph: None,
            rule: Some(rule.to_string()),
        };
        let r = report(x, &filter);
        let sentences: Vec<_> = r.paragraphs.iter().flat_map(|p| &p.sentences).collect();
        assert!(!sentences.is_empty(), "{rule}");
        let by = |r: &str| r.split('+').any(|part| part == rule);
        for s in &sentences {
            assert!(s.facts.iter().all(|f| f.rule == rule), "{rule}: {s:?}");
            assert!(s.mentions.iter().all(|m| by(&m.rule)), "{rule}: {s:?}");
            assert!(s.near_misses.iter().all(|n| n.rule == rule), "{rule}");
        }
        // Every fact of the rule is there, once.
        let of_rule = x.facts.iter().filter(|f| f.rule == rule).count();
        assert_eq!(facts(&r).len(), of_rule, "{rule}");
    }
    let filter = Filter {
        paragraph: None,
        rule: Some("no-such-rule".into()),
    };
    assert_eq!(
        explain::explain(rules(), near_misses(), x, &filter).unwrap_err(),
        ExplainError::NoRule("no-such-rule".into())
    );
}

#[test]
fn mentions_that_lost_an_overlap_name_the_winner_and_why() {
    let filter = Filter {
        paragraph: Some(88),
        rule: None,
    };
    let r = report(moscow(), &filter);
    let lost: Vec<String> = r.paragraphs[0].sentences[0]
        .lost_mentions
        .iter()
        .map(|l| {
            format!(
                "{} {} -> {} {} ({})",
                l.mention.text, l.mention.kind, l.lost_to.text, l.lost_to.kind, l.by
            )
        })
        .collect();
    assert_eq!(
        lost,
        ["上合组织 Organization -> 《上合组织绿色之带纲要》 Document (longer)"]
    );
    assert!(explain::render(&r).contains(&format!("# {}\n", explain::CONFLICT_POLICY)));
}

#[test]
fn json_holds_the_facts_the_text_view_shows() {
    let dir = root();
    for args in [&["explain", WEB][..], &["explain", WEB, "--para", "88"]] {
        let text = accord(&dir, args);
        assert!(text.status.success(), "{}", stderr(&text));
        let json_args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
        let json = accord(&dir, &json_args);
        assert!(json.status.success(), "{}", stderr(&json));
        let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
        let mut from_json: Vec<String> = value["paragraphs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["sentences"].as_array().unwrap())
            .flat_map(|s| s["facts"].as_array().unwrap())
            .map(|f| {
                format!(
                    "{} {} {}    [{}]",
                    f["subject"].as_str().unwrap(),
                    f["predicate"].as_str().unwrap(),
                    f["object"].as_str().unwrap(),
                    f["rule"].as_str().unwrap()
                )
            })
            .collect();
        let mut from_text: Vec<String> = stdout(&text)
            .lines()
            .filter_map(|l| l.strip_prefix("  fact         "))
            .map(|l| l.rsplit_once("  bytes ").unwrap().0.to_string())
            .collect();
        from_json.sort();
        from_text.sort();
        assert!(!from_text.is_empty(), "{args:?}");
        assert_eq!(from_json, from_text, "{args:?}");
    }
}

#[test]
fn near_misses_name_the_element_a_rule_failed_at() {
    // (sentence, rule, text its first elements match, the element after them)
    let cases = [
        (
            "双方签署了合作文件。",
            "signed-by-group",
            "双方签署了",
            "{object:Document+}",
        ),
        (
            "中方支持哈萨克斯坦担任主席国。",
            "chaired-is",
            "哈萨克斯坦担任",
            "{org:Organization}",
        ),
        (
            "成员国欢迎乌兹别克斯坦共和国关于建立青年权利的想法。",
            "proposal-guanyu",
            "乌兹别克斯坦共和国关于建立青年权利的",
            "(?:倡议|建议|提议)",
        ),
    ];
    for (sentence, rule, matched, failed) in cases {
        let r = report(&text(sentence), &Filter::default());
        let s = &r.paragraphs[0].sentences[0];
        let miss = s
            .near_misses
            .iter()
            .find(|n| n.rule == rule)
            .unwrap_or_else(|| panic!("{sentence}: no near miss of {rule}: {s:?}"));
        assert_eq!(miss.matched_text, matched, "{sentence}");
        assert_eq!(miss.failed_at.as_deref(), Some(failed), "{sentence}");
        assert!(miss.place.contains("rules/relations/"), "{}", miss.place);
    }
    // A rule that fires is no near miss of its sentence.
    let r = report(
        &text("成员国注意到乌兹别克斯坦共和国关于制定《上合组织绿色之带纲要》的倡议。"),
        &Filter::default(),
    );
    let s = &r.paragraphs[0].sentences[0];
    assert!(s.facts.iter().any(|f| f.rule == "proposal-guanyu"), "{s:?}");
    assert!(s.near_misses.iter().all(|n| n.rule != "proposal-guanyu"));
}

#[test]
fn what_gives_no_fact_is_listed_with_its_sentence_and_counted() {
    let cases = [
        ("各方欢迎该公约生效。", LossKind::NoAntecedent, "公约"),
        (
            "2月30日，双方在北京举行会谈。",
            LossKind::UnresolvedDate,
            "2月30日",
        ),
        (
            "中方支持哈萨克斯坦担任主席国。",
            LossKind::DroppedFact,
            "哈萨克斯坦 chaired $organisation [chaired-is-own]: the text names no organisation \
             for $organisation",
        ),
    ];
    for (sentence, kind, what) in cases {
        let r = report(&text(sentence), &Filter::default());
        let s = &r.paragraphs[0].sentences[0];
        let losses: Vec<(LossKind, &str)> =
            s.losses.iter().map(|l| (l.kind, l.what.as_str())).collect();
        assert_eq!(losses, [(kind, what)], "{sentence}");
        assert_eq!(
            r.losses.dropped_facts + r.losses.unresolved_dates + r.losses.no_antecedent,
            1,
            "{sentence}"
        );
    }
    // The Moscow Declaration loses nothing.
    let r = report(moscow(), &Filter::default());
    assert_eq!(r.losses, explain::Counts::default());
}

#[test]
fn extract_counts_what_was_lost_in_its_summary() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("lost.txt"),
        "各方欢迎该公约生效。\n2月30日，双方在北京举行会谈。\n中方支持哈萨克斯坦担任主席国。\n",
    )
    .unwrap();
    let out = accord(tmp.path(), &["extract", "lost.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let (summary, _) = err.lines().last().unwrap().rsplit_once(" in ").unwrap();
    assert_eq!(
        summary,
        "summary: 1 document, 2 facts, 0 skipped, 0 errors, 1 fact dropped, 1 date unresolved, \
         1 anaphor unresolved",
        "{err}"
    );
}

#[test]
fn uncovered_lists_sentences_that_name_known_entities_but_give_no_fact() {
    let list = explain::uncovered(rules(), moscow());
    let known = list
        .iter()
        .find(|u| u.text == "成员国指出，2020年是第二次世界大战胜利75周年和联合国成立75周年。")
        .expect("a sentence naming the UN and giving no fact");
    assert_eq!((known.paragraph, known.sentence), (3, 1));
    assert_eq!(known.names, ["联合国"]);
    // A sentence that gives facts is not listed.
    assert!(
        list.iter()
            .all(|u| !u.text.contains("上合组织绿色之带纲要"))
    );
    // Through the command line, over a folder: both copies of the text (the print copy holds
    // the second half of the declaration), where a statement that sets out a position names
    // its council and the member states but gives no fact.
    let out = accord(&root(), &["explain", "--uncovered", "corpus"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.contains("继续开展该领域合作的共同立场。"))
        .map(|l| l.split_once(' ').unwrap().0.to_string())
        .collect();
    assert_eq!(
        lines,
        ["corpus/moscow-2020-print.txt", "corpus/moscow-2020-web.txt"]
    );
}

#[test]
fn a_match_dated_after_the_text_is_set_aside_as_a_plan() {
    let sentence = "我们支持印度担任2026年金砖国家主席国并举办第十八次会晤。";
    // (the document's date line, whether India's chair is a fact or set aside)
    for (date, kept) in [("2025年7月6日", false), ("2026年3月1日", true)] {
        let x = text(&format!("{sentence}\n{date}"));
        let r = report(&x, &Filter::default());
        let s = &r.paragraphs[0].sentences[0];
        let chair = "印度 chaired 金砖国家";
        assert_eq!(
            facts(&r).iter().any(|f| f.starts_with(chair)),
            kept,
            "{date}"
        );
        let aside: Vec<&str> = s.set_aside.iter().map(|a| a.why.as_str()).collect();
        assert_eq!(
            aside.iter().any(|w| w.contains("`when`")),
            !kept,
            "{date}: {aside:?}"
        );
    }
}
