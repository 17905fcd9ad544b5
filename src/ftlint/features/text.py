"""The one text normaliser, and the text views built on it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

#: the CJK and Hangul character ranges (a regular-expression character-class body): Han, kana, Hangul
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"


def normalize(text: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed to single spaces, stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def arrow_strings(texts: Sequence[Any]) -> Any:
    """``texts`` as a pyarrow ``large_string`` array for pyarrow's RE2 kernels. Text that is not
    valid UTF-8 (lone surrogates) gets U+FFFD in its place. An all-``str`` input is laid out from
    its UTF-8 bytes directly (``Array.from_buffers``): ``pa.array`` would import pandas (~45 MiB
    resident) only to ask whether the input is a pandas object; anything else (None: null) goes
    through ``pa.array``."""
    import numpy as np
    import pyarrow as pa

    if all(type(t) is str for t in texts):
        encoded = []
        for t in texts:
            try:
                encoded.append(t.encode("utf-8"))
            except UnicodeEncodeError:
                encoded.append(t.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8"))
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        data = b"".join(encoded)
        del encoded
        return pa.Array.from_buffers(pa.large_string(), len(texts), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    try:
        return pa.array(texts, pa.large_string())
    except (pa.ArrowException, UnicodeEncodeError, TypeError):
        return pa.array([t.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for t in texts],
                        pa.large_string())


def arrow_ints(arr: Any) -> Any:
    """A pyarrow integer array without nulls as a numpy array, read from its buffer (pyarrow's own
    ``to_numpy`` imports pandas first); anything else through ``to_numpy``."""
    import numpy as np
    import pyarrow as pa

    dtypes = {pa.int32(): np.int32, pa.int64(): np.int64, pa.uint32(): np.uint32, pa.uint64(): np.uint64}
    dtype = dtypes.get(arr.type) if isinstance(arr, pa.Array) and arr.null_count == 0 else None
    if dtype is None:
        return arr.to_numpy(zero_copy_only=False)
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr) + arr.offset)[arr.offset:]
