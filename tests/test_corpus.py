"""Every dataset file of ../shared/corpus: it loads, its format is detected, and its findings are pinned.

Each file's findings are pinned exactly for the rules in PINNED_RULES (code -> severity and
affected count, and the rows where listed), after reading the data to confirm each one. A pinned
rule that is not registered (FT005-FT008 were written alongside these tests) is left out of the
comparison. A rule added later is pinned here when it lands: add its code to PINNED_RULES and its
expectations to CASES.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.data.load import expand_paths, load_dataset_file
from ftlint.errors import FormatError
from ftlint.findings import Report
from ftlint.registry import load_registry
from ftlint.settings import Settings

CORPUS_ROOT = (Path(__file__).resolve().parents[1].parent / "shared" / "corpus").resolve()

#: rules whose findings on the corpus are pinned exactly below
PINNED_RULES = frozenset({"FT001", "FT002", "FT003", "FT004", "FT005", "FT006", "FT007", "FT008",
                          "FT101", "FT102", "FT103", "FT201"})


@dataclass(frozen=True)
class Case:
    file: str  # relative to the corpus folder
    format: str
    records: int
    #: code -> (severity, affected row count) of every finding of a PINNED_RULES rule
    findings: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: code -> the row indexes of its finding, where pinned
    rows: dict[str, tuple[int, ...]] = field(default_factory=dict)
    json_array: bool = False  # pretty-printed JSON array: each object starts on a line "  {"


LF = "hiyouga__LLaMA-Factory"
CASES = [
    Case(f"{LF}/data__alpaca_en_demo.json", "alpaca", 999, json_array=True, findings={
        "FT101": ("warning", 999),  # 999 < 1,000
        "FT201": ("warning", 14),   # 13 groups of exact copies, 14 extra rows (1.4% < 10%)
    }),
    Case(f"{LF}/data__glaive_toolcall_en_demo.json", "sharegpt", 300, json_array=True, findings={
        "FT007": ("warning", 7),    # "Regards, [User's Name]" (4), "Here it is: [QR_CODE_IMAGE_DATA]" (3)
        "FT008": ("warning", 1),    # row 243: a Go snippet with a run of 5,588 zeros
        "FT101": ("warning", 300),
        "FT201": ("error", 35),     # 35 copies of whole records (tools included); 3 more rows repeat a
                                    # conversation with other tool descriptions: not copies
                                    # (> 10% of the split; see test_glaive_duplicates)
    }, rows={"FT007": (31, 39, 58, 88, 193, 204, 250), "FT008": (243,)}),
    Case(f"{LF}/data__dpo_en_demo.json", "sharegpt_preference", 300, json_array=True, findings={
        "FT005": ("warning", 3),    # 15 mojibake 'fiancÃ©', 67 U+FEFF inside text, 286 form feed from '\\frac'
        "FT008": ("info", 1),       # row 165: rejected side '1326134.000...' (1,024 chars): meant to be bad
        "FT101": ("warning", 300),
        "FT201": ("warning", 5),
    }, rows={"FT005": (15, 67, 286), "FT008": (165,)}),
    Case("openai__openai-cookbook/examples__data__toy_chat_fine_tuning.jsonl", "openai_chat", 5, findings={
        "FT004": ("warning", 1),    # row 3: system + assistant, no user turn
        "FT008": ("warning", 1),    # row 4: 'Eat a banana!' x 2000 (test_toy_chat_26000_char_repeated_reply_is_FT008)
        "FT101": ("error", 5),      # < 100
    }, rows={"FT004": (3,), "FT008": (4,)}),
    Case("openai__openai-cookbook/examples__data__dbpedia_samples.jsonl", "classification", 200, findings={
        "FT101": ("warning", 200),
        "FT102": ("warning", 179),  # 13 of 14 categories below 20 rows; only Artist (21) is not
    }),
    Case("axolotl-ai-cloud__axolotl/tests__fixtures__conversation.missingturns.json", "sharegpt", 1, findings={
        "FT003": ("error", 1),      # the first gpt turn is ""
        "FT101": ("error", 1),
    }),
    Case("axolotl-ai-cloud__axolotl/tests__fixtures__alpaca__alpaca.json", "alpaca", 2, json_array=True, findings={
        "FT101": ("error", 2),
    }),
    Case("pytorch__torchtune/tests__assets__chat_tiny.json", "sharegpt", 1, findings={
        "FT101": ("error", 1),
    }),
    Case("pytorch__torchtune/tests__assets__instruct_tiny.json", "instruction_response", 2, findings={
        "FT101": ("error", 2),
    }),
    # the seven files added later; every row cited below was read (the precision issue completes them)
    Case(f"{LF}/data__v1_sft_demo.jsonl", "openai_chat", 500, findings={
        "FT007": ("warning", 50),   # "I am {{name}}, an AI assistant developed by {{author}}" (identity rows)
        "FT101": ("warning", 500),
        "FT201": ("warning", 1),    # row 325 repeats an earlier record exactly ("As an AI, I am not capable...")
    }, rows={"FT201": (325,)}),
    Case(f"{LF}/data__reason_tool_use_demo_50.jsonl", "openai_chat", 50, findings={
        "FT101": ("error", 50),     # reasoning, text and tool_call parts are all read: no empty rows
    }),
    Case(f"{LF}/data__alpaca_zh_demo.json", "alpaca", 1000, json_array=True, findings={
        "FT201": ("warning", 8),    # 8 records repeat an earlier one exactly
    }, rows={"FT201": (516, 597, 611, 779, 781, 879, 907, 996)}),
    Case(f"{LF}/data__dpo_zh_demo.json", "sharegpt_preference", 300, json_array=True, findings={
        "FT005": ("warning", 7),    # 6 U+FFFD inside Chinese words ("工\ufffd\ufffd\ufffd和知识"), row 0 a U+200B
        "FT101": ("warning", 300),
        "FT201": ("warning", 11),
    }, rows={"FT005": (0, 41, 55, 123, 191, 251, 283),
             "FT201": (82, 136, 208, 216, 219, 234, 239, 246, 259, 268, 299)}),
    Case("pytorch__torchtune/tests__assets__stack_exchange_paired_tiny.json", "question_response_jk", 25, findings={
        "FT101": ("error", 25),
    }),
    Case("pytorch__torchtune/tests__assets__alpaca_tiny.json", "alpaca", 100, findings={
        "FT101": ("warning", 100),
    }),
    Case("openai__openai-cookbook/examples__data__fine_food_reviews_1k.csv", "text_columns", 1000, findings={
        "FT103": ("warning", 49),   # Score 5: 651 reviews, Score 2: 49
        "FT201": ("error", 238),    # the same review (Summary + Text) posted under several products
    }),
]
BY_NAME = {Path(c.file).name: c for c in CASES}
IDS = [Path(c.file).name for c in CASES]


@pytest.fixture(scope="module")
def corpus_check(corpus_dir: Path) -> Callable[[str], Report]:
    """The report of ``check(file, settings=Settings(), no_cache=True)``, once per file."""
    from tests.realdata.harness import Input, run

    def get(rel: str) -> Report:
        if corpus_dir.resolve() != CORPUS_ROOT:
            return check([corpus_dir / rel], settings=Settings(), no_cache=True)
        return run(Input(rel, "dataset"))  # --select ALL, shared with the judged real-data suite

    return get


def pinned(report: Report, codes: set[str] | frozenset[str]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for f in report.findings:
        if f.code in codes:
            assert f.code not in out, f"two {f.code} findings for one file: {f.message}"
            out[f.code] = (f.severity.label, f.affected.count)
    return out


def finding(report: Report, code: str):
    [f] = [f for f in report.findings if f.code == code]
    return f


def exact_duplicate_rows(records: list) -> set[int]:
    """Rows that repeat an earlier record exactly (the copies a deduplication would drop)."""
    seen: set[str] = set()
    dups: set[int] = set()
    for i, r in enumerate(records):
        key = json.dumps(r, sort_keys=True)
        if key in seen:
            dups.add(i)
        seen.add(key)
    return dups


# -- the list of files --------------------------------------------------------------------------------

def test_cases_cover_every_dataset_file_of_sources_md(corpus_dir):
    text = (corpus_dir / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split("## Dataset files", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.M))
    assert listed == {c.file for c in CASES}
    for c in CASES:
        assert (corpus_dir / c.file).is_file()


# -- loading and detection ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_corpus_file_loads_and_is_detected(corpus_dir, case):
    path = corpus_dir / case.file
    ds = load_dataset_file(path, "train", "positional path")
    assert ds.files[0].format == case.format
    assert ds.files[0].records == case.records
    assert len(ds) == case.records
    assert ds.malformed == []
    assert [int(i) for i in ds.index] == list(range(case.records))
    assert all(ds.roles[i] and len(ds.roles[i]) == len(ds.texts[i]) for i in range(len(ds)))
    if path.suffix == ".jsonl":
        assert [ds.line_of(i) for i in range(len(ds))] == list(range(1, case.records + 1))
    elif case.json_array:
        starts = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "  {"]
        assert [ds.line_of(i) for i in range(len(ds))] == starts
    else:
        assert all(ds.line_of(i) is not None for i in range(len(ds)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_corpus_file_has_its_pinned_findings(corpus_check, registered_codes, case):
    report = corpus_check(case.file)
    [info] = report.inputs
    assert (info.split, info.split_source, info.format, info.records) == ("train", "command line (positional path)",
                                                                         case.format, case.records)
    compared = PINNED_RULES & registered_codes
    got = pinned(report, compared)
    assert got == {code: v for code, v in case.findings.items() if code in compared}
    for code, indexes in case.rows.items():
        if code in compared:
            assert tuple(sorted(r.index for r in finding(report, code).rows)) == indexes, code
    assert report.failed_rules == []
    assert report.notes == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_corpus_file_cli_exits_0_or_1_with_json(corpus_dir, corpus_check, tmp_path, ftlint_cli, case):
    res = ftlint_cli("check", corpus_dir / case.file, "--output-format", "json", "--no-cache")
    assert res.returncode in (0, 1), res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr
    data = res.json()
    assert data["schema_version"] == 1
    assert [(i["format"], i["records"]) for i in data["inputs"]] == [(case.format, case.records)]
    assert all(r["outcome"] in ("ran", "skipped") for r in data["rules"])
    cli_codes = sorted(f["code"] for f in data["findings"])
    default = {r.code for r in load_registry().rules if r.default}
    assert cli_codes == sorted(f.code for f in corpus_check(case.file).findings if f.code in default)
    has_error = any(f["severity"] == "error" for f in data["findings"])
    assert res.returncode == (1 if has_error else 0)
    assert not list(tmp_path.rglob(".ftlint_cache"))


# -- what the issue asks of particular files ------------------------------------------------------------

def test_toy_chat_conversation_without_user_turn_is_ft004_warning(corpus_check):
    report = corpus_check(BY_NAME["examples__data__toy_chat_fine_tuning.jsonl"].file)
    f = finding(report, "FT004")
    assert f.severity.label == "warning"
    assert "no user turn" in f.message
    assert [(r.index, r.line) for r in f.rows] == [(3, 4)]


def test_toy_chat_26000_char_repeated_reply_is_FT008(corpus_check, corpus_dir, registered_codes):
    """FT008 (being written now): the 26,000-character 'Eat a banana!' reply on line 5."""
    if "FT008" not in registered_codes:
        pytest.skip("FT008 is not registered yet (`ftlint rules` does not list it)")
    case = BY_NAME["examples__data__toy_chat_fine_tuning.jsonl"]
    lines = (corpus_dir / case.file).read_text(encoding="utf-8").splitlines()
    reply = json.loads(lines[4])["messages"][-1]["content"]
    assert len(reply) == 26000 and reply == "Eat a banana!" * 2000
    f = finding(corpus_check(case.file), "FT008")
    assert (4, 5) in [(r.index, r.line) for r in f.rows]
    assert not {r.index for r in f.rows} & {0, 1, 2, 3}


def test_two_row_alpaca_fixture_is_too_small(corpus_check):
    f = finding(corpus_check(BY_NAME["tests__fixtures__alpaca__alpaca.json"].file), "FT101")
    assert f.severity.label == "error"
    assert f.metrics["records"] == 2


def test_alpaca_demo_exact_duplicates(corpus_dir, corpus_check):
    case = BY_NAME["data__alpaca_en_demo.json"]
    records = json.loads((corpus_dir / case.file).read_text(encoding="utf-8"))
    expected = exact_duplicate_rows(records)
    assert len(expected) == 14
    f = finding(corpus_check(case.file), "FT201")
    assert f.severity.label == "warning"
    assert {r.index for r in f.rows} == expected
    assert f.metrics["group_count"] == 13


def test_alpaca_demo_code_rows_are_not_FT007(corpus_dir, corpus_check, registered_codes):
    """FT007 (being written now) must not fire on the demo's rows that contain code."""
    if "FT007" not in registered_codes:
        pytest.skip("FT007 is not registered yet (`ftlint rules` does not list it)")
    case = BY_NAME["data__alpaca_en_demo.json"]
    records = json.loads((corpus_dir / case.file).read_text(encoding="utf-8"))
    code = re.compile(r"```|\bdef \w+\(|#include|\bfunction \w*\(|\bprint\(|console\.log|\bpublic static\b|</?\w+>")
    code_rows = {i for i, r in enumerate(records) if code.search(r["output"]) or code.search(r["input"])}
    assert len(code_rows) > 40
    ft007 = [f for f in corpus_check(case.file).findings if f.code == "FT007"]
    flagged = {r.index for f in ft007 for r in f.rows}
    assert not flagged & code_rows, sorted(flagged & code_rows)[:10]


