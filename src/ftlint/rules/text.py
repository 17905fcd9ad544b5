"""FT005, FT007, FT008: the text itself: garbled encodings, unfilled placeholders, degenerate replies."""

from __future__ import annotations

import copy
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.schema import ASSISTANT, ROLE_NAMES, TOOL
from ftlint.features import quality
from ftlint.grammar import plural
from ftlint.model import Finding, RowAt, Severity
from ftlint.rule import Rule


def _texts(ds: Dataset, i: int) -> list[tuple[int, str, str]]:
    """``(position, role code, text)`` of every turn of row ``i``, then its rejected side
    (position -1); name a position with :func:`_field`."""
    out = [(k, r, t) for k, (r, t) in enumerate(zip(ds.roles[i], ds.texts[i]))]
    if ds.rejected:
        rej = ds.rejected[i]
        if rej:
            out.append((-1, ASSISTANT, rej))
    return out


def _field(role: str, k: int) -> str:
    return "rejected side" if k < 0 else f"{ROLE_NAMES.get(role, role)} turn {k + 1}"


# -- the per-row scans of FT005, FT007 and FT008: artifacts whose row i depends only on row i, so an
# engine computes them part by part (``ftlint.backend.rowmap``); the judgement is the rules'


def encoding_scan(ctx: Context, split: str, check_invisible: bool = True) -> list[tuple[int, str, dict[str, Any]]]:
    """FT005's per-row work: (row, what is shown, extra) of each row with garbled text."""
    skip = set() if check_invisible else {"invisible-character", "bidi-control"}
    ds = ctx.dataset(split)
    out: list[tuple[int, str, dict[str, Any]]] = []
    for i in range(len(ds)):
        found: list[tuple[str, str, quality.EncodingProblem]] = []
        for k, role, text in _texts(ds, i):
            for p in quality.encoding_problems(text):
                if p.kind not in skip:
                    found.append((_field(role, k), text, p))
        if not found:
            continue
        field, text, first = found[0]
        kinds = list(dict.fromkeys(p.kind for _, _, p in found))
        shown = quality.excerpt(text, first.start, first.end)
        out.append((i, f"{field}: {shown}", {
            "problem": first.kind,
            "problems": list(dict.fromkeys(f"{p.kind} in {f}: {p.detail}" for f, _, p in found))[:5],
            "found": list(dict.fromkeys(p.found for _, _, p in found))[:5],
            "field": field,
            "excerpt": shown,
            "kinds": kinds,
        }))
    return out


def placeholder_scan(ctx: Context, split: str, blanks_in_responses: bool = False
                     ) -> list[tuple[int, str, dict[str, Any], list[str]]]:
    """FT007's per-row work: (row, what is shown, extra, every placeholder) of each row with one."""
    ds = ctx.dataset(split)
    out: list[tuple[int, str, dict[str, Any], list[str]]] = []
    for i in range(len(ds)):
        found: list[tuple[str, str, quality.Placeholder]] = []
        for k, role, text in _texts(ds, i):
            reply = role in (ASSISTANT, TOOL)
            for p in quality.find_placeholders(text, blanks=blanks_in_responses or not reply):
                found.append((_field(role, k), text, p))
        if not found:
            continue
        field, text, first = found[0]
        texts = list(dict.fromkeys(p.text for _, _, p in found))
        shown = quality.excerpt(text, first.start, first.start + len(first.text))
        out.append((i, f"{field}: {shown}", {
            "placeholder": first.text,
            "placeholders": texts[:10],
            "problems": list(dict.fromkeys(f"{p.text} in {f}" for f, _, p in found))[:5],
            "field": field,
            "kind": first.kind,
            "excerpt": shown,
        }, texts))
    return out


def _prefilter_ratio(chars: int) -> float:
    """Below this compression ratio the slower duplicate n-gram measure is computed. A text with
    more than half its characters in repeated 10-grams compresses better than this (measured on
    real replies made half repetitive: at most 0.50, 0.39, 0.34 and 0.30 for texts under 500,
    1,000, 2,000 characters and longer); about 3% of ordinary replies get past it."""
    return 0.55 if chars < 500 else 0.45 if chars < 1000 else 0.4 if chars < 2000 else 0.36


