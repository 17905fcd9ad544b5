"""Texts handed to pyarrow's RE2 kernels without pyarrow importing pandas (issue 12, part 6: FT503,
FT701 and FT702 paid ~45 MiB of pandas for ``pa.array`` / ``to_numpy`` asking about pandas)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ftlint.features.text import arrow_ints, arrow_strings


def test_arrow_strings_equal_pa_array() -> None:
    texts = ["plain", "", "caf\u00e9 \u4e2d\u6587 \U0001f600", "x" * 1000]
    got = arrow_strings(texts)
    assert got.type == pa.large_string() and got.null_count == 0
    assert got.equals(pa.array(texts, pa.large_string()))
    assert arrow_strings([]).equals(pa.array([], pa.large_string()))


def test_arrow_strings_replace_lone_surrogates_and_keep_nulls() -> None:
    bad = "bad \ud800 end"  # as the callers did: each byte of the surrogate's UTF-8 form replaced
    replaced = bad.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert arrow_strings(["ok", bad]).to_pylist() == ["ok", replaced]
    assert arrow_strings(["a", None]).to_pylist() == ["a", None]


def test_arrow_ints_read_the_buffer() -> None:
    arr = pc.count_substring_regex(arrow_strings(["a a", "b", "aaa", "a"]), "a")
    np.testing.assert_array_equal(arrow_ints(arr), [2, 0, 3, 1])
    np.testing.assert_array_equal(arrow_ints(arr.slice(1, 2)), [0, 3])
    with_null = pa.array([1, None, 3], pa.int64())
    assert arrow_ints(with_null).tolist()[0] == 1  # through to_numpy


def test_term_counts_and_pii_scan_do_not_import_pandas() -> None:
    code = (
        "import sys\n"
        "from ftlint.features.lexicons import builtin_lexicons, count_terms\n"
        "from ftlint.features.pii import scan_texts\n"
        "texts = ['she said he would call', 'my email is maria.lopez@outlook.com thanks'] * 300\n"
        "lex = next(iter(builtin_lexicons().values()))\n"
        "counts = count_terms(texts, lex)\n"
        "hits = scan_texts(texts)\n"
        "assert sum(int(c.sum()) for c in counts.values()) > 0, counts\n"
        "assert len(hits) == 300, len(hits)\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
