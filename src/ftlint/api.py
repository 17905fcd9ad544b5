"""``check()``: the documented Python API (``ftlint.check``), which the command line calls too;
``run()`` also returns the run's :class:`~ftlint.context.Context` (``ftlint fix`` repairs from it)."""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftlint.cache import CACHE_DIR_NAME, Cache
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.load import (  # noqa: F401 - load_dataset_file, expand_paths: patched by tests
    SPLITS,
    display_path,
    expand_paths,
    load_dataset_file,
    skipped_files,
)
from ftlint.engine import run_rules
from ftlint.errors import FtlintError, UsageError
from ftlint.features.task import training_task
from ftlint.findings import Report, rank
from ftlint.memory import release_free_memory
from ftlint.model import InputInfo
from ftlint.outputs import Protected, guard_outputs
from ftlint.registry import (
    configure,
    load_registry,
    rule_tables,
    select_rules,
    validate_selectors,
)
from ftlint.settings import Settings, load_settings
from ftlint.suppress import BASELINE_NAME, Baseline, Noqa, Suppressions
from ftlint.urls import is_remote

if TYPE_CHECKING:
    from ftlint.training.plan import TrainingPlan


#: dataset-not-available: runs whenever a named dataset was not seen, unless ignored explicitly
NOT_AVAILABLE = "FT013"


def _gather_splits(paths: Sequence[str | Path], validation: Sequence[str | Path], test: Sequence[str | Path],
                   settings: Settings) -> dict[str, list[tuple[Path, str]]]:
    """Which file goes to which split, and why, without a training config (``ftlint sample``)."""
    from ftlint.sources import gather_splits

    return gather_splits(paths, validation, test, settings)


def _load_plan(settings: Settings, config: str | Path | None, framework: str | None) -> tuple[Any, InputInfo | None]:
    path = Path(config) if config else settings.training_config
    if path is None:
        return None, None
    from ftlint.training import TrainingConfigError, load_training_config

    try:
        plan = load_training_config(path, framework or settings.framework)
    except TrainingConfigError as e:
        raise FtlintError(e.message, e.path or display_path(path), e.line) from None
    info = InputInfo(path=display_path(path), role="training_config",
                     extra={"framework": getattr(plan, "framework", None)})
    return plan, info


def _load_runs(paths: Sequence[Path], plan: Any, plan_info: InputInfo | None) -> tuple[list[Any], list[InputInfo]]:
    """Read each ``--run`` (an output directory or a log file; ``ftlint.runs``), match it to the
    training config when one is given, and list it in the report's inputs (role ``run``)."""
    if not paths:
        return [], []
    from ftlint.runs import load_run
    from ftlint.runs.match import match_plan

    runs, infos = [], []
    for p in paths:
        run = load_run(p)
        if plan is not None:
            match_plan(run, plan, plan_info.path if plan_info is not None else display_path(Path(plan.path)))
        runs.append(run)
        evals = len([q for q in run.eval_loss if q.finite])
        infos.append(InputInfo(path=run.shown, role="run", format=run.source, records=run.records, extra={
            "framework": run.framework, "steps": run.last_step, "evaluations": evals,
            "checkpoints": len(run.checkpoints) if run.checkpoints is not None else None,
            "best_checkpoint": run.best_checkpoint, "config": run.plan_note or None}))
    return runs, infos


def _by_phase(rules: list[Any], settings: Settings, runs: bool, pre_flight: bool) -> list[Any]:
    """A run check (``--run``) and a pre-flight check (data, config) share one report: without a run
    the FT8xx rules are left out, and with only a run the pre-flight rules are, unless a selector
    names them (a code prefix of three characters or more, or the name)."""
    from ftlint.rule import Need, specificity

    named = [*(settings.select or []), *settings.extend_select]
    out = []
    for r in rules:
        cls = type(r)
        wants_run = Need.RUN in cls.requires
        if (wants_run and runs) or (not wants_run and pre_flight) or cls.code.startswith("FT9") \
                or any(specificity(s, cls) >= 5 for s in named):
            out.append(r)
    return out


