"""ftlint: a pre-flight linter for LLM fine-tuning projects."""

from __future__ import annotations

from ftlint._version import __version__
from ftlint.findings import Report
from ftlint.model import Finding, Location, Row, Severity
from ftlint.rule import Need, Rule


def check(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Run ftlint; see :func:`ftlint.api.check`."""
    from ftlint.api import check as _check

    return _check(*args, **kwargs)


__all__ = ["Finding", "Location", "Need", "Report", "Row", "Rule", "Severity", "__version__", "check"]
