"""The benchmark run: batches across problems, results for every problem, and resuming from the journal."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_recode import GenerationConfig, InvalidArgument, ReportError, load_problems
from pytest_recode.execution import SandboxConfig, open_sandbox
from pytest_recode.models import CompletionEngine, ReferenceModel
from pytest_recode.pipeline import BenchmarkSettings, RecodeContext, run_benchmark
from pytest_recode.pipeline._journal import JOURNAL_NAME, Journal
from pytest_recode.report import load_results

SETTINGS = BenchmarkSettings(dataset="builtin", transforms=("ChangeCharCase", "FuncRenameCamelCase", "VarRenamerNaive"),
                             seeds=2, limit=5, sandbox="local")


class Interrupted(Exception):
    """Stands for the process being killed."""


class Counting:
    """The reference model over the built-in problems; counts its calls, and fails the call ``fail_at``."""

    name = "counting"

    def __init__(self, fail_at: int | None = None) -> None:
        self.model = ReferenceModel(load_problems("builtin"))
        self.calls: list[int] = []
        self.fail_at = fail_at

    def fingerprint(self) -> str:
        return "counting:1"

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        self.calls.append(len(prompts))
        if len(self.calls) == self.fail_at:
            raise Interrupted
        return self.model.complete(prompts, config)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    with open_sandbox(SandboxConfig(workers=1)) as box:
        yield box


def bench(model: Counting, sandbox: object, out: Path, settings: BenchmarkSettings = SETTINGS, **kwargs: object):
    context = RecodeContext(CompletionEngine(model), sandbox, settings.generation())  # type: ignore[arg-type]
    return run_benchmark(context, settings, out, model={"spec": "counting", "name": "counting",
                                                        "fingerprint": model.fingerprint()},
                         created=str(kwargs.pop("created", "2026-01-01T00:00:00Z")), versions={"pytest-recode": "x"},
                         **kwargs)  # type: ignore[arg-type]


def test_one_model_call_for_many_problems(sandbox: object, tmp_path: Path) -> None:
    model = Counting()
    results = bench(model, sandbox, tmp_path)
    assert len(model.calls) == 1  # every distinct prompt of the five problems in one call
    assert [p.task_id for p in results.problems] == [f"builtin/{i}" for i in range(5)]
    assert all(p.nominal == (True,) and p.partial == (True,) for p in results.problems)
    assert load_results(tmp_path / "results.json") == results
    assert not (tmp_path / JOURNAL_NAME).exists()


def test_a_run_stopped_half_way_resumes_from_its_journal(sandbox: object, tmp_path: Path) -> None:
    whole = bench(Counting(), sandbox, tmp_path / "whole", batch_prompts=1)
    stopped = Counting(fail_at=3)  # one problem per call: two problems finish, the third is lost
    with pytest.raises(Interrupted):
        bench(stopped, sandbox, tmp_path / "stopped", batch_prompts=1, created="2026-01-02T00:00:00Z")
    assert not (tmp_path / "stopped" / "results.json").exists()
    resumed_from: list[tuple[int, int]] = []
    again = Counting()
    results = bench(again, sandbox, tmp_path / "stopped", batch_prompts=1, created="2026-01-03T00:00:00Z",
                    on_resume=lambda done, total: resumed_from.append((done, total)))
    assert resumed_from == [(2, 5)]
    assert len(again.calls) == 3  # only the three unfinished problems
    assert results.created == "2026-01-02T00:00:00Z"  # a resumed run keeps the date it began
    assert replace(results, created=whole.created) == whole


def test_a_line_cut_short_by_a_kill_is_done_again(sandbox: object, tmp_path: Path) -> None:
    with pytest.raises(Interrupted):
        bench(Counting(fail_at=3), sandbox, tmp_path, batch_prompts=1)
    journal = tmp_path / JOURNAL_NAME
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # the second problem half-written
    again = Counting()
    results = bench(again, sandbox, tmp_path, batch_prompts=1)
    assert len(again.calls) == 4 and len(results.problems) == 5


def test_resuming_with_other_arguments_is_refused(sandbox: object, tmp_path: Path) -> None:
    with pytest.raises(Interrupted):
        bench(Counting(fail_at=2), sandbox, tmp_path, batch_prompts=1)
    with pytest.raises(ReportError, match=r"holds an unfinished run with other arguments: they differ in "
                                          r"settings.seeds \(2 and 1\) \(then and now\)"):
        bench(Counting(), sandbox, tmp_path, replace(SETTINGS, seeds=1))
    fresh = bench(Counting(), sandbox, tmp_path, replace(SETTINGS, seeds=1), fresh=True)
    assert fresh.settings["seeds"] == 1


def test_the_journal_header_holds_what_the_run_is(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    created, finished = journal.resume({"settings": {"a": 1}}, "then")
    assert (created, finished) == ("then", [])
    assert json.loads(journal.path.read_text()) == {"identity": {"settings": {"a": 1}}, "created": "then"}
    assert journal.resume({"settings": {"a": 1}}, "now") == ("then", [])


@pytest.mark.parametrize(("changes", "message"), [
    ({"k": (1, 10)}, "k=10 needs at least 10 completions per prompt"),
    ({"transforms": ()}, "choose at least one transform"),
    ({"seeds": 0}, "seeds=0: give an int of at least 1."),
    ({"limit": 0}, "limit=0: give at least 1 problem."),
])
def test_settings_are_checked(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace(")", r"\)")):
        replace(SETTINGS, **changes)
