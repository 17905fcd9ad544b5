"""Label-noise detection: out-of-sample class probabilities and confident-learning flags.

:func:`out_of_sample_probabilities` predicts, for every labelled text, the probability of each
class from a model that never saw that text: TF-IDF (word unigrams and bigrams, sublinear tf)
fitted once on the texts, then ``cross_val_predict`` of a ``LogisticRegression(solver="saga")``
over stratified folds (performance.md section 6: fitting the vectoriser once and cross-validating
only the classifier is the fastest variant, with the same detection quality). Above
``max_rows`` texts the cross-validation runs on a seeded random sample of ``max_rows`` (the
vectoriser is fitted on it too); a model fitted on the whole sample then predicts the other
texts, which it never saw either, in batches. The regularisation is weak (``C=10``): with the
default ``C=1`` a few hundred rows in a dozen classes come out nearly uniform (out-of-fold
accuracy 0.48 on the 200 DBpedia samples of the corpus, against 0.78 with ``C=10``), and
confident learning needs confident predictions. Everything is seeded: the same input gives the
same probabilities.

:func:`label_issues` applies confident learning (Northcutt et al., cleanlab's per-class
thresholds): the threshold of class ``j`` is the mean predicted probability of ``j`` over the
rows labelled ``j``; a row is flagged when its self-confidence (the probability of its given
label) is below its class's threshold, the most probable class is another one, and that class's
probability reaches that class's own threshold (the row is counted off the diagonal of the
confident joint).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from ftlint.cache import Arr, Int, Opt, Rec, Seq, Spec, Str

if TYPE_CHECKING:
    from ftlint.context import Context

__all__ = ["LabelNoise", "NoWords", "label_issues", "label_noise", "out_of_sample_probabilities"]


class NoWords(ValueError):
    """The texts hold no word to model (all empty, punctuation or symbols): there is nothing to
    predict a label from."""

#: Texts predicted at once when the model trained on a sample scores the other texts.
_PREDICT_BATCH: Final[int] = 50_000


@dataclass(frozen=True)
class LabelNoise:
    """Out-of-sample probabilities of the labelled rows of a split, and the flags derived from them."""

    rows: npt.NDArray[np.int64]
    """Row positions (in the split) that were modelled."""
    classes: list[str]
    given: npt.NDArray[np.int64]
    """Index into ``classes`` of each modelled row's label."""
    probs: npt.NDArray[np.float32]
    """``(len(rows), len(classes))`` out-of-sample probabilities."""
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
        return float(np.mean(self.probs.argmax(axis=1) == self.given))


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), max_features=1 << 18, dtype=np.float32,
                           lowercase=False, token_pattern=r"(?u)\b\w+\b")


def _classifier(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(solver="saga", C=10.0, max_iter=200, tol=1e-3, random_state=seed)


def out_of_sample_probabilities(
    texts: Sequence[str],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    *,
    folds: int = 5,
    seed: int = 0,
    max_rows: int = 50_000,
) -> tuple[npt.NDArray[np.float32], int]:
    """``(probs, cross_validated)``: probabilities of each class for each text from a model that did
    not see it (see the module docstring), and how many rows were cross-validated. ``labels``
    are class indices in ``range(n_classes)``; every class needs at least ``folds`` rows (in the
    sample, if one is drawn)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    n = len(texts)
    labels = np.asarray(labels, dtype=np.int64)
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
        sample = np.arange(n)
    probs = np.zeros((n, n_classes), dtype=np.float32)
    vec = _vectorizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            x = vec.fit_transform([texts[i] for i in sample.tolist()])
        except ValueError as e:  # sklearn: "empty vocabulary; perhaps the documents only contain stop words"
            if "empty vocabulary" not in str(e):
                raise
            raise NoWords("the texts have no words to model (all empty, punctuation or symbols)") from None
        y = labels[sample]
        present = np.unique(y)  # classes of the sample (all of them, by construction)
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        oof = cross_val_predict(_classifier(seed), x, y, cv=cv, method="predict_proba")
        probs[np.ix_(sample, present)] = oof
        if sample.size < n:
            model = _classifier(seed).fit(x, y)
            others = np.setdiff1d(np.arange(n), sample)
            for lo in range(0, others.size, _PREDICT_BATCH):
                part = others[lo:lo + _PREDICT_BATCH]
                p = model.predict_proba(vec.transform([texts[i] for i in part.tolist()]))
                probs[np.ix_(part, model.classes_)] = p
    return probs, int(sample.size)


def label_issues(
    probs: npt.NDArray[np.floating], given: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """``(flagged, thresholds)``: confident-learning flags of each row and the per-class thresholds
    (see the module docstring)."""
    from ftlint.features.drift import rounded

    n, k = probs.shape
    thresholds = np.zeros(k, dtype=np.float64)
    for c in range(k):
        members = given == c
        thresholds[c] = float(np.mean(probs[members, c], dtype=np.float64)) if members.any() else 1.0
    thresholds = rounded(thresholds)  # every comparison at SCORE_DECIMALS decimals
    self_conf = rounded(probs[np.arange(n), given])
    predicted = np.zeros(n, dtype=np.int64)  # of equal probabilities, the first class (sorted names)
    for lo in range(0, n, 65536):
        predicted[lo:lo + 65536] = rounded(probs[lo:lo + 65536]).argmax(axis=1)
    flagged = (
        (self_conf < thresholds[given])
        & (predicted != given)
        & (rounded(probs[np.arange(n), predicted]) >= thresholds[predicted])
    )
    return flagged, thresholds


def label_noise(ctx: Context, split: str, min_per_class: int = 10, max_rows: int = 50_000, folds: int = 5,
                seed: int = 0) -> LabelNoise | None:
    """Out-of-sample class probabilities of the split's labelled rows (``features.labels.labels``)
    from a TF-IDF + logistic-regression model of their normalised ``rows.input_text``, and confident-
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
        rows = np.array([i for i, v in enumerate(info.values) if v in index], dtype=np.int64)
        given = np.array([index[info.values[i]] for i in rows.tolist()], dtype=np.int64)
        texts = [t.decode("utf-8", "surrogatepass")
                 for _, batch in normalized_batches(ctx, split, "input", rows=rows.tolist()) for t in batch]
        probs, cv_rows = out_of_sample_probabilities(texts, given, len(classes), folds=folds, seed=seed,
                                                     max_rows=max_rows)
        flagged, thresholds = label_issues(probs, given)
        return LabelNoise(rows, classes, given, probs, thresholds, flagged, cv_rows)

    params = {"min_per_class": min_per_class, "max_rows": max_rows, "folds": folds, "seed": seed}
    return ctx.stored("label_noise", split, params, compute, label_noise_schema())


@functools.cache
def label_noise_schema() -> Spec:
    """The declared on-disk schema of :func:`label_noise` (``ftlint.cache``)."""
    i8, f4, f8 = np.int64, np.float32, np.float64
    return Spec(Opt(Rec(LabelNoise, rows=Arr(i8, "k", lo=0, hi="n"), classes=Seq(Str, "c"),
                        given=Arr(i8, "k", lo=0, hi="c"), probs=Arr((f4, f8), "k", "c"), thresholds=Arr(f8, "c"),
                        flagged=Arr(np.bool_, "k"), cross_validated=Int(0))))
