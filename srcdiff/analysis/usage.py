"""Which parameters are arrays, read from how a function uses them.

Code printed without example arguments (the ``srcdiff`` command, ``source(f)``) must assume
what each parameter holds. A parameter the function indexes (``x[i]``), reduces
(``np.sum(x)``, ``x.sum()``), multiplies with ``@``, asks for ``.shape``, ``.T``, ``.ndim``
or ``len``, iterates over (its rows), or passes where an array is needed (``np.dot``,
``np.linalg.inv``, a parameter of another function of the file that is one) is an array.
Its rank is known where a use tells it: ``x[i, j]`` (2-d), ``n, m = x.shape``,
``np.linalg.inv(x)``; elsewhere it is left open, and srcdiff's code for an array of unknown
rank is exact for any rank.

A use can also make an *expression* an array: ``np.sum((ys - (m * xs + c)) ** 2)`` says
that one of ``ys``, ``m``, ``xs`` and ``c`` is an array, not which. Where none of the
parameters an expression is computed from is known to be an array, each of them is taken to
be an array of unknown rank, a kind that also covers a float (a scalar is an array of rank
0): the code is right whichever of them the caller passes as arrays. Where one of them is
an array by its annotation or ``--arg``, the user has said which are arrays, and the others
stay floats. Parameters given to ``math`` functions or ``float()`` are floats and stay so.
"""

from __future__ import annotations

import inspect

import gast

from ..errors import SrcdiffError
from ..frontend import parse
from ..frontend.scope import Live, RuntimeScope, UserFunction
from ..ir import avals

ARRAY_ATTRIBUTES = frozenset({
    "shape", "T", "ndim", "size", "flat", "sum", "mean", "max", "min", "prod", "std", "var",
    "dot", "reshape", "ravel", "flatten", "transpose", "cumsum", "cumprod", "argmax",
    "argmin", "ptp", "any", "all", "squeeze", "swapaxes", "trace", "diagonal", "take",
    "repeat", "sort", "argsort", "clip", "round", "astype", "copy", "item", "tolist"})
ARRAY_FUNCTIONS = frozenset({
    "sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var", "median", "average",
    "nansum", "nanmean", "ptp", "cumsum", "cumprod", "argmax", "argmin", "sort", "argsort",
    "diff", "dot", "vdot", "inner", "outer", "matmul", "tensordot", "kron", "trace", "diag",
    "diagonal", "transpose", "reshape", "ravel", "flip", "roll", "squeeze", "expand_dims",
    "swapaxes", "moveaxis", "tile", "repeat", "take", "cross", "convolve", "correlate",
    "count_nonzero", "shape", "ndim", "size"})


def array_parameters(node, scope, known=None):
    """``{name: abstract value}`` for the parameters of ``node`` (a gast FunctionDef) that
    its uses show to be arrays. ``known`` holds the kinds already given (annotations,
    ``--arg``): those are not inferred, and explain the uses they reach."""
    return _infer(node, scope, dict(known or {}), set())


def _infer(node, scope, known, visiting):
    if id(node) in visiting:
        return {}
    visiting = visiting | {id(node)}
    params = [a.id for a in list(node.args.posonlyargs) + list(node.args.args)
              + list(node.args.kwonlyargs)]
    uses = _Uses(params, scope, visiting)
    uses.read(node)
    arrays = dict(uses.direct)
    floats = uses.scalar | set(known)
    given = {p for p, a in known.items() if a.kind == avals.ARRAY or a.container}
    for sources in uses.indirect:
        if any((s[0] if isinstance(s, tuple) else s) in given for s in sources):
            continue
        for source in sources - floats:
            arrays.setdefault(source, None)
    found = {}
    for p in params:
        if p in known:
            continue
        if p in uses.containers:
            pytype, keys = uses.containers[p]
            items = tuple((key, _kind(arrays, (p, key))) for key in keys)
            found[p] = avals.AVal(avals.OTHER, pytype=pytype, items=items if pytype is dict
                                  else tuple(kind for _, kind in items))
        elif p in arrays:
            found[p] = _kind(arrays, p)
    return found


