"""Function-name transforms: the entry point is renamed everywhere it is bound, and nowhere else."""

from __future__ import annotations

import abc
import functools
import random
import re
from collections.abc import Sequence

from .._errors import TransformError
from ..problems import Problem
from ._base import Edit, Site, Transform, TransformConfig
from ._nl import Piece, Synonyms, inflections, neighbours, pos_tags, wordnet_missing
from ._rename import (
    ParseFailure,
    Span,
    entry_point_spans,
    free_name_spans,
    identifiers,
    is_valid_new_name,
    replace_spans,
)

__all__ = [
    "FuncRenameButterFinger",
    "FuncRenameCamelCase",
    "FuncRenameChangeChar",
    "FuncRenameInflectionalVariation",
    "FuncRenameSwapChar",
    "FuncRenameSynonymSub",
    "FunctionNameTransform",
]


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
        plan = _rename_plan(problem.prompt, problem.canonical_solution, problem.test, problem.entry_point)
        return plan if isinstance(plan, str) else None

    def sites(self, problem: Problem) -> tuple[Site, ...]:
        if self.unavailable() is not None or self._parse_error(problem) is not None:
            return ()
        return self.name_sites(problem.entry_point)

    def not_applicable_reason(self, problem: Problem) -> str:
        reason = self.unavailable()
        if reason is not None:
            return reason
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
        plan = _rename_plan(problem.prompt, problem.canonical_solution, problem.test, old)
        if isinstance(plan, str):  # sites() said it parses; reaching this is a bug
            raise TransformError(f"{self.name} on {problem.task_id}: {plan}")
        prompt_spans, solution_spans, test_spans = plan
        return problem.with_changes(
            prompt=replace_spans(problem.prompt, prompt_spans, new),
            canonical_solution=replace_spans(problem.canonical_solution, solution_spans, new),
            test=replace_spans(problem.test, test_spans, new),
            entry_point=new,
        )


@functools.lru_cache(maxsize=4096)
def _rename_plan(
    prompt: str, solution: str, test: str, entry_point: str
) -> tuple[tuple[Span, ...], tuple[Span, ...], tuple[Span, ...]] | str:
    """Where :func:`rename_entry_point` would put the new name, or why it cannot (the parse error).

    The spans do not depend on the new name, so every rename of a problem (six transforms, many seeds,
    Hypothesis examples) shares one scope analysis; the result is exactly ``rename_entry_point``'s.
    """
    program = prompt + solution
    try:
        spans = entry_point_spans(program, entry_point)
        # Most tests call `candidate`; only analyse those that mention the name at all.
        mentioned = re.search(rf"(?<![A-Za-z0-9_]){re.escape(entry_point)}(?![A-Za-z0-9_])", test)
        test_spans = tuple(free_name_spans(test, entry_point)) if mentioned else ()
    except ParseFailure as exc:
        return str(exc)
    cut = len(prompt)
    return (
        tuple(s for s in spans if s.end <= cut),
        tuple(Span(s.start - cut, s.end - cut) for s in spans if s.start >= cut),
        test_spans,
    )


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


# -- transforms with sites inside the name --------------------------------------------------------------

_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


class _SpanNameTransform(FunctionNameTransform):
    """A name transform whose sites are spans of the name (letters, letter pairs, words)."""

    @abc.abstractmethod
    def name_plan(self, name: str) -> list[tuple[Site, int, int]]:
        """Each site with the span ``[start, end)`` of ``name`` it replaces."""

    def name_sites(self, name: str) -> tuple[Site, ...]:
        return tuple(site for site, _, _ in self.name_plan(name))

    def new_name(self, name: str, sites: Sequence[Site], edits: Sequence[Edit]) -> str:
        plan = self.name_plan(name)
        chosen = sorted((plan[e.site][1], plan[e.site][2], plan[e.site][0].options[e.option]) for e in edits)
        pieces, last = [], 0
        for start, end, text in chosen:
            pieces.append(name[last:start])
            pieces.append(text)
            last = max(last, end)
        pieces.append(name[last:])
        return "".join(pieces)


def _name_letters(name: str) -> list[tuple[int, str]]:
    return [(i, ch) for i, ch in enumerate(name) if ch.isalpha() and ch.isascii()]


class FuncRenameButterFinger(_SpanNameTransform):
    """A keyboard-neighbour typo in the name: ``has_flose_elements``.

    Every letter is a site; a seeded variant makes one typo, as every renamed entry point in ReCode's
    released files has exactly one.
    """

    name = "FuncRenameButterFinger"
    randomized = True
    summary = "keyboard typo in the name"

    def name_plan(self, name: str) -> list[tuple[Site, int, int]]:
        return [(Site(f"name char {i}", ch, neighbours(ch)), i, i + 1)
                for i, ch in _name_letters(name) if neighbours(ch)]

    def sample(self, problem: Problem, rng: random.Random, sites: Sequence[Site]) -> tuple[Edit, ...]:
        site = rng.randrange(len(sites))
        return (Edit(site, rng.randrange(len(sites[site].options))),)


