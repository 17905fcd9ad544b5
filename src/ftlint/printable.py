"""Printable text: what every human-facing reporter applies to a report before it shows it, so no
control or invisible character in the data reaches a terminal, a log viewer or a report page raw."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ftlint.model import Finding, Row

if TYPE_CHECKING:
    from ftlint.findings import Report

# Characters that must never reach a terminal, a log viewer or a report page as they are: C0 and
# C1 controls and DEL (ESC starts the escape sequences that set a window title, write the
# clipboard or clear the screen; CR overwrites a line), lone surrogates (undecodable file names;
# they cannot even be encoded), the noncharacters U+FFFE/U+FFFF (not allowed in XML), and the
# invisible format characters (Unicode category Cf, Zl, Zp): bidi embeddings, overrides and
# isolates ("Trojan source"), zero-width and word-joiner characters, the byte-order mark, soft
# hyphen, line/paragraph separators, interlinear annotation and tag characters ("ASCII
# smuggling"). Left alone of Cf: the few that are drawn (Arabic number signs U+0600-U+0605, end
# of ayah U+06DD, Syriac abbreviation mark U+070F, U+0890/U+0891, U+08E2, Kaithi and Egyptian
# marks). \t and \n are handled by the mode (see :func:`printable`).
#: the unsafe characters other than C0 controls (and lone surrogates), as code point ranges
UNSAFE_RANGES = (
    (0x7F, 0x9F), (0xAD, 0xAD), (0x61C, 0x61C), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0xFFFE, 0xFFFF), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE007F),
)
#: the same as the body of a regex character class, lone surrogates included (the JSON reporters
#: escape these; their serialiser escapes C0 itself)
UNSAFE_NON_C0 = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in UNSAFE_RANGES) + "\ud800-\udfff"
_UNSAFE_CLASS = "\x00-\x08\x0b-\x1f" + UNSAFE_NON_C0


def _utf8_pattern(ranges: Iterable[tuple[int, int]]) -> bytes:
    """A bytes regex matching the UTF-8 encoding of any code point in ``ranges`` (grouped by all
    but the last byte, so that the engine tests one lead byte per position)."""
    by_prefix: dict[bytes, list[int]] = {}
    for a, b in ranges:
        for c in range(a, b + 1):
            e = chr(c).encode("utf-8")
            by_prefix.setdefault(e[:-1], []).append(e[-1])
    parts = [re.escape(prefix) + b"[" + b"".join(re.escape(bytes([x])) for x in last) + b"]"
             for prefix, last in sorted(by_prefix.items(), key=lambda kv: (-len(kv[0]), kv[0]))]
    return b"|".join(parts)


#: the unsafe characters other than C0 in UTF-8 bytes (what the JSON reporters must still escape)
UNSAFE_UTF8_RE = re.compile(_utf8_pattern(UNSAFE_RANGES))
_ASCII_BUT_DEL = bytes(range(0x7F))
# what orjson writes for C0: \n, \t, ... and \u00XX (it writes every other character as it is)
_JSON_C0_ESCAPES = (b"\\n", b"\\t", b"\\r", b"\\b", b"\\f", b"\\u00")


def has_unsafe_utf8(blob: bytes) -> bool:
    """Whether the UTF-8 ``blob`` holds an unsafe character other than C0 (:data:`UNSAFE_RANGES`).

    The regex runs only over the bytes >= 0x7F (``bytes.translate`` drops the rest at memory
    speed; UTF-8 sequences stay whole), so mostly-ASCII text costs little.
    """
    if blob.isascii():
        return b"\x7f" in blob
    return UNSAFE_UTF8_RE.search(blob.translate(None, _ASCII_BUT_DEL)) is not None
_UNSAFE_LINE_RE = re.compile("[\t\n" + _UNSAFE_CLASS + "]")  # one-line text: newlines and tabs too
_UNSAFE_MULTI_RE = re.compile("[" + _UNSAFE_CLASS + "]")  # text whose lines are kept
#: legitimate inside scripts that need them (joiners in emoji sequences and Indic or Persian words,
#: the zero-width space between Thai words, direction marks in right-to-left text): kept where a
#: neighbour is not ASCII, shown where the text around them is ASCII (as FT005 reports them)
_CONTEXTUAL = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f")
NEWLINE_MARK = "⏎"


def _code(c: str) -> str:
    return f"<U+{ord(c):04X}>"


def _show_line(m: re.Match[str]) -> str:
    c, s, i = m.group(), m.string, m.start()
    if c == "\n":
        return NEWLINE_MARK
    if c == "\t":
        return " "
    if c == "\r":  # CRLF is one line break; a lone CR (old Mac files) is one too
        return "" if s[i + 1: i + 2] == "\n" else NEWLINE_MARK
    if c in _CONTEXTUAL and not (s[i - 1: i].isascii() and s[i + 1: i + 2].isascii()):
        return c
    return _code(c)


def _show_multi(m: re.Match[str]) -> str:
    c, s, i = m.group(), m.string, m.start()
    if c == "\r":
        return "" if s[i + 1: i + 2] == "\n" else _code(c)
    if c in _CONTEXTUAL and not (s[i - 1: i].isascii() and s[i + 1: i + 2].isascii()):
        return c
    return _code(c)


def printable(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to show a person: control, invisible and bidi-control characters as
    ``<U+XXXX>`` (``"\\x1b[2J"`` -> ``"<U+001B>[2J"``), so that nothing from the data can move the
    cursor, retitle or clear a terminal, write its clipboard, reorder what is shown or hide text.

    The one implementation: every human-facing report (:func:`printable_report`), FT005's
    excerpts and the command line's messages use it. One-line text (the default) shows a line
    break as ``⏎`` and a tab as a space; with ``multiline`` both are kept (CRLF becomes LF, a lone
    CR is shown). Text with nothing to show is returned as it is (the same object).
    """
    pattern = _UNSAFE_MULTI_RE if multiline else _UNSAFE_LINE_RE
    if pattern.search(text) is None:
        return text
    out = pattern.sub(_show_multi if multiline else _show_line, text)
    return text if out == text else out  # only joiners or marks that a script needs


