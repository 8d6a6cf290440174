"""Every command-line option and ini key of the plugin, in one group, and the settings read from them.

Each option ``--recode-x-y`` has the ini key ``recode_x_y``; the command line wins over the ini file,
and the ini file over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

__all__ = ["RecodeSettings", "add_options", "check_settings"]

# (option, type, default, help). Types: "str", "int", "float", "bool", "path".
_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    # models
    ("model", "str", None,
     "the model under test: a local transformers directory, a hub id (offline, from the local cache), "
     "python:MODULE:ATTR naming a callable list[str] -> list[str], or an http(s):// OpenAI-compatible server"),
    ("device", "str", "auto", "device for transformers models: auto, cpu, cuda, cuda:N (default: auto)"),
    ("dtype", "str", "auto", "weights dtype for transformers models: auto, float32, float16, bfloat16"),
    ("batch-size", "int", 32, "largest generation batch (default: 32)"),
    ("max-new-tokens", "int", 512, "most tokens generated per completion (default: 512)"),
    ("workers-per-gpu", "int", 1, "xdist workers that share one GPU (default: 1)"),
    ("cpu-threads", "int", 0,
     "torch threads per process for a transformers model on CPU (default: 0, under xdist each worker gets "
     "its share of the cores, outside xdist half of them, unless OMP_NUM_THREADS or MKL_NUM_THREADS is set)"),
    ("cache-dir", "path", None, "completion cache directory (default: <rootdir>/.recode-cache)"),
    ("no-cache", "bool", False, "do not read or write the completion cache"),
    ("clear-cache", "bool", False, "empty the completion cache before the session"),
    # execution
    ("sandbox", "str", "local", "where completions run: local, docker or subprocess (default: local)"),
    ("timeout", "float", 3.0, "wall-clock limit per program, in seconds (default: 3)"),
    ("memory-mb", "int", 1024, "address-space limit per program, in MiB (default: 1024)"),
    ("sandbox-workers", "int", 0, "sandbox worker processes per pytest worker (default: 0, one per core)"),
    ("docker-image", "str", "pytest-recode-sandbox:latest", "image for --recode-sandbox=docker"),
    # data and transforms
    ("mbpp-path", "path", None, "ReCode's MBPP file (mbpp_wtest.jsonl) for dataset='mbpp' "
     "(default: $RECODE_MBPP_PATH)"),
    ("translation-models", "str", None,
     "BackTranslation's two local translation models, EN_DE_DIR,DE_EN_DIR (unset: BackTranslation is skipped)"),
    ("masked-code-model", "str", None,
     "VarRenamerCB's local masked code model directory (unset: VarRenamerCB is skipped)"),
    ("seed", "int", 0, "base seed of the perturbations (default: 0)"),
    # search and judging
    ("max-examples", "int", None, "override max_examples of every @recode_robust test"),
    ("shrink-budget", "int", None, "override shrink_budget of every @recode_robust test: most prompts "
     "generated while shrinking one failure"),
    ("replay", "str", None, "judge exactly this perturbation (a recipe from a failure's replay line) in the "
     "selected items, and nothing else"),
    ("database", "str", None, "where failures are kept and replayed first on the next run (default: "
     "<rootdir>/.hypothesis/examples; 'off' keeps none)"),
    ("inputs", "int", 200, "generated inputs per problem that the nominal and the perturbed completion are "
     "compared on, beside the calls the problem's own tests make (default: 200; 0: the tests' calls only)"),
    ("min-nominal", "float", 0.2, "fail the session when the model's nominal completions pass fewer than this "
     "share of the problems' tests: robustness cannot be judged on a model that solves nothing (0 disables)"),
    ("http-timeout", "float", 300.0, "seconds to wait for one answer from an http(s):// model server; a request "
     "with no answer by then is sent once more, then the server is reported as hung (default: 300)"),
    # reports and CI
    ("report", "path", None, "write results.json, report.json, report.md and report.html of the session's seeded "
     "cases to this directory"),
    ("baseline", "path", None, "a results.json or report.json of an earlier run: fail the session when a Robust "
     "Pass (per category or transform) dropped by more than --recode-max-drop"),
    ("max-drop", "float", 0.02, "largest drop of a Robust Pass against --recode-baseline that passes "
     "(default: 0.02, two points)"),
    ("shard", "str", None, "run only shard I of N of every @recode_robust test's problems (I/N, e.g. 1/3): a "
     "stable split, the same on every machine, for a CI matrix"),
)


def _dest(option: str) -> str:
    return "recode_" + option.replace("-", "_")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("recode", "robustness of code-generation models (pytest-recode)")
    for option, kind, default, help_text in _OPTIONS:
        dest = _dest(option)
        if kind == "bool":
            group.addoption(f"--recode-{option}", action="store_true", default=None, dest=dest, help=help_text)
            parser.addini(dest, type="bool", default=default, help=help_text)
        else:
            group.addoption(f"--recode-{option}", action="store", default=None, dest=dest,
                            metavar=option.split("-")[-1].upper(), help=help_text)
            parser.addini(dest, default=None if default is None else str(default), help=help_text)


def _convert(config: pytest.Config, option: str, kind: str, raw: Any) -> Any:
    if raw is None or kind == "str":
        return raw
    if kind == "bool":
        return bool(raw) if not isinstance(raw, str) else raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "path":
        return os.path.join(str(config.rootpath), os.path.expanduser(raw)) if raw else None
    try:
        return int(raw) if kind == "int" else float(raw)
    except ValueError:
        raise pytest.UsageError(f"--recode-{option}={raw!r}: expected a{'n integer' if kind == 'int' else ' number'}.")


def _read(config: pytest.Config, option: str) -> Any:
    kind = next(k for name, k, _, _ in _OPTIONS if name == option)
    dest = _dest(option)
    value = config.getoption(dest, default=None)
    if value is None:
        value = config.getini(dest)
        if value in ("", []):
            value = None
    if value is None:
        value = next(d for name, _, d, _ in _OPTIONS if name == option)
    return _convert(config, option, kind, value)


@dataclass(frozen=True)
class RecodeSettings:
    """The plugin's settings for one session, read once from options and ini keys."""

    model: str | None
    device: str
    dtype: str
    batch_size: int
    max_new_tokens: int
    workers_per_gpu: int
    cpu_threads: int
    cache_dir: str
    no_cache: bool
    clear_cache: bool
    sandbox: str
    timeout: float
    memory_mb: int
    sandbox_workers: int
    docker_image: str
    mbpp_path: str | None
    translation_models: str | None
    masked_code_model: str | None
    seed: int
    max_examples: int | None
    shrink_budget: int | None
    replay: str | None
    database: str | None
    min_nominal: float
    inputs: int = 200
    http_timeout: float = 300.0
    report: str | None = None
    baseline: str | None = None
    max_drop: float = 0.02
    shard: str | None = None
    #: The options given on the command line, as written (name without ``--recode-``, value).
    command_line: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_config(cls, config: pytest.Config) -> RecodeSettings:
        values = {_dest(name)[len("recode_") :]: _read(config, name) for name, *_ in _OPTIONS}
        if values["cache_dir"] is None:
            values["cache_dir"] = os.path.join(str(config.rootpath), ".recode-cache")
        if values["mbpp_path"] is None:
            values["mbpp_path"] = os.environ.get("RECODE_MBPP_PATH") or None
        if values["database"] is None:
            values["database"] = os.path.join(str(config.rootpath), ".hypothesis", "examples")
        elif values["database"].strip().lower() in ("off", "none", ""):
            values["database"] = None
        else:
            values["database"] = os.path.join(str(config.rootpath), os.path.expanduser(values["database"]))
        given = tuple((name, config.getoption(_dest(name))) for name, *_ in _OPTIONS
                      if config.getoption(_dest(name), default=None) is not None)
        return cls(**values, command_line=given)


