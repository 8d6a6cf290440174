"""How a model repository plugs its model into pytest-recode.

With ``--recode-model`` on the command line (a transformers directory, a hub id in the local cache,
``python:MODULE:ATTR`` or an OpenAI-compatible ``http(s)://`` server), pytest-recode loads that model.
Without it, this suite uses ``ReferenceModel``: it answers every prompt with the reference solution of the
closest built-in problem, as a model that memorised the dataset would. It is right on every nominal prompt
and brittle under some perturbations (its memorised code still calls the old function name after a
rename), which is what the suite then reports.
"""

from __future__ import annotations

from typing import Any

from pytest_recode import ReferenceModel, load_problems


def pytest_recode_load_model(config: Any, settings: Any) -> Any:
    if settings.model is not None:
        return None  # let pytest-recode load --recode-model
    return ReferenceModel(load_problems("builtin"))


# Overriding the fixture works as well, for any callable list[str] -> list[str]:
#
# @pytest.fixture(scope="session")
# def recode_model():
#     return my_generate_function
