"""Execution: one outcome per selected rule (ran / skipped with reason / failed)."""

from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path

from ftlint.charts import report_charts
from ftlint.chartspec import ChartSpec
from ftlint.context import Context
from ftlint.findings import Redaction, key_fingerprint
from ftlint.model import Finding, RuleOutcome, Severity
from ftlint.paths import relative_posix
from ftlint.rule import Need, Rule, Skip, escalation_note
from ftlint.suppress import Suppressions


def missing_need(rule: type[Rule], ctx: Context) -> Need | None:
    for need in sorted(rule.requires, key=lambda n: n.value):
        if need is Need.DATASET and not ctx.splits:
            return need
        if need is Need.LABELS and not any(ctx.labels(s) is not None for s in ctx.splits):
            return need
        if need is Need.VALIDATION and not ("validation" in ctx.splits or "test" in ctx.splits):
            return need
        if need is Need.TRAINING_PLAN and ctx.plan is None:
            return need
        if need is Need.TRAINING_RUN and ctx.plan is not None and not ctx.plan.trains:
            return need
        if need is Need.REFERENCE and ctx.reference is None:
            return need
        if need is Need.CONTAMINATION and not ctx.settings.contamination:
            return need
        if need is Need.RUN and not getattr(ctx, "runs", None):
            return need
    return None


@dataclasses.dataclass
class EngineResult:
    findings: list[Finding]
    outcomes: list[RuleOutcome]
    suppressed: int
    errors: list[str]
    #: the report-wide plots (lengths, labels, groups; ``ftlint.charts``), masked like the findings
    charts: list[ChartSpec] = dataclasses.field(default_factory=list)
    chart_errors: dict[str, str] = dataclasses.field(default_factory=dict)


def _relpath(path: str | None, root: Path) -> str | None:
    if not path:
        return path
    rel = relative_posix(path, root)  # None: another drive; a symlink loop (a skipped input)
    return rel if rel is not None else path


def run_rules(rules: list[Rule], ctx: Context, redaction: Redaction,
              suppressions: Suppressions | None = None, *, charts: bool = False) -> EngineResult:
    """Run each rule once; apply severity overrides, fingerprints, suppressions and redaction to
    every finding it produces. ftlint's own notices (FT9xx) run last: they report on the others
    (stale baseline entries, unused noqa comments). With ``charts`` (an HTML report is written),
    then compute the report-wide plots, reusing what the rules computed (O(n), never raises)."""
    findings: list[Finding] = []
    outcomes: list[RuleOutcome] = []
    errors: list[str] = []
    suppressed = 0
    root = ctx.settings.root
    ctx.suppressions = suppressions
    ordered = sorted(rules, key=lambda r: type(r).code.startswith("FT9"))
    for rule in ordered:
        cls = type(rule)
        need = missing_need(cls, ctx)
        if need is not None:
            reason, fix = need.reason, need.enable
            if need is Need.DATASET and ctx.unavailable:
                names = ", ".join(dict.fromkeys(str(u.ref.hub_id or u.ref.name) for u in ctx.unavailable))
                reason, fix = (f"no dataset was read: {names} is not available locally (FT013)",
                               "make the data available (see FT013) or pass local files")
            outcomes.append(RuleOutcome(cls.code, cls.name, "skipped", reason, fix))
            continue
        t0 = time.perf_counter()
        produced: list[Finding] = []
        try:
            for f in rule.check(ctx):
                produced.append(f)
        except Skip as s:
            outcomes.append(RuleOutcome(cls.code, cls.name, "skipped", s.reason, s.fix or None,
                                        round(time.perf_counter() - t0, 4)))
            continue
        except Exception as e:  # noqa: BLE001 - a bug in a rule: reported, never a crash of the whole run
            tb = traceback.extract_tb(e.__traceback__)
            where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
            msg = redaction(f"{type(e).__name__}: {e}{where}")
            errors.append(f"rule {cls.code} ({cls.name}) failed: {msg}")
            outcomes.append(RuleOutcome(cls.code, cls.name, "failed", msg,
                                        "this is a bug in the rule; please report it, and use --ignore "
                                        f"{cls.code} to run the other rules meanwhile",
                                        round(time.perf_counter() - t0, 4)))
            continue
        kept = 0
        seen: dict[str, int] = {}
        for f in produced:
            if rule.severity_override is not None:
                f.severity = rule.severity_override
                if "escalated_from" in f.metrics:  # an override pins the level: nothing was escalated
                    note = escalation_note(Severity.parse(f.metrics.pop("escalated_from")),
                                           f.metrics.pop("escalated_by", ""))
                    f.message = f.message.removesuffix(note)
            rel = _relpath(f.location.path, root)
            key = f.location.key or f.split or ""
            f.fingerprint = key_fingerprint(cls.code, rel, key)
            # one rule may report two findings about the same split (FT004: broken structure and
            # no user turn); every finding's fingerprint must still be unique in the report
            nth = seen[f.fingerprint] = seen.get(f.fingerprint, 0) + 1
            if nth > 1:
                f.fingerprint = key_fingerprint(cls.code, rel, f"{key}#{nth}")
            if suppressions is not None:
                if suppressions.per_file_ignored(cls.code, cls, rel) or (
                        suppressions.noqa is not None and suppressions.noqa.suppresses(f)):
                    suppressed += 1
                    continue
                if suppressions.baseline is not None and not cls.code.startswith("FT9"):
                    remaining, absorbed = suppressions.baseline.filter(f)
                    suppressed += absorbed
                    if remaining is None:
                        continue
                    f = remaining
            findings.append(redaction.apply(f))
            kept += 1
        outcomes.append(RuleOutcome(cls.code, cls.name, "ran", None, None, round(time.perf_counter() - t0, 4), kept))
    specs, chart_errors = report_charts(ctx) if charts else ([], {})
    # masked like the findings: a column of e-mail addresses is a group column too
    return EngineResult(findings, outcomes, suppressed, errors, [redaction.deep(c) for c in specs],
                        {k: redaction(v) for k, v in chart_errors.items()})


__all__ = ["EngineResult", "Severity", "missing_need", "run_rules"]
