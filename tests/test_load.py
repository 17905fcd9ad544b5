"""Loading dataset files: every format, line numbers, malformed records, unusable input, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.cache import Cache
from ftlint.data.dataset import Dataset
from ftlint.data.load import expand_paths, load_dataset_file
from ftlint.errors import FormatError, FtlintError, InputError
from ftlint.settings import Settings

CHAT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}


def load(path: Path, **kw) -> Dataset:
    return load_dataset_file(path, "train", "test", **kw)


def rows(ds: Dataset) -> list[tuple[int, int | None]]:
    """(index, line) of every row."""
    return [(int(ds.index[i]), ds.line_of(i)) for i in range(len(ds))]


def malformed(ds: Dataset) -> list[tuple[int, int | None]]:
    return [(m.index, m.line) for m in ds.malformed]


def cls(i: int) -> dict:
    return {"text": f"example {i}", "label": "a" if i % 2 else "b"}


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


def quick_check(*paths: Path, **kw):
    return check(list(paths), settings=Settings(root=paths[0].parent), no_cache=True, **kw)


# -- JSONL ----------------------------------------------------------------------------------------

def test_jsonl_rows_keep_index_and_line(write_jsonl):
    p = write_jsonl("data.jsonl", [cls(0), cls(1), cls(2)])
    ds = load(p)
    assert len(ds) == 3
    assert rows(ds) == [(0, 1), (1, 2), (2, 3)]
    assert ds.files[0].format == "classification"
    assert ds.files[0].records == 3
    assert ds.texts[1] == ("example 1",) and ds.labels[1] == "a"
    assert all(ds.path(i) == ds.files[0].path for i in range(3))


def test_jsonl_blank_lines_are_skipped_but_lines_counted(write_jsonl):
    p = write_jsonl("data.jsonl", ["", json.dumps(cls(0)), "   ", "", json.dumps(cls(1)), "\t", json.dumps(cls(2)), ""])
    ds = load(p)
    # index counts records (0-based), line counts physical lines (1-based)
    assert rows(ds) == [(0, 2), (1, 5), (2, 7)]
    assert ds.malformed == []
    assert ds.files[0].records == 3


def test_jsonl_utf8_bom_on_first_line(write_bytes):
    p = write_bytes("bom.jsonl",
                    b"\xef\xbb\xbf" + json.dumps(cls(0)).encode() + b"\n" + json.dumps(cls(1)).encode() + b"\n")
    ds = load(p)
    assert ds.malformed == []
    assert rows(ds) == [(0, 1), (1, 2)]
    assert ds.texts[0] == ("example 0",)


def test_jsonl_crlf_line_endings(write_bytes):
    p = write_bytes("crlf.jsonl", b"".join(json.dumps(cls(i)).encode() + b"\r\n" for i in range(3)))
    ds = load(p)
    assert ds.malformed == []
    assert rows(ds) == [(0, 1), (1, 2), (2, 3)]


def test_jsonl_broken_line_is_malformed_and_the_rest_is_read(write_jsonl):
    p = write_jsonl("broken.jsonl", [json.dumps(cls(0)), '{"text": "cut sh', json.dumps(cls(2)), json.dumps(cls(3))])
    ds = load(p)
    assert malformed(ds) == [(1, 2)]
    assert "invalid JSON" in ds.malformed[0].reason
    assert "cut sh" in ds.malformed[0].snippet
    assert rows(ds) == [(0, 1), (2, 3), (3, 4)]
    assert ds.files[0].records == 4  # records read, the malformed one included


def test_jsonl_invalid_utf8_line_is_malformed_and_the_rest_is_read(write_bytes):
    good = [json.dumps({"text": "café crème", "label": "x"}, ensure_ascii=False).encode()]
    bad = b'{"text": "caf\xe9", "label": "y"}'  # Latin-1 é: not UTF-8
    p = write_bytes("latin.jsonl", good[0] + b"\n" + bad + b"\n" + good[0] + b"\n")
    ds = load(p)
    assert malformed(ds) == [(1, 2)]
    assert "UTF-8" in ds.malformed[0].reason
    assert rows(ds) == [(0, 1), (2, 3)]
    assert ds.texts[0] == ("café crème",)


def test_jsonl_record_that_is_not_an_object_is_a_row_with_an_issue(write_jsonl):
    p = write_jsonl("mixed.jsonl", [json.dumps(cls(0)), '"just a string"', "[1, 2]", json.dumps(cls(3))])
    ds = load(p)
    assert ds.malformed == []
    assert rows(ds) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert ds.files[0].format == "classification"
    assert [x.kind for x in ds.issues[1]] == ["wrong-type"]
    assert [x.kind for x in ds.issues[2]] == ["wrong-type"]
    assert 0 not in ds.issues and 3 not in ds.issues


def test_jsonl_where_every_line_is_broken_has_no_rows(write_jsonl):
    p = write_jsonl("garbage.jsonl", ["this is not json", "nor is this"])
    ds = load(p)
    assert len(ds) == 0
    assert malformed(ds) == [(0, 1), (1, 2)]
    assert ds.files[0].records == 2


def test_broken_line_is_reported_as_ft001_with_its_line(write_jsonl):
    p = write_jsonl("broken.jsonl", [json.dumps(CHAT), '{"messages": [', json.dumps(CHAT)])
    report = quick_check(p, select=["FT001"])
    [f] = report.findings
    assert f.code == "FT001"
    assert [(r.index, r.line) for r in f.rows] == [(1, 2)]
    assert f.location.line == 2


# -- JSON -----------------------------------------------------------------------------------------

def test_json_array_rows_start_at_the_line_of_their_object(write_json, tmp_path):
    records = [cls(0), {"text": "multi\nline", "label": "a", "extra": {"nested": [1, 2, 3]}}, cls(2), cls(3)]
    p = write_json("data.json", records, indent=2)
    expected_lines = [n for n, line in enumerate(p.read_text().splitlines(), 1) if line == "  {"]
    assert len(expected_lines) == 4
    ds = load(p)
    assert rows(ds) == list(zip(range(4), expected_lines))
    assert ds.texts[1] == ("multi\nline",)


def test_json_array_on_one_line(write_json):
    p = write_json("flat.json", [cls(0), cls(1)], indent=None)
    assert rows(load(p)) == [(0, 1), (1, 1)]


def test_json_array_with_hand_placed_objects(write_bytes):
    p = write_bytes("hand.json", b'\n\n[ {"text": "a", "label": "x"},\n\n  {"text": "b",\n "label": "y"}, '
                                 b'{"text": "c", "label": "x"}\n]\n')
    assert rows(load(p)) == [(0, 3), (1, 5), (2, 6)]


def test_json_with_one_object(write_bytes):
    p = write_bytes("one.json", b'\n{\n  "instruction": "Say hi",\n  "output": "hi"\n}\n')
    ds = load(p)
    assert rows(ds) == [(0, 2)]
    assert ds.files[0].format == "alpaca"
    assert ds.files[0].records == 1


def test_json_with_concatenated_objects(write_bytes):
    p = write_bytes("concat.json", b'{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}'
                                   b'{"text": "c", "label": "x"}\n\n{\n"text": "d", "label": "y"}\n')
    ds = load(p)
    assert rows(ds) == [(0, 1), (1, 2), (2, 2), (3, 4)]
    assert [t[0] for t in ds.texts] == ["a", "b", "c", "d"]


def test_json_truncated_array_keeps_earlier_records(write_bytes):
    p = write_bytes("cut.json",
                    b'[\n  {"text": "a", "label": "x"},\n  {"text": "b", "label": "y"},\n  {"text": "c", "lab')
    ds = load(p)
    assert rows(ds) == [(0, 2), (1, 3)]
    assert malformed(ds) == [(2, 4)]
    assert "invalid JSON" in ds.malformed[0].reason


def test_json_array_cut_after_a_comma_is_malformed(write_bytes):
    p = write_bytes("cut2.json", b'[\n  {"text": "a", "label": "x"},\n')
    ds = load(p)
    assert rows(ds) == [(0, 2)]
    assert len(ds.malformed) == 1
    assert "not closed" in ds.malformed[0].reason or "truncated" in ds.malformed[0].reason


def test_json_array_missing_comma_between_items(write_bytes):
    p = write_bytes("nocomma.json", b'[\n{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n]')
    ds = load(p)
    assert rows(ds) == [(0, 2)]
    assert malformed(ds) == [(1, 3)]  # where the unexpected '{' is


def test_truncated_json_array_is_ft001_and_checked(write_bytes):
    body = b"[\n" + b",\n".join(json.dumps(CHAT).encode() for _ in range(3)) + b',\n{"messages": [{"role": "us'
    p = write_bytes("cut.json", body)
    report = quick_check(p)
    ft001 = [f for f in report.findings if f.code == "FT001"]
    assert len(ft001) == 1 and [r.line for r in ft001[0].rows] == [5]
    [info] = report.inputs
    assert info.records == 4 and info.format == "openai_chat"


def test_json_invalid_utf8_keeps_zero_based_indexes(write_bytes):
    p = write_bytes("latin.json",
                    b'[{"text": "a", "label": "x"},\n{"text": "caf\xe9", "label": "y"},\n{"text": "c", "label": "x"}]')
    ds = load(p)
    assert len(ds.malformed) == 1 and ds.malformed[0].line == 2 and "UTF-8" in ds.malformed[0].reason
    # like a bad JSONL line: the record holding the bad byte is FT001 (index 1), the others are read
    assert ds.malformed[0].index == 1
    assert [int(i) for i in ds.index] == [0, 2]
    assert ds.files[0].records == 3


def test_json_content_after_the_array_is_not_silently_dropped(write_bytes):
    p = write_bytes("two.json", b'[{"text": "a", "label": "x"}]\n[{"text": "b", "label": "y"}]\n')
    ds = load(p)
    assert len(ds) == 2 or len(ds.malformed) == 1


def test_json_lone_surrogate_escape_is_handled_like_jsonl(write_bytes, ftlint_cli):
    record = b'{"text": "cut emoji \\ud83d here", "label": "x"}'
    p = write_bytes("cut.json", b"[" + record + b",\n" + record + b"]")
    ds = load(p)
    for texts in ds.texts:
        for t in texts:
            t.encode("utf-8")  # every loaded text is encodable (no lone surrogates)
    res = ftlint_cli("check", p, "--no-cache", "--output-format", "json")
    assert res.returncode in (0, 1), res.stderr


def test_jsonl_lone_surrogate_escape_is_malformed(write_bytes):
    ds = load(write_bytes("cut.jsonl",
                          b'{"text": "cut emoji \\ud83d here", "label": "x"}\n{"text": "ok", "label": "y"}\n'))
    assert malformed(ds) == [(0, 1)]
    assert rows(ds) == [(1, 2)]


def test_empty_json_array(write_bytes):
    ds = load(write_bytes("empty.json", b"[]\n"))
    assert len(ds) == 0 and ds.malformed == [] and ds.files[0].records == 0


def test_json_scalar_document_is_a_format_error(write_bytes):
    with pytest.raises(FormatError) as e:
        load(write_bytes("n.json", b"42"))
    assert "n.json" in str(e.value)


# -- CSV / TSV ------------------------------------------------------------------------------------

def test_csv_physical_lines_with_multiline_quoted_fields(write_bytes):
    data = (b'text,label\n'
            b'plain,a\n'
            b'"two\nlines",b\n'
            b'"three\n\nlines, with a comma",a\n'
            b'last,b\n')
    ds = load(write_bytes("data.csv", data))
    assert rows(ds) == [(0, 2), (1, 3), (2, 5), (3, 8)]
    assert ds.texts[1] == ("two\nlines",)
    assert ds.texts[2] == ("three\n\nlines, with a comma",)
    assert ds.labels == ["a", "b", "a", "b"]
    assert ds.files[0].format == "classification"


def test_csv_crlf_and_bom(write_bytes):
    ds = load(write_bytes("data.csv", b'\xef\xbb\xbftext,label\r\n"x\r\ny",a\r\nz,b\r\n'))
    assert ds.files[0].format == "classification"  # the BOM is not part of the first header name
    assert rows(ds) == [(0, 2), (1, 4)]


def test_csv_row_with_wrong_field_count_is_malformed(write_bytes):
    ds = load(write_bytes("data.csv", b'text,label\nok,a\ntoo,many,fields\n\nfine,b\nshort\n'))
    assert rows(ds) == [(0, 2), (2, 5)]
    assert malformed(ds) == [(1, 3), (3, 6)]
    assert "3 fields" in ds.malformed[0].reason and "header has 2" in ds.malformed[0].reason


def test_csv_invalid_utf8_row_is_malformed(write_bytes):
    ds = load(write_bytes("data.csv", b'text,label\nok,a\ncaf\xe9,b\nfine,a\n'))
    assert rows(ds) == [(0, 2), (2, 4)]
    assert malformed(ds) == [(1, 3)]
    assert "UTF-8" in ds.malformed[0].reason


def test_csv_json_in_cell_messages(write_bytes):
    cell = json.dumps(CHAT["messages"]).replace('"', '""')
    ds = load(write_bytes("chat.csv", f'messages,source\n"{cell}",web\n"not json",web\n'.encode()))
    assert ds.files[0].format == "openai_chat"
    assert ds.roles[0] == "ua" and ds.texts[0] == ("Hi", "Hello!")
    assert 0 not in ds.issues
    assert [x.kind for x in ds.issues[1]] == ["wrong-type"]  # a string is not a message list
    assert ds.extras["source"] == ["web", "web"]


def test_csv_json_in_cell_under_a_mapped_column(write_bytes):
    cell = json.dumps(CHAT["messages"]).replace('"', '""')
    ds = load(write_bytes("chat.csv", f'dialog\n"{cell}"\n'.encode()), mapping={"messages": "dialog"})
    assert ds.files[0].format == "openai_chat"
    assert ds.roles[0] == "ua" and ds.issues == {}


def test_tsv(write_bytes):
    ds = load(write_bytes("data.tsv", b'question\tanswer\nWhat, then?\tThis, "quoted"\n"tab\tinside"\tok\n'))
    assert ds.files[0].format == "question_answer"
    assert rows(ds) == [(0, 2), (1, 3)]
    assert ds.texts[0] == ("What, then?", 'This, "quoted"')
    assert ds.texts[1] == ("tab\tinside", "ok")


def test_csv_with_only_a_header_is_empty(write_bytes):
    ds = load(write_bytes("head.csv", b"text,label\n"))
    assert len(ds) == 0 and ds.files[0].records == 0 and ds.files[0].format == "empty"


# -- Parquet --------------------------------------------------------------------------------------

def test_parquet_rows_have_no_line(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({
        "messages": [CHAT["messages"], [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]],
        "source": ["a", "b"],
    })
    p = tmp_path / "data.parquet"
    pq.write_table(table, p)
    ds = load(p)
    assert ds.files[0].format == "openai_chat"
    assert [int(i) for i in ds.index] == [0, 1]
    assert [ds.line_of(i) for i in range(2)] == [None, None]
    assert ds.texts[1] == ("2+2?", "4")
    assert ds.extras["source"] == ["a", "b"]
    assert ds.issues == {}


def test_parquet_rows_in_findings_have_no_line(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"text": ["same", "same", "other"], "label": ["a", "a", "b"]}), tmp_path / "d.parquet")
    report = quick_check(tmp_path / "d.parquet", select=["FT201"])
    [f] = report.findings
    assert [(r.index, r.line) for r in f.rows] == [(1, None)]


def test_parquet_with_wrong_magic_is_input_error(write_bytes):
    with pytest.raises(InputError, match="Parquet"):
        load(write_bytes("fake.parquet", b'{"text": "a"}\n'))


def test_corrupt_parquet_is_input_error(write_bytes):
    with pytest.raises(InputError, match="Parquet"):
        load(write_bytes("bad.parquet", b"PAR1 not really parquet PAR1"))


# -- unusable input ---------------------------------------------------------------------------------

def test_binary_file_is_input_error(write_bytes):
    with pytest.raises(InputError, match="not a text file"):
        load(write_bytes("image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_input_error(write_bytes, encoding):
    p = write_bytes("wide.jsonl", (json.dumps(cls(0)) + "\n").encode(encoding))
    with pytest.raises(InputError) as e:
        load(p)
    assert e.value.path and e.value.path.endswith("wide.jsonl")


@pytest.mark.parametrize("name,data", [("empty.jsonl", b""), ("blank.jsonl", b"\n\n  \n"), ("empty.json", b""),
                                       ("empty.csv", b""), ("ws.json", b"  \n")])
def test_empty_file_is_readable_with_zero_rows(write_bytes, name, data):
    ds = load(write_bytes(name, data))
    assert len(ds) == 0
    assert ds.malformed == []
    assert ds.files[0].records == 0
    assert ds.files[0].format == "empty"


def test_empty_file_is_reported_by_ft101(write_bytes):
    p = write_bytes("train.jsonl", b"")
    report = quick_check(p)
    ft101 = [f for f in report.findings if f.code == "FT101"]
    assert len(ft101) == 1
    assert "empty" in ft101[0].message
    assert ft101[0].severity.label == "error"
    assert "FT001" not in codes(report)


def test_missing_path_is_input_error(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InputError) as e:
        expand_paths([missing])
    assert e.value.path == str(missing)
    with pytest.raises(InputError):
        check([missing], settings=Settings(root=tmp_path), no_cache=True)


def test_directory_expands_not_recursively(tmp_path, write_jsonl, write_bytes):
    d = tmp_path / "data"
    for name in ("b.jsonl", "a.json", "c.csv", "d.tsv", "e.ndjson", "F.JSONL"):
        write_bytes(f"data/{name}", b"")
    write_bytes("data/g.parquet", b"")
    write_bytes("data/dataset_info.json", b"{}")
    write_bytes("data/.hidden.jsonl", b"")
    write_bytes("data/notes.txt", b"")
    write_bytes("data/train.yaml", b"a: 1\n")
    write_bytes("data/nested/deep.jsonl", b"")
    found = expand_paths([d])
    assert [p.name for p in found] == sorted(
        ["F.JSONL", "a.json", "b.jsonl", "c.csv", "d.tsv", "e.ndjson", "g.parquet"])


def test_files_and_directories_mix(tmp_path, write_bytes):
    f = write_bytes("top.jsonl", b"")
    write_bytes("dir/x.jsonl", b"")
    assert [p.name for p in expand_paths([f, tmp_path / "dir"])] == ["top.jsonl", "x.jsonl"]


def test_directory_without_dataset_files_is_input_error(tmp_path, write_bytes):
    write_bytes("empty_dir/readme.md", b"hi")
    write_bytes("empty_dir/dataset_info.json", b"{}")
    write_bytes("empty_dir/sub/train.jsonl", b"")  # not found: expansion is not recursive
    with pytest.raises(InputError, match="no dataset files") as e:
        expand_paths([tmp_path / "empty_dir"])
    assert e.value.path == str(tmp_path / "empty_dir")


@pytest.mark.parametrize("name", ["notes.txt", "train.yaml", "data.jsonl.zip", "data.parquet.gz", "data.xlsx"])
def test_unsupported_extension_is_input_error(write_bytes, name):
    p = write_bytes(name, b"text")
    with pytest.raises(InputError, match="not a dataset file"):
        expand_paths([p])


def test_yaml_given_as_dataset_points_to_config(write_bytes):
    p = write_bytes("train.yaml", b"model: x\n")
    with pytest.raises(InputError, match="--config"):
        expand_paths([p])


@pytest.mark.parametrize("setup,expected", [
    ("missing", "no such file or directory"),
    ("binary", "not a text file"),
    ("emptydir", "no dataset files"),
    ("unknown_format", "cannot recognise the record format"),
    ("txt", "not a dataset file"),
])
def test_cli_unusable_input_is_one_located_line_and_exit_2(tmp_path, ftlint_cli, setup, expected):
    if setup == "missing":
        target = tmp_path / "missing.jsonl"
    elif setup == "binary":
        target = tmp_path / "bin.jsonl"
        target.write_bytes(b"\x00\x01\x02\x03" * 100)
    elif setup == "emptydir":
        target = tmp_path / "nodata"
        target.mkdir()
    elif setup == "unknown_format":
        target = tmp_path / "odd.jsonl"
        target.write_text('{"foo": 1, "bar": 2}\n')
    else:
        target = tmp_path / "notes.txt"
        target.write_text("hello\n")
    res = ftlint_cli("check", target, "--no-cache")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("ftlint: error: ")
    assert target.name in lines[0]
    assert expected in lines[0]


# -- the on-disk cache --------------------------------------------------------------------------------

def _same(a: Dataset, b: Dataset) -> bool:
    return (a.roles == b.roles and a.texts == b.texts and a.labels == b.labels and a.rejected == b.rejected
            and a.index.tolist() == b.index.tolist() and a.line.tolist() == b.line.tolist()
            and a.extras == b.extras and a.issues == b.issues and a.malformed == b.malformed
            and a.files[0].format == b.files[0].format and a.files[0].records == b.files[0].records
            and a.files[0].content_hash == b.files[0].content_hash)


def test_cache_second_load_is_a_hit_with_equal_data(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [cls(0), "{broken", {**cls(2), "source": "x"}, [1]])
    cache = Cache(tmp_path / "cache")
    first = load_dataset_file(p, "train", "positional path", cache=cache)
    assert (cache.hits, cache.misses) == (0, 1)
    assert list((tmp_path / "cache").rglob("*.ftc"))
    second = load_dataset_file(p, "validation", "--validation", cache=Cache(tmp_path / "cache"))
    assert _same(first, second)
    # split and its reason come from this run, not from the cached copy
    assert second.split == "validation"
    assert second.files[0].split == "validation" and second.files[0].split_source == "--validation"


def test_cache_hit_is_counted(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [cls(0), cls(1)])
    cache = Cache(tmp_path / "cache")
    load_dataset_file(p, "train", "x", cache=cache)
    load_dataset_file(p, "train", "x", cache=cache)
    assert (cache.hits, cache.misses) == (1, 1)


def test_changing_the_file_invalidates_the_cache(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [cls(0), cls(1)])
    cache = Cache(tmp_path / "cache")
    assert len(load_dataset_file(p, "train", "x", cache=cache)) == 2
    write_jsonl("data.jsonl", [cls(0), cls(1), cls(2)])
    ds = load_dataset_file(p, "train", "x", cache=cache)
    assert len(ds) == 3
    assert cache.hits == 0


def test_mapping_is_part_of_the_cache_key(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [{"q": "What?", "a": "That."}, {"q": "Who?", "a": "Me."}])
    cache = Cache(tmp_path / "cache")
    mapped = load_dataset_file(p, "train", "x", mapping={"question": "q", "answer": "a"}, cache=cache)
    assert mapped.files[0].format == "question_answer"
    with pytest.raises(FormatError):
        load_dataset_file(p, "train", "x", cache=cache)


def test_disabled_cache_writes_nothing(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [cls(0), cls(1)])
    cache = Cache(tmp_path / "cache", enabled=False)
    load_dataset_file(p, "train", "x", cache=cache)
    load_dataset_file(p, "train", "x", cache=cache)
    assert not (tmp_path / "cache").exists()
    assert (cache.hits, cache.misses) == (0, 0)


def test_check_with_no_cache_writes_nothing(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [CHAT, CHAT])
    check([p], settings=Settings(root=tmp_path), no_cache=True)
    assert not (tmp_path / ".ftlint_cache").exists()


def test_check_caches_under_the_project_root(tmp_path, write_jsonl):
    p = write_jsonl("data.jsonl", [CHAT, CHAT])
    first = check([p], settings=Settings(root=tmp_path))
    assert list((tmp_path / ".ftlint_cache").rglob("*.ftc"))
    second = check([p], settings=Settings(root=tmp_path))
    assert [(f.code, f.message) for f in first.findings] == [(f.code, f.message) for f in second.findings]


def test_cli_no_cache_writes_nothing(tmp_path, ftlint_cli):
    data = tmp_path / "cwd" / "data.jsonl"
    data.parent.mkdir(exist_ok=True)
    data.write_text(json.dumps(CHAT) + "\n")
    res = ftlint_cli("check", data, "--no-cache", "--output-format", "json")
    assert res.returncode in (0, 1), res.stderr
    assert not (tmp_path / "cwd" / ".ftlint_cache").exists()
    res = ftlint_cli("check", data, "--output-format", "json")
    assert res.returncode in (0, 1), res.stderr
    assert (tmp_path / "cwd" / ".ftlint_cache").is_dir()


def test_ftlint_errors_are_exit_code_2():
    for cls_ in (InputError, FormatError):
        e = cls_("boom", "a.jsonl", 3)
        assert isinstance(e, FtlintError) and e.exit_code == 2
        assert e.located() == "a.jsonl:3: boom"


# -- the detection guard: text that is there but not extracted is a detection failure ---------------------

def _write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_records_with_text_the_format_cannot_read_exit_2_with_keys_and_mapping(tmp_path):
    parts = [{"messages": [{"role": "user", "content": [{"type": "text", "body": f"question {i}"}]},
                           {"role": "assistant", "content": [{"type": "text", "body": f"answer {i}"}]}]}
             for i in range(10)]
    path = _write_jsonl(tmp_path / "train.jsonl", parts)
    with pytest.raises(FormatError) as e:
        load(path)
    msg = str(e.value)
    assert "extracts no text from 10 of 10 records" in msg
    assert "keys found: messages" in msg and "[dataset.columns]" in msg and "format =" in msg
    from click.testing import CliRunner

    from ftlint.cli import main
    res = CliRunner().invoke(main, ["check", str(path), "--no-cache"])
    assert res.exit_code == 2 and "extracts no text" in res.output and "FT201" not in res.output


def test_records_that_really_are_empty_stay_findings(tmp_path):
    empty = [{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": ""}]}] * 10
    ds = load(_write_jsonl(tmp_path / "train.jsonl", empty))
    assert len(ds) == 10  # no FormatError: FT003 reports the empty fields
    report = check([tmp_path / "train.jsonl"], settings=Settings(), no_cache=True)
    assert "FT003" in codes(report)


def test_a_few_unreadable_rows_do_not_trip_the_guard(tmp_path):
    good = [CHAT] * 8
    bad = [{"messages": [{"role": "user", "content": [{"type": "text", "body": "x"}]}]}] * 2
    ds = load(_write_jsonl(tmp_path / "train.jsonl", good + bad))
    assert len(ds) == 10 and len(ds.issues) == 2


def test_title_description_label_csv_is_classification(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text('title,description,label\n"Stocks rise","Markets gained today.",business\n'
                    '"Team wins","A late goal decided it.",sports\n', encoding="utf-8")
    ds = load(path)
    assert ds.files[0].format == "text_columns"
    assert ds.texts[0] == ("Stocks rise\n\nMarkets gained today.",)
    assert [ds.labels[0], ds.labels[1]] == ["business", "sports"]
