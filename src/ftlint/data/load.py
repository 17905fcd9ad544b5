"""Reading dataset files: JSONL, JSON (array, one object or concatenated objects), CSV/TSV, Parquet.

Every row keeps its path, 0-based index and 1-based source line. A malformed record inside a
readable file becomes a :class:`Malformed` entry (FT001) and the rest of the file is read; a file
that cannot be used at all raises :class:`InputError` (exit 2).
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import shlex
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import xxhash

from ftlint.cache import MISS, Cache, cache_key
from ftlint.data.cached import DATASET
from ftlint.data.columns import (
    CodedColumn,
    OptionalTextColumn,
    SpillError,
    TextColumn,
    save_text_columns,
)
from ftlint.data.dataset import Dataset, Malformed, SourceFile
from ftlint.data.formats import (  # noqa: F401 - ICONV_NAMES, encoding_of: re-exported for the FT001 rule
    _JSONISH,
    BY_SUFFIX,
    COMPRESSIONS,
    ICONV_NAMES,
    SUFFIXES,
    FileSource,
    ReadOptions,
    Source,
    encoding_of,
    format_of,
    read_head,
    source_for,
    strip_suffixes,
)
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
from ftlint.paths import relative_posix
from ftlint.runs.detect import is_run_dir, is_run_log

SPLITS = ("train", "validation", "test")
#: every file name ending ftlint reads: JSONL, JSON, CSV, TSV, Parquet, Arrow, and the text formats
#: compressed (``.jsonl.gz``, ``.csv.zst``, ...; see ``data.formats``)
DATASET_SUFFIXES = SUFFIXES
#: the same, as messages list them
SUFFIXES_SHOWN = (", ".join(BY_SUFFIX) + " (the text formats also compressed: "
                  + ", ".join(dict.fromkeys(COMPRESSIONS)) + ")")
#: JSON files in a data directory that are registries or tool files, not datasets
NOT_DATASETS = {"dataset_info.json", ".ftlint-baseline.json", "package.json", "package-lock.json",
                "tsconfig.json", "config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "generation_config.json", "dataset_dict.json"}
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
    rel = relative_posix(path, Path.cwd()) if _below_cwd(path) else None
    return rel if rel is not None else path.as_posix()


def _below_cwd(path: Path) -> bool:
    try:
        path.resolve().relative_to(Path.cwd().resolve())
        return True
    except (ValueError, RuntimeError, OSError):
        return False


def is_dataset_file(path: Path) -> bool:
    """A file whose name says it is a dataset (supported suffix, not a known registry/tool file, not
    a training run's log or a file of its output directory: ``ftlint.runs.detect``)."""
    return path.is_file() and _dataset_file(path)


def _not_dataset(name: str) -> bool:
    low = name.lower()
    return low in NOT_DATASETS or low.endswith("dataset_info.json")


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]


def _split_of_words(words: list[str], what: str) -> tuple[str, str] | None:
    for w in words:
        if w in VALIDATION_WORDS:
            return "validation", f"{what} says '{w}'"
    for w in words:
        if w in TEST_WORDS:
            return "test", f"{what} says '{w}'"
    return None


def infer_split(path: Path) -> tuple[str, str] | None:
    """The split a file's stem names (``val``/``valid``/``validation``/``dev``/``eval``; ``test``);
    for an Arrow file of a ``datasets`` ``save_to_disk`` folder, the split its folder (or its
    ``state.json``) names. Folder names do not count otherwise."""
    if path.name.lower().endswith(".arrow"):
        split = _saved_split(path.parent)
        if split is not None:
            return _split_of_words(_words(split), f"datasets folder '{split}'")
    return _split_of_words(_words(strip_suffixes(path.name)), "file name")


#: compressed files ftlint does not read: the command that decompresses one and keeps the original
COMPRESSED = {".gz": "gunzip -k", ".bz2": "bunzip2 -k", ".xz": "unxz -k", ".zst": "unzstd", ".zstd": "unzstd",
              ".lz4": "unlz4", ".zip": "unzip", ".7z": "7z x", ".tgz": "tar xzf", ".tar": "tar xf"}