def test_dpo_demo_exact_duplicates(corpus_dir, corpus_check):
    case = BY_NAME["data__dpo_en_demo.json"]
    records = json.loads((corpus_dir / case.file).read_text(encoding="utf-8"))
    f = finding(corpus_check(case.file), "FT201")
    assert {r.index for r in f.rows} == exact_duplicate_rows(records)


def test_dpo_demo_rows_carry_the_rejected_side(corpus_dir):
    case = BY_NAME["data__dpo_en_demo.json"]
    records = json.loads((corpus_dir / case.file).read_text(encoding="utf-8"))
    ds = load_dataset_file(corpus_dir / case.file, "train", "x")
    for i in (0, 150, 299):
        assert ds.rejected[i] == records[i]["rejected"]["value"]
        assert ds.texts[i][-1] == records[i]["chosen"]["value"]
        assert ds.roles[i].endswith("ua")


def test_glaive_tool_calls_raise_no_ft002(corpus_dir, corpus_check):
    case = BY_NAME["data__glaive_toolcall_en_demo.json"]
    report = corpus_check(case.file)
    assert "FT002" not in {f.code for f in report.findings}
    assert "FT004" not in {f.code for f in report.findings}
    ds = load_dataset_file(corpus_dir / case.file, "train", "x")
    assert ds.issues == {}
    records = json.loads((corpus_dir / case.file).read_text(encoding="utf-8"))
    assert all(isinstance(r["tools"], str) for r in records)  # tools as a JSON string
    turns = defaultdict(int)
    for r in records:
        for t in r["conversations"]:
            turns[t["from"]] += 1
    assert sum(r.count("t") for r in ds.roles) == turns["observation"]
    assert sum(r.count("a") for r in ds.roles) == turns["gpt"] + turns["function_call"]


