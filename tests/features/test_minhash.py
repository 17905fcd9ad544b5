from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash

from ftlint.features import minhash
from ftlint.features.minhash import (
    EMPTY_HASH,
    estimated_jaccard,
    exact_jaccard,
    lean_minhash,
    permutations,
    shingle_hash,
    shingle_hash64,
    shingle_hashes,
    shingle_set,
    shingles,
    signatures,
)


def _vocab(rng: np.random.Generator, size: int = 3000) -> list[str]:
    letters = list("abcdefghijklmnopqrstuvwxyzéüß")
    return ["".join(rng.choice(letters, int(rng.integers(2, 9)))) for _ in range(size)]


def _texts(seed: int, n: int, lo: int = 20, hi: int = 120) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng)
    p = 1.0 / (np.arange(len(vocab)) + 2.7) ** 1.07
    p /= p.sum()
    return [" ".join(rng.choice(vocab, int(rng.integers(lo, hi)), p=p)) for _ in range(n)]


def _edit(text: str, rng: np.random.Generator, k: int) -> str:
    words = text.split()
    for _ in range(k):
        op = rng.random()
        pos = int(rng.integers(len(words)))
        if op < 0.5:
            words[pos] = "zzedit" + str(int(rng.integers(1_000_000)))
        elif op < 0.75:
            words.insert(pos, "zzins" + str(int(rng.integers(1_000_000))))
        elif len(words) > 6:
            del words[pos]
    return " ".join(words)


EDGE_TEXTS = [
    "",
    " ",
    "\n\t ",
    "a",
    "hi",
    "abcde",
    "abcdef",
    "two words",
    "four words in here",
    "exactly five words right here",
    "héllo wörld ünïcode ß 日本語",
    "日本語のテキスト",
    "emoji 🙂 test",
]


def _datasketch_row(text: str, num_perm: int, seed: int, ngram: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    sh = shingles(text, ngram)
    if sh:
        m.update_batch(sh)
    return m.hashvalues


@pytest.mark.parametrize(("num_perm", "seed", "ngram"), [(128, 1, 5), (64, 7, 3), (16, 42, 1)])
def test_bit_identical_to_datasketch_with_shingle_hash(num_perm: int, seed: int, ngram: int) -> None:
    texts = _texts(0, 40, lo=1, hi=60) + EDGE_TEXTS
    sigs = signatures(texts, num_perm=num_perm, ngram=ngram, seed=seed)
    assert sigs.dtype == np.uint32
    assert sigs.shape == (len(texts), num_perm)
    for text, row in zip(texts, sigs, strict=True):
        np.testing.assert_array_equal(row, _datasketch_row(text, num_perm, seed, ngram))


def test_documents_longer_than_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minhash, "_BLOCK_ELEMENTS", 128 * 40)  # 40 shingles per block
    texts = _texts(8, 12, lo=1, hi=150)
    for text, row in zip(texts, signatures(texts), strict=True):
        np.testing.assert_array_equal(row, _datasketch_row(text, 128, 1, 5))


def test_update_one_by_one_matches_too() -> None:
    text = _texts(1, 1)[0]
    m = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash)
    for sh in shingles(text):
        m.update(sh)
    np.testing.assert_array_equal(m.hashvalues, signatures([text])[0])


def test_permutations_are_datasketchs() -> None:
    for num_perm, seed in [(128, 1), (256, 3), (7, 0)]:
        a, b = permutations(num_perm, seed)
        ref = MinHash(num_perm=num_perm, seed=seed).permutations
        np.testing.assert_array_equal(a, ref[0])
        np.testing.assert_array_equal(b, ref[1])


def test_lean_minhash_accepts_rows_and_agrees_with_row_estimate() -> None:
    base = _texts(2, 10)
    rng = np.random.default_rng(2)
    texts = base + [_edit(t, rng, 3) for t in base]
    sigs = signatures(texts)
    for i in range(10):
        a = LeanMinHash(seed=1, hashvalues=sigs[i], scheme="affine32")
        b = lean_minhash(sigs[i + 10], seed=1)
        assert a.jaccard(b) == pytest.approx(float(estimated_jaccard(sigs[i], sigs[i + 10])))
        np.testing.assert_array_equal(a.hashvalues, sigs[i])


def test_estimate_close_to_exact_jaccard_on_near_duplicates() -> None:
    rng = np.random.default_rng(3)
    base = _texts(3, 150, lo=100, hi=300)
    copies = [_edit(t, rng, int(rng.integers(1, 8))) for t in base]
    sigs = signatures(base + copies)
    est = estimated_jaccard(sigs[:150], sigs[150:])
    exact = np.array([exact_jaccard(a, b) for a, b in zip(base, copies, strict=True)])
    err = est - exact
    assert 0.5 < exact.mean() < 0.99
    assert abs(err.mean()) < 0.01  # unbiased
    assert np.sqrt(np.mean(err**2)) < 0.05  # theory: sqrt(J(1-J)/128) <= 0.044
    # Unrelated texts estimate near zero.
    assert estimated_jaccard(sigs[:75], sigs[75:150]).max() < 0.1


