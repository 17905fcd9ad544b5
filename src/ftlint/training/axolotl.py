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
from ftlint.training.adapter import (
    EVAL_WHY,
    EvaluationEditRequest,
    FrameworkAdapter,
    HubFields,
    ReportedMetric,
    best_model_settings,
    point_at_repaired,
)
from ftlint.training.known_keys import AXOLOTL_DATASET_KEYS, AXOLOTL_KEYS
from ftlint.training.patch import ConfigEdit
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

#: Axolotl's defaults for the canonical fields (``src/axolotl/utils/schemas``)
DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "epochs": 1.0, "batch.per_device": 1, "batch.gradient_accumulation": 1, "weight_decay": 0.0,
    "sequence.max_length": 512, "lora.dropout": 0.0, "lr_scheduler": "cosine", "packing": False,
    "early_stopping.load_best_model_at_end": False,
})

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
    epochs = reader.value("num_epochs", to_float, DEFAULTS["epochs"])
    max_steps = reader.value("max_steps", to_int)
    learning_rate = reader.value("learning_rate", to_float)
    if not learning_rate.is_set and not learning_rate.note:
        learning_rate = replace(learning_rate, note="learning_rate is required by Axolotl")

    per_device = reader.value("micro_batch_size", to_int, DEFAULTS["batch.per_device"])
    accumulation = reader.value("gradient_accumulation_steps", to_int, DEFAULTS["batch.gradient_accumulation"])
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
        lr_scheduler=reader.value("lr_scheduler", to_str, DEFAULTS["lr_scheduler"]),
        warmup_ratio=reader.value("warmup_ratio", to_float),
        warmup_steps=reader.value("warmup_steps", to_float),
        batch=batch,
        sequence=_sequence(reader),
        lora=_lora(reader) if method.value in ("lora", "qlora") else LoraPlan(),
        weight_decay=reader.value("weight_decay", to_float, DEFAULTS["weight_decay"]),
        chat_template=chat_template,
        packing=reader.value("sample_packing", to_bool, DEFAULTS["packing"]),
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
        dropout=reader.value("lora_dropout", to_float, DEFAULTS["lora.dropout"]),
        target_modules=targets,
    )


def _sequence(reader: Reader) -> SequencePlan:
    length = reader.value("sequence_len", to_int, DEFAULTS["sequence.max_length"],
                          default_note="not set: Axolotl's default sequence_len (512)")
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
    load_best = reader.value("load_best_model_at_end", to_bool, DEFAULTS["early_stopping.load_best_model_at_end"])
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


# --------------------------------------------------------------------------------------------
# The adapter


