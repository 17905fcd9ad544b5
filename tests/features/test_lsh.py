from __future__ import annotations

import itertools

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from ftlint.features.lsh import (
    band_keys,
    candidate_pairs,
    clusters,
    cross_candidate_pairs,
    cross_candidate_pairs_from_keys,
    detection_probability,
    estimate,
    lsh_params,
    verify,
)
from ftlint.features.minhash import estimated_jaccard, exact_jaccard, signatures


def _corpus(seed: int, n: int, lo: int = 60, hi: int = 250) -> list[str]:
    """Unrelated texts over a shared Zipf vocabulary (so they share common words and phrases)."""
    rng = np.random.default_rng(seed)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = ["".join(rng.choice(letters, int(rng.integers(2, 8)))) for _ in range(5000)]
    p = 1.0 / (np.arange(len(vocab)) + 2.7) ** 1.07
    p /= p.sum()
    return [" ".join(rng.choice(vocab, int(rng.integers(lo, hi)), p=p)) for _ in range(n)]


def _near_copy(text: str, rng: np.random.Generator, share: float) -> str:
    words = text.split()
    for _ in range(max(1, round(len(words) * share))):
        pos = int(rng.integers(len(words)))
        op = rng.random()
        if op < 0.5:
            words[pos] = f"edit{int(rng.integers(10**6))}"
        elif op < 0.75:
            words.insert(pos, f"ins{int(rng.integers(10**6))}")
        else:
            del words[pos]
    return " ".join(words)


@pytest.fixture(scope="module")
def planted() -> tuple[list[str], list[tuple[int, int]]]:
    """400 unrelated texts, then 200 near-copies of the first 200 with 0.5-3% word edits."""
    rng = np.random.default_rng(7)
    base = _corpus(7, 400)
    copies = [_near_copy(base[i], rng, float(rng.uniform(0.005, 0.03))) for i in range(200)]
    return base + copies, [(i, 400 + i) for i in range(200)]


def test_lsh_params_favour_recall() -> None:
    assert lsh_params(0.8, 128) == (16, 8)
    # With equal weights it is datasketch's own choice.
    assert lsh_params(0.8, 128, false_negative_weight=0.5) == _optimal_param(0.8, 128, 0.5, 0.5)
    for t in (0.5, 0.7, 0.9):
        b, r = lsh_params(t, 128)
        assert b * r <= 128
        assert detection_probability(t, b, r) > 0.9
    with pytest.raises(ValueError, match="threshold must be in"):
        lsh_params(1.0)


def test_detection_probability() -> None:
    assert detection_probability(0.8, 16, 8) == pytest.approx(0.947, abs=1e-3)
    assert detection_probability(0.8, 9, 13) == pytest.approx(0.40, abs=0.01)
    assert detection_probability(1.0, 16, 8) == 1.0
    assert detection_probability(0.0, 16, 8) == 0.0


def test_finds_planted_near_duplicates(planted: tuple[list[str], list[tuple[int, int]]]) -> None:
    texts, pairs = planted
    sigs = signatures(texts)
    cand = candidate_pairs(sigs)
    assert cand.dtype == np.int64
    assert cand.ndim == 2 and cand.shape[1] == 2
    assert (cand[:, 0] < cand[:, 1]).all()
    assert len({tuple(p) for p in cand.tolist()}) == len(cand)
    kept = verify(cand, texts, 0.8)
    found = {tuple(p) for p in kept.pairs.tolist()}
    true_j = {p: exact_jaccard(texts[p[0]], texts[p[1]]) for p in pairs}
    high = [p for p, j in true_j.items() if j >= 0.8]
    assert len(high) >= 50
    recall = sum(p in found for p in high) / len(high)
    assert recall >= 0.95
    # Every verified pair really is >= 0.8 and is a planted pair (the rest are unrelated).
    assert found <= set(pairs)
    for (i, j), s in zip(kept.pairs.tolist(), kept.similarity.tolist(), strict=True):
        assert s == pytest.approx(exact_jaccard(texts[i], texts[j]))
        assert s >= 0.8


