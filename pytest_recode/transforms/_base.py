"""What every transform is: sites it can touch, edits that choose among them, and the records they yield.

A transform is a pure function of a problem and a choice of edits. :meth:`Transform.sites` lists the places
it can change, each with its alternative replacements; :meth:`Transform.apply` applies a chosen subset. The
only randomness is in choosing the edits, which :meth:`Transform.sample` does from a seeded generator the
way ReCode does (so seeded variants are reproducible), and which Hypothesis strategies do by drawing
indices (so that shrinking means "fewer sites, earlier options": a smaller perturbation).
"""

from __future__ import annotations

import abc
import difflib
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from .._errors import InvalidArgument
from ..problems import Problem

__all__ = [
    "CATEGORIES",
    "Category",
    "Edit",
    "NotApplicable",
    "Perturbation",
    "Site",
    "Transform",
    "TransformConfig",
    "draw_sites",
    "parse_translation_models",
    "problem_rng",
]

Category = Literal["docstring", "function_name", "syntax", "format"]
#: The four categories, in ReCode's order.
CATEGORIES: tuple[Category, ...] = ("docstring", "function_name", "syntax", "format")


@dataclass(frozen=True)
class Site:
    """One place a transform can change, and the replacements it may put there.

    ``location`` says where, for people ("docstring word 7", "line 4"); ``original`` is the text there
    now; ``options`` are the replacements, the most natural first, so that shrinking towards option 0
    shrinks towards the least surprising edit.
    """

    location: str
    original: str
    options: tuple[str, ...] = ("",)


@dataclass(frozen=True, order=True)
class Edit:
    """A choice: replace site number ``site`` (an index into ``sites(...)``) by its option ``option``."""

    site: int
    option: int = 0


@dataclass(frozen=True)
class TransformConfig:
    """Settings of transforms that need outside resources; the defaults need none.

    ``translation_models`` are two local directories (English to German, German to English) for
    BackTranslation; ``masked_code_model`` is a local masked language model over code for VarRenamerCB.
    """

    translation_models: tuple[str, str] | None = None
    masked_code_model: str | None = None
    device: str = "cpu"


def parse_translation_models(text: str) -> tuple[str, str]:
    """``"EN_DE_DIR,DE_EN_DIR"`` as the pair :attr:`TransformConfig.translation_models` holds.

    One spelling for ``--recode-translation-models`` (pytest) and ``--translation-models`` (recode).
    """
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise InvalidArgument(
            f"translation models {text!r} must be two directories separated by a comma: EN_DE_DIR,DE_EN_DIR."
        )
    return parts[0], parts[1]


@dataclass(frozen=True)
class NotApplicable:
    """A transform has nothing to change in a problem (or cannot run here), and why."""

    transform: str
    task_id: str
    reason: str

    def __bool__(self) -> bool:  # lets callers write `if result:` for "a perturbation came out"
        return False


@dataclass(frozen=True)
class Perturbation:
    """The outcome of applying one transform to one problem with a given choice of edits."""

    transform: str
    category: Category
    edits: tuple[Edit, ...]
    nominal: Problem
    perturbed: Problem
    seed: int | None = None

    @property
    def size(self) -> int:
        """How many sites were changed: the measure that shrinking minimises."""
        return len(self.edits)

    @property
    def changed(self) -> bool:
        """Whether the prompt the model sees differs from the nominal one."""
        return self.perturbed.prompt != self.nominal.prompt

    def prompt_diff(self) -> str:
        """A unified diff from the nominal prompt to the perturbed one."""
        return "".join(
            difflib.unified_diff(
                self.nominal.prompt.splitlines(keepends=True),
                self.perturbed.prompt.splitlines(keepends=True),
                fromfile=f"{self.nominal.task_id} (nominal)",
                tofile=f"{self.nominal.task_id} ({self.transform})",
            )
        )

    def describe(self) -> str:
        """One line: the transform, its edits and, where known, the seed."""
        seed = f", seed={self.seed}" if self.seed is not None else ""
        edits = ", ".join(f"site {e.site}" + (f" option {e.option}" if e.option else "") for e in self.edits)
        return f"{self.transform}({edits or 'no edits'}{seed})"


