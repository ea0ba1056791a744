#!/usr/bin/env python3
"""Validate accord's output against the SHACL shapes of ontology/shapes.ttl with pyshacl.

Usage:  python tests/python/check_shapes.py OUTPUT_DIR

OUTPUT_DIR holds graph.nq and entities.ttl as written by `accord extract`. Each document
(a SourceDocument and its acc:factGraph) is validated on its own: its fact graph, its
provenance graph and the gazetteer (entities.ttl) as the data graph, ontology/accord.ttl as
the ontology graph (for the subclasses of acc:Entity), no inference. The gazetteer is also
validated alone. One line per data graph says how many focus nodes the shapes target and
whether it conforms; on a violation the report follows and the exit code is 1 (2 on a usage
error or when there is nothing to validate).
"""

from __future__ import annotations

import sys
from pathlib import Path

import rdflib
from pyshacl import validate
from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

ROOT = Path(__file__).resolve().parents[2]
ACC = Namespace("https://w3id.org/accord/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")

# Keep literals as written (rdflib would rewrite "01"^^xsd:integer to "1").
rdflib.NORMALIZE_LITERALS = False


def focus_nodes(shapes: Graph, ontology: Graph, data: Graph) -> int:
    """The distinct nodes the shapes' targets select in `data` (SHACL Core targets)."""
    subclasses = Graph()
    for t in ontology.triples((None, RDFS.subClassOf, None)):
        subclasses.add(t)
    for t in data.triples((None, RDFS.subClassOf, None)):
        subclasses.add(t)
    nodes = set()
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        nodes.update(shapes.objects(shape, SH.targetNode))
        for c in shapes.objects(shape, SH.targetClass):
            for sub in subclasses.transitive_subjects(RDFS.subClassOf, c):
                nodes.update(data.subjects(RDF.type, sub))
        for p in shapes.objects(shape, SH.targetSubjectsOf):
            nodes.update(data.subjects(p, None))
        for p in shapes.objects(shape, SH.targetObjectsOf):
            nodes.update(data.objects(None, p))
    return len(nodes)


def check(name: str, data: Graph, shapes: Graph, ontology: Graph) -> bool:
    targeted = focus_nodes(shapes, ontology, data)
    conforms, _, report = validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        abort_on_first=False,
        allow_warnings=False,
    )
    status = "conforms" if conforms else "VIOLATES the shapes"
    print(f"{name}: {len(data)} triples, {targeted} focus nodes: {status}")
    if not conforms:
        print(report)
    if targeted == 0:
        print(f"{name}: no focus node: nothing was validated")
        return False
    return conforms


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out = Path(argv[1])
    missing = [f for f in ("graph.nq", "entities.ttl") if not (out / f).is_file()]
    if missing:
        print(f"{out}: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    shapes = Graph().parse(ROOT / "ontology/shapes.ttl", format="turtle")
    ontology = Graph().parse(ROOT / "ontology/accord.ttl", format="turtle")
    dataset = Dataset(default_union=True)
    dataset.parse(out / "graph.nq", format="nquads")
    gazetteer = Graph().parse(out / "entities.ttl", format="turtle")

    documents = sorted(set(dataset.subjects(RDF.type, ACC.SourceDocument)))
    if not documents:
        print(f"{out}/graph.nq: no acc:SourceDocument", file=sys.stderr)
        return 2
    ok = check("entities.ttl", gazetteer, shapes, ontology)
    for doc in documents:
        fact_graphs = list(dataset.objects(doc, ACC.factGraph))
        if len(fact_graphs) != 1:
            print(f"{doc}: {len(fact_graphs)} acc:factGraph")
            ok = False
            continue
        data = Graph()
        for name in (fact_graphs[0], URIRef(f"{fact_graphs[0]}/provenance")):
            for t in dataset.graph(name):
                data.add(t)
        # The gazetteer's description of every node the document names (a city's country).
        named = set(data.subjects()) | {o for o in data.objects() if isinstance(o, URIRef)}
        for node in named:
            for t in gazetteer.triples((node, None, None)):
                data.add(t)
        ok = check(str(doc), data, shapes, ontology) and ok
    print(f"shapes: {len(documents)} documents and the gazetteer {'conform' if ok else 'do NOT conform'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
