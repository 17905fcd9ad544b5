"""Finding, Row, Location, Report: the values every reporter renders."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import xxhash

from ftlint.rule import Severity

SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Location:
    """Where a finding points: a dataset line or a config key."""

    path: str | None
    line: int | None = None
    key: str | None = None


@dataclass
class Row:
    """One affected row, identified by ``(path, index)``."""

    path: str
    split: str
    index: int
    line: int | None
    fingerprint: str
    snippet: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Affected:
    count: int
    fraction: float


@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    fix: str
    location: Location
    rows: list[Row] = field(default_factory=list)
    affected: Affected = Affected(0, 0.0)
    metrics: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    split: str | None = None

    def sort_key(self) -> tuple[int, float, str, str, int]:
        """Ranking: severity, then affected fraction, then code (then location, for stability)."""
        return (
            -int(self.severity),
            -self.affected.fraction,
            self.code,
            self.location.path or "",
            self.location.line or 0,
        )


@dataclass
class RuleOutcome:
    """What happened to one rule in a run: ran, skipped (with why and how to enable) or failed."""

    code: str
    name: str
    outcome: str  # "ran" | "skipped" | "failed"
    reason: str | None = None
    fix: str | None = None
    seconds: float = 0.0
    findings: int = 0


@dataclass
class InputInfo:
    path: str
    role: str  # dataset | training_config | reference | contamination
    split: str | None = None
    format: str | None = None
    records: int | None = None
    split_source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    findings: list[Finding]
    outcomes: list[RuleOutcome]
    inputs: list[InputInfo]
    suppressed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the rule classes that were selected for this run (their docs feed SARIF, JUnit, HTML)
    rules: list[Any] = field(default_factory=list)
    #: data for the HTML report's plots that findings do not carry (``ftlint.charts.chart_data``)
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            counts[f.severity.label] += 1
        counts["suppressed"] = self.suppressed
        return counts

    @property
    def failed_rules(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    def exit_code(self, fail_on: Severity | None) -> int:
        """0: nothing at or above ``fail_on``; 1: something is; 2: a rule failed (a bug)."""
        if self.failed_rules:
            return 2
        if fail_on is None:
            return 0
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0


# -- fingerprints ---------------------------------------------------------------------------------

def _h(*parts: str) -> str:
    return xxhash.xxh3_64_hexdigest("\x1f".join(parts).encode("utf-8", "surrogatepass"))


def row_fingerprint(code: str, relpath: str, normalized_content: str) -> str:
    """(rule code, project-relative path, normalised row content): never a line number."""
    return _h("row", code, relpath.replace("\\", "/"), normalized_content)


def key_fingerprint(code: str, relpath: str | None, key: str | None) -> str:
    """A finding about a whole split or a config key: (rule code, path, key)."""
    return _h("key", code, (relpath or "").replace("\\", "/"), key or "")


# -- redaction ------------------------------------------------------------------------------------

Redactor = Callable[[str], str]


@dataclass
class Redaction:
    """The one redaction step every message and snippet passes through before any reporter.

    Identity until patterns are added; privacy rules plug their patterns in with :meth:`add`.
    """

    patterns: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]] = field(default_factory=list)

    def add(self, pattern: re.Pattern[str], replacement: Callable[[re.Match[str]], str] | str = "[REDACTED]") -> None:
        self.patterns.append((pattern, replacement))

    def __call__(self, text: str) -> str:
        for pat, repl in self.patterns:
            text = pat.sub(repl, text)
        return text

    def deep(self, value: Any) -> Any:
        """``value`` with every string in it masked, dict keys included (data that no finding
        carries, such as the HTML report's chart data). Two keys that mask to the same text stay
        apart (``[EMAIL]``, ``[EMAIL] #2``), so no count is lost to a collision."""
        if not self.patterns:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                key = self(k) if isinstance(k, str) else k
                if key in out:
                    n = 2
                    while f"{key} #{n}" in out or f"{key} #{n}" in value:
                        n += 1
                    key = f"{key} #{n}"
                out[key] = self.deep(v)
            return out
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.deep(v) for v in value]
        return value

    def apply(self, finding: Finding) -> Finding:
        def red_value(value: Any) -> Any:
            if isinstance(value, str):
                return self(value)
            if isinstance(value, dict):
                return {k: red_value(v) for k, v in value.items()}
            if isinstance(value, list):
                return [red_value(v) for v in value]
            return value

        if not self.patterns:
            return finding
        rows = [dataclasses.replace(r, snippet=self(r.snippet), extra=red_value(r.extra)) for r in finding.rows]
        location = finding.location
        if location.key:
            location = dataclasses.replace(location, key=self(location.key))
        return dataclasses.replace(
            finding,
            location=location,
            message=self(finding.message),
            fix=self(finding.fix),
            rows=rows,
            metrics=red_value(finding.metrics),
        )


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """A one-line preview of ``text``: whitespace collapsed, cut at ``limit`` characters."""
    flat = " ".join(text.split())
    if not flat.isascii():  # lone surrogates (from broken input) must not crash any reporter
        flat = flat.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if len(flat) > limit:
        # cut between words where one ends near the limit: a token cut in half (an e-mail address's
        # "ann.lee.19…") can no longer be recognised, and so masked, by the redaction step
        space = flat.rfind(" ", max(0, limit - 61), limit)
        return (flat[:space] + " …") if space > 0 else flat[: limit - 1] + "…"
    return flat


def rank(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
