//! Exports the store: RDF through Oxigraph's serialisers (Turtle, N-Triples, N-Quads, TriG),
//! the compact JSON-LD rendering with accord's own `@context`, and graph dumps for people
//! (DOT, GraphML, Cytoscape JSON) of the entity-to-entity facts: all of them, or the part a
//! [`Selection`] asks for (the neighbourhood of an entity, some predicates, classes, one
//! document).
//!
//! Invariant: input quads are sorted by the caller and every output is built in that order,
//! so the same store gives byte-identical files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, Literal, NamedOrBlankNode, Quad, Term, Triple};
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::{Map, Value, json};

use crate::rdf::{DCTERMS, OWL, PROV, RDF, RDFS, SKOS, Vocab, XSD};
use crate::rules::{PREDICATES, Rules};

/// The `@context` of `graph.jsonld`, shipped as `ontology/context.jsonld`.
pub const CONTEXT: &str = include_str!("../ontology/context.jsonld");

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Turtle,
    Ntriples,
    Nquads,
    Trig,
    Jsonld,
    Dot,
    Graphml,
    Cytoscape,
}

impl Format {
    /// File name of this export in the output folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Turtle => "graph.ttl",
            Format::Ntriples => "graph.nt",
            Format::Nquads => "graph.nq",
            Format::Trig => "graph.trig",
            Format::Jsonld => "graph.jsonld",
            Format::Dot => "graph.dot",
            Format::Graphml => "graph.graphml",
            Format::Cytoscape => "graph.cyjs",
        }
    }
}

/// The exports `accord extract` writes.
pub const EXTRACT_FORMATS: &[Format] = &[
    Format::Turtle,
    Format::Nquads,
    Format::Trig,
    Format::Jsonld,
    Format::Dot,
    Format::Graphml,
];

/// File name of the gazetteer export (`id/graph/entities` in Turtle).
pub const GAZETTEER_FILE: &str = "entities.ttl";

/// Splits sorted quads into the documents' graphs and the gazetteer graph
/// (`id/graph/entities`, every gazetteer entity, written once per store): the graph exports
/// hold the documents, each describing the entities its text names; the gazetteer goes to a
/// file of its own.
pub fn split_gazetteer(quads: Vec<Quad>, vocab: &Vocab) -> (Vec<Quad>, Vec<Quad>) {
    let entities = GraphName::from(vocab.entities_graph());
    quads.into_iter().partition(|q| q.graph_name != entities)
}

pub fn write(format: Format, quads: &[Quad], vocab: &Vocab, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Turtle => write_triples(RdfFormat::Turtle, quads, vocab, w),
        Format::Ntriples => write_triples(RdfFormat::NTriples, quads, vocab, w),
        Format::Nquads => write_quads(RdfFormat::NQuads, quads, vocab, w),
        Format::Trig => write_quads(RdfFormat::TriG, quads, vocab, w),
        Format::Jsonld => write_json(&jsonld(quads, vocab), w),
        Format::Dot | Format::Graphml | Format::Cytoscape => {
            write_drawing(format, &drawing(quads, vocab), w)
        }
    }
}

fn prefixes(vocab: &Vocab) -> Vec<(&'static str, String)> {
    vec![
        ("acc", vocab.ontology()),
        ("dcterms", DCTERMS.into()),
        ("owl", OWL.into()),
        ("prov", PROV.into()),
        ("rdf", RDF.into()),
        ("rdfs", RDFS.into()),
        ("skos", SKOS.into()),
        ("wd", crate::rdf::WIKIDATA.into()),
        ("xsd", XSD.into()),
    ]
}

fn serializer(format: RdfFormat, vocab: &Vocab) -> RdfSerializer {
    with_prefixes(RdfSerializer::from_format(format), format, prefixes(vocab))
}

/// A serialiser for the answers of `accord query`: the export prefixes and `id:` for the
/// resources (`id:state\/uzb`), since an answer is read by people more than diffed.
pub fn answer_serializer(format: RdfFormat, vocab: &Vocab) -> RdfSerializer {
    let mut prefixes = prefixes(vocab);
    prefixes.push(("id", format!("{}id/", vocab.base)));
    with_prefixes(RdfSerializer::from_format(format), format, prefixes)
}

/// Prefixes only where the format has them (Turtle, TriG).
fn with_prefixes(
    mut s: RdfSerializer,
    format: RdfFormat,
    prefixes: Vec<(&'static str, String)>,
) -> RdfSerializer {
    if matches!(format, RdfFormat::Turtle | RdfFormat::TriG) {
        for (p, iri) in prefixes {
            s = s.with_prefix(p, iri).expect("valid prefix");
        }
    }
    s
}

/// All graphs merged into one: a triple stated in several graphs is written once.
fn write_triples(
    format: RdfFormat,
    quads: &[Quad],
    vocab: &Vocab,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut triples: Vec<Triple> = quads.iter().map(|q| Triple::from(q.clone())).collect();
    triples.sort_by_cached_key(|t| {
        (
            t.subject.to_string(),
            t.predicate.to_string(),
            t.object.to_string(),
        )
    });
    triples.dedup();
    let mut ser = serializer(format, vocab).for_writer(w);
    for t in &triples {
        ser.serialize_triple(t)?;
    }
    ser.finish()?;
    Ok(())
}

fn write_quads(
    format: RdfFormat,
    quads: &[Quad],
    vocab: &Vocab,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut ser = serializer(format, vocab).for_writer(w);
    for q in quads {
        ser.serialize_quad(q)?;
    }
    ser.finish()?;
    Ok(())
}

fn write_json(value: &Value, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value)?;
    writeln!(w)
}

// ---------------------------------------------------------------------------------------------
// Compact JSON-LD: accord's model rendered with its own context.

