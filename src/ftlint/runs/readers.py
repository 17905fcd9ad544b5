"""Readers for the logs trainers write, each into one :class:`~ftlint.runs.model.Run`.

- Hugging Face Trainer ``trainer_state.json`` (``log_history``, ``best_model_checkpoint``,
  ``best_metric``, ``eval_steps``/``save_steps``/``max_steps``, the ``checkpoint-*`` folders beside
  it). TRL, Axolotl and alignment-handbook runs leave the same file.
- LLaMA-Factory ``trainer_log.jsonl`` (one JSON object per logging step: ``current_steps``,
  ``total_steps``, ``loss``, ``eval_loss``, ``lr``, ``epoch``); its output directory also holds a
  ``trainer_state.json``, which is read when present.
- torchtune's ``DiskLogger`` text file (``logs/log_<time>.txt``: ``Step 12 | loss:1.23 lr:2e-05
  grad_norm:0.8``, ``Step 100 | val_loss:1.1``) and per-step metrics JSONL (``{"step": 12, "loss":
  1.23, "lr": 2e-05}``; also what a custom logger writes).
- OpenAI fine-tuning job result CSVs (``step,train_loss,train_accuracy,valid_loss,
  valid_mean_token_accuracy[,full_valid_loss,full_valid_mean_token_accuracy]``).

A log that cannot be used at all raises :class:`RunLogError` (a located one-line message, exit 2).
A log that is mostly readable is read, and its bad lines are kept in ``Run.bad_lines`` (FT810
reports them): a ``trainer_state.json`` cut off mid-write keeps the ``log_history`` entries before
the cut, a JSONL or CSV keeps its good lines.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftlint.runs.detect import CHECKPOINT_DIR, RUN_LOG_NAMES, is_metrics_jsonl, is_openai_result
from ftlint.runs.model import (
    EVAL_LOSS,
    GRAD_NORM,
    LEARNING_RATE,
    TRAIN_LOSS,
    BadLine,
    Checkpoint,
    Point,
    Run,
    RunLogError,
)

#: more bad lines than this share of the log: it is not a usable log (exit 2)
MAX_BAD_SHARE = 0.5
#: a log larger than this is refused (a run log is kilobytes to a few megabytes)
MAX_BYTES = 512 * 1024 * 1024

#: LLaMA-Factory ``trainer_log.jsonl`` and generic metrics keys -> series names
_KEYS = {
    "loss": TRAIN_LOSS, "train_loss": TRAIN_LOSS,
    "eval_loss": EVAL_LOSS, "val_loss": EVAL_LOSS, "valid_loss": EVAL_LOSS, "validation_loss": EVAL_LOSS,
    "lr": LEARNING_RATE, "learning_rate": LEARNING_RATE,
    "grad_norm": GRAD_NORM,
}
#: keys that are bookkeeping, not series
_BOOKKEEPING = frozenset({"step", "global_step", "current_steps", "total_steps", "epoch", "percentage",
                          "elapsed_time", "remaining_time", "throughput", "total_tokens", "total_flos",
                          "train_runtime", "train_samples_per_second", "train_steps_per_second"})


def _shown(path: Path) -> str:
    from ftlint.data.load import display_path

    return display_path(path)


def _number(value: Any) -> float | None:
    """A logged number (NaN and inf kept: they are what divergence looks like); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        s = value.strip().lower()
        m = re.fullmatch(r"tensor\(\s*([^,)\s]+).*\)", s)
        if m:
            s = m.group(1)
        if s in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            return float(s.replace("infinity", "inf"))
        try:
            return float(s)
        except ValueError:
            return None
    return None


def _sub(d: dict[str, Any], key: str) -> dict[str, Any]:
    """``d[key]`` where it is a mapping, else an empty one."""
    v = d.get(key)
    return v if isinstance(v, dict) else {}


def _int(value: Any) -> int | None:
    v = _number(value)
    return int(v) if v is not None and math.isfinite(v) else None


