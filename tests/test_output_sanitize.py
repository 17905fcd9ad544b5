"""Every string from the data is made safe for where it goes (issue 12, part 5).

A dataset whose user text, assistant text, role name, column name and file name
carry terminal escape sequences (window title, clipboard write, clear screen) and bidi
overrides, checked with a training config whose values carry them too: every human-facing
format (full, concise, markdown, html, github, junit) shows them as ``<U+XXXX>`` and holds no
raw control or bidi character; JSON and SARIF keep the exact text, escaped by the serialiser.
One in-process ``ftlint check`` writes every format at once.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from ftlint.cli import main
from ftlint.features.quality import visible
from ftlint.findings import Report, printable, printable_report
from ftlint.model import Affected, Finding, InputInfo, Location, Row, RuleOutcome, Severity
from ftlint.printable import _UNSAFE_LINE_RE, UNSAFE_UTF8_RE, _maybe_unsafe
from ftlint.reporters import RenderOptions, get_renderer
from ftlint.reporters._common import dumps_json

TITLE = "\x1b]0;TITLE\x07"
CLIPBOARD = "\x1b]52;c;aGVsbG8=\x07"
CLEAR = "\x1b[2J"
BIDI = "\u202e\u2066"
PAYLOAD = TITLE + CLIPBOARD + CLEAR + BIDI
# the raw characters that must never be in a human-facing output: C0 (but \t and \n), DEL, C1,
# bidi embeddings/overrides/isolates and marks, zero-width characters, BOM, line separators
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
HUMAN = ("full", "concise", "markdown", "html", "github", "junit")
MACHINE = ("json", "sarif", "gitlab")
KEY = "source" + TITLE  # a column name


def _records() -> list[Any]:
    good = [{"messages": [{"role": "user", "content": f"question {i} " + PAYLOAD},
                          {"role": "assistant", "content": f"answer {i} " + PAYLOAD}], KEY: "a" + CLEAR}
            for i in range(6)]
    return [
        *good,
        good[0],  # FT201 exact duplicate
        {"messages": [{"role": "user" + PAYLOAD, "content": "hi"},  # FT004 unknown role
                      {"role": "assistant", "content": "yo"}], KEY: "b"},
        {"messages": [{"role": "user", "content": "empty reply " + PAYLOAD},  # FT003 empty field
                      {"role": "assistant", "content": ""}], KEY: "b"},
        '{"messages": broken ' + PAYLOAD,  # FT001 unreadable record
    ]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every format of one check of the hostile dataset (and its file name, and the outputs)."""
    tmp = tmp_path_factory.mktemp("hostile")
    name = "train" + CLEAR + ".jsonl"
    try:
        data = tmp / name
        data.write_text("", encoding="utf-8")
    except (OSError, UnicodeError):  # a file system that refuses the name: the rest still counts
        name = "train.jsonl"
        data = tmp / name
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in _records()]
    data.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    # YAML double-quoted strings spell ESC as \e and BEL as \a
    yaml_name = name.replace("\x1b", "\\e")
    (tmp / "axolotl.yaml").write_text(
        'base_model: "\\e]0;T\\a/model\\e[2J\\u202e"\n'
        f'datasets:\n  - path: "{yaml_name}"\n    type: chat_template\n'
        "num_epochs: 3\nsequence_len: 2048\n", encoding="utf-8")
    out = tmp / "out"
    args = ["check", str(data), "--config", str(tmp / "axolotl.yaml"), "--isolated", "--no-cache",
            "--output-format", "full", "--color", "never"]
    for fmt in HUMAN[1:] + MACHINE:
        args += ["--report", f"{fmt}:{out / fmt}"]
    result = CliRunner().invoke(main, args, env={"GITHUB_STEP_SUMMARY": str(out / "summary.md")})
    assert result.exit_code == 1, result.output
    texts = {fmt: (out / fmt).read_text(encoding="utf-8") for fmt in HUMAN[1:] + MACHINE}
    texts["full"] = result.stdout
    texts["github summary"] = (out / "summary.md").read_text(encoding="utf-8")
    return {"texts": texts, "name": name, "path": str(data)}


