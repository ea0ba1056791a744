"""What the checks of `accord serve` share: starting the server on a free loopback port,
running named checks against it, and stopping it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
from typing import Callable


# Headless Chromium that connects to nothing beyond loopback, for the checks of the page.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def chromium() -> str:
    """The path of Debian's chromium (or another Chromium); missing is a failure, not a skip."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("FAIL chromium not found: install Debian's chromium (scripts/test does)")


def start(binary: str, out: str) -> tuple[subprocess.Popen, str]:
    """Starts the server on port 0 and reads the address it prints (no trailing `/`)."""
    server = subprocess.Popen(
        [binary, "serve", "--out", out, "--bind", "127.0.0.1:0"],
        stderr=subprocess.PIPE, text=True, encoding="utf-8")
    first = server.stderr.readline()
    if "on http://" not in first:
        server.kill()
        raise SystemExit(f"accord serve did not start: {first!r}")
    # Keep reading the access log so the server never blocks on a full pipe.
    threading.Thread(target=server.stderr.read, daemon=True).start()
    return server, first.split("on ", 1)[1].strip().rstrip("/")


def run_checks(checks: list[tuple[str, Callable[[], object], object]]) -> int:
    """Runs each (name, check, expected), prints PASS or FAIL with what it got; returns the
    number of failures. An exception is a failure, shown by its type and message."""
    failed = 0
    for name, run, expected in checks:
        try:
            got = run()
        except Exception as e:
            got = f"{type(e).__name__}: {e}"
        ok = got == expected
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {got}")
    return failed


def stop(server: subprocess.Popen) -> int | str:
    """Sends SIGTERM and waits; the exit code, or a message when the server does not stop."""
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        return "still running after SIGTERM"
