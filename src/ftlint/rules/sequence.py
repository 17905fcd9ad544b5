"""FT6xx: sequence length, chat template and loss mask, checked with the base model's tokenizer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.context import Context
from ftlint.data.schema import ASSISTANT, FORMATS_BY_NAME
from ftlint.features.tokens import plan_tokenizer, split_token_lengths
from ftlint.grammar import plural
from ftlint.model import Finding, Location, RowAt, Severity
from ftlint.rule import Need, Rule, Skip
from ftlint.rules.config_common import require_plan
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import ConfigValue, TrainingPlan

SHOW = 5
NO_CONFIG_FIX = ("pass the trainer's config with `--config train.yaml` (or set training-config = \"...\" in "
                 "ftlint.toml), or set [rules.sequence-too-long] max-length = N")
TOKENIZER_FIX = ("make the base model's tokenizer available offline: point the config's base model at a local "
                 "directory with its tokenizer files, or download it once (`huggingface-cli download <model> "
                 "--include 'tokenizer*' '*.jinja'`); ftlint never downloads")


def _chat_rows(ctx: Context, split: str) -> list[int]:
    """Rows of a chat-format file that have an assistant turn."""
    ds = ctx.dataset(split)
    chat_files = {i for i, f in enumerate(ds.files)
                  if f.format in FORMATS_BY_NAME and FORMATS_BY_NAME[f.format].kind == "chat"}
    return [i for i in range(len(ds)) if int(ds.file_id[i]) in chat_files and ASSISTANT in ds.roles[i]]


def _fw(plan: TrainingPlan | None) -> str:
    return adapter_for(plan).trainer_name if plan is not None else "the trainer"


def _config_location(plan: TrainingPlan | None, value: ConfigValue[Any], fallback_key: str | None) -> Location:
    prov = value.provenance
    if prov is not None:
        return Location(path=prov.file, line=prov.line, key=prov.key)
    if plan is not None:
        key = fallback_key or ""
        return Location(path=plan.file, line=plan.key_lines.get(key) if key else None, key=key or None)
    return Location(path=None)


class SequenceTooLong(Rule):
    """Examples longer than the training config's maximum sequence length, counted with the base
    model's tokenizer and chat template.

    ## What it does
    Renders every training and validation example the way the trainer will (the chat template of
    the base model's tokenizer, or the config's own template; plain text where there is none),
    counts its tokens with that tokenizer, and reports the examples longer than the configured
    maximum (`sequence_len`, `cutoff_len`, `max_length`, `max_seq_len`). The message says what
    the framework does with them and how many response (assistant) tokens are lost, following the
    framework's own rule: Axolotl drops over-long rows by default (`excess_length_strategy`),
    TRL keeps the start, LLaMA-Factory splits `cutoff_len` between prompt and response per turn
    (`infer_seqlen`). Each listed row carries its token count and the response tokens it loses.

    The tokenizer is loaded offline only: from a local directory, or from the local Hugging Face
    cache. When it cannot be loaded the counts are a clearly labelled estimate (UTF-8 bytes / 4
    plus 4 tokens per turn). With no training config the rule is skipped, unless `max-length` is
    set; a config without a limit (`max_length: null`, torchtune `max_seq_len: null`) has nothing
    to check.

    ## Why it matters
    Over-long examples are silently cut or dropped at training time: the model learns from
    answers without their endings (and never sees the end-of-turn token), or the examples you
    curated are simply not trained on. Nothing in the training log tells you which ones.

    ## Example
    An Axolotl config with `sequence_len: 64` (or none at all: the default is 512) and chat rows
    whose rendered conversation is a few hundred tokens long.

    ## How to fix
    Raise the maximum length (the message gives the longest example), or shorten, split or drop
    the over-long examples before training. For exact counts where the message says
    "estimated", make the tokenizer available offline. Above `error-fraction` (5%) of a split
    the finding is an error.
    """

    code = "FT602"
    name = "sequence-too-long"
    summary = "Examples longer than the maximum sequence length (truncated or dropped)"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET})
    escalation = "error_fraction"
    option_help = {
        "error_fraction": "share of a split over the limit above which this is an error",
        "max_length": "check against this many tokens instead of the config's limit (0: use the config); "
                      "lets the rule run without a training config",
        "tokenizer": "count with this tokenizer (a local directory or a cached hub id) instead of the "
                     "config's base model",
    }

    @dataclass
    class Options:
        error_fraction: float = 0.05
        max_length: int = 0
        tokenizer: str = ""

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = ctx.plan
        opts = self.options
        if plan is None and opts.max_length <= 0:
            raise Skip("no training config given", NO_CONFIG_FIX)
        truncation: Any = "unknown"
        mask_history = False
        default_note = ""
        if opts.max_length > 0:
            max_length, key_name = opts.max_length, "max-length (ftlint option)"
            location = Location(path=None)
            eval_length = max_length
        else:
            assert plan is not None  # no config and no max-length option: skipped above
            seq = plan.sequence
            if seq.max_length.invalid:
                raise Skip(f"`{seq.max_length.key}` in the training config is not a valid length (FT621 reports it)",
                           f"fix `{seq.max_length.key}` as FT621 (invalid-config-value) says")
            if seq.unlimited or getattr(seq.truncation, "value", seq.truncation) == "none":
                raise Skip("no maximum length configured",
                           "nothing is truncated: the config sets no maximum sequence length")
            length_key = adapter_for(plan).key("sequence.max_length")
            if not seq.max_length.is_set or not seq.max_length.value:
                raise Skip("no maximum length configured",
                           f"set {length_key or 'the maximum length'} in the config, or "
                           "[rules.sequence-too-long] max-length = N")
            max_length = int(seq.max_length.value)
            key_name = seq.max_length.key or "max length"
            location = _config_location(plan, seq.max_length, length_key)
            eval_length = int(v) if (v := seq.eval_max_length.value) is not None else max_length
            if seq.is_default:
                default_note = f" ({_fw(plan)}'s default: the config does not set it)"
        if plan is not None:
            truncation = adapter_for(plan).truncation(plan)  # what the framework does with an over-long row
            mask_history = bool(plan.loss_mask.mask_history.value)

        load = ctx.artifact(plan_tokenizer, opts.tokenizer or None) if (opts.tokenizer or plan is not None) else None
        handle = load.handle if load is not None else None
        estimate_reason = ""
        if handle is None:
            estimate_reason = load.reason if load is not None else "no tokenizer given (set the tokenizer option)"
        for split in ("train", "validation"):
            if split not in ctx.splits or len(ctx.dataset(split)) == 0:
                continue
            limit = max_length if split == "train" else eval_length
            tl = ctx.artifact(split_token_lengths, split, handle, limit=limit)
            over = tl.over(limit)
            if len(over) == 0:
                continue
            yield self._finding(ctx, split, tl, over, limit, key_name, default_note, truncation, mask_history,
                                location, handle, load.name if load is not None else None, estimate_reason)

    def _finding(self, ctx: Context, split: str, tl: Any, over: np.ndarray, limit: int, key_name: str,
                 default_note: str, truncation: str, mask_history: bool, location: Location, handle: Any,
                 model_name: str | None, estimate_reason: str) -> Finding:
        from ftlint.features.tokens import apply_truncation

        plan = ctx.plan
        n = len(ctx.dataset(split))
        rows = []
        lost_total = 0
        response_total = 0
        actions: set[str] = set()
        for i in over.tolist():
            res = apply_truncation(tl.pairs.get(i, ((int(tl.lengths[i]), 0),)), limit, truncation,
                                   mask_history=mask_history)
            actions.add(res.action)
            response_total += res.response_total
            lost_total += res.response_lost or 0
            extra: dict[str, Any] = {"tokens": int(tl.lengths[i]), "max_length": limit, "action": res.action,
                                     "response_tokens": res.response_total}
            if res.response_lost is not None:
                extra["response_tokens_lost"] = res.response_lost
            if tl.is_estimate:
                extra["estimated"] = True
            rows.append(RowAt(split, i, extra=extra))
        longest = int(tl.lengths[over].max())
        fraction = len(over) / n if n else 0.0
        fw = _fw(plan) if plan is not None else "the trainer"
        consequence = {
            "drop": f"{fw} drops them from training",
            "raise": f"{fw} stops with an error at the first one",
            "keep_start": f"{fw} cuts them to {limit:,} tokens, keeping the start",
            "keep_end": f"{fw} cuts them to {limit:,} tokens, keeping the end",
            "split": f"{fw} truncates them, sharing {limit:,} tokens between prompt and response turn by turn",
            "packed_split": f"{fw} splits them across packed sequences (no token is lost, but the later parts "
                            "lose their context)",
            "provider": f"{fw} truncates them to the model's limit",
        }.get(truncation, "what the trainer does with them is unknown (counted as cut at the end)")
        if plan is not None:
            consequence += adapter_for(plan).truncation_note(plan, truncation)
        if truncation in ("raise", "packed_split"):
            loss = ""
        else:
            loss = f", losing {lost_total:,} of their {response_total:,} response tokens"
        if tl.is_estimate:
            how_counted = tl.source
        else:
            how_counted = f"counted with {tl.source}"
            if handle is not None and handle.has_chat_template:
                how_counted += (", rendered with its chat template" if handle.template_source == "tokenizer"
                                else f", rendered with the chat template from the {handle.template_source}")
            else:
                how_counted += ", no chat template: turns joined as plain text"
            if handle is not None and handle.template_note:
                how_counted += f"; {handle.template_note}"
            if tl.template_failures:
                how_counted += (f"; {plural(tl.template_failures, 'row')} the chat template refused "
                                f"({tl.template_error or 'an error'}) counted as plain text")
        message = (
            f"{len(over):,} of {plural(n, split + ' example')} ({fraction:.1%}) exceed {key_name} = {limit:,} "
            f"tokens{default_note}; the longest has {longest:,} tokens ({how_counted}). {consequence}{loss}."
        )
        if tl.is_estimate:
            message += (f" Token counts are estimates: {estimate_reason}. For exact counts make "
                        f"{model_name or 'the tokenizer'} available offline.")
        p99 = int(np.percentile(tl.lengths, 99)) if n else longest
        target = f"{longest:,}" + (f" ({p99:,} covers 99% of the examples)" if p99 > limit and p99 < longest else "")
        fix = (f"Raise {key_name} to at least {target}, or shorten, split or drop the over-long examples "
               "before training.")
        if tl.is_estimate:
            fix += " For exact counts, " + TOKENIZER_FIX + "."
        return self.finding(
            message, fix, location=location if location.path else None, rows=rows, total=n, split=split,
            escalate=fraction > self.options.error_fraction, key=location.key,
            metrics={
                "over_length": len(over), "examples": n, "max_length": limit, "longest": longest,
                "response_tokens_lost": lost_total, "response_tokens": response_total,
                "truncation": truncation, "method": tl.method, "counted_with": tl.source,
                "skipped_rows": tl.skipped, "template_failures": tl.template_failures,
            },
        )


class ChatTemplateMissing(Rule):
    """Chat data, but neither the base model's tokenizer nor the config has a chat template.

    ## What it does
    When the training split is in a chat format (`messages`, `conversations`), loads the base
    model's tokenizer offline and reports when it has no chat template and the training config
    sets none (`chat_template`, `chat_template_jinja`, `chat_template_path`, LLaMA-Factory
    `template`). Skipped when the tokenizer cannot be loaded offline (the reason says why), and
    for torchtune and OpenAI jobs, which format conversations themselves.

    ## Why it matters
    Without a template the trainer has no way to turn the messages into the model's prompt
    format: depending on the framework it stops with an error once the model is loaded, or falls
    back to a generic format (LLaMA-Factory's `empty` template) that nothing at inference time
    will reproduce. Base (non-instruct) checkpoints usually ship no template.

    ## Example
    A TRL config with `model_name_or_path` pointing at a base model whose `tokenizer_config.json`
    has no `chat_template`, and a `messages` dataset.

    ## How to fix
    Set the template in the config (TRL `chat_template_path`, Axolotl `chat_template` or
    `chat_template_jinja`, LLaMA-Factory `template`), or start from the model's instruct variant,
    whose tokenizer ships one. Use the same template at inference.
    """

    code = "FT610"
    name = "chat-template-missing"
    summary = "Chat data but no chat template in the tokenizer or the config"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.TRAINING_PLAN})

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        if "train" not in ctx.splits:
            return
        chat = _chat_rows(ctx, "train")
        if not chat:
            return
        adapter = adapter_for(plan)
        if not adapter.uses_hf_chat_template:
            raise Skip(f"{_fw(plan)} formats conversations itself, not with a Hugging Face chat template")
        if adapter.sets_chat_template(plan):
            return  # the config sets a template (inline, a file, a name, or a fallback)
        load = ctx.artifact(plan_tokenizer)
        if load.handle is None:
            raise Skip(f"the base model's tokenizer could not be loaded offline: {load.reason}", TOKENIZER_FIX)
        handle = load.handle
        if handle.own_template:
            return
        ds = ctx.dataset("train")
        fw = _fw(plan)
        keys = adapter.chat_template_hint
        rows = [RowAt("train", i) for i in chat[:SHOW]]
        yield self.finding(
            f"the training data is chat ({plural(len(chat), 'conversation')}), but {handle.describe()} has no "
            f"chat template and the config sets none: {fw} cannot format the conversations the way the model "
            "will be prompted (it stops with an error or falls back to a generic format)",
            f"Set {keys} in the config, or start from the model's instruct variant whose tokenizer ships a "
            "template; use the same template at inference.",
            location=_config_location(plan, plan.base_model, None), rows=rows, affected=len(chat), total=len(ds),
            split="train", key=plan.base_model.key,
            metrics={"chat_rows": len(chat), "tokenizer": handle.path, "framework": plan.framework},
        )


class LossMaskProblems(Rule):
    """The config trains on assistant turns only, but the chat template cannot produce that mask,
    or leaves the end-of-turn token untrained.

    ## What it does
    For configs that compute the loss on assistant turns only (TRL `assistant_only_loss: true`;
    Axolotl `type: chat_template` datasets with `train_on_inputs: false`), renders real training
    examples with the base model's tokenizer and chat template, offline, and reports:

    - TRL: the template has no `{% generation %}` ... `{% endgeneration %}` markers, which TRL's
      assistant mask requires;
    - TRL: the markers are there but rendering a real example with
      `apply_chat_template(..., return_assistant_tokens_mask=True)` gives an all-zero mask;
    - TRL: the end-of-turn token (`<|im_end|>`, `<|eot_id|>`, ...) falls just outside the masked
      span, so it is never trained;
    - Axolotl: the template ends assistant turns with a token that is not among the tokens
      Axolotl trains after each turn (`eot_tokens`, by default only the EOS token).

    Checks the first `sample-rows` chat examples. Skipped when the tokenizer cannot be loaded
    offline or has no chat template (see FT610).

    ## Why it matters
    These mistakes show up only after training: with no assistant mask nothing (or everything)
    is trained; with the end-of-turn token outside the loss, the loss goes down normally and the
    model never learns to stop, generating until the token limit at inference.

    ## Example
    `assistant_only_loss: true` with a ChatML template whose `{% generation %}` block closes
    before `<|im_end|>`.

    ## How to fix
    Use a template whose assistant turns, end-of-turn token included, sit inside
    `{% generation %}` ... `{% endgeneration %}` (set it with `chat_template_path`); for Axolotl
    list the template's turn terminator in `eot_tokens` (with `train_on_eot: turn`).
    """

    code = "FT611"
    name = "loss-mask-problems"
    summary = "Assistant-only loss the chat template cannot produce, or an untrained end-of-turn token"
    severity = Severity.ERROR
    requires = frozenset({Need.DATASET, Need.TRAINING_PLAN})
    option_help = {"sample_rows": "how many chat examples to render and check"}

    @dataclass
    class Options:
        sample_rows: int = 32

    def check(self, ctx: Context) -> Iterator[Finding]:
        plan = require_plan(ctx)
        mode, cannot = adapter_for(plan).assistant_mask(plan)  # "generation" markers or "eot_tokens"
        if cannot:
            raise Skip(cannot)
        if mode is None or "train" not in ctx.splits:
            return
        chat = _chat_rows(ctx, "train")
        if not chat:
            return
        load = ctx.artifact(plan_tokenizer)
        if load.handle is None:
            raise Skip(f"the base model's tokenizer could not be loaded offline: {load.reason}", TOKENIZER_FIX)
        handle = load.handle
        if not handle.chat_template:
            raise Skip("the tokenizer has no chat template and the config sets none (see FT610)")
        sample = chat[: max(1, self.options.sample_rows)]
        if mode == "generation":
            yield from self._generation_mask(ctx, handle, sample)
        else:
            yield from self._eot_tokens(ctx, handle, sample)

    # -- TRL: assistant_only_loss with {% generation %} markers --------------------------------------
    def _generation_mask(self, ctx: Context, handle: Any, sample: list[int]) -> Iterator[Finding]:
        from ftlint.features.tokens import has_generation_markers, messages_of

        plan = require_plan(ctx)
        where = _config_location(plan, plan.loss_mask.assistant_only_loss, "assistant_only_loss")
        ds = ctx.dataset("train")
        template_of = handle.describe_template()
        if not has_generation_markers(handle.chat_template):
            yield self.finding(
                f"assistant_only_loss: true needs a chat template that marks assistant text with "
                f"{{% generation %}} ... {{% endgeneration %}}, and {template_of} has no such markers: TRL "
                "cannot build the assistant mask (recent versions patch a few known templates and raise for "
                "the rest; older ones train on an all-zero mask)",
                "Use a template whose assistant turns, end-of-turn token included, are wrapped in "
                "{% generation %} ... {% endgeneration %} (chat_template_path), or set assistant_only_loss: "
                "false.",
                location=where, key=where.key, total=len(ds), affected=len(ds), split="train",
                metrics={"generation_markers": False, "tokenizer": handle.path},
            )
            return
        tok = handle.tokenizer
        special = _special_ids(tok)
        zero: list[int] = []
        eot_outside: list[tuple[int, str]] = []
        failed = 0
        for i in sample:
            try:
                enc = tok.apply_chat_template(messages_of(ds.roles[i], ds.texts[i]),
                                              chat_template=handle.chat_template, tokenize=True,
                                              return_dict=True, return_assistant_tokens_mask=True)
            except Exception:  # noqa: BLE001 - a row the template refuses: FT004's business
                failed += 1
                continue
            ids = list(enc["input_ids"])
            mask = list(enc.get("assistant_masks") or [])
            if not any(mask):
                zero.append(i)
                continue
            for end in _span_ends(mask):
                if ids[end - 1] in special:
                    continue
                if end < len(ids) and ids[end] in special:
                    eot_outside.append((i, tok.convert_ids_to_tokens(ids[end])))
                    break
        checked = len(sample) - failed
        if zero:
            yield self.finding(
                f"{len(zero)} of {plural(checked, 'checked example')} get an all-zero assistant mask from "
                f"{template_of} (apply_chat_template with return_assistant_tokens_mask): with "
                "assistant_only_loss: true nothing in them would be trained",
                "Check that every assistant message is rendered inside {% generation %} ... {% endgeneration %} "
                "(not only in a branch these conversations never take).",
                location=where, key=where.key, rows=[RowAt("train", i) for i in zero],
                total=checked, split="train",
                metrics={"checked": checked, "all_zero": len(zero), "tokenizer": handle.path},
            )
        if eot_outside:
            token = eot_outside[0][1]
            yield self.finding(
                f"the end-of-turn token {token} falls outside the trained span in {len(eot_outside)} of "
                f"{plural(checked, 'checked example')}: {template_of} closes {{% endgeneration %}} before it, "
                "so the model never learns to stop (it generates until the length limit at inference)",
                f"Move {{% endgeneration %}} after {token} in the template (chat_template_path).",
                location=where, key=where.key,
                rows=[RowAt("train", i, extra={"end_of_turn": t}) for i, t in eot_outside],
                total=checked, split="train",
                metrics={"checked": checked, "eot_outside": len(eot_outside), "end_of_turn": token,
                         "tokenizer": handle.path},
            )

    # -- Axolotl: chat_template datasets, eot_tokens -----------------------------------------------
    def _eot_tokens(self, ctx: Context, handle: Any, sample: list[int]) -> Iterator[Finding]:
        from ftlint.features.tokens import messages_of

        plan = require_plan(ctx)
        trainer = _fw(plan)
        tok = handle.tokenizer
        eos = getattr(tok, "eos_token", None)
        configured = plan.get("eot_tokens")
        eot_tokens = [str(t) for t in configured] if isinstance(configured, list) else ([eos] if eos else [])
        entries = [r.entry for r in plan.train_datasets if (r.format or "").startswith("chat_template")]
        settings = [str(e.get("train_on_eot", e.get("train_on_eos", plan.get("train_on_eot", "turn")))).lower()
                    for e in entries] or ["turn"]
        specials = sorted(_special_strings(tok), key=len, reverse=True)
        ds = ctx.dataset("train")
        untrained: list[tuple[int, str]] = []
        for i in sample:
            try:
                text = str(tok.apply_chat_template(messages_of(ds.roles[i], ds.texts[i]),
                                                   chat_template=handle.chat_template, tokenize=False))
            except Exception:  # noqa: BLE001
                continue
            term = _terminator_after_last_assistant(text, ds.roles[i], ds.texts[i], specials)
            if term is None:
                continue
            if term not in eot_tokens or all(s in ("none", "false") for s in settings):
                untrained.append((i, term))
        if not untrained:
            return
        term = untrained[0][1]
        if term in eot_tokens:
            why = "train_on_eot/train_on_eos is none, so no end-of-turn token is trained"
        elif isinstance(configured, list):
            why = f"eot_tokens lists {', '.join(eot_tokens) or 'nothing'}"
        elif eos:
            why = f"eot_tokens is not set, so {trainer} trains only the EOS token {eos}"
        else:
            why = f"eot_tokens is not set and the tokenizer has no EOS token, so {trainer} trains no end-of-turn token"
        where = (Location(path=plan.file, line=plan.key_lines.get("eot_tokens"), key="eot_tokens")
                 if "eot_tokens" in plan.raw else _config_location(plan, plan.base_model, "base_model"))
        yield self.finding(
            f"{handle.describe_template()} ends assistant turns with {term}, but {why}: the "
            f"end-of-turn token is never trained in {len(untrained)} of {plural(len(sample), 'checked example')}, "
            "so the model never learns to stop (axolotl-ai-cloud/axolotl#3754)",
            f"Set eot_tokens: [\"{term}\"] (with train_on_eot: turn) in the config.",
            location=where, key=where.key,
            rows=[RowAt("train", i, extra={"end_of_turn": t}) for i, t in untrained],
            total=len(sample), split="train",
            metrics={"checked": len(sample), "untrained_eot": len(untrained), "end_of_turn": term,
                     "eot_tokens": eot_tokens, "tokenizer": handle.path},
        )


def _special_ids(tok: Any) -> set[int]:
    """Ids of the special tokens that can end a turn (the unknown token is special but never does)."""
    ids = set(getattr(tok, "all_special_ids", []) or [])
    for tid, added in (getattr(tok, "added_tokens_decoder", {}) or {}).items():
        if getattr(added, "special", False):
            ids.add(int(tid))
    ids.discard(getattr(tok, "unk_token_id", None))
    return ids


def _special_strings(tok: Any) -> set[str]:
    out = {str(t) for t in (getattr(tok, "all_special_tokens", []) or [])}
    for added in (getattr(tok, "added_tokens_decoder", {}) or {}).values():
        if getattr(added, "special", False):
            out.add(str(added))
    out.discard(str(getattr(tok, "unk_token", "") or ""))
    return {s for s in out if s}


def _span_ends(mask: list[int]) -> list[int]:
    """End positions (exclusive) of the runs of 1s in ``mask``."""
    return [k for k in range(1, len(mask) + 1) if mask[k - 1] and (k == len(mask) or not mask[k])]


def _terminator_after_last_assistant(text: str, roles: str, texts: tuple[str, ...],
                                     specials: list[str]) -> str | None:
    """The special token that closes the last assistant turn in the rendered ``text`` (within a
    few whitespace characters after its content), or None when it cannot be found."""
    k = roles.rfind(ASSISTANT)
    content = texts[k].strip() if k >= 0 else ""
    if not content:
        return None
    pos = text.rfind(content)
    if pos < 0:
        return None
    after = text[pos + len(content):].lstrip()
    for s in specials:
        if after.startswith(s):
            return s
    return None


__all__ = ["ChatTemplateMissing", "LossMaskProblems", "SequenceTooLong"]
