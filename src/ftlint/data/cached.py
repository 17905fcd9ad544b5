"""A loaded dataset file as a cache entry (``data.load``'s cache): arrays and JSON, never a pickle.

The text of a split that is on disk (``data.columns``) is a side file of the entry
(``Cache.side_path``), referred to by number; the text of a small split is one UTF-8 array of the
entry. Reading checks every offset, code and row position against the others and the side file's
size, so an entry that does not describe a consistent split is a miss.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from ftlint.cache import (
    Arr,
    Int,
    Invalid,
    Map,
    Opt,
    Reader,
    Rec,
    Scalar,
    Schema,
    Seq,
    Str,
    Unencodable,
    Writer,
    read_regular,
)
from ftlint.data.columns import CodedColumn, OptionalTextColumn, TextColumn, _disk_column, _from_rows, _optional
from ftlint.data.dataset import Dataset, Malformed, SourceFile
from ftlint.data.schema import FORMATS_BY_NAME, ROLE_NAMES, Issue

#: side files an entry may have (the turns, the rejected side)
MAX_SIDE_FILES = 2


def _rows_of_blob(data: bytes, row_start: np.ndarray, turn_end: np.ndarray) -> list[tuple[str, ...]]:
    bounds = map(slice, turn_end[:-1].tolist(), turn_end[1:].tolist())
    if data.isascii():  # byte offsets are character offsets
        turns = list(map(data.decode("ascii").__getitem__, bounds))
    else:
        turns = [data[b].decode("utf-8", "surrogatepass") for b in bounds]
    per_row = np.diff(row_start)
    k = int(per_row[0]) if len(per_row) else 0
    if k and (per_row == k).all():  # every row has k turns (the usual case): group without a loop
        return list(zip(*[iter(turns)] * k))
    starts = row_start.tolist()
    return [tuple(turns[starts[r]:starts[r + 1]]) for r in range(len(starts) - 1)]


class TextCol(Schema):
    """A :class:`TextColumn` of ``rows`` rows (a length symbol)."""

    def __init__(self, rows: str) -> None:
        self.rows = rows

    def enc(self, col: Any, w: Writer) -> Any:
        if type(col) is not TextColumn:
            raise Unencodable(f"expected a TextColumn, got {type(col).__name__}")
        col.freeze()
        if not col.on_disk:
            rows = col._rows or []
            parts = [t.encode("utf-8", "surrogatepass") for r in rows for t in r]
            turn_end = np.zeros(len(parts) + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)), out=turn_end[1:])
            row_start = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)), out=row_start[1:])
            return {"text": w.array(np.frombuffer(b"".join(parts), dtype=np.uint8)),
                    "row_start": w.array(row_start), "turn_end": w.array(turn_end)}
        k = next((k for k in range(MAX_SIDE_FILES) if w.side is not None and str(w.side(k)) == col._saved), None)
        if k is None:
            raise Unencodable("the text is not in a side file of the entry")
        return {"file": k, "row_start": w.array(np.asarray(col._row_start, dtype=np.int64)),
                "turn_end": w.array(np.asarray(col._turn_end, dtype=np.int64))}

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not dict or set(x) not in ({"text", "row_start", "turn_end"}, {"file", "row_start", "turn_end"}):
            raise Invalid("expected a text column")
        row_start = Arr(np.int64, None).dec(x["row_start"], r)
        turn_end = Arr(np.int64, None).dec(x["turn_end"], r)
        if (not len(row_start) or not len(turn_end) or row_start[0] != 0 or turn_end[0] != 0
                or int(row_start[-1]) != len(turn_end) - 1
                or np.any(np.diff(row_start) < 0) or np.any(np.diff(turn_end) < 0)):
            raise Invalid("inconsistent text offsets")
        r.dim(self.rows, len(row_start) - 1, "text column")
        size = int(turn_end[-1])
        if "text" in x:
            blob = Arr(np.uint8, size).dec(x["text"], r)
            return _from_rows(_rows_of_blob(blob.tobytes(), row_start, turn_end))
        k = Int(0, MAX_SIDE_FILES).dec(x["file"], r)
        if r.side is None:
            raise Invalid("no side files")
        path = r.side(k)
        fh = read_regular(path, size)
        if fh is None:
            raise Invalid(f"side file {k} missing or of the wrong size")
        col = _disk_column(row_start, turn_end)
        col._file, col._fd, col._saved = fh, fh.fileno(), str(path)
        return col


class CodedCol(Schema):
    """A :class:`CodedColumn` of ``rows`` rows whose distinct values are of ``value``."""

    def __init__(self, value: Schema, rows: str) -> None:
        self.values, self.rows = Seq(value), rows

    def enc(self, col: Any, w: Writer) -> Any:
        if type(col) is not CodedColumn:
            raise Unencodable(f"expected a CodedColumn, got {type(col).__name__}")
        col.freeze()
        return {"values": self.values.enc(col._values, w), "codes": w.array(col.codes)}

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not dict or set(x) != {"values", "codes"}:
            raise Invalid("expected a coded column")
        values = self.values.dec(x["values"], r)
        codes = Arr(np.int32, self.rows, lo=0, hi=len(values)).dec(x["codes"], r)
        col = CodedColumn()
        col._values, col._frozen = values, True
        col._codes = array("i")
        col._codes.frombytes(codes.astype(np.intc, copy=False).tobytes())
        return col


class OptionalTextCol(Schema):
    """An :class:`OptionalTextColumn` of ``rows`` rows."""

    def __init__(self, rows: str) -> None:
        self.rows = rows
        self.texts = TextCol(f"{rows}.texts")

    def enc(self, col: Any, w: Writer) -> Any:
        if type(col) is not OptionalTextColumn:
            raise Unencodable(f"expected an OptionalTextColumn, got {type(col).__name__}")
        col.freeze()
        return {"rows": col._n, "where": w.array(col._where), "texts": self.texts.enc(col._texts, w)}

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not dict or set(x) != {"rows", "where", "texts"}:
            raise Invalid("expected an optional text column")
        n = Int(0, eq=self.rows).dec(x["rows"], r)
        where = Arr(np.int64, self.texts.rows, lo=0, hi=n, increasing=True).dec(x["where"], r)
        texts = self.texts.dec(x["texts"], r)
        if np.any(_turns_per_row(texts) != 1):  # one text per row that has one
            raise Invalid("optional text rows of other than one text")
        return _optional(n, where, texts)


def _turns_per_row(col: TextColumn) -> np.ndarray:
    if col.on_disk:
        return np.diff(col._row_start)
    return np.fromiter(map(len, col._rows or []), dtype=np.int64, count=len(col))


def _consistent(ds: Dataset, r: Reader) -> bool:
    """Each row has as many turns as role codes, of known roles, in files of known formats."""
    roles = ds.roles
    if not isinstance(roles, CodedColumn) or not isinstance(ds.texts, TextColumn) or len(ds.files) != 1:
        return False
    if not all(isinstance(v, str) and set(v) <= ROLE_NAMES.keys() for v in roles._values):
        return False
    if not all(f.format in FORMATS_BY_NAME for f in ds.files):
        return False
    per_role = np.array([len(v) for v in roles._values] or [0], dtype=np.int64)[roles.codes]
    return bool(np.array_equal(per_role, _turns_per_row(ds.texts)))


_SOURCE = Rec(SourceFile, path=Str, abspath=Str, split=Str, split_source=Str, format=Str, records=Int(0),
              content_hash=Str)
_ISSUE = Rec(Issue, kind=Str, detail=Str, key=Opt(Str))
_MALFORMED = Rec(Malformed, file_id=Int(0, "files"), index=Int(0), line=Opt(Int()), reason=Str, snippet=Str)

#: a :class:`Dataset` as ``load_dataset_file`` returns it (one file; ``n`` rows)
DATASET = Rec(
    Dataset, check=_consistent,
    split=Str,
    files=Seq(_SOURCE, "files"),
    file_id=Arr(np.int32, "n", lo=0, hi="files"),
    index=Arr(np.int64, "n"),
    line=Arr(np.int64, "n"),
    roles=CodedCol(Str, "n"),
    texts=TextCol("n"),
    labels=CodedCol(Scalar, "n"),
    rejected=OptionalTextCol("n"),
    extras=Map(Str, Seq(Scalar, "n")),
    issues=Map(Int(0, "n"), Seq(_ISSUE, tuple=True)),
    malformed=Seq(_MALFORMED),
)

__all__ = ["DATASET", "CodedCol", "OptionalTextCol", "TextCol"]
