#!/usr/bin/env python3
"""Walk the query page of a running `accord serve` as a user does, with clicks, in Chromium.

Usage:  python tests/python/check_clicks.py ACCORD_BINARY OUTPUT_DIR [SCREENSHOT.png]

OUTPUT_DIR holds a store made by `accord extract` of the bundled corpus. The check starts
`ACCORD_BINARY serve` on a free loopback port and drives Debian's `chromium` (headless, fresh
profile, no network beyond loopback) with Playwright:
1. open `/`, pick the example "which states support the Belt and Road" from the list, click
   Run: the results table holds the six states in Chinese and English;
2. click 乌兹别克斯坦 in the table: the graph view opens on Uzbekistan, with a `proposed` edge to
   the SCO Green Belt programme;
3. click that programme's node on the canvas: the panel beside the graph shows its labels;
4. pick the example "what Uzbekistan proposed", click Run: the table lists the programme.
A screenshot of the graph view is saved (default target/page/clicks-uzbekistan.png). Chromium
missing is a failure, not a skip. Exit code 1 when a check fails.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from served import CHROMIUM_FLAGS, chromium, run_checks, start, stop

ROOT = Path(__file__).resolve().parents[2]
BRI_STATES = ["哈萨克斯坦", "吉尔吉斯斯坦", "巴基斯坦", "俄罗斯", "塔吉克斯坦", "乌兹别克斯坦"]
GREEN_BELT = "上合组织绿色之带纲要"
def pick_example(page: Page, words: str) -> None:
    """Selects the example query whose name holds `words`, then clicks Run. The list is
    filled from `/examples.json` after the page loads: wait for it."""
    page.wait_for_function("() => document.querySelectorAll('#examples option').length > 1")
    options = page.locator("#examples option").all_inner_texts()
    name = next((o for o in options if words in o), None)
    if name is None:
        raise AssertionError(f"no example named with {words!r} among {options}")
    page.select_option("#examples", label=name)
    page.click("#run")


def column(page: Page, lang: str) -> list[str]:
    """The texts of the table cells tagged with a language, in row order."""
    cells = page.locator("#results td.entity").all_inner_texts()
    return [c.split("@")[0].strip() for c in cells if c.endswith("@" + lang)]


def bri_table(page: Page) -> list[str]:
    pick_example(page, "Belt and Road")
    page.wait_for_function("() => document.querySelectorAll('#results tr').length > 1")
    return sorted(column(page, "zh"))


def graph_of_uzbekistan(page: Page) -> list[str]:
    page.locator("#results td.entity", has_text="乌兹别克斯坦").first.click()
    page.wait_for_function("() => /\\d+ nodes/.test(document.getElementById('graph-status').textContent)")
    return page.evaluate("""() => cy.edges().filter(e => e.data('label') === 'proposed'
        && e.source().data('zh') === '乌兹别克斯坦').map(e => e.target().data('zh')).sort()""")


def click_green_belt(page: Page, screenshot: Path) -> str:
    """Clicks the programme's node where the canvas draws it; the panel's Chinese label."""
    at = page.evaluate(f"""() => {{ const n = cy.nodes().filter(n => n.data('zh') === '{GREEN_BELT}');
        return n.nonempty() ? n.renderedPosition() : null; }}""")
    if at is None:
        return "no node for the programme"
    # A click relative to the canvas element: Playwright waits for the page to stop scrolling
    # (the graph view scrolls into sight smoothly) before it clicks.
    page.locator("#graph").click(position={"x": at["x"], "y": at["y"]})
    # The panel shows the root's labels before the click: wait for it to change, not to exist.
    try:
        page.wait_for_function(f"""() => {{ const dd = document.querySelector('#graph-info dd');
            return dd && dd.textContent === '{GREEN_BELT}'; }}""", timeout=5_000)
    except Exception:
        pass  # what the panel shows instead is the check's answer
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.locator("#graph-section").screenshot(path=str(screenshot))
    return page.locator("#graph-info dd").first.inner_text()


def proposals_table(page: Page) -> bool:
    page.click("#graph-clear")
    pick_example(page, "Uzbekistan propose")
    page.wait_for_selector(f"#results td:has-text('{GREEN_BELT}')")
    return any(GREEN_BELT in t for t in page.locator("#results td").all_inner_texts())


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    screenshot = Path(argv[3] if len(argv) == 4 else ROOT / "target/page/clicks-uzbekistan.png")
    browser = chromium()
    server, base = start(argv[1], argv[2])
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="accord-pw-") as profile:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=browser, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 1000})
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(20_000)
            page.goto(base + "/")
            checks = [
                ("pick the Belt and Road example, Run", lambda: bri_table(page), sorted(BRI_STATES)),
                ("click 乌兹别克斯坦: its graph has what it proposed",
                 lambda: GREEN_BELT in graph_of_uzbekistan(page), True),
                ("click the programme's node: the panel names it",
                 lambda: click_green_belt(page, screenshot), GREEN_BELT),
                ("pick what Uzbekistan proposed, Run", lambda: proposals_table(page), True),
            ]
            failed = run_checks(checks)
            context.close()
    finally:
        code = stop(server)
    print(f"screenshot: {screenshot}")
    print(f"clicks: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
