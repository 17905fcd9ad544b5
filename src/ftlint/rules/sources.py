"""FT013: a dataset the training config names that ftlint could not see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ftlint.context import Context
from ftlint.model import Finding, Location, Severity
from ftlint.rule import Rule
from ftlint.training.plan import HF_HUB, MODELERS, MODELSCOPE


def _folder(name: str) -> str:
    """A local folder name for a hub id: ``data/<name after the org>``."""
    return "data/" + (re.sub(r"[^A-Za-z0-9._-]+", "_", name.rsplit("/", 1)[-1]) or "dataset")


def _download(hub_id: str, hub: str = HF_HUB) -> str:
    """How to download a dataset of ``hub`` (``DatasetRef.hub``) into a local folder (a command in
    backticks when there is one)."""
    if hub == MODELSCOPE:
        return f"`modelscope download --dataset {hub_id} --local_dir {_folder(hub_id)}`"
    if hub == MODELERS:
        return f"{hub_id} from the Modelers (openMind) hub into {_folder(hub_id)}"
    return f"`hf download {hub_id} --repo-type dataset --local-dir {_folder(hub_id)}`"


class DatasetNotAvailable(Rule):
    """A dataset the training config names lives elsewhere and was not checked.

    ## What it does
    Reports each dataset that the training config (`--config`, or `training-config` in the
    settings) names for a split, when ftlint could not read it on this machine: a Hugging Face
    Hub dataset (Axolotl `datasets[].path`, HF/TRL `dataset_name`, alignment-handbook
    `dataset_mixture`, a LLaMA-Factory `dataset_info.json` entry with `hf_hub_url`,
    `dataset_dir: ONLINE`) that is not in the local Hugging Face cache (or whose cached files
    lack the split, config or files the config selects), a ModelScope dataset, the hub source of
    a torchtune dataset builder, an uploaded OpenAI file id, or a name that is neither a local
    path nor a hub id. The finding names the dataset, the config line that names it, why it could
    not be read and the exact command that fetches it.

    A Hugging Face Hub dataset that *is* in the cache (`HF_HUB_CACHE`, `HF_HOME`, or
    `~/.cache/huggingface/hub`, where `datasets.load_dataset` puts it) is read from there, with
    the config's selection, and is not this rule.

    A local path that does not exist is not this rule: it is unusable input (a one-line error
    with the path and the config line, exit code 2). Data given on the command line replaces the
    config's for its split, so this rule is silent for a split passed as local files.

    ## Why it matters
    Every data rule is skipped for a dataset that was not read. Without this finding, a config
    whose only training set is a hub id would pass the gate with nothing checked, which looks
    the same as clean data. This rule runs whenever such a dataset exists, even under a
    `--select` that leaves it out; only an explicit `--ignore FT013` (or `ignore =
    ["dataset-not-available"]`) turns it off, and the report then still lists the dataset as
    not loaded.

    ## Example
    An Axolotl config with `datasets: [{path: mlabonne/FineTome-100k, type: chat_template}]`
    checked on a machine whose Hugging Face cache does not hold that dataset.

    ## How to fix
    Fetch the dataset into the Hugging Face cache, e.g. `hf download mlabonne/FineTome-100k
    --repo-type dataset` (with `--revision` when the config pins one), or let ftlint fetch what
    the config selects: `ftlint check --config train.yaml --download` (or `hub = "download"` in
    the settings; `pip install 'ftlint[hub]'`). A split or config the dataset does not have is
    fixed in the training config. For an OpenAI job, pass the JSONL file you uploaded: `ftlint
    check train.jsonl --config job.json`. To accept a run whose data ftlint cannot see, ignore
    the rule.
    """

    code = "FT013"
    name = "dataset-not-available"
    summary = "A dataset the training config names is not available locally, so it was not checked"
    severity = Severity.ERROR
    requires = frozenset()

    def check(self, ctx: Context) -> Iterator[Finding]:
        from ftlint.training.plan import DatasetKind

        groups: dict[tuple[str, str], list[Any]] = {}
        for u in ctx.unavailable:
            ident = str(u.ref.hub_id or u.ref.name)
            groups.setdefault((ident, u.ref.kind.value), []).append(u)
        for (ident, _), items in groups.items():
            first = items[0]
            ref = first.ref
            prov = ref.provenance
            config = first.config
            splits = " and ".join(dict.fromkeys(u.split for u in items))
            where = f"{config}:{prov.line}" if prov and prov.line else config
            if prov and prov.key:
                where += f" ({prov.key})"
            named = f"the {splits} data of {where}"
            data = "<files>"
            reasons = list(dict.fromkeys(u.hub_reason for u in items if u.hub_reason))
            command = next((u.command for u in items if u.command), None)
            builder = ref.kind is DatasetKind.BUILDER and bool(ref.hub_id)
            if (ref.kind is DatasetKind.HUB or builder) and reasons:
                what = (f"torchtune's {ref.format or ref.name}, {named}, loads the Hugging Face Hub dataset "
                        f"{ref.hub_id}, which ftlint could not read: {'; '.join(reasons)}" if builder else
                        f"{ident}, {named}, is a Hugging Face Hub dataset that ftlint could not read: "
                        f"{'; '.join(reasons)}")
                if command:
                    fix = (f"Fetch it into the Hugging Face cache: `{command}`, or let ftlint fetch what the "
                           f"config selects: `ftlint check --config {config} --download` (or hub = \"download\" in "
                           "the settings; needs `pip install 'ftlint[hub]'`).")
                else:
                    fix = ("Fix the selection in the training config (the trainer stops on it too), or pass the "
                           f"data on the command line: `ftlint check {data} --config {config}`.")
            elif ref.kind is DatasetKind.HUB:
                what = f"{ident}, {named}, is a hub dataset that is not available locally"
                fix = (f"Download it: {_download(ident, ref.hub)}, then check its data files: "
                       f"`ftlint check {_folder(ident)}/{data} --config {config}` (the command line's data "
                       "replaces the config's; files named *val*/*test* go to those splits).")
            elif ref.kind is DatasetKind.BUILDER and ref.hub_id:
                what = (f"torchtune's {ref.format or ref.name}, {named}, loads the hub dataset {ref.hub_id}, "
                        "which is not available locally")
                fix = (f"Download it: {_download(str(ref.hub_id))}, then check its data files: "
                       f"`ftlint check {_folder(str(ref.hub_id))}/{data} --config {config}`.")
            elif ref.kind is DatasetKind.FILE_ID:
                what = f"{ident}, {named}, is an uploaded OpenAI file that ftlint cannot read"
                fix = (f"Check the local JSONL file you uploaded as {ident}: "
                       f"`ftlint check train.jsonl --config {config}` (the command line's data replaces the config's).")
            else:
                what = (f"{ident}, {named}, is neither a local file ftlint can find nor a hub dataset it can read"
                        + (f" ({ref.note})" if ref.note else ""))
                fix = (f"Fix the name in the training config, or pass the data on the command line: "
                       f"`ftlint check {data} --config {config}`; for a hub dataset, "
                       f"`hf download {ident} --repo-type dataset --local-dir {_folder(ident)}` first.")
            yield self.finding(
                f"{what}: none of its rows were checked, and every rule that reads data skips it",
                fix + " To accept a run whose data ftlint cannot see, ignore FT013.",
                location=Location(path=config, line=prov.line if prov else None, key=prov.key if prov else None),
                affected=1, total=1,
                metrics={"dataset": ident, "kind": ref.kind.value, "splits": [u.split for u in items],
                         "hub_splits": [u.ref.split for u in items],
                         **({"download": command} if command else {})},
            )


__all__ = ["DatasetNotAvailable"]
