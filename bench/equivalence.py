"""How well ``compare`` tells a changed program from its original: HumanEval's canonical solutions and mutants.

For every HumanEval problem, a small AST mutator (below) makes up to ``--mutants`` distinct mutants of the
canonical solution, each with one change inside the entry point's body: a comparison operator swapped
(``<`` and ``>``, ``==`` and ``!=``, ``in`` and ``not in``...), a comparison's boundary moved (``<`` to
``<=`` and back), an arithmetic operator swapped, an int or float constant +1 or -1, a slice bound shifted
by one, or a branch dropped (an ``if`` without its body, or without its ``else``; one side of ``x if c else
y``). Mutants that do not compile are dropped. Then, in one run:

- the problem's own tests run on every mutant (the sandbox's ``run_many``): the mutants they reject, and
  the *survivors*, whose change the asserts miss;
- ``compare`` (an ``EquivalenceJudge`` with ``--inputs`` inputs per problem, the package's default unless
  given) judges every survivor against the canonical solution, the whole mutant program as the completion
  of ``problem.with_changes(prompt="")``; and the canonical solution against itself, for every problem;
- for comparison, pass/fail only (``compare_test_runs`` on the test runs of the canonical solution and of
  each survivor), which by construction judges every survivor equivalent;
- an oracle of this benchmark's own: each survivor and the canonical solution called on ``--oracle-inputs``
  random inputs of the types observed in the judge's inputs for the problem (plus those inputs and the
  input of every ``differs`` verdict); outcomes are compared here: the same exception type, or equal
  values (exact types; floats within 1e-9 relative) and equal arguments after the call. Inputs on which
  the canonical solution raises or times out are skipped. A survivor the oracle shows to differ is
  *known-different*.

Comparisons per second time ``judge_many`` over all survivors with a fresh judge whose input sets were
computed before (``inputs_for`` for every problem, timed on its own as ``input_sets_s``), and pass/fail
only over the same survivors (running the tests of both programs, then ``compare_test_runs``). The judge
takes the canonical solution's outcomes from its input set, so the nominal side costs nothing here; a
second timing (``nominal_run_comparisons_per_s``, another fresh judge reading the same input sets from
disk) makes the nominal completion the canonical solution plus a blank line, a program of its own that is
run once per problem, as a model's nominal completion would be.

It lists the known-different survivors ``compare`` missed (with the oracle's input and both outcomes) and
every survivor judged ``differs`` that the oracle finds no difference in (to look at by hand: a false
alarm unless the oracle's own comparison is at fault). Goals: at least 90% of known-different survivors
judged ``differs`` at the default inputs; 0 false alarms; 0 canonical self-comparisons not equivalent; at
least 100 comparisons/s on a 2-core machine at the default.

    .venv/bin/python bench/equivalence.py [--limit N] [--inputs N] [--oracle-inputs 2000] [--seed 0]
                                          [--mutants 20] [--workers N]

The last line holds the figures as space-separated key=value pairs.
"""

from __future__ import annotations

import argparse
import ast
import copy
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pytest_recode.execution import (  # noqa: E402
    CallJob,
    CallOutcome,
    Sandbox,
    SandboxConfig,
    Status,
    TestJob,
    decode_value,
    open_sandbox,
)
from pytest_recode.problems import Problem, load_problems  # noqa: E402


# -- the mutator ---------------------------------------------------------------------------------------------
_SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
    ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
    ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
}
_CMP_SWAP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_CMP_BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}

#: A mutation: its label, and what it does to (a copy of) the node: the replacement node, a list of
#: statements, or the node changed in place.
Edit = tuple[str, Callable[[ast.AST], Any]]


@dataclass(frozen=True)
class Mutant:
    task_id: str
    label: str  # e.g. "line 14: compare < -> <="
    program: str


def _set_op(index: int, op: type) -> Callable[[ast.AST], ast.AST]:
    def apply(node: ast.AST) -> ast.AST:
        node.ops[index] = op()  # type: ignore[attr-defined]
        return node
    return apply