def test_glaive_duplicates(corpus_dir, corpus_check):
    case = BY_NAME["data__glaive_toolcall_en_demo.json"]
    records = json.loads((corpus_dir / case.file).read_text(encoding="utf-8"))
    whole = exact_duplicate_rows(records)
    conversation_only = exact_duplicate_rows([r["conversations"] for r in records])
    assert (len(whole), len(conversation_only)) == (35, 38)
    f = finding(corpus_check(case.file), "FT201")
    assert f.severity.label == "error"
    assert {r.index for r in f.rows} == whole  # the key is the whole example, tools included


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_the_data_behind_the_text_quality_pins(corpus_dir):
    """What FT005/FT007/FT008 are pinned to report is really in the files (read independently)."""
    dpo = json.loads((corpus_dir / LF / "data__dpo_en_demo.json").read_text(encoding="utf-8"))
    has = {name: [i for i, r in enumerate(dpo) if any(test(s) for s in _strings(r))] for name, test in {
        "mojibake": lambda s: "Ã©" in s, "bom": lambda s: "\ufeff" in s, "formfeed": lambda s: "\x0c" in s}.items()}
    assert has == {"mojibake": [15], "bom": [67], "formfeed": [286]}
    assert dpo[165]["rejected"]["value"].startswith("1326134." + "0" * 1000)
    glaive = json.loads((corpus_dir / LF / "data__glaive_toolcall_en_demo.json").read_text(encoding="utf-8"))
    placeholders = [i for i, r in enumerate(glaive)
                    if re.search(r"\[(User's Name|QR_CODE_IMAGE_DATA)\]", " ".join(_strings(r["conversations"])))]
    assert placeholders == [31, 39, 58, 88, 193, 204, 250]
    assert "0" * 5000 in glaive[243]["conversations"][-1]["value"]


