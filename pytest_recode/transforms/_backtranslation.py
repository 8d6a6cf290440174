"""BackTranslation: English -> German -> English with two local seq2seq models, batched, loaded once.

Only whole sentences of plain prose are translated: a sentence that mentions an identifier, a quoted
value or code stays as it is, so nothing a program depends on can be garbled by the model, and quotes
and ``>>>`` examples lie outside the text by construction. Translations are cached per instance and
:meth:`BackTranslation.prepare` translates the sentences of many problems in a few batched calls.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .._errors import ModelError
from ..problems import Problem
from ._base import Site, TransformConfig
from ._nl import DocstringTransform, Planned, TextView, text_view

__all__ = ["BackTranslation", "Translator", "load_translator"]

_UNSAFE = re.compile(r"[\"'`\\]|>>>|[{}\[\]<>=_]")
_SPACES = re.compile(r"\s+")


@dataclass
class Translator:
    """A loaded seq2seq model and its tokenizer; ``generate_calls`` counts batches (for tests and logs)."""

    path: str
    tokenizer: object
    model: object
    device: str
    generate_calls: int = field(default=0)

    def translate(self, texts: Sequence[str], *, batch_size: int = 16, num_beams: int = 2) -> list[str]:
        """Translations of ``texts``, in order, ``batch_size`` at a time."""
        import torch

        out: list[str] = []
        for start in range(0, len(texts), batch_size):
            batch = list(texts[start : start + batch_size])
            inputs = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=True, max_length=256)  # type: ignore[operator]
            inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
            # A translation is about as long as its source; the bound keeps a bad model from running on.
            limit = min(256, 2 * int(inputs["input_ids"].shape[1]) + 8)
            with torch.inference_mode():
                generated = self.model.generate(  # type: ignore[attr-defined]
                    **inputs, num_beams=num_beams, max_new_tokens=limit, min_new_tokens=2
                )
            self.generate_calls += 1
            out.extend(self.tokenizer.batch_decode(generated, skip_special_tokens=True))  # type: ignore[attr-defined]
        return out


@functools.lru_cache(maxsize=4)
def load_translator(path: str, device: str = "cpu") -> Translator:
    """The model in directory ``path``, loaded once per process and device (ReCode loaded it per sample)."""
    try:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ModelError("BackTranslation needs transformers: pip install 'pytest-recode[transformers]'") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSeq2SeqLM.from_pretrained(path).to(device).eval()
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load a translation model from {path!r}: {exc}") from exc
    return Translator(path, tokenizer, model, device)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    text: str


def _sentences(view: TextView, max_words: int) -> list[_Sentence]:
    """Sentences made only of plain words and punctuation, with at least three words."""
    groups: list[list[int]] = []
    for index, piece in enumerate(view.pieces):
        if piece.sentence_start or not groups:
            groups.append([])
        groups[-1].append(index)
    found = []
    for group in groups:
        pieces = [view.pieces[i] for i in group]
        words = [p for p in pieces if p.kind == "word"]
        if any(p.protected or p.kind == "code" for p in pieces) or not 3 <= len(words) <= max_words:
            continue
        start, end = pieces[0].start, pieces[-1].end
        text = _SPACES.sub(" ", view.prompt[start:end]).strip()
        found.append(_Sentence(start, end, text))
    return found


class BackTranslation(DocstringTransform):
    """Paraphrases the docstring's prose by translating it to German and back with two local models.

    Deterministic (beam search), so it has one variant. Needs ``TransformConfig.translation_models``.
    """

    name = "BackTranslation"
    resources = ("translation models EN->DE, DE->EN",)
    summary = "English -> German -> English with two local translation models"
    max_words = 60
    batch_size = 16

    def __init__(self, config: TransformConfig | None = None) -> None:
        super().__init__(config)
        self._translations: dict[str, str] = {}

    def unavailable(self) -> str | None:
        paths = self.config.translation_models
        if paths is None:
            return (
                "BackTranslation needs two local translation model directories (EN->DE, DE->EN): "
                "pass TransformConfig(translation_models=(EN_DE_DIR, DE_EN_DIR))"
            )
        missing = [p for p in paths if not os.path.isdir(p)]
        if missing:
            return f"BackTranslation: translation model directory not found: {', '.join(missing)}"
        return None

    def _round_trip(self, texts: Sequence[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._translations))
        if not todo:
            return
        assert self.config.translation_models is not None
        en_de, de_en = (load_translator(p, self.config.device) for p in self.config.translation_models)
        german = [_SPACES.sub(" ", g).strip() for g in en_de.translate(todo, batch_size=self.batch_size)]
        kept = [i for i, g in enumerate(german) if g]  # an empty translation has nothing to translate back
        english = de_en.translate([german[i] for i in kept], batch_size=self.batch_size) if kept else []
        for source in todo:
            self._translations[source] = ""
        for i, result in zip(kept, english):
            self._translations[todo[i]] = _SPACES.sub(" ", result).strip()

    def prepare(self, problems: Iterable[Problem]) -> None:
        """Translate the sentences of all ``problems`` in batches, so later calls per problem are cached."""
        if self.unavailable() is not None:
            return
        texts = []
        for problem in problems:
            view = text_view(problem.prompt, problem.entry_point)
            if view is not None:
                texts.extend(s.text for s in _sentences(view, self.max_words))
        self._round_trip(texts)

    def plan(self, view: TextView) -> list[Planned]:
        sentences = _sentences(view, self.max_words)
        self._round_trip([s.text for s in sentences])
        planned = []
        for sentence in sentences:
            result = self._translations.get(sentence.text, "")
            # A translation that brings quotes, backslashes or code-like characters could end the
            # docstring or read as code; such a sentence keeps its original text.
            if not result or result == sentence.text or _UNSAFE.search(result):
                continue
            site = Site(f"docstring sentence at {sentence.start}", view.prompt[sentence.start : sentence.end], (result,))
            planned.append(Planned(site, sentence.start, sentence.end))
        return planned
