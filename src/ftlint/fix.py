"""``ftlint fix``: write repaired copies of a project's data and training config.

Nothing here detects a problem: the repairs read the findings of one ``ftlint check`` run (the
rows FT001/FT002/FT003/FT201/FT202/FT203/FT204 list, the per-group weights in FT501/FT502's metrics)
and the run's Context (its datasets, labels and training plan). One function per repair; each
records what it changed in a :class:`Repairs`; :func:`write_outputs` then streams every input
file once into new files under the output directory. An input file is never written: an
output path that resolves to any input is refused before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ftlint.context import Context
from ftlint.data.dataset import SourceFile
from ftlint.errors import UsageError
from ftlint.findings import Report
from ftlint.model import Finding
from ftlint.outputs import Protected, guard_output
from ftlint.settings import Settings
from ftlint.training.adapter import EvaluationEditRequest
from ftlint.training.adapters import adapter_for
from ftlint.training.patch import ConfigEdit
from ftlint.training.plan import DatasetRef, TrainingPlan

DEFAULT_OUTPUT_DIR = "ftlint-fixed"
#: rules whose findings ``ftlint fix`` repairs (FT104/FT601 are repaired from the training plan)
FIX_CODES = ("FT001", "FT002", "FT003", "FT201", "FT202", "FT203", "FT204", "FT501", "FT502")
CONFIG_CODES = ("FT104", "FT601", "FT606")


@dataclass
class FixOptions:
    output_dir: Path = Path(DEFAULT_OUTPUT_DIR)
    seed: int = 0
    validation_fraction: float = 0.1
    #: where leaked rows (FT203) are removed: "validation" (the held-out side) or "train"
    leaked_from: str = "validation"
    carve: bool = True
    weights: bool = True
    weight_column: str = "sample_weight"
    patch_config: bool = True
    early_stopping_patience: int = 3


@dataclass
class Change:
    """One repair: what it did, to how many rows of which split."""

    repair: str
    split: str | None
    rows: int
    detail: str


@dataclass
class Repairs:
    """The decisions of every repair, keyed by input file (absolute path) and record index."""

    drop: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    carve: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    weights: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def dropped(self, f: SourceFile, index: int) -> bool:
        return index in self.drop.get(f.abspath, {})

    def mark(self, f: SourceFile, index: int, reason: str) -> bool:
        """Drop record ``index`` of ``f``; False when an earlier repair already dropped it."""
        if index in self.drop[f.abspath]:
            return False
        self.drop[f.abspath][index] = reason
        return True


@dataclass
class Written:
    path: Path
    split: str
    rows_in: int | None  # records of the input file (None for a carved file)
    rows_out: int
    source: str | None = None


@dataclass
class ConfigPatch:
    source: Path
    path: Path
    text: str
    changes: list[str]
    notes: list[str]


@dataclass
class FixResult:
    written: list[Written]
    changes: list[Change]
    before: dict[str, int]
    after: dict[str, int]
    config: ConfigPatch | None
    notes: list[str]


# -- finding lookup ---------------------------------------------------------------------------------

def _files(ctx: Context) -> dict[str, SourceFile]:
    """Every dataset file of the run by the path findings show."""
    return {f.path: f for ds in ctx.datasets.values() for f in ds.files}


def _findings(report: Report, *codes: str) -> list[Finding]:
    return [f for f in report.findings if f.code in codes]


def _drop_rows(report: Report, ctx: Context, repairs: Repairs, codes: tuple[str, ...], repair: str,
               detail: str) -> None:
    files = _files(ctx)
    per_split: Counter[str] = Counter()
    for finding in _findings(report, *codes):
        for row in finding.rows:
            f = files.get(row.path)
            if f is not None and repairs.mark(f, row.index, finding.code):
                per_split[row.split] += 1
    for split, n in per_split.items():
        repairs.changes.append(Change(repair, split, n, detail))


# -- repairs ---------------------------------------------------------------------------------------

def drop_unreadable(report: Report, ctx: Context, repairs: Repairs) -> None:
    """Records that cannot be read (FT001) or do not match their file's format (FT002)."""
    _drop_rows(report, ctx, repairs, ("FT001", "FT002"), "drop unreadable",
               "unreadable records and records that do not match the file's format (FT001, FT002)")


