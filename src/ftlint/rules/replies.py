"""FT009, FT010, FT011: what the model is trained to say: replies cut off, refusal boilerplate, a
reply in another language than its prompt."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.schema import ASSISTANT, TOOLS_DIGEST, USER
from ftlint.features import replies
from ftlint.grammar import plural
from ftlint.model import Finding, RowAt, Severity, Unit
from ftlint.rule import Rule, Skip

#: characters of each side that the quick same-language check reads
QUICK_CHARS = 200
#: characters of each side that FT011 reads at all
MAX_CHARS = 3000


def _undesirable(ds: Dataset, i: int) -> bool:
    """A KTO row labelled undesirable: its reply is meant to be bad."""
    return ds.kind_of(i) == "kto" and bool(ds.labels) and str(ds.labels[i]).lower() in ("false", "0")


def _last_user_turn(ds: Dataset, i: int, before: int) -> str:
    roles, texts = ds.roles[i], ds.texts[i]
    k = roles.rfind(USER, 0, max(before, 0))
    return texts[k] if k >= 0 else ""


_CONTINUE_RE = re.compile(r"\b(?:continue|complete|finish)\b|续写|接着写|补全", re.I)


def _continues(prompt: str) -> bool:
    """A prompt that asks for a continuation, or ends mid-sentence itself: the reply may start mid-sentence."""
    p = prompt.rstrip()
    if not p:
        return False
    return bool(_CONTINUE_RE.search(p[:300])) or not replies.ends_cleanly(p)


# -- the per-row scans of FT009, FT010 and FT011: artifacts whose row i depends only on row i, so
# an engine computes them part by part (``ftlint.backend.rowmap``) and the rules read them unchanged


@dataclass(frozen=True)
class TruncationScan:
    """FT009's reading of a split: the words of each judged reply (in row order), how many end and
    start cleanly, and the replies that look cut (row, words, cut)."""

    lengths: list[int]
    clean: int
    starts: int
    found: list[tuple[int, int, replies.Cut]]


def truncation_scan(ctx: Context, split: str, min_words: int = 8, check_starts: bool = True) -> TruncationScan:
    """FT009's per-row work over a split (the judgement against the split's norm is the rule's)."""
    ds = ctx.dataset(split)
    lengths: list[int] = []  # words of each judged reply
    clean = starts = 0
    found: list[tuple[int, int, replies.Cut]] = []  # (row, words, cut)
    for i in range(len(ds)):
        if ds.last_assistant(i) < 0 or _undesirable(ds, i):
            continue
        text = ds.response(i)
        words = replies.word_count(text)
        if words < min_words:
            continue
        lengths.append(words)
        clean += replies.ends_cleanly(text)
        starts += replies.starts_cleanly(text)
        cut = replies.truncation(text)
        if cut is None and check_starts:
            cut = replies.starts_mid_sentence(text)
            if cut is not None and _continues(_last_user_turn(ds, i, ds.last_assistant(i))):
                cut = None
        if cut is not None:
            found.append((i, words, cut))
    return TruncationScan(lengths, clean, starts, found)


def refusal_scan(ctx: Context, split: str) -> list[tuple[int, int, replies.Refusal, str]]:
    """FT010's per-row work: (row, assistant turn, refusal, field) of each row whose reply refuses."""
    ds = ctx.dataset(split)
    out: list[tuple[int, int, replies.Refusal, str]] = []
    tools = ds.extras.get(TOOLS_DIGEST)
    for i in range(len(ds)):
        if _undesirable(ds, i):
            continue
        roles, texts = ds.roles[i], ds.texts[i]
        if tools is not None and tools[i]:
            continue  # tools offered: declining what no tool serves is what tool-calling rows teach
        preference = bool(ds.rejected) and ds.rejected[i] is not None
        last = roles.rfind(ASSISTANT)
        for k, role in enumerate(roles):
            if role != ASSISTANT or not texts[k].strip():
                continue
            if preference and k != last:
                continue  # a preference pair trains on its chosen reply, not on the history turns
            r = replies.refusal(texts[k], _last_user_turn(ds, i, k))
            if r is None:
                continue
            out.append((i, k, r, f"assistant turn {k + 1}"))
            break
    return out


