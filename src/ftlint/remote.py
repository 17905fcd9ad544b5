"""Dataset files in object storage or on a web server, read through fsspec: ``s3://``, ``gs://``
(``gcs://``), ``az://`` (``abfs://``, ``abfss://``), ``https://`` and ``http://``.

``pip install 'ftlint[remote]'`` installs fsspec with s3fs, gcsfs and adlfs (and aiohttp for
http(s)). Credentials come from where each client looks for them (nothing is passed on the command
line): S3 from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE`` or
``~/.aws/credentials`` (and ``AWS_ENDPOINT_URL_S3`` for another S3 service), Google Cloud Storage
from ``GOOGLE_APPLICATION_CREDENTIALS`` or ``gcloud auth application-default login``, Azure from
``AZURE_STORAGE_CONNECTION_STRING`` or ``AZURE_STORAGE_ACCOUNT_NAME`` with a key or ``az login``; an
https URL carries its own (a signed URL) or needs none.

A URL names one object, a prefix (``s3://bucket/data/``: its dataset files; with ``--recursive``
those below it too) or a pattern (``s3://bucket/data/*.jsonl.gz``; ``**`` spans folders). An
http(s) URL names one file. Files are streamed, never copied to disk: JSONL/CSV line by line
(through the decompressor for ``.gz``, ``.bz2``, ``.xz``, ``.zst``), Parquet and Arrow with ranged
reads. Each file is a :class:`RemoteFile`, a ``data.formats.Source`` whose ``open_raw`` opens the
object; every other step (formats, line numbers, FT001 records) is the local files'.

The loader's cache key of a remote file is made from what the storage says identifies its content,
without reading it: the object's version (S3 ``VersionId``, GCS ``generation``), else its ``ETag``
(S3, GCS, Azure, most web servers), else its size and modification time (``Last-Modified``). A
file with none of them (a web server that sends no ``ETag`` or ``Last-Modified``) is hashed by
reading it once more as a stream.

Credentials never appear in ftlint's output: a URL is shown without its ``user:password@`` and,
for http(s), without its query string (a signed URL's ``X-Amz-Signature=...``), and the messages
of the storage clients are scrubbed the same way. A URL that cannot be read (no such bucket or
object, no credentials, access denied, the extra not installed) is unusable input: a one-line
error located at the URL (exit 2).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

import xxhash

from ftlint.errors import FtlintError, InputError
from ftlint.urls import SCHEMES, WEB, is_remote, parse, redact, scrub

#: where each client finds its credentials (said when there are none, or access is denied)
CREDENTIALS = {
    "s3fs": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or ~/.aws/credentials",
    "gcsfs": "set GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login`",
    "adlfs": "set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY "
             "(or `az login`)",
    "aiohttp": "use a signed URL, or a file the server serves without credentials",
}
#: a streamed file's first request, and the size its requests grow to (S3, GCS, Azure)
FIRST_BLOCK = 256 << 10
STREAM_BLOCK = 16 << 20
#: fsspec's block size of a file read in ranges (its reads are the ranges pyarrow asks for)
RANGE_BLOCK = 4 << 20

_GLOB = re.compile(r"[*\[]|\?(?![^/]*=)")
#: the info keys of each identity, as s3fs, gcsfs, adlfs and fsspec's http file system name them
_VERSION_KEYS = ("VersionId", "version_id", "generation")
_ETAG_KEYS = ("ETag", "etag", "md5Hash", "Content-MD5")
_MTIME_KEYS = ("LastModified", "last_modified", "Last-Modified", "updated", "mtime", "modified")


# -- errors -----------------------------------------------------------------------------------------

def _package(scheme: str) -> str:
    return SCHEMES[scheme][0]


def extra_missing(scheme: str) -> str:
    pkg = _package(scheme)
    needs = "fsspec" + (f" and {pkg}" if pkg != "aiohttp" else " with aiohttp")
    return f"reading {scheme}:// URLs needs ftlint's remote extra ({needs}): pip install 'ftlint[remote]'"


def _status(e: BaseException) -> int | None:
    """The HTTP status of an error (aiohttp's, botocore's), or of the error that caused it."""
    seen = 0
    while e is not None and seen < 5:
        status = getattr(e, "status", None)
        if isinstance(status, int):
            return status
        response = getattr(e, "response", None)
        if isinstance(response, Mapping):
            code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(code, int):
                return code
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
        seen += 1
    return None


_UNREACHABLE = frozenset({"ClientConnectorError", "ServerDisconnectedError", "EndpointConnectionError",
                          "ConnectTimeoutError", "ReadTimeoutError", "ServerTimeoutError", "ClientOSError",
                          "ConnectionError", "TimeoutError", "ConnectionRefusedError"})


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while e is not None and len(out) < 6:
        out.append(e)
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
    return out


def describe(e: BaseException, scheme: str, url: str) -> str:
    """One line saying why a URL could not be read (never with its credentials)."""
    service = SCHEMES[scheme][1]
    names = {k.__name__ for c in _chain(e) for k in type(c).__mro__}
    detail = scrub(str(e) or type(e).__name__, url)
    low = detail.lower()
    status = _status(e)
    unreachable = next((c for c in _chain(e) if {k.__name__ for k in type(c).__mro__} & _UNREACHABLE), None)
    if unreachable is not None and status is None:
        return f"cannot reach {service} ({scrub(str(unreachable) or type(unreachable).__name__, url)})"
    if names & {"ClientPayloadError", "ContentLengthError", "IncompleteRead", "ResponseStreamingError",
                "IncompleteReadError"}:
        return f"the transfer broke off before the end of the file ({detail})"
    if "support range requests" in low:
        return ("the server does not answer range requests, which reading a Parquet or Arrow file needs: "
                "download the file, or convert it to JSONL (read as one stream)")
    if isinstance(e, ImportError) or (isinstance(e, ValueError) and "protocol not known" in low):
        return extra_missing(scheme)
    if names & {"NoCredentialsError", "PartialCredentialsError", "DefaultCredentialsError",
                "ClientAuthenticationError", "CredentialUnavailableError"} or "unable to locate credentials" in low:
        return f"no credentials for {service} were found: {CREDENTIALS[_package(scheme)]}"
    if status in (401, 403) or isinstance(e, PermissionError) or "accessdenied" in low.replace(" ", ""):
        code = f"HTTP {status}" if status else detail
        return f"access denied ({code}): check the credentials ({CREDENTIALS[_package(scheme)]})"
    if isinstance(e, FileNotFoundError) or status == 404 or "nosuchkey" in low or "nosuchbucket" in low:
        if scheme in WEB:
            return "no such file on the server (HTTP 404)" if status in (None, 404) else \
                f"the server refused the request (HTTP {status})"
        if "bucket" in low or "container" in low:
            kind = "container" if _package(scheme) == "adlfs" else "bucket"
            return f"no such {kind}: {urlsplit(redact(url)).netloc or '?'}"
        return "no such object (nothing at this URL)"
    if status is not None:
        return f"the server refused the request (HTTP {status}: {detail})"
    return f"cannot read it: {detail}"


# -- files -----------------------------------------------------------------------------------------

def _identity(info: Mapping[str, Any]) -> tuple[str, str]:
    """(what identifies the object's content, its value): ``version``, ``etag`` or ``size+mtime``;
    ("", "") when the storage says none of them."""
    for how, keys in (("version", _VERSION_KEYS), ("etag", _ETAG_KEYS)):
        for k in keys:
            v = info.get(k)
            if v not in (None, ""):
                return how, f"{v}|{info.get('size')}"
    for k in _MTIME_KEYS:
        v = info.get(k)
        if v not in (None, ""):
            return "size+mtime", f"{info.get('size')}|{v}"
    return "", ""


#: how each identity is named in reports
IDENTITY_SHOWN = {"version": "object version", "etag": "ETag", "size+mtime": "size and modification time",
                  "": "the bytes, read once more (the server sends no ETag or Last-Modified)"}


class _Stream(io.RawIOBase):
    """An fsspec file as a raw stream whose errors are :class:`InputError` s with a scrubbed one-line
    message located at the URL: a transfer that breaks off in the middle of a file is unusable input
    (exit 2), never a traceback, and never taken for a file that ends there (a compressed file's
    decompressor reads a cut file as truncated: FT001 and the records before it).

    A file read from start to end (``sequential``) is fetched in requests that grow from
    :data:`FIRST_BLOCK` to :data:`STREAM_BLOCK` (sniffing a file's first bytes costs one small
    request; a large file takes few); one that seeks (Parquet, Arrow) reads exactly the ranges
    asked for."""

    def __init__(self, f: Any, rf: RemoteFile, sequential: bool) -> None:
        self._f = f
        self._rf = rf
        self._sequential = sequential
        self._chunk = FIRST_BLOCK
        self._pending = memoryview(b"")

    def _fail(self, e: BaseException) -> InputError:
        return InputError(f"reading stopped: {describe(e, self._rf.scheme, self._rf.url)}", self._rf.shown)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        try:
            return bool(self._f.seekable())
        except Exception:  # noqa: BLE001 - a file that cannot say is not seekable
            return False

    def _read(self, n: int) -> bytes:
        try:
            return bytes(self._f.read(n))
        except Exception as e:  # noqa: BLE001 - aiohttp, botocore: any client error is an unreadable file
            raise self._fail(e) from None

    def readinto(self, buf: Any) -> int:
        want = len(buf)
        if not self._sequential:
            data = self._read(want)
            buf[:len(data)] = data
            return len(data)
        if not self._pending:
            self._pending = memoryview(self._read(max(want, self._chunk)))
            self._chunk = min(self._chunk * 4, STREAM_BLOCK)
        n = min(want, len(self._pending))
        buf[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos, whence = self.tell() + pos, 0
        self._pending = memoryview(b"")
        try:
            return int(self._f.seek(pos, whence))
        except Exception as e:  # noqa: BLE001
            raise self._fail(e) from None

    def tell(self) -> int:
        try:
            return int(self._f.tell()) - len(self._pending)
        except Exception:  # noqa: BLE001 - a closed or broken file
            return 0

    def close(self) -> None:
        try:
            self._f.close()
        except Exception:  # noqa: BLE001 - closing a broken connection: nothing to say
            pass
        finally:
            super().close()


@dataclass(frozen=True)
class RemoteFile:
    """One remote dataset file, a ``data.formats.Source``: read through fsspec, shown redacted."""

    #: the URL as reports show it (no credentials, no query string)
    shown: str
    scheme: str
    #: "gzip", "bzip2", "xz", "zstd", or None
    compression: str | None
    #: what the cache key is made from: "version", "etag", "size+mtime" or "" (the bytes)
    identity: str
    size: int | None
    #: the format seeks (Parquet, Arrow): ranged reads instead of one stream
    random_access: bool
    token: str = field(default="", repr=False)
    url: str = field(default="", repr=False)  # as given: may hold credentials, never shown
    fs_path: str = field(default="", repr=False)
    fs: Any = field(default=None, repr=False, compare=False, hash=False)

    @property
    def local(self) -> Path:
        """The file's key among the local paths of a run (its assignment, the output guard): the
        shown URL as a path (``s3:/bucket/key``), which no local file ftlint reads is."""
        return Path(self.shown)

    @property
    def name(self) -> str:
        return PurePosixPath(urlsplit(self.shown).path).name

    def open_raw(self) -> IO[bytes]:
        """The object's bytes: streamed from start to end, or read in the byte ranges asked for (a
        format that seeks: Parquet, Arrow)."""
        try:
            if self.scheme in WEB:  # one GET streamed, or ranged GETs (the server must take Range)
                f = self.fs.open(self.fs_path, "rb", block_size=RANGE_BLOCK if self.random_access else 0,
                                 cache_type="none", size=self.size)
            else:
                f = self.fs.open(self.fs_path, "rb", block_size=RANGE_BLOCK, cache_type="none")
            if self.scheme in WEB and self.random_access and self.size:
                f.seek(max(0, self.size - 8))  # a Parquet/Arrow file is read in ranges: can it be?
                f.read(8)
                f.seek(0)
        except Exception as e:  # noqa: BLE001 - any client error: the file cannot be read
            raise OSError(describe(e, self.scheme, self.url)) from None
        raw = _Stream(f, self, sequential=not self.random_access)
        return raw if self.random_access else io.BufferedReader(raw, 1 << 16)  # type: ignore[return-value]

    def content_hash(self) -> str:
        """From the object's version, ETag or size and modification time (see the module); the
        bytes when the storage says none of them."""
        h = xxhash.xxh3_128()
        h.update(f"remote|{self.shown}|".encode())
        if self.identity:
            h.update(f"{self.identity}|{self.token}".encode())
            return h.hexdigest()
        with self.open_raw() as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
        return h.hexdigest()

    def extra(self) -> dict[str, Any]:
        """What the report lists about the file (``inputs[].extra.remote``)."""
        out: dict[str, Any] = {"url": self.shown, "scheme": self.scheme,
                               "cache_key_from": IDENTITY_SHOWN[self.identity]}
        if self.size is not None:
            out["size"] = self.size
        return out


def _filesystem(url: str, scheme: str) -> tuple[Any, str]:
    """(a new fsspec file system for ``url``, the path it takes); credentials from the environment."""
    try:
        import fsspec.core
    except ImportError:
        raise InputError(extra_missing(scheme), redact(url)) from None
    try:
        fs, path = fsspec.core.url_to_fs(url, skip_instance_cache=True)
    except Exception as e:  # noqa: BLE001 - ImportError for a missing package, anything its constructor raises
        raise InputError(describe(e, scheme, url), redact(url)) from None
    return fs, (url if scheme in WEB else path)


def _file_name(fs_path: str) -> str:
    return PurePosixPath(fs_path.split("?", 1)[0]).name


def _dataset_name(name: str) -> bool:
    from ftlint.data.load import _dataset_name as local_rule

    return local_rule(name)


def _remote_file(fs: Any, scheme: str, url: str, fs_path: str, info: Mapping[str, Any]) -> RemoteFile:
    from ftlint.data.formats import format_of

    found = format_of(_file_name(fs_path))
    fmt, compression = found if found is not None else (None, None)
    how, token = _identity(info)
    size = info.get("size")
    return RemoteFile(shown=redact(url), scheme=scheme, compression=compression, identity=how,
                      size=int(size) if isinstance(size, (int, float)) else None,
                      random_access=fmt is not None and not fmt.compressible, token=token, url=url,
                      fs_path=fs_path, fs=fs)


def _child_url(url: str, scheme: str, fs: Any, fs_path: str) -> str:
    """The URL of an object found under ``url`` (its userinfo kept: the file system was made with it)."""
    return fs.unstrip_protocol(fs_path) if scheme not in WEB else fs_path


def expand(text: str | os.PathLike[str], what: str = "dataset", recursive: bool = False) -> list[RemoteFile]:
    """The remote files a URL names: one object, the dataset files of a prefix (with ``recursive``,
    of every prefix below it too), or those a pattern matches (sorted). Unusable input (no such
    object or bucket, no credentials, no dataset files, the extra not installed) raises
    :class:`InputError` located at the URL as shown."""
    from ftlint.data.load import SUFFIXES_SHOWN

    url = parse(text)
    if url is None:
        raise InputError("not a URL ftlint reads (s3://, gs://, az://, abfs://, http(s)://)", str(text))
    scheme = url.partition(":")[0]
    shown = redact(url)
    fs, path = _filesystem(url, scheme)
    try:
        if scheme in WEB:
            if url.endswith("/"):
                raise InputError("an http(s) URL names one file; ftlint does not list web folders: name each "
                                 "file", shown)
            entries = [(path, fs.info(path))]
        elif _GLOB.search(path):
            matched = fs.glob(path, detail=True)
            entries = sorted((p, i) for p, i in matched.items() if i.get("type") != "directory"
                             and _dataset_name(_file_name(p)))
            if not entries:
                raise InputError(f"no {what} files match this pattern ({SUFFIXES_SHOWN})", shown)
        else:
            info = fs.info(path)
            if info.get("type") == "directory":
                listing = fs.find(path, detail=True) if recursive else \
                    {i["name"]: i for i in fs.ls(path, detail=True)}
                base = path.rstrip("/")
                entries = sorted((p, i) for p, i in listing.items() if i.get("type") != "directory"
                                 and _dataset_name(_file_name(p))
                                 and not any(part.startswith(".") for part in p[len(base):].split("/")))
                if not entries:
                    deep = "" if recursive else "; prefixes below it are not searched without --recursive"
                    raise InputError(f"no {what} files under this prefix ({SUFFIXES_SHOWN}){deep}", shown)
            else:
                entries = [(path, info)]
    except FtlintError:
        raise
    except Exception as e:  # noqa: BLE001 - any client error: the URL cannot be used
        raise InputError(describe(e, scheme, url), shown) from None
    out: list[RemoteFile] = []
    from ftlint.data.formats import format_of

    for p, info in entries:
        child = url if len(entries) == 1 and p == path else _child_url(url, scheme, fs, p)
        rf = _remote_file(fs, scheme, child, p, info)
        if format_of(rf.name) is None:
            raise InputError(f"not a dataset file: expected one of {SUFFIXES_SHOWN}", rf.shown)
        out.append(rf)
    return out


#: the remote files loaded in this process, by the ``abspath`` of their ``SourceFile`` (``ftlint
#: fix`` reads them again to write the repaired copies)
_LOADED: dict[str, RemoteFile] = {}


def loaded(abspath: str) -> RemoteFile | None:
    """The remote file a dataset's ``SourceFile.abspath`` names, when it was loaded in this process."""
    return _LOADED.get(abspath)


def load(rf: RemoteFile, split: str, why: str, mapping: Mapping[str, str] | None, forced_format: str | None,
         cache: Any, **kwargs: Any) -> Any:
    """Read one remote file into a Dataset with the dataset loader (streamed through :meth:`RemoteFile.open_raw`)."""
    from ftlint.data.load import load_dataset_file

    ds = load_dataset_file(rf.local, split, why, mapping, forced_format, cache, data_source=rf,
                           **kwargs)
    for f in ds.files:
        _LOADED[f.abspath] = rf
    return ds


def shown_path(p: Path | str) -> str:
    """How a path of a run's assignment is shown: a remote file's URL (``s3://``), else the local path."""
    url = parse(p)
    if url is not None:
        return redact(url)
    from ftlint.data.load import display_path

    return display_path(Path(p))


__all__ = ["SCHEMES", "RemoteFile", "describe", "expand", "is_remote", "load", "loaded", "parse",
           "redact", "scrub", "shown_path"]
