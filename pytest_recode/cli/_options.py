"""Arguments several ``recode`` sub-commands share, so that they are spelled the same everywhere."""

from __future__ import annotations

import argparse

from ..execution import BACKENDS, SandboxConfig

__all__ = ["add_dataset_arguments", "add_sandbox_arguments", "sandbox_config"]


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        required=True,
        metavar="NAME_OR_PATH",
        help="builtin, humaneval, mbpp, or the path of a .jsonl/.jsonl.gz file in HumanEval's shape",
    )
    parser.add_argument(
        "--mbpp-path",
        metavar="PATH",
        help="ReCode's MBPP file (mbpp_wtest.jsonl) for --dataset mbpp (default: $RECODE_MBPP_PATH)",
    )


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SandboxConfig()
    parser.add_argument("--sandbox", choices=BACKENDS, default=defaults.backend,
                        help=f"where programs run (default: {defaults.backend})")
    parser.add_argument("--timeout", type=float, default=defaults.timeout_s, metavar="S",
                        help=f"wall-clock limit per program in seconds (default: {defaults.timeout_s:g})")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb, metavar="MB",
                        help=f"address-space limit per program (default: {defaults.memory_mb})")
    parser.add_argument("--workers", type=int, default=defaults.workers, metavar="N",
                        help="sandbox worker processes (default: 0, one per CPU core)")
    parser.add_argument("--docker-image", default=defaults.docker_image, metavar="IMAGE",
                        help=f"image for --sandbox docker (default: {defaults.docker_image})")


def sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        backend=args.sandbox,
        timeout_s=args.timeout,
        memory_mb=args.memory_mb,
        workers=args.workers,
        docker_image=args.docker_image,
    )
