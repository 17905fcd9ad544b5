"""``ftlint fix``: write repaired copies of a project's data and training config.

Nothing here detects a problem or knows a rule: the repairs are the typed remedies
(``ftlint.remedies``) that the rules of one ``ftlint check`` run attached to their findings: rows to
drop, a split to carve, per-row weights, config settings. They are applied by kind, and record
what they changed in a :class:`Repairs`; :func:`write_outputs` then streams every input file once,
through its format's reader and writer (``data.formats``: the loader's record numbering), into new
files under the output directory, and has the training config patched (which also points it at
the repaired copies). An input file is never written: an output path that resolves to any input
is refused before anything is written.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ftlint.context import Context
from ftlint.data.dataset import SourceFile
from ftlint.data.formats import RecordWriter
from ftlint.errors import UsageError
from ftlint.findings import Report
from ftlint.outputs import Protected, guard_output
from ftlint.paths import relative_posix
from ftlint.remedies import DropRows, EditConfig, Remedies, Reweight
from ftlint.settings import Settings
from ftlint.training.adapter import EvaluationEditRequest, evaluation_interval
from ftlint.training.adapters import adapter_for
from ftlint.training.patch import ConfigEdit
from ftlint.training.plan import DatasetRef, TrainingPlan

DEFAULT_OUTPUT_DIR = "ftlint-fixed"


@dataclass
class FixOptions:
    output_dir: Path = Path(DEFAULT_OUTPUT_DIR)
    seed: int = 0
    validation_fraction: float = 0.1
    #: the alternative picked for each choice the remedies offer (``DropRows.choice``: name -> value, as
    #: ``ftlint fix --<name> <value>`` gives it); a choice not picked takes the remedies' default
    choices: dict[str, str] = field(default_factory=dict)
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
    #: the split the carved rows come from, and the one they go to
    carve_from: str = "train"
    carve_into: str = "validation"
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


# -- applying the remedies ------------------------------------------------------------------------------

def _files(ctx: Context) -> dict[str, SourceFile]:
    """Every dataset file of the run by the path findings show."""
    return {f.path: f for ds in ctx.datasets.values() for f in ds.files}


def _chosen(remedies: Remedies, options: FixOptions) -> list[DropRows]:
    """The drops that apply: those without a choice, and the alternative the user picked for each
    choice (``FixOptions.choices``, else the alternative marked ``default``); a pick that no remedy
    offers is a usage error."""
    picked = options.choices
    offered: dict[str, list[str]] = {}
    for _, r in remedies.drops:
        if r.choice is not None:
            offered.setdefault(r.choice[0], [])
            if r.choice[1] not in offered[r.choice[0]]:
                offered[r.choice[0]].append(r.choice[1])
    for name, values in offered.items():
        if name in picked and picked[name] not in values:
            raise UsageError(f"--{name} {picked[name]!r}: expected {' or '.join(repr(v) for v in values)}")
    return [r for _, r in remedies.drops
            if r.choice is None or picked.get(r.choice[0]) == r.choice[1] or (r.choice[0] not in picked and r.default)]


def apply_drops(remedies: Remedies, ctx: Context, repairs: Repairs, options: FixOptions) -> None:
    """Mark the rows of every :class:`DropRows` that applies. Drops with the same ``repair`` are
    counted together (a row once, under the first), in the order of their rules' codes, each one's
    rows in report order."""
    files = _files(ctx)
    chosen = {id(r) for r in _chosen(remedies, options)}
    groups: dict[str, list[tuple[str, DropRows]]] = {}
    for code, r in remedies.drops:
        if id(r) in chosen:
            groups.setdefault(r.repair, []).append((code, r))
    for repair in sorted(groups, key=lambda k: min(code for code, _ in groups[k])):
        per_split: Counter[str | None] = Counter()
        details: dict[str, None] = {}
        for code, r in groups[repair]:
            for row in r.rows:
                f = files.get(row.path)
                if f is not None and repairs.mark(f, int(row.index), code):
                    per_split[row.split] += 1
            details[r.detail] = None
        for split, n in per_split.items():
            repairs.changes.append(Change(repair, split, n, "; ".join(details)))


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


def apply_carves(remedies: Remedies, ctx: Context, repairs: Repairs, options: FixOptions) -> None:
    """Carve each :class:`CarveSplit`: a seeded ``--validation-fraction`` of the rows of its split
    left after the drops, stratified by the remedy's strata, into a new file per input file (a
    blocked carve is a note)."""
    for r in remedies.carves:
        if r.blocked is not None:
            repairs.notes.append(f"no {r.into} file carved: {r.blocked}")
            continue
        if r.split not in ctx.splits or r.into in ctx.splits or repairs.carve:
            continue
        kept = _kept_positions(ctx, r.split, repairs)
        strata = [r.strata[i] for i in kept] if r.strata is not None else [None] * len(kept)
        fraction, seed = options.validation_fraction, options.seed
        picked = [kept[p] for p in stratified_holdout(strata, fraction, seed)]
        ds = ctx.dataset(r.split)
        for i in picked:
            repairs.carve[ds.files[int(ds.file_id[i])].abspath].add(int(ds.index[i]))
        repairs.carve_from, repairs.carve_into = r.split, r.into
        if picked:
            detail = r.detail.format(fraction=fraction, seed=seed)
            repairs.changes.append(Change(r.repair, r.split, len(picked), detail))


def apply_weights(remedies: Remedies, ctx: Context, repairs: Repairs) -> None:
    """Per-row weights of each split from its :class:`Reweight` remedies: their factors multiply,
    and the product is normalised to a mean of 1 over the rows written (not dropped, not carved)."""
    by_split: dict[str, list[Reweight]] = {}
    for r in remedies.weights:
        if r.split in ctx.splits:
            by_split.setdefault(r.split, []).append(r)
    for split, found in by_split.items():
        ds = ctx.dataset(split)
        kept = [i for i in _kept_positions(ctx, split, repairs)
                if int(ds.index[i]) not in repairs.carve.get(ds.files[int(ds.file_id[i])].abspath, set())]
        if not kept:
            continue
        w = np.ones(len(ds), dtype=np.float64)
        for r in found:
            w *= r.factors
        sub = w[kept]
        sub = sub / sub.mean()
        out = {i: round(float(x), 6) for i, x in zip(kept, sub.tolist())}
        for i, x in out.items():
            repairs.weights[ds.files[int(ds.file_id[i])].abspath][int(ds.index[i])] = x
        changed = sum(1 for x in out.values() if abs(x - 1.0) > 1e-9)
        repairs.changes.append(Change("weight groups", split, changed,
                                      f"per-example weights from {', '.join(r.label for r in found)} "
                                      f"(metrics.weights), normalised to mean 1 (min {min(out.values()):g}, "
                                      f"max {max(out.values()):g})"))


# -- reading and writing records ---------------------------------------------------------------------

def _stream_file(src: SourceFile, repairs: Repairs, column: str, out: Path, carve_out: Path | None
                 ) -> tuple[RecordWriter, RecordWriter | None]:
    """Route every record of ``src`` (read by its format's reader, so indices are the loader's) to a
    copy at ``out``, one at ``carve_out`` or nowhere (dropped); returns both writers, closed."""
    from ftlint.data.formats import format_of, source_for
    from ftlint.remote import loaded

    remote = loaded(src.abspath)  # a remote file (s3://, https://) is streamed again
    found = format_of(remote.name) if remote is not None else None
    source: Any
    fmt, source = (found[0], remote) if remote is not None and found is not None else \
        source_for(Path(src.abspath), src.path)
    drops = repairs.drop.get(src.abspath, {})
    carved = repairs.carve.get(src.abspath, set())
    weights = repairs.weights.get(src.abspath, {})
    keep = fmt.writer(out, source, (column,) if weights else ())
    carve = fmt.writer(carve_out, source) if carve_out is not None else None
    try:
        for rec in fmt.iter_records(source):
            if rec.index in drops:
                continue
            if carve is not None and rec.index in carved:
                carve.add(rec)
            else:
                keep.add(rec, {column: weights.get(rec.index, 1.0)} if weights else None)
    finally:
        keep.close()
        if carve is not None:
            carve.close()
    return keep, carve


def _out_name(src: SourceFile | str) -> Path:
    """The input's path (as shown) relative to the working directory (its name when outside it); a
    remote file's is its bucket (or host) and key (``s3://bucket/data/x.jsonl`` -> ``bucket/data/x.jsonl``)."""
    from ftlint.remote import parse

    text = src if isinstance(src, str) else src.path
    url = parse(text)
    if url is not None:
        rest = url.partition("://")[2].split("?", 1)[0]
        parts = [part.replace(":", "_") for part in rest.split("/") if part not in ("", ".", "..")]
        return Path(*parts) if parts else Path("remote")
    p = Path(text)
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
    trainer is started (the frameworks resolve relative data paths there)."""
    rel = relative_posix(path, Path.cwd())
    return rel if rel is not None else path.resolve().as_posix()


def config_edits(plan: TrainingPlan, settings: list[EditConfig], outputs: dict[str, list[tuple[str, Path]]],
                 n_train: int, options: FixOptions) -> tuple[list[ConfigEdit], list[str]]:
    """The key edits the findings' :class:`~ftlint.remedies.EditConfig` remedies (``settings``) ask for,
    and those that point the config at the repaired copies, in the framework's own keys (its
    adapter's :meth:`~ftlint.training.adapter.FrameworkAdapter.config_edits`), plus notes for what a
    config cannot express. ``outputs`` maps a split to ``(input abspath, output path)`` pairs."""
    eval_steps, save_ok = evaluation_interval(plan, n_train)

    def repaired(ref: DatasetRef, split: str) -> str | None:
        out = dict(outputs.get(split, [])).get(str(Path(ref.path).resolve())) if ref.path is not None else None
        return _rel(out) if out is not None else None

    request = EvaluationEditRequest(
        eval_steps=eval_steps, save_ok=save_ok, patience=options.early_stopping_patience,
        validation_files=tuple(_rel(out) for _, out in outputs.get("validation", [])),
        repaired=repaired, rewrote_train=bool(outputs.get("train")))
    return adapter_for(plan).config_edits(plan, settings, request)


def patch_training_config(plan: TrainingPlan, settings: list[EditConfig], outputs: dict[str, list[tuple[str, Path]]],
                          n_train: int, options: FixOptions, out_path: Path) -> ConfigPatch | None:
    """A patched copy of the training config (its adapter patches the file: YAML keeps its
    comments; JSON is re-dumped)."""
    edits, notes = config_edits(plan, settings, outputs, n_train, options)
    src = Path(plan.path)
    if not edits:
        return ConfigPatch(src, out_path, src.read_text(encoding="utf-8-sig"), [], notes) if notes else None
    new, patch_notes = adapter_for(plan).patch_config(plan, edits)
    return ConfigPatch(src, out_path, new, [e.describe() for e in edits], notes + patch_notes)


# -- the whole fix --------------------------------------------------------------------------------

def lint_for_fix(paths: Any = (), *, validation: Any = (), test: Any = (), contamination: Any = (),
                 config: Any = None, framework: str | None = None, settings: Settings | None = None,
                 no_cache: bool = False, options: FixOptions | None = None,
                 recursive: bool = False) -> tuple[Report, Context]:
    """One ``ftlint check`` run of the rules whose findings carry remedies (``Rule.fixable``) that the
    settings select; per-file-ignores hold, the baseline does not: accepted findings are still
    repaired. Returns its report and Context. With ``options``, an output of theirs that would
    overwrite an input is refused before any data is read."""
    from ftlint.api import run
    from ftlint.registry import load_registry, select_rules
    from ftlint.settings import load_settings

    settings = settings if settings is not None else load_settings()
    reg = load_registry()
    chosen = [r.code for r in select_rules(reg, settings.select, settings.extend_select, settings.ignore)
              if r.fixable]
    return run(paths, validation=validation, test=test, contamination=contamination, config=config,
               framework=framework, settings=settings, select=chosen, no_cache=no_cache, use_baseline=False,
               charts=False, outputs=planned_outputs(options) if options is not None else (), recursive=recursive)


def _carved_name(files: list[SourceFile], src: SourceFile, into: str) -> Path:
    """``validation.jsonl`` beside the repaired copy of the only file of the split carved from, else
    ``<name>-validation.jsonl`` (compressed as the input: ``validation.jsonl.gz``)."""
    from ftlint.data.formats import strip_suffixes

    base = _out_name(src)
    stem = strip_suffixes(base.name)
    suffix = base.name[len(stem):].lower()  # .jsonl, or .jsonl.gz
    if len(files) == 1:
        return base.with_name(f"{into}{suffix}")
    return base.with_name(f"{stem}-{into}{suffix}")


def fix(report: Report, ctx: Context, options: FixOptions) -> FixResult:
    """Apply the remedies of the findings of one run, then write the new files: the rows to drop,
    then the carved split, then the weights (each needs the rows the one before left); config
    edits are the config patcher's (:func:`write_outputs`)."""
    repairs = Repairs()
    remedies = Remedies.of(report.findings)
    apply_drops(remedies, ctx, repairs, options)
    if options.carve:
        apply_carves(remedies, ctx, repairs, options)
    if options.weights:
        apply_weights(remedies, ctx, repairs)
    return write_outputs(report, ctx, repairs, options, remedies.config)