def _hint(value: str, choices: tuple[str, ...]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(value, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _usage(option: str, value: Any, problem: str) -> pytest.UsageError:
    written = f"{value:g}" if isinstance(value, float) else value
    return pytest.UsageError(f"--recode-{option}={written}: {problem}")


def check_settings(settings: RecodeSettings) -> None:
    """Check every setting as the API would, before any test runs: a bad one is one usage error naming the
    option as the user wrote it, not an error in every test."""
    from ..execution import BACKENDS
    from ..models import DTYPES

    checks: tuple[tuple[str, Any, bool, str], ...] = (
        ("device", settings.device, settings.device in ("auto", "cpu", "cuda", "mps")
         or settings.device.startswith("cuda:") and settings.device[5:].isdigit(), "expected auto, cpu, cuda or cuda:N."),
        ("dtype", settings.dtype, settings.dtype in DTYPES,
         f"expected one of {', '.join(DTYPES)}.{_hint(settings.dtype, DTYPES)}"),
        ("batch-size", settings.batch_size, settings.batch_size >= 1, "expected a batch size of at least 1."),
        ("max-new-tokens", settings.max_new_tokens, settings.max_new_tokens >= 1, "expected at least 1 token."),
        ("workers-per-gpu", settings.workers_per_gpu, settings.workers_per_gpu >= 1, "expected at least 1 worker."),
        ("cpu-threads", settings.cpu_threads, settings.cpu_threads >= 0,
         "give 0 (each xdist worker gets its share of the cores) or a thread count of at least 1."),
        ("sandbox", settings.sandbox, settings.sandbox in BACKENDS,
         f"expected one of {', '.join(BACKENDS)}.{_hint(settings.sandbox, BACKENDS)}"),
        ("timeout", settings.timeout, settings.timeout > 0, "expected a positive number of seconds."),
        ("memory-mb", settings.memory_mb, settings.memory_mb >= 64, "expected at least 64 (MiB)."),
        ("sandbox-workers", settings.sandbox_workers, settings.sandbox_workers >= 0,
         "give 0 (one per CPU core) or a worker count of at least 1."),
        ("max-examples", settings.max_examples, settings.max_examples is None or settings.max_examples >= 1,
         "expected at least 1 perturbation per problem."),
        ("shrink-budget", settings.shrink_budget, settings.shrink_budget is None or settings.shrink_budget >= 1,
         "expected at least 1 prompt."),
        ("inputs", settings.inputs, settings.inputs >= 0,
         "give 0 (compare on the tests' own calls only) or a count of generated inputs."),
        ("min-nominal", settings.min_nominal, 0 <= settings.min_nominal <= 1,
         "expected a share between 0 and 1 (0 disables the check)."),
        ("http-timeout", settings.http_timeout, settings.http_timeout > 0, "expected a positive number of seconds."),
    )
    for option, value, fits, problem in checks:
        if not fits:
            raise _usage(option, value, problem)
    if settings.sandbox == "docker" and not settings.docker_image.strip():
        raise _usage("docker-image", settings.docker_image, "give the image the Docker sandbox runs.")
    if settings.replay is not None:
        from .._errors import InvalidArgument
        from ..strategies import Recipe

        try:
            Recipe.parse(settings.replay)
        except InvalidArgument as exc:
            raise _usage("replay", settings.replay, str(exc).split(": ", 1)[-1]) from None
    _check_report_settings(settings)


def _check_report_settings(settings: RecodeSettings) -> None:
    """``--recode-max-drop``, ``--recode-shard``, ``--recode-baseline`` and ``--recode-report``."""
    from .._errors import RecodeError

    if not 0 <= settings.max_drop <= 1:
        raise _usage("max-drop", settings.max_drop, "expected a share between 0 and 1 (0.02 allows two points).")
    if settings.shard is not None:
        from ..pipeline._shard import Shard

        try:
            Shard.parse(settings.shard)
        except RecodeError as exc:
            raise _usage("shard", settings.shard, str(exc).split(": ", 1)[-1]) from None
    if settings.baseline is not None:
        from ..report import load_figures

        try:
            load_figures(settings.baseline)
        except RecodeError as exc:
            raise _usage("baseline", settings.baseline, str(exc)) from None
    if settings.report is not None:
        from ..report import check_writable_dir

        try:
            check_writable_dir(settings.report, "--recode-report")
        except RecodeError as exc:
            raise _usage("report", settings.report, str(exc).split(": ", 1)[-1]) from None
