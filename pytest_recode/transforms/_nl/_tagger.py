"""Part-of-speech tags (Penn Treebank) for the pieces of a docstring.

The tagger is TextBlob's English tagger (pattern's Brill tagger: a 94,000-word lexicon, morphological
and contextual rules), which the ``textblob`` wheel ships as plain text files, so it works offline with
nothing downloaded at run time. Its lexicon prefers the noun reading of words like "returns" and
"count"; a few contextual rules of our own fix the constructions docstrings use (imperatives,
``to``/modal + verb, subject + verb, coordinated verbs), which is what the tense and inflection
transforms depend on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ._inflect import is_base_verb, is_vbz_form, lemma
from ._text import Piece

__all__ = ["pos_tags"]

_CLOSED: dict[str, str] = {
    "is": "VBZ", "are": "VBP", "am": "VBP", "was": "VBD", "were": "VBD", "be": "VB", "been": "VBN",
    "being": "VBG", "has": "VBZ", "had": "VBD", "does": "VBZ", "did": "VBD",
    "will": "MD", "would": "MD", "can": "MD", "could": "MD", "shall": "MD", "should": "MD", "may": "MD",
    "might": "MD", "must": "MD", "cannot": "MD",
    "i": "PRP", "you": "PRP", "we": "PRP", "they": "PRP", "it": "PRP", "he": "PRP", "she": "PRP",
    "not": "RB", "the": "DT", "a": "DT", "an": "DT", "to": "TO", "and": "CC", "or": "CC",
    "that": "WDT", "which": "WDT", "who": "WP",
}
_PLURAL_PRONOUNS = frozenset({"i", "you", "we", "they"})
_OBJECT_START = frozenset(
    {"DT", "PDT", "CD", "PRP", "PRP$", "JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "IN", "RB", "RBR",
     "RBS", "TO", "VBG", "VBN", "EX", "WDT", "WRB", "(", ",", ".", ":", ")", "``", "''", "UH", "POS", "SYM"}
)
_IS_CONTRACTIONS = frozenset({"it's", "that's", "there's", "here's", "what's", "he's", "she's"})


@functools.lru_cache(maxsize=1)
def _tagger() -> object:
    from ..._progress import loading

    with loading("the part-of-speech tagger"):  # imported here: its lexicon takes a second or two to load
        from textblob.en import parser

        parser.parse("Load the lexicon now.")
    return parser


@functools.lru_cache(maxsize=8192)
def _raw_tags(tokens: tuple[str, ...]) -> tuple[str, ...]:
    tagged = _tagger().find_tags(list(tokens))  # type: ignore[attr-defined]
    return tuple(tag for _, tag in tagged)


def _token(piece: Piece) -> str:
    if piece.kind == "code":
        return "1" if piece.text.replace(".", "").isdigit() else "X"
    return piece.text


def _previous(tags: list[str], pieces: Sequence[Piece], index: int) -> int | None:
    """The piece before ``index`` in the same sentence, skipping adverbs ("it *always* returns")."""
    j = index - 1
    while j >= 0 and tags[j] in ("RB", "RBR", "RBS") and pieces[j].text.lower() not in ("not", "n't"):
        j -= 1
    if j < 0 or pieces[index].sentence_start:
        return None
    return j


def _next_tag(tags: list[str], index: int) -> str:
    return tags[index + 1] if index + 1 < len(tags) else "."


@functools.lru_cache(maxsize=4096)
def pos_tags(pieces: tuple[Piece, ...]) -> tuple[str, ...]:
    """One Penn Treebank tag per piece (code and quoted chunks are nouns, or ``CD`` when numeric)."""
    tags = list(_raw_tags(tuple(_token(p) for p in pieces)))
    for i, piece in enumerate(pieces):
        lower = piece.text.lower()
        if piece.kind == "code":
            tags[i] = "CD" if _token(piece) == "1" else "NN"
        elif piece.kind == "punct":
            tags[i] = piece.text if piece.text in "(),.:" else tags[i]
        elif piece.protected:
            tags[i] = "NN"
        elif lower in _CLOSED:
            tags[i] = _CLOSED[lower]
        elif lower.endswith("'s") and lower not in _IS_CONTRACTIONS:
            tags[i] = "PRP$"  # a possessive ("the file's name") works like a determiner
    for i, piece in enumerate(pieces):
        if piece.kind != "word" or piece.protected:
            continue
        lower = piece.text.lower()
        prev = _previous(tags, pieces, i)
        prev_tag = tags[prev] if prev is not None else None
        prev_word = pieces[prev].text.lower() if prev is not None else ""
        nxt = _next_tag(tags, i)
        if lower in ("do", "have"):
            tags[i] = "VB" if prev_tag in (None, "TO", "MD", "CC") and prev_word not in _PLURAL_PRONOUNS else "VBP"
            continue
        if lower in _CLOSED or "'" in lower:
            continue
        if is_base_verb(lower):
            tags[i] = _base_verb_tag(pieces, tags, i, prev, nxt)
        if is_vbz_form(lower):
            tags[i] = _vbz_tag(pieces, tags, i, prev, nxt)
    return tuple(tags)


def _lexicon_tag(word: str) -> str | None:
    """The tagger lexicon's most frequent tag for ``word`` ("returns" -> NNS, "contain" -> VB)."""
    return _tagger().lexicon.get(word)  # type: ignore[attr-defined, no-any-return]


