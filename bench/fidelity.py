"""How strong our seeded variants are beside ReCode's released ones (HumanEval, seed 0), like for like.

For every transform with a reference file under ``--reference`` (ReCode's seed-0 perturbed HumanEval), it
prints per transform how many of the 164 problems each side changed and the mean like-for-like size of an
edit, ours and ReCode's, with the ratio ours / ReCode:

- docstring: words (letters, digits, apostrophes) of the docstring text, from its opening quotes to the
  first ``>>>`` example; layout and punctuation are ignored, since ReCode rejoins the words it splits, and
  so is case except for ChangeCharCase (``Return`` -> ``Will return`` adds one word).
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

The last line holds the figures as space-separated key=value pairs: ``<transform>_changed`` and
``<transform>_size`` (ours / ReCode), ``<transform>_equal`` (the share equal to ReCode's output),
``split_lines_def`` (our variants that split the entry point's signature) and, for the tense transforms,
``<transform>_size_grammatical`` (ours / ReCode's edits without the forms ours never makes). A ratio
is ``n/a`` where ReCode's seed-0 file changes nothing (FuncRenameSynonymSub).
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
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pytest_recode.problems import Problem, load_problems, partial_variant  # noqa: E402
from pytest_recode.transforms import RECODE_FOLDERS, get_transform, transform_names  # noqa: E402
from pytest_recode.transforms._nl._locate import locate_docstring  # noqa: E402

#: ReCode's released data: under $RECODE_SHARED_DATA, else ../shared/data beside the checkout, as the tests find it.
REFERENCE = next(
    (Path(d) / "recode-reference" for d in (os.environ.get("RECODE_SHARED_DATA"),
                                           Path(__file__).resolve().parents[2] / "shared" / "data",
                                           "/work/shared/data") if d and (Path(d) / "recode-reference").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "recode-reference",
)
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
                    shown = " ".join(value.split()) if isinstance(value, str) else repr(value)
                    text = f"{type(value).__name__}:{shown}"
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
    """One side's changed problems and the like-for-like sizes of the edits that count."""

    changed: int = 0
    sizes: list[int] = field(default_factory=list)

    def add(self, size: int, counted: bool) -> None:
        if size:
            self.changed += 1
            if counted:
                self.sizes.append(size)

    @property
    def mean(self) -> float:
        return sum(self.sizes) / len(self.sizes) if self.sizes else 0.0


def _words(name: str, prompt: str, text_start: int) -> list[str]:
    words = docstring_words(prompt, text_start)
    # Case counts only where it is the perturbation: "Return" -> "Will return" adds a word, changes none.
    return words if name == "ChangeCharCase" else [w.lower() for w in words]


def measure(name: str, category: str, nominal: Problem, perturbed: Problem) -> tuple[int, bool]:
    """The like-for-like edit size of one variant, and whether it counts towards the mean size."""
    if category == "docstring":
        doc = locate_docstring(nominal.prompt, nominal.entry_point)
        if doc is None:
            return 0, False
        with_examples = _EXAMPLE.search(nominal.prompt, doc.body_start, doc.body_end) is not None
        return edit_size(_words(name, nominal.prompt, doc.text_start),
                         _words(name, perturbed.prompt, doc.text_start)), with_examples
    if category == "function_name":
        return name_distance(nominal.entry_point, perturbed.entry_point), True
    if category == "syntax":
        return edit_size(code_tokens(nominal.prompt), code_tokens(perturbed.prompt)), True
    return edit_size(prompt_lines(nominal.prompt), prompt_lines(perturbed.prompt)), True


_MODALS = frozenset({"should", "can", "could", "would", "may", "might", "must", "shall", "to", "please"})
_PARTICIPLES = re.compile(r"^(?:\w+ed|given|found|done|left|been|seen|written|chosen)$")


def recode_only_tense_words(nominal: list[str], recode: list[str]) -> int:
    """The words of ReCode's tense edits in forms ours never makes: a verb form after a modal or ``to``
    ("should will be", "to will compute", "should was"), a participle conjugated ("given" -> "gave",
    "will give")."""
    count = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=nominal, b=recode, autojunk=False).get_opcodes():
        old, new = nominal[i1:i2], recode[j1:j2]
        previous = nominal[i1 - 1] if i1 else ""
        if op == "equal":
            continue
        if previous in _MODALS or (old and _PARTICIPLES.match(old[-1]) and old[-1] not in new):
            count += max(i2 - i1, j2 - j1)
    return count


def signature_split(nominal: Problem, perturbed: Problem) -> bool:
    """Whether the entry point's ``def`` line (up to the colon that ends the signature) was broken."""
    match = re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(nominal.entry_point)}\b", nominal.prompt, re.M)
    if match is None:
        return False
    end = nominal.prompt.find(":\n", match.start())
    return nominal.prompt[match.start() : end + 1 if end != -1 else len(nominal.prompt)] not in perturbed.prompt


