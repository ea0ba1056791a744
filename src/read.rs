//! Reads a file into a [`Document`]: bytes decoded to text, the encoding detected, and the
//! byte offset of every character kept, so provenance can point into the original file.
//!
//! Detection, in order: a byte order mark (UTF-8, UTF-16LE, UTF-16BE); valid UTF-8; a file
//! that is mostly UTF-8 with a damaged byte (reported, never read as another encoding); else
//! the legacy encoding `chardetng` guesses (GB18030/GBK, Big5, …). An encoding given by the
//! user (`--encoding`, [`encoding_for_label`]) replaces detection. UTF-16 without a byte order
//! mark is not detected: its ASCII halves are NUL bytes, so it reads as binary.
//!
//! A file that cannot be read as text (empty, binary, broken UTF-8, undecodable) is an error
//! naming the file and the place; the caller reports it and goes on with the other files.
//!
//! Standard input holds one document, read like a file ([`read_stream`]). A JSON Lines file
//! holds one document per line (`{"id": …, "text": …, "date": …}`, [`JsonLines`],
//! [`Record::document`]): a bad line is an error naming the file and line, and the lines
//! after it are still read.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use encoding_rs::{DecoderResult, Encoding};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The OS error is part of the message, not a `source`, so that a report printing the
    /// chain of causes says it once.
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
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
    #[error("{path}:{line}: cannot decode as {encoding}: malformed bytes at byte {offset}")]
    Undecodable {
        path: String,
        encoding: &'static str,
        line: usize,
        offset: usize,
    },
    /// A JSON Lines record that is no document: not a JSON object, without a string `id` or
    /// `text`, with an id that cannot name a document, empty text or a `date` that is not a
    /// day.
    #[error("{path}:{line}: {message}")]
    Record {
        path: String,
        line: usize,
        message: String,
    },
}

/// An encoding label no encoding answers to.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown encoding {0:?} (use a label such as utf-8, utf-16le, utf-16be, gb18030, gbk, big5)"
)]
pub struct UnknownEncoding(pub String);

/// The encoding a WHATWG label names (`gb18030`, `big5`, `utf-16le`, case and spaces
/// ignored). The `replacement` encoding is refused: it would read any file as one error mark.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, UnknownEncoding> {
    Encoding::for_label_no_replacement(label.trim().as_bytes())
        .ok_or_else(|| UnknownEncoding(label.to_string()))
}

/// A decoded input file.
#[derive(Clone, Debug)]
pub struct Document {
    /// Stable key: the file stem (`moscow-2020-web`).
    pub key: String,
    /// The path as given on the command line.
    pub source: String,
    pub text: String,
    /// Name of the detected encoding (`UTF-8`, `UTF-16LE`, `GB18030`, `Big5`, …).
    pub encoding: &'static str,
    /// Byte offset in the original file of each character of `text`, plus the file length.
    pub byte_offsets: Vec<u32>,
    /// SHA-256 of the original bytes.
    pub content_hash: String,
    /// The date given with the document (a JSON Lines record's `date`): its date, in place of
    /// the one its text gives. `None` for files, whose date is read from the text.
    pub date: Option<NaiveDate>,
}

pub fn read_file(path: &Path) -> Result<Document, ReadError> {
    read_file_as(path, None)
}

/// Reads a file in `encoding`, or in the encoding detected when `None`.
pub fn read_file_as(
    path: &Path,
    encoding: Option<&'static Encoding>,
) -> Result<Document, ReadError> {
    let source = path.display().to_string();
    let bytes = fs::read(path).map_err(|error| ReadError::Io {
        path: source.clone(),
        error,
    })?;
    let key = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.clone());
    if !crate::html::is_html(path) {
        return decode_as(&key, &source, &bytes, encoding);
    }
    // A web page (`.html`, `.htm`) is read in the encoding it declares, unless one is given or
    // it starts with a byte order mark; bytes its declaration does not fit are detected as any
    // file's. It is read for the text it shows.
    let declared = if encoding.is_none() && Encoding::for_bom(&bytes).is_none() {
        crate::html::declared_encoding(&bytes)
    } else {
        None
    };
    let doc = match declared {
        Some(e) => decode_as(&key, &source, &bytes, Some(e))
            .or_else(|_| decode_as(&key, &source, &bytes, None))?,
        None => decode_as(&key, &source, &bytes, encoding)?,
    };
    crate::html::page_text(doc)
}

