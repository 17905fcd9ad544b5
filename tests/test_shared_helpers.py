"""The helpers that replaced copies (issue 14, repeats): one plural, one relative path, one list of
held-out split words, one boolean reader, one error type, one vectorised hash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ftlint.errors import FtlintError
from ftlint.features.hashing import fmix64, powers
from ftlint.grammar import plural
from ftlint.paths import relative_posix
from ftlint.training import TrainingConfigError, load_training_config
from ftlint.training.plan import held_out_split, to_bool


def test_plural_of_sibilant_words_takes_es() -> None:
    assert plural(1, "IP address") == "1 IP address"
    assert plural(2, "IP address") == "2 IP addresses"
    assert plural(3, "match") == "3 matches"
    assert plural(1_200, "row") == "1,200 rows"
    assert plural(2, "reply", "replies") == "2 replies"


def test_relative_posix(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert relative_posix(tmp_path / "a" / "b" / "f.jsonl", tmp_path) == "a/b/f.jsonl"
    assert relative_posix(tmp_path, tmp_path / "a" / "b") == "../.."
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert relative_posix(loop / "x", tmp_path) is None  # a symlink loop cannot be resolved


@pytest.mark.parametrize(("spec", "held"), [
    ("train", None), ("train_sft", None), ("train[:90%]", None), (None, None),
    ("test_prefs", "test_prefs"), ("validation[:50%]", "validation"), ("train+dev", "dev"),
    ("train_eval_set", "train_eval_set"),
])
def test_held_out_split(spec: str | None, held: str | None) -> None:
    assert held_out_split(spec) == held


def test_training_config_error_is_an_ftlint_error(tmp_path: Path) -> None:
    with pytest.raises(FtlintError) as info:
        load_training_config(tmp_path / "missing.yaml")
    assert isinstance(info.value, TrainingConfigError)
    assert info.value.exit_code == 2 and "missing.yaml" in info.value.located()


@pytest.mark.parametrize(("do_train", "trains"), [("no", False), ("yes", True), (0, False), ("false", False)])
def test_trains_reads_do_train_as_the_adapters_read_booleans(tmp_path: Path, do_train: object, trains: bool) -> None:
    cfg = tmp_path / "args.yaml"
    cfg.write_text(f"model_name_or_path: gpt2\ntrain_file: train.jsonl\ndo_train: {do_train!r}\n".replace("'", '"'))
    assert load_training_config(cfg, "hf").trains is trains
    assert to_bool(do_train) is trains


def test_fmix64_and_powers_wrap_modulo_2_64() -> None:
    assert powers(3, 4).tolist() == [1, 3, 9, 27]
    assert powers(2, 0).size == 0
    big = powers(0x9E3779B97F4A7C15, 3)
    assert int(big[2]) == pow(0x9E3779B97F4A7C15, 2, 1 << 64)
    h = fmix64(np.array([0, 1], dtype=np.uint64))
    assert h.dtype == np.uint64 and int(h[0]) == 0 and int(h[1]) == 0xB456BCFC34C2CB2C
