"""The Context: the inputs of a run and the memo of the artifacts rules share.

A rule never reads files or computes an expensive feature itself: it asks for an artifact, a typed
function of its feature module (``features.rows.row_hashes``, ``features.lsh.near_duplicates``,
``features.embeddings.embeddings``...), through ``ctx.artifact(fn, *key)``: computed once per run and
key. Those worth keeping between runs also go through :meth:`Context.stored`, the content-hashed
on-disk cache under ``.ftlint_cache/`` (keyed by the artifact's name, all its parameters and the
content hash of its input; read back only through its declared schema).

The Context is complete when it is built: every input (datasets per split, training plan,
reference and contamination sets, runs, notices) is given to the constructor, and nothing is
written into it afterwards; the engine's own state (suppressions, outcomes) never passes through it.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import xxhash

from ftlint.cache import MISS, Cache, Spec, cache_key
from ftlint.data.dataset import Dataset
from ftlint.settings import Settings

if TYPE_CHECKING:
    from ftlint.outputs import Protected
    from ftlint.runs import Run
    from ftlint.sources import Unavailable
    from ftlint.training.plan import TrainingPlan

T = TypeVar("T")

#: the held-out splits, in report order after ``train``
SPLITS = ("train", "validation", "test")


_SIGNATURES: dict[Callable[..., Any], inspect.Signature] = {}


def _key_part(value: Any) -> Hashable:
    """A memo key part: the value itself when hashable; else its ``identity`` (a tokenizer handle:
    path, hash of its files and chat template; a lexicon's ``identity()``: its content); else the
    object itself, by id (it lives as long as the run)."""
    try:
        hash(value)
        return value  # type: ignore[no-any-return]
    except TypeError:
        identity = getattr(value, "identity", None)
        if callable(identity):
            identity = identity()
        return ("identity", identity) if isinstance(identity, (str, tuple)) else ("id", id(value))


class Context:
    """The inputs of one run (read-only once built) and the memo of its artifacts."""

    def __init__(
        self,
        datasets: dict[str, Dataset],
        settings: Settings,
        cache: Cache | None = None,
        plan: TrainingPlan | None = None,
        reference: Dataset | None = None,
        *,
        contamination: Sequence[Dataset] = (),
        unavailable: Sequence[Unavailable] = (),
        runs: Sequence[Run] = (),
        notices: Sequence[str] = (),
        skipped_inputs: Sequence[tuple[str, str]] = (),
        progress: bool = False,
        protected: Protected | None = None,
    ) -> None:
        self.datasets = datasets
        self.settings = settings
        self.cache = cache or Cache(None, enabled=False)
        self.plan = plan
        #: the reference sample (``--reference``, FT401-FT404): not a split, but has the same artifacts
        self.reference = reference
        #: benchmark / held-out files that must not leak into training (``--contamination``, FT204)
        self.contamination: tuple[Dataset, ...] = tuple(contamination)
        #: datasets the training config names that live elsewhere and were not read (FT013)
        self.unavailable: tuple[Unavailable, ...] = tuple(unavailable)
        #: finished training runs read from their logs (``--run``), for FT8xx
        self.runs: tuple[Run, ...] = tuple(runs)
        #: ftlint's own notices for the FT9xx pass (e.g. a plugin pack that failed to load)
        self.notices: tuple[str, ...] = tuple(notices)
        #: files of the given directories that look like data but were not read, with why
        #: (``data.load.skipped_files``: a compressed dataset, a symlink loop): FT001 reports them
        self.skipped_inputs: tuple[tuple[str, str], ...] = tuple(skipped_inputs)
        #: draw progress bars on stderr for long steps (the CLI: a TTY and not --quiet)
        self.progress = progress
        #: every file the run reads (``ftlint.outputs.Protected``): never an output
        self.protected = protected
        #: seconds spent per artifact (``name[split]``), for the report's timings
        self.timings: dict[str, float] = {}
        self._memo: dict[tuple[Hashable, ...], Any] = {}
        self._hashes: dict[str, str] = {}
        self._relpaths: dict[tuple[str, str], str] = {}

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def splits(self) -> list[str]:
        """Split names that were given (in train, validation, test order)."""
        return [s for s in SPLITS if s in self.datasets]

    def relevance_sets(self) -> list[str]:
        """The sets embedded into one space (FT401-FT404): the splits, then ``"reference"`` when
        one is given."""
        return [*self.splits, *(["reference"] if self.reference is not None else [])]

    def dataset(self, split: str) -> Dataset:
        """A split's Dataset; ``"reference"`` is the reference sample (``--reference``), which is
        not a split (``splits`` never lists it) but has the same artifacts (hashes, rows, embeddings)."""
        if split == "reference" and self.reference is not None:
            return self.reference
        return self.datasets[split]

    def split_hash(self, split: str) -> str:
        """The content hash of a split's files (what its disk-cached artifacts are keyed by)."""
        if split not in self._hashes:
            ds = self.dataset(split)
            self._hashes[split] = xxhash.xxh3_64_hexdigest("|".join(f.content_hash for f in ds.files).encode())
        return self._hashes[split]

    def relpath(self, ds: Dataset, file_id: int) -> str:
        """The project-relative path used in fingerprints (worked out once per file: a finding can
        list tens of thousands of rows)."""
        f = ds.files[file_id]
        key = (f.abspath, str(self.settings.root))
        done = self._relpaths.get(key)
        if done is None:
            try:
                done = Path(os.path.relpath(f.abspath, self.settings.root)).as_posix()
            except ValueError:
                done = f.path
            self._relpaths[key] = done
        return done

    # -- the memo -------------------------------------------------------------------------------
    def _key(self, fn: Callable[..., Any], key: tuple[Any, ...], options: dict[str, Any]) -> tuple[Hashable, ...]:
        """The memo key of ``fn(self, *key, **options)``: its arguments bound by name with the
        defaults filled in, so ``f(ctx, "train")`` and ``f(ctx, split="train", field="full")`` are
        one artifact."""
        sig = _SIGNATURES.get(fn)
        if sig is None:
            sig = _SIGNATURES[fn] = inspect.signature(fn)
        bound = sig.bind(self, *key, **options)
        bound.apply_defaults()
        args = list(bound.arguments.items())[1:]
        return (fn, *((k, _key_part(v)) for k, v in args))

    def artifact(self, fn: Callable[..., T], *key: Any, **options: Any) -> T:
        """``fn(self, *key, **options)``, computed once per run and arguments: the artifact ``fn``
        of a features module (e.g. ``ctx.artifact(text_hashes, "train")``). Its first argument, when
        it names a set, labels its time in the report's timings."""
        memo_key = self._key(fn, key, options)
        if memo_key in self._memo:
            return self._memo[memo_key]  # type: ignore[no-any-return]
        t0 = time.perf_counter()
        value = fn(self, *key, **options)
        name = getattr(fn, "__name__", "artifact")
        first = memo_key[1][1] if len(memo_key) > 1 else None  # type: ignore[index]
        label = f"{name}[{first}]" if isinstance(first, str) and first in (*SPLITS, "reference") else name
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - t0
        self._memo[memo_key] = value
        return value

    def has_artifact(self, fn: Callable[..., Any], *key: Any, **options: Any) -> bool:
        """Whether ``ctx.artifact(fn, *key, **options)`` was computed already."""
        return self._key(fn, key, options) in self._memo

    def remember(self, value: T, fn: Callable[..., T], *key: Any, **options: Any) -> T:
        """Record ``value`` as ``ctx.artifact(fn, *key, **options)`` unless it is known already (one
        pass computed it beside another artifact: the MinHash pass hashes the rows it normalises)."""
        memo_key = self._key(fn, key, options)
        self._memo.setdefault(memo_key, value)
        return self._memo[memo_key]  # type: ignore[no-any-return]

    def computed(self, fn: Callable[..., T]) -> list[tuple[dict[str, Any], T]]:
        """The artifacts of ``fn`` computed so far, as ``(arguments by name, value)`` in the order
        they were (the report-wide charts reuse what the rules computed, and compute nothing)."""
        return [(dict(k[1:]), v) for k, v in list(self._memo.items()) if k[0] is fn]  # type: ignore[arg-type]

    def stored(self, name: str, split: str | None, params: dict[str, Any], compute: Callable[[], T],
               spec: Spec) -> T:
        """``compute()`` through the on-disk cache (``--no-cache`` off): keyed by ``name``, the
        content hash of ``split`` and ``params``, read back only through the declared schema
        ``spec`` (:class:`ftlint.cache.Spec`): an entry that does not fit it is a miss, recomputed
        and rewritten. Call it from within an artifact function (``ctx.artifact`` keeps the value)."""
        if not self.cache.enabled:
            return compute()
        content = self.split_hash(split) if split else ""
        dkey = cache_key("artifact", name, content, sorted(params.items()))
        dims = {"n": len(self.dataset(split))} if split else {}
        if spec.dims is not None:
            dims.update(spec.dims(self, split, params))
        check = spec.check
        value = self.cache.get(dkey, spec.schema, name, dims,
                               None if check is None else (lambda v: check(v, self, split)))
        if value is MISS:
            value = compute()
            self.cache.put(dkey, value, spec.schema, name)
        return value  # type: ignore[no-any-return]


