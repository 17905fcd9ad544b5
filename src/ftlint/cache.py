"""The on-disk artifact cache (``.ftlint_cache/``): data, never code.

An entry is one file, ``<key[:2]>/<key>.ftc``, keyed by content hash and parameters
(:func:`cache_key`), in a format that reading cannot execute anything from:

- ``MAGIC`` (8 bytes), then two little-endian uint32: :data:`FORMAT_VERSION` and the length of
  a JSON header ``{"key", "name", "arrays": [[dtype, shape, offset], ...], "value"}``;
- then the raw bytes of each array (8-byte aligned): numeric and boolean dtypes of
  :data:`DTYPES` only, read into an array of that dtype and shape once its bounds are checked
  against the file's size.

Reading parses JSON and copies bytes into arrays: nothing is unpickled, imported, looked up by
name or evaluated. ``value`` is the value's tree as its :class:`Schema` wrote it, and the *caller's*
schema rebuilds it, checking every type, key, dtype, shape, shared length and index bound. A file
that is missing, truncated, of another format version or key, a pickle, garbage, a directory, a
link, or a value of the wrong shape is a miss: the artifact is recomputed and its entry rewritten
(a temporary file, then ``os.replace``, so concurrent runs on one cache never see half an entry).
A value that does not fit its schema when written is simply not cached.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
import tempfile
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson
import xxhash

CACHE_DIR_NAME = ".ftlint_cache"
#: the entry format; an entry of another version is a miss
FORMAT_VERSION = 1
MAGIC = b"FTLCACHE"
_PREFIX = struct.Struct("<8sII")
_ALIGN = 8
#: the only array dtypes an entry may hold (never object arrays)
DTYPES = {np.dtype(t).str: np.dtype(t) for t in
          (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
           np.float32, np.float64)}


class _Miss:
    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


#: what :meth:`Cache.get` returns when there is no usable entry (a cached value may be None)
MISS: Any = _Miss()


class Invalid(Exception):
    """An entry does not match the schema it is read with (a miss)."""


class Unencodable(Exception):
    """A value does not match the schema it is written with (it is not cached)."""


def cache_key(*parts: Any) -> str:
    """A stable key from the artifact name, its parameters and input content hashes."""
    from ftlint._version import __version__

    h = xxhash.xxh3_128()
    h.update(f"ftlint {__version__} cache {FORMAT_VERSION}".encode())
    for p in parts:
        h.update(b"\x1f")
        h.update(repr(p).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# -- schemas ----------------------------------------------------------------------------------------

Dim = int | str | None  # a length: fixed, a symbol shared by the entry (bound on first use), or any


class Writer:
    """Collects the arrays of a value being written; ``side(k)`` is the path of its k-th side file."""

    def __init__(self, side: Callable[[int], Path] | None = None) -> None:
        self.arrays: list[np.ndarray] = []
        self.side = side

    def array(self, a: np.ndarray) -> int:
        self.arrays.append(a)
        return len(self.arrays) - 1


class Reader:
    """The arrays of an entry being read and the lengths bound so far (``dims``)."""

    def __init__(self, arrays: list[np.ndarray], dims: dict[str, int] | None = None,
                 side: Callable[[int], Path] | None = None) -> None:
        self.arrays = arrays
        self.dims = dict(dims or {})
        self.side = side

    def array(self, node: Any) -> np.ndarray:
        if type(node) is not int or not 0 <= node < len(self.arrays):
            raise Invalid(f"no array {node!r}")
        return self.arrays[node]

    def dim(self, want: Dim, got: int, what: str) -> None:
        """Check a length against ``want`` (binding a symbol the first time)."""
        if want is None:
            return
        if isinstance(want, str):
            want = self.dims.setdefault(want, got)
        if got != want:
            raise Invalid(f"{what}: length {got}, expected {want}")

    def bound(self, b: Dim) -> int | None:
        if isinstance(b, str):
            if b not in self.dims:
                raise Invalid(f"unbound length {b!r}")
            return self.dims[b]
        return b


class Schema:
    """How one kind of value is written as JSON + arrays, and checked when read back."""

    def enc(self, v: Any, w: Writer) -> Any:
        raise NotImplementedError

    def dec(self, x: Any, r: Reader) -> Any:
        raise NotImplementedError


def _int(v: Any) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise Unencodable(f"expected an int, got {type(v).__name__}")
    return int(v)


class Int(Schema):
    """An int, optionally ``lo <= v < hi`` (bounds may be length symbols); ``eq`` binds/checks a length."""

    def __init__(self, lo: Dim = None, hi: Dim = None, eq: str | None = None) -> None:
        self.lo, self.hi, self.eq = lo, hi, eq

    def enc(self, v: Any, w: Writer) -> Any:
        return _int(v)

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not int:
            raise Invalid(f"expected an int, got {type(x).__name__}")
        lo, hi = r.bound(self.lo), r.bound(self.hi)
        if (lo is not None and x < lo) or (hi is not None and x >= hi):
            raise Invalid(f"{x} out of range [{lo}, {hi})")
        if self.eq is not None:
            r.dim(self.eq, x, "int")
        return x


def _float_enc(v: float) -> Any:
    return v if math.isfinite(v) else {"f": repr(v)}  # JSON has no NaN / infinity


def _float_dec(x: Any) -> float:
    if type(x) is float:
        return x
    if type(x) is int:
        return float(x)
    if type(x) is dict and len(x) == 1 and x.get("f") in ("nan", "inf", "-inf"):
        return float(x["f"])
    raise Invalid(f"expected a float, got {type(x).__name__}")


class Float(Schema):
    def enc(self, v: Any, w: Writer) -> Any:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise Unencodable(f"expected a float, got {type(v).__name__}")
        return _float_enc(float(v))

    def dec(self, x: Any, r: Reader) -> Any:
        return _float_dec(x)


class _Exact(Schema):
    def __init__(self, t: type) -> None:
        self.t = t

    def enc(self, v: Any, w: Writer) -> Any:
        if type(v) is not self.t:
            raise Unencodable(f"expected {self.t.__name__}, got {type(v).__name__}")
        return v

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not self.t:
            raise Invalid(f"expected {self.t.__name__}, got {type(x).__name__}")
        return x


Str = _Exact(str)
Bool = _Exact(bool)


class _Scalar(Schema):
    """None, a bool, an int, a float or a str (a metadata column's value)."""

    def enc(self, v: Any, w: Writer) -> Any:
        t = type(v)
        if t is float:
            return _float_enc(v)
        if v is None or t in (str, int, bool):
            return v
        raise Unencodable(f"expected a JSON scalar, got {t.__name__}")

    def dec(self, x: Any, r: Reader) -> Any:
        if x is None or type(x) in (str, int, bool, float):
            return x
        return _float_dec(x)


Scalar = _Scalar()


class Opt(Schema):
    """``schema`` or None."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def enc(self, v: Any, w: Writer) -> Any:
        return None if v is None else [self.schema.enc(v, w)]

    def dec(self, x: Any, r: Reader) -> Any:
        if x is None:
            return None
        if type(x) is not list or len(x) != 1:
            raise Invalid("expected an optional value")
        return self.schema.dec(x[0], r)


class Arr(Schema):
    """A numpy array of ``dtype`` (one of several when a tuple) and ``shape`` (:data:`Dim` each);
    with ``lo``/``hi``, every element is in ``[lo, hi)``; with ``increasing``, strictly increasing."""

    def __init__(self, dtype: Any, *shape: Dim, lo: Dim = None, hi: Dim = None, increasing: bool = False) -> None:
        self.dtypes = tuple(np.dtype(d) for d in (dtype if isinstance(dtype, tuple) else (dtype,)))
        self.shape = shape
        self.lo, self.hi, self.increasing = lo, hi, increasing

    def enc(self, v: Any, w: Writer) -> Any:
        if not isinstance(v, np.ndarray) or v.dtype not in self.dtypes or v.ndim != len(self.shape):
            raise Unencodable(f"expected a {len(self.shape)}-d array of {self.dtypes}, got "
                              f"{getattr(v, 'dtype', type(v).__name__)} {getattr(v, 'shape', '')}")
        return w.array(v)

    def dec(self, x: Any, r: Reader) -> Any:
        a = r.array(x)
        if a.dtype not in self.dtypes or a.ndim != len(self.shape):
            raise Invalid(f"array of {a.dtype} {a.shape}, expected {self.dtypes} of {len(self.shape)} dims")
        for want, got in zip(self.shape, a.shape):
            r.dim(want, got, "array")
        lo, hi = r.bound(self.lo), r.bound(self.hi)
        if a.size and ((lo is not None and a.min() < lo) or (hi is not None and a.max() >= hi)):
            raise Invalid(f"array values out of range [{lo}, {hi})")
        if self.increasing and a.size > 1 and not bool(np.all(a[1:] > a[:-1])):
            raise Invalid("array not strictly increasing")
        return a


class Seq(Schema):
    """A list (or, with ``tuple``, a tuple) of ``item``, of length ``length``."""

    def __init__(self, item: Schema, length: Dim = None, tuple: bool = False) -> None:
        self.item, self.length, self.tuple = item, length, tuple

    def enc(self, v: Any, w: Writer) -> Any:
        if not isinstance(v, tuple if self.tuple else list):
            raise Unencodable(f"expected a {'tuple' if self.tuple else 'list'}, got {type(v).__name__}")
        if self.item is Scalar and all(e is None or type(e) in (str, int, bool) for e in v):
            return list(v)  # the common case of a metadata column, without a call per value
        return [self.item.enc(e, w) for e in v]

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not list:
            raise Invalid(f"expected a list, got {type(x).__name__}")
        r.dim(self.length, len(x), "list")
        if (self.item is Scalar and all(e is None or type(e) in (str, int, bool, float) for e in x)) or (
                isinstance(self.item, _Exact) and all(type(e) is self.item.t for e in x)):
            out = x
        else:
            out = [self.item.dec(e, r) for e in x]
        return tuple(out) if self.tuple else out


class Tup(Schema):
    """A tuple of fixed length, one schema per item."""

    def __init__(self, *items: Schema) -> None:
        self.items = items

    def enc(self, v: Any, w: Writer) -> Any:
        if not isinstance(v, tuple) or len(v) != len(self.items):
            raise Unencodable(f"expected a tuple of {len(self.items)}")
        return [s.enc(e, w) for s, e in zip(self.items, v)]

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not list or len(x) != len(self.items):
            raise Invalid(f"expected a list of {len(self.items)}")
        return tuple(s.dec(e, r) for s, e in zip(self.items, x))


class Map(Schema):
    """A dict (keys of any schema: written as a list of pairs, in the dict's order)."""

    def __init__(self, key: Schema, value: Schema) -> None:
        self.key, self.value = key, value

    def enc(self, v: Any, w: Writer) -> Any:
        if not isinstance(v, dict):
            raise Unencodable(f"expected a dict, got {type(v).__name__}")
        return [[self.key.enc(k, w), self.value.enc(e, w)] for k, e in v.items()]

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not list:
            raise Invalid("expected a list of pairs")
        out = {}
        for pair in x:
            if type(pair) is not list or len(pair) != 2:
                raise Invalid("expected a pair")
            k = self.key.dec(pair[0], r)
            if k in out:
                raise Invalid(f"duplicate key {k!r}")
            out[k] = self.value.dec(pair[1], r)
        return out


def _field_names(cls: type) -> tuple[str, ...] | None:
    if is_dataclass(cls):
        return tuple(f.name for f in fields(cls) if f.init)
    return getattr(cls, "_fields", None)  # a NamedTuple


class Rec(Schema):
    """An instance of ``cls`` (a dataclass or NamedTuple) with one schema per field: every field of
    ``cls``, no more and no fewer (a field added to the class later is never silently dropped:
    such a value is not cached until its schema says how); ``check(value)`` may add a test."""

    def __init__(self, cls: type, check: Callable[[Any, Reader], bool] | None = None, **fields: Schema) -> None:
        self.cls, self.fields, self.check = cls, fields, check

    def _names(self) -> None:
        if set(_field_names(self.cls) or ()) != set(self.fields):
            raise Unencodable(f"the schema of {self.cls.__name__} does not list its fields")

    def enc(self, v: Any, w: Writer) -> Any:
        if type(v) is not self.cls:
            raise Unencodable(f"expected {self.cls.__name__}, got {type(v).__name__}")
        self._names()
        return {k: s.enc(getattr(v, k), w) for k, s in self.fields.items()}

    def dec(self, x: Any, r: Reader) -> Any:
        if type(x) is not dict or set(x) != set(self.fields):
            raise Invalid(f"expected the fields of {self.cls.__name__}")
        try:
            self._names()
        except Unencodable as e:
            raise Invalid(str(e)) from None
        v = self.cls(**{k: s.dec(x[k], r) for k, s in self.fields.items()})
        if self.check is not None and not self.check(v, r):
            raise Invalid(f"{self.cls.__name__} fails its check")
        return v


class Spec(NamedTuple):
    """A disk artifact's declared schema (``Context.stored(..., spec)``): ``dims(ctx, split,
    params)`` gives the lengths it is read against besides ``n``, the split's rows; ``check(value,
    ctx, split)`` is a further test that needs the data."""

    schema: Schema
    dims: Callable[[Any, str | None, dict[str, Any]], dict[str, int]] | None = None
    check: Callable[[Any, Any, str | None], bool] | None = None


# -- the entry file ---------------------------------------------------------------------------------

def _dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)
    except (TypeError, orjson.JSONEncodeError):  # a lone surrogate or an int of more than 64 bits
        return json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode_entry(key: str, name: str, value: Any, schema: Schema,
                 side: Callable[[int], Path] | None = None) -> list[Any]:
    """The chunks of the entry file of ``value`` (raises :class:`Unencodable`)."""
    w = Writer(side)
    tree = schema.enc(value, w)
    return pack_entry(key, name, tree, w.arrays)


def pack_entry(key: str, name: str, tree: Any, arrays: list[np.ndarray]) -> list[Any]:
    """The chunks of an entry file holding the JSON ``tree`` and ``arrays`` (raises :class:`Unencodable`)."""
    specs, chunks, offset = [], [], 0
    for a in arrays:
        a = np.ascontiguousarray(a)
        dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dt.str not in DTYPES:
            raise Unencodable(f"dtype {a.dtype} cannot be cached")
        a = a.astype(dt, copy=False)
        specs.append([dt.str, list(a.shape), offset])
        pad = -a.nbytes % _ALIGN
        chunks.append(a.data.cast("B") if a.nbytes else b"")
        if pad:
            chunks.append(b"\0" * pad)
        offset += a.nbytes + pad
    header = _dumps({"key": key, "name": name, "arrays": specs, "value": tree})
    header += b" " * (-(len(header) + _PREFIX.size) % _ALIGN)
    return [_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)), header, *chunks]


