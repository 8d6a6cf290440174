"""ReCode's perturbations as pure, enumerable transforms of a :class:`~pytest_recode.Problem`."""

from __future__ import annotations

from collections.abc import Sequence

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
from ._baseline import PARTIAL_CODE_CATEGORIES, baseline
from ._registry import (
    RECODE_FOLDERS,
    TRANSFORM_NAMES,
    all_transforms,
    get_transform,
    transform_class,
    transform_names,
)



def make_transforms(names: Sequence[str], config: TransformConfig | None = None) -> list[Transform]:
    """Instances of the named transforms; the code transforms among them share one parse cache.

    (Imported on call: the code transforms load libcst, which listing transforms does not need.)
    """
    from ._instances import make_transforms as make

    return make(names, config)


__all__ = [
    "PARTIAL_CODE_CATEGORIES",
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
    "baseline",
    "get_transform",
    "make_transforms",
    "parse_translation_models",
    "problem_rng",
    "transform_class",
    "transform_names",
]
