"""Token counts as the trainer will see them.

* :func:`load_tokenizer` / :func:`tokenizer_for_plan`: the base model's tokenizer, loaded with
  ``transformers.AutoTokenizer`` from a local directory or the local Hugging Face cache only
  (``local_files_only=True``, never ``trust_remote_code``); ``None`` plus a reason otherwise.
* :func:`byte_level_info`: whether the tokenizer is byte-level BPE (read from its
  ``tokenizer.json``: model, pre-tokenizer, normalizer), which makes the skip below sound.
* :func:`render`: a row as the trainer formats it: the chat template when there is one
  (``apply_chat_template(messages, tokenize=False)``), a plain concatenation otherwise.
* :func:`count_tokens`: batch counting (``tokenizer(texts, add_special_tokens=...)``, lengths only).
* :func:`token_lengths`: every row of a split, rendered and counted in batches; with a ``limit``,
  rows that *provably* fit are not tokenised (byte-level BPE: never more tokens than UTF-8 bytes,
  plus the tokens the post-processor adds), and over-long rows get their per-turn
  ``(source, target)`` token counts for the truncation accounting. Without a tokenizer, a
  clearly labelled estimate (UTF-8 bytes / 4 plus 4 tokens per turn).
* :func:`apply_truncation` / :func:`infer_seqlen`: what each framework does with an over-long row
  (Axolotl drops or truncates, TRL keeps the start, LLaMA-Factory splits ``cutoff_len`` between
  source and target per turn) and how many response (assistant) tokens are lost.

Heavy imports (transformers, tokenizers) happen inside the functions that need them.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xxhash

from ftlint.cache import Arr, Int, Map, Opt, Rec, Seq, Spec, Str, Tup
from ftlint.training.adapters import adapter_for
from ftlint.training.plan import TrainingPlan

if TYPE_CHECKING:
    from ftlint.context import Context

#: ftlint's one-letter roles (see ``ftlint.data.schema``) as chat-template roles
ROLE_FOR = {"s": "system", "u": "user", "a": "assistant", "t": "tool", "?": "user"}

#: the files that define a tokenizer (hashed into its identity for the on-disk cache)
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "tokenizer.model",
    "spiece.model",
    "chat_template.jinja",
    "chat_template.json",
)

ESTIMATE_BYTES_PER_TOKEN = 4
ESTIMATE_TOKENS_PER_TURN = 4
ESTIMATE_METHOD = (
    f"estimated as UTF-8 bytes / {ESTIMATE_BYTES_PER_TOKEN} plus {ESTIMATE_TOKENS_PER_TURN} tokens per turn"
)

#: pre-tokenizers that only split (never add characters): allowed beside ByteLevel in a Sequence
_SPLIT_ONLY_PRETOKENIZERS = {"ByteLevel", "Split", "Digits", "Punctuation", "Whitespace", "WhitespaceSplit"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
_JINJA = re.compile(r"\{\{|\{%")
_GENERATION = re.compile(r"\{%-?\s*generation\s*-?%\}")


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ByteLevelInfo:
    """What :func:`byte_level_info` found in a tokenizer's ``tokenizer.json``.

    ``byte_level``: a BPE model over a ByteLevel pre-tokenizer (alone or in a Sequence of
    split-only pre-tokenizers), so every token covers at least one byte of the normalised text.
    ``normalizer``: ``"none"`` or ``"nfc"`` (NFC can lengthen non-ASCII text, up to 3x in UTF-8);
    any other normaliser makes the bound unsound and ``byte_level`` False. ``prefix_space``: the
    ByteLevel pre-tokenizer adds a space before each segment between added tokens.
    """

    byte_level: bool
    normalizer: str = "none"
    prefix_space: bool = False
    why: str = ""


@dataclass(frozen=True)
class TokenizerHandle:
    """A loaded tokenizer and what ftlint knows about it.

    ``identity`` (path + hash of the tokenizer files + the chat template in effect) keys the
    on-disk cache. ``chat_template`` is the template rows are rendered with: the config's inline
    template when it sets one, else the tokenizer's own (``own_template``); ``template_source``
    says which, and ``template_note`` explains a named template ftlint cannot render.
    ``special_tokens_added`` is how many tokens ``add_special_tokens=True`` adds to one text.
    """

    tokenizer: Any = field(repr=False, compare=False)
    name: str
    path: str
    origin: str  # "local directory" or "Hugging Face cache"
    identity: str
    byte_level: ByteLevelInfo
    chat_template: str | None
    own_template: str | None
    template_source: str = ""
    template_note: str = ""
    special_tokens_added: int = 0
    added_tokens: tuple[str, ...] = ()

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    def describe(self) -> str:
        """``the tokenizer of NAME (where)``, or ``the tokenizer in PATH`` when NAME is that path."""
        if self.origin == "local directory" and Path(self.name).expanduser().resolve() == Path(self.path):
            return f"the tokenizer in {self.path}"
        where = self.path if self.origin == "local directory" else f"{self.origin}: {self.path}"
        return f"the tokenizer of {self.name} ({where})"

    def describe_template(self) -> str:
        """Where the chat template in effect comes from, in words."""
        if not self.chat_template:
            return "no chat template"
        if self.template_source == "tokenizer":
            return f"the chat template of {self.describe()}"
        return f"the chat template from the {self.template_source}"


@dataclass(frozen=True)
class TokenizerLoad:
    """The result of loading a tokenizer offline: a handle, or None and the reason."""

    handle: TokenizerHandle | None
    reason: str = ""
    name: str | None = None


def files_hash(directory: Path) -> str:
    """xxh3 of the tokenizer files in ``directory`` (names and contents)."""
    h = xxhash.xxh3_64()
    for name in TOKENIZER_FILES:
        p = directory / name
        if p.is_file():
            h.update(name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def find_local_model_files(name: str, search_dirs: Sequence[Path], files: Sequence[str], what: str,
                           cache_files: Sequence[str] | None = None) -> tuple[Path | None, str, str]:
    """Where ``name``'s files live on this machine: ``(directory, origin, reason)``. ``name`` is a
    directory (absolute, or relative to one of ``search_dirs``, then the working directory) holding
    one of ``files``, or a Hugging Face Hub id with one of ``cache_files`` (default ``files``) already
    in the local cache.
    Nothing is downloaded; ``what`` names the files in the reason (``"tokenizer files"``)."""
    raw = Path(name).expanduser()
    candidates = [raw] if raw.is_absolute() else [d / raw for d in search_dirs] + [raw]
    for c in candidates:
        if c.is_dir():
            if any((c / f).is_file() for f in files):
                return c.resolve(), "local directory", ""
            return None, "", f"{c} has no {what}"
    if raw.is_absolute() or name.startswith((".", "~")) or not _HUB_ID.match(name):
        return None, "", f"{name} is not a local directory"
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # the plain install: huggingface_hub comes with the embeddings extra
        return None, "", ("huggingface_hub and transformers are not installed, so the local Hugging Face cache "
                          "cannot be read (pip install 'ftlint[embeddings]')")
    for fname in cache_files or files:
        try:
            found = try_to_load_from_cache(name, fname)
        except Exception:  # noqa: BLE001 - an invalid repo id and the like
            found = None
        if isinstance(found, str):
            return Path(found).parent, "Hugging Face cache", ""
    return None, "", f"{name} is not in the local Hugging Face cache and ftlint never downloads"


def find_tokenizer_dir(name: str, search_dirs: Sequence[Path] = ()) -> tuple[Path | None, str, str]:
    """Where the tokenizer of ``name`` lives on this machine: ``(directory, origin, reason)``
    (see :func:`find_local_model_files`). Nothing is downloaded."""
    return find_local_model_files(name, search_dirs, TOKENIZER_FILES,
                                  f"tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, ...)",
                                  cache_files=("tokenizer_config.json", "tokenizer.json"))


def byte_level_info(tokenizer: Any) -> ByteLevelInfo:
    """Whether the (fast) tokenizer is byte-level BPE, read from its ``tokenizer.json`` parts."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return ByteLevelInfo(False, why="not a fast (tokenizers) tokenizer")
    if type(backend.model).__name__ != "BPE":
        return ByteLevelInfo(False, why=f"{type(backend.model).__name__} model, not BPE")
    pre = backend.pre_tokenizer
    if pre is None:
        return ByteLevelInfo(False, why="no pre-tokenizer")
    pre_json = json.loads(pre.__getstate__())
    parts = pre_json.get("pretokenizers", []) if pre_json.get("type") == "Sequence" else [pre_json]
    types = [p.get("type") for p in parts]
    if "ByteLevel" not in types:
        return ByteLevelInfo(False, why=f"pre-tokenizer {pre_json.get('type')} is not ByteLevel")
    if any(t not in _SPLIT_ONLY_PRETOKENIZERS for t in types):
        return ByteLevelInfo(False, why=f"pre-tokenizers {types} may add characters")
    prefix_space = any(p.get("type") == "ByteLevel" and p.get("add_prefix_space") for p in parts)
    norm = backend.normalizer
    if norm is None:
        kind = "none"
    else:
        nj = json.loads(norm.__getstate__())
        seq = nj.get("normalizers", []) if nj.get("type") == "Sequence" else [nj]
        kinds = {n.get("type") for n in seq}
        if not kinds or kinds == {"NFC"}:
            kind = "nfc" if kinds else "none"
        else:
            return ByteLevelInfo(False, why=f"normalizer {sorted(kinds)} may lengthen the text")
    return ByteLevelInfo(True, normalizer=kind, prefix_space=prefix_space)


