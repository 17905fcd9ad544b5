"""``check()``: the one entry point the CLI and tests use."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ftlint.cache import CACHE_DIR_NAME, Cache
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.load import SPLITS, display_path, expand_paths, infer_split, load_dataset_file
from ftlint.engine import run_rules
from ftlint.errors import FtlintError, UsageError
from ftlint.findings import InputInfo, Redaction, Report, rank
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


def check(
    paths: Sequence[str | Path] = (),
    *,
    validation: Sequence[str | Path] = (),
    test: Sequence[str | Path] = (),
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
) -> Report:
    """Lint datasets (and a training config) and return the ranked :class:`Report`.

    Raises :class:`~ftlint.errors.FtlintError` for unusable input (exit code 2).
    """
    t_start = time.perf_counter()
    settings = settings if settings is not None else load_settings()
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
    datasets: dict[str, Dataset] = {}
    inputs: list[InputInfo] = []
    mapping = settings.dataset.columns
    for split in SPLITS:
        parts = [load_dataset_file(p, split, why, mapping, settings.dataset.format, cache)
                 for p, why in assignment[split]]
        if parts:
            datasets[split] = Dataset.concat(split, parts)
            for f in datasets[split].files:
                inputs.append(InputInfo(path=f.path, role="dataset", split=split, format=f.format,
                                        records=f.records, split_source=f.split_source))
    if not datasets and plan is None:
        raise UsageError("no dataset given: pass dataset files or directories (`ftlint check data/train.jsonl`), "
                         "or set [dataset] train = [\"...\"] in ftlint.toml")
    if plan_info is not None:
        inputs.append(plan_info)
    load_seconds = time.perf_counter() - t0

    ctx = Context(datasets, settings, cache, plan=plan)
    ctx.notices = [f"plugin '{f.distribution}' ({f.name}) failed to load: {f.error}" for f in reg.failures]
    result = run_rules(rules, ctx, Redaction(), _suppressions(settings, plan, baseline, use_baseline))
    timings = {"load": round(load_seconds, 4), **{k: round(v, 4) for k, v in ctx.timings.items()}}
    for o in result.outcomes:
        timings[f"rule {o.code}"] = o.seconds
    timings["total"] = round(time.perf_counter() - t_start, 4)
    return Report(
        findings=rank(result.findings),
        outcomes=result.outcomes,
        inputs=inputs,
        suppressed=result.suppressed,
        timings=timings,
        notes=result.errors,
        rules=[type(r) for r in rules],
    )