#: FT011: rows screened, then sent to the language model together (bounds the texts held at once)
MISMATCH_BLOCK_ROWS = 4096


def _screen(user: str, reply: str, min_letters: int) -> tuple[str, str, bool] | None:
    """FT011's cheap tests first, on one row: ``(user's prose, reply's prose, in other scripts)``
    when the row needs the model, else None (a mismatch is ruled out)."""
    reply, user = reply[:MAX_CHARS], user[:MAX_CHARS]
    rp, up = replies.prose(reply), replies.prose(user)
    if len(rp.strip()) < 0.3 * len(reply.strip()):
        return None  # mostly code
    # a quick look first: the same language on both sides is the norm
    qp, qr = replies.quick_language(up), replies.quick_language(rp)
    if qp is not None and qp == qr:
        return None
    if replies.letters(rp) < min_letters:
        return None  # too short to tell
    # a prompt in another script than the reply's (Chinese and English) needs half the letters
    cross = replies.script_of(up) != replies.script_of(rp)
    if replies.letters(up) < (min_letters / 2 if cross else min_letters):
        return None
    return up, rp, cross


def _mismatches(det: Any, rows: list[tuple[str, str, bool]], min_confidence: float
                ) -> list[tuple[str, float, str, float] | None]:
    """For each screened row, ``(prompt's language, confidence, reply's, confidence)`` when both
    sides are identified confidently in different languages, else None: the model runs on all the
    rows' texts at once (``features.language``: the same results as one at a time)."""
    found: list[tuple[str, float, str, float] | None] = [None] * len(rows)
    # the same language group on the first characters of both sides (rows in one script)
    same = [k for k, (_up, _rp, cross) in enumerate(rows) if not cross]
    codes, _ = det.classify_many([side[:QUICK_CHARS] for k in same for side in rows[k][:2]])
    settled = {k for n, k in enumerate(same) if replies.group(codes[2 * n]) == replies.group(codes[2 * n + 1])}
    left = [k for k in range(len(rows)) if k not in settled]
    prompts = replies.identify_many([rows[k][0] for k in left], det)
    sure = [(k, lp) for k, lp in zip(left, prompts, strict=True) if lp[1] >= min_confidence]
    answers = replies.identify_many([rows[k][1] for k, _ in sure], det)  # only where the prompt's is sure
    for (k, (lp, cp)), (lr, cr) in zip(sure, answers, strict=True):
        if lp != lr and cr >= min_confidence:
            found[k] = (lp, cp, lr, cr)
    return found


def _explained(det: Any, prompt: str, rp: str, lp: str, lr: str, min_letters: int) -> bool:
    """Whether the prompt explains a reply in another language (a translation, a language named or
    taught, text of the reply's language in the prompt), or the reply also answers in the
    prompt's language."""
    if replies.asks_translation(prompt) or replies.names_language(prompt, lr):
        return True
    if replies.language_exercise(prompt, replies.script_of(rp)):
        return True
    # the prompt holds text in the reply's language, or the reply also answers in the prompt's
    # (quotations in the reply are the prompt's material, not the reply's language)
    for text, other in ((replies.prose(prompt), lr), (replies.unquoted(rp), lp)):
        for piece in replies.segments(text):
            if replies.letters(piece) >= min_letters / 2 and replies.identify(piece, det)[0] == other:
                return True
    return False


