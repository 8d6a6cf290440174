"""Perturbed prompts per second, per category, for HumanEval with s = 5 (model-based transforms excluded).

Runs the whole non-model suite the way ``recode perturb`` does (one instance per transform, code
transforms sharing one parse cache, randomized transforms with seeds 0..4, the others once) and, side by
side, a baseline that works the way ReCode does: a fresh transform for every seed, so every variant parses
its source again. The goal is the whole suite under 15 s on the development machine (2 cores, shared).

    .venv/bin/python bench/transforms.py [--seeds 5] [--no-baseline] [--category CAT ...]

The last line holds the figures as space-separated key=value pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pytest_recode.problems import load_problems  # noqa: E402
from pytest_recode.transforms import CATEGORIES, transform_names  # noqa: E402
from pytest_recode.pipeline._dataset import base_problems, perturb_dataset  # noqa: E402
from pytest_recode.transforms import make_transforms  # noqa: E402

MODEL_BASED = frozenset({"BackTranslation", "VarRenamerCB"})
GOAL_S = 15.0


def _ours(names: list[str], problems: list, seeds: int) -> tuple[int, int]:
    prompts = changed = 0
    transforms = make_transforms(names)
    base = base_problems(problems, transforms[0].category)
    for transform in transforms:
        for variant in perturb_dataset(transform, problems, seeds, base=base):
            prompts += 1
            changed += variant.changed
    return prompts, changed


def _recode_style(names: list[str], problems: list, seeds: int) -> int:
    """A fresh instance per seed: nothing parsed for one seed is reused for the next."""
    prompts = 0
    for name in names:
        probe = make_transforms([name])[0]
        base = base_problems(problems, probe.category)
        for seed in range(seeds if probe.randomized else 1):
            transform = make_transforms([name])[0]
            for problem in base:
                transform.perturb(problem, seed)
                prompts += 1
    return prompts


def shares(categories: list[str], seeds: int) -> None:
    """Per transform and seed, the share of HumanEval problems whose prompt it changed.

    Syntax and format transforms see the partial-code variants (the whole problem where the body is one
    line); the share among the partial ones is shown too.
    """
    problems = load_problems("humaneval")
    for category in categories:
        names = [n for n in transform_names([category]) if n not in MODEL_BASED]
        for transform in make_transforms(names):
            base = base_problems(problems, transform.category)
            variants = list(perturb_dataset(transform, problems, seeds))
            cells = []
            for seed in range(seeds):
                changed = [v for v in variants if v.seed == seed and v.changed]
                partial = sum(v.nominal.partial for v in changed)
                cell = f"s{seed} {len(changed)}/{len(base)}"
                if category in ("syntax", "format"):
                    cell += f" ({partial}/{sum(p.partial for p in base)} partial)"
                cells.append(cell)
                if not transform.randomized:
                    cells[-1] += " (deterministic: every seed)"
                    break
            print(f"{transform.name:<32} " + "  ".join(cells), flush=True)


def _child(mode: str, categories: list[str], seeds: int) -> None:
    """Time each category in this (fresh) process; print one JSON object per category."""
    problems = load_problems("humaneval")
    for category in categories:
        names = [n for n in transform_names([category]) if n not in MODEL_BASED]
        started = time.perf_counter()
        if mode == "ours":
            prompts, changed = _ours(names, problems, seeds)
        else:
            prompts, changed = _recode_style(names, problems, seeds), -1
        elapsed = time.perf_counter() - started
        print(json.dumps({"category": category, "transforms": len(names), "prompts": prompts,
                          "changed": changed, "seconds": elapsed}), flush=True)


def _run_child(mode: str, categories: list[str], seeds: int) -> dict[str, dict]:
    command = [sys.executable, os.path.abspath(__file__), "--child", mode, "--seeds", str(seeds)]
    for category in categories:
        command += ["--category", category]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {row["category"]: row for row in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--category", action="append", choices=CATEGORIES)
    parser.add_argument("--no-baseline", action="store_true", help="skip the ReCode-style baseline")
    parser.add_argument("--shares", action="store_true",
                        help="instead of timing, print the share of problems each transform changes per seed")
    parser.add_argument("--child", choices=("ours", "recode-style"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    categories = args.category or list(CATEGORIES)
    if args.shares:
        shares(categories, args.seeds)
        return 0
    if args.child:
        _child(args.child, categories, args.seeds)
        return 0
    # Each side runs in a fresh process, so neither profits from what the other loaded or cached.
    ours = _run_child("ours", categories, args.seeds)
    baseline = {} if args.no_baseline else _run_child("recode-style", categories, args.seeds)
    figures: dict[str, str] = {}
    for category in categories:
        row = ours[category]
        rate = row["prompts"] / row["seconds"]
        line = (f"{category:<14} {row['transforms']:2d} transforms  {row['prompts']:5d} prompts "
                f"({row['changed']} changed)  {row['seconds']:6.2f} s  {rate:7.0f} prompts/s")
        figures[f"{category}_per_s"] = f"{rate:.0f}"
        if category in baseline:
            base = baseline[category]["seconds"]
            line += f"   ReCode-style (fresh transform per seed): {base:6.2f} s  {row['prompts'] / base:7.0f} prompts/s"
            figures[f"{category}_baseline_per_s"] = f"{row['prompts'] / base:.0f}"
        print(line)
    total_s = sum(r["seconds"] for r in ours.values())
    total_prompts = sum(r["prompts"] for r in ours.values())
    baseline_s = sum(r["seconds"] for r in baseline.values())
    print(f"whole suite: {total_prompts} prompts in {total_s:.2f} s ({total_prompts / total_s:.0f} prompts/s); "
          f"goal under {GOAL_S:g} s: {'met' if total_s < GOAL_S else 'NOT met'}"
          + (f"; ReCode-style baseline {baseline_s:.2f} s" if baseline else ""))
    summary = {"total_s": f"{total_s:.2f}", "prompts": str(total_prompts),
               "per_s": f"{total_prompts / total_s:.0f}", **figures}
    if baseline:
        summary["baseline_total_s"] = f"{baseline_s:.2f}"
    summary["goal_s"] = f"{GOAL_S:g}"
    print(" ".join(f"{key}={value}" for key, value in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
