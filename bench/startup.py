"""How long a robustness suite takes to start, and which torch thread count runs a CPU model best.

Part 1, start-up (rounds interleaved, medians): (a) bare pytest start-up, ``python -c "import pytest"``;
(b) collecting the example suite, ``python -m pytest examples/ --co -q``; (c) the same with this plugin
and the suite's conftest disabled (``-p no:recode --noconftest``: what pytest and the other installed plugins
cost alone); (d) the first item's
set-up (``--setup-only`` on one item: model, engine, cache and sandbox); (e) (b) without Hypothesis's own
pytest plugin (``-p no:hypothesispytest``), which imports all of Hypothesis at the end of every session.
Goal: (b) within 1.5 s of (a).

Part 2, torch threads for a transformers model on the CPU outside xdist, beside the sandbox: a tiny random
model (``recode model tiny``) completes the prompts of a few example items with ``--recode-cpu-threads`` K,
for K = 1 .. cores and 0 (torch's own default), rounds interleaved; the median wall time of each.

    .venv/bin/python bench/startup.py [--rounds 5] [--skip-threads]

The last line holds the figures as space-separated key=value pairs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
GOAL_S = 1.5


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "OMP_", "MKL_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def _timed(command: list[str], cwd: str = ROOT) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1, 5):
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return took


def startup(rounds: int, scratch: str) -> dict[str, float]:
    python = sys.executable
    pytest = [python, "-m", "pytest", "-p", "no:cacheprovider"]
    commands = {
        "a": [python, "-c", "import pytest"],
        "b": [*pytest, EXAMPLES, "--co", "-q"],
        "c": [*pytest, EXAMPLES, "--co", "-q", "-p", "no:recode", "--noconftest"],
        "e": [*pytest, EXAMPLES, "--co", "-q", "-p", "no:hypothesispytest"],
        "d": [*pytest, EXAMPLES, "-q", "--setup-only", "-k", "test_docstring_robustness and builtin/0]",
              f"--recode-cache-dir={scratch}/cache"],
    }
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(rounds):
        for key, command in commands.items():
            times[key].append(_timed(command))
    return {key: statistics.median(values) for key, values in times.items()}


def threads(rounds: int, scratch: str) -> dict[int, float]:
    model = os.path.join(scratch, "tiny")
    subprocess.run([sys.executable, "-m", "pytest_recode", "model", "tiny", model], check=True, env=_env(),
                   capture_output=True)
    cores = len(os.sched_getaffinity(0))
    counts = [*range(1, cores + 1), 0]
    times: dict[int, list[float]] = {k: [] for k in counts}
    for _ in range(rounds):
        for count in counts:
            times[count].append(_timed([
                sys.executable, "-m", "pytest", "-p", "no:cacheprovider", EXAMPLES, "-q",
                "-k", "test_docstring_robustness and (builtin/0] or builtin/1])",
                f"--recode-model={model}", "--recode-no-cache", "--recode-max-examples=4",
                "--recode-max-new-tokens=48", "--recode-min-nominal=0", f"--recode-cpu-threads={count}",
            ]))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-threads", action="store_true", help="only part 1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="recode-startup-") as scratch:
        start = startup(args.rounds, scratch)
        over = start["b"] - start["a"]
        print(f"(a) python -c 'import pytest'            {start['a']:6.2f} s")
        print(f"(b) pytest examples/ --co -q             {start['b']:6.2f} s   (b)-(a) = {over:.2f} s "
              f"(goal: at most {GOAL_S} s: {'met' if over <= GOAL_S else 'NOT met'})")
        print(f"(c) the same, -p no:recode --noconftest {start['c']:6.2f} s   this plugin's share (b)-(c) = "
              f"{start['b'] - start['c']:.2f} s")
        print(f"(d) first item's set-up (--setup-only)   {start['d']:6.2f} s")
        print(f"(e) (b) with -p no:hypothesispytest      {start['e']:6.2f} s   (e)-(a) = {start['e'] - start['a']:.2f} s")
        figures = {"import_pytest_s": start["a"], "collect_s": start["b"], "collect_no_recode_s": start["c"],
                   "first_setup_s": start["d"], "collect_over_bare_s": over, "collect_no_hypothesis_plugin_s": start["e"],
                   "plugin_share_s": start["b"] - start["c"]}
        if not args.skip_threads:
            by_count = threads(args.rounds, scratch)
            best = min(by_count, key=lambda k: by_count[k])
            for count, took in by_count.items():
                name = "torch default" if count == 0 else f"{count} thread{'s' if count != 1 else ''}"
                print(f"CPU model, {name:<14} {took:6.2f} s" + ("   best" if count == best else ""))
            figures.update({f"threads_{k}_s": v for k, v in by_count.items()})
            figures["best_threads"] = best
    print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
