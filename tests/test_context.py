"""The Context holds the inputs and the memo (issue 14, part 5): artifacts are typed functions
computed once per run through ``ctx.artifact``; rules point at rows with ``RowAt`` and the engine
builds the output rows and their fingerprints; the FT9xx notices are a pass after the rules, given
what they need (never read back from the Context)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.load import load_dataset_file
from ftlint.engine import run_rules
from ftlint.features.duplicates import near_duplicates
from ftlint.features.rows import text_hashes
from ftlint.findings import Redaction, row_fingerprint
from ftlint.model import Finding, RowAt, Severity
from ftlint.rule import NoticeRule, Rule, RunRecord
from ftlint.settings import Settings
from ftlint.suppress import Suppressions

DOC = """{0}

    ## What it does
    A test rule.

    ## Why it matters
    It checks the engine.

    ## How to fix
    Nothing.
    """


class Routers(Rule):
    __doc__ = DOC.format("Rows that mention a router.")
    code = "FTX101"
    name = "routers"
    summary = "rows that mention a router"
    severity = Severity.WARNING
    requires = frozenset()

    def check(self, ctx: Context) -> Iterator[Finding]:
        ds = ctx.dataset("train")
        rows = [RowAt("train", i, extra={"n": i}) for i in range(len(ds)) if "router" in ds.full_text(i)]
        yield self.finding("routers", "none", rows=rows, total=len(ds), split="train")


class Outcomes(NoticeRule):
    __doc__ = DOC.format("What the other rules did.")
    code = "FTX901"
    name = "outcomes"
    summary = "what the other rules did"
    severity = Severity.INFO
    requires = frozenset()
    seen: list[RunRecord] = []

    def notices(self, run: RunRecord) -> Iterator[Finding]:
        Outcomes.seen.append(run)
        yield self.finding(f"{len(run.outcomes)} rules before me; {list(run.notices)}", "none", key="outcomes")


def _context(tmp_path: Path, write_jsonl: Any, **inputs: Any) -> Context:
    path = write_jsonl("train.jsonl", [{"text": t} for t in ("a router", "a switch", "my router is slow")])
    ds = Dataset.concat("train", [load_dataset_file(path, "train", "test")])
    return Context({"train": ds}, Settings(root=tmp_path), **inputs)


def test_rows_are_built_by_the_engine_from_row_references(tmp_path: Path, write_jsonl: Any) -> None:
    ctx = _context(tmp_path, write_jsonl)
    result = run_rules([Routers()], ctx, Redaction())
    (f,) = result.findings
    assert [(r.index, r.line, r.extra) for r in f.rows] == [(0, 1, {"n": 0}), (2, 3, {"n": 2})]
    assert f.location.path == f.rows[0].path and f.location.line == 1 and not f.refs
    content = f"{int(ctx.artifact(text_hashes, 'train')[2]):016x}"
    assert f.rows[1].fingerprint == row_fingerprint("FTX101", "train.jsonl", content)
    assert f.rows[1].snippet.endswith("my router is slow")


def test_the_notices_pass_runs_last_with_what_the_run_did(tmp_path: Path, write_jsonl: Any) -> None:
    """Listed first, the notice rule still runs after the others, given their outcomes, the run's
    notices and suppressions; nothing is written into the Context."""
    Outcomes.seen.clear()
    ctx = _context(tmp_path, write_jsonl, notices=["plugin 'x' failed"])
    before = dict(vars(ctx))
    sup = Suppressions(root=tmp_path)
    result = run_rules([Outcomes(), Routers()], ctx, Redaction(), sup)
    assert [o.code for o in result.outcomes] == ["FTX101", "FTX901"]
    (run,) = Outcomes.seen
    assert run.suppressions is sup and [o.code for o in run.outcomes] == ["FTX101"]
    assert result.findings[-1].message == "1 rules before me; [\"plugin 'x' failed\"]"
    assert {k: id(v) for k, v in vars(ctx).items()} == {k: id(v) for k, v in before.items()}


def test_an_artifact_is_computed_once_per_arguments_however_they_are_spelled(tmp_path: Path,
                                                                            write_jsonl: Any) -> None:
    ctx = _context(tmp_path, write_jsonl)
    a = ctx.artifact(near_duplicates, "train")
    b = ctx.artifact(near_duplicates, split="train", threshold=0.8, field="full")
    assert a is b and ctx.has_artifact(near_duplicates, "train", 0.8)
    assert [args["split"] for args, _ in ctx.computed(near_duplicates)] == ["train"]
    assert ctx.artifact(near_duplicates, "train", 0.5) is not a


def test_the_minhash_pass_records_the_row_hashes_it_computed(tmp_path: Path, write_jsonl: Any) -> None:
    """One normalisation pass: the near-duplicate search leaves the exact-duplicate hashes behind."""
    ctx = _context(tmp_path, write_jsonl)
    ctx.artifact(near_duplicates, "train")
    from ftlint.features.rows import field_hashes, hash_rows

    assert ctx.has_artifact(field_hashes, "train", "full")
    assert np.array_equal(ctx.artifact(text_hashes, "train"), hash_rows(ctx, "train", "full"))
