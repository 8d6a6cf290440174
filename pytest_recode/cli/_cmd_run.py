"""``recode run``: ReCode's benchmark on a model, written as ``results.json`` and reports."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from difflib import get_close_matches
from pathlib import Path

from .._errors import InvalidArgument
from ..equivalence._inputs import DEFAULT_INPUTS
from ..transforms import CATEGORIES, TRANSFORM_NAMES, transform_names
from ._cmd_transforms import add_transform_config_arguments, transform_config
from ._options import add_sandbox_arguments

__all__ = ["parse_ks", "register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run ReCode's benchmark on a model: results.json, report.json, report.md and report.html",
        description="Perturb a dataset with ReCode's seeded variants (or read ReCode's released files with "
        "--recode-data), complete every prompt with the model (batched, deduplicated, cached), run every "
        "completion in the sandbox, judge equivalence, and write results.json and the reports to --out. A run "
        "killed at any point continues when started again with the same arguments.",
    )
    parser.add_argument("--model", required=True, metavar="SPEC",
                        help="a transformers directory, a hub id (from the local cache), python:MODULE:ATTR, an "
                        "http(s):// OpenAI-compatible server, or 'reference' (answers from the dataset's own "
                        "solutions, to try the command offline)")
    parser.add_argument("--dataset", metavar="NAME_OR_PATH",
                        help="builtin, humaneval, mbpp or a .jsonl path (default: builtin; with --recode-data, the "
                        "dataset folder found there)")
    parser.add_argument("--mbpp-path", metavar="PATH", help="ReCode's MBPP file for --dataset mbpp "
                        "(default: $RECODE_MBPP_PATH)")
    parser.add_argument("--recode-data", metavar="DIR",
                        help="evaluate ReCode's released perturbed files (DIR/<dataset>/<folder>/<dataset>_<T>_s<N>"
                        ".jsonl and DIR/<dataset>_partial.jsonl) instead of perturbing")
    parser.add_argument("--transform", action="append", default=[], metavar="NAME",
                        help="a transform by ReCode's name (see `recode transforms`); may repeat")
    parser.add_argument("--category", action="append", default=[], metavar="CATEGORY",
                        help=f"every transform of a category ({', '.join(CATEGORIES)}); may repeat "
                        "(default, with no --transform either: every transform)")
    parser.add_argument("--seeds", type=int, default=5, metavar="S",
                        help="variants of each randomized transform, seeds 0..S-1 (default: 5, as ReCode)")
    parser.add_argument("--base-seed", type=int, default=0, metavar="B", help="first seed (default: 0)")
    parser.add_argument("--n-samples", type=int, default=1, metavar="N",
                        help="completions per prompt (default: 1, greedy)")
    parser.add_argument("--temperature", type=float, default=0.0, metavar="T",
                        help="sampling temperature (default: 0, greedy)")
    parser.add_argument("--top-p", type=float, default=0.95, metavar="P", help="nucleus sampling (default: 0.95)")
    parser.add_argument("--k", default="1", metavar="K[,K...]",
                        help="the k of pass@k and the Robust figures, e.g. 1,10 (each at most --n-samples; "
                        "default: 1)")
    parser.add_argument("--max-new-tokens", type=int, default=512, metavar="N", help="(default: 512)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default: auto)")
    parser.add_argument("--dtype", default="auto", help="auto, float32, float16, bfloat16 (default: auto)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="largest generation batch "
                        "(default: 32)")
    parser.add_argument("--inputs", type=int, default=DEFAULT_INPUTS, metavar="N",
                        help="generated inputs per problem the nominal and the perturbed completion are compared on, "
                             f"beside the calls the problem's tests make (default: {DEFAULT_INPUTS})")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N problems of the dataset")
    parser.add_argument("--shard", metavar="I/N",
                        help="only shard I of N (a stable share of the problems; `recode merge` joins the shards)")
    parser.add_argument("--out", default="recode-results", metavar="DIR",
                        help="where results.json and the reports go (default: recode-results)")
    parser.add_argument("--cache-dir", default=".recode-cache", metavar="DIR",
                        help="completion cache, shared with pytest's (default: .recode-cache)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the completion cache")
    parser.add_argument("--batch-prompts", type=int, default=1024, metavar="N",
                        help="distinct prompts per model call and per resumable step (default: 1024)")
    parser.add_argument("--fresh", action="store_true",
                        help="start over, discarding a finished or unfinished run of other arguments in --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (they show on a terminal only)")
    add_sandbox_arguments(parser)
    add_transform_config_arguments(parser)
    parser.set_defaults(handler=run)


def _names(args: argparse.Namespace) -> list[str]:
    for name in args.transform:
        if name not in TRANSFORM_NAMES:
            close = get_close_matches(name, TRANSFORM_NAMES, n=1)
            hint = f"; did you mean {close[0]}" if close else ""
            raise InvalidArgument(f"--transform {name}: no such transform{hint} (see `recode transforms`).")
    for category in args.category:
        if category not in CATEGORIES:
            raise InvalidArgument(f"--category {category}: expected one of {', '.join(CATEGORIES)}.")
    if not args.transform and not args.category:
        return list(TRANSFORM_NAMES)
    wanted = set(args.transform) | set(transform_names(args.category))
    return [name for name in TRANSFORM_NAMES if name in wanted]


def parse_ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise InvalidArgument(f"--k {text}: give whole numbers separated by commas, e.g. 1,10.") from None
    if not ks or ks[0] < 1:
        raise InvalidArgument(f"--k {text}: give one or more k of at least 1, e.g. 1,10.")
    return ks


def _released_dataset(directory: str) -> str:
    """The one dataset folder in ReCode's layout under ``directory``."""
    from ..transforms import RECODE_FOLDERS

    root = Path(directory)
    if not root.is_dir():
        raise InvalidArgument(f"--recode-data {directory}: no such directory.")
    found = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and any((p / folder).is_dir() for folder in RECODE_FOLDERS.values()))
    if len(found) != 1:
        raise InvalidArgument(f"--recode-data {directory}: {'no' if not found else 'several'} dataset folders in "
                              f"ReCode's layout ({', '.join(found) or 'none'}); name one with --dataset.")
    return found[0]


