"""Models with a planted robustness bug, for the search and shrinking tests and ``bench/shrinking.py``.

A planted model answers every prompt with the reference solution of the closest known problem (right on
every nominal prompt, and on every perturbation of HumanEval/0 these tests draw), except when one
specific perturbation is present in the prompt: then it answers ``return None``. Each bug knows the
transform and the number of edits of its smallest trigger, which is what shrinking must reach.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pytest_recode import GenerationConfig, Problem, ReferenceModel, load_problems

#: The problem every planted bug lives in, and a text only its prompts (perturbed or not) hold.
TASK_ID = "HumanEval/0"
_ITS_SIGNATURE = "(numbers: List[float], threshold: float) -> bool:"
WRONG = "    return None\n"


def _dead_code(prompt: str) -> bool:
    return any(mark in prompt for mark in ("if False", "while False", "range(0)", "_i_"))


@dataclass(frozen=True)
class PlantedBug:
    """``breaks(prompt)`` says when the model answers wrongly; ``transform`` and ``size`` are the smallest
    perturbation that makes it true."""

    name: str
    transform: str
    size: int
    breaks: Callable[[str], bool]
    #: A text the minimal perturbation's prompt diff must show.
    evidence: str


BUGS: tuple[PlantedBug, ...] = (
    PlantedBug("typo", "ButterFingersPerturbation", 1, lambda p: "closer" not in p, "-    \"\"\" Check if"),
    PlantedBug("camel_case", "FuncRenameCamelCase", 1, lambda p: "def hasCloseElements" in p,
               "+def hasCloseElements("),
    PlantedBug("while_loop", "ForWhileTransformer", 1, lambda p: "while True:" in p or "while idx" in p, "+    while"),
    PlantedBug("dead_code", "DeadCodeInserter", 1, _dead_code, "+"),
    PlantedBug("two_typos", "ButterFingersPerturbation", 2, lambda p: "closer" not in p and " other " not in p,
               "-    \"\"\" Check if"),
)
BUG_NAMES = tuple(bug.name for bug in BUGS)


def bug(name: str) -> PlantedBug:
    return next(b for b in BUGS if b.name == name)


class PlantedModel:
    """The reference model with one planted bug (``None``: no bug, a model robust to everything here)."""

    def __init__(self, planted: PlantedBug | None, problems: Sequence[Problem] | None = None) -> None:
        self.planted = planted
        self.reference = ReferenceModel(problems if problems is not None else load_problems("humaneval"))
        self.prompts_seen = 0
        self.calls = 0

    @property
    def name(self) -> str:
        return f"planted:{self.planted.name if self.planted else 'none'}"

    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.name}\0{self.reference.fingerprint()}".encode()).hexdigest()[:16]

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        self.calls += 1
        self.prompts_seen += len(prompts)
        answers = self.reference.complete(prompts, config)
        if self.planted is None:
            return answers
        return [[WRONG] * config.n if _ITS_SIGNATURE in p and self.planted.breaks(p) else a
                for p, a in zip(prompts, answers)]