def template_from_plan(plan: TrainingPlan | None, search_dirs: Sequence[Path] = ()) -> tuple[str | None, str, str]:
    """The chat template the training config sets: ``(jinja or None, source, note)``.

    An inline Jinja template (alignment-handbook / Axolotl ``chat_template_jinja``) or a file
    (TRL ``chat_template_path``) is returned; a template *name* (Axolotl ``llama3``,
    LLaMA-Factory ``qwen3_nothink``) cannot be rendered by ftlint and comes back as a note. Where the
    framework keeps its template is its adapter's business (``chat_template_setting``).
    """
    if plan is None:
        return None, "", ""
    value, key, inline = adapter_for(plan).chat_template_setting(plan)
    if inline:
        return value, f"config ({key})", ""
    if not value:
        return None, "", ""
    if _JINJA.search(value):
        return value, f"config ({key})", ""
    if value.startswith("tokenizer_default"):
        return None, "", ""
    p = Path(value).expanduser()
    for c in ([p] if p.is_absolute() else [d / p for d in search_dirs] + [p]):
        if c.is_file():
            try:
                return c.read_text(encoding="utf-8"), f"config ({key}: {value})", ""
            except (OSError, UnicodeDecodeError):
                break
        if c.is_dir() and (c / "chat_template.jinja").is_file():
            return (c / "chat_template.jinja").read_text(encoding="utf-8"), f"config ({key}: {value})", ""
    return None, "", (f"the config names the template {value!r}, which ftlint cannot render; "
                      "the tokenizer's own template was used")


