//! Writes a document's graph as RDF quads: facts as plain triples in the document's named
//! graph, provenance (one `rdf:Statement` per fact, with its sentence and rule) in the sibling
//! `…/provenance` graph. A document's graph describes every entity its text names (gazetteer
//! entities too) and links them from the file resource with `acc:mentions`; the whole
//! gazetteer is `id/graph/entities`, written once per store.
//!
//! Invariant: no blank nodes. Every node has an IRI derived from its content, so the same input
//! gives the same quads.

use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use sha2::{Digest, Sha256};

use crate::date::{DateValue, Point};
use crate::graph::{DocGraph, Entity, day_bounds};
use crate::rules::{Kind, Rules};

pub const DEFAULT_BASE: &str = "https://w3id.org/accord/";
pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
pub const OWL: &str = "http://www.w3.org/2002/07/owl#";
pub const PROV: &str = "http://www.w3.org/ns/prov#";
pub const DCTERMS: &str = "http://purl.org/dc/terms/";
pub const WIKIDATA: &str = "http://www.wikidata.org/entity/";

/// IRIs of one base.
#[derive(Clone, Debug)]
pub struct Vocab {
    pub base: String,
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab {
            base: DEFAULT_BASE.to_string(),
        }
    }
}

/// Why a `--base` cannot name accord's IRIs.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum BaseError {
    #[error(
        "--base {base:?} is not an absolute IRI ({reason}); give one like https://example.org/accord/"
    )]
    NotAbsolute { base: String, reason: String },
    /// Terms are `<base>ontology#Term` and sentences `<file IRI>#sN`: a base with a fragment
    /// would give IRIs with two `#`.
    #[error(
        "--base {0:?} holds '#': accord writes ontology terms as <base>ontology#Term and sentences as <base>id/doc/<file>#sN, so the base must be a path ending in '/' (like {1})"
    )]
    Fragment(String, String),
    #[error("--base {0:?} holds '?': the base must be a path ending in '/', without a query")]
    Query(String),
    #[error(
        "--base {0:?} does not end in '/': IRIs are <base>id/… and <base>ontology#…, so it must (like {0}/)"
    )]
    NoSlash(String),
}

impl Vocab {
    /// The IRIs of `base`, which must be an absolute IRI ending in `/` with no query or
    /// fragment: every IRI accord mints is `base` plus a path, and sentences and ontology terms
    /// take a fragment of their own.
    pub fn new(base: &str) -> Result<Vocab, BaseError> {
        if let Some((path, _)) = base.split_once('#') {
            let path = path.trim_end_matches('/');
            return Err(BaseError::Fragment(base.to_string(), format!("{path}/")));
        }
        NamedNode::new(base).map_err(|e| BaseError::NotAbsolute {
            base: base.to_string(),
            reason: e.to_string(),
        })?;
        if base.contains('?') {
            return Err(BaseError::Query(base.to_string()));
        }
        if !base.ends_with('/') {
            return Err(BaseError::NoSlash(base.to_string()));
        }
        Ok(Vocab {
            base: base.to_string(),
        })
    }

    pub fn ontology(&self) -> String {
        format!("{}ontology#", self.base)
    }
    pub fn acc(&self, local: &str) -> NamedNode {
        iri(&format!("{}ontology#{local}", self.base))
    }
    pub fn id(&self, path: &str) -> NamedNode {
        iri(&format!("{}id/{}", self.base, encode_path(path)))
    }
    pub fn doc_graph(&self, key: &str) -> NamedNode {
        self.id(&format!("graph/{key}"))
    }
    pub fn provenance_graph(&self, key: &str) -> NamedNode {
        self.id(&format!("graph/{key}/provenance"))
    }
    pub fn entities_graph(&self) -> NamedNode {
        self.id(&format!("graph/{ENTITIES_KEY}"))
    }
}

/// Sorts quads by graph, subject, predicate and object as written in N-Quads, the order of
/// every dump, so output is byte-identical run to run whatever order the quads were made in.
pub fn sort_quads(quads: &mut [Quad]) {
    quads.sort_by_cached_key(|q| {
        (
            q.graph_name.to_string(),
            q.subject.to_string(),
            q.predicate.to_string(),
            q.object.to_string(),
        )
    });
}

