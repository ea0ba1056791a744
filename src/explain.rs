//! Why accord read a text as it did, sentence by sentence: the mentions by type, the facts with
//! their rule and span, the mentions and facts that lost a conflict and to what, the relation
//! rules that nearly matched and the element they failed at, and what was lost (facts the
//! graph cannot draw, dates that cannot be read, words that point back to nothing). One typed
//! `Report`, rendered as text (`render`) or serialised as JSON, so both say the same.
//!
//! Invariant: read-only. The report is built from an extraction the normal stages made
//! (`extract_traced` only keeps what they computed); nothing here decides a mention or a fact.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::ops::Range;

use serde::Serialize;

use crate::recognize::{CharIndex, Mention, Target};
use crate::relate::{Encoded, Fact};
use crate::rules::elements::Prefixes;
use crate::rules::{Kind, Rules, Surface};
use crate::segment::{Paragraph, ParagraphKind};
use crate::{Extraction, Loss, LossCounts, LossKind};

/// How overlapping mentions are chosen (`recognize::select`), said once in every report.
pub const CONFLICT_POLICY: &str = "overlapping mentions: the longer span wins, then the \
    higher pattern priority (the gazetteer's is 0), then a mention that names something alone \
    over the end of a meeting's name, then the earlier start, then the gazetteer before \
    patterns and patterns in file order; facts: the same fact read twice in a sentence is \
    kept once, and later steps set facts aside (plans, places read through a meeting, a state \
    where the city is named), each listed with why";

