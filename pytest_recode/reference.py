"""A reference "model" that answers from a problem set's canonical solutions, for trying the plugin offline.

``ReferenceModel`` recognises which problem a prompt comes from (the closest nominal or partial-code
prompt) and answers with that problem's reference solution, as a model that memorised the dataset would.
It is right on every nominal prompt and brittle in realistic ways under perturbation: a memorised solution
still calls the old function name after a rename, and still uses the old variable names after a variable
in the partial code was renamed. That makes it a useful demonstration and a fixture for tests; it is not a
code model.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence

from .models import GenerationConfig
from .problems import Problem, partial_variant

__all__ = ["ReferenceModel"]


class ReferenceModel:
    """Completes a prompt with the reference solution of the most similar known prompt."""

    def __init__(self, problems: Sequence[Problem], name: str = "reference") -> None:
        self._name = name
        self._answers: dict[str, str] = {}
        for problem in problems:
            for variant in (problem, partial_variant(problem)):
                if variant is not None:
                    self._answers.setdefault(variant.prompt, variant.canonical_solution)
        self._prompts = list(self._answers)

    @property
    def name(self) -> str:
        return self._name

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for prompt in self._prompts:
            digest.update(prompt.encode())
            digest.update(self._answers[prompt].encode())
        return f"reference:{digest.hexdigest()[:16]}"

    def _answer(self, prompt: str) -> str:
        exact = self._answers.get(prompt)
        if exact is not None:
            return exact
        best, best_score = "", -1.0
        for known in self._prompts:
            matcher = difflib.SequenceMatcher(None, prompt, known, autojunk=False)
            if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
                continue
            score = matcher.ratio()
            if score > best_score:
                best, best_score = known, score
        return self._answers[best] if best else ""

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        return [[self._answer(prompt)] * config.n for prompt in prompts]
