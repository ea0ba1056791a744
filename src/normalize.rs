//! Repairs the characters of a decoded text without changing its line structure: dash
//! variants become `—`, full-width digits and letters become ASCII, no-break and ideographic
//! spaces become plain spaces, corner brackets become quotes, zero-width characters and
//! carriage returns go; then traditional characters become simplified (OpenCC `t2s`), so
//! rules are written in simplified script only.
//!
//! Invariant: every character of the clean text maps to the character of the decoded text it
//! came from (`Normalized::origin`), so later stages can report offsets into the original.

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

/// Clean text plus, for each of its characters, the index of the source character.
#[derive(Clone, Debug, Default)]
pub struct Normalized {
    pub text: String,
    /// `origin[i]` is the character index in the decoded text of clean character `i`;
    /// one extra entry holds the length of the decoded text.
    pub origin: Vec<usize>,
}

/// Words of Taiwan and Hong Kong usage and their mainland forms (simplified script, same
/// length), applied to lines written in traditional script only.
#[derive(Clone, Debug, Default)]
pub struct Regional {
    automaton: Option<aho_corasick::AhoCorasick>,
    replacements: Vec<String>,
}

impl Regional {
    /// `pairs` must have the same number of characters on both sides (the character map stays
    /// exact); the rules loader checks it.
    pub fn new(pairs: &[(String, String)]) -> Regional {
        if pairs.is_empty() {
            return Regional::default();
        }
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(pairs.iter().map(|(from, _)| from.as_str()))
            .ok();
        Regional {
            automaton,
            replacements: pairs.iter().map(|(_, to)| to.clone()).collect(),
        }
    }

    /// `line` with every regional word replaced by its mainland form.
    pub fn apply(&self, line: &str) -> String {
        match &self.automaton {
            Some(ac) => {
                let mut out = String::with_capacity(line.len());
                ac.replace_all_with(line, &mut out, |m, _, dst| {
                    dst.push_str(&self.replacements[m.pattern().as_usize()]);
                    true
                });
                out
            }
            None => line.to_string(),
        }
    }
}

pub fn normalize(decoded: &str) -> Normalized {
    normalize_with(decoded, &Regional::default())
}

/// Like [`normalize`], with regional vocabulary (`视讯` → `视频`) for lines in traditional script.
pub fn normalize_with(decoded: &str, regional: &Regional) -> Normalized {
    let chars: Vec<char> = decoded.chars().collect();
    let mut text = String::with_capacity(decoded.len());
    let mut origin = Vec::with_capacity(chars.len() + 1);
    let wide_parens = paired_parens_in_chinese(&chars);
    let wide_quotes = paired_quotes_in_chinese(&chars);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let out = match c {
            '(' if wide_parens.contains(&i) => Some('（'),
            ')' if wide_parens.contains(&i) => Some('）'),
            '"' => match wide_quotes.binary_search_by_key(&i, |&(j, _)| j) {
                Ok(k) => Some(wide_quotes[k].1),
                Err(_) => Some(c),
            },
            _ => repair(c, prev, next),
        };
        if let Some(out) = out {
            text.push(out);
            origin.push(i);
        }
    }
    origin.push(chars.len());
    Normalized {
        text: to_simplified(&text, regional),
        origin,
    }
}

/// Traditional → simplified. OpenCC's t2s tables map phrases to phrases of the same length,
/// so the character map stays valid; a line where that does not hold is converted character
/// by character instead.
fn to_simplified(text: &str, regional: &Regional) -> String {
    static T2S: OnceLock<Option<OpenCC>> = OnceLock::new();
    let Some(cc) = T2S.get_or_init(|| OpenCC::from_config(BuiltinConfig::T2s).ok()) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let converted = cc.convert(line);
        if converted == line {
            out.push_str(line);
        } else if converted.chars().count() == line.chars().count() {
            out.push_str(&regional.apply(&converted));
        } else {
            out.extend(by_character(cc, line));
        }
    }
    out
}

/// `text` converted one character at a time, so it keeps its length: a character the
/// conversion would turn into several stays as it is.
pub fn by_character<'a>(cc: &'a OpenCC, text: &'a str) -> impl Iterator<Item = char> + 'a {
    text.chars().map(|c| {
        let mut buf = [0u8; 4];
        let one = cc.convert(c.encode_utf8(&mut buf));
        let mut it = one.chars();
        match (it.next(), it.next()) {
            (Some(s), None) => s,
            _ => c,
        }
    })
}

/// Indices of the ASCII parentheses of pairs (on one line) that open after or hold Chinese
/// text: `(以下简称“东盟”)` and `首脑(总理)` become full-width like the rest of the sentence,
/// `(COVID-19)` in an English aside stays as it is.
fn paired_parens_in_chinese(chars: &[char]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\n' => open.clear(),
            '(' => open.push(i),
            ')' => {
                if let Some(j) = open.pop() {
                    let before = j.checked_sub(1).map(|k| chars[k]);
                    let after = chars.get(i + 1).copied();
                    let inside = chars[j + 1..i].iter().any(|&c| is_cjk(c));
                    if inside || is_chinese_context(before) || is_chinese_context(after) {
                        out.push(j);
                        out.push(i);
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out
}

/// The ASCII double quotes of pairs (on one line, taken in order) that hold Chinese text,
/// with the curly quote each becomes: `加入"全球饥饿与贫困联盟"` reads like `加入“…”`, so
/// names in quotes are the names the rules know; `"COVID-19"` in Latin text stays.
fn paired_quotes_in_chinese(chars: &[char]) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, &c) in chars.iter().enumerate() {
        match (c, open) {
            ('\n', _) => open = None,
            ('"', None) => open = Some(i),
            ('"', Some(j)) => {
                if chars[j + 1..i].iter().any(|&c| is_cjk(c)) {
                    out.push((j, '“'));
                    out.push((i, '”'));
                }
                open = None;
            }
            _ => {}
        }
    }
    out
}

/// An ideograph or full-width punctuation: a half-width mark beside one belongs to Chinese
/// text.
fn is_chinese_context(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        is_cjk(c)
            || matches!(
                c,
                '，' | '。' | '、' | '；' | '：' | '“' | '”' | '《' | '》' | '（' | '）'
            )
    })
}

