"""Reading a run's curves: the judgements behind FT801-FT810, as pure functions of a Run.

Each function takes the thresholds as arguments (the rules pass their options) and returns a small
result, or None when the curves do not show the thing. The rules turn results into messages.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from ftlint.runs.model import (
    GRAD_NORM,
    LEARNING_RATE,
    Point,
    Run,
    downsample,
    finite,
    median,
    metric_direction,
    window_mean,
)

#: dense training-loss logs (OpenAI writes one loss per step) are averaged into this many points
#: before looking for spikes, so one noisy batch is not a spike
TRAIN_POINTS = 200
LN2 = math.log(2)


def evals(run: Run) -> list[Point]:
    """The finite evaluation losses, by step."""
    return finite(run.eval_loss)


def eval_interval(run: Run) -> int:
    """The usual number of steps between evaluations (the log's ``eval_steps``, else the median gap)."""
    pts = evals(run)
    gaps = [b.step - a.step for a, b in itertools.pairwise(pts) if b.step > a.step]
    if gaps:
        return max(int(median([float(g) for g in gaps])), 1)
    v = run.info.get("eval_steps")
    if isinstance(v, int) and v > 0:
        return v
    last = run.last_step or 1
    return max(last // 10, 1)


def train_at(run: Run, step: int, span: int) -> float | None:
    """The training loss around ``step``: the mean of the values logged in ``(step - span, step]``,
    else the nearest value logged at or before ``step``."""
    pts = finite(run.train_loss)
    v = window_mean(pts, step - span, step)
    if v is not None:
        return v
    before = [p for p in pts if p.step <= step]
    if before:
        return before[-1].value
    return pts[0].value if pts else None


def train_end(run: Run, span: int) -> float | None:
    pts = finite(run.train_loss)
    if not pts:
        return None
    return window_mean(pts, pts[-1].step - span, pts[-1].step)


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000 or a < 0.001:
        return f"{v:.2e}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 10:
        return f"{v:.2f}"
    return f"{v:.4g}" if a < 1 else f"{v:.3f}"


fmt = _fmt


# -- divergence (FT804) ---------------------------------------------------------------------------------

@dataclass
class Divergence:
    step: int  # the first step that shows it
    what: list[str] = field(default_factory=list)  # one phrase per kind of evidence
    line: int | None = None
    key: str = "train_loss"
    spike_steps: list[int] = field(default_factory=list)
    nonfinite_steps: list[int] = field(default_factory=list)
    peak_loss: float | None = None
    grad_norm_max: float | None = None
    grad_norm_median: float | None = None
    lr_at: float | None = None
    lr_peak: float | None = None
    lr_peak_step: int | None = None
    good_step: int | None = None  # the best evaluation before it
    good_loss: float | None = None


#: a spike must also stand this many (MAD-estimated) standard deviations above the running median,
#: so the batch-to-batch noise of a per-step loss (OpenAI logs one loss per step) is not a spike
NOISE_SIGMAS = 5.0


def _running_spikes(pts: list[Point], factor: float, min_abs: float, window: int,
                    min_run: int) -> list[tuple[Point, float]]:
    """Points above ``factor`` x the running median of the previous ``window`` finite points (at
    least ``min_abs`` and ``NOISE_SIGMAS`` robust standard deviations above it), in runs of at
    least ``min_run`` in a row: ``(point, median)``."""
    out: list[tuple[Point, float]] = []
    current: list[tuple[Point, float]] = []
    history: list[float] = []
    for p in pts:
        if not p.finite:
            continue
        if len(history) >= 3:
            recent = history[-window:]
            med = median(recent)
            wider = history[-3 * window:]
            noise = 1.4826 * median([abs(v - median(wider)) for v in wider])
            if p.value > factor * med and p.value - med >= max(min_abs, NOISE_SIGMAS * noise):
                current.append((p, med))
                continue  # a spike does not enter the baseline it is judged against
        if len(current) >= min_run:
            out.extend(current)
        current = []
        history.append(p.value)
    if len(current) >= min_run:
        out.extend(current)
    return out


def divergence(run: Run, spike_factor: float = 2.0, min_spike: float = 0.25, window: int = 10,
               grad_norm_factor: float = 1000.0, min_run: int = 2) -> Divergence | None:
    train = run.train_loss
    dense = downsample(train, TRAIN_POINTS) if len(train) > TRAIN_POINTS else train
    found: list[tuple[int, str, int | None, str]] = []  # (step, phrase, line, key)
    nonfinite = [p for p in train if not p.finite] + [p for p in run.eval_loss if not p.finite]
    if nonfinite:
        p = min(nonfinite, key=lambda q: q.step)
        which = "training" if p in train else "evaluation"
        found.append((p.step, f"the {which} loss is {p.value} at step {p.step}", p.line,
                      "train_loss" if which == "training" else "eval_loss"))
    spikes = _running_spikes(dense, spike_factor, min_spike, window, min_run)
    if spikes:
        p, med = spikes[0]
        found.append((p.step, f"the training loss jumps to {_fmt(p.value)} at step {p.step}, "
                              f"{p.value / med:.1f}x its running median {_fmt(med)}", p.line, "train_loss"))
    ev = evals(run)
    for i in range(1, len(ev)):
        best = min(q.value for q in ev[:i])
        if ev[i].value > spike_factor * best and ev[i].value - best >= min_spike:
            found.append((ev[i].step, f"the eval loss jumps to {_fmt(ev[i].value)} at step {ev[i].step} "
                                      f"(best before: {_fmt(best)})", ev[i].line, "eval_loss"))
            break
    grads = run.get(GRAD_NORM)
    gn_bad = [p for p in grads if not p.finite]
    gspikes = _running_spikes(grads, grad_norm_factor, 0.0, window, min_run)
    finite_grads = [p.value for p in grads if p.finite]
    if found or len(gn_bad) >= min_run or gspikes:
        if gspikes and not found:
            p, med = gspikes[0]
            found.append((p.step, f"the gradient norm blows up to {_fmt(p.value)} at step {p.step} "
                                  f"({p.value / med:,.0f}x its running median)", p.line, "grad_norm"))
        elif len(gn_bad) >= min_run and not found:
            found.append((gn_bad[0].step, f"the gradient norm is {gn_bad[0].value} at step {gn_bad[0].step}",
                          gn_bad[0].line, "grad_norm"))
    if not found:
        return None
    step, _, line, key = min(found, key=lambda f: f[0])
    d = Divergence(step=step, what=[f[1] for f in sorted(found)], line=line, key=key)
    d.spike_steps = [p.step for p, _ in spikes]
    d.nonfinite_steps = sorted({p.step for p in nonfinite})
    fin = [p.value for p in train if p.finite]
    d.peak_loss = max(fin) if fin else None
    if finite_grads:
        d.grad_norm_max = max(finite_grads)
        usual = [p.value for p in grads if p.finite and p.step < step] or finite_grads
        d.grad_norm_median = median(usual)
        if d.grad_norm_median > 0 and d.grad_norm_max > grad_norm_factor / 10 * d.grad_norm_median:
            nan = f", {gn_bad[0].value} at step {gn_bad[0].step}" if gn_bad else ""
            d.what.append(f"the gradient norm reaches {_fmt(d.grad_norm_max)} "
                          f"(median before: {_fmt(d.grad_norm_median)}{nan})")
    lrs = finite(run.get(LEARNING_RATE))
    if lrs:
        at = [p for p in lrs if p.step <= step]
        d.lr_at = (at[-1] if at else lrs[0]).value
        peak = max(lrs, key=lambda p: (p.value, -p.step))
        d.lr_peak, d.lr_peak_step = peak.value, peak.step
    before = [p for p in ev if p.step < step]
    if before:
        good = min(before, key=lambda p: (p.value, p.step))
        d.good_step, d.good_loss = good.step, good.value
    return d


# -- overfitting (FT801) --------------------------------------------------------------------------------

@dataclass
class Overfit:
    minimum: Point
    last: Point
    rise: float  # of the last evaluation over the minimum, relative
    max_rise: float
    held: int  # evaluations at the end that stay above the noise band
    after: int  # evaluations after the minimum
    train_at_min: float
    train_last: float
    patience: int | None = None  # an early-stopping patience that would have kept the minimum
    stop_step: int | None = None  # where that patience would have stopped the run


def early_stop(values: list[float], best_index: int, max_patience: int = 5) -> tuple[int, int] | None:
    """The smallest patience from 2 up (else 1) at which patience-based early stopping on ``values``
    (stop after that many evaluations without a new best, as HF's ``EarlyStoppingCallback``) stops
    the run and keeps ``best_index``: ``(patience, index where it stops)``."""
    order = [*range(2, max_patience + 1), 1]
    for patience in order:
        best, best_i, waited = math.inf, -1, 0
        for i, v in enumerate(values):
            if v < best:
                best, best_i, waited = v, i, 0
            else:
                waited += 1
                if waited >= patience:
                    if best_i == best_index:
                        return patience, i
                    break
    return None


def overfitting(run: Run, min_rise: float = 0.01, min_held: int = 3, min_evaluations: int = 4,
                min_train_fall: float = 0.01) -> Overfit | None:
    ev = evals(run)
    if len(ev) < min_evaluations:
        return None
    values = [p.value for p in ev]
    i_min = min(range(len(values)), key=lambda i: (values[i], i))
    low = values[i_min]
    if low <= 0:
        return None
    band = low * (1 + min_rise)
    held = 0
    for v in reversed(values[i_min + 1:]):
        if v < band:
            break
        held += 1
    if held < min_held:
        return None
    span = eval_interval(run)
    t_min = train_at(run, ev[i_min].step, span)
    t_end = train_end(run, span)
    if t_min is None or t_end is None or not t_end < t_min * (1 - min_train_fall):
        return None
    o = Overfit(minimum=ev[i_min], last=ev[-1], rise=(values[-1] - low) / low,
                max_rise=(max(values[i_min + 1:]) - low) / low, held=held, after=len(values) - 1 - i_min,
                train_at_min=t_min, train_last=t_end)
    stop = early_stop(values, i_min)
    if stop is not None:
        o.patience, o.stop_step = stop[0], ev[stop[1]].step
    return o


# -- still improving (FT802) ------------------------------------------------------------------------------

@dataclass
class Improving:
    start: Point  # the evaluation the gain is measured from
    last: Point
    gain: float  # relative drop of the eval loss from start to last
    train_start: float
    train_last: float


def still_improving(run: Run, min_gain: float = 0.02, tail: float = 0.2, min_evaluations: int = 3) -> Improving | None:
    ev = evals(run)
    if len(ev) < min_evaluations:
        return None
    a, b, c = ev[-3].value, ev[-2].value, ev[-1].value
    if not (c < b < a):
        return None
    target = ev[-1].step * (1 - tail)
    earlier = list(ev[:-1])
    start = min(earlier, key=lambda p: (abs(p.step - target), -p.step))
    if start.step >= ev[-1].step or start.value <= 0:
        return None
    gain = (start.value - c) / start.value
    if gain < min_gain:
        return None
    span = eval_interval(run)
    t0 = train_at(run, start.step, span)
    t1 = train_end(run, span)
    if t0 is None or t1 is None or not t1 < t0:
        return None
    return Improving(start=start, last=ev[-1], gain=gain, train_start=t0, train_last=t1)


# -- underfitting (FT803) ---------------------------------------------------------------------------------

@dataclass
class Underfit:
    kind: str  # "baseline" | "flat" | "majority"
    detail: str
    start: float | None = None
    end: float | None = None
    eval_last: float | None = None
    drop: float | None = None


def underfitting(run: Run, min_drop: float = 0.05, train_eval_gap: float = 0.10, baseline_margin: float = 0.02,
                 min_points: int = 10) -> Underfit | None:
    train = downsample(run.train_loss, TRAIN_POINTS)
    ev = evals(run)
    if run.info.get("objective") == "dpo":
        tail_t = [p.value for p in train[-max(len(train) // 10, 1):]]
        t_end = sum(tail_t) / len(tail_t) if tail_t else None
        e_end = ev[-1].value if ev else None
        ends = [v for v in (t_end, e_end) if v is not None]
        if ends and all(abs(v - LN2) <= baseline_margin for v in ends):
            shown = " and ".join(f"{name} {_fmt(v)}" for name, v in (("training loss", t_end), ("eval loss", e_end))
                                 if v is not None)
            return Underfit("baseline", f"the DPO loss ends at ln 2 = {LN2:.3f} ({shown}): the policy never "
                                        "learned to prefer the chosen responses", end=t_end, eval_last=e_end)
    if len(train) < min_points:
        return None
    k = max(len(train) // 10, 1)
    start = sum(p.value for p in train[:k]) / k
    end = sum(p.value for p in train[-k:]) / k
    if start <= 0:
        return None
    drop = (start - end) / start
    if not (-min_drop < drop < min_drop):
        return None
    if ev:
        e_last = ev[-1].value
        if e_last <= 0 or abs(e_last - end) / e_last > train_eval_gap:
            return None
        e_drop = (ev[0].value - min(p.value for p in ev)) / ev[0].value if ev[0].value > 0 else 0.0
        if len(ev) >= 2 and e_drop >= min_drop:
            return None
    else:
        e_last = None
    detail = (f"the training loss went from {_fmt(start)} to {_fmt(end)} ({-drop:+.1%}) over the run"
              + (f", level with the eval loss {_fmt(e_last)}" if e_last is not None else ""))
    return Underfit("flat", detail, start=start, end=end, eval_last=e_last, drop=drop)


# -- evaluation count (FT805) ---------------------------------------------------------------------------

def memorising(run: Run, below: float = 0.05, drop: float = 0.9) -> tuple[float, float] | None:
    """With no evaluation: the training loss falls towards zero (below ``below``, or by ``drop`` of
    where it started): ``(start, end)``."""
    train = downsample(run.train_loss, TRAIN_POINTS)
    if len(train) < 3:
        return None
    k = max(len(train) // 10, 1)
    start = sum(p.value for p in train[:k]) / k
    end = sum(p.value for p in train[-k:]) / k
    if end < below or (start > 0 and (start - end) / start >= drop):
        return start, end
    return None


# -- metric and loss (FT807) ---------------------------------------------------------------------------

@dataclass
class Disagreement:
    metric: str
    direction: str
    loss_best: Point
    metric_best: Point
    metric_at_loss_best: float
    loss_at_metric_best: float
    gap: float  # how much worse the metric is at the loss's best step, relative


def disagreement(run: Run, min_gap: float = 0.02, min_evaluations: int = 3) -> Disagreement | None:
    ev = evals(run)
    if len(ev) < min_evaluations:
        return None
    loss_best = min(ev, key=lambda p: (p.value, p.step))
    by_step = {p.step: p for p in ev}
    worst: Disagreement | None = None
    for name, pts in run.eval_metrics().items():
        direction = metric_direction(name)
        pts = [p for p in finite(pts) if p.step in by_step]
        if len(pts) < min_evaluations or direction is None:
            continue
        if direction == "max":
            best = max(pts, key=lambda p: (p.value, -p.step))
        else:
            best = min(pts, key=lambda p: (p.value, p.step))
        at = next((p for p in pts if p.step == loss_best.step), None)
        if at is None or best.step == loss_best.step or best.value == 0:
            continue
        gap = (best.value - at.value if direction == "max" else at.value - best.value) / abs(best.value)
        if gap < min_gap:
            continue
        d = Disagreement(name, direction, loss_best, best, at.value, by_step[best.step].value, gap)
        if worst is None or d.gap > worst.gap:
            worst = d
    return worst


# -- loss scale (FT808) -----------------------------------------------------------------------------------

@dataclass
class ScaleArtefact:
    ratio: float
    pairs: list[tuple[int, float, float]]  # (step, train, eval)


def scale_artefact(run: Run, min_ratio: float = 3.0, tolerance: float = 0.2,
                   min_pairs: int = 3) -> ScaleArtefact | None:
    ev = evals(run)
    if len(ev) < min_pairs:
        return None
    span = eval_interval(run)
    pairs = []
    for p in ev:
        t = train_at(run, p.step, span)
        if t is not None and p.value > 0 and t > 0 and any(q.step <= p.step for q in run.train_loss):
            pairs.append((p.step, t, p.value))
    tail = pairs[len(pairs) // 2:] if len(pairs) >= 2 * min_pairs else pairs[-min_pairs:]
    if len(tail) < min_pairs:
        return None
    ratios = [t / e for _, t, e in tail]
    med = median(ratios)
    if med < min_ratio or any(abs(r - med) > tolerance * med for r in ratios):
        return None
    return ScaleArtefact(med, tail)


# -- learning-rate schedule (FT809) ---------------------------------------------------------------------

@dataclass
class Schedule:
    kind: str  # "warmup-never-ends" | "constant"
    first: Point
    peak: Point
    last: Point


def schedule_problem(run: Run, min_points: int = 10, flat_share: float = 0.9) -> Schedule | None:
    lrs = finite(run.get(LEARNING_RATE))
    if len(lrs) < min_points or run.finished is False:
        return None
    peak = max(lrs, key=lambda p: (p.value, -p.step))
    if peak.value <= 0:
        return None
    first, last = lrs[0], lrs[-1]
    rising = all(b.value >= a.value for a, b in itertools.pairwise(lrs))
    quarter = lrs[-max(len(lrs) // 4, 2)]
    if rising and last.value > first.value * 1.5 and last.value >= peak.value * 0.999 \
            and last.value > quarter.value * 1.01:
        return Schedule("warmup-never-ends", first, peak, last)
    after = [p for p in lrs if p.step >= peak.step]
    tail = after[-max(len(lrs) // 5, 2):]
    if len(after) >= min_points // 2 and all(p.value >= flat_share * peak.value for p in tail):
        return Schedule("constant", first, peak, last)
    return None
