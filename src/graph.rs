//! Resolves the facts of one document to canonical entities: gazetteer entities by key,
//! entities found in the text by their normalised label (abbreviations expanded, so
//! 《上合组织宪章》 and 《上海合作组织宪章》 are one node), events by label and start date, and
//! the member-state group of the document's organisation, and the text's own document (a
//! `Document` named by the text's title). The result is a petgraph graph of every entity the
//! text names, with facts as edges, plus the sentences the facts come from.
//!
//! Invariant: the same input and rules give the same identifiers, in the same order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::date::Point;
use crate::recognize::{Mention, Target};
use crate::relate::{Fact, Node, event_dates};
use crate::rules::{GroupOf, Kind, Rules};
use crate::segment::{ParagraphKind, Segmented};

/// An entity as the graph knows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entity {
    /// A gazetteer entity (index into `Rules::entities`).
    Known(usize),
    /// Found in this document's text.
    Found {
        kind: Kind,
        path: String,
        label: String,
    },
    /// The member states of an organisation, as this document lists them.
    Group {
        path: String,
        of: Option<usize>,
        participants: bool,
    },
}

impl Entity {
    /// The IRI path under the base: `state/uzb`, `document/上海合作组织宪章`, …
    pub fn path(&self, rules: &Rules) -> String {
        match self {
            Entity::Known(i) => format!(
                "{}/{}",
                rules.entities[*i].kind.segment(),
                rules.entities[*i].key
            ),
            Entity::Found { path, .. } | Entity::Group { path, .. } => path.clone(),
        }
    }
}

/// The object of an edge: an entity or a date literal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Entity(NodeIndex),
    Date(Point),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub predicate: String,
    pub rule: String,
    /// Index into `DocGraph::sentences`.
    pub sentence: usize,
    pub role: Option<String>,
}

/// A sentence that gave at least one fact.
#[derive(Clone, Debug)]
pub struct Sentence {
    pub number: usize,
    pub text: String,
    pub paragraph: usize,
    pub section: Option<String>,
    pub chars: (usize, usize),
    pub bytes: (u32, u32),
    /// The sentence as the file writes it (traditional script, layout characters), when that
    /// differs from `text`.
    pub source_text: Option<String>,
}

#[derive(Debug)]
pub struct DocGraph {
    /// Entities are nodes; an entity-to-entity fact is an edge.
    pub graph: DiGraph<Entity, Edge>,
    /// Facts whose object is a date: (subject, edge, date).
    pub dated: Vec<(NodeIndex, Edge, Point)>,
    pub sentences: Vec<Sentence>,
    /// The organisation whose member states `成员国` names.
    pub organisation: Option<usize>,
    /// Aliases this document defines for its entities (`skos:altLabel` in its graph).
    pub aliases: Vec<(NodeIndex, String)>,
    /// The text's own document: the `Document` its title names (`$document` of the rules).
    pub document: NodeIndex,
    /// Whether the text names its own document elsewhere than in its title (every other node
    /// is named by the text: a mention or a fact).
    pub document_mentioned: bool,
    /// Facts that could not be drawn: an end that cannot become a node, an entity related
    /// to itself (`LossKind::DroppedFact`).
    pub dropped: Vec<crate::Loss>,
}

pub struct Input<'a> {
    pub key: &'a str,
    pub segmented: &'a Segmented,
    pub mentions: &'a [Vec<Mention>],
    pub facts: &'a [Fact],
    pub byte_offsets: &'a [u32],
    /// The decoded text of the file.
    pub decoded: &'a str,
    /// Short forms the text defines for entities.
    pub abbreviations: &'a [crate::recognize::Abbreviation],
    /// The text's title (its file key when it has no title line).
    pub title: &'a str,
}

