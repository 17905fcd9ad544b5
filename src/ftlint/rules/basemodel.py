"""FT613-FT618: the base model fits the task, and the evaluation measures it.

The task comes from ``features.task.training_task`` (inferred from the data, or ``task = "..."`` in the
settings); the base model's facts from ``features.basemodel.base_model`` (its config.json and tokenizer,
read offline);
the metric, split and method choices from the TrainingPlan. Nothing here reads a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ftlint.context import Context
from ftlint.errors import SettingsError
from ftlint.features.basemodel import base_model, split_chars_per_token
from ftlint.features.labels import label_info
from ftlint.features.task import training_task
from ftlint.features.tokens import plan_tokenizer
from ftlint.model import Finding, Location, Severity, Unit
from ftlint.rule import Need, Rule, Skip
from ftlint.rules.config_common import (
    LORA_METHODS,
    anchor,
    at,
    at_value,
    config_path,
    framework_label,
    num,
    require_plan,
    trained_rows,
)
from ftlint.rules.sequence import TOKENIZER_FIX
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import TrainingPlan

SAMPLE_FIX = ("`ftlint sample --n 100 -o review/` writes a stratified sample (by label, length and group) as JSONL "
              "and as a CSV with empty rating columns, to compare the base and the fine-tuned model's outputs side "
              "by side.")
MODEL_FIX = ("make the base model's files available offline: point the config's base model at a local directory "
             "with its config.json and tokenizer files, or download them once (`huggingface-cli download <model> "
             "config.json --include 'tokenizer*'`); ftlint never downloads")
TASK_FIX = "set the task in ftlint.toml: task = \"classification\" (or qa, summarization, code-generation, chat)"


def _task(ctx: Context) -> Any:
    info = ctx.artifact(training_task)
    if info.task is None:
        raise Skip(f"the task type is unknown: {info.evidence}", TASK_FIX)
    return info


def _model_facts(ctx: Context, what: str) -> Any:
    load = ctx.artifact(base_model)
    if load.facts is None:
        raise Skip(f"the base model's files could not be read offline ({load.reason}), so {what} is unknown",
                   MODEL_FIX)
    return load.facts


def _task_note(info: Any) -> str:
    return "set in the settings" if info.source == "settings" else f"inferred: {info.evidence}"


# -- FT613 ---------------------------------------------------------------------------------------------

#: metric families, by what a metric name contains
_METRIC_PATTERNS = (
    ("loss", re.compile(r"loss")), ("perplexity", re.compile(r"perplex|ppl")), ("rouge", re.compile(r"rouge")),
    ("bleu", re.compile(r"bleu")), ("chrf", re.compile(r"chrf")), ("ter", re.compile(r"^ter$")),
    ("comet", re.compile(r"comet")), ("bertscore", re.compile(r"bertscore|bert_score")),
    ("pass_at_k", re.compile(r"pass@|pass_at")), ("exact_match", re.compile(r"exact|^em$")),
    ("f1", re.compile(r"f1|precision|recall")), ("reward", re.compile(r"reward")),
    ("accuracy", re.compile(r"acc")),
)
#: metrics that measure each task
FITTING = {
    "classification": {"accuracy", "f1", "exact_match"},
    "qa": {"exact_match", "f1"},
    "summarization": {"rouge", "bertscore"},
    "code-generation": {"pass_at_k", "exact_match"},
    "translation": {"bleu", "chrf", "ter", "comet"},
}
#: metrics that do not measure a free-form task (token accuracy; n-gram overlap for code)
MISFIT = {
    "qa": {"accuracy"},
    "summarization": {"accuracy"},
    "code-generation": {"accuracy", "bleu", "chrf", "ter", "rouge"},
    "chat": {"accuracy"},
    "translation": {"accuracy"},
}
_SUGGEST = {
    "qa": "exact match and token F1 against the reference answers (SQuAD-style)",
    "summarization": "ROUGE-1/2/L against the reference summaries (plus a human or LLM-judge check of faithfulness)",
    "code-generation": "pass@k: run the generated code against unit tests (n-gram overlap says little about "
                       "whether code works)",
    "translation": "BLEU or chrF (sacrebleu) against the reference translations",
    "chat": "a human review or an LLM judge on held-out prompts, base and fine-tuned model side by side",
}


def metric_kind(name: str) -> str:
    """The family of a metric name (``eval_accuracy`` -> accuracy, ``rougeL`` -> rouge; else other)."""
    key = name.strip().lower()
    for prefix in ("eval_", "eval/", "predict_", "test_"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    for kind, pattern in _METRIC_PATTERNS:
        if pattern.search(key):
            return kind
    return "other"


@dataclass(frozen=True)
class SelectedMetric:
    name: str  # as written (or the framework's implied metric)
    kind: str
    key: str  # the config key that selects it
    line: int | None


def selected_metrics(plan: TrainingPlan) -> list[SelectedMetric]:
    """The metrics the run selects or reports, with the keys that turn them on."""
    out: list[SelectedMetric] = []
    mfb = plan.early_stopping.metric_for_best_model
    if mfb.is_set and isinstance(mfb.value, str):
        key = mfb.key or "metric_for_best_model"
        out.append(SelectedMetric(mfb.value, metric_kind(mfb.value), key, mfb.line))
    for m in adapter_for(plan).reported_metrics(plan):
        out.append(SelectedMetric(m.name, m.kind or metric_kind(m.name), m.key, plan.key_lines.get(m.key)))
    return out


def _metric_fix(plan: TrainingPlan, task: str, suggestion: str) -> str:
    how = adapter_for(plan).metric_recipe(task, suggestion)
    return how[0].upper() + how[1:] + ". " + SAMPLE_FIX


class EvalMetricMismatch(Rule):
    """The metric the run selects or reports does not measure the task.

    ## What it does
    Reads the metrics the training config selects or turns on (HF/TRL and Axolotl
    `metric_for_best_model`; Axolotl `do_causal_lm_eval` with `eval_causal_lm_metrics`;
    LLaMA-Factory `compute_accuracy` and `predict_with_generate`) and compares them with the task
    (inferred from the training data, or `task = "..."` in the settings). It reports a
    classification task measured by the loss alone (it suggests accuracy, and macro-F1 when the
    classes are imbalanced: largest/smallest class at least `imbalance-ratio`), and a free-form
    task measured by token accuracy (or code measured by n-gram overlap), suggesting ROUGE for
    summaries, exact match and F1 for QA, BLEU/chrF for translations and pass@k for code. A
    metric ftlint does not recognise is trusted.

    ## Why it matters
    The eval loss and token accuracy say how well the model predicts the reference tokens, not
    whether it gets the label right, answers the question or writes code that runs. A checkpoint
    picked (or a run judged) on the wrong number can be worse at the task that matters.

    ## Example
    A LLaMA-Factory config with `compute_accuracy: true` for a summarisation dataset, or a TRL
    config for sentiment labels with no `metric_for_best_model` beyond `eval_loss`.

    ## How to fix
    Compute the task's metric (the fix names each framework's key) and select checkpoints on it;
    review a stratified sample of outputs of the base and the fine-tuned model side by side
    (`ftlint sample --n 100`).
    """

    code = "FT613"
    name = "eval-metric-mismatch"
    summary = "The evaluation metric does not measure the task"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN})
    option_help = {"imbalance_ratio": "largest/smallest class ratio from which macro-F1 is suggested"}

    @dataclass
    class Options:
        imbalance_ratio: float = 3.0

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        info = _task(ctx)
        task = info.task
        if task == "preference":
            return  # preference runs report reward accuracies and margins: what they optimise
        flavour = "translation" if task == "chat" and info.translation else task
        metrics = selected_metrics(plan)
        kinds = {m.kind for m in metrics}
        label = framework_label(plan)
        base = {"task": task, "task_source": info.source, "metrics": [m.name for m in metrics]}
        if task == "classification":
            if kinds & FITTING["classification"] or "other" in kinds:
                return
            counts = labels.counts() if "train" in ctx.splits and (labels := ctx.artifact(label_info, "train")) else {}
            ratio = (max(counts.values()) / min(counts.values())) if counts else None
            imbalanced = ratio is not None and ratio >= self.options.imbalance_ratio
            suggestion = ("accuracy and macro-F1 (the classes are imbalanced: the largest is "
                          f"{ratio:.1f}x the smallest, so accuracy alone rewards predicting it)" if imbalanced
                          else "accuracy (and macro-F1 if the classes are imbalanced)")
            shown = ", ".join(m.name for m in metrics) or "eval_loss"
            m = next((x for x in metrics), None)
            location = (at(plan, m.key, m.line) if m is not None else
                        anchor(plan, ["metric_for_best_model", "eval_strategy", "val_set_size", "val_size",
                                       "eval_dataset"], "metric_for_best_model"))
            yield self.finding(
                f"a classification task ({_task_note(info)}) measured only by {shown}: the {label} run never "
                "checks whether the predicted label is right",
                _metric_fix(plan, task, suggestion), location=location,
                metrics={**base, "suggested": ["accuracy", "f1_macro"] if imbalanced else ["accuracy"],
                         "class_ratio": round(ratio, 3) if ratio is not None else None},
            )
            return
        fitting = FITTING.get(flavour, set())
        wrong = [m for m in metrics if m.kind in MISFIT.get(flavour, set())]
        if not wrong or kinds & fitting or "other" in kinds:
            return
        suggestion = _SUGGEST.get(flavour, _SUGGEST["chat"])
        names = ", ".join(dict.fromkeys(m.name for m in wrong))
        what = "translation" if flavour == "translation" else info.words
        yield self.finding(
            f"{names} does not measure {what} ({_task_note(info)}): free-form outputs can be right in many "
            f"wordings, so use {suggestion.split(' (')[0]}",
            _metric_fix(plan, flavour, suggestion), location=at(plan, wrong[0].key, wrong[0].line),
            metrics={**base, "flavour": flavour, "mismatched": [m.name for m in wrong]},
        )


# -- FT614 ---------------------------------------------------------------------------------------------

def _test_fix(plan: TrainingPlan | None) -> str:
    head = ("Keep 5-10% of the examples aside as a test file that is never trained on, early-stopped on or used to "
            "pick a checkpoint, and pass it with `--test test.jsonl` (or [dataset] test = [\"test.jsonl\"]). ")
    if plan is not None:
        tail = adapter_for(plan).test_recipe()
    else:
        tail = "Measure the final model on it once, after every choice is made."
    return head + tail + " " + SAMPLE_FIX


class NoHeldOutTest(Rule):
    """Nothing is kept aside for the final measurement.

    ## What it does
    Reports a run with no test split: none given (`--test`, `[dataset] test`, a file named
    `test`) and none in the training config (HF `test_file`). It is information when the
    validation split is only watched; a warning when it also chooses the model: early stopping
    (FT601's fix), `load_best_model_at_end` or `metric_for_best_model`.

    ## Why it matters
    A score measured on data that picked the checkpoint (or the hyperparameters) is optimistic:
    the choice was made because that data looked good. Only examples that played no part in any
    decision give an unbiased estimate of how the model will do.

    ## Example
    `ftlint check train.jsonl --validation val.jsonl --config axolotl.yaml` where the config
    sets `early_stopping_patience: 3`: early stopping picks the checkpoint on `val.jsonl`, so
    the validation loss of that checkpoint is not a fair final score.

    ## How to fix
    Keep 5-10% of the examples as a test file that is never used for training or any choice;
    pass it with `--test`, and measure the final model on it once. Review a stratified sample of
    outputs by hand (`ftlint sample --n 100`).
    """

    code = "FT614"
    name = "no-held-out-test"
    summary = "No held-out test split: the reported score is optimistic"
    severity = Severity.INFO
    requires = frozenset()

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = ctx.plan
        if "test" in ctx.splits or (plan is not None and plan.test_datasets):
            return
        if plan is None and "validation" not in ctx.splits:
            # a dataset-only run says nothing about how the model will be measured: not checked
            raise Skip("a dataset-only run (no training config, no validation split): where the final model is "
                       "measured is not known", "pass the training config with `--config train.yaml`, or the "
                       "held-out files with `--validation` and `--test`")
        selection: list[str] = []
        if plan is not None:
            es = plan.early_stopping
            if es.requested:
                selection.append("early stopping")
            if es.load_best_model_at_end.value and es.load_best_model_at_end.from_config:
                selection.append("`load_best_model_at_end`")
            if es.metric_for_best_model.from_config:
                selection.append("`metric_for_best_model`")
        has_val = "validation" in ctx.splits or (plan is not None and plan.validation.configured)
        if selection:
            verb = "choose" if len(selection) > 1 else "chooses"
            message = (f"no test split, and {' and '.join(selection)} {verb} the model on the validation data: "
                       "the validation score of the chosen checkpoint is optimistically biased, and nothing else "
                       "measures it")
        elif has_val:
            message = ("no test split: the only held-out data is the validation split, and a score on data used to "
                       "tune the run is optimistically biased")
        else:
            message = "no test split: nothing is kept aside to measure the final model on"
        if plan is not None:
            location = anchor(plan, ["early_stopping_patience", "early_stopping_steps", "load_best_model_at_end",
                                      "metric_for_best_model", "val_set_size", "val_size", "eval_dataset",
                                      "validation_file", "test_split_size", "dataset_val"], None)
            if location.key is None:
                location = Location(path=config_path(plan), line=None, key=None)
        else:
            ds = ctx.dataset("train")
            location = Location(path=ds.files[0].path if len(ds.files) == 1 else None)
        yield self.finding(message, _test_fix(plan), location=location, escalate=bool(selection),
                           escalated_by="the validation data also chooses the model",
                           split="train" if plan is None else None,
                           metrics={"validation": has_val, "model_selection": selection})


# -- FT615 ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """A model family with a code-specialised variant: ``general`` and ``code`` are regexes on the
    base model's name; ``suggest`` is the code variant to propose."""

    name: str
    general: str
    code: str
    suggest: str


#: families with a code variant (extend with [rules.base-model-task-mismatch] families = [...])
FAMILIES: tuple[Family, ...] = (
    Family("Qwen", r"qwen", r"coder", "Qwen/Qwen2.5-Coder-7B-Instruct (or another Qwen2.5-Coder size)"),
    Family("Llama", r"llama", r"code-?llama", "codellama/CodeLlama-7b-Instruct-hf"),
    Family("DeepSeek", r"deepseek", r"coder", "deepseek-ai/deepseek-coder-6.7b-instruct (or DeepSeek-Coder-V2-Lite)"),
    Family("Mistral", r"mistral|mixtral", r"codestral", "mistralai/Codestral-22B-v0.1"),
    Family("StarCoder", r"starcoder", r"starcoder", "bigcode/starcoder2-7b"),
)
_FAMILY_KEYS = ("name", "general", "code", "suggest")
_CAUSAL_NAME = re.compile(r"qwen|llama|mistral|mixtral|gemma|phi|deepseek|falcon|gpt|olmo|smollm|starcoder|"
                          r"codestral|yi-|granite|internlm|baichuan", re.IGNORECASE)


def _families(extra: list[dict[str, str]]) -> list[Family]:
    out = []
    for k, entry in enumerate(extra):
        where = f"[rules.base-model-task-mismatch] families[{k}]"
        if not isinstance(entry, dict) or set(entry) - set(_FAMILY_KEYS) or not {"name", "general", "code"} <= set(
                entry) or not all(isinstance(v, str) and v for v in entry.values()):
            raise SettingsError(f"{where}: expected a table with name, general, code (regexes on the model name) "
                                "and optional suggest, all strings")
        for key in ("general", "code"):
            try:
                re.compile(entry[key])
            except re.error as e:
                raise SettingsError(f"{where}.{key}: invalid regular expression: {e}") from None
        out.append(Family(entry["name"], entry["general"], entry["code"], entry.get("suggest", entry["name"])))
    return out + list(FAMILIES)


class BaseModelTaskMismatch(Rule):
    """The base model does not fit the task: a general model for code, or a causal LM for
    classification with no way to read the label back.

    ## What it does
    Measures the share of training examples with code (fenced blocks or several lines of source
    code, on a sample of up to 5,000 rows) and reports a code-heavy dataset (at least
    `code-share`, 30%) fine-tuned from a general model whose family has a code variant
    (Qwen/Qwen-Coder, Llama/Code Llama, DeepSeek/DeepSeek-Coder, Mistral/Codestral, StarCoder;
    extend the table with `families`), and a code model fine-tuned on data with almost no code
    (under `min-code-share`, 5%). It also reports a classification task with a label column
    trained into a causal LM with nothing in the config saying how a label is read back (no
    classification head: `num_labels`, `problem_type`, a `classification` stage). A missing chat
    template is FT610's.

    ## Why it matters
    Fine-tuning adapts what the model already knows; it does not teach a language or a skill
    from a few thousand examples. A code variant was pre-trained on far more code than its
    general sibling and starts much closer to the target. A causal LM answers in free text:
    unless the label is the exact response (and the evaluation parses it), predictions cannot be
    scored or used.

    ## Example
    `base_model: Qwen/Qwen2.5-7B-Instruct` with a dataset where 80% of the responses are Python
    functions: `Qwen/Qwen2.5-Coder-7B-Instruct` is the same size and starts from code.

    ## How to fix
    Start from the family's code variant (the message names it), or say in the settings why the
    general model is intended (`[rules.base-model-task-mismatch] severity = "info"` or ignore the
    rule). For classification, put the label as the assistant response with a fixed set of
    strings (generative classification) and score by exact match, or train a classification
    head (`AutoModelForSequenceClassification`, HF `num_labels`).
    """

    code = "FT615"
    metric_units = {"code_share": Unit.SHARE}
    name = "base-model-task-mismatch"
    summary = "A base model that does not fit the task"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN})
    option_help = {
        "code_share": "share of examples with code from which a code variant is suggested",
        "min_code_share": "share of examples with code below which a code model is reported",
        "families": "extra families: tables with name, general and code (regexes on the model name) and suggest",
    }

    @dataclass
    class Options:
        code_share: float = 0.3
        min_code_share: float = 0.05
        families: list[dict[str, str]] = field(default_factory=list)

        def __post_init__(self) -> None:
            _families(self.families)  # a malformed table is a settings error (exit 2), not a failed rule

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        name = (plan.base_model.value or "") if plan.base_model.is_set else ""
        if not name:
            raise Skip("the training config names no base model", "set the base model (FT609)")
        if "train" not in ctx.splits:
            raise Skip("no training data to measure the task on", "pass the training data")
        info = ctx.artifact(training_task)
        share = float(info.metrics.get("code_share", 0.0))
        location = at_value(plan, plan.base_model, None)
        low = name.lower()
        metrics = {"base_model": name, "code_share": share, "sampled_rows": info.sampled, "task": info.task}
        opts = self.options
        for fam in _families(opts.families):
            if not re.search(fam.general, low, re.IGNORECASE):
                continue
            is_code = bool(re.search(fam.code, low, re.IGNORECASE))
            if not is_code and share >= opts.code_share:
                yield self.finding(
                    f"{share:.0%} of the training examples contain code (measured on {info.sampled:,} rows), but "
                    f"`{name}` is the general {fam.name} model: its code variant was pre-trained on far more code",
                    f"Start from {fam.name}'s code variant, e.g. {fam.suggest} (same family, same chat format), "
                    "and keep the general model as the baseline to compare with.",
                    location=location, metrics={**metrics, "family": fam.name, "suggest": fam.suggest},
                )
            elif is_code and share < opts.min_code_share and info.task not in ("code-generation", None):
                yield self.finding(
                    f"`{name}` is a code model, but only {share:.0%} of the training examples contain code "
                    f"(the task looks like {info.words}): a general model knows more of everything else",
                    f"Start from a general {fam.name} model of the same size, or check that the data is the "
                    "intended one.",
                    location=location, metrics={**metrics, "family": fam.name},
                )
            break
        yield from self._classification(ctx, plan, info, name, location)

    def _classification(self, ctx: Context, plan: TrainingPlan, info: Any, name: str, location: Location
                        ) -> Iterator[Finding]:
        if info.task != "classification" or info.generative_labels:
            return
        stage = str(plan.stage.value or "").lower()
        head_keys = ("num_labels", "problem_type", "task_type", "lora_task_type")
        if stage in ("classification", "rm", "reward") or any(plan.get(k) not in (None, "", "CAUSAL_LM")
                                                               for k in head_keys):
            return
        load = ctx.artifact(base_model)
        facts = load.facts
        kind = facts.kind if facts is not None else "unknown"
        if kind == "unknown" and _CAUSAL_NAME.search(name):
            kind = "causal-lm"
        if kind != "causal-lm":
            return
        arch = (facts.architecture if facts is not None else None) or "a causal LM"
        labels = ctx.artifact(label_info, "train")
        n = len(labels.counts()) if labels is not None else 0
        yield self.finding(
            f"a classification task with a label column ({n} labels) trained into {arch} ({name}) by "
            f"{stage.upper() or 'SFT'}: nothing in the config says how a label is read back from generated text",
            "Either make the label the assistant response, drawn from a fixed set of strings, and score by exact "
            "match on generated outputs (constrain decoding to the label strings if you can), or train a "
            "classification head (`AutoModelForSequenceClassification` with `num_labels`).",
            location=location, metrics={"base_model": name, "kind": kind, "labels": n, "task": info.task},
        )


