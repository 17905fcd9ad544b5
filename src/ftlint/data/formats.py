"""One reader and one writer per file format: JSONL, JSON, CSV/TSV, Parquet and Arrow (``datasets``
``save_to_disk`` shards), plain or compressed (``.gz``, ``.bz2``, ``.xz``, ``.zst``).

The loader (``data.load``) and ``ftlint fix`` read files through the same :class:`FileFormat`, so a
record's identity (its 0-based ``index`` among the file's records, malformed ones included) and its
1-based source ``line`` are numbered here and nowhere else.

The pieces:

- A :class:`Source` is where a file's bytes come from. :class:`FileSource` reads a local file, plain
  or compressed (decompressed as it is read, never to a copy). A remote file (fsspec) or a file of
  the Hugging Face cache is another ``Source``: it overrides :meth:`Source.open_raw` (and
  :meth:`Source.content_hash`), and everything else works on the bytes it gives.
- A :class:`FileFormat` sniffs a file's first bytes (:meth:`FileFormat.sniff`), yields its
  :class:`Record` s (:meth:`FileFormat.iter_records`) and writes records back
  (:meth:`FileFormat.writer`), copying each one as it was read (``Record.raw``) unless a column is
  set on it.
- Line-based formats can be read in byte ranges: :meth:`JsonlFormat.partitions` cuts an uncompressed
  JSONL file at line starts and counts each part's records and lines, so that a part's first index
  and line are prefix sums and ``iter_records(source, start=..., end=..., index=..., line=...)``
  numbers its records exactly as a read of the whole file does. A Parquet file is read by row group
  the same way (:meth:`ParquetFormat.partitions`: ``start``/``end`` are row-group numbers, small
  row groups merged into one part). JSON arrays and CSV/TSV are read whole (a quoted CSV field may
  hold newlines, so a byte range is not known to start a record).

A record that cannot be read is a ``Record`` with ``error`` set (FT001), never an exception; a file
that cannot be read at all raises :class:`~ftlint.errors.InputError`. A compressed file that ends
early (a truncated download) yields its complete records and then one malformed record where the
data stops.
"""

from __future__ import annotations

import bisect
import bz2
import csv
import gzip
import io
import json
import lzma
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, cast

import orjson
import xxhash

from ftlint.errors import InputError
from ftlint.grammar import plural

_BOM = b"\xef\xbb\xbf"

# -- records -----------------------------------------------------------------------------------------


class Record(NamedTuple):
    """One record of a file, as its format reads it."""

    #: 0-based position among the file's records (malformed ones included): the row's identity
    index: int  # type: ignore[assignment]  # a field named like tuple.index, on purpose
    #: 1-based line where the record starts (None where a format has no lines: Parquet, Arrow)
    line: int | None
    #: the parsed record (a dict for a well-formed one); None when ``error`` is set
    value: Any
    #: why the record cannot be read (an FT001 reason), or None
    error: str | None
    #: the source text of a malformed record, for its snippet ("" otherwise)
    text: str
    #: what the format's writer copies to write the record unchanged (JSONL: the line's bytes; CSV:
    #: its fields; JSON: its value; Parquet/Arrow: (batch, row)); None when there is nothing to copy
    raw: Any


#: ``_new(Record, (index, line, value, error, text, raw))``: a Record at a tenth of the cost of calling
#: the class (the readers build one per record)
_new = tuple.__new__

#: (line, value, error, text) of the JSON parser
_Parsed = tuple[int, Any, "str | None", str]


#: ``iconv -f`` names of the encodings :func:`encoding_guess` names
ICONV_NAMES = {"Latin-1": "LATIN1", "Windows-1252": "CP1252"}
_GUESS = re.compile(r"the bytes look like (?P<enc>[\w-]+)")


def encoding_guess(data: bytes) -> str | None:
    """The single-byte encoding that bytes which are not UTF-8 most likely are: "Windows-1252" when
    they use its 0x80-0x9f characters, else "Latin-1", provided the non-ASCII bytes stand alone
    between ASCII characters (accented letters of Western European text); None when they come in
    runs (another script, or a multi-byte encoding)."""
    high = [i for i, b in enumerate(data) if b >= 0x80]
    if not high:
        return None
    alone = sum(1 for i in high if (i == 0 or data[i - 1] < 0x80) and (i + 1 >= len(data) or data[i + 1] < 0x80))
    if alone * 2 < len(high):
        return None
    if any(data[i] <= 0x9F for i in high):
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return None
        return "Windows-1252"
    return "Latin-1"


def not_utf8_reason(what: str, data: bytes) -> str:
    """``line is not valid UTF-8 (byte 0xe9 at column 7; the bytes look like Latin-1: 'é')``."""
    try:
        data.decode("utf-8")
        return f"{what} is not valid UTF-8"
    except UnicodeDecodeError as e:
        pos = e.start
    detail = f"byte 0x{data[pos]:02x} at column {pos + 1}" if what == "line" else f"byte 0x{data[pos]:02x}"
    guess = encoding_guess(data)
    if guess is not None:
        char = data[pos:pos + 1].decode("cp1252" if guess == "Windows-1252" else "latin-1")
        detail += f"; the bytes look like {guess}: {char!r}"
    return f"{what} is not valid UTF-8 ({detail})"


