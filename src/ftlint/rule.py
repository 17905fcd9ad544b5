"""The Rule base class, its Options and the Needs a rule declares (Severity lives in ftlint.model)."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ftlint.model import Affected, Finding, Location, Row, RowAt, RuleOutcome, Severity, Unit

if TYPE_CHECKING:  # pragma: no cover
    from ftlint.chartspec import ChartSpec
    from ftlint.context import Context
    from ftlint.remedies import Remedy
    from ftlint.suppress import Suppressions


class Need(enum.Enum):
    """What a rule requires to run; the engine skips it when missing, with the need's ``reason``
    and ``enable`` (how to give the rule what it needs)."""

    reason: str
    enable: str

    def __new__(cls, value: str, reason: str, enable: str) -> Need:
        need = object.__new__(cls)
        need._value_ = value
        need.reason = reason
        need.enable = enable
        return need

    DATASET = ("dataset", "no dataset given", "pass dataset files or directories: `ftlint check data/train.jsonl`")
    LABELS = (
        "labels",
        "no labels detected",
        "add a label column (label, category, label_int) or map one: [dataset.columns] label = \"<column>\"",
    )
    VALIDATION = (
        "validation",
        "no validation split given",
        "pass one with `--validation data/val.jsonl` or set [dataset] validation = [\"...\"] in ftlint.toml",
    )
    TRAINING_PLAN = (
        "training_plan",
        "no training config given",
        "pass the trainer's config with `--config train.yaml` or set training-config = \"...\" in ftlint.toml",
    )
    #: the training config, when one is given, runs training (not a predict- or eval-only job)
    TRAINING_RUN = (
        "training_run",
        "the training config does not train (a prediction or evaluation job: do_train is false or unset)",
        "check the config of the training run itself: `ftlint check --config train.yaml`",
    )
    REFERENCE = (
        "reference",
        "no reference sample given",
        "pass a sample of the real task with `--reference prod_prompts.jsonl` or set reference = \"...\" in "
        "ftlint.toml; texts are embedded with the built-in TF-IDF unless `--embedding-model PATH` (or "
        "embedding-model = \"PATH\") names a local transformers encoder",
    )
    CONTAMINATION = (
        "contamination",
        "no benchmark files given",
        "pass benchmark or held-out files with `--contamination bench.jsonl` or set contamination = [\"...\"]",
    )
    #: a finished (or interrupted) training run's logs (``--run``; the FT8xx rules)
    RUN = (
        "run",
        "no training run given",
        "pass the run's output directory or log after the run: `ftlint check --run outputs/` (or set run = \"...\" "
        "in ftlint.toml)",
    )


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
    #: the kinds of remedy (``ftlint.remedies``) this rule's findings may carry, for ``ftlint fix``
    remedies: ClassVar[tuple[type, ...]] = ()
    #: ``ftlint fix`` repairs this rule's findings: derived from :attr:`remedies`, never set by hand
    fixable: ClassVar[bool] = False
    #: the unit of each metric of this rule's findings that is not a plain number (metric key -> Unit:
    #: ``Unit.SHARE``, a share of 1, is shown as a percentage)
    metric_units: ClassVar[Mapping[str, Unit]] = {}
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
            lacking = ", ".join("## " + m for m in missing)
            raise RuleDefinitionError(f"{where}: docstring lacks the section(s) {lacking}")
        cls.requires = frozenset(cls.requires)
        cls.fixable = bool(cls.remedies)

    def __init__(self, options: Any | None = None, severity_override: Severity | None = None) -> None:
        #: this rule's own ``Options`` dataclass (Any: Rule is not generic over each subclass's Options)
        self.options: Any = options if options is not None else self.Options()
        self.severity_override = severity_override

    # -- helpers for subclasses ---------------------------------------------------------------
    def check(self, ctx: Context) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.check is not implemented")

    def finding(
        self,
        message: str,
        fix: str,
        *,
        location: Location | None = None,
        rows: Sequence[Row] | Sequence[RowAt] | None = None,
        affected: int | None = None,
        total: int | None = None,
        metrics: dict[str, Any] | None = None,
        escalate: bool = False,
        escalated_by: str | None = None,
        key: str | None = None,
        split: str | None = None,
        charts: list[ChartSpec] | None = None,
        remedies: list[Remedy] | None = None,
    ) -> Finding:
        """Build a Finding of this rule; ``escalate`` raises the base severity one level, and the
        message then says so and why (``escalated_by``, else the rule's ``escalation`` option and
        its value), since ``ftlint rules`` and SARIF show the base level. ``charts``: what the HTML
        report plots for it (:mod:`ftlint.chartspec`); ``remedies``: what ``ftlint fix`` applies
        (their kinds must be among the rule's :attr:`remedies`). ``rows``: row references
        (:class:`RowAt`; the engine builds the output rows), or rows already built; without a
        ``location``, the finding is located at the first row."""
        built = [r for r in rows or () if isinstance(r, Row)]
        refs = [r for r in rows or () if isinstance(r, RowAt)]
        count = affected if affected is not None else len(built) + len(refs)
        fraction = (count / total) if total else (1.0 if count else 0.0)
        at_first_row = False
        if location is None:
            if built:
                location = Location(path=built[0].path, line=built[0].line, key=key)
            else:
                location = Location(path=None, line=None, key=key)
                at_first_row = bool(refs)
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
            rows=built,
            refs=refs,
            at_first_row=at_first_row,
            affected=Affected(count=count, fraction=round(fraction, 6)),
            metrics=metrics or {},
            split=split,
            charts=charts or [],
            remedies=list(remedies or ()),
            units=dict(self.metric_units),
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
                f.default_factory() if f.default_factory is not dataclasses.MISSING else None
            )
            tname = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            out.append((f.name.replace("_", "-"), default, tname, cls.option_help.get(f.name, "")))
        return out


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """What the notices pass (FT9xx) is given once every other rule ran: ftlint's own notices
    (e.g. a plugin pack that failed to load), the run's suppressions (baseline, noqa,
    per-file-ignores: which entries matched) and the other rules' outcomes."""

    notices: Sequence[str] = ()
    suppressions: Suppressions | None = None
    outcomes: Sequence[RuleOutcome] = ()


class NoticeRule(Rule):
    """A rule about the run itself (FT9xx): the engine runs it after every other rule, with a
    :class:`RunRecord` of what they did, instead of :meth:`Rule.check` on the Context."""

    abstract = True

    def check(self, ctx: Context) -> Iterator[Finding]:  # the notices pass calls `notices`
        return iter(())

    def notices(self, run: RunRecord) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.notices is not implemented")


def escalation_note(base: Severity, why: str) -> str:
    """The suffix of an escalated finding's message: `` (escalated from warning: <why>)``."""
    return f" (escalated from {base.label}: {why})"


def specificity(selector: str, rule: type[Rule]) -> int:
    """How specifically ``selector`` (a code, a code prefix, a rule name or ``ALL``) names ``rule``:
    0 no match, else larger is more specific. Rule selection and per-file ignores both use it."""
    s = selector.strip()
    if s.upper() == "ALL":
        return 1
    if s.lower() == rule.name:
        return 100
    if rule.code.startswith(s.upper()) and s[:1].isalpha():
        return 2 + len(s)
    return 0


class Skip(Exception):
    """Raised from :meth:`Rule.check` when the rule cannot run on these inputs.

    The engine records the rule as skipped with ``reason`` and ``fix`` (how to enable it).
    """

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix
