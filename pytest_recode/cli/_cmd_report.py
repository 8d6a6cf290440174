"""``recode report``: render the reports again from a saved ``results.json``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..report import FORMATS

    parser = subparsers.add_parser(
        "report",
        help="render report.json, report.md and report.html from a saved results.json",
        description="Compute every figure again from a results.json (written by `recode run`, "
        "`pytest --recode-report` or `recode merge`) and render the reports: the files `recode run` wrote, "
        "byte for byte. With --format and no --out, print that one format.",
    )
    parser.add_argument("results", metavar="RESULTS.json", help="a results.json (or the directory holding it)")
    parser.add_argument("--format", action="append", choices=tuple(FORMATS), default=[], dest="formats",
                        help="json, md or html; may repeat (default: all three)")
    parser.add_argument("--out", metavar="DIR",
                        help="write report.<format> files to DIR (default: print when one --format is given, else "
                        "the results file's directory)")
    parser.add_argument("--k", metavar="K[,K...]", help="the k of the figures (default: the run's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..report import FORMATS, Report, check_writable_dir, load_results, write_reports
    from ._cmd_run import parse_ks

    results = load_results(args.results)
    ks = parse_ks(args.k) if args.k else None
    formats = list(dict.fromkeys(args.formats)) or list(FORMATS)
    if args.out is None and len(args.formats) == 1:
        sys.stdout.write(Report.of(results, ks).render(formats[0]))
        return 0
    source = Path(args.results)
    out = check_writable_dir(args.out or (source if source.is_dir() else source.parent), "--out")
    written = write_reports(results, out, formats, ks)
    print(f"wrote {', '.join(p.name for p in written)} to {out}")
    return 0
