"""Training configs end to end: the real corpus configs through the FT104/FT105/FT6xx rules, and
``ftlint check --config`` loading the datasets a config names (local files, LLaMA-Factory's
``dataset_info.json``, hub ids and OpenAI file ids that cannot be loaded)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.data.load import display_path
from ftlint.findings import Report
from ftlint.model import Finding
from ftlint.settings import Settings
from tests.cli_inprocess import ftlint

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: the rules of the training-config issue written here (FT602, FT610, FT611 live elsewhere)
CONFIG_RULES = ["FT104", "FT105", "FT601", "FT603", "FT604", "FT605", "FT606", "FT607", "FT608", "FT609",
                "FT612"]

AX = "axolotl-ai-cloud__axolotl"
LF = "hiyouga__LLaMA-Factory"
AH = "huggingface__alignment-handbook"
TT = "pytorch__torchtune"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run with an empty working directory (relative dataset paths must not hit the repository)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def config_report(config: Path) -> Report:
    if config.parent.name == LF:
        lf_data(config.parent)
    return check(config=config, settings=Settings(root=Path.cwd()), select=CONFIG_RULES, no_cache=True)


def lf_data(corpus_lf: Path) -> None:
    """A LLaMA-Factory ``data/`` folder in the working directory, as in a LLaMA-Factory checkout: its
    ``dataset_info.json`` and the files of the datasets the example configs name (``identity``, a
    stand-in here, and ``alpaca_en_demo``). Without it the configs' datasets cannot be resolved,
    which is unusable input (exit 2, issue 12 part 4), not a config-only check."""
    data = Path.cwd() / "data"
    data.mkdir(exist_ok=True)
    shutil.copy(corpus_lf / "data__dataset_info.json", data / "dataset_info.json")
    shutil.copy(corpus_lf / "data__alpaca_en_demo.json", data / "alpaca_en_demo.json")
    rows = [{"instruction": f"Who are you? ({i})", "input": "", "output": f"I am an assistant, answer {i}."}
            for i in range(8)]
    (data / "identity.json").write_text(json.dumps(rows), encoding="utf-8")


def by_code(report: Report) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append(f)
    return out


def one(report: Report, code: str) -> Finding:
    found = by_code(report).get(code, [])
    assert len(found) == 1, [f.message for f in found]
    return found[0]


def outcome(report: Report, code: str) -> str:
    return next(o.outcome for o in report.outcomes if o.code == code)


# -- the corpus configs ----------------------------------------------------------------------------------

#: config -> (codes that must be reported, codes that must not)
CORPUS = {
    f"{LF}/examples__train_lora__qwen3_lora_sft.yaml": ({"FT104", "FT601"}, {"FT606", "FT607", "FT609"}),
    f"{LF}/examples__train_full__qwen3_full_sft.yaml": ({"FT104", "FT601"}, {"FT604", "FT606", "FT607"}),
    f"{AX}/examples__llama-3__lora-1b.yml": ({"FT601"}, {"FT104", "FT604", "FT606", "FT607", "FT608", "FT609"}),
    f"{AX}/examples__phi__phi3-ft.yml": ({"FT604", "FT608"}, {"FT104", "FT601", "FT606"}),
    f"{AX}/examples__archived__falcon__config-7b-qlora.yml": ({"FT606"}, {"FT104", "FT601", "FT604"}),
    f"{TT}/recipes__configs__llama3_2__1B_lora_single_device.yaml": ({"FT104", "FT601"}, {"FT606", "FT609"}),
    f"{TT}/recipes__configs__llama3_2__1B_lora.yaml": ({"FT104", "FT601"}, {"FT607", "FT609"}),
    f"{AH}/recipes__smollm2__sft__config.yaml": ({"FT601", "FT604", "FT608"}, {"FT104", "FT607"}),
    f"{AH}/recipes__zephyr-7b-beta__dpo__config_full.yaml": ({"FT601", "FT607", "FT608"}, {"FT104", "FT604"}),
    "huggingface__trl/examples__cli_configs__example_config.yaml": ({"FT104", "FT601"}, {"FT604", "FT608"}),
}


@pytest.mark.parametrize("rel", sorted(CORPUS), ids=[Path(r).stem for r in sorted(CORPUS)])
def test_corpus_config_codes(rel: str, corpus_dir: Path, in_tmp: Path) -> None:
    config = corpus_dir / rel
    report = config_report(config)
    assert not report.failed_rules, report.notes
    codes = set(by_code(report))
    want, never = CORPUS[rel]
    assert want <= codes, (want - codes, [f.message for f in report.findings])
    assert not (never & codes), [f.message for f in report.findings if f.code in never]
    shown = display_path(config)
    for f in report.findings:
        assert f.location.path == shown, f          # every finding points into the config
        assert f.location.key, f
        if f.location.line is not None:
            assert 1 <= f.location.line <= len(config.read_text(encoding="utf-8").splitlines())
    [info] = [i for i in report.inputs if i.role == "training_config"]
    assert info.path == shown and info.extra["framework"] in ("axolotl", "llamafactory", "torchtune", "trl")


@pytest.mark.parametrize(("name", "lines"), [("examples__train_lora__qwen3_lora_sft.yaml", "41-45"),
                                             ("examples__train_full__qwen3_full_sft.yaml", "40-44")])
def test_llamafactory_ft104_points_at_the_commented_eval_block(name: str, lines: str, corpus_dir: Path,
                                                               in_tmp: Path) -> None:
    report = config_report(corpus_dir / LF / name)
    f = one(report, "FT104")
    assert f.severity.label == "error"
    first = int(lines.split("-")[0])
    assert (f.location.line, f.location.key) == (first, "eval_dataset")
    assert "neither val_size nor eval_dataset" in f.message
    assert f"commented out on lines {lines}" in f.fix
    assert "# val_size: 0.1" in f.fix and "val_size: 0.1" in f.fix and "eval_strategy" in f.fix
    es = one(report, "FT601")
    assert "early_stopping_steps" in es.fix and es.location.key == "num_train_epochs"


def test_axolotl_corpus_validation_and_early_stopping(corpus_dir: Path, in_tmp: Path) -> None:
    lora = config_report(corpus_dir / AX / "examples__llama-3__lora-1b.yml")
    assert "FT104" not in by_code(lora)                          # val_set_size: 0.1
    f = one(lora, "FT601")
    assert (f.location.line, f.location.key) == (40, "num_epochs")
    assert "early_stopping_patience" in f.fix

    phi = config_report(corpus_dir / AX / "examples__phi__phi3-ft.yml")
    assert not {"FT601", "FT606"} & set(by_code(phi))            # patience 3, eval_steps 1000, save_steps 5000
    lr = one(phi, "FT604")
    assert (lr.location.line, lr.location.key) == (38, "learning_rate") and "LoRA" in lr.message

    falcon = config_report(corpus_dir / AX / "examples__archived__falcon__config-7b-qlora.yml")
    f = one(falcon, "FT606")
    assert f.severity.label == "error"
    assert (f.location.line, f.location.key) == (72, "early_stopping_patience")
    assert "eval_steps and save_steps" in f.message and "save_steps" in f.fix


def test_torchtune_corpus(corpus_dir: Path, in_tmp: Path) -> None:
    single = config_report(corpus_dir / TT / "recipes__configs__llama3_2__1B_lora_single_device.yaml")
    f = one(single, "FT104")
    assert f.severity.label == "error" and "no dataset_val" in f.message
    assert "dataset_val" in f.fix and "run_val_every_n_steps" in f.fix and "single-device" in f.fix
    es = one(single, "FT601")
    assert "torchtune has no early stopping" in es.message
    assert "lowest validation loss" in es.fix                   # the workaround, not a key that does not exist
    assert (es.location.line, es.location.key) == (69, "epochs")

    dist = config_report(corpus_dir / TT / "recipes__configs__llama3_2__1B_lora.yaml")
    f = one(dist, "FT104")
    assert (f.location.line, f.location.key) == (59, "run_val_every_n_steps")
    assert "run_val_every_n_steps is null" in f.message and "run_val_every_n_steps: 100" in f.fix
    assert "FT607" not in by_code(dist)                          # train[:95%] vs train[95%:]


def test_alignment_handbook_corpus(corpus_dir: Path, in_tmp: Path) -> None:
    smol = config_report(corpus_dir / AH / "recipes__smollm2__sft__config.yaml")
    keys = {f.location.key: f for f in by_code(smol)["FT608"]}
    assert keys["max_seq_length"].location.line == 30
    assert "max_length: 8192" in keys["max_seq_length"].fix
    assert keys["torch_dtype"].location.line == 4 and "dtype: bfloat16" in keys["torch_dtype"].fix

    zephyr = config_report(corpus_dir / AH / "recipes__zephyr-7b-beta__dpo__config_full.yaml")
    f = one(zephyr, "FT607")
    assert f.severity.label == "error"
    assert (f.location.line, f.location.key) == (17, "dataset_mixture.datasets[1].split")
    assert "test_prefs" in f.message
    dep = {f.location.key: f for f in by_code(zephyr)["FT608"]}
    assert dep["max_prompt_length"].location.line == 42 and "0.29" in dep["max_prompt_length"].message
    assert "torch_dtype" not in dep                              # `torch_dtype: null` changes nothing
    # the hub datasets are listed as inputs that cannot be loaded; rules that need rows are skipped
    hub = [i for i in zephyr.inputs if i.role == "dataset"]
    assert {i.path for i in hub} == {"HuggingFaceH4/ultrafeedback_binarized"}
    assert all(i.records is None and i.extra["loadable"] is False and "Hub" in i.extra["reason"] for i in hub)
    assert outcome(zephyr, "FT605") == "skipped" and outcome(zephyr, "FT612") == "skipped"


def test_trl_example_config(corpus_dir: Path, in_tmp: Path) -> None:
    report = config_report(corpus_dir / "huggingface__trl" / "examples__cli_configs__example_config.yaml")
    f = one(report, "FT104")
    assert f.severity.label == "error" and (f.location.line, f.location.key) == (11, "dataset_name")
    assert "eval_strategy: steps" in f.fix and "dataset_test_split" in f.fix


# -- datasets the config names -----------------------------------------------------------------------

AXOLOTL = """\
base_model: meta-llama/Llama-3.2-1B
datasets:
  - path: data/sft.jsonl
    type: alpaca
