//! The published vocabulary, `ontology/accord.ttl`: every predicate, class and datatype accord
//! writes — over the bundled corpus, the gazetteer, the generalisation set and the genre
//! samples — is declared there, and every term of accord's namespace is documented (labels in
//! English and Chinese, a comment, a domain and a range). `ontology/shapes.ttl` and the JSON-LD
//! context `ontology/context.jsonld` name only declared terms. The Turtle files are read with
//! Oxigraph's parser.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use accord::rdf::{self, DEFAULT_BASE, Vocab};
use accord::rules::{Kind, PREDICATES};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Literal, NamedNode, Quad, Term, Triple};

use crate::support::{case_documents, facts_files, root, rules};

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const RDFS_COMMENT: &str = "http://www.w3.org/2000/01/rdf-schema#comment";
const RDFS_DOMAIN: &str = "http://www.w3.org/2000/01/rdf-schema#domain";
const RDFS_RANGE: &str = "http://www.w3.org/2000/01/rdf-schema#range";
const RDFS_DATATYPE: &str = "http://www.w3.org/2000/01/rdf-schema#Datatype";
const RDF_FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
const RDF_REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
const OWL: &str = "http://www.w3.org/2002/07/owl#";
const SH: &str = "http://www.w3.org/ns/shacl#";

/// The namespaces of RDF, RDFS and OWL themselves: their terms need no declaration.
const BUILT_IN: &[&str] = &[rdf::RDF, rdf::RDFS, rdf::OWL];

fn acc() -> String {
    Vocab::default().ontology()
}

fn owl(local: &str) -> String {
    format!("{OWL}{local}")
}

/// The triples of a Turtle file of `ontology/`.
fn turtle(name: &str) -> Vec<Triple> {
    let path = root().join("ontology").join(name);
    RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(&fs::read(&path).unwrap())
        .map(|q| {
            q.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .into()
        })
        .collect()
}

struct Ontology {
    triples: Vec<Triple>,
}

impl Ontology {
    fn load() -> Self {
        Ontology {
            triples: turtle("accord.ttl"),
        }
    }

    fn objects(&self, s: &Term, p: &str) -> Vec<Term> {
        self.triples
            .iter()
            .filter(|t| Term::from(t.subject.clone()) == *s && t.predicate.as_str() == p)
            .map(|t| t.object.clone())
            .collect()
    }

    fn types(&self, iri: &str) -> Vec<String> {
        let s = Term::from(NamedNode::new(iri).unwrap());
        self.objects(&s, RDF_TYPE)
            .into_iter()
            .filter_map(|o| match o {
                Term::NamedNode(n) => Some(n.as_str().to_string()),
                _ => None,
            })
            .collect()
    }

    fn is_a(&self, iri: &str, class: &str) -> bool {
        self.types(iri).iter().any(|t| t == class)
    }

    fn is_property(&self, iri: &str) -> bool {
        self.types(iri).iter().any(|t| {
            [
                owl("ObjectProperty"),
                owl("DatatypeProperty"),
                owl("AnnotationProperty"),
                format!("{}Property", rdf::RDF),
            ]
            .contains(t)
        })
    }

    /// The datatypes a datatype stands for: itself, or the members of the union it is
    /// equivalent to (`acc:DateValue`).
    fn datatypes_of(&self, datatype: &Term) -> Vec<String> {
        let union = self
            .objects(datatype, &owl("equivalentClass"))
            .iter()
            .flat_map(|eq| self.objects(eq, &owl("unionOf")))
            .next();
        match (union, datatype) {
            (Some(list), _) => self.list(&list),
            (None, Term::NamedNode(n)) => vec![n.as_str().to_string()],
            _ => Vec::new(),
        }
    }

    /// The named members of an RDF list.
    fn list(&self, head: &Term) -> Vec<String> {
        let mut out = Vec::new();
        let mut node = head.clone();
        while let Some(first) = self.objects(&node, RDF_FIRST).pop() {
            if let Term::NamedNode(n) = first {
                out.push(n.as_str().to_string());
            }
            match self.objects(&node, RDF_REST).pop() {
                Some(rest) => node = rest,
                None => break,
            }
        }
        out
    }

