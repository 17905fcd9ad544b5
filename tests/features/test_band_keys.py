"""A large split's LSH band keys live in a temporary file, read one band at a time (issue 12, part 6:
16 keys of 8 bytes a row were 122 MiB held for the whole run at 1M rows); the findings are those of
the keys in memory."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ftlint.api import check
from ftlint.features import duplicates
from ftlint.features.duplicates import BandKeys
from ftlint.settings import settings_from_dict

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def _keys(n: int, bands: int) -> np.ndarray:
    return np.random.default_rng(3).integers(0, 2**63, size=(n, bands), dtype=np.int64).astype(np.uint64)


@pytest.mark.parametrize("spill", [False, True])
def test_band_keys_read_back_what_was_written(spill: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duplicates, "SPILL_BYTES", 0 if spill else 1 << 40)
    want = _keys(1000, 16)
    keys = BandKeys(1000, 16)
    assert keys.spilled == spill and len(keys) == 1000
    for lo in range(0, 1000, 300):  # in chunks, as the MinHash pass writes them
        keys.write_rows(lo, want[lo:lo + 300])
    ids = np.array([0, 5, 999, 400])
    for b in range(16):
        np.testing.assert_array_equal(keys.band(b), want[:, b])
        np.testing.assert_array_equal(keys.columns(ids)[b], want[ids, b])
    np.testing.assert_array_equal(keys.rows(ids), want[ids])
    assert len(keys.columns()) == 16
    with pytest.raises(IndexError):
        keys.columns()[16]
    keys.write_band(3, np.arange(1000, dtype=np.uint64))
    np.testing.assert_array_equal(keys.band(3), np.arange(1000))
    keys.close()


class _FullDisk:
    """A temporary file that takes no more writes (ENOSPC), reads as the real one."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, data: Any) -> int:
        raise OSError(28, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_band_keys_move_to_memory_when_the_disk_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duplicates, "SPILL_BYTES", 0)
    want = _keys(500, 4)
    keys = BandKeys(500, 4)
    keys.write_rows(0, want[:200])
    keys._file = _FullDisk(keys._file)
    keys.write_rows(200, want[200:])
    assert not keys.spilled
    np.testing.assert_array_equal(keys.rows(np.arange(500)), want)


def _rows(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = [{"prompt": " ".join(rng.choices(WORDS, k=40)), "completion": " ".join(rng.choices(WORDS, k=40))}
            for _ in range(n)]
    for i in range(0, n - 1, 7):  # near copies (one word more) and exact copies
        rows[i + 1] = dict(rows[i], completion=rows[i]["completion"] + " zulu") if i % 2 else dict(rows[i])
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _findings(train: Path, val: Path, root: Path, cache: bool) -> list[Any]:
    settings = settings_from_dict({}, root)
    settings.cache = cache
    report = check([train], validation=[val], settings=settings, select=["FT202", "FT203"])
    return [(f.code, f.message, [(r.split, r.index, r.extra) for r in f.rows]) for f in report.findings]


def test_spilled_band_keys_give_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train_rows = _rows(120, 1)
    val_rows = _rows(30, 2) + [dict(train_rows[10]), dict(train_rows[20], prompt=train_rows[20]["prompt"] + " echo")]
    train = _write(tmp_path / "train.jsonl", train_rows)
    val = _write(tmp_path / "validation.jsonl", val_rows)
    monkeypatch.setattr(duplicates, "SPILL_BYTES", 1 << 40)
    in_memory = _findings(train, val, tmp_path / "a", cache=False)
    assert {c for c, _, _ in in_memory} == {"FT202", "FT203"}

    opened: list[str] = []
    real = tempfile.TemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        opened.append(str(kwargs.get("prefix")))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", spy)
    monkeypatch.setattr(duplicates, "SPILL_BYTES", 0)
    assert _findings(train, val, tmp_path / "b", cache=False) == in_memory
    assert opened.count("ftlint-bands-") == 2  # train and validation
    # with the cache: the per-row index is written from the spilled keys, then read back after an edit
    assert _findings(train, val, tmp_path / "c", cache=True) == in_memory
    train_rows[50] = dict(train_rows[50], completion="an edited answer " + train_rows[50]["completion"])
    _write(train, train_rows)
    edited = _findings(train, val, tmp_path / "c", cache=True)
    monkeypatch.setattr(duplicates, "SPILL_BYTES", 1 << 40)
    assert edited == _findings(train, val, tmp_path / "d", cache=False)
