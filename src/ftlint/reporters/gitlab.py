"""GitLab Code Quality JSON: one entry per finding with a unique fingerprint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from ftlint.model import Severity
from ftlint.reporters._common import RenderOptions, dumps_json, location_of, repo_path

if TYPE_CHECKING:
    from ftlint.findings import Report

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def gitlab_list(report: Report) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for f in report.findings:
        path, line = location_of(f, report)
        fp = f.fingerprint
        n = 1
        while fp in seen:  # GitLab merges entries with identical fingerprints
            n += 1
            fp = f"{f.fingerprint}-{n}"
        seen.add(fp)
        out.append({
            "description": f"{f.code}: {f.message}",
            "check_name": f.code,
            "fingerprint": fp,
            "severity": SEVERITIES[f.severity],
            "location": {"path": repo_path(path, "CI_PROJECT_DIR"), "lines": {"begin": line}},
            "content": {"body": f"Fix: {f.fix}"},
        })
    return out


def render(report: Report, options: RenderOptions) -> str:
    return dumps_json(gitlab_list(report), option=orjson.OPT_INDENT_2) + "\n"  # exact text, escaped
