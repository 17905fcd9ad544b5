"""Which data is checked, per split, and where it came from.

Three sources can name the data of a split (train, validation, test). For each split the first
one that names any data wins, and the others' datasets for that split are *replaced* (listed in
the report, never read):

1. the command line: positional paths (their file names may say ``val``/``test``), ``--validation``,
   ``--test``;
2. the training config given with ``--config``;
3. the settings' ``[dataset] train / validation / test``.

A training config named only by the settings (``training-config = "..."``) comes after their
``[dataset]``: both are the settings, and ``[dataset]`` is the more specific of the two.

A dataset of the winning source that should be on this machine and is not (a mistyped path, a
file that cannot be read, a LLaMA-Factory name that ``dataset_info.json`` does not resolve) is
unusable input: a located one-line error naming the path and the config or settings line (exit
2). A Hugging Face Hub dataset (a config's hub id, or ``hf://datasets/ORG/NAME[@REVISION][/PATH]`` on
the command line) is read from the local Hugging Face cache (``ftlint.hub``), with the config's
selection (config, split, data_files, columns, mixture weight); with the user's consent
(``--download``, ``hub = "download"``) what is missing is fetched into the cache first. A dataset
that lives elsewhere and was not read (a hub dataset not in the cache, an uploaded OpenAI file, a
torchtune builder's hub source) is listed as not loaded and reported by FT013
``dataset-not-available``; an ``hf://`` path on the command line that is not in the cache is
unusable input (exit 2), like a missing local path.

A remote file (``s3://``, ``gs://``, ``az://``, ``https://``: ``ftlint.remote``) on the command line,
in the settings' ``[dataset]`` lists or as a training config's data file (Axolotl ``path:``, a
``data_files`` entry, LLaMA-Factory ``cloud_file_name``) is read through fsspec as it streams; it
is listed under its URL (without credentials), and one that cannot be read is unusable input
located where it is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftlint.data.load import SPLITS, SUFFIXES_SHOWN, display_path, expand_paths, infer_split, load_dataset_file
from ftlint.errors import FtlintError, InputError, UsageError
from ftlint.model import InputInfo
from ftlint.settings import Settings

if TYPE_CHECKING:
    from ftlint.training.plan import DatasetRef, TrainingPlan


#: a training config's dataset role -> ftlint's split
ROLE_SPLIT = {"train": "train", "eval": "validation", "test": "test"}
#: ``load_dataset(<builder>, data_files=...)``: a hub "id" that is really a local-file loader
FILE_LOADERS = frozenset({"json", "csv", "parquet", "text", "arrow"})

COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Unavailable:
    """A dataset the winning training config names that lives elsewhere and was not read (FT013)."""

    split: str
    ref: Any  # ftlint.training.plan.DatasetRef
    config: str  # the training config as shown
    label: str  # "training config train.yaml:3 datasets[0].path"
    reason: str
    #: a hub dataset: why it could not be read from the Hugging Face cache, and the command that
    #: fetches it (None where fetching would not help: a split or config the dataset does not have)
    hub_reason: str = ""
    command: str | None = None


@dataclass
class Sources:
    """The outcome of :func:`resolve`: the files to load per split and what the report lists."""

    #: split -> [(file, why)]: ``why`` is the split source shown in the report
    assignment: dict[str, list[tuple[Path, str]]]
    #: split -> resolved file -> input extras, for the files a training config names
    extras: dict[str, dict[Path, dict[str, Any]]] = field(default_factory=dict)
    #: resolved file -> (the key that names it, its file, its line): where a load error is located
    named_by: dict[Path, tuple[str, str | None, int | None]] = field(default_factory=dict)
    #: datasets of the winning config that were not read (listed in the report)
    not_loaded: list[InputInfo] = field(default_factory=list)
    #: the subset of ``not_loaded`` that lives elsewhere (FT013)
    unavailable: list[Unavailable] = field(default_factory=list)
    #: datasets another source named for a split that a higher source decided
    replaced: list[InputInfo] = field(default_factory=list)
    #: the files read from the Hugging Face cache (``ftlint.hub.HubFile``), by their path in ``assignment``
    hub: dict[Path, Any] = field(default_factory=dict)
    #: the remote files (``ftlint.remote.RemoteFile``), by their key in ``assignment``
    remote: dict[Path, Any] = field(default_factory=dict)

    def load(self, path: Path, split: str, why: str, mapping: dict[str, str] | None, forced_format: str | None,
             cache: Any) -> Any:
        """Read one file of ``assignment``: a cached hub file with the trainer's selection and its
        ``hf://`` name, a remote file streamed, any other with the dataset loader."""
        return load_file(path, split, why, mapping, forced_format, cache, self.hub, self.remote)


