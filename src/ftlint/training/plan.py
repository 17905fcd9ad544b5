"""The normalised training plan that every framework adapter produces.

A :class:`TrainingPlan` answers the questions ftlint's training rules ask about a fine-tuning
run ("is there a validation set?", "how long may a sequence be, and what happens to longer
ones?", "is early stopping configured, and would it actually run?") in the same vocabulary for
HF Trainer, TRL, Axolotl, LLaMA-Factory, torchtune and OpenAI jobs.  Every normalised value is a
:class:`ConfigValue` that remembers where it came from (:class:`Provenance`: file, key path,
1-based line), so a rule can point its finding at the exact line of the user's config.

The entry point is :func:`ftlint.training.load_training_config`.  An unusable config raises
:class:`TrainingConfigError` with a located, one-line message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_KEY_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_key(key: str) -> list[str | int]:
    """``"datasets[0].path"`` -> ``["datasets", 0, "path"]``."""
    parts: list[str | int] = []
    for name, index in _KEY_TOKEN.findall(key):
        parts.append(int(index) if index else name)
    return parts


def join_key(prefix: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


class _Missing(Enum):
    MISSING = "missing"


#: Returned by :func:`lookup` (and :meth:`~ftlint.training.source.Reader.get`) for a key that is
#: not in the file at all.
MISSING = _Missing.MISSING


def lookup(data: Any, key: str) -> Any:
    """The raw value at a key path of parsed config data, or :data:`MISSING`."""
    node: Any = data
    for part in split_key(key):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return MISSING
            node = node[part]
        else:
            if not isinstance(node, Mapping) or part not in node:
                return MISSING
            node = node[part]
    return node


#: The framework names accepted by ``load_training_config(framework=...)`` and used in
#: ``TrainingPlan.framework``.
FRAMEWORKS: tuple[str, ...] = ("hf", "trl", "axolotl", "llamafactory", "torchtune", "openai")


class TrainingConfigError(Exception):
    """An unusable training config: missing, unreadable, unparseable or unrecognisable.

    ``message`` is the bare message; ``str(error)`` is the one-line, user-facing form prefixed
    with the location (``train.yaml:12: could not parse YAML: ...``), the same convention as
    ``ftlint.errors.FtlintError``.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def located(self) -> str:
        """The one-line message, prefixed with its location when it has one."""
        if self.path and self.line:
            return f"{self.path}:{self.line}: {self.message}"
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message

    def __str__(self) -> str:
        return self.located()


@dataclass(frozen=True)
class Provenance:
    """Where a value comes from: the config file, the key path and the 1-based line.

    ``key`` uses dots for nesting and ``[i]`` for list items, e.g. ``"dataset_val._component_"``
    or ``"datasets[0].path"``.  ``line`` is the line of the key (None when unknown, e.g. for a
    JSON file PyYAML could not read).
    """

    file: str
    key: str
    line: int | None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where} ({self.key})"


class Origin(str, Enum):
    """How a normalised value was obtained."""

    CONFIG = "config"  # written in the config file
    DEFAULT = "default"  # absent, null or empty in the file: the framework's own default applies
    DERIVED = "derived"  # computed from other keys (effective batch size, LoRA alpha = 2 * rank)
    UNSET = "unset"  # absent and the framework has no default (or ftlint cannot know it)


#: how the note of a ConfigValue whose written value is invalid (FT621) starts
INVALID_NOTE = "invalid (FT621)"


