#!/usr/bin/env python3
"""A bounded load test of `accord serve`: many clients at once, for a fixed time, on loopback.

Usage:  python tests/python/load_serve.py ACCORD_BINARY OUTPUT_DIR [--clients 50]
            [--seconds 10] [--report FILE]

OUTPUT_DIR holds a store made by `accord extract` of the bundled corpus. The test starts
`ACCORD_BINARY serve` on a free loopback port; each client, in a loop until the time is up,
asks one request of a fixed mix in turn: every example query of `queries/` (SPARQL JSON
results), an entity page (HTML), an entity in Turtle, and one document's graph from the graph
store. It prints requests, throughput and latency percentiles per kind and overall, writes
them as Markdown with --report, and exits 1 when any request failed (a status other than 200,
a refused connection, a timeout) or the server did not stop cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from served import start, stop

ROOT = Path(__file__).resolve().parents[2]


def requests(base: str) -> list[tuple[str, str, dict[str, str]]]:
    """The mix each client cycles through: (kind, URL, headers)."""
    mix = []
    for rq in sorted((ROOT / "queries").glob("*.rq")):
        query = urllib.parse.urlencode({"query": rq.read_text(encoding="utf-8")})
        mix.append((f"sparql {rq.stem}", f"{base}/sparql?{query}",
                    {"Accept": "application/sparql-results+json"}))
    mix.append(("entity page", f"{base}/id/state/uzb", {"Accept": "text/html"}))
    mix.append(("entity turtle", f"{base}/id/state/uzb", {"Accept": "text/turtle"}))
    graph = urllib.parse.urlencode({"graph": document_graph(base)})
    mix.append(("graph store", f"{base}/store?{graph}", {"Accept": "application/n-triples"}))
    return mix


def document_graph(base: str) -> str:
    """The IRI of one document's graph, asked of the server itself."""
    query = urllib.parse.urlencode({
        "query": "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g LIMIT 1"})
    req = urllib.request.Request(f"{base}/sparql?{query}", headers={"Accept": "text/csv"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode().splitlines()[1].strip()


def client(mix, offset: int, deadline: float, results: list, lock: threading.Lock) -> None:
    """Asks the mix in turn, starting at `offset`, until `deadline`; records every answer."""
    i = offset
    mine = []
    while time.monotonic() < deadline:
        kind, url, headers = mix[i % len(mix)]
        i += 1
        started = time.monotonic()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=30) as r:
                r.read()
                outcome = str(r.status)
        except urllib.error.HTTPError as e:
            outcome = str(e.code)
        except Exception as e:  # refused, reset, timed out: all failures of the server
            outcome = type(e).__name__
        mine.append((kind, outcome, time.monotonic() - started))
    with lock:
        results.extend(mine)


def percentile(sorted_values: list[float], p: float) -> float:
    """The nearest-rank percentile, in milliseconds."""
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k] * 1000


def table(results, seconds: float) -> list[str]:
    kinds = sorted({k for k, _, _ in results})
    rows = ["| requests | n | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind in kinds + ["all"]:
        mine = [r for r in results if kind in ("all", r[0])]
        times = sorted(t for _, _, t in mine)
        errors = sum(1 for _, o, _ in mine if o != "200")
        rows.append(
            f"| {kind} | {len(mine)} | {errors} | {len(mine) / seconds:.1f} | "
            f"{percentile(times, 50):.1f} | {percentile(times, 90):.1f} | "
            f"{percentile(times, 99):.1f} | {times[-1] * 1000:.1f} |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--report", type=Path)
    args = ap.parse_args()
    server, base = start(args.binary, args.out)
    results: list = []
    try:
        mix = requests(base)
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(mix, i, deadline, results, lock))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stopped = stop(server)
    rows = table(results, args.seconds)
    failures = sorted({o for _, o, _ in results if o != "200"})
    print("\n".join(rows))
    if args.report:
        build = "release" if "/release/" in args.binary else "debug"
        lines = [
            "# Load test of `accord serve`",
            "",
            f"Made by `tests/python/load_serve.py` on {datetime.date.today().isoformat()}: "
            f"{args.clients} clients at once for {args.seconds:g} s on loopback against a "
            f"{build} build serving the bundled corpus, on {platform.machine()} with "
            f"{os.cpu_count()} cores (clients and server share them). Each client asks, in "
            "turn, every example query of `queries/` (SPARQL JSON), Uzbekistan's entity page "
            "(HTML and Turtle) and one document's graph from the graph store.",
            "",
            *rows,
            "",
        ]
        args.report.write_text("\n".join(lines), encoding="utf-8")
    if failures or stopped != 0:
        print(f"FAIL: failed requests {failures}, server stop: {stopped}")
        return 1
    print(f"PASS {len(results)} requests, no errors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
