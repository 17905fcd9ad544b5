"""Features of what a model is trained to say (FT009-FT011): replies cut off at either end,
refusal and AI-disclaimer boilerplate, and the prose of a reply without its code.

Pure functions over one string each. They are tuned for precision on real data (the
LLaMA-Factory, Alpaca, DPO and tool-calling files of the corpus beside the repository): each
signal is one that a reader would call a defect on sight, and anything that may legitimately end
or start that way (a list item, a table row, code, a URL, a number, a label, a signature, a
quotation's attribution) is left alone.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.features.text import CJK_CHARS

# -- shared helpers ---------------------------------------------------------------------------------------

#: characters that end a sentence (Latin, CJK full-width, Arabic, Devanagari, ellipses)
TERMINAL = frozenset(".!?;。！？；…‥｡؟।۔‼⁉")
#: characters that close something: a quotation, a bracket, inline code, emphasis, a tag, a table row
CLOSERS = frozenset("\"'”’»)]}」』》〉）】〕`*_>|~")
_OPENERS = "([{（【《「『〔"

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CJK_RE = re.compile(f"[{CJK_CHARS}]")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.I)


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def _is_symbol(ch: str) -> bool:
    """An emoji, a pictograph or another symbol (So/Sk), or a variation selector."""
    cat = unicodedata.category(ch)
    return cat in ("So", "Sk", "Mn", "Cf") or 0x1F000 <= ord(ch) <= 0x1FAFF


_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


@functools.cache
def _non_letters_re() -> re.Pattern[str]:
    """Runs of characters that are not letters by ``str.isalpha``: the class is built from
    ``str.isalpha`` itself over every code point (once per process, about 0.05 s)."""
    ranges: list[str] = []
    start = prev = -2
    for cp in range(sys.maxunicode + 2):
        if cp <= sys.maxunicode and chr(cp).isalpha():
            if cp != prev + 1:
                start = cp
            prev = cp
        elif prev == cp - 1 and start >= 0:
            ranges.append(f"\\U{start:08x}-\\U{prev:08x}")
            start = -2
    return re.compile(f"[^{''.join(ranges)}]+")


def alpha_count(text: str) -> int:
    """``sum(map(str.isalpha, text))``, without a Python step per character."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))
    return len(_non_letters_re().sub("", text))


def letters(text: str) -> int:
    """Letters in ``text``, a CJK character counting as two (it carries about a word's worth)."""
    if text.isascii():
        return alpha_count(text)
    return alpha_count(text) + len(_CJK_RE.findall(text))


def fence_open_at_end(text: str) -> int | None:
    """The line number where a fenced code block opens that is never closed, else None
    (CommonMark: a fence closes with the same character, at least as long, alone on its line)."""
    open_char, open_len, open_line = "", 0, -1
    for k, line in enumerate(text.split("\n")):
        m = _FENCE_RE.match(line)
        if not m:
            continue
        run = m.group(1)
        if not open_char:
            open_char, open_len, open_line = run[0], len(run), k
        elif run[0] == open_char and len(run) >= open_len and not line[m.end():].strip():
            open_char, open_len = "", 0
    return open_line if open_char else None


def _strip_fenced(text: str) -> str:
    """``text`` without its fenced code blocks (an unclosed one runs to the end)."""
    out: list[str] = []
    open_char, open_len = "", 0
    for line in text.split("\n"):
        m = _FENCE_RE.match(line)
        if m:
            run = m.group(1)
            if not open_char:
                open_char, open_len = run[0], len(run)
                continue
            if run[0] == open_char and len(run) >= open_len and not line[m.end():].strip():
                open_char, open_len = "", 0
                continue
        if not open_char:
            out.append(line)
    return "\n".join(out)


_CODE_LINE_RE = re.compile(
    r"""^\s{4,}\S|^\t|
    ^\s*(?:def|class|import|from\s+\S+\s+import|\#include|return|public|private|protected|static|using|
          namespace|function|var|let|const|package|func|fn|SELECT|INSERT|UPDATE|DELETE|CREATE|print|printf|
          console\.\w+|System\.\w+|elif|else|for|while|if|try|except|catch|switch|case)\b[^\u4e00-\u9fff]*$|
    [;{}]\s*$|^\s*[}\])]|^\s*[\w.\[\]"']+\s*(?:[-+*/]?=|:=|=>)\s*\S|^\s*<[/!]?[a-zA-Z][^>]*>|^\s*//|^\s*/\*|^\s*\#\s*\w+\s*[(=]""",
    re.X,
)


# the same test in two parts, for speed: every alternative but one is anchored at the start (a
# match, not a search at every position), and that one, ``[;{}]\s*$``, is the last non-space
# character (``\s`` is ``str.isspace``)
_CODE_LINE_START_RE = re.compile(_CODE_LINE_RE.pattern.replace(r"[;{}]\s*$|", ""), re.X)
assert _CODE_LINE_START_RE.pattern != _CODE_LINE_RE.pattern


def looks_like_code(line: str) -> bool:
    if "\n" in line:  # not one line: ``$`` may match before a final newline
        return bool(_CODE_LINE_RE.search(line))
    end = line.rstrip()
    return (bool(end) and end[-1] in ";{}") or bool(_CODE_LINE_START_RE.match(line))


_INLINE_CODE_RE = re.compile(r"`[^`\n]*`")


def prose(text: str) -> str:
    """The prose of ``text``: without fenced code, inline code, URLs and lines that read as code
    (what language identification should look at)."""
    if "```" in text or "~~~" in text:  # else no line opens a fence
        text = _strip_fenced(text)
    if "`" in text:
        text = _INLINE_CODE_RE.sub(" ", text)
    if "://" in text or "www." in text.lower():  # else no URL (only ASCII letters fold to w)
        text = _URL_RE.sub(" ", text)
    return "\n".join(line for line in text.split("\n") if not looks_like_code(line))


#: a sentence: up to terminal punctuation followed by a space (not the point of 3.5 or e.g.), or a line
_SENTENCE_RE = re.compile(r"(?:[^\n.!?。！？]+|[.!?](?![.!?]*(?:\s|$)))*(?:[.!?]+(?=\s|$)|[。！？]+|\n|$)")


def sentences(text: str, limit: int = 0) -> list[str]:
    """``text`` split into sentences (and lines), at most ``limit`` of them (0: all)."""
    out: list[str] = []
    for m in _SENTENCE_RE.finditer(text):
        s = m.group().strip()
        if s:
            out.append(s)
            if limit and len(out) >= limit:
                break
    return out


# -- truncated replies (FT009) -------------------------------------------------------------------------------

#: words that cannot end an English sentence: a reply that stops on one was cut off
_DANGLING_WORDS = frozenset(
    "a an the of and or but nor because although whereas than my your our their its very into onto whether "
    "whose".split()
)
#: words that cannot make a sentence on their own (“…dimensionality reduction. For”)
_DANGLING_ALONE = _DANGLING_WORDS | frozenset("for with from while if when as to in on at by".split())
#: lowercase words of one or two letters (a last token of two letters outside this list is a cut word)
_SHORT_WORDS = frozenset(
    "a i an as at be by do go he if in is it me my no of oh ok on or so to up us we am hi ah ha ya yo "
    "ex vs id tv pm ai ml uk eu un ie eg de la le el en et al du da di il lo ma pa mr ms dr st nd rd th km kg cm mm mg "
    "ft lb oz yd mi hr hz db gb mb kb tb hp px pt em ns ad bc uh eh hm ox ax".split()
)
_LIST_ITEM_RE = re.compile(
    r"^\s*(?:[-*+•·▪●○◦–—]\s|\d+[.)、:：]|\(?\d+\)|[a-zA-Z][.)]\s|\(?[ivxIVX]+[.)]\s|[一二三四五六七八九十]+[、.．]|"
    r"[①-⑳]|>\s)"
)
#: a "label: value" line (Answer: Paris, 输出：正面, Confidence: 90%)
_LABEL_LINE_RE = re.compile(r"^[^\s:：][^:：]{0,40}[:：]\s*\S[^.!?。！？]{0,40}$")
_ATTRIBUTION_RE = re.compile(r"[\"”'’»」]\s*[-–—~]+\s*\w|^\s*[-–—]+\s*\w")
_VALEDICTION_RE = re.compile(
    r"^(?:best(?:\s+\w+)?|regards|kind regards|warm regards|sincerely(?:\s+yours)?|yours(?:\s+\w+)?|cheers|thanks|"
    r"thank you|many thanks|respectfully|cordially|love|with love|best wishes|all the best|dear\s.{0,40}|hi\s.{0,40}|"
    r"hello\s.{0,40}|good luck.{0,40}|happy \w+(?:ing)?.{0,20}|enjoy(?: \w+){0,3}|"
    r"have (?:fun|a (?:nice|great|good) \w+)|"
    r"take care|stay safe|bon app[ée]tit|(?:i )?hope (?:this|that|it) helps.{0,30}|"
    r"此致|敬礼|祝好|谨上|顺祝商祺|您好|亲爱的.{0,20}|尊敬的.{0,20}|祝.{0,15}|(?:希望|但愿).{0,20}(?:帮助|有用|喜欢))\s*[,，:：]?$",
    re.I,
)
_SENTENCE_END_RE = re.compile(r"(?:[.!?][\"”’')\]]*\s+(?=\S))|[。！？]")


@dataclass(frozen=True)
class Cut:
    """Why a reply looks cut off, and where."""

    #: unclosed-code-fence | unclosed-bracket | unclosed-quote | dangling-punctuation | mid-sentence |
    #: starts-mid-sentence
    kind: str
    detail: str
    shown: str  # the end (or the start) of the reply, visible
    strong: bool = True  # False: only a sign when the reply is also among the split's longest


def _tail(text: str, n: int = 60) -> str:
    t = text.rstrip()
    s = t[-n:].replace("\n", "⏎")
    return ("…" if len(t) > n else "") + s


def _head(text: str, n: int = 60) -> str:
    t = text.lstrip()
    s = t[:n].replace("\n", "⏎")
    return s + ("…" if len(t) > n else "")


# ASCII text: letters to "a", apostrophes kept, anything else to a space
_ASCII_WORD_MAP = bytes(
    ord("a") if chr(b).isalpha() else b if chr(b) == "'" else ord(" ") for b in range(256))


def word_count(text: str) -> int:
    """Words, a CJK character counting as half a word."""
    if text.isascii():  # _WORD_RE's words are runs of letters joined by single apostrophes
        t = text.encode("ascii").translate(_ASCII_WORD_MAP)
        t = t.replace(b"a'a", b"aaa").replace(b"a'a", b"aaa")  # two passes: "a'a'a" overlaps once
        t = t.replace(b"'", b" ")
        return t.count(b" a") + t.startswith(b"a")
    return len(_WORD_RE.findall(_CJK_RE.sub(" ", text))) + len(_CJK_RE.findall(text)) // 2


def ends_cleanly(text: str) -> bool:
    """The reply ends the way a finished one does: terminal punctuation, a closing quote,
    bracket, code fence or emphasis, or a symbol such as an emoji."""
    t = text.rstrip()
    if not t:
        return False
    ch = t[-1]
    return ch in TERMINAL or ch in CLOSERS or _is_symbol(ch)


def starts_cleanly(text: str) -> bool:
    t = text.lstrip()
    return bool(t) and not t[0].islower()


def _unclosed_bracket(line: str) -> str | None:
    """The bracket opened in ``line`` and never closed, when text follows it (not an emoticon)."""
    line = re.sub(r"`[^`]*`", "", line)
    depth: list[tuple[str, int]] = []
    for k, ch in enumerate(line):
        if ch in _OPENERS:
            if ch == "(" and k and line[k - 1] in ":;=8":  # :( ;( =(
                continue
            depth.append((ch, k))
        elif ch in ")]}）】》」』〕" and depth:
            depth.pop()
    if not depth:
        return None
    ch, k = depth[-1]
    rest = line[k + 1:].strip()
    return ch if rest and any(c.isalnum() for c in rest) else None


def _unclosed_quote(line: str) -> bool:
    """A quotation opened in ``line`` and never closed, with at least two words after it."""
    if line.count("“") > line.count("”"):
        k = line.rfind("“")
        return "”" not in line[k:] and word_count(line[k + 1:]) >= 2
    quotes = [m.start() for m in re.finditer(r'"', line)]
    if len(quotes) % 2 == 1:
        k = quotes[-1]
        opening = (k == 0 or not line[k - 1].isalnum()) and k + 1 < len(line) and not line[k + 1].isspace()
        return opening and word_count(line[k + 1:]) >= 2
    return False


def _prose_line(line: str) -> bool:
    """A line of running text: not a heading, a table row, code, a label, a URL or a short list
    item (a list item that holds whole sentences is text)."""
    s = re.sub(r"^(?:<[^>]+>\s*)+", "", line.strip())  # <p>Text... reads as text
    if not s or s.startswith(("#", "|")) or s.count("|") >= 2:
        return False
    m = _LIST_ITEM_RE.match(s)
    if m:
        s = s[m.end():].strip()
        if not _SENTENCE_END_RE.search(s):
            return False
    if not s or looks_like_code(s) or _LABEL_LINE_RE.match(s) or _ATTRIBUTION_RE.search(s):
        return False
    tokens = s.split()
    wordy = sum(1 for t in tokens if _WORD_RE.search(t) and not any(c.isdigit() for c in t))
    return wordy >= 0.6 * len(tokens)


def truncation(text: str) -> Cut | None:
    """Why ``text`` looks cut off at its end, or None. A ``strong=False`` cut (a prose sentence
    that simply stops) is only a sign of truncation for a reply that is also among the longest
    of its split (the generator's token limit)."""
    t = text.rstrip()
    if not t:
        return None
    opened = fence_open_at_end(t)
    if opened is not None:
        lang = t.split("\n")[opened].strip().lstrip("`~").strip()
        return Cut("unclosed-code-fence", f"a code block{f' ({lang})' if lang else ''} is opened on line "
                   f"{opened + 1} and never closed", _tail(t))
    last = t.split("\n")[-1].strip()
    ch = t[-1]
    if ch in TERMINAL or ch in CLOSERS or _is_symbol(ch) or ch.isdigit():
        return None
    if _URL_RE.search(last.split()[-1]) or re.search(r"(?:^|\s)[#@][^\s#@]+$", last) or "@" in last.split()[-1]:
        return None  # a URL, an e-mail address, a hashtag or a mention
    if last.startswith("|") or last.count("|") >= 2:
        return None  # a table row
    if ch in ",，、:：":
        if _VALEDICTION_RE.match(last) or (ch in ",，" and "\n" in t and len(last.split()) <= 3 and len(last) <= 24):
            return None  # "Best regards," / "此致，" / "Talk soon," alone on the letter's last line
        what = {",": "a comma", "，": "a comma", "、": "an enumeration comma", ":": "a colon", "：": "a colon"}[ch]
        return Cut("dangling-punctuation", f"the reply ends on {what}, in the middle of a sentence or list",
                   _tail(t))
    if ch == "=" and re.search(r"[\w\])]\s*=$", last) and not last.endswith("=="):
        return Cut("dangling-punctuation", "the reply ends on an assignment with no value", _tail(t))
    if ch in _OPENERS and not re.search(r"[:;=8]\($", last):
        return Cut("unclosed-bracket", f"the reply ends on an opening '{ch}'", _tail(t))
    if not ch.isalpha():
        return None
    opener = _unclosed_bracket(last)
    if opener:
        return Cut("unclosed-bracket", f"a '{opener}' opened in the last line is never closed", _tail(t))
    if _unclosed_quote(last):
        return Cut("unclosed-quote", "a quotation opened in the last line is never closed", _tail(t))
    if not _prose_line(last):
        return None
    # the reply must be written in sentences: one ends somewhere before its last line's end
    body = t[: len(t) - len(last)]
    ends = list(_SENTENCE_END_RE.finditer(last))
    fragment = last[ends[-1].end():] if ends else last
    if not ends and not _SENTENCE_END_RE.search(body + " "):
        return None
    if _VALEDICTION_RE.match(fragment.strip()):
        return None  # "Happy coding", "祝您生活愉快"
    if is_cjk(ch):
        n = len(_CJK_RE.findall(fragment))
        if (ends and n >= 4) or (not ends and n >= 25):
            return Cut("mid-sentence", "the last sentence stops without its end", _tail(t), strong=False)
        return None
    words = _WORD_RE.findall(fragment)
    if not words:
        return None
    last_word = words[-1]
    lw = last_word.lower()
    english = fragment.isascii()  # the word lists are English; other languages have other short words
    unit = bool(re.search(r"\d\s*" + re.escape(last_word) + r"$", fragment))  # 500 mg, 3 ft
    if english and last_word == lw and not unit and (
            lw in _DANGLING_WORDS or (len(lw) <= 2 and lw not in _SHORT_WORDS)):
        what = f"on “{last_word}”" + (", in the middle of a word" if lw not in _DANGLING_WORDS else "")
        return Cut("mid-sentence", f"the last sentence stops {what}", _tail(t))
    if english and len(words) == 1 and lw in _DANGLING_ALONE:
        return Cut("mid-sentence", f"the last sentence stops on “{last_word}”", _tail(t))
    if (ends and len(words) >= 2) or (not ends and len(words) >= 12):
        return Cut("mid-sentence", "the last sentence stops without its end", _tail(t), strong=False)
    return None


#: lowercase words a reply may start with (casual or label-style replies), never a cut
_START_OK = frozenset(
    "yes no ok okay sure well oh hi hey hello so and but also however note first then now thanks true false "
    "correct incorrect right wrong great alright certainly absolutely why what here wow ah um hmm please sorry "
    "indeed anyway actually finally next answer output input solution explanation step question option".split()
)


def starts_mid_sentence(text: str) -> Cut | None:
    """Why ``text`` looks cut off at its start (a lowercase fragment such as “e! Here is…”), or None."""
    t = text.lstrip()
    m = re.match(r"([a-z]{1,15})([!?,;:.]?)(''|[’'”\"]|)\s+(\S+)", t)
    if not m:
        return None
    token, punct, quote, nxt = m.groups()
    if not (punct or quote) or token in _START_OK or word_count(t) < 5:
        return None
    if quote:  # the end of a quotation: canvas,'' Soren replied
        cut = bool(punct) and (nxt[0].isupper() or nxt[0] in "\"“'")
    else:  # the end of a word: e! Here is… / e, here's… (from “Sure!”), not “b, c and d”
        cut = (len(token) <= 2 and token not in _SHORT_WORDS and punct in "!,"
               and (word := _WORD_RE.match(nxt)) is not None and len(word.group()) >= 3)
    if not cut:
        return None
    return Cut("starts-mid-sentence", f"the reply starts with the fragment “{token}{punct}{quote}”", _head(t))


# -- refusals and AI disclaimers (FT010) -----------------------------------------------------------------

_AI_NOUN = (
    r"(?:AI|A\.I\.|artificial[- ]intelligence|language[- ]model|LLM|chat\s?bot|virtual assistant|digital assistant|"
    r"computer program|machine learning model|machine)"
    r"(?:\s+(?:language\s+model|model|assistant|chatbot|system|program|bot))*"
    # what follows the noun: a pause or a clause, not another noun ("an AI researcher")
    r"(?=\s*(?:[,.;:!?)\u2014\u2013-]|$)|\s+(?:and|so|but|that|which|who|developed|trained|created|built|designed|"
    r"made|programmed|like|with|without|I|here|by|from|in)\b)"
)
_EN_AI = (
    r"(?:\b(?:as|being)\s+(?:an?\s+)?(?:(?:text[- ]based|large|helpful|virtual|digital|responsible|friendly)\s+)*"
    + _AI_NOUN +
    r"|\bI(?:'m|’m| am)\s+(?:just\s+|only\s+|merely\s+|simply\s+|not\s+a\s+human\W+(?:but\s+)?|a\s+)?(?:an?\s+)?"
    r"(?:(?:text[- ]based|large|virtual|digital)\s+)*" + _AI_NOUN + ")"
)
_EN_NEG = (
    r"\b(?:can(?:no|'|’)t|can not|cannot|unable|not able|not capable|incapable|(?:do|does)(?: not|n't|n’t)|"
    r"am not|(?:'|’)m not|is not|isn't|isn’t|lack|won't|won’t|will not|without (?:access|the ability)|"
    r"no (?:personal|physical|access|ability|capability|way|real|emotions|feelings|opinions))\b"
)
_EN_AI_RE = re.compile(_EN_AI, re.I)
_EN_NEG_RE = re.compile(_EN_NEG, re.I)
_EN_APOLOGY_RE = re.compile(
    r"^\W*(?:(?:I(?:'m|’m| am)\s+(?:so\s+|very\s+|truly\s+|really\s+|terribly\s+)?sorry)|I\s+apologi[sz]e|"
    r"(?:my\s+)?apologies|sorry)\b", re.I)
#: what a refusal declines to do (“I'm sorry, I can't come tonight” in a persona chat declines nothing asked)
_EN_TASK_VERB = (
    r"(?:help|assist|provide|answer|respond|fulfil+|comply|complete|generate|create|write|draw|design|make|produce|"
    r"display|show|view|see|perceive|access|browse|search|retrieve|find|look up|read|process|perform|"
    r"do (?:that|this|so)|"
    r"give|share|offer|discuss|engage|participate|support|continue|predict|estimate|determine|evaluate|assess|rate|"
    r"judge|summari[sz]e|translate|book|order|place|send|schedule|play|record|sing|physically|fetch|open|edit|"
    r"manipulate|modify|identify|locate|recommend|suggest|reveal|disclose|comment|express|experience|feel|have)\b"
)
_EN_REFUSE_RE = re.compile(
    r"\bI(?:(?:'|’)m| am)\s+(?:afraid\s+)?(?:unable|not able|not capable|not programmed|not in a position)\s+to\s+"
    r"(?:\w+\s+){0,2}?" + _EN_TASK_VERB + "|"
    r"\bI\s+(?:can(?:no|'|’)t|can not|cannot|won't|won’t|will not|must decline to|have to decline to)\s+"
    r"(?:\w+\s+){0,2}?" + _EN_TASK_VERB + "(?!\\s+(?:but|it)\\b)|"
    r"\bI\s+(?:do not|don't|don’t) have (?:the\s+)?"
    r"(?:ability|capability|capabilities|capacity|access|means|permission)\b",
    re.I)
_EN_BARE_REFUSAL_RE = re.compile(
    r"^\W*I\s+(?:can(?:no|'|’)t|can not|cannot|won't|won’t|will not|am unable to|(?:'|’)m unable to|must decline to)\s+"
    r"(?:help|assist|provide|fulfil+|comply|answer|complete|generate|create|write|perform|engage|support|"
    r"participate|give|share|offer|browse|access|draw|display|view|see|process|do that|do this)\b"
    r"(?!\s+(?:but|it)\b)", re.I)

_ZH_AI = (
    r"(?:作为|身为|由于我是|因为我是|我是|我只是|我仅仅是|我不过是)\s*(?:一个|一名|一款|一位|个)?\s*"
    r"(?:基于文本的|文本|文字型?|大型|虚拟|聊天)?\s*(?:AI|人工智能|语言|聊天|文本|虚拟)?\s*"
    r"(?:语言模型|模型|助手|助理|机器人|程序|系统|AI|人工智能)+"
    # what follows: a pause or what it cannot do, not another noun (我是一个人工智能研究员)
    r"(?=\s*(?:[，,。.、；;！!？?：:）)]|$|我|无法|不|没|并|所以|因此|只|而|也|就|，))"
)
_ZH_NEG = r"(?:无法|不能|没有|不具备|不会|不可以|不可能|做不到|没办法|不是|并非|并不)"
_ZH_AI_RE = re.compile(_ZH_AI, re.I)
_ZH_NEG_RE = re.compile(_ZH_NEG)
_ZH_APOLOGY_RE = re.compile(r"^\W*(?:我?(?:很|非常|十分|真的)?(?:抱歉|对不起|不好意思)|我(?:很|非常)?遗憾)")
_ZH_TASK_VERB = (
    r"(?:提供|回答|答复|完成|生成|创建|访问|执行|获取|查看|看到|浏览|绘制|制作|处理|帮助|帮|满足|确定|判断|建议|总结|"
    r"评价|评估|评论|给出|找到|查找|识别|理解|读取|阅读|拿|做|进行|分析|翻译|预测|计算|搜索|预订|订购|发送|播放|录制)"
)
_ZH_REFUSE_RE = re.compile(r"(?:无法|不能|没办法|没有办法|做不到)[^，。！？,.!?]{0,12}?" + _ZH_TASK_VERB + r"|不具备")
_ZH_BARE_REFUSAL_RE = re.compile(
    r"^\W*我(?:无法|不能|没有办法|没办法)(?:直接|实时|准确地?|为您|为你|帮您|帮你|在这里)*"
    r"(?:提供|回答|完成|生成|创建|访问|执行|获取|查看|看到|浏览|绘制|制作|处理|帮助|满足)")

#: a prompt that asks for a text written for someone (a letter, an excuse, a dialogue): an apology
#: in the reply is its content, not a refusal
_WRITE_FOR_RE = re.compile(
    r"\b(?:write|compose|draft|generate|create|craft|come up with|make up)\b.{0,60}\b(?:e-?mail|letter|note|"
    r"message|excuse|apolog\w*|reply|response|dialog(?:ue)?|conversation|script|story|speech|text|tweet|post|"
    r"statement|announcement|memo|scene|play|role-?play)\b|"
    r"(?:写|撰写|起草|生成|创作|编写|创建).{0,20}(?:邮件|信|便条|消息|借口|道歉|回复|对话|剧本|故事|短信|声明|通知|台词|脚本)",
    re.I | re.S)
_SPEAKER_LINE_RE = re.compile(r"^\s*\**[\w .]{1,30}\**\s*[:：]")


@dataclass(frozen=True)
class Refusal:
    kind: str  # "refusal" | "ai-disclaimer" | "disclaimer" (what it cannot do, then an answer)
    language: str  # "en" | "zh"
    phrase: str  # the sentence that says it


_EN_FIRST_PERSON_RE = re.compile(r"\b(?:I|I'm|I’m|me|my)\b")
_ZH_OTHER_BEFORE_RE = re.compile(r"(?:你|您|他|她|它|他们|她们|它们)\s*$")
_BUT_RE = re.compile(r"但|不过|然而|\bbut\b|\bhowever\b", re.I)


def _ai_mentions(sentence: str, zh: bool) -> list[re.Match[str]]:
    """The model calling itself an AI in ``sentence`` (not “you, as an AI…”)."""
    if zh:
        if "我" not in sentence:
            return []
        return [m for m in _ZH_AI_RE.finditer(sentence) if not _ZH_OTHER_BEFORE_RE.search(sentence[: m.start()])]
    if not _EN_FIRST_PERSON_RE.search(sentence):
        return []
    return list(_EN_AI_RE.finditer(sentence))


def _negated_near(sentence: str, m: re.Match[str], zh: bool) -> bool:
    neg = _ZH_NEG_RE if zh else _EN_NEG_RE
    window = 20 if zh else 70
    return bool(neg.search(sentence[m.end(): m.end() + window])
                or neg.search(sentence[max(0, m.start() - 12): m.start()]))


def refusal(text: str, prompt: str = "") -> Refusal | None:
    """Whether ``text`` opens (first two sentences) with a refusal or an AI disclaimer.

    A refusal is an apology with “I can't / I'm unable” (“I'm sorry, but I can't…”, “抱歉，我无法…”)
    or a reply that starts by declining (“I cannot help with…”, “我无法提供…”); an AI disclaimer is
    the model calling itself an AI and saying, in that sentence or the next, what it cannot do or
    does not have (“As an AI language model, I don't have…”, “作为一个AI语言模型，我无法…”). A
    self-introduction (“I am an AI assistant developed by …”) is neither; an apology in a letter,
    an excuse or a dialogue that the prompt asked for is content, not a refusal."""
    t = text.strip()
    if not t:
        return None
    opening = sentences(t, limit=3)
    for k, s in enumerate(opening[:2]):
        if k and _SPEAKER_LINE_RE.match(s):
            continue  # a line of a dialogue the reply writes
        zh = bool(_CJK_RE.search(s))
        lang = "zh" if zh else "en"
        for m in _ai_mentions(s, zh):
            if _negated_near(s, m, zh):
                return Refusal("ai-disclaimer", lang, s)
            nxt = opening[k + 1] if k + 1 < len(opening) else ""
            if nxt and (_ZH_REFUSE_RE if zh else _EN_REFUSE_RE).search(nxt) and (zh or _BUT_RE.match(nxt)):
                return Refusal("ai-disclaimer", lang, f"{s} {nxt}")
        if k:
            continue
        apology = _ZH_APOLOGY_RE.match(s) if zh else _EN_APOLOGY_RE.match(s)
        bare = (_ZH_BARE_REFUSAL_RE if zh else _EN_BARE_REFUSAL_RE).match(s)
        if not (apology or bare) or (prompt and _WRITE_FOR_RE.search(prompt)):
            continue  # nothing declined, or the prompt asked for a text written for someone
        if bare or (_ZH_REFUSE_RE if zh else _EN_REFUSE_RE).search(s):
            partial = not apology and _BUT_RE.search(s[bare.end():] if bare else s)
            rest = t[t.find(s) + len(s):].strip() if s in t else ""
            if (partial or zh) and len(rest) >= (ANSWER_AFTER_CHARS_ZH if zh else ANSWER_AFTER_CHARS):
                return None  # "I can't query that database, but from public sources: <the answer>": a caveat
            return Refusal("disclaimer" if partial else "refusal", lang, s)
    return None


#: characters of reply after a decline with a "but" ("I can't access X, but …") from which it answers after all
ANSWER_AFTER_CHARS = 200
ANSWER_AFTER_CHARS_ZH = 50


# -- languages (FT011) --------------------------------------------------------------------------------------

#: detector labels that are one language for this purpose (dialects, scripts, close variants)
LANGUAGE_GROUPS = {
    "wuu": "zh", "yue": "zh", "ary": "ar", "arz": "ar", "nn": "no", "da": "no", "bs": "sr", "hr": "sr",
    "uzs": "uz", "ms": "id", "hbo": "he", "grc": "el", "vec": "it", "lij": "it", "ext": "es", "an": "es",
    "gl": "pt", "oc": "fr", "wa": "fr", "pcm": "en", "gcf": "ht", "gcr": "ht", "gug": "gn", "sa": "hi",
    "mr": "hi", "ne": "hi", "gom": "hi", "bcl": "tl",
}

#: names of a language (English, Chinese, its own) as a prompt may spell them
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "英语", "英文"),
    "zh": ("chinese", "mandarin", "cantonese", "中文", "汉语", "漢語", "普通话", "粤语", "华语"),
    "es": ("spanish", "español", "castellano", "西班牙语", "西班牙文"),
    "fr": ("french", "français", "法语", "法文"),
    "de": ("german", "deutsch", "德语", "德文"),
    "it": ("italian", "italiano", "意大利语", "意大利文"),
    "pt": ("portuguese", "português", "葡萄牙语", "葡萄牙文"),
    "ru": ("russian", "русск", "俄语", "俄文"),
    "ja": ("japanese", "日本語", "日语", "日文"),
    "ko": ("korean", "한국어", "韩语", "韩文", "朝鲜语"),
    "ar": ("arabic", "العربية", "阿拉伯语", "阿拉伯文"),
    "hi": ("hindi", "marathi", "nepali", "sanskrit", "हिन्दी", "印地语"),
    "ro": ("romanian", "română", "罗马尼亚语"),
    "fi": ("finnish", "suomi", "芬兰语"),
    "id": ("indonesian", "bahasa", "malay", "印尼语", "印度尼西亚语", "马来语"),
    "nl": ("dutch", "nederlands", "flemish", "荷兰语"),
    "sv": ("swedish", "svenska", "瑞典语"),
    "no": ("norwegian", "danish", "norsk", "dansk", "挪威语", "丹麦语"),
    "pl": ("polish", "polski", "波兰语"),
    "tr": ("turkish", "türkçe", "土耳其语"),
    "vi": ("vietnamese", "tiếng việt", "越南语"),
    "th": ("thai", "ภาษาไทย", "泰语"),
    "uk": ("ukrainian", "українськ", "乌克兰语"),
    "cs": ("czech", "čeština", "捷克语"),
    "el": ("greek", "ελληνικά", "希腊语"),
    "he": ("hebrew", "עברית", "希伯来语"),
    "fa": ("persian", "farsi", "فارسی", "波斯语"),
    "hu": ("hungarian", "magyar", "匈牙利语"),
    "sr": ("serbian", "croatian", "bosnian", "塞尔维亚语", "克罗地亚语"),
    "bg": ("bulgarian", "保加利亚语"),
    "tl": ("tagalog", "filipino", "他加禄语", "菲律宾语"),
    "sw": ("swahili", "kiswahili", "斯瓦希里语"),
    "bn": ("bengali", "bangla", "孟加拉语"),
    "ta": ("tamil", "泰米尔语"), "te": ("telugu", "泰卢固语"), "gu": ("gujarati", "古吉拉特语"),
    "ur": ("urdu", "乌尔都语"), "pa": ("punjabi", "旁遮普语"), "ca": ("catalan", "català", "加泰罗尼亚语"),
    "eu": ("basque", "巴斯克语"), "et": ("estonian", "爱沙尼亚语"), "lv": ("latvian", "拉脱维亚语"),
    "lt": ("lithuanian", "立陶宛语"), "sk": ("slovak", "斯洛伐克语"), "sl": ("slovenian", "slovene", "斯洛文尼亚语"),
    "la": ("latin", "拉丁语"), "af": ("afrikaans", "南非荷兰语"), "so": ("somali", "索马里语"),
    "ha": ("hausa", "豪萨语"), "yo": ("yoruba", "约鲁巴语"), "zu": ("zulu", "祖鲁语"), "xh": ("xhosa",),
    "am": ("amharic", "阿姆哈拉语"), "my": ("burmese", "myanmar", "缅甸语"), "km": ("khmer", "高棉语"),
    "ka": ("georgian", "格鲁吉亚语"), "hy": ("armenian", "亚美尼亚语"), "az": ("azerbaijani", "阿塞拜疆语"),
    "kk": ("kazakh", "哈萨克语"), "uz": ("uzbek", "乌兹别克语"), "mn": ("mongolian", "蒙古语"),
    "ga": ("irish", "gaelic", "爱尔兰语"), "cy": ("welsh", "威尔士语"), "is": ("icelandic", "冰岛语"),
    "mk": ("macedonian", "马其顿语"), "sq": ("albanian", "阿尔巴尼亚语"), "be": ("belarusian", "白俄罗斯语"),
    "ml": ("malayalam", "马拉雅拉姆语"), "kn": ("kannada", "卡纳达语"), "si": ("sinhala", "僧伽罗语"),
    "eo": ("esperanto", "世界语"), "ht": ("haitian", "creole", "海地克里奥尔语"),
}

_TRANSLATE_RE = re.compile(
    r"translat|interpret|paraphrase in|翻译|译成|译为|翻成|翻訳|traduc|tradu[zi]|übersetz|перев[оеи]д|번역|"
    r"\b(?:in|into|to|using)\s+(?:the\s+)?[A-Z][a-z]+(?:\s+language)?\b|用\S{1,6}(?:语|文)|(?:语|文)(?:回答|回复|写|表达)",
    re.I)
#: a prompt about words or sentences (often quoted in another language): a language exercise
_LANGUAGE_TASK_RE = re.compile(
    r"词|句|短语|成语|习语|谚语|拼写|语法|\bwords?\b|\bphrases?\b|\bsentences?\b|\bidioms?\b|\bspell|\bgrammar|"
    r"\bsynonym|\bantonym|\bplural|\bverb|\bnoun|\badjective|\brhym", re.I)
_QUOTED_RE = re.compile(r"“([^”]{1,200})”|\"([^\"\n]{1,200})\"|「([^」]{1,200})」|‘([^’]{1,200})’")


def unquoted(text: str) -> str:
    """``text`` without its quotations (“…”, "…", 「…」, ‘…’)."""
    return _QUOTED_RE.sub(" ", text)


def group(code: str) -> str:
    return LANGUAGE_GROUPS.get(code, code)


def names_language(prompt: str, code: str) -> bool:
    """Whether ``prompt`` names the language ``code`` (English, Chinese or native spelling)."""
    low = prompt.lower()
    return any(n in low for n in LANGUAGE_NAMES.get(code, ()))


def asks_translation(prompt: str) -> bool:
    return bool(_TRANSLATE_RE.search(prompt))


_SCRIPT_RES = (
    ("cjk", _CJK_RE),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("devanagari", re.compile(r"[\u0900-\u097f]")),
)


def script_of(text: str) -> str:
    """The dominant script of ``text``'s letters: "cjk", "latin", "cyrillic", "greek", "arabic",
    "hebrew", "devanagari" or "other"."""
    text = text[:800]
    if text.isascii():  # letters are Latin or none: the general case below gives the same
        return "latin" if alpha_count(text) else "other"
    counts = {name: len(rx.findall(text)) for name, rx in _SCRIPT_RES}
    best = max(counts, key=lambda k: counts[k])
    if counts[best] == 0 or counts[best] * 2 < alpha_count(text) - sum(counts.values()):
        return "other"
    return best


def quotes_in_script(prompt: str, script: str) -> bool:
    """Whether ``prompt`` quotes text written in ``script`` (“opulent”, "do away with")."""
    for m in _QUOTED_RE.finditer(prompt):
        q = next(g for g in m.groups() if g is not None)
        if any(ch.isalpha() for ch in q) and script_of(q) == script:
            return True
    return False


def language_exercise(prompt: str, reply_script: str) -> bool:
    """A prompt about words or sentences that quotes them in the reply's script: “写一个包含
    “do away with”短语的句子” is answered in English on purpose."""
    return bool(_LANGUAGE_TASK_RE.search(prompt)) and quotes_in_script(prompt, reply_script)


def identify(text: str, detector: Any) -> tuple[str, float]:
    """The language of ``text`` (a :class:`~ftlint.features.language.LanguageDetector`), with the
    probabilities of one language's variants (zh, wuu, yue; hr, sr, bs; …) added up."""
    total: dict[str, float] = {}
    for code, p in detector.rank(text):
        g = group(code)
        total[g] = total.get(g, 0.0) + p
    best = max(total, key=lambda c: total[c])
    return best, total[best]


def identify_many(texts: Sequence[str], detector: Any) -> list[tuple[str, float]]:
    """:func:`identify` of each text, all at once (``LanguageDetector.score_blocks``): the same
    languages and probabilities, bit for bit. The ranking's order, the sums of a group's
    variants in that order and the first group of the largest sum (ties: the one ranked first)
    are reproduced on arrays."""
    out: list[tuple[str, float]] = [("", 0.0)] * len(texts)
    if not texts:
        return out
    classes = detector.classes
    labels = list(dict.fromkeys(classes))  # rank's entries: a label's first column
    columns = [classes.index(label) for label in labels]
    groups = list(dict.fromkeys(group(label) for label in labels))
    members = [[d for d, label in enumerate(labels) if group(label) == g] for g in groups]
    for idx, scores in detector.score_blocks(texts):
        p = scores[:, columns]
        n, d = p.shape
        ranked = np.argsort(-p, axis=1, kind="stable")  # sorted(..., reverse=True) keeps ties in order
        place = np.empty_like(ranked)
        place[np.arange(n)[:, None], ranked] = np.arange(d)
        total = np.empty((n, len(groups)))
        first = np.empty((n, len(groups)), dtype=np.int64)
        for g, cols in enumerate(members):
            at = place[:, cols]
            order = np.argsort(at, axis=1)
            values = np.take_along_axis(p[:, cols], order, axis=1)
            acc = np.zeros(n)
            for j in range(len(cols)):  # added in the ranking's order, from 0.0
                acc = acc + values[:, j]
            total[:, g] = acc
            first[:, g] = at.min(axis=1)
        top = total.max(axis=1)
        best = np.where(total == top[:, None], first, d).argmin(axis=1)
        for i, b, t in zip(idx.tolist(), best.tolist(), top.tolist(), strict=True):
            out[i] = (groups[b], t)
    return out


def _char_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    return "cjk" if is_cjk(ch) else "latin" if ch.isascii() or "LATIN" in unicodedata.name(ch, "") else "other"


def segments(text: str) -> list[str]:
    """``text`` cut into lines, and lines into runs of one script (CJK, Latin, other): the
    pieces of a bilingual text (“判断句子的语态：The dog was taken for a walk.”)."""
    out: list[str] = []
    for line in text.split("\n"):
        run, script = [], None
        for ch in line:
            s = _char_script(ch)
            if s is not None and script is not None and s != script:
                out.append("".join(run))
                run = []
            if s is not None:
                script = s
            run.append(ch)
        if run:
            out.append("".join(run))
    return [s for s in out if s.strip()]


_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_ASCII_LOWER_LETTERS = bytes(ord(chr(b).lower()) if chr(b).isalpha() and b < 128 else ord(" ") for b in range(256))
_HANGUL_RE = re.compile(r"[\uac00-\ud7af]")
_EN_STOP = frozenset(
    "the a an and or of to in on for with is are was were be it this that you your i we they he she not "
    "can will do does have has by as at from but if so what which how".split()
)
_EN_STOP_BYTES = frozenset(w.encode("ascii") for w in _EN_STOP)


def quick_language(text: str) -> str | None:
    """A cheap guess at ``text``'s language where the script or the common words settle it
    (Chinese, Japanese, Korean, English), else None: most rows of a dataset need no model."""
    head = text[:600]
    ascii_ = head.isascii()
    cjk = 0 if ascii_ else len(_CJK_RE.findall(head))
    alpha = alpha_count(head)
    if cjk and cjk >= 0.6 * alpha:
        if len(_HANGUL_RE.findall(head)) >= 0.3 * cjk:
            return "ko"
        return "ja" if len(_KANA_RE.findall(head)) >= 0.1 * cjk else "zh"
    if alpha and ascii_:  # the first 80 runs of [a-z] in the lowered head (letters kept, the rest a space)
        words = head.encode("ascii").translate(_ASCII_LOWER_LETTERS).split()[:80]
        if len(words) >= 5 and sum(map(_EN_STOP_BYTES.__contains__, words)) >= 0.2 * len(words):
            return "en"
    return None
