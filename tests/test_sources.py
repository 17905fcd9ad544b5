"""Which data is checked, and the gate that fails when it cannot see (issue 12, problems 4 and 5).

Per split, the first source that names data wins: the command line, then the training config given
with ``--config``, then the settings' ``[dataset]``. A local dataset the winner names that cannot
be found or read is exit 2 with the path and the line that names it; one that lives elsewhere (a
hub id, an uploaded file) is FT013 ``dataset-not-available``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ftlint.api import check
from ftlint.errors import InputError
from ftlint.findings import Report
from ftlint.settings import load_settings
from tests.cli_inprocess import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, without FTLINT_* variables."""
    for var in ("FTLINT_FAIL_ON", "FTLINT_OUTPUT_FORMAT", "FTLINT_OUTPUT_FILE", "FTLINT_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def rows(path: str, n: int = 3, tag: str = "") -> Path:
    """``n`` distinct chat records in ``path`` (``tag`` keeps files of different names distinct)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tag = tag or p.stem
    recs = [{"messages": [{"role": "user", "content": f"{tag} question {i}"},
                          {"role": "assistant", "content": f"{tag} answer number {i}"}]} for i in range(n)]
    p.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return p


def write(path: str, text: str) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def sources(report: Report) -> dict[tuple[str, str], str]:
    """(role, path) -> split source, for every dataset and replaced input."""
    return {(i.role, i.path): f"{i.split}: {i.split_source}" for i in report.inputs
            if i.role in ("dataset", "replaced")}


def run(*paths: str, **kw: Any) -> Report:
    return check(list(paths), settings=load_settings(), no_cache=True, select=kw.pop("select", ["FT101"]), **kw)


AXOLOTL = """\
base_model: meta-llama/Llama-3.2-1B
datasets:
  - path: {train}
    type: chat_template
{extra}num_epochs: 1
"""


# -- problem 4: a mistyped local path is exit 2 with the path and the line ----------------------------------

MISTYPED = {
    "axolotl": ("train.yaml", AXOLOTL.format(train="data/trian.jsonl", extra=""),
                "train.yaml:3: datasets[0].path: data/trian.jsonl: no such file or directory"),
    "axolotl test_datasets": ("train.yaml", AXOLOTL.format(train="data/train.jsonl",
                                                           extra="test_datasets:\n  - path: data/vla.jsonl\n"
                                                                 "    type: chat_template\n"),
                              "train.yaml:6: test_datasets[0].path: data/vla.jsonl: no such file or directory"),
    "hf trainer": ("hf.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\noutput_dir: out\ntrain_file: data/trian.jsonl\n"
                              "num_train_epochs: 1\n",
                   "hf.yaml:3: train_file: data/trian.jsonl: no such file or directory"),
    "trl": ("trl.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: data/trian.jsonl\nmax_length: 1024\n",
            "trl.yaml:2: dataset_name: data/trian.jsonl: no such file or directory"),
    "llamafactory file": ("lf.yaml", "model_name_or_path: Qwen/Qwen3-0.6B\nstage: sft\nfinetuning_type: lora\n"
                                     "dataset: mine\ntemplate: qwen3\n",
                          "lf.yaml:4: dataset: dataset 'mine' is data/trian.jsonl: no such file or directory"),
    "llamafactory undefined name": ("lf.yaml", "model_name_or_path: Qwen/Qwen3-0.6B\nstage: sft\n"
                                               "finetuning_type: lora\ndataset: mnie\ntemplate: qwen3\n",
                                    "lf.yaml:4: dataset: dataset 'mnie' cannot be resolved: 'mnie' is not defined"),
    "torchtune": ("tt.yaml", "model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\ndataset:\n"
                             "  _component_: torchtune.datasets.chat_dataset\n  source: json\n"
                             "  data_files: data/trian.jsonl\n  conversation_column: messages\nepochs: 1\n",
                  "tt.yaml:6: dataset.data_files: data/trian.jsonl: no such file or directory"),
    "openai": ("job.json", '{"model": "gpt-4o-mini-2024-07-18",\n "training_file": "trian.jsonl"}',
               "job.json:2: training_file: trian.jsonl: no such file or directory"),
}


@pytest.mark.parametrize("name", sorted(MISTYPED))
def test_a_mistyped_dataset_path_in_the_training_config_exits_2_located(name: str) -> None:
    config, text, expected = MISTYPED[name]
    rows("data/train.jsonl")
    write("data/dataset_info.json", '{"mine": {"file_name": "trian.jsonl"}}')
    write(config, text)
    res = cli("check", "--config", config, "--no-cache")
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    [line] = res.stderr.strip().splitlines()                       # one line, no traceback
    assert line.startswith(f"ftlint: error: {expected}"), line


def test_the_issue_reproduction_no_longer_passes() -> None:
    """Problem 4 as filed: an Axolotl config whose only dataset path is mistyped exited 0 with every data
    rule skipped as "no dataset given"."""
    rows("data/train.jsonl")
    write("train.yaml", AXOLOTL.format(train="data/trian.jsonl", extra="val_set_size: 0.05\nevals_per_epoch: 4\n"
                                       "early_stopping_patience: 3\n"))
    res = cli("check", "--config", "train.yaml", "--no-cache", "--fail-on", "error")
    assert res.exit_code == 2 and "no dataset given" not in res.output
    assert "train.yaml:3" in res.stderr and "data/trian.jsonl" in res.stderr


def test_a_config_dataset_that_cannot_be_read_is_located_at_the_config_line() -> None:
    Path("data").mkdir()
    Path("data/train.jsonl").write_bytes(b"\x00\x01\x02 binary")
    write("train.yaml", AXOLOTL.format(train="data/train.jsonl", extra=""))
    with pytest.raises(InputError) as e:
        run(config="train.yaml")
    assert (e.value.path, e.value.line) == ("train.yaml", 3)
    assert e.value.message.startswith("datasets[0].path: data/train.jsonl: not a text file")


def test_a_config_dataset_of_another_format_is_located_at_the_config_line() -> None:
    write("data/notes.txt", "some notes\n")
    write("train.yaml", AXOLOTL.format(train="data/notes.txt", extra=""))
    res = cli("check", "--config", "train.yaml", "--no-cache")
    assert res.exit_code == 2
    assert res.stderr.startswith("ftlint: error: train.yaml:3: datasets[0].path: data/notes.txt is not a dataset file")


def test_a_mistyped_settings_path_exits_2_at_the_settings_line() -> None:
    write("ftlint.toml", 'fail-on = "error"\n\n[dataset]\ntrain = ["data/trian.jsonl"]\n')
    res = cli("check", "--no-cache")
    assert res.exit_code == 2 and res.stdout == ""
    assert res.stderr.strip() == ("ftlint: error: ftlint.toml:4: [dataset] train: data/trian.jsonl: no such file or "
                                  "directory")


def test_a_settings_file_that_cannot_be_read_is_located_at_the_settings_line() -> None:
    Path("data").mkdir()
    Path("data/val.jsonl").write_bytes(b"\x00\x01\x02 binary")
    rows("data/train.jsonl")
    write("ftlint.toml", '[dataset]\ntrain = ["data/train.jsonl"]\nvalidation = ["data/val.jsonl"]\n')
    res = cli("check", "--no-cache")
    assert res.exit_code == 2
    assert res.stderr.startswith("ftlint: error: ftlint.toml:3: [dataset] validation: data/val.jsonl: not a text file")


def test_a_missing_path_of_a_replaced_source_is_not_an_error() -> None:
    # the command line decides train: what the config and the settings name for it is never read
    rows("mine.jsonl")
    write("train.yaml", AXOLOTL.format(train="/cluster/data/train.jsonl", extra=""))
    write("ftlint.toml", '[dataset]\ntrain = ["gone.jsonl"]\n')
    report = run("mine.jsonl", config="train.yaml")
    assert sources(report) == {
        ("dataset", "mine.jsonl"): "train: command line (positional path)",
        ("replaced", "/cluster/data/train.jsonl"): "train: training config train.yaml:3 datasets[0].path",
        ("replaced", "gone.jsonl"): "train: settings ftlint.toml:2 [dataset] train",
    }


# -- FT013: a dataset that lives elsewhere ----------------------------------------------------------------

HUB = AXOLOTL.format(train="mlabonne/FineTome-100k", extra="")


def test_a_hub_dataset_is_ft013_with_the_command_and_exit_1() -> None:
    write("train.yaml", HUB)
    res = cli("check", "--config", "train.yaml", "--no-cache", "--output-format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    [f] = [f for f in report["findings"] if f["code"] == "FT013"]
    assert f["severity"] == "error" and f["name"] == "dataset-not-available"
    assert f["location"] == {"path": "train.yaml", "line": 3, "key": "datasets[0].path"}
    assert "mlabonne/FineTome-100k" in f["message"] and "train.yaml:3" in f["message"]
    assert "`hf download mlabonne/FineTome-100k --repo-type dataset`" in f["fix"] and "--download" in f["fix"]
    assert "not in the Hugging Face cache" in f["message"]
    [ds] = [i for i in report["inputs"] if i["role"] == "dataset"]
    assert ds["path"] == "mlabonne/FineTome-100k" and ds["loadable"] is False and ds["records"] is None
    rules = {r["code"]: r for r in report["rules"]}
    assert rules["FT201"]["outcome"] == "skipped" and "not available locally (FT013)" in rules["FT201"]["reason"]


def test_ft013_runs_under_a_selection_that_leaves_it_out() -> None:
    write("train.yaml", HUB)
    res = cli("check", "--config", "train.yaml", "--no-cache", "--select", "FT201")
    assert res.exit_code == 1
    assert "FT013 dataset-not-available" in res.stdout


def test_ft013_ignored_exits_0_but_lists_the_dataset_as_not_loaded() -> None:
    write("train.yaml", HUB)
    res = cli("check", "--config", "train.yaml", "--no-cache", "--select", "FT201", "--ignore", "FT013")
    assert res.exit_code == 0, res.output
    assert "mlabonne/FineTome-100k  [not loaded: a Hugging Face Hub dataset" in res.stdout
    assert "All checks passed" not in res.stdout
    assert "1 named dataset was not loaded" in res.stdout
    md = cli("check", "--config", "train.yaml", "--no-cache", "--select", "FT201", "--ignore", "dataset-not-available",
             "--output-format", "markdown")
    assert md.exit_code == 0 and "All checks passed" not in md.stdout and "not loaded" in md.stdout
    # in the settings too (a --select on the command line would replace the settings' ignore)
    write("ftlint.toml", 'select = ["FT201"]\nignore = ["FT013"]\n')
    assert cli("check", "--config", "train.yaml", "--no-cache").exit_code == 0
    write("ftlint.toml", 'select = ["FT201"]\n')
    assert cli("check", "--config", "train.yaml", "--no-cache").exit_code == 1


def test_the_command_line_replaces_a_hub_dataset_silently() -> None:
    rows("train.jsonl")
    write("train.yaml", HUB)
    report = run("train.jsonl", config="train.yaml", select=["FT013"])
    assert not report.findings
    assert sources(report) == {
        ("dataset", "train.jsonl"): "train: command line (positional path)",
        ("replaced", "mlabonne/FineTome-100k"): "train: training config train.yaml:3 datasets[0].path",
    }


# -- problem 5: which data is checked -------------------------------------------------------------------------

def test_init_fix_check_flow_checks_the_repaired_files_together() -> None:
    """The README's flow: `ftlint init` writes [dataset] train = ["train.jsonl"]; `ftlint fix --config
    train.yaml` writes ftlint-fixed/; `ftlint check --config ftlint-fixed/train.yaml` used to check the
    original train.jsonl (from the settings) against the carved validation file: a false 100% FT203."""
    for name in ("train.jsonl", "train.yaml"):
        shutil.copy(EXAMPLES / "chat-mistakes" / name, name)
    assert cli("init").exit_code == 0
    assert 'train = ["train.jsonl"]' in Path("ftlint.toml").read_text(encoding="utf-8")
    assert cli("fix", "--config", "train.yaml", "--no-cache").exit_code == 0
    res = cli("check", "--config", "ftlint-fixed/train.yaml", "--no-cache", "--select", "FT203",
              "--output-format", "json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert not report["findings"]                                   # no false leakage
    got = {(i["role"], i["path"], i["split"]): i["split_source"] for i in report["inputs"]
           if i["role"] in ("dataset", "replaced")}
    assert set(got) == {("dataset", "ftlint-fixed/train.jsonl", "train"),
                        ("dataset", "ftlint-fixed/validation.jsonl", "validation"),
                        ("replaced", "train.jsonl", "train")}
    assert got[("dataset", "ftlint-fixed/train.jsonl", "train")].startswith("training config ftlint-fixed/train.yaml:")
    assert got[("replaced", "train.jsonl", "train")].startswith("settings ftlint.toml:")
    [replaced] = [i for i in report["inputs"] if i["role"] == "replaced"]
    assert replaced["replaced_by"] == "training config ftlint-fixed/train.yaml"


def two_of_each() -> None:
    """A file per split for each source: cli_*, cfg_*, set_* (distinct rows)."""
    for source in ("cli", "cfg", "set"):
        for split in ("train", "validation", "test"):
            rows(f"{source}_{split[:5]}.jsonl", tag=f"{source}-{split}")


def config_naming(train: str | None, validation: str | None = None, test: str | None = None) -> None:
    """An HF Trainer config naming these files (train_file / validation_file / test_file)."""
    lines = ["model_name_or_path: Qwen/Qwen2.5-0.5B", "output_dir: out", "num_train_epochs: 1"]
    for key, value in (("train_file", train), ("validation_file", validation), ("test_file", test)):
        if value:
            lines.append(f"{key}: {value}")
    write("hf.yaml", "\n".join(lines) + "\n")


def settings_naming(**splits: str) -> None:
    write("ftlint.toml", "[dataset]\n" + "".join(f'{k} = ["{v}"]\n' for k, v in splits.items()))


def chosen(report: Report) -> dict[str, str]:
    """split -> the file checked for it."""
    return {i.split: i.path for i in report.inputs if i.role == "dataset" and i.records is not None}


def replaced(report: Report) -> dict[str, str]:
    return {i.path: f"{i.split} by {i.extra['replaced_by']}" for i in report.inputs if i.role == "replaced"}


def test_command_line_beats_the_training_config_per_split() -> None:
    two_of_each()
    config_naming("cfg_train.jsonl", "cfg_valid.jsonl", "cfg_test.jsonl")
    report = run("cli_train.jsonl", config="hf.yaml", validation=["cli_valid.jsonl"])
    assert chosen(report) == {"train": "cli_train.jsonl", "validation": "cli_valid.jsonl", "test": "cfg_test.jsonl"}
    assert replaced(report) == {"cfg_train.jsonl": "train by command line",
                                "cfg_valid.jsonl": "validation by command line"}


def test_command_line_beats_the_settings_per_split() -> None:
    two_of_each()
    settings_naming(train="set_train.jsonl", validation="set_valid.jsonl", test="set_test.jsonl")
    report = run("cli_test.jsonl")                                     # its name puts it in test
    assert chosen(report) == {"train": "set_train.jsonl", "validation": "set_valid.jsonl", "test": "cli_test.jsonl"}
    assert replaced(report) == {"set_test.jsonl": "test by command line"}
    # a positional file whose name says validation replaces the settings' validation (it used to be added to it)
    report = run("cli_train.jsonl", "cli_valid.jsonl")
    assert chosen(report) == {"train": "cli_train.jsonl", "validation": "cli_valid.jsonl", "test": "set_test.jsonl"}


def test_the_training_config_beats_the_settings_per_split() -> None:
    two_of_each()
    settings_naming(train="set_train.jsonl", validation="set_valid.jsonl")
    config_naming("cfg_train.jsonl", test="cfg_test.jsonl")
    report = run(config="hf.yaml")
    assert chosen(report) == {"train": "cfg_train.jsonl", "validation": "set_valid.jsonl", "test": "cfg_test.jsonl"}
    assert replaced(report) == {"set_train.jsonl": "train by training config hf.yaml"}
    assert sources(report)[("dataset", "set_valid.jsonl")] == "validation: settings ftlint.toml:3 [dataset] validation"
    assert (sources(report)[("dataset", "cfg_train.jsonl")]
            == "train: training config hf.yaml:4 train_file (resolved via cwd)")


def test_the_settings_dataset_beats_the_settings_training_config() -> None:
    # both come from the settings; [dataset] is the more specific of the two
    two_of_each()
    config_naming("cfg_train.jsonl", "cfg_valid.jsonl")
    write("ftlint.toml", 'training-config = "hf.yaml"\n[dataset]\ntrain = ["set_train.jsonl"]\n')
    report = run()
    assert chosen(report) == {"train": "set_train.jsonl", "validation": "cfg_valid.jsonl"}
    assert replaced(report) == {"cfg_train.jsonl": "train by settings ftlint.toml"}


def test_the_same_file_named_by_two_sources_is_not_listed_as_replaced() -> None:
    rows("train.jsonl")
    config_naming("train.jsonl")
    settings_naming(train="train.jsonl")
    report = run(config="hf.yaml")
    assert chosen(report) == {"train": "train.jsonl"} and not replaced(report)
    report = run("train.jsonl", config="hf.yaml")
    assert sources(report) == {("dataset", "train.jsonl"): "train: command line (positional path)"}


# -- the report names each split's source and what was replaced -------------------------------------------

def test_every_format_that_lists_inputs_names_the_sources() -> None:
    two_of_each()
    settings_naming(train="set_train.jsonl")
    config_naming("cfg_train.jsonl", "cfg_valid.jsonl")
    args = ["check", "cli_train.jsonl", "--config", "hf.yaml", "--no-cache", "--select", "FT101"]
    full = cli(*args).stdout
    assert "cli_train.jsonl  [openai_chat, 3 records; command line (positional path)]" in full
    assert ("cfg_valid.jsonl  [openai_chat, 3 records; training config hf.yaml:5 validation_file (resolved via cwd)]"
            in full)
    assert ("replaced   set_train.jsonl  [settings ftlint.toml:2 [dataset] train; the train split comes from the "
            "command line]") in full
    assert ("replaced   cfg_train.jsonl  [training config hf.yaml:4 train_file; the train split comes from the "
            "command line]") in full
    inputs = json.loads(cli(*args, "--output-format", "json").stdout)["inputs"]
    by_path = {i["path"]: i for i in inputs}
    assert by_path["cli_train.jsonl"]["split_source"] == "command line (positional path)"
    assert by_path["set_train.jsonl"]["role"] == "replaced"
    assert by_path["set_train.jsonl"]["replaced_by"] == "command line"
    md = cli(*args, "--output-format", "markdown").stdout
    assert ("| `cfg_valid.jsonl` | dataset | validation | openai_chat | 3 | training config hf.yaml:5 "
            "validation_file") in md
    assert ("| `set_train.jsonl` | replaced | train |  |  | settings ftlint.toml:2 [dataset] train; replaced by the "
            "command line |") in md
    html = cli(*args, "--output-format", "html").stdout
    assert "training config hf.yaml:5 validation_file" in html and "replaced by: command line" in html
