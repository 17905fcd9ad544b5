"""FT104/FT105 (validation) and FT6xx: the training config, read through its TrainingPlan.

Every finding about a config points at the config's line (``Location(path=<the config as shown>,
line=<the key's line>, key=<the key path>)``), and every fix names the framework's own keys.
These rules never parse a config themselves: they read ``ctx.plan`` (a
:class:`~ftlint.training.plan.TrainingPlan`) and the loaded splits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ftlint.context import Context
from ftlint.data.load import display_path
from ftlint.findings import Finding, Location
from ftlint.grammar import with_article
from ftlint.remedies import CarveSplit, EditConfig
from ftlint.rule import Need, Rule, Severity, Skip

#: stages trained on preference pairs (their learning rates are far lower than SFT's)
PREFERENCE_STAGES = frozenset({"dpo", "ipo", "orpo", "kto", "simpo"})
#: stages with no usual learning-rate range here (online RL): FT604 skips them
RL_STAGES = frozenset({"grpo", "ppo", "rft", "prm", "ebft"})
LORA_METHODS = frozenset({"lora", "qlora", "dora", "oft", "adalora", "loha", "lokr"})
FULL_METHODS = frozenset({"full", "freeze"})
#: split names that are held-out data: training on them is training on the test set
_HELD_OUT_WORDS = ("test", "valid", "eval", "dev")

_EPOCHS_KEY = {"axolotl": "num_epochs", "hf": "num_train_epochs", "trl": "num_train_epochs",
               "llamafactory": "num_train_epochs", "torchtune": "epochs", "openai": "hyperparameters.n_epochs"}
_LR_KEY = {"axolotl": "learning_rate", "hf": "learning_rate", "trl": "learning_rate", "llamafactory": "learning_rate",
           "torchtune": "optimizer.lr", "openai": "hyperparameters.learning_rate_multiplier"}
_BATCH_KEY = {"axolotl": "micro_batch_size", "hf": "per_device_train_batch_size",
              "trl": "per_device_train_batch_size", "llamafactory": "per_device_train_batch_size",
              "torchtune": "batch_size", "openai": "hyperparameters.batch_size"}


# -- helpers ------------------------------------------------------------------------------------------

def _plan(ctx: Context) -> Any:
    if ctx.plan is None:  # pragma: no cover - the engine skips rules that need a plan
        raise Skip("no training config given")
    return ctx.plan


def _config_path(plan: Any) -> str:
    return display_path(plan.path)


def _label(plan: Any) -> str:
    if plan.framework == "trl":
        return "alignment-handbook (TRL)" if plan.variant == "alignment-handbook" else "TRL"
    if plan.framework == "llamafactory" and plan.variant == "v1":
        return "LLaMA-Factory v1"
    return {"hf": "HF Trainer", "axolotl": "Axolotl", "llamafactory": "LLaMA-Factory", "torchtune": "torchtune",
            "openai": "OpenAI fine-tuning job"}.get(plan.framework, plan.framework)


def _lf_v1(plan: Any) -> bool:
    return bool(plan.framework == "llamafactory" and plan.variant == "v1")


def _at(plan: Any, key: str | None, line: int | None = None) -> Location:
    """A location in the config: ``key``'s line unless one is given."""
    if line is None and key is not None:
        line = plan.key_lines.get(key)
    return Location(path=_config_path(plan), line=line, key=key)


def _anchor(plan: Any, keys: Iterable[str], fallback: str | None = None) -> Location:
    """The first of ``keys`` written in the config; else ``fallback`` (or the first key) with no line."""
    keys = list(keys)
    for key in keys:
        if key in plan.key_lines:
            return _at(plan, key)
    return Location(path=_config_path(plan), line=None, key=fallback or (keys[0] if keys else None))


def _at_value(plan: Any, value: Any, fallback: str | None) -> Location:
    """Where a ConfigValue comes from (its first source), else ``fallback``'s line if written."""
    prov = value.provenance
    if prov is not None:
        return Location(path=_config_path(plan), line=prov.line, key=prov.key)
    return _at(plan, fallback)


def _key(value: Any, fallback: str) -> str:
    return value.key or fallback


def _num(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:g}"


