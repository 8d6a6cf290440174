"""Shrinking a failing perturbation to a 1-minimal one, a batch of candidates per model call.

A perturbation is a set of *atoms* (one edit of one transform of a composition). Delta debugging (ddmin)
looks for a smaller failing set: at granularity n it tries the n chunks of the current set and their
complements. Here every candidate of a round is judged in one batch, so a round costs one model call and
one sandbox call whatever its size (Hypothesis's own shrinker asks for one example at a time, which on a
GPU model costs a call per prompt). ddmin ends at granularity n = size, where the complements are "the
set with one edit removed": a set it returns is 1-minimal. A last round drops whole transforms of a
composition and tries every option lowered to 0 (the most natural replacement), checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..problems import Problem
from ..strategies import AnyPerturbation, Composition, recipe_steps
from ..transforms import Edit, NotApplicable, Perturbation, Site, Transform

__all__ = ["Atom", "ShrinkResult", "Shrinker", "atoms_of"]


@dataclass(frozen=True, order=True)
class Atom:
    """One edit of one step of a perturbation, identified by its site's place and text (so it can be found
    again when an earlier step of a composition changes and the later step's site indices move)."""

    step: int
    site: int
    option: int
    transform: str
    location: str
    original: str


def atoms_of(perturbation: AnyPerturbation, sites_of: Callable[[Transform | str, Problem], Sequence[Site]]) -> tuple[Atom, ...]:
    atoms = []
    for index, step in enumerate(recipe_steps(perturbation)):
        sites = sites_of(step.transform, step.nominal)
        atoms.extend(Atom(index, e.site, e.option, step.transform, sites[e.site].location, sites[e.site].original)
                     for e in step.edits)
    return tuple(atoms)


@dataclass(frozen=True)
class ShrinkResult:
    """The smallest failing perturbation found, whether it is proven 1-minimal, and the rounds it took."""

    perturbation: AnyPerturbation
    proven: bool
    rounds: int


#: Judges candidates in one batch: for each, whether it still fails.
Judge = Callable[[Sequence[AnyPerturbation]], list[bool]]


class Shrinker:
    """Shrinks perturbations of one baseline. ``judge`` evaluates a batch (one model call); ``exhausted``
    says when the prompt budget is spent (the smallest failure so far is then returned, unproven)."""

    def __init__(self, transform: Callable[[str], Transform], judge: Judge, exhausted: Callable[[], bool]) -> None:
        self._transform = transform
        self._judge = judge
        self._exhausted = exhausted
        self._sites: dict[tuple[str, Problem], tuple[Site, ...]] = {}
        self.rounds = 0

    def sites(self, transform: Transform | str, problem: Problem) -> tuple[Site, ...]:
        name = transform if isinstance(transform, str) else transform.name
        key = (name, problem)
        if key not in self._sites:
            self._sites[key] = self._transform(name).sites(problem)
        return self._sites[key]

    # -- building candidates ----------------------------------------------------------------------------
    def build(self, base: Problem, atoms: Sequence[Atom]) -> AnyPerturbation | None:
        """The perturbation made of ``atoms`` on ``base``, or None when it is empty or no longer applies."""
        current, steps = base, []
        for index in sorted({a.step for a in atoms}):
            mine = [a for a in atoms if a.step == index]
            transform = self._transform(mine[0].transform)
            sites = self.sites(transform, current)
            edits = {}
            for atom in mine:
                site = self._locate(atom, sites)
                if site is not None:
                    edits[site] = Edit(site, min(atom.option, len(sites[site].options) - 1))
            if not edits:
                continue
            result = transform.perturb_with(current, tuple(edits.values()))
            if isinstance(result, NotApplicable):
                return None
            steps.append(result)
            current = result.perturbed
        if not steps or current.prompt == base.prompt:
            return None
        return steps[0] if len(steps) == 1 else Composition(tuple(steps))

    @staticmethod
    def _locate(atom: Atom, sites: Sequence[Site]) -> int | None:
        if atom.site < len(sites) and sites[atom.site].location == atom.location \
                and sites[atom.site].original == atom.original:
            return atom.site
        # An earlier step of the composition changed (or was dropped): find the site by its place and text.
        for index, site in enumerate(sites):
            if site.location == atom.location and site.original == atom.original:
                return index
        return None

    def _fails(self, base: Problem, configs: Sequence[tuple[Atom, ...]]) -> list[bool]:
        built = [self.build(base, config) for config in configs]
        todo = [p for p in built if p is not None]
        self.rounds += 1
        verdicts = iter(self._judge(todo)) if todo else iter(())
        return [False if p is None else next(verdicts) for p in built]

    # -- delta debugging --------------------------------------------------------------------------------
    def _ddmin(self, base: Problem, atoms: tuple[Atom, ...]) -> tuple[tuple[Atom, ...], bool]:
        n = 2
        while len(atoms) >= 2:
            if self._exhausted():
                return atoms, False
            n = min(n, len(atoms))
            chunks = _split(atoms, n)
            complements = [tuple(a for a in atoms if a not in chunk) for chunk in chunks] if n > 2 else []
            results = self._fails(base, chunks + complements)
            failing_chunks = [c for c, bad in zip(chunks, results[: len(chunks)]) if bad]
            failing_complements = [c for c, bad in zip(complements, results[len(chunks):]) if bad]
            if failing_chunks:
                atoms, n = min(failing_chunks, key=len), 2
            elif failing_complements:
                atoms, n = failing_complements[0], max(n - 1, 2)
            elif n >= len(atoms):
                return atoms, True
            else:
                n = min(2 * n, len(atoms))
        return atoms, True

    def shrink(self, failing: AnyPerturbation) -> ShrinkResult:
        """A 1-minimal failing perturbation reached from ``failing`` (which must fail)."""
        base = failing.nominal
        atoms = atoms_of(failing, self.sites)
        proven = True
        while True:
            atoms, proven = self._ddmin(base, atoms)
            if not proven or self._exhausted():
                break
            step_drops = [tuple(a for a in atoms if a.step != s) for s in sorted({a.step for a in atoms})
                          if sum(a.step == s for a in atoms) > 1 and len({a.step for a in atoms}) > 1]
            lowered = tuple(replace(a, option=0) for a in atoms)
            tries = list(step_drops)
            if lowered != atoms:
                tries += [lowered, *_one_removed(lowered), *(
                    tuple(a for a in lowered if a.step != s) for s in sorted({a.step for a in lowered})
                    if len({a.step for a in lowered}) > 1)]
            if not tries:
                break
            results = self._fails(base, tries)
            dropped = next((t for t, bad in zip(step_drops, results) if bad), None)
            if dropped is not None:
                atoms = dropped
                continue
            if lowered != atoms and results[len(step_drops)]:
                smaller = next((t for t, bad in zip(tries[len(step_drops) + 1:], results[len(step_drops) + 1:])
                                if bad), None)
                atoms = lowered if smaller is None else smaller
                if smaller is None:
                    break
                continue
            break
        result = self.build(base, atoms)
        assert result is not None
        return ShrinkResult(result, proven, self.rounds)


def _split(atoms: tuple[Atom, ...], n: int) -> list[tuple[Atom, ...]]:
    size, extra = divmod(len(atoms), n)
    chunks, start = [], 0
    for index in range(n):
        end = start + size + (index < extra)
        chunks.append(atoms[start:end])
        start = end
    return [c for c in chunks if c]


def _one_removed(atoms: tuple[Atom, ...]) -> list[tuple[Atom, ...]]:
    return [atoms[:i] + atoms[i + 1:] for i in range(len(atoms))] if len(atoms) > 1 else []
