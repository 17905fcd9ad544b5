"""Banded LSH over MinHash signatures, in numpy, with exact verification and clustering.

The pipeline shared by the duplicate and leakage rules::

    sigs = minhash.signatures(texts)                      # (n, 128) uint32
    pairs = candidate_pairs(sigs, bands=16, rows=8)       # (k, 2) int64, i < j
    kept = verify(pairs, texts, threshold=0.8)            # exact shingle-set Jaccard
    groups = clusters(len(texts), kept.pairs)             # union-find, deterministic

Banding: for every (document, band) a 64-bit key hashes the band's ``rows`` signature values;
documents whose keys are equal in any band become candidate pairs. ``bands * rows`` may be less
than ``num_perm`` (the remaining columns are ignored). The default 16 x 8 detects a pair of
Jaccard 0.8 with probability 0.95 (datasketch's default for threshold 0.8, 9 x 13, only 0.40):
see :func:`lsh_params` and :func:`detection_probability`.

Degenerate buckets: a bucket with more than ``max_bucket`` members (thousands of identical
boilerplate rows, say) does not produce all its quadratic number of pairs: each member is
linked to the bucket's first (lowest-index) member only, so the bucket still ends up as one
cluster while the pair count stays linear. Exact duplicates are found elsewhere; what may be
lost is a near-duplicate pair inside such a bucket that is not similar to the first member.
Rows without shingles (empty texts, signature all ``2**32 - 1``) are skipped by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from ftlint.features.minhash import EMPTY_HASH, shingle_hashes

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_MAX_BUCKET",
    "DEFAULT_ROWS",
    "Verified",
    "band_keys",
    "candidate_pairs",
    "candidate_pairs_from_keys",
    "clusters",
    "cross_candidate_pairs",
    "cross_candidate_pairs_from_keys",
    "detection_probability",
    "estimate",
    "lsh_params",
    "verify",
]

DEFAULT_BANDS: Final[int] = 16
DEFAULT_ROWS: Final[int] = 8
#: Buckets larger than this are linked as a star (to their first member) instead of all pairs.
DEFAULT_MAX_BUCKET: Final[int] = 64

_KEY_MUL: Final[int] = 0x9E3779B97F4A7C15
_F64_M1: Final[int] = 0xFF51AFD7ED558CCD
_F64_M2: Final[int] = 0xC4CEB9FE1A85EC53


class Verified(NamedTuple):
    """Candidate pairs that passed verification, with their exact Jaccard similarity."""

    pairs: npt.NDArray[np.int64]
    """``(k, 2)`` int64 index pairs, in the order given."""
    similarity: npt.NDArray[np.float64]
    """``(k,)`` exact shingle-set Jaccard similarity of each pair."""


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _trapezoid(y: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Trapezoid-rule integral of each row of ``y`` over ``x`` (numpy 1.x and 2.x alike)."""
    return np.sum((y[:, 1:] + y[:, :-1]) * (np.diff(x) / 2.0), axis=1)


