"""``call_all``: every input of every program gets its outcome, in order, whatever the program does to its
process: calls report in batches, and a program that dies is run again from its last batch, each call then
reporting at once, so the outcome of the call that took it down says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_recode.equivalence._calls import CallPlan, call_all
from pytest_recode.execution import Sandbox, SandboxConfig, decode_value, open_sandbox

INPUTS = tuple((i,) for i in range(100))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with open_sandbox(SandboxConfig(workers=2, timeout_s=2.0)) as box:
        yield box


def _shown(outcomes: tuple) -> list[object]:  # type: ignore[type-arg]
    return [decode_value(o.value) if o.kind == "returned" else o.kind for o in outcomes]


def test_the_call_that_took_the_process_down_is_the_crashed_one(sandbox: Sandbox) -> None:
    exits = "import os\ndef f(n):\n    if n == 40:\n        os._exit(1)\n    return n\n"
    killed = "import os\ndef f(n):\n    if n in (40, 41):\n        os.kill(os.getpid(), 9)\n    return n\n"
    fine = "def f(n):\n    return -n\n"
    exited, twice, plain = call_all(sandbox, [CallPlan(p, "f", INPUTS) for p in (exits, killed, fine)])
    assert _shown(exited) == [*range(40), "crashed", *range(41, 100)]
    # Two crashes in a row: the second round makes no progress, and the calls after it are not run.
    assert _shown(twice) == [*range(40), "crashed", "crashed", *["not_run"] * 58]
    assert _shown(plain) == [-n for n in range(100)]


def test_a_program_that_does_not_load_raises_on_every_input(sandbox: Sandbox) -> None:
    (outcomes,) = call_all(sandbox, [CallPlan("def f(n) return n\n", "f", INPUTS[:5])])
    assert [(o.kind, o.exception_type) for o in outcomes] == [("raised", "SyntaxError")] * 5
    assert outcomes[0].message.startswith("while loading the program")


def test_a_call_past_its_cpu_limit_times_out_alone(sandbox: Sandbox) -> None:
    loops = "def f(n):\n    while n == 7:\n        pass\n    return n\n"
    (outcomes,) = call_all(sandbox, [CallPlan(loops, "f", INPUTS[:20], call_timeout=1.0, call_cpu_timeout=0.05)])
    assert _shown(outcomes) == [*range(7), "timeout", *range(8, 20)]
