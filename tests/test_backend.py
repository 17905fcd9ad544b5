"""The per-row work and the duplicate and leakage stage on an engine (``ftlint.backend``): the same
report as in-process, through ``local`` (a process pool) and ``dask`` (a 2-worker LocalCluster this
module starts on 127.0.0.1), on generated data with planted duplicates, leaks and per-row problems
and on corpus files."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ftlint.api import check
from ftlint.backend import (
    EngineError,
    EngineOptions,
    bucket_of,
    default_workers,
    open_backend,
    split_buckets,
)
from ftlint.backend.local import LocalBackend
from ftlint.cli import main
from ftlint.settings import EngineSettings, Settings, load_settings, parse_size

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """One 2-worker LocalCluster for the module, started as ftlint starts its own (worker env set)."""
    import dask
    from distributed import LocalCluster

    from ftlint.backend.daskbackend import WORKER_ENV

    with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENV)}):
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None)
    yield c
    c.close()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(f"w{rng.randrange(4000)}" for _ in range(n))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Chat rows sharing a system prompt, with exact copies (one with other case and spacing), one-word
    near-copies, a malformed line, a blank line, a non-object record, no final newline; a validation
    file that copies and nearly copies training rows."""
    rng = random.Random(7)
    d = tmp_path_factory.mktemp("planted")
    rows: list[Any] = []
    for _ in range(600):
        rows.append({"messages": [{"role": "system", "content": "You are terse.\n\nAnswer in English."},
                                  {"role": "user", "content": _words(rng, 25)},
                                  {"role": "assistant", "content": _words(rng, 50)}]})
    for k in range(20):
        rows.append(json.loads(json.dumps(rows[k])))
    rows[-1]["messages"][1]["content"] = "  " + rows[-1]["messages"][1]["content"].upper() + " "
    for k in range(20, 45):
        r = json.loads(json.dumps(rows[k]))
        w = r["messages"][2]["content"].split()
        w[7] = "other"
        r["messages"][2]["content"] = " ".join(w)
        rows.append(r)
    rng.shuffle(rows)
    lines = [json.dumps(r) for r in rows]
    lines.insert(100, "{broken json")
    lines.insert(200, "")
    lines.insert(300, "[1, 2]")
    (d / "train.jsonl").write_text("\n".join(lines), encoding="utf-8")  # no final newline
    val = [json.loads(json.dumps(rows[i])) for i in range(8)]
    for i in range(8, 14):
        r = json.loads(json.dumps(rows[i]))
        r["messages"][2]["content"] += " extra"
        val.append(r)
    val += [{"messages": [{"role": "user", "content": _words(rng, 20)},
                          {"role": "assistant", "content": _words(rng, 40)}]} for _ in range(30)]
    (d / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in val), encoding="utf-8")
    return d / "train.jsonl", d / "val.jsonl"


def _report(paths: list[Path], validation: list[Path], partition: int = 16384, select: str | None = "FT001,FT002,FT2",
            timings: dict[str, float] | None = None, **kw: Any) -> dict[str, Any]:
    s = Settings(root=paths[0].parent)
    s.engine = EngineSettings(partition_size=partition)
    report = check(paths, validation=validation, settings=s, select=select, no_cache=True,
                   plugins=False, charts=False, **kw)
    d = json.loads(report.to_json())
    if timings is not None:
        timings.update(report.timings)
    d.pop("timings", None)
    for r in d.get("rules", []):
        r.pop("seconds", None)
    return d


def test_engines_give_the_in_process_report_on_planted_data(planted: tuple[Path, Path], cluster: Any) -> None:
    train, val = planted
    base = _report([train], [val])
    codes = {f["code"]: f for f in base["findings"]}
    assert {"FT001", "FT201", "FT202", "FT203"} <= set(codes), sorted(codes)
    assert codes["FT203"]["affected"]["count"] >= 8
    said: list[str] = []
    local = _report([train], [val], engine="local", workers=2, engine_echo=said.append)
    assert any("map of" in m and "part" in m for m in said), said  # the engine did the work
    assert local == base
    dask = _report([train], [val], engine="dask", scheduler=cluster.scheduler_address, engine_echo=said.append)
    assert dask == base
    # one part per file, and parts so small that most lines straddle a boundary
    assert _report([train], [val], partition=1 << 30, engine="local") == base
    assert _report([train], [val], partition=700, engine="local") == base


