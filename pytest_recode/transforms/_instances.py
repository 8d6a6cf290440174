"""Transform instances built together, so that the code transforms among them share one parse cache."""

from __future__ import annotations

from collections.abc import Sequence

from ._base import Transform, TransformConfig
from ._code import CodeTransform, ProgramCache
from ._registry import transform_class

__all__ = ["make_transforms"]


def make_transforms(names: Sequence[str], config: TransformConfig | None = None) -> list[Transform]:
    """Instances of the named transforms; the code transforms among them share one parse cache."""
    programs = ProgramCache(maxsize=4096)
    transforms: list[Transform] = []
    for name in names:
        cls = transform_class(name)
        if issubclass(cls, CodeTransform):
            transforms.append(cls(config, programs=programs))
        else:
            transforms.append(cls(config))
    return transforms
