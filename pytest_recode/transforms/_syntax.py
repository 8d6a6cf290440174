"""Syntax transforms (ReCode's ``natgen`` folder): rewrites that keep behaviour, on partial code.

Each works on the whole program around the split marker (see :mod:`._code`) and edits source text at
positions found on the libcst tree, so nothing else moves. Dead-code insertion lives in
:mod:`._dead_code`; the renamers' variable analysis in :mod:`._variables`.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence

import libcst as cst

from ._base import Edit, Site
from ._code import CodeSite, CodeTransform, NoSites, Program, TextEdit, fresh_name, is_free_identifier, seeded_rng
from ._statements import walk_statements
from ._dead_code import DeadCodeInserter, DeadCodeInserterLast
from ._variables import Variable, VarRenamer

__all__ = [
    "DeadCodeInserter",
    "DeadCodeInserterLast",
    "ForWhileTransformer",
    "OperandSwap",
    "VarRenamerNaive",
    "VarRenamerRN",
]


# -- variable renamers ---------------------------------------------------------------------------------
class VarRenamerNaive(VarRenamer):
    """Renames the most used variable to ``VAR_0`` (further variables, as further sites, to ``VAR_1``...)."""

    name = "VarRenamerNaive"
    summary = "rename the most used variable to VAR_0"

    def propose(self, program: Program, variables: Sequence[Variable], taken: set[str]) -> list[tuple[str, ...]]:
        proposals = []
        counter = 0
        for _ in variables:
            while not is_free_identifier(f"VAR_{counter}", taken):
                counter += 1
            proposals.append((f"VAR_{counter}",))
            taken.add(f"VAR_{counter}")
        return proposals


_FIRST = string.ascii_letters
_REST = string.ascii_letters + string.digits


class VarRenamerRN(VarRenamer):
    """Renames the most used variable to a random alphanumeric name of the same length."""

    name = "VarRenamerRN"
    randomized = True
    summary = "rename the most used variable to a random name of the same length"
    #: How many random names each variable offers; a seed picks one.
    choices = 16

    def propose(self, program: Program, variables: Sequence[Variable], taken: set[str]) -> list[tuple[str, ...]]:
        proposals = []
        for variable in variables:
            # The names are a pure function of the program and the variable; the seed chooses among them.
            rng = seeded_rng(self.name, program.source, variable.name, variable.first)
            names: list[str] = []
            length = len(variable.name)
            for attempt in range(40 * self.choices):
                if len(names) == self.choices:
                    break
                if attempt and attempt % (10 * self.choices) == 0 and not names:
                    length += 1  # one-letter names run out quickly
                candidate = rng.choice(_FIRST) + "".join(rng.choice(_REST) for _ in range(length - 1))
                if is_free_identifier(candidate, taken):
                    names.append(candidate)
                    taken.add(candidate)
            proposals.append(tuple(names))
        return proposals


# -- for -> while ----------------------------------------------------------------------------------------
def _target_names(target: cst.BaseExpression) -> list[str] | None:
    """The names a simple loop target binds, or ``None`` when it is not plain names (attributes etc.)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            inner = _target_names(element.value)
            if inner is None:
                return None
            names.extend(inner)
        return names
    return None


_LOOP_BUILTINS = ("iter", "next", "StopIteration")


class ForWhileTransformer(CodeTransform):
    """Rewrites ``for`` loops as ``while`` loops that drive the iterator by hand.

    ``for x in xs: body`` becomes ``_x_iter = iter(xs)`` / ``while True:`` / ``try: x = next(_x_iter)`` /
    ``except StopIteration: break`` / ``body``: exact for every iterable, with ``continue`` and ``break``
    keeping their meaning (ReCode's index-based loop breaks on sets, dicts, generators and ``continue``).
    Loops with an ``else`` clause, ``async for``, one-line bodies and targets other than names are left.
    """

    name = "ForWhileTransformer"
    category = "syntax"
    summary = "rewrite a for loop as an equivalent while loop"
    no_site_reason = "no for loop to rewrite"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        for builtin in _LOOP_BUILTINS:
            if program.may_rebind(builtin):
                raise NoSites(f"the program rebinds {builtin!r}")
        taken = set(program.names)
        source = program.source
        for statement in walk_statements(program.module):
            node = statement.node
            if (
                not isinstance(node, cst.For)
                or node.asynchronous is not None
                or node.orelse is not None
                or statement.function is None
                or not isinstance(node.body, cst.IndentedBlock)
            ):
                continue
            names = _target_names(node.target)
            if not names:
                continue
            start, _ = program.span(node)
            iter_start, iter_end = program.outer_span(node.iter)
            target_start, target_end = program.outer_span(node.target)
            iterable = source[iter_start:iter_end]
            if isinstance(node.iter, cst.Tuple) and not node.iter.lpar:
                iterable = f"({iterable})"
            colon = source.index(":", iter_end)
            indent = source[program.line_start(start) : start]
            unit = node.body.indent if node.body.indent is not None else program.module.default_indent
            it = fresh_name(f"_{names[0]}_iter", taken)
            taken.add(it)
            header = f"{it} = iter({iterable})\n{indent}while True:"
            inner = indent + unit
            fetch = (
                f"{inner}try:\n{inner}{unit}{source[target_start:target_end]} = next({it})\n"
                f"{inner}except StopIteration:\n{inner}{unit}break\n"
            )
            line = source.count("\n", 0, start) + 1
            body_start = program.line_end(colon)
            yield CodeSite(
                Site(f"for loop on line {line}", source[start : colon + 1], (header,)),
                ((TextEdit(start, colon + 1, header), TextEdit(body_start, body_start, fetch)),),
            )