/// Decodes bytes in the encoding detected (see the module comment).
pub fn decode(key: &str, source: &str, bytes: &[u8]) -> Result<Document, ReadError> {
    decode_as(key, source, bytes, None)
}

/// Decodes bytes in `encoding` (its own byte order mark skipped), or in the encoding detected
/// when `None`. Text that is only white space is empty; text with NUL or many control
/// characters is binary, whatever the encoding.
pub fn decode_as(
    key: &str,
    source: &str,
    bytes: &[u8],
    encoding: Option<&'static Encoding>,
) -> Result<Document, ReadError> {
    let path = source.to_string();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty { path });
    }
    let by_mark = || Encoding::for_bom(bytes).map(|(e, _)| e);
    let decoded = match encoding.or_else(by_mark) {
        Some(e) => decode_in(bytes, e, &path)?,
        None => detect(bytes, &path)?,
    };
    if decoded.text.chars().all(char::is_whitespace) {
        return Err(ReadError::Empty { path });
    }
    if let Some(i) = binary_char(&decoded.text) {
        let offset = decoded.byte_offsets[i] as usize;
        return Err(ReadError::Binary { path, offset });
    }
    Ok(Document {
        key: key.to_string(),
        source: path,
        text: decoded.text,
        encoding: decoded.encoding.name(),
        byte_offsets: decoded.byte_offsets,
        content_hash: format!("{:x}", Sha256::digest(bytes)),
        date: None,
    })
}

/// Reads one document from a stream (standard input) to its end and decodes it as a file is
/// decoded; `source` names the stream in messages and provenance.
pub fn read_stream(
    key: &str,
    source: &str,
    mut reader: impl Read,
    encoding: Option<&'static Encoding>,
) -> Result<Document, ReadError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|error| ReadError::Io {
            path: source.to_string(),
            error,
        })?;
    decode_as(key, source, &bytes, encoding)
}

/// One non-blank line of a JSON Lines stream, not yet parsed: parsing is left to
/// [`Record::document`], so that lines can be parsed in parallel while the stream is read in
/// order.
#[derive(Clone, Debug)]
pub struct Record {
    /// The file (or `stdin`).
    pub path: String,
    /// Line number, from 1.
    pub line: usize,
    pub text: String,
}

/// The fields of a record that accord reads; any other field is ignored. Read as JSON values
/// so that a field of the wrong type is named in the message.
#[derive(Deserialize)]
struct RecordFields {
    id: Option<serde_json::Value>,
    text: Option<serde_json::Value>,
    date: Option<serde_json::Value>,
}

impl Record {
    /// The document of this line: `id` is its key, `text` its text (already Unicode, so no
    /// encoding is detected: byte offsets are into the text as UTF-8), `date` (`YYYY-MM-DD`)
    /// its date. The source is `path:line`, which finds the record again.
    pub fn document(&self) -> Result<Document, ReadError> {
        if !self.text.trim_start().starts_with('{') {
            return Err(self.error("not a JSON object".into()));
        }
        let fields: RecordFields = serde_json::from_str(&self.text).map_err(|e| {
            let at = e.column();
            self.error(format!(
                "malformed JSON at column {at}: {}",
                json_message(&e)
            ))
        })?;
        let id = self.string(fields.id, "id")?;
        if let Some(problem) = crate::rdf::key_problem(&id) {
            return Err(self.error(format!("id {id:?} {problem}")));
        }
        let text = self.string(fields.text, "text")?;
        if text.trim().is_empty() {
            return Err(self.error("empty text".into()));
        }
        let date = match fields.date {
            None | Some(serde_json::Value::Null) => None,
            Some(d) => Some(self.day(d)?),
        };
        let source = format!("{}:{}", self.path, self.line);
        let mut doc = decode_as(&id, &source, text.as_bytes(), Some(encoding_rs::UTF_8))?;
        doc.date = date;
        Ok(doc)
    }