def test_dbpedia_labels_come_from_category(corpus_dir):
    case = BY_NAME["examples__data__dbpedia_samples.jsonl"]
    ds = load_dataset_file(corpus_dir / case.file, "train", "x")
    assert len(set(ds.labels)) == 14
    assert ds.labels.count("Artist") == 21 and ds.labels.count("MeanOfTransportation") == 8
    assert all(r == "u" for r in ds.roles)


def test_missingturns_empty_gpt_turn_is_ft003(corpus_check):
    f = finding(corpus_check(BY_NAME["tests__fixtures__conversation.missingturns.json"].file), "FT003")
    [row] = f.rows
    assert (row.index, row.line) == (0, 1)
    assert row.extra["empty"] == ["assistant turn 2"]


def test_chat_tiny_and_instruct_tiny_views(corpus_dir):
    chat = load_dataset_file(corpus_dir / BY_NAME["tests__assets__chat_tiny.json"].file, "train", "x")
    assert chat.roles == ["suaua"]
    assert chat.texts[0][-1] == "I agree."
    inst = load_dataset_file(corpus_dir / BY_NAME["tests__assets__instruct_tiny.json"].file, "train", "x")
    assert inst.roles == ["ua", "ua"]
    assert inst.texts[0] == ("What time is it in London?", "It is 10:00 AM in London")