pub fn build(rules: &Rules, input: &Input) -> DocGraph {
    let organisation = main_organisation(rules, input.mentions);
    let mut b = Builder {
        rules,
        key: input.key,
        organisation,
        graph: DiGraph::new(),
        index: HashMap::new(),
        event_dates: event_dates(input.facts),
        document: NodeIndex::new(0),
    };
    let title = display_label(input.title);
    b.document = b.add(Entity::Found {
        kind: Kind::Document,
        path: format!(
            "{}/{}",
            Kind::Document.segment(),
            canonical_key(rules, &title)
        ),
        label: title,
    });
    let decoded: Vec<char> = input.decoded.chars().collect();
    let mut sentences = Vec::new();
    let mut sentence_index: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut dated = Vec::new();
    let mut dropped = Vec::new();
    for f in input.facts {
        let s = *sentence_index
            .entry((f.paragraph, f.sentence))
            .or_insert_with(|| {
                sentences.push(sentence(
                    input,
                    &decoded,
                    f.paragraph,
                    f.sentence,
                    sentences.len() + 1,
                ));
                sentences.len() - 1
            });
        let edge = Edge {
            predicate: f.predicate.clone(),
            rule: f.rule.clone(),
            sentence: s,
            role: f.role.clone(),
        };
        let Some(subject) = b.node(&f.subject) else {
            dropped.push(dropped_fact(rules, input, f, node_problem(&f.subject)));
            continue;
        };
        match &f.object {
            Node::Date(d) => dated.push((subject, edge, d.start)),
            object => match b.node(object) {
                // No entity is related to itself (`非洲联盟 joined` the document's organisation
                // when that is 非洲联盟).
                Some(o) if o == subject => {
                    dropped.push(dropped_fact(rules, input, f, "an entity related to itself"));
                }
                Some(o) => {
                    b.graph.add_edge(subject, o, edge);
                }
                None => dropped.push(dropped_fact(rules, input, f, node_problem(object))),
            },
        }
    }
    if let Some((date, edge)) = signature_date(input, &decoded, &mut sentences) {
        dated.push((b.document, edge, date));
    }
    dated.sort();
    dated.dedup();
    // Every entity the text names is in the graph, whether it takes part in a fact or not.
    let mut document_mentioned = false;
    for m in input.mentions.iter().flatten() {
        let node = match &m.target {
            Target::Entity(i) => Node::Entity(*i),
            Target::Parties(states) => {
                for &i in states {
                    b.node(&Node::Entity(i));
                }
                continue;
            }
            Target::Group { of } => Node::Group { of: *of },
            Target::Text(label) if !label.trim().is_empty() => {
                // An undated name of a meeting the facts date is that meeting (or one of them).
                if m.kind == Kind::Event && b.event_dates.contains_key(label) {
                    continue;
                }
                Node::Text {
                    kind: m.kind,
                    label: label.clone(),
                    date: None,
                }
            }
            _ => continue,
        };
        if let Some(i) = b.node(&node) {
            document_mentioned |= i == b.document;
        }
    }
    let mut aliases = Vec::new();
    for a in input.abbreviations {
        let node = match &a.target {
            Target::Entity(i) => Node::Entity(*i),
            Target::Text(label) => Node::Text {
                kind: a.kind,
                label: label.clone(),
                date: None,
            },
            _ => continue,
        };
        let path = match &node {
            Node::Entity(i) => Entity::Known(*i).path(rules),
            Node::Text { kind, label, .. } => {
                format!("{}/{}", kind.segment(), canonical_key(rules, label))
            }
            _ => continue,
        };
        if let Some(&i) = b.index.get(&path) {
            aliases.push((i, a.short.clone()));
        }
    }
    aliases.extend(proposal_names(rules, &b.graph));
    aliases.sort();
    aliases.dedup();
    DocGraph {
        graph: b.graph,
        dated,
        sentences,
        organisation,
        aliases,
        document: b.document,
        document_mentioned,
        dropped,
    }
}

