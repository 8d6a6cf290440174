"""``recode transforms``: every transform in the registry, and whether it can run here."""

from __future__ import annotations

import argparse

from ..transforms import (
    CATEGORIES,
    TRANSFORM_NAMES,
    TransformConfig,
    parse_translation_models,
    transform_class,
    transform_names,
)

__all__ = ["add_transform_config_arguments", "register", "run", "transform_config"]


def add_transform_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for the transforms that need local models (BackTranslation, VarRenamerCB)."""
    parser.add_argument("--masked-code-model", metavar="DIR",
                        help="a local masked language model over code (e.g. CodeBERT) for VarRenamerCB")
    parser.add_argument("--translation-models", metavar="EN_DE_DIR,DE_EN_DIR",
                        help="two local translation models (English to German, German to English), "
                        "separated by a comma, for BackTranslation")
    parser.add_argument("--transform-device", default="cpu", metavar="DEVICE",
                        help="where those models run (default: cpu)")


def transform_config(args: argparse.Namespace) -> TransformConfig:
    models = parse_translation_models(args.translation_models) if args.translation_models else None
    return TransformConfig(translation_models=models, masked_code_model=args.masked_code_model,
                           device=args.transform_device)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transforms",
        help="list every perturbation: category, randomized or not, resources, available here or not",
        description="List ReCode's perturbations as this package implements them, with the resources each "
        "needs and whether it can run here (and if not, why).",
    )
    parser.add_argument("--category", action="append", choices=CATEGORIES, metavar="CATEGORY",
                        help=f"only this category ({', '.join(CATEGORIES)}); may repeat")
    add_transform_config_arguments(parser)
    parser.set_defaults(handler=run)


def _describe(name: str, config: TransformConfig) -> tuple[str, str, str, str, str]:
    try:
        cls = transform_class(name)
    except (ImportError, AttributeError) as exc:  # a module not written yet, or broken
        return name, "?", "?", "?", f"no: cannot import it ({type(exc).__name__}: {exc})"
    randomized = "yes" if cls.randomized else "no"
    resources = ", ".join(cls.resources) or "-"
    try:
        reason = cls(config).unavailable()
    except Exception as exc:  # noqa: BLE001 - a listing must list everything, whatever one entry does
        reason = f"{type(exc).__name__}: {exc}"
    available = "yes" if reason is None else f"no: {reason}"
    return name, cls.category, randomized, resources, available


def run(args: argparse.Namespace) -> int:
    config = transform_config(args)
    names = transform_names(args.category) if args.category else TRANSFORM_NAMES
    rows = [("name", "category", "randomized", "resources", "available")]
    rows += [_describe(name, config) for name in names]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    available = sum(1 for row in rows[1:] if row[4] == "yes")
    print(f"{len(rows) - 1} transforms, {available} available here")
    return 0
