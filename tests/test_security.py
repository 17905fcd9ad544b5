"""What ftlint reads is never executed: a local embedding model whose weights are only a pickle is
refused (safetensors only), so a planted pytorch_model.bin cannot run code."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from tests.test_relevance import _minilm_dir


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickled_model_file_is_not_loaded(tmp_path):
    from ftlint.features.embed import EmbedderUnavailable, load_transformer

    src = _minilm_dir()
    model = tmp_path / "model"
    shutil.copytree(src, model, ignore=shutil.ignore_patterns("*.safetensors"))
    marker = tmp_path / "executed"
    (model / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    assert not marker.exists()
    with pytest.raises(EmbedderUnavailable) as e:
        load_transformer(str(model))
    assert not marker.exists()
    assert "pickle" in e.value.fix and "cannot load embedding model" in e.value.reason
