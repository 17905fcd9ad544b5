"""Matching a run to the training config given with ``--config``.

The run's own log carries some of its settings (HF ``trainer_state.json``: ``eval_steps``,
``save_steps``, ``logging_steps``, ``max_steps``, ``num_train_epochs``; LLaMA-Factory:
``total_steps``). When they agree with the config (and the frameworks fit), the config is taken as
the run's: the FT8xx rules then use its keys (``load_best_model_at_end``, ``save_total_limit``,
precision, early stopping) and quote them. When they disagree, the run came from another config,
and the config is not used for it; the report says which values differ.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ftlint.runs.model import Run
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import TrainingPlan


def _value(cv: Any) -> Any:
    return getattr(cv, "value", None) if cv is not None and getattr(cv, "from_config", False) else None


def _raw_number(plan: Any, key: str) -> float | None:
    raw = getattr(plan, "raw", None)
    v = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def compare(run: Run, plan: Any) -> tuple[list[str], list[str]]:
    """``(agreeing keys, differences as "key X in the run, Y in the config")``."""
    agree: list[str] = []
    differ: list[str] = []
    if isinstance(plan, TrainingPlan) and not adapter_for(plan).writes_run_log(run.framework):
        differ.append(f"the run is a {run.framework} log, the config a {plan.framework} config")
    pairs: list[tuple[str, Any, Any]] = [
        ("eval_steps", run.info.get("eval_steps"), _value(getattr(getattr(plan, "validation", None), "eval_steps", None))),
        ("save_steps", run.info.get("save_steps"),
         _value(getattr(getattr(plan, "early_stopping", None), "save_steps", None))),
        ("logging_steps", run.info.get("logging_steps"), _raw_number(plan, "logging_steps")),
        # with max_steps set, the Trainer records the epochs max_steps comes to, not num_train_epochs
        ("num_train_epochs", run.info.get("num_train_epochs"),
         None if _value(getattr(plan, "max_steps", None)) else _value(getattr(plan, "epochs", None))),
        ("max_steps", run.info.get("max_steps") if _value(getattr(plan, "max_steps", None)) else None,
         _value(getattr(plan, "max_steps", None))),
    ]
    for key, in_run, in_config in pairs:
        if in_run is None or in_config is None:
            continue
        try:
            a, b = float(in_run), float(in_config)
        except (TypeError, ValueError):
            continue
        if b < 1 and key in ("eval_steps", "save_steps", "logging_steps"):
            continue  # a ratio of the total steps (HF): not comparable without the total
        if b <= 0:
            continue
        if math.isclose(a, b, rel_tol=1e-6):
            agree.append(key)
        else:
            differ.append(f"{key} {in_run:g} in the run, {in_config:g} in the config")
    return agree, differ


def output_dir_matches(run: Run, plan: Any) -> bool | None:
    """Whether the run lives in the config's ``output_dir`` (by path, or by its last folder names:
    a run copied elsewhere keeps them); None when the config names none."""
    raw = getattr(plan, "raw", None)
    out = raw.get("output_dir") if isinstance(raw, dict) else None
    if not isinstance(out, str) or not out.strip():
        return None
    want = Path(out.strip())
    base = Path(getattr(plan, "path", ".")).parent
    for candidate in (want, base / want):
        try:
            if candidate.resolve() == run.root.resolve():
                return True
        except OSError:
            continue
    parts = [p for p in want.parts if p not in (".", "..", "/")]
    return bool(parts) and list(run.root.resolve().parts[-len(parts):]) == parts


def match_plan(run: Run, plan: Any, shown: str) -> None:
    """Attach ``plan`` to ``run`` when they agree; note what was compared either way."""
    agree, differ = compare(run, plan)
    out = output_dir_matches(run, plan)
    if out:
        agree.insert(0, "output_dir")
    if differ:
        run.plan = None
        run.plan_note = f"differs from {shown} ({'; '.join(differ)}): that config is not used for this run"
        return
    run.plan = plan
    if isinstance(plan, TrainingPlan):  # a trainer_state.json of an Axolotl config is an Axolotl run
        run.framework = plan.framework
    where = "" if out is not False else f"; not in its output_dir {plan.raw.get('output_dir')}"
    run.plan_note = (f"matches {shown}" + (f" ({', '.join(agree)})" if agree else " (nothing to compare)") + where)


__all__ = ["compare", "match_plan", "output_dir_matches"]
