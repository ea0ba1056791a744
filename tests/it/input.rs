//! Reading: encodings, offsets, the layout repairs, on real text; bad files among good ones.

use std::fs;
use std::path::Path;

use accord::read::{Document, ReadError, decode, decode_as, encoding_for_label};
use encoding_rs::Encoding;

use crate::support::{accord, root, rules, stderr, stdout};

fn moscow() -> String {
    fs::read_to_string(root().join("corpus/moscow-2020-web.txt")).unwrap()
}

/// Decodes `bytes` (detected, or in `forced`), checks the text and the encoding found, that
/// byte offsets point at each character's bytes in `encoding`, and that the facts are those
/// of the UTF-8 copy of `text`.
fn same_facts_as_utf8(
    text: &str,
    bytes: &[u8],
    forced: Option<&'static Encoding>,
    encoding: &'static Encoding,
) -> Document {
    let doc = decode_as("copy", "copy.txt", bytes, forced).unwrap();
    assert_eq!(doc.encoding, encoding.name());
    assert_eq!(doc.text, text, "{} copy", encoding.name());
    for (i, c) in doc
        .text
        .char_indices()
        .map(|(_, c)| c)
        .enumerate()
        .step_by(7)
    {
        let (start, end) = (
            doc.byte_offsets[i] as usize,
            doc.byte_offsets[i + 1] as usize,
        );
        let (decoded, _) = encoding.decode_without_bom_handling(&bytes[start..end]);
        assert_eq!(decoded, c.to_string(), "{}: char {i}", encoding.name());
    }
    assert_eq!(*doc.byte_offsets.last().unwrap() as usize, bytes.len());
    let utf8 = decode("copy", "utf8.txt", text.as_bytes()).unwrap();
    let a = accord::extract(rules(), doc.clone());
    let b = accord::extract(rules(), utf8);
    assert!(!b.facts.is_empty());
    assert_eq!(a.facts, b.facts, "{} copy", encoding.name());
    doc
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let unit = |u: u16| {
        if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        }
    };
    text.encode_utf16().flat_map(unit).collect()
}

#[test]
fn copies_with_a_byte_order_mark_give_the_same_facts() {
    let text = moscow();
    let le = [&[0xFF, 0xFE][..], &utf16(&text, false)].concat();
    let be = [&[0xFE, 0xFF][..], &utf16(&text, true)].concat();
    let utf8 = [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat();
    for (bytes, encoding) in [
        (le, encoding_rs::UTF_16LE),
        (be, encoding_rs::UTF_16BE),
        (utf8, encoding_rs::UTF_8),
    ] {
        let doc = same_facts_as_utf8(&text, &bytes, None, encoding);
        // The first character is after the mark.
        assert_eq!(
            doc.byte_offsets[0] as usize,
            bytes.len() - encoding_len(&text, encoding)
        );
    }
}

fn encoding_len(text: &str, encoding: &'static Encoding) -> usize {
    if encoding == encoding_rs::UTF_8 {
        text.len()
    } else {
        2 * text.encode_utf16().count()
    }
}

#[test]
fn big5_copy_of_the_traditional_text_gives_its_facts() {
    use ferrous_opencc::{OpenCC, config::BuiltinConfig};
    // Big5 holds traditional characters as Taiwan writes them (為, not 爲) and no no-break
    // space: the text is converted first, as a Taiwan copy would be written.
    let traditional = OpenCC::from_config(BuiltinConfig::S2tw)
        .unwrap()
        .convert(&moscow().replace('\u{a0}', " "));
    let (bytes, _, unmappable) = encoding_rs::BIG5.encode(&traditional);
    assert!(!unmappable);
    same_facts_as_utf8(&traditional, &bytes, None, encoding_rs::BIG5);
}

#[test]
fn gb18030_copy_is_detected_and_can_be_named() {
    let text = moscow();
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    same_facts_as_utf8(&text, &bytes, None, encoding_rs::GBK);
    let gb18030 = encoding_for_label("GB18030").unwrap();
    same_facts_as_utf8(&text, &bytes, Some(gb18030), encoding_rs::GB18030);
}

#[test]
fn crlf_and_cr_line_ends_give_the_same_facts() {
    let b = accord::extract(
        rules(),
        decode("lf", "lf.txt", moscow().as_bytes()).unwrap(),
    );
    for end in ["\r\n", "\r"] {
        let text = moscow().replace('\n', end);
        let doc = decode("crlf", "crlf.txt", text.as_bytes()).unwrap();
        let a = accord::extract(rules(), doc);
        assert_eq!(a.facts, b.facts, "{end:?}");
        assert_eq!(a.segmented.paragraphs.len(), b.segmented.paragraphs.len());
    }
}

#[test]
fn an_encoding_named_replaces_detection() {
    let text = moscow();
    // UTF-16 without a byte order mark: NUL bytes, binary to detection.
    let bytes = utf16(&text, false);
    let e = decode("x", "x.txt", &bytes).unwrap_err();
    assert!(matches!(e, ReadError::Binary { .. }), "{e}");
    let le = encoding_for_label("utf-16le").unwrap();
    same_facts_as_utf8(&text, &bytes, Some(le), encoding_rs::UTF_16LE);
    // Labels are WHATWG's, in any case; an unknown one is an error that says what to write.
    assert_eq!(encoding_for_label(" Big5 ").unwrap(), encoding_rs::BIG5);
    assert_eq!(encoding_for_label("gbk").unwrap(), encoding_rs::GBK);
    let e = encoding_for_label("gb-18030").unwrap_err().to_string();
    assert!(e.starts_with("unknown encoding \"gb-18030\""), "{e}");
    assert!(encoding_for_label("replacement").is_err());
}

#[test]
fn gb18030_copy_gives_the_same_facts_with_byte_offsets_into_it() {
    let text = moscow();
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    let gb = decode("gb", "gb.txt", &bytes).unwrap();
    assert_eq!(gb.encoding, "GBK");
    assert_eq!(gb.text, text);
    let utf8 = decode("gb", "utf8.txt", text.as_bytes()).unwrap();
    let a = accord::extract(rules(), gb.clone());
    let b = accord::extract(rules(), utf8);
    assert_eq!(a.facts, b.facts);
    // Byte offsets are into the GB18030 bytes: two bytes per ideograph.
    let i = text.chars().position(|c| c == '上').unwrap();
    assert_eq!(gb.byte_offsets[i + 1] - gb.byte_offsets[i], 2);
}

#[test]
fn bad_bytes_are_errors_with_a_place() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "x.txt: empty file"),
        (b"  \n\t", "x.txt: empty file"),
        (
            b"abc\x00def",
            "x.txt: binary data at byte 3 (not a text file)",
        ),
        (
            b"\xE6\x88\x90\xE5\x91\x98\n\xE5\x9B\xBD\xFF\xE6\xAC\xA2\xE8\xBF\x8E",
            "x.txt:2: invalid UTF-8 at byte 10",
        ),
        // A byte order mark alone, or before white space only, is an empty file.
        (b"\xEF\xBB\xBF", "x.txt: empty file"),
        (b"\xFF\xFE \x00\n\x00", "x.txt: empty file"),
        // UTF-16 text with NUL, or with a high surrogate left alone (byte 4).
        (
            b"\xFF\xFEA\x00\x00\x00",
            "x.txt: binary data at byte 4 (not a text file)",
        ),
        (
            b"\xFF\xFEA\x00\x00\xD8B\x00",
            "x.txt:1: cannot decode as UTF-16LE: malformed bytes at byte 4",
        ),
        // Half a UTF-16 code unit at the end.
        (
            b"\xFE\xFF\x00A\x00",
            "x.txt:1: cannot decode as UTF-16BE: malformed bytes at byte 4",
        ),
    ];
    for (bytes, message) in cases {
        let err = decode("x", "x.txt", bytes).unwrap_err();
        assert_eq!(err.to_string(), *message);
    }
    assert!(decode("x", "x.txt", "成员国。".as_bytes()).is_ok());
    let e = decode("x", "x.txt", b"\x00").unwrap_err();
    assert!(matches!(e, ReadError::Binary { .. }));
}

