"""The registry: ReCode's 29 transforms under their names, in their categories, randomized as in RECODE.md."""

from __future__ import annotations

import pytest

from pytest_recode.transforms import (
    CATEGORIES,
    TRANSFORM_NAMES,
    Transform,
    all_transforms,
    get_transform,
    transform_class,
    transform_names,
)

# [R] in RECODE.md: ReCode draws several seeded variants of these.
RANDOMIZED = {
    "ButterFingersPerturbation", "ChangeCharCase", "EnglishInflectionalVariation", "SwapCharactersPerturbation",
    "SynonymInsertion", "SynonymSubstitution", "WhitespacePerturbation",
    "FuncRenameButterFinger", "FuncRenameSwapChar", "FuncRenameChangeChar", "FuncRenameInflectionalVariation",
    "FuncRenameSynonymSub",
    "DeadCodeInserter", "VarRenamerRN",
    "new_lines",
}


def test_twenty_nine_transforms_in_four_categories() -> None:
    assert len(TRANSFORM_NAMES) == len(set(TRANSFORM_NAMES)) == 29
    assert [len(transform_names([c])) for c in CATEGORIES] == [10, 6, 7, 6]


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_every_name_is_a_transform_of_its_category(name: str) -> None:
    cls = transform_class(name)
    assert issubclass(cls, Transform) and cls.name == name
    assert name in transform_names([cls.category])
    assert cls.randomized == (name in RANDOMIZED)
    instance = get_transform(name)
    assert isinstance(instance, cls) and (instance.unavailable() is None or isinstance(instance.unavailable(), str))


def test_code_categories_come_from_the_code_modules() -> None:
    modules = {transform_class(n).__module__ for n in transform_names(["syntax", "format"])}
    assert modules == {"pytest_recode.transforms._syntax", "pytest_recode.transforms._dead_code",
                       "pytest_recode.transforms._loops", "pytest_recode.transforms._var_renamer_cb",
                       "pytest_recode.transforms._format"}


def test_all_transforms_keeps_recodes_order() -> None:
    assert [t.name for t in all_transforms(["syntax", "format"])] == list(transform_names(["syntax", "format"]))


def test_misspelled_names_get_a_suggestion() -> None:
    with pytest.raises(ValueError, match="Did you mean 'tab_indent'"):
        transform_class("tab_indnet")
