"""Training-config layer: read a framework's training config into a :class:`TrainingPlan`.

``load_training_config(path, framework=None)`` detects the framework (HF Trainer, TRL /
alignment-handbook, Axolotl, LLaMA-Factory, torchtune, OpenAI jobs) from the keys and normalises
the config; every value keeps its provenance (file, key path, line).
"""

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
from ftlint.training._build import load_training_config

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
