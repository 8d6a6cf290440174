"""The completion engine: every model call goes through here, deduplicated, cached and counted."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._errors import CacheWarning, ModelError
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

    The disk cache is used only for a model with a fingerprint: a callable without a ``fingerprint()`` could
    change between runs unseen, so its completions are deduplicated in this process only, and :attr:`notes`
    says so. A cache that cannot be read or written gives one :class:`~pytest_recode.RecodeWarning` and the
    engine goes on without it. A model that fails is not asked again: after its first failure every call
    raises :class:`~pytest_recode.ModelError` at once, naming that failure.
    """

    def __init__(self, model: CodeModel, cache: CompletionCache | None = None) -> None:
        self.model = model
        self.cache = cache
        self._memo: dict[tuple[str, str], list[str]] = {}
        self._stats = EngineStats()
        self._fingerprint: str | None = None
        self._fingerprinted = False
        self._failure: str | None = None
        self._notes: list[str] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CompletionEngine({self.model.name!r}, cache={self.cache!r})"

    @property
    def stats(self) -> EngineStats:
        return self._stats

    @property
    def notes(self) -> tuple[str, ...]:
        """Lines for the session summary: why the disk cache is off or read-only, when it is."""
        return tuple(self._notes)

    @property
    def failure(self) -> str | None:
        """The model's first failure in this process (one line), or ``None``."""
        return self._failure

    @property
    def fingerprint(self) -> str | None:
        """The model's fingerprint, computed once (it may hash files); ``None`` when it has none."""
        if not self._fingerprinted:
            try:
                value = self.model.fingerprint()
            except Exception as exc:
                raise ModelError(f"model {self.model.name!r}: cannot compute its fingerprint: {exc}") from exc
            self._fingerprint = None if value is None else str(value)
            self._fingerprinted = True
        return self._fingerprint

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        """For each prompt, ``config.n`` completions, in the order of ``prompts``."""
        prompts = list(prompts)
        warning: str | None = None
        with self._lock:
            if self._failure is not None:
                raise ModelError(f"model {self.model.name!r} is not asked again in this session: it failed "
                                 f"earlier: {self._failure}")
            try:
                result, warning = self._complete(prompts, config)
            except Exception as exc:
                self._failure = _one_line(exc)
                raise
        if warning is not None:  # outside the lock and the failure latch: `-W error` may raise it
            warnings.warn(CacheWarning(warning), stacklevel=2)
        return result

    def complete_one(self, prompt: str, config: GenerationConfig) -> list[str]:
        return self.complete([prompt], config)[0]

    def _disk(self) -> CompletionCache | None:
        """The cache to use: none without one, or for a model without a fingerprint."""
        if self.cache is not None and self.fingerprint is None:
            self._notes.append(f"recode: completion cache off for {self.model.name}: it has no fingerprint()")
            self.cache.close()
            self.cache = None
        return self.cache

    def _drop_cache(self, exc: ModelError) -> str:
        """Go on without the cache after it failed; the warning to give (once: the cache is gone after)."""
        assert self.cache is not None
        try:
            self.cache.close()
        except Exception:  # a connection to a damaged file may fail to close as well
            pass
        self.cache = None
        return f"{exc} Going on without it in this process."

    def _complete(self, prompts: list[str], config: GenerationConfig) -> tuple[list[list[str]], str | None]:
        ckey = config.key()
        unique = list(dict.fromkeys(prompts))
        known = {p: self._memo[(ckey, p)] for p in unique if (ckey, p) in self._memo}
        todo = [p for p in unique if p not in known]
        from_disk: dict[str, list[str]] = {}
        warning: str | None = None
        cache = self._disk() if todo else None
        if cache is not None and self._fingerprint is not None:
            keys = {p: cache_key(self._fingerprint, ckey, p) for p in todo}
            try:
                hits = cache.get_many(keys.values())
            except ModelError as exc:
                warning, hits = self._drop_cache(exc), {}
            if cache.read_only and self.cache is not None:
                note = f"recode: completion cache {cache.path} is read-only here: read from, not written to"
                if note not in self._notes:
                    self._notes.append(note)
            from_disk = {p: hits[keys[p]] for p in todo if len(hits.get(keys[p], ())) == config.n}
            todo = [p for p in todo if p not in from_disk]
        fresh = self._generate(todo, config) if todo else {}
        if self.cache is not None and self._fingerprint is not None and fresh:
            try:
                self.cache.put_many(self._fingerprint, ckey, fresh)
            except ModelError as exc:
                warning = self._drop_cache(exc)
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
        return [list(self._memo[(ckey, p)]) for p in prompts], warning

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


def _one_line(exc: BaseException) -> str:
    """An exception as one line: ModelErrors are already one; others get their type in front."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if not isinstance(exc, ModelError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."