def _repetition(text: str, min_chars: int, ngram: int, max_duplicate_fraction: float,
                min_compression_ratio: float) -> dict[str, Any] | None:
    if len(text) < min_chars or not quality.may_repeat(text):
        return None
    ratio = quality.compression_ratio(text)
    dup, gram = 0.0, ""
    if ratio <= min_compression_ratio or ratio < _prefilter_ratio(len(text)):
        dup, gram = quality.duplicate_ngram_fraction(text, ngram)
    if dup <= max_duplicate_fraction and ratio >= min_compression_ratio:
        return None
    repeated = gram or quality.repeated_run(text)
    return {"duplicate_fraction": round(dup, 3), "compression_ratio": round(ratio, 3),
            "repeated": quality.visible(repeated[:80])}


@dataclass(frozen=True)
class DegenerateScan:
    """FT008's pass over a split: each response and rejected side's row, length, blankness and side
    (numpy arrays, in row order), and the rows whose side is mostly repetition (their problem, extra
    and text); the split's length norm and its outliers are the rule's."""

    side_row: np.ndarray
    side_len: np.ndarray
    side_blank: np.ndarray
    side_rejected: np.ndarray
    problems: dict[int, list[str]]
    extras: dict[int, dict[str, Any]]
    shown: dict[int, str]


def degenerate_scan(ctx: Context, split: str, min_chars: int = 200, ngram: int = 10,
                    max_duplicate_fraction: float = 0.5, min_compression_ratio: float = 0.1) -> DegenerateScan:
    """FT008's per-row work over a split (one streamed pass; the text is not kept)."""
    ds = ctx.dataset(split)
    side_row, side_len, side_blank, side_rejected = array("q"), array("q"), array("b"), array("b")
    problems: dict[int, list[str]] = defaultdict(list)
    extras: dict[int, dict[str, Any]] = defaultdict(dict)
    shown: dict[int, str] = {}  # the text of the first degenerate side of each row
    for i, side, text in _side_texts(ds):
        side_row.append(i)
        side_len.append(len(text))
        side_blank.append(not text.strip())
        side_rejected.append(side != "response")
        rep = _repetition(text, min_chars, ngram, max_duplicate_fraction, min_compression_ratio)
        if rep is None:
            continue
        what = (f"{rep['duplicate_fraction']:.0%} of it repeats earlier word {ngram}-grams"
                if rep["duplicate_fraction"] > max_duplicate_fraction
                else f"compresses to {rep['compression_ratio']:.1%} of its size")
        problems[i].append(f"repetition in the {side} ({len(text):,} chars): {what}, "
                           f"repeating “{rep['repeated']}”")
        extras[i].setdefault("repetition", {**rep, "side": side, "chars": len(text)})
        shown.setdefault(i, text)
    return DegenerateScan(np.asarray(side_row, dtype=np.int64), np.asarray(side_len, dtype=np.int64),
                          np.asarray(side_blank, dtype=bool), np.asarray(side_rejected, dtype=bool),
                          dict(problems), dict(extras), shown)


