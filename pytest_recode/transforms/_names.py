"""What code does with names: where it binds them, where it reads them, what it may change, what is pure.

The analysis is syntactic and errs on the careful side: a binding inside a nested function counts for
the enclosing one, any call not known to be pure may change its arguments, any method not known to be
pure may change its object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from ._code import Program

__all__ = [
    "PURE_FUNCTIONS",
    "PURE_METHODS",
    "base_name",
    "bindings",
    "contains",
    "is_literal",
    "mutated",
    "names_in",
    "pure",
]

#: Builtins whose calls change nothing (unless the program rebinds them).
PURE_FUNCTIONS = frozenset(
    "abs all any bin bool chr divmod float frozenset hex int isinstance len max min oct ord pow repr round "
    "set sorted str sum tuple type list dict range enumerate zip reversed".split()
)
#: Methods whose calls change nothing in the common types that have them.
PURE_METHODS = frozenset(
    "lower upper strip lstrip rstrip count index find rfind startswith endswith isdigit isalpha isalnum isupper "
    "islower isspace isnumeric isdecimal title capitalize swapcase casefold split rsplit join replace keys "
    "values items get copy bit_length is_integer real imag".split()
)
#: The name :func:`bindings` reports for ``from module import *`` (which may bind anything).
STAR = "*"
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


class _Bindings(cst.CSTVisitor):
    """Every binding of a name in a tree: name -> the values bound (``None`` for anything but ``n = value``).

    Parameters count; comprehension targets are left out (they have a scope of their own); bindings inside
    nested functions and lambdas count, which can only make the analysis more careful.
    """

    def __init__(self, root: cst.CSTNode | None = None) -> None:
        self.bound: dict[str, list[cst.BaseExpression | None]] = {}
        self.root = root  # when set, the scopes nested in it are left out

    def on_visit(self, node: cst.CSTNode) -> bool:
        entered = super().on_visit(node)
        if self.root is not None and node is not self.root and isinstance(node, _SCOPES):
            return False  # its name (bound by visit_FunctionDef/ClassDef) counts; its insides do not
        return entered

    def _bind(self, target: cst.CSTNode, value: cst.BaseExpression | None = None) -> None:
        if isinstance(target, cst.Name):
            self.bound.setdefault(target.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, (cst.StarredElement, cst.AssignTarget)):
            self._bind(target.value if isinstance(target, cst.StarredElement) else target.target, value)

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value if len(node.targets) == 1 else None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind(node.name.name)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self._bind(item.name)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self._bind(item.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name)

    def visit_ImportStar(self, node: cst.ImportStar) -> None:
        self.bound.setdefault(STAR, []).append(None)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        name = node.asname.name if node.asname is not None else node.name
        while isinstance(name, cst.Attribute):
            name = name.value
        self._bind(name)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._bind(node.name)


def bindings(node: cst.CSTNode, *, nested: bool = True) -> dict[str, list[cst.BaseExpression | None]]:
    """Every name bound in ``node``, with the values bound (see :class:`_Bindings`); with ``nested=False``,
    not those inside the functions, lambdas and classes that ``node`` holds (their own scopes)."""
    visitor = _Bindings(node if not nested else None)
    node.visit(visitor)
    return visitor.bound


def names_in(node: cst.CSTNode) -> dict[str, int]:
    """How often each name occurs in ``node``."""
    counts: dict[str, int] = {}

    class Counter(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            counts[name.value] = counts.get(name.value, 0) + 1

    node.visit(Counter())
    return counts


def contains(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            nonlocal found
            found = found or isinstance(inner, kinds)
            return not found

    node.visit(Finder())
    return found


def is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_literal(node.left) and is_literal(node.right)  # type: ignore[arg-type]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return is_literal(node.expression)
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(not isinstance(e, cst.StarredElement) and is_literal(e.value) for e in node.elements)
    return False


def base_name(node: cst.BaseExpression) -> str | None:
    """``xs`` for ``xs``, ``xs[i]``, ``xs.attr`` and ``xs[i].attr[j]``."""
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def mutated(body: cst.CSTNode, program: Program) -> set[str]:
    """Names the code may rebind or change in place: bound, assigned through (``xs[i] = ...``), the object
    of a method that is not known to be pure, or an argument of a call that is not known to be pure."""
    found = set(bindings(body))

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            pure = isinstance(func, cst.Name) and func.value in PURE_FUNCTIONS and not program.may_rebind(func.value)
            if isinstance(func, cst.Attribute) and func.attr.value not in PURE_METHODS:
                name = base_name(func.value)
                if name is not None:
                    found.add(name)
            if not pure:
                found.update(n for a in node.args if (n := base_name(a.value)) is not None)

        def _target(self, target: cst.BaseExpression) -> None:
            if isinstance(target, (cst.Subscript, cst.Attribute)):
                name = base_name(target)
                if name is not None:
                    found.add(name)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._target(element.value)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self._target(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._target(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._target(node.target)

        def visit_Del(self, node: cst.Del) -> None:
            self._target(node.target)

    body.visit(Finder())
    return found


def pure(node: cst.BaseExpression, program: Program) -> bool:
    """Whether evaluating ``node`` changes nothing and depends only on the names in it."""
    if is_literal(node) or isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.UnaryOperation):
        return pure(node.expression, program)
    if isinstance(node, cst.BinaryOperation):
        return pure(node.left, program) and pure(node.right, program)
    if isinstance(node, cst.Subscript):
        return pure(node.value, program) and all(
            isinstance(e.slice, cst.Index) and pure(e.slice.value, program)
            or isinstance(e.slice, cst.Slice) and all(
                part is None or pure(part, program) for part in (e.slice.lower, e.slice.upper, e.slice.step)
            )
            for e in node.slice
        )
    if isinstance(node, cst.Call) and all(a.keyword is None and not a.star and pure(a.value, program)
                                          for a in node.args):
        func = node.func
        if isinstance(func, cst.Name):
            return func.value in PURE_FUNCTIONS and not program.may_rebind(func.value)
        if isinstance(func, cst.Attribute):
            return func.attr.value in PURE_METHODS and pure(func.value, program)
    return False
