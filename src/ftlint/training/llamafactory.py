"""LLaMA-Factory configs: v0 (``examples/train_*``: HF ``Seq2SeqTrainingArguments`` plus
LLaMA-Factory's model/data/finetuning arguments; ``dataset:`` names resolved through
``<dataset_dir>/dataset_info.json``) and v1 (``model`` + ``peft_config`` + ``train_dataset``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ftlint.grammar import with_article
from ftlint.training._common import (
    as_mapping,
    columns_of,
    dataset_ref,
    early_stopping_callback_problems,
    effective_batch,
    hf_best_model_problems,
    positive_steps,
    sources_of,
    stage_from_path,
    str_or_none,
)
from ftlint.training.adapter import (
    EvaluationEditRequest,
    FrameworkAdapter,
    HubFields,
    ReportedMetric,
    anchor,
    best_model_settings,
    ranges,
)
from ftlint.training.hf import HF_DEPRECATED, HFAdapter, TrainerArgumentsAdapter
from ftlint.training.known_keys import (
    LLAMAFACTORY_KEYS,
    LLAMAFACTORY_V1_KEYS,
    TRANSFORMERS_KEYS,
)
from ftlint.training.patch import ConfigEdit
from ftlint.training.plan import (
    HF_HUB,
    MODELERS,
    MODELSCOPE,
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
    looks_like_hub_id,
    path_exists,
    path_is_file,
    to_bool,
    to_float,
    to_int,
    to_str,
    to_str_tuple,
    to_strategy,
)

_V0_MARKERS = frozenset(
    {
        "stage",
        "finetuning_type",
        "cutoff_len",
        "template",
        "lora_rank",
        "lora_target",
        "dataset_dir",
        "val_size",
        "train_on_prompt",
        "plot_loss",
        "quantization_bit",
        "pref_beta",
        "pref_loss",
        "mask_history",
        "max_samples",
        "adapter_name_or_path",
        "early_stopping_steps",
        "eval_dataset",
        "neat_packing",
    }
)
_V1_MARKERS = frozenset(
    {
        "train_dataset",
        "peft_config",
        "model_class",
        "global_batch_size",
        "quant_config",
        "dist_config",
        "kernel_config",
        "micro_batch_size",
    }
)

#: keys LLaMA-Factory declares in its own argument classes: what transformers removed does not apply
LLAMAFACTORY_DECLARED = frozenset({"overwrite_output_dir"})
LLAMAFACTORY_DEPRECATED = {k: v for k, v in HF_DEPRECATED.items() if k not in LLAMAFACTORY_DECLARED}
KNOWN_KEYS: frozenset[str] = frozenset(LLAMAFACTORY_KEYS | TRANSFORMERS_KEYS | set(HF_DEPRECATED))
KNOWN_V1_KEYS: frozenset[str] = LLAMAFACTORY_V1_KEYS

#: LLaMA-Factory's defaults for the canonical fields: v0 (``hparams``) and v1
DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "method": "lora", "epochs": 3.0, "learning_rate": 5e-5, "lr_scheduler": "linear", "warmup_ratio": 0.0,
    "warmup_steps": 0.0, "weight_decay": 0.0, "batch.per_device": 8, "batch.gradient_accumulation": 1,
    "sequence.max_length": 2048, "lora.r": 8, "lora.dropout": 0.0, "lora.target_modules": ("all",),
    "validation.holdout": 0.0, "validation.eval_strategy": "no", "early_stopping.save_strategy": "steps",
    "early_stopping.save_steps": 500.0, "early_stopping.load_best_model_at_end": False,
})
V1_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "epochs": 3.0, "learning_rate": 1e-4, "batch.per_device": 1, "sequence.max_length": 2048, "lora.r": 8,
    "lora.alpha": 16.0, "lora.dropout": 0.05, "lora.target_modules": ("all",), "packing": False,
})

_SPLIT_NOTE = (
    "cutoff_len is shared between prompt and response: when both are long, each is cut in proportion "
    "(a response shorter than half of cutoff_len is kept whole and the prompt is cut)"
)


def detect(data: Mapping[str, Any]) -> str | None:
    keys = set(data)
    if "model" in keys and "base_model" not in keys and keys & (_V1_MARKERS - {"micro_batch_size"}):
        return f"LLaMA-Factory v1 keys (model, {', '.join(sorted(keys & _V1_MARKERS)[:2])})"
    if "model" in keys and {"micro_batch_size", "cutoff_len"} <= keys:
        return "LLaMA-Factory v1 keys (model, micro_batch_size, cutoff_len)"
    hits = sorted(keys & _V0_MARKERS) + (["dataset"] if isinstance(data.get("dataset"), str) else [])
    if {"stage", "finetuning_type"} & keys or len(hits) >= 2:
        return f"LLaMA-Factory keys ({', '.join(hits[:3])})"
    return None


def build(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    if "model" in data and "model_name_or_path" not in data and (set(data) & _V1_MARKERS or "cutoff_len" in data):
        return _build_v1(reader, framework, detected_by)
    return _build_v0(reader, framework, detected_by)


# --------------------------------------------------------------------------------------------
# v0


def _build_v0(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    stage = _stage(reader)
    method = _method(reader)
    per_device = reader.value("per_device_train_batch_size", to_int, DEFAULTS["batch.per_device"])
    batch = effective_batch(reader, per_device, reader.value("gradient_accumulation_steps", to_int,
                                                    DEFAULTS["batch.gradient_accumulation"]))
    batch = replace(batch, eval_per_device=reader.value("per_device_eval_batch_size", to_int, 8))
    train, evals, problems, notes, registry = _v0_datasets(reader, stage.value or "sft")
    validation = _validation(reader, evals)
    early = _early_stopping(reader, validation, stage.value or "sft")
    template = reader.value("template", to_str)
    if not template.is_set:
        template = replace(
            template, note="template is not set: the tokenizer's own chat template is used if it has one"
        )
    packing = reader.value(
        "packing", to_bool, stage.value == "pt", default_note="not set: on for stage pt, off otherwise"
    )
    return TrainingPlan(
        path=reader.source.path,
        framework=framework,
        variant="v0",
        detected_by=detected_by,
        base_model=reader.value("model_name_or_path", to_str),
        model_builder=ConfigValue(),
        method=method,
        stage=stage,
        epochs=reader.value("num_train_epochs", to_float, DEFAULTS["epochs"]),
        max_steps=positive_steps(reader.value("max_steps", to_int)),
        max_steps_per_epoch=ConfigValue(),
        learning_rate=reader.value("learning_rate", to_float, DEFAULTS["learning_rate"]),
        learning_rate_multiplier=ConfigValue(),
        lr_scheduler=reader.value("lr_scheduler_type", to_str, DEFAULTS["lr_scheduler"]),
        warmup_ratio=reader.value("warmup_ratio", to_float, DEFAULTS["warmup_ratio"]),
        warmup_steps=reader.value("warmup_steps", to_float, DEFAULTS["warmup_steps"]),
        batch=batch,
        sequence=SequencePlan(
            max_length=reader.value(
                "cutoff_len", to_int, DEFAULTS["sequence.max_length"],
                default_note="not set: LLaMA-Factory's default cutoff_len (2048)",
            ),
            truncation=Truncation.SPLIT,
            note=_SPLIT_NOTE,
        ),
        lora=_lora_v0(reader) if method.value in ("lora", "qlora") else LoraPlan(),
        weight_decay=reader.value("weight_decay", to_float, DEFAULTS["weight_decay"]),
        chat_template=template,
        packing=packing,
        validation=validation,
        early_stopping=early,
        loss_mask=LossMaskPlan(
            train_on_inputs=reader.value(
                "train_on_prompt", to_bool, False, default_note="not set: the prompt is masked (train_on_prompt: false)"
            ),
            mask_history=reader.value("mask_history", to_bool, False),
        ),
        train_datasets=train,
        eval_datasets=evals,
        deprecated_keys=reader.deprecated_keys(LLAMAFACTORY_DEPRECATED),
        unknown_keys=reader.unknown_keys(KNOWN_KEYS),
        commented_keys=reader.commented_keys(KNOWN_KEYS),
        duplicate_keys=reader.duplicate_keys(),
        problems=tuple(problems),
        notes=tuple(notes),
        raw=data,
        key_lines=reader.source.lines,
        files=registry,
    )


def _stage(reader: Reader) -> ConfigValue[str]:
    stage = reader.value("stage", to_str, "sft", default_note="not set: LLaMA-Factory's default stage (sft)")
    loss = reader.value("pref_loss", to_str)
    if stage.value == "dpo" and loss.value in ("orpo", "simpo"):
        return reader.derived(loss.value, ["stage", "pref_loss"], f"stage: dpo with pref_loss: {loss.value}")
    return stage


def _method(reader: Reader) -> ConfigValue[str]:
    kind = reader.value("finetuning_type", to_str, DEFAULTS["method"],
                        default_note="not set: LLaMA-Factory's default (lora)")
    bits = reader.value("quantization_bit", to_int)
    if kind.value == "lora" and bits.value:
        return reader.derived("qlora", ["finetuning_type", "quantization_bit"],
                              f"LoRA on {with_article(str(bits.value))}-bit base")
    return kind


def _lora_v0(reader: Reader) -> LoraPlan:
    rank = reader.value("lora_rank", to_int, DEFAULTS["lora.r"])
    alpha = reader.value("lora_alpha", to_float)
    if not alpha.is_set and rank.value is not None:
        alpha = ConfigValue(
            float(rank.value * 2),
            Origin.DERIVED,
            alpha.sources + rank.sources,
            None,
            "not set: LLaMA-Factory uses lora_rank * 2",
        )
    targets: ConfigValue[tuple[str, ...]] = reader.value("lora_target", to_str_tuple, DEFAULTS["lora.target_modules"])
    if targets.value == ("all",):
        targets = replace(targets, value=("all-linear",))
    return LoraPlan(r=rank, alpha=alpha, dropout=reader.value("lora_dropout", to_float, DEFAULTS["lora.dropout"]),
                    target_modules=targets)


def _registry(reader: Reader) -> tuple[Mapping[str, Any] | None, Path | None, str, list[PlanProblem]]:
    """(dataset_info, its folder, how it was found or why not, problems)."""
    folder_value = reader.value("dataset_dir", to_str, "data")
    folder_text = folder_value.value or "data"
    if folder_text == "ONLINE":
        return None, None, "dataset_dir is ONLINE: names are hub ids", []
    if folder_text.startswith("REMOTE:"):
        return None, None, f"the registry is on the hub ({folder_text[7:]})", []
    found, _, tried = reader.resolve_path(folder_text)
    candidates = [p for p in tried if path_is_file(p / "dataset_info.json")]
    folder = candidates[0] if candidates else None
    if folder is None:
        where = " or ".join(str(p / "dataset_info.json") for p in tried)
        return None, found, f"dataset_info.json not found (looked for {where})", []
    info_path = folder / "dataset_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problem = PlanProblem(
            f"{info_path}: could not read the dataset registry: {exc}", reader.provs("dataset_dir", "dataset")
        )
        return None, folder, f"{info_path} is unreadable", [problem]
    if not isinstance(info, Mapping):
        problem = PlanProblem(
            f"{info_path}: the dataset registry is not a JSON object", reader.provs("dataset_dir", "dataset")
        )
        return None, folder, f"{info_path} is not a JSON object", [problem]
    return info, folder, str(info_path), []


def _v0_datasets(
    reader: Reader, stage: str
) -> tuple[tuple[DatasetRef, ...], tuple[DatasetRef, ...], list[PlanProblem], list[str], tuple[Path, ...]]:
    """(train refs, eval refs, problems, notes, the registry file read)."""
    info, folder, how, problems = _registry(reader)
    registry = (folder / "dataset_info.json",) if folder is not None and (info is not None or problems) else ()
    notes: list[str] = []
    if info is None:
        notes.append(f"LLaMA-Factory datasets could not be resolved: {how}")
    refs: dict[str, list[DatasetRef]] = {"train": [], "eval": []}
    for key, role in (("dataset", "train"), ("eval_dataset", "eval")):
        if not reader.is_set(key):
            continue
        try:
            names = to_str_tuple(reader.get(key))
        except ValueError:
            continue
        for name in names:
            ref, problem = _resolve_name(reader, name, role, key, info, folder, how, stage)
            refs[role].append(ref)
            if problem is not None:
                problems.append(problem)
    return tuple(refs["train"]), tuple(refs["eval"]), problems, notes, registry


def _resolve_name(
    reader: Reader,
    name: str,
    role: str,
    key: str,
    info: Mapping[str, Any] | None,
    folder: Path | None,
    how: str,
    stage: str,
) -> tuple[DatasetRef, PlanProblem | None]:
    prov = reader.prov(key)
    if info is None:
        if how.startswith("dataset_dir is ONLINE"):
            return dataset_ref(reader, name, role, key), None
        return DatasetRef(name, role, DatasetKind.REGISTRY, prov, note=how), None
    entry = info.get(name)
    if not isinstance(entry, Mapping):
        note = f"{name!r} is not defined in {folder / 'dataset_info.json' if folder else 'dataset_info.json'}"
        return DatasetRef(name, role, DatasetKind.REGISTRY, prov, note=note), PlanProblem(
            f"dataset {name!r} is not defined in dataset_info.json: LLaMA-Factory stops with 'Undefined dataset'",
            (prov,),
        )
    common: dict[str, Any] = {
        "format": str_or_none(entry.get("formatting")) or "alpaca",
        "columns": columns_of(entry.get("columns")),
        "preference": bool(entry.get("ranking")) or stage in ("rm", "dpo", "orpo", "simpo"),
        "split": str_or_none(entry.get("split")) or "train",
        "subset": str_or_none(entry.get("subset")),
        "entry": dict(entry),
    }
    hubs = ((str_or_none(entry.get("hf_hub_url")), HF_HUB), (str_or_none(entry.get("ms_hub_url")), MODELSCOPE),
            (str_or_none(entry.get("om_hub_url")), MODELERS))
    hub, which = next(((h, w) for h, w in hubs if h), (None, HF_HUB))
    if hub:
        return DatasetRef(
            name, role, DatasetKind.HUB, prov, hub_id=hub, note=f"registry entry {name!r}", hub=which, **common
        ), None
    if str_or_none(entry.get("cloud_file_name")):
        return DatasetRef(
            name, role, DatasetKind.UNKNOWN, prov, note=f"cloud file {entry.get('cloud_file_name')}", **common
        ), None
    file_name = str_or_none(entry.get("file_name")) or str_or_none(entry.get("script_url"))
    if file_name is None or folder is None:
        return DatasetRef(
            name, role, DatasetKind.REGISTRY, prov, note=f"registry entry {name!r} names no file", **common
        ), None
    path = folder / file_name
    exists = path_exists(path)
    ref = DatasetRef(
        name,
        role,
        DatasetKind.LOCAL,
        prov,
        path,
        "dataset_dir" if exists else None,
        exists,
        (path,),
        note=f"{file_name} via dataset_info.json" + ("" if exists else " (file not found)"),
        **common,
    )
    problem = (
        None
        if exists
        else PlanProblem(
            f"dataset {name!r} points at {path}, which does not exist: LLaMA-Factory stops with 'File not found'",
            (prov,),
        )
    )
    return ref, problem


def _validation(reader: Reader, evals: tuple[DatasetRef, ...]) -> ValidationPlan:
    holdout = reader.value("val_size", to_float, DEFAULTS["validation.holdout"],
                           default_note="not set: LLaMA-Factory's default val_size (0.0)")
    strategy = reader.value(("eval_strategy", "evaluation_strategy"), to_strategy, DEFAULTS["validation.eval_strategy"])
    eval_steps = reader.value("eval_steps", to_float)
    do_eval = reader.value("do_eval", to_bool, False)
    methods: list[str] = []
    if holdout.value and holdout.value > 1e-6:
        methods.append("val_size")
    if reader.is_set("eval_dataset"):
        methods.append("eval_dataset")
    configured = bool(methods)
    problems: list[PlanProblem] = []
    if len(methods) == 2:
        problems.append(
            PlanProblem(
                "val_size and eval_dataset are both set: LLaMA-Factory refuses "
                "('Cannot specify `val_size` if `eval_dataset` is not None')",
                reader.provs("val_size", "eval_dataset"),
            )
        )
    if do_eval.value and not configured:
        problems.append(
            PlanProblem(
                "do_eval is true but neither eval_dataset nor val_size is set: LLaMA-Factory refuses", do_eval.sources
            )
        )
    scheduled = strategy.value not in (None, "no")
    source = " and ".join(f"val_size: {holdout.raw}" if m == "val_size" else "eval_dataset" for m in methods)
    if not configured:
        enabled = False
        commented = [c.key for c in reader.commented_keys({"val_size", "eval_dataset", "eval_strategy"})]
        reason = "neither val_size nor eval_dataset is set" + (
            f" ({', '.join(dict.fromkeys(commented))} commented out)" if commented else ""
        )
    elif scheduled:
        enabled, reason = True, f"evaluates on {source} (eval_strategy: {strategy.value})"
    elif do_eval.value:
        enabled, reason = True, f"evaluates on {source} once, after training (do_eval: true)"
    else:
        enabled, reason = (
            False,
            f"{source} is set but eval_strategy is 'no' and do_eval is false, so it is never evaluated",
        )
    return ValidationPlan(
        enabled=enabled,
        configured=configured,
        methods=tuple(methods),
        reason=reason,
        holdout=holdout,
        eval_strategy=strategy,
        eval_steps=eval_steps,
        do_eval=do_eval,
        sources=sources_of(holdout, strategy, eval_steps) + tuple(r.provenance for r in evals[:1] if r.provenance),
        problems=tuple(problems),
    )


def _early_stopping(reader: Reader, validation: ValidationPlan, stage: str) -> EarlyStoppingPlan:
    patience = reader.value("early_stopping_steps", to_int)
    load_best = reader.value("load_best_model_at_end", to_bool, DEFAULTS["early_stopping.load_best_model_at_end"])
    metric = reader.value("metric_for_best_model", to_str)
    if load_best.value and not metric.is_set:
        metric = ConfigValue(
            "loss", Origin.DEFAULT, metric.sources, None, "load_best_model_at_end defaults it to 'loss'"
        )
    save_strategy = reader.value("save_strategy", to_strategy, DEFAULTS["early_stopping.save_strategy"])
    save_steps = reader.value("save_steps", to_float, DEFAULTS["early_stopping.save_steps"])
    eval_steps = (
        validation.eval_steps if validation.eval_steps.is_set else reader.value("logging_steps", to_float, 500.0)
    )
    requested = bool(patience.value and patience.value > 0)
    problems = hf_best_model_problems(load_best, validation.eval_strategy, eval_steps, save_strategy, save_steps)
    if requested:
        problems += early_stopping_callback_problems(load_best, validation.eval_strategy, patience)
        if not validation.configured:
            problems.append(
                PlanProblem(
                    "early_stopping_steps needs evaluation data (val_size or eval_dataset)", sources_of(patience)
                )
            )
    if stage in ("rm", "ppo") and load_best.value:
        problems.append(
            PlanProblem(
                f"stage {stage} does not support load_best_model_at_end (LLaMA-Factory refuses)", sources_of(load_best)
            )
        )
    return EarlyStoppingPlan(
        supported_in_config=True,
        requested=requested,
        active=requested and not problems and validation.enabled,
        patience=patience,
        load_best_model_at_end=load_best,
        metric_for_best_model=metric,
        greater_is_better=reader.value("greater_is_better", to_bool),
        save_strategy=save_strategy,
        save_steps=save_steps,
        problems=tuple(problems),
        note="early_stopping_steps adds EarlyStoppingCallback(early_stopping_patience=early_stopping_steps)",
    )


# --------------------------------------------------------------------------------------------
# v1


def _build_v1(reader: Reader, framework: str, detected_by: str) -> TrainingPlan:
    data = reader.source.data
    peft = as_mapping(reader.get("peft_config"))
    peft_name = str_or_none(peft.get("name"))
    if peft_name:
        quant = reader.is_set("quant_config")
        method: ConfigValue[str] = reader.derived(
            "qlora" if peft_name == "lora" and quant else peft_name,
            ["peft_config.name"] + (["quant_config"] if quant else []),
            f"peft_config.name: {peft_name}",
        )
        targets: ConfigValue[tuple[str, ...]] = reader.value("peft_config.target_modules", to_str_tuple,
                                                                    V1_DEFAULTS["lora.target_modules"])
        if targets.value == ("all",):
            targets = replace(targets, value=("all-linear",))
        lora = LoraPlan(
            r=reader.value("peft_config.r", to_int, V1_DEFAULTS["lora.r"]),
            alpha=reader.value("peft_config.lora_alpha", to_float, V1_DEFAULTS["lora.alpha"]),
            dropout=reader.value("peft_config.lora_dropout", to_float, V1_DEFAULTS["lora.dropout"]),
            target_modules=targets,
        )
    else:
        method = ConfigValue(
            "full", Origin.DEFAULT, reader.provs("peft_config"), None, "no peft_config: full fine-tuning"
        )
        lora = LoraPlan()
    path_stage = stage_from_path(reader.source.path)
    stage = (
        ConfigValue(path_stage, Origin.DERIVED, (), None, "inferred from the file path")
        if path_stage
        else ConfigValue("sft", Origin.DEFAULT, (), None, "v1 picks the trainer on the command line; assumed sft")
    )
    micro = reader.value("micro_batch_size", to_int, V1_DEFAULTS["batch.per_device"])
    global_batch = reader.value("global_batch_size", to_int)
    batch = effective_batch(reader, micro, ConfigValue(1, Origin.DEFAULT))
    if global_batch.is_set:
        batch = replace(batch, effective=global_batch)
    else:
        batch = replace(
            batch,
            effective=ConfigValue(None, Origin.DEFAULT, (), None, "not set: micro_batch_size x data-parallel size"),
        )
    train, train_problems = _v1_datasets(reader, "train_dataset", "train")
    evals, eval_problems = _v1_datasets(reader, "eval_dataset", "eval")
    configured = reader.is_set("eval_dataset")
    validation = ValidationPlan(
        enabled=configured,
        configured=configured,
        methods=("eval_dataset",) if configured else (),
        reason="eval_dataset is set (v1 has no evaluation schedule keys)" if configured else "eval_dataset is not set",
        sources=reader.provs("eval_dataset"),
    )
    return TrainingPlan(
        path=reader.source.path,
        framework=framework,
        variant="v1",
        detected_by=detected_by,
        base_model=reader.value("model", to_str),
        model_builder=ConfigValue(),
        method=method,
        stage=stage,
        epochs=reader.value("num_train_epochs", to_float, V1_DEFAULTS["epochs"]),
        max_steps=positive_steps(reader.value("max_steps", to_int)),
        max_steps_per_epoch=ConfigValue(),
        learning_rate=reader.value("learning_rate", to_float, V1_DEFAULTS["learning_rate"]),
        learning_rate_multiplier=ConfigValue(),
        lr_scheduler=reader.value("lr_scheduler_config.name", to_str),
        warmup_ratio=ConfigValue(),
        warmup_steps=ConfigValue(),
        batch=batch,
        sequence=SequencePlan(
            max_length=reader.value("cutoff_len", to_int, V1_DEFAULTS["sequence.max_length"],
                                    default_note="not set: v1 default cutoff_len (2048)"),
            truncation=Truncation.UNKNOWN,
        ),
        lora=lora,
        weight_decay=reader.value("optim_config.weight_decay", to_float),
        chat_template=reader.value("template", to_str),
        packing=reader.derived(reader.get("batching_strategy") == "padding_free", ["batching_strategy"])
        if reader.is_set("batching_strategy")
        else ConfigValue(V1_DEFAULTS["packing"], Origin.DEFAULT),
        validation=validation,
        early_stopping=EarlyStoppingPlan(note="LLaMA-Factory v1 has no early-stopping keys"),
        loss_mask=LossMaskPlan(note="v1 masks according to the dataset converter"),
        train_datasets=train,
        eval_datasets=evals,
        unknown_keys=reader.unknown_keys(KNOWN_V1_KEYS),
        commented_keys=reader.commented_keys(KNOWN_V1_KEYS),
        duplicate_keys=reader.duplicate_keys(),
        problems=tuple(train_problems + eval_problems),
        raw=data,
        key_lines=reader.source.lines,
    )


def _v1_datasets(reader: Reader, key: str, role: str) -> tuple[tuple[DatasetRef, ...], list[PlanProblem]]:
    """``train_dataset`` / ``eval_dataset`` as LLaMA-Factory v1's DataEngine reads it: a dataset
    registry YAML (``name: {path, source, split, converter, size, weight, streaming}``, or the
    older ``{file_name, dataset_dir}``); a YAML that is not on disk is a hub file
    (``ORG/NAME/dataset_info.yaml``, read from the Hugging Face cache when it is there); anything
    else is a local file or folder when one exists, else a hub dataset id.

    Relative paths (the YAML's and its entries') are resolved as the trainer resolves them,
    against the working directory ``llamafactory-cli`` runs in; then, since ftlint is often run
    from elsewhere, against the config's folder."""
    if not reader.is_set(key):
        return (), []
    text = str(reader.get(key)).strip()
    prov = reader.prov(key)
    if not text.endswith((".yaml", ".yml")):
        return (dataset_ref(reader, text, role, key),), []
    found, via, tried = reader.resolve_path(text)
    if found is None:
        repo, _, filename = text.rpartition("/")
        found = _cached_hub_file(repo, filename)
        if found is None:
            if looks_like_hub_id(repo):
                return (DatasetRef(text, role, DatasetKind.HUB, prov, candidates=tried, hub_id=repo,
                                   note=f"the dataset registry {filename} of the hub dataset {repo}"),), []
            return (DatasetRef(text, role, DatasetKind.REGISTRY, prov, tried[0], None, False, tried,
                               note="dataset registry YAML not found locally (it may be a hub path)"),), []
        via = f"the Hugging Face cache of {repo}"
    try:
        registry = yaml.safe_load(found.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return (), [PlanProblem(f"{found}: could not read the dataset registry: {exc}", (prov,))]
    if not isinstance(registry, Mapping):
        return (), [PlanProblem(f"{found}: the dataset registry is not a mapping", (prov,))]
    refs = [_v1_entry(reader, str(name), as_mapping(entry), role, prov, found, via or "")
            for name, entry in registry.items()]
    return tuple(refs), []


def _cached_hub_file(repo: str, filename: str) -> Path | None:
    """A file of a hub dataset in the local Hugging Face cache (``hf_hub_download`` puts it there)."""
    if not filename or not looks_like_hub_id(repo):
        return None
    from ftlint.hub import find_snapshot

    snap = find_snapshot(repo, None)
    path = snap.folder / filename if snap is not None else None
    return path if path is not None and path_is_file(path) else None


#: v1 registry ``source`` -> the hub it names (``local`` is a file or folder on disk)
_V1_HUBS = MappingProxyType({"hf_hub": HF_HUB, "ms_hub": MODELSCOPE})


def _v1_entry(reader: Reader, name: str, entry: Mapping[str, Any], role: str, prov: Provenance, registry: Path,
              via: str) -> DatasetRef:
    """One entry of a v1 dataset registry."""
    weight = entry.get("weight")
    common: dict[str, Any] = {
        "split": str_or_none(entry.get("split")) or "train",
        "format": str_or_none(entry.get("converter")),
        "weight": float(weight) if isinstance(weight, (int, float)) and not isinstance(weight, bool) else None,
        "entry": dict(entry),
    }
    where = f"entry {name!r} of {registry.name}"
    path = str_or_none(entry.get("path"))
    file_name = str_or_none(entry.get("file_name"))
    hub_url = str_or_none(entry.get("hf_hub_url"))
    if path is None and hub_url is not None:  # the older form: {hf_hub_url}
        path, source = hub_url, "hf_hub"
    elif path is None and file_name is not None:  # the older form: {file_name, dataset_dir}
        folder = str_or_none(entry.get("dataset_dir")) or str_or_none(reader.get("dataset_dir"))
        path = str(Path(folder) / file_name) if folder else str(registry.parent / file_name)
        source = "local"
    else:
        source = str_or_none(entry.get("source")) or "hf_hub"
    if path is None:
        return DatasetRef(name, role, DatasetKind.REGISTRY, prov,
                          note=f"{where} names no path (LLaMA-Factory cannot load it)", **common)
    if source in _V1_HUBS:
        return DatasetRef(name, role, DatasetKind.HUB, prov, hub_id=path, hub=_V1_HUBS[source], note=where, **common)
    if source != "local":
        return DatasetRef(name, role, DatasetKind.UNKNOWN, prov,
                          note=f"{where}: source {source!r} is a data loader plugin ftlint cannot read "
                               f"(it reads {', '.join(_V1_HUBS)} and local)", **common)
    local, local_via, local_tried = reader.resolve_path(path)
    return DatasetRef(name, role, DatasetKind.LOCAL, prov, local or local_tried[0], local_via, local is not None,
                      local_tried, note=f"{where} (via {via})" + ("" if local else " (not found)"), **common)


def _hub_mapping(entry: Mapping[str, Any], ranking: bool) -> tuple[tuple[str, str], ...]:
    """LLaMA-Factory's ``columns`` (its roles -> the dataset's columns) as ftlint's keys."""
    cols = entry.get("columns")
    if not isinstance(cols, Mapping):
        return ()
    tags = entry["tags"] if isinstance(entry.get("tags"), Mapping) else {}
    sharegpt = str(entry.get("formatting") or "alpaca") == "sharegpt"
    openai_roles = tags.get("role_tag") == "role" and tags.get("content_tag") == "content"
    roles = {"prompt": "prompt" if ranking else "instruction", "query": "input", "response": "output",
             "system": "system", "chosen": "chosen", "rejected": "rejected", "kto_tag": "label"}
    if sharegpt:
        roles["messages"] = "messages" if openai_roles else "conversations"
    return tuple((roles[k], str(v)) for k, v in cols.items() if k in roles and isinstance(v, str) and v)


# --------------------------------------------------------------------------------------------
# The adapter


class LlamaFactoryAdapter(TrainerArgumentsAdapter):
    """LLaMA-Factory: v0 configs (``TrainingArguments`` plus its own keys, ``early_stopping_steps``,
    ``cutoff_len`` shared between prompt and response) and v1 configs (``model``, ``peft_config``,
    no evaluation schedule or early-stopping keys)."""

    name = "llamafactory"
    TRAINER_NAME = "LLaMA-Factory"
    KEYS = MappingProxyType({  # TrainingArguments' keys (as the HF Trainer's), and LLaMA-Factory's own
        **HFAdapter.KEYS, "method": "finetuning_type", "sequence.max_length": "cutoff_len", "lora.r": "lora_rank",
        "lora.target_modules": "lora_target", "validation.holdout": "val_size",
        "early_stopping.patience": "early_stopping_steps", "chat_template": "template",
    })
    V1_KEYS = MappingProxyType({
        **dict.fromkeys(KEYS),
        "base_model": "model", "method": "peft_config.name", "epochs": "num_train_epochs", "max_steps": "max_steps",
        "learning_rate": "learning_rate", "lr_scheduler": "lr_scheduler_config.name",
        "weight_decay": "optim_config.weight_decay", "batch.per_device": "micro_batch_size",
        "sequence.max_length": "cutoff_len", "lora.r": "peft_config.r", "lora.alpha": "peft_config.lora_alpha",
        "lora.dropout": "peft_config.lora_dropout", "lora.target_modules": "peft_config.target_modules",
        "chat_template": "template", "packing": "batching_strategy",
    })
    DEFAULTS = DEFAULTS
    builds_from_config_name = True
    chat_template_hint = "template"
    _data_through = "the dataset_info.json registry"
    _patience_key = "early_stopping_steps"

    def __init__(self, variant: str = "v0") -> None:
        super().__init__(variant)
        self.v1 = variant == "v1"
        self.can_stop_early = not self.v1
        if self.v1:
            self.base_model_example = "Qwen/Qwen3-4B"

    @property
    def label(self) -> str:
        return "LLaMA-Factory v1" if self.v1 else "LLaMA-Factory"

    @property
    def keys(self) -> Mapping[str, str | None]:
        return self.V1_KEYS if self.v1 else self.KEYS

    @property
    def defaults(self) -> Mapping[str, Any]:
        return V1_DEFAULTS if self.v1 else DEFAULTS

    def samples_cap(self, plan: TrainingPlan) -> int | None:
        cap = plan.get("max_samples")
        return cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None

    def _reads_data_files(self, plan: TrainingPlan) -> bool:
        return False

    def _holdout_edit(self, plan: TrainingPlan) -> ConfigEdit | str:
        return ConfigEdit("val_size", 0.1, "hold out 10% of `dataset` for evaluation")

    def validation_recipe(self, plan: TrainingPlan) -> str:
        if self.v1:
            return "Set `eval_dataset:` to a dataset registry YAML of held-out examples (e.g. data/v1_eval.yaml)."
        v = plan.validation
        if v.configured:
            fix = ("Set `eval_strategy: steps` with `eval_steps: 500` (or `do_eval: true`): the evaluation data "
                   "is configured but never used.")
        else:
            fix = ("Set `val_size: 0.1` (a share held out from `dataset`) or `eval_dataset: <name>` (not both: "
                   "LLaMA-Factory refuses that), with `eval_strategy: steps`, `eval_steps: 500` and "
                   "`per_device_eval_batch_size`.")
        commented = self.commented_eval(plan)
        if commented and not v.configured:
            shown = ", ".join(f"`{c.text}`" for c in commented[:3]) + (", ..." if len(commented) > 3 else "")
            fix += (f" The config ships its eval block commented out on lines {ranges(c.line for c in commented)} "
                    f"({shown}): uncomment `val_size` or `eval_dataset`, plus `eval_strategy` and `eval_steps`.")
        return fix

    def validation_keys(self, plan: TrainingPlan) -> tuple[str, ...]:
        if self.v1:
            return ("eval_dataset", "train_dataset")
        return ("val_size", "eval_dataset", "eval_strategy", "evaluation_strategy", "do_eval")

    def validation_anchor(self, plan: TrainingPlan) -> Provenance:
        keys = self.validation_keys(plan)
        if self.v1 or any(key in plan.key_lines for key in keys):
            return anchor(plan, keys)
        commented = self.commented_eval(plan)
        if commented:  # LLaMA-Factory ships its examples with the eval block commented out
            return Provenance(plan.file, commented[0].key, commented[0].line)
        return anchor(plan, ["dataset"])

    def early_stopping_recipe(self, patience: int = 3) -> str:
        if self.v1:
            return ("LLaMA-Factory v1 has no early-stopping keys: evaluate on an `eval_dataset`, save checkpoints "
                    "regularly and keep the one with the lowest validation loss; lower `num_train_epochs` or set "
                    "`max_steps` when the validation loss turns up.")
        return (f"Add `early_stopping_steps: {patience}` with `load_best_model_at_end: true`, "
                "`metric_for_best_model: eval_loss`, `eval_strategy: steps` and `save_strategy: steps` "
                "(`save_steps` a multiple of `eval_steps`), and evaluation data (`val_size` or `eval_dataset`).")

    def early_stopping_settings(self, patience: int = 2, metric: str = "eval_loss",
                                greater_is_better: bool = False) -> str:
        if self.v1:
            return ("an `eval_dataset` and regular checkpoints (LLaMA-Factory v1 has no early-stopping keys): keep the "
                    "checkpoint of the best evaluation, or set `num_train_epochs` or `max_steps` so the run ends there")
        return (f"`early_stopping_steps: {patience}` with {best_model_settings(metric, greater_is_better)} and "
                "`save_steps` equal to `eval_steps`")

    def evaluation_settings(self, every: int | None = None) -> str:
        if self.v1:
            return "an `eval_dataset` (a dataset registry YAML of held-out examples)"
        return f"`val_size: 0.05` (or `eval_dataset`), `eval_strategy: steps` and `eval_steps: {every or 'N'}`"

    def hub_request_fields(self, ref: DatasetRef) -> HubFields:
        """A ``dataset_info.json`` entry's ``columns`` (its roles -> the dataset's columns) as
        ftlint's keys, and its ``folder`` in the repository."""
        entry = ref.entry if isinstance(ref.entry, Mapping) else {}
        folder = entry.get("folder")
        return HubFields(mapping=_hub_mapping(entry, bool(ref.preference)),
                         data_dir=str(folder) if isinstance(folder, str) and folder else None)

    def best_checkpoint_recipe(self) -> str:
        return ("Use the same `eval_strategy` and `save_strategy` (both `steps` or both `epoch`), with `save_steps` a "
                "multiple of `eval_steps`; early stopping also needs `load_best_model_at_end: true`, "
                "`metric_for_best_model` and evaluation data (`val_size` or `eval_dataset`).")

    def held_out_recipe(self) -> str:
        return "Evaluate on held-out rows: `val_size: 0.1`, or an `eval_dataset` that is not in `dataset`."

    def test_recipe(self) -> str:
        return ("After training, run a second LLaMA-Factory job with `do_predict: true`, `predict_with_generate: "
                "true` and `eval_dataset: <the test set>` on the saved adapter.")

    def reported_metrics(self, plan: TrainingPlan) -> list[ReportedMetric]:
        out: list[ReportedMetric] = []
        if plan.get("compute_accuracy") is True:
            out.append(ReportedMetric("token accuracy (compute_accuracy)", "compute_accuracy", "accuracy"))
        if plan.get("predict_with_generate") is True:
            out += [ReportedMetric("BLEU-4 (predict_with_generate)", "predict_with_generate", "bleu"),
                    ReportedMetric("ROUGE (predict_with_generate)", "predict_with_generate", "rouge")]
        return out

    def metric_recipe(self, task: str, suggestion: str) -> str:
        return ("LLaMA-Factory's `compute_accuracy: true` is token accuracy and `predict_with_generate: true` gives "
                f"BLEU-4 and ROUGE; measure {suggestion} on the predictions `do_predict: true` writes "
                "(generated_predictions.jsonl)")

    def lora_recipe(self) -> str:
        return "`finetuning_type: lora` with `lora_rank: 16`, `lora_target: all`"

    def assistant_mask(self, plan: TrainingPlan) -> tuple[str | None, str]:
        if plan.loss_mask.train_on_inputs.value is False:
            return None, "LLaMA-Factory masks with its own named templates, which ftlint cannot render"
        return None, ""

    def evaluation_edits(self, plan: TrainingPlan, request: EvaluationEditRequest
                         ) -> tuple[list[ConfigEdit], list[str]]:
        if self.v1:  # no evaluation schedule or early-stopping keys to write
            return FrameworkAdapter.evaluation_edits(self, plan, request)
        return super().evaluation_edits(plan, request)