val_set_size: 0
num_epochs: 3
learning_rate: 0.0002
"""


def write_rows(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"instruction": f"Spell the number {i}", "output": f"number {i} is spelt {i:,}"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_config_names_a_local_jsonl_resolved_via_cwd(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_rows(project / "data" / "sft.jsonl", 12)
    (project / "train.yaml").write_text(AXOLOTL, encoding="utf-8")
    res = ftlint("check", "--config", "train.yaml", "--output-format", "json", cwd=project)
    assert res.returncode == 1, res.stderr                      # FT104 is an error
    report = res.json()
    [data] = [i for i in report["inputs"] if i["role"] == "dataset"]
    assert data["path"] == "data/sft.jsonl" and data["split"] == "train" and data["records"] == 12
    assert data["from_config"] is True and data["resolved_via"] == "cwd"
    assert data["config_key"] == "datasets[0].path"
    # the split source names the config file and line (issue 12: the report names each split's source)
    assert data["split_source"] == "training config train.yaml:3 datasets[0].path (resolved via cwd)"
    [cfg] = [i for i in report["inputs"] if i["role"] == "training_config"]
    assert cfg["path"] == "train.yaml" and cfg["framework"] == "axolotl"
    codes = {f["code"] for f in report["findings"]}
    assert {"FT104", "FT601", "FT101"} <= codes                 # config rules and data rules both ran
    ft104 = next(f for f in report["findings"] if f["code"] == "FT104")
    assert ft104["location"] == {"path": "train.yaml", "line": 5, "key": "val_set_size"}
    assert ft104["severity"] == "error"
    # the text report lists the input too
    text = ftlint("check", "--config", "train.yaml", cwd=project)
    assert ("data/sft.jsonl  [alpaca, 12 records; training config train.yaml:3 datasets[0].path (resolved via cwd)]"
            in text.stdout)


def test_config_names_a_local_jsonl_resolved_via_config_dir(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_rows(project / "data" / "sft.jsonl", 12)
    (project / "train.yaml").write_text(AXOLOTL, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = ftlint("check", "--config", project / "train.yaml", "--output-format", "json", cwd=elsewhere)
    [data] = [i for i in res.json()["inputs"] if i["role"] == "dataset"]
    assert data["resolved_via"] == "config_dir" and data["records"] == 12 and data["split"] == "train"


def test_command_line_data_takes_precedence_over_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    write_rows(project / "data" / "sft.jsonl", 12)
    write_rows(project / "other.jsonl", 5)
    write_rows(project / "held.jsonl", 3)
    (project / "train.yaml").write_text(AXOLOTL.replace("val_set_size: 0\n", "test_datasets:\n"
                                                        "  - path: held.jsonl\n    type: alpaca\n"
                                                        "evals_per_epoch: 2\n"),
                                        encoding="utf-8")
    monkeypatch.chdir(project)
    report = check(["other.jsonl"], config="train.yaml", settings=Settings(root=project), no_cache=True,
                   select=["FT104", "FT105"])
    splits = {(i.path, i.split, i.records) for i in report.inputs if i.role == "dataset"}
    # train from the command line; the config's test_datasets still give the validation split
    assert splits == {("other.jsonl", "train", 5), ("held.jsonl", "validation", 3)}
    held = next(i for i in report.inputs if i.path == "held.jsonl")
    assert held.extra == {"from_config": True, "resolved_via": "cwd", "config_key": "test_datasets[0].path"}
    assert "FT104" not in by_code(report)
    assert one(report, "FT105").metrics["validation_rows"] == 3


def test_no_arguments_uses_the_settings_training_config(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_rows(project / "data" / "sft.jsonl", 12)
    (project / "train.yaml").write_text(AXOLOTL, encoding="utf-8")
    (project / "ftlint.toml").write_text('training-config = "train.yaml"\n', encoding="utf-8")
    res = ftlint("check", "--output-format", "json", cwd=project)
    assert res.returncode == 1, res.stderr
    report = res.json()
    roles = {(i["role"], i["path"]) for i in report["inputs"]}
    assert roles == {("dataset", "data/sft.jsonl"), ("training_config", "train.yaml")}
    assert "FT104" in {f["code"] for f in report["findings"]}


def test_openai_job_with_an_uploaded_file_id(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "job.json").write_text(json.dumps({"model": "gpt-4o-mini-2024-07-18",
                                                  "training_file": "file-abc123"}), encoding="utf-8")
    res = ftlint("check", "--config", "job.json", "--output-format", "json", cwd=project)
    assert res.returncode == 1, res.stderr
    report = res.json()
    [data] = [i for i in report["inputs"] if i["role"] == "dataset"]
    assert data["path"] == "file-abc123" and data["split"] == "train" and data["records"] is None
    assert data["loadable"] is False and "OpenAI file id" in data["reason"]
    [cfg] = [i for i in report["inputs"] if i["role"] == "training_config"]
    assert cfg["framework"] == "openai"
    rules = {r["code"]: r for r in report["rules"]}
    assert rules["FT201"]["outcome"] == "skipped" and rules["FT101"]["outcome"] == "skipped"
    codes = {f["code"] for f in report["findings"]}
    assert {"FT104", "FT601"} <= codes                          # no validation_file; no early stopping
    text = ftlint("check", "--config", "job.json", cwd=project).stdout
    assert "file-abc123  [not loaded: an uploaded OpenAI file id" in text


def test_openai_job_with_a_local_training_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
            for i in range(4)]
    (project).mkdir()
    (project / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (project / "job.json").write_text(json.dumps({"model": "gpt-4o-mini-2024-07-18", "training_file": "train.jsonl",
                                                  "validation_file": "file-val"}), encoding="utf-8")
    res = ftlint("check", "--config", "job.json", "--output-format", "json", cwd=project)
    inputs = {(i["path"], i["split"]): i for i in res.json()["inputs"] if i["role"] == "dataset"}
    assert inputs[("train.jsonl", "train")]["records"] == 4
    assert inputs[("file-val", "validation")]["loadable"] is False


def test_llamafactory_dataset_dir(tmp_path: Path, corpus_dir: Path) -> None:
    """``dataset: alpaca_en_demo`` resolves through ``data/dataset_info.json`` to the file."""
    project = tmp_path / "lf"
    data = project / "data"
    data.mkdir(parents=True)
    shutil.copy(corpus_dir / LF / "data__dataset_info.json", data / "dataset_info.json")
    shutil.copy(corpus_dir / LF / "data__alpaca_en_demo.json", data / "alpaca_en_demo.json")
    config = (corpus_dir / LF / "examples__train_lora__qwen3_lora_sft.yaml").read_text(encoding="utf-8")
    config = config.replace("dataset: identity,alpaca_en_demo", "dataset: alpaca_en_demo")
    (project / "qwen3_lora_sft.yaml").write_text(config, encoding="utf-8")
    res = ftlint("check", "--config", "qwen3_lora_sft.yaml", "--output-format", "json", cwd=project)
    assert res.returncode == 1, res.stderr
    report = res.json()
    [ds] = [i for i in report["inputs"] if i["role"] == "dataset"]
    assert ds["path"] == "data/alpaca_en_demo.json" and ds["split"] == "train"
    assert ds["records"] == 999 and ds["format"] == "alpaca"
    assert ds["resolved_via"] == "dataset_dir" and ds["config_key"] == "dataset"
    findings = {f["code"]: f for f in report["findings"]}
    assert findings["FT104"]["location"]["line"] == 41
    # with the data loaded the size-aware rules run: 999 rows (max_samples: 1000), 3 epochs, batch 8
    rules = {r["code"]: r["outcome"] for r in report["rules"]}
    assert rules["FT612"] == "ran" and rules["FT605"] == "ran" and rules["FT101"] == "ran"
    # and a registry entry whose file is missing (identity.json was not copied) is unusable input, located
    # at the config line (it used to be listed as not loadable with exit 0/1 and every data rule skipped;
    # issue 12 part 4: the gate fails when it cannot see, as LLaMA-Factory itself would)
    (project / "bad.yaml").write_text(config.replace("dataset: alpaca_en_demo", "dataset: identity"),
                                      encoding="utf-8")
    res = ftlint("check", "--config", "bad.yaml", "--output-format", "json", cwd=project)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("ftlint: error: bad.yaml:13: dataset: dataset 'identity' is data/identity.json: "
                                 "no such file or directory")
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_config_dataset_ftlint_cannot_read_is_unusable_input(tmp_path: Path) -> None:
    # it used to be listed as not loadable (exit 0/1, every data rule skipped); issue 12 part 4: a local
    # dataset the config names that cannot be read is exit 2 with the path and the config line
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "sft.jsonl").write_bytes(b"\x00\x01binary")
    (project / "train.yaml").write_text(AXOLOTL, encoding="utf-8")
    res = ftlint("check", "--config", "train.yaml", "--output-format", "json", cwd=project)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("ftlint: error: train.yaml:3: datasets[0].path: data/sft.jsonl: not a text file")
    assert len(res.stderr.strip().splitlines()) == 1


def test_chat_mistakes_example_with_its_config(tmp_path: Path) -> None:
    """``cd examples/chat-mistakes && ftlint check --config train.yaml``: the Axolotl config's
    dataset is read by itself, so the data findings and the config findings come together."""
    d = tmp_path / "chat-mistakes"
    shutil.copytree(EXAMPLES / "chat-mistakes", d, ignore=shutil.ignore_patterns(".ftlint_cache"))
    res = ftlint("check", "--config", "train.yaml", "--output-format", "json", cwd=d)
    assert res.returncode == 1, res.stderr
    report = res.json()
    [data] = [i for i in report["inputs"] if i["role"] == "dataset"]
    assert data["path"] == "train.jsonl" and data["split"] == "train" and data["resolved_via"] == "cwd"
    found = {(f["code"], f["severity"], f["location"]["line"]) for f in report["findings"]}
    assert ("FT104", "error", 12) in found                      # val_set_size: 0
    assert ("FT601", "warning", 26) in found                    # no early_stopping_patience
    planted = {("FT003", "error", 22), ("FT004", "error", 32), ("FT001", "error", 36), ("FT002", "error", 40),
               ("FT201", "warning", 7), ("FT004", "warning", 27)}
    assert planted <= found
