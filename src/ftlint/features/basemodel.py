"""What the base model is, read offline from its own files.

:func:`read_base_model` finds the model's ``config.json`` in a local directory or in the local
Hugging Face cache (``huggingface_hub.try_to_load_from_cache``: never a download, never
``trust_remote_code``; the JSON is read as data, no model class is imported) and returns
:class:`BaseModelFacts`: architecture, kind (causal LM, seq2seq, encoder), context window
(``max_position_embeddings`` or its equivalent), vocabulary size, parameter count (exact from
the safetensors headers when the weights are on disk, else estimated from the config's
dimensions), and whether it is an instruct/chat model. The tokenizer is the Context's
(``ctx.artifact(plan_tokenizer)``, :mod:`ftlint.features.tokens`): its chat template and ``model_max_length``
are added here, never loaded a second time.
"""

from __future__ import annotations

import functools
import json
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftlint.cache import Int, Rec, Spec

if TYPE_CHECKING:
    from ftlint.context import Context
    from ftlint.features.tokens import TokenizerHandle
    from ftlint.training.plan import TrainingPlan

#: config.json keys that hold the context window, in the order they are trusted
WINDOW_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx",
               "max_seq_len", "model_max_length")
#: model types whose MLP is gated (three matrices: gate, up, down)
_GATED = re.compile(r"llama|mistral|mixtral|qwen|gemma|phi3|deepseek|olmo|granite|cohere|internlm|yi|baichuan|"
                    r"starcoder2|exaone|smollm|minicpm|glm", re.IGNORECASE)
_INSTRUCT = re.compile(r"(?:^|[-_/.])(?:instruct|chat|it|sft|rlhf|dpo|assistant|hermes|tulu|zephyr)(?:$|[-_/.\d])",
                       re.IGNORECASE)
_BASE = re.compile(r"(?:^|[-_/.])base(?:$|[-_/.])", re.IGNORECASE)


@dataclass(frozen=True)
class BaseModelFacts:
    """The base model as its files describe it.

    ``context_window`` is None when neither config.json nor the tokenizer states one;
    ``window_key`` names the key it came from. ``parameters`` is exact (``parameters_exact``)
    from the safetensors headers, or estimated from the config, or None. ``instruct`` is True
    for a model whose name marks it as instruct/chat-tuned, False for a base model, None when
    the name says neither. ``kind``: ``causal-lm``, ``seq2seq``, ``encoder``, ``classifier`` or
    ``unknown``.
    """

    name: str
    path: str | None
    origin: str  # "local directory", "Hugging Face cache" or "" (no config.json)
    architecture: str | None = None
    model_type: str | None = None
    kind: str = "unknown"
    context_window: int | None = None
    window_key: str | None = None
    vocab_size: int | None = None
    parameters: int | None = None
    parameters_exact: bool = False
    instruct: bool | None = None
    has_chat_template: bool | None = None
    tokenizer: str = ""  # how the tokenizer was found, or why it was not
    config_reason: str = ""  # why config.json could not be read ("" when it was)

    @property
    def has_config(self) -> bool:
        return self.origin != ""

    def describe(self) -> str:
        where = f" ({self.path})" if self.path and self.path != self.name else ""
        return f"{self.name}{where}"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "architecture": self.architecture, "kind": self.kind,
                "context_window": self.context_window, "vocab_size": self.vocab_size,
                "parameters": self.parameters, "parameters_exact": self.parameters_exact,
                "instruct": self.instruct, "has_chat_template": self.has_chat_template}


@dataclass(frozen=True)
class BaseModelLoad:
    """:class:`BaseModelFacts`, or None and why nothing could be read."""

    facts: BaseModelFacts | None
    reason: str = ""
    name: str | None = None


def find_model_dir(name: str, search_dirs: Sequence[Path] = ()) -> tuple[Path | None, str, str]:
    """The directory holding ``name``'s config.json: ``(directory, origin, reason)``. ``name`` is a
    directory (absolute, relative to one of ``search_dirs`` or to the working directory) or a hub
    id in the local cache; nothing is downloaded."""
    from ftlint.features.tokens import find_local_model_files

    return find_local_model_files(name, search_dirs, ("config.json",), "config.json")


