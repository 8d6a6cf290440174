"""VarRenamerCB: rename a variable to a name that a masked code model (CodeBERT) proposes.

Every occurrence of the variable is masked; the model's scores at the masked positions are averaged and
the best tokens that make a fresh identifier become the options (most probable first). The model is a
local directory (``TransformConfig.masked_code_model``), loaded once per process and device (ReCode
reloads it for every sample), and inputs are batched: all variables of a program together, and all
programs of a dataset together when :meth:`VarRenamerCB.prefetch` is given them first.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..problems import Problem, join_at_marker
from ._code import Bounded, Program, is_free_identifier
from ._variables import Variable, VarRenamer, local_variables

__all__ = ["VarRenamerCB", "load_masked_model"]


@dataclass(frozen=True)
class _MaskedModel:
    tokenizer: Any
    model: Any
    device: str
    max_tokens: int


@functools.lru_cache(maxsize=2)
def load_masked_model(path: str, device: str = "cpu") -> _MaskedModel:
    """The tokenizer and masked LM in ``path``, loaded once per process (cached by path and device)."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from .._errors import ResourceMissing

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForMaskedLM.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise ResourceMissing(
            f"masked_code_model={path!r} could not be loaded by transformers' AutoModelForMaskedLM: {exc}"
        ) from None
    if tokenizer.mask_token is None:
        raise ResourceMissing(f"masked_code_model={path!r}: its tokenizer has no mask token.")
    model.to(device)
    model.eval()
    limit = getattr(model.config, "max_position_embeddings", 512)
    if getattr(model.config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        limit -= 2  # RoBERTa-style position ids start after the padding index
    limit = min(limit, getattr(tokenizer, "model_max_length", limit) or limit)
    return _MaskedModel(tokenizer, model, device, max(8, limit))


def _rank(masked: _MaskedModel, texts: Sequence[str], top_k: int, batch_size: int) -> list[tuple[str, ...]]:
    """For each text, the model's best tokens for its masked positions (decoded, most probable first)."""
    import torch

    tokenizer = masked.tokenizer
    mask_id = tokenizer.mask_token_id
    head = [tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id]
    tail = [tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id]
    head = [i for i in head if i is not None]
    tail = [i for i in tail if i is not None]
    room = masked.max_tokens - len(head) - len(tail)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    encoded = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        first = ids.index(mask_id) if mask_id in ids else 0
        start = max(0, min(first - room // 4, len(ids) - room))  # some context before the first mask
        encoded.append(head + ids[start : start + room] + tail)
    ranked: list[tuple[str, ...]] = []
    for index in range(0, len(encoded), batch_size):
        batch = encoded[index : index + batch_size]
        width = max(len(ids) for ids in batch)
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in batch], device=masked.device)
        attention = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in batch], device=masked.device)
        with torch.inference_mode():
            logits = masked.model(input_ids=input_ids, attention_mask=attention).logits
        scores = torch.log_softmax(logits.float(), dim=-1)
        for row, ids in enumerate(batch):
            positions = [i for i, token in enumerate(ids) if token == mask_id]
            if not positions:
                ranked.append(())
                continue
            mean = scores[row, positions].mean(dim=0)
            best = torch.topk(mean, min(top_k, mean.shape[-1])).indices.tolist()
            ranked.append(tuple(tokenizer.decode([token]).strip() for token in best))
    return ranked


class VarRenamerCB(VarRenamer):
    """Renames the most used variable to the name a masked code model finds most likely in its place."""

    name = "VarRenamerCB"
    resources = ("masked code model",)
    summary = "rename the most used variable to a name proposed by a masked code model (CodeBERT)"
    #: Options per variable, and how many of the model's best tokens are searched for them.
    choices = 5
    top_k = 100
    batch_size = 16

    def __init__(self, config=None, *, programs=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(config, programs=programs)
        self._ranked: Bounded[str, tuple[str, ...]] = Bounded(8192)

    def unavailable(self) -> str | None:
        path = self.config.masked_code_model
        if not path:
            return (
                "needs a masked code model: pass TransformConfig(masked_code_model=DIR) (pytest "
                "--recode-masked-code-model DIR, recode --masked-code-model DIR), a local directory that "
                "transformers' AutoModelForMaskedLM loads, such as a saved copy of microsoft/codebert-base-mlm"
            )
        if not os.path.isdir(path):
            return f"masked_code_model={path!r} is not a directory"
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            return "needs torch and transformers: pip install 'pytest-recode[transformers]'"
        return None

    def _masked_texts(self, program: Program, variables: Sequence[Variable]) -> list[str]:
        mask = load_masked_model(self.config.masked_code_model, self.config.device).tokenizer.mask_token
        texts = []
        for variable in variables:
            pieces, last = [], 0
            for start, end in variable.spans:
                pieces.append(program.source[last:start])
                pieces.append(mask)
                last = end
            pieces.append(program.source[last:])
            texts.append("".join(pieces))
        return texts

    def _fill(self, texts: Sequence[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if self._ranked.get(t) is None))
        if not missing:
            return
        model = load_masked_model(self.config.masked_code_model, self.config.device)
        for text, ranked in zip(missing, _rank(model, missing, self.top_k, self.batch_size)):
            self._ranked.put(text, ranked)

    def prefetch(self, problems: Sequence[Problem]) -> None:
        """Score the variables of many problems in shared batches, before they are perturbed one by one."""
        if self.unavailable() is not None:
            return
        texts: list[str] = []
        for problem in problems:
            if problem.prompt and not problem.prompt.endswith("\n"):
                continue  # no site: code transforms cannot split such a prompt
            program = self._programs.get(join_at_marker(problem), problem.test, problem.entry_point)
            if isinstance(program, str):
                continue
            variables, _ = local_variables(program)
            texts.extend(self._masked_texts(program, variables))
        self._fill(texts)

    def propose(self, program: Program, variables: Sequence[Variable], taken: set[str]) -> list[tuple[str, ...]]:
        texts = self._masked_texts(program, variables)
        self._fill(texts)
        proposals = []
        for text in texts:
            names: list[str] = []
            for candidate in self._ranked.get(text) or ():
                if len(names) == self.choices:
                    break
                if is_free_identifier(candidate, taken):
                    names.append(candidate)
                    taken.add(candidate)
            proposals.append(tuple(names))
        return proposals
