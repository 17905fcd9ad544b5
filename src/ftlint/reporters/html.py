"""A self-contained HTML report: summary, ranked findings, rule outcomes and inline SVG plots.

One file, no network at view time: inline CSS, no scripts, no fonts or images from anywhere,
and a Content-Security-Policy that forbids loading anything. The plots are SVG whose geometry is
computed in Python (shapes with coordinates: :mod:`ftlint.reporters.svg`); the template
(``templates/report.html.j2``, rendered by jinja2 with autoescaping on) only writes them out, so
every string from the data — labels, group names, snippets, messages — is escaped in one place.

This module is the page's view model. It plots only typed chart specs (:mod:`ftlint.chartspec`),
each drawn by its kind's builder (:mod:`ftlint.reporters.plots`), and reads no metric to find
something to plot:

* the report-wide charts (``Report.charts``: lengths per split, labels, groups, from the engine)
  head the page, in their order;
* a finding's charts (``Finding.charts``): bar charts in the finding's card; every other kind
  (clusters, projections, histograms, curves) on the page under the report-wide ones, titled
  with the finding's code and linked to its card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from ftlint._version import __version__
from ftlint.chartspec import Bars, ChartSpec
from ftlint.model import Finding, Row, Unit
from ftlint.printable import printable_report
from ftlint.reporters._common import RenderOptions, location_of
from ftlint.reporters.plots import Chart, build, slug
from ftlint.reporters.svg import cut, num

if TYPE_CHECKING:
    import jinja2

    from ftlint.findings import Report
    from ftlint.rule import Rule

TEMPLATE = "report.html.j2"
DOCS_URL = "https://github.com/ftlint/ftlint/blob/main/rules/{code}.md"
#: rows listed in a finding's collapsible "all rows" table (the JSON report has every one)
MAX_ALL_ROWS = 500
#: bar charts in one finding's card (the first ones its rule gave)
MAX_CARD_CHARTS = 3
#: width of a bar chart in a finding's card
CARD_CHART_WIDTH = 480


# -- charts -----------------------------------------------------------------------------------------

def _unique(chart_id: str, taken: set[str]) -> str:
    out, n = chart_id, 2
    while out in taken:
        out, n = f"{chart_id}-{n}", n + 1
    taken.add(out)
    return out


def _key(spec: ChartSpec) -> str:
    return slug(spec.key or spec.title)


def report_charts(report: Report, taken: set[str]) -> list[Chart]:
    """The report-wide charts: ``chart-<key>``."""
    out = []
    for spec in report.charts:
        c = build(spec)
        if c is not None:
            c.id = _unique(f"chart-{_key(spec)}", taken)
            out.append(c)
    return out


def finding_page_charts(f: Finding, anchor: str, taken: set[str]) -> list[Chart]:
    """A finding's charts other than bars, shown on the page: ``chart-<key>-<anchor>``, titled with
    its code and linked to its card."""
    out = []
    for spec in f.charts:
        if isinstance(spec, Bars):
            continue
        c = build(spec)
        if c is not None:
            c.id = _unique(f"chart-{_key(spec)}-{anchor}", taken)
            c.title = f"{c.title} ({f.code})"
            c.link = anchor
            out.append(c)
    return out


def finding_card_charts(f: Finding, anchor: str, taken: set[str]) -> list[Chart]:
    """A finding's bar charts, in its card: ``m-<anchor>-<key>``."""
    out: list[Chart] = []
    for spec in f.charts:
        if not isinstance(spec, Bars) or len(out) == MAX_CARD_CHARTS:
            continue
        c = build(spec, width=CARD_CHART_WIDTH)
        if c is not None:
            c.id = _unique(f"m-{anchor}-{_key(spec)}", taken)
            out.append(c)
    return out


# -- the page's view model ------------------------------------------------------------------------

@dataclass
class RowView:
    where: str
    split: str
    detail: str
    snippet: str


@dataclass
class FindingView:
    anchor: str
    severity: str
    code: str
    name: str
    message: str
    fix: str
    where: str
    split: str
    affected: int
    fraction: float
    has_rows: bool
    examples: list[RowView]
    all_rows: list[RowView]
    rows_total: int
    metrics: list[tuple[str, str]]
    charts: list[Chart]  # its bar charts
    docs: list[tuple[str, str]]
    doc_url: str
    plots: list[tuple[str, str]] = field(default_factory=list)  # page-level plots of this finding: (id, title)