def _first(cfg: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        v = cfg.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            return v
    return None


def _text_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The language model's part of a config.json (``text_config`` of a multimodal model)."""
    text = cfg.get("text_config")
    return text if isinstance(text, dict) else cfg


def estimate_parameters(cfg: dict[str, Any]) -> int | None:
    """Parameters of a transformer from its config.json dimensions (embeddings, attention with
    grouped KV heads, gated or plain MLP, mixture-of-experts), or None when the sizes are missing."""
    text = _text_config(cfg)
    h = _first(text, "hidden_size", "n_embd", "d_model", "dim")
    layers = _first(text, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    vocab = _first(text, "vocab_size", "padded_vocab_size")
    if not h or not layers or not vocab:
        return None
    h, layers, vocab = int(h), int(layers), int(vocab)
    heads = int(_first(text, "num_attention_heads", "n_head", "num_heads") or max(h // 64, 1))
    kv = int(_first(text, "num_key_value_heads", "multi_query_group_num", "num_kv_heads") or heads)
    head_dim = int(_first(text, "head_dim") or h // heads)
    inter = int(_first(text, "intermediate_size", "n_inner", "ffn_dim", "d_ff") or 4 * h)
    mtype = str(text.get("model_type") or cfg.get("model_type") or "")
    act = str(text.get("hidden_act") or text.get("activation_function") or "")
    gated = bool(_GATED.search(mtype)) or act in ("silu", "swiglu", "swish") or "glu" in act
    attn = h * heads * head_dim + 2 * h * kv * head_dim + heads * head_dim * h
    mlp_one = (3 if gated else 2) * h * inter
    experts = _first(text, "num_local_experts", "n_routed_experts", "num_experts")
    if experts:
        moe_inter = int(_first(text, "moe_intermediate_size", "expert_intermediate_size") or inter)
        shared = int(_first(text, "n_shared_experts", "num_shared_experts") or 0)
        mlp = int(experts + shared) * (3 if gated else 2) * h * moe_inter + h * int(experts)
    else:
        mlp = mlp_one
    tied = text.get("tie_word_embeddings", cfg.get("tie_word_embeddings", True))
    embed = vocab * h * (1 if tied or mtype in ("bert", "roberta", "distilbert", "xlm-roberta") else 2)
    if not _first(text, "rope_theta") and "rope_scaling" not in text and mtype in (
            "bert", "roberta", "gpt2", "gpt_neo", "opt", "distilbert", "xlm-roberta", "electra"):
        embed += int(_first(text, "max_position_embeddings", "n_positions") or 0) * h
    return int(embed + layers * (attn + mlp + 2 * h) + h)  # two norms per layer and a final one


def _safetensors_count(files: Sequence[Path]) -> int | None:
    """Exact parameter count from safetensors headers (the first 8 bytes give the JSON's length)."""
    total = 0
    for p in files:
        try:
            with open(p, "rb") as fh:
                (size,) = struct.unpack("<Q", fh.read(8))
                if size > 100_000_000:
                    return None
                header = json.loads(fh.read(size))
        except (OSError, ValueError, struct.error):
            return None
        for key, meta in header.items():
            if key != "__metadata__" and isinstance(meta, dict) and "shape" in meta:
                total += math.prod(int(d) for d in meta["shape"])
    return total or None


def _weight_files(directory: Path) -> list[Path]:
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values()))
        except (OSError, ValueError):
            return []
        files = [directory / s for s in shards]
        return files if files and all(f.is_file() for f in files) else []
    single = directory / "model.safetensors"
    return [single] if single.is_file() else []


def _kind(cfg: dict[str, Any], arch: str | None) -> str:
    a = arch or ""
    if cfg.get("is_encoder_decoder") or any(s in a for s in ("T5", "Bart", "Pegasus", "Marian", "MBart")):
        return "seq2seq"
    if a.endswith(("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")):
        return "causal-lm"
    if a.endswith(("ForSequenceClassification", "ForTokenClassification")):
        return "classifier"
    if a.endswith(("Model", "ForMaskedLM")) and cfg.get("model_type") in ("bert", "roberta", "distilbert",
                                                                          "xlm-roberta", "electra", "deberta-v2",
                                                                          "modernbert", "mpnet"):
        return "encoder"
    if not a and _GATED.search(str(cfg.get("model_type") or "")):
        return "causal-lm"
    return "unknown"


def instruct_from_name(*names: str | None) -> bool | None:
    """True when a name marks an instruct/chat model, False when it marks a base model, else None."""
    for n in names:
        if not n:
            continue
        if _INSTRUCT.search(n):
            return True
        if _BASE.search(n):
            return False
    return None


def read_base_model(name: str, search_dirs: Sequence[Path] = (), tokenizer_load: Any = None) -> BaseModelLoad:
    """The facts about ``name`` readable offline. ``tokenizer_load`` is the Context's
    ``TokenizerLoad`` for the same model (its chat template and ``model_max_length`` are used)."""
    directory, origin, reason = find_model_dir(name, search_dirs)
    cfg: dict[str, Any] = {}
    if directory is not None:
        try:
            data = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            cfg = data
        except (OSError, ValueError) as e:
            directory, origin, reason = None, "", f"{name}: config.json could not be read ({e})"[:300]
    handle = getattr(tokenizer_load, "handle", None)
    if directory is None and handle is None:
        tok_reason = getattr(tokenizer_load, "reason", "") or ""
        why = reason if not tok_reason or tok_reason == reason else f"{reason}; tokenizer: {tok_reason}"
        return BaseModelLoad(None, why, name)
    archs = cfg.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    text = _text_config(cfg)
    window, key = None, None
    for k in WINDOW_KEYS:
        v = text.get(k, cfg.get(k))
        if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 100_000_000:
            window, key = v, f"config.json {k}"
            break
    if window is None and handle is not None:
        v = getattr(handle.tokenizer, "model_max_length", None)
        if isinstance(v, int) and 0 < v < 100_000_000:
            window, key = v, "tokenizer model_max_length"
    vocab = _first(text, "vocab_size", "padded_vocab_size")
    if vocab is None and handle is not None:
        try:
            vocab = len(handle.tokenizer)
        except Exception:  # noqa: BLE001
            vocab = None
    params, exact = None, False
    if directory is not None:
        files = _weight_files(directory)
        params = _safetensors_count(files) if files else None
        exact = params is not None
        if params is None:
            params = estimate_parameters(cfg)
    mtype = str(text.get("model_type") or cfg.get("model_type") or "") or None
    tok_note = handle.describe() if handle is not None else (getattr(tokenizer_load, "reason", "") or "")
    facts = BaseModelFacts(
        name=name, path=str(directory) if directory is not None else (handle.path if handle else None),
        origin=origin, architecture=arch, model_type=mtype, kind=_kind(cfg, arch),
        context_window=window, window_key=key, vocab_size=int(vocab) if vocab else None,
        parameters=params, parameters_exact=exact,
        instruct=instruct_from_name(name, Path(name).name, str(cfg.get("_name_or_path") or "")),
        has_chat_template=handle.has_chat_template if handle is not None else None,
        tokenizer=tok_note, config_reason=reason if directory is None else "",
    )
    return BaseModelLoad(facts, "", name)


@dataclass(frozen=True)
class CharsPerToken:
    """How many characters of a split's text one token of a tokenizer covers, on a sample.

    ``chars`` and ``tokens`` are totals over the turns of ``rows`` sampled rows (``of`` in all),
    counted without special tokens; ``unknown`` is how many of the tokens are the tokenizer's
    unknown token (text it cannot represent at all).
    """

    chars: int
    tokens: int
    unknown: int
    rows: int
    of: int

    @property
    def ratio(self) -> float | None:
        return self.chars / self.tokens if self.tokens else None


def chars_per_token(texts: Sequence[Sequence[str]], handle: Any, sample: int = 2000) -> CharsPerToken:
    """Characters per token of the rows' turns (every turn of up to ``sample`` evenly spaced rows),
    counted in batches with the tokenizer of ``handle`` (a ``features.tokens.TokenizerHandle``)."""
    from ftlint.features.task import sample_positions

    positions = sample_positions(len(texts), sample)
    turns = [t for i in positions for t in texts[i] if t]
    tok = handle.tokenizer
    unk_id = getattr(tok, "unk_token_id", None)
    chars = sum(len(t) for t in turns)
    tokens = unknown = 0
    for start in range(0, len(turns), 512):
        enc = tok(turns[start:start + 512], add_special_tokens=False, return_attention_mask=False,
                  return_token_type_ids=False, verbose=False)
        for ids in enc["input_ids"]:
            tokens += len(ids)
            if unk_id is not None:
                unknown += sum(1 for t in ids if t == unk_id)
    return CharsPerToken(chars, tokens, unknown, len(positions), len(texts))


def base_model_name(plan: TrainingPlan | None) -> str | None:
    """The base model a training config fine-tunes (torchtune: its checkpoint directory)."""
    bm = plan.base_model.value if plan is not None else None
    return bm.strip() if isinstance(bm, str) and bm.strip() else None


def base_model(ctx: Context, name: str | None = None) -> BaseModelLoad:
    """What the base model's own files say: config.json and the tokenizer
    (``features.tokens.plan_tokenizer``) of the training config's base model (or ``name``), read
    offline from a local directory or the local Hugging Face cache."""
    from ftlint.features.tokens import plan_tokenizer

    model = name or base_model_name(ctx.plan)
    if not model:
        return BaseModelLoad(None, "the training config names no base model" if ctx.plan is not None
                             else "no training config given", None)
    search = [Path(ctx.settings.root)]
    if ctx.plan is not None:
        search.append(Path(ctx.plan.path).parent)
    return read_base_model(model, search, ctx.artifact(plan_tokenizer, name))


def split_chars_per_token(ctx: Context, split: str, tokenizer: TokenizerHandle, sample: int = 2000) -> CharsPerToken:
    """Characters per token of ``split``'s text with ``tokenizer`` on up to ``sample`` evenly
    spaced rows (:func:`chars_per_token`). Cached on disk."""

    ds = ctx.dataset(split)
    return ctx.stored("chars_per_token", split, {"tokenizer": tokenizer.identity, "sample": sample},
                      lambda: chars_per_token(ds.texts, tokenizer, sample), chars_per_token_schema())


__all__ = ["BaseModelFacts", "BaseModelLoad", "CharsPerToken", "base_model", "chars_per_token",
           "split_chars_per_token", "base_model_name", "estimate_parameters", "find_model_dir",
           "instruct_from_name", "read_base_model"]


@functools.cache
def chars_per_token_schema() -> Spec:
    """The declared on-disk schema of :func:`split_chars_per_token` (``ftlint.cache``)."""
    return Spec(Rec(CharsPerToken, chars=Int(0), tokens=Int(0), unknown=Int(0), rows=Int(0), of=Int(0)))
