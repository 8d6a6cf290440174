"""Hypothesis strategies over ReCode's perturbations, and recipes that replay a perturbation exactly.

Use them with a plain ``@given``; no plugin option is needed::

    from hypothesis import given
    from pytest_recode import load_problems
    from pytest_recode.strategies import perturbations

    problem = load_problems("humaneval")[0]

    @given(perturbations(problem, categories=["docstring"]))
    def test_my_model_survives_typos(perturbation):
        assert solves(my_model(perturbation.perturbed.prompt), perturbation.perturbed)

When such a test fails, Hypothesis shrinks the perturbation: fewer transforms, fewer edits, earlier
sites, the most natural option.
"""

from ._draw import compositions, perturbations, perturbed_problems
from ._recipe import AnyPerturbation, Composition, Recipe, RecipeStep, recipe_steps

__all__ = [
    "AnyPerturbation",
    "Composition",
    "Recipe",
    "RecipeStep",
    "compositions",
    "perturbations",
    "perturbed_problems",
    "recipe_steps",
]