def test_local_spilling_gives_the_same_report(planted: tuple[Path, Path], monkeypatch: Any) -> None:
    """What the local engine keeps on disk at scale (every map result's arrays, the shuffle's
    buckets in many files, one reduced at a time), forced here on small data: the same report."""
    from ftlint.backend import local

    train, val = planted
    base = _report([train], [val])
    monkeypatch.setattr(local, "SPILL_ARRAY_BYTES", 1)
    monkeypatch.setattr(local, "SPILL_BYTES", 0)
    monkeypatch.setattr(local, "BUCKET_BYTES", 256)
    seen: list[int] = []
    real = local._Spill.__init__

    def spy(self: Any, *a: Any) -> None:
        real(self, *a)
        seen.append(self.n)

    monkeypatch.setattr(local._Spill, "__init__", spy)
    assert _report([train], [val], engine="local", workers=2) == base
    assert seen and min(seen) > 4, seen  # the shuffles were spilled, into more buckets than 2 x workers
    assert _report([train], [val], partition=700, engine="local") == base


def test_bands_shuffled_in_rounds_give_the_same_report(planted: tuple[Path, Path], cluster: Any,
                                                      monkeypatch: Any) -> None:
    """At scale the 16 bands are shuffled a few at a time (``dedup.SHUFFLE_BYTES``); forced here to
    one band per round, on both engines: the same report."""
    from ftlint.backend import dedup

    train, val = planted
    base = _report([train], [val])
    monkeypatch.setattr(dedup, "SHUFFLE_BYTES", 1)
    assert dedup.band_rounds(1000, 16) == [(b, b + 1) for b in range(16)]
    assert _report([train], [val], engine="local", workers=2) == base
    assert _report([train], [val], engine="dask", scheduler=cluster.scheduler_address) == base
    monkeypatch.setattr(dedup, "SHUFFLE_BYTES", 32 * 1000 * 5)
    assert dedup.band_rounds(1000, 16) == [(0, 5), (5, 10), (10, 15), (15, 16)]


def _sized(n: int) -> list[int]:
    return list(range(1000 * n, 1000 * n + [1, 50, 50][n]))


def test_local_shuffle_spills_when_a_later_part_is_large(monkeypatch: Any) -> None:
    """A small first part is held; when a later part makes the shuffle large, the held parts go to
    the spill first, so every key's records still arrive in partition order."""
    from ftlint.backend import local

    def run() -> list[Any]:
        b = local.LocalBackend(1)
        try:
            hs = b.map(_sized, [0, 1, 2])
            return sorted(g for r in b.group(hs, _records, _reduce, 2, key_args=[0, 1, 2]) for g in r)
        finally:
            b.close()

    in_memory = run()
    assert [x for _, m in in_memory for x in m if x < 1000] == [0]
    monkeypatch.setattr(local, "SPILL_BYTES", 1000)  # the first part (24 bytes) is held, the second spills
    monkeypatch.setattr(local, "BUCKET_BYTES", 64)
    made: list[int] = []
    real = local._Spill.add
    monkeypatch.setattr(local._Spill, "add", lambda self, k, p: (made.append(len(k)), real(self, k, p))[1])
    assert run() == in_memory
    assert made == [1, 50, 50]  # the held first part, then the two that made it large
    for _, members in in_memory:
        assert members == sorted(members)  # partition order (each part's values are ascending)


def test_local_spilled_values_read_back_whole(monkeypatch: Any) -> None:
    from ftlint.backend import local

    monkeypatch.setattr(local, "SPILL_ARRAY_BYTES", 8)
    b = local.LocalBackend(1)
    try:
        v = (np.arange(10, dtype=np.uint64).reshape(5, 2), np.zeros(0, dtype=bool), "name",
             np.array([1 << 63], dtype=np.uint64))
        h = b._put(v)
        assert isinstance(b._values[h][0], local._OnDisk) and isinstance(b._values[h][1], np.ndarray)
        got = b.gather([h])[0]
        assert [type(x) for x in got] == [type(x) for x in v] and got[2] == "name"
        for x, y in ((got[0], v[0]), (got[3], v[3])):
            assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
    finally:
        b.close()


