"""The Dataset: one split's rows as compact columns, never a Python dict per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ftlint.data.columns import CodedColumn, OptionalTextColumn, TextColumn, concat_text
from ftlint.data.schema import ASSISTANT, FORMATS_BY_NAME, ROLE_NAMES, Issue


@dataclass
class SourceFile:
    """One dataset file of a split."""

    path: str  # as shown to the user (relative to the working directory when inside it)
    abspath: str
    split: str
    split_source: str  # why it is in this split: "--validation", "settings", "file name 'val'", "default"
    format: str
    records: int  # records read, malformed ones included
    content_hash: str


@dataclass(frozen=True)
class Malformed:
    """A record that could not be read (FT001)."""

    file_id: int
    index: int
    line: int | None
    reason: str
    snippet: str


def _full_text(roles: str, texts: tuple[str, ...], rejected: str | None, label: str | None) -> str:
    parts = [f"<{ROLE_NAMES[r]}> {t}" for r, t in zip(roles, texts)]
    if rejected is not None:
        parts.append(f"<rejected> {rejected}")
    if label is not None:
        parts.append(f"<label> {label}")
    return "\n".join(parts)


@dataclass
class Dataset:
    """The rows of one split, as columns. Row ``i`` is identified by ``(path(i), index[i])``."""

    split: str
    files: list[SourceFile] = field(default_factory=list)
    file_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # 0 = unknown
    # Read-only sequences: the loader gives compact columns (``data.columns``: the text of a large
    # split lives in a temporary file, read back on access), plain lists work too.
    roles: Sequence[str] = field(default_factory=list)  # role codes of each row's turns ("sua")
    texts: Sequence[tuple[str, ...]] = field(default_factory=list)  # each row's turns
    labels: Sequence[str | None] = field(default_factory=list)
    rejected: Sequence[str | None] = field(default_factory=list)
    extras: dict[str, list[Any]] = field(default_factory=dict)
    issues: dict[int, tuple[Issue, ...]] = field(default_factory=dict)
    malformed: list[Malformed] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.roles)

    # -- per-row accessors --------------------------------------------------------------------
    def path(self, i: int) -> str:
        return self.files[int(self.file_id[i])].path

    def format_of(self, i: int) -> str:
        return self.files[int(self.file_id[i])].format

    def kind_of(self, i: int) -> str:
        return FORMATS_BY_NAME[self.format_of(i)].kind

    def line_of(self, i: int) -> int | None:
        v = int(self.line[i])
        return v or None

    def last_assistant(self, i: int) -> int:
        """Position of the last assistant turn of row ``i`` (-1 when there is none)."""
        return self.roles[i].rfind(ASSISTANT)

    def prompt(self, i: int) -> str:
        """Everything the model is given: the turns before the last assistant turn."""
        k = self.last_assistant(i)
        texts = self.texts[i]
        return "\n".join(texts[:k] if k >= 0 else texts)

    def response(self, i: int) -> str:
        """What the model is trained to say: the last assistant turn (the chosen side of a pair)."""
        k = self.last_assistant(i)
        return self.texts[i][k] if k >= 0 else ""

    def full_text(self, i: int) -> str:
        """The whole example, role-marked, with its label and rejected side: the duplicate key."""
        return _full_text(self.roles[i], self.texts[i], self.rejected[i] if self.rejected else None,
                          self.labels[i] if self.labels else None)

    def full_texts(self, lo: int, hi: int) -> list[str]:
        """:meth:`full_text` of rows ``lo`` to ``hi``, the columns read as ranges (one read of the
        text on disk, no per-row lookups)."""
        hi = min(hi, len(self))
        if hi <= lo:
            return []
        none = [None] * (hi - lo)
        rejected = self.rejected[lo:hi] if len(self.rejected) else none
        labels = self.labels[lo:hi] if len(self.labels) else none
        return list(map(_full_text, self.roles[lo:hi], self.texts[lo:hi], rejected, labels))

    def unreadable_rows(self) -> list[int]:
        """Rows (ascending) whose text is missing because their record could not be read as its
        format: a record that is not an object, a missing key, or a value of the wrong type that left
        a turn (or the rejected side) empty. Their text is not the record's, so two different broken
        records must never count as duplicates of each other (they are FT002's)."""
        candidates = sorted(i for i, issues in self.issues.items()
                            if any(x.kind in ("wrong-type", "missing-key") for x in issues))
        out = []
        block = 4096  # the columns are read a block of rows at a time (one read of the text on disk)
        k = 0
        while k < len(candidates):
            lo = candidates[k] - candidates[k] % block
            hi = min(lo + block, len(self))
            texts = self.texts[lo:hi]
            rejected = self.rejected[lo:hi] if len(self.rejected) else [None] * (hi - lo)
            while k < len(candidates) and candidates[k] < hi:
                i = candidates[k]
                t, r = texts[i - lo], rejected[i - lo]
                if not t or any(not x.strip() for x in t) or (r is not None and not r.strip()):
                    out.append(i)
                k += 1
        return out

    @property
    def formats(self) -> list[str]:
        return sorted({f.format for f in self.files})

    def has_labels(self) -> bool:
        values = self.labels.values if isinstance(self.labels, CodedColumn) else self.labels
        return any(v is not None for v in values)

    @staticmethod
    def concat(split: str, parts: list[Dataset]) -> Dataset:
        """Concatenate the per-file datasets of one split. One part is used as it is; several are
        appended column by column, their text streamed block by block (never held whole)."""
        out = Dataset(split=split)
        if not parts:
            return out
        offset_files = 0
        file_ids, indexes, lines = [], [], []
        keys = sorted({k for p in parts for k in p.extras})
        extras: dict[str, list[Any]] = {k: [] for k in keys}
        base = 0
        for p in parts:
            for f in p.files:
                f.split = split
            out.files.extend(p.files)
            file_ids.append(p.file_id + offset_files)
            indexes.append(p.index)
            lines.append(p.line)
            for k in keys:
                extras[k].extend(p.extras.get(k, [None] * len(p)))
            out.issues.update({base + i: v for i, v in p.issues.items()})
            out.malformed.extend(
                Malformed(m.file_id + offset_files, m.index, m.line, m.reason, m.snippet) for m in p.malformed
            )
            offset_files += len(p.files)
            base += len(p)
        if len(parts) == 1:
            p = parts[0]
            out.roles, out.texts, out.labels, out.rejected = p.roles, p.texts, p.labels, p.rejected
        else:
            where = next((p.texts.dir for p in parts if isinstance(p.texts, TextColumn)), None)
            out.texts = concat_text([p.texts for p in parts], where)
            roles, labels, rejected = CodedColumn(), CodedColumn(), OptionalTextColumn(where)
            for p in parts:
                roles.extend(p.roles)
                labels.extend(p.labels if len(p.labels) else [None] * len(p))
                rejected.extend(p.rejected if len(p.rejected) else [None] * len(p))
            out.roles, out.labels, out.rejected = roles.freeze(), labels.freeze(), rejected.freeze()
        out.file_id = np.concatenate(file_ids).astype(np.int32)
        out.index = np.concatenate(indexes).astype(np.int64)
        out.line = np.concatenate(lines).astype(np.int64)
        out.extras = extras
        return out
