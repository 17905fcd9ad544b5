"""Outputs never touch inputs: the one check every command that writes a file goes through.

A run builds a :class:`Protected` collection of every file it reads (the datasets being checked,
the training config and every file it names, the settings files, the baseline, ...), each with a
short description of what it is. Before anything is written, :func:`guard_outputs` refuses
(:class:`~ftlint.errors.OutputError`, exit 2) any output path that is one of them: the same path,
a symbolic link to it (or a path through a linked folder), or a hard link to it. New kinds of
input (a run log, a cached hub file) are protected by adding their paths to the collection. A
remote input (``s3://``, ``https://``: ``ftlint.remote``) is protected under its URL: an output
named by that URL (with or without credentials or a query string) is refused too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftlint.errors import OutputError

if TYPE_CHECKING:
    from ftlint.training.plan import TrainingPlan


#: the settings file names ftlint discovers (kept in step with ``ftlint.settings.SETTINGS_FILES``)
_SETTINGS_NAMES = (".ftlint.toml", "ftlint.toml", "pyproject.toml")
#: a config string longer than this, or with a line break, is not a path
_MAX_PATH_TEXT = 1024


def _real(path: Path) -> str:
    """The absolute path with every symbolic link resolved (as far as the path exists)."""
    absolute = os.path.abspath(os.path.expanduser(path))
    try:
        return os.path.realpath(absolute)
    except (OSError, ValueError):  # an embedded NUL byte: no such file can exist
        return absolute


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of an existing file: what hard links share."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _key(path: str | Path) -> Path:
    """The path a file is protected under: a URL's is its URL as shown (no credentials, no query
    string: ``ftlint.remote``), as the run's assignment names a remote input."""
    from ftlint.urls import parse, redact

    url = parse(path)
    return Path(redact(url)) if url is not None else Path(path)


def _shown(path: Path) -> str:
    from ftlint.remote import shown_path

    try:
        return shown_path(path)
    except OSError:
        return str(path)