_ATOMS = (int, float, bool, type(None))
_BIG = 32  # containers at least this long are first checked whole, in C (see :func:`_maybe_unsafe`)


def _sets_as_lists(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    raise TypeError


_CHUNK = 4096  # list items serialised at once by :func:`_maybe_unsafe` (bounds its memory)


def _maybe_unsafe(value: Any) -> bool:
    """Whether ``value`` may hold a string that :func:`printable` changes; False is certain.

    orjson passes (dataclasses, dicts, lists, numpy arrays; a long list in chunks, so that the
    text never holds more than a few thousand items) and a bytes scan: much faster than visiting
    100,000 small objects in Python. Anything orjson refuses (a lone surrogate, an unknown type)
    counts as maybe.
    """
    if isinstance(value, (list, tuple)) and len(value) > _CHUNK:
        return any(_maybe_unsafe(value[i: i + _CHUNK]) for i in range(0, len(value), _CHUNK))
    try:
        blob = orjson.dumps(value, default=_sets_as_lists,
                            option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    except (orjson.JSONEncodeError, TypeError):
        return True
    # C0 as orjson escapes it (a backslash in the data before one of those letters, "\\n" in code,
    # is a false alarm: it only means the exact walk runs), then everything else
    if b"\\" in blob and any(e in blob for e in _JSON_C0_ESCAPES):
        return True
    return has_unsafe_utf8(blob)


class _Printer:
    """:func:`printable` applied to every string inside a value: dataclass fields, dict keys and
    values, list/tuple/set items, at any depth. Unchanged parts come back as they are (the same
    objects); two dict keys that show the same stay apart (``k``, ``k #2``). Strings are memoised
    (a report repeats its paths thousands of times)."""

    def __init__(self) -> None:
        self.memo: dict[str, str] = {}
        self.fields: dict[type, tuple[str, ...]] = {}

    def text(self, s: str) -> str:
        out = self.memo.get(s)
        if out is None:
            out = self.memo[s] = printable(s)
        return out

    def __call__(self, value: Any) -> Any:
        t = type(value)
        if t is str:
            return self.text(value)
        if t in _ATOMS or isinstance(value, type):
            return value
        if (t is dict or t is list) and len(value) >= _BIG and not _maybe_unsafe(value):
            return value
        if t is dict:
            return self._dict(value)
        if t is list or t is tuple:
            items = [self(v) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            return items if t is list else tuple(items)
        if t is _PrintableRows:
            return value
        if isinstance(value, str):  # a str subclass (an enum member, numpy.str_)
            out = self.text(value)
            return value if out == value else out
        if dataclasses.is_dataclass(value):
            return self._dataclass(value)
        if isinstance(value, dict):
            return self._dict(value)
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [self(v) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
                return type(value)(*items)
            return type(value)(items)
        return value  # numbers of other types, arrays of numbers

    def _dataclass(self, value: Any) -> Any:
        names = self.fields.get(type(value))
        if names is None:
            names = self.fields[type(value)] = tuple(f.name for f in dataclasses.fields(value) if f.init)
        changes = {}
        for name in names:
            old = getattr(value, name)
            if name == "rows" and isinstance(value, Finding):
                new = _PrintableRows(old, self) if old and not isinstance(old, _PrintableRows) else old
            elif name == "remedies" and isinstance(value, Finding):
                new = old  # for `ftlint fix`, never shown: not walked (a carve's strata hold a value per row)
            else:
                new = self(old)
            if new is not old:
                changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value

    def _dict(self, value: dict[Any, Any]) -> dict[Any, Any]:
        items = [(self(k), self(v)) for k, v in value.items()]
        if all(k2 is k and v2 is v for (k2, v2), (k, v) in zip(items, value.items())):
            return value
        out: dict[Any, Any] = {}
        for k, v in items:
            if k in out:
                n = 2
                while f"{k} #{n}" in out or f"{k} #{n}" in value:
                    n += 1
                k = f"{k} #{n}"
            out[k] = v
        return out


class _PrintableRows(Sequence[Row]):
    """A finding's rows, each made printable when it is read: a report can carry 100,000 rows
    while a human-facing format shows a few of them and counts the rest."""

    __slots__ = ("_clean", "_printer", "_rows")

    def __init__(self, rows: Sequence[Row], printer: _Printer) -> None:
        self._rows = rows
        self._printer = printer
        self._clean: bool | None = None  # all rows checked at once, the first time many are read

    def _all_clean(self) -> bool:
        if self._clean is None:
            self._clean = not _maybe_unsafe(self._rows)
        return self._clean

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            rows = self._rows[i]
            if len(rows) >= _BIG and self._all_clean():
                return list(rows)
            return [self._printer(r) for r in rows]
        return self._printer(self._rows[i])

    def __iter__(self) -> Iterator[Row]:
        if len(self._rows) >= _BIG and self._all_clean():
            return iter(self._rows)
        return (self._printer(r) for r in self._rows)

    def __repr__(self) -> str:
        return repr(list(self))


def printable_report(report: Report) -> Report:
    """``report`` with every string in it made :func:`printable`: findings (message, fix, location,
    rows' paths, snippets and extras, metrics), rule outcomes, inputs (paths, names, extras),
    notes and chart data. Applied by every human-facing reporter at its entry, so a field added
    later is covered too; the machine formats (JSON, SARIF, GitLab) keep the exact text, escaped
    by their serialiser. ``report`` itself is not changed. A finding's rows are made printable
    as they are read (``len(f.rows)`` costs nothing); the rule classes in ``report.rules``
    (ftlint's own docs) are left alone."""
    rules = report.rules
    out: Report = _Printer()(dataclasses.replace(report, rules=[]))
    out.rules = rules
    return out
