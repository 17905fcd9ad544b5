"""Training-config values checked against the type and range each framework accepts (FT621).

One table per framework lists its canonical numeric and boolean keys (epochs, learning rate,
batch sizes, sequence length, held-out share, warmup, eval/save steps, early-stopping patience,
``max_steps``...) with what the framework accepts. :func:`check_values` runs before the adapter
builds the plan: every value of the wrong type or out of range becomes an
:class:`~ftlint.training.plan.InvalidValue` (reported by FT621, located at its key's line), and
the :class:`~ftlint.training.source.Reader` then treats the key as unreadable, so no rule uses the
value (nor the framework's default in its place).

The keys that name the training data are checked for their shape instead: a dataset list that is
a number, a path that is a mapping. The framework refuses such a config when it loads it, and
ftlint cannot tell which data the run would train on, so that is a located one-line error (exit
code 2, :class:`~ftlint.training.plan.TrainingConfigError`), as for a config that does not parse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ftlint.training.plan import MISSING, InvalidValue, TrainingConfigError
from ftlint.training.source import Reader, is_empty, to_bool, to_float, to_strategy

LABELS: Mapping[str, str] = MappingProxyType({
    "hf": "the HF Trainer", "trl": "TRL", "axolotl": "Axolotl", "llamafactory": "LLaMA-Factory",
    "torchtune": "torchtune", "openai": "the OpenAI fine-tuning API",
})


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def shown(raw: Any) -> str:
    """A raw config value as it reads in YAML, short: ``"abc"``, ``-5``, ``true``, ``a list``."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        text = raw if len(raw) <= 40 else raw[:37] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(raw, (int, float)):
        return _num(raw) if math.isfinite(raw) else {math.inf: ".inf", -math.inf: "-.inf"}.get(raw, ".nan")
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    return "null" if raw is None else type(raw).__name__


def _type_name(raw: Any) -> str:
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, (int, float)):
        return "a number"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    return "null" if raw is None else type(raw).__name__


