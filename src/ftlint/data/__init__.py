"""Dataset loading, format detection and the uniform example view."""

from ftlint.data.dataset import Dataset, Malformed, SourceFile
from ftlint.data.load import SPLITS, infer_split, load_dataset_file

__all__ = ["SPLITS", "Dataset", "Malformed", "SourceFile", "infer_split", "load_dataset_file"]
