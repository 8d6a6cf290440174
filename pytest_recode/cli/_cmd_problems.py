"""``recode problems``: load a dataset, count it, and optionally run its canonical solutions."""

from __future__ import annotations

import argparse

from ..execution import open_sandbox
from ..execution._canonical import check_canonical
from ..problems import load_problems
from ._options import add_dataset_arguments, add_sandbox_arguments, sandbox_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "problems",
        help="load a dataset and count its problems; --check runs every canonical solution",
        description="Load a dataset, print how many problems it holds, and with --check run every "
        "canonical solution against its tests and list the ones that fail.",
    )
    add_dataset_arguments(parser)
    parser.add_argument("--partial", action="store_true",
                        help="load the partial-code variants (problems with a one-line body are left out)")
    parser.add_argument("--check", action="store_true",
                        help="run each canonical solution against its tests and list the failures")
    add_sandbox_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    problems = load_problems(args.dataset, partial=args.partial, mbpp_path=args.mbpp_path)
    kind = "partial-code problems" if args.partial else "problems"
    print(f"{len(problems)} {kind} loaded from {args.dataset}")
    if not args.check:
        return 0
    with open_sandbox(sandbox_config(args)) as sandbox:
        report = check_canonical(problems, sandbox)
    for problem, result in report.failed:
        detail = f"{result.exception_type}: {result.message}" if result.exception_type else result.message
        print(f"FAIL {problem.task_id}: {result.status.value}: {detail.strip()[:200]}")
    print(report.summary())
    return 0 if not report.failed else 1
