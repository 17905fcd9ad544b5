"""HF Trainer and TRL configs (``TrainingArguments`` / ``SFTConfig`` / ``DPOConfig`` ... YAML or
JSON), including alignment-handbook recipes with ``dataset_mixture``.

Framework ``"trl"``: a TRL CLI or alignment-handbook YAML (TRL keys mixed with HF keys).
Framework ``"hf"``: a flat ``TrainingArguments`` + example-script JSON (``run_glue.py`` style:
``train_file``, ``validation_file``, ``max_seq_length``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from ftlint.training._common import (
    as_list,
    as_mapping,
    columns_of,
    dataset_ref,
    effective_batch,
    hf_best_model_problems,
    positive_steps,
    sources_of,
    stage_from_path,
    str_or_none,
)
from ftlint.training.adapter import (
    EVAL_WHY,
    EvaluationEditRequest,
    FrameworkAdapter,
    best_model_settings,
    point_at_repaired,
)
from ftlint.training.known_keys import (
    ALIGNMENT_HANDBOOK_KEYS,
    HF_SCRIPT_KEYS,
    TRANSFORMERS_KEYS,
    TRL_KEYS,
)
from ftlint.training.patch import ConfigEdit
from ftlint.training.plan import (
    BatchPlan,
    ConfigValue,
    DatasetRef,
    DeprecatedKey,
    EarlyStoppingPlan,
    LoraPlan,
    LossMaskPlan,
    Origin,
    PlanProblem,
    SequencePlan,
    TrainingPlan,
    Truncation,
    ValidationPlan,
    held_out_split,
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

#: Keys only TRL/alignment-handbook define (their presence makes a config a TRL one).
TRL_ONLY_KEYS: frozenset[str] = frozenset(
    (TRL_KEYS | ALIGNMENT_HANDBOOK_KEYS) - TRANSFORMERS_KEYS - HF_SCRIPT_KEYS - {"env"}
)
#: Keys only the transformers example scripts define.
SCRIPT_ONLY_KEYS: frozenset[str] = frozenset(HF_SCRIPT_KEYS - TRL_KEYS - ALIGNMENT_HANDBOOK_KEYS - TRANSFORMERS_KEYS)
#: Keys that mark an HF-style config at all.
HF_MARKERS: frozenset[str] = frozenset(
    {"model_name_or_path", "dataset_name", "dataset_mixture", "dataset_mixer", "train_file", "task_name"}
)

_AH_MARKERS = frozenset(
    {
        "dataset_mixture",
        "dataset_mixer",
        "chat_template",
        "dataset_splits",
        "auto_insert_empty_system_msg",
        "hub_model_revision",
        "overwrite_hub_revision",
        "push_to_hub_revision",
        "dataset_configs",
    }
)

_T5 = "transformers 5"
#: ``TrainingArguments`` fields that transformers 5 removed (present in 4.x, which HF scripts, TRL and
#: LLaMA-Factory still support: the advice depends on the version the repository pins).
TRANSFORMERS_5_REMOVED: Mapping[str, Deprecation] = MappingProxyType(
    {
        key: Deprecation(
            f"`{key}` was removed from TrainingArguments in {_T5}" + (f"; use `{repl}`" if repl else ""), repl, _T5,
            removed_in=("transformers", 5),
            fix=(f"On transformers 5 use `{repl}`" if repl else f"On transformers 5 remove `{key}`")
            + ("; on 4.x it is still valid" + (" (and 4.x reads `warmup_steps` as a whole number of steps, so "
                                                "`warmup_steps: 0.1` fails there)" if key == "warmup_ratio" else "")),
        )
        for key, repl in {
            "overwrite_output_dir": None,
            "warmup_ratio": "warmup_steps (a value below 1 is read as a ratio)",
            "logging_dir": None,
            "no_cuda": "use_cpu",
            "per_gpu_train_batch_size": "per_device_train_batch_size",
            "per_gpu_eval_batch_size": "per_device_eval_batch_size",
            "save_safetensors": None,
            "group_by_length": "train_sampling_strategy: group_by_length",
            "include_tokens_per_second": None,
            "include_inputs_for_metrics": "include_for_metrics",
            "push_to_hub_token": "hub_token",
            "push_to_hub_model_id": "hub_model_id",
            "push_to_hub_organization": "hub_model_id",
            "use_mps_device": None,
            "tpu_num_cores": None,
            "tpu_metrics_debug": None,
            "fp16_backend": None,
            "half_precision_backend": None,
            "fp16_opt_level": None,
            "jit_mode_eval": None,
            "torchdynamo": "torch_compile_backend",
            "use_ipex": None,
            "use_legacy_prediction_loop": None,
            "ray_scope": None,
            "mp_parameters": None,
            "past_index": None,
            "adafactor": "optim: adafactor",
            "fsdp_min_num_params": "fsdp_config",
            "fsdp_transformer_layer_cls_to_wrap": "fsdp_config",
        }.items()
    }
)

EVALUATION_STRATEGY = Deprecation(
    "`evaluation_strategy` is the old name of `eval_strategy` (deprecated in transformers 4.41, later removed)",
    "eval_strategy",
    "transformers 4.41",
)

HF_DEPRECATED: Mapping[str, Deprecation] = MappingProxyType(
    {"evaluation_strategy": EVALUATION_STRATEGY, **TRANSFORMERS_5_REMOVED}
)

TRL_DEPRECATED: Mapping[str, Deprecation] = MappingProxyType(
    {
        **HF_DEPRECATED,
        "max_seq_length": Deprecation(
            "TRL renamed `max_seq_length` to `max_length` in v0.16 and removed it from SFTConfig in v0.20",
            "max_length",
            "trl 0.20",
        ),
        "torch_dtype": Deprecation(
            "TRL renamed `torch_dtype` to `dtype` in v0.23 and removed the alias in v0.27", "dtype", "trl 0.23"
        ),
    }
)

DPO_DEPRECATED: Mapping[str, Deprecation] = MappingProxyType(
    {
        "max_prompt_length": Deprecation(
            "DPOConfig `max_prompt_length` was removed in TRL v0.29 (use `max_length` with `truncation_mode`)",
            None,
            "trl 0.29",
        ),
    }
)

KNOWN_KEYS: frozenset[str] = frozenset(TRANSFORMERS_KEYS | TRL_KEYS | HF_SCRIPT_KEYS | ALIGNMENT_HANDBOOK_KEYS)

_DPO_KEYS = (
    "beta",
    "max_prompt_length",
    "rpo_alpha",
    "ref_model_init_kwargs",
    "precompute_ref_log_probs",
    "reference_free",
    "sync_ref_model",
    "ld_alpha",
    "f_divergence_type",
    "loss_weights",
)
_KTO_KEYS = ("desirable_weight", "undesirable_weight")
_GRPO_KEYS = ("num_generations", "reward_funcs", "reward_weights")
_DEFAULT_LR: Mapping[str, float] = MappingProxyType(
    {"sft": 2e-5, "dpo": 1e-6, "kto": 1e-6, "orpo": 1e-6, "simpo": 1e-6, "grpo": 1e-6, "rm": 1e-4}
)

#: ``TrainingArguments``' defaults for the canonical fields (``sequence.max_length``: run_glue's, for
#: the example scripts; the Trainer itself leaves it to the script)
HF_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "epochs": 3.0, "learning_rate": 5e-5, "batch.per_device": 8, "batch.gradient_accumulation": 1,
    "lr_scheduler": "linear", "warmup_ratio": 0.0, "warmup_steps": 0.0, "weight_decay": 0.0,
    "validation.eval_strategy": "no", "early_stopping.save_strategy": "steps", "early_stopping.save_steps": 500.0,
    "early_stopping.load_best_model_at_end": False, "lora.r": 16, "lora.alpha": 32.0, "lora.dropout": 0.05,
    "sequence.max_length": 128,
})
#: TRL's (``SFTConfig``; the learning rate is the SFT one, other trainers' are in ``_DEFAULT_LR``)
TRL_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    **HF_DEFAULTS, "learning_rate": _DEFAULT_LR["sft"], "sequence.max_length": 1024, "packing": False,
})


def detect(data: Mapping[str, Any], is_json: bool) -> tuple[str, str] | None:
    """("trl"|"hf", reason) when the keys look like an HF/TRL config."""
    keys = set(data)
    markers = sorted(keys & HF_MARKERS)
    hf_known = keys & (TRANSFORMERS_KEYS | HF_SCRIPT_KEYS)
    if not markers and len(hf_known) < 2:
        return None
    trl_only = sorted(keys & TRL_ONLY_KEYS)
    script_only = sorted(keys & SCRIPT_ONLY_KEYS)
    shown = ", ".join(markers or sorted(hf_known)[:3])
    if trl_only:
        return "trl", f"HF-style keys ({shown}) with TRL/alignment-handbook keys ({', '.join(trl_only[:3])})"
    if script_only:
        return "hf", f"HF Trainer keys ({shown}) with example-script keys ({', '.join(script_only[:3])})"
    if is_json:
        return "hf", f"HF Trainer keys ({shown}) in a JSON file (the example scripts' config form)"
    return "trl", f"HF Trainer keys ({shown}) in a YAML file (the TRL CLI's config form)"


def build(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    is_trl = framework == "trl"
    variant = _variant(data, framework)
    stage = _stage(reader, is_trl)
    stage_name = stage.value or ""

    base_model = reader.value("model_name_or_path", to_str)
    if not base_model.is_set and reader.is_set("config_name"):
        base_model = ConfigValue(
            None,
            Origin.UNSET,
            reader.provs("config_name"),
            None,
            "config_name without model_name_or_path: the model is trained from scratch",
        )
    method = _method(reader, is_trl)
    peft = method.value in ("lora", "qlora")

    epochs = reader.value("num_train_epochs", to_float, HF_DEFAULTS["epochs"])
    max_steps = positive_steps(reader.value("max_steps", to_int))
    lr_default = _DEFAULT_LR.get(stage_name, TRL_DEFAULTS["learning_rate"]) if is_trl else HF_DEFAULTS["learning_rate"]
    learning_rate = reader.value("learning_rate", to_float, lr_default)
    per_device = reader.value(("per_device_train_batch_size", "per_gpu_train_batch_size"), to_int,
                              HF_DEFAULTS["batch.per_device"])
    accumulation = reader.value("gradient_accumulation_steps", to_int, HF_DEFAULTS["batch.gradient_accumulation"])
    batch = effective_batch(reader, per_device, accumulation)
    batch = _with_eval_batch(batch, reader.value(("per_device_eval_batch_size", "per_gpu_eval_batch_size"), to_int, 8))

    sequence = _sequence_trl(reader, stage_name) if is_trl else _sequence_hf(reader)
    lora = _lora(reader) if peft else LoraPlan()
    train, evals, tests, validation, dataset_problems = _datasets_and_validation(reader, is_trl)
    early = _early_stopping(reader, validation)

    chat_template = reader.value(("chat_template", "chat_template_path"), to_str)
    if not chat_template.is_set:
        chat_template = ConfigValue(
            None, Origin.UNSET, chat_template.sources, None, "not set: the tokenizer's own chat template is used"
        )
    packing = reader.value("packing", to_bool, TRL_DEFAULTS["packing"]) if is_trl else reader.value("packing", to_bool)

    deprecated = reader.deprecated_keys(_deprecations(framework, stage_name))
    deprecated += _value_deprecations(reader)
    known = KNOWN_KEYS | frozenset(_deprecations(framework, stage_name))
    notes: list[str] = []
    if not is_trl:
        notes.append("HF Trainer: PEFT, early stopping and the loss mask are set up in the training script, not here")

    return TrainingPlan(
        path=reader.source.path,
        framework=framework,
        variant=variant,
        detected_by=detected_by,
        base_model=base_model,
        model_builder=ConfigValue(),
        method=method,
        stage=stage,
        epochs=epochs,
        max_steps=max_steps,
        max_steps_per_epoch=ConfigValue(),
        learning_rate=learning_rate,
        learning_rate_multiplier=ConfigValue(),
        lr_scheduler=reader.value("lr_scheduler_type", to_str, HF_DEFAULTS["lr_scheduler"]),
        warmup_ratio=reader.value("warmup_ratio", to_float, HF_DEFAULTS["warmup_ratio"]),
        warmup_steps=reader.value("warmup_steps", to_float, HF_DEFAULTS["warmup_steps"]),
        batch=batch,
        sequence=sequence,
        lora=lora,
        weight_decay=reader.value("weight_decay", to_float, HF_DEFAULTS["weight_decay"]),
        chat_template=chat_template,
        packing=packing,
        validation=validation,
        early_stopping=early,
        loss_mask=_loss_mask(reader, is_trl, stage_name),
        train_datasets=train,
        eval_datasets=evals,
        test_datasets=tests,
        deprecated_keys=deprecated,
        unknown_keys=reader.unknown_keys(known),
        commented_keys=reader.commented_keys(known),
        duplicate_keys=reader.duplicate_keys(),
        problems=tuple(dataset_problems),
        notes=tuple(notes),
        raw=data,
        key_lines=reader.source.lines,
    )


# --------------------------------------------------------------------------------------------


def _variant(data: Mapping[str, Any], framework: str) -> str:
    if framework == "hf":
        return "example-script" if set(data) & SCRIPT_ONLY_KEYS else "trainer"
    return "alignment-handbook" if set(data) & _AH_MARKERS else "trl"


def _deprecations(framework: str, stage: str) -> Mapping[str, Deprecation]:
    if framework != "trl":
        return HF_DEPRECATED
    if stage == "dpo":
        return {**TRL_DEPRECATED, **DPO_DEPRECATED}
    return TRL_DEPRECATED


def _value_deprecations(reader: Reader) -> tuple[DeprecatedKey, ...]:
    raw = reader.get("packing_strategy")
    if isinstance(raw, str) and raw.strip().lower() == "ffd":
        return (
            DeprecatedKey(
                "packing_strategy",
                reader.prov("packing_strategy"),
                "packing_strategy 'ffd' was renamed 'bfd' in TRL v0.20",
                "packing_strategy: bfd",
                "trl 0.20",
            ),
        )
    return ()


def _with_eval_batch(batch: BatchPlan, eval_batch: ConfigValue[int]) -> BatchPlan:
    return replace(batch, eval_per_device=eval_batch)


def _stage(reader: Reader, is_trl: bool) -> ConfigValue[str]:
    path_stage = stage_from_path(reader.source.path)
    if not is_trl:
        keys = [k for k in ("task_name", "label_column_name", "do_regression", "text_column_names") if reader.is_set(k)]
        if keys:
            return reader.derived("classification", keys, f"inferred from {keys[0]}")
        keys = [k for k in ("block_size", "mlm_probability") if reader.is_set(k)]
        if keys:
            return reader.derived("pt", keys, f"inferred from {keys[0]}")
        return ConfigValue(None, Origin.UNSET, (), None, "the HF Trainer's task is decided by the training script")
    for name, names in (("kto", _KTO_KEYS), ("grpo", _GRPO_KEYS)):
        hit = [k for k in names if reader.is_set(k)]
        if hit:
            return reader.derived(name, hit, f"inferred from {hit[0]}")
    hit = [k for k in _DPO_KEYS if reader.is_set(k)]
    if hit:
        stage = path_stage if path_stage in ("orpo", "simpo", "kto", "dpo") else "dpo"
        return reader.derived(stage, hit, f"inferred from {hit[0]}")
    if _mixture_has_preference_columns(reader):
        return reader.derived(
            path_stage if path_stage in ("orpo", "simpo", "kto") else "dpo",
            ["dataset_mixture"],
            "inferred from chosen/rejected columns in dataset_mixture",
        )
    if path_stage is not None:
        return ConfigValue(
            path_stage, Origin.DERIVED, (), None, f"inferred from the file path ({reader.source.path.name})"
        )
    return ConfigValue(
        "sft", Origin.DEFAULT, (), None, "no preference or RL keys: assumed supervised fine-tuning (trl sft)"
    )


def _mixture_has_preference_columns(reader: Reader) -> bool:
    for entry in as_list(as_mapping(reader.get("dataset_mixture")).get("datasets")) + as_list(reader.get("datasets")):
        columns = {c for c, _ in columns_of(as_mapping(entry).get("columns"))}
        if {"chosen", "rejected"} <= columns:
            return True
    return False


def _method(reader: Reader, is_trl: bool) -> ConfigValue[str]:
    use_peft = reader.value("use_peft", to_bool)
    q4 = reader.value("load_in_4bit", to_bool)
    q8 = reader.value("load_in_8bit", to_bool)
    if use_peft.value:
        quant = q4.value or q8.value
        keys = ["use_peft"] + (["load_in_4bit"] if q4.value else []) + (["load_in_8bit"] if q8.value else [])
        return reader.derived(
            "qlora" if quant else "lora", keys, "use_peft: true" + (" with a quantized base" if quant else "")
        )
    lora_keys = [k for k in ("lora_r", "lora_alpha", "lora_target_modules") if reader.is_set(k)]
    if lora_keys:
        return ConfigValue(
            "full",
            Origin.DEFAULT,
            reader.provs(*lora_keys, "use_peft"),
            None,
            f"{lora_keys[0]} is set but use_peft is not true: LoRA is not applied",
        )
    if not is_trl:
        return ConfigValue(
            "full", Origin.DEFAULT, (), None, "the HF Trainer has no PEFT keys; PEFT set up in code is not visible"
        )
    return ConfigValue("full", Origin.DEFAULT, use_peft.sources, None, "use_peft is not set: full fine-tuning")


def _lora(reader: Reader) -> LoraPlan:
    targets = reader.value("lora_target_modules", to_str_tuple)
    if not targets.is_set:
        targets = ConfigValue(None, Origin.DEFAULT, targets.sources, None, "not set: PEFT's per-model default modules")
    elif targets.value and len(targets.value) == 1 and targets.value[0] in ("all-linear", "all_linear", "all"):
        targets = ConfigValue(("all-linear",), targets.origin, targets.sources, targets.raw)
    return LoraPlan(
        r=reader.value("lora_r", to_int, HF_DEFAULTS["lora.r"]),
        alpha=reader.value("lora_alpha", to_float, HF_DEFAULTS["lora.alpha"]),
        dropout=reader.value("lora_dropout", to_float, HF_DEFAULTS["lora.dropout"]),
        target_modules=targets,
    )


def _sequence_trl(reader: Reader, stage: str) -> SequencePlan:
    max_length = reader.value("max_length", to_int)
    legacy = reader.value("max_seq_length", to_int)
    note = ""
    unlimited = False
    if max_length.is_set:
        if legacy.is_set:
            note = "both max_length and max_seq_length are set; max_length is used"
    elif legacy.is_set:
        max_length = legacy
        note = (
            "max_seq_length is the pre-0.20 TRL name: TRL < 0.20 uses it as max_length, later releases reject the key"
        )
    elif reader.has("max_length") and reader.get("max_length") is None:
        unlimited = True
        max_length = ConfigValue(
            None, Origin.CONFIG, reader.provs("max_length"), None, "max_length: null disables truncation"
        )
    else:
        max_length = ConfigValue(
            TRL_DEFAULTS["sequence.max_length"], Origin.DEFAULT, max_length.sources, None,
            "not set: TRL's default max_length (1024)"
        )
    mode = reader.value("truncation_mode", to_str)
    if unlimited:
        truncation = Truncation.NONE
    elif mode.value == "keep_end":
        truncation = Truncation.KEEP_END
    else:
        truncation = Truncation.KEEP_START
        if not mode.is_set:
            mode = ConfigValue(
                "keep_start",
                Origin.DEFAULT,
                mode.sources,
                None,
                "TRL default: tokens past max_length are cut from the end",
            )
    packing = reader.value("packing", to_bool)
    if packing.value and not unlimited:
        note = (note + "; " if note else "") + "with packing, sequences are packed into max_length-token blocks"
    prompt = (
        reader.value("max_prompt_length", to_int) if stage in ("dpo", "orpo", "simpo", "kto", "grpo") else ConfigValue()
    )
    return SequencePlan(
        max_length=max_length,
        unlimited=unlimited,
        truncation=truncation,
        truncation_source=mode,
        max_prompt_length=prompt,
        note=note,
    )


def _sequence_hf(reader: Reader) -> SequencePlan:
    script = bool(set(reader.source.data) & {"task_name", "train_file", "validation_file", "pad_to_max_length"})
    default = HF_DEFAULTS["sequence.max_length"] if script else None
    note = "run_glue's default max_seq_length (128)" if script else "set by the training script"
    value = reader.value(
        ("max_seq_length", "max_length", "block_size", "max_source_length"),
        to_int,
        default,
        default_note=f"not set: {note}",
    )
    truncation = Truncation.KEEP_START if value.is_set else Truncation.UNKNOWN
    return SequencePlan(
        max_length=value, truncation=truncation, note="the tokenizer truncates at the end" if value.is_set else ""
    )


def _datasets_and_validation(
    reader: Reader, is_trl: bool
) -> tuple[tuple[DatasetRef, ...], tuple[DatasetRef, ...], tuple[DatasetRef, ...], ValidationPlan, list[PlanProblem]]:
    train: list[DatasetRef] = []
    evals: list[DatasetRef] = []
    tests: list[DatasetRef] = []
    problems: list[PlanProblem] = []
    methods: list[str] = []
    holdout: ConfigValue[float] = ConfigValue()

    eval_strategy = reader.value(("eval_strategy", "evaluation_strategy"), to_strategy,
                                 HF_DEFAULTS["validation.eval_strategy"])
    eval_steps = reader.value("eval_steps", to_float)
    if not eval_steps.is_set and eval_strategy.value == "steps":
        eval_steps = ConfigValue(None, Origin.DEFAULT, eval_steps.sources, None, "not set: defaults to logging_steps")
    do_eval = reader.value("do_eval", to_bool, False)
    scheduled = eval_strategy.value not in ("no", None)
    test_split = reader.value("dataset_test_split", to_str, "test") if is_trl else ConfigValue()
    has_source = False
    reason = ""

    mixture = reader.get("dataset_mixture")
    trl_datasets = reader.get("datasets")
    if isinstance(mixture, Mapping) or (is_trl and isinstance(trl_datasets, list)):
        if isinstance(mixture, Mapping):
            prefix, entries = "dataset_mixture", mixture.get("datasets")
            if entries is None and mixture:  # {name: weight} form
                entries = [
                    {"id": name, "weight": weight}
                    for name, weight in mixture.items()
                    if name not in ("seed", "test_split_size")
                ]
            split_key = "dataset_mixture.test_split_size"
        else:
            prefix, entries, split_key = "", trl_datasets, "test_split_size"
        seed = _mixture_seed(reader) if prefix == "dataset_mixture" else None
        for index, entry in enumerate(as_list(entries)):
            ref, problem = _mixture_entry(reader, prefix, index, entry)
            if ref is not None and ref.weight is not None and seed is not None:
                # alignment-handbook: ds.shuffle(seed=seed).select(range(int(len(ds) * weight)))
                ref = replace(ref, sampling="shuffle", seed=seed)
            if ref is not None:
                train.append(ref)
            if problem is not None:
                problems.append(problem)
        holdout = reader.value(split_key, to_float)
        if holdout.is_set and holdout.value and holdout.value > 0:
            methods.append("test_split_size")
            has_source = True
            share = f"{holdout.value:.0%}" if holdout.value < 1 else f"{_fmt(holdout.value)} rows"
            reason = f"{share} of the dataset mixture held out by {split_key}"
        elif scheduled:
            problems.append(
                PlanProblem(
                    f"eval_strategy is {eval_strategy.value!r} but the dataset mixture sets no test_split_size: "
                    f"there is no '{test_split.value or 'test'}' split to evaluate on",
                    sources_of(eval_strategy) + reader.provs(prefix or "datasets"),
                )
            )
            reason = "the dataset mixture has no test_split_size, so there is no evaluation split"
    elif isinstance(reader.get("dataset_mixer"), Mapping):
        _old_mixer(reader, train, evals)
        has_source = bool(evals)
        if has_source:
            methods.append("dataset_splits")
    elif reader.is_set("dataset_name"):
        name = str(reader.get("dataset_name"))
        subset = str_or_none(reader.get("dataset_config")) or str_or_none(reader.get("dataset_config_name"))
        train_split = reader.value("dataset_train_split", to_str, "train").value if is_trl else "train"
        train.append(dataset_ref(reader, name, "train", "dataset_name", split=train_split, subset=subset))
        eval_split = test_split.value if is_trl else "validation"
        explicit = (is_trl and test_split.from_config) or scheduled or do_eval.value
        if explicit:
            key = "dataset_test_split" if reader.has("dataset_test_split") else "dataset_name"
            evals.append(dataset_ref(reader, name, "eval", key, split=eval_split, subset=subset))
            methods.append("dataset_test_split" if is_trl else "dataset_name")
            has_source = True
            reason = f"the '{eval_split}' split of {name}"

    if not is_trl or reader.is_set("train_file"):
        for key, role in (("train_file", "train"), ("validation_file", "eval"), ("test_file", "test")):
            if reader.is_set(key):
                ref = dataset_ref(reader, str(reader.get(key)), role, key, force_local=True)
                {"train": train, "eval": evals, "test": tests}[role].append(ref)
        if reader.is_set("validation_file"):
            methods.append("validation_file")
            has_source = True
            reason = "validation_file"
        pct = reader.value("validation_split_percentage", to_float)
        if pct.is_set and not reader.is_set("validation_file") and pct.value:
            holdout = ConfigValue(
                pct.value / 100.0, Origin.DERIVED, pct.sources, pct.raw, "validation_split_percentage / 100"
            )
            methods.append("validation_split_percentage")
            has_source = True
            reason = f"{_fmt(pct.value)}% of the training data held out by validation_split_percentage"

    runs = scheduled or (not is_trl and bool(do_eval.value))
    enabled = has_source and runs
    if enabled:
        when = (
            f"eval_strategy: {eval_strategy.value}" if scheduled else "do_eval: true (evaluated once, after training)"
        )
        reason = f"evaluates on {reason} ({when})"
    elif has_source:
        unless = "" if is_trl else " and do_eval is false"
        reason = f"{reason} is configured but eval_strategy is 'no'{unless}, so it is never evaluated"
    elif not reason:
        reason = (
            "no evaluation data and eval_strategy is 'no'"
            if not scheduled
            else (f"eval_strategy is {eval_strategy.value!r} but no evaluation data is configured")
        )
    validation = ValidationPlan(
        enabled=enabled,
        configured=has_source,
        methods=tuple(methods),
        reason=reason,
        holdout=holdout,
        eval_strategy=eval_strategy,
        eval_steps=eval_steps,
        do_eval=do_eval,
        test_split=test_split,
        sources=sources_of(eval_strategy, holdout, test_split) + tuple(r.provenance for r in evals if r.provenance),
    )
    return tuple(train), tuple(evals), tuple(tests), validation, problems


def _mixture_seed(reader: Reader) -> int:
    """``dataset_mixture.seed`` (alignment-handbook's DatasetMixtureConfig default: 0)."""
    raw = reader.get("dataset_mixture.seed")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def _mixture_entry(reader: Reader, prefix: str, index: int, entry: Any) -> tuple[DatasetRef | None, PlanProblem | None]:
    base = f"{prefix}.datasets[{index}]" if prefix else f"datasets[{index}]"
    if isinstance(entry, str):
        return dataset_ref(reader, entry, "train", base), None
    entry_map = as_mapping(entry)
    id_key = "id" if "id" in entry_map else "path"
    name = str_or_none(entry_map.get(id_key))
    if name is None:
        return None, None
    split = str_or_none(entry_map.get("split")) or "train"
    subset = str_or_none(entry_map.get("config")) or str_or_none(entry_map.get("name"))
    weight_raw = entry_map.get("weight", entry_map.get("fraction"))
    weight = float(weight_raw) if isinstance(weight_raw, (int, float)) and not isinstance(weight_raw, bool) else None
    columns = columns_of(entry_map.get("columns"))
    files = tuple(str(f) for f in as_list(entry_map.get("data_files")) if isinstance(f, (str, int, float)))
    ref = dataset_ref(
        reader,
        name,
        "train",
        f"{base}.{id_key}",
        split=split,
        subset=subset,
        weight=weight,
        columns=columns,
        data_files=files,
        entry=entry_map,
        preference={"chosen", "rejected"} <= {c for c, _ in columns},
    )
    problem = None
    if held_out_split(split) is not None:
        problem = PlanProblem(
            f"{base} puts the '{split}' split of {name} into the training mixture "
            "(every mixture entry is trained on; evaluation data comes from test_split_size)",
            reader.provs(f"{base}.split", f"{base}.{id_key}"),
        )
    return ref, problem


def _old_mixer(reader: Reader, train: list[DatasetRef], evals: list[DatasetRef]) -> None:
    """alignment-handbook's older ``dataset_mixer: {id: weight}`` + ``dataset_splits``."""
    mixer = as_mapping(reader.get("dataset_mixer"))
    splits = to_str_tuple(reader.get("dataset_splits")) if reader.is_set("dataset_splits") else ("train", "test")
    for name, weight in mixer.items():
        w = float(weight) if isinstance(weight, (int, float)) and not isinstance(weight, bool) else None
        for split in splits:
            role = "train" if "train" in split else "eval" if "test" in split else None
            if role is not None:
                ref = dataset_ref(
                    reader, name, role, f"dataset_mixer.{name}", split=split, weight=w if role == "train" else None
                )
                # the older alignment-handbook: dataset.select(range(int(frac * len(dataset))))
                (train if role == "train" else evals).append(replace(ref, sampling="first") if ref.weight is not None
                                                             else ref)


def _early_stopping(reader: Reader, validation: ValidationPlan) -> EarlyStoppingPlan:
    load_best = reader.value("load_best_model_at_end", to_bool, HF_DEFAULTS["early_stopping.load_best_model_at_end"])
    metric = reader.value("metric_for_best_model", to_str)
    if load_best.value and not metric.is_set:
        metric = ConfigValue(
            "loss", Origin.DEFAULT, metric.sources, None, "load_best_model_at_end defaults it to 'loss'"
        )
    save_strategy = reader.value("save_strategy", to_strategy, HF_DEFAULTS["early_stopping.save_strategy"])
    save_steps = reader.value("save_steps", to_float, HF_DEFAULTS["early_stopping.save_steps"])
    eval_steps = validation.eval_steps
    if not eval_steps.is_set:
        eval_steps = reader.value("logging_steps", to_float)
    problems = hf_best_model_problems(load_best, validation.eval_strategy, eval_steps, save_strategy, save_steps)
    note = "HF/TRL: early stopping is an EarlyStoppingCallback added in Python; the config only shows its prerequisites"
    if load_best.value and not problems and validation.enabled:
        note += " (load_best_model_at_end and evaluation are set up, so the callback would work)"
    return EarlyStoppingPlan(
        supported_in_config=False,
        requested=False,
        active=False,
        patience=ConfigValue(
            None, Origin.UNSET, (), None, "EarlyStoppingCallback(early_stopping_patience=...) in code"
        ),
        load_best_model_at_end=load_best,
        metric_for_best_model=metric,
        greater_is_better=reader.value("greater_is_better", to_bool),
        save_strategy=save_strategy,
        save_steps=save_steps,
        problems=tuple(problems),
        note=note,
    )


def _loss_mask(reader: Reader, is_trl: bool, stage: str) -> LossMaskPlan:
    if not is_trl:
        return LossMaskPlan(note="set by the training script (the HF Trainer trains on every labelled token)")
    if stage != "sft":
        return LossMaskPlan(note=f"{stage or 'this'} training scores completions; there is no prompt loss to mask")
    assistant = reader.value("assistant_only_loss", to_bool, False)
    completion = reader.value("completion_only_loss", to_bool)
    if not completion.is_set:
        completion = ConfigValue(
            None,
            Origin.DEFAULT,
            completion.sources,
            None,
            "not set: true for prompt-completion data, unused for conversational data",
        )
    note = ""
    if assistant.value:
        train_inputs = reader.derived(False, ["assistant_only_loss"], "assistant_only_loss: true")
    elif completion.value is False:
        train_inputs = reader.derived(True, ["completion_only_loss"], "completion_only_loss: false")
    else:
        train_inputs = ConfigValue(
            None, Origin.UNSET, assistant.sources + completion.sources, None, "depends on the data format"
        )
        note = (
            "conversational ('messages') data is trained on every token, user turns included, unless "
            "assistant_only_loss is true; prompt-completion data is trained on the completion only"
        )
    return LossMaskPlan(
        train_on_inputs=train_inputs, assistant_only_loss=assistant, completion_only_loss=completion, note=note
    )


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --------------------------------------------------------------------------------------------
# The adapters


class TrainerArgumentsAdapter(FrameworkAdapter):
    """What frameworks built on ``TrainingArguments`` share (HF Trainer, TRL, LLaMA-Factory v0):
    eval/save strategies that must match, ``load_best_model_at_end``, ``metric_for_best_model``."""

    #: the config names local files with train_file/validation_file (else datasets by id or name)
    def _reads_data_files(self, plan: TrainingPlan) -> bool:
        return "train_file" in plan.raw

    def _holdout_edit(self, plan: TrainingPlan) -> ConfigEdit | str:
        """The edit that carves evaluation data, or a note when the config cannot carve any."""
        if "dataset_mixture" in plan.raw:
            return ConfigEdit("dataset_mixture.test_split_size", 0.05, "hold out 5% for evaluation")
        return ("evaluation reads the dataset's `dataset_test_split` split (default 'test'): make sure the dataset "
                "has it and that it is not trained on")

    _data_through = "a dataset id"
    _needs_do_eval = False
    #: the config key of early stopping's patience (None: a callback added in Python)
    _patience_key: str | None = None

    def early_stopping_settings(self, patience: int = 2, metric: str = "eval_loss",
                                greater_is_better: bool = False) -> str:
        return (f"`EarlyStoppingCallback(early_stopping_patience={patience})` with "
                f"{best_model_settings(metric, greater_is_better)}, `eval_strategy: steps` and `save_steps` equal to "
                "`eval_steps`")

    def evaluation_settings(self, every: int | None = None) -> str:
        return f"an eval dataset, `eval_strategy: steps` and `eval_steps: {every or 'N'}`"

    def evaluation_edits(self, plan: TrainingPlan, request: EvaluationEditRequest
                         ) -> tuple[list[ConfigEdit], list[str]]:
        raw = plan.raw
        edits: list[ConfigEdit] = []
        notes: list[str] = []
        if self._reads_data_files(plan):
            edits += point_at_repaired(plan, request)
            if request.validation_files and "validation_file" not in raw:
                edits.append(ConfigEdit("validation_file", request.validation_files[0],
                                        "held-out data: the validation file ftlint fix wrote"))
        elif request.holdout and not plan.validation.configured:
            carve = self._holdout_edit(plan)
            if isinstance(carve, ConfigEdit):
                edits.append(carve)
            else:
                notes.append(carve)
        if request.rewrote_train and "train_file" not in raw:
            notes.append(f"the {self.name} config names its data through {self._data_through}: point it at the "
                         "repaired files yourself")
        if not request.evaluate:
            return edits, notes
        strategy = "eval_strategy" if "evaluation_strategy" not in raw else "evaluation_strategy"
        edits.append(ConfigEdit(strategy, "steps", "evaluate during training"))
        edits.append(ConfigEdit("eval_steps", request.eval_steps, EVAL_WHY))
        if request.stop_early:  # keeping the best checkpoint needs a save at each evaluation
            edits.append(ConfigEdit("save_strategy", "steps", "must match the evaluation strategy"))
            if not request.save_ok:
                edits.append(ConfigEdit("save_steps", request.eval_steps, "a multiple of eval_steps"))
        if self._needs_do_eval:
            edits.append(ConfigEdit("do_eval", True, "run the evaluation"))
        if not request.stop_early:
            return edits, notes
        edits.append(ConfigEdit("load_best_model_at_end", True, "keep the best checkpoint, not the last"))
        edits.append(ConfigEdit("metric_for_best_model", "eval_loss", "what 'best' means"))
        edits.append(ConfigEdit("greater_is_better", False, "a lower eval loss is better"))
        if self._patience_key is not None:
            edits.append(ConfigEdit(self._patience_key, request.patience,
                                    "stop after this many evaluations without improvement"))
        else:
            notes.append("HF/TRL early stopping is a callback: add "
                         f"`trainer.add_callback(EarlyStoppingCallback(early_stopping_patience="
                         f"{request.patience}))` to the training script (the config now has its "
                         "prerequisites)")
        return edits, notes


class HFAdapter(TrainerArgumentsAdapter):
    """The HF Trainer (``TrainingArguments`` and the transformers example scripts): PEFT, early
    stopping and the loss mask live in the training script."""

    name = "hf"
    LABEL = "HF Trainer"
    run_log = "hf"
    TRAINER_NAME = "the HF Trainer"
    KEYS = MappingProxyType({
        "base_model": "model_name_or_path", "method": "use_peft", "epochs": "num_train_epochs",
        "max_steps": "max_steps", "learning_rate": "learning_rate", "learning_rate_multiplier": None,
        "lr_scheduler": "lr_scheduler_type", "warmup_ratio": "warmup_ratio", "warmup_steps": "warmup_steps",
        "weight_decay": "weight_decay", "batch.per_device": "per_device_train_batch_size",
        "batch.gradient_accumulation": "gradient_accumulation_steps", "sequence.max_length": "max_seq_length",
        "lora.r": "lora_r", "lora.alpha": "lora_alpha", "lora.dropout": "lora_dropout",
        "lora.target_modules": "lora_target_modules", "validation.holdout": "validation_split_percentage",
        "validation.eval_strategy": "eval_strategy", "validation.eval_steps": "eval_steps",
        "early_stopping.patience": None, "early_stopping.load_best_model_at_end": "load_best_model_at_end",
        "early_stopping.metric_for_best_model": "metric_for_best_model",
        "early_stopping.save_strategy": "save_strategy", "early_stopping.save_steps": "save_steps",
        "chat_template": "chat_template", "packing": "packing",
    })
    DEFAULTS = HF_DEFAULTS
    can_stop_early = True
    early_stopping_in_code = True
    builds_from_config_name = True
    _needs_do_eval = True

    def model_chosen_in_script(self, plan: TrainingPlan) -> bool:
        return self.variant == "trainer"

    def validation_recipe(self, plan: TrainingPlan) -> str:
        v = plan.validation
        if "dataset_mixture" in plan.raw:
            fix = ("Set `dataset_mixture.test_split_size` (a share such as 0.05, or a row count) and "
                   "`eval_strategy: steps` with `eval_steps`.")
        elif self._reads_datasets_list and "datasets" in plan.raw:
            fix = "Set `test_split_size` (a share such as 0.05) and `eval_strategy: steps` with `eval_steps`."
        elif "dataset_name" in plan.raw:
            split = plan.validation.test_split.value or "test"
            fix = ("Set `eval_strategy: steps` (or `epoch`) with `eval_steps`; the evaluation data is the "
                   f"`dataset_test_split` split ('{split}') of `dataset_name`: check the dataset has that split "
                   "and that it is not trained on.")
        else:
            fix = ("Set `validation_file` (or `validation_split_percentage`) and `eval_strategy: steps` "
                   "(or `do_eval: true`).")
        if v.eval_strategy.from_config and v.eval_strategy.value == "no":
            fix += f" `eval_strategy` is 'no' on line {v.eval_strategy.line}."
        return fix

    #: TRL reads a top-level ``datasets`` list (carved with ``test_split_size``)
    _reads_datasets_list = False

    def validation_keys(self, plan: TrainingPlan) -> tuple[str, ...]:
        return ("eval_strategy", "evaluation_strategy", "dataset_mixture.test_split_size", "test_split_size",
                "dataset_test_split", "validation_file", "do_eval", "dataset_mixture", "dataset_name", "datasets",
                "train_file")

    def early_stopping_recipe(self, patience: int = 3) -> str:
        return ("Early stopping is a callback added in Python: "
                f"`trainer.add_callback(EarlyStoppingCallback(early_stopping_patience={patience}))`; the config must "
                "set `load_best_model_at_end: true`, `metric_for_best_model: eval_loss` and the same "
                "`eval_strategy` and `save_strategy` (`save_steps` a multiple of `eval_steps`).")

    def test_recipe(self) -> str:
        return ("Measure the final model on it once: HF `test_file` with `do_predict: true`, or `trainer.evaluate("
                "test_dataset)` after training.")

    def metric_recipe(self, task: str, suggestion: str) -> str:
        return (f"compute {suggestion} in a `compute_metrics` function passed to the trainer (generate, then compare "
                "with the references) and select it with `metric_for_best_model` (e.g. `eval_f1_macro`, "
                "`greater_is_better: true`)")

    def lora_recipe(self) -> str:
        return "PEFT (`LoraConfig(r=16, lora_alpha=32, target_modules=\"all-linear\")` in the script)"


class TRLAdapter(HFAdapter):
    """TRL (its CLI configs and alignment-handbook recipes): ``max_length`` with a truncation mode,
    packing, ``assistant_only_loss``."""

    name = "trl"
    TRAINER_NAME = "TRL"
    KEYS = MappingProxyType({**HFAdapter.KEYS, "sequence.max_length": "max_length",
                             "validation.holdout": "test_split_size", "chat_template": "chat_template_path"})
    DEFAULTS = TRL_DEFAULTS
    chat_template_hint = "chat_template_path"
    _needs_do_eval = False
    _reads_datasets_list = True

    @property
    def label(self) -> str:
        return "alignment-handbook (TRL)" if self.variant == "alignment-handbook" else "TRL"

    def model_chosen_in_script(self, plan: TrainingPlan) -> bool:
        return False

    def _holdout_edit(self, plan: TrainingPlan) -> ConfigEdit | str:
        if "dataset_mixture" not in plan.raw and "datasets" in plan.raw:
            return ConfigEdit("test_split_size", 0.05, "hold out 5% for evaluation")
        return super()._holdout_edit(plan)

    def early_stopping_recipe(self, patience: int = 3) -> str:
        return super().early_stopping_recipe(patience) + (
            " The `trl` CLI cannot add callbacks: at least set `load_best_model_at_end: true` so the best "
            "checkpoint, not the last, is kept.")

    def lora_recipe(self) -> str:
        return "`use_peft: true` with `lora_r: 16`, `lora_alpha: 32`, `lora_target_modules: all-linear`"

    def truncation(self, plan: TrainingPlan) -> str:
        strategy = str(plan.get("packing_strategy") or "bfd")
        if plan.packing.value and strategy.replace("-", "_") in ("wrapped", "bfd_split"):
            return "packed_split"  # over-long rows are split across packed sequences
        return super().truncation(plan)

    def assistant_mask(self, plan: TrainingPlan) -> tuple[str | None, str]:
        return ("generation", "") if plan.loss_mask.assistant_only_loss.value else (None, "")