def _set_field(name: str, make: Callable[[ast.AST], Any]) -> Callable[[ast.AST], ast.AST]:
    def apply(node: ast.AST) -> ast.AST:
        setattr(node, name, make(node))
        return node
    return apply


def _shift(expr: ast.expr | None, delta: int) -> ast.expr:
    if expr is None:  # an open end: [:n] -> [1:n], [n:] -> [n:-1]
        return ast.Constant(1 if delta > 0 else -1)
    return ast.BinOp(expr, ast.Add() if delta > 0 else ast.Sub(), ast.Constant(1))


def _edits(node: ast.AST) -> list[Edit]:
    """Every one-change mutation of this node (not of its children)."""
    edits: list[Edit] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table, kind in ((_CMP_SWAP, "compare"), (_CMP_BOUNDARY, "boundary")):
                new = table.get(type(op))
                if new is not None:
                    edits.append((f"{kind} {_SYMBOL[type(op)]} -> {_SYMBOL[new]}", _set_op(i, new)))
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _ARITH:
        new = _ARITH[type(node.op)]
        edits.append((f"arith {_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}", _set_field("op", lambda _n, t=new: t())))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for delta in (1, -1):
            edits.append((f"constant {node.value!r} -> {node.value + delta!r}",
                          _set_field("value", lambda n, d=delta: n.value + d)))
    elif isinstance(node, ast.Slice):
        for name in ("lower", "upper"):
            bound = getattr(node, name)
            if isinstance(bound, ast.Constant) and type(bound.value) is int:
                continue  # the constant's own mutations shift it
            if bound is None and node.step is not None:
                continue  # [::-1] has no "one further" end
            for delta in (1, -1):
                if bound is None and (delta > 0) != (name == "lower"):
                    continue
                shown = ast.unparse(bound) if bound is not None else "(open)"
                edits.append((f"slice {name} {shown} {'+1' if delta > 0 else '-1'}",
                               _set_field(name, lambda n, f=name, d=delta: _shift(getattr(n, f), d))))
    elif isinstance(node, ast.If):
        edits.append(("branch: drop the if", lambda n: n.orelse or ast.Pass()))
        if node.orelse:
            edits.append(("branch: drop the else", _set_field("orelse", lambda _n: [])))
    elif isinstance(node, ast.IfExp):
        edits.append(("branch: keep only the else", lambda n: n.orelse))
        edits.append(("branch: keep only the if", lambda n: n.body))
    return edits


def _body_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of the function's body (its docstring aside), in a fixed order."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return [node for statement in body for node in ast.walk(statement)]


def _entry_function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, apply: Callable[[ast.AST], Any]) -> None:
        self.target, self.apply = target, apply

    def visit(self, node: ast.AST) -> Any:
        if node is self.target:
            return self.apply(node)
        return self.generic_visit(node)


def mutants_of(problem: Problem, limit: int, seed: int) -> list[Mutant]:
    """Up to ``limit`` distinct, compiling one-change mutants of the problem's canonical solution, chosen
    at random (seeded by ``seed`` and the task) where there are more."""
    source = problem.prompt + problem.canonical_solution
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    function = _entry_function(tree, problem.entry_point)
    if function is None:
        return []
    original = ast.unparse(tree)
    sites = [(index, edit) for index, node in enumerate(_body_nodes(function)) for edit in _edits(node)]
    seen = {original}
    candidates: list[Mutant] = []
    for index, (label, apply) in sites:
        mutated = copy.deepcopy(tree)
        target = _body_nodes(_entry_function(mutated, problem.entry_point))[index]  # type: ignore[arg-type]
        line = getattr(target, "lineno", None)
        mutated = ast.fix_missing_locations(_Replace(target, apply).visit(mutated))
        try:
            program = ast.unparse(mutated)
            compile(program, "<mutant>", "exec")
        except (SyntaxError, ValueError, RecursionError):
            continue
        if program in seen:
            continue
        seen.add(program)
        candidates.append(Mutant(problem.task_id, f"line {line}: {label}" if line else label, program))
    if len(candidates) > limit:
        chosen = random.Random(f"{seed}:{problem.task_id}").sample(range(len(candidates)), limit)
        candidates = [candidates[i] for i in sorted(chosen)]
    return candidates


