"""Which file goes to which split (train, validation, test), and why: flags, settings, file names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.data.dataset import Dataset
from ftlint.data.load import SPLITS, infer_split, load_dataset_file
from ftlint.errors import InputError, UsageError
from ftlint.settings import settings_from_dict
from tests.api_run import lint


def rec(i: int) -> dict:
    return {"messages": [{"role": "user", "content": f"question {i}"},
                         {"role": "assistant", "content": f"answer {i}"}]}


def splits_of(report) -> dict[str, tuple[str | None, str | None]]:
    """file name -> (split, split_source) for every dataset input of a report."""
    return {Path(i.path).name: (i.split, i.split_source) for i in report.inputs if i.role == "dataset"}


@pytest.fixture
def files(write_jsonl):
    """write_jsonl with a few records of distinct content per file."""

    def make(*names: str) -> list[Path]:
        return [write_jsonl(n, [rec(k * 100 + i) for i in range(3)]) for k, n in enumerate(names)]

    return make


def test_split_names_are_exactly_three():
    assert SPLITS == ("train", "validation", "test")


# -- inference from the file name -------------------------------------------------------------------

@pytest.mark.parametrize("name,split", [
    ("val.jsonl", "validation"),
    ("valid.jsonl", "validation"),
    ("validation.jsonl", "validation"),
    ("dev.jsonl", "validation"),
    ("eval.jsonl", "validation"),
    ("my_val.json", "validation"),
    ("data-dev.csv", "validation"),
    ("sft.eval.tsv", "validation"),
    ("VALIDATION.JSONL", "validation"),
    ("validation-00000-of-00001.parquet", "validation"),
    ("test.jsonl", "test"),
    ("Test.json", "test"),
    ("chat_test.jsonl", "test"),
    ("test-00000-of-00001.parquet", "test"),
])
def test_stem_names_a_split(name, split):
    inferred = infer_split(Path("data") / name)
    assert inferred is not None
    assert inferred[0] == split
    assert inferred[1].startswith("file name says")


@pytest.mark.parametrize("name", [
    "train.jsonl", "data.jsonl", "latest.jsonl", "devops.jsonl", "contest.jsonl", "interval.jsonl",
    "evaluate.jsonl", "prevalidation.jsonl", "attestation.json",
    # corpus-style names: 'tests' (a folder name flattened into the file name) is not 'test'
    "tests__assets__chat_tiny.json", "tests__fixtures__alpaca__alpaca.json",
])
def test_stem_without_a_split_word(name):
    assert infer_split(Path(name)) is None


def test_only_the_file_name_counts_not_its_folder():
    assert infer_split(Path("test") / "val" / "part-0.jsonl") is None


def test_both_words_validation_wins():
    # documents current behaviour: a validation word beats 'test' wherever it stands
    assert infer_split(Path("test_val.jsonl"))[0] == "validation"
    assert infer_split(Path("eval_test.jsonl"))[0] == "validation"


def test_inferred_split_is_in_the_report(tmp_path, files):
    train, val, test = files("train.jsonl", "dev.jsonl", "test.jsonl")
    report = lint([train, val, test], root=tmp_path)
    assert splits_of(report) == {
        "train.jsonl": ("train", "command line (positional path)"),
        "dev.jsonl": ("validation", "command line (file name says 'dev')"),
        "test.jsonl": ("test", "command line (file name says 'test')"),
    }


def test_directory_files_are_inferred_one_by_one(tmp_path, write_jsonl):
    for k, n in enumerate(("train.jsonl", "valid.jsonl", "test.jsonl")):
        write_jsonl(f"data/{n}", [rec(k * 100 + i) for i in range(2)])
    report = lint([tmp_path / "data"], root=tmp_path)
    assert {k: v[0] for k, v in splits_of(report).items()} == {
        "train.jsonl": "train", "valid.jsonl": "validation", "test.jsonl": "test"}


# -- --validation / --test --------------------------------------------------------------------------

def test_validation_and_test_flags(tmp_path, files):
    train, held, final = files("a.jsonl", "b.jsonl", "c.jsonl")
    report = lint([train], root=tmp_path, validation=[held], test=[final])
    assert splits_of(report) == {
        "a.jsonl": ("train", "command line (positional path)"),
        "b.jsonl": ("validation", "command line (--validation)"),
        "c.jsonl": ("test", "command line (--test)"),
    }


def test_flags_are_repeatable_and_rows_keep_path_and_index(tmp_path, files):
    train, v1, v2 = files("a.jsonl", "b.jsonl", "c.jsonl")
    report = lint([train], root=tmp_path, validation=[v1, v2])
    assert [n for n, (s, _) in splits_of(report).items() if s == "validation"] == ["b.jsonl", "c.jsonl"]
    ds = Dataset.concat("validation", [load_dataset_file(p, "validation", "--validation") for p in (v1, v2)])
    assert [(Path(ds.path(i)).name, int(ds.index[i]), ds.line_of(i)) for i in range(len(ds))] == [
        ("b.jsonl", 0, 1), ("b.jsonl", 1, 2), ("b.jsonl", 2, 3),
        ("c.jsonl", 0, 1), ("c.jsonl", 1, 2), ("c.jsonl", 2, 3),
    ]


def test_a_row_is_identified_by_path_and_index_across_files(tmp_path, write_jsonl):
    a = write_jsonl("a.jsonl", [rec(1), rec(2)])
    b = write_jsonl("b.jsonl", [rec(3), rec(1)])
    report = lint([a, b], root=tmp_path, select=["FT201"])
    [f] = report.findings
    [row] = f.rows
    assert (Path(row.path).name, row.index, row.line, row.split) == ("b.jsonl", 1, 2, "train")
    dup = row.extra["duplicate_of"]
    assert (Path(dup["path"]).name, dup["index"], dup["line"]) == ("a.jsonl", 0, 1)


def test_explicit_flag_for_a_file_named_like_another_split(tmp_path, files):
    # the flag says test; the name says validation; the flag wins
    train, dev = files("train.jsonl", "dev.jsonl")
    report = lint([train], root=tmp_path, test=[dev])
    assert splits_of(report)["dev.jsonl"] == ("test", "command line (--test)")


def test_validation_flag_with_a_directory(tmp_path, write_jsonl, files):
    [train] = files("train.jsonl")
    write_jsonl("heldout/x.jsonl", [rec(900)])
    write_jsonl("heldout/y.jsonl", [rec(901)])
    report = lint([train], root=tmp_path, validation=[tmp_path / "heldout"])
    assert splits_of(report)["x.jsonl"] == ("validation", "command line (--validation)")
    assert splits_of(report)["y.jsonl"] == ("validation", "command line (--validation)")


# -- [dataset] in the settings ----------------------------------------------------------------------

def test_settings_list_paths_per_split(tmp_path, files):
    files("t1.jsonl", "t2.jsonl", "v.jsonl", "holdout.jsonl")
    s = settings_from_dict({"dataset": {"train": ["t1.jsonl", "t2.jsonl"], "validation": "v.jsonl",
                                        "test": ["holdout.jsonl"]}}, tmp_path)
    assert s.dataset.train == [tmp_path / "t1.jsonl", tmp_path / "t2.jsonl"]
    report = lint(root=tmp_path, settings=s)
    assert splits_of(report) == {
        "t1.jsonl": ("train", "settings [dataset] train"),
        "t2.jsonl": ("train", "settings [dataset] train"),
        "v.jsonl": ("validation", "settings [dataset] validation"),
        "holdout.jsonl": ("test", "settings [dataset] test"),
    }


def test_settings_train_paths_are_not_inferred_from_their_names(tmp_path, files):
    files("eval.jsonl")
    s = settings_from_dict({"dataset": {"train": ["eval.jsonl"]}}, tmp_path)
    assert splits_of(lint(root=tmp_path, settings=s)) == {"eval.jsonl": ("train", "settings [dataset] train")}


def test_flag_replaces_the_settings_for_its_split(tmp_path, files):
    files("t.jsonl", "v.jsonl", "other.jsonl")
    s = settings_from_dict({"dataset": {"train": ["t.jsonl"], "validation": ["v.jsonl"]}}, tmp_path)
    report = lint(root=tmp_path, settings=s, validation=[tmp_path / "other.jsonl"])
    assert splits_of(report) == {"t.jsonl": ("train", "settings [dataset] train"),
                                 "other.jsonl": ("validation", "command line (--validation)")}


def test_positional_paths_replace_the_settings_train(tmp_path, files):
    files("t.jsonl", "v.jsonl", "cli.jsonl")
    s = settings_from_dict({"dataset": {"train": ["t.jsonl"], "validation": ["v.jsonl"]}}, tmp_path)
    report = lint([tmp_path / "cli.jsonl"], root=tmp_path, settings=s)
    assert splits_of(report) == {"cli.jsonl": ("train", "command line (positional path)"),
                                 "v.jsonl": ("validation", "settings [dataset] validation")}


def test_settings_path_that_does_not_exist_is_input_error(tmp_path):
    s = settings_from_dict({"dataset": {"train": ["missing.jsonl"]}}, tmp_path)
    with pytest.raises(InputError, match="no such file"):
        lint(root=tmp_path, settings=s)


def test_no_dataset_at_all_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no dataset given"):
        lint([], root=tmp_path)


# -- one file, one split ------------------------------------------------------------------------------

def test_same_file_in_two_splits_is_usage_error(tmp_path, files):
    [train] = files("data.jsonl")
    with pytest.raises(UsageError) as e:
        lint([train], root=tmp_path, validation=[train])
    assert "data.jsonl" in str(e.value) and "train" in str(e.value) and "validation" in str(e.value)


def test_same_file_by_two_spellings_in_two_splits_is_usage_error(tmp_path, files, monkeypatch):
    [train] = files("data.jsonl")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    with pytest.raises(UsageError):
        lint([train], root=tmp_path, test=[Path("..") / "data.jsonl"])


def test_inferred_and_flagged_into_different_splits_is_usage_error(tmp_path, files):
    [val] = files("val.jsonl")
    with pytest.raises(UsageError):
        lint([val], root=tmp_path, test=[val])


def test_same_file_in_two_settings_splits_is_usage_error(tmp_path, files):
    files("t.jsonl")
    s = settings_from_dict({"dataset": {"train": ["t.jsonl"], "test": ["t.jsonl"]}}, tmp_path)
    with pytest.raises(UsageError):
        lint(root=tmp_path, settings=s)


def test_same_file_twice_in_one_split_counts_once(tmp_path, files):
    [train] = files("data.jsonl")
    report = lint([train, train, tmp_path], root=tmp_path)
    assert [i.path for i in report.inputs].count(report.inputs[0].path) == 1
    assert report.inputs[0].records == 3


# -- the JSON report ------------------------------------------------------------------------------------

def test_json_report_lists_inputs_with_split_and_source(tmp_path, files, ftlint_cli):
    train, val, extra_val, held = files("train.jsonl", "val.jsonl", "more.jsonl", "final.jsonl")
    res = ftlint_cli("check", train, val, "--validation", extra_val, "--test", held,
                     "--output-format", "json", "--no-cache")
    assert res.returncode in (0, 1), res.stderr
    assert "Traceback" not in res.stderr
    inputs = {Path(i["path"]).name: i for i in res.json()["inputs"]}
    assert {n: (i["role"], i["split"], i["split_source"], i["records"], i["format"]) for n, i in inputs.items()} == {
        "train.jsonl": ("dataset", "train", "command line (positional path)", 3, "openai_chat"),
        "val.jsonl": ("dataset", "validation", "command line (file name says 'val')", 3, "openai_chat"),
        "more.jsonl": ("dataset", "validation", "command line (--validation)", 3, "openai_chat"),
        "final.jsonl": ("dataset", "test", "command line (--test)", 3, "openai_chat"),
    }


def test_cli_same_file_in_two_splits_exits_2(tmp_path, files, ftlint_cli):
    [train] = files("data.jsonl")
    res = ftlint_cli("check", train, "--test", train, "--no-cache")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith("ftlint: error: ") and len(res.stderr.strip().splitlines()) == 1
    assert "data.jsonl" in res.stderr


def test_cli_settings_file_splits(tmp_path, files, ftlint_cli):
    files("cwd/t.jsonl", "cwd/v.jsonl")
    (tmp_path / "cwd" / "ftlint.toml").write_text('[dataset]\ntrain = ["t.jsonl"]\nvalidation = ["v.jsonl"]\n')
    res = ftlint_cli("check", "--output-format", "json", "--no-cache")
    assert res.returncode in (0, 1), res.stderr
    got = {Path(i["path"]).name: (i["split"], i["split_source"]) for i in res.json()["inputs"]}
    # the settings file and the line that names each split (issue 12: the report names each split's source)
    assert got == {"t.jsonl": ("train", "settings ftlint.toml:2 [dataset] train"),
                   "v.jsonl": ("validation", "settings ftlint.toml:3 [dataset] validation")}
    assert json.loads(res.stdout)["schema_version"] == 1
