"""Hugging Face Hub datasets, read where the trainer left them: the local Hugging Face cache.

Where the cache is, in huggingface_hub's own order: ``HF_HUB_CACHE``, the older
``HUGGINGFACE_HUB_CACHE``, ``$HF_HOME/hub``, ``$XDG_CACHE_HOME/huggingface/hub``, else
``~/.cache/huggingface/hub``. Its layout (huggingface_hub's "Understand caching" guide)::

    datasets--ORG--NAME/
      refs/main                       the commit a branch or tag points at (refs/pr/1, refs/v1.0, ...)
      snapshots/<commit>/<path>       the files of that commit that were fetched (links into blobs/)
      blobs/<etag>                    the file contents
      trees/<commit>.json             (recent huggingface_hub) every file of the commit, fetched or not

``datasets.load_dataset`` fetches a hub dataset's files into this cache before it builds its own
Arrow copy, so the files a training run read are here. Reading needs nothing but the folder (no
huggingface_hub import, no network). Which files are a config's split is decided as ``datasets``
decides it: the ``configs:`` of the repo's README.md (``data_files`` patterns, per split, with a
``default: true`` config), else its conventional layout (``data/{split}-00000-of-00002.parquet``,
``train.jsonl``, ``test/...``, a file or folder naming ``train``/``validation``/``test``).

A dataset that is not in the cache is fetched into it only with the user's consent (``--download``,
``hub = "download"``) through huggingface_hub (``pip install 'ftlint[hub]'``); otherwise it is
reported with the exact ``hf download`` command that fetches it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import numpy as np

from ftlint.errors import InputError
from ftlint.training.plan import HF_HUB
from ftlint.urls import is_hf_url as is_url

#: the URL scheme of a hub dataset on the command line: ``hf://datasets/ORG/NAME[@REVISION][/PATH]``
URL_PREFIX = "hf://datasets/"
DEFAULT_REVISION = "main"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_PART = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_REPO_ID = re.compile(rf"^(?:{_PART}/)?{_PART}$")
#: the file names ftlint reads (``ftlint.data.load.DATASET_SUFFIXES``), and others a hub dataset may use
_READABLE = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
_OTHER_DATA = (".arrow", ".txt", ".gz", ".bz2", ".xz", ".zst", ".zstd", ".zip", ".tar", ".lz4", ".7z", ".tgz",
               ".avro", ".xml", ".h5", ".hdf5", ".lance", ".webdataset", ".pdf", ".wav", ".mp3", ".png", ".jpg")
_NOT_DATA = frozenset({"readme.md", ".gitattributes", "dataset_info.json", "dataset_infos.json",
                       "license", "license.md", "license.txt", "citation.cff", "requirements.txt"})
#: ``datasets``' split keywords and the characters around them (datasets/data_files.py)
_SPLIT_KEYWORDS = {"train": ("train", "training"), "validation": ("validation", "valid", "dev", "val"),
                   "test": ("test", "testing", "eval", "evaluation")}
_SEP = r"[-._ 0-9]"
_SHARDED = re.compile(r"^data/(?P<split>[^/]+?)-\d{5}-of-\d{5}[^/]*\.[^/]*$")
_SHARD_NAME = re.compile(r"-(?P<i>\d{5})-of-(?P<n>\d{5})")
_SLICE = re.compile(r"^(?P<name>[^\[\]+]+?)\s*(?:\[\s*(?P<lo>-?\d+%?)?\s*:\s*(?P<hi>-?\d+%?)?\s*\])?$")


# -- where the cache is ------------------------------------------------------------------------------

def cache_dir() -> Path:
    """The Hugging Face hub cache folder (the environment as huggingface_hub reads it)."""
    def expand(value: str) -> Path:
        return Path(os.path.expandvars(os.path.expanduser(value)))

    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return expand(os.environ[var])
    if os.environ.get("HF_HOME"):
        return expand(os.environ["HF_HOME"]) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return expand(xdg) / "huggingface" / "hub"


def _shown_dir(path: Path) -> str:
    home = os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home + os.sep) else text


def storage_folder(repo_id: str, root: Path | None = None) -> Path:
    """``datasets--ORG--NAME`` (huggingface_hub's ``repo_folder_name``)."""
    return (root or cache_dir()) / "--".join(["datasets", *repo_id.split("/")])


# -- what is asked for ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """One hub dataset as a training config (or an ``hf://`` path) selects it."""

    repo_id: str
    revision: str | None = None  # as asked; None: main
    config: str | None = None  # the subset (``load_dataset(id, name)``)
    #: the split expression (``train``, ``train[:10%]``, ``train+test``); None: every split
    split: str | None = "train"
    path: str | None = None  # hf://.../PATH: a file, folder or glob pattern in the repository
    data_files: tuple[str, ...] = ()
    data_dir: str | None = None
    columns: tuple[str, ...] = ()  # keep only these columns (``select_columns``)
    mapping: tuple[tuple[str, str], ...] = ()  # ftlint's canonical key -> the dataset's column
    weight: float | None = None
    sampling: str | None = None  # "shuffle" (seeded) or "first"
    seed: int = 0

    @property
    def asked_revision(self) -> str:
        return self.revision or DEFAULT_REVISION

    @property
    def download_command(self) -> str:
        """The exact command that fetches the dataset into the cache."""
        cmd = f"hf download {self.repo_id} --repo-type dataset"
        if self.revision:
            cmd += f" --revision {shlex.quote(self.revision)}"
        return cmd

    @property
    def what(self) -> str:
        """``HuggingFaceTB/smoltalk (config all, split train)``."""
        parts = [f"revision {self.revision}"] if self.revision else []
        if self.config:
            parts.append(f"config {self.config}")
        if self.path:
            parts.append(self.path)
        elif self.data_files:
            parts.append("data_files " + ", ".join(self.data_files))
        if self.split:
            parts.append(f"split {self.split}")
        return self.repo_id + (f" ({', '.join(parts)})" if parts else "")


def request_for(ref: Any, fields: Any) -> Request | None:
    """The :class:`Request` of a training config's hub dataset reference (a ``DatasetRef``), with
    what its framework's adapter reads from the entry (``fields``: a
    ``ftlint.training.adapter.HubFields``: the columns kept or mapped, the folder in the
    repository); None for one that is not on the Hugging Face Hub (a ModelScope dataset)."""
    repo_id = getattr(ref, "hub_id", None)
    if not repo_id or not _REPO_ID.match(str(repo_id)) or getattr(ref, "hub", HF_HUB) != HF_HUB:
        return None
    entry = ref.entry if isinstance(ref.entry, Mapping) else {}
    revision = entry.get("revision")
    weight = ref.weight if getattr(ref, "sampling", None) else None
    return Request(
        repo_id=str(repo_id),
        revision=str(revision) if isinstance(revision, (str, int)) and str(revision).strip() else None,
        config=ref.subset if isinstance(ref.subset, str) and ref.subset else None,
        split=ref.split or "train",
        data_files=tuple(ref.data_files or ()),
        data_dir=fields.data_dir,
        columns=tuple(fields.columns),
        mapping=tuple(fields.mapping),
        weight=weight,
        sampling=getattr(ref, "sampling", None) if weight is not None else None,
        seed=int(getattr(ref, "seed", None) or 0),
    )


def parse_url(text: str | Path) -> Request:
    """``hf://datasets/ORG/NAME[@REVISION][/PATH]`` as a :class:`Request` of every split (or of PATH)."""
    s = str(text)
    rest = s[len("hf://"):] if s.startswith("hf://") else s[len("hf:/"):]
    if not rest.startswith("datasets/"):
        raise InputError("only Hugging Face Hub datasets are read: hf://datasets/ORG/NAME[@REVISION][/PATH]", s)
    parts = rest[len("datasets/"):].strip("/").split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InputError("expected hf://datasets/ORG/NAME[@REVISION][/PATH]", s)
    org, name = parts[0], parts[1]
    path_parts = parts[2:]
    revision = None
    if "@" in name:
        name, revision = name.split("@", 1)
        revision = unquote(revision)
        # refs/pr/1 and refs/convert/parquet may be written unescaped (HfFileSystem accepts both)
        if revision == "refs" and len(path_parts) >= 2 and path_parts[0] in ("pr", "convert"):
            revision = f"refs/{path_parts[0]}/{path_parts[1]}"
            path_parts = path_parts[2:]
    repo_id = f"{org}/{name}"
    if not _REPO_ID.match(repo_id):
        raise InputError(f"{repo_id!r} is not a Hugging Face Hub dataset id (ORG/NAME)", s)
    if not revision:
        revision = None
    path = "/".join(path_parts) or None
    return Request(repo_id=repo_id, revision=revision, split=None, path=path)


def url_of(repo_id: str, revision: str | None, path: str | None) -> str:
    """``hf://datasets/ORG/NAME[@REVISION]/PATH``: how a cached file is shown in reports."""
    rev = "@" + revision.replace("/", "%2F") if revision else ""
    return f"{URL_PREFIX}{repo_id}{rev}" + (f"/{path}" if path else "")


# -- the cache -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """One commit of a dataset in the cache."""

    repo_id: str
    storage: Path
    commit: str
    revision: str  # what was asked: main, a tag, a branch, or the commit itself
    folder: Path

    def present(self) -> list[str]:
        """The files of the commit that are in the cache (relative POSIX paths, sorted); a link whose
        blob is gone is not one."""
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.folder, followlinks=True):
            dirnames.sort()
            for name in filenames:
                full = os.path.join(dirpath, name)
                if os.path.isfile(full):  # follows the link: a dangling one is a missing blob
                    out.append(PurePosixPath(Path(full).relative_to(self.folder)).as_posix())
        return sorted(out)

    def listing(self) -> tuple[list[str], bool]:
        """Every file of the commit: from the cached tree listing (``trees/<commit>.json``) when
        huggingface_hub wrote one (True), else the files present (False)."""
        tree = self.storage / "trees" / f"{self.commit}.json"
        try:
            data = json.loads(tree.read_text(encoding="utf-8"))
            files = data.get("files") if isinstance(data, dict) else None
            if isinstance(files, dict) and files:
                return sorted(str(f) for f in files), True
        except (OSError, ValueError):
            pass
        return self.present(), False

    def readme(self) -> str | None:
        try:
            return (self.folder / "README.md").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None


