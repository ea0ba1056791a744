#!/usr/bin/env python3
"""Check the gazetteers in rules/entities/ (generated files and hand-kept overlays together).

Usage (from the repository root):

    python3 scripts/check_gazetteer.py        # errors, warnings and substring notes
    python3 scripts/check_gazetteer.py -q     # errors and warnings only

Entries with the same id merge as rules/README.md says. Errors (exit status 1):
- a surface form (zh label or alias) that names two different entities;
- a single-character surface;
- an entity without a zh label, a bad id, type, Wikidata id or field, a `country` that is
  not a State, and merged entries whose type, labels or Wikidata ids disagree;
- an id whose first entry, in the order accord reads the files (paths sorted, so
  cities.toml comes before generated/), lacks its type or zh label: accord's loader needs
  them there.
Warnings (no effect on the exit status): two entities with the same English label; an
alias repeated within one entity.
Notes (informational): a surface that is a substring of another entity's surface; the
matcher takes the longest match, so these are usually intended (印度 in 印度尼西亚).
Standard library only (Python 3.11+ for tomllib).
"""

import argparse
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTITIES = ROOT / "rules" / "entities"
TYPES = {"State", "City", "Place", "Organization", "Person", "Initiative", "Document", "Event", "Topic"}
FIELDS = {"id", "type", "labels", "aliases", "wikidata", "country"}
KEY = re.compile(r"[a-z][a-z0-9_]*")
QID = re.compile(r"Q[1-9][0-9]*")


class Report:
    def __init__(self):
        self.errors, self.warnings, self.notes = [], [], []


class Entry:
    """One [[entity]] table as written, with where it was written."""

    def __init__(self, path: Path, line: int, end: int, table: dict, lines: list[str]):
        self.path, self.line, self.end, self.table, self._lines = path, line, end, table, lines

    def where(self, needle: str = "") -> str:
        """`file:line`, at the line holding `"needle"` when it is inside this entry."""
        line = self.line
        if needle:
            for n in range(self.line, self.end):
                if f'"{needle}"' in self._lines[n - 1]:
                    line = n
                    break
        return f"{self.path.relative_to(ROOT)}:{line}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="leave out the substring notes")
    args = parser.parse_args()
    report = Report()
    entries = load(report)
    merged = merge(entries, report)
    check_entities(merged, report)
    check_surfaces(merged, report)
    for line in report.errors:
        print(f"error: {line}")
    for line in report.warnings:
        print(f"warning: {line}")
    if not args.quiet and report.notes:
        print(f"note: {len(report.notes)} surfaces are substrings of another entity's surface")
        for line in report.notes:
            print(f"note: {line}")
    counts = defaultdict(int)
    for e in merged.values():
        counts[e["type"]] += 1
    summary = ", ".join(f"{t} {n}" for t, n in sorted(counts.items()))
    print(f"{len(merged)} entities ({summary}); {len(report.errors)} errors, "
          f"{len(report.warnings)} warnings")
    return 1 if report.errors else 0


def load(report: Report) -> list[Entry]:
    entries = []
    # accord reads rules/ in this order (paths sorted component by component).
    for path in sorted(ENTITIES.rglob("*.toml"), key=lambda p: p.relative_to(ENTITIES).parts):
        text = path.read_text(encoding="utf-8")
        try:
            tables = tomllib.loads(text).get("entity", [])
        except tomllib.TOMLDecodeError as err:
            report.errors.append(f"{path.relative_to(ROOT)}: {err}")
            continue
        lines = text.splitlines()
        starts = [n for n, line in enumerate(lines, 1) if line.strip() == "[[entity]]"]
        if len(starts) != len(tables):
            report.errors.append(f"{path.relative_to(ROOT)}: write each table header as a "
                                 "bare `[[entity]]` line")
            continue
        ends = starts[1:] + [len(lines) + 1]
        entries += [Entry(path, s, e, t, lines) for s, e, t in zip(starts, ends, tables)]
    return entries


