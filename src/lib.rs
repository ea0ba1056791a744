//! accord turns diplomatic texts into a knowledge graph.
//!
//! The stages, in the order data flows through them: [`read`] decodes a file, [`normalize`]
//! repairs its characters, [`segment`] cuts it into sections, paragraphs and sentences,
//! [`recognize`] finds typed mentions with the gazetteers and patterns of [`rules`],
//! [`relate`] turns sentences into facts, [`graph`] resolves entities to canonical ids,
//! [`rdf`] writes quads, [`store`] keeps them in Oxigraph and [`export`] dumps them;
//! [`serve`] answers SPARQL and entity pages over HTTP, read-only.

pub mod check;
pub mod date;
pub mod eval;
pub mod export;
pub mod graph;
pub mod html;
pub mod normalize;
pub mod push;
pub mod rdf;
pub mod read;
pub mod recognize;
pub mod relate;
pub mod rules;
pub mod segment;
pub mod serve;
pub mod store;

use crate::date::DateValue;
use crate::read::Document;
use crate::recognize::{Mention, Target};
use crate::relate::Fact;
use crate::rules::{Kind, Rules};
use crate::segment::{ParagraphKind, Segmented};

/// Everything accord learns from one document, stage by stage.
#[derive(Debug)]
pub struct Extraction {
    pub document: Document,
    pub segmented: Segmented,
    /// Mentions per paragraph.
    pub mentions: Vec<Vec<Mention>>,
    pub facts: Vec<Fact>,
    /// The text's title line, or its file key when it has none (`segmented.title` tells
    /// which): the key names the text's own Document, but is written as no title or label.
    pub title: String,
    pub date: Option<DateValue>,
    /// Short forms the text defines (`（以下称“上合组织”）`): aliases within this document.
    pub abbreviations: Vec<recognize::Abbreviation>,
}

/// Runs every stage up to facts. Cannot fail: messy text gives fewer facts, not an error.
pub fn extract(rules: &Rules, document: Document) -> Extraction {
    let normalized = normalize::normalize_with(&document.text, &rules.regional);
    let segmented = segment::segment(&normalized, &rules.layout, &|line| {
        recognize::is_date_line(rules, line)
    });
    // A date given with the document (a JSON Lines record's `date`) is its date; the text's
    // own date line is only a guess at it.
    let date = document
        .date
        .map(DateValue::day)
        .or_else(|| document_date(rules, &segmented));
    let mut mentions: Vec<Vec<Mention>> = segmented
        .paragraphs
        .iter()
        .map(|p| recognize::recognize(rules, &p.text, date.map(|d| d.start)))
        .collect();
    let texts: Vec<&str> = segmented
        .paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect();
    recognize::resolve_sides(rules, segmented.title.as_deref(), &texts, &mut mentions);
    let abbreviations = recognize::abbreviations(rules, &texts, &mut mentions);
    for (i, ms) in mentions.iter_mut().enumerate() {
        recognize::apply_abbreviations(texts[i], i, ms, &abbreviations);
    }
    resolve_anaphors(rules, &texts, &mut mentions);
    let mut facts = Vec::new();
    let mut context = relate::Context::default();
    for (i, p) in segmented.paragraphs.iter().enumerate() {
        facts.extend(relate::relate(rules, p, i, &mentions[i], &mut context));
    }
    let clean: String = segmented
        .paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect();
    relate::resolve_document(rules, &mut facts, &clean);
    let title = segmented
        .title
        .clone()
        .unwrap_or_else(|| document.key.clone());
    Extraction {
        document,
        segmented,
        mentions,
        facts,
        title,
        date,
        abbreviations,
    }
}

