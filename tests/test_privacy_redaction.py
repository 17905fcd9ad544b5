"""No output format ever prints an unmasked personal-data or secret match, whichever rules run.

The data carries every kind of match in places other rules quote: exact-duplicate rows (FT201),
a malformed record (FT001), a row with no reply (FT003), a metadata column the HTML report
plots, a secret cut in half at a snippet's edge, and group values of a sensitive attribute.
Each selection is rendered in every format (and once through the CLI with ``--report`` for
all of them), and no raw match may appear anywhere in the text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftlint.api import check
from ftlint.cli import main
from ftlint.features.pii import find, luhn_ok
from ftlint.reporters import FORMATS, RenderOptions, get_renderer
from ftlint.settings import Settings
from ftlint.testing import chart_fields


def _luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


CARD = _luhn_complete("453929141777631")
GH_TOKEN = "ghp_" + "Zq8vLx2Pw9Rt4Ny7Ks1Hd3Gf6Jm5Bc0Vx8Qa"
OPENAI_KEY = "sk-proj-" + "T7mWq2Lz9XcV4bNp1RkS8dFh3GjY6uEa0Io5"
AWS_KEY = "AKIA2QW7RT5LMXZ6HNPK"  # not the rule page's example: SARIF carries the docs
PRIVATE_KEY_BODY = "MIIEowIBAAKCAQEAq7Zx9Lp2Vn4Wm8Rt1Ys6Kd3Gh5Jf0Bc7Nq2Xw9Lz4Pm8Tv1Rs6Yd3Kh"
BEARER = "Zt8Kq2Lw9Xm4Vn7Bp1Rs6Dg3Hj5Fy0Uc"
KEYED = "q8Xv2LmN4pR7tZ1wK9sD"
EMAIL = "ann.lee.1987@gmail.com"
EMAIL2 = "k.osei@protonmail.ch"
PHONE_DIGITS = "3127492281"
PHONE = "(312) 749-2281"
SSN = "536-22-8741"
IP = "81.2.69.142"

#: every raw match that must never appear (phone digits are checked in both spellings)
RAW = [CARD, CARD[:4] + " " + CARD[4:8], GH_TOKEN, OPENAI_KEY, AWS_KEY, PRIVATE_KEY_BODY[:24], BEARER, KEYED,
       EMAIL, EMAIL2, PHONE, PHONE_DIGITS, SSN, IP, "749-2281"]

SECRET_TEXT = (f"Use token {GH_TOKEN} and key {OPENAI_KEY} with aws_access_key_id={AWS_KEY}; "
               f"Authorization: Bearer {BEARER}; api_key = \"{KEYED}\"; "
               f"-----BEGIN RSA PRIVATE KEY-----\\n{PRIVATE_KEY_BODY}\\n-----END RSA PRIVATE KEY-----")
PII_TEXT = f"Write to {EMAIL} or call {PHONE}; card {CARD}, SSN {SSN}, from {IP}."


def chat(u: str, a: str, **extra: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}], **extra})


def build(root: Path) -> Path:
    rows = [
        chat(SECRET_TEXT, "Done.", reviewer=EMAIL),
        chat(SECRET_TEXT, "Done.", reviewer=EMAIL),                  # FT201: an exact copy
        chat(PII_TEXT, "Noted.", reviewer=EMAIL),
        chat(PII_TEXT, "Noted.", reviewer=EMAIL),                    # FT201
        chat("x" * 150 + f" then {GH_TOKEN} " + "y" * 40, "ok", reviewer=EMAIL),  # cut at a snippet's edge
        chat(f"Phone {PHONE}", "", reviewer=EMAIL),                  # FT003: empty reply
        '{"messages": [{"role": "user", "content": "key ' + OPENAI_KEY + ' mail ' + EMAIL + '"}',  # FT001
    ] + [chat(f"Question number {i} about the weather?", f"Answer {i}: it is sunny.", reviewer=(EMAIL, EMAIL2)[i % 2])
         for i in range(30)]
    path = root / "train.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_corpus_really_contains_every_match() -> None:
    kinds = {h.kind for h in find(SECRET_TEXT.replace("\\n", "\n"))} | {h.kind for h in find(PII_TEXT)}
    assert {"github-token", "openai-api-key", "aws-access-key-id", "bearer-token", "keyed-secret",
            "private-key", "email", "phone", "card", "ssn", "ip"} <= kinds


def leaks(text: str) -> list[str]:
    return [raw for raw in RAW if raw in text]


@pytest.mark.parametrize("select", [["FT201"], ["FT001"], ["FT003"], ["FT7"], ["FT201", "FT501", "FT503"], None],
                         ids=["FT201", "FT001", "FT003", "FT7", "FT201+FT5", "default"])
def test_no_format_prints_a_raw_match(select: list[str] | None, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    data = build(tmp_path)
    settings = Settings(root=tmp_path, cache=False, sensitive=["reviewer"])
    report = check([data], settings=settings, select=select, no_cache=True)
    codes = {f.code for f in report.findings}
    if select == ["FT201"]:
        assert codes == {"FT201"} and len(report.findings[0].rows) == 2  # the copies with secrets are shown
    if select == ["FT001"]:
        assert codes == {"FT001"}
    if select == ["FT7"]:
        assert codes == {"FT701", "FT702"}
    assert report.findings, "nothing reported: the test would prove nothing"
    for fmt in FORMATS:
        text = get_renderer(fmt)(report, RenderOptions(max_rows=50, verbose=True, statistics=True))
        assert not leaks(text), f"{fmt} prints {leaks(text)}"
    assert "[SECRET:" in get_renderer("full")(report, RenderOptions(max_rows=50)) or select == ["FT003"]
    if summary.exists():
        assert not leaks(summary.read_text(encoding="utf-8")), "GitHub job summary"


def test_the_cli_writes_no_raw_match_in_any_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    build(tmp_path)
    args = ["check", "train.jsonl", "--no-cache", "--select", "FT201,FT001,FT702", "--sensitive", "reviewer"]
    for fmt in FORMATS:
        args += ["--report", f"{fmt}:out.{fmt}"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    assert "FT201" in result.stdout and not leaks(result.stdout)
    for fmt in FORMATS:
        text = (tmp_path / f"out.{fmt}").read_text(encoding="utf-8")
        assert text and not leaks(text), f"--report {fmt}: {leaks(text)}"


def test_html_charts_of_a_column_of_email_addresses_are_masked(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML report plots group columns from ``Report.charts``, which no finding carries."""
    monkeypatch.chdir(tmp_path)
    data = build(tmp_path)
    report = check([data], settings=Settings(root=tmp_path, cache=False), select=["FT201"], no_cache=True)
    charts = json.dumps([chart_fields(c) for c in report.charts])
    assert "reviewer" in charts  # the column really is plotted
    assert EMAIL not in charts
    assert EMAIL not in get_renderer("html")(report, RenderOptions())


def test_a_findings_chart_is_masked_like_its_message() -> None:
    """A rule's chart spec carries data (categories, group names, where clusters are): the one
    redaction step masks it with the rest of the finding, dict keys included."""
    from ftlint.chartspec import Bars, Clusters
    from ftlint.features.pii import privacy_redaction
    from ftlint.model import Finding, Location, Severity

    f = Finding("FT501", "group-imbalance", Severity.WARNING, "m", "f", Location("t.jsonl"), charts=[
        Bars("counts", "rows", {"train": {EMAIL: 3, EMAIL2: 1, "n/a": 5}}),
        Clusters("Exact duplicates in train", (2,), (f"t.jsonl:1 ({EMAIL})",))])
    masked = privacy_redaction().apply(f)
    text = json.dumps([chart_fields(c) for c in masked.charts])
    assert EMAIL not in text and EMAIL2 not in text
    bars = masked.charts[0]
    assert isinstance(bars, Bars) and len(bars.series["train"]) == 3 and sum(bars.series["train"].values()) == 9
    assert isinstance(masked.charts[1], Clusters) and masked.charts[1].sizes == (2,)
