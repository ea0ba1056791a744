//! Cuts a normalized text into titled sections, paragraphs and sentences, repairing the print
//! layout on the way: lines wrapped mid-word are joined, blank lines inside a sentence are
//! ignored, spaced digits are closed up, page markers and section headings are taken out of
//! the running text.
//!
//! Invariant: every character of a paragraph's text maps back to a character of the decoded
//! file (`Paragraph::origin`); layout repair never loses a character of running text.

use std::ops::Range;

use crate::normalize::{Normalized, is_cjk};
use crate::rules::Layout;

/// Characters that end a sentence.
const TERMINALS: &[char] = &['。', '！', '？', '!', '?'];
/// Closers that may follow a terminal inside the same sentence.
const CLOSERS: &[char] = &['”', '’', '）', ')', '」', '』', '》'];
/// Punctuation that a heading or title line never contains.
const PUNCTUATION: &[char] = &[
    '。', '，', '、', '；', '：', '！', '？', ',', ';', ':', '“', '”', '（', '）',
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParagraphKind {
    /// Running text: relation rules apply.
    Body,
    /// A signature line: office and name separated by spaces.
    Signature,
    /// A line holding only a date (the date of the signature block).
    DateLine,
    /// A news agency dateline: neither place nor date of anything in the text.
    Dateline,
}

#[derive(Clone, Debug)]
pub struct Paragraph {
    /// One-based paragraph number within the document.
    pub number: usize,
    pub section: Option<String>,
    pub kind: ParagraphKind,
    pub text: String,
    /// Character index in the decoded file of each character of `text`, plus an end entry.
    pub origin: Vec<usize>,
    /// Sentences as character ranges of `text`.
    pub sentences: Vec<Range<usize>>,
    /// The paragraph before ended where a wrapped line of full width ended with `。`: the break
    /// may be no paragraph break at all, only the end of a printed line.
    pub may_continue: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Segmented {
    pub title: Option<String>,
    pub paragraphs: Vec<Paragraph>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum LineKind {
    Blank,
    Marker,
    Title,
    Heading,
    Signature,
    Dateline,
    Text,
}

struct Line {
    /// Characters of the trimmed line with their index in the normalized text.
    chars: Vec<(char, usize)>,
    kind: LineKind,
}

impl Line {
    fn text(&self) -> String {
        self.chars.iter().map(|(c, _)| c).collect()
    }
    fn len(&self) -> usize {
        self.chars.len()
    }
    fn ends_with_colon(&self) -> bool {
        self.chars
            .last()
            .is_some_and(|(c, _)| matches!(c, '：' | ':'))
    }
    fn ends_sentence(&self) -> bool {
        let mut rev = self
            .chars
            .iter()
            .rev()
            .map(|(c, _)| *c)
            .skip_while(|c| CLOSERS.contains(c));
        rev.next().is_some_and(|c| TERMINALS.contains(&c))
    }
}

/// `is_date_line` tells whether a line is only a date; it comes from the date patterns, which
/// belong to the rules, not to this module.
pub fn segment(n: &Normalized, layout: &Layout, is_date_line: &dyn Fn(&str) -> bool) -> Segmented {
    let mut lines = unfold_columns(split_lines(n));
    let width = wrap_width(&lines);
    classify(&mut lines, layout, is_date_line, width);
    let wrapped = is_wrapped(&lines, width);
    let mut b = Paragraphs {
        out: Segmented::default(),
        section: None,
        n,
        layout,
        may_continue: false,
    };
    let mut current: Vec<(char, usize)> = Vec::new();
    for line in &lines {
        match line.kind {
            LineKind::Blank | LineKind::Marker => continue,
            LineKind::Title => b.out.title = Some(line.text()),
            LineKind::Heading => {
                b.flush(&mut current, ParagraphKind::Body);
                b.may_continue = false;
                b.section = Some(line.text());
            }
            LineKind::Signature | LineKind::Dateline => {
                b.flush(&mut current, ParagraphKind::Body);
                let kind = if line.kind == LineKind::Signature {
                    ParagraphKind::Signature
                } else if is_date_line(&line.text()) {
                    ParagraphKind::DateLine
                } else {
                    ParagraphKind::Dateline
                };
                b.flush(&mut line.chars.clone(), kind);
            }
            LineKind::Text => {
                current.extend_from_slice(&line.chars);
                if !wrapped || line.ends_sentence() {
                    b.flush(&mut current, ParagraphKind::Body);
                    b.may_continue = wrapped && width == Some(line.len());
                }
            }
        }
    }
    b.flush(&mut current, ParagraphKind::Body);
    b.out
}

/// Paragraphs being assembled, and what they need to know.
struct Paragraphs<'a> {
    out: Segmented,
    section: Option<String>,
    n: &'a Normalized,
    layout: &'a Layout,
    /// The next paragraph may continue the one just flushed (see `Paragraph::may_continue`).
    may_continue: bool,
}

fn split_lines(n: &Normalized) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut chars = Vec::new();
    for (i, c) in n.text.chars().enumerate() {
        if c == '\n' {
            lines.push(trimmed(std::mem::take(&mut chars)));
        } else {
            chars.push((c, i));
        }
    }
    lines.push(trimmed(chars));
    lines
}

/// A signature block set in columns, offices on one line and names under them
/// (`中华人民共和国主席　　塔吉克斯坦共和国总统` / `习近平　　埃·拉赫蒙`), becomes one line per
/// signer, office and name, as a block set in rows reads: the columns are cells two or more
/// spaces apart, as many on both lines, each short and without punctuation, the offices above
/// longer than the names below.
fn unfold_columns(lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len());
    let mut lines = lines.into_iter().peekable();
    while let Some(line) = lines.next() {
        let Some(heads) = columns(&line) else {
            out.push(line);
            continue;
        };
        // A copy that sets each line as a paragraph has a blank line between offices and names.
        let blank = lines.next_if(|l| l.kind == LineKind::Blank);
        match lines.peek().and_then(columns) {
            Some(names) if heads.len() == names.len() && shortest(&heads) > longest(&names) => {
                lines.next();
                for (head, name) in heads.into_iter().zip(names) {
                    let gap = (' ', name[0].1);
                    let chars = head.into_iter().chain([gap]).chain(name).collect();
                    out.push(Line {
                        chars,
                        kind: LineKind::Text,
                    });
                }
            }
            _ => out.extend([line].into_iter().chain(blank)),
        }
    }
    out
}

