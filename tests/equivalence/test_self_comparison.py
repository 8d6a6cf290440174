"""Every canonical solution compared with itself is "equivalent": on HumanEval and on MBPP (where the
canonical solution passes its tests), judged twice by two judges with the same seed (identical verdicts),
and with a docstring-only change of the prompt. Slow: every problem's inputs are computed and run. Each
comparison sets a fresh run of the canonical solution against the run that made the input set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence

import pytest
from equivalence_support import with_docstring_sentence

from pytest_recode.equivalence import EquivalenceJudge, Verdict
from pytest_recode.execution import Sandbox, SandboxConfig, open_sandbox
from pytest_recode.execution._canonical import check_canonical
from pytest_recode.problems import Problem, load_problems

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with open_sandbox(SandboxConfig()) as box:
        yield box


def _not_equivalent(labels: Sequence[str], verdicts: Sequence[Verdict]) -> list[str]:
    return [f"{label}: {verdict.kind}: {verdict.reason}" for label, verdict in zip(labels, verdicts)
            if verdict.kind != "equivalent"]


def _check_self_comparison(problems: Sequence[Problem], sandbox: Sandbox, capsys: pytest.CaptureFixture[str],
                           dataset: str) -> None:
    # The judge takes the canonical solution's outcomes from the input set rather than run it again; a
    # trailing newline makes the other side a program of its own, run afresh: two runs compared.
    same = [(p, p.canonical_solution, p, p.canonical_solution + "\n") for p in problems]
    docstring = [(p, p.canonical_solution, with_docstring_sentence(p), p.canonical_solution) for p in problems]
    labels = [p.task_id for p in problems] + [f"{p.task_id} (docstring changed)" for p in problems]

    first, second = EquivalenceJudge(sandbox, seed=0), EquivalenceJudge(sandbox, seed=0)
    start = time.perf_counter()
    verdicts = first.judge_many(same + docstring)
    middle = time.perf_counter()
    again = second.judge_many(same)
    end = time.perf_counter()
    with capsys.disabled():
        print(f"\n{dataset}: {len(problems)} problems; {len(same) + len(docstring)} pairs judged in "
              f"{middle - start:.1f}s (inputs included); {len(same)} pairs by a second judge in {end - middle:.1f}s")

    assert len(verdicts) == 2 * len(problems) and len(again) == len(problems)
    # Everything found wrong, listed in full (a problem can be named more than once).
    found = _not_equivalent(labels, verdicts)
    found += [f"{label}: compared {v.compared}, differing {v.differing}" for label, v in zip(labels, verdicts)
              if v.kind == "equivalent" and not (v.compared > 0 and v.differing == 0)]
    # Two judges with the same seed: the same inputs, the same verdicts.
    found += [f"{p.task_id}: another input set from the second judge ({len(first.inputs_for(p).inputs)} vs "
              f"{len(second.inputs_for(p).inputs)} inputs)"
              for p in problems if first.inputs_for(p).inputs != second.inputs_for(p).inputs]
    found += [f"{label}: another verdict from the second judge: {a.to_json()} vs {b.to_json()}"
              for label, a, b in zip(labels, verdicts, again) if a != b]
    assert not found, f"{len(found)} findings:\n" + "\n".join(found)


def test_humaneval_canonical_solutions_equal_themselves(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    problems = load_problems("humaneval")
    assert len(problems) == 164
    _check_self_comparison(problems, sandbox, capsys, "HumanEval")


def test_mbpp_canonical_solutions_equal_themselves(mbpp_path: str, sandbox: Sandbox,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Every fourth passing problem in CI (all 962 take over ten minutes on 2 cores); RECODE_ALL_MBPP=1
    judges every one."""
    problems = load_problems("mbpp", mbpp_path=mbpp_path)
    passing = list(check_canonical(problems, sandbox).passed)
    assert len(passing) > 900  # a handful of MBPP's canonical solutions fail their own tests
    chosen = passing if os.environ.get("RECODE_ALL_MBPP") == "1" else passing[::4]
    _check_self_comparison(chosen, sandbox, capsys, "MBPP")
