"""ftlint's own settings: discovery, precedence and validation.

Precedence: CLI flags > ``--settings PATH`` > ``.ftlint.toml`` > ``ftlint.toml`` >
``pyproject.toml [tool.ftlint]`` (the closest found walking up from the working directory) >
defaults. ``--config`` always names the *training* config, never this file.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlint.errors import SettingsError
from ftlint.model import Severity

SETTINGS_FILES = (".ftlint.toml", "ftlint.toml", "pyproject.toml")

TOP_LEVEL_KEYS = {
    "select": "rule selectors to enable (codes, prefixes like FT2, names, or ALL)",
    "ignore": "rule selectors to disable",
    "extend-select": "selectors added to the base selection",
    "fail-on": "lowest severity that makes the exit code 1: error, warning, info or never",
    "dataset": "dataset paths per split, format and column mapping",
    "rules": "per-rule tables keyed by rule name (or code): severity and options",
    "cache": "use the .ftlint_cache directory (true/false)",
    "cache-dir": "where the cache lives (default .ftlint_cache next to the settings)",
    "output-format": "default output format",
    # reserved for later parts of ftlint; accepted and validated for type now
    "training-config": "path to the training config (same as --config)",
    "framework": "training framework override (hf, trl, axolotl, llamafactory, torchtune, openai)",
    "reference": "path(s) to a reference sample of the real task",
    "contamination": "benchmark or held-out files that must not leak into training",
    "sensitive": "columns holding sensitive attributes for fairness checks",
    "lexicons": "term lexicons of the text audit (FT503/FT504): name = path of a TOML file, or true/false",
    "embedding-model": "local path or hub id of the encoder for relevance checks",
    "embedding-sample": "rows per side the embedding model encodes (a seeded sample; default 2000)",
    "task": "the task type, when ftlint should not infer it",
    "baseline": "path to the baseline file of accepted findings",
    "per-file-ignores": "map of path glob to rule selectors to ignore there",
    "hub": 'Hugging Face Hub datasets: "cache" (read the local Hugging Face cache only; default) or "download" '
           "(fetch what is missing into it; same as --download)",
    "run": "finished training runs to check (output directories or log files; same as --run)",
    "engine": 'where the per-row work runs: name = "local", "dask" or "none" (default: local from 50,000 rows), '
              'workers, scheduler ("tcp://host:8786"), partition-size (bytes or "64MB"); same as '
              '--engine/--workers/--scheduler',
}
ENGINE_KEYS = ("name", "workers", "scheduler", "partition-size")
HUB_MODES = ("cache", "download")
DATASET_KEYS = {"train", "validation", "test", "format", "columns"}
SPLIT_KEYS = ("train", "validation", "test")
FAIL_ON_VALUES = ("error", "warning", "info", "never", "high", "medium", "low")


@dataclass
class DatasetSettings:
    train: list[Path] = field(default_factory=list)
    validation: list[Path] = field(default_factory=list)
    test: list[Path] = field(default_factory=list)
    format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class EngineSettings:
    """``[engine]``: None (the default: ``local`` for a check of at least ``backend.AUTO_ROWS``
    rows, in-process below), "local", "dask" or "none" (in-process)."""

    name: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    #: bytes, or None: the engine's default (``backend.PARTITION_SIZE``)
    partition_size: int | None = None


def parse_size(value: Any) -> int | None:
    """Bytes from an int or a string like "64MB", "1.5GiB", "500k"; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    import re

    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?b?)\s*", value.lower())
    if not m:
        return None
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2)]
    n = int(float(m.group(1)) * scale)
    return n if n > 0 else None


@dataclass
class Settings:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    fail_on: Severity | None = Severity.ERROR
    dataset: DatasetSettings = field(default_factory=DatasetSettings)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache: bool = True
    cache_dir: Path | None = None
    output_format: str | None = None
    training_config: Path | None = None
    framework: str | None = None
    reference: list[Path] = field(default_factory=list)
    contamination: list[Path] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)
    #: [lexicons]: name -> a lexicon file (replaces or, with extend = true, extends the built-in) or on/off
    lexicons: dict[str, Path | bool] = field(default_factory=dict)
    embedding_model: str | None = None
    #: rows per set (train, reference, ...) the transformers encoder embeds (TF-IDF embeds every row)
    embedding_sample: int = 2000
    task: str | None = None
    baseline: Path | None = None
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    #: hub datasets: "cache" (the local Hugging Face cache only) or "download" (fetch what is missing)
    hub: str = "cache"
    #: finished training runs (output directories or log files) for the FT8xx rules (``--run``)
    runs: list[Path] = field(default_factory=list)
    #: [engine] (``--engine``): where the per-row work runs
    engine: EngineSettings = field(default_factory=EngineSettings)
    #: the settings file these came from (None: defaults only) and the project root
    source: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    #: line of each key in the settings file, for located errors
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