/// How the context declares a term: the JSON-LD key and how its values are written.
struct TermDef {
    key: String,
    values: ValueStyle,
}

#[derive(Clone, Copy, PartialEq)]
enum ValueStyle {
    /// `"@type": "@id"`: IRIs as strings.
    Id,
    /// `"@container": "@language"`: a map from language to strings.
    LanguageMap,
    /// `"@language": "zh"`: strings in Chinese.
    Chinese,
    /// `"@type": "xsd:date"` and friends: the lexical form only.
    Typed,
    /// Anything: value objects.
    Plain,
}

/// The `@context` object of `ontology/context.jsonld`.
fn context_defs() -> Map<String, Value> {
    let ctx: Value = serde_json::from_str(CONTEXT).expect("context.jsonld is valid JSON");
    ctx["@context"]
        .as_object()
        .expect("@context object")
        .clone()
}

/// A compact IRI of the context (`acc:State`) as a full IRI under the configured base; `None`
/// for anything else (a namespace IRI, a keyword alias).
fn expand_curie(v: &str, defs: &Map<String, Value>, vocab: &Vocab) -> Option<String> {
    match v.split_once(':')? {
        ("acc", local) => Some(format!("{}{local}", vocab.ontology())),
        (p, local) => defs
            .get(p)
            .and_then(Value::as_str)
            .filter(|ns| !ns.starts_with('@'))
            .map(|ns| format!("{ns}{local}")),
    }
}

/// The class terms of the context (`"State": "acc:State"`): full IRI → term, so `type`
/// values are written as the terms the context defines, as a JSON-LD compactor would.
fn context_classes(vocab: &Vocab) -> BTreeMap<String, String> {
    let defs = context_defs();
    defs.iter()
        .filter_map(|(key, def)| {
            let iri = expand_curie(def.as_str()?, &defs, vocab)?;
            Some((iri, key.clone()))
        })
        .collect()
}

fn context_terms(vocab: &Vocab) -> BTreeMap<String, TermDef> {
    let defs = context_defs();
    let expand =
        |v: &str| -> String { expand_curie(v, &defs, vocab).unwrap_or_else(|| v.to_string()) };
    let mut out = BTreeMap::new();
    for (key, def) in &defs {
        let Some(obj) = def.as_object() else { continue };
        let Some(id) = obj.get("@id").and_then(Value::as_str) else {
            continue;
        };
        let values = if obj.get("@container").and_then(Value::as_str) == Some("@language") {
            ValueStyle::LanguageMap
        } else if obj.get("@type").and_then(Value::as_str) == Some("@id") {
            ValueStyle::Id
        } else if obj.contains_key("@type") {
            ValueStyle::Typed
        } else if obj.contains_key("@language") {
            ValueStyle::Chinese
        } else {
            ValueStyle::Plain
        };
        out.insert(
            expand(id),
            TermDef {
                key: key.clone(),
                values,
            },
        );
    }
    out
}

/// The context with the configured base in place of the default one.
fn context_value(vocab: &Vocab) -> Value {
    let text = CONTEXT.replace(crate::rdf::DEFAULT_BASE, &vocab.base);
    serde_json::from_str::<Value>(&text).expect("valid context")["@context"].clone()
}

fn compact_iri(iri: &str, vocab: &Vocab) -> String {
    let res = format!("{}id/", vocab.base);
    if let Some(rest) = iri.strip_prefix(&res) {
        return format!("res:{rest}");
    }
    iri.to_string()
}

pub fn jsonld(quads: &[Quad], vocab: &Vocab) -> Value {
    let terms = context_terms(vocab);
    let classes = context_classes(vocab);
    let rdf_type = format!("{RDF}type");
    let mut graphs: BTreeMap<String, BTreeMap<String, Map<String, Value>>> = BTreeMap::new();
    for q in quads {
        let graph = match &q.graph_name {
            GraphName::NamedNode(n) => n.as_str().to_string(),
            _ => String::new(),
        };
        let subject = match &q.subject {
            NamedOrBlankNode::NamedNode(n) => n.as_str().to_string(),
            NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
        };
        let node = graphs
            .entry(graph)
            .or_default()
            .entry(subject.clone())
            .or_insert_with(|| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(compact_iri(&subject, vocab)));
                m
            });
        let predicate = q.predicate.as_str();
        if predicate == rdf_type {
            if let Term::NamedNode(t) = &q.object {
                let name = classes
                    .get(t.as_str())
                    .cloned()
                    .unwrap_or_else(|| compact_iri(t.as_str(), vocab));
                push(node, "type", Value::String(name));
            }
            continue;
        }
        match terms.get(predicate) {
            Some(def) => add_value(node, def, &q.object, vocab),
            None => push(node, predicate, object_value(&q.object, vocab)),
        }
    }
    let graph_list: Vec<Value> = graphs
        .into_iter()
        .map(|(g, nodes)| {
            let nodes: Vec<Value> = nodes.into_values().map(Value::Object).collect();
            json!({ "id": compact_iri(&g, vocab), "@graph": nodes })
        })
        .collect();
    json!({ "@context": context_value(vocab), "@graph": graph_list })
}