/// Everything `accord explain` says about one file.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub file: String,
    pub encoding: String,
    pub title: String,
    pub date: Option<String>,
    pub policy: &'static str,
    pub losses: Counts,
    pub paragraphs: Vec<ParagraphReport>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub dropped_facts: usize,
    pub unresolved_dates: usize,
    pub no_antecedent: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ParagraphReport {
    /// The paragraph's number, as `--para` takes it.
    pub number: usize,
    pub kind: String,
    pub section: Option<String>,
    pub sentences: Vec<SentenceReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SentenceReport {
    /// One-based, within the paragraph.
    pub number: usize,
    pub text: String,
    /// Byte offsets of the sentence in the file.
    pub bytes: (u32, u32),
    pub mentions: Vec<MentionReport>,
    pub lost_mentions: Vec<LostMention>,
    pub facts: Vec<FactReport>,
    pub set_aside: Vec<SetAsideReport>,
    pub near_misses: Vec<NearMissReport>,
    pub losses: Vec<LossReport>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MentionReport {
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub rule: String,
    /// Character offsets in the paragraph's text.
    pub chars: (usize, usize),
}

#[derive(Clone, Debug, Serialize)]
pub struct LostMention {
    pub mention: MentionReport,
    pub lost_to: MentionReport,
    /// Which step of the policy decided: `longer`, `priority`, `order`.
    pub by: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FactReport {
    pub subject: String,
    pub predicate: String,
    pub object: String,
    pub rule: String,
    /// Byte offsets in the file of the sentence it was read from.
    pub bytes: (u32, u32),
}

#[derive(Clone, Debug, Serialize)]
pub struct SetAsideReport {
    pub fact: FactReport,
    pub why: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NearMissReport {
    pub rule: String,
    /// Where the rule is written (`file:line`).
    pub place: String,
    /// The pattern's elements that match, as written, and the text they match.
    pub matched: Vec<String>,
    pub matched_text: String,
    /// The element after them; `None` when the whole pattern matched but gave nothing.
    pub failed_at: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LossReport {
    pub kind: LossKind,
    pub what: String,
}

/// What to show: one paragraph, one rule.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub paragraph: Option<usize>,
    pub rule: Option<String>,
}

/// Why `explain` cannot show what was asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExplainError {
    #[error("{file}: no paragraph {asked} (paragraphs are numbered 1 to {last})")]
    NoParagraph {
        file: String,
        asked: usize,
        last: usize,
    },
    #[error("no rule {0:?}: name a relation or pattern id, `gazetteer` or `signature-date`")]
    NoRule(String),
}

/// The near-miss machinery of a rule set, compiled once: prefix regexes of each relation.
pub struct NearMisses {
    prefixes: Vec<Option<Prefixes>>,
}

impl NearMisses {
    pub fn new(rules: &Rules) -> NearMisses {
        NearMisses {
            prefixes: rules.relations.iter().map(Prefixes::new).collect(),
        }
    }
}

/// The report of an extraction made by `extract_traced`.
pub fn explain(
    rules: &Rules,
    misses: &NearMisses,
    x: &Extraction,
    filter: &Filter,
) -> Result<Report, ExplainError> {
    if let Some(rule) = &filter.rule
        && !rule_exists(rules, rule)
    {
        return Err(ExplainError::NoRule(rule.clone()));
    }
    let g = x.graph(rules);
    let mut losses = x.losses.clone();
    losses.extend(g.dropped.iter().cloned());
    let signature = signature_facts(x, &g);
    let counts = LossCounts::of(&losses);
    let mut paragraphs = Vec::new();
    for (i, p) in x.segmented.paragraphs.iter().enumerate() {
        if filter.paragraph.is_some_and(|n| n != p.number) {
            continue;
        }
        let doc = Doc {
            rules,
            x,
            misses,
            losses: &losses,
            signature: &signature,
        };
        let sentences = (0..p.sentences.len())
            .map(|s| doc.sentence(i, s))
            .map(|s| keep_rule(s, filter.rule.as_deref()))
            .filter(|s| filter.rule.is_none() || !s.is_empty())
            .collect();
        paragraphs.push(ParagraphReport {
            number: p.number,
            kind: format!("{:?}", p.kind),
            section: p.section.clone(),
            sentences,
        });
    }
    if let Some(asked) = filter.paragraph
        && paragraphs.is_empty()
    {
        return Err(ExplainError::NoParagraph {
            file: x.document.source.clone(),
            asked,
            last: x.segmented.paragraphs.last().map_or(0, |p| p.number),
        });
    }
    Ok(Report {
        file: x.document.source.clone(),
        encoding: x.document.encoding.to_string(),
        title: x.title.clone(),
        date: x.date.map(|d| d.to_string()),
        policy: CONFLICT_POLICY,
        losses: Counts {
            dropped_facts: counts.dropped_facts,
            unresolved_dates: counts.unresolved_dates,
            no_antecedent: counts.no_antecedent,
        },
        paragraphs,
    })
}

/// A sentence of the text that names a known entity and gives no fact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    pub file: String,
    pub paragraph: usize,
    pub sentence: usize,
    pub text: String,
    /// The known entities it names, as written.
    pub names: Vec<String>,
}

/// The running-text sentences of an extraction that name a gazetteer entity but give no fact.
pub fn uncovered(rules: &Rules, x: &Extraction) -> Vec<Uncovered> {
    let with_facts: BTreeSet<(usize, usize)> =
        x.facts.iter().map(|f| (f.paragraph, f.sentence)).collect();
    let mut out = Vec::new();
    for (i, p) in x.segmented.paragraphs.iter().enumerate() {
        if p.kind != ParagraphKind::Body {
            continue;
        }
        let chars: Vec<char> = p.text.chars().collect();
        for (s, range) in p.sentences.iter().enumerate() {
            if with_facts.contains(&(i, s)) {
                continue;
            }
            let names: Vec<String> = inside(&x.mentions[i], range)
                .filter(|m| known(rules, m))
                .map(|m| chars[m.start..m.end].iter().collect())
                .collect();
            if !names.is_empty() {
                out.push(Uncovered {
                    file: x.document.source.clone(),
                    paragraph: p.number,
                    sentence: s + 1,
                    text: chars[range.clone()].iter().collect(),
                    names,
                });
            }
        }
    }
    out
}

/// The report as text: a header with the policy and the losses, then each sentence.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} ({}, {}, date {})",
        r.title,
        r.file,
        r.encoding,
        r.date.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(out, "# {}", r.policy);
    let lost = LossCounts {
        dropped_facts: r.losses.dropped_facts,
        unresolved_dates: r.losses.unresolved_dates,
        no_antecedent: r.losses.no_antecedent,
    }
    .describe();
    let _ = writeln!(
        out,
        "# lost: {}",
        if lost.is_empty() { "nothing" } else { &lost }
    );
    for p in &r.paragraphs {
        for s in &p.sentences {
            render_sentence(&mut out, p, s);
        }
    }
    out
}

/// One line per uncovered sentence: `file [paragraph.sentence] text  (names: …)`.
pub fn render_uncovered(list: &[Uncovered]) -> String {
    let mut out = String::new();
    for u in list {
        let _ = writeln!(
            out,
            "{} [{}.{}] {}  (names: {})",
            u.file,
            u.paragraph,
            u.sentence,
            u.text,
            u.names.join(", ")
        );
    }
    out
}

impl SentenceReport {
    fn is_empty(&self) -> bool {
        self.mentions.is_empty()
            && self.lost_mentions.is_empty()
            && self.facts.is_empty()
            && self.set_aside.is_empty()
            && self.near_misses.is_empty()
    }
}

fn render_sentence(out: &mut String, p: &ParagraphReport, s: &SentenceReport) {
    let section = p
        .section
        .as_deref()
        .map(|s| format!("§{s} "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n[{}.{}] {} {section}{}",
        p.number, s.number, p.kind, s.text
    );
    // Mentions by type, in text order within each type.
    let mut kinds: Vec<&str> = s.mentions.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let names: Vec<String> = s
            .mentions
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| format!("{} ({})", m.text, m.rule))
            .collect();
        let _ = writeln!(out, "  {kind:<12} {}", names.join(", "));
    }
    for l in &s.lost_mentions {
        let _ = writeln!(
            out,
            "  lost         {} : {} ({}) to {} : {} ({}), {}",
            l.mention.text,
            l.mention.kind,
            l.mention.rule,
            l.lost_to.text,
            l.lost_to.kind,
            l.lost_to.rule,
            l.by
        );
    }
    for f in &s.facts {
        let _ = writeln!(
            out,
            "  fact         {}  bytes {}..{}",
            fact_line(f),
            f.bytes.0,
            f.bytes.1
        );
    }
    for a in &s.set_aside {
        let _ = writeln!(out, "  set aside    {}: {}", fact_line(&a.fact), a.why);
    }
    for n in &s.near_misses {
        // Long patterns are cut in the text view (the JSON has them whole): the end of what
        // matched, the start of what failed.
        let failed = match &n.failed_at {
            Some(e) => format!("failed at `{}`", crate::eval::abridged(e, PATTERN_SHOWN)),
            None => "matched whole, dropped by its exclude or reject".to_string(),
        };
        let _ = writeln!(
            out,
            "  near miss    {} ({}): matched `{}` on “{}”, {failed}",
            n.rule,
            n.place,
            last_elements(&n.matched, PATTERN_SHOWN),
            n.matched_text
        );
    }
    for l in &s.losses {
        let _ = writeln!(out, "  {:<12} {}", l.kind.label(1), l.what);
    }
}

