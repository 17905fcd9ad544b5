"""Every rule case gives exactly the same result under another BLAS kernel and one thread.

The scores behind the rankings (similarities, classifier scores, projections) come from matrix
products whose last bits differ with OpenBLAS's kernel (Haswell, SkylakeX, Zen, Prescott...) and
thread count; ftlint computes them in float64 and rounds them before it sorts or compares
(``features.drift.SCORE_DECIMALS``). This test reruns every YAML rule case in a subprocess that
forces the old Prescott kernel on one thread and requires the same findings, rows, order,
messages and metrics as this process, which runs the machine's own kernel.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from ftlint.testing import dump_case_results

SRC = Path(__file__).resolve().parents[2] / "src"
FORCED = {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
          "MKL_NUM_THREADS": "1"}
CHILD = """
import json, sys
import numpy, scipy.linalg
from threadpoolctl import threadpool_info
from ftlint.testing import dump_case_results
kernels = sorted({str(i.get("architecture")) for i in threadpool_info() if i.get("internal_api") == "openblas"})
json.dump({"kernels": kernels, "results": dump_case_results()}, sys.stdout)
"""


def _kernels() -> list[str]:
    import scipy.linalg  # noqa: F401 - load scipy's BLAS too
    from threadpoolctl import threadpool_info

    return sorted({str(i.get("architecture")) for i in threadpool_info() if i.get("internal_api") == "openblas"})


def test_rule_cases_agree_under_another_blas_kernel_and_one_thread() -> None:
    env = dict(os.environ, **FORCED)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, text=True)
    try:
        here = dump_case_results()  # meanwhile, in this process: the machine's own kernel and threads
        out, err = child.communicate(timeout=900)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err[-3000:]
    there: dict[str, Any] = json.loads(out)
    if platform.machine().lower() in ("x86_64", "amd64") and there["kernels"] and _kernels():
        assert there["kernels"] != _kernels(), "the subprocess did not run another OpenBLAS kernel"
    assert [r["case"] for r in there["results"]] == [r["case"] for r in here]
    differ = [a["case"] for a, b in zip(here, there["results"]) if a != b]
    assert not differ, (f"{len(differ)} rule case(s) give another result with {FORCED} (kernels "
                        f"{there['kernels']} vs {_kernels()} here): {differ[:5]}")
    assert sum(1 for r in here if r["findings"]) >= 50  # real findings were compared, not only skips
