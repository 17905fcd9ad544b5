"""torchtune recipe configs (nested ``_component_`` blocks)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from ftlint.training._common import (
    as_list,
    as_mapping,
    dataset_ref,
    effective_batch,
    stage_from_path,
    str_or_none,
)
from ftlint.training.adapter import FrameworkAdapter, anchor
from ftlint.training.known_keys import TORCHTUNE_KEYS
from ftlint.training.plan import (
    ConfigValue,
    DatasetKind,
    DatasetRef,
    EarlyStoppingPlan,
    LoraPlan,
    LossMaskPlan,
    Origin,
    PlanProblem,
    Provenance,
    SequencePlan,
    TrainingPlan,
    Truncation,
    ValidationPlan,
)
from ftlint.training.source import (
    Reader,
    to_bool,
    to_float,
    to_int,
    to_str,
    to_str_tuple,
)

#: The hub dataset each built-in builder loads by default (torchtune/datasets).
BUILDER_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "alpaca_dataset": "tatsu-lab/alpaca",
        "alpaca_cleaned_dataset": "yahma/alpaca-cleaned",
        "grammar_dataset": "liweili/c4_200m",
        "samsum_dataset": "Samsung/samsum",
        "slimorca_dataset": "Open-Orca/SlimOrca-Dedup",
        "stack_exchange_paired_dataset": "lvwerra/stack-exchange-paired",
        "hh_rlhf_helpful_dataset": "RLHFlow/HH-RLHF-Helpful-standard",
        "wikitext_dataset": "EleutherAI/wikitext_document_level",
        "cnn_dailymail_articles_dataset": "ccdv/cnn_dailymail",
        "the_cauldron_dataset": "HuggingFaceM4/the_cauldron",
        "llava_instruct_dataset": "liuhaotian/LLaVA-Instruct-150K",
    }
)
_TRAIN_ON_INPUT_TRUE = frozenset({"alpaca_dataset", "alpaca_cleaned_dataset"})
_PREFERENCE_BUILDERS = frozenset({"stack_exchange_paired_dataset", "hh_rlhf_helpful_dataset", "preference_dataset"})
_FILE_SOURCES = frozenset({"json", "csv", "parquet", "text", "arrow"})
T = TypeVar("T")
_RECIPE = re.compile(r"tune run\b(.*?)--config")
#: torch.optim defaults for (lr, weight_decay).
_OPTIMIZER_DEFAULTS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "AdamW": (1e-3, 0.01),
        "Adam": (1e-3, 0.0),
        "SGD": (1e-3, 0.0),
    }
)

#: torchtune's defaults for the canonical fields (the learning rate and weight decay are the
#: optimizer's: ``_OPTIMIZER_DEFAULTS``)
DEFAULTS: Mapping[str, Any] = MappingProxyType({"batch.gradient_accumulation": 1, "lora.dropout": 0.0})


def _has_component(value: Any, seen: set[int], depth: int = 0) -> str | None:
    """The first ``_component_`` value nested in ``value`` (each shared object visited once)."""
    if depth > 8 or not isinstance(value, (Mapping, list)) or id(value) in seen:
        return None
    seen.add(id(value))
    if isinstance(value, Mapping):
        if "_component_" in value:
            return str(value["_component_"])
        items: Any = value.values()
    else:
        items = value
    for item in items:
        found = _has_component(item, seen, depth + 1)
        if found:
            return found
    return None


def detect(data: Mapping[str, Any]) -> str | None:
    seen: set[int] = set()
    for key, value in data.items():
        component = _has_component(value, seen)
        if component is not None:
            return f"torchtune `_component_` blocks ({key}._component_: {component})"
    return None


def _short(component: str | None) -> str:
    return (component or "").rsplit(".", 1)[-1]


def build(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    recipe = _recipe(reader.source.text)
    builder = reader.value("model._component_", to_str)
    builder_name = _short(builder.value)
    problems: list[PlanProblem] = []

    if builder_name.startswith("qlora_"):
        method: ConfigValue[str] = reader.derived("qlora", ["model._component_"], f"model builder {builder_name}")
    elif builder_name.startswith("lora_"):
        method = reader.derived("lora", ["model._component_"], f"model builder {builder_name}")
    else:
        method = reader.derived("full", ["model._component_"], f"model builder {builder_name or '(none)'}")

    train = _datasets(reader, "dataset", "train")
    evals = _datasets(reader, "dataset_val", "eval")
    stage = _stage(reader, recipe, train)

    optimizer = _short(str_or_none(reader.get("optimizer._component_")))
    lr_default, wd_default = _OPTIMIZER_DEFAULTS.get(optimizer, (None, None))
    batch = effective_batch(
        reader,
        reader.value("batch_size", to_int),
        reader.value("gradient_accumulation_steps", to_int, DEFAULTS["batch.gradient_accumulation"]),
    )
    batch = replace(batch, eval_per_device=reader.value("batch_size_val", to_int))

    sequence = _sequence(reader)
    packed = _first_dataset_value(reader, "packed", to_bool, False)
    if packed.value and sequence.unlimited:
        problems.append(
            PlanProblem(
                "dataset.packed is true but tokenizer.max_seq_len is not set: torchtune needs max_seq_len to pack",
                packed.sources + reader.provs("tokenizer.max_seq_len"),
            )
        )

    validation = _validation(reader, evals, recipe)
    train_on_input = _first_dataset_value(
        reader,
        "train_on_input",
        to_bool,
        (train[0].format in _TRAIN_ON_INPUT_TRUE) if train and train[0].format else False,
    )
    if train_on_input.origin is Origin.DEFAULT and train and train[0].format in _TRAIN_ON_INPUT_TRUE:
        train_on_input = replace(
            train_on_input, note=f"{train[0].format} trains on the prompt by default (train_on_input=True)"
        )

    checkpoint_dir = reader.value("checkpointer.checkpoint_dir", to_str)
    base_model = replace(
        checkpoint_dir, note=f"local checkpoint for model builder {builder_name}" if builder_name else ""
    )
    notes = [f"recipe: {recipe}" if recipe else "recipe not named in the config's comments"]
    return TrainingPlan(
        path=reader.source.path,
        framework=framework,
        variant=recipe or "recipe",
        detected_by=detected_by,
        base_model=base_model,
        model_builder=builder,
        method=method,
        stage=stage,
        epochs=reader.value("epochs", to_float),
        max_steps=ConfigValue(),
        max_steps_per_epoch=reader.value("max_steps_per_epoch", to_int),
        learning_rate=reader.value(
            "optimizer.lr", to_float, lr_default, default_note=f"not set: torch.optim.{optimizer} default"
        ),
        learning_rate_multiplier=ConfigValue(),
        lr_scheduler=ConfigValue(
            _short(str_or_none(reader.get("lr_scheduler._component_"))) or None,
            Origin.CONFIG if reader.is_set("lr_scheduler._component_") else Origin.UNSET,
            reader.provs("lr_scheduler._component_"),
        ),
        warmup_ratio=ConfigValue(),
        warmup_steps=reader.value("lr_scheduler.num_warmup_steps", to_float),
        batch=batch,
        sequence=sequence,
        lora=_lora(reader) if method.value in ("lora", "qlora") else LoraPlan(),
        weight_decay=reader.value(
            "optimizer.weight_decay", to_float, wd_default, default_note=f"not set: torch.optim.{optimizer} default"
        ),
        chat_template=_chat_template(reader),
        packing=packed,
        validation=validation,
        early_stopping=EarlyStoppingPlan(note="torchtune has no early stopping"),
        loss_mask=LossMaskPlan(train_on_inputs=train_on_input),
        train_datasets=train,
        eval_datasets=evals,
        unknown_keys=reader.unknown_keys(TORCHTUNE_KEYS),
        commented_keys=reader.commented_keys(TORCHTUNE_KEYS),
        duplicate_keys=reader.duplicate_keys(),
        problems=tuple(problems),
        notes=tuple(notes),
        raw=data,
        key_lines=reader.source.lines,
    )


def _recipe(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            continue
        match = _RECIPE.search(stripped)
        if match:
            tokens = match.group(1).split()
            if tokens and re.fullmatch(r"[A-Za-z_][\w]*", tokens[-1]):
                return tokens[-1]
    return None


def _stage(reader: Reader, recipe: str | None, train: tuple[DatasetRef, ...]) -> ConfigValue[str]:
    loss = _short(str_or_none(reader.get("loss._component_")))
    low = loss.lower()
    if "simpo" in low:
        return reader.derived("simpo", ["loss._component_"], f"loss {loss}")
    if "dpo" in low or "rso" in low or "ipo" in low:
        return reader.derived("dpo", ["loss._component_"], f"loss {loss}")
    if "ppo" in low or reader.is_set("ppo_epochs"):
        return reader.derived("ppo", ["loss._component_", "ppo_epochs"], "PPO keys")
    if reader.is_set("kd_loss") or reader.is_set("teacher_model"):
        return reader.derived("kd", ["kd_loss", "teacher_model"], "knowledge-distillation keys")
    if any(r.format in _PREFERENCE_BUILDERS for r in train):
        return reader.derived("dpo", ["dataset._component_"], "preference dataset builder")
    if recipe:
        by_path = stage_from_path(Path(recipe))
        if by_path:
            return ConfigValue(by_path, Origin.DERIVED, (), None, f"recipe {recipe}")
    return ConfigValue("sft", Origin.DEFAULT, (), None, "no preference loss: supervised fine-tuning")


def _blocks(reader: Reader, key: str) -> list[tuple[str, Mapping[str, Any]]]:
    value = reader.get(key)
    if isinstance(value, Mapping):
        return [(key, value)]
    return [(f"{key}[{i}]", as_mapping(v)) for i, v in enumerate(as_list(value)) if isinstance(v, Mapping)]


def _datasets(reader: Reader, key: str, role: str) -> tuple[DatasetRef, ...]:
    refs: list[DatasetRef] = []
    for base, block in _blocks(reader, key):
        builder = _short(str_or_none(block.get("_component_")))
        source = str_or_none(block.get("source"))
        files = tuple(str(f) for f in as_list(block.get("data_files")) if isinstance(f, (str, int, float)))
        split = str_or_none(block.get("split")) or "train"
        common: dict[str, Any] = {
            "split": split,
            "fmt": builder or None,
            "entry": block,
            "preference": builder in _PREFERENCE_BUILDERS,
            "data_files": files,
        }
        comp_key = f"{base}._component_"
        if files and (source in _FILE_SOURCES or source is None):
            refs.append(dataset_ref(reader, files[0], role, f"{base}.data_files", force_local=True, **common))
        elif source:
            refs.append(dataset_ref(reader, source, role, f"{base}.source", **common))
        elif builder in BUILDER_SOURCES:
            refs.append(
                DatasetRef(
                    builder,
                    role,
                    DatasetKind.BUILDER,
                    reader.prov(comp_key),
                    hub_id=BUILDER_SOURCES[builder],
                    split=split,
                    format=builder,
                    data_files=files,
                    entry=dict(block),
                    preference=builder in _PREFERENCE_BUILDERS,
                    note=f"{builder} loads {BUILDER_SOURCES[builder]} from the hub",
                )
            )
        else:
            refs.append(
                DatasetRef(
                    builder or base,
                    role,
                    DatasetKind.BUILDER,
                    reader.prov(comp_key),
                    split=split,
                    format=builder or None,
                    entry=dict(block),
                    note="builder with no source",
                )
            )
    return tuple(refs)


def _first_dataset_value(reader: Reader, name: str, conv: Callable[[Any], T], default: T | None) -> ConfigValue[T]:
    blocks = _blocks(reader, "dataset")
    key = f"{blocks[0][0]}.{name}" if blocks else f"dataset.{name}"
    return reader.value(key, conv, default)


def _sequence(reader: Reader) -> SequencePlan:
    value = reader.value("tokenizer.max_seq_len", to_int)
    if value.is_set:
        return SequencePlan(
            max_length=value, truncation=Truncation.KEEP_START, note="the tokenizer truncates at the end"
        )
    if value.origin is Origin.CONFIG:  # unreadable value
        return SequencePlan(max_length=value, truncation=Truncation.UNKNOWN)
    written = reader.has("tokenizer.max_seq_len")
    note = "max_seq_len: null means no limit" if written else "tokenizer.max_seq_len is not set: no limit"
    return SequencePlan(
        max_length=ConfigValue(None, Origin.CONFIG if written else Origin.DEFAULT, value.sources, None, note),
        unlimited=True,
        truncation=Truncation.NONE,
        note=note,
    )


def _lora(reader: Reader) -> LoraPlan:
    modules = reader.value("model.lora_attn_modules", to_str_tuple)
    extra = [
        name
        for key, name in (("model.apply_lora_to_mlp", "mlp"), ("model.apply_lora_to_output", "output"))
        if reader.value(key, to_bool).value
    ]
    if modules.is_set or extra:
        targets: ConfigValue[tuple[str, ...]] = ConfigValue(
            tuple(modules.value or ()) + tuple(extra),
            Origin.CONFIG,
            modules.sources + reader.provs("model.apply_lora_to_mlp", "model.apply_lora_to_output"),
            modules.raw,
        )
    else:
        targets = modules
    return LoraPlan(
        r=reader.value("model.lora_rank", to_int),
        alpha=reader.value("model.lora_alpha", to_float),
        dropout=reader.value("model.lora_dropout", to_float, DEFAULTS["lora.dropout"]),
        target_modules=targets,
    )


def _chat_template(reader: Reader) -> ConfigValue[str]:
    value = reader.value("tokenizer.prompt_template", to_str)
    if value.is_set:
        return value
    return ConfigValue(
        None, Origin.UNSET, value.sources, None, "not set: the model tokenizer's own chat format is used"
    )


def _validation(reader: Reader, evals: tuple[DatasetRef, ...], recipe: str | None) -> ValidationPlan:
    every = reader.value("run_val_every_n_steps", to_int)
    configured = bool(evals)
    sources = reader.provs(
        "dataset_val._component_" if reader.is_set("dataset_val._component_") else "dataset_val",
        "run_val_every_n_steps",
    )
    if not configured:
        enabled, reason = False, "no dataset_val is defined"
    elif recipe and "single_device" in recipe:
        enabled, reason = False, f"dataset_val is defined but the {recipe} recipe does not run validation"
    elif every.value and every.value > 0:
        enabled, reason = True, f"validates on dataset_val every {every.value} steps"
    elif reader.has("run_val_every_n_steps"):
        enabled, reason = False, "dataset_val is defined but run_val_every_n_steps is null, so validation never runs"
    else:
        enabled, reason = False, "dataset_val is defined but run_val_every_n_steps is not set, so validation never runs"
    strategy: ConfigValue[str] = reader.derived("steps" if enabled else "no", ["run_val_every_n_steps"])
    return ValidationPlan(
        enabled=enabled,
        configured=configured,
        methods=("dataset_val",) if configured else (),
        reason=reason,
        eval_strategy=strategy,
        eval_steps=ConfigValue(
            float(every.value) if every.value else None, every.origin, every.sources, every.raw, every.note
        ),
        sources=sources,
    )


# --------------------------------------------------------------------------------------------
# The adapter


class TorchtuneAdapter(FrameworkAdapter):
    """torchtune: recipes configured with ``_component_`` blocks; no early stopping, validation
    only in the distributed recipes, weights from ``checkpointer.checkpoint_files``, conversations
    formatted by the model's own tokenizer (not a Hugging Face chat template)."""

    name = "torchtune"
    LABEL = "torchtune"
    TRAINER_NAME = "torchtune"
    KEYS = MappingProxyType({
        "base_model": "checkpointer.checkpoint_dir", "method": "model._component_", "epochs": "epochs",
        "max_steps": None, "learning_rate": "optimizer.lr", "learning_rate_multiplier": None,
        "lr_scheduler": "lr_scheduler._component_", "warmup_ratio": None,
        "warmup_steps": "lr_scheduler.num_warmup_steps", "weight_decay": "optimizer.weight_decay",
        "batch.per_device": "batch_size", "batch.gradient_accumulation": "gradient_accumulation_steps",
        "sequence.max_length": "tokenizer.max_seq_len", "lora.r": "model.lora_rank", "lora.alpha": "model.lora_alpha",
        "lora.dropout": "model.lora_dropout", "lora.target_modules": "model.lora_attn_modules",
        "validation.holdout": None, "validation.eval_strategy": None, "validation.eval_steps": "run_val_every_n_steps",
        "early_stopping.patience": None, "early_stopping.load_best_model_at_end": None,
        "early_stopping.metric_for_best_model": None, "early_stopping.save_strategy": None,
        "early_stopping.save_steps": None, "chat_template": "tokenizer.prompt_template", "packing": "dataset.packed",
    })
    DEFAULTS = DEFAULTS
    uses_hf_chat_template = False
    weights_key = "checkpointer.checkpoint_files"
    checkpoints_per_epoch = True

    def checkpoint_name(self, step: int, epoch: float | None = None) -> str:
        """torchtune saves ``epoch_N`` at the end of each epoch (N from 0)."""
        if epoch is not None:
            return f"epoch_{max(int(math.ceil(epoch)) - 1, 0)}"
        return f"the epoch checkpoint (epoch_*/) nearest step {step}"

    @property
    def fewer_epochs_key(self) -> str | None:
        return None  # the early-stopping settings already say to set `epochs`

    def early_stopping_settings(self, patience: int = 2, metric: str = "eval_loss",
                                greater_is_better: bool = False) -> str:
        return ("torchtune has no early stopping: keep the checkpoint of the best epoch, or set `epochs` so the "
                "run ends there")

    def evaluation_settings(self, every: int | None = None) -> str:
        return f"`dataset_val` and `run_val_every_n_steps: {every or 'N'}`"

    def validation_recipe(self, plan: TrainingPlan) -> str:
        fix = ("Define `dataset_val:` (e.g. the training builder with `split: train[95%:]`, and "
               "`split: train[:95%]` on `dataset`) and set `run_val_every_n_steps: <N>`.")
        if plan.validation.configured:
            line = plan.key_lines.get("run_val_every_n_steps")
            at = f" (line {line})" if line else ""
            fix = (f"Set `run_val_every_n_steps` to a number of steps, e.g. `run_val_every_n_steps: 100`{at}; "
                   "null means validation never runs.")
        if self.variant and "single_device" in str(self.variant):
            fix += (f" The single-device recipes ({self.variant}) do not run validation at all: use the "
                    "distributed recipe (`tune run --nproc_per_node 1 lora_finetune_distributed --config ...`) "
                    "or evaluate the saved checkpoints on held-out data.")
        return fix

    def validation_keys(self, plan: TrainingPlan) -> tuple[str, ...]:
        return ("run_val_every_n_steps", "dataset_val", "dataset")

    def early_stopping_recipe(self, patience: int = 3) -> str:
        return ("torchtune has no early stopping. Get the effect by hand: validate regularly (`dataset_val` with "
                "`run_val_every_n_steps`, in the distributed recipes), keep the checkpoint torchtune saves at the "
                "end of each epoch, and use the one with the lowest validation loss; lower `epochs` (or cap "
                "`max_steps_per_epoch`) once you see where the validation loss turns up.")

    def held_out_recipe(self) -> str:
        return ("Slice the splits so they do not overlap: `dataset.split: train[:95%]` and "
                "`dataset_val.split: train[95%:]`.")

    def test_recipe(self) -> str:
        return "After training, evaluate the final checkpoint on it (a script, or `tune run eleuther_eval`)."

    def metric_recipe(self, task: str, suggestion: str) -> str:
        return (f"torchtune reports the loss only: measure {suggestion} after training (e.g. `tune run eleuther_eval` "
                "with a custom task, or a script over the held-out set)")

    def weights_recipe(self) -> str:
        return ("Download the model (`tune download <hf-model> --output-dir <dir>`) and set "
                "`checkpointer.checkpoint_dir: <dir>` and `checkpointer.checkpoint_files: [model.safetensors]`.")

    def weights_anchor(self, plan: TrainingPlan) -> Provenance:
        return anchor(plan, ["checkpointer.checkpoint_files", "checkpointer.checkpoint_dir", "checkpointer",
                             "model._component_"], "checkpointer.checkpoint_files")

    def lora_recipe(self) -> str:
        return "a LoRA recipe (`lora_finetune_single_device`) with a `lora_*` model builder"

    unpatchable_because = "torchtune has no early stopping; add `dataset_val` and `run_val_every_n_steps` by hand"
