"""Text-quality features: garbled encodings, unfilled template placeholders, degenerate repetition.

Pure functions over one string each, with cheap pre-filters so that the common case (clean text)
costs one C-level scan: ``str.isascii``, a substring test or one precompiled regex search.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

from ftlint.features.text import CJK_CHARS
from ftlint.printable import printable

# -- visible excerpts ---------------------------------------------------------------------------------

def visible(text: str) -> str:
    """``text`` on one line with control and invisible characters shown as ``<U+XXXX>`` and line
    breaks as ``⏎`` (:func:`ftlint.findings.printable`, which every report uses), and the no-break
    space too (a lost one is a sign of mojibake)."""
    return printable(text).replace("\u00a0", "<U+00A0>")


def excerpt(text: str, start: int, end: int, context: int = 30) -> str:
    """A short visible excerpt of ``text`` around ``text[start:end]``, with ellipses where cut."""
    a, b = max(0, start - context), min(len(text), end + context)
    return ("…" if a > 0 else "") + visible(text[a:b]) + ("…" if b < len(text) else "")


# -- encoding problems (FT005) ------------------------------------------------------------------------

# UTF-8 bytes read as Windows-1252 (or Latin-1): every byte 0x80-0xFF becomes one character. The
# continuation bytes 0x80-0xBF become these characters (cp1252 punctuation for 0x80-0x9F, with the
# Latin-1 C1 control where cp1252 leaves a byte undefined, and U+00A0-U+00BF).
def _byte_map() -> dict[str, int]:
    """The byte each character of mojibake stands for (cp1252 first, Latin-1 for the rest)."""
    out = {chr(b): b for b in range(0x80, 0x100)}
    for b in range(0x80, 0xA0):
        try:
            out[bytes([b]).decode("cp1252")] = b
        except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in cp1252
            pass
    return out


_BYTE_OF = _byte_map()
_CONT = "".join(sorted(c for c, b in _BYTE_OF.items() if 0x80 <= b <= 0xBF))
_CONT_CLASS = "[" + re.escape(_CONT) + "]"

MOJIBAKE_RE = re.compile(
    "[\u00c2-\u00df]" + _CONT_CLASS
    + "|[\u00e0-\u00ef]" + _CONT_CLASS + "{2}"
    + "|[\u00f0-\u00f4]" + _CONT_CLASS + "{3}"
    # a no-break space (C2 A0) whose A0 was later turned into a plain space: "10Â km", "endÂ Next"
    + "|(?<![A-Za-z\u00c0-\u00ff])\u00c2(?= )"
    # "à" (C3 A0) the same way, inside a lowercase word: "voilÃ  tout"
    + "|(?<=[a-z])\u00c3(?= )"
)
C0_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\u180e\ufeff"
_BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SUSPECT_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd" + _INVISIBLE + _BIDI
# two quick passes before the exact one: any suspect character at all (one character class, so
# Chinese or Hindi text is cleared at C speed), then a suspect character or a lead/continuation
# pair (clears ordinary accented Latin text); lookbehinds would make either slow
_SUSPECT_CHAR_RE = re.compile("[" + _SUSPECT_CHARS + "\u00c2-\u00f4]")
_SUSPECT_RE = re.compile("[" + _SUSPECT_CHARS + "]|[\u00c2-\u00f4]" + _CONT_CLASS + "|[\u00c2\u00c3] ")
_PROBLEM_RE = re.compile(
    "(?P<moji>" + MOJIBAKE_RE.pattern + ")"
    + "|(?P<fffd>\ufffd)"
    + "|(?P<ctrl>[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f])"
    + "|(?P<zw>[" + _INVISIBLE + "])"
    + "|(?P<bidi>[" + _BIDI + "])"
)
# scripts written right to left: bidi marks are legitimate in text that contains them
_RTL_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}
_INVISIBLE_NAMES = {0x200B: "zero-width space", 0x200C: "zero-width non-joiner", 0x200D: "zero-width joiner",
                    0x2060: "word joiner", 0xFEFF: "byte-order mark", 0x180E: "Mongolian vowel separator"}
_BIDI_NAMES = {0x200E: "left-to-right mark", 0x200F: "right-to-left mark", 0x061C: "Arabic letter mark",
               0x202A: "LRE", 0x202B: "RLE", 0x202C: "PDF", 0x202D: "LRO", 0x202E: "RLO",
               0x2066: "LRI", 0x2067: "RLI", 0x2068: "FSI", 0x2069: "PDI"}


@dataclass(frozen=True)
class EncodingProblem:
    """One garbled spot: ``kind`` is mojibake, replacement-character, control-character,
    invisible-character or bidi-control."""

    kind: str
    found: str  # what is in the text, made visible ("Ã©", "<U+001B>")
    detail: str  # "Ã© is é read with the wrong encoding", "ESC control character"
    start: int
    end: int


def _unmojibake(s: str) -> str | None:
    """The text ``s`` was before UTF-8 bytes were decoded as cp1252/Latin-1, or None if it was not."""
    try:
        return bytes(_BYTE_OF[c] for c in s).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def _ascii_neighbours(text: str, start: int, end: int) -> bool:
    """Whether the characters around ``text[start:end]`` are ASCII (or the text boundary)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if not before and not after:
        return True
    return (not before or before.isascii()) and (not after or after.isascii())