def _setting_path(p: str | Path) -> Path:
    """A path given for the settings' lists: a URL (``s3://``, ``https://``) stays the string it is
    (a Path would fold its ``//``); the lists hold it as the loader expects."""
    return p if is_remote(p) else Path(p)  # type: ignore[return-value]


def _baseline_file(settings: Settings, baseline: str | Path | None) -> Path | None:
    """The baseline a run reads: ``--baseline``, the settings' ``baseline``, or
    ``.ftlint-baseline.json`` in the project root when present."""
    path = Path(baseline) if baseline else settings.baseline
    if path is None and (settings.root / BASELINE_NAME).is_file():
        path = settings.root / BASELINE_NAME
    return path


def _suppressions(settings: Settings, plan: TrainingPlan | None, baseline: str | Path | None,
                  use_baseline: bool) -> Suppressions:
    """Baseline (``--baseline``, the settings' ``baseline``, or ``.ftlint-baseline.json`` in the project
    root when present), ``# ftlint: noqa`` comments in the training config, per-file-ignores."""
    base: Baseline | None = None
    if use_baseline:
        path = _baseline_file(settings, baseline)
        if path is not None:
            if not path.is_file():
                raise UsageError(f"baseline file not found: {path} (create it with `ftlint baseline`)")
            base = Baseline.load(path)
    noqa = None
    plan_path = getattr(plan, "path", None)
    if plan_path is not None and Path(plan_path).suffix.lower() in (".yaml", ".yml", ".toml"):
        noqa = Noqa([(display_path(Path(plan_path)), Path(plan_path))])
    return Suppressions(settings.root, settings.per_file_ignores, base, noqa)


def _load_contamination(settings: Settings, assignment: dict[str, list[tuple[Path, str]]], cache: Cache,
                        inputs: list[InputInfo], source: str) -> list[Dataset]:
    """Load the benchmark / held-out files (FT204) with the dataset loader; list them in ``inputs``."""
    if not settings.contamination:
        return []
    from ftlint.remote import shown_path
    from ftlint.sources import expand_inputs, load_file

    datasets = {p.resolve(): split for split, files in assignment.items() for p, _ in files}
    out: list[Dataset] = []
    files, remote = expand_inputs(settings.contamination, "contamination")
    for p in files:
        split = datasets.get(p.resolve())
        if split is not None:
            raise UsageError(f"{shown_path(p)} is given as both {split} data and a contamination file")
        ds = load_file(p, "contamination", source, None, None, cache, remote=remote)
        f = ds.files[0]
        inputs.append(InputInfo(path=f.path, role="contamination", format=f.format, records=f.records,
                                split_source=source))
        out.append(ds)
    return out


#: a reference file of prompts alone (no response): the first of these keys is read as its text
REFERENCE_TEXT_KEYS = ("prompt", "question", "instruction", "query", "input", "content", "input_text")


def _load_reference(settings: Settings, assignment: dict[str, list[tuple[Path, str]]], cache: Cache,
                    inputs: list[InputInfo], source: str) -> Dataset | None:
    """Load the reference sample of the real task (``--reference`` / ``reference = ...``; FT401-FT404)
    with the dataset loader, as one set named ``reference``; list its files in ``inputs``. Besides the
    training formats, a file of prompts alone (``{"prompt": ...}``, ``{"question": ...}``, ...) is read."""
    from ftlint.errors import FormatError

    if not settings.reference:
        return None
    from ftlint.remote import shown_path
    from ftlint.sources import expand_inputs, load_file

    datasets = {p.resolve(): split for split, files in assignment.items() for p, _ in files}
    parts: list[Dataset] = []
    files, remote = expand_inputs(settings.reference, "reference")
    for p in files:
        split = datasets.get(p.resolve())
        if split is not None:
            raise UsageError(f"{shown_path(p)} is given as both {split} data and the reference sample")
        try:
            ds = load_file(p, "reference", source, None, None, cache, remote=remote)
        except FormatError:
            found = None
            for key in REFERENCE_TEXT_KEYS:
                try:
                    attempt = load_file(p, "reference", source, {"text": key}, "text", cache, remote=remote)
                except FormatError:
                    continue
                if len(attempt) and any(t and t[0].strip() for t in attempt.texts):
                    found = attempt
                    break
            if found is None:
                raise
            ds = found
        f = ds.files[0]
        inputs.append(InputInfo(path=f.path, role="reference", format=f.format, records=f.records,
                                split_source=source))
        parts.append(ds)
    return Dataset.concat("reference", parts) if parts else None


