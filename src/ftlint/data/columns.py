"""Compact columns of a :class:`~ftlint.data.dataset.Dataset`: text out of memory, no object per row.

- :class:`TextColumn`: every row's tuple of turn strings. Small splits stay a list of tuples; past
  :data:`MEMORY_ROWS` rows or :data:`MEMORY_BYTES` bytes of text, the turns go, UTF-8 encoded, into
  an anonymous temporary file (``tempfile.TemporaryFile``: it has no name on POSIX and disappears
  when closed or when the process ends, however it ends) and two numpy offset arrays (row -> first
  turn, turn -> end byte) locate them. Reads use ``os.pread``, not ``mmap`` (file-backed pages
  would count in the process's RSS), and decode on access; a sequential scan (``ds.texts[i]``,
  ``ds.texts[i + 1]``, ...) reads ahead a block of rows at a time, and :meth:`TextColumn.rows`
  reads a contiguous range at once.
- :class:`CodedColumn`: few distinct values (role strings, labels) as one ``int32`` code per row.
- :class:`OptionalTextColumn`: a text per row or ``None`` (the rejected side of preference pairs),
  stored only for the rows that have one.

Each is a read-only ``Sequence`` (indexing, ``len``, iteration, slices as lists, ``==`` with a
list), so code written for the plain lists keeps working.
"""

from __future__ import annotations

import operator
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: a split stays in memory below this many rows ...
MEMORY_ROWS = 50_000
#: ... and this many bytes of text (characters, counted as the turns are appended)
MEMORY_BYTES = 64 * 2**20
#: a sequential scan reads this many rows ahead (fewer when they exceed READ_AHEAD_BYTES)
READ_AHEAD_ROWS = 1024
READ_AHEAD_BYTES = 4 * 2**20
_WRITE_BUFFER = 8 * 2**20


class SpillError(OSError):
    """The temporary text file could not be created or written (no room, no temporary folder)."""


class _Column(Sequence[Any]):
    """Read-only sequence helpers shared by the columns."""

    def _pos(self, i: Any) -> int:
        i = operator.index(i)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {i} out of range ({n} rows)")
        return i

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, _Column)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} rows)"


