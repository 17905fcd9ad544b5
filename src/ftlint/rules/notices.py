"""FT9xx: ftlint's own notices."""

from __future__ import annotations

from collections.abc import Iterator

from ftlint.context import Context
from ftlint.findings import Finding, Location
from ftlint.rule import Rule, Severity


class PluginLoadFailed(Rule):
    """A rule pack installed in this environment could not be loaded.

    ## What it does
    Reports each `ftlint.rules` entry point that raised on import, returned something other than
    rule classes, or defined an invalid rule. The run goes on with the other rules.

    ## Why it matters
    Silence must never look like a pass: if a team relies on a plugin's checks, a broken install
    would otherwise hide every one of its findings.

    ## Example
    A plugin pack built for an older ftlint whose rule class lacks the required docstring sections.

    ## How to fix
    Upgrade or reinstall the named package, or uninstall it. Selecting one of its rules
    explicitly while it is broken exits with code 2.
    """

    code = "FT901"
    name = "plugin-load-failed"
    summary = "A rule plugin pack failed to load"
    severity = Severity.WARNING
    requires = frozenset()

    def check(self, ctx: Context) -> Iterator[Finding]:
        for n, notice in enumerate(ctx.notices):
            if notice.startswith("plugin "):
                yield self.finding(notice, "Upgrade, reinstall or uninstall that package.",
                                   location=Location(path=None, key=f"plugin-{n}"), affected=1, total=1)
