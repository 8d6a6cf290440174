"""Moving the verbs of a docstring to the past or the future tense.

What changes: verbs with a subject (``it returns``, ``numbers are``, ``that contain``) and auxiliaries;
imperatives that open a sentence, as a docstring's subjectless description (``Return the list`` becomes
``Returned the list`` / ``Will return the list``); ``will`` + verb in the past (``will return`` becomes
``returned``); a modal + verb in the past (``should be`` becomes ``should have been``, ``must`` becomes
``had to``); ``it's`` and the like. Infinitives (``to count``), participles (``given``, ``nested``,
``containing``) and verbs after other modals stay: that is what keeps the output grammatical, where
ReCode's version gave "in will give list of numbers", "should was equal" and "will nest parentheses".
Changing imperatives and modals brings the number of changed words to ReCode's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ._inflect import inflect, lemma, match_case
from ._text import Piece

__all__ = ["TenseEdit", "tense_edits"]

Tense = Literal["past", "future"]


@dataclass(frozen=True)
class TenseEdit:
    """Replace ``prompt[start:end]`` (the verb, and a following ``not`` where the future needs it)."""

    start: int
    end: int
    original: str
    replacement: str


_PAST_FIXED = {
    "is": "was", "am": "was", "are": "were", "has": "had", "have": "had", "does": "did", "do": "did",
    "will": "would", "can": "could", "shall": "should", "cannot": "could not",
    "isn't": "wasn't", "aren't": "weren't", "doesn't": "didn't", "don't": "didn't", "hasn't": "hadn't",
    "haven't": "hadn't", "won't": "wouldn't", "can't": "couldn't",
}
_FUTURE_FIXED = {
    "is": "will be", "am": "will be", "are": "will be", "was": "will be", "were": "will be",
    "has": "will have", "have": "will have", "had": "will have",
    "isn't": "won't be", "aren't": "won't be", "wasn't": "won't be", "weren't": "won't be",
    "doesn't": "won't", "don't": "won't", "didn't": "won't", "hasn't": "won't have", "haven't": "won't have",
    "can": "will be able to", "cannot": "will not be able to", "can't": "won't be able to",
}
_BE = frozenset({"is", "am", "are", "was", "were"})
_DO = frozenset({"do", "does", "did"})
_FINITE = frozenset({"VBZ", "VBP", "VBD"})
_SUBJECT_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS", "PRP", "WDT", "WP", "EX", "CD"})
# Contractions on a pronoun: "You're given" -> "You were given" / "You will be given".
_SUFFIXES = {"'re": ("were", "will be"), "'m": ("was", "will be"), "'ve": ("had", "will have")}
#: Words whose "'s" is "is" (elsewhere it is a possessive).
_IS_CONTRACTIONS = frozenset({"it's", "that's", "there's", "here's", "what's", "he's", "she's"})
#: Modals whose past is the modal with ``have`` and the participle ("should have been").
_PERFECT_MODALS = frozenset({"should", "would", "could", "might"})
_PLURAL_SUBJECTS = frozenset({"NNS", "NNPS"})
_PLURAL_PRONOUNS = frozenset({"we", "you", "they", "i"})
#: Words that open a new clause: a finite verb after one of them has a subject of its own.
_CLAUSE = frozenset(
    "if that which who whom whose when where whether because while as than so and or but until unless since "
    "such".split()
)


def _next_word(pieces: Sequence[Piece], index: int) -> int | None:
    j = index + 1
    if j < len(pieces) and pieces[j].kind == "word" and not pieces[j].sentence_start:
        return j
    return None


def _do_is_auxiliary(pieces: Sequence[Piece], tags: Sequence[str], index: int) -> bool:
    """``does`` followed, later in its clause, by a bare verb: "does each note last", "does not return"."""
    for j in range(index + 1, min(index + 6, len(pieces))):
        if pieces[j].sentence_start or pieces[j].kind == "punct":
            return False
        if tags[j] == "VB":
            return True
    return False


def _past(piece: Piece, tag: str, pieces: Sequence[Piece], index: int) -> str | None:
    lower = piece.text.lower()
    if lower in _PAST_FIXED:
        return _PAST_FIXED[lower]
    if tag in ("VBZ", "VBP"):
        base = lemma(lower, tag)
        return inflect(base, "VBD") if base else None
    return None


def _has_subject(pieces: Sequence[Piece], tags: Sequence[str], index: int) -> bool:
    """Whether a subject comes right before the verb; not so in "..., are any two numbers closer"."""
    j = index - 1
    while j >= 0 and tags[j] in ("RB", "RBR", "RBS") and pieces[j].text.lower() not in ("here", "there"):
        j -= 1
    if j < 0 or pieces[index].sentence_start:
        return False
    return tags[j] in _SUBJECT_TAGS or pieces[j].text in (")", "'", '"') or pieces[j].text.lower() in ("here", "there")


def _future(piece: Piece, tag: str, pieces: Sequence[Piece], tags: Sequence[str], index: int) -> str | None:
    lower = piece.text.lower()
    if lower in _BE | {"has", "have", "had"} and not _has_subject(pieces, tags, index):
        # Subject after the verb: "will be any two numbers closer" is not English; leave it.
        return None
    if lower in _DO:
        return "will" if _do_is_auxiliary(pieces, tags, index) else "will do"
    if lower in _FUTURE_FIXED:
        return _FUTURE_FIXED[lower]
    if tag in ("VBZ", "VBP"):
        base = lemma(lower, tag)
        return f"will {base}" if base else None
    if tag == "VBD":
        base = lemma(lower, "VBD")
        # A regular past ("sorted") reads as a participle as often as a verb; only clear pasts change.
        if base and inflect(base, "VBN") != lower and index > 0 and tags[index - 1] in ("PRP", "NN", "NNS", "NNP"):
            return f"will {base}"
    return None


def _imperative(pieces: Sequence[Piece], tags: Sequence[str], index: int) -> bool:
    """A bare verb that opens a sentence ("Return the list", "Do not count"), or its main clause after an
    opening phrase ("From a list of integers, generate ..."): a docstring's description."""
    piece = pieces[index]
    if tags[index] != "VB" or piece.text.lower() in _BE:
        return False
    if piece.sentence_start:
        if not piece.text[:1].isupper():
            return False
    else:
        if index == 0 or pieces[index - 1].text != ",":
            return False
        start = index
        while start > 0 and not pieces[start].sentence_start:
            start -= 1
        if any(tag in _FINITE or tag in ("MD", "VB") for tag in tags[start:index]):
            return False
    # A verb of its own clause follows: the word is its subject ("Input to this function is a string").
    for j in range(index + 1, len(pieces)):
        following = pieces[j]
        if following.sentence_start or following.text in (",", ";", ":", "(") or following.text.lower() in _CLAUSE:
            return True
        if tags[j] in ("VBZ", "VBP", "MD") or following.text.lower() in _BE:  # not VBD: "element found until"
            return False
    return True


