"""FT4xx: task relevance and drift. Does the training data look like the task it is for?

The rules compare embeddings (``features.relevance.embeddings``: the built-in TF-IDF + SVD, or a
local transformers encoder chosen with ``--embedding-model``) of the training data with a reference
sample of the real task (``--reference``) or with the validation split (``features.relevance.drift``),
and the detected languages of the rows (``features.relevance.languages``). Every number is an
artifact computed through the Context; the rules only decide and explain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.chartspec import ChartSpec, Projection, bars
from ftlint.context import Context
from ftlint.features.drift import describe_auc, low_outliers, two_proportion_p
from ftlint.features.relevance import drift, embeddings, languages, self_similarity
from ftlint.grammar import plural
from ftlint.model import Finding, RowAt, Severity
from ftlint.rule import Need, Rule, Skip

#: rules that embed text (an --embedding-model that cannot be loaded stops the run before them)
EMBEDDING_RULES = ("FT401", "FT402", "FT403")
TEXT_CHOICES = ("prompt", "response", "full")

LANGUAGE_NAMES = {
    "en": "English", "zh": "Chinese", "es": "Spanish", "fr": "French", "de": "German", "ja": "Japanese",
    "ko": "Korean", "ru": "Russian", "pt": "Portuguese", "it": "Italian", "ar": "Arabic", "hi": "Hindi",
    "nl": "Dutch", "tr": "Turkish", "pl": "Polish", "vi": "Vietnamese", "id": "Indonesian", "sv": "Swedish",
    "uk": "Ukrainian", "fa": "Persian", "he": "Hebrew", "th": "Thai", "cs": "Czech", "el": "Greek",
}


def _lang(code: str) -> str:
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


def _check_text(text: str) -> None:
    if text not in TEXT_CHOICES:
        raise Skip(f"option text = {text!r} is not one of {', '.join(TEXT_CHOICES)}",
                   "set text to prompt (what the model is given), response or full")


def _sampled(emb: Any, used: int, name: str) -> str:
    """'999 training rows' or '2,000 of 10,000 sampled training rows' (and empty texts left out)."""
    if emb.sampled:
        return f"{used:,} of {emb.total:,} {name} rows (a seeded sample)"
    return f"{used:,} {name} rows"


def _drift_metrics(r: Any, ea: Any, eb: Any, a: str, b: str) -> dict[str, Any]:
    return {
        "auc": round(r.classifier.auc, 4),
        "auc_std": round(r.classifier.auc_std, 4),
        "folds": r.classifier.folds,
        "mmd2": round(r.mmd.mmd2, 6),
        "mmd_p_value": round(r.mmd.p_value, 6),
        "permutations": r.mmd.permutations,
        "centroid_cosine_distance": round(r.centroid_distance, 4),
        "rows_compared": {a: int(len(r.used_a)), b: int(len(r.used_b))},
        "rows_embedded": {a: len(ea), b: len(eb)},
        "rows_total": {a: ea.total, b: eb.total},
        "backend": ea.backend,
        "model": ea.model,
        "text": ea.text,
        "projection": r.projection,
        "projection_method": "PCA",
        "projection_variance": r.projection_variance,
    }


def _drift_chart(r: Any) -> list[ChartSpec]:
    """The 2-D projection of both samples (the HTML report's scatter plot)."""
    sets = {str(name): tuple((float(p[0]), float(p[1])) for p in pts) for name, pts in r.projection.items()}
    if sum(len(p) for p in sets.values()) < 2:
        return []
    return [Projection(f"Drift: {' vs '.join(sets)}", sets, method="PCA", key="drift",
                       note="Each dot is an example, placed by a 2-D projection (PCA) of its embedding; where one set "
                            "covers ground the other does not, the data has drifted.")]


def _least_covered(ctx: Context, code: str, split: str, emb: Any, used: np.ndarray, coverage: np.ndarray,
                   nearest: np.ndarray, other: str, other_emb: Any, other_used: np.ndarray, show: int,
                   role: str) -> list[RowAt]:
    """The ``show`` rows of ``split`` whose nearest row of ``other`` is least similar."""
    other_ds = ctx.dataset(other)
    rows = []
    for k in np.argsort(coverage, kind="stable")[:show].tolist():
        i = int(emb.rows[used[k]])
        j = int(other_emb.rows[other_used[nearest[k]]])
        rows.append(RowAt(split, i, extra={
            "role": role, "similarity": round(float(coverage[k]), 4),
            f"nearest_{other}_index": int(other_ds.index[j]), f"nearest_{other}_path": other_ds.path(j)}))
    return rows


@dataclass
class _DriftOptions:
    warn_auc: float = 0.75
    error_auc: float = 0.9
    max_p: float = 0.01
    min_rows: int = 20
    text: str = "prompt"
    show: int = 5


_DRIFT_HELP = {
    "warn_auc": "warn when the cross-validated domain-classifier ROC AUC is at least this (and the MMD test rejects)",
    "error_auc": "an error when the AUC is at least this (and the MMD test rejects)",
    "max_p": "the MMD permutation test rejects 'same distribution' below this p-value",
    "min_rows": "rows with text needed on each side to test at all",
    "text": "what is embedded: prompt (what the model is given), response, or full (every turn)",
    "show": "rows listed from each side (least covered first)",
}


def _embedded_pair(ctx: Context, a: str, b: str, opts: Any) -> tuple[Any, Any]:
    _check_text(opts.text)
    ea = ctx.artifact(embeddings, a, text=opts.text)
    eb = ctx.artifact(embeddings, b, text=opts.text)
    na, nb = int(ea.nonzero.sum()), int(eb.nonzero.sum())
    if min(na, nb) < max(opts.min_rows, 2):
        raise Skip(f"too few rows with text to compare {a} ({na:,}) with {b} ({nb:,}); at least "
                   f"{max(opts.min_rows, 2)} on each side are needed",
                   "give a larger sample, or lower min-rows (the test is unreliable below a few dozen rows)")
    return ea, eb


class TaskDrift(Rule):
    """The training data is measurably different from a reference sample of the real task.

    ## What it does
    Embeds the training examples and a reference sample of the task the model is trained for
    (production prompts, the eval set, a hand-collected sample: `--reference`) into one space:
    the built-in TF-IDF of word and character n-grams reduced with an SVD (fitted on a seeded
    sample of 6,000 rows of both sides together) embeds a seeded sample of 10,000 rows per side;
    a local transformers encoder chosen with `--embedding-model` embeds a seeded sample of
    `embedding-sample` rows per side (2,000 by default). A smaller side is embedded whole, and
    the finding says what was sampled. Then it asks two questions:

    - can a classifier tell the two apart? A logistic regression is trained to separate training
      from reference rows; its 5-fold cross-validated ROC AUC is 0.5 when it cannot and 1.0
      when it always can;
    - is the difference significant? The maximum mean discrepancy (MMD, Gaussian kernel) of the
      two samples is compared with 200 random relabellings of the pooled rows.

    It warns when the AUC is at least `warn-auc` (0.75) **and** the permutation p-value is below
    `max-p` (0.01), and reports an error when the AUC is at least `error-auc` (0.9). Both tests
    are out-of-sample or exact, so a random split of one dataset stays near AUC 0.5 even with a
    reference of a few hundred rows. By default the prompt (what the model is given) is
    embedded; `text` = "response" or "full" compares the answers or whole examples instead.

    The finding lists the training rows least like the task and the reference rows least
    covered by the training data (lowest cosine similarity to their nearest neighbour on the
    other side), the centroid cosine distance, and a 2-D projection of both samples (the HTML
    report draws it). Skipped without a reference sample.

    ## Why it matters
    A model learns the distribution it is trained on. A customer-service bot trained on general
    instructions, or on support tickets from another product, is fine-tuned for a task it will not
    see: the run succeeds, the training loss falls, and the model is not better at the job.

    ## Example
    Training on tool-calling conversations (`glaive_toolcall_en_demo.json`) for a task whose real
    prompts are general instructions (`alpaca_en_demo.json`): a classifier separates the two with
    AUC 1.00, and the reference rows least covered are the instructions that no training example
    resembles.

    ## How to fix
    Collect or generate training data that looks like the reference: the reference rows listed
    show what is missing, the training rows listed what is least like the task (filter or
    down-weight such data). If the reference is not representative of the task, give a better one.
    """

    code = "FT401"
    name = "task-drift"
    summary = "The training data differs from a reference sample of the real task"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.REFERENCE})
    escalation = "error_auc"
    option_help = _DRIFT_HELP

    @dataclass
    class Options(_DriftOptions):
        pass

    def check(self, ctx: Context) -> Iterator[Finding]:
        if "train" not in ctx.splits:
            raise Skip("no training split given", "pass the training data as a positional path")
        o = self.options
        ea, eb = _embedded_pair(ctx, "train", "reference", o)
        r = ctx.artifact(drift, "train", "reference", text=o.text)
        auc, p = r.classifier.auc, r.mmd.p_value
        if not (auc >= o.warn_auc and p < o.max_p):
            return
        rows = _least_covered(ctx, self.code, "train", ea, r.used_a, r.coverage_a, r.nearest_a, "reference", eb,
                              r.used_b, o.show, "training row least like the task")
        rows += _least_covered(ctx, self.code, "reference", eb, r.used_b, r.coverage_b, r.nearest_b, "train", ea,
                               r.used_a, o.show, "reference row least covered by training")
        n = ea.total
        yield self.finding(
            f"the training data differs measurably from the reference sample of the task: {describe_auc(auc)}; "
            f"{r.mmd.describe()}; centroid cosine distance {r.centroid_distance:.2f}. Compared "
            f"{_sampled(ea, len(r.used_a), 'training')} with {_sampled(eb, len(r.used_b), 'reference')}, "
            f"embedded with {ea.model}",
            "Collect training examples like the reference: the reference rows listed have no close training "
            "example, the training rows listed are the least like the task (filter or down-weight such data). "
            "If the reference is not representative, give a better one with --reference.",
            rows=rows, affected=n, total=n, split="train", escalate=auc >= o.error_auc,
            metrics={**_drift_metrics(r, ea, eb, "train", "reference"), "warn_auc": o.warn_auc,
                     "error_auc": o.error_auc, "max_p": o.max_p},
            charts=_drift_chart(r),
        )