/// Why `key` cannot name a document, if it cannot. A key names the graphs `graph/<key>` and
/// `graph/<key>/provenance`: a slash could make one document's graph another's provenance, and
/// `entities` is the gazetteer's graph.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.trim().is_empty() {
        Some("is empty")
    } else if key.contains('/') {
        Some("holds a slash")
    } else if key.chars().any(char::is_control) {
        Some("holds a control character")
    } else if key == ENTITIES_KEY {
        Some("names the gazetteer's graph")
    } else {
        None
    }
}

/// The key of the gazetteer's graph, `id/graph/entities`.
const ENTITIES_KEY: &str = "entities";

pub fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap_or_else(|e| panic!("accord built an invalid IRI {s:?}: {e}"))
}

fn term(ns: &str, local: &str) -> NamedNode {
    iri(&format!("{ns}{local}"))
}

/// Percent-encodes what an IRI path may not hold (ASCII delimiters, controls, what is no
/// `ucschar` of RFC 3987: private-use characters of every plane, noncharacters, the tags and
/// variation selectors of plane 14, which an ideograph may carry); ideographs stay readable.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        let forbidden = if c.is_ascii() {
            c.is_ascii_control() || " \"<>\\^`{|}%#?[]".contains(c)
        } else {
            !is_ucschar(c) || c.is_whitespace()
        };
        if forbidden {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// RFC 3987's `ucschar`: the characters beyond ASCII an IRI path may hold as they are.
fn is_ucschar(c: char) -> bool {
    let u = u32::from(c);
    matches!(u, 0xA0..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF)
        || ((0x1_0000..=0xE_FFFD).contains(&u)
            && (u & 0xFFFF) < 0xFFFE
            && !(0xE_0000..=0xE_0FFF).contains(&u))
}

pub fn date_literal(p: &Point) -> Literal {
    let (lexical, datatype) = p.xsd();
    Literal::new_typed_literal(lexical, term(XSD, datatype))
}

fn day_literal(d: chrono::NaiveDate) -> Literal {
    Literal::new_typed_literal(d.format("%Y-%m-%d").to_string(), term(XSD, "date"))
}

fn zh(text: &str) -> Literal {
    Literal::new_language_tagged_literal_unchecked(text, "zh")
}

/// What the document resource says about its source.
pub struct DocMeta<'a> {
    pub key: &'a str,
    /// The title line of the text; `None` when it has none. The file key the text's own
    /// Document is then named by is not a title, nor a Chinese label: neither is written.
    pub title: Option<&'a str>,
    pub date: Option<DateValue>,
    pub source: &'a str,
    pub content_hash: &'a str,
    pub encoding: &'a str,
}

struct Out<'a> {
    quads: Vec<Quad>,
    graph: GraphName,
    vocab: &'a Vocab,
}

impl Out<'_> {
    fn add(&mut self, s: &NamedNode, p: NamedNode, o: impl Into<Term>) {
        self.quads.push(Quad::new(
            NamedOrBlankNode::from(s.clone()),
            p,
            o,
            self.graph.clone(),
        ));
    }
}