def language_mismatch_scan(ctx: Context, split: str, min_letters: int = 20, min_confidence: float = 0.9
                           ) -> list[tuple[int, dict[str, object], str]]:
    """FT011's per-row work: (row, languages and confidences, what is shown) of each row whose reply
    is in another language than its prompt. Rows are screened by the cheap tests, then the
    language model runs on a block of rows' texts at once."""
    from ftlint.features.relevance import language_detector

    ds = ctx.dataset(split)
    out: list[tuple[int, dict[str, object], str]] = []
    for lo in range(0, len(ds), MISMATCH_BLOCK_ROWS):
        screened: list[tuple[int, str, str, tuple[str, str, bool]]] = []
        for i in range(lo, min(len(ds), lo + MISMATCH_BLOCK_ROWS)):
            k = ds.last_assistant(i)
            if k < 0 or _undesirable(ds, i):
                continue
            reply = ds.texts[i][k]
            user = _last_user_turn(ds, i, k)
            if not reply.strip() or not user.strip():
                continue
            sides = _screen(user, reply, min_letters)
            if sides is not None:
                screened.append((i, user, reply, sides))
        if not screened:
            continue
        det = ctx.artifact(language_detector)
        for (i, user, reply, sides), pair in zip(
                screened, _mismatches(det, [s[3] for s in screened], min_confidence), strict=True):
            if pair is None:
                continue
            lp, cp, lr, cr = pair
            if _explained(det, ds.prompt(i), sides[1], lp, lr, min_letters):
                continue
            found: dict[str, object] = {"prompt_language": lp, "reply_language": lr,
                                        "prompt_confidence": round(cp, 3), "reply_confidence": round(cr, 3)}
            out.append((i, found, f"user: {replies._head(user, 60)} → assistant: {replies._head(reply, 80)}"))
    return out