class AxolotlAdapter(FrameworkAdapter):
    """Axolotl: early stopping in the config (``early_stopping_patience``), rows longer than
    ``sequence_len`` dropped by default, generation metrics with ``do_causal_lm_eval``."""

    name = "axolotl"
    LABEL = "Axolotl"
    TRAINER_NAME = "Axolotl"
    KEYS = MappingProxyType({
        "base_model": "base_model", "method": "adapter", "epochs": "num_epochs", "max_steps": "max_steps",
        "learning_rate": "learning_rate", "learning_rate_multiplier": None, "lr_scheduler": "lr_scheduler",
        "warmup_ratio": "warmup_ratio", "warmup_steps": "warmup_steps", "weight_decay": "weight_decay",
        "batch.per_device": "micro_batch_size", "batch.gradient_accumulation": "gradient_accumulation_steps",
        "sequence.max_length": "sequence_len", "lora.r": "lora_r", "lora.alpha": "lora_alpha",
        "lora.dropout": "lora_dropout", "lora.target_modules": "lora_target_modules",
        "validation.holdout": "val_set_size", "validation.eval_strategy": "eval_strategy",
        "validation.eval_steps": "eval_steps", "early_stopping.patience": "early_stopping_patience",
        "early_stopping.load_best_model_at_end": "load_best_model_at_end",
        "early_stopping.metric_for_best_model": "metric_for_best_model",
        "early_stopping.save_strategy": "save_strategy", "early_stopping.save_steps": "save_steps",
        "chat_template": "chat_template", "packing": "sample_packing",
    })
    DEFAULTS = DEFAULTS
    can_stop_early = True
    chat_template_hint = "chat_template (or chat_template_jinja)"
    base_model_example = "meta-llama/Llama-3.2-1B"
    run_log = "hf"  # Axolotl runs the HF Trainer: its output dir has trainer_state.json

    def hub_request_fields(self, ref: DatasetRef) -> HubFields:
        """A hub entry's custom prompt fields (``type: {field_instruction: ...}``, ``field_messages``)
        as ftlint's keys, and its ``data_dir``."""
        entry = ref.entry if isinstance(ref.entry, Mapping) else {}
        out: list[tuple[str, str]] = []
        kind = entry.get("type")
        if isinstance(kind, Mapping):
            for key, canonical in (("field_instruction", "instruction"), ("field_input", "input"),
                                   ("field_output", "output"), ("field_system", "system")):
                if isinstance(kind.get(key), str) and kind[key]:
                    out.append((canonical, kind[key]))
        messages = entry.get("field_messages")
        props = entry.get("message_property_mappings")
        role_content = (
            (not isinstance(props, Mapping)
             or (props.get("role", "role") == "role" and props.get("content", "content") == "content"))
            and entry.get("message_field_role", "role") == "role"
            and entry.get("message_field_content", "content") == "content"
        )
        if isinstance(messages, str) and messages and messages != "messages" and role_content:
            out.append(("messages", messages))
        data_dir = entry.get("data_dir")
        return HubFields(mapping=tuple(out), data_dir=str(data_dir) if isinstance(data_dir, str) and data_dir else None)

    def validation_recipe(self, plan: TrainingPlan) -> str:
        v = plan.validation
        fix = ("Set `val_set_size: 0.05` (the share of the training data held out for evaluation) or list "
               "held-out files under `test_datasets:`; Axolotl then evaluates `evals_per_epoch` times per epoch "
               "(or every `eval_steps`).")
        if v.configured:
            fix = ("Make the evaluation run: set `evals_per_epoch: 4` or `eval_steps` (with "
                   "`eval_strategy: steps`).")
        if v.eval_strategy.from_config and v.eval_strategy.value == "no":
            fix += f" Remove `eval_strategy: no` (line {v.eval_strategy.line})."
        return fix

    def validation_keys(self, plan: TrainingPlan) -> tuple[str, ...]:
        return ("val_set_size", "eval_strategy", "evaluation_strategy", "test_datasets", "datasets")

    def early_stopping_recipe(self, patience: int = 3) -> str:
        return (f"Add `early_stopping_patience: {patience}` (stop after {patience} evaluations without improvement) "
                "and set both `eval_steps` and `save_steps`, save_steps a multiple of eval_steps (Axolotl rejects "
                "the patience otherwise; `evals_per_epoch`/`saves_per_epoch` do not count); it needs "
                "`val_set_size` > 0 or `test_datasets`.")

    def early_stopping_settings(self, patience: int = 2, metric: str = "eval_loss",
                                greater_is_better: bool = False) -> str:
        return (f"`early_stopping_patience: {patience}` with {best_model_settings(metric, greater_is_better)} and "
                "`save_steps` equal to `eval_steps`")

    def evaluation_settings(self, every: int | None = None) -> str:
        return f"`val_set_size: 0.05` (or `test_datasets`) and `eval_steps: {every or 'N'}`"

    def best_checkpoint_recipe(self) -> str:
        return ("Set `eval_steps: N` and `save_steps` to a multiple of N (instead of `evals_per_epoch` / "
                "`saves_per_epoch`), keep `val_set_size` > 0 or `test_datasets`, or remove "
                "`early_stopping_patience`.")

    def checkpoint_recipe(self) -> str:
        return ("Save during the run: remove `save_strategy: \"no\"` and set `saves_per_epoch: 1` (or "
                "`save_steps` equal to `eval_steps`), with `save_total_limit: 2`.")

    def held_out_recipe(self) -> str:
        return "Evaluate on held-out rows: `val_set_size: 0.05`, or `test_datasets` that are not in `datasets`."

    def test_recipe(self) -> str:
        return ("Axolotl's `test_datasets` are evaluated during training (they are validation data): keep the test "
                "file out of the config and evaluate the final model on it afterwards.")

    def reported_metrics(self, plan: TrainingPlan) -> list[ReportedMetric]:
        if plan.get("do_causal_lm_eval") is not True:
            return []
        names = plan.get("eval_causal_lm_metrics")
        key = "eval_causal_lm_metrics" if names is not None else "do_causal_lm_eval"
        if not isinstance(names, list):
            names = ["sacrebleu", "comet", "ter", "chrf"]  # Axolotl's default list
        return [ReportedMetric(n, key) for n in names if isinstance(n, str)]

    def metric_recipe(self, task: str, suggestion: str) -> str:
        return ("Axolotl's generation metrics are `do_causal_lm_eval: true` with `eval_causal_lm_metrics` (sacrebleu, "
                "chrf, ter, comet, perplexity); " + ("they fit translation only, so " if task != "translation" else "")
                + f"measure {suggestion} on the held-out set after training")

    def lora_recipe(self) -> str:
        return "`adapter: lora` with `lora_r: 16`, `lora_alpha: 32`, `lora_target_linear: true`"

    def truncation_note(self, plan: TrainingPlan, truncation: str) -> str:
        if truncation not in ("drop", "raise", "keep_start"):
            return ""
        how = " defaults to" if plan.sequence.truncation_source.is_default else ":"
        return f" (excess_length_strategy{how} {'truncate' if truncation == 'keep_start' else truncation})"

    def assistant_mask(self, plan: TrainingPlan) -> tuple[str | None, str]:
        if plan.loss_mask.train_on_inputs.value is False and any(
                (r.format or "").startswith("chat_template") for r in plan.train_datasets):
            return "eot_tokens", ""
        return None, ""

    def evaluation_edits(self, plan: TrainingPlan, request: EvaluationEditRequest
                         ) -> tuple[list[ConfigEdit], list[str]]:
        edits = point_at_repaired(plan, request)
        if not plan.validation.configured:
            if request.validation_files and plan.train_datasets:
                entry = {k: v for k, v in dict(plan.train_datasets[0].entry).items()
                         if k not in ("path", "data_files", "split", "shards")}
                tests = [{"path": p, **entry, "split": "train"} for p in request.validation_files]
                edits.append(ConfigEdit("test_datasets", tests, "held-out data: the validation file ftlint fix wrote"))
            elif request.holdout:
                edits.append(ConfigEdit("val_set_size", 0.05, "hold out 5% of the training data for evaluation"))
        if not request.evaluate:
            return edits, []
        # eval_steps/save_steps replace the per-epoch counts (Axolotl refuses both; early stopping needs steps)
        for key, needed in (("evals_per_epoch", True), ("saves_per_epoch", request.stop_early)):
            if needed and key in plan.raw:
                edits.append(ConfigEdit(key, None, "Axolotl early stopping needs eval_steps/save_steps instead",
                                        remove=True))
        if "eval_strategy" in plan.raw and str(plan.raw.get("eval_strategy")).lower() == "no":
            edits.append(ConfigEdit("eval_strategy", "steps", "evaluate during training"))
        edits.append(ConfigEdit("eval_steps", request.eval_steps, EVAL_WHY))
        if not request.stop_early:
            return edits, []
        if not request.save_ok:
            edits.append(ConfigEdit("save_steps", request.eval_steps,
                                    "save at each evaluation (a multiple of eval_steps)"))
        edits.append(ConfigEdit("early_stopping_patience", request.patience,
                                "stop after this many evaluations without improvement"))
        return edits, []
