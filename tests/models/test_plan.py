from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.models._plan import StepCosts, cache_length, plan_batches

ONE_B = StepCosts(weight_bytes=2.2e9, slot_bytes=22 * 2 * 4 * 64 * 2, params=1.1e9)


def test_without_costs_batches_are_cut_at_batch_size() -> None:
    assert plan_batches([9] * 7, max_rows=3, new_tokens=8) == [3, 3, 1]
    assert plan_batches([9] * 7, max_rows=6, new_tokens=8, rows_per_prompt=2) == [3, 3, 1]
    assert plan_batches([], max_rows=3, new_tokens=8) == []


def test_cache_length_rounds_to_64() -> None:
    assert [cache_length(w, 128) for w in (1, 64, 65)] == [192, 192, 256]


def test_a_long_tail_gets_its_own_batch_when_its_cache_would_cost_more_than_a_weight_read() -> None:
    widths = [520] * 8 + [160] * 160
    assert plan_batches(widths, max_rows=256, new_tokens=128, costs=ONE_B) == [8, 160]


def test_similar_prompts_share_one_batch() -> None:
    assert plan_batches([170] * 40 + [150] * 124, max_rows=256, new_tokens=128, costs=ONE_B) == [164]


@given(st.lists(st.integers(1, 600), min_size=1, max_size=300), st.integers(1, 300))
def test_plan_covers_every_prompt_within_the_cap(widths: list[int], cap: int) -> None:
    widths.sort(reverse=True)
    plan = plan_batches(widths, max_rows=cap, new_tokens=64, costs=ONE_B)
    assert sum(plan) == len(widths) and all(0 < size <= cap for size in plan)
