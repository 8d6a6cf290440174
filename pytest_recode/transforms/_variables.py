"""Local variables a renamer may touch, found with libcst's scope analysis, and the renamer base class.

A variable is a name bound in one function, lambda or comprehension scope: parameters, locals,
comprehension variables. Module globals (tests may use them), class attributes, imports, function and
class names, builtins, attributes and keyword-argument names are never variables here. A variable is left
out whenever the analysis cannot account for every occurrence of its name: a ``global`` or ``nonlocal``
declaration, a ``match`` capture pattern, a walrus inside a comprehension, an unresolved use, or a program
that reads variables by name (``eval``, ``exec``, ``locals``, ``vars``).
"""

from __future__ import annotations

import abc
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, ComprehensionScope, FunctionScope, Scope

from ._base import Edit, Site
from ._code import CodeSite, CodeTransform, NoSites, Program, TextEdit, is_free_identifier

__all__ = ["Variable", "VarRenamer", "local_variables"]

#: Calls that see variables by their names: renaming would change what they find.
_INTROSPECTION = frozenset({"eval", "exec", "locals", "vars", "globals", "dir"})


@dataclass(frozen=True)
class Variable:
    """A renameable variable: its name, where it lives, and the spans of every occurrence."""

    name: str
    owner: str
    spans: tuple[tuple[int, int], ...]
    parameter: bool

    @property
    def uses(self) -> int:
        return len(self.spans)

    @property
    def first(self) -> int:
        return self.spans[0][0]


