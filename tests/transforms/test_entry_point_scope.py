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
