"""The HTML report: structure, plots present exactly when their data is, escaping, no network.

Checked without a browser, by parsing the page with ``html.parser``; the browser check is
``scripts/render_html_screenshot.py`` (headless Chromium), whose output is docs/report-screenshot.png.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

import ftlint
from ftlint.charts import report_charts
from ftlint.chartspec import Bars, ChartSpec, Clusters, Curve, Histogram, Marker, Projection, Series, Spread
from ftlint.cli import main
from ftlint.findings import Report
from ftlint.model import Affected, Finding, InputInfo, Location, Row, RuleOutcome, Severity
from ftlint.reporters import RenderOptions, get_renderer
from ftlint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chat-mistakes"
XSS = "<script>alert(1)</script>"
DOCS_PREFIX = "https://github.com/ftlint/ftlint/blob/main/rules/"


class Page(HTMLParser):
    """The parsed page: every element (tag, attributes, enclosing ids), the text, the URLs."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.texts: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.stack: list[str] = []
        self.svg_shapes: dict[str, list[str]] = {}  # chart id -> shape tags inside its svg
        self._chart: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        for k in ("src", "href", "action", "srcset", "poster", "data", "xlink:href"):
            if k in a:
                self.urls.append((tag, k, a[k]))
        if tag == "figure":
            self._chart.append(a.get("id", ""))
        if tag in ("rect", "circle", "line", "text", "path", "polyline") and self._chart:
            self.svg_shapes.setdefault(self._chart[-1], []).append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._chart:
            self._chart.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def tags(self, name: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == name]

    def charts(self) -> set[str]:
        return {i for i, shapes in self.svg_shapes.items() if shapes}


def render_html(report: Report, **kw: Any) -> tuple[str, Page]:
    text = get_renderer("html")(report, RenderOptions(**kw))
    return text, Page(text)


