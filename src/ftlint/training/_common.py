"""Helpers shared by the framework adapters."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ftlint.training.plan import (
    MISSING,
    BatchPlan,
    ConfigValue,
    DatasetKind,
    DatasetRef,
    Origin,
    PlanProblem,
    Provenance,
)
from ftlint.training.source import Reader, looks_like_hub_id, looks_like_path, to_str

_STAGE_WORDS: tuple[tuple[str, str], ...] = (
    ("orpo", "orpo"),
    ("simpo", "simpo"),
    ("kto", "kto"),
    ("grpo", "grpo"),
    ("dpo", "dpo"),
    ("ppo", "ppo"),
    ("reward", "rm"),
    ("sft", "sft"),
)


def stage_from_path(path: Path) -> str | None:
    """A training stage named in the config's path (``recipes/zephyr/dpo/config_full.yaml``)."""
    text = str(path).lower().replace("\\", "/")
    tokens = [t for part in text.split("/") for t in part.replace("-", "_").replace(".", "_").split("_")]
    for word, stage in _STAGE_WORDS:
        if word in tokens:
            return stage
    return None


def dataset_ref(
    reader: Reader,
    name: str,
    role: str,
    key: str,
    *,
    split: str | None = None,
    subset: str | None = None,
    data_files: tuple[str, ...] = (),
    fmt: str | None = None,
    columns: tuple[tuple[str, str], ...] = (),
    preference: bool = False,
    weight: float | None = None,
    entry: Mapping[str, Any] | None = None,
    force_local: bool = False,
    note: str = "",
) -> DatasetRef:
    """A dataset named by a string that may be a local path or a hub id.

    A name that exists on disk (working directory first, then the config's folder) is local;
    one that can only be a path (``./x``, ``data/a/b.jsonl``, a data-file suffix) is a local
    file that is missing; anything shaped like ``org/name`` is a hub id.
    """
    found, via, tried = reader.resolve_path(name)
    prov = reader.prov(key)
    common: dict[str, Any] = {
        "split": split,
        "subset": subset,
        "data_files": data_files,
        "format": fmt,
        "columns": columns,
        "preference": preference,
        "weight": weight,
        "entry": dict(entry or {}),
    }
    if found is not None:
        return DatasetRef(name, role, DatasetKind.LOCAL, prov, found, via, True, tried, note=note, **common)
    if force_local or looks_like_path(name):
        missing_note = note or f"not found (looked in {', '.join(str(p) for p in tried)})"
        return DatasetRef(
            name, role, DatasetKind.LOCAL, prov, tried[0], None, False, tried, note=missing_note, **common
        )
    if looks_like_hub_id(name):
        return DatasetRef(name, role, DatasetKind.HUB, prov, None, None, False, tried, hub_id=name, note=note, **common)
    return DatasetRef(name, role, DatasetKind.UNKNOWN, prov, None, None, False, tried, note=note, **common)


def effective_batch(reader: Reader, per_device: ConfigValue[int], accumulation: ConfigValue[int]) -> BatchPlan:
    """per-device x accumulation, when both are known (the device count is not)."""
    if per_device.value is not None and accumulation.value is not None:
        effective: ConfigValue[int] = ConfigValue(
            per_device.value * accumulation.value,
            Origin.DERIVED,
            per_device.sources + accumulation.sources,
            None,
            "per device x gradient accumulation; multiply by the number of data-parallel devices",
        )
    else:
        effective = ConfigValue(None, Origin.UNSET, per_device.sources + accumulation.sources)
    return BatchPlan(per_device=per_device, gradient_accumulation=accumulation, effective=effective)


def hf_best_model_problems(
    load_best: ConfigValue[bool],
    eval_strategy: ConfigValue[str],
    eval_steps: ConfigValue[float],
    save_strategy: ConfigValue[str],
    save_steps: ConfigValue[float],
) -> list[PlanProblem]:
    """The checks ``TrainingArguments`` makes when ``load_best_model_at_end`` is true."""
    problems: list[PlanProblem] = []
    if not load_best.value:
        return problems
    ev, sv = eval_strategy.value or "no", save_strategy.value or "steps"
    if sv == "best":
        return problems
    if ev != sv:
        problems.append(
            PlanProblem(
                f"load_best_model_at_end needs the save and eval strategies to match "
                f"(eval_strategy is {ev!r}, save_strategy is {sv!r}); transformers refuses this config",
                sources_of(load_best, eval_strategy, save_strategy),
            )
        )
    elif (
        ev == "steps"
        and eval_steps.value is not None
        and save_steps.value is not None
        and eval_steps.value >= 1
        and save_steps.value >= 1
        and save_steps.value % eval_steps.value != 0
    ):
        problems.append(
            PlanProblem(
                f"load_best_model_at_end needs save_steps ({_num(save_steps.value)}) to be a multiple of "
                f"eval_steps ({_num(eval_steps.value)}); transformers refuses this config",
                sources_of(save_steps, eval_steps, load_best),
            )
        )
    return problems


def early_stopping_callback_problems(
    load_best: ConfigValue[bool], eval_strategy: ConfigValue[str], patience: ConfigValue[int]
) -> list[PlanProblem]:
    """What ``EarlyStoppingCallback`` asserts at the start of training."""
    problems: list[PlanProblem] = []
    if not load_best.value:
        problems.append(
            PlanProblem(
                "early stopping needs load_best_model_at_end: true (EarlyStoppingCallback stops the run otherwise)",
                sources_of(patience, load_best),
            )
        )
    if (eval_strategy.value or "no") == "no":
        problems.append(
            PlanProblem(
                "early stopping needs periodic evaluation, but eval_strategy is 'no'",
                sources_of(patience, eval_strategy),
            )
        )
    return problems


def sources_of(*values: ConfigValue[Any]) -> tuple[Provenance, ...]:
    """The provenances of several values, in order, without repeats."""
    out: list[Provenance] = []
    for value in values:
        for prov in value.sources:
            if prov not in out:
                out.append(prov)
    return tuple(out)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def str_or_none(value: Any) -> str | None:
    if value is None or value is MISSING or isinstance(value, (dict, list)):
        return None
    text = to_str(value)
    return text or None


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None or (isinstance(value, (str, bytes)) and not value):
        return []
    return [value]


def columns_of(value: Any) -> tuple[tuple[str, str], ...]:
    """A column mapping (``{prompt: instruction}``) or a column list (``[chosen, rejected]``)."""
    if isinstance(value, Mapping):
        return tuple((str(k), str(v)) for k, v in value.items() if v is not None and not isinstance(v, (dict, list)))
    if isinstance(value, list):
        return tuple((str(v), str(v)) for v in value if v is not None and not isinstance(v, (dict, list)))
    return ()


def positive_steps(value: ConfigValue[int]) -> ConfigValue[int]:
    """``max_steps`` <= 0 (HF's -1) means "no step limit: train by epochs"."""
    if value.value is not None and value.value <= 0:
        return ConfigValue(None, Origin.DEFAULT, value.sources, value.raw, f"{value.raw}: the run is limited by epochs")
    return value