def _is_number(v: Any) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _detail(r: Row) -> str:
    named = r.detail()
    if named is not None:
        return named
    e = r.extra if isinstance(r.extra, dict) else {}
    parts = []  # no named detail: the row's first scalar extras, as they are
    for k, v in e.items():
        if isinstance(v, (str, int, float, bool)):
            parts.append(f"{k.replace('_', ' ')}: {num(v) if _is_number(v) else v}")
        if len(parts) == 4:
            break
    return ", ".join(parts)


def _row_view(r: Row) -> RowView:
    where = f"{r.path}:{r.line}" if r.line else f"{r.path}#{r.index}"
    return RowView(where, r.split, _detail(r), r.snippet)


def _scalar_metrics(metrics: dict[str, Any], units: dict[str, Unit]) -> list[tuple[str, str]]:
    """The finding's scalar metrics as chips, each in the unit its rule declares (a share as a
    percentage)."""
    out = []
    for k, v in metrics.items():
        if v is None or isinstance(v, (dict, list)):
            continue
        if _is_number(v) and units.get(k) is Unit.SHARE:
            shown = f"{v:.1%}"
        elif _is_number(v):
            shown = num(v)
        else:
            shown = cut(str(v), 80)
        out.append((k.replace("_", " "), shown))
    return out[:10]


def _docs(rule: type[Rule] | None) -> list[tuple[str, str]]:
    if rule is None:
        return []
    try:
        sections = rule.doc_sections()
    except Exception:  # noqa: BLE001 - a plugin rule's docstring: the report shows no docs rather than fail
        return []
    keep = ("What it does", "Why it matters", "How to fix")
    return [(t, sections[t]) for t in keep if sections.get(t)]


def _finding_view(f: Finding, i: int, report: Report, options: RenderOptions, rules: dict[str, type[Rule]],
                  taken: set[str]) -> FindingView:
    anchor = f"finding-{i + 1}"
    path, line = location_of(f, report)
    where = f"{path}:{line}"
    if f.location.key:
        where += f" ({f.location.key})"
    rule = rules.get(f.code)
    return FindingView(
        anchor=anchor, severity=f.severity.label, code=f.code, name=f.name, message=f.message, fix=f.fix,
        where=where, split=f.split or "", affected=f.affected.count, fraction=f.affected.fraction,
        has_rows=bool(f.rows),
        examples=[_row_view(r) for r in f.rows[: max(options.max_rows, 0)]],
        all_rows=[_row_view(r) for r in f.rows[:MAX_ALL_ROWS]] if len(f.rows) > options.max_rows else [],
        rows_total=len(f.rows),
        metrics=_scalar_metrics(f.metrics, f.units),
        charts=finding_card_charts(f, anchor, taken),
        docs=_docs(rule),
        doc_url=DOCS_URL.format(code=f.code) if rule is not None and rule.source == "builtin" else "",
    )


def _inputs(report: Report) -> list[dict[str, Any]]:
    out = []
    for i in report.inputs:
        notes = []
        if i.extra.get("loadable") is False:
            notes.append(f"not loaded: {i.extra.get('reason') or 'not loadable'}")
        for k, v in i.extra.items():
            if k in ("loadable", "reason", "from_config") or v is None or isinstance(v, (dict, list)):
                continue
            notes.append(f"{k.replace('_', ' ')}: {v}")
        out.append({
            "path": i.path, "role": i.role.replace("_", " "), "split": i.split or "",
            "format": i.format or "", "records": "" if i.records is None else f"{i.records:,}",
            "source": i.split_source or "", "notes": "; ".join(notes), "missing": i.extra.get("loadable") is False,
        })
    return out


