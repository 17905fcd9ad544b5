"""Execution: one outcome per selected rule (ran / skipped with reason / failed)."""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from ftlint.charts import report_charts
from ftlint.chartspec import ChartSpec
from ftlint.context import Context
from ftlint.features.labels import label_info
from ftlint.features.rows import text_hashes
from ftlint.findings import Redaction, key_fingerprint, row_fingerprint, snippet
from ftlint.model import Finding, Location, Row, RowAt, RuleOutcome, Severity
from ftlint.paths import relative_posix
from ftlint.rule import Need, NoticeRule, Rule, RunRecord, Skip, escalation_note
from ftlint.suppress import Suppressions


def missing_need(rule: type[Rule], ctx: Context) -> Need | None:
    for need in sorted(rule.requires, key=lambda n: n.value):
        if need is Need.DATASET and not ctx.splits:
            return need
        if need is Need.LABELS and not any(ctx.artifact(label_info, s) is not None for s in ctx.splits):
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
        if need is Need.RUN and not ctx.runs:
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


def build_row(ctx: Context, code: str, ref: RowAt) -> Row:
    """The output Row of a rule's row reference: its file, record index and line, a snippet of
    the text the rule points at (the whole example by default) and its fingerprint (the rule's
    code, the file's project-relative path and the hash of the row's normalised text; for a
    malformed record, of its raw text)."""
    ds = ctx.dataset(ref.split)
    i = ref.position
    if ref.malformed:
        m = ds.malformed[i]
        return Row(path=ds.files[m.file_id].path, split=ref.split, index=m.index, line=m.line,
                   fingerprint=row_fingerprint(code, ctx.relpath(ds, m.file_id), m.snippet), snippet=m.snippet,
                   extra=ref.extra or {})
    fid = int(ds.file_id[i])
    content = ctx.artifact(text_hashes, ref.split)[i]
    return Row(
        path=ds.files[fid].path,
        split=ref.split,
        index=int(ds.index[i]),
        line=ds.line_of(i),
        fingerprint=row_fingerprint(code, ctx.relpath(ds, fid), f"{int(content):016x}"),
        snippet=snippet(ref.text if ref.text is not None else ds.full_text(i)),
        extra=ref.extra or {},
    )


def build_rows(ctx: Context, f: Finding) -> Finding:
    """Turn a finding's row references into its rows (and locate it at the first, when the rule
    gave no location)."""
    if f.refs:
        f.rows = [*f.rows, *(build_row(ctx, f.code, r) for r in f.refs)]
        f.refs = []
    if f.at_first_row:
        if f.rows:
            f.location = Location(path=f.rows[0].path, line=f.rows[0].line, key=f.location.key)
        f.at_first_row = False
    return f


class _Runner:
    """Runs rules one at a time and collects their findings, outcomes and errors."""

    def __init__(self, root: Path, redaction: Redaction, suppressions: Suppressions | None) -> None:
        self.root = root
        self.redaction = redaction
        self.suppressions = suppressions
        self.findings: list[Finding] = []
        self.outcomes: list[RuleOutcome] = []
        self.errors: list[str] = []
        self.suppressed = 0

    def run(self, rule: Rule, produce: Callable[[], Iterable[Finding]], build: Callable[[Finding], Finding]) -> None:
        cls = type(rule)
        redaction = self.redaction
        t0 = time.perf_counter()
        produced: list[Finding] = []
        try:
            for f in produce():
                produced.append(build(f))
        except Skip as s:
            self.outcomes.append(RuleOutcome(cls.code, cls.name, "skipped", s.reason, s.fix or None,
                                             round(time.perf_counter() - t0, 4)))
            return
        except Exception as e:  # noqa: BLE001 - a bug in a rule: reported, never a crash of the whole run
            tb = traceback.extract_tb(e.__traceback__)
            where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
            msg = redaction(f"{type(e).__name__}: {e}{where}")
            self.errors.append(f"rule {cls.code} ({cls.name}) failed: {msg}")
            self.outcomes.append(RuleOutcome(cls.code, cls.name, "failed", msg,
                                             "this is a bug in the rule; please report it, and use --ignore "
                                             f"{cls.code} to run the other rules meanwhile",
                                             round(time.perf_counter() - t0, 4)))
            return
        kept = 0
        seen: dict[str, int] = {}
        suppressions = self.suppressions
        for f in produced:
            if rule.severity_override is not None:
                f.severity = rule.severity_override
                if "escalated_from" in f.metrics:  # an override pins the level: nothing was escalated
                    note = escalation_note(Severity.parse(f.metrics.pop("escalated_from")),
                                           f.metrics.pop("escalated_by", ""))
                    f.message = f.message.removesuffix(note)
            rel = _relpath(f.location.path, self.root)
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
                    self.suppressed += 1
                    continue
                if suppressions.baseline is not None and not cls.code.startswith("FT9"):
                    remaining, absorbed = suppressions.baseline.filter(f)
                    self.suppressed += absorbed
                    if remaining is None:
                        continue
                    f = remaining
            self.findings.append(redaction.apply(f))
            kept += 1
        self.outcomes.append(RuleOutcome(cls.code, cls.name, "ran", None, None,
                                         round(time.perf_counter() - t0, 4), kept))