#[test]
fn huge_paragraph_is_read_without_trouble() {
    let sentence = "成员国注意到吉尔吉斯共和国关于建立打击经济犯罪会议机制的倡议，";
    let text = sentence.repeat(20_000) + "。";
    let x = accord::extract(
        rules(),
        decode("huge", "huge.txt", text.as_bytes()).unwrap(),
    );
    assert_eq!(x.segmented.paragraphs.len(), 1);
    assert!(x.facts.iter().any(|f| f.predicate == "proposed"));
}

/// How many times `needle` occurs in `haystack`.
pub(crate) fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// A folder of copies with extensions in other cases, and a file of each bad kind.
fn mixed_folder(dir: &Path) {
    let corpus = dir.join("in");
    fs::create_dir_all(corpus.join("sub")).unwrap();
    let web = fs::read(root().join("corpus/moscow-2020-web.txt")).unwrap();
    let print = fs::read(root().join("corpus/moscow-2020-print.txt")).unwrap();
    fs::write(corpus.join("web.TXT"), &web).unwrap();
    fs::write(corpus.join("sub/print.Txt"), &print).unwrap();
    let bad: &[(&str, &[u8])] = &[
        ("zero.txt", b""),
        ("blank.txt", b" \n\r\n\t"),
        ("nul.txt", b"\xE6\x88\x90\xE5\x91\x98\x00\x01\x02"),
        ("zipped.txt", b"PK\x03\x04\x14\x00\x08\x00binary"),
        ("mark-only.txt", b"\xFF\xFE"),
        ("surrogate.txt", b"\xFF\xFE\x10\x62\x00\xD8\x58\x54"),
    ];
    for (name, bytes) in bad {
        fs::write(corpus.join(name), bytes).unwrap();
    }
    // A UTF-8 sentence cut in the middle of a character (at byte 15).
    let cut = [
        "成员国欢迎".as_bytes(),
        b"\xE6\x88",
        "联合国大会通过的决议。".as_bytes(),
    ]
    .concat();
    fs::write(corpus.join("cut.txt"), cut).unwrap();
    // Not read: other extensions, hidden entries.
    fs::write(corpus.join("notes.md"), "# notes\n").unwrap();
    fs::write(corpus.join(".hidden.txt"), b"\x00").unwrap();
    fs::create_dir_all(corpus.join(".git")).unwrap();
    fs::write(corpus.join(".git/HEAD.txt"), b"\x00").unwrap();
}