def detection_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that a pair of the given Jaccard similarity shares at least one band key."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def lsh_params(
    threshold: float, num_perm: int = 128, *, false_negative_weight: float = 0.95
) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` for a Jaccard ``threshold``.

    Minimises ``w * FN + (1 - w) * FP``, where FN is the area under the miss probability above
    the threshold and FP the area under the detection probability below it (the criterion of
    datasketch's ``MinHashLSH``, which weighs both 0.5). The default weight ``w = 0.95``
    favours recall, because candidates are verified exactly afterwards: a false candidate costs
    one Jaccard computation, a miss is a lost finding. For threshold 0.8 and 128 permutations it
    gives (16, 8), against datasketch's (9, 13).
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    if not 0.0 <= false_negative_weight <= 1.0:
        raise ValueError(f"false_negative_weight must be in [0, 1], got {false_negative_weight}")
    below = np.linspace(0.0, threshold, 1001)
    above = np.linspace(threshold, 1.0, 1001)
    best: tuple[float, int, int] | None = None
    for rows in range(1, num_perm + 1):
        bands = np.arange(1, num_perm // rows + 1, dtype=np.float64)[:, None]
        fp = _trapezoid(1.0 - (1.0 - below**rows) ** bands, below)
        fn = _trapezoid((1.0 - above**rows) ** bands, above)
        err = (1.0 - false_negative_weight) * fp + false_negative_weight * fn
        i = int(np.argmin(err))
        if best is None or err[i] < best[0]:
            best = (float(err[i]), i + 1, rows)
    assert best is not None
    return best[1], best[2]


# --------------------------------------------------------------------------------------------
# Banding
# --------------------------------------------------------------------------------------------


def band_keys(
    sigs: npt.NDArray[np.uint32], bands: int = DEFAULT_BANDS, rows: int = DEFAULT_ROWS
) -> npt.NDArray[np.uint64]:
    """A 64-bit key per (document, band): ``(n, bands)`` uint64.

    Equal band contents give equal keys; different contents collide with probability ~2**-64.
    128 bytes per document at 16 bands, so it is what to keep (or cache) for large inputs.
    """
    sigs = np.asarray(sigs)
    if sigs.ndim != 2:
        raise ValueError(f"signatures must be a 2-d array, got shape {sigs.shape}")
    if bands < 1 or rows < 1:
        raise ValueError(f"bands and rows must be >= 1, got {bands} x {rows}")
    if bands * rows > sigs.shape[1]:
        raise ValueError(f"bands * rows = {bands * rows} exceeds the {sigs.shape[1]} signature columns")
    view = sigs[:, : bands * rows].reshape(sigs.shape[0], bands, rows)
    key = np.zeros((sigs.shape[0], bands), dtype=np.uint64)
    mul = np.uint64(_KEY_MUL)
    for c in range(rows):
        key ^= view[:, :, c]
        key *= mul
        key ^= key >> np.uint64(29)
    key ^= key >> np.uint64(33)
    key *= np.uint64(_F64_M1)
    key ^= key >> np.uint64(33)
    key *= np.uint64(_F64_M2)
    key ^= key >> np.uint64(33)
    return key


def _empty_rows(sigs: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    return np.all(sigs == np.uint32(EMPTY_HASH), axis=1)


def _groups(keys: npt.NDArray[np.uint64], ids: npt.NDArray[np.int64]) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]:
    """Members of equal-key groups of size >= 2: ``(members, group_start, group_size)``.

    ``members`` lists document ids grouped by key, ascending within a group; group g is
    ``members[group_start[g]:group_start[g] + group_size[g]]``.
    """
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    m = sk.size
    if m < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = np.empty(m, dtype=bool)
    new[0] = True
    np.not_equal(sk[1:], sk[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, m))
    multi = sizes >= 2
    starts, sizes = starts[multi], sizes[multi]
    # Compress to the members of multi-member groups.
    take = _ranges(starts, sizes)
    members = ids[order[take]]
    new_starts = np.cumsum(sizes) - sizes
    return members, new_starts, sizes


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Concatenation of ``arange(s, s + l)`` for each (s, l), all l >= 1."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    step = np.ones(total, dtype=np.int64)
    heads = np.cumsum(lengths) - lengths
    step[0] = starts[0]
    step[heads[1:]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(step)


def _all_pairs(
    members: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """All pairs (members[p], members[q]), p < q, within each group."""
    if sizes.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    mem = members[_ranges(starts, sizes)]
    size_at = np.repeat(sizes, sizes)
    local = np.arange(mem.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    active = np.arange(mem.size)
    left: list[npt.NDArray[np.int64]] = []
    right: list[npt.NDArray[np.int64]] = []
    for d in range(1, int(sizes.max())):
        active = active[size_at[active] > d]  # only groups larger than d have pairs d apart
        pos = active[local[active] + d < size_at[active]]
        left.append(mem[pos])
        right.append(mem[pos + d])
    return np.concatenate(left), np.concatenate(right)


def _encode(i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    return i * np.int64(width) + j


def _decode(code: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    out = np.empty((code.size, 2), dtype=np.int64)
    np.divmod(code, np.int64(width), out=(out[:, 0], out[:, 1]))
    return out


def band_pair_codes(
    keys: npt.NDArray[np.uint64], ids: npt.NDArray[np.int64], n: int, max_bucket: int = DEFAULT_MAX_BUCKET
) -> list[npt.NDArray[np.int64]]:
    """The candidate pairs of one band (``keys[k]`` is document ``ids[k]``'s key, ids ascending), encoded
    as ``i * n + j``: all pairs of a bucket of at most ``max_bucket`` members, else every member linked
    to the bucket's first. Every bucket is complete in ``keys`` (a shuffle by key gives that), so the
    union over the parts of a shuffle is the whole band's pairs."""
    members, starts, sizes = _groups(keys, ids)
    small = sizes <= max_bucket
    i, j = _all_pairs(members, starts[small], sizes[small])
    codes = [_encode(i, j, n)]
    big_starts, big_sizes = starts[~small], sizes[~small]
    if big_sizes.size:
        heads = np.repeat(members[big_starts], big_sizes - 1)
        tails = members[_ranges(big_starts + 1, big_sizes - 1)]
        codes.append(_encode(heads, tails, n))
    return codes


def cross_band_pair_codes(
    keys: npt.NDArray[np.uint64], ids: npt.NDArray[np.int64], na: int, width: int,
    max_bucket: int = DEFAULT_MAX_BUCKET,
) -> list[npt.NDArray[np.int64]]:
    """The cross pairs of one band (ids below ``na`` are side A, the others side B shifted by ``na``;
    ids ascending), encoded as ``i * width + (j - na)`` (see :func:`cross_candidate_pairs`)."""
    members, starts, sizes = _groups(keys, ids)
    if sizes.size == 0:
        return []
    # Members are ascending within a group, so A members (id < na) come first.
    n_a = np.add.reduceat((members < na).astype(np.int64), starts)
    n_b = sizes - n_a
    both = (n_a > 0) & (n_b > 0)
    starts, sizes, n_a, n_b = starts[both], sizes[both], n_a[both], n_b[both]
    small = n_a * n_b <= max_bucket * (max_bucket - 1) // 2
    i, j = _all_pairs(members, starts[small], sizes[small])
    cross = (i < na) & (j >= na)
    codes = [_encode(i[cross], j[cross] - na, width)]
    if (~small).any():
        s, z, ca = starts[~small], sizes[~small], n_a[~small]
        first_a = members[s]
        first_b = members[s + ca]
        b_members = members[_ranges(s + ca, z - ca)]
        a_members = members[_ranges(s, ca)]
        codes.append(_encode(np.repeat(first_a, z - ca), b_members - na, width))
        codes.append(_encode(a_members, np.repeat(first_b, ca) - na, width))
    return codes


def candidate_pairs(
    sigs: npt.NDArray[np.uint32],
    bands: int = DEFAULT_BANDS,
    rows: int = DEFAULT_ROWS,
    *,
    max_bucket: int = DEFAULT_MAX_BUCKET,
    skip_empty: bool = True,
) -> npt.NDArray[np.int64]:
    """Unique pairs ``(i, j)``, ``i < j``, of documents sharing at least one band key.

    Returns a ``(k, 2)`` int64 array sorted by ``i`` then ``j``. Buckets larger than
    ``max_bucket`` are linked to their first member only (see the module docstring);
    ``skip_empty`` leaves out rows without shingles.
    """
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be >= 2, got {max_bucket}")
    sigs = np.asarray(sigs)
    keys = band_keys(sigs, bands, rows)
    n = sigs.shape[0]
    ids = np.flatnonzero(~_empty_rows(sigs)) if skip_empty else np.arange(n)
    return candidate_pairs_from_keys(keys[ids], ids, n, max_bucket=max_bucket)


#: band keys as a ``(k, bands)`` matrix, or as a sequence of ``bands`` columns of ``k`` keys each
#: (read one at a time: a sequence may load each column only when asked for it)
BandColumns: TypeAlias = npt.NDArray[np.uint64] | Sequence[npt.NDArray[np.uint64]]


def _band_count(keys: BandColumns) -> int:
    if isinstance(keys, np.ndarray):
        return int(keys.shape[1]) if keys.ndim == 2 else 0
    return len(keys)


def _band_column(keys: BandColumns, band: int) -> npt.NDArray[np.uint64]:
    return keys[:, band] if isinstance(keys, np.ndarray) else np.asarray(keys[band])


def candidate_pairs_from_keys(
    keys: BandColumns,
    ids: npt.NDArray[np.int64],
    n: int,
    *,
    max_bucket: int = DEFAULT_MAX_BUCKET,
) -> npt.NDArray[np.int64]:
    """:func:`candidate_pairs` from band keys already computed (:func:`band_keys`, one row per
    document ``ids[k]``, ids ascending and below ``n``; a matrix or a sequence of band columns):
    the pairs are of those ids. Banded one band at a time, so a sequence that reads its columns
    from disk (``features.duplicates.BandKeys``) holds one column in memory, no copy of the rest."""
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be >= 2, got {max_bucket}")
    codes: list[npt.NDArray[np.int64]] = []
    for band in range(_band_count(keys)):
        codes.extend(band_pair_codes(_band_column(keys, band), ids, n, max_bucket))
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    return _decode(np.unique(np.concatenate(codes)), n)


def cross_candidate_pairs(
    sigs_a: npt.NDArray[np.uint32],
    sigs_b: npt.NDArray[np.uint32],
    bands: int = DEFAULT_BANDS,
    rows: int = DEFAULT_ROWS,
    *,
    max_bucket: int = DEFAULT_MAX_BUCKET,
    skip_empty: bool = True,
) -> npt.NDArray[np.int64]:
    """Unique pairs ``(i, j)`` of a row i of ``sigs_a`` and a row j of ``sigs_b`` sharing a band key.

    Both sides are banded together and only the pairs across them are kept (train against
    validation, say). Returns a ``(k, 2)`` int64 array sorted by ``i`` then ``j``. In a bucket
    with more than ``max_bucket`` A-by-B pairs, every B member is linked to the bucket's first
    A member and every A member to its first B member.
    """
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be >= 2, got {max_bucket}")
    sigs_a, sigs_b = np.asarray(sigs_a), np.asarray(sigs_b)
    if sigs_a.shape[1] != sigs_b.shape[1]:
        raise ValueError(f"signature widths differ: {sigs_a.shape[1]} and {sigs_b.shape[1]}")
    na, nb = sigs_a.shape[0], sigs_b.shape[0]
    ids_a = np.flatnonzero(~_empty_rows(sigs_a)) if skip_empty else np.arange(na)
    ids_b = np.flatnonzero(~_empty_rows(sigs_b)) if skip_empty else np.arange(nb)
    return cross_candidate_pairs_from_keys(band_keys(sigs_a, bands, rows)[ids_a], ids_a,
                                           band_keys(sigs_b, bands, rows)[ids_b], ids_b, na, nb,
                                           max_bucket=max_bucket)


def cross_candidate_pairs_from_keys(
    keys_a: BandColumns,
    ids_a: npt.NDArray[np.int64],
    keys_b: BandColumns,
    ids_b: npt.NDArray[np.int64],
    na: int,
    nb: int,
    *,
    max_bucket: int = DEFAULT_MAX_BUCKET,
) -> npt.NDArray[np.int64]:
    """:func:`cross_candidate_pairs` from band keys already computed (:func:`band_keys`, row k of
    ``keys_a`` is document ``ids_a[k]`` of A, ids ascending and below ``na``; the same for B): the
    pairs are of those ids. Banded one band at a time, so beside the keys it holds one band's
    column of both sides (no copy of the key matrices, no re-hashing); either side may be a
    sequence of band columns as in :func:`candidate_pairs_from_keys`."""
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be >= 2, got {max_bucket}")
    bands = _band_count(keys_a)
    if _band_count(keys_b) != bands:
        raise ValueError(f"band key widths differ: {bands} and {_band_count(keys_b)}")
    ids = np.concatenate([np.asarray(ids_a, dtype=np.int64), na + np.asarray(ids_b, dtype=np.int64)])
    width = max(nb, 1)
    codes: list[npt.NDArray[np.int64]] = []
    for band in range(bands):
        both = np.concatenate([_band_column(keys_a, band), _band_column(keys_b, band)])
        codes.extend(cross_band_pair_codes(both, ids, na, width, max_bucket))
        del both
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    return _decode(np.unique(np.concatenate(codes)), width)


# --------------------------------------------------------------------------------------------
# Verification and clustering
# --------------------------------------------------------------------------------------------


def estimate(
    pairs: npt.NDArray[np.int64],
    sigs: npt.NDArray[np.uint32],
    sigs_b: npt.NDArray[np.uint32] | None = None,
) -> npt.NDArray[np.float64]:
    """MinHash estimate of each pair's Jaccard similarity (share of equal signature slots).

    With ``sigs_b``, pair (i, j) compares ``sigs[i]`` with ``sigs_b[j]``.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    other = sigs if sigs_b is None else sigs_b
    out = np.empty(pairs.shape[0], dtype=np.float64)
    for lo in range(0, pairs.shape[0], 65536):
        p = pairs[lo : lo + 65536]
        out[lo : lo + p.shape[0]] = np.mean(sigs[p[:, 0]] == other[p[:, 1]], axis=1)
    return out


def verify(
    pairs: npt.NDArray[np.int64],
    texts: Sequence[str],
    threshold: float,
    *,
    texts_b: Sequence[str] | None = None,
    ngram: int = 5,
    char_ngram: int = 5,
) -> Verified:
    """Keep the pairs whose exact shingle-set Jaccard similarity is ``>= threshold``.

    Pair (i, j) compares ``texts[i]`` with ``texts[j]``, or with ``texts_b[j]`` when given
    (cross pairs). The shingles are those of :func:`ftlint.features.minhash.shingles`, compared
    by their 64-bit hashes; two texts without shingles have similarity 0. Pairs keep their order.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.shape[0] == 0:
        return Verified(pairs.copy(), np.zeros(0, dtype=np.float64))
    other = texts if texts_b is None else texts_b
    if texts_b is None:
        docs_a = docs_b = np.unique(pairs)
    else:
        docs_a, docs_b = np.unique(pairs[:, 0]), np.unique(pairs[:, 1])
    vals_a, offs_a = shingle_hashes([texts[i] for i in docs_a.tolist()], ngram, char_ngram)
    if texts_b is None:
        vals_b, offs_b = vals_a, offs_a
    else:
        vals_b, offs_b = shingle_hashes([other[j] for j in docs_b.tolist()], ngram, char_ngram)
    ia = np.searchsorted(docs_a, pairs[:, 0])
    ib = np.searchsorted(docs_b, pairs[:, 1])
    sim = np.empty(pairs.shape[0], dtype=np.float64)
    lo_a, hi_a = offs_a[ia].tolist(), offs_a[ia + 1].tolist()
    lo_b, hi_b = offs_b[ib].tolist(), offs_b[ib + 1].tolist()
    for k in range(pairs.shape[0]):
        a = vals_a[lo_a[k] : hi_a[k]]
        b = vals_b[lo_b[k] : hi_b[k]]
        if a.size == 0 or b.size == 0:
            sim[k] = 0.0
            continue
        if a.size > b.size:
            a, b = b, a
        pos = np.searchsorted(b, a)
        pos[pos == b.size] = 0
        inter = int(np.count_nonzero(b[pos] == a))
        sim[k] = inter / (a.size + b.size - inter)
    keep = sim >= threshold
    return Verified(pairs[keep], sim[keep])


def clusters(n: int, pairs: npt.NDArray[np.int64]) -> list[list[int]]:
    """Connected components of the pair graph over ``n`` documents, singletons left out.

    Deterministic: each cluster is sorted ascending, and clusters are sorted by first member.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.shape[0] == 0:
        return []
    if pairs.min() < 0 or pairs.max() >= n:
        raise ValueError(f"pair indices must be in [0, {n})")
    nodes, inverse = np.unique(pairs, return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    parent = list(range(nodes.size))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in inverse.tolist():
        rx, ry = find(x), find(y)
        if rx != ry:
            # The smaller root wins, so a root is always its component's smallest node.
            if rx < ry:
                parent[ry] = rx
            else:
                parent[rx] = ry
    roots = np.fromiter((find(x) for x in range(nodes.size)), dtype=np.int64, count=nodes.size)
    order = np.argsort(roots, kind="stable")  # nodes ascending within each root
    sorted_roots = roots[order]
    cuts = np.flatnonzero(np.diff(sorted_roots)) + 1
    members = nodes[order]
    # Roots are the smallest node of their component, so root order is first-member order.
    return [group.tolist() for group in np.split(members, cuts)]
