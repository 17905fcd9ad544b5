"""examples/quickstart.ipynb: executed headless (nbclient, a kernel on this interpreter) on a copy
of examples/, and kept without outputs in the repository."""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOK = EXAMPLES / "quickstart.ipynb"


def test_the_repository_copy_has_no_outputs() -> None:
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    for c in code:
        assert c.outputs == [] and c.execution_count is None, f"{c.id}: outputs not stripped"
    # nothing of a run in the notebook's metadata either (widget state, a kernel's python path)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    assert nb.metadata.kernelspec.name == "python3"


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return output.get("data", {}).get("text/plain", "")


def test_the_notebook_runs_headless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
    pytest.importorskip("ipykernel", reason="ipykernel is in the test extra")
    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns(".ftlint_cache", "report*"))
    # a kernel that runs this interpreter (the venv's python and its ftlint), found through
    # JUPYTER_PATH; jupyter's runtime and IPython's profile files stay in tmp_path
    spec = tmp_path / "jupyter" / "kernels" / "ftlint-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "ftlint test", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")

    nb = nbformat.read(work / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="ftlint-test", timeout=120,
                                     resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails

    outputs = {c.id: c.outputs for c in nb.cells if c.cell_type == "code"}
    assert all(o for o in outputs.values()), "every code cell shows something"
    errors = [o for outs in outputs.values() for o in outs if o.output_type == "error"]
    assert not errors

    # the report cell: the HTML report inline, in an iframe
    (shown,) = [o for o in outputs["cell-04"] if o.output_type == "execute_result"]
    inline = shown.data["text/html"]
    assert inline.startswith("<iframe") and "srcdoc=" in inline
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', inline).group(1))
    assert page.lstrip().lower().startswith("<!doctype html>") and "FT201" in page
    assert shown.data["text/plain"].startswith("<ftlint Report: 9 findings (5 error, 3 warning, 1 info")
    # the findings listed, the duplicates' rows, the DataFrame, the JSON summary, the exit codes
    listing = "".join(_text(o) for o in outputs["cell-06"])
    assert re.search(r"error +FT001 +chat-mistakes/train.jsonl:36", listing)
    assert "(7," in "".join(_text(o) for o in outputs["cell-07"])
    table = "".join(o.get("data", {}).get("text/html", "") for o in outputs["cell-09"])
    assert "<table" in table and "FT201" in table and "train.yaml" in table
    assert "'error': 5" in "".join(_text(o) for o in outputs["cell-12"])
    assert "(1, 0)" in "".join(_text(o) for o in outputs["cell-13"])
    assert "(0, 0)" in "".join(_text(o) for o in outputs["cell-15"])
    assert "FT201" in "".join(o.get("data", {}).get("text/plain", "") for o in outputs["cell-16"])
    assert "InputError - " in "".join(_text(o) for o in outputs["cell-18"])
    # the repository's copy is untouched
    assert all(c.outputs == [] for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
