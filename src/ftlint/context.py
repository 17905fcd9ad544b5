"""The Context: the inputs of a run and lazily computed, memoised artifacts shared by all rules.

A rule never reads files or computes an expensive feature itself: it asks the Context. Each
artifact is keyed by its name, all its parameters and the content hash of its input, computed
once per run, and (where worth it) cached on disk under ``.ftlint_cache/``.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import xxhash

from ftlint.cache import Cache, cache_key
from ftlint.data.dataset import Dataset
from ftlint.features.text import normalize
from ftlint.findings import Row, row_fingerprint, snippet
from ftlint.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class LabelInfo:
    """Labels of a split: one value per row (None where the row has none) and where they come from."""

    values: list[str | None]
    source: str  # e.g. "column 'label'" or "generative: the responses take 4 distinct values"
    generative: bool = False

    def counts(self) -> Counter[str]:
        return Counter(v for v in self.values if v is not None)


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
        plan: Any = None,
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
        #: the run's suppressions (baseline, noqa, per-file-ignores), set by the engine
        self.suppressions: Any = None
        self._memo: dict[tuple[Any, ...], Any] = {}

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def splits(self) -> list[str]:
        """Split names that were given (in train, validation, test order)."""
        return [s for s in ("train", "validation", "test") if s in self.datasets]

    def dataset(self, split: str) -> Dataset:
        return self.datasets[split]

    def split_hash(self, split: str) -> str:
        ds = self.datasets[split]
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
                 disk: bool = False) -> T:
        """Memoise ``compute()`` under (name, split content, params); optionally on disk."""
        content = self.split_hash(split) if split else ""
        key = (name, split, content, tuple(sorted(params.items())))
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        t0 = time.perf_counter()
        value = None
        dkey = cache_key("artifact", name, content, sorted(params.items())) if disk else ""
        if disk:
            value = self.cache.get(dkey)
        if value is None:
            value = compute()
            if disk:
                self.cache.put(dkey, value)
        label = f"{name}[{split}]" if split else name
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - t0
        self._memo[key] = value
        return value

    # -- artifacts ------------------------------------------------------------------------------
    def normalized_text(self, split: str) -> list[str]:
        """NFKC, case-folded, whitespace-collapsed full text of every row (role markers kept)."""
        ds = self.datasets[split]
        return self.artifact("normalized_text", split, {},
                             lambda: [normalize(ds.full_text(i)) for i in range(len(ds))], disk=True)

    def text_hashes(self, split: str) -> np.ndarray:
        """64-bit hash of each row's normalised full text (exact-duplicate key, fingerprint content)."""
        def compute() -> np.ndarray:
            texts = self.normalized_text(split)
            h = xxhash.xxh3_64_intdigest
            return np.fromiter((h(t.encode("utf-8", "surrogatepass")) for t in texts), dtype=np.uint64,
                               count=len(texts))
        return self.artifact("text_hashes", split, {}, compute, disk=True)

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

    # -- building rows ----------------------------------------------------------------------------
    def row(self, split: str, i: int, code: str, text: str | None = None,
            extra: dict[str, Any] | None = None) -> Row:
        """A Row for row ``i`` of ``split``: identity, line, fingerprint and a snippet."""
        ds = self.datasets[split]
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
