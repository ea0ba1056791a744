#!/usr/bin/env python3
"""List gazetteer surfaces that are inside another entity's surface (rules/entities/).

Usage (from the repository root):

    python3 scripts/check_gazetteer.py

The checks of the gazetteers (a surface naming two entities, a `country` that is no State,
merged entries that disagree, bad ids and Wikidata ids, repeated aliases, shared English
labels, …) are `accord rules check`'s, with file:line:column and a hint. What is left here is
informational: a surface that is a substring of another entity's surface. The matcher takes
the longest match, so these are usually intended (印度 in 印度尼西亚), but a new alias that
lands inside a longer name of something else is worth a look. Entries with the same id merge
as rules/README.md says. Standard library only (Python 3.11+ for tomllib).
"""

import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTITIES = ROOT / "rules" / "entities"


def owners() -> dict[str, set[str]]:
    """Surface -> ids of the entities it names, over every entity file."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(ENTITIES.rglob("*.toml")):
        for table in tomllib.loads(path.read_text(encoding="utf-8")).get("entity", []):
            zh = (table.get("labels") or {}).get("zh")
            for surface in ([zh] if zh else []) + table.get("aliases", []):
                found[surface].add(table["id"])
    return found


def main() -> int:
    found = owners()
    ordered = sorted(found, key=lambda s: (len(s), s))
    notes = []
    for i, short in enumerate(ordered):
        longer = [(s, found[s]) for s in ordered[i + 1:]
                  if short in s and not found[s] <= found[short]]
        if longer:
            inside = ", ".join(f"{s} ({'/'.join(sorted(ids))})" for s, ids in longer)
            notes.append(f"{short} ({'/'.join(sorted(found[short]))}) is inside {inside}")
    for line in notes:
        print(f"note: {line}")
    print(f"{len(notes)} surfaces are substrings of another entity's surface")
    return 0


if __name__ == "__main__":
    sys.exit(main())
