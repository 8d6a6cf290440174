"""Docstring transforms: typos, case flips, whitespace, inflections, synonyms and tense in the docstring text.

Every site lies in the natural-language text of the entry point's docstring (before the first ``>>>``
example, or all of it when there is none) and outside protected identifiers, quoted values and code;
see :mod:`pytest_recode.transforms._nl`. Randomized transforms choose sites at ReCode's densities
(:attr:`Transform.rate`); the tense transforms are deterministic and change every finite verb.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ..problems import Problem
from ._base import Edit, Site, draw_sites
from ._nl import (
    DocstringTransform,
    Planned,
    Synonyms,
    TextView,
    inflections,
    match_case,
    neighbours,
    tense_edits,
    wordnet_missing,
)
from ._nl._plan import word_site

__all__ = [
    "ButterFingersPerturbation",
    "ChangeCharCase",
    "EnglishInflectionalVariation",
    "SwapCharactersPerturbation",
    "SynonymInsertion",
    "SynonymSubstitution",
    "TenseTransformationFuture",
    "TenseTransformationPast",
    "WhitespacePerturbation",
]


def _letters(view: TextView) -> list[tuple[int, str]]:
    """(prompt offset, letter) of every letter of every editable word."""
    return [(w.start + i, ch) for w in view.words for i, ch in enumerate(w.text) if ch.isalpha()]


class ButterFingersPerturbation(DocstringTransform):
    """Keyboard-neighbour typos in about 5% of the letters: "each other" -> "eaxh othxr"."""

    name = "ButterFingersPerturbation"
    randomized = True
    rate = 0.05
    summary = "keyboard-neighbour typos, ~5% of letters"

    def plan(self, view: TextView) -> list[Planned]:
        return [
            Planned(Site(f"docstring char {at}", ch, neighbours(ch)), at, at + 1)
            for at, ch in _letters(view)
            if neighbours(ch)
        ]


class ChangeCharCase(DocstringTransform):
    """Flips the case of about a quarter of the letters: "CheCk if in Given list".

    ReCode's nominal rate is 0.35; its released files flip 27% of the docstring letters, and so do we.
    """

    name = "ChangeCharCase"
    randomized = True
    rate = 0.27
    summary = "flips the case of ~27% of letters"

    def plan(self, view: TextView) -> list[Planned]:
        return [Planned(Site(f"docstring char {at}", ch, (ch.swapcase(),)), at, at + 1) for at, ch in _letters(view)]


class SwapCharactersPerturbation(DocstringTransform):
    """Swaps about 5% of adjacent letter pairs inside words: "each" -> "eahc".

    Site ``k`` swaps the letters at positions ``k`` and ``k + 1`` of a word; chosen sites apply left to
    right, so two neighbouring swaps move a letter two places, as ReCode's sequential swaps do.
    """

    name = "SwapCharactersPerturbation"
    randomized = True
    rate = 0.05
    summary = "swaps adjacent characters, ~5%"

    def plan(self, view: TextView) -> list[Planned]:
        planned = []
        for word in view.words:
            for i in range(len(word.text) - 1):
                pair = word.text[i : i + 2]
                if pair.isalpha() and pair[0] != pair[1]:
                    at = word.start + i
                    planned.append(Planned(Site(f"docstring chars {at}-{at + 1}", pair, (pair[::-1],)), at, at + 2))
        return planned

    def splice(self, prompt: str, chosen: Sequence[tuple[Planned, int]]) -> str:
        chars = list(prompt)
        for planned, _ in sorted(chosen, key=lambda c: c[0].start):
            at = planned.start
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        return "".join(chars)


class WhitespacePerturbation(DocstringTransform):
    """Deletes spaces between words (p = 0.1) and inserts spaces inside words (p = 0.05): "otherthan".

    Spaces next to a protected identifier or code stay, so no identifier merges with a word; line breaks
    and indentation stay, so the docstring keeps its shape.
    """

    name = "WhitespacePerturbation"
    randomized = True
    # ReCode deletes any whitespace with p = 0.1 and inserts a space after any character with p = 0.05.
    # The spaces ours keep (next to identifiers and code) hold about a sixth of the edits that change
    # ReCode's words; 0.12 and 0.06 on the rest change as many words per prompt.
    rate = 0.12
    insert_rate = 0.06
    summary = "deletes (p=0.12) and inserts (p=0.06) whitespace"

    def plan(self, view: TextView) -> list[Planned]:
        planned = []
        for left, right in zip(view.pieces, view.pieces[1:]):
            if left.protected or right.protected or left.kind == "code" or right.kind == "code":
                continue
            gap = view.prompt[left.end : right.start]
            if gap and len(gap) <= 3 and gap.strip(" ") == "":  # spaces on one line; never a line break
                planned.extend(
                    Planned(Site(f"docstring space {at}", " ", ("",)), at, at + 1) for at in range(left.end, right.start)
                )
        for word in view.words:
            for i in range(1, len(word.text)):
                if word.text[i - 1].isalpha() and word.text[i].isalpha():
                    at = word.start + i
                    planned.append(Planned(Site(f"docstring insertion {at}", "", (" ",)), at, at))
        planned.sort(key=lambda p: (p.start, p.end))
        return planned

    def sample(self, problem: Problem, rng: random.Random, sites: Sequence[Site]) -> tuple[Edit, ...]:
        rates = [self.rate if site.original else self.insert_rate for site in sites]
        return tuple(Edit(i, 0) for i in draw_sites(rng, rates))


_NOT_SYNONYMS = frozenset(
    {"be", "is", "are", "am", "was", "were", "been", "being", "have", "has", "had", "do", "does", "did",
     "not", "no", "never", "only", "also", "then", "than", "there", "here", "so", "too", "very", "more",
     "most", "less", "least", "all", "each", "every", "either", "neither", "both", "just"}
)
_CONTENT_TAGS = ("NN", "VB", "JJ", "RB")


class _SynonymTransform(DocstringTransform):
    resources = ("WordNet",)
    randomized = True
    # ReCode draws each word with p = 0.5, but among fewer candidates than ours (its tagger and WordNet
    # lookup accept fewer words): on HumanEval it changes 2.7 words per prompt, of the 9 ours can change.
    # At 0.33 ours change as many.
    rate = 0.33

    def __init__(self, config: object = None) -> None:
        super().__init__(config)
        self._synonyms = Synonyms()

    def unavailable(self) -> str | None:
        return wordnet_missing()

    def candidates(self, view: TextView) -> list[tuple[object, tuple[str, ...]]]:
        found = []
        tags = self.tags(view)
        for piece, tag in zip(view.pieces, tags):
            if not piece.editable or "'" in piece.text or len(piece.text) < 3:
                continue
            if piece.text.lower() in _NOT_SYNONYMS or not tag.startswith(_CONTENT_TAGS) or tag == "NNP":
                continue
            options = self._synonyms(piece.text, tag)
            if options:
                found.append((piece, options))
        return found


class SynonymSubstitution(_SynonymTransform):
    """Replaces content words by a WordNet synonym, inflected alike: "given threshold" -> "given limen"."""

    name = "SynonymSubstitution"
    summary = "replaces words by WordNet synonyms"

    def plan(self, view: TextView) -> list[Planned]:
        return [word_site(piece, options) for piece, options in self.candidates(view)]  # type: ignore[arg-type]


class SynonymInsertion(_SynonymTransform):
    """Inserts a WordNet synonym after content words: "closer" -> "closer nearer"."""

    name = "SynonymInsertion"
    summary = "inserts WordNet synonyms after words"

    def plan(self, view: TextView) -> list[Planned]:
        planned = []
        for piece, options in self.candidates(view):
            at = piece.end  # type: ignore[attr-defined]
            lowered = tuple(" " + (o.lower() if not o.isupper() else o) for o in options)
            planned.append(Planned(Site(f"docstring after word at {at}", "", lowered), at, at))
        return planned


class EnglishInflectionalVariation(DocstringTransform):
    """Re-inflects about half of the nouns, verbs and adjectives (lemminflect): "given ... are" -> "gives ... was"."""

    name = "EnglishInflectionalVariation"
    randomized = True
    rate = 0.5
    summary = "re-inflects nouns, verbs and adjectives"

    def plan(self, view: TextView) -> list[Planned]:
        planned = []
        for piece, tag in zip(view.pieces, self.tags(view)):
            if not piece.editable or "'" in piece.text or not tag.startswith(("NN", "VB", "JJ")) or tag == "NNP":
                continue
            options = tuple(match_case(piece.text, form) for form in inflections(piece.text, tag))
            if options:
                planned.append(word_site(piece, options))
        return planned


class _TenseTransform(DocstringTransform):
    tense: str

    def plan(self, view: TextView) -> list[Planned]:
        return [
            Planned(Site(f"docstring verb at {e.start}", e.original, (e.replacement,)), e.start, e.end)
            for e in tense_edits(view.pieces, self.tags(view), self.tense)  # type: ignore[arg-type]
        ]


class TenseTransformationPast(_TenseTransform):
    """Moves the finite verbs to the past tense: "are" -> "were", "it returns" -> "it returned"."""

    name = "TenseTransformationPast"
    tense = "past"
    summary = "moves verbs to the past tense"


class TenseTransformationFuture(_TenseTransform):
    """Moves the finite verbs to the future tense: "are" -> "will be", "it returns" -> "it will return"."""

    name = "TenseTransformationFuture"
    tense = "future"
    summary = "moves verbs to the future tense"
