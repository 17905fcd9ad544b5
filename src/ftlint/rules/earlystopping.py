"""FT601/FT606: early stopping and the checkpoints it keeps, read through the training plan.

The recipes (how to switch early stopping on, how to make evaluation and saving agree) are the
framework's own, from its adapter (:meth:`~ftlint.training.adapter.FrameworkAdapter.early_stopping_recipe`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ftlint.context import Context
from ftlint.model import Finding, Severity
from ftlint.remedies import EditConfig
from ftlint.rule import Need, Rule
from ftlint.rules.config_common import anchor, at, at_value, num, require_plan
from ftlint.training.adapters import adapter_for

# -- FT601 ---------------------------------------------------------------------------------------------

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
        plan = require_plan(ctx)
        adapter = adapter_for(plan)
        es = plan.early_stopping
        if es.requested:
            return  # asked for; FT606 reports it when it cannot work
        if adapter.early_stopping_in_code and es.load_best_model_at_end.value:
            return  # the prerequisites are there; the callback itself lives in the training script
        supported = adapter.can_stop_early
        epochs = plan.epochs.value
        steps = plan.max_steps.value
        if steps is not None and steps > 0:  # max_steps bounds the run before epochs do
            length = f"training runs all {num(steps)} steps (`{plan.max_steps.key or 'max_steps'}`)"
        elif epochs and epochs != 1:
            length = f"training runs all {num(epochs)} epochs"
        else:
            length = "training runs to the end"
        if supported:
            message = (f"the {adapter.label} config sets no early stopping: {length} whatever the validation "
                       "loss does, and the last checkpoint, not the best, is what you get")
        else:
            message = (f"{adapter.label} has no early stopping: {length} whatever the validation loss does, "
                       "and the last checkpoint is not necessarily the best")
        epochs_key = plan.epochs.key or "epochs"
        location = anchor(plan, [epochs_key, "max_steps", "val_set_size", "val_size", "eval_strategy",
                                  "run_val_every_n_steps", "validation_file", "learning_rate", "optimizer.lr",
                                  "training_file"], epochs_key)
        finding = self.finding(message, adapter.early_stopping_recipe(), location=location,
                               metrics={"framework": plan.framework, "supported_in_config": supported,
                                        "epochs": epochs},
                               remedies=[EditConfig("early_stopping.requested", True,
                                                    "stop when the validation loss stops improving, and keep the "
                                                    "best checkpoint")])
        if not supported:
            finding.severity = Severity.INFO  # nothing to switch on in this framework's config: a notice
        yield finding


# -- FT606 ---------------------------------------------------------------------------------------------

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
        plan = require_plan(ctx)
        es = plan.early_stopping
        fix = adapter_for(plan).best_checkpoint_recipe()
        for problem in es.problems:
            prov = problem.provenance
            location = at(plan, prov.key if prov else None, prov.line if prov else None)
            yield self.finding(problem.message, fix, location=location,
                               metrics={"framework": plan.framework,
                                        "keys": [p.key for p in problem.sources]},
                               remedies=[EditConfig("early_stopping.problems", [], problem.message)])
        if es.requested and not es.problems and not plan.validation.enabled:
            location = at_value(plan, es.patience, "early_stopping_patience")
            yield self.finding(
                f"early stopping is set (`{es.patience.key}: {es.patience.raw}`) but evaluation never runs "
                f"({plan.validation.reason}): the callback never sees a validation loss, so it never stops",
                fix, location=location, metrics={"framework": plan.framework},
                remedies=[EditConfig("validation.enabled", True, "early stopping needs evaluation during training")],
            )


__all__ = ["EarlyStoppingMisconfigured", "MissingEarlyStopping"]
