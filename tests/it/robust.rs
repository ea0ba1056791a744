//! Bad input never costs good input: properties over the library's extraction (no panic,
//! offsets inside the original text, provenance spans holding their evidence, any wrap of the
//! web copy giving its facts), a fuzz target with its regressions, and the command line on a
//! folder of every kind of bad input.
//!
//! Case counts are small by default so the suite stays quick in a debug `cargo test`; longer
//! runs (the counts are read at run time):
//!
//!     PROPTEST_CASES=2000 cargo test --release --test it robust::
//!     BOLERO_RANDOM_TEST_TIME_MS=1800000 cargo test --release --test it robust::fuzz_extraction
//!
//! A failing input the fuzz target finds goes, as the document's bytes, into `tests/data/fuzz/`,
//! where `fuzz_regressions_stay_fixed` reads it on every run.

use std::fs;
use std::path::Path;

use accord::read::{Document, decode};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::input::{count, fact_list};
use crate::support::{accord, root, rules, stderr};

fn moscow() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| fs::read_to_string(root().join("corpus/moscow-2020-web.txt")).unwrap())
}

/// `PROPTEST_CASES` when set, else `cases`.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // Failing inputs are kept as files under tests/data/fuzz/, not next to the sources.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Pieces the corpus is made of, and the characters that trouble a segmenter: brackets and
/// quotes (paired, alone, nested), dates, numbers in both widths, line ends of every kind,
/// half- and full-width marks, spaces, and words that start rules.
#[rustfmt::skip]
const PIECES: &[&str] = &[
    "《", "》", "“", "”", "（", "）", "(", ")", "「", "」", "〈", "〉", "‘", "’", "\"", "'",
    "年", "月", "日", "号", "0", "1", "2", "9", "１", "２", "０", "2020", "２０２０", "11", "10",
    "十", "二", "〇", "。", "，", "；", "：", "、", "！", "？", ".", ",", ";", ":", "!", "?",
    "—", "－", "-", "–", "…", " ", "　", "\u{a0}", "\u{200b}", "\u{feff}", "\t", "\n", "\n\n",
    "\r\n", "\r", "上合组织", "成员国", "乌兹别克斯坦", "俄罗斯", "莫斯科", "倡议", "关于",
    "支持", "欢迎", "通过", "签署", "举行", "会议", "峰会", "宣言", "该", "本次", "以下称",
    "新华社北京", "电", "第", "次", "主席", "总统", "習近平", "會議", "\u{e000}", "\u{10ffff}",
    "a", "Z", "é", "<p>", "</p>", "<br>", "<div>", "</div>", "<script>", "</script>", "<nav>",
    "<title>", "&amp;", "&lt;", "&nbsp;", "&#x4e0a;", "<!--", "-->", "<",
];

/// A slice of the Moscow text, `len` characters from about `at` (a fraction of the text).
fn moscow_slice(at: f64, len: usize) -> String {
    let n = moscow().chars().count();
    let start = ((n as f64) * at) as usize % n;
    moscow().chars().skip(start).take(len).collect()
}

/// Text made of the corpus's pieces and slices of the Moscow text.
fn corpus_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => (0.0..1.0f64, 0..400usize).prop_map(|(at, len)| moscow_slice(at, len)),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|pieces| pieces.concat())
}

/// Runs the library's extraction as `accord extract` does (decode, every stage, the graph, the
/// quads) and checks what every document must satisfy: the character map and every byte
/// offset point into the file's bytes at character boundaries, every mention and fact lies
/// inside its paragraph and sentence, and each fact's sentence as written into provenance
/// (character and byte span) holds the mentions it was read from.
fn check_extraction(bytes: &[u8]) {
    let Ok(doc) = decode("fuzz", "fuzz.txt", bytes) else {
        return;
    };
    check_offsets(&doc, bytes);
    check_document(doc);
}

/// The same for a web page: its text is what the page shows, each character's offset where
/// the markup writes it (or, written with an entity, where the search for it stands).
fn check_page_extraction(bytes: &[u8]) {
    let Ok(doc) = decode("fuzz", "fuzz.html", bytes).and_then(accord::html::page_text) else {
        return;
    };
    let offsets = &doc.byte_offsets;
    assert_eq!(offsets.len(), doc.text.chars().count() + 1);
    assert!(offsets.iter().all(|&o| o as usize <= bytes.len()));
    check_document(doc);
}

