"""The ``concise`` format: one ``path:line: CODE message`` line per finding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftlint.printable import printable_report
from ftlint.reporters._common import RenderOptions

if TYPE_CHECKING:
    from ftlint.findings import Report


def render(report: Report, options: RenderOptions) -> str:
    report = printable_report(report)  # every string from the data: no control or bidi character
    lines = []
    for f in report.findings:
        loc = f.location.path or "-"
        if f.location.line:
            loc += f":{f.location.line}"
        lines.append(f"{loc}: {f.code} {f.message}")
    for o in report.outcomes:
        if o.outcome == "failed":
            lines.append(f"-: {o.code} rule failed (a bug in ftlint): {o.reason}")
    return "\n".join(lines) + ("\n" if lines else "")