def drop_empty(report: Report, ctx: Context, repairs: Repairs) -> None:
    """Rows with an empty prompt, response, turn or preference side (FT003)."""
    _drop_rows(report, ctx, repairs, ("FT003",), "drop empty", "rows with empty fields (FT003)")


def drop_duplicates(report: Report, ctx: Context, repairs: Repairs) -> None:
    """Exact (FT201) and near (FT202) copies: the rules list every member but the first of each
    group, so dropping their rows keeps the first."""
    _drop_rows(report, ctx, repairs, ("FT201",), "drop exact duplicates",
               "exact copies of an earlier row, first of each group kept (FT201)")
    _drop_rows(report, ctx, repairs, ("FT202",), "drop near duplicates",
               "near-copies of an earlier row, first of each group kept (FT202)")


def drop_leaked(report: Report, ctx: Context, repairs: Repairs, leaked_from: str) -> None:
    """Held-out rows that copy a training row (FT203): removed from the held-out split, or
    (``leaked_from="train"``) the rows they copy are removed from the split they were matched in."""
    if leaked_from not in ("validation", "train"):
        raise UsageError(f"--leaked-from {leaked_from!r}: expected 'validation' or 'train'")
    files = _files(ctx)
    per_split: Counter[str] = Counter()
    for finding in _findings(report, "FT203"):
        for row in finding.rows:
            if leaked_from == "validation":
                target, index, split = files.get(row.path), row.index, row.split
            else:
                m = row.extra.get("matches") or {}
                target, index, split = files.get(m.get("path", "")), m.get("index"), m.get("split")
            if target is not None and index is not None and repairs.mark(target, int(index), "FT203"):
                per_split[split] += 1
    for split, n in per_split.items():
        side = "held-out split" if leaked_from == "validation" else "split they were copied from"
        repairs.changes.append(Change("drop leaked", split, n,
                                      f"rows shared between train and a held-out split, removed from the {side} (FT203)"))


def drop_contaminated(report: Report, ctx: Context, repairs: Repairs) -> None:
    """Training rows that share a 13-word sequence with a benchmark file (FT204)."""
    _drop_rows(report, ctx, repairs, ("FT204",), "drop contaminated",
               "training rows sharing a word sequence with a --contamination file (FT204)")


def _kept_positions(ctx: Context, split: str, repairs: Repairs) -> list[int]:
    ds = ctx.dataset(split)
    return [i for i in range(len(ds))
            if not repairs.dropped(ds.files[int(ds.file_id[i])], int(ds.index[i]))]


def stratified_holdout(strata: list[Any], fraction: float, seed: int) -> list[int]:
    """Positions (into ``strata``) of a seeded hold-out of ``fraction`` of the rows, stratified:
    each stratum gives its share, rounded by largest remainder so the total is
    ``round(fraction * n)`` (at least 1 of 2 or more rows). Sorted."""
    n = len(strata)
    if n < 2 or fraction <= 0:
        return []
    total = min(n - 1, max(1, round(fraction * n)))
    groups: dict[str, list[int]] = defaultdict(list)
    for pos, s in enumerate(strata):
        groups["" if s is None else f"={s}"].append(pos)
    keys = sorted(groups)
    quotas = {k: total * len(groups[k]) / n for k in keys}
    take = {k: math.floor(q) for k, q in quotas.items()}
    rest = total - sum(take.values())
    for k in sorted(keys, key=lambda k: (-(quotas[k] - take[k]), k))[:rest]:
        take[k] += 1
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for k in keys:
        members = groups[k]
        order = rng.permutation(len(members))
        chosen.extend(members[j] for j in order[:take[k]].tolist())
    return sorted(chosen)