    /// The string of a required field.
    fn string(&self, value: Option<serde_json::Value>, name: &str) -> Result<String, ReadError> {
        match value {
            Some(serde_json::Value::String(s)) => Ok(s),
            Some(_) => Err(self.error(format!("\"{name}\" is not a string"))),
            None => Err(self.error(format!("no \"{name}\""))),
        }
    }

    /// A `date` field: a day written `YYYY-MM-DD`.
    fn day(&self, value: serde_json::Value) -> Result<NaiveDate, ReadError> {
        let day = match &value {
            serde_json::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            _ => None,
        };
        day.ok_or_else(|| self.error(format!("date {value} is not a day (YYYY-MM-DD)")))
    }

    fn error(&self, message: String) -> ReadError {
        ReadError::Record {
            path: self.path.clone(),
            line: self.line,
            message,
        }
    }
}

/// serde_json's message without its ` at line L column C`: a record is one line, whose number
/// is the file's, not the JSON's.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let place = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&place).unwrap_or(&text).to_string()
}

/// The records of a JSON Lines stream, in order, one per non-blank line (a byte order mark
/// before the first is dropped). A line that is not UTF-8 is an error of its own and the next
/// lines are still read; a read error ends the stream.
pub struct JsonLines<R> {
    reader: R,
    path: String,
    line: usize,
    /// Bytes read so far: where the next line starts in the stream.
    offset: usize,
    done: bool,
}

/// The records of a JSON Lines file.
pub fn json_lines(path: &Path) -> Result<JsonLines<BufReader<fs::File>>, ReadError> {
    let source = path.display().to_string();
    let file = fs::File::open(path).map_err(|error| ReadError::Io {
        path: source.clone(),
        error,
    })?;
    Ok(JsonLines::new(BufReader::new(file), &source))
}

impl<R: BufRead> JsonLines<R> {
    /// The records of a stream named `path` in messages (`stdin`).
    pub fn new(reader: R, path: &str) -> JsonLines<R> {
        JsonLines {
            reader,
            path: path.to_string(),
            line: 0,
            offset: 0,
            done: false,
        }
    }

    /// The next line's bytes without its line end; `None` at the end of the stream.
    fn next_line(&mut self) -> Option<Result<Vec<u8>, ReadError>> {
        let mut bytes = Vec::new();
        match self.reader.read_until(b'\n', &mut bytes) {
            Ok(0) => None,
            Ok(n) => {
                self.line += 1;
                self.offset += n;
                while bytes.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
                    bytes.pop();
                }
                Some(Ok(bytes))
            }
            Err(error) => {
                self.done = true;
                let path = self.path.clone();
                Some(Err(ReadError::Io { path, error }))
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let start = self.offset;
            let bytes = match self.next_line()? {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    return Some(Err(ReadError::BrokenUtf8 {
                        path: self.path.clone(),
                        line: self.line,
                        offset: start + e.utf8_error().valid_up_to(),
                    }));
                }
            };
            let text = match self.line {
                1 => text
                    .strip_prefix('\u{FEFF}')
                    .map(str::to_string)
                    .unwrap_or(text),
                _ => text,
            };
            if !text.trim().is_empty() {
                let (path, line) = (self.path.clone(), self.line);
                return Some(Ok(Record { path, line, text }));
            }
        }
        None
    }
}

/// Text with the byte offset of each character (and of the end) in the original bytes.
struct Decoded {
    text: String,
    encoding: &'static Encoding,
    byte_offsets: Vec<u32>,
}