# -- operand swap -------------------------------------------------------------------------------------
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "is": "is", "is not": "is not"}
_PURE_FUNCTIONS = frozenset(
    "abs all any bin bool chr divmod float frozenset hex int isinstance len max min oct ord pow repr round "
    "set sorted str sum tuple type list dict".split()
)
_PURE_METHODS = frozenset(
    "lower upper strip lstrip rstrip count index find rfind startswith endswith isdigit isalpha isalnum isupper "
    "islower isspace isnumeric isdecimal title capitalize swapcase casefold split rsplit join replace keys "
    "values items get copy bit_length is_integer real imag".split()
)


class _Impurity(cst.CSTVisitor):
    """What in an operand could have a side effect: "call" (a call of unknown effect), "bind" (a walrus, an
    await or a yield, which can change what the other operand sees whatever it is), or nothing."""

    def __init__(self, rebound: frozenset[str]) -> None:
        self.rebound = rebound
        self.effects: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in _PURE_FUNCTIONS and func.value not in self.rebound:
            return
        if isinstance(func, cst.Attribute) and func.attr.value in _PURE_METHODS:
            return
        self.effects.add("call")

    def visit_Await(self, node: cst.Await) -> None:
        self.effects.add("bind")

    def visit_Yield(self, node: cst.Yield) -> None:
        self.effects.add("bind")

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.effects.add("bind")


def _swappable(left: cst.BaseExpression, left_effects: set[str], right: cst.BaseExpression,
               right_effects: set[str]) -> bool:
    """Whether evaluating the operands the other way round gives the same values and effects."""
    if not left_effects and not right_effects:
        return True
    if left_effects and right_effects:
        return False
    effects, other = (left_effects, right) if left_effects else (right_effects, left)
    if isinstance(other, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True  # a literal reads nothing
    # A call cannot rebind a local name of its caller; a walrus or a yield can.
    return isinstance(other, cst.Name) and effects == {"call"}


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _glue(before: str, *pieces_and_after: str) -> str:
    """Join the pieces, with a space wherever two of them (or a piece and its context) would fuse.

    ``x=="a"or y`` swapped would give ``"a"==xor y``; ``x is(y)`` would give ``(y) isx``.
    """
    *pieces, after = pieces_and_after
    out = ""
    previous = before
    for piece in pieces:
        if piece and previous and _word_char(previous[-1]) and _word_char(piece[0]):
            piece = " " + piece
        out += piece
        previous = out if out else previous
    if out and after and _word_char(out[-1]) and _word_char(after[0]):
        out += " "
    return out


class OperandSwap(CodeTransform):
    """Swaps the operands of a comparison and mirrors its operator: ``a < b`` becomes ``b > a``.

    Only single comparisons (not chains, whose short-circuit order would change), with a mirrored operator
    (not ``in``), and only where swapping the evaluation order cannot matter: both operands free of calls
    with side effects, or one of them a plain name or literal.
    """

    name = "OperandSwap"
    category = "syntax"
    summary = "swap the operands of a comparison and mirror the operator"
    no_site_reason = "no comparison whose operands can be swapped"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        rebound = frozenset(n for n in _PURE_FUNCTIONS if program.may_rebind(n))
        found: list[tuple[int, int, str, str]] = []

        program_ref = program

        class Finder(cst.CSTVisitor):
            def visit_Comparison(self, node: cst.Comparison) -> None:
                if len(node.comparisons) != 1:
                    return
                target = node.comparisons[0]
                op_start, op_end = program_ref.span(target.operator)
                op = " ".join(program_ref.source[op_start:op_end].split())
                if op not in _MIRROR:
                    return
                left, right = node.left, target.comparator
                effects = []
                for operand in (left, right):
                    checker = _Impurity(rebound)
                    operand.visit(checker)
                    effects.append(checker.effects)
                if not _swappable(left, effects[0], right, effects[1]):
                    return
                start, left_end = program_ref.outer_span(left)
                right_start, end = program_ref.outer_span(right)
                src = program_ref.source
                swapped = _glue(
                    src[start - 1 : start],
                    src[right_start:end],
                    src[left_end:op_start] + _MIRROR[op] + src[op_end:right_start],
                    src[start:left_end],
                    src[end : end + 1],
                )
                found.append((start, end, src[start:end], swapped))

        program.module.visit(Finder())
        found.sort()
        # A comparison inside another's operand would make overlapping edits; keep the outer one.
        kept: list[tuple[int, int, str, str]] = []
        for item in found:
            if kept and item[0] < kept[-1][1]:
                continue
            kept.append(item)
        for start, end, original, swapped in kept:
            line = program.source.count("\n", 0, start) + 1
            yield CodeSite(Site(f"comparison on line {line}", original, (swapped,)),
                           ((TextEdit(start, end, swapped),),))

    def sample(self, problem, rng, sites):  # type: ignore[no-untyped-def]
        return tuple(Edit(i, 0) for i in range(len(sites)))
