"""data/formats.py: one reader and writer per file format, shared by the loader and ``ftlint fix``
(record numbering exists once), byte-range partitions of JSONL, compressed files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ftlint.data.formats import ARROW, CSV, JSON, JSONL, PARQUET, TSV, FileSource, Record, format_of, source_for
from ftlint.data.load import load_dataset_file

GOOD = [{"prompt": f"question {i}", "completion": f"answer {i}"} for i in range(6)]


def records(path: Path) -> list[Record]:
    fmt, source = source_for(path, path.name)
    return list(fmt.iter_records(source))


def jsonl_bytes() -> bytes:
    """BOM, blank lines, a broken line, a line that is not UTF-8, CRLF endings."""
    lines = [json.dumps(GOOD[0]).encode(), b"", json.dumps(GOOD[1]).encode(), b"   ", b'{"prompt": "cut',
             json.dumps(GOOD[2]).encode() + b"\r", b'{"prompt": "caf\xe9", "completion": "x"}',
             json.dumps(GOOD[3]).encode(), b"", json.dumps(GOOD[4]).encode()]
    return b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"


def test_jsonl_records_are_numbered_as_the_loader_numbers_rows(tmp_path: Path) -> None:
    p = tmp_path / "train.jsonl"
    p.write_bytes(jsonl_bytes())
    recs = records(p)
    assert [(r.index, r.line) for r in recs] == [(0, 1), (1, 3), (2, 5), (3, 6), (4, 7), (5, 8), (6, 10)]
    assert [r.error is not None for r in recs] == [False, False, True, False, True, False, False]
    assert recs[3].raw == json.dumps(GOOD[2]).encode()  # the line as written, without its line ending
    ds = load_dataset_file(p, "train", "test")
    assert [(int(i), int(ln)) for i, ln in zip(ds.index, ds.line)] == \
        [(r.index, r.line) for r in recs if r.error is None]
    assert [(m.index, m.line) for m in ds.malformed] == [(2, 5), (4, 7)]


def test_json_and_csv_records_carry_their_start_lines(tmp_path: Path) -> None:
    j = tmp_path / "d.json"
    j.write_text('[\n  {"prompt": "a", "completion": "b"},\n  {"prompt": "c",\n   "completion": "d"}\n]\n')
    assert [(r.index, r.line, r.value["prompt"]) for r in records(j)] == [(0, 2, "a"), (1, 3, "c")]
    c = tmp_path / "d.csv"
    c.write_text('prompt,completion\na,b\n\n"multi\nline",x\nonly one\nc,d\n')
    got = [(r.index, r.line, r.error is not None) for r in records(c)]
    assert got == [(0, 2, False), (1, 4, False), (2, 6, True), (3, 7, False)]


@pytest.mark.parametrize("name", ["d.jsonl", "d.json", "d.csv", "d.tsv", "d.parquet", "d.arrow"])
def test_a_writer_copies_records_and_sets_a_column(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in" / name
    src.parent.mkdir()
    rows = [{"prompt": f"q{i}", "completion": f"a{i}"} for i in range(5)]
    if name.endswith(".jsonl"):
        src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif name.endswith(".json"):
        src.write_text(json.dumps(rows))
    elif name.endswith((".csv", ".tsv")):
        buf = io.StringIO()
        w = csv.DictWriter(buf, ["prompt", "completion"], delimiter="\t" if name.endswith(".tsv") else ",",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        src.write_text(buf.getvalue())
    elif name.endswith(".parquet"):
        pq.write_table(pa.Table.from_pylist(rows), src)
    else:
        table = pa.Table.from_pylist(rows)
        with pa.OSFile(str(src), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
    fmt, source = source_for(src, name)
    out = tmp_path / "out" / name
    writer = fmt.writer(out, source, ("w",))
    for rec in fmt.iter_records(source):
        if rec.index != 2:
            writer.add(rec, {"w": 0.5 * rec.index})
    writer.close()
    assert writer.rows == 4
    back = [r.value for r in records(out)]
    assert [r["prompt"] for r in back] == ["q0", "q1", "q3", "q4"]
    assert [float(r["w"]) for r in back] == [0.0, 0.5, 1.5, 2.0]
    assert {k for r in back for k in r} == {"prompt", "completion", "w"}


def test_a_jsonl_copy_without_changes_keeps_every_byte_of_each_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"b": 1,   "a": "\\u00e9"}\n{"x": [1, 2]}\r\nnot json\n')
    fmt, source = source_for(src, "in.jsonl")
    writer = fmt.writer(tmp_path / "out.jsonl", source)
    for rec in fmt.iter_records(source):
        writer.add(rec)
    writer.close()
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"b": 1,   "a": "\\u00e9"}\n{"x": [1, 2]}\nnot json\n'


@pytest.mark.parametrize("size", [1, 7, 40, 100, 10_000])
def test_jsonl_partitions_number_records_as_one_read_does(tmp_path: Path, size: int) -> None:
    p = tmp_path / "train.jsonl"
    p.write_bytes(jsonl_bytes() + b"\n\n" + json.dumps(GOOD[5]).encode())  # no final newline
    source = FileSource(p, p.name)
    whole = list(JSONL.iter_records(source))
    parts = JSONL.partitions(source, size)
    assert parts[0].start == 0 and parts[-1].end == p.stat().st_size
    assert all(a.end == b.start for a, b in zip(parts, parts[1:]))
    pieced = [r for part in parts for r in JSONL.iter_records(source, start=part.start, end=part.end,
                                                              index=part.index, line=part.line)]
    assert [r[:5] for r in pieced] == [r[:5] for r in whole]
    assert sum(part.records for part in parts) == len(whole)


def test_formats_by_name() -> None:
    assert format_of("TRAIN.JSONL") == (JSONL, None)
    assert format_of("a.ndjson") == (JSONL, None)
    assert format_of("a.json") == (JSON, None)
    assert format_of("a.csv") == (CSV, None)
    assert format_of("a.tsv") == (TSV, None)
    assert format_of("a.parquet") == (PARQUET, None)
    assert format_of("data-00000-of-00001.arrow") == (ARROW, None)
    assert format_of("notes.txt") is None