def load_tokenizer(name: str, *, search_dirs: Sequence[Path] = (), chat_template: str | None = None,
                   template_source: str = "", template_note: str = "") -> TokenizerLoad:
    """Load ``name``'s tokenizer offline, or say why it cannot be loaded.

    ``chat_template`` (Jinja) overrides the tokenizer's own template when rows are rendered.
    """
    directory, origin, reason = find_tokenizer_dir(name, search_dirs)
    if directory is None:
        return TokenizerLoad(None, reason, name)
    try:
        from transformers import AutoTokenizer
    except ImportError:
        return TokenizerLoad(None, "transformers is not installed (pip install 'ftlint[embeddings]')", name)
    try:
        tok = AutoTokenizer.from_pretrained(str(directory), local_files_only=True, trust_remote_code=False)
    except Exception as e:  # noqa: BLE001 - any failure to load is a reason, never a crash
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return TokenizerLoad(None, f"the tokenizer in {directory} could not be loaded: {first[:300]}", name)
    own = tok.chat_template if isinstance(getattr(tok, "chat_template", None), str) else None
    effective = chat_template or own
    source = template_source if chat_template else ("tokenizer" if own else "")
    backend = getattr(tok, "backend_tokenizer", None)
    specials = backend.num_special_tokens_to_add(False) if backend is not None else _specials_added(tok)
    added = tuple(sorted({str(t) for t in getattr(tok, "added_tokens_decoder", {}).values()}))
    ident = f"{directory}@{files_hash(directory)}"
    if effective is not None:
        ident += f"+template:{xxhash.xxh3_64_hexdigest(effective.encode('utf-8', 'surrogatepass'))}"
    return TokenizerLoad(
        TokenizerHandle(tok, name, str(directory), origin, ident, byte_level_info(tok), effective, own,
                        source, template_note, specials, added),
        "", name)


