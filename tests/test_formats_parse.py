"""Every output format, parsed back: each must carry the same findings as the JSON report (code,
severity, path and line where the format has them), so no consumer sees a different run."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ftlint.cli import OUTPUT_FORMATS, main

ROOT = Path(__file__).resolve().parents[1]
Item = dict[str, Any]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("formats") / "proj"
    shutil.copytree(ROOT / "examples" / "chat-mistakes", dest)
    return dest


def render(project: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(project)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    res = CliRunner().invoke(main, ["check", "train.jsonl", "--config", "train.yaml", "--no-cache",
                                    "--color", "never", "--output-format", fmt], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    return res.stdout


def from_json(text: str) -> list[Item]:
    return [{"code": f["code"], "severity": f["severity"], "path": f["location"]["path"],
             "line": f["location"]["line"]} for f in json.loads(text)["findings"]]


def from_full(text: str) -> list[Item]:
    head = re.compile(r"^(?P<sev>error|warning|info)\s+(?P<code>FT\d{3}) \S+\s+(?P<path>[^\s:]+)(?::(?P<line>\d+))?"
                      r"(?:\s+\(|$)")
    out = []
    for line in text.splitlines():
        m = head.match(line)
        if m:
            out.append({"code": m["code"], "severity": m["sev"], "path": m["path"],
                        "line": int(m["line"]) if m["line"] else None})
    return out


def from_concise(text: str) -> list[Item]:
    pat = re.compile(r"^(?P<path>[^:\s]+)(?::(?P<line>\d+))?: (?P<code>FT\d{3}) \S")
    out = []
    for line in text.splitlines():
        m = pat.match(line)
        assert m, line
        out.append({"code": m["code"], "path": m["path"], "line": int(m["line"]) if m["line"] else None})
    return out


def from_markdown(text: str) -> list[Item]:
    out = []
    for line in text.splitlines():
        if not line.startswith("| ") or "`FT" not in line:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) < 4 or not re.fullmatch(r"`FT\d{3}`", cells[1]):
            continue
        where = cells[3].strip("`")
        path, _, ln = where.partition(":")
        out.append({"code": cells[1].strip("`"), "severity": cells[0].split()[-1], "path": path,
                    "line": int(ln) if ln else None})
    return out


def from_github(text: str) -> list[Item]:
    pat = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")
    out = []
    for line in text.splitlines():
        m = pat.match(line)
        assert m, line
        props = dict(kv.split("=", 1) for kv in m["props"].split(","))
        code = re.search(r"FT\d{3}", props["title"])
        assert code, props
        out.append({"code": code.group(0), "severity": {"notice": "info"}.get(m["level"], m["level"]),
                    "path": props.get("file"), "line": int(props["line"]) if "line" in props else None})
    return out


def from_gitlab(text: str) -> list[Item]:
    sev = {"critical": "error", "blocker": "error", "major": "warning", "minor": "warning", "info": "info"}
    return [{"code": e["check_name"], "severity": sev[e["severity"]], "path": e["location"]["path"],
             "line": e["location"]["lines"]["begin"]} for e in json.loads(text)]


def from_sarif(text: str) -> list[Item]:
    doc = json.loads(text)
    lv = {"error": "error", "warning": "warning", "note": "info"}
    out = []
    for r in doc["runs"][0]["results"]:
        loc = r["locations"][0]["physicalLocation"]
        out.append({"code": r["ruleId"], "severity": lv[r["level"]], "path": loc["artifactLocation"]["uri"],
                    "line": loc["region"]["startLine"]})
    return out


def from_junit(text: str) -> list[Item]:
    root = ET.fromstring(text)
    out = []
    for case in root.iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            continue
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        out.append({"code": case.get("classname"), "severity": props["severity"], "path": case.get("file"),
                    "line": int(case.get("line")) if case.get("line") else None})
    return out


class _Cards(HTMLParser):
    """The finding cards of the HTML report: ``<article class="finding SEVERITY">`` and the first
    ``<span class="code">`` inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[Item] = []
        self._in_card = False
        self._want_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "article" and "finding" in classes:
            self.cards.append({"severity": next(c for c in classes if c != "finding"), "code": None})
            self._in_card = True
        elif tag == "span" and "code" in classes and self._in_card and self.cards[-1]["code"] is None:
            self._want_code = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._in_card = False

    def handle_data(self, data: str) -> None:
        if self._want_code:
            self.cards[-1]["code"] = data.strip()
            self._want_code = False


def from_html(text: str) -> list[Item]:
    p = _Cards()
    p.feed(text)
    return p.cards


PARSERS = {"full": from_full, "text": from_full, "concise": from_concise, "json": from_json,
           "markdown": from_markdown, "github": from_github, "gitlab": from_gitlab, "sarif": from_sarif,
           "junit": from_junit, "html": from_html}


def test_every_output_format_has_a_parser() -> None:
    assert set(OUTPUT_FORMATS) <= set(PARSERS)


def _key(item: Item, keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple("" if item.get(k) is None else item[k] for k in keys)


@pytest.mark.parametrize("fmt", sorted(set(OUTPUT_FORMATS) - {"json"}))
def test_format_parses_back_to_the_json_findings(project: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = from_json(render(project, "json", monkeypatch))
    assert len(expected) >= 8 and {"FT001", "FT201", "FT104", "FT601"} <= {e["code"] for e in expected}
    got = PARSERS[fmt](render(project, fmt, monkeypatch))
    assert len(got) == len(expected), (fmt, got)
    keys = tuple(k for k in ("code", "severity", "path", "line") if all(k in g for g in got))
    assert "code" in keys
    # a format that must give a location gives the finding's own line (or line 1 when the finding has none)
    want = [dict(e, line=e["line"] if e["line"] is not None or "line" not in keys
                 or fmt in ("full", "concise") else 1) for e in expected]
    if fmt in ("github", "junit"):  # annotations grouped by level, errors first; test cases by rule
        assert sorted(_key(g, keys) for g in got) == sorted(_key(e, keys) for e in want)
        if fmt == "github":
            order = ["error", "warning", "info"]
            assert [g["severity"] for g in got] == sorted((g["severity"] for g in got), key=order.index)
    else:  # every other format keeps the report's ranking
        assert [_key(g, keys) for g in got] == [_key(e, keys) for e in want], fmt