def _kind(arrays, source):
    return avals.array(arrays[source], float) if source in arrays else avals.PY_FLOAT


class _Uses:
    """The uses of a function's parameters: ``direct`` (parameter -> rank or None, for
    those used as arrays themselves), ``indirect`` (the parameters each array expression
    is computed from), ``scalar`` (those given to ``math`` functions) and ``containers``
    (parameter -> (dict, its keys) where it is read as ``p["w"]``, (tuple, its indices)
    where it is unpacked). An item of a container is a source of its own, ``(p, key)``."""

    def __init__(self, params, scope, visiting):
        self.params = set(params)
        self.scope = scope
        self.visiting = visiting
        self.direct = {}
        self.indirect = []
        self.scalar = set()
        self.containers = {}
        self.sources = {p: {p} for p in params}

    def read(self, node):
        self._flow(node)
        for sub in gast.walk(node):
            for value, rank in self._array_operands(sub):
                self._array(value, rank)
            if isinstance(sub, gast.Call) and self._is_scalar_function(sub.func):
                self.scalar |= {a.id for a in sub.args if isinstance(a, gast.Name)
                                and a.id in self.params}

    def _flow(self, node):
        """Which parameters each local name is computed from, to a fixed point."""
        assignments = []
        for sub in gast.walk(node):
            if isinstance(sub, gast.Assign):
                assignments += [(t, sub.value) for t in sub.targets]
            elif isinstance(sub, (gast.AugAssign, gast.AnnAssign)) and sub.value is not None:
                assignments.append((sub.target, sub.value))
            elif isinstance(sub, (gast.For, gast.comprehension)):
                assignments.append((sub.target, sub.iter))
        changed = True
        while changed:
            changed = False
            for target, value in assignments:
                found = self._unpacked(target, value) or self._from(value)
                for name in _stored(target):
                    known = self.sources.setdefault(name, set())
                    if not found <= known:
                        known |= found
                        changed = True

    def _unpacked(self, target, value):
        """``a, b = p`` of a parameter: ``a`` is the item ``(p, 0)``, ``b`` ``(p, 1)``."""
        if not (isinstance(target, (gast.Tuple, gast.List)) and self._parameter(value)) or (
                not all(isinstance(e, gast.Name) for e in target.elts)):
            return None
        self.containers[value.id] = (tuple, tuple(range(len(target.elts))))
        for k, element in enumerate(target.elts):
            self.sources.setdefault(element.id, set()).add((value.id, k))
        return set()

    def _parameter(self, node):
        """Whether ``node`` reads a parameter as the caller passed it."""
        return isinstance(node, gast.Name) and node.id in self.params and (
            self.sources.get(node.id) == {node.id})

    def _from(self, expr):
        """The parameters ``expr``'s value is computed from (not its indices or sizes)."""
        found = set()
        stack = [expr]
        while stack:
            sub = stack.pop()
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load):
                found |= self.sources.get(sub.id, set())
            elif isinstance(sub, gast.Subscript) and self._parameter(sub.value) and (
                    isinstance(sub.slice, gast.Constant) and isinstance(sub.slice.value, str)):
                _, keys = self.containers.setdefault(sub.value.id, (dict, ()))
                if sub.slice.value not in keys:
                    self.containers[sub.value.id] = (dict, keys + (sub.slice.value,))
                found.add((sub.value.id, sub.slice.value))
            elif isinstance(sub, gast.Subscript):
                stack.append(sub.value)
            elif isinstance(sub, gast.Attribute) and sub.attr in ("shape", "ndim", "size"):
                continue
            elif isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name) and (
                    sub.func.id in ("len", "range", "int", "round")):
                continue
            else:
                stack.extend(reversed(list(gast.iter_child_nodes(sub))))
        return found

    def _array(self, value, rank):
        if self._parameter(value):
            before = self.direct.get(value.id)
            self.direct[value.id] = rank if before is None else max(before, rank or 0)
            return
        sources = self._from(value)
        if sources:
            self.indirect.append(sources)

    def _array_operands(self, sub):
        """The expressions ``sub`` needs to be arrays, each with its rank where known."""
        if isinstance(sub, gast.Subscript) and not (
                isinstance(sub.slice, gast.Constant) and isinstance(sub.slice.value, str)):
            yield sub.value, _rank_of_index(sub.slice)
        elif isinstance(sub, gast.Attribute) and sub.attr in ARRAY_ATTRIBUTES:
            yield sub.value, None
        elif isinstance(sub, gast.BinOp) and isinstance(sub.op, gast.MatMult):
            yield sub.left, None
            yield sub.right, None
        elif isinstance(sub, gast.Assign) and isinstance(sub.value, gast.Attribute) and (
                sub.value.attr == "shape") and len(sub.targets) == 1 and isinstance(
                sub.targets[0], gast.Tuple):
            yield sub.value.value, len(sub.targets[0].elts)
        elif isinstance(sub, (gast.For, gast.comprehension)):
            yield from _iterated(sub.iter)
        elif isinstance(sub, gast.Call):
            yield from self._call_operands(sub)

    def _call_operands(self, call):
        func = call.func
        if isinstance(func, gast.Name) and func.id == "len" and call.args:
            yield call.args[0], None
            return
        target = _resolved(func, self.scope)
        module = getattr(target, "__module__", None) or ""
        name = getattr(target, "__name__", "")
        if module.startswith("numpy.linalg") or (
                module.startswith("numpy") and ".linalg" in module):
            if call.args:
                yield call.args[0], 2
        elif module.startswith("numpy") and name in ARRAY_FUNCTIONS and call.args:
            yield call.args[0], None
        elif module.startswith("numpy") and name == "einsum":
            yield from ((a, None) for a in call.args[1:])
        callee = self._callee(func)
        if callee is not None:
            kinds = _infer(callee[0], callee[1], {}, self.visiting)
            names = [a.id for a in list(callee[0].args.posonlyargs) + list(callee[0].args.args)]
            for param, arg in zip(names, call.args):
                if param in kinds:
                    yield arg, kinds[param].ndim

    def _callee(self, func):
        """The FunctionDef and scope of a call of another of the user's functions."""
        if not isinstance(func, gast.Name):
            return None
        found = self.scope.lookup(func.id)
        if isinstance(found, UserFunction) and found.node is not None:
            return found.node, self.scope
        if isinstance(found, Live) and inspect.isfunction(found.value):
            try:
                _, node = parse.function_source(found.value)
            except SrcdiffError:
                return None
            if isinstance(node, gast.FunctionDef):
                return node, RuntimeScope(found.value)
        return None

    def _is_scalar_function(self, func):
        target = _resolved(func, self.scope)
        return target is float or getattr(target, "__module__", None) == "math"


