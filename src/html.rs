//! Web pages as text: the paragraphs a page shows, without its markup, scripts and navigation.
//!
//! The page is parsed with `scraper` (html5ever, the HTML5 parsing algorithm browsers use), so
//! unclosed tags, entities and broken nesting read as a browser reads them. Block elements
//! (`<p>`, `<div>`, `<h1>`, `<li>`, `<br>`, …) end a line; what a reader never sees as the page's
//! text (`<script>`, `<style>`, `<head>`) and the page's chrome (`<nav>`, `<header>`,
//! `<footer>`, `<aside>`, `<form>`) are dropped, so a site's menu (`上合组织峰会在京举行` as a
//! link) gives no fact. Every character keeps a byte offset into the file: the offset of the same
//! text in the markup when it is written there as is, else (an entity such as `&amp;`) the
//! offset of the text node's start.

use scraper::{Html, Node};

use crate::read::{Document, ReadError};

/// Elements whose content is no part of the page's text.
const DROPPED: &[&str] = &[
    "head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "button", "select", "textarea",
];

/// Elements that begin and end a line of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "hr",
    "body",
];

/// Whether a file is a web page, by its extension (`.html`, `.htm`, any case).
pub fn is_html(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// The encoding a page declares in a `<meta charset>` (or `http-equiv` content type) within
/// its first 1024 bytes, as the HTML standard's prescan reads it; a UTF-16 label means UTF-8
/// there (the bytes were read as ASCII to find it).
pub fn declared_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    static META: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let meta = META.get_or_init(|| {
        regex::bytes::Regex::new(r#"(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
            .expect("the meta charset regex compiles")
    });
    let head = &bytes[..bytes.len().min(1024)];
    let label = meta.captures(head)?.get(1)?.as_bytes();
    let encoding = encoding_rs::Encoding::for_label(label)?;
    Some(
        if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
            encoding_rs::UTF_8
        } else {
            encoding
        },
    )
}

/// The text a decoded page shows, one block per line, with byte offsets into the file.
pub fn page_text(page: Document) -> Result<Document, ReadError> {
    let html = Html::parse_document(&page.text);
    let mut text = Text::new(&page);
    let mut dropped = 0usize;
    for edge in html.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Element(e) if DROPPED.contains(&e.name()) => dropped += 1,
                Node::Element(e) if dropped == 0 && BLOCKS.contains(&e.name()) => text.line_end(),
                Node::Text(t) if dropped == 0 => text.push(&t.text),
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => match node.value() {
                Node::Element(e) if DROPPED.contains(&e.name()) => dropped -= 1,
                Node::Element(e) if dropped == 0 && BLOCKS.contains(&e.name()) => text.line_end(),
                _ => {}
            },
        }
    }
    if text.out.trim().is_empty() {
        return Err(ReadError::Empty { path: page.source });
    }
    let end = page.byte_offsets.last().copied().unwrap_or(0);
    let mut offsets = text.offsets;
    offsets.push(end);
    Ok(Document {
        text: text.out,
        byte_offsets: offsets,
        ..page
    })
}

/// The text being written, and where in the markup it was read.
struct Text<'a> {
    page: &'a Document,
    /// Byte index in `page.text` of each character, for finding text nodes in the markup.
    starts: Vec<usize>,
    /// Character index in `page.text` after the last text node found there.
    cursor: usize,
    out: String,
    offsets: Vec<u32>,
}

impl<'a> Text<'a> {
    fn new(page: &'a Document) -> Text<'a> {
        Text {
            page,
            starts: page.text.char_indices().map(|(b, _)| b).collect(),
            cursor: 0,
            out: String::new(),
            offsets: Vec::new(),
        }
    }

    fn offset_at(&self, char_index: usize) -> u32 {
        self.page.byte_offsets[char_index.min(self.page.byte_offsets.len() - 1)]
    }

    /// A text node: white space of the markup's layout becomes one space each (the segmenter
    /// closes up spaces between ideographs).
    fn push(&mut self, t: &str) {
        let from = self
            .starts
            .get(self.cursor)
            .copied()
            .unwrap_or(self.page.text.len());
        let found = self.page.text[from..].find(t).map(|b| {
            let start = self.starts.partition_point(|&s| s < from + b);
            (start, start + t.chars().count())
        });
        for (i, c) in t.chars().enumerate() {
            let offset = match found {
                Some((start, _)) => self.offset_at(start + i),
                None => self.offset_at(self.cursor),
            };
            self.out.push(if c.is_whitespace() { ' ' } else { c });
            self.offsets.push(offset);
        }
        if let Some((_, end)) = found {
            self.cursor = end;
        }
    }

    fn line_end(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
            self.offsets.push(self.offset_at(self.cursor));
        }
    }
}
