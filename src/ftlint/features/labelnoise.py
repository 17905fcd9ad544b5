"""Label-noise detection: out-of-sample class probabilities and confident-learning flags.

:func:`out_of_sample_probabilities` predicts, for every labelled text, the probability of each
class from a model that never saw that text, with numpy alone (no scikit-learn, no scipy: their
import and a fitted vectoriser's vocabulary took several times the memory of the rows themselves):

- **Features**: sublinear TF-IDF of hashed word unigrams and bigrams, L2-normalised
  (``features.embed.TfidfSvdEmbedder`` with words only), fitted once on the texts, and projected
  on the top :data:`DIMS` right singular vectors of that TF-IDF matrix (a randomized SVD of its
  count sketch). An L2-penalised linear model's coefficients lie in the span of its training
  rows, so while a sample has fewer rows than :data:`DIMS` this loses nothing; above, it keeps
  the directions that carry most of the text.
- **Classifier**: a multinomial logistic regression with scikit-learn's objective (mean log-loss
  plus ``|coef|^2 / (2 C n)``, ``C = 10``), minimised by L-BFGS to a gradient below 1e-7
  (:func:`multinomial_logistic_regression`; its optimum is checked against scikit-learn's in
  the test suite). The regularisation is weak (``C=10``): with ``C=1`` a few hundred rows in a
  dozen classes come out nearly uniform, and confident learning needs confident predictions.
- **Out of fold**: the classifier is cross-validated over stratified folds (scikit-learn's
  ``StratifiedKFold(shuffle=True)`` assignment, ``features.drift.stratified_folds``): each row's
  probabilities come from the fold model that did not see it. Above ``max_rows`` texts the
  cross-validation runs on a seeded random sample of ``max_rows`` (the TF-IDF and the SVD are
  fitted on it too); a model fitted on the whole sample then predicts the other texts, which it
  never saw either, straight from their sparse TF-IDF sketches.

The texts are read in batches when needed (three times: two passes of the fit, one of the
projection), never all held; only the probability of each row's label, its most probable class
and that class's probability are kept (:class:`Predictions`), not a rows x classes matrix.
Everything is seeded and summed in a fixed order: the same input gives the same flags.

:func:`label_issues` applies confident learning (Northcutt et al., cleanlab's per-class
thresholds): the threshold of class ``j`` is the mean predicted probability of ``j`` over the
rows labelled ``j``; a row is flagged when its self-confidence (the probability of its given
label) is below its class's threshold, the most probable class is another one, and that class's
probability reaches that class's own threshold (the row is counted off the diagonal of the
confident joint).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from ftlint.cache import Arr, Int, Opt, Rec, Seq, Spec, Str

if TYPE_CHECKING:
    from ftlint.context import Context
    from ftlint.features.embed import TfidfSvdEmbedder

__all__ = ["DIMS", "LabelNoise", "NoWords", "Predictions", "label_issues", "label_noise",
           "multinomial_logistic_regression", "out_of_sample_probabilities"]


class NoWords(ValueError):
    """The texts hold no word to model (all empty, punctuation or symbols): there is nothing to
    predict a label from."""


#: dimensions of the TF-IDF space the classifier works in (the top singular vectors of the sample's TF-IDF)
DIMS: Final[int] = 128
#: word n-grams kept (the most frequent; of equally frequent, the lowest hash), each its own dimension
VOCAB: Final[int] = 1 << 12
#: word n-grams (summed over rows) of the sample whose sketches the SVD is computed from (a seeded
#: sample of the rows beyond): the SVD's working memory stays a few MiB
SVD_NNZ: Final[int] = 1 << 18
#: inverse L2 penalty of the classifier
C: Final[float] = 10.0
#: texts whose TF-IDF entries are multiplied at once (each entry picks a row of ``DIMS`` float64)
_PROJECT_BATCH: Final[int] = 64


@dataclass(frozen=True)
class LabelNoise:
    """Out-of-sample predictions for the labelled rows of a split, and the flags derived from them."""

    rows: npt.NDArray[np.int64]
    """Row positions (in the split) that were modelled."""
    classes: list[str]
    given: npt.NDArray[np.int64]
    """Index into ``classes`` of each modelled row's label."""
    self_confidence: npt.NDArray[np.float32]
    """Out-of-sample probability of each modelled row's own label."""
    suggested: npt.NDArray[np.int32]
    """Index into ``classes`` of each row's most probable class (at ``SCORE_DECIMALS`` decimals)."""
    suggested_confidence: npt.NDArray[np.float32]
    """Its probability."""
    thresholds: npt.NDArray[np.float64]
    """Per-class threshold: mean probability of the class over the rows labelled with it."""
    flagged: npt.NDArray[np.bool_]
    """Rows (aligned with ``rows``) that look mislabelled."""
    cross_validated: int
    """Rows whose probabilities come from cross-validation (the rest: from the sample's model)."""

    @property
    def accuracy(self) -> float:
        """Share of modelled rows whose most probable class is their label."""
        if not self.rows.size:
            return 0.0
        return float(np.mean(self.suggested == self.given))


