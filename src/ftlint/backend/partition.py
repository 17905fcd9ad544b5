"""Partitioned reading: the parts of a split's files that the engine's map reads on its workers.

JSONL is cut into newline-aligned byte ranges (``JsonlFormat.partitions``: per-part record and line
counts, prefix sums give each part's first record index and line); Parquet into its row groups, small
ones merged (``ParquetFormat.partitions``: per-part row counts, prefix sums give each part's first
index); JSON arrays, CSV/TSV (a quoted field may span lines), Arrow and compressed files are one part
each. The driver detected each file's record format once; it travels in the part to the workers,
which read the part with ftlint's own reader and that format, so a part's rows are exactly the
driver's rows of that range: the same (path, index) identity, the same line numbers, malformed
records left out as the driver leaves them (they are FT001 findings of the driver's load).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftlint.data.dataset import Dataset, SourceFile


@dataclass(frozen=True)
class Part:
    """A byte range (or a whole file) of one file of a split."""

    split: str
    file_id: int  # the file's position in the split's ``Dataset.files``
    abspath: str
    shown: str
    format: str  # the record format the driver detected (``data.schema`` name)
    mapping: tuple[tuple[str, str], ...]
    #: the range of a splittable file (bytes of JSONL, row groups of Parquet); ``end`` None: whole file
    start: int = 0
    end: int | None = None
    index: int = 0
    line: int = 1


def plan_parts(ds: Dataset, mapping: dict[str, str], size: int) -> list[Part] | None:
    """The parts of a split's files in row order; None when a file cannot be re-read as the driver
    read it (not a plain file on disk, or a file of no known record format): that split is computed
    in-process."""
    from ftlint.data.formats import source_for
    from ftlint.data.schema import FORMATS_BY_NAME

    parts: list[Part] = []
    items = tuple(sorted(mapping.items()))
    for fid, f in enumerate(ds.files):
        path = Path(f.abspath)
        if f.format not in FORMATS_BY_NAME or not path.is_file():
            return None
        try:
            fmt, source = source_for(path, f.path)
            cut = fmt.partitions(source, size) if fmt.splittable and source.seekable else []  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - not a file ftlint's readers split: computed in-process
            return None
        if cut:
            for p in cut:
                parts.append(Part(ds.split, fid, f.abspath, f.path, f.format, items, p.start, p.end, p.index, p.line))
        else:
            parts.append(Part(ds.split, fid, f.abspath, f.path, f.format, items))
    return parts


def read_part(part: Part) -> Dataset:
    """The rows of one part, as the driver's loader builds them (``data.load``)."""
    from ftlint.data.formats import _JSONISH, ReadOptions, source_for
    from ftlint.data.load import _Builder
    from ftlint.data.schema import FORMATS_BY_NAME

    mapping = dict(part.mapping)
    fmt, source = source_for(Path(part.abspath), part.shown)
    json_columns = frozenset(_JSONISH) | {mapping[k] for k in _JSONISH if k in mapping}
    builder = _Builder(FORMATS_BY_NAME[part.format], mapping, None)
    kw = {"start": part.start, "end": part.end, "index": part.index, "line": part.line} if part.end is not None else {}
    count = 0
    for index, line, rec, err, _text, _raw in fmt.iter_records(source, options=ReadOptions(json_columns=json_columns),
                                                               **kw):
        count += 1
        if err is None:
            builder.add(index, line, rec)
    src = SourceFile(path=part.shown, abspath=part.abspath, split=part.split, split_source="", format=part.format,
                     records=count, content_hash="")
    return builder.dataset(part.split, src, [])