class OffTopicExamples(Rule):
    """Training examples that are outliers: far from everything in the reference sample (or, without
    one, from every other training example).

    ## What it does
    For each training example (its prompt by default; `text` = "response" or "full" to change),
    takes the cosine similarity of its nearest neighbour in the reference sample (`--reference`),
    or, without a reference, among the other training examples, in the embedding space of FT401.
    Examples whose similarity is far below what is normal for the training set, below
    `median - z x MAD` (z = 4; the MAD scaled to a standard deviation and at least 5% of the
    median), are listed. Without a reference an example must also be isolated: at least
    `isolation` (2) times farther from its nearest neighbour than that neighbour is from its own
    (so a sparser sub-population is not flagged as a whole). With a reference, an example is
    never flagged when it is at least as close to the reference as the reference's own
    `floor-quantile` (5%) least-covered row is to the rest of the reference. Without a reference,
    when the median example's nearest neighbour is closer than `max-median` (0.95) — most examples
    have a near-copy, as in generated tool-calling sets — an example without a copy is not an
    outlier, and the rule is skipped with that reason.

    Above 10,000 training rows (`embedding-sample` rows with an encoder) a seeded sample of that
    many is checked, so the rule takes the same time and memory at a million rows as at 10,000;
    the finding says how many rows were checked of how many.

    ## Why it matters
    A handful of examples about something else (scraped boilerplate, another project's data,
    a pasted log) teach the model behaviour the task never needs, and they are hard to find by
    reading a large file.

    ## Example
    A set of cooking questions with one example that is a shell error log: its nearest neighbour
    shares almost nothing with it, while every cooking question has a close neighbour.

    ## How to fix
    Read the listed rows (most isolated first) and drop those that do not belong to the task, or
    add more examples of their kind if they do.
    """

    code = "FT402"
    name = "off-topic-examples"
    summary = "Training examples far from the reference sample (or from the rest of the data)"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET})
    option_help = {
        "z": "how many (robust) standard deviations below the median similarity an outlier is",
        "isolation": "without a reference: how many times farther from its nearest neighbour an example must be "
                     "than that neighbour is from its own",
        "floor_quantile": "with a reference: never flag an example at least as close to it as this quantile of "
                          "the reference rows' similarity to each other",
        "min_rows": "rows with text needed to look for outliers at all",
        "text": "what is embedded: prompt (what the model is given), response, or full (every turn)",
        "max_median": "without a reference, skip when the median nearest-neighbour similarity is above this (most "
                      "examples have a near-copy)",
    }

    @dataclass
    class Options:
        z: float = 4.0
        isolation: float = 2.0
        floor_quantile: float = 0.05
        min_rows: int = 20
        max_median: float = 0.95
        text: str = "prompt"

    def check(self, ctx: Context) -> Iterator[Finding]:
        if "train" not in ctx.splits:
            raise Skip("no training split given", "pass the training data as a positional path")
        o = self.options
        _check_text(o.text)
        ea = ctx.artifact(embeddings, "train", text=o.text)
        if ctx.reference is not None:
            ea, eb = _embedded_pair(ctx, "train", "reference", o)
            r = ctx.artifact(drift, "train", "reference", text=o.text)
            used, sims, nearest = r.used_a, r.coverage_a, r.nearest_a
            floor = float(np.quantile(r.self_b, o.floor_quantile)) if len(r.self_b) else None
            against = "the reference sample"
        else:
            used, sims, neighbour = ctx.artifact(self_similarity, "train", text=o.text)
            nearest, floor, eb = None, None, None
            against = "the other training examples"
        if len(used) < max(o.min_rows, 3):
            raise Skip(f"too few training rows with text ({len(used):,}) to look for outliers",
                       "lower min-rows, or give more data")
        if ctx.reference is None and float(np.median(sims)) > o.max_median:
            raise Skip(f"most training examples have a near-copy (median nearest-neighbour similarity "
                       f"{float(np.median(sims)):.3f} > {o.max_median:g}): one without a copy is not an outlier",
                       "give a sample of the real task with --reference to look for off-topic examples, and "
                       "deduplicate (FT201/FT202)")
        flagged, threshold = low_outliers(sims, sims, z=o.z, floor=floor)
        if ctx.reference is None:
            # isolated, not merely in a sparser part of the data: an example's distance to its nearest
            # neighbour must be `isolation` times that neighbour's own (a k=1 local outlier factor), so
            # a whole sub-population (e.g. the conversations without tools in a tool-calling set) is not
            flagged &= (1.0 - sims) >= o.isolation * np.maximum(1.0 - sims[neighbour], 0.01)
        idx = np.flatnonzero(flagged)
        if not len(idx):
            return
        ds = ctx.dataset("train")
        rows = []
        for k in idx[np.argsort(sims[idx], kind="stable")].tolist():
            i = int(ea.rows[used[k]])
            extra: dict[str, Any] = {"similarity": round(float(sims[k]), 4)}
            if nearest is not None and eb is not None:
                j = int(eb.rows[r.used_b[nearest[k]]])
                extra["nearest_reference_index"] = int(ctx.dataset("reference").index[j])
            rows.append(RowAt("train", i, extra=extra))
        med = float(np.median(sims))
        checked = (f"{len(used):,} checked (a seeded sample of {len(ea):,} of the {ea.total:,} training rows)"
                   if ea.sampled else _sampled(ea, len(used), "training"))
        yield self.finding(
            f"{plural(len(rows), 'training example')} of {checked} are outliers: their nearest neighbour in "
            f"{against} has cosine similarity below {threshold:.3f} (the median example's is {med:.3f}), "
            f"embedded with {ea.model}",
            "Read the listed rows (most isolated first) and drop those that do not belong to the task; if they "
            "do belong, add more examples like them.",
            rows=rows, total=len(used), split="train",
            metrics={"threshold": round(threshold, 4), "median_similarity": round(med, 4), "z": o.z,
                     "against": "reference" if ctx.reference is not None else "train",
                     "rows_checked": int(len(used)), "rows_embedded": len(ea), "rows_total": ds.__len__(),
                     "sampled": ea.sampled, "backend": ea.backend,
                     "model": ea.model, "text": ea.text},
        )


