"""FT2xx: duplicates and leakage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.chartspec import ChartSpec, cluster_chart
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.schema import TOOLS_DIGEST
from ftlint.features.contamination import contamination_index, contamination_matches
from ftlint.features.duplicates import cross_matches, near_duplicates
from ftlint.features.lsh import clusters
from ftlint.features.rows import duplicate_field, duplicate_text, text_hashes
from ftlint.features.text import normalize
from ftlint.grammar import plural, with_article
from ftlint.model import Finding, RowAt, Severity, Unit
from ftlint.remedies import DropRows, RowRef, row_refs
from ftlint.rule import Need, Rule


def exact_groups(hashes: np.ndarray) -> list[list[int]]:
    """Groups (of 2 or more row positions, in order) sharing a hash; groups ordered by first row."""
    if len(hashes) == 0:
        return []
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_h[1:] != sorted_h[:-1]])
    ends = np.r_[starts[1:], len(sorted_h)]
    groups = [sorted(order[s:e].tolist()) for s, e in zip(starts, ends) if e - s > 1]
    return sorted(groups, key=lambda g: g[0])


class ExactDuplicates(Rule):
    """Examples that are exact copies of each other after normalisation.

    ## What it does
    Hashes the whole example (every turn with its role, the rejected side and the label),
    normalised with Unicode NFKC, case folding and collapsed whitespace, and reports groups of
    identical examples within each split. `rows` lists the copies to drop (all but the first of
    each group) and `metrics.groups` every group as `[path, index]` pairs.

    ## Why it matters
    Duplicates are trained on several times per epoch: they inflate the apparent dataset size,
    over-weight whatever they say, and make the model memorise them verbatim.

    ## Example
    The same instruction and answer twice in an Alpaca file, once with different capitalisation.

    ## How to fix
    Keep the first of each group and drop the rest (`metrics.groups` in the JSON report lists
    them all). Above
    `error-fraction` (10%) of the split the finding is an error: check how the data was assembled.
    """

    code = "FT201"
    metric_units = {"duplicate_fraction": Unit.SHARE}
    name = "exact-duplicates"
    summary = "Exact duplicate examples (after normalisation)"
    severity = Severity.WARNING
    remedies = (DropRows,)
    escalation = "error_fraction"
    option_help = {"error_fraction": "share of the split in duplicate copies above which this is an error"}

    @dataclass
    class Options:
        error_fraction: float = 0.10

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            if len(ds) < 2:
                continue
            hashes = ctx.artifact(text_hashes, split)
            tools = ds.extras.get(TOOLS_DIGEST)
            if tools is not None:  # the whole example: rows that offer different tools are not copies
                digest = np.array([int(t, 16) if isinstance(t, str) else 0 for t in tools], dtype=np.uint64)
                hashes = hashes ^ (digest * np.uint64(0x9E3779B97F4A7C15))
            groups = [g for g in exact_groups(hashes) if ds.roles[g[0]]]
            if not groups:
                continue
            rows = []
            for g in groups:
                first = g[0]
                for i in g[1:]:
                    rows.append(RowAt(split, i, extra={
                        "duplicate_of": {"path": ds.path(first), "index": int(ds.index[first]),
                                         "line": ds.line_of(first)}}))
            n = len(ds)
            fraction = len(rows) / n
            largest = max(len(g) for g in groups)
            yield self.finding(
                f"{len(rows):,} of {n:,} {split} examples ({fraction:.1%}) are exact copies of another "
                f"({plural(len(groups), 'group')}, largest {largest})",
                "Keep the first of each group and drop the copies listed here (every one is in the JSON report's "
                "rows).",
                rows=rows, total=n, escalate=fraction > self.options.error_fraction, split=split,
                metrics={
                    "groups": [[[ds.path(i), int(ds.index[i])] for i in g] for g in groups],
                    "duplicate_fraction": round(fraction, 6),
                    "group_count": len(groups),
                },
                charts=duplicate_chart(ds, f"Exact duplicates in {split}", groups, split, fraction),
                remedies=[DropRows(row_refs(rows, ctx), "drop exact duplicates",
                                   "exact copies of an earlier row, first of each group kept (FT201)")],
            )


def duplicate_chart(ds: Dataset, title: str, groups: list[list[int]], split: str,
                    fraction: float) -> list[ChartSpec]:
    """The HTML report's plot of groups of rows (positions in ``ds``): their sizes, and where the largest
    are; ``fraction``: the finding's affected fraction."""
    def where(i: int) -> str:
        line = ds.line_of(i)
        return f"{ds.path(i)}:{line}" if line else f"{ds.path(i)}#{int(ds.index[i])}"

    redundant = sum(len(g) - 1 for g in groups)
    return cluster_chart(title, groups, where, key="dup",
                         note=f"{len(groups):,} clusters in {split}; {redundant:,} redundant copies to drop "
                              f"({fraction:.1%}).")


