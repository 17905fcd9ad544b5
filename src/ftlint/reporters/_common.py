"""Helpers shared by the machine-readable reporters."""

from __future__ import annotations

import os
from pathlib import Path

from ftlint.findings import Finding, Report


def fallback_path(report: Report) -> str:
    """Where a finding with no file of its own is shown: the training config, else the first dataset."""
    for role in ("training_config", "dataset"):
        for i in report.inputs:
            if i.role == role and i.path:
                return i.path
    return "."


def repo_path(path: str, base_env: str | None = None) -> str:
    """A forward-slash path relative to ``$base_env`` (e.g. CI_PROJECT_DIR) when set, else as given."""
    base = os.environ.get(base_env) if base_env else None
    p = Path(path)
    if base:
        try:
            return Path(os.path.relpath(p.resolve(), Path(base).resolve())).as_posix()
        except ValueError:
            pass
    return p.as_posix()


def location_of(f: Finding, report: Report) -> tuple[str, int]:
    """(path, 1-based line) of a finding: its own location, or its first row, or a fallback."""
    path = f.location.path or (f.rows[0].path if f.rows else None) or fallback_path(report)
    line = f.location.line or (f.rows[0].line if f.rows and f.rows[0].line else None) or 1
    return path, line


def rule_help(rule: type) -> str:
    """The rule's documentation as plain Markdown text (its docstring sections)."""
    sections = rule.doc_sections()
    parts = [f"## {title}\n\n{body}" for title, body in sections.items()]
    return "\n\n".join(parts)