/// No byte order mark and no encoding given: binary data is reported before any guess (a
/// guess would call it undecodable), then UTF-8, then `chardetng`.
fn detect(bytes: &[u8], path: &str) -> Result<Decoded, ReadError> {
    if let Some(offset) = binary_offset(bytes) {
        let path = path.to_string();
        return Err(ReadError::Binary { path, offset });
    }
    if std::str::from_utf8(bytes).is_ok() || looks_like_utf8(bytes) {
        return decode_in(bytes, encoding_rs::UTF_8, path);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    decode_in(bytes, detector.guess(None, false), path)
}

/// Decodes in a known encoding, skipping its byte order mark; a malformed sequence is an error
/// with its line and byte offset.
fn decode_in(bytes: &[u8], encoding: &'static Encoding, path: &str) -> Result<Decoded, ReadError> {
    let bom = match Encoding::for_bom(bytes) {
        Some((e, len)) if e == encoding => len,
        _ => 0,
    };
    let body = &bytes[bom..];
    let text = strict_decode(body, encoding).map_err(|(prefix, at)| {
        let (line, offset) = (prefix.matches('\n').count() + 1, bom + at);
        let path = path.to_string();
        if encoding == encoding_rs::UTF_8 {
            ReadError::BrokenUtf8 { path, line, offset }
        } else {
            let encoding = encoding.name();
            ReadError::Undecodable {
                path,
                encoding,
                line,
                offset,
            }
        }
    })?;
    let byte_offsets = offsets(&text, encoding, bytes, bom);
    Ok(Decoded {
        text,
        encoding,
        byte_offsets,
    })
}

/// The text, or the text decoded before the first malformed sequence and that sequence's
/// offset in `body`.
fn strict_decode(body: &[u8], encoding: &'static Encoding) -> Result<String, (String, usize)> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .unwrap_or(body.len());
    let mut text = String::with_capacity(capacity);
    let mut read = 0;
    loop {
        let (result, n) =
            decoder.decode_to_string_without_replacement(&body[read..], &mut text, true);
        read += n;
        match result {
            DecoderResult::InputEmpty => return Ok(text),
            DecoderResult::OutputFull => text.reserve(body.len() - read + 16),
            DecoderResult::Malformed(bad, after) => {
                let at = read.saturating_sub(bad as usize + after as usize);
                return Err((text, at));
            }
        }
    }
}

/// Byte offset of each character, and the file length after them. UTF-8 and UTF-16 by their
/// code units; other encodings by decoding the bytes again one at a time, each character
/// starting where the bytes after the character before it start. Re-encoding would not do: a
/// character may be written two ways (GBK's `€` is the byte 0x80 or GB18030's A2E3), and two
/// bytes of Big5 may decode to two characters, which then share their start.
fn offsets(text: &str, encoding: &'static Encoding, bytes: &[u8], bom: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(text.len() + 1);
    let width: fn(char) -> usize = if encoding == encoding_rs::UTF_8 {
        char::len_utf8
    } else if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        |c| 2 * c.len_utf16()
    } else {
        let mut decoder = encoding.new_decoder_without_bom_handling();
        let mut chars = String::with_capacity(32);
        let mut start = bom;
        let body = &bytes[bom..];
        for (i, b) in body.iter().enumerate() {
            chars.clear();
            let last = i + 1 == body.len();
            let _ = decoder.decode_to_string_without_replacement(
                std::slice::from_ref(b),
                &mut chars,
                last,
            );
            if !chars.is_empty() {
                out.extend(chars.chars().map(|_| start as u32));
                start = bom + i + 1;
            }
        }
        out.push(bytes.len() as u32);
        debug_assert_eq!(out.len(), text.chars().count() + 1);
        return out;
    };
    let mut pos = bom;
    for c in text.chars() {
        out.push(pos as u32);
        pos += width(c);
    }
    out.push(bytes.len() as u32);
    out
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

/// The same test on decoded text, for encodings whose bytes hide it (UTF-16): the index of the
/// first NUL, or of the first control character when they are more than a tenth of the start.
fn binary_char(text: &str) -> Option<usize> {
    if let Some(i) = text.chars().position(|c| c == '\0') {
        return Some(i);
    }
    let control = |c: &char| *c < ' ' && !matches!(c, '\n' | '\r' | '\t' | '\x0C');
    let sample: Vec<char> = text.chars().take(8192).collect();
    let count = sample.iter().filter(|c| control(c)).count();
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
