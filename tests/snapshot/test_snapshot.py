"""Issue 14 (architecture step): every corpus file's, config's and example's JSON report stays what
it was before the refactor, fingerprints included. Removed when the step is done."""

from __future__ import annotations

import json

import pytest

from tests.snapshot.make import CORPUS, SNAP, cases, report

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")


@pytest.mark.parametrize("case", cases() if CORPUS.is_dir() else [], ids=lambda c: c[0])
def test_report_unchanged(case):
    name, cwd, args = case
    want = json.loads((SNAP / f"{name}.json").read_text())
    got = json.loads(json.dumps(report(cwd, args), sort_keys=True, ensure_ascii=False))
    if got != want:
        for key in ("inputs", "summary", "rules", "findings"):
            assert got.get(key) == want.get(key), f"{name}: {key} changed"
    assert got == want
