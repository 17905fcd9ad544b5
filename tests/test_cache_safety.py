"""The cache is data, not code (issue 12, part 3).

``.ftlint_cache/`` may come from anywhere (a pull request can commit one): reading an entry must
never execute anything, and an entry that is not exactly what the artifact's declared schema
says (a pickle, garbage, truncated, another format version, another key, the wrong type, dtype,
shape or row range, a directory) is a miss that is recomputed and rewritten; the run's result and
exit code are those of a run without a cache, and no rule fails.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ftlint.api import run
from ftlint.cache import (
    _PREFIX,
    FORMAT_VERSION,
    MAGIC,
    MISS,
    Arr,
    Cache,
    Int,
    Rec,
    Seq,
    Spec,
    Str,
    Tup,
    cache_key,
    pack_entry,
    unpack_entry,
)
from ftlint.data import columns
from ftlint.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chat-mistakes"


class _Payload:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return os.system, (f"touch '{self.marker}'",)


def _malicious_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker))


def _write_project(d: Path) -> None:
    """A chat project with a training config, a leaking validation split and a contamination file."""
    d.mkdir()
    lines = (EXAMPLE / "train.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "train.jsonl").write_text("".join(lines), encoding="utf-8")
    (d / "train.yaml").write_text((EXAMPLE / "train.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    val = [json.dumps({"messages": [{"role": "user", "content": f"Question number {k} about my modem?"},
                                    {"role": "assistant", "content": f"Answer {k}: restart it and wait."}]}) + "\n"
           for k in range(6)]
    (d / "validation.jsonl").write_text("".join(lines[:6] + val), encoding="utf-8")
    (d / "bench.jsonl").write_text("".join(lines[10:14]), encoding="utf-8")


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, str]]:
    """The project, the result of a run without cache, and the cache a cached run writes (entry
    file, relative to the cache, -> artifact); computed once, copied for each test."""
    d = tmp_path_factory.mktemp("populated") / "p"
    _write_project(d)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(d)
        mp.setattr(columns, "MEMORY_ROWS", 8)  # the text goes to side files of the entries
        expected = result(lint(d, cache=False)[0])
        report, ctx = lint(d)
    assert result(report) == expected
    assert ctx.cache.unencodable == []
    names = {str(p.relative_to(d / ".ftlint_cache")): name for p, name in entries(d / ".ftlint_cache").items()}
    # the artifacts of this project: every one of them is planted on below
    assert {"dataset", "text_hashes", "minhash_rows", "near_duplicates", "cross_matches", "token_lengths",
            "embeddings", "self_similarity", "privacy_scan", "contamination_matches"} <= set(names.values())
    assert list((d / ".ftlint_cache").glob("*/*.text0")), "no text side file: the test would miss them"
    return d, expected, names


@pytest.fixture
def project(populated: tuple[Path, Any, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the populated project (its cache included), the working directory."""
    d = tmp_path / "p"
    shutil.copytree(populated[0], d, symlinks=True)
    monkeypatch.chdir(d)
    monkeypatch.setattr(columns, "MEMORY_ROWS", 8)
    return d


@pytest.fixture
def baseline(populated: tuple[Path, Any, dict[str, str]], project: Path) -> tuple[Any, dict[Path, str]]:
    """The result of a run without cache, and the entries of the project's cache."""
    return populated[1], {project / ".ftlint_cache" / rel: name for rel, name in populated[2].items()}


def lint(d: Path, cache: bool = True) -> tuple[Any, Any]:
    return run(["train.jsonl"], validation=["validation.jsonl"], contamination=["bench.jsonl"], config="train.yaml",
               settings=Settings(root=d), select=["ALL"], no_cache=not cache)


def result(report: Any) -> tuple[Any, ...]:
    """What a run says: findings (with their rows), each rule's outcome, the exit code."""
    findings = [(f.code, int(f.severity), f.message, [(r.path, r.index) for r in f.rows]) for f in report.findings]
    outcomes = [(o.code, o.outcome, o.reason) for o in report.outcomes]
    return findings, outcomes, report.exit_code(Settings().fail_on)


