"""The text of a row as the checks compare it, and its hashes: artifacts of every split.

``input_text`` / ``contamination_text`` / ``varying_text`` are plain functions of one row;
:func:`normalized_batches` streams a split's normalised text; :func:`text_hashes`,
:func:`input_hashes`, :func:`field_hashes`, :func:`preference_hashes`, :func:`unreadable` and
:func:`common_segments` are artifacts (``ctx.artifact(text_hashes, split)``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import xxhash

from ftlint import cache_schemas
from ftlint.data.dataset import Dataset, _full_text
from ftlint.features.text import normalize
from ftlint.findings import snippet

if TYPE_CHECKING:
    from ftlint.context import Context

#: rows normalised together (one blob per batch: ~1,000 rows measured fastest)
NORMALIZE_BATCH = 1024

#: prompt-side segments shared by at least this share of the rows (of at least COMMON_MIN_ROWS) are
#: left out of near-duplicate and leakage comparisons
COMMON_SHARE = 0.5
COMMON_MIN_ROWS = 20
COMMON_SAMPLE = 20_000
VARYING = "varying"
PROMPT_ROLES = frozenset("su")  # system and user turns; replies and tool calls are never stripped


def input_text(ds: Dataset, i: int) -> str:
    """What a row's label is about: the text of a classification row; the prompt (every turn
    before the final assistant turn) of chat, instruction and preference data; prompt and
    completion of a KTO row."""
    if ds.kind_of(i) == "kto":
        return ds.prompt(i) + "\n" + ds.response(i)
    return ds.prompt(i)


def contamination_text(ds: Dataset, i: int) -> str:
    """The text of a row that n-gram contamination looks at: every turn and the rejected side,
    without role markers or label."""
    parts = list(ds.texts[i])
    rejected = ds.rejected[i] if ds.rejected else None
    if rejected is not None:
        parts.append(rejected)
    return "\n".join(parts)


def _paragraphs(text: str) -> list[str]:
    return [p for p in (x.strip() for x in text.split("\n\n")) if p]


def _segment_hash(paragraph: str) -> int:
    return xxhash.xxh3_64_intdigest(normalize(paragraph).encode("utf-8", "surrogatepass"))


def varying_text(ds: Dataset, i: int, common: frozenset[int]) -> str:
    """The row's text without the prompt-side paragraphs in ``common`` (shared by most rows), role
    markers kept like :meth:`Dataset.full_text`; replies, tool results and the rejected side stay whole."""
    if not common:
        return ds.full_text(i)
    roles, texts = ds.roles[i], ds.texts[i]
    kept: list[str] = []
    for role, text in zip(roles, texts):
        if role in PROMPT_ROLES:
            text = "\n\n".join(p for p in _paragraphs(text) if _segment_hash(p) not in common)
        kept.append(text)
    return _full_text(roles, tuple(kept), ds.rejected[i] if ds.rejected else None, ds.labels[i] if ds.labels else None)


def common_segments(ctx: Context) -> frozenset[int]:
    """Hashes of the prompt-side paragraphs (system and user turns, split at blank lines, normalised)
    that appear verbatim in at least half of the rows of all splits together (>= 20 rows): a shared
    system prompt, tool schema or fixed instruction. Near-duplicate and leakage checks compare rows
    without them (:func:`varying_text`). Counted on up to 20,000 evenly spaced rows per split."""
    counts: Counter[int] = Counter()
    total = 0
    for split in ctx.splits:
        ds = ctx.dataset(split)
        n = len(ds)
        idx = range(n) if n <= COMMON_SAMPLE else np.linspace(0, n - 1, COMMON_SAMPLE).astype(np.int64).tolist()
        for i in idx:
            counts.update({_segment_hash(p) for role, text in zip(ds.roles[i], ds.texts[i])
                           if role in PROMPT_ROLES for p in _paragraphs(text)})
            total += 1
    if total < COMMON_MIN_ROWS:
        return frozenset()
    return frozenset(h for h, c in counts.items() if c >= COMMON_SHARE * total)


def duplicate_field(ctx: Context) -> str:
    """The text FT202/FT203 compare: the whole example (``"full"``), or, when the splits share
    prompt segments (:func:`common_segments`), the example without them (``"varying:<digest>"``:
    the digest names the set, so cached artifacts follow it)."""
    common = ctx.artifact(common_segments)
    if not common:
        return "full"
    digest = xxhash.xxh3_64_hexdigest(np.array(sorted(common), dtype=np.uint64).tobytes())
    return f"{VARYING}:{digest}"


def duplicate_text(ctx: Context, split: str, i: int) -> str | None:
    """The text of row ``i`` as FT202/FT203 compared it, for its snippet (None: the whole example):
    already cut to the snippet (which the engine's ``snippet`` leaves as it is), so that a rule
    listing tens of thousands of rows does not hold their whole texts until its rows are built."""
    if ctx.artifact(duplicate_field) == "full":
        return None
    return snippet(varying_text(ctx.dataset(split), i, ctx.artifact(common_segments)))


def _text_getter(ctx: Context, ds: Dataset, field: str) -> Callable[[int], str]:
    if field == "full":
        return ds.full_text
    if field == "input":
        return lambda i: input_text(ds, i)
    if field.startswith(VARYING + ":"):
        common = ctx.artifact(common_segments)
        return lambda i: varying_text(ds, i, common)
    raise ValueError(f"unknown text field {field!r} (expected 'full', 'input' or 'varying:...')")


def normalized_batches(ctx: Context, split: str, field: str = "full", rows: Sequence[int] | None = None,
                       batch: int = NORMALIZE_BATCH) -> Iterator[tuple[int, list[bytes]]]:
    """The normalised UTF-8 text of the split's rows, ``batch`` rows at a time, as ``(position of
    the batch's first row, texts)``. ``field`` "full" is the whole example (``Dataset.full_text``),
    "input" what its label is about (:func:`input_text`); with ``rows``, only those rows
    (positions then index ``rows``). Nothing is kept: the split's text is never held twice (a
    stream, not an artifact)."""
    from ftlint.features.ngrams import canonical_batch

    ds = ctx.dataset(split)
    get = _text_getter(ctx, ds, field)
    idx: Sequence[int] = range(len(ds)) if rows is None else rows
    bad = ctx.artifact(unreadable, split)
    bad_set = set(bad.tolist()) if rows is not None and bad.size else set()
    for lo in range(0, len(idx), batch):
        if rows is None and field == "full":  # a range of rows: the columns are read as ranges
            texts = canonical_batch(ds.full_texts(lo, lo + batch))
        else:
            texts = canonical_batch([get(int(i)) for i in idx[lo:lo + batch]])
        if bad.size:  # an unreadable row's partial text is no text at all (see :func:`unreadable`)
            if rows is None:
                a, b = np.searchsorted(bad, [lo, lo + len(texts)])
                for i in bad[a:b].tolist():
                    texts[i - lo] = b""
            elif bad_set:
                for k, i in enumerate(idx[lo:lo + batch]):
                    if int(i) in bad_set:
                        texts[k] = b""
        yield lo, texts


def normalized_text(ctx: Context, split: str) -> list[str]:
    """NFKC, case-folded, whitespace-collapsed full text of every row (role markers kept).

    Computed on each call and not kept (a second copy of all the text would be the largest
    thing a run holds): artifacts stream :func:`normalized_batches` instead."""
    return [t.decode("utf-8", "surrogatepass") for _, b in normalized_batches(ctx, split) for t in b]


def unreadable(ctx: Context, split: str) -> np.ndarray:
    """Positions (int64, ascending) of the rows whose text could not be read
    (``Dataset.unreadable_rows``: a record of the wrong shape whose turns came out empty). They
    are in no duplicate, leakage or label-conflict key: their normalised text is empty (no
    MinHash band) and their row hash is unique to the row (:func:`unreadable_hashes`), so two
    different broken records are never "copies" of each other."""
    return np.asarray(ctx.dataset(split).unreadable_rows(), dtype=np.int64)


def unreadable_hashes(ds: Dataset, bad: np.ndarray) -> np.ndarray:
    """A hash per unreadable row, unique to the row (its path and index)."""
    h = xxhash.xxh3_64_intdigest
    return np.fromiter((h(f"\x00ftlint unreadable row\x00{ds.path(i)}\x00{int(ds.index[i])}".encode(
        "utf-8", "surrogatepass")) for i in bad.tolist()), dtype=np.uint64, count=bad.size)


def hash_rows(ctx: Context, split: str, field: str) -> np.ndarray:
    """64-bit hash of each row's normalised ``field`` text (no memo: see :func:`field_hashes`)."""
    h = xxhash.xxh3_64_intdigest
    out = np.empty(len(ctx.dataset(split)), dtype=np.uint64)
    for lo, texts in normalized_batches(ctx, split, field):
        out[lo:lo + len(texts)] = np.fromiter(map(h, texts), dtype=np.uint64, count=len(texts))
    bad = ctx.artifact(unreadable, split)
    if bad.size:
        out[bad] = unreadable_hashes(ctx.dataset(split), bad)
    return out