def test_engines_give_the_in_process_report_on_corpus_files(corpus_dir: Path, cluster: Any) -> None:
    lf = corpus_dir / "hiyouga__LLaMA-Factory"
    cases = [([lf / "data__v1_sft_demo.jsonl", lf / "data__reason_tool_use_demo_50.jsonl"], []),
             ([lf / "data__alpaca_en_demo.json"], [lf / "data__glaive_toolcall_en_demo.json"]),
             ([corpus_dir / "openai__openai-cookbook" / "examples__data__toy_chat_fine_tuning.jsonl"], [])]
    for train, val in cases:
        base = _report(train, val, partition=16384)
        assert _report(train, val, partition=16384, engine="local") == base, train
        assert _report(train, val, partition=16384, engine="dask", scheduler=cluster.scheduler_address) == base, train


# -- Parquet by row group, and FT204 on the engine -------------------------------------------------------

_PASSAGES = ("the committee approved the annual budget after a long debate about rural schools and new roads",
             "photosynthesis converts light energy into chemical energy stored in glucose molecules inside plant cells")


@pytest.fixture(scope="module")
def same_rows(planted: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The planted training rows (with their copies and near-copies) as JSONL and as Parquet in row
    groups of 40 rows, one with a null turn (FT002) in a middle part, two carrying benchmark passages;
    a benchmark file holding those passages (re-cased and re-punctuated, one twice)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    train, _ = planted
    rows = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines() if line.startswith('{"')]
    rows[130]["messages"][1]["content"] = None
    rows[250]["messages"][2]["content"] += " " + _PASSAGES[0] + ". " + _PASSAGES[1]
    rows[401]["messages"][1]["content"] = _PASSAGES[1].upper() + " " + rows[401]["messages"][1]["content"]
    d = tmp_path_factory.mktemp("formats")
    (d / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(rows), d / "rows.parquet", row_group_size=40)
    bench = [{"question": "Summarise: " + _PASSAGES[0].title() + "!", "answer": "a"},
             {"question": "Explain, briefly: " + _PASSAGES[1].replace(" ", ", ", 3), "answer": "b"},
             {"question": "Again: " + _PASSAGES[0] + ".", "answer": "c"}]
    (d / "bench.jsonl").write_text("".join(json.dumps(r) + "\n" for r in bench), encoding="utf-8")
    return {"jsonl": d / "rows.jsonl", "parquet": d / "rows.parquet", "bench": d / "bench.jsonl"}


def _by_code(report: dict[str, Any]) -> dict[str, list[int]]:
    return {f["code"]: sorted(r["index"] for r in f.get("rows", [])) for f in report["findings"]}


def test_parquet_row_groups_and_jsonl_give_one_report_in_every_engine(same_rows: dict[str, Path],
                                                                      planted: tuple[Path, Path], cluster: Any) -> None:
    import pyarrow.parquet as pq

    _, val = planted
    groups = pq.ParquetFile(same_rows["parquet"]).num_row_groups
    assert groups >= 15
    kw: dict[str, Any] = {"contamination": [same_rows["bench"]]}
    seen: dict[str, dict[str, list[int]]] = {}
    for fmt in ("jsonl", "parquet"):
        f = same_rows[fmt]
        base = _report([f], [val], **kw)
        seen[fmt] = _by_code(base)
        if fmt == "jsonl":
            continue  # JSONL through the engines: the planted-data test (and the FT204 test below)
        said: list[str] = []
        assert _report([f], [val], engine="local", workers=2, engine_echo=said.append, **kw) == base
        assert _report([f], [val], engine="dask", scheduler=cluster.scheduler_address, **kw) == base
        # a part per row group (16 KiB parts, ~28 KB groups); FT204's matches came from the engine
        (n,) = [int(m.split("map of ")[1].split()[0]) for m in said if m.startswith("engine: FT204 map of")]
        assert n == groups, said
        # small row groups merged into fewer parts
        said.clear()
        assert _report([f], [val], partition=100_000, engine="local", engine_echo=said.append, **kw) == base
        (n,) = [int(m.split("map of ")[1].split()[0]) for m in said if m.startswith("engine: FT204 map of")]
        assert 1 < n < groups, said
    # the same rows in either format: the same findings on the same row indexes
    assert seen["jsonl"] == seen["parquet"]
    assert seen["parquet"]["FT204"] == [250, 401]
    assert 130 in seen["parquet"]["FT002"]
    assert {"FT201", "FT202", "FT203"} <= set(seen["parquet"])