class EncodingProblems(Rule):
    """Text that decoded without an error but is garbled: mojibake, replacement characters,
    control characters and stray invisible characters.

    ## What it does
    Scans every turn (and the rejected side of preference pairs) for:

    - **mojibake**: UTF-8 text that was decoded as Windows-1252 or Latin-1 somewhere upstream
      (`Ã©` for `é`, `â€™` for `’`, `Â ` for a no-break space). A sequence is only reported when
      its characters, turned back into bytes, really decode as UTF-8, so real French, German,
      Chinese or emoji text is not flagged;
    - **replacement characters** (U+FFFD `�`): bytes that were lost when the text was decoded;
    - **control characters**: C0 controls other than tab, newline and carriage return (NUL, ESC
      from terminal colour codes, form feeds from PDF extraction), DEL, and C1 controls;
    - **invisible characters** (with `check-invisible`): zero-width spaces, joiners, word joiners
      and byte-order marks between Latin characters (a joiner inside an emoji sequence or an
      Indic or Persian word is left alone), and bidirectional controls in text that contains no
      right-to-left script.

    Each row's `extra` says which problem was found, what it is (`found`, `detail`), in which
    turn (`field`) and shows a short excerpt around it.

    ## Why it matters
    The model learns whatever characters it is shown: trained on mojibake it writes `Ã©` back,
    and control or invisible characters become tokens it learns to emit, or break tokenisation
    and the chat template in ways that are invisible when you read the data.

    ## Example
    ```
    {"instruction": "Translate to French: summer", "output": "Ã©tÃ©"}
    ```
    (the answer was `été`; the file was decoded as Windows-1252 before it was saved as UTF-8)

    ## How to fix
    Decode the source with the right encoding and re-export it as UTF-8 (for text that is
    already mangled, `ftfy.fix_text` repairs mojibake). Strip control and zero-width characters
    from the reported rows. Rows with U+FFFD lost their original characters: re-extract them
    from the source or drop them.
    """

    code = "FT005"
    name = "encoding-problem"
    summary = "Garbled text: mojibake, U+FFFD replacement characters, control or invisible characters"
    severity = Severity.WARNING
    option_help = {
        "check_invisible": "also report zero-width characters inside Latin text and bidirectional controls in "
                           "text with no right-to-left script",
    }

    @dataclass
    class Options:
        check_invisible: bool = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            rows: list[RowAt] = []
            by_problem: Counter[str] = Counter()
            for i, text, extra in ctx.artifact(encoding_scan, split, self.options.check_invisible):
                by_problem.update(extra["kinds"])
                rows.append(RowAt(split, i, text=text, extra=copy.deepcopy(extra)))
            if not rows:
                continue
            first_row = rows[0].extra
            breakdown = ", ".join(f"{n:,} {k}" for k, n in by_problem.most_common())
            yield self.finding(
                f"{plural(len(rows), 'row')} of the {split} split {'has' if len(rows) == 1 else 'have'} garbled text "
                f"({breakdown}); the first has "
                f"{first_row['problems'][0]}: “{first_row['excerpt']}”",
                "Decode the source with the right encoding and re-export as UTF-8 (ftfy.fix_text repairs "
                "mojibake); strip control and zero-width characters; re-extract or drop rows with U+FFFD, "
                "their original characters are lost.",
                rows=rows, total=len(ds), split=split, metrics={"by_problem": dict(by_problem)},
                charts=bars("by problem", {split: by_problem}),
            )


class UnfilledPlaceholders(Rule):
    """Template placeholders left in the text: `{{name}}`, `{author}`, `${VAR}`, `<PLACEHOLDER>`,
    `[Your Name]`.

    ## What it does
    Looks for placeholders that a data-generation template should have filled in:

    - **template syntax**, in every turn: Mustache/Jinja `{{ name }}`, `str.format`/f-string
      fields `{author}`, shell/JavaScript `${VAR}`, bracketed `[SNAKE_CASE_CAPS]`, and anything
      spelled `PLACEHOLDER` in brackets;
    - **fill-in blanks** written for a person, in the prompt side (system, user turns):
      `[Your Name]`, `[insert date]`, `[Company Name]`, `<your name here>`, `[NAME]`, and in
      Chinese `[您的姓名]`, `（您的姓名）`, `【公司名称】`, `XXX公司`. In the
      assistant's replies these are only reported with `blanks-in-responses`, or when the blank
      is the whole reply: an assistant asked to draft a letter signs it `[Your Name]` on purpose.

    Braces and brackets that are code or math are not placeholders: fenced, indented and inline
    code, lines that read as code (assignments, calls, f-strings, `.format(`, HTML/JSX tags),
    LaTeX (`\\textbf{x}`, `$...$`), set and sequence notation (`{x_n}`), JSON documents (tool
    calls), GitHub Actions expressions (`${{ github.repository }}`), `{{ ... }}` inside YAML
    (Helm, Ansible), and texts that talk about templates, placeholders or braces themselves. A
    blank the text asks the model to fill ("fill in the blanks", "[please suggest a list here]")
    is not unfilled. The placeholders found are in each row's `extra`.

    ## Why it matters
    A prompt that says `Summarise this article: {article}` trains the model to answer a
    question it was never shown; a reply with `{{customer_name}}` trains it to emit template
    syntax to real users. Both usually mean a whole batch of generated data went wrong the same
    way.

    ## Example
    ```
    {"instruction": "Write a short bio of {author}.", "output": "..."}
    ```

    ## How to fix
    Re-run the generation step that produced these rows with the variables filled in, or drop
    them. If a placeholder is intended (the task is to fill in a template), say so in the
    prompt, e.g. "fill in this template", and it is no longer reported.
    """

    code = "FT007"
    name = "unfilled-placeholder"
    summary = "Template placeholders left unfilled ({{name}}, {author}, ${VAR}, [Your Name])"
    severity = Severity.WARNING
    option_help = {
        "blanks_in_responses": "also report fill-in blanks such as [Your Name] in assistant replies (off: an "
                               "assistant drafting a letter or a form leaves them for the user on purpose)",
    }

    @dataclass
    class Options:
        blanks_in_responses: bool = False

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            rows: list[RowAt] = []
            counts: Counter[str] = Counter()
            for i, text, extra, texts in ctx.artifact(placeholder_scan, split, self.options.blanks_in_responses):
                counts.update(texts)
                rows.append(RowAt(split, i, text=text, extra=copy.deepcopy(extra)))
            if not rows:
                continue
            top = ", ".join(f"{t} ({n})" if n > 1 else t for t, n in counts.most_common(5))
            yield self.finding(
                f"{plural(len(rows), 'row')} of the {split} split {'contains' if len(rows) == 1 else 'contain'} "
                f"unfilled template placeholders: {top}",
                "Re-run the generation step with the variables filled in, or drop these rows; if the placeholder "
                "is intended, say so in the prompt (\"fill in this template\").",
                rows=rows, total=len(ds), split=split,
                metrics={"by_placeholder": dict(counts.most_common(20)), "distinct": len(counts)},
                charts=bars("by placeholder", {split: dict(counts.most_common(20))}),
            )