/// Characters of a pattern the text view shows.
const PATTERN_SHOWN: usize = 60;

/// The last elements that fit in `max` characters (at least one), after `…` when some are
/// left out; optional elements at the end (`…?`, `…*`), which may have matched nothing, are
/// not shown.
fn last_elements(elements: &[String], max: usize) -> String {
    let optional = |e: &String| e.ends_with('?') || e.ends_with('*');
    let shown = elements
        .iter()
        .rposition(|e| !optional(e))
        .map_or(1, |i| i + 1);
    let elements = &elements[..shown.min(elements.len())];
    let mut width = 0;
    let mut from = elements.len();
    while from > 0 {
        width += elements[from - 1].chars().count();
        if width > max && from < elements.len() {
            break;
        }
        from -= 1;
    }
    let kept = elements[from..].concat();
    if from > 0 { format!("…{kept}") } else { kept }
}

fn fact_line(f: &FactReport) -> String {
    format!("{} {} {}    [{}]", f.subject, f.predicate, f.object, f.rule)
}

/// What a report needs of the document while it builds each sentence.
struct Doc<'a> {
    rules: &'a Rules,
    x: &'a Extraction,
    misses: &'a NearMisses,
    losses: &'a [Loss],
    /// `adoptedOn` from the date line under a signature block: (paragraph, sentence, fact).
    signature: &'a [(usize, usize, FactReport)],
}