fn add_value(node: &mut Map<String, Value>, def: &TermDef, object: &Term, vocab: &Vocab) {
    match (def.values, object) {
        (ValueStyle::Id, Term::NamedNode(n)) => push(
            node,
            &def.key,
            Value::String(compact_iri(n.as_str(), vocab)),
        ),
        (ValueStyle::LanguageMap, Term::Literal(l)) if l.language().is_some() => {
            let map = node
                .entry(def.key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let map = map.as_object_mut().expect("language map");
            push(
                map,
                l.language().expect("language"),
                Value::String(l.value().to_string()),
            );
        }
        (ValueStyle::Chinese, Term::Literal(l)) if l.language() == Some("zh") => {
            push(node, &def.key, Value::String(l.value().to_string()))
        }
        (ValueStyle::Typed, Term::Literal(l)) if l.language().is_none() => {
            push(node, &def.key, Value::String(l.value().to_string()))
        }
        _ => push(node, &def.key, object_value(object, vocab)),
    }
}

fn object_value(object: &Term, vocab: &Vocab) -> Value {
    match object {
        Term::NamedNode(n) => json!({ "@id": compact_iri(n.as_str(), vocab) }),
        Term::BlankNode(b) => json!({ "@id": format!("_:{}", b.as_str()) }),
        Term::Literal(l) => literal_value(l),
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

fn literal_value(l: &Literal) -> Value {
    if let Some(lang) = l.language() {
        return json!({ "@value": l.value(), "@language": lang });
    }
    let dt = l.datatype().as_str();
    if dt == format!("{XSD}string") {
        return Value::String(l.value().to_string());
    }
    json!({ "@value": l.value(), "@type": dt.replace(XSD, "xsd:") })
}

/// Adds a value under a key, turning a single value into an array on the second one.
fn push(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        None => {
            map.insert(key.to_string(), value);
        }
        Some(Value::Array(a)) => a.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Graph dumps for people.

/// What part of the entity graph a graph dump draws (`accord export --format dot --around …`).
/// The default draws every fact of every document.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Draw only the neighbourhood of the entities this name gives: a label, an alias, a key
    /// (`state/…`, the last part of the key, `label@date` for an event) or an IRI.
    pub around: Option<String>,
    /// How many facts away from `around` to draw.
    pub depth: usize,
    /// Draw only facts of these predicates (local names); all when empty.
    pub predicates: Vec<String>,
    /// Draw only entities of these classes (and the `around` entities); all when empty.
    pub types: Vec<String>,
    /// Draw only the facts of this document: its key, file or title.
    pub document: Option<String>,
}

/// Why a selection cannot be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    #[error("no entity is named {0:?}: give a label, an alias, a key (state/…) or an IRI")]
    UnknownEntity(String),
    #[error("unknown predicate {given:?}: one of {known}")]
    UnknownPredicate { given: String, known: String },
    #[error("unknown type {given:?}: one of {known}")]
    UnknownType { given: String, known: String },
    #[error("no document {given:?} in the store: one of {known}")]
    UnknownDocument { given: String, known: String },
    #[error("nothing to draw: {0}")]
    NothingMatched(String),
}

/// The classes a graph dump draws, in the legend's order, with their shape and colour.
const CLASSES: &[(&str, &str, &str)] = &[
    ("State", "box", "#8dd3c7"),
    ("Organization", "hexagon", "#bebada"),
    ("Group", "tripleoctagon", "#fccde5"),
    ("Person", "oval", "#fb8072"),
    ("City", "ellipse", "#ffffb3"),
    ("Place", "ellipse", "#ffed6f"),
    ("Event", "octagon", "#b3de69"),
    ("Document", "note", "#80b1d3"),
    ("Initiative", "box", "#fdb462"),
    ("Topic", "parallelogram", "#bc80bd"),
];

/// The font of every label: Chinese labels need a CJK font (Debian's `fonts-noto-cjk`).
pub const DOT_FONT: &str = "Noto Sans CJK SC";

/// Characters of Chinese text per line of a node label in DOT.
const WRAP: usize = 14;

struct NodeInfo {
    iri: String,
    zh: Option<String>,
    en: Option<String>,
    kind: String,
    wikidata: Option<String>,
    /// First start date and last end date (events, documents, initiatives).
    dates: Option<(String, String)>,
    /// The title (or key) of the document a group or an undated meeting belongs to.
    document: Option<String>,
    centre: bool,
}

#[derive(Default)]
struct EdgeInfo {
    predicate: String,
    documents: BTreeSet<String>,
    rules: BTreeSet<String>,
    sentences: BTreeSet<String>,
}

/// Entities and the facts between them, as a graph dump draws them.
pub struct Drawing {
    graph: DiGraph<NodeInfo, EdgeInfo>,
    /// What was selected, for the legend.
    caption: String,
}

/// The whole entity graph of the quads, as `accord extract` writes it.
fn drawing(quads: &[Quad], vocab: &Vocab) -> Drawing {
    let facts = Facts::read(quads, vocab);
    let caption = format!("every fact of {}", documents_phrase(facts.documents.len()));
    let edges = facts.edges.keys().cloned().collect();
    facts.drawing(edges, &BTreeSet::new(), caption)
}

/// The part of the entity graph of `quads` (the documents) that `sel` asks for. `gazetteer`
/// (the gazetteer graph) only tells a known entity that takes part in no fact from an unknown
/// name. Fails before anything is written, naming what it could not find or that nothing
/// matched.
pub fn select(
    quads: &[Quad],
    gazetteer: &[Quad],
    vocab: &Vocab,
    rules: &Rules,
    sel: &Selection,
) -> Result<Drawing, SelectError> {
    let predicates = known_predicates(&sel.predicates)?;
    let types = known_types(&sel.types)?;
    let mut facts = Facts::read(quads, vocab);
    let mut caption = Vec::new();
    if let Some(given) = &sel.document {
        let key = facts.document_key(given)?;
        let (fact_graph, provenance) = (vocab.doc_graph(&key), vocab.provenance_graph(&key));
        let ours: Vec<Quad> = quads
            .iter()
            .filter(|q| match &q.graph_name {
                GraphName::NamedNode(g) => *g == fact_graph || *g == provenance,
                _ => false,
            })
            .cloned()
            .collect();
        facts = Facts::read(&ours, vocab);
        caption.push(format!("document {}", facts.document_name(&key)));
    }
    let centres = match &sel.around {
        Some(name) => facts.resolve(name, gazetteer, vocab, rules)?,
        None => BTreeSet::new(),
    };
    let kept = facts.keep(&predicates, &types, &centres, sel.depth);
    if !centres.is_empty() {
        let names: Vec<String> = centres.iter().map(|c| facts.one_line(c)).collect();
        caption.insert(
            0,
            format!("around {}, depth {}", names.join(", "), sel.depth),
        );
    }
    if !predicates.is_empty() {
        caption.push(format!("predicates {}", join_sorted(&predicates)));
    }
    if !types.is_empty() {
        caption.push(format!("types {}", join_sorted(&types)));
    }
    if kept.is_empty() {
        return Err(SelectError::NothingMatched(if caption.is_empty() {
            "the store holds no fact between entities".to_string()
        } else {
            format!("no fact matches {}", caption.join("; "))
        }));
    }
    if caption.is_empty() {
        caption.push(format!(
            "every fact of {}",
            documents_phrase(facts.documents.len())
        ));
    }
    Ok(facts.drawing(kept, &centres, caption.join("; ")))
}

/// Writes a drawing in a graph format (DOT, GraphML, Cytoscape JSON).
pub fn write_drawing(format: Format, d: &Drawing, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Graphml => write_graphml(d, w),
        Format::Cytoscape => write_json(&cytoscape(d), w),
        _ => write_dot(d, w),
    }
}

/// Whether the format is a graph dump for people, which a [`Selection`] applies to.
pub fn is_graph_dump(format: Format) -> bool {
    matches!(format, Format::Dot | Format::Graphml | Format::Cytoscape)
}

fn known_predicates(given: &[String]) -> Result<BTreeSet<&'static str>, SelectError> {
    given
        .iter()
        .map(|p| {
            let local = p.strip_prefix("acc:").unwrap_or(p);
            PREDICATES
                .iter()
                .copied()
                .find(|k| k.eq_ignore_ascii_case(local))
                .ok_or_else(|| SelectError::UnknownPredicate {
                    given: p.clone(),
                    known: PREDICATES.join(", "),
                })
        })
        .collect()
}