def _ranges(lines: Iterable[int]) -> str:
    """``[40, 41, 42, 45]`` -> ``"40-42, 45"``."""
    runs: list[list[int]] = []
    for n in sorted(set(lines)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def _raw(plan: Any, key: str) -> Any:
    """The raw value at a key path of the parsed config (None when absent)."""
    node: Any = plan.raw
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                return None
            node = node[int(index)]
        else:
            if not isinstance(node, dict) or name not in node:
                return None
            node = node[name]
    return node


def _skip_invalid(*values: Any) -> None:
    """Skip the rule when a value it needs is written but invalid for the framework: FT621 reports
    it, and no rule reasons from it (nor from the default it does not get)."""
    for value in values:
        if value.invalid:
            raise Skip(f"`{value.key}` in the training config is not a valid value (FT621 reports it)",
                       f"fix `{value.key}` as FT621 (invalid-config-value) says")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
    return False


def _from_config(ctx: Context, split: str) -> bool:
    """The split's files were all named by the training config (not the command line/settings)."""
    return all(f.split_source.startswith("training config") for f in ctx.dataset(split).files)


def _rows(ctx: Context, plan: Any | None, split: str = "train") -> int | None:
    """Readable rows of a split; for LLaMA-Factory capped per file by ``max_samples``."""
    if split not in ctx.splits:
        return None
    ds = ctx.dataset(split)
    n = len(ds)
    if plan is not None and plan.framework == "llamafactory" and split == "train":
        cap = _raw(plan, "max_samples")
        if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0:
            counts = np.bincount(np.asarray(ds.file_id, dtype=np.int64), minlength=len(ds.files)) if n else []
            n = int(sum(min(int(c), cap) for c in counts))
    return n


def _holdout(plan: Any | None, rows: int | None) -> tuple[int | None, float | None]:
    """(rows carved out of the training data for evaluation, the fraction asked for).

    A value below 1 is a fraction (HF ``train_test_split`` rounds the test share up); 1 or more
    is a row count. Unknown row counts give ``(None, fraction)``."""
    if plan is None or not plan.validation.configured:
        return None, None
    value = plan.validation.holdout.value
    if not value or value <= 0:
        return None, None
    if value >= 1:
        return int(value), None
    if rows is None:
        return None, float(value)
    return int(math.ceil(value * rows)), float(value)


def _train_rows(ctx: Context, plan: Any | None) -> int | None:
    """Rows the trainer trains on: the train split, less the share the config holds out."""
    rows = _rows(ctx, plan)
    if rows is None:
        return None
    carved, _ = _holdout(plan, rows)
    return max(rows - (carved or 0), 0)


def _commented_eval(plan: Any) -> tuple[Any, ...]:
    keys = ("eval_dataset", "val_size", "val_set_size", "eval_strategy", "evaluation_strategy", "eval_steps",
            "per_device_eval_batch_size", "do_eval", "test_datasets", "validation_file", "run_val_every_n_steps",
            "dataset_val", "test_split_size", "dataset_test_split")
    return tuple(c for c in plan.commented(*keys) if not c.active)


# -- FT104 ---------------------------------------------------------------------------------------------

_NO_CONFIG_FIX = (
    "Hold out 5-10% of the examples (never copies of training rows) as a validation file and pass it with "
    "`--validation val.jsonl`; then make the trainer evaluate on it: Axolotl `val_set_size: 0.05` or "
    "`test_datasets`, LLaMA-Factory `val_size: 0.1` or `eval_dataset` with `eval_strategy: steps`, TRL/HF "
    "`eval_strategy: steps` with an eval split (`dataset_test_split`, `validation_file`), torchtune `dataset_val` "
    "with `run_val_every_n_steps`, OpenAI `validation_file`. Pass the config with `--config` to check it too."
)


def _validation_fix(plan: Any) -> str:
    fw, v = plan.framework, plan.validation
    strategy_no = v.eval_strategy.from_config and v.eval_strategy.value == "no"
    if fw == "axolotl":
        fix = ("Set `val_set_size: 0.05` (the share of the training data held out for evaluation) or list "
               "held-out files under `test_datasets:`; Axolotl then evaluates `evals_per_epoch` times per epoch "
               "(or every `eval_steps`).")
        if v.configured:
            fix = ("Make the evaluation run: set `evals_per_epoch: 4` or `eval_steps` (with "
                   "`eval_strategy: steps`).")
        if strategy_no:
            fix += f" Remove `eval_strategy: no` (line {v.eval_strategy.line})."
        return fix
    if fw == "llamafactory" and plan.variant == "v1":
        return "Set `eval_dataset:` to a dataset registry YAML of held-out examples (e.g. data/v1_eval.yaml)."
    if fw == "llamafactory":
        if v.configured:
            fix = ("Set `eval_strategy: steps` with `eval_steps: 500` (or `do_eval: true`): the evaluation data "
                   "is configured but never used.")
        else:
            fix = ("Set `val_size: 0.1` (a share held out from `dataset`) or `eval_dataset: <name>` (not both: "
                   "LLaMA-Factory refuses that), with `eval_strategy: steps`, `eval_steps: 500` and "
                   "`per_device_eval_batch_size`.")
        commented = _commented_eval(plan)
        if commented and not v.configured:
            shown = ", ".join(f"`{c.text}`" for c in commented[:3]) + (", ..." if len(commented) > 3 else "")
            fix += (f" The config ships its eval block commented out on lines {_ranges(c.line for c in commented)} "
                    f"({shown}): uncomment `val_size` or `eval_dataset`, plus `eval_strategy` and `eval_steps`.")
        return fix
    if fw in ("trl", "hf"):
        if "dataset_mixture" in plan.raw:
            fix = ("Set `dataset_mixture.test_split_size` (a share such as 0.05, or a row count) and "
                   "`eval_strategy: steps` with `eval_steps`.")
        elif fw == "trl" and "datasets" in plan.raw:
            fix = "Set `test_split_size` (a share such as 0.05) and `eval_strategy: steps` with `eval_steps`."
        elif "dataset_name" in plan.raw:
            split = plan.validation.test_split.value or "test"
            fix = ("Set `eval_strategy: steps` (or `epoch`) with `eval_steps`; the evaluation data is the "
                   f"`dataset_test_split` split ('{split}') of `dataset_name`: check the dataset has that split "
                   "and that it is not trained on.")
        else:
            fix = ("Set `validation_file` (or `validation_split_percentage`) and `eval_strategy: steps` "
                   "(or `do_eval: true`).")
        if strategy_no:
            fix += f" `eval_strategy` is 'no' on line {v.eval_strategy.line}."
        return fix
    if fw == "torchtune":
        fix = ("Define `dataset_val:` (e.g. the training builder with `split: train[95%:]`, and "
               "`split: train[:95%]` on `dataset`) and set `run_val_every_n_steps: <N>`.")
        if v.configured:
            line = plan.key_lines.get("run_val_every_n_steps")
            at = f" (line {line})" if line else ""
            fix = (f"Set `run_val_every_n_steps` to a number of steps, e.g. `run_val_every_n_steps: 100`{at}; "
                   "null means validation never runs.")
        if plan.variant and "single_device" in str(plan.variant):
            fix += (f" The single-device recipes ({plan.variant}) do not run validation at all: use the "
                    "distributed recipe (`tune run --nproc_per_node 1 lora_finetune_distributed --config ...`) "
                    "or evaluate the saved checkpoints on held-out data.")
        return fix
    if fw == "openai":
        return ("Upload a held-out JSONL (5-10% of the examples, no copies of training rows) and pass its id as "
                "`validation_file`; OpenAI then reports the validation loss of each epoch.")
    return "Configure a held-out evaluation split in the training config."


def _validation_location(plan: Any) -> Location:
    fw = plan.framework
    if fw == "axolotl":
        keys = ["val_set_size", "eval_strategy", "evaluation_strategy", "test_datasets", "datasets"]
    elif fw == "llamafactory" and plan.variant == "v1":
        keys = ["eval_dataset", "train_dataset"]
    elif fw == "llamafactory":
        keys = ["val_size", "eval_dataset", "eval_strategy", "evaluation_strategy", "do_eval"]
        for key in keys:
            if key in plan.key_lines:
                return _at(plan, key)
        commented = _commented_eval(plan)
        if commented:
            return _at(plan, commented[0].key, commented[0].line)
        keys = ["dataset"]
    elif fw in ("hf", "trl"):
        keys = ["eval_strategy", "evaluation_strategy", "dataset_mixture.test_split_size", "test_split_size",
                "dataset_test_split", "validation_file", "do_eval", "dataset_mixture", "dataset_name", "datasets",
                "train_file"]
    elif fw == "torchtune":
        keys = ["run_val_every_n_steps", "dataset_val", "dataset"]
    elif fw == "openai":
        keys = ["validation_file", "training_file"]
    else:
        keys = []
    return _anchor(plan, keys)


class MissingValidationSplit(Rule):
    """No validation data: nothing measures how the model does on examples it has not seen.

    ## What it does
    With a training config, reports an error when the run will never evaluate on held-out data:
    no validation split is given and the config carves none (Axolotl `val_set_size: 0` and no
    `test_datasets`, LLaMA-Factory without `val_size`/`eval_dataset`, TRL/HF `eval_strategy: no`,
    torchtune `run_val_every_n_steps: null`, an OpenAI job without `validation_file`). The fix
    names the framework's key, and points at the eval block when the config has it commented out
    (LLaMA-Factory ships its examples that way). Without a training config, a dataset with no
    validation split is a warning.

    ## Why it matters
    The training loss always goes down. Only a validation loss shows when the model starts to
    memorise its training set; without one, overfitting goes unseen and the last checkpoint,
    not the best one, is what gets shipped.

    ## Example
    An Axolotl config with `val_set_size: 0` and no `test_datasets`, or a LLaMA-Factory config
    whose `# val_size: 0.1` / `# eval_strategy: steps` lines are still commented out.

    ## How to fix
    Hold out 5-10% of the examples (never copies of training rows) and have the trainer evaluate
    on them: Axolotl `val_set_size: 0.05`, LLaMA-Factory `val_size: 0.1` with
    `eval_strategy: steps`, TRL `eval_strategy: steps` with `dataset_test_split` or
    `test_split_size`, torchtune `dataset_val` with `run_val_every_n_steps`, OpenAI
    `validation_file`. Without a config, pass the held-out file with `--validation`.
    """

    code = "FT104"
    name = "missing-validation-split"
    summary = "No validation data: overfitting goes unseen"
    severity = Severity.WARNING
    remedies = (CarveSplit, EditConfig)
    requires = frozenset({Need.TRAINING_RUN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = ctx.plan
        if plan is None:
            if "validation" in ctx.splits or "train" not in ctx.splits:
                return
            ds = ctx.dataset("train")
            path = ds.files[0].path if len(ds.files) == 1 else None
            also = " (a test split is given, but keep it for the final score)" if "test" in ctx.splits else ""
            yield self.finding(
                f"no validation split given{also}: nothing measures how the model does on examples it has not "
                "trained on, so overfitting goes unseen",
                _NO_CONFIG_FIX,
                location=Location(path=path, line=None, key=None), split="train",
                metrics={"train_rows": len(ds)}, remedies=[_carve(ctx)],
            )
            return
        if plan.validation.enabled:
            return
        if "validation" in ctx.splits and not _from_config(ctx, "validation"):
            return  # validation data was given on the command line / in the settings
        v = plan.validation
        if not v.configured:
            _skip_invalid(v.holdout)  # the share asked for is unreadable: not "0"
        label = _label(plan)
        remedies: list[Any] = [EditConfig("validation.enabled", True, "evaluate on held-out data during training")]
        if "train" in ctx.splits and "validation" not in ctx.splits:
            remedies.insert(0, _carve(ctx, f"the training config already holds out data "
                                           f"({', '.join(v.methods) or 'configured'})" if v.configured else None))
        yield self.finding(
            f"the {label} config never evaluates on held-out data: {v.reason}; overfitting will go unseen",
            _validation_fix(plan),
            location=_validation_location(plan), escalate=True,
            escalated_by="with a training config, a run that never evaluates is an error",
            metrics={"framework": plan.framework, "configured": v.configured, "methods": list(v.methods),
                     "commented_lines": [c.line for c in _commented_eval(plan)]},
            remedies=remedies,
        )


def _carve(ctx: Context, blocked: str | None = None) -> CarveSplit:
    """FT104's remedy: a validation split carved from the training rows, stratified by their labels
    (``blocked``: why none is carved)."""
    repair = "carve validation"
    if blocked is not None:
        return CarveSplit("train", "validation", repair, "", blocked=blocked)
    info = ctx.labels("train")
    how = f"stratified by {info.source}" if info is not None else "no labels to stratify by"
    how = how.replace("{", "{{").replace("}", "}}")  # the detail is a template
    return CarveSplit("train", "validation", repair,
                      "{fraction:.0%} of the remaining training rows moved to a new validation file (seed {seed}; "
                      f"{how})", strata=info.values if info is not None else None)


# -- FT105 ---------------------------------------------------------------------------------------------

class ValidationTooSmall(Rule):
    """The validation split is too small to tell a real improvement from noise.

    ## What it does
    Counts the validation examples, from a validation split given as data or, when the training
    config carves one out of the training data (Axolotl `val_set_size`, LLaMA-Factory `val_size`,
    TRL/alignment-handbook `test_split_size`), from the share and the training-set size. Reports
    fewer than `min-examples` (100) validation examples, or fewer than `min-fraction` (1%) of the
    training examples. A carved fraction below `min-fraction` is reported even when the training
    set size is unknown.

    ## Why it matters
    On a few dozen examples the validation loss jumps from one evaluation to the next by more than
    any real change in the model, so early stopping and checkpoint selection follow noise.

    ## Example
    A 2,000-row training set with a 12-row validation file, or `val_set_size: 0.001`.

    ## How to fix
    Hold out at least 100 examples and at least 1% of the training set (5-10% is common): a
    bigger validation file, or a larger share (`val_set_size: 0.05`, `val_size: 0.05`,
    `test_split_size: 0.05`).
    """

    code = "FT105"
    name = "validation-too-small"
    summary = "Too few validation examples for a stable validation loss"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_RUN})
    option_help = {
        "min_examples": "fewest validation examples",
        "min_fraction": "smallest validation share of the training examples",
    }

    @dataclass
    class Options:
        min_examples: int = 100
        min_fraction: float = 0.01

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = ctx.plan
        rows = _rows(ctx, plan)
        opts = self.options
        if "validation" in ctx.splits:
            ds = ctx.dataset("validation")
            n_val = len(ds)
            train_n = rows
            source = "the validation split"
            location = Location(path=ds.files[0].path if len(ds.files) == 1 else None)
            fix_key = "a bigger validation file"
            split: str | None = "validation"
        elif plan is not None and plan.validation.holdout.invalid:
            _skip_invalid(plan.validation.holdout)
            return
        elif plan is not None and plan.validation.holdout.value and plan.validation.holdout.value > 0:
            holdout = plan.validation.holdout
            carved, fraction = _holdout(plan, rows)
            key = _key(holdout, "val_set_size")
            location = _at_value(plan, holdout, key)
            fix_key = f"a larger `{key}` (e.g. 0.05)"
            split = None
            if carved is None:
                if fraction is not None and fraction < opts.min_fraction:
                    yield self.finding(
                        f"`{key}: {holdout.raw}` holds out {fraction:.2%} of the training data, under "
                        f"{opts.min_fraction:.0%}",
                        f"Hold out at least {opts.min_fraction:.0%} and at least {opts.min_examples} examples: "
                        f"{fix_key}.",
                        location=location, metrics={"fraction": fraction, "min_fraction": opts.min_fraction},
                    )
                    return
                raise Skip("the training set size is unknown (the config's dataset is not loadable)",
                           "pass the training data (or a local copy of it) so the carved validation size can "
                           "be computed")
            n_val = carved
            train_n = rows - carved if rows is not None else None
            source = f"`{key}: {holdout.raw}`"
        elif plan is not None and plan.validation.configured:
            raise Skip("the validation data the training config names is not loadable",
                       "pass a local copy with --validation to count it")
        else:
            raise Skip("no validation split given or carved by the training config",
                       "pass one with --validation; FT104 reports the missing split")
        small = n_val < opts.min_examples
        share = (n_val / train_n) if train_n else None
        thin = share is not None and share < opts.min_fraction
        if not small and not thin:
            return
        parts = []
        if small:
            parts.append(f"under {opts.min_examples}")
        if thin and share is not None:
            parts.append(f"{share:.2%} of the {train_n:,} training examples, under {opts.min_fraction:.0%}")
        what = "examples" if split else "examples carved from the training data"
        yield self.finding(
            f"{source} has {n_val:,} validation {what} ({'; '.join(parts)}): its loss is too noisy to pick "
            "a checkpoint or stop early on",
            f"Hold out at least {opts.min_examples} examples and at least {opts.min_fraction:.0%} of the training "
            f"set (5-10% is common): {fix_key}.",
            location=location, split=split,
            metrics={"validation_rows": n_val, "train_rows": train_n,
                     "fraction": round(share, 6) if share is not None else None,
                     "min_examples": opts.min_examples, "min_fraction": opts.min_fraction},
        )


# -- FT601 ---------------------------------------------------------------------------------------------

def _early_stopping_fix(plan: Any) -> str:
    fw = plan.framework
    if fw == "axolotl":
        return ("Add `early_stopping_patience: 3` (stop after 3 evaluations without improvement) and set both "
                "`eval_steps` and `save_steps`, save_steps a multiple of eval_steps (Axolotl rejects the patience "
                "otherwise; `evals_per_epoch`/`saves_per_epoch` do not count); it needs `val_set_size` > 0 or "
                "`test_datasets`.")
    if fw == "llamafactory" and plan.variant == "v1":
        return ("LLaMA-Factory v1 has no early-stopping keys: evaluate on an `eval_dataset`, save checkpoints "
                "regularly and keep the one with the lowest validation loss; lower `num_train_epochs` or set "
                "`max_steps` when the validation loss turns up.")
    if fw == "llamafactory":
        return ("Add `early_stopping_steps: 3` with `load_best_model_at_end: true`, "
                "`metric_for_best_model: eval_loss`, `eval_strategy: steps` and `save_strategy: steps` "
                "(`save_steps` a multiple of `eval_steps`), and evaluation data (`val_size` or `eval_dataset`).")
    if fw in ("hf", "trl"):
        fix = ("Early stopping is a callback added in Python: "
               "`trainer.add_callback(EarlyStoppingCallback(early_stopping_patience=3))`; the config must set "
               "`load_best_model_at_end: true`, `metric_for_best_model: eval_loss` and the same `eval_strategy` "
               "and `save_strategy` (`save_steps` a multiple of `eval_steps`).")
        if fw == "trl":
            fix += (" The `trl` CLI cannot add callbacks: at least set `load_best_model_at_end: true` so the best "
                    "checkpoint, not the last, is kept.")
        return fix
    if fw == "torchtune":
        return ("torchtune has no early stopping. Get the effect by hand: validate regularly (`dataset_val` with "
                "`run_val_every_n_steps`, in the distributed recipes), keep the checkpoint torchtune saves at the "
                "end of each epoch, and use the one with the lowest validation loss; lower `epochs` (or cap "
                "`max_steps_per_epoch`) once you see where the validation loss turns up.")
    if fw == "openai":
        return ("OpenAI fine-tuning has no early stopping. Pass a `validation_file`, watch the validation loss "
                "of each epoch in the job's metrics and use the checkpoint of the best epoch (the job keeps "
                "checkpoints of its last epochs: `client.fine_tuning.jobs.checkpoints.list`); rerun with a "
                "lower `n_epochs` if the loss rises early.")
    return "Configure early stopping on the validation loss."


class MissingEarlyStopping(Rule):
    """The run trains for every epoch whatever the validation loss does.

    ## What it does
    Reports a training config with no early stopping: no Axolotl `early_stopping_patience`, no
    LLaMA-Factory `early_stopping_steps`, and for HF/TRL (where `EarlyStoppingCallback` is added in
    Python) not even its prerequisites `load_best_model_at_end` + `metric_for_best_model`.
    torchtune and OpenAI jobs have no early stopping at all; for them the finding is info (there
    is nothing to switch on) and the fix says how to get the same effect. A config that asks for
    early stopping but would crash or never stop is FT606.

    ## Why it matters
    Fine-tuning overfits within a few epochs on small data: without early stopping (or at least
    keeping the best checkpoint), the run keeps going after the validation loss turns up and the
    last, most overfit checkpoint is the one you get.

    ## Example
    An Axolotl config with `num_epochs: 3`, `val_set_size: 0.05` and no `early_stopping_patience`.

    ## How to fix
    Axolotl: `early_stopping_patience: 3` with `eval_steps` and `save_steps` (a multiple of
    eval_steps). LLaMA-Factory: `early_stopping_steps: 3` with `load_best_model_at_end: true`.
    HF/TRL: `load_best_model_at_end: true`, `metric_for_best_model: eval_loss`, matching eval and
    save strategies, and `EarlyStoppingCallback` in code. torchtune/OpenAI: validate each epoch
    and keep the best checkpoint.
    """

    code = "FT601"
    name = "missing-early-stopping"
    summary = "No early stopping: every epoch runs whatever the validation loss does"
    severity = Severity.WARNING
    remedies = (EditConfig,)
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        es = plan.early_stopping
        fw = plan.framework
        if es.requested:
            return  # asked for; FT606 reports it when it cannot work
        if fw in ("hf", "trl") and es.load_best_model_at_end.value:
            return  # the prerequisites are there; the callback itself lives in the training script
        supported = fw in ("axolotl", "hf", "trl") or (fw == "llamafactory" and plan.variant == "v0")
        epochs = plan.epochs.value
        steps = plan.max_steps.value
        if steps is not None and steps > 0:  # max_steps bounds the run before epochs do
            length = f"training runs all {_num(steps)} steps (`{_key(plan.max_steps, 'max_steps')}`)"
        elif epochs and epochs != 1:
            length = f"training runs all {_num(epochs)} epochs"
        else:
            length = "training runs to the end"
        if supported:
            message = (f"the {_label(plan)} config sets no early stopping: {length} whatever the validation "
                       "loss does, and the last checkpoint, not the best, is what you get")
        else:
            message = (f"{_label(plan)} has no early stopping: {length} whatever the validation loss does, "
                       "and the last checkpoint is not necessarily the best")
        epochs_key = _key(plan.epochs, _EPOCHS_KEY.get(fw, "epochs"))
        location = _anchor(plan, [epochs_key, "max_steps", "val_set_size", "val_size", "eval_strategy",
                                  "run_val_every_n_steps", "validation_file", "learning_rate", "optimizer.lr",
                                  "training_file"], epochs_key)
        finding = self.finding(message, _early_stopping_fix(plan), location=location,
                               metrics={"framework": fw, "supported_in_config": supported, "epochs": epochs},
                               remedies=[EditConfig("early_stopping.requested", True,
                                                    "stop when the validation loss stops improving, and keep the "
                                                    "best checkpoint")])
        if not supported:
            finding.severity = Severity.INFO  # nothing to switch on in this framework's config: a notice
        yield finding


# -- FT603 ---------------------------------------------------------------------------------------------

class TooManyEpochs(Rule):
    """More epochs than the dataset size can take without overfitting.

    ## What it does
    Reports a training config whose number of epochs is above `max-epochs` (5), or above
    `small-dataset-epochs` (3) when the training set has fewer than `small-dataset-rows` (1,000)
    rows. Without the data only the first limit applies. When `max_steps` decides the length of
    the run and the data size is known, the epochs it amounts to are checked instead.

    ## Why it matters
    Each extra pass over a small set makes the model repeat it more closely: after a few epochs
    it memorises answers word for word and forgets general ability, while the training loss keeps
    looking better.

    ## Example
    `num_epochs: 10` on 800 training examples.

    ## How to fix
    Train for 1-3 epochs (more data rather than more passes), evaluate on a validation split and
    stop early (FT104, FT601).
    """

    code = "FT603"
    name = "too-many-epochs"
    summary = "Epochs high for the dataset size: overfitting risk"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})
    option_help = {
        "max_epochs": "most epochs for any dataset size",
        "small_dataset_epochs": "most epochs for a small dataset",
        "small_dataset_rows": "a training set below this many rows is small",
    }

    @dataclass
    class Options:
        max_epochs: float = 5.0
        small_dataset_epochs: float = 3.0
        small_dataset_rows: int = 1000

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        opts = self.options
        rows = _train_rows(ctx, plan)
        fw = plan.framework
        _skip_invalid(plan.max_steps)
        if not plan.max_steps.value:
            _skip_invalid(plan.epochs)
        epochs_key = _key(plan.epochs, _EPOCHS_KEY.get(fw, "epochs"))
        epochs = plan.epochs.value
        what = f"`{epochs_key}: {_num(epochs)}`" if epochs is not None else ""
        location = _at_value(plan, plan.epochs, epochs_key)
        batch = plan.batch.effective.value
        if plan.max_steps.value:
            # max_steps decides the length of the run: epochs are ignored
            if not rows or not batch:
                return
            epochs = plan.max_steps.value * batch / rows
            key = _key(plan.max_steps, "max_steps")
            what = f"`{key}: {_num(plan.max_steps.value)}` ({epochs:.1f} epochs of {rows:,} rows)"
            location = _at_value(plan, plan.max_steps, key)
        elif epochs is not None and plan.max_steps_per_epoch.value and rows and batch:
            steps = math.ceil(rows / batch)
            capped = min(steps, plan.max_steps_per_epoch.value)
            if capped < steps:
                epochs = epochs * capped / steps
                what += f" capped by `max_steps_per_epoch` ({epochs:.1f} passes over the data)"
        if epochs is None:
            return
        small = rows is not None and rows < opts.small_dataset_rows
        limit = opts.small_dataset_epochs if small else opts.max_epochs
        if epochs <= limit:
            return
        size = f" on {rows:,} training rows (below {opts.small_dataset_rows:,}, at most {_num(limit)} epochs)" \
            if small else f" (more than {_num(limit)})"
        yield self.finding(
            f"{what} trains {_num(round(epochs, 1))} epochs{size}: the model will memorise the training set",
            f"Lower `{epochs_key}` to 1-3 (get more data rather than more passes), and evaluate on a validation "
            "split with early stopping (FT104, FT601) to see where the validation loss turns up.",
            location=location,
            metrics={"epochs": round(epochs, 3), "train_rows": rows, "limit": limit},
        )


