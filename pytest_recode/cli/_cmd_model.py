"""``recode model``: build a tiny offline model to try the plugin with, or check that a model spec loads."""

from __future__ import annotations

import argparse
import time

from ..models import DTYPES, GenerationConfig, ModelOptions, TinyModelSpec, build_tiny_model, load_model
from ..models._tiny import TINY_ARCHS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "model",
        help="build a tiny offline model (model tiny DIR) or check that a model loads (model check SPEC)",
        description="Tools for the model under test.",
    )
    actions = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    tiny = actions.add_parser(
        "tiny",
        help="write a tiny random-weight transformers model to DIR (offline, ~1 s)",
        description="Train a byte-level BPE tokenizer on HumanEval's code and save it with a tiny random-weight "
        "GPT-2 or Llama model to DIR, so that --recode-model=DIR works offline. Its completions are gibberish: "
        "it exercises the machinery, not code generation.",
    )
    tiny.add_argument("directory", metavar="DIR")
    defaults = TinyModelSpec()
    tiny.add_argument("--arch", choices=TINY_ARCHS, default=defaults.arch, help=f"(default: {defaults.arch})")
    tiny.add_argument("--layers", type=int, default=defaults.layers, help=f"(default: {defaults.layers})")
    tiny.add_argument("--hidden-size", type=int, default=defaults.hidden_size, help=f"(default: {defaults.hidden_size})")
    tiny.add_argument("--heads", type=int, default=defaults.heads, help=f"(default: {defaults.heads})")
    tiny.add_argument("--vocab-size", type=int, default=defaults.vocab_size, help=f"(default: {defaults.vocab_size})")
    tiny.add_argument("--seed", type=int, default=defaults.seed, help=f"(default: {defaults.seed})")
    tiny.set_defaults(handler=run_tiny)

    check = actions.add_parser(
        "check",
        help="load a model spec and complete one prompt",
        description="Load the model a spec names (directory, hub id from the local cache, python:MODULE:ATTR, "
        "http(s):// URL), print its fingerprint and complete one prompt.",
    )
    check.add_argument("spec", metavar="SPEC")
    check.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default: auto)")
    check.add_argument("--dtype", choices=DTYPES, default="auto", help="(default: auto)")
    check.add_argument("--prompt", default='def add(a: int, b: int) -> int:\n    """Return a + b."""\n',
                       help="the prompt to complete (default: a two-line function)")
    check.add_argument("--max-new-tokens", type=int, default=32, metavar="N", help="(default: 32)")
    check.set_defaults(handler=run_check)


def run_tiny(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    spec = TinyModelSpec(arch=args.arch, vocab_size=args.vocab_size, hidden_size=args.hidden_size,
                         layers=args.layers, heads=args.heads, seed=args.seed)
    path = build_tiny_model(args.directory, spec)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    print(f"wrote a tiny {spec.arch} model to {path} ({size / 2**20:.1f} MiB) in {time.perf_counter() - start:.1f} s")
    print(f"try it: pytest --recode-model={path}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    model = load_model(args.spec, ModelOptions(device=args.device, dtype=args.dtype))
    loaded = time.perf_counter()
    print(f"loaded {model.name} in {loaded - start:.1f} s")
    print(f"fingerprint: {model.fingerprint()}")
    completion = model.complete([args.prompt], GenerationConfig(max_new_tokens=args.max_new_tokens))[0][0]
    print(f"completed {args.max_new_tokens} tokens at most in {time.perf_counter() - loaded:.2f} s:")
    print(args.prompt + completion)
    return 0
