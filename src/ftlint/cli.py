"""The command line: thin — parse, call the API, print, exit 0/1/2."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from ftlint._version import __version__
from ftlint.errors import FtlintError, UsageError
from ftlint.training.plan import FRAMEWORKS

P = ParamSpec("P")
R = TypeVar("R")

class _DataPath(click.ParamType):
    """A dataset path: a local path (``pathlib.Path``), or a URL kept as written (``s3://bucket/data/``,
    ``https://...?X-Amz-Signature=...``: a Path would fold its ``//`` and drop a trailing ``/``)."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ftlint.urls import is_hf_url, is_remote

        text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else str(value)
        return text if is_remote(text) or is_hf_url(text) else Path(text)


DATA_PATH = _DataPath()

OUTPUT_FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab", "junit", "markdown", "html")


def _fail(message: str) -> NoReturn:
    from ftlint.printable import (
        printable,  # a path or key from the input: no control character
    )

    click.echo(f"ftlint: error: {printable(message)}", err=True)
    sys.exit(2)


def _split_selectors(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _parse_report(value: str) -> tuple[str, Path]:
    fmt, sep, path = value.partition(":")
    if not sep or not path or fmt not in OUTPUT_FORMATS + ("text",):
        raise UsageError(f"--report {value!r}: expected FORMAT:PATH with FORMAT one of {', '.join(OUTPUT_FORMATS)}")
    return fmt, Path(path)


def _guard(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn user errors into a located one-line message and exit 2; never a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except FtlintError as e:
            _fail(e.located())
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("ftlint: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader went away (`ftlint rules | head`): stop quietly, as other Unix tools do;
            # point stdout at devnull so the interpreter's final flush cannot raise again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)
        except MemoryError:
            _fail("out of memory; check fewer rows at a time or a smaller selection of rules")
        except Exception as e:  # a bug in ftlint itself: one line, exit 2, the trace only on request
            if os.environ.get("FTLINT_DEBUG"):
                raise
            _fail(f"internal error: {type(e).__name__}: {e} (this is a bug in ftlint; "
                  "rerun with FTLINT_DEBUG=1 for the traceback and report it)")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ftlint")
def main() -> None:
    """ftlint: a pre-flight linter for LLM fine-tuning projects.

    Catches the mistakes that waste a fine-tuning run before it starts: too few examples,
    duplicates, broken records, conflicting labels, train/validation leakage, training-config
    traps. Run `ftlint check data/train.jsonl` to start.
    """


@main.command()
@click.argument("paths", nargs=-1, type=DATA_PATH)
@click.option("--validation", "validation", multiple=True, type=DATA_PATH,
              help="Validation data (repeatable). Files named *val*/*dev*/*eval* are inferred.")
@click.option("--test", "test", multiple=True, type=DATA_PATH,
              help="Test data (repeatable). Files named *test* are inferred.")
@click.option("--contamination", "contamination", multiple=True, type=DATA_PATH,
              help="A benchmark or held-out file that must not leak into training (repeatable; FT204).")
@click.option("--reference", "reference", multiple=True, type=DATA_PATH,
              help="A sample of the real task: production prompts, the eval set (repeatable; FT401-FT404).")
@click.option("--embedding-model", "embedding_model", metavar="NAME_OR_PATH",
              help="A local transformers encoder (folder or hub id in the local cache) for FT401-FT403 "
                   "[default: built-in TF-IDF].")
@click.option("--sensitive", "sensitive", multiple=True, metavar="COLUMN",
              help="A column holding a sensitive attribute for the fairness rules (repeatable; replaces the "
                   "settings' sensitive = [...]).")
@click.option("--config", "config", type=click.Path(path_type=Path),
              help="The training config (HF/TRL, Axolotl, LLaMA-Factory, torchtune, OpenAI job).")
@click.option("--framework", type=click.Choice(list(FRAMEWORKS)),
              help="Training framework, when detection from the config's keys is wrong.")
@click.option("--run", "runs", multiple=True, type=click.Path(path_type=Path),
              help="A finished training run: its output directory or log (trainer_state.json, trainer_log.jsonl, "
                   "torchtune log, OpenAI result CSV; repeatable). Checks its curves (FT8xx).")
@click.option("--settings", "settings_path", type=click.Path(path_type=Path),
              help="ftlint's own settings file (default: discovered ftlint.toml / pyproject.toml).")
@click.option("--isolated", is_flag=True, help="Ignore all settings files.")
@click.option("-r", "--recursive", is_flag=True,
              help="Search directories among PATHS with their subfolders (a datasets save_to_disk folder is "
                   "read whole).")
@click.option("--download", is_flag=True,
              help="Fetch Hugging Face Hub datasets that are not in the local Hugging Face cache into it "
                   "(needs huggingface_hub: pip install 'ftlint[hub]'); without it, only the cache is read.")
@click.option("--skip-non-datasets", is_flag=True,
              help="Skip PATHS that are not dataset files instead of failing (for pre-commit's file lists).")
@click.option("--select", multiple=True, help="Rules to enable: codes, prefixes (FT2), names, or ALL.")
@click.option("--extend-select", multiple=True, help="Rules to enable on top of the selection.")
@click.option("--ignore", multiple=True, help="Rules to disable.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never", "high", "medium", "low"],
                                             case_sensitive=False),
              envvar="FTLINT_FAIL_ON", help="Exit 1 when a finding is at or above this severity [default: error].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (exit 2 still reports unusable input).")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS + ("text",)), envvar="FTLINT_OUTPUT_FORMAT",
              help="Output format [default: full].")