fn known_types(given: &[String]) -> Result<BTreeSet<&'static str>, SelectError> {
    given
        .iter()
        .map(|t| {
            let local = t.strip_prefix("acc:").unwrap_or(t);
            CLASSES
                .iter()
                .map(|(c, _, _)| *c)
                .find(|c| c.eq_ignore_ascii_case(local))
                .ok_or_else(|| SelectError::UnknownType {
                    given: t.clone(),
                    known: CLASSES.iter().map(|c| c.0).collect::<Vec<_>>().join(", "),
                })
        })
        .collect()
}

fn join_sorted(set: &BTreeSet<&str>) -> String {
    set.iter().copied().collect::<Vec<_>>().join(", ")
}

fn documents_phrase(n: usize) -> String {
    match n {
        1 => "1 document".to_string(),
        n => format!("{n} documents"),
    }
}

/// The entities at most `depth` facts away from the centres, facts read both ways.
fn neighbourhood(edges: &[Fact], centres: &BTreeSet<String>, depth: usize) -> BTreeSet<String> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (s, _, o) in edges {
        next.entry(s).or_default().push(o);
        next.entry(o).or_default().push(s);
    }
    let mut seen: BTreeSet<String> = centres.clone();
    let mut frontier: Vec<&str> = centres.iter().map(String::as_str).collect();
    for _ in 0..depth {
        let mut later = Vec::new();
        for e in frontier {
            for &n in next.get(e).into_iter().flatten() {
                if seen.insert(n.to_string()) {
                    later.push(n);
                }
            }
        }
        frontier = later;
    }
    seen
}

/// (subject IRI, predicate local name, object IRI).
type Fact = (String, String, String);

/// What the quads say about entities and the facts between them, read once.
#[derive(Default)]
struct Facts {
    zh: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
    /// Other names: `skos:altLabel`.
    aliases: BTreeMap<String, BTreeSet<String>>,
    kinds: BTreeMap<String, String>,
    wikidata: BTreeMap<String, String>,
    starts: BTreeMap<String, BTreeSet<String>>,
    ends: BTreeMap<String, BTreeSet<String>>,
    /// Document key → (title, source file).
    documents: BTreeMap<String, (Option<String>, Option<String>)>,
    sentences: BTreeMap<String, String>,
    edges: BTreeMap<Fact, EdgeInfo>,
    /// The id base (`…/id/`), to name entities by key.
    ids: String,
}