def test_the_hostile_dataset_triggers_findings_that_quote_it(outputs: dict[str, Any]) -> None:
    report = json.loads(outputs["texts"]["json"])
    codes = {f["code"] for f in report["findings"]}
    assert {"FT001", "FT003", "FT004", "FT005", "FT201"} <= codes
    # the payload reaches the report through snippets, paths, metrics keys and skip reasons
    strings = _all_strings(report)
    assert PAYLOAD in strings and outputs["name"] in strings
    assert any("\x1b]0;T\x07/model\x1b[2J\u202e" in (o["reason"] or "") for o in report["rules"])  # a config value


@pytest.mark.parametrize("fmt", [*HUMAN, "github summary"])
def test_no_raw_control_or_bidi_character_in_human_formats(outputs: dict[str, Any], fmt: str) -> None:
    text = outputs["texts"][fmt]
    raw = sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})
    assert not raw, f"{fmt} output holds raw {raw}"
    shown = html.unescape(text) if fmt in ("markdown", "html", "junit", "github summary") else text
    assert "<U+001B>]0;TITLE<U+0007>" in shown  # the window-title sequence, made visible
    assert "<U+202E>" in shown or fmt in ("concise", "github")  # these two show no snippet
    if outputs["name"] != "train.jsonl":
        assert "train<U+001B>[2J.jsonl" in shown  # the file name


def test_junit_is_well_formed_xml(outputs: dict[str, Any]) -> None:
    root = ET.fromstring(outputs["texts"]["junit"].encode("utf-8"))
    failures = [e.get("message", "") + (e.text or "") for e in root.iter("failure")]
    assert any("<U+001B>" in f for f in failures)


@pytest.mark.parametrize("fmt", MACHINE)
def test_machine_formats_keep_the_exact_text(outputs: dict[str, Any], fmt: str) -> None:
    text = outputs["texts"][fmt]
    # safe to print as well: C0 is escaped by the serialiser, C1 and bidi characters by ftlint
    assert not RAW.findall(text)
    strings = _all_strings(json.loads(text)).split("\n")
    if fmt == "json":
        assert any(PAYLOAD in s for s in strings)  # a snippet of the user text, exactly
        snippets = [r["snippet"] for f in json.loads(text)["findings"] for r in f["rows"]]
        assert any(s.startswith("<user> question 0 " + PAYLOAD) for s in snippets)
    assert any(outputs["name"] in s for s in strings)  # the file name, exactly


def test_an_error_message_about_a_hostile_path_is_printable(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / ("missing" + PAYLOAD + ".jsonl")), "--no-cache"])
    assert result.exit_code == 2
    assert not RAW.findall(result.output)
    assert "missing<U+001B>]0;TITLE<U+0007>" in result.output


# -- the function itself ----------------------------------------------------------------------------

def test_printable_shows_controls_and_format_characters() -> None:
    assert printable(PAYLOAD) == ("<U+001B>]0;TITLE<U+0007><U+001B>]52;c;aGVsbG8=<U+0007><U+001B>[2J"
                                  "<U+202E><U+2066>")
    assert printable("a\x9bb\x7fc\u0085") == "a<U+009B>b<U+007F>c<U+0085>"
    assert printable("tag\U000e0041\U000e0042") == "tag<U+E0041><U+E0042>"  # "ASCII smuggling"
    assert printable("name\udcff.jsonl") == "name<U+DCFF>.jsonl"  # an undecodable file name
    assert printable("a\u2028b\ufeffc\u00add") == "a<U+2028>b<U+FEFF>c<U+00AD>d"
    # one line by default (⏎ and a space), lines kept with multiline (a lone CR is shown)
    assert printable("a\r\nb\nc\rd\te") == "a⏎b⏎c⏎d e"
    assert printable("a\r\nb\nc\rd\te", multiline=True) == "a\nb\nc<U+000D>d\te"
    # idempotent, and the same object when there is nothing to show
    once = printable(PAYLOAD + "\n")
    assert printable(once) == once
    clean = "plain text, accents é, 中文, emoji 👋🏽"
    assert printable(clean) is clean


