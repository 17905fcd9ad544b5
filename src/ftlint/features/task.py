"""What the fine-tuning task is, inferred from the data (or set with ``task = "..."``).

:func:`infer_task` looks at a sample of the training rows once (the Context memoises it as
``ctx.artifact(training_task)``) and returns a :class:`TaskInfo`: the task type, where it comes from, and the
measurements behind it (share of preference rows, of rows with code, of prompts asking for a
summary or a translation, of short or extractive answers), so rules such as FT613 and FT615 use
the same numbers the report shows.

Task types: ``classification`` (a label column, or generative classification: the responses
take a few short values), ``qa`` (extractive or short-answer question answering),
``summarization``, ``code-generation``, ``chat`` (open-ended chat and instruction following)
and ``preference`` (chosen/rejected pairs, KTO).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ftlint.context import Context

TASKS: tuple[str, ...] = ("classification", "qa", "summarization", "code-generation", "chat", "preference")
#: what each task type means, for messages and documentation
TASK_WORDS = {
    "classification": "classification",
    "qa": "question answering",
    "summarization": "summarisation",
    "code-generation": "code generation",
    "chat": "open-ended chat / instruction following",
    "preference": "preference training",
}
#: rows looked at when inferring the task (evenly spaced over the split)
SAMPLE_ROWS = 2000

_FENCE = re.compile(r"```")
_CODE_LINE = re.compile(
    r"^\s*(?:def \w+\s*\(|class \w+\s*[:(]|import [\w.]+|from [\w.]+ import |#include\s*[<\"]|"
    r"(?:public|private|protected|static)\s+[\w<>\[\]]+\s+\w+\s*\(|function\s+\w+\s*\(|"
    r"(?:const|let|var)\s+\w+\s*=|fn\s+\w+\s*\(|func\s+\w+\s*\(|package\s+\w+|"
    r"(?:SELECT|INSERT\s+INTO|UPDATE|CREATE\s+TABLE)\b.*|return\b.*;|.*;\s*$|.*\{\s*$|\}\s*;?\s*$|"
    r"(?:if|for|while)\s*\(.*\)\s*\{?\s*$|(?:if|for|while|elif|else|try|except)\b[^.!?]*:\s*$|"
    r"\w+(?:\.\w+)*\s*\(.*\)\s*;?\s*$|\w+\s*=\s*[\w\[\]{}(\"'].*[^.!?]\s*$)"
)
_SUMMARY_CUE = re.compile(r"\b(?:summari[sz]e|summary|summari[sz]ation|tl;?dr|in (?:one|a few|\d+) sentences?)\b",
                          re.IGNORECASE)
_TRANSLATE_CUE = re.compile(r"\btranslat(?:e|ion|ing)\b", re.IGNORECASE)
_QUESTION = re.compile(r"\?|\b(?:who|what|when|where|which|why|how|question|answer)\b", re.IGNORECASE)


def has_code(text: str) -> bool:
    """True when ``text`` holds code: a fenced block, or at least two lines (and a third of its
    non-empty lines) that look like source code."""
    if not text:
        return False
    if len(_FENCE.findall(text)) >= 2:
        return True
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    hits = sum(1 for ln in lines if _CODE_LINE.match(ln))
    return hits >= 2 and hits * 3 >= len(lines)


def sample_positions(n: int, limit: int = SAMPLE_ROWS) -> list[int]:
    """Up to ``limit`` evenly spaced row positions of ``n`` (all of them when ``n <= limit``)."""
    if n <= limit:
        return list(range(n))
    step = n / limit
    return sorted({int(k * step) for k in range(limit)})


@dataclass(frozen=True)
class TaskInfo:
    """The task type of a run and the measurements it was inferred from.

    ``task`` is one of :data:`TASKS`, or None when nothing could be inferred (no training rows,
    or rows without responses). ``source`` is ``"settings"`` or ``"inferred"``; ``evidence`` says
    why in one sentence. ``metrics`` holds the shares measured on ``sampled`` rows (of ``rows``),
    also when the task comes from the settings.
    """

    task: str | None
    source: str
    evidence: str
    rows: int = 0
    sampled: int = 0
    generative_labels: bool = False
    translation: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> str:
        return TASK_WORDS.get(self.task or "", "an unknown task")

    def as_json(self) -> dict[str, Any]:
        return {"type": self.task, "source": self.source, "evidence": self.evidence,
                "generative_labels": self.generative_labels, "translation": self.translation,
                "sampled_rows": self.sampled, **self.metrics}


def validate_task(value: str) -> str:
    """The task type ``value`` names (``-``/``_``/case-insensitive); ValueError with a did-you-mean."""
    key = value.strip().lower().replace("_", "-").replace(" ", "-")
    aliases = {"summarisation": "summarization", "code": "code-generation", "instruction": "chat",
               "instruct": "chat", "dpo": "preference", "generative-classification": "classification",
               "question-answering": "qa", "extractive-qa": "qa"}
    key = aliases.get(key, key)
    if key in TASKS:
        return key
    close = difflib.get_close_matches(key, list(TASKS) + list(aliases), n=1, cutoff=0.6)
    hint = f"; did you mean '{aliases.get(close[0], close[0])}'?" if close else ""
    raise ValueError(f"unknown task {value!r}{hint} (expected one of {', '.join(TASKS)})")


def measure(ds: Any, positions: Sequence[int]) -> dict[str, Any]:
    """Shares over the rows at ``positions``: preference rows, rows with code (anywhere, and in
    the response), prompts asking for a summary or a translation, questions, short responses
    (<= 8 words), extractive responses (a span of the prompt), and the median word counts."""
    m = len(positions)
    if m == 0:
        return {}
    pref = code_any = code_resp = summary = translate = question = short = extractive = with_resp = 0
    prompt_words: list[int] = []
    resp_words: list[int] = []
    for i in positions:
        kind = ds.kind_of(i)
        if kind in ("preference", "kto"):
            pref += 1
        prompt, response = ds.prompt(i), ds.response(i)
        if has_code(response):
            code_resp += 1
            code_any += 1
        elif has_code(prompt):
            code_any += 1
        head = prompt[-2000:] + prompt[:500]
        summary += bool(_SUMMARY_CUE.search(head))
        translate += bool(_TRANSLATE_CUE.search(head))
        question += bool(_QUESTION.search(prompt[-500:]))
        if response.strip():
            with_resp += 1
            words = len(response.split())
            resp_words.append(words)
            prompt_words.append(len(prompt.split()))
            if words <= 8:
                short += 1
                if len(response.strip()) >= 2 and response.strip().lower().rstrip(".") in prompt.lower():
                    extractive += 1

    def median(xs: list[int]) -> float:
        if not xs:
            return 0.0
        s = sorted(xs)
        k = len(s) // 2
        return float(s[k]) if len(s) % 2 else (s[k - 1] + s[k]) / 2

    def share(k: int, of: int = m) -> float:
        return round(k / of, 4) if of else 0.0

    return {"preference_share": share(pref), "code_share": share(code_any), "code_response_share": share(code_resp),
            "summary_prompt_share": share(summary), "translation_prompt_share": share(translate),
            "question_share": share(question), "short_response_share": share(short, with_resp),
            "extractive_share": share(extractive, with_resp), "response_share": share(with_resp),
            "median_prompt_words": median(prompt_words), "median_response_words": median(resp_words)}


def infer_task(ds: Any | None, labels: Any | None, setting: str | None = None,
               sample: int = SAMPLE_ROWS) -> TaskInfo:
    """The task of the training split ``ds`` (a Dataset or None), given its labels (the
    Context's ``LabelInfo`` or None) and the ``task`` setting (which wins when set)."""
    n = len(ds) if ds is not None else 0
    positions = sample_positions(n, sample) if ds is not None else []
    metrics = measure(ds, positions) if positions else {}
    generative = bool(labels is not None and getattr(labels, "generative", False))
    translation = metrics.get("translation_prompt_share", 0.0) >= 0.3
    common = {"rows": n, "sampled": len(positions), "generative_labels": generative, "translation": translation,
              "metrics": metrics}
    if setting:
        return TaskInfo(validate_task(setting), "settings", f"set in the settings (task = \"{setting}\")", **common)
    if not positions:
        return TaskInfo(None, "inferred", "no training rows to infer the task from", **common)
    pct = metrics
    if pct["preference_share"] >= 0.5:
        return TaskInfo("preference", "inferred", f"{pct['preference_share']:.0%} of rows are preference pairs",
                        **common)
    if labels is not None:
        counts = labels.counts()
        how = "generative classification: " if generative else ""
        return TaskInfo("classification", "inferred",
                        f"{how}{len(counts)} labels ({labels.source})", **common)
    if pct["response_share"] < 0.5:
        return TaskInfo(None, "inferred", "most rows have no response to learn (plain text)", **common)
    if pct["code_response_share"] >= 0.3:
        return TaskInfo("code-generation", "inferred",
                        f"{pct['code_response_share']:.0%} of responses contain code", **common)
    if pct["summary_prompt_share"] >= 0.3:
        return TaskInfo("summarization", "inferred",
                        f"{pct['summary_prompt_share']:.0%} of prompts ask for a summary", **common)
    if pct["median_prompt_words"] >= 150 and pct["median_response_words"] <= 0.25 * pct["median_prompt_words"] \
            and pct["median_response_words"] >= 15 and pct["question_share"] < 0.5:
        return TaskInfo("summarization", "inferred",
                        f"long inputs (median {pct['median_prompt_words']:.0f} words) with much shorter responses "
                        f"(median {pct['median_response_words']:.0f})", **common)
    if pct["extractive_share"] >= 0.5 or (pct["short_response_share"] >= 0.6 and pct["question_share"] >= 0.6):
        return TaskInfo("qa", "inferred",
                        f"{pct['question_share']:.0%} of prompts are questions, {pct['short_response_share']:.0%} of "
                        f"answers are short ({pct['extractive_share']:.0%} copied from the prompt)", **common)
    why = "translation requests" if translation else "free-form responses"
    return TaskInfo("chat", "inferred",
                    f"{why} (median {pct['median_response_words']:.0f} words), no label set, no code", **common)


def training_task(ctx: Context) -> TaskInfo:
    """The task type of the run: ``task = "..."`` in the settings, else inferred once from a
    sample of the training rows and their labels (``features.labels.labels``)."""
    from ftlint.features.labels import label_info

    ds = ctx.datasets.get("train")
    info = ctx.artifact(label_info, "train") if ds is not None and len(ds) else None
    return infer_task(ds, info, ctx.settings.task)


__all__ = ["SAMPLE_ROWS", "TASKS", "TASK_WORDS", "TaskInfo", "has_code", "infer_task", "measure",
           "sample_positions", "training_task", "validate_task"]