/// Quads of one document: its facts and found entities, then its provenance.
pub fn document_quads(rules: &Rules, vocab: &Vocab, meta: &DocMeta, g: &DocGraph) -> Vec<Quad> {
    let mut out = Out {
        quads: Vec::new(),
        graph: vocab.doc_graph(meta.key).into(),
        vocab,
    };
    let node_iri = |i: petgraph::graph::NodeIndex| vocab.id(&g.graph[i].path(rules));
    let doc = vocab.id(&format!("doc/{}", meta.key));
    for i in g.graph.node_indices() {
        if i == g.document && meta.title.is_none() {
            // Named by its file: typed, but its key is no label.
            out.add(
                &node_iri(i),
                term(RDF, "type"),
                vocab.acc(Kind::Document.name()),
            );
        } else {
            describe_found(rules, &mut out, &node_iri(i), &g.graph[i]);
        }
        if i != g.document || g.document_mentioned {
            out.add(&doc, vocab.acc("mentions"), node_iri(i));
        }
    }
    for (i, short) in &g.aliases {
        out.add(&node_iri(*i), term(SKOS, "altLabel"), zh(short));
    }
    let mut statements = Vec::new();
    for e in g.graph.edge_indices() {
        let (s, o) = g.graph.edge_endpoints(e).expect("edge");
        let edge = &g.graph[e];
        let (s, p, o) = (
            node_iri(s),
            vocab.acc(&edge.predicate),
            Term::from(node_iri(o)),
        );
        out.add(&s, p.clone(), o.clone());
        statements.push((s, p, o, edge));
    }
    for (n, edge, date) in &g.dated {
        let (s, p, o) = (
            node_iri(*n),
            vocab.acc(&edge.predicate),
            Term::from(date_literal(date)),
        );
        out.add(&s, p.clone(), o.clone());
        statements.push((s, p, o, edge));
    }
    for (n, (first, last)) in day_bounds(g) {
        out.add(&node_iri(n), vocab.acc("startDay"), day_literal(first));
        out.add(&node_iri(n), vocab.acc("endDay"), day_literal(last));
    }
    out.graph = vocab.provenance_graph(meta.key).into();
    describe_document(&mut out, &doc, meta);
    // The file is a copy of the text's own document (two copies of a declaration share it).
    out.add(&doc, vocab.acc("copyOf"), node_iri(g.document));
    for s in &g.sentences {
        let si = iri(&format!("{}#s{}", doc.as_str(), s.number));
        out.add(&si, term(RDF, "type"), vocab.acc("Sentence"));
        out.add(&si, vocab.acc("inDocument"), doc.clone());
        out.add(&si, vocab.acc("text"), zh(&s.text));
        if let Some(source) = &s.source_text {
            out.add(
                &si,
                vocab.acc("sourceText"),
                Literal::new_simple_literal(source),
            );
        }
        out.add(
            &si,
            vocab.acc("paragraph"),
            Literal::from(s.paragraph as i64),
        );
        if let Some(section) = &s.section {
            out.add(&si, vocab.acc("section"), zh(section));
        }
        out.add(&si, vocab.acc("charStart"), Literal::from(s.chars.0 as i64));
        out.add(&si, vocab.acc("charEnd"), Literal::from(s.chars.1 as i64));
        out.add(&si, vocab.acc("byteStart"), Literal::from(s.bytes.0 as i64));
        out.add(&si, vocab.acc("byteEnd"), Literal::from(s.bytes.1 as i64));
    }
    for (s, p, o, edge) in statements {
        let si = iri(&format!(
            "{}#s{}",
            doc.as_str(),
            g.sentences[edge.sentence].number
        ));
        let hash = Sha256::digest(format!("{s}\t{p}\t{o}\t{si}\t{}", edge.rule).as_bytes());
        let st = vocab.id(&format!("statement/{}", &format!("{hash:x}")[..24]));
        out.add(&st, term(RDF, "type"), term(RDF, "Statement"));
        out.add(&st, term(RDF, "subject"), s);
        out.add(&st, term(RDF, "predicate"), p);
        out.add(&st, term(RDF, "object"), o);
        out.add(&st, term(PROV, "wasDerivedFrom"), si);
        out.add(
            &st,
            vocab.acc("rule"),
            Literal::new_simple_literal(&edge.rule),
        );
        if let Some(role) = &edge.role {
            out.add(&st, vocab.acc("role"), zh(role));
        }
    }
    out.quads
}

fn describe_found(rules: &Rules, out: &mut Out, s: &NamedNode, e: &Entity) {
    match e {
        Entity::Known(i) => describe_known(rules, out, s, *i),
        Entity::Found { kind, label, .. } => {
            out.add(s, term(RDF, "type"), out.vocab.acc(kind.name()));
            out.add(s, term(RDFS, "label"), zh(label));
        }
        Entity::Group {
            of, participants, ..
        } => {
            out.add(s, term(RDF, "type"), out.vocab.acc(Kind::Group.name()));
            let label = if *participants {
                &rules.participants_label
            } else {
                &rules.group_label
            };
            out.add(s, term(RDFS, "label"), zh(label));
            if let Some(i) = of {
                let org = out.vocab.id(&Entity::Known(*i).path(rules));
                out.add(s, out.vocab.acc("groupOf"), org);
            }
        }
    }
}

