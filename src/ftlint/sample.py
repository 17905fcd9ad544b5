"""``ftlint sample``: a stratified sample for human review and base-vs-fine-tuned A/B.

The rows of one split are put in strata by label (a label column, or generative labels), length
bucket (quartiles of the example's character length) and group (a column such as a sensitive
attribute, or the source file when the split has several), and ``n`` rows are drawn with
proportional allocation (largest remainders, so the sample's shares match the split's to within
one row per stratum) and a seeded generator, so the same ``--seed`` gives the same sample.

Two files are written: ``sample.jsonl`` (one object per row: where it comes from, its strata,
the prompt and the reference response) and ``sample.csv`` with the same columns plus empty ones
for the outputs of the base and the fine-tuned model and their ratings, to fill side by side.
ftlint never modifies the input files.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ftlint.errors import UsageError
from ftlint.features.labels import label_info
from ftlint.outputs import Protected, guard_outputs

LENGTH_BUCKETS = ("short", "medium", "long", "very long")
RATING_COLUMNS = ("base_output", "finetuned_output", "base_rating", "finetuned_rating", "preferred", "notes")
COLUMNS = ("id", "split", "path", "index", "line", "label", "length_bucket", "group", "prompt", "reference")


@dataclass(frozen=True)
class Sample:
    """The drawn rows (positions in the split, in the order written) and their strata."""

    positions: list[int]
    strata: dict[tuple[str, str, str], int]  # stratum -> rows in the split
    allocation: dict[tuple[str, str, str], int]  # stratum -> rows drawn
    group_by: str


def length_buckets(lengths: np.ndarray) -> list[str]:
    """Each row's length bucket: the quartile of its length among the split's rows."""
    if len(lengths) == 0:
        return []
    edges = np.quantile(lengths, [0.25, 0.5, 0.75])
    return [LENGTH_BUCKETS[int(k)] for k in np.searchsorted(edges, lengths, side="left")]


def allocate(sizes: dict[Any, int], n: int) -> dict[Any, int]:
    """Proportional allocation of ``n`` draws over strata of ``sizes`` (largest remainders; ties
    broken by stratum order), never more than a stratum holds."""
    total = sum(sizes.values())
    n = min(n, total)
    if total == 0 or n == 0:
        return dict.fromkeys(sizes, 0)
    keys = sorted(sizes)
    quotas = {k: n * sizes[k] / total for k in keys}
    out = {k: int(quotas[k]) for k in keys}
    rest = n - sum(out.values())
    for k in sorted(keys, key=lambda k: (-(quotas[k] - out[k]), keys.index(k)))[:rest]:
        out[k] += 1
    return out


def stratified_sample(labels: Sequence[str | None], buckets: Sequence[str], groups: Sequence[str | None], n: int,
                      seed: int = 0, group_by: str = "") -> Sample:
    """Draw ``n`` row positions stratified by (label, length bucket, group)."""
    strata: dict[tuple[str, str, str], list[int]] = {}
    for i, key in enumerate(zip(labels, buckets, groups)):
        label, bucket, group = key
        strata.setdefault((label or "-", bucket, group or "-"), []).append(i)
    alloc = allocate({k: len(v) for k, v in strata.items()}, n)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for key in sorted(strata):
        rows = strata[key]
        k = alloc[key]
        if k:
            chosen.extend(int(r) for r in rng.choice(np.asarray(rows), size=k, replace=False))
    order = rng.permutation(len(chosen))  # mixed, so raters do not see the strata in blocks
    return Sample([chosen[int(j)] for j in order], {k: len(v) for k, v in strata.items()}, alloc, group_by)


def _groups(ds: Any, column: str | None, sensitive: Sequence[str]) -> tuple[list[str | None], str]:
    if column:
        if column not in ds.extras:
            known = ", ".join(sorted(ds.extras)) or "none"
            raise UsageError(f"--group: no column '{column}' in the {ds.split} split (columns: {known})")
        return [None if v is None else str(v) for v in ds.extras[column]], column
    for col in sensitive:
        if col in ds.extras:
            return [None if v is None else str(v) for v in ds.extras[col]], col
    if len(ds.files) > 1:
        return [ds.files[int(f)].path for f in ds.file_id], "file"
    return [None] * len(ds), ""


def _outputs(out_dir: Path) -> list[tuple[Path, str]]:
    return [(out_dir / "sample.jsonl", "the sample (-o)"), (out_dir / "sample.csv", "the sample (-o)")]


def write_sample(ctx: Any, split: str, n: int, seed: int, out_dir: Path, group: str | None = None) -> Sample:
    """Draw the sample of ``split`` from the Context ``ctx`` and write ``sample.jsonl`` and
    ``sample.csv`` under ``out_dir`` (which must not hold an input file)."""
    ds = ctx.dataset(split)
    info = ctx.artifact(label_info, split)
    labels = info.values if info is not None else [None] * len(ds)
    lengths = np.fromiter((sum(len(t) for t in ds.texts[i]) for i in range(len(ds))), dtype=np.int64,
                          count=len(ds))
    buckets = length_buckets(lengths)
    groups, group_by = _groups(ds, group, ctx.settings.sensitive)
    sample = stratified_sample(labels, buckets, groups, n, seed, group_by)
    jsonl, csv_path = out_dir / "sample.jsonl", out_dir / "sample.csv"
    protected = getattr(ctx, "protected", None)
    if protected is None:  # a Context built by hand: its datasets and settings
        protected = Protected()
        for name, split_ds in ctx.datasets.items():
            protected.add_all((f.abspath for f in split_ds.files), f"the {name} dataset being checked")
        protected.add_settings(ctx.settings)
    guard_outputs(_outputs(out_dir), protected)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for k, i in enumerate(sample.positions, 1):
        records.append({
            "id": k, "split": split, "path": ds.path(i), "index": int(ds.index[i]), "line": ds.line_of(i),
            "label": labels[i], "length_bucket": buckets[i], "group": groups[i],
            "prompt": ds.prompt(i), "reference": ds.response(i) or (labels[i] or ""),
        })
    jsonl.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*COLUMNS, *RATING_COLUMNS])
        for r in records:
            w.writerow([("" if r[c] is None else r[c]) for c in COLUMNS] + [""] * len(RATING_COLUMNS))
    return sample


def run_sample(paths: Sequence[str | Path], *, validation: Sequence[str | Path] = (), test: Sequence[str | Path] = (),
               settings: Any, split: str | None, n: int, seed: int, out_dir: Path,
               group: str | None = None) -> tuple[str, Sample, Any]:
    """Load the splits as ``ftlint check`` does and write the sample of ``split`` (default: the
    test split if given, else validation, else train). Returns (split, sample, context)."""
    from ftlint.api import _gather_splits
    from ftlint.context import Context
    from ftlint.data.dataset import Dataset
    from ftlint.sources import load_file

    assignment = _gather_splits(paths, validation, test, settings)
    protected = Protected.for_run(settings, assignment)
    guard_outputs(_outputs(out_dir), protected)  # before any data is read
    datasets = {}
    for name, files in assignment.items():
        parts = [load_file(p, name, why, settings.dataset.columns, settings.dataset.format,
                           hub=getattr(assignment, "hub", None), remote=getattr(assignment, "remote", None))
                 for p, why in files]
        if parts:
            datasets[name] = Dataset.concat(name, parts)
    if not datasets:
        raise UsageError("no dataset given: pass dataset files (`ftlint sample test.jsonl --n 100`)")
    chosen = split or next(s for s in ("test", "validation", "train") if s in datasets)
    if chosen not in datasets:
        raise UsageError(f"--split {chosen}: no {chosen} data given (splits: {', '.join(datasets)})")
    if len(datasets[chosen]) == 0:
        raise UsageError(f"the {chosen} split has no readable rows to sample")
    ctx = Context(datasets, settings, protected=protected)
    return chosen, write_sample(ctx, chosen, n, seed, out_dir, group), ctx


__all__ = ["COLUMNS", "LENGTH_BUCKETS", "RATING_COLUMNS", "Sample", "allocate", "length_buckets",
           "run_sample", "stratified_sample", "write_sample"]
