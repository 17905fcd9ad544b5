"""Training-config layer: read a framework's training config into a :class:`TrainingPlan`.

``load_training_config(path, framework=None)`` detects the framework (HF Trainer, TRL /
alignment-handbook, Axolotl, LLaMA-Factory, torchtune, OpenAI jobs) from the keys and normalises
the config; every value keeps its provenance (file, key path, line).

Everything ftlint knows about one framework (its keys and defaults, the recipes fixes quote, where
its tokenizer and chat template come from, how it truncates long rows, how to patch its config)
lives in that framework's adapter: ``ftlint.training.adapters.adapter_for(plan)`` (the protocol is
``ftlint.training.adapter.FrameworkAdapter``). Code outside this package never branches on a
framework's name.
"""

from ftlint.training._build import load_training_config
from ftlint.training.plan import (
    FRAMEWORKS,
    BatchPlan,
    CommentedKey,
    ConfigValue,
    DatasetKind,
    DatasetRef,
    DeprecatedKey,
    EarlyStoppingPlan,
    InvalidValue,
    LoraPlan,
    LossMaskPlan,
    Origin,
    PlanProblem,
    Provenance,
    SequencePlan,
    SplitSlice,
    TrainingConfigError,
    TrainingPlan,
    Truncation,
    UnknownKey,
    ValidationPlan,
    parse_split,
    splits_overlap,
)

__all__ = [
    "FRAMEWORKS",
    "BatchPlan",
    "CommentedKey",
    "ConfigValue",
    "DatasetKind",
    "DatasetRef",
    "DeprecatedKey",
    "EarlyStoppingPlan",
    "InvalidValue",
    "LoraPlan",
    "LossMaskPlan",
    "Origin",
    "PlanProblem",
    "Provenance",
    "SequencePlan",
    "SplitSlice",
    "TrainingConfigError",
    "TrainingPlan",
    "Truncation",
    "UnknownKey",
    "ValidationPlan",
    "load_training_config",
    "parse_split",
    "splits_overlap",
]