def test_no_false_clusters_on_unrelated_texts() -> None:
    texts = _corpus(11, 500, lo=5, hi=120)
    sigs = signatures(texts)
    cand = candidate_pairs(sigs)
    assert verify(cand, texts, 0.8).pairs.shape == (0, 2)
    assert clusters(len(texts), verify(cand, texts, 0.8).pairs) == []


def test_candidates_are_exactly_the_band_collisions() -> None:
    rng = np.random.default_rng(3)
    base = _corpus(3, 40, lo=10, hi=60)
    texts = base + [_near_copy(t, rng, 0.05) for t in base[:20]] + base[:5]
    sigs = signatures(texts, num_perm=64)
    keys = band_keys(sigs, 16, 4)
    assert keys.shape == (len(texts), 16) and keys.dtype == np.uint64
    brute = {
        (i, j)
        for i, j in itertools.combinations(range(len(texts)), 2)
        if (sigs[i].reshape(16, 4) == sigs[j].reshape(16, 4)).all(axis=1).any()
    }
    got = {tuple(p) for p in candidate_pairs(sigs, 16, 4, max_bucket=1000).tolist()}
    assert got == brute
    assert brute  # the test is not vacuous
    got = candidate_pairs(sigs, 16, 4)
    assert np.array_equal(got, np.unique(got, axis=0))  # sorted by i, then j


def test_degenerate_buckets_are_capped() -> None:
    texts = ["the same boilerplate text for everyone here"] * 1000 + [""] * 1000 + ["other text of its own kind"]
    sigs = signatures(texts)
    cand = candidate_pairs(sigs, max_bucket=64)
    # Star-linked to the first member: linear, not 1000 * 999 / 2; empty rows skipped.
    assert cand.shape == (999, 2)
    assert (cand[:, 0] == 0).all()
    assert clusters(len(texts), verify(cand, texts, 0.8).pairs) == [list(range(1000))]
    with_empty = candidate_pairs(sigs, skip_empty=False)
    assert with_empty.shape == (999 + 999, 2)
    # Empty texts never verify as near-duplicates of each other.
    assert verify(with_empty, texts, 0.8).pairs.shape == (999, 2)
    # A small bucket gets all its pairs.
    assert candidate_pairs(signatures(["a b c d e f"] * 5)).shape == (10, 2)


def test_cross_candidate_pairs_find_leakage(planted: tuple[list[str], list[tuple[int, int]]]) -> None:
    texts, pairs = planted
    train, val = texts[:400], texts[400:] + _corpus(99, 50)
    sa, sb = signatures(train), signatures(val)
    cross = cross_candidate_pairs(sa, sb)
    assert (cross[:, 0] < len(train)).all() and (cross[:, 1] < len(val)).all()
    kept = verify(cross, train, 0.8, texts_b=val)
    found = {tuple(p) for p in kept.pairs.tolist()}
    high = [(i, j - 400) for i, j in pairs if exact_jaccard(texts[i], texts[j]) >= 0.8]
    assert sum(p in found for p in high) / len(high) >= 0.95
    assert found <= {(i, j - 400) for i, j in pairs}
    for (i, j), s in zip(kept.pairs.tolist(), kept.similarity.tolist(), strict=True):
        assert s == pytest.approx(exact_jaccard(train[i], val[j]))
    # Matches the brute-force definition (shared band, one side each).
    keys_a, keys_b = band_keys(sa), band_keys(sb)
    brute = {(i, j) for i, j in zip(*np.nonzero((keys_a[:, None, :] == keys_b[None, :, :]).any(axis=2)), strict=True)}
    assert {tuple(p) for p in cross.tolist()} == brute


def test_cross_degenerate_bucket_is_star_linked() -> None:
    a = ["shared boilerplate text used by all rows"] * 200 + ["unique train row with its own words"]
    b = ["shared boilerplate text used by all rows"] * 30 + ["something else entirely for validation"]
    cross = cross_candidate_pairs(signatures(a), signatures(b), max_bucket=16)
    got = {tuple(p) for p in cross.tolist()}
    expected = {(0, j) for j in range(30)} | {(i, 0) for i in range(200)}
    assert got == expected
    assert cross_candidate_pairs(signatures(a[:3]), signatures(b[:2])).shape == (6, 2)


