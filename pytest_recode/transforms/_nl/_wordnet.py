"""WordNet through NLTK's reader: found in NLTK's data path, loaded once per process, never downloaded.

Loading the index files takes about 3 s, so the reader is built on first use and shared by every
transform in the process; the synonyms each transform asks for are cached in a :class:`Synonyms` object
it owns.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..._errors import ResourceMissing
from ._inflect import inflect, match_case

__all__ = ["Synonyms", "install_command", "wordnet", "wordnet_missing"]

#: Penn tag initial -> WordNet part of speech.
_WN_POS = {"N": "n", "V": "v", "J": "a", "R": "r"}
_NEEDED = ("lexnames", "index.noun", "data.noun", "index.verb", "data.verb", "index.adj", "data.adj")


def install_command() -> str:
    """The command that installs WordNet where NLTK finds it."""
    script = Path(__file__).resolve().parents[3] / "scripts" / "install-wordnet.sh"
    if script.is_file():
        return f"bash {script}"
    return "bash scripts/install-wordnet.sh (from a pytest-recode checkout)"


def _find() -> Path | str:
    """The WordNet directory, or the reason it cannot be used."""
    import nltk.data

    try:
        found = Path(str(nltk.data.find("corpora/wordnet")))
    except LookupError:
        searched = ", ".join(str(p) for p in nltk.data.path)
        return f"WordNet is not in NLTK's data path (corpora/wordnet under any of: {searched})"
    missing = [name for name in _NEEDED if not (found / name).is_file()]
    if missing:
        return f"WordNet in {found} lacks {', '.join(missing)}"
    return found


@functools.lru_cache(maxsize=1)
def wordnet_missing() -> str | None:
    """Why WordNet cannot be loaded here (with the command that fixes it), or ``None`` when it can."""
    found = _find()
    if isinstance(found, Path):
        return None
    return f"{found}. Install it with: {install_command()} (or set NLTK_DATA to the directory holding corpora/wordnet)"


@functools.lru_cache(maxsize=1)
def wordnet():  # type: ignore[no-untyped-def]
    """NLTK's WordNet reader, loaded on first use. Raises :class:`ResourceMissing` when WordNet is absent."""
    reason = wordnet_missing()
    if reason is not None:
        raise ResourceMissing(reason)
    import warnings

    from ..._progress import loading

    with loading("WordNet"):
        from nltk.corpus.reader.wordnet import WordNetCorpusReader

        class EnglishWordNet(WordNetCorpusReader):  # type: ignore[misc]
            def map_wn(self, version: str = "wordnet") -> None:
                # NLTK maps every sense to another WordNet version for multilingual data (OMW), reading
                # index.sense twice: most of the load time, for data we never use.
                return None

        found = _find()
        assert isinstance(found, Path)
        with warnings.catch_warnings():
            # NLTK warns that this WordNet has no multilingual data (OMW); we use English only.
            warnings.simplefilter("ignore", UserWarning)
            return EnglishWordNet(os.fspath(found), None)


class Synonyms:
    """WordNet synonyms of words, inflected like the word they replace; cached per instance.

    Synonyms come from the first ``senses`` synsets of the word in the given part of speech (WordNet
    orders synsets by frequency), in WordNet's order, so option 0 is the most common sense's first lemma.
    """

    def __init__(self, senses: int = 2) -> None:
        self.senses = senses
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def __call__(self, word: str, tag: str) -> tuple[str, ...]:
        """Synonyms of ``word`` as part of speech ``tag`` (Penn), inflected as ``tag`` and cased like ``word``."""
        key = (word, tag)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._lookup(word, tag)
        return cached

    def _lookup(self, word: str, tag: str) -> tuple[str, ...]:
        pos = _WN_POS.get(tag[:1])
        lower = word.lower()
        if pos is None or not lower.isalpha():
            return ()
        reader = wordnet()
        base = reader.morphy(lower, pos) or lower
        found: list[str] = []
        for synset in reader.synsets(base, pos)[: self.senses]:
            for name in synset.lemma_names():
                candidate = _inflected(name.replace("_", " "), tag, pos)
                if candidate is None or candidate.lower() in (lower, base) or candidate in found:
                    continue
                if not all(part.isalpha() or part == "-" for part in candidate.replace("-", " - ").split()):
                    continue
                found.append(candidate)
        # One-word synonyms read most naturally in running text; phrases come after them.
        found.sort(key=lambda s: " " in s)
        return tuple(match_case(word, s) for s in found)


def _inflected(lemma_name: str, tag: str, pos: str) -> str | None:
    """``lemma_name`` in the form ``tag`` asks for; the head word of a phrase carries the inflection."""
    if tag in ("NN", "VB", "VBP", "JJ", "RB", "NNP"):
        return lemma_name
    words = lemma_name.split()
    head = len(words) - 1 if pos == "n" else 0
    form = inflect(words[head], tag)
    if form is None:
        return None
    words[head] = form
    return " ".join(words)