class TruncatedReply(Rule):
    """Replies cut off at the end (mid-word, mid-sentence, inside a code block or a bracket) or
    at the start (a fragment such as “e! Here is…”), in a split whose replies otherwise end cleanly.

    ## What it does
    Reads the final assistant turn of every row (the chosen side of a preference pair; not a KTO
    completion labelled undesirable) that has at least `min-words` words, and reports one that:

    - opens a fenced code block (```` ``` ````) that is never closed;
    - ends on a comma, an enumeration comma or a colon (`萨克斯、小号、`, `有以下几种：`), on an
      assignment with no value (`maximum_elastic_scale =`), or on an opening bracket, or leaves
      a bracket or quotation opened in its last line unclosed (`43. 锝(T`);
    - stops in the middle of a sentence of running text: on a word no English sentence ends with
      (`…a reminder of the importance of`, `…reduction. For`) or on a cut word (`…it may need to be
      re`); or, for a reply that is also among the longest of its split (at least `long-fraction`
      of the words of its `long-quantile` reply: where a generator's token limit cuts), on any
      sentence without its end (`…you want to invest in. While Bitcoin`);
    - starts with a lowercase fragment glued to punctuation (`e! Here is…`, `canvas,'' Soren
      replied`), the end of a sentence whose beginning was lost.

    Judged against the split's norm: a reply that ends without punctuation is only a sign of
    truncation where most replies end cleanly. When fewer than `min-clean-share` of a split's
    replies end with terminal punctuation (`.`, `!`, `?`, `。`, `！`, `？`…) or a closing quote,
    bracket, code fence or emoji (classification labels, short answers, code, lists), the split is
    not judged; a split needs `min-rows` replies for a norm. A reply that ends in a URL, a number,
    code, a table row, a list item, a hashtag, a label (`Answer: Paris`), a signature or a
    quotation's attribution is not truncated.

    ## Why it matters
    The model learns to stop where its examples stop: trained on replies cut at a token limit, it
    stops mid-sentence or leaves code blocks open; trained on replies that start mid-word, it
    learns to begin with garbage. Cut replies usually come from a generation step run with too
    small a `max_tokens`, or from text split at a fixed length.

    ## Example
    ```
    {"instruction": "Come up with an algorithm for predicting house prices in a given city.",
     "output": "1. Collect data: … 7. Monitor and update the model: … If the model's performance degrades over time, it may need to be re"}
    ```

    ## How to fix
    Regenerate the reported replies with a higher token limit (or drop them), and check the step
    that produced them: the generation's `max_tokens`, its stop sequences, or a script that cut
    text at a fixed length. A reply that starts mid-sentence lost its beginning the same way.
    """  # noqa: E501 - the example is a record, one line as in the file

    code = "FT009"
    metric_units = {"clean_end_share": Unit.SHARE, "clean_start_share": Unit.SHARE}
    name = "truncated-reply"
    summary = "Replies cut off mid-word, mid-sentence or inside a code block, or that start mid-sentence"
    severity = Severity.WARNING
    option_help = {
        "min_words": "replies with fewer words are not judged (a CJK character counts as half a word)",
        "min_rows": "fewest judged replies in a split before its norm is trusted",
        "min_clean_share": "share of a split's replies that must end cleanly before its replies are judged",
        "long_quantile": "quantile of the split's reply lengths (in words) that marks its generation limit",
        "long_fraction": "a reply that stops without the end of its sentence is reported when it has at least this "
                         "fraction of the long-quantile's words",
        "check_starts": "also report replies that start with a lowercase fragment (“e! Here is…”)",
    }

    @dataclass
    class Options:
        min_words: int = 8
        min_rows: int = 10
        min_clean_share: float = 0.7
        long_quantile: float = 0.99
        long_fraction: float = 0.85
        check_starts: bool = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        o = self.options
        judged_any = False
        reasons: list[str] = []
        for split in ctx.splits:
            ds = ctx.dataset(split)
            scan = ctx.artifact(truncation_scan, split, o.min_words, o.check_starts)
            lengths, clean, starts, found = scan.lengths, scan.clean, scan.starts, scan.found
            n = len(lengths)
            if n < o.min_rows:
                reasons.append(f"{split}: {plural(n, 'reply', 'replies')} of {o.min_words}+ words "
                               f"(a norm needs {o.min_rows})")
                continue
            end_share, start_share = clean / n, starts / n
            if end_share < o.min_clean_share and start_share < o.min_clean_share:
                reasons.append(f"{split}: only {end_share:.0%} of its replies end with terminal punctuation "
                               "(labels, short answers, code or lists: a cut reply cannot be told from a finished "
                               "one)")
                continue
            judged_any = True
            long_words = int(o.long_fraction * float(np.quantile(np.asarray(lengths), o.long_quantile)))
            rows: list[RowAt] = []
            kinds: Counter[str] = Counter()
            for i, words, cut in found:
                start = cut.kind == "starts-mid-sentence"
                if (start and start_share < o.min_clean_share) or (not start and end_share < o.min_clean_share):
                    continue
                if not cut.strong and words < long_words:
                    continue
                kinds[cut.kind] += 1
                rows.append(RowAt(split, i, text=cut.shown, extra={
                    "kind": cut.kind, "detail": cut.detail, "excerpt": cut.shown, "words": words,
                    "long": words >= long_words,
                }))
            if not rows:
                continue
            first = rows[0]
            breakdown = ", ".join(f"{k} {n_}" for k, n_ in kinds.most_common())
            yield self.finding(
                f"{plural(len(rows), 'reply', 'replies')} of the {split} split "
                f"{'looks' if len(rows) == 1 else 'look'} cut off ({breakdown}), while {end_share:.0%} of its "
                f"replies end cleanly; row {int(ds.index[first.position])}: {first.extra['detail']}: "
                f"“{first.extra['excerpt']}”",
                "Regenerate these replies with a higher token limit, or drop them; check the step that produced "
                "them (max_tokens, stop sequences, text cut at a fixed length).",
                rows=rows, total=len(ds), split=split,
                metrics={"by_kind": dict(kinds), "clean_end_share": round(end_share, 4),
                         "clean_start_share": round(start_share, 4), "judged": n,
                         "long_reply_words": long_words},
                charts=bars("by kind", {split: kinds}),
            )
        if not judged_any and reasons:
            raise Skip("no split has a clean-ending norm to judge replies against: " + "; ".join(reasons),
                       "Nothing to do: short answers, labels and code-only replies are not judged.")