def carve_validation(ctx: Context, repairs: Repairs, fraction: float, seed: int) -> list[int]:
    """When there is no validation split (and the training config carves none), move a seeded
    ``fraction`` of the remaining training rows to a new validation file, stratified by label when
    the split has labels (``ctx.labels``). Returns the train positions carved."""
    if "train" not in ctx.splits or "validation" in ctx.splits:
        return []
    plan = ctx.plan
    if plan is not None and plan.validation.configured:
        repairs.notes.append(f"no validation file carved: the training config already holds out data "
                             f"({', '.join(plan.validation.methods) or 'configured'})")
        return []
    kept = _kept_positions(ctx, "train", repairs)
    info = ctx.labels("train")
    strata = [info.values[i] for i in kept] if info is not None else [None] * len(kept)
    picked = [kept[p] for p in stratified_holdout(strata, fraction, seed)]
    ds = ctx.dataset("train")
    for i in picked:
        repairs.carve[ds.files[int(ds.file_id[i])].abspath].add(int(ds.index[i]))
    if picked:
        how = f"stratified by {info.source}" if info is not None else "no labels to stratify by"
        repairs.changes.append(Change("carve validation", "train", len(picked),
                                      f"{fraction:.0%} of the remaining training rows moved to a new validation "
                                      f"file (seed {seed}; {how})"))
    return picked


def _rule_options(settings: Settings, code: str) -> Any:
    """The options the run configured for rule ``code`` (the same settings tables)."""
    from ftlint.registry import configure, load_registry, rule_tables

    reg = load_registry()
    shown = str(settings.source) if settings.source else "settings"
    cls = reg.lookup(code)
    tables = rule_tables(settings.rules, reg, shown, settings.lines)
    return configure(cls, tables.get(code, []), shown, settings.lines)[0]


def group_weights(report: Report, ctx: Context, repairs: Repairs) -> dict[int, float]:
    """Per-row weights that rebalance sensitive groups, from the weights FT501 (per group: every
    group the same total weight) and FT502 (per group x label: every group the same label
    distribution) put in their metrics. Several findings multiply; the result is normalised to
    a mean of 1 over the training rows written. Returns {train position: weight}."""
    from ftlint.rules.fairness import group_column

    found = [f for f in _findings(report, "FT501", "FT502") if f.split in (None, "train")
             and isinstance(f.metrics.get("weights"), dict)]
    if not found or "train" not in ctx.splits:
        return {}
    ds = ctx.dataset("train")
    kept = [i for i in _kept_positions(ctx, "train", repairs)
            if int(ds.index[i]) not in repairs.carve.get(ds.files[int(ds.file_id[i])].abspath, set())]
    if not kept:
        return {}
    w = np.ones(len(ds), dtype=np.float64)
    labels = ctx.labels("train")
    used = []
    for f in found:
        attr = f.metrics.get("attribute")
        if not isinstance(attr, str) or attr not in ds.extras:
            continue
        o = _rule_options(ctx.settings, f.code)
        groups = group_column(ctx, "train", attr, o.bins, o.max_categories, o.bin_edges).values
        table = f.metrics["weights"]
        for i in kept:
            g = groups[i]
            entry = table.get(g) if g is not None else None
            if f.code == "FT502":
                y = labels.values[i] if labels is not None else None
                entry = entry.get(y) if isinstance(entry, dict) and y is not None else None
            if isinstance(entry, (int, float)) and entry > 0:
                w[i] *= float(entry)
        used.append(f"{f.code} '{attr}'")
    if not used:
        return {}
    sub = w[kept]
    sub = sub / sub.mean()
    out = {i: round(float(x), 6) for i, x in zip(kept, sub.tolist())}
    for i, x in out.items():
        repairs.weights[ds.files[int(ds.file_id[i])].abspath][int(ds.index[i])] = x
    changed = sum(1 for x in out.values() if abs(x - 1.0) > 1e-9)
    repairs.changes.append(Change("weight groups", "train", changed,
                                  f"per-example weights from {', '.join(used)} (metrics.weights), normalised to "
                                  f"mean 1 (min {min(out.values()):g}, max {max(out.values()):g})"))
    return out


