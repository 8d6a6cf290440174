"""A reference "model" that answers from a problem set's canonical solutions, for trying the plugin offline.

``ReferenceModel`` recognises which problem a prompt comes from (the closest nominal or partial-code
prompt) and answers with that problem's reference solution, as a model that memorised the dataset would.
It is right on every nominal prompt and brittle in realistic ways under perturbation: a memorised solution
still calls the old function name after a rename, and still uses the old variable names after a variable
in the partial code was renamed. (It does follow the prompt's indentation style, as models do.) That makes it a useful demonstration and a fixture for tests; it is not a
code model.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence

from ..problems import Problem, partial_variant
from ._protocol import GenerationConfig

__all__ = ["ReferenceModel"]

_WORD = re.compile(r"\w+")
#: How many prompts, most alike by shared words, are compared character by character.
_SHORTLIST = 4


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def _indent_unit(text: str) -> str | None:
    """The whitespace of the first indented line: one level of the text's indentation."""
    for line in text.splitlines():
        if line.strip():
            lead = line[: len(line) - len(line.lstrip())]
            if lead:
                return lead
    return None


def _reindent(answer: str, known_prompt: str, prompt: str) -> str:
    """``answer`` (which continues ``known_prompt``) in the indentation unit of ``prompt``."""
    theirs, ours = _indent_unit(prompt), _indent_unit(known_prompt)
    if theirs is None or ours is None or theirs == ours:
        return answer
    lines = []
    for line in answer.splitlines(keepends=True):
        depth = 0
        while line.startswith(ours):
            line, depth = line[len(ours) :], depth + 1
        lines.append(theirs * depth + line)
    return "".join(lines)


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
        self._word_sets = [_words(p) for p in self._prompts]

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
        if not self._prompts:
            return ""
        # Shared words pick a shortlist cheaply; a character-level ratio decides among it.
        words = _words(prompt)
        overlap = [len(words & known) / (len(words | known) or 1) for known in self._word_sets]
        shortlist = sorted(range(len(self._prompts)), key=lambda i: -overlap[i])[:_SHORTLIST]
        best = max(
            shortlist,
            key=lambda i: difflib.SequenceMatcher(None, prompt, self._prompts[i], autojunk=False).ratio(),
        )
        # Like a model, it continues in the prompt's indentation style.
        known = self._prompts[best]
        return _reindent(self._answers[known], known, prompt)

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        return [[self._answer(prompt)] * config.n for prompt in prompts]