class RefusalBoilerplate(Rule):
    """Replies that refuse or disclaim: “As an AI language model, I cannot…”, “I'm sorry, but I
    can't…”, “作为一个AI语言模型，我无法…”, “抱歉，我不能…”.

    ## What it does
    Reads every assistant turn (not the rejected side of a preference pair, where a refusal is
    expected, nor a KTO completion labelled undesirable, nor the history turns of a preference
    pair's prompt, nor rows that offer tools: declining a request that no offered tool serves is
    what tool-calling data teaches) and reports the rows whose reply opens,
    in its first two sentences, with:

    - an **AI disclaimer**: the model calling itself an AI, a language model or a chatbot and
      saying in the same sentence (or, after “However”, the next) what it cannot do or does not
      have: “As an AI, I don't have access to real-time data”, “I'm an AI Assistant, so unable to
      perceive the website”, “由于我是一个人工智能语言模型，我无法获取实时信息”;
    - a **refusal**: an apology with “I can't / I'm unable / I don't have the ability”
      (“I'm sorry, but I can't assist with that”, “对不起，我无法回答您的问题”), or a reply that starts
      by declining (“I cannot provide…”, “我无法访问…”; a **disclaimer** when it goes on to answer).

    English and Chinese are recognised. A self-introduction (“I am an AI assistant developed by
    …”), an AI persona that does not decline anything (“As an AI assistant, I would…”), and an
    apology in a letter, an excuse or a dialogue the prompt asked for are not reported. The
    finding gives the share of the split's rows, with every row and the sentence that refuses;
    it is a warning from `warn-share` of the rows, info below.

    ## Why it matters
    Refusals and “As an AI…” disclaimers distilled from a chat model teach the fine-tuned model
    to refuse answerable questions and to talk about itself instead of doing the task; a few
    percent of such rows are enough to make it noticeably more evasive. In safety data, or in
    tool-calling data that teaches the model to decline what no tool can do, refusals are the
    point: then this finding is the count to check, not a defect.

    ## Example
    ```
    {"instruction": "Find the average age of the inhabitants of the United States",
     "output": "As an AI, I don't have the ability to provide real-time data, and the average age of the US population changes over time. However, …"}
    ```

    ## How to fix
    Drop the reported rows, or regenerate their replies with a system prompt that asks for a
    direct answer; keep refusals only where refusing is the behaviour you want to teach (and then
    ignore FT010 for that file).
    """  # noqa: E501 - the example is a record, one line as in the file

    code = "FT010"
    metric_units = {"share": Unit.SHARE}
    name = "refusal-boilerplate"
    summary = "Refusals and AI disclaimers in replies (“As an AI language model, I cannot…”)"
    severity = Severity.WARNING
    option_help = {
        "warn_share": "share of a split's rows with a refusal or disclaimer from which the finding is a warning "
                      "(info below)",
    }

    @dataclass
    class Options:
        warn_share: float = 0.01

    def check(self, ctx: Context) -> Iterator[Finding]:
        o = self.options
        for split in ctx.splits:
            ds = ctx.dataset(split)
            rows: list[RowAt] = []
            kinds: Counter[str] = Counter()
            langs: Counter[str] = Counter()
            for i, _k, r, field in ctx.artifact(refusal_scan, split):
                kinds[r.kind] += 1
                langs[r.language] += 1
                rows.append(RowAt(split, i, text=r.phrase, extra={
                    "kind": r.kind, "language": r.language, "phrase": r.phrase[:300], "field": field,
                }))
            if not rows:
                continue
            share = len(rows) / len(ds)
            what = ", ".join(f"{n:,} {k.replace('-', ' ')}{'' if n == 1 else 's'}" for k, n in kinds.most_common())
            f = self.finding(
                f"{plural(len(rows), 'row')} of the {split} split ({share:.1%}) "
                f"{'has' if len(rows) == 1 else 'have'} a reply that refuses or disclaims ({what}); "
                f"row {int(ds.index[rows[0].position])}: “{replies._head(rows[0].extra['phrase'], 120)}”",
                "Drop these rows or regenerate their replies to answer directly; keep refusals only where refusing "
                "is the behaviour to teach (safety data, requests no tool can serve), and then ignore FT010 here.",
                rows=rows, total=len(ds), split=split,
                metrics={"share": round(share, 4), "by_kind": dict(kinds), "by_language": dict(langs)},
                charts=[*bars("by kind", {split: kinds}), *bars("by language", {split: langs})],
            )
            if share < o.warn_share:
                f.severity = Severity.INFO
            yield f