# -- FT604 ---------------------------------------------------------------------------------------------

class LearningRateOutOfRange(Rule):
    """A learning rate outside the usual range for the fine-tuning method.

    ## What it does
    Compares the learning rate (written in the config, or the framework's default) with the usual
    range for the method: full fine-tuning `full-min`..`full-max` (5e-6 to 1e-4), LoRA/QLoRA
    `lora-min`..`lora-max` (5e-5 to 1e-3), preference training (DPO, IPO, ORPO, KTO, SimPO)
    `preference-min`..`preference-max` (1e-7 to 1e-5). For an OpenAI job it checks
    `learning_rate_multiplier` against OpenAI's documented range, 0.02 to 0.2
    (`openai-multiplier-min`..`openai-multiplier-max`); `auto` is not checked. Online RL stages
    (GRPO, PPO) are skipped.

    ## Why it matters
    Too high, and a pretrained model diverges or forgets what it knew (catastrophic forgetting);
    too low, and the run barely moves the weights, which wastes the compute. LoRA needs a rate
    about ten times that of full fine-tuning; preference training far lower.

    ## Example
    `learning_rate: 5.0e-6` with `adapter: lora` (below 5e-5), or `learning_rate: 2e-4` for a
    full fine-tune.

    ## How to fix
    Set the rate within the range (typical values: full 2e-5, LoRA 2e-4, DPO 5e-7). If the value
    comes from a tuned sweep, widen the range in the rule's options.
    """

    code = "FT604"
    name = "learning-rate-out-of-range"
    summary = "Learning rate outside the usual range for the method"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})
    option_help = {
        "full_min": "lowest usual learning rate for a full fine-tune",
        "full_max": "highest usual learning rate for a full fine-tune",
        "lora_min": "lowest usual learning rate for LoRA/QLoRA",
        "lora_max": "highest usual learning rate for LoRA/QLoRA",
        "preference_min": "lowest usual learning rate for DPO/IPO/ORPO/KTO/SimPO",
        "preference_max": "highest usual learning rate for DPO/IPO/ORPO/KTO/SimPO",
        "openai_multiplier_min": "lowest OpenAI learning_rate_multiplier (OpenAI recommends 0.02 to 0.2)",
        "openai_multiplier_max": "highest OpenAI learning_rate_multiplier",
    }

    @dataclass
    class Options:
        full_min: float = 5e-6
        full_max: float = 1e-4
        lora_min: float = 5e-5
        lora_max: float = 1e-3
        preference_min: float = 1e-7
        preference_max: float = 1e-5
        openai_multiplier_min: float = 0.02
        openai_multiplier_max: float = 0.2

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        o = self.options
        fw = plan.framework
        _skip_invalid(plan.learning_rate_multiplier if fw == "openai" else plan.learning_rate)
        if fw == "openai":
            value = plan.learning_rate_multiplier
            if value.value is None:
                return  # "auto" or not set: OpenAI picks it
            lo, hi, what, typical = o.openai_multiplier_min, o.openai_multiplier_max, "an OpenAI job", "0.1"
            key = _key(value, "hyperparameters.learning_rate_multiplier")
        else:
            value = plan.learning_rate
            if value.value is None:
                return
            stage = (plan.stage.value or "").lower()
            method = (plan.method.value or "").lower()
            if stage in PREFERENCE_STAGES:
                lo, hi, what, typical = o.preference_min, o.preference_max, f"{stage.upper()} training", "5e-7"
            elif stage in RL_STAGES:
                raise Skip(f"no usual learning-rate range for {stage} training")
            elif method in LORA_METHODS:
                names = {"lora": "LoRA", "qlora": "QLoRA", "dora": "DoRA", "adalora": "AdaLoRA"}
                lo, hi, what, typical = o.lora_min, o.lora_max, names.get(method, method.upper()), "2e-4"
            elif method in FULL_METHODS:
                lo, hi, what, typical = o.full_min, o.full_max, "a full fine-tune", "2e-5"
            else:
                raise Skip(f"no usual learning-rate range for the method {method or '(unknown)'}")
            key = _key(value, _LR_KEY.get(fw, "learning_rate"))
        lr = float(value.value)
        if lo <= lr <= hi:
            return
        default = " (the framework's default)" if value.is_default else ""
        if lr > hi:
            effect = "too high: training can diverge or overwrite what the pretrained model knew"
            where = "above"
        else:
            effect = "too low: the run barely moves the weights and wastes its compute"
            where = "below"
        yield self.finding(
            f"`{key}: {lr:g}`{default} is {where} the usual range for {what} ({lo:g} to {hi:g}); {effect}",
            f"Set `{key}` within {lo:g} to {hi:g} (typically {typical}); if this value comes from a tuned "
            f"sweep, widen the range: [rules.{self.name}] options.",
            location=_at_value(plan, value, key),
            metrics={"learning_rate": lr, "min": lo, "max": hi, "method": plan.method.value,
                     "stage": plan.stage.value},
        )