/// Why a node of a fact cannot be drawn (`Builder::node` gives none).
fn node_problem(n: &Node) -> &'static str {
    match n {
        Node::Organisation => "the text names no organisation for $organisation",
        Node::Date(_) => "a date cannot be a subject",
        _ => "no node",
    }
}

/// A node as reports name it: an entity's Chinese name, a found name with its date
/// (`…会议@2020-11-10`), the group word, `$organisation`, `$document`, a date.
pub fn node_name(rules: &Rules, n: &Node) -> String {
    match n {
        Node::Entity(i) => rules.entities[*i].zh.clone(),
        Node::Text { label, date, .. } => match date {
            Some(d) => format!("{label}@{d}"),
            None => label.clone(),
        },
        Node::Group { .. } => rules.group_label.clone(),
        Node::Organisation => crate::rules::ORGANISATION_SLOT.to_string(),
        Node::Document => crate::rules::DOCUMENT_SLOT.to_string(),
        Node::Date(d) => d.to_string(),
    }
}

fn dropped_fact(rules: &Rules, input: &Input, f: &Fact, why: &str) -> crate::Loss {
    let name = |n: &Node| node_name(rules, n);
    crate::Loss {
        paragraph: f.paragraph,
        at: input.segmented.paragraphs[f.paragraph].sentences[f.sentence].start,
        kind: crate::LossKind::DroppedFact,
        what: format!(
            "{} {} {} [{}]: {why}",
            name(&f.subject),
            f.predicate,
            name(&f.object),
            f.rule
        ),
    }
}

/// `adoptedOn` of the text's own document: the day of the date line under its signature
/// block. The date line becomes the sentence of the fact.
fn signature_date(
    input: &Input,
    decoded: &[char],
    sentences: &mut Vec<Sentence>,
) -> Option<(Point, Edge)> {
    let paragraphs = &input.segmented.paragraphs;
    // A signature block names its signers: a short line above a date (a news headline) is none.
    let signed = input.facts.iter().any(|f| {
        f.predicate == "represents" && paragraphs[f.paragraph].kind == ParagraphKind::Signature
    });
    if !signed {
        return None;
    }
    let p = paragraphs
        .iter()
        .rposition(|p| p.kind == ParagraphKind::DateLine)?;
    let (start, date) = input.mentions[p].iter().find_map(|m| match m.target {
        Target::Date(d) if d.is_day() => Some((m.start, d.start)),
        _ => None,
    })?;
    let s = paragraphs[p]
        .sentences
        .iter()
        .position(|r| r.contains(&start))?;
    sentences.push(sentence(input, decoded, p, s, sentences.len() + 1));
    Some((
        date,
        Edge {
            predicate: "adoptedOn".into(),
            rule: SIGNATURE_DATE_RULE.into(),
            sentence: sentences.len() - 1,
            role: None,
        },
    ))
}

/// Rule id of `adoptedOn` from the date line of a signature block.
pub const SIGNATURE_DATE_RULE: &str = "signature-date";

struct Builder<'a> {
    rules: &'a Rules,
    key: &'a str,
    organisation: Option<usize>,
    graph: DiGraph<Entity, Edge>,
    index: HashMap<String, NodeIndex>,
    /// Dates of each event label in the document: an event named without its date elsewhere
    /// in the text is that event when the document knows one date for it.
    event_dates: HashMap<String, BTreeSet<Point>>,
    /// The text's own document.
    document: NodeIndex,
}