def run_rules(rules: list[Rule], ctx: Context, redaction: Redaction,
              suppressions: Suppressions | None = None, *, charts: bool = False,
              later: Collection[str] = (), before_later: Callable[[], None] | None = None) -> EngineResult:
    """Run each rule once; build the rows of its findings from their row references; apply
    severity overrides, fingerprints, suppressions and redaction to every finding it produces.
    Then the notices pass: ftlint's own notices (FT9xx, :class:`NoticeRule`) report on the run
    (stale baseline entries, unused noqa comments), given its suppressions and outcomes. With
    ``charts`` (an HTML report is written), then compute the report-wide plots, reusing what the
    rules computed (O(n), never raises).

    ``later``: codes of rules run after the others, ``before_later()`` called first (an engine's
    map computes what they read meanwhile: ``backend.dedup.RowMap``); the outcomes and errors are
    put back in the rules' order, so the report is the same whichever order they ran in."""
    runner = _Runner(ctx.settings.root, redaction, suppressions)
    notice_rules = [r for r in rules if isinstance(r, NoticeRule)]
    main = [r for r in rules if not isinstance(r, NoticeRule)]
    order = [r for r in main if type(r).code not in later] + [r for r in main if type(r).code in later]
    position = {id(r): k for k, r in enumerate(main)}
    errors_of: dict[int, list[str]] = {}
    waited = False
    for rule in order:
        if not waited and type(rule).code in later:
            waited = True
            if before_later is not None:
                before_later()
        n_errors = len(runner.errors)
        _run_one(runner, rule, ctx)
        errors_of[position[id(rule)]] = runner.errors[n_errors:]
    if order != main:  # the outcomes (one per rule) and errors in the rules' order
        runner.outcomes = [runner.outcomes[order.index(r)] for r in main]
        runner.errors = [e for k in range(len(main)) for e in errors_of.get(k, [])]
    if not waited and before_later is not None:
        before_later()
    for rule in notice_rules:
        record = RunRecord(ctx.notices, suppressions, tuple(runner.outcomes))
        runner.run(rule, lambda rule=rule, record=record: rule.notices(record), lambda f: f)  # type: ignore[misc]
    specs, chart_errors = report_charts(ctx) if charts else ([], {})
    # masked like the findings: a column of e-mail addresses is a group column too
    return EngineResult(runner.findings, runner.outcomes, runner.suppressed, runner.errors,
                        [redaction.deep(c) for c in specs], {k: redaction(v) for k, v in chart_errors.items()})


def _run_one(runner: _Runner, rule: Rule, ctx: Context) -> None:
    """One rule: skipped with its missing need, or run with its rows built."""
    cls = type(rule)
    need = missing_need(cls, ctx)
    if need is not None:
        reason, fix = need.reason, need.enable
        if need is Need.DATASET and ctx.unavailable:
            names = ", ".join(dict.fromkeys(str(u.ref.hub_id or u.ref.name) for u in ctx.unavailable))
            reason, fix = (f"no dataset was read: {names} is not available locally (FT013)",
                           "make the data available (see FT013) or pass local files")
        runner.outcomes.append(RuleOutcome(cls.code, cls.name, "skipped", reason, fix))
        return
    runner.run(rule, lambda: rule.check(ctx), lambda f: build_rows(ctx, f))


__all__ = ["EngineResult", "Severity", "build_row", "build_rows", "missing_need", "run_rules"]
