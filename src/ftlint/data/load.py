"""Reading dataset files: JSONL, JSON (array, one object or concatenated objects), CSV/TSV, Parquet.

Every row keeps its path, 0-based index and 1-based source line. A malformed record inside a
readable file becomes a :class:`Malformed` entry (FT001) and the rest of the file is read; a file
that cannot be used at all raises :class:`InputError` (exit 2).
"""

from __future__ import annotations

import bisect
from collections import Counter
import csv
import errno
import io
import json
import os
import re
import shlex
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import orjson
import xxhash

from ftlint.cache import MISS, Cache, cache_key
from ftlint.data.cached import DATASET
from ftlint.data.columns import CodedColumn, OptionalTextColumn, SpillError, TextColumn, save_text_columns
from ftlint.data.dataset import Dataset, Malformed, SourceFile
from ftlint.data.schema import (
    CONSUMED_KEYS,
    FORMATS_BY_NAME,
    LABEL_KEYS,
    SCORE_COLUMNS,
    Format,
    Issue,
    apply_mapping,
    detect_format,
)
from ftlint.errors import FormatError, InputError
from ftlint.findings import snippet
from ftlint.grammar import plural

SPLITS = ("train", "validation", "test")
DATASET_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
#: JSON files in a data directory that are registries or tool files, not datasets
NOT_DATASETS = {"dataset_info.json", ".ftlint-baseline.json", "package.json", "package-lock.json",
                "tsconfig.json", "config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "generation_config.json"}
VALIDATION_WORDS = {"val", "valid", "validation", "dev", "eval", "evaluation"}
TEST_WORDS = {"test"}
DETECT_SAMPLE = 200
EXTRA_MAX_CHARS = 200
LOADER_VERSION = 6
#: share of records holding text from which the detected format extracts none: a detection failure
HOLLOW_SHARE = 0.8
#: keys whose string values are structure, not text (a role name, a part type)
_STRUCTURE_KEYS = frozenset({"role", "from", "type", "name", "id", "tool_call_id"})


def display_path(path: Path) -> str:
    """The path as shown in reports: relative to the working directory when below it."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix() if _below_cwd(path) else path.as_posix()
    except (ValueError, RuntimeError, OSError):  # other drive on Windows; a symlink loop
        return path.as_posix()


def _below_cwd(path: Path) -> bool:
    try:
        path.resolve().relative_to(Path.cwd().resolve())
        return True
    except (ValueError, RuntimeError, OSError):
        return False


def is_dataset_file(path: Path) -> bool:
    """A file whose name says it is a dataset (supported suffix, not a known registry/tool file, not
    a training run's log or a file of its output directory: ``ftlint.runs.detect``)."""
    from ftlint.runs.detect import is_run_log

    return (path.is_file() and path.name.lower().endswith(DATASET_SUFFIXES) and not _not_dataset(path.name)
            and not is_run_log(path))


def _not_dataset(name: str) -> bool:
    low = name.lower()
    return low in NOT_DATASETS or low.endswith("dataset_info.json")


def infer_split(path: Path) -> tuple[str, str] | None:
    """The split a file's stem names (``val``/``valid``/``validation``/``dev``/``eval``; ``test``)."""
    stem = path.name
    for suf in DATASET_SUFFIXES:
        if stem.lower().endswith(suf):
            stem = stem[: -len(suf)]
            break
    words = [w for w in re.split(r"[^a-z0-9]+", stem.lower()) if w]
    for w in words:
        if w in VALIDATION_WORDS:
            return "validation", f"file name says '{w}'"
    for w in words:
        if w in TEST_WORDS:
            return "test", f"file name says '{w}'"
    return None


#: compressed files: the command that decompresses one and keeps the original
COMPRESSED = {".gz": "gunzip -k", ".bz2": "bunzip2 -k", ".xz": "unxz -k", ".zst": "unzstd", ".zstd": "unzstd",
              ".lz4": "unlz4", ".zip": "unzip", ".7z": "7z x", ".tgz": "tar xzf", ".tar": "tar xf"}


def compressed_hint(path: Path) -> str | None:
    """For a compressed file (``train.jsonl.gz``): what it is and the command that decompresses it."""
    low = path.name.lower()
    for suffix, command in COMPRESSED.items():
        if low.endswith(suffix):
            return (f"compressed file ({suffix[1:]}): decompress it first (`{command} {shlex.quote(str(path))}`); "
                    "compressed input is not read yet")
    return None


def missing_reason(path: Path) -> str:
    """Why ``path`` cannot be opened although it may be listed: a symlink loop, a broken symlink, or
    no such file."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop: the link leads back to itself (too many levels of symbolic links)"
        if os.path.islink(path):
            return f"broken symlink: it points to {os.readlink(path)}, which does not exist"
        if e.errno not in (errno.ENOENT, errno.ENOTDIR):
            return f"cannot open it: {e.strerror or e}"
    return "no such file or directory"


def _dataset_name(name: str) -> bool:
    return name.lower().endswith(DATASET_SUFFIXES) and not _not_dataset(name) and not name.startswith(".")


def skipped_files(paths: Iterable[str | Path]) -> list[tuple[str, str]]:
    """Files of the directories among ``paths`` that look like data but are not read, with why:
    compressed datasets (``train.jsonl.gz``), and symlink loops or broken symlinks with a dataset
    name. (:func:`expand_paths` leaves them out; the report must say so.)"""
    out: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw)
        if not p.is_dir():
            continue
        try:
            children = sorted(p.iterdir())
        except OSError:
            continue
        for c in children:
            if c.name.startswith("."):
                continue
            hint = compressed_hint(c)
            inner = c.name
            for suffix in COMPRESSED:
                if inner.lower().endswith(suffix):
                    inner = inner[: -len(suffix)]
                    break
            shown = (PurePosixPath(display_path(p)) / c.name).as_posix()  # the link itself, not its target
            if hint is not None and _dataset_name(inner) and c.is_file():
                out.append((shown, hint))
            elif _dataset_name(c.name) and os.path.islink(c) and not c.exists():
                out.append((shown, missing_reason(c)))
    return out


def expand_paths(paths: Sequence[str | Path], what: str = "dataset") -> list[Path]:
    """Files stay files; a directory expands, not recursively, to its dataset files."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(missing_reason(p), str(raw))
        if p.is_dir():
            from ftlint.runs.detect import is_run_dir

            if is_run_dir(p):  # a trainer's output directory: its logs and results are not data
                raise InputError("a training run's output directory (it holds trainer_state.json or "
                                 "trainer_log.jsonl), not data: check the run with `--run " f"{raw}`", str(raw))
            from ftlint.runs.detect import is_run_log

            found = sorted(c for c in p.iterdir() if c.is_file() and _dataset_name(c.name) and not is_run_log(c))
            if not found:
                compressed = [name for name, _ in skipped_files([p]) if compressed_hint(Path(name))]
                also = ""
                if compressed:
                    shown = ", ".join(Path(n).name for n in compressed[:3]) + (", ..." if len(compressed) > 3 else "")
                    example = (compressed_hint(Path(compressed[0])) or "").split("`")[1]
                    also = (f"; it has compressed ones ({shown}): decompress them first (e.g. `{example}`); "
                            "compressed input is not read yet")
                raise InputError(f"directory has no {what} files ({', '.join(DATASET_SUFFIXES)}){also}", str(raw))
            out.extend(found)
        elif p.is_file():
            from ftlint.runs.detect import is_run_log

            if is_run_log(p):
                raise InputError(f"a training run's log, not data: check the run with `--run {raw}`", str(raw))
            if not p.name.lower().endswith(DATASET_SUFFIXES):
                hint = compressed_hint(p)
                raise InputError(
                    f"not a dataset file: {hint}" if hint else
                    f"not a dataset file: expected one of {', '.join(DATASET_SUFFIXES)}"
                    " (a training config goes after --config)",
                    str(raw),
                )
            out.append(p)
        else:
            raise InputError("not a regular file", str(raw))
    return out


# -- record iterators: yield (index, line, record-or-None, malformed reason, raw text) ----------------

Item = tuple[int | None, Any, str | None, str]


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


def _iter_jsonl(data: bytes | Iterable[bytes]) -> Iterator[Item]:
    """Records of JSONL ``data``: the file's bytes, or its lines (an open binary file, streamed)."""
    lineno = 0
    for raw in io.BytesIO(data) if isinstance(data, bytes) else data:
        lineno += 1
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        text, err = _decode_line(raw)
        if err is not None:
            yield lineno, None, err, raw.decode("utf-8", "replace")
            continue
        try:
            yield lineno, orjson.loads(raw.rstrip(b"\r\n")), None, ""
        except orjson.JSONDecodeError as e:
            constant = _json_constant(text or "")
            msg = _constant_reason(constant) if constant else f"invalid JSON: {str(e).split(':')[0]}"
            yield lineno, None, msg, text or ""


#: JavaScript constants Python's json module reads but JSON does not allow
_CONSTANTS = ("NaN", "Infinity", "-Infinity")


def _json_constant(text: str) -> str | None:
    """The constant (``NaN``, ``Infinity``, ``-Infinity``) that makes ``text`` invalid JSON, when
    that is the only reason it is (Python's json reads them; JSON parsers such as orjson do not)."""
    if not any(c in text for c in _CONSTANTS):
        return None
    found: list[str] = []
    try:
        json.loads(text, parse_constant=lambda c: found.append(c) or 0.0)
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None


def _constant_reason(constant: str) -> str:
    return (f"invalid JSON: {constant} is not a JSON value (pandas and Python's json write it for a missing or "
            "infinite number); write null, or a number")


def _iter_jsonl_file(path: Path, shown: str) -> Iterator[Item]:
    """:func:`_iter_jsonl` over an open file: one line in memory at a time (a 1M-row file is not read
    whole, which halved the loader's peak memory)."""
    try:
        with open(path, "rb") as fh:
            yield from _iter_jsonl(fh)
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", shown) from None


_WS = re.compile(r"[ \t\n\r]*")


_SURROGATE = re.compile("[\udc80-\udcff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _iter_json(data: bytes) -> Iterator[Item]:
    """A JSON array of records, one object, or concatenated objects/arrays, with start lines."""
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    bad_bytes = [m.start() for m in _SURROGATE.finditer(text)]
    constants: list[str] = []
    dec = json.JSONDecoder(parse_constant=lambda c: constants.append(c) or 0.0)
    line, line_pos = 1, 0

    def line_at(p: int) -> int:
        nonlocal line, line_pos
        line += text.count("\n", line_pos, p)
        line_pos = p
        return line

    def ws(p: int) -> int:
        return _WS.match(text, p).end()  # type: ignore[union-attr]

    def fail(e: json.JSONDecodeError) -> Item:
        ln = text.count("\n", 0, e.pos) + 1
        return (ln, None, f"invalid JSON ({e.msg}); the records after this point could not be read",
                _clean(text[max(0, e.pos - 60): e.pos + 60]))

    def record(start: int) -> tuple[Item, int] | None:
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


def _iter_csv(data: bytes, delimiter: str, json_columns: frozenset[str] = frozenset(_JSONISH)) -> Iterator[Item]:
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    prev_end = 0
    for fields in reader:
        start = prev_end + 1
        prev_end = reader.line_num
        if header is None:
            header = [h.strip() for h in fields]
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        raw = delimiter.join(fields)
        if re.search("[\udc80-\udcff]", raw):
            yield start, None, not_utf8_reason("row", raw.encode("utf-8", "surrogateescape")), _clean(raw)
            continue
        if len(fields) != len(header):
            yield start, None, f"row has {plural(len(fields), 'field')}, the header has {len(header)}", raw
            continue
        rec: dict[str, Any] = {}
        for k, v in zip(header, fields):
            if k in json_columns and v[:1] in ("[", "{"):
                try:
                    rec[k] = orjson.loads(v)
                    continue
                except orjson.JSONDecodeError:
                    pass
            rec[k] = v
        yield start, rec, None, ""


def _iter_parquet(path: Path) -> Iterator[Item]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def one_line(e: BaseException) -> str:
        return " ".join(str(e).split()) or type(e).__name__

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise InputError(f"cannot read Parquet file: {one_line(e)}", str(path)) from None
    done = 0
    batches = pf.iter_batches(batch_size=8192)
    while True:
        try:  # a corrupt page, a bad string: the file cannot be read past it (the gate must not pass)
            batch = next(batches, None)
            if batch is None:
                return
            recs = batch.to_pylist()
        except UnicodeDecodeError as e:
            raise InputError(f"cannot read Parquet file after {done:,} rows: a string column holds bytes that are "
                             f"not valid UTF-8 ({one_line(e)})", str(path)) from None
        except (pa.ArrowException, OSError, ValueError) as e:
            raise InputError(f"cannot read Parquet file after {done:,} rows: the file is corrupt ({one_line(e)})",
                             str(path)) from None
        for rec in recs:
            yield None, rec, None, ""
        done += len(recs)


# -- building the compact columns ------------------------------------------------------------------

def _flat_extras(items: Any, depth: int = 2) -> Iterator[tuple[str, Any]]:
    """A record's extra columns, with the scalar fields of nested objects as dotted columns
    (``{"metadata": {"gender": "f"}}`` -> ``metadata.gender``: where chat data keeps its
    attributes), ``depth`` levels deep."""
    for k, v in items:
        if isinstance(v, dict) and depth > 0:
            yield from ((f"{k}.{sk}", sv) for sk, sv in _flat_extras(v.items(), depth - 1))
        else:
            yield k, v


class _Builder:
    """Streams converted records into the compact columns (``data.columns``): the text of a large
    split goes to a temporary file in ``text_dir`` as it is read, never a Python object per row."""

    def __init__(self, fmt: Format, mapping: Mapping[str, str], text_dir: str | None = None) -> None:
        self.fmt = fmt
        self.mapping = mapping
        self.index = array("q")
        self.line = array("q")
        self.roles = CodedColumn()
        self.texts = TextColumn(text_dir)
        self.labels = CodedColumn()
        self.rejected = OptionalTextColumn(text_dir)
        self.extras: dict[str, list[Any]] = {}
        self.issues: dict[int, tuple[Issue, ...]] = {}
        #: records that hold text but whose converted example has none (the detection guard)
        self.hollow = 0
        self.keys: Counter[str] = Counter()

    def add(self, index: int, line: int | None, rec: Any) -> None:
        row = len(self.index)
        if isinstance(rec, dict):
            if len(self.keys) < 64:
                self.keys.update(k for k in rec if isinstance(k, str))
            rec = apply_mapping(rec, self.mapping)
            ex = self.fmt.convert(rec)
            issues = ex.issues
            if not self.fmt.matches(rec):
                keys = ", ".join(list(rec)[:8]) or "none"
                issues = (Issue("missing-key", f"record does not have the keys of the file's format "
                                               f"'{self.fmt.name}' ({self.fmt.description}); keys: {keys}"),)
            for k, v in _flat_extras(rec.items() if ex.extra is None else {**rec, **ex.extra}.items()):
                if k in CONSUMED_KEYS or k in self.fmt.consumed_keys or k in self.mapping:
                    continue
                if v is None or isinstance(v, (str, int, float, bool)):
                    col = self.extras.get(k)
                    if col is None:
                        col = self.extras[k] = [None] * row
                    elif len(col) < row:
                        col.extend([None] * (row - len(col)))
                    col.append(v[:EXTRA_MAX_CHARS] if isinstance(v, str) else v)
            if not any(t.strip() for t in ex.texts) and not (ex.rejected or "").strip() and \
                    _holds_text({k: v for k, v in rec.items() if _text_key(k, self.fmt)}):
                self.hollow += 1  # the record holds text the format did not extract (walked only then)
            self.roles.append(ex.roles)
            self.texts.append(ex.texts)
            self.labels.append(ex.label)
            self.rejected.append(ex.rejected)
        else:
            issues = (Issue("wrong-type", f"record is {type(rec).__name__ if rec is not None else 'null'}, "
                                          "expected a JSON object"),)
            self.roles.append("")
            self.texts.append(())
            self.labels.append(None)
            self.rejected.append(None)
        if issues:
            self.issues[row] = tuple(issues)
        self.index.append(index)
        self.line.append(line or 0)

    def dataset(self, split: str, source: SourceFile, malformed: list[Malformed]) -> Dataset:
        n = len(self.index)
        for col in self.extras.values():
            if len(col) < n:
                col.extend([None] * (n - len(col)))
        return Dataset(
            split=split,
            files=[source],
            file_id=np.zeros(n, dtype=np.int32),
            index=np.frombuffer(self.index, dtype=np.int64).copy(),
            line=np.frombuffer(self.line, dtype=np.int64).copy(),
            roles=self.roles.freeze(),
            texts=self.texts.freeze(),
            labels=self.labels.freeze(),
            rejected=self.rejected.freeze(),
            extras=self.extras,
            issues=self.issues,
            malformed=malformed,
        )


#: keys whose values are labels or schemas, not text a format extracts
_NOT_TEXT_KEYS = frozenset({*LABEL_KEYS, *SCORE_COLUMNS, "tools"})


def _text_key(key: Any, fmt: Format) -> bool:
    """Whether a record's key holds text the format reads (so text there that comes out empty is a
    detection failure); labels, scores, tool schemas and extra columns are not."""
    if not isinstance(key, str) or key.lower() in _NOT_TEXT_KEYS:
        return False
    return key in CONSUMED_KEYS or key in fmt.consumed_keys


def _holds_text(value: Any, depth: int = 0) -> bool:
    """Whether a record holds a non-empty string anywhere but under a structure key (role, type, ...)."""
    if isinstance(value, str):
        return bool(value.strip())
    if depth > 6:
        return False
    if isinstance(value, dict):
        return any(_holds_text(v, depth + 1) for k, v in value.items() if k not in _STRUCTURE_KEYS)
    if isinstance(value, list):
        return any(_holds_text(v, depth + 1) for v in value)
    return False


def _hollow_guard(builder: _Builder, shown: str, keys: Sequence[str]) -> None:
    """Refuse a file whose detected format extracts no text from most records that hold some: every
    finding about it would be about empty rows that are not empty (a detection failure, not data)."""
    n = len(builder.index)
    if not n or builder.hollow < HOLLOW_SHARE * n:
        return
    fmt = builder.fmt
    raise FormatError(
        f"detected format '{fmt.name}' ({fmt.description}) extracts no text from {builder.hollow:,} of {n:,} "
        f"records that hold text; keys found: {', '.join(keys) or 'none'}. Map your columns in the settings, "
        "e.g. [dataset.columns] prompt = \"<your prompt key>\", response = \"<your response key>\" (or messages = "
        "\"...\", text = \"...\", label = \"...\"), or set [dataset] format = one of: "
        + ", ".join(FORMATS_BY_NAME), shown)


def _file_hash(path: Path) -> str:
    h = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            h.update(chunk)
    return h.hexdigest()


def load_dataset_file(
    path: Path,
    split: str,
    split_source: str,
    mapping: Mapping[str, str] | None = None,
    forced_format: str | None = None,
    cache: Cache | None = None,
) -> Dataset:
    """Read one dataset file into a :class:`Dataset` of one split (cached by content hash)."""
    mapping = dict(mapping or {})
    shown = display_path(path)
    try:
        content_hash = _file_hash(path)
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", shown) from None
    key = cache_key("dataset", LOADER_VERSION, content_hash, sorted(mapping.items()), forced_format,
                    path.suffix.lower())
    cached = cache.get(key, DATASET, "dataset") if cache else MISS
    if cached is not MISS and cached.files[0].content_hash == content_hash:
        f = cached.files[0]
        f.path, f.abspath, f.split, f.split_source = shown, str(path.resolve()), split, split_source
        cached.split = split
        return cached
    text_dir = None
    if cache is not None and cache.enabled and cache.root is not None:
        try:  # the text of a large split is spilled next to the cache (not in a small /tmp)
            cache.root.mkdir(parents=True, exist_ok=True)
            text_dir = str(cache.root)
        except OSError:
            pass
    try:
        ds = _read(path, shown, split, split_source, mapping, forced_format, content_hash, text_dir)
    except SpillError as e:
        where = text_dir or tempfile.gettempdir()
        raise InputError(f"cannot write ftlint's temporary text file in {where}: {e.strerror or e} "
                         "(set TMPDIR to a folder with room)", shown) from None
    if cache and cache.folder(key):
        try:  # the cache entry refers to a copy of the text file instead of embedding the text
            save_text_columns([ds.texts, ds.rejected], lambda k: cache.side_path(key, k))
        except OSError:
            return ds  # no room for the copy: no cache entry
        cache.put(key, ds, DATASET, "dataset")
    return ds


def _read(path: Path, shown: str, split: str, split_source: str, mapping: dict[str, str],
          forced_format: str | None, content_hash: str, text_dir: str | None = None) -> Dataset:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic != b"PAR1":
            raise InputError("not a Parquet file (no PAR1 magic bytes)", shown)
        items: Iterator[Item] = _iter_parquet(path)
    else:
        stream = suffix in (".jsonl", ".ndjson")  # JSONL is streamed line by line, never held whole
        try:
            if stream:
                with open(path, "rb") as fh:
                    data = fh.read(8192)
            else:
                data = path.read_bytes()
        except OSError as e:
            raise InputError(f"cannot read file: {e.strerror or e}", shown) from None
        head = data[:8192]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError("file is UTF-16 encoded; save it as UTF-8", shown)
        if b"\x00" in head:
            raise InputError("not a text file (binary content); expected JSONL, JSON, CSV, TSV or Parquet", shown)
        if stream:
            items = _iter_jsonl_file(path, shown)
        elif suffix == ".json":
            items = _iter_json(data)
        else:
            json_columns = frozenset(_JSONISH) | {mapping[k] for k in _JSONISH if k in mapping}
            items = _iter_csv(data, "\t" if suffix == ".tsv" else ",", json_columns)

    malformed: list[Malformed] = []
    buffered: list[tuple[int, int | None, Any]] = []
    index = 0
    count = 0
    fmt: Format | None = None
    builder: _Builder | None = None
    for line, rec, err, raw in items:
        count += 1
        if err is not None:
            malformed.append(Malformed(0, index, line, err, snippet(raw)))
            index += 1
            continue
        if builder is None:
            buffered.append((index, line, rec))
            if len(buffered) >= DETECT_SAMPLE:
                fmt = detect_format([apply_mapping(r, mapping) if isinstance(r, dict) else r
                                     for _, _, r in buffered], shown, forced_format)
                builder = _Builder(fmt, mapping, text_dir)
                for b in buffered:
                    builder.add(*b)
                buffered = []
        else:
            builder.add(index, line, rec)
        index += 1
    if builder is None:
        if buffered:
            fmt = detect_format([apply_mapping(r, mapping) if isinstance(r, dict) else r
                                 for _, _, r in buffered], shown, forced_format)
        builder_fmt = fmt
        if builder_fmt is None:
            builder_fmt = detect_format([], shown, forced_format) if forced_format else None  # unknown name: FormatError
        if builder_fmt is not None:
            builder = _Builder(builder_fmt, mapping, text_dir)
            for b in buffered:
                builder.add(*b)
    fmt_name = builder.fmt.name if builder is not None else ("empty" if count == 0 else "unknown")
    source = SourceFile(path=shown, abspath=str(path.resolve()), split=split, split_source=split_source,
                        format=fmt_name, records=count, content_hash=content_hash)
    if builder is None:
        ds = Dataset(split=split, files=[source], malformed=malformed)
        return ds
    _hollow_guard(builder, shown, [k for k, _ in builder.keys.most_common(12)])
    return builder.dataset(split, source, malformed)