def _ref(ds: Dataset, i: int) -> dict[str, Any]:
    """How a row is pointed at from another row's ``extra``."""
    return {"path": ds.path(i), "index": int(ds.index[i]), "line": ds.line_of(i)}


class NearDuplicates(Rule):
    """Examples that are near-copies of each other: nearly the same text with a few words changed.

    ## What it does
    Compares every example of a split with every other through MinHash (word 5-gram shingles of
    the normalised example, every turn with its role, 128 permutations, LSH with 16 bands of 8
    rows), verifies each candidate pair with the exact Jaccard similarity of the two shingle
    sets, and reports the groups (connected pairs) of examples whose similarity is at least
    `threshold` (0.8). `rows` lists every member of a group but its first, each with the member
    it is closest to (`near_duplicate_of`, `similarity`); `metrics.groups` lists every group as
    `[path, index]` pairs and `metrics.duplicate_fraction` the share of the split in `rows`.

    Exact copies are FT201's: a group made only of exact copies is not reported here, and in a
    group that mixes exact copies and near-copies each distinct text counts once (by its first
    row), so FT201's rows and FT202's rows together are everything to drop, with no row in both.
    Texts shorter than 5 words are shingled into character 5-grams.

    What is compared is what varies: a prompt-side paragraph (system or user turn, split at blank
    lines) that appears verbatim in at least half of the rows of all splits together (20 rows or
    more) — a shared system prompt, a tool schema, a fixed instruction — is left out of the
    comparison; replies, tool calls and tool results never are. Each row's snippet shows the text
    that was compared. Preference pairs that share a prompt by design (several response pairs per
    question) are near-copies only when their chosen replies and their rejected replies are each
    near-copies too.

    ## Why it matters
    Near-copies (templated rows, scraped pages with different footers, augmentations that change
    a word) are trained on several times per epoch like exact duplicates: they inflate the
    apparent size of the dataset and push the model to memorise their content, while exact-match
    deduplication misses them.

    ## Example
    Two answers that differ by one word, or the same instruction with a different trailing
    sentence.

    ## How to fix
    Keep one example per group (the first, or the best one) and drop the rows listed. Above
    `error-fraction` (10%) of the split the finding is an error: check how the data was
    generated or scraped.
    """

    code = "FT202"
    metric_units = {"duplicate_fraction": Unit.SHARE}
    name = "near-duplicates"
    summary = "Examples that are near-copies of each other (MinHash, Jaccard >= 0.8)"
    severity = Severity.WARNING
    remedies = (DropRows,)
    escalation = "error_fraction"
    option_help = {
        "threshold": "Jaccard similarity of word-5-gram sets from which two examples are near-copies",
        "error_fraction": "share of the split in near-copies above which this is an error",
        "ngram": "words per shingle (texts with fewer words use character 5-grams)",
    }

    @dataclass
    class Options:
        threshold: float = 0.8
        error_fraction: float = 0.10
        ngram: int = 5

    def check(self, ctx: Context) -> Iterator[Finding]:
        field = ctx.artifact(duplicate_field) if any(len(ctx.dataset(s)) >= 2 for s in ctx.splits) else "full"
        # every split's pairs first: the rows of one split's finding (tens of thousands at 1M rows)
        # are not held while the next split is hashed, which is when the memory peaks
        for split in ctx.splits:
            if len(ctx.dataset(split)) >= 2:
                ctx.artifact(near_duplicates, split, self.options.threshold, field=field, ngram=self.options.ngram)
        for split in ctx.splits:
            ds = ctx.dataset(split)
            n = len(ds)
            if n < 2:
                continue
            pairs, sims = ctx.artifact(near_duplicates, split, self.options.threshold, field=field,
                                       ngram=self.options.ngram)
            if len(pairs) and ds.rejected is not None and len(ds.rejected):
                pairs, sims = _both_sides_match(ds, pairs, sims, self.options.threshold, self.options.ngram)
            if not len(pairs):
                continue
            hashes = ctx.artifact(text_hashes, split)
            rows: list[RowAt] = []
            groups: list[list[int]] = []
            exact_left = 0
            # every member of a cluster maps to the first row of its exact-copy group in the cluster
            rep_of: dict[int, int] = {}
            for g in clusters(n, pairs):
                firsts: dict[int, int] = {}
                for i in g:
                    rep_of[i] = firsts.setdefault(int(hashes[i]), i)
                reps = sorted(firsts.values())
                exact_left += len(g) - len(reps)
                if len(reps) >= 2:
                    groups.append(reps)
            if not groups:
                continue
            best: dict[int, tuple[float, int]] = {}
            for (i, j), s in zip(pairs.tolist(), sims.tolist(), strict=True):
                a, b = rep_of[i], rep_of[j]
                if a == b:
                    continue
                for x, y in ((a, b), (b, a)):
                    cur = best.get(x)
                    if cur is None or s > cur[0] or (s == cur[0] and y < cur[1]):
                        best[x] = (s, y)
            for k, reps in enumerate(groups):
                for i in reps[1:]:
                    s, other = best[i]
                    rows.append(RowAt(split, i, text=duplicate_text(ctx, split, i), extra={
                        "near_duplicate_of": _ref(ds, other), "similarity": round(s, 4), "group": k}))
            fraction = len(rows) / n
            largest = max(len(g) for g in groups)
            yield self.finding(
                f"{len(rows):,} of {n:,} {split} examples ({fraction:.1%}) are near-copies of another "
                f"(Jaccard >= {self.options.threshold:g}; {plural(len(groups), 'group')}, largest {largest})",
                "Keep one example per group and drop the others listed here (each names the row it nearly "
                "copies); the JSON report's metrics.groups lists every group.",
                rows=rows, total=n, escalate=fraction > self.options.error_fraction, split=split,
                metrics={
                    "groups": [[[ds.path(i), int(ds.index[i])] for i in g] for g in groups],
                    "duplicate_fraction": round(fraction, 6),
                    "group_count": len(groups),
                    "threshold": self.options.threshold,
                    "exact_copies_left_to_FT201": exact_left,
                },
                charts=duplicate_chart(ds, f"Near duplicates in {split}", groups, split, fraction),
                remedies=[DropRows(row_refs(rows, ctx), "drop near duplicates",
                                   "near-copies of an earlier row, first of each group kept (FT202)")],
            )