def _embedder(seed: int) -> TfidfSvdEmbedder:
    """The TF-IDF space of the classifier (``features.embed.TfidfSvdEmbedder``): word 1-2-grams
    only, every kept word (``min_df`` 1, as a fitted vectoriser would), the top :data:`DIMS`
    singular vectors of the sample's TF-IDF."""
    from ftlint.features.embed import TfidfSvdEmbedder

    return TfidfSvdEmbedder(dims=DIMS, char_ngrams=(), word_ngrams=2, n_features=1 << 18, max_bytes=1 << 14,
                            min_df=1, max_vocab=VOCAB, exact=True, svd_nnz=SVD_NNZ, seed=seed, batch_bytes=1 << 15)


_NOT_WORD = re.compile(r"[^\w\s]+")


def _words_only(text: str) -> str:
    """``text`` with what is not a word character or whitespace turned into spaces: the hashed
    n-grams treat every non-ASCII byte as part of a word, so a dash or a curly quote would be one."""
    return text if text.isascii() else _NOT_WORD.sub(" ", text)


class _Texts:
    """The texts of chosen positions of a text source, read when iterated (the fit reads them
    twice, the projection once more; they are never all held)."""

    def __init__(self, read: Callable[[npt.NDArray[np.int64]], Iterable[str]], rows: npt.NDArray[np.int64]) -> None:
        self.read, self.rows = read, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[str]:
        return (_words_only(t) for t in self.read(self.rows))


