"""The Context: the inputs of a run and lazily computed, memoised artifacts shared by all rules.

A rule never reads files or computes an expensive feature itself: it asks the Context. Each
artifact is keyed by its name, all its parameters and the content hash of its input, computed
once per run, and (where worth it) cached on disk under ``.ftlint_cache/``.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np
import xxhash

from ftlint import cache_schemas
from ftlint.cache import MISS, Arr, Cache, Rec, Spec, cache_key
from ftlint.data.dataset import Dataset, _full_text
from ftlint.features.text import normalize
from ftlint.findings import row_fingerprint, snippet
from ftlint.model import Row
from ftlint.settings import Settings

if TYPE_CHECKING:
    from ftlint.training.plan import TrainingPlan

T = TypeVar("T")


@dataclass(frozen=True)
class LabelInfo:
    """Labels of a split: one value per row (None where the row has none) and where they come from."""

    values: list[str | None]
    source: str  # e.g. "column 'label'" or "generative: the responses take 4 distinct values"
    generative: bool = False

    def counts(self) -> Counter[str]:
        return Counter(v for v in self.values if v is not None)


class MinHashBands(NamedTuple):
    """A split's MinHash signatures reduced to their LSH band keys (``ctx.minhash``).

    The 128-value signatures are computed in chunks and hashed at once to one 64-bit key per
    (row, band), so a row keeps 8 bytes per band (128 B at 16 bands) instead of a 512-byte
    signature: candidates are verified with the exact Jaccard similarity of the texts, so the
    signature's own estimate is never needed.
    """

    keys: np.ndarray  # (n, bands) uint64
    empty: np.ndarray  # (n,) bool: rows without shingles (never candidates)
    num_perm: int
    ngram: int
    char_ngram: int
    bands: int
    rows: int


class CrossMatches(NamedTuple):
    """Rows of one split that duplicate a row of another (``ctx.cross_matches``): for each matched
    row ``b_rows[k]`` of the queried split, its best match ``a_rows[k]`` in the other split."""

    b_rows: np.ndarray  # int64, ascending
    a_rows: np.ndarray  # int64
    similarity: np.ndarray  # float64: exact Jaccard of the shingle sets (1.0 for exact copies)
    exact: np.ndarray  # bool: the same normalised text


#: the declared schema of ``cross_matches`` on disk: ``a_rows`` are rows of the other split ("m")
_CROSS_MATCHES = Spec(Rec(CrossMatches, b_rows=Arr(np.int64, "k", lo=0, hi="n"),
                          a_rows=Arr(np.int64, "k", lo=0, hi="m"), similarity=Arr(np.float64, "k"),
                          exact=Arr(np.bool_, "k")),
                      lambda ctx, split, params: {"m": len(ctx.dataset(params["against"]))})


class _Lookup(Sequence[str]):
    """A read-only sequence of ``n`` texts of which only some (a dict) are materialised."""

    def __init__(self, texts: dict[int, str], n: int) -> None:
        self._texts = texts
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        return self._texts[int(i)]


#: rows normalised together (one blob per batch: ~1,000 rows measured fastest)
NORMALIZE_BATCH = 1024
#: rows whose signatures are computed together (>= minhash.PARALLEL_MIN_ROWS, so both cores work)
MINHASH_CHUNK = 65536


def input_text(ds: Dataset, i: int) -> str:
    """What a row's label is about: the text of a classification row; the prompt (every turn
    before the final assistant turn) of chat, instruction and preference data; prompt and
    completion of a KTO row."""
    if ds.kind_of(i) == "kto":
        return ds.prompt(i) + "\n" + ds.response(i)
    return ds.prompt(i)


def contamination_text(ds: Dataset, i: int) -> str:
    """The text of a row that n-gram contamination looks at: every turn and the rejected side,
    without role markers or label."""
    parts = list(ds.texts[i])
    rejected = ds.rejected[i] if ds.rejected else None
    if rejected is not None:
        parts.append(rejected)
    return "\n".join(parts)


#: prompt-side segments shared by at least this share of the rows (of at least COMMON_MIN_ROWS) are
#: left out of near-duplicate and leakage comparisons
COMMON_SHARE = 0.5
COMMON_MIN_ROWS = 20
COMMON_SAMPLE = 20_000
VARYING = "varying"
PROMPT_ROLES = frozenset("su")  # system and user turns; replies and tool calls are never stripped


def _paragraphs(text: str) -> list[str]:
    return [p for p in (x.strip() for x in text.split("\n\n")) if p]


def _segment_hash(paragraph: str) -> int:
    return xxhash.xxh3_64_intdigest(normalize(paragraph).encode("utf-8", "surrogatepass"))


def varying_text(ds: Dataset, i: int, common: frozenset[int]) -> str:
    """The row's text without the prompt-side paragraphs in ``common`` (shared by most rows), role
    markers kept like :meth:`Dataset.full_text`; replies, tool results and the rejected side stay whole."""
    if not common:
        return ds.full_text(i)
    roles, texts = ds.roles[i], ds.texts[i]
    kept: list[str] = []
    for role, text in zip(roles, texts):
        if role in PROMPT_ROLES:
            text = "\n\n".join(p for p in _paragraphs(text) if _segment_hash(p) not in common)
        kept.append(text)
    return _full_text(roles, tuple(kept), ds.rejected[i] if ds.rejected else None, ds.labels[i] if ds.labels else None)


def _workers() -> int:
    """Processes for MinHash: 2 where they pay; 1 once a threads-heavy library is loaded (it forks)."""
    if any(m in sys.modules for m in ("torch", "tensorflow", "jax")):
        return 1
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class GenerativeLabelOptions:
    max_distinct: int = 20
    max_words: int = 5
    min_coverage: float = 0.95
    min_rows: int = 20


class Context:
    def __init__(
        self,
        datasets: dict[str, Dataset],
        settings: Settings,
        cache: Cache | None = None,
        plan: TrainingPlan | None = None,
        reference: Dataset | None = None,
    ) -> None:
        self.datasets = datasets
        self.settings = settings
        self.cache = cache or Cache(None, enabled=False)
        self.plan = plan
        self.reference = reference
        self.timings: dict[str, float] = {}
        #: ftlint's own notices for FT9xx rules (e.g. a plugin pack that failed to load)
        self.notices: list[str] = []
        #: files of the given directories that look like data but were not read, with why
        #: (``data.load.skipped_files``: a compressed dataset, a symlink loop): FT001 reports them
        self.skipped_inputs: list[tuple[str, str]] = []
        #: the run's suppressions (baseline, noqa, per-file-ignores), set by the engine
        self.suppressions: Any = None
        #: benchmark / held-out files that must not leak into training (``--contamination``, FT204)
        self.contamination: list[Dataset] = []
        #: datasets the training config names that live elsewhere and were not read (FT013;
        #: ``ftlint.sources.Unavailable``)
        self.unavailable: list[Any] = []
        #: finished training runs read from their logs (``--run``; ``ftlint.runs.Run``), for FT8xx
        self.runs: list[Any] = []
        #: draw progress bars on stderr for long steps (set by the CLI: a TTY and not --quiet)
        self.progress = False
        #: every file the run reads (``ftlint.outputs.Protected``, set by ``api.run``): never an output
        self.protected: Any = None
        self._memo: dict[tuple[Any, ...], Any] = {}

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def splits(self) -> list[str]:
        """Split names that were given (in train, validation, test order)."""
        return [s for s in ("train", "validation", "test") if s in self.datasets]

    def dataset(self, split: str) -> Dataset:
        """A split's Dataset; ``"reference"`` is the reference sample (``--reference``), which is
        not a split (``splits`` never lists it) but has the same artifacts (hashes, rows, embeddings)."""
        if split == "reference" and self.reference is not None:
            return self.reference
        return self.datasets[split]

    def split_hash(self, split: str) -> str:
        ds = self.dataset(split)
        return xxhash.xxh3_64_hexdigest("|".join(f.content_hash for f in ds.files).encode())

    def relpath(self, ds: Dataset, file_id: int) -> str:
        """The project-relative path used in fingerprints."""
        f = ds.files[file_id]
        try:
            return Path(os.path.relpath(f.abspath, self.settings.root)).as_posix()
        except ValueError:
            return f.path

    # -- artifact machinery ---------------------------------------------------------------------
    def artifact(self, name: str, split: str | None, params: dict[str, Any], compute: Callable[[], T],
                 disk: Spec | bool | None = None) -> T:
        """Memoise ``compute()`` under (name, split content, params); with ``disk`` (the artifact's
        declared schema, :class:`ftlint.cache.Spec`) also in the on-disk cache, read back only
        through that schema: an entry that does not fit it is a miss, recomputed and rewritten."""
        content = self.split_hash(split) if split else ""
        key = (name, split, content, tuple(sorted(params.items())))
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        t0 = time.perf_counter()
        spec = disk if isinstance(disk, Spec) else None
        if disk and spec is None:  # e.g. disk=True: no schema declared, so kept in memory only
            self.cache.unencodable.append(f"{name}: no schema declared")
        if spec is not None and self.cache.enabled:
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
        else:
            value = compute()
        label = f"{name}[{split}]" if split else name
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - t0
        self._memo[key] = value
        return value

    # -- artifacts ------------------------------------------------------------------------------
    def _text_getter(self, ds: Dataset, field: str) -> Callable[[int], str]:
        if field == "full":
            return ds.full_text
        if field == "input":
            return lambda i: input_text(ds, i)
        if field.startswith(VARYING + ":"):
            common = self.common_segments()
            return lambda i: varying_text(ds, i, common)
        raise ValueError(f"unknown text field {field!r} (expected 'full', 'input' or 'varying:...')")

    def common_segments(self) -> frozenset[int]:
        """Hashes of the prompt-side paragraphs (system and user turns, split at blank lines, normalised)
        that appear verbatim in at least half of the rows of all splits together (>= 20 rows): a shared
        system prompt, tool schema or fixed instruction. Near-duplicate and leakage checks compare rows
        without them (:func:`varying_text`). Counted on up to 20,000 evenly spaced rows per split."""
        def compute() -> frozenset[int]:
            counts: Counter[int] = Counter()
            total = 0
            for split in self.splits:
                ds = self.dataset(split)
                n = len(ds)
                idx = range(n) if n <= COMMON_SAMPLE else np.linspace(0, n - 1, COMMON_SAMPLE).astype(np.int64).tolist()
                for i in idx:
                    counts.update({_segment_hash(p) for role, text in zip(ds.roles[i], ds.texts[i])
                                   if role in PROMPT_ROLES for p in _paragraphs(text)})
                    total += 1
            if total < COMMON_MIN_ROWS:
                return frozenset()
            return frozenset(h for h, c in counts.items() if c >= COMMON_SHARE * total)

        key = "|".join(f"{s}:{self.split_hash(s)}" for s in self.splits)
        return self.artifact("common_segments", None, {"splits": key}, compute)

    def duplicate_field(self) -> str:
        """The text FT202/FT203 compare: the whole example (``"full"``), or, when the splits share
        prompt segments (:meth:`common_segments`), the example without them (``"varying:<digest>"``:
        the digest names the set, so cached artifacts follow it)."""
        common = self.common_segments()
        if not common:
            return "full"
        digest = xxhash.xxh3_64_hexdigest(np.array(sorted(common), dtype=np.uint64).tobytes())
        return f"{VARYING}:{digest}"

    def duplicate_text(self, split: str, i: int) -> str | None:
        """The text of row ``i`` as FT202/FT203 compared it, for its snippet (None: the whole example)."""
        field = self.duplicate_field()
        if field == "full":
            return None
        return varying_text(self.dataset(split), i, self.common_segments())

    def normalized_batches(self, split: str, field: str = "full", rows: Sequence[int] | None = None,
                           batch: int = NORMALIZE_BATCH) -> Iterator[tuple[int, list[bytes]]]:
        """The normalised UTF-8 text of the split's rows, ``batch`` rows at a time, as ``(position of
        the batch's first row, texts)``. ``field`` "full" is the whole example (``Dataset.full_text``),
        "input" what its label is about (:func:`input_text`); with ``rows``, only those rows
        (positions then index ``rows``). Nothing is kept: the split's text is never held twice."""
        from ftlint.features.ngrams import canonical_batch

        ds = self.dataset(split)
        get = self._text_getter(ds, field)
        idx: Sequence[int] = range(len(ds)) if rows is None else rows
        bad = self.unreadable(split)
        bad_set = set(bad.tolist()) if rows is not None and bad.size else set()
        for lo in range(0, len(idx), batch):
            if rows is None and field == "full":  # a range of rows: the columns are read as ranges
                texts = canonical_batch(ds.full_texts(lo, lo + batch))
            else:
                texts = canonical_batch([get(int(i)) for i in idx[lo:lo + batch]])
            if bad.size:  # an unreadable row's partial text is no text at all (see :meth:`unreadable`)
                if rows is None:
                    a, b = np.searchsorted(bad, [lo, lo + len(texts)])
                    for i in bad[a:b].tolist():
                        texts[i - lo] = b""
                elif bad_set:
                    for k, i in enumerate(idx[lo:lo + batch]):
                        if int(i) in bad_set:
                            texts[k] = b""
            yield lo, texts

    def unreadable(self, split: str) -> np.ndarray:
        """Positions (int64, ascending) of the rows whose text could not be read
        (``Dataset.unreadable_rows``: a record of the wrong shape whose turns came out empty). They
        are in no duplicate, leakage or label-conflict key: their normalised text is empty (no
        MinHash band) and their row hash is unique to the row (:meth:`_unreadable_hashes`), so two
        different broken records are never "copies" of each other."""
        return self.artifact("unreadable_rows", split, {},
                             lambda: np.asarray(self.dataset(split).unreadable_rows(), dtype=np.int64))

    def _unreadable_hashes(self, split: str, bad: np.ndarray) -> np.ndarray:
        ds = self.dataset(split)
        h = xxhash.xxh3_64_intdigest
        return np.fromiter((h(f"\x00ftlint unreadable row\x00{ds.path(i)}\x00{int(ds.index[i])}".encode(
            "utf-8", "surrogatepass")) for i in bad.tolist()), dtype=np.uint64, count=bad.size)

    def normalized_text(self, split: str) -> list[str]:
        """NFKC, case-folded, whitespace-collapsed full text of every row (role markers kept).

        Computed on each call and not kept (a second copy of all the text would be the largest
        thing a run holds): artifacts stream :meth:`normalized_batches` instead."""
        return [t.decode("utf-8", "surrogatepass") for _, b in self.normalized_batches(split) for t in b]

    def _hashes(self, split: str, field: str) -> np.ndarray:
        h = xxhash.xxh3_64_intdigest
        out = np.empty(len(self.dataset(split)), dtype=np.uint64)
        for lo, texts in self.normalized_batches(split, field):
            out[lo:lo + len(texts)] = np.fromiter(map(h, texts), dtype=np.uint64, count=len(texts))
        bad = self.unreadable(split)
        if bad.size:
            out[bad] = self._unreadable_hashes(split, bad)
        return out

    def text_hashes(self, split: str) -> np.ndarray:
        """64-bit hash of each row's normalised full text (exact-duplicate key, fingerprint content)."""
        return self.artifact("text_hashes", split, {}, lambda: self._hashes(split, "full"),
                             disk=cache_schemas.row_hashes())

    def input_hashes(self, split: str) -> np.ndarray:
        """64-bit hash of each row's normalised :func:`input_text` (the key of conflicting labels)."""
        return self.artifact("input_hashes", split, {}, lambda: self._hashes(split, "input"),
                             disk=cache_schemas.row_hashes())

    def _field_hashes(self, split: str, field: str) -> np.ndarray:
        if field == "full":
            return self.text_hashes(split)
        if field == "input":
            return self.input_hashes(split)
        return self.artifact("field_hashes", split, {"field": field}, lambda: self._hashes(split, field),
                             disk=cache_schemas.row_hashes())

    def _memoised(self, name: str, split: str, params: dict[str, Any]) -> bool:
        return (name, split, self.split_hash(split), tuple(sorted(params.items()))) in self._memo

    def minhash(self, split: str, num_perm: int = 128, ngram: int = 5, char_ngram: int = 5, field: str = "full",
                bands: int = 16, rows: int = 8) -> MinHashBands:
        """MinHash of every row's normalised text (``field`` as in :meth:`normalized_batches`) as LSH
        band keys (:class:`MinHashBands`): word ``ngram``-gram shingles (character ``char_ngram``-grams
        for texts of fewer words), datasketch-compatible signatures (``features.minhash``, seed 1),
        ``bands`` x ``rows``. Computed once per split and field, shared by FT202 and FT203 (FT304 on
        inputs), in chunks of 65,536 rows over 2 processes; the same pass computes the row hashes of
        the field when nothing asked for them yet (one normalisation pass, not two). With the cache
        on, the band keys of the split's rows are also persisted per row (keyed by the row's text
        hash), so a re-run after an edit (pre-commit) hashes only the rows it has not seen."""
        from ftlint.features.lsh import band_keys
        from ftlint.features.minhash import EMPTY_HASH, signatures

        ds = self.datasets[split]
        params = {"num_perm": num_perm, "ngram": ngram, "char_ngram": char_ngram, "field": field,
                  "bands": bands, "rows": rows}
        hash_name, hash_params = (("text_hashes", {}) if field == "full" else ("input_hashes", {}) if field == "input"
                                  else ("field_hashes", {"field": field}))

        def compute() -> MinHashBands:
            if self.cache.enabled:
                return incremental()
            return fresh()

        def incremental() -> MinHashBands:
            # Rows whose normalised text was seen by an earlier run of this split (a pre-commit re-run
            # after an edit) take their band keys from the persisted per-row index; only the others
            # are hashed. The index holds the rows of the latest content of the split.
            n = len(ds)
            hashes = self._field_hashes(split, field)
            ikey = cache_key("minhash_rows", 1, split, sorted(params.items()))
            schema = cache_schemas.minhash_rows(bands)
            old = self.cache.get(ikey, schema, "minhash_rows")
            keys = np.zeros((n, bands), dtype=np.uint64)
            empty = np.zeros(n, dtype=bool)
            known = np.zeros(n, dtype=bool)
            if old is not MISS and len(old[0]):
                oh, ok, oe = old
                pos = np.minimum(np.searchsorted(oh, hashes), len(oh) - 1)
                known = oh[pos] == hashes
                keys[known], empty[known] = ok[pos[known]], oe[pos[known]]
            missing = np.flatnonzero(~known)
            if missing.size:
                part = fresh(missing.tolist())
                keys[missing], empty[missing] = part.keys, part.empty
            if missing.size or old is MISS:
                uh, first = np.unique(hashes, return_index=True)
                self.cache.put(ikey, (uh, keys[first], empty[first]), schema, "minhash_rows")
            return MinHashBands(keys, empty, num_perm, ngram, char_ngram, bands, rows)

        def fresh(subset: list[int] | None = None) -> MinHashBands:
            n = len(ds) if subset is None else len(subset)
            keys = np.zeros((n, bands), dtype=np.uint64)
            empty = np.zeros(n, dtype=bool)
            hashes = (None if subset is not None or self._memoised(hash_name, split, hash_params)
                      else np.empty(n, dtype=np.uint64))
            h = xxhash.xxh3_64_intdigest
            workers = _workers()
            size = -(-n // max(1, n // MINHASH_CHUNK))  # equal chunks of at least MINHASH_CHUNK rows
            chunk: list[str] = []
            start = 0

            def flush() -> None:
                nonlocal chunk, start
                if chunk:
                    sigs = signatures(chunk, num_perm, ngram, char_ngram=char_ngram, workers=workers)
                    stop = start + len(chunk)
                    keys[start:stop] = band_keys(sigs, bands, rows)
                    empty[start:stop] = np.all(sigs == np.uint32(EMPTY_HASH), axis=1)
                    start, chunk = stop, []

            for lo, texts in self.normalized_batches(split, field, rows=subset):
                if hashes is not None:
                    hashes[lo:lo + len(texts)] = np.fromiter(map(h, texts), dtype=np.uint64, count=len(texts))
                chunk.extend(t.decode("utf-8", "surrogatepass") for t in texts)
                if len(chunk) >= size:
                    flush()
            flush()
            if hashes is not None:
                bad = self.unreadable(split)
                if bad.size:
                    hashes[bad] = self._unreadable_hashes(split, bad)
                self.artifact(hash_name, split, hash_params, lambda: hashes, disk=cache_schemas.row_hashes())
            return MinHashBands(keys, empty, num_perm, ngram, char_ngram, bands, rows)

        return self.artifact("minhash", split, params, compute)

    def _texts_of_rows(self, split: str, field: str, rows: np.ndarray) -> _Lookup:
        wanted = np.unique(rows).tolist()
        out: dict[int, str] = {}
        for lo, batch in self.normalized_batches(split, field, rows=wanted):
            for k, t in enumerate(batch):
                out[wanted[lo + k]] = t.decode("utf-8", "surrogatepass")
        return _Lookup(out, len(self.datasets[split]))

    def _verify(self, split: str, field: str, pairs: np.ndarray, threshold: float, ngram: int, char_ngram: int,
                other: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact Jaccard check of candidate pairs (rows of ``split``, or of ``split`` x ``other``): the
        pairs kept, sorted, and their similarity. Pairs of identical normalised text are 1.0 unread."""
        from ftlint.features.lsh import verify

        b_split = other or split
        same = self._field_hashes(split, field)[pairs[:, 0]] == self._field_hashes(b_split, field)[pairs[:, 1]]
        rest = pairs[~same]
        if other is None:
            ta = tb = self._texts_of_rows(split, field, rest)
        else:
            ta, tb = self._texts_of_rows(split, field, rest[:, 0]), self._texts_of_rows(b_split, field, rest[:, 1])
        kept = verify(rest, ta, threshold, texts_b=None if other is None else tb, ngram=ngram, char_ngram=char_ngram)
        all_pairs = np.concatenate([pairs[same], kept.pairs]).reshape(-1, 2)
        sims = np.concatenate([np.ones(int(same.sum())), kept.similarity])
        order = np.lexsort((all_pairs[:, 1], all_pairs[:, 0]))
        return all_pairs[order], sims[order]

    @staticmethod
    def _band_view(mb: MinHashBands, ids: np.ndarray) -> np.ndarray:
        """The band keys of rows ``ids`` as a uint32 array ``lsh`` bands with 2 columns per band
        (its band key of two halves of a 64-bit key is equal exactly when the keys are)."""
        return np.ascontiguousarray(mb.keys[ids]).view(np.uint32)

    def near_duplicates(self, split: str, threshold: float = 0.8, field: str = "full", ngram: int = 5,
                        char_ngram: int = 5, num_perm: int = 128) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(i, j)``, ``i < j``, of rows of ``split`` whose normalised texts (``field``) have a
        shingle-set Jaccard similarity >= ``threshold``, with those similarities: LSH candidates of
        :meth:`minhash` (bands x rows from ``lsh.lsh_params``: 16 x 8 at 0.8), verified exactly
        (``lsh.verify``). Exact copies are included (similarity 1.0). Cached on disk."""
        from ftlint.features.lsh import candidate_pairs_from_keys, lsh_params

        def compute() -> tuple[np.ndarray, np.ndarray]:
            bands, rows = lsh_params(threshold, num_perm)
            mb = self.minhash(split, num_perm, ngram, char_ngram, field, bands, rows)
            ids = np.flatnonzero(~mb.empty)
            cand = np.zeros((0, 2), dtype=np.int64)
            if ids.size > 1:  # the kept band keys as they are (a copy only without the empty rows)
                keys = mb.keys if ids.size == len(mb.keys) else mb.keys[ids]
                cand = candidate_pairs_from_keys(keys, ids, len(mb.keys)).reshape(-1, 2)
            return self._verify(split, field, cand, threshold, ngram, char_ngram)

        params = {"threshold": threshold, "field": field, "ngram": ngram, "char_ngram": char_ngram,
                  "num_perm": num_perm}
        return self.artifact("near_duplicates", split, params, compute, disk=cache_schemas.near_duplicates())

    def cross_matches(self, a: str, b: str, threshold: float = 0.8, field: str = "full", ngram: int = 5,
                      char_ngram: int = 5, num_perm: int = 128) -> CrossMatches:
        """Rows of split ``b`` that exactly (the same normalised text) or nearly (Jaccard >=
        ``threshold``) duplicate a row of split ``a``, each with its best match in ``a``: an exact
        copy (the first), else the most similar row (then the lowest). Near matches come from banding
        ``a`` and ``b`` together (``lsh.cross_candidate_pairs``) and exact verification. Cached on disk."""
        from ftlint.features.lsh import cross_candidate_pairs, lsh_params

        def compute() -> CrossMatches:
            ha, hb = self._field_hashes(a, field), self._field_hashes(b, field)
            nothing = np.uint64(xxhash.xxh3_64_intdigest(b""))
            order = np.argsort(ha, kind="stable")  # the first row of `a` with each hash
            sa = ha[order]
            exact = np.zeros(hb.size, dtype=bool)
            pos = np.zeros(hb.size, dtype=np.int64)
            if sa.size:
                pos = np.minimum(np.searchsorted(sa, hb), sa.size - 1)
                exact = (sa[pos] == hb) & (hb != nothing)
            ex_b = np.flatnonzero(exact)
            ex_a = order[pos[ex_b]]
            bands, rows = lsh_params(threshold, num_perm)
            ma = self.minhash(a, num_perm, ngram, char_ngram, field, bands, rows)
            mb = self.minhash(b, num_perm, ngram, char_ngram, field, bands, rows)
            ia, ib = np.flatnonzero(~ma.empty), np.flatnonzero(~mb.empty & ~exact)
            cand = np.zeros((0, 2), dtype=np.int64)
            if ia.size and ib.size:
                c = cross_candidate_pairs(self._band_view(ma, ia), self._band_view(mb, ib), bands, 2, skip_empty=False)
                cand = np.stack([ia[c[:, 0]], ib[c[:, 1]]], axis=1).reshape(-1, 2)
            pairs, sims = self._verify(a, field, cand, threshold, ngram, char_ngram, other=b)
            best = np.lexsort((pairs[:, 0], -sims, pairs[:, 1]))  # per b row: most similar, then lowest a
            pairs, sims = pairs[best], sims[best]
            first = np.ones(len(pairs), dtype=bool)
            first[1:] = pairs[1:, 1] != pairs[:-1, 1]
            b_rows = np.concatenate([ex_b, pairs[first, 1]]).astype(np.int64)
            a_rows = np.concatenate([ex_a, pairs[first, 0]]).astype(np.int64)
            sim = np.concatenate([np.ones(ex_b.size), sims[first]])
            is_exact = np.concatenate([np.ones(ex_b.size, dtype=bool), np.zeros(int(first.sum()), dtype=bool)])
            o = np.argsort(b_rows, kind="stable")
            return CrossMatches(b_rows[o], a_rows[o], sim[o], is_exact[o])

        params = {"against": a, "against_content": self.split_hash(a), "threshold": threshold, "field": field,
                  "ngram": ngram, "char_ngram": char_ngram, "num_perm": num_perm}
        return self.artifact("cross_matches", b, params, compute, disk=_CROSS_MATCHES)

    def contamination_index(self, n: int = 13) -> tuple[Any, list[tuple[int, int]]]:
        """Every ``n``-word window of the contamination files' rows (``--contamination``): a
        ``features.ngrams.NgramIndex`` of their texts (:func:`contamination_text`, ASCII punctuation
        as whitespace), and the ``(contamination file's dataset, row)`` of each indexed text."""
        from ftlint.features.ngrams import NgramIndex, canonical_batch

        def compute() -> tuple[Any, list[tuple[int, int]]]:
            sources: list[tuple[int, int]] = []

            def batches() -> Iterator[list[bytes]]:
                for d, ds in enumerate(self.contamination):
                    for lo in range(0, len(ds), NORMALIZE_BATCH):
                        hi = min(len(ds), lo + NORMALIZE_BATCH)
                        sources.extend((d, i) for i in range(lo, hi))
                        yield canonical_batch([contamination_text(ds, i) for i in range(lo, hi)], punctuation=True)

            return NgramIndex(n).build(batches()), sources

        files = tuple(f.content_hash for ds in self.contamination for f in ds.files)
        return self.artifact("contamination_index", None, {"n": n, "files": files}, compute)

    def labels(self, split: str, options: GenerativeLabelOptions | None = None) -> LabelInfo | None:
        """The split's labels: a label column, or (generative classification) a small set of short
        responses covering nearly every row. None when the data is not labelled."""
        opts = options or GenerativeLabelOptions()
        ds = self.datasets[split]

        def compute() -> LabelInfo | None:
            if ds.has_labels():
                keys = {"classification": "label column", "kto": "KTO boolean label"}
                kinds = {keys.get(ds.kind_of(i), "label") for i in range(min(len(ds), 1))}
                return LabelInfo(list(ds.labels), next(iter(kinds), "label column"))
            n = len(ds)
            if n < opts.min_rows:
                return None
            kinds = {f.format for f in ds.files}
            from ftlint.data.schema import FORMATS_BY_NAME

            if not any(FORMATS_BY_NAME[k].kind in ("chat", "instruction") for k in kinds if k in FORMATS_BY_NAME):
                return None
            # cheap pass first: too many long responses means free-form generation, not labels
            allowed_long = int((1 - opts.min_coverage) * n)
            long = 0
            for i in range(n):
                if len(ds.response(i).split(None, opts.max_words)) > opts.max_words:
                    long += 1
                    if long > allowed_long:
                        return None
            responses = [normalize(ds.response(i)) for i in range(n)]
            counts = Counter(r for r in responses if r and len(r.split()) <= opts.max_words)
            top = counts.most_common(opts.max_distinct)
            covered = sum(c for _, c in top)
            if len(top) < 2 or covered < opts.min_coverage * n:
                return None
            allowed = {v for v, _ in top}
            values = [r if r in allowed else None for r in responses]
            return LabelInfo(values, f"generative: the responses take {len(top)} distinct short values "
                                     f"covering {covered / n:.0%} of rows", generative=True)

        return self.artifact("labels", split, dict(vars(opts)), compute)

    def tokenizer(self, name: str | None = None) -> Any:
        """The tokenizer of the training config's base model (or of ``name``, a local directory or
        a hub id in the local cache), loaded offline with the config's chat template: a
        ``features.tokens.TokenizerLoad`` (``handle`` None plus ``reason`` when it cannot be)."""
        from ftlint.features.tokens import tokenizer_for_plan

        return self.artifact("tokenizer", None, {"name": name},
                             lambda: tokenizer_for_plan(self.plan, self.settings.root, name))

    def task(self) -> Any:
        """The task type of the run (``features.task.TaskInfo``): ``task = "..."`` in the settings,
        else inferred once from a sample of the training rows and their labels (:meth:`labels`)."""
        from ftlint.features.task import infer_task

        def compute() -> Any:
            ds = self.datasets.get("train")
            labels = self.labels("train") if ds is not None and len(ds) else None
            return infer_task(ds, labels, self.settings.task)

        return self.artifact("task", "train" if "train" in self.datasets else None,
                             {"setting": self.settings.task}, compute)

    def base_model(self, name: str | None = None) -> Any:
        """What the base model's own files say (``features.basemodel.BaseModelLoad``): config.json
        and the tokenizer (:meth:`tokenizer`) of the training config's base model (or ``name``),
        read offline from a local directory or the local Hugging Face cache."""
        from ftlint.features.basemodel import BaseModelLoad, base_model_name, read_base_model

        def compute() -> Any:
            model = name or base_model_name(self.plan)
            if not model:
                return BaseModelLoad(None, "the training config names no base model" if self.plan is not None
                                     else "no training config given", None)
            search = [Path(self.settings.root)]
            if self.plan is not None:
                search.append(Path(self.plan.path).parent)
            return read_base_model(model, search, self.tokenizer(name))

        return self.artifact("base_model", None, {"name": name}, compute)

    def chars_per_token(self, split: str, tokenizer: Any, sample: int = 2000) -> Any:
        """Characters per token of ``split``'s text with ``tokenizer`` (a ``TokenizerHandle``) on up
        to ``sample`` evenly spaced rows (``features.basemodel.CharsPerToken``). Cached on disk."""
        from ftlint.features.basemodel import chars_per_token

        ds = self.datasets[split]
        return self.artifact("chars_per_token", split, {"tokenizer": tokenizer.identity, "sample": sample},
                             lambda: chars_per_token(ds.texts, tokenizer, sample), disk=cache_schemas.chars_per_token())

    def token_lengths(self, split: str, tokenizer: Any = None, limit: int | None = None) -> Any:
        """Token counts of every row of ``split`` rendered as the trainer sees it
        (``features.tokens.TokenLengths``), with ``tokenizer`` (a ``TokenizerHandle``; None: an
        estimate). With ``limit``, rows that provably fit are not tokenised. Cached on disk, keyed
        by the tokenizer's identity (path + hash of its files + chat template)."""
        from ftlint.features.tokens import token_lengths

        ds = self.datasets[split]
        identity = tokenizer.identity if tokenizer is not None else "estimate"
        return self.artifact("token_lengths", split, {"tokenizer": identity, "limit": limit},
                             lambda: token_lengths(ds.roles, ds.texts, tokenizer, limit=limit),
                             disk=cache_schemas.token_lengths())

    def preference_hashes(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """64-bit hashes of each row's normalised chosen side (its response) and rejected side, for
        preference rows; 0 for other rows and for empty sides (FT301 swaps, FT303 identical sides)."""
        from ftlint.features.ngrams import canonical_batch

        def compute() -> tuple[np.ndarray, np.ndarray]:
            ds = self.datasets[split]
            n = len(ds)
            chosen, rejected = np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64)
            rows = [i for i in range(n) if ds.roles[i] and ds.kind_of(i) == "preference"]
            h = xxhash.xxh3_64_intdigest
            for lo in range(0, len(rows), NORMALIZE_BATCH):
                part = rows[lo:lo + NORMALIZE_BATCH]
                c = canonical_batch([ds.response(i) for i in part])
                r = canonical_batch([ds.rejected[i] or "" for i in part])
                chosen[part] = [h(t) if t else 0 for t in c]
                rejected[part] = [h(t) if t else 0 for t in r]
            return chosen, rejected

        return self.artifact("preference_hashes", split, {}, compute, disk=cache_schemas.preference_hashes())

    def label_noise(self, split: str, min_per_class: int = 10, max_rows: int = 50_000, folds: int = 5,
                    seed: int = 0) -> Any:
        """Out-of-sample class probabilities of the split's labelled rows (:meth:`labels`) from a
        TF-IDF + logistic-regression model of their normalised :func:`input_text`, and confident-
        learning flags (``features.labelnoise.LabelNoise``). Rows of classes with fewer than
        ``min_per_class`` rows are left out; None when fewer than 2 classes remain. Seeded; cached
        on disk."""
        from ftlint.features.labelnoise import LabelNoise, label_issues, out_of_sample_probabilities

        def compute() -> LabelNoise | None:
            info = self.labels(split)
            if info is None:
                return None
            counts = info.counts()
            classes = sorted(c for c, k in counts.items() if k >= max(min_per_class, folds))
            if len(classes) < 2:
                return None
            index = {c: k for k, c in enumerate(classes)}
            rows = np.array([i for i, v in enumerate(info.values) if v in index], dtype=np.int64)
            given = np.array([index[info.values[i]] for i in rows.tolist()], dtype=np.int64)  # type: ignore[index]
            texts = [t.decode("utf-8", "surrogatepass")
                     for _, batch in self.normalized_batches(split, "input", rows=rows.tolist()) for t in batch]
            probs, cv_rows = out_of_sample_probabilities(texts, given, len(classes), folds=folds, seed=seed,
                                                         max_rows=max_rows)
            flagged, thresholds = label_issues(probs, given)
            return LabelNoise(rows, classes, given, probs, thresholds, flagged, cv_rows)

        params = {"min_per_class": min_per_class, "max_rows": max_rows, "folds": folds, "seed": seed}
        return self.artifact("label_noise", split, params, compute, disk=cache_schemas.label_noise())

    def contamination_matches(self, split: str, n: int = 13) -> list[Any]:
        """Rows of ``split`` that share an ``n``-word window with a contamination file
        (:meth:`contamination_index`): ``features.ngrams.NgramMatch`` es whose ``position`` is the
        row and ``source`` the index's text (see ``sources``). Streams the rows; cached on disk."""
        from ftlint.features.ngrams import NgramMatch, canonical_batch

        def compute() -> list[Any]:
            index, _ = self.contamination_index(n)
            ds = self.datasets[split]
            out = []
            for lo in range(0, len(ds), NORMALIZE_BATCH):
                hi = min(len(ds), lo + NORMALIZE_BATCH)
                texts = canonical_batch([contamination_text(ds, i) for i in range(lo, hi)], punctuation=True)
                out.extend(NgramMatch(lo + m.position, m.hashes, m.source) for m in index.query(texts))
            return out

        files = tuple(f.content_hash for ds in self.contamination for f in ds.files)
        return self.artifact("contamination_matches", split, {"n": n, "files": files}, compute,
                             disk=cache_schemas.contamination_matches())

    # -- relevance: embeddings, drift, languages (features.embed / drift / language; FT401-FT404) ----
    def relevance_sets(self) -> list[str]:
        """The sets embedded into one space: the splits, then ``"reference"`` when one is given."""
        return [*self.splits, *(["reference"] if self.reference is not None else [])]

    def _progress(self, label: str, total: int) -> Any:
        from ftlint.features.embed import Progress

        return Progress(label, total, enabled=self.progress)

    def embedding_model(self, model: str | None = None) -> Any:
        """The transformers encoder ``model`` (default: the settings' ``embedding-model``), loaded once,
        offline; None for the built-in TF-IDF (no model, or ``"tfidf"``). Raises
        ``features.embed.EmbedderUnavailable`` when it cannot be found or loaded."""
        name = model if model is not None else self.settings.embedding_model
        if not name or name == "tfidf":
            return None
        from ftlint.features.embed import load_transformer

        return self.artifact("embedding_model", None, {"name": name},
                             lambda: load_transformer(name, self.settings.root))

    def _embedding_plan(self, split: str, encoder: Any, text: str, sample: int | None,
                        seed: int) -> tuple[np.ndarray, str]:
        """The rows of a set that are embedded: a seeded sample of ``sample`` rows (default: the
        settings' ``embedding-sample`` for an encoder, ``TFIDF_SAMPLE_ROWS`` for the built-in TF-IDF;
        every row of a smaller set), and the hash of their texts. The sample depends only on the
        set's row count and the seed, so every rule that embeds a set shares one embedding."""
        from ftlint.features.drift import subsample
        from ftlint.features.embed import TFIDF_SAMPLE_ROWS, row_text

        def compute() -> tuple[np.ndarray, str]:
            ds = self.dataset(split)
            k = sample if sample is not None else (
                TFIDF_SAMPLE_ROWS if encoder is None else self.settings.embedding_sample)
            rows = subsample(len(ds), k, seed)
            h = xxhash.xxh3_128()
            for i in rows.tolist():
                h.update(row_text(ds, i, text).encode("utf-8", "surrogatepass") + b"\x1f")
            return rows, h.hexdigest()

        params = {"encoder": encoder is not None, "text": text, "sample": sample, "seed": seed,
                  "columns": tuple(sorted(self.settings.dataset.columns.items())),
                  "embedding_sample": self.settings.embedding_sample}
        return self.artifact("embedding_plan", split, params, compute)

    def _tfidf_embedder(self, text: str, seed: int) -> tuple[str, Callable[[], Any]]:
        """The identity of the TF-IDF + SVD embedder of this run and a getter that fits it (once) on
        a seeded sample of every set (:meth:`relevance_sets`, at most ``TFIDF_FIT_ROWS`` rows split
        evenly between them): train and reference share one space, so neither side's vocabulary is
        missing."""
        from ftlint.features.drift import subsample
        from ftlint.features.embed import TFIDF_FIT_ROWS, TfidfSvdEmbedder, row_text

        sets = self.relevance_sets()
        per = max(1, TFIDF_FIT_ROWS // max(1, len(sets)))

        def plan() -> tuple[str, list[tuple[str, np.ndarray]]]:
            h = xxhash.xxh3_128()
            picks = []
            for s in sets:
                ds = self.dataset(s)
                rows = subsample(len(ds), per, seed)
                picks.append((s, rows))
                for i in rows.tolist():
                    h.update(row_text(ds, i, text).encode("utf-8", "surrogatepass") + b"\x1f")
            return f"{TfidfSvdEmbedder(seed=seed).identity} fit={h.hexdigest()}", picks

        params = {"text": text, "seed": seed, "sets": tuple((s, self.split_hash(s)) for s in sets),
                  "columns": tuple(sorted(self.settings.dataset.columns.items()))}
        identity, picks = self.artifact("tfidf_plan", None, params, plan)

        def fitted() -> Any:
            def fit() -> Any:
                from ftlint.features.embed import RowTexts

                texts = RowTexts([(self.dataset(s), rows) for s, rows in picks], text)  # read when hashed
                with self._progress("fitting TF-IDF + SVD", 2 * len(texts)) as p:
                    return TfidfSvdEmbedder(seed=seed).fit(texts, p)

            return self.artifact("tfidf_embedder", None, {"identity": identity}, fit)

        return identity, fitted

    def embeddings(self, split: str, model: str | None = None, *, text: str = "prompt",
                   sample: int | None = None, seed: int = 0) -> Any:
        """L2-normalised embeddings (``features.embed.Embeddings``) of a split or of ``"reference"``:
        of a seeded sample of ``sample`` rows (every row of a smaller set): with the built-in TF-IDF
        + SVD (fitted on a sample of all the sets together) ``TFIDF_SAMPLE_ROWS`` (10,000) by
        default; with a transformers ``model`` (default: the settings' ``embedding-model``)
        ``embedding-sample`` (2,000) by default. ``text`` is what is embedded
        (``features.embed.row_text``: "prompt", "response" or "full"). Cached on disk, keyed by the
        model's identity, the hash of the embedded texts and the parameters (``--no-cache`` off)."""
        from ftlint.features.embed import Embeddings, RowTexts

        encoder = self.embedding_model(model)
        rows, text_hash = self._embedding_plan(split, encoder, text, sample, seed)
        if encoder is None:
            identity, get = self._tfidf_embedder(text, seed)
        else:
            identity, get = encoder.identity, (lambda: encoder)

        def compute() -> Embeddings:
            ds = self.dataset(split)
            texts = RowTexts([(ds, rows)], text)  # read a batch at a time, never all at once
            embedder = get()
            with self._progress(f"embedding {split} ({embedder.backend})", len(texts)) as p:
                vectors = embedder.embed(texts, p)
            return Embeddings(vectors, rows, len(ds), embedder.backend, embedder.describe(), text)

        params = {"model": identity, "text": text, "texts": text_hash, "rows": len(rows), "seed": seed}
        return self.artifact("embeddings", split, params, compute, disk=cache_schemas.embeddings())

    def drift(self, a: str, b: str, model: str | None = None, *, text: str = "prompt", seed: int = 0) -> Any:
        """Set ``a`` against set ``b`` (split names or ``"reference"``) in the space of
        :meth:`embeddings`: ``features.drift.DriftResult`` (domain-classifier AUC, MMD permutation
        test, centroid distance, nearest-neighbour coverage both ways, 2-D projection). Seeded;
        cached on disk with the embeddings' keys."""
        from ftlint.features.drift import compare

        ea = self.embeddings(a, model, text=text, seed=seed)
        eb = self.embeddings(b, model, text=text, seed=seed)

        def compute() -> Any:
            with self._progress(f"comparing {a} with {b}", 1) as p:
                result = compare(ea.vectors, eb.vectors, names=(a, b), seed=seed)
                p.update(1)
            return result

        params = {"against": b, "a": self._embedding_key(a, model, text, seed),
                  "b": self._embedding_key(b, model, text, seed), "seed": seed}
        return self.artifact("drift", a, params, compute, disk=cache_schemas.drift())

    def self_similarity(self, split: str, model: str | None = None, *, text: str = "prompt", seed: int = 0,
                        base: int = 10_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each embedded, non-empty row of a set: its position in ``embeddings(split).rows``, the
        cosine similarity of its nearest *other* row among a seeded sample of ``base`` rows of the
        same set (how well the rest of the set covers it), and which row that is (an index into the
        first array). Cached on disk."""
        from ftlint.features.drift import nearest_similarity, subsample

        emb = self.embeddings(split, model, text=text, seed=seed)

        def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            used = np.flatnonzero(emb.nonzero).astype(np.int64)
            pick = subsample(len(used), base, seed + 3)
            own = np.full(len(used), -1, dtype=np.int64)
            own[pick] = np.arange(len(pick), dtype=np.int64)
            if len(pick) < 2:
                return used, np.zeros(len(used)), np.arange(len(used), dtype=np.int64)
            x = emb.vectors[used]
            sims, nearest = nearest_similarity(x, x[pick], self_index=own)
            return used, sims, pick[nearest]

        params = {"emb": self._embedding_key(split, model, text, seed), "base": base, "seed": seed}
        return self.artifact("self_similarity", split, params, compute, disk=cache_schemas.self_similarity())

    def _embedding_key(self, split: str, model: str | None, text: str, seed: int) -> tuple[Any, ...]:
        encoder = self.embedding_model(model)
        rows, text_hash = self._embedding_plan(split, encoder, text, None, seed)
        identity = encoder.identity if encoder is not None else self._tfidf_embedder(text, seed)[0]
        return identity, text_hash, len(rows)

    def languages(self, split: str, sample: int = 20_000, seed: int = 0, min_confidence: float = 0.5,
                  min_chars: int = 20) -> Any:
        """The language of each row (of a seeded sample of ``sample`` rows) of a split or of
        ``"reference"``: ``features.language.Languages``, detected offline with py3langid on the
        whole example's text. Cached on disk."""
        from ftlint.features.drift import subsample
        from ftlint.features.embed import row_text
        from ftlint.features.language import LanguageDetector, Languages, detect_languages

        ds = self.dataset(split)
        rows = subsample(len(ds), sample, seed)

        def compute() -> Languages:
            detector = self.artifact("language_detector", None, {}, LanguageDetector)
            codes: list[str] = []
            conf = np.zeros(len(rows), dtype=np.float32)
            with self._progress(f"detecting the languages of {split}", len(rows)) as p:
                for lo in range(0, len(rows), NORMALIZE_BATCH):  # a block of texts at a time, not all of them
                    block = [row_text(ds, i, "full") for i in rows[lo:lo + NORMALIZE_BATCH].tolist()]
                    c, k = detect_languages(block, detector, min_confidence=min_confidence,
                                            min_chars=min_chars, progress=p)
                    codes += c
                    conf[lo:lo + len(block)] = k
            return Languages(codes, conf, rows, len(ds))

        params = {"sample": sample, "seed": seed, "min_confidence": min_confidence, "min_chars": min_chars,
                  "columns": tuple(sorted(self.settings.dataset.columns.items()))}
        return self.artifact("languages", split, params, compute, disk=cache_schemas.languages())

    # -- building rows ----------------------------------------------------------------------------
    def row(self, split: str, i: int, code: str, text: str | None = None,
            extra: dict[str, Any] | None = None) -> Row:
        """A Row for row ``i`` of ``split``: identity, line, fingerprint and a snippet."""
        ds = self.dataset(split)
        fid = int(ds.file_id[i])
        content = self.text_hashes(split)[i]
        return Row(
            path=ds.files[fid].path,
            split=split,
            index=int(ds.index[i]),
            line=ds.line_of(i),
            fingerprint=row_fingerprint(code, self.relpath(ds, fid), f"{int(content):016x}"),
            snippet=snippet(text if text is not None else ds.full_text(i)),
            extra=extra or {},
        )
