"""Function-name transforms: the entry point is renamed everywhere it is bound, and nowhere else."""

from __future__ import annotations

import abc
import re
from collections.abc import Sequence

from .._errors import TransformError
from ..problems import Problem
from ._base import Edit, Site, Transform
from ._rename import ParseFailure, identifiers, is_valid_new_name, rename_entry_point

__all__ = ["FuncRenameCamelCase", "FunctionNameTransform"]


class FunctionNameTransform(Transform):
    """Base of the function-name transforms: sites live in the name; applying them renames the function.

    Subclasses say which parts of the name can change (:meth:`name_sites`) and how the chosen edits
    make the new name (:meth:`new_name`); renaming, scope analysis and clash avoidance happen here.
    """

    category = "function_name"

    @abc.abstractmethod
    def name_sites(self, name: str) -> tuple[Site, ...]:
        """The sites inside the identifier ``name``."""

    @abc.abstractmethod
    def new_name(self, name: str, sites: Sequence[Site], edits: Sequence[Edit]) -> str:
        """The identifier that the chosen edits make of ``name``."""

    def _parse_error(self, problem: Problem) -> str | None:
        try:
            rename_entry_point(problem, problem.entry_point)
        except ParseFailure as exc:
            return str(exc)
        return None

    def sites(self, problem: Problem) -> tuple[Site, ...]:
        if self._parse_error(problem) is not None:
            return ()
        return self.name_sites(problem.entry_point)

    def not_applicable_reason(self, problem: Problem) -> str:
        error = self._parse_error(problem)
        if error is not None:
            return f"the program of {problem.task_id} {error}"
        return f"{self.name} has nothing to change in the name {problem.entry_point!r}"

    def apply(self, problem: Problem, edits: Sequence[Edit]) -> Problem:
        old = problem.entry_point
        new = self.new_name(old, self.name_sites(old), edits)
        if new == old:
            return problem
        taken = identifiers(problem.prompt, problem.canonical_solution, problem.test)
        if not new.isidentifier():
            raise TransformError(f"{self.name} made {new!r} of {old!r}, which is not an identifier")
        # A name that happens to clash with one in use (or a builtin) would change meaning; trailing
        # underscores keep the edit and make it unique.
        while not is_valid_new_name(new, taken):
            new += "_"
        try:
            return rename_entry_point(problem, new)
        except ParseFailure as exc:  # sites() said it parses; reaching this is a bug
            raise TransformError(f"{self.name} on {problem.task_id}: {exc}") from exc


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _camel_to_snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _snake_to_camel(name: str) -> str:
    stripped = name.strip("_")
    lead = name[: len(name) - len(name.lstrip("_"))]
    trail = name[len(name.rstrip("_")) :]
    words = [w for w in stripped.split("_") if w]
    camel = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return lead + camel + trail


class FuncRenameCamelCase(FunctionNameTransform):
    """``has_close_elements`` becomes ``hasCloseElements``; a camelCase name becomes snake_case."""

    name = "FuncRenameCamelCase"
    summary = "snake_case <-> camelCase"

    def _converted(self, name: str) -> str | None:
        core = name.strip("_")
        if "_" in core:
            converted = _snake_to_camel(name)
        elif _CAMEL_BOUNDARY.search(core):
            converted = _camel_to_snake(name)
        else:
            return None
        return converted if converted != name else None

    def name_sites(self, name: str) -> tuple[Site, ...]:
        converted = self._converted(name)
        if converted is None:
            return ()
        return (Site("function name", name, (converted,)),)

    def new_name(self, name: str, sites: Sequence[Site], edits: Sequence[Edit]) -> str:
        return sites[0].options[0] if edits else name
