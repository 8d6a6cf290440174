"""The table of transforms by ReCode name, imported lazily so that listing them stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from .._checks import check_choice, check_choices
from ._base import CATEGORIES, Category, Transform, TransformConfig

__all__ = ["RECODE_FOLDERS", "TRANSFORM_NAMES", "all_transforms", "get_transform", "transform_class", "transform_names"]

# name -> (category, module under pytest_recode.transforms, ReCode's folder name for the category)
_TABLE: dict[str, tuple[Category, str]] = {
    # docstring (ReCode: nlaugmenter)
    "BackTranslation": ("docstring", "_backtranslation"),
    "ButterFingersPerturbation": ("docstring", "_docstring"),
    "ChangeCharCase": ("docstring", "_docstring"),
    "EnglishInflectionalVariation": ("docstring", "_docstring"),
    "SwapCharactersPerturbation": ("docstring", "_docstring"),
    "SynonymInsertion": ("docstring", "_docstring"),
    "SynonymSubstitution": ("docstring", "_docstring"),
    "TenseTransformationPast": ("docstring", "_docstring"),
    "TenseTransformationFuture": ("docstring", "_docstring"),
    "WhitespacePerturbation": ("docstring", "_docstring"),
    # function_name (ReCode: func_name)
    "FuncRenameCamelCase": ("function_name", "_function_name"),
    "FuncRenameButterFinger": ("function_name", "_function_name"),
    "FuncRenameSwapChar": ("function_name", "_function_name"),
    "FuncRenameChangeChar": ("function_name", "_function_name"),
    "FuncRenameInflectionalVariation": ("function_name", "_function_name"),
    "FuncRenameSynonymSub": ("function_name", "_function_name"),
    # syntax (ReCode: natgen)
    "DeadCodeInserter": ("syntax", "_syntax"),
    "DeadCodeInserterLast": ("syntax", "_syntax"),
    "ForWhileTransformer": ("syntax", "_syntax"),
    "OperandSwap": ("syntax", "_syntax"),
    "VarRenamerCB": ("syntax", "_var_renamer_cb"),
    "VarRenamerNaive": ("syntax", "_syntax"),
    "VarRenamerRN": ("syntax", "_syntax"),
    # format (ReCode: format)
    "tab_indent": ("format", "_format"),
    "split_lines": ("format", "_format"),
    "doc2comments": ("format", "_format"),
    "new_lines": ("format", "_format"),
    "new_line_aftercode": ("format", "_format"),
    "new_line_afterdoc": ("format", "_format"),
}

#: Every transform name, in ReCode's order within the four categories.
TRANSFORM_NAMES: tuple[str, ...] = tuple(_TABLE)

#: ReCode's folder for each category in its perturbed-data layout.
RECODE_FOLDERS: dict[Category, str] = {
    "docstring": "nlaugmenter",
    "function_name": "func_name",
    "syntax": "natgen",
    "format": "format",
}


def transform_names(categories: Iterable[str] | None = None) -> tuple[str, ...]:
    """Names of the transforms in the given categories (all four by default)."""
    if categories is None:
        return TRANSFORM_NAMES
    chosen = set(check_choices("categories", categories, CATEGORIES))
    return tuple(name for name, (category, _) in _TABLE.items() if category in chosen)


def transform_class(name: str) -> type[Transform]:
    """The class implementing the transform ReCode calls ``name``."""
    check_choice("name", name, TRANSFORM_NAMES)
    _, module_name = _TABLE[name]
    module = importlib.import_module(f"pytest_recode.transforms.{module_name}")
    cls = getattr(module, name)
    assert issubclass(cls, Transform) and cls.name == name, name
    return cls


def get_transform(name: str, config: TransformConfig | None = None) -> Transform:
    """A ready instance of the transform called ``name``."""
    return transform_class(name)(config)


def all_transforms(
    categories: Iterable[str] | None = None, config: TransformConfig | None = None
) -> list[Transform]:
    """Instances of every transform in the given categories, in ReCode's order."""
    return [get_transform(name, config) for name in transform_names(categories)]
