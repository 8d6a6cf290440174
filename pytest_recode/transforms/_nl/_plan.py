"""The machinery shared by docstring transforms: sites as spans of the prompt, and splicing edits in."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from ...problems import Problem
from .._base import Edit, Site, Transform
from ._tagger import pos_tags
from ._text import Piece, TextView, text_view

__all__ = ["DocstringTransform", "Planned"]

_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Planned:
    """A site and the span of the prompt it replaces (``start == end`` inserts)."""

    site: Site
    start: int
    end: int


class DocstringTransform(Transform):
    """Base of the docstring transforms: sites lie in the natural-language text of the entry point's docstring.

    Subclasses implement :meth:`plan`; every site replaces a span inside that text, so quotes, ``>>>``
    examples and everything outside the docstring stay byte for byte. Plans are cached per instance.
    """

    category = "docstring"

    def __init__(self, config: object = None) -> None:
        super().__init__(config)  # type: ignore[arg-type]
        self._plans: dict[tuple[str, str], tuple[Planned, ...]] = {}

    @abc.abstractmethod
    def plan(self, view: TextView) -> list[Planned]:
        """The sites of one docstring text, in text order."""

    @staticmethod
    def tags(view: TextView) -> tuple[str, ...]:
        """Part-of-speech tags of ``view.pieces``."""
        return pos_tags(view.pieces)

    def planned(self, problem: Problem) -> tuple[Planned, ...]:
        key = (problem.prompt, problem.entry_point)
        found = self._plans.get(key)
        if found is None:
            view = text_view(problem.prompt, problem.entry_point)
            found = tuple(self.plan(view)) if view is not None else ()
            if len(self._plans) >= _CACHE_SIZE:
                self._plans.clear()
            self._plans[key] = found
        return found

    def sites(self, problem: Problem) -> tuple[Site, ...]:
        if self.unavailable() is not None:
            return ()
        return tuple(p.site for p in self.planned(problem))

    def not_applicable_reason(self, problem: Problem) -> str:
        reason = self.unavailable()
        if reason is not None:
            return reason
        if text_view(problem.prompt, problem.entry_point) is None:
            return f"{problem.entry_point} in {problem.task_id} has no docstring (or the prompt does not parse)"
        return f"{self.name} finds nothing to change in the docstring text of {problem.task_id}"

    def apply(self, problem: Problem, edits: Sequence[Edit]) -> Problem:
        plan = self.planned(problem)
        checked = self.check_edits([p.site for p in plan], edits)
        if not checked:
            return problem
        return problem.with_changes(prompt=self.splice(problem.prompt, [(plan[e.site], e.option) for e in checked]))

    def splice(self, prompt: str, chosen: Sequence[tuple[Planned, int]]) -> str:
        """``prompt`` with each chosen site's span replaced by its chosen option, in one pass."""
        pieces: list[str] = []
        last = 0
        for planned, option in sorted(chosen, key=lambda c: (c[0].start, c[0].end)):
            pieces.append(prompt[last : planned.start])
            pieces.append(planned.site.options[option])
            last = max(last, planned.end)
        pieces.append(prompt[last:])
        return "".join(pieces)


def word_site(piece: Piece, options: Sequence[str], what: str = "word") -> Planned:
    return Planned(Site(f"docstring {what} at {piece.start}", piece.text, tuple(options)), piece.start, piece.end)
