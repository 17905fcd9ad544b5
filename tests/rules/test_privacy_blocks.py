"""FT701/FT702 scan the extra columns in blocks of rows, as they scan the turns (issue 12, part 6: a
classification file's 1M-row string column was collected whole, 1.7x FT001's peak memory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.features import pii
from ftlint.rules import privacy
from ftlint.settings import Settings


def test_extra_columns_are_scanned_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "train.jsonl"
    rows = [{"text": f"question number {i} about the weather", "label": "a" if i % 2 else "b",
             "contact": f"write to maria.lopez{i}@outlook.com" if i % 7 == 0 else f"customer {i}"}
            for i in range(100)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    sizes: list[int] = []
    real = pii.scan_texts

    def spy(texts, *a, **k):  # type: ignore[no-untyped-def]
        sizes.append(len(texts))
        return real(texts, *a, **k)

    monkeypatch.setattr(privacy, "SCAN_BLOCK", 16)
    monkeypatch.setattr(pii, "scan_texts", spy)
    report = check([data], settings=Settings(root=tmp_path, cache=False), select=["FT701"], no_cache=True)
    assert sizes and max(sizes) <= 16, sizes
    found = [f for f in report.findings if f.code == "FT701"]
    assert len(found) == 1 and found[0].message.startswith("15 rows"), found  # rows 0, 7, ..., 98
