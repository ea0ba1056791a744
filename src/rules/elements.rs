//! The top-level elements of a relation pattern (slots, literal words, groups, classes, each
//! with its repetition), and how far into a sentence a pattern's elements match: the "why
//! not" of `accord explain`. A rule that did not fire where its first elements match is a near
//! miss, told by the element after the longest prefix that matches.
//!
//! Invariant: read-only beside the rule compiler; nothing here changes how rules match.

use std::ops::Range;

use regex::Regex;

use super::{Lexicon, Relation, expand_slots};

/// One top-level element of a pattern: as written, and as a regex over encoded sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub source: String,
    pub expanded: String,
    /// Holds a `{name:Type}` slot.
    pub slot: bool,
}

/// How far a relation's pattern matches a sentence it did not fire on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearMiss {
    /// The elements that match, as written (`{who:Person}`, `出席`).
    pub matched: Vec<String>,
    /// The element after them, as written; `None` when the whole pattern matches (the rule's
    /// `exclude` or `reject` dropped the match, or a slot stood for nothing).
    pub failed: Option<String>,
    /// Characters of the encoded sentence that the matching elements cover.
    pub at: Range<usize>,
}

/// Prefix regexes of one relation, compiled once: `prefixes[b][k]` matches the first `k + 1`
/// elements of branch `b` of its top-level alternation.
pub struct Prefixes {
    branches: Vec<Vec<(Regex, bool)>>,
    elements: Vec<Vec<Element>>,
}

impl Prefixes {
    /// `None` when some prefix is no regex of its own (a pattern this splitting does not
    /// understand); such a rule has no near misses.
    pub fn new(relation: &Relation) -> Option<Prefixes> {
        let mut branches = Vec::new();
        for elements in &relation.elements {
            let mut regexes = Vec::new();
            let mut joined = String::new();
            let mut slot = false;
            for e in elements {
                joined.push_str(&e.expanded);
                // An optional slot (`(?:{p:Person}、)?`) may match nothing: no slot matched.
                slot |= e.slot
                    && Regex::new(&format!("^(?:{})$", e.expanded))
                        .is_ok_and(|re| !re.is_match(""));
                regexes.push((Regex::new(&joined).ok()?, slot));
            }
            branches.push(regexes);
        }
        Some(Prefixes {
            branches,
            elements: relation.elements.clone(),
        })
    }