# -- FT616 ---------------------------------------------------------------------------------------------

def _rope_keys(plan: TrainingPlan) -> list[str]:
    return [k for k in ("rope_scaling", "model.rope_scaling", "rope_scaling.type", "rope_scaling.factor")
            if plan.get(k) not in (None, "", False)]


class ContextWindowExceeded(Rule):
    """The configured maximum sequence length is longer than the base model's context window.

    ## What it does
    Reads the base model's context window from its own config.json (`max_position_embeddings`,
    or `n_positions`, `max_sequence_length`, `seq_length`, `n_ctx`; the tokenizer's
    `model_max_length` when config.json has none), offline, and reports a training config whose
    maximum length (`sequence_len`, `cutoff_len`, `max_length`, `max_seq_length`,
    `tokenizer.max_seq_len`) is larger. A config that sets `rope_scaling` is trusted to extend
    the window. Rows longer than the configured length are FT602's.

    ## Why it matters
    Positions past the window were never trained: learned position embeddings have no entry for
    them (the run crashes with an index error), and rotary models see positions they never saw
    in pre-training, so quality collapses on exactly the long examples the setting was raised
    for.

    ## Example
    `sequence_len: 2048` on a model whose config.json says `max_position_embeddings: 512`.

    ## How to fix
    Lower the maximum length to the window (the message gives it), pick a model with a longer
    context, or extend the window on purpose with RoPE scaling (Axolotl `rope_scaling:
    {type: yarn, factor: 4}`, LLaMA-Factory `rope_scaling: yarn`).
    """

    code = "FT616"
    name = "context-window-exceeded"
    summary = "Maximum sequence length beyond the base model's context window"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        seq = plan.sequence
        if seq.max_length.invalid:
            raise Skip(f"`{seq.max_length.key}` in the training config is not a valid length (FT621 reports it)",
                       f"fix `{seq.max_length.key}` as FT621 (invalid-config-value) says")
        if seq.unlimited or not seq.max_length.is_set or not seq.max_length.value:
            raise Skip("the training config sets no maximum sequence length",
                       f"set {adapter_for(plan).key('sequence.max_length') or 'the maximum length'} in the config")
        facts = _model_facts(ctx, "its context window")
        if facts.context_window is None:
            raise Skip(f"the files of {facts.describe()} state no context window", MODEL_FIX)
        if _rope_keys(plan):
            return
        window = int(facts.context_window)
        key = seq.max_length.key or "max_length"
        for what, value in (("", seq.max_length), ("evaluation ", seq.eval_max_length)):
            if not value.is_set or not value.value or int(value.value) <= window:
                continue
            length = int(value.value)
            vkey = value.key or key
            default = " (the framework's default: the config does not set it)" if value.is_default else ""
            yield self.finding(
                f"the {what}maximum sequence length `{vkey}: {length:,}`{default} is longer than the context window "
                f"of {facts.name} ({window:,} tokens, {facts.window_key}): positions past {window:,} were never "
                "trained",
                f"Set `{vkey}: {window:,}` or less, pick a base model with a longer context, or extend the window on "
                "purpose with RoPE scaling (Axolotl `rope_scaling: {type: yarn, factor: "
                f"{max(2, -(-length // window))}}}`, LLaMA-Factory `rope_scaling: yarn`).",
                location=at_value(plan, value, vkey),
                metrics={"max_length": length, "context_window": window, "window_source": facts.window_key,
                         "base_model": facts.name},
            )


