"""Stop sequences: where a completion ends, found in text and, during generation, in token ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["StopChecker", "cut_at_stop", "find_stop"]


def find_stop(completion: str, stop: Sequence[str], prompt_tail: str = "") -> int | None:
    """Index in ``completion`` where the earliest stop sequence begins, or ``None``.

    ``prompt_tail`` (the last characters of the prompt) lets a stop sequence that starts with a newline
    match right at the start of a completion whose prompt ended with that newline; a match that lies
    wholly inside the tail does not count.
    """
    text = prompt_tail + completion
    best: int | None = None
    for s in stop:
        start = max(0, len(prompt_tail) - len(s) + 1)
        i = text.find(s, start)
        if i >= 0 and (best is None or i < best):
            best = i
    if best is None:
        return None
    return max(0, best - len(prompt_tail))


def cut_at_stop(completion: str, stop: Sequence[str], prompt: str = "") -> str:
    """``completion`` up to (not including) its first stop sequence."""
    i = find_stop(completion, stop, prompt[-1:] if prompt else "")
    return completion if i is None else completion[:i]


class StopChecker:
    """Which rows of a batch have produced a stop sequence, checked on the decoded new tokens.

    Checking costs little only if it decodes little: every ``interval`` steps, the rows still running decode
    just their last few tokens (enough to hold a stop sequence that arrived since the last check), all at
    once with the tokenizer's batch decoder; a row whose window shows a stop is confirmed on its whole text.
    A row may run up to ``interval - 1`` tokens past its stop; the text is cut at the stop afterwards.
    """

    def __init__(self, tokenizer: Any, stop: Sequence[str], prompt_tails: Sequence[str], interval: int = 1) -> None:
        self.tokenizer = tokenizer
        self.stop = tuple(stop)
        self.tails = list(prompt_tails)
        self.interval = max(1, interval)
        self.stopped = [False] * len(self.tails)
        # A stop of m characters spans at most 4m byte-level tokens; one more for a token split across it.
        self.window = self.interval + 4 * max((len(s) for s in self.stop), default=0) + 1

    def due(self, step: int) -> bool:
        """Whether to check after ``step`` tokens have been generated (1-based)."""
        return bool(self.stop) and step % self.interval == 0

    def update(self, generated: Any, rows_running: Sequence[bool]) -> list[int]:
        """Check the rows still running; ``generated`` is a (rows, steps) tensor or nested list of new token
        ids. Returns the rows that stopped in this check."""
        if not self.stop:
            return []
        rows = [i for i, running in enumerate(rows_running) if running and not self.stopped[i]]
        if not rows:
            return []
        steps = len(generated[0]) if len(generated) else 0
        start = max(0, steps - self.window)
        tail_ids = generated[:, start:] if hasattr(generated, "shape") else [row[start:] for row in generated]
        tail_ids = tail_ids.tolist() if hasattr(tail_ids, "tolist") else tail_ids
        texts = self.tokenizer.batch_decode([tail_ids[i] for i in rows], skip_special_tokens=True)
        head = (lambda i: self.tails[i]) if start == 0 else (lambda i: "")
        maybe = [i for i, text in zip(rows, texts) if find_stop(text, self.stop, head(i)) is not None]
        if maybe and start > 0:
            full = generated[maybe] if hasattr(generated, "shape") else [generated[i] for i in maybe]
            full = full.tolist() if hasattr(full, "tolist") else full
            texts = self.tokenizer.batch_decode(full, skip_special_tokens=True)
            maybe = [i for i, text in zip(maybe, texts) if find_stop(text, self.stop, self.tails[i]) is not None]
        for i in maybe:
            self.stopped[i] = True
        return maybe
