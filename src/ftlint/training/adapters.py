"""The framework adapters, by name: :func:`adapter_for` gives the one a plan (or a framework name
and variant) needs. See :mod:`ftlint.training.adapter` for what an adapter answers."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from ftlint.training.adapter import FrameworkAdapter
from ftlint.training.axolotl import AxolotlAdapter
from ftlint.training.hf import HFAdapter, TRLAdapter
from ftlint.training.llamafactory import LlamaFactoryAdapter
from ftlint.training.openai import OpenAIAdapter
from ftlint.training.plan import FRAMEWORKS, TrainingPlan
from ftlint.training.torchtune import TorchtuneAdapter

#: framework name -> its adapter class (one per name in :data:`~ftlint.training.plan.FRAMEWORKS`)
ADAPTERS: Mapping[str, type[FrameworkAdapter]] = MappingProxyType({
    cls.name: cls for cls in (HFAdapter, TRLAdapter, AxolotlAdapter, LlamaFactoryAdapter, TorchtuneAdapter,
                              OpenAIAdapter)
})
assert set(ADAPTERS) == set(FRAMEWORKS)


@lru_cache(maxsize=64)
def _adapter(framework: str, variant: str) -> FrameworkAdapter:
    return ADAPTERS[framework](variant)


def adapter_for(plan: TrainingPlan | str, variant: str = "") -> FrameworkAdapter:
    """The adapter of a plan (bound to its variant), or of a framework name and variant."""
    if isinstance(plan, TrainingPlan):
        return _adapter(plan.framework, plan.variant)
    return _adapter(plan, variant)


def adapter_named(name: str, variant: str = "") -> FrameworkAdapter:
    """The adapter of a framework by its name (one of :data:`~ftlint.training.plan.FRAMEWORKS`),
    for what has no plan: a run log read without its training config (``Run.framework``)."""
    if name not in ADAPTERS:
        raise KeyError(f"{name!r} is not a framework ftlint knows (one of: {', '.join(ADAPTERS)})")
    return _adapter(name, variant)


__all__ = ["ADAPTERS", "adapter_for", "adapter_named"]