/// The length of the shortest cell: every office above is longer than every name below it,
/// which tells columns from rows of office and name (`印度共和国总理    莫迪`).
fn shortest(cells: &[Vec<(char, usize)>]) -> usize {
    cells.iter().map(Vec::len).min().unwrap_or(0)
}

fn longest(cells: &[Vec<(char, usize)>]) -> usize {
    cells.iter().map(Vec::len).max().unwrap_or(0)
}

/// The cells of a line set in columns: two or more, two or more spaces apart, each of 2 to 40
/// characters without a space or punctuation but the 、 between offices
/// (`国务大臣、内阁成员兼国家安全顾问`).
fn columns(line: &Line) -> Option<Vec<Vec<(char, usize)>>> {
    let mut cells: Vec<Vec<(char, usize)>> = vec![Vec::new()];
    let mut spaces = 0;
    for &(c, pos) in &line.chars {
        if c.is_whitespace() {
            spaces += 1;
            continue;
        }
        if spaces == 1
            || c.is_ascii_punctuation()
            || TERMINALS.contains(&c)
            || "，；：（）《》“”".contains(c)
            || (c == '、' && spaces > 0)
        {
            return None;
        }
        if spaces >= 2 {
            cells.push(Vec::new());
        }
        spaces = 0;
        cells.last_mut()?.push((c, pos));
    }
    let fits = cells
        .iter()
        .all(|cell| (2..=40).contains(&cell.len()) && cell.last().is_some_and(|&(c, _)| c != '、'));
    (cells.len() >= 2 && fits).then_some(cells)
}

