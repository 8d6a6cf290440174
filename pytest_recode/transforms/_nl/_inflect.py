"""Inflection with lemminflect (which ships its data): lemmas, inflected forms, and what a word can be."""

from __future__ import annotations

import functools

__all__ = [
    "inflect",
    "inflections",
    "is_base_verb",
    "is_vbz_form",
    "lemma",
    "match_case",
    "word_inflections",
]

_UPOS = {"N": "NOUN", "V": "VERB", "J": "ADJ", "R": "ADV"}


def _lemminflect():  # type: ignore[no-untyped-def]
    import lemminflect

    return lemminflect


@functools.lru_cache(maxsize=65536)
def lemma(word: str, tag: str) -> str | None:
    """The lemma of ``word`` read as part of speech ``tag`` (Penn), or ``None`` when it is not one."""
    upos = _UPOS.get(tag[:1])
    if upos is None:
        return None
    lemmas = _lemminflect().getLemma(word.lower(), upos=upos, lemmatize_oov=False)
    return lemmas[0] if lemmas else None


@functools.lru_cache(maxsize=65536)
def inflect(lemma_: str, tag: str) -> str | None:
    """``lemma_`` inflected as ``tag`` (``("sort", "VBD")`` gives ``"sorted"``), or ``None``."""
    forms = _lemminflect().getInflection(lemma_, tag=tag, inflect_oov=False)
    return forms[0] if forms else None


@functools.lru_cache(maxsize=65536)
def inflections(word: str, tag: str) -> tuple[str, ...]:
    """Other inflections of ``word`` within its part of speech, most common tags first."""
    base = lemma(word, tag)
    if base is None:
        return ()
    upos = _UPOS[tag[:1]]
    forms = _lemminflect().getAllInflections(base, upos=upos)
    found: list[str] = []
    for form_tag in _ORDER[upos]:
        for form in forms.get(form_tag, ()):
            if form != word.lower() and form not in found and form.isalpha():
                found.append(form)
    if base != word.lower() and base not in found and base.isalpha():
        found.insert(0, base)
    return tuple(found)


_ORDER = {
    "NOUN": ("NN", "NNS"),
    "VERB": ("VB", "VBZ", "VBD", "VBN", "VBG", "VBP"),
    "ADJ": ("JJ", "JJR", "JJS"),
    "ADV": ("RB", "RBR", "RBS"),
}


@functools.lru_cache(maxsize=65536)
def word_inflections(word: str) -> tuple[str, ...]:
    """Other inflections of ``word`` under any reading (for words of an identifier, which have no context)."""
    lemmas = _lemminflect().getAllLemmas(word.lower())
    found: list[str] = []
    for upos in ("VERB", "NOUN", "ADJ"):
        for base in lemmas.get(upos, ()):
            forms = _lemminflect().getAllInflections(base, upos=upos)
            for form_tag in _ORDER[upos]:
                for form in forms.get(form_tag, ()):
                    if form != word.lower() and form not in found and form.isalpha():
                        found.append(form)
    return tuple(found)


@functools.lru_cache(maxsize=65536)
def is_base_verb(word: str) -> bool:
    """Whether ``word`` is the base form of a verb ("return", "count")."""
    base = lemma(word, "VB")
    return base is not None and base == word


@functools.lru_cache(maxsize=65536)
def is_vbz_form(word: str) -> bool:
    """Whether ``word`` is a verb in the third person singular present ("returns")."""
    base = lemma(word, "VBZ")
    return base is not None and inflect(base, "VBZ") == word


def match_case(template: str, word: str) -> str:
    """``word`` capitalised like ``template`` (all caps, Capitalised, or as it is)."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
