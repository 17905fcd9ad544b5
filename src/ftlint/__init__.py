"""ftlint: a pre-flight linter for LLM fine-tuning projects.

The Python API is :func:`ftlint.check` (see :func:`ftlint.api.check`): it returns a
:class:`Report` (``.findings``, ``.to_pandas()``, ``.to_json()``, ``.to_html()``,
``.exit_code()``; shown inline in Jupyter). Unusable input raises an :class:`FtlintError`.
"""

from __future__ import annotations

from typing import Any

from ftlint._version import __version__
from ftlint.errors import (
    FormatError,
    FtlintError,
    InputError,
    OutputError,
    PluginError,
    SettingsError,
    UsageError,
)
from ftlint.findings import Report
from ftlint.model import Finding, Location, Row, RowAt, Severity
from ftlint.rule import Need, Rule


def __getattr__(name: str) -> Any:
    # ``ftlint.check`` is :func:`ftlint.api.check` itself (its signature and docs), imported on first
    # use so that ``import ftlint`` stays light
    if name == "check":
        from ftlint.api import check

        globals()["check"] = check
        return check
    raise AttributeError(f"module 'ftlint' has no attribute {name!r}")


__all__ = ["Finding", "FormatError", "FtlintError", "InputError", "Location", "Need", "OutputError", "PluginError",
           "Report", "Row", "RowAt", "Rule", "SettingsError", "Severity", "UsageError", "__version__", "check"]