def encoding_problems(text: str, limit: int = 5) -> list[EncodingProblem]:
    """Garbled spots of ``text`` (at most ``limit``): mojibake, U+FFFD, control characters, and
    invisible or bidi characters where no script that needs them is around.

    Mojibake is only reported where the characters, turned back into bytes, decode as UTF-8: a
    ``Â``/``Ã`` pair, a three- or four-byte sequence, or at least two other two-byte pairs
    (``«É»`` in real French decodes to one unlikely IPA letter and is not reported).
    """
    if text.isascii():
        m = C0_RE.search(text)
        if m is None:
            return []
    else:
        m = _SUSPECT_CHAR_RE.search(text)
        if m is None or _SUSPECT_RE.search(text, m.start()) is None:
            return []
    out: list[EncodingProblem] = []
    weak: list[EncodingProblem] = []
    rtl: bool | None = None
    for m in _PROBLEM_RE.finditer(text):
        kind = m.lastgroup
        s, a, b = m.group(), m.start(), m.end()
        if kind == "moji":
            if len(s) == 1:  # a lone "Â"/"Ã" before a plain space: the no-break space was lost
                lost = "a no-break space" if s == "\u00c2" else "'à'"
                out.append(EncodingProblem("mojibake", s + " ", f"'{s} ' is {lost} read with the wrong encoding "
                                           "(UTF-8 decoded as Windows-1252)", a, b + 1))
            else:
                orig = _unmojibake(s)
                if orig is None:
                    continue
                codec = "Latin-1" if any("\x80" <= c <= "\x9f" for c in s) else "Windows-1252"
                p = EncodingProblem("mojibake", visible(s), f"'{visible(s)}' is '{visible(orig)}' read with "
                                    f"the wrong encoding (UTF-8 decoded as {codec})", a, b)
                if len(s) == 2 and s[0] not in "\u00c2\u00c3":
                    weak.append(p)
                    continue
                out.append(p)
        elif kind == "fffd":
            out.append(EncodingProblem("replacement-character", "\ufffd", "U+FFFD replacement character: "
                                       "bytes were lost when the text was decoded", a, b))
        elif kind == "ctrl":
            c = ord(s)
            name = _CONTROL_NAMES.get(c, "C1" if c >= 0x80 else "C0")
            out.append(EncodingProblem("control-character", f"<U+{c:04X}>", f"{name} control character "
                                       f"U+{c:04X}", a, b))
        elif kind == "zw":
            if not _ascii_neighbours(text, a, b):
                continue  # joiners inside emoji sequences and Indic/Persian words, ZWSP in Thai: fine
            c = ord(s)
            out.append(EncodingProblem("invisible-character", f"<U+{c:04X}>",
                                       f"{_INVISIBLE_NAMES.get(c, 'invisible character')} U+{c:04X} "
                                       "inside Latin text", a, b))
        elif kind == "bidi":
            if rtl is None:
                rtl = _RTL_RE.search(text) is not None
            if rtl:
                continue
            c = ord(s)
            out.append(EncodingProblem("bidi-control", f"<U+{c:04X}>", f"bidirectional control "
                                       f"{_BIDI_NAMES.get(c, '')} U+{c:04X} in text with no right-to-left "
                                       "script", a, b))
        if len(out) >= limit:
            break
    if len(weak) >= 2:
        out.extend(weak[: max(0, limit - len(out))])
        out.sort(key=lambda p: p.start)
    return out[:limit]


