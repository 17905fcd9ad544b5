"""The one text normaliser, and the text views built on it."""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed to single spaces, stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())