# -- FT605 ---------------------------------------------------------------------------------------------

_WD_KEY = {"torchtune": "optimizer.weight_decay"}
_DROPOUT_KEY = {"torchtune": "model.lora_dropout"}


class NoRegularization(Rule):
    """No weight decay and no dropout on a small dataset.

    ## What it does
    Reports a config with weight decay 0 and (for LoRA/QLoRA) LoRA dropout 0, written or by the
    framework's default, when the training set has fewer than `max-rows` (10,000) rows. A full
    fine-tune is reported on weight decay alone. Skipped when the training-set size is unknown.

    ## Why it matters
    On a few thousand examples nothing holds the update back: with no decay and no dropout the
    model fits the training set's quirks sooner, and overfits a few epochs earlier.

    ## Example
    Axolotl `weight_decay: 0.0` with `lora_dropout: 0.0` on 2,000 rows.

    ## How to fix
    Set a small weight decay (`weight_decay: 0.01`-`0.1`) and/or LoRA dropout
    (`lora_dropout: 0.05`-`0.1`).
    """

    code = "FT605"
    name = "no-regularization"
    summary = "Weight decay and dropout both off on a small dataset"
    severity = Severity.INFO
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})
    option_help = {"max_rows": "report only below this many training rows"}

    @dataclass
    class Options:
        max_rows: int = 10000

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        fw = plan.framework
        wd = plan.weight_decay
        _skip_invalid(wd)
        if wd.value is None:
            return  # not exposed (OpenAI) or unreadable
        rows = _train_rows(ctx, plan)
        if rows is None:
            raise Skip("the training set size is unknown (no loadable training data)",
                       "pass the training data, or a local copy of it")
        if rows >= self.options.max_rows or wd.value > 0:
            return
        method = (plan.method.value or "").lower()
        lora = method in LORA_METHODS
        dropout = plan.lora.dropout
        if lora and (dropout.value is None or dropout.value > 0):
            return
        wd_key = _key(wd, "optim_config.weight_decay" if _lf_v1(plan) else _WD_KEY.get(fw, "weight_decay"))
        dr_key = _key(dropout, "peft_config.lora_dropout" if _lf_v1(plan) else _DROPOUT_KEY.get(fw, "lora_dropout"))
        what = f"`{wd_key}` is 0{' (the default)' if wd.is_default else ''}"
        if lora:
            what += f" and `{dr_key}` is 0{' (the default)' if dropout.is_default else ''}"
        fix = f"Set `{wd_key}: 0.01` (0.01-0.1)"
        fix += f" and/or `{dr_key}: 0.05` (0.05-0.1)." if lora else "."
        location = _at_value(plan, wd, wd_key) if wd.provenance else _at_value(plan, dropout, dr_key) if lora \
            else _at(plan, wd_key)
        yield self.finding(
            f"{what} on {rows:,} training rows (under {self.options.max_rows:,}): nothing regularises the "
            "update, so the model overfits sooner",
            fix, location=location,
            metrics={"weight_decay": wd.value, "lora_dropout": dropout.value if lora else None, "train_rows": rows},
        )