def _specials_added(tok: Any) -> int:
    try:
        return len(tok("", add_special_tokens=True)["input_ids"])
    except Exception:  # noqa: BLE001
        return 0


def plan_tokenizer_name(plan: TrainingPlan | None) -> str | None:
    """The tokenizer a training config trains with (its adapter says where the config names it:
    an explicit tokenizer key, else the base model)."""
    return adapter_for(plan).tokenizer_name(plan) if plan is not None else None


def tokenizer_for_plan(plan: TrainingPlan | None, root: Path | None = None, name: str | None = None) -> TokenizerLoad:
    """The tokenizer of the plan's base model (or ``name``), with the config's chat template."""
    search: list[Path] = []
    if root is not None:
        search.append(Path(root))
    if plan is not None:
        search.append(Path(plan.path).parent)
    name = name or plan_tokenizer_name(plan)
    if not name:
        return TokenizerLoad(None, "the training config names no base model", None)
    template, source, note = template_from_plan(plan, search)
    return load_tokenizer(name, search_dirs=search, chat_template=template, template_source=source,
                          template_note=note)


def has_generation_markers(template: str | None) -> bool:
    """True when a chat template marks assistant text with ``{% generation %}``."""
    return bool(template) and bool(_GENERATION.search(template or ""))


# ---------------------------------------------------------------------------------------------
# Rendering and counting
# ---------------------------------------------------------------------------------------------


def messages_of(roles: str, texts: Sequence[str]) -> list[dict[str, str]]:
    """Chat messages (``role``/``content``) of a row's roles and texts."""
    return [{"role": ROLE_FOR.get(r, "user"), "content": t} for r, t in zip(roles, texts)]


def render_plain(texts: Sequence[str]) -> str:
    """The row without a chat template: its turns joined by newlines."""
    return "\n".join(texts)


def render(handle: TokenizerHandle | None, roles: str, texts: Sequence[str], *,
           add_generation_prompt: bool = False) -> tuple[str, bool]:
    """``(text, templated)``: the row rendered with the chat template, or plain when there is
    none or the template refuses the row (e.g. "Conversation roles must alternate")."""
    if handle is not None and handle.chat_template:
        try:
            out = handle.tokenizer.apply_chat_template(
                messages_of(roles, texts), chat_template=handle.chat_template, tokenize=False,
                add_generation_prompt=add_generation_prompt)
            return str(out), True
        except Exception:  # noqa: BLE001 - a template that raises for this row
            pass
    return render_plain(texts) + ("\n" if add_generation_prompt and texts else ""), False


