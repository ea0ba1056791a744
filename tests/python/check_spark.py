#!/usr/bin/env python3
"""accord inside Apache Spark: JSON Lines records piped through `accord extract` with RDD.pipe.

Usage:  python tests/python/check_spark.py ACCORD_BINARY

Makes JSON Lines records of the bundled corpus — the two copies of the Moscow Declaration
whole, and each paragraph of the web copy as a document of its own, dated by the declaration
— and sends them through

    accord extract - --jsonl --stdout --quiet

in Spark (`local[2]`, four partitions: one accord process per partition, two at a time) with
`RDD.pipe`. The N-Quads collected must be those of one local run of the same command over the
same records, in the same order (but for the line number in each `acc:sourceFile`, "stdin:N",
which counts the lines each process reads), and so must the fact triples (subject, predicate, object of
each fact's `rdf:Statement`), among them Uzbekistan proposed the SCO Green Belt programme.
Needs pyspark and a Java runtime (17 or newer). Exit code 1 when a check fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from served import run_checks

ROOT = Path(__file__).resolve().parents[2]
DATE = "2020-11-10"  # the declaration's date, given with each paragraph
PARTITIONS = 4
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ACC = "https://w3id.org/accord/ontology#"
ID = "https://w3id.org/accord/id/"
QUAD = re.compile(r"^(<[^>]*>) (<[^>]*>) (.*) (<[^>]*>) \.$")


def records() -> list[str]:
    """One JSON Lines record per document: both copies whole, then each paragraph of the web
    copy (a line of the file) on its own."""
    out = []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        out.append({"id": path.stem, "text": path.read_text(encoding="utf-8")})
    web = (ROOT / "corpus/moscow-2020-web.txt").read_text(encoding="utf-8")
    paragraphs = [line.strip() for line in web.splitlines() if line.strip()]
    for i, p in enumerate(paragraphs, 1):
        out.append({"id": f"moscow-2020-web-p{i:03}", "text": p, "date": DATE})
    return [json.dumps(r, ensure_ascii=False) for r in out]


def command(binary: str, out: str) -> list[str]:
    # --out names an empty folder, so neither run reads the base of a store lying around.
    return [binary, "extract", "-", "--jsonl", "--stdout", "--quiet", "--out", out]


def local_run(binary: str, out: str, lines: list[str]) -> list[str]:
    text = "".join(line + "\n" for line in lines)
    run = subprocess.run(command(binary, out), input=text.encode(), capture_output=True,
                         check=True)
    return run.stdout.decode().splitlines()


def spark_run(binary: str, out: str, lines: list[str]) -> tuple[list[str], list[int]]:
    """The N-Quads Spark collects, and the number of lines each partition gave."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark import SparkConf, SparkContext

    conf = (SparkConf().setMaster("local[2]").setAppName("accord-check-spark")
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.driver.bindAddress", "127.0.0.1"))
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    try:
        quads = (sc.parallelize(lines, PARTITIONS)
                 .pipe(" ".join(command(binary, out)), checkCode=True))
        partitions = quads.glom().collect()
        return [q for p in partitions for q in p], [len(p) for p in partitions]
    finally:
        sc.stop()


def numbered_sources(nquads: list[str]) -> list[str]:
    """The quads with each `acc:sourceFile` "stdin:LINE" written "stdin:…": each accord process
    numbers the lines of its own standard input, so a record's line is its place in its
    partition, not in the whole input."""
    source = f"<{ACC}sourceFile> "
    return [re.sub(r'"stdin:\d+"', '"stdin:…"', q) if source in q else q for q in nquads]


def fact_triples(nquads: list[str]) -> set[tuple[str, str, str, str]]:
    """(document graph, subject, predicate, object) of every fact, read from its statement in
    the provenance graph."""
    parts: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for line in nquads:
        m = QUAD.match(line)
        if not m:
            raise ValueError(f"not an N-Quads line accord writes: {line}")
        s, p, o, g = m.groups()
        for role in ("subject", "predicate", "object"):
            if p == f"<{RDF}{role}>":
                parts[(g, s)][role] = o
    return {(g.removesuffix("/provenance>") + ">", f["subject"], f["predicate"], f["object"])
            for (g, _), f in parts.items()}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary = str(Path(argv[1]).resolve())
    lines = records()
    with tempfile.TemporaryDirectory() as out:
        here = local_run(binary, out, lines)
        there, per_partition = spark_run(binary, out, lines)
    facts_here, facts_there = fact_triples(here), fact_triples(there)
    web = f"<{ID}graph/moscow-2020-web>"
    green_belt = (web, f"<{ID}state/uzb>", f"<{ACC}proposed>",
                  f"<{ID}document/上海合作组织绿色之带纲要>")
    print(f"{len(lines)} records, {len(here)} quads and {len(facts_here)} facts locally")
    checks = [
        ("every partition gave quads", lambda: [n > 0 for n in per_partition],
         [True] * PARTITIONS),
        ("the N-Quads of the local run, in its order, but the line numbers of sources",
         lambda: numbered_sources(there) == numbered_sources(here) or
         f"{len(there)} lines, {len(set(there) ^ set(here))} differ", True),
        ("only sources differ", lambda: sorted({QUAD.match(q).group(2)
                                                 for q in set(there) ^ set(here)}),
         [f"<{ACC}sourceFile>"]),
        ("the fact triples of the local run", lambda: facts_there == facts_here and
         len(facts_here) > 400 or len(facts_there ^ facts_here), True),
        ("facts from more than 40 of the documents", lambda: len({f[0] for f in facts_there}) > 40, True),
        ("Uzbekistan proposed the SCO Green Belt programme", lambda: green_belt in facts_there,
         True),
    ]
    failed = run_checks(checks)
    print(f"spark: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