# -- FT606 ---------------------------------------------------------------------------------------------

def _misconfigured_fix(plan: Any) -> str:
    fw = plan.framework
    if fw == "axolotl":
        return ("Set `eval_steps: N` and `save_steps` to a multiple of N (instead of `evals_per_epoch` / "
                "`saves_per_epoch`), keep `val_set_size` > 0 or `test_datasets`, or remove "
                "`early_stopping_patience`.")
    extra = " (`val_size` or `eval_dataset`)" if fw == "llamafactory" else ""
    return ("Use the same `eval_strategy` and `save_strategy` (both `steps` or both `epoch`), with `save_steps` a "
            "multiple of `eval_steps`; early stopping also needs `load_best_model_at_end: true`, "
            f"`metric_for_best_model` and evaluation data{extra}.")


class EarlyStoppingMisconfigured(Rule):
    """Early stopping (or keeping the best model) set up so that training crashes or never stops.

    ## What it does
    Reports set-ups the trainer refuses or silently ignores: `load_best_model_at_end` with save
    and eval strategies that differ, or `save_steps` not a multiple of `eval_steps` (transformers
    refuses both); Axolotl `early_stopping_patience` without both `eval_steps` and `save_steps`, or
    with `save_steps` not a multiple of `eval_steps` (Axolotl refuses; `evals_per_epoch` does not
    count); LLaMA-Factory `early_stopping_steps` without `load_best_model_at_end` or evaluation;
    patience with no validation set, or with evaluation switched off.

    ## Why it matters
    A config the trainer refuses fails only when the job starts on the GPU box; one where the
    callback never fires trains every epoch while you believe it stops early.

    ## Example
    Axolotl `early_stopping_patience: 3` with `evals_per_epoch: 4` and `saves_per_epoch: 1`,
    but no `eval_steps`/`save_steps`.

    ## How to fix
    Axolotl: set `eval_steps` and `save_steps` (a multiple of eval_steps) and keep a validation
    split. HF/TRL/LLaMA-Factory: make `save_strategy` match `eval_strategy`, `save_steps` a
    multiple of `eval_steps`, and set `load_best_model_at_end: true`.
    """

    code = "FT606"
    name = "early-stopping-misconfigured"
    summary = "Early stopping set up so that training crashes or never stops"
    severity = Severity.ERROR
    remedies = (EditConfig,)
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        es = plan.early_stopping
        fix = _misconfigured_fix(plan)
        for problem in es.problems:
            prov = problem.provenance
            location = _at(plan, prov.key if prov else None, prov.line if prov else None)
            yield self.finding(problem.message, fix, location=location,
                               metrics={"framework": plan.framework,
                                        "keys": [p.key for p in problem.sources]},
                               remedies=[EditConfig("early_stopping.problems", [], problem.message)])
        if es.requested and not es.problems and not plan.validation.enabled:
            location = _at_value(plan, es.patience, "early_stopping_patience")
            yield self.finding(
                f"early stopping is set (`{es.patience.key}: {es.patience.raw}`) but evaluation never runs "
                f"({plan.validation.reason}): the callback never sees a validation loss, so it never stops",
                fix, location=location, metrics={"framework": plan.framework},
                remedies=[EditConfig("validation.enabled", True, "early stopping needs evaluation during training")],
            )