def compressed_hint(path: Path) -> str | None:
    """For a compressed file ftlint does not read (``train.jsonl.zip``, ``train.parquet.gz``): what
    it is and the command that decompresses it. None for any other file (``train.jsonl.gz`` is read)."""
    low = path.name.lower()
    if format_of(low) is not None:
        return None
    for suffix, command in COMPRESSED.items():
        if low.endswith(suffix):
            run = f"`{command} {shlex.quote(str(path))}`"
            if suffix in COMPRESSIONS:  # a Parquet or Arrow file, compressed
                return (f"compressed file ({suffix[1:]}): Parquet and Arrow files are read uncompressed (they "
                        f"compress their own pages); decompress it first ({run})")
            return (f"compressed file ({suffix[1:]}): ftlint reads .gz, .bz2, .xz and .zst files; decompress it "
                    f"first ({run})")
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


def _dataset_file(path: Path) -> bool:
    """A dataset file by its name; a ``datasets`` folder's ``state.json`` is not one."""
    if not _dataset_name(path.name) or is_run_log(path):
        return False
    return not (path.name.lower() == "state.json" and any(path.parent.glob("*.arrow")))


# -- datasets save_to_disk folders --------------------------------------------------------------------

def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _saved_split(folder: Path) -> str | None:
    """The split name of a ``Dataset.save_to_disk`` folder: its folder name inside a
    ``DatasetDict`` folder, else the ``_split`` its ``state.json`` records; None for other folders."""
    if not (folder / "state.json").is_file():
        return None
    if (folder.parent / "dataset_dict.json").is_file():
        return folder.name
    state = _read_json(folder / "state.json")
    split = state.get("_split") if isinstance(state, dict) else None
    return split if isinstance(split, str) and split else None


def saved_dataset_files(folder: Path) -> list[Path] | None:
    """The Arrow files of a folder written by ``datasets``' ``save_to_disk``, in order: a
    ``Dataset`` folder (``state.json`` listing its ``data-*.arrow`` shards) or a ``DatasetDict``
    folder (``dataset_dict.json`` listing one such folder per split). None for any other folder.
    Read with pyarrow; the ``datasets`` package is not needed."""
    shown = display_path(folder)
    if (folder / "dataset_dict.json").is_file():
        meta = _read_json(folder / "dataset_dict.json")
        splits = meta.get("splits") if isinstance(meta, dict) else None
        if not isinstance(splits, list):
            splits = sorted(c.name for c in folder.iterdir() if (c / "state.json").is_file())
        out: list[Path] = []
        for name in splits:
            sub = folder / str(name)
            if not isinstance(name, str) or "/" in name or "\\" in name or name in ("", ".", ".."):
                raise InputError(f"datasets folder: dataset_dict.json names a split {name!r} that is not a folder "
                                 "name", shown)
            files = saved_dataset_files(sub) if sub.is_dir() else None
            if files is None:
                raise InputError(f"datasets folder: split '{name}' (dataset_dict.json) has no folder with a "
                                 "state.json", shown)
            out += files
        return out
    if not (folder / "state.json").is_file():
        return None
    state = _read_json(folder / "state.json")
    entries = state.get("_data_files") if isinstance(state, dict) else None
    if isinstance(entries, list) and all(isinstance(e, dict) and isinstance(e.get("filename"), str) for e in entries):
        names = [e["filename"] for e in entries]
    else:
        names = sorted(c.name for c in folder.glob("*.arrow"))
    files = []
    for name in names:
        f = folder / name
        if Path(name).name != name or not f.is_file():
            raise InputError(f"datasets folder: state.json lists {name}, which is not in the folder", shown)
        files.append(f)
    if not files:
        raise InputError("datasets folder (state.json) without Arrow files", shown)
    return files


# -- files, directories, globs --------------------------------------------------------------------------

def is_glob(raw: str | Path) -> bool:
    """Whether a path given as text is a pattern (``data/**/*.jsonl.gz``) for ftlint to expand."""
    return any(c in str(raw) for c in "*?[")


def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
    """The folders to look into: ``folder``, and with ``recursive`` every folder below it that is not
    hidden (sorted, top-down), without entering ``datasets`` folders (they are read whole)."""
    if not recursive:
        yield folder
        return
    for root, dirs, _files in os.walk(folder):
        here = Path(root)
        yield here
        saved = (here / "state.json").is_file() or (here / "dataset_dict.json").is_file()
        dirs[:] = [] if saved else sorted(d for d in dirs if not d.startswith("."))


