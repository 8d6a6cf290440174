"""A model repository's robustness suite: each test runs once per built-in problem and checks the model
against perturbed prompts. Point it at a real model with ``pytest examples/ --recode-model=PATH``."""

from __future__ import annotations

from pytest_recode import recode_robust


@recode_robust(dataset="builtin", categories=["function_name"], mode="robust_pass", seeds=2)
def test_function_name_robustness(recode_case):
    """The model must still solve a problem when its function is renamed."""
    recode_case.check()


@recode_robust(dataset="builtin", categories=["docstring"], max_examples=10)
def test_docstring_robustness(recode_case):
    """Typos, synonyms and tense changes in the docstring must not change what the completion computes."""
    recode_case.check()


@recode_robust(dataset="builtin", categories=["syntax", "format"], max_examples=12)
def test_partial_code_robustness(recode_case):
    """Renamed variables, rewritten loops and reformatted partial code must not change the completion's
    behaviour."""
    recode_case.check()