@dataclass(frozen=True)
class ConfigValue(Generic[T]):
    """A normalised value with its provenance.

    ``value`` is the normalised value (None when unset or unreadable); ``raw`` is the value as
    written in the file (``"auto"``, ``"3e-4"``, ``None`` for a null).  ``sources`` lists where
    the keys that decided it appear in the file, *including keys whose value is null* (so a rule
    can say "run_val_every_n_steps is null on line 59").  ``name`` is the framework's canonical
    key for the value (``num_epochs``, ``optimizer.lr``), stamped by the framework's adapter, so
    :attr:`key` names the key to write even when a default applies and nothing is in the file.
    """

    value: T | None = None
    origin: Origin = Origin.UNSET
    sources: tuple[Provenance, ...] = ()
    raw: Any = None
    note: str = ""
    name: str | None = None

    @property
    def is_set(self) -> bool:
        return self.value is not None

    @property
    def invalid(self) -> bool:
        """The config writes a value its framework does not accept (FT621): it is not used."""
        return self.note.startswith(INVALID_NOTE)

    @property
    def is_default(self) -> bool:
        return self.origin is Origin.DEFAULT

    @property
    def from_config(self) -> bool:
        return self.origin is Origin.CONFIG

    @property
    def provenance(self) -> Provenance | None:
        return self.sources[0] if self.sources else None

    @property
    def line(self) -> int | None:
        return self.sources[0].line if self.sources else None

    @property
    def key(self) -> str | None:
        """The key as written in the file (the first source), else the framework's canonical key
        (:attr:`name`); None for a value the framework has no key for."""
        return self.sources[0].key if self.sources else self.name


class DatasetKind(str, Enum):
    """What a dataset reference in a training config points at."""

    LOCAL = "local"  # a local file or directory (see DatasetRef.exists)
    HUB = "hub"  # a Hugging Face (or ModelScope) Hub dataset id
    FILE_ID = "file_id"  # an uploaded OpenAI file id such as file-abc123: not loadable
    BUILDER = "builder"  # a torchtune dataset builder whose source is implicit
    REGISTRY = "registry"  # a LLaMA-Factory dataset name that could not be resolved
    UNKNOWN = "unknown"


#: the hubs a dataset reference can name; ftlint reads the first (from the local Hugging Face cache)
HF_HUB, MODELSCOPE, MODELERS = HUBS = ("Hugging Face", "ModelScope", "Modelers")


@dataclass(frozen=True)
class DatasetRef:
    """One dataset named by the training config.

    ``name`` is what the config says (a hub id, a path, a registry name, a file id, a builder);
    ``path`` is the resolved local path when one was found (``resolved_via`` says how: ``"cwd"``,
    ``"config_dir"``, ``"absolute"``, ``"dataset_dir"``), else the first candidate tried (with
    ``exists`` False) for local references.  ``hub_id`` is the hub dataset the reference loads
    (from the config, a LLaMA-Factory registry entry or a torchtune builder's default source).
    """

    name: str
    role: str  # "train", "eval" or "test"
    kind: DatasetKind
    provenance: Provenance | None = None
    path: Path | None = None
    resolved_via: str | None = None
    exists: bool = False
    candidates: tuple[Path, ...] = ()
    hub_id: str | None = None
    split: str | None = None
    subset: str | None = None
    data_files: tuple[str, ...] = ()
    format: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    preference: bool = False
    weight: float | None = None
    entry: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    note: str = ""
    #: how the trainer takes ``weight`` of the rows: ``"shuffle"`` (a shuffle seeded with ``seed``, then
    #: the first rows: alignment-handbook's ``dataset_mixture``) or ``"first"`` (the first rows: its older
    #: ``dataset_mixer``); None where ``weight`` is not a fraction of the rows
    sampling: str | None = None
    seed: int | None = None
    #: the hub a ``HUB`` reference lives on (:data:`HUBS`): LLaMA-Factory names ModelScope and
    #: Modelers datasets too (``ms_hub_url``, ``om_hub_url``, v1 ``source: ms_hub``)
    hub: str = HF_HUB

    @property
    def loadable(self) -> bool:
        """True when ftlint can read the data itself (an existing local file or directory)."""
        return self.kind is DatasetKind.LOCAL and self.exists and self.path is not None


