"""Issue 14's refactor guard: the JSON report of every corpus file, training config and example,
taken before the architecture step started (``python -m tests.snapshot.make`` writes them), and
compared by ``test_snapshot.py`` after every change of the refactor. Removed when the step is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SNAP = HERE / "reports"


def cases() -> list[tuple[str, Path, list[str]]]:
    """(name, working directory, ftlint check arguments) for every input."""
    sys.path.insert(0, str(REPO))
    from tests.realdata.harness import CONFIG_DATA, inputs

    out: list[tuple[str, Path, list[str]]] = []
    for inp in inputs(CORPUS):
        name = inp.rel.replace("/", "__")
        if inp.kind == "config":
            data = [str(CORPUS / CONFIG_DATA[inp.rel])] if inp.rel in CONFIG_DATA else []
            args = [*data, "--config", str(CORPUS / inp.rel)]
        else:
            args = [str(CORPUS / inp.rel)]
        out.append((name, CORPUS, [*args, "--select", "ALL", "--isolated"]))
    ex = REPO / "examples"
    out.append(("example__chat-mistakes", ex / "chat-mistakes", ["train.jsonl", "--config", "train.yaml"]))
    out.append(("example__chat-mistakes-all", ex / "chat-mistakes",
                ["train.jsonl", "--config", "train.yaml", "--select", "ALL"]))
    out.append(("example__clean-classification", ex / "clean-classification",
                ["train.jsonl", "--validation", "val.jsonl", "--test", "test.jsonl", "--select", "ALL"]))
    return out


def report(cwd: Path, args: list[str]) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "120"}
    env.pop("FTLINT_CACHE_DIR", None)
    env["HF_HUB_CACHE"] = str(HERE / "no-hf-cache")  # hub datasets: never the machine's own cache (issue 15)
    proc = subprocess.run(
        [sys.executable, "-m", "ftlint", "check", *args, "--output-format", "json", "--no-cache", "--exit-zero"],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    return normalise(json.loads(proc.stdout))


VOLATILE = {"seconds", "ftlint_version"}


def normalise(obj):
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, str):
        return obj.replace(str(CORPUS), "<corpus>").replace(str(REPO), "<repo>")
    return obj


def main() -> None:
    SNAP.mkdir(exist_ok=True)
    for name, cwd, args in cases():
        text = json.dumps(report(cwd, args), indent=1, sort_keys=True, ensure_ascii=False)
        (SNAP / f"{name}.json").write_text(text + "\n")
        print(name, file=sys.stderr)


if __name__ == "__main__":
    main()