    /// The longest prefix of elements, holding a slot, that matches somewhere in `encoded`,
    /// over every branch.
    pub fn near_miss(&self, encoded: &str) -> Option<NearMiss> {
        let mut best: Option<(usize, NearMiss)> = None;
        for (b, regexes) in self.branches.iter().enumerate() {
            // A regex that matches the first k+1 elements matches the first k too: stop at
            // the first prefix that fails.
            let mut longest = None;
            for (k, (re, slot)) in regexes.iter().enumerate() {
                match re.find(encoded) {
                    Some(m) if *slot && telling(&encoded[m.range()]) => {
                        longest = Some((k, m.range()));
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            let Some((k, bytes)) = longest else {
                continue;
            };
            if best.as_ref().is_some_and(|(n, _)| *n > k) {
                continue;
            }
            let elements = &self.elements[b];
            let chars = |byte: usize| encoded[..byte].chars().count();
            let miss = NearMiss {
                matched: elements[..=k].iter().map(|e| e.source.clone()).collect(),
                failed: elements.get(k + 1).map(|e| e.source.clone()),
                at: chars(bytes.start)..chars(bytes.end),
            };
            best = Some((k, miss));
        }
        best.map(|(_, m)| m)
    }
}

/// Whether a prefix's match says something: a mention and a word or mark beside it, not a
/// mention alone (every sentence that names a state would nearly match `{s:State}…`).
fn telling(matched: &str) -> bool {
    let mention = |c: char| ('\u{E000}'..='\u{F8FF}').contains(&c);
    matched.chars().any(mention) && matched.chars().any(|c| !mention(c))
}

/// The elements of each branch of a pattern's top-level alternation, expanded with `lex`;
/// empty when a piece does not expand on its own.
pub fn elements(pattern: &str, lex: &Lexicon) -> Vec<Vec<Element>> {
    let mut out = Vec::new();
    for branch in split(pattern) {
        let mut elements = Vec::new();
        for source in branch {
            let Ok(expanded) = expand_slots(&source, lex) else {
                return Vec::new();
            };
            let slot = has_slot(&source);
            elements.push(Element {
                source,
                expanded,
                slot,
            });
        }
        out.push(elements);
    }
    out
}

/// Whether a piece of pattern holds a `{name:Type}` slot.
fn has_slot(source: &str) -> bool {
    source.split('{').skip(1).any(|rest| {
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && rest
                .split('}')
                .next()
                .is_some_and(|body| body.contains(':'))
    })
}

/// Splits a pattern as written into branches of top-level elements: a slot or named word
/// (`{who:Person}`, `{offices}`), a group, a class, an escape or a run of literal characters,
/// each with the repetition after it (a repetition takes only the last character of a run).
pub fn split(pattern: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut branches = vec![Vec::new()];
    let mut i = 0;
    // Whether the last element is a run of literal characters that may grow.
    let mut literal_run = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '|' {
            branches.push(Vec::new());
            literal_run = false;
            i += 1;
            continue;
        }
        let end = unit_end(&chars, i);
        let unit: String = chars[i..end].iter().collect();
        let repeat = repetition_end(&chars, end);
        let elements = branches.last_mut().expect("a branch");
        if repeat > end {
            let rep: String = chars[end..repeat].iter().collect();
            elements.push(format!("{unit}{rep}"));
            literal_run = false;
            i = repeat;
            continue;
        }
        let literal = end == i + 1 && !"^$.".contains(c);
        match elements.last_mut() {
            Some(last) if literal && literal_run => last.push(c),
            _ => elements.push(unit),
        }
        literal_run = literal;
        i = end;
    }
    branches
}

/// The end of the unit starting at `i`: a group, a class, a `{slot}`, an escape, one character.
fn unit_end(chars: &[char], i: usize) -> usize {
    match chars[i] {
        '\\' => escape_end(chars, i),
        '[' | '(' => bracket_end(chars, i),
        '{' if chars
            .get(i + 1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') =>
        {
            chars[i..]
                .iter()
                .position(|&c| c == '}')
                .map_or(chars.len(), |p| i + p + 1)
        }
        _ => i + 1,
    }
}

/// `\d`, `\x41`, `\x{E000}`, `\p{Han}`.
fn escape_end(chars: &[char], i: usize) -> usize {
    let Some(&kind) = chars.get(i + 1) else {
        return chars.len();
    };
    if "xpPu".contains(kind) && chars.get(i + 2) == Some(&'{') {
        return chars[i..]
            .iter()
            .position(|&c| c == '}')
            .map_or(chars.len(), |p| i + p + 1);
    }
    if kind == 'x' {
        return (i + 4).min(chars.len());
    }
    if "pP".contains(kind) {
        return (i + 3).min(chars.len());
    }
    i + 2
}

/// The end of a class `[…]` (nested classes and escapes inside; a `]` right after `[` or `[^`
/// is a character of the class) or of a group `(…)` (classes and escapes inside).
fn bracket_end(chars: &[char], i: usize) -> usize {
    let (open, close) = if chars[i] == '[' {
        ('[', ']')
    } else {
        ('(', ')')
    };
    let mut depth = 0;
    let mut j = i;
    while j < chars.len() {
        let c = chars[j];
        if c == '\\' {
            j = escape_end(chars, j);
            continue;
        }
        if open == '(' && c == '[' {
            j = bracket_end(chars, j);
            continue;
        }
        let literal = open == '[' && (j == i + 1 || (j == i + 2 && chars[i + 1] == '^'));
        if c == open {
            depth += 1;
        } else if c == close && !literal {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
        j += 1;
    }
    chars.len()
}

/// The end of the repetition after a unit (`?`, `*`, `+`, `{2}`, `{1,3}`, then a lazy `?`).
fn repetition_end(chars: &[char], i: usize) -> usize {
    let mut j = i;
    match chars.get(j) {
        Some('?' | '*' | '+') => j += 1,
        Some('{') if chars.get(j + 1).is_some_and(char::is_ascii_digit) => {
            match chars[j..].iter().position(|&c| c == '}') {
                Some(p) => j += p + 1,
                None => return i,
            }
        }
        _ => return i,
    }
    if chars.get(j) == Some(&'?') {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn patterns_split_into_their_top_level_elements() {
        let cases: &[(&str, &[&[&str]])] = &[
            (
                "{who:Person}出席{event:Event}",
                &[&["{who:Person}", "出席", "{event:Event}"]],
            ),
            (
                "{s:State}(?:提出|倡议)[^，。]{0,20}?{o:Initiative}",
                &[&[
                    "{s:State}",
                    "(?:提出|倡议)",
                    "[^，。]{0,20}?",
                    "{o:Initiative}",
                ]],
            ),
            (
                "支持{o:Initiative}的?倡议",
                &[&["支持", "{o:Initiative}", "的?", "倡议"]],
            ),
            (
                "{a:State}、{b:State}|{g:Group}",
                &[&["{a:State}", "、", "{b:State}"], &["{g:Group}"]],
            ),
            (
                "^[\\]a]\\x{E000}(?P<x>(a)|[)])+在{place:City}",
                &[&[
                    "^",
                    "[\\]a]",
                    "\\x{E000}",
                    "(?P<x>(a)|[)])+",
                    "在",
                    "{place:City}",
                ]],
            ),
            ("{offices}{p:Person}", &[&["{offices}", "{p:Person}"]]),
        ];
        for (pattern, expected) in cases {
            let got = split(pattern);
            let expected: Vec<Vec<String>> = expected
                .iter()
                .map(|b| b.iter().map(|e| e.to_string()).collect())
                .collect();
            assert_eq!(got, expected, "{pattern}");
        }
    }
}
