//! Reading: encodings, offsets, the layout repairs, on real text.

use accord::read::{ReadError, decode};

use crate::support::{root, rules};

#[test]
fn gb18030_copy_gives_the_same_facts_with_byte_offsets_into_it() {
    let text = std::fs::read_to_string(root().join("corpus/moscow-2020-web.txt")).unwrap();
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
