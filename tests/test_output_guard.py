"""Outputs never touch inputs (issue 12, part 2): every command that writes a file refuses, with
exit 2 and one located line, an output path that is one of the run's inputs (the same path, a
symbolic link to it, or a hard link), before anything is read or written; a normal output path
still works."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import Result

from ftlint.api import check
from ftlint.errors import OutputError
from ftlint.outputs import Protected, guard_output
from ftlint.settings import Settings
from tests.cli_inprocess import cli

ROOT = Path(__file__).resolve().parents[1]

LF_CONFIG = """\
model_name_or_path: Qwen/Qwen3-4B-Instruct-2507
stage: sft
do_train: true
finetuning_type: lora
dataset: demo
dataset_dir: data
template: qwen3
cutoff_len: 1024
output_dir: saves/qwen3
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (links followed) and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/chat-mistakes (train.jsonl, train.yaml naming it, ftlint.toml), plus a
    validation and a reference file, as the working directory."""
    dest = tmp_path / "chat-mistakes"
    shutil.copytree(ROOT / "examples" / "chat-mistakes", dest)
    lines = (dest / "train.jsonl").read_text(encoding="utf-8").splitlines()
    (dest / "val.jsonl").write_text("\n".join(lines[-3:]) + "\n", encoding="utf-8")
    (dest / "ref.jsonl").write_text('{"prompt": "How do I reset my password?"}\n'
                                    '{"prompt": "Where is my invoice?"}\n', encoding="utf-8")
    (dest / "custom.toml").write_text("[rules.too-few-examples]\nwarn-below = 20\nerror-below = 10\n",
                                      encoding="utf-8")
    monkeypatch.chdir(dest)
    monkeypatch.delenv("FTLINT_OUTPUT_FILE", raising=False)
    monkeypatch.delenv("FTLINT_OUTPUT_FORMAT", raising=False)
    return dest


def assert_refused(res: Result, output: str, names: str, before: dict[str, bytes], folder: Path) -> None:
    """Exit 2, one located line naming the output path and the input it would overwrite, and every
    file byte-for-byte as before (nothing added: a refused run writes nothing)."""
    assert res.exit_code == 2, res.output
    errors = [line for line in res.stderr.splitlines() if line.startswith("ftlint: error:")]
    assert len(errors) == 1, res.stderr
    assert errors[0].startswith(f"ftlint: error: {output}: refusing to write "), errors[0]
    assert names in errors[0] and "never overwrites its inputs" in errors[0], errors[0]
    assert "Traceback" not in res.output and "internal error" not in res.output
    assert snapshot(folder) == before


@pytest.mark.parametrize(("args", "output", "names"), [
    (["check", "train.jsonl", "-o", "train.jsonl", "--output-format", "json"], "train.jsonl",
     "the train dataset being checked"),
    (["check", "train.jsonl", "--report", "html:train.jsonl"], "train.jsonl", "the train dataset being checked"),
    (["check", "--config", "train.yaml", "-o", "train.yaml"], "train.yaml", "the training config"),
    (["check", "--config", "train.yaml", "-o", "train.jsonl"], "train.jsonl", "the train dataset being checked"),
    (["check", "train.jsonl", "-o", "ftlint.toml"], "ftlint.toml", "the settings file in use"),
    (["check", "train.jsonl", "--isolated", "-o", "ftlint.toml"], "ftlint.toml", "a settings file"),
    (["check", "train.jsonl", "--settings", "custom.toml", "-o", "custom.toml"], "custom.toml",
     "the settings file in use"),
    (["check", ".", "-o", "train.jsonl"], "train.jsonl", "the train dataset being checked"),  # a directory
    (["check", "train.jsonl", "--validation", "val.jsonl", "--report", "json:val.jsonl"], "val.jsonl",
     "the validation dataset being checked"),
    (["check", "train.jsonl", "--reference", "ref.jsonl", "-o", "ref.jsonl"], "ref.jsonl", "the reference sample"),
    (["check", "train.jsonl", "--contamination", "ref.jsonl", "-o", "ref.jsonl"], "ref.jsonl",
     "a contamination file"),
    (["check", "train.jsonl", "-o", "sub/../train.jsonl"], "sub/../train.jsonl", "the train dataset being checked"),
    (["baseline", "train.jsonl", "-o", "train.jsonl"], "train.jsonl", "the train dataset being checked"),
    (["baseline", "--config", "train.yaml", "-o", "train.yaml"], "train.yaml", "the training config"),
    (["fix", "train.jsonl", "--output-dir", ".", "--no-cache"], "train.jsonl", "the train dataset being checked"),
    (["fix", "--config", "train.yaml", "--output-dir", ".", "--no-split"], "train.jsonl",
     "the train dataset being checked"),
])
def test_an_output_over_an_input_is_refused(chat: Path, args: list[str], output: str, names: str) -> None:
    before = snapshot(chat)
    res = cli(*args, *(["--no-cache"] if args[0] != "fix" else []))
    assert_refused(res, output, names, before, chat)


def test_check_refuses_before_reading_any_data(chat: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a dataset was read before the output path was checked")

    monkeypatch.setattr("ftlint.api.load_dataset_file", no_reading)
    before = snapshot(chat)
    res = cli("check", "--config", "train.yaml", "--report", "sarif:ok.sarif", "-o", "train.yaml", "--no-cache")
    assert_refused(res, "train.yaml", "the training config", before, chat)


def test_a_link_to_an_input_is_refused(chat: Path) -> None:
    (chat / "report.json").symlink_to("train.jsonl")
    (chat / "linked").symlink_to(chat, target_is_directory=True)
    os.link(chat / "train.jsonl", chat / "hard.json")
    before = snapshot(chat)
    res = cli("check", "train.jsonl", "-o", "report.json", "--no-cache")
    assert_refused(res, "report.json", "it resolves to train.jsonl, the train dataset being checked", before, chat)
    res = cli("check", "train.jsonl", "--report", "markdown:linked/train.jsonl", "--no-cache")
    assert_refused(res, "linked/train.jsonl", "resolves to train.jsonl", before, chat)
    res = cli("check", "--config", "train.yaml", "-o", "hard.json", "--no-cache")
    assert_refused(res, "hard.json", "the same file as train.jsonl (a hard link)", before, chat)
    res = cli("baseline", "train.jsonl", "-o", "report.json", "--no-cache")
    assert_refused(res, "report.json", "resolves to train.jsonl", before, chat)
    # sample: -o a folder whose sample.jsonl is a link to the data
    (chat / "review").mkdir()
    (chat / "review" / "sample.jsonl").symlink_to(chat / "train.jsonl")
    before = snapshot(chat)
    res = cli("sample", "train.jsonl", "-o", "review")
    assert_refused(res, "review/sample.jsonl", "resolves to", before, chat)
    res = cli("fix", "train.jsonl", "--output-dir", "linked", "--no-cache")
    assert_refused(res, "linked/train.jsonl", "resolves to train.jsonl", before, chat)


def test_the_baseline_being_read_is_protected(chat: Path) -> None:
    res = cli("baseline", "train.jsonl", "--select", "FT001", "--no-cache")
    assert res.exit_code == 0, res.output
    before = snapshot(chat)
    res = cli("check", "train.jsonl", "--select", "FT001", "-o", ".ftlint-baseline.json", "--no-cache")
    assert_refused(res, ".ftlint-baseline.json", "the baseline file being read", before, chat)


def test_init_never_writes_through_a_link_to_an_input(chat: Path) -> None:
    (chat / "ftlint.toml").unlink()
    (chat / "ftlint.toml").symlink_to("train.yaml")
    before = snapshot(chat)
    res = cli("init", ".", "--force")
    assert_refused(res, "ftlint.toml", "it resolves to train.yaml, the training config", before, chat)
    (chat / "ftlint.toml").unlink()
    os.link(chat / "train.jsonl", chat / "ftlint.toml")
    before = snapshot(chat)
    res = cli("init", ".", "--force")
    assert_refused(res, "ftlint.toml", "(a hard link), a train dataset found in", before, chat)


def test_files_the_training_config_names_are_protected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LLaMA-Factory's dataset_info.json (found through dataset_dir) and any other file a config
    value names (a DeepSpeed config) are inputs too."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text(json.dumps({"demo": {"file_name": "demo.json"}}),
                                                         encoding="utf-8")
    (tmp_path / "data" / "demo.json").write_text(json.dumps([{"instruction": "Hi", "output": "Hello"}] * 3),
                                                 encoding="utf-8")
    (tmp_path / "ds_z2.json").write_text('{"zero_optimization": {"stage": 2}}', encoding="utf-8")
    (tmp_path / "sft.yaml").write_text(LF_CONFIG + "deepspeed: ds_z2.json\n", encoding="utf-8")
    before = snapshot(tmp_path)
    res = cli("check", "--isolated", "--config", "sft.yaml", "-o", "data/dataset_info.json", "--no-cache")
    assert_refused(res, "data/dataset_info.json", "a file the training config reads", before, tmp_path)
    res = cli("check", "--isolated", "--config", "sft.yaml", "--report", "json:ds_z2.json", "--no-cache")
    assert_refused(res, "ds_z2.json", "a file the training config names (deepspeed)", before, tmp_path)
    # the dataset the registry points at, even when the command line gives other training data
    (tmp_path / "other.jsonl").write_text('{"text": "hello"}\n', encoding="utf-8")
    before = snapshot(tmp_path)
    res = cli("check", "other.jsonl", "--isolated", "--config", "sft.yaml", "-o", "data/demo.json", "--no-cache")
    assert_refused(res, "data/demo.json", "a dataset the training config names (dataset)", before, tmp_path)


def test_a_normal_output_path_still_works(chat: Path) -> None:
    before = snapshot(chat)
    res = cli("check", "train.jsonl", "--select", "FT001", "--output-format", "json", "-o", "out/report.json",
              "--report", "sarif:out/report.sarif", "--no-cache")
    assert res.exit_code in (0, 1), res.output
    assert json.loads((chat / "out" / "report.json").read_text(encoding="utf-8"))["inputs"]
    assert json.loads((chat / "out" / "report.sarif").read_text(encoding="utf-8"))["runs"]
    res = cli("baseline", "train.jsonl", "--select", "FT001", "-o", "accepted.json", "--no-cache")
    assert res.exit_code == 0, res.output
    assert "entries" in json.loads((chat / "accepted.json").read_text(encoding="utf-8"))
    # rewriting one's own earlier report is fine: it is not an input
    res = cli("check", "train.jsonl", "--select", "FT001", "-o", "out/report.json", "--no-cache")
    assert res.exit_code in (0, 1), res.output
    after = snapshot(chat)
    assert {k: v for k, v in after.items() if k in before} == before


def test_the_api_refuses_too(chat: Path) -> None:
    with pytest.raises(OutputError, match="refusing to write the report"):
        check(["train.jsonl"], settings=Settings(root=chat), no_cache=True,
              outputs=[(chat / "new.json", "the report"), (chat / "train.jsonl", "the report")])
    protected = Protected()
    protected.add(chat / "train.jsonl", "the train dataset")
    guard_output(chat / "new.json", protected)
    guard_output(None, protected)
    assert chat / "train.jsonl" in protected and chat / "new.json" not in protected and len(protected) == 1
