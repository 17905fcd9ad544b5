"""FT006 (labels whose spelling varies) and the FT3xx label-quality rules: conflicting labels, likely
mislabelled rows, preference-pair problems, near-duplicate conflicts."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.schema import PROMPT_MISMATCH
from ftlint.features.duplicates import near_duplicates
from ftlint.features.labelnoise import label_noise
from ftlint.features.labels import LabelInfo, label_info
from ftlint.features.rows import input_hashes, input_text, preference_hashes
from ftlint.findings import snippet
from ftlint.grammar import plural
from ftlint.model import Finding, RowAt, Severity
from ftlint.rule import Need, Rule, Skip
from ftlint.rules.duplicates import duplicate_chart


def label_key(value: str) -> str:
    """What two spellings of one label share: NFKC, case-folded, whitespace collapsed."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return " ".join(value.casefold().split())


class InconsistentLabelFormat(Rule):
    """One label spelled several ways: `Positive`, `positive`, ` positive`.

    ## What it does
    Groups the labels of every split (a label column, KTO labels, or the short responses of a
    generative classification dataset, taken as written) by their case-folded, whitespace-
    collapsed form, and reports every group with more than one spelling. The most common
    spelling across all splits is taken as the canonical one; `rows` lists the rows that use
    another, each with its `canonical` spelling in `extra`, and `metrics.groups` lists every
    variant with its count. A variant used only in the validation or test split is reported
    there: the model was never trained on it.

    ## Why it matters
    A classifier (or a model trained to answer with a label) sees `Positive` and `positive` as
    two different classes: the examples of one class are split between them, each half looks
    rarer than it is, and evaluation by exact match marks correct answers wrong.

    ## Example
    ```
    {"text": "great film", "label": "positive"}
    {"text": "loved it", "label": "Positive"}
    {"text": "dull", "label": "negative "}
    ```

    ## How to fix
    Map every variant to its canonical spelling (the `canonical` of each row) before training,
    and normalise labels where the data is produced.
    """

    code = "FT006"
    name = "inconsistent-labels-format"
    summary = "The same label spelled differently (case or whitespace)"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})

    def _raw_labels(self, ctx: Context, split: str) -> list[str | None] | None:
        info = ctx.artifact(label_info, split)
        if info is None:
            return None
        if not info.generative:
            return list(info.values)
        ds = ctx.dataset(split)  # generative labels are normalised; the variants are in the responses
        return [ds.response(i) if v is not None else None for i, v in enumerate(info.values)]

    def check(self, ctx: Context) -> Iterator[Finding]:
        per_split: dict[str, list[str | None]] = {}
        for split in ctx.splits:
            values = self._raw_labels(ctx, split)
            if values is not None:
                per_split[split] = values
        totals: Counter[str] = Counter()
        first_seen: dict[str, int] = {}
        for values in per_split.values():
            for v in values:
                if v is not None:
                    totals[v] += 1
                    first_seen.setdefault(v, len(first_seen))
        groups: dict[str, list[str]] = {}
        for v in totals:
            groups.setdefault(label_key(v), []).append(v)
        variants = {k: sorted(vs, key=lambda v: (-totals[v], first_seen[v]))
                    for k, vs in groups.items() if len(vs) > 1}
        if not variants:
            return
        canonical = {v: vs[0] for vs in variants.values() for v in vs}
        group_list: list[dict[str, Any]] = [{"canonical": vs[0], "variants": {v: totals[v] for v in vs}}
                                             for vs in sorted(variants.values(), key=lambda vs: first_seen[vs[0]])]
        for split, values in per_split.items():
            rows: list[RowAt] = []
            seen: Counter[str] = Counter()
            for i, v in enumerate(values):
                if v is None or v not in canonical or canonical[v] == v:
                    continue
                seen[v] += 1
                rows.append(RowAt(split, i, text=f"label {v!r} (canonical {canonical[v]!r})",
                                    extra={"label": v, "canonical": canonical[v],
                                           "reason": f"label {v!r} is spelled {canonical[v]!r} elsewhere"}))
            if not rows:
                continue
            shown = "; ".join(
                " / ".join(f"{v!r} ({n:,})" for v, n in g["variants"].items())
                for g in group_list[:5]
            )
            more = f" and {len(group_list) - 5} more groups" if len(group_list) > 5 else ""
            yield self.finding(
                f"{len(rows):,} {split} row{'s' if len(rows) != 1 else ''} spell a label differently from its most "
                f"common spelling: {shown}{more}",
                "Map every variant to its canonical spelling (each row's `canonical`) before training, and "
                "normalise labels where the data is produced.",
                rows=rows, total=len(values), split=split,
                metrics={"groups": group_list, "variant_rows": dict(seen)},
                charts=bars("variant rows", {split: seen}),
            )