def keeps_meaning(category: str, row: dict, nominal: Problem, recode: Problem) -> bool:
    """Whether ReCode's output means what the nominal prompt means (the exact-match share counts only these)."""
    if category == "format":
        structure = prompt_structure(recode.prompt)
        return structure is not None and structure == prompt_structure(nominal.prompt)
    new = recode.entry_point
    return renamed_tree(row["prompt"] + row["canonical_solution"], new, new) == renamed_tree(
        nominal.prompt + nominal.canonical_solution, nominal.entry_point, new)


def _read(path: Path) -> dict[str, dict]:
    with path.open() as handle:
        return {row["task_id"]: row for row in map(json.loads, handle)}


@dataclass
class Comparison:
    """Ours beside ReCode's for one transform."""

    ours: Side = field(default_factory=Side)
    recode: Side = field(default_factory=Side)
    equal: int = 0
    comparable: int = 0
    def_splits: tuple[int, int] = (0, 0)
    recode_only_words: list[int] = field(default_factory=list)


def compare(name: str, problems: list[Problem], reference: Path, seed: int) -> Comparison | str | None:
    """The comparison, why it cannot run here, or ``None`` when ReCode released no file for it."""
    transform = get_transform(name)
    category = transform.category
    path = reference / "humaneval" / RECODE_FOLDERS[category] / f"humaneval_{name}_s0.jsonl"
    if not path.exists():
        return None
    if transform.unavailable() is not None:
        return str(transform.unavailable())
    rows = _read(path)
    result = Comparison()
    splits = [0, 0]
    for problem in problems:
        base = (partial_variant(problem) or problem) if category in ("syntax", "format") else problem
        variant = transform.perturb(base, seed)
        mine = variant.perturbed if variant else base
        row = rows[problem.task_id]
        recode = base.with_changes(prompt=row["prompt"], entry_point=row["entry_point"])
        for side, perturbed in ((result.ours, mine), (result.recode, recode)):
            side.add(*measure(name, category, base, perturbed))
        if name in EXACT and keeps_meaning(category, row, base, recode):
            result.comparable += 1
            result.equal += prompt_lines(mine.prompt) == prompt_lines(recode.prompt)
        if name == "split_lines":
            splits[0] += signature_split(base, mine)
            splits[1] += signature_split(base, recode)
        if name.startswith("TenseTransformation"):
            size, counted = measure(name, category, base, recode)
            doc = locate_docstring(base.prompt, base.entry_point)
            if size and counted and doc is not None:
                result.recode_only_words.append(recode_only_tense_words(
                    _words(name, base.prompt, doc.text_start), _words(name, recode.prompt, doc.text_start)))
    result.def_splits = (splits[0], splits[1])
    return result


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else ("1.00" if not ours else "n/a")


UNITS = {"docstring": "words (prompts with >>>)", "function_name": "name chars", "syntax": "tokens",
         "format": "lines"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="our seed to set beside ReCode's seed 0")
    parser.add_argument("--transform", action="append", choices=transform_names(), metavar="NAME")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="ReCode's released perturbed data")
    args = parser.parse_args()
    problems = load_problems("humaneval")
    summary: dict[str, str] = {}
    print(f"{'transform':<32} {'changed ours / ReCode':>21} {'ratio':>6}   {'edit size ours / ReCode':>23} {'ratio':>6}"
          "   unit")
    for name in args.transform or transform_names():
        result = compare(name, problems, args.reference, args.seed)
        if result is None:
            continue
        if isinstance(result, str):
            print(f"{name:<32} skipped: {result}", flush=True)
            continue
        ours, recode = result.ours, result.recode
        changed, size = _ratio(ours.changed, recode.changed), _ratio(ours.mean, recode.mean)
        line = (f"{name:<32} {ours.changed:>10d} / {recode.changed:<8d} {changed:>6}   "
                f"{ours.mean:>11.2f} / {recode.mean:<9.2f} {size:>6}   {UNITS[get_transform(name).category]}")
        summary[f"{name}_changed"], summary[f"{name}_size"] = changed, size
        if name in EXACT:
            line += f"; equals ReCode's on {result.equal}/{result.comparable}"
            summary[f"{name}_equal"] = f"{result.equal / result.comparable:.2f}" if result.comparable else "n/a"
        if name == "split_lines":
            line += f"; splits the entry point's def: ours {result.def_splits[0]}, ReCode {result.def_splits[1]}"
            summary["split_lines_def"] = str(result.def_splits[0])
        if result.recode_only_words:
            grammatical = recode.mean - sum(result.recode_only_words) / len(result.recode_only_words)
            line += (f"\n{'':<32} ReCode without forms ours never makes (after a modal or 'to', participles "
                     f"conjugated): {grammatical:.2f}, ratio {_ratio(ours.mean, grammatical)}")
            summary[f"{name}_size_grammatical"] = _ratio(ours.mean, grammatical)
        print(line, flush=True)
    print(" ".join(f"{key}={value}" for key, value in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
