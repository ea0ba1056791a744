#!/usr/bin/env python3
"""Open the query page of a running `accord serve` in headless Chromium.

Usage:  python tests/python/check_page.py ACCORD_BINARY OUTPUT_DIR [SCREENSHOT.png]

OUTPUT_DIR holds a store made by `accord extract` of the bundled corpus. The check starts
`ACCORD_BINARY serve` on a free loopback port, has Chromium (Debian's `chromium`) load
`/?query=<the Belt and Road query of queries/bri-supporters.rq>` and dump the DOM once the
page's script has run, and expects the six supporting states, in Chinese and in English, in the
results table. Then it opens the graph view of Uzbekistan (`/?entity=IRI`), expects the
Cytoscape canvas in the DOM and takes a screenshot (default
target/page/graph-uzbekistan.png) for a person to look at. Chromium missing is a failure, not
a skip. Exit code 1 when a check fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

from served import CHROMIUM_FLAGS, chromium, run_checks, start, stop

ROOT = Path(__file__).resolve().parents[2]
QUERY = (ROOT / "queries/bri-supporters.rq").read_text(encoding="utf-8")
EXPECTED = [
    ("哈萨克斯坦", "Kazakhstan"),
    ("吉尔吉斯斯坦", "Kyrgyzstan"),
    ("巴基斯坦", "Pakistan"),
    ("俄罗斯", "Russia"),
    ("塔吉克斯坦", "Tajikistan"),
    ("乌兹别克斯坦", "Uzbekistan"),
]
UZBEKISTAN = "https://w3id.org/accord/id/state/uzb"


def browse(url: str, *args: str) -> str:
    """Runs headless Chromium on `url` with a fresh profile; returns its stdout."""
    with tempfile.TemporaryDirectory(prefix="accord-chromium-") as profile:
        command = [
            chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
            "--virtual-time-budget=10000", "--window-size=1280,1200", *args, url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                              timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


class Cells(HTMLParser):
    """The text of each cell of the tables inside <div id="results">, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # >0 inside the results div
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.canvas = 0

    def handle_starttag(self, tag, attrs):
        if tag == "canvas":
            self.canvas += 1
        if self.depth:
            if tag == "div":
                self.depth += 1
            elif tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []
        elif tag == "div" and dict(attrs).get("id") == "results":
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.depth and self.cell is not None:
            self.cell.append(data)


def parse(dom: str) -> Cells:
    cells = Cells()
    cells.feed(dom)
    return cells


def check_results(base: str) -> str:
    url = f"{base}/?query={urllib.parse.quote(QUERY, safe='')}"
    rows = parse(browse(url, "--dump-dom")).rows
    body = rows[1:]
    missing = [f"{zh}/{en}" for zh, en in EXPECTED
               if not any(zh in r[0] and en in r[1] for r in body if len(r) >= 2)]
    if missing or len(body) != len(EXPECTED):
        return f"{len(body)} rows {body!r}; missing {missing}"
    return "six states"


def check_graph(base: str, screenshot: Path) -> str:
    url = f"{base}/?entity={urllib.parse.quote(UZBEKISTAN, safe='')}"
    dom = browse(url, "--dump-dom")
    if parse(dom).canvas == 0 or "graph-section" not in dom:
        return "no graph canvas in the DOM"
    if "乌兹别克斯坦" not in dom or " nodes, " not in dom:
        return "the graph view did not load Uzbekistan's neighbourhood"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    if screenshot.exists():
        screenshot.unlink()
    browse(url, f"--screenshot={screenshot.resolve()}")
    size = screenshot.stat().st_size if screenshot.exists() else 0
    if size < 10_000:
        return f"screenshot missing or blank ({size} bytes)"
    return "graph drawn"


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    screenshot = Path(argv[3]) if len(argv) == 4 else target / "page/graph-uzbekistan.png"
    print(chromium(), subprocess.run([chromium(), "--version"], capture_output=True,
                                     text=True).stdout.strip())
    server, base = start(argv[1], argv[2])
    print(f"accord serve at {base}")
    checks = [
        ("results table of /?query=", lambda: check_results(base), "six states"),
        ("graph view of /?entity=", lambda: check_graph(base, screenshot), "graph drawn"),
    ]
    try:
        failed = run_checks(checks)
    finally:
        stop(server)
    print(f"screenshot: {screenshot}")
    print(f"page: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
