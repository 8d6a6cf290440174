"""Checking ``--recode-model`` before collection, so that a wrong spec is one usage error, not one per test."""

from __future__ import annotations

import os

import pytest


def model_spec_problem(spec: str) -> str | None:
    """What is wrong with a model spec that can be seen without loading the model, or ``None``."""
    if spec.startswith("python:"):
        target = spec[len("python:") :]
        module, sep, attr = target.partition(":")
        if not sep or not module or not attr:
            return "a python: model must have the form python:MODULE:ATTR"
        return None
    if spec.startswith(("http://", "https://")):
        return None
    path = os.path.expanduser(spec)
    if os.path.isdir(path):
        if not os.path.exists(os.path.join(path, "config.json")):
            return f"the directory {path} holds no config.json, so it is not a transformers model directory"
        return None
    if os.path.exists(path):
        return f"{path} is a file; a transformers model is a directory (with config.json and weights)"
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1 or os.sep in spec and spec.count("/") != 1:
        return f"no such directory: {path}"
    return None  # a hub id such as "org/name": resolved from the local hub cache when loaded


def check_model_spec(spec: str) -> None:
    """Raise ``pytest.UsageError`` when the spec cannot name a model; loading happens later, once per worker."""
    problem = model_spec_problem(spec)
    if problem is not None:
        raise pytest.UsageError(f"--recode-model={spec}: {problem}.")
