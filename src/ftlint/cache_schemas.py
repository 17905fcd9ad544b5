"""The declared schemas of the artifacts of ``features/`` that ``Context`` keeps on disk
(``ctx.stored(name, split, params, compute, cache_schemas.X())``).

A cache entry is read back only through its artifact's schema (:mod:`ftlint.cache`): the types,
fields, dtypes and shapes below, with lengths tied to the data of this run (``n``: the split's
rows) and every row position in range, so a stale, foreign or tampered entry is a miss and never
an error in a rule. Imports only the feature modules (inside each function: they are loaded when
their artifact is), never ``context`` or a rule. A feature module that itself stores artifacts
declares their schemas beside them (``features.tokens.token_lengths_schema``,
``basemodel.chars_per_token_schema``, ``labelnoise.label_noise_schema``,
``contamination.contamination_matches_schema``): importing it from here would be an import cycle.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ftlint.cache import Arr, Float, Int, Map, Rec, Schema, Seq, Spec, Str, Tup

u8, i8, f4, f8, b1 = np.uint64, np.int64, np.float32, np.float64, np.bool_


@cache
def minhash_rows(bands: int) -> Schema:
    """The persisted per-row MinHash band keys (``features.duplicates.minhash_bands``): sorted distinct row hashes,
    their band keys and whether the row had no shingles."""
    return Tup(Arr(u8, "k", increasing=True), Arr(u8, "k", bands), Arr(b1, "k"))


@cache
def row_hashes() -> Spec:
    """``text_hashes`` / ``input_hashes``: a 64-bit hash per row."""
    return Spec(Arr(u8, "n"))


@cache
def preference_hashes() -> Spec:
    return Spec(Tup(Arr(u8, "n"), Arr(u8, "n")))


@cache
def near_duplicates() -> Spec:
    """Pairs ``(i, j)`` of rows and their similarity."""
    return Spec(Tup(Arr(i8, "k", 2, lo=0, hi="n"), Arr(f8, "k")))


@cache
def embeddings() -> Spec:
    from ftlint.features.embed import Embeddings

    return Spec(Rec(Embeddings, vectors=Arr(f4, "k", None), rows=Arr(i8, "k", lo=0, hi="n", increasing=True),
                    total=Int(eq="n"), backend=Str, model=Str, text=Str),
                lambda ctx, split, params: {"k": params["rows"]})


@cache
def drift() -> Spec:
    from ftlint.features.drift import ClassifierTest, DriftResult, MMDTest

    # positions in the embeddings of each side ("ka", "kb" rows), of their used rows ("ua", "ub")
    classifier = Rec(ClassifierTest, auc=Float(), auc_std=Float(), folds=Int(0), n_a=Int(0), n_b=Int(0),
                     scores_a=Arr((f4, f8), "sa"), scores_b=Arr((f4, f8), "sb"),
                     rows_a=Arr(i8, "sa", lo=0), rows_b=Arr(i8, "sb", lo=0))
    mmd = Rec(MMDTest, mmd2=Float(), p_value=Float(), permutations=Int(0), gamma=Float(), n_a=Int(0), n_b=Int(0))
    return Spec(Rec(DriftResult, classifier=classifier, mmd=mmd, centroid_distance=Float(),
                    used_a=Arr(i8, "ua", lo=0, hi="ka"), used_b=Arr(i8, "ub", lo=0, hi="kb"),
                    coverage_a=Arr((f4, f8), "ua"), nearest_a=Arr(i8, "ua", lo=0, hi="ub"),
                    coverage_b=Arr((f4, f8), "ub"), nearest_b=Arr(i8, "ub", lo=0, hi="ua"),
                    self_b=Arr((f4, f8), None), projection=Map(Str, Seq(Seq(Float()))), projection_variance=Float()),
                lambda ctx, split, params: {"ka": params["a"][2], "kb": params["b"][2]})


@cache
def self_similarity() -> Spec:
    return Spec(Tup(Arr(i8, "u", lo=0, hi="k"), Arr((f4, f8), "u"), Arr(i8, "u", lo=0, hi="u")),
                lambda ctx, split, params: {"k": params["emb"][2]})


@cache
def languages() -> Spec:
    from ftlint.features.language import Languages

    return Spec(Rec(Languages, codes=Seq(Str, "k"), confidence=Arr((f4, f8), "k"),
                    rows=Arr(i8, "k", lo=0, hi="n", increasing=True), total=Int(eq="n")))
