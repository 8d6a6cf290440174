"""The equivalence judge on pairs of completions for real HumanEval problems, with known answers.

A completion is a function *body*, appended to the prompt like the canonical solution. One sandbox and one
judge serve the module (input sets are computed once per problem); the table of pairs is judged in one
batch (``judge_many``) and each test looks its verdict up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from equivalence_support import camel_case, decoded, renamed, rerun, same_outcome, with_docstring_sentence

import pytest_recode
from pytest_recode.equivalence import KINDS, EquivalenceJudge, Verdict, assert_equivalent, compare
from pytest_recode.execution import Sandbox, SandboxConfig, decode_value, open_sandbox
from pytest_recode.problems import Problem, load_problems

HUMANEVAL = {p.task_id: p for p in load_problems("humaneval")}


def canonical(task_id: str) -> str:
    return HUMANEVAL[task_id].canonical_solution


def edited(task_id: str, old: str, new: str) -> str:
    """The canonical solution with ``old`` (which occurs exactly once) replaced by ``new``."""
    body = canonical(task_id)
    assert body.count(old) == 1, (task_id, old)
    return body.replace(old, new)


@dataclass(frozen=True)
class Pair:
    task_id: str
    nominal: str
    perturbed: str
    #: Changes the problem for the perturbed side (a docstring edit, a renamed entry point); None: the same.
    perturb_problem: Callable[[Problem], Problem] | None = None

    def problems(self) -> tuple[Problem, Problem]:
        problem = HUMANEVAL[self.task_id]
        return problem, (self.perturb_problem(problem) if self.perturb_problem else problem)


def _renamed_pair(task_id: str) -> tuple[Problem, str]:
    problem = HUMANEVAL[task_id]
    return renamed(problem, problem.canonical_solution, camel_case(problem.entry_point))


EQUIVALENT: dict[str, Pair] = {
    "loop_vs_comprehension": Pair("HumanEval/29", canonical("HumanEval/29"), (
        "    kept = []\n"
        "    for s in strings:\n"
        "        if s.startswith(prefix):\n"
        "            kept.append(s)\n"
        "    return kept\n")),
    "map_vs_comprehension": Pair("HumanEval/42", canonical("HumanEval/42"),
                                 "    return list(map(lambda item: item + 1, l))\n"),
    "renamed_locals": Pair("HumanEval/8", canonical("HumanEval/8"), (
        "    total = 0\n"
        "    product = 1\n"
        "\n"
        "    for value in numbers:\n"
        "        total += value\n"
        "        product *= value\n"
        "    return total, product\n")),
    "other_algorithm_count": Pair("HumanEval/26", canonical("HumanEval/26"),
                                  "    return [n for n in numbers if numbers.count(n) == 1]\n"),
    "other_algorithm_max_key": Pair("HumanEval/12", canonical("HumanEval/12"),
                                    "    return max(strings, key=len) if strings else None\n"),
    "float_sum_reversed": Pair("HumanEval/4", canonical("HumanEval/4"), (
        "    mean = sum(reversed(numbers)) / len(numbers)\n"
        "    return sum(abs(x - mean) for x in reversed(numbers)) / len(numbers)\n")),
    "float_sum_fsum": Pair("HumanEval/4", canonical("HumanEval/4"), (
        "    import math\n"
        "    mean = math.fsum(numbers) / len(numbers)\n"
        "    return math.fsum(abs(x - mean) for x in numbers) / len(numbers)\n")),
    # The judge compares the two completions, not each with the canonical solution: the same bug twice is
    # the same behaviour (is_prime(2) is False in both).
    "same_bug_in_both": Pair("HumanEval/31", edited("HumanEval/31", "n < 2", "n <= 2"),
                             edited("HumanEval/31", "n < 2", "n <= 2")),
    **{f"docstring_only_{task_id.split('/')[1]}": Pair(task_id, canonical(task_id), canonical(task_id),
                                                       with_docstring_sentence)
       for task_id in ("HumanEval/0", "HumanEval/38", "HumanEval/115")},
}

DIFFERS: dict[str, Pair] = {
    # is_prime(2) becomes False; no test calls is_prime(2).
    "off_by_one": Pair("HumanEval/31", canonical("HumanEval/31"), edited("HumanEval/31", "n < 2", "n <= 2")),
    "rounding": Pair("HumanEval/71", canonical("HumanEval/71"),
                     edited("HumanEval/71", "round(area, 2)", "round(area, 1)")),
    # Both forget longest([]) (a tested call: the canonical solution returns None): ValueError from max(),
    # IndexError from strings[0]. They agree on every other input.
    "exception_type": Pair("HumanEval/12", "    return max(strings, key=len)\n", (
        "    best = strings[0]\n"
        "    for s in strings:\n"
        "        if len(s) > len(best):\n"
        "            best = s\n"
        "    return best\n")),
    # median sorts its argument in place: the same results, the caller's list changed.
    "mutates_argument": Pair("HumanEval/47", canonical("HumanEval/47"),
                             edited("HumanEval/47", "l = sorted(l)", "l.sort()")),
    "list_for_tuple": Pair("HumanEval/8", canonical("HumanEval/8"),
                           edited("HumanEval/8", "return sum_value, prod_value", "return [sum_value, prod_value]")),
    "always_equal_object": Pair("HumanEval/8", canonical("HumanEval/8"), (
        "    class AlwaysEqual:\n"
        "        def __eq__(self, other):\n"
        "            return True\n"
        "\n"
        "    return AlwaysEqual()\n")),
    "perturbed_does_not_load": Pair("HumanEval/8", canonical("HumanEval/8"), "    return (\n"),
    # A nominal that returns wrong values (but runs) is compared like any other: it is not "broken".
    "wrong_nominal": Pair("HumanEval/42", "    return [e - 1 for e in l]\n", canonical("HumanEval/42")),
}

NOMINAL_BROKEN: dict[str, Pair] = {
    "syntax_error": Pair("HumanEval/8", "    return (\n", canonical("HumanEval/8")),
    "raises_always": Pair("HumanEval/8", "    raise NotImplementedError('not written yet')\n",
                          canonical("HumanEval/8")),
    # Loads, handles [], raises NameError on every other input.
    "fails_on_most": Pair("HumanEval/8", "    if not numbers:\n        return 0, 1\n    return helper(numbers)\n",
                          canonical("HumanEval/8")),
}

RENAMED = ("HumanEval/0", "HumanEval/8", "HumanEval/38")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with open_sandbox(SandboxConfig()) as box:
        yield box


@pytest.fixture(scope="module")
def judge(sandbox: Sandbox) -> EquivalenceJudge:
    return EquivalenceJudge(sandbox)


@pytest.fixture(scope="module")
def verdicts(judge: EquivalenceJudge) -> dict[str, Verdict]:
    """Every pair of the tables above, and the renamed entry points, judged in one batch."""
    names: list[str] = []
    pairs: list[tuple[Problem, str, Problem, str]] = []
    for table in (EQUIVALENT, DIFFERS, NOMINAL_BROKEN):
        for name, pair in table.items():
            problem, perturbed_problem = pair.problems()
            names.append(name)
            pairs.append((problem, pair.nominal, perturbed_problem, pair.perturbed))
    for task_id in RENAMED:
        perturbed_problem, completion = _renamed_pair(task_id)
        names.append(f"renamed_{task_id}")
        pairs.append((HUMANEVAL[task_id], canonical(task_id), perturbed_problem, completion))
    results = judge.judge_many(pairs)
    assert len(results) == len(pairs)
    return dict(zip(names, results))


def check_consistent(verdict: Verdict) -> None:
    """What every verdict says about itself."""
    assert verdict.kind in KINDS
    assert bool(verdict) is (verdict.kind == "equivalent")
    assert 0 <= verdict.differing <= verdict.compared
    assert isinstance(verdict.reason, str) and "\n" not in verdict.reason
    assert verdict.reason or verdict.kind == "equivalent"  # a verdict other than "equivalent" says why
    json.dumps(verdict.to_json())  # JSON-safe


@pytest.mark.parametrize("name", list(EQUIVALENT))
def test_equivalent_pairs(name: str, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[name]
    check_consistent(verdict)
    assert verdict.kind == "equivalent", verdict.describe()
    assert verdict.differing == 0
    assert verdict.compared > 0
    assert verdict.input is None and verdict.nominal is None and verdict.perturbed is None


@pytest.mark.parametrize("task_id", RENAMED)
def test_renamed_entry_point_is_called_by_its_new_name(task_id: str, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[f"renamed_{task_id}"]
    check_consistent(verdict)
    assert verdict.kind == "equivalent", verdict.describe()
    assert verdict.compared > 0


def test_renamed_entry_point_is_not_found_by_its_old_name(judge: EquivalenceJudge) -> None:
    # The renamed program has no function by the old name: called by the old name, nothing could run.
    perturbed_problem, completion = _renamed_pair("HumanEval/8")
    stale = perturbed_problem.with_changes(entry_point="sum_product")
    verdict = judge.judge(HUMANEVAL["HumanEval/8"], canonical("HumanEval/8"), stale, completion)
    check_consistent(verdict)
    assert verdict.kind == "differs"


def _differs(verdicts: dict[str, Verdict], name: str, sandbox: Sandbox, judge: EquivalenceJudge) -> Verdict:
    """The verdict of DIFFERS[name], checked for what every "differs" verdict with an input says: the outcomes
    reported are what the two programs do on that input, and the canonical outcome is the judge's."""
    verdict = verdicts[name]
    check_consistent(verdict)
    assert verdict.kind == "differs", verdict.describe()
    assert verdict.differing >= 1
    assert verdict.input is not None and isinstance(verdict.input, tuple)
    assert verdict.nominal is not None and verdict.perturbed is not None and verdict.canonical is not None
    assert verdict.nominal != verdict.perturbed
    pair = DIFFERS[name]
    problem, perturbed_problem = pair.problems()
    assert same_outcome(verdict.nominal, rerun(sandbox, problem, pair.nominal, verdict.input))
    assert same_outcome(verdict.perturbed, rerun(sandbox, perturbed_problem, pair.perturbed, verdict.input))
    inputs = judge.inputs_for(problem)
    assert verdict.input in inputs.inputs
    assert verdict.canonical == inputs.canonical[inputs.inputs.index(verdict.input)]
    return verdict


