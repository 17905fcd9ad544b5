"""The default terminal format: grouped findings, example rows, fixes and a summary line."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import click

from ftlint._version import __version__
from ftlint.model import Finding, Severity
from ftlint.printable import printable_report
from ftlint.reporters._common import RenderOptions

if TYPE_CHECKING:
    from ftlint.findings import Report

COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _style(text: str, options: RenderOptions, **kw: Any) -> str:
    return click.style(text, **kw) if options.color else text


def _finding(f: Finding, options: RenderOptions) -> list[str]:
    loc = f.location.path or ""
    if f.location.line:
        loc += f":{f.location.line}"
    if f.location.key:
        loc += f" ({f.location.key})"
    sev = _style(f"{f.severity.label:<7}", options, fg=COLORS[f.severity], bold=True)
    head = f"{sev} {_style(f.code, options, bold=True)} {f.name}"
    if loc:
        head += f"  {_style(loc, options, fg='cyan')}"
    if f.affected.count and f.rows:
        head += f"  ({f.affected.count:,} row{'s' if f.affected.count != 1 else ''}, {f.affected.fraction:.1%})"
    out = [head, f"  {f.message}"]
    for r in f.rows[: options.max_rows]:
        where = f"{r.path}:{r.line}" if r.line else f"{r.path}#{r.index}"
        detail = r.detail() or ""
        line = f"    {_style(where, options, fg='cyan')}  "
        line += (f"{detail}  " if detail else "") + _style(r.snippet[:100], options, dim=True)
        out.append(line)
    if len(f.rows) > options.max_rows:
        out.append(f"    … and {len(f.rows) - options.max_rows:,} more rows (all are in --output-format json)")
    out.append(f"  {_style('fix:', options, fg='green', bold=True)} {f.fix}")
    return out


def render(report: Report, options: RenderOptions) -> str:
    report = printable_report(report)  # every string from the data: no control or bidi character
    lines: list[str] = []
    datasets = [i for i in report.inputs if i.role == "dataset"]
    replaced = [i for i in report.inputs if i.role == "replaced"]
    others = [i for i in report.inputs if i.role not in ("dataset", "replaced")]
    lines.append(_style(f"ftlint {__version__}", options, bold=True) + " checked:")
    for i in datasets:
        if i.records is None:  # named by the training config but not readable here (a hub id, a file id)
            why = i.extra.get("reason") or "not loadable"
            lines.append(f"  {i.split or '-':<10} {i.path}  [not loaded: {why}; {i.split_source}]")
            continue
        lines.append(f"  {i.split:<10} {i.path}  [{i.format}, {i.records:,} records; {i.split_source}]")
    for i in replaced:  # a lower source's data for a split that a higher source decided
        lines.append(f"  {'replaced':<10} {i.path}  [{i.split_source}; the {i.split} split comes from the "
                     f"{i.extra.get('replaced_by')}]")
    task = next((i.extra["task"] for i in datasets if isinstance(i.extra.get("task"), dict)), None)
    if task is not None:
        lines.append(f"  {'task':<10} {task['type'] or 'unknown'}  [{task['source']}: {task['evidence']}]")
    for i in others:
        extra = ", ".join(f"{k}: {v}" for k, v in i.extra.items() if v is not None)
        lines.append(f"  {i.role:<10} {i.path}" + (f"  [{extra}]" if extra else ""))
    lines.append("")
    for f in report.findings:
        lines.extend(_finding(f, options))
        lines.append("")
    failed = [o for o in report.outcomes if o.outcome == "failed"]
    for o in failed:
        lines.append(_style("failed ", options, fg="red", bold=True) + f" {o.code} {o.name}: {o.reason}")
    skipped = [o for o in report.outcomes if o.outcome == "skipped"]
    if skipped:
        by_reason: dict[str, list[str]] = defaultdict(list)
        fixes: dict[str, str] = {}
        for o in skipped:
            by_reason[o.reason or "skipped"].append(o.code)
            if o.fix:
                fixes[o.reason or "skipped"] = o.fix
        lines.append(_style("skipped:", options, dim=True))
        for reason, codes in by_reason.items():
            lines.append(f"  {', '.join(codes)}: {reason}" + (f" ({fixes[reason]})" if reason in fixes else ""))
    if options.statistics:
        lines.append("")
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        for f in report.findings:
            counts[(f.code, f.name, f.severity.label)] += max(f.affected.count, 1)
        for (code, name, sev), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            lines.append(f"{n:>8,}  {code}  [{sev}] {name}")
    if options.verbose:
        lines.append("")
        lines.append("timings (s):")
        for k, v in sorted(report.timings.items(), key=lambda kv: -kv[1])[:20]:
            lines.append(f"  {v:8.3f}  {k}")
    s = report.summary
    ran = sum(o.outcome == "ran" for o in report.outcomes)
    total = len(report.findings)
    summary = (f"Found {total} finding{'s' if total != 1 else ''}: {s['error']} error, {s['warning']} warning, "
               f"{s['info']} info")
    if s.get("suppressed"):
        summary += f" ({s['suppressed']} suppressed: baselined rows or findings, noqa, per-file-ignores)"
    summary += f". {ran} rules ran, {len(skipped)} skipped, {len(failed)} failed."
    unseen = sum(i.role == "dataset" and i.extra.get("loadable") is False for i in report.inputs)
    if unseen:  # never "all passed" over data that was not read (FT013 ignored)
        summary = _style(f"{unseen} named dataset{'s were' if unseen != 1 else ' was'} not loaded (see above). ",
                         options, fg="yellow", bold=True) + summary
    elif not total and not failed:
        summary = _style("All checks passed. ", options, fg="green", bold=True) + summary
    lines.append(summary)
    return "\n".join(lines) + "\n"