impl Facts {
    fn read(quads: &[Quad], vocab: &Vocab) -> Facts {
        let acc = vocab.ontology();
        let graphs = format!("{}id/graph/", vocab.base);
        let docs = format!("{}id/doc/", vocab.base);
        let entities_graph = vocab.entities_graph();
        let entities = entities_graph.as_str().strip_prefix(&graphs).unwrap_or("");
        let mut f = Facts {
            ids: format!("{}id/", vocab.base),
            ..Facts::default()
        };
        // statement IRI → [subject, predicate, object, rule, sentence]
        let mut statements: BTreeMap<&str, [Option<String>; 5]> = BTreeMap::new();
        for q in quads {
            let NamedOrBlankNode::NamedNode(subject) = &q.subject else {
                continue;
            };
            let s = subject.as_str();
            let p = q.predicate.as_str();
            let graph = match &q.graph_name {
                GraphName::NamedNode(n) => n.as_str().strip_prefix(&graphs).unwrap_or(""),
                _ => "",
            };
            if let Some(key) = graph.strip_suffix("/provenance") {
                f.read_provenance(q, key, &docs, &acc, &mut statements);
                continue;
            }
            match &q.object {
                Term::Literal(l) => f.read_literal(s, p, l, &acc),
                Term::NamedNode(o) => {
                    let o = o.as_str();
                    if p == format!("{RDF}type") {
                        let kind = o.strip_prefix(&acc).unwrap_or(o).to_string();
                        f.kinds.insert(s.to_string(), kind);
                    } else if p == format!("{OWL}sameAs") {
                        if let Some(q) = o.strip_prefix(crate::rdf::WIKIDATA) {
                            f.wikidata.insert(s.to_string(), q.to_string());
                        }
                    } else if let Some(local) = p.strip_prefix(&acc)
                        && PREDICATES.contains(&local)
                        && !graph.is_empty()
                        && graph != entities
                    {
                        let fact = (s.to_string(), local.to_string(), o.to_string());
                        let e = f.edges.entry(fact).or_default();
                        e.predicate = local.to_string();
                        e.documents.insert(graph.to_string());
                    }
                }
                _ => {}
            }
        }
        for [s, p, o, r, sentence] in statements.into_values() {
            let (Some(s), Some(p), Some(o)) = (s, p, o) else {
                continue;
            };
            let local = p.strip_prefix(&acc).unwrap_or(&p).to_string();
            if let Some(e) = f.edges.get_mut(&(s, local, o)) {
                e.rules.extend(r);
                e.sentences
                    .extend(sentence.and_then(|x| f.sentences.get(&x).cloned()));
            }
        }
        f
    }

    fn read_literal(&mut self, s: &str, p: &str, l: &Literal, acc: &str) {
        let s = s.to_string();
        let v = l.value().to_string();
        if p == format!("{RDFS}label") {
            match l.language() {
                Some("zh") => {
                    self.zh.insert(s, v);
                }
                Some("en") => {
                    self.en.insert(s, v);
                }
                _ => {}
            }
        } else if p == format!("{SKOS}altLabel") {
            self.aliases.entry(s).or_default().insert(v);
        } else if p == format!("{acc}startDate") {
            self.starts.entry(s).or_default().insert(v);
        } else if p == format!("{acc}endDate") {
            self.ends.entry(s).or_default().insert(v);
        }
    }