class TextColumn(_Column):
    """Every row's turns (``tuple[str, ...]``), appended once by the loader, then read-only.

    ``memory_rows`` / ``memory_bytes`` (defaults :data:`MEMORY_ROWS`, :data:`MEMORY_BYTES`) decide
    when the text moves to a temporary file in ``dir`` (the system temporary directory when None
    or unusable). Call :meth:`freeze` after the last :meth:`append`; :meth:`close` releases the
    file early (it is released anyway when the column is garbage-collected or the process exits).
    """

    def __init__(self, dir: str | Path | None = None, memory_rows: int | None = None,
                 memory_bytes: int | None = None) -> None:
        self.dir = str(dir) if dir is not None else None
        self._memory_rows = MEMORY_ROWS if memory_rows is None else memory_rows
        self._memory_bytes = MEMORY_BYTES if memory_bytes is None else memory_bytes
        self._rows: list[tuple[str, ...]] | None = []  # in-memory storage; None once on disk
        self._chars = 0
        self._file: Any = None
        self._fd = -1
        self._saved: str | None = None
        self._buf = bytearray()
        self._size = 0  # bytes written to the file, buffer included
        self._row_start: Any = array("q", [0])  # per row: index of its first turn (n + 1 entries)
        self._turn_end: Any = array("q", [0])  # per turn: end byte (turns + 1 entries)
        self._n = 0
        self._frozen = False
        self._block: tuple[int, int, list[tuple[str, ...]]] = (0, 0, [])
        self._last = -2

    # -- building -------------------------------------------------------------------------------
    @property
    def on_disk(self) -> bool:
        return self._rows is None

    def append(self, turns: tuple[str, ...]) -> None:
        if self._frozen:
            raise TypeError("TextColumn is read-only once frozen")
        if self._rows is not None:
            self._rows.append(turns)
            self._n += 1
            self._chars += sum(len(t) for t in turns)
            if self._n >= self._memory_rows or self._chars >= self._memory_bytes:
                self._spill()
            return
        self._write_row(turns)

    def extend(self, rows: Iterable[tuple[str, ...]]) -> None:
        for r in rows:
            self.append(r)

    def _write_row(self, turns: tuple[str, ...]) -> None:
        buf, ends = self._buf, self._turn_end
        end = self._size
        for t in turns:
            b = t.encode("utf-8", "surrogatepass")
            buf += b
            end += len(b)
            ends.append(end)
        self._size = end
        self._row_start.append(len(ends) - 1)
        self._n += 1
        if len(buf) >= _WRITE_BUFFER:
            self._flush()

    def _open(self) -> None:
        try:
            try:
                self._file = tempfile.TemporaryFile(prefix="ftlint-text-", dir=self.dir)  # noqa: SIM115 - kept open
            except OSError:
                if self.dir is None:
                    raise
                self._file = tempfile.TemporaryFile(prefix="ftlint-text-")  # noqa: SIM115 - kept open
        except OSError as e:
            raise SpillError(e.errno, f"cannot create a temporary file: {e.strerror or e}") from e
        self._fd = self._file.fileno()

    def _spill(self) -> None:
        rows, self._rows = self._rows or [], None
        self._open()
        self._n = 0
        for r in rows:
            self._write_row(r)
        self._flush()

    def _flush(self) -> None:
        if self._buf:
            view = memoryview(self._buf)
            pos = self._size - len(self._buf)
            while view:
                try:
                    k = os.pwrite(self._fd, view, pos)
                except OSError as e:
                    raise SpillError(e.errno, e.strerror or str(e)) from e
                view, pos = view[k:], pos + k
            view.release()
            self._buf = bytearray()

    def freeze(self) -> TextColumn:
        """End of appends: flush, and turn the offsets into compact numpy arrays."""
        if not self._frozen:
            self._frozen = True
            if self._rows is None:
                self._flush()
                self._row_start = np.frombuffer(self._row_start, dtype=np.int64).copy()
                self._turn_end = np.frombuffer(self._turn_end, dtype=np.int64).copy()
            else:
                self._row_start = self._turn_end = None
        return self

    def close(self) -> None:
        """Release the temporary file (the column is unusable afterwards when it was on disk)."""
        if self._file is not None:
            self._file.close()
            self._file, self._fd = None, -1

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    @property
    def nbytes(self) -> int:
        """Bytes of text on disk (0 in memory)."""
        return self._size if self._rows is None else 0

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def _read(self, lo: int, hi: int) -> list[tuple[str, ...]]:
        self.freeze()  # reading ends the appends
        rs = self._row_start
        t0, t1 = int(rs[lo]), int(rs[hi])
        ends = self._turn_end[t0:t1 + 1]
        base = int(ends[0])
        data = os.pread(self._fd, int(ends[-1]) - base, base) if t1 > t0 else b""
        ends = (ends - base).tolist()
        bounds = map(slice, ends[:-1], ends[1:])
        if data.isascii():  # byte offsets are character offsets: decode once, slice the str
            turns = list(map(data.decode("ascii").__getitem__, bounds))
        else:
            spans = list(bounds)
            try:
                turns = [data[b].decode("utf-8", "surrogatepass") for b in spans]
            except UnicodeDecodeError:  # only a file ftlint did not write (a tampered cache): never an error
                turns = [data[b].decode("utf-8", "replace") for b in spans]
        starts = np.asarray(rs[lo:hi + 1]) - t0
        per_row = np.diff(starts)
        k = int(per_row[0])
        if k and (per_row == k).all():  # every row has k turns (the usual case): group without a loop
            return list(zip(*[iter(turns)] * k))
        starts = starts.tolist()
        return [tuple(turns[starts[r]:starts[r + 1]]) for r in range(hi - lo)]

    def rows(self, lo: int, hi: int) -> list[tuple[str, ...]]:
        """Rows ``lo`` to ``hi`` (clipped to the column), read from disk in one go."""
        lo, hi = max(0, lo), min(hi, self._n)
        if hi <= lo:
            return []
        if self._rows is not None:
            return self._rows[lo:hi]
        return self._read(lo, hi)

    def __getitem__(self, i: Any) -> Any:
        rows = self._rows
        if rows is not None:
            return rows[i]
        lo, hi, block = self._block
        if type(i) is int and lo <= i < hi:  # the fast path of a sequential scan
            self._last = i
            return block[i - lo]
        if isinstance(i, slice):
            lo, hi, step = i.indices(self._n)
            if step == 1:
                return self.rows(lo, hi)
            return [self[j] for j in range(lo, hi, step)]
        i = self._pos(i)
        if lo <= i < hi:
            self._last = i
            return block[i - lo]
        if i == self._last + 1:  # a sequential scan: read ahead
            self.freeze()
            hi = min(self._n, i + READ_AHEAD_ROWS)
            t0 = int(self._row_start[i])
            limit = int(self._turn_end[t0]) + READ_AHEAD_BYTES
            # fewer rows when the block would exceed READ_AHEAD_BYTES (at least one row)
            row_end_bytes = self._turn_end[np.asarray(self._row_start[i + 1:hi + 1])]
            hi = i + max(1, int(np.searchsorted(row_end_bytes, limit, side="right")))
            block = self._read(i, hi)
            self._block = (i, hi, block)
            self._last = i
            return block[0]
        self._last = i
        return self._read(i, i + 1)[0]

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        if self._rows is not None:
            yield from self._rows
            return
        for lo in range(0, self._n, READ_AHEAD_ROWS):
            yield from self._read(lo, min(self._n, lo + READ_AHEAD_ROWS))

    # -- persistence (the loader's cache) -------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Copy the on-disk text to ``path`` (streamed); pickling then refers to that file instead of
        embedding the text. A no-op in memory."""
        if self._rows is not None:
            return
        self.freeze()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            pos = 0
            while pos < self._size:
                chunk = os.pread(self._fd, min(1 << 24, self._size - pos), pos)
                if not chunk:
                    raise OSError("short read from ftlint's temporary text file")
                out.write(chunk)
                pos += len(chunk)
        os.replace(tmp, path)
        # read the copy from now on (the temporary file's room is given back at once); an open file
        # keeps its content on POSIX even if the cache entry is replaced or deleted meanwhile
        saved = open(path, "rb")  # noqa: SIM115 - held for the column's life
        self.close()
        self._file, self._fd, self._saved = saved, saved.fileno(), str(path)
        self._block = (0, 0, [])

    def __reduce__(self) -> Any:
        self.freeze()
        if self._rows is not None:
            return _from_rows, (self._rows,)
        if self._saved is not None and os.path.exists(self._saved):
            return _open_saved, (self._saved, self._size, self._row_start, self._turn_end)
        return _from_bytes, (os.pread(self._fd, self._size, 0) if self._size else b"", self._row_start,
                             self._turn_end)

    def __copy__(self) -> TextColumn:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> TextColumn:
        return self  # read-only once frozen


def _from_rows(rows: list[tuple[str, ...]]) -> TextColumn:
    col = TextColumn(memory_rows=len(rows) + 1, memory_bytes=1 << 62)
    col._rows = rows
    col._n = len(rows)
    return col.freeze()


def _disk_column(row_start: np.ndarray, turn_end: np.ndarray) -> TextColumn:
    col = TextColumn()
    col._rows = None
    col._row_start, col._turn_end = row_start, turn_end
    col._n = len(row_start) - 1
    col._size = int(turn_end[-1])
    col._frozen = True
    return col


def _open_saved(path: str, size: int, row_start: np.ndarray, turn_end: np.ndarray) -> TextColumn:
    """A column reading a file of the cache (opened read-only; not deleted: the cache owns it)."""
    if os.path.getsize(path) != size:
        raise ValueError(f"{path}: cached text has the wrong size")
    col = _disk_column(row_start, turn_end)
    col._file = open(path, "rb")  # noqa: SIM115 - held for the column's life
    col._fd = col._file.fileno()
    col._saved = path
    return col


def _from_bytes(data: bytes, row_start: np.ndarray, turn_end: np.ndarray) -> TextColumn:
    col = _disk_column(row_start, turn_end)
    col._open()
    col._buf = bytearray(data)
    col._frozen = False
    col._flush()
    col._frozen = True
    return col


def concat_text(parts: Sequence[Sequence[tuple[str, ...]]], dir: str | Path | None = None) -> TextColumn:
    """One column of the rows of ``parts`` in order, appended row block by row block (nothing is
    held whole: a column on disk stays on disk)."""
    out = TextColumn(dir)
    for p in parts:
        if isinstance(p, TextColumn):
            for lo in range(0, len(p), READ_AHEAD_ROWS):
                out.extend(p.rows(lo, lo + READ_AHEAD_ROWS))
        else:
            out.extend(p)
    return out.freeze()


class CodedColumn(_Column):
    """A column of few distinct hashable values (``None`` included), one ``int32`` code per row."""

    def __init__(self, values: Iterable[Any] = ()) -> None:
        self._values: list[Any] = []
        self._code: dict[Any, int] = {}
        self._codes: Any = array("i")
        self._frozen = False
        for v in values:
            self.append(v)

    def append(self, value: Any) -> None:
        c = self._code.get(value)
        if c is None:
            c = self._code[value] = len(self._values)
            self._values.append(value)
        self._codes.append(c)

    def extend(self, values: Iterable[Any]) -> None:
        for v in values:
            self.append(v)

    def freeze(self) -> CodedColumn:
        if not self._frozen:
            self._frozen = True
            self._code = {}
        return self

    @property
    def values(self) -> list[Any]:
        """The distinct values, in order of first appearance."""
        return list(self._values)

    @property
    def codes(self) -> np.ndarray:
        return np.frombuffer(self._codes, dtype=np.int32) if len(self._codes) else np.zeros(0, np.int32)

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, i: Any) -> Any:
        # the codes are an array('i'): 4 bytes a row, and indexing it is cheaper than numpy's
        if type(i) is slice:
            vals = self._values
            return [vals[c] for c in self._codes[i]]
        try:
            return self._values[self._codes[i]]
        except IndexError:
            raise IndexError(f"row {i} out of range ({len(self)} rows)") from None

    def __iter__(self) -> Iterator[Any]:
        vals = self._values
        for c in self._codes:
            yield vals[c]

    def __contains__(self, value: object) -> bool:
        try:
            return value in self._values
        except TypeError:
            return False

    def __reduce__(self) -> Any:
        self.freeze()
        return _coded, (self._values, self._codes)


def _coded(values: list[Any], codes: Any) -> CodedColumn:
    col = CodedColumn()
    col._values, col._codes, col._frozen = values, array("i", codes), True
    return col


class OptionalTextColumn(_Column):
    """A text or ``None`` per row; only the rows with a text take room (their position and text)."""

    def __init__(self, dir: str | Path | None = None, memory_rows: int | None = None,
                 memory_bytes: int | None = None) -> None:
        self._n = 0
        self._where: Any = array("q")
        self._texts = TextColumn(dir, memory_rows, memory_bytes)
        self._frozen = False

    def append(self, value: str | None) -> None:
        if value is not None:
            self._where.append(self._n)
            self._texts.append((value,))
        self._n += 1

    def extend(self, values: Iterable[str | None]) -> None:
        for v in values:
            self.append(v)

    def freeze(self) -> OptionalTextColumn:
        if not self._frozen:
            self._frozen = True
            self._where = np.frombuffer(self._where, dtype=np.int64).copy()
            self._texts.freeze()
        return self

    def close(self) -> None:
        self._texts.close()

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            if not len(self._where):
                return [None] * len(range(*i.indices(self._n)))
            return [self[j] for j in range(*i.indices(self._n))]
        where = self._where
        m = len(where)
        if m == 0 and type(i) is int and -self._n <= i < self._n:
            return None
        i = self._pos(i)
        if m == self._n:  # every row has a text
            return self._texts[i][0]
        k = int(np.searchsorted(where, i)) if isinstance(where, np.ndarray) else _bisect(where, i)
        if k < len(where) and where[k] == i:
            return self._texts[k][0]
        return None

    def __iter__(self) -> Iterator[str | None]:
        where = np.asarray(self._where)
        k = 0
        texts = iter(self._texts)
        for i in range(self._n):
            if k < len(where) and where[k] == i:
                k += 1
                yield next(texts)[0]
            else:
                yield None

    def __reduce__(self) -> Any:
        self.freeze()
        return _optional, (self._n, self._where, self._texts)


def _bisect(arr: Any, x: int) -> int:
    import bisect

    return bisect.bisect_left(arr, x)


def _optional(n: int, where: np.ndarray, texts: TextColumn) -> OptionalTextColumn:
    col = OptionalTextColumn()
    col._n, col._where, col._texts, col._frozen = n, where, texts, True
    return col


def save_text_columns(columns: Iterable[Any], path_of: Any) -> None:
    """Copy the on-disk text of ``columns`` next to a cache entry (``path_of(k)``: the k-th file)."""
    k = 0
    for c in columns:
        col = c._texts if isinstance(c, OptionalTextColumn) else c
        if isinstance(col, TextColumn) and col.on_disk:
            col.save(path_of(k))
            k += 1


__all__ = ["MEMORY_BYTES", "MEMORY_ROWS", "CodedColumn", "OptionalTextColumn", "SpillError", "TextColumn",
           "concat_text", "save_text_columns"]
