"""`ftlint sample`: stratified by label, length bucket and group; reproducible with the seed."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftlint.cli import main
from ftlint.sample import RATING_COLUMNS, allocate, stratified_sample


def write_rows(path: Path, n: int = 1000, seed: int = 1) -> list[dict]:
    r = random.Random(seed)
    rows = []
    for i in range(n):
        label = "positive" if i % 10 < 7 else "negative"  # 70% / 30%
        region = "north" if i % 4 == 0 else "south"  # 25% / 75%
        rows.append({"text": f"review {i} " + "word " * r.randint(1, 60), "label": label, "region": region})
    path.write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")
    return rows


def run_sample(tmp_path: Path, *args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["sample", str(tmp_path / "train.jsonl"), "--isolated", *args])
    assert result.exit_code == 0, result.output
    out = Path(args[args.index("-o") + 1])
    return [json.loads(line) for line in (out / "sample.jsonl").read_text(encoding="utf-8").splitlines()]


def test_sample_keeps_the_proportions_of_label_length_and_group(tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "train.jsonl")
    got = run_sample(tmp_path, "--n", "100", "--seed", "7", "--group", "region", "-o", str(tmp_path / "s"))
    assert len(got) == 100 and len({r["index"] for r in got}) == 100
    for r in got:  # each sampled row is the split's row, with its label, group, line and text
        x = rows[r["index"]]
        assert (r["label"], r["group"], r["line"], r["prompt"]) == (x["label"], x["region"], r["index"] + 1, x["text"])
    # every stratum (label x length quartile x group) gets its proportional share, to within one row
    import numpy as np

    from ftlint.sample import length_buckets

    buckets_split = length_buckets(np.array([len(x["text"]) for x in rows]))
    split_strata = Counter((x["label"], b, x["region"]) for x, b in zip(rows, buckets_split))
    sample_strata = Counter((r["label"], r["length_bucket"], r["group"]) for r in got)
    assert set(sample_strata) <= set(split_strata) and len(split_strata) == 16
    for key, size in split_strata.items():
        assert abs(sample_strata[key] - 100 * size / len(rows)) < 1, (key, size, sample_strata[key])
    # the marginals follow the split's 70/30 labels, 75/25 groups and four equal length quartiles
    labels = Counter(r["label"] for r in got)
    groups = Counter(r["group"] for r in got)
    buckets = Counter(r["length_bucket"] for r in got)
    assert abs(labels["positive"] - 70) <= 2 and labels["positive"] + labels["negative"] == 100
    assert abs(groups["south"] - 75) <= 2 and groups["south"] + groups["north"] == 100
    assert set(buckets) == {"short", "medium", "long", "very long"}
    assert all(abs(k - 25) <= 6 for k in buckets.values()), buckets


def test_same_seed_same_sample_other_seed_other_sample(tmp_path: Path) -> None:
    write_rows(tmp_path / "train.jsonl")
    a = run_sample(tmp_path, "--n", "50", "--seed", "3", "-o", str(tmp_path / "a"))
    b = run_sample(tmp_path, "--n", "50", "--seed", "3", "-o", str(tmp_path / "b"))
    c = run_sample(tmp_path, "--n", "50", "--seed", "4", "-o", str(tmp_path / "c"))
    assert [r["index"] for r in a] == [r["index"] for r in b]
    assert (tmp_path / "a" / "sample.csv").read_bytes() == (tmp_path / "b" / "sample.csv").read_bytes()
    assert {r["index"] for r in a} != {r["index"] for r in c}
    assert Counter(r["label"] for r in c) == Counter(r["label"] for r in a) == {"positive": 35, "negative": 15}


def test_csv_has_empty_rating_columns_side_by_side(tmp_path: Path) -> None:
    write_rows(tmp_path / "train.jsonl", n=40)
    run_sample(tmp_path, "--n", "10", "-o", str(tmp_path / "s"))
    with open(tmp_path / "s" / "sample.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 10
    assert list(table[0])[-len(RATING_COLUMNS):] == list(RATING_COLUMNS)
    assert all(row[c] == "" for row in table for c in RATING_COLUMNS)
    assert all(row["prompt"] and row["label"] in ("positive", "negative") for row in table)


def test_test_split_is_sampled_by_default_and_errors_are_one_line(tmp_path: Path) -> None:
    write_rows(tmp_path / "train.jsonl", n=30)
    write_rows(tmp_path / "test.jsonl", n=20, seed=2)
    runner = CliRunner()
    result = runner.invoke(main, ["sample", str(tmp_path / "train.jsonl"), str(tmp_path / "test.jsonl"), "--isolated",
                                  "--n", "5", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "wrote 5 test rows" in result.output
    bad = runner.invoke(main, ["sample", str(tmp_path / "train.jsonl"), "--isolated", "--group", "regoin",
                               "-o", str(tmp_path / "t")])
    assert bad.exit_code == 2 and "no column 'regoin'" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(main, ["sample", str(tmp_path / "train.jsonl"), "--isolated", "--split", "validation"])
    assert missing.exit_code == 2 and "no validation data given" in missing.output


def test_allocation_is_proportional_and_bounded() -> None:
    assert allocate({"a": 700, "b": 300}, 100) == {"a": 70, "b": 30}
    assert allocate({"a": 2, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert sum(allocate({"a": 5, "b": 5}, 100).values()) == 10  # never more rows than the split has
    s = stratified_sample(["x"] * 6 + ["y"] * 4, ["short"] * 10, [None] * 10, 5, seed=0)
    assert sorted(s.allocation.values()) == [2, 3] and len(set(s.positions)) == 5


@pytest.mark.parametrize("n", [1, 7])
def test_small_samples(tmp_path: Path, n: int) -> None:
    write_rows(tmp_path / "train.jsonl", n=12)
    got = run_sample(tmp_path, "--n", str(n), "-o", str(tmp_path / "s"))
    assert len(got) == n
