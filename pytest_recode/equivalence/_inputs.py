"""The inputs a problem's completions are compared on: the calls its own tests make, and more like them.

1. The tests' calls are recorded by running the tests against the canonical solution behind a recording
   candidate, in the sandbox (the program prints each call's arguments, which the parent reads as literals).
2. More are made from them: type-aware mutations (numbers nudged, sign-flipped, 0 and the solution's own
   constants; strings edited, emptied, case-changed, digits changed; lists, tuples, dicts and sets with
   elements inserted, removed, changed, duplicated, reordered) and Hypothesis draws from strategies built
   from the observed types. All seeded by the problem and the seed: the same set every time.
3. The canonical solution is called on every candidate; a generated input is kept only where it returns,
   quickly (the tests' own calls are kept whatever they do: their tests may expect a raise).
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..execution import Sandbox, TestJob, decode_value, encode_value
from ..problems import Problem
from ._calls import CallPlan, call_all
from ._outcomes import Outcome

__all__ = ["DEFAULT_INPUTS", "InputSet", "build_input_sets", "input_set_key"]

#: Generated inputs per problem beside the tests' own calls (chosen with bench/equivalence.py: README).
DEFAULT_INPUTS = 200
#: Bumped whenever the inputs made for the same problem and seed change (it keys the disk cache).
GENERATOR_VERSION = 3
#: The work the canonical solution may do on one generated input, in Python lines run (counted in the
#: sandbox, so the choice of inputs does not depend on the machine's speed or load: the same seed gives the
#: same set anywhere), and on all of them together (kept in their seeded order while the sum fits): a problem
#: whose solution is slow (a triple loop) gets fewer inputs, and no comparison costs seconds.
LINE_BUDGET = 20_000
TOTAL_LINES = 400_000
#: Generated candidates are tried on the canonical solution in chunks of this many, each call also stopped
#: after this long (work in C code, which the line count does not see).
CANDIDATE_CHUNK = 50
CANDIDATE_CALL_TIMEOUT_S = 0.5
_MAX_RECORDED = 200
_MAX_ARGUMENT_CHARS = 4000
_MAX_RECORD_CHARS = 48_000
_MARK = "\x00recode-recorded-calls:"
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class InputSet:
    """A problem's inputs, in order: the tests' own calls first (``from_tests`` of them), then generated ones.
    ``canonical`` is the canonical solution's outcome on each."""

    task_id: str
    entry_point: str
    inputs: tuple[tuple[Any, ...], ...]
    canonical: tuple[Outcome, ...]
    from_tests: int
    #: ``inputs`` as the sandbox receives them (each argument list encoded), made once.
    encoded: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.encoded) != len(self.inputs):
            object.__setattr__(self, "encoded", tuple(encode_value(list(args), strict=True) for args in self.inputs))

    @property
    def generated(self) -> int:
        return len(self.inputs) - self.from_tests

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "entry_point": self.entry_point, "from_tests": self.from_tests,
                "inputs": list(self.encoded), "canonical": [o.to_json() for o in self.canonical]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputSet:
        return cls(data["task_id"], data["entry_point"], tuple(tuple(decode_value(a)) for a in data["inputs"]),
                   tuple(Outcome.from_json(o) for o in data["canonical"]), int(data["from_tests"]),
                   tuple(data["inputs"]))


