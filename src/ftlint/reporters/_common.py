"""What every reporter shares: RenderOptions, and helpers for the machine-readable formats."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ftlint.model import Finding
from ftlint.paths import relative_posix
from ftlint.printable import UNSAFE_NON_C0, has_unsafe_utf8, printable, printable_report

if TYPE_CHECKING:
    from ftlint.findings import Report
    from ftlint.rule import Rule

__all__ = ["JsonList", "JsonObject", "RenderOptions", "dumps_json", "fallback_path", "iter_json", "location_of",
           "plain_json", "printable", "printable_report", "repo_path", "rule_help"]


@dataclasses.dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    fail_on: str = "error"
    max_rows: int = 5
    verbose: bool = False
    statistics: bool = False


def fallback_path(report: Report) -> str:
    """Where a finding with no file of its own is shown: the training config, else the first dataset."""
    for role in ("training_config", "dataset"):
        for i in report.inputs:
            if i.role == role and i.path:
                return i.path
    return "."


def repo_path(path: str, base_env: str | None = None) -> str:
    """A forward-slash path relative to ``$base_env`` (e.g. CI_PROJECT_DIR) when set, else as given."""
    base = os.environ.get(base_env) if base_env else None
    rel = relative_posix(path, base) if base else None
    return rel if rel is not None else Path(path).as_posix()


def location_of(f: Finding, report: Report) -> tuple[str, int]:
    """(path, 1-based line) of a finding: its own location, or its first row, or a fallback."""
    path = f.location.path or (f.rows[0].path if f.rows else None) or fallback_path(report)
    line = f.location.line or (f.rows[0].line if f.rows and f.rows[0].line else None) or 1
    return path, line


def rule_help(rule: type[Rule]) -> str:
    """The rule's documentation as plain Markdown text (its docstring sections)."""
    sections = rule.doc_sections()
    parts = [f"## {title}\n\n{body}" for title, body in sections.items()]
    return "\n\n".join(parts)


# -- JSON output ----------------------------------------------------------------------------------

_JSON_ESCAPE_RE = re.compile("[" + UNSAFE_NON_C0 + "]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _json_escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c > 0xFFFF:  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
        c -= 0x10000
        return f"\\u{0xD800 + (c >> 10):04x}\\u{0xDC00 + (c & 0x3FF):04x}"
    return f"\\u{c:04x}"


def dumps_json(obj: Any, *, default: Callable[[Any], Any] | None = None, option: int = 0) -> str:
    """``obj`` as JSON text (orjson) that keeps every string exactly and is still safe to print:
    besides the C0 controls the serialiser escapes, C1 controls, DEL, bidi and invisible
    characters (:data:`~ftlint.findings.UNSAFE_NON_C0`) are written as ``\\uXXXX`` escapes, which
    can only occur inside JSON strings, so ``json.loads`` gives back the original text. Lone
    surrogates (an undecodable file name), which orjson refuses, are written as escapes too."""
    try:
        blob = orjson.dumps(obj, default=default, option=option)
    except orjson.JSONEncodeError as e:
        if "surrogates" not in str(e):
            raise
        blob = _dumps_with_surrogates(obj, default, option).encode("utf-8")
    if not has_unsafe_utf8(blob):  # the usual case
        return blob.decode()
    return _JSON_ESCAPE_RE.sub(_json_escape, blob.decode())


def _dumps_with_surrogates(obj: Any, default: Callable[[Any], Any] | None, option: int) -> str:
    """orjson with each string that holds a lone surrogate swapped for a unique marker, then each
    marker replaced by the string's escaped JSON form (the standard library writes ``\\udcff``)."""
    nonce = secrets.token_hex(8)
    originals: list[str] = []

    def marker(s: str) -> str:
        originals.append(s)
        return f"\x00{nonce}:{len(originals) - 1}\x00"

    def swap(v: Any) -> Any:
        if isinstance(v, str):
            return marker(v) if _SURROGATE_RE.search(v) else v
        if isinstance(v, dict):
            return {(swap(k) if isinstance(k, str) else k): swap(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [swap(x) for x in v]
        if dataclasses.is_dataclass(v) and not isinstance(v, type):  # as orjson writes one
            return swap({f.name: getattr(v, f.name) for f in dataclasses.fields(v)})
        if default is not None and not isinstance(v, (int, float, bool)) and v is not None:
            try:
                d = default(v)
            except TypeError:
                return v
            return v if d is v else swap(d)
        return v

    text = orjson.dumps(swap(obj), default=default, option=option).decode()
    return re.sub(f"\"\\\\u0000{nonce}:(\\d+)\\\\u0000\"",
                  lambda m: json.dumps(originals[int(m.group(1))]), text)


# -- JSON output in pieces ------------------------------------------------------------------------

class JsonObject(dict[str, Any]):
    """A JSON object that :func:`iter_json` writes key by key (its values may hold :class:`JsonList`)."""


class JsonList:
    """A JSON array that :func:`iter_json` writes a few items at a time: its ``items`` are made
    (a generator: one at a time) only as they are written, so a finding's tens of thousands of
    rows are never all held as dicts, nor as one text."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def plain_json(value: Any) -> Any:
    """``value`` with every :class:`JsonObject` and :class:`JsonList` in it made a dict and a list."""
    if isinstance(value, JsonObject):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, JsonList):
        return [plain_json(v) for v in value.items]
    return value


def iter_json(value: Any, *, default: Callable[[Any], Any] | None = None, option: int = 0,
              batch: int = 512) -> Iterator[str]:
    """The text of ``dumps_json(plain_json(value), default=default, option=option |
    OPT_INDENT_2)``, exactly, in pieces: the :class:`JsonObject` and :class:`JsonList` in
    ``value`` are written by hand as orjson indents them, everything else by orjson (up to
    ``batch`` consecutive plain items of a list in one call). A raw newline occurs in orjson's
    indented text only between values (strings escape theirs), so a piece is moved to its depth
    by indenting after each newline."""
    option |= orjson.OPT_INDENT_2

    def dumps(v: Any, level: int) -> str:
        text = dumps_json(v, default=default, option=option)
        return text.replace("\n", "\n" + "  " * level) if level and "\n" in text else text

    def walk(v: Any, level: int) -> Iterator[str]:
        if isinstance(v, JsonObject):
            if not v:
                yield "{}"
                return
            pad = "\n" + "  " * (level + 1)
            sep = "{"
            for k, x in v.items():
                yield f"{sep}{pad}{dumps(k, 0)}: "
                yield from walk(x, level + 1)
                sep = ","
            yield "\n" + "  " * level + "}"
        elif isinstance(v, JsonList):
            pad = "\n" + "  " * (level + 1)
            sep = "["
            plain: list[Any] = []
            for x in v.items:
                if isinstance(x, (JsonObject, JsonList)):
                    if plain:
                        yield sep + dumps(plain, level)[1:-(2 + 2 * level)]
                        plain, sep = [], ","
                    yield sep + pad
                    yield from walk(x, level + 1)
                    sep = ","
                else:
                    plain.append(x)
                    if len(plain) >= batch:
                        # "[" + pad + items + "\n" + indent + "]": the items, with their pad
                        yield sep + dumps(plain, level)[1:-(2 + 2 * level)]
                        plain, sep = [], ","
            if plain:
                yield sep + dumps(plain, level)[1:-(2 + 2 * level)]
                sep = ","
            yield "[]" if sep == "[" else "\n" + "  " * level + "]"
        else:
            yield dumps(v, level)

    return walk(value, 0)