@click.option("-o", "--output-file", type=click.Path(path_type=Path), envvar="FTLINT_OUTPUT_FILE",
              help="Write the report to this file instead of stdout.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:PATH",
              help="Also write the report in FORMAT to PATH (repeatable), e.g. --report sarif:ftlint.sarif.")
@click.option("--statistics", is_flag=True, help="Show counts per rule.")
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path),
              help="Report only findings not in this baseline [default: .ftlint-baseline.json if present].")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline file.")
@click.option("--write-baseline", type=click.Path(path_type=Path), hidden=True)
@click.option("--no-cache", is_flag=True, help="Do not read or write .ftlint_cache/.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Where to keep the cache.")
@click.option("--engine", type=click.Choice(["local", "dask", "none"]), default=None,
              help="Where the per-row work runs: local (a process pool sized to the cores; the default from "
                   "50,000 rows), dask (a LocalCluster, or --scheduler; pip install 'ftlint[dask]') or none "
                   "(in-process). Same findings either way.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes of --engine.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Join an existing Dask cluster (tcp://host:8786) instead of starting one; implies --engine dask.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when there are no findings.")
@click.option("-v", "--verbose", is_flag=True, help="Show where the time went.")
@_guard
def check(paths: tuple[Path, ...], validation: tuple[Path, ...], test: tuple[Path, ...],
          contamination: tuple[Path, ...], reference: tuple[Path, ...], embedding_model: str | None,
          sensitive: tuple[str, ...], config: Path | None,
          framework: str | None, runs: tuple[Path, ...], settings_path: Path | None, isolated: bool,
          recursive: bool, download: bool,
          skip_non_datasets: bool, select: tuple[str, ...],
          extend_select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None, exit_zero: bool,
          output_format: str | None, output_file: Path | None, reports: tuple[str, ...], statistics: bool,
          baseline_path: Path | None, no_baseline: bool, write_baseline: Path | None, no_cache: bool,
          cache_dir: Path | None, engine: str | None, workers: int | None, scheduler: str | None,
          color: str, quiet: bool, verbose: bool) -> None:
    """Lint dataset files (and a training config) before training.

    PATHS are dataset files (.jsonl .json .csv .tsv .parquet .arrow; the text formats also as .gz
    .bz2 .xz .zst), directories of them, datasets save_to_disk folders, quoted patterns
    ('data/**/*.jsonl.gz'), or Hugging Face Hub datasets in the local Hugging Face cache
    (hf://datasets/ORG/NAME[@REVISION][/PATH]), or remote files, prefixes and patterns
    (s3://, gs://, az://, https://; pip install 'ftlint[remote]'). With no PATHS, the datasets named in the settings
    ([dataset] train = [...]) are checked.
    After a run, --run outputs/ checks its logs' curves (FT8xx), alone or with the data and config.
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 unusable input or a failed rule.
    """
    from ftlint.api import check as run_check
    from ftlint.printable import printable
    from ftlint.reporters import RenderOptions, get_chunks
    from ftlint.settings import load_settings, parse_fail_on

    settings = load_settings(settings_path, discover=not isolated) if not (isolated and not settings_path) \
        else load_settings(None, discover=False)
    if fail_on:
        settings.fail_on = parse_fail_on(fail_on)
    if exit_zero:
        settings.fail_on = None
    if cache_dir:
        settings.cache_dir = cache_dir
    if download:
        settings.hub = "download"
    if sensitive:
        settings.sensitive = _split_selectors(sensitive)
    if _split_selectors(select):
        # CLI flags override all (ruff's layering): `--select X` replaces the settings' whole
        # selection, so their ignore / extend-select cannot silently drop or add rules to it
        settings.ignore = []
        settings.extend_select = []
    fmt = output_format or settings.output_format or "full"
    if fmt not in OUTPUT_FORMATS + ("text",):
        raise UsageError(f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}")
    extra_reports = [_parse_report(r) for r in reports]
    if skip_non_datasets and paths:
        from ftlint.data.load import is_dataset_file, is_glob
        from ftlint.runs.detect import is_run_dir

        paths = tuple(p for p in paths if (p.is_dir() and not is_run_dir(p)) or is_dataset_file(p)
                      or (not p.exists() and is_glob(p)))
        if not paths and not runs:
            if not quiet:
                click.echo("ftlint: no dataset files among the given paths; nothing to check", err=True)
            sys.exit(0)
    report = run_check(
        list(paths), validation=list(validation), test=list(test), contamination=list(contamination),
        reference=list(reference), embedding_model=embedding_model,
        progress=not quiet and sys.stderr.isatty(),
        engine=engine, workers=workers, scheduler=scheduler,
        engine_echo=None if quiet else (lambda m: click.echo(f"ftlint: {m}", err=True)),
        config=config, framework=framework, settings=settings, select=_split_selectors(select) or None,
        extend_select=_split_selectors(extend_select),
        ignore=_split_selectors(ignore), no_cache=no_cache, recursive=recursive, runs=list(runs),
        baseline=baseline_path, use_baseline=not no_baseline and write_baseline is None,
        charts=fmt == "html" or any(rfmt == "html" for rfmt, _ in extra_reports),
        outputs=[(output_file, "the report (-o)"), (write_baseline, "the baseline"),
                 *((rpath, f"the {rfmt} report (--report)") for rfmt, rpath in extra_reports)],
    )
    if write_baseline is not None:
        from ftlint.suppress import baseline_summary
        from ftlint.suppress import write_baseline as write

        try:
            n = write(report, write_baseline)
        except OSError as e:
            raise UsageError(f"cannot write the baseline to {write_baseline}: {e.strerror or e}") from None
        click.echo(f"ftlint: {baseline_summary(report, n, write_baseline)}", err=True)
        sys.exit(2 if report.failed_rules else 0)
    if color == "auto":
        use_color = output_file is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    else:
        use_color = color == "always"
    fail_label = settings.fail_on.label if settings.fail_on else "never"
    options = RenderOptions(color=use_color, fail_on=fail_label, verbose=verbose, statistics=statistics)
    code = report.exit_code(settings.fail_on)
    # each report written as it is made, a piece at a time (the JSON of a finding that lists tens
    # of thousands of rows is never held whole)
    if output_file is not None:
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            with output_file.open("w", encoding="utf-8") as out:
                out.writelines(get_chunks(fmt)(report, options))
        except OSError as e:
            raise UsageError(f"cannot write the report: {e.strerror or e}") from None
    for rfmt, rpath in extra_reports:
        try:
            rpath.parent.mkdir(parents=True, exist_ok=True)
            with rpath.open("w", encoding="utf-8") as out:
                out.writelines(get_chunks(rfmt)(report, RenderOptions(color=False, fail_on=fail_label)))
        except OSError as e:
            raise UsageError(f"cannot write the {rfmt} report to {rpath}: {e.strerror or e}") from None
    if output_file is None and not (quiet and not report.findings and code == 0):
        # color=: click.echo strips ANSI codes when stdout is not a TTY, which would make
        # --color always a no-op in CI logs and pipes
        for piece in get_chunks(fmt)(report, options):
            click.echo(piece, nl=False, color=use_color)
    for note in report.notes:
        click.echo(f"ftlint: error: {printable(note)}", err=True)
    sys.exit(code)


