"""FT9xx: ftlint's own notices, a pass the engine runs after every other rule (``NoticeRule``),
given what the run did (``RunRecord``: notices, suppressions, outcomes)."""

from __future__ import annotations

from collections.abc import Iterator

from ftlint.model import Finding, Location, Severity
from ftlint.rule import NoticeRule, RunRecord


class PluginLoadFailed(NoticeRule):
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

    def notices(self, run: RunRecord) -> Iterator[Finding]:
        for n, notice in enumerate(run.notices):
            if notice.startswith("plugin "):
                yield self.finding(notice, "Upgrade, reinstall or uninstall that package.",
                                   location=Location(path=None, key=f"plugin-{n}"), affected=1, total=1)


class StaleBaselineEntry(NoticeRule):
    """Baseline entries that no longer match any finding.

    ## What it does
    After the run, lists every entry of the baseline file (`.ftlint-baseline.json`) that matched
    nothing: the row was fixed or removed, or the config key changed.

    ## Why it matters
    A baseline should only shrink. Stale entries would silently accept the same problem if it
    came back, and they hide how much has been fixed.

    ## Example
    A duplicate row accepted in the baseline was deleted from `train.jsonl`.

    ## How to fix
    Regenerate the baseline with `ftlint baseline` (entries under `manually_suppressed` are kept).
    """

    code = "FT902"
    name = "stale-baseline-entry"
    summary = "Baseline entries that match no finding any more"
    severity = Severity.INFO
    requires = frozenset()

    def notices(self, run: RunRecord) -> Iterator[Finding]:
        sup = run.suppressions
        if sup is None or sup.baseline is None:
            return
        stale = sup.baseline.unmatched()
        if not stale:
            return
        total = sum(e.count for e in stale)
        rules = sorted({e.rule for e in stale})
        yield self.finding(
            f"{total:,} baseline entr{'y' if total == 1 else 'ies'} ({', '.join(rules)}) no longer match any "
            f"finding in {sup.baseline.path}",
            "Regenerate the baseline with `ftlint baseline` so that it only holds what is still accepted.",
            location=Location(path=str(sup.baseline.path), key="baseline"), affected=total, total=total,
            metrics={"stale": [{"rule": e.rule, "path": e.path, "fingerprint": e.fingerprint, "count": e.count}
                               for e in stale]},
        )


class UnusedSuppression(NoticeRule):
    """`# ftlint: noqa` comments in a training config that suppress nothing.

    ## What it does
    Reports each `# ftlint: noqa` (or `# ftlint: noqa: FT601`) comment in the training config that
    did not suppress any finding in this run.

    ## Why it matters
    A suppression that outlived its problem hides the next one that appears on that line.

    ## Example
    ```yaml
    num_epochs: 3  # ftlint: noqa: FT603
    ```
    where FT603 no longer fires.

    ## How to fix
    Delete the comment, or narrow it to the codes that still fire.
    """

    code = "FT903"
    name = "unused-suppression"
    summary = "noqa comments in the training config that suppress nothing"
    severity = Severity.INFO
    requires = frozenset()

    def notices(self, run: RunRecord) -> Iterator[Finding]:
        sup = run.suppressions
        if sup is None or sup.noqa is None:
            return
        for c in sup.noqa.unused():
            codes = ", ".join(sorted(c.codes)) or "every rule"
            yield self.finding(
                f"`# ftlint: noqa` for {codes} suppresses nothing"
                + (" in this file" if c.file_level else " on this line"),
                "Remove the comment, or narrow it to the codes that still fire.",
                location=Location(path=c.path, line=c.line, key=f"noqa@{c.line}"), affected=1, total=1,
            )