def _side_texts(ds: Dataset) -> Iterator[tuple[int, str, str]]:
    """(row, side, text) of each response and rejected side, streamed."""
    for i in range(len(ds)):
        if ds.last_assistant(i) >= 0:
            yield i, "response", ds.response(i)
        rejected = ds.rejected[i] if ds.rejected else None
        if rejected:
            yield i, "rejected side", rejected


def _meant_bad(ds: Dataset, i: int, extras: dict[str, Any]) -> bool:
    """Only the rejected side of a preference pair, or a KTO row labelled undesirable: bad on purpose."""
    if ds.kind_of(i) == "kto":
        return ds.labels[i] == "false" if ds.labels else False
    return all(extras[k].get("side") == "rejected side" for k in ("repetition", "length_outlier") if k in extras)


class DegenerateText(Rule):
    """Replies that are mostly repetition, or far longer than the rest of the split.

    ## What it does
    Checks what the model is trained to say (the final assistant turn, and the rejected side of
    preference pairs), when it has at least `min-chars` characters:

    - **repetition**: more than `max-duplicate-fraction` of the characters sit in word
      `ngram`-grams that already occurred earlier in the same text (the duplicate n-gram measure
      of web-data quality filters such as Gopher's), or the text compresses with zlib to less
      than `min-compression-ratio` of its size (runs like `000000…` or `hahaha…` that have no
      words to repeat; ordinary prose compresses to 0.3-0.6);
    - **length outliers**: a reply whose log-length is more than `outlier-mads` robust standard
      deviations (scaled median absolute deviation) above the split's median and longer than
      `outlier-min-chars`, once the split has `outlier-min-rows` replies.

    A degenerate reply on the side meant to be bad — the rejected reply of a preference pair, or
    a KTO example labelled undesirable — is reported apart, as info: it is usually intended.

    ## Why it matters
    Looping text is what a generator produces when it runs away; trained on it, the model learns
    to loop. One enormous reply among short ones dominates the loss of its batch, gets
    truncated at the sequence length (so the model learns to stop mid-sentence), and is usually
    a scraping or concatenation accident.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "I'm hungry."},
                  {"role": "assistant", "content": "Eat a banana!Eat a banana!Eat a banana!… (26,000 characters)"}]}
    ```

    ## How to fix
    Drop or regenerate the reported replies, and check the step that produced them (max tokens,
    repetition penalty, stop sequences, how records were concatenated). If long replies are the
    task, raise `outlier-min-chars`.
    """

    code = "FT008"
    name = "degenerate-text"
    summary = "Replies that are mostly repetition or extreme length outliers"
    severity = Severity.WARNING
    option_help = {
        "min_chars": "replies shorter than this are not checked for repetition",
        "ngram": "word n-gram length of the duplicate n-gram measure",
        "max_duplicate_fraction": "share of characters in repeated n-grams above which a reply is repetition",
        "min_compression_ratio": "zlib compressed/raw size below which a reply is repetition",
        "outlier_mads": "robust standard deviations of log-length above the median for a length outlier",
        "outlier_min_chars": "replies shorter than this are never length outliers",
        "outlier_min_rows": "fewest replies in a split before length outliers are looked for",
    }

    @dataclass
    class Options:
        min_chars: int = 200
        ngram: int = 10
        max_duplicate_fraction: float = 0.5
        min_compression_ratio: float = 0.1
        outlier_mads: float = 4.0
        outlier_min_chars: int = 8000
        outlier_min_rows: int = 5

    def check(self, ctx: Context) -> Iterator[Finding]:
        o = self.options
        for split in ctx.splits:
            ds = ctx.dataset(split)

            # one streamed pass (``degenerate_scan``); only (row, side, length) is kept per side, not the text
            scan = ctx.artifact(degenerate_scan, split, o.min_chars, o.ngram, o.max_duplicate_fraction,
                                o.min_compression_ratio)
            side_row, side_len, side_rejected = scan.side_row, scan.side_len, scan.side_rejected
            problems: dict[int, list[str]] = defaultdict(list, {i: list(v) for i, v in scan.problems.items()})
            extras: dict[int, dict[str, Any]] = defaultdict(dict, copy.deepcopy(scan.extras))
            shown = dict(scan.shown)  # the text of the first degenerate side of each row
            kinds: Counter[str] = Counter()
            if not len(side_row):
                continue
            lengths = np.asarray(side_len, dtype=np.float64)[~np.asarray(scan.side_blank, dtype=bool)]
            median = threshold = None
            if len(lengths) >= o.outlier_min_rows:
                logs = np.log(lengths)
                med = float(np.median(logs))
                sigma = max(1.4826 * float(np.median(np.abs(logs - med))), 0.25)
                median = int(round(math.exp(med)))
                threshold = max(int(math.exp(med + o.outlier_mads * sigma)), o.outlier_min_chars)
                for k in np.flatnonzero(np.asarray(side_len) > threshold).tolist():
                    i = int(side_row[k])
                    side = "rejected side" if side_rejected[k] else "response"
                    text = (ds.rejected[i] if side_rejected[k] else ds.response(i)) or ""
                    if len(text) > threshold:
                        problems[i].append(f"length outlier: the {side} has {len(text):,} chars, the split's "
                                           f"median is {median:,} (threshold {threshold:,})")
                        extras[i].setdefault("length_outlier", {"side": side, "chars": len(text),
                                                                "median_chars": median,
                                                                "threshold_chars": threshold})
                        shown.setdefault(i, text)
            if not problems:
                continue

            rows: list[RowAt] = []
            meant: list[RowAt] = []
            for i in sorted(problems):
                row = RowAt(split, i, text=shown[i], extra={
                    "problems": problems[i], "kinds": [k for k in ("repetition", "length_outlier") if k in extras[i]],
                    **extras[i]})
                if _meant_bad(ds, i, extras[i]):
                    meant.append(row)
                    continue
                kinds.update(k for k in ("repetition", "length_outlier") if k in extras[i])
                rows.append(row)
            if meant:
                note = self.finding(
                    f"{len(meant):,} degenerate {'reply' if len(meant) == 1 else 'replies'} of the {split} split "
                    f"{'is' if len(meant) == 1 else 'are'} on the side meant to be bad (the rejected reply of a "
                    f"preference pair, or a KTO example labelled undesirable). First: {meant[0].extra['problems'][0]}",
                    "Usually fine: a rejected reply is meant to be worse. If the whole pair is broken (the chosen "
                    "reply is degenerate too, or the rejected one is garbage rather than a plausible worse answer), "
                    "drop it: pairs the model can tell apart from length or repetition alone teach it little.",
                    rows=meant, total=len(ds), split=split, key="rejected",
                    metrics={"meant_bad": len(meant)})
                note.severity = Severity.INFO
                yield note
            if not rows:
                continue
            parts = []
            if kinds["repetition"]:
                parts.append(f"{kinds['repetition']:,} mostly repetition")
            if kinds["length_outlier"]:
                parts.append(f"{kinds['length_outlier']:,} longer than {threshold:,} characters "
                             f"(the median is {median:,})")
            yield self.finding(
                f"{len(rows):,} {'reply' if len(rows) == 1 else 'replies'} of the {split} split "
                f"{'is' if len(rows) == 1 else 'are'} degenerate: {'; '.join(parts)}. First: "
                f"{problems[min(problems)][0]}",
                "Drop or regenerate these replies and check the step that produced them (max tokens, repetition "
                "penalty, stop sequences, record concatenation); if long replies are the task, raise "
                "outlier-min-chars.",
                rows=rows, total=len(ds), split=split,
                metrics={"repetition": kinds["repetition"], "length_outliers": kinds["length_outlier"],
                         "median_chars": median, "outlier_threshold_chars": threshold},
            )