fn check_document(doc: Document) {
    let decoded: Vec<char> = doc.text.chars().collect();
    let x = accord::extract(rules(), doc.clone());
    let paragraphs = &x.segmented.paragraphs;
    assert_eq!(x.mentions.len(), paragraphs.len());
    for (p, mentions) in paragraphs.iter().zip(&x.mentions) {
        let len = p.text.chars().count();
        assert_eq!(p.origin.len(), len + 1, "character map of {:?}", p.text);
        assert!(p.origin.iter().all(|&o| o <= decoded.len()));
        assert!(p.origin[..len].iter().all(|&o| o < decoded.len()));
        for s in &p.sentences {
            assert!(
                s.start < s.end && s.end <= len,
                "sentence {s:?} of {:?}",
                p.text
            );
        }
        for m in mentions {
            assert!(m.start < m.end && m.end <= len, "{m:?} in {:?}", p.text);
        }
    }
    let graph = x.graph(rules());
    for f in &x.facts {
        let p = &paragraphs[f.paragraph];
        let range = p.sentences[f.sentence].clone();
        let span = (p.origin[range.start], p.origin[range.end - 1] + 1);
        let sentence = graph
            .sentences
            .iter()
            .find(|s| s.paragraph == p.number && s.chars == span)
            .unwrap_or_else(|| panic!("no provenance for {f:?}"));
        assert_eq!(
            sentence.bytes,
            (doc.byte_offsets[span.0], doc.byte_offsets[span.1])
        );
        // The sentence as written is the file's text inside the span, less what the layout
        // repairs dropped (line breaks, zero-width characters).
        let written = sentence.source_text.as_ref().unwrap_or(&sentence.text);
        let mut inside = decoded[span.0..span.1].iter();
        assert!(
            written.chars().all(|c| inside.any(|&d| d == c)),
            "{written:?} is not within {:?}",
            decoded[span.0..span.1].iter().collect::<String>()
        );
        for m in &x.mentions[f.paragraph] {
            if range.start <= m.start && m.end <= range.end {
                let (start, end) = (p.origin[m.start], p.origin[m.end - 1] + 1);
                assert!(span.0 <= start && end <= span.1, "{m:?} outside {span:?}");
            }
        }
    }
    let vocab = accord::rdf::Vocab::new(accord::rdf::DEFAULT_BASE).unwrap();
    accord::to_quads(rules(), &vocab, &x);
}

/// Every character's byte offset is where its bytes start in the file, in the encoding read.
/// Characters that one sequence of bytes decodes to (two, in some of Big5's pairs) share it.
fn check_offsets(doc: &Document, bytes: &[u8]) {
    let offsets: Vec<usize> = doc.byte_offsets.iter().map(|&o| o as usize).collect();
    let chars: Vec<char> = doc.text.chars().collect();
    assert_eq!(offsets.len(), chars.len() + 1);
    assert_eq!(offsets[chars.len()], bytes.len());
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "offsets go back");
    let encoding = encoding_rs::Encoding::for_label(doc.encoding.as_bytes()).unwrap();
    // ISO-2022-JP is stateful: a character alone need not decode by itself.
    if encoding == encoding_rs::ISO_2022_JP {
        return;
    }
    let mut i = 0;
    while i < chars.len() {
        let j = (i + 1..=chars.len())
            .find(|&j| j == chars.len() || offsets[j] != offsets[i])
            .unwrap();
        let own = &bytes[offsets[i]..offsets[j]];
        let (decoded, malformed) = encoding.decode_without_bom_handling(own);
        let expected: String = chars[i..j].iter().collect();
        assert!(!malformed, "{expected:?} at byte {}", offsets[i]);
        assert_eq!(decoded, expected, "at byte {}", offsets[i]);
        i = j;
    }
}