def render_many(handle: TokenizerHandle | None, roles: Sequence[str], texts: Sequence[Sequence[str]]
                ) -> tuple[list[str], np.ndarray, str]:
    """Render rows in one batch call; rows the template refuses are rendered one by one, then
    plain. Returns ``(texts, templated mask, first template error)``."""
    n = len(roles)
    if handle is None or not handle.chat_template:
        return [render_plain(t) for t in texts], np.zeros(n, dtype=bool), ""
    convs = [messages_of(r, t) for r, t in zip(roles, texts)]
    try:
        out = handle.tokenizer.apply_chat_template(convs, chat_template=handle.chat_template, tokenize=False)
        if isinstance(out, list) and len(out) == n:
            return [str(s) for s in out], np.ones(n, dtype=bool), ""
    except Exception:  # noqa: BLE001 - one bad row fails the batch: go row by row
        pass
    rendered: list[str] = []
    mask = np.zeros(n, dtype=bool)
    first_error = ""
    for i, conv in enumerate(convs):
        try:
            rendered.append(str(handle.tokenizer.apply_chat_template(
                conv, chat_template=handle.chat_template, tokenize=False)))
            mask[i] = True
        except Exception as e:  # noqa: BLE001
            first_error = first_error or (str(e).splitlines() or [type(e).__name__])[0][:200]
            rendered.append(render_plain(texts[i]))
    return rendered, mask, first_error


def count_tokens(tokenizer: Any, texts: Sequence[str], *, add_special_tokens: bool,
                 batch_size: int = 1024) -> np.ndarray:
    """Token counts of ``texts`` with a transformers tokenizer, in batches, lengths only."""
    out = np.zeros(len(texts), dtype=np.int64)
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start:start + batch_size])
        if not chunk:
            continue
        enc = tokenizer(chunk, add_special_tokens=add_special_tokens, return_attention_mask=False,
                        return_token_type_ids=False, verbose=False)
        out[start:start + len(chunk)] = [len(ids) for ids in enc["input_ids"]]
    return out


def upper_bound(handle: TokenizerHandle, text: str, add_special_tokens: bool) -> int | None:
    """A sound upper bound on ``text``'s token count for a byte-level BPE tokenizer (None else).

    Every byte-level BPE token covers at least one byte of the normalised text, and an added
    token is one token for at least one byte, so the count is at most the UTF-8 length (NFC may
    lengthen non-ASCII text up to 3x), plus one prefix space per segment between added tokens
    when the pre-tokenizer adds one, plus what the post-processor adds.
    """
    info = handle.byte_level
    if not info.byte_level:
        return None
    n = len(text.encode("utf-8", "surrogatepass"))
    if info.normalizer == "nfc" and not text.isascii():
        n *= 3
    if info.prefix_space:
        n += 1 + sum(text.count(t) for t in handle.added_tokens if t)
    return n + (handle.special_tokens_added if add_special_tokens else 0)


def estimate_turns(texts: Sequence[str]) -> list[int]:
    """Estimated tokens of each turn: UTF-8 bytes / 4 (rounded up) plus the template's share."""
    return [math.ceil(len(t.encode("utf-8", "surrogatepass")) / ESTIMATE_BYTES_PER_TOKEN)
            + ESTIMATE_TOKENS_PER_TURN for t in texts]