def _resolved(node, scope):
    """The live object a name or a dotted name refers to, where the scope knows it."""
    if isinstance(node, gast.Name):
        found = scope.lookup(node.id)
        return found.value if isinstance(found, Live) else None
    if isinstance(node, gast.Attribute):
        base = _resolved(node.value, scope)
        return None if base is None else getattr(base, node.attr, None)
    return None


def _iterated(iterable):
    """What a loop iterates over, through ``enumerate``, ``zip`` and ``reversed``."""
    if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name):
        if iterable.func.id in ("enumerate", "reversed") and iterable.args:
            yield from _iterated(iterable.args[0])
        elif iterable.func.id == "zip":
            for arg in iterable.args:
                yield from _iterated(arg)
        return
    if isinstance(iterable, (gast.Name, gast.Attribute, gast.Subscript, gast.BinOp)):
        yield iterable, None


def _rank_of_index(index):
    """The rank an index shows: ``x[i, j]`` is 2-d; ``x[i]`` may be a row of a matrix, and
    an index with ``...`` or ``None`` tells nothing."""
    if not isinstance(index, gast.Tuple):
        return None
    if any(isinstance(e, gast.Constant) and e.value in (None, Ellipsis) for e in index.elts):
        return None
    return len(index.elts) if len(index.elts) >= 2 else None


def _stored(target):
    return [n.id for n in gast.walk(target)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
