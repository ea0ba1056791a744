//! Corpus-scale input and output: standard input, JSON Lines, N-Quads on standard output,
//! parallel extraction in input order; all on the bundled corpus.

use std::fs;
use std::path::Path;

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Quad;

use crate::support::{accord, accord_with_input, root, stderr, stdout};

const WEB: &str = "moscow-2020-web";
const PRINT: &str = "moscow-2020-print";

fn corpus_text(stem: &str) -> String {
    fs::read_to_string(root().join("corpus").join(format!("{stem}.txt"))).unwrap()
}

/// A folder holding `corpus/` with both copies.
fn with_corpus() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("corpus")).unwrap();
    for stem in [WEB, PRINT] {
        fs::write(
            tmp.path().join(format!("corpus/{stem}.txt")),
            corpus_text(stem),
        )
        .unwrap();
    }
    tmp
}

/// Extracts `args` into the store in `dir/out` and returns its documents' N-Quads
/// (`graph.nq`), checking that it succeeded.
fn stored_nquads(dir: &Path, out: &str, args: &[&str]) -> String {
    let o = accord(dir, &[&["extract", "--out", out], args].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    fs::read_to_string(dir.join(out).join("graph.nq")).unwrap()
}

/// N-Quads lines, leaving out the source file of each document (`acc:sourceFile`): a copy read
/// from standard input or a JSON Lines file has the same quads as the file but that one.
fn without_source(nquads: &str) -> Vec<&str> {
    nquads
        .lines()
        .filter(|l| !l.contains("<https://w3id.org/accord/ontology#sourceFile>"))
        .collect()
}

fn parse_nquads(text: &str) -> Vec<Quad> {
    let mut quads: Vec<Quad> = RdfParser::from_format(RdfFormat::NQuads)
        .for_slice(text.as_bytes())
        .collect::<Result<_, _>>()
        .expect("valid N-Quads");
    quads.sort_by_cached_key(|q| q.to_string());
    quads
}

#[test]
fn standard_input_gives_the_quads_of_the_file() {
    let tmp = with_corpus();
    let file = stored_nquads(tmp.path(), "file", &["corpus/moscow-2020-web.txt"]);
    let web = corpus_text(WEB);
    let o = accord_with_input(
        tmp.path(),
        &["extract", "-", "--id", WEB, "--out", "stdin"],
        web.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[1] stdin (moscow-2020-web): 133 paragraphs, 573 mentions, 202 facts"),
        "{}",
        stderr(&o)
    );
    let piped = fs::read_to_string(tmp.path().join("stdin/graph.nq")).unwrap();
    assert_eq!(without_source(&piped), without_source(&file));
    assert!(piped.contains("#sourceFile> \"stdin\""));
    // Without --id the key is `stdin`; the text is decoded as a file is: a GB18030 copy is
    // detected, or read as named, and gives the same facts and entities (only provenance, with
    // its byte offsets, tells the encoding).
    let facts = |nq: &str, key: &str| -> Vec<String> {
        let graph = format!("<https://w3id.org/accord/id/graph/{key}> .");
        nq.lines()
            .filter(|l| l.ends_with(&graph))
            .map(|l| l.replace(key, "KEY"))
            .collect()
    };
    let (gb, _, _) = encoding_rs::GB18030.encode(&web);
    for args in [
        &["extract", "-", "--stdout"][..],
        &["extract", "-", "--stdout", "--encoding", "gb18030"],
    ] {
        let o = accord_with_input(tmp.path(), args, &gb);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(facts(&out, "stdin"), facts(&file, WEB), "{args:?}");
        // GBK when detected, gb18030 when named (encoding_rs's names).
        assert!(out.to_lowercase().contains("#encoding> \"gb"), "{args:?}");
    }
    // Standard input is read once; --id is about it.
    let o = accord(tmp.path(), &["extract", "-", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("only once"), "{}", stderr(&o));
    let o = accord(tmp.path(), &["extract", "--id", "x", "corpus"]);
    assert_eq!(o.status.code(), Some(2));
    let o = accord_with_input(tmp.path(), &["extract", "-", "--stdout"], b" \n");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("skipped stdin: empty file"),
        "{}",
        stderr(&o)
    );
}

/// One JSON Lines record.
fn record(id: &str, text: &str, date: Option<&str>) -> String {
    let mut r = serde_json::json!({ "id": id, "text": text, "source": "ignored" });
    if let Some(d) = date {
        r["date"] = d.into();
    }
    r.to_string()
}

#[test]
fn json_lines_give_the_facts_of_the_files_keyed_by_id() {
    let tmp = with_corpus();
    let files = stored_nquads(tmp.path(), "files", &["corpus"]);
    let lines = [
        record(PRINT, &corpus_text(PRINT), None),
        r#"{"id": "cut", "text": "成员国"#.to_string(),
        String::new(),
        record(WEB, &corpus_text(WEB), Some("2020-11-10")),
        record(WEB, "成员国欢迎联合国大会通过的决议。", None),
        record("dated", &corpus_text(WEB), Some("2021-06-15")),
        r#"{"id": "", "text": "成员国"}"#.to_string(),
        r#"["not", "an", "object"]"#.to_string(),
        r#"{"id": "late", "text": "成员国", "date": "2021-02-30"}"#.to_string(),
    ];
    fs::write(tmp.path().join("Docs.JSONL"), lines.join("\n") + "\n").unwrap();
    let o = accord(tmp.path(), &["extract", "Docs.JSONL", "--out", "jsonl"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for reason in [
        "Docs.JSONL:2: malformed JSON at column 32: EOF while parsing a string",
        "Docs.JSONL:5: its key \"moscow-2020-web\" is already used by Docs.JSONL:4",
        "Docs.JSONL:7: id \"\" is empty",
        "Docs.JSONL:8: not a JSON object",
        "Docs.JSONL:9: date \"2021-02-30\" is not a day (YYYY-MM-DD)",
    ] {
        assert!(
            err.contains(&format!("accord: skipped {reason}\n")),
            "{err}"
        );
    }
    assert!(
        err.contains(
            "[1] Docs.JSONL:1 (moscow-2020-print): 126 paragraphs, 504 mentions, 194 facts"
        ),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("stored 3 documents (3 in the store")
                && l.ends_with("skipped 5 inputs (named above)")),
        "{err}"
    );
    let stored = fs::read_to_string(tmp.path().join("jsonl/graph.nq")).unwrap();
    // The copies keyed by their file stems are the files' documents, quad for quad.
    let dated = "/dated";
    let same: Vec<&str> = without_source(&stored)
        .into_iter()
        .filter(|l| !l.contains(dated))
        .collect();
    assert_eq!(same, without_source(&files));
    assert!(stored.contains("#sourceFile> \"Docs.JSONL:4\""));
    // A record's date is its document's date, whatever its text says.
    let o = accord(
        tmp.path(),
        &[
            "query",
            "--out",
            "jsonl",
            "--format",
            "tsv",
            "SELECT ?d WHERE { <https://w3id.org/accord/id/doc/dated> <http://purl.org/dc/terms/date> ?d }",
        ],
    );
    assert_eq!(
        stdout(&o).lines().nth(1),
        Some("2021-06-15"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn n_quads_on_standard_output_are_the_stored_quads_in_input_order() {
    let tmp = with_corpus();
    let stored = stored_nquads(tmp.path(), "output", &["corpus"]);
    let run = |jobs: &str| {
        let o = accord(
            tmp.path(),
            &[
                "extract", "--stdout", "--quiet", "--jobs", jobs, "--out", "none", "corpus",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stderr(&o), "", "--quiet prints nothing but errors");
        stdout(&o)
    };
    let one = run("1");
    assert_eq!(run("2"), one, "--jobs 1 and --jobs 2 differ");
    assert!(!tmp.path().join("none").exists(), "--stdout made a store");
    assert_eq!(parse_nquads(&one), parse_nquads(&stored));
    // Input order: the print copy (first in name order) comes first, then the web copy.
    let graphs: Vec<&str> = one
        .lines()
        .map(|l| l.rsplit(' ').nth(1).unwrap())
        .filter(|g| !g.ends_with("/provenance>"))
        .collect();
    let first_web = graphs.iter().position(|g| g.contains(WEB)).unwrap();
    assert!(graphs[..first_web].iter().all(|g| g.contains(PRINT)));
    assert!(graphs[first_web..].iter().all(|g| g.contains(WEB)));
    // Without --quiet each document and the total are told on stderr, then the summary.
    let o = accord(tmp.path(), &["extract", "--stdout", "corpus"]);
    assert!(
        stderr(&o).contains(&format!(
            "\nextracted 2 documents ({} quads) to standard output\nsummary: 2 documents, ",
            one.lines().count()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_lines_from_standard_input_in_parallel_keep_their_order() {
    let tmp = with_corpus();
    // Twelve documents, so two threads have work to share.
    let texts = [corpus_text(WEB), corpus_text(PRINT)];
    let lines: Vec<String> = (0..12)
        .map(|i| record(&format!("doc{i:02}"), &texts[i % 2], None))
        .collect();
    let input = lines.join("\n");
    let run = |jobs: &str| {
        let o = accord_with_input(
            tmp.path(),
            &["extract", "-", "--jsonl", "--stdout", "-q", "-j", jobs],
            input.as_bytes(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let one = run("1");
    assert_eq!(run("2"), one);
    let mut order: Vec<&str> = one
        .lines()
        .filter_map(|l| l.split("/id/graph/").nth(1))
        .map(|g| &g[..5])
        .collect();
    order.dedup();
    let expected: Vec<String> = (0..12).map(|i| format!("doc{i:02}")).collect();
    assert_eq!(order, expected);
}

#[test]
fn json_lines_are_read_line_by_line_past_a_bad_line() {
    use accord::read::{JsonLines, ReadError};
    let bytes = [
        "\u{FEFF}{\"id\": \"a\", \"text\": \"成员国欢迎。\"}\r\n".as_bytes(),
        b"\n  \n{\"id\": \"b\", \"text\": \"\xE6\x88\"}\n",
        "{\"id\": \"c\", \"text\": \"成员国。\", \"date\": \"2020-11-10\"}".as_bytes(),
    ]
    .concat();
    let items: Vec<_> = JsonLines::new(&bytes[..], "x.jsonl").collect();
    assert_eq!(items.len(), 3);
    let a = items[0].as_ref().unwrap();
    assert_eq!(
        (a.line, a.text.as_str()),
        (1, r#"{"id": "a", "text": "成员国欢迎。"}"#)
    );
    let doc = a.document().unwrap();
    assert_eq!((doc.key.as_str(), doc.source.as_str()), ("a", "x.jsonl:1"));
    assert_eq!(doc.date, None);
    // Line 4 is cut in the middle of a character, at byte 71 of the stream.
    match &items[1] {
        Err(e @ ReadError::BrokenUtf8 { line: 4, .. }) => {
            assert_eq!(e.to_string(), "x.jsonl:4: invalid UTF-8 at byte 71")
        }
        other => panic!("{other:?}"),
    }
    let c = items[2].as_ref().unwrap().document().unwrap();
    assert_eq!((c.key.as_str(), c.source.as_str()), ("c", "x.jsonl:5"));
    assert_eq!(c.date.map(|d| d.to_string()).as_deref(), Some("2020-11-10"));
}