def _read_text(path: Path, shown: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RunLogError(f"training log is {size / 1e6:,.0f} MB, larger than a run log can be", shown)
        data = path.read_bytes()
    except OSError as e:
        raise RunLogError(f"cannot read the training log: {e.strerror or e}", shown) from None
    if b"\x00" in data[:4096]:
        raise RunLogError("not a text file (a binary file given as a training log)", shown)
    return data.decode("utf-8", "replace")


class _Lines:
    """Offsets of line starts, for the 1-based line of a character offset."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _add(series: dict[str, list[Point]], name: str, step: int, value: float, epoch: float | None,
         line: int | None) -> None:
    series.setdefault(name, []).append(Point(step, value, epoch, line))


def _sort(series: dict[str, list[Point]]) -> dict[str, list[Point]]:
    return {k: sorted(v, key=lambda p: p.step) for k, v in sorted(series.items()) if v}


# -- checkpoints --------------------------------------------------------------------------------------

def list_checkpoints(root: Path) -> list[Checkpoint] | None:
    """The checkpoint folders in ``root`` (HF ``checkpoint-N``, torchtune ``epoch_N`` / ``step_N``),
    by step; None when there are none to see (the log may have been copied on its own)."""
    found: list[Checkpoint] = []
    try:
        children = list(root.iterdir())
    except OSError:
        return None
    for c in children:
        m = CHECKPOINT_DIR.match(c.name)
        if not m or not c.is_dir():
            continue
        if m.group(1) is not None:
            found.append(Checkpoint(int(m.group(1)), c.name))
        elif m.group(2) is not None:
            found.append(Checkpoint(None, c.name, epoch=int(m.group(2))))
        else:
            found.append(Checkpoint(int(m.group(3)), c.name))
    if not found:
        return None
    return sorted(found, key=lambda c: (c.step if c.step is not None else -1, c.epoch or 0, c.name))


def _root_of(path: Path) -> Path:
    parent = path.parent
    if CHECKPOINT_DIR.match(parent.name) or parent.name == "logs":
        return parent.parent
    return parent


# -- HF Trainer trainer_state.json --------------------------------------------------------------------

_HEADER_SCALAR = re.compile(r'"(\w+)"\s*:\s*(null|true|false|-?[0-9][0-9.eE+-]*|"(?:[^"\\]|\\.)*")')


def _entries(text: str, start: int) -> tuple[list[tuple[int, dict[str, Any]]], tuple[int, str] | None]:
    """The objects of the JSON array that opens at ``start`` (``[``), each with its offset; and
    where and why reading stopped early (a file cut off mid-write), or None."""
    dec = json.JSONDecoder()
    out: list[tuple[int, dict[str, Any]]] = []
    i = start + 1
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n:
            return out, (n, "the file ends inside log_history (cut off mid-write?)")
        if text[i] == "]":
            return out, None
        try:
            obj, end = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            return out, (e.pos, f"not valid JSON: {e.msg}")
        if isinstance(obj, dict):
            out.append((i, obj))
        i = end


#: with several eval datasets the Trainer logs ``eval_<name>_loss``: the one read as the eval loss
_EVAL_NAME_ORDER = ("validation", "valid", "val", "eval", "dev", "test")


def _named_eval_loss(series: dict[str, list[Point]]) -> str | None:
    """With no ``eval_loss`` but ``eval_<name>_loss`` series (an ``eval_dataset`` dict), the one
    that is the validation set becomes ``eval_loss``; returns its name."""
    if EVAL_LOSS in series:
        return None
    named = sorted(k for k in series if re.fullmatch(r"eval_(.+)_loss", k) and not k.startswith("eval_rewards"))
    if not named:
        return None

    def rank(k: str) -> tuple[int, str]:
        name = k[len("eval_"):-len("_loss")].lower()
        return next((i for i, w in enumerate(_EVAL_NAME_ORDER) if w in name), len(_EVAL_NAME_ORDER)), k

    chosen = min(named, key=rank)
    series[EVAL_LOSS] = series[chosen]
    return chosen


def read_trainer_state(path: Path, shown: str | None = None) -> Run:
    shown = shown or _shown(path)
    text = _read_text(path, shown)
    lines = _Lines(text)
    bad: list[BadLine] = []
    top: dict[str, Any]
    try:
        top = json.loads(text)
        if not isinstance(top, dict):
            raise RunLogError("not a Trainer state: expected a JSON object with log_history", shown)
    except json.JSONDecodeError as e:
        top = {}
        head = text[: text.find('"log_history"')] if '"log_history"' in text else text[: e.pos]
        for m in _HEADER_SCALAR.finditer(head):
            try:
                top[m.group(1)] = json.loads(m.group(2))
            except ValueError:
                continue
        if '"log_history"' not in text:
            raise RunLogError(f"not valid JSON ({e.msg}, column {e.colno}) and no log_history to read; is the file "
                              "complete?", shown, e.lineno) from None
        bad.append(BadLine(e.lineno, f"not valid JSON ({e.msg}): the file is cut off or damaged here; the "
                                     "log_history entries before it were read", last=True))
    if not bad and "log_history" in top and not isinstance(top["log_history"], list):
        raise RunLogError(f"log_history is a JSON {type(top['log_history']).__name__}, not a list of log entries",
                          shown)
    key = text.find('"log_history"')
    if key < 0 or ("log_history" not in top and not bad):
        raise RunLogError("not a Trainer state: no log_history (expected the trainer_state.json a Hugging Face "
                          "Trainer writes)", shown)
    bracket = text.find("[", key)
    entries, stop = _entries(text, bracket) if bracket >= 0 else ([], (key, "log_history is not a list"))
    if not bad and stop is not None:  # the whole file parsed but the scan did not: no lines then
        entries = [(-1, e) for e in top.get("log_history") or [] if isinstance(e, dict)]
    if bad and stop is not None and stop[0] < len(text):
        bad[-1] = BadLine(lines.line(stop[0]), bad[-1].reason, last=True)
    if bad and not entries:
        raise RunLogError("not valid JSON: the file is cut off or damaged before its first log_history entry; "
                          "no curve to read", shown, bad[0].line)
    series: dict[str, list[Point]] = {}
    for offset, entry in entries:
        step = _int(entry.get("step"))
        if step is None or "train_runtime" in entry:  # the end-of-training summary: averages, not points
            continue
        epoch = _number(entry.get("epoch"))
        line = lines.line(offset) if offset >= 0 else None
        for k, v in entry.items():
            if k in _BOOKKEEPING:
                continue
            value = _number(v)
            if value is None:
                continue
            name = {"loss": TRAIN_LOSS, "learning_rate": LEARNING_RATE, "grad_norm": GRAD_NORM}.get(k)
            if name is None:
                name = k if k.startswith("eval_") else f"train_{k}"
            _add(series, name, step, value, epoch, line)
    if not series:
        raise RunLogError("log_history has no logged step yet (the run stopped before its first log)", shown)
    eval_source = _named_eval_loss(series)
    root = _root_of(path)
    run = Run(path=path, shown=shown, root=root, framework="hf", source="HF Trainer trainer_state.json",
              series=_sort(series), bad_lines=bad, records=len(entries))
    info = run.info
    if eval_source:
        info["eval_source"] = eval_source
    for k in ("eval_steps", "save_steps", "logging_steps", "max_steps", "num_train_epochs", "global_step",
              "train_batch_size"):
        v = _int(top.get(k)) if k != "num_train_epochs" else _number(top.get(k))
        if v is not None and v > 0:
            info[k] = v
    callbacks = _sub(top, "stateful_callbacks")
    args = _sub(_sub(callbacks, "TrainerControl"), "args")
    if isinstance(args.get("should_training_stop"), bool):
        info["should_training_stop"] = args["should_training_stop"]
    es = callbacks.get("EarlyStoppingCallback")
    if isinstance(es, list):
        es = es[0] if es else None
    if isinstance(es, dict):
        patience = _int(_sub(es, "args").get("early_stopping_patience"))
        if patience is not None:
            info["early_stopping_patience"] = patience
        counter = _int(_sub(es, "attributes").get("early_stopping_patience_counter"))
        if counter is not None:
            info["early_stopping_counter"] = counter
    best = top.get("best_model_checkpoint")
    if isinstance(best, str) and best:
        run.best_checkpoint = best
        ckpt = re.search(r"checkpoint-(\d+)/?$", best)
        run.best_step = int(ckpt.group(1)) if ckpt else None
    run.best_metric = _number(top.get("best_metric"))
    if any(k.startswith(("train_rewards/", "eval_rewards/")) for k in run.series):
        info["objective"] = "dpo"
    run.checkpoints = list_checkpoints(root)
    if (root / "trainer_log.jsonl").is_file():
        run.framework = "llamafactory"
        run.source = "LLaMA-Factory trainer_state.json"
    return run


# -- JSONL: LLaMA-Factory trainer_log.jsonl, per-step metrics ----------------------------------------

def _jsonl(path: Path, shown: str) -> tuple[list[tuple[int, dict[str, Any]]], list[BadLine]]:
    text = _read_text(path, shown)
    raw = text.split("\n")
    while raw and not raw[-1].strip():
        raw.pop()
    good: list[tuple[int, dict[str, Any]]] = []
    bad: list[BadLine] = []
    for n, line in enumerate(raw, 1):
        s = line.strip()
        if not s:
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            bad.append(BadLine(n, f"not valid JSON ({e.msg})", last=n == len(raw)))
            continue
        if not isinstance(obj, dict):
            bad.append(BadLine(n, f"a JSON {type(obj).__name__}, not an object", last=n == len(raw)))
            continue
        good.append((n, obj))
    _check_bad(shown, len(good), bad)
    return good, bad


def _check_bad(shown: str, good: int, bad: list[BadLine]) -> None:
    if not good:
        where = bad[0].line if bad else None
        why = f": {bad[0].reason}" if bad else ""
        raise RunLogError(f"no readable log line{why}" if bad else "the training log is empty", shown, where)
    if bad and len(bad) > MAX_BAD_SHARE * (good + len(bad)):
        raise RunLogError(f"{len(bad)} of {good + len(bad)} lines cannot be read (first: {bad[0].reason}); "
                          "is this a training log?", shown, bad[0].line)


def _series_of(good: list[tuple[int, dict[str, Any]]], bad: list[BadLine], step_of: Callable[[dict[str, Any]], Any],
               missing: str, name_of: Callable[[str], str]) -> dict[str, list[Point]]:
    """The numeric values of JSONL log records, by series (``name_of(key)``), at each record's step
    (``step_of(record)``); a record without a step is a bad line (``missing``), bookkeeping keys
    and values that are not numbers are passed over."""
    series: dict[str, list[Point]] = {}
    for n, obj in good:
        step = _int(step_of(obj))
        if step is None:
            bad.append(BadLine(n, missing))
            continue
        epoch = _number(obj.get("epoch"))
        for k, v in obj.items():
            if k in _BOOKKEEPING:
                continue
            value = _number(v)
            if value is not None:
                _add(series, name_of(k), step, value, epoch, n)
    return series


def read_llamafactory_log(path: Path, shown: str | None = None) -> Run:
    shown = shown or _shown(path)
    good, bad = _jsonl(path, shown)
    series = _series_of(good, bad, lambda obj: obj.get("current_steps"), "no current_steps", lambda k: (
        _KEYS.get(k) or {"accuracy": "train_rewards/accuracies", "reward": "train_reward"}.get(k)
        or (k if k.startswith("eval_") else f"train_{k}")))
    total = None
    for _, obj in good:
        if _int(obj.get("current_steps")) is not None:
            total = _int(obj.get("total_steps")) or total
    _check_bad(shown, len(good) - sum(1 for b in bad if b.reason == "no current_steps"), bad)
    root = _root_of(path)
    run = Run(path=path, shown=shown, root=root, framework="llamafactory", source="LLaMA-Factory trainer_log.jsonl",
              series=_sort(series), bad_lines=sorted(bad, key=lambda b: b.line or 0), records=len(good))
    if total:
        run.info["max_steps"] = total
    last = max((p.step for pts in series.values() for p in pts), default=None)
    steps = [_int(o.get("current_steps")) for _, o in good]
    if steps and steps[-1] is not None:
        run.info["global_step"] = max(s for s in steps if s is not None)
    if last is None and "global_step" not in run.info:
        raise RunLogError("no loss in the log: not a LLaMA-Factory trainer_log.jsonl?", shown)
    run.checkpoints = list_checkpoints(root)
    _best_from_checkpoints(run)
    return run


def _best_from_checkpoints(run: Run) -> None:
    """LLaMA-Factory's own log has no best checkpoint: take it from the newest checkpoint's state."""
    for c in reversed(run.checkpoints or []):
        state = run.root / c.name / "trainer_state.json"
        if not state.is_file():
            continue
        try:
            top = json.loads(state.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            return
        best = top.get("best_model_checkpoint") if isinstance(top, dict) else None
        if isinstance(best, str) and best:
            run.best_checkpoint = best
            m = re.search(r"checkpoint-(\d+)/?$", best)
            run.best_step = int(m.group(1)) if m else None
            run.best_metric = _number(top.get("best_metric"))
        for k in ("eval_steps", "save_steps", "logging_steps"):
            v = _int(top.get(k))
            if v:
                run.info.setdefault(k, v)
        return


def read_metrics_jsonl(path: Path, shown: str | None = None, framework: str = "torchtune") -> Run:
    shown = shown or _shown(path)
    good, bad = _jsonl(path, shown)
    series = _series_of(good, bad, lambda obj: obj.get("step", obj.get("global_step")), "no step", lambda k: (
        _KEYS.get(k) or (k if k.startswith("eval_") else "eval_" + k[4:] if k.startswith("val_") else f"train_{k}")))
    _check_bad(shown, len(good), bad)
    if TRAIN_LOSS not in series and EVAL_LOSS not in series:
        raise RunLogError("no loss in the log (expected loss / val_loss per step)", shown)
    root = _root_of(path)
    return Run(path=path, shown=shown, root=root, framework=framework, source="metrics JSONL",
               series=_sort(series), bad_lines=sorted(bad, key=lambda b: b.line or 0), records=len(good),
               checkpoints=list_checkpoints(root))


# -- torchtune DiskLogger text ------------------------------------------------------------------------

_TT_LINE = re.compile(r"^Step\s+(\d+)\s*\|\s*(.*)$")
_TT_PAIR = re.compile(r"([A-Za-z_][\w/.\-]*):\s*(tensor\([^)]*\)|\S+)")


def read_torchtune_log(path: Path, shown: str | None = None) -> Run:
    shown = shown or _shown(path)
    text = _read_text(path, shown)
    raw = text.split("\n")
    while raw and not raw[-1].strip():
        raw.pop()
    series: dict[str, list[Point]] = {}
    bad: list[BadLine] = []
    good = 0
    for n, line in enumerate(raw, 1):
        s = line.strip()
        if not s:
            continue
        m = _TT_LINE.match(s)
        pairs = _TT_PAIR.findall(m.group(2)) if m else []
        values = [(k, x) for k, v in pairs if (x := _number(v)) is not None]
        if not m or not pairs or len(values) < len(pairs):
            bad.append(BadLine(n, "not a `Step N | name:value ...` line" if not (m and pairs)
                               else "a value that is not a number", last=n == len(raw)))
            continue
        good += 1
        step = int(m.group(1))
        for k, v in values:
            name = _KEYS.get(k) or ("eval_" + k[4:] if k.startswith("val_") else f"train_{k}")
            _add(series, name, step, float(v), None, n)
    _check_bad(shown, good, bad)
    if TRAIN_LOSS not in series and EVAL_LOSS not in series:
        raise RunLogError("no loss in the log (expected `Step N | loss:...` lines)", shown)
    root = _root_of(path)
    return Run(path=path, shown=shown, root=root, framework="torchtune", source="torchtune DiskLogger log",
               series=_sort(series), bad_lines=bad, records=good, checkpoints=list_checkpoints(root))


# -- OpenAI job result CSV ------------------------------------------------------------------------------

#: OpenAI columns -> series. ``valid_loss`` is measured on one validation batch per step (noisy);
#: ``full_valid_loss`` on the whole validation file at the end of each epoch
_OPENAI = {"train_loss": TRAIN_LOSS, "train_accuracy": "train_accuracy",
           "train_mean_token_accuracy": "train_mean_token_accuracy", "valid_loss": "valid_batch_loss",
           "valid_mean_token_accuracy": "valid_batch_mean_token_accuracy", "full_valid_loss": "full_valid_loss",
           "full_valid_mean_token_accuracy": "full_valid_mean_token_accuracy", "train_mean_reward": "train_reward",
           "full_valid_mean_reward": "full_valid_reward"}
#: below this many per-epoch full validations, the per-batch ``valid_loss`` is the eval curve
_MIN_FULL_VALID = 3
#: per-batch validation losses are averaged into this many points
_BATCH_EVAL_POINTS = 20


def read_openai_result(path: Path, shown: str | None = None) -> Run:
    from ftlint.runs.model import downsample

    shown = shown or _shown(path)
    text = _read_text(path, shown).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RunLogError("the result file is empty", shown) from None
    except csv.Error as e:
        raise RunLogError(f"not a CSV file: {e}", shown, 1) from None
    if "step" not in header or "train_loss" not in header:
        raise RunLogError("not an OpenAI fine-tuning result file: the header has no step and train_loss columns",
                          shown, 1)
    series: dict[str, list[Point]] = {}
    bad: list[BadLine] = []
    good = 0
    rows = []
    try:
        rows = list(enumerate(reader, 2))
    except csv.Error as e:
        bad.append(BadLine(reader.line_num, f"not valid CSV: {e}", last=True))
    last_line = rows[-1][0] if rows else 1
    for n, row in rows:
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            bad.append(BadLine(n, f"{len(row)} fields, the header has {len(header)}", last=n == last_line))
            continue
        cells = dict(zip(header, row))
        step = _int(cells.get("step"))
        if step is None:
            bad.append(BadLine(n, f"step {cells.get('step')!r} is not a number", last=n == last_line))
            continue
        good += 1
        for col, name in _OPENAI.items():
            cell = (cells.get(col) or "").strip()
            if not cell:
                continue
            value = _number(cell)
            if value is None:
                continue
            _add(series, name, step, value, None, n)
    _check_bad(shown, good, bad)
    series = _sort(series)
    full = series.get("full_valid_loss", [])
    if len(full) >= _MIN_FULL_VALID:
        series[EVAL_LOSS] = full
        if "full_valid_mean_token_accuracy" in series:
            series["eval_mean_token_accuracy"] = series["full_valid_mean_token_accuracy"]
        if "full_valid_reward" in series:
            series["eval_reward"] = series["full_valid_reward"]
        source_eval = "full_valid_loss"
    elif "valid_batch_loss" in series:
        series[EVAL_LOSS] = downsample(series["valid_batch_loss"], _BATCH_EVAL_POINTS)
        if "valid_batch_mean_token_accuracy" in series:
            series["eval_mean_token_accuracy"] = downsample(series["valid_batch_mean_token_accuracy"],
                                                            _BATCH_EVAL_POINTS)
        source_eval = "valid_loss (one validation batch per step, averaged)"
    else:
        source_eval = None
    root = path.parent
    run = Run(path=path, shown=shown, root=root, framework="openai", source="OpenAI fine-tuning result CSV",
              series=series, bad_lines=bad, records=good, checkpoints=None)
    if source_eval:
        run.info["eval_source"] = source_eval
    return run


# -- finding the log --------------------------------------------------------------------------------

def _newest_torchtune_log(folder: Path) -> Path | None:
    logs = sorted(p for p in folder.glob("log_*.txt") if p.is_file())
    return logs[-1] if logs else None


def _latest_checkpoint_state(folder: Path) -> Path | None:
    best: tuple[int, Path] | None = None
    for c in folder.glob("checkpoint-*"):
        m = CHECKPOINT_DIR.match(c.name)
        state = c / "trainer_state.json"
        if m and m.group(1) and state.is_file():
            n = int(m.group(1))
            if best is None or n > best[0]:
                best = (n, state)
    return best[1] if best else None


def find_log(path: Path) -> Path:
    """The log file a run directory holds (or ``path`` itself when it is a file)."""
    if path.is_file():
        return path
    for name in ("trainer_state.json", "trainer_log.jsonl"):
        if (path / name).is_file():
            return path / name
    state = _latest_checkpoint_state(path)
    if state is not None:
        return state
    for folder in (path / "logs", path):
        log = _newest_torchtune_log(folder) if folder.is_dir() else None
        if log is not None:
            return log
    candidates = sorted(p for p in path.iterdir() if p.is_file() and (is_openai_result(p) or is_metrics_jsonl(p)))
    if candidates:
        return candidates[0]
    raise RunLogError("no training log here: expected trainer_state.json (HF Trainer, TRL, Axolotl), "
                      "trainer_log.jsonl (LLaMA-Factory), checkpoint-*/trainer_state.json, a torchtune "
                      "logs/log_*.txt, or an OpenAI result CSV", _shown(path))


def load_run(path: str | Path, framework: str | None = None) -> Run:
    """Read the run at ``path`` (an output directory or a log file) into a :class:`Run`."""
    p = Path(path)
    if not p.exists():
        from ftlint.data.load import missing_reason

        raise RunLogError(missing_reason(p), str(path))
    if not (p.is_file() or p.is_dir()):
        raise RunLogError("not a regular file or directory", str(path))
    log = find_log(p)
    shown = _shown(log)
    name = log.name.lower()
    if name.endswith(".json"):
        run = read_trainer_state(log, shown)
    elif name == "trainer_log.jsonl" or (name.endswith((".jsonl", ".ndjson")) and _first_key(log, "current_steps")):
        run = read_llamafactory_log(log, shown)
        state = log.parent / "trainer_state.json"
        if state.is_file() and state != log:
            _merge_state(run, state)
    elif name.endswith((".jsonl", ".ndjson")):
        run = read_metrics_jsonl(log, shown)
    elif name.endswith((".csv", ".tsv")):
        run = read_openai_result(log, shown)
    elif name.endswith((".txt", ".log")):
        run = read_torchtune_log(log, shown)
    else:
        raise RunLogError("not a training log ftlint reads: expected trainer_state.json, trainer_log.jsonl, a "
                          "torchtune log_*.txt or metrics .jsonl, or an OpenAI result .csv", shown)
    if framework:
        run.framework = framework
    return run


def _first_key(path: Path, key: str) -> bool:
    from ftlint.runs.detect import _first_line

    try:
        first = json.loads(_first_line(path) or "null")
    except ValueError:
        return False
    return isinstance(first, dict) and key in first


def _merge_state(run: Run, state: Path) -> None:
    """A LLaMA-Factory output directory's trainer_state.json: the best checkpoint and the steps."""
    try:
        other = read_trainer_state(state)
    except RunLogError:
        return
    if other.best_checkpoint:
        run.best_checkpoint, run.best_step, run.best_metric = other.best_checkpoint, other.best_step, other.best_metric
    for k, v in other.info.items():
        run.info.setdefault(k, v)


__all__ = ["RUN_LOG_NAMES", "find_log", "list_checkpoints", "load_run", "read_llamafactory_log",
           "read_metrics_jsonl", "read_openai_result", "read_torchtune_log", "read_trainer_state"]