def _plural_subject(pieces: Sequence[Piece], tags: Sequence[str], index: int) -> bool:
    j = index - 1
    while j >= 0 and tags[j] in ("RB", "RBR", "RBS"):
        j -= 1
    return j >= 0 and (tags[j] in _PLURAL_SUBJECTS or pieces[j].text.lower() in _PLURAL_PRONOUNS)


def _modal_edit(pieces: Sequence[Piece], tags: Sequence[str], index: int, tense: Tense) -> TenseEdit | None:
    """``will``/``must``/``should``... and the verb it governs, moved to ``tense`` (``None``: leave them)."""
    piece = pieces[index]
    lower = piece.text.lower()
    following = _next_word(pieces, index)
    negated = following is not None and pieces[following].text.lower() == "not"
    verb_at = _next_word(pieces, following) if negated and following is not None else following
    if verb_at is None or tags[verb_at] != "VB" or not pieces[verb_at].editable:
        return None
    verb = pieces[verb_at]
    base = verb.text.lower()
    end = verb.end
    if tense == "future":
        if lower != "must":
            return None
        return TenseEdit(piece.start, piece.end, piece.text, match_case(piece.text, "will have to"))
    if lower == "will":
        if base == "be":
            new = "were" if _plural_subject(pieces, tags, index) else "was"
            new += " not" if negated else ""
        elif negated:
            return TenseEdit(piece.start, piece.end, piece.text, match_case(piece.text, "did"))
        else:
            new = inflect(lemma(base, "VB") or base, "VBD") or ""
        return TenseEdit(piece.start, end, f"{piece.text} {verb.text}", match_case(piece.text, new)) if new else None
    if lower == "must":
        return TenseEdit(piece.start, piece.end, piece.text, match_case(piece.text, "had to"))
    if lower == "may":
        return TenseEdit(piece.start, piece.end, piece.text, match_case(piece.text, "might"))
    if lower in _PERFECT_MODALS and not negated:
        participle = inflect(lemma(base, "VB") or base, "VBN")
        if participle:
            return TenseEdit(verb.start, verb.end, verb.text, f"have {participle}")
    return None


def tense_edits(pieces: Sequence[Piece], tags: Sequence[str], tense: Tense) -> list[TenseEdit]:
    """Every edit that moves the verbs of the text to ``tense``, in text order."""
    edits: list[TenseEdit] = []
    covered = -1  # edits may span two or three pieces ("will be", "will not return")
    for i, piece in enumerate(pieces):
        if not piece.editable or piece.start < covered:
            continue
        lower = piece.text.lower()
        suffix = next((s for s in _SUFFIXES if lower.endswith(s)), None)
        if suffix is None and lower in _IS_CONTRACTIONS:
            suffix = "'s"
        if suffix is not None:
            past, future = _SUFFIXES.get(suffix, ("was", "will be"))
            stem = piece.text[: -len(suffix)]
            edits.append(TenseEdit(piece.start, piece.end, piece.text, f"{stem} {past if tense == 'past' else future}"))
            continue
        tag = tags[i]
        if tag == "MD" and lower in _PERFECT_MODALS | {"will", "must", "may"}:
            modal = _modal_edit(pieces, tags, i, tense)
            if modal is not None:
                edits.append(modal)
                covered = modal.end
            if modal is not None or lower != "will":
                continue
        if _imperative(pieces, tags, i):
            following = _next_word(pieces, i)
            auxiliary = lower in _DO and following is not None and pieces[following].text.lower() == "not"
            if tense == "past":
                new = inflect(lemma(lower, "VB") or lower, "VBD")
            else:
                new = "will" if auxiliary else f"will {lower}"  # "Do not count" -> "Will not count"
            if new:
                edits.append(TenseEdit(piece.start, piece.end, piece.text, match_case(piece.text, new)))
            continue
        finite = tag in _FINITE or tag == "MD" or lower.endswith("n't") or lower in _BE
        if not finite or (lower in _DO | {"have"} and tag == "VB"):
            continue
        if tense == "past":
            new = _past(piece, tag, pieces, i)
        else:
            new = _future(piece, tag, pieces, tags, i)
        if new is None or new == lower:
            continue
        end = piece.end
        following = _next_word(pieces, i)
        if tense == "future" and new.endswith(" be") and following is not None and pieces[following].text == "not":
            # "is not" -> "will not be", not "will be not".
            new, end = new[: -len(" be")] + " not be", pieces[following].end
        edits.append(TenseEdit(piece.start, end, piece.text, match_case(piece.text, new)))
    return edits
