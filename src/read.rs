//! Reads a file into a [`Document`]: bytes decoded to text, the encoding detected, and the
//! byte offset of every character kept, so provenance can point into the original file.
//!
//! A file that cannot be read as text (binary, empty, broken UTF-8) is an error naming the file
//! and the place; the caller reports it and goes on with the other files.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: empty file")]
    Empty { path: String },
    #[error("{path}: binary data at byte {offset} (not a text file)")]
    Binary { path: String, offset: usize },
    #[error("{path}:{line}: invalid UTF-8 at byte {offset}")]
    BrokenUtf8 {
        path: String,
        line: usize,
        offset: usize,
    },
    #[error("{path}: cannot decode as {encoding} (malformed byte sequence)")]
    Undecodable {
        path: String,
        encoding: &'static str,
    },
}

/// A decoded input file.
#[derive(Clone, Debug)]
pub struct Document {
    /// Stable key: the file stem (`moscow-2020-web`).
    pub key: String,
    /// The path as given on the command line.
    pub source: String,
    pub text: String,
    /// Name of the detected encoding (`UTF-8`, `GB18030`, `Big5`, …).
    pub encoding: &'static str,
    /// Byte offset in the original file of each character of `text`, plus the file length.
    pub byte_offsets: Vec<u32>,
    /// SHA-256 of the original bytes.
    pub content_hash: String,
}

pub fn read_file(path: &Path) -> Result<Document, ReadError> {
    let source = path.display().to_string();
    let bytes = fs::read(path).map_err(|e| ReadError::Io {
        path: source.clone(),
        source: e,
    })?;
    let key = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.clone());
    decode(&key, &source, &bytes)
}

/// Decodes bytes: UTF-8 (with or without BOM) when valid; otherwise the encoding `chardetng`
/// detects, unless the bytes are mostly UTF-8 with a broken sequence, which is reported rather
/// than silently read as another encoding.
pub fn decode(key: &str, source: &str, bytes: &[u8]) -> Result<Document, ReadError> {
    let path = source.to_string();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty { path });
    }
    if let Some(offset) = binary_offset(bytes) {
        return Err(ReadError::Binary { path, offset });
    }
    let content_hash = format!("{:x}", Sha256::digest(bytes));
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, bytes),
    };
    let (text, encoding, byte_offsets) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), "UTF-8", utf8_offsets(text, bom)),
        Err(e) if looks_like_utf8(body) => {
            let offset = bom + e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(ReadError::BrokenUtf8 { path, line, offset });
        }
        Err(_) => decode_legacy(body, &path)?,
    };
    Ok(Document {
        key: key.to_string(),
        source: path,
        text,
        encoding,
        byte_offsets,
        content_hash,
    })
}

fn decode_legacy(bytes: &[u8], path: &str) -> Result<(String, &'static str, Vec<u32>), ReadError> {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let encoding = detector.guess(None, false);
    let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes) else {
        return Err(ReadError::Undecodable {
            path: path.to_string(),
            encoding: encoding.name(),
        });
    };
    // Offsets by re-encoding each character: exact for the round-trip encodings of the genre
    // (GB18030, GBK, Big5).
    // GBK decodes as GB18030 does; its superset's encoder maps every character back.
    let encoder = if encoding == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        encoding
    };
    let mut offsets = Vec::with_capacity(text.len() + 1);
    let mut pos = 0u32;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        offsets.push(pos);
        let (encoded, _, _) = encoder.encode(c.encode_utf8(&mut buf));
        pos += encoded.len() as u32;
    }
    offsets.push(bytes.len() as u32);
    Ok((text.into_owned(), encoding.name(), offsets))
}

fn utf8_offsets(text: &str, base: usize) -> Vec<u32> {
    let mut offsets: Vec<u32> = text
        .char_indices()
        .map(|(i, _)| (i + base) as u32)
        .collect();
    offsets.push((text.len() + base) as u32);
    offsets
}

/// NUL bytes or a high share of control characters mean the file is not text.
fn binary_offset(bytes: &[u8]) -> Option<usize> {
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Some(i);
    }
    let control = |b: &u8| *b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C);
    let sample = &bytes[..bytes.len().min(8192)];
    let count = sample.iter().filter(|b| control(b)).count();
    (count * 10 > sample.len()).then(|| sample.iter().position(control).unwrap_or(0))
}

/// True when most non-ASCII bytes form valid UTF-8 sequences: a UTF-8 file with a damaged
/// byte, not a file in another encoding.
fn looks_like_utf8(bytes: &[u8]) -> bool {
    let mut valid = 0usize;
    let mut invalid = 0usize;
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += s.bytes().filter(|b| !b.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid += good.iter().filter(|b| !b.is_ascii()).count();
                let skip = e.error_len().unwrap_or(bad.len()).max(1);
                invalid += skip;
                rest = &bad[skip..];
            }
        }
    }
    valid > 0 && invalid * 8 <= valid
}
