"""The package surface: every public name resolves, and loading the plugin stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest_recode


def test_every_public_name_resolves_and_presents_itself_as_public() -> None:
    for name in pytest_recode.__all__:
        value = getattr(pytest_recode, name)
        if isinstance(value, type):
            assert value.__module__ == "pytest_recode", name


def test_unknown_names_raise_attribute_error() -> None:
    try:
        pytest_recode.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no attribute 'no_such_thing'" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_loading_the_plugin_imports_no_heavy_module() -> None:
    code = ("import sys, pytest_recode.plugin; "
            "print(sorted(m for m in ('torch', 'transformers', 'libcst', 'nltk', 'docker', 'sqlite3', "
            "'urllib.request', 'pytest_recode.models._hf_model') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