def test_cross_candidates_from_kept_keys_match_the_signature_path(
        planted: tuple[list[str], list[tuple[int, int]]]) -> None:
    # The context bands the band keys it keeps (rows without shingles left out, ids in the split's
    # numbering), one band at a time: the same pairs as banding the signatures of those rows.
    texts, _ = planted
    a = texts[:400] + [""] * 3 + ["shared boilerplate text used by all rows"] * 40
    b = [""] + texts[400:] + ["shared boilerplate text used by all rows"] * 20
    sa, sb = signatures(a), signatures(b)
    ia = np.flatnonzero(~(sa == np.uint32(0xFFFFFFFF)).all(axis=1))
    ib = np.flatnonzero(~(sb == np.uint32(0xFFFFFFFF)).all(axis=1))
    assert ia.size < len(a) and ib.size < len(b)
    via_sigs = cross_candidate_pairs(sa[ia], sb[ib], max_bucket=16)
    expected = np.stack([ia[via_sigs[:, 0]], ib[via_sigs[:, 1]]], axis=1)
    got = cross_candidate_pairs_from_keys(band_keys(sa)[ia], ia, band_keys(sb)[ib], ib, len(a), len(b),
                                          max_bucket=16)
    assert got.shape[0] > 0
    np.testing.assert_array_equal(got, expected)
    assert cross_candidate_pairs_from_keys(band_keys(sa)[:0], ia[:0], band_keys(sb), np.arange(len(b)),
                                           len(a), len(b)).shape == (0, 2)


def test_clusters_deterministic() -> None:
    pairs = np.array([[5, 9], [1, 3], [9, 12], [3, 7], [20, 21], [12, 5]])
    expected = [[1, 3, 7], [5, 9, 12], [20, 21]]
    assert clusters(30, pairs) == expected
    rng = np.random.default_rng(0)
    for _ in range(5):
        shuffled = pairs[rng.permutation(len(pairs))]
        flipped = np.where(rng.random((len(pairs), 1)) < 0.5, shuffled, shuffled[:, ::-1])
        assert clusters(30, flipped) == expected
    assert clusters(10, np.zeros((0, 2), dtype=np.int64)) == []
    # A chain is one cluster.
    assert clusters(100, np.array([[i, i + 1] for i in range(99)][::-1])) == [list(range(100))]
    with pytest.raises(ValueError, match="pair indices must be in"):
        clusters(5, np.array([[1, 5]]))


def test_verify_edge_cases() -> None:
    texts = ["", "", "a b c d e f g", "a b c d e f g", "hi", "hi"]
    kept = verify(np.array([[0, 1], [2, 3], [4, 5], [0, 2]]), texts, 0.8)
    assert kept.pairs.tolist() == [[2, 3], [4, 5]]
    assert kept.similarity.tolist() == [1.0, 1.0]
    none = verify(np.zeros((0, 2), dtype=np.int64), texts, 0.5)
    assert none.pairs.shape == (0, 2) and none.similarity.shape == (0,)


def test_estimate_matches_row_estimate(planted: tuple[list[str], list[tuple[int, int]]]) -> None:
    texts, _pairs = planted
    sigs = signatures(texts[:10] + texts[400:410])
    p = np.array([[i, i + 10] for i in range(10)])
    np.testing.assert_allclose(estimate(p, sigs), estimated_jaccard(sigs[:10], sigs[10:]))
    np.testing.assert_allclose(estimate(np.array([[0, 0]]), sigs[:10], sigs[10:]),
                               [estimated_jaccard(sigs[0], sigs[10])])


def test_band_keys_validates_shape() -> None:
    sigs = signatures(["a b c"], num_perm=32)
    with pytest.raises(ValueError, match="exceeds the 32 signature columns"):
        band_keys(sigs, 16, 8)
    assert band_keys(sigs, 4, 8).shape == (1, 4)
