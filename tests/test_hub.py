"""Hugging Face Hub datasets read from the local Hugging Face cache (issue 15, part 1).

The cache is built on disk in the test (tests/hubcache.py: the layout huggingface_hub writes, checked
against huggingface_hub's own cache reader) from corpus files; ``--download`` fetches from a Hub
endpoint the test starts on 127.0.0.1 (HF_ENDPOINT). Nothing goes to the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ftlint.cli import main
from ftlint.hub import (
    Request,
    cache_dir,
    conventional_splits,
    glob_regex,
    layout,
    locate,
    parse_url,
    readme_configs,
)
from tests.hubcache import Repo, hub_server, imdb, parquet_bytes, put_in_cache, readme, smoltalk, ultrafeedback

SMOLLM = "huggingface__alignment-handbook/recipes__smollm2__sft__config.yaml"
ZEPHYR = "huggingface__alignment-handbook/recipes__zephyr-7b-beta__dpo__config_full.yaml"
TRL = "huggingface__trl/examples__cli_configs__example_config.yaml"
#: each alignment-handbook and TRL recipe of the corpus: (its hub dataset, {split: records read})
RECIPES = {
    SMOLLM: ("HuggingFaceTB/smoltalk", {"train": 205, "validation": 40}),
    ZEPHYR: ("HuggingFaceH4/ultrafeedback_binarized", {"train": 300}),
    TRL: ("stanfordnlp/imdb", {"train": 200}),
}
DATA_RULES = "FT0,FT1,FT2"


@pytest.fixture(scope="module")
def repos(corpus_dir: Path) -> dict[str, Repo]:
    return {r.repo_id: r for r in (smoltalk(corpus_dir), ultrafeedback(corpus_dir), imdb(corpus_dir))}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache as HF_HUB_CACHE, the test folder as the working directory."""
    root = tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    for var in ("HF_HUB_OFFLINE", "HF_ENDPOINT", "FTLINT_FAIL_ON", "FTLINT_OUTPUT_FORMAT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return root


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def report(*args: str, exit_codes: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    res = cli("check", *args, "--isolated", "--no-cache", "--output-format", "json")
    assert res.exit_code in exit_codes, res.output
    return json.loads(res.stdout)


def datasets(rep: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in rep["inputs"] if i["role"] == "dataset"]


def outcome(rep: dict[str, Any], code: str) -> str:
    return next(r["outcome"] for r in rep["rules"] if r["code"] == code)


def write(path: str, text: str) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


# -- the cache layout ---------------------------------------------------------------------------------

def test_the_hand_built_cache_is_what_huggingface_hub_reads(hub: Path, repos: dict[str, Repo]) -> None:
    hh = pytest.importorskip("huggingface_hub")
    repo = repos["stanfordnlp/imdb"]
    snap = put_in_cache(hub, repo)
    [cached] = hh.scan_cache_dir(hub).repos
    assert (cached.repo_id, cached.repo_type) == ("stanfordnlp/imdb", "dataset")
    [rev] = cached.revisions
    assert rev.commit_hash == repo.commit() and rev.refs == frozenset({"main"})
    found = hh.try_to_load_from_cache("stanfordnlp/imdb", "plain_text/train-00000-of-00001.parquet",
                                      cache_dir=hub, repo_type="dataset")
    assert Path(found) == snap / "plain_text/train-00000-of-00001.parquet"


def test_the_cache_folder_follows_huggingface_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
    assert cache_dir() == tmp_path / "hfhome" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", "~/elsewhere")
    assert cache_dir() == tmp_path / "elsewhere"


# -- every alignment-handbook and TRL recipe of the corpus --------------------------------------------

@pytest.mark.parametrize("recipe", list(RECIPES), ids=lambda r: r.split("__")[-1])
def test_a_recipe_checks_its_hub_data_from_the_cache(recipe: str, hub: Path, repos: dict[str, Repo],
                                                      corpus_dir: Path) -> None:
    repo_id, records = RECIPES[recipe]
    repo = repos[repo_id]
    put_in_cache(hub, repo)
    rep = report("--config", str(corpus_dir / recipe), "--select", DATA_RULES)
    assert not [f for f in rep["findings"] if f["code"] == "FT013"]
    got: dict[str, int] = {}
    for d in datasets(rep):
        assert d["path"].startswith(f"hf://datasets/{repo_id}/"), d
        assert d["hub"]["commit"] == repo.commit() and d["hub"]["revision"] == "main"
        assert f"revision main = {repo.commit()}" in d["split_source"]  # the report names the revision read
        got[d["split"]] = got.get(d["split"], 0) + d["records"]
    assert got == records
    for code in ("FT001", "FT101", "FT201", "FT202"):  # the data rules ran on the cached rows
        assert outcome(rep, code) == "ran", code
    for f in rep["findings"]:
        for row in f["rows"]:
            assert row["path"].startswith("hf://datasets/"), row


def test_the_mixture_reads_the_splits_and_columns_the_recipe_selects(hub: Path, repos: dict[str, Repo],
                                                                     corpus_dir: Path) -> None:
    put_in_cache(hub, repos["HuggingFaceH4/ultrafeedback_binarized"])
    rep = report("--config", str(corpus_dir / ZEPHYR), "--select", "FT013,FT101")
    hub_of = {d["hub"]["split"]: d["hub"] for d in datasets(rep)}
    assert set(hub_of) == {"train_prefs", "test_prefs"}  # train_sft is not named by the recipe
    assert all(h["config"] == "default" and h["columns"] == ["chosen", "rejected"] for h in hub_of.values())
    assert {d["format"] for d in datasets(rep)} == {"preference"}


@pytest.mark.parametrize("recipe", list(RECIPES), ids=lambda r: r.split("__")[-1])
def test_a_recipe_with_an_empty_cache_says_what_to_download(recipe: str, hub: Path, corpus_dir: Path) -> None:
    repo_id, _ = RECIPES[recipe]
    rep = report("--config", str(corpus_dir / recipe), "--select", DATA_RULES, exit_codes=(1,))
    [f] = [f for f in rep["findings"] if f["code"] == "FT013"]
    assert "not in the Hugging Face cache" in f["message"]
    assert f"`hf download {repo_id} --repo-type dataset`" in f["fix"] and "--download" in f["fix"]
    assert f["metrics"]["download"] == f"hf download {repo_id} --repo-type dataset"
    assert all(d.get("loadable") is False for d in datasets(rep))


# -- the config's selection ---------------------------------------------------------------------------

def _chat(n: int, tag: str) -> list[dict[str, Any]]:
    return [{"messages": [{"role": "user", "content": f"{tag} question number {i} about topic {i * 7 % 13}"},
                          {"role": "assistant", "content": f"{tag} answer {i}: " + "detail " * (i % 5 + 1)}]}
            for i in range(n)]


def _mixture(weight: float, seed: int) -> str:
    return (f"model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_mixture:\n  datasets:\n    - id: org/chat\n"
            f"      split: train\n      weight: {weight}\n  seed: {seed}\nlearning_rate: 2.0e-5\n")


def test_a_mixture_weight_takes_the_rows_alignment_handbook_takes(hub: Path) -> None:
    rows = _chat(90, "a")
    files = {"data/train-00000-of-00002.parquet": parquet_bytes(rows[:50]),
             "data/train-00001-of-00002.parquet": parquet_bytes(rows[50:])}
    put_in_cache(hub, Repo("org/chat", {"main": files}))
    write("recipe.yaml", _mixture(0.4, 7))
    rep = report("--config", "recipe.yaml", "--select", "FT201", "--extend-select", "FT013")
    # datasets: ds.shuffle(seed=7).select(range(int(90 * 0.4))) over the split's rows in file order
    want = sorted(np.random.default_rng(7).permutation(90)[:36].tolist())
    assert sum(d["records"] for d in datasets(rep)) == 36
    assert "shuffle seeded with 7" in datasets(rep)[0]["hub"]["sampling"]
    from ftlint.api import run
    from ftlint.settings import Settings

    _, ctx = run(config="recipe.yaml", settings=Settings(select=["FT201"]), no_cache=True)
    ds = ctx.datasets["train"]
    got = sorted(int(ds.index[i]) + (50 if "00001-of" in ds.path(i) else 0) for i in range(len(ds)))
    assert got == want


def test_an_older_dataset_mixer_takes_the_first_rows(hub: Path) -> None:
    files = {"data/train-00000-of-00001.parquet": parquet_bytes(_chat(40, "b"))}
    put_in_cache(hub, Repo("org/chat", {"main": files}))
    write("recipe.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_mixer:\n  org/chat: 0.25\n"
                         "dataset_splits:\n  - train\n")
    from ftlint.api import run
    from ftlint.settings import Settings

    _, ctx = run(config="recipe.yaml", settings=Settings(select=["FT201"]), no_cache=True)
    assert [int(i) for i in ctx.datasets["train"].index] == list(range(10))


def test_a_missing_split_names_the_splits_the_dataset_has(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["HuggingFaceTB/smoltalk"])
    write("sft.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: HuggingFaceTB/smoltalk\n"
                      "dataset_config: all\ndataset_test_split: validation\neval_strategy: steps\neval_steps: 10\n")
    rep = report("--config", "sft.yaml", "--select", "FT101", exit_codes=(1,))
    [f] = [f for f in rep["findings"] if f["code"] == "FT013"]
    assert "has no split 'validation' of config all (its splits: train, test)" in f["message"]
    assert "hf download" not in f["fix"] and "Fix the selection in the training config" in f["fix"]
    # the train split of the same dataset is read
    assert [d["split"] for d in datasets(rep) if d.get("loadable") is not False] == ["train", "train"]


def test_a_config_the_dataset_does_not_have(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["HuggingFaceTB/smoltalk"])
    result = locate(Request("HuggingFaceTB/smoltalk", config="everyday"))
    assert "has no config 'everyday' (its configs: all, smol-rewrite)" in result.reason
    result = locate(Request("HuggingFaceTB/smoltalk"))  # two configs, none the default
    assert "none is the default" in result.reason


def test_a_partial_download_is_not_read_as_the_whole_split(hub: Path, repos: dict[str, Repo]) -> None:
    repo = repos["HuggingFaceTB/smoltalk"]
    put_in_cache(hub, repo, only=["README.md", "data/all/train-00000-of-00002.parquet"])
    result = locate(Request("HuggingFaceTB/smoltalk", config="all", split="train"))
    assert result.command == "hf download HuggingFaceTB/smoltalk --repo-type dataset"
    assert "1 of the 2 files of split 'train' are not in the Hugging Face cache" in result.reason


def test_a_pinned_revision_reads_that_commit(hub: Path) -> None:
    old, new = _chat(30, "old"), _chat(60, "new")
    repo = Repo("org/pinned", {"main": {"train.jsonl": "".join(json.dumps(r) + "\n" for r in new).encode()},
                               "v1.0": {"train.jsonl": "".join(json.dumps(r) + "\n" for r in old).encode()}})
    put_in_cache(hub, repo, "main")
    put_in_cache(hub, repo, "v1.0")
    write("axolotl.yaml", "base_model: meta-llama/Llama-3.2-1B\ndatasets:\n  - path: org/pinned\n"
                          "    revision: v1.0\n    type: chat_template\nval_set_size: 0\n")
    rep = report("--config", "axolotl.yaml", "--select", "FT101")
    [d] = datasets(rep)
    assert d["records"] == 30 and d["hub"]["commit"] == repo.commit("v1.0") and d["hub"]["revision"] == "v1.0"
    assert d["path"] == "hf://datasets/org/pinned@v1.0/train.jsonl"
    assert f"revision v1.0 = {repo.commit('v1.0')}" in d["split_source"]
    # by commit, on the command line
    rep = report(f"hf://datasets/org/pinned@{repo.commit('v1.0')}/train.jsonl", "--select", "FT101")
    assert [x["records"] for x in datasets(rep)] == [30]


def test_a_pinned_revision_not_in_the_cache_names_it_in_the_command(hub: Path) -> None:
    repo = Repo("org/pinned", {"main": {"train.jsonl": b'{"text": "a"}\n'}})
    put_in_cache(hub, repo)
    write("axolotl.yaml", "base_model: meta-llama/Llama-3.2-1B\ndatasets:\n  - path: org/pinned\n"
                          "    revision: v2\n    type: completion\n")
    rep = report("--config", "axolotl.yaml", "--select", "FT101", exit_codes=(1,))
    [f] = [f for f in rep["findings"] if f["code"] == "FT013"]
    assert "`hf download org/pinned --repo-type dataset --revision v2`" in f["fix"]
    assert "revision v2 is not in the Hugging Face cache" in f["message"]
    assert f"main = {repo.commit()}" in f["message"]  # what the cache holds instead


def test_a_split_slice_in_an_axolotl_config(hub: Path) -> None:
    files = {"train.jsonl": "".join(json.dumps(r) + "\n" for r in _chat(50, "c")).encode()}
    put_in_cache(hub, Repo("org/sliced", {"main": files}))
    write("axolotl.yaml", "base_model: meta-llama/Llama-3.2-1B\ndatasets:\n  - path: org/sliced\n"
                          "    split: train[10%:20]\n    type: chat_template\n")
    from ftlint.api import run
    from ftlint.settings import Settings

    _, ctx = run(config="axolotl.yaml", settings=Settings(select=["FT101"]), no_cache=True)
    ds = ctx.datasets["train"]
    assert [int(i) for i in ds.index] == list(range(5, 20)) and [int(x) for x in ds.line] == list(range(6, 21))


def test_a_llamafactory_hub_entry_with_subset_split_and_columns(hub: Path) -> None:
    qa = [{"question": f"What is {i} plus {i}?", "answer": f"It is {2 * i}."} for i in range(30)]
    files = {f"{sub}/{split}.jsonl": "".join(json.dumps(r) + "\n" for r in rows).encode()
             for sub in ("en", "zh") for split, rows in (("train", qa[:20]), ("validation", qa[20:]))}
    put_in_cache(hub, Repo("org/lf-qa", {"main": files}))
    write("data/dataset_info.json", json.dumps({"qa_val": {
        "hf_hub_url": "org/lf-qa", "subset": "en", "split": "validation",
        "columns": {"prompt": "question", "response": "answer"}}}))
    write("lf.yaml", "model_name_or_path: Qwen/Qwen3-0.6B\nstage: sft\ndo_train: true\nfinetuning_type: lora\n"
                     "dataset: qa_val\ndataset_dir: data\ntemplate: qwen3\ncutoff_len: 1024\n")
    rep = report("--config", "lf.yaml", "--select", "FT101")
    [d] = datasets(rep)
    assert d["path"] == "hf://datasets/org/lf-qa/en/validation.jsonl" and d["records"] == 10
    assert d["format"] == "alpaca" and d["hub"]["mapping"] == {"instruction": "question", "output": "answer"}
    assert d["hub"]["how"] == "conventional layout"


# -- hf:// on the command line ------------------------------------------------------------------------

def test_an_hf_url_of_a_whole_dataset_reads_its_splits(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["stanfordnlp/imdb"])
    rep = report("hf://datasets/stanfordnlp/imdb", "--select", "FT101,FT203")
    loaded = {d["split"]: d for d in datasets(rep) if d.get("loadable") is not False}
    assert {s: d["records"] for s, d in loaded.items()} == {"train": 200, "test": 60}
    assert loaded["test"]["split_source"].startswith("command line (split 'test'); Hugging Face cache")
    [skipped] = [d for d in datasets(rep) if d.get("loadable") is False]
    assert "split 'unsupervised' is neither train, validation nor test" in skipped["reason"]
    assert outcome(rep, "FT203") == "ran"  # train/test leakage across the two cached splits


def test_an_hf_url_of_one_file_and_validation(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["HuggingFaceTB/smoltalk"])
    base = "hf://datasets/HuggingFaceTB/smoltalk/data/all"
    rep = report(f"{base}/train-0000[01]-of-00002.parquet", "--validation", f"{base}/test-00000-of-00001.parquet",
                 "--select", "FT101")
    assert sorted((d["split"], d["records"]) for d in datasets(rep)) == [("train", 100), ("train", 105),
                                                                        ("validation", 40)]


def test_an_hf_url_not_in_the_cache_is_unusable_input(hub: Path) -> None:
    res = cli("check", "hf://datasets/org/absent/data/train.jsonl", "--isolated", "--no-cache")
    assert res.exit_code == 2
    assert "hf://datasets/org/absent/data/train.jsonl: it is not in the Hugging Face cache" in res.stderr
    assert "`hf download org/absent --repo-type dataset --include data/train.jsonl`, or pass --download" in res.stderr
    res = cli("check", "hf://models/org/m", "--isolated", "--no-cache")
    assert res.exit_code == 2 and "only Hugging Face Hub datasets" in res.stderr


def test_the_report_may_not_overwrite_a_cached_file(hub: Path, repos: dict[str, Repo]) -> None:
    snap = put_in_cache(hub, repos["stanfordnlp/imdb"])
    target = snap / "plain_text/train-00000-of-00001.parquet"
    res = cli("check", "hf://datasets/stanfordnlp/imdb/plain_text/train-00000-of-00001.parquet", "--isolated",
              "--no-cache", "-o", str(target))
    assert res.exit_code == 2 and "refusing to write the report" in res.stderr
    assert target.read_bytes()[:4] == b"PAR1"


# -- --download: a local Hub endpoint -----------------------------------------------------------------

def test_download_fetches_what_the_recipe_selects_and_nothing_without_consent(
        hub: Path, repos: dict[str, Repo], corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huggingface_hub")
    with hub_server(list(repos.values())) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        rep = report("--config", str(corpus_dir / SMOLLM), "--select", "FT101", exit_codes=(1,))
        assert server.requests == [] and [f["code"] for f in rep["findings"]].count("FT013") == 1
        rep = report("--config", str(corpus_dir / SMOLLM), "--select", "FT101", "--download")
        # the card, then only the files of config all's train and test splits
        assert sorted(server.fetched()) == ["README.md", "data/all/test-00000-of-00001.parquet",
                                            "data/all/train-00000-of-00002.parquet",
                                            "data/all/train-00001-of-00002.parquet"]
    assert not [f for f in rep["findings"] if f["code"] == "FT013"]
    commit = repos["HuggingFaceTB/smoltalk"].commit()
    assert (hub / "datasets--HuggingFaceTB--smoltalk" / "refs" / "main").read_text() == commit
    # the server is gone: the next run reads the cache alone
    rep = report("--config", str(corpus_dir / SMOLLM), "--select", "FT101")
    assert sorted((d["split"], d["records"]) for d in datasets(rep)) == [("train", 100), ("train", 105),
                                                                        ("validation", 40)]


def test_download_from_the_settings_and_of_an_hf_url(hub: Path, repos: dict[str, Repo],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huggingface_hub")
    write("ftlint.toml", 'hub = "download"\nselect = ["FT101"]\n')
    with hub_server([repos["stanfordnlp/imdb"]]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        res = cli("check", "hf://datasets/stanfordnlp/imdb/plain_text/test-00000-of-00001.parquet", "--no-cache",
                  "--output-format", "json")
        assert res.exit_code in (0, 1), res.output
        assert server.fetched() == ["README.md", "plain_text/test-00000-of-00001.parquet"]
    [d] = datasets(json.loads(res.stdout))
    assert d["split"] == "test" and d["records"] == 60


def test_download_of_a_gated_or_unknown_dataset_says_why(hub: Path, repos: dict[str, Repo],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huggingface_hub")
    gated = Repo("org/gated", {"main": {"train.jsonl": b'{"text": "x"}\n'}}, gated=True)
    with hub_server([gated]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        write("trl.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: org/gated\n")
        rep = report("--config", "trl.yaml", "--select", "FT101", "--download", exit_codes=(1,))
        [f] = [f for f in rep["findings"] if f["code"] == "FT013"]
        assert "org/gated is gated: accept its conditions" in f["message"] and "hf auth login" in f["message"]
        assert "`hf download org/gated --repo-type dataset`" in f["fix"]
        write("trl.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: org/private-one\n")
        rep = report("--config", "trl.yaml", "--select", "FT101", "--download", exit_codes=(1,))
        [f] = [f for f in rep["findings"] if f["code"] == "FT013"]
        assert "the Hub has no dataset org/private-one, or it is private" in f["message"]
    assert not (hub / "datasets--org--gated" / "snapshots").exists()


def test_download_of_a_split_the_dataset_lacks_fetches_only_the_card(hub: Path, repos: dict[str, Repo],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huggingface_hub")
    with hub_server([repos["stanfordnlp/imdb"]]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        result = locate(Request("stanfordnlp/imdb", split="validation"), download=True)
        assert server.fetched() == ["README.md"]
    assert result.command is None
    assert "has no split 'validation' of config plain_text (its splits: train, test, unsupervised)" in result.reason


# -- the pieces ---------------------------------------------------------------------------------------

def test_data_files_globs_match_as_on_the_hub() -> None:
    assert glob_regex("data/train-*").match("data/train-00000-of-00002.parquet")
    assert not glob_regex("data/*").match("data/all/train.parquet")
    assert glob_regex("data/**").match("data/all/train.parquet")
    assert glob_regex("**/*.jsonl").match("train.jsonl") and glob_regex("**/*.jsonl").match("a/b/c.jsonl")
    assert glob_regex("x/[!a]?.csv").match("x/b1.csv") and not glob_regex("x/[!a]?.csv").match("x/a1.csv")


def test_the_conventional_layout_as_datasets_infers_it() -> None:
    assert conventional_splits(["data/train-00000-of-00001.parquet", "data/train_prefs-00000-of-00002.parquet",
                                "README.md"]) == {"train": ["data/train-00000-of-00001.parquet"],
                                                  "train_prefs": ["data/train_prefs-00000-of-00002.parquet"]}
    assert conventional_splits(["train.jsonl", "dev.jsonl", "test.csv", "notes.txt.md"]) == {
        "train": ["train.jsonl"], "validation": ["dev.jsonl"], "test": ["test.csv"]}
    assert conventional_splits(["validation/0.parquet", "train/0.parquet"]) == {
        "validation": ["validation/0.parquet"], "train": ["train/0.parquet"]}
    assert conventional_splits(["all.jsonl", ".hidden/x.jsonl"]) == {"train": ["all.jsonl"]}


def test_readme_configs_and_data_files_forms() -> None:
    card = readme([{"config_name": "a", "data_files": "a/*.csv"},
                   {"config_name": "b", "data_dir": "b", "default": True,
                    "data_files": [{"split": "test", "path": ["t1.jsonl", "t2.jsonl"]}]}]).decode()
    assert [c["config_name"] for c in readme_configs(card)] == ["a", "b"]
    files = ["a/x.csv", "b/t1.jsonl", "b/t2.jsonl", "README.md"]
    assert layout(files, card, Request("o/n", split=None)).splits == {"test": ["b/t1.jsonl", "b/t2.jsonl"]}
    assert layout(files, card, Request("o/n", config="a", split=None)).splits == {"train": ["a/x.csv"]}
    assert readme_configs("no header") == [] and readme_configs("---\n: [bad\n---\n") == []


def test_hf_urls() -> None:
    r = parse_url("hf://datasets/org/name@v1.0/data/train.jsonl")
    assert (r.repo_id, r.revision, r.path, r.split) == ("org/name", "v1.0", "data/train.jsonl", None)
    assert parse_url(Path("hf://datasets/org/name")).path is None  # a pathlib.Path keeps one slash
    r = parse_url("hf://datasets/org/name@refs/pr/3/x.csv")
    assert (r.revision, r.path) == ("refs/pr/3", "x.csv")
    assert parse_url("hf://datasets/org/name@refs%2Fconvert%2Fparquet").revision == "refs/convert/parquet"


def test_trl_without_dataset_config_selects_no_subset(tmp_path: Path) -> None:
    from ftlint.training import load_training_config

    cfg = tmp_path / "trl.yaml"
    cfg.write_text("model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: stanfordnlp/imdb\n")
    [ref] = load_training_config(cfg).train_datasets
    assert ref.subset is None  # was the string '_Missing.MISSING'


def test_download_without_a_reachable_hub_says_so(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huggingface_hub")
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    result = locate(Request("org/x"), download=True)
    assert result.command == "hf download org/x --repo-type dataset"
    assert f"fetching it failed: could not fetch from http://127.0.0.1:{port}" in result.reason
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "HF_HUB_OFFLINE is set" in locate(Request("org/x"), download=True).reason


def test_the_hub_setting_is_validated(hub: Path) -> None:
    write("ftlint.toml", 'hub = "always"\n')
    res = cli("check", "hf://datasets/org/x", "--no-cache")
    assert res.exit_code == 2 and "ftlint.toml:1: 'hub' must be one of 'cache', 'download', not 'always'" in res.stderr


def test_sample_of_an_hf_url_names_its_rows_by_hf_path(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["stanfordnlp/imdb"])
    res = cli("sample", "hf://datasets/stanfordnlp/imdb", "--n", "5", "-o", "review", "--isolated")
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in Path("review/sample.jsonl").read_text().splitlines()]
    assert len(rows) == 5 and {r["path"] for r in rows} == {"hf://datasets/stanfordnlp/imdb/plain_text/"
                                                           "test-00000-of-00001.parquet"}


def test_a_readme_config_with_a_data_dir_alone_uses_the_conventional_layout_inside() -> None:
    card = readme([{"config_name": "en", "data_dir": "en"}, {"config_name": "fr", "data_dir": "fr"}]).decode()
    files = ["en/train.jsonl", "en/test.jsonl", "fr/train.jsonl"]
    lay = layout(files, card, Request("o/n", config="en", split=None))
    assert lay.splits == {"train": ["en/train.jsonl"], "test": ["en/test.jsonl"]}


def test_hub_data_files_in_an_axolotl_entry(hub: Path) -> None:
    files = {"raw/part-a.jsonl": "".join(json.dumps(r) + "\n" for r in _chat(12, "p")).encode(),
             "raw/part-b.jsonl": "".join(json.dumps(r) + "\n" for r in _chat(8, "q")).encode(),
             "other/x.jsonl": b'{"text": "not this"}\n'}
    put_in_cache(hub, Repo("org/files", {"main": files}))
    result = locate(Request("org/files", data_files=("raw/part-*.jsonl",)))
    assert [h.path_in_repo for h in result.files] == ["raw/part-a.jsonl", "raw/part-b.jsonl"]


def test_an_unreadable_cached_file_is_located_at_the_config_line(hub: Path) -> None:
    put_in_cache(hub, Repo("org/broken", {"main": {"data/train-00000-of-00001.parquet": b"not parquet at all"}}))
    write("trl.yaml", "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: org/broken\n")
    res = cli("check", "--config", "trl.yaml", "--isolated", "--no-cache")
    assert res.exit_code == 2
    assert res.stderr.strip() == ("ftlint: error: trl.yaml:2: dataset_name: hf://datasets/org/broken/data/"
                                  "train-00000-of-00001.parquet: not a Parquet file (no PAR1 magic bytes)")


def test_a_llamafactory_v1_registry_reads_local_and_cached_hub_entries(hub: Path, corpus_dir: Path) -> None:
    """A v1 ``train_dataset`` registry: its local file (the corpus' v1 demo, by absolute path) and its
    cached hub dataset are checked; a ModelScope entry is not available, with the reason and the
    command that fetches it; a registry that is itself on the hub is read from the cache."""
    demo = corpus_dir / "hiyouga__LLaMA-Factory" / "data__v1_sft_demo.jsonl"
    files = {"data/train-00000-of-00001.parquet": parquet_bytes(_chat(30, "v1"))}
    put_in_cache(hub, Repo("org/v1-chat", {"main": files}))
    write("data/v1_sft_demo.yaml", f"demo:\n  path: {demo}\n  source: local\nchat:\n  path: org/v1-chat\n"
                                   "ms:\n  path: AI-ModelScope/alpaca-gpt4\n  source: ms_hub\n")
    write("train.yaml", "model: Qwen/Qwen3-0.6B\ntrain_dataset: data/v1_sft_demo.yaml\nmicro_batch_size: 2\n")
    rep = report("--config", "train.yaml", "--select", "FT201", "--extend-select", "FT013")
    loaded = {d["path"]: d["records"] for d in datasets(rep) if d.get("records") is not None}
    assert loaded == {str(demo): 500, "hf://datasets/org/v1-chat/data/train-00000-of-00001.parquet": 30}
    (ft013,) = [f for f in rep["findings"] if f["code"] == "FT013"]
    assert ft013["message"].startswith("AI-ModelScope/alpaca-gpt4, the train data of train.yaml:2 (train_dataset), "
                                       "is a hub dataset that is not available locally")
    assert "`modelscope download --dataset AI-ModelScope/alpaca-gpt4" in ft013["fix"]
    # the registry itself on the hub (``ORG/NAME/dataset_info.yaml``), read from the cache
    reg = {"dataset_info.yaml": b"chat:\n  path: org/v1-chat\n", **files}
    put_in_cache(hub, Repo("org/v1-reg", {"main": reg}))
    write("hub.yaml", "model: Qwen/Qwen3-0.6B\ntrain_dataset: org/v1-reg/dataset_info.yaml\nmicro_batch_size: 2\n")
    rep = report("--config", "hub.yaml", "--select", "FT201")
    assert [(d["path"], d["records"]) for d in datasets(rep)] == [
        ("hf://datasets/org/v1-chat/data/train-00000-of-00001.parquet", 30)]


# -- a torchtune dataset builder that loads a hub dataset ----------------------------------------------

TORCHTUNE = "pytorch__torchtune/recipes__configs__llama3_2__1B_lora_single_device.yaml"


def test_a_torchtune_builder_reads_its_hub_dataset_from_the_cache(hub: Path, corpus_dir: Path) -> None:
    """torchtune's ``alpaca_cleaned_dataset`` loads yahma/alpaca-cleaned: with it cached, the data
    rules run on it; with an empty cache, FT013 names the exact download command."""
    empty = report("--config", str(corpus_dir / TORCHTUNE), "--select", "FT013,FT101")
    [f013] = [f for f in empty["findings"] if f["code"] == "FT013"]
    assert "hf download yahma/alpaca-cleaned --repo-type dataset" in f013["fix"]
    rows = json.loads((corpus_dir / "pytorch__torchtune" / "tests__assets__alpaca_tiny.json").read_text())
    put_in_cache(hub, Repo("yahma/alpaca-cleaned", {"main": {"alpaca_data_cleaned.json": json.dumps(rows).encode()}}))
    rep = report("--config", str(corpus_dir / TORCHTUNE), "--select", "FT013,FT101,FT201")
    assert not [f for f in rep["findings"] if f["code"] == "FT013"]
    [d] = datasets(rep)
    assert d["path"] == "hf://datasets/yahma/alpaca-cleaned/alpaca_data_cleaned.json" and d["records"] == len(rows)
    assert outcome(rep, "FT201") == "ran"


def _loaded_with_settings(settings: str) -> list[dict[str, Any]]:
    """The datasets ``ftlint check`` (FT101 only) reports with ``settings`` as its ftlint.toml."""
    Path("ftlint.toml").write_text(settings)
    res = cli("check", "--no-cache", "--output-format", "json", "--select", "FT101")
    assert res.exit_code in (0, 1), res.output
    return datasets(json.loads(res.stdout))


def test_an_hf_url_in_the_settings_dataset_lists_reads_from_the_cache(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["stanfordnlp/imdb"])
    [d] = _loaded_with_settings('[dataset]\ntrain = ["hf://datasets/stanfordnlp/imdb/plain_text/'
                                'train-00000-of-00001.parquet"]\n')
    assert d["path"] == "hf://datasets/stanfordnlp/imdb/plain_text/train-00000-of-00001.parquet"
    assert d["records"] == 200 and d["split"] == "train"
    # not in the cache: a located one-line error, exit 2, never a silent pass
    Path("ftlint.toml").write_text('[dataset]\ntrain = ["hf://datasets/org/absent/train.jsonl"]\n')
    res = cli("check", "--no-cache")
    assert res.exit_code == 2 and "hf://datasets/org/absent/train.jsonl" in res.output, res.output


def test_a_whole_hub_dataset_in_the_settings_gives_each_split_its_own_files(hub: Path, repos: dict[str, Repo]) -> None:
    put_in_cache(hub, repos["stanfordnlp/imdb"])
    loaded = {d["split"]: d["records"] for d in _loaded_with_settings(
        '[dataset]\ntrain = ["hf://datasets/stanfordnlp/imdb"]\ntest = ["hf://datasets/stanfordnlp/imdb"]\n')}
    assert loaded == {"train": 200, "test": 60}
    # `ftlint sample` reads the settings' hub files the same way
    res = cli("sample", "--n", "4", "-o", "review")
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in Path("review/sample.jsonl").read_text().splitlines()]
    assert rows and all(r["path"].startswith("hf://datasets/stanfordnlp/imdb/") for r in rows)