def test_joiners_and_marks_stay_where_a_script_needs_them() -> None:
    family = "👨\u200d👩\u200d👧"
    assert printable(family) == family
    assert printable("می\u200cخواهم") == "می\u200cخواهم"  # Persian ZWNJ
    assert printable("สวัสดี\u200bครับ") == "สวัสดี\u200bครับ"  # Thai word break
    assert printable("שלום\u200f!") == "שלום\u200f!"  # a right-to-left mark in Hebrew
    # between ASCII characters they hide something: shown
    assert printable("pass\u200bword \u200fx\u200d") == "pass<U+200B>word <U+200F>x<U+200D>"
    # the overrides are shown everywhere
    assert printable("שלום\u202eם") == "שלום<U+202E>ם"


def test_every_invisible_format_character_is_shown_or_deliberately_kept() -> None:
    kept = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2,
            0x110BD, 0x110CD} | set(range(0x13430, 0x13440))  # drawn (prepended marks, hieroglyph controls)
    for c in range(sys.maxunicode + 1):
        cat = unicodedata.category(chr(c))
        if cat in ("Cc", "Cf", "Zl", "Zp", "Cs") and c not in kept and chr(c) not in "\t\n\r":
            assert printable(f"a{chr(c)}b") == f"a<U+{c:04X}>b", f"U+{c:04X} ({cat})"


def test_ft005_excerpts_use_the_same_function() -> None:
    assert visible("x\x1b[2J\u00a0y\r\nz") == printable("x\x1b[2J") + "<U+00A0>y⏎z"


def test_printable_report_covers_every_field_and_leaves_the_input_alone() -> None:
    row = Row(path="p" + CLEAR, split="train", index=0, line=1, fingerprint="f", snippet="s" + TITLE,
              extra={"reason": "r" + CLEAR, "nested": [{"k" + CLEAR: ("t" + CLEAR,)}]})
    f = Finding(code="FT001", name="unreadable-record", severity=Severity.ERROR, message="m" + CLEAR,
                fix="x" + CLEAR, location=Location("p" + CLEAR, 1, "key" + CLEAR), rows=[row],
                affected=Affected(1, 1.0), metrics={"a" + CLEAR: 1, "a<U+001B>[2J": 2})
    report = Report(findings=[f], outcomes=[RuleOutcome("FT101", "n", "skipped", reason="r" + CLEAR, fix="f" + CLEAR)],
                    inputs=[InputInfo("p" + CLEAR, "dataset", "train", extra={"task": {"evidence": "e" + CLEAR}})],
                    notes=["note" + CLEAR], charts={"labels": {"train": {"l" + CLEAR: 3}}})
    before = repr(report)
    out = printable_report(report)
    assert repr(report) == before  # the report the JSON formats write is not touched
    assert not RAW.findall(_all_strings(out))
    assert "<U+001B>" in _all_strings(out)
    assert out.findings[0].metrics == {"a<U+001B>[2J": 1, "a<U+001B>[2J #2": 2}  # no count lost
    assert out.findings[0].rows[0].extra["nested"][0] == {"k<U+001B>[2J": ("t<U+001B>[2J",)}
    # an unchanged report comes back as it is
    clean = Report(findings=[], outcomes=[], inputs=[InputInfo("p", "dataset")])
    assert printable_report(clean).inputs[0] is clean.inputs[0]


def _all_strings(value: Any) -> str:
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            out.append(v)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for fld in dataclasses.fields(v):
                walk(getattr(v, fld.name))
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, (Sequence, set)):  # a finding's rows, too
            for x in v:
                walk(x)

    walk(value)
    return "\n".join(out)


def test_every_human_renderer_sanitises_a_report_it_is_given_directly() -> None:
    f = Finding(code="FT003", name="empty-field", severity=Severity.ERROR, message="m" + PAYLOAD,
                fix="x" + PAYLOAD, location=Location("p" + PAYLOAD, 2, None),
                rows=[Row("p" + PAYLOAD, "train", 0, 2, "f", "s" + PAYLOAD, {"reason": PAYLOAD})],
                affected=Affected(1, 0.5))
    report = Report(findings=[f], outcomes=[], inputs=[InputInfo("p" + PAYLOAD, "dataset", "train", "jsonl", 2)])
    for fmt in HUMAN:
        text = get_renderer(fmt)(report, RenderOptions())
        assert not RAW.findall(text), fmt
    for fmt in MACHINE:
        text = get_renderer(fmt)(report, RenderOptions())
        assert not RAW.findall(text), fmt
        assert PAYLOAD in _all_strings(json.loads(text)), fmt