def run(args: argparse.Namespace) -> int:
    from ..equivalence import EquivalenceJudge
    from ..execution import SandboxConfig, open_sandbox
    from ..models import CompletionCache, CompletionEngine, ModelOptions, ReferenceModel, load_model
    from ..pipeline import BenchmarkSettings, RecodeContext, Shard, run_benchmark
    from ..problems import load_problems
    from ..report import check_writable_dir, figures, now, summary_lines, versions_here
    from ..report._markdown import headline
    from ._progress import progress_bars

    names = _names(args)
    dataset = args.dataset or (_released_dataset(args.recode_data) if args.recode_data else "builtin")
    if args.batch_prompts < 1:
        raise InvalidArgument(f"--batch-prompts {args.batch_prompts}: give at least 1.")
    if args.inputs < 0:
        raise InvalidArgument(f"--inputs {args.inputs}: give 0 (the tests' own calls only) or a count of generated "
                              "inputs.")
    sandbox_config = SandboxConfig(backend=args.sandbox, timeout_s=args.timeout, memory_mb=args.memory_mb,
                                   workers=args.workers, docker_image=args.docker_image)
    options = ModelOptions(device=args.device, dtype=args.dtype, batch_size=args.batch_size)
    settings = BenchmarkSettings(
        dataset=dataset, transforms=tuple(names), seeds=args.seeds, base_seed=args.base_seed,
        n_samples=args.n_samples, temperature=args.temperature, top_p=args.top_p, k=parse_ks(args.k),
        max_new_tokens=args.max_new_tokens, limit=args.limit, recode_data=args.recode_data,
        sandbox=args.sandbox, timeout=args.timeout, memory_mb=args.memory_mb,
        shard=Shard.parse(args.shard) if args.shard else None,
        mbpp_path=args.mbpp_path or os.environ.get("RECODE_MBPP_PATH"),
    )
    settings.generation()  # checks temperature and top_p
    out = check_writable_dir(args.out, "--out")
    if args.model == "reference":
        model = ReferenceModel(load_problems(dataset, mbpp_path=settings.mbpp_path), name="reference")
    else:
        model = load_model(args.model, options)
    engine = CompletionEngine(model, cache=None if args.no_cache else CompletionCache(args.cache_dir))
    unavailable: dict[str, str] = {}
    with open_sandbox(sandbox_config) as sandbox:
        judge = EquivalenceJudge(sandbox, inputs=args.inputs, seed=args.base_seed,
                                 cache_dir=None if args.no_cache else args.cache_dir)
        context = RecodeContext(engine, sandbox, settings.generation(), transform_config(args), judge)
        if settings.recode_data is None:  # ReCode's files need no transform to run here
            for name in names:
                reason = context.transform(name).unavailable()
                if reason is not None:
                    unavailable[name] = reason
                    print(f"{name}: skipped: {reason}", file=sys.stderr)
            if len(unavailable) == len(names):
                raise InvalidArgument("none of the chosen transforms can run here (see `recode transforms`).")
            settings = replace(settings, transforms=tuple(n for n in names if n not in unavailable))
        results = run_benchmark(
            context, settings, out,
            model={"spec": args.model, "name": model.name, "fingerprint": engine.fingerprint},
            created=now(), versions=versions_here(), unavailable=unavailable,
            progress=progress_bars(not args.no_progress), batch_prompts=args.batch_prompts, fresh=args.fresh,
            on_resume=lambda done, total: print(f"recode run: resuming: {done} of {total} problems were done",
                                                file=sys.stderr),
        )
    engine.close()
    for line in summary_lines(list(results.cases), k=results.ks[0]):
        print(line)
    for k in results.ks:
        print(headline(figures(results, k)))
    print(engine.stats.summary_line())
    print(f"wrote results.json, report.json, report.md and report.html to {out}")
    return 0
