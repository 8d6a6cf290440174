"""How strong our seeded variants are beside ReCode's released ones (HumanEval, seed 0), like for like.

For every transform with a reference file under ``--reference`` (ReCode's seed-0 perturbed HumanEval), it
prints per transform how many of the 164 problems each side changed and the mean like-for-like size of an
edit, ours and ReCode's, with the ratio ours / ReCode:

- docstring: words (letters, digits, apostrophes) of the docstring text, from its opening quotes to the
  first ``>>>`` example; layout and punctuation are ignored, since ReCode rejoins the words it splits.
  The edit size is averaged over prompts with a ``>>>`` example only: on the others ReCode's text runs
  on into the worked examples and the closing quotes;
- function_name: characters of the entry point's name (edit distance between the old and the new name);
- syntax: Python tokens of the prompt, ignoring layout, comments, parentheses, trailing commas and how a
  literal is spelt, since ReCode runs ``black`` over every syntax prompt;
- format: lines of the prompt, trailing whitespace ignored. For the deterministic format transforms and
  FuncRenameCamelCase it also prints on how many problems our prompt equals ReCode's (trailing whitespace
  ignored), among those where ReCode's output keeps the program's meaning (same tree, docstrings aside),
  and for split_lines how many variants split a line of the entry point's signature.

The syntax and format transforms perturb the partial-code variant (the whole problem where the body is one
line), as ReCode does. Ours are the seeded variants (``transform.perturb(problem, seed)``).

    .venv/bin/python bench/fidelity.py [--seed 0] [--transform NAME ...] [--reference DIR]

The last line holds the ratios as space-separated key=value pairs (``<transform>_changed`` and
``<transform>_size``, plus ``<transform>_equal`` and ``split_lines_def``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import os
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pytest_recode.problems import Problem, load_problems, partial_variant  # noqa: E402
from pytest_recode.transforms import RECODE_FOLDERS, get_transform, transform_names  # noqa: E402
from pytest_recode.transforms._nl._locate import locate_docstring  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "recode-reference"
if not REFERENCE.is_dir():
    REFERENCE = Path("/work/shared/data/recode-reference")
#: Deterministic transforms whose output should be ReCode's own, up to trailing whitespace.
EXACT = ("tab_indent", "doc2comments", "new_line_aftercode", "new_line_afterdoc", "FuncRenameCamelCase")

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*")
_EXAMPLE = re.compile(r"^[ \t]*>>>", re.MULTILINE)
_LAYOUT = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENDMARKER}


# -- like-for-like views ---------------------------------------------------------------------------------
def docstring_words(prompt: str, text_start: int) -> list[str]:
    """The words from the docstring's text start to the first ``>>>`` example (or the prompt's end)."""
    example = _EXAMPLE.search(prompt, text_start)
    return _WORD.findall(prompt[text_start : example.start() if example else len(prompt)])


def code_tokens(source: str) -> list[str]:
    """Python tokens without layout, parentheses and trailing commas (black adds and drops them), literals
    by value (black respells quotes, ``1.`` and docstrings)."""
    tokens: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _LAYOUT:
                continue
            text = tok.string
            if tok.type in (tokenize.STRING, tokenize.NUMBER):
                try:
                    value = ast.literal_eval(text)
                    text = f"{type(value).__name__}:" + (" ".join(value.split()) if isinstance(value, str) else repr(value))
                except (ValueError, SyntaxError):
                    pass
            tokens.append(text)
    except (tokenize.TokenError, SyntaxError):
        pass  # partial code may stop inside a bracket: the tokens so far are what there is
    kept = [t for i, t in enumerate(tokens) if not (t == "," and tokens[i + 1 : i + 2] in (["]"], [")"], ["}"]))]
    return [t for t in kept if t not in ("(", ")")]


def prompt_lines(prompt: str) -> list[str]:
    return [line.rstrip() for line in prompt.split("\n")]


def edit_size(before: list[str], after: list[str]) -> int:
    """How many elements an alignment of the two sequences changes (a replacement counts its longer side)."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")