def _stored_name(field: str) -> tuple[str, dict[str, str]]:
    """The disk-cache name and parameters of a field's row hashes."""
    if field == "full":
        return "text_hashes", {}
    if field == "input":
        return "input_hashes", {}
    return "field_hashes", {"field": field}


def field_hashes(ctx: Context, split: str, field: str = "full") -> np.ndarray:
    """64-bit hash of each row's normalised text: ``field`` "full" is the whole example (the
    exact-duplicate key and the content of row fingerprints), "input" its :func:`input_text` (the
    key of conflicting labels), "varying:..." the example without the common segments. Cached on
    disk."""
    name, params = _stored_name(field)
    return ctx.stored(name, split, params, lambda: hash_rows(ctx, split, field), cache_schemas.row_hashes())


def store_field_hashes(ctx: Context, split: str, field: str, hashes: np.ndarray) -> np.ndarray:
    """Record hashes computed by another pass (MinHash) as :func:`field_hashes`, on disk too."""
    name, params = _stored_name(field)
    value = ctx.stored(name, split, params, lambda: hashes, cache_schemas.row_hashes())
    return ctx.remember(value, field_hashes, split, field)


def text_hashes(ctx: Context, split: str) -> np.ndarray:
    """64-bit hash of each row's normalised full text (exact-duplicate key, fingerprint content)."""
    return ctx.artifact(field_hashes, split, "full")