def cached_revisions(repo_id: str, root: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """({ref name: commit}, [commits with a snapshot]) of a dataset in the cache."""
    storage = storage_folder(repo_id, root)
    refs: dict[str, str] = {}
    refs_dir = storage / "refs"
    if refs_dir.is_dir():
        for dirpath, _, filenames in os.walk(refs_dir):
            for name in sorted(filenames):
                p = Path(dirpath) / name
                try:
                    refs[p.relative_to(refs_dir).as_posix()] = p.read_text(encoding="utf-8").strip()
                except (OSError, ValueError):
                    continue
    snaps_dir = storage / "snapshots"
    commits = sorted(p.name for p in snaps_dir.iterdir() if p.is_dir()) if snaps_dir.is_dir() else []
    return refs, commits


def find_snapshot(repo_id: str, revision: str | None, root: Path | None = None) -> Snapshot | None:
    """The cached snapshot of ``revision`` (a commit, or a branch/tag through ``refs/``), or None."""
    storage = storage_folder(repo_id, root)
    asked = revision or DEFAULT_REVISION
    commit: str | None = asked if _COMMIT.match(asked) else None
    if commit is None:
        try:
            commit = (storage / "refs" / asked).read_text(encoding="utf-8").strip()
        except (OSError, ValueError):
            return None
    folder = storage / "snapshots" / commit
    if not commit or not folder.is_dir():
        return None
    return Snapshot(repo_id, storage, commit, asked, folder)


# -- which files: README configs, the conventional layout ----------------------------------------------

class NoSuchData(Exception):
    """The dataset is there but has no such config, split or path (the trainer would fail too)."""


def readme_configs(readme: str | None) -> list[dict[str, Any]]:
    """The ``configs:`` of a dataset card's YAML header (an empty list when there is none)."""
    if not readme or not readme.lstrip("\ufeff").startswith("---"):
        return []
    text = readme.lstrip("\ufeff")
    end = re.search(r"^---\s*$", text[3:], re.MULTILINE)
    if end is None:
        return []
    import yaml

    try:
        meta = yaml.safe_load(text[3:3 + end.start()])
    except yaml.YAMLError:
        return []
    configs = meta.get("configs") if isinstance(meta, dict) else None
    return [c for c in configs if isinstance(c, dict) and c.get("config_name")] if isinstance(configs, list) else []


def _config_data_files(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """A config's ``data_files`` as {split: [patterns]} (a bare pattern or list is the train split)."""
    raw = config.get("data_files")
    out: dict[str, list[str]] = {}
    if isinstance(raw, str):
        out["train"] = [raw]
    elif isinstance(raw, Mapping):
        for split, pats in raw.items():
            out[str(split)] = [pats] if isinstance(pats, str) else [str(p) for p in pats or []]
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, str):
                out.setdefault("train", []).append(item)
            elif isinstance(item, Mapping) and item.get("path") is not None:
                pats = item["path"]
                out.setdefault(str(item.get("split") or "train"), []).extend(
                    [pats] if isinstance(pats, str) else [str(p) for p in pats])
    return out


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A data_files glob as ``datasets`` matches it on the hub: ``*`` and ``?`` stay inside one folder,
    ``**`` crosses folders (``**/`` may match none), ``[...]`` is a character class."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r".*")
            i += 2
        elif c == "*":
            out.append(r"[^/]*")
            i += 1
        elif c == "?":
            out.append(r"[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1:j]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def _data_file(path: str) -> bool:
    parts = path.split("/")
    if any(p.startswith((".", "__")) for p in parts):
        return False
    low = parts[-1].lower()
    return low not in _NOT_DATA and low.endswith(_READABLE + _OTHER_DATA)


def _matching(files: Sequence[str], patterns: Sequence[str], base: str | None) -> list[str]:
    prefix = (base.strip("/") + "/") if base else ""
    regexes = [glob_regex(prefix + p.lstrip("/")) for p in patterns]
    return sorted(f for f in files if any(r.match(f) for r in regexes))


def conventional_splits(files: Sequence[str]) -> dict[str, list[str]]:
    """{split: files} of a repository without ``configs:``, as ``datasets`` infers them: sharded
    ``data/{split}-00000-of-00001.*`` names, else folders or file names with a split keyword, else
    every data file is the train split."""
    data = [f for f in files if _data_file(f)]
    sharded: dict[str, list[str]] = {}
    for f in data:
        m = _SHARDED.match(f)
        if m:
            sharded.setdefault(m.group("split"), []).append(f)
    if sharded:
        return sharded
    for folder_first in (True, False):
        found: dict[str, list[str]] = {}
        for f in data:
            folders, name = f.split("/")[:-1], f.split("/")[-1]
            for split, words in _SPLIT_KEYWORDS.items():
                if folder_first:
                    hit = any(re.fullmatch(rf"(?:.*{_SEP})?{w}(?:{_SEP}.*)?", d) for w in words for d in folders)
                else:
                    hit = any(re.fullmatch(rf"(?:.*{_SEP})?{w}{_SEP}.*", name) for w in words)
                if hit:
                    found.setdefault(split, []).append(f)
                    break
        if found:
            return found
    return {"train": data} if data else {}


@dataclass(frozen=True)
class Layout:
    """The files of the config a request selects, per split of the repository."""

    config: str | None
    splits: dict[str, list[str]]
    how: str  # "README configs", "data_files", "conventional layout", "path"


def layout(files: Sequence[str], readme: str | None, req: Request) -> Layout:
    """Which files hold each split of the config ``req`` selects (raises :class:`NoSuchData`)."""
    if req.path is not None:
        regex = glob_regex(req.path.strip("/"))
        exact = [f for f in files if regex.match(f)]
        inside = [f for f in files if f.startswith(req.path.strip("/") + "/")]
        chosen = [f for f in (exact or inside) if _data_file(f)]
        if not (exact or inside):
            raise NoSuchData(f"has no file or folder {req.path}")
        return Layout(None, {"": chosen}, "path")
    if req.data_files:
        return Layout(req.config, {"train": _matching(files, req.data_files, req.data_dir)}, "data_files")
    configs = readme_configs(readme)
    if configs:
        names = [str(c["config_name"]) for c in configs]
        if req.config:
            config = next((c for c in configs if str(c["config_name"]) == req.config), None)
            if config is None:
                raise NoSuchData(f"has no config {req.config!r} (its configs: {', '.join(names)})")
        elif len(configs) == 1:
            config = configs[0]
        else:
            config = next((c for c in configs if c.get("default") is True), None) or \
                next((c for c in configs if str(c["config_name"]) == "default"), None)
            if config is None:
                raise NoSuchData(f"has several configs and none is the default: name one (its configs: "
                                 f"{', '.join(names)})")
        base = "/".join(x.strip("/") for x in (str(config.get("data_dir") or ""), req.data_dir or "") if x) or None
        patterns = _config_data_files(config)
        if patterns:
            splits = {s: _matching(files, pats, base) for s, pats in patterns.items()}
        else:  # a config with a data_dir alone: the conventional layout inside it
            inner = [f[len(base) + 1:] for f in files if f.startswith(base + "/")] if base else list(files)
            splits = {s: [f"{base}/{f}" if base else f for f in fs] for s, fs in conventional_splits(inner).items()}
        return Layout(str(config["config_name"]), splits, "README configs")
    base = req.data_dir.strip("/") if req.data_dir else ""
    if req.config and req.config != "default":
        base = "/".join(x for x in (base, req.config) if x)
        if not any(f.startswith(base + "/") for f in files):
            folders = sorted({f.split("/")[0] for f in files if "/" in f and _data_file(f)})
            raise NoSuchData(f"has no config {req.config!r} (no README configs and no folder {base}/; its folders: "
                             f"{', '.join(folders) or 'none'})")
    inner = [f[len(base) + 1:] for f in files if f.startswith(base + "/")] if base else list(files)
    splits = {s: [f"{base}/{f}" if base else f for f in fs] for s, fs in conventional_splits(inner).items()}
    return Layout(req.config, splits, "conventional layout")


@dataclass(frozen=True)
class SplitPart:
    name: str
    lo: str | None = None
    hi: str | None = None

    def bounds(self, n: int) -> tuple[int, int]:
        """Row bounds of ``name[lo:hi]`` in a split of ``n`` rows (percent rounded to the closest row,
        as ``datasets`` does)."""
        def conv(v: str | None, default: int) -> int:
            if v is None:
                return default
            x = int(round(float(v[:-1]) * n / 100.0)) if v.endswith("%") else int(v)
            return max(0, min(n, x + n if x < 0 else x))

        return conv(self.lo, 0), conv(self.hi, n)


def parse_split(expr: str) -> list[SplitPart]:
    """``train``, ``train[:10%]``, ``train+validation[100:]``: the parts of a split expression."""
    parts = []
    for piece in expr.split("+"):
        m = _SLICE.match(piece.strip())
        if m is None:
            raise NoSuchData(f"cannot read the split expression {expr!r}")
        parts.append(SplitPart(m.group("name").strip(), m.group("lo"), m.group("hi")))
    return parts


def missing_shards(files: Sequence[str], present: set[str]) -> list[str]:
    """Shards a split's sharded names (``-00001-of-00004``) announce that are not in ``present``."""
    missing: list[str] = []
    groups: dict[tuple[str, str, int], set[int]] = {}
    for f in files:
        m = _SHARD_NAME.search(f)
        if m and f in present:
            groups.setdefault((f[:m.start()], f[m.end():], int(m.group("n"))), set()).add(int(m.group("i")))
    for (head, tail, n), seen in sorted(groups.items()):
        missing += [f"{head}-{i:05d}-of-{n:05d}{tail}" for i in range(n) if i not in seen]
    return missing


# -- resolution ----------------------------------------------------------------------------------------

@dataclass
class Sampler:
    """The rows a trainer takes of one split expression: a slice per part, then ``weight`` of the
    rows (a seeded shuffle and the first ones, or the first ones), as ``datasets`` counts them."""

    parts: list[tuple[list[Path], SplitPart]]
    weight: float | None
    sampling: str | None
    seed: int
    _keep: dict[Path, np.ndarray | None] | None = field(default=None, repr=False)

    @property
    def needed(self) -> bool:
        return any(p.lo is not None or p.hi is not None for _, p in self.parts) or (
            self.weight is not None and self.sampling is not None and self.weight < 1)

    def rows_of(self, path: Path, count: Callable[[Path], int]) -> np.ndarray | None:
        """The 0-based rows of ``path`` that are taken (None: all of them)."""
        if not self.needed:
            return None
        if self._keep is None:
            self._keep = self._compute(count)
        return self._keep.get(path)

    def _compute(self, count: Callable[[Path], int]) -> dict[Path, np.ndarray | None]:
        owner: list[np.ndarray] = []  # per taken row: its file's position in ``files``
        local: list[np.ndarray] = []
        files: list[Path] = []
        for paths, part in self.parts:
            sizes = [count(p) for p in paths]
            lo, hi = part.bounds(sum(sizes))
            start = 0
            for p, n in zip(paths, sizes, strict=True):
                a, b = max(lo, start), min(hi, start + n)
                if b > a:
                    owner.append(np.full(b - a, len(files), dtype=np.int64))
                    local.append(np.arange(a - start, b - start, dtype=np.int64))
                files.append(p)
                start += n
        own = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64)
        loc = np.concatenate(local) if local else np.zeros(0, dtype=np.int64)
        if self.weight is not None and self.sampling is not None and self.weight < 1:
            k = int(len(own) * max(self.weight, 0.0))
            if self.sampling == "shuffle":  # datasets' Dataset.shuffle(seed).select(range(k))
                take = np.random.default_rng(self.seed).permutation(len(own))[:k]
            else:
                take = np.arange(k)
            own, loc = own[take], loc[take]
        out: dict[Path, np.ndarray | None] = {}
        for i, p in enumerate(files):
            out[p] = np.sort(loc[own == i])
        return out

    def describe(self) -> str:
        if self.weight is None or self.sampling is None or self.weight >= 1:
            return ""
        how = (f"a shuffle seeded with {self.seed}, then the first {self.weight:g} of the rows, as "
               "alignment-handbook's dataset_mixture does" if self.sampling == "shuffle"
               else f"the first {self.weight:g} of the rows, as alignment-handbook's dataset_mixer does")
        return how


@dataclass(frozen=True)
class HubFile:
    """One cached file of a hub dataset, as a split's data."""

    local: Path  # the snapshot path (a link into blobs/)
    request: Request
    commit: str
    path_in_repo: str
    config: str | None
    split_name: str | None
    how: str
    sampler: Sampler | None = field(default=None, compare=False, hash=False)

    @property
    def shown(self) -> str:
        return url_of(self.request.repo_id, self.request.revision, self.path_in_repo)

    def label(self) -> str:
        """``Hugging Face cache: ORG/NAME revision main = <commit>, config all, split train``."""
        bits = [f"revision {self.request.asked_revision}" + ("" if self.request.asked_revision == self.commit
                                                             else f" = {self.commit}")]
        if self.config:
            bits.append(f"config {self.config}")
        if self.split_name:
            bits.append(f"split {self.split_name}")
        if self.request.split and self.request.split != self.split_name:
            bits.append(f"rows {self.request.split}")
        sampled = self.sampler.describe() if self.sampler else ""
        if sampled:
            bits.append(sampled)
        return f"Hugging Face cache: {self.request.repo_id} " + ", ".join(bits)

    def extra(self) -> dict[str, Any]:
        """What the report lists about the file (``inputs[].extra.hub``)."""
        out: dict[str, Any] = {"dataset": self.request.repo_id, "revision": self.request.asked_revision,
                               "commit": self.commit, "file": self.path_in_repo, "how": self.how}
        if self.config:
            out["config"] = self.config
        if self.split_name:
            out["split"] = self.split_name
        if self.request.columns:
            out["columns"] = list(self.request.columns)
        if self.request.mapping:
            out["mapping"] = dict(self.request.mapping)
        if self.sampler is not None and self.sampler.describe():
            out["sampling"] = self.sampler.describe()
        return out


@dataclass(frozen=True)
class Found:
    snapshot: Snapshot
    files: list[HubFile]  # in split order
    #: repository splits that were not read, with why (an ``hf://`` path of a whole dataset)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class NotFound:
    """A hub dataset that could not be read from the cache: why, and the command that fetches it
    (None when fetching would not help: no such split or config)."""

    request: Request
    reason: str
    command: str | None


def _selected(files: Sequence[str], readme: str | None, req: Request,
              ) -> tuple[Layout, list[tuple[str, list[str], SplitPart | None]]]:
    """(the layout, [(repository split, its files, the part of the split expression)]) that ``req``
    selects; raises :class:`NoSuchData`."""
    lay = layout(files, readme, req)
    if lay.how == "path" or req.split is None:
        return lay, [(s, fs, None) for s, fs in lay.splits.items()]
    picked: list[tuple[str, list[str], SplitPart | None]] = []
    for part in parse_split(req.split):
        if part.name not in lay.splits:
            where = f" of config {lay.config}" if lay.config else ""
            known = ", ".join(s for s in lay.splits) or "none"
            raise NoSuchData(f"has no split {part.name!r}{where} (its splits: {known})")
        picked.append((part.name, lay.splits[part.name], part))
    return lay, picked


def _resolve_in(snap: Snapshot, req: Request) -> Found | NotFound:
    present = snap.present()
    listing, complete = snap.listing()
    files = sorted(set(listing) | set(present))
    readme = snap.readme()
    where = f"in the Hugging Face cache ({req.asked_revision}" + (
        "" if req.asked_revision == snap.commit else f" = {snap.commit}") + ")"
    try:
        lay, picked = _selected(files, readme, req)
    except NoSuchData as e:
        fetch = readme is None and not complete  # the card was not fetched: the full listing is unknown
        return NotFound(req, f"the dataset {where} {e}", req.download_command if fetch else None)
    have = set(present)
    out: list[HubFile] = []
    parts: list[tuple[list[Path], SplitPart]] = []
    skipped: list[tuple[str, str]] = []
    for split_name, split_files, part in picked:
        readable = [f for f in split_files if f.lower().endswith(_READABLE)]
        if split_files and not readable:
            kinds = sorted({PurePosixPath(f).suffix or PurePosixPath(f).name for f in split_files})
            reason = (f"the {split_name or 'selected'} files of the dataset are {', '.join(kinds)} files, which ftlint "
                      f"does not read (it reads {', '.join(_READABLE)})")
            if req.split is None and len(picked) > 1:
                skipped.append((split_name, reason))
                continue
            return NotFound(req, reason, None)
        missing = [f for f in readable if f not in have] + [f for f in missing_shards(readable, have)
                                                            if f not in readable]
        if missing or not readable:
            if not readable:
                what = f"no files of split {split_name!r}" if split_name else "no files at that path"
                return NotFound(req, f"{what} {where}", req.download_command)
            n_all = len(set(readable) | set(missing))
            return NotFound(req, f"{len(missing)} of the {n_all} files of split {split_name!r} are not in the "
                                 f"Hugging Face cache (e.g. {missing[0]})", req.download_command)
        paths = [snap.folder / f for f in readable]
        if part is not None:
            parts.append((paths, part))
        for f in readable:
            out.append(HubFile(snap.folder / f, req, snap.commit, f, lay.config, split_name or None, lay.how))
    if parts and (any(p.lo is not None or p.hi is not None for _, p in parts)
                  or (req.weight is not None and req.sampling is not None and req.weight < 1)):
        sampler = Sampler(parts, req.weight, req.sampling, req.seed)
        out = [HubFile(h.local, h.request, h.commit, h.path_in_repo, h.config, h.split_name, h.how, sampler)
               for h in out]
    return Found(snap, out, skipped)


def not_cached(req: Request, root: Path | None = None) -> NotFound:
    root = root or cache_dir()
    refs, commits = cached_revisions(req.repo_id, root)
    others = ""
    if refs or commits:
        names = [f"{r} = {c}" for r, c in sorted(refs.items())] + [c for c in commits if c not in refs.values()]
        others = f"; the cache holds other revisions: {', '.join(names[:4])}" + (", ..." if len(names) > 4 else "")
    where = f"revision {req.revision} is" if req.revision else "it is"
    return NotFound(req, f"{where} not in the Hugging Face cache ({_shown_dir(root)}){others}", req.download_command)


def locate(req: Request, download: bool = False) -> Found | NotFound:
    """Read ``req`` from the cache; with ``download``, fetch what is missing first (huggingface_hub)."""
    root = cache_dir()
    snap = find_snapshot(req.repo_id, req.revision, root)
    result: Found | NotFound = _resolve_in(snap, req) if snap is not None else not_cached(req, root)
    if isinstance(result, Found) or result.command is None or not download:
        return result
    try:
        snap = fetch(req, root)
    except DownloadError as e:
        return NotFound(req, f"{result.reason}, and fetching it failed: {e}", req.download_command)
    except NoSuchData as e:
        return NotFound(req, f"the dataset on the Hub {e}", None)
    return _resolve_in(snap, req)


# -- fetching (with consent) ---------------------------------------------------------------------------

class DownloadError(Exception):
    """Fetching from the Hub failed: the reason, in one sentence with what to do."""


def _fn_escape(path: str) -> str:
    """A file name as an fnmatch pattern that matches only itself (huggingface_hub's allow_patterns)."""
    return re.sub(r"([\[\]*?])", r"[\1]", path)


def fetch(req: Request, root: Path | None = None) -> Snapshot:
    """Fetch the dataset card and the files ``req`` selects into the cache (huggingface_hub), and
    return the snapshot. Raises :class:`DownloadError` or :class:`NoSuchData`."""
    root = root or cache_dir()
    try:
        import huggingface_hub as hh
        from huggingface_hub import errors as hf_errors
    except ImportError:
        raise DownloadError("fetching needs huggingface_hub: pip install 'ftlint[hub]'") from None
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise DownloadError("HF_HUB_OFFLINE is set, so huggingface_hub may not go online; unset it to fetch")
    endpoint = os.environ.get("HF_ENDPOINT") or None
    revision = req.asked_revision
    common: dict[str, Any] = {"repo_type": "dataset", "cache_dir": str(root), "endpoint": endpoint}
    try:
        api = hh.HfApi(endpoint=endpoint)
        info = api.dataset_info(req.repo_id, revision=revision)
        files = sorted(s.rfilename for s in (info.siblings or []))
        if not files:
            files = sorted(api.list_repo_files(req.repo_id, repo_type="dataset", revision=info.sha or revision))
        readme = None
        if "README.md" in files:
            readme = Path(hh.hf_hub_download(req.repo_id, "README.md", revision=revision, **common)).read_text(
                encoding="utf-8", errors="replace")
        _, picked = _selected(files, readme, req)
        wanted = sorted({f for _, fs, _ in picked for f in fs if f.lower().endswith(_READABLE)})
        if wanted:
            hh.snapshot_download(req.repo_id, revision=revision, allow_patterns=[_fn_escape(f) for f in wanted],
                                 **common)
    except NoSuchData:
        raise
    except hf_errors.GatedRepoError:
        raise DownloadError(f"{req.repo_id} is gated: accept its conditions on its Hub page "
                            f"(https://huggingface.co/datasets/{req.repo_id}), then log in (`hf auth login`) or "
                            "set HF_TOKEN") from None
    except hf_errors.RepositoryNotFoundError:
        raise DownloadError(f"the Hub has no dataset {req.repo_id}, or it is private: check the name, or log in "
                            "(`hf auth login`) or set HF_TOKEN with a token that can read it") from None
    except hf_errors.RevisionNotFoundError:
        raise DownloadError(f"{req.repo_id} has no revision {revision!r} on the Hub") from None
    except hf_errors.HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        raise DownloadError(f"the Hub answered HTTP {status or 'error'}: {_one_line(e)}") from None
    except Exception as e:  # noqa: BLE001 - no network, a full disk, an endpoint that is not a Hub
        where = endpoint or "https://huggingface.co"
        raise DownloadError(f"could not fetch from {where} ({type(e).__name__}: {_one_line(e)})") from None
    snap = find_snapshot(req.repo_id, req.revision, root)
    if snap is None:
        raise DownloadError(f"huggingface_hub did not leave revision {revision} in {_shown_dir(root)}")
    return snap


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300] or type(e).__name__