impl Builder<'_> {
    fn add(&mut self, entity: Entity) -> NodeIndex {
        let path = entity.path(self.rules);
        *self
            .index
            .entry(path)
            .or_insert_with(|| self.graph.add_node(entity))
    }

    fn node(&mut self, n: &Node) -> Option<NodeIndex> {
        let entity = match n {
            Node::Entity(i) => Entity::Known(*i),
            Node::Text { kind, label, date } => {
                let key = match kind {
                    Kind::Event => canonical_key(self.rules, &without_notes(label)),
                    _ => canonical_key(self.rules, label),
                };
                let mut path = format!("{}/{}", kind.segment(), key);
                let date = date.or_else(|| match self.event_dates.get(label) {
                    Some(dates) if *kind == Kind::Event && dates.len() == 1 => {
                        dates.first().copied()
                    }
                    _ => None,
                });
                if let Some(d) = date {
                    path.push('@');
                    path.push_str(&d.to_string());
                } else if *kind == Kind::Event
                    && !self
                        .rules
                        .event_global
                        .as_ref()
                        .is_some_and(|re| re.is_match(label))
                {
                    // An undated meeting without a name of its own (联盟首次会议, 会谈) is
                    // this document's: another text's meeting of that name is another.
                    path = format!("{}/{}/{}", kind.segment(), self.key, key);
                }
                Entity::Found {
                    kind: *kind,
                    path,
                    label: display_label(label),
                }
            }
            Node::Group { of } => {
                // The member states of the document's organisation; in a text that names
                // no organisation, `成员国`/`各方` are its parties.
                let of = match (*of, self.organisation) {
                    (GroupOf::Document, Some(i)) | (GroupOf::Organisation(i), _) => i,
                    (GroupOf::Document, None) | (GroupOf::Participants, _) => {
                        let path = format!("group/{}/participants", self.key);
                        return Some(self.add(Entity::Group {
                            path,
                            of: None,
                            participants: true,
                        }));
                    }
                };
                let key = &self.rules.entities[of].key;
                Entity::Group {
                    path: format!("group/{}/{key}-member-states", self.key),
                    of: Some(of),
                    participants: false,
                }
            }
            Node::Organisation => Entity::Known(self.organisation?),
            Node::Document => return Some(self.document),
            Node::Date(_) => return None,
        };
        Some(self.add(entity))
    }
}

