"""``EquivalenceJudge``: verdicts for many pairs of completions at once, every program run once.

Per session (per xdist worker) one judge keeps each problem's input set (and, with ``cache_dir``, on disk
beside the completion cache: recording and generating them costs more than a comparison) and each program's
outcomes on it, so the nominal side of a problem is run once however many perturbations it has.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from .._errors import InvalidArgument
from ..execution import Sandbox
from ..problems import Problem
from ._calls import LOADING, CallPlan, call_all
from ._inputs import DEFAULT_INPUTS, InputSet, build_input_sets, input_set_key
from ._outcomes import Outcome, Tolerance, holds_objects, same_outcome
from ._verdict import Verdict

__all__ = ["EquivalenceJudge", "Pair"]

#: (nominal problem, nominal completion, perturbed problem, perturbed completion): completions are bodies,
#: appended to their problem's prompt.
Pair = tuple[Problem, str, Problem, str]

_KEPT_PROGRAMS = 4096  # programs whose outcomes are remembered (nominal ones are asked for again and again)
#: The time limit of all the calls of a program already known to hang (its test run ran out of time): enough
#: to show an input it hangs on without paying the sandbox's whole limit a second time.
HUNG_TIMEOUT_S = 0.5
#: Each call of a compared program is stopped once it used ``CALL_TIMEOUT_FACTOR`` times the longest the
#: canonical solution took on any input of the set, in CPU time, within these bounds (its outcome: a timeout),
#: so that an input it hangs on costs little. A busy machine stretches a call's wall-clock time, not the CPU
#: time it uses, so the floor can be low without a slow call on a loaded machine counting as a timeout. A
#: timeout is judged like any outcome: the nominal and the perturbed completion must both finish, or both not.
CALL_TIMEOUT_FACTOR = 20
CALL_CPU_TIMEOUT_BOUNDS_S = (0.05, 1.0)
#: A call that waits without computing (a sleep) is stopped by a wall-clock limit: ``CALL_WALL_FACTOR`` times
#: the CPU limit, at least ``CALL_WALL_TIMEOUT_FLOOR_S`` (a call the machine left waiting that long is rare;
#: one that the program makes wait costs that much, twice at most).
CALL_WALL_FACTOR = 4
CALL_WALL_TIMEOUT_FLOOR_S = 1.0
_FAILS = ("raised", "timeout", "crashed", "not_run")


class EquivalenceJudge:
    """Judges pairs of completions by what they compute on each problem's input set.

    ``inputs`` generated inputs per problem beside the tests' own calls (0: the tests' calls only); ``seed``
    makes the generated set; ``cache_dir`` keeps input sets on disk; ``tolerance`` for floats.
    """

    def __init__(self, sandbox: Sandbox, *, inputs: int = DEFAULT_INPUTS, seed: int = 0,
                 cache_dir: str | os.PathLike[str] | None = None, tolerance: Tolerance | None = None) -> None:
        if not isinstance(inputs, int) or isinstance(inputs, bool) or inputs < 0:
            raise InvalidArgument(f"inputs={inputs!r}: expected a count of generated inputs of at least 0.")
        self.sandbox = sandbox
        self.inputs = inputs
        self.seed = seed
        self.cache_dir = Path(cache_dir, "equivalence") if cache_dir is not None else None
        self.tolerance = tolerance if tolerance is not None else Tolerance()
        self._sets: dict[str, InputSet] = {}
        self._outcomes: OrderedDict[tuple[str, str, str], tuple[Outcome, ...]] = OrderedDict()

    # -- inputs ------------------------------------------------------------------------------------------
    def inputs_for(self, problem: Problem) -> InputSet:
        """The problem's input set (made once, then kept)."""
        return self.inputs_for_many([problem])[0]

    def inputs_for_many(self, problems: Sequence[Problem]) -> list[InputSet]:
        return [input_set for _, input_set in self._keyed_sets(problems)]

    def _keyed_sets(self, problems: Sequence[Problem]) -> list[tuple[str, InputSet]]:
        """Each problem's input set with its key (made in one batch where neither memory nor disk has it)."""
        keys = [input_set_key(p, self.inputs, self.seed) for p in problems]
        missing = {}
        for key, problem in zip(keys, problems):
            if key not in self._sets and key not in missing:
                cached = self._read(key)
                if cached is not None:
                    self._sets[key] = cached
                else:
                    missing[key] = problem
        if missing:
            made = build_input_sets(self.sandbox, list(missing.values()), count=self.inputs, seed=self.seed)
            for key, input_set in zip(missing, made):
                self._sets[key] = input_set
                self._write(key, input_set)
        return [(key, self._sets[key]) for key in keys]

    def _read(self, key: str) -> InputSet | None:
        if self.cache_dir is None:
            return None
        try:
            return InputSet.from_json(json.loads((self.cache_dir / f"{key}.json").read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError):  # absent or damaged: made again
            return None

    def _write(self, key: str, input_set: InputSet) -> None:
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            temporary = self.cache_dir / f".{key}.{os.getpid()}.tmp"
            temporary.write_text(json.dumps(input_set.to_json()), "utf-8")
            os.replace(temporary, self.cache_dir / f"{key}.json")  # whole or not at all, whatever runs beside
        except (OSError, ValueError, TypeError):
            pass

    # -- verdicts ----------------------------------------------------------------------------------------
    def judge(self, problem: Problem, nominal: str, perturbed_problem: Problem, perturbed: str) -> Verdict:
        return self.judge_many([(problem, nominal, perturbed_problem, perturbed)])[0]

    def judge_many(self, pairs: Sequence[Pair], *, hanging: Collection[str] = ()) -> list[Verdict]:
        """A verdict per pair, in order: the input sets made, then every distinct program run, in one batch.

        ``hanging``: programs (prompt + completion) already seen to run out of time, e.g. in their tests;
        their calls get a short time limit (:data:`HUNG_TIMEOUT_S`), enough to find an input they hang on.
        """
        for pair in pairs:
            if len(pair) != 4 or not all(isinstance(x, Problem) for x in pair[::2]) \
                    or not all(isinstance(x, str) for x in pair[1::2]):
                raise InvalidArgument("judge_many: expected (problem, nominal completion, perturbed problem, "
                                      f"perturbed completion) tuples, got {tuple(type(x).__name__ for x in pair)}.")
        keyed = self._keyed_sets([pair[0] for pair in pairs])
        sets = [input_set for _, input_set in keyed]
        wanted: list[tuple[tuple[str, str, str], CallPlan]] = []
        for (problem, nominal, perturbed_problem, perturbed), (set_key, input_set) in zip(pairs, keyed):
            self._know_canonical(problem, set_key, input_set)
            wall, cpu = self._call_timeouts(input_set)
            for program, entry_point in ((problem.prompt + nominal, problem.entry_point),
                                         (perturbed_problem.prompt + perturbed, perturbed_problem.entry_point)):
                timeout = HUNG_TIMEOUT_S if program in hanging else None
                wanted.append(((program, entry_point, set_key),
                               CallPlan(program, entry_point, input_set.inputs, timeout, input_set.encoded,
                                        call_timeout=wall, call_cpu_timeout=cpu)))
        missing = {key: plan for key, plan in wanted if key not in self._outcomes}
        for key, outcomes in zip(missing, call_all(self.sandbox, list(missing.values()))):
            self._outcomes[key] = outcomes
        verdicts = []
        for index, input_set in enumerate(sets):
            nominal_outcomes = self._outcomes[wanted[2 * index][0]]
            perturbed_outcomes = self._outcomes[wanted[2 * index + 1][0]]
            verdicts.append(self._verdict(input_set, nominal_outcomes, perturbed_outcomes,
                                          pairs[index][2].entry_point))
        self._forget_old()
        return verdicts

    def _know_canonical(self, problem: Problem, set_key: str, input_set: InputSet) -> None:
        """The canonical solution's outcomes on the set came with it: a completion that is the canonical
        solution (a self-comparison, a model that recites it) is not run again. Not where some call did not
        end: that one is run afresh, under the limits every compared program gets."""
        key = (problem.reference_program, problem.entry_point, set_key)
        if key not in self._outcomes and input_set.entry_point == problem.entry_point \
                and all(o.kind in ("returned", "raised") for o in input_set.canonical):
            self._outcomes[key] = input_set.canonical

    def _call_timeouts(self, input_set: InputSet) -> tuple[float, float]:
        """The wall-clock and the CPU time limit of each call on ``input_set``."""
        slowest = max((o.duration_s for o in input_set.canonical), default=0.0)
        low, high = CALL_CPU_TIMEOUT_BOUNDS_S
        job = self.sandbox.config.timeout_s
        cpu = min(max(low, CALL_TIMEOUT_FACTOR * slowest), high, job)
        return min(max(CALL_WALL_TIMEOUT_FLOOR_S, CALL_WALL_FACTOR * cpu), job), cpu

    def _forget_old(self) -> None:
        while len(self._outcomes) > _KEPT_PROGRAMS:
            self._outcomes.popitem(last=False)

    def _verdict(self, input_set: InputSet, nominal: Sequence[Outcome], perturbed: Sequence[Outcome],
                 entry_point: str) -> Verdict:
        total = len(input_set.inputs)
        common: dict[str, Any] = {"inputs": total, "entry_point": entry_point}
        if total == 0:
            return Verdict("undecided", reason="the problem has no inputs to compare on: its tests made no call "
                                               "the sandbox could record", **common)
        handled = [i for i, c in enumerate(input_set.canonical) if c.kind == "returned"]
        failing = [i for i in handled if nominal[i].kind in _FAILS]
        loading = nominal[0].kind == "raised" and nominal[0].message.startswith(LOADING)
        ended = ("returned", "raised")
        if not loading and not any(a.kind in ended or b.kind in ended for a, b in zip(nominal, perturbed)):
            return Verdict("undecided", reason="no input could be compared: both ran out of time (or did not run) "
                                               "on every input", **common)
        if loading or not handled or len(failing) * 2 > len(handled):
            first = failing[0] if failing else 0
            reason = (f"the nominal completion does not load ({nominal[first].exception_type}: "
                      f"{nominal[first].message.removeprefix(LOADING + ': ')})" if loading else
                      f"the nominal completion fails on {len(failing)} of the {len(handled)} inputs the canonical "
                      "solution handles")
            return Verdict("nominal_broken", reason=reason, **common, **self._evidence(input_set, first, nominal,
                                                                                         perturbed))
        compared, differing = 0, []
        for i, (a, b) in enumerate(zip(nominal, perturbed)):
            if a.kind == "not_run" or b.kind == "not_run":
                continue
            if not same_outcome(a, b, self.tolerance):
                differing.append(i)
            if a.kind in ("returned", "raised") or b.kind in ("returned", "raised"):
                compared += 1
        notes = self._notes(nominal, perturbed)
        if differing:
            return Verdict("differs", compared, len(differing), notes=notes,
                           reason=f"they behave differently on {len(differing)} of {compared} inputs",
                           **common, **self._evidence(input_set, differing[0], nominal, perturbed))
        if compared == 0:
            return Verdict("undecided", reason="no input could be compared: both ran out of time (or did not run) "
                                               "on every input", notes=notes, **common)
        return Verdict("equivalent", compared, notes=notes, **common)

    @staticmethod
    def _evidence(input_set: InputSet, index: int, nominal: Sequence[Outcome],
                  perturbed: Sequence[Outcome]) -> dict[str, Any]:
        if index >= len(input_set.inputs):
            return {}
        return {"input": input_set.inputs[index], "nominal": nominal[index], "perturbed": perturbed[index],
                "canonical": input_set.canonical[index]}

    @staticmethod
    def _notes(nominal: Sequence[Outcome], perturbed: Sequence[Outcome]) -> tuple[str, ...]:
        if any(holds_objects(o.value) for o in (*nominal, *perturbed) if o.kind == "returned"):
            return ("values of classes other than the built-in types were compared by class name and built-in "
                    "value (their own __eq__ is never called)",)
        return ()
