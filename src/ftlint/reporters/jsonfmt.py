"""The ``json`` format: the shape later formats and tools rely on (schema_version 1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from ftlint._version import __version__
from ftlint.model import Finding
from ftlint.reporters._common import JsonList, JsonObject, RenderOptions, iter_json, plain_json

if TYPE_CHECKING:
    from ftlint.findings import Report

SCHEMA_VERSION = 1


def _finding_tree(f: Finding) -> JsonObject:
    return JsonObject({
        "code": f.code,
        "name": f.name,
        "severity": f.severity.label,
        "message": f.message,
        "fix": f.fix,
        "location": {"path": f.location.path, "line": f.location.line, "key": f.location.key},
        "affected": {"count": f.affected.count, "fraction": f.affected.fraction},
        # by hand, not dataclasses.asdict: that deep-copies every row's extra (0.5 s at 7k rows);
        # made as they are written (a finding may list tens of thousands of rows)
        "rows": JsonList({"path": r.path, "split": r.split, "index": r.index, "line": r.line,
                          "fingerprint": r.fingerprint, "snippet": r.snippet, "extra": r.extra} for r in f.rows),
        "metrics": _metrics_tree(f.metrics),
        "fingerprint": f.fingerprint,
    })


def _metrics_tree(metrics: dict[Any, Any]) -> Any:
    """A finding's metrics, each list in it written a few hundred items at a time (FT202's groups
    list every member of every group); as they are when a key is not a string (orjson writes it)."""
    if not metrics or not all(isinstance(k, str) for k in metrics):
        return metrics
    return JsonObject({k: JsonList(v) if type(v) is list else v for k, v in metrics.items()})


def finding_dict(f: Finding) -> dict[str, Any]:
    return plain_json(_finding_tree(f))  # type: ignore[no-any-return]


def _report_tree(report: Report) -> JsonObject:
    """The report as :func:`report_dict` gives it, its findings and their rows made only as
    :func:`~ftlint.reporters._common.iter_json` writes them (a tree is written once)."""
    inputs = []
    for i in report.inputs:
        # every input has the same five keys (null where they do not apply, e.g. a training config)
        d: dict[str, Any] = {"path": i.path, "role": i.role, "split": i.split, "format": i.format,
                             "records": i.records}
        if i.role in ("dataset", "replaced"):
            d["split_source"] = i.split_source
        d.update(i.extra)
        inputs.append(d)
    return JsonObject({
        "ftlint_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "inputs": inputs,
        "summary": report.summary,
        "rules": [
            {"code": o.code, "name": o.name, "outcome": o.outcome, "reason": o.reason, "fix": o.fix,
             "seconds": o.seconds}
            for o in report.outcomes
        ],
        "findings": JsonList(_finding_tree(f) for f in report.findings),
    })


def report_dict(report: Report) -> dict[str, Any]:
    return plain_json(_report_tree(report))  # type: ignore[no-any-return]


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    return str(obj)


def chunks(report: Report, options: RenderOptions) -> Iterator[str]:
    """The text of :func:`render` in pieces (a few hundred rows each), to write as they come: the
    JSON of ``report_dict(report)`` as ``dumps_json`` writes it, never held whole."""
    # the exact text of the data, control and bidi characters written as \\uXXXX escapes
    yield from iter_json(_report_tree(report), default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    yield "\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(chunks(report, options))
