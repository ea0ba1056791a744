//! accord turns diplomatic texts into a knowledge graph.
//!
//! The stages, in the order data flows through them: [`read`] decodes a file, [`normalize`]
//! repairs its characters, [`segment`] cuts it into sections, paragraphs and sentences,
//! [`recognize`] finds typed mentions with the gazetteers and patterns of [`rules`],
//! [`relate`] turns sentences into facts, [`graph`] resolves entities to canonical ids,
//! [`rdf`] writes quads, [`store`] keeps them in Oxigraph and [`export`] dumps them;
//! [`serve`] answers SPARQL and entity pages over HTTP, read-only; [`explain`] says why a text
//! gave its facts and not others. Nothing a text says is lost silently: each [`Loss`] is
//! counted and can be listed.

pub mod check;
pub mod date;
pub mod eval;
pub mod explain;
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
    /// What the text says that gave nothing, and why (dates that cannot be read, words that
    /// point back to nothing); the graph adds the facts it cannot draw (`losses`).
    pub losses: Vec<Loss>,
    /// Facts a rule read that a later step set aside, with why.
    pub set_aside: Vec<relate::SetAside>,
    /// Each sentence as the relation rules read it last, when asked for (`explain`).
    pub trace: Vec<relate::Encoded>,
}

/// Something the text states that gives no fact. Nothing is lost silently: each loss is
/// counted in `extract`'s summary and listed, with its sentence, by `accord explain`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loss {
    /// Index of the paragraph in `Segmented::paragraphs`.
    pub paragraph: usize,
    /// Character offset, in the paragraph's text, of what was lost (the date, the word, the
    /// start of the sentence of a fact).
    pub at: usize,
    pub kind: LossKind,
    /// What was lost: the date or word as written, or the fact.
    pub what: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// A fact whose subject or object cannot become a node of the graph (the document's
    /// organisation where the text names none, an entity related to itself).
    DroppedFact,
    /// A date the patterns found that cannot be read (no year known, an impossible day).
    UnresolvedDate,
    /// A word that points back (`该公约`, `会议`, a rule's `$topic` or `$event`) to nothing
    /// named before it.
    NoAntecedent,
}

impl LossKind {
    /// How the summary and `explain` name losses of this kind, one and many.
    pub fn label(self, n: usize) -> &'static str {
        match (self, n == 1) {
            (LossKind::DroppedFact, true) => "fact dropped",
            (LossKind::DroppedFact, false) => "facts dropped",
            (LossKind::UnresolvedDate, true) => "date unresolved",
            (LossKind::UnresolvedDate, false) => "dates unresolved",
            (LossKind::NoAntecedent, true) => "anaphor unresolved",
            (LossKind::NoAntecedent, false) => "anaphors unresolved",
        }
    }
}

/// Losses counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LossCounts {
    pub dropped_facts: usize,
    pub unresolved_dates: usize,
    pub no_antecedent: usize,
}

impl LossCounts {
    pub fn of(losses: &[Loss]) -> LossCounts {
        let mut c = LossCounts::default();
        for l in losses {
            *c.slot(l.kind) += 1;
        }
        c
    }

    pub fn add(&mut self, other: LossCounts) {
        self.dropped_facts += other.dropped_facts;
        self.unresolved_dates += other.unresolved_dates;
        self.no_antecedent += other.no_antecedent;
    }

    fn slot(&mut self, kind: LossKind) -> &mut usize {
        match kind {
            LossKind::DroppedFact => &mut self.dropped_facts,
            LossKind::UnresolvedDate => &mut self.unresolved_dates,
            LossKind::NoAntecedent => &mut self.no_antecedent,
        }
    }