# -- hf:// on the command line ---------------------------------------------------------------------------

def split_of(name: str) -> str | None:
    """The ftlint split (train / validation / test) a repository split name means, or None: the words
    ftlint reads in file names (``val``, ``dev``, ``eval``, ... ; ``test``), and ``train``."""
    from ftlint.data.load import TEST_WORDS, VALIDATION_WORDS

    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if any(w in VALIDATION_WORDS for w in words):
        return "validation"
    if any(w in TEST_WORDS for w in words):
        return "test"
    if any(w in ("train", "training") for w in words):
        return "train"
    return None


def expand_url(text: str | Path, download: bool = False) -> Found:
    """The cached files an ``hf://datasets/...`` path names (fetched first with ``download``); a
    path that is not in the cache is unusable input (exit 2) with the command that fetches it."""
    req = parse_url(text)
    result = locate(req, download)
    if isinstance(result, NotFound):
        command = req.download_command + ("" if req.path is None else f" --include {shlex.quote(req.path)}")
        fix = f": fetch it with `{command}`, or pass --download" if result.command else ""
        raise InputError(f"{result.reason}{fix}", str(text).replace("hf:/datasets", "hf://datasets", 1)
                         if str(text).startswith("hf:/d") else str(text))
    return result


def file_split(h: HubFile) -> tuple[str, str] | None:
    """(ftlint split, why) of a file of a whole dataset (``hf://datasets/ORG/NAME``: its split's
    name) or of a path in it (the file name, else a folder, says ``val``/``test``; else train); None
    for a split that is neither train, validation nor test."""
    from ftlint.data.load import infer_split

    if h.split_name:
        split = split_of(h.split_name)
        return (split, f"split {h.split_name!r}") if split else None
    inferred = infer_split(Path(h.path_in_repo))
    if inferred:
        return inferred
    for folder in reversed(h.path_in_repo.split("/")[:-1]):
        split = split_of(folder)
        if split:
            return split, f"folder {folder!r}"
    return "train", ""


