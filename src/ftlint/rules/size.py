"""FT1xx: dataset size and class balance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.features.labels import LabelInfo, label_info
from ftlint.model import Finding, Location, RowAt, Severity
from ftlint.rule import Need, Rule


class TooFewExamples(Rule):
    """The training split is too small for fine-tuning to generalise.

    ## What it does
    Counts the training examples and reports a warning below `warn-below` (1,000) and an error
    below `error-below` (100). An empty file is reported here too. Examples, not records: a record
    that cannot be read (FT001), does not match its file's format (FT002) or has no turns at all
    (FT003) is not counted; the message says how many records were read.

    ## Why it matters
    A few hundred examples are enough for a model to memorise, not to learn a task: the run
    overfits in an epoch or two and the model parrots the training set. Fine-tuning guidance is
    thousands of examples, ideally tens of thousands, of the real task.

    ## Example
    A two-row Alpaca file passed as the training set.

    ## How to fix
    Collect more examples of the real task (thousands, ideally tens of thousands), or use
    few-shot prompting until you have them. If this dataset is deliberately small (a smoke test),
    lower the thresholds: `[rules.too-few-examples] warn-below = 50`.
    """

    code = "FT101"
    name = "too-few-examples"
    summary = "Too few training examples to fine-tune on"
    severity = Severity.WARNING
    escalation = "error_below"
    option_help = {
        "warn_below": "a warning below this many training examples",
        "error_below": "an error (escalated severity) below this many",
    }

    @dataclass
    class Options:
        warn_below: int = 1000
        error_below: int = 100

    def check(self, ctx: Context) -> Iterator[Finding]:
        if "train" not in ctx.splits:
            return
        ds = ctx.dataset("train")
        broken = _not_examples(ds)
        n = len(ds) - broken
        if n >= self.options.warn_below:
            return
        path = ds.files[0].path if len(ds.files) == 1 else None
        if n == 0:
            what = "has no readable examples" if ds.malformed or broken else "is empty"
        else:
            what = f"has only {n:,} example{'s' if n != 1 else ''}"
        records = sum(f.records for f in ds.files)
        if records != n:
            parts = [f"{len(ds.malformed):,} unreadable"] if ds.malformed else []
            if broken:
                parts.append(f"{broken:,} not matching the format or with no turns")
            what += f" ({records:,} record{'s' if records != 1 else ''}: {', '.join(parts)})"
        where = path or f"the train split ({len(ds.files)} files)"
        yield self.finding(
            f"{where} {what}; fine-tuning needs thousands of examples of the task, ideally tens of thousands "
            f"(below {self.options.warn_below:,} is a warning, below {self.options.error_below:,} an error)",
            "Collect more examples of the real task, or use few-shot prompting until you have them; "
            "for a deliberate smoke test set [rules.too-few-examples] warn-below / error-below.",
            location=Location(path=path, line=None, key=None),
            affected=n, total=max(n, 1), escalate=n < self.options.error_below, split="train",
            metrics={"records": n, "examples": n, "records_read": records, "unreadable": len(ds.malformed),
                     "not_examples": broken, "warn_below": self.options.warn_below,
                     "error_below": self.options.error_below},
        )


def _not_examples(ds: Any) -> int:
    """Rows that are records but not examples: they do not match the file's format (FT002: a
    record that is not an object, a missing key, a value of the wrong type) or have no turns at all
    (FT003: ``{"messages": []}``). Unreadable records (FT001) are not rows at all."""
    import numpy as np

    from ftlint.data.columns import CodedColumn

    bad = {i for i, issues in ds.issues.items() if any(x.kind != "unknown-role" for x in issues)}
    roles = ds.roles
    if isinstance(roles, CodedColumn):  # the loader's column: one code per row, no per-row lookups
        empty = [c for c, v in enumerate(roles.values) if not v]
        bad.update(np.flatnonzero(np.isin(roles.codes, empty)).tolist() if empty else ())
    else:
        bad.update(i for i, r in enumerate(roles) if not r)
    return len(bad)


def _train_labels(ctx: Context) -> LabelInfo | None:
    """The training split's labels (None: no training split, or no labels)."""
    return ctx.artifact(label_info, "train") if "train" in ctx.splits else None