def encoding_of(reasons: Iterable[str]) -> tuple[int, str | None]:
    """How many of these FT001 reasons are undecodable bytes, and the encoding most of them look like."""
    n = 0
    guesses: dict[str, int] = {}
    for r in reasons:
        if "not valid UTF-8" not in r:
            continue
        n += 1
        m = _GUESS.search(r)
        if m:
            guesses[m.group("enc")] = guesses.get(m.group("enc"), 0) + 1
    best = max(sorted(guesses), key=lambda k: guesses[k]) if guesses else None
    return n, best


def _decode_line(raw: bytes) -> tuple[str | None, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, not_utf8_reason("line", raw.rstrip(b"\r\n"))




#: JavaScript constants Python's json module reads but JSON does not allow
_CONSTANTS = ("NaN", "Infinity", "-Infinity")


def _json_constant(text: str) -> str | None:
    """The constant (``NaN``, ``Infinity``, ``-Infinity``) that makes ``text`` invalid JSON, when
    that is the only reason it is (Python's json reads them; JSON parsers such as orjson do not)."""
    if not any(c in text for c in _CONSTANTS):
        return None
    found: list[str] = []
    try:
        json.loads(text, parse_constant=_collecting(found))
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None


def _collecting(into: list[str]) -> Callable[[str], float]:
    """A ``parse_constant`` for Python's json that notes each constant it meets in ``into``."""

    def parse(constant: str) -> float:
        into.append(constant)
        return 0.0

    return parse


def _constant_reason(constant: str) -> str:
    return (f"invalid JSON: {constant} is not a JSON value (pandas and Python's json write it for a missing or "
            "infinite number); write null, or a number")


_WS = re.compile(r"[ \t\n\r]*")


_SURROGATE = re.compile("[\udc80-\udcff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _iter_json(data: bytes) -> Iterator[_Parsed]:
    """A JSON array of records, one object, or concatenated objects/arrays, with start lines."""
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    bad_bytes = [m.start() for m in _SURROGATE.finditer(text)]
    constants: list[str] = []
    dec = json.JSONDecoder(parse_constant=_collecting(constants))
    line, line_pos = 1, 0

    def line_at(p: int) -> int:
        nonlocal line, line_pos
        line += text.count("\n", line_pos, p)
        line_pos = p
        return line

    def ws(p: int) -> int:
        return _WS.match(text, p).end()  # type: ignore[union-attr]

    def fail(e: json.JSONDecodeError) -> _Parsed:
        ln = text.count("\n", 0, e.pos) + 1
        return (ln, None, f"invalid JSON ({e.msg}); the records after this point could not be read",
                _clean(text[max(0, e.pos - 60): e.pos + 60]))

    def record(start: int) -> tuple[_Parsed, int]:
        start_line = line_at(start)
        try:
            obj, end = dec.raw_decode(text, start)
        except json.JSONDecodeError as e:
            return fail(e), -1
        except RecursionError:  # json's decoder recurses once per level of nesting
            return (start_line, None, "invalid JSON: a record is nested too deeply to read; the records after it "
                    "could not be read", _clean(text[start: start + 120])), -1
        i = bisect.bisect_left(bad_bytes, start)
        if i < len(bad_bytes) and bad_bytes[i] < end:
            bad_line = text.count("\n", 0, bad_bytes[i]) + 1
            return (bad_line, None, not_utf8_reason("record", text[start:end].encode("utf-8", "surrogateescape")),
                    _clean(text[start:end])), end
        if constants:
            found, constants[:] = constants[0], []
            return (start_line, None, _constant_reason(found), _clean(text[start:end])), end
        if _SURROGATE_ESCAPE.search(text, start, end):
            try:
                orjson.dumps(obj)
            except TypeError:
                return (start_line, None, "invalid \\u escape: a lone surrogate (a cut emoji?)",
                        _clean(text[start:end])), end
        return (start_line, obj, None, ""), end

    pos = ws(0)
    while pos < len(text):
        if text[pos] == "[":
            pos = ws(pos + 1)
            while True:
                if pos >= len(text):
                    yield line_at(pos), None, "invalid JSON: the array is not closed; the file may be truncated", ""
                    return
                if text[pos] == "]":
                    pos = ws(pos + 1)
                    break
                item, pos = record(pos)
                yield item
                if pos < 0:
                    return
                pos = ws(pos)
                if pos < len(text) and text[pos] == ",":
                    pos = ws(pos + 1)
                elif pos < len(text) and text[pos] == "]":
                    continue
                elif pos < len(text):
                    yield fail(json.JSONDecodeError("expected ',' or ']' between array items", text, pos))
                    return
        else:
            # one object, or several concatenated objects (JSONL saved with a .json name)
            item, pos = record(pos)
            yield item
            if pos < 0:
                return
            pos = ws(pos)


def _clean(text: str) -> str:
    """Text safe to print: undecodable bytes and lone surrogates become U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if not text.isascii() else text


_JSONISH = ("messages", "conversations", "chosen", "rejected", "prompt", "completion", "chosen_messages",
            "rejected_messages", "history")


# -- sources: where the bytes come from --------------------------------------------------------------

#: compressed-file suffix -> compression name (as reports show it)
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}


class _Guarded(io.RawIOBase):
    """The decompressed bytes of a compressed stream. A stream that ends early or breaks after some
    data was read ends there (:attr:`error` says why): the reader yields what came before it. One
    that is not of its compression at all raises :class:`InputError`."""

    def __init__(self, inner: Any, compression: str, shown: str) -> None:
        self.inner = inner
        self.compression = compression
        self.shown = shown
        self.error: str | None = None
        self.seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self.error is not None:
            return 0
        try:
            data = self.inner.read1(len(buf))
        except EOFError:
            self.error = f"the file is truncated: its {self.compression} data ends {{where}}"
            return 0
        except (OSError, ValueError, zlib.error, lzma.LZMAError, _ZstdError) as e:
            detail = " ".join(str(e).split()) or type(e).__name__
            if self.seen == 0:
                raise InputError(f"cannot read {self.compression}-compressed file: not {self.compression} data "
                                 f"({detail})", self.shown) from None
            self.error = f"the {self.compression} data is corrupt {{where}} ({detail})"
            return 0
        n = len(data)
        buf[:n] = data
        self.seen += n
        return n

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            super().close()


class _ZstdReader:
    """zstd frames of a binary file, decompressed with ``read1``; input that stops inside a frame
    raises EOFError (``zstandard``'s own stream reader returns a silent end there)."""

    def __init__(self, fh: IO[bytes]) -> None:
        import zstandard

        self._new = zstandard.ZstdDecompressor().decompressobj
        self._fh = fh
        self._dobj = self._new()
        self._pending = b""
        self._open_frame = False

    def read1(self, n: int = -1) -> bytes:
        while not self._pending:
            chunk = self._fh.read(1 << 16)
            if not chunk:
                if self._open_frame:
                    raise EOFError("compressed file ended before the end of a zstd frame")
                return b""
            while chunk:
                self._open_frame = True
                out = self._dobj.decompress(chunk)
                self._pending += out
                if self._dobj.eof:
                    chunk = self._dobj.unused_data
                    self._dobj = self._new()
                    self._open_frame = False
                else:
                    chunk = b""
        n = len(self._pending) if n is None or n < 0 else n
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def close(self) -> None:
        self._fh.close()


try:  # zstandard is a dependency; without it a .zst file is a located error, not a traceback
    from zstandard import ZstdError as _ZstdError
except ImportError:  # pragma: no cover - zstandard is installed with ftlint
    class _ZstdError(Exception):  # type: ignore[no-redef]
        pass


def _decompressing(fh: IO[bytes], compression: str, shown: str) -> IO[bytes]:
    if compression == "gzip":
        inner: Any = gzip.GzipFile(fileobj=fh, mode="rb")
    elif compression == "bzip2":
        inner = bz2.BZ2File(fh, "rb")
    elif compression == "xz":
        inner = lzma.LZMAFile(fh, "rb")  # noqa: SIM115 - returned open, closed by the caller
    else:
        try:
            inner = _ZstdReader(fh)
        except ImportError:
            fh.close()
            raise InputError("reading .zst files needs the zstandard package (`pip install zstandard`)",
                             shown) from None
    return io.BufferedReader(_Guarded(inner, compression, shown), 1 << 16)


def stream_error(fh: IO[bytes]) -> str | None:
    """Why a stream from :meth:`Source.open` ended before its data did (a truncated or corrupt
    compressed file), once it has been read to its end; None for a complete one."""
    return getattr(getattr(fh, "raw", None), "error", None)


class Source(Protocol):
    """Where a file's bytes come from (a local file, a compressed one, a remote one)."""

    @property
    def shown(self) -> str:
        """The path as reports show it."""
        ...

    @property
    def compression(self) -> str | None:
        """"gzip", "bzip2", "xz", "zstd", or None."""
        ...

    def open_raw(self) -> IO[bytes]:
        """The file's bytes as stored (compressed if it is), seekable where the storage is."""
        ...

    def content_hash(self) -> str:
        """A hash of the stored bytes (the loader's cache key)."""
        ...


def open_source(source: Source) -> IO[bytes]:
    """A binary stream of the (decompressed) bytes of ``source``; a read error is an InputError."""
    try:
        fh = source.open_raw()
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", source.shown) from None
    return _decompressing(fh, source.compression, source.shown) if source.compression else fh


def read_head(source: Source, n: int = 8192) -> bytes:
    """The first ``n`` (decompressed) bytes of ``source``."""
    with open_source(source) as fh:
        try:
            return fh.read(n)
        except OSError as e:
            raise InputError(f"cannot read file: {e.strerror or e}", source.shown) from None


@dataclass(frozen=True)
class FileSource:
    """A local file, plain or compressed."""

    path: Path
    shown: str
    compression: str | None = None

    def open_raw(self) -> IO[bytes]:
        return open(self.path, "rb")

    def content_hash(self) -> str:
        h = xxhash.xxh3_128()
        with open(self.path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                h.update(chunk)
        return h.hexdigest()

    @property
    def seekable(self) -> bool:
        """Whether byte ranges of the (decompressed) data can be read directly."""
        return self.compression is None


def _truncated(reason: str, last_line: int) -> str:
    """The FT001 reason of a compressed stream that stops after ``last_line`` complete lines (the
    finding sits at that last good line: :func:`_last_good`)."""
    where = f"after line {last_line:,}" if last_line else "before its first line"
    return reason.replace("{where}", where, 1) + "; the rest of the file could not be read"


def _last_good(last_line: int) -> int:
    """Where a truncated stream's FT001 sits: its last complete line (line 1 when none is complete)."""
    return max(last_line, 1)


# -- formats -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadOptions:
    """What a format needs to know beyond the bytes: CSV columns whose cells hold JSON."""

    json_columns: frozenset[str] = frozenset()


DEFAULT_OPTIONS = ReadOptions()


class RecordWriter(Protocol):
    """Writes records of one format to one file: each as it was read, with columns set on request."""

    #: records written so far
    rows: int

    def add(self, record: Record, values: Mapping[str, Any] | None = None) -> None: ...

    def close(self) -> None: ...


class FileFormat:
    """One file format: how to recognise it, read its records and write them back."""

    #: short name ("jsonl", "csv", ...)
    name: str = ""
    #: file-name suffixes (lower case, with the dot)
    suffixes: tuple[str, ...] = ()
    #: whether the format can be read through a decompressing stream (Parquet cannot: it seeks)
    compressible: bool = True
    #: whether :meth:`iter_records` takes ranges (``start``/``end``: byte offsets for JSONL, row
    #: groups for Parquet) and the format has a ``partitions(source, size)`` that cuts them
    splittable: bool = False

    def sniff(self, head: bytes) -> str | None:
        """Why a file whose (decompressed) data starts with ``head`` is not of this format; None
        when it may be."""
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "file is UTF-16 encoded; save it as UTF-8"
        if b"\x00" in head:
            return "not a text file (binary content); expected JSONL, JSON, CSV, TSV or Parquet"
        return None

    def iter_records(self, source: Source, *, start: int = 0, end: int | None = None, index: int = 0,
                     line: int = 1, options: ReadOptions = DEFAULT_OPTIONS) -> Iterator[Record]:
        """The records of ``source``, numbered from ``index`` and ``line``; ``start``/``end`` (byte
        offsets at line starts; row groups of a Parquet file) read one part of a :attr:`splittable`
        format."""
        raise NotImplementedError

    def writer(self, path: Path, like: Source, add_columns: Sequence[str] = ()) -> RecordWriter:
        """A writer of records read from ``like`` to ``path`` (compressed as its name says), with
        ``add_columns`` added to every record when they are not there yet."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<FileFormat {self.name}>"


def _open_write(path: Path) -> IO[bytes]:
    """A binary file to write, compressed as its name says (gzip without a timestamp: the same
    records give the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    compression = compression_of(path.name)
    if compression is None:
        return open(path, "wb")
    if compression == "gzip":
        raw = open(path, "wb")  # noqa: SIM115
        return cast(IO[bytes], _Stacked(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0), raw))
    if compression == "bzip2":
        return bz2.BZ2File(path, "wb")
    if compression == "xz":
        return lzma.LZMAFile(path, "wb")
    import zstandard

    raw = open(path, "wb")  # noqa: SIM115
    return zstandard.ZstdCompressor().stream_writer(raw, closefd=True)


class _Stacked(io.RawIOBase):
    """A writer over a file it does not close itself (``GzipFile(fileobj=...)``): closes both."""

    def __init__(self, outer: Any, raw: IO[bytes]) -> None:
        self.outer = outer
        self.raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.outer.write(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                self.outer.close()
            finally:
                self.raw.close()
        super().close()


class _Writer:
    """The common part of the writers: one output file, records counted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0


# JSONL ---------------------------------------------------------------------------------------------------

class _JsonlWriter(_Writer):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._fh = _open_write(path)

    def add(self, record: Record, values: Mapping[str, Any] | None = None) -> None:
        raw = record.raw
        if raw is None:
            return
        if values:
            try:
                rec = orjson.loads(raw)
            except orjson.JSONDecodeError:
                rec = None
            if isinstance(rec, dict):
                rec.update(values)
                raw = orjson.dumps(rec)
        self._fh.write(raw + b"\n")
        self.rows += 1

    def close(self) -> None:
        self._fh.close()


class JsonlFormat(FileFormat):
    """One JSON value per line. Blank lines are skipped (not records) but counted as lines; a BOM on
    the first line is ignored; a line that is not valid UTF-8 or not valid JSON is a malformed
    record. Read one line at a time (a large file is never held whole)."""

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")
    splittable = True

    def iter_records(self, source: Source, *, start: int = 0, end: int | None = None, index: int = 0,
                     line: int = 1, options: ReadOptions = DEFAULT_OPTIONS) -> Iterator[Record]:
        lineno = line - 1
        pos = start
        with open_source(source) as fh:
            try:
                if start:
                    fh.seek(start)
                for raw in fh:
                    if end is not None:
                        if pos >= end:
                            break
                        pos += len(raw)
                    lineno += 1
                    if lineno == 1 and start == 0 and raw.startswith(_BOM):
                        raw = raw[3:]
                    if not raw.endswith(b"\n") and (err := stream_error(fh)) is not None:
                        # the last line of a file that ends early: cut, not a record
                        yield Record(index, _last_good(lineno - 1), None, _truncated(err, lineno - 1),
                                     raw.decode("utf-8", "replace"), None)
                        return
                    if not raw.strip():
                        continue
                    body = raw.rstrip(b"\r\n")
                    text, err = _decode_line(raw)
                    if err is not None:
                        yield Record(index, lineno, None, err, raw.decode("utf-8", "replace"), body)
                    else:
                        try:
                            yield _new(Record, (index, lineno, orjson.loads(body), None, "", body))
                        except orjson.JSONDecodeError as e:
                            constant = _json_constant(text or "")
                            msg = _constant_reason(constant) if constant else f"invalid JSON: {str(e).split(':')[0]}"
                            yield Record(index, lineno, None, msg, text or "", body)
                    index += 1
            except OSError as e:
                raise InputError(f"cannot read file: {e.strerror or e}", source.shown) from None
            err = stream_error(fh)
            if err is not None:
                yield Record(index, _last_good(lineno), None, _truncated(err, lineno), "", None)

    def writer(self, path: Path, like: Source, add_columns: Sequence[str] = ()) -> RecordWriter:
        return _JsonlWriter(path)

    def partitions(self, source: FileSource, size: int) -> list[Partition]:
        """Cut an uncompressed file into parts of about ``size`` bytes at line starts, with each
        part's records and lines counted, and its first record index and line (prefix sums):
        reading every part with ``iter_records(source, start=p.start, end=p.end, index=p.index,
        line=p.line)`` gives exactly the records of one read of the whole file."""
        if not source.seekable:
            raise ValueError(f"{source.shown}: a compressed file cannot be read in byte ranges")
        size = max(1, int(size))
        parts: list[Partition] = []
        index, line, start = 0, 1, 0
        with source.open_raw() as fh:
            while True:
                fh.seek(start)
                records = lines = 0
                pos = start
                for raw in fh:
                    pos += len(raw)
                    lines += 1
                    body = raw[3:] if start == 0 and lines == 1 and raw.startswith(_BOM) else raw
                    if body.strip():
                        records += 1
                    if pos - start >= size:
                        break
                if pos == start:
                    break
                parts.append(Partition(start, pos, records, lines, index, line))
                index += records
                line += lines
                start = pos
        return parts


class Partition(NamedTuple):
    """A part of a :attr:`~FileFormat.splittable` file: ``[start, end)`` (bytes of a line-based file,
    row groups of a Parquet file), its record and line counts, and the index and line of its first
    record (the sums of the parts before it)."""

    start: int
    end: int
    records: int
    lines: int
    index: int  # type: ignore[assignment]  # a field named like tuple.index, on purpose
    line: int


# JSON ----------------------------------------------------------------------------------------------------

class JsonFormat(FileFormat):
    """A JSON array of records, one object, or concatenated objects/arrays (JSONL saved as .json). The
    data is parsed whole; each record's line is the line it starts on."""

    name = "json"
    suffixes = (".json",)

    def iter_records(self, source: Source, *, start: int = 0, end: int | None = None, index: int = 0,
                     line: int = 1, options: ReadOptions = DEFAULT_OPTIONS) -> Iterator[Record]:
        with open_source(source) as fh:
            try:
                data = fh.read()
            except OSError as e:
                raise InputError(f"cannot read file: {e.strerror or e}", source.shown) from None
            err = stream_error(fh)
        last: Record | None = None
        for ln, value, error, text in _iter_json(data):
            if last is not None:
                yield last
            last = Record(index, ln, value, error, text, value if error is None else None)
            index += 1
        if err is not None:
            lines = data.count(b"\n")
            if last is not None and last.error is not None:  # the parse error is the cut: say so
                good = max(0, (last.line or 1) - 1)
                last = last._replace(line=_last_good(good), error=_truncated(err, good))
            else:
                if last is not None:
                    yield last
                last = Record(index, _last_good(lines), None, _truncated(err, lines), "", None)
        if last is not None:
            yield last

    def writer(self, path: Path, like: Source, add_columns: Sequence[str] = ()) -> RecordWriter:
        return _JsonWriter(path)


class _JsonWriter(_Writer):
    """Writes a JSON array (indented), when closed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._items: list[Any] = []

    def add(self, record: Record, values: Mapping[str, Any] | None = None) -> None:
        if record.error is not None:
            return  # nothing that could be written as a value
        value = record.value
        if values and isinstance(value, dict):
            value = {**value, **values}
        self._items.append(value)
        self.rows += 1

    def close(self) -> None:
        text = json.dumps(self._items, ensure_ascii=False, indent=2)
        with _open_write(self.path) as fh:
            fh.write(text.encode("utf-8", "surrogateescape") + b"\n")


# CSV / TSV -------------------------------------------------------------------------------------------------

class CsvFormat(FileFormat):
    """Delimited text with a header row. Each row's line is the line it starts on (a quoted cell may
    span lines); blank rows are skipped; a row with the wrong number of fields, or bytes that are not
    UTF-8, is a malformed record. Cells of the columns in ``options.json_columns`` that hold a JSON
    array or object are parsed. Read as a stream."""

    def __init__(self, name: str, delimiter: str, suffixes: tuple[str, ...]) -> None:
        self.name = name
        self.delimiter = delimiter
        self.suffixes = suffixes

    def _lines(self, fh: IO[bytes], state: dict[str, Any]) -> Iterator[str]:
        """The text lines of ``fh``; a cut last line of a stream that ended early is held back in
        ``state['partial']``."""
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
        first = True
        for ln in text:
            if first:
                first = False
                if ln.startswith("\ufeff"):
                    ln = ln[1:]
            if not ln.endswith(("\n", "\r")) and stream_error(fh) is not None:
                state["partial"] = ln
                return
            yield ln

    def header(self, source: Source) -> list[str]:
        """The header row's fields, as written."""
        with open_source(source) as fh:
            row = next(csv.reader(self._lines(fh, {}), delimiter=self.delimiter), None)
        return list(row) if row is not None else []

    def iter_records(self, source: Source, *, start: int = 0, end: int | None = None, index: int = 0,
                     line: int = 1, options: ReadOptions = DEFAULT_OPTIONS) -> Iterator[Record]:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        json_columns = options.json_columns
        delimiter = self.delimiter
        state: dict[str, Any] = {}
        with open_source(source) as fh:
            reader = csv.reader(self._lines(fh, state), delimiter=delimiter)
            header: list[str] | None = None
            prev_end = 0
            try:
                for fields in reader:
                    first = prev_end + 1
                    prev_end = reader.line_num
                    if header is None:
                        header = [h.strip() for h in fields]
                        continue
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        continue
                    joined = delimiter.join(fields)
                    if _SURROGATE.search(joined):
                        yield Record(index, first, None,
                                     not_utf8_reason("row", joined.encode("utf-8", "surrogateescape")),
                                     _clean(joined), fields)
                    elif len(fields) != len(header):
                        yield Record(index, first, None,
                                     f"row has {plural(len(fields), 'field')}, the header has {len(header)}",
                                     joined, fields)
                    else:
                        rec: dict[str, Any] = {}
                        for k, v in zip(header, fields):
                            if k in json_columns and v[:1] in ("[", "{"):
                                try:
                                    rec[k] = orjson.loads(v)
                                    continue
                                except orjson.JSONDecodeError:
                                    pass
                            rec[k] = v
                        yield _new(Record, (index, first, rec, None, "", fields))
                    index += 1
            except OSError as e:
                raise InputError(f"cannot read file: {e.strerror or e}", source.shown) from None
            err = stream_error(fh)
            if err is not None:
                partial = state.get("partial", "")
                yield Record(index, _last_good(prev_end), None, _truncated(err, prev_end), _clean(partial), None)

    def writer(self, path: Path, like: Source, add_columns: Sequence[str] = ()) -> RecordWriter:
        header = self.header(like)
        return _CsvWriter(path, self.delimiter, header, [c for c in add_columns if c not in header])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


class _CsvWriter(_Writer):
    def __init__(self, path: Path, delimiter: str, header: list[str], added: list[str]) -> None:
        super().__init__(path)
        self.header = header + added
        self._fh = _open_write(path)
        self._text = io.TextIOWrapper(self._fh, encoding="utf-8", errors="surrogateescape", newline="")
        self._csv = csv.writer(self._text, delimiter=delimiter, lineterminator="\n")
        self._csv.writerow(self.header)
        self._pos = {k: i for i, k in enumerate(self.header)}

    def add(self, record: Record, values: Mapping[str, Any] | None = None) -> None:
        if record.raw is None:
            return
        row = list(record.raw)
        if values:
            for k, v in values.items():
                i = self._pos[k]
                if i < len(row):
                    row[i] = _cell(v)
                else:
                    row.append(_cell(v))
        self._csv.writerow(row)
        self.rows += 1

    def close(self) -> None:
        self._text.close()


# Parquet and Arrow --------------------------------------------------------------------------------------------

def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


class _Columnar(FileFormat):
    """A format of record batches (Parquet, Arrow IPC): each row a record, no lines."""

    compressible = False
    what = ""
    #: integer class-label columns are read as their names (``datasets`` ``ClassLabel`` metadata)
    class_labels = False

    def _batches(self, source: Source, start: int = 0, end: int | None = None) -> tuple[Any, Iterator[Any]]:
        """(schema, record batches) of ``source`` (of its row groups ``[start, end)`` where the
        format has them)."""
        raise NotImplementedError

    def _labels(self, schema: Any) -> dict[str, list[str]]:
        """Class-label columns stored as integers, with their names (``datasets`` ``ClassLabel``)."""
        meta = (schema.metadata or {}).get(b"huggingface")
        if not meta:
            return {}
        try:
            features = json.loads(meta).get("info", {}).get("features", {})
        except (ValueError, AttributeError):
            return {}
        out: dict[str, list[str]] = {}
        if isinstance(features, dict):
            for name, spec in features.items():
                if isinstance(spec, dict) and spec.get("_type") == "ClassLabel" and isinstance(spec.get("names"), list):
                    out[name] = [str(n) for n in spec["names"]]
        return out

    def iter_records(self, source: Source, *, start: int = 0, end: int | None = None, index: int = 0,
                     line: int = 1, options: ReadOptions = DEFAULT_OPTIONS) -> Iterator[Record]:
        import pyarrow as pa

        shown = source.shown
        schema, batches = self._batches(source, start, end)
        labels = self._labels(schema) if self.class_labels else {}
        done = index  # rows before this one in the file (a part starts at its first row's index)
        while True:
            try:  # a corrupt page, a bad string: the file cannot be read past it (the gate must not pass)
                batch = next(batches, None)
                if batch is None:
                    return
                recs = batch.to_pylist()
            except UnicodeDecodeError as e:
                raise InputError(f"cannot read {self.what} file after {done:,} rows: a string column holds bytes "
                                 f"that are not valid UTF-8 ({_one_line(e)})", shown) from None
            except (pa.ArrowException, OSError, ValueError) as e:
                raise InputError(f"cannot read {self.what} file after {done:,} rows: the file is corrupt "
                                 f"({_one_line(e)})", shown) from None
            for i, rec in enumerate(recs):
                if labels:
                    for k, names in labels.items():
                        v = rec.get(k)
                        if isinstance(v, int) and 0 <= v < len(names):
                            rec[k] = names[v]
                yield _new(Record, (index, None, rec, None, "", (batch, i)))
                index += 1
            done += len(recs)

    def _write(self, path: Path, table: Any) -> None:
        raise NotImplementedError

    def _schema(self, like: Source) -> Any:
        return self._batches(like)[0]

    def writer(self, path: Path, like: Source, add_columns: Sequence[str] = ()) -> RecordWriter:
        return _ColumnarWriter(self, path, like, add_columns)


class _ColumnarWriter(_Writer):
    """Collects the rows to keep per record batch (and the values set on them); writes one table."""

    def __init__(self, fmt: _Columnar, path: Path, like: Source, add_columns: Sequence[str]) -> None:
        super().__init__(path)
        self.fmt = fmt
        self.like = like
        self.add_columns = list(add_columns)
        self._parts: list[tuple[Any, list[int], dict[str, list[Any]]]] = []

    def add(self, record: Record, values: Mapping[str, Any] | None = None) -> None:
        if record.raw is None:
            return
        batch, i = record.raw
        if not self._parts or self._parts[-1][0] is not batch:
            self._parts.append((batch, [], {k: [] for k in self.add_columns}))
        _, rows, cols = self._parts[-1]
        rows.append(i)
        for k in self.add_columns:
            cols[k].append((values or {}).get(k))
        self.rows += 1

    def close(self) -> None:
        import pyarrow as pa

        def with_columns(table: Any, cols: Mapping[str, list[Any]]) -> Any:
            for k, vals in cols.items():
                col = pa.array(vals, type=pa.float64() if all(isinstance(v, float) or v is None for v in vals)
                               else None)
                if k in table.column_names:
                    table = table.set_column(table.column_names.index(k), k, col)
                else:
                    table = table.append_column(k, col)
            return table

        tables = [with_columns(pa.Table.from_batches([batch.take(pa.array(rows, type=pa.int64()))]), cols)
                  for batch, rows, cols in self._parts]
        if not tables:
            schema = self.fmt._schema(self.like)
            tables = [with_columns(schema.empty_table(), {k: [] for k in self.add_columns})]
        self.fmt._write(self.path, pa.concat_tables(tables).combine_chunks())


class ParquetFormat(_Columnar):
    name = "parquet"
    suffixes = (".parquet",)
    what = "Parquet"

    splittable = True

    def sniff(self, head: bytes) -> str | None:
        return None if head[:4] == b"PAR1" else "not a Parquet file (no PAR1 magic bytes)"

    def _file(self, source: Source) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(source.path if isinstance(source, FileSource) else source.open_raw())
        except (pa.ArrowException, OSError, ValueError) as e:
            raise InputError(f"cannot read Parquet file: {_one_line(e)}", source.shown) from None

    def _batches(self, source: Source, start: int = 0, end: int | None = None) -> tuple[Any, Iterator[Any]]:
        pf = self._file(source)
        if start == 0 and end is None:
            return pf.schema_arrow, pf.iter_batches(batch_size=8192)
        groups = range(start, pf.num_row_groups if end is None else min(end, pf.num_row_groups))
        return pf.schema_arrow, pf.iter_batches(batch_size=8192, row_groups=list(groups))

    def partitions(self, source: Source, size: int) -> list[Partition]:
        """The file's row groups as parts of about ``size`` bytes (uncompressed; small row groups
        merged, a large one alone), from the footer only: ``start``/``end`` are row-group numbers,
        ``records`` the part's rows and ``index`` the rows before it (prefix sums), so reading every
        part with ``iter_records(source, start=p.start, end=p.end, index=p.index)`` gives exactly the
        records of one read of the whole file. Rows have no lines (``lines`` 0, ``line`` 1)."""
        import pyarrow as pa

        pf = self._file(source)
        try:
            meta = pf.metadata
            groups = [(meta.row_group(g).num_rows, meta.row_group(g).total_byte_size)
                      for g in range(meta.num_row_groups)]
        except (pa.ArrowException, OSError, ValueError) as e:
            raise InputError(f"cannot read Parquet file: {_one_line(e)}", source.shown) from None
        size = max(1, int(size))
        parts: list[Partition] = []
        index = first = rows = nbytes = 0
        for g, (n, b) in enumerate(groups):
            rows += n
            nbytes += b
            if nbytes >= size or g == len(groups) - 1:
                parts.append(Partition(first, g + 1, rows, 0, index, 1))
                index += rows
                first, rows, nbytes = g + 1, 0, 0
        return parts

    def _write(self, path: Path, table: Any) -> None:
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)


class ArrowFormat(_Columnar):
    """Arrow IPC, stream format (what ``datasets`` ``save_to_disk`` writes as ``data-*.arrow``) or
    file format (``ARROW1``)."""

    name = "arrow"
    suffixes = (".arrow",)
    what = "Arrow"
    class_labels = True

    def sniff(self, head: bytes) -> str | None:
        if head[:6] == b"ARROW1" or head[:4] == b"\xff\xff\xff\xff":
            return None
        return "not an Arrow IPC file (no Arrow stream or file header)"

    def _batches(self, source: Source, start: int = 0, end: int | None = None) -> tuple[Any, Iterator[Any]]:
        import pyarrow as pa

        try:
            fh = source.open_raw()
        except OSError as e:
            raise InputError(f"cannot read file: {e.strerror or e}", source.shown) from None
        try:
            if fh.read(6) == b"ARROW1":
                fh.seek(0)
                f = pa.ipc.open_file(fh)
                return f.schema, (f.get_batch(i) for i in range(f.num_record_batches))
            fh.seek(0)
            reader = pa.ipc.open_stream(fh)
        except (pa.ArrowException, OSError, ValueError) as e:
            fh.close()
            raise InputError(f"cannot read Arrow file: {_one_line(e)}", source.shown) from None
        return reader.schema, iter(reader)

    def _write(self, path: Path, table: Any) -> None:
        import pyarrow as pa

        path.parent.mkdir(parents=True, exist_ok=True)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)


JSONL = JsonlFormat()
JSON = JsonFormat()
CSV = CsvFormat("csv", ",", (".csv",))
TSV = CsvFormat("tsv", "\t", (".tsv",))
PARQUET = ParquetFormat()
ARROW = ArrowFormat()

FORMATS: tuple[FileFormat, ...] = (JSONL, JSON, CSV, TSV, PARQUET, ARROW)
#: file-name suffix -> format
BY_SUFFIX: dict[str, FileFormat] = {s: f for f in FORMATS for s in f.suffixes}
#: every suffix of a file ftlint reads, compressed ones included (``.jsonl.gz``)
SUFFIXES: tuple[str, ...] = tuple(BY_SUFFIX) + tuple(
    s + c for s, f in BY_SUFFIX.items() if f.compressible for c in COMPRESSIONS)


def compression_of(name: str) -> str | None:
    """The compression a file name says (``train.jsonl.gz`` -> "gzip")."""
    low = name.lower()
    return next((c for s, c in COMPRESSIONS.items() if low.endswith(s)), None)


def strip_suffixes(name: str) -> str:
    """A file name without its format and compression suffixes (``train.jsonl.gz`` -> ``train``)."""
    low = name.lower()
    for c in COMPRESSIONS:
        if low.endswith(c):
            name, low = name[: -len(c)], low[: -len(c)]
            break
    for s in BY_SUFFIX:
        if low.endswith(s):
            return name[: -len(s)]
    return name


def format_of(name: str) -> tuple[FileFormat, str | None] | None:
    """(format, compression) of a file name ftlint reads; None for any other name."""
    low = name.lower()
    compression = compression_of(low)
    if compression is not None:
        low = low[: -len(next(s for s in COMPRESSIONS if low.endswith(s)))]
    fmt = next((f for s, f in BY_SUFFIX.items() if low.endswith(s)), None)
    if fmt is None or (compression is not None and not fmt.compressible):
        return None
    return fmt, compression


def source_for(path: Path, shown: str) -> tuple[FileFormat, FileSource]:
    """The format and source of a local dataset file (its name says which)."""
    found = format_of(path.name)
    if found is None:
        raise InputError(f"not a dataset file ftlint reads ({', '.join(SUFFIXES[:len(BY_SUFFIX)])}, "
                         "optionally compressed)", shown)
    fmt, compression = found
    return fmt, FileSource(path, shown, compression)


__all__ = ["ARROW", "BY_SUFFIX", "COMPRESSIONS", "CSV", "FORMATS", "JSON", "JSONL", "PARQUET", "SUFFIXES", "TSV",
           "FileFormat", "FileSource", "Partition", "ReadOptions", "Record", "RecordWriter", "Source",
           "compression_of", "encoding_guess", "encoding_of", "format_of", "not_utf8_reason", "open_source",
           "read_head", "source_for", "stream_error", "strip_suffixes"]
