"""The values every layer shares: Severity, Location, Row, Affected, Finding, RuleOutcome, InputInfo.

A leaf module: it imports nothing from ftlint but :mod:`ftlint.chartspec`, so rules, features,
the engine, settings and reporters can all use it without importing one another.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ftlint.chartspec import ChartSpec
from ftlint.remedies import Remedy


class Severity(enum.IntEnum):
    """Finding severity. Higher is worse; ``error`` means training would be wasted or harmful."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    def escalated(self) -> Severity:
        return Severity(min(self.value + 1, Severity.ERROR.value))

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse ``error|warning|info`` (and the CI words ``high|medium|low``)."""
        key = str(value).strip().lower()
        aliases = {"high": "error", "medium": "warning", "low": "info", "note": "info", "warn": "warning"}
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (expected error, warning or info)") from None


@dataclass(frozen=True)
class Location:
    """Where a finding points: a dataset line or a config key."""

    path: str | None
    line: int | None = None
    key: str | None = None


@dataclass(slots=True)
class Row:
    """One affected row, identified by ``(path, index)``."""

    path: str
    split: str
    index: int
    line: int | None
    fingerprint: str
    snippet: str
    extra: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> str | None:
        """What a person reads beside the row's snippet, from the per-row extras every rule uses
        for it: ``duplicate_of`` (``{path, line, index}``: "copy of PATH:LINE"), else ``reason``,
        ``problems`` or ``empty`` (a string or a list of them); None when the row has none."""
        e = self.extra if isinstance(self.extra, dict) else {}
        d = e.get("duplicate_of")
        if isinstance(d, dict):
            return f"copy of {d.get('path')}:{d.get('line') or '#' + str(d.get('index'))}"
        for key in ("reason", "problems", "empty"):
            if key in e:
                v = e[key]
                return "; ".join(map(str, v)) if isinstance(v, list) else str(v)
        return None


@dataclass(slots=True)
class RowAt:
    """A row a rule points at: its ``split`` and ``position`` in that split's Dataset, the text its
    snippet shows (None: the whole example) and the rule's per-row ``extra``. The engine turns it
    into a :class:`Row` (path, record index, line, snippet, fingerprint). ``malformed``: the
    record could not be read, so it is no row of the Dataset: ``position`` indexes the split's
    ``Dataset.malformed`` (FT001), and the snippet is the record's raw text."""

    split: str
    position: int
    text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    malformed: bool = False


@dataclass(frozen=True)
class Affected:
    count: int
    fraction: float


class Unit(enum.Enum):
    """How a finding's metric is shown to people (the HTML report's chips): a plain number, or a
    share of 1 shown as a percentage."""

    NUMBER = "number"
    SHARE = "share"


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
    #: what to plot for this finding (typed specs, rendered by the HTML report; not in JSON output)
    charts: list[ChartSpec] = field(default_factory=list)
    #: what ``ftlint fix`` applies (typed ``ftlint.remedies`` objects; not in JSON output)
    remedies: list[Remedy] = field(default_factory=list)
    #: the rows as the rule referred to them: the engine builds ``rows`` from them and empties it
    refs: list[RowAt] = field(default_factory=list)
    #: the location is the first row's (set when the rule gave row references and no location)
    at_first_row: bool = False
    #: how each metric is shown (metric key -> Unit; a metric not listed is a number): the rule's
    #: ``metric_units`` (not in JSON output)
    units: dict[str, Unit] = field(default_factory=dict)

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


__all__ = ["Affected", "Finding", "InputInfo", "Location", "Row", "RowAt", "RuleOutcome", "Severity", "Unit"]