def view(report: Report, options: RenderOptions) -> dict[str, Any]:
    """Everything the template shows, as plain values (strings are escaped by the template, and
    control and bidi characters from the data shown as ``<U+XXXX>`` first)."""
    report = printable_report(report)
    rules = {r.code: r for r in report.rules}
    taken: set[str] = set()
    charts = report_charts(report, taken)
    for i, f in enumerate(report.findings):
        charts += finding_page_charts(f, f"finding-{i + 1}", taken)
    half = [c for c in charts if not c.wide]
    if len(half) % 2 == 1:
        half[-1].wide = True  # no hole in the two-column grid: the last one takes the full row
    findings = [_finding_view(f, i, report, options, rules, taken) for i, f in enumerate(report.findings)]
    for fv in findings:
        fv.plots = [(c.id, c.title) for c in charts if c.link == fv.anchor]
    s = report.summary
    failed = [o for o in report.outcomes if o.outcome == "failed"]
    skipped = [o for o in report.outcomes if o.outcome == "skipped"]
    ran = [o for o in report.outcomes if o.outcome == "ran"]
    levels = {"error": 3, "warning": 2, "info": 1}
    threshold = levels.get(options.fail_on)
    failing = bool(failed) or (threshold is not None and any(levels[f.severity] >= threshold for f in findings))
    if failed:
        status = ("failed", f"{len(failed)} rule{'s' if len(failed) != 1 else ''} failed (a bug in ftlint)")
    elif failing:
        status = ("fail", f"fails at --fail-on {options.fail_on}")
    elif findings:
        status = ("warn", f"passes at --fail-on {options.fail_on}")
    elif any(i.role == "dataset" and i.extra.get("loadable") is False for i in report.inputs):
        status = ("warn", "a named dataset was not loaded")  # never "all passed" over unread data
    else:
        status = ("pass", "all checks passed")
    datasets = [i for i in report.inputs if i.role == "dataset" and i.records is not None]
    config = next((i for i in report.inputs if i.role == "training_config"), None)
    subtitle = [f"{sum(i.records or 0 for i in datasets):,} records in {len(datasets)} file"
                f"{'s' if len(datasets) != 1 else ''}"]
    splits = sorted({i.split for i in datasets if i.split}, key=lambda x: ("train", "validation", "test").index(x)
                    if x in ("train", "validation", "test") else 9)
    if splits:
        subtitle.append("splits: " + ", ".join(splits))
    if config is not None:
        fw = config.extra.get("framework")
        subtitle.append(f"training config {config.path}" + (f" ({fw})" if fw else ""))
    outcomes = [{"outcome": o.outcome, "code": o.code, "name": o.name, "reason": o.reason or "",
                 "fix": o.fix or "", "seconds": f"{o.seconds:.3f}", "findings": o.findings}
                for o in failed + skipped + ran]
    not_checked: list[dict[str, Any]] = [
        {"outcome": "failed", "rules": [(o.code, o.name)], "reason": o.reason or "", "fix": o.fix or ""}
        for o in failed]
    by_reason: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for o in skipped:
        by_reason.setdefault((o.reason or "skipped", o.fix or ""), []).append((o.code, o.name))
    not_checked += [{"outcome": "skipped", "rules": codes, "reason": reason, "fix": fix}
                    for (reason, fix), codes in by_reason.items()]
    timings = sorted(((k, v) for k, v in report.timings.items() if k != "total"), key=lambda kv: -kv[1])[:15]
    return {
        "version": __version__,
        "status": status,
        "summary": {"error": s["error"], "warning": s["warning"], "info": s["info"],
                    "suppressed": s.get("suppressed", 0), "total": len(findings),
                    "ran": len(ran), "skipped": len(skipped), "failed": len(failed)},
        "subtitle": " · ".join(subtitle),
        "inputs": _inputs(report),
        "charts": charts,
        "findings": findings,
        "outcomes": outcomes,
        "not_checked": not_checked,
        "notes": list(report.notes),
        "timings": [(k, f"{v:.3f}") for k, v in timings],
        "total_seconds": f"{report.timings.get('total', 0.0):.2f}",
        "max_rows": options.max_rows,
        "max_all_rows": MAX_ALL_ROWS,
        "chart_errors": report.chart_errors,
    }


def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ftlint", "templates"),
        autoescape=True,  # every string from the data is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = lambda v: f"{v:.1%}"
    env.filters["num"] = num
    return env


def render(report: Report, options: RenderOptions) -> str:
    return _environment().get_template(TEMPLATE).render(**view(report, options))