def _matches(found: list[Any]) -> list[tuple[int, list[int], int]]:
    return [(m.position, m.hashes.tolist(), m.source) for m in found]


def test_ft204_matches_on_the_engine_are_the_in_process_ones(same_rows: dict[str, Path], cluster: Any) -> None:
    from ftlint.api import run
    from ftlint.backend.contamination import engine_matches
    from ftlint.features.contamination import contamination_matches

    backends = [open_backend(EngineOptions("local", 2)),
                open_backend(EngineOptions("dask", scheduler=cluster.scheduler_address))]
    try:
        for fmt in ("jsonl", "parquet"):
            s = Settings(root=same_rows[fmt].parent)
            _, ctx = run([same_rows[fmt]], contamination=[same_rows["bench"]], settings=s, select=["FT204"],
                         no_cache=True, plugins=False, charts=False)
            want = _matches(ctx.artifact(contamination_matches, "train", 13))
            assert [(w[0], len(w[1])) for w in want] == [(250, 6), (401, 2)], want
            for backend in backends:
                got = engine_matches(ctx, backend, "train", 13, 8192, lambda s: None)
                assert got is not None and _matches(got) == want, (fmt, backend.name)
    finally:
        for backend in backends:
            backend.close()


def test_parts_keep_row_identity_and_lines_around_a_malformed_record(planted: tuple[Path, Path],
                                                                     same_rows: dict[str, Path]) -> None:
    """The parts of a file, read on their own, give the loaded rows: indexes, lines and texts (JSONL by
    byte range, a malformed line inside a middle part; Parquet by row group)."""
    from ftlint.api import run
    from ftlint.backend.partition import plan_parts, read_part

    train, _ = planted
    at = train.read_text(encoding="utf-8").split("\n").index("{broken json") + 1  # its 1-based line
    for f, size in ((train, 700), (same_rows["parquet"], 1)):
        report, ctx = run([f], settings=Settings(root=f.parent), select=["FT001"], no_cache=True, plugins=False,
                          charts=False)
        ds = ctx.dataset("train")
        parts = plan_parts(ds, {}, size)
        assert parts is not None and len(parts) > 10
        pieces = [read_part(p) for p in parts]
        index = np.concatenate([p.index for p in pieces])
        lines = np.concatenate([p.line for p in pieces])
        assert np.array_equal(index, ds.index) and np.array_equal(lines, ds.line)
        assert [p.full_text(i) for p in pieces for i in range(len(p))] == [ds.full_text(i) for i in range(len(ds))]
        if f == train:
            ft001 = [r["line"] for x in json.loads(report.to_json())["findings"] if x["code"] == "FT001"
                     for r in x["rows"]]
            assert at in ft001
            holder = [p for p in parts if p.line <= at][-1]
            assert holder.index > 0 and holder.start > 0  # a middle part: its numbers are prefix sums
            k = int(np.searchsorted(lines, at))
            assert lines[k - 1] == at - 1 and lines[k] == at + 1 and index[k] == index[k - 1] + 2
        else:
            assert [p.index for p in parts] == [40 * g for g in range(len(parts))]


def _records(value: Any, arg: Any) -> tuple[np.ndarray, np.ndarray]:
    keys = np.asarray(value, dtype=np.uint64) % np.uint64(5)
    return keys, np.stack([np.asarray(value, dtype=np.int64), np.full(len(value), arg, dtype=np.int64)], axis=1)


def _reduce(keys: np.ndarray, payload: np.ndarray, _arg: Any) -> list[tuple[int, list[int]]]:
    # members in the order the bucket holds them: the protocol promises partition order
    return sorted((int(k), payload[keys == k, 0].tolist()) for k in np.unique(keys))


def _records_u64(value: Any, arg: Any) -> tuple[np.ndarray, np.ndarray]:
    keys = np.full(len(value), 7, dtype=np.uint64)
    return keys, (np.asarray(value, dtype=np.uint64) + np.uint64(1 << 63)).reshape(-1, 1)


