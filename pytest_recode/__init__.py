"""pytest-recode: robustness of code-generation models as pytest tests.

Write ``@recode_robust`` tests that perturb a dataset's prompts with ReCode's meaning-preserving
transformations, have the model complete the nominal and the perturbed prompt, execute both in a sandbox,
and fail when they behave differently. See the README for the options and the ``recode`` command.

The public names below are imported on first use, so that loading the pytest plugin (which every pytest
run in an environment with this package does) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "CaseOutcome": ".metrics",
    "RecodeCase": ".plugin._case",
    "RobustSpec": ".plugin._decorator",
    "recode_robust": ".plugin._decorator",
    "DatasetError": "._errors",
    "InvalidArgument": "._errors",
    "ModelError": "._errors",
    "RecodeError": "._errors",
    "RecodeWarning": "._errors",
    "CacheWarning": "._errors",
    "ReportError": "._errors",
    "ResourceMissing": "._errors",
    "RobustnessFailure": "._errors",
    "SandboxError": "._errors",
    "TransformError": "._errors",
    "EquivalenceJudge": ".equivalence",
    "Verdict": ".equivalence",
    "assert_equivalent": ".equivalence",
    "compare": ".equivalence",
    "RunResult": ".execution",
    "Sandbox": ".execution",
    "SandboxConfig": ".execution",
    "Status": ".execution",
    "open_sandbox": ".execution",
    "CodeModel": ".models",
    "GenerationConfig": ".models",
    "load_model": ".models",
    "Problem": ".problems",
    "load_problems": ".problems",
    "ReferenceModel": ".models",
    "CATEGORIES": ".transforms",
    "TRANSFORM_NAMES": ".transforms",
    "Edit": ".transforms",
    "NotApplicable": ".transforms",
    "Perturbation": ".transforms",
    "Site": ".transforms",
    "Transform": ".transforms",
    "Composition": ".strategies",
    "Recipe": ".strategies",
    "TransformConfig": ".transforms",
    "get_transform": ".transforms",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'pytest_recode' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    if isinstance(value, type) or callable(value):
        try:  # tracebacks and reprs show `pytest_recode.RobustnessFailure`, not its private module
            value.__module__ = __name__
        except (AttributeError, TypeError):
            pass
    # Not cached in this module's globals (see pytest_recode.models.__getattr__).
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from ._errors import (
        CacheWarning,
        DatasetError,
        InvalidArgument,
        ModelError,
        RecodeError,
        RecodeWarning,
        ReportError,
        ResourceMissing,
        RobustnessFailure,
        SandboxError,
        TransformError,
    )
    from .equivalence import EquivalenceJudge, Verdict, assert_equivalent, compare
    from .execution import RunResult, Sandbox, SandboxConfig, Status, open_sandbox
    from .metrics import CaseOutcome
    from .models import CodeModel, GenerationConfig, ReferenceModel, load_model
    from .plugin._case import RecodeCase
    from .plugin._decorator import RobustSpec, recode_robust
    from .problems import Problem, load_problems
    from .strategies import Composition, Recipe
    from .transforms import (
        CATEGORIES,
        TRANSFORM_NAMES,
        Edit,
        NotApplicable,
        Perturbation,
        Site,
        Transform,
        TransformConfig,
        get_transform,
    )
