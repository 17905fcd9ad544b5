"""A small, complete ftlint plugin rule with a fix and a chart: the worked example of
docs/architecture.md ("Adding a rule with a fix and a chart").

EX101 reports rows whose reply is a single word (or empty of words): it yields row references
(``RowAt``), attaches a typed remedy (``DropRows``: ``ftlint fix`` leaves the rows out of the
repaired copy) and a typed chart (``bars``: the HTML report draws the replies by length), and
declares its metric's unit (``metric_units``: the share is shown as a percentage). Nothing in
``fix.py``, the reporters or the engine knows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ftlint import RowAt, Rule, Severity
from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.model import Finding, Unit
from ftlint.remedies import DropRows, row_refs


class OneWordReplies(Rule):
    """Replies of a single word teach the model to answer curtly.

    ## What it does
    Counts the words of each row's reply (the assistant's last turn, or the completion) and
    reports the rows whose reply has at most `max-words` (1) words.

    ## Why it matters
    A handful of one-word replies among full answers is usually an export or labelling slip;
    the model learns that a bare "Yes." is a complete answer.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "How do I reset my password?"},
                  {"role": "assistant", "content": "Settings."}]}
    ```

    ## How to fix
    Write the full answer, or drop the rows: `ftlint fix` leaves them out of the repaired copy.
    """

    code = "EX101"
    name = "one-word-replies"
    summary = "Replies of a single word"
    severity = Severity.WARNING
    remedies = (DropRows,)
    metric_units = {"share": Unit.SHARE}
    option_help = {"max_words": "replies with at most this many words are reported"}

    @dataclass
    class Options:
        max_words: int = 1

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            words = [len(ds.response(i).split()) for i in range(len(ds))]
            rows = [RowAt(split, i, text=ds.response(i), extra={"words": n})
                    for i, n in enumerate(words) if n <= self.options.max_words]
            if not rows:
                continue
            lengths = {"0-1 words": sum(n <= 1 for n in words), "2-5 words": sum(1 < n <= 5 for n in words),
                       "6+ words": sum(n > 5 for n in words)}
            yield self.finding(
                f"{len(rows)} of {len(ds)} {split} replies have at most {self.options.max_words} word(s)",
                "Write the full answers, or drop the rows (`ftlint fix` leaves them out of the repaired copy).",
                rows=rows, total=len(ds), split=split, metrics={"share": round(len(rows) / len(ds), 6)},
                remedies=[DropRows(row_refs(rows, ctx), "drop one-word replies", "replies of one word (EX101)")],
                charts=bars(f"Reply lengths in {split}", {split: lengths}),
            )


def rules() -> list[type[Rule]]:
    """The pack's rules (the ``ftlint.rules`` entry point)."""
    return [OneWordReplies]
