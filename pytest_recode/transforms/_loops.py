"""for -> while, in ReCode's shapes where they keep the meaning and by the iterator protocol elsewhere.

ReCode turns ``for i in range(a, b)`` into a counter loop (``i = a`` / ``while i < b:`` / ... /
``i += 1``) and ``for x in xs`` into an index loop (``_x_i = 0`` / ``while _x_i < len(xs):`` /
``x = xs[_x_i]`` / ... / ``_x_i += 1``), whatever ``xs`` is and whatever the body does: a set, a dict or
a generator has no index, a ``continue`` skips the increment and loops for ever, a body that assigns
``i`` or rebinds ``xs`` changes the count. Ours uses those shapes only where they are exact:

- the index loop where the iterable is a sequence (a list, tuple or string literal; a parameter of the
  entry point that every test call passes a list, tuple or string, that the function never rebinds and
  that the program never calls the entry point with; a local bound only to lists, tuples or strings; an
  expression of those the body cannot change) that the body does not rebind; the increment closes the
  body as in ReCode, or comes right after the element is fetched where a ``continue`` would skip it.
  Appending to the list in the body behaves as under ``for`` (a list iterator indexes and checks the
  length too). As in ReCode, where the body runs on past the cut its increment lies in the hidden rest:
  the model's completion must count, as it must use a renamed variable;
- the counter loop over ``range`` with a literal step and a bound the body cannot change; ``i`` itself
  counts where nothing can tell the difference (the body never assigns it or ``continue``s, no closure in
  the body captures it, and it is not used outside the loop), a fresh counter copied into ``i`` otherwise;
- elsewhere the iterator itself: ``_x_iter = iter(xs)`` / ``while True:`` / ``try: x = next(_x_iter)`` /
  ``except StopIteration: break``, exact for every iterable.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst

from ._base import Site
from ._code import CodeSite, CodeTransform, NoSites, Program, TextEdit, fresh_name
from ._names import bindings, contains, is_literal, mutated, names_in, pure
from ._statements import Statement, node_depths, suites, walk_statements

__all__ = ["ForWhileTransformer"]

_ITERATOR_BUILTINS = ("iter", "next", "StopIteration")
_SEQUENCE_CALLS = ("list", "sorted", "tuple", "str")
#: Methods of a string that return a string, and that return a list.
_STR_TO_STR = frozenset("lower upper strip lstrip rstrip title capitalize swapcase casefold replace".split())
_STR_TO_LIST = frozenset("split rsplit splitlines".split())


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
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return None


def _continues(block: cst.BaseSuite) -> bool:
    """Whether a ``continue`` in ``block`` belongs to the loop whose body it is."""
    if isinstance(block, cst.SimpleStatementSuite):
        return any(isinstance(small, cst.Continue) for small in block.body)
    for statement in block.body:
        if isinstance(statement, cst.SimpleStatementLine):
            if any(isinstance(small, cst.Continue) for small in statement.body):
                return True
        elif isinstance(statement, (cst.For, cst.While)):
            if statement.orelse is not None and _continues(statement.orelse.body):
                return True  # an inner loop's `else` belongs to this loop's iteration
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        elif isinstance(statement, cst.BaseCompoundStatement):
            if any(_continues(suite) for suite, _ in suites(statement)):
                return True
    return False


def _int_literal(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(
        node.expression, cst.Integer
    ):
        return -int(node.expression.evaluated_value)
    return None


def _sequence_value(node: cst.BaseExpression | None, known: set[str], strings: frozenset[str],
                    program: Program) -> bool:
    """Whether an expression bound to a name is certainly a list, tuple or string."""
    if node is None:
        return False
    if isinstance(node, (cst.List, cst.ListComp, cst.Tuple, cst.SimpleString, cst.ConcatenatedString,
                         cst.FormattedString)):
        return True
    return _sequence_typed(node, known, strings, program)


def sequence_parameters(function: cst.FunctionDef, test: str, entry_point: str) -> dict[str, type]:
    """Parameters of the entry point that every call in the tests passes a list, a tuple or a string, with
    that type (``object`` where the calls pass more than one of them)."""
    params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    try:
        tree = ast.parse(test)
    except (SyntaxError, ValueError):
        return {}
    seen: dict[str, set[type]] = {}
    unknown: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("candidate", entry_point)):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return {}
        given = list(zip(params, node.args)) + [(k.arg, k.value) for k in node.keywords if k.arg in params]
        for name, value in given:
            try:
                seen.setdefault(name, set()).add(type(ast.literal_eval(value)))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                unknown.add(name)
    return {
        name: next(iter(types)) if len(types) == 1 else object
        for name, types in seen.items()
        if name not in unknown and types <= {list, tuple, str}
    }


def _string_typed(node: cst.BaseExpression, strings: frozenset[str]) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in strings
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in _STR_TO_STR and _string_typed(node.func.value, strings)
    return False


def _sequence_typed(node: cst.BaseExpression, known: set[str], strings: frozenset[str], program: Program) -> bool:
    """Whether ``node`` certainly evaluates to a list, a tuple or a string."""
    if isinstance(node, cst.Name):
        return node.value in known
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
        return node.func.value in _SEQUENCE_CALLS and not program.may_rebind(node.func.value)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        method = node.func.attr.value
        return (method in _STR_TO_STR or method in _STR_TO_LIST) and _string_typed(node.func.value, strings)
    if isinstance(node, cst.Subscript):  # a slice of a sequence is a sequence of the same kind
        return (len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice)
                and _sequence_typed(node.value, known, strings, program))
    return _string_typed(node, strings)


def _private_to_loop(function: cst.FunctionDef, loop: cst.For, name: str) -> bool:
    """Whether ``name`` is read nowhere in ``function`` but in ``loop`` and in the targets and bodies of
    other loops that bind it (they bind it before their bodies read it): where the counter stops, or
    whether it was set at all, then cannot matter."""
    outside = _uses(function, name) - _uses(loop, name)
    if not outside:
        return True
    inside_loop = _node_ids(loop)
    others = [s.node for s in walk_statements(cst.Module(body=[function]))
              if isinstance(s.node, cst.For) and s.node is not loop and id(s.node) not in inside_loop
              and isinstance(s.node.target, cst.Name) and s.node.target.value == name]
    nested: set[int] = set()
    for other in others:
        if id(loop) in _node_ids(other):
            return False  # an enclosing loop over the same name may read it after this one
        nested |= _node_ids(other) - {id(other)}
    for other in others:
        if id(other) not in nested:
            outside -= _uses(other.target, name) + _uses(other.body, name)
    return outside == 0


def _uses(node: cst.CSTNode, name: str) -> int:
    """How often ``name`` occurs in ``node`` outside comprehensions, lambdas and functions that have a
    ``name`` of their own."""
    count = 0

    class Counter(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            nonlocal count
            if isinstance(inner, cst.Name) and inner.value == name:
                count += 1
            if isinstance(inner, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
                comp: cst.CompFor | None = inner.for_in
                while comp is not None:
                    if name in (_target_names(comp.target) or ()):
                        count += _uses(inner.for_in.iter, name)  # evaluated in the enclosing scope
                        return False
                    comp = comp.inner_for_in
            if isinstance(inner, (cst.Lambda, cst.FunctionDef)) and inner is not node:
                return name not in {p.name.value for p in (*inner.params.params, *inner.params.kwonly_params,
                                                          *inner.params.posonly_params)}
            return True

    node.visit(Counter())
    return count


def _node_ids(node: cst.CSTNode) -> set[int]:
    found: set[int] = set()

    class Collector(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            found.add(id(inner))
            return True

    node.visit(Collector())
    return found


class ForWhileTransformer(CodeTransform):
    """Rewrites a ``for`` loop as a ``while`` loop: ReCode's index or counter loop where it is exact, a loop
    over the iterator otherwise (see the module's documentation).

    Each loop is a site whose options are its shapes, ReCode's first where it applies. Loops with an
    ``else`` clause, ``async for``, one-line bodies and targets other than names are left. Sites come
    outermost first; the seeded variant rewrites one loop, as ReCode does: the first of the whole program
    (which leaves the prompt as it was when that loop lies in the hidden rest). ReCode skips loops with a
    tuple target, and loops whose text mentions ``range`` without being loops over ``range(...)``; ours
    rewrites those too.
    """

    name = "ForWhileTransformer"
    category = "syntax"
    summary = "rewrite a for loop as an equivalent while loop"
    no_site_reason = "no for loop to rewrite"
    one_edit = True

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        rebound = next((b for b in _ITERATOR_BUILTINS if program.may_rebind(b)), None)
        taken = set(program.names)
        depths = node_depths(program.module, (cst.For,))
        entry = program.entry_function
        # What the tests pass says what a parameter is, unless the program calls the entry point too.
        called = entry is not None and names_in(program.module).get(program.entry_point, 0) > 1
        sequences = sequence_parameters(entry, program.test, program.entry_point) if entry and not called else {}
        found: list[tuple[int, int, CodeSite]] = []
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
            loop = _Loop(program, statement, node, taken, names[0])
            shapes = loop.recode_shape(sequences if statement.function is entry else {})
            if rebound is None:
                shapes.append(loop.iterator_shape())
            if not shapes:
                continue
            line = program.source.count("\n", 0, loop.start) + 1
            site = CodeSite(
                Site(f"for loop on line {line}", program.source[loop.start : loop.colon + 1],
                     tuple(header for header, _ in shapes)),
                tuple(edits for _, edits in shapes),
            )
            found.append((depths[id(node)], loop.start, site))
        if not found and rebound is not None:
            raise NoSites(f"the program rebinds {rebound!r}")
        # ReCode rewrites the first loop of a breadth-first walk over the whole program (the outermost,
        # then the earliest), even where it lies in the hidden rest and the prompt stays as it was.
        found.sort(key=lambda item: (item[0], item[1]))
        for index, (_, _, site) in enumerate(found):
            yield CodeSite(site.site, site.options, index == 0)


class _Loop:
    """One ``for`` statement and the text its rewrites are made of."""

    def __init__(self, program: Program, statement: Statement, node: cst.For, taken: set[str], first: str) -> None:
        self.program, self.statement, self.node, self.taken, self.first = program, statement, node, taken, first
        source = program.source
        self.start, self.end = program.span(node)
        iter_start, iter_end = program.outer_span(node.iter)
        target_start, target_end = program.outer_span(node.target)
        self.target = source[target_start:target_end]
        self.iterable = source[iter_start:iter_end]
        if isinstance(node.iter, cst.Tuple) and not node.iter.lpar:
            self.iterable = f"({self.iterable})"
        self.colon = source.index(":", iter_end)
        self.indent = source[program.line_start(self.start) : self.start]
        body = node.body
        assert isinstance(body, cst.IndentedBlock)
        unit = body.indent if body.indent is not None else program.module.default_indent
        self.inner = self.indent + unit
        self.body_start = program.line_end(self.colon)

    def _fresh(self, base: str) -> str:
        name = fresh_name(base, self.taken)
        self.taken.add(name)
        return name

    def _shape(self, header: str, fetch: str, tail: str = "") -> tuple[str, tuple[TextEdit, ...]]:
        edits = [TextEdit(self.start, self.colon + 1, header), TextEdit(self.body_start, self.body_start, fetch)]
        if tail:
            after = self.program.line_end(self.end)
            if not self.program.source[:after].endswith("\n"):  # the loop ends the program, with no newline
                tail = "\n" + tail
            edits.append(TextEdit(after, after, tail))
        return header, tuple(edits)

    def iterator_shape(self) -> tuple[str, tuple[TextEdit, ...]]:
        it = self._fresh(f"_{self.first}_iter")
        inner, unit = self.inner, self.inner[len(self.indent) :]
        return self._shape(
            f"{it} = iter({self.iterable})\n{self.indent}while True:",
            f"{inner}try:\n{inner}{unit}{self.target} = next({it})\n{inner}except StopIteration:\n{inner}{unit}break\n",
        )

    def recode_shape(self, sequences: dict[str, type]) -> list[tuple[str, tuple[TextEdit, ...]]]:
        """ReCode's shape of this loop, where it keeps the meaning: ``[]`` or one shape."""
        iterable = self.node.iter
        program = self.program
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "range":
            return self._counter_shape(iterable) if not program.may_rebind("range") else []
        if program.may_rebind("len") or not self._is_sequence(iterable, sequences):
            return []
        index = self._fresh(f"_{self.first}_i")
        inner = self.inner
        fetch = f"{inner}{self.target} = {self.iterable}[{index}]\n"
        header = f"{index} = 0\n{self.indent}while {index} < len({self.iterable}):"
        if _continues(self.node.body):
            # ReCode counts at the end of the body, where a `continue` would skip it: count first.
            return [self._shape(header, f"{fetch}{inner}{index} += 1\n")]
        return [self._shape(header, fetch, f"{inner}{index} += 1\n")]

    def _is_sequence(self, iterable: cst.BaseExpression, sequences: dict[str, type]) -> bool:
        """Whether ``iterable`` is certainly a list, tuple or string that indexing sees as ``for`` does."""
        function = self.statement.function
        assert function is not None
        bound = bindings(function, nested=False)
        params = {p.name.value for p in (*function.params.params, *function.params.kwonly_params,
                                         *function.params.posonly_params)}
        if set(names_in(iterable)) & set(_target_names(self.node.target) or ()):
            return False  # `for line in line.split()`: the loop itself rebinds what it iterates
        # A parameter the tests pass a sequence and that nothing rebinds (its own binding is its only one).
        known = {name for name in sequences if len(bound.get(name, ())) == 1}
        strings = frozenset(name for name in known if sequences.get(name) is str)
        known |= {name for name, values in bound.items() if name not in params
                  and all(_sequence_value(value, known, strings, self.program) for value in values)}
        if isinstance(iterable, cst.Name):
            name = iterable.value
            if name in bindings(function).keys() - bound.keys():
                return False  # a nested function binds the name too (nonlocal, or a name of its own)
            # Changing the list in the body is fine (a list iterator indexes too); rebinding the name is not.
            return name in known and name not in bindings(self.node.body)
        if isinstance(iterable, (cst.List, cst.Tuple, cst.SimpleString, cst.ConcatenatedString)):
            return is_literal(iterable)
        # Anything else is evaluated again at every turn: it must give the same sequence each time.
        return (
            _sequence_typed(iterable, known, strings, self.program)
            and pure(iterable, self.program)
            and not set(names_in(iterable)) & mutated(self.node.body, self.program)
        )

    def _counter_shape(self, call: cst.Call) -> list[tuple[str, tuple[TextEdit, ...]]]:
        args = call.args
        if not 1 <= len(args) <= 3 or any(a.keyword is not None or a.star for a in args):
            return []
        if not isinstance(self.node.target, cst.Name):
            return []
        step = _int_literal(args[2].value) if len(args) == 3 else 1
        if not step:
            return []
        source = self.program.source

        def text(arg: cst.Arg) -> str:
            start, end = self.program.outer_span(arg.value)
            return source[start:end]

        start_text = text(args[0]) if len(args) >= 2 else "0"
        stop = args[1].value if len(args) >= 2 else args[0].value
        stop_text = text(args[1]) if len(args) >= 2 else text(args[0])
        body = self.node.body
        changed = mutated(body, self.program)
        compare = "<" if step > 0 else ">"
        increment = f"+= {step}" if step > 0 else f"-= {-step}"
        name = self.node.target.value
        function = self.statement.function
        assert function is not None
        inner, indent = self.inner, self.indent
        hoist = ""
        if not pure(stop, self.program) or set(names_in(stop)) & (changed | {name}):
            # `range` reads its bound once; the loop must too.
            bound_name = self._fresh(f"_{name}_stop")
            hoist, stop_text = f"{indent}{bound_name} = {stop_text}\n", bound_name
        if (
            name not in bindings(body)
            and not _continues(body)
            and not contains(body, (cst.Lambda, cst.FunctionDef, cst.ClassDef))
            and _private_to_loop(function, self.node, name)
        ):
            # ReCode's own shape: the loop variable counts, and nothing can tell it from `range`'s.
            return [self._shape(f"{name} = {start_text}\n{hoist}{indent}while {name} {compare} {stop_text}:", "",
                                f"{inner}{name} {increment}\n")]
        counter = self._fresh(f"_{name}_i")
        return [self._shape(
            f"{counter} = {start_text}\n{hoist}{indent}while {counter} {compare} {stop_text}:",
            f"{inner}{name} = {counter}\n{inner}{counter} {increment}\n",
        )]