fn trimmed(mut chars: Vec<(char, usize)>) -> Line {
    while chars.last().is_some_and(|(c, _)| c.is_whitespace()) {
        chars.pop();
    }
    let lead = chars.iter().take_while(|(c, _)| c.is_whitespace()).count();
    chars.drain(..lead);
    let kind = if chars.is_empty() {
        LineKind::Blank
    } else {
        LineKind::Text
    };
    Line { chars, kind }
}

/// The width a print layout wraps its lines at: the most frequent length of the lines that end
/// no sentence, when at least a third of them (and three) have it. A line of that width is a
/// piece of a paragraph, never a title or heading, however short the column
/// (`成员国高度评价上海合`).
fn wrap_width(lines: &[Line]) -> Option<usize> {
    let mut counts = std::collections::BTreeMap::new();
    let mut total = 0;
    for l in lines
        .iter()
        .filter(|l| l.kind != LineKind::Blank && !l.ends_sentence())
    {
        *counts.entry(l.len()).or_insert(0usize) += 1;
        total += 1;
    }
    let (&width, &n) = counts.iter().max_by_key(|&(len, n)| (*n, *len))?;
    (n >= 3 && n * 3 >= total && width >= 6).then_some(width)
}

fn classify(
    lines: &mut [Line],
    layout: &Layout,
    is_date_line: &dyn Fn(&str) -> bool,
    width: Option<usize>,
) {
    let mut seen_text = false;
    let mut prev_ends = true;
    // A signature block may open right after `声明如下：` in an excerpt.
    let mut after_colon = false;
    for i in 0..lines.len() {
        if lines[i].kind == LineKind::Blank {
            continue;
        }
        let text = lines[i].text();
        let piece = width == Some(lines[i].len());
        let standalone = prev_ends && !piece;
        let kind = if layout.page_markers.iter().any(|re| re.is_match(&text)) {
            LineKind::Marker
        } else if piece && !prev_ends {
            // Mid-paragraph, a line of full width goes on with the text, even when it holds
            // only a date (`2020年10月29日` of `…积极评价` / `2020年10月29日` / `至31日在…`).
            LineKind::Text
        } else if layout.datelines.iter().any(|re| re.is_match(&text)) || is_date_line(&text) {
            LineKind::Dateline
        } else if (prev_ends || after_colon) && is_signature(&lines[i]) {
            LineKind::Signature
        } else if !seen_text && !piece && is_title(&lines[i]) {
            LineKind::Title
        } else if standalone && is_heading(&lines[i], layout) && has_text_after(lines, i) {
            LineKind::Heading
        } else {
            LineKind::Text
        };
        lines[i].kind = kind;
        seen_text |= kind != LineKind::Marker;
        prev_ends = kind != LineKind::Text || lines[i].ends_sentence();
        after_colon = lines[i].ends_with_colon();
    }
}

/// Office and name separated by a gap between two ideographs (`印度共和国总理  莫迪`).
fn is_signature(line: &Line) -> bool {
    let c = &line.chars;
    line.len() <= 40
        && !c
            .iter()
            .any(|(ch, _)| matches!(ch, '。' | '，' | '；' | '：') || TERMINALS.contains(ch))
        && c.windows(3).any(|w| is_cjk(w[0].0) && w[1].0 == ' ')
        && c.iter()
            .rev()
            .take_while(|(ch, _)| *ch != ' ')
            .all(|(ch, _)| is_cjk(*ch) || *ch == '·')
}