def assert_self_contained(page: Page, raw: str) -> None:
    assert not page.tags("script") and not page.tags("iframe") and not page.tags("img") and not page.tags("link")
    assert not page.tags("object") and not page.tags("embed")
    for tag, attr, url in page.urls:
        assert url.startswith("#") or (tag == "a" and url.startswith(DOCS_PREFIX)), (tag, attr, url)
    csp = [m for m in page.tags("meta") if m.get("http-equiv", "").lower() == "content-security-policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert "@import" not in raw and "url(" not in raw


# -- the example project ----------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(EXAMPLE, dest)
    with open(dest / "train.jsonl", "a", encoding="utf-8") as fh:  # markup in the data: must stay text
        row = {"messages": [{"role": "user", "content": f'{XSS} "><img src=x onerror=alert(2)> & co'},
                            {"role": "assistant", "content": ""}]}
        fh.write(json.dumps(row) + "\n")
    monkeypatch.chdir(dest)
    return dest


def test_example_report_structure(project: Path) -> None:
    report = ftlint.check(["train.jsonl"], config="train.yaml", no_cache=True)
    raw, page = render_html(report)
    assert raw.lstrip().lower().startswith("<!doctype html>")
    assert {"inputs", "not-checked", "charts", "findings", "rules"} <= page.ids
    # the summary header counts what the report counts
    s = report.summary
    tiles = page.text
    assert f"{s['error']}errors" in tiles.replace("\n", "").replace(" ", "")
    # one card per finding, in ranked order, each with its message and fix
    cards = [a for t, a in page.elements if t == "article"]
    assert len(cards) == len(report.findings)
    assert [c["id"] for c in cards] == [f"finding-{i + 1}" for i in range(len(report.findings))]
    for f in report.findings:
        assert f.code in page.text and f.fix in page.text
    assert page.text.index("FT003") < page.text.index("FT601")  # errors before warnings
    # example rows with their line numbers
    assert "train.jsonl:22" in page.text and "train.jsonl:36" in page.text
    # skipped rules, with why and how to enable them
    for o in report.outcomes:
        if o.outcome == "skipped":
            assert o.code in page.text and (o.reason or "") in page.text
    # plots: the length distribution (a training config gives the max length) and the duplicates
    assert {"chart-lengths"} <= page.charts()
    assert any(c.startswith("chart-dup-") for c in page.charts())
    assert "sequence_len = 2,048" in page.text
    assert_self_contained(page, raw)


def test_data_markup_is_escaped(project: Path) -> None:
    report = ftlint.check(["train.jsonl"], config="train.yaml", no_cache=True)
    assert any(XSS in r.snippet for f in report.findings for r in f.rows)
    raw, page = render_html(report)
    assert XSS in page.text  # shown as text ...
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw  # ... because it is escaped
    assert not page.tags("script") and not page.tags("img")
    assert "<img" not in raw and "onerror=alert(2)>" not in raw.replace("&gt;", "")


def test_cli_writes_html(project: Path) -> None:
    res = CliRunner().invoke(main, ["check", "train.jsonl", "--config", "train.yaml", "--no-cache",
                                    "--output-format", "html", "-o", "out/report.html",
                                    "--report", "html:out/second.html"])
    assert res.exit_code == 1, res.output
    for name in ("report.html", "second.html"):
        page = Page((project / "out" / name).read_text(encoding="utf-8"))
        assert len(page.tags("article")) > 0 and "chart-lengths" in page.charts()


def test_template_ships_in_the_package() -> None:
    res = importlib.resources.files("ftlint").joinpath("templates", "report.html.j2")
    assert res.is_file() and "autoescap" in res.read_text(encoding="utf-8").lower()


# -- plots appear exactly when their data is there ------------------------------------------------------

def test_labels_groups_and_duplicates_plots(write_jsonl: Any, tmp_path: Path) -> None:
    def row(i: int, label: str, lang: str) -> dict[str, Any]:
        return {"text": f"example number {i} " + "word " * (i % 37), "label": label, "language": lang}

    labels = ["billing"] * 40 + ["outage"] * 25 + ["<u>under</u>"] * 3
    rows = [row(i, lab, ["en", "de", XSS][i % 3]) for i, lab in enumerate(labels)]
    rows += [rows[0], rows[0], rows[5]]  # two duplicate clusters
    train = write_jsonl("train.jsonl", rows)
    val = write_jsonl("val.jsonl", [row(1000 + i, ["billing", "outage"][i % 2], "en") for i in range(20)])
    report = ftlint.check([train, val], no_cache=True)
    specs = {c.key: c for c in report.charts}
    assert set(specs["labels"].series) == {"train", "validation"}
    assert specs["group-language"].series["train"]
    raw, page = render_html(report)
    assert {"chart-lengths", "chart-labels", "chart-group-language"} <= page.charts()
    assert any(c.startswith("chart-dup-") for c in page.charts())
    assert "billing" in page.text and "<u>under</u>" in page.text and not page.tags("u")
    assert XSS in page.text and not page.tags("script")
    # no training config: the length plot has no limit line
    assert "No maximum sequence length known" in page.text
    assert_self_contained(page, raw)


def _finding(code: str, name: str, severity: Severity, metrics: dict[str, Any], rows: int = 0,
             split: str | None = "train", charts: list[ChartSpec] | None = None) -> Finding:
    rs = [Row("train.jsonl", "train", i, i + 1, f"fp{i}", f"snippet {i} {XSS}", {"reason": "<blink>why</blink>"})
          for i in range(rows)]
    return Finding(code, name, severity, f"{name} message <u>x</u>", f"{name} fix", Location("train.jsonl"),
                   rs, Affected(rows, rows / 100), metrics, fingerprint=code, split=split, charts=charts or [])


def lengths_spec(limit: int | None = 2048) -> Histogram:
    edges = tuple(float(e) for e in range(0, 4400, 100))
    counts = tuple(max(0, 50 - abs(i - 15) * 3) + (i % 5) for i in range(len(edges) - 1))
    return Histogram(
        "Example length per split", "tokens", edges, {"train": counts, "validation": counts},
        markers=tuple(Marker(float(limit), "max_seq_length", kind="limit", series=s) for s in ("train", "validation"))
        if limit else (),
        spreads={s: Spread(n, 1500.0, 2600.0, 4300.0, over=40 if limit else None) for s, n in (("train", 1000),
                                                                                            ("validation", 120))},
        note="Lengths counted with a tokenizer.", x_label="tokens per example", key="lengths")


def synthetic_report() -> Report:
    """Every kind of chart: lengths with a limit, labels, groups, duplicates, drift, fairness bars."""
    projection = Projection("Drift: train vs reference", {
        "train": tuple((i % 17 / 3, (i * 7) % 11 / 2) for i in range(300)),
        "reference": tuple((4 + i % 13 / 3, 3 + (i * 5) % 9 / 2) for i in range(200))}, method="PCA", key="drift")
    fairness = [
        Bars("shares", "share of rows", {"train": {"en": 0.81, "de": 0.12, "fr": 0.05, XSS: 0.02}}, values="share"),
        Bars("rates: refusal rate", "refusal rate", {"train": {"en": 0.02, "de": 0.11, "fr": 0.2}}, values="share"),
        Bars("label rates", "label rates", {"approve": {"en": 0.7, "de": 0.3}, "deny": {"en": 0.3, "de": 0.7}},
             values="share"),
    ]
    findings = [
        _finding("FT401", "distribution-drift", Severity.WARNING, {"distance": 0.31}, charts=[projection]),
        _finding("FT501", "group-imbalance", Severity.WARNING, {
            "shares": {"en": 0.81, "de": 0.12, "fr": 0.05, XSS: 0.02}, "weights": {"en": 0.4, "de": 2.1, "fr": 6.0}},
            rows=7, charts=list(fairness)),
        _finding("FT202", "near-duplicates", Severity.WARNING, {"group_count": 2}, rows=3,
                 charts=[Clusters("Near duplicates in train", (3, 2), ("train.jsonl:3, train.jsonl:4, train.jsonl:5",
                                                                       "train.jsonl:1, train.jsonl:2"), key="dup")]),
        _finding("FT003", "empty-field", Severity.ERROR, {"by_field": {"assistant": 3, "user": 1}}, rows=12,
                 charts=[Bars("by field", "rows", {"train": {"assistant": 3, "user": 1}})]),
    ]
    charts: list[ChartSpec] = [
        lengths_spec(),
        Bars("Label distribution", "labels", {"train": {"pos": 700, "neg": 300}}, key="labels"),
        Bars("Groups: language", "languages", {"train": {"en": 800, "de": 150, "fr": 50}}, key="group-language"),
    ]
    outcomes = [RuleOutcome("FT101", "too-few-examples", "ran", findings=0),
                RuleOutcome("FT602", "sequence-too-long", "skipped", "no training config given", "pass --config"),
                RuleOutcome("FT999", "broken-rule", "failed", "ZeroDivisionError: <boom>")]
    inputs = [InputInfo("train.jsonl", "dataset", "train", "openai_chat", 1000, "positional path"),
              InputInfo("org/<data>", "dataset", "validation", None, None, "training config",
                        {"loadable": False, "reason": "a Hugging Face Hub dataset"})]
    return Report(findings=findings, outcomes=outcomes, inputs=inputs, charts=charts,
                  timings={"total": 1.5, "load": 0.2})


def test_every_plot_when_its_data_is_present() -> None:
    report = synthetic_report()
    raw, page = render_html(report, max_rows=5)
    charts = page.charts()
    assert {"chart-lengths", "chart-labels", "chart-group-language", "chart-drift-finding-1",
            "chart-dup-finding-3"} <= charts
    assert page.svg_shapes["chart-drift-finding-1"].count("circle") == 500  # train + reference points
    assert "line" in page.svg_shapes["chart-lengths"]  # the max-length marker
    assert "max_seq_length = 2,048" in page.text
    # per-group shares and rates from a fairness finding: bar charts in its card
    assert {"m-finding-2-shares", "m-finding-2-rates-refusal-rate", "m-finding-2-label-rates"} <= charts
    assert page.svg_shapes["m-finding-2-label-rates"].count("rect") == 4  # 2 groups x 2 labels
    # a per-kind count in a finding's metrics
    assert "m-finding-4-by-field" in charts
    # up to max_rows examples, then every row behind a <details>
    card = raw[raw.index('id="finding-4"'):]
    assert card.count("train.jsonl:") >= 12 and "All 12 rows" in page.text
    # a failed rule and an input that could not be loaded are visible
    assert "failed" in page.text and "ZeroDivisionError: <boom>" in page.text
    assert "not loaded: a Hugging Face Hub dataset" in page.text
    assert "1 rule failed" in page.text
    # data strings are text, never markup
    assert not page.tags("script") and not page.tags("u") and not page.tags("blink")
    assert XSS in page.text and "<blink>why</blink>" in page.text and "message <u>x</u>" in page.text
    assert_self_contained(page, raw)


def test_no_plots_without_data() -> None:
    report = Report(findings=[], outcomes=[RuleOutcome("FT001", "unreadable-record", "ran")],
                    inputs=[InputInfo("a.jsonl", "dataset", "train", "openai_chat", 3, "positional path")])
    raw, page = render_html(report)
    assert not page.tags("svg") and "charts" not in page.ids and "not-checked" not in page.ids
    assert "No findings" in page.text and "all checks passed" in page.text
    assert_self_contained(page, raw)


def test_a_length_plot_without_a_limit_and_a_finding_without_rows() -> None:
    report = synthetic_report()
    report.charts[0] = lengths_spec(limit=None)
    report.findings = [_finding("FT104", "missing-validation-split", Severity.ERROR, {"configured": False})]
    _raw, page = render_html(report)
    assert "chart-lengths" in page.charts() and "max_seq_length" not in page.text
    assert not [c for c in page.charts() if c.startswith("m-")]
    assert "—" in page.text  # affected: not applicable


def test_metrics_are_never_plotted() -> None:
    """The report plots typed chart specs only: a finding's metrics, whatever their shape or name,
    and a rule code the report once knew (FT102's label counts, FT602's limit) draw nothing."""
    projection = {"train": [[0, 0], [1, 1]], "reference": [[2, 2]]}
    findings = [
        _finding("FT401", "task-drift", Severity.WARNING, {"projection": projection, "pca": projection}),
        _finding("FT102", "too-few-per-class", Severity.WARNING, {"counts": {"a": 30, "b": 2}, "small": {"b": 2}}),
        _finding("FT201", "exact-duplicates", Severity.WARNING, {"groups": [[["t.jsonl", 0], ["t.jsonl", 1]]]}),
        _finding("FT602", "sequence-too-long", Severity.WARNING, {"max_length": 128, "by_kind": {"a": 1, "b": 2}}),
    ]
    report = Report(findings=findings, outcomes=[], inputs=[], charts=[lengths_spec(limit=None)])
    _raw, page = render_html(report)
    assert page.charts() == {"chart-lengths"}
    assert "= 128" not in page.text


def test_the_html_reporter_plots_typed_specs_only() -> None:
    """html.py, plots.py and svg.py know no rule code, and read a finding's metrics only to list its
    scalar values as text: every plot comes from a chart spec."""
    import ast

    reporters = ROOT / "src" / "ftlint" / "reporters"
    for name in ("html.py", "plots.py", "svg.py"):
        text = (reporters / name).read_text(encoding="utf-8")
        assert not re.search(r"\bFT\d{3}\b", text), f"{name} names a rule"
        tree = ast.parse(text)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("metrics", "extra") and name != "html.py":
                raise AssertionError(f"{name}:{node.lineno} reads .{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr == "metrics":
                call = parents.get(node)
                assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                    call.func.id == "_scalar_metrics", f"{name}:{node.lineno} reads metrics for something else"


def test_a_metric_is_a_percentage_when_its_rule_says_it_is_a_share() -> None:
    """The chips show each metric in the unit its rule declares (Rule.metric_units -> Finding.units),
    whatever its name: a share as a percentage, anything else as a number."""
    from ftlint.model import Unit

    shares = _finding("FX101", "plugin-rule", Severity.WARNING, {"ratio": 0.25, "fraction": 0.5, "rows": 3})
    shares.units = {"ratio": Unit.SHARE}
    _raw, page = render_html(Report(findings=[shares], outcomes=[], inputs=[]))
    assert "ratio: 25.0%" in page.text and "fraction: 0.5" in page.text and "rows: 3" in page.text
    # a built-in rule's declared shares reach its findings
    from ftlint.rules.duplicates import ExactDuplicates

    finding = ExactDuplicates().finding("m", "f", metrics={"duplicate_fraction": 0.1})
    assert finding.units == {"duplicate_fraction": Unit.SHARE}


def test_html_names_no_metric_key() -> None:
    """html.py picks a metric's unit from the finding's typed units, not from the metric's name."""
    text = (ROOT / "src" / "ftlint" / "reporters" / "html.py").read_text(encoding="utf-8")
    assert not re.search(r"[\"'][a-z_]*(fraction|share)[a-z_]*[\"']", text)
    assert ".startswith(\"FT\")" not in text


# -- one builder per chart kind --------------------------------------------------------------------------

def _svgs(raw: str) -> list[ET.Element]:
    """Every <svg> of the page, parsed as XML (so each is well-formed)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", raw, flags=re.S)]


def _one_chart(spec: ChartSpec) -> tuple[str, Page, ET.Element]:
    report = Report(findings=[], outcomes=[], inputs=[], charts=[spec])
    raw, page = render_html(report)
    svgs = _svgs(raw)
    assert len(svgs) == 1 and len(page.charts()) == 1
    assert_self_contained(page, raw)
    return raw, page, svgs[0]


def _tags(svg: ET.Element, tag: str) -> list[ET.Element]:
    return [e for e in svg.iter() if e.tag.rsplit("}", 1)[-1] == tag]


def _titles(svg: ET.Element, of: str = "") -> list[str]:
    """The tooltips of the shapes (of one tag)."""
    return [t.text or "" for e in svg.iter() if not of or e.tag.rsplit("}", 1)[-1] == of
            for t in e if t.tag.rsplit("}", 1)[-1] == "title"]


def test_histogram_chart() -> None:
    _raw, page, svg = _one_chart(lengths_spec())
    assert page.charts() == {"chart-lengths"} and "Example length per split" in page.text
    # every non-empty bin of both panels is a bar; the ones above the limit are red
    bins = sum(1 for c in lengths_spec().series["train"] if c)
    bars = [r for r in _tags(svg, "rect") if r.get("class") != "panel"]
    assert len(bars) == 2 * bins
    assert any(r.get("class") == "bar-over" for r in bars) and any(r.get("fill") == "#2563eb" for r in bars)
    assert "max_seq_length = 2,048 · 40 over (4.0%)" in page.text
    assert "train · 1,000 examples · median 1,500" in page.text


def test_bars_chart() -> None:
    spec = Bars("Label distribution", "labels per split", {"train": {"pos": 70, "neg": 30}, "validation":
                                                            {"pos": 5, "neg": 5, XSS: 1}}, normalize=True, key="labels")
    _raw, page, svg = _one_chart(spec)
    assert page.charts() == {"chart-labels"}
    assert len(_tags(svg, "rect")) == 6  # 3 categories x 2 series
    assert "train: pos: 70 (70%)" in _titles(svg, "rect") and "validation: neg: 5 (45%)" in _titles(svg, "rect")
    assert XSS in page.text and "Bars are each split's share." in page.text
    # shares are shown as percentages, with no count
    _, page, svg = _one_chart(Bars("rates", "rate", {"train": {"a": 0.25, "b": 0.5}}, values="share"))
    assert sorted(_titles(svg, "rect")) == ["a: 25.0%", "b: 50.0%"]


def test_clusters_chart() -> None:
    spec = Clusters("Exact duplicates in train", (12, 3, 2, 2), ("a.jsonl:1, a.jsonl:9 … +10", "a.jsonl:4, a.jsonl:5, "
                    "a.jsonl:8"), note="4 clusters in train; 15 redundant copies to drop (1.5%).", key="dup")
    _raw, page, svg = _one_chart(spec)
    assert page.charts() == {"chart-dup"}
    assert sorted(_titles(svg, "rect")) == ["1 clusters of 10+ examples", "1 clusters of 3 examples",
                                    "2 clusters of 2 examples"]
    assert "a.jsonl:1, a.jsonl:9 … +10" in page.text and "15 redundant copies" in page.text


def test_projection_chart() -> None:
    spec = Projection("Drift: train vs reference", {"train": ((0.0, 0.0), (1.0, 1.0), (float("nan"), 1.0)),
                                                    "reference": ((2.0, 2.0),)}, method="PCA", key="drift")
    raw, page, svg = _one_chart(spec)
    dots = _tags(svg, "circle")
    assert len(dots) == 3  # the point that is not a number is left out
    assert {d.get("fill") for d in dots} == {"#2563eb", "#db2777"}  # train, reference
    assert "train (2 points)" in page.text and "2-D projection (PCA)" in raw


def test_curve_chart() -> None:
    """A run's loss curves: a line per series, the learning rate on a right axis, and markers for the
    minimum (with its y), a spike, the checkpoints and the best checkpoint; a NaN breaks the line."""
    train = tuple((float(s), 2.5 / (1 + s / 50) + (3.0 if s == 120 else 0.0)) for s in range(0, 400, 2))
    train = train[:50] + ((100.0, float("nan")),) + train[51:]
    evals = tuple((float(s), 2.4 / (1 + s / 60) + max(0.0, (s - 250) / 400)) for s in range(0, 400, 50))
    lr = tuple((float(s), 2e-4 * (1 - s / 400)) for s in range(0, 400, 10))
    best = min(evals, key=lambda p: p[1])
    spec = Curve("Loss", "step", "loss", (Series("train loss", train), Series("eval loss", evals),
                                            Series("learning rate", lr, axis="right")),
                 markers=(Marker(best[0], "minimum", kind="minimum", y=best[1], series="eval loss"),
                          Marker(120.0, "spike", kind="spike"), Marker(200.0, "checkpoint-200", kind="checkpoint"),
                          Marker(best[0], "best", kind="best")),
                 note="Training and evaluation loss.", y2_label="learning rate", key="loss")
    _raw, page, svg = _one_chart(spec)
    assert page.charts() == {"chart-loss"}
    lines = [p for p in _tags(svg, "polyline") if p.get("class") == "series-line"]
    assert len(lines) == 4  # train loss in two pieces around the NaN, eval loss, learning rate
    points = [len(p.get("points", "").split()) for p in lines]
    assert sorted(points) == sorted([50, len(train) - 51, len(evals), len(lr)])
    colors = {p.get("stroke") for p in lines}
    assert len(colors) == 3
    markers = [ln for ln in _tags(svg, "line") if ln.get("class") == "marker"]
    assert len(markers) == 4 and {"#15803d", "#c62828", "#6b7280", "#2563eb"} == {m.get("stroke") for m in markers}
    dot = [c for c in _tags(svg, "circle") if c.get("class") == "marker-dot"]
    assert len(dot) == 1 and f"minimum (step {best[0]:,.0f}, {best[1]:.3g})" in _titles(svg)
    assert "learning rate (right axis)" in page.text and "Training and evaluation loss." in page.text
    # the right axis' ticks are the learning rate's scale, not the loss'
    ticks = [t.text for t in _tags(svg, "text") if t.get("class") == "tick" and t.get("text-anchor") == "start"]
    assert {"0.0001", "0.0002"} <= set(ticks) and not {"1", "2"} & set(ticks), ticks


def test_crowded_curve_markers_keep_their_tooltips() -> None:
    pts = tuple((float(s), 1.0 / (1 + s)) for s in range(3000))
    marks = tuple(Marker(float(s), f"checkpoint-{s}", kind="checkpoint") for s in range(100, 3001, 100))
    _, _, svg = _one_chart(Curve("Loss", "step", "loss", (Series("train loss", pts),), markers=marks))
    lines = [ln for ln in _tags(svg, "line") if ln.get("class") == "marker"]
    labels = [t for t in _tags(svg, "text") if ((t.text or "") + "".join(c.tail or "" for c in t)).startswith("check")]
    assert len(lines) == 30 and 2 <= len(labels) < 30  # the labels that fit, in two rows
    assert "checkpoint-2900 (step 2,900)" in _titles(svg, "line")


def test_a_long_curve_is_thinned_and_keeps_its_spike() -> None:
    pts = tuple((float(i), 1.0 + (50.0 if i == 7777 else 0.0)) for i in range(20_000))
    _, _, svg = _one_chart(Curve("Loss", "step", "loss", (Series("train loss", pts),)))
    line = next(p for p in _tags(svg, "polyline"))
    ys = [float(xy.split(",")[1]) for xy in line.get("points", "").split()]
    assert len(ys) <= 1300 and min(ys) < max(ys)  # the spike is still drawn


def test_a_curve_on_a_log_axis() -> None:
    spec = Curve("Loss", "step", "loss", (Series("train loss", ((0.0, 10.0), (1.0, 1.0), (2.0, 0.0), (3.0, 0.1))),),
                 log_y=True)
    _raw, page, svg = _one_chart(spec)
    # the 0 cannot be drawn on a log axis: a gap, then a lone point (a dot)
    assert len(_tags(svg, "polyline")) == 1 and len(_tags(svg, "circle")) == 1
    assert "loss (log scale)" in page.text


def test_nothing_to_draw() -> None:
    empty: list[ChartSpec] = [Histogram("h", "tokens", (0.0, 1.0), {}), Bars("b", "b", {"train": {}}),
                              Clusters("c", ()), Projection("p", {"a": ((0.0, 0.0),)}),
                              Curve("c", "x", "y", (Series("s", ((0.0, float("nan")),)),))]
    report = Report(findings=[_finding("FT201", "x", Severity.WARNING, {}, charts=empty)], outcomes=[], inputs=[],
                    charts=empty)
    _raw, page = render_html(report)
    assert not page.tags("svg")


def test_chart_anchors_are_unique() -> None:
    spec = Clusters("Groups", (2, 2), key="dup")
    report = Report(findings=[_finding("FT201", "x", Severity.WARNING, {}, charts=[spec, spec])], outcomes=[],
                    inputs=[], charts=[])
    _, page = render_html(report)  # Page asserts that no id is used twice
    assert {"chart-dup-finding-1", "chart-dup-finding-1-2"} <= page.charts()


# -- the report-wide charts (ftlint.charts, from the engine) --------------------------------------------

def _specs(report: Report) -> dict[str, Any]:
    return {c.key: c for c in report.charts}


def test_report_charts_lengths_against_the_limit(write_jsonl: Any) -> None:
    rows = [{"messages": [{"role": "user", "content": "q " * n}, {"role": "assistant", "content": "a"}]}
            for n in (10, 20, 40, 4000)]
    path = write_jsonl("train.jsonl", rows)
    report = ftlint.check([path], no_cache=True)
    lengths = _specs(report)["lengths"]
    assert isinstance(lengths, Histogram) and lengths.unit == "tokens" and sum(lengths.series["train"]) == 4
    assert len(lengths.edges) == len(lengths.series["train"]) + 1 and not lengths.markers
    # no charts unless asked (the CLI asks when it writes an HTML report)
    assert ftlint.check([path], no_cache=True, charts=False).charts == []
    # with a plan's limit: the rows over it are counted
    from ftlint.context import Context
    from ftlint.data.load import load_dataset_file
    from ftlint.settings import Settings

    ds = load_dataset_file(path, "train", "test", {}, None, None)
    seq = SimpleNamespace(unlimited=False, max_length=SimpleNamespace(value=256, key="max_seq_length"),
                          eval_max_length=SimpleNamespace(value=None))
    ctx = Context({"train": ds}, Settings(), plan=SimpleNamespace(sequence=seq))
    specs, errors = report_charts(ctx)
    hist = specs[0]
    assert isinstance(hist, Histogram) and not errors
    assert hist.markers == (Marker(256.0, "max_seq_length", kind="limit", series="train"),)
    assert hist.spreads["train"].over == 1


def test_the_limit_a_rule_checked_is_drawn_without_a_config(write_jsonl: Any, tmp_path: Path) -> None:
    """FT602 with its max-length option and no training config: the length plot marks that limit."""
    from ftlint.settings import settings_from_dict

    rows = [{"messages": [{"role": "user", "content": "q " * n}, {"role": "assistant", "content": "a"}]}
            for n in (10, 20, 40, 4000)]
    path = write_jsonl("train.jsonl", rows)
    settings = settings_from_dict({"rules": {"sequence-too-long": {"max-length": 500}}}, tmp_path)
    settings.cache = False
    report = ftlint.check([path], settings=settings, select=["FT602"])
    assert [f.code for f in report.findings] == ["FT602"]
    lengths = _specs(report)["lengths"]
    assert [(m.x, m.kind, m.series) for m in lengths.markers] == [(500.0, "limit", "train")]
    assert lengths.spreads["train"].over == 1
    _, page = render_html(report)
    assert "max length = 500 · 1 over (25.0%)" in page.text


def test_report_charts_never_raise() -> None:
    class Broken:
        splits = ["train"]
        plan = None

        def dataset(self, split: str) -> Any:
            raise RuntimeError("boom")

        def labels(self, split: str) -> Any:
            raise RuntimeError("boom")

    specs, errors = report_charts(Broken())
    assert specs == [] and set(errors) == {"lengths", "labels", "groups"}


def test_report_charts_reuse_the_rules_token_counts(write_jsonl: Any) -> None:
    """Tokenizer counts a rule already computed (FT602) are plotted; rows that provably fit the
    limit (not tokenised: an upper bound) are drawn at the estimate, never above that bound."""
    import numpy as np

    from ftlint.context import Context
    from ftlint.data.load import load_dataset_file
    from ftlint.settings import Settings

    rows = [{"messages": [{"role": "user", "content": "q " * n}, {"role": "assistant", "content": "a"}]}
            for n in (10, 20, 40, 4000)]
    ds = load_dataset_file(write_jsonl("train.jsonl", rows), "train", "test", {}, None, None)
    seq = SimpleNamespace(unlimited=False, max_length=SimpleNamespace(value=100, key="max_length"),
                          eval_max_length=SimpleNamespace(value=None))
    ctx = Context({"train": ds}, Settings(), plan=SimpleNamespace(sequence=seq))
    counted = SimpleNamespace(lengths=np.array([30, 60, 100, 2500]), exact=np.array([False, False, False, True]),
                              method="tokenizer", source="the tokenizer in ./tok")
    from ftlint.features.tokens import split_token_lengths

    ctx.remember(counted, split_token_lengths, "train", None, limit=100)
    hist = report_charts(ctx)[0][0]
    assert isinstance(hist, Histogram)
    assert hist.unit == "tokens" and "counted with the tokenizer in ./tok" in hist.note
    assert hist.spreads["train"].over == 1 and hist.spreads["train"].max == 2500
    assert hist.spreads["train"].median <= 100


# -- the same charts as before the typed specs ------------------------------------------------------------

#: (chart anchor, title) of the HTML report, taken before the charts became typed specs (when html.py
#: still found them in metrics); the specs must draw the same ones
EXAMPLE_CHARTS = {("chart-lengths", "Example length per split"),
                  ("chart-dup-finding-6", "Exact duplicates in train (FT201)")}
DBPEDIA_CHARTS = {("chart-labels", "Label distribution"), ("chart-lengths", "Example length per split"),
                  ("m-finding-2-small", "small"), ("m-finding-6-counts", "counts"), ("m-finding-6-prompts", "prompts"),
                  ("m-finding-6-rows-with-terms", "rows with terms")}


def _chart_titles(raw: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<figure class="chart-card[^"]*" id="([^"]+)">\s*<figcaption class="chart-title">([^<]*)',
                          raw))


def test_the_example_shows_the_same_charts_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "proj"
    shutil.copytree(EXAMPLE, dest)
    monkeypatch.chdir(dest)
    raw, page = render_html(ftlint.check(["train.jsonl"], config="train.yaml", no_cache=True))
    assert {(i, t.strip()) for i, t in _chart_titles(raw)} == EXAMPLE_CHARTS
    assert page.charts() == {i for i, _ in EXAMPLE_CHARTS}


def test_a_corpus_file_shows_the_same_charts_as_before(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    path = corpus_dir / "openai__openai-cookbook" / "examples__data__dbpedia_samples.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not in the corpus")
    monkeypatch.chdir(tmp_path)
    settings = Settings(root=tmp_path, cache=False)
    raw, page = render_html(ftlint.check([path], select=["ALL"], settings=settings))
    assert {(i, t.strip()) for i, t in _chart_titles(raw)} == DBPEDIA_CHARTS
    assert page.charts() == {i for i, _ in DBPEDIA_CHARTS}


# -- in a browser ---------------------------------------------------------------------------------------

def _chromium() -> str | None:
    """Chromium as scripts/render_html_screenshot.py finds it ($CHROMIUM, then the usual names)."""
    import os

    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
    return os.environ.get("CHROMIUM") or next((p for p in (shutil.which(n) for n in names) if p), None)


def test_the_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    """Every chart kind in one page, screenshotted by headless Chromium (offline: a fresh profile,
    no background networking): the page loads and draws."""
    import subprocess

    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium installed (`which chromium` finds none, $CHROMIUM unset): the browser check is "
                    "skipped")
    report = synthetic_report()
    report.charts.append(Curve("Loss", "step", "loss", (Series("train loss", tuple((float(s), 3 / (1 + s)) for s in
                                                                                   range(100))),),
                               markers=(Marker(60.0, "checkpoint-60", kind="checkpoint"),), key="loss"))
    page = tmp_path / "report.html"
    page.write_text(get_renderer("html")(report, RenderOptions()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    res = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                          f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2400",
                          page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a page with plots, not a blank one
