"""data/formats.py: one reader and writer per file format, shared by the loader and ``ftlint fix``
(record numbering exists once), byte-range partitions of JSONL, compressed files."""

from __future__ import annotations

import csv
import io
import itertools
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
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    pieced = [r for part in parts for r in JSONL.iter_records(source, start=part.start, end=part.end,
                                                              index=part.index, line=part.line)]
    assert [r[:5] for r in pieced] == [r[:5] for r in whole]
    assert sum(part.records for part in parts) == len(whole)


@pytest.mark.parametrize("size", [1, 2_000, 1 << 30])
def test_parquet_partitions_are_row_groups_numbered_as_one_read(tmp_path: Path, size: int) -> None:
    p = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_pylist([{"prompt": f"q{i}", "completion": "a" * (i % 50)} for i in range(500)]),
                   p, row_group_size=37)
    source = FileSource(p, p.name)
    whole = list(PARQUET.iter_records(source))
    parts = PARQUET.partitions(source, size)
    groups = pq.ParquetFile(p).num_row_groups
    assert parts[0].start == 0 and parts[-1].end == groups
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    if size == 1:
        assert len(parts) == groups
    elif size == 2_000:
        assert 1 < len(parts) < groups  # small row groups merged
    else:
        assert len(parts) == 1
    pieced = [r for part in parts for r in PARQUET.iter_records(source, start=part.start, end=part.end,
                                                                index=part.index, line=part.line)]
    assert [r[:5] for r in pieced] == [r[:5] for r in whole]
    assert [part.index for part in parts] == list(itertools.accumulate([0, *(q.records for q in parts)]))[:-1]
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"prompt": pa.array([], pa.string())}), empty)
    assert sum(q.records for q in PARQUET.partitions(FileSource(empty, "empty.parquet"), size)) == 0


def test_formats_by_name() -> None:
    assert format_of("TRAIN.JSONL") == (JSONL, None)
    assert format_of("a.ndjson") == (JSONL, None)
    assert format_of("a.json") == (JSON, None)
    assert format_of("a.csv") == (CSV, None)
    assert format_of("a.tsv") == (TSV, None)
    assert format_of("a.parquet") == (PARQUET, None)
    assert format_of("data-00000-of-00001.arrow") == (ARROW, None)
    assert format_of("notes.txt") is None


# -- compressed files ---------------------------------------------------------------------------------------

import bz2  # noqa: E402
import gzip  # noqa: E402
import lzma  # noqa: E402

import zstandard  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from ftlint.cli import main  # noqa: E402

COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
            ".zst": lambda data: zstandard.ZstdCompressor().compress(data)}
ROWS = [{"prompt": f"question number {i} about baking bread at home", "completion": f"answer {i}: knead it longer"}
        for i in range(30)]


def cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def check_json(*args: str) -> dict:
    code, out = cli("check", *args, "--isolated", "--no-cache", "--output-format", "json")
    assert code in (0, 1), out
    return json.loads(out)


def text_file(kind: str) -> bytes:
    """A file of each text format with a broken record, a blank line and a row that spans lines."""
    if kind == "jsonl":
        return jsonl_bytes()
    if kind == "json":
        return ('[\n' + ",\n".join(json.dumps(r, indent=1) for r in ROWS[:5]) + ',\n {"prompt": "x", \n]\n').encode()
    sep = "," if kind == "csv" else "\t"
    lines = [f"prompt{sep}completion", f"a{sep}b", "", f'"two\nlines"{sep}c', "only one field", f"d{sep}e"]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("suffix", list(COMPRESS))