def _dtypes(keys: np.ndarray, payload: np.ndarray, _arg: Any) -> tuple[str, int, list[int]]:
    values = payload[:, 0].tolist() if len(keys) else []
    return str(payload.dtype), len(keys), [int(v) - (1 << 63) for v in values]


def _square(x: int) -> list[int]:
    return list(range(x * 10, x * 10 + 7))


def _total(value: list[int], plus: int) -> int:
    return sum(value) + plus


@pytest.mark.parametrize("name", ["local", "local-spilled", "dask"])
def test_the_protocol_on_both_backends(name: str, cluster: Any, monkeypatch: Any) -> None:
    if name == "local-spilled":  # the shuffle's buckets in temporary files, many of them
        from ftlint.backend import local

        monkeypatch.setattr(local, "SPILL_BYTES", 0)
        monkeypatch.setattr(local, "BUCKET_BYTES", 16)
        name = "local"
    backend = open_backend(EngineOptions(name, 2, cluster.scheduler_address if name == "dask" else None))
    try:
        hs = backend.map(_square, [0, 1, 2])
        assert backend.gather(hs) == [_square(0), _square(1), _square(2)]
        assert backend.call(hs[1], _total, 1) == sum(_square(1)) + 1
        buckets = backend.group(hs, _records, _reduce, 3, key_args=[0, 1, 2])
        groups = sorted(g for b in buckets for g in b)
        # every key whole in one bucket: the five residues, each with all its members
        assert [k for k, _ in groups] == [0, 1, 2, 3, 4]
        assert sorted(x for _, m in groups for x in m) == sorted(x for i in range(3) for x in _square(i))
        # within a key, records arrive in partition order (then their order in the partition)
        for k, members in groups:
            assert members == [x for i in range(3) for x in _square(i) if x % 5 == k]
        # a uint64 payload keeps its type and its high bit; one key lands in one bucket
        res = [r for r in backend.group(hs, _records_u64, _dtypes, 3) if r[1]]
        assert res == [("uint64", 21, [x for i in range(3) for x in _square(i)])]
        # no partitions: every bucket reduced empty
        assert [r[1] for r in backend.group([], _records_u64, _dtypes, 2)] == [0, 0]
    finally:
        backend.close()


def test_buckets_keep_every_key_together() -> None:
    keys = np.array([5, 9, 5, 1 << 63, 9, 2], dtype=np.uint64)
    parts = split_buckets(keys, np.arange(6, dtype=np.int64).reshape(-1, 1), 4)
    assert sum(len(k) for k, _ in parts) == 6
    for b, (k, p) in enumerate(parts):  # each bucket's keys all map there, records in their order
        assert (bucket_of(k, 4) == b).all()
        assert list(p[:, 0]) == sorted(p[:, 0])
    assert len({bucket_of(np.array([5], dtype=np.uint64), 4)[0]}) == 1


def test_the_cluster_workers_have_the_memory_settings(cluster: Any) -> None:
    from ftlint.backend.daskbackend import (
        CHECKED_ENV,
        WORKER_ENV,
        DaskBackend,
        worker_env_problems,
    )

    said: list[str] = []
    b = DaskBackend(EngineOptions("dask", scheduler=cluster.scheduler_address), said.append)
    try:
        assert b.workers == 2
        assert not b.warnings, b.warnings
        assert any("dask engine" in m and "2 workers" in m for m in said)
    finally:
        b.close()
    bare = {"tcp://10.0.0.9:1234": dict.fromkeys(CHECKED_ENV)}
    (problem,) = worker_env_problems(bare)
    assert "MALLOC_MMAP_THRESHOLD_=None" in problem
    assert worker_env_problems({"w": dict(WORKER_ENV)}) == []