def load(h: HubFile, split: str, why: str, mapping: Mapping[str, str] | None, forced_format: str | None,
         cache: Any) -> Any:
    """Read one cached file with the trainer's selection (columns, mapping, rows) as a Dataset whose
    file is shown as its ``hf://`` path."""
    from ftlint.data.load import load_dataset_file
    from ftlint.errors import FtlintError

    merged = {**dict(h.request.mapping), **dict(mapping or {})}  # ftlint's [dataset.columns] wins

    def count(path: Path) -> int:
        if path.suffix.lower() == ".parquet":
            try:
                import pyarrow.parquet as pq

                return int(pq.ParquetFile(path).metadata.num_rows)
            except Exception:  # noqa: BLE001 - the loader reports an unreadable file with its reason
                pass
        ds = load_dataset_file(path, split, why, merged, forced_format, cache,
                               columns=h.request.columns or None)
        return ds.files[0].records

    try:
        rows = h.sampler.rows_of(h.local, count) if h.sampler is not None else None
        ds = load_dataset_file(h.local, split, why, merged, forced_format, cache,
                               columns=h.request.columns or None, rows=None if rows is None else rows.tolist())
    except FtlintError as e:
        from ftlint.data.load import display_path

        message = e.message.replace(str(h.local), h.shown).replace(display_path(h.local), h.shown)
        raise type(e)(message, h.shown, e.line) from None
    ds.files[0].path = h.shown
    return ds


__all__ = ["Found", "HubFile", "NotFound", "Request", "cache_dir", "expand_url", "find_snapshot", "is_url",
           "load", "locate", "parse_url", "request_for"]
