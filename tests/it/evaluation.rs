//! `accord eval` and `.facts` files: cases it cannot use are reported, bad files are errors
//! with their place, document paths are read from the `.facts` file's folder.

use std::fs;
use std::path::Path;

use accord::eval::{self, FactsError};

use crate::support::{accord, root, rules, stderr, stdout};

/// `set/texts/web.txt` (the whole web copy) and `set/texts/part.txt` (its first paragraphs).
fn documents_in(dir: &Path) {
    let texts = dir.join("set/texts");
    fs::create_dir_all(&texts).unwrap();
    let web = fs::read_to_string(root().join("corpus/moscow-2020-web.txt")).unwrap();
    let part: String = web.lines().take(5).collect::<Vec<_>>().join("\n");
    fs::write(texts.join("web.txt"), &web).unwrap();
    fs::write(texts.join("part.txt"), part).unwrap();
}

const CASES: &str = "% document texts/web.txt
% document texts/part.txt
# line 3
@ 坚定支持联合国作为综合性多边组织
成员国 supports 联合国

@ 成员国欢迎第七十三届联合国大会通过的决议
成员国 welcomes 联合国大会
! 成员国 welcomes 联合国

@ 成员国欢迎第73届联合国大会通过的《实现无恐怖主义世界行为准则》
成员国 welcomes 实现无恐怖主义世界行为准则
";

#[test]
fn cases_not_in_the_text_are_counted_listed_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    documents_in(tmp.path());
    fs::write(tmp.path().join("set/cases.facts"), CASES).unwrap();
    // Run from the folder above: the document paths are the .facts file's, not the working
    // folder's.
    let out = accord(tmp.path(), &["eval", "set/cases.facts"]);
    let (report, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The mistyped case (line 7) is in neither document: named once on stderr.
    assert_eq!(err.matches("cases.facts:").count(), 1, "{err}");
    assert!(
        err.contains("set/cases.facts:7: case text found in no document: 成员国欢迎第七十三届"),
        "{err}"
    );
    assert!(
        err.contains("1 cases found in none of their documents"),
        "{err}"
    );
    // The report lists it under each document, with what it would have counted, and the
    // case only the whole text holds (line 11) under the part.
    let web = section(&report, "set/cases.facts on texts/web.txt");
    assert!(web.contains("cases not found in the text: 1\n"), "{web}");
    assert!(
        web.contains(
            "  line 7: 1 facts and 1 traps not counted: 成员国欢迎第七十三届联合国大会通过的决议\n"
        ),
        "{web}"
    );
    let part = section(&report, "set/cases.facts on texts/part.txt");
    assert!(part.contains("cases not found in the text: 2\n"), "{part}");
    assert!(
        part.contains("  line 11: 1 facts and 0 traps not counted"),
        "{part}"
    );
    // The summary has a column of them.
    let summary = report
        .lines()
        .find(|l| l.starts_with("set/cases.facts on texts/part.txt"));
    assert!(summary.unwrap().ends_with(" 2"), "{report}");
}