def input_set_key(problem: Problem, count: int, seed: int) -> str:
    """What an input set depends on, hashed: the reference program, the tests, the entry point, the count,
    the seed and the generator's version."""
    text = json.dumps([GENERATOR_VERSION, problem.reference_program, problem.test, problem.entry_point, count, seed])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def build_input_sets(sandbox: Sandbox, problems: Sequence[Problem], *, count: int, seed: int) -> list[InputSet]:
    """Each problem's input set: its tests' calls recorded (one sandbox call for all problems), candidates
    generated, and the canonical solution run on all of them (one more, with a round per timeout)."""
    recordings = sandbox.run_many([TestJob(_recording_program(p), "def check(candidate):\n    pass\n", p.entry_point)
                                   for p in problems])
    recorded = [_read_recording(r.stdout) for r in recordings]
    candidates = []
    for problem, calls in zip(problems, recorded):
        rng = random.Random(f"{seed}:{problem.task_id}:{problem.entry_point}")
        generated = generate_inputs(calls, count * 3, rng, _constants(problem.reference_program))
        candidates.append((calls, generated))
    limit = min(CANDIDATE_CALL_TIMEOUT_S, sandbox.config.timeout_s)
    plans, owners = [], []
    for index, (problem, (calls, generated)) in enumerate(zip(problems, candidates)):
        plans.append(CallPlan(problem.reference_program, problem.entry_point, tuple(calls)))
        owners.append(index)
        for start in range(0, len(generated), CANDIDATE_CHUNK):
            plans.append(CallPlan(problem.reference_program, problem.entry_point,
                                  tuple(generated[start:start + CANDIDATE_CHUNK]), call_timeout=limit,
                                  line_budget=LINE_BUDGET))
            owners.append(index)
    outcomes: list[list[Outcome]] = [[] for _ in problems]
    for owner, chunk in zip(owners, call_all(sandbox, plans)):
        outcomes[owner].extend(chunk)
    sets = []
    for problem, (calls, generated), canonical in zip(problems, candidates, outcomes):
        kept = [(args, o) for args, o in zip(calls, canonical) if o.kind in ("returned", "raised")]
        fresh, spent = [], 0
        for args, o in zip(generated, canonical[len(calls):]):
            if len(fresh) >= count:
                break
            if o.kind == "returned" and o.cost is not None:
                if spent + o.cost > TOTAL_LINES:
                    break
                fresh.append((args, o))
                spent += o.cost
        chosen = kept + fresh
        sets.append(InputSet(problem.task_id, problem.entry_point, tuple(a for a, _ in chosen),
                             tuple(o for _, o in chosen), len(kept)))
    return sets


# -- 1. the tests' own calls ---------------------------------------------------------------------------------
_RECORDER = '''

def __recode_record_calls():
    import copy as _copy, io as _io, random as _random, sys as _sys
    _random.seed(0)
    calls, size = [], 0
    target = {entry_point}

    def show(value, depth=0):  # repr, but a built-in type by its name (tests pass `int` to MBPP's functions)
        kind = type(value)
        if depth > 50:
            raise ValueError("too deep")
        if kind is type and getattr(value, "__module__", None) == "builtins":
            return value.__name__
        if kind is list:
            return "[" + ", ".join(show(x, depth + 1) for x in value) + "]"
        if kind is tuple:
            return "(" + "".join(show(x, depth + 1) + ", " for x in value) + ")"
        if kind is dict:
            return "{{" + ", ".join(show(k, depth + 1) + ": " + show(v, depth + 1) for k, v in value.items()) + "}}"
        return repr(value)

    def candidate(*args, **kwargs):
        nonlocal size
        if not kwargs and len(calls) < {max_calls}:
            try:
                text = show(_copy.deepcopy(args))
            except BaseException:
                text = None
            if text is not None and len(text) <= {max_chars} and size + len(text) <= {max_total}:
                size += len(text)
                calls.append(text)
        return target(*args, **kwargs)

    out = _sys.stdout
    _sys.stdout = _io.StringIO()
    try:
        check(candidate)
    except BaseException:
        pass
    finally:
        _sys.stdout = out
        out.write({mark!r} + repr(calls) + "\\n")
        out.flush()


__recode_record_calls()
'''


def _recording_program(problem: Problem) -> str:
    return (f"{problem.reference_program}\n\n{problem.test}\n"
            + _RECORDER.format(entry_point=problem.entry_point, max_calls=_MAX_RECORDED,
                               max_chars=_MAX_ARGUMENT_CHARS, max_total=_MAX_RECORD_CHARS, mark=_MARK))