# -- FT607 ---------------------------------------------------------------------------------------------

def _ref_identity(ref: Any) -> tuple[str, ...] | None:
    kind = ref.kind.value
    if kind == "local":
        if ref.path is None:
            return None
        try:
            return ("local", str(ref.path.resolve()))
        except OSError:
            return ("local", str(ref.path))
    if kind in ("hub", "builder"):
        name = (ref.hub_id or ref.name or "").lower()
        return ("hub", name, (ref.subset or "").lower(), ",".join(ref.data_files))
    return (kind, ref.name)


def _held_out_split(split: str | None) -> str | None:
    """The held-out split a train split spec names (``test_prefs``, ``validation[:50%]``), if any."""
    if not split:
        return None
    for part in re.split(r"\+", split):
        name = part.split("[", 1)[0].strip().lower()
        tokens = [t for t in re.split(r"[^a-z0-9]+", name) if t]
        if any(t.startswith(w) for t in tokens for w in _HELD_OUT_WORDS):
            return part.split("[", 1)[0].strip()
    return None


def _overlap_fix(plan: Any) -> str:
    fw = plan.framework
    if fw == "torchtune":
        return ("Slice the splits so they do not overlap: `dataset.split: train[:95%]` and "
                "`dataset_val.split: train[95%:]`.")
    if fw == "axolotl":
        return "Evaluate on held-out rows: `val_set_size: 0.05`, or `test_datasets` that are not in `datasets`."
    if fw == "llamafactory":
        return "Evaluate on held-out rows: `val_size: 0.1`, or an `eval_dataset` that is not in `dataset`."
    if fw == "openai":
        return "Pass a different, held-out file as `validation_file` (OpenAI: the same data must not be in both)."
    return ("Evaluate on a split that is not trained on: set `dataset_test_split` to it (e.g. `test`), or carve "
            "one with `test_split_size`; with local files, a `validation_file` that is not the `train_file`.")


class EvaluatesOnTrainingData(Rule):
    """The evaluation data is training data, or a test split is trained on.

    ## What it does
    Reports a training config whose evaluation dataset is (or overlaps) one of its training
    datasets: the same local file, the same hub dataset and split (split slices such as
    `train[:95%]` / `train[95%:]` are compared), the same LLaMA-Factory dataset name or the same
    OpenAI file. Also reports a held-out split (`test`, `test_prefs`, `validation`, `dev`...) put
    into the training data, as in a `dataset_mixture` that lists a dataset's `test_prefs` split
    next to its `train_prefs` split.

    ## Why it matters
    A validation loss on training rows only measures memorisation: it keeps falling while the
    model overfits, so early stopping and checkpoint selection are blind. A test split that is
    trained on contaminates every score later reported on it.

    ## Example
    alignment-handbook's zephyr DPO recipe lists `split: test_prefs` of
    `HuggingFaceH4/ultrafeedback_binarized` in its `dataset_mixture`; every mixture entry is
    trained on.

    ## How to fix
    Train on train splits only, and evaluate on rows that are never trained on: a carved share
    (`test_split_size`, `val_set_size`, `val_size`) or a separate held-out dataset.
    """

    code = "FT607"
    name = "evaluates-on-training-data"
    summary = "Evaluation data is training data, or a test split is trained on"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        train = list(plan.train_datasets)
        for ref in train:
            held = _held_out_split(ref.split)
            if held is None:
                continue
            prov = ref.provenance
            key = prov.key if prov else None
            split_key = f"{key.rsplit('.', 1)[0]}.split" if key and "." in key else None
            location = _at(plan, split_key) if split_key and split_key in plan.key_lines else \
                _at(plan, key, prov.line if prov else None)
            mixture = " (every dataset_mixture entry is trained on; the evaluation split is carved by " \
                "test_split_size)" if key and key.startswith("dataset_mixture") else ""
            yield self.finding(
                f"the '{ref.split}' split of {ref.hub_id or ref.name} is trained on{mixture}: a held-out "
                f"'{held}' split mixed into the training data contaminates every score later measured on it",
                f"Remove that entry (or use the dataset's train split) and keep '{held}' for evaluation only; "
                "evaluate during training on a share carved from the training splits (`test_split_size`, "
                "`val_set_size`, `val_size`).",
                location=location,
                metrics={"dataset": ref.hub_id or ref.name, "split": ref.split},
            )
        for ev in plan.eval_datasets:
            ident = _ref_identity(ev)
            if ident is None:
                continue
            for tr in train:
                if _ref_identity(tr) != ident:
                    continue
                if ev.split and tr.split and ev.kind.value in ("hub", "builder"):
                    from ftlint.training.plan import splits_overlap

                    overlap = splits_overlap(tr.split, ev.split)
                    if not overlap:
                        continue
                    same = f"split '{ev.split}' overlaps the training split '{tr.split}'"
                else:
                    same = "is the same data as the training dataset"
                prov = ev.provenance
                location = _at(plan, prov.key if prov else None, prov.line if prov else None)
                train_at = f" ({tr.provenance.key}, line {tr.provenance.line})" if tr.provenance else ""
                yield self.finding(
                    f"the evaluation data {ev.hub_id or ev.name} {same}{train_at}: the validation loss measures "
                    "memorisation, not how the model does on unseen examples",
                    _overlap_fix(plan), location=location,
                    metrics={"eval": ev.name, "train": tr.name, "eval_split": ev.split, "train_split": tr.split},
                )
                break


# -- FT608 ---------------------------------------------------------------------------------------------

