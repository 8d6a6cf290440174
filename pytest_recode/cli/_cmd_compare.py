"""``recode compare``: Robust Pass deltas between two runs, and the CI gate on them."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..report import DEFAULT_MAX_DROP

    parser = subparsers.add_parser(
        "compare",
        help="compare two runs (results.json or report.json); exit 1 when a Robust Pass dropped too far",
        description="Print the Robust Pass@k of every category and transform in both runs and the change, and "
        "exit with status 1 when one dropped by more than --max-drop (an absolute share: 0.02 is two "
        "points), naming it; 0 otherwise.",
    )
    parser.add_argument("base", metavar="BASE.json", help="the baseline: a results.json or report.json")
    parser.add_argument("new", metavar="NEW.json", help="the run to judge: a results.json or report.json")
    parser.add_argument("--max-drop", type=float, default=DEFAULT_MAX_DROP, metavar="X",
                        help=f"largest drop of a Robust Pass that passes (default: {DEFAULT_MAX_DROP})")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..report import check_max_drop, compare_files

    comparison = compare_files(args.base, args.new, check_max_drop(args.max_drop, "--max-drop"))
    for line in comparison.table():
        print(line)
    for note in comparison.notes:
        print(note, file=sys.stderr)
    print(f"recode compare: {comparison.verdict()}")
    return 1 if comparison.failed else 0