def test_off_by_one_on_an_untested_input(verdicts: dict[str, Verdict], sandbox: Sandbox,
                                         judge: EquivalenceJudge) -> None:
    pair = DIFFERS["off_by_one"]
    problem = HUMANEVAL[pair.task_id]
    # The tests do not see the bug...
    assert sandbox.run_tests(problem.prompt + pair.perturbed, problem.test, problem.entry_point).passed
    # ...the judge does: only is_prime(2) differs.
    verdict = _differs(verdicts, "off_by_one", sandbox, judge)
    assert verdict.input == (2,)
    assert decoded(verdict.nominal) is True
    assert decoded(verdict.perturbed) is False
    assert decoded(verdict.canonical) is True


def _heron(a: float, b: float, c: float) -> float:
    s = (a + b + c) / 2
    return float((s * (s - a) * (s - b) * (s - c)) ** 0.5)


def test_changed_rounding(verdicts: dict[str, Verdict], sandbox: Sandbox, judge: EquivalenceJudge) -> None:
    verdict = _differs(verdicts, "rounding", sandbox, judge)
    area = _heron(*verdict.input)
    assert decoded(verdict.nominal) == round(area, 2)
    assert decoded(verdict.perturbed) == round(area, 1)
    assert round(area, 2) != round(area, 1)
    assert verdict.canonical == verdict.nominal