/// `出席会议`: the meeting is the last event named before, in this paragraph or an earlier
/// one. With no event named before, the anaphor is left to the relation stage, which knows
/// the meetings its rules name (`Target::Unresolved`); a word of the lexicon's
/// `unnamed_meeting` (`峰会`) may there name the document's own meeting. A document anaphor
/// (`该公约`) is the last document named before whose name holds its word; with none, it
/// names nothing.
fn resolve_anaphors(rules: &Rules, texts: &[&str], mentions: &mut [Vec<Mention>]) {
    // Events and documents named so far: their names as written and what they stand for.
    let mut events: Vec<(String, Target)> = Vec::new();
    let mut documents: Vec<(String, Target)> = Vec::new();
    for (text, paragraph) in texts.iter().zip(mentions.iter_mut()) {
        let word_of =
            |m: &Mention| -> String { text.chars().skip(m.start).take(m.end - m.start).collect() };
        paragraph.retain_mut(|m| {
            match (&m.target, m.kind) {
                (Target::Anaphor, Kind::Document) => {
                    let word = word_of(m);
                    match documents
                        .iter()
                        .rev()
                        .find(|(name, _)| name.contains(&word))
                    {
                        Some((_, t)) => m.target = t.clone(),
                        None => return false,
                    }
                }
                (Target::Anaphor, _) => {
                    let word = word_of(m);
                    // `会议` does not point back to talks (`会谈`); `会谈` may.
                    let talks = rules.is_talks(&word);
                    let antecedent = events
                        .iter()
                        .rev()
                        .find(|(name, _)| talks || !rules.is_talks(name));
                    m.target = match antecedent {
                        Some((_, t)) => t.clone(),
                        None => {
                            let own = rules
                                .unnamed_meeting
                                .as_ref()
                                .is_some_and(|re| re.is_match(&word));
                            Target::Unresolved(own.then_some(word))
                        }
                    }
                }
                (Target::Text(label), Kind::Event)
                    if let Some((_, t)) = short_name_of(rules, label, &events)
                        .or_else(|| generic_name_of(rules, &word_of(m), &events)) =>
                {
                    m.target = t.clone();
                }
                (t, Kind::Event) => {
                    let word = word_of(m);
                    // `本次峰会` after `…峰会开幕式` is the summit, which the ceremony names.
                    if let Some(meeting) = rules.meeting_of_ceremony(&word) {
                        events.push((meeting.to_string(), Target::Text(meeting.to_string())));
                    }
                    events.push((word, t.clone()));
                }
                (t, Kind::Document) => documents.push((word_of(m), t.clone())),
                _ => {}
            }
            true
        });
    }
}

/// A short name (`领袖会议`) that ends the name of a meeting named before (`亚太经济合作会议
/// 经济领袖会议`) is that meeting, as news reports shorten it. A bare meeting word is an anaphor
/// of its own (the lexicon's patterns), and talks are not shortened to.
fn short_name_of<'a>(
    rules: &Rules,
    label: &str,
    events: &'a [(String, Target)],
) -> Option<&'a (String, Target)> {
    let len = label.chars().count();
    if !(3..=6).contains(&len) {
        return None;
    }
    events.iter().rev().find(|(name, _)| {
        name.chars().count() > len && name.ends_with(label) && !rules.is_talks(name)
    })
}

/// A generic name of an organisation's meeting (`上合组织峰会`) after a meeting of that
/// organisation and level was named in full (`上海合作组织成员国元首理事会第十八次会议`) is that
/// meeting, the last one named: news reports name it so on second mention.
fn generic_name_of<'a>(
    rules: &Rules,
    word: &str,
    events: &'a [(String, Target)],
) -> Option<&'a (String, Target)> {
    let org = rules.generic_meeting_of(word)?;
    events
        .iter()
        .rev()
        .find(|(name, _)| name != word && rules.fits_generic_meeting(org, name))
}

/// The date line under the signature block, else the first full date of the first paragraph.
fn document_date(rules: &Rules, s: &Segmented) -> Option<DateValue> {
    let first_day = |text: &str| {
        recognize::recognize(rules, text, None)
            .into_iter()
            .find_map(|m| match m.target {
                Target::Date(d) if d.is_day() => Some(d),
                _ => None,
            })
    };
    let line = s
        .paragraphs
        .iter()
        .rev()
        .find(|p| p.kind == ParagraphKind::DateLine);
    line.and_then(|p| first_day(&p.text)).or_else(|| {
        s.paragraphs
            .iter()
            .find(|p| p.kind == ParagraphKind::Body)
            .and_then(|p| first_day(&p.text))
    })
}

impl Extraction {
    /// The graph of this extraction: canonical entities, facts as edges, their sentences.
    pub fn graph(&self, rules: &Rules) -> graph::DocGraph {
        graph::build(
            rules,
            &graph::Input {
                key: &self.document.key,
                segmented: &self.segmented,
                mentions: &self.mentions,
                facts: &self.facts,
                byte_offsets: &self.document.byte_offsets,
                decoded: &self.document.text,
                abbreviations: &self.abbreviations,
                title: &self.title,
            },
        )
    }
}

/// Builds the graph and the quads of one extraction.
pub fn to_quads(rules: &Rules, vocab: &rdf::Vocab, x: &Extraction) -> Vec<oxigraph::model::Quad> {
    let g = x.graph(rules);
    let meta = rdf::DocMeta {
        key: &x.document.key,
        title: x.segmented.title.as_deref(),
        date: x.date,
        source: &x.document.source,
        content_hash: &x.document.content_hash,
        encoding: x.document.encoding,
    };
    rdf::document_quads(rules, vocab, &meta, &g)
}
