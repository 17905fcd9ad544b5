"""The persisted per-row MinHash index: a re-run after an edit hashes only the rows it has not seen."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import ftlint.features.minhash as minhash_mod
from ftlint.api import check
from ftlint.settings import settings_from_dict

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def _rows(n: int) -> list[dict[str, str]]:
    rng = random.Random(1)
    rows = [{"prompt": " ".join(rng.choices(WORDS, k=30)), "completion": " ".join(rng.choices(WORDS, k=30))}
            for _ in range(n)]
    rows[9] = dict(rows[3], completion=rows[3]["completion"] + " zulu")  # a near copy of row 3
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _ft202(path: Path, root: Path, cache: bool) -> list[tuple[int, dict]]:
    settings = settings_from_dict({}, root)
    settings.cache = cache
    report = check([path], settings=settings, select=["FT202"])
    return [(r.index, r.extra) for f in report.findings for r in f.rows]


def test_rerun_after_an_edit_hashes_only_new_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[int] = []
    real = minhash_mod.signatures

    def counting(texts, *args, **kwargs):
        hashed.append(len(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(minhash_mod, "signatures", counting)
    rows = _rows(40)
    data = _write(tmp_path / "train.jsonl", rows)
    first = _ft202(data, tmp_path, cache=True)
    assert sum(hashed) == 40 and [i for i, _ in first] == [9]

    hashed.clear()
    rows[20] = dict(rows[20], completion="an edited answer " + rows[20]["completion"])
    rows.append(dict(rows[9], prompt=rows[9]["prompt"] + " echo"))  # a new near copy of row 9
    _write(data, rows)
    second = _ft202(data, tmp_path, cache=True)
    assert sum(hashed) == 2  # the edited row and the new one; the 39 others come from the index
    assert second == _ft202(data, tmp_path / "elsewhere", cache=False)  # the same as a fresh run
    assert [i for i, _ in second] == [9, 40]
