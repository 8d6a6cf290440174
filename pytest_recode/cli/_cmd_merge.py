"""``recode merge``: join the shards of a run into the results and reports of one unsharded run."""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "merge",
        help="merge the results of `recode run --shard I/N` (or pytest --recode-shard) into one run",
        description="Read the results.json of every shard of one run (all N of them, same settings, model and "
        "dataset), and write the results.json and reports one unsharded run would have written.",
    )
    parser.add_argument("shards", nargs="+", metavar="SHARD_DIR",
                        help="a shard's output directory (or its results.json)")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the merged results and reports go")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..report import check_writable_dir, load_results, merge_results, write_reports

    merged = merge_results([(shard, load_results(shard)) for shard in args.shards])
    out = check_writable_dir(args.out, "--out")
    merged.save(Path(out) / "results.json")
    write_reports(merged, out)
    print(f"merged {len(args.shards)} shards: {len(merged.problems)} problems, {len(merged.cases)} cases; wrote "
          f"results.json, report.json, report.md and report.html to {out}")
    return 0
