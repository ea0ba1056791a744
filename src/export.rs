//! Exports the store: RDF through Oxigraph's serialisers (Turtle, N-Triples, N-Quads, TriG),
//! the compact JSON-LD rendering with accord's own `@context`, and graph dumps for people
//! (DOT, GraphML, Cytoscape JSON) of the entity-to-entity facts.
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
use crate::rules::PREDICATES;

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
        Format::Dot => write_dot(&EntityGraph::new(quads, vocab), w),
        Format::Graphml => write_graphml(&EntityGraph::new(quads, vocab), w),
        Format::Cytoscape => write_json(&cytoscape(&EntityGraph::new(quads, vocab)), w),
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

struct NodeInfo {
    iri: String,
    label: String,
    kind: String,
}

struct EdgeInfo {
    predicate: String,
    documents: BTreeSet<String>,
    rules: BTreeSet<String>,
}

/// Entities and the facts between them, from the fact graphs of every document.
struct EntityGraph {
    graph: DiGraph<NodeInfo, EdgeInfo>,
}

impl EntityGraph {
    fn new(quads: &[Quad], vocab: &Vocab) -> EntityGraph {
        let acc = vocab.ontology();
        let graphs = format!("{}id/graph/", vocab.base);
        let mut labels: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
        let mut kinds: BTreeMap<String, String> = BTreeMap::new();
        let mut rules: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
        let mut statements: BTreeMap<String, [Option<String>; 4]> = BTreeMap::new();
        let mut edges: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
        for q in quads {
            let s = q.subject.to_string();
            let p = q.predicate.as_str();
            let graph = match &q.graph_name {
                GraphName::NamedNode(n) => {
                    n.as_str().strip_prefix(&graphs).unwrap_or("").to_string()
                }
                _ => String::new(),
            };
            match (&q.object, p) {
                (Term::Literal(l), _) if p == format!("{RDFS}label") => {
                    let e = labels.entry(s).or_default();
                    match l.language() {
                        Some("zh") => e.0 = Some(l.value().to_string()),
                        Some("en") => e.1 = Some(l.value().to_string()),
                        _ => {}
                    }
                }
                (Term::NamedNode(t), _) if p == format!("{RDF}type") => {
                    kinds.insert(
                        s,
                        t.as_str()
                            .strip_prefix(&acc)
                            .unwrap_or(t.as_str())
                            .to_string(),
                    );
                }
                (o, _) if graph.ends_with("/provenance") => {
                    let slot = match p.strip_prefix(RDF).or_else(|| p.strip_prefix(&acc)) {
                        Some("subject") => 0,
                        Some("predicate") => 1,
                        Some("object") => 2,
                        Some("rule") => 3,
                        _ => continue,
                    };
                    let value = match o {
                        Term::Literal(l) => l.value().to_string(),
                        other => other.to_string(),
                    };
                    statements.entry(s).or_default()[slot] = Some(value);
                }
                (Term::NamedNode(o), _) => {
                    let Some(local) = p.strip_prefix(&acc) else {
                        continue;
                    };
                    if PREDICATES.contains(&local) && graph != "entities" {
                        let doc = graph.clone();
                        edges
                            .entry((s, local.to_string(), o.to_string()))
                            .or_default()
                            .insert(doc);
                    }
                }
                _ => {}
            }
        }
        for [s, p, o, r] in statements.into_values() {
            if let (Some(s), Some(p), Some(o), Some(r)) = (s, p, o, r) {
                let local = p
                    .trim_matches(['<', '>'])
                    .strip_prefix(&acc)
                    .unwrap_or("")
                    .to_string();
                rules.entry((s, local, o)).or_default().insert(r);
            }
        }
        let mut graph = DiGraph::new();
        let mut index: BTreeMap<String, NodeIndex> = BTreeMap::new();
        let mut node = |iri: &str, graph: &mut DiGraph<NodeInfo, EdgeInfo>| -> NodeIndex {
            *index.entry(iri.to_string()).or_insert_with(|| {
                let (zh, en) = labels.get(iri).cloned().unwrap_or_default();
                let bare = iri.trim_matches(['<', '>']);
                let label = match (zh, en) {
                    (Some(zh), Some(en)) => format!("{zh} ({en})"),
                    (Some(zh), None) => zh,
                    (None, Some(en)) => en,
                    (None, None) => bare.rsplit('/').next().unwrap_or(bare).to_string(),
                };
                let kind = kinds.get(iri).cloned().unwrap_or_default();
                graph.add_node(NodeInfo {
                    iri: bare.to_string(),
                    label,
                    kind,
                })
            })
        };
        for ((s, p, o), docs) in edges {
            let (a, b) = (node(&s, &mut graph), node(&o, &mut graph));
            let rules = rules
                .get(&(s.clone(), p.clone(), o.clone()))
                .cloned()
                .unwrap_or_default();
            graph.add_edge(
                a,
                b,
                EdgeInfo {
                    predicate: p,
                    documents: docs,
                    rules,
                },
            );
        }
        EntityGraph { graph }
    }
}