@main.command("baseline", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                            "help_option_names": ["-h", "--help"]})
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), default=None,
              help="Where to write it [default: .ftlint-baseline.json, or the settings' baseline].")
@click.pass_context
def baseline_cmd(ctx: click.Context, output: Path | None) -> None:
    """Accept the current findings: write them to the baseline file, so that `ftlint check`
    reports only new ones (and says how many it suppressed). Takes the same arguments as
    `ftlint check` (paths, --validation, --config, --select, ...). Entries you add by hand under
    "manually_suppressed" are kept when it is regenerated."""
    if output is None:
        from ftlint.settings import load_settings
        from ftlint.suppress import BASELINE_NAME

        try:
            settings = load_settings()
        except FtlintError as e:
            _fail(e.located())
        output = settings.baseline or (settings.root / BASELINE_NAME)
    check.main(args=[*ctx.args, "--write-baseline", str(output)], prog_name="ftlint baseline")


@main.command("fix")
@click.argument("paths", nargs=-1, type=DATA_PATH)
@click.option("--validation", "validation", multiple=True, type=DATA_PATH,
              help="Validation data (repeatable), as for `ftlint check`.")
@click.option("--test", "test", multiple=True, type=DATA_PATH, help="Test data (repeatable).")
@click.option("--contamination", "contamination", multiple=True, type=DATA_PATH,
              help="A benchmark file: training rows sharing text with it are dropped (FT204; repeatable).")