def test_different_exception_type(verdicts: dict[str, Verdict], sandbox: Sandbox, judge: EquivalenceJudge) -> None:
    verdict = _differs(verdicts, "exception_type", sandbox, judge)
    assert verdict.input == ([],)
    assert verdict.differing == 1
    assert (verdict.nominal.kind, verdict.nominal.exception_type) == ("raised", "ValueError")
    assert (verdict.perturbed.kind, verdict.perturbed.exception_type) == ("raised", "IndexError")
    assert verdict.nominal.show() == "raised ValueError: max() arg is an empty sequence"
    assert verdict.perturbed.show() == "raised IndexError: list index out of range"
    assert verdict.canonical.kind == "returned" and decoded(verdict.canonical) is None


def test_difference_only_where_the_canonical_solution_raises_is_not_seen(judge: EquivalenceJudge) -> None:
    # max_element([]) raises IndexError (l[0]) in the canonical solution, ValueError with max(). No test
    # calls it with [], and generated inputs are kept only where the canonical solution returns: the
    # judge does not hold completions to inputs outside the canonical solution's domain.
    problem = HUMANEVAL["HumanEval/35"]
    verdict = judge.judge(problem, canonical("HumanEval/35"), problem, "    return max(l)\n")
    assert verdict.kind == "equivalent", verdict.describe()
    inputs = judge.inputs_for(problem)
    assert ([],) not in inputs.inputs
    assert all(outcome.kind == "returned" for outcome in inputs.canonical)


def test_mutated_argument(verdicts: dict[str, Verdict], sandbox: Sandbox, judge: EquivalenceJudge) -> None:
    verdict = _differs(verdicts, "mutates_argument", sandbox, judge)
    (numbers,) = verdict.input  # the input as it was before the call: not sorted
    assert isinstance(numbers, list) and numbers != sorted(numbers)
    # The same result; only the caller's list differs afterwards.
    assert verdict.nominal.value == verdict.perturbed.value
    assert verdict.nominal.arguments_after is None
    assert list(decode_value(verdict.perturbed.arguments_after)) == [sorted(numbers)]
    assert verdict.canonical == verdict.nominal