class SplitDrift(Rule):
    """Training and validation (or test) splits come from different distributions.

    ## What it does
    Runs the two-sample tests of FT401 (cross-validated domain-classifier ROC AUC and the MMD
    permutation test, in the same embedding space) between the training split and the
    validation split, and between training and test. It warns when the AUC is at least
    `warn-auc` (0.75) and the permutation p-value is below `max-p` (0.01), and lists the
    evaluation rows least covered by the training data. Categorical differences (record format,
    label set, system prompts, template markers) are FT106's.

    ## Why it matters
    A validation split from another distribution does not measure what training optimises: its
    loss can rise while the model gets better at the training task (or fall while it gets
    worse), so early stopping and checkpoint selection follow noise.

    ## Example
    Training on customer-support chats and validating on general trivia questions: a classifier
    separates the two with AUC 0.98.

    ## How to fix
    Split one dataset at random (or by group), or build the validation set from the same source
    and with the same pipeline as the training data. If the validation set is the real task and
    the training data is not, fix the training data instead (FT401 with `--reference`).
    """

    code = "FT403"
    name = "split-drift"
    summary = "Train and validation/test splits come from different distributions"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.VALIDATION})
    option_help = {k: v for k, v in _DRIFT_HELP.items() if k != "error_auc"}

    @dataclass
    class Options:
        warn_auc: float = 0.75
        max_p: float = 0.01
        min_rows: int = 20
        text: str = "prompt"
        show: int = 5

    def check(self, ctx: Context) -> Iterator[Finding]:
        if "train" not in ctx.splits:
            raise Skip("no training split given", "pass the training data as a positional path")
        o = self.options
        tested = 0
        for split in ("validation", "test"):
            if split not in ctx.splits:
                continue
            try:
                ea, eb = _embedded_pair(ctx, split, "train", o)
            except Skip:
                continue
            tested += 1
            r = ctx.artifact(drift, split, "train", text=o.text)
            auc, p = r.classifier.auc, r.mmd.p_value
            if not (auc >= o.warn_auc and p < o.max_p):
                continue
            rows = _least_covered(ctx, self.code, split, ea, r.used_a, r.coverage_a, r.nearest_a, "train", eb,
                                  r.used_b, o.show, f"{split} row least covered by training")
            yield self.finding(
                f"the {split} split comes from a different distribution than train: {describe_auc(auc)}; "
                f"{r.mmd.describe()}; centroid cosine distance {r.centroid_distance:.2f}. Compared "
                f"{_sampled(ea, len(r.used_a), split)} with {_sampled(eb, len(r.used_b), 'training')}, "
                f"embedded with {ea.model}",
                f"Build the {split} split from the same source as the training data (a random or grouped split of "
                "one dataset); the rows listed are the least like anything in training.",
                rows=rows, affected=ea.total, total=ea.total, split=split,
                metrics={**_drift_metrics(r, ea, eb, split, "train"), "warn_auc": o.warn_auc, "max_p": o.max_p},
                charts=_drift_chart(r),
            )
        if not tested:
            raise Skip(f"too few rows with text in the evaluation split(s) (at least {max(o.min_rows, 2)} needed)",
                       "give a larger validation split, or lower min-rows")


