"""The ``Problem`` record: one code-generation task in HumanEval's shape."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """One task: the model completes ``prompt``; ``test`` defines ``check(candidate)``.

    ``prompt + canonical_solution`` is a reference program that passes ``check(entry_point)``. For a
    partial-code variant (``partial=True``) the prompt also holds the first half of the reference body
    and ``canonical_solution`` holds the rest; see :func:`pytest_recode.problems.partial_variant`.
    """

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str
    dataset: str = "custom"
    partial: bool = False

    @property
    def reference_program(self) -> str:
        """The prompt completed by the canonical solution."""
        return self.prompt + self.canonical_solution

    def test_program(self, completion: str) -> str:
        """A program that defines the completed function, the tests, and calls ``check``."""
        return f"{self.prompt}{completion}\n\n{self.test}\n\ncheck({self.entry_point})\n"

    def with_changes(self, **changes: object) -> Problem:
        """A copy with the given fields replaced (the record itself is immutable)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