def merge(entries: list[Entry], report: Report) -> dict[str, dict]:
    """Merge entries by id; return id -> {type, labels, wikidata, country, aliases, sources}."""
    merged: dict[str, dict] = {}
    seen_in_file = set()
    for entry in entries:
        t = entry.table
        for field in sorted(set(t) - FIELDS):
            report.errors.append(f"{entry.where(field)}: unknown field `{field}`")
        id_ = t.get("id")
        if not isinstance(id_, str) or not KEY.fullmatch(id_):
            report.errors.append(f"{entry.where()}: id must be lower-case ASCII, got {id_!r}")
            continue
        if (entry.path, id_) in seen_in_file:
            report.errors.append(f"{entry.where(id_)}: id {id_} appears twice in this file")
        seen_in_file.add((entry.path, id_))
        if id_ not in merged and not ("type" in t and (t.get("labels") or {}).get("zh")):
            report.errors.append(f"{entry.where(id_)}: {id_}: the first entry of an id (in file "
                                 "order) must give its type and zh label")
        m = merged.setdefault(id_, {"labels": {}, "aliases": [], "entries": []})
        m["entries"].append(entry)
        for field in ("type", "wikidata", "country"):
            if field in t:
                agree(m, field, t[field], entry, report)
        for lang, label in (t.get("labels") or {}).items():
            if m["labels"].setdefault(lang, label) != label:
                report.errors.append(f"{entry.where(label)}: {id_}: label {lang} {label!r} "
                                     f"disagrees with {m['labels'][lang]!r}")
        aliases = t.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            report.errors.append(f"{entry.where()}: {id_}: aliases must be a list of strings")
            continue
        for alias in aliases:
            if alias in m["aliases"]:
                report.warnings.append(f"{entry.where(alias)}: {id_}: alias {alias} repeated")
            else:
                m["aliases"].append(alias)
    return merged


def agree(m: dict, field: str, value, entry: Entry, report: Report):
    if field in m and m[field] != value:
        report.errors.append(f"{entry.where(str(value))}: {entry.table['id']}: {field} "
                             f"{value!r} disagrees with {m[field]!r}")
    m.setdefault(field, value)


def check_entities(merged: dict[str, dict], report: Report):
    for id_, e in sorted(merged.items()):
        first = e["entries"][0]
        if e.get("type") not in TYPES:
            report.errors.append(f"{first.where()}: {id_}: type must be one of "
                                 f"{', '.join(sorted(TYPES))}, got {e.get('type')!r}")
            e["type"] = "?"
        if not e["labels"].get("zh"):
            report.errors.append(f"{first.where()}: {id_}: no zh label")
        if "wikidata" in e and not QID.fullmatch(str(e["wikidata"])):
            report.errors.append(f"{first.where()}: {id_}: bad wikidata id {e['wikidata']!r}")
        if "country" in e:
            country = merged.get(e["country"], {})
            if e["type"] not in ("City", "Place", "Person"):
                report.errors.append(f"{first.where()}: {id_}: a {e['type']} has no country")
            elif country.get("type") != "State":
                report.errors.append(f"{first.where(e['country'])}: {id_}: country "
                                     f"{e['country']!r} is not a State id")
    by_en = defaultdict(list)
    for id_, e in merged.items():
        if e["labels"].get("en"):
            by_en[e["labels"]["en"]].append(id_)
    for en, ids in sorted(by_en.items()):
        if len(ids) > 1:
            report.warnings.append(f"English label {en!r} is shared by {', '.join(sorted(ids))}")


def check_surfaces(merged: dict[str, dict], report: Report):
    owners: dict[str, set[str]] = defaultdict(set)
    for id_, e in merged.items():
        for surface in surfaces(e):
            owners[surface].add(id_)
    for surface, ids in sorted(owners.items()):
        where = "; ".join(entry_where(merged[i], surface) for i in sorted(ids))
        if len(ids) > 1:
            report.errors.append(f"{where}: surface {surface} names {', '.join(sorted(ids))}")
        if len(surface) < 2:
            report.errors.append(f"{where}: single-character surface {surface!r}")
    ordered = sorted(owners, key=lambda s: (len(s), s))
    for i, short in enumerate(ordered):
        longer = [(s, owners[s]) for s in ordered[i + 1:]
                  if short in s and s != short and not owners[s] <= owners[short]]
        if longer:
            inside = ", ".join(f"{s} ({'/'.join(sorted(ids))})" for s, ids in longer)
            report.notes.append(f"{short} ({'/'.join(sorted(owners[short]))}) is inside {inside}")


def surfaces(e: dict) -> list[str]:
    found = [e["labels"]["zh"]] if e["labels"].get("zh") else []
    return found + [a for a in e["aliases"] if a not in found]


def entry_where(e: dict, surface: str) -> str:
    for entry in e["entries"]:
        table = entry.table
        if surface == (table.get("labels") or {}).get("zh") or surface in table.get("aliases", []):
            return entry.where(surface)
    return e["entries"][0].where()


if __name__ == "__main__":
    sys.exit(main())
