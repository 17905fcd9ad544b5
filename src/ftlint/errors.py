"""User-facing errors: a located one-line message and exit code 2.

Anything the user can fix (a missing path, a file that is not text, invalid settings, an
unparseable training config, an unknown rule selector) is an :class:`FtlintError`. Anything
else that escapes is a bug in ftlint.
"""

from __future__ import annotations


class FtlintError(Exception):
    """An error the user can fix; printed as ``path:line: message`` and exits with code 2."""

    exit_code = 2

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def located(self) -> str:
        """The one-line message, prefixed with its location when it has one."""
        if self.path and self.line:
            return f"{self.path}:{self.line}: {self.message}"
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message

    def __str__(self) -> str:
        return self.located()


class InputError(FtlintError):
    """A dataset path that cannot be used at all (missing, not text, no dataset files)."""


class FormatError(FtlintError):
    """A readable dataset whose record format cannot be recognised."""


class SettingsError(FtlintError):
    """Invalid ftlint settings (a TOML syntax error, an unknown key, a bad value)."""


class UsageError(FtlintError):
    """Invalid command-line usage (an unknown rule selector, a bad flag value)."""


class PluginError(FtlintError):
    """A rule pack that clashes with another (same code or name) or was selected but broken."""


class OutputError(FtlintError):
    """An output path that would overwrite one of the run's inputs (see ``ftlint.outputs``)."""