# -- reading and writing records ---------------------------------------------------------------------

def _jsonl_records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with the loader's record index (``data.load._iter_jsonl``'s numbering)."""
    index = 0
    for k, raw in enumerate(io.BytesIO(data)):
        if k == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        yield index, raw.rstrip(b"\r\n")
        index += 1


def _with_weight_jsonl(raw: bytes, column: str, weight: float) -> bytes:
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    if not isinstance(rec, dict):
        return raw
    rec[column] = weight
    return orjson.dumps(rec)


class _Sink:
    """One output file, written in the input file's format."""

    def __init__(self, path: Path, suffix: str, header: list[str] | None = None) -> None:
        self.path = path
        self.suffix = suffix
        self.header = header
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        self.items.append(item)

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.suffix in (".jsonl", ".ndjson"):
            self.path.write_bytes(b"".join(line + b"\n" for line in self.items))
        elif self.suffix == ".json":
            text = json.dumps(self.items, ensure_ascii=False, indent=2)
            self.path.write_bytes(text.encode("utf-8", "surrogateescape") + b"\n")
        elif self.suffix in (".csv", ".tsv"):
            buf = io.StringIO(newline="")
            writer = csv.writer(buf, delimiter="\t" if self.suffix == ".tsv" else ",", lineterminator="\n")
            writer.writerow(self.header or [])
            writer.writerows(self.items)
            self.path.write_bytes(buf.getvalue().encode("utf-8", "surrogateescape"))
        else:  # parquet: items are pyarrow tables of one row range each
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.concat_tables(self.items) if self.items else pa.table({}), self.path)


def _stream_file(src: SourceFile, repairs: Repairs, column: str, keep: _Sink, carve: _Sink | None) -> None:
    """Route every record of ``src`` to ``keep``, ``carve`` or nowhere (dropped)."""
    path = Path(src.abspath)
    suffix = path.suffix.lower()
    drops = repairs.drop.get(src.abspath, {})
    carved = repairs.carve.get(src.abspath, set())
    weights = repairs.weights.get(src.abspath, {})

    def route(index: int) -> _Sink | None:
        if index in drops:
            return None
        return carve if carve is not None and index in carved else keep

    if suffix in (".jsonl", ".ndjson"):
        for index, raw in _jsonl_records(path.read_bytes()):
            sink = route(index)
            if sink is not None and weights and sink is keep:
                sink.add(_with_weight_jsonl(raw, column, weights.get(index, 1.0)))
            elif sink is not None:
                sink.add(raw)
    elif suffix == ".json":
        from ftlint.data.load import _iter_json

        for index, (_line, rec, err, _raw) in enumerate(_iter_json(path.read_bytes())):
            sink = route(index)
            if sink is None or err is not None:
                continue
            if weights and sink is keep and isinstance(rec, dict):
                rec = {**rec, column: weights.get(index, 1.0)}
            sink.add(rec)
    elif suffix in (".csv", ".tsv"):
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        if text.startswith("\ufeff"):
            text = text[1:]
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",")
        header: list[str] | None = None
        index = 0
        for fields in reader:
            if header is None:
                header = list(fields)
                with_w = header + [column] if weights and column not in header else header
                keep.header = with_w
                if carve is not None:
                    carve.header = header
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            sink = route(index)
            if sink is not None:
                row = list(fields)
                if weights and sink is keep:
                    w = weights.get(index, 1.0)
                    if column in header:
                        row[header.index(column)] = f"{w:g}"
                    else:
                        row.append(f"{w:g}")
                sink.add(row)
            index += 1
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        idx = np.arange(table.num_rows)
        to_keep = np.array([route(int(i)) is keep for i in idx], dtype=bool)
        kept = table.filter(pa.array(to_keep))
        if weights:
            col = pa.array([weights.get(int(i), 1.0) for i in idx[to_keep]], type=pa.float64())
            if column in kept.column_names:
                kept = kept.set_column(kept.column_names.index(column), column, col)
            else:
                kept = kept.append_column(column, col)
        keep.add(kept)
        if carve is not None:
            to_carve = np.array([route(int(i)) is carve for i in idx], dtype=bool)
            carve.add(table.filter(pa.array(to_carve)))
    else:  # pragma: no cover - the loader reads no other suffix
        raise UsageError(f"cannot write {src.path}: unsupported file type", src.path)