def load_file(path: Path, split: str, why: str, mapping: dict[str, str] | None, forced_format: str | None,
              cache: Any = None, hub: dict[Path, Any] | None = None, remote: dict[Path, Any] | None = None) -> Any:
    """:meth:`Sources.load` for a file of :func:`gather_splits` or :func:`resolve` (``hub``: their
    cached hub files; ``remote``: their remote files)."""
    rf = (remote or {}).get(path)
    if rf is not None:
        from ftlint.remote import load as load_remote

        return load_remote(rf, split, why, mapping, forced_format, cache)
    h = (hub or {}).get(path)
    if h is None:
        return load_dataset_file(path, split, why, mapping, forced_format, cache)
    from ftlint.hub import load

    return load(h, split, why, mapping, forced_format, cache)


# -- the command line and the settings ----------------------------------------------------------------

class CommandLine(dict[str, list[tuple[Path, str]]]):
    """The command line's files per split, and its ``hf://`` paths not yet read from the cache
    (``urls``: (path, the split --validation/--test forces or None, why)); :func:`expand_urls` reads
    them once the settings say whether missing data may be fetched. ``remote``: its remote files
    (``ftlint.remote.RemoteFile``) by their key in the splits."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.urls: list[tuple[str, str | None, str]] = []
        self.hub: dict[Path, Any] = {}
        self.remote: dict[Path, Any] = {}
        self.not_loaded: list[InputInfo] = []


def expand_inputs(paths: Sequence[str | Path], what: str = "dataset", recursive: bool = False
                  ) -> tuple[list[Path], dict[Path, Any]]:
    """Local paths and remote URLs (``ftlint.remote``) expanded to their files, in the order given:
    (the files, the remote ones of them by their key)."""
    from ftlint.remote import expand, is_remote

    files: dict[Path, None] = {}
    remote: dict[Path, Any] = {}
    local: list[str | Path] = []

    def flush() -> None:
        if local:
            files.update(dict.fromkeys(expand_paths(local, what, recursive=recursive)))
            local.clear()

    for p in paths:
        if is_remote(p):
            flush()
            for rf in expand(p, what, recursive):
                files.setdefault(rf.local, None)
                remote.setdefault(rf.local, rf)
        else:
            local.append(p)
    flush()
    return list(files), remote


def command_line_splits(paths: Sequence[str | Path], validation: Sequence[str | Path],
                        test: Sequence[str | Path], recursive: bool = False) -> CommandLine:
    """The files the command line names, per split (a positional file named ``*val*``/``*test*``
    goes to that split, an Arrow file of a ``datasets`` folder to its split), and the hub datasets
    it names (``hf://``). ``recursive``: directories are searched with their subfolders."""
    from ftlint.hub import is_url

    out = CommandLine({s: [] for s in SPLITS})
    local = [p for p in paths if not is_url(p)]
    out.urls += [(str(p), None, f"{COMMAND_LINE} (positional path)") for p in paths if is_url(p)]
    found, remote = expand_inputs(local, recursive=recursive) if local else ([], {})
    out.remote.update(remote)
    for p in found:
        inferred = infer_split(Path(remote[p].name) if p in remote else p)
        if inferred:
            out[inferred[0]].append((p, f"{COMMAND_LINE} ({inferred[1]})"))
        else:
            out["train"].append((p, f"{COMMAND_LINE} (positional path)"))
    for split, given in (("validation", validation), ("test", test)):
        if given:
            out.urls += [(str(p), split, f"{COMMAND_LINE} (--{split})") for p in given if is_url(p)]
            files = [p for p in given if not is_url(p)]
            if files:
                found, remote = expand_inputs(files, recursive=recursive)
                out.remote.update(remote)
                out[split] += [(p, f"{COMMAND_LINE} (--{split})") for p in found]
    return out


def hub_download(settings: Settings) -> bool:
    """Whether the user consented to fetching missing hub data (``--download``, ``hub = "download"``)."""
    return getattr(settings, "hub", "cache") == "download"


def expand_urls(cli: dict[str, list[tuple[Path, str]]], settings: Settings) -> None:
    """Read the command line's ``hf://`` paths from the Hugging Face cache into its splits (once)."""
    if not isinstance(cli, CommandLine) or not cli.urls:
        return
    urls = cli.urls
    from ftlint.hub import expand_url, file_split

    for url, forced, why in list(urls):
        found = expand_url(url, hub_download(settings))
        for h in found.files:
            if forced is not None:
                split, reason = forced, why
            else:
                inferred = file_split(h)
                if inferred is None:
                    cli.not_loaded.append(InputInfo(
                        path=h.shown, role="dataset", split=None, format=None, records=None, split_source=why,
                        extra={"loadable": False, "hub": h.extra(),
                               "reason": f"split {h.split_name!r} is neither train, validation nor test: name "
                                         f"its files to check them ({h.shown})"}))
                    continue
                split = inferred[0]
                reason = f"{COMMAND_LINE} ({inferred[1]})" if inferred[1] else why
            cli[split].append((h.local, f"{reason}; {h.label()}"))
            cli.hub[h.local] = h
        for name, reason in found.skipped:
            cli.not_loaded.append(InputInfo(
                path=url, role="dataset", split=split_of_name(name), split_source=why,
                extra={"loadable": False, "reason": reason}))
    urls.clear()


def split_of_name(name: str) -> str | None:
    from ftlint.hub import split_of

    return split_of(name)


def _settings_where(settings: Settings, split: str) -> tuple[str, str | None, int | None]:
    """("settings ftlint.toml:4 [dataset] train", file, line) for a split of the settings."""
    file = display_path(Path(settings.source)) if settings.source else None
    line = (settings.line_of(f"dataset.{split}") or settings.line_of("dataset")) if file else None
    where = "settings" + (f" {file}" if file else "") + (f":{line}" if file and line else "")
    return f"{where} [dataset] {split}", file, line


def _settings_hub_files(settings: Settings, split: str, url: str, label: str,
                        hub: dict[Path, Any] | None) -> list[tuple[Path, str]]:
    """The cached files of an ``hf://`` path under ``[dataset] split``: all of them, or, when the
    path names a whole dataset with several splits, those of this split."""
    from ftlint.hub import expand_url, file_split

    files = expand_url(url, hub_download(settings)).files
    split_of_file = [(h, (file_split(h) or (None, ""))[0]) for h in files]
    splits = {s for _, s in split_of_file}
    if len(splits) > 1 and split in splits:
        files = [h for h, s in split_of_file if s == split]
    if hub is not None:
        hub.update({h.local: h for h in files})
    return [(h.local, f"{label}; {h.label()}") for h in files]


def settings_files(settings: Settings, split: str, remote: dict[Path, Any] | None = None,
                   hub: dict[Path, Any] | None = None) -> list[tuple[Path, str]]:
    """The settings' files for ``split``; a path that cannot be used is an error located at the
    settings line that names it. The remote files among them go into ``remote`` (by their key), the
    Hugging Face cache files (``hf://``) into ``hub``."""
    from ftlint.hub import is_url
    from ftlint.remote import is_remote, shown_path

    label, file, line = _settings_where(settings, split)
    out: list[tuple[Path, str]] = []
    for raw in getattr(settings.dataset, split):
        try:
            if isinstance(raw, str) and is_url(raw):
                out += _settings_hub_files(settings, split, raw, label, hub)
                continue
            found, rem = expand_inputs([raw])
            out += [(p, label) for p in found]
            if remote is not None:
                remote.update(rem)
        except InputError as e:
            if is_remote(raw) or (isinstance(raw, str) and is_url(raw)):
                shown = shown_path(raw) if is_remote(raw) else raw
            else:
                shown = display_path(Path(e.path)) if e.path else display_path(Path(raw))
            message = f"[dataset] {split}: {shown}: {e.message}"
            raise InputError(message if file else f"settings {message}", file, line) from None
    return out


def _check_one_split_per_file(assignment: dict[str, list[tuple[Path, str]]]) -> None:
    seen: dict[Path, str] = {}
    for split, files in assignment.items():
        for p, _ in files:
            rp = p.resolve()
            if rp in seen and seen[rp] != split:
                from ftlint.remote import shown_path

                raise UsageError(f"{shown_path(p)} is given as both {seen[rp]} and {split} data")
            seen[rp] = split
        # the same file twice in one split counts once
        uniq: dict[Path, tuple[Path, str]] = {}
        for p, why in files:
            uniq.setdefault(p.resolve(), (p, why))
        assignment[split] = list(uniq.values())


def gather_splits(paths: Sequence[str | Path], validation: Sequence[str | Path], test: Sequence[str | Path],
                  settings: Settings) -> CommandLine:
    """Which file goes to which split without a training config: the command line, else the
    settings, per split."""
    cli = command_line_splits(paths, validation, test)
    expand_urls(cli, settings)
    remote = dict(cli.remote)
    hub = dict(cli.hub)
    out = CommandLine({s: cli[s] or settings_files(settings, s, remote, hub) for s in SPLITS})
    out.hub = hub  # the cached hub files (``hf://`` paths), read with :func:`load_file`
    out.remote = remote  # the remote files (s3://, https://, ...), read with :func:`load_file`
    _check_one_split_per_file(out)
    return out


# -- the training config ---------------------------------------------------------------------------------

def _config_where(plan: TrainingPlan, ref: DatasetRef) -> tuple[str, str, int | None, str | None]:
    """("training config train.yaml:3 datasets[0].path", file, line, key) of a dataset reference."""
    file = display_path(Path(plan.path))
    prov = ref.provenance
    line = prov.line if prov else None
    key = prov.key if prov else None
    label = f"training config {file}" + (f":{line}" if line else "") + (f" {key}" if key else "")
    return label, file, line, key


def not_loadable_reason(ref: Any) -> str:
    """Why ftlint has not read a dataset that lives elsewhere (one sentence)."""
    from ftlint.training.plan import DatasetKind

    if ref.kind is DatasetKind.HUB:
        return f"a {ref.hub} Hub dataset ({ref.hub_id or ref.name}) that is not available locally (FT013)"
    if ref.kind is DatasetKind.FILE_ID:
        return "an uploaded OpenAI file id; ftlint cannot read it: pass the local JSONL file you uploaded"
    if ref.kind is DatasetKind.BUILDER:
        if ref.hub_id:
            return f"torchtune dataset builder {ref.format or ref.name} loads its data from the hub ({ref.hub_id})"
        return f"torchtune dataset builder {ref.format or ref.name} names no data source; pass local files"
    return ref.note or "neither a local file ftlint can find nor a hub dataset it can read"


def _tried(ref: Any) -> str:
    seen: list[str] = []
    for p in ref.candidates or ((ref.path,) if ref.path is not None else ()):
        shown = display_path(Path(p))
        if shown not in seen:
            seen.append(shown)
    return f" (looked in {' and '.join(seen)})" if seen else ""


def _located(ref: DatasetRef, plan: TrainingPlan, message: str) -> InputError:
    """An error about a config's dataset, located at the config line that names it."""
    _, file, line, key = _config_where(plan, ref)
    return InputError(f"{key + ': ' if key else ''}{message}; fix the path in the training config, or pass the "
                      "data on the command line (it replaces the config's)", file, line)


def _loader_files(ref: DatasetRef, plan: TrainingPlan) -> tuple[list[Path], str | None]:
    """``path: json`` + ``data_files: [...]`` (HF ``load_dataset("json", data_files=...)``): the local
    files, resolved like the trainer would (working directory first, then the config's folder)."""
    found: list[Path] = []
    via: str | None = None
    for name in ref.data_files:
        candidate = Path(name).expanduser()
        tries = ([(candidate, "absolute")] if candidate.is_absolute()
                 else [(Path.cwd() / candidate, "cwd"), (Path(plan.path).parent / candidate, "config_dir")])
        hit = next(((p, how) for p, how in tries if p.is_file()), None)
        if hit is None:
            looked = " and ".join(dict.fromkeys(display_path(p) for p, _ in tries))
            raise _located(ref, plan, f"data file {name} of {ref.hub_id or ref.name}: no such file (looked in "
                                      f"{looked})")
        found.append(hit[0])
        via = via or hit[1]
    return found, via


def _config_files(ref: DatasetRef, plan: TrainingPlan) -> tuple[list[Path], str | None] | None:
    """The local files of one reference; None when it lives elsewhere. Raises the located error
    for a local dataset that cannot be found or is not one ftlint reads."""
    from ftlint.training.plan import DatasetKind

    if ref.data_files and (ref.hub_id or ref.name) in FILE_LOADERS:
        return _loader_files(ref, plan)
    if ref.kind is DatasetKind.REGISTRY:
        raise _located(ref, plan, f"dataset {ref.name!r} cannot be resolved: {ref.note or 'not in the registry'}")
    if ref.kind is not DatasetKind.LOCAL:
        return None
    if not ref.loadable or ref.path is None:
        if ref.path is not None and Path(ref.name).name != Path(ref.path).name:  # a registry name
            raise _located(ref, plan, f"dataset {ref.name!r} is {display_path(Path(ref.path))}: "
                                      "no such file or directory")
        raise _located(ref, plan, f"{ref.name}: no such file or directory{_tried(ref)}")
    try:
        files = expand_paths([ref.path]) if ref.path.is_dir() else [ref.path]
    except InputError as e:
        raise _located(ref, plan, f"{ref.name}: {e.message}") from None
    from ftlint.data.formats import format_of

    bad = [f for f in files if format_of(f.name) is None]
    if bad:
        raise _located(ref, plan, f"{display_path(bad[0])} is not a dataset file ftlint reads "
                                  f"({SUFFIXES_SHOWN})")
    return files, ref.resolved_via


def remote_names(ref: Any) -> list[str]:
    """The URLs a training config's dataset reference names for its trainer to read remotely (fsspec):
    the reference itself (Axolotl ``path: s3://...``, a mixture entry's ``path``), its ``data_files``
    (``load_dataset("json", data_files="s3://...")``, torchtune ``source: json``), or LLaMA-Factory's
    ``cloud_file_name``; [] for any other reference."""
    from ftlint.remote import is_remote

    entry = ref.entry if isinstance(ref.entry, dict) else {}
    cloud = entry.get("cloud_file_name")
    if isinstance(cloud, str) and is_remote(cloud):
        return [cloud]
    if is_remote(ref.name):
        names = [str(ref.name)]
        if str(ref.name) in ref.data_files:  # torchtune: the reference is its first data file
            names = [str(f) for f in ref.data_files]
        return names
    if ref.data_files and any(is_remote(f) for f in ref.data_files) and (
            (ref.hub_id or ref.name) in FILE_LOADERS or ref.kind.value in ("local", "unknown")):
        return [str(f) for f in ref.data_files]
    return []


def _remote_config_files(ref: Any, plan: Any, remote: dict[Path, Any]) -> tuple[list[Path], str | None] | None:
    """The files of a config's dataset reference that names URLs (:func:`remote_names`), the remote
    ones registered in ``remote``; None for any other reference. A URL that cannot be read is an
    error located at the config line that names it."""
    names = remote_names(ref)
    if not names:
        return None
    from ftlint.remote import is_remote

    files: list[Path] = []
    local = [n for n in names if not is_remote(n)]
    if local:  # a data_files list that mixes local files and URLs
        import dataclasses

        files += _loader_files(dataclasses.replace(ref, data_files=tuple(local)), plan)[0]
    try:
        found, rem = expand_inputs([n for n in names if is_remote(n)])
    except InputError as e:
        raise _located(ref, plan, f"{e.path}: {e.message}" if e.path else e.message) from None
    remote.update(rem)
    return files + found, None


def _hub_files(ref: Any, plan: Any, settings: Settings) -> tuple[tuple[list[Path], str | None] | None,
                                                                   dict[Path, Any], Any]:
    """A config's Hugging Face Hub dataset read from the cache: (the files and how, or None; the
    ``HubFile`` of each file; the ``NotFound`` when it could not be read, or None)."""
    from ftlint.hub import Found, locate, request_for
    from ftlint.training.plan import DatasetKind

    # a hub dataset, or a trainer's dataset builder that loads one (torchtune's alpaca_cleaned_dataset)
    if ref.kind is not DatasetKind.HUB and not (ref.kind is DatasetKind.BUILDER and ref.hub_id):
        return None, {}, None
    from ftlint.training.adapters import adapter_for

    req = request_for(ref, adapter_for(plan).hub_request_fields(ref))
    if req is None:
        return None, {}, None
    result = locate(req, hub_download(settings))
    if not isinstance(result, Found):
        return None, {}, result
    if not result.files:  # a selection of no rows at all: nothing was read
        from ftlint.hub import NotFound

        return None, {}, NotFound(req, "the selection holds no files", None)
    return ([h.local for h in result.files], None), {h.local: h for h in result.files}, None


def _shown(ref: Any) -> str:
    from ftlint.training.plan import DatasetKind

    if ref.kind is DatasetKind.HUB:
        return str(ref.hub_id or ref.name)
    if ref.kind is DatasetKind.LOCAL and ref.path is not None and ref.exists:
        return display_path(Path(ref.path))
    return str(ref.name)


# -- all three -----------------------------------------------------------------------------------------

def resolve(cli: dict[str, list[tuple[Path, str]]], settings: Settings, plan: TrainingPlan | None,
            config_from_cli: bool) -> Sources:
    """Decide each split's source (see the module docstring) and the files to load; ``cli`` is
    :func:`command_line_splits`."""
    expand_urls(cli, settings)
    refs: dict[str, list[Any]] = {s: [] for s in SPLITS}
    if plan is not None:
        for ref in (*plan.train_datasets, *plan.eval_datasets, *plan.test_datasets):
            split = ROLE_SPLIT.get(ref.role)
            if split is not None:
                refs[split].append(ref)
    config_label = f"training config {display_path(Path(plan.path))}" if plan is not None else ""
    settings_label = "settings" + (f" {display_path(Path(settings.source))}" if settings.source else "")
    order = (("cli", "config", "settings") if config_from_cli else ("cli", "settings", "config"))
    names = {"cli": COMMAND_LINE, "config": config_label, "settings": settings_label}

    winner: dict[str, str | None] = {}
    for split in SPLITS:
        named = {"cli": bool(cli[split]), "config": bool(refs[split]),
                 "settings": bool(getattr(settings.dataset, split))}
        winner[split] = next((s for s in order if named[s]), None)

    out = Sources(assignment={s: [] for s in SPLITS}, extras={s: {} for s in SPLITS})
    out.not_loaded += getattr(cli, "not_loaded", [])
    # the command line's and the settings' files first: one file in two of their splits is an error
    for split in SPLITS:
        if winner[split] == "cli":
            out.assignment[split] = list(cli[split])
            for p, _ in cli[split]:
                h = getattr(cli, "hub", {}).get(p)
                if h is not None:
                    out.hub[p] = h
                    out.extras[split][p.resolve()] = {"hub": h.extra()}
                rf = getattr(cli, "remote", {}).get(p)
                if rf is not None:
                    out.remote[p] = rf
                    out.extras[split][p.resolve()] = {"remote": rf.extra()}
        elif winner[split] == "settings":
            remote: dict[Path, Any] = {}
            hub: dict[Path, Any] = {}
            out.assignment[split] = settings_files(settings, split, remote, hub)
            _, file, line = _settings_where(settings, split)
            for p, _ in out.assignment[split]:
                out.named_by[p.resolve()] = (f"[dataset] {split}", file, line)
                if p in hub:
                    out.hub[p] = hub[p]
                    out.extras[split][p.resolve()] = {"hub": hub[p].extra()}
                if p in remote:
                    out.remote[p] = remote[p]
                    out.extras[split][p.resolve()] = {"remote": remote[p].extra()}
    _check_one_split_per_file(out.assignment)
    taken = {p.resolve(): s for s in SPLITS for p, _ in out.assignment[s]}

    for split in SPLITS:
        if winner[split] != "config" or plan is None:
            continue
        for ref in refs[split]:
            label, file, line, key = _config_where(plan, ref)
            remote_files: dict[Path, Any] = {}
            found = _remote_config_files(ref, plan, remote_files)
            if found is None:
                found = _config_files(ref, plan)
            hub_files: dict[Path, Any] = {}
            missing: Any = None
            if found is None:
                found, hub_files, missing = _hub_files(ref, plan, settings)
            files, via = found if found is not None else ([], None)
            reason = "" if found is not None else not_loadable_reason(ref)
            if missing is not None:
                reason = f"{reason.removesuffix(' (FT013)')}: {missing.reason} (FT013)"
            clash = next((taken[f.resolve()] for f in files if taken.get(f.resolve(), split) != split), None)
            if clash is not None:  # e.g. one local dataset folder named for train and for eval
                files, reason = [], f"the same file is already read as {clash} data"
            if not files:
                extra: dict[str, Any] = {"loadable": False, "reason": reason, "from_config": True}
                if key:
                    extra["config_key"] = key
                if ref.split and ref.kind.value in ("hub", "builder"):
                    extra["dataset_split"] = ref.split
                if missing is not None and missing.command:
                    extra["download"] = missing.command
                out.not_loaded.append(InputInfo(path=_shown(ref), role="dataset", split=split, format=None,
                                                records=None, split_source=label, extra=extra))
                if clash is None:
                    out.unavailable.append(Unavailable(split, ref, file, label, reason,
                                                       missing.reason if missing is not None else "",
                                                       missing.command if missing is not None else None))
                continue
            for f in files:
                rp = f.resolve()
                if rp in taken:
                    continue
                taken[rp] = split
                h = hub_files.get(f)
                rf = remote_files.get(f)
                if h is not None:
                    out.hub[f] = h
                    out.assignment[split].append((f, f"{label}; {h.label()}"))
                else:
                    out.assignment[split].append((f, f"{label} (resolved via {via})" if via else label))
                if rf is not None:
                    out.remote[f] = rf
                out.named_by[rp] = (key or "", file, line)
                extra = {"from_config": True, "resolved_via": via}
                if key:
                    extra["config_key"] = key
                if h is not None:
                    extra["hub"] = h.extra()
                if rf is not None:
                    extra["remote"] = rf.extra()
                out.extras[split][rp] = extra

    # what the losing sources named for each split: listed as replaced (unless it is the same file)
    for split in SPLITS:
        won = winner[split]
        if won is None:
            continue
        used = {p.resolve() for p, _ in out.assignment[split]}
        by = names[won]
        if winner[split] != "settings":
            from ftlint.remote import is_remote, shown_path

            label, _, _ = _settings_where(settings, split)
            for raw in getattr(settings.dataset, split):
                named_path = Path(shown_path(raw)) if is_remote(raw) else Path(raw)
                if named_path.resolve() not in used:
                    out.replaced.append(InputInfo(path=shown_path(raw), role="replaced", split=split,
                                                  split_source=label, extra={"replaced_by": by}))
        if winner[split] != "config" and plan is not None:
            for ref in refs[split]:
                local = ref.path if ref.path is not None and ref.exists else None
                if local is not None and Path(local).resolve() in used:
                    continue
                label = _config_where(plan, ref)[0]
                out.replaced.append(InputInfo(path=_shown(ref), role="replaced", split=split, split_source=label,
                                              extra={"replaced_by": by}))
    return out


def relocate(error: FtlintError, named_by: tuple[str, str | None, int | None], path: Path) -> FtlintError:
    """A load error of a file the training config or the settings name, located at their line."""
    key, file, line = named_by
    if not file:
        return error
    from ftlint.remote import shown_path

    inner = error.located()
    if not inner.startswith(shown_path(path)) and not str(error.path or "").startswith("hf://"):
        inner = f"{shown_path(path)}: {inner}"
    return type(error)(f"{key}: {inner}" if key else inner, file, line)