@click.option("--config", "config", type=click.Path(path_type=Path),
              help="The training config; a patched copy is written next to the data.")
@click.option("--framework", type=click.Choice(list(FRAMEWORKS)),
              help="Training framework, when detection from the config's keys is wrong.")
@click.option("--settings", "settings_path", type=click.Path(path_type=Path), help="ftlint's own settings file.")
@click.option("--isolated", is_flag=True, help="Ignore all settings files.")
@click.option("-r", "--recursive", is_flag=True, help="Search directories among PATHS with their subfolders.")
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("ftlint-fixed"),
              show_default=True, help="Where the repaired files go (never over an input file).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the carved validation split.")
@click.option("--validation-fraction", type=click.FloatRange(0, 0.5, min_open=True), default=0.1,
              show_default=True, help="Share of the training rows carved into a validation file when there is none.")
@click.option("--leaked-from", type=click.Choice(["validation", "train"]), default="validation", show_default=True,
              help="Remove rows shared by train and a held-out split (FT203) from the held-out side or from train.")
@click.option("--no-split", is_flag=True, help="Do not carve a validation file.")
@click.option("--no-weights", is_flag=True, help="Do not write group-rebalancing weights (FT501/FT502).")
@click.option("--weight-column", default="sample_weight", show_default=True,
              help="Name of the per-example weight column.")
