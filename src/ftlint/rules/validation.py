"""FT104/FT105/FT607: held-out data for a training run: is there a validation split, is it big
enough, and is it kept apart from the training data.

FT104 and FT105 work from the data alone and read the training config when one is given; FT607
reads the config's datasets. The fixes are the framework's own keys, from its adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftlint.context import Context
from ftlint.features.labels import label_info
from ftlint.model import Finding, Location, Severity, Unit
from ftlint.remedies import CarveSplit, EditConfig
from ftlint.rule import Need, Rule, Skip
from ftlint.rules.config_common import (
    at,
    at_provenance,
    at_value,
    carved_holdout,
    require_plan,
    skip_invalid,
    split_from_config,
    split_rows,
)
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import DatasetRef, held_out_split, splits_overlap

# -- FT104 ---------------------------------------------------------------------------------------------

_NO_CONFIG_FIX = (
    "Hold out 5-10% of the examples (never copies of training rows) as a validation file and pass it with "
    "`--validation val.jsonl`; then make the trainer evaluate on it: Axolotl `val_set_size: 0.05` or "
    "`test_datasets`, LLaMA-Factory `val_size: 0.1` or `eval_dataset` with `eval_strategy: steps`, TRL/HF "
    "`eval_strategy: steps` with an eval split (`dataset_test_split`, `validation_file`), torchtune `dataset_val` "
    "with `run_val_every_n_steps`, OpenAI `validation_file`. Pass the config with `--config` to check it too."
)



class MissingValidationSplit(Rule):
    """No validation data: nothing measures how the model does on examples it has not seen.

    ## What it does
    With a training config, reports an error when the run will never evaluate on held-out data:
    no validation split is given and the config carves none (Axolotl `val_set_size: 0` and no
    `test_datasets`, LLaMA-Factory without `val_size`/`eval_dataset`, TRL/HF `eval_strategy: no`,
    torchtune `run_val_every_n_steps: null`, an OpenAI job without `validation_file`). The fix
    names the framework's key, and points at the eval block when the config has it commented out
    (LLaMA-Factory ships its examples that way). Without a training config, a dataset with no
    validation split is a warning.

    ## Why it matters
    The training loss always goes down. Only a validation loss shows when the model starts to
    memorise its training set; without one, overfitting goes unseen and the last checkpoint,
    not the best one, is what gets shipped.

    ## Example
    An Axolotl config with `val_set_size: 0` and no `test_datasets`, or a LLaMA-Factory config
    whose `# val_size: 0.1` / `# eval_strategy: steps` lines are still commented out.

    ## How to fix
    Hold out 5-10% of the examples (never copies of training rows) and have the trainer evaluate
    on them: Axolotl `val_set_size: 0.05`, LLaMA-Factory `val_size: 0.1` with
    `eval_strategy: steps`, TRL `eval_strategy: steps` with `dataset_test_split` or
    `test_split_size`, torchtune `dataset_val` with `run_val_every_n_steps`, OpenAI
    `validation_file`. Without a config, pass the held-out file with `--validation`.
    """

    code = "FT104"
    name = "missing-validation-split"
    summary = "No validation data: overfitting goes unseen"
    severity = Severity.WARNING
    remedies = (CarveSplit, EditConfig)
    requires = frozenset({Need.TRAINING_RUN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = ctx.plan
        if plan is None:
            if "validation" in ctx.splits or "train" not in ctx.splits:
                return
            ds = ctx.dataset("train")
            path = ds.files[0].path if len(ds.files) == 1 else None
            also = " (a test split is given, but keep it for the final score)" if "test" in ctx.splits else ""
            yield self.finding(
                f"no validation split given{also}: nothing measures how the model does on examples it has not "
                "trained on, so overfitting goes unseen",
                _NO_CONFIG_FIX,
                location=Location(path=path, line=None, key=None), split="train",
                metrics={"train_rows": len(ds)}, remedies=[_carve(ctx)],
            )
            return
        if plan.validation.enabled:
            return
        if "validation" in ctx.splits and not split_from_config(ctx, "validation"):
            return  # validation data was given on the command line / in the settings
        v = plan.validation
        if not v.configured:
            skip_invalid(v.holdout)  # the share asked for is unreadable: not "0"
        adapter = adapter_for(plan)
        remedies: list[Any] = [EditConfig("validation.enabled", True, "evaluate on held-out data during training")]
        if "train" in ctx.splits and "validation" not in ctx.splits:
            remedies.insert(0, _carve(ctx, f"the training config already holds out data "
                                           f"({', '.join(v.methods) or 'configured'})" if v.configured else None))
        yield self.finding(
            f"the {adapter.label} config never evaluates on held-out data: {v.reason}; overfitting will go unseen",
            adapter.validation_recipe(plan),
            location=at_provenance(plan, adapter.validation_anchor(plan)), escalate=True,
            escalated_by="with a training config, a run that never evaluates is an error",
            metrics={"framework": plan.framework, "configured": v.configured, "methods": list(v.methods),
                     "commented_lines": [c.line for c in adapter.commented_eval(plan)]},
            remedies=remedies,
        )


def _carve(ctx: Context, blocked: str | None = None) -> CarveSplit:
    """FT104's remedy: a validation split carved from the training rows, stratified by their labels
    (``blocked``: why none is carved)."""
    repair = "carve validation"
    if blocked is not None:
        return CarveSplit("train", "validation", repair, "", blocked=blocked)
    info = ctx.artifact(label_info, "train")
    how = f"stratified by {info.source}" if info is not None else "no labels to stratify by"
    how = how.replace("{", "{{").replace("}", "}}")  # the detail is a template
    return CarveSplit("train", "validation", repair,
                      "{fraction:.0%} of the remaining training rows moved to a new validation file (seed {seed}; "
                      f"{how})", strata=info.values if info is not None else None)


# -- FT105 ---------------------------------------------------------------------------------------------

class ValidationTooSmall(Rule):
    """The validation split is too small to tell a real improvement from noise.

    ## What it does
    Counts the validation examples, from a validation split given as data or, when the training
    config carves one out of the training data (Axolotl `val_set_size`, LLaMA-Factory `val_size`,
    TRL/alignment-handbook `test_split_size`), from the share and the training-set size. Reports
    fewer than `min-examples` (100) validation examples, or fewer than `min-fraction` (1%) of the
    training examples. A carved fraction below `min-fraction` is reported even when the training
    set size is unknown.

    ## Why it matters
    On a few dozen examples the validation loss jumps from one evaluation to the next by more than
    any real change in the model, so early stopping and checkpoint selection follow noise.

    ## Example
    A 2,000-row training set with a 12-row validation file, or `val_set_size: 0.001`.

    ## How to fix
    Hold out at least 100 examples and at least 1% of the training set (5-10% is common): a
    bigger validation file, or a larger share (`val_set_size: 0.05`, `val_size: 0.05`,
    `test_split_size: 0.05`).
    """

    code = "FT105"
    metric_units = {"fraction": Unit.SHARE, "min_fraction": Unit.SHARE}
    name = "validation-too-small"
    summary = "Too few validation examples for a stable validation loss"
    severity = Severity.WARNING
    requires = frozenset({Need.TRAINING_RUN})
    option_help = {
        "min_examples": "fewest validation examples",
        "min_fraction": "smallest validation share of the training examples",
    }

    @dataclass
    class Options:
        min_examples: int = 100
        min_fraction: float = 0.01

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = ctx.plan
        rows = split_rows(ctx, plan)
        opts = self.options
        if "validation" in ctx.splits:
            ds = ctx.dataset("validation")
            n_val = len(ds)
            train_n = rows
            source = "the validation split"
            location = Location(path=ds.files[0].path if len(ds.files) == 1 else None)
            fix_key = "a bigger validation file"
            split: str | None = "validation"
        elif plan is not None and plan.validation.holdout.invalid:
            skip_invalid(plan.validation.holdout)
            return
        elif plan is not None and plan.validation.holdout.value and plan.validation.holdout.value > 0:
            holdout = plan.validation.holdout
            carved, fraction = carved_holdout(plan, rows)
            key = holdout.key or "val_set_size"
            location = at_value(plan, holdout, key)
            fix_key = f"a larger `{key}` (e.g. 0.05)"
            split = None
            if carved is None:
                if fraction is not None and fraction < opts.min_fraction:
                    yield self.finding(
                        f"`{key}: {holdout.raw}` holds out {fraction:.2%} of the training data, under "
                        f"{opts.min_fraction:.0%}",
                        f"Hold out at least {opts.min_fraction:.0%} and at least {opts.min_examples} examples: "
                        f"{fix_key}.",
                        location=location, metrics={"fraction": fraction, "min_fraction": opts.min_fraction},
                    )
                    return
                raise Skip("the training set size is unknown (the config's dataset is not loadable)",
                           "pass the training data (or a local copy of it) so the carved validation size can "
                           "be computed")
            n_val = carved
            train_n = rows - carved if rows is not None else None
            source = f"`{key}: {holdout.raw}`"
        elif plan is not None and plan.validation.configured:
            raise Skip("the validation data the training config names is not loadable",
                       "pass a local copy with --validation to count it")
        else:
            raise Skip("no validation split given or carved by the training config",
                       "pass one with --validation; FT104 reports the missing split")
        small = n_val < opts.min_examples
        share = (n_val / train_n) if train_n else None
        thin = share is not None and share < opts.min_fraction
        if not small and not thin:
            return
        parts = []
        if small:
            parts.append(f"under {opts.min_examples}")
        if thin and share is not None:
            parts.append(f"{share:.2%} of the {train_n:,} training examples, under {opts.min_fraction:.0%}")
        what = "examples" if split else "examples carved from the training data"
        yield self.finding(
            f"{source} has {n_val:,} validation {what} ({'; '.join(parts)}): its loss is too noisy to pick "
            "a checkpoint or stop early on",
            f"Hold out at least {opts.min_examples} examples and at least {opts.min_fraction:.0%} of the training "
            f"set (5-10% is common): {fix_key}.",
            location=location, split=split,
            metrics={"validation_rows": n_val, "train_rows": train_n,
                     "fraction": round(share, 6) if share is not None else None,
                     "min_examples": opts.min_examples, "min_fraction": opts.min_fraction},
        )


# -- FT607 ---------------------------------------------------------------------------------------------

def _ref_identity(ref: DatasetRef) -> tuple[str, ...] | None:
    kind = ref.kind.value
    if kind == "local":
        if ref.path is None:
            return None
        try:
            return ("local", str(ref.path.resolve()))
        except OSError:
            return ("local", str(ref.path))
    if kind in ("hub", "builder"):
        name = (ref.hub_id or ref.name or "").lower()
        return ("hub", name, (ref.subset or "").lower(), ",".join(ref.data_files))
    return (kind, ref.name)


class EvaluatesOnTrainingData(Rule):
    """The evaluation data is training data, or a test split is trained on.

    ## What it does
    Reports a training config whose evaluation dataset is (or overlaps) one of its training
    datasets: the same local file, the same hub dataset and split (split slices such as
    `train[:95%]` / `train[95%:]` are compared), the same LLaMA-Factory dataset name or the same
    OpenAI file. Also reports a held-out split (`test`, `test_prefs`, `validation`, `dev`...) put
    into the training data, as in a `dataset_mixture` that lists a dataset's `test_prefs` split
    next to its `train_prefs` split.

    ## Why it matters
    A validation loss on training rows only measures memorisation: it keeps falling while the
    model overfits, so early stopping and checkpoint selection are blind. A test split that is
    trained on contaminates every score later reported on it.

    ## Example
    alignment-handbook's zephyr DPO recipe lists `split: test_prefs` of
    `HuggingFaceH4/ultrafeedback_binarized` in its `dataset_mixture`; every mixture entry is
    trained on.

    ## How to fix
    Train on train splits only, and evaluate on rows that are never trained on: a carved share
    (`test_split_size`, `val_set_size`, `val_size`) or a separate held-out dataset.
    """

    code = "FT607"
    name = "evaluates-on-training-data"
    summary = "Evaluation data is training data, or a test split is trained on"
    severity = Severity.ERROR
    requires = frozenset({Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        train = list(plan.train_datasets)
        for ref in train:
            held = held_out_split(ref.split)
            if held is None:
                continue
            prov = ref.provenance
            key = prov.key if prov else None
            split_key = f"{key.rsplit('.', 1)[0]}.split" if key and "." in key else None
            location = at(plan, split_key) if split_key and split_key in plan.key_lines else \
                at(plan, key, prov.line if prov else None)
            mixture = (" (every dataset_mixture entry is trained on; the evaluation split is carved by "
                       "test_split_size)" if key and key.startswith("dataset_mixture") else "")
            yield self.finding(
                f"the '{ref.split}' split of {ref.hub_id or ref.name} is trained on{mixture}: a held-out "
                f"'{held}' split mixed into the training data contaminates every score later measured on it",
                f"Remove that entry (or use the dataset's train split) and keep '{held}' for evaluation only; "
                "evaluate during training on a share carved from the training splits (`test_split_size`, "
                "`val_set_size`, `val_size`).",
                location=location,
                metrics={"dataset": ref.hub_id or ref.name, "split": ref.split},
            )
        for ev in plan.eval_datasets:
            ident = _ref_identity(ev)
            if ident is None:
                continue
            for tr in train:
                if _ref_identity(tr) != ident:
                    continue
                if ev.split and tr.split and ev.kind.value in ("hub", "builder"):
                    overlap = splits_overlap(tr.split, ev.split)
                    if not overlap:
                        continue
                    same = f"split '{ev.split}' overlaps the training split '{tr.split}'"
                else:
                    same = "is the same data as the training dataset"
                prov = ev.provenance
                location = at(plan, prov.key if prov else None, prov.line if prov else None)
                train_at = f" ({tr.provenance.key}, line {tr.provenance.line})" if tr.provenance else ""
                yield self.finding(
                    f"the evaluation data {ev.hub_id or ev.name} {same}{train_at}: the validation loss measures "
                    "memorisation, not how the model does on unseen examples",
                    adapter_for(plan).held_out_recipe(), location=location,
                    metrics={"eval": ev.name, "train": tr.name, "eval_split": ev.split, "train_split": tr.split},
                )
                break


__all__ = ["EvaluatesOnTrainingData", "MissingValidationSplit", "ValidationTooSmall"]
