"""The HTTP backend against a real server: ``transformers serve`` (the ``serving`` extra) on 127.0.0.1, serving
the tiny model built offline. It refuses a list of prompts and ignores ``n``; the backend must cope.

Slow: the server takes tens of seconds to start on a shared 2-core machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_recode.models import GenerationConfig, OpenAICompletionsModel, load_model

pytestmark = pytest.mark.slow

_START_S = 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tiny_llama: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``transformers serve`` on 127.0.0.1 with the tiny model preloaded; yields the spec to test it by."""
    pytest.importorskip("fastapi", reason="needs the serving extra: pip install 'pytest-recode[serving]'")
    pytest.importorskip("uvicorn", reason="needs the serving extra: pip install 'pytest-recode[serving]'")
    cli = shutil.which("transformers", path=os.path.dirname(sys.executable)) or shutil.which("transformers")
    if cli is None:
        pytest.skip("the transformers command is not installed")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with open(log, "wb") as out:
        server = subprocess.Popen([cli, "serve", str(tiny_llama), "--host", "127.0.0.1", "--port", str(port),
                                   "--device", "cpu"], stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"transformers serve exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/v1/models", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not answer within {_START_S:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"{base}/v1#{tiny_llama}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_recode_model_check_prints_a_completion(served: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_recode", "model", "check", served,
                           "--max-new-tokens", "8"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"loaded {served.replace('/v1#', '#')} in ")
    assert lines[1].startswith("fingerprint: http:")
    assert lines[2].startswith("completed 8 tokens at most in ")
    assert lines[3] == "def add(a: int, b: int) -> int:"


def test_lists_of_prompts_and_n_samples_are_sent_the_way_it_takes_them(served: str) -> None:
    model = load_model(served)
    assert isinstance(model, OpenAICompletionsModel)
    prompts = ["def f():\n", "def g(x):\n", "class A:\n"]
    out = model.complete(prompts, GenerationConfig(max_new_tokens=6))
    assert len(out) == 3 and all(len(row) == 1 and isinstance(row[0], str) for row in out)
    assert model.prompts_per_request == 1  # it answers a list with HTTP 400 "prompt must be a string."
    sampled = model.complete(["def f():\n"], GenerationConfig(max_new_tokens=6, n=2, temperature=0.8))
    assert len(sampled) == 1 and len(sampled[0]) == 2
    assert model.samples_per_request == 1  # it answers n=2 with one choice
    again = load_model(served).complete(prompts, GenerationConfig(max_new_tokens=6))
    assert again == out  # greedy, so the same text every time


SUITE = textwrap.dedent(
    """
    from pytest_recode import recode_robust

    @recode_robust(dataset="builtin", transforms=["FuncRenameCamelCase"], limit=2, max_examples=1)
    def test_served(recode_case):
        recode_case.check()
    """
)


def test_a_robustness_suite_runs_against_it(served: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_served=SUITE)
    pytester.makeini("[pytest]\nrecode_sandbox = subprocess\n")
    result = pytester.runpytest_subprocess(f"--recode-model={served}", "--recode-max-new-tokens=16",
                                           "--recode-min-nominal=0", "-p", "no:xdist", timeout=600)
    out = result.stdout.str()
    assert "Traceback" not in out and "error" not in out.lower().replace("0 errors", ""), out[-3000:]
    result.assert_outcomes(skipped=2)  # the tiny model's completions are gibberish: the nominal ones fail
    result.stdout.fnmatch_lines(["recode: 4 completions generated in 2 model calls, 0 from cache"])
    rerun = pytester.runpytest_subprocess(f"--recode-model={served}", "--recode-max-new-tokens=16",
                                          "--recode-min-nominal=0", "-p", "no:xdist", timeout=600)
    rerun.stdout.fnmatch_lines(["recode: 0 completions generated in 0 model calls, 4 from cache"])