# -- FT617 ---------------------------------------------------------------------------------------------

class TokenizerLanguageFit(Rule):
    """The base model's tokenizer splits this data into far more tokens than usual.

    ## What it does
    Counts the characters per token of the training text with the base model's real tokenizer
    (loaded offline, as for FT602) on up to `sample-rows` evenly spaced rows, and reports fewer
    than `min-chars-per-token` (2.0; English with a modern BPE gives about 4), or more than
    `max-unknown-share` (5%) of the tokens being the unknown token. The message gives the cost:
    how many times the tokens (so the sequence length and the compute per example) the same text
    would take at 4 characters per token.

    ## Why it matters
    A tokenizer built for other languages or scripts cuts this text into tiny pieces (or maps
    it to the unknown token): every example takes several times the sequence length, so fewer
    fit in the context, training costs more, and the model has fewer pre-trained units of
    meaning to build on.

    ## Example
    Chinese text with an English-only WordPiece tokenizer: one token per character.

    ## How to fix
    Pick a base model whose tokenizer covers the language (a multilingual model with a large
    vocabulary), or budget for the longer sequences (the maximum length and the compute). Adding
    tokens to the vocabulary needs their embeddings trained, which a small fine-tune cannot do well.
    """

    code = "FT617"
    metric_units = {"unknown_share": Unit.SHARE}
    name = "tokenizer-language-fit"
    summary = "The tokenizer needs far more tokens per character than usual on this data"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET})
    option_help = {
        "min_chars_per_token": "fewest characters per token before this is reported",
        "typical_chars_per_token": "characters per token of a well-fitting tokenizer (English, modern BPE)",
        "max_unknown_share": "largest share of unknown tokens",
        "sample_rows": "rows tokenised (evenly spaced)",
        "tokenizer": "use this tokenizer (a local directory or a cached hub id) instead of the config's base model",
    }

    @dataclass
    class Options:
        min_chars_per_token: float = 2.0
        typical_chars_per_token: float = 4.0
        max_unknown_share: float = 0.05
        sample_rows: int = 2000
        tokenizer: str = ""

    def check(self, ctx: Context) -> Iterator[Finding]:
        opts = self.options
        plan = ctx.plan
        if plan is None and not opts.tokenizer:
            raise Skip("no tokenizer: no training config names a base model",
                       "pass the training config with --config, or set [rules.tokenizer-language-fit] tokenizer")
        if "train" not in ctx.splits or len(ctx.dataset("train")) == 0:
            raise Skip("no training rows to tokenise", "pass the training data")
        load = ctx.artifact(plan_tokenizer, opts.tokenizer or None)
        if load.handle is None:
            raise Skip(f"the base model's tokenizer could not be loaded offline: {load.reason}", TOKENIZER_FIX)
        handle = load.handle
        cpt = ctx.artifact(split_chars_per_token, "train", handle, opts.sample_rows)
        ratio = cpt.ratio
        if ratio is None:
            return
        unknown = cpt.unknown / cpt.tokens if cpt.tokens else 0.0
        if ratio >= opts.min_chars_per_token and unknown <= opts.max_unknown_share:
            return
        factor = opts.typical_chars_per_token / ratio
        per_row = cpt.tokens / max(cpt.rows, 1)
        parts = []
        if ratio < opts.min_chars_per_token:
            parts.append(f"{handle.describe()} needs {ratio:.2f} characters per token on this data (a good fit: about "
                         f"{opts.typical_chars_per_token:g}): the same text takes {factor:.1f}x the tokens, so every "
                         f"sequence is {factor:.1f}x longer ({per_row:,.0f} tokens per row on average) and each "
                         f"example costs about {factor:.1f}x the compute, more for attention")
        if unknown > opts.max_unknown_share:
            parts.append(f"{unknown:.1%} of the tokens are the unknown token: the tokenizer cannot represent that text "
                         "at all")
        sample = f" (measured on {cpt.rows:,} of {cpt.of:,} rows)" if cpt.rows < cpt.of else ""
        if plan is not None and plan.base_model.is_set:
            location = at_value(plan, plan.base_model, None)
        else:
            location = Location(path=None)
        yield self.finding(
            "; ".join(parts) + sample,
            "Pick a base model whose tokenizer covers this language or script (a multilingual model with a large "
            "vocabulary), or budget for it: raise the maximum length and plan for the compute. New tokens added to "
            "the vocabulary start with untrained embeddings, which a small fine-tune cannot train well.",
            location=location,
            metrics={"chars_per_token": round(ratio, 3), "chars": cpt.chars, "tokens": cpt.tokens,
                     "unknown_share": round(unknown, 4), "rows_sampled": cpt.rows, "cost_factor": round(factor, 2)},
        )