class _Collector(cst.CSTVisitor):
    """One pass over the tree for the facts scope analysis does not give."""

    def __init__(self) -> None:
        self.declared: set[str] = set()  # names in global/nonlocal statements
        self.keywords: set[str] = set()  # keyword-argument names in calls
        self.walrus_targets: set[int] = set()  # ids of Name nodes bound by :=
        self.introspects = False
        self.plain: dict[str, list[cst.Name]] = {}  # Name nodes that are neither attributes nor keywords
        self._skip: set[int] = set()

    def visit_Global(self, node: cst.Global) -> None:
        self.declared.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared.update(item.name.value for item in node.names)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.keywords.add(node.keyword.value)
            self._skip.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._skip.add(id(node.attr))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.walrus_targets.add(id(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in _INTROSPECTION:
            self.introspects = True

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._skip:
            self.plain.setdefault(node.value, []).append(node)


def _keyword_names_in(test: str) -> set[str]:
    # Test code calls the function under test; a keyword argument there names a parameter.
    return set(re.findall(r"[(,]\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)", test))


def local_variables(program: Program) -> tuple[list[Variable], str | None]:
    """The renameable variables of ``program`` (most used first), or none and the reason."""
    collector = _Collector()
    program.module.visit(collector)
    if collector.introspects:
        return [], "the program reads variables by name (eval, exec, locals, vars, globals or dir)"
    scopes = program.scopes
    keyword_names = collector.keywords | _keyword_names_in(program.test)

    # Every Name node that scope analysis accounts for, and by which binding.
    owner_of: dict[int, tuple[int, str]] = {}
    unresolved: set[str] = set()
    seen: set[int] = set()
    ordered_scopes: list[Scope] = []
    for scope in scopes.values():
        if isinstance(scope, Scope) and id(scope) not in seen:
            seen.add(id(scope))
            ordered_scopes.append(scope)
    for scope in ordered_scopes:
        for assignment in scope.assignments:
            node = assignment.node
            target = node.name if isinstance(node, (cst.Param, cst.FunctionDef, cst.ClassDef)) else node
            if isinstance(target, cst.Name):
                owner_of[id(target)] = (id(scope), assignment.name)
            for access in assignment.references:
                owner_of.setdefault(id(access.node), (id(scope), assignment.name))
        for access in scope.accesses:
            if not access.referents:
                unresolved.add(access.node.value if isinstance(access.node, cst.Name) else "")

    variables: list[Variable] = []
    for scope in ordered_scopes:
        if not isinstance(scope, (FunctionScope, ComprehensionScope)):
            continue
        for name in sorted({a.name for a in scope.assignments}):
            variable = _variable(program, scope, name, collector, keyword_names, owner_of, unresolved)
            if variable is not None:
                variables.append(variable)
    variables.sort(key=lambda v: (-v.uses, v.first))
    return variables, None if variables else "it has no local variable that can be renamed safely"


def _variable(
    program: Program,
    scope: Scope,
    name: str,
    collector: _Collector,
    keyword_names: set[str],
    owner_of: dict[int, tuple[int, str]],
    unresolved: set[str],
) -> Variable | None:
    if name in collector.declared or name in unresolved:
        return None
    nodes: dict[int, cst.Name] = {}
    parameter = False
    for assignment in scope.assignments[name]:
        if type(assignment) is not Assignment:  # imports, builtins
            return None
        node = assignment.node
        if isinstance(node, cst.Param):
            parameter = True
            node = node.name
        if not isinstance(node, cst.Name):  # def/class names, and anything unexpected
            return None
        if isinstance(scope, ComprehensionScope) and id(node) in collector.walrus_targets:
            return None  # := in a comprehension binds in the enclosing function; libcst says otherwise
        nodes[id(node)] = node
        for access in assignment.references:
            if not isinstance(access.node, cst.Name):
                return None  # e.g. a use inside a string annotation
            if any(r.scope is not scope for r in access.referents if isinstance(r, Assignment)):
                return None
            nodes[id(access.node)] = access.node
    if parameter and name in keyword_names:
        return None
    # Every other plain occurrence of the name must belong to some other binding that scope analysis knows.
    key = (id(scope), name)
    for node in collector.plain.get(name, ()):
        if id(node) in nodes:
            continue
        owner = owner_of.get(id(node))
        if owner is None or owner == key:
            return None  # an occurrence nobody accounts for (match capture, nonlocal, ...)
    spans = []
    for node in nodes.values():
        start, end = program.span(node)
        if program.source[start:end] != name:
            return None
        spans.append((start, end))
    spans.sort()
    return Variable(name, _owner_name(scope), tuple(spans), parameter)


def _owner_name(scope: Scope) -> str:
    if isinstance(scope, ComprehensionScope):
        return "a comprehension"
    node = getattr(scope, "node", None)
    if isinstance(node, cst.FunctionDef):
        return f"{node.name.value}()"
    return "a lambda"


class VarRenamer(CodeTransform):
    """Base of the variable renamers: one site per variable (most used first), options are new names.

    ReCode renames the most used variable; that is site 0, and what :meth:`sample` picks. Options of all
    sites are distinct names, fresh in the program and its tests, so any subset of sites can be applied.
    """

    category = "syntax"
    no_site_reason = "no local variable to rename"
    verify = False  # fresh identifiers in place of identifiers cannot break the syntax

    @abc.abstractmethod
    def propose(self, program: Program, variables: Sequence[Variable], taken: set[str]) -> list[tuple[str, ...]]:
        """New names for each variable (most natural first); add every proposed name to ``taken``."""

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        variables, reason = local_variables(program)
        if reason is not None:
            raise NoSites(reason)
        most_used = variables[0]
        variables = [v for v in variables if any(start < program.cut for start, _ in v.spans)]
        if not variables:
            raise NoSites("no local variable of the prompt can be renamed safely")
        taken = set(program.names)
        proposals = self.propose(program, variables, taken)
        for variable, names in zip(variables, proposals):
            names = tuple(n for n in names if is_free_identifier(n, program.names))
            if not names:
                continue
            kind = "parameter" if variable.parameter else "variable"
            yield CodeSite(
                Site(f"{kind} {variable.name} of {variable.owner}", variable.name, names),
                tuple(tuple(TextEdit(s, e, new) for s, e in variable.spans) for new in names),
                variable is most_used,
            )

    def choose(self, rng: random.Random, sites: Sequence[Site], eligible: Sequence[int]) -> tuple[Edit, ...]:
        # ReCode renames only the most used variable.
        first = eligible[0]
        return (Edit(first, rng.randrange(len(sites[first].options)) if self.randomized else 0),)