def _check_embedding_model(ctx: Context, rules: list[Any], from_cli: bool) -> None:
    """An embedding model that was asked for but cannot be used is unusable input (exit 2), found
    before any rule runs, rather than a silent fallback to TF-IDF or a skipped check."""
    from ftlint.rules.relevance import EMBEDDING_RULES

    settings = ctx.settings
    if not settings.embedding_model or not ctx.splits or not any(r.code in EMBEDDING_RULES for r in rules):
        return
    from ftlint.features.embed import EmbedderUnavailable
    from ftlint.features.relevance import embedding_model

    try:
        embedding_model(ctx)
    except EmbedderUnavailable as e:
        if from_cli:
            raise UsageError(f"--embedding-model: {e.reason}; {e.fix}") from None
        raise UsageError(f"embedding-model: {e.reason}; {e.fix}",
                         str(settings.source) if settings.source else None,
                         settings.line_of("embedding-model")) from None


def run(
    paths: Sequence[str | Path] = (),
    *,
    validation: Sequence[str | Path] = (),
    test: Sequence[str | Path] = (),
    contamination: Sequence[str | Path] = (),
    reference: Sequence[str | Path] = (),
    embedding_model: str | None = None,
    progress: bool = False,
    config: str | Path | None = None,
    framework: str | None = None,
    settings: Settings | None = None,
    select: list[str] | None = None,
    extend_select: list[str] | None = None,
    ignore: list[str] | None = None,
    no_cache: bool = False,
    runs: Sequence[str | Path] = (),
    plugins: bool = True,
    baseline: str | Path | None = None,
    use_baseline: bool = True,
    charts: bool = True,
    outputs: Sequence[tuple[str | Path | None, str]] | Callable[..., Sequence[tuple[Path, str]]] = (),
    recursive: bool = False,
    engine: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    engine_echo: Callable[[str], None] | None = None,
) -> tuple[Report, Context]:
    """Lint datasets (and a training config): the ranked :class:`Report` and the run's
    :class:`Context` (its datasets, plan and memoised features: what ``ftlint fix`` repairs from).

    ``outputs`` are the files the caller will write, as ``(path, what is written there)``: one that
    is an input of the run is refused (:class:`~ftlint.errors.OutputError`) before any data is read
    (a callable is given ``(the files of each split, the training plan)`` and returns them).

    ``recursive``: directories on the command line are searched with their subfolders.

    Raises :class:`~ftlint.errors.FtlintError` for unusable input (exit code 2).
    """
    t_start = time.perf_counter()
    settings = settings if settings is not None else load_settings()
    if contamination:  # --contamination replaces the settings' list (a URL stays a str: s3://, https://)
        settings.contamination = [_setting_path(p) for p in contamination]
    if reference:  # --reference replaces the settings' list
        settings.reference = [_setting_path(p) for p in reference]
    if embedding_model:
        settings.embedding_model = embedding_model
    if select is not None:
        settings.select = select
    if extend_select:
        settings.extend_select = [*settings.extend_select, *extend_select]
    if ignore:
        settings.ignore = [*settings.ignore, *ignore]
    if engine or workers or scheduler:  # --engine/--workers/--scheduler replace the settings' [engine]
        import dataclasses

        eng = settings.engine
        settings.engine = dataclasses.replace(
            eng, name=engine or ("dask" if scheduler else eng.name or "local"), workers=workers or eng.workers,
            scheduler=scheduler or eng.scheduler)

    reg = load_registry(plugins=plugins)
    shown = str(settings.source) if settings.source else "settings"
    for where, sels in (("select", settings.select or []), ("extend-select", settings.extend_select),
                        ("ignore", settings.ignore)):
        validate_selectors(sels, reg, where)
    for pattern, sels in settings.per_file_ignores.items():
        validate_selectors(sels, reg, f"per-file-ignores '{pattern}'")
    tables = rule_tables(settings.rules, reg, shown, settings.lines)
    # (a selector naming a rule of a pack that failed to load is a usage error: validate_selectors)
    chosen = select_rules(reg, settings.select, settings.extend_select, settings.ignore)
    rules = []
    for cls in chosen:
        options, severity = configure(cls, tables.get(cls.code, []), shown, settings.lines)
        rules.append(cls(options, severity))

    cache_root = settings.cache_dir or (settings.root / CACHE_DIR_NAME)
    cache = Cache(cache_root, enabled=settings.cache and not no_cache)

    t0 = time.perf_counter()
    from ftlint.sources import command_line_splits, relocate, resolve

    cli = command_line_splits(paths, validation, test, recursive)  # a missing path on the command line fails first
    plan, plan_info = _load_plan(settings, config, framework)
    # finished runs' logs (--run, or the settings' run = [...]): FT8xx
    run_list, run_infos = _load_runs([Path(p) for p in runs] or settings.runs, plan, plan_info)
    # which data is checked, per split: the command line, then --config, then the settings
    sources = resolve(cli, settings, plan, config_from_cli=config is not None)
    assignment, from_config, not_loaded = sources.assignment, sources.extras, sources.not_loaded
    # every file this run reads: no output may be one of them (checked before any data is read)
    protected = Protected.for_run(settings, assignment, plan, _baseline_file(settings, baseline) if use_baseline
                                  else None)
    for r in run_list:  # the log read, and the other logs of its output directory
        protected.add(r.path, "a training run's log being checked")
        protected.add_all((r.root / n for n in ("trainer_state.json", "trainer_log.jsonl") if (r.root / n).is_file()),
                          "a training run's log being checked")
    guard_outputs(outputs(assignment, plan) if callable(outputs) else outputs, protected)
    datasets: dict[str, Dataset] = {}
    inputs: list[InputInfo] = []
    mapping = settings.dataset.columns
    for split in SPLITS:
        parts = []
        for p, why in assignment[split]:
            try:
                parts.append(sources.load(p, split, why, mapping, settings.dataset.format, cache))
            except FtlintError as e:
                named_by = sources.named_by.get(p.resolve())
                if named_by is None:
                    raise
                # a file the training config or the settings name: located at the line that names it
                raise relocate(e, named_by, p) from None
        if parts:
            datasets[split] = Dataset.concat(split, parts)
            for f in datasets[split].files:
                inputs.append(InputInfo(path=f.path, role="dataset", split=split, format=f.format,
                                        records=f.records, split_source=f.split_source,
                                        extra=dict(from_config[split].get(Path(f.abspath), {}))))
    inputs.extend(not_loaded)
    inputs.extend(sources.replaced)
    if not datasets and plan is None and not run_list:
        raise UsageError("no dataset given: pass dataset files or directories (`ftlint check data/train.jsonl`), "
                         "or set [dataset] train = [\"...\"] in ftlint.toml")
    if plan_info is not None:
        inputs.append(plan_info)
    inputs.extend(run_infos)
    rules = _by_phase(rules, settings, bool(run_list), bool(datasets) or plan is not None or not run_list)
    contamination_sets = _load_contamination(settings, assignment, cache, inputs,
                                             "--contamination" if contamination else "settings contamination")
    reference_set = _load_reference(settings, assignment, cache, inputs,
                                    "--reference" if reference else "settings reference")
    load_seconds = time.perf_counter() - t0
    release_free_memory()  # what parsing freed: the rules start from the memory really in use

    skipped = skipped_files([*(paths or settings.dataset.train),
                             *(validation or settings.dataset.validation), *(test or settings.dataset.test)], recursive)
    ctx = Context(datasets, settings, cache, plan=plan, reference=reference_set,
                  contamination=contamination_sets, unavailable=sources.unavailable, runs=run_list,
                  notices=[f"plugin '{f.distribution}' ({f.name}) failed to load: {f.error}" for f in reg.failures],
                  skipped_inputs=skipped, progress=progress, protected=protected)
    _check_embedding_model(ctx, rules, from_cli=bool(embedding_model))
    if sources.unavailable and not any(type(r).code == NOT_AVAILABLE for r in rules):
        # a dataset that was named but not seen is reported whatever the selection, unless ignored
        notice = reg.lookup(NOT_AVAILABLE)
        ignored = notice not in select_rules(reg, ["ALL"], [], settings.ignore)  # any ignore selector naming it
        if notice is not None and not ignored:
            options, severity = configure(notice, tables.get(notice.code, []), shown, settings.lines)
            rules.append(notice(options, severity))
    # personal data and secrets are masked in every report, whichever rules are selected (FT701/FT702)
    from ftlint.features.pii import privacy_redaction

    redaction = privacy_redaction()
    engine_name = _engine_name(settings, datasets)
    with _engine(ctx, rules, settings, engine_name, engine_echo) as (later, before_later):
        # (``charts=False`` when no HTML is written: the CLI knows)
        result = run_rules(rules, ctx, redaction, _suppressions(settings, plan, baseline, use_baseline), charts=charts,
                           later=later, before_later=before_later)
    if "train" in datasets:  # what ftlint takes the task to be (FT613/FT615), shown with the training data
        train_input = next(i for i in inputs if i.role == "dataset" and i.split == "train")
        train_input.extra["task"] = ctx.artifact(training_task).as_json()
    timings = {"load": round(load_seconds, 4), **{k: round(v, 4) for k, v in ctx.timings.items()}}
    for o in result.outcomes:
        timings[f"rule {o.code}"] = o.seconds
    timings["total"] = round(time.perf_counter() - t_start, 4)
    report = Report(
        findings=rank(result.findings),
        outcomes=result.outcomes,
        inputs=inputs,
        suppressed=result.suppressed,
        timings=timings,
        notes=result.errors,
        rules=[type(r) for r in rules],
        charts=result.charts,
        chart_errors=result.chart_errors,
    )
    return report, ctx


