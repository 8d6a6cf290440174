"""One ``@recode_robust`` item: judge the problem through the pipeline, report what it found.

The pipeline judges (replayed failures, seeded variants, the Hypothesis search, shrinking); this module
only connects it to pytest: the user's test as the judge of a case, the example database, the records
that travel to the controller, the failure report with its replay line, and the skip when the model
does not solve the problem in the first place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from ._case import RecodeCase
from ._replay import FailureDatabase, replay_line
from ._state import state_of

if TYPE_CHECKING:
    from ..pipeline import CaseBatch, Finding, ProblemRun, RecodeContext
    from ..problems import Problem
    from ..strategies import AnyPerturbation
    from ._decorator import RobustSpec

__all__ = ["ITEM_PROPERTY", "CASES_PROPERTY", "run_item"]

#: ``user_properties`` names: every case of the item (a JSON list), and the item's summary (a JSON object).
CASES_PROPERTY = "recode"
ITEM_PROPERTY = "recode_item"


#: What a pytest user gives to run the transforms that need a local model (their own reasons name the API).
_NEEDS = {
    "BackTranslation": "needs --recode-translation-models=EN_DE_DIR,DE_EN_DIR",
    "VarRenamerCB": "needs --recode-masked-code-model=DIR",
}


def _judge_with(test: Callable[..., Any], spec: RobustSpec, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Callable[[AnyPerturbation, CaseBatch], BaseException | None]:
    def check(perturbation: AnyPerturbation, batch: CaseBatch) -> BaseException | None:
        try:
            test(*args, recode_case=RecodeCase(perturbation, batch, spec.mode), **kwargs)
        except pytest.skip.Exception:  # the test chose not to judge this case
            return None
        except (Exception, pytest.fail.Exception) as exc:
            return exc
        return None

    return check


def run_item(test: Callable[..., Any], spec: RobustSpec, problem: Problem, context: RecodeContext, request: Any,
             args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    from .._errors import InvalidArgument, ModelError
    from ..pipeline import SearchPlan, judge_problem, search_seed
    from ..strategies import Recipe

    state = state_of(request.config)
    settings = state.settings
    nodeid = request.node.nodeid
    transforms = [context.transform(name) for name in spec.transform_names()]
    for transform in transforms:
        reason = transform.unavailable()
        if reason is not None:
            state.unavailable.setdefault(transform.name, _NEEDS.get(transform.name, reason))
    database = FailureDatabase(settings.database)
    replay = Recipe.parse(settings.replay) if settings.replay is not None else None
    stored = tuple(database.fetch(nodeid)) if replay is None else ()
    plan = SearchPlan(
        transforms=tuple(t for t in transforms if t.unavailable() is None),
        seeds=spec.seeds,
        base_seed=settings.seed,
        max_examples=settings.max_examples or spec.max_examples,
        search=spec.search == "hypothesis",
        compose=spec.compose,
        shrink_budget=settings.shrink_budget or spec.shrink_budget,
        search_seed=search_seed(settings.seed, nodeid),
        stored=stored,
        replay=replay,
    )
    try:
        run = judge_problem(problem, plan, context, _judge_with(test, spec, args, kwargs), test=nodeid)
    except InvalidArgument as exc:
        if replay is not None:
            _skip(str(exc))
        raise
    except ModelError as exc:  # a dead server, a broken model: one line, not a traceback per item
        model_error: ModelError | None = exc
    else:
        model_error = None
    if model_error is not None:
        # Failed outside the handler, so that pytest does not print the model's error a second time as the cause.
        pytest.fail(f"recode: {model_error}", pytrace=False)
    _record(request, run, state.unavailable)
    if replay is None:
        _remember(database, nodeid, stored, run)
    if run.finding is not None:
        # The report says everything: no traceback through the plugin's frames.
        pytest.fail(failure_report(run.finding, replay_line(request.config, settings, nodeid, run.finding.recipe)),
                    pytrace=False)
    if run.judged == 0:
        names = ", ".join(t.name for t in transforms)
        _skip("; ".join(run.nominal_failures) or f"no transform changes {problem.task_id} ({names})")


def _skip(reason: str) -> None:
    """Skip the item, reported at the test's own location rather than inside the plugin."""
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # a pytest without the private flag: a plain skip
        pytest.skip(reason)


def _record(request: Any, run: ProblemRun, unavailable: dict[str, str]) -> None:
    """What travels to the controller (as JSON text, so ``--junitxml`` shows JSON too)."""
    finding = run.finding
    item = {
        "task_id": run.cases[0].task_id if run.cases else "",
        "judged": run.judged,
        "examples": len(run.cases),
        "nominal_failures": list(run.nominal_failures),
        "unavailable": dict(unavailable),
        "finding": None if finding is None else {
            "transform": finding.perturbation.transform,
            "category": finding.perturbation.category,
            "size": finding.perturbation.size,
            "prompt_diff": finding.perturbation.prompt_diff(),
            "first_size": finding.first.size,
            "recipe": finding.recipe.text(),
            "proven": finding.proven,
            "failures": finding.failures,
            "prompts": finding.prompts,
            "calls": finding.calls,
            "rounds": finding.rounds,
        },
    }
    request.node.user_properties.append((CASES_PROPERTY, json.dumps([c.to_json() for c in run.cases])))
    request.node.user_properties.append((ITEM_PROPERTY, json.dumps(item)))


def _remember(database: FailureDatabase, nodeid: str, stored: tuple[Any, ...], run: ProblemRun) -> None:
    """Keep the minimal failure for the next run; forget stored ones that no longer fail."""
    failing = run.finding.recipe if run.finding is not None else None
    for recipe in stored:
        if recipe != failing:
            database.delete(nodeid, recipe)
    if failing is not None:
        database.save(nodeid, failing)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def failure_report(finding: Finding, replay: str) -> str:
    """The message of a failing item: the minimal perturbation, its diff, both completions, how they differ,
    what finding it cost, and the line that replays it."""
    perturbation = finding.perturbation
    batch = finding.batch
    lines = [
        f"Minimal failing perturbation: {perturbation.transform} ({_plural(perturbation.size, 'edit')}) on "
        f"{perturbation.nominal.task_id}" + ("" if finding.proven else
                                             " (the shrink budget ran out: it may not be minimal)"),
        "--- prompt diff (nominal -> perturbed) ---",
        perturbation.prompt_diff().rstrip("\n"),
        "--- nominal completion ---",
        batch.nominal(perturbation).completion.rstrip("\n"),
        "--- perturbed completion ---",
        batch.perturbed(perturbation).completion.rstrip("\n"),
        "--- how they differ ---",
        str(finding.error).rstrip("\n") or type(finding.error).__name__,
    ]
    if finding.first.size != perturbation.size or finding.first.transform != perturbation.transform:
        source = {"seeded": f"seeded variant, seed {finding.first.seed}", "search": "drawn by the search",
                  "replay": "stored by an earlier run"}[finding.first_source]
        lines.append(f"Shrunk from {finding.first.transform} with {_plural(finding.first.size, 'edit')} ({source}).")
    lines.append(
        f"Found after {_plural(finding.examples, 'example')} ({_plural(finding.failures, 'failure')}), shrunk in "
        f"{_plural(finding.rounds, 'step')}, {_plural(finding.prompts, 'prompt')} generated in "
        f"{_plural(finding.calls, 'model call')}."
    )
    lines.append(f"Replay: {replay}")
    return "\n".join(lines)