def input_hashes(ctx: Context, split: str) -> np.ndarray:
    """64-bit hash of each row's normalised :func:`input_text` (the key of conflicting labels)."""
    return ctx.artifact(field_hashes, split, "input")


def preference_hashes(ctx: Context, split: str) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of each row's normalised chosen side (its response) and rejected side, for
    preference rows; 0 for other rows and for empty sides (FT301 swaps, FT303 identical sides).
    Cached on disk."""
    from ftlint.features.ngrams import canonical_batch

    def compute() -> tuple[np.ndarray, np.ndarray]:
        ds = ctx.dataset(split)
        n = len(ds)
        chosen, rejected = np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64)
        rows = [i for i in range(n) if ds.roles[i] and ds.kind_of(i) == "preference"]
        h = xxhash.xxh3_64_intdigest
        for lo in range(0, len(rows), NORMALIZE_BATCH):
            part = rows[lo:lo + NORMALIZE_BATCH]
            c = canonical_batch([ds.response(i) for i in part])
            r = canonical_batch([ds.rejected[i] or "" for i in part])
            chosen[part] = [h(t) if t else 0 for t in c]
            rejected[part] = [h(t) if t else 0 for t in r]
        return chosen, rejected

    return ctx.stored("preference_hashes", split, {}, compute, cache_schemas.preference_hashes())