/// Byte offsets in the legacy encodings, where re-encoding a character would not find its
/// bytes: GBK's `€` written as the single byte 0x80 and as GB18030's A2E3, and a Big5 pair that
/// decodes to two characters.
#[test]
fn legacy_encodings_give_each_character_its_own_bytes() {
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    let cases: &[(&'static encoding_rs::Encoding, Vec<u8>, usize)] = &[
        (
            encoding_rs::GBK,
            [&b"\x80"[..], &gbk("成员国欢迎"), b"\xA2\xE3", &gbk("。")].concat(),
            8,
        ),
        (
            encoding_rs::BIG5,
            [&b"\x88\x62"[..], &encoding_rs::BIG5.encode("成員國。").0].concat(),
            6,
        ),
    ];
    for (encoding, bytes, chars) in cases {
        let doc = accord::read::decode_as("x", "x.txt", bytes, Some(encoding)).unwrap();
        assert_eq!(doc.text.chars().count(), *chars, "{:?}", doc.text);
        check_offsets(&doc, bytes);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn any_string_is_extracted_without_panic_and_with_offsets_inside_it(text in any::<String>()) {
        check_extraction(text.as_bytes());
    }

    #[test]
    fn corpus_like_text_is_extracted_with_provenance_holding_its_evidence(text in corpus_like()) {
        check_extraction(text.as_bytes());
        // The same text in UTF-16 with a byte order mark: offsets into those bytes.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        check_extraction(&utf16);
    }
}

/// The web copy as a print layout wraps it: every line of running text (the signature block's
/// short lines stay whole) cut every `width` characters, and a stray blank line put in after
/// each line whose entry in `blanks` is set (the entries are used in turn, cycling).
fn hard_wrapped(text: &str, width: usize, blanks: &[bool]) -> String {
    let mut stray = blanks.iter().cycle();
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.trim().chars().collect();
        let pieces: Vec<&[char]> = if chars.len() > 30 {
            chars.chunks(width).collect()
        } else {
            vec![&chars[..]]
        };
        for piece in pieces {
            out.extend(piece);
            out.push('\n');
            if stray.next() == Some(&true) {
                out.push('\n');
            }
        }
    }
    out
}

fn clean_facts() -> &'static [String] {
    static FACTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    FACTS.get_or_init(|| fact_list("web", moscow()))
}

proptest! {
    #![proptest_config(config(8))]

    /// Any wrap width a print layout uses (6 to 60 characters) and stray blank lines after
    /// about one line in 5 to 40.
    #[test]
    fn hard_wraps_at_any_width_and_stray_blank_lines_give_the_facts_of_the_clean_copy(
        width in 6..=60usize,
        blanks in (5..=40u32).prop_flat_map(|every| {
            prop::collection::vec(prop::bool::weighted(1.0 / f64::from(every)), 1..400)
        }),
    ) {
        assert!(clean_facts().len() >= 200, "{} facts", clean_facts().len());
        let wrapped = hard_wrapped(moscow(), width, &blanks);
        prop_assert_eq!(fact_list("wrapped", &wrapped), clean_facts());
    }
}

/// Makes the fuzz target's bytes into a document: after a first byte that chooses (its lowest
/// bit), either the bytes as they are (decoding, detection, binary and broken files) or text built of the
/// corpus's pieces, one byte choosing each piece, a piece past the table being a slice of the
/// Moscow text at a place and of a length the next two bytes give.
fn fuzz_document(input: &[u8]) -> Vec<u8> {
    let Some((&mode, rest)) = input.split_first() else {
        return Vec::new();
    };
    if mode % 2 == 0 {
        return rest.to_vec();
    }
    let mut text = String::new();
    let mut bytes = rest.iter().copied();
    while let Some(b) = bytes.next() {
        match PIECES.get(b as usize) {
            Some(piece) => text.push_str(piece),
            None => {
                let at = f64::from(bytes.next().unwrap_or(0)) / 256.0;
                let len = usize::from(bytes.next().unwrap_or(0)) * 2;
                text.push_str(&moscow_slice(at, len));
            }
        }
    }
    text.into_bytes()
}