def test_dumps_json_escapes_what_orjson_writes_raw_and_survives_surrogates() -> None:
    value = {"s": "a\x85\u202e\U000e0041\u2028", "k\udcff": ["name\udcff.jsonl", 1, None]}
    text = dumps_json(value)
    assert not RAW.findall(text)
    assert "\\u0085" in text and "\\u202e" in text and "\\udb40\\udc41" in text
    assert json.loads(text) == value


def test_the_fast_checks_find_exactly_what_printable_changes() -> None:
    """The bytes regex (JSON output, the whole-container check) and the one-line class agree on
    every code point: the fast paths can never wave through a character printable would show."""
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    c0 = {chr(c) for c in range(0x20)}  # escaped by the JSON serialiser itself
    in_class = set(_UNSAFE_LINE_RE.findall(everything)) - c0
    in_bytes = {m.group().decode("utf-8") for m in UNSAFE_UTF8_RE.finditer(everything.encode("utf-8"))}
    assert in_bytes == in_class
    assert len(in_class) > 200
    # C0, which the serialiser writes as escapes, and everything else through the whole-value check
    for c in [*range(0x20), *(ord(x) for x in in_class), 0xDCFF]:
        assert _maybe_unsafe({"k": ["x" + chr(c) + "y"]}), f"U+{c:04X}"
    assert not _maybe_unsafe({"k": ['a "quoted" \\ back\\slash, café, 中文, 👋🏽']})


def _finding(rows: list[Row], metrics: dict[str, Any]) -> Finding:
    return Finding(code="FT201", name="exact-duplicates", severity=Severity.ERROR, message="m", fix="f",
                   location=Location("p", 1), rows=rows, affected=Affected(len(rows), 0.1), metrics=metrics)


@pytest.mark.parametrize("dirty", ["\x1b[2J", "\t", "\n", "\x85", "\u202e", "\U000e0041", "\udcff", "\x7f"])
def test_one_hostile_row_among_many_is_still_shown(dirty: str) -> None:
    """Big containers and a finding's rows are first checked whole (fast path); one unsafe
    character anywhere in them sends them through the exact walk."""
    copy = {"duplicate_of": {"path": "p", "line": 1, "index": 0}}
    rows = [Row("p", "train", i, i + 1, f"{i:016x}", f"row {i} café “quoted”", copy) for i in range(200)]
    rows[137] = dataclasses.replace(rows[137], snippet="row 137 " + dirty, extra={"k": ["x", "y" + dirty]})
    groups = [["p", i] for i in range(100)] + [["p" + dirty, 100]]
    report = Report(findings=[_finding(rows, {"groups": groups, "by": {f"k{i}": i for i in range(50)} | {dirty: 1}})],
                    outcomes=[], inputs=[])
    out = printable_report(report).findings[0]
    shown = printable("x" + dirty + "x")[1:-1]
    assert shown != dirty
    assert out.rows[137].snippet == "row 137 " + shown
    assert list(out.rows)[137].extra == {"k": ["x", "y" + shown]}
    assert out.rows[100:150][37].snippet == "row 137 " + shown
    assert out.metrics["groups"][-1] == ["p" + shown, 100] and shown in out.metrics["by"]
    text = get_renderer("full")(report, RenderOptions(max_rows=200))
    assert "row 137 " + shown in text and "row 137 " + dirty not in text
    assert report.findings[0].rows[137].snippet == "row 137 " + dirty  # the input is not changed


def test_clean_big_containers_come_back_as_they_are() -> None:
    text = "“quoted” \\d+ 中文 👨\u200d👩"  # non-ASCII, an escaped backslash, a joiner: all kept
    rows = [Row("p", "train", i, i + 1, f"{i:016x}", f"row {i} {text}", {}) for i in range(500)]
    metrics = {"groups": [["p", i] for i in range(500)]}
    out = printable_report(Report(findings=[_finding(rows, metrics)], outcomes=[], inputs=[])).findings[0]
    assert out.metrics["groups"] is metrics["groups"]
    assert all(a is b for a, b in zip(out.rows, rows)) and len(out.rows) == 500
    assert orjson.loads(dumps_json(metrics)) == metrics