class DeprecatedOrUnknownKey(Rule):
    """A config key the framework renamed, removed or never had.

    ## What it does
    Reports each key of the training config that its framework has renamed or removed (at least:
    `evaluation_strategy` → `eval_strategy`, deprecated in transformers 4.41; TRL `max_seq_length`
    → `max_length`, removed from `SFTConfig` in TRL 0.20; DPO `max_prompt_length`, removed in
    TRL 0.29; `torch_dtype` → `dtype`, renamed in TRL 0.23 with the alias gone in 0.27;
    `packing_strategy: ffd` → `bfd`, renamed in TRL 0.20; Axolotl's deprecated keys;
    `TrainingArguments` fields removed in transformers 5), and each key the framework does not
    define, with a "did you mean" suggestion. One finding per key, at its line. Keys left empty
    (`key:` or `null`) change nothing and are not reported. Keys a framework declares itself
    (LLaMA-Factory's `overwrite_output_dir`) are not reported as removed from transformers.

    Keys that transformers 5 removed but 4.x still reads (`warmup_ratio`,
    `overwrite_output_dir`, ...) depend on the version that runs the config: ftlint reads the
    `transformers` pin of the config's repository (`requirements*.txt`, `pyproject.toml`,
    `setup.py`, `setup.cfg` or `environment.yml` beside the config or up to three folders
    above; without one, the framework's own requirement where ftlint knows it: LLaMA-Factory
    requires `transformers<=4.57.1`). A pin below 5 reports nothing; a pin of 5 or later reports the removal with the
    transformers 5 replacement; without a pin the finding is info and says which versions the
    advice assumes (`warmup_steps: 0.1` means a ratio on 5, but fails on 4.x).

    ## Why it matters
    A renamed key is either rejected (the job dies at start-up) or silently ignored, in which
    case the setting you wrote (a sequence length, an eval schedule) is not the one used. A
    misspelt key is the same trap.

    ## Example
    An alignment-handbook SFT recipe with `max_seq_length: 8192`: TRL 0.20 and later have no
    such `SFTConfig` field, so the length is not applied (or the parser refuses the key).

    ## How to fix
    Rename the key as the message says (`max_length`, `eval_strategy`, `dtype`), delete removed
    keys, and fix misspellings; pin the framework version the config was written for.
    """

    code = "FT608"
    name = "deprecated-or-unknown-key"
    summary = "Training-config key renamed, removed or unknown to the framework"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        label = _label(plan)
        pins: dict[str, Any] = {}
        for dk in plan.deprecated_keys:
            if not dk.is_set:
                continue
            if dk.removed_in is not None:
                finding = self._version_dependent(plan, dk, pins)
                if finding is not None:
                    yield finding
                continue
            version = (dk.since or "").split()[-1] if dk.since else ""
            since = f" ({dk.since})" if version and version not in dk.message else ""
            message = dk.message.rstrip(".") + since
            if dk.key not in message:
                message = f"`{dk.key}`: {message}"
            if dk.replacement:
                target, _, note = dk.replacement.partition(" (")
                if re.fullmatch(r"[\w.]+", target):
                    fix = f"Use `{target}` instead of `{dk.key}`" + (f" ({note}" if note else "")
                    if not note and "." not in target and ":" not in target:
                        fix += f": `{target}: {_raw(plan, dk.key)}`"
                    fix += "."
                else:
                    fix = f"Replace `{dk.key}` with `{dk.replacement}`."
            else:
                fix = f"Remove `{dk.key}`; it has no direct replacement (see the message)."
            yield self.finding(
                message, fix,
                location=_at(plan, dk.key, dk.provenance.line),
                metrics={"key": dk.key, "replacement": dk.replacement, "since": dk.since, "kind": "deprecated"},
            )
        for uk in plan.unknown_keys:
            if _empty(_raw(plan, uk.key)):
                continue
            hint = f"; did you mean `{uk.suggestion}`?" if uk.suggestion else ""
            fix = (f"Rename it to `{uk.suggestion}`." if uk.suggestion
                   else f"Check the spelling against the {label} documentation, or remove it.")
            yield self.finding(
                f"`{uk.key}` is not {with_article(label)} key{hint} Depending on the version it is ignored or makes "
                "the trainer refuse the config",
                fix, location=_at(plan, uk.key, uk.provenance.line),
                metrics={"key": uk.key, "suggestion": uk.suggestion, "kind": "unknown"},
            )


    def _version_dependent(self, plan: Any, dk: Any, pins: dict[str, Any]) -> Finding | None:
        """A key removed in one major version of a dependency (transformers 5) that earlier ones need:
        reported as removed only where the repository pins that version; not reported where it pins an
        earlier one; otherwise an info finding that says which versions the advice assumes."""
        from ftlint.training.versions import find_pin, framework_pin

        package, major = dk.removed_in
        if package not in pins:  # the repository's pin, else the framework's own requirement
            pins[package] = find_pin(Path(plan.path), package) or framework_pin(plan.framework, package)
        pin = pins[package]
        allows_new = pin.allows_major(major) if pin is not None else None
        allows_old = pin.allows_major(major - 1) if pin is not None else None
        location = _at(plan, dk.key, dk.provenance.line)
        metrics = {"key": dk.key, "replacement": dk.replacement, "since": dk.since, "kind": "deprecated",
                   "pin": f"{package}{pin.spec}" if pin is not None else None}
        if pin is not None and allows_new is False:
            return None  # the repository runs an earlier version, where the key is valid
        if pin is not None and allows_new and allows_old is False:
            source = pin.file if not Path(pin.file).exists() else display_path(Path(pin.file))
            where = f" (the repository pins {package}{pin.spec} in {source})"
            return self.finding(dk.message.rstrip(".") + where, (dk.fix or "").split(";")[0] + ".",
                                location=location, metrics=metrics)
        finding = self.finding(
            f"`{dk.key}` works on {package} {major - 1}.x but was removed in {package} {major}; no {package} pin "
            f"was found beside the config, so this assumes either version may run it",
            (dk.fix or f"On {package} {major} remove `{dk.key}`") + f". Pin {package} in the project's requirements "
            "and ftlint reports it only where it applies.",
            location=location, metrics=metrics)
        finding.severity = Severity.INFO
        return finding

# -- FT609 ---------------------------------------------------------------------------------------------

class NoPretrainedBase(Rule):
    """The config names no pretrained model to fine-tune.

    ## What it does
    Reports a fine-tuning config with no base model: Axolotl without `base_model`; HF, TRL or
    LLaMA-Factory without `model_name_or_path` (and a model built from `config_name` alone,
    which starts from random weights); LLaMA-Factory v1 without `model`; torchtune without
    `checkpointer.checkpoint_files`; an OpenAI job without `model`. Pretraining configs (stage
    `pt`) with `config_name` are not reported.

    ## Why it matters
    Fine-tuning adapts what a pretrained model knows. Without pretrained weights the run either
    fails at start-up or trains a randomly initialised model on a small dataset, which learns
    next to nothing.

    ## Example
    An Axolotl config with `datasets:` and `adapter: lora` but no `base_model:`.

    ## How to fix
    Name the pretrained model: `base_model: meta-llama/Llama-3.2-1B` (Axolotl),
    `model_name_or_path: Qwen/Qwen2.5-0.5B` (HF, TRL, LLaMA-Factory), `model:` (LLaMA-Factory v1,
    OpenAI), or `checkpointer.checkpoint_files` pointing at the downloaded weights (torchtune).
    """

    code = "FT609"
    name = "no-pretrained-base"
    summary = "No pretrained base model to fine-tune"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        fw = plan.framework
        stage = (plan.stage.value or "").lower()
        if fw == "torchtune":
            if not _empty(_raw(plan, "checkpointer.checkpoint_files")):
                return
            builder = plan.model_builder.value or "the model builder"
            yield self.finding(
                f"`checkpointer.checkpoint_files` is not set: no pretrained weights are loaded into {builder}",
                "Download the model (`tune download <hf-model> --output-dir <dir>`) and set "
                "`checkpointer.checkpoint_dir: <dir>` and `checkpointer.checkpoint_files: [model.safetensors]`.",
                location=_anchor(plan, ["checkpointer.checkpoint_files", "checkpointer.checkpoint_dir",
                                        "checkpointer", "model._component_"], "checkpointer.checkpoint_files"),
                metrics={"framework": fw},
            )
            return
        if plan.base_model.is_set:
            return
        if fw == "axolotl":
            key, example = "base_model", "meta-llama/Llama-3.2-1B"
        elif fw == "openai":
            key, example = "model", "gpt-4o-mini-2024-07-18"
        elif _lf_v1(plan):
            key, example = "model", "Qwen/Qwen3-4B"
        else:
            key, example = "model_name_or_path", "Qwen/Qwen2.5-0.5B"
        from_config = fw in ("hf", "trl", "llamafactory") and not _empty(_raw(plan, "config_name"))
        if from_config:
            if stage == "pt":
                return  # pretraining from scratch is what config_name is for
            message = (f"no `{key}`: the model is built from `config_name` alone, with random weights, so this "
                       "trains from scratch instead of fine-tuning")
            location = _at(plan, "config_name")
        elif fw == "hf" and plan.variant == "trainer":
            return  # TrainingArguments alone: the model is chosen in the training script
        else:
            message = f"no `{key}`: the {_label(plan)} config names no pretrained model to fine-tune"
            location = Location(path=_config_path(plan), line=None, key=key)
        yield self.finding(message, f"Set `{key}: {example}` (the pretrained model you mean to fine-tune).",
                           location=location, metrics={"framework": fw, "key": key})


# -- FT612 ---------------------------------------------------------------------------------------------

