"""FT619/FT620: what the run keeps and what it executes (checkpoints, remote code).

Both read the training plan only (``ctx.plan``) and point at the config line that decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ftlint.context import Context
from ftlint.data.load import display_path
from ftlint.model import Finding, Location, Severity
from ftlint.rule import Need, Rule
from ftlint.rules.config_common import require_plan
from ftlint.training.adapters import adapter_for
from ftlint.training.source import to_bool


def _truthy(value: Any) -> bool:
    """Whether a config value reads as true, the way the adapters read booleans (``to_bool``)."""
    try:
        return to_bool(value)
    except ValueError:
        return False


class NoCheckpointSaved(Rule):
    """The training run saves no checkpoint (`save_strategy: "no"`).

    ## What it does
    Reports a training config (HF Trainer, TRL, alignment-handbook, Axolotl, LLaMA-Factory) whose
    `save_strategy` is `"no"`. Prediction- and evaluation-only jobs (`do_train: false`) are not
    reported.

    ## Why it matters
    With no checkpoint, a crash, a pre-empted node or a full disk late in the run loses every
    step trained so far, and when the run overfits there is no earlier, better checkpoint to go
    back to: only the final weights exist (if the script saves them at all). Early stopping with
    `load_best_model_at_end` needs saved checkpoints too.

    ## Example
    ```yaml
    num_train_epochs: 2
    save_strategy: "no"
    ```

    ## How to fix
    Save as often as you evaluate, and keep a few: `save_strategy: steps` with `save_steps` equal
    to `eval_steps` (or `save_strategy: epoch`), `save_total_limit: 2`, and
    `load_best_model_at_end: true` to end on the best checkpoint. Axolotl: `saves_per_epoch: 1`
    (or `save_steps`).
    """

    code = "FT619"
    name = "no-checkpoint-saved"
    summary = "The training run saves no checkpoint (save_strategy: \"no\")"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN, Need.TRAINING_RUN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        value = plan.early_stopping.save_strategy
        raw = value.raw if value.raw is not None else value.value
        if not (isinstance(raw, str) and raw.strip().lower() == "no") or not value.from_config:
            raw_top = plan.get("save_strategy")
            if not (isinstance(raw_top, str) and raw_top.strip().lower() == "no"):
                return
        prov = value.provenance
        key = prov.key if prov is not None else "save_strategy"
        line = prov.line if prov is not None else plan.key_lines.get("save_strategy")
        epochs = plan.epochs.value
        length = (f"{plan.max_steps.value:,} steps" if (plan.max_steps.value or 0) > 0
                  else f"{epochs:g} epoch{'s' if epochs != 1 else ''}" if epochs else "the whole run")
        fix = adapter_for(plan).checkpoint_recipe()
        yield self.finding(
            f"`{key}: \"no\"`: the run saves no checkpoint during {length}; a crash loses all of it, and if "
            "it overfits there is no earlier checkpoint to go back to",
            fix,
            location=Location(path=display_path(plan.path), line=line, key=key),
            metrics={"framework": plan.framework, "save_strategy": "no"},
        )


class TrustRemoteCode(Rule):
    """The config lets the model repository run its own Python code (`trust_remote_code: true`).

    ## What it does
    Reports `trust_remote_code: true` in a training config (Axolotl, LLaMA-Factory, HF/TRL
    model arguments) and names the model whose repository may then run code.

    ## Why it matters
    With `trust_remote_code`, transformers imports and runs the Python files the model's hub
    repository ships (its `auto_map`), on the training machine, with its credentials and data,
    at whatever revision the repository has when the run starts: a changed or compromised
    repository runs new code. Most current architectures (Llama, Mistral, Qwen, Phi-3, Falcon,
    Gemma) are built into transformers and need no remote code at all.

    ## Example
    ```yaml
    base_model: microsoft/Phi-3-mini-4k-instruct
    trust_remote_code: true
    ```

    ## How to fix
    Remove `trust_remote_code: true` (or set it to `false`) when the architecture is built into
    your transformers version; the model then loads with transformers' own code. If the model
    really needs its own code, read that code and pin the reviewed revision (`revision:` /
    `model_revision:` with a commit hash), then ignore this finding for the config
    (`# noqa: FT620` or `per-file-ignores`).
    """

    code = "FT620"
    name = "trust-remote-code"
    summary = "trust_remote_code: true lets the model repository run its own code"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        raw = plan.raw if isinstance(plan.raw, dict) else {}
        keys = [k for k in ("trust_remote_code", "model.trust_remote_code") if k in plan.key_lines or k in raw]
        value = raw.get("trust_remote_code")
        if value is None and isinstance(raw.get("model"), dict):
            value = raw["model"].get("trust_remote_code")
        if not _truthy(value):
            return
        key = keys[0] if keys else "trust_remote_code"
        model = plan.base_model.value if plan.base_model.is_set else None
        who = f"the hub repository of `{model}`" if model else "the model's hub repository"
        revision = next((raw.get(k) for k in ("revision", "model_revision", "base_model_revision") if raw.get(k)), None)
        pinned = f" (pinned to revision {revision})" if revision else ""
        yield self.finding(
            f"`{key}: true` lets {who}{pinned} run its own Python code on the training machine when the model "
            "loads",
            f"Remove `{key}: true` if {model or 'the model'}'s architecture is built into your transformers "
            "version (Llama, Mistral, Qwen, Phi-3, Falcon and Gemma are); otherwise read the repository's code and "
            "pin the reviewed commit with `revision:`.",
            location=Location(path=display_path(plan.path), line=plan.key_lines.get(key), key=key),
            metrics={"framework": plan.framework, "model": model, "revision": revision},
        )
