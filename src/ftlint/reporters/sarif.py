"""SARIF 2.1.0 for GitHub code scanning: one result per finding, rules with help, fingerprints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ftlint._version import __version__
from ftlint.model import Severity
from ftlint.reporters._common import RenderOptions, dumps_json, location_of, rule_help

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


def sarif_dict(report: Report) -> dict[str, Any]:
    rules = sorted({r.code: r for r in report.rules}.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
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
        results.append(result)
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
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "ftlint", "semanticVersion": __version__, "version": __version__,
                            "informationUri": INFORMATION_URI, "rules": [_descriptor(r) for r in rules]}},
        "automationDetails": {"id": "ftlint/"},
        "invocations": [invocation],
        "results": results,
        "properties": {"summary": report.summary,
                       "truncated": max(0, len(report.findings) - MAX_RESULTS)},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions) -> str:
    return dumps_json(sarif_dict(report), option=orjson.OPT_INDENT_2) + "\n"  # exact text, escaped