def _engine_name(settings: Settings, datasets: dict[str, Dataset]) -> str | None:
    """The engine of this check: the one named (``--engine``, ``[engine] name``; "none": in-process),
    else ``local`` when the splits hold at least ``backend.AUTO_ROWS`` rows and there is more than one
    core, else none (a small check is faster without forking workers that re-read the data)."""
    from ftlint.backend import AUTO_ROWS, default_workers

    if not datasets:
        return None
    named = _named_engine(settings)
    if named is not None:
        return named or None
    if (settings.engine.workers or default_workers()) < 2:
        return None
    return "local" if sum(len(ds) for ds in datasets.values()) >= AUTO_ROWS else None


def _named_engine(settings: Settings) -> str | None:
    """The engine the user named (``--engine``, ``[engine] name``, a ``scheduler`` to join: dask;
    "" for "none"), or None when ftlint picks."""
    name = settings.engine.name
    if name:
        return "" if name == "none" else name
    return "dask" if settings.engine.scheduler else None


@contextlib.contextmanager
def _engine(ctx: Context, rules: list[Any], settings: Settings, name: str | None,
            echo: Callable[[str], None] | None) -> Iterator[tuple[set[str], Callable[[], None] | None]]:
    """Run the engine ``name`` (None: none) for the rules run inside: its first maps (FT204's window
    hashes; row hashes, FT201-FT203's MinHash and shuffle) before; its second (the per-row artifacts of
    ``backend.rowmap``) while the rules that do not read them run; yields the codes of the rules
    that do and the call that installs what they read. The engine is closed on the way out."""
    if not name:
        yield set(), None
        return
    from ftlint.backend import EngineOptions, open_backend
    from ftlint.backend.base import partition_size
    from ftlint.backend.contamination import distribute_contamination
    from ftlint.backend.dedup import distribute

    eng = settings.engine
    t0 = time.perf_counter()
    # progress lines only for an engine the user named; the default local pool works silently (its
    # time is in the verbose timings)
    say = echo if (echo is not None and _named_engine(settings)) else (lambda s: None)
    size = partition_size(name, eng.partition_size)
    backend = open_backend(EngineOptions(name, eng.workers, eng.scheduler, size), say)
    try:
        distribute_contamination(ctx, rules, backend, size, say)
        rowmap = distribute(ctx, rules, backend, size, say)
        ctx.timings[f"engine {backend.name}"] = time.perf_counter() - t0
        if rowmap is None:
            yield set(), None
            return

        def install() -> None:
            t1 = time.perf_counter()
            rowmap.install()
            ctx.timings[f"engine {backend.name} (waiting for the per-row map)"] = time.perf_counter() - t1

        yield rowmap.codes, install
    finally:
        backend.close()


