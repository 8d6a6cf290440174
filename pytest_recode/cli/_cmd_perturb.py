"""``recode perturb``: write perturbed datasets in ReCode's layout; ``--check`` runs their canonical solutions."""

from __future__ import annotations

import argparse
import sys
import time

from .._errors import InvalidArgument
from ..execution import open_sandbox
from ..problems import Problem, load_problems
from ..pipeline._dataset import (
    CheckReport,
    Variant,
    base_problems,
    check_variants,
    perturb_dataset,
    write_partial_nominal,
    write_variants,
)
from ..transforms import CATEGORIES, TRANSFORM_NAMES, NotApplicable, make_transforms, transform_names
from ._cmd_transforms import add_transform_config_arguments, transform_config
from ._options import add_dataset_arguments, add_sandbox_arguments, sandbox_config

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "perturb",
        help="write perturbed datasets in ReCode's layout; --check runs every canonical solution on them",
        description="Perturb a dataset with the chosen transforms (one file per transform and seed, in "
        "ReCode's layout and field names). With --check, run the canonical solution completed from every "
        "perturbed prompt and count, per transform, how many still pass; the last line reads "
        "'preserved P of N' (N: rows whose nominal canonical solution passes).",
    )
    add_dataset_arguments(parser)
    parser.add_argument("--transform", action="append", default=[], choices=TRANSFORM_NAMES, metavar="NAME",
                        help="a transform by ReCode's name (see `recode transforms`); may repeat")
    parser.add_argument("--category", action="append", default=[], choices=CATEGORIES, metavar="CATEGORY",
                        help=f"every transform of a category ({', '.join(CATEGORIES)}); may repeat")
    parser.add_argument("--seeds", type=int, default=5, metavar="S",
                        help="variants of each randomized transform, seeds 0..S-1 (default: 5, as ReCode)")
    parser.add_argument("--out", metavar="DIR",
                        help="write <DIR>/<dataset>/<folder>/<dataset>_<Transform>_s<seed>.jsonl files "
                        "(without it nothing is written)")
    parser.add_argument("--check", action="store_true",
                        help="run each perturbed canonical solution against its tests")
    add_transform_config_arguments(parser)
    add_sandbox_arguments(parser)
    parser.set_defaults(handler=run)


def _chosen(args: argparse.Namespace) -> list[str]:
    if not args.transform and not args.category:
        raise InvalidArgument("choose what to apply: give --transform NAME or --category CATEGORY (or both).")
    wanted = set(args.transform) | set(transform_names(args.category))
    return [name for name in TRANSFORM_NAMES if name in wanted]


def run(args: argparse.Namespace) -> int:
    if args.seeds < 1:
        raise InvalidArgument(f"--seeds={args.seeds}: give at least 1.")
    names = _chosen(args)
    problems = load_problems(args.dataset, mbpp_path=args.mbpp_path)
    dataset = problems[0].dataset
    transforms = make_transforms(names, transform_config(args))
    bases: dict[str, list[Problem]] = {}
    done = []
    for transform in transforms:
        reason = transform.unavailable()
        if reason is not None:
            print(f"{transform.name}: skipped: {reason}")
            continue
        started = time.perf_counter()
        if transform.category not in bases:
            bases[transform.category] = base_problems(problems, transform.category)
        base = bases[transform.category]
        variants: list[Variant] = list(perturb_dataset(transform, problems, args.seeds, base=base))
        elapsed = time.perf_counter() - started
        if args.out:
            write_variants(args.out, dataset, transform, variants)
        done.append((transform, variants))
        if not args.check:
            changed = sum(v.changed for v in variants)
            not_applicable = sum(isinstance(v.result, NotApplicable) for v in variants)
            print(f"{transform.name}: {len(variants)} rows, {changed} perturbed, {not_applicable} not applicable "
                  f"({elapsed:.1f} s)")
    if args.out and any(t.category in ("syntax", "format") for t, _ in done):
        write_partial_nominal(args.out, dataset, problems)
    if args.out:
        print(f"wrote {sum(len({v.seed for v in vs}) for _, vs in done)} files under {args.out}/{dataset}")
    if not args.check:
        return 0
    with open_sandbox(sandbox_config(args)) as sandbox:
        report = check_variants(done, sandbox, progress=lambda m: print(m, file=sys.stderr))
    _print_report(report)
    return 0 if report.preserved == report.total else 1


def _print_report(report: CheckReport) -> None:
    width = max((len(c.transform) for c in report.checks), default=0)
    for check in report.checks:
        print(
            f"{check.transform.ljust(width)}  seeds {check.seeds}  rows {check.rows}  perturbed {check.perturbed}  "
            f"not applicable {check.not_applicable}  still pass {check.still_passing} of {check.nominal_passing}"
        )
        for task_id, seed, detail in check.failures[:5]:
            print(f"  FAIL {task_id} seed {seed}: {detail}")
        if len(check.failures) > 5:
            print(f"  ... and {len(check.failures) - 5} more")
    print(f"preserved {report.preserved} of {report.total}")
