"""Two-sample drift measures on embeddings: pure functions of two matrices of row vectors.

Each answers "do the rows of ``a`` and the rows of ``b`` come from the same distribution?" in its
own way, and each comes with a sentence that says what its number means:

- :func:`domain_classifier_test`: a logistic-regression classifier is trained to tell the rows of
  ``a`` from the rows of ``b``; its cross-validated ROC AUC is 0.5 when it cannot (the samples are
  indistinguishable) and 1.0 when it always can.
- :func:`mmd_test`: the unbiased squared maximum mean discrepancy with a Gaussian (RBF) kernel
  (bandwidth by the median heuristic), with a permutation p-value: the share of random
  relabellings of the pooled rows whose MMD is at least as large as the observed one.
- :func:`centroid_cosine_distance`: 1 - cosine similarity of the two mean vectors.
- :func:`nearest_similarity`: for each query row, the cosine similarity of its nearest rows in a
  base set (coverage: how well the base set covers each query), and :func:`low_outliers`, the
  robust rule that flags the queries far less covered than is normal.

numpy is all they need (the logistic regression is written here and solved by Newton's method:
importing scikit-learn, which pulls in pandas and pyarrow, or scipy's optimiser would take more
memory than the drift rules themselves), and every step works in blocks whose size does not
depend on the data: the MMD's kernel matrix is never held whole.
Inputs are float matrices ``(n, d)``; rows are expected L2-normalised for the cosine measures.

**Determinism.** Every score that is ranked or compared with a threshold (similarities,
classifier scores, the projection) is computed in float64 and rounded to :data:`SCORE_DECIMALS`
decimals (:func:`rounded`) before it is sorted or compared; ties then break by position (the
rows are in (path, index) order). A float32 matrix product differs in its last bits with the
BLAS kernel (Haswell, SkylakeX, Prescott...) and with a row's position in the block, so two
copies of one text would otherwise rank by chance, differently on each machine.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ClassifierTest",
    "DriftResult",
    "MMDTest",
    "SCORE_DECIMALS",
    "centroid_cosine_distance",
    "compare",
    "domain_classifier_test",
    "logistic_regression",
    "describe_auc",
    "low_outliers",
    "mmd_test",
    "nearest_similarity",
    "pca_2d",
    "rounded",
    "single_threaded_blas",
    "stratified_folds",
    "subsample",
    "two_proportion_p",
]

FloatArray = npt.NDArray[np.floating]

#: decimals every ranked or thresholded score is rounded to (see the module docstring)
SCORE_DECIMALS = 6
#: elements of one block of similarities (``nearest_similarity``) or kernel values (``mmd_test``):
#: 512k float64 = 4 MiB
BLOCK_ELEMENTS = 1 << 19


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the enclosed block with BLAS on one thread. The products and decompositions here are
    small (a few thousand rows by 128): on a busy machine OpenBLAS's threads spin waiting for a
    core and a 800 x 138 QR takes a second instead of 5 ms; one thread is also one summation
    order, so no result depends on the thread count."""
    try:
        from threadpoolctl import threadpool_limits  # covers every BLAS loaded when the block starts
    except ImportError:  # pragma: no cover - a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def rounded(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``x`` as float64, rounded to :data:`SCORE_DECIMALS` decimals (the precision at which scores
    are compared: equal texts get equal scores on every machine)."""
    return np.asarray(x, dtype=np.float64).round(SCORE_DECIMALS)


def subsample(n: int, k: int | None, seed: int = 0) -> npt.NDArray[np.int64]:
    """Sorted positions of a seeded random sample of ``k`` of ``range(n)`` (all when ``k`` is None
    or at least ``n``)."""
    if k is None or k >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)


# -- domain classifier ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierTest:
    """A domain-classifier two-sample test: can a classifier tell ``a``'s rows from ``b``'s?"""

    auc: float  #: cross-validated ROC AUC (pooled out-of-fold scores); 0.5 = indistinguishable
    auc_std: float  #: standard deviation of the per-fold AUCs
    folds: int
    n_a: int
    n_b: int
    #: out-of-fold probability that each row belongs to ``b``: ``scores_a`` for the rows of ``a``
    #: used (in the order of ``rows_a``), ``scores_b`` likewise
    scores_a: FloatArray
    scores_b: FloatArray
    rows_a: npt.NDArray[np.int64]
    rows_b: npt.NDArray[np.int64]

    def describe(self) -> str:
        return describe_auc(self.auc)


def describe_auc(auc: float) -> str:
    """What a domain-classifier AUC means, in plain words."""
    if auc >= 0.95:
        how = "almost always"
    elif auc >= 0.85:
        how = "usually"
    elif auc >= 0.7:
        how = "often"
    elif auc >= 0.6:
        how = "somewhat more often than chance"
    else:
        how = "no better than chance"
    return (f"ROC AUC {auc:.2f}: given one example of each, a classifier picks the right one {how} "
            f"({auc:.0%} of pairs; 50% = indistinguishable, 100% = always)")


def _auc(y: npt.NDArray[np.int8], s: FloatArray) -> float:
    """ROC AUC with ties counted half (Mann-Whitney U), labels 0/1; scores compared at
    :data:`SCORE_DECIMALS` decimals."""
    s = rounded(s)  # rows with equal vectors tie exactly, whatever the BLAS kernel
    pos = y == 1
    n1 = int(pos.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], len(s)]
    avg = (starts + ends + 1) / 2.0  # 1-based average rank of each tie block
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def stratified_folds(y: npt.NDArray[np.integer], folds: int, seed: int) -> npt.NDArray[np.int32]:
    """The test fold of each row: scikit-learn's ``StratifiedKFold(folds, shuffle=True,
    random_state=seed)`` assignment, reproduced (each class dealt round-robin over the folds,
    then shuffled with ``RandomState(seed)``, class by class in order of first appearance)."""
    y = np.asarray(y)
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    _, class_perm = np.unique(first, return_inverse=True)
    encoded = class_perm[inverse.ravel()]
    order = np.sort(encoded)
    n_classes = len(first)
    allocation = np.asarray([np.bincount(order[i::folds], minlength=n_classes) for i in range(folds)])
    rng = np.random.RandomState(seed)
    test_folds = np.empty(len(y), dtype=np.int32)
    for k in range(n_classes):
        per_class = np.arange(folds).repeat(allocation[:, k])
        rng.shuffle(per_class)
        test_folds[encoded == k] = per_class
    return test_folds


def logistic_regression(x: FloatArray, y: npt.NDArray[np.integer], *, C: float = 1.0,
                        max_iter: int = 100, block: int = 4096) -> FloatArray:
    """Coefficients (the intercept last) of an L2-penalised logistic regression with balanced class
    weights: scikit-learn's ``LogisticRegression(C=C, class_weight="balanced")`` objective (the
    mean weighted log-loss plus ``|coef|^2 / (2 C n)``, the intercept not penalised), minimised
    by Newton's method with a backtracking line search, in float64 (``x`` is read ``block`` rows
    at a time, so a float32 ``x`` is never copied whole). The objective is strictly convex, so
    this is its one minimum, to float64 precision."""
    n, d = x.shape
    target = (np.asarray(y) == 1).astype(np.float64)
    counts = np.array([n - target.sum(), target.sum()])
    sw = (n / (2.0 * counts))[target.astype(np.int64)]
    sw /= sw.sum()
    l2 = 1.0 / (C * n)

    def evaluate(beta: FloatArray, hessian: bool) -> tuple[float, FloatArray, FloatArray | None]:
        loss = 0.5 * l2 * float(beta[:d] @ beta[:d])
        grad = np.zeros(d + 1)
        grad[:d] = l2 * beta[:d]
        hess = None
        if hessian:
            hess = np.zeros((d + 1, d + 1))
            hess[np.arange(d), np.arange(d)] = l2
        for lo in range(0, n, block):
            xb = np.asarray(x[lo:lo + block], dtype=np.float64)
            t, w = target[lo:lo + block], sw[lo:lo + block]
            z = xb @ beta[:d] + beta[d]
            loss += float(w @ (np.logaddexp(0.0, z) - t * z))
            p = _sigmoid(z)
            point = w * (p - t)
            grad[:d] += xb.T @ point
            grad[d] += point.sum()
            if hess is not None:
                h = w * p * (1.0 - p)
                hess[:d, :d] += (xb * h[:, None]).T @ xb
                hx = xb.T @ h
                hess[:d, d] += hx
                hess[d, :d] += hx
                hess[d, d] += h.sum()
        return loss, grad, hess

    beta = np.zeros(d + 1)
    loss, grad, hess = evaluate(beta, True)
    for _ in range(max_iter):
        assert hess is not None
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        decrement = float(grad @ step)
        if not decrement > 1e-20:  # converged (the squared Newton decrement, in units of the loss)
            break
        t = 1.0
        for _ in range(60):
            new_loss = evaluate(beta - t * step, False)[0]
            if new_loss <= loss - 1e-4 * t * decrement:
                break
            t *= 0.5
        else:
            break  # no decrease at float64 precision: at the minimum
        beta = beta - t * step
        loss, grad, hess = evaluate(beta, True)
    return beta


def _sigmoid(z: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def domain_classifier_test(a: FloatArray, b: FloatArray, *, folds: int = 5, seed: int = 0,
                           max_rows: int | None = 5000, C: float = 1.0) -> ClassifierTest:
    """Cross-validated ROC AUC of a logistic regression that tells ``a``'s rows from ``b``'s.

    At most ``max_rows`` rows of each side are used (a seeded sample). The rows are used as they
    are (embeddings share one scale); they are *not* standardised per feature: that would blow up
    the many low-variance components (an SVD's tail, noise) to the weight of the few that carry
    the topic, and a linear model on 40 + 40 rows then separates cooking questions from billing
    questions with AUC 0.81 instead of 1.00. ``C`` is the inverse L2 penalty; classes are
    weighted to balance (:func:`logistic_regression`), folds stratified (:func:`stratified_folds`).
    The AUC is computed on the pooled out-of-fold scores, so every row is scored by a model that
    never saw it: overfitting cannot make two samples of one distribution look different (their
    AUC stays near 0.5, or below).
    """
    ra = subsample(len(a), max_rows, seed)
    rb = subsample(len(b), max_rows, seed + 1)
    n_a, n_b = len(ra), len(rb)
    k = min(folds, n_a, n_b)
    if k < 2:
        raise ValueError(f"need at least 2 rows on each side (got {n_a} and {n_b})")
    x = np.vstack([np.asarray(a)[ra], np.asarray(b)[rb]])  # float32 embeddings stay float32 (read in float64)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    y = np.r_[np.zeros(n_a, dtype=np.int8), np.ones(n_b, dtype=np.int8)]
    scores = np.zeros(len(y), dtype=np.float64)
    fold_aucs = []
    test_fold = stratified_folds(y, k, seed)
    for f in range(k):
        te = np.flatnonzero(test_fold == f)
        tr = np.flatnonzero(test_fold != f)
        beta = logistic_regression(x[tr], y[tr], C=C)
        scores[te] = rounded(_sigmoid(x[te].astype(np.float64) @ beta[:-1] + beta[-1]))
        fold_aucs.append(_auc(y[te], scores[te]))
    return ClassifierTest(
        auc=_auc(y, scores), auc_std=float(np.std(fold_aucs)), folds=k, n_a=n_a, n_b=n_b,
        scores_a=scores[:n_a], scores_b=scores[n_a:], rows_a=ra, rows_b=rb,
    )


# -- maximum mean discrepancy --------------------------------------------------------------------


@dataclass(frozen=True)
class MMDTest:
    """Unbiased squared MMD (RBF kernel) with a permutation p-value."""

    mmd2: float
    p_value: float  #: (1 + #permutations with MMD >= observed) / (1 + permutations)
    permutations: int
    gamma: float  #: the RBF kernel's gamma: k(x, y) = exp(-gamma * |x - y|^2)
    n_a: int
    n_b: int

    def describe(self) -> str:
        verdict = "the samples differ" if self.p_value < 0.01 else "no significant difference"
        return (f"MMD² {self.mmd2:.4f}, permutation p {_p(self.p_value, self.permutations)} "
                f"({verdict}: {self.permutations} random relabellings of the pooled rows)")


def _p(p: float, permutations: int) -> str:
    floor = 1.0 / (permutations + 1)
    return f"< {floor * 1.0001:.3g}" if p <= floor else f"= {p:.3g}"


def _sq_dist_blocks(z: FloatArray, rows: int) -> Iterator[tuple[int, FloatArray]]:
    """The squared distances between the rows of ``z`` (float64), ``rows`` rows of the distance
    matrix at a time: ``(first row, block)``. The same blocks every time (same products)."""
    sq = np.einsum("ij,ij->i", z, z)
    zt = np.ascontiguousarray(z.T)
    for lo in range(0, len(z), rows):
        d = z[lo:lo + rows] @ zt
        d *= -2.0
        d += sq[lo:lo + rows, None]
        d += sq[None, :]
        np.maximum(d, 0.0, out=d)
        yield lo, d


def _pair_distances(z: FloatArray, rows: int) -> Iterator[FloatArray]:
    """The squared distances of the pairs i < j of the rows of ``z``, row after row (views)."""
    for lo, d in _sq_dist_blocks(z, rows):
        for r in range(len(d)):
            yield d[r, lo + r + 1:]


#: pair distances sampled to bracket their median (:func:`_median_pair_distance`)
MEDIAN_SAMPLE = 1 << 16


def _median_pair_distance(z: FloatArray, rows: int) -> float:
    """``np.median`` of the squared distances of the pairs i < j of the rows of ``z``, the same
    float, without holding the n(n-1)/2 of them (16 MiB for 2,000 rows). A first pass keeps every
    k-th distance (about :data:`MEDIAN_SAMPLE`), whose order statistics bracket the median; a
    second counts the distances below the bracket and keeps those inside it (a few percent), and
    the middle one or two are read off them. If the bracket missed (it cannot on ordinary data:
    it spans 8 standard errors of the sample's quantile), the distances are held and
    ``np.median`` is taken of them, as before."""
    total = len(z)
    m = total * (total - 1) // 2
    k1, k2 = (m - 1) // 2, m // 2  # the middle ranks (equal when m is odd)
    stride = max(1, m // MEDIAN_SAMPLE)
    picks, at = [], 0
    for v in _pair_distances(z, rows):
        picks.append(v[(-at) % stride::stride].copy())
        at += len(v)
    sample = np.sort(np.concatenate(picks))
    del picks
    centre = int(k1 * len(sample) // m)
    margin = int(4 * np.sqrt(len(sample))) + 8
    lo = sample[centre - margin] if centre - margin >= 0 else -np.inf
    hi = sample[centre + margin] if centre + margin < len(sample) else np.inf
    below, inside = 0, []
    for v in _pair_distances(z, rows):
        below += int(np.count_nonzero(v < lo))
        inside.append(v[(v >= lo) & (v <= hi)])
    kept = np.sort(np.concatenate(inside))
    del inside
    if below <= k1 and k2 < below + len(kept):
        middle = kept[k1 - below:k2 - below + 1]
    else:  # pragma: no cover - the bracket missed: hold them all
        middle = np.partition(np.concatenate(list(_pair_distances(z, rows))), [k1, k2])[k1:k2 + 1]
        middle = middle[:1] if k1 == k2 else middle
    return float(np.mean(middle))  # np.median's last step: the mean of the middle one or two


def mmd_test(a: FloatArray, b: FloatArray, *, permutations: int = 200, seed: int = 0,
             max_rows: int | None = 1000, gamma: float | None = None) -> MMDTest:
    """Unbiased MMD² between ``a`` and ``b`` (Gaussian kernel) and its permutation p-value.

    ``gamma`` defaults to the median heuristic on the pooled rows (1 / median squared distance
    between two different rows). At most ``max_rows`` rows of each side are used (a seeded
    sample). The permutations are evaluated together (``K @ W`` for a matrix ``W`` of random
    labellings), with the kernel matrix ``K`` computed a block of rows at a time and never held
    whole: 200 permutations of 2 x 1000 rows take well under a second and a few MiB.
    """
    ra = subsample(len(a), max_rows, seed)
    rb = subsample(len(b), max_rows, seed + 1)
    n, m = len(ra), len(rb)
    if n < 2 or m < 2:
        raise ValueError(f"need at least 2 rows on each side (got {n} and {m})")
    z = np.vstack([np.asarray(np.asarray(a)[ra], dtype=np.float64), np.asarray(np.asarray(b)[rb], dtype=np.float64)])
    total_rows = n + m
    rows = max(1, min(total_rows, BLOCK_ELEMENTS // total_rows))
    if gamma is None:
        med = _median_pair_distance(z, rows)
        gamma = 1.0 / med if med > 0 else 1.0
    # every labelling at once: column 0 the observed one (1 for the rows of the first sample), then
    # the random relabellings (the same draws, in the same order, as one at a time)
    w = np.zeros((total_rows, 1 + permutations))
    w[:n, 0] = 1.0
    rng = np.random.default_rng(seed)
    for j in range(permutations):
        w[rng.permutation(total_rows)[:n], 1 + j] = 1.0
    kw = np.empty_like(w)
    rowsum = np.empty(total_rows)
    diag = np.empty(total_rows)
    for lo, d in _sq_dist_blocks(z, rows):
        d *= -gamma
        k = np.exp(d, out=d)
        hi = lo + len(k)
        kw[lo:hi] = k @ w
        rowsum[lo:hi] = k.sum(axis=1)
        diag[lo:hi] = k[np.arange(len(k)), np.arange(lo, hi)]
    total = float(rowsum.sum())
    trace = float(diag.sum())
    sxx = np.einsum("ij,ij->j", w, kw)  # sum over pairs within the first sample (diagonal incl.)
    sxy = rowsum @ w - sxx
    syy = total - sxx - 2.0 * sxy
    dx = diag @ w
    dy = trace - dx
    stats = (sxx - dx) / (n * (n - 1)) + (syy - dy) / (m * (m - 1)) - 2.0 * sxy / (n * m)
    observed = float(stats[0])
    exceed = int(np.count_nonzero(stats[1:] >= observed - 1e-12))
    p = (1 + exceed) / (1 + permutations)
    return MMDTest(mmd2=observed, p_value=float(p), permutations=permutations, gamma=float(gamma), n_a=n, n_b=m)


# -- centroids and nearest neighbours ------------------------------------------------------------


def centroid_cosine_distance(a: FloatArray, b: FloatArray) -> float:
    """1 - cosine similarity of the mean rows of ``a`` and ``b`` (0 = same direction)."""
    ca = np.asarray(a, dtype=np.float64).mean(axis=0)
    cb = np.asarray(b, dtype=np.float64).mean(axis=0)
    na, nb = float(np.linalg.norm(ca)), float(np.linalg.norm(cb))
    if na == 0.0 or nb == 0.0:
        return 1.0
    return float(1.0 - np.dot(ca, cb) / (na * nb))


def nearest_similarity(queries: FloatArray, base: FloatArray, *, k: int = 1, same: bool = False,
                       self_index: npt.NDArray[np.int64] | None = None,
                       chunk: int | None = None) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """For each query row, the mean cosine similarity of its ``k`` most similar rows of ``base``,
    and the position in ``base`` of the most similar one.

    Rows are expected L2-normalised (so a dot product is the cosine). With ``same`` the queries
    are the base itself and each row's own entry is left out (leave-one-out); ``self_index``
    does the same when the base is a subset of the queries: the position in ``base`` of each
    query row (-1 when it is not in the base). Similarities are computed in float64 and rounded
    to :data:`SCORE_DECIMALS` decimals; of equally similar base rows the first is the nearest.
    Computed in blocks of ``chunk`` queries (default: as many as keep a block within
    :data:`BLOCK_ELEMENTS`) against :data:`BASE_COLUMNS` base rows at a time (each slice's
    float64 copy made once), so memory stays at ``chunk x BASE_COLUMNS`` floats plus ``k`` per
    query, whatever the sizes of the two sets. With ``k > 1`` the ``k`` best similarities are
    averaged in ascending order.
    """
    q = np.asarray(queries)
    base = np.asarray(base)
    nq, nb = len(q), len(base)
    if same:
        self_index = np.arange(nq, dtype=np.int64)
    excluding = self_index is not None and bool(np.any(self_index >= 0))
    kk = min(k, nb - (1 if excluding else 0))
    if kk < 1:
        raise ValueError("the base set is too small for a nearest-neighbour search")
    width = BASE_COLUMNS
    if chunk is None:
        chunk = max(1, min(4096, BLOCK_ELEMENTS // max(min(nb, width), 1)))
    sims = np.full(nq, -np.inf)
    nearest = np.zeros(nq, dtype=np.int64)
    top = np.full((nq, kk), -np.inf) if kk > 1 else None
    with single_threaded_blas():
        for c0 in range(0, nb, width):  # the base a slice of rows at a time: one float64 copy of a slice
            c1 = min(nb, c0 + width)
            xt = np.empty((base.shape[1] if base.ndim == 2 else 0, c1 - c0), dtype=np.float64)
            xt[...] = base[c0:c1].T
            _nearest_blocks(q, xt, c0, sims, nearest, top, self_index if excluding else None, chunk)
            del xt
    if top is not None:
        top.sort(axis=1)  # the k best in one order, so their mean does not depend on how they were found
        sims = top.mean(axis=1)
    return rounded(sims), nearest


#: base rows (``nearest_similarity``) multiplied at once: their float64 copy takes 2 MiB at 128
#: dimensions, and the BLAS packs no more than that, however large the base
BASE_COLUMNS = 2048


def _nearest_blocks(q: FloatArray, xt: FloatArray, c0: int, sims: FloatArray, nearest: npt.NDArray[np.int64],
                    top: FloatArray | None, self_index: npt.NDArray[np.int64] | None, chunk: int) -> None:
    """Fold the base rows ``c0`` to ``c0 + xt.shape[1]`` (columns of ``xt``) into each query's
    best similarity and its position (``sims``, ``nearest``: a later slice replaces them only
    when strictly better, so of equal maxima the lowest position stays) and, for k > 1, its k
    best similarities (``top``)."""
    nq, nb = len(q), xt.shape[1]
    for s in range(0, nq, chunk):
        e = min(s + chunk, nq)
        block = np.asarray(q[s:e], dtype=np.float64) @ xt
        np.round(block, SCORE_DECIMALS, out=block)
        if self_index is not None:
            own = self_index[s:e] - c0
            hit = np.flatnonzero((own >= 0) & (own < nb))
            block[hit, own[hit]] = -np.inf
        best = np.argmax(block, axis=1)  # the first of equal maxima: the lowest base position
        value = block[np.arange(e - s), best]
        better = value > sims[s:e]
        sims[s:e] = np.where(better, value, sims[s:e])
        nearest[s:e] = np.where(better, best + c0, nearest[s:e])
        if top is not None:
            kk = top.shape[1]
            both = np.concatenate([top[s:e], block], axis=1)
            top[s:e] = np.partition(both, both.shape[1] - kk, axis=1)[:, both.shape[1] - kk:]


def low_outliers(scores: FloatArray, normal: FloatArray, *, z: float = 4.0,
                 floor: float | None = None) -> tuple[npt.NDArray[np.bool_], float]:
    """Which ``scores`` are far below what is ``normal``: below ``median - z * scale`` of
    ``normal``, where scale is the median absolute deviation (x 1.4826, the standard deviation
    of a normal distribution), floored at 5% of the median so that a very uniform set does not
    flag ordinary rows. Returns the mask and the threshold (also capped by ``floor``, if given:
    never flag a score at or above it).
    """
    normal = np.asarray(normal, dtype=np.float64)
    med = float(np.median(normal))
    mad = float(np.median(np.abs(normal - med))) * 1.4826
    scale = max(mad, 0.05 * abs(med), 1e-6)
    threshold = med - z * scale
    if floor is not None:
        threshold = min(threshold, floor)
    return np.asarray(scores) < threshold, float(threshold)


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value that two binomial proportions ``k1/n1`` and ``k2/n2`` are equal
    (pooled z-test with continuity correction; 1.0 when undefined)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    p = (k1 + k2) / (n1 + n2)
    if p in (0.0, 1.0):
        return 1.0
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    diff = abs(k1 / n1 - k2 / n2) - 0.5 * (1 / n1 + 1 / n2)
    if diff <= 0:
        return 1.0
    return float(math.erfc(diff / se / math.sqrt(2)))


# -- everything the drift rules report about two sets of embeddings ------------------------------------


def _signs(v: FloatArray) -> FloatArray:
    """+1 or -1 per row of ``v``: the sign that makes the row's largest entry (in absolute value,
    at :data:`SCORE_DECIMALS` decimals; the first of equals) positive, 1 for a zero row. A
    singular vector's sign is arbitrary; this fixes it the same way on every machine."""
    v = rounded(v)
    if v.size == 0:
        return np.ones(len(v))
    top = v[np.arange(len(v)), np.argmax(np.abs(v), axis=1)]
    return np.where(top < 0, -1.0, 1.0)



def pca_2d(x: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    """Project the rows of ``x`` on its first two principal components: ``(mean, components (2, d),
    share of the variance they explain)``."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    centered = x - mean
    if len(x) < 2 or not np.any(centered):
        return mean, np.zeros((2, x.shape[1])), 0.0
    _, sing, vt = np.linalg.svd(centered, full_matrices=False)
    comps = np.zeros((2, x.shape[1]))
    comps[: min(2, len(vt))] = vt[:2]
    comps *= _signs(comps)[:, None]  # the sign of a singular vector is arbitrary (and kernel-dependent)
    total = float((sing ** 2).sum())
    return mean, comps, float((sing[:2] ** 2).sum() / total) if total > 0 else 0.0


@dataclass(frozen=True)
class DriftResult:
    """Set ``a`` (e.g. train) compared with set ``b`` (e.g. the reference): the two-sample tests,
    and per row how well the other set covers it. Row positions are those of the embeddings
    (``Embeddings.rows[used_a]`` are the rows of the split)."""

    classifier: ClassifierTest
    mmd: MMDTest
    centroid_distance: float
    #: positions (in the embeddings of each side) of the rows compared: non-empty texts
    used_a: npt.NDArray[np.int64]
    used_b: npt.NDArray[np.int64]
    #: for each used row of ``a``: cosine similarity of its nearest row of ``b`` and that row
    coverage_a: FloatArray
    nearest_a: npt.NDArray[np.int64]
    #: for each used row of ``b``: similarity of its nearest row of ``a``
    coverage_b: FloatArray
    nearest_b: npt.NDArray[np.int64]
    #: similarity of a row of ``b`` to its nearest *other* row of ``b`` (how close the set's own
    #: examples are to each other), for a seeded sample of ``b``'s used rows
    self_b: FloatArray
    #: a 2-D PCA projection of a seeded sample of both sides, and the variance it explains
    projection: dict[str, list[list[float]]]
    projection_variance: float

    @property
    def verdict_text(self) -> str:
        return (f"{self.classifier.describe()}; {self.mmd.describe()}; "
                f"centroid cosine distance {self.centroid_distance:.3f}")


def compare(a: FloatArray, b: FloatArray, *, names: tuple[str, str] = ("a", "b"), seed: int = 0,
            max_classifier_rows: int = 5000, max_mmd_rows: int = 1000, permutations: int = 200,
            projection_points: int = 600) -> DriftResult:
    """Run every drift measure on the non-empty rows (non-zero vectors) of ``a`` and ``b``."""
    with single_threaded_blas():
        return _compare(a, b, names=names, seed=seed, max_classifier_rows=max_classifier_rows,
                        max_mmd_rows=max_mmd_rows, permutations=permutations, projection_points=projection_points)


def _compare(a: FloatArray, b: FloatArray, *, names: tuple[str, str], seed: int, max_classifier_rows: int,
             max_mmd_rows: int, permutations: int, projection_points: int) -> DriftResult:
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    used_a = np.flatnonzero(np.any(a != 0, axis=1)).astype(np.int64)
    used_b = np.flatnonzero(np.any(b != 0, axis=1)).astype(np.int64)
    xa = a if len(used_a) == len(a) else a[used_a]  # no copy when every row has text
    xb = b if len(used_b) == len(b) else b[used_b]
    clf = domain_classifier_test(xa, xb, seed=seed, max_rows=max_classifier_rows)
    mmd = mmd_test(xa, xb, seed=seed, max_rows=max_mmd_rows, permutations=permutations)
    cov_a, near_a = nearest_similarity(xa, xb)
    cov_b, near_b = nearest_similarity(xb, xa)
    sb = xb[subsample(len(xb), max_classifier_rows, seed + 2)]  # a distribution: a sample is enough
    self_b, _ = nearest_similarity(sb, sb, same=True) if len(sb) > 1 else (np.ones(len(sb)), None)
    pa, pb = xa[subsample(len(xa), projection_points, seed)], xb[subsample(len(xb), projection_points, seed + 1)]
    mean, comps, var = pca_2d(np.vstack([pa, pb]))

    def project(x: FloatArray) -> list[list[float]]:
        return np.round((x - mean) @ comps.T, 4).tolist()

    return DriftResult(clf, mmd, centroid_cosine_distance(xa, xb), used_a, used_b, cov_a, near_a, cov_b,
                       near_b, np.asarray(self_b, dtype=np.float64),
                       {names[0]: project(pa), names[1]: project(pb)}, round(var, 4))
