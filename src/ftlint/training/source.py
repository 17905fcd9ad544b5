"""Reading a training config file: parsing, key-path line numbers, typed look-ups.

The adapters never touch the file themselves: they get a :class:`ConfigSource` (the parsed
mapping plus a map from key paths to 1-based lines, built by composing the YAML node tree) and
read it through a :class:`Reader`, which turns keys into :class:`ConfigValue`s with provenance
and treats ``null`` and empty values as unset.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ftlint.training.plan import (
    INVALID_NOTE,
    MISSING,
    CommentedKey,
    ConfigValue,
    DeprecatedKey,
    InvalidValue,
    Origin,
    Provenance,
    TrainingConfigError,
    UnknownKey,
    join_key,
    lookup,
    split_key,
)
from ftlint.training.plan import to_bool as to_bool  # the adapters read booleans from here

T = TypeVar("T")


@dataclass(frozen=True)
class ConfigSource:
    """A parsed config file: its mapping, its text and where each key path is."""

    path: Path
    text: str
    data: Mapping[str, Any]
    format: str  # "yaml" or "json"
    lines: Mapping[str, int]
    duplicates: tuple[tuple[str, int], ...] = ()

    @property
    def display(self) -> str:
        return str(self.path)

    @property
    def folder(self) -> Path:
        return self.path.parent


# --------------------------------------------------------------------------------------------
# Reading and parsing


def path_exists(path: Path) -> bool:
    """``path.exists()`` that is False (not an exception) for a name the OS cannot look up."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def path_is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_config(path: Path) -> ConfigSource:
    """Parse ``path`` as YAML or JSON; raise TrainingConfigError with a located message."""
    shown = str(path)
    if not path_exists(path):
        from ftlint.data.load import missing_reason

        reason = missing_reason(path)
        raise TrainingConfigError("training config not found" if reason.startswith("no such file")
                                  else f"training config cannot be opened: {reason}", shown)
    if path.is_dir():
        raise TrainingConfigError("is a directory, not a training config file", shown)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise TrainingConfigError(f"could not read the training config: {exc.strerror}", shown) from exc
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingConfigError(
            f"not a text file (not valid UTF-8 at byte {exc.start}); expected YAML or JSON",
            shown,
        ) from exc
    if "\x00" in text:
        raise TrainingConfigError("not a text file (contains NUL bytes); expected YAML or JSON", shown)
    if not text.strip():
        raise TrainingConfigError("the training config is empty", shown, 1)

    is_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() not in (".yaml", ".yml") and text.lstrip().startswith("{")
    )
    if is_json:
        data = _parse_json(text, shown)
        lines, dups = _json_lines(text)
        fmt = "json"
    else:
        data, lines, dups = _parse_yaml(text, shown)
        fmt = "yaml"
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else {str: "a string", int: "a number", float: "a number",
                                                         bool: "a boolean"}.get(type(data), type(data).__name__)
        if data is None:
            raise TrainingConfigError("the training config is empty", shown, 1)
        raise TrainingConfigError(
            f"the top level of a training config must be a mapping of keys, not {kind}",
            shown,
            1,
        )
    return ConfigSource(path, text, _str_keys(data), fmt, lines, tuple(dups))


