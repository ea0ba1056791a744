#!/usr/bin/env python3
"""`accord push` into a real Oxigraph server, over the SPARQL 1.1 Graph Store HTTP Protocol.

Usage:  python tests/python/check_push.py ACCORD_BINARY

Extracts the bundled corpus into a temporary folder, starts the Oxigraph server of the
`oxigraph` package (tests/python/requirements.txt) in memory on a free loopback port, puts a
stale triple into one document's graph there, runs `accord push`, then asks the server's
SPARQL endpoint: the same graphs with the same triples as the local store (counts per graph,
and every triple of each graph), the Moscow facts (Uzbekistan proposed the SCO Green Belt
programme, the states supporting the Belt and Road) as the local store answers them, the stale
triple gone. A second push of one document replaces its graphs and changes no count. A closed
port and a path that is no Graph Store fail with exit status 2 and a message naming the graph;
a document key the store does not hold fails before anything is sent.
Stops the server at the end. Exit code 1 when a check fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from served import run_checks

ROOT = Path(__file__).resolve().parents[2]
ID = "https://w3id.org/accord/id/"
WEB = ID + "graph/moscow-2020-web"
COUNTS = """SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"""
GREEN_BELT = f"""PREFIX acc: <https://w3id.org/accord/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
ASK {{
  GRAPH <{WEB}> {{ ?uzb rdfs:label "Uzbekistan"@en ; acc:proposed ?p .
                  ?p rdfs:label "上合组织绿色之带纲要"@zh }}
  GRAPH <{WEB}/provenance> {{ ?st rdf:subject ?uzb ; rdf:predicate acc:proposed ;
                             rdf:object ?p ; acc:rule ?rule }}
}}"""
STALE = f"<{ID}state/uzb> <{ID}stale> <{ID}stale> ."


def oxigraph_binary() -> str:
    """The server of the `oxigraph` package, installed beside this venv's Python."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise SystemExit("no oxigraph server: pip install -r tests/python/requirements.txt")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_oxigraph() -> tuple[subprocess.Popen, str]:
    """Starts an in-memory Oxigraph server whose default graph is the union of all graphs (as
    accord's own), waits until it answers; its base URL."""
    binary = oxigraph_binary()
    for _ in range(3):  # a port taken between picking and binding: pick another
        port = free_port()
        server = subprocess.Popen(
            [binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if server.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return server, f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        server.kill()
        server.wait()
    raise SystemExit("the Oxigraph server did not start")


def http(url: str, data: bytes | None = None, headers: dict | None = None,
         method: str | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def remote(base: str, query: str, accept: str) -> bytes:
    body = urllib.parse.urlencode({"query": query}).encode()
    return http(base + "/query", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})


def local(binary: str, out: str, query: str, fmt: str) -> bytes:
    return subprocess.run([binary, "query", "--out", out, query, "--format", fmt],
                          check=True, capture_output=True).stdout


def counts_remote(base: str) -> dict[str, int]:
    rows = json.loads(remote(base, COUNTS, "application/sparql-results+json"))
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows["results"]["bindings"]}


def counts_local(binary: str, out: str) -> dict[str, int]:
    rows = json.loads(local(binary, out, COUNTS, "json"))
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows["results"]["bindings"]}


def graph_query(graph: str) -> str:
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"


def differing_graphs(binary: str, out: str, base: str, graphs: list[str]) -> list[str]:
    """The graphs whose triples differ between the server and the local store (both written as
    N-Triples by Oxigraph, so a triple is the same line on both sides)."""
    differ = []
    for g in graphs:
        there = set(remote(base, graph_query(g), "application/n-triples").splitlines())
        here = set(local(binary, out, graph_query(g), "ntriples").splitlines())
        if there != here or not here:
            differ.append(f"{g}: {len(there - here)} only there, {len(here - there)} only here")
    return differ


def bindings(data: bytes) -> list[dict]:
    return json.loads(data)["results"]["bindings"]


def same_answer(binary: str, out: str, base: str, file: str) -> str:
    query = (ROOT / "queries" / file).read_text(encoding="utf-8")
    there = bindings(remote(base, query, "application/sparql-results+json"))
    here = bindings(local(binary, out, query, "json"))
    return f"{len(there)} rows, the same" if there == here else f"{there} != {here}"