class Truncation(str, Enum):
    """What the framework does with an example longer than the maximum length."""

    KEEP_START = "keep_start"  # cut at the end (tokens past the limit are lost)
    KEEP_END = "keep_end"  # cut at the start
    DROP = "drop"  # the whole row is removed from training (Axolotl's default)
    SPLIT = "split"  # LLaMA-Factory: the budget is shared between prompt and response
    RAISE = "raise"  # training stops with an error
    NONE = "none"  # no limit: nothing is truncated
    PROVIDER = "provider"  # a hosted service applies its own per-model limit
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SequencePlan:
    """Maximum sequence length and what happens to longer examples."""

    max_length: ConfigValue[int] = field(default_factory=ConfigValue)
    unlimited: bool = False
    truncation: Truncation = Truncation.UNKNOWN
    truncation_source: ConfigValue[str] = field(default_factory=ConfigValue)
    max_prompt_length: ConfigValue[int] = field(default_factory=ConfigValue)
    eval_max_length: ConfigValue[int] = field(default_factory=ConfigValue)
    note: str = ""

    @property
    def is_default(self) -> bool:
        """True when the limit is the framework's own default (the user never chose it)."""
        return self.max_length.origin is Origin.DEFAULT


@dataclass(frozen=True)
class BatchPlan:
    """Batch sizes.  ``effective`` is per device x gradient accumulation (x devices, unknown)
    unless the framework states a global size (OpenAI ``batch_size``, LLaMA-Factory v1
    ``global_batch_size``, Axolotl ``batch_size``)."""

    per_device: ConfigValue[int] = field(default_factory=ConfigValue)
    gradient_accumulation: ConfigValue[int] = field(default_factory=ConfigValue)
    effective: ConfigValue[int] = field(default_factory=ConfigValue)
    eval_per_device: ConfigValue[int] = field(default_factory=ConfigValue)


@dataclass(frozen=True)
class LoraPlan:
    """LoRA settings (all unset for full fine-tuning).  ``target_modules`` holds module names or
    one of the framework's wildcards, normalised to ``"all-linear"``."""

    r: ConfigValue[int] = field(default_factory=ConfigValue)
    alpha: ConfigValue[float] = field(default_factory=ConfigValue)
    dropout: ConfigValue[float] = field(default_factory=ConfigValue)
    target_modules: ConfigValue[tuple[str, ...]] = field(default_factory=ConfigValue)


@dataclass(frozen=True)
class PlanProblem:
    """A configuration mistake the adapter can see from the keys alone."""

    message: str
    sources: tuple[Provenance, ...] = ()

    @property
    def provenance(self) -> Provenance | None:
        return self.sources[0] if self.sources else None


@dataclass(frozen=True)
class ValidationPlan:
    """Whether (and how) the run evaluates on held-out data.

    ``configured``: a validation source exists (a held-out fraction, an eval dataset, a test
    split).  ``enabled``: evaluation will actually run during or after training.  A config can be
    configured but not enabled (torchtune ``dataset_val`` with ``run_val_every_n_steps: null``,
    LLaMA-Factory ``val_size`` with ``eval_strategy: no``); ``reason`` says why in one sentence.
    ``methods`` names the mechanisms in the framework's own key names (``val_set_size``,
    ``test_datasets``, ``val_size``, ``eval_dataset``, ``dataset_test_split``, ``test_split_size``,
    ``validation_file``, ``dataset_val``, ...).  ``holdout`` is a fraction (< 1) or a row count
    (>= 1) carved out of the training data.
    """

    enabled: bool = False
    configured: bool = False
    methods: tuple[str, ...] = ()
    reason: str = ""
    holdout: ConfigValue[float] = field(default_factory=ConfigValue)
    eval_strategy: ConfigValue[str] = field(default_factory=ConfigValue)
    eval_steps: ConfigValue[float] = field(default_factory=ConfigValue)
    evals_per_epoch: ConfigValue[int] = field(default_factory=ConfigValue)
    do_eval: ConfigValue[bool] = field(default_factory=ConfigValue)
    test_split: ConfigValue[str] = field(default_factory=ConfigValue)
    sources: tuple[Provenance, ...] = ()
    problems: tuple[PlanProblem, ...] = ()


