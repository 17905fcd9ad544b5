"""FT608/FT609/FT621: the training config's keys and values: renamed, removed or unknown keys
(with the dependency versions that decide), a missing pretrained model, and values of the wrong
type or out of the framework's range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ftlint.context import Context
from ftlint.data.load import display_path
from ftlint.grammar import with_article
from ftlint.model import Finding, Location, Severity
from ftlint.rule import Need, Rule
from ftlint.rules.config_common import (
    at,
    at_provenance,
    config_path,
    framework_label,
    require_plan,
)
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import DeprecatedKey, TrainingPlan
from ftlint.training.source import is_empty

# -- FT608 ---------------------------------------------------------------------------------------------

class DeprecatedOrUnknownKey(Rule):
    """A config key the framework renamed, removed or never had.

    ## What it does
    Reports each key of the training config that its framework has renamed or removed (at least:
    `evaluation_strategy` → `eval_strategy`, deprecated in transformers 4.41; TRL `max_seq_length`
    → `max_length`, removed from `SFTConfig` in TRL 0.20; DPO `max_prompt_length`, removed in
    TRL 0.29; `torch_dtype` → `dtype`, renamed in TRL 0.23 with the alias gone in 0.27;
    `packing_strategy: ffd` → `bfd`, renamed in TRL 0.20; Axolotl's deprecated keys;
    `TrainingArguments` fields removed in transformers 5), and each key the framework does not
    define, with a "did you mean" suggestion. One finding per key, at its line. Keys left empty
    (`key:` or `null`) change nothing and are not reported. Keys a framework declares itself
    (LLaMA-Factory's `overwrite_output_dir`) are not reported as removed from transformers.

    Keys that transformers 5 removed but 4.x still reads (`warmup_ratio`,
    `overwrite_output_dir`, ...) depend on the version that runs the config: ftlint reads the
    `transformers` pin of the config's repository (`requirements*.txt`, `pyproject.toml`,
    `setup.py`, `setup.cfg` or `environment.yml` beside the config or up to three folders
    above; without one, the framework's own requirement where ftlint knows it: LLaMA-Factory
    requires `transformers<=4.57.1`). A pin below 5 reports nothing; a pin of 5 or later reports the removal with the
    transformers 5 replacement; without a pin the finding is info and says which versions the
    advice assumes (`warmup_steps: 0.1` means a ratio on 5, but fails on 4.x).

    ## Why it matters
    A renamed key is either rejected (the job dies at start-up) or silently ignored, in which
    case the setting you wrote (a sequence length, an eval schedule) is not the one used. A
    misspelt key is the same trap.

    ## Example
    An alignment-handbook SFT recipe with `max_seq_length: 8192`: TRL 0.20 and later have no
    such `SFTConfig` field, so the length is not applied (or the parser refuses the key).

    ## How to fix
    Rename the key as the message says (`max_length`, `eval_strategy`, `dtype`), delete removed
    keys, and fix misspellings; pin the framework version the config was written for.
    """

    code = "FT608"
    name = "deprecated-or-unknown-key"
    summary = "Training-config key renamed, removed or unknown to the framework"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        label = framework_label(plan)
        pins: dict[str, Any] = {}
        for dk in plan.deprecated_keys:
            if not dk.is_set:
                continue
            if dk.removed_in is not None:
                finding = self._version_dependent(plan, dk, pins)
                if finding is not None:
                    yield finding
                continue
            version = (dk.since or "").split()[-1] if dk.since else ""
            since = f" ({dk.since})" if version and version not in dk.message else ""
            message = dk.message.rstrip(".") + since
            if dk.key not in message:
                message = f"`{dk.key}`: {message}"
            if dk.replacement:
                target, _, note = dk.replacement.partition(" (")
                if re.fullmatch(r"[\w.]+", target):
                    fix = f"Use `{target}` instead of `{dk.key}`" + (f" ({note}" if note else "")
                    if not note and "." not in target and ":" not in target:
                        fix += f": `{target}: {plan.get(dk.key)}`"
                    fix += "."
                else:
                    fix = f"Replace `{dk.key}` with `{dk.replacement}`."
            else:
                fix = f"Remove `{dk.key}`; it has no direct replacement (see the message)."
            yield self.finding(
                message, fix,
                location=at(plan, dk.key, dk.provenance.line),
                metrics={"key": dk.key, "replacement": dk.replacement, "since": dk.since, "kind": "deprecated"},
            )
        for uk in plan.unknown_keys:
            if is_empty(plan.get(uk.key)):
                continue
            hint = f"; did you mean `{uk.suggestion}`?" if uk.suggestion else ""
            fix = (f"Rename it to `{uk.suggestion}`." if uk.suggestion
                   else f"Check the spelling against the {label} documentation, or remove it.")
            yield self.finding(
                f"`{uk.key}` is not {with_article(label)} key{hint} Depending on the version it is ignored or makes "
                "the trainer refuse the config",
                fix, location=at(plan, uk.key, uk.provenance.line),
                metrics={"key": uk.key, "suggestion": uk.suggestion, "kind": "unknown"},
            )


    def _version_dependent(self, plan: TrainingPlan, dk: DeprecatedKey, pins: dict[str, Any]) -> Finding | None:
        """A key removed in one major version of a dependency (transformers 5) that earlier ones need:
        reported as removed only where the repository pins that version; not reported where it pins an
        earlier one; otherwise an info finding that says which versions the advice assumes."""
        from ftlint.training.versions import find_pin

        if dk.removed_in is None:  # pragma: no cover - called only for keys removed in a major version
            return None
        package, major = dk.removed_in
        if package not in pins:  # the repository's pin, else the framework's own requirement
            pins[package] = find_pin(Path(plan.path), package) or adapter_for(plan).requirement(package)
        pin = pins[package]
        allows_new = pin.allows_major(major) if pin is not None else None
        allows_old = pin.allows_major(major - 1) if pin is not None else None
        location = at(plan, dk.key, dk.provenance.line)
        metrics = {"key": dk.key, "replacement": dk.replacement, "since": dk.since, "kind": "deprecated",
                   "pin": f"{package}{pin.spec}" if pin is not None else None}
        if pin is not None and allows_new is False:
            return None  # the repository runs an earlier version, where the key is valid
        if pin is not None and allows_new and allows_old is False:
            source = pin.file if not Path(pin.file).exists() else display_path(Path(pin.file))
            where = f" (the repository pins {package}{pin.spec} in {source})"
            return self.finding(dk.message.rstrip(".") + where, (dk.fix or "").split(";")[0] + ".",
                                location=location, metrics=metrics)
        finding = self.finding(
            f"`{dk.key}` works on {package} {major - 1}.x but was removed in {package} {major}; no {package} pin "
            f"was found beside the config, so this assumes either version may run it",
            (dk.fix or f"On {package} {major} remove `{dk.key}`") + f". Pin {package} in the project's requirements "
            "and ftlint reports it only where it applies.",
            location=location, metrics=metrics)
        finding.severity = Severity.INFO
        return finding


# -- FT609 ---------------------------------------------------------------------------------------------

class NoPretrainedBase(Rule):
    """The config names no pretrained model to fine-tune.

    ## What it does
    Reports a fine-tuning config with no base model: Axolotl without `base_model`; HF, TRL or
    LLaMA-Factory without `model_name_or_path` (and a model built from `config_name` alone,
    which starts from random weights); LLaMA-Factory v1 without `model`; torchtune without
    `checkpointer.checkpoint_files`; an OpenAI job without `model`. Pretraining configs (stage
    `pt`) with `config_name` are not reported.

    ## Why it matters
    Fine-tuning adapts what a pretrained model knows. Without pretrained weights the run either
    fails at start-up or trains a randomly initialised model on a small dataset, which learns
    next to nothing.

    ## Example
    An Axolotl config with `datasets:` and `adapter: lora` but no `base_model:`.

    ## How to fix
    Name the pretrained model: `base_model: meta-llama/Llama-3.2-1B` (Axolotl),
    `model_name_or_path: Qwen/Qwen2.5-0.5B` (HF, TRL, LLaMA-Factory), `model:` (LLaMA-Factory v1,
    OpenAI), or `checkpointer.checkpoint_files` pointing at the downloaded weights (torchtune).
    """

    code = "FT609"
    name = "no-pretrained-base"
    summary = "No pretrained base model to fine-tune"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        adapter = adapter_for(plan)
        stage = (plan.stage.value or "").lower()
        if adapter.weights_key is not None:  # the weights are named by checkpoint files, not a model id
            if not is_empty(plan.get(adapter.weights_key)):
                return
            builder = plan.model_builder.value or "the model builder"
            yield self.finding(
                f"`{adapter.weights_key}` is not set: no pretrained weights are loaded into {builder}",
                adapter.weights_recipe(), location=at_provenance(plan, adapter.weights_anchor(plan)),
                metrics={"framework": plan.framework},
            )
            return
        if plan.base_model.is_set:
            return
        key, example = adapter.base_model_key, adapter.base_model_example
        from_config = adapter.builds_from_config_name and not is_empty(plan.get("config_name"))
        if from_config:
            if stage == "pt":
                return  # pretraining from scratch is what config_name is for
            message = (f"no `{key}`: the model is built from `config_name` alone, with random weights, so this "
                       "trains from scratch instead of fine-tuning")
            location = at(plan, "config_name")
        elif adapter.model_chosen_in_script(plan):
            return  # TrainingArguments alone: the model is chosen in the training script
        else:
            message = f"no `{key}`: the {adapter.label} config names no pretrained model to fine-tune"
            location = Location(path=config_path(plan), line=None, key=key)
        yield self.finding(message, f"Set `{key}: {example}` (the pretrained model you mean to fine-tune).",
                           location=location, metrics={"framework": plan.framework, "key": key})


# -- FT621 ---------------------------------------------------------------------------------------------

class InvalidConfigValue(Rule):
    """A training-config value of the wrong type or outside the range the framework accepts.

    ## What it does
    Checks the canonical numeric and boolean keys of each framework against what it accepts:
    epochs, `max_steps`, learning rate, batch sizes and gradient accumulation, sequence length,
    the held-out share (`val_set_size`, `val_size`, `test_split_size`), warmup, eval/save/logging
    steps, evaluations per epoch, early-stopping patience, weight decay, LoRA rank/alpha/dropout,
    the eval and save strategies and the boolean switches (Axolotl, HF Trainer, TRL,
    LLaMA-Factory v0 and v1, torchtune, OpenAI hyperparameters with `auto`). One finding per
    value, at its line: `val_set_size: "abc"` (not a number), `sequence_len: -5` (below 1),
    `num_epochs: "three"`, `warmup_ratio: 1.5` (above 1), `micro_batch_size: 2.5` (not a whole
    number), `load_in_4bit: maybe`. Epochs of 0 are accepted only with a positive `max_steps`.
    An empty value (`key:` or `null`) means "unset" and is not reported.

    No other rule uses an invalid value, nor the framework's default in its place: a rule that
    needs it is skipped and says why (FT602 does not report rows "longer than sequence_len = -5";
    FT104 does not read `val_set_size: "abc"` as 0).

    Exit code 2 instead of a finding: a key that names the training data with a shape the
    framework refuses when it loads the config (Axolotl `datasets: 5`, LLaMA-Factory
    `dataset: {...}`, torchtune `dataset: "x"`, an OpenAI `training_file` that is not a string).
    ftlint cannot tell which data the run trains on, so, as for a config that does not parse, it
    stops with a one-line error at the key's line. Scalar values stay findings even where the
    framework's own parser rejects them at load time (Axolotl's schema, TRL's argument parser, the
    OpenAI API; the HF Trainer, LLaMA-Factory and torchtune fail later, or train with a wrong
    value): the rest of the config and the data are still checkable, the finding is an error
    (so `ftlint check` fails), and one run lists every bad value with its line.

    ## Why it matters
    A value of the wrong type either stops the job at start-up, after the queue wait and the
    model download, or is coerced into something you did not mean (a share read as 0, a negative
    length); in both cases ftlint's other checks of that value would be about a number nobody
    chose.

    ## Example
    ```
    val_set_size: "abc"
    sequence_len: -5
    num_epochs: "three"
    ```

    ## How to fix
    Write the value the finding asks for: a number where a number is expected (unquoted, e.g.
    `val_set_size: 0.05`), a whole number of tokens for the sequence length, `true`/`false` for a
    switch. Remove the key (or leave it empty) to use the framework's default.
    """

    code = "FT621"
    name = "invalid-config-value"
    summary = "Training-config value of the wrong type or out of the framework's range"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        from ftlint.training.values import shown

        plan = require_plan(ctx)
        label = framework_label(plan)
        for bad in plan.invalid_values:
            yield self.finding(
                f"`{bad.key}: {shown(bad.raw)}` {bad.problem}: {label} expects {bad.expected}",
                f"Set `{bad.key}` to {bad.expected.split(' (')[0]}, or remove it to use {label}'s default.",
                location=at(plan, bad.key, bad.provenance.line),
                metrics={"key": bad.key, "value": bad.raw if isinstance(bad.raw, (str, int, float, bool)) else None,
                         "expected": bad.expected, "problem": bad.problem},
            )


__all__ = ["DeprecatedOrUnknownKey", "InvalidConfigValue", "NoPretrainedBase"]
