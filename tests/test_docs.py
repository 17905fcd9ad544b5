"""rules/ holds one generated Markdown page per built-in rule; it must not go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlint.docs import rule_markdown, write_rule_pages
from ftlint.model import Severity
from ftlint.registry import load_registry
from ftlint.rule import Rule, RuleDefinitionError

ROOT = Path(__file__).resolve().parents[1]
REGEN = "regenerate with: ftlint rule --all --output-dir rules"


def test_rules_dir_is_up_to_date(tmp_path: Path) -> None:
    rules = load_registry(plugins=False).rules
    write_rule_pages(rules, tmp_path)
    expected = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    actual = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "rules").glob("*.md")}
    assert sorted(actual) == sorted(expected), f"rules/ has the wrong set of pages; {REGEN}"
    for name, text in expected.items():
        assert actual[name] == text, f"rules/{name} is stale; {REGEN}"


def test_page_has_every_section_and_doc_examples() -> None:
    rule = load_registry(plugins=False).lookup("FT201")
    assert rule is not None
    page = rule_markdown(rule)
    for heading in ("# exact-duplicates (FT201)", "## What it does", "## Why it matters", "## Example",
                    "## How to fix", "## Options", "`error-fraction`", "## Examples from the test cases"):
        assert heading in page


def test_rule_class_contract_is_enforced() -> None:
    with pytest.raises(RuleDefinitionError, match="code"):
        class BadCode(Rule):
            """## What it does\nx\n## Why it matters\nx\n## How to fix\nx"""
            code = "X1"
            name = "bad-code"
            summary = "s"

    with pytest.raises(RuleDefinitionError, match="How to fix"):
        class NoFix(Rule):
            """## What it does\nx\n## Why it matters\nx"""
            code = "ZZ001"
            name = "no-fix"
            summary = "s"

    with pytest.raises(RuleDefinitionError, match="kebab"):
        class BadName(Rule):
            """## What it does\nx\n## Why it matters\nx\n## How to fix\nx"""
            code = "ZZ002"
            name = "Bad_Name"
            summary = "s"
            severity = Severity.INFO