def push(binary: str, out: str, endpoint: str, *more: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "push", "--out", out, "--endpoint", endpoint, *more],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary = str(Path(argv[1]).resolve())
    # Loopback only: a proxy named in the environment must not carry these requests.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out")
        subprocess.run([binary, "extract", "--quiet", "--out", out, str(ROOT / "corpus")],
                       check=True)
        server, base = start_oxigraph()
        store = base + "/store"
        print(f"oxigraph server at {base}")
        try:
            return run(binary, out, base, store)
        finally:
            server.terminate()
            server.wait(timeout=10)


def run(binary: str, out: str, base: str, store: str) -> int:
    http(f"{store}?graph={urllib.parse.quote(WEB, safe='')}", STALE.encode(),
         {"Content-Type": "application/n-triples"}, "POST")
    stale_before = remote(base, f"ASK {{ GRAPH <{WEB}> {{ {STALE[:-2]} }} }}",
                          "application/sparql-results+json")
    first = push(binary, out, store)
    print(first.stderr, end="")
    expected = counts_local(binary, out)
    graphs = sorted(expected)
    ask = lambda q: json.loads(remote(base, q, "application/sparql-results+json"))["boolean"]
    second = push(binary, out, store, "--document", "moscow-2020-web", "--quiet")
    refused = push(binary, out, f"http://127.0.0.1:{free_port()}/store")
    not_a_store = push(binary, out, base + "/query")
    unknown = push(binary, out, store, "--document", "moscow-2020-web", "nowhere")
    checks = [
        ("the stale triple was there before", lambda: json.loads(stale_before)["boolean"], True),
        ("push exits 0", lambda: first.returncode, 0),
        ("one line per graph and a summary",
         lambda: [line.split(">:")[0] + ">" if line.startswith("[") else line.split(" (")[0]
                  for line in first.stderr.splitlines()],
         [f"[{i}/5] <{g}>" for i, g in enumerate(
             [f"{ID}graph/moscow-2020-print", f"{ID}graph/moscow-2020-print/provenance",
              WEB, WEB + "/provenance", f"{ID}graph/entities"], 1)]
         + ["pushed 5 graphs of 2 documents and the gazetteer"]),
        ("the five graphs of the local store", lambda: len(graphs), 5),
        ("triples per graph on the server as in the store",
         lambda: counts_remote(base) == expected or counts_remote(base), True),
        ("every triple of every graph the same", lambda: differing_graphs(binary, out, base, graphs),
         []),
        ("the stale triple replaced",
         lambda: ask(f"ASK {{ GRAPH <{WEB}> {{ {STALE[:-2]} }} }}"), False),
        ("Uzbekistan proposed the SCO Green Belt programme, with its statement",
         lambda: ask(GREEN_BELT), True),
        ("Uzbekistan's proposals as the store answers",
         lambda: same_answer(binary, out, base, "uzbekistan-proposals.rq"), "8 rows, the same"),
        ("Belt and Road supporters as the store answers",
         lambda: same_answer(binary, out, base, "bri-supporters.rq"), "6 rows, the same"),
        ("a second push of one document, quiet", lambda: (second.returncode, second.stderr),
         (0, "")),
        ("replaces its graphs: no count changes", lambda: counts_remote(base) == expected, True),
        ("a closed port: exit 2, connection refused, the graph named",
         lambda: (refused.returncode, "connection refused" in refused.stderr,
                  f"<{ID}graph/moscow-2020-print>" in refused.stderr), (2, True, True)),
        ("no Graph Store there: exit 2, the status and the server's words",
         lambda: (not_a_store.returncode,
                  "answered 404 Not Found for graph <" in not_a_store.stderr,
                  "not supported by this server" in not_a_store.stderr), (2, True, True)),
        ("a document not in the store: exit 2 before anything is sent",
         lambda: (unknown.returncode, unknown.stderr.strip(), counts_remote(base) == expected),
         (2, "accord: no document nowhere in the store", True)),
    ]
    failed = run_checks(checks)
    print(f"push: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