    /// Problems with the documentation of a term of accord's namespace.
    fn undocumented(&self, iri: &str) -> Vec<String> {
        let s = Term::from(NamedNode::new(iri).unwrap());
        let mut missing = Vec::new();
        for lang in ["en", "zh"] {
            let has = self.objects(&s, RDFS_LABEL).iter().any(|o| match o {
                Term::Literal(l) => l.language() == Some(lang),
                _ => false,
            });
            if !has {
                missing.push(format!("{iri}: no rdfs:label@{lang}"));
            }
        }
        if self.objects(&s, RDFS_COMMENT).is_empty() {
            missing.push(format!("{iri}: no rdfs:comment"));
        }
        if self.is_property(iri) {
            for p in [RDFS_DOMAIN, RDFS_RANGE] {
                if self.objects(&s, p).is_empty() {
                    missing.push(format!("{iri}: no {p}"));
                }
            }
        }
        missing
    }
}

/// Every quad accord writes for the bundled corpus, the gazetteer, and each case of the
/// generalisation set and the genre samples as a document of its own.
fn emitted() -> Vec<Quad> {
    let vocab = Vocab::default();
    let mut documents = Vec::new();
    let mut corpus: Vec<_> = fs::read_dir(root().join("corpus"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    corpus.sort();
    assert!(!corpus.is_empty());
    for f in &corpus {
        documents.push(accord::read::read_file(f).unwrap());
    }
    let mut cases = 0;
    for dir in ["tests/data/genre", "tests/data/samples"] {
        for f in facts_files(&root().join(dir)) {
            let docs = case_documents(&f);
            cases += docs.len();
            documents.extend(docs);
        }
    }
    assert!(cases >= 250, "only {cases} cases");
    let mut quads = rdf::entity_quads(rules(), &vocab);
    for d in documents {
        let x = accord::extract(rules(), d);
        quads.extend(accord::to_quads(rules(), &vocab, &x));
    }
    quads
}

/// What the output uses: predicates with the datatypes of their literal objects and whether
/// they have IRI objects, classes, datatypes.
#[derive(Default)]
struct Usage {
    predicates: BTreeMap<String, (bool, BTreeSet<String>)>,
    classes: BTreeSet<String>,
    datatypes: BTreeSet<String>,
}

fn usage(quads: &[Quad]) -> Usage {
    let mut u = Usage::default();
    for q in quads {
        let p = q.predicate.as_str().to_string();
        let entry = u.predicates.entry(p.clone()).or_default();
        match &q.object {
            Term::Literal(l) => {
                entry.1.insert(datatype(l));
                u.datatypes.insert(datatype(l));
            }
            Term::NamedNode(o) => {
                entry.0 = true;
                if p == RDF_TYPE {
                    u.classes.insert(o.as_str().to_string());
                }
            }
            other => panic!("accord wrote a blank node: {other}"),
        }
    }
    u
}

fn datatype(l: &Literal) -> String {
    l.datatype().as_str().to_string()
}

fn built_in(iri: &str) -> bool {
    BUILT_IN.iter().any(|ns| iri.starts_with(ns))
}

#[test]
fn every_term_accord_writes_is_declared_in_the_ontology() {
    let ont = Ontology::load();
    let acc = acc();
    let u = usage(&emitted());
    let mut problems = Vec::new();
    for (p, (iri_objects, datatypes)) in &u.predicates {
        if p == RDF_TYPE {
            continue;
        }
        if p.starts_with(&acc) {
            let kind = if *iri_objects {
                "ObjectProperty"
            } else {
                "DatatypeProperty"
            };
            if *iri_objects && !datatypes.is_empty() {
                problems.push(format!("{p}: both IRIs and literals as objects"));
            } else if !ont.is_a(p, &owl(kind)) {
                problems.push(format!("{p}: not declared an owl:{kind}"));
            }
            let s = Term::from(NamedNode::new(p).unwrap());
            let allowed: Vec<String> = ont
                .objects(&s, RDFS_RANGE)
                .iter()
                .flat_map(|r| ont.datatypes_of(r))
                .collect();
            for d in datatypes.iter().filter(|d| !allowed.contains(d)) {
                problems.push(format!("{p}: writes {d}, outside its range {allowed:?}"));
            }
        } else if !built_in(p) && !ont.is_property(p) {
            problems.push(format!("{p}: reused property not declared"));
        }
    }
    for c in &u.classes {
        if (c.starts_with(&acc) || !built_in(c)) && !ont.is_a(c, &owl("Class")) {
            problems.push(format!("{c}: class not declared an owl:Class"));
        }
    }
    for d in &u.datatypes {
        if !ont.is_a(d, RDFS_DATATYPE) {
            problems.push(format!("{d}: datatype not declared an rdfs:Datatype"));
        }
    }
    assert!(
        problems.is_empty(),
        "ontology/accord.ttl lacks what accord writes:\n{}",
        problems.join("\n")
    );
    // The texts exercise the vocabulary: a term dropped from the output shows here.
    assert!(u.predicates.len() >= 50, "{:?}", u.predicates.keys());
    assert!(u.classes.len() >= 13, "{:?}", u.classes);
}

#[test]
fn every_term_of_the_ontology_is_documented() {
    let ont = Ontology::load();
    let acc = acc();
    assert_eq!(acc, format!("{DEFAULT_BASE}ontology#"));
    // What the rules may write, whether or not a text of the tests does.
    let mut expected: Vec<String> = PREDICATES.iter().map(|p| format!("{acc}{p}")).collect();
    expected.extend(
        Kind::ALL
            .into_iter()
            .filter(|k| k.is_entity())
            .map(|k| format!("{acc}{}", k.name())),
    );
    let mut problems: Vec<String> = expected
        .iter()
        .filter(|t| ont.types(t).is_empty())
        .map(|t| format!("{t}: not declared"))
        .collect();
    let declared: BTreeSet<String> = ont
        .triples
        .iter()
        .filter(|t| t.predicate.as_str() == RDF_TYPE)
        .filter_map(|t| match &t.subject {
            oxigraph::model::NamedOrBlankNode::NamedNode(n) if n.as_str().starts_with(&acc) => {
                Some(n.as_str().to_string())
            }
            _ => None,
        })
        .collect();
    for t in &declared {
        problems.extend(ont.undocumented(t));
    }
    let header = ont
        .triples
        .iter()
        .find(|t| t.object == Term::from(NamedNode::new(owl("Ontology")).unwrap()))
        .expect("an owl:Ontology header");
    let header = Term::from(header.subject.clone());
    assert!(
        !ont.objects(&header, &owl("versionInfo")).is_empty(),
        "the owl:Ontology has no owl:versionInfo"
    );
    assert!(
        problems.is_empty(),
        "ontology/accord.ttl:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_shapes_name_only_declared_terms() {
    let ont = Ontology::load();
    let acc = acc();
    let shapes = turtle("shapes.ttl");
    let mut undeclared = BTreeSet::new();
    for t in &shapes {
        let terms = [
            Term::from(t.subject.clone()),
            Term::from(t.predicate.clone()),
            t.object.clone(),
        ];
        for term in terms {
            if let Term::NamedNode(n) = term
                && n.as_str().starts_with(&acc)
                && ont.types(n.as_str()).is_empty()
            {
                undeclared.insert(n.as_str().to_string());
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "ontology/shapes.ttl names terms ontology/accord.ttl does not declare:\n{}",
        undeclared.into_iter().collect::<Vec<_>>().join("\n")
    );
    let node_shape = Term::from(NamedNode::new(format!("{SH}NodeShape")).unwrap());
    assert!(
        shapes.iter().filter(|t| t.object == node_shape).count() >= 10,
        "too few sh:NodeShape in ontology/shapes.ttl"
    );
}

#[test]
fn the_json_ld_context_names_only_declared_terms() {
    let ont = Ontology::load();
    let acc = acc();
    let context: serde_json::Value =
        serde_json::from_str(accord::export::CONTEXT).expect("context.jsonld is JSON");
    let terms = context["@context"].as_object().expect("an @context object");
    let mut undeclared = Vec::new();
    for (name, definition) in terms {
        let id = match definition {
            serde_json::Value::String(s) => s.as_str(),
            serde_json::Value::Object(o) => o.get("@id").and_then(|v| v.as_str()).unwrap_or(""),
            _ => "",
        };
        if let Some(local) = id.strip_prefix("acc:") {
            let iri = format!("{acc}{local}");
            if ont.types(&iri).is_empty() {
                undeclared.push(format!("{name} → {iri}"));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "ontology/context.jsonld names terms ontology/accord.ttl does not declare:\n{}",
        undeclared.join("\n")
    );
}
