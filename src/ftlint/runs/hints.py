"""What a run's findings tell the user to set, in each framework's own keys.

TEMPORARY: ``early_stopping_hint`` and ``evaluation_hint`` stand in for the framework adapters'
early-stopping and evaluation recipes (issue 14's adapters, being built in parallel). When the
adapters merge, replace these two functions with calls to the adapter of ``framework`` and delete
this module's tables; the FT8xx rules call nothing else here.
"""

from __future__ import annotations


def early_stopping_hint(framework: str, patience: int = 2, metric: str = "eval_loss",
                        greater_is_better: bool = False) -> str:
    """The settings that stop a run of ``framework`` after ``patience`` evaluations without
    improvement of ``metric`` and end on its best checkpoint (to be replaced by the adapter)."""
    gib = ", `greater_is_better: true`" if greater_is_better else ""
    best = f"`load_best_model_at_end: true`, `metric_for_best_model: {metric}`{gib}"
    if framework == "axolotl":
        return f"`early_stopping_patience: {patience}` with {best} and `save_steps` equal to `eval_steps`"
    if framework == "llamafactory":
        return f"`early_stopping_steps: {patience}` with {best} and `save_steps` equal to `eval_steps`"
    if framework == "torchtune":
        return ("torchtune has no early stopping: keep the checkpoint of the best epoch, or set `epochs` so the "
                "run ends there")
    if framework == "openai":
        return ("OpenAI jobs have no early stopping: set `hyperparameters.n_epochs` so the job ends at the best "
                "epoch (a job keeps the checkpoints of its last three epochs)")
    # hf, trl and anything else that runs the Hugging Face Trainer
    return (f"`EarlyStoppingCallback(early_stopping_patience={patience})` with {best}, `eval_strategy: steps` and "
            "`save_steps` equal to `eval_steps`")


def evaluation_hint(framework: str, every: int | None = None) -> str:
    """The settings that evaluate a run of ``framework`` every ``every`` steps (to be replaced by
    the adapter)."""
    n = f"{every}" if every else "N"
    if framework == "axolotl":
        return f"`val_set_size: 0.05` (or `test_datasets`) and `eval_steps: {n}`"
    if framework == "llamafactory":
        return f"`val_size: 0.05` (or `eval_dataset`), `eval_strategy: steps` and `eval_steps: {n}`"
    if framework == "torchtune":
        return f"`dataset_val` and `run_val_every_n_steps: {n}`"
    if framework == "openai":
        return "a `validation_file` for the job (its result file then has valid_loss and full_valid_loss)"
    return f"an eval dataset, `eval_strategy: steps` and `eval_steps: {n}`"


__all__ = ["early_stopping_hint", "evaluation_hint"]