# -- FT618 ---------------------------------------------------------------------------------------------

_TARGET_FIX = ("Name the target modules: Axolotl `lora_target_linear: true` (or `lora_target_modules: [q_proj, k_proj, "
               "v_proj, o_proj, gate_proj, up_proj, down_proj]`), HF/TRL `lora_target_modules: all-linear`, "
               "LLaMA-Factory `lora_target: all`, torchtune `lora_attn_modules: [q_proj, k_proj, v_proj, output_proj]` "
               "with `apply_lora_to_mlp: true`.")


class MethodChoice(Rule):
    """The fine-tuning method, or its LoRA settings, do not fit the model and the data.

    ## What it does
    Reports full fine-tuning of a model with more than `max-full-parameters` (1B) parameters
    (counted from the safetensors headers, or estimated from config.json, read offline) on fewer
    than `min-rows` (10,000) training rows; a LoRA rank outside `min-rank`-`max-rank` (4-256);
    a LoRA alpha/rank ratio outside `min-alpha-ratio`-`max-alpha-ratio` (0.5-4); and LoRA with
    no target modules (PEFT then adapts only its per-architecture default, the attention query
    and value projections on Llama).

    ## Why it matters
    Full fine-tuning updates every weight: on a few thousand examples it overfits and forgets
    sooner, needs optimizer state for every parameter (about 16 bytes per parameter in mixed
    precision) and gains little over LoRA. A rank too small cannot hold the change; too large
    wastes memory and overfits. Alpha/rank scales the update: far from 1-2 it acts like a much
    higher or lower learning rate. LoRA on attention only learns less than on all linear layers.

    ## Example
    `finetuning_type: full` for a 7B model on 3,000 rows; `lora_rank: 512`; `lora_alpha: 1` with
    `lora_r: 64`.

    ## How to fix
    Use LoRA (rank 8-64, alpha = 1-2 x rank, all linear layers) for small datasets; set the
    target modules explicitly (the fix lists each framework's key).
    """

    code = "FT618"
    name = "method-choice"
    summary = "Full fine-tuning where LoRA would do, or LoRA settings out of range"
    severity = Severity.INFO
    requires = frozenset({Need.TRAINING_PLAN})
    option_help = {
        "max_full_parameters": "parameters above which full fine-tuning of a small dataset is reported",
        "min_rows": "training rows below which a dataset is small",
        "min_rank": "smallest usual LoRA rank",
        "max_rank": "largest usual LoRA rank",
        "min_alpha_ratio": "smallest usual LoRA alpha / rank",
        "max_alpha_ratio": "largest usual LoRA alpha / rank",
    }

    @dataclass
    class Options:
        max_full_parameters: float = 1e9
        min_rows: int = 10000
        min_rank: int = 4
        max_rank: int = 256
        min_alpha_ratio: float = 0.5
        max_alpha_ratio: float = 4.0

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        method = str(plan.method.value or "").lower()
        if method == "full":
            yield from self._full(ctx, plan)
        elif method in LORA_METHODS:
            yield from self._lora(plan)

    def _full(self, ctx: Context, plan: TrainingPlan) -> Iterator[Finding]:
        opts = self.options
        rows = trained_rows(ctx, plan)
        if rows is None:
            raise Skip("the training set size is unknown (no loadable training data)", "pass the training data")
        if rows >= opts.min_rows:
            return
        facts = _model_facts(ctx, "its parameter count")
        if facts.parameters is None:
            raise Skip(f"the parameter count of {facts.describe()} is unknown (config.json has no sizes)", MODEL_FIX)
        params = int(facts.parameters)
        if params <= opts.max_full_parameters:
            return
        how = "counted from its weights" if facts.parameters_exact else "estimated from config.json"
        size = f"{params / 1e9:.1f}B"
        yield self.finding(
            f"full fine-tuning of {facts.name} ({size} parameters, {how}) on {rows:,} training rows: every weight is "
            f"updated from little data, with optimizer state for all {size} parameters "
            f"(about {params * 16 / 2**30:,.0f} GiB in mixed precision)",
            f"Use LoRA: {adapter_for(plan).lora_recipe()}. It trains well under 1% of the parameters, "
            "overfits and forgets less on small data, and needs a fraction of the memory; keep full fine-tuning for "
            f"datasets of {opts.min_rows:,}+ rows.",
            location=at_value(plan, plan.method, plan.method.key or "finetuning_type") if plan.method.from_config
            else at_value(plan, plan.base_model, None),
            metrics={"parameters": params, "parameters_exact": facts.parameters_exact, "train_rows": rows,
                     "method": "full"},
        )

    def _lora(self, plan: TrainingPlan) -> Iterator[Finding]:
        opts = self.options
        adapter = adapter_for(plan)
        lora = plan.lora
        r, alpha = lora.r.value, lora.alpha.value
        rkey = lora.r.key or "lora_r"
        alpha_key = adapter.key("lora.alpha") or "lora_alpha"
        if r is not None and (r < opts.min_rank or r > opts.max_rank):
            direction = ("too small to hold the change" if r < opts.min_rank
                         else "large enough to overfit, with little gain over a lower rank")
            yield self.finding(
                f"LoRA rank `{rkey}: {r}` is outside {opts.min_rank}-{opts.max_rank}: {direction}",
                f"Set `{rkey}` to 8-64 (16 is a common start) and `{alpha_key}` to 1-2x it.",
                location=at_value(plan, lora.r, rkey), metrics={"rank": r},
            )
        if r and alpha is not None:
            ratio = float(alpha) / float(r)
            if ratio < opts.min_alpha_ratio or ratio > opts.max_alpha_ratio:
                akey = lora.alpha.key or "lora_alpha"
                effect = "much weaker" if ratio < opts.min_alpha_ratio else "much stronger"
                yield self.finding(
                    f"LoRA alpha/rank is {num(alpha)}/{r} = {ratio:g}, outside {opts.min_alpha_ratio:g}-"
                    f"{opts.max_alpha_ratio:g}: the update is scaled by alpha/rank, so it acts like a {effect} "
                    "learning rate",
                    f"Set `{akey}` to {r}-{2 * r} (1-2x the rank).",
                    location=at_value(plan, lora.alpha, akey), metrics={"rank": r, "alpha": alpha,
                                                                         "ratio": round(ratio, 4)},
                )
        if lora.target_modules.value is None:
            tkey = adapter.key("lora.target_modules") or "lora_target_modules"
            yield self.finding(
                f"LoRA with no target modules ({adapter.label}): PEFT falls back to its per-architecture default, "
                "on Llama-style models only the attention query and value projections, which learns less than "
                "LoRA on all linear layers",
                _TARGET_FIX, location=anchor(plan, [tkey, "adapter", "use_peft", "finetuning_type"], tkey),
                metrics={"method": plan.method.value},
            )


__all__ = ["BaseModelTaskMismatch", "ContextWindowExceeded", "EvalMetricMismatch", "MethodChoice", "NoHeldOutTest",
           "TokenizerLanguageFit", "metric_kind", "selected_metrics"]
