"""The HTML report: structure, plots present exactly when their data is, escaping, no network.

Checked without a browser, by parsing the page with ``html.parser``; the browser check is
``scripts/render_html_screenshot.py`` (headless Chromium), whose output is docs/report-screenshot.png.
"""

from __future__ import annotations

import importlib.resources
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

import ftlint
from ftlint.charts import chart_data
from ftlint.cli import main
from ftlint.findings import Affected, Finding, InputInfo, Location, Report, Row, RuleOutcome
from ftlint.reporters import RenderOptions, get_renderer
from ftlint.reporters.html import projection_sets
from ftlint.rule import Severity

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

@pytest.fixture()
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
    assert set(report.charts["labels"]["splits"]) == {"train", "validation"}
    assert report.charts["groups"]["splits"]["train"]["language"]
    raw, page = render_html(report)
    assert {"chart-lengths", "chart-labels", "chart-group-language"} <= page.charts()
    assert any(c.startswith("chart-dup-") for c in page.charts())
    assert "billing" in page.text and "<u>under</u>" in page.text and not page.tags("u")
    assert XSS in page.text and not page.tags("script")
    # no training config: the length plot has no limit line
    assert "No maximum sequence length known" in page.text
    assert_self_contained(page, raw)


def _finding(code: str, name: str, severity: Severity, metrics: dict[str, Any], rows: int = 0,
             split: str | None = "train") -> Finding:
    rs = [Row("train.jsonl", "train", i, i + 1, f"fp{i}", f"snippet {i} {XSS}", {"reason": "<blink>why</blink>"})
          for i in range(rows)]
    return Finding(code, name, severity, f"{name} message <u>x</u>", f"{name} fix", Location("train.jsonl"),
                   rs, Affected(rows, rows / 100), metrics, fingerprint=code, split=split)


def synthetic_report() -> Report:
    """Every plot's data: lengths with a limit, labels, groups, duplicates, drift, fairness shares."""
    findings = [
        _finding("FT401", "distribution-drift", Severity.WARNING, {
            "projection": {"train": [[i % 17 / 3, (i * 7) % 11 / 2] for i in range(300)],
                           "reference": [[4 + i % 13 / 3, 3 + (i * 5) % 9 / 2] for i in range(200)]},
            "distance": 0.31}),
        _finding("FT501", "group-imbalance", Severity.WARNING, {
            "shares": {"en": 0.81, "de": 0.12, "fr": 0.05, XSS: 0.02},
            "rates": {"en": {"refusal_rate": 0.02}, "de": {"refusal_rate": 0.11}, "fr": {"refusal_rate": 0.2}},
            "label_rates": {"approve": {"en": 0.7, "de": 0.3}, "deny": {"en": 0.3, "de": 0.7}},
            "weights": {"en": 0.4, "de": 2.1, "fr": 6.0}},
            rows=7),
        _finding("FT202", "near-duplicates", Severity.WARNING, {
            "groups": [[["train.jsonl", 0], ["train.jsonl", 1]], [["train.jsonl", 2], ["train.jsonl", 3],
                                                                   ["train.jsonl", 4]]]}, rows=3),
        _finding("FT003", "empty-field", Severity.ERROR, {"by_field": {"assistant": 3, "user": 1}}, rows=12),
    ]
    edges = [float(e) for e in range(0, 4400, 100)]
    lengths = {
        "unit": "tokens", "method": "counted with a tokenizer", "bins": len(edges) - 1, "scale": "linear",
        "edges": edges, "max_length": {"train": 2048, "validation": 2048}, "max_length_key": "max_seq_length",
        "splits": {s: {"counts": [max(0, 50 - abs(i - 15) * 3) + (i % 5) for i in range(len(edges) - 1)],
                       "n": n, "over": 40, "beyond_axis": 0, "p50": 1500.0, "p95": 2600.0, "max": 4300.0}
                   for s, n in (("train", 1000), ("validation", 120))},
    }
    charts = {
        "lengths": lengths,
        "labels": {"source": {"train": "label column"}, "splits": {"train": {"pos": 700, "neg": 300}}},
        "groups": {"splits": {"train": {"language": {"en": 800, "de": 150, "fr": 50}}}},
    }
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
    assert "m-finding-2-weights" not in charts  # the fix's weights are not a distribution of the data
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
    report.charts["lengths"]["max_length"] = {}
    report.findings = [_finding("FT104", "missing-validation-split", Severity.ERROR, {"configured": False})]
    raw, page = render_html(report)
    assert "chart-lengths" in page.charts() and "max_seq_length" not in page.text
    assert not [c for c in page.charts() if c.startswith("m-")]
    assert "—" in page.text  # affected: not applicable


