"""Framework detection and dispatch to the adapters: :func:`load_training_config`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from ftlint.training import axolotl, hf, llamafactory, openai, torchtune
from ftlint.training.adapter import stamp_keys
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import FRAMEWORKS, TrainingConfigError, TrainingPlan
from ftlint.training.source import ConfigSource, Reader, read_config

_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "hf": "hf",
        "transformers": "hf",
        "huggingface": "hf",
        "trl": "trl",
        "alignment-handbook": "trl",
        "axolotl": "axolotl",
        "llamafactory": "llamafactory",
        "llama-factory": "llamafactory",
        "llama_factory": "llamafactory",
        "torchtune": "torchtune",
        "openai": "openai",
    }
)

Builder = Callable[[Reader, str, str], TrainingPlan]

_BUILDERS: Mapping[str, Builder] = MappingProxyType(
    {
        "hf": hf.build,
        "trl": hf.build,
        "axolotl": axolotl.build,
        "llamafactory": llamafactory.build,
        "torchtune": torchtune.build,
        "openai": openai.build,
    }
)


def normalize_framework(name: str, path: str | None = None) -> str:
    key = name.strip().lower()
    if key not in _ALIASES:
        raise TrainingConfigError(
            f"unknown training framework {name!r}; expected one of: {', '.join(FRAMEWORKS)}", path
        )
    return _ALIASES[key]


def detect_framework(source: ConfigSource) -> tuple[str, str]:
    """(framework, reason), or TrainingConfigError when no adapter recognises the keys."""
    data = source.data
    reason = torchtune.detect(data)
    if reason:
        return "torchtune", reason
    reason = openai.detect(data)
    if reason:
        return "openai", reason
    reason = llamafactory.detect(data)
    if reason:
        return "llamafactory", reason
    reason = axolotl.detect(data)
    if reason:
        return "axolotl", reason
    found = hf.detect(data, source.format == "json")
    if found:
        return found
    keys = ", ".join(list(data)[:5]) or "none"
    raise TrainingConfigError(
        f"could not recognise the training framework from the keys ({keys}); "
        f"name it explicitly (one of: {', '.join(FRAMEWORKS)})",
        source.display,
        1,
    )


def load_training_config(path: Path | str, framework: str | None = None) -> TrainingPlan:
    """Read a training config and normalise it into a :class:`TrainingPlan`.

    ``framework`` forces an adapter (one of :data:`FRAMEWORKS`); otherwise the framework is
    detected from the keys.  Raises :class:`TrainingConfigError` for a missing, unreadable,
    unparseable or unrecognisable file, or an unknown ``framework`` name.
    """
    return build_plan(Path(path), framework)


def build_plan(path: Path, framework: str | None) -> TrainingPlan:
    if framework is not None:
        normalize_framework(framework, str(path))  # an unknown name fails before the file is read
    return plan_from_source(read_config(path), framework)


def plan_from_source(source: ConfigSource, framework: str | None = None) -> TrainingPlan:
    """The plan for an already-parsed config (detecting the framework unless one is given)."""
    if framework is None:
        chosen, reason = detect_framework(source)
    else:
        chosen = normalize_framework(framework, source.display)
        reason = f"framework {chosen!r} was given explicitly"
    from ftlint.training.values import check_values

    reader = Reader(source)
    invalid = check_values(reader, chosen)  # a dataset key of the wrong shape: TrainingConfigError
    reader.invalid = {v.key: v for v in invalid}
    plan = replace(_BUILDERS[chosen](reader, chosen, reason), invalid_values=invalid)
    return stamp_keys(plan, adapter_for(plan))  # every canonical value names its key, defaults included