def test_empty_and_whitespace_texts_get_the_empty_signature() -> None:
    sigs = signatures(["", "   ", "\n\t", "real text here"], num_perm=32)
    assert (sigs[:3] == EMPTY_HASH).all()
    assert not (sigs[3] == EMPTY_HASH).all()
    np.testing.assert_array_equal(sigs[0], MinHash(num_perm=32, seed=1).hashvalues)
    assert signatures([], num_perm=32).shape == (0, 32)


def test_short_texts_use_character_ngrams() -> None:
    assert shingles("two words", ngram=5, char_ngram=5) == [b"two w", b"wo wo", b"o wor", b" word", b"words"]
    assert shingles("hi") == [b"hi"]
    assert shingles("abcde") == [b"abcde"]
    assert shingles("") == []
    assert shingles("a b c d e f") == [b"a b c d e", b"b c d e f"]
    assert shingles("日本語のテ", char_ngram=3) == [s.encode() for s in ("日本語", "本語の", "語のテ")]
    sigs = signatures(["two words", "two wordz", "hi", "hi"])
    assert 0 < estimated_jaccard(sigs[0], sigs[1]) < 1
    np.testing.assert_array_equal(sigs[2], sigs[3])


def test_whitespace_does_not_change_shingles() -> None:
    canonical = ["a b c d e f g", "two words", "x"]
    messy = [" a  b\tc\nd e   f g ", "two \r\n words", "\fx\v"]
    np.testing.assert_array_equal(signatures(canonical), signatures(messy))
    np.testing.assert_array_equal(signatures(canonical), signatures(messy, batch_size=1))
    with_empty = ["", "a  b", "", "", " c d ", ""]
    np.testing.assert_array_equal(signatures(with_empty), signatures([" ".join(t.split()) for t in with_empty]))
    for c, m in zip(canonical, messy, strict=True):
        assert shingles(c) == shingles(m)


def test_shingle_hash_is_32_bit_and_consistent() -> None:
    for sh in [b"", b"a", b"a b c d e", "ü日".encode()]:
        h = shingle_hash(sh)
        assert 0 <= h < 2**32
        h64 = shingle_hash64(sh)
        assert h == (h64 ^ (h64 >> 32)) & 0xFFFFFFFF
    assert shingle_hash(b"a") != shingle_hash(b"a\x00")


def test_shingle_hashes_are_the_sets_of_64_bit_hashes() -> None:
    texts = _texts(4, 20, lo=1, hi=30) + EDGE_TEXTS + ["a a a a a a a a a"]
    values, offsets = shingle_hashes(texts, batch_size=7)
    assert offsets.shape == (len(texts) + 1,)
    for i, text in enumerate(texts):
        expected = sorted({shingle_hash64(s) for s in shingles(text)})
        assert values[offsets[i] : offsets[i + 1]].tolist() == expected


def test_exact_jaccard() -> None:
    a = "one two three four five six seven"
    assert exact_jaccard(a, a) == 1.0
    assert exact_jaccard(a, "eight nine ten eleven twelve thirteen") == 0.0
    assert exact_jaccard("", "") == 0.0
    assert exact_jaccard(a, "one two three four five six eight") == pytest.approx(2 / 4)
    assert exact_jaccard(a, "one two three four five six eight", ngram=2) == pytest.approx(5 / 7)
    assert shingle_set("a b c d e a b c d e") == {b"a b c d e", b"b c d e a", b"c d e a b", b"d e a b c", b"e a b c d"}


def test_deterministic_and_independent_of_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts(5, 60, lo=1, hi=80) + EDGE_TEXTS
    ref = signatures(texts)
    np.testing.assert_array_equal(ref, signatures(texts))
    np.testing.assert_array_equal(ref, signatures(texts, batch_size=1))
    np.testing.assert_array_equal(ref, signatures(texts, batch_size=9))
    np.testing.assert_array_equal(ref, signatures(tuple(texts)))
    monkeypatch.setattr(minhash, "PARALLEL_MIN_ROWS", 10)
    np.testing.assert_array_equal(ref, signatures(texts, workers=2, batch_size=5))
    np.testing.assert_array_equal(ref, signatures(texts, workers=3))


def test_seed_changes_signatures() -> None:
    texts = _texts(6, 3)
    assert not np.array_equal(signatures(texts, seed=1), signatures(texts, seed=2))


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="ngram"):
        signatures(["a"], ngram=0)
    with pytest.raises(ValueError, match="num_perm"):
        signatures(["a"], num_perm=0)
    with pytest.raises(ValueError, match="char_ngram"):
        shingles("a", char_ngram=0)