@pytest.mark.parametrize("value", [
    {"train": [[0, 0], [1, 1]], "reference": [[2, 2]]},
    {"train": {"x": [0, 1], "y": [0, 1]}, "reference": {"x": [2], "y": [2]}},
    {"points": [[0, 0, "train"], [1, 1, "train"], [2, 2, "reference"]]},
    {"x": [0, 1, 2], "y": [0, 1, 2], "split": ["train", "train", "reference"]},
    [{"x": 0, "y": 0, "set": "train"}, {"x": 1, "y": 1, "set": "train"}, {"x": 2, "y": 2, "set": "reference"}],
])
def test_projection_shapes(value: Any) -> None:
    key, sets = projection_sets({"projection_2d": value})  # type: ignore[misc]
    assert key == "projection_2d" and len(sets["train"]) == 2 and sets["reference"] == [(2.0, 2.0)]


def test_no_projection() -> None:
    assert projection_sets({"projection": "n/a", "distance": 0.3}) is None


# -- chart data ------------------------------------------------------------------------------------

def test_chart_data_lengths_against_the_limit(write_jsonl: Any) -> None:
    rows = [{"messages": [{"role": "user", "content": "q " * n}, {"role": "assistant", "content": "a"}]}
            for n in (10, 20, 40, 4000)]
    path = write_jsonl("train.jsonl", rows)
    report = ftlint.check([path], no_cache=True)
    lengths = report.charts["lengths"]
    assert lengths["unit"] == "tokens" and sum(lengths["splits"]["train"]["counts"]) == 4
    assert len(lengths["edges"]) == lengths["bins"] + 1
    # with a plan's limit: the rows over it are counted
    from ftlint.context import Context
    from ftlint.data.load import load_dataset_file
    from ftlint.settings import Settings

    ds = load_dataset_file(path, "train", "test", {}, None, None)
    seq = SimpleNamespace(unlimited=False, max_length=SimpleNamespace(value=256, key="max_seq_length"),
                          eval_max_length=SimpleNamespace(value=None))
    ctx = Context({"train": ds}, Settings(), plan=SimpleNamespace(sequence=seq))
    data = chart_data(ctx)
    assert data["lengths"]["max_length"] == {"train": 256}
    assert data["lengths"]["splits"]["train"]["over"] == 1
    assert data["lengths"]["max_length_key"] == "max_seq_length"


def test_chart_data_never_raises() -> None:
    class Broken:
        splits = ["train"]
        plan = None

        def dataset(self, split: str) -> Any:
            raise RuntimeError("boom")

        def labels(self, split: str) -> Any:
            raise RuntimeError("boom")

    data = chart_data(Broken())
    assert set(data["errors"]) == {"lengths", "labels", "groups"}
    assert "lengths" not in data


def test_chart_data_reuses_the_rules_token_counts(write_jsonl: Any) -> None:
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
    ctx.artifact("token_lengths", "train", {"tokenizer": "tok", "limit": 100}, lambda: counted)
    data = chart_data(ctx)["lengths"]
    assert data["unit"] == "tokens" and "counted with the tokenizer in ./tok" in data["method"]
    assert data["splits"]["train"]["over"] == 1 and data["splits"]["train"]["max"] == 2500
    assert data["splits"]["train"]["p50"] <= 100