impl Doc<'_> {
    fn sentence(&self, i: usize, s: usize) -> SentenceReport {
        let p = &self.x.segmented.paragraphs[i];
        let range = p.sentences[s].clone();
        let chars: Vec<char> = p.text.chars().collect();
        let bytes = self.bytes(p, &range);
        let mentions: Vec<MentionReport> = inside(&self.x.mentions[i], &range)
            .map(|m| mention_report(&chars, m))
            .collect();
        let fact = |f: &Fact| fact_report(self.rules, f, bytes);
        let mut facts: Vec<FactReport> = self
            .x
            .facts
            .iter()
            .filter(|f| f.paragraph == i && f.sentence == s)
            .map(fact)
            .collect();
        facts.extend(
            self.signature
                .iter()
                .filter(|(pi, si, _)| *pi == i && *si == s)
                .map(|(.., f)| f.clone()),
        );
        let set_aside = self
            .x
            .set_aside
            .iter()
            .filter(|a| a.fact.paragraph == i && a.fact.sentence == s)
            .map(|a| SetAsideReport {
                fact: fact(&a.fact),
                why: a.why.clone(),
            })
            .collect();
        let losses = self
            .losses
            .iter()
            .filter(|l| l.paragraph == i && range.contains(&l.at))
            .map(|l| LossReport {
                kind: l.kind,
                what: l.what.clone(),
            })
            .collect();
        SentenceReport {
            number: s + 1,
            text: chars[range.clone()].iter().collect(),
            bytes,
            lost_mentions: lost_mentions(self.rules, &p.text, &self.x.mentions[i], &range),
            mentions,
            near_misses: self.near_misses(i, s, &chars, &facts),
            facts,
            set_aside,
            losses,
        }
    }

    fn bytes(&self, p: &Paragraph, range: &Range<usize>) -> (u32, u32) {
        let offsets = &self.x.document.byte_offsets;
        let start = p.origin[range.start];
        let end = p.origin[range.end - 1] + 1;
        (offsets[start], offsets[end])
    }

    /// Relation rules that did not fire on the sentence though one of the strings their
    /// matches need is in it, and whose first elements, a slot among them, match.
    fn near_misses(
        &self,
        i: usize,
        s: usize,
        chars: &[char],
        facts: &[FactReport],
    ) -> Vec<NearMissReport> {
        let Some(encoded) = self
            .x
            .trace
            .iter()
            .find(|e| e.paragraph == i && e.sentence == s)
        else {
            return Vec::new();
        };
        let triggered = crate::relate::triggered(self.rules, &encoded.text);
        let mut out = Vec::new();
        for (r, rule) in self.rules.relations.iter().enumerate() {
            let fired = encoded.fired.contains(&rule.id) || facts.iter().any(|f| f.rule == rule.id);
            if fired || !triggered[r] {
                continue;
            }
            let Some(miss) = self.misses.prefixes[r]
                .as_ref()
                .and_then(|p| p.near_miss(&encoded.text))
            else {
                continue;
            };
            out.push(NearMissReport {
                rule: rule.id.clone(),
                place: rule.place.clone(),
                matched: miss.matched,
                matched_text: text_under(encoded, chars, miss.at),
                failed_at: miss.failed,
            });
        }
        out
    }
}