def _read_recording(stdout: str) -> list[tuple[Any, ...]]:
    """The recorded argument tuples, in order, without repeats; those that are not plain literals are left out."""
    at = stdout.rfind(_MARK)
    if at < 0:
        return []
    try:
        texts = ast.literal_eval(stdout[at + len(_MARK):].strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    calls: dict[str, tuple[Any, ...]] = {}
    for text in texts if isinstance(texts, list) else ():
        try:
            args = literal(ast.parse(text, mode="eval").body)
            key = json.dumps(encode_value(list(args), strict=True), sort_keys=True)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
        if isinstance(args, tuple):
            calls.setdefault(key, args)
    return list(calls.values())


_NAMES: dict[str, Any] = {"inf": math.inf, "nan": math.nan, "True": True, "False": False, "None": None,
                          **{t.__name__: t for t in (int, float, str, bool, bytes, list, tuple, dict, set, frozenset,
                                                     complex, type, object)}}


def literal(node: ast.AST) -> Any:
    """A Python literal, as ``repr`` writes plain data (with ``inf``, ``nan``, ``set()``, ``frozenset(...)``)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [literal(e) for e in node.elts]
    if isinstance(node, ast.Set):
        return {literal(e) for e in node.elts}
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {literal(k): literal(v) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = literal(node.operand)
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left, right = literal(node.left), literal(node.right)
        if isinstance(right, complex) and isinstance(left, (int, float)):
            return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords \
            and node.func.id in ("set", "frozenset") and len(node.args) <= 1:
        items = literal(node.args[0]) if node.args else ()
        return set(items) if node.func.id == "set" else frozenset(items)
    raise ValueError(f"not a plain literal: {ast.dump(node)[:80]}")


# -- 2. more inputs like them --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Constants:
    """Constants from the reference program's code (not its docstrings): boundaries the solution cares about."""

    ints: tuple[int, ...]
    floats: tuple[float, ...]
    strings: tuple[str, ...]
    characters: str


def _constants(program: str) -> _Constants:
    ints: set[int] = {0, 1, -1, 2}
    floats: set[float] = {0.0, 0.5, 1.0}
    strings: set[str] = {"", " "}
    try:
        tree = ast.parse(program)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        value = node.value
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and abs(value) < 10**6:
            ints.update((value, value - 1, value + 1))
        elif isinstance(value, float) and math.isfinite(value):
            floats.add(value)
        elif isinstance(value, str) and len(value) <= 30:
            strings.add(value)
    characters = "".join(sorted({c for s in strings for c in s}))
    return _Constants(tuple(sorted(ints)), tuple(sorted(floats)), tuple(sorted(strings)), characters)


def generate_inputs(examples: Sequence[tuple[Any, ...]], count: int, rng: random.Random,
                    constants: _Constants) -> list[tuple[Any, ...]]:
    """Up to ``count`` new argument tuples made from ``examples``: mostly mutations of one argument (sometimes
    two), a quarter drawn by Hypothesis from strategies of the examples' types. Deterministic given ``rng``."""
    if not examples or count <= 0:
        return []
    seen = {_key(args) for args in examples}
    made: list[tuple[Any, ...]] = []
    drawn = _drawn(examples, count // 4, rng.randrange(2**32), constants)
    mutator = _Mutator(rng, constants, _words_of(examples))
    attempts = 0
    while len(made) < count - len(drawn) and attempts < count * 6:
        attempts += 1
        args = list(rng.choice(examples))
        if not args:
            break
        try:
            for position in rng.sample(range(len(args)), 2 if len(args) > 1 and rng.random() < 0.2 else 1):
                args[position] = mutator.mutate(args[position])
        except (TypeError, ValueError, OverflowError, RecursionError):  # e.g. a mutated set item unhashable
            continue
        _add(made, seen, tuple(args))
    for args in drawn:
        _add(made, seen, args)
    return made


def _words_of(examples: Sequence[tuple[Any, ...]]) -> tuple[str, ...]:
    """The distinct space-separated words of the examples' string arguments (at the top level), in order."""
    words: dict[str, None] = {}
    for args in examples:
        for value in args:
            if isinstance(value, str) and " " in value:
                words.update((w, None) for w in value.split(" ") if w)
    return tuple(words)[:200]


def _add(made: list[tuple[Any, ...]], seen: set[str], args: tuple[Any, ...]) -> None:
    try:
        key = _key(args)
    except (ValueError, TypeError, RecursionError):
        return
    if key not in seen:
        seen.add(key)
        made.append(args)


def _key(args: tuple[Any, ...]) -> str:
    return json.dumps(encode_value(list(args), strict=True), sort_keys=True)


class _Mutator:
    """One small, type-keeping change to a value (a container's elements changed like values)."""

    def __init__(self, rng: random.Random, constants: _Constants, words: tuple[str, ...] = ()) -> None:
        self.rng = rng
        self.constants = constants
        self.vocabulary = words  # the words of every observed string: "seven" from one, "six" from another
        self.alphabet = constants.characters + string.ascii_letters + string.digits + " .,!?-_"

    def mutate(self, value: Any, depth: int = 0) -> Any:
        if depth > 4:
            return value
        handler: Callable[[Any, int], Any] | None = {
            bool: lambda v, d: not v, int: self.integer, float: self.real, str: self.text, list: self.sequence,
            tuple: lambda v, d: tuple(self.sequence(list(v), d)), dict: self.mapping,
            set: lambda v, d: set(self.sequence(list(v), d)), frozenset: lambda v, d: frozenset(self.sequence(list(v), d)),
        }.get(type(value))
        return handler(value, depth) if handler is not None else value

    def integer(self, v: int, depth: int = 0) -> int:
        r = self.rng
        choices = (v + 1, v - 1, v + 2, v - 2, -v, 0, 1, -1, v // 2, v + r.randint(-10, 10),
                   r.choice(self.constants.ints), r.choice(self.constants.ints) + r.choice((-1, 0, 1)),
                   r.randint(-100, 100), r.randint(0, 20))
        return r.choice(choices)

    def real(self, v: float, depth: int = 0) -> float:
        r = self.rng
        choices = (v + 0.5, v - 0.5, -v, 0.0, v * 1.5, v / 2, float(round(v)), v + 1.0, v - 1.0, v + 0.1,
                   r.choice(self.constants.floats), float(r.choice(self.constants.ints)), round(r.uniform(-10, 10), 2),
                   round(v + r.uniform(-1, 1), 3))
        return float(r.choice(choices))

    def text(self, v: str, depth: int = 0) -> str:
        r = self.rng
        i = r.randrange(len(v) + 1)
        c = r.choice(self.alphabet)
        digits = [k for k, ch in enumerate(v) if ch.isdigit()]
        choices: list[Callable[[], str]] = [
            lambda: "", lambda: v[:i] + c + v[i:], lambda: v[:i] + v[i + 1:], lambda: v[:i] + c + v[i + 1:],
            lambda: v[:i] + v[i + 1:i + 2] + v[i:i + 1] + v[i + 2:], v.upper, v.lower, v.swapcase, v.capitalize,
            lambda: v[::-1], lambda: v + v, lambda: " " + v, lambda: v + " ", lambda: v[1:], lambda: v[:-1],
            lambda: r.choice(self.constants.strings), lambda: v[:i] + r.choice(self.constants.strings) + v[i:],
            lambda: v + r.choice(self.constants.strings),
        ]
        if digits:
            k = r.choice(digits)
            choices.append(lambda: v[:k] + r.choice(string.digits) + v[k + 1:])
        numbers = list(_NUMBER.finditer(v))
        if numbers:  # a number inside a string ("03-11-2000"): another one the code cares about, or one off
            found = r.choice(numbers)
            value = int(found.group())
            replacement = str(r.choice((value + 1, max(value - 1, 0), 0, r.choice(self.constants.ints))))
            if r.random() < 0.5:
                replacement = replacement.zfill(len(found.group()))
            choices.extend([lambda: v[:found.start()] + replacement.lstrip("-") + v[found.end():]] * 4)
        words = v.split(" ")
        if len(words) > 1:  # words of a sentence or a list ("seven six"): the same words, reordered or repeated
            choices.extend([lambda: " ".join(self.words(words))] * 6)
        return r.choice(choices)()

    def words(self, words: list[str]) -> list[str]:
        r = self.rng
        i, j = r.randrange(len(words)), r.randrange(len(words) + 1)
        return r.choice((lambda: words[:i] + words[i + 1:], lambda: words[:j] + [words[i]] + words[j:],
                         lambda: r.sample(words, len(words)), lambda: words[::-1], lambda: [words[i]],
                         lambda: words[:j] + [r.choice(self.vocabulary or words)] + words[j:]))()

    def sequence(self, v: list[Any], depth: int = 0) -> list[Any]:
        r = self.rng
        v = list(v)
        if not v:
            return [r.choice(self.constants.ints)] if r.random() < 0.5 else v
        i, j = r.randrange(len(v)), r.randrange(len(v) + 1)
        choice = r.randrange(10)
        if choice == 0:
            return [] if r.random() < 0.5 else [v[i]]
        if choice == 1:
            return v[:i] + v[i + 1:]
        if choice in (2, 3):
            return v[:j] + [self.mutate(r.choice(v), depth + 1)] + v[j:]
        if choice in (4, 5):
            return v[:i] + [self.mutate(v[i], depth + 1)] + v[i + 1:]
        if choice == 6:
            return v[:j] + [v[i]] + v[j:]
        if choice == 7:
            r.shuffle(v)
            return v
        if choice == 8:
            return v[::-1]
        try:
            return sorted(v)
        except TypeError:
            return v[:1]

    def mapping(self, v: dict[Any, Any], depth: int = 0) -> dict[Any, Any]:
        r = self.rng
        v = dict(v)
        if not v:
            return v
        key = r.choice(list(v))
        choice = r.randrange(5)
        if choice == 0:
            return {}
        if choice == 1:
            del v[key]
        elif choice == 2:
            v[self.mutate(key, depth + 1)] = v[key]
        elif choice == 3:
            v[key] = self.mutate(v[key], depth + 1)
        elif isinstance(key, str):
            v[r.choice((key.upper, key.lower, key.swapcase))()] = v.pop(key)
        return v


def _drawn(examples: Sequence[tuple[Any, ...]], count: int, seed: int, constants: _Constants) -> list[tuple[Any, ...]]:
    """``count`` argument tuples drawn by Hypothesis from strategies of the examples' types (public API only:
    a ``@given`` function run once, seeded, its examples kept)."""
    if count <= 0:
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    try:
        strategy = st.one_of(*[st.tuples(*[_strategy(a, constants, st) for a in args])
                               for args in _distinct_shapes(examples)])
    except (TypeError, ValueError):
        return []
    found: list[tuple[Any, ...]] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate], derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(args: tuple[Any, ...]) -> None:
        found.append(args)

    try:
        collect()
    except Exception:  # noqa: BLE001 - a strategy Hypothesis cannot use: no drawn inputs, the mutations remain
        return found
    return found


def _distinct_shapes(examples: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One example per distinct tuple of argument types (at most 4)."""
    shapes: dict[tuple[str, ...], tuple[Any, ...]] = {}
    for args in examples:
        shapes.setdefault(tuple(type(a).__name__ for a in args), args)
    return list(shapes.values())[:4]


def _strategy(value: Any, constants: _Constants, st: Any, depth: int = 0) -> Any:
    """A strategy for values like ``value``: same type, sizes and magnitudes around it."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        bound = max(abs(value) * 2, 10)
        return st.integers(-bound, bound) | st.sampled_from(constants.ints)
    if isinstance(value, float):
        bound = max(abs(value) * 2, 10.0)
        return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    if isinstance(value, str):
        alphabet = "".join(sorted(set(value) | set(constants.characters))) or string.ascii_lowercase
        return st.text(alphabet=alphabet, max_size=max(len(value) * 2, 8))
    if depth >= 3:
        return st.just(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if not items:
            return st.just(value)
        inner = st.one_of(*[_strategy(x, constants, st, depth + 1) for x in _one_per_type(items)])
        size = max(len(items) * 2, 5)
        if isinstance(value, list):
            return st.lists(inner, max_size=size)
        if isinstance(value, tuple):
            return st.tuples(*[_strategy(x, constants, st, depth + 1) for x in items])
        return (st.sets if isinstance(value, set) else st.frozensets)(inner, max_size=size)
    if isinstance(value, dict) and value:
        keys = st.one_of(*[_strategy(k, constants, st, depth + 1) for k in _one_per_type(list(value))])
        values = st.one_of(*[_strategy(v, constants, st, depth + 1) for v in _one_per_type(list(value.values()))])
        return st.dictionaries(keys, values, max_size=max(len(value) * 2, 5))
    return st.just(value)


def _one_per_type(items: list[Any]) -> list[Any]:
    by_type: dict[str, Any] = {}
    for item in items:
        by_type.setdefault(type(item).__name__, item)
    return list(by_type.values())[:3]
