"""Every rule's YAML case file: each case fires exactly as it says, or stays silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlint.registry import load_registry
from ftlint.testing import assert_case, cases_dir, load_cases, run_case

CASE_FILES = sorted(cases_dir().glob("*.yml"))
CASES = [c for p in CASE_FILES for c in load_cases(p)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case, tmp_path: Path) -> None:
    assert_case(case, run_case(case, tmp_path))


def test_every_builtin_rule_has_cases_that_fire_and_stay_silent() -> None:
    by_rule: dict[str, list] = {}
    for c in CASES:
        by_rule.setdefault(c.rule, []).append(c)
    for rule in load_registry(plugins=False).rules:
        if rule.code.startswith("FT9"):
            continue  # ftlint's own notices are tested where they arise (plugins, baselines)
        cases = by_rule.get(rule.code)
        assert cases, f"{rule.code} has no case file in {cases_dir()}"
        assert any(c.expect for c in cases), f"{rule.code}: no case where it fires"
        assert any(c.expect == [] for c in cases), f"{rule.code}: no case where it stays silent"
        assert any(c.doc for c in cases), f"{rule.code}: no case marked doc: true"
