"""GitHub Actions workflow-command annotations (errors first), plus a job summary when possible."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ftlint.model import Severity
from ftlint.printable import printable_report
from ftlint.reporters._common import RenderOptions, location_of

if TYPE_CHECKING:
    from ftlint.findings import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
SHOWN_PER_LEVEL = 10  # GitHub shows 10 annotations per level per step and drops the rest
SUMMARY_LIMIT = 1_000_000  # GitHub rejects step summaries over 1 MiB


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, options: RenderOptions) -> str:
    report = printable_report(report)  # every string from the data: no control or bidi character
    lines = []
    per_level: dict[Severity, int] = {}
    # findings are ranked: errors come first
    for f in report.findings:
        path, line = location_of(f, report)
        per_level[f.severity] = per_level.get(f.severity, 0) + 1
        title = f"ftlint {f.code} ({f.name})"
        lines.append(f"::{COMMANDS[f.severity]} file={_prop(path)},line={line},title={_prop(title)}::"
                     + _data(f"{f.code} {f.message}\nFix: {f.fix}"))
    for o in report.outcomes:
        if o.outcome == "failed":
            lines.append("::error title=" + _prop(f"ftlint {o.code} failed") + "::"
                         + _data(f"rule {o.code} ({o.name}) failed: {o.reason}"))
    hidden = sum(max(0, n - SHOWN_PER_LEVEL) for n in per_level.values())
    if hidden:
        lines.append("::notice title=ftlint::" + _data(
            f"{hidden} more findings than GitHub shows as annotations; see the job summary or the SARIF report"))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        from ftlint.reporters.markdown import render as markdown

        text = markdown(report, options)
        if len(text.encode()) > SUMMARY_LIMIT:
            text = text.encode()[: SUMMARY_LIMIT - 200].decode("utf-8", "ignore") + "\n\n… (truncated)\n"
        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError:
            lines.append("::warning title=ftlint::could not write the job summary to $GITHUB_STEP_SUMMARY")
    return "\n".join(lines) + ("\n" if lines else "")