def _expand_dir(p: Path, raw: str | Path, what: str, recursive: bool, required: bool = True) -> list[Path]:
    found: list[Path] = []
    for folder in _walk(p, recursive):
        if folder != p and is_run_dir(folder):  # a run's output inside the tree: its logs are not data
            continue
        saved = saved_dataset_files(folder)
        if saved is not None:
            found += saved
            continue
        try:
            found += sorted(c for c in folder.iterdir() if c.is_file() and _dataset_file(c))
        except OSError as e:
            raise InputError(f"cannot list the directory: {e.strerror or e}", display_path(folder)) from None
    if not found and required:
        unread = [name for name, _ in skipped_files([p], recursive) if compressed_hint(Path(name))]
        also = ""
        if unread:
            shown = ", ".join(Path(n).name for n in unread[:3]) + (", ..." if len(unread) > 3 else "")
            example = (compressed_hint(Path(unread[0])) or "").split("`")[1]
            also = f"; it has compressed ones ftlint does not read ({shown}): decompress them first (e.g. `{example}`)"
        deep = "" if recursive else "; subfolders are not searched without --recursive"
        raise InputError(f"directory has no {what} files ({SUFFIXES_SHOWN}){also}{deep}", str(raw))
    return found


def skipped_files(paths: Iterable[str | Path], recursive: bool = False) -> list[tuple[str, str]]:
    """Files of the directories among ``paths`` that look like data but are not read, with why:
    compressed datasets ftlint does not read (``train.jsonl.zip``, ``train.parquet.gz``), and
    symlink loops or broken symlinks with a dataset name. (:func:`expand_paths` leaves them out; the
    report must say so.)"""
    out: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw)
        if not p.is_dir():
            continue
        for folder in _walk(p, recursive):
            try:
                children = sorted(folder.iterdir())
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
                shown = (PurePosixPath(display_path(folder)) / c.name).as_posix()  # the link, not its target
                if hint is not None and _dataset_name(inner) and c.is_file():
                    out.append((shown, hint))
                elif _dataset_name(c.name) and os.path.islink(c) and not c.exists():
                    out.append((shown, missing_reason(c)))
    return out


def expand_paths(paths: Sequence[str | Path], what: str = "dataset", recursive: bool = False) -> list[Path]:
    """Files stay files; a directory expands to its dataset files (with ``recursive``, those of every
    folder below it too); a ``datasets`` ``save_to_disk`` folder to its Arrow files; a pattern that
    names no file (``data/**/*.jsonl.gz``, quoted so that the shell leaves it) to the dataset files
    it matches (``**`` spans folders)."""
    out: dict[Path, None] = {}
    for raw in paths:
        p = Path(raw)
        if not p.exists() and not os.path.islink(p) and is_glob(raw):
            matched: list[Path] = []
            for m in sorted(glob.glob(str(raw), recursive=True)):
                mp = Path(m)
                if mp.is_dir():
                    matched += _expand_dir(mp, m, what, recursive, required=False)
                elif mp.is_file() and _dataset_file(mp):
                    matched.append(mp)
            if not matched:
                raise InputError(f"no {what} files match this pattern ({SUFFIXES_SHOWN})", str(raw))
            out.update(dict.fromkeys(matched))
            continue
        if not p.exists():
            raise InputError(missing_reason(p), str(raw))
        if p.is_dir():
            if is_run_dir(p):  # a trainer's output directory: its logs and results are not data
                raise InputError("a training run's output directory (it holds trainer_state.json or "
                                 f"trainer_log.jsonl), not data: check the run with `--run {raw}`", str(raw))
            out.update(dict.fromkeys(_expand_dir(p, raw, what, recursive)))
        elif p.is_file():
            if is_run_log(p):
                raise InputError(f"a training run's log, not data: check the run with `--run {raw}`", str(raw))
            if format_of(p.name) is None:
                hint = compressed_hint(p)
                raise InputError(
                    f"not a dataset file: {hint}" if hint else
                    f"not a dataset file: expected one of {SUFFIXES_SHOWN}"
                    " (a training config goes after --config)",
                    str(raw),
                )
            out[p] = None
        else:
            raise InputError("not a regular file", str(raw))
    return list(out)


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


