"""The framework adapter protocol: everything ftlint knows about one training framework.

One :class:`FrameworkAdapter` per framework (HF Trainer, TRL, Axolotl, LLaMA-Factory, torchtune,
OpenAI jobs; each lives in its framework's module beside the plan builder, and
:func:`ftlint.training.adapters.adapter_for` picks the one for a plan) answers, in the framework's
own words:

* who it is: :attr:`~FrameworkAdapter.name`, :attr:`~FrameworkAdapter.label` (in findings about the
  config), :attr:`~FrameworkAdapter.trainer_name` (in findings about what the trainer does);
* its keys: :meth:`~FrameworkAdapter.key` for each of :data:`CANONICAL_FIELDS` (stamped on the
  plan's values, so ``ConfigValue.key`` names the key to write even where a default applies),
  :attr:`~FrameworkAdapter.defaults` for the version (variant) read, and the versions of its
  dependencies it requires (:meth:`~FrameworkAdapter.requirement`);
* the recipes that fixes and messages quote: evaluation (:meth:`~FrameworkAdapter.validation_recipe`),
  early stopping (:meth:`~FrameworkAdapter.early_stopping_recipe`), keeping the best checkpoint
  (:meth:`~FrameworkAdapter.best_checkpoint_recipe`), saving checkpoints, a held-out test, metrics,
  LoRA;
* where the tokenizer and chat template come from (:meth:`~FrameworkAdapter.tokenizer_name`,
  :meth:`~FrameworkAdapter.chat_template_setting`), and how the framework truncates or drops long
  rows (:meth:`~FrameworkAdapter.truncation`);
* how to patch its config file, comments kept (:meth:`~FrameworkAdapter.evaluation_edits`,
  :meth:`~FrameworkAdapter.patch_config`);
* how a config's hub dataset entry selects its data (:meth:`~FrameworkAdapter.hub_request_fields`:
  the columns kept or renamed, the folder inside the repository);
* after the run (``--run``, the FT8xx rules): which run logs its runs leave
  (:meth:`~FrameworkAdapter.writes_run_log`), how it names the checkpoint of a step
  (:meth:`~FrameworkAdapter.checkpoint_name`), and the settings a run finding quotes
  (:meth:`~FrameworkAdapter.early_stopping_settings`, :meth:`~FrameworkAdapter.evaluation_settings`).
  A run without a training config gets its adapter by name
  (:func:`ftlint.training.adapters.adapter_named`).

Rules and ``ftlint fix`` ask the plan and its adapter; none of them branches on a framework's name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ftlint.training.patch import ConfigEdit, patch_config_text
from ftlint.training.plan import CommentedKey, ConfigValue, DatasetRef, Provenance, TrainingPlan
from ftlint.training.versions import FRAMEWORK_PINS, Pin

#: The fields of a :class:`~ftlint.training.plan.TrainingPlan` that every framework names with a
#: key of its own: attribute paths into the plan (``batch.per_device`` is
#: ``plan.batch.per_device``). :meth:`FrameworkAdapter.key` answers each (None where the framework
#: has no such key).
CANONICAL_FIELDS: tuple[str, ...] = (
    "base_model",
    "method",
    "epochs",
    "max_steps",
    "learning_rate",
    "learning_rate_multiplier",
    "lr_scheduler",
    "warmup_ratio",
    "warmup_steps",
    "weight_decay",
    "batch.per_device",
    "batch.gradient_accumulation",
    "sequence.max_length",
    "lora.r",
    "lora.alpha",
    "lora.dropout",
    "lora.target_modules",
    "validation.holdout",
    "validation.eval_strategy",
    "validation.eval_steps",
    "early_stopping.patience",
    "early_stopping.load_best_model_at_end",
    "early_stopping.metric_for_best_model",
    "early_stopping.save_strategy",
    "early_stopping.save_steps",
    "chat_template",
    "packing",
)

#: keys of an evaluation block, in any framework (a commented-out one is what FT104 points at)
EVAL_KEYS: tuple[str, ...] = (
    "eval_dataset", "val_size", "val_set_size", "eval_strategy", "evaluation_strategy", "eval_steps",
    "per_device_eval_batch_size", "do_eval", "test_datasets", "validation_file", "run_val_every_n_steps",
    "dataset_val", "test_split_size", "dataset_test_split",
)


@dataclass(frozen=True)
class ReportedMetric:
    """A metric a config turns on beyond ``metric_for_best_model``: its name, the key that turns it
    on, and its family when the framework fixes it (None: read it from the name)."""

    name: str
    key: str
    kind: str | None = None


#: The training-plan settings an :class:`~ftlint.remedies.EditConfig` remedy may ask ``ftlint fix`` to
#: set, and what each one means for the config: held-out evaluation during training
#: (``validation.enabled``), early stopping on the best checkpoint (``early_stopping.requested``), and a
#: working early-stopping set-up in place of a broken one (``early_stopping.problems`` set to ``[]``).
CONFIG_SETTINGS: tuple[str, ...] = ("validation.enabled", "early_stopping.requested", "early_stopping.problems")


@dataclass(frozen=True)
class EvaluationEditRequest:
    """What ``ftlint fix`` hands the adapter to patch the config.

    ``settings``: the plan settings the findings' EditConfig remedies ask for (of
    :data:`CONFIG_SETTINGS`): they decide which edits the adapter makes beyond pointing the config
    at the repaired files; ``eval_steps``: the evaluation interval to write; ``save_ok``: the
    config's own ``save_steps`` already is a multiple of it; ``validation_files``: the held-out
    files ``fix`` wrote, as the config should name them; ``repaired(ref, split)``: how the config
    should name the repaired copy of one of its datasets (None when none was written);
    ``rewrote_train``: training files were rewritten (a config naming its data by id must be
    pointed at them by hand)."""

    eval_steps: int
    save_ok: bool
    patience: int
    validation_files: tuple[str, ...] = ()
    repaired: Callable[[DatasetRef, str], str | None] = lambda ref, split: None
    rewrote_train: bool = False
    settings: frozenset[str] = frozenset()

    @property
    def holdout(self) -> bool:
        """Held-out evaluation data is asked for (``validation.enabled``)."""
        return "validation.enabled" in self.settings

    @property
    def stop_early(self) -> bool:
        """A working early-stopping set-up is asked for (any ``early_stopping.*`` setting)."""
        return any(s.startswith("early_stopping.") for s in self.settings)

    @property
    def evaluate(self) -> bool:
        """The run must evaluate at an interval (both of the above need it)."""
        return self.holdout or self.stop_early


def evaluation_interval(plan: TrainingPlan, n_train: int) -> tuple[int, bool]:
    """The evaluation interval ``fix`` writes, and whether the config's own ``save_steps`` is a
    multiple of it: the config's ``eval_steps``, else its ``save_steps`` (evaluate at each save),
    else about four evaluations per epoch of ``n_train`` rows. Only what the config itself says
    counts: a framework default (HF ``save_steps`` 500) is no interval the user chose."""
    steps = plan.validation.eval_steps.value if plan.validation.eval_steps.from_config else None
    save = plan.early_stopping.save_steps.value if plan.early_stopping.save_steps.from_config else None
    if steps and steps >= 1:
        eval_steps = int(steps)
    elif save and save >= 1:
        eval_steps = int(save)
    else:
        eff = plan.batch.effective.value or plan.batch.per_device.value or 8
        per_epoch = max(1, math.ceil(n_train / max(1, int(eff))))
        eval_steps = max(1, per_epoch // 4)
    return eval_steps, bool(save and save >= 1 and int(save) % eval_steps == 0)


@dataclass(frozen=True)
class HubFields:
    """How one hub dataset entry of a config selects its data, in the terms ``ftlint.hub`` reads
    it with: the columns kept (HF/TRL ``columns``, ``select_columns``), the dataset's columns for
    ftlint's canonical keys (LLaMA-Factory ``columns``, Axolotl ``field_*``), and the folder inside
    the repository (``data_dir``, LLaMA-Factory ``folder``)."""

    columns: tuple[str, ...] = ()
    mapping: tuple[tuple[str, str], ...] = ()
    data_dir: str | None = None


def best_model_settings(metric: str = "eval_loss", greater_is_better: bool = False) -> str:
    """The ``TrainingArguments`` that end a run on its best checkpoint by ``metric``."""
    gib = ", `greater_is_better: true`" if greater_is_better else ""
    return f"`load_best_model_at_end: true`, `metric_for_best_model: {metric}`{gib}"


#: why ``ftlint fix`` sets the evaluation interval
EVAL_WHY = "evaluate during training, at each checkpoint (about 4 times per epoch when no interval was set)"


def point_at_repaired(plan: TrainingPlan, request: EvaluationEditRequest) -> list[ConfigEdit]:
    """Edits that make the config's local datasets name their repaired copies."""
    edits: list[ConfigEdit] = []
    for refs, split in ((plan.train_datasets, "train"), (plan.eval_datasets, "validation")):
        for ref in refs:
            if ref.path is None or ref.provenance is None:
                continue
            out = request.repaired(ref, split)
            if out is not None:
                edits.append(ConfigEdit(ref.provenance.key, out, "the repaired copy"))
    return edits