/// The part of a report under `## title`.
fn section<'a>(report: &'a str, title: &str) -> &'a str {
    let start = report
        .find(&format!("## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}:\n{report}"));
    let rest = &report[start + 3..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn document_paths_are_read_from_the_facts_folder_or_a_folder_above() {
    let tmp = tempfile::tempdir().unwrap();
    documents_in(tmp.path());
    let sub = tmp.path().join("set/sub");
    fs::create_dir_all(&sub).unwrap();
    fs::write(
        sub.join("beside.facts"),
        CASES.replace("texts/", "../texts/"),
    )
    .unwrap();
    fs::write(sub.join("above.facts"), CASES).unwrap();
    // From the .facts folder itself and from an unrelated working folder: the same report.
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let here = accord(&sub, &["eval", "beside.facts", "above.facts"]);
    let there = accord(
        &elsewhere,
        &["eval", "../set/sub/beside.facts", "../set/sub/above.facts"],
    );
    for out in [&here, &there] {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
        assert_eq!(
            stdout(out)
                .matches("cases not found in the text: 1\n")
                .count(),
            2
        );
    }
    // A path found nowhere is an error naming the .facts file and line, and where it looked.
    fs::write(
        sub.join("lost.facts"),
        "\n% document texts/gone.txt\n@ 成员国\n",
    )
    .unwrap();
    let lost = accord(&elsewhere, &["eval", "../set/sub/lost.facts"]);
    assert_eq!(lost.status.code(), Some(2));
    let err = stderr(&lost);
    assert!(
        err.starts_with(
            "accord: ../set/sub/lost.facts:2: document \"texts/gone.txt\" not found in "
        ) && err.contains("set/sub or a folder above it"),
        "{err}"
    );
    // The library resolves the same way from the folder it is given.
    let parsed = eval::parse(CASES, "cases.facts").unwrap();
    let outcomes = eval::evaluate(rules(), &parsed, &sub).unwrap();
    assert_eq!(outcomes.len(), 2);
}

#[test]
fn empty_and_malformed_facts_files_are_errors_with_their_place() {
    for (text, message) in [
        ("", "x.facts: no case (`@ text` line) in this file"),
        (
            "# only a comment\n\n",
            "x.facts: no case (`@ text` line) in this file",
        ),
        (
            "% document a.txt\n",
            "x.facts: no case (`@ text` line) in this file",
        ),
        (
            "@ 成员国\n成员国 supports\n",
            "x.facts:2: expected `subject predicate object`, found \"成员国 supports\"",
        ),
        (
            "@ 成员国\n成员国 backs 联合国\n",
            "x.facts:2: unknown predicate \"backs\"",
        ),
        (
            "成员国 supports 联合国\n",
            "x.facts:1: fact before any case (`@ text`)",
        ),
        ("@\n", "x.facts:1: empty case: write its text after `@`"),
        (
            "% documents a.txt\n@ 成员国\n",
            "x.facts:1: expected `% document PATH`, found \"% documents a.txt\"",
        ),
        (
            "@ 成员国\ndate: 2022-13-01\n",
            "x.facts:2: bad date \"2022-13-01\": write YYYY-MM-DD",
        ),
    ] {
        let e = eval::parse(text, "x.facts").unwrap_err();
        assert_eq!(e.to_string(), message, "{text:?}");
    }
    let e = eval::parse("", "x.facts").unwrap_err();
    assert!(matches!(e, FactsError::NoCase { .. }));
    // A byte order mark is not part of the first line.
    assert!(eval::parse("\u{feff}@ 成员国\n", "x.facts").is_ok());
    // On the command line: exit status 2 and the message, not precision and recall 1.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("empty.facts"), "").unwrap();
    let out = accord(tmp.path(), &["eval", "empty.facts"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "accord: empty.facts: no case (`@ text` line) in this file\n"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn facts_files_of_several_folders_get_a_total() {
    let out = accord(
        &root(),
        &[
            "eval",
            "tests/data/moscow/expected.facts",
            "tests/data/genre",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);

    let rows: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("set "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let files: Vec<&&str> = rows
        .iter()
        .filter(|r| r.starts_with("tests/data/") && !r.contains("/ (all"))
        .collect();
    assert_eq!(files.len(), 12, "{report}");
    let mut sum = [0; 3];
    for r in &files {
        for (s, n) in sum.iter_mut().zip(row_counts(r)) {
            *s += n;
        }
    }
    let total = rows
        .iter()
        .find(|r| r.starts_with("total (all 12)"))
        .expect("a total row");
    assert_eq!(row_counts(total), sum, "{report}");
    // One folder alone needs no total beside its own row.
    let one = stdout(&accord(&root(), &["eval", "tests/data/genre"]));
    assert!(!one.contains("\ntotal "), "{one}");
}

/// The correct, wrong and missed counts of the one `.facts` file `text` as `accord eval`
/// reports them.
fn counts_of(text: &str) -> [usize; 3] {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("one.facts"), text).unwrap();
    let out = accord(tmp.path(), &["eval", "one.facts"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    let row = report
        .lines()
        .find(|l| l.starts_with("one.facts"))
        .unwrap_or_else(|| panic!("{report}"));
    row_counts(row)
}

/// Correct, wrong and missed of a row of the report (its set's name may hold spaces: read from
/// the end, past precision, recall, traps, typed and absent).
fn row_counts(row: &str) -> [usize; 3] {
    let numbers: Vec<usize> = row
        .split_whitespace()
        .rev()
        .skip(5)
        .take(3)
        .map(|n| n.parse().unwrap())
        .collect();
    [numbers[2], numbers[1], numbers[0]]
}

#[test]
fn a_name_opening_with_its_year_names_the_event_dated_in_that_year() {
    let case = |name: &str| {
        format!(
            "@ 2024年中非合作论坛峰会4日至6日在北京举行。\ndate: 2024-09-05\n{name} heldIn 北京\n\
             {name} startDate 2024-09-04\n{name} endDate 2024-09-06\n"
        )
    };
    for (name, counts) in [
        ("2024年中非合作论坛峰会", [3, 0, 0]),
        ("中非合作论坛峰会", [3, 0, 0]),
        ("中非合作论坛峰会@2024-09-04", [3, 0, 0]),
        // Another year names another meeting of that name.
        ("2023年中非合作论坛峰会", [0, 3, 3]),
    ] {
        assert_eq!(counts_of(&case(name)), counts, "{name}");
    }
}

#[test]
fn a_person_written_with_initials_is_the_person_of_that_name() {
    let case = |name: &str| {
        format!(
            "@ 二、双方将深化经贸合作。\n+ 中华人民共和国主席 习近平\n+ 塔吉克斯坦共和国总统 埃·拉赫蒙\n\
             date: 2024-07-05\n习近平 represents 中国\n$document signedBy 习近平\n\
             $document adoptedOn 2024-07-05\n\
             成员国 hasMember 中国\n成员国 hasMember 塔吉克斯坦\n\
             {name} represents 塔吉克斯坦\n$document signedBy {name}\n"
        )
    };
    for (name, counts) in [
        ("拉赫蒙", [7, 0, 0]),
        ("埃·拉赫蒙", [7, 0, 0]),
        // A long given name is no initial: another person.
        ("伊莫利·拉赫蒙", [5, 2, 2]),
    ] {
        assert_eq!(counts_of(&case(name)), counts, "{name}");
    }
}