class Protected:
    """The files a run reads and must never write, each with what it is ("the train dataset being
    checked", "the training config", ...). The first description given for a file is kept."""

    def __init__(self) -> None:
        self._by_real: dict[str, tuple[Path, str]] = {}
        self._by_identity: dict[tuple[int, int], str] = {}

    @classmethod
    def for_run(cls, settings: Any, assignment: Mapping[str, Sequence[tuple[Path, str]]],
                plan: TrainingPlan | None = None, baseline: Path | None = None) -> Protected:
        """Every file a ``check`` / ``fix`` / ``sample`` run reads: the datasets of each split, the
        reference sample and contamination files, the training config and what it names, the
        settings files, and the baseline it reads (if any)."""
        protected = cls()
        protected.add_datasets(assignment)
        protected.add_dataset_paths(getattr(settings, "reference", None) or (), "the reference sample")
        protected.add_dataset_paths(getattr(settings, "contamination", None) or (), "a contamination file")
        protected.add_plan(plan)
        protected.add_settings(settings)
        protected.add(baseline, "the baseline file being read")
        return protected

    def add(self, path: str | Path | None, what: str) -> None:
        """Protect one file (a path that does not exist yet is protected too: it is what a reader
        of the config would look for)."""
        if path is None:
            return
        p = _key(path)
        real = _real(p)
        if real in self._by_real:
            return
        self._by_real[real] = (p, what)
        ident = _identity(real)
        if ident is not None:
            self._by_identity.setdefault(ident, real)

    def add_all(self, paths: Iterable[str | Path | None], what: str) -> None:
        for p in paths:
            self.add(p, what)

    def add_datasets(self, assignment: Mapping[str, Sequence[tuple[Path, str]]]) -> None:
        """The dataset files of each split (``{split: [(path, why), ...]}``, directories expanded)."""
        for split, files in assignment.items():
            self.add_all((p for p, _ in files), f"the {split} dataset being checked")

    def add_dataset_paths(self, paths: Iterable[str | Path], what: str) -> None:
        """Dataset files or directories (expanded to their dataset files) not yet expanded: the
        reference sample, contamination files. A path that cannot be expanded is protected as is."""
        from ftlint.data.load import expand_paths
        from ftlint.errors import FtlintError

        for raw in paths:
            self.add(raw, what)
            try:
                self.add_all(expand_paths([raw]), what)
            except (FtlintError, OSError):
                pass

    def add_settings(self, settings: Any) -> None:
        """The settings file in use, the settings files found beside it or in the working directory,
        and the files the settings name (lexicons)."""
        source = getattr(settings, "source", None)
        self.add(source, "the settings file in use")
        folders = {Path.cwd()}
        if source is not None:
            folders.add(Path(source).parent)
        for folder in sorted(folders):
            for name in _SETTINGS_NAMES:
                candidate = folder / name
                if candidate.is_file():
                    self.add(candidate, "a settings file")
        for name, value in sorted((getattr(settings, "lexicons", None) or {}).items()):
            if isinstance(value, Path):
                self.add(value, f"the {name} lexicon named by the settings")

    def add_plan(self, plan: TrainingPlan | None) -> None:
        """The training config, the datasets and registries it names (LLaMA-Factory's
        ``dataset_info.json``), and any other existing file one of its values names."""
        if plan is None:
            return
        config = Path(plan.path)
        self.add(config, "the training config")
        for path in plan.files:
            self.add(path, "a file the training config reads")
        for ref in (*plan.train_datasets, *plan.eval_datasets, *plan.test_datasets):
            if ref.path is None:
                continue
            key = ref.provenance.key if ref.provenance else None
            what = f"a dataset the training config names ({key})" if key else "a dataset the training config names"
            self.add(ref.path, what)
            if Path(ref.path).is_dir():
                self.add_dataset_paths([ref.path], what)
        for key, text in _strings(plan.raw):
            if not text or len(text) > _MAX_PATH_TEXT or "\n" in text or "\x00" in text or "://" in text:
                continue
            candidate = Path(os.path.expanduser(text))
            tries = [candidate] if candidate.is_absolute() else [Path.cwd() / candidate, config.parent / candidate]
            for p in tries:
                try:
                    if p.is_file():
                        self.add(p, f"a file the training config names ({key})")
                except (OSError, ValueError):
                    continue

    def match(self, output: str | Path) -> tuple[Path, str, str] | None:
        """The protected file ``output`` would overwrite: (its path, what it is, how: ``"same"``,
        ``"link"`` or ``"hard link"``), or None."""
        out = _key(output)
        real = _real(out)
        hit = self._by_real.get(real)
        if hit is not None:
            same = os.path.normcase(os.path.abspath(os.path.expanduser(out))) == os.path.normcase(
                os.path.abspath(os.path.expanduser(hit[0])))
            return hit[0], hit[1], "same" if same else "link"
        ident = _identity(real)
        if ident is not None and ident in self._by_identity:
            p, what = self._by_real[self._by_identity[ident]]
            return p, what, "hard link"
        return None

    def __contains__(self, path: object) -> bool:
        return isinstance(path, (str, Path)) and self.match(path) is not None

    def __iter__(self) -> Iterator[Path]:
        return iter(p for p, _ in self._by_real.values())

    def __len__(self) -> int:
        return len(self._by_real)


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string value of a parsed config, with its key path (``datasets[0].path``)."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{key}[{i}]")


def guard_output(path: str | Path | None, protected: Protected, what: str = "the report",
                 hint: str = "choose another output path") -> None:
    """Refuse (exit 2) to write ``what`` to ``path`` when that is one of the run's inputs."""
    if path is None:
        return
    hit = protected.match(path)
    if hit is None:
        return
    target, kind, how = hit
    if how == "same":
        it = f"it is {kind}"
    elif how == "link":
        it = f"it resolves to {_shown(target)}, {kind}"
    else:
        it = f"it is the same file as {_shown(target)} (a hard link), {kind}"
    raise OutputError(f"refusing to write {what} here: {it}; ftlint never overwrites its inputs ({hint})",
                      _shown_text(path))


def _shown_text(path: str | Path) -> str:
    """An output path as an error shows it: as given, a URL without its credentials."""
    from ftlint.remote import is_remote, shown_path

    return shown_path(path) if is_remote(path) else str(path)


def guard_outputs(outputs: Iterable[tuple[str | Path | None, str]], protected: Protected) -> None:
    """:func:`guard_output` for each ``(path, what is written there)``."""
    for path, what in outputs:
        guard_output(path, protected, what)


__all__ = ["Protected", "guard_output", "guard_outputs"]
