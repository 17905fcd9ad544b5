"""Report, fingerprints, redaction and printable text; Finding, Row and Location live in :mod:`ftlint.model`."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import xxhash

from ftlint.model import Finding, InputInfo, RuleOutcome, Severity

if TYPE_CHECKING:
    from ftlint.chartspec import ChartSpec

SNIPPET_CHARS = 160


@dataclass
class Report:
    findings: list[Finding]
    outcomes: list[RuleOutcome]
    inputs: list[InputInfo]
    suppressed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the rule classes that were selected for this run (their docs feed SARIF, JUnit, HTML)
    rules: list[Any] = field(default_factory=list)
    #: report-wide plots that no finding carries (lengths per split, labels, groups): typed specs the
    #: engine computes (``ftlint.charts.report_charts``); the HTML report draws them, JSON leaves them out
    charts: list[ChartSpec] = field(default_factory=list)
    #: report-wide plots that could not be computed: {name: why}
    chart_errors: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            counts[f.severity.label] += 1
        counts["suppressed"] = self.suppressed
        return counts

    @property
    def failed_rules(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    def exit_code(self, fail_on: Severity | str | None = Severity.ERROR) -> int:
        """The command line's exit code for this report: 0: nothing at or above ``fail_on``;
        1: something is; 2: a rule failed (a bug). ``fail_on`` is a :class:`Severity`, its name
        (``"error"``, ``"warning"``, ``"info"``; also ``"high"``, ``"medium"``, ``"low"``), or
        ``"never"``/None (exit 1 never)."""
        if isinstance(fail_on, str):
            from ftlint.settings import parse_fail_on

            fail_on = parse_fail_on(fail_on, "fail_on")
        if self.failed_rules:
            return 2
        if fail_on is None:
            return 0
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0

    # -- the Python API's views (:func:`ftlint.check`) --------------------------------------------

    #: the columns of :meth:`to_pandas`, in order
    PANDAS_COLUMNS = ("code", "name", "severity", "message", "fix", "path", "line", "key", "affected_count",
                      "affected_fraction", "split", "fingerprint")

    def to_pandas(self) -> Any:
        """The findings as a ``pandas.DataFrame``, one row per finding, ranked as reported:
        ``code``, ``name``, ``severity`` (ordered categorical ``info < warning < error``), ``message``,
        ``fix``, ``path`` and ``line`` (the finding's own location, else its first affected row's;
        ``line`` is a nullable integer), ``key`` (a config key), ``affected_count``,
        ``affected_fraction``, ``split`` and ``fingerprint``. The text is the data's exact text (as
        in ``to_json()``); the affected rows themselves are in ``finding.rows``."""
        import pandas as pd

        records = []
        for f in self.findings:
            first = f.rows[0] if f.rows else None
            records.append((f.code, f.name, f.severity.label, f.message, f.fix,
                            f.location.path or (first.path if first else None),
                            f.location.line or (first.line if first else None),
                            f.location.key, f.affected.count, f.affected.fraction, f.split, f.fingerprint))
        df = pd.DataFrame.from_records(records, columns=list(self.PANDAS_COLUMNS))
        df["severity"] = pd.Categorical(df["severity"], categories=[s.label for s in sorted(Severity)],
                                        ordered=True)
        df["line"] = df["line"].astype("Int64")
        df["affected_count"] = df["affected_count"].astype("int64")
        df["affected_fraction"] = df["affected_fraction"].astype("float64")
        return df

    def to_json(self) -> str:
        """The report as ``ftlint check --output-format json`` writes it (schema_version 1)."""
        from ftlint.reporters import RenderOptions
        from ftlint.reporters.jsonfmt import render

        return render(self, RenderOptions())

    def to_html(self) -> str:
        """The self-contained HTML page of ``ftlint check --output-format html`` (its plots need
        the run's chart data: ``ftlint.check(..., charts=True)``, the default)."""
        from ftlint.reporters import RenderOptions
        from ftlint.reporters.html import render

        return render(self, RenderOptions())

    def _repr_html_(self) -> str:
        """Jupyter's inline view: the same HTML page (:meth:`to_html`) in a sandboxed ``iframe``,
        so that its styles and its Content-Security-Policy stay its own."""
        import html

        return ('<iframe class="ftlint-report" sandbox="allow-popups allow-popups-to-escape-sandbox" '
                'style="width: 100%; height: 640px; border: 1px solid #d0d7de; border-radius: 6px; resize: vertical;" '
                f'title="ftlint report" srcdoc="{html.escape(self.to_html(), quote=True)}"></iframe>')

    def __repr__(self) -> str:
        s = self.summary
        datasets = [i.path for i in self.inputs if i.role == "dataset"]
        configs = [i.path for i in self.inputs if i.role == "training_config"]
        shown = ", ".join(printable(p) for p in [*datasets, *configs][:4])
        more = len(datasets) + len(configs) - 4
        return (f"<ftlint Report: {len(self.findings)} findings ({s['error']} error, {s['warning']} warning, "
                f"{s['info']} info, {s['suppressed']} suppressed) in {shown or 'no input'}"
                + (f" and {more} more" if more > 0 else "") + ">")


# -- fingerprints ---------------------------------------------------------------------------------

def _h(*parts: str) -> str:
    return xxhash.xxh3_64_hexdigest("\x1f".join(parts).encode("utf-8", "surrogatepass"))


def row_fingerprint(code: str, relpath: str, normalized_content: str) -> str:
    """(rule code, project-relative path, normalised row content): never a line number."""
    return _h("row", code, relpath.replace("\\", "/"), normalized_content)


def key_fingerprint(code: str, relpath: str | None, key: str | None) -> str:
    """A finding about a whole split or a config key: (rule code, path, key)."""
    return _h("key", code, (relpath or "").replace("\\", "/"), key or "")


# -- redaction ------------------------------------------------------------------------------------

@dataclass
class Redaction:
    """The one redaction step every message and snippet passes through before any reporter.

    Identity until patterns are added; privacy rules plug their patterns in with :meth:`add`.
    """

    patterns: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]] = field(default_factory=list)

    def add(self, pattern: re.Pattern[str], replacement: Callable[[re.Match[str]], str] | str = "[REDACTED]") -> None:
        self.patterns.append((pattern, replacement))

    def __call__(self, text: str) -> str:
        out = text
        for pat, repl in self.patterns:
            out = pat.sub(repl, out)
        return text if out == text else out  # the same object when nothing was masked

    def deep(self, value: Any) -> Any:
        """``value`` with every string in it masked, dict keys included (chart specs: the HTML
        report's labels and group names are data). Two keys that mask to the same text stay
        apart (``[EMAIL]``, ``[EMAIL] #2``), so no count is lost to a collision. A dict, list,
        plain tuple or dataclass in which nothing was masked is returned as it is, not copied (a
        finding's metrics can list every row of 40,000)."""
        if not self.patterns:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            same = True
            for k, v in value.items():
                key = self(k) if isinstance(k, str) else k
                if key in out:
                    n = 2
                    while f"{key} #{n}" in out or f"{key} #{n}" in value:
                        n += 1
                    key = f"{key} #{n}"
                new = self.deep(v)
                same = same and key is k and new is v
                out[key] = new
            return value if same else out
        if type(value) is list or type(value) is tuple:
            items = [self.deep(v) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            return items if type(value) is list else tuple(items)
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.deep(v) for v in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a chart spec
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
            masked = {k: self.deep(v) for k, v in fields.items()}
            if all(masked[k] is v for k, v in fields.items()):
                return value
            return dataclasses.replace(value, **masked)
        return value

    def apply(self, finding: Finding) -> Finding:
        def red_value(value: Any) -> Any:
            if isinstance(value, str):
                return self(value)
            if isinstance(value, dict):
                out = {k: red_value(v) for k, v in value.items()}
                return value if all(out[k] is v for k, v in value.items()) else out
            if isinstance(value, list):
                items = [red_value(v) for v in value]
                return value if all(a is b for a, b in zip(items, value)) else items
            return value

        if not self.patterns:
            return finding
        rows = []
        for r in finding.rows:  # a row nothing was masked in is kept, not copied
            text, extra = self(r.snippet), red_value(r.extra)
            rows.append(r if text is r.snippet and extra is r.extra else
                        dataclasses.replace(r, snippet=text, extra=extra))
        location = finding.location
        if location.key:
            location = dataclasses.replace(location, key=self(location.key))
        return dataclasses.replace(
            finding,
            location=location,
            message=self(finding.message),
            fix=self(finding.fix),
            rows=rows,
            metrics=red_value(finding.metrics),
            charts=[self.deep(c) for c in finding.charts],
        )


from ftlint.printable import (  # noqa: E402,F401  re-exported
    UNSAFE_NON_C0,
    has_unsafe_utf8,
    printable,
    printable_report,
)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """A one-line preview of ``text``: whitespace collapsed, cut at ``limit`` characters."""
    flat = " ".join(text.split())
    if not flat.isascii():  # lone surrogates (from broken input) must not crash any reporter
        flat = flat.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if len(flat) > limit:
        # cut between words where one ends near the limit: a token cut in half (an e-mail address's
        # "ann.lee.19…") can no longer be recognised, and so masked, by the redaction step
        space = flat.rfind(" ", max(0, limit - 61), limit)
        return (flat[:space] + " …") if space > 0 else flat[: limit - 1] + "…"
    return flat


def rank(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
