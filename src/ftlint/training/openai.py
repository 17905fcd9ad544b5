"""OpenAI fine-tuning jobs: a JSON (or YAML) object of ``client.fine_tuning.jobs.create``
arguments (``model``, ``training_file``, ``validation_file``, ``hyperparameters`` or the newer
``method: {type, supervised|dpo|reinforcement: {hyperparameters}}``).  A file may be a local path
or an uploaded file id such as ``file-abc123`` (recorded as not loadable)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ftlint.training._common import dataset_ref
from ftlint.training.adapter import CANONICAL_FIELDS, FrameworkAdapter
from ftlint.training.known_keys import OPENAI_HYPERPARAMETER_KEYS, OPENAI_KEYS
from ftlint.training.plan import (
    BatchPlan,
    ConfigValue,
    DatasetKind,
    DatasetRef,
    EarlyStoppingPlan,
    LoraPlan,
    LossMaskPlan,
    Origin,
    PlanProblem,
    SequencePlan,
    TrainingPlan,
    Truncation,
    UnknownKey,
    ValidationPlan,
)
from ftlint.training.source import Deprecation, Reader, number_or_auto, to_str

_FILE_ID = re.compile(r"^file-[A-Za-z0-9_\-]+$")
_METHODS: Mapping[str, str] = MappingProxyType({"supervised": "sft", "dpo": "dpo", "reinforcement": "rft"})
DEPRECATED: Mapping[str, Deprecation] = MappingProxyType(
    {
        "hyperparameters": Deprecation(
            "top-level `hyperparameters` is deprecated in favour of `method`", "method.supervised.hyperparameters"
        ),
    }
)


def detect(data: Mapping[str, Any]) -> str | None:
    keys = set(data)
    if "training_file" in keys:
        return "OpenAI fine-tuning job arguments (training_file" + (", model)" if "model" in keys else ")")
    if "model" in keys and keys <= OPENAI_KEYS and keys & {"hyperparameters", "method", "validation_file", "suffix"}:
        return "OpenAI fine-tuning job arguments (model, " + ", ".join(sorted(keys - {"model"})[:2]) + ")"
    return None


def _auto_int(value: Any) -> float:
    number = number_or_auto(value)
    if number != int(number):
        raise ValueError(f"expected a whole number, got {value!r}")
    if abs(number) >= 2**63:
        raise ValueError(f"expected a whole number below 2**63, got {value!r}")
    return number


def build(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    method_type = reader.value("method.type", to_str)
    stage_name = _METHODS.get(method_type.value or "supervised", method_type.value or "sft")
    stage: ConfigValue[str] = (
        ConfigValue(stage_name, Origin.CONFIG, method_type.sources, method_type.raw)
        if method_type.is_set
        else ConfigValue("sft", Origin.DEFAULT, (), None, "no method: supervised fine-tuning")
    )
    prefix = _hyper_prefix(reader, method_type.value or "supervised")
    notes: list[str] = []
    if prefix != "hyperparameters" and reader.is_set("hyperparameters"):
        notes.append(f"both hyperparameters and {prefix} are set; {prefix} is read")

    epochs = _auto(
        reader, f"{prefix}.n_epochs", _auto_int, "auto: OpenAI picks the number of epochs from the dataset size"
    )
    batch_size = _auto(reader, f"{prefix}.batch_size", _auto_int, "auto: OpenAI picks the batch size")
    multiplier = _auto(
        reader, f"{prefix}.learning_rate_multiplier", number_or_auto, "auto: OpenAI picks the learning-rate multiplier"
    )
    effective: ConfigValue[int] = ConfigValue(
        int(batch_size.value) if batch_size.value is not None else None,
        batch_size.origin,
        batch_size.sources,
        batch_size.raw,
        batch_size.note,
    )

    problems: list[PlanProblem] = []
    train = _file(reader, "training_file", "train")
    evals = _file(reader, "validation_file", "eval")
    for key in ("model", "training_file"):
        if not reader.is_set(key):
            problems.append(PlanProblem(f"{key} is required by fine_tuning.jobs.create", reader.provs(key)))

    unknown: tuple[UnknownKey, ...] = reader.unknown_keys(OPENAI_KEYS)
    if isinstance(reader.get(prefix), Mapping):
        unknown += reader.unknown_keys(OPENAI_HYPERPARAMETER_KEYS, prefix)
    if isinstance(reader.get("method"), Mapping):
        unknown += reader.unknown_keys(frozenset({"type", *(_METHODS)}), "method")

    configured = bool(evals)
    validation = ValidationPlan(
        enabled=configured,
        configured=configured,
        methods=("validation_file",) if configured else (),
        reason="validation_file is set" if configured else "no validation_file: OpenAI reports training metrics only",
        sources=reader.provs("validation_file"),
    )
    return TrainingPlan(
        path=reader.source.path,
        framework=framework,
        variant="jobs.create",
        detected_by=detected_by,
        base_model=reader.value("model", to_str),
        model_builder=ConfigValue(),
        method=ConfigValue(None, Origin.UNSET, (), None, "not exposed by the OpenAI API"),
        stage=stage,
        epochs=ConfigValue(epochs.value, epochs.origin, epochs.sources, epochs.raw, epochs.note),
        max_steps=ConfigValue(),
        max_steps_per_epoch=ConfigValue(),
        learning_rate=ConfigValue(None, Origin.UNSET, (), None, "OpenAI exposes only learning_rate_multiplier"),
        learning_rate_multiplier=multiplier,
        lr_scheduler=ConfigValue(),
        warmup_ratio=ConfigValue(),
        warmup_steps=ConfigValue(),
        batch=BatchPlan(effective=effective),
        sequence=SequencePlan(
            truncation=Truncation.PROVIDER,
            note="no length key: each model has its own context limit and longer examples are truncated",
        ),
        lora=LoraPlan(),
        weight_decay=ConfigValue(),
        chat_template=ConfigValue(None, Origin.UNSET, (), None, "applied by OpenAI"),
        packing=ConfigValue(),
        validation=validation,
        early_stopping=EarlyStoppingPlan(note="OpenAI fine-tuning has no early stopping"),
        loss_mask=LossMaskPlan(note="OpenAI trains on assistant messages (a message's weight: 0 excludes it)"),
        train_datasets=train,
        eval_datasets=evals,
        deprecated_keys=reader.deprecated_keys(DEPRECATED),
        unknown_keys=unknown,
        commented_keys=reader.commented_keys(OPENAI_KEYS | OPENAI_HYPERPARAMETER_KEYS),
        duplicate_keys=reader.duplicate_keys(),
        problems=tuple(problems),
        notes=tuple(notes),
        raw=data,
        key_lines=reader.source.lines,
    )


def _hyper_prefix(reader: Reader, method_type: str) -> str:
    nested = f"method.{method_type}.hyperparameters"
    if isinstance(reader.get(nested), Mapping):
        return nested
    return "hyperparameters"


def _auto(reader: Reader, key: str, conv: Callable[[Any], float], auto_note: str) -> ConfigValue[float]:
    value: ConfigValue[float] = reader.value(key, conv)
    if (
        value.origin is Origin.CONFIG
        and value.value is None
        and isinstance(value.raw, str)
        and value.raw.strip().lower() == "auto"
    ):
        return ConfigValue(None, Origin.CONFIG, value.sources, value.raw, auto_note)
    if value.origin is Origin.UNSET:
        return ConfigValue(None, Origin.DEFAULT, value.sources, None, f"not set ({auto_note})")
    return value


def _file(reader: Reader, key: str, role: str) -> tuple[DatasetRef, ...]:
    raw = reader.get(key)
    if not isinstance(raw, str) or not raw.strip():
        return ()
    name = raw.strip()
    if _FILE_ID.match(name):
        return (
            DatasetRef(
                name,
                role,
                DatasetKind.FILE_ID,
                reader.prov(key),
                note="an uploaded OpenAI file id: ftlint cannot read it; check the local JSONL instead",
            ),
        )
    return (dataset_ref(reader, name, role, key, force_local=True),)


# --------------------------------------------------------------------------------------------
# The adapter


class OpenAIAdapter(FrameworkAdapter):
    """OpenAI fine-tuning jobs: hyperparameters only (``n_epochs``, ``batch_size``,
    ``learning_rate_multiplier``, each ``auto`` by default); the service formats conversations,
    truncates to the model's limit, and has no early stopping."""

    name = "openai"
    LABEL = "OpenAI fine-tuning job"
    TRAINER_NAME = "OpenAI"
    KEYS = MappingProxyType({
        **dict.fromkeys(CANONICAL_FIELDS),
        "base_model": "model", "method": "method.type", "epochs": "hyperparameters.n_epochs",
        "learning_rate_multiplier": "hyperparameters.learning_rate_multiplier",
        "batch.per_device": "hyperparameters.batch_size",
    })
    DEFAULTS = MappingProxyType({})  # "auto": OpenAI picks them per job
    learning_rate_is_multiplier = True
    uses_hf_chat_template = False
    base_model_example = "gpt-4o-mini-2024-07-18"
    checkpoints_per_epoch = True

    def checkpoint_name(self, step: int, epoch: float | None = None) -> str:
        return f"the checkpoint at step {step}"

    def early_stopping_settings(self, patience: int = 2, metric: str = "eval_loss",
                                greater_is_better: bool = False) -> str:
        return ("OpenAI jobs have no early stopping: set `hyperparameters.n_epochs` so the job ends at the best "
                "epoch (a job keeps the checkpoints of its last three epochs)")

    def evaluation_settings(self, every: int | None = None) -> str:
        return "a `validation_file` for the job (its result file then has valid_loss and full_valid_loss)"

    def validation_recipe(self, plan: TrainingPlan) -> str:
        return ("Upload a held-out JSONL (5-10% of the examples, no copies of training rows) and pass its id as "
                "`validation_file`; OpenAI then reports the validation loss of each epoch.")

    def validation_keys(self, plan: TrainingPlan) -> tuple[str, ...]:
        return ("validation_file", "training_file")

    def early_stopping_recipe(self, patience: int = 3) -> str:
        return ("OpenAI fine-tuning has no early stopping. Pass a `validation_file`, watch the validation loss "
                "of each epoch in the job's metrics and use the checkpoint of the best epoch (the job keeps "
                "checkpoints of its last epochs: `client.fine_tuning.jobs.checkpoints.list`); rerun with a "
                "lower `n_epochs` if the loss rises early.")

    def held_out_recipe(self) -> str:
        return "Pass a different, held-out file as `validation_file` (OpenAI: the same data must not be in both)."

    def test_recipe(self) -> str:
        return "After the job, run the fine-tuned model on it (OpenAI Evals or a script)."

    def metric_recipe(self, task: str, suggestion: str) -> str:
        return f"measure {suggestion} on held-out data after the job (OpenAI Evals or a script)"

    def lora_recipe(self) -> str:
        return "a smaller model, or more data (OpenAI chooses the method itself)"

    unpatchable_because = "upload the repaired files and pass the validation file's id as `validation_file`"
