"""Axolotl YAML configs (``src/axolotl/utils/schemas``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from ftlint.training._common import (
    as_list,
    as_mapping,
    dataset_ref,
    effective_batch,
    sources_of,
    str_or_none,
)
from ftlint.training.known_keys import AXOLOTL_DATASET_KEYS, AXOLOTL_KEYS
from ftlint.training.plan import (
    ConfigValue,
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
from ftlint.training.source import (
    Deprecation,
    Reader,
    to_bool,
    to_float,
    to_int,
    to_str,
    to_str_tuple,
    to_strategy,
)

_MARKERS = frozenset(
    {
        "base_model",
        "sequence_len",
        "micro_batch_size",
        "num_epochs",
        "val_set_size",
        "adapter",
        "lora_target_linear",
        "sample_packing",
        "eval_sample_packing",
        "special_tokens",
        "lr_scheduler",
        "evals_per_epoch",
        "saves_per_epoch",
        "early_stopping_patience",
        "dataset_prepared_path",
        "train_on_inputs",
        "pretraining_dataset",
        "test_datasets",
        "excess_length_strategy",
        "base_model_config",
        "lora_model_dir",
        "rl",
    }
)

_RM = "is no longer supported"
#: Axolotl's DeprecatedParameters / RemappedParameters and its ``Field(deprecated=...)`` keys.
DEPRECATED: Mapping[str, Deprecation] = MappingProxyType(
    {
        "evaluation_strategy": Deprecation(
            "evaluation_strategy is deprecated, use eval_strategy instead", "eval_strategy"
        ),
        "max_packed_sequence_len": Deprecation(f"`max_packed_sequence_len` {_RM}", "sample_packing"),
        "rope_scaling": Deprecation(
            f"`rope_scaling` {_RM}; it is now a key under `model_config`", "model_config.rope_scaling"
        ),
        "noisy_embedding_alpha": Deprecation("noisy_embedding_alpha is deprecated", "neftune_noise_alpha"),
        "dpo_beta": Deprecation("dpo_beta is deprecated", "rl_beta"),
        "eval_table_size": Deprecation(
            "eval_table_size is deprecated and superseded by generate_samples",
            "generate_samples: true + num_generation_samples",
        ),
        "eval_max_new_tokens": Deprecation(
            "eval_max_new_tokens is deprecated and superseded by generate_samples", "generation_max_new_tokens"
        ),
        "dpo_use_logits_to_keep": Deprecation(f"`dpo_use_logits_to_keep` {_RM} (removed in TRL >= 0.29)"),
        "dpo_generate_during_eval": Deprecation(f"`dpo_generate_during_eval` {_RM} (removed in TRL >= 0.29)"),
        "dpo_norm_loss": Deprecation(f"`dpo_norm_loss` {_RM} (TRL >= 0.29)"),
        "rpo_alpha": Deprecation("`rpo_alpha` was deprecated in TRL >= 0.29"),
        "s2_attention": Deprecation(f"`s2_attention` {_RM}"),
        "flash_attn_rms_norm": Deprecation(f"`flash_attn_rms_norm` {_RM}"),
        "dataset_processes": Deprecation("dataset_processes is deprecated", "dataset_num_proc"),
        "gc_steps": Deprecation("`gc_steps` is deprecated", "torch_empty_cache_steps / gc_collect_steps"),
        "pretrain_multipack_buffer_size": Deprecation("deprecated in v0.13.0", "streaming_multipack_buffer_size"),
        "xformers_attention": Deprecation("deprecated", "attn_implementation: xformers"),
        "sdp_attention": Deprecation("deprecated", "attn_implementation: sdpa"),
        "flex_attention": Deprecation("deprecated", "attn_implementation: flex_attention"),
        "flash_attention": Deprecation("deprecated", "attn_implementation: flash_attention_2"),
        "sage_attention": Deprecation("deprecated", "attn_implementation: sage"),
        "eager_attention": Deprecation("deprecated", "attn_implementation: eager"),
        "fsdp": Deprecation("configuring FSDP with `fsdp` is deprecated", "fsdp_config"),
        "fsdp_final_state_dict_type": Deprecation("deprecated", "fsdp_config.final_state_dict_type"),
        "sequence_parallel_degree": Deprecation("`sequence_parallel_degree` is deprecated", "context_parallel_size"),
    }
)

KNOWN_KEYS: frozenset[str] = frozenset(AXOLOTL_KEYS | set(DEPRECATED))
_RL_STAGES: Mapping[str, str] = MappingProxyType(
    {
        "dpo": "dpo",
        "ipo": "ipo",
        "kto": "kto",
        "simpo": "simpo",
        "orpo": "orpo",
        "grpo": "grpo",
        "ebft": "ebft",
    }
)
_PREFERENCE = frozenset({"dpo", "ipo", "kto", "simpo", "orpo"})


def detect(data: Mapping[str, Any]) -> str | None:
    keys = set(data)
    if "base_model" in keys:
        return (
            "Axolotl keys (base_model" + "".join(f", {k}" for k in sorted(keys & _MARKERS - {"base_model"})[:2]) + ")"
        )
    hits = sorted(keys & _MARKERS)
    if len(hits) >= 2:
        return f"Axolotl keys ({', '.join(hits[:3])})"
    return None


def build(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    stage = _stage(reader)
    method = _method(reader)
    epochs = reader.value("num_epochs", to_float, 1.0)
    max_steps = reader.value("max_steps", to_int)
    learning_rate = reader.value("learning_rate", to_float)
    if not learning_rate.is_set and not learning_rate.note:
        learning_rate = replace(learning_rate, note="learning_rate is required by Axolotl")

    per_device = reader.value("micro_batch_size", to_int, 1)
    accumulation = reader.value("gradient_accumulation_steps", to_int, 1)
    batch = effective_batch(reader, per_device, accumulation)
    total = reader.value("batch_size", to_int)
    if total.is_set:
        batch = replace(
            batch,
            effective=replace(
                total, note="batch_size (per device, accumulation included); Axolotl scales it by the world size"
            ),
        )
    batch = replace(batch, eval_per_device=reader.value("eval_batch_size", to_int, per_device.value))

    train = tuple(_datasets(reader, "datasets", "train", stage.value))
    evals = tuple(_datasets(reader, "test_datasets", "eval", stage.value))
    validation = _validation(reader, epochs, evals)
    early = _early_stopping(reader, validation)

    chat_template = reader.value(("chat_template", "chat_template_jinja"), to_str)
    if not chat_template.is_set:
        per_dataset = [i for i, r in enumerate(train) if str_or_none(r.entry.get("chat_template"))]
        if per_dataset:
            key = f"datasets[{per_dataset[0]}].chat_template"
            chat_template = reader.value(key, to_str)
        elif any((r.format or "").startswith("chat_template") for r in train):
            chat_template = ConfigValue(
                "tokenizer_default",
                Origin.DEFAULT,
                chat_template.sources,
                None,
                "type: chat_template without chat_template: the tokenizer's template is used",
            )
    unknown: tuple[UnknownKey, ...] = reader.unknown_keys(KNOWN_KEYS)
    for list_key in ("datasets", "test_datasets"):
        for index, entry in enumerate(as_list(reader.get(list_key))):
            if isinstance(entry, Mapping):
                unknown += reader.unknown_keys(AXOLOTL_DATASET_KEYS, f"{list_key}[{index}]")

    return TrainingPlan(
        path=reader.source.path,
        framework=framework,
        variant="rl" if stage.value in _RL_STAGES.values() else "sft",
        detected_by=detected_by,
        base_model=reader.value("base_model", to_str),
        model_builder=ConfigValue(),
        method=method,
        stage=stage,
        epochs=epochs,
        max_steps=max_steps,
        max_steps_per_epoch=ConfigValue(),
        learning_rate=learning_rate,
        learning_rate_multiplier=ConfigValue(),
        lr_scheduler=reader.value("lr_scheduler", to_str, "cosine"),
        warmup_ratio=reader.value("warmup_ratio", to_float),
        warmup_steps=reader.value("warmup_steps", to_float),
        batch=batch,
        sequence=_sequence(reader),
        lora=_lora(reader) if method.value in ("lora", "qlora") else LoraPlan(),
        weight_decay=reader.value("weight_decay", to_float, 0.0),
        chat_template=chat_template,
        packing=reader.value("sample_packing", to_bool, False),
        validation=validation,
        early_stopping=early,
        loss_mask=_loss_mask(reader, train),
        train_datasets=train,
        eval_datasets=evals,
        deprecated_keys=reader.deprecated_keys(DEPRECATED),
        unknown_keys=unknown,
        commented_keys=reader.commented_keys(KNOWN_KEYS),
        duplicate_keys=reader.duplicate_keys(),
        raw=data,
        key_lines=reader.source.lines,
    )


def _stage(reader: Reader) -> ConfigValue[str]:
    rl = reader.value("rl", to_str)
    if rl.is_set and rl.value:
        name = rl.value.lower().split(".")[-1]
        return replace(rl, value=_RL_STAGES.get(name, name))
    if reader.value("reward_model", to_bool).value:
        return reader.derived("rm", ["reward_model"], "reward_model: true")
    if reader.value("process_reward_model", to_bool).value:
        return reader.derived("prm", ["process_reward_model"], "process_reward_model: true")
    if reader.is_set("pretraining_dataset"):
        return reader.derived("pt", ["pretraining_dataset"], "pretraining_dataset is set")
    return ConfigValue("sft", Origin.DEFAULT, rl.sources, None, "no rl key: supervised fine-tuning")


def _method(reader: Reader) -> ConfigValue[str]:
    adapter = reader.value("adapter", to_str)
    four_bit = reader.value("load_in_4bit", to_bool)
    if adapter.value == "qlora":
        return adapter
    if adapter.value == "lora":
        if four_bit.value:
            return reader.derived("qlora", ["adapter", "load_in_4bit"], "adapter: lora with load_in_4bit: true")
        return adapter
    if adapter.is_set:
        return adapter
    return ConfigValue("full", Origin.DEFAULT, adapter.sources, None, "no adapter: full fine-tuning")


def _lora(reader: Reader) -> LoraPlan:
    linear = reader.value("lora_target_linear", to_bool)
    targets = reader.value("lora_target_modules", to_str_tuple)
    if linear.value:
        targets = ConfigValue(
            ("all-linear",),
            Origin.CONFIG,
            linear.sources + targets.sources,
            True,
            "lora_target_linear: true" + (" (plus lora_target_modules)" if targets.is_set else ""),
        )
    return LoraPlan(
        r=reader.value("lora_r", to_int),
        alpha=reader.value("lora_alpha", to_float),
        dropout=reader.value("lora_dropout", to_float, 0.0),
        target_modules=targets,
    )


def _sequence(reader: Reader) -> SequencePlan:
    length = reader.value("sequence_len", to_int, 512, default_note="not set: Axolotl's default sequence_len (512)")
    strategy = reader.value(
        "excess_length_strategy", to_str, "drop", default_note="not set: Axolotl drops rows longer than sequence_len"
    )
    truncation = {"drop": Truncation.DROP, "truncate": Truncation.KEEP_START, "raise": Truncation.RAISE}.get(
        strategy.value or "drop", Truncation.UNKNOWN
    )
    note = (
        "rows longer than sequence_len are removed from training, not truncated"
        if truncation is Truncation.DROP
        else ""
    )
    return SequencePlan(
        max_length=length,
        truncation=truncation,
        truncation_source=strategy,
        max_prompt_length=reader.value("max_prompt_len", to_int),
        eval_max_length=reader.value("eval_sequence_len", to_int),
        note=note,
    )


def _datasets(reader: Reader, list_key: str, role: str, stage: str | None) -> list[DatasetRef]:
    refs: list[DatasetRef] = []
    for index, entry in enumerate(as_list(reader.get(list_key))):
        base = f"{list_key}[{index}]"
        if isinstance(entry, str):
            refs.append(dataset_ref(reader, entry, role, base))
            continue
        entry_map = as_mapping(entry)
        path = str_or_none(entry_map.get("path"))
        if path is None:
            continue
        kind = entry_map.get("type")
        fmt = str_or_none(kind) if not isinstance(kind, Mapping) else "custom"
        files = tuple(str(f) for f in as_list(entry_map.get("data_files")) if isinstance(f, (str, int, float)))
        refs.append(
            dataset_ref(
                reader,
                path,
                role,
                f"{base}.path",
                split=str_or_none(entry_map.get("split")) or "train",
                subset=str_or_none(entry_map.get("name")),
                data_files=files,
                fmt=fmt,
                preference=stage in _PREFERENCE,
                entry=entry_map,
            )
        )
    return refs


def _validation(reader: Reader, epochs: ConfigValue[float], evals: tuple[DatasetRef, ...]) -> ValidationPlan:
    holdout = reader.value(
        "val_set_size", to_float, 0.0, default_note="not set: Axolotl's default val_set_size (0.0) means no evaluation"
    )
    strategy = reader.value(("eval_strategy", "evaluation_strategy"), to_strategy)
    eval_steps = reader.value("eval_steps", to_float)
    per_epoch = reader.value("evals_per_epoch", to_int)
    methods: list[str] = []
    if holdout.value and holdout.value > 0:
        methods.append("val_set_size")
    if evals:
        methods.append("test_datasets")
    configured = bool(methods)
    problems: list[PlanProblem] = []
    source = " and ".join(f"{m}: {_fmt(holdout.value or 0)}" if m == "val_set_size" else m for m in methods)

    if not configured:
        enabled = False
        reason = "val_set_size is 0 and there are no test_datasets"
        if strategy.value not in (None, "no") or eval_steps.is_set:
            problems.append(
                PlanProblem(
                    "eval_steps and eval_strategy are not supported with val_set_size == 0 "
                    "(Axolotl rejects this config)",
                    sources_of(eval_steps, strategy, holdout),
                )
            )
    elif strategy.value == "no":
        enabled, reason = False, f"{source} is set but eval_strategy is 'no'"
    elif eval_steps.is_set:
        enabled, reason = True, f"evaluates on {source} every {_fmt(eval_steps.value or 0)} steps"
    elif per_epoch.is_set and per_epoch.value is not None:
        runs = per_epoch.value * (epochs.value or 1.0)
        enabled = runs > 1
        reason = (
            f"evaluates on {source} {per_epoch.value} times per epoch"
            if enabled
            else f"{source} is set but evals_per_epoch x num_epochs <= 1, so Axolotl skips evaluation"
        )
    elif strategy.value in ("steps", "epoch"):
        enabled, reason = True, f"evaluates on {source} (eval_strategy: {strategy.value})"
    else:
        enabled = False
        reason = (
            f"{source} is set but none of eval_steps, evals_per_epoch or eval_strategy is, "
            "so the trainer's eval_strategy stays 'no'"
        )

    if strategy.value and eval_steps.is_set and strategy.value != "steps":
        problems.append(
            PlanProblem(
                "eval_strategy and eval_steps mismatch: set eval_strategy to 'steps' or remove eval_steps",
                sources_of(strategy, eval_steps),
            )
        )
    if per_epoch.value and eval_steps.is_set:
        problems.append(
            PlanProblem("eval_steps and evals_per_epoch are mutually exclusive", sources_of(eval_steps, per_epoch))
        )
    return ValidationPlan(
        enabled=enabled,
        configured=configured,
        methods=tuple(methods),
        reason=reason,
        holdout=holdout,
        eval_strategy=strategy,
        eval_steps=eval_steps,
        evals_per_epoch=per_epoch,
        sources=sources_of(holdout, strategy, eval_steps, per_epoch)
        + tuple(r.provenance for r in evals if r.provenance),
        problems=tuple(problems),
    )


def _early_stopping(reader: Reader, validation: ValidationPlan) -> EarlyStoppingPlan:
    patience = reader.value("early_stopping_patience", to_int)
    save_steps = reader.value("save_steps", to_float)
    eval_steps = validation.eval_steps
    load_best = reader.value("load_best_model_at_end", to_bool, False)
    requested = bool(patience.value and patience.value > 0)
    problems: list[PlanProblem] = []
    if requested:
        if not save_steps.value or not eval_steps.value:
            missing = " and ".join(
                k for k, v in (("eval_steps", eval_steps), ("save_steps", save_steps)) if not v.value
            )
            problems.append(
                PlanProblem(
                    f"early_stopping_patience requires eval_steps and save_steps to be set ({missing} missing; "
                    "evals_per_epoch/saves_per_epoch do not count): Axolotl rejects this config",
                    sources_of(patience, eval_steps, save_steps) + reader.provs("evals_per_epoch", "saves_per_epoch"),
                )
            )
        elif save_steps.value % eval_steps.value != 0:
            problems.append(
                PlanProblem(
                    f"early_stopping_patience requires eval_steps ({_fmt(eval_steps.value)}) to divide save_steps "
                    f"({_fmt(save_steps.value)}) evenly: Axolotl rejects this config",
                    sources_of(save_steps, eval_steps, patience),
                )
            )
        if not validation.configured:
            problems.append(
                PlanProblem(
                    "early stopping needs an evaluation split (val_set_size > 0 or test_datasets)",
                    sources_of(patience, validation.holdout),
                )
            )
        if load_best.value is not False or requested:
            load_best = reader.derived(
                True,
                ["early_stopping_patience", "load_best_model_at_end"],
                "Axolotl turns load_best_model_at_end on with early_stopping_patience",
            )
    if save_steps.is_set:
        save_strategy: ConfigValue[str] = reader.derived("steps", ["save_steps"], "save_steps is set")
    else:
        save_strategy = reader.value(
            "save_strategy",
            to_strategy,
            "epoch",
            default_note="not set: Axolotl saves each epoch (or per saves_per_epoch)",
        )
    return EarlyStoppingPlan(
        supported_in_config=True,
        requested=requested,
        active=requested and not problems and validation.enabled,
        patience=patience,
        load_best_model_at_end=load_best,
        metric_for_best_model=reader.value("metric_for_best_model", to_str, "loss" if requested else None),
        greater_is_better=reader.value("greater_is_better", to_bool),
        save_strategy=save_strategy,
        save_steps=save_steps,
        saves_per_epoch=reader.value("saves_per_epoch", to_int),
        problems=tuple(problems),
        note="early_stopping_patience adds EarlyStoppingCallback (stops after N evaluations without improvement)",
    )


def _loss_mask(reader: Reader, train: tuple[DatasetRef, ...]) -> LossMaskPlan:
    roles = [f"datasets[{i}].roles_to_train" for i, r in enumerate(train) if r.entry.get("roles_to_train") is not None]
    note = f"per-dataset roles_to_train at {', '.join(roles)}" if roles else ""
    return LossMaskPlan(
        train_on_inputs=reader.value(
            "train_on_inputs", to_bool, False, default_note="not set: Axolotl masks the prompt (train_on_inputs: false)"
        ),
        note=note,
    )


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
