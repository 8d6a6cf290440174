"""A model or cache that fails, seen from pytest: one usage error or one line, never a traceback per test;
generations counted even when a worker dies; a callable without a fingerprint never replayed from disk."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

TESTS = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


# Helpers of the models tests (that directory is not a package): the misbehaving server, the cache tools.
fake_openai = _load("_recode_fake_openai", TESTS / "models" / "fake_openai.py")
_cache_tests = _load("_recode_cache_tests", TESTS / "models" / "test_cache.py")
damage, run_read_only = _cache_tests.damage, _cache_tests.run_read_only

CAMEL_TEST = """
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", transforms=["FuncRenameCamelCase"], problems={problems!r})
def test_names(recode_case):
    recode_case.check()
"""


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's waits between retries pass at once (in-process runs only)."""
    monkeypatch.setattr("pytest_recode.models._http_transport.time.sleep", lambda s: None)


@pytest.fixture
def fake() -> Iterator[tuple[str, object]]:
    with fake_openai.serving() as served:
        yield served


def _no_tracebacks(text: str) -> None:
    assert "Traceback" not in text and "INTERNALERROR" not in text, text[-3000:]


# -- before collection -----------------------------------------------------------------------------------
def test_a_dead_server_is_one_usage_error(tiny_project: pytest.Pytester, no_waits: None) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    url = fake_openai.closed_port_url()
    result = tiny_project.runpytest(f"--recode-model={url}/v1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --recode-model: model='{url}': GET {url}/v1/models: connection refused "
                                 "(4 tries): no server is listening there; is it running, and is the URL right?"])
    _no_tracebacks(result.stdout.str() + result.stderr.str())


def test_a_server_that_wants_a_token_is_one_usage_error(tiny_project: pytest.Pytester, fake: tuple[str, object],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    url, served = fake
    served.mode = "unauthorized"  # type: ignore[attr-defined]
    monkeypatch.delenv("RECODE_API_KEY", raising=False)
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0"]))
    result = tiny_project.runpytest(f"--recode-model={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recode-model: *HTTP 401: *; the server wants a token: set $RECODE_API_KEY."])


def test_http_timeout_must_be_positive(tiny_project: pytest.Pytester) -> None:
    result = tiny_project.runpytest("--recode-http-timeout=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recode-http-timeout=0: expected a positive number of seconds."])


def test_clear_cache_that_cannot_be_deleted_is_a_usage_error(tiny_project: pytest.Pytester) -> None:
    tiny_project.path.joinpath("not-a-dir").write_text("")
    result = tiny_project.runpytest("--recode-clear-cache", "--recode-cache-dir=not-a-dir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recode-clear-cache: cannot clear the completion cache in */not-a-dir: "
                                 "Not a directory (*); make the directory writable, or choose another with "
                                 "--recode-cache-dir."])
    _no_tracebacks(result.stdout.str() + result.stderr.str())


@pytest.mark.slow
def test_clear_cache_on_a_read_only_directory_is_a_usage_error(tiny_project: pytest.Pytester) -> None:
    from pytest_recode.models import CompletionCache

    cache_dir = tiny_project.path / "ro-cache"
    CompletionCache(cache_dir).put_many("fp", "cfg", {"p": ["x"]})
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/1"]))
    code = ("import sys, pytest; sys.exit(pytest.main(['-p', 'no:cacheprovider', '--recode-clear-cache', "
            f"'--recode-cache-dir={cache_dir}', '--rootdir={tiny_project.path}', '{tiny_project.path}']))")
    done = run_read_only(cache_dir, code)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert done.stderr.strip() == (f"ERROR: --recode-clear-cache: cannot clear the completion cache in {cache_dir}: "
                                   f"Read-only file system ({cache_dir}/completions.sqlite3); make the directory "
                                   "writable, or choose another with --recode-cache-dir.")
    # Without --recode-clear-cache the same read-only cache is read, and the run goes on.
    code = code.replace("'--recode-clear-cache', ", "")
    done = run_read_only(cache_dir, code)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"recode: completion cache {cache_dir}/completions.sqlite3 is read-only here: read from, not written to" \
        in done.stdout


# -- while the tests run ---------------------------------------------------------------------------------
def test_a_server_failing_midway_is_asked_once_not_once_per_test(tiny_project: pytest.Pytester, no_waits: None,
                                                                 fake: tuple[str, object],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")  # the short test summary's lines whole, whatever the terminal's width
    url, served = fake
    served.mode = "drop"  # type: ignore[attr-defined]  # lists models, breaks off every completion
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    result = tiny_project.runpytest(f"--recode-model={url}", "--recode-no-cache")
    result.assert_outcomes(failed=2)
    assert served.posts == 4  # type: ignore[attr-defined]  # the first test's tries; the second sent nothing
    out = result.stdout.str()
    # The first failure, then the pointer to it: one line each, and each again in the short test summary.
    assert out.count("the connection broke (IncompleteRead") == 4
    assert "Traceback" not in out
    assert "is not asked again in this session: it failed earlier: model=" in out


def test_a_hung_server_is_sent_each_request_twice_at_most(tiny_project: pytest.Pytester,
                                                          fake: tuple[str, object]) -> None:
    url, served = fake
    served.mode = "hung"  # type: ignore[attr-defined]
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    result = tiny_project.runpytest(f"--recode-model={url}", "--recode-no-cache", "--recode-http-timeout=0.4")
    result.assert_outcomes(failed=2)
    assert served.posts == 2  # type: ignore[attr-defined]
    result.stdout.fnmatch_lines(["*no answer within 0.4 s, twice: the server is hung or too busy*"])


def test_a_model_that_cannot_be_loaded_is_one_line_per_test(tiny_project: pytest.Pytester,
                                                            fake: tuple[str, object]) -> None:
    url, served = fake
    tiny_project.makeconftest("""
from pytest_recode import ModelError

def pytest_recode_load_model(config, settings):
    raise ModelError("weights missing: run `make weights`")
""")
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    result = tiny_project.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["recode: the model cannot be loaded: weights missing: run `make weights`"] * 2)
    assert "During handling" not in result.stdout.str()
    assert "def recode_model" not in result.stdout.str()  # no fixture source, no traceback