class LanguageMismatch(Rule):
    """The language mix of the training data differs from the reference sample's.

    ## What it does
    Detects the language of every example of the training data and of the reference sample
    (`--reference`) offline, with py3langid (a naive-Bayes byte n-gram model of 97 languages
    that ships inside the package; a seeded sample of `sample` rows, 20,000, per side). Texts
    with fewer than `min-chars` (20) letters or a detection confidence below `min-confidence`
    (0.5) count as undetermined and are left out. A language whose share of the determined rows
    differs between the two by at least `min-difference` (10 percentage points), significantly
    (two-proportion test, p < 0.01), is reported: over-represented in training (the listed rows
    are the training rows in it) or missing from it.

    ## Why it matters
    A model fine-tuned on 20% Chinese examples for an English-only product spends a fifth of its
    updates on a language it will not be asked in, and may answer English prompts in Chinese;
    a reference with 30% Spanish users and no Spanish training data gets a model that was never
    tuned for a third of its traffic.

    ## Example
    A training set with 10 Chinese and 30 English instructions against an all-English reference.

    ## How to fix
    Filter the training data to the reference's languages, or collect (or translate) examples
    for the languages the reference has and training lacks.
    """

    code = "FT404"
    name = "language-mismatch"
    summary = "The training data's language mix differs from the reference sample's"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.REFERENCE})
    option_help = {
        "min_difference": "smallest difference between a language's share in train and in the reference reported",
        "max_p": "the two-proportion test must reject 'same share' below this p-value",
        "min_confidence": "detections less confident than this count as undetermined",
        "min_chars": "texts with fewer letters than this are undetermined",
        "min_rows": "rows with a determined language needed on each side",
        "sample": "rows per side whose language is detected (a seeded sample)",
    }

    @dataclass
    class Options:
        min_difference: float = 0.10
        max_p: float = 0.01
        min_confidence: float = 0.5
        min_chars: int = 20
        min_rows: int = 20
        sample: int = 20_000

    def check(self, ctx: Context) -> Iterator[Finding]:
        if "train" not in ctx.splits:
            raise Skip("no training split given", "pass the training data as a positional path")
        o = self.options
        kw = {"sample": o.sample, "min_confidence": o.min_confidence, "min_chars": o.min_chars}
        lt, lr = ctx.artifact(languages, "train", **kw), ctx.artifact(languages, "reference", **kw)
        nt, nr = lt.determined, lr.determined
        if min(nt, nr) < o.min_rows:
            raise Skip(f"too few rows with a detectable language (train {nt:,}, reference {nr:,}; "
                       f"{o.min_rows} needed on each side)",
                       "texts shorter than min-chars letters are not classified; give more or longer examples")
        st, sr = lt.shares(), lr.shares()
        over: dict[str, list[float]] = {}
        under: dict[str, list[float]] = {}
        for lang in sorted(set(st) | set(sr)):
            a, b = st.get(lang, 0.0), sr.get(lang, 0.0)
            if abs(a - b) < o.min_difference:
                continue
            if two_proportion_p(round(a * nt), nt, round(b * nr), nr) >= o.max_p:
                continue
            (over if a > b else under)[lang] = [round(a, 4), round(b, 4)]
        if not over and not under:
            return
        parts = [f"{_lang(k)} is {v[0]:.0%} of training rows but {v[1]:.0%} of the reference"
                 for k, v in sorted(over.items(), key=lambda kv: kv[1][1] - kv[1][0])]
        parts += [f"{_lang(k)} is {v[1]:.0%} of the reference but {v[0]:.0%} of training rows"
                  for k, v in sorted(under.items(), key=lambda kv: kv[1][0] - kv[1][1])]
        rows = [RowAt("train", int(i), extra={"language": c, "confidence": round(float(conf), 3)})
                for i, c, conf in zip(lt.rows.tolist(), lt.codes, lt.confidence.tolist()) if c in over]
        sampled = f" (a seeded sample of {len(lt.rows):,} of {lt.total:,})" if len(lt.rows) < lt.total else ""
        yield self.finding(
            "the language mix of the training data differs from the reference: " + "; ".join(parts)
            + f" (languages of {nt:,} training rows{sampled} and {nr:,} reference rows, detected offline)",
            ("Filter the training data to the reference's languages (the rows listed are the training rows in "
             "over-represented languages)" if over else "Collect or translate training examples")
            + (", and add examples in the languages training lacks." if under else "."),
            rows=rows, affected=len(rows) if over else lt.total, total=lt.total, split="train",
            metrics={"over_represented": over, "under_represented": under,
                     "shares_train": {k: round(v, 4) for k, v in list(st.items())[:10]},
                     "shares_reference": {k: round(v, 4) for k, v in list(sr.items())[:10]},
                     "determined": {"train": nt, "reference": nr},
                     "rows_detected": {"train": len(lt.rows), "reference": len(lr.rows)},
                     "detector": "py3langid"},
            charts=bars("language shares", {"train": {k: round(v, 4) for k, v in list(st.items())[:10]},
                                            "reference": {k: round(v, 4) for k, v in list(sr.items())[:10]}},
                        values="share", label="share of the rows whose language was determined"),
        )
