#!/usr/bin/env python3
"""Check accord's exports the way other tools read them.

Usage:  python tests/python/check_exports.py OUTPUT_DIR

OUTPUT_DIR holds graph.nq, graph.trig, graph.ttl, graph.jsonld, graph.dot,
graph.graphml and entities.ttl as written by `accord extract`. Each check prints PASS or FAIL with
a short reason; the run ends with a line `exports: N passed, M failed` and exits
1 if any check failed (2 on a usage error). Nothing is skipped: a missing file,
Python package or the Graphviz `dot` binary is a failure.

Checks:
  1. rdflib reads graph.nq and graph.trig as datasets and graph.ttl as a graph;
     TriG and N-Quads hold the same quads in every graph, Turtle holds exactly
     the union of their triples; no blank nodes, language tags lower-case.
  2. pyld expands graph.jsonld (inline @context, remote loading disabled) and
     converts it to N-Quads; rdflib reads that and it must equal graph.nq,
     graph by graph. The inline @context must equal ontology/context.jsonld.
     Every `type` value is a term the @context defines (`State`, not the IRI),
     and each term expands to the class IRI the quads hold.
  3. `dot -Tsvg graph.dot` exits 0 and prints an <svg> document that names
     the CJK font (Noto Sans CJK SC, which fontconfig must find) and holds the
     Chinese labels.
  4. graph.graphml is well-formed GraphML whose edges join declared nodes and
     whose nodes are the entities of the entity-to-entity facts (and its edges
     those facts); graph.dot, as Graphviz reads it, has the same nodes.
  4c. networkx reads graph.graphml's attributes typed: every node a `type` of
     the vocabulary and a `label`, states a Wikidata id, dated entities ISO
     `start_date`/`end_date` in their `label` (two meetings of one name stay two
     nodes, labelled apart), groups their `document`; every edge its `rule`,
     `sentence` and `documents` (an int, the documents stating it).
  5. SPARQL (rdflib) over graph.nq, default graph = union of all graphs: the
     states supporting the Belt and Road Initiative; every rdf:Statement is in
     a provenance graph and complete; every acc: triple of a fact graph has a
     statement in that document's provenance graph.
  6. entities.ttl (the gazetteer) parses and describes the known entities;
     graph.nq holds no gazetteer graph; every entity a document acc:mentions is
     typed in that document's graph.

Needs the packages in tests/python/requirements.txt and Graphviz (`dot`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import traceback
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

_IMPORT_ERRORS: dict[str, str] = {}
try:
    import rdflib
    from rdflib import BNode, Dataset, Graph, Literal, URIRef

    # Keep literals exactly as written: by default rdflib rewrites e.g.
    # "01"^^xsd:integer to "1", which would hide differences between exports.
    rdflib.NORMALIZE_LITERALS = False
except ImportError as exc:  # reported by every check that needs it
    _IMPORT_ERRORS["rdflib"] = str(exc)
try:
    from pyld import jsonld
except ImportError as exc:
    _IMPORT_ERRORS["pyld"] = str(exc)
try:
    import networkx
except ImportError as exc:
    _IMPORT_ERRORS["networkx"] = str(exc)

# --- vocabulary (DESIGN.md "Vocabulary"; default base IRI) -------------------
BASE = "https://w3id.org/accord/"
ACC = BASE + "ontology#"
ID = BASE + "id/"
GRAPH_NS = ID + "graph/"
ENTITIES_GRAPH = GRAPH_NS + "entities"
FACT_GRAPH_RE = re.compile("^" + re.escape(GRAPH_NS) + r"([^/]+)$")
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = RDF + "langString"
PROV = "http://www.w3.org/ns/prov#"
# acc: predicates with IRI objects that are not entity-to-entity facts
NOT_ENTITY_FACTS = {ACC + n for n in ("groupOf", "country", "inDocument", "factGraph",
                                      "mentions", "copyOf")}
BRI = ID + "initiative/bri"
BRI_SUPPORTERS = {ID + "state/" + k for k in ("kaz", "kgz", "pak", "rus", "tjk", "uzb")}

GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"
CJK_FONT = "Noto Sans CJK SC"  # the font graph.dot names
CONTEXT_FILE = Path(__file__).resolve().parents[2] / "ontology" / "context.jsonld"
SHOW = 8  # differences listed per failure


class CheckFailed(Exception):
    """A check failed; args[0] is the one-line reason, details go below it."""

    def __init__(self, reason: str, details: list[str] | None = None):
        super().__init__(reason)
        self.details = details or []


def need(*packages: str) -> None:
    missing = [p for p in packages if p in _IMPORT_ERRORS]
    if missing:
        raise CheckFailed(
            "Python package(s) not installed: " + ", ".join(missing)
            + " (pip install -r tests/python/requirements.txt): "
            + "; ".join(_IMPORT_ERRORS[p] for p in missing))


# --- terms and datasets as comparable keys ------------------------------------
# A term key: ("I", iri) | ("B", id) | ("L", lexical form, datatype, lang).
# Literals keep their lexical form; a plain literal gets xsd:string (RDF 1.1),
# a language-tagged one rdf:langString with its tag lower-cased (tags compare
# case-insensitively; the lower-case contract is checked separately).

def term_key(t) -> tuple:
    if isinstance(t, URIRef):
        return ("I", str(t))
    if isinstance(t, BNode):
        return ("B", str(t))
    if isinstance(t, Literal):
        if t.language:
            return ("L", str(t), RDF_LANGSTRING, t.language.lower())
        return ("L", str(t), str(t.datatype) if t.datatype else XSD_STRING, None)
    raise TypeError(f"unexpected RDF term {t!r}")


def fmt_term(k: tuple) -> str:
    if k[0] == "I":
        return f"<{k[1]}>"
    if k[0] == "B":
        return f"_:{k[1]}"
    lex = json.dumps(k[1], ensure_ascii=False)
    if k[3]:
        return f"{lex}@{k[3]}"
    return lex if k[2] == XSD_STRING else f"{lex}^^<{k[2]}>"


def fmt_triple(t: tuple) -> str:
    return " ".join(fmt_term(x) for x in t)


def graph_name(g) -> str:
    """'' for the default graph, else the graph IRI."""
    ident = getattr(g, "identifier", g)
    if ident is None or str(ident) == str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID):
        return ""
    return str(ident)


def quads_by_graph(ds) -> dict[str, set]:
    """{graph name: {(s, p, o) keys}}; graphs without triples are left out."""
    out: dict[str, set] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        out.setdefault(graph_name(g), set()).add((term_key(s), term_key(p), term_key(o)))
    return out


def triples_of(graph) -> set:
    return {(term_key(s), term_key(p), term_key(o)) for s, p, o in graph}


def near_miss(a: tuple, b: tuple) -> str | None:
    """Why two literal keys differ when they are 'almost' the same literal."""
    if a[0] != "L" or b[0] != "L":
        return None
    if a[1] == b[1] and a[2] != b[2]:
        return f"same text, different datatype: <{a[2]}> vs <{b[2]}>"
    if a[2] == b[2] and a[3] is None and b[3] is None:
        la = Literal(a[1], datatype=URIRef(a[2]))
        lb = Literal(b[1], datatype=URIRef(b[2]))
        if la.value is not None and la.eq(lb):
            return (f"same value, different lexical form ({fmt_term(a)} vs {fmt_term(b)}): "
                    "literal normalisation")
    if a[1].strip() == b[1].strip() and a[1] != b[1]:
        return "differs only in surrounding whitespace"
    return None


def diff_datasets(a: dict[str, set], b: dict[str, set], name_a: str, name_b: str) -> list[str]:
    """Readable list of differences (first SHOW of each side), [] if equal."""
    lines: list[str] = []
    only_a_total = only_b_total = 0
    shown = 0
    for g in sorted(set(a) | set(b)):
        ta, tb = a.get(g, set()), b.get(g, set())
        if ta == tb:
            continue
        only_a, only_b = sorted(ta - tb), sorted(tb - ta)
        only_a_total += len(only_a)
        only_b_total += len(only_b)
        label = g or "(default graph)"
        lines.append(f"graph {label}: {len(ta)} in {name_a}, {len(tb)} in {name_b}; "
                     f"{len(only_a)} only in {name_a}, {len(only_b)} only in {name_b}")
        if g not in b:
            lines.append(f"  graph missing from {name_b}")
        if g not in a:
            lines.append(f"  graph missing from {name_a}")
        by_sp = {}
        for t in only_b:
            by_sp.setdefault((t[0], t[1]), []).append(t)
        for t in only_a:
            if shown >= SHOW:
                break
            lines.append(f"  only in {name_a}: {fmt_triple(t)}")
            for other in by_sp.get((t[0], t[1]), []):
                why = near_miss(t[2], other[2])
                if why:
                    lines.append(f"    {name_b} has {fmt_term(other[2])} instead: {why}")
            shown += 1
        for t in only_b:
            if shown >= 2 * SHOW:
                break
            lines.append(f"  only in {name_b}: {fmt_triple(t)}")
            shown += 1
    if lines:
        lines.insert(0, f"{only_a_total} triple(s) only in {name_a}, "
                        f"{only_b_total} only in {name_b}")
    return lines


def blank_node_quads(by_graph: dict[str, set]) -> list[str]:
    return [f"{fmt_triple(t)} in {g or '(default graph)'}"
            for g, ts in sorted(by_graph.items()) for t in sorted(ts)
            if any(x[0] == "B" for x in t)]


def upper_case_tags(ds) -> list[str]:
    """Language tags not written in lower case (rdflib keeps the written case)."""
    bad = []
    for s, p, o, g in ds.quads((None, None, None, None)):
        if isinstance(o, Literal) and o.language and o.language != o.language.lower():
            bad.append(f"<{s}> <{p}> {o.n3()} in {graph_name(g) or '(default graph)'}")
    return bad


# --- the export files, read once ----------------------------------------------

class Exports:
    def __init__(self, out_dir: Path):
        self.dir = out_dir
        self._cache: dict[str, object] = {}

    def path(self, name: str) -> Path:
        p = self.dir / name
        if not p.is_file():
            raise CheckFailed(f"missing file {p}")
        return p

    def _load(self, key: str, loader):
        """Load once; a failure is remembered and reported by every user."""
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", loader())
            except CheckFailed as exc:
                self._cache[key] = ("err", exc)
            except Exception as exc:  # parse errors and the like
                lines = f"cannot read {key}: {type(exc).__name__}: {exc}".splitlines()
                self._cache[key] = ("err", CheckFailed(
                    lines[0], [x.rstrip() for x in lines[1:] if x.strip()][:SHOW]))
        status, value = self._cache[key]
        if status == "err":
            raise value
        return value

    def dataset(self, name: str, fmt: str):
        def load():
            need("rdflib")
            ds = Dataset()
            ds.parse(str(self.path(name)), format=fmt)
            return ds
        return self._load(name, load)

    def json(self, name: str):
        return self._load(name, lambda: json.loads(self.path(name).read_text(encoding="utf-8")))

    def nq(self):
        return self.dataset("graph.nq", "nquads")

    def nq_quads(self) -> dict[str, set]:
        return self._load("graph.nq (as quads)", lambda: quads_by_graph(self.nq()))

    def entity_facts(self) -> set[tuple[str, str, str]]:
        """Distinct (subject, predicate local name, object) of entity-to-entity
        facts: acc: predicates with an IRI object (not groupOf, country,
        inDocument, factGraph) in the per-document fact graphs."""
        def load():
            facts = set()
            for g, triples in self.nq_quads().items():
                m = FACT_GRAPH_RE.match(g)
                if not m or g == ENTITIES_GRAPH:
                    continue
                for s, p, o in triples:
                    if (p[1].startswith(ACC) and p[1] not in NOT_ENTITY_FACTS
                            and s[0] == "I" and o[0] == "I"):
                        facts.add((s[1], p[1][len(ACC):], o[1]))
            if not facts:
                raise CheckFailed("graph.nq has no entity-to-entity facts in any fact graph")
            return facts
        return self._load("entity facts of graph.nq", load)

    def entities(self) -> set[str]:
        return {x for s, _, o in self.entity_facts() for x in (s, o)}


# --- check 1: N-Quads, TriG, Turtle through rdflib -----------------------------

def check_rdf_serialisations(ex: Exports) -> str:
    need("rdflib")
    nq = ex.nq_quads()
    if not nq:
        raise CheckFailed("graph.nq parsed but holds no quads")
    problems: list[str] = []

    blanks = blank_node_quads(nq)
    if blanks:
        problems.append(f"graph.nq has {len(blanks)} triple(s) with blank nodes "
                        "(DESIGN: no blank nodes), e.g.:")
        problems += ["  " + b for b in blanks[:SHOW]]
    tags = upper_case_tags(ex.nq())
    if tags:
        problems.append(f"graph.nq has {len(tags)} language tag(s) not in lower case, e.g.:")
        problems += ["  " + t for t in tags[:SHOW]]

    trig = quads_by_graph(ex.dataset("graph.trig", "trig"))
    d = diff_datasets(nq, trig, "graph.nq", "graph.trig")
    if d:
        problems.append("graph.trig and graph.nq hold different quads:")
        problems += ["  " + x for x in d]

    ttl_graph = ex._load("graph.ttl", lambda: Graph().parse(str(ex.path("graph.ttl")),
                                                             format="turtle"))
    ttl = triples_of(ttl_graph)
    union = set().union(*nq.values())
    d = diff_datasets({"": union}, {"": ttl}, "union of graph.nq", "graph.ttl")
    if d:
        problems.append("graph.ttl is not the union of the graphs in graph.nq:")
        problems += ["  " + x for x in d]

    if problems:
        raise CheckFailed(problems[0], problems[1:])
    named = [g for g in nq if g]
    return (f"{sum(map(len, nq.values()))} quads in {len(named)} named graph(s)"
            f"{' + default graph' if '' in nq else ''}; graph.trig identical; "
            f"graph.ttl = their union ({len(ttl)} triples)")


# --- check 2: JSON-LD through pyld ---------------------------------------------

def _no_remote_documents(url, options=None, **_):
    raise jsonld.JsonLdError(
        f"remote document loading is disabled in this check (tried to load {url!r}); "
        "graph.jsonld must carry its @context inline",
        "jsonld.LoadDocumentError", {"url": url}, code="loading document failed")


def json_language_tags(value, lang_maps: set[str]):
    """Language tags written in the JSON: keys of language maps and @language values."""
    if isinstance(value, list):
        for v in value:
            yield from json_language_tags(v, lang_maps)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "@context":
                continue
            if k == "@language" and isinstance(v, str):
                yield v
            elif k in lang_maps and isinstance(v, dict):
                yield from (t for t in v if not t.startswith("@"))
            else:
                yield from json_language_tags(v, lang_maps)


def check_jsonld(ex: Exports) -> str:
    need("rdflib", "pyld")
    doc = ex.json("graph.jsonld")
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict):
        raise CheckFailed("graph.jsonld has no inline @context object at the top level")

    # pyld lower-cases language tags while expanding, so check the file itself
    lang_maps = {k for k, v in doc["@context"].items()
                 if isinstance(v, dict) and v.get("@container") == "@language"}
    bad_tags = sorted({t for t in json_language_tags(doc, lang_maps) if t != t.lower()})

    jsonld.set_document_loader(_no_remote_documents)  # any other caller fails too
    opts = {"documentLoader": _no_remote_documents}
    try:
        expanded = jsonld.expand(doc, dict(opts))
        nquads = jsonld.to_rdf(expanded, dict(opts, format="application/n-quads"))
    except jsonld.JsonLdError as exc:
        cause = exc
        while getattr(cause, "__cause__", None) is not None:
            cause = cause.__cause__
        raise CheckFailed(f"pyld could not process graph.jsonld: {cause.args[0]}",
                          [f"{type(e).__name__}: {e}".replace("\n", " | ")
                           for e in ([exc, cause] if cause is not exc else [exc])])
    if not nquads.strip():
        raise CheckFailed("pyld turned graph.jsonld into no quads at all "
                          "(are the keys defined by the @context?)")

    ds = Dataset()
    try:
        ds.parse(data=nquads, format="nquads")
    except Exception as exc:
        raise CheckFailed(f"rdflib cannot parse pyld's N-Quads: {exc}".splitlines()[0])
    from_jsonld = quads_by_graph(ds)
    problems: list[str] = []
    if bad_tags:
        problems.append("graph.jsonld writes language tags not in lower case (pyld "
                        "lower-cases them, plain JSON readers do not): " + ", ".join(bad_tags))
    blanks = blank_node_quads(from_jsonld)
    if blanks:
        problems.append(f"graph.jsonld yields {len(blanks)} triple(s) with blank nodes "
                        "(a node object without \"id\"?), e.g.:")
        problems += ["  " + b for b in blanks[:SHOW]]
    tags = upper_case_tags(ds)
    if tags:
        problems.append(f"graph.jsonld yields {len(tags)} language tag(s) not in lower case:")
        problems += ["  " + t for t in tags[:SHOW]]
    d = diff_datasets(ex.nq_quads(), from_jsonld, "graph.nq", "graph.jsonld")
    if d:
        problems.append("graph.jsonld (pyld expand + toRdf) and graph.nq differ: " + d[0])
        problems += ["  " + x for x in d[1:]]
    if problems:
        raise CheckFailed(problems[0], problems[1:])
    total = sum(map(len, from_jsonld.values()))
    return (f"pyld {metadata.version('PyLD')} expanded graph.jsonld to {total} quads in "
            f"{len(from_jsonld)} graph(s), equal to graph.nq in every graph")


def check_jsonld_context(ex: Exports) -> str:
    doc = ex.json("graph.jsonld")
    if not CONTEXT_FILE.is_file():
        raise CheckFailed(f"missing file {CONTEXT_FILE}")
    published = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    published = published.get("@context", published)
    inline = doc.get("@context") if isinstance(doc, dict) else None
    if not isinstance(inline, dict):
        raise CheckFailed(f"graph.jsonld has no inline @context object (found {inline!r})")
    if inline == published:
        return f"inline @context equals {CONTEXT_FILE.name} ({len(inline)} entries)"
    details = []
    for k in sorted(set(inline) | set(published)):
        if inline.get(k) != published.get(k):
            details.append(f"{k}: graph.jsonld has {json.dumps(inline.get(k))}, "
                           f"{CONTEXT_FILE.name} has {json.dumps(published.get(k))}")
    raise CheckFailed(f"the inline @context of graph.jsonld differs from {CONTEXT_FILE} "
                      f"in {len(details)} entries", details[:SHOW])


def json_type_values(value):
    """Every value of a `type` key (the @context's alias of @type) in the JSON."""
    if isinstance(value, list):
        for v in value:
            yield from json_type_values(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "@context":
                continue
            if k == "type":  # node types; "@type" of value objects is a datatype
                yield from (v if isinstance(v, list) else [v])
            else:
                yield from json_type_values(v)


def check_jsonld_types(ex: Exports) -> str:
    need("pyld")
    doc = ex.json("graph.jsonld")
    ctx = doc.get("@context") if isinstance(doc, dict) else None
    if not isinstance(ctx, dict):
        raise CheckFailed("graph.jsonld has no inline @context object")
    types = list(json_type_values(doc))
    if not types:
        raise CheckFailed("graph.jsonld has no type values")
    not_terms = sorted({t for t in types if t not in ctx})
    if not_terms:
        raise CheckFailed(f"{len(not_terms)} type value(s) are not terms of the @context "
                          "(full or compact IRIs where a term is defined?)", not_terms[:SHOW])
    # each term, expanded on its own by pyld, is the class IRI the quads hold (2a compares
    # the whole file with graph.nq)
    classes = {o[1] for ts in ex.nq_quads().values() for _, p, o in ts
               if p == ("I", RDF + "type")}
    jsonld.set_document_loader(_no_remote_documents)
    wrong = []
    for term in sorted(set(types)):
        expanded = jsonld.expand({"@context": ctx, "@id": "urn:x", "type": term},
                                 {"documentLoader": _no_remote_documents})
        iri = expanded[0]["@type"][0]
        if iri not in classes:
            wrong.append(f"{term} expands to {iri}, which no rdf:type in graph.nq names")
    if wrong:
        raise CheckFailed(wrong[0], wrong[1:])
    return (f"{len(types)} type values, all terms of the @context "
            f"({', '.join(sorted(set(types)))})")


# --- check 3: Graphviz renders graph.dot ---------------------------------------

def dot_binary() -> str:
    dot = shutil.which("dot")
    if not dot:
        raise CheckFailed("graphviz `dot` not found (install the Debian package graphviz)")
    return dot


def check_dot_renders(ex: Exports) -> str:
    path = ex.path("graph.dot")
    dot = dot_binary()
    res = subprocess.run([dot, "-Tsvg", str(path)], capture_output=True, timeout=300)
    stderr = res.stderr.decode("utf-8", "replace").strip()
    if res.returncode != 0:
        raise CheckFailed(f"`dot -Tsvg {path}` exited {res.returncode}",
                          stderr.splitlines()[:SHOW])
    try:
        root = ET.fromstring(res.stdout)
    except ET.ParseError as exc:
        raise CheckFailed(f"`dot -Tsvg` output is not well-formed XML: {exc}")
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise CheckFailed(f"`dot -Tsvg` output's root element is <{root.tag}>, not <svg>")
    svg = res.stdout.decode("utf-8")
    problems = []
    if f'font-family="{CJK_FONT}"' not in svg:
        problems.append(f"the SVG does not name the font {CJK_FONT}")
    for label in ("乌兹别克斯坦", "上合组织绿色之带纲要"):
        if f">{label}<" not in svg:
            problems.append(f"the SVG has no text {label}")
    match = subprocess.run(["fc-match", CJK_FONT], capture_output=True, text=True)
    if "CJK" not in match.stdout:
        problems.append(f"fontconfig has no {CJK_FONT} (fc-match gives {match.stdout.strip()!r}): "
                        "install fonts-noto-cjk")
    fail_if(problems)
    warn = f"; {len(stderr.splitlines())} line(s) on stderr" if stderr else ""
    return (f"`dot -Tsvg` exited 0 with a {len(res.stdout)}-byte <svg> in {match.stdout.strip()}, "
            f"Chinese labels in it{warn}")


# --- check 4: GraphML and the DOT node set -------------------------------------

def compare_nodes_and_edges(kind: str, nodes: dict[str, dict], edges: list[tuple],
                            ex: Exports, iri_attr: str, pred_attr: str) -> str:
    """nodes: {id: attrs}; edges: [(source id, target id, attrs)]."""
    problems: list[str] = []
    expected = ex.entities()
    if len(nodes) != len(expected):
        problems.append(f"{kind} has {len(nodes)} node(s); graph.nq's fact graphs have "
                        f"{len(expected)} distinct entities in entity-to-entity facts")
    note = ""
    if all(iri_attr in a for a in nodes.values()):
        iris = [a[iri_attr] for a in nodes.values()]
        dupes = sorted({i for i in iris if iris.count(i) > 1})
        if dupes:
            problems.append(f"{kind}: {len(dupes)} IRI(s) on more than one node: "
                            + ", ".join(dupes[:SHOW]))
        for i in sorted(expected - set(iris))[:SHOW]:
            problems.append(f"  entity missing from {kind}: {i}")
        for i in sorted(set(iris) - expected)[:SHOW]:
            problems.append(f"  {kind} node is not an entity of any fact: {i}")
        if all(pred_attr in a for _, _, a in edges):
            got = {(nodes[s][iri_attr], a[pred_attr], nodes[t][iri_attr]) for s, t, a in edges}
            want = ex.entity_facts()
            if len(edges) != len(want):
                problems.append(f"{kind} has {len(edges)} edge(s); graph.nq has "
                                f"{len(want)} distinct entity-to-entity facts")
            for e in sorted(want - got)[:SHOW]:
                problems.append(f"  fact missing from {kind} edges: {' '.join(e)}")
            for e in sorted(got - want)[:SHOW]:
                problems.append(f"  {kind} edge is not a fact in graph.nq: {' '.join(e)}")
        else:
            note = f"; edges carry no '{pred_attr}', only node IRIs compared"
    else:
        note = f"; nodes carry no '{iri_attr}' attribute, only the count compared"
    if problems:
        if problems[0].startswith("  "):
            problems.insert(0, f"{kind} nodes/edges differ from graph.nq's entity facts")
        raise CheckFailed(problems[0], problems[1:])
    return f"{len(nodes)} nodes and {len(edges)} edges match graph.nq's entity facts{note}"


def check_graphml(ex: Exports) -> str:
    path = ex.path("graph.graphml")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise CheckFailed(f"graph.graphml is not well-formed XML: {exc}")
    if root.tag != GRAPHML_NS + "graphml":
        raise CheckFailed(f"root element is {root.tag}, expected {GRAPHML_NS}graphml")
    keys = {k.get("id"): k.get("attr.name") or k.get("id") for k in root.iter(GRAPHML_NS + "key")}

    def attrs(el) -> dict[str, str]:
        return {keys.get(d.get("key"), d.get("key")): (d.text or "")
                for d in el.findall(GRAPHML_NS + "data")}

    problems: list[str] = []
    nodes: dict[str, dict] = {}
    for n in root.iter(GRAPHML_NS + "node"):
        nid = n.get("id")
        if nid is None:
            problems.append("a <node> has no id")
        elif nid in nodes:
            problems.append(f"node id {nid!r} is declared twice")
        nodes[nid] = attrs(n)
    edges = []
    for e in root.iter(GRAPHML_NS + "edge"):
        s, t = e.get("source"), e.get("target")
        for end, v in (("source", s), ("target", t)):
            if v not in nodes:
                problems.append(f"edge {e.get('id')!r}: {end} {v!r} is not a node id")
        edges.append((s, t, attrs(e)))
    undeclared = {k for d in root.iter(GRAPHML_NS + "data") for k in [d.get("key")]
                  if k not in keys}
    if undeclared:
        problems.append("<data> uses undeclared key(s): " + ", ".join(sorted(undeclared)))
    if not nodes or not edges:
        problems.append(f"graph.graphml has {len(nodes)} node(s) and {len(edges)} edge(s); "
                        "expected at least one of each")
    if problems:
        raise CheckFailed(problems[0], problems[1:SHOW + 1])

    need("networkx")  # a second, independent reader
    try:
        g = networkx.read_graphml(path)
    except Exception as exc:
        raise CheckFailed(f"networkx.read_graphml fails: {type(exc).__name__}: {exc}")
    if g.number_of_nodes() != len(nodes) or g.number_of_edges() != len(edges):
        raise CheckFailed(f"networkx reads {g.number_of_nodes()} nodes and "
                          f"{g.number_of_edges()} edges, the XML declares {len(nodes)} "
                          f"and {len(edges)}")
    return compare_nodes_and_edges("graph.graphml", nodes,
                                   [(s, t, a) for s, t, a in edges], ex, "iri", "predicate")


CLASSES = {"State", "City", "Place", "Organization", "Person", "Document", "Initiative",
           "Event", "Topic", "Group"}
ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def check_graphml_attributes(ex: Exports) -> str:
    need("networkx")
    g = networkx.read_graphml(ex.path("graph.graphml"))
    problems: list[str] = []
    labels_by_name: dict[str, set[str]] = {}
    dated = 0
    for n, a in g.nodes(data=True):
        where = f"node {a.get('iri', n)}"
        if a.get("type") not in CLASSES:
            problems.append(f"{where}: type {a.get('type')!r} is not a class of the vocabulary")
        if not a.get("label"):
            problems.append(f"{where}: no label")
        if a.get("type") == "State" and not re.match(r"^Q\d+$", str(a.get("wikidata"))):
            problems.append(f"{where}: a state without a Wikidata id ({a.get('wikidata')!r})")
        if a.get("type") == "Group" and not a.get("document"):
            problems.append(f"{where}: a group without its document")
        if "start_date" in a:
            dated += 1
            for k in ("start_date", "end_date"):
                if not ISO_DATE.match(str(a.get(k))):
                    problems.append(f"{where}: {k} {a.get(k)!r} is not an ISO date")
            if a["start_date"] not in a.get("label", ""):
                problems.append(f"{where}: label {a.get('label')!r} lacks its start date")
        if a.get("type") == "Event" and "label_zh" in a:
            labels_by_name.setdefault(a["label_zh"], set()).add(a.get("label"))
    same = {name: ls for name, ls in labels_by_name.items()
            if len(ls) < sum(1 for _, a in g.nodes(data=True)
                             if a.get("type") == "Event" and a.get("label_zh") == name)}
    if same:
        problems.append("events of one name share a label: " + ", ".join(sorted(same)))
    for s, t, a in g.edges(data=True):
        where = f"edge {s} -{a.get('predicate')}-> {t}"
        if not isinstance(a.get("documents"), int) or a["documents"] < 1:
            problems.append(f"{where}: documents {a.get('documents')!r} is not a positive int")
        for k in ("rule", "sentence"):
            if not a.get(k):
                problems.append(f"{where}: no {k}")
    fail_if(problems)
    return (f"{g.number_of_nodes()} nodes typed and labelled ({dated} dated), "
            f"{g.number_of_edges()} edges with rule, sentence and an int count of documents")


def check_dot_nodes(ex: Exports) -> str:
    """Node set of graph.dot as Graphviz itself reads it (`dot -Tjson0`)."""
    path = ex.path("graph.dot")
    dot = dot_binary()
    res = subprocess.run([dot, "-Tjson0", str(path)], capture_output=True, timeout=300)
    if res.returncode != 0:
        raise CheckFailed(f"`dot -Tjson0 {path}` exited {res.returncode}",
                          res.stderr.decode("utf-8", "replace").splitlines()[:SHOW])
    data = json.loads(res.stdout)
    n_sub = data.get("_subgraph_cnt", 0)
    objects = data.get("objects", [])[n_sub:]  # subgraphs come first
    nodes = {o["name"]: o for o in objects}
    by_gvid = {o["_gvid"]: o["name"] for o in objects}
    edges = [(by_gvid[e["tail"]], by_gvid[e["head"]], {**e, "predicate": e.get("label")})
             for e in data.get("edges", [])]
    # a node that only appears in an edge gets Graphviz's default label "\N"
    implicit = [n for n, a in nodes.items() if a.get("label", "\\N") == "\\N"]
    if implicit:
        raise CheckFailed(f"graph.dot: {len(implicit)} node(s) exist only as edge ends "
                          "(never declared): " + ", ".join(implicit[:SHOW]))
    return compare_nodes_and_edges("graph.dot", nodes, edges, ex, "tooltip", "predicate")


# --- check 5: SPARQL over the N-Quads dataset ----------------------------------

PREFIXES = f"""
PREFIX rdf: <{RDF}>
PREFIX acc: <{ACC}>
PREFIX prov: <{PROV}>
"""


def sparql(ds, query: str):
    return list(ds.query(PREFIXES + query))


def union_dataset(ex: Exports):
    need("rdflib")
    ds = ex.nq()
    ds.default_union = True  # the default graph is the union of all graphs
    return ds


def fail_if(problems: list[str]) -> None:
    """Raise with the first top-level problem as the reason, the rest as details."""
    if problems:
        first = next(p for p in problems if not p.startswith("  "))
        raise CheckFailed(first, [p for p in problems if p is not first])


def check_bri_supporters(ex: Exports) -> str:
    ds = union_dataset(ex)
    rows = sparql(ds, f"SELECT DISTINCT ?s ?t WHERE {{ ?s acc:supports <{BRI}> . "
                      "OPTIONAL { ?s a ?t } }")
    supporters = {str(r.s) for r in rows}
    states = {str(r.s) for r in rows if r.t is not None and str(r.t) == ACC + "State"}
    problems = []
    if states != BRI_SUPPORTERS:
        problems.append(f"states that acc:supports <{BRI}>: expected "
                        f"{sorted(BRI_SUPPORTERS)}, found {sorted(states)}")
    if supporters - states:
        problems.append(f"non-states also acc:supports <{BRI}>: {sorted(supporters - states)}")
    fail_if(problems)
    return "supported by exactly " + ", ".join(sorted(x.rsplit("/", 1)[1] for x in states))


def check_statements_complete(ex: Exports) -> str:
    ds = union_dataset(ex)
    problems: list[str] = []
    n_statements = len(sparql(ds, "SELECT DISTINCT ?g ?st WHERE "
                                  "{ GRAPH ?g { ?st a rdf:Statement } }"))
    if n_statements == 0:
        problems.append("no rdf:Statement in any graph")
    outside = sparql(ds, """SELECT DISTINCT ?g ?st WHERE { GRAPH ?g { ?st a rdf:Statement }
                            FILTER(!STRENDS(STR(?g), "/provenance")) }""")
    if outside:
        problems.append(f"{len(outside)} rdf:Statement(s) outside a provenance graph:")
        problems += [f"  <{r.st}> in <{r.g}>" for r in outside[:SHOW]]
    missing = sparql(ds, """SELECT ?g ?st ?prop WHERE {
          GRAPH ?g { ?st a rdf:Statement }
          VALUES ?prop { rdf:subject rdf:predicate rdf:object prov:wasDerivedFrom acc:rule }
          FILTER NOT EXISTS { GRAPH ?g { ?st ?prop ?any } } } ORDER BY ?g ?st ?prop""")
    if missing:
        problems.append(f"{len(missing)} required statement properties missing:")
        problems += [f"  <{r.st}> in <{r.g}> has no <{r.prop}>" for r in missing[:SHOW]]
    multi = sparql(ds, """SELECT ?g ?st ?prop (COUNT(DISTINCT ?v) AS ?n) WHERE {
          GRAPH ?g { ?st a rdf:Statement ; ?prop ?v }
          VALUES ?prop { rdf:subject rdf:predicate rdf:object } }
          GROUP BY ?g ?st ?prop HAVING (COUNT(DISTINCT ?v) > 1)""")
    if multi:
        problems.append(f"{len(multi)} statement(s) with more than one subject/predicate/object:")
        problems += [f"  <{r.st}> in <{r.g}>: {r.n} values of <{r.prop}>" for r in multi[:SHOW]]
    fail_if(problems)
    return (f"{n_statements} rdf:Statements, all in provenance graphs, each with "
            "rdf:subject/predicate/object, prov:wasDerivedFrom and acc:rule")


def check_facts_have_statements(ex: Exports) -> str:
    """Every acc: triple in a fact graph id/graph/<key> is reified in id/graph/<key>/provenance.

    acc:startDay/acc:endDay (derived from the dates of an entity), acc:groupOf (what a
    group is of), acc:country (a gazetteer description) and acc:mentions (the file names
    the entity) describe entities; no sentence states them, so they have no statement.
    """
    ds = union_dataset(ex)
    fact_graph_filter = (f'STRSTARTS(STR(?g), "{GRAPH_NS}") '
                         f'&& !CONTAINS(STRAFTER(STR(?g), "{GRAPH_NS}"), "/") '
                         f"&& ?g != <{ENTITIES_GRAPH}> "
                         f"&& ?p NOT IN (acc:startDay, acc:endDay, acc:groupOf, "
                         f"acc:country, acc:mentions)")
    facts = sparql(ds, f"""SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?graphs) WHERE {{
          GRAPH ?g {{ ?s ?p ?o }}
          FILTER({fact_graph_filter} && STRSTARTS(STR(?p), STR(acc:))) }}""")
    n_facts, n_graphs = int(facts[0].n), int(facts[0].graphs)
    if n_facts == 0:
        raise CheckFailed("no acc: facts in any per-document fact graph")
    unbacked = sparql(ds, f"""SELECT ?g ?s ?p ?o WHERE {{
          GRAPH ?g {{ ?s ?p ?o }}
          FILTER({fact_graph_filter} && STRSTARTS(STR(?p), STR(acc:)))
          BIND(IRI(CONCAT(STR(?g), "/provenance")) AS ?pg)
          FILTER NOT EXISTS {{ GRAPH ?pg {{
              ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }} }}
        }} ORDER BY ?g ?s ?p ?o""")
    if unbacked:
        per_pred: dict[str, list] = {}
        for r in unbacked:
            per_pred.setdefault(str(r.p).replace(ACC, "acc:"), []).append(r)
        examples = [rs[0] for rs in per_pred.values()]  # one per predicate first
        examples += [r for r in unbacked if r not in examples]
        raise CheckFailed(
            f"{len(unbacked)} of {n_facts} fact(s) have no rdf:Statement in their document's "
            "provenance graph; by predicate: "
            + ", ".join(f"{p} {len(rs)}" for p, rs in sorted(per_pred.items())),
            [f"in <{r.g}>: {r.s.n3()} {r.p.n3()} {r.o.n3()}" for r in examples[:SHOW]])
    return f"all {n_facts} acc: facts in {n_graphs} fact graph(s) have a statement"


def check_gazetteer_file(ex: Exports) -> str:
    """entities.ttl holds the whole gazetteer; graph.nq has no gazetteer graph, and each
    document graph describes (with a type) every entity its file acc:mentions."""
    need("rdflib")
    g = Graph()
    g.parse(str(ex.path("entities.ttl")), format="turtle")
    problems: list[str] = []
    typed = set(g.subjects(URIRef(RDF + "type"), None))
    if len(typed) < 500:
        problems.append(f"entities.ttl describes {len(typed)} entities; the gazetteer has more")
    for k in BRI_SUPPORTERS:
        if URIRef(k) not in typed:
            problems.append(f"  entities.ttl lacks <{k}>")
    ds = union_dataset(ex)
    graphs = {str(c.identifier) for c in getattr(ds, "graphs", ds.contexts)()}
    if ENTITIES_GRAPH in graphs:
        problems.append(f"graph.nq holds the gazetteer graph <{ENTITIES_GRAPH}>")
    untyped = sparql(ds, """SELECT DISTINCT ?g ?e WHERE { GRAPH ?g { ?d acc:mentions ?e
          FILTER NOT EXISTS { ?e a ?t } } }""")
    if untyped:
        problems.append(f"{len(untyped)} mentioned entities without a type in their graph:")
        problems += [f"  <{r.e}> in <{r.g}>" for r in untyped[:SHOW]]
    fail_if(problems)
    return (f"entities.ttl describes {len(typed)} entities; every mentioned entity is "
            "typed in its document's graph")


# --- main ----------------------------------------------------------------------

CHECKS = [
    ("1 rdflib: graph.nq = graph.trig, graph.ttl = union", check_rdf_serialisations),
    ("2a pyld: graph.jsonld -> quads = graph.nq", check_jsonld),
    ("2b graph.jsonld @context = ontology/context.jsonld", check_jsonld_context),
    ("2c graph.jsonld types are terms of its @context", check_jsonld_types),
    ("3 graphviz: dot -Tsvg graph.dot", check_dot_renders),
    ("4a graph.graphml structure and nodes", check_graphml),
    ("4b graph.dot nodes", check_dot_nodes),
    ("4c networkx: graph.graphml attributes typed", check_graphml_attributes),
    ("5a SPARQL: who supports the Belt and Road", check_bri_supporters),
    ("5b SPARQL: rdf:Statements complete", check_statements_complete),
    ("5c SPARQL: every fact has a statement", check_facts_have_statements),
    ("6 entities.ttl: the gazetteer, apart from the documents", check_gazetteer_file),
]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    # never die on a console that cannot show the Chinese labels in messages
    sys.stdout.reconfigure(errors="backslashreplace")
    out_dir = Path(argv[1])
    print(f"checking accord exports in {out_dir}/")
    if not out_dir.is_dir():
        print(f"FAIL: {out_dir} is not a directory")
        print(f"exports: 0 passed, {len(CHECKS)} failed")
        return 1
    ex = Exports(out_dir)
    passed = failed = 0
    for name, check in CHECKS:
        try:
            summary = check(ex)
        except CheckFailed as exc:
            failed += 1
            print(f"FAIL {name}: {exc.args[0]}")
            for line in exc.details:
                print(f"       {line}")
        except Exception as exc:  # a bug or an unexpected input: still a failure
            failed += 1
            print(f"FAIL {name}: unexpected {type(exc).__name__}: {exc}")
            for line in traceback.format_exc().rstrip().splitlines()[-6:]:
                print(f"       {line}")
        else:
            passed += 1
            print(f"PASS {name}: {summary}")
        sys.stdout.flush()
    print(f"exports: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