class FuncRenameChangeChar(_SpanNameTransform):
    """Flips the case of about a fifth of the name's letters: ``has_ClosE_elemEntS``.

    The rate is the one ReCode's released files show: 21% of the letters of HumanEval's names.
    """

    name = "FuncRenameChangeChar"
    randomized = True
    rate = 0.21
    summary = "flips letter case in the name"

    def name_plan(self, name: str) -> list[tuple[Site, int, int]]:
        return [(Site(f"name char {i}", ch, (ch.swapcase(),)), i, i + 1) for i, ch in _name_letters(name)]


class FuncRenameSwapChar(_SpanNameTransform):
    """Swaps adjacent letters of the name (about 5% of the pairs, one at least): ``has_close_eleemnts``."""

    name = "FuncRenameSwapChar"
    randomized = True
    rate = 0.05
    summary = "swaps adjacent characters in the name"

    def name_plan(self, name: str) -> list[tuple[Site, int, int]]:
        plan = []
        for i in range(len(name) - 1):
            pair = name[i : i + 2]
            if pair.isalpha() and pair.isascii() and pair[0] != pair[1]:
                plan.append((Site(f"name chars {i}-{i + 1}", pair, (pair[::-1],)), i, i + 2))
        return plan

    def new_name(self, name: str, sites: Sequence[Site], edits: Sequence[Edit]) -> str:
        # Swaps apply left to right, so neighbouring swaps move a letter two places instead of clashing.
        plan = self.name_plan(name)
        chars = list(name)
        for start in sorted(plan[e.site][1] for e in edits):
            chars[start], chars[start + 1] = chars[start + 1], chars[start]
        return "".join(chars)


_STOP_WORDS = frozenset(
    {"a", "an", "the", "of", "to", "in", "on", "by", "for", "at", "and", "or", "is", "are", "be", "has", "have",
     "do", "does", "if", "get", "set", "my", "fn", "func", "str", "int", "num", "nums", "arr", "lst", "dict"}
)


def _name_words(name: str) -> list[tuple[int, int, str]]:
    """The words of an identifier (split at underscores and case changes) with their spans."""
    return [(m.start(), m.end(), m.group()) for m in _NAME_WORD.finditer(name)]


def _identifier_part(word: str, template: str) -> str | None:
    """``word`` as a piece of an identifier, cased like ``template``; ``None`` when it cannot be one."""
    part = word.replace(" ", "_").replace("-", "_")
    if not part.replace("_", "").isalpha() or not part.isascii():
        return None
    if template[:1].isupper():
        return part[:1].upper() + part[1:]
    return part


class FuncRenameInflectionalVariation(_SpanNameTransform):
    """Re-inflects about half of the words of the name: ``has_close_elements`` -> ``had_close_element``."""

    name = "FuncRenameInflectionalVariation"
    randomized = True
    rate = 0.5
    summary = "re-inflects the words of the name"

    def name_plan(self, name: str) -> list[tuple[Site, int, int]]:
        # The words of the name read as a phrase ("has close elements"), each re-inflected within the part
        # of speech it has there, as ReCode tags and re-inflects them ("number" -> "numbers", not "numbered").
        words = _name_words(name)
        pieces = tuple(Piece("word", w.lower(), s, e, sentence_start=i == 0) for i, (s, e, w) in enumerate(words))
        plan = []
        for (start, end, word), tag in zip(words, pos_tags(pieces)):
            if len(word) < 2 or not tag.startswith(("NN", "VB", "JJ")):
                continue
            options = tuple(dict.fromkeys(o for f in inflections(word, tag) if (o := _identifier_part(f, word))))
            if options:
                plan.append((Site(f"name word {start}", word, options), start, end))
        return plan


class FuncRenameSynonymSub(_SpanNameTransform):
    """Replaces about half of the words of the name (one at least) by a WordNet synonym: ``eat`` -> ``consume``."""

    name = "FuncRenameSynonymSub"
    randomized = True
    rate = 0.5
    resources = ("WordNet",)
    summary = "replaces a word of the name by a synonym"

    def __init__(self, config: TransformConfig | None = None) -> None:
        super().__init__(config)
        self._synonyms = Synonyms(senses=2)
        self._plans: dict[str, list[tuple[Site, int, int]]] = {}

    def unavailable(self) -> str | None:
        return wordnet_missing()

    def name_plan(self, name: str) -> list[tuple[Site, int, int]]:
        if name not in self._plans:
            self._plans[name] = self._plan(name)
        return self._plans[name]

    def _plan(self, name: str) -> list[tuple[Site, int, int]]:
        plan = []
        for index, (start, end, word) in enumerate(_name_words(name)):
            if len(word) < 3 or word.lower() in _STOP_WORDS:
                continue
            found: list[str] = []
            # A name has no context: try every reading, the verb first for a leading word ("find_zero").
            readings = ("VB", "NN", "JJ", "RB") if index == 0 else ("NN", "JJ", "VB", "RB")
            for tag in readings:
                for synonym in self._synonyms(word.lower(), tag):
                    part = _identifier_part(synonym, word)
                    if part is not None and part.lower() != word.lower() and part not in found:
                        found.append(part)
            found.sort(key=lambda p: "_" in p)  # one-word synonyms first
            if found:
                plan.append((Site(f"name word {start}", word, tuple(found)), start, end))
        return plan