def name_distance(old: str, new: str) -> int:
    """Levenshtein distance between two names."""
    row = list(range(len(new) + 1))
    for i, a in enumerate(old, 1):
        previous, row[0] = row[0], i
        for j, b in enumerate(new, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (a != b))
    return row[-1]


def renamed_tree(program: str, old: str, new: str) -> str | None:
    """The tree of ``program`` with the function ``old`` renamed (``None`` when it does not parse);
    docstrings are left out, since a rename may mention the name there."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == old:
            node.name = new
        elif isinstance(node, ast.Name) and node.id == old:
            node.id = new
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _structure(prompt: str) -> list[str] | None:
    tokens: list[str] = []
    line: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(prompt).readline):
            if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER):
                continue
            if tok.type in (tokenize.INDENT, tokenize.DEDENT):
                tokens.append(tokenize.tok_name[tok.type])
            elif tok.type == tokenize.NEWLINE:
                if not (len(line) == 1 and line[0].startswith("str:")):  # a lone string: a docstring's place
                    tokens.extend(line + ["NEWLINE"])
                line = []
            else:
                line.append(code_tokens(tok.string)[0] if tok.type in (tokenize.STRING, tokenize.NUMBER)
                            else tok.string)
    except tokenize.TokenError:
        pass  # partial code may stop inside brackets
    except SyntaxError:
        return None
    tokens += line
    # A block left with nothing but its docstring (the body is the model's to write) opens and closes at once.
    while any(a == "INDENT" and b == "DEDENT" for a, b in zip(tokens, tokens[1:])):
        at = next(i for i, (a, b) in enumerate(zip(tokens, tokens[1:])) if a == "INDENT" and b == "DEDENT")
        del tokens[at : at + 2]
    return tokens


def prompt_structure(prompt: str) -> list[str] | None:
    """What a prompt means as code: tokens with indentation as INDENT/DEDENT, comments and docstrings aside.

    ``None`` when it does not tokenize or when its indentation reads differently with tabs of width 8 and
    of width 1 (Python refuses such code).
    """
    wide = _structure(prompt)
    narrow = _structure(re.sub(r"^[ \t]+", lambda m: m.group().replace("\t", " "), prompt, flags=re.M))
    return wide if wide == narrow else None


# -- one side's figures --------------------------------------------------------------------------------
@dataclass
class Side:
    changed: int = 0
    sizes: list[int] | None = None

    def add(self, size: int, *, counted: bool = True) -> None:
        if self.sizes is None:
            self.sizes = []
        if size:
            self.changed += 1
            if counted:
                self.sizes.append(size)

    @property
    def mean(self) -> float:
        return sum(self.sizes) / len(self.sizes) if self.sizes else 0.0


def measure(category: str, nominal: Problem, perturbed: Problem) -> tuple[int, bool]:
    """The like-for-like edit size of one variant, and whether it counts towards the mean size."""
    if category == "docstring":
        doc = locate_docstring(nominal.prompt, nominal.entry_point)
        if doc is None:
            return 0, False
        with_examples = _EXAMPLE.search(nominal.prompt, doc.body_start, doc.body_end) is not None
        size = edit_size(docstring_words(nominal.prompt, doc.text_start),
                         docstring_words(perturbed.prompt, doc.text_start))
        return size, with_examples
    if category == "function_name":
        return name_distance(nominal.entry_point, perturbed.entry_point), True
    if category == "syntax":
        return edit_size(code_tokens(nominal.prompt), code_tokens(perturbed.prompt)), True
    return edit_size(prompt_lines(nominal.prompt), prompt_lines(perturbed.prompt)), True


def signature_split(nominal: Problem, perturbed: Problem) -> bool:
    """Whether a line of the entry point's ``def`` (up to its colon) was broken in two."""
    match = re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(nominal.entry_point)}\b", nominal.prompt, re.M)
    if match is None:
        return False
    header = nominal.prompt[match.start() : nominal.prompt.index(":\n", match.start()) + 1] \
        if ":\n" in nominal.prompt[match.start() :] else nominal.prompt[match.start() :]
    return header not in perturbed.prompt