@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "tsv"])
def test_a_compressed_file_reads_as_the_plain_file(tmp_path: Path, kind: str, suffix: str) -> None:
    data = text_file(kind)
    plain = tmp_path / f"d.{kind}"
    plain.write_bytes(data)
    packed = tmp_path / f"d.{kind}{suffix}"
    packed.write_bytes(COMPRESS[suffix](data))
    assert format_of(packed.name)[1] is not None
    want = [r[:5] for r in records(plain)]
    assert any(r[3] is not None for r in want) and any(r[3] is None for r in want)
    assert [r[:5] for r in records(packed)] == want


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_a_truncated_archive_is_an_ft001_where_its_data_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              suffix: str) -> None:
    monkeypatch.chdir(tmp_path)
    # 1 MB: more than one bzip2 block (bzip2 gives nothing of a block that is cut)
    data = "".join(json.dumps({**r, "n": k * 7919 % 10007}) + "\n" for k, r in enumerate(ROWS * 400)).encode()
    packed = COMPRESS[suffix](data)
    Path(f"train.jsonl{suffix}").write_bytes(packed[: len(packed) * 97 // 100])  # a download cut short
    report = check_json(f"train.jsonl{suffix}", "--select", "FT001")
    (finding,) = [f for f in report["findings"] if f["code"] == "FT001"]
    (row,) = finding["rows"]
    read = report["inputs"][0]["records"] - 1  # the complete records before the cut
    assert 0 < read < len(ROWS) * 400
    assert row["index"] == read and row["line"] == read  # at the last good line (issue 15, part 3)
    assert "the file is truncated" in row["extra"]["reason"] and f"after line {read:,}" in row["extra"]["reason"]
    code, _ = cli("check", f"train.jsonl{suffix}", "--isolated", "--no-cache", "--select", "FT001")
    assert code == 1  # never a pass on data that was not seen


def test_data_that_is_not_what_its_name_says_is_a_located_error(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("train.jsonl.gz").write_bytes(b'{"prompt": "not gzip at all", "completion": "x"}\n')
    code, out = cli("check", "train.jsonl.gz", "--isolated", "--no-cache")
    assert code == 2
    assert out.strip() == ("ftlint: error: train.jsonl.gz: cannot read gzip-compressed file: not gzip data "
                           "(Not a gzipped file (b'{\"'))")


def test_findings_in_a_compressed_file_cite_the_lines_of_the_uncompressed_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [json.dumps(r) for r in ROWS]
    rows[3] = rows[9]  # an exact duplicate (FT201)
    rows[12] = json.dumps({"prompt": "an empty answer", "completion": " "})  # FT003
    text = "\n".join(rows[:7]) + "\n\n" + '{"prompt": "cut' + "\n" + "\n".join(rows[7:]) + "\n"
    Path("plain").mkdir()
    Path("packed").mkdir()
    Path("plain/train.jsonl").write_text(text)
    Path("packed/train.jsonl.zst").write_bytes(COMPRESS[".zst"](text.encode()))

    def cited(path: str) -> list[tuple[str, int, int]]:
        report = check_json(path, "--select", "FT001,FT003,FT201")
        return sorted((f["code"], r["index"], r["line"]) for f in report["findings"] for r in f["rows"])

    got = cited("packed/train.jsonl.zst")
    assert {c for c, _, _ in got} == {"FT001", "FT003", "FT201"}
    assert got == cited("plain/train.jsonl")


def test_a_directory_reads_its_compressed_files_and_reports_the_ones_it_cannot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    Path("data/train.jsonl.gz").write_bytes(gzip.compress(data))
    Path("data/more.jsonl.zip").write_bytes(b"PK\x03\x04")
    report = check_json("data", "--select", "FT001")
    assert [(i["path"], i["records"]) for i in report["inputs"] if i["role"] == "dataset"] == \
        [("data/train.jsonl.gz", len(ROWS))]
    (skipped,) = [f for f in report["findings"] if f["code"] == "FT001"]
    assert skipped["location"]["path"] == "data/more.jsonl.zip"
    assert "ftlint reads .gz, .bz2, .xz and .zst files; decompress it first (`unzip data/more.jsonl.zip`)" in \
        skipped["message"]


# -- globs, trees, shards, datasets folders -----------------------------------------------------------------

def dataset_inputs(report: dict) -> list[tuple[str, str]]:
    return [(i["path"], i["split"]) for i in report["inputs"] if i["role"] == "dataset"]


def test_a_quoted_glob_and_recursive_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    for name in ("data/a/train.jsonl.gz", "data/b/c/train_2.jsonl.gz", "data/val.jsonl.gz", "data/top.jsonl",
                 "data/.hidden/x.jsonl.gz"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    got = dataset_inputs(check_json("data/**/*.jsonl.gz", "--select", "FT001"))
    assert got == [("data/a/train.jsonl.gz", "train"), ("data/b/c/train_2.jsonl.gz", "train"),
                   ("data/val.jsonl.gz", "validation")]
    got = dataset_inputs(check_json("data", "--recursive", "--select", "FT001"))
    assert got == [("data/top.jsonl", "train"), ("data/a/train.jsonl.gz", "train"),
                   ("data/b/c/train_2.jsonl.gz", "train"), ("data/val.jsonl.gz", "validation")]
    assert dataset_inputs(check_json("data", "--select", "FT001")) == [("data/top.jsonl", "train"),
                                                                        ("data/val.jsonl.gz", "validation")]
    code, out = cli("check", "data/**/*.csv", "--isolated", "--no-cache")
    assert code == 2 and "data/**/*.csv: no dataset files match this pattern" in out


def test_shards_of_one_split_are_one_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    for k in range(3):
        pq.write_table(pa.Table.from_pylist(ROWS[k * 8:(k + 1) * 8]), f"data/train-0000{k}-of-00003.parquet")
    Path("data/train_1.jsonl.gz").write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n"
                                                                     for r in ROWS[24:27])))
    pq.write_table(pa.Table.from_pylist(ROWS[27:]), "data/validation-00000-of-00001.parquet")
    report = check_json("data", "--select", "FT101")
    assert [s for _, s in dataset_inputs(report)] == ["train"] * 4 + ["validation"]
    by_split: dict[str, int] = {}
    for i in report["inputs"]:
        if i["role"] == "dataset":
            by_split[i["split"]] = by_split.get(i["split"], 0) + i["records"]
    assert by_split == {"train": 27, "validation": 3}


def save_to_disk(folder: Path, rows: list[dict], split: str | None = None, shards: int = 1,
                 features: dict | None = None) -> None:
    """What ``datasets.Dataset.save_to_disk`` writes: ``data-0000k-of-0000n.arrow`` shards in the Arrow
    IPC stream format with the features in the schema metadata, ``dataset_info.json`` and
    ``state.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows)
    features = features or {k: {"dtype": "string", "_type": "Value"} for k in table.column_names}
    table = table.replace_schema_metadata({"huggingface": json.dumps({"info": {"features": features}})})
    names = [f"data-{k:05d}-of-{shards:05d}.arrow" for k in range(shards)]
    per = -(-len(rows) // shards)
    for k, name in enumerate(names):
        part = table.slice(k * per, per)
        with pa.OSFile(str(folder / name), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(part, max_chunksize=5)
    (folder / "dataset_info.json").write_text(json.dumps({"citation": "", "description": "", "features": features,
                                                          "homepage": "", "license": ""}, indent=2))
    (folder / "state.json").write_text(json.dumps({
        "_data_files": [{"filename": n} for n in names], "_fingerprint": "0123456789abcdef", "_format_columns": None,
        "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False, "_split": split}, indent=2))


def save_dict_to_disk(folder: Path, splits: dict[str, list[dict]], **kw: object) -> None:
    """What ``datasets.DatasetDict.save_to_disk`` writes: ``dataset_dict.json`` and a folder per split."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": list(splits)}))
    for name, rows in splits.items():
        save_to_disk(folder / name, rows, split=name, **kw)


