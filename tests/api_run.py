"""ftlint run through its API the way the tests run it: one home for the write-the-rows, build-the-
settings, select-the-rules, run steps that test modules used to repeat in local ``run()`` helpers.

- :func:`lint`: ``api.check`` of some files with settings given in their TOML shape (or as a
  :class:`~ftlint.settings.Settings`), rooted at a folder, without the cache.
- :func:`lint_rule`: one rule on records written to ``train.jsonl`` (with an optional training
  config, validation split and rule options): the report, the rule's outcome and its findings.

The CLI's in-process and subprocess runners are in tests/cli_inprocess.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ftlint.api import check
from ftlint.findings import Report
from ftlint.model import Finding, RuleOutcome
from ftlint.settings import Settings, settings_from_dict


def write_jsonl(path: Path, records: Sequence[Any]) -> Path:
    """``records`` as UTF-8 JSON Lines at ``path`` (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def lint(paths: Sequence[str | Path] = (), *, root: Path, settings: dict[str, Any] | Settings | None = None,
         cache: bool = False, **kwargs: Any) -> Report:
    """``api.check(paths, **kwargs)`` with ``settings`` (TOML keys, e.g. ``{"rules": {...}}``, or a
    ready :class:`Settings`) rooted at ``root``, no settings file discovered, and no cache unless
    ``cache``."""
    s = settings if isinstance(settings, Settings) else settings_from_dict(settings or {}, root)
    s.cache = cache
    return check(list(paths), settings=s, no_cache=not cache, **kwargs)


class RuleRun(NamedTuple):
    report: Report
    outcome: RuleOutcome
    findings: list[Finding]


def lint_rule(tmp_path: Path, records: Sequence[Any], config: str | None, code: str,
              settings: dict[str, Any] | None = None, *, options: dict[str, Any] | None = None,
              validation: Sequence[Any] | None = None, config_name: str = "train.yml", cache: bool = False,
              plugins: bool = True) -> RuleRun:
    """Rule ``code`` alone on ``records`` (``tmp_path/train.jsonl``), with the training config text
    ``config`` (``tmp_path/<config_name>``), ``validation`` records (``tmp_path/heldout.jsonl``), the
    rule's ``options`` (TOML spelling) and other ``settings``. The rule must not have failed."""
    from ftlint.registry import load_registry

    train = write_jsonl(tmp_path / "train.jsonl", records)
    val = [write_jsonl(tmp_path / "heldout.jsonl", validation)] if validation is not None else []
    cfg = None
    if config is not None:
        cfg = tmp_path / config_name
        cfg.write_text(config, encoding="utf-8")
    data = dict(settings or {})
    if options:
        rule = load_registry(plugins=plugins).lookup(code)
        assert rule is not None, f"no rule {code}"
        data["rules"] = {**data.get("rules", {}), rule.name: {**data.get("rules", {}).get(rule.name, {}), **options}}
    report = lint([train], root=tmp_path, settings=data, cache=cache, validation=val, config=cfg, select=[code],
                  plugins=plugins)
    outcome = next(o for o in report.outcomes if o.code == code)
    assert outcome.outcome != "failed", outcome.reason
    return RuleRun(report, outcome, [f for f in report.findings if f.code == code])