def _out_name(src: SourceFile | str) -> Path:
    """The input's path (as shown) relative to the working directory (its name when outside it)."""
    p = Path(src if isinstance(src, str) else src.path)
    if p.is_absolute() or ".." in p.parts:
        return Path(p.name)
    return p


Planned = Callable[[dict[str, list[tuple[Path, str]]], Any], list[tuple[Path, str]]]


def planned_outputs(options: FixOptions) -> Planned:
    """The repaired copies and the patched config, named from the input paths alone: ``api.run``
    refuses one that is an input before any data is read (``write_outputs`` checks them all again,
    the carved split's file included, before writing)."""
    from ftlint.data.load import display_path

    def outputs(assignment: dict[str, list[tuple[Path, str]]], plan: TrainingPlan | None) -> list[tuple[Path, str]]:
        what = "a repaired file (--output-dir)"
        out = [(options.output_dir / _out_name(display_path(p)), what)
               for files in assignment.values() for p, _ in files]
        if plan is not None and options.patch_config:
            out.append((options.output_dir / Path(plan.path).name, what))
        return out

    return outputs


def _protected(ctx: Context) -> Protected:
    """The run's inputs (``api.run`` collects them); for a Context built by hand, its datasets,
    contamination files, training config and settings."""
    if ctx.protected is not None:
        return ctx.protected
    protected = Protected()
    for split, ds in ctx.datasets.items():
        protected.add_all((f.abspath for f in ds.files), f"the {split} dataset being checked")
    for ds in ctx.contamination:
        protected.add_all((f.abspath for f in ds.files), "a contamination file")
    protected.add_plan(ctx.plan)
    protected.add_settings(ctx.settings)
    return protected


def _guard_outputs(outputs: list[Path], protected: Protected) -> None:
    seen: set[Path] = set()
    for out in outputs:
        guard_output(out, protected, "a repaired file (--output-dir)")
        r = out.resolve()
        if r in seen:
            raise UsageError(f"two outputs would be written to {out}; give the inputs distinct names", str(out))
        seen.add(r)


# -- the training config -------------------------------------------------------------------------