/// A short line without punctuation, but for a closing word in brackets (`…利雅得宣言（全文）`).
/// A note that gives a date and a place (`（2024年6月10日，下诺夫哥罗德）`) is text the rules
/// read.
fn is_title(line: &Line) -> bool {
    let chars: Vec<char> = line.chars.iter().map(|(c, _)| *c).collect();
    let name = match (chars.last(), chars.iter().rposition(|&c| c == '（')) {
        (Some('）'), Some(open)) if open > 0 && chars.len() - open <= 12 => &chars[..open],
        _ => &chars[..],
    };
    let bare = |c: &char| !PUNCTUATION.contains(c) && !TERMINALS.contains(c);
    let note = &chars[name.len()..];
    let note_is_a_word = note.len() < 2 || note[1..note.len() - 1].iter().all(bare);
    line.len() <= 60 && note_is_a_word && name.iter().all(bare)
}

fn is_heading(line: &Line, layout: &Layout) -> bool {
    line.len() <= layout.heading_max_chars
        && line.chars.first().is_some_and(|(c, _)| is_cjk(*c))
        && !line
            .chars
            .iter()
            .any(|(c, _)| PUNCTUATION.contains(c) || TERMINALS.contains(c) || c.is_whitespace())
}

fn has_text_after(lines: &[Line], i: usize) -> bool {
    lines[i + 1..]
        .iter()
        .any(|l| l.kind != LineKind::Blank && l.len() > 0)
}

/// Text lines mostly ending without a terminal mean the print layout: lines are wrapped and
/// must be joined; otherwise each line is a paragraph.
fn is_wrapped(lines: &[Line], width: Option<usize>) -> bool {
    // Narrow columns (a newspaper's 12 characters) count as long lines too.
    let long_line = width.map_or(15, |w| w.min(15));
    let long: Vec<&Line> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Text && l.len() >= long_line)
        .collect();
    // A line that ends with a colon (`一致同意如下：`) ends its paragraph too.
    let open = long
        .iter()
        .filter(|l| !l.ends_sentence() && !l.ends_with_colon())
        .count();
    !long.is_empty() && open * 10 >= long.len() * 3
}

impl Paragraphs<'_> {
    /// Ends the paragraph being assembled from `chars` (emptied), if any.
    fn flush(&mut self, chars: &mut Vec<(char, usize)>, kind: ParagraphKind) {
        if chars.is_empty() {
            return;
        }
        let mut joined = close_up(std::mem::take(chars), kind == ParagraphKind::Signature);
        if kind == ParagraphKind::Body {
            cut_datelines(&mut joined, self.layout);
            cut_asides(&mut joined, self.layout);
        }
        if joined.is_empty() {
            return;
        }
        let text: String = joined.iter().map(|(c, _)| c).collect();
        let origin_of = &self.n.origin;
        let mut origin: Vec<usize> = joined.iter().map(|(_, i)| origin_of[*i]).collect();
        origin.push(joined.last().map_or(0, |(_, i)| origin_of[*i + 1]));
        let sentences = if kind == ParagraphKind::Body {
            split_sentences(&text)
        } else {
            std::iter::once(0..joined.len()).collect()
        };
        self.out.paragraphs.push(Paragraph {
            number: self.out.paragraphs.len() + 1,
            section: self.section.clone(),
            kind,
            text,
            origin,
            sentences,
            may_continue: std::mem::take(&mut self.may_continue),
        });
    }
}

/// Removes the news datelines that open or close a paragraph: a paper's credit may come before
/// the reporters' (`【文匯報訊】（記者 葛沖 北京報道）`), so cutting goes on while one is cut.
fn cut_datelines(chars: &mut Vec<(char, usize)>, layout: &Layout) {
    for _ in 0..MAX_DATELINE_AFFIXES {
        if !cut_dateline(chars, layout) {
            return;
        }
    }
}

/// The most dateline pieces one paragraph is read to have.
const MAX_DATELINE_AFFIXES: usize = 4;

/// Removes one dateline piece at the start or end of a paragraph; whether one was found.
fn cut_dateline(chars: &mut Vec<(char, usize)>, layout: &Layout) -> bool {
    let text: String = chars.iter().map(|(c, _)| c).collect();
    for re in &layout.dateline_affixes {
        if let Some(m) = re.find(&text) {
            let start = text[..m.start()].chars().count();
            let end = text[..m.end()].chars().count();
            if start == 0 || end == chars.len() {
                chars.drain(start..end);
                let lead = chars.iter().take_while(|(c, _)| c.is_whitespace()).count();
                chars.drain(..lead);
                return true;
            }
        }
    }
    false
}

