"""The Rule base class, its Options, Severity and the Needs a rule declares."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from ftlint.context import Context
    from ftlint.findings import Finding, Location, Row


class Severity(enum.IntEnum):
    """Finding severity. Higher is worse; ``error`` means training would be wasted or harmful."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    def escalated(self) -> "Severity":
        return Severity(min(self.value + 1, Severity.ERROR.value))

    @classmethod
    def parse(cls, value: str) -> "Severity":
        """Parse ``error|warning|info`` (and the CI words ``high|medium|low``)."""
        key = str(value).strip().lower()
        aliases = {"high": "error", "medium": "warning", "low": "info", "note": "info", "warn": "warning"}
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (expected error, warning or info)") from None


class Need(enum.Enum):
    """What a rule requires to run; the engine skips it (with the reason) when missing."""

    DATASET = "dataset"
    LABELS = "labels"
    VALIDATION = "validation"
    TRAINING_PLAN = "training_plan"
    #: the training config, when one is given, runs training (not a predict- or eval-only job)
    TRAINING_RUN = "training_run"
    REFERENCE = "reference"
    CONTAMINATION = "contamination"
    #: a finished (or interrupted) training run's logs (``--run``; the FT8xx rules)
    RUN = "run"


CODE_RE = re.compile(r"^[A-Z]{1,4}[0-9]{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REQUIRED_SECTIONS = ("What it does", "Why it matters", "How to fix")
SECTION_RE = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


class RuleDefinitionError(TypeError):
    """A Rule subclass that breaks the contract (bad code, missing docs, bad options)."""


class Rule:
    """Base class of every rule.

    A subclass sets ``code``, ``name``, ``summary``, ``severity`` and ``requires``, may define an
    ``Options`` dataclass with typed thresholds, and implements :meth:`check`. Its docstring is
    its documentation, with ``## What it does``, ``## Why it matters``, ``## Example`` and
    ``## How to fix`` sections (``## Options`` is generated from ``Options``).
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    requires: ClassVar[frozenset[Need]] = frozenset({Need.DATASET})
    fixable: ClassVar[bool] = False
    #: one line per option, explaining it (option name -> help)
    option_help: ClassVar[dict[str, str]] = {}
    #: which option, if any, escalates the severity one level (documented in the rule's docs)
    escalation: ClassVar[str | None] = None
    #: filled by the registry: "builtin" or the distribution name of the plugin pack
    source: ClassVar[str] = "builtin"
    #: in the default selection (``ftlint check`` without ``--select``); False for rules whose findings
    #: are notices rather than problems, with the reason in ``not_default_because``
    default: ClassVar[bool] = True
    not_default_because: ClassVar[str] = ""

    @dataclasses.dataclass
    class Options:
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        where = f"{cls.__module__}.{cls.__qualname__}"
        if not CODE_RE.match(cls.code or ""):
            raise RuleDefinitionError(f"{where}: code {cls.code!r} must look like FT201 (1-4 capitals, 3 digits)")
        if not NAME_RE.match(cls.name or ""):
            raise RuleDefinitionError(f"{where}: name {cls.name!r} must be kebab-case, e.g. near-duplicates")
        if not cls.summary:
            raise RuleDefinitionError(f"{where}: summary is required")
        if not isinstance(cls.severity, Severity):
            raise RuleDefinitionError(f"{where}: severity must be a Severity")
        if not dataclasses.is_dataclass(cls.Options):
            raise RuleDefinitionError(f"{where}: Options must be a dataclass")
        import inspect

        doc = inspect.cleandoc(cls.__doc__ or "")
        sections = set(SECTION_RE.findall(doc))
        missing = [s for s in REQUIRED_SECTIONS if s not in sections]
        if missing:
            raise RuleDefinitionError(f"{where}: docstring lacks the section(s) {', '.join('## ' + m for m in missing)}")
        cls.requires = frozenset(cls.requires)

    def __init__(self, options: Any | None = None, severity_override: Severity | None = None) -> None:
        self.options = options if options is not None else self.Options()
        self.severity_override = severity_override

    # -- helpers for subclasses ---------------------------------------------------------------
    def check(self, ctx: "Context") -> Iterator["Finding"]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.check is not implemented")

    def finding(
        self,
        message: str,
        fix: str,
        *,
        location: "Location | None" = None,
        rows: "list[Row] | None" = None,
        affected: int | None = None,
        total: int | None = None,
        metrics: dict[str, Any] | None = None,
        escalate: bool = False,
        escalated_by: str | None = None,
        key: str | None = None,
        split: str | None = None,
    ) -> "Finding":
        """Build a Finding of this rule; ``escalate`` raises the base severity one level, and the
        message then says so and why (``escalated_by``, else the rule's ``escalation`` option and
        its value), since ``ftlint rules`` and SARIF show the base level."""
        from ftlint.findings import Affected, Finding, Location

        rows = rows or []
        count = affected if affected is not None else len(rows)
        fraction = (count / total) if total else (1.0 if count else 0.0)
        if location is None:
            if rows:
                location = Location(path=rows[0].path, line=rows[0].line, key=key)
            else:
                location = Location(path=None, line=None, key=key)
        sev = self.severity.escalated() if escalate else self.severity
        if sev != self.severity:
            why = escalated_by or self._escalation_reason()
            message += escalation_note(self.severity, why)
            metrics = {**(metrics or {}), "escalated_from": self.severity.label, "escalated_by": why}
        return Finding(
            code=self.code,
            name=self.name,
            severity=sev,
            message=message,
            fix=fix,
            location=location,
            rows=rows,
            affected=Affected(count=count, fraction=round(fraction, 6)),
            metrics=metrics or {},
            split=split,
        )

    def _escalation_reason(self) -> str:
        """``the rule's `error-fraction` option (0.1)``: what raised this finding's severity."""
        if not self.escalation:
            return "the rule's escalation condition"
        value = getattr(self.options, self.escalation, None)
        shown = f" ({value:g})" if isinstance(value, float) else f" ({value:,})" if isinstance(value, int) else ""
        return f"the rule's `{self.escalation.replace('_', '-')}` option{shown}"

    # -- documentation --------------------------------------------------------------------------
    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into ``{section title: body}``."""
        import inspect

        doc = inspect.cleandoc(cls.__doc__ or "")
        parts = SECTION_RE.split(doc)
        out: dict[str, str] = {}
        for i in range(1, len(parts), 2):
            out[parts[i]] = parts[i + 1].strip()
        return out

    @classmethod
    def option_fields(cls) -> list[tuple[str, Any, str, str]]:
        """``(toml-name, default, type name, help)`` for each option."""
        out = []
        for f in dataclasses.fields(cls.Options):
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
            )
            tname = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            out.append((f.name.replace("_", "-"), default, tname, cls.option_help.get(f.name, "")))
        return out


def escalation_note(base: Severity, why: str) -> str:
    """The suffix of an escalated finding's message: `` (escalated from warning: <why>)``."""
    return f" (escalated from {base.label}: {why})"


class Skip(Exception):
    """Raised from :meth:`Rule.check` when the rule cannot run on these inputs.

    The engine records the rule as skipped with ``reason`` and ``fix`` (how to enable it).
    """

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix
