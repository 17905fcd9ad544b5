"""Small English helpers for messages: the article a word takes, and counted nouns."""

from __future__ import annotations

import re

#: letters whose spoken name starts with a vowel sound: an HF key, an LLM, an SFT run
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
#: words that start with a vowel letter but a consonant sound (a user, a one-line fix)
_CONSONANT_SOUND = ("uni", "use", "usa", "usu", "uti", "eu", "one", "once", "ubi")
#: words that start with a silent h (an hour)
_SILENT_H = ("hour", "honest", "honor", "honour", "heir")


def article(word: str) -> str:
    """``"a"`` or ``"an"`` for ``word``, by how it is spoken: an Axolotl, an HF Trainer, a TRL,
    a LLaMA-Factory, an 8-bit, an 11-word, a 13-word, an unknown, a user."""
    w = word.lstrip("`'\"([ ")
    if not w:
        return "a"
    digits = re.match(r"\d+", w)
    if digits:
        d = digits.group()
        spoken_vowel = d[0] == "8" or (len(d) % 3 == 2 and d[:2] in ("11", "18"))
        return "an" if spoken_vowel else "a"
    token = re.match(r"[A-Za-z]+", w)
    if token is None:
        return "a"
    t = token.group()
    if t.isupper() and len(t) <= 5:
        return "an" if t[0] in _VOWEL_SOUND_LETTERS else "a"  # spoken letter by letter
    low = t.lower()
    if low.startswith(_SILENT_H):
        return "an"
    if low[0] in "aeiou" and not low.startswith(_CONSONANT_SOUND):
        return "an"
    return "a"


def with_article(word: str) -> str:
    """``word`` with its article: ``"an Axolotl"``."""
    return f"{article(word)} {word}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 field"``, ``"2 fields"``, ``"2 IP addresses"`` (``many`` for an irregular plural)."""
    if n == 1:
        return f"{n:,} {word}"
    return f"{n:,} {many or word + ('es' if word.endswith(('ss', 'sh', 'ch', 'x')) else 's')}"