@dataclass(frozen=True)
class Spec:
    """What a framework accepts for one key."""

    kind: str  # "int" | "number" | "bool" | "choice"
    low: float | None = None
    low_open: bool = False  # True: the value must be above ``low``; False: ``low`` or more
    high: float | None = None
    high_open: bool = False
    unit: str = ""  # "tokens", "steps", "rows": said after the kind
    auto: bool = False  # the string "auto" is accepted (OpenAI hyperparameters)
    choices: tuple[str, ...] = ()
    note: str = ""  # what the value means, after the range
    #: 0 is accepted too when this key holds a positive number (epochs: 0 with max_steps > 0)
    zero_with: str | None = None

    def expected(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        what = "a whole number" if self.kind == "int" else "a number"
        if self.unit:
            what += f" of {self.unit}"
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            if self.high_open:
                what += f" from {_num(lo)} up to (not including) {_num(hi)}"
            else:
                what += f" from {_num(lo)} to {_num(hi)}"
        elif lo is not None:
            what += f" above {_num(lo)}" if self.low_open else f", {_num(lo)} or more"
        if self.auto:
            what = f'"auto" or {what}'
        return what + (f" ({self.note})" if self.note else "")

    def problem(self, raw: Any) -> tuple[str, float | None]:
        """What is wrong with ``raw`` as a predicate ("is below 1"; "" when it is accepted), and its
        number when it has one."""
        if self.auto and isinstance(raw, str) and raw.strip().lower() == "auto":
            return "", None
        if self.kind == "bool":
            try:
                to_bool(raw)
            except ValueError:
                return f"is {_type_name(raw)}", None
            return "", None
        if self.kind == "choice":
            try:
                value = to_strategy(raw)
            except ValueError:
                return f"is {_type_name(raw)}", None
            if value not in self.choices:
                return "is not one of the accepted values", None
            return "", None
        if isinstance(raw, float) and not math.isfinite(raw):
            return "is not a finite number", None
        try:
            number = to_float(raw)
        except (ValueError, TypeError, OverflowError):
            return f"is {_type_name(raw)}", None
        if not math.isfinite(number):
            return "is not a finite number", None
        if self.kind == "int" and number != int(number):
            return "is not a whole number", number
        lo, hi = self.low, self.high
        if lo is not None and (number < lo or (self.low_open and number == lo)):
            return (f"is not above {_num(lo)}" if self.low_open else f"is below {_num(lo)}"), number
        if hi is not None and (number > hi or (self.high_open and number == hi)):
            return (f"is not below {_num(hi)}" if self.high_open else f"is above {_num(hi)}"), number
        return "", number


@dataclass(frozen=True)
class Shape:
    """What a key that names training data must look like (anything else: exit 2)."""

    kinds: tuple[str, ...]  # "str", "mapping", "list-of-str", "list-of-mapping"
    what: str

    def refused(self, raw: Any) -> tuple[int | None, Any] | None:
        """None when ``raw`` has an accepted shape; else ``(None, raw)`` for the value itself, or
        ``(i, item)`` for the first list item of a shape the framework refuses."""
        if isinstance(raw, str):
            return None if "str" in self.kinds else (None, raw)
        if isinstance(raw, Mapping):
            return None if "mapping" in self.kinds else (None, raw)
        if not isinstance(raw, list):
            return None, raw
        item_types = tuple(t for k, t in (("list-of-str", str), ("list-of-mapping", Mapping)) if k in self.kinds)
        if not item_types:
            return None, raw
        for i, item in enumerate(raw):
            if item is not None and not isinstance(item, item_types):
                return i, item
        return None


# -- the specs ------------------------------------------------------------------------------------

POS_INT = Spec("int", 1)
NONNEG_INT = Spec("int", 0)
ANY_INT = Spec("int", note="0 or less: train by epochs")
BOOL = Spec("bool")
LR = Spec("number", 0)
EPOCHS = Spec("number", 0, low_open=True, zero_with="max_steps", note="0 only with a positive max_steps")
TOKENS = Spec("int", 1, unit="tokens")
BATCH = Spec("int", 1)
WARMUP_RATIO = Spec("number", 0, high=1)
WARMUP_STEPS = Spec("number", 0, unit="steps")
STEPS = Spec("number", 0, low_open=True, unit="steps", note="below 1: a share of the total steps")
DECAY = Spec("number", 0)
DROPOUT = Spec("number", 0, high=1, high_open=True)
ALPHA = Spec("number", 0, low_open=True)
HOLDOUT = Spec("number", 0, note="below 1: a share of the training data; 1 or more: a number of rows")
EVAL_STRATEGY = Spec("choice", choices=("no", "steps", "epoch"))
SAVE_STRATEGY = Spec("choice", choices=("no", "steps", "epoch", "best"))

_HF_COMMON: dict[str, Spec] = {
    "num_train_epochs": EPOCHS,
    "max_steps": ANY_INT,
    "learning_rate": LR,
    "per_device_train_batch_size": BATCH,
    "per_device_eval_batch_size": BATCH,
    "per_gpu_train_batch_size": BATCH,
    "per_gpu_eval_batch_size": BATCH,
    "gradient_accumulation_steps": BATCH,
    "warmup_ratio": WARMUP_RATIO,
    "warmup_steps": WARMUP_STEPS,
    "eval_steps": STEPS,
    "save_steps": STEPS,
    "logging_steps": STEPS,
    "weight_decay": DECAY,
    "eval_strategy": EVAL_STRATEGY,
    "evaluation_strategy": EVAL_STRATEGY,
    "save_strategy": SAVE_STRATEGY,
    "do_eval": BOOL,
    "do_train": BOOL,
    "load_best_model_at_end": BOOL,
    "greater_is_better": BOOL,
    "bf16": BOOL,
    "fp16": BOOL,
}

SPECS: Mapping[str, Mapping[str, Spec]] = MappingProxyType({
    "hf": MappingProxyType({
        **_HF_COMMON,
        "max_seq_length": TOKENS,
        "max_length": TOKENS,
        "block_size": TOKENS,
        "max_source_length": TOKENS,
        "validation_split_percentage": Spec("number", 0, high=100, note="a percentage of the training data"),
        "max_train_samples": POS_INT,
        "max_eval_samples": POS_INT,
    }),
    "trl": MappingProxyType({
        **_HF_COMMON,
        "max_length": TOKENS,
        "max_seq_length": TOKENS,
        "max_prompt_length": TOKENS,
        "max_completion_length": TOKENS,
        "test_split_size": Spec("number", 0, low_open=True, note="below 1: a share of the data; 1 or more: rows"),
        "dataset_mixture.test_split_size": Spec("number", 0, low_open=True,
                                                note="below 1: a share of the data; 1 or more: rows"),
        "packing": BOOL,
        "use_peft": BOOL,
        "load_in_4bit": BOOL,
        "load_in_8bit": BOOL,
        "assistant_only_loss": BOOL,
        "completion_only_loss": BOOL,
        "lora_r": POS_INT,
        "lora_alpha": ALPHA,
        "lora_dropout": DROPOUT,
        "beta": Spec("number"),
    }),
    "axolotl": MappingProxyType({
        "num_epochs": EPOCHS,
        "max_steps": ANY_INT,
        "learning_rate": LR,
        "micro_batch_size": BATCH,
        "gradient_accumulation_steps": BATCH,
        "batch_size": BATCH,
        "eval_batch_size": BATCH,
        "sequence_len": TOKENS,
        "eval_sequence_len": TOKENS,
        "max_prompt_len": TOKENS,
        "val_set_size": HOLDOUT,
        "warmup_steps": WARMUP_STEPS,
        "warmup_ratio": WARMUP_RATIO,
        "eval_steps": STEPS,
        "save_steps": STEPS,
        "logging_steps": STEPS,
        "evals_per_epoch": NONNEG_INT,
        "saves_per_epoch": NONNEG_INT,
        "early_stopping_patience": Spec("int", 0, unit="evaluations"),
        "weight_decay": DECAY,
        "lora_r": POS_INT,
        "lora_alpha": ALPHA,
        "lora_dropout": DROPOUT,
        "eval_strategy": EVAL_STRATEGY,
        "evaluation_strategy": EVAL_STRATEGY,
        "save_strategy": SAVE_STRATEGY,
        "sample_packing": BOOL,
        "eval_sample_packing": BOOL,
        "train_on_inputs": BOOL,
        "load_in_4bit": BOOL,
        "load_in_8bit": BOOL,
        "lora_target_linear": BOOL,
        "load_best_model_at_end": BOOL,
        "greater_is_better": BOOL,
    }),
    "llamafactory": MappingProxyType({
        **_HF_COMMON,
        "cutoff_len": TOKENS,
        "val_size": HOLDOUT,
        "max_samples": POS_INT,
        "early_stopping_steps": Spec("int", 1, unit="evaluations"),
        "lora_rank": POS_INT,
        "lora_alpha": ALPHA,
        "lora_dropout": DROPOUT,
        "train_on_prompt": BOOL,
        "mask_history": BOOL,
        "packing": BOOL,
        "neat_packing": BOOL,
        # LLaMA-Factory v1
        "micro_batch_size": BATCH,
        "global_batch_size": BATCH,
        "peft_config.r": POS_INT,
        "peft_config.lora_alpha": ALPHA,
        "peft_config.lora_dropout": DROPOUT,
        "optim_config.weight_decay": DECAY,
    }),
    "torchtune": MappingProxyType({
        "epochs": Spec("int", 1),
        "max_steps_per_epoch": POS_INT,
        "batch_size": BATCH,
        "batch_size_val": BATCH,
        "gradient_accumulation_steps": BATCH,
        "optimizer.lr": LR,
        "optimizer.weight_decay": DECAY,
        "tokenizer.max_seq_len": TOKENS,
        "run_val_every_n_steps": Spec("int", 1, unit="steps"),
        "lr_scheduler.num_warmup_steps": Spec("int", 0, unit="steps"),
        "model.lora_rank": POS_INT,
        "model.lora_alpha": ALPHA,
        "model.lora_dropout": DROPOUT,
        "dataset.packed": BOOL,
        "dataset.train_on_input": BOOL,
    }),
    "openai": MappingProxyType({
        f"{prefix}.{key}": spec
        for prefix in ("hyperparameters", "method.supervised.hyperparameters", "method.dpo.hyperparameters",
                       "method.reinforcement.hyperparameters")
        for key, spec in (("n_epochs", Spec("int", 1, auto=True)), ("batch_size", Spec("int", 1, auto=True)),
                          ("learning_rate_multiplier", Spec("number", 0, low_open=True, auto=True)))
    }),
})

_LIST = Shape(("str", "mapping", "list-of-str", "list-of-mapping"), "a list of datasets (paths or mappings)")
_STR = Shape(("str",), "a path or dataset name (a string)")
SHAPES: Mapping[str, Mapping[str, Shape]] = MappingProxyType({
    "hf": MappingProxyType({"dataset_name": _STR, "train_file": _STR, "validation_file": _STR,
                            "test_file": _STR}),
    "trl": MappingProxyType({"dataset_name": _STR, "train_file": _STR, "validation_file": _STR, "test_file": _STR,
                             "datasets": _LIST,
                             "dataset_mixture": Shape(("mapping",), "a mapping with a `datasets` list")}),
    "axolotl": MappingProxyType({"datasets": _LIST, "test_datasets": _LIST}),
    "llamafactory": MappingProxyType({
        "dataset": Shape(("str", "list-of-str"), "dataset names (a comma-separated string or a list)"),
        "eval_dataset": Shape(("str", "list-of-str"), "dataset names (a comma-separated string or a list)"),
        "train_dataset": _STR,
    }),
    "torchtune": MappingProxyType({
        "dataset": Shape(("mapping", "list-of-mapping"), "a dataset block (a mapping with `_component_`) or a list"),
        "dataset_val": Shape(("mapping", "list-of-mapping"),
                             "a dataset block (a mapping with `_component_`) or a list"),
    }),
    "openai": MappingProxyType({"training_file": _STR, "validation_file": _STR}),
})


def _interpolated(raw: Any) -> bool:
    """An OmegaConf interpolation (torchtune: ``batch_size_val: ${batch_size}``): resolved by the
    framework from another key, which is checked on its own."""
    return isinstance(raw, str) and "${" in raw


def check_values(reader: Reader, framework: str) -> tuple[InvalidValue, ...]:
    """The invalid values of the config, in line order. Raises :class:`TrainingConfigError` (exit 2)
    for a key naming the training data whose value has a shape the framework refuses."""
    label = LABELS.get(framework, framework)
    for key, shape in SHAPES.get(framework, {}).items():
        raw = reader.get(key)
        if raw is MISSING or is_empty(raw) or _interpolated(raw):
            continue
        refused = shape.refused(raw)
        if refused is None:
            continue
        index, value = refused
        where = key if index is None else f"{key}[{index}]"
        if index is None:
            what = shape.what
        else:
            what = " or ".join(n for k, n in (("list-of-str", "a string"), ("list-of-mapping", "a mapping"))
                               if k in shape.kinds) + f" (`{key}` is {shape.what})"
        raise TrainingConfigError(
            f"`{where}` is {shown(value)} ({_type_name(value)}), not {what}: {label} refuses to start and "
            "ftlint cannot tell which data the run trains on",
            reader.source.display, reader.line(where))
    found: list[InvalidValue] = []
    for key, spec in SPECS.get(framework, {}).items():
        raw = reader.get(key)
        if raw is MISSING or is_empty(raw) or _interpolated(raw):
            continue
        problem, number = spec.problem(raw)
        if problem and spec.zero_with is not None and number == 0:
            other = reader.get(spec.zero_with)
            try:
                if other is not MISSING and not is_empty(other) and to_float(other) > 0:
                    problem = ""  # 0 epochs with max_steps: the steps decide
            except (ValueError, TypeError):
                pass
        if problem:
            found.append(InvalidValue(key, reader.prov(key), raw, f"{spec.expected()}", problem))
    found.sort(key=lambda v: (v.provenance.line or 0, v.key))
    return tuple(found)
