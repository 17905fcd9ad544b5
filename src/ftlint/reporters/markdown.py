"""Markdown for pull-request comments and GitHub job summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftlint._version import __version__
from ftlint.printable import printable_report
from ftlint.reporters._common import RenderOptions, location_of

if TYPE_CHECKING:
    from ftlint.findings import Report

ICONS = {"error": "🔴", "warning": "🟠", "info": "🔵"}


def _esc(text: str) -> str:
    """Data text safe inside a Markdown table cell: no HTML, no pipes, one line."""
    text = " ".join(text.split())
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'")):
        text = text.replace(a, b)
    return text


def render(report: Report, options: RenderOptions) -> str:
    report = printable_report(report)  # every string from the data: no control or bidi character
    s = report.summary
    out = [f"## ftlint {__version__}", ""]
    total = len(report.findings)
    failed = [o for o in report.outcomes if o.outcome == "failed"]
    unseen = [i for i in report.inputs if i.role == "dataset" and i.extra.get("loadable") is False]
    if not total and not failed and not unseen:
        out.append("✅ All checks passed.")
    elif not total and not failed:
        out.append(f"⚠️ {len(unseen)} named dataset{'s were' if len(unseen) != 1 else ' was'} not loaded: "
                   "its rows were not checked.")
    else:
        out.append(f"**{total} finding{'s' if total != 1 else ''}**: {s['error']} error, {s['warning']} warning, "
                   f"{s['info']} info" + (f", {s['suppressed']} suppressed" if s.get("suppressed") else "") + ".")
    out += ["", "| input | role | split | format | records | source |", "|---|---|---|---|---|---|"]
    for i in report.inputs:
        source = i.split_source or ""
        if i.role == "replaced":
            source += f"; replaced by the {i.extra.get('replaced_by')}"
        elif i.extra.get("loadable") is False:
            source += f"; not loaded: {i.extra.get('reason') or 'not loadable'}"
        out.append(f"| `{_esc(i.path)}` | {i.role} | {i.split or ''} | {i.format or ''} | "
                   f"{'' if i.records is None else i.records} | {_esc(source)} |")
    if report.findings:
        out += ["", "| | code | rule | where | affected | message |", "|---|---|---|---|---|---|"]
        for f in report.findings:
            path, line = location_of(f, report)
            out.append(f"| {ICONS[f.severity.label]} {f.severity.label} | `{f.code}` | {f.name} | "
                       f"`{_esc(path)}:{line}` | {f.affected.count:,} ({f.affected.fraction:.1%}) | "
                       f"{_esc(f.message)} |")
        out += ["", "<details><summary>How to fix</summary>", ""]
        for f in report.findings:
            out.append(f"- **{f.code} {f.name}**: {_esc(f.fix)}")
            for r in f.rows[: options.max_rows]:
                out.append(f"  - `{_esc(r.path)}:{r.line or '#' + str(r.index)}` {_esc(r.snippet[:120])}")
        out += ["", "</details>"]
    skipped = [o for o in report.outcomes if o.outcome == "skipped"]
    if skipped or failed:
        out += ["", "| rule | outcome | why | to enable |", "|---|---|---|---|"]
        for o in failed + skipped:
            out.append(f"| `{o.code}` {o.name} | {o.outcome} | {_esc(o.reason or '')} | {_esc(o.fix or '')} |")
    ran = sum(o.outcome == "ran" for o in report.outcomes)
    out += ["", f"{ran} rules ran, {len(skipped)} skipped, {len(failed)} failed."]
    return "\n".join(out) + "\n"