def test_a_datasets_dict_folder_is_read_without_the_datasets_package(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    labelled = [{"text": f"review number {i} of the bakery on the corner", "label": i % 2} for i in range(40)]
    features = {"text": {"dtype": "string", "_type": "Value"},
                "label": {"names": ["neg", "pos"], "_type": "ClassLabel"}}
    save_dict_to_disk(Path("saved"), {"train": labelled[:30], "test": labelled[30:]}, shards=2, features=features)
    report = check_json("saved", "--select", "FT101,FT301")
    assert dataset_inputs(report) == [("saved/train/data-00000-of-00002.arrow", "train"),
                                      ("saved/train/data-00001-of-00002.arrow", "train"),
                                      ("saved/test/data-00000-of-00002.arrow", "test"),
                                      ("saved/test/data-00001-of-00002.arrow", "test")]
    test_input = next(i for i in report["inputs"] if i["split"] == "test")
    assert test_input["split_source"] == "command line (datasets folder 'test' says 'test')"
    fmt, source = source_for(Path("saved/train/data-00000-of-00002.arrow"), "x")
    assert [r.value["label"] for r in fmt.iter_records(source)][:4] == ["neg", "pos", "neg", "pos"]  # ClassLabel names
    # a Dataset folder alone: its split from state.json
    save_to_disk(Path("one"), labelled[:10], split="validation")
    assert dataset_inputs(check_json("one", "--select", "FT101")) == [("one/data-00000-of-00001.arrow", "validation")]


def test_a_real_save_to_disk_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets", reason="the datasets package is not installed: the layout is "
                                                      "tested by hand-written folders above")
    monkeypatch.chdir(tmp_path)
    rows = {"prompt": [r["prompt"] for r in ROWS], "completion": [r["completion"] for r in ROWS]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows),
                          "validation": datasets.Dataset.from_dict(rows)}).save_to_disk("saved")
    report = check_json("saved", "--select", "FT101")
    assert {s for _, s in dataset_inputs(report)} == {"train", "validation"}


#: a DatasetDict written by the real ``datasets`` 3.6.0 ``save_to_disk`` (made once, outside the tests:
#: 40 generated alpaca rows, row 39 a copy of row 3; train 0-31, validation 32-39): the layout
#: read without the ``datasets`` package, checked against the library itself
REAL_SAVED = Path(__file__).parent / "data" / "save_to_disk_real"


def test_a_folder_written_by_datasets_3_6_save_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    import shutil

    shutil.copytree(REAL_SAVED, "saved")
    report = check_json("saved", "--select", "FT101,FT203")
    assert [(Path(p).parent.name, s) for p, s in dataset_inputs(report)] == [("train", "train"),
                                                                             ("validation", "validation")]
    assert [i["records"] for i in report["inputs"] if i["role"] == "dataset"] == [32, 8]
    (leak,) = [f for f in report["findings"] if f["code"] == "FT203"]  # row 39 (validation 7) copies row 3
    assert [(r["split"], r["index"]) for r in leak["rows"]] == [("validation", 7)]


def test_fix_writes_a_compressed_copy_of_a_compressed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [json.dumps(r) for r in ROWS]
    rows[4] = rows[2]
    Path("train.jsonl.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    code, out = cli("fix", "train.jsonl.gz", "--isolated", "--no-cache")
    assert code == 0, out
    kept = gzip.decompress(Path("ftlint-fixed/train.jsonl.gz").read_bytes()).decode().splitlines()
    carved = gzip.decompress(Path("ftlint-fixed/validation.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(kept) + len(carved) == len(ROWS) - 1 and rows[4] not in kept[4:5]
    assert sorted(kept + carved) == sorted(set(rows))