/// Removes asides (`（Vladimir Putin）`) wherever they stand.
fn cut_asides(chars: &mut Vec<(char, usize)>, layout: &Layout) {
    for re in &layout.asides {
        let text: String = chars.iter().map(|(c, _)| c).collect();
        let mut spans: Vec<(usize, usize)> = re
            .find_iter(&text)
            .map(|m| {
                (
                    text[..m.start()].chars().count(),
                    text[..m.end()].chars().count(),
                )
            })
            .collect();
        spans.reverse();
        for (start, end) in spans {
            chars.drain(start..end);
        }
    }
}

/// Drops the spaces the layout put between ideographs and digits (`2020年 3月 2日`); keeps a
/// space between Latin words, and one space as the separator of a signature line.
fn close_up(chars: Vec<(char, usize)>, keep_one: bool) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::with_capacity(chars.len());
    for (i, &(c, pos)) in chars.iter().enumerate() {
        if c != ' ' {
            out.push((c, pos));
            continue;
        }
        let prev = out.last().map(|(c, _)| *c);
        let next = chars[i + 1..].iter().map(|(c, _)| *c).find(|c| *c != ' ');
        let latin = |c: Option<char>| {
            c.is_some_and(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation())
        };
        let keep = (latin(prev) && latin(next)) || keep_one;
        if keep && prev.is_some_and(|p| p != ' ') {
            out.push((' ', pos));
        }
    }
    out
}

fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        if TERMINALS.contains(&chars[i]) {
            let mut end = i + 1;
            while end < chars.len()
                && (CLOSERS.contains(&chars[end]) || TERMINALS.contains(&chars[end]))
            {
                end += 1;
            }
            out.push(start..end);
            start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    if start < chars.len() {
        out.push(start..chars.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn seg(text: &str) -> Segmented {
        let layout = Layout {
            heading_max_chars: 12,
            ..Layout::default()
        };
        segment(&normalize(text), &layout, &|l| {
            l.starts_with("2020年") && l.ends_with('日')
        })
    }

    /// The texts of the paragraphs, in order.
    fn paragraph_texts(s: &Segmented) -> Vec<&str> {
        s.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn print_layout_is_joined() {
        let s = seg(
            "标题宣言\n\n成员国高度评价“团结协作 2019-\n2021”第一、第二阶段边防特别行动，成员\n\n国主管机关联合反恐\n演习。\n下一段。\n\n经贸合作\n\n成员国将落实 2018\n年 6月 10日签署的文件。\n",
        );
        let texts = paragraph_texts(&s);
        assert_eq!(s.title.as_deref(), Some("标题宣言"));
        assert_eq!(
            texts,
            [
                "成员国高度评价“团结协作2019—2021”第一、第二阶段边防特别行动，成员国主管机关联合反恐演习。",
                "下一段。",
                "成员国将落实2018年6月10日签署的文件。"
            ]
        );
        assert_eq!(s.paragraphs[2].section.as_deref(), Some("经贸合作"));
        assert_eq!(s.paragraphs[0].section, None);
    }

    #[test]
    fn declaration_title_with_a_note_and_a_preamble_ending_in_a_colon() {
        let s = seg(
            "首届中阿峰会利雅得宣言(全文)\n\n我们,中华人民共和国和阿拉伯国家联盟成员国领导人,于2022年12月9日在利雅得举行峰会,一致同意如下:\n\n三、阿方重申恪守一个中国原则,支持中方在台湾问题上的立场。\n\n五、双方对也门局势表示关切。\n",
        );
        assert_eq!(s.title.as_deref(), Some("首届中阿峰会利雅得宣言（全文）"));
        let starts: Vec<&str> = s.paragraphs.iter().map(|p| &p.text[..6]).collect();
        assert_eq!(starts, ["我们", "三、", "五、"]);
    }

    #[test]
    fn a_signature_block_set_in_columns_reads_as_rows() {
        // Columns: offices above, names below, each signer becomes a line of their own.
        let s = seg(
            "双方将深化合作。\n中华人民共和国主席\u{3000}\u{3000}塔吉克斯坦共和国总统\n习近平\u{3000}\u{3000}\u{3000}\u{3000}埃·拉赫蒙\n",
        );
        let texts: Vec<(&str, ParagraphKind)> = s
            .paragraphs
            .iter()
            .map(|p| (p.text.as_str(), p.kind))
            .collect();
        assert_eq!(
            texts,
            [
                ("双方将深化合作。", ParagraphKind::Body),
                ("中华人民共和国主席 习近平", ParagraphKind::Signature),
                ("塔吉克斯坦共和国总统 埃·拉赫蒙", ParagraphKind::Signature),
            ]
        );
        // Each line a paragraph of its own, offices joined by 、 and 兼.
        let s = seg(
            "三方宣布恢复外交关系。\n\n中华人民共和国中共中央政治局委员、中央外事工作委员会办公室主任\u{3000}\u{3000}沙特阿拉伯王国国务大臣、内阁成员兼国家安全顾问\n\n王毅\u{3000}\u{3000}穆萨伊德·本·穆罕默德·艾班\n",
        );
        let texts = paragraph_texts(&s);
        assert_eq!(
            texts,
            [
                "三方宣布恢复外交关系。",
                "中华人民共和国中共中央政治局委员、中央外事工作委员会办公室主任 王毅",
                "沙特阿拉伯王国国务大臣、内阁成员兼国家安全顾问 穆萨伊德·本·穆罕默德·艾班"
            ]
        );
        // Rows of office and name stay as they are.
        let s = seg(
            "双方将深化合作。\n印度共和国总理\u{a0}\u{a0}\u{a0}莫迪\n哈萨克斯坦共和国总统\u{a0}\u{a0}托卡耶夫\n",
        );
        let texts = paragraph_texts(&s);
        assert_eq!(
            texts,
            [
                "双方将深化合作。",
                "印度共和国总理 莫迪",
                "哈萨克斯坦共和国总统 托卡耶夫"
            ]
        );
    }

    #[test]
    fn signature_block_right_after_a_colon() {
        let s = seg(
            "成员国元首举行会议，声明如下：\n印度共和国总理 莫迪\n俄罗斯联邦总统 普京\n2020年11月10日\n",
        );
        let kinds: Vec<ParagraphKind> = s.paragraphs.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ParagraphKind::Body,
                ParagraphKind::Signature,
                ParagraphKind::Signature,
                ParagraphKind::DateLine
            ]
        );
        assert_eq!(s.paragraphs[2].text, "俄罗斯联邦总统 普京");
    }

    #[test]
    fn web_layout_and_signature_block() {
        let s = seg(
            "　　成员国欢迎了。第二个句子？\n　　安全合作\n　　成员国支持。\n　　印度共和国总理\u{a0}\u{a0}\u{a0}莫迪\n　　2020年11月10日  \n",
        );
        let kinds: Vec<ParagraphKind> = s.paragraphs.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ParagraphKind::Body,
                ParagraphKind::Body,
                ParagraphKind::Signature,
                ParagraphKind::DateLine
            ]
        );
        assert_eq!(s.paragraphs[0].sentences, vec![0..7, 7..13]);
        assert_eq!(s.paragraphs[2].text, "印度共和国总理 莫迪");
        assert_eq!(s.title, None);
    }

    #[test]
    fn origin_maps_into_the_file() {
        let text = "成员国\n\n将落实 2018\n年。\n";
        let s = seg(text);
        let p = &s.paragraphs[0];
        let decoded: Vec<char> = text.chars().collect();
        for (i, c) in p.text.chars().enumerate() {
            assert_eq!(decoded[p.origin[i]], c);
        }
    }
}
