"""A finished (or interrupted) training run's logs: readers into one model, for the FT8xx rules.

``load_run(path)`` reads an output directory or a log file (HF Trainer / TRL / Axolotl
``trainer_state.json``, LLaMA-Factory ``trainer_log.jsonl``, torchtune logs, OpenAI result CSVs)
into a :class:`Run`.
"""

from __future__ import annotations

from ftlint.runs.detect import is_run_dir, is_run_log
from ftlint.runs.model import Checkpoint, Point, Run, RunLogError
from ftlint.runs.readers import load_run

__all__ = ["Checkpoint", "Point", "Run", "RunLogError", "is_run_dir", "is_run_log", "load_run"]