#: what names data or a file in :func:`check`: a path (``str`` or any ``os.PathLike``), or several
PathArg = str | os.PathLike[str]
PathsArg = PathArg | Iterable[PathArg] | None


def _paths(value: PathsArg, what: str) -> list[str | Path]:
    """One path or several, as a list: a ``str`` is one path (never its characters); ``str`` items
    stay ``str`` (a ``hf://`` or ``s3://`` name must keep its ``//``), other path-likes become Paths."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    out: list[str | Path] = []
    try:
        items = list(value)
    except TypeError:
        raise UsageError(f"{what}: expected a path or a list of paths, not {type(value).__name__}") from None
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, os.PathLike):
            out.append(Path(os.fspath(item)))
        else:
            raise UsageError(f"{what}: expected a path (str or pathlib.Path), not {type(item).__name__}")
    return out


def _selectors(value: str | Iterable[str] | None, what: str) -> list[str] | None:
    """Rule selectors as the command line takes them: ``"FT0,FT201"``, ``["FT0", "FT201"]``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise UsageError(f"{what}: expected rule codes, prefixes or names as strings, not {type(item).__name__}")
        out.extend(x.strip() for x in item.split(",") if x.strip())
    return out


def check(
    paths: PathsArg = None,
    *,
    validation: PathsArg = None,
    test: PathsArg = None,
    config: PathArg | None = None,
    select: str | Iterable[str] | None = None,
    ignore: str | Iterable[str] | None = None,
    extend_select: str | Iterable[str] | None = None,
    settings: Settings | PathArg | None = None,
    framework: str | None = None,
    reference: PathsArg = None,
    contamination: PathsArg = None,
    embedding_model: str | None = None,
    baseline: PathArg | None = None,
    use_baseline: bool = True,
    cache: bool = True,
    no_cache: bool = False,
    plugins: bool = True,
    progress: bool = False,
    charts: bool = True,
    outputs: Sequence[tuple[str | Path | None, str]] | Callable[..., Sequence[tuple[Path, str]]] = (),
    recursive: bool = False,
    runs: PathsArg = None,
    engine: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    engine_echo: Callable[[str], None] | None = None,
) -> Report:
    """Lint datasets (and a training config), as ``ftlint check`` does, and return the :class:`Report`.

    ::

        import ftlint
        report = ftlint.check("data/train.jsonl", validation="data/val.jsonl", config="train.yaml",
                              select="FT0,FT2")
        report.findings          # ranked: errors first
        report.to_pandas()       # one row per finding
        report.to_json()         # the text of --output-format json
        report.exit_code("warning")
        report                   # in Jupyter: the HTML report, inline

    Every path argument takes one path or a list of them, as ``str`` or ``pathlib.Path``:

    * ``paths``: dataset files, directories or quoted globs (``"data/**/*.jsonl.gz"``; file names
      saying ``val``/``test`` go to that split; ``recursive=True`` searches directories' subfolders);
      with none, the data the training config or the settings name is checked;
    * ``validation``, ``test``: data for those splits (``--validation``, ``--test``);
    * ``config``: the training config (HF/TRL, Axolotl, LLaMA-Factory, torchtune, OpenAI job);
      ``framework`` when detection from its keys is wrong;
    * ``reference``, ``contamination``: a sample of the real task (FT401-FT404) and benchmark files
      that must not leak into training (FT204); ``embedding_model``: a local encoder for FT401-FT403;
    * ``runs``: a finished training run's output directory or log (``--run``; the FT8xx rules),
      alone or with the data and config.

    ``select``, ``ignore``, ``extend_select`` take rule codes, prefixes or names, as a list or a
    comma-separated string (``"FT0,FT201"``, ``"ALL"``). ``settings`` is a
    :class:`~ftlint.settings.Settings`, the path of a settings file (``ftlint.toml``,
    ``pyproject.toml``), or None: the settings file found from the working directory, as the
    command line finds it (a Settings object passed in is not modified). ``baseline`` is a baseline
    file (default: ``.ftlint-baseline.json`` in the project root when present; ``use_baseline=False``
    ignores it). ``cache=False`` neither reads nor writes ``.ftlint_cache/`` (``no_cache=True`` is
    the same). ``plugins=False`` loads no third-party rule packs. ``engine`` ("local", "dask" or
    "none"; ``workers``, ``scheduler``: ``--engine``, ``--workers``, ``--scheduler``) runs the per-row
    work on that engine (:mod:`ftlint.backend`; the findings are the same; by default ``local`` from
    ``backend.AUTO_ROWS`` rows, in-process below); ``engine_echo``
    receives its one-line messages (the dashboard address, warnings).

    For the command line: ``progress`` (progress on stderr), ``charts`` (the HTML report's plot
    data; keep it on for ``report.to_html()``), ``outputs`` (files the caller will write, refused
    if they are inputs: see :func:`run`).

    Raises :class:`~ftlint.errors.FtlintError` for unusable input (the command line's exit code 2),
    one of: :class:`~ftlint.errors.InputError` (a missing path, a file that is not text),
    :class:`~ftlint.errors.FormatError` (records whose format cannot be recognised),
    :class:`~ftlint.errors.SettingsError` (invalid settings, an unparseable training config),
    :class:`~ftlint.errors.UsageError` (an unknown rule selector, a bad argument),
    :class:`~ftlint.errors.PluginError` (clashing or broken rule packs),
    :class:`~ftlint.errors.OutputError` (an output that is one of the inputs). Malformed records in
    a readable file are findings (FT001), not errors.
    """
    if settings is None or isinstance(settings, Settings):
        settings = copy.copy(settings) if settings is not None else load_settings()
    elif isinstance(settings, (str, os.PathLike)):
        settings = load_settings(Path(os.fspath(settings)), discover=False)
    else:
        raise UsageError(f"settings: expected a Settings object or the path of a settings file, "
                         f"not {type(settings).__name__}")
    return run(
        _paths(paths, "paths"),
        validation=_paths(validation, "validation"),
        test=_paths(test, "test"),
        contamination=_paths(contamination, "contamination"),
        reference=_paths(reference, "reference"),
        embedding_model=embedding_model,
        progress=progress,
        engine=engine, workers=workers, scheduler=scheduler, engine_echo=engine_echo,
        config=Path(os.fspath(config)) if config is not None else None,
        framework=framework,
        settings=settings,
        select=_selectors(select, "select"),
        extend_select=_selectors(extend_select, "extend_select"),
        ignore=_selectors(ignore, "ignore"),
        no_cache=no_cache or not cache,
        plugins=plugins,
        baseline=Path(os.fspath(baseline)) if baseline is not None else None,
        use_baseline=use_baseline,
        charts=charts,
        outputs=outputs,
        recursive=recursive,
        runs=_paths(runs, "runs"),
    )[0]