def entries(root: Path) -> dict[Path, str]:
    """Every entry file of a cache and the artifact it holds (side files of text excluded)."""
    out = {}
    for p in sorted(root.glob("*/*")):
        if p.suffix == ".ftc":
            with open(p, "rb") as fh:
                out[p] = unpack_entry(fh, p.stem)[0]["name"]
    return out


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The keys of the entries the runs read."""
    keys: set[str] = set()
    get = Cache.get

    def recording(self: Cache, key: str, *args: Any, **kwargs: Any) -> Any:
        keys.add(key)
        return get(self, key, *args, **kwargs)

    monkeypatch.setattr(Cache, "get", recording)
    return keys


def assert_rewritten(d: Path, names: dict[Path, str], reads: set[str], rerun: bool = True) -> None:
    """Every entry the run read is again an entry of its artifact; with ``rerun``, a further run
    reads every entry it needs from the cache."""
    read = {p: name for p, name in names.items() if p.stem in reads}
    assert read and {p: entries(d / ".ftlint_cache").get(p) for p in read} == read
    if rerun:
        _, ctx = lint(d)
        assert ctx.cache.hits and ctx.cache.misses == 0 and ctx.cache.rejected == [], ctx.cache.rejected


def test_second_run_reads_every_entry(project: Path, baseline: tuple[Any, dict[Path, str]]) -> None:
    expected, _names = baseline
    report, ctx = lint(project)
    assert result(report) == expected
    assert ctx.cache.hits and ctx.cache.misses == 0 and ctx.cache.rejected == []


def test_a_malicious_pickle_at_every_entry_is_never_run(project: Path, tmp_path: Path,
                                                        baseline: tuple[Any, dict[Path, str]], reads: set[str]) -> None:
    expected, names = baseline
    marker = tmp_path / "pwned"
    # the payload is live: unpickling a copy of it does run its command
    control = tmp_path / "control"
    pickle.loads(_malicious_pickle(control))
    assert control.exists()
    for p in names:  # at the exact path every entry is read from, and where the old cache kept pickles
        p.write_bytes(_malicious_pickle(marker))
        p.with_suffix(".pkl").write_bytes(_malicious_pickle(marker))
    report, ctx = lint(project)
    assert not marker.exists()
    assert result(report) == expected
    assert len(ctx.cache.rejected) == len(reads) and reads
    assert_rewritten(project, names, reads)
    assert not marker.exists()


def _retype(dtype: np.dtype) -> np.dtype:
    return np.dtype({"u": np.float64, "i": np.float64, "f": np.int64, "b": np.uint8}[dtype.kind])


def _rewrite(p: Path, head: dict[str, Any], arrays: list[np.ndarray], version: int = FORMAT_VERSION) -> None:
    chunks = pack_entry(head["key"], head["name"], head["value"], arrays)
    data = b"".join(bytes(c) for c in chunks)
    p.write_bytes(_PREFIX.pack(MAGIC, version, _PREFIX.unpack_from(data)[2]) + data[_PREFIX.size:])


def _plant(kind: str, p: Path, others: list[Path]) -> None:
    """Replace the entry at ``p`` with one of the kinds of wrong entries."""
    with open(p, "rb") as fh:
        head, arrays = unpack_entry(fh, p.stem)
    data = p.read_bytes()
    if kind == "wrong-dtype":  # every array of another dtype (a value of no arrays: of another type)
        if arrays:
            _rewrite(p, head, [a.astype(_retype(a.dtype)) for a in arrays])
        else:
            _rewrite(p, {**head, "value": [head["value"]]}, arrays)
    elif kind == "wrong-shape":  # every array with one more dimension
        if arrays:
            _rewrite(p, head, [a.reshape(*a.shape, 1) for a in arrays])
        else:
            _rewrite(p, {**head, "value": {"unexpected": 1}}, arrays)
    elif kind == "wrong-type":  # valid JSON of the wrong type, with the entry's arrays
        _rewrite(p, {**head, "value": "garbage"}, arrays)
    elif kind == "truncated":  # half the entries cut in half, the others in the prefix or empty
        k = others.index(p)
        p.write_bytes(data[:len(data) // 2] if k % 2 else data[:(0, 10)[k % 4 == 0]])
    elif kind == "other-version":
        _rewrite(p, head, arrays, version=FORMAT_VERSION + 1)
    elif kind == "other-key":  # a valid entry of another artifact copied into this one's place
        other = others[(others.index(p) + 1) % len(others)]
        p.write_bytes(other.read_bytes())
    elif kind == "garbage":
        p.write_bytes(os.urandom(len(data)))
    elif kind == "directory":
        p.unlink()
        p.mkdir()
        (p / "x").write_text("x")
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["wrong-dtype", "wrong-shape", "wrong-type", "truncated", "other-version",
                                  "other-key", "garbage", "directory"])
def test_an_unexpected_entry_is_a_miss_never_a_failure(project: Path, baseline: tuple[Any, dict[Path, str]],
                                                       reads: set[str], kind: str) -> None:
    expected, names = baseline
    planted = list(names)
    for p in planted:
        _plant(kind, p, planted)
    report, ctx = lint(project)
    assert not report.failed_rules
    assert result(report) == expected
    assert ctx.cache.hits == 0 and ctx.cache.misses == len(reads)
    if kind == "directory":  # nothing is deleted: the entries stay unwritten, the run is still right
        assert all(p.is_dir() for p in planted)
        return
    assert len(ctx.cache.rejected) == len(reads)
    assert_rewritten(project, names, reads, rerun=kind == "wrong-dtype")


def test_values_of_the_right_types_but_impossible_rows_are_a_miss(project: Path,
                                                                  baseline: tuple[Any, dict[Path, str]]) -> None:
    expected, names = baseline
    with open("train.jsonl", encoding="utf-8") as fh:
        n = sum(1 for _ in fh)
    for p, name in names.items():
        with open(p, "rb") as fh:
            head, arrays = unpack_entry(fh, p.stem)
        if name == "text_hashes":  # a hash per row, one row short
            _rewrite(p, head, [arrays[0][:-1]])
        elif name == "near_duplicates":  # a pair naming a row the split does not have
            pairs = np.concatenate([arrays[0], np.array([[0, n + 5]], dtype=np.int64)])
            _rewrite(p, head, [pairs, np.concatenate([arrays[1], [1.0]])])
        elif name == "privacy_scan":  # a hit in a turn the row does not have
            _rewrite(p, {**head, "value": {"by_row": [[1, [{"row": 1, "field": 9, "hits": [["email", "pii", 0, 3]]}]]],
                                           "columns": []}}, arrays)
    report, ctx = lint(project)
    assert not report.failed_rules
    assert result(report) == expected
    rejected = " ".join(ctx.cache.rejected)
    assert "text_hashes" in rejected and "near_duplicates" in rejected and "privacy_scan" in rejected


def test_a_tampered_text_side_file_is_never_a_failure(project: Path, baseline: tuple[Any, dict[Path, str]]) -> None:
    _expected, _ = baseline
    sides = sorted((project / ".ftlint_cache").glob("*/*.text*"))
    sides[0].write_bytes(sides[0].read_bytes()[:-1])  # the wrong size: the dataset entry is a miss
    for s in sides[1:]:
        s.write_bytes(b"\xff" * s.stat().st_size)  # not UTF-8, of the right size: read with replacements
    report, ctx = lint(project)
    assert not report.failed_rules
    assert any(r.startswith("dataset:") for r in ctx.cache.rejected)


def test_cli_with_a_planted_pickle_exits_as_without_cache(project: Path, tmp_path: Path,
                                                          baseline: tuple[Any, dict[Path, str]]) -> None:
    from click.testing import CliRunner

    from ftlint.cli import main

    args = ["check", "train.jsonl", "--validation", "validation.jsonl", "--config", "train.yaml",
            "--output-format", "json"]
    fresh = CliRunner().invoke(main, [*args, "--no-cache"])
    marker = tmp_path / "pwned-cli"
    for p in baseline[1]:
        p.write_bytes(_malicious_pickle(marker))
    res = CliRunner().invoke(main, args)
    assert not marker.exists()
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output and res.exit_code == fresh.exit_code, res.output
    assert res.exit_code in (0, 1)
    codes = [[f["code"] for f in json.loads(r.stdout)["findings"]] for r in (res, fresh)]
    assert codes[0] == codes[1]


# -- the cache itself ----------------------------------------------------------------------------------

SCHEMA = Spec(Tup(Arr(np.uint64, "n"), Seq(Str), Int(0, "n"))).schema


def test_put_then_get_round_trips_and_checks_lengths(tmp_path: Path) -> None:
    c = Cache(tmp_path / "c")
    value = (np.arange(5, dtype=np.uint64), ["a", "\ud800 lone surrogate"], 3)
    assert c.put("k" * 32, value, SCHEMA, "x")
    got = Cache(tmp_path / "c").get("k" * 32, SCHEMA, "x", {"n": 5})
    assert np.array_equal(got[0], value[0]) and got[1:] == value[1:]
    assert got[0].flags.writeable
    stale = Cache(tmp_path / "c")  # the split has 6 rows now: the entry is not for it
    assert stale.get("k" * 32, SCHEMA, "x", {"n": 6}) is MISS and stale.rejected


def test_a_value_that_does_not_fit_its_schema_is_not_cached(tmp_path: Path) -> None:
    c = Cache(tmp_path / "c")
    assert not c.put("a" * 32, (np.arange(5, dtype=np.int64), [], 0), SCHEMA, "x")  # int64, not uint64
    assert c.unencodable and not list((tmp_path / "c").rglob("*.ftc"))


def test_a_record_schema_must_list_every_field(tmp_path: Path) -> None:
    from ftlint.data.dataset import SourceFile

    partial = Rec(SourceFile, path=Str, abspath=Str)
    c = Cache(tmp_path / "c")
    assert not c.put("b" * 32, SourceFile("a", "b", "train", "x", "chat", 1, "h"), partial, "x")
    assert "does not list its fields" in c.unencodable[0]


def test_an_array_larger_than_its_file_allocates_nothing(tmp_path: Path) -> None:
    c = Cache(tmp_path / "c")
    key = cache_key("huge")
    assert c.put(key, np.zeros(4, dtype=np.uint64), Arr(np.uint64, None), "x")
    p = c.path(key)
    with open(p, "rb") as fh:
        head, _ = unpack_entry(fh, key)
    header = json.dumps({**head, "arrays": [["<u8", [1 << 40], 0]]}).encode()
    header += b" " * (-(len(header) + _PREFIX.size) % 8)
    p.write_bytes(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)) + header + bytes(32))
    assert c.get(key, Arr(np.uint64, None), "x") is MISS and "outside the entry" in c.rejected[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_links_and_fifos_are_never_read_or_written_through(tmp_path: Path) -> None:
    c = Cache(tmp_path / "c")
    k1, k2, k3 = cache_key(1), cache_key(2), cache_key(3)
    assert c.put(k1, np.zeros(2, dtype=np.uint64), Arr(np.uint64, 2), "x")
    c.path(k2).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(c.path(k2))  # reading would block forever
    assert c.get(k2, Arr(np.uint64, 2)) is MISS
    c.path(k3).parent.mkdir(parents=True, exist_ok=True)
    c.path(k3).symlink_to(c.path(k1))  # a link (even to a valid entry) is not an entry
    assert c.get(k3, Arr(np.uint64, 2)) is MISS
    # a folder of the cache that is a link: nothing is written through it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    k4 = next(cache_key(i) for i in range(10, 1000) if cache_key(i)[:2] not in (k1[:2], k2[:2], k3[:2]))
    c.path(k4).parent.symlink_to(elsewhere)
    assert not c.put(k4, np.zeros(2, dtype=np.uint64), Arr(np.uint64, 2), "x") and c.enabled
    assert not list(elsewhere.iterdir())


def test_the_gitignore_is_never_written_through_a_link(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    target = tmp_path / "outside.txt"
    (root / ".gitignore").symlink_to(target)  # dangling: following it would create the target
    c = Cache(root)
    assert c.put(cache_key(1), np.zeros(1, dtype=np.uint64), Arr(np.uint64, 1), "x")
    assert not target.exists()


def _hammer(root: str, key: str, rounds: int) -> int:
    c = Cache(Path(root))
    value = np.arange(50_000, dtype=np.uint64)
    seen = 0
    for _ in range(rounds):
        c.put(key, value, Arr(np.uint64, "n"), "x")
        got = c.get(key, Arr(np.uint64, "n"), "x", {"n": 50_000})
        assert got is not MISS and np.array_equal(got, value), c.rejected
        seen += 1
    return seen


def test_concurrent_writers_and_readers_never_see_half_an_entry(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else multiprocessing.get_context()
    with ctx.Pool(4) as pool:
        counts = pool.starmap(_hammer, [(str(tmp_path / "c"), cache_key("shared"), 25)] * 4)
    assert counts == [25] * 4
    assert not list((tmp_path / "c").rglob("*.tmp"))


def test_every_artifact_of_the_context_round_trips(tmp_path: Path, write_jsonl: Any) -> None:
    """The artifacts the project above does not reach (labels, preference pairs, a reference
    sample, a tokenizer's count): their values fit their schemas and read back equal."""
    from ftlint.context import Context
    from ftlint.data.dataset import Dataset
    from ftlint.data.load import load_dataset_file
    from ftlint.features.basemodel import CharsPerToken, chars_per_token_schema
    from ftlint.features.labelnoise import label_noise
    from ftlint.features.relevance import drift, languages, self_similarity
    from ftlint.features.rows import preference_hashes

    labels = [{"text": f"{w} item number {k} is {w} and fine", "label": lab}
              for k in range(60) for w, lab in [(("good great", "pos"), ("bad awful", "neg"))[k % 2]]]
    pref = [{"prompt": f"Say something {k}", "chosen": f"Something nice {k}.", "rejected": f"No {k}."}
            for k in range(12)]
    ref = [{"text": f"How do I bake bread number {k} at home with flour and yeast?", "label": "x"} for k in range(24)]
    paths = {"train": write_jsonl("cls.jsonl", labels), "validation": write_jsonl("pref.jsonl", pref),
             "reference": write_jsonl("ref.jsonl", ref)}

    def context() -> Context:
        cache = Cache(tmp_path / ".ftlint_cache")
        ds = {split: Dataset.concat(split, [load_dataset_file(p, split, "x", cache=cache)])
              for split, p in paths.items()}
        reference = ds.pop("reference")
        return Context(ds, Settings(root=tmp_path), cache, reference=reference)

    def compute(ctx: Context) -> list[Any]:
        return [ctx.artifact(label_noise, "train", min_per_class=10), ctx.artifact(preference_hashes, "validation"),
                ctx.artifact(self_similarity, "train"), ctx.artifact(drift, "train", "reference"),
                ctx.artifact(languages, "reference"),
                ctx.stored("chars_per_token", "train", {"tokenizer": "a tokenizer"},
                           lambda: CharsPerToken(1000, 250, 0, 60, 60), chars_per_token_schema())]

    first = context()
    a = compute(first)
    assert first.cache.unencodable == [] and first.cache.misses >= len(a) and a[0] is not None
    second = context()
    b = compute(second)
    assert second.cache.misses == 0 and second.cache.rejected == []
    assert np.array_equal(a[0].self_confidence, b[0].self_confidence) and a[0].classes == b[0].classes
    assert all(np.array_equal(x, y) for x, y in zip(a[1], b[1]))
    assert all(np.array_equal(x, y) for x, y in zip(a[2], b[2])) and len(a[2][0]) == len(labels)
    assert np.array_equal(a[3].coverage_a, b[3].coverage_a) and a[3].classifier.auc == b[3].classifier.auc
    assert a[3].projection == b[3].projection and a[3].mmd == b[3].mmd
    assert a[4].codes == b[4].codes and np.array_equal(a[4].confidence, b[4].confidence)
    assert a[5] == b[5]


def test_an_entry_of_another_format_version_is_a_miss(tmp_path: Path) -> None:
    c = Cache(tmp_path / "c")
    key = cache_key("v")
    assert c.put(key, np.zeros(3, dtype=np.uint64), Arr(np.uint64, 3), "x")
    data = bytearray(c.path(key).read_bytes())
    struct.pack_into("<I", data, 8, FORMAT_VERSION + 1)
    c.path(key).write_bytes(bytes(data))
    assert c.get(key, Arr(np.uint64, 3), "x") is MISS and "format version" in c.rejected[0]