def _reference_row(row: dict, nominal: Problem) -> Problem:
    return nominal.with_changes(prompt=row["prompt"], entry_point=row["entry_point"])


def _read(path: Path) -> dict[str, dict]:
    with path.open() as handle:
        return {row["task_id"]: row for row in map(json.loads, handle)}


def compare(name: str, problems: list[Problem], reference: Path, seed: int) -> dict[str, object] | None:
    transform = get_transform(name)
    reason = transform.unavailable()
    category = transform.category
    path = reference / "humaneval" / RECODE_FOLDERS[category] / f"humaneval_{name}_s0.jsonl"
    if not path.exists():
        return None
    if reason is not None:
        print(f"{name:<32} skipped: {reason}", flush=True)
        return None
    rows = _read(path)
    ours, theirs = Side(), Side()
    equal = comparable = splits_ours = splits_theirs = 0
    for problem in problems:
        base = (partial_variant(problem) or problem) if category in ("syntax", "format") else problem
        variant = transform.perturb(base, seed)
        mine = variant.perturbed if variant else base
        recode = _reference_row(rows[problem.task_id], base)
        for side, result in ((ours, mine), (theirs, recode)):
            size, counted = measure(category, base, result)
            side.add(size, counted=counted)
        if name in EXACT:
            if category == "format":
                keeps_meaning = prompt_structure(recode.prompt) == prompt_structure(base.prompt) is not None
            else:
                row = rows[problem.task_id]
                keeps_meaning = renamed_tree(row["prompt"] + row["canonical_solution"], recode.entry_point,
                                             recode.entry_point) == renamed_tree(
                    problem.prompt + problem.canonical_solution, problem.entry_point, recode.entry_point)
            if keeps_meaning:
                comparable += 1
                equal += prompt_lines(mine.prompt) == prompt_lines(recode.prompt)
        if name == "split_lines":
            splits_ours += signature_split(base, mine)
            splits_theirs += signature_split(base, recode)
    figures: dict[str, object] = {"ours": ours, "recode": theirs}
    if name in EXACT:
        figures["equal"] = (equal, comparable)
    if name == "split_lines":
        figures["def_splits"] = (splits_ours, splits_theirs)
    return figures


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else ("1.00" if not ours else "inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="our seed to set beside ReCode's seed 0")
    parser.add_argument("--transform", action="append", choices=transform_names(), metavar="NAME")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="ReCode's released perturbed data")
    args = parser.parse_args()
    problems = load_problems("humaneval")
    summary: dict[str, str] = {}
    print(f"{'transform':<32} {'changed ours/ReCode':>20} {'ratio':>6}   {'edit size ours/ReCode':>22} {'ratio':>6}"
          "   unit")
    units = {"docstring": "words (prompts with >>>)", "function_name": "name chars",
             "syntax": "tokens", "format": "lines"}
    for name in args.transform or transform_names():
        figures = compare(name, problems, args.reference, args.seed)
        if figures is None:
            continue
        ours, theirs = figures["ours"], figures["recode"]
        assert isinstance(ours, Side) and isinstance(theirs, Side)
        changed_ratio, size_ratio = _ratio(ours.changed, theirs.changed), _ratio(ours.mean, theirs.mean)
        category = get_transform(name).category
        line = (f"{name:<32} {ours.changed:>9d} / {theirs.changed:<8d} {changed_ratio:>6}   "
                f"{ours.mean:>10.2f} / {theirs.mean:<9.2f} {size_ratio:>6}   {units[category]}")
        summary[f"{name}_changed"] = changed_ratio
        summary[f"{name}_size"] = size_ratio
        if "equal" in figures:
            equal, comparable = figures["equal"]  # type: ignore[misc]
            line += f"; equals ReCode's on {equal}/{comparable}"
            summary[f"{name}_equal"] = f"{equal / comparable:.2f}" if comparable else "0"
        if "def_splits" in figures:
            mine, recode = figures["def_splits"]  # type: ignore[misc]
            line += f"; splits the entry point's def: ours {mine}, ReCode {recode}"
            summary["split_lines_def"] = str(mine)
        print(line, flush=True)
    print(" ".join(f"{key}={value}" for key, value in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