def test_an_unreachable_scheduler_exits_2_with_the_reason(planted: tuple[Path, Path], monkeypatch: Any) -> None:
    from ftlint.backend import daskbackend

    train, _ = planted
    monkeypatch.setattr(daskbackend, "CONNECT_TIMEOUT", "1s")
    if True:
        with pytest.raises(EngineError, match=r"cannot start or reach tcp://127\.0\.0\.1:9"):
            open_backend(EngineOptions("dask", scheduler="tcp://127.0.0.1:9"))
        monkeypatch.chdir(train.parent)
        r = CliRunner().invoke(main, ["check", str(train), "--select", "FT201", "--no-cache", "--isolated",
                                      "--scheduler", "tcp://127.0.0.1:9"])
    assert r.exit_code == 2, r.output
    assert "cannot start or reach" in r.output and "Traceback" not in r.output


def test_part_size_defaults_per_engine() -> None:
    from ftlint.backend.base import partition_size
    from ftlint.settings import EngineSettings

    assert EngineSettings().partition_size is None  # not set: the engine's own default
    assert partition_size("local", None) == 16 << 20 and partition_size("dask", None) == 64 << 20
    assert partition_size("dask", 2 << 20) == partition_size("local", 2 << 20) == 2 << 20  # the setting wins


def test_engine_settings(tmp_path: Path) -> None:
    f = tmp_path / "ftlint.toml"
    f.write_text('[engine]\nname = "dask"\nworkers = 3\nscheduler = "tcp://h:8786"\npartition-size = "2MB"\n')
    s = load_settings(f, discover=False)
    assert dataclasses.astuple(s.engine) == ("dask", 3, "tcp://h:8786", 2 << 20)
    assert parse_size("1.5k") == 1536 and parse_size("0") is None and parse_size(True) is None
    f.write_text('[engine]\nname = "ray"\n')
    with pytest.raises(Exception, match=r"engine\.name"):
        load_settings(f, discover=False)


def test_local_backend_is_sized_to_the_cores() -> None:
    import os

    assert LocalBackend().workers == default_workers() >= 1
    assert default_workers() <= (os.cpu_count() or 1)


_ROW_ARTIFACTS = ("encoding_scan", "placeholder_scan", "degenerate_scan", "truncation_scan", "refusal_scan",
                  "language_mismatch_scan", "demographic_terms", "privacy_scan")