def _ref(ds: Dataset, i: int) -> dict[str, Any]:
    return {"path": ds.path(i), "index": int(ds.index[i]), "line": ds.line_of(i)}


def labels_disagree(label_sets: Iterable[set[int]]) -> bool:
    """Whether two of the inputs' label sets share no label. Only the distinct sets are compared:
    a cluster of thousands of templated inputs has a handful of them, so this stays linear in the
    cluster's size (comparing every pair of inputs was quadratic)."""
    sets = list({frozenset(s) for s in label_sets})
    return any(not (a & b) for x, a in enumerate(sets) for b in sets[x + 1:])


def _groups_by_key(keys: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
    """Rows (ascending) sharing a key, for keys held by 2 or more of ``rows``; ordered by first row."""
    if rows.size < 2:
        return []
    order = np.lexsort((rows, keys[rows]))
    sk = keys[rows][order]
    cuts = np.flatnonzero(sk[1:] != sk[:-1]) + 1
    groups = [g for g in np.split(rows[order], cuts) if g.size > 1]
    return sorted(groups, key=lambda g: int(g[0]))


def _label_ids(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Integer label per row (-1: none) and the labels, in order of first appearance."""
    index: dict[str, int] = {}
    ids = np.fromiter((-1 if v is None else index.setdefault(v, len(index)) for v in values),
                      dtype=np.int64, count=len(values))
    return ids, list(index)


class ConflictingLabels(Rule):
    """The same input with different labels.

    ## What it does
    Groups the rows of each split by their normalised input (NFKC, case-folded, whitespace
    collapsed) and reports every group whose rows carry different labels:

    - classification data (a label column, or chat/instruction data whose short responses are
      labels): the same text, or the same prompt (every turn before the final assistant turn),
      with different labels;
    - KTO data: the same prompt and completion marked both desirable (`true`) and undesirable
      (`false`);
    - preference data: two pairs with the same prompt whose chosen and rejected sides are swapped.

    `rows` lists every row of every conflicting group, each with its `label` and `group`;
    `metrics.groups` lists each group's rows and label counts. Near-identical inputs with
    different labels are FT304's.

    ## Why it matters
    The model is trained to give two different answers to one input: the examples cancel out,
    the loss cannot go to zero, and the model learns the majority (or a coin flip) instead of
    the rule. Conflicts usually come from merged annotators, changed guidelines, or a label
    column that was shuffled apart from its texts.

    ## Example
    ```
    {"text": "the package arrived broken", "label": "negative"}
    {"text": "The  package arrived BROKEN", "label": "negative"}
    {"text": "the package arrived broken", "label": "positive"}
    ```

    ## How to fix
    Decide the right label for each group (re-annotate, or take the majority when annotators
    disagree) and keep one row per input; for preference pairs keep the orientation that is
    right.
    """

    code = "FT301"
    name = "conflicting-labels"
    summary = "The same normalised input with different labels"
    severity = Severity.ERROR

    def check(self, ctx: Context) -> Iterator[Finding]:
        applicable = False
        for split in ctx.splits:
            ds = ctx.dataset(split)
            info = ctx.artifact(label_info, split)
            if info is not None:
                applicable = True
                yield from self._labels(ctx, split, ds, info)
            pref = np.fromiter((bool(r) and ds.kind_of(i) == "preference" for i, r in enumerate(ds.roles)),
                               dtype=bool, count=len(ds))
            if pref.any():
                applicable = True
                yield from self._swaps(ctx, split, ds, np.flatnonzero(pref))
        if not applicable:
            raise Skip(f"{Need.LABELS.reason} and no preference pairs", Need.LABELS.enable)

    def _labels(self, ctx: Context, split: str, ds: Dataset, info: LabelInfo) -> Iterator[Finding]:
        ids, names = _label_ids(info.values)
        keys = ctx.artifact(input_hashes, split)
        conflicts = [g for g in _groups_by_key(keys, np.flatnonzero(ids >= 0)) if len(set(ids[g].tolist())) > 1]
        if not conflicts:
            return
        rows: list[RowAt] = []
        groups: list[dict[str, Any]] = []
        for k, g in enumerate(conflicts):
            counts = Counter(names[int(x)] for x in ids[g])
            labels = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
            groups.append({"rows": [[ds.path(int(i)), int(ds.index[i])] for i in g], "labels": labels})
            for i in g.tolist():
                rows.append(RowAt(split, i, text=snippet(input_text(ds, i)), extra={
                    "label": names[int(ids[i])], "group": k, "labels": labels}))
        first = groups[0]
        example = " / ".join(f"{v!r} x{c}" for v, c in first["labels"].items())
        what = "prompt and completion" if ds.kind_of(int(conflicts[0][0])) == "kto" else "input"
        yield self.finding(
            f"{plural(len(rows), split + ' row')} in {plural(len(conflicts), 'group')} give the same {what} "
            f"different labels (first: {example}); labels from {info.source}",
            "Decide the right label for each group (re-annotate, or take the majority of annotators) and keep one "
            "row per input; every row of every group is listed.",
            rows=rows, total=len(ds), split=split,
            metrics={"groups": groups, "group_count": len(conflicts)},
        )

    def _swaps(self, ctx: Context, split: str, ds: Dataset, pref: np.ndarray) -> Iterator[Finding]:
        chosen, rejected = ctx.artifact(preference_hashes, split)
        prompts = ctx.artifact(input_hashes, split)
        seen: dict[tuple[int, int, int], list[int]] = {}
        for i in pref.tolist():
            c, r = int(chosen[i]), int(rejected[i])
            if c and r and c != r:
                seen.setdefault((int(prompts[i]), c, r), []).append(i)
        groups: list[tuple[list[int], list[int]]] = []
        for (p, c, r), these in seen.items():
            if c < r and (p, r, c) in seen:
                groups.append((these, seen[(p, r, c)]))
        if not groups:
            return
        groups.sort(key=lambda g: min(g[0][0], g[1][0]))
        rows: list[RowAt] = []
        for k, (a, b) in enumerate(groups):
            if b[0] < a[0]:
                a, b = b, a
            for mine, theirs in ((a, b), (b, a)):
                for i in mine:
                    rows.append(RowAt(split, i, extra={
                        "group": k, "swapped_with": _ref(ds, theirs[0])}))
        rows.sort(key=lambda r: (r.extra["group"], int(ds.index[r.position])))
        yield self.finding(
            f"{plural(len(rows), split + ' preference pair')} in {plural(len(groups), 'group')} have the same prompt "
            "with chosen and rejected swapped",
            "Keep the orientation that is right for each group (check the annotation) and drop the other rows.",
            rows=rows, total=len(ds), split=split,
            metrics={"groups": [[[ds.path(i), int(ds.index[i])] for i in sorted(a + b)] for a, b in groups],
                     "group_count": len(groups)},
            charts=duplicate_chart(ds, f"Conflicting labels in {split}", [sorted(a + b) for a, b in groups], split,
                                   len(rows) / len(ds) if len(ds) else 0.0),
        )


class LikelyMislabeled(Rule):
    """Rows whose label a model trained on the rest of the data confidently disagrees with.

    ## What it does
    For classification data (a label column, or chat/instruction data whose short responses are
    labels) with at least `min-rows` (200) labelled rows in classes of at least `min-per-class`
    (10) rows, predicts every row's label with a model that never saw it: TF-IDF of the
    normalised input (word unigrams and bigrams, the 4,096 most frequent, sublinear tf), projected
    on its top 128 singular vectors, and a multinomial logistic regression (scikit-learn's
    objective, `C = 10`, solved to convergence by L-BFGS), 5-fold stratified cross-validation,
    seeded. numpy only: no scikit-learn or scipy is imported. It then applies confident learning (cleanlab's per-class
    thresholds): a class's threshold is the mean predicted probability of that class over the
    rows labelled with it, and a row is flagged when the probability of its own label is below
    its class's threshold while another class is the most probable and reaches its own
    threshold. Each row shows `given_label`, `suggested_label` and `self_confidence`.

    The classifier must know enough to call a label wrong: when its out-of-fold accuracy does not
    close at least a third of the gap between always answering the largest class and 100% (76%
    is not enough when 65% of the rows are 5-star reviews), the rule is skipped and says so. When
    the labels are a rating scale (consecutive integers such as 1-5 stars), a neighbouring score
    (4 for 5) is a judgement call and is not flagged.

    Above `max-rows` (10,000) labelled rows the cross-validation runs on a seeded random sample
    of that size and a model fitted on the sample predicts the other rows (which it never saw
    either) straight from their TF-IDF, a batch at a time: memory stays that of the sample, and
    time grows linearly with the rows.

    ## Why it matters
    Mislabelled examples teach the model the wrong answer, cap the accuracy it can reach and
    make the validation score noisy. A few percent of wrong labels is common in crowd-sourced
    and weakly labelled data.

    ## Example
    A support-ticket dataset where a refund request is labelled `shipping`.

    ## How to fix
    Review the flagged rows (sorted by `self_confidence`, the lowest first, they are the most
    likely errors) and correct or drop the wrong ones. The model is simple, so treat the flags as
    a review queue, not as ground truth.
    """

    code = "FT302"
    name = "likely-mislabeled"
    summary = "Rows whose label a cross-validated classifier confidently disagrees with"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})
    option_help = {
        "min_rows": "fewest labelled rows (in classes large enough) to fit the model",
        "min_per_class": "rows a class needs to be modelled (smaller classes are left out)",
        "max_rows": "rows cross-validated at most (a seeded sample above it; the rest predicted)",
    }

    @dataclass
    class Options:
        min_rows: int = 200
        min_per_class: int = 10
        max_rows: int = 10_000

    def check(self, ctx: Context) -> Iterator[Finding]:
        from ftlint.features.labelnoise import NoWords

        ran = False
        weak: list[str] = []
        no_words: list[str] = []
        for split in ctx.splits:
            info = ctx.artifact(label_info, split)
            ds = ctx.dataset(split)
            if info is None or not len(ds) or ds.kind_of(0) == "kto":
                continue
            counts = info.counts()
            usable = sum(c for c in counts.values() if c >= self.options.min_per_class)
            if usable < self.options.min_rows or sum(c >= self.options.min_per_class for c in counts.values()) < 2:
                continue
            try:
                noise = ctx.artifact(label_noise, split, self.options.min_per_class, self.options.max_rows)
            except NoWords:
                no_words.append(split)
                continue
            if noise is None:
                continue
            # a classifier that barely beats always answering the largest class knows too little to
            # call a label wrong: it must close at least a third of the gap between that and 100%
            given_counts = np.bincount(np.asarray(noise.given, dtype=np.int64), minlength=len(noise.classes))
            majority = float(given_counts.max()) / max(1, int(given_counts.sum()))
            needed = majority + (1.0 - majority) / 3.0
            if round(noise.accuracy, 6) < round(needed, 6):
                weak.append(f"{split}: out-of-fold accuracy {noise.accuracy:.0%} against {majority:.0%} for always "
                            f"answering '{noise.classes[int(given_counts.argmax())]}'")
                continue
            ran = True
            # of equally probable classes (at SCORE_DECIMALS decimals), the first (sorted names)
            suggested = noise.suggested
            ordinal = _ordinal(noise.classes)
            flagged = np.flatnonzero(noise.flagged)
            if ordinal is not None:  # ratings: a neighbouring score (4 for 5) is a judgement call, not an error
                flagged = np.array([k for k in flagged.tolist()
                                    if abs(ordinal[int(noise.given[k])] - ordinal[int(suggested[k])]) > 1],
                                   dtype=np.int64)
            if not flagged.size:
                continue
            rows = []
            for k in flagged.tolist():
                i = int(noise.rows[k])
                given, sugg = noise.classes[int(noise.given[k])], noise.classes[int(suggested[k])]
                conf = float(noise.self_confidence[k])
                rows.append(RowAt(split, i, text=snippet(input_text(ds, i)), extra={
                    "given_label": given, "suggested_label": sugg, "self_confidence": round(conf, 4),
                    "suggested_confidence": round(float(noise.suggested_confidence[k]), 4)}))
            modelled = int(noise.rows.size)
            yield self.finding(
                f"{plural(len(rows), split + ' row')} of {modelled:,} modelled look mislabelled: a cross-validated "
                f"classifier confidently predicts another label (labels from {info.source})",
                "Review the listed rows (lowest self_confidence first) and correct or drop the wrong labels; treat "
                "them as a review queue, not as ground truth.",
                rows=rows, total=len(ds), split=split,
                metrics={
                    "modelled_rows": modelled,
                    "cross_validated_rows": noise.cross_validated,
                    "out_of_fold_accuracy": round(noise.accuracy, 4),
                    "thresholds": {c: round(float(t), 4) for c, t in zip(noise.classes, noise.thresholds, strict=True)},
                },
            )
        if not ran and weak:
            raise Skip("the classifier is too weak to judge labels (" + "; ".join(weak) + ")",
                       "give it more labelled rows per class, or review the labels by sampling them "
                       "(`ftlint sample --n 100`)")
        if not ran and no_words:
            raise Skip(
                f"the labelled texts of {', '.join(no_words)} have no words to learn a label from (empty, "
                "punctuation or symbols only)",
                "fill in the texts: a row with no words cannot teach its label either (FT003 lists empty rows)",
            )
        if not ran:
            raise Skip(
                f"needs at least {self.options.min_rows} labelled rows in 2 or more classes of "
                f"{self.options.min_per_class}+ rows (KTO labels are not classes)",
                "lower [rules.likely-mislabeled] min-rows / min-per-class for a small dataset",
            )


def _ordinal(classes: list[str]) -> list[int] | None:
    """The integer value of each class when the labels are a rating scale (consecutive integers such as
    1-5 or 0-10), else None."""
    try:
        values = [int(c) for c in classes]
    except (TypeError, ValueError):
        return None
    if len(values) < 3 or sorted(values) != list(range(min(values), min(values) + len(values))):
        return None
    return values


class PreferencePairProblems(Rule):
    """Preference pairs whose two sides cannot teach a preference.

    ## What it does
    For preference data (DPO/ORPO pairs: prompt, chosen, rejected), reports pairs whose chosen
    and rejected sides are identical after normalisation (NFKC, case folding, whitespace), and
    pairs whose two sides carry different prompts: chosen and rejected given as full
    conversations whose turns before the final answer differ (ftlint takes the prompt to be the
    turns both share, so the rest of one side's prompt would be trained as if it were part of
    the answer). Empty sides are FT003's.

    ## Why it matters
    An identical pair has zero preference margin: it contributes no signal and, with DPO's
    loss, only noise and wasted compute. A pair whose sides answer different prompts compares
    two unrelated answers, so the model learns a preference that has nothing to do with the
    prompt it is shown.

    ## Example
    ```
    {"prompt": "Name a prime", "chosen": "7", "rejected": " 7 "}
    {"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
     "rejected": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Hello!?"}]}
    ```

    ## How to fix
    Drop identical pairs (or generate a genuinely worse rejected answer); rebuild mismatched
    pairs so that both sides answer the same prompt (give the prompt once, in `prompt`).
    """

    code = "FT303"
    name = "preference-pair-problems"
    summary = "Preference pairs with identical sides or different prompts"
    severity = Severity.ERROR

    def check(self, ctx: Context) -> Iterator[Finding]:
        applicable = False
        for split in ctx.splits:
            ds = ctx.dataset(split)
            pref = [i for i, r in enumerate(ds.roles) if r and ds.kind_of(i) == "preference"]
            if not pref:
                continue
            applicable = True
            chosen, rejected = ctx.artifact(preference_hashes, split)
            same = [i for i in pref if chosen[i] and chosen[i] == rejected[i]]
            if same:
                rows = [RowAt(split, i, text=snippet(ds.response(i)), extra={"problem": "identical sides"})
                        for i in same]
                yield self.finding(
                    f"{plural(len(rows), split + ' preference pair')} {'has' if len(rows) == 1 else 'have'} "
                    "identical chosen and rejected sides "
                    "(after normalisation)",
                    "Drop these pairs or give each a genuinely worse rejected answer: an identical pair teaches "
                    "no preference.",
                    rows=rows, total=len(ds), split=split, metrics={"problem": "identical sides"},
                )
            mismatch = ds.extras.get(PROMPT_MISMATCH)
            if mismatch is not None:
                bad = [i for i in pref if mismatch[i]]
                if bad:
                    rows = [RowAt(split, i, extra={"problem": "different prompts",
                                                                "detail": mismatch[i]}) for i in bad]
                    yield self.finding(
                        f"{plural(len(rows), split + ' preference pair')} {'gives' if len(rows) == 1 else 'give'} "
                        "chosen and rejected different prompts "
                        f"({mismatch[bad[0]]} in the first)",
                        "Rebuild these pairs so that both sides answer the same prompt (give the prompt once, in "
                        "`prompt`, and only the answers in chosen/rejected).",
                        rows=rows, total=len(ds), split=split, metrics={"problem": "different prompts"},
                    )
        if not applicable:
            raise Skip("no preference pairs (prompt/chosen/rejected) in the data",
                       "nothing to do unless this is preference data: map its columns with "
                       "[dataset.columns] prompt/chosen/rejected = \"<column>\"")


class NearDuplicateConflicts(Rule):
    """Nearly identical inputs with different labels.

    ## What it does
    For labelled data (a label column, KTO labels, or chat/instruction data whose short
    responses are labels), finds groups of rows whose normalised inputs (the text, or the prompt
    before the final assistant turn; prompt and completion for KTO) are near-copies: MinHash of
    word 5-grams (character 5-grams below 5 words), LSH candidates verified with an exact
    Jaccard similarity of at least `threshold` (0.8). A group is reported when two of its
    distinct inputs carry label sets that do not overlap; rows with the very same input and
    different labels are FT301's. `rows` lists every labelled row of each reported group with
    its `label`, the `group` and the group's label counts.

    ## Why it matters
    Inputs that differ by a word or a punctuation mark but carry opposite labels are usually an
    annotation error, or a sign that the labels depend on something the text does not show.
    Either way the model is trained on a contradiction it can only memorise.

    ## Example
    `"The refund never arrived!"` labelled `billing` and `"the refund never arrived"` labelled
    `shipping`.

    ## How to fix
    Review each group: correct the wrong labels, or, if the small difference really changes the
    label, make sure the data has enough such contrastive pairs to teach it.
    """

    code = "FT304"
    name = "near-duplicate-conflicts"
    summary = "Near-duplicate inputs whose labels disagree"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})
    option_help = {
        "threshold": "Jaccard similarity of the inputs' shingle sets from which they are near-copies",
        "ngram": "words per shingle (inputs with fewer words use character 5-grams)",
    }

    @dataclass
    class Options:
        threshold: float = 0.8
        ngram: int = 5

    def check(self, ctx: Context) -> Iterator[Finding]:
        from ftlint.features.lsh import clusters

        for split in ctx.splits:
            info = ctx.artifact(label_info, split)
            ds = ctx.dataset(split)
            if info is None or len(ds) < 2:
                continue
            ids, names = _label_ids(info.values)
            pairs, _ = ctx.artifact(near_duplicates, split, self.options.threshold, field="input",
                                    ngram=self.options.ngram)
            if not len(pairs):
                continue
            keys = ctx.artifact(input_hashes, split)
            labelled = (ids[pairs[:, 0]] >= 0) & (ids[pairs[:, 1]] >= 0)
            found: list[list[int]] = []
            for g in clusters(len(ds), pairs[labelled]):
                by_input: dict[int, set[int]] = {}
                for i in g:
                    by_input.setdefault(int(keys[i]), set()).add(int(ids[i]))
                if labels_disagree(by_input.values()):
                    found.append(g)
            if not found:
                continue
            rows: list[RowAt] = []
            groups = []
            for k, g in enumerate(found):
                counts = Counter(names[int(ids[i])] for i in g)
                labels = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
                groups.append({"rows": [[ds.path(i), int(ds.index[i])] for i in g], "labels": labels})
                rows.extend(RowAt(split, i, text=snippet(input_text(ds, i)), extra={
                    "label": names[int(ids[i])], "group": k, "labels": labels}) for i in g)
            yield self.finding(
                f"{plural(len(rows), split + ' row')} in {plural(len(found), 'group')} of near-identical inputs "
                f"(Jaccard >= {self.options.threshold:g}) carry labels that disagree; labels from {info.source}",
                "Review each group: correct the wrong labels, or, if the small difference really changes the label, "
                "add enough such contrastive examples to teach it.",
                rows=rows, total=len(ds), split=split,
                metrics={"groups": groups, "group_count": len(found), "threshold": self.options.threshold},
            )
