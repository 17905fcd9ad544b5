"""The one text normaliser, and the text views built on it."""

from __future__ import annotations

import unicodedata

#: the CJK and Hangul character ranges (a regular-expression character-class body): Han, kana, Hangul
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"


def normalize(text: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed to single spaces, stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())
