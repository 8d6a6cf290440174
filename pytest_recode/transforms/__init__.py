"""ReCode's perturbations as pure, enumerable transforms of a :class:`~pytest_recode.Problem`."""

from ._base import (
    CATEGORIES,
    Category,
    Edit,
    NotApplicable,
    Perturbation,
    Site,
    Transform,
    TransformConfig,
    parse_translation_models,
    problem_rng,
)
from ._registry import (
    RECODE_FOLDERS,
    TRANSFORM_NAMES,
    all_transforms,
    get_transform,
    transform_class,
    transform_names,
)

__all__ = [
    "CATEGORIES",
    "RECODE_FOLDERS",
    "TRANSFORM_NAMES",
    "Category",
    "Edit",
    "NotApplicable",
    "Perturbation",
    "Site",
    "Transform",
    "TransformConfig",
    "all_transforms",
    "get_transform",
    "parse_translation_models",
    "problem_rng",
    "transform_class",
    "transform_names",
]