/// Half-width `, : ; ! ?` beside Chinese text become full-width (`16日,金砖国家…`), so rules
/// see one comma; between digits (`1,000`, `12:30`) or in Latin text they stay.
fn widen_punctuation(c: char, prev: Option<char>, next: Option<char>) -> Option<char> {
    let wide = match c {
        ',' => '，',
        ':' => '：',
        ';' => '；',
        '!' => '！',
        '?' => '？',
        _ => return None,
    };
    let digits =
        prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
    let chinese = match c {
        '!' | '?' => is_chinese_context(prev),
        _ => {
            is_chinese_context(prev)
                || is_chinese_context(next)
                || next.is_some_and(|n| n == ' ') && is_chinese_context(prev)
        }
    };
    (chinese && !digits).then_some(wide)
}

/// The replacement of one character, or `None` to drop it.
fn repair(c: char, prev: Option<char>, next: Option<char>) -> Option<char> {
    if let Some(wide) = widen_punctuation(c, prev, next) {
        return Some(wide);
    }
    match c {
        '\r' if next == Some('\n') => None,
        '\r' => Some('\n'),
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' => None,
        '「' => Some('“'),
        '」' => Some('”'),
        '『' => Some('‘'),
        '』' => Some('’'),
        '\u{00A0}' | '\u{3000}' | '\t' | '\u{2002}'..='\u{200A}' | '\u{202F}' => Some(' '),
        // Full-width hyphen, en dash, horizontal bar, figure dash: one dash for ranges and
        // compound names (`2019—2021`, `萨雷阿尔卡—2019`).
        '\u{FF0D}' | '\u{2013}' | '\u{2015}' | '\u{2012}' | '\u{2212}' => Some('—'),
        // An ASCII hyphen between digits or CJK is the print layout's dash; between Latin
        // letters it stays a hyphen (`COVID-19`).
        '-' if joins_cjk_or_digits(prev, next) => Some('—'),
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFF10 + '0' as u32)
        }
        _ => Some(c),
    }
}

fn joins_cjk_or_digits(prev: Option<char>, next: Option<char>) -> bool {
    let wide = |c: Option<char>| {
        c.is_some_and(|c| c.is_ascii_digit() || is_cjk(c) || c == '”' || c == '“')
    };
    (wide(prev) || prev.is_some_and(char::is_whitespace))
        && (wide(next) || next == Some('\n'))
        && !(prev.is_some_and(|c| c.is_ascii_alphabetic())
            || next.is_some_and(|c| c.is_ascii_alphabetic()))
}

/// Han ideographs (the blocks the genre uses).
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        assert_eq!(normalize(input).text, expect, "input {input:?}");
    }

    #[test]
    fn repairs() {
        check("萨雷阿尔卡－2019", "萨雷阿尔卡—2019");
        check("“团结协作 2019-\n2021”", "“团结协作 2019—\n2021”");
        check("2018-2023年", "2018—2023年");
        check("COVID-19", "COVID-19");
        check("a\r\nb\rc", "a\nb\nc");
        check("　　成员国\u{00A0}\u{00A0}", "  成员国  ");
        check("２０２０年", "2020年");
        check("上合\u{200B}组织", "上合组织");
        check(
            "上海合作組織成員國元首理事會",
            "上海合作组织成员国元首理事会",
        );
        check(
            "習近平出席撒馬爾罕峰會。\n「一帶一路」",
            "习近平出席撒马尔罕峰会。\n“一带一路”",
        );
        check("中國－中亞峰會", "中国—中亚峰会");
        check("16日,金砖国家", "16日，金砖国家");
        check("主题是:构建", "主题是：构建");
        check("1,000人", "1,000人");
        check("12:30", "12:30");
        check("首脑(总理)理事会", "首脑（总理）理事会");
        check("联盟(以下简称“东盟”)成员国", "联盟（以下简称“东盟”）成员国");
        check("峰会(10+3)会议", "峰会（10+3）会议");
        check("(COVID-19) vaccine", "(COVID-19) vaccine");
        check("Hello, world", "Hello, world");
        check("成功!", "成功！");
        check(
            "加入\"全球饥饿与贫困联盟\",并",
            "加入“全球饥饿与贫困联盟”，并",
        );
        check("the \"COVID-19\" vaccine", "the \"COVID-19\" vaccine");
        check("\"一带一路\"\n倡议\"", "“一带一路”\n倡议\"");
    }

    #[test]
    fn origin_points_back() {
        let n = normalize("a\r\n\u{200B}b");
        assert_eq!(n.text, "a\nb");
        assert_eq!(n.origin, vec![0, 2, 4, 5]);
    }
}
