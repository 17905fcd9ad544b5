"""Built-in rules: one module per family, registered in the one tuple below."""

from __future__ import annotations

from ftlint.rules.duplicates import ExactDuplicates
from ftlint.rules.format import ChatStructure, EmptyField, SchemaMismatch, UnreadableRecord
from ftlint.rules.labels import InconsistentLabelFormat
from ftlint.rules.notices import PluginLoadFailed, StaleBaselineEntry, UnusedSuppression
from ftlint.rules.size import ClassImbalance, TooFewExamples, TooFewPerClass
from ftlint.rules.text import DegenerateText, EncodingProblems, UnfilledPlaceholders

BUILTIN_RULES = (
    UnreadableRecord,
    SchemaMismatch,
    EmptyField,
    ChatStructure,
    EncodingProblems,
    InconsistentLabelFormat,
    UnfilledPlaceholders,
    DegenerateText,
    TooFewExamples,
    TooFewPerClass,
    ClassImbalance,
    ExactDuplicates,
    PluginLoadFailed,
    StaleBaselineEntry,
    UnusedSuppression,
)

__all__ = ["BUILTIN_RULES"]