def decode_entry(fh: Any, key: str, schema: Schema, dims: dict[str, int] | None = None,
                 side: Callable[[int], Path] | None = None) -> Any:
    """The value of the entry file open as ``fh``, read with ``schema`` (raises :class:`Invalid`
    on anything unexpected)."""
    head, arrays = unpack_entry(fh, key)
    return schema.dec(head["value"], Reader(arrays, dims, side))


def unpack_entry(fh: Any, key: str) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The header and the arrays of the entry file open as ``fh``, whose key must be ``key``
    (raises :class:`Invalid`). Each array is read into its own buffer once its bounds are checked
    against the file's size: no claim of the header allocates more than the file holds."""
    size = os.fstat(fh.fileno()).st_size
    prefix = fh.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size:
        raise Invalid("truncated")
    magic, version, hlen = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise Invalid("not an ftlint cache entry")
    if version != FORMAT_VERSION:
        raise Invalid(f"format version {version}, expected {FORMAT_VERSION}")
    start = _PREFIX.size + hlen
    if start > size:
        raise Invalid("truncated header")
    try:
        head = _loads(fh.read(hlen))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise Invalid(f"header is not JSON: {e}") from None
    if type(head) is not dict or set(head) != {"key", "name", "arrays", "value"}:
        raise Invalid("not an entry header")
    if head["key"] != key:
        raise Invalid("an entry of another key")
    if type(head["arrays"]) is not list:
        raise Invalid("bad array list")
    specs = []
    for spec in head["arrays"]:
        if (type(spec) is not list or len(spec) != 3 or spec[0] not in DTYPES or type(spec[1]) is not list
                or not all(type(d) is int and d >= 0 for d in spec[1]) or type(spec[2]) is not int):
            raise Invalid(f"bad array spec {spec!r}")
        dt, shape, offset = DTYPES[spec[0]], tuple(spec[1]), spec[2]
        if offset < 0 or offset % _ALIGN or start + offset + math.prod(shape) * dt.itemsize > size:
            raise Invalid("array outside the entry (truncated?)")
        specs.append((dt, shape, offset))
    arrays = []
    for dt, shape, offset in specs:
        a = np.empty(shape, dtype=dt)
        if a.nbytes:
            fh.seek(start + offset)
            if fh.readinto(a.data.cast("B")) != a.nbytes:
                raise Invalid("short read")
        arrays.append(a)
    return head, arrays