def _parse_json(text: str, shown: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrainingConfigError(f"could not parse JSON: {exc.msg} (column {exc.colno})", shown, exc.lineno) from exc
    except RecursionError as exc:
        raise TrainingConfigError("could not parse JSON: nested too deeply", shown) from exc


def _parse_yaml(text: str, shown: str) -> tuple[Any, dict[str, int], list[tuple[str, int]]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = "; ".join(str(p) for p in (exc.context, exc.problem) if p).replace("\n", " ")
        raise TrainingConfigError(f"could not parse YAML: {problem}", shown, line) from exc
    except yaml.YAMLError as exc:
        raise TrainingConfigError(f"could not parse YAML: {exc}", shown) from exc
    except RecursionError as exc:
        raise TrainingConfigError("could not parse YAML: nested too deeply", shown) from exc
    lines: dict[str, int] = {}
    dups: list[tuple[str, int]] = []
    if node is not None:
        _walk_node(node, "", lines, dups, depth=0)
    return data, lines, dups


def _walk_node(
    node: yaml.Node,
    prefix: str,
    out: dict[str, int],
    dups: list[tuple[str, int]],
    depth: int,
    seen: set[int] | None = None,
) -> None:
    """Record the line of every key path.  A node reached again through a YAML alias is not
    walked twice (an alias-heavy file could otherwise take exponential time)."""
    seen = set() if seen is None else seen
    if depth > 64 or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            path = join_key(prefix, str(key_node.value))
            line = key_node.start_mark.line + 1
            if path in keys:
                dups.append((path, line))
            keys.add(path)
            out[path] = line
            _walk_node(value_node, path, out, dups, depth + 1, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = join_key(prefix, index)
            out[path] = item.start_mark.line + 1
            _walk_node(item, path, out, dups, depth + 1, seen)


def _json_lines(text: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Key lines for a JSON file: PyYAML reads almost all JSON; fall back to a scan of
    ``"key":`` occurrences for top-level keys when it cannot."""
    try:
        # valid JSON has tabs only as whitespace (json.loads rejects raw tabs in strings), and
        # YAML forbids tab indentation: spaces keep every line where it is
        node = yaml.compose(text.replace("\t", " "), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        node = None
    lines: dict[str, int] = {}
    dups: list[tuple[str, int]] = []
    if node is not None:
        _walk_node(node, "", lines, dups, depth=0)
        return lines, dups
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:', line):
            lines.setdefault(match.group(1), number)
    return lines, dups


def _str_keys(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """The parsed data with every mapping key as a string; objects shared through YAML aliases
    stay shared (converted once)."""
    memo = {} if memo is None else memo
    if not isinstance(value, (Mapping, list)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, Mapping):
        converted: Any = {}
        memo[id(value)] = converted
        for k, v in value.items():
            converted[str(k)] = _str_keys(v, memo)
        return converted
    items: list[Any] = []
    memo[id(value)] = items
    items.extend(_str_keys(v, memo) for v in value)
    return items


# --------------------------------------------------------------------------------------------
# Conversions: each returns the normalised value or raises ValueError


def is_empty(value: Any) -> bool:
    """null, an empty/blank string, an empty list or mapping: all count as unset."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
    return False


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())  # YAML 1.1 reads "3e-4" as a string
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(number):  # .nan / .inf / 1e999: no trainer runs with it, and no count follows from it
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def to_int(value: Any) -> int:
    number = to_float(value)
    if number != int(number):
        raise ValueError(f"expected a whole number, got {value!r}")
    if abs(number) >= 2**63:  # no trainer counts that far; reports keep numbers in 64 bits
        raise ValueError(f"expected a whole number below 2**63, got {value!r}")
    return int(number)


def to_str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError(f"expected a string, got a {'mapping' if isinstance(value, dict) else 'list'}")
    return str(value).strip()


def to_str_tuple(value: Any) -> tuple[str, ...]:
    """A list of strings, or one comma-separated string."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if not is_empty(v))
    raise ValueError(f"expected a list of names, got {value!r}")


def to_strategy(value: Any) -> str:
    """An HF interval strategy: ``no``/``steps``/``epoch``/``best``.  YAML 1.1 reads an
    unquoted ``no`` as False, which means "no" here too."""
    if value is False:
        return "no"
    text = to_str(value).lower()
    if text.startswith(("intervalstrategy.", "savestrategy.")):
        text = text.split(".", 1)[1]
    return text


def number_or_auto(value: Any) -> float:
    """OpenAI hyperparameters: a number or ``"auto"`` (auto raises, so the value stays unset)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        raise ValueError("auto")
    return to_float(value)


# --------------------------------------------------------------------------------------------
# The reader


@dataclass(frozen=True)
class Deprecation:
    """An entry in an adapter's table of renamed or removed keys."""

    message: str
    replacement: str | None = None
    since: str | None = None
    #: a key removed in one major version of a dependency but still needed before it:
    #: ``("transformers", 5)``; the rule then reads the repository's pins (``training.versions``)
    removed_in: tuple[str, int] | None = None
    #: the fix where the removal applies, and where the versions are not known
    fix: str | None = None


class Reader:
    """Typed, provenance-keeping look-ups over a :class:`ConfigSource`."""

    def __init__(self, source: ConfigSource) -> None:
        self.source = source
        #: key path -> the value's problem (``training.values``, FT621): such a key reads as unset
        self.invalid: dict[str, InvalidValue] = {}

    # raw access ---------------------------------------------------------------------------
    def get(self, key: str) -> Any:
        """The raw value at a key path, or MISSING."""
        return lookup(self.source.data, key)

    def has(self, key: str) -> bool:
        """The key is written in the file (even with a null value)."""
        return self.get(key) is not MISSING

    def is_set(self, key: str) -> bool:
        """The key is written with a non-empty value."""
        return not is_empty(self.get(key))

    def line(self, key: str) -> int | None:
        """The key's line; for a key inside a YAML alias (walked once, at its anchor) the line of
        the nearest enclosing key that has one."""
        found = self.source.lines.get(key)
        if found is not None or not self.has(key):
            return found
        parts = split_key(key)
        while parts:
            parts.pop()
            path = ""
            for part in parts:
                path = join_key(path, part)
            if path in self.source.lines:
                return self.source.lines[path]
        return None

    def prov(self, key: str) -> Provenance:
        return Provenance(self.source.display, key, self.line(key))

    def provs(self, *keys: str) -> tuple[Provenance, ...]:
        """Provenances of those keys that are written in the file."""
        return tuple(self.prov(k) for k in keys if self.has(k))

    # typed values ------------------------------------------------------------------------
    def value(
        self,
        keys: str | Sequence[str],
        conv: Callable[[Any], T],
        default: T | None = None,
        *,
        default_note: str = "",
    ) -> ConfigValue[T]:
        """The first of ``keys`` (aliases, in order of preference) that has a value.

        A present key with a null/empty value is unset: the default applies (origin DEFAULT) and
        the null key is still listed in ``sources``.  A value that cannot be converted, or that is
        invalid for the framework (``self.invalid``, FT621), stays unset with origin CONFIG and a
        note saying why: neither it nor the default is used.
        """
        names = (keys,) if isinstance(keys, str) else tuple(keys)
        null_sources: list[Provenance] = []
        for name in names:
            raw = self.get(name)
            if raw is MISSING:
                continue
            if is_empty(raw):
                null_sources.append(self.prov(name))
                continue
            bad = self.invalid.get(name)
            if bad is not None:
                return ConfigValue(None, Origin.CONFIG, (self.prov(name),), raw, f"{INVALID_NOTE}: {bad.message}")
            try:
                converted = conv(raw)
            except (ValueError, TypeError, OverflowError) as exc:
                return ConfigValue(None, Origin.CONFIG, (self.prov(name),), raw, f"could not read {raw!r}: {exc}")
            return ConfigValue(converted, Origin.CONFIG, (self.prov(name),), raw)
        if default is not None:
            note = default_note or "not set: the framework default applies"
            if null_sources:
                note = f"{null_sources[0].key} is empty: the framework default applies"
            return ConfigValue(default, Origin.DEFAULT, tuple(null_sources), None, note)
        note = f"{null_sources[0].key} is empty" if null_sources else ""
        return ConfigValue(None, Origin.UNSET, tuple(null_sources), None, note)

    def derived(self, value: T | None, keys: Iterable[str], note: str = "") -> ConfigValue[T]:
        """A value computed from other keys; ``sources`` are those of the keys present."""
        return ConfigValue(value, Origin.DERIVED if value is not None else Origin.UNSET, self.provs(*keys), None, note)

    # paths -------------------------------------------------------------------------------
    def resolve_path(self, text: str) -> tuple[Path | None, str | None, tuple[Path, ...]]:
        """Resolve a relative path against the working directory first, then the config's folder.

        Returns (the path found or None, how it was found: ``"cwd"``, ``"config_dir"`` or
        ``"absolute"``, the candidates tried in order)."""
        candidate = Path(os.path.expanduser(text))
        if candidate.is_absolute():
            exists = path_exists(candidate)
            return (candidate if exists else None), ("absolute" if exists else None), (candidate,)
        tried = (Path.cwd() / candidate, self.source.folder / candidate)
        for path, how in zip(tried, ("cwd", "config_dir"), strict=True):
            if path_exists(path):
                return path, how, tried
        return None, None, tried

    # key reports ---------------------------------------------------------------------------
    def unknown_keys(
        self, known: frozenset[str] | set[str], prefix: str = "", mapping: Mapping[str, Any] | None = None
    ) -> tuple[UnknownKey, ...]:
        """Keys of the mapping at ``prefix`` (the top level by default) not in ``known``."""
        target = mapping if mapping is not None else (self.source.data if not prefix else self.get(prefix))
        if not isinstance(target, Mapping):
            return ()
        found: list[UnknownKey] = []
        for key in target:
            if key in known:
                continue
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
            found.append(
                UnknownKey(join_key(prefix, key), self.prov(join_key(prefix, key)), close[0] if close else None)
            )
        return tuple(found)

    def deprecated_keys(self, table: Mapping[str, Deprecation], prefix: str = "") -> tuple[DeprecatedKey, ...]:
        found: list[DeprecatedKey] = []
        for name, dep in table.items():
            key = join_key(prefix, name)
            if self.has(key):
                found.append(
                    DeprecatedKey(key, self.prov(key), dep.message, dep.replacement, dep.since, self.is_set(key),
                                  dep.removed_in, dep.fix)
                )
        found.sort(key=lambda d: (d.provenance.line or 0, d.key))
        return tuple(found)

    def commented_keys(self, known: frozenset[str] | set[str]) -> tuple[CommentedKey, ...]:
        """Lines such as ``# val_size: 0.1`` or ``#eval_strategy: steps`` whose key is known."""
        if self.source.format != "yaml":
            return ()
        active = {k.rsplit(".", 1)[-1] for k in self.source.lines}
        found: list[CommentedKey] = []
        for number, line in enumerate(self.source.text.splitlines(), start=1):
            match = _COMMENTED_KEY.match(line)
            if not match:
                continue
            key = match.group("key")
            if key not in known:
                continue
            value = _strip_trailing_comment(match.group("value") or "")
            found.append(CommentedKey(key, number, line.strip(), value, key in active))
        return tuple(found)

    def duplicate_keys(self) -> tuple[Provenance, ...]:
        return tuple(Provenance(self.source.display, key, line) for key, line in self.source.duplicates)


_COMMENTED_KEY = re.compile(r"^\s*#+\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*:(?:\s+(?P<value>.*))?\s*$")


def _strip_trailing_comment(value: str) -> str:
    if value.startswith(("'", '"')):
        return value.strip()
    return value.split(" #", 1)[0].strip()


# --------------------------------------------------------------------------------------------
# Dataset names

_DATA_SUFFIXES = (".json", ".jsonl", ".csv", ".tsv", ".parquet", ".arrow", ".txt", ".gz", ".zst", ".xlsx")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)?$")


def looks_like_path(text: str) -> bool:
    """A string that can only be a local path (not a hub id)."""
    low = text.lower()
    return (
        text.startswith(("/", "./", "../", "~")) or "\\" in text or low.endswith(_DATA_SUFFIXES) or text.count("/") > 1
    )


def looks_like_hub_id(text: str) -> bool:
    return bool(_HUB_ID.match(text)) and not looks_like_path(text)