class ReplyLanguageMismatch(Rule):
    """A reply in another language than its prompt: an English answer to a Chinese instruction.

    ## What it does
    For every row, identifies offline (with py3langid, as FT404 does) the language of the last
    user turn and of the reply (the final assistant turn), each without its code blocks, inline
    code, URLs and lines that read as code, and reports the rows where they differ. Only rows
    where both sides have at least `min-letters` letters (a CJK character counts as two; a prompt
    in another script than its reply, such as a short Chinese instruction answered in English,
    needs half) and both languages are identified with at least `min-confidence` are judged
    (a cheap look at the script and the most common English words settles most rows before the
    model is asked); variants of one
    language (Mandarin, Wu and Cantonese; Croatian, Serbian and Bosnian; Malay and Indonesian; …)
    count as one.

    Not reported: translation requests (“translate”, “翻译”, “in French”, “用英文”) and prompts
    that name the reply's language; code-only replies; language exercises that quote words in
    the reply's language (“写一个包含“do away with”短语的句子”); prompts that hold text in the
    reply's language (a passage to summarise, a system prompt), and bilingual replies that also
    answer in the prompt's language. Each row's `extra` has both languages and confidences.

    ## Why it matters
    The model learns to answer in whatever language its examples answer in: a Chinese
    instruction answered in English teaches it to switch languages on Chinese users. These rows
    usually come from a translated dataset where some replies were left untranslated, or from a
    generator that ignored the prompt's language.

    ## Example
    ```
    {"instruction": "生成一个关于2020年美国总统选举的5个问题和答案的集合。",
     "output": "Here's a collection of five questions and answers about the 2020 U.S. Presidential Election: …"}
    ```

    ## How to fix
    Translate the reported replies into the prompt's language (or regenerate them), or drop
    the rows. If answering in another language is the task, say so in the prompt (“answer in
    English”) and the row is no longer reported.
    """

    code = "FT011"
    name = "reply-language-mismatch"
    summary = "Replies in another language than their prompt (an English answer to a Chinese instruction)"
    severity = Severity.WARNING
    option_help = {
        "min_letters": "letters (a CJK character counts as two) each side needs before its language is judged",
        "min_confidence": "language-identification confidence each side needs",
    }

    @dataclass
    class Options:
        min_letters: int = 20
        min_confidence: float = 0.9

    def check(self, ctx: Context) -> Iterator[Finding]:
        o = self.options
        for split in ctx.splits:
            rows: list[RowAt] = []
            pairs: Counter[str] = Counter()
            for i, found, shown in ctx.artifact(language_mismatch_scan, split, o.min_letters, o.min_confidence):
                pair = f"{found['prompt_language']} → {found['reply_language']}"
                pairs[pair] += 1
                rows.append(RowAt(split, i, text=shown, extra=dict(found)))
            ds = ctx.dataset(split)
            if not rows:
                continue
            top = ", ".join(f"{p} ({n:,})" for p, n in pairs.most_common(5))
            yield self.finding(
                f"{plural(len(rows), 'reply', 'replies')} of the {split} split {'is' if len(rows) == 1 else 'are'} "
                f"in another language than {'its' if len(rows) == 1 else 'their'} prompt (prompt → reply: {top})",
                "Translate these replies into the prompt's language, regenerate or drop them; if answering in "
                "another language is the task, say so in the prompt (\"answer in English\").",
                rows=rows, total=len(ds), split=split, metrics={"by_pair": dict(pairs)},
                charts=bars("by pair", {split: pairs}),
            )