    fn read_provenance<'q>(
        &mut self,
        q: &'q Quad,
        key: &str,
        docs: &str,
        acc: &str,
        statements: &mut BTreeMap<&'q str, [Option<String>; 5]>,
    ) {
        let NamedOrBlankNode::NamedNode(subject) = &q.subject else {
            return;
        };
        let (s, p) = (subject.as_str(), q.predicate.as_str());
        let value = match &q.object {
            Term::Literal(l) => l.value().to_string(),
            Term::NamedNode(n) => n.as_str().to_string(),
            _ => return,
        };
        if s.strip_prefix(docs) == Some(key) {
            let doc = self.documents.entry(key.to_string()).or_default();
            if p == format!("{DCTERMS}title") {
                doc.0 = Some(value);
            } else if p == format!("{acc}sourceFile") {
                doc.1 = Some(value);
            }
            return;
        }
        if p == format!("{acc}text") {
            self.sentences.insert(s.to_string(), value);
            return;
        }
        let slot = match p.strip_prefix(RDF).or_else(|| p.strip_prefix(acc)) {
            Some("subject") => 0,
            Some("predicate") => 1,
            Some("object") => 2,
            Some("rule") => 3,
            _ if p == format!("{PROV}wasDerivedFrom") => 4,
            _ => return,
        };
        statements.entry(s).or_default()[slot] = Some(value);
    }

    /// The facts of these predicates between entities of these types (all when empty; the
    /// centres whatever their type) and, around centres, only those between entities at most
    /// `depth` such facts away from them.
    fn keep(
        &self,
        predicates: &BTreeSet<&str>,
        types: &BTreeSet<&str>,
        centres: &BTreeSet<String>,
        depth: usize,
    ) -> Vec<Fact> {
        let typed =
            |e: &String| types.is_empty() || centres.contains(e) || types.contains(&self.kind(e));
        let kept: Vec<Fact> = self
            .edges
            .keys()
            .filter(|(s, p, o)| {
                (predicates.is_empty() || predicates.contains(p.as_str())) && typed(s) && typed(o)
            })
            .cloned()
            .collect();
        if centres.is_empty() {
            return kept;
        }
        let near = neighbourhood(&kept, centres, depth);
        kept.into_iter()
            .filter(|(s, _, o)| near.contains(s) && near.contains(o))
            .collect()
    }

    fn kind(&self, iri: &str) -> &str {
        self.kinds.get(iri).map_or("", String::as_str)
    }

    /// The key of the document `given` names: its key, its source file (or the file's name)
    /// or its title.
    fn document_key(&self, given: &str) -> Result<String, SelectError> {
        let found = self.documents.iter().find(|(key, (title, file))| {
            *key == given
                || title.as_deref() == Some(given)
                || file.as_deref().is_some_and(|f| {
                    f == given || std::path::Path::new(f).file_name() == Some(given.as_ref())
                })
        });
        match found {
            Some((key, _)) => Ok(key.clone()),
            None => Err(SelectError::UnknownDocument {
                given: given.to_string(),
                known: self
                    .documents
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    fn document_name(&self, key: &str) -> String {
        match self.documents.get(key) {
            Some((Some(title), _)) => title.clone(),
            _ => key.to_string(),
        }
    }

    /// The entities of the facts `name` names, as `accord eval` reads names: typography
    /// removed, abbreviations expanded; a name without `@date` names an event of any date.
    fn resolve(
        &self,
        name: &str,
        gazetteer: &[Quad],
        vocab: &Vocab,
        rules: &Rules,
    ) -> Result<BTreeSet<String>, SelectError> {
        let wanted = name_key(rules, name);
        let names = |iri: &str, f: &Facts| -> Vec<String> {
            let mut forms = vec![iri.to_string()];
            if let Some(path) = iri.strip_prefix(&f.ids) {
                forms.push(path.to_string());
                forms.extend(path.rsplit('/').next().map(str::to_string));
            }
            forms.extend(f.zh.get(iri).cloned());
            forms.extend(f.en.get(iri).cloned());
            forms.extend(f.aliases.get(iri).into_iter().flatten().cloned());
            if let (Some(zh), Some(start)) = (f.zh.get(iri), f.starts.get(iri)) {
                forms.extend(start.iter().map(|d| format!("{zh}@{d}")));
            }
            forms
        };
        let matches = |form: &str| {
            let form = name_key(rules, form);
            form == wanted
                || (!wanted.contains('@')
                    && form
                        .split_once('@')
                        .is_some_and(|(label, _)| label == wanted))
        };
        let entities: BTreeSet<&String> = self.edges.keys().flat_map(|(s, _, o)| [s, o]).collect();
        let found: BTreeSet<String> = entities
            .into_iter()
            .filter(|e| names(e, self).iter().any(|f| matches(f)))
            .cloned()
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
        // A name of the gazetteer, or of an entity the documents name in no fact.
        let known = Facts::read(gazetteer, vocab);
        let idle = self.kinds.keys().chain(known.kinds.keys()).find(|e| {
            names(e, self)
                .iter()
                .chain(&names(e, &known))
                .any(|f| matches(f))
        });
        match idle {
            Some(iri) => Err(SelectError::NothingMatched(format!(
                "{name} ({iri}) takes part in no fact{}",
                match self.documents.len() {
                    1 => " of the document",
                    _ => " of the documents",
                }
            ))),
            None => Err(SelectError::UnknownEntity(name.to_string())),
        }
    }

    /// An entity's name on one line: `zh (en)`, an event's dates, the document a group or
    /// an undated meeting belongs to.
    fn one_line(&self, iri: &str) -> String {
        let (zh, en) = (self.zh.get(iri), self.en.get(iri));
        let mut out = match (zh, en) {
            (Some(zh), Some(en)) => format!("{zh} ({en})"),
            (Some(l), None) | (None, Some(l)) => l.clone(),
            (None, None) => iri.rsplit('/').next().unwrap_or(iri).to_string(),
        };
        if let Some(key) = self.scope(iri) {
            out = format!("{out} ({})", self.document_name(key));
        } else if let Some((start, end)) = self.dates(iri) {
            out = format!("{out} ({})", date_range(&start, &end));
        }
        out
    }

    /// The key of the document an entity belongs to: a group of its text, a meeting named
    /// without a date (`id/<kind>/<document key>/…`).
    fn scope<'a>(&self, iri: &'a str) -> Option<&'a str> {
        let mut parts = iri.strip_prefix(&self.ids)?.splitn(3, '/');
        let (_, key, _) = (parts.next()?, parts.next()?, parts.next()?);
        self.documents.contains_key(key).then_some(key)
    }

    fn dates(&self, iri: &str) -> Option<(String, String)> {
        let start = self.starts.get(iri)?.first()?.clone();
        let end = self
            .ends
            .get(iri)
            .and_then(|e| e.last().cloned())
            .unwrap_or_else(|| start.clone());
        Some((start, end))
    }

    /// The drawing of these facts, nodes numbered in the order the sorted facts name them.
    fn drawing(mut self, facts: Vec<Fact>, centres: &BTreeSet<String>, caption: String) -> Drawing {
        let mut graph = DiGraph::new();
        let mut index: BTreeMap<String, NodeIndex> = BTreeMap::new();
        for fact in facts {
            let Some(edge) = self.edges.remove(&fact) else {
                continue;
            };
            let (s, _, o) = fact;
            let [a, b] = [s, o].map(|iri| {
                *index.entry(iri.clone()).or_insert_with(|| {
                    graph.add_node(NodeInfo {
                        zh: self.zh.get(&iri).cloned(),
                        en: self.en.get(&iri).cloned(),
                        kind: self.kind(&iri).to_string(),
                        wikidata: self.wikidata.get(&iri).cloned(),
                        dates: self.dates(&iri),
                        document: self.scope(&iri).map(|k| self.document_name(k)),
                        centre: centres.contains(&iri),
                        iri,
                    })
                })
            });
            graph.add_edge(a, b, edge);
        }
        Drawing { graph, caption }
    }
}

/// A name as `accord eval` compares it: normalised like text, typography and bracketed notes
/// removed, organisation abbreviations expanded, ASCII letters in lower case.
fn name_key(rules: &Rules, s: &str) -> String {
    let key = |label: &str| {
        let clean = crate::normalize::normalize(label.trim()).text;
        let clean = crate::graph::without_notes(&rules.regional.apply(&clean));
        crate::graph::canonical_key(rules, &clean).to_ascii_lowercase()
    };
    if s.contains("://") {
        return s.trim().to_string();
    }
    match s.split_once('@') {
        Some((label, date)) => format!("{}@{}", key(label), date.trim()),
        None => key(s),
    }
}

fn date_range(start: &str, end: &str) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start} – {end}")
    }
}

impl NodeInfo {
    /// `zh (en)`, then the document it belongs to or its dates in brackets.
    fn label(&self) -> String {
        let mut out = match (&self.zh, &self.en) {
            (Some(zh), Some(en)) => format!("{zh} ({en})"),
            (Some(l), None) | (None, Some(l)) => l.clone(),
            (None, None) => self.key().to_string(),
        };
        if let Some(doc) = &self.document {
            out = format!("{out} ({doc})");
        } else if let Some((start, end)) = &self.dates {
            out = format!("{out} ({})", date_range(start, end));
        }
        out
    }