/// The paragraph's text under characters of an encoded sentence.
fn text_under(encoded: &Encoded, chars: &[char], at: Range<usize>) -> String {
    match (
        encoded.spans.get(at.start),
        at.end.checked_sub(1).and_then(|e| encoded.spans.get(e)),
    ) {
        (Some(a), Some(b)) => chars[a.start..b.end].iter().collect(),
        _ => String::new(),
    }
}

/// The mentions of a paragraph inside a sentence's range.
fn inside<'m>(mentions: &'m [Mention], range: &Range<usize>) -> impl Iterator<Item = &'m Mention> {
    mentions
        .iter()
        .filter(move |m| m.start >= range.start && m.end <= range.end)
}

/// A mention of a gazetteer entity (or of states by their initials); a topic (`恐怖主义`) is
/// none, as it is only ever the object of a stance.
fn known(rules: &Rules, m: &Mention) -> bool {
    match &m.target {
        Target::Entity(i) => rules.entities[*i].kind != Kind::Topic,
        Target::Parties(_) => true,
        _ => false,
    }
}

fn mention_report(chars: &[char], m: &Mention) -> MentionReport {
    MentionReport {
        text: chars[m.start..m.end].iter().collect(),
        kind: m.kind.to_string(),
        rule: m.rule.clone(),
        chars: (m.start, m.end),
    }
}

fn fact_report(rules: &Rules, f: &Fact, bytes: (u32, u32)) -> FactReport {
    FactReport {
        subject: crate::graph::node_name(rules, &f.subject),
        predicate: f.predicate.clone(),
        object: crate::graph::node_name(rules, &f.object),
        rule: f.rule.clone(),
        bytes,
    }
}

/// `adoptedOn` of the text's own document, which the graph reads from the date line under a
/// signature block: (paragraph index, sentence index, fact).
fn signature_facts(x: &Extraction, g: &crate::graph::DocGraph) -> Vec<(usize, usize, FactReport)> {
    let mut out = Vec::new();
    for (_, edge, date) in &g.dated {
        if edge.rule != crate::graph::SIGNATURE_DATE_RULE {
            continue;
        }
        let sentence = &g.sentences[edge.sentence];
        let paragraphs = &x.segmented.paragraphs;
        let Some(i) = paragraphs
            .iter()
            .position(|p| p.number == sentence.paragraph)
        else {
            continue;
        };
        let p = &paragraphs[i];
        let Some(s) = p.sentences.iter().position(|r| {
            p.text
                .chars()
                .skip(r.start)
                .take(r.len())
                .eq(sentence.text.chars())
        }) else {
            continue;
        };
        out.push((
            i,
            s,
            FactReport {
                subject: crate::rules::DOCUMENT_SLOT.to_string(),
                predicate: edge.predicate.clone(),
                object: date.to_string(),
                rule: edge.rule.clone(),
                bytes: sentence.bytes,
            },
        ));
    }
    out
}

/// Whether a rule of this id exists: a relation, a pattern, or one of the built-in sources.
fn rule_exists(rules: &Rules, id: &str) -> bool {
    const BUILT_IN: &[&str] = &[
        "gazetteer",
        "abbreviation",
        "parties",
        crate::graph::SIGNATURE_DATE_RULE,
    ];
    BUILT_IN.contains(&id)
        || rules.relations.iter().any(|r| r.id == id)
        || rules.patterns.iter().any(|p| p.id == id)
}

