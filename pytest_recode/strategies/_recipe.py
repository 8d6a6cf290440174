"""Compositions of perturbations, and recipes: the text that replays a perturbation exactly.

A :class:`Recipe` names the transforms and the edits of a perturbation (``ButterFingersPerturbation[12]``,
``ButterFingersPerturbation[3,12.1]+FuncRenameCamelCase[0]``: site indices, ``.option`` where the option
is not 0), so that it can be stored (the example database), printed (the replay line) and applied again to
the same problem. It depends only on the transforms' sites, never on Hypothesis's internal choice
sequences, so it outlives Hypothesis upgrades.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._errors import InvalidArgument
from ..problems import Problem, partial_variant
from ..transforms import PARTIAL_CODE_CATEGORIES, TRANSFORM_NAMES, Edit, NotApplicable, Perturbation, Transform, baseline

__all__ = ["AnyPerturbation", "Composition", "Recipe", "RecipeStep", "recipe_steps"]


@dataclass(frozen=True)
class Composition:
    """Several perturbations applied one after the other: each step perturbs the previous step's output.

    It reads like a :class:`~pytest_recode.Perturbation` (``transform``, ``category``, ``nominal``,
    ``perturbed``, ``size``, ``prompt_diff()``, ``describe()``) with the transforms' names joined by ``+``.
    """

    steps: tuple[Perturbation, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidArgument("a composition needs at least one step.")
        for before, after in zip(self.steps, self.steps[1:]):
            if after.nominal != before.perturbed:
                raise InvalidArgument(f"step {after.transform} does not start where {before.transform} ended.")

    @property
    def transform(self) -> str:
        return "+".join(step.transform for step in self.steps)

    @property
    def category(self) -> str:
        return "+".join(dict.fromkeys(step.category for step in self.steps))

    @property
    def nominal(self) -> Problem:
        return self.steps[0].nominal

    @property
    def perturbed(self) -> Problem:
        return self.steps[-1].perturbed

    @property
    def seed(self) -> None:
        return None

    @property
    def size(self) -> int:
        return sum(step.size for step in self.steps)

    @property
    def changed(self) -> bool:
        return self.perturbed.prompt != self.nominal.prompt

    def prompt_diff(self) -> str:
        whole = Perturbation(self.transform, self.steps[0].category, (), self.nominal, self.perturbed)
        return whole.prompt_diff()

    def describe(self) -> str:
        return " + ".join(step.describe() for step in self.steps)


#: What the strategies draw and the pipeline judges: one transform's perturbation, or a composition.
AnyPerturbation = Perturbation | Composition


@dataclass(frozen=True)
class RecipeStep:
    """One transform and the edits it applies."""

    transform: str
    edits: tuple[Edit, ...]

    def text(self) -> str:
        edits = ",".join(f"{e.site}" + (f".{e.option}" if e.option else "") for e in self.edits)
        return f"{self.transform}[{edits}]"


_STEP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\[(?P<edits>[0-9.,\s]*)\]$")
_EDIT = re.compile(r"^(?P<site>\d+)(?:\.(?P<option>\d+))?$")
_EXAMPLE = "ButterFingersPerturbation[3,12.1]+FuncRenameCamelCase[0]"


@dataclass(frozen=True)
class Recipe:
    """A perturbation as text-able data: its steps, and its baseline.

    ``partial`` says which problem the first step perturbs: ``None`` for the first transform's usual
    baseline (:func:`~pytest_recode.transforms.baseline`), ``True`` for the partial-code variant, ``False``
    for the whole problem (written ``partial:`` / ``full:`` before the steps).
    """

    steps: tuple[RecipeStep, ...]
    partial: bool | None = None

    @classmethod
    def of(cls, perturbation: AnyPerturbation) -> Recipe:
        """The recipe that replays ``perturbation`` on its problem."""
        steps = perturbation.steps if isinstance(perturbation, Composition) else (perturbation,)
        first = steps[0]
        if first.category in PARTIAL_CODE_CATEGORIES:  # usually partial code, or the whole problem if none
            usual = first.nominal.partial or partial_variant(first.nominal) is None
        else:
            usual = not first.nominal.partial
        partial = None if usual else first.nominal.partial
        return cls(tuple(RecipeStep(s.transform, tuple(s.edits)) for s in steps), partial)

    @property
    def size(self) -> int:
        return sum(len(step.edits) for step in self.steps)

    def text(self) -> str:
        prefix = {None: "", True: "partial:", False: "full:"}[self.partial]
        return prefix + "+".join(step.text() for step in self.steps)

    def __str__(self) -> str:
        return self.text()

    @classmethod
    def parse(cls, text: str) -> Recipe:
        """The recipe a :meth:`text` wrote; raises :class:`~pytest_recode.InvalidArgument` naming the problem."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument(f"recipe={text!r}: expected steps like {_EXAMPLE!r}.")
        body, partial = text.strip(), None
        for prefix, value in (("partial:", True), ("full:", False)):
            if body.startswith(prefix):
                body, partial = body[len(prefix):], value
        steps = []
        for part in body.split("+"):
            match = _STEP.match(part.strip())
            if match is None:
                raise InvalidArgument(f"recipe={text!r}: {part.strip()!r} is not a step like {_EXAMPLE!r}.")
            name = match["name"]
            if name not in TRANSFORM_NAMES:
                from difflib import get_close_matches

                close = get_close_matches(name, TRANSFORM_NAMES, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise InvalidArgument(f"recipe={text!r}: {name!r} is not a transform.{hint}")
            edits = []
            for item in filter(None, (e.strip() for e in match["edits"].split(","))):
                edit = _EDIT.match(item)
                if edit is None:
                    raise InvalidArgument(f"recipe={text!r}: edit {item!r} must be SITE or SITE.OPTION.")
                edits.append(Edit(int(edit["site"]), int(edit["option"] or 0)))
            if not edits:
                raise InvalidArgument(f"recipe={text!r}: step {name} names no edit.")
            steps.append(RecipeStep(name, tuple(sorted(edits))))
        return cls(tuple(steps), partial)

    def base(self, problem: Problem, first: Transform) -> Problem | NotApplicable:
        """The problem the first step perturbs."""
        if self.partial is None:
            return baseline(problem, first.category)
        if not self.partial:
            return problem
        variant = partial_variant(problem)
        if variant is None:
            return NotApplicable(first.name, problem.task_id, "no partial-code variant (the body is a single line)")
        return variant

    def apply(self, problem: Problem, transform: Callable[[str], Transform]) -> AnyPerturbation | NotApplicable:
        """The perturbation this recipe describes, on ``problem`` (its whole, nominal form).

        ``transform`` gives the instance of a transform by name (e.g. a context's, to share its caches).
        Edits that name a site or option the problem does not have raise :class:`~pytest_recode.InvalidArgument`.
        """
        first = transform(self.steps[0].transform)
        current = self.base(problem, first)
        if isinstance(current, NotApplicable):
            return current
        done: list[Perturbation] = []
        for step in self.steps:
            result = transform(step.transform).perturb_with(current, step.edits)
            if isinstance(result, NotApplicable):
                return result
            done.append(result)
            current = result.perturbed
        return done[0] if len(done) == 1 else Composition(tuple(done))


def recipe_steps(perturbation: AnyPerturbation) -> Sequence[Perturbation]:
    """The single-transform steps of a perturbation (itself, for a plain one)."""
    return perturbation.steps if isinstance(perturbation, Composition) else (perturbation,)