@click.option("--no-config", is_flag=True, help="Do not write a patched training config.")
@click.option("--no-cache", is_flag=True, help="Do not read or write .ftlint_cache/.")
@_guard
def fix_cmd(paths: tuple[Path, ...], validation: tuple[Path, ...], test: tuple[Path, ...],
            contamination: tuple[Path, ...], config: Path | None,
            framework: str | None, settings_path: Path | None, isolated: bool, recursive: bool, output_dir: Path,
            seed: int,
            validation_fraction: float, leaked_from: str, no_split: bool, no_weights: bool, weight_column: str,
            no_config: bool, no_cache: bool) -> None:
    """Write repaired copies of the data and training config to --output-dir: unreadable, empty,
    duplicate and leaked rows dropped (the first of each duplicate group kept), a seeded
    validation split carved when there is none (stratified by label), group-rebalancing weights
    as a column, and a training config that evaluates and stops early. Input files are never
    modified. Takes the same inputs as `ftlint check`."""
    from ftlint.fix import FixOptions, fix, lint_for_fix, render
    from ftlint.printable import printable
    from ftlint.settings import load_settings

    settings = load_settings(settings_path, discover=not isolated)
    options = FixOptions(output_dir=output_dir, seed=seed, validation_fraction=validation_fraction,
                         choices={"leaked-from": leaked_from}, carve=not no_split, weights=not no_weights,
                         weight_column=weight_column, patch_config=not no_config)
    report, ctx = lint_for_fix(list(paths), validation=list(validation), test=list(test),
                               contamination=list(contamination), config=config,
                               framework=framework, settings=settings, no_cache=no_cache, options=options,
                               recursive=recursive)
    click.echo(printable(render(fix(report, ctx, options)), multiline=True), nl=False)
    for note in report.notes:
        click.echo(f"ftlint: error: {printable(note)}", err=True)
    sys.exit(2 if report.failed_rules else 0)


@main.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("."))
@click.option("--force", is_flag=True, help="Overwrite an existing ftlint.toml.")
@_guard
def init_cmd(directory: Path, force: bool) -> None:
    """Write a starter ftlint.toml for DIRECTORY (default: here) from the datasets and training
    config found in it, and print the pre-commit and GitHub Actions snippets."""
    from ftlint.printable import printable
    from ftlint.starter import init_project

    click.echo(printable(init_project(directory, force=force), multiline=True), nl=False)


@main.command("rules")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--settings", "settings_path", type=click.Path(path_type=Path), help="ftlint's own settings file.")
@_guard
def rules_cmd(output_format: str, settings_path: Path | None) -> None:
    """List every rule: code, name, default severity, source, and whether it is enabled."""
    import orjson

    from ftlint.registry import load_registry, select_rules
    from ftlint.settings import load_settings

    reg = load_registry()
    settings = load_settings(settings_path)
    enabled = {r.code for r in select_rules(reg, settings.select, settings.extend_select, settings.ignore)}
    rows = [
        {"code": r.code, "name": r.name, "severity": r.severity.label, "source": r.source,
         "enabled": r.code in enabled, "default": r.default, "requires": sorted(n.value for n in r.requires),
         "fixable": r.fixable,
         "summary": r.summary}
        for r in sorted(reg.rules, key=lambda r: r.code)
    ]
    if output_format == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    width = max(len(r.name) for r in reg.rules)
    click.echo(f"{'code':<6} {'name':<{width}} {'severity':<8} {'source':<8} {'on':<3} summary")
    for r in rows:
        click.echo(f"{r['code']:<6} {r['name']:<{width}} {r['severity']:<8} {r['source']:<8} "
                   f"{'yes' if r['enabled'] else 'no':<3} {r['summary']}")
    for f in reg.failures:
        click.echo(f"ftlint: warning: plugin '{f.distribution}' failed to load: {f.error}", err=True)