# -- the oracle's inputs: random values of the observed types -------------------------------------------------
class RandomInputs:
    """Random argument tuples shaped like the observed ones: per position, a value of the type of a random
    observed value there, drawn from the range, alphabet, lengths and items seen at that position."""

    def __init__(self, observed: Sequence[tuple[Any, ...]], rng: random.Random) -> None:
        arities = Counter(len(args) for args in observed)
        self.arity = arities.most_common(1)[0][0] if arities else 0
        self.pools = [[args[i] for args in observed if len(args) == self.arity] for i in range(self.arity)]
        self.rng = rng

    def draw(self) -> tuple[Any, ...]:
        return tuple(self.value(pool, 0) for pool in self.pools)

    def value(self, pool: Sequence[Any], depth: int) -> Any:
        rng = self.rng
        example = rng.choice(pool)
        same = [v for v in pool if type(v) is type(example)]
        if rng.random() < 0.3:
            return self.near(example, same, depth)
        return self.fresh(example, same, depth)

    # A value like the example, a little changed.
    def near(self, example: Any, same: list[Any], depth: int) -> Any:
        rng = self.rng
        kind = type(example)
        if kind is int:
            return example + rng.randint(-2, 2)
        if kind is float:
            return example + rng.choice((-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0))
        if kind is str:
            chars = list(example)
            alphabet = "".join(same) or "abc"
            for _ in range(rng.randint(1, 2)):
                op = rng.randrange(4)
                at = rng.randint(0, len(chars))
                if op == 0 or not chars:
                    chars.insert(at, rng.choice(alphabet))
                elif op == 1:
                    del chars[min(at, len(chars) - 1)]
                elif op == 2:
                    chars[min(at, len(chars) - 1)] = rng.choice(alphabet)
                else:
                    i = min(at, len(chars) - 1)
                    chars[i] = chars[i].swapcase()
            return "".join(chars)
        if kind in (list, tuple) and example and depth < 3:
            items = list(example)
            pool = [x for v in same for x in v]
            op = rng.randrange(5)
            at = rng.randrange(len(items))
            if op == 0:
                items[at] = self.value(pool, depth + 1)
            elif op == 1:
                del items[at]
            elif op == 2:
                items.insert(at, self.value(pool, depth + 1))
            elif op == 3:
                items.insert(at, items[at])
            else:
                rng.shuffle(items)
            return kind(items)
        return self.fresh(example, same, depth)

    def fresh(self, example: Any, same: list[Any], depth: int) -> Any:
        rng = self.rng
        kind = type(example)
        if kind is bool:
            return rng.random() < 0.5
        if kind is int:
            low, high = min(same), max(same)
            roll = rng.random()
            if roll < 0.4:
                value = rng.randint(0, 12)
            elif roll < 0.8:
                span = max(high - low, 4)
                value = rng.randint(low - span // 4 - 2, high + span // 4 + 2)
            else:  # a magnitude up to the largest seen, log-uniform
                top = max(abs(low), abs(high), 10)
                value = int(round(math.exp(rng.uniform(0, math.log(top * 1.5)))))
            if rng.random() < (0.5 if low < 0 else 0.1):
                value = -value
            return value
        if kind is float:
            low, high = min(same), max(same)
            roll = rng.random()
            if roll < 0.3:
                value = float(rng.randint(int(math.floor(low)) - 2, int(math.ceil(high)) + 2))
            elif roll < 0.6:
                value = round(rng.uniform(low - 1, high + 1), rng.randint(1, 2))
            else:
                value = rng.uniform(low - 1, high + 1)
            return -value if low >= 0 and rng.random() < 0.1 else value
        if kind is str:
            words = [w for v in same for w in v.split()]
            if rng.random() < 0.5 and any(" " in v.strip() for v in same):  # words as observed, reordered
                return " ".join(rng.choice(words) for _ in range(rng.randint(0, max(len(words) // len(same), 3) + 2)))
            text = "".join(same)
            alphabet = sorted(set(text)) or list("abc")
            longest = max(len(s) for s in same)
            length = rng.randint(0, max(longest, 4) + 2) if rng.random() < 0.7 else rng.randint(0, 4)
            return "".join(rng.choice(text) if text and rng.random() < 0.8 else rng.choice(alphabet)
                           for _ in range(length))
        if kind in (list, set, frozenset) or (kind is tuple and len({len(v) for v in same}) > 1):
            pool = [x for v in same for x in v]
            longest = max(len(v) for v in same)
            if not pool or depth >= 3:
                return kind()
            length = rng.randint(0, max(longest, 3) + 2) if rng.random() < 0.7 else rng.randint(0, 3)
            items = [self.value(pool, depth + 1) for _ in range(length)]
            if kind is not list and kind is not tuple:
                try:
                    return kind(items)
                except TypeError:  # unhashable items
                    return kind()
            return kind(items)
        if kind is tuple:  # fixed length: per position
            return tuple(self.value([v[i] for v in same], depth + 1) for i in range(len(example)))
        if kind is dict:
            keys = [k for v in same for k in v]
            values = [x for v in same for x in v.values()]
            if not keys or depth >= 3:
                return {}
            size = rng.randint(0, max(len(v) for v in same) + 1)
            drawn: dict[Any, Any] = {}
            for _ in range(size):
                try:
                    drawn[self.value(keys, depth + 1)] = self.value(values, depth + 1)
                except TypeError:
                    pass
            return drawn
        return copy.deepcopy(rng.choice(same))  # None, a type, anything else: as observed


# -- the oracle: calling both programs, comparing outcomes here ------------------------------------------------
#: The time limit of one chunk of the oracle's calls (a chunk's calls take milliseconds on most problems).
ORACLE_TIMEOUT_S = 1.0
TIMED_OUT = "timed out"
CRASHED = "crashed"
NOT_RUN = "not run"
#: One input's outcome: what the call returned or raised, or one of the strings above.
Result = CallOutcome | str


def call_all(sandbox: Sandbox, jobs: Sequence[tuple[str, str]], inputs: Sequence[tuple[Any, ...]], *,
             confirm: bool, chunk: int = 250, timeout: float = 1.0, max_stalls: int = 3,
             budget_s: float = 10.0) -> list[list[Result]]:
    """Each (program, entry point) called on every input, in chunks run in parallel, a few at a time.

    A chunk that times out or crashes keeps the outcomes it finished and goes on after the input it stopped
    on. That input is marked as stalled, or with ``confirm`` runs again on its own first (a chunk's time
    limit covers all its calls: only a call that stalls alone has stalled). A program that has stalled
    ``max_stalls`` times or used ``budget_s`` seconds is not run further: its remaining inputs stay
    ``NOT_RUN``."""
    results: list[list[Result]] = [[NOT_RUN] * len(inputs) for _ in jobs]
    stalls = [0] * len(jobs)
    spent = [0.0] * len(jobs)
    pending = [(j, start, min(start + chunk, len(inputs))) for j in range(len(jobs))
               for start in range(0, len(inputs), chunk)]
    wave = 2 * sandbox.config.worker_count
    while pending:
        pending = [(j, start, end) for j, start, end in pending if stalls[j] < max_stalls and spent[j] < budget_s]
        batch, pending = pending[:wave], pending[wave:]
        calls = [CallJob(jobs[j][0], jobs[j][1], tuple(inputs[start:end])) for j, start, end in batch]
        answers = sandbox.call_many(calls, timeout=timeout) if calls else []
        for (j, start, end), answer in zip(batch, answers):
            spent[j] += max(answer.duration_s, 0.0 if answer.passed else timeout)
            results[j][start:start + len(answer.outcomes)] = answer.outcomes
            stop = start + len(answer.outcomes)
            if answer.passed or stop >= end:
                continue
            if answer.status is Status.FAILED and not answer.outcomes:  # the program itself did not load
                results[j][start:end] = [f"failed to load: {answer.exception_type}"] * (end - start)
                continue
            rest = [(j, stop + 1, end)] if stop + 1 < end else []
            if confirm and end - start > 1:
                pending[:0] = [(j, stop, stop + 1), *rest]
                continue
            results[j][stop] = TIMED_OUT if answer.status is Status.TIMEOUT else CRASHED
            stalls[j] += 1
            pending[:0] = rest
    return results


def same_value(a: Any, b: Any) -> bool:
    """Equal, with exact types, floats within 1e-9 relative (1e-12 absolute near zero)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, complex):
        return same_value(a.real, b.real) and same_value(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - a value we cannot compare counts as different
        return False


def show_result(result: Result) -> str:
    if isinstance(result, str):
        return result
    if result.raised:
        return f"raised {result.exception_type}"
    shown = f"returned {_short(result.decoded())}"
    if result.arguments_after is not None:
        shown += f" (arguments after: {_short(decode_value(result.arguments_after))})"
    return shown


def same_outcome(canonical: CallOutcome, other: Result) -> bool:
    if isinstance(other, str):
        return False
    if canonical.raised or other.raised:
        return canonical.exception_type == other.exception_type
    after = (canonical.arguments_after, other.arguments_after)
    if after != (None, None) and (None in after or not same_value(*map(decode_value, after))):
        return False
    return same_value(canonical.decoded(), other.decoded())


@dataclass
class OracleFinding:
    differing: int = 0  # inputs on which the survivor differs
    compared: int = 0  # inputs on which the canonical solution returned (or raised nothing fatal)
    input: tuple[Any, ...] | None = None  # the first differing input
    canonical: str = ""
    survivor: str = ""


def oracle(sandbox: Sandbox, problem: Problem, programs: Sequence[str], inputs: Sequence[tuple[Any, ...]],
           timeout: float) -> list[OracleFinding]:
    """For each program: on how many of the inputs it differs from the canonical solution, and the first."""
    canonical = call_all(sandbox, [(problem.prompt + problem.canonical_solution, problem.entry_point)], inputs,
                         confirm=False, timeout=timeout / 2, max_stalls=20)[0]
    # The survivors run only where the canonical solution returned or raised: a stall of theirs there is a
    # difference already (where the canonical call took under a tenth of the limit), so one is enough.
    kept = [i for i, outcome in enumerate(canonical) if not isinstance(outcome, str)]
    results = call_all(sandbox, [(program, problem.entry_point) for program in programs],
                       [inputs[i] for i in kept], confirm=True, timeout=timeout, max_stalls=1, budget_s=5.0)
    findings = []
    for own in results:
        finding = OracleFinding()
        for i, got in zip(kept, own):
            args, expected = inputs[i], canonical[i]
            if expected.raised or got == NOT_RUN:  # type: ignore[union-attr]
                continue  # the canonical solution's input space is where it returns
            if got in (TIMED_OUT, CRASHED) and expected.duration_s > timeout / 10:  # type: ignore[union-attr]
                continue  # slow already: a stall may be the machine's
            finding.compared += 1
            if not same_outcome(expected, got):  # type: ignore[arg-type]
                finding.differing += 1
                if finding.input is None:
                    finding.input, finding.canonical, finding.survivor = args, show_result(expected), show_result(got)
        findings.append(finding)
    return findings


def differs_anywhere(sandbox: Sandbox, problem: Problem, program: str, args: tuple[Any, ...],
                     timeout: float) -> bool:
    """Whether the program and the canonical solution differ on this one input, raising included."""
    canonical, own = call_all(sandbox, [(problem.prompt + problem.canonical_solution, problem.entry_point),
                                        (program, problem.entry_point)], [args], confirm=False, timeout=timeout)
    if isinstance(canonical[0], str) or isinstance(own[0], str):
        return canonical[0] != own[0]
    return not same_outcome(canonical[0], own[0])


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key(args: tuple[Any, ...]) -> str:
    return repr(args)


# -- the run -------------------------------------------------------------------------------------------------
@dataclass
class Survivor:
    problem: Problem
    mutant: Mutant
    verdict: Any = None  # the judge's Verdict
    passfail: Any = None  # compare_test_runs's RunComparison
    finding: OracleFinding = field(default_factory=OracleFinding)
    outside: bool = False  # differs on the verdict's input, where the canonical solution raises

    @property
    def known_different(self) -> bool:
        return self.finding.differing > 0

    @property
    def judged_differs(self) -> bool:
        return self.verdict is not None and self.verdict.kind == "differs"


def main() -> int:
    from pytest_recode.equivalence import DEFAULT_INPUTS, EquivalenceJudge, compare_test_runs

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N HumanEval problems only")
    parser.add_argument("--inputs", type=int, default=DEFAULT_INPUTS,
                        help=f"inputs per problem for the judge (default: the package's, {DEFAULT_INPUTS})")
    parser.add_argument("--oracle-inputs", type=int, default=2000, help="random inputs per problem for the oracle")
    parser.add_argument("--mutants", type=int, default=20, help="mutants per problem at most (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the mutants' choice, the judge and the oracle")
    parser.add_argument("--workers", type=int, default=0, help="sandbox workers (default: one per core)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds per test run or call chunk")
    args = parser.parse_args()
    problems = load_problems("humaneval")[: args.limit]

    mutants = [(p, m) for p in problems for m in mutants_of(p, args.mutants, args.seed)]
    with open_sandbox(SandboxConfig(workers=args.workers, timeout_s=args.timeout)) as sandbox:
        sandbox.run_many([TestJob(problems[0].reference_program, problems[0].test, problems[0].entry_point)])
        canonical_runs = sandbox.run_many([TestJob(p.prompt + p.canonical_solution, p.test, p.entry_point)
                                           for p in problems])
        broken = [p.task_id for p, run in zip(problems, canonical_runs) if not run.passed]
        runs = sandbox.run_many([TestJob(m.program, p.test, p.entry_point) for p, m in mutants])
        survivors = [Survivor(p, m) for (p, m), run in zip(mutants, runs) if run.passed]

        # compare, timed: input sets first (every problem), then the survivors' comparisons.
        cache = tempfile.TemporaryDirectory(prefix="recode-bench-")
        judge = EquivalenceJudge(sandbox, inputs=args.inputs, seed=args.seed, cache_dir=cache.name)
        started = time.perf_counter()
        input_sets = {p.task_id: judge.inputs_for(p) for p in problems}
        input_sets_s = time.perf_counter() - started
        pairs = [(s.problem, s.problem.canonical_solution, s.problem.with_changes(prompt=""), s.mutant.program)
                 for s in survivors]
        started = time.perf_counter()
        verdicts = judge.judge_many(pairs)
        judge_s = time.perf_counter() - started
        for survivor, verdict in zip(survivors, verdicts):
            survivor.verdict = verdict
        self_verdicts = judge.judge_many([(p, p.canonical_solution, p, p.canonical_solution) for p in problems])

        # compare again, the nominal side a program of its own, run once per problem.
        fresh = EquivalenceJudge(sandbox, inputs=args.inputs, seed=args.seed, cache_dir=cache.name)
        fresh.inputs_for_many(problems)
        nominal_pairs = [(problem, nominal + "\n", perturbed_problem, perturbed)
                         for problem, nominal, perturbed_problem, perturbed in pairs]
        started = time.perf_counter()
        nominal_verdicts = fresh.judge_many(nominal_pairs)
        nominal_run_s = time.perf_counter() - started
        cache.cleanup()
        nominal_run_changed = sum((a.kind, a.compared, a.differing) != (b.kind, b.compared, b.differing)
                                  for a, b in zip(verdicts, nominal_verdicts))

        # Pass/fail only, timed: the tests of both programs, then compare_test_runs.
        started = time.perf_counter()
        reruns = sandbox.run_many(
            [job for s in survivors
             for job in (TestJob(s.problem.prompt + s.problem.canonical_solution, s.problem.test,
                                 s.problem.entry_point), TestJob(s.mutant.program, s.problem.test,
                                                                 s.problem.entry_point))])
        for i, survivor in enumerate(survivors):
            survivor.passfail = compare_test_runs(reruns[2 * i], reruns[2 * i + 1])
        passfail_s = time.perf_counter() - started

        # The oracle: per problem, the canonical solution and its survivors on the same inputs.
        started = time.perf_counter()
        by_problem: dict[str, list[Survivor]] = {}
        for survivor in survivors:
            by_problem.setdefault(survivor.problem.task_id, []).append(survivor)
        for task_id, group in by_problem.items():
            problem = group[0].problem
            observed = [tuple(a) for a in input_sets[task_id].inputs]
            extra = observed + [tuple(s.verdict.input) for s in group
                                if s.verdict is not None and s.verdict.input is not None]
            rng = random.Random(f"oracle:{args.seed}:{task_id}")
            drawn: dict[str, tuple[Any, ...]] = {_key(a): a for a in extra}
            if observed:
                generator = RandomInputs(observed, rng)
                for _ in range(args.oracle_inputs):
                    try:
                        value = generator.draw()
                    except (ValueError, TypeError, IndexError, OverflowError):
                        continue
                    drawn.setdefault(_key(value), value)
            findings = oracle(sandbox, problem, [s.mutant.program for s in group], list(drawn.values()),
                              timeout=ORACLE_TIMEOUT_S)
            for survivor, finding in zip(group, findings):
                survivor.finding = finding
        oracle_s = time.perf_counter() - started
        # A "differs" verdict the oracle does not confirm: on the verdict's own input, where the canonical
        # solution raises (the oracle skips those), do the two still differ?
        for survivor in survivors:
            if survivor.judged_differs and not survivor.known_different and survivor.verdict.input is not None:
                survivor.outside = differs_anywhere(sandbox, survivor.problem, survivor.mutant.program,
                                                    tuple(survivor.verdict.input), ORACLE_TIMEOUT_S)

    known = [s for s in survivors if s.known_different]
    judged = [s for s in survivors if s.judged_differs]
    caught = [s for s in known if s.judged_differs]
    missed = [s for s in known if not s.judged_differs]
    outside = [s for s in judged if not s.known_different and s.outside]
    alarms = [s for s in judged if not s.known_different and not s.outside]
    self_bad = [(p, v) for p, v in zip(problems, self_verdicts) if v.kind != "equivalent"]
    kinds = Counter(s.verdict.kind for s in survivors)
    passfail_differs = sum(not s.passfail for s in survivors)
    share = len(caught) / len(known) if known else 1.0
    per_s = len(survivors) / judge_s if judge_s else float("inf")
    passfail_per_s = len(survivors) / passfail_s if passfail_s else float("inf")
    nominal_run_per_s = len(survivors) / nominal_run_s if nominal_run_s else float("inf")
    from_tests = sum(getattr(input_sets[p.task_id], "from_tests", 0) for p in problems)
    total_inputs = sum(len(input_sets[p.task_id].inputs) for p in problems)

    print(f"{len(problems)} HumanEval problems, {len(mutants)} mutants (at most {args.mutants} per problem), "
          f"{len(mutants) - len(survivors)} rejected by the problems' own tests, {len(survivors)} survivors")
    if broken:
        print(f"canonical solutions failing their own tests here: {', '.join(broken)}")
    print(f"judge: {args.inputs} inputs per problem asked, {total_inputs} in all ({from_tests} from tests), "
          f"input sets in {input_sets_s:.2f} s")
    print(f"oracle: {args.oracle_inputs} random inputs per problem (plus the judge's), {oracle_s:.1f} s; "
          f"{len(known)} survivors known-different")
    print(f"{'method':<22}{'judged differs':>16}{'known-different caught':>26}{'false alarms':>14}"
          f"{'comparisons/s':>15}")
    print(f"{'pass/fail only':<22}{passfail_differs:>16}{f'{sum(not s.passfail for s in known)}/{len(known)}':>26}"
          f"{sum(not s.passfail and not s.known_different for s in survivors):>14}{passfail_per_s:>15.1f}")
    print(f"{'compare':<22}{len(judged):>16}{f'{len(caught)}/{len(known)} ({share:.0%})':>26}{len(alarms):>14}"
          f"{per_s:>15.1f}")
    print(f"{'compare, nominal run':<22}{'':>16}{'':>26}{'':>14}{nominal_run_per_s:>15.1f}")
    print(f"compare is {per_s / passfail_per_s:.2f}x pass/fail only's speed ({nominal_run_per_s / passfail_per_s:.2f}x "
          f"with the nominal side run, {nominal_run_changed} verdicts other than without); verdicts on survivors: "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(f"goals: caught >= 90% ({share:.1%}), 0 false alarms ({len(alarms)}), 0 self-comparisons not equivalent "
          f"({len(self_bad)}), >= 100 comparisons/s ({per_s:.0f})")
    if missed:
        print(f"\nknown-different survivors compare missed ({len(missed)}):")
        for s in missed:
            f = s.finding
            print(f"  {s.problem.task_id} [{s.mutant.label}] differs on {f.differing}/{f.compared} oracle inputs; "
                  f"e.g. {s.problem.entry_point}{_short(f.input)}: canonical {f.canonical}, mutant {f.survivor}; "
                  f"compare: {s.verdict.kind} ({s.verdict.compared} compared" + (f"; {s.verdict.reason})" if s.verdict.reason else ")"))
    if alarms:
        print(f"\njudged differs, the oracle finds no difference (look by hand) ({len(alarms)}):")
        for s in alarms:
            print(f"{_verdict_line(s)} ({s.verdict.reason}); oracle compared {s.finding.compared}")
    if outside:
        print(f"\njudged differs on an input where the canonical solution raises (no false alarm) ({len(outside)}):")
        for s in outside:
            print(_verdict_line(s))
    if self_bad:
        print(f"\ncanonical self-comparisons not equivalent ({len(self_bad)}):")
        for p, v in self_bad:
            print(f"  {p.task_id}: {v.kind} ({v.reason})")
    print(f"mutants={len(mutants)} rejected_by_tests={len(mutants) - len(survivors)} survivors={len(survivors)} "
          f"known_different={len(known)} judged_differs={len(judged)} caught={len(caught)} caught_share={share:.3f} "
          f"false_alarms={len(alarms)} differs_outside={len(outside)} self_not_equivalent={len(self_bad)} comparisons_per_s={per_s:.1f} "
          f"nominal_run_comparisons_per_s={nominal_run_per_s:.1f} nominal_run_verdicts_changed={nominal_run_changed} "
          f"passfail_comparisons_per_s={passfail_per_s:.1f} speed_ratio={per_s / passfail_per_s:.2f} "
          f"input_sets_s={input_sets_s:.2f} oracle_s={oracle_s:.1f} inputs={args.inputs} "
          f"oracle_inputs={args.oracle_inputs} problems={len(problems)}")
    return 0


def _verdict_line(s: Survivor) -> str:
    v = s.verdict
    return (f"  {s.problem.task_id} [{s.mutant.label}] on {s.problem.entry_point}{_short(v.input)}: "
            f"canonical {v.nominal.show() if v.nominal else '?'}, mutant {v.perturbed.show() if v.perturbed else '?'}")


if __name__ == "__main__":
    sys.exit(main())
