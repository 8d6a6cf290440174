"""Problems: the ``Problem`` record, dataset loaders and ReCode's partial-code variant."""

from ._loaders import DATASETS, MBPP_PATH_ENV, load_problems, read_jsonl
from ._partial import SPLIT_MARKER, join_at_marker, partial_variant, split_at_marker
from ._problem import Problem

__all__ = [
    "DATASETS",
    "MBPP_PATH_ENV",
    "SPLIT_MARKER",
    "Problem",
    "join_at_marker",
    "load_problems",
    "partial_variant",
    "read_jsonl",
    "split_at_marker",
]