@main.command("rule")
@click.argument("refs", nargs=-1)
@click.option("--all", "all_rules", is_flag=True, help="Every rule.")
@click.option("--output-format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write one Markdown page per rule (CODE.md) here, plus an index README.md.")
@_guard
def rule_cmd(refs: tuple[str, ...], all_rules: bool, output_format: str, output_dir: Path | None) -> None:
    """Explain a rule (by code or name): what it does, why, an example, how to fix, its options."""
    import orjson

    from ftlint.docs import rule_json, rule_markdown, write_rule_pages
    from ftlint.registry import load_registry

    reg = load_registry()
    if output_dir is not None:
        written = write_rule_pages(reg.rules if all_rules or not refs else [_lookup(reg, r) for r in refs],
                                   output_dir)
        click.echo(f"wrote {len(written)} pages to {output_dir}")
        return
    if all_rules:
        chosen = sorted(reg.rules, key=lambda r: r.code)
    elif refs:
        chosen = [_lookup(reg, r) for r in refs]
    else:
        raise UsageError("name a rule (`ftlint rule FT201` or `ftlint rule exact-duplicates`) or pass --all")
    if output_format == "json":
        data = [rule_json(r) for r in chosen]
        click.echo(orjson.dumps(data if len(data) > 1 else data[0], option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo("\n\n".join(rule_markdown(r) for r in chosen), nl=True)


@main.command("sample")
@click.argument("paths", nargs=-1, type=DATA_PATH)
@click.option("--validation", "validation", multiple=True, type=DATA_PATH,
              help="Validation data (repeatable), as for `ftlint check`.")
@click.option("--test", "test", multiple=True, type=DATA_PATH, help="Test data (repeatable).")
@click.option("--split", type=click.Choice(["train", "validation", "test"]), default=None,
              help="The split to sample [default: test if given, else validation, else train].")
@click.option("-n", "--n", "n", type=click.IntRange(min=1), default=100, show_default=True, help="Rows to draw.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed draws the same rows.")
@click.option("--group", metavar="COLUMN",
              help="Stratify by this column too [default: the first sensitive column, or the file].")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("ftlint-sample"),
              show_default=True, help="Where sample.jsonl and sample.csv go.")
@click.option("--settings", "settings_path", type=click.Path(path_type=Path), help="ftlint's own settings file.")
@click.option("--isolated", is_flag=True, help="Ignore all settings files.")
@_guard
def sample_cmd(paths: tuple[Path, ...], validation: tuple[Path, ...], test: tuple[Path, ...], split: str | None,
               n: int, seed: int, group: str | None, output_dir: Path, settings_path: Path | None,
               isolated: bool) -> None:
    """Write a stratified sample (by label, length bucket and group) for human review: JSONL,
    and a CSV with empty columns for the base and the fine-tuned model's outputs and ratings."""
    from ftlint.sample import run_sample
    from ftlint.settings import load_settings

    settings = load_settings(settings_path, discover=not isolated) if not (isolated and not settings_path) \
        else load_settings(None, discover=False)
    chosen, sample, _ = run_sample(paths, validation=validation, test=test, settings=settings, split=split, n=n,
                                   seed=seed, out_dir=output_dir, group=group)
    by = ["label", "length bucket"] + ([sample.group_by] if sample.group_by else [])
    click.echo(f"wrote {len(sample.positions)} {chosen} rows ({len(sample.strata)} strata by {', '.join(by)}; "
               f"seed {seed}) to {output_dir / 'sample.jsonl'} and {output_dir / 'sample.csv'}")


def _lookup(reg: Any, ref: str) -> Any:
    from ftlint.registry import closest

    rule = reg.lookup(ref)
    if rule is None:
        known = [r.code for r in reg.rules] + [r.name for r in reg.rules]
        close = closest(ref, known, cutoff=0.5)
        raise UsageError(f"no rule '{ref}'" + (f"; did you mean '{close[0]}'?" if close else "")
                         + " (see `ftlint rules`)")
    return rule


if __name__ == "__main__":  # pragma: no cover
    main()
