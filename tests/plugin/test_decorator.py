"""Argument checking of @recode_robust: errors at decoration time that name the argument and the fix."""

from __future__ import annotations

import inspect

import pytest

from pytest_recode import InvalidArgument, recode_robust


def test_categories_as_a_bare_string_suggests_a_list() -> None:
    with pytest.raises(InvalidArgument, match=r"categories='docstring' is a string; did you mean categories=\['docstring'\]\?"):
        recode_robust(categories="docstring")


def test_misspelt_transform_suggests_the_closest_name() -> None:
    with pytest.raises(InvalidArgument, match=r"transforms\[0\]='FuncRenameCamelcase' is not one of .* Did you mean 'FuncRenameCamelCase'\?"):
        recode_robust(transforms=["FuncRenameCamelcase"])


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"mode='strict' is not one of \['equivalent', 'robust_pass'\]"):
        recode_robust(mode="strict")


@pytest.mark.parametrize("value", [0, -1])
def test_max_examples_must_be_positive(value: int) -> None:
    with pytest.raises(InvalidArgument, match=rf"max_examples={value} must be a number above 0"):
        recode_robust(max_examples=value)


def test_max_examples_must_be_an_int() -> None:
    with pytest.raises(InvalidArgument, match=r"max_examples='5' has type str; expected int"):
        recode_robust(max_examples="5")  # type: ignore[arg-type]


def test_problems_as_a_bare_string_suggests_a_list() -> None:
    with pytest.raises(InvalidArgument, match=r"problems='HumanEval/0' is a string; did you mean problems=\['HumanEval/0'\]\?"):
        recode_robust(problems="HumanEval/0")


def test_the_test_must_take_recode_case() -> None:
    def test_something(model):  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(InvalidArgument, match=r"must take a recode_case argument"):
        recode_robust()(test_something)


def test_decorating_twice_is_refused() -> None:
    def test_something(recode_case):  # type: ignore[no-untyped-def]
        pass

    once = recode_robust()(test_something)
    with pytest.raises(InvalidArgument, match="decorated with @recode_robust twice"):
        recode_robust()(once)


def test_wrapper_signature_swaps_recode_case_for_the_plugin_fixtures() -> None:
    def test_something(tmp_path, recode_case):  # type: ignore[no-untyped-def]
        pass

    wrapped = recode_robust()(test_something)
    assert list(inspect.signature(wrapped).parameters) == ["tmp_path", "recode_problem", "recode_context", "request"]
    assert wrapped.__name__ == "test_something"


def test_invalid_argument_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        recode_robust(mode="strict")