@dataclass(frozen=True)
class EarlyStoppingPlan:
    """Early stopping as the config describes it.

    ``supported_in_config``: the framework has a config key for it (Axolotl
    ``early_stopping_patience``, LLaMA-Factory ``early_stopping_steps``); False for HF/TRL (the
    callback is added in Python, so only its prerequisites are visible), torchtune and OpenAI.
    ``requested``: the config asks for it.  ``active``: requested and every prerequisite the
    adapter can check holds (``problems`` lists the ones that do not).
    """

    supported_in_config: bool = False
    requested: bool = False
    active: bool = False
    patience: ConfigValue[int] = field(default_factory=ConfigValue)
    threshold: ConfigValue[float] = field(default_factory=ConfigValue)
    load_best_model_at_end: ConfigValue[bool] = field(default_factory=ConfigValue)
    metric_for_best_model: ConfigValue[str] = field(default_factory=ConfigValue)
    greater_is_better: ConfigValue[bool] = field(default_factory=ConfigValue)
    save_strategy: ConfigValue[str] = field(default_factory=ConfigValue)
    save_steps: ConfigValue[float] = field(default_factory=ConfigValue)
    saves_per_epoch: ConfigValue[int] = field(default_factory=ConfigValue)
    problems: tuple[PlanProblem, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class LossMaskPlan:
    """Which tokens the loss is computed on.

    ``train_on_inputs`` True means prompt/user tokens are trained on (Axolotl
    ``train_on_inputs``, LLaMA-Factory ``train_on_prompt``, torchtune ``train_on_input``; for TRL
    it is derived from ``assistant_only_loss``/``completion_only_loss`` and may stay unset because
    it depends on the dataset format, see ``note``).
    """

    train_on_inputs: ConfigValue[bool] = field(default_factory=ConfigValue)
    assistant_only_loss: ConfigValue[bool] = field(default_factory=ConfigValue)
    completion_only_loss: ConfigValue[bool] = field(default_factory=ConfigValue)
    mask_history: ConfigValue[bool] = field(default_factory=ConfigValue)
    note: str = ""


@dataclass(frozen=True)
class DeprecatedKey:
    """A key that was renamed or removed in some version of the framework."""

    key: str
    provenance: Provenance
    message: str
    replacement: str | None = None
    since: str | None = None
    is_set: bool = True  # False when the key is present but null/empty (usually harmless)
    #: ``(package, major)`` when the key was removed in that major version but works before it
    removed_in: tuple[str, int] | None = None
    fix: str | None = None


@dataclass(frozen=True)
class UnknownKey:
    """A key the framework does not define (a typo, or a key from another framework)."""

    key: str
    provenance: Provenance
    suggestion: str | None = None


@dataclass(frozen=True)
class InvalidValue:
    """A config value of the wrong type or outside the range its framework accepts (FT621).

    ``expected`` says what the framework accepts (``"a whole number, 1 or more"``); ``problem``
    what is wrong with the value as written, as a predicate (``"is below 1"``, ``"is a string"``).
    The plan never uses such a value: the normalised :class:`ConfigValue` for the key is unset
    (origin CONFIG) with a note."""

    key: str
    provenance: Provenance
    raw: Any
    expected: str
    problem: str

    @property
    def message(self) -> str:
        return f"the value {self.problem}; expected {self.expected}"


@dataclass(frozen=True)
class CommentedKey:
    """A commented-out line that looks like a known config key (``# val_size: 0.1``)."""

    key: str
    line: int
    text: str  # the whole line, stripped
    value: str  # what follows the colon, without a trailing comment
    active: bool  # the same key is also set (uncommented) somewhere in the file


@dataclass(frozen=True)
class TrainingPlan:
    """The normalised view of one training config.

    ``framework`` is one of :data:`FRAMEWORKS`; ``variant`` refines it (``trl`` /
    ``alignment-handbook``, ``trainer`` / ``example-script`` for hf, ``v0`` / ``v1`` for
    LLaMA-Factory, the recipe name for torchtune when the config's comments name it,
    ``jobs.create`` for OpenAI); ``detected_by`` says which keys decided the framework.

    Vocabulary: ``method`` is ``full``, ``lora``, ``qlora`` (or the framework's own word:
    ``freeze``, ``oft``...); ``stage`` is ``sft``, ``pt``, ``dpo``, ``ipo``, ``kto``, ``orpo``,
    ``simpo``, ``grpo``, ``ppo``, ``rm``, ``prm``, ``kd``, ``rft``, ``classification``...
    ``epochs`` is a float (HF accepts fractional epochs); ``max_steps`` is unset when the run is
    limited by epochs.  ``learning_rate_multiplier`` is OpenAI's (``learning_rate`` stays unset
    there).  ``warmup_steps`` is a float because transformers 5 reads a value below 1 as a ratio.

    ``problems`` are mistakes visible from the keys alone (an undefined LLaMA-Factory dataset, a
    test split inside a training mixture, ``packed`` without ``max_seq_len``); validation and
    early-stopping problems live on those sub-plans (``all_problems`` joins the three).
    ``invalid_values`` lists the values of the wrong type or out of the framework's range
    (``training.values``, FT621): none of them is used in the plan.
    ``raw`` is the parsed config (keys as strings); ``key_lines`` maps every key path to its line.
    """

    path: Path
    framework: str
    variant: str
    detected_by: str
    base_model: ConfigValue[str]
    model_builder: ConfigValue[str]
    method: ConfigValue[str]
    stage: ConfigValue[str]
    epochs: ConfigValue[float]
    max_steps: ConfigValue[int]
    max_steps_per_epoch: ConfigValue[int]
    learning_rate: ConfigValue[float]
    learning_rate_multiplier: ConfigValue[float]
    lr_scheduler: ConfigValue[str]
    warmup_ratio: ConfigValue[float]
    warmup_steps: ConfigValue[float]
    batch: BatchPlan
    sequence: SequencePlan
    lora: LoraPlan
    weight_decay: ConfigValue[float]
    chat_template: ConfigValue[str]
    packing: ConfigValue[bool]
    validation: ValidationPlan
    early_stopping: EarlyStoppingPlan
    loss_mask: LossMaskPlan
    train_datasets: tuple[DatasetRef, ...] = ()
    eval_datasets: tuple[DatasetRef, ...] = ()
    test_datasets: tuple[DatasetRef, ...] = ()
    deprecated_keys: tuple[DeprecatedKey, ...] = ()
    unknown_keys: tuple[UnknownKey, ...] = ()
    commented_keys: tuple[CommentedKey, ...] = ()
    duplicate_keys: tuple[Provenance, ...] = ()
    problems: tuple[PlanProblem, ...] = ()
    notes: tuple[str, ...] = ()
    invalid_values: tuple[InvalidValue, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)
    #: other local files the config made ftlint read (LLaMA-Factory's ``dataset_info.json``): inputs
    #: that no output may overwrite
    files: tuple[Path, ...] = ()

    @property
    def file(self) -> str:
        return str(self.path)

    @property
    def trains(self) -> bool:
        """Whether the config runs training at all: False for a prediction- or evaluation-only job
        (``do_train: false``; for LLaMA-Factory and HF scripts, ``do_predict``/``do_eval`` without
        ``do_train``, since those scripts train only when it is set)."""
        raw = self.raw if isinstance(self.raw, Mapping) else {}

        def flag(key: str) -> bool | None:
            v = raw.get(key)
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.strip().lower() in ("true", "false"):
                return v.strip().lower() == "true"
            return None

        do_train = flag("do_train")
        if do_train is not None:
            return do_train
        if self.framework in ("llamafactory", "hf") and (flag("do_predict") or flag("do_eval")):
            return False
        return True

    def get(self, key: str, default: Any = None) -> Any:
        """The raw value at a key path of the config as written (``default`` when absent): the
        same walk the adapters' reader makes, so rules never re-walk :attr:`raw` themselves."""
        found = lookup(self.raw, key)
        return default if found is MISSING else found

    def where(self, key: str) -> Provenance:
        """The provenance of any key path in the raw config (line None if absent)."""
        return Provenance(str(self.path), key, self.key_lines.get(key))

    def commented(self, *keys: str) -> tuple[CommentedKey, ...]:
        """The commented-out lines for the given keys (all of them when no key is given)."""
        if not keys:
            return self.commented_keys
        wanted = set(keys)
        return tuple(c for c in self.commented_keys if c.key in wanted)

    @property
    def all_problems(self) -> tuple[PlanProblem, ...]:
        """Every problem found: the plan's own, validation's and early stopping's."""
        return self.problems + self.validation.problems + self.early_stopping.problems


@dataclass(frozen=True)
class SplitSlice:
    """One part of a datasets split spec: ``train[:95%]`` -> ("train", None, 95.0, "%")."""

    name: str
    start: float | None = None  # None: from the beginning
    stop: float | None = None  # None: to the end
    unit: str = ""  # "%", "rows", or "" for the whole split


_SLICE = re.compile(
    r"\s*(?P<name>[\w.\-]+)\s*(?:\[\s*(?P<start>-?[\d.]*)\s*(?P<su>%?)\s*:\s*(?P<stop>-?[\d.]*)\s*(?P<tu>%?)\s*\])?\s*"
)


def parse_split(spec: str) -> tuple[SplitSlice, ...]:
    """Parse a Hugging Face datasets split spec (``train``, ``train[:95%]``, ``train[10:20]``,
    ``train[:10%]+test``).  Raises ValueError for a spec it cannot read."""
    parts: list[SplitSlice] = []
    for part in spec.split("+"):
        match = _SLICE.fullmatch(part)
        if match is None:
            raise ValueError(f"cannot read split {spec!r}")
        start, stop = match.group("start"), match.group("stop")
        if start is None:
            parts.append(SplitSlice(match.group("name")))
            continue
        percent = {match.group("su"), match.group("tu")} - {""}
        if percent and ((start and not match.group("su")) or (stop and not match.group("tu"))):
            raise ValueError(f"split {spec!r} mixes percentages and row numbers")
        parts.append(
            SplitSlice(
                match.group("name"),
                float(start) if start else None,
                float(stop) if stop else None,
                "%" if percent else "rows",
            )
        )
    return tuple(parts)


def splits_overlap(first: str, second: str) -> bool | None:
    """Whether two split specs of the same dataset share rows: True, False, or None when it cannot
    be told (percentages against row numbers, negative indices, an unreadable spec)."""
    try:
        a_parts, b_parts = parse_split(first), parse_split(second)
    except ValueError:
        return None
    undecided = False
    for a in a_parts:
        for b in b_parts:
            if a.name != b.name:
                continue
            if not a.unit or not b.unit:
                return True  # a whole split overlaps any slice of itself
            if a.unit != b.unit or any(v is not None and v < 0 for v in (a.start, a.stop, b.start, b.stop)):
                undecided = True
                continue
            end = 100.0 if a.unit == "%" else float("inf")
            low = max(a.start or 0.0, b.start or 0.0)
            high = min(end if a.stop is None else a.stop, end if b.stop is None else b.stop)
            if low < high:
                return True
    return None if undecided else False