# -- unfilled placeholders (FT007) --------------------------------------------------------------------

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
# Candidates, each regex led by a literal character so that the engine scans for it quickly; the
# context around a match (what precedes and follows it) is checked in Python.
# {{ name }}, {{user.name}}, {{ name | upper }}, {{#each items}} (Mustache / Jinja / Handlebars);
# {name} (str.format / f-string field) and ${NAME} (shell / JavaScript) in prose
_BRACE_RE = re.compile(r"\{(?:\{\s*[#/^&>]?\s*" + _IDENT + r"(?:\s*\|\s*\w+)*\s*\}\}|(?P<field>" + _IDENT + r")\})")
_SQUARE_RE = re.compile(r"\[(?P<inner>[^\[\]\n]{2,48})\]")
_ANGLE_RE = re.compile(r"<(?P<inner>[A-Za-z][^<>\n=\"/]{1,48})>")
# not {x} after \cmd, x^, a_, a word, $...$ delimiters or closing brackets (LaTeX, indexing, code)
_BRACE_BEFORE = frozenset("\\^_}{)]")
_BRACE_AFTER = frozenset("{(}")
_SQUARE_BEFORE = frozenset(")]!\\")  # a[i], f(x)[0], ![image], \[math\]
_SQUARE_AFTER = frozenset("(:[")  # [link](url), [Label]: field, [a][b]
# a cheap first test: does the text hold anything shaped like a candidate at all
# CJK fill-in blanks: 【您的位置】, （您的姓名）, and XXX glued to a CJK word (XXX公司, 毕业于XXX大学)
_CJK = CJK_CHARS
_CJK_BRACKET_RE = re.compile(r"[【（](?P<inner>[^【】（）\n]{1,24})[】）]")
_XXX_RE = re.compile(r"(?<![A-Za-z])X{3,}(?=[" + _CJK + r"])|(?<=[" + _CJK + r"])X{3,}(?![A-Za-z])")
_CJK_CHAR_RE = re.compile(r"[" + _CJK + r"]")
_TRIGGERS = (
    ("{", re.compile(r"\{\{?\s*[#/^&>]?\s*[A-Za-z_][\w.]*(?:\s*\|\s*\w+)*\s*\}")),
    ("[", _SQUARE_RE),
    ("<", _ANGLE_RE),
    ("【", _CJK_BRACKET_RE),
    ("（", _CJK_BRACKET_RE),
    ("XXX", _XXX_RE),
)
_CJK_BLANK_PREFIXES = ("您的", "你的", "贵公司", "插入", "输入", "填写", "请填写", "请输入", "在此")
_CJK_BLANK_NOUNS = ("姓名", "名字", "名称", "日期", "地址", "电话", "电话号码", "电子邮件", "邮箱", "公司", "职位",
                    "城市", "网址", "网站", "金额", "签名", "位置", "学校", "部门", "收件人")
# a blank addressed to the model, not a person: "[please suggest a list here]", "[list three ideas]"
_ASK_MODEL_RE = re.compile(r"^(?:please|pls|suggest|list|write|generate|describe|give|provide|explain|add\s+(?:a|an|"
                           r"some|more|the)\b|fill\s+(?:it|this)\s+in\s+for\s+me)\b", re.I)
# a prompt that asks the model to fill the blanks in is not a text with unfilled blanks
_ASKS_TO_FILL_RE = re.compile(r"\bfill\s+(?:in|out)\b|\bcomplete\s+(?:the|this)\s+(?:following|sentence|form|"
                              r"blanks?|text)|\breplace\s+(?:the|each|all)\b|填空|补全|填写以下|填入", re.I)