# -- the registry that is not a dataset ---------------------------------------------------------------

def test_llamafactory_folder_expands_to_its_json_files(corpus_dir):
    folder = corpus_dir / LF
    found = {p.name for p in expand_paths([folder])}
    assert "data__dataset_info.json" in {p.name for p in folder.iterdir()}
    # the LLaMA-Factory registry is named dataset_info.json upstream; in the corpus its name is prefixed,
    # so only an explicit check tells the user it is not a dataset
    assert {"data__alpaca_en_demo.json", "data__dpo_en_demo.json", "data__glaive_toolcall_en_demo.json"} <= found
    assert not any(n.endswith((".yaml", ".yml")) for n in found)


def test_dataset_info_json_given_explicitly_is_a_clear_format_error(corpus_dir, ftlint_cli):
    path = corpus_dir / LF / "data__dataset_info.json"
    with pytest.raises(FormatError) as e:
        load_dataset_file(path, "train", "x")
    msg = str(e.value)
    assert "keys found: identity, alpaca_en_demo" in msg and "[dataset.columns]" in msg
    res = ftlint_cli("check", path, "--no-cache")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_upstream_named_dataset_info_json_is_skipped_in_a_folder(corpus_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "dataset_info.json").write_bytes((corpus_dir / LF / "data__dataset_info.json").read_bytes())
    (data / "alpaca_en_demo.json").write_bytes((corpus_dir / LF / "data__alpaca_en_demo.json").read_bytes())
    assert [p.name for p in expand_paths([data])] == ["alpaca_en_demo.json"]



# -- formats read in full (LLaMA-Factory v1 parts, stack-exchange pairs, review columns) ----------------

def test_v1_content_parts_are_read_from_value(corpus_dir):
    path = corpus_dir / f"{LF}/data__v1_sft_demo.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    ds = load_dataset_file(path, "train", "x")
    assert ds.roles[0] == "ua"
    assert ds.texts[0] == tuple(m["content"][0]["value"] for m in first["messages"])
    assert all(all(t.strip() for t in ds.texts[i]) for i in range(len(ds)))


def test_v1_reasoning_and_tool_call_parts_are_part_of_the_reply(corpus_dir):
    path = corpus_dir / f"{LF}/data__reason_tool_use_demo_50.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    ds = load_dataset_file(path, "train", "x")
    reply = ds.texts[0][-1]
    parts = first["messages"][-1]["content"]
    assert [p["type"] for p in parts] == ["reasoning", "text"]
    assert all(p["value"] in reply for p in parts)
    calls = [i for i in range(len(ds)) if '"name"' in " ".join(ds.texts[i])]
    assert calls  # tool_call parts ({"name": ..., "arguments": ...}) are kept as text


def test_stack_exchange_pairs_are_preference_rows(corpus_dir):
    path = corpus_dir / "pytorch__torchtune/tests__assets__stack_exchange_paired_tiny.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    ds = load_dataset_file(path, "train", "x")
    assert ds.texts[0] == (records[0]["question"], records[0]["response_j"])
    assert ds.rejected[0] == records[0]["response_k"]


def test_review_csv_reads_summary_and_text_with_score_as_label(corpus_dir):
    import csv
    path = corpus_dir / "openai__openai-cookbook/examples__data__fine_food_reviews_1k.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ds = load_dataset_file(path, "train", "x")
    assert ds.texts[1] == (f"{rows[1]['Summary']}\n\n{rows[1]['Text']}",)
    assert [ds.labels[i] for i in range(5)] == [r["Score"] for r in rows[:5]]
    assert "Text" not in ds.extras and "Score" not in ds.extras and "ProductId" in ds.extras
