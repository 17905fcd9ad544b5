"""ftlint: a pre-flight linter for LLM fine-tuning projects."""

from __future__ import annotations

__version__ = "0.1.0"

from ftlint.findings import Finding, Location, Report, Row  # noqa: E402
from ftlint.rule import Need, Rule, Severity  # noqa: E402


def check(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Run ftlint; see :func:`ftlint.api.check`."""
    from ftlint.api import check as _check

    return _check(*args, **kwargs)


__all__ = ["Finding", "Location", "Need", "Report", "Row", "Rule", "Severity", "__version__", "check"]
