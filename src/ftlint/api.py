"""``check()``: the one entry point the CLI and tests use."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ftlint.cache import CACHE_DIR_NAME, Cache
from ftlint.charts import chart_data
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.load import (
    DATASET_SUFFIXES,
    SPLITS,
    display_path,
    expand_paths,
    infer_split,
    load_dataset_file,
    skipped_files,
)
from ftlint.engine import run_rules
from ftlint.errors import FtlintError, InputError, UsageError
from ftlint.findings import InputInfo, Report, rank
from ftlint.registry import configure, load_registry, rule_tables, select_rules, validate_selectors
from ftlint.settings import Settings, load_settings
from ftlint.suppress import BASELINE_NAME, Baseline, Noqa, Suppressions


def _gather_splits(paths: Sequence[str | Path], validation: Sequence[str | Path], test: Sequence[str | Path],
                   settings: Settings) -> dict[str, list[tuple[Path, str]]]:
    """Which file goes to which split, and why."""
    out: dict[str, list[tuple[Path, str]]] = {s: [] for s in SPLITS}
    explicit = {"validation": list(validation), "test": list(test)}
    if paths:
        for p in expand_paths(paths):
            inferred = infer_split(p)
            if inferred:
                out[inferred[0]].append((p, inferred[1]))
            else:
                out["train"].append((p, "positional path"))
    elif settings.dataset.train:
        out["train"] += [(p, "settings [dataset] train") for p in expand_paths(settings.dataset.train)]
    for split in ("validation", "test"):
        flag = f"--{split}"
        if explicit[split]:
            # an explicit flag replaces whatever the settings say for that split
            out[split] += [(p, flag) for p in expand_paths(explicit[split])]
        else:
            configured = getattr(settings.dataset, split)
            if configured:
                out[split] += [(p, f"settings [dataset] {split}") for p in expand_paths(configured)]
    seen: dict[Path, str] = {}
    for split, files in out.items():
        for p, _ in files:
            rp = p.resolve()
            if rp in seen and seen[rp] != split:
                raise UsageError(f"{display_path(p)} is given as both {seen[rp]} and {split} data")
            seen[rp] = split
        # the same file twice in one split counts once
        uniq: dict[Path, tuple[Path, str]] = {}
        for p, why in files:
            uniq.setdefault(p.resolve(), (p, why))
        out[split] = list(uniq.values())
    return out


def _load_plan(settings: Settings, config: str | Path | None, framework: str | None) -> tuple[Any, InputInfo | None]:
    path = Path(config) if config else settings.training_config
    if path is None:
        return None, None
    from ftlint.training.plan import TrainingConfigError, load_training_config

    try:
        plan = load_training_config(path, framework or settings.framework)
    except TrainingConfigError as e:
        raise FtlintError(e.message if hasattr(e, "message") else str(e),
                          getattr(e, "path", None) or display_path(path), getattr(e, "line", None)) from None
    info = InputInfo(path=display_path(path), role="training_config",
                     extra={"framework": getattr(plan, "framework", None)})
    return plan, info


#: a training config's dataset role -> ftlint's split
_ROLE_SPLIT = {"train": "train", "eval": "validation", "test": "test"}
#: ``load_dataset(<builder>, data_files=...)``: a hub "id" that is really a local-file loader
_FILE_LOADERS = frozenset({"json", "csv", "parquet", "text", "arrow"})


def _not_loadable_reason(ref: Any) -> str:
    """Why ftlint cannot read a dataset the training config names (one sentence)."""
    from ftlint.training.plan import DatasetKind

    if ref.kind is DatasetKind.HUB:
        return (f"a Hugging Face Hub dataset ({ref.hub_id or ref.name}); ftlint reads local files only: "
                "download it and pass the files")
    if ref.kind is DatasetKind.FILE_ID:
        return "an uploaded OpenAI file id; ftlint cannot read it: pass the local JSONL file you uploaded"
    if ref.kind is DatasetKind.BUILDER:
        source = f" from the hub ({ref.hub_id})" if ref.hub_id else ""
        return f"torchtune dataset builder {ref.format or ref.name} loads its data{source}; pass local files"
    if ref.kind is DatasetKind.LOCAL:
        return ref.note or "local file not found"
    return ref.note or "cannot be resolved to a local file"


def _loader_files(ref: Any, plan: Any) -> tuple[list[Path], str | None]:
    """``path: json`` + ``data_files: [...]`` (HF ``load_dataset("json", data_files=...)``): the local
    files, resolved like the trainer would (working directory first, then the config's folder)."""
    if not ref.data_files or (ref.hub_id or ref.name) not in _FILE_LOADERS:
        return [], None
    found: list[Path] = []
    via: str | None = None
    for name in ref.data_files:
        candidate = Path(name).expanduser()
        tries = ([(candidate, "absolute")] if candidate.is_absolute()
                 else [(Path.cwd() / candidate, "cwd"), (Path(plan.path).parent / candidate, "config_dir")])
        hit = next(((p, how) for p, how in tries if p.is_file()), None)
        if hit is None:
            return [], None
        found.append(hit[0])
        via = via or hit[1]
    return found, via


def _config_datasets(plan: Any, assignment: dict[str, list[tuple[Path, str]]]
                     ) -> tuple[dict[str, dict[Path, dict[str, Any]]], list[InputInfo]]:
    """Add the local datasets the training config names to ``assignment`` (for the splits that the
    command line and the settings leave empty); return the input extras of the files added (keyed by
    resolved path) and an input entry for each dataset that cannot be loaded."""
    extras: dict[str, dict[Path, dict[str, Any]]] = {s: {} for s in SPLITS}
    skipped: list[InputInfo] = []
    given = {s for s in SPLITS if assignment[s]}
    taken = {p.resolve(): s for s in SPLITS for p, _ in assignment[s]}
    refs = [*plan.train_datasets, *plan.eval_datasets, *plan.test_datasets]
    for ref in refs:
        split = _ROLE_SPLIT.get(ref.role)
        if split is None or split in given:
            continue  # the command line / settings name this split: they take precedence
        key = ref.provenance.key if ref.provenance else None
        where = f"training config {key}" if key else "training config"
        files: list[Path] = []
        via = ref.resolved_via
        reason = ""
        if ref.loadable:
            try:
                files = expand_paths([ref.path]) if ref.path.is_dir() else [ref.path]
            except InputError as e:
                reason = e.message
            else:
                bad = [f for f in files if not f.name.lower().endswith(DATASET_SUFFIXES)]
                if bad:
                    files = []
                    reason = (f"{display_path(bad[0])} is not a dataset file ftlint reads "
                              f"({', '.join(DATASET_SUFFIXES)})")
        else:
            files, via = _loader_files(ref, plan)
            if not files:
                reason = _not_loadable_reason(ref)
        for f in files:
            other = taken.get(f.resolve())
            if other is not None and other != split:
                reason = f"the same file is already read as {other} data"
                files = []
                break
        if not files:
            extra: dict[str, Any] = {"loadable": False, "reason": reason, "from_config": True}
            if key:
                extra["config_key"] = key
            if ref.split and ref.kind.value in ("hub", "builder"):
                extra["dataset_split"] = ref.split
            shown = (ref.hub_id or ref.name) if ref.kind.value == "hub" else ref.name
            skipped.append(InputInfo(path=shown,
                                     role="dataset", split=split, format=None, records=None,
                                     split_source=where, extra=extra))
            continue
        for f in files:
            rp = f.resolve()
            if rp in taken:
                continue
            taken[rp] = split
            assignment[split].append((f, f"{where} (resolved via {via})" if via else where))
            extra = {"from_config": True, "resolved_via": via}
            if key:
                extra["config_key"] = key
            extras[split][rp] = extra
    return extras, skipped


def _suppressions(settings: Settings, plan: Any, baseline: str | Path | None, use_baseline: bool) -> Suppressions:
    """Baseline (``--baseline``, the settings' ``baseline``, or ``.ftlint-baseline.json`` in the project
    root when present), ``# ftlint: noqa`` comments in the training config, per-file-ignores."""
    base: Baseline | None = None
    if use_baseline:
        path = Path(baseline) if baseline else settings.baseline
        if path is None and (settings.root / BASELINE_NAME).is_file():
            path = settings.root / BASELINE_NAME
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
    datasets = {p.resolve(): split for split, files in assignment.items() for p, _ in files}
    out: list[Dataset] = []
    for p in expand_paths(settings.contamination, "contamination"):
        split = datasets.get(p.resolve())
        if split is not None:
            raise UsageError(f"{display_path(p)} is given as both {split} data and a contamination file")
        ds = load_dataset_file(p, "contamination", source, None, None, cache)
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
    datasets = {p.resolve(): split for split, files in assignment.items() for p, _ in files}
    parts: list[Dataset] = []
    for p in expand_paths(settings.reference, "reference"):
        split = datasets.get(p.resolve())
        if split is not None:
            raise UsageError(f"{display_path(p)} is given as both {split} data and the reference sample")
        try:
            ds = load_dataset_file(p, "reference", source, None, None, cache)
        except FormatError:
            ds = None
            for key in REFERENCE_TEXT_KEYS:
                try:
                    ds = load_dataset_file(p, "reference", source, {"text": key}, "text", cache)
                except FormatError:
                    continue
                if len(ds) and any(t and t[0].strip() for t in ds.texts):
                    break
                ds = None
            if ds is None:
                raise
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

    try:
        ctx.embedding_model()
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
    plugins: bool = True,
    baseline: str | Path | None = None,
    use_baseline: bool = True,
    charts: bool = True,
) -> tuple[Report, Context]:
    """Lint datasets (and a training config): the ranked :class:`Report` and the run's
    :class:`Context` (its datasets, plan and memoised features: what ``ftlint fix`` repairs from).

    Raises :class:`~ftlint.errors.FtlintError` for unusable input (exit code 2).
    """
    t_start = time.perf_counter()
    settings = settings if settings is not None else load_settings()
    if contamination:  # --contamination replaces the settings' list
        settings.contamination = [Path(p) for p in contamination]
    if reference:  # --reference replaces the settings' list
        settings.reference = [Path(p) for p in reference]
    if embedding_model:
        settings.embedding_model = embedding_model
    if select is not None:
        settings.select = select
    if extend_select:
        settings.extend_select = [*settings.extend_select, *extend_select]
    if ignore:
        settings.ignore = [*settings.ignore, *ignore]

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
    assignment = _gather_splits(paths, validation, test, settings)
    plan, plan_info = _load_plan(settings, config, framework)
    from_config: dict[str, dict[Path, dict[str, Any]]] = {s: {} for s in SPLITS}
    not_loaded: list[InputInfo] = []
    if plan is not None:
        from_config, not_loaded = _config_datasets(plan, assignment)
    datasets: dict[str, Dataset] = {}
    inputs: list[InputInfo] = []
    mapping = settings.dataset.columns
    for split in SPLITS:
        parts = []
        for p, why in assignment[split]:
            extra = from_config[split].get(p.resolve())
            try:
                parts.append(load_dataset_file(p, split, why, mapping, settings.dataset.format, cache))
            except FtlintError as e:
                if extra is None:
                    raise
                # a file the training config names but ftlint cannot read: listed, not fatal
                not_loaded.append(InputInfo(path=display_path(p), role="dataset", split=split, records=None,
                                            split_source=why, extra={**extra, "loadable": False,
                                                                     "reason": e.message}))
        if parts:
            datasets[split] = Dataset.concat(split, parts)
            for f in datasets[split].files:
                inputs.append(InputInfo(path=f.path, role="dataset", split=split, format=f.format,
                                        records=f.records, split_source=f.split_source,
                                        extra=dict(from_config[split].get(Path(f.abspath), {}))))
    inputs.extend(not_loaded)
    if not datasets and plan is None:
        raise UsageError("no dataset given: pass dataset files or directories (`ftlint check data/train.jsonl`), "
                         "or set [dataset] train = [\"...\"] in ftlint.toml")
    if plan_info is not None:
        inputs.append(plan_info)
    contamination_sets = _load_contamination(settings, assignment, cache, inputs,
                                             "--contamination" if contamination else "settings contamination")
    reference_set = _load_reference(settings, assignment, cache, inputs,
                                    "--reference" if reference else "settings reference")
    load_seconds = time.perf_counter() - t0

    ctx = Context(datasets, settings, cache, plan=plan, reference=reference_set)
    ctx.progress = progress
    _check_embedding_model(ctx, rules, from_cli=bool(embedding_model))
    ctx.notices = [f"plugin '{f.distribution}' ({f.name}) failed to load: {f.error}" for f in reg.failures]
    ctx.skipped_inputs = skipped_files([*(paths or settings.dataset.train),
                                        *(validation or settings.dataset.validation), *(test or settings.dataset.test)])
    ctx.contamination = contamination_sets
    # personal data and secrets are masked in every report, whichever rules are selected (FT701/FT702)
    from ftlint.features.pii import privacy_redaction

    redaction = privacy_redaction()
    result = run_rules(rules, ctx, redaction, _suppressions(settings, plan, baseline, use_baseline))
    if "train" in datasets:  # what ftlint takes the task to be (FT613/FT615), shown with the training data
        next(i for i in inputs if i.role == "dataset" and i.split == "train").extra["task"] = ctx.task().as_json()
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
        # plots' data for the HTML report (``charts=False`` when no HTML is written: the CLI knows): O(n),
        # never raises; masked like the findings (a column of e-mail addresses is a group column too)
        charts=redaction.deep(chart_data(ctx)) if charts else {},
    )
    return report, ctx


def check(paths: Sequence[str | Path] = (), **kwargs: Any) -> Report:
    """Lint datasets (and a training config) and return the ranked :class:`Report` (the
    arguments are :func:`run`'s).

    Raises :class:`~ftlint.errors.FtlintError` for unusable input (exit code 2).
    """
    return run(paths, **kwargs)[0]
