"""FT1xx split checks: training and evaluation splits that differ in kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.features.labels import label_info
from ftlint.features.rows import contamination_text
from ftlint.features.text import normalize
from ftlint.grammar import plural
from ftlint.model import Finding, Location, RowAt, Severity
from ftlint.rule import Need, Rule

#: Chat-template and prompt-format markers that show a text was rendered for one model family.
TEMPLATE_MARKERS = (
    "<|im_start|>", "<|im_end|>", "[INST]", "[/INST]", "<<SYS>>", "<s>", "</s>", "<|begin_of_text|>",
    "<|start_header_id|>", "<|eot_id|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>",
    "<start_of_turn>", "<end_of_turn>", "<|endoftext|>", "### Instruction:", "### Response:", "### Input:",
)

#: (split checked, split it is compared with)
SPLIT_PAIRS = (("validation", "train"), ("test", "train"))


def _where(ds: Dataset) -> Location:
    return Location(path=ds.files[0].path if len(ds.files) == 1 else None)


def _system_prompt(ds: Dataset, i: int) -> str:
    roles = ds.roles[i]
    return normalize(ds.texts[i][0]) if roles.startswith("s") else ""


def _listing(items: dict[str, int], limit: int = 5) -> str:
    shown = ", ".join(f"{k!r} ({v:,})" for k, v in list(items.items())[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class SplitMismatch(Rule):
    """Training and validation (or test) splits that differ in kind, not just in content.

    ## What it does
    Compares the validation and test splits with the training split on categorical properties
    and reports each difference:

    - the record format (e.g. chat messages in train, Alpaca instruction/output in validation);
    - the label set: validation labels never seen in training (any row), and training labels
      absent from validation that cover at least `min-share` (10%) of the training rows;
    - the system prompts, when the training split uses a fixed set (at most
      `max-system-prompts`, 50, distinct ones): evaluation rows whose system prompt (or its
      absence) never occurs in training, or training system prompts on at least `min-share` of
      its rows that the evaluation split never uses, reported when they reach `min-share` of the
      split;
    - chat-template markers written into the text (`<|im_start|>`, `[INST]`, `<s>`,
      `### Instruction:` and others): a marker in at least `min-share` of one split's rows and in
      no row of the other. Marker shares are measured on a seeded sample of `sample` (20,000)
      rows per split; absence is confirmed on every row.

    Differences in the distribution of the content itself are FT403's.

    ## Why it matters
    A validation split that is formatted, labelled or prompted differently from the training
    data measures something else: the loss and scores it gives do not tell whether training
    works, and early stopping or model selection on it picks the wrong checkpoint. Template
    markers baked into one split's text mean the two were rendered by different pipelines (and
    one of them is usually rendered twice by the trainer).

    ## Example
    Training rows rendered with ChatML (`<|im_start|>user ...`) and validation rows as plain
    messages; or a validation set with a `neutral` label the training set never has.

    ## How to fix
    Build both splits with the same pipeline, from the same source, with the same label set and
    system prompts, then split (a random or grouped split of one dataset has none of these
    differences). Keep chat templates out of the text: the trainer applies the template.
    """

    code = "FT106"
    name = "split-mismatch"
    summary = "Train and validation/test splits differ in format, labels, system prompts or template"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.VALIDATION})
    option_help = {
        "min_share": "share of a split a label, system prompt or marker must cover to count as missing elsewhere",
        "max_system_prompts": "compare system prompts only when train has at most this many distinct ones",
        "sample": "rows per split scanned for template markers (absence is confirmed on every row)",
    }

    @dataclass
    class Options:
        min_share: float = 0.10
        max_system_prompts: int = 50
        sample: int = 20_000

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split, against in SPLIT_PAIRS:
            if split not in ctx.splits or against not in ctx.splits:
                continue
            ds, ref = ctx.dataset(split), ctx.dataset(against)
            if not len(ds) or not len(ref):
                continue
            yield from self._formats(split, ds, against, ref)
            yield from self._labels(ctx, split, ds, against, ref)
            yield from self._system_prompts(ctx, split, ds, against, ref)
            yield from self._markers(split, ds, against, ref)

    def _formats(self, split: str, ds: Dataset, against: str, ref: Dataset) -> Iterator[Finding]:
        mine, theirs = set(ds.formats) - {"empty", "unknown"}, set(ref.formats) - {"empty", "unknown"}
        if not mine or not theirs or mine == theirs:
            return
        yield self.finding(
            f"the {split} split is {', '.join(sorted(mine))} but {against} is {', '.join(sorted(theirs))}: the model "
            f"is evaluated on a different record format than it is trained on",
            "Convert both splits to one format (or build them with the same pipeline) before training.",
            location=_where(ds), affected=len(ds), total=len(ds), split=split,
            metrics={"kind": "format", split: sorted(mine), against: sorted(theirs)},
        )

    def _labels(self, ctx: Context, split: str, ds: Dataset, against: str, ref: Dataset) -> Iterator[Finding]:
        info, rinfo = ctx.artifact(label_info, split), ctx.artifact(label_info, against)
        if info is None and rinfo is None:
            return
        if (info is None) != (rinfo is None):
            has, lacks = (split, against) if info is not None else (against, split)
            yield self.finding(
                f"the {has} split is labelled but the {lacks} split is not",
                "Give both splits the same label column (or the same kind of short-response labels).",
                location=_where(ds), affected=len(ds), total=len(ds), split=split,
                metrics={"kind": "labels", "labelled": has},
            )
            return
        assert info is not None and rinfo is not None
        counts, rcounts = info.counts(), rinfo.counts()
        unseen = {k: v for k, v in counts.most_common() if k not in rcounts}
        if unseen:
            rows = [RowAt(split, i, extra={"label": v}) for i, v in enumerate(info.values) if v in unseen]
            yield self.finding(
                f"{plural(len(rows), split + ' row')} carry labels never seen in {against}: {_listing(unseen)}",
                "Drop these rows or add training examples of these labels; a model cannot predict a label it was "
                "never trained on.",
                rows=rows, total=len(ds), split=split,
                metrics={"kind": "labels", "unseen": unseen},
            )
        n_ref = sum(rcounts.values()) or 1
        missing = {k: v for k, v in rcounts.most_common() if k not in counts and v / n_ref >= self.options.min_share}
        if missing:
            share = sum(missing.values()) / n_ref
            yield self.finding(
                f"{against} labels that cover {share:.0%} of its rows never appear in {split}: {_listing(missing)}; "
                f"the {split} score says nothing about them",
                f"Split the data so that every label appears in {split} (a stratified split).",
                location=_where(ds), affected=sum(missing.values()), total=n_ref, split=split,
                metrics={"kind": "labels", "missing": missing},
            )

    def _system_prompts(self, ctx: Context, split: str, ds: Dataset, against: str, ref: Dataset) -> Iterator[Finding]:
        rprompts = Counter(_system_prompt(ref, i) for i in range(len(ref)))
        if len(rprompts) > self.options.max_system_prompts:
            return
        prompts = [_system_prompt(ds, i) for i in range(len(ds))]
        unseen = [i for i, p in enumerate(prompts) if p not in rprompts]
        counts = Counter(prompts)
        missing = {p: c for p, c in rprompts.most_common()
                   if p not in counts and c / len(ref) >= self.options.min_share}
        if len(unseen) / len(ds) < self.options.min_share and not missing:
            return
        show = lambda p: "(none)" if not p else (p if len(p) <= 60 else p[:59] + "…")  # noqa: E731
        parts = []
        if unseen and len(unseen) / len(ds) >= self.options.min_share:
            kinds = Counter(prompts[i] for i in unseen)
            parts.append(f"{len(unseen):,} of {len(ds):,} {split} rows ({len(unseen) / len(ds):.0%}) use a system "
                         f"prompt never seen in {against}: {_listing({show(k): v for k, v in kinds.most_common()}, 3)}")
        else:
            unseen = []
        if missing:
            share = sum(missing.values()) / len(ref)
            parts.append(f"{against} system prompts on {share:.0%} of its rows never occur in {split}: "
                         f"{_listing({show(k): v for k, v in missing.items()}, 3)}")
        rows: list[RowAt] = [RowAt(split, i, extra={"system_prompt": show(prompts[i])}) for i in unseen]
        yield self.finding(
            "; ".join(parts),
            "Use the same system prompts in training and evaluation (the model learns to rely on them).",
            location=None if rows else _where(ds), rows=rows, affected=len(rows) or None,
            total=len(ds), split=split,
            metrics={"kind": "system_prompts", f"{against}_distinct": len(rprompts),
                     f"{split}_distinct": len(counts), "unseen_rows": len(unseen),
                     "missing": {show(k): v for k, v in missing.items()}},
        )

    def _marker_rows(self, ds: Dataset, rows: np.ndarray, markers: tuple[str, ...]) -> Counter[str]:
        found: Counter[str] = Counter()
        for i in rows.tolist():
            text = contamination_text(ds, i)
            found.update(m for m in markers if m in text)
        return found

    def _sample(self, ds: Dataset) -> np.ndarray:
        n = len(ds)
        if n <= self.options.sample:
            return np.arange(n)
        return np.sort(np.random.default_rng(0).choice(n, self.options.sample, replace=False))

    def _markers(self, split: str, ds: Dataset, against: str, ref: Dataset) -> Iterator[Finding]:
        sample, rsample = self._sample(ds), self._sample(ref)
        mine = self._marker_rows(ds, sample, TEMPLATE_MARKERS)
        theirs = self._marker_rows(ref, rsample, TEMPLATE_MARKERS)
        differ: dict[str, tuple[str, float]] = {}
        for m in TEMPLATE_MARKERS:
            for where, counts, n_sample, _other, other_counts, other_ds, other_sample in (
                (split, mine, sample.size, against, theirs, ref, rsample),
                (against, theirs, rsample.size, split, mine, ds, sample),
            ):
                if counts[m] / n_sample >= self.options.min_share and not other_counts[m]:
                    if other_sample.size < len(other_ds):  # confirm the absence on every row
                        rest = np.setdiff1d(np.arange(len(other_ds)), other_sample)
                        if self._marker_rows(other_ds, rest, (m,))[m]:
                            continue
                    differ[m] = (where, counts[m] / n_sample)
        if not differ:
            return
        desc = "; ".join(f"{m!r} in {share:.0%} of {where} rows, none of {split if where == against else against}"
                         for m, (where, share) in differ.items())
        yield self.finding(
            f"chat-template markers differ between {split} and {against}: {desc}",
            "Render both splits the same way: keep chat templates and prompt-format markers out of the stored text "
            "(the trainer applies the model's template).",
            location=_where(ds), affected=len(ds), total=len(ds), split=split,
            metrics={"kind": "template_markers",
                     "markers": {m: {"split": w, "share": round(s, 4)} for m, (w, s) in differ.items()},
                     "sampled_rows": {split: int(sample.size), against: int(rsample.size)}},
            charts=bars("markers: share", {split: {m: round(s, 4) for m, (_, s) in differ.items()}}, values="share",
                        label="share of the rows of the split that has the marker"),
        )
