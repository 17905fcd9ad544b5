"""URLs of remote dataset files (``s3://``, ``gs://``, ``az://``, ``https://``, ...): recognising them,
and showing them without credentials. A leaf module (the settings, the command line and the output
guard use it); reading the files is ``ftlint.remote``'s.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

#: scheme -> (the fsspec package that reads it, the service as messages name it)
SCHEMES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "S3"),
    "s3a": ("s3fs", "S3"),
    "gs": ("gcsfs", "Google Cloud Storage"),
    "gcs": ("gcsfs", "Google Cloud Storage"),
    "az": ("adlfs", "Azure Blob Storage"),
    "abfs": ("adlfs", "Azure Blob Storage"),
    "abfss": ("adlfs", "Azure Blob Storage"),
    "http": ("aiohttp", "HTTP"),
    "https": ("aiohttp", "HTTPS"),
}
WEB = frozenset({"http", "https"})
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):/(?P<rest>.*)$", re.DOTALL)


# -- naming and showing URLs ---------------------------------------------------------------------------

def parse(text: str | os.PathLike[str]) -> str | None:
    """The URL ``text`` names, with its ``//`` restored where a ``pathlib.Path`` collapsed it
    (``s3:/bucket/key``); None for anything else (a local path, a folder named ``s3:`` that exists)."""
    s = os.fspath(text)
    m = _URL.match(s)
    if m is None or m.group("scheme").lower() not in SCHEMES:
        return None
    try:
        if os.path.exists(s):
            return None
    except (OSError, ValueError):
        pass
    rest = m.group("rest")
    if not rest.startswith("/"):
        rest = "/" + rest
    return f"{m.group('scheme').lower()}:/{rest}"


def is_hf_url(text: Any) -> bool:
    """``hf://datasets/...``, read from the Hugging Face cache (``ftlint.hub``); a ``pathlib.Path``
    made of it reads ``hf:/datasets/...``."""
    s = str(text)
    return isinstance(text, (str, os.PathLike)) and s.startswith(("hf://", "hf:/")) and not os.path.exists(s)


def is_remote(text: Any) -> bool:
    """Whether ``text`` (a str or a path) is a URL ftlint reads through fsspec."""
    return isinstance(text, (str, os.PathLike)) and parse(text) is not None


def _query_is_secret(scheme: str, query: str) -> bool:
    """An http(s) query string is always dropped; an object store's only when it is ``key=value``
    pairs (``s3://b/train-?.jsonl`` is a pattern)."""
    return bool(query) and (scheme in WEB or "=" in query)


def redact(url: str) -> str:
    """The URL as ftlint shows it: without ``user:password@`` and (http(s), or any ``?a=b``) without
    its query string and fragment."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    netloc = netloc.rpartition("@")[2]
    path = slash + path
    if scheme.lower() in WEB:
        path = path.split("#", 1)[0]
    q = path.find("?")
    if q >= 0 and _query_is_secret(scheme.lower(), path[q + 1:]):
        path = path[:q]
    return f"{scheme}://{netloc}{path}"


def _secrets(url: str) -> list[str]:
    """The parts of ``url`` that must never be printed: its password and its query values."""
    out: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            out += [parts.password, unquote(parts.password)]
        if parts.username:
            out += [parts.username, unquote(parts.username)]
        if _query_is_secret(parts.scheme.lower(), parts.query):
            out.append(parts.query)
            out += [v for _, v in parse_qsl(parts.query, keep_blank_values=False)]
    except ValueError:
        pass
    return sorted({s for s in out if len(s) >= 4}, key=len, reverse=True)


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"<>]*@")
_WEB_QUERY = re.compile(r"(?i)(\bhttps?://[^\s?#'\"<>]*)[?#][^\s'\"<>]*")


def scrub(text: str, url: str | None = None) -> str:
    """``text`` on one line, with ``url`` shown redacted and no credentials or query string of any
    URL in it (what a storage client's error message may hold)."""
    out = str(text)
    if url:
        for variant in sorted({url, unquote(url)}, key=len, reverse=True):
            out = out.replace(variant, redact(url))
        for secret in _secrets(url):
            out = out.replace(secret, "***")
    out = _USERINFO.sub(r"\1", out)
    out = _WEB_QUERY.sub(r"\1", out)
    out = " ".join(out.split())
    return out[:300] + ("..." if len(out) > 300 else "")


__all__ = ["SCHEMES", "WEB", "is_remote", "parse", "redact", "scrub"]
