"""FT603/FT604/FT605/FT612: the run's hyperparameters against the dataset size and the method:
epochs, learning rate, regularisation, and a schedule (warmup, eval/save steps, ``max_steps``,
batch) that fits the data. Keys are named as the config writes them, or by the framework's own
key where a default applies (``ConfigValue.key``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftlint.context import Context
from ftlint.model import Finding, Severity
from ftlint.rule import Need, Rule, Skip
from ftlint.rules.config_common import (
    FULL_METHODS,
    LORA_METHODS,
    PREFERENCE_STAGES,
    RL_STAGES,
    at,
    at_value,
    num,
    require_plan,
    skip_invalid,
    trained_rows,
)
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import TrainingPlan

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
        plan = require_plan(ctx)
        opts = self.options
        rows = trained_rows(ctx, plan)
        skip_invalid(plan.max_steps)
        if not plan.max_steps.value:
            skip_invalid(plan.epochs)
        epochs_key = plan.epochs.key or "epochs"
        epochs = plan.epochs.value
        what = f"`{epochs_key}: {num(epochs)}`" if epochs is not None else ""
        location = at_value(plan, plan.epochs, epochs_key)
        batch = plan.batch.effective.value
        if plan.max_steps.value:
            # max_steps decides the length of the run: epochs are ignored
            if not rows or not batch:
                return
            epochs = plan.max_steps.value * batch / rows
            key = plan.max_steps.key or "max_steps"
            what = f"`{key}: {num(plan.max_steps.value)}` ({epochs:.1f} epochs of {rows:,} rows)"
            location = at_value(plan, plan.max_steps, key)
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
        size = f" on {rows:,} training rows (below {opts.small_dataset_rows:,}, at most {num(limit)} epochs)" \
            if small else f" (more than {num(limit)})"
        yield self.finding(
            f"{what} trains {num(round(epochs, 1))} epochs{size}: the model will memorise the training set",
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
        plan = require_plan(ctx)
        o = self.options
        multiplier = adapter_for(plan).learning_rate_is_multiplier
        skip_invalid(plan.learning_rate_multiplier if multiplier else plan.learning_rate)
        if multiplier:
            value = plan.learning_rate_multiplier
            if value.value is None:
                return  # "auto" or not set: OpenAI picks it
            lo, hi, what, typical = o.openai_multiplier_min, o.openai_multiplier_max, "an OpenAI job", "0.1"
            key = value.key or "hyperparameters.learning_rate_multiplier"
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
            key = value.key or "learning_rate"
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
            location=at_value(plan, value, key),
            metrics={"learning_rate": lr, "min": lo, "max": hi, "method": plan.method.value,
                     "stage": plan.stage.value},
        )


# -- FT605 ---------------------------------------------------------------------------------------------

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
        plan = require_plan(ctx)
        wd = plan.weight_decay
        skip_invalid(wd)
        if wd.value is None:
            return  # not exposed (OpenAI) or unreadable
        rows = trained_rows(ctx, plan)
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
        wd_key = wd.key or "weight_decay"
        dr_key = dropout.key or "lora_dropout"
        what = f"`{wd_key}` is 0{' (the default)' if wd.is_default else ''}"
        if lora:
            what += f" and `{dr_key}` is 0{' (the default)' if dropout.is_default else ''}"
        fix = f"Set `{wd_key}: 0.01` (0.01-0.1)"
        fix += f" and/or `{dr_key}: 0.05` (0.05-0.1)." if lora else "."
        location = at_value(plan, wd, wd_key) if wd.provenance else at_value(plan, dropout, dr_key) if lora \
            else at(plan, wd_key)
        yield self.finding(
            f"{what} on {rows:,} training rows (under {self.options.max_rows:,}): nothing regularises the "
            "update, so the model overfits sooner",
            fix, location=location,
            metrics={"weight_decay": wd.value, "lora_dropout": dropout.value if lora else None, "train_rows": rows},
        )


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
        plan = require_plan(ctx)
        rows = trained_rows(ctx, plan)
        if rows is None:
            raise Skip("the training set size is unknown (no loadable training data)",
                       "pass the training data, or a local copy of it")
        skip_invalid(plan.batch.per_device, plan.batch.gradient_accumulation, plan.batch.effective,
                      plan.max_steps, plan.max_steps_per_epoch, *(() if plan.max_steps.value else (plan.epochs,)))
        batch = plan.batch.effective.value
        if not batch:
            return  # "auto" (OpenAI) or unknown
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
            how = f"{steps_epoch:,} steps per epoch x {num(epochs)} epochs"
        else:
            return
        metrics = {**metrics_base, "steps_per_epoch": steps_epoch, "total_steps": total}

        if eff > rows:
            bkey = plan.batch.per_device.key or "batch_size"
            yield self.finding(
                f"the effective batch ({eff:,}{on}) is larger than the {rows:,} training rows: every epoch is a "
                "single, partial batch",
                f"Lower `{bkey}` (and `gradient_accumulation_steps`) below the dataset size, or get more data.",
                location=at_value(plan, plan.batch.per_device, bkey), metrics=metrics,
            )
        if plan.max_steps.value and plan.max_steps.value < steps_epoch:
            key = plan.max_steps.key or "max_steps"
            seen = min(rows, plan.max_steps.value * eff)
            yield self.finding(
                f"`{key}: {plan.max_steps.value}` stops the run before one epoch ({steps_epoch:,} steps of "
                f"{eff:,} rows{on}): about {rows - seen:,} of the {rows:,} training rows are never seen",
                f"Remove `{key}` and train by epochs, or raise it to at least {steps_epoch:,}.",
                location=at_value(plan, plan.max_steps, key), metrics=metrics,
            )
        yield from self._warmup(plan, total, how, metrics)
        v = plan.validation
        ev = v.eval_steps
        if v.enabled and ev.from_config and ev.value and ev.value >= 1 and ev.value > total:
            key = ev.key or "eval_steps"
            yield self.finding(
                f"`{key}: {num(ev.value)}` is more than the {total:,} steps of the whole run ({how}{on}): "
                "evaluation never runs during training",
                f"Set `{key}` below {total:,} (e.g. {max(total // 4, 1):,}), or evaluate per epoch.",
                location=at_value(plan, ev, key), metrics=metrics,
            )
        sv = plan.early_stopping.save_steps
        strategy = plan.early_stopping.save_strategy.value or "steps"
        if sv.from_config and sv.value and sv.value >= 1 and sv.value > total and strategy == "steps":
            key = sv.key or "save_steps"
            yield self.finding(
                f"`{key}: {num(sv.value)}` is more than the {total:,} steps of the whole run ({how}{on}): no "
                "checkpoint is saved during training",
                f"Set `{key}` below {total:,} (a multiple of `eval_steps` when keeping the best model), or save "
                "per epoch.",
                location=at_value(plan, sv, key), metrics=metrics,
            )

    def _warmup(self, plan: TrainingPlan, total: int, how: str, metrics: dict[str, Any]) -> Iterator[Finding]:
        steps, ratio = plan.warmup_steps, plan.warmup_ratio
        if steps.from_config and steps.value is not None and steps.value >= 1 and steps.value >= total:
            key = steps.key or "warmup_steps"
            yield self.finding(
                f"`{key}: {num(steps.value)}` is longer than the whole run ({total:,} steps: {how}): the learning "
                "rate never reaches its peak",
                f"Use a warmup share instead (`warmup_ratio: 0.05`-`0.1`), or set `{key}` well below {total:,}.",
                location=at_value(plan, steps, key), metrics=metrics,
            )
        elif ratio.from_config and ratio.value is not None and ratio.value >= 1:
            key = ratio.key or "warmup_ratio"
            yield self.finding(
                f"`{key}: {ratio.value:g}` warms up for the whole run: the learning rate never reaches its peak",
                f"Set `{key}` to 0.05-0.1.",
                location=at_value(plan, ratio, key), metrics=metrics,
            )


__all__ = ["LearningRateOutOfRange", "NoRegularization", "ScheduleInconsistent", "TooManyEpochs"]
