"""The completion engine: every model call goes through here, deduplicated, cached and counted."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._errors import ModelError
from ._cache import CompletionCache, cache_key
from ._protocol import CodeModel, GenerationConfig

__all__ = ["CompletionEngine", "EngineStats"]


@dataclass(frozen=True)
class EngineStats:
    """Completions asked for, and where they came from: the model, the disk cache, or an identical request
    earlier in the same process (``deduplicated``). ``requested == generated + cached + deduplicated``.
    ``calls`` counts the calls that reached the model (a batch with at least one prompt to generate).

    Records add up (``sum(stats, EngineStats())``), so the xdist controller can total its workers' stats,
    which travel as :meth:`as_dict`.
    """

    requested: int = 0
    generated: int = 0
    cached: int = 0
    deduplicated: int = 0
    calls: int = 0

    def __add__(self, other: EngineStats) -> EngineStats:
        if not isinstance(other, EngineStats):
            return NotImplemented
        return EngineStats(
            self.requested + other.requested,
            self.generated + other.generated,
            self.cached + other.cached,
            self.deduplicated + other.deduplicated,
            self.calls + other.calls,
        )

    def __radd__(self, other: object) -> EngineStats:
        if other == 0:  # lets sum() start from its default 0
            return self
        return NotImplemented  # type: ignore[return-value]

    @property
    def saved(self) -> int:
        """Generations avoided: served from the cache or deduplicated."""
        return self.cached + self.deduplicated

    def as_dict(self) -> dict[str, int]:
        return {"requested": self.requested, "generated": self.generated, "cached": self.cached,
                "deduplicated": self.deduplicated, "calls": self.calls}

    @classmethod
    def from_dict(cls, data: Mapping[str, int]) -> EngineStats:
        return cls(**{k: int(data.get(k, 0)) for k in ("requested", "generated", "cached", "deduplicated", "calls")})

    def summary_line(self) -> str:
        """The terminal summary line: ``recode: N completions generated in C model calls, M from cache``."""
        return (f"recode: {self.generated} completions generated in {self.calls} model call"
                f"{'' if self.calls == 1 else 's'}, {self.cached} from cache")


class CompletionEngine:
    """Completes prompts with a model. Within a process, identical (prompt, config) pairs are generated once;
    with a ``cache``, completions are also read from and written to disk, keyed by the model's
    fingerprint, the config and the prompt.
    """

    def __init__(self, model: CodeModel, cache: CompletionCache | None = None) -> None:
        self.model = model
        self.cache = cache
        self._memo: dict[tuple[str, str], list[str]] = {}
        self._stats = EngineStats()
        self._fingerprint: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CompletionEngine({self.model.name!r}, cache={self.cache!r})"

    @property
    def stats(self) -> EngineStats:
        return self._stats

    @property
    def fingerprint(self) -> str:
        """The model's fingerprint, computed once (it may hash files)."""
        if self._fingerprint is None:
            try:
                self._fingerprint = str(self.model.fingerprint())
            except Exception as exc:
                raise ModelError(f"model {self.model.name!r}: cannot compute its fingerprint: {exc}") from exc
        return self._fingerprint

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        """For each prompt, ``config.n`` completions, in the order of ``prompts``."""
        prompts = list(prompts)
        with self._lock:
            return self._complete(prompts, config)

    def complete_one(self, prompt: str, config: GenerationConfig) -> list[str]:
        return self.complete([prompt], config)[0]

    def _complete(self, prompts: list[str], config: GenerationConfig) -> list[list[str]]:
        ckey = config.key()
        unique = list(dict.fromkeys(prompts))
        known = {p: self._memo[(ckey, p)] for p in unique if (ckey, p) in self._memo}
        todo = [p for p in unique if p not in known]
        from_disk: dict[str, list[str]] = {}
        if self.cache is not None and todo:
            keys = {p: cache_key(self.fingerprint, ckey, p) for p in todo}
            hits = self.cache.get_many(keys.values())
            from_disk = {p: hits[keys[p]] for p in todo if len(hits.get(keys[p], ())) == config.n}
            todo = [p for p in todo if p not in from_disk]
        fresh = self._generate(todo, config) if todo else {}
        if self.cache is not None and fresh:
            self.cache.put_many(self.fingerprint, ckey, fresh)
        for table in (from_disk, fresh):
            for p, done in table.items():
                self._memo[(ckey, p)] = done
        n = config.n
        self._stats = self._stats + EngineStats(
            requested=len(prompts) * n,
            generated=len(fresh) * n,
            cached=len(from_disk) * n,
            deduplicated=(len(prompts) - len(fresh) - len(from_disk)) * n,
            calls=1 if fresh else 0,
        )
        return [list(self._memo[(ckey, p)]) for p in prompts]

    def _generate(self, prompts: list[str], config: GenerationConfig) -> dict[str, list[str]]:
        produced = self.model.complete(prompts, config)
        if len(produced) != len(prompts):
            raise ModelError(
                f"model {self.model.name!r} returned completions for {len(produced)} prompts, "
                f"not {len(prompts)}."
            )
        out: dict[str, list[str]] = {}
        for prompt, done in zip(prompts, produced):
            done = list(done)
            if len(done) != config.n or not all(isinstance(c, str) for c in done):
                raise ModelError(
                    f"model {self.model.name!r} returned {done!r:.120} for one prompt; expected a list of "
                    f"{config.n} strings."
                )
            out[prompt] = done
        return out

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