@pytest.fixture(scope="module")
def row_rules(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Chat rows for the per-row rules: mojibake (FT005), placeholders (FT007), repetition and a length
    outlier (FT008), cut replies (FT009), refusals (FT010), English replies to
    Chinese prompts (FT011), gendered terms (FT503/FT504), e-mail addresses and keys in turns and in
    metadata columns that only some parts of the file have (FT701/FT702), a malformed line."""
    rng = random.Random(11)
    d = tmp_path_factory.mktemp("rowrules")
    rows: list[Any] = []
    for k in range(300):
        words = [f"w{rng.randrange(3000)}" for _ in range(14)]
        user = f"Please explain topic {' '.join(words[:6])} in a few sentences for the report."
        reply = f"He said that {' '.join(words)} matters because his team saw it work. It is done."
        if k % 9 == 0:
            reply = f"She thinks {' '.join(words)} is fine. Her view is clear."
        row: dict[str, Any] = {"messages": [{"role": "user", "content": user},
                                            {"role": "assistant", "content": reply}]}
        if k % 23 == 5:
            row["messages"][1]["content"] = f"Here is the code for {' '.join(words)}:\n```python\nprint(1)\nx = ["
        if k % 29 == 7:
            row["messages"][1]["content"] = ("As an AI language model, I cannot browse the internet. However, "
                                             f"{' '.join(words)} is well known.")
        if k % 31 == 3:
            row["messages"][0]["content"] = "请用三句话介绍一下巴黎这座城市的历史和文化，以及它为什么吸引游客。"
            row["messages"][1]["content"] = ("Paris is the capital of France and has a long history of art, "
                                             "science and politics that draws millions of visitors every year.")
        if k % 37 == 11:
            row["messages"][0]["content"] += f" Mail me at user{k}@gmail.com or call 415-555-01{k % 90:02d}."
        if k % 41 == 13:
            row["messages"][1]["content"] += " Use the key AKIAIOSFODNN7EXAMPL" + "ABCDEFGHJKLMNPQRSTUV"[k % 20] + "."
        if k % 43 == 17:
            row["messages"][1]["content"] += " The cafÃ© rÃ©sumÃ© was ready."
        if k % 47 == 19:
            row["messages"][0]["content"] = f"Write to {{customer_name}} about {' '.join(words[:5])} today please."
        if k % 53 == 23:
            row["messages"][1]["content"] = "the same words again and again " * 30
        if k == 250:
            row["messages"][1]["content"] = " ".join(f"v{rng.randrange(10**6)}" for _ in range(1500)) + "."
        if k > 200 and k % 5 == 0:
            row["contact"] = f"owner{k}@example.org"
        if k < 60 and k % 4 == 0:
            row["note"] = f"reviewed by reviewer{k}@yahoo.com"
        rows.append(row)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(150, "{broken json")
    (d / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    val = [rows[i] for i in range(0, 60, 3)]
    (d / "val.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in val), encoding="utf-8")
    return d / "train.jsonl", d / "val.jsonl"


def test_the_default_check_is_the_same_on_every_engine(row_rules: tuple[Path, Path], cluster: Any) -> None:
    """The default selection (but FT4xx: their sampled embeddings run on the driver either way, and are
    the slow part of a small check): the per-row artifacts come from the engine's map (never computed
    on the driver) and the report is the in-process one, fingerprints included, whatever the parts."""
    train, val = row_rules
    t_none: dict[str, float] = {}
    base = _report([train], [val], select=None, ignore=["FT4"], timings=t_none)
    codes = {f["code"] for f in base["findings"]}
    assert {"FT001", "FT005", "FT007", "FT008", "FT009", "FT010", "FT011", "FT503", "FT701", "FT702"} <= codes, \
        sorted(codes)
    assert all(any(k.startswith(a) for k in t_none) for a in _ROW_ARTIFACTS), sorted(t_none)
    for partition, kw in ((4096, {"engine": "local", "workers": 2}),
                          (1 << 30, {"engine": "local", "workers": 2}),
                          (4096, {"engine": "dask", "scheduler": cluster.scheduler_address})):
        t: dict[str, float] = {}
        assert _report([train], [val], partition=partition, select=None, ignore=["FT4"], timings=t, **kw) == base, \
            (partition, kw)
        assert not [k for k in t if k.startswith(_ROW_ARTIFACTS)], sorted(t)  # all from the map


def test_the_engine_is_local_from_auto_rows(row_rules: tuple[Path, Path], monkeypatch: Any) -> None:
    import ftlint.backend

    train, val = row_rules
    said: list[str] = []
    t: dict[str, float] = {}
    _report([train], [val], select="FT010", engine_echo=said.append, timings=t)
    assert not said and not [k for k in t if k.startswith("engine")]  # under AUTO_ROWS: in-process
    monkeypatch.setattr(ftlint.backend, "AUTO_ROWS", 100)
    _report([train], [val], select="FT010", engine_echo=said.append, timings=t)
    assert "engine local" in t, sorted(t)
    assert not said  # the engine ftlint picked works silently (progress only for one the user named)
    _report([train], [val], select="FT010", engine="none", engine_echo=said.append)
    assert not said
    monkeypatch.chdir(train.parent)
    r = CliRunner().invoke(main, ["check", str(train), "--select", "FT010", "--no-cache", "--isolated",
                                  "--engine", "none", "--output-format", "json"])
    assert r.exit_code in (0, 1), r.output
    assert "map of" not in r.output and '"FT010"' in r.output


def test_the_default_check_of_corpus_files_is_the_same_on_local(corpus_dir: Path) -> None:
    """Real files (a JSONL pair in parts, Chinese preference pairs): the default rules but FT4xx (their
    sampled embeddings run on the driver either way, and are the slow part of a small check)."""
    lf = corpus_dir / "hiyouga__LLaMA-Factory"
    cases = [([lf / "data__v1_sft_demo.jsonl", lf / "data__reason_tool_use_demo_50.jsonl"],
              [lf / "data__alpaca_zh_demo.json"]),
             ([lf / "data__dpo_zh_demo.json"], [])]
    for train, val in cases:
        t: dict[str, float] = {}
        base = _report(train, val, select=None, ignore=["FT4"])
        assert _report(train, val, select=None, ignore=["FT4"], engine="local", workers=2, timings=t) == base, train
        assert not [k for k in t if k.startswith(_ROW_ARTIFACTS)], sorted(t)