def _batches(texts: Iterable[str], size: int = _PROJECT_BATCH) -> Iterator[list[str]]:
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _scatter_rows(r: npt.NDArray[np.int64], contrib: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    """Row sums of ``contrib`` (one row per entry, ``r`` the entries' rows, ascending): ``(n, width)``,
    added up in entry order (no BLAS: the same bits on every machine)."""
    out = np.zeros((n, contrib.shape[1]))
    if len(r):
        rows, starts = np.unique(r, return_index=True)
        out[rows] = np.add.reduceat(contrib, starts, axis=0)
    return out


def _project(emb: TfidfSvdEmbedder, texts: Iterable[str], n: int, matrix: npt.NDArray[np.float64],
             offset: npt.NDArray[np.float64] | None = None) -> Iterator[tuple[int, npt.NDArray[np.float64]]]:
    """``(position, sketches @ matrix (+ offset))`` of consecutive batches of ``texts``, multiplied
    sparsely: each text's TF-IDF sketch entries (``TfidfSvdEmbedder.entries``) pick rows of ``matrix``."""
    at = 0
    for batch in _batches(texts):
        r, bucket, v = emb.entries(batch)
        out = _scatter_rows(r, v[:, None] * matrix[bucket], len(batch))
        if offset is not None:
            out += offset
        yield at, out
        at += len(batch)
    if at != n:  # pragma: no cover - a text source that lost rows
        raise RuntimeError(f"read {at} texts of {n}")


def _softmax(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def multinomial_logistic_regression(x: npt.NDArray[np.floating], y: npt.NDArray[np.int64], n_classes: int, *,
                                    C: float = 1.0, rows: npt.NDArray[np.int64] | None = None, tol: float = 1e-7,
                                    max_iter: int = 1000, memory: int = 10, block: int = 1024
                                    ) -> npt.NDArray[np.float64]:
    """``(d + 1, n_classes)`` coefficients (the intercepts in the last row) of an L2-penalised
    multinomial logistic regression on the rows ``rows`` of ``x`` (all by default) with labels
    ``y`` (aligned with ``rows``): scikit-learn's ``LogisticRegression(C=C)`` objective for
    several classes (the mean log-loss of the softmax plus ``|coef|^2 / (2 C n)``, the intercepts
    not penalised), minimised by L-BFGS (``memory`` pairs, backtracking line search) in float64
    until the largest gradient entry is below ``tol`` (``x`` is read ``block`` rows at a time, so
    a float32 ``x`` is never copied whole). The objective is convex, so the probabilities are the
    optimum's (the coefficients of a class every row lacks are not: they go to minus infinity)."""
    n_all, d = x.shape
    idx = np.arange(n_all, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    n = len(idx)
    y = np.asarray(y, dtype=np.int64)
    l2 = 1.0 / (C * n)

    def evaluate(beta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        w, b = beta[:d], beta[d]
        loss = 0.5 * l2 * float(np.sum(w * w))
        grad = np.zeros_like(beta)
        grad[:d] = l2 * w
        for lo in range(0, n, block):
            xb = np.asarray(x[idx[lo:lo + block]], dtype=np.float64)
            yb = y[lo:lo + block]
            z = xb @ w + b
            top = z.max(axis=1, keepdims=True)
            e = np.exp(z - top)
            s = e.sum(axis=1, keepdims=True)
            loss += float(np.sum(np.log(s[:, 0]) + top[:, 0] - z[np.arange(len(yb)), yb])) / n
            e /= s
            e[np.arange(len(yb)), yb] -= 1.0
            e /= n
            grad[:d] += xb.T @ e
            grad[d] += e.sum(axis=0)
        return loss, grad

    beta = np.zeros((d + 1, n_classes))
    loss, grad = evaluate(beta)
    ss: list[npt.NDArray[np.float64]] = []
    ys: list[npt.NDArray[np.float64]] = []
    for _ in range(max_iter):
        if not np.abs(grad).max() > tol:
            break
        # the L-BFGS direction: the two-loop recursion over the last `memory` steps
        q = grad.copy()
        alphas = []
        for s_k, y_k in zip(reversed(ss), reversed(ys), strict=True):
            a = float(np.sum(s_k * q)) / float(np.sum(y_k * s_k))
            alphas.append(a)
            q -= a * y_k
        if ys:
            q *= float(np.sum(ss[-1] * ys[-1])) / float(np.sum(ys[-1] * ys[-1]))
        else:
            q /= max(1.0, float(np.abs(grad).sum()))
        for (s_k, y_k), a in zip(zip(ss, ys, strict=True), reversed(alphas), strict=True):
            q += (a - float(np.sum(y_k * q)) / float(np.sum(y_k * s_k))) * s_k
        slope = float(np.sum(grad * q))
        if not slope > 0:  # not a descent direction (rounding): start again from the gradient
            ss, ys = [], []
            q = grad / max(1.0, float(np.abs(grad).sum()))
            slope = float(np.sum(grad * q))
        t = 1.0
        for _ in range(50):
            new_loss, new_grad = evaluate(beta - t * q)
            if new_loss <= loss - 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            break  # no decrease at float64 precision: at the minimum
        step, change = -t * q, new_grad - grad
        beta, loss, grad = beta + step, new_loss, new_grad
        if float(np.sum(step * change)) > 1e-20:
            ss.append(step)
            ys.append(change)
            if len(ss) > memory:
                ss.pop(0)
                ys.pop(0)
    return beta


def out_of_sample_probabilities(
    texts: Sequence[str] | Callable[[npt.NDArray[np.int64]], Iterable[str]],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    *,
    folds: int = 5,
    seed: int = 0,
    max_rows: int = 10_000,
) -> tuple[Predictions, int]:
    """``(predictions, cross_validated)``: for each text, the probability of its label and of the
    most probable class from a model that did not see it (:class:`Predictions`; see the module
    docstring), and how many rows were cross-validated. ``texts`` is a list, or a function that
    yields the texts of given positions (in order: the texts are read three times, a batch at a
    time, never all held). ``labels`` are class indices in ``range(n_classes)``; every class needs
    at least ``folds`` rows (in the sample, if one is drawn)."""
    from ftlint.features.drift import single_threaded_blas, stratified_folds
    from ftlint.memory import release_free_memory

    if callable(texts):
        read = texts
    else:
        listed = texts
        read = lambda rows: (listed[i] for i in rows.tolist())  # noqa: E731
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if n > max_rows:
        rng = np.random.default_rng(seed)
        # every class keeps at least `folds` rows in the sample (so it can be cross-validated)
        keep = np.zeros(n, dtype=bool)
        for c in range(n_classes):
            members = np.flatnonzero(labels == c)
            keep[rng.choice(members, min(members.size, folds), replace=False)] = True
        rest = np.flatnonzero(~keep)
        keep[rng.choice(rest, max_rows - int(keep.sum()), replace=False)] = True
        sample = np.flatnonzero(keep)
    else:
        sample = np.arange(n, dtype=np.int64)
    emb = _embedder(seed)
    with single_threaded_blas():
        emb.fit(_Texts(read, sample))  # type: ignore[arg-type]  # the fit only takes len() and iterates
        if not len(emb._vocab):
            raise NoWords("the texts have no words to model (all empty, punctuation or symbols)")
        release_free_memory()  # the fit's working arrays, before the sample's projections take their place
        comps_t = np.ascontiguousarray(emb._components.T, dtype=np.float64)  # sketch x dims
        x = np.zeros((len(sample), comps_t.shape[1]), dtype=np.float32)
        for at, part in _project(emb, _Texts(read, sample), len(sample), comps_t):
            x[at:at + len(part)] = part
        y = labels[sample]
        pred = Predictions.empty(n)
        test_fold = stratified_folds(y, folds, seed)
        for f in range(folds):
            te = np.flatnonzero(test_fold == f)
            tr = np.flatnonzero(test_fold != f)
            beta = multinomial_logistic_regression(x, y[tr], n_classes, C=C, rows=tr)
            z = np.asarray(x[te], dtype=np.float64) @ beta[:-1] + beta[-1]
            pred.put(sample[te], _softmax(z), labels[sample[te]])
        if sample.size < n:
            beta = multinomial_logistic_regression(x, y, n_classes, C=C)
            del x
            rest = np.ones(n, dtype=bool)
            rest[sample] = False
            others = np.flatnonzero(rest)  # np.setdiff1d(np.arange(n), sample), without its n-sized sorts
            del rest
            weights = comps_t @ beta[:-1]  # sketch x classes: a text's scores straight from its sketch
            for at, scores in _project(emb, _Texts(read, others), len(others), weights, beta[-1]):
                chunk = others[at:at + len(scores)]
                pred.put(chunk, _softmax(scores), labels[chunk])
    return pred, int(sample.size)


@dataclass
class Predictions:
    """What confident learning needs of each row's predicted probabilities (not the whole
    ``rows x classes`` matrix): the probability of its label, the most probable class (at
    ``SCORE_DECIMALS`` decimals; of equal ones the first) and that class's probability."""

    self_confidence: npt.NDArray[np.float32]
    suggested: npt.NDArray[np.int32]
    suggested_confidence: npt.NDArray[np.float32]

    @classmethod
    def empty(cls, n: int) -> Predictions:
        return cls(np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.float32))

    @classmethod
    def of(cls, probs: npt.NDArray[np.floating], given: npt.NDArray[np.int64]) -> Predictions:
        """The predictions of a whole ``rows x classes`` probability matrix."""
        pred = cls.empty(len(given))
        pred.put(np.arange(len(given)), probs, given)
        return pred

    def put(self, rows: npt.NDArray[np.int64], probs: npt.NDArray[np.floating], given: npt.NDArray[np.int64]) -> None:
        """Record the probabilities (``len(rows) x classes``) of ``rows``, whose labels are ``given``."""
        from ftlint.features.drift import rounded

        p32 = np.asarray(probs, dtype=np.float32)  # the precision they are kept at
        k = np.arange(len(rows))
        best = rounded(p32).argmax(axis=1)
        self.self_confidence[rows] = p32[k, given]
        self.suggested[rows] = best
        self.suggested_confidence[rows] = p32[k, best]


def confident_learning(pred: Predictions, given: npt.NDArray[np.int64], n_classes: int
                       ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """``(flagged, thresholds)``: confident-learning flags of each row and the per-class thresholds
    (see the module docstring), every comparison at ``SCORE_DECIMALS`` decimals."""
    from ftlint.features.drift import rounded

    given = np.asarray(given, dtype=np.int64)
    thresholds = np.ones(n_classes, dtype=np.float64)
    for c in range(n_classes):
        members = given == c
        if members.any():
            thresholds[c] = float(np.mean(pred.self_confidence[members], dtype=np.float64))
    thresholds = rounded(thresholds)
    predicted = pred.suggested.astype(np.int64)
    flagged = (
        (rounded(pred.self_confidence) < thresholds[given])
        & (predicted != given)
        & (rounded(pred.suggested_confidence) >= thresholds[predicted])
    )
    return flagged, thresholds


def label_issues(
    probs: npt.NDArray[np.floating], given: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """``(flagged, thresholds)`` of :func:`confident_learning` from a whole ``rows x classes``
    probability matrix."""
    given = np.asarray(given, dtype=np.int64)
    return confident_learning(Predictions.of(np.asarray(probs, dtype=np.float64), given), given, probs.shape[1])


def label_noise(ctx: Context, split: str, min_per_class: int = 10, max_rows: int = 10_000, folds: int = 5,
                seed: int = 0) -> LabelNoise | None:
    """Out-of-sample predictions for the split's labelled rows (``features.labels.labels``) from a
    TF-IDF + logistic-regression model of their normalised ``rows.input_text``, and confident-
    learning flags (:class:`LabelNoise`). Rows of classes with fewer than ``min_per_class`` rows are
    left out; None when fewer than 2 classes remain. Seeded; cached on disk."""
    from ftlint.features.labels import label_info
    from ftlint.features.rows import normalized_batches

    def compute() -> LabelNoise | None:
        info = ctx.artifact(label_info, split)
        if info is None:
            return None
        counts = info.counts()
        classes = sorted(c for c, k in counts.items() if k >= max(min_per_class, folds))
        if len(classes) < 2:
            return None
        index = {c: k for k, c in enumerate(classes)}
        codes = np.fromiter((index.get(v, -1) for v in info.values), dtype=np.int64,  # type: ignore[arg-type]
                            count=len(info.values))
        rows = np.flatnonzero(codes >= 0).astype(np.int64)
        given = codes[rows]
        del codes

        def read(positions: npt.NDArray[np.int64]) -> Iterator[str]:  # positions into `rows`, ascending
            for _, batch in normalized_batches(ctx, split, "input", rows=rows[positions]):  # type: ignore[arg-type]
                for t in batch:
                    yield t.decode("utf-8", "surrogatepass")

        pred, cv_rows = out_of_sample_probabilities(read, given, len(classes), folds=folds, seed=seed,
                                                    max_rows=max_rows)
        flagged, thresholds = confident_learning(pred, given, len(classes))
        return LabelNoise(rows, classes, given, pred.self_confidence, pred.suggested, pred.suggested_confidence,
                          thresholds, flagged, cv_rows)

    params = {"min_per_class": min_per_class, "max_rows": max_rows, "folds": folds, "seed": seed,
              "model": f"tfidf-svd{DIMS}-lbfgs v1"}
    return ctx.stored("label_noise", split, params, compute, label_noise_schema())


@functools.cache
def label_noise_schema() -> Spec:
    """The declared on-disk schema of :func:`label_noise` (``ftlint.cache``)."""
    i4, i8, f4, f8 = np.int32, np.int64, np.float32, np.float64
    return Spec(Opt(Rec(LabelNoise, rows=Arr(i8, "k", lo=0, hi="n"), classes=Seq(Str, "c"),
                        given=Arr(i8, "k", lo=0, hi="c"), self_confidence=Arr(f4, "k"),
                        suggested=Arr(i4, "k", lo=0, hi="c"), suggested_confidence=Arr(f4, "k"),
                        thresholds=Arr(f8, "c"), flagged=Arr(np.bool_, "k"), cross_validated=Int(0))))
