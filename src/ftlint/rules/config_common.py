"""What the training-config rules share: locating a finding in the config, the rows a run trains
on, and skipping on values FT621 reports.

Every finding about a config points at the config's line (``Location(path=<the config as shown>,
line=<the key's line>, key=<the key path>)``). These helpers never parse a config: they read
``ctx.plan`` (a :class:`~ftlint.training.plan.TrainingPlan`), its framework's adapter
(:func:`~ftlint.training.adapters.adapter_for`) and the loaded splits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ftlint.context import Context
from ftlint.data.load import display_path
from ftlint.model import Location
from ftlint.rule import Skip
from ftlint.training.adapter import anchor as anchor_provenance
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import ConfigValue, Provenance, TrainingPlan

#: stages trained on preference pairs (their learning rates are far lower than SFT's)
PREFERENCE_STAGES = frozenset({"dpo", "ipo", "orpo", "kto", "simpo"})
#: stages with no usual learning-rate range here (online RL): FT604 skips them
RL_STAGES = frozenset({"grpo", "ppo", "rft", "prm", "ebft"})
LORA_METHODS = frozenset({"lora", "qlora", "dora", "oft", "adalora", "loha", "lokr"})
FULL_METHODS = frozenset({"full", "freeze"})


def require_plan(ctx: Context) -> TrainingPlan:
    """The run's training plan (the engine skips rules that need one when there is none)."""
    if ctx.plan is None:  # pragma: no cover - the engine skips rules that need a plan
        raise Skip("no training config given")
    return ctx.plan


def config_path(plan: TrainingPlan) -> str:
    return display_path(plan.path)


def framework_label(plan: TrainingPlan) -> str:
    """The framework as findings about its config name it (``Axolotl``, ``LLaMA-Factory v1``)."""
    return adapter_for(plan).label


def at(plan: TrainingPlan, key: str | None, line: int | None = None) -> Location:
    """A location in the config: ``key``'s line unless one is given."""
    if line is None and key is not None:
        line = plan.key_lines.get(key)
    return Location(path=config_path(plan), line=line, key=key)


def at_provenance(plan: TrainingPlan, prov: Provenance) -> Location:
    """A location from a provenance the adapter or the plan gives (its key may have no line)."""
    return Location(path=config_path(plan), line=prov.line, key=prov.key or None)


def anchor(plan: TrainingPlan, keys: Iterable[str], fallback: str | None = None) -> Location:
    """The first of ``keys`` written in the config; else ``fallback`` (or the first key) with no line."""
    return at_provenance(plan, anchor_provenance(plan, keys, fallback))


def at_value(plan: TrainingPlan, value: ConfigValue[Any], fallback: str | None) -> Location:
    """Where a ConfigValue comes from (its first source), else ``fallback``'s line if written."""
    prov = value.provenance
    if prov is not None:
        return Location(path=config_path(plan), line=prov.line, key=prov.key)
    return at(plan, fallback)


def num(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:g}"


def skip_invalid(*values: ConfigValue[Any]) -> None:
    """Skip the rule when a value it needs is written but invalid for the framework: FT621 reports
    it, and no rule reasons from it (nor from the default it does not get)."""
    for value in values:
        if value.invalid:
            raise Skip(f"`{value.key}` in the training config is not a valid value (FT621 reports it)",
                       f"fix `{value.key}` as FT621 (invalid-config-value) says")


def split_from_config(ctx: Context, split: str) -> bool:
    """The split's files were all named by the training config (not the command line/settings)."""
    return all(f.split_source.startswith("training config") for f in ctx.dataset(split).files)


def split_rows(ctx: Context, plan: TrainingPlan | None, split: str = "train") -> int | None:
    """Readable rows of a split; capped per file where the framework reads at most so many
    (LLaMA-Factory ``max_samples``)."""
    if split not in ctx.splits:
        return None
    ds = ctx.dataset(split)
    n = len(ds)
    cap = adapter_for(plan).samples_cap(plan) if plan is not None and split == "train" else None
    if cap is not None:
        counts = np.bincount(np.asarray(ds.file_id, dtype=np.int64), minlength=len(ds.files)) if n else ()
        n = int(sum(min(int(c), cap) for c in counts))
    return n


def carved_holdout(plan: TrainingPlan | None, rows: int | None) -> tuple[int | None, float | None]:
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


def trained_rows(ctx: Context, plan: TrainingPlan | None) -> int | None:
    """Rows the trainer trains on: the train split, less the share the config holds out."""
    n = split_rows(ctx, plan)
    if n is None:
        return None
    carved, _ = carved_holdout(plan, n)
    return max(n - (carved or 0), 0)


__all__ = ["FULL_METHODS", "LORA_METHODS", "PREFERENCE_STAGES", "RL_STAGES", "anchor", "at", "at_provenance",
           "at_value", "carved_holdout", "config_path", "framework_label", "num", "require_plan",
           "skip_invalid", "split_from_config", "split_rows", "trained_rows"]