def write_outputs(report: Report, ctx: Context, repairs: Repairs, options: FixOptions,
                  settings: list[EditConfig] | None = None) -> FixResult:
    """Stream every input file into its repaired copy (and the carved split's file), then patch the
    training config with ``settings`` (the findings' EditConfig remedies; default: the report's)."""
    out_dir = options.output_dir
    plan = ctx.plan

    jobs: list[tuple[SourceFile, str, Path, Path | None]] = []
    carved_files = ctx.dataset(repairs.carve_from).files if repairs.carve_from in ctx.splits else []
    for split in ctx.splits:
        for f in ctx.dataset(split).files:
            carve = None
            if split == repairs.carve_from and repairs.carve.get(f.abspath):
                carve = out_dir / _carved_name(carved_files, f, repairs.carve_into)
            jobs.append((f, split, out_dir / _out_name(f), carve))
    config_out = None
    if plan is not None and options.patch_config:
        config_out = out_dir / Path(plan.path).name
    _guard_outputs([p for _, _, k, c in jobs for p in (k, c) if p is not None]
                   + ([config_out] if config_out else []), _protected(ctx))

    written: list[Written] = []
    outputs: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    for f, split, keep_path, carve_path in jobs:
        kept, carved = _stream_file(f, repairs, options.weight_column, keep_path, carve_path)
        written.append(Written(keep_path, split, f.records, kept.rows, f.path))
        outputs[split].append((str(Path(f.abspath).resolve()), keep_path))
        if carved is not None and carve_path is not None:
            written.append(Written(carve_path, repairs.carve_into, None, carved.rows, f.path))
            outputs[repairs.carve_into].append(("", carve_path))
    before = {s: sum(f.records for f in ctx.dataset(s).files) for s in ctx.splits}
    after: dict[str, int] = defaultdict(int)
    for w in written:
        after[w.split] += w.rows_out
    patch = None
    if config_out is not None and plan is not None:
        # the config settings the findings ask for (EditConfig remedies) and the repaired copies in place
        # of the inputs, in the framework's keys: the adapter's
        if settings is None:
            settings = Remedies.of(report.findings).config
        patch = patch_training_config(plan, settings, outputs, after.get("train", 0), options, config_out)
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


__all__ = ["DEFAULT_OUTPUT_DIR", "Change", "ConfigPatch", "FixOptions", "FixResult", "Repairs", "apply_carves",
           "apply_drops", "apply_weights", "config_edits", "fix", "lint_for_fix", "patch_training_config", "render",
           "stratified_holdout", "write_outputs"]