def load_dataset_file(
    path: Path,
    split: str,
    split_source: str,
    mapping: Mapping[str, str] | None = None,
    forced_format: str | None = None,
    cache: Cache | None = None,
    columns: Sequence[str] | None = None,
    rows: Iterable[int] | None = None,
    data_source: Source | None = None,
) -> Dataset:
    """Read one dataset file into a :class:`Dataset` of one split (cached by content hash).

    ``columns`` keeps only those columns of each record, ``rows`` only the records at those 0-based
    positions (what a trainer selects of a hub dataset); the rows kept keep their index in the file.
    ``data_source``: where the bytes come from when ``path`` is not a local file (a remote file,
    ``ftlint.remote``: ``path`` is then its key, whose name says its format)."""
    mapping = dict(mapping or {})
    shown = data_source.shown if data_source is not None else display_path(path)
    try:
        content_hash = (data_source or FileSource(path, shown)).content_hash()
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", shown) from None
    keep = None if rows is None else frozenset(int(i) for i in rows)
    selection = ([] if columns is None else [("columns", list(columns))]) + \
        ([] if keep is None else [("rows", xxhash.xxh3_64_hexdigest(np.array(sorted(keep), dtype=np.int64).tobytes()))])
    key = cache_key("dataset", LOADER_VERSION, content_hash, sorted(mapping.items()), forced_format,
                    path.name[len(strip_suffixes(path.name)):].lower(), *selection)  # .jsonl, .jsonl.gz
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
        ds = _read(path, shown, split, split_source, mapping, forced_format, content_hash, text_dir,
                   None if columns is None else tuple(columns), keep, data_source)
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
          forced_format: str | None, content_hash: str, text_dir: str | None = None,
          columns: tuple[str, ...] | None = None, keep: frozenset[int] | None = None,
          data_source: Source | None = None) -> Dataset:
    source: Any  # the bytes' Source, then the SourceFile the Dataset names
    if data_source is None:
        fmt, source = source_for(path, shown)
    else:
        found = format_of(path.name)
        if found is None:
            raise InputError(f"not a dataset file: expected one of {SUFFIXES_SHOWN}", shown)
        fmt, source = found[0], data_source
    reason = fmt.sniff(read_head(source))
    if reason is not None:
        raise InputError(reason, shown)
    json_columns = frozenset(_JSONISH) | {mapping[k] for k in _JSONISH if k in mapping}
    items = fmt.iter_records(source, options=ReadOptions(json_columns=json_columns))

    malformed: list[Malformed] = []
    buffered: list[tuple[int, int | None, Any]] = []
    count = 0
    record_format: Format | None = None
    builder: _Builder | None = None
    for index, line, rec, err, text, _raw in items:
        if keep is not None and index not in keep:  # a row the trainer does not take
            continue
        if columns is not None and isinstance(rec, dict):
            rec = {k: rec[k] for k in columns if k in rec}
        count += 1
        if err is not None:
            malformed.append(Malformed(0, index, line, err, snippet(text)))
            continue
        if builder is None:
            buffered.append((index, line, rec))
            if len(buffered) >= DETECT_SAMPLE:
                record_format = detect_format([apply_mapping(r, mapping) if isinstance(r, dict) else r
                                               for _, _, r in buffered], shown, forced_format)
                builder = _Builder(record_format, mapping, text_dir)
                for b in buffered:
                    builder.add(*b)
                buffered = []
        else:
            builder.add(index, line, rec)
    if builder is None:
        if buffered:
            record_format = detect_format([apply_mapping(r, mapping) if isinstance(r, dict) else r
                                           for _, _, r in buffered], shown, forced_format)
        builder_fmt = record_format
        if builder_fmt is None:
            # an unknown format name: FormatError
            builder_fmt = detect_format([], shown, forced_format) if forced_format else None
        if builder_fmt is not None:
            builder = _Builder(builder_fmt, mapping, text_dir)
            for b in buffered:
                builder.add(*b)
    fmt_name = builder.fmt.name if builder is not None else ("empty" if count == 0 else "unknown")
    file = SourceFile(path=shown, abspath=str(path.resolve()), split=split, split_source=split_source,
                      format=fmt_name, records=count, content_hash=content_hash)
    if builder is None:
        return Dataset(split=split, files=[file], malformed=malformed)
    _hollow_guard(builder, shown, [k for k, _ in builder.keys.most_common(12)])
    return builder.dataset(split, file, malformed)