def _pairs_from_turns(roles: str, turn_tokens: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(source, target) per assistant turn from per-turn counts; a trailing non-assistant part is
    a last pair with target 0."""
    pairs: list[tuple[int, int]] = []
    source = 0
    for r, n in zip(roles, turn_tokens):
        if r == "a":
            pairs.append((source, n))
            source = 0
        else:
            source += n
    if source or not pairs:
        pairs.append((source, 0))
    return tuple(pairs)


def _boundaries(handle: TokenizerHandle, roles: str, texts: Sequence[str]) -> list[str]:
    """The rendered prefixes that end right before and right after each assistant turn."""
    out: list[str] = []
    for k in (i for i, r in enumerate(roles) if r == "a"):
        out.append(render(handle, roles[:k], texts[:k], add_generation_prompt=True)[0] if k else "")
        out.append(render(handle, roles[:k + 1], texts[:k + 1])[0])
    return out


def turn_pairs_many(handle: TokenizerHandle, rows: Sequence[tuple[str, Sequence[str], str, int]]
                    ) -> list[tuple[tuple[int, int], ...]]:
    """``(source, target)`` token counts per assistant turn of each row, as LLaMA-Factory encodes
    them: the source is everything from the end of the previous assistant turn up to and
    including the generation prompt, the target the assistant turn with its end-of-turn tokens;
    a trailing non-assistant part is a last pair with target 0.

    ``rows`` are ``(roles, texts, rendered text, total tokens)``. The rendered text is cut at the
    rendered prefixes of the conversation and the pieces are counted in one batch (without
    special tokens), except the longest piece of each row, which gets what remains of the exact
    total (so the pairs sum to it, and what the post-processor adds or the cuts shift lands in
    the longest piece). Where a prefix is not a prefix of the whole text (templates that rewrite
    earlier turns), each prefix is counted whole instead.
    """
    texts_to_count: list[str] = []
    plans: list[tuple[str, int, list[int | None]]] = []  # (how, number of cut points, slots)
    for roles, texts, full, _total in rows:
        cuts = _boundaries(handle, roles, texts)
        positions = [len(c) for c in cuts]
        slots: list[int | None] = []
        if all(full.startswith(c) for c in cuts) and positions == sorted(positions):
            edges = [0, *positions, len(full)]
            pieces = [full[a:b] for a, b in itertools.pairwise(edges)]
            longest = max(range(len(pieces)), key=lambda j: len(pieces[j]))
            for j, piece in enumerate(pieces):
                if j == longest or not piece:
                    slots.append(None if j == longest else -1)
                else:
                    slots.append(len(texts_to_count))
                    texts_to_count.append(piece)
            plans.append(("pieces", len(cuts), slots))
        else:
            for c in cuts:
                slots.append(len(texts_to_count))
                texts_to_count.append(c)
            plans.append(("prefixes", len(cuts), slots))
    counts = count_tokens(handle.tokenizer, texts_to_count, add_special_tokens=False).tolist() \
        if texts_to_count else []
    out: list[tuple[tuple[int, int], ...]] = []
    for (how, m, slots), (_roles, _texts, _full, total) in zip(plans, rows):
        if m == 0:
            out.append(((total, 0),))
            continue
        if how == "pieces":
            sizes = [0 if s == -1 else (counts[s] if s is not None else 0) for s in slots]
            rest = slots.index(None)
            sizes[rest] = max(total - sum(sizes), 0)
            cum = list(np.cumsum(sizes))[:m]
        else:
            cum = [counts[s] for s in slots if s is not None]
        pairs: list[tuple[int, int]] = []
        prev_end = 0
        for j in range(0, m, 2):
            start = min(max(int(cum[j]), prev_end), total)
            end = min(max(int(cum[j + 1]), start), total)
            pairs.append((start - prev_end, end - start))
            prev_end = end
        if total > prev_end:
            pairs.append((total - prev_end, 0))
        out.append(tuple(pairs))
    return out


def turn_pairs(handle: TokenizerHandle, roles: str, texts: Sequence[str], total: int
               ) -> tuple[tuple[int, int], ...]:
    """:func:`turn_pairs_many` for one row."""
    return turn_pairs_many(handle, [(roles, texts, render(handle, roles, texts)[0], total)])[0]


@dataclass(frozen=True)
class TokenLengths:
    """Token counts of every row of a split.

    ``lengths[i]`` is exact where ``exact[i]``; elsewhere it is an upper bound not above
    ``limit`` (the row provably fits, so it was not tokenised). ``pairs`` holds, for each row
    whose exact length exceeds ``limit``, its ``(source, target)`` tokens per assistant turn.
    ``method`` is ``"tokenizer"`` or ``"estimate"``; ``source`` says which tokenizer or how the
    estimate was made.
    """

    lengths: np.ndarray
    exact: np.ndarray
    pairs: dict[int, tuple[tuple[int, int], ...]]
    method: str
    source: str
    limit: int | None = None
    templated: int = 0
    template_failures: int = 0
    template_error: str = ""
    skipped: int = 0

    @property
    def is_estimate(self) -> bool:
        return self.method == "estimate"

    def over(self, max_length: int) -> np.ndarray:
        """Row positions longer than ``max_length`` (which must not be below ``limit``)."""
        if self.limit is not None and max_length < self.limit:
            raise ValueError(f"lengths were computed with limit {self.limit}; cannot test {max_length}")
        return np.flatnonzero(self.exact & (self.lengths > max_length))


def token_lengths(roles: Sequence[str], texts: Sequence[Sequence[str]], handle: TokenizerHandle | None, *,
                  limit: int | None = None, batch_size: int = 1024, skip: bool = True) -> TokenLengths:
    """Count every row's tokens (see :class:`TokenLengths`), in batches of ``batch_size``.

    With ``limit`` and a byte-level tokenizer (and ``skip``), rows whose upper bound is within
    ``limit`` are not tokenised. Without a tokenizer, the counts are estimates.
    """
    n = len(roles)
    lengths = np.zeros(n, dtype=np.int64)
    exact = np.ones(n, dtype=bool)
    pairs: dict[int, tuple[tuple[int, int], ...]] = {}
    if handle is None:
        for i in range(n):
            turns = estimate_turns(texts[i])
            lengths[i] = sum(turns)
            if limit is not None and lengths[i] > limit:
                pairs[i] = _pairs_from_turns(roles[i], turns)
        return TokenLengths(lengths, exact, pairs, "estimate", ESTIMATE_METHOD, limit)
    tok = handle.tokenizer
    templated = failures = skipped = 0
    first_error = ""
    can_skip = skip and limit is not None and handle.byte_level.byte_level
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        rendered, mask, err = render_many(handle, roles[start:stop], texts[start:stop])
        first_error = first_error or err
        templated += int(mask.sum())
        failures += int((~mask).sum()) if handle.chat_template else 0
        todo = np.arange(stop - start)
        if can_skip:
            assert limit is not None
            bounds = np.fromiter((upper_bound(handle, s, not m) or 0 for s, m in zip(rendered, mask)),
                                 dtype=np.int64, count=stop - start)
            fits = bounds <= limit
            lengths[start:stop][fits] = bounds[fits]
            exact[start:stop][fits] = False
            skipped += int(fits.sum())
            todo = np.flatnonzero(~fits)
        for special in (False, True):
            sel = todo[mask[todo] != special]  # templated rows: no extra special tokens
            if len(sel):
                counts = count_tokens(tok, [rendered[j] for j in sel], add_special_tokens=special,
                                      batch_size=batch_size)
                lengths[start + sel] = counts
        if limit is not None:
            long_rows = [int(j) for j in todo if lengths[start + int(j)] > limit]
            found = turn_pairs_many(handle, [(roles[start + j], texts[start + j], rendered[j],
                                              int(lengths[start + j])) for j in long_rows])
            pairs.update({start + j: p for j, p in zip(long_rows, found)})
    return TokenLengths(lengths, exact, pairs, "tokenizer", handle.describe(), limit, templated, failures,
                        first_error, skipped)


# ---------------------------------------------------------------------------------------------
# Truncation, per framework
# ---------------------------------------------------------------------------------------------


def infer_seqlen(source_len: int, target_len: int, cutoff_len: int) -> tuple[int, int]:
    """LLaMA-Factory's split of the budget between one turn's source and target
    (``data/processor/processor_utils.py::infer_seqlen``)."""
    if target_len * 2 < cutoff_len:  # only the source is cut
        max_target_len = cutoff_len
    elif source_len * 2 < cutoff_len:  # the target is cut
        max_target_len = cutoff_len - source_len
    else:  # both are cut, in proportion
        max_target_len = int(cutoff_len * (target_len / (source_len + target_len)))
    new_target_len = min(max_target_len, target_len)
    max_source_len = max(cutoff_len - new_target_len, 0)
    new_source_len = min(max_source_len, source_len)
    return new_source_len, new_target_len


@dataclass(frozen=True)
class Truncated:
    """What the trainer does with one over-long row.

    ``action``: ``dropped`` (the row is removed), ``truncated`` (tokens are cut), ``raises``
    (training stops), ``split`` (packed across sequences: nothing is cut). ``lost``: tokens the
    model never sees; ``response_lost``: how many of them are response (assistant) tokens, of
    ``response_total``; None where training stops instead.
    """

    action: str
    kept: int
    lost: int
    response_lost: int | None
    response_total: int


def apply_truncation(pairs: Sequence[tuple[int, int]], max_length: int, truncation: str, *,
                     mask_history: bool = False) -> Truncated:
    """Apply a framework's rule (a :class:`~ftlint.training.plan.Truncation` value) to a row given
    as ``(source, target)`` token pairs; unknown rules are treated as keeping the start."""
    rule = getattr(truncation, "value", truncation)
    total = sum(s + t for s, t in pairs)
    response = sum(t for _, t in pairs)
    if total <= max_length:
        return Truncated("kept", total, 0, 0, response)
    if rule == "drop":
        return Truncated("dropped", 0, total, response, response)
    if rule == "raise":
        return Truncated("raises", 0, 0, None, response)
    if rule == "split":
        budget_used = 0
        kept_target = 0
        order = list(pairs)[::-1] if mask_history else list(pairs)
        for s, t in order:
            if budget_used >= max_length:
                break
            ns, nt = infer_seqlen(s, t, max_length - budget_used)
            budget_used += ns + nt
            kept_target += nt
        return Truncated("truncated", budget_used, total - budget_used, response - kept_target, response)
    if rule == "packed_split":
        return Truncated("split", total, 0, 0, response)
    keep_end = rule == "keep_end"
    lo, hi = (total - max_length, total) if keep_end else (0, max_length)
    pos = kept_target = 0
    for s, t in pairs:
        a, b = pos + s, pos + s + t
        kept_target += max(0, min(b, hi) - max(a, lo))
        pos = b
    return Truncated("truncated", max_length, total - max_length, response - kept_target, response)


__all__ = [
    "ESTIMATE_METHOD",
    "ByteLevelInfo",
    "TokenLengths",
    "TokenizerHandle",
    "TokenizerLoad",
    "Truncated",
    "apply_truncation",
    "byte_level_info",
    "count_tokens",
    "estimate_turns",
    "find_tokenizer_dir",
    "has_generation_markers",
    "infer_seqlen",
    "load_tokenizer",
    "messages_of",
    "plan_tokenizer_name",
    "render",
    "render_many",
    "render_plain",
    "template_from_plan",
    "token_lengths",
    "tokenizer_for_plan",
    "turn_pairs",
    "turn_pairs_many",
    "upper_bound",
]


def plan_tokenizer(ctx: Context, name: str | None = None) -> TokenizerLoad:
    """The tokenizer of the training config's base model (or of ``name``, a local directory or
    a hub id in the local cache), loaded offline with the config's chat template (``handle`` None
    plus ``reason`` when it cannot be)."""
    return tokenizer_for_plan(ctx.plan, ctx.settings.root, name)


def split_token_lengths(ctx: Context, split: str, tokenizer: TokenizerHandle | None = None,
                        limit: int | None = None) -> TokenLengths:
    """Token counts of every row of ``split`` rendered as the trainer sees it (:func:`token_lengths`),
    with ``tokenizer`` (None: an estimate). With ``limit``, rows that provably fit are not
    tokenised. Cached on disk, keyed by the tokenizer's identity (path + hash of its files + chat
    template)."""

    ds = ctx.dataset(split)
    identity = tokenizer.identity if tokenizer is not None else "estimate"
    return ctx.stored("token_lengths", split, {"tokenizer": identity, "limit": limit},
                      lambda: token_lengths(ds.roles, ds.texts, tokenizer, limit=limit),
                      token_lengths_schema())


@functools.cache
def token_lengths_schema() -> Spec:
    """The declared on-disk schema of :func:`split_token_lengths` (``ftlint.cache``)."""
    return Spec(Rec(TokenLengths, lengths=Arr(np.int64, "n"), exact=Arr(np.bool_, "n"),
                    pairs=Map(Int(0, "n"), Seq(Tup(Int(), Int()), tuple=True)), method=Str, source=Str,
                    limit=Opt(Int()), templated=Int(0), template_failures=Int(0), template_error=Str, skipped=Int(0)))