class ScheduleInconsistent(Rule):
    """Schedule numbers that do not fit the dataset size.

    ## What it does
    With the training-set size known, computes the run's length: steps per epoch =
    ceil(rows / effective batch), total = `max_steps` or steps per epoch × epochs (the effective
    batch is per-device batch × gradient accumulation × `devices`; torchtune's
    `max_steps_per_epoch` caps each epoch). Then reports warmup longer than the whole run,
    `eval_steps` / `save_steps` larger than the total number of steps (evaluation or checkpoints
    never happen), `max_steps` shorter than one epoch (part of the data is never seen), and an
    effective batch larger than the dataset.

    ## Why it matters
    These settings are usually copied from a recipe written for a much larger dataset: the
    learning rate never leaves warmup, evaluation never runs, or the run stops before it has seen
    the data, and nothing fails to tell you.

    ## Example
    `warmup_steps: 500` for a 200-row dataset with an effective batch of 16 and 3 epochs
    (39 steps in all).

    ## How to fix
    Scale the schedule to the data: warmup as a ratio (`warmup_ratio: 0.05`-`0.1`), evaluation
    per epoch (`evals_per_epoch`, `eval_strategy: epoch`) or every few steps, `max_steps` unset or
    at least one epoch, a batch smaller than the dataset.
    """

    code = "FT612"
    name = "schedule-inconsistent"
    summary = "Warmup, eval/save steps or max_steps that do not fit the dataset size"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})
    option_help = {"devices": "data-parallel devices the run uses (multiplies the effective batch)"}

    @dataclass
    class Options:
        devices: int = 1

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = _plan(ctx)
        rows = _train_rows(ctx, plan)
        if rows is None:
            raise Skip("the training set size is unknown (no loadable training data)",
                       "pass the training data, or a local copy of it")
        _skip_invalid(plan.batch.per_device, plan.batch.gradient_accumulation, plan.batch.effective,
                      plan.max_steps, plan.max_steps_per_epoch, *(() if plan.max_steps.value else (plan.epochs,)))
        batch = plan.batch.effective.value
        if not batch:
            return  # "auto" (OpenAI) or unknown
        fw = plan.framework
        devices = max(int(self.options.devices), 1)
        eff = batch * devices
        on = "" if devices == 1 else f" on {devices} devices"
        metrics_base = {"train_rows": rows, "effective_batch": eff}
        if rows == 0:
            return
        steps_epoch = math.ceil(rows / eff)
        if plan.max_steps_per_epoch.value:
            steps_epoch = min(steps_epoch, int(plan.max_steps_per_epoch.value))
        epochs = plan.epochs.value
        if plan.max_steps.value:
            total = int(plan.max_steps.value)
            how = f"max_steps {total:,}"
        elif epochs:
            total = max(math.ceil(steps_epoch * epochs), 1)
            how = f"{steps_epoch:,} steps per epoch x {_num(epochs)} epochs"
        else:
            return
        metrics = {**metrics_base, "steps_per_epoch": steps_epoch, "total_steps": total}

        if eff > rows:
            bkey = _key(plan.batch.per_device, _BATCH_KEY.get(fw, "batch_size"))
            yield self.finding(
                f"the effective batch ({eff:,}{on}) is larger than the {rows:,} training rows: every epoch is a "
                "single, partial batch",
                f"Lower `{bkey}` (and `gradient_accumulation_steps`) below the dataset size, or get more data.",
                location=_at_value(plan, plan.batch.per_device, bkey), metrics=metrics,
            )
        if plan.max_steps.value and plan.max_steps.value < steps_epoch:
            key = _key(plan.max_steps, "max_steps")
            seen = min(rows, plan.max_steps.value * eff)
            yield self.finding(
                f"`{key}: {plan.max_steps.value}` stops the run before one epoch ({steps_epoch:,} steps of "
                f"{eff:,} rows{on}): about {rows - seen:,} of the {rows:,} training rows are never seen",
                f"Remove `{key}` and train by epochs, or raise it to at least {steps_epoch:,}.",
                location=_at_value(plan, plan.max_steps, key), metrics=metrics,
            )
        yield from self._warmup(plan, total, how, metrics)
        v = plan.validation
        ev = v.eval_steps
        if v.enabled and ev.from_config and ev.value and ev.value >= 1 and ev.value > total:
            key = _key(ev, "eval_steps")
            yield self.finding(
                f"`{key}: {_num(ev.value)}` is more than the {total:,} steps of the whole run ({how}{on}): "
                "evaluation never runs during training",
                f"Set `{key}` below {total:,} (e.g. {max(total // 4, 1):,}), or evaluate per epoch.",
                location=_at_value(plan, ev, key), metrics=metrics,
            )
        sv = plan.early_stopping.save_steps
        strategy = plan.early_stopping.save_strategy.value or "steps"
        if sv.from_config and sv.value and sv.value >= 1 and sv.value > total and strategy == "steps":
            key = _key(sv, "save_steps")
            yield self.finding(
                f"`{key}: {_num(sv.value)}` is more than the {total:,} steps of the whole run ({how}{on}): no "
                "checkpoint is saved during training",
                f"Set `{key}` below {total:,} (a multiple of `eval_steps` when keeping the best model), or save "
                "per epoch.",
                location=_at_value(plan, sv, key), metrics=metrics,
            )

    def _warmup(self, plan: Any, total: int, how: str, metrics: dict[str, Any]) -> Iterator[Finding]:
        steps, ratio = plan.warmup_steps, plan.warmup_ratio
        if steps.from_config and steps.value is not None and steps.value >= 1 and steps.value >= total:
            key = _key(steps, "warmup_steps")
            yield self.finding(
                f"`{key}: {_num(steps.value)}` is longer than the whole run ({total:,} steps: {how}): the learning "
                "rate never reaches its peak",
                f"Use a warmup share instead (`warmup_ratio: 0.05`-`0.1`), or set `{key}` well below {total:,}.",
                location=_at_value(plan, steps, key), metrics=metrics,
            )
        elif ratio.from_config and ratio.value is not None and ratio.value >= 1:
            key = _key(ratio, "warmup_ratio")
            yield self.finding(
                f"`{key}: {ratio.value:g}` warms up for the whole run: the learning rate never reaches its peak",
                f"Set `{key}` to 0.05-0.1.",
                location=_at_value(plan, ratio, key), metrics=metrics,
            )


# -- FT621 ---------------------------------------------------------------------------------------------

class InvalidConfigValue(Rule):
    """A training-config value of the wrong type or outside the range the framework accepts.

    ## What it does
    Checks the canonical numeric and boolean keys of each framework against what it accepts:
    epochs, `max_steps`, learning rate, batch sizes and gradient accumulation, sequence length,
    the held-out share (`val_set_size`, `val_size`, `test_split_size`), warmup, eval/save/logging
    steps, evaluations per epoch, early-stopping patience, weight decay, LoRA rank/alpha/dropout,
    the eval and save strategies and the boolean switches (Axolotl, HF Trainer, TRL,
    LLaMA-Factory v0 and v1, torchtune, OpenAI hyperparameters with `auto`). One finding per
    value, at its line: `val_set_size: "abc"` (not a number), `sequence_len: -5` (below 1),
    `num_epochs: "three"`, `warmup_ratio: 1.5` (above 1), `micro_batch_size: 2.5` (not a whole
    number), `load_in_4bit: maybe`. Epochs of 0 are accepted only with a positive `max_steps`.
    An empty value (`key:` or `null`) means "unset" and is not reported.

    No other rule uses an invalid value, nor the framework's default in its place: a rule that
    needs it is skipped and says why (FT602 does not report rows "longer than sequence_len = -5";
    FT104 does not read `val_set_size: "abc"` as 0).

    Exit code 2 instead of a finding: a key that names the training data with a shape the
    framework refuses when it loads the config (Axolotl `datasets: 5`, LLaMA-Factory
    `dataset: {...}`, torchtune `dataset: "x"`, an OpenAI `training_file` that is not a string).
    ftlint cannot tell which data the run trains on, so, as for a config that does not parse, it
    stops with a one-line error at the key's line. Scalar values stay findings even where the
    framework's own parser rejects them at load time (Axolotl's schema, TRL's argument parser, the
    OpenAI API; the HF Trainer, LLaMA-Factory and torchtune fail later, or train with a wrong
    value): the rest of the config and the data are still checkable, the finding is an error
    (so `ftlint check` fails), and one run lists every bad value with its line.

    ## Why it matters
    A value of the wrong type either stops the job at start-up, after the queue wait and the
    model download, or is coerced into something you did not mean (a share read as 0, a negative
    length); in both cases ftlint's other checks of that value would be about a number nobody
    chose.

    ## Example
    ```
    val_set_size: "abc"
    sequence_len: -5
    num_epochs: "three"
    ```

    ## How to fix
    Write the value the finding asks for: a number where a number is expected (unquoted, e.g.
    `val_set_size: 0.05`), a whole number of tokens for the sequence length, `true`/`false` for a
    switch. Remove the key (or leave it empty) to use the framework's default.
    """

    code = "FT621"
    name = "invalid-config-value"
    summary = "Training-config value of the wrong type or out of the framework's range"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        from ftlint.training.values import shown

        plan = _plan(ctx)
        label = _label(plan)
        for bad in plan.invalid_values:
            yield self.finding(
                f"`{bad.key}: {shown(bad.raw)}` {bad.problem}: {label} expects {bad.expected}",
                f"Set `{bad.key}` to {bad.expected.split(' (')[0]}, or remove it to use {label}'s default.",
                location=_at(plan, bad.key, bad.provenance.line),
                metrics={"key": bad.key, "value": bad.raw if isinstance(bad.raw, (str, int, float, bool)) else None,
                         "expected": bad.expected, "problem": bad.problem},
            )


__all__ = [
    "DeprecatedOrUnknownKey",
    "EarlyStoppingMisconfigured",
    "EvaluatesOnTrainingData",
    "InvalidConfigValue",
    "LearningRateOutOfRange",
    "MissingEarlyStopping",
    "MissingValidationSplit",
    "NoPretrainedBase",
    "NoRegularization",
    "ScheduleInconsistent",
    "TooManyEpochs",
    "ValidationTooSmall",
]