def _base_verb_tag(pieces: Sequence[Piece], tags: list[str], i: int, prev: int | None, nxt: str) -> str:
    """The tag of a word that can be a bare verb ("return", "count", "contain")."""
    tag = tags[i]
    prev_tag = tags[prev] if prev is not None else None
    prev_word = pieces[prev].text.lower() if prev is not None else ""
    verb_first = _lexicon_tag(pieces[i].text.lower()) in ("VB", "VBP")
    if pieces[i].sentence_start:
        # An imperative ("Return the list", "Check if"), unless a verb follows ("Separate groups are").
        return "VB" if nxt not in ("VBZ", "VBP", "VBD", "MD") and not tag.startswith("JJ") else tag
    if prev_tag in ("TO", "MD") or (prev_word in ("not", "n't") and _after_do(pieces, i)):
        return "VB"
    if prev_word == "how" or (prev_word in ("and", "or") and nxt in ("DT", "PRP", "PRP$", "CD", "NN", "NNS", "JJ")
                               and "VB" in tags[_sentence_start(pieces, i) : i]):
        return "VB"  # "how many beats does each note last", "separate them and return the list"
    if nxt in _OBJECT_START and not tag.startswith(("JJ", "IN", "DT", "RB")):
        if prev_word in _PLURAL_PRONOUNS:
            return "VBP"  # "you need", "they contain"
        plural_subject = prev_tag in ("NNS", "NNPS") or _relative(pieces, tags, prev)
        if plural_subject and (verb_first or nxt in ("DT", "PRP", "PRP$", "CD", "TO")):
            return "VBP"  # "ones that contain", "groups contain the", but not "the digits right by"
    return "VB" if tag == "VBP" else tag  # a finite reading the context does not confirm


def _vbz_tag(pieces: Sequence[Piece], tags: list[str], i: int, prev: int | None, nxt: str) -> str:
    """The tag of a word that can be a verb in the third person singular ("returns", "points")."""
    tag = tags[i]
    prev_tag = tags[prev] if prev is not None else None
    prev_word = pieces[prev].text.lower() if prev is not None else ""
    following = pieces[i + 1] if i + 1 < len(pieces) else None
    # An object that can only follow a verb: "returns the", "returns True", "takes 3".
    object_next = nxt in ("DT", "PRP", "PRP$", "CD", "JJ", "RB") or (following is not None and following.protected)
    if nxt in _OBJECT_START:
        subject_piece = pieces[prev] if prev is not None else None
        verb_first = _lexicon_tag(pieces[i].text.lower()) == "VBZ"
        strong = (
            prev_word in ("he", "she", "it", "this", "each", "one") or _relative(pieces, tags, prev)
        ) or (subject_piece is not None and subject_piece.kind == "code" and prev_tag != "CD")
        noun = prev_tag in ("NN", "NNP", ")") and (verb_first or object_next or nxt == "TO")
        coordinated = (
            prev_word in ("and", "or", ",")
            and (object_next or (prev_word != "," and (nxt in ("NN", "NNS") or (nxt == "IN" and verb_first))))
            and "VBZ" in tags[_sentence_start(pieces, i) : i]
        )
        if strong or noun or coordinated:
            return "VBZ"
    # The context does not confirm a verb ("as follows:", "lasts four beats"): leave it alone.
    return "NNS" if tag == "VBZ" else tag


def _relative(pieces: Sequence[Piece], tags: list[str], index: int | None) -> bool:
    """Whether ``index`` is a relative pronoun after a noun ("ones *that* contain"), not "at that point"."""
    if index is None or tags[index] not in ("WDT", "WP") or index == 0 or pieces[index].sentence_start:
        return False
    if pieces[index].text.lower() in ("which", "who"):
        return True
    return tags[index - 1] in ("NN", "NNS", "NNP", "NNPS", ",")


def _sentence_start(pieces: Sequence[Piece], index: int) -> int:
    while index > 0 and not pieces[index].sentence_start:
        index -= 1
    return index


def _after_do(pieces: Sequence[Piece], index: int) -> bool:
    start = _sentence_start(pieces, index)
    return any(p.text.lower() in ("do", "does", "did") or p.text.lower().endswith("n't") for p in pieces[start:index])
