//! Diagnostics of rule files: `accord rules check` and every command that loads rules.
//!
//! Loading rules ([`crate::rules`]) never stops at the first problem: it collects a
//! [`Diagnostic`] for each one, with the file, line and column it comes from and a one-line
//! hint, then refuses the rules if any is an error. Warnings name what is legal but most
//! likely a mistake (a captured group no fact uses, a slot whose type the predicate only
//! partly takes); they never stop a run. This module holds the diagnostic type, how one is
//! printed, the check itself, which is the loader run for its diagnostics alone, and what the
//! loader asks of each regex and relation beyond its syntax: named lists that exist, patterns
//! that can match at all, filters that do not match everything, slot types that suit the
//! predicate, groups something reads.

use std::fmt;
use std::path::Path;

use toml::Spanned;

use crate::rules::{
    self, DOCUMENT_SLOT, Diagnostics, EVENT_SLOT, GROUP_SLOT, Kind, LEADERS_SLOT, Lexicon,
    ORGANISATION_SLOT, OWN_DATES, RawRelation, RulesError, TOPIC_SLOT, expand_slots, expand_words,
};

/// How bad a problem is: an error refuses the rules, a warning only tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem of a rule file, at a place in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// One-based line and column (in characters) of the place.
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    /// What is wrong, lower-case, no trailing period.
    pub message: String,
    /// What to do about it, one line.
    pub hint: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column`, the place as the messages of other diagnostics cite it.
    pub fn place(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }

    /// The diagnostic and its hint on the next line, as `accord rules check` prints them.
    pub fn with_hint(&self) -> String {
        format!("{self}\n  hint: {}", self.hint)
    }
}

/// `file:line:column: error: message`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.place(), self.severity, self.message)
    }
}

/// Every diagnostic of a set of rule files, in the order of the files and places.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// `2 errors, 1 warning in 19 files`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {} in {}",
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning"),
            plural(self.files, "file")
        )
    }
}

/// Checks the rules compiled into the binary.
pub fn check_embedded() -> Report {
    report(rules::embedded_files())
}

/// Checks every `*.toml` under `dir`. Fails only when the folder or a file cannot be read.
pub fn check_dir(dir: &Path) -> Result<Report, RulesError> {
    Ok(report(rules::read_dir_files(dir)?))
}

fn report(files: Vec<(String, String)>) -> Report {
    let count = files.len();
    let (_, mut diagnostics) = rules::load(files);
    sort(&mut diagnostics);
    Report {
        diagnostics,
        files: count,
    }
}

/// Sorts diagnostics by file, then place, then errors before warnings; the loader finds
/// them in the order of its passes.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.severity).cmp(&(&b.file, b.line, b.column, b.severity))
    });
}

// ---------------------------------------------------------------------------------------------
// What the loader asks of each regex and relation beyond its syntax.

/// Whether an empty match that no `^`, `$` or `\b` holds is possible: then the regex
/// matches every text (`将|`, a stray `|`).
pub(crate) fn matches_everything(regex: &str) -> bool {
    regex_syntax::parse(regex).is_ok_and(|hir| {
        let p = hir.properties();
        p.minimum_len() == Some(0) && p.look_set().is_empty()
    })
}

/// Whether no text at all matches this regex (an empty class, an empty named list on every
/// path): decided on the parsed regex, before any text is seen.
pub(crate) fn never_matches(regex: &str) -> bool {
    regex_syntax::parse(regex).is_ok_and(|hir| !can_match(&hir))
}

/// Whether some text matches: every part of a sequence can, or one branch of an alternation.
/// (regex-syntax's `minimum_len` gives up on an alternation with one empty branch.)
fn can_match(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => true,
        HirKind::Class(c) => c.minimum_len().is_some(),
        HirKind::Repetition(r) => r.min == 0 || can_match(&r.sub),
        HirKind::Capture(c) => can_match(&c.sub),
        HirKind::Concat(parts) => parts.iter().all(can_match),
        HirKind::Alternation(branches) => branches.iter().any(can_match),
    }
}

pub(crate) const NEVER_MATCHES: &str = "this pattern can never match";
pub(crate) const NEVER_MATCHES_HINT: &str =
    "every way through it needs something that matches nothing (an empty class or named list)";

/// Checks the `{name}` references of a regex: each must be a fragment of the lexicon,
/// `{offices}` or `{mention}`, and a named list that is empty is worth a warning. False when one is unknown.
pub(crate) fn check_words(
    source: &Spanned<String>,
    offices: &[String],
    fragments: &[(String, String)],
    d: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for name in word_references(source.get_ref()) {
        if name == crate::rules::MENTION_CLASS {
            // Placeholders in a class (`[^，。{mention}]`), not a list of words.
        } else if name == "offices" {
            if offices.is_empty() {
                d.warning(
                    source.span(),
                    "named list {offices} is empty: no office matches it",
                    "add [[office]] entries to the lexicon, or take {offices} out",
                );
            }
        } else if let Some((_, text)) = fragments.iter().find(|(n, _)| *n == name) {
            if text.is_empty() {
                d.warning(
                    source.span(),
                    format_args!("fragment {{{name}}} is empty"),
                    "give the fragment its text in [fragments], or take it out of the pattern",
                );
            }
        } else {
            ok = false;
            let known: Vec<String> = fragments.iter().map(|(n, _)| format!("{{{n}}}")).collect();
            d.error(
                source.span(),
                format_args!("unknown named list {{{name}}}"),
                format_args!(
                    "named lists are {{offices}} and the [fragments] of the lexicon and \
                     patterns/dates.toml ({})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
    }
    ok
}

/// The `{name}` references of a regex: braces around a lower-case word with no `:` (a slot)
/// and not after `\x`, `\p` or `\P`; `{2,5}` is a repetition.
fn word_references(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let escaped = ["\\x", "\\p", "\\P"]
            .iter()
            .any(|e| rest[..open].ends_with(e));
        if let Some(close) = after.find('}') {
            let body = &after[..close];
            let word = body.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && body
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !escaped && word && !out.iter().any(|n| n == body) {
                out.push(body.to_string());
            }
        }
        rest = after;
    }
    out
}

/// An error when no type a slot may hold suits the predicate, a warning when only some do.
pub(crate) fn check_kinds(
    f: &Spanned<String>,
    role: &str,
    slot: &str,
    predicate: &str,
    kinds: &[Kind],
    allowed: &[Kind],
    d: &mut Diagnostics,
) {
    let wrong: Vec<&str> = kinds
        .iter()
        .filter(|k| !allowed.contains(k))
        .map(|k| k.name())
        .collect();
    if wrong.is_empty() {
        return;
    }
    let allowed: Vec<&str> = allowed.iter().map(|k| k.name()).collect();
    let hint = format!(
        "the {role} of {predicate} is {} (ARCHITECTURE.md, Vocabulary)",
        allowed.join(" or ")
    );
    if wrong.len() == kinds.len() {
        d.error(
            f.span(),
            format_args!(
                "{role} {slot:?} is of type {}, which {predicate} does not take",
                wrong.join(" or ")
            ),
            hint,
        );
    } else {
        d.warning(
            f.span(),
            format_args!(
                "{role} {slot:?} may be of type {}, which {predicate} does not take",
                wrong.join(" or ")
            ),
            format!("{hint}; narrow the slot's types"),
        );
    }
}

/// The types each slot of a relation may hold: from `{name:Type|Type}` in the pattern and
/// from `create`; a group of the pattern with neither is not typed.
pub(crate) struct SlotKinds<'a> {
    pub(crate) slots: Vec<(String, Vec<Kind>)>,
    pub(crate) create: &'a [(String, Kind)],
}

impl SlotKinds<'_> {
    /// The types of a slot as a fact writes it (`$group`, `object@date`, `g.org`,
    /// `doc.dates`); empty when not known.
    pub(crate) fn of(&self, slot: &str) -> Vec<Kind> {
        match slot {
            GROUP_SLOT => return vec![Kind::Group],
            ORGANISATION_SLOT => return vec![Kind::Organization],
            DOCUMENT_SLOT => return vec![Kind::Document],
            EVENT_SLOT => return vec![Kind::Event],
            LEADERS_SLOT => return vec![Kind::Person],
            TOPIC_SLOT => return vec![Kind::Group, Kind::State, Kind::Organization],
            _ => {}
        }
        if let Some((name, _)) = slot.split_once('@') {
            return self.of(name);
        }
        if slot.ends_with(OWN_DATES) {
            return vec![Kind::Date];
        }
        if slot.ends_with(crate::rules::PERSON_STATE) {
            return vec![Kind::State];
        }
        if let Some(name) = slot.strip_suffix(".org") {
            let mut kinds: Vec<Kind> = self
                .of(name)
                .into_iter()
                // A group's organisation, or the one a meeting is of.
                .map(|k| {
                    if matches!(k, Kind::Group | Kind::Event) {
                        Kind::Organization
                    } else {
                        k
                    }
                })
                .collect();
            kinds.dedup();
            return kinds;
        }
        if let Some((_, k)) = self.create.iter().find(|(s, _)| s == slot) {
            // A created initiative that names a document, initiative or event is that.
            return match k {
                Kind::Initiative => vec![Kind::Initiative, Kind::Document, Kind::Event],
                k => vec![*k],
            };
        }
        self.slots
            .iter()
            .filter(|(n, _)| n == slot)
            .flat_map(|(_, ks)| ks.iter().copied())
            .collect()
    }
}

/// The `{name:Type|Type}` slots of a pattern (fragments expanded), with their types.
pub(crate) fn slot_kinds(pattern: &str) -> Vec<(String, Vec<Kind>)> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}')
            && let Some((name, types)) = after[..close].split_once(':')
            && name != "_"
        {
            let kinds = types
                .trim_end_matches(['+', '*'])
                .split('|')
                .filter_map(Kind::parse)
                .collect();
            out.push((name.to_string(), kinds));
        }
        rest = after;
    }
    out
}

/// A captured group that no fact, `replace`, `role`, `reject` or `create` reads is most
/// likely a misspelt slot. Only groups the rule writes itself count: a shared fragment
/// (`{at_place}`) may capture more than each rule that uses it needs.
pub(crate) fn warn_unused_groups(r: &RawRelation, names: &[&str], d: &mut Diagnostics) {
    let own = r.pattern.get_ref();
    let written = |name: &&&str| {
        [
            format!("(?P<{name}>"),
            format!("(?<{name}>"),
            format!("{{{name}:"),
        ]
        .iter()
        .any(|w| own.contains(w.as_str()))
    };
    let mut used: Vec<&str> = vec!["span", crate::rules::WHEN_SLOT];
    for f in &r.facts {
        for part in f.get_ref().split_whitespace() {
            used.extend(part.split(['@', '|']).map(crate::rules::slot_group));
        }
    }
    if let Some(rep) = &r.replace {
        used.extend(rep.get_ref().split([',', '@', '|']).map(str::trim));
    }
    used.extend(r.role.iter().map(|s| s.get_ref().as_str()));
    used.extend(r.reject.keys().map(String::as_str));
    used.extend(r.create.keys().map(String::as_str));
    for name in names.iter().filter(written).filter(|n| !used.contains(n)) {
        d.warning(
            r.pattern.span(),
            format_args!("group {name:?} is captured but nothing reads it"),
            "use it in a fact, or write {_:Type} or (?:…) for what only has to be there",
        );
    }
}

/// A rule whose slots need mentions of a type that nothing makes (no entity, pattern, group
/// word or replacing rule) can never match on any text.
pub(crate) fn warn_unfillable(
    r: &RawRelation,
    lex: &Lexicon,
    producible: &[Kind],
    d: &mut Diagnostics,
) {
    let restricted = Lexicon {
        kinds: Some(producible),
        ..*lex
    };
    let Ok(expanded) = expand_slots(r.pattern.get_ref(), &restricted) else {
        return;
    };
    if !never_matches(&expanded) {
        return;
    }
    let missing: Vec<&str> = slot_kinds_all(&expand_words(
        r.pattern.get_ref(),
        lex.offices,
        lex.fragments,
    ))
    .into_iter()
    .filter(|k| !producible.contains(k))
    .map(Kind::name)
    .collect();
    d.warning(
        r.pattern.span(),
        format_args!(
            "this rule can never match: nothing makes mentions of type {}",
            missing.join(" or ")
        ),
        "add an entity, a pattern or a rule that makes such mentions, or change the slot's type",
    );
}

/// Every type any slot of a pattern names, `{_:Type}` included, once each.
pub(crate) fn slot_kinds_all(pattern: &str) -> Vec<Kind> {
    let mut kinds = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}')
            && let Some((_, types)) = after[..close].split_once(':')
        {
            for k in types
                .trim_end_matches(['+', '*'])
                .split('|')
                .filter_map(Kind::parse)
            {
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
        }
        rest = after;
    }
    kinds
}
