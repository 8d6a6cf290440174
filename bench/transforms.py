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
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pytest_recode.problems import load_problems  # noqa: E402
from pytest_recode.transforms import CATEGORIES, transform_names  # noqa: E402
from pytest_recode.transforms._dataset import base_problems, make_transforms, perturb_dataset  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--category", action="append", choices=CATEGORIES)
    parser.add_argument("--no-baseline", action="store_true", help="skip the ReCode-style baseline")
    parser.add_argument("--shares", action="store_true",
                        help="instead of timing, print the share of problems each transform changes per seed")
    args = parser.parse_args()
    categories = args.category or list(CATEGORIES)
    if args.shares:
        shares(categories, args.seeds)
        return 0
    problems = load_problems("humaneval")
    figures: dict[str, str] = {}
    total_prompts = 0
    total_s = 0.0
    baseline_s = 0.0
    for category in categories:
        names = [n for n in transform_names([category]) if n not in MODEL_BASED]
        started = time.perf_counter()
        prompts, changed = _ours(names, problems, args.seeds)
        elapsed = time.perf_counter() - started
        total_prompts += prompts
        total_s += elapsed
        line = (f"{category:<14} {len(names):2d} transforms  {prompts:5d} prompts ({changed} changed)  "
                f"{elapsed:6.2f} s  {prompts / elapsed:7.0f} prompts/s")
        figures[f"{category}_per_s"] = f"{prompts / elapsed:.0f}"
        if not args.no_baseline:
            started = time.perf_counter()
            _recode_style(names, problems, args.seeds)
            base = time.perf_counter() - started
            baseline_s += base
            line += f"   ReCode-style (re-parse per seed): {base:6.2f} s  {prompts / base:7.0f} prompts/s"
            figures[f"{category}_baseline_per_s"] = f"{prompts / base:.0f}"
        print(line, flush=True)
    print(f"whole suite: {total_prompts} prompts in {total_s:.2f} s ({total_prompts / total_s:.0f} prompts/s); "
          f"goal under {GOAL_S:g} s: {'met' if total_s < GOAL_S else 'NOT met'}"
          + (f"; ReCode-style baseline {baseline_s:.2f} s" if not args.no_baseline else ""))
    figures = {"total_s": f"{total_s:.2f}", "prompts": str(total_prompts),
               "per_s": f"{total_prompts / total_s:.0f}", **figures}
    if not args.no_baseline:
        figures["baseline_total_s"] = f"{baseline_s:.2f}"
    figures["goal_s"] = f"{GOAL_S:g}"
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
