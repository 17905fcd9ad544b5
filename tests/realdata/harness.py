"""The judged real-data suite: every dataset file and training config of ``../shared/corpus`` is
checked with every rule (``--select ALL``), and every finding must carry a judgement a person wrote
after reading the rows it cites (``judgements.yaml``): TRUE, FALSE or DEBATABLE, a one-line reason,
and a verdict per cited row read (all up to 20, a seeded sample of 20 beyond).

``python -m tests.realdata.harness --stubs`` prints the findings that have no judgement yet, with the
text of the rows to read, as YAML stubs to fill in; ``benchmarks/precision.py`` prints precision.
"""

from __future__ import annotations

import functools
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
JUDGEMENTS = HERE / "judgements.yaml"
REPO = HERE.parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DATASET_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
CONFIG_SUFFIXES = (".yaml", ".yml")
NOT_INPUTS = {"data__dataset_info.json"}  # the LLaMA-Factory registry is read through its configs
ROW_SAMPLE = 20
VERDICTS = ("TRUE", "FALSE", "DEBATABLE")


@dataclass(frozen=True)
class Input:
    rel: str  # corpus-relative path
    kind: str  # dataset | config


def inputs(corpus: Path = CORPUS) -> list[Input]:
    out: list[Input] = []
    for p in sorted(corpus.glob("*/*")):
        if p.name in NOT_INPUTS or not p.is_file():
            continue
        rel = p.relative_to(corpus).as_posix()
        if p.suffix in CONFIG_SUFFIXES:
            out.append(Input(rel, "config"))
        elif p.suffix in DATASET_SUFFIXES:
            out.append(Input(rel, "dataset"))
    return out


#: configs whose own dataset files are not in the corpus (LLaMA-Factory's registry names ``identity``,
#: which was not copied), checked with the corpus file they train on given on the command line (which
#: replaces the config's datasets, as a user would run it)
CONFIG_DATA = {
    "hiyouga__LLaMA-Factory/examples__train_full__qwen3_full_sft.yaml":
        "hiyouga__LLaMA-Factory/data__alpaca_en_demo.json",
    "hiyouga__LLaMA-Factory/examples__train_lora__qwen3_lora_sft.yaml":
        "hiyouga__LLaMA-Factory/data__alpaca_en_demo.json",
}


@functools.cache
def run(inp: Input, corpus: Path = CORPUS) -> Any:
    """The report of ``ftlint check --select ALL`` on one input (a config is checked alone, or with the
    corpus file it trains on where :data:`CONFIG_DATA` names one). Memoised: the corpus tests of the
    whole suite share one check per input."""
    from ftlint.api import check
    from ftlint.settings import Settings

    path = corpus / inp.rel
    settings = Settings(select=["ALL"])
    if inp.kind == "config":
        data = [corpus / CONFIG_DATA[inp.rel]] if inp.rel in CONFIG_DATA else []
        return check(data, config=path, settings=settings, no_cache=True)
    return check([path], settings=settings, no_cache=True)


def cited_rows(finding: Any) -> list[int]:
    """The row indexes a judge reads: all up to 20, else a seeded sample of 20 (by fingerprint)."""
    idx = sorted({r.index for r in finding.rows})
    if len(idx) <= ROW_SAMPLE:
        return idx
    return sorted(random.Random(finding.fingerprint).sample(idx, ROW_SAMPLE))


def load_judgements(path: Path = JUDGEMENTS) -> dict[tuple[str, str], dict[str, Any]]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in data.get("findings", []):
        out[(entry["input"], entry["fingerprint"])] = entry
    return out


def _row_text(finding: Any, index: int) -> str:
    for r in finding.rows:
        if r.index == index:
            return r.snippet
    return ""


def stubs(corpus: Path = CORPUS) -> str:
    judged = load_judgements()
    entries = []
    for inp in inputs(corpus):
        report = run(inp, corpus)
        for f in report.findings:
            if (inp.rel, f.fingerprint) in judged:
                continue
            entries.append({
                "input": inp.rel, "code": f.code, "fingerprint": f.fingerprint, "severity": f.severity.label,
                "message": f.message, "verdict": "TODO", "reason": "TODO",
                "rows": dict.fromkeys(cited_rows(f), "TODO"),
                "_snippets": {i: _row_text(f, i)[:200] for i in cited_rows(f)},
            })
    return yaml.safe_dump({"findings": entries}, allow_unicode=True, sort_keys=False, width=110)


if __name__ == "__main__":
    if "--stubs" in sys.argv:
        sys.stdout.write(stubs())
