"""The headline figures as JUnit XML testsuite properties (``--junitxml``), each value a JSON number.

Each item's cases already travel as JSON text in its ``recode`` property, which the JUnit XML report shows
as it is. What is added here, once, at the end of the session: ``recode:pass@1`` (the nominal prompts),
and per category ``recode:<category>:RP@1``, ``RD@1``, ``RR@1`` and ``equiv`` (the share of judged cases
whose completions behave the same), ``null`` where a figure is undefined.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ._state import RecodeState

__all__ = ["add_headline_properties", "headline_figures"]


def headline_figures(state: RecodeState) -> dict[str, float | None]:
    """The figures, by property name, from the session's seeded cases."""
    from .._errors import InvalidArgument
    from ..metrics import CaseOutcome, equivalence_share, greedy_scores, problem_outcomes

    cases = [CaseOutcome.from_json(o) for o in state.outcomes]
    seeded = [c for c in cases if c.source == "seeded"]
    figures: dict[str, float | None] = {}
    if not seeded:
        return figures
    try:
        records = problem_outcomes(seeded)
    except InvalidArgument:
        return figures
    nominal = {(c.task_id, c.partial): c.nominal[0] for c in seeded if not c.partial}
    figures["recode:pass@1"] = sum(nominal.values()) / len(nominal) if nominal else None
    for category in sorted({c.category for c in seeded}):
        try:
            scores = greedy_scores(records, categories=[category])
        except InvalidArgument:  # sampled completions: no greedy figure
            continue
        figures[f"recode:{category}:RP@1"] = scores.robust_pass
        figures[f"recode:{category}:RD@1"] = scores.robust_drop
        figures[f"recode:{category}:RR@1"] = scores.robust_relative
        figures[f"recode:{category}:equiv"] = equivalence_share([c for c in seeded if c.category == category])
    return figures


def add_headline_properties(config: pytest.Config, state: RecodeState) -> None:
    """Add the figures to the JUnit XML report when ``--junitxml`` writes one."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pytest moved it: the per-item properties still carry every case
        return
    xml: Any = config.stash.get(xml_key, None)
    if xml is None:
        return
    for name, value in headline_figures(state).items():
        xml.add_global_property(name, json.dumps(None if value is None else round(value, 6)))