/// The fuzz target. `cargo test` runs it for a second on random inputs; see the module's
/// comment for a long run.
#[test]
fn fuzz_extraction() {
    bolero::check!().for_each(|input: &[u8]| {
        let document = fuzz_document(input);
        // The first byte's second bit: read as a text file or as a web page.
        match input.first().is_some_and(|b| b & 2 != 0) {
            false => check_extraction(&document),
            true => check_page_extraction(&document),
        }
    });
}

/// Each input the fuzz target once failed on, kept as the document's bytes: `.txt` read as a
/// text file, `.html` as a web page.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = root().join("tests/data/fuzz");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "html"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    for file in files {
        let bytes = fs::read(&file).unwrap();
        let page = file.extension().is_some_and(|e| e == "html");
        let result = std::panic::catch_unwind(|| match page {
            false => check_extraction(&bytes),
            true => check_page_extraction(&bytes),
        });
        assert!(result.is_ok(), "{} fails again", file.display());
    }
}

/// Inputs no earlier test gives the command line: text without a single punctuation mark or
/// line break, brackets and quotes nested thousands deep and never closed, thousands of
/// small files, and paths that cannot be read even by root (a dangling link, a link to
/// itself). Every bad one is named once with its reason, every good one stored, and the run
/// ends with a summary line and exit status 1.
#[test]
fn bad_inputs_of_every_kind_cost_no_good_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    let many = dir.join("many");
    fs::create_dir_all(&many).unwrap();
    fs::copy(
        root().join("corpus/moscow-2020-web.txt"),
        dir.join("web.txt"),
    )
    .unwrap();
    // The ideographs of the Moscow text, run together: one paragraph, one sentence of 100,000
    // characters (the 50 MB version is timed in `benches/linear.rs`).
    let ideographs: String = moscow()
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .collect();
    let unpunctuated = ideographs.repeat(100_000 / ideographs.chars().count() + 1);
    fs::write(dir.join("unpunctuated.txt"), &unpunctuated).unwrap();
    let open = "《“".repeat(5_000) + "上合组织";
    fs::write(dir.join("nested.txt"), &open).unwrap();
    fs::write(dir.join("closed.txt"), "”》".repeat(5_000) + "。").unwrap();
    // Each file of its own content: identical files would be one document.
    for i in 0..2_000 {
        fs::write(
            many.join(format!("{i:04}.txt")),
            format!("上合组织成员国。{i}\n"),
        )
        .unwrap();
    }
    std::os::unix::fs::symlink("nowhere.txt", dir.join("dangling.txt")).unwrap();
    std::os::unix::fs::symlink("loop.txt", dir.join("loop.txt")).unwrap();
    fs::write(dir.join("zero.txt"), b"").unwrap();

    let out = accord(tmp.path(), &["extract", "in"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (name, reason) in [
        ("dangling.txt", "No such file or directory"),
        ("loop.txt", "Too many levels of symbolic links"),
        ("zero.txt", "empty file"),
    ] {
        assert_eq!(count(&err, name), 1, "{name} not named once:\n{err}");
        let line = format!("accord: skipped in/{name}: {reason}");
        assert!(err.contains(&line), "{line}\n{err}");
    }
    assert_eq!(count(&err, "accord: skipped"), 3, "{err}");
    let summary = err.lines().find(|l| l.starts_with("summary: ")).unwrap();
    assert!(
        summary.starts_with("summary: 2004 documents,") && summary.contains("1 skipped, 2 errors"),
        "{summary}"
    );
    let stored = err.lines().find(|l| l.starts_with("stored ")).unwrap();
    assert!(stored.starts_with("stored 2004 documents"), "{stored}");
    assert_stored(
        tmp.path(),
        &["0000", "1999", "closed", "nested", "unpunctuated", "web"],
    );
}

/// The store holds a graph for each of `keys`.
fn assert_stored(dir: &Path, keys: &[&str]) {
    let out = accord(
        dir,
        &[
            "query",
            "SELECT ?g WHERE { GRAPH ?g { ?d a <https://w3id.org/accord/ontology#SourceDocument> } }",
        ],
    );
    let graphs = crate::support::stdout(&out);
    for key in keys {
        let graph = format!("https://w3id.org/accord/id/graph/{key}/provenance\n");
        assert!(graphs.contains(&graph), "{key} not stored:\n{graphs}");
    }
}
