"""SARIF 2.1.0 for GitHub code scanning: one result per finding, rules with help, fingerprints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ftlint._version import __version__
from ftlint.model import Severity
from ftlint.reporters._common import (
    JsonList,
    JsonObject,
    RenderOptions,
    iter_json,
    location_of,
    plain_json,
    rule_help,
)

if TYPE_CHECKING:
    from ftlint.findings import Report
    from ftlint.rule import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/ftlint/ftlint"
MAX_RESULTS = 25_000
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PROBLEM = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
FAMILIES = {"0": "format", "1": "size", "2": "duplicates", "3": "labels", "4": "relevance", "5": "fairness",
            "6": "training-config", "7": "privacy", "9": "ftlint"}


def _cut(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    family = FAMILIES.get(rule.code[2:3], "other") if rule.code.startswith("FT") else "plugin"
    tags = ["fine-tuning", family]
    props: dict[str, Any] = {"tags": tags, "precision": "high", "problem.severity": PROBLEM[rule.severity]}
    if family == "privacy":
        tags.append("security")
        props["security-severity"] = "8.0" if rule.severity is Severity.ERROR else "5.0"
    sections = rule.doc_sections()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _cut(rule.summary)},
        "fullDescription": {"text": _cut(sections.get("What it does", rule.summary))},
        "help": {"text": sections.get("How to fix", rule.summary), "markdown": rule_help(rule)},
        "helpUri": f"{INFORMATION_URI}/blob/main/rules/{rule.code}.md",
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": props,
    }


def _results(report: Report, index: dict[str, int]) -> Iterator[dict[str, Any]]:
    for f in report.findings[:MAX_RESULTS]:
        path, line = location_of(f, report)
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": LEVELS[f.severity],
            "message": {"text": f"{f.message}. Fix: {f.fix}" if not f.message.endswith(".") else
                        f"{f.message} Fix: {f.fix}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": Path(path).as_posix()},
                "region": {"startLine": line},
            }}],
            "partialFingerprints": {"primaryLocationLineHash": f"{f.fingerprint}:1"},
            "properties": {"affected": {"count": f.affected.count, "fraction": f.affected.fraction},
                           "split": f.split, "rows": len(f.rows)},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.location.key:
            result["locations"][0]["logicalLocations"] = [{"name": f.location.key, "kind": "member"}]
        yield result


def _sarif_tree(report: Report) -> JsonObject:
    """The SARIF log, its results made only as :func:`~ftlint.reporters._common.iter_json` writes them."""
    rules = sorted({r.code: r for r in report.rules}.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    notifications = []
    for o in report.outcomes:
        if o.outcome == "ran":
            continue
        note: dict[str, Any] = {
            "level": "error" if o.outcome == "failed" else "note",
            "message": {"text": f"{o.code} {o.name} {o.outcome}: {o.reason}" + (f" ({o.fix})" if o.fix else "")},
            "descriptor": {"id": o.code},
        }
        if o.code in index:
            note["descriptor"]["index"] = index[o.code]
        notifications.append(note)
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.failed_rules,
        "workingDirectory": {"uri": Path.cwd().resolve().as_uri() + "/"},
        "toolExecutionNotifications": [n for n in notifications if n["level"] == "error"],
        "toolConfigurationNotifications": [n for n in notifications if n["level"] != "error"],
    }
    run = JsonObject({
        "tool": {"driver": {"name": "ftlint", "semanticVersion": __version__, "version": __version__,
                            "informationUri": INFORMATION_URI, "rules": [_descriptor(r) for r in rules]}},
        "automationDetails": {"id": "ftlint/"},
        "invocations": [invocation],
        "results": JsonList(_results(report, index)),
        "properties": {"summary": report.summary,
                       "truncated": max(0, len(report.findings) - MAX_RESULTS)},
    })
    return JsonObject({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": JsonList([run])})


def sarif_dict(report: Report) -> dict[str, Any]:
    return plain_json(_sarif_tree(report))  # type: ignore[no-any-return]


def chunks(report: Report, options: RenderOptions) -> Iterator[str]:
    """The text of :func:`render` in pieces, to write as they come."""
    yield from iter_json(_sarif_tree(report), option=orjson.OPT_INDENT_2)  # exact text, escaped
    yield "\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(chunks(report, options))
