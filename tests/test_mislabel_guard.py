"""FT302 only calls a label wrong when its classifier clearly beats always answering the largest class,
and never for a neighbouring score on a rating scale (judged FALSE on the fine-food reviews)."""

from __future__ import annotations

import json
import random

from ftlint.api import run
from ftlint.rules.labels import _ordinal
from ftlint.settings import Settings


def test_a_classifier_near_the_majority_baseline_is_skipped_with_its_numbers(tmp_path):
    rng = random.Random(0)
    words = "tea coffee box taste sweet bitter fresh price order love hate good bad ok fine".split()
    rows = [{"text": " ".join(rng.choice(words) for _ in range(12)), "label": "5" if rng.random() < 0.7 else
             rng.choice("1234")} for _ in range(400)]
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report, _ = run([path], settings=Settings(select=["FT302"]), no_cache=True)
    [outcome] = [o for o in report.outcomes if o.code == "FT302"]
    assert outcome.outcome == "skipped" and "too weak to judge labels" in outcome.reason
    assert "always answering '5'" in outcome.reason
    assert not [f for f in report.findings if f.code == "FT302"]


def test_rating_scales_are_ordinal():
    assert _ordinal(["1", "2", "3", "4", "5"]) == [1, 2, 3, 4, 5]
    assert _ordinal(["0", "1", "2"]) == [0, 1, 2]
    assert _ordinal(["1", "2", "4"]) is None  # not consecutive
    assert _ordinal(["0", "1"]) is None  # binary labels are classes
    assert _ordinal(["sports", "business", "world"]) is None