def ranges(lines: Iterable[int]) -> str:
    """``[40, 41, 42, 45]`` -> ``"40-42, 45"``."""
    runs: list[list[int]] = []
    for n in sorted(set(lines)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def anchor(plan: TrainingPlan, keys: Iterable[str], fallback: str | None = None) -> Provenance:
    """The first of ``keys`` written in the config; else ``fallback`` (or the first key) with no line."""
    keys = list(keys)
    for key in keys:
        if key in plan.key_lines:
            return plan.where(key)
    return Provenance(plan.file, fallback or (keys[0] if keys else ""), None)


class FrameworkAdapter:
    """What ftlint knows about one training framework (see the module docstring).

    An adapter is bound to the variant of the config it serves (``v0``/``v1`` for LLaMA-Factory,
    ``trl``/``alignment-handbook`` for TRL, the recipe for torchtune): :func:`adapter_for` builds
    it from the plan. The defaults below are what a method answers for a framework that has
    nothing to say; every adapter answers every canonical field in :attr:`KEYS`.
    """

    #: the framework's name (``TrainingPlan.framework``)
    name: ClassVar[str] = ""
    #: canonical field (:data:`CANONICAL_FIELDS`) -> the framework's key (None: it has none)
    KEYS: ClassVar[Mapping[str, str | None]] = {}
    #: canonical field -> the framework's default where the config does not set it
    DEFAULTS: ClassVar[Mapping[str, Any]] = {}
    #: in findings about the config ("the Axolotl config ..."), and for findings on what the trainer does
    LABEL: ClassVar[str] = ""
    TRAINER_NAME: ClassVar[str] = ""

    # What the framework can do (class defaults; an adapter may set them per variant in __init__).
    #: the framework can stop a run early (in its config, or in the training script for HF/TRL)
    can_stop_early: bool = False
    #: early stopping is added in Python, so keeping the best model is all a config can ask for
    early_stopping_in_code: bool = False
    #: OpenAI: the learning rate is a multiplier of the provider's own
    learning_rate_is_multiplier: bool = False
    #: conversations are formatted with a Hugging Face chat template (not by the framework itself)
    uses_hf_chat_template: bool = True
    #: where the config sets its chat template (for "set ... in the config")
    chat_template_hint: str = "a chat template"
    #: a model built from ``config_name`` alone (random weights) is possible
    builds_from_config_name: bool = False
    #: the pretrained weights are named by this key instead of a base-model id (torchtune)
    weights_key: str | None = None
    #: an example value for the base-model key
    base_model_example: str = "Qwen/Qwen2.5-0.5B"
    #: the kind of run log its runs leave, as ``ftlint.runs`` reads it (``Run.framework``): the HF
    #: Trainer's ``trainer_state.json`` is ``hf`` whether HF, TRL or Axolotl wrote it ("": its own name)
    run_log: ClassVar[str] = ""
    #: what to do instead where ``ftlint fix`` cannot patch the config for evaluation and early stopping
    unpatchable_because: str = "see `ftlint rule FT104` and `ftlint rule FT601`"
    #: checkpoints are kept per epoch (torchtune's ``epoch_N``, an OpenAI job's last epochs), not at
    #: the steps a save interval picks
    checkpoints_per_epoch: bool = False

    def __init__(self, variant: str = "") -> None:
        self.variant = variant

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.variant!r})"

    # -- who it is, and its keys --------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The framework as findings about its config name it (``alignment-handbook (TRL)``)."""
        return self.LABEL

    @property
    def trainer_name(self) -> str:
        """The trainer as findings about what it does name it (``the HF Trainer``, ``Axolotl``)."""
        return self.TRAINER_NAME

    @property
    def keys(self) -> Mapping[str, str | None]:
        return self.KEYS

    @property
    def defaults(self) -> Mapping[str, Any]:
        """The framework's defaults for the canonical fields, for this variant (version)."""
        return self.DEFAULTS

    def key(self, field: str) -> str | None:
        """The framework's key for a canonical field (None when it has none)."""
        if field not in CANONICAL_FIELDS:
            raise KeyError(f"{field!r} is not a canonical field (one of: {', '.join(CANONICAL_FIELDS)})")
        return self.keys.get(field)

    def default(self, field: str) -> Any:
        """The framework's default for a canonical field (None when it has none)."""
        if field not in CANONICAL_FIELDS:
            raise KeyError(f"{field!r} is not a canonical field")
        return self.defaults.get(field)

    @property
    def base_model_key(self) -> str:
        return self.key("base_model") or "model_name_or_path"

    def requirement(self, package: str) -> Pin | None:
        """The range of ``package`` the framework itself requires (where the repository pins none)."""
        return FRAMEWORK_PINS.get((self.name, package))

    # -- data ---------------------------------------------------------------------------------------
    def samples_cap(self, plan: TrainingPlan) -> int | None:
        """The most rows the framework reads from each training file (LLaMA-Factory ``max_samples``)."""
        return None

    # -- evaluation, early stopping, checkpoints ----------------------------------------------------
    def commented_eval(self, plan: TrainingPlan) -> tuple[CommentedKey, ...]:
        """Commented-out evaluation keys that are not also set (``# val_size: 0.1``)."""
        return tuple(c for c in plan.commented(*EVAL_KEYS) if not c.active)

    def validation_recipe(self, plan: TrainingPlan) -> str:
        """How to make this run evaluate on held-out data (FT104's fix)."""
        return "Configure a held-out evaluation split in the training config."

    def validation_keys(self, plan: TrainingPlan) -> tuple[str, ...]:
        """The keys that decide whether the run evaluates, most telling first."""
        return ()

    def validation_anchor(self, plan: TrainingPlan) -> Provenance:
        """Where a finding about missing evaluation points: the first deciding key written."""
        return anchor(plan, self.validation_keys(plan))

    def early_stopping_recipe(self, patience: int = 3) -> str:
        """How to stop this framework's runs early (or get the effect), in its own keys."""
        return "Configure early stopping on the validation loss."

    def best_checkpoint_recipe(self) -> str:
        """How to make evaluation, saving and keeping the best checkpoint agree (FT606's fix)."""
        return ("Use the same `eval_strategy` and `save_strategy` (both `steps` or both `epoch`), with `save_steps` a "
                "multiple of `eval_steps`; early stopping also needs `load_best_model_at_end: true`, "
                "`metric_for_best_model` and evaluation data.")

    def checkpoint_recipe(self) -> str:
        """How to save checkpoints during the run (FT619's fix)."""
        return ("Save during the run: `save_strategy: steps` with `save_steps` equal to `eval_steps` (or "
                "`save_strategy: epoch`), `save_total_limit: 2`, and `load_best_model_at_end: true` to end "
                "on the best checkpoint.")

    def held_out_recipe(self) -> str:
        """How to evaluate on rows that are not trained on (FT607's fix)."""
        return ("Evaluate on a split that is not trained on: set `dataset_test_split` to it (e.g. `test`), or carve "
                "one with `test_split_size`; with local files, a `validation_file` that is not the `train_file`.")

    def test_recipe(self) -> str:
        """How to measure the final model on a held-out test file once (FT614's fix, after its head)."""
        return "Measure the final model on it once, after every choice is made."

    def reported_metrics(self, plan: TrainingPlan) -> list[ReportedMetric]:
        """Metrics the config turns on besides ``metric_for_best_model``."""
        return []

    def metric_recipe(self, task: str, suggestion: str) -> str:
        """How to compute ``suggestion`` for ``task`` in this framework (FT613's fix, lower-case start)."""
        return f"measure {suggestion} on held-out data after the job (OpenAI Evals or a script)"

    # -- base model, method -------------------------------------------------------------------------
    def model_chosen_in_script(self, plan: TrainingPlan) -> bool:
        """The config is arguments only: the training script picks the model (HF ``TrainingArguments``)."""
        return False

    def weights_recipe(self) -> str:
        """How to name the pretrained weights when :attr:`weights_key` is not set."""
        return ""

    def weights_anchor(self, plan: TrainingPlan) -> Provenance:
        return anchor(plan, [self.weights_key] if self.weights_key else [])

    def lora_recipe(self) -> str:
        """How to switch this framework's run to LoRA (FT618's fix)."""
        return "a LoRA adapter"

    # -- tokenizer, chat template, long rows ---------------------------------------------------------
    def tokenizer_name(self, plan: TrainingPlan) -> str | None:
        """The tokenizer the run trains with: an explicit tokenizer key, else the base model."""
        for key in ("tokenizer_config", "tokenizer_name_or_path", "tokenizer_name"):
            v = plan.get(key)
            if isinstance(v, str) and v.strip():
                return v.strip()
        bm = plan.base_model.value
        return bm if isinstance(bm, str) and bm.strip() else None

    def chat_template_setting(self, plan: TrainingPlan) -> tuple[str | None, str, bool]:
        """The chat template the config sets: ``(text, key, inline)``: an inline Jinja template
        (``inline`` True), a file path or a template name (``inline`` False, the caller resolves
        it), or ``(None, key, False)`` when the config sets none."""
        cv = plan.chat_template
        value = cv.value
        key = cv.key or "chat_template"
        inline = plan.get("chat_template_jinja")
        if value == "jinja" and isinstance(inline, str):  # Axolotl / alignment-handbook: the template is inline
            return inline, "chat_template_jinja", True
        if not value or not isinstance(value, str):
            return None, key, False
        return value, key, False

    def sets_chat_template(self, plan: TrainingPlan) -> bool:
        """The config sets a chat template of its own (inline, a file, a name, or a fallback), not
        "the tokenizer's"."""
        value = plan.chat_template.value if isinstance(plan.chat_template.value, str) else None
        return bool(value) and not (value == "tokenizer_default"
                                    or (value == "jinja" and not plan.get("chat_template_jinja")))

    def truncation(self, plan: TrainingPlan) -> str:
        """What the framework does with a row longer than the maximum length (a
        :class:`~ftlint.training.plan.Truncation` value, or ``packed_split``)."""
        return plan.sequence.truncation.value

    def truncation_note(self, plan: TrainingPlan, truncation: str) -> str:
        """The key that decides the truncation, said after its consequence ("": nothing to add)."""
        return ""

    def assistant_mask(self, plan: TrainingPlan) -> tuple[str | None, str]:
        """How the run restricts the loss to assistant turns, as FT611 checks it: ``("generation",
        "")`` ({% generation %} markers), ``("eot_tokens", "")`` (end-of-turn tokens), or
        ``(None, reason)`` (reason empty: nothing to check)."""
        return None, ""

    # -- data on a hub -----------------------------------------------------------------------------
    def hub_request_fields(self, ref: DatasetRef) -> HubFields:
        """How a hub dataset entry of the config (``ref.entry``) selects its data: by default the
        columns it keeps (``columns: [...]``) and its ``data_dir``."""
        entry = ref.entry if isinstance(ref.entry, Mapping) else {}
        data_dir = entry.get("data_dir")
        return HubFields(columns=tuple(c for c, _ in ref.columns),
                         data_dir=str(data_dir) if isinstance(data_dir, str) and data_dir else None)

    # -- after the run (the FT8xx rules on --run) ---------------------------------------------------
    def writes_run_log(self, kind: str) -> bool:
        """Whether a run log read as ``kind`` (``Run.framework``) can come from this framework's runs."""
        return kind in (self.name, self.run_log or self.name)

    def checkpoint_name(self, step: int, epoch: float | None = None) -> str:
        """How the framework names the checkpoint of ``step`` (``epoch``: the epoch at that step,
        when the log has it)."""
        return f"checkpoint-{step}"

    @property
    def fewer_epochs_key(self) -> str | None:
        """The key a run finding names for "train fewer epochs" after its early-stopping settings
        (None: those settings already say it)."""
        return self.key("epochs")

    def early_stopping_settings(self, patience: int = 2, metric: str = "eval_loss",
                                greater_is_better: bool = False) -> str:
        """The settings that stop a run after ``patience`` evaluations without improvement of
        ``metric`` and end on its best checkpoint: a phrase a run finding quotes ("stop there next
        time with ..."), where :meth:`early_stopping_recipe` is FT601's whole fix."""
        return f"early stopping on {metric} (patience {patience}) and keeping the best checkpoint"

    def evaluation_settings(self, every: int | None = None) -> str:
        """The settings that evaluate a run on held-out data every ``every`` steps: a phrase a run
        finding quotes, where :meth:`validation_recipe` is FT104's whole fix for a config."""
        return f"a held-out evaluation set, evaluated every {every or 'N'} steps"

    # -- patching the config ------------------------------------------------------------------------
    def config_edits(self, plan: TrainingPlan, settings: Sequence[Any], request: EvaluationEditRequest
                     ) -> tuple[list[ConfigEdit], list[str]]:
        """The edits ``ftlint fix`` makes to this config: those :meth:`evaluation_edits` makes for the
        plan settings the findings' EditConfig remedies (``settings``: anything with ``key`` and
        ``reason``) ask for, a key set twice written once (the last edit wins), and a note for each
        setting no adapter knows how to write."""
        asked = frozenset(s.key for s in settings)
        edits, notes = self.evaluation_edits(plan, replace(request, settings=asked & frozenset(CONFIG_SETTINGS)))
        notes += [f"ftlint fix cannot set `{s.key}` in a config: {s.reason}"
                  for s in settings if s.key not in CONFIG_SETTINGS]
        uniq: dict[str, ConfigEdit] = {}
        for e in edits:
            uniq[e.key] = e
        return list(uniq.values()), notes

    def evaluation_edits(self, plan: TrainingPlan, request: EvaluationEditRequest
                         ) -> tuple[list[ConfigEdit], list[str]]:
        """The key edits that point the config at the repaired files and, as ``request.settings``
        ask, make the run evaluate on held-out data and stop early, in the framework's own keys,
        plus notes for what the config cannot express."""
        if not request.evaluate:
            return [], []
        return [], [f"{self.name} configs cannot be patched for evaluation and early stopping by ftlint fix: "
                    f"{self.unpatchable_because}"]

    def patch_config(self, plan: TrainingPlan, edits: list[ConfigEdit]) -> tuple[str, list[str]]:
        """The config's text with ``edits`` applied (YAML keeps its comments; JSON is re-dumped),
        and notes on what could not be kept."""
        return patch_config_text(plan.path, plan.raw, plan.key_lines, edits)


def stamp_keys(plan: TrainingPlan, adapter: FrameworkAdapter) -> TrainingPlan:
    """The plan with every canonical field's ConfigValue carrying the framework's key (``name``)."""
    changes: dict[str, dict[str, ConfigValue[Any]]] = {}
    top: dict[str, Any] = {}
    for field in CANONICAL_FIELDS:
        key = adapter.key(field)
        if key is None:
            continue
        owner, _, attr = field.rpartition(".")
        holder = getattr(plan, owner) if owner else plan
        value = getattr(holder, attr)
        if value.name is not None:
            continue
        if owner:
            changes.setdefault(owner, {})[attr] = replace(value, name=key)
        else:
            top[attr] = replace(value, name=key)
    for owner, values in changes.items():
        top[owner] = replace(getattr(plan, owner), **values)
    return replace(plan, **top)


__all__ = ["CANONICAL_FIELDS", "CONFIG_SETTINGS", "EVAL_KEYS", "EVAL_WHY", "EvaluationEditRequest", "FrameworkAdapter",
           "HubFields", "ReportedMetric", "anchor", "best_model_settings", "evaluation_interval", "point_at_repaired",
           "ranges", "stamp_keys"]
