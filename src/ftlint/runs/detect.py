"""Which files and directories are a training run's output, not data.

Used by the dataset loader (a directory holding ``trainer_state.json`` or ``trainer_log.jsonl`` is
not a dataset directory, and the staged-files pre-commit hook skips run logs) and by the run
readers. Cheap: file names, and at most the first line of a CSV or JSONL file. Imports nothing
from ftlint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: the logs a Hugging Face Trainer (and TRL, Axolotl, alignment-handbook) and LLaMA-Factory write
RUN_LOG_NAMES = frozenset({"trainer_state.json", "trainer_log.jsonl"})
#: the other files a trainer leaves in its output directory that look like data but are not
RUN_OUTPUT_NAMES = frozenset({"all_results.json", "train_results.json", "eval_results.json",
                              "predict_results.json", "adapter_config.json", "training_args.json",
                              "running_log.txt", "training_loss.png", "training_eval_loss.png"})
#: checkpoint folders: HF ``checkpoint-500``, torchtune ``epoch_2`` / ``step_1000``
CHECKPOINT_DIR = re.compile(r"^(?:checkpoint-(\d+)|epoch_(\d+)|step_(\d+))$")
#: an OpenAI fine-tuning job's result file starts with this header
OPENAI_HEADER = re.compile(r"^\ufeff?step,(?:.*,)?train_loss(?:,|\s*$)")
#: keys of one line of a per-step metrics JSONL (torchtune-style or LLaMA-Factory)
_STEP_KEYS = ("step", "global_step", "current_steps")
_LOSS_KEYS = ("loss", "train_loss", "eval_loss", "val_loss", "valid_loss")


def is_run_dir(path: Path) -> bool:
    """A trainer's output directory: it holds ``trainer_state.json`` or ``trainer_log.jsonl``."""
    try:
        return path.is_dir() and any((path / n).is_file() for n in RUN_LOG_NAMES)
    except OSError:
        return False


def _first_line(path: Path, limit: int = 4096) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    except OSError:
        return ""


def is_openai_result(path: Path) -> bool:
    """An OpenAI fine-tuning job's result CSV (``step,train_loss,train_accuracy,valid_loss,...``)."""
    return path.name.lower().endswith(".csv") and bool(OPENAI_HEADER.match(_first_line(path)))


def is_metrics_jsonl(path: Path) -> bool:
    """A per-step metrics JSONL: its first line is an object of numbers with a step and a loss."""
    if not path.name.lower().endswith((".jsonl", ".ndjson")):
        return False
    try:
        first = json.loads(_first_line(path) or "null")
    except ValueError:
        return False
    if not isinstance(first, dict) or not any(k in first for k in _STEP_KEYS):
        return False
    if not any(k in first for k in _LOSS_KEYS):
        return False
    return all(isinstance(v, (int, float)) or v is None or k in ("elapsed_time", "remaining_time")
               for k, v in first.items())


def is_run_log(path: Path) -> bool:
    """A training log (or a file of a trainer's output directory), never a dataset: for the
    dataset loader and the staged-files pre-commit hook."""
    name = path.name.lower()
    if name in RUN_LOG_NAMES:
        return True
    parent = path.parent
    if name in RUN_OUTPUT_NAMES and is_run_dir(parent):
        return True
    if CHECKPOINT_DIR.match(parent.name) or is_run_dir(parent):
        return True
    return is_openai_result(path) or is_metrics_jsonl(path)


__all__ = ["CHECKPOINT_DIR", "RUN_LOG_NAMES", "is_metrics_jsonl", "is_openai_result", "is_run_dir", "is_run_log"]