def problem_rng(transform: str, task_id: str, seed: int) -> random.Random:
    """A generator private to (transform, problem, seed).

    ReCode reuses one seed per call, so its randomness is correlated across problems; hashing the three
    together gives every problem independent draws that are still reproducible.
    """
    digest = hashlib.sha256(f"{transform}\0{task_id}\0{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def draw_sites(rng: random.Random, rates: Sequence[float]) -> list[int]:
    """Indices ``i`` each drawn with probability ``rates[i]``, given that at least one is drawn.

    ReCode draws each site independently and so leaves some prompts unchanged by chance (a whole seed of
    FuncRenameSynonymSub changes nothing); a variant that perturbs nothing measures nothing. Drawing from
    the same distribution conditioned on a change keeps ReCode's strength among the prompts it changes:
    the first chosen index comes with its exact conditional probability, the later ones independently.
    """
    weights: list[float] = []
    untouched = 1.0  # the chance that no index before this one was drawn
    for rate in rates:
        weights.append(untouched * rate)
        untouched *= 1.0 - rate
    total = sum(weights)
    if total <= 0.0:
        return []
    point = rng.random() * total
    first = len(weights) - 1
    for index, weight in enumerate(weights):
        if point < weight:
            first = index
            break
        point -= weight
    return [first] + [i for i in range(first + 1, len(rates)) if rng.random() < rates[i]]


class Transform(abc.ABC):
    """A meaning-preserving perturbation of a problem, under ReCode's name.

    Subclasses set the class attributes and implement :meth:`sites` and :meth:`apply`. :meth:`sample`
    chooses edits as ReCode does (every site for deterministic transforms; a random subset, by the
    transform's rate, for randomized ones) and may be overridden.
    """

    #: ReCode's name for the transform (``"FuncRenameCamelCase"``).
    name: ClassVar[str]
    category: ClassVar[Category]
    #: Whether ReCode draws several seeded variants of it ([R] in RECODE.md).
    randomized: ClassVar[bool] = False
    #: Chance that :meth:`sample` picks each site, for randomized transforms.
    rate: ClassVar[float] = 1.0
    #: What it needs beyond the standard library: names shown by ``recode transforms``.
    resources: ClassVar[tuple[str, ...]] = ()
    #: One line for people.
    summary: ClassVar[str] = ""

    def __init__(self, config: TransformConfig | None = None) -> None:
        self.config = config if config is not None else TransformConfig()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- what subclasses implement -------------------------------------------------------------------
    @abc.abstractmethod
    def sites(self, problem: Problem) -> tuple[Site, ...]:
        """The places this transform can change in ``problem``; empty when there are none."""

    @abc.abstractmethod
    def apply(self, problem: Problem, edits: Sequence[Edit]) -> Problem:
        """``problem`` with the chosen edits applied. Pure: the same inputs give the same output."""

    def unavailable(self) -> str | None:
        """Why this transform cannot run here (a missing resource), or ``None`` when it can."""
        return None

    # -- provided ----------------------------------------------------------------------------------
    def not_applicable_reason(self, problem: Problem) -> str:
        """Why ``problem`` has no site; subclasses may say something more specific."""
        return f"{self.name} finds nothing to change in {problem.task_id}"

    def sample(self, problem: Problem, rng: random.Random, sites: Sequence[Site]) -> tuple[Edit, ...]:
        """Choose edits the way ReCode does: all sites, or each with probability :attr:`rate` (one at least)."""
        if not self.randomized:
            return tuple(Edit(i, 0) for i in range(len(sites)))
        chosen = draw_sites(rng, [self.rate] * len(sites))
        return tuple(Edit(i, rng.randrange(len(sites[i].options))) for i in chosen)

    def check_edits(self, sites: Sequence[Site], edits: Sequence[Edit]) -> tuple[Edit, ...]:
        """Validate edits against ``sites``: sorted, unique sites, options in range."""
        checked = tuple(sorted(edits))
        for edit in checked:
            if not 0 <= edit.site < len(sites):
                raise InvalidArgument(f"edit={edit!r} names site {edit.site}, but {self.name} found {len(sites)}.")
            if not 0 <= edit.option < len(sites[edit.site].options):
                raise InvalidArgument(
                    f"edit={edit!r} names option {edit.option}, but site {edit.site} has "
                    f"{len(sites[edit.site].options)}."
                )
        if len({e.site for e in checked}) != len(checked):
            raise InvalidArgument(f"edits={list(edits)!r} name the same site twice.")
        return checked

    def _sites_or_reason(self, problem: Problem) -> tuple[Site, ...] | NotApplicable:
        reason = self.unavailable()
        if reason is not None:
            return NotApplicable(self.name, problem.task_id, reason)
        sites = self.sites(problem)
        if not sites:
            return NotApplicable(self.name, problem.task_id, self.not_applicable_reason(problem))
        return sites

    def perturb_with(
        self, problem: Problem, edits: Sequence[Edit], *, seed: int | None = None
    ) -> Perturbation | NotApplicable:
        """Apply chosen edits and wrap the result as a :class:`Perturbation`."""
        sites = self._sites_or_reason(problem)
        if isinstance(sites, NotApplicable):
            return sites
        checked = self.check_edits(sites, edits)
        return Perturbation(self.name, self.category, checked, problem, self.apply(problem, checked), seed)

    def perturb(self, problem: Problem, seed: int = 0) -> Perturbation | NotApplicable:
        """ReCode's seeded variant number ``seed`` of ``problem`` (independent across problems)."""
        sites = self._sites_or_reason(problem)
        if isinstance(sites, NotApplicable):
            return sites
        edits = self.check_edits(sites, self.sample(problem, problem_rng(self.name, problem.task_id, seed), sites))
        return Perturbation(self.name, self.category, edits, problem, self.apply(problem, edits), seed)