def test_list_returned_for_a_tuple(verdicts: dict[str, Verdict], sandbox: Sandbox, judge: EquivalenceJudge) -> None:
    verdict = _differs(verdicts, "list_for_tuple", sandbox, judge)
    nominal, perturbed = decoded(verdict.nominal), decoded(verdict.perturbed)
    (numbers,) = verdict.input
    assert type(nominal) is tuple and type(perturbed) is list
    assert list(nominal) == perturbed
    assert nominal[0] == sum(numbers)
    assert verdict.nominal.show() == f"returned {nominal!r}"
    assert verdict.perturbed.show() == f"returned {perturbed!r}"


def test_object_that_equals_everything(verdicts: dict[str, Verdict], sandbox: Sandbox,
                                       judge: EquivalenceJudge) -> None:
    pair = DIFFERS["always_equal_object"]
    problem = HUMANEVAL[pair.task_id]
    # The sandbox's test runs refuse such a result (plain `==` in the tests would take its word)...
    result = sandbox.run_tests(problem.prompt + pair.perturbed, problem.test, problem.entry_point)
    assert result.exception_type == "UncheckableResult"
    # ...and the judge compares encodings made in the sandbox: the object is not a tuple.
    verdict = _differs(verdicts, "always_equal_object", sandbox, judge)
    assert verdict.perturbed.kind == "returned"
    assert isinstance(verdict.perturbed.value, dict) and verdict.perturbed.value["$"] == "object"
    assert "AlwaysEqual" in verdict.perturbed.value["type"]
    assert type(decoded(verdict.nominal)) is tuple


def test_wrong_nominal_differs(verdicts: dict[str, Verdict], sandbox: Sandbox, judge: EquivalenceJudge) -> None:
    verdict = _differs(verdicts, "wrong_nominal", sandbox, judge)
    (numbers,) = verdict.input
    assert decoded(verdict.nominal) == [e - 1 for e in numbers]
    assert decoded(verdict.perturbed) == [e + 1 for e in numbers] == decoded(verdict.canonical)
    # they agree on [] only
    empty = judge.inputs_for(HUMANEVAL["HumanEval/42"]).inputs.count(([],))
    assert empty >= 1
    assert verdict.differing == verdict.compared - empty