    /// `3 facts dropped, 1 date unresolved`: the kinds with a loss, in a fixed order; empty
    /// when nothing was lost.
    pub fn describe(self) -> String {
        let mut me = self;
        [
            LossKind::DroppedFact,
            LossKind::UnresolvedDate,
            LossKind::NoAntecedent,
        ]
        .into_iter()
        .filter_map(|k| {
            let n = *me.slot(k);
            (n > 0).then(|| format!("{n} {}", k.label(n)))
        })
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Runs every stage up to facts. Cannot fail: messy text gives fewer facts, not an error.
pub fn extract(rules: &Rules, document: Document) -> Extraction {
    run(rules, document, false)
}

/// `extract`, keeping each sentence as the relation rules read it last
/// (`Extraction::trace`), for `accord explain`.
pub fn extract_traced(rules: &Rules, document: Document) -> Extraction {
    run(rules, document, true)
}

fn run(rules: &Rules, document: Document, trace: bool) -> Extraction {
    let normalized = normalize::normalize_with(&document.text, &rules.regional);
    let segmented = segment::segment(&normalized, &rules.layout, &|line| {
        recognize::is_date_line(rules, line)
    });
    // A date given with the document (a JSON Lines record's `date`) is its date; the text's
    // own date line is only a guess at it.
    let stated = document
        .date
        .map(DateValue::day)
        .or_else(|| date_line_date(rules, &segmented));
    // Without either, the first day the text names dates its relative dates (`今年`), but is
    // no day the text was written on: what it tells of may lie before or after it.
    let date = stated.or_else(|| first_body_date(rules, &segmented));
    let mut earlier = None;
    let mut mentions: Vec<Vec<Mention>> = Vec::with_capacity(segmented.paragraphs.len());
    for p in &segmented.paragraphs {
        let ms = recognize::recognize_after(rules, &p.text, date.map(|d| d.start), earlier);
        earlier = last_day(&ms).or(earlier);
        mentions.push(ms);
    }
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
    let mut losses = unresolved_dates(rules, &texts, &mentions);
    resolve_anaphors(rules, &texts, &mut mentions, &mut losses);
    let mut facts = Vec::new();
    let mut context = relate::Context {
        trace: trace.then(Vec::new),
        today: stated.map(|d| d.start),
        ..Default::default()
    };
    for (i, p) in segmented.paragraphs.iter().enumerate() {
        facts.extend(relate::relate(rules, p, i, &mentions[i], &mut context));
    }
    let clean: String = segmented
        .paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect();
    relate::resolve_document(rules, &mut facts, &clean, &mut context.set_aside);
    losses.append(&mut context.losses);
    losses.sort();
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
        losses,
        set_aside: context.set_aside,
        trace: context.trace.unwrap_or_default(),
    }
}

/// The start of the last date of a paragraph that names a day.
fn last_day(mentions: &[Mention]) -> Option<crate::date::Point> {
    mentions.iter().rev().find_map(|m| match &m.target {
        recognize::Target::Date(d) if d.start.day.is_some() => Some(d.start),
        _ => None,
    })
}

/// Dates a date pattern found that are no mention and lost to no other mention: recognition
/// could not read them against their context (a day without a year in an undated text, an
/// impossible day), so it dropped them.
fn unresolved_dates(rules: &Rules, texts: &[&str], mentions: &[Vec<Mention>]) -> Vec<Loss> {
    let (set, dates) = &*date_set(rules);
    let mut out = Vec::new();
    for (p, (text, ms)) in texts.iter().zip(mentions).enumerate() {
        let chars = recognize::CharIndex::new(text);
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        // One pass tells which date patterns match the paragraph; only those are run.
        for i in set.matches(text).iter() {
            for caps in rules.patterns[dates[i]].regex.captures_iter(text) {
                let m = caps.name("mention").unwrap_or_else(|| caps.get(0).unwrap());
                spans.push((chars.char_at(m.start()), chars.char_at(m.end()), m.as_str()));
            }
        }
        // The longest date at a place stands for the shorter ones inside it.
        spans.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut covered = 0;
        for (start, end, written) in spans {
            let free = ms.iter().all(|m| m.end <= start || m.start >= end);
            if start < end && start >= covered && free {
                out.push(Loss {
                    paragraph: p,
                    at: start,
                    kind: LossKind::UnresolvedDate,
                    what: written.to_string(),
                });
                covered = end;
            }
        }
    }
    out
}

/// The date patterns as one set, and the index in `Rules::patterns` of each; built once per
/// rule set (by its hash).
fn date_set(rules: &Rules) -> std::sync::Arc<(regex::RegexSet, Vec<usize>)> {
    type Built = std::sync::Mutex<Vec<(String, std::sync::Arc<(regex::RegexSet, Vec<usize>)>)>>;
    static BUILT: std::sync::OnceLock<Built> = std::sync::OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .expect("date set");
    if let Some((_, set)) = built.iter().find(|(hash, _)| *hash == rules.hash) {
        return std::sync::Arc::clone(set);
    }
    let dates: Vec<usize> = (0..rules.patterns.len())
        .filter(|&i| rules.patterns[i].kind == Kind::Date)
        .collect();
    let set = regex::RegexSet::new(dates.iter().map(|&i| rules.patterns[i].regex.as_str()))
        .expect("date patterns compiled one by one compile as a set");
    let set = std::sync::Arc::new((set, dates));
    built.push((rules.hash.clone(), std::sync::Arc::clone(&set)));
    set
}

/// `出席会议`: the meeting is the last event named before, in this paragraph or an earlier
/// one. With no event named before, the anaphor is left to the relation stage, which knows
/// the meetings its rules name (`Target::Unresolved`); a word of the lexicon's
/// `unnamed_meeting` (`峰会`) may there name the document's own meeting. A document anaphor
/// (`该公约`) is the last document named before whose name holds its word, an organisation
/// anaphor (`该联盟`) the last organisation or initiative so named; with none, it names nothing.
fn resolve_anaphors(
    rules: &Rules,
    texts: &[&str],
    mentions: &mut [Vec<Mention>],
    losses: &mut Vec<Loss>,
) {
    // Events and documents named so far: their names as written and what they stand for.
    let mut events: Vec<(String, Target)> = Vec::new();
    let mut documents: Vec<(String, Target)> = Vec::new();
    // Organisations and initiatives named so far, for `该联盟`, `该组织`.
    let mut bodies: Vec<(String, Target)> = Vec::new();
    for (p, (text, paragraph)) in texts.iter().zip(mentions.iter_mut()).enumerate() {
        let chars: Vec<char> = text.chars().collect();
        let word_of = |m: &Mention| -> String { chars[m.start..m.end].iter().collect() };
        // The persons this paragraph has named so far, for `他`, `她`.
        let mut persons: Vec<Target> = Vec::new();
        paragraph.retain_mut(|m| {
            match (&m.target, m.kind) {
                (Target::Anaphor, Kind::Person) => {
                    // `他提出…` is the one person the paragraph has named; with none or several,
                    // nobody.
                    match &persons[..] {
                        [one] => m.target = one.clone(),
                        _ => {
                            losses.push(Loss {
                                paragraph: p,
                                at: m.start,
                                kind: LossKind::NoAntecedent,
                                what: word_of(m),
                            });
                            return false;
                        }
                    }
                }
                (t, Kind::Person) if !persons.contains(t) => persons.push(t.clone()),
                (Target::Anaphor, Kind::Document | Kind::Organization) => {
                    let written = word_of(m);
                    let word = match &rules.determiner {
                        Some(re) => re.replace(&written, "").into_owned(),
                        None => written,
                    };
                    let named = if m.kind == Kind::Document {
                        &documents
                    } else {
                        &bodies
                    };
                    match named.iter().rev().find(|(name, _)| name.contains(&word)) {
                        Some((_, t)) => m.target = t.clone(),
                        None => {
                            losses.push(Loss {
                                paragraph: p,
                                at: m.start,
                                kind: LossKind::NoAntecedent,
                                what: word,
                            });
                            return false;
                        }
                    }
                }
                (Target::Anaphor, _) => {
                    // The meeting word without its determiner (本届峰会: 峰会).
                    let written = word_of(m);
                    let word = match &rules.determiner {
                        Some(re) => re.replace(&written, "").into_owned(),
                        None => written,
                    };
                    // `会议` does not point back to talks (`会谈`); `会谈` may.
                    let talks = rules.is_talks(&word);
                    let antecedent = events
                        .iter()
                        .rev()
                        .find(|(name, _)| talks || !rules.is_talks(name));
                    m.target = match antecedent {
                        // `论坛` after `…论坛开幕式`: the forum the ceremony names, unless the word
                        // is itself a ceremony's (a bare `开幕式` is that ceremony).
                        Some((name, _))
                            if let Some(meeting) = rules.meeting_of_ceremony(name)
                                && rules.meeting_of_ceremony(&format!("{meeting}{word}"))
                                    != Some(meeting) =>
                        {
                            Target::Text(meeting.to_string())
                        }
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
                    if let Some(t) = ceremony_of_last(rules, label, &events) =>
                {
                    // Named now, the ceremony is what a later `出席开幕式` points back to.
                    events.push((word_of(m), t.clone()));
                    m.target = t;
                }
                (Target::Text(_), Kind::Event)
                    if let Some((_, t)) = apposition_of(rules, &chars, m.start, &events) =>
                {
                    m.target = t.clone();
                }
                (Target::Text(label), Kind::Event)
                    if !named_by_year(rules, &chars, m.start)
                        && let Some((_, t)) = short_name_of(rules, label, &events)
                            .or_else(|| generic_name_of(rules, &word_of(m), &events)) =>
                {
                    m.target = t.clone();
                }
                (_, Kind::Event) if recalled_meeting(rules, &chars, m.start) => {}
                (t, Kind::Event) => {
                    let word = word_of(m);
                    // The organisation a meeting's name opens with is named too (`该联盟`
                    // after `欧亚经济联盟最高理事会会议`).
                    if let Some((org, rest)) = rules.organisation_prefix(&word) {
                        let written = &word[..word.len() - rest.len()];
                        bodies.push((written.to_string(), Target::Entity(org)));
                    }
                    // `本次峰会` after `…峰会开幕式` is the summit, which the ceremony names.
                    if let Some(meeting) = rules.meeting_of_ceremony(&word) {
                        events.push((meeting.to_string(), Target::Text(meeting.to_string())));
                    }
                    // A year given a theme or an exercise is no meeting `会上` points back to.
                    if !rules.is_no_meeting(&word) {
                        events.push((word, t.clone()));
                    }
                }
                (t, Kind::Document) => documents.push((word_of(m), t.clone())),
                (t, Kind::Organization | Kind::Initiative) => bodies.push((word_of(m), t.clone())),
                _ => {}
            }
            true
        });
    }
}

/// A ceremony named by a bare meeting word (`出席会议开幕式`, the lexicon's `unnamed_ceremony`)
/// is the ceremony of the last meeting named (`…第五届部长级会议开幕式`), or the last ceremony
/// named when that is one.
fn ceremony_of_last(rules: &Rules, label: &str, events: &[(String, Target)]) -> Option<Target> {
    let caps = rules.unnamed_ceremony.as_ref()?.captures(label)?;
    let ceremony = caps.name("ceremony")?.as_str();
    let meeting = events.iter().rev().find_map(|(name, t)| match t {
        _ if rules.is_talks(name) => None,
        Target::Text(l) => Some(l.clone()),
        Target::Entity(i) => Some(rules.entities[*i].zh.clone()),
        _ => None,
    })?;
    // The last one named is a ceremony already: the word is that one.
    if rules.meeting_of_ceremony(&meeting).is_some() {
        return Some(Target::Text(meeting));
    }
    Some(Target::Text(format!("{meeting}{ceremony}")))
}

/// A meeting named after a copula (`这是金砖扩员后首次峰会`, `…会议是指…举行的经济合作论坛会议`)
/// is the meeting named last, described again: the lexicon's `apposition` says what the text
/// before such a name reads like.
fn apposition_of<'a>(
    rules: &Rules,
    chars: &[char],
    start: usize,
    events: &'a [(String, Target)],
) -> Option<&'a (String, Target)> {
    reads_before(rules.apposition.as_ref(), chars, start)
        .then(|| events.last())
        .flatten()
}

/// Whether the clause before the meeting named at character `start` of a paragraph tells of a
/// meeting past (`去年在塔什干峰会上`, lexicon `past_reference`): the meeting is only recalled, so
/// a later `会议` is not it, and the relation stage does not take it as the meeting `$event`
/// stands for.
pub(crate) fn recalled_meeting(rules: &Rules, chars: &[char], start: usize) -> bool {
    reads_before(rules.past_reference.as_ref(), chars, start)
}

/// Whether a year is written right before a meeting's name (`2025年上合组织峰会`, lexicon
/// `named_by_year`): that year's meeting, which a shorter name of one named before is not.
fn named_by_year(rules: &Rules, chars: &[char], start: usize) -> bool {
    reads_before(rules.named_by_year.as_ref(), chars, start)
}

/// Whether the text before a meeting's name (at most `APPOSITION_WINDOW` characters) matches a
/// lexicon regex (`apposition`, `past_reference`, `named_by_year`); no regex, no match.
fn reads_before(re: Option<&regex::Regex>, chars: &[char], start: usize) -> bool {
    re.is_some_and(|re| {
        let start = start.min(chars.len());
        let before: String = chars[start.saturating_sub(APPOSITION_WINDOW)..start]
            .iter()
            .collect();
        re.is_match(&before)
    })
}

/// The most characters before a meeting's name that `apposition` and `past_reference` read.
const APPOSITION_WINDOW: usize = 40;

/// A short name (`领袖会议`) that ends the name of a meeting named before (`亚太经济合作会议
/// 经济领袖会议`), with or without its ordinal, is that meeting, as news reports shorten it. A bare meeting word is an anaphor
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
    // The name may leave out the ordinal (`领导人会晤` after `金砖国家领导人第十七次会晤`).
    events.iter().rev().find(|(name, _)| {
        let bare = rules.without_ordinal(name);
        name.chars().count() > len
            && (name.ends_with(label) || bare.chars().count() > len && bare.ends_with(label))
            && !rules.is_talks(name)
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

/// The date line under the signature block.
fn date_line_date(rules: &Rules, s: &Segmented) -> Option<DateValue> {
    s.paragraphs
        .iter()
        .rev()
        .find(|p| p.kind == ParagraphKind::DateLine)
        .and_then(|p| first_day(rules, &p.text))
}

/// The first full date of the first paragraph.
fn first_body_date(rules: &Rules, s: &Segmented) -> Option<DateValue> {
    s.paragraphs
        .iter()
        .find(|p| p.kind == ParagraphKind::Body)
        .and_then(|p| first_day(rules, &p.text))
}

/// The first single day `text` names.
fn first_day(rules: &Rules, text: &str) -> Option<DateValue> {
    recognize::recognize(rules, text, None)
        .into_iter()
        .find_map(|m| match m.target {
            Target::Date(d) if d.is_day() => Some(d),
            _ => None,
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
    to_quads_and_losses(rules, vocab, x).0
}

/// The quads of one extraction, and everything it lost: its own losses and the facts the graph
/// could not draw.
pub fn to_quads_and_losses(
    rules: &Rules,
    vocab: &rdf::Vocab,
    x: &Extraction,
) -> (Vec<oxigraph::model::Quad>, Vec<Loss>) {
    let g = x.graph(rules);
    let meta = rdf::DocMeta {
        key: &x.document.key,
        title: x.segmented.title.as_deref(),
        date: x.date,
        source: &x.document.source,
        content_hash: &x.document.content_hash,
        encoding: x.document.encoding,
    };
    let quads = rdf::document_quads(rules, vocab, &meta, &g);
    let mut losses = x.losses.clone();
    losses.extend(g.dropped);
    losses.sort();
    (quads, losses)
}
