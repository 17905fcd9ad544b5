"""Typed remedies: what the rule that made a finding knows would repair it.

A rule attaches remedies to its finding (``Finding.remedies``); ``ftlint fix`` applies them without
knowing which rule made them, and re-derives nothing: the rows to drop, the per-row weights, the
strata of a carved split are all in the remedy. A rule declares the kinds it can emit in
``Rule.remedies``, and ``Rule.fixable`` follows from it.

Rows are named as everywhere else, by ``(path, index)``: the dataset file as reports show it and
the record's index in that file (``data.formats`` numbers records, for the loader and ``fix``
alike). Position-aligned values (weights, strata) follow the rows of the split's ``Dataset`` in the
run the finding comes from.

This module is a leaf: it imports nothing of ftlint. Remedies are not part of the JSON report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowRef:
    """One row: its file (as reports show it), its record index in that file, and its split."""

    path: str
    index: int
    split: str | None = None


class Remedy:
    """Base class of the remedies (a marker: ``isinstance(x, Remedy)``)."""

    __slots__ = ()


@dataclass(frozen=True)
class DropRows(Remedy):
    """Leave these rows out of the repaired copies.

    ``repair`` and ``detail`` are what ``ftlint fix`` lists (remedies with the same ``repair`` are
    counted together, a row once). ``choice`` ``(name, value)`` marks one of several alternatives
    the user picks between with ``ftlint fix --<name> <value>`` (FT203: drop the held-out copy, or
    the training row it copies), ``default`` the alternative that applies when the user picks none;
    a remedy without a choice always applies."""

    rows: tuple[RowRef, ...]
    repair: str
    detail: str
    choice: tuple[str, str] | None = None
    default: bool = False


@dataclass(frozen=True, eq=False)
class Reweight(Remedy):
    """Per-row weights for the rows of ``split`` (written as a weight column by ``ftlint fix``).

    ``factors[i]`` multiplies the weight of row ``i`` of the split (1.0 leaves it alone); the
    factors of several remedies multiply, and the product is normalised to a mean of 1 over the
    rows written. ``groups`` is the table the factors come from (group -> weight, or group ->
    label -> weight); ``label`` names it in what ``fix`` prints (``FT501 'gender'``)."""

    split: str
    factors: Any  # numpy float64 array, one factor per row of the split
    groups: Mapping[str, Any]
    label: str


@dataclass(frozen=True, eq=False)
class CarveSplit(Remedy):
    """Move a seeded, stratified ``fraction`` of the rows of ``split`` that are kept into a new
    ``into`` split (one new file next to each repaired file of ``split``).

    ``strata`` gives each row of ``split`` its stratum (a label; None: none), ``fraction`` and
    ``seed`` are defaults the user may override (``ftlint fix --validation-fraction --seed``).
    ``detail`` is what ``fix`` lists, with ``{fraction}`` and ``{seed}`` filled in. ``blocked``
    says why nothing is carved although the finding stands (the training config already holds
    out data): ``fix`` prints it as a note instead."""

    split: str
    into: str
    repair: str
    detail: str
    fraction: float = 0.1
    seed: int = 0
    strata: Sequence[Any] | None = None
    blocked: str | None = None


@dataclass(frozen=True)
class EditConfig(Remedy):
    """Set a setting of the training config: ``key`` is the training plan's field (``validation.enabled``,
    ``early_stopping.requested``; ``training.adapter.CONFIG_SETTINGS`` lists those a config can be
    patched for), ``value`` what it must become, ``reason`` why. The framework's own keys and the
    edit of its file are its adapter's (``FrameworkAdapter.config_edits`` and ``patch_config``);
    ``fix`` only hands them over."""

    key: str
    value: Any
    reason: str


@dataclass
class Remedies:
    """The remedies of a report, by kind, in report order (the order ``fix`` applies them in)."""

    drops: list[tuple[str, DropRows]] = field(default_factory=list)
    carves: list[CarveSplit] = field(default_factory=list)
    weights: list[Reweight] = field(default_factory=list)
    config: list[EditConfig] = field(default_factory=list)

    @classmethod
    def of(cls, findings: Sequence[Any]) -> Remedies:
        """Collect the remedies of ``findings`` (each with its rule's code for the drops)."""
        out = cls()
        for f in findings:
            for r in getattr(f, "remedies", ()):
                if isinstance(r, DropRows):
                    out.drops.append((f.code, r))
                elif isinstance(r, CarveSplit):
                    out.carves.append(r)
                elif isinstance(r, Reweight):
                    out.weights.append(r)
                elif isinstance(r, EditConfig):
                    out.config.append(r)
        return out


def row_refs(rows: Sequence[Any], ctx: Any = None) -> tuple[RowRef, ...]:
    """The :class:`RowRef` of each of a finding's rows: built rows (anything with path, index and
    split), or a rule's row references (``model.RowAt``: a split and a position, looked up in the
    Context ``ctx``)."""
    out = []
    for r in rows:
        if getattr(r, "malformed", False):  # a record that could not be read: Dataset.malformed[position]
            m = ctx.dataset(r.split).malformed[r.position]
            out.append(RowRef(ctx.dataset(r.split).files[m.file_id].path, int(m.index), r.split))
        elif hasattr(r, "position"):
            ds = ctx.dataset(r.split)
            out.append(RowRef(ds.path(r.position), int(ds.index[r.position]), r.split))
        else:
            out.append(RowRef(r.path, int(r.index), r.split))
    return tuple(out)


__all__ = ["CarveSplit", "DropRows", "EditConfig", "Remedies", "Remedy", "Reweight", "RowRef", "row_refs"]
