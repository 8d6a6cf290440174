"""The exceptions pytest-recode raises.

Every exception derives from :class:`RecodeError`; most also derive from the built-in exception a caller
would naturally catch (``ValueError`` for bad input, ``LookupError`` for a missing resource), so
``except ValueError`` keeps working for code that knows nothing of this package.
"""

from __future__ import annotations

__all__ = [
    "CacheWarning",
    "DatasetError",
    "InvalidArgument",
    "ModelError",
    "RecodeError",
    "RecodeWarning",
    "ReportError",
    "RobustnessFailure",
    "ResourceMissing",
    "SandboxError",
    "TransformError",
]


class RecodeError(Exception):
    """Base class of every error raised by pytest-recode."""


class InvalidArgument(RecodeError, ValueError):
    """An argument has the wrong type or value; the message names it as ``name=value`` and says what fits."""


class DatasetError(RecodeError, ValueError):
    """A dataset file or record is malformed; the message names the file, the line and the field."""


class ResourceMissing(RecodeError, LookupError):
    """Data or a model a feature needs is not installed; the message names it and the command that installs it."""


class TransformError(RecodeError, RuntimeError):
    """A transform failed on an input it claimed to handle (a bug here: please report it with the input)."""


class ModelError(RecodeError, RuntimeError):
    """A model could not be loaded or failed to generate."""


class SandboxError(RecodeError, RuntimeError):
    """The sandbox itself failed (not the program it ran): it could not start, or its worker broke."""


class ReportError(RecodeError, ValueError):
    """A results or report file is missing, malformed, or does not fit with the others it is used with
    (shards of different runs); the message names the file and what is wrong."""


class RobustnessFailure(RecodeError, AssertionError):
    """A model is not robust to a perturbation: raised by ``recode_case.check()`` and its assertions."""


class RecodeWarning(UserWarning):
    """Base class of every warning pytest-recode gives: something went wrong and the session goes on."""


class CacheWarning(RecodeWarning):
    """The completion cache cannot be used (damaged, unreadable, unwritable): the session goes on without it."""
