"""Helpers for testing the plugin with pytester: a tiny dataset and a conftest choosing a model."""

from __future__ import annotations

import json

import pytest

RECURSIVE = {
    "task_id": "tiny/0",
    "entry_point": "sum_digits",
    "prompt": 'def sum_digits(n: int) -> int:\n    """Sum of the decimal digits of n.\n    >>> sum_digits(123)\n'
              '    6\n    """\n',
    "canonical_solution": "    if n < 10:\n        return n\n    return n % 10 + sum_digits(n // 10)\n",
    "test": "def check(candidate):\n    assert candidate(123) == 6\n    assert candidate(0) == 0\n"
            "    assert candidate(99) == 18\n",
}
ITERATIVE = {
    "task_id": "tiny/1",
    "entry_point": "count_evens",
    "prompt": 'def count_evens(values: list) -> int:\n    """How many of the values are even.\n'
              '    >>> count_evens([1, 2, 4])\n    2\n    """\n',
    "canonical_solution": "    total = 0\n    for value in values:\n        if value % 2 == 0:\n"
                          "            total += 1\n    return total\n",
    "test": "def check(candidate):\n    assert candidate([1, 2, 4]) == 2\n    assert candidate([]) == 0\n"
            "    assert candidate([3, 5]) == 0\n",
}
ONE_WORD = {
    "task_id": "tiny/2",
    "entry_point": "double",
    "prompt": 'def double(x: int) -> int:\n    """Twice x.\n    >>> double(2)\n    4\n    """\n',
    "canonical_solution": "    return 2 * x\n",
    "test": "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(0) == 0\n"
            "    assert candidate(-3) == -6\n",
}
TINY = [RECURSIVE, ITERATIVE, ONE_WORD]

REFERENCE_CONFTEST = """
from pytest_recode import ReferenceModel, load_problems

def pytest_recode_load_model(config, settings):
    if settings.model is not None:
        return None
    return ReferenceModel(load_problems("tiny.jsonl"))
"""


@pytest.fixture
def tiny_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester directory with tiny.jsonl (3 problems) and a conftest choosing the reference model."""
    pytester.path.joinpath("tiny.jsonl").write_text("".join(json.dumps(row) + "\n" for row in TINY))
    pytester.makeconftest(REFERENCE_CONFTEST)
    pytester.makeini("[pytest]\nrecode_sandbox = subprocess\n")
    return pytester