def parse_fail_on(value: str, where: str = "--fail-on") -> Severity | None:
    v = str(value).strip().lower()
    if v == "never":
        return None
    try:
        return Severity.parse(v)
    except ValueError:
        raise SettingsError(f"{where}: invalid value {value!r}; expected one of {', '.join(FAIL_ON_VALUES)}") \
            from None


def find_settings_file(start: Path | None = None) -> Path | None:
    """The closest settings file walking up from ``start`` (the working directory)."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in SETTINGS_FILES:
            p = d / name
            if not p.is_file():
                continue
            if name == "pyproject.toml":
                try:
                    text = p.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                try:
                    data = tomllib.loads(text)
                except tomllib.TOMLDecodeError:
                    # a broken pyproject without our table is not ours to report; with it, it is
                    # (load_settings then gives the located TOML error instead of silent defaults)
                    if re.search(r"^\s*\[\s*tool\s*\.\s*\"?ftlint\"?\s*[\].]", text, re.MULTILINE):
                        return p
                    continue
                if "ftlint" not in data.get("tool", {}):
                    continue
            return p
    return None


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _key_lines(text: str) -> dict[str, int]:
    """A rough map from key (and dotted table header) to its first line, for located messages."""
    out: dict[str, int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]$", s)
        if m:
            table = m.group(1).replace('"', "")
            if table.startswith("tool.ftlint"):
                table = table[len("tool.ftlint"):].lstrip(".")
            out.setdefault(table, n)
            continue
        m = re.match(r'^("?[A-Za-z0-9_.\-]+"?)\s*=', s)
        if m:
            key = m.group(1).strip('"')
            out.setdefault(f"{table}.{key}" if table else key, n)
    return out


def load_settings(path: Path | None = None, discover: bool = True) -> Settings:
    """Load settings from ``path`` (``--settings``), or discover them, or return defaults."""
    if path is None and discover:
        path = find_settings_file()
    if path is None:
        return Settings()
    shown = str(path)
    if not path.is_file():
        raise SettingsError("settings file not found", shown)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read settings file: {e}", shown) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        raise SettingsError(f"invalid TOML: {e}", shown, int(m.group(1)) if m else None) from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("ftlint", {})
    lines = _key_lines(text)
    s = settings_from_dict(data, path.parent.resolve(), shown, lines)
    s.source = path
    return s


def settings_from_dict(data: dict[str, Any], root: Path, shown: str = "settings",
                       lines: dict[str, int] | None = None) -> Settings:
    """Validate a settings mapping (TOML keys, ``-`` separated) into :class:`Settings`."""
    lines = lines or {}
    s = Settings(root=root, lines=lines)

    def err(msg: str, key: str) -> SettingsError:
        return SettingsError(msg, shown, lines.get(key))

    def str_list(key: str, v: Any) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return list(v)
        raise err(f"'{key}' must be a string or a list of strings", key)

    def path_list(key: str, v: Any) -> list[Path]:
        from ftlint.urls import is_hf_url, is_remote

        # a URL (s3://, https://, ...: ftlint.remote; hf://datasets/...: the Hugging Face cache) stays as
        # written; a path is relative to the settings file
        return [p if is_remote(p) or is_hf_url(p) else (root / p)  # type: ignore[misc]
                for p in str_list(key, v)]

    def one_str(key: str, v: Any) -> str:
        if not isinstance(v, str):
            raise err(f"'{key}' must be a string", key)
        return v

    for key, value in data.items():
        if key not in TOP_LEVEL_KEYS:
            alt = key.replace("_", "-")
            hint = f"; did you mean '{alt}'?" if alt in TOP_LEVEL_KEYS else _suggest(key, list(TOP_LEVEL_KEYS))
            raise err(f"unknown setting '{key}'{hint}", key)
        if key == "select":
            s.select = str_list(key, value)
        elif key == "ignore":
            s.ignore = str_list(key, value)
        elif key == "extend-select":
            s.extend_select = str_list(key, value)
        elif key == "fail-on":
            s.fail_on = parse_fail_on(one_str(key, value), f"{shown}: fail-on")
        elif key == "cache":
            if not isinstance(value, bool):
                raise err("'cache' must be true or false", key)
            s.cache = value
        elif key == "cache-dir":
            s.cache_dir = root / one_str(key, value)
        elif key == "output-format":
            s.output_format = one_str(key, value)
        elif key == "dataset":
            if not isinstance(value, dict):
                raise err("[dataset] must be a table", key)
            for dk, dv in value.items():
                if dk not in DATASET_KEYS:
                    raise err(f"unknown key 'dataset.{dk}'{_suggest(dk, sorted(DATASET_KEYS))}", f"dataset.{dk}")
                if dk in SPLIT_KEYS:
                    setattr(s.dataset, dk, path_list(f"dataset.{dk}", dv))
                elif dk == "format":
                    s.dataset.format = one_str("dataset.format", dv)
                elif dk == "columns":
                    if not isinstance(dv, dict) or not all(isinstance(x, str) for x in dv.values()):
                        raise err("[dataset.columns] must map canonical keys to column names", "dataset.columns")
                    from ftlint.data.schema import CANONICAL_KEYS

                    for ck in dv:
                        if ck not in CANONICAL_KEYS:
                            raise err(f"unknown column role '{ck}' in [dataset.columns]"
                                      f"{_suggest(ck, list(CANONICAL_KEYS))}; known: {', '.join(CANONICAL_KEYS)}",
                                      f"dataset.columns.{ck}")
                    s.dataset.columns = dict(dv)
        elif key == "rules":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise err("[rules] must hold one table per rule, e.g. [rules.too-few-examples]", key)
            s.rules = {k: dict(v) for k, v in value.items()}
        elif key == "training-config":
            s.training_config = root / one_str(key, value)
        elif key == "framework":
            s.framework = one_str(key, value)
        elif key == "reference":
            s.reference = path_list(key, value)
        elif key == "contamination":
            s.contamination = path_list(key, value)
        elif key == "sensitive":
            s.sensitive = str_list(key, value)
        elif key == "lexicons":
            if not isinstance(value, dict) or not all(isinstance(v, (str, bool)) for v in value.values()):
                raise err("[lexicons] must map lexicon names to a file path or true/false", key)
            s.lexicons = {k: (v if isinstance(v, bool) else root / v) for k, v in value.items()}
            from ftlint.features.lexicons import resolve_lexicons

            try:  # a missing or malformed lexicon file is a settings error now, not a failed rule later
                resolve_lexicons(s.lexicons, shown)
            except SettingsError as e:
                raise err(e.message, key) from None
        elif key == "embedding-model":
            s.embedding_model = one_str(key, value)
        elif key == "engine":
            if not isinstance(value, dict):
                raise err("'engine' must be a table: [engine] name = \"dask\"", key)
            for ek, ev in value.items():
                where = f"engine.{ek}"
                if ek not in ENGINE_KEYS:
                    raise err(f"unknown key '{where}'{_suggest(ek, list(ENGINE_KEYS))}", where)
                if ek == "name":
                    if ev not in ("local", "dask", "none"):
                        raise err(f"'engine.name' must be \"local\", \"dask\" or \"none\", not {ev!r}", where)
                    s.engine.name = ev
                elif ek == "workers":
                    if isinstance(ev, bool) or not isinstance(ev, int) or ev < 1:
                        raise err("'engine.workers' must be a whole number >= 1", where)
                    s.engine.workers = ev
                elif ek == "scheduler":
                    s.engine.scheduler = one_str(where, ev)
                else:
                    size = parse_size(ev)
                    if size is None:
                        raise err("'engine.partition-size' must be a size in bytes or like \"64MB\"", where)
                    s.engine.partition_size = size
        elif key == "hub":
            if value not in HUB_MODES:
                raise err(f"'hub' must be one of {', '.join(repr(m) for m in HUB_MODES)}, not {value!r}", key)
            s.hub = value
        elif key == "embedding-sample":
            if isinstance(value, bool) or not isinstance(value, int) or value < 20:
                raise err("'embedding-sample' must be a whole number of rows, at least 20", key)
            s.embedding_sample = value
        elif key == "task":
            from ftlint.features.task import validate_task

            try:
                s.task = validate_task(one_str(key, value))
            except ValueError as e:
                raise err(f"task: {e}", key) from None
        elif key == "baseline":
            s.baseline = root / one_str(key, value)
        elif key == "run":
            s.runs = path_list(key, value)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise err("'per-file-ignores' must map path globs to lists of rule selectors", key)
            s.per_file_ignores = {g: str_list(f"per-file-ignores.{g}", v) for g, v in value.items()}
    return s