    /// The label in lines for DOT: the Chinese name wrapped, the English one, then the
    /// dates or the document.
    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.zh {
            Some(zh) => out.extend(wrap(zh, WRAP)),
            None if self.en.is_none() => out.push(self.key().to_string()),
            None => {}
        }
        out.extend(self.en.clone());
        if let Some(doc) = &self.document {
            let mut doc = wrap(doc, WRAP + 2);
            doc[0].insert(0, '(');
            doc.last_mut().expect("a line").push(')');
            out.extend(doc);
        } else if let Some((start, end)) = &self.dates {
            out.push(date_range(start, end));
        }
        out
    }

    fn key(&self) -> &str {
        self.iri.rsplit('/').next().unwrap_or(&self.iri)
    }
}

/// Breaks Chinese text into lines of at most `width` characters, never inside a run of ASCII
/// letters and digits (`2019—2021` stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width + 2 {
        return vec![text.to_string()];
    }
    let lines = chars.len().div_ceil(width);
    let even = chars.len().div_ceil(lines);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut count = 0;
    for (i, &c) in chars.iter().enumerate() {
        let inside_word = i > 0
            && chars[i - 1].is_ascii_alphanumeric()
            && (c.is_ascii_alphanumeric() || c == ' ');
        if count >= even && !inside_word && !is_closing(c) {
            out.push(std::mem::take(&mut line));
            count = 0;
        }
        line.push(c);
        count += 1;
    }
    out.push(line);
    out
}

/// Punctuation that must not open a line.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '、' | '。' | '：' | '；' | '）' | '》' | '”' | '’' | ')' | ',' | ':'
    )
}

fn style(kind: &str) -> (&'static str, &'static str) {
    CLASSES
        .iter()
        .find(|(c, _, _)| *c == kind)
        .map_or(("ellipse", "#d9d9d9"), |(_, shape, color)| (shape, color))
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn write_dot(d: &Drawing, w: &mut dyn Write) -> io::Result<()> {
    let g = &d.graph;
    writeln!(w, "digraph accord {{")?;
    writeln!(
        w,
        "  graph [rankdir=LR, fontname=\"{DOT_FONT}\", fontsize=12, labelloc=t, labeljust=l, nodesep=0.15, ranksep=0.6];"
    )?;
    writeln!(
        w,
        "  node [style=filled, fontname=\"{DOT_FONT}\", fontsize=11, margin=\"0.08,0.04\"];"
    )?;
    writeln!(
        w,
        "  edge [fontname=\"{DOT_FONT}\", fontsize=9, arrowsize=0.6];"
    )?;
    writeln!(w, "  label={};", legend(d))?;
    for i in g.node_indices() {
        let n = &g[i];
        let (shape, color) = style(&n.kind);
        let mut extra = String::new();
        if n.kind == "Initiative" {
            extra.push_str(", style=\"filled,rounded\"");
        }
        if n.centre {
            extra.push_str(", penwidth=3");
        }
        writeln!(
            w,
            "  n{} [label=\"{}\", shape={shape}, fillcolor=\"{color}\"{extra}, tooltip=\"{}\", class=\"{}\"];",
            i.index(),
            dot_escape(&n.lines().join("\n")),
            dot_escape(&n.iri),
            n.kind
        )?;
    }
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("edge");
        let info = &g[e];
        let (color, width) = edge_style(&info.predicate);
        writeln!(
            w,
            "  n{} -> n{} [label=\"{}\", color=\"{color}\", fontcolor=\"{color}\", penwidth={width}, document=\"{}\", rule=\"{}\"];",
            a.index(),
            b.index(),
            info.predicate,
            dot_escape(&join(&info.documents)),
            dot_escape(&join(&info.rules))
        )?;
    }
    writeln!(w, "}}")
}

/// Kinds of facts an edge's colour tells apart: (name in the legend, predicates, colour,
/// line width). Other predicates (places, dates, signatories) are drawn in [`EDGE_OTHER`].
const EDGE_KINDS: &[(&str, &[&str], &str, &str)] = &[
    ("proposed", &["proposed"], "#d95f02", "1.8"),
    (
        "stances",
        &[
            "supports",
            "welcomes",
            "notes",
            "appreciates",
            "regrets",
            "concernedAbout",
            "opposes",
            "condemns",
        ],
        "#7570b3",
        "1",
    ),
    (
        "members, representatives",
        &[
            "hasMember",
            "represents",
            "joined",
            "observerOf",
            "dialoguePartnerOf",
        ],
        "#1b9e77",
        "1",
    ),
];

/// Colour and width of the other edges.
const EDGE_OTHER: (&str, &str) = ("#666666", "1");

fn edge_style(predicate: &str) -> (&'static str, &'static str) {
    EDGE_KINDS
        .iter()
        .find(|(_, ps, _, _)| ps.contains(&predicate))
        .map_or(EDGE_OTHER, |(_, _, color, width)| (color, width))
}