#[test]
fn bad_files_are_named_once_and_good_files_still_stored() {
    let tmp = tempfile::tempdir().unwrap();
    mixed_folder(tmp.path());
    let out = accord(tmp.path(), &["extract", "in", "missing.txt"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (name, reason) in [
        ("zero.txt", "in/zero.txt: empty file"),
        ("blank.txt", "in/blank.txt: empty file"),
        ("nul.txt", "in/nul.txt: binary data at byte 6"),
        ("zipped.txt", "in/zipped.txt: binary data at byte 5"),
        ("cut.txt", "in/cut.txt:1: invalid UTF-8 at byte 15"),
        ("mark-only.txt", "in/mark-only.txt: empty file"),
        (
            "surrogate.txt",
            "in/surrogate.txt:1: cannot decode as UTF-16LE: malformed bytes at byte 4",
        ),
        ("missing.txt", "missing.txt: "),
    ] {
        assert_eq!(count(&err, name), 1, "{name} not named once:\n{err}");
        assert!(err.contains(&format!("accord: skipped {reason}")), "{err}");
    }
    for quiet in ["notes.md", "hidden", "HEAD"] {
        assert_eq!(count(&err, quiet), 0, "{quiet} named:\n{err}");
    }
    // Both copies, walked whatever the case of their extension, are stored and queryable.
    assert!(err.contains("in/web.TXT: 133 paragraphs"), "{err}");
    assert!(err.contains("in/sub/print.Txt: 126 paragraphs"), "{err}");
    let summary = err.lines().find(|l| l.starts_with("stored ")).unwrap();
    assert!(
        summary.starts_with("stored 2 documents")
            && summary.ends_with("skipped 8 inputs (named above)"),
        "{summary}"
    );
    let q = accord(
        tmp.path(),
        &[
            "query",
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <https://w3id.org/accord/ontology#supports> ?o } } ORDER BY ?g",
            "--format",
            "tsv",
        ],
    );
    assert_eq!(
        stdout(&q).lines().skip(1).collect::<Vec<_>>(),
        [
            "https://w3id.org/accord/id/graph/print",
            "https://w3id.org/accord/id/graph/web"
        ],
        "{}",
        stderr(&q)
    );
}

#[test]
fn a_missing_path_or_rules_folder_is_reported_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = accord(tmp.path(), &["extract", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(count(&err, "nowhere"), 1, "{err}");
    assert!(err.contains("nothing stored: skipped 1 input"), "{err}");
    let out = accord(tmp.path(), &["--rules", "norules", "extract"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(count(&err, "norules"), 1, "{err}");
    assert_eq!(count(&err, "os error"), 1, "{err}");
    for args in [&["explain", "gone.txt"][..], &["eval", "gone.facts"]] {
        let out = accord(tmp.path(), args);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(count(&stderr(&out), "os error"), 1, "{}", stderr(&out));
    }
}

#[test]
fn encoding_option_of_extract_and_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let text = moscow();
    fs::write(tmp.path().join("plain16.txt"), utf16(&text, false)).unwrap();
    let detected = accord(tmp.path(), &["explain", "plain16.txt"]);
    assert_eq!(detected.status.code(), Some(2));
    assert!(
        stderr(&detected).contains("binary data"),
        "{}",
        stderr(&detected)
    );
    let named = accord(
        tmp.path(),
        &["explain", "--encoding", "utf-16le", "plain16.txt"],
    );
    assert!(named.status.success(), "{}", stderr(&named));
    assert!(stdout(&named).starts_with("# plain16 (plain16.txt, UTF-16LE, date 2020-11-10)"));
    let out = accord(
        tmp.path(),
        &["extract", "--encoding", "UTF-16LE", "plain16.txt"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("plain16.txt: 133 paragraphs"),
        "{}",
        stderr(&out)
    );
    let bad = accord(
        tmp.path(),
        &["extract", "--encoding", "utf16-le", "plain16.txt"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown encoding \"utf16-le\""),
        "{}",
        stderr(&bad)
    );
}

/// The facts of a copy as `subject predicate object`, sorted, repeats kept.
pub(crate) fn fact_list(key: &str, text: &str) -> Vec<String> {
    let doc = decode(key, "copy.txt", text.as_bytes()).unwrap();
    let (_, found) = accord::eval::run_document(rules(), doc);
    let mut out: Vec<String> = found
        .iter()
        .map(|f| format!("{} {} {}", f.subject.display, f.predicate, f.object.display))
        .collect();
    out.sort();
    out
}

/// The web copy as a news site serves it: a page with a script, a menu, a header and a footer
/// that name meetings of their own, each paragraph a `<p>` with the markup's own line breaks
/// and indentation inside, and an entity.
fn as_web_page(text: &str) -> String {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>上合组织峰会在北京举行</title>\n\
         <script>var headline = '上海合作组织峰会2020年11月10日在北京举行';</script>\n\
         <style>p { margin: 0 }</style></head>\n<body>\n\
         <nav><ul><li><a href=\"/\">首页</a></li><li><a href=\"/x\">金砖国家领导人第十二次会晤在喀山举行</a></li></ul></nav>\n\
         <header><div class=\"logo\">新闻网</div></header>\n<article>\n",
    );
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let escaped = line.replace('&', "&amp;").replace('<', "&lt;");
        // The markup breaks long paragraphs over lines between two ideographs, as page sources
        // do (a break inside `2019年11月` would show as a space in a browser too).
        let mut broken = String::new();
        let mut run = 0;
        let mut prev = ' ';
        for c in escaped.chars() {
            if run >= 60 && is_ideograph(prev) && is_ideograph(c) {
                broken.push_str("\n    ");
                run = 0;
            }
            broken.push(c);
            run += 1;
            prev = c;
        }
        page.push_str(&format!("  <p>\n    {broken}\n  </p>\n"));
    }
    page.push_str(
        "</article>\n<aside>相关新闻：中国同俄罗斯签署《联合声明》</aside>\n\
         <footer>版权所有 &copy; 新闻网</footer>\n</body></html>\n",
    );
    page
}

fn is_ideograph(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

#[test]
fn a_web_page_gives_the_facts_of_its_text_and_offsets_into_its_markup() {
    let dir = tempfile::tempdir().unwrap();
    let html = as_web_page(&moscow());
    let path = dir.path().join("moscow-2020-web.html");
    fs::write(&path, &html).unwrap();
    let doc = accord::read::read_file(&path).unwrap();
    // No markup, script, menu, header, aside or footer reaches the text.
    for gone in [
        "<p>",
        "headline",
        "首页",
        "喀山",
        "新闻网",
        "相关新闻",
        "版权所有",
    ] {
        assert!(!doc.text.contains(gone), "{gone}");
    }
    // Every character written as is in the markup points at its own bytes there.
    let bytes = html.as_bytes();
    for (c, &at) in doc.text.chars().zip(&doc.byte_offsets) {
        if !c.is_whitespace() {
            let mut buf = [0; 4];
            let own = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(&bytes[at as usize..at as usize + own.len()], own, "{c}");
        }
    }
    let (_, found) = accord::eval::run_document(rules(), doc);
    let mut facts: Vec<String> = found
        .iter()
        .map(|f| format!("{} {} {}", f.subject.display, f.predicate, f.object.display))
        .collect();
    facts.sort();
    assert_eq!(facts, fact_list("web", &moscow()));
}

#[test]
fn folders_are_walked_for_web_pages_too() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("page.HTM"), as_web_page(&moscow())).unwrap();
    fs::write(
        dir.path().join("empty.html"),
        "<html><body><script>x()</script></body></html>",
    )
    .unwrap();
    let out = accord(dir.path(), &["extract", "--out", "out", "."]);
    let err = stderr(&out);
    assert!(err.contains("empty.html: empty file"), "{err}");
    assert!(err.contains("page.HTM"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
}

/// A page is read in the encoding its `<meta charset>` declares: `會議` in Big5 alone is too
/// short for detection, which takes it for Central European text, while the page that
/// declares Big5 gives the two characters. A declaration the bytes do not fit falls back to
/// detection, and a byte order mark wins over the declaration.
#[test]
fn a_page_is_read_in_the_encoding_its_meta_charset_declares() {
    let dir = tempfile::tempdir().unwrap();
    let big5 = encoding_for_label("big5").unwrap();
    let page = |meta: &str, body: &str| -> Vec<u8> {
        let html = format!("<html><head>{meta}</head><body><p>{body}</p></body></html>\n");
        big5.encode(&html).0.into_owned()
    };
    let read = |name: &str, bytes: &[u8]| -> Document {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        accord::read::read_file(&path).unwrap()
    };
    let undeclared = read("plain.html", &page("", "會議"));
    assert_ne!(
        undeclared.text.trim(),
        "會議",
        "detection alone reads it right now"
    );
    for (name, meta) in [
        ("charset.html", r#"<meta charset="big5">"#),
        ("quoted.html", "<META CHARSET='Big5'>"),
        (
            "http-equiv.html",
            r#"<meta http-equiv="Content-Type" content="text/html; charset=big5">"#,
        ),
    ] {
        let doc = read(name, &page(meta, "會議"));
        assert_eq!(doc.text.trim(), "會議", "{name}");
        assert_eq!(doc.encoding, big5.name(), "{name}");
    }
    // Declared as Shift_JIS, which the Big5 bytes of this text are not: detected instead.
    let text = "上海合作組織成員國元首理事會會議在杜尚別舉行。";
    let wrong = read("wrong.html", &page(r#"<meta charset="shift_jis">"#, text));
    assert_eq!(wrong.encoding, big5.name());
    assert_eq!(wrong.text.trim(), text);
    // A UTF-8 byte order mark wins over a declaration of Big5.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(
        format!("<html><head><meta charset=\"big5\"></head><body><p>{text}</p></body></html>")
            .as_bytes(),
    );
    let doc = read("bom.html", &bom);
    assert_eq!(doc.encoding, encoding_rs::UTF_8.name());
    assert_eq!(doc.text.trim(), text);
}
