"""Entry-point renames follow Python's scoping, not the order of statements."""

from __future__ import annotations

import textwrap

from pytest_recode import Problem
from pytest_recode.transforms._rename import rename_entry_point


def renamed(source: str, name: str, new: str) -> str:
    problem = Problem("t", textwrap.dedent(source), name, "", "def check(candidate):\n    pass\n")
    return rename_entry_point(problem, new).prompt


def test_a_local_of_the_same_name_read_before_reassignment_stays_local() -> None:
    # MBPP/245: the function assigns a local named like itself and reads it in `max(local, ...)`.
    before = """\
        def max_sum(values):
            max_sum = 0
            for value in values:
                max_sum = max(max_sum, value)
            return max_sum
        """
    after = """\
        def maxSum(values):
            max_sum = 0
            for value in values:
                max_sum = max(max_sum, value)
            return max_sum
        """
    assert renamed(before, "max_sum", "maxSum") == textwrap.dedent(after)


def test_a_local_assigned_after_the_read_is_still_local() -> None:
    before = """\
        def total(values):
            for value in values:
                if value:
                    print(total)
                total = value
            return 0
        """
    assert renamed(before, "total", "Total") == textwrap.dedent(before).replace("def total", "def Total")


def test_global_declarations_are_renamed_with_the_definition() -> None:
    before = """\
        def count(items):
            def inner():
                global count
                return count
            return inner()
        """
    after = """\
        def Count(items):
            def inner():
                global Count
                return Count
            return inner()
        """
    assert renamed(before, "count", "Count") == textwrap.dedent(after)


def test_methods_see_the_global_not_the_class_attribute() -> None:
    before = """\
        def area(r):
            class Shape:
                area = 3
                def f(self):
                    return area(1)
            return r * r
        """
    after = """\
        def Area(r):
            class Shape:
                area = 3
                def f(self):
                    return Area(1)
            return r * r
        """
    assert renamed(before, "area", "Area") == textwrap.dedent(after)


def test_translation_models_have_one_spelling() -> None:
    import pytest

    from pytest_recode import InvalidArgument
    from pytest_recode.transforms import parse_translation_models

    assert parse_translation_models("en-de, de-en") == ("en-de", "de-en")
    with pytest.raises(InvalidArgument, match="must be two directories separated by a comma: EN_DE_DIR,DE_EN_DIR"):
        parse_translation_models("en-de")


def test_no_split_marker_fits_a_prompt_that_stops_mid_line() -> None:
    import pytest

    from pytest_recode.problems import join_at_marker

    problem = Problem("t/1", "def f(x):\n    return ", "f", "x + 1\n", "")
    with pytest.raises(ValueError, match="t/1: the prompt does not end with a newline, so no split marker fits"):
        join_at_marker(problem)
