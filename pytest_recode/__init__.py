"""pytest-recode: robustness of code-generation models as pytest tests.

Write ``@recode_robust`` tests that perturb a dataset's prompts with ReCode's meaning-preserving
transformations, have the model complete the nominal and the perturbed prompt, execute both in a sandbox,
and fail when they behave differently. See the README for the options and the ``recode`` command.
"""

from ._case import CaseOutcome, RecodeCase
from ._decorator import RobustSpec, recode_robust
from ._errors import (
    DatasetError,
    InvalidArgument,
    ModelError,
    RecodeError,
    ResourceMissing,
    RobustnessFailure,
    SandboxError,
    TransformError,
)
from ._version import __version__
from .execution import RunResult, Sandbox, SandboxConfig, Status, open_sandbox
from .models import CodeModel, GenerationConfig, load_model
from .problems import Problem, load_problems
from .reference import ReferenceModel
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

__all__ = [
    "CATEGORIES",
    "TRANSFORM_NAMES",
    "CaseOutcome",
    "CodeModel",
    "DatasetError",
    "Edit",
    "GenerationConfig",
    "InvalidArgument",
    "ModelError",
    "NotApplicable",
    "Perturbation",
    "Problem",
    "RecodeCase",
    "RecodeError",
    "ReferenceModel",
    "ResourceMissing",
    "RobustSpec",
    "RobustnessFailure",
    "RunResult",
    "Sandbox",
    "SandboxConfig",
    "SandboxError",
    "Site",
    "Status",
    "Transform",
    "TransformConfig",
    "TransformError",
    "__version__",
    "get_transform",
    "load_problems",
    "load_model",
    "open_sandbox",
    "recode_robust",
]


def _present_public_names() -> None:
    # Tracebacks and reprs show `pytest_recode.RobustnessFailure`, not the private module it lives in.
    for name in __all__:
        obj = globals()[name]
        if isinstance(obj, type) or callable(obj):
            try:
                obj.__module__ = __name__
            except (AttributeError, TypeError):
                pass


_present_public_names()
