"""Models for the ``recode run`` tests, named on the command line as ``python:run_models:NAME``.

Not a test module: the tests put this folder on ``sys.path`` (pytest does, for the tests in it) or on
``PYTHONPATH`` (for a ``recode`` subprocess).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from pathlib import Path

from pytest_recode import GenerationConfig, ReferenceModel, load_problems
from pytest_recode.problems import read_jsonl


@functools.lru_cache(maxsize=None)
def _reference(dataset: str) -> ReferenceModel:
    return ReferenceModel(load_problems(dataset))


class Reference:
    """ReferenceModel over a dataset, loaded on first use."""

    def __init__(self, dataset: str, name: str) -> None:
        self.dataset, self.name = dataset, name

    def fingerprint(self) -> str:
        return f"{self.name}:{_reference(self.dataset).fingerprint()}"

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        return _reference(self.dataset).complete(prompts, config)


class Slow(Reference):
    """The reference model, ``RECODE_TEST_DELAY`` seconds per call (default 0.5): slow enough to be killed
    half way."""

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        time.sleep(float(os.environ.get("RECODE_TEST_DELAY", "0.5")))
        return super().complete(prompts, config)


class NoTabs(Reference):
    """The reference model, except that it answers nothing useful to a prompt indented with tabs: a model
    whose robustness to the format category dropped."""

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        answers = super().complete(prompts, config)
        return [["\tpass\n"] * config.n if "\n\t" in p else a for p, a in zip(prompts, answers)]


#: Transforms that need no WordNet (it takes seconds to load), one or two per category.
TRANSFORMS = ["ButterFingersPerturbation", "FuncRenameCamelCase", "VarRenamerNaive", "tab_indent", "new_lines"]
#: The arguments of a small, quick run over six built-in problems.
SMALL = ["--dataset", "builtin", "--limit", "6", "--seeds", "2", "--workers", "1", "--no-cache", "--no-progress",
         *(arg for name in TRANSFORMS for arg in ("--transform", name))]

class Released:
    """Answers every prompt of ReCode's released files (and of their nominal problems) with that row's own
    reference solution, by exact lookup: what a model that solves every problem would write. Where such a
    model fails a variant, ReCode's perturbation broke the problem."""

    name = "released-answers"

    @functools.cached_property
    def answers(self) -> dict[str, str]:
        from shared_data import SHARED_DATA

        found: dict[str, str] = {}
        files = sorted(Path(SHARED_DATA, "recode-reference").rglob("*.jsonl"))
        for path in files:
            for problem in read_jsonl(path):
                found.setdefault(problem.prompt, problem.canonical_solution)
        for problem in load_problems("humaneval"):
            found.setdefault(problem.prompt, problem.canonical_solution)
        return found

    def fingerprint(self) -> str:
        return "released-answers:1"

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        return [[self.answers.get(p, "")] * config.n for p in prompts]


builtin = Reference("builtin", "builtin-reference")
released = Released()
slow = Slow("builtin", "builtin-reference")  # the same fingerprint: a killed slow run resumes with the cache
no_tabs = NoTabs("builtin", "builtin-no-tabs")