# a YAML document (Helm, Ansible, GitHub Actions): {{ ... }} there is its template syntax
_YAML_LINE_RE = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w.-]*:(?:\s|$)", re.M)

# what a fill-in blank is about: "[Your Name]", "[Company Name]", "<recipient email>"
_BLANK_NOUNS = frozenset(
    "name names date address email e-mail phone title company organization organisation city state "
    "country location position website url link amount signature recipient product brand".split()
)
_BLANK_PREFIX_RE = re.compile(r"^(?:your|insert|enter|add\s+your|fill\s+in|type\s+your|put\s+your)\b", re.I)
_SNAKE_CAPS_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_TEXT_ABOUT_TEMPLATES_RE = re.compile(
    r"placeholder|template|curly\s+brace|braces|f-string|format\s+string|string\s+format|\.format\b|"
    r"interpolat|jinja|mustache|handlebars|django|angular|vue\b|liquid|helm\b",
    re.I,
)

# regions that are code or math, where braces and brackets are syntax
_FENCE_RE = re.compile(r"(?:`{3,}|~{3,}).*?(?:`{3,}|~{3,}|\Z)", re.S)
_INLINE_CODE_RE = re.compile(r"``.+?``|`[^`]{1,400}`", re.S)
_MATH_RE = re.compile(
    r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\$(?!\{" + _IDENT + r"\}(?!\$))[^$\n]+?\$", re.S
)
_CODE_LINE_RE = re.compile(
    r"""[=!<>]=|:=|=>|->|&&|\|\||\+=
    |\bf["']|\.format\(|%[sd]\b|\bprint\(|console\.\w+\(|\bdocument\.|\bself\.|\bthis\.
    |\w\.\w+\(|\w\([^()\n]*[,'"=][^()\n]*\)|\w\(\)
    |^\s*(?:def|class|import|from|return|const|let|var|function|elif|except|catch|public|private|static|void|
        int|echo|export|package|func|fn|SELECT|INSERT|UPDATE)\b
    |^\s*(?:\$\s|>>>\s|//|\#include|else:|try:)
    |^\s*(?:if|for|while)\b.*[:{(]\s*$
    |[;{(\[]\s*$|^\s*[})\]]
    |\b[A-Za-z_]\w*\s*=\s*\S
    |</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>
    """,
    re.X | re.M,
)
_INDENTED_RE = re.compile(r"^(?: {4}|\t)(?!\s*(?:[-*+]|\d+[.)])\s)", re.M)


@dataclass(frozen=True)
class Placeholder:
    text: str
    kind: str  # template (machine syntax: {{x}}, {x}, ${X}, [SNAKE_CAPS], PLACEHOLDER) | blank ([Your Name])
    start: int


def _cjk_blank(c: str) -> bool:
    """Whether a bracketed CJK text is a fill-in blank: 您的姓名, 公司名称, 插入位置."""
    if not _CJK_CHAR_RE.search(c) or len(c) > 12 or any(p in c for p in "，。！？：；,.!?:;"):
        return False
    return c.startswith(_CJK_BLANK_PREFIXES) or c.endswith(_CJK_BLANK_NOUNS)


def _blank_kind(content: str) -> str | None:
    """``template``, ``blank`` or None for the inside of ``[...]`` / ``<...>``."""
    c = content.strip()
    if not c or c != content:
        return None
    if _CJK_CHAR_RE.search(c):
        return "blank" if _cjk_blank(c) else None
    if _ASK_MODEL_RE.match(c):
        return None
    low = c.lower()
    if "placeholder" in low:
        return "template"
    if _SNAKE_CAPS_RE.match(c):
        return "blank" if c.split("_", 1)[0] in ("YOUR", "INSERT", "ENTER") else "template"
    if _BLANK_PREFIX_RE.match(c) or low.endswith(" here"):
        return "blank"
    if any(p in c for p in ".!?,;:|*#`\"()[]{}+=") or any(ch.isdigit() for ch in c):
        return None
    words = low.replace("\u2019", "'").split()
    if not 1 <= len(words) <= 4:
        return None
    last = words[-1]
    if last.endswith("'s"):
        return None
    if last in _BLANK_NOUNS:
        return "blank"
    return None