fn describe_document(out: &mut Out, doc: &NamedNode, meta: &DocMeta) {
    out.add(doc, term(RDF, "type"), out.vocab.acc("SourceDocument"));
    if let Some(title) = meta.title {
        out.add(doc, term(DCTERMS, "title"), zh(title));
    }
    if let Some(d) = meta.date {
        out.add(doc, term(DCTERMS, "date"), date_literal(&d.start));
    }
    out.add(
        doc,
        out.vocab.acc("sourceFile"),
        Literal::new_simple_literal(meta.source),
    );
    out.add(
        doc,
        out.vocab.acc("contentHash"),
        Literal::new_simple_literal(format!("sha256:{}", meta.content_hash)),
    );
    out.add(
        doc,
        out.vocab.acc("encoding"),
        Literal::new_simple_literal(meta.encoding),
    );
    out.add(
        doc,
        out.vocab.acc("factGraph"),
        out.vocab.doc_graph(meta.key),
    );
}

/// Descriptions of every gazetteer entity, in `id/graph/entities`.
pub fn entity_quads(rules: &Rules, vocab: &Vocab) -> Vec<Quad> {
    let mut out = Out {
        quads: Vec::new(),
        graph: vocab.entities_graph().into(),
        vocab,
    };
    for i in 0..rules.entities.len() {
        let s = vocab.id(&Entity::Known(i).path(rules));
        describe_known(rules, &mut out, &s, i);
    }
    out.quads
}

/// What the gazetteer says of an entity: type, labels, aliases, Wikidata id, country.
fn describe_known(rules: &Rules, out: &mut Out, s: &NamedNode, i: usize) {
    let vocab = out.vocab;
    let e = &rules.entities[i];
    out.add(s, term(RDF, "type"), vocab.acc(e.kind.name()));
    out.add(s, term(RDFS, "label"), zh(&e.zh));
    if let Some(en) = &e.en {
        out.add(
            s,
            term(RDFS, "label"),
            Literal::new_language_tagged_literal_unchecked(en, "en"),
        );
    }
    for a in &e.aliases {
        out.add(s, term(SKOS, "altLabel"), zh(a));
    }
    if let Some(q) = &e.wikidata {
        // A city-state's capital shares its state's item: that id names the state.
        let country_id = e
            .country
            .as_deref()
            .and_then(|c| rules.entity_by_key(c))
            .and_then(|c| rules.entities[c].wikidata.as_ref());
        if country_id != Some(q) || e.kind == Kind::State {
            out.add(s, term(OWL, "sameAs"), iri(&format!("{WIKIDATA}{q}")));
        }
    }
    if let Some(c) = e.country.as_deref().and_then(|c| rules.entity_by_key(c)) {
        out.add(
            s,
            vocab.acc("country"),
            vocab.id(&Entity::Known(c).path(rules)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_is_an_absolute_iri_ending_in_a_slash() {
        assert!(Vocab::new("http://example.org/ns/").is_ok());
        assert!(Vocab::new(DEFAULT_BASE).is_ok());
        for bad in [
            "http://example.org/ns#",
            "http://example.org/ns/#",
            "http://example.org/ns",
            "http://example.org/ns/?x=/",
            "example/",
            "not an iri/",
        ] {
            assert!(Vocab::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Vocab::new("http://example.org/ns#").unwrap_err(),
            BaseError::Fragment(
                "http://example.org/ns#".into(),
                "http://example.org/ns/".into()
            )
        );
    }

    #[test]
    fn paths_keep_ideographs_and_encode_what_an_iri_forbids() {
        for (path, encoded) in [
            ("document/上合组织宪章", "document/上合组织宪章"),
            ("document/a b#c", "document/a%20b%23c"),
            ("document/\u{e000}", "document/%EE%80%80"),
            ("document/\u{f0000}", "document/%F3%B0%80%80"),
            ("document/\u{10ffff}", "document/%F4%8F%BF%BF"),
            ("document/\u{1fffe}", "document/%F0%9F%BF%BE"),
            ("document/永\u{e0100}和", "document/永%F3%A0%84%80和"),
            ("document/\u{e1000}", "document/\u{e1000}"),
            ("document/\u{20000}", "document/\u{20000}"),
        ] {
            assert_eq!(encode_path(path), encoded, "{path:?}");
            assert!(NamedNode::new(format!("{DEFAULT_BASE}id/{encoded}")).is_ok());
        }
    }
}