def _rel(path: Path) -> str:
    """How the patched config names an output file: relative to the working directory, where the
    trainer is started (Axolotl and HF resolve relative data paths there)."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _steps(n_train: int, plan: TrainingPlan) -> int:
    """Evaluation interval: about four evaluations per epoch."""
    eff = plan.batch.effective.value or plan.batch.per_device.value or 8
    per_epoch = max(1, math.ceil(n_train / max(1, int(eff))))
    return max(1, per_epoch // 4)


def config_edits(plan: TrainingPlan, outputs: dict[str, list[tuple[str, Path]]], n_train: int,
                 options: FixOptions) -> tuple[list[ConfigEdit], list[str]]:
    """The key edits that make the run evaluate on held-out data and stop early, in the
    framework's own keys (its adapter's :meth:`~ftlint.training.adapter.FrameworkAdapter.evaluation_edits`),
    plus notes for what a config cannot express. ``outputs`` maps a split to ``(input abspath, output
    path)`` pairs."""
    # only what the config itself says: a framework default (HF save_steps 500) is no interval the user chose
    steps = plan.validation.eval_steps.value if plan.validation.eval_steps.from_config else None
    save = plan.early_stopping.save_steps.value if plan.early_stopping.save_steps.from_config else None
    if steps and steps >= 1:
        eval_steps = int(steps)
    elif save and save >= 1:
        eval_steps = int(save)  # keep the config's checkpoint interval: evaluate at each save
    else:
        eval_steps = _steps(n_train, plan)

    def repaired(ref: DatasetRef, split: str) -> str | None:
        out = dict(outputs.get(split, [])).get(str(Path(ref.path).resolve())) if ref.path is not None else None
        return _rel(out) if out is not None else None

    request = EvaluationEditRequest(
        eval_steps=eval_steps, save_ok=bool(save and save >= 1 and int(save) % eval_steps == 0),
        patience=options.early_stopping_patience,
        validation_files=tuple(_rel(out) for _, out in outputs.get("validation", [])),
        repaired=repaired, rewrote_train=bool(outputs.get("train")))
    edits, notes = adapter_for(plan).evaluation_edits(plan, request)
    # a key set twice (eval_steps already there, say): the last edit wins
    uniq: dict[str, ConfigEdit] = {}
    for e in edits:
        uniq[e.key] = e
    return list(uniq.values()), notes


def patch_training_config(plan: TrainingPlan, outputs: dict[str, list[tuple[str, Path]]], n_train: int,
                          options: FixOptions, out_path: Path) -> ConfigPatch | None:
    """A patched copy of the training config (its adapter patches the file: YAML keeps its
    comments; JSON is re-dumped)."""
    edits, notes = config_edits(plan, outputs, n_train, options)
    src = Path(plan.path)
    if not edits:
        return ConfigPatch(src, out_path, src.read_text(encoding="utf-8-sig"), [], notes) if notes else None
    new, patch_notes = adapter_for(plan).patch_config(plan, edits)
    return ConfigPatch(src, out_path, new, [e.describe() for e in edits], notes + patch_notes)


# -- the whole fix --------------------------------------------------------------------------------

def lint_for_fix(paths: Any = (), *, validation: Any = (), test: Any = (), contamination: Any = (),
                 config: Any = None, framework: str | None = None, settings: Settings | None = None,
                 no_cache: bool = False, options: FixOptions | None = None) -> tuple[Report, Context]:
    """One ``ftlint check`` run of the rules ``fix`` repairs (those of :data:`FIX_CODES` that the
    settings select; per-file-ignores hold, the baseline does not: accepted findings are still
    repaired). Returns its report and Context. With ``options``, an output of theirs that would
    overwrite an input is refused before any data is read."""
    from ftlint.api import run
    from ftlint.registry import load_registry, select_rules
    from ftlint.settings import load_settings

    settings = settings if settings is not None else load_settings()
    reg = load_registry()
    chosen = [r.code for r in select_rules(reg, settings.select, settings.extend_select, settings.ignore)
              if r.code in FIX_CODES]
    return run(paths, validation=validation, test=test, contamination=contamination, config=config,
               framework=framework, settings=settings, select=chosen, no_cache=no_cache, use_baseline=False,
               charts=False, outputs=planned_outputs(options) if options is not None else ())


def _carved_name(train_files: list[SourceFile], src: SourceFile) -> Path:
    base = _out_name(src)
    suffix = Path(src.abspath).suffix.lower()
    if len(train_files) == 1:
        return base.with_name(f"validation{suffix}")
    return base.with_name(f"{base.stem}-validation{suffix}")


def fix(report: Report, ctx: Context, options: FixOptions) -> FixResult:
    """Apply every repair to the findings and Context of one run, then write the new files."""
    repairs = Repairs()
    drop_unreadable(report, ctx, repairs)
    drop_empty(report, ctx, repairs)
    drop_duplicates(report, ctx, repairs)
    drop_leaked(report, ctx, repairs, options.leaked_from)
    drop_contaminated(report, ctx, repairs)
    if options.carve:
        carve_validation(ctx, repairs, options.validation_fraction, options.seed)
    if options.weights:
        group_weights(report, ctx, repairs)
    return write_outputs(report, ctx, repairs, options)


def write_outputs(report: Report, ctx: Context, repairs: Repairs, options: FixOptions) -> FixResult:
    out_dir = options.output_dir
    plan = ctx.plan

    jobs: list[tuple[SourceFile, str, _Sink, _Sink | None]] = []
    train_files = ctx.dataset("train").files if "train" in ctx.splits else []
    for split in ctx.splits:
        for f in ctx.dataset(split).files:
            suffix = Path(f.abspath).suffix.lower()
            keep = _Sink(out_dir / _out_name(f), suffix)
            carve = None
            if split == "train" and repairs.carve.get(f.abspath):
                carve = _Sink(out_dir / _carved_name(train_files, f), suffix)
            jobs.append((f, split, keep, carve))
    config_out = None
    if plan is not None and options.patch_config:
        config_out = out_dir / Path(plan.path).name
    _guard_outputs([p for _, _, k, c in jobs for p in (k.path, c.path if c else None) if p is not None]
                   + ([config_out] if config_out else []), _protected(ctx))

    written: list[Written] = []
    outputs: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    for f, split, keep, carve in jobs:
        _stream_file(f, repairs, options.weight_column, keep, carve)
        keep.write()
        written.append(Written(keep.path, split, f.records, len(keep.items) if keep.suffix != ".parquet"
                               else sum(t.num_rows for t in keep.items), f.path))
        outputs[split].append((str(Path(f.abspath).resolve()), keep.path))
        if carve is not None:
            carve.write()
            written.append(Written(carve.path, "validation", None, len(carve.items) if carve.suffix != ".parquet"
                                   else sum(t.num_rows for t in carve.items), f.path))
            outputs["validation"].append(("", carve.path))
    before = {s: sum(f.records for f in ctx.dataset(s).files) for s in ctx.splits}
    after: dict[str, int] = defaultdict(int)
    for w in written:
        after[w.split] += w.rows_out
    patch = None
    if config_out is not None:
        n_train = after.get("train", 0)
        patch = patch_training_config(plan, outputs, n_train, options, config_out)
        if patch is not None and patch.changes:
            config_out.parent.mkdir(parents=True, exist_ok=True)
            config_out.write_text(patch.text, encoding="utf-8")
    return FixResult(written, repairs.changes, before, dict(after), patch, repairs.notes)


def render(result: FixResult) -> str:
    """What ``ftlint fix`` prints: every change, row counts before and after, the files written."""
    lines: list[str] = []
    if result.changes:
        lines.append("Changes:")
        for c in result.changes:
            where = f"{c.split}: " if c.split else ""
            lines.append(f"  {c.repair:<22} {where}{c.rows:,} row{'s' if c.rows != 1 else ''}: {c.detail}")
    else:
        lines.append("No row needed a change.")
    lines.append("Rows (records read -> rows written):")
    for split in ("train", "validation", "test"):
        if split in result.before or split in result.after:
            b = result.before.get(split)
            lines.append(f"  {split:<10} {'-' if b is None else f'{b:,}':>8} -> {result.after.get(split, 0):,}")
    lines.append("Wrote:")
    for w in result.written:
        origin = f" (from {w.source})" if w.source and w.rows_in is not None else \
            f" (carved from {w.source})" if w.source else ""
        lines.append(f"  {w.path.as_posix()}  {w.split}, {w.rows_out:,} rows{origin}")
    if result.config is not None:
        if result.config.changes:
            lines.append(f"  {result.config.path.as_posix()}  training config ({result.config.source.name}):")
            lines.extend(f"    {c}" for c in result.config.changes)
        for n in result.config.notes:
            lines.append(f"  note: {n}")
    for n in result.notes:
        lines.append(f"note: {n}")
    lines.append("The input files were not modified.")
    return "\n".join(lines) + "\n"


__all__ = ["CONFIG_CODES", "DEFAULT_OUTPUT_DIR", "FIX_CODES", "Change", "ConfigPatch", "FixOptions", "FixResult",
           "Repairs", "carve_validation", "config_edits", "drop_contaminated", "drop_duplicates", "drop_empty",
           "drop_leaked", "drop_unreadable", "fix", "group_weights", "lint_for_fix", "patch_training_config", "render", "stratified_holdout",
           "write_outputs"]