def _masked(text: str) -> str:
    """``text`` with code blocks, inline code and math replaced by spaces (offsets kept)."""
    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    if "```" in text or "~~~" in text:
        text = _FENCE_RE.sub(blank, text)
    if "`" in text:
        text = _INLINE_CODE_RE.sub(blank, text)
    if "$" in text or "\\" in text:
        text = _MATH_RE.sub(blank, text)
    return text


def _line_at(text: str, pos: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return a, (len(text) if b < 0 else b)


def _looks_like_json(text: str) -> bool:
    s = text.strip()
    if not s or s[0] not in "{[" or s[-1] not in "}]":
        return False
    import orjson

    try:
        orjson.loads(s)
    except orjson.JSONDecodeError:
        return False
    return True


def _touches(c: str, bad: frozenset[str]) -> bool:
    """Whether the neighbour ``c`` of a candidate glues it to something else (a word, code)."""
    return bool(c) and (c.isalnum() or c == "_" or c in bad)


def _candidates(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, kind, form)`` of every placeholder-looking span of ``text``, by its own
    shape and the characters right around it; kind is ``template`` or ``blank``."""
    out: list[tuple[int, int, str, str]] = []
    n = len(text)
    if "{" in text:
        for m in _BRACE_RE.finditer(text):
            a, b = m.span()
            before = text[a - 1] if a else ""
            after = text[b] if b < n else ""
            if m.group("field") is None:
                if before == "$":
                    continue  # ${{ github.repository }}: a GitHub Actions expression
                out.append((a, b, "template", "mustache"))
                continue
            if before == "$":
                if after != "$":
                    out.append((a - 1, b, "template", "dollar"))
                continue
            if _touches(before, _BRACE_BEFORE) or _touches(after, _BRACE_AFTER):
                continue
            if len(m.group("field")) < 2 or (re.fullmatch(r"[A-Za-z]_?[A-Za-z0-9]{0,2}", m.group("field"))
                                            and "_" in m.group("field")):
                continue  # {x}, {n}, {x_n}, {a_1}: a set, a sequence or a variable in math
            out.append((a, b, "template", "brace"))
    for c, rx, bad_before, bad_after in (("[", _SQUARE_RE, _SQUARE_BEFORE, _SQUARE_AFTER),
                                         ("<", _ANGLE_RE, frozenset("<"), frozenset(">"))):
        if c not in text:
            continue
        for m in rx.finditer(text):
            a, b = m.span()
            before = text[a - 1] if a else ""
            after = text[b] if b < n else ""
            inner = m.group("inner")
            cjk_glued = c == "[" and _CJK_CHAR_RE.match(before or " ") and _CJK_CHAR_RE.search(inner)
            if (_touches(before, bad_before) or _touches(after, bad_after)) and not cjk_glued:
                continue  # (Chinese has no spaces: 我的名字是[您的姓名] is glued to its word)
            kind = _blank_kind(inner)
            if kind is None:
                continue
            if c == "<" and kind == "blank" and " " not in inner and not inner.isupper():
                continue  # <name>, <address>: an XML/HTML tag, not a blank
            out.append((a, b, kind, "square" if c == "[" else "angle"))
    if "【" in text or "（" in text:
        for m in _CJK_BRACKET_RE.finditer(text):
            if _cjk_blank(m.group("inner")):
                out.append((m.start(), m.end(), "blank", "cjk"))
    if "XXX" in text:
        for m in _XXX_RE.finditer(text):
            out.append((m.start(), m.end(), "blank", "xxx"))
    out.sort()
    return out


def find_placeholders(text: str, blanks: bool = True, limit: int = 5) -> list[Placeholder]:
    """Unfilled template placeholders in the prose of ``text`` (at most ``limit``).

    ``template`` placeholders are template-engine syntax left unrendered: ``{{ name }}``,
    ``{author}``, ``${VAR}``, ``[SNAKE_CAPS]`` and anything spelled PLACEHOLDER. ``blank``
    placeholders are fill-in blanks written for a person (``[Your Name]``, ``[insert date]``,
    ``<your name here>``); they are only returned with ``blanks`` (or when they are the whole text).
    Code (fenced, indented, inline, or a line that reads as code), math, JSON documents and texts
    that talk about templates or placeholders are skipped.
    """
    if not any(c in text and trigger.search(text) for c, trigger in _TRIGGERS):
        return []
    whole = text.strip()
    cands = [x for x in _candidates(text) if blanks or x[2] == "template" or text[x[0]:x[1]] == whole]
    if not cands:
        return []
    rest, pos = [], 0
    for a, b, _, _ in cands:
        rest.append(text[pos:a])
        rest.append(" " * (max(b, pos) - max(a, pos)))
        pos = max(pos, b)
    rest.append(text[pos:])
    blanked = "".join(rest)  # the text without its candidates (same offsets)
    if _TEXT_ABOUT_TEMPLATES_RE.search(blanked) or _looks_like_json(text):
        return []
    if any(x[2] == "blank" for x in cands) and _ASKS_TO_FILL_RE.search(blanked):
        cands = [x for x in cands if x[2] != "blank"]  # the text asks for the blanks to be filled in
    if any(x[3] == "mustache" for x in cands) and len(_YAML_LINE_RE.findall(text)) >= 3:
        cands = [x for x in cands if x[3] != "mustache"]  # Helm/Ansible/Actions YAML templating
    if not cands:
        return []
    prose = _masked(text)
    out: list[Placeholder] = []
    for a, b, kind, _ in cands:
        s = text[a:b]
        if prose[a:b] != s:
            continue  # inside code or math
        la, lb = _line_at(text, a)
        if _INDENTED_RE.match(text, la):
            continue
        # the line as written (inline code included) without the candidates: does it read as code?
        if _CODE_LINE_RE.search(blanked[la:lb]):
            continue
        out.append(Placeholder(s, kind, a))
        if len(out) >= limit:
            break
    return out


# -- degenerate text (FT008) --------------------------------------------------------------------------

def compression_ratio(text: str) -> float:
    """zlib-compressed size over UTF-8 size: about 0.3-0.6 for prose, near 0 for repetition."""
    raw = text.encode("utf-8", "surrogatepass")
    if not raw:
        return 1.0
    return len(zlib.compress(raw, 6)) / len(raw)


def duplicate_ngram_fraction(text: str, n: int = 10) -> tuple[float, str]:
    """Share of the characters of ``text`` inside word ``n``-grams that already occurred earlier
    (Gopher's duplicate n-gram character fraction), and the most repeated n-gram."""
    words = text.split()
    if len(words) < 2 * n:
        return 0.0, ""
    first: dict[tuple[str, ...], int] = {}
    repeats: list[int] = []
    for i, g in enumerate(zip(*[words[k:] for k in range(n)])):
        if first.setdefault(g, i) != i:
            repeats.append(i)
    if not repeats:
        return 0.0, ""
    covered = bytearray(len(words))
    for i in repeats:
        covered[i:i + n] = b"\x01" * n
    total = sum(map(len, words))
    dup = sum(len(w) for w, c in zip(words, covered) if c)
    top = Counter(tuple(words[i:i + n]) for i in repeats[:2000]).most_common(1)[0][0]
    return dup / total if total else 0.0, " ".join(top)


def may_repeat(text: str, samples: int = 8, width: int = 24) -> bool:
    """A quick test that lets through every text with much repetition: whether a window of
    ``width`` characters at one of ``samples`` evenly spread positions already occurred earlier
    (``str.find`` runs at C speed). A text with half its characters in repeated n-grams passes
    unless every sampled window misses the repeats, which gets unlikely fast as they grow."""
    n = len(text)
    if n < 2 * width:
        return False
    for k in range(1, samples + 1):
        i = (n - width) * k // (samples + 1)
        if text.find(text[i:i + width], 0, i + width - 1) >= 0:
            return True
    return False


_RUN_RE = re.compile(r"(.{1,40}?)\1{9,}", re.S)


def repeated_run(text: str) -> str:
    """The unit of the first long run of a repeated substring (``"0"``, ``"ha"``), or ``""``."""
    m = _RUN_RE.search(text[:20000])
    return m.group(1) if m else ""
