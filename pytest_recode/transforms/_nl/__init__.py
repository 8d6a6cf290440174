"""Natural-language helpers for the docstring and function-name transforms.

Where the docstring's text is and what in it is protected (:func:`text_view`), part-of-speech tags
(:func:`pos_tags`), inflection (lemminflect), WordNet synonyms (NLTK's reader, loaded once per process),
keyboard neighbours, and the tense rules.
"""

from ._inflect import inflect, inflections, is_base_verb, is_vbz_form, lemma, match_case, word_inflections
from ._keyboard import neighbours
from ._locate import Docstring, code_names, locate_docstring
from ._plan import DocstringTransform, Planned
from ._tagger import pos_tags
from ._tense import TenseEdit, tense_edits
from ._text import Piece, TextView, text_view
from ._wordnet import Synonyms, install_command, wordnet, wordnet_missing

__all__ = [
    "Docstring",
    "DocstringTransform",
    "Piece",
    "Planned",
    "Synonyms",
    "TenseEdit",
    "TextView",
    "code_names",
    "inflect",
    "inflections",
    "install_command",
    "is_base_verb",
    "is_vbz_form",
    "lemma",
    "locate_docstring",
    "match_case",
    "neighbours",
    "pos_tags",
    "tense_edits",
    "text_view",
    "word_inflections",
    "wordnet",
    "wordnet_missing",
]
