"""The Dataset's compact columns: TextColumn in memory and on disk, CodedColumn, OptionalTextColumn."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import ftlint.data.columns as columns
from ftlint.data.columns import CodedColumn, OptionalTextColumn, TextColumn, concat_text
from ftlint.data.dataset import Dataset
from ftlint.data.load import load_dataset_file

ROWS = [
    ("Be brief.", "Hi", "Hello"),
    (),  # a row without turns (a record that is not an object)
    ("", "", ""),  # empty turns
    ("naïve café — 東京", "emoji 😀🎉 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈"),  # BMP and astral characters, no surrogates
    tuple(f"turn {k} " + "x" * k for k in range(200)),  # many turns
    ("a" * 3_000_000, "b"),  # a large value (larger than a read-ahead block)
    ("tab\tnew\nline\r\x00nul",),
]


def _disk(tmp_path: Path, rows=ROWS) -> TextColumn:
    col = TextColumn(tmp_path, memory_rows=1)  # forced on disk from the first row
    col.extend(rows)
    return col.freeze()


def test_in_memory_round_trip() -> None:
    col = TextColumn(memory_rows=100)
    col.extend(ROWS)
    col.freeze()
    assert not col.on_disk and col.nbytes == 0
    assert len(col) == len(ROWS) and list(col) == ROWS and col == ROWS
    assert col[3] == ROWS[3] and col[-1] == ROWS[-1] and col[1:3] == ROWS[1:3]


def test_on_disk_round_trip(tmp_path: Path) -> None:
    col = _disk(tmp_path)
    assert col.on_disk
    assert col.nbytes == sum(len(t.encode("utf-8")) for r in ROWS for t in r)
    # random access, sequential access (read-ahead), iteration, slices, ranges, negative index
    assert [col[i] for i in (5, 0, 3, 4, 1)] == [ROWS[i] for i in (5, 0, 3, 4, 1)]
    assert [col[i] for i in range(len(ROWS))] == ROWS
    assert list(col) == ROWS and col == ROWS
    assert col[2:5] == ROWS[2:5] and col[::2] == ROWS[::2] and col.rows(1, 100) == ROWS[1:]
    assert col[-2] == ROWS[-2]
    assert col[3][1] == "emoji 😀🎉 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈" and len(col[3][1]) == len(ROWS[3][1])
    assert col[2] == ("", "", "") and col[1] == ()
    assert len(col[4]) == 200 and col[4][199] == "turn 199 " + "x" * 199
    assert len(col[5][0]) == 3_000_000
    with pytest.raises(IndexError):
        col[len(ROWS)]


def test_sequential_scan_reads_ahead_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [(f"system {i}", f"question {i} é", f"answer {i}") for i in range(5000)]
    col = _disk(tmp_path, rows)
    reads = []
    real = os.pread
    monkeypatch.setattr(columns.os, "pread", lambda fd, n, off: reads.append(n) or real(fd, n, off))
    assert [col[i] for i in range(len(rows))] == rows
    assert len(reads) == -(-5000 // columns.READ_AHEAD_ROWS) + 1  # one single-row read, then blocks
    reads.clear()
    assert col[10] == rows[10] and len(reads) == 1  # random access (outside the block held) reads one row


def test_threshold_by_bytes(tmp_path: Path) -> None:
    col = TextColumn(tmp_path, memory_rows=10**9, memory_bytes=100)
    col.append(("x" * 60,))
    assert not col.on_disk
    col.append(("y" * 60,))
    assert col.on_disk and col.freeze() == [("x" * 60,), ("y" * 60,)]


def test_temporary_file_is_removed(tmp_path: Path) -> None:
    col = _disk(tmp_path)
    fd = col._fd
    # an anonymous temporary file: no name in the folder while in use (POSIX), the space given back
    # when the column is closed, or garbage-collected, or the process ends
    assert list(tmp_path.iterdir()) == []
    if os.path.exists("/proc/self/fd"):
        target = os.readlink(f"/proc/self/fd/{fd}")
        assert target.startswith(str(tmp_path)) and target.endswith("(deleted)")
    col.close()
    assert list(tmp_path.iterdir()) == [] and col._file is None
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)  # closed: the file's space is released


def test_pickle_and_saved_copy(tmp_path: Path) -> None:
    col = _disk(tmp_path)
    assert pickle.loads(pickle.dumps(col)) == ROWS  # the text embedded
    col.save(tmp_path / "copy.text0")
    blob = pickle.dumps(col)
    assert len(blob) < 10_000  # refers to the copy instead
    assert pickle.loads(blob) == ROWS and col == ROWS
    mem = TextColumn()
    mem.extend(ROWS[:3])
    assert pickle.loads(pickle.dumps(mem.freeze())) == ROWS[:3]


def test_concat_streams_parts(tmp_path: Path) -> None:
    a = _disk(tmp_path, ROWS[:4])
    b = TextColumn()
    b.extend(ROWS[4:])
    out = concat_text([a, b.freeze(), [("plain", "list")]], tmp_path)
    assert out == ROWS + [("plain", "list")]


def test_coded_and_optional_columns() -> None:
    roles = CodedColumn(["sua", "ua", "sua", ""])
    assert roles == ["sua", "ua", "sua", ""] and roles.freeze()[2] == "sua" and roles.values == ["sua", "ua", ""]
    assert roles[1:3] == ["ua", "sua"] and list(roles) == ["sua", "ua", "sua", ""]
    assert pickle.loads(pickle.dumps(roles)) == roles
    labels = CodedColumn([None, "pos", None])
    assert labels.freeze() == [None, "pos", None] and labels[-1] is None
    for values in ([None, None, None], ["a", "b", "c"], [None, "🎉", None, ""]):
        col = OptionalTextColumn(memory_rows=1)
        col.extend(values)
        assert col.freeze() == values and [col[i] for i in range(len(values))] == values
        assert pickle.loads(pickle.dumps(col)) == values


def _write_chat(path: Path, n: int) -> list[tuple[str, ...]]:
    import json

    rows = []
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            turns = (f"sys {i % 3}", f"question {i} 😀", f"answer {i} é")
            rows.append(turns)
            msgs = [{"role": r, "content": t} for r, t in zip(("system", "user", "assistant"), turns)]
            f.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")
    return rows


def test_loader_spills_past_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "train.jsonl"
    rows = _write_chat(path, 700)
    small = load_dataset_file(path, "train", "test")
    assert isinstance(small.texts, TextColumn) and not small.texts.on_disk
    monkeypatch.setattr(columns, "MEMORY_ROWS", 100)
    ds = load_dataset_file(path, "train", "test")
    assert ds.texts.on_disk and ds.texts == rows and ds.texts == small.texts
    assert ds.roles == ["sua"] * 700 and ds.labels == [None] * 700 and ds.rejected == [None] * 700
    assert [ds.full_text(i) for i in range(700)] == [small.full_text(i) for i in range(700)]
    assert ds.full_texts(0, 700) == small.full_texts(0, 700) == [small.full_text(i) for i in range(700)]
    assert ds.full_texts(650, 10_000) == [small.full_text(i) for i in range(650, 700)]
    assert ds.response(699) == "answer 699 é" and ds.prompt(5) == "sys 2\nquestion 5 😀"
    both = Dataset.concat("train", [ds, small])
    assert both.texts.on_disk and len(both) == 1400 and list(both.texts) == rows + rows
    assert both.roles == ["sua"] * 1400 and not both.has_labels()