/// Only what one rule did: its mentions (alone or joined into another), its facts, the facts
/// of it set aside, its near misses, the mentions it lost.
fn keep_rule(mut s: SentenceReport, rule: Option<&str>) -> SentenceReport {
    let Some(rule) = rule else {
        return s;
    };
    let by = |r: &str| r.split('+').any(|part| part == rule);
    s.mentions.retain(|m| by(&m.rule));
    s.lost_mentions
        .retain(|l| by(&l.mention.rule) || by(&l.lost_to.rule));
    s.facts.retain(|f| f.rule == rule);
    s.set_aside.retain(|a| a.fact.rule == rule);
    s.near_misses.retain(|n| n.rule == rule);
    s.losses.retain(|l| {
        l.what.contains(&format!("[{rule}]")) || l.what.ends_with(&format!("rule {rule}"))
    });
    s
}

/// A mention the gazetteer or a pattern proposed at a place, before overlaps were resolved.
struct Candidate {
    start: usize,
    end: usize,
    kind: Kind,
    rule: String,
    priority: i32,
}

/// The candidates of a sentence that lost their place to an overlapping mention, with the
/// winner and the step of the policy that decided. The candidates are found again as
/// `recognize` finds them (gazetteer surfaces, pattern matches not rejected); a candidate is
/// kept when a mention of its rule (alone, trimmed, or joined into a longer name) covers it.
fn lost_mentions(
    rules: &Rules,
    text: &str,
    mentions: &[Mention],
    range: &Range<usize>,
) -> Vec<LostMention> {
    let chars: Vec<char> = text.chars().collect();
    let all = candidates(rules, text);
    let overlaps = |c: &Candidate, m: &Mention| c.start < m.end && m.start < c.end;
    let by_rule = |c: &Candidate, m: &Mention| m.rule.split('+').any(|r| r == c.rule);
    let mut out = Vec::new();
    for c in all
        .iter()
        .filter(|c| c.start >= range.start && c.end <= range.end)
    {
        let near: Vec<&Mention> = mentions.iter().filter(|m| overlaps(c, m)).collect();
        // A part of a mention of its own type (the year of a day) is no rival of it.
        let part = |m: &&Mention| m.kind == c.kind && m.start <= c.start && c.end <= m.end;
        if near.is_empty() || near.iter().any(|m| by_rule(c, m) || part(m)) {
            continue;
        }
        let winner = near[0];
        // The winner as a candidate: the one of its rule that overlaps the loser.
        let rival = all
            .iter()
            .filter(|w| by_rule(w, winner) && w.start < c.end && c.start < w.end)
            .max_by_key(|w| w.end - w.start);
        let by = match rival {
            Some(w) if w.end - w.start > c.end - c.start => "longer",
            Some(w) if w.end - w.start == c.end - c.start && w.priority > c.priority => "priority",
            Some(_) => "order",
            None => "longer",
        };
        out.push(LostMention {
            mention: MentionReport {
                text: chars[c.start..c.end].iter().collect(),
                kind: c.kind.to_string(),
                rule: c.rule.clone(),
                chars: (c.start, c.end),
            },
            lost_to: mention_report(&chars, winner),
            by,
        });
    }
    out
}

fn candidates(rules: &Rules, text: &str) -> Vec<Candidate> {
    let index = CharIndex::new(text);
    let mut out = Vec::new();
    for m in rules.automaton.find_iter(text) {
        let kind = match &rules.surfaces[m.pattern().as_usize()].1 {
            Surface::Entity(i) => rules.entities[*i].kind,
            Surface::Group { .. } => Kind::Group,
            Surface::Blocker => continue,
        };
        out.push(Candidate {
            start: index.char_at(m.start()),
            end: index.char_at(m.end()),
            kind,
            rule: "gazetteer".into(),
            priority: 0,
        });
    }
    for p in &rules.patterns {
        for caps in p.regex.captures_iter(text) {
            let m = caps.name("mention").unwrap_or_else(|| caps.get(0).unwrap());
            let rejected = p.reject.as_ref().is_some_and(|re| re.is_match(m.as_str()));
            if m.is_empty() || rejected {
                continue;
            }
            out.push(Candidate {
                start: index.char_at(m.start()),
                end: index.char_at(m.end()),
                kind: p.kind,
                rule: p.id.clone(),
                priority: p.priority,
            });
        }
    }
    out
}
