"""Syntax transforms (ReCode's ``natgen`` folder): rewrites that keep behaviour, on partial code.

Each works on the whole program around the split marker (see :mod:`._code`) and edits source text at
positions found on the libcst tree, so nothing else moves. Dead-code insertion lives in
:mod:`._dead_code`; the renamers' variable analysis in :mod:`._variables`.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence

import libcst as cst

from ._base import Site
from ._code import (
    CodeSite,
    CodeTransform,
    Program,
    TextEdit,
    is_free_identifier,
    seeded_rng,
)
from ._names import PURE_FUNCTIONS, PURE_METHODS
from ._statements import node_depths
from ._dead_code import DeadCodeInserter, DeadCodeInserterLast
from ._loops import ForWhileTransformer
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


# -- operand swap -------------------------------------------------------------------------------------
_IDENTITY = ("is", "is not")
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "is": "is", "is not": "is not"}
class _Impurity(cst.CSTVisitor):
    """What in an operand could have a side effect: "call" (a call of unknown effect), "bind" (a walrus, an
    await or a yield, which can change what the other operand sees whatever it is), or nothing."""

    def __init__(self, rebound: frozenset[str]) -> None:
        self.rebound = rebound
        self.effects: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in PURE_FUNCTIONS and func.value not in self.rebound:
            return
        if isinstance(func, cst.Attribute) and func.attr.value in PURE_METHODS:
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
    with side effects, or one of them a plain name or literal. Sites come outermost first, then in source
    order. The seeded variant swaps one comparison, as ReCode does: the first of the whole program among
    those ReCode swaps (``<``, ``>``, ``<=``, ``>=``, ``==``, ``!=``; ``is`` only in the search), which
    leaves the prompt as it was when that comparison lies in the hidden rest.
    """

    name = "OperandSwap"
    category = "syntax"
    summary = "swap the operands of a comparison and mirror the operator"
    no_site_reason = "no comparison whose operands can be swapped"
    one_edit = True

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        rebound = frozenset(n for n in PURE_FUNCTIONS if program.may_rebind(n))
        found: list[tuple[int, int, str, str, int, str]] = []

        program_ref = program

        depths = node_depths(program.module, (cst.Comparison,))

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
                found.append((start, end, src[start:end], swapped, depths[id(node)], op))

        program.module.visit(Finder())
        found.sort()
        # A comparison inside another's operand would make overlapping edits; keep the outer one.
        kept: list[tuple[int, int, str, str, int, str]] = []
        for item in found:
            if kept and item[0] < kept[-1][1]:
                continue
            kept.append(item)
        # ReCode swaps the first comparison of a breadth-first walk over the whole program (the outermost,
        # then the earliest), even where it lies in the hidden rest and the prompt stays as it was.
        kept.sort(key=lambda item: (item[4], item[0]))
        first = next((item for item in kept if item[5] not in _IDENTITY), None)
        for item in kept:
            start, end, original, swapped, _, _ = item
            line = program.source.count("\n", 0, start) + 1
            yield CodeSite(Site(f"comparison on line {line}", original, (swapped,)),
                           ((TextEdit(start, end, swapped),),), item is first)