fn style(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "State" => ("box", "#8dd3c7"),
        "City" | "Place" => ("ellipse", "#ffffb3"),
        "Organization" => ("hexagon", "#bebada"),
        "Person" => ("oval", "#fb8072"),
        "Document" => ("note", "#80b1d3"),
        "Initiative" => ("diamond", "#fdb462"),
        "Event" => ("octagon", "#b3de69"),
        "Topic" => ("parallelogram", "#d9ef8b"),
        "Group" => ("tripleoctagon", "#fccde5"),
        _ => ("ellipse", "#d9d9d9"),
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn write_dot(g: &EntityGraph, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "digraph accord {{")?;
    writeln!(w, "  graph [rankdir=LR, fontname=\"Noto Sans CJK SC\"];")?;
    writeln!(w, "  node [style=filled, fontname=\"Noto Sans CJK SC\"];")?;
    writeln!(w, "  edge [fontname=\"Noto Sans CJK SC\", fontsize=10];")?;
    for i in g.graph.node_indices() {
        let n = &g.graph[i];
        let (shape, color) = style(&n.kind);
        writeln!(
            w,
            "  n{} [label=\"{}\", shape={shape}, fillcolor=\"{color}\", tooltip=\"{}\", class=\"{}\"];",
            i.index(),
            dot_escape(&n.label),
            dot_escape(&n.iri),
            n.kind
        )?;
    }
    for e in g.graph.edge_indices() {
        let (a, b) = g.graph.edge_endpoints(e).expect("edge");
        let info = &g.graph[e];
        writeln!(
            w,
            "  n{} -> n{} [label=\"{}\", document=\"{}\", rule=\"{}\"];",
            a.index(),
            b.index(),
            info.predicate,
            dot_escape(&join(&info.documents)),
            dot_escape(&join(&info.rules))
        )?;
    }
    writeln!(w, "}}")
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

fn write_graphml(g: &EntityGraph, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    for (id, target, name) in [
        ("label", "node", "label"),
        ("type", "node", "type"),
        ("iri", "node", "iri"),
        ("predicate", "edge", "predicate"),
        ("document", "edge", "document"),
        ("rule", "edge", "rule"),
    ] {
        writeln!(
            w,
            r#"  <key id="{id}" for="{target}" attr.name="{name}" attr.type="string"/>"#
        )?;
    }
    writeln!(w, r#"  <graph id="accord" edgedefault="directed">"#)?;
    for i in g.graph.node_indices() {
        let n = &g.graph[i];
        writeln!(w, r#"    <node id="n{}">"#, i.index())?;
        writeln!(
            w,
            r#"      <data key="label">{}</data>"#,
            xml_escape(&n.label)
        )?;
        writeln!(
            w,
            r#"      <data key="type">{}</data>"#,
            xml_escape(&n.kind)
        )?;
        writeln!(w, r#"      <data key="iri">{}</data>"#, xml_escape(&n.iri))?;
        writeln!(w, "    </node>")?;
    }
    for e in g.graph.edge_indices() {
        let (a, b) = g.graph.edge_endpoints(e).expect("edge");
        let info = &g.graph[e];
        writeln!(
            w,
            r#"    <edge id="e{}" source="n{}" target="n{}">"#,
            e.index(),
            a.index(),
            b.index()
        )?;
        writeln!(
            w,
            r#"      <data key="predicate">{}</data>"#,
            info.predicate
        )?;
        writeln!(
            w,
            r#"      <data key="document">{}</data>"#,
            xml_escape(&join(&info.documents))
        )?;
        writeln!(
            w,
            r#"      <data key="rule">{}</data>"#,
            xml_escape(&join(&info.rules))
        )?;
        writeln!(w, "    </edge>")?;
    }
    writeln!(w, "  </graph>")?;
    writeln!(w, "</graphml>")
}

fn cytoscape(g: &EntityGraph) -> Value {
    let nodes: Vec<Value> = g
        .graph
        .node_indices()
        .map(|i| {
            let n = &g.graph[i];
            json!({ "data": { "id": format!("n{}", i.index()), "label": n.label, "type": n.kind, "iri": n.iri } })
        })
        .collect();
    let edges: Vec<Value> = g
        .graph
        .edge_indices()
        .map(|e| {
            let (a, b) = g.graph.edge_endpoints(e).expect("edge");
            let info = &g.graph[e];
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
