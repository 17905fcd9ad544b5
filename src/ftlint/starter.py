"""``ftlint init``: a starter ``ftlint.toml`` from what is in a directory, and the snippets that
run ftlint as a pre-commit hook and in GitHub Actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlint._version import __version__
from ftlint.errors import UsageError
from ftlint.outputs import Protected, guard_output

SETTINGS_NAME = "ftlint.toml"
#: folders never searched: tool state, environments, ftlint's own outputs
SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", ".ftlint_cache", "ftlint-fixed",
             "outputs", "output", "wandb", "runs", "site-packages"}
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
REPO_URL = "https://github.com/ftlint/ftlint"


@dataclass
class Found:
    """What ``init`` found: dataset files per split (with why) and training configs."""

    datasets: dict[str, list[tuple[Path, str]]] = field(default_factory=lambda: {"train": [], "validation": [],
                                                                                 "test": []})
    configs: list[tuple[Path, str]] = field(default_factory=list)  # (path, "Axolotl (detected by ...)")
    plans: list[Any] = field(default_factory=list)  # the TrainingPlan of each config


def _candidates(root: Path) -> list[Path]:
    """Files in ``root`` and its direct subfolders (not hidden, not tool folders), sorted."""
    out = []
    for p in sorted(root.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_file():
            out.append(p)
        elif p.is_dir() and p.name not in SKIP_DIRS:
            out.extend(c for c in sorted(p.iterdir()) if c.is_file() and not c.name.startswith("."))
    return out


def discover(root: Path) -> Found:
    """Datasets (split from the file name, as ``ftlint check`` infers it) and training configs
    (files a config adapter recognises) in ``root`` and one level below."""
    from ftlint.data.load import infer_split, is_dataset_file
    from ftlint.training import TrainingConfigError, load_training_config

    found = Found()
    for p in _candidates(root):
        rel = p.relative_to(root)
        if p.suffix.lower() in CONFIG_SUFFIXES:
            try:
                plan = load_training_config(p)
            except TrainingConfigError:
                plan = None
            except Exception:  # noqa: BLE001 - an adapter choking on an unrelated YAML file: not a config
                plan = None
            if plan is not None:
                found.configs.append((rel, f"{plan.framework} config, detected by {plan.detected_by}"))
                found.plans.append(plan)
                continue
        if is_dataset_file(p):
            inferred = infer_split(p)
            split, why = inferred if inferred else ("train", "no split word in the file name")
            found.datasets[split].append((rel, why))
    return found


def _toml_list(paths: list[tuple[Path, str]]) -> str:
    return "[" + ", ".join(f'"{p.as_posix()}"' for p, _ in paths) + "]"


def starter_settings(found: Found) -> str:
    """The text of a starter ``ftlint.toml`` for what was found."""
    lines = [
        "# ftlint settings, written by `ftlint init` from the files it found here. `ftlint check` run",
        "# in this folder (or below) reads them; paths are relative to this file.",
        "# Rules: `ftlint rules`; one rule's options: `ftlint rule FT201`.",
        "",
    ]
    if found.configs:
        path, what = found.configs[0]
        lines += [f"# {what}", f'training-config = "{path.as_posix()}"']
        lines += [f'# training-config = "{p.as_posix()}"  # {w}' for p, w in found.configs[1:]]
    else:
        lines += ["# no training config found; name it to have it checked too (FT104, FT6xx):",
                  '# training-config = "train.yaml"']
    lines += [
        "",
        "# exit 1 from this severity up: error, warning, info or never",
        'fail-on = "error"',
        "# rule selection, ruff style: codes, prefixes (FT2) or names",
        '# select = ["ALL"]',
        "# ignore = []",
        "# columns holding sensitive attributes, for the fairness rules (FT501, FT502)",
        '# sensitive = ["gender"]',
        "",
        "[dataset]",
    ]
    any_data = False
    for split in ("train", "validation", "test"):
        files = found.datasets[split]
        if files:
            any_data = True
            why = "; ".join(sorted({w for _, w in files}))
            lines.append(f"{split} = {_toml_list(files)}  # {why}")
    if not any_data:
        lines.append('# no dataset files found; name them: train = ["data/train.jsonl"]')
    if not found.datasets["validation"] and found.datasets["train"]:
        lines.append('# validation = ["data/val.jsonl"]  # none found: `ftlint fix` can carve one')
    lines += [
        "",
        "# per-rule options and severities, keyed by rule name",
        "# [rules.too-few-examples]",
        "# warn-below = 1000",
        "",
    ]
    return "\n".join(lines)


def pre_commit_snippet() -> str:
    return (f"repos:\n"
            f"  - repo: {REPO_URL}\n"
            f"    rev: v{__version__}\n"
            f"    hooks:\n"
            f"      - id: ftlint\n")


def github_actions_snippet() -> str:
    return f"""name: ftlint
on:
  pull_request:
  push:
    branches: [main]

jobs:
  ftlint:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write   # upload-sarif
      actions: read            # upload-sarif, private repositories
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install "ftlint=={__version__}"
      - name: ftlint
        run: ftlint check --output-format github --report sarif:ftlint.sarif --report html:ftlint-report.html
      - name: Upload SARIF to code scanning
        if: always()
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: ftlint.sarif
          category: ftlint
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: ftlint-report
          path: ftlint-report.html
"""


def _protected(root: Path, found: Found) -> Protected:
    """What ``init`` must not write over: the datasets and training configs it found (and the files
    those name), and the other settings files. (An existing ``ftlint.toml`` itself is replaced with
    ``--force``: that is what it is asked to do.)"""
    protected = Protected()
    for split, files in found.datasets.items():
        protected.add_all((root / p for p, _ in files), f"a {split} dataset found in {root}")
    for plan in found.plans:
        protected.add_plan(plan)
    protected.add_all((root / name for name in (".ftlint.toml", "pyproject.toml") if (root / name).is_file()),
                      "a settings file")
    return protected


def init_project(root: Path, force: bool = False) -> str:
    """Write ``root/ftlint.toml`` (refusing to replace an existing one unless ``force``) and return
    what to print: what was found, and the pre-commit and GitHub Actions snippets."""
    target = root / SETTINGS_NAME
    if target.exists() and not force:
        raise UsageError("already exists; not overwriting it (use --force to replace it)",
                         str(target))
    hidden = root / ".ftlint.toml"
    found = discover(root)
    guard_output(target, _protected(root, found), f"the starter {SETTINGS_NAME}",
                 f"{SETTINGS_NAME} is a link to it: remove the link, then rerun `ftlint init`")
    text = starter_settings(found)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {SETTINGS_NAME}: {e.strerror or e}", str(target)) from None
    out = [f"wrote {target.as_posix()}"]
    for split in ("train", "validation", "test"):
        for p, why in found.datasets[split]:
            out.append(f"  {split:<10} {p.as_posix()} ({why})")
    for p, what in found.configs:
        out.append(f"  config     {p.as_posix()} ({what})")
    if not any(found.datasets.values()) and not found.configs:
        out.append("  found no dataset files or training config: edit [dataset] in it")
    if hidden.exists():
        out.append(f"note: {hidden.as_posix()} exists and takes precedence over {SETTINGS_NAME}")
    out += ["", "Run `ftlint check` here to lint everything it names.", "",
            "pre-commit (.pre-commit-config.yaml):", "", pre_commit_snippet(),
            "GitHub Actions (.github/workflows/ftlint.yml):", "", github_actions_snippet()]
    return "\n".join(out)
