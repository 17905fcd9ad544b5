"""The artifacts of FT401-FT404 over the splits and the reference sample: one embedding space
(``features.embed``), set-against-set drift (``features.drift``) and the languages of the rows
(``features.language``), each computed once per run through ``ctx.artifact`` and cached on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import xxhash

from ftlint import cache_schemas
from ftlint.memory import release_free_memory

if TYPE_CHECKING:
    from ftlint.context import Context
    from ftlint.features.drift import DriftResult
    from ftlint.features.embed import Embeddings, Progress, TfidfSvdEmbedder, TransformerEmbedder
    from ftlint.features.language import LanguageDetector, Languages


def progress(ctx: Context, label: str, total: int) -> Progress:
    """A progress bar on stderr for a long step (drawn when the run asked for them)."""
    from ftlint.features.embed import Progress

    return Progress(label, total, enabled=ctx.progress)


def _columns(ctx: Context) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(ctx.settings.dataset.columns.items()))


def load_encoder(ctx: Context, name: str) -> TransformerEmbedder:
    """The transformers encoder ``name``, loaded offline (raises ``features.embed.EmbedderUnavailable``)."""
    from ftlint.features.embed import load_transformer

    return load_transformer(name, ctx.settings.root)


def embedding_model(ctx: Context, model: str | None = None) -> TransformerEmbedder | None:
    """The transformers encoder ``model`` (default: the settings' ``embedding-model``), loaded once
    (:func:`load_encoder`), offline; None for the built-in TF-IDF (no model, or ``"tfidf"``). Raises
    ``features.embed.EmbedderUnavailable`` when it cannot be found or loaded."""
    name = model if model is not None else ctx.settings.embedding_model
    if not name or name == "tfidf":
        return None
    return ctx.artifact(load_encoder, name)


def embedding_plan(ctx: Context, split: str, model: str | None, text: str, sample: int | None,
                   seed: int) -> tuple[np.ndarray, str]:
    """The rows of a set that are embedded: a seeded sample of ``sample`` rows (default: the
    settings' ``embedding-sample`` for an encoder, ``TFIDF_SAMPLE_ROWS`` for the built-in TF-IDF;
    every row of a smaller set), and the hash of their texts. The sample depends only on the
    set's row count and the seed, so every rule that embeds a set shares one embedding."""
    from ftlint.features.drift import subsample
    from ftlint.features.embed import TFIDF_SAMPLE_ROWS, row_text

    encoder = embedding_model(ctx, model)
    ds = ctx.dataset(split)
    k = sample if sample is not None else (TFIDF_SAMPLE_ROWS if encoder is None else ctx.settings.embedding_sample)
    rows = subsample(len(ds), k, seed)
    h = xxhash.xxh3_128()
    for i in rows.tolist():
        h.update(row_text(ds, i, text).encode("utf-8", "surrogatepass") + b"\x1f")
    return rows, h.hexdigest()


def tfidf_plan(ctx: Context, text: str, seed: int) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """The identity of the TF-IDF + SVD embedder of this run and the rows it is fitted on: a seeded
    sample of every set (``ctx.relevance_sets()``, at most ``TFIDF_FIT_ROWS`` rows split evenly
    between them): train and reference share one space, so neither side's vocabulary is missing."""
    from ftlint.features.drift import subsample
    from ftlint.features.embed import TFIDF_FIT_ROWS, TfidfSvdEmbedder, row_text

    sets = ctx.relevance_sets()
    per = max(1, TFIDF_FIT_ROWS // max(1, len(sets)))
    h = xxhash.xxh3_128()
    picks = []
    for s in sets:
        ds = ctx.dataset(s)
        rows = subsample(len(ds), per, seed)
        picks.append((s, rows))
        for i in rows.tolist():
            h.update(row_text(ds, i, text).encode("utf-8", "surrogatepass") + b"\x1f")
    return f"{TfidfSvdEmbedder(seed=seed).identity} fit={h.hexdigest()}", picks


def tfidf_embedder(ctx: Context, text: str, seed: int) -> TfidfSvdEmbedder:
    """The TF-IDF + SVD embedder fitted (once) on the rows of :func:`tfidf_plan`."""
    from ftlint.features.embed import RowTexts, TfidfSvdEmbedder

    _, picks = ctx.artifact(tfidf_plan, text, seed)
    texts = RowTexts([(ctx.dataset(s), rows) for s, rows in picks], text)  # read when hashed
    with progress(ctx, "fitting TF-IDF + SVD", 2 * len(texts)) as p:
        embedder = TfidfSvdEmbedder(seed=seed).fit(texts, p)
    release_free_memory()  # the fit's n-gram counts and SVD blocks: what follows starts from what is in use
    return embedder


def _embedder(ctx: Context, model: str | None, text: str, seed: int
              ) -> tuple[str, Callable[[], TfidfSvdEmbedder | TransformerEmbedder]]:
    """The identity of the embedder of ``model`` and a getter that loads or fits it (only when
    something is embedded: a cache hit needs neither)."""
    encoder = embedding_model(ctx, model)
    if encoder is None:
        return ctx.artifact(tfidf_plan, text, seed)[0], (lambda: ctx.artifact(tfidf_embedder, text, seed))
    return encoder.identity, (lambda: encoder)


def embedding_key(ctx: Context, split: str, model: str | None, text: str, seed: int) -> tuple[str, str, int]:
    """What a set's embeddings are keyed by: the embedder's identity, the hash of the embedded
    texts and how many rows were embedded."""
    rows, text_hash = ctx.artifact(embedding_plan, split, model, text, None, seed)
    return _embedder(ctx, model, text, seed)[0], text_hash, len(rows)


def embeddings(ctx: Context, split: str, model: str | None = None, *, text: str = "prompt",
               sample: int | None = None, seed: int = 0) -> Embeddings:
    """L2-normalised embeddings (``features.embed.Embeddings``) of a split or of ``"reference"``:
    of a seeded sample of ``sample`` rows (every row of a smaller set): with the built-in TF-IDF
    + SVD (fitted on a sample of all the sets together) ``TFIDF_SAMPLE_ROWS`` (10,000) by
    default; with a transformers ``model`` (default: the settings' ``embedding-model``)
    ``embedding-sample`` (2,000) by default. ``text`` is what is embedded
    (``features.embed.row_text``: "prompt", "response" or "full"). Cached on disk, keyed by the
    model's identity, the hash of the embedded texts and the parameters (``--no-cache`` off)."""
    from ftlint.features.embed import Embeddings, RowTexts

    rows, text_hash = ctx.artifact(embedding_plan, split, model, text, sample, seed)
    identity, get = _embedder(ctx, model, text, seed)

    def compute() -> Embeddings:
        ds = ctx.dataset(split)
        texts = RowTexts([(ds, rows)], text)  # read a batch at a time, never all at once
        embedder = get()
        with progress(ctx, f"embedding {split} ({embedder.backend})", len(texts)) as p:
            vectors = embedder.embed(texts, p)
        release_free_memory()  # the sketches of each batch
        return Embeddings(vectors, rows, len(ds), embedder.backend, embedder.describe(), text)

    params = {"model": identity, "text": text, "texts": text_hash, "rows": len(rows), "seed": seed}
    return ctx.stored("embeddings", split, params, compute, cache_schemas.embeddings())


def drift(ctx: Context, a: str, b: str, model: str | None = None, *, text: str = "prompt",
          seed: int = 0) -> DriftResult:
    """Set ``a`` against set ``b`` (split names or ``"reference"``) in the space of
    :func:`embeddings`: ``features.drift.DriftResult`` (domain-classifier AUC, MMD permutation
    test, centroid distance, nearest-neighbour coverage both ways, 2-D projection). Seeded;
    cached on disk with the embeddings' keys."""
    from ftlint.features.drift import compare

    ea = ctx.artifact(embeddings, a, model, text=text, seed=seed)
    eb = ctx.artifact(embeddings, b, model, text=text, seed=seed)

    def compute() -> DriftResult:
        with progress(ctx, f"comparing {a} with {b}", 1) as p:
            result = compare(ea.vectors, eb.vectors, names=(a, b), seed=seed)
            p.update(1)
        return result

    params = {"against": b, "a": embedding_key(ctx, a, model, text, seed),
              "b": embedding_key(ctx, b, model, text, seed), "seed": seed}
    return ctx.stored("drift", a, params, compute, cache_schemas.drift())


def self_similarity(ctx: Context, split: str, model: str | None = None, *, text: str = "prompt", seed: int = 0,
                    base: int = 10_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each embedded, non-empty row of a set: its position in ``embeddings(split).rows``, the
    cosine similarity of its nearest *other* row among a seeded sample of ``base`` rows of the
    same set (how well the rest of the set covers it), and which row that is (an index into the
    first array). Cached on disk."""
    from ftlint.features.drift import nearest_similarity, subsample

    emb = ctx.artifact(embeddings, split, model, text=text, seed=seed)

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

    params = {"emb": embedding_key(ctx, split, model, text, seed), "base": base, "seed": seed}
    return ctx.stored("self_similarity", split, params, compute, cache_schemas.self_similarity())


def language_detector(ctx: Context) -> LanguageDetector:
    """The offline language identifier (py3langid), loaded once."""
    from ftlint.features.language import shared_detector

    return shared_detector()


def languages(ctx: Context, split: str, sample: int = 20_000, seed: int = 0, min_confidence: float = 0.5,
              min_chars: int = 20) -> Languages:
    """The language of each row (of a seeded sample of ``sample`` rows) of a split or of
    ``"reference"``: ``features.language.Languages``, detected offline with py3langid on the
    whole example's text. Cached on disk."""
    from ftlint.features.drift import subsample
    from ftlint.features.embed import row_text
    from ftlint.features.language import Languages, detect_languages
    from ftlint.features.rows import NORMALIZE_BATCH

    ds = ctx.dataset(split)
    rows = subsample(len(ds), sample, seed)

    def compute() -> Languages:
        detector = ctx.artifact(language_detector)
        codes: list[str] = []
        conf = np.zeros(len(rows), dtype=np.float32)
        with progress(ctx, f"detecting the languages of {split}", len(rows)) as p:
            for lo in range(0, len(rows), NORMALIZE_BATCH):  # a block of texts at a time, not all of them
                block = [row_text(ds, i, "full") for i in rows[lo:lo + NORMALIZE_BATCH].tolist()]
                c, k = detect_languages(block, detector, min_confidence=min_confidence,
                                        min_chars=min_chars, progress=p)
                codes += c
                conf[lo:lo + len(block)] = k
        return Languages(codes, conf, rows, len(ds))

    params = {"sample": sample, "seed": seed, "min_confidence": min_confidence, "min_chars": min_chars,
              "columns": _columns(ctx)}
    return ctx.stored("languages", split, params, compute, cache_schemas.languages())