/// The legend, as the graph's HTML-like label: what is drawn, then a swatch of each class drawn.
fn legend(d: &Drawing) -> String {
    let drawn: BTreeSet<&str> = d.graph.node_weights().map(|n| n.kind.as_str()).collect();
    let cells: String = CLASSES
        .iter()
        .filter(|(c, _, _)| drawn.contains(c))
        .map(|(c, _, color)| format!(r#"<td bgcolor="{color}" border="1">{c}</td>"#))
        .collect();
    let edges: String = EDGE_KINDS
        .iter()
        .map(|(name, _, color, _)| (*name, *color))
        .chain([("other facts", EDGE_OTHER.0)])
        .map(|(name, color)| format!(r#"<font color="{color}">→ {name}</font>   "#))
        .collect();
    let span = drawn.len().max(1);
    format!(
        r#"<<table border="0" cellborder="0" cellspacing="3" cellpadding="4"><tr><td colspan="{span}" align="left">accord: {} ({} entities, {} facts; an arrow goes from subject to object)</td></tr><tr><td colspan="{span}" align="left">{edges}</td></tr><tr>{cells}</tr></table>>"#,
        xml_escape(&d.caption),
        d.graph.node_count(),
        d.graph.edge_count()
    )
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" ")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// GraphML keys: (id, for, type). Every value a node or edge lacks is left out.
const GRAPHML_KEYS: &[(&str, &str, &str)] = &[
    ("label", "node", "string"),
    ("label_zh", "node", "string"),
    ("label_en", "node", "string"),
    ("type", "node", "string"),
    ("iri", "node", "string"),
    ("wikidata", "node", "string"),
    ("start_date", "node", "string"),
    ("end_date", "node", "string"),
    ("document", "node", "string"),
    ("predicate", "edge", "string"),
    ("document", "edge", "string"),
    ("documents", "edge", "int"),
    ("rule", "edge", "string"),
    ("sentence", "edge", "string"),
];

fn write_graphml(d: &Drawing, w: &mut dyn Write) -> io::Result<()> {
    let g = &d.graph;
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    for (name, target, kind) in GRAPHML_KEYS {
        writeln!(
            w,
            r#"  <key id="{target}_{name}" for="{target}" attr.name="{name}" attr.type="{kind}"/>"#
        )?;
    }
    writeln!(w, r#"  <graph id="accord" edgedefault="directed">"#)?;
    let data = |w: &mut dyn Write, key: &str, value: Option<&str>| -> io::Result<()> {
        match value {
            Some(v) => writeln!(w, r#"      <data key="{key}">{}</data>"#, xml_escape(v)),
            None => Ok(()),
        }
    };
    for i in g.node_indices() {
        let n = &g[i];
        writeln!(w, r#"    <node id="n{}">"#, i.index())?;
        let dates = n.dates.as_ref();
        data(w, "node_label", Some(&n.label()))?;
        data(w, "node_label_zh", n.zh.as_deref())?;
        data(w, "node_label_en", n.en.as_deref())?;
        data(w, "node_type", Some(&n.kind))?;
        data(w, "node_iri", Some(&n.iri))?;
        data(w, "node_wikidata", n.wikidata.as_deref())?;
        data(w, "node_start_date", dates.map(|d| d.0.as_str()))?;
        data(w, "node_end_date", dates.map(|d| d.1.as_str()))?;
        data(w, "node_document", n.document.as_deref())?;
        writeln!(w, "    </node>")?;
    }
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("edge");
        let info = &g[e];
        writeln!(
            w,
            r#"    <edge id="e{}" source="n{}" target="n{}">"#,
            e.index(),
            a.index(),
            b.index()
        )?;
        data(w, "edge_predicate", Some(&info.predicate))?;
        data(w, "edge_document", Some(&join(&info.documents)))?;
        data(w, "edge_documents", Some(&info.documents.len().to_string()))?;
        data(w, "edge_rule", Some(&join(&info.rules)))?;
        let sentences: Vec<&str> = info.sentences.iter().map(String::as_str).collect();
        data(
            w,
            "edge_sentence",
            Some(sentences.join("\n").as_str()).filter(|s| !s.is_empty()),
        )?;
        writeln!(w, "    </edge>")?;
    }
    writeln!(w, "  </graph>")?;
    writeln!(w, "</graphml>")
}

fn cytoscape(d: &Drawing) -> Value {
    let g = &d.graph;
    let nodes: Vec<Value> = g
        .node_indices()
        .map(|i| {
            let n = &g[i];
            json!({ "data": { "id": format!("n{}", i.index()), "label": n.label(), "type": n.kind, "iri": n.iri } })
        })
        .collect();
    let edges: Vec<Value> = g
        .edge_indices()
        .map(|e| {
            let (a, b) = g.edge_endpoints(e).expect("edge");
            let info = &g[e];
            json!({ "data": {
                "id": format!("e{}", e.index()),
                "source": format!("n{}", a.index()),
                "target": format!("n{}", b.index()),
                "label": info.predicate,
                "documents": info.documents,
                "rules": info.rules,
            } })
        })
        .collect();
    json!({ "elements": { "nodes": nodes, "edges": edges } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_into_even_lines_never_inside_a_number_nor_before_closing_punctuation() {
        let check = |text: &str, width: usize, expect: &[&str]| {
            assert_eq!(wrap(text, width), expect, "{text}");
        };
        check("短标签", 4, &["短标签"]);
        // Up to two characters over the width stay on one line.
        check("一二三四五六", 4, &["一二三四五六"]);
        check("一二三四五六七八九十", 4, &["一二三四", "五六七八", "九十"]);
        check("一二三四五六七八九", 6, &["一二三四五", "六七八九"]);
        check("一二三四2019五六七八", 4, &["一二三四", "2019", "五六七八"]);
        check("一二三45678九十", 4, &["一二三45678", "九十"]);
        check(
            "一二三四、五六七八九十",
            4,
            &["一二三四、", "五六七八", "九十"],
        );
    }

    #[test]
    fn a_date_range_of_one_day_is_that_day() {
        assert_eq!(date_range("2020-10-30", "2020-10-30"), "2020-10-30");
        assert_eq!(
            date_range("2019-06-17", "2019-06-19"),
            "2019-06-17 – 2019-06-19"
        );
    }
}