/// The organisation named most often, in meeting names too (ties: the one named first): the
/// one whose member states a bare `成员国` stands for. A text's own meeting usually carries its
/// organisation in its name (上海合作组织成员国元首理事会会议), while other bodies are named once
/// each in passing (独联体执委会主席, 集安组织秘书长).
fn main_organisation(rules: &Rules, mentions: &[Vec<Mention>]) -> Option<usize> {
    // Per organisation: how often it is named, and the order in which it was first named.
    let mut counts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    // A name outside meeting names counts twice: a meeting of another body may be named in
    // passing (金砖国家领导人新德里会晤期间) in a text about one body (新开发银行).
    let mut count = |i: usize, weight: usize| {
        let first = counts.len();
        counts.entry(i).or_insert((0, first)).0 += weight;
    };
    let (automaton, targets) = &rules.organisations;
    for m in mentions.iter().flatten() {
        if let Some(i) = m.owner {
            count(i, 1);
        }
        // A meeting found whole names its organisation too (集体安全条约组织特别峰会): the
        // shortest organisation at each place in its name (上合组织, not 上合组织成员国元首理事会).
        if let (Kind::Event, Target::Text(label)) = (m.kind, &m.target) {
            for found in automaton.find_iter(label.as_str()) {
                let mut owner = targets[found.pattern().as_usize()];
                let mut text = &label[found.start()..found.end()];
                while let Some((last, _)) = text.char_indices().last() {
                    text = &text[..last];
                    match automaton.find(text).filter(|f| f.start() == 0) {
                        Some(shorter) => owner = targets[shorter.pattern().as_usize()],
                        None => break,
                    }
                }
                count(owner, 1);
            }
        }
        match m.target {
            Target::Entity(i) if rules.entities[i].kind == Kind::Organization => count(i, 2),
            Target::Group {
                of: GroupOf::Organisation(i),
            } => count(i, 2),
            _ => {}
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| (a.1).0.cmp(&(b.1).0).then((b.1).1.cmp(&(a.1).1)))
        .map(|(i, _)| i)
}

fn sentence(input: &Input, decoded: &[char], p: usize, s: usize, number: usize) -> Sentence {
    let para = &input.segmented.paragraphs[p];
    let range = para.sentences[s].clone();
    let text: String = para
        .text
        .chars()
        .skip(range.start)
        .take(range.len())
        .collect();
    let start = para.origin[range.start];
    let end = para.origin[range.end - 1] + 1;
    let source: String = para.origin[range.clone()]
        .iter()
        .map(|&i| decoded[i])
        .collect();
    Sentence {
        number,
        source_text: (source != text).then_some(source),
        text,
        paragraph: para.number,
        section: para.section.clone(),
        chars: (start, end),
        bytes: (input.byte_offsets[start], input.byte_offsets[end]),
    }
}

/// A proposal named by what it sets up (`设立亚信基金`) is also known by that thing's name
/// (`亚信基金`): the lexicon's `proposal_name`, which leaves out one set up in a place.
fn proposal_names(rules: &Rules, graph: &DiGraph<Entity, Edge>) -> Vec<(NodeIndex, String)> {
    let Some(re) = &rules.proposal_name else {
        return Vec::new();
    };
    graph
        .node_indices()
        .filter_map(|i| match &graph[i] {
            Entity::Found {
                kind: Kind::Initiative,
                label,
                ..
            } => re
                .captures(label)
                .and_then(|c| c.name("name"))
                .map(|m| (i, m.as_str().to_string())),
            _ => None,
        })
        .collect()
}

/// Quote marks and brackets are typography, not part of a name.
const TYPOGRAPHY: &[char] = &[
    '《', '》', '〈', '〉', '“', '”', '‘', '’', '「', '」', '『', '』', '"', '\'',
];

/// The label without surrounding 《》: the written title is kept otherwise.
pub fn display_label(label: &str) -> String {
    let l = label.trim();
    match l.strip_prefix('《').and_then(|x| x.strip_suffix('》')) {
        Some(inner) if !inner.contains('《') => inner.to_string(),
        _ => l.to_string(),
    }
}

/// A meeting's name without its bracketed notes: `中国—东盟（10+1）领导人会议` and
/// `中国—东盟领导人会议`, `政府首脑（总理）理事会会议` and `政府首脑理事会会议` are one meeting.
/// (A document's bracketed years tell two plans apart, so documents keep theirs.)
pub fn without_notes(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut depth = 0usize;
    for c in label.chars() {
        match c {
            '（' => depth += 1,
            '）' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    if depth > 0 || out.chars().count() < 2 {
        return label.to_string();
    }
    out
}

/// The key of an entity found in text: typography and spaces removed, organisation
/// abbreviations replaced by the organisation's label.
pub fn canonical_key(rules: &Rules, label: &str) -> String {
    let bare: String = label
        .chars()
        .filter(|c| !TYPOGRAPHY.contains(c) && !c.is_whitespace())
        .collect();
    let mut out = String::with_capacity(bare.len());
    let mut last = 0;
    let (automaton, targets) = &rules.organisations;
    for m in automaton.find_iter(&bare) {
        out.push_str(&bare[last..m.start()]);
        out.push_str(&rules.entities[targets[m.pattern().as_usize()]].zh);
        last = m.end();
    }
    out.push_str(&bare[last..]);
    out
}

/// First and last day covered by every date attached to each entity (`acc:startDay`,
/// `acc:endDay`), so range queries need not compare `xsd:gYear` with `xsd:date`.
pub fn day_bounds(g: &DocGraph) -> BTreeMap<NodeIndex, (chrono::NaiveDate, chrono::NaiveDate)> {
    let mut out: BTreeMap<NodeIndex, (chrono::NaiveDate, chrono::NaiveDate)> = BTreeMap::new();
    for (n, _, p) in &g.dated {
        let (first, last) = (p.first_day(), p.last_day());
        out.entry(*n)
            .and_modify(|b| {
                b.0 = b.0.min(first);
                b.1 = b.1.max(last);
            })
            .or_insert((first, last));
    }
    out
}