def test_perturbed_that_does_not_load_differs(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["perturbed_does_not_load"]
    check_consistent(verdict)
    assert verdict.kind == "differs", verdict.describe()
    assert "SyntaxError" in verdict.describe()


@pytest.mark.parametrize("name", list(NOMINAL_BROKEN))
def test_nominal_broken(name: str, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[name]
    check_consistent(verdict)
    assert verdict.kind == "nominal_broken", verdict.describe()
    assert not verdict
    expected = {"syntax_error": "SyntaxError", "raises_always": "NotImplementedError", "fails_on_most": "NameError"}
    assert verdict.nominal is not None and verdict.nominal.exception_type == expected[name]


def test_problem_without_inputs_is_undecided(judge: EquivalenceJudge) -> None:
    # Its tests make no call: there is nothing to compare on (and nothing typed to generate from).
    problem = Problem(task_id="custom/no-calls", prompt="def identity(x):\n", entry_point="identity",
                      canonical_solution="    return x\n", test="def check(candidate):\n    pass\n")
    verdict = judge.judge(problem, "    return x\n", problem, "    return [x]\n")
    check_consistent(verdict)
    assert verdict.kind == "undecided", verdict.describe()
    assert verdict.compared == 0 and verdict.input is None


def test_both_loop_forever_is_undecided() -> None:
    problem = HUMANEVAL["HumanEval/8"]
    forever = "    while True:\n        pass\n"
    with open_sandbox(SandboxConfig(timeout_s=0.5, workers=1)) as box:
        verdict = EquivalenceJudge(box, inputs=5).judge(problem, forever, problem, forever)
    check_consistent(verdict)
    assert verdict.kind == "undecided", verdict.describe()
    assert verdict.differing == 0


def test_describe_shows_input_and_all_three_outputs(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["list_for_tuple"]
    text = verdict.describe()
    assert len(text.splitlines()) >= 4
    assert repr(verdict.input[0]) in text
    for outcome in (verdict.nominal, verdict.perturbed, verdict.canonical):
        assert outcome is not None and outcome.show() in text
    # the tuple and the list stay apart in the text
    assert f"returned {decoded(verdict.nominal)!r}" in text
    assert f"returned {decoded(verdict.perturbed)!r}" in text


def test_assert_equivalent_raises_with_the_description(sandbox: Sandbox) -> None:
    problem = HUMANEVAL["HumanEval/8"]
    pair = DIFFERS["list_for_tuple"]
    expected = compare(problem, pair.nominal, pair.perturbed, sandbox=sandbox)
    assert expected.kind == "differs"
    with pytest.raises(AssertionError) as raised:
        assert_equivalent(problem, pair.nominal, pair.perturbed, sandbox=sandbox)
    assert str(raised.value) == expected.describe()
    # the top-level name is the same function
    with pytest.raises(AssertionError):
        pytest_recode.assert_equivalent(problem, pair.nominal, pair.perturbed, sandbox=sandbox)
    same = pytest_recode.assert_equivalent(problem, pair.nominal, EQUIVALENT["renamed_locals"].perturbed,
                                           sandbox=sandbox)
    assert isinstance(same, pytest_recode.Verdict) and same.kind == "equivalent"


def test_compare_with_a_default_sandbox() -> None:
    problem = HUMANEVAL["HumanEval/29"]
    pair = EQUIVALENT["loop_vs_comprehension"]
    verdict = pytest_recode.compare(problem, pair.nominal, pair.perturbed)
    assert isinstance(verdict, pytest_recode.Verdict)
    assert verdict.kind == "equivalent", verdict.describe()


def test_compare_a_whole_rewritten_program(sandbox: Sandbox) -> None:
    # With an empty perturbed prompt the completion is the whole program.
    problem = HUMANEVAL["HumanEval/8"]
    whole = problem.prompt + EQUIVALENT["renamed_locals"].perturbed
    verdict = compare(problem, problem.canonical_solution, whole, perturbed_problem=problem.with_changes(prompt=""),
                      sandbox=sandbox)
    assert verdict.kind == "equivalent", verdict.describe()


def test_inputs_come_from_the_tests_and_beyond(judge: EquivalenceJudge) -> None:
    problem = HUMANEVAL["HumanEval/8"]
    inputs = judge.inputs_for(problem)
    assert judge.inputs_for(problem) is inputs or judge.inputs_for(problem) == inputs  # computed once
    for args in (([],), ([1, 1, 1],), ([100, 0],), ([3, 5, 7],), ([10],)):
        assert args in inputs.inputs
    assert inputs.from_tests == 5
    assert len(inputs.inputs) > inputs.from_tests
    assert len(inputs.canonical) == len(inputs.inputs)
    assert all(type(args) is tuple for args in inputs.inputs)
    assert inputs.canonical[inputs.inputs.index(([],))].kind == "returned"
    assert decode_value(inputs.canonical[inputs.inputs.index(([],))].value) == (0, 1)
    assert decode_value(inputs.canonical[inputs.inputs.index(([3, 5, 7],))].value) == (15, 105)


def test_same_seed_same_inputs(sandbox: Sandbox, judge: EquivalenceJudge) -> None:
    problem = HUMANEVAL["HumanEval/8"]
    again = EquivalenceJudge(sandbox, seed=0).inputs_for(problem)
    assert again.inputs == judge.inputs_for(problem).inputs
    assert again.canonical == judge.inputs_for(problem).canonical


class _CountingSandbox:
    """A sandbox that counts the programs it is asked to call."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.config = sandbox.config
        self.called: list[str] = []

    def call_many(self, jobs, **options):  # type: ignore[no-untyped-def]
        self.called.extend(job.program for job in jobs)
        return self.sandbox.call_many(jobs, **options)

    def run_many(self, jobs, **options):  # type: ignore[no-untyped-def]
        return self.sandbox.run_many(jobs, **options)


def test_a_completion_that_is_the_canonical_solution_is_not_run_again(sandbox: Sandbox) -> None:
    problem = HUMANEVAL["HumanEval/8"]
    counting = _CountingSandbox(sandbox)
    judge = EquivalenceJudge(counting, inputs=20)  # type: ignore[arg-type]
    input_set = judge.inputs_for(problem)
    counting.called.clear()
    rewritten = EQUIVALENT["renamed_locals"].perturbed
    verdict = judge.judge(problem, problem.canonical_solution, problem, rewritten)
    # Its outcomes came with the input set: only the other side ran.
    assert counting.called == [problem.prompt + rewritten]
    assert verdict.kind == "equivalent" and verdict.compared == len(input_set.inputs)
    counting.called.clear()
    assert judge.judge(problem, problem.canonical_solution, problem, problem.canonical_solution).kind == "equivalent"
    assert counting.called == []