class TooFewPerClass(Rule):
    """Classes with too few examples to learn.

    ## What it does
    For labelled data (a label column, KTO labels, or generative classification detected from the
    responses), reports classes of the training split with fewer than `min-per-class` examples.

    ## Why it matters
    A class seen a handful of times is learned as noise: the model rarely predicts it, and the
    validation score for it is meaningless.

    ## Example
    200 rows labelled `spam` and 3 labelled `phishing`.

    ## How to fix
    Collect more examples of the reported classes, merge them into a related class, or drop them
    from the task.
    """

    code = "FT102"
    name = "too-few-per-class"
    summary = "Classes with too few training examples"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})
    option_help = {"min_per_class": "fewest examples a class should have"}

    @dataclass
    class Options:
        min_per_class: int = 20

    def check(self, ctx: Context) -> Iterator[Finding]:
        info = _train_labels(ctx)
        if info is None:
            return
        counts = info.counts()
        small = {k: v for k, v in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
                 if v < self.options.min_per_class}
        if not small or len(counts) < 2:
            return
        ds = ctx.dataset("train")
        listing = ", ".join(f"{k!r}: {v}" for k, v in list(small.items())[:10])
        rows = [RowAt("train", i, extra={"label": v})
                for i, v in enumerate(info.values) if v in small]
        yield self.finding(
            f"{len(small)} of {len(counts)} classes have fewer than {self.options.min_per_class} training "
            f"examples ({listing}); labels from {info.source}",
            "Collect more examples of these classes, merge them into related ones, or drop them.",
            rows=rows, total=len(ds), split="train",
            metrics={"counts": dict(counts), "small": small},
            # (the whole label distribution is a report-wide chart)
            charts=bars("small", {"train": small}),
        )


class ClassImbalance(Rule):
    """The majority class outnumbers the minority class by far.

    ## What it does
    For labelled data, reports when the largest class of the training split has more than
    `max-ratio` (10) times the examples of the smallest.

    ## Why it matters
    A model fine-tuned on skewed labels learns the prior: it predicts the majority class and
    still scores high accuracy, hiding that the minority class is never recognised.

    ## Example
    950 `negative` reviews and 50 `positive` ones (ratio 19).

    ## How to fix
    Collect more minority examples, down-sample the majority class, or weight examples by
    inverse class frequency; report macro-F1 rather than accuracy.
    """

    code = "FT103"
    name = "class-imbalance"
    summary = "Majority class far larger than the minority class"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})
    option_help = {"max_ratio": "largest allowed majority/minority class ratio"}

    @dataclass
    class Options:
        max_ratio: float = 10.0

    def check(self, ctx: Context) -> Iterator[Finding]:
        info = _train_labels(ctx)
        if info is None:
            return
        counts = info.counts()
        if len(counts) < 2:
            return
        (major, nmax), (minor, nmin) = counts.most_common()[0], counts.most_common()[-1]
        ratio = nmax / nmin
        if ratio <= self.options.max_ratio:
            return
        ds = ctx.dataset("train")
        yield self.finding(
            f"class {major!r} has {nmax:,} training examples and {minor!r} only {nmin:,} "
            f"(ratio {ratio:.1f}, above {self.options.max_ratio:g}); labels from {info.source}",
            "Collect more examples of the minority classes, down-sample the majority, or weight examples by "
            "inverse class frequency; measure macro-F1, not accuracy.",
            location=Location(path=ds.files[0].path if len(ds.files) == 1 else None),
            affected=nmin, total=len(ds), split="train",
            metrics={"counts": dict(counts), "ratio": round(ratio, 3), "majority": major, "minority": minor},
        )