def read_regular(path: Path, size: int | None = None) -> Any:
    """An open binary file of a regular file at ``path`` (not a link, FIFO, device or directory),
    of ``size`` bytes when given; None when there is none such."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (size is not None and st.st_size != size):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


class Cache:
    """A directory of entries (see the module's text). Disabled (a no-op) with ``--no-cache``."""

    def __init__(self, root: Path | None, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled and root is not None
        self.hits = 0
        self.misses = 0
        #: why entries were not used (a miss on something unexpected: "name: reason")
        self.rejected: list[str] = []
        #: artifacts that could not be written because their value did not fit their schema
        self.unencodable: list[str] = []
        self._ready = False

    def path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.ftc"

    def side_path(self, key: str, k: int) -> Path:
        """The k-th side file of an entry (a dataset's text, written by its owner before ``put``)."""
        return self.path(key).with_suffix(f".text{k}")

    def get(self, key: str, schema: Schema, name: str = "", dims: dict[str, int] | None = None,
            check: Callable[[Any], bool] | None = None) -> Any:
        """The value of entry ``key`` read with ``schema`` (``dims``: lengths known in advance) and
        passing ``check``, or :data:`MISS` (no entry, or anything unexpected in it)."""
        if not self.enabled:
            return MISS
        p = self.path(key)
        try:
            fh = read_regular(p)
            if fh is None:
                self.misses += 1
                return MISS
            with fh:
                value = decode_entry(fh, key, schema, dims, lambda k: self.side_path(key, k))
            if check is not None and not check(value):
                raise Invalid("the value fails its check")
        except Exception as e:  # noqa: BLE001 - whatever the bytes are, they are a miss, never a failure
            self.misses += 1
            self.rejected.append(f"{name or key}: {e}")
            return MISS
        self.hits += 1
        return value

    def put(self, key: str, value: Any, schema: Schema, name: str = "") -> bool:
        """Write entry ``key`` (atomically); False when not written (disabled, unwritable, or a value
        that does not fit ``schema``)."""
        if not self.enabled:
            return False
        p = self.path(key)
        try:
            chunks = encode_entry(key, name, value, schema, lambda k: self.side_path(key, k))
        except Unencodable as e:
            self.unencodable.append(f"{name or key}: {e}")
            return False
        if not self.folder(key):
            return False
        try:
            fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        except OSError:  # a read-only project must still be checkable: caching is an optimisation only
            self.enabled = False
            return False
        try:
            with os.fdopen(fd, "wb") as fh:
                for c in chunks:
                    fh.write(c)
            os.replace(tmp, p)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if not isinstance(e, IsADirectoryError):  # no room: stop trying (a directory in its place: this one)
                self.enabled = False
            return False
        return True

    def folder(self, key: str) -> bool:
        """Make the folder of entry ``key`` (and the cache's, with its .gitignore); False when it
        cannot be a folder of the cache: never written through a link or into something else
        (a committed cache must not steer a write), and a cache that cannot be created is disabled."""
        if not self.enabled or not self._prepare():
            return False
        folder = self.path(key).parent
        try:
            folder.mkdir(exist_ok=True)
            return stat.S_ISDIR(os.lstat(folder).st_mode)
        except FileExistsError:  # a file in the folder's place
            return False
        except OSError:
            self.enabled = False
            return False

    def _prepare(self) -> bool:
        """Create the cache folder and its .gitignore (once a run); a cache that cannot be created
        is disabled (a read-only project must still be checkable: caching is an optimisation only)."""
        root = self.root
        assert root is not None
        if self._ready:
            return True
        try:
            root.mkdir(parents=True, exist_ok=True)
            # created, never written through a link (a committed cache must not steer a write)
            fd = os.open(root / ".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o644)
        except FileExistsError:
            self._ready = True
            return True
        except OSError:
            self.enabled = False
            return False
        with os.fdopen(fd, "w") as fh:
            fh.write("# created by ftlint\n*\n")
        self._ready = True
        return True
