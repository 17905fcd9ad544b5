"""Attributes nested in an object column (chat data keeps them in ``metadata``) are dotted columns:
the fairness rules, `ftlint sample --group` and `ftlint fix` weights read them by that name."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ftlint.cli import main


def chat_rows(n: int = 120) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Question number {i} about topic {i * 7}?"},
                          {"role": "assistant", "content": f"Answer {i} with detail {i * 13}."}],
             "metadata": {"gender": "f" if i % 8 == 0 else "m", "source": {"site": "forum", "rank": i}},
             "tags": ["a", "b"]}
            for i in range(n)]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_loader_flattens_nested_scalars_into_dotted_columns(tmp_path: Path) -> None:
    from ftlint.data.load import load_dataset_file

    ds = load_dataset_file(write(tmp_path / "train.jsonl", chat_rows(16)), "train", "positional path")
    assert ds.extras["metadata.gender"][:2] == ["f", "m"]
    assert ds.extras["metadata.source.site"][0] == "forum" and ds.extras["metadata.source.rank"][3] == 3
    assert "metadata" not in ds.extras and "tags" not in ds.extras   # objects and lists are not columns


def test_fairness_rule_reads_a_dotted_sensitive_column(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "train.jsonl", chat_rows())
    res = CliRunner().invoke(main, ["check", "train.jsonl", "--isolated", "--no-cache", "--sensitive",
                                    "metadata.gender", "--select", "FT501", "--output-format", "json"])
    report = json.loads(res.stdout)
    [finding] = report["findings"]
    assert finding["metrics"]["counts"] == {"m": 105, "f": 15}
    assert "largest/smallest ratio 7.0" in finding["message"]