FINGERPRINTED = """
import pytest
from pytest_recode import ReferenceModel, load_problems
from pytest_recode.models import GenerationConfig

class Memorised:
    reference = ReferenceModel(load_problems("tiny.jsonl"))

    def __call__(self, prompts):
        return [done[0] for done in self.reference.complete(prompts, GenerationConfig())]

    def fingerprint(self):
        return "memorised-v1"

@pytest.fixture(scope="session")
def recode_model():
    return Memorised()
"""


def test_a_damaged_cache_is_one_warning_and_the_run_goes_on(tiny_project: pytest.Pytester) -> None:
    from pytest_recode.models import CACHE_FILENAME, CompletionCache

    tiny_project.makeconftest(FINGERPRINTED)
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    cache_dir = tiny_project.path / ".recode-cache"
    with CompletionCache(cache_dir) as cache:
        cache.put_many("filler", "cfg", {f"p{i}": [f"c{i}" * 40] for i in range(600)})
    damage(cache_dir / CACHE_FILENAME, seed=1)
    result = tiny_project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert out.count("CacheWarning: the completion cache") == 1, out
    assert "DatabaseError" in out and "sqlite3" not in out.replace("completions.sqlite3", "")
    _no_tracebacks(out)


# -- what the summary says -------------------------------------------------------------------------------
CHANGING_CALLABLE = """
import os
import pytest
from pytest_recode import ReferenceModel, load_problems
from pytest_recode.models import GenerationConfig

REFERENCE = ReferenceModel(load_problems("tiny.jsonl"))

def answer(prompt):
    if os.environ.get("PLANTED_BUG"):
        return "    return None\\n"
    return REFERENCE.complete([prompt], GenerationConfig())[0][0]

@pytest.fixture(scope="session")
def recode_model():
    return lambda prompts: [answer(p) for p in prompts]
"""


def test_a_changed_callable_is_called_again_in_the_next_run(tiny_project: pytest.Pytester,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_project.makeconftest(CHANGING_CALLABLE)
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    first = tiny_project.runpytest("--recode-min-nominal=0")
    first.assert_outcomes(passed=1, failed=1)
    first.stdout.fnmatch_lines(["recode: 4 completions generated in 2 model calls, 0 from cache",
                                "recode: completion cache off for recode_model.<locals>.<lambda>: it has no "
                                "fingerprint()"])
    monkeypatch.setenv("PLANTED_BUG", "1")
    second = tiny_project.runpytest("--recode-min-nominal=0")
    second.assert_outcomes(skipped=2)  # the planted bug is seen: the nominal completions fail now
    second.stdout.fnmatch_lines(["recode: 4 completions generated in 2 model calls, 0 from cache",
                                 "recode: completion cache off for recode_model.<locals>.<lambda>: it has no "
                                 "fingerprint()"])


def test_a_callable_with_a_fingerprint_is_replayed_from_the_cache(tiny_project: pytest.Pytester) -> None:
    tiny_project.makeconftest(FINGERPRINTED)
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]))
    tiny_project.runpytest().assert_outcomes(passed=1, failed=1)
    second = tiny_project.runpytest()
    second.assert_outcomes(passed=1, failed=1)
    second.stdout.fnmatch_lines(["recode: 0 completions generated in 0 model calls, 4 from cache"])
    assert "completion cache off" not in second.stdout.str()


def _logging_conftest() -> str:
    return CHANGING_CALLABLE.replace(
        "def answer(prompt):\n",
        "def answer(prompt):\n    import logging\n"
        "    logging.getLogger('pytest_recode.models').warning('recode: waiting for the server: %d', len(prompt))\n",
    )


def test_progress_lines_reach_the_terminal_past_the_capture(tiny_project: pytest.Pytester) -> None:
    tiny_project.makeconftest(_logging_conftest())
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/1"]))
    result = tiny_project.runpytest("-p", "no:xdist", "--recode-min-nominal=0")
    result.stdout.fnmatch_lines(["*recode: waiting for the server: *"])
    assert "Captured log call" not in result.stdout.str()  # shown as it came, and the test passed


@pytest.mark.slow
def test_progress_lines_of_an_xdist_worker_reach_the_terminal(tiny_project: pytest.Pytester) -> None:
    tiny_project.makeconftest(_logging_conftest())
    tiny_project.makepyfile(CAMEL_TEST.format(problems=["tiny/1"]))
    spread = tiny_project.runpytest_subprocess("-n", "1", "--recode-min-nominal=0")
    spread.stderr.fnmatch_lines(["recode: waiting for the server: *"])


KILLER = """
import os, signal

def test_dies():
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_dead_workers_completions_are_counted(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(test_a=CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]), test_b=KILLER,
                            test_c=CAMEL_TEST.format(problems=["tiny/0", "tiny/1"]).replace("test_names", "test_again"))
    result = tiny_project.runpytest_subprocess("-n", "1", "-p", "no:randomly", "--recode-no-cache")
    result.stdout.fnmatch_lines([
        "*replacing crashed worker gw0*",
        "recode: 8 completions generated in 4 model calls, 0 from cache",
        "recode: worker gw0 died: its completions are counted up to its last finished test",
    ])
    result.assert_outcomes(passed=2, failed=3)
