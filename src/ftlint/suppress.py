"""Suppressions: the baseline file of accepted findings, ``# ftlint: noqa`` comments in training
configs, and ``per-file-ignores``. Applied by the engine to every finding as it is produced."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ftlint.errors import SettingsError
from ftlint.findings import Report
from ftlint.model import Affected, Finding
from ftlint.rule import specificity

BASELINE_NAME = ".ftlint-baseline.json"
BASELINE_VERSION = 1
NOQA_RE = re.compile(r"#\s*ftlint:\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_,\s-]+?))?\s*$")


@dataclass(frozen=True)
class BaselineEntry:
    rule: str
    path: str | None
    fingerprint: str
    count: int = 1
    kind: str = "row"  # "row": one affected row; "finding": a finding about a whole split or a key


@dataclass
class Baseline:
    """Accepted findings: row fingerprints (with counts) and whole-finding fingerprints."""

    path: Path
    entries: list[BaselineEntry] = field(default_factory=list)
    manually_suppressed: list[dict[str, Any]] = field(default_factory=list)
    _remaining: Counter[tuple[str, str]] = field(default_factory=Counter)
    _matched: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for e in self.entries:
            self._remaining[(e.rule, e.fingerprint)] += e.count
        for m in self.manually_suppressed:
            if isinstance(m, dict) and "rule" in m and "fingerprint" in m:
                self._remaining[(str(m["rule"]), str(m["fingerprint"]))] += 10**9  # never runs out

    @classmethod
    def load(cls, path: Path) -> Baseline:
        shown = str(path)
        try:
            data = orjson.loads(path.read_bytes())
        except OSError as e:
            raise SettingsError(f"cannot read the baseline: {e.strerror or e}", shown) from None
        except orjson.JSONDecodeError as e:
            raise SettingsError(f"the baseline is not valid JSON: {e}", shown) from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise SettingsError("not an ftlint baseline (expected an object with an 'entries' list); "
                                "regenerate it with `ftlint baseline`", shown)
        if data.get("version") != BASELINE_VERSION:
            raise SettingsError(f"baseline version {data.get('version')!r} is not supported "
                                f"(expected {BASELINE_VERSION}); regenerate it with `ftlint baseline`", shown)
        entries = []
        for n, entry in enumerate(data["entries"]):
            try:
                entries.append(BaselineEntry(rule=str(entry["rule"]), path=entry.get("path"),
                                             fingerprint=str(entry["fingerprint"]), count=int(entry.get("count", 1)),
                                             kind=str(entry.get("kind", "row"))))
            except (KeyError, TypeError, ValueError):
                raise SettingsError(f"baseline entry {n} is malformed (needs rule and fingerprint)", shown) from None
        manual = data.get("manually_suppressed") or []
        return cls(path=path, entries=entries, manually_suppressed=list(manual))

    def _take(self, rule: str, fingerprint: str) -> bool:
        key = (rule, fingerprint)
        if self._remaining[key] > 0:
            self._remaining[key] -= 1
            self._matched[key] += 1
            return True
        return False

    def filter(self, f: Finding) -> tuple[Finding | None, int]:
        """The finding without its baselined rows (None when nothing new is left), and how many
        rows (or whole findings) the baseline absorbed."""
        if not f.rows:
            return (None, 1) if self._take(f.code, f.fingerprint) else (f, 0)
        kept = [r for r in f.rows if not self._take(f.code, r.fingerprint)]
        gone = len(f.rows) - len(kept)
        if not kept:
            return None, gone
        if not gone:
            return f, 0
        old = max(f.affected.count, len(f.rows))
        fraction = f.affected.fraction * len(kept) / old if old else 0.0
        location = f.location
        if location.path == f.rows[0].path and location.line == f.rows[0].line:
            location = dataclasses.replace(location, path=kept[0].path, line=kept[0].line)  # the first new row
        return dataclasses.replace(
            f, rows=kept, affected=Affected(len(kept), round(fraction, 6)), location=location,
            message=f"{f.message} ({len(kept):,} new; {gone:,} already in the baseline)",
        ), gone

    def unmatched(self) -> list[BaselineEntry]:
        """Entries (with their unused count) that matched nothing in this run: stale."""
        out = []
        for e in self.entries:
            key = (e.rule, e.fingerprint)
            used = min(self._matched[key], e.count)
            self._matched[key] -= used
            if used < e.count:
                out.append(dataclasses.replace(e, count=e.count - used))
        return out


def baseline_dict(report: Report, manual: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from ftlint._version import __version__

    counts: Counter[tuple[str, str | None, str, str]] = Counter()
    for f in report.findings:
        if f.code.startswith("FT9"):
            continue  # ftlint's own notices are never accepted into a baseline
        if f.rows:
            for r in f.rows:
                counts[(f.code, r.path, r.fingerprint, "row")] += 1
        else:
            counts[(f.code, f.location.path, f.fingerprint, "finding")] += 1
    entries = [{"rule": rule, "path": path, "fingerprint": fp, "count": n, "kind": kind}
               for (rule, path, fp, kind), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "",
                                                                                        kv[0][2]))]
    return {"version": BASELINE_VERSION, "tool": f"ftlint {__version__}", "entries": entries,
            "manually_suppressed": manual or []}


def write_baseline(report: Report, path: Path) -> int:
    """Write the baseline (keeping an existing file's manually_suppressed list); return the entry count."""
    manual: list[dict[str, Any]] = []
    if path.is_file():
        try:
            manual = Baseline.load(path).manually_suppressed
        except SettingsError:
            manual = []
    data = baseline_dict(report, manual)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    return len(data["entries"])


def baseline_summary(report: Report, entries: int, path: Path | str) -> str:
    """What ``ftlint baseline`` wrote, in the units ``ftlint check`` counts as "suppressed".

    A finding lists the rows it affects; each row is one *item* of the baseline, and a finding
    about a whole split or a config key (no rows) is one item. Identical items (the same row
    content twice) share one *entry* with a count. ``check`` then counts every item it hides as
    suppressed, so on unchanged data "N suppressed" is the item count written here."""
    accepted = [f for f in report.findings if not f.code.startswith("FT9")]
    rows = sum(len(f.rows) for f in accepted)
    whole = sum(1 for f in accepted if not f.rows)
    items = rows + whole
    return (f"wrote {entries} baseline entr{'y' if entries == 1 else 'ies'} to {path}, accepting "
            f"{len(accepted)} finding{'' if len(accepted) == 1 else 's'} as {items} item{'' if items == 1 else 's'} "
            f"({rows} affected row{'' if rows == 1 else 's'} and {whole} finding{'' if whole == 1 else 's'} without "
            "rows; identical rows share an entry, with a count); `ftlint check` now reports only what is new, and "
            f"its \"suppressed\" count is in items ({items} on unchanged data)")


@dataclass
class NoqaComment:
    path: str
    line: int
    codes: frozenset[str]  # empty: every code
    file_level: bool
    used: int = 0


class Noqa:
    """``# ftlint: noqa: FT601`` at the end of a config line suppresses that line's findings; on a
    line of its own it suppresses those codes in the whole file (``# ftlint: noqa`` alone: all)."""

    def __init__(self, files: list[tuple[str, Path]]) -> None:
        self.comments: list[NoqaComment] = []
        for shown, path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for n, line in enumerate(text.splitlines(), 1):
                if "noqa" not in line:
                    continue
                m = NOQA_RE.search(line)
                if not m:
                    continue
                codes = frozenset(c.strip().upper() for c in re.split(r"[,\s]+", m.group("codes") or "") if c.strip())
                own_line = line[: m.start()].strip() == ""
                self.comments.append(NoqaComment(shown, n, codes, own_line))
        self._by_path: dict[str, list[NoqaComment]] = {}
        for c in self.comments:
            self._by_path.setdefault(os.path.normpath(c.path), []).append(c)

    def suppresses(self, f: Finding) -> bool:
        if not f.location.path:
            return False
        for c in self._by_path.get(os.path.normpath(f.location.path), []):
            if c.codes and f.code not in c.codes:
                continue
            if c.file_level or (f.location.line is not None and c.line == f.location.line):
                c.used += 1
                return True
        return False

    def unused(self) -> list[NoqaComment]:
        return [c for c in self.comments if not c.used]


@dataclass
class Suppressions:
    """Everything that can hide a finding, applied in one place (the engine)."""

    root: Path
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    baseline: Baseline | None = None
    noqa: Noqa | None = None

    def per_file_ignored(self, code: str, rule: Any, rel: str | None) -> bool:
        if not rel or not self.per_file_ignores:
            return False
        for pattern, selectors in self.per_file_ignores.items():
            if ((fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern))
                    and any(specificity(s, rule) for s in selectors)):
                return True
        return False