#: (split checked, split it must not copy) in report order
LEAK_PAIRS = (("validation", "train"), ("test", "train"), ("test", "validation"))


def _both_sides_match(ds: Dataset, pairs: np.ndarray, sims: np.ndarray, threshold: float,
                      ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Preference pairs that share a prompt by design (several response pairs per question, as in
    stack-exchange-paired or UltraFeedback) are not near-copies: keep a pair of rows only when their
    chosen replies and their rejected replies are each near-copies too."""
    from ftlint.features.minhash import exact_jaccard

    keep = np.zeros(len(pairs), dtype=bool)
    for k, (i, j) in enumerate(pairs.tolist()):
        ri, rj = ds.rejected[i], ds.rejected[j]
        if ri is None or rj is None:
            keep[k] = True
            continue
        ci, cj = ds.texts[i][-1] if ds.texts[i] else "", ds.texts[j][-1] if ds.texts[j] else ""
        keep[k] = (ci == cj or exact_jaccard(normalize(ci), normalize(cj), ngram) >= threshold) and \
            (ri == rj or exact_jaccard(normalize(ri), normalize(rj), ngram) >= threshold)
    return pairs[keep], sims[keep]


class SplitLeakage(Rule):
    """Validation or test examples that are also in the training split, exactly or nearly.

    ## What it does
    Finds validation and test examples that duplicate a training example: exactly (the same
    normalised example) or nearly (MinHash candidates from banding both splits together, verified
    with an exact Jaccard similarity of word-5-gram sets of at least `threshold`, 0.8). Test
    examples are also checked against the validation split. `rows` lists the leaked rows, each
    with the row it matches in `extra`: `matches` (split, path, index, line), `similarity` and
    `exact`. Near matches compare what varies, as FT202 does: prompt-side paragraphs shared by at
    least half of all rows (a system prompt, a tool schema) are left out, and the snippet shows
    the text that was compared.

    ## Why it matters
    An example seen in training measures memorisation, not generalisation: validation loss and
    test scores come out optimistic, early stopping and model selection pick the wrong
    checkpoint, and the reported quality will not hold on new data. Random splits of data with
    duplicates leak this way by construction.

    ## Example
    A dataset split 90/10 after shuffling, where an instruction that appears twice in the source
    ends up once on each side.

    ## How to fix
    Remove the listed rows from the validation/test split (or from train), then deduplicate
    before splitting, grouping near-copies together (FT201 and FT202 find them) so that each
    group falls entirely on one side.
    """

    code = "FT203"
    name = "split-leakage"
    summary = "Validation/test examples that duplicate training examples"
    severity = Severity.ERROR
    requires = frozenset({Need.DATASET, Need.VALIDATION})
    remedies = (DropRows,)
    option_help = {
        "threshold": "Jaccard similarity of word-5-gram sets from which two examples are near-copies",
        "ngram": "words per shingle (texts with fewer words use character 5-grams)",
    }

    @dataclass
    class Options:
        threshold: float = 0.8
        ngram: int = 5

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split, against in LEAK_PAIRS:
            if split not in ctx.splits or against not in ctx.splits:
                continue
            ds, other = ctx.dataset(split), ctx.dataset(against)
            if not len(ds) or not len(other):
                continue
            m = ctx.artifact(cross_matches, against, split, self.options.threshold, field=ctx.artifact(duplicate_field),
                                  ngram=self.options.ngram)
            if not len(m.b_rows):
                continue
            rows = [
                RowAt(split, int(b), text=duplicate_text(ctx, split, int(b)), extra={
                    "matches": {"split": against, **_ref(other, int(a))},
                    "similarity": round(float(s), 4), "exact": bool(e)})
                for b, a, s, e in zip(m.b_rows, m.a_rows, m.similarity, m.exact, strict=True)
            ]
            n = len(ds)
            exact = int(m.exact.sum())
            word = "training" if against == "train" else against
            yield self.finding(
                f"{len(rows):,} of {n:,} {split} examples ({len(rows) / n:.1%}) duplicate a {word} example "
                f"({exact:,} exact, {len(rows) - exact:,} near-copies with Jaccard >= {self.options.threshold:g})",
                f"Remove the listed rows from the {split} split (each names the {against} row it copies), then "
                "deduplicate before splitting so that copies and near-copies fall on one side.",
                rows=rows, total=n, split=split,
                metrics={"against": against, "exact": exact, "near": len(rows) - exact,
                         "threshold": self.options.threshold},
                remedies=[
                    DropRows(row_refs(rows, ctx), "drop leaked", "rows shared between train and a held-out split, "
                             "removed from the held-out split (FT203)", ("leaked-from", "validation"), default=True),
                    DropRows(tuple(RowRef(r.extra["matches"]["path"], r.extra["matches"]["index"],
                                          r.extra["matches"]["split"]) for r in rows),
                             "drop leaked", "rows shared between train and a held-out split, removed from the split "
                             "they were copied from (FT203)", ("leaked-from", "train")),
                ],
            )


class BenchmarkContamination(Rule):
    """Training examples that contain text from a benchmark or held-out file.

    ## What it does
    Indexes every 13-word window (`ngram`) of the files given with `--contamination PATH`
    (repeatable) or `contamination = ["..."]` in the settings (any dataset format ftlint reads;
    every turn and the rejected side; normalised, with ASCII punctuation ignored), then streams
    the training rows through the index and reports those that share at least one window. Each
    row's snippet is the shared 13-word sequence, and `extra` names the contamination row it
    comes from (`benchmark`: path, index, line) and how many distinct windows the two share.

    ## Why it matters
    A model fine-tuned on benchmark text scores well on that benchmark by recall, not by skill:
    the evaluation stops meaning anything, and the contamination is invisible in the scores. One
    shared 13-word sequence is already strong evidence (a whole-example similarity check misses
    it: the rest of the example can be different), which is why decontamination reports (GPT-3,
    Llama) use 13-gram overlap.

    ## Example
    A training example that quotes a question of the evaluation set word for word inside a
    longer prompt.

    ## How to fix
    Drop the listed training rows (or cut the shared passage out of them) before training, and
    filter the data source against every benchmark you will report.
    """

    code = "FT204"
    name = "benchmark-contamination"
    summary = "Training examples sharing a 13-word sequence with a benchmark file"
    severity = Severity.ERROR
    requires = frozenset({Need.DATASET, Need.CONTAMINATION})
    remedies = (DropRows,)
    option_help = {"ngram": "words in a shared sequence that counts as contamination"}

    @dataclass
    class Options:
        ngram: int = 13

    def check(self, ctx: Context) -> Iterator[Finding]:
        from ftlint.features.ngrams import canonical_batch
        from ftlint.features.rows import contamination_text

        if "train" not in ctx.splits or not ctx.contamination:
            return
        n_words = self.options.ngram
        index, sources = ctx.artifact(contamination_index, n_words)
        matches = ctx.artifact(contamination_matches, "train", n_words)
        if not matches:
            return
        canonical: dict[int, bytes] = {}
        rows: list[RowAt] = []
        by_file: dict[str, int] = defaultdict(int)
        for m in matches:
            d, j = sources[m.source]
            bench = ctx.contamination[d]
            if m.source not in canonical:
                canonical[m.source] = canonical_batch([contamination_text(bench, j)], punctuation=True)[0]
            gram = index.window_text(canonical[m.source], m.hashes) or ""
            by_file[bench.path(j)] += 1
            rows.append(RowAt("train", m.position, text=gram, extra={
                "ngram": gram, "shared_ngrams": int(m.hashes.size), "benchmark": _ref(bench, j)}))
        n = len(ctx.dataset("train"))
        files = ", ".join(sorted(by_file))
        yield self.finding(
            f"{len(rows):,} of {n:,} training examples ({len(rows) / n:.1%}) share "
            f"{with_article(str(n_words))}-word sequence "
            f"with the contamination file{'s' if len(by_file) != 1 else ''} {files}",
            "Drop the listed training rows (or cut the shared passage out) before training, and filter the data "
            "source against every benchmark you will report.",
            rows=rows, total=n, split="train",
            metrics={"ngram": n_words, "by_file": dict(by_file), "indexed_ngrams": len(index)},
            remedies=[DropRows(row_refs(rows, ctx), "drop contaminated",
                               "training rows sharing a word sequence with a --contamination file (FT204)")],
        )
