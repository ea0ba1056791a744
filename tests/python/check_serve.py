#!/usr/bin/env python3
"""Ask a running `accord serve` with third-party SPARQL clients: SPARQLWrapper and rdflib.

Usage:  python tests/python/check_serve.py ACCORD_BINARY OUTPUT_DIR

OUTPUT_DIR holds a store made by `accord extract` of the bundled corpus. The check starts
`ACCORD_BINARY serve` on a free loopback port, asks who supports the Belt and Road with
SPARQLWrapper (JSON and XML results) and with rdflib's SPARQLStore, checks that an update is
refused and that an entity page's compact JSON-LD expands (pyld) to its Turtle's triples, then stops the server with SIGTERM and expects it to exit cleanly. Exit code 1 when a
check fails.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from served import run_checks, start, stop

from pyld import jsonld
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

ROOT = Path(__file__).resolve().parents[2]
QUERY = (ROOT / "queries/bri-supporters.rq").read_text(encoding="utf-8")
EXPECTED = ["Kazakhstan", "Kyrgyzstan", "Pakistan", "Russia", "Tajikistan", "Uzbekistan"]


def names_json(endpoint: str) -> list[str]:
    client = SPARQLWrapper(endpoint)
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    return [b["name"]["value"] for b in data["results"]["bindings"]]


def names_xml(endpoint: str) -> list[str]:
    client = SPARQLWrapper(endpoint)
    client.setQuery(QUERY)
    client.setReturnFormat(XML)
    doc = client.query().convert()  # an xml.dom.minidom document
    names = []
    for binding in doc.getElementsByTagName("binding"):
        if binding.getAttribute("name") == "name":
            names.append(binding.getElementsByTagName("literal")[0].firstChild.data)
    return names


def names_rdflib(endpoint: str) -> list[str]:
    graph = Graph(store=SPARQLStore(endpoint))  # asks for XML results
    return [str(row.name) for row in graph.query(QUERY)]


def entity_jsonld_matches_turtle(base: str) -> str:
    """Uzbekistan's page as compact JSON-LD (accord's context), expanded by pyld, holds the same
    triples as its Turtle; its types are compact terms of the context."""
    url = base + "/id/state/uzb"

    def fetch(accept: str) -> bytes:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept})) as r:
            return r.read()

    doc = json.loads(fetch("application/ld+json"))
    types = {t for node in doc["@graph"] for t in node.get("type", [])
             if isinstance(node.get("type"), list)} | {
        node["type"] for node in doc["@graph"] if isinstance(node.get("type"), str)}
    if any(":" in t for t in types):
        return f"types not compact: {sorted(types)}"
    from_jsonld = Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads"}),
                                format="nquads")
    from_turtle = Graph().parse(data=fetch("text/turtle"), format="turtle")
    if not isomorphic(from_jsonld, from_turtle):
        return f"{len(from_jsonld)} triples from JSON-LD, {len(from_turtle)} from Turtle"
    return "same triples"


def update_refused(endpoint: str) -> str:
    client = SPARQLWrapper(endpoint)
    client.setMethod("POST")
    client.setQuery("DELETE WHERE { ?s ?p ?o }")
    try:
        client.query()
    except SPARQLWrapperException as e:
        return "403" if "403" in str(e) else str(e)
    except Exception as e:  # urllib's HTTPError for statuses SPARQLWrapper does not map
        return "403" if getattr(e, "code", None) == 403 else repr(e)
    return "accepted"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    server, base = start(argv[1], argv[2])
    endpoint = base + "/sparql"
    print(f"accord serve at {endpoint}")
    checks = [
        ("SPARQLWrapper JSON", lambda: names_json(endpoint), EXPECTED),
        ("SPARQLWrapper XML", lambda: names_xml(endpoint), EXPECTED),
        ("rdflib SPARQLStore", lambda: names_rdflib(endpoint), EXPECTED),
        ("update refused", lambda: update_refused(endpoint), "403"),
        ("entity page JSON-LD = Turtle", lambda: entity_jsonld_matches_turtle(base),
         "same triples"),
    ]
    try:
        failed = run_checks(checks)
    finally:
        code = stop(server)
    ok = code == 0
    failed += not ok
    print(f"{'PASS' if ok else 'FAIL'} stops on SIGTERM: exit {code}")
    print(f"serve: {len(checks) + 1 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
