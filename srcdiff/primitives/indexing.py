"""Indexing, ``y = x[index]`` and ``y[index] = v``: the primitives and their results' kinds.

The index is kept as written (``x[i, 1:]``, ``x[:, None]``, ``x[mask]``): a gast expression
whose variable parts are operands of the statement. The adjoint of a read adds ``g`` into the
indexed part of ``x_bar`` in place (``x_bar[i, 1:] += g``), on an array the reverse sweep made
itself, or with ``np.add.at`` where an integer array index may repeat positions.

A write ``y[index] = v`` (or ``y[index] += v``, ``-=``, and ``np.add.at(y, index, v)``,
which adds as often as a position is named) is a *store*: a new value of ``y`` that is the
same array, changed in place. Its adjoint hands ``v`` the indexed part of ``y_bar`` and, for
``=``, zeroes that part, since the old values there no longer matter. ``np.add.at`` is what
the adjoint of a read with repeated positions says, so a derivative that says it can be
differentiated again.
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from ..errors import user_facing
from ..ir import avals, code, trees
from ..ir.avals import ARRAY, NP, OTHER, PY, UNKNOWN, AVal
from .containers import element
from .protocol import UNBROADCAST, Rule, reduction
from .registry import REGISTRY

INDEX = "index"
STORE = "store"
STORE_OPS = {None: "=", "add": "+=", "sub": "-=", "at": "np.add.at"}
ADD_AT = "at"
PLACEHOLDER = "\x00index"
_ACTIVE = object()


class IndexRule(Rule):
    """``y = x[index]``: the result is the indexed part of ``x`` (a view, for basic
    indexing of an array; the element itself, for a container). Its adjoint adds ``g`` into
    that part of ``x``'s adjoint (:meth:`adjoint` hands it to the reverse sweep)."""

    reads_part = True
    adjoint_text = ("`x_bar[index] += y_bar`, into an array the reverse sweep owns; "
                    "`np.add.at` where an integer array index may repeat a position; "
                    "`one_hot(x, index, y_bar)` for an element of a tuple, list or dict")

    @property
    def identity(self):
        return ("index", len(self.params))

    def abstract_eval(self, call, args, site):
        parts = [args[p] for p in self.params[1:]]
        return result_aval(args["x"], parts, call.index, site.located, site.node)

    def result_memory(self, call, sharing):
        x = sharing.aval(call.args[0])
        parts = [sharing.aval(a) for a in call.args[1:]]
        if x.kind == OTHER and x.container and not any(e.kind == OTHER for e in x.elements):
            # An element of a flat list, tuple or dict is one of the arrays it holds, not
            # the container itself: appending to the list does not change it.
            return frozenset(r for r in sharing.of(call.args[0])
                             if not sharing.holds_container(r))
        if x.kind != ARRAY or may_view(parts, call.index):
            return sharing.own | sharing.of(call.args[0])
        return sharing.own

    def vjp_reads(self, call, args, result, active, site):
        reads = set(self.params[1:])
        if args["x"].known_shape is None:
            reads.add("x")
        return reads

    def adjoint(self, sweep, stmt, g, state, lines):
        return sweep.index_adjoint(stmt, g, state, lines)

    def tangent_statement(self, sweep, stmt):
        return sweep.tangent_index(stmt)

    def expression(self, call, operand):
        parts = [operand(a) for a in call.args[1:]]
        return gast.Subscript(value=operand(call.args[0]), slice=fill(call.index, parts),
                              ctx=gast.Load())


class StoreRule(Rule):
    """``y[index] = v`` (or ``+=``, ``-=``): the same array as ``y``, changed in place in the
    indexed part. The reverse sweep walks back over it with its own method."""

    writes = "x"
    writes_part = True

    @property
    def op(self):
        """How generated code writes: None for ``=``, "+" and "-" for ``+=`` and ``-=``,
        ``ADD_AT`` for ``np.add.at``."""
        return {"=": None, "+=": "+", "-=": "-"}.get(self.symbol, ADD_AT)

    @property
    def adjoint_text(self):
        part = "-y_bar[index]" if self.symbol == "-=" else "y_bar[index]"
        text = f"`v_bar = {part}` (summed back to `v`'s shape)"
        if self.symbol == "=":
            return text + ", then `y_bar[index] = 0.0`: the old values there are gone"
        if self.op == ADD_AT:
            text += ", every position read as often as the index names it"
        return text + "; `y_bar` passes on unchanged"

    def abstract_eval(self, call, args, site):
        parts = [args[p] for p in self.params[2:]]
        return store_aval(args["x"], args["v"], parts, call.index, site.located, site.node,
                          self.symbol)

    def result_memory(self, call, sharing):
        return sharing.of(call.args[0])

    def vjp_reads(self, call, args, result, active, site):
        """The index parts; ``v`` where the written part of ``y_bar`` is summed back to
        ``v``'s shape with ``unbroadcast(part, v)``; the array where its shape is only known
        when the code runs."""
        reads = set(self.params[2:])
        parts = [args[p] for p in self.params[2:]]
        region = result_aval(args["x"], parts, call.index, site.located, site.node)
        if reduction(stored_aval(args["v"], region), region) == UNBROADCAST:
            reads.add("v")
        if result.known_shape is None:
            reads.add("ans")
        return reads

    def reverse_statement(self, sweep, stmt, state):
        return sweep.reverse_store(stmt, state)

    def tangent_statement(self, sweep, stmt):
        return sweep.tangent_store(stmt)


def rule(count):
    """The getitem rule for an index with ``count`` variable parts."""
    params = ("x",) + tuple(f"i{k}" for k in range(count))
    return IndexRule(fn=operator.getitem, name="x[index]", params=params, defaults={},
                     templates=(_ACTIVE,) + (None,) * count, kind=INDEX)


def store_rule(count, op=None):
    """``y[index] = v`` (``op`` None), ``+= v`` ("add"), ``-= v`` ("sub") or
    ``np.add.at(y, index, v)`` ("at"), with ``count`` variable index parts. Operands: the
    array, the value, then the index parts."""
    params = ("x", "v") + tuple(f"i{k}" for k in range(count))
    name = "np.add.at(x, index, v)" if op == ADD_AT else f"x[index] {STORE_OPS[op]} v"
    return StoreRule(fn=_STORES[op], name=name, params=params,
                     defaults={}, templates=(_ACTIVE, _ACTIVE) + (None,) * count, kind=STORE,
                     symbol=STORE_OPS[op])


def _store(x, v, *parts):
    raise TypeError("a store is emitted as an assignment, never called")


_STORES = {op: _store for op in STORE_OPS}

REGISTRY.add_structural("y = x[index]", rule(1))
REGISTRY.add_structural("y[index] = v", store_rule(1))
REGISTRY.add_structural("y[index] += v", store_rule(1, "add"))
REGISTRY.add_structural("y[index] -= v", store_rule(1, "sub"))
REGISTRY.add_structural("np.add.at(y, index, v)", store_rule(1, ADD_AT))


def placeholder(k):
    return gast.Name(id=f"{PLACEHOLDER}{k}", ctx=gast.Load(), annotation=None,
                     type_comment=None)


def slot(node):
    """Which operand a placeholder name stands for, or None."""
    if isinstance(node, gast.Name) and node.id.startswith(PLACEHOLDER):
        return int(node.id[len(PLACEHOLDER):])
    return None


def fill(index, parts):
    """The index expression with each placeholder replaced by ``parts[k]`` (gast nodes)."""
    index = code.clone(index)

    def visit(node):
        return parts[slot(node)] if slot(node) is not None else trees.rewrite_children(
            node, visit)
    return visit(index)


def result_aval(x, parts, index, located, node):
    """The kind and shape of ``x[index]``.

    NumPy decides it on a probe array of ``x``'s shape. A dimension the specialization does
    not know (an unknown size of ``x``, a slice bound or step whose value is only known when
    the code runs) is found by probing twice, with those sizes and bounds perturbed: result
    dimensions that move with them are unknown (None), never a guess."""
    if x.kind == OTHER and x.container:
        key = index.value if isinstance(index, gast.Constant) else None
        return element(x, key, located, node, parts[0] if len(parts) == 1 else None)
    if x.kind not in (ARRAY, NP):
        raise located.error(node, f"indexing {x.describe()} is not supported yet",
                            "index NumPy arrays; lists and tuples come later")
    samples = [_sample(p) for p in parts]
    if x.shape is None or any(s is None for s in samples):
        return _rank_only(x, index, parts)
    entries = index.elts if isinstance(index, gast.Tuple) else [index]
    variable = _variable_slices(entries, parts)
    if x.known_shape is not None and not variable and all(
            isinstance(d, int) for d in x.known_shape):
        probe = np.empty(x.known_shape, dtype=x.dtype)
        try:
            value = _evaluate(probe, index, samples)
        except (IndexError, TypeError, ValueError) as exc:
            if any(_unknown_int(p) for p in parts):
                return _rank_only(x, index, parts)
            reason = user_facing(exc)
            raise located.error(node, f"cannot index {x.describe()} this way"
                                + (f": {reason}" if reason else ""),
                                "check the index against the array's shape") from None
        result = avals.of_value(value)
        return result if result.kind != PY else AVal(NP, x.dtype)
    axes = _axes_of(entries, parts, len(x.shape))
    if axes is None:
        return _rank_only(x, index, parts)
    moving = {axes[k] for k in variable} | {a for a, d in enumerate(x.shape)
                                            if not isinstance(d, int)}
    opened = _opened(index, variable)
    limit = _probe_limit(index, samples)
    if limit > _MOST_PROBED:
        return _rank_only(x, index, parts)
    shapes = []
    for size in range(limit + 1):
        dims = tuple(size if a in moving else d for a, d in enumerate(x.shape))
        probe = np.broadcast_to(np.empty((), dtype=x.dtype), dims)
        try:
            shapes.append(np.shape(_evaluate(probe, opened, samples)))
        except (IndexError, TypeError, ValueError):
            continue  # the function itself raises for sizes this small
    if len(shapes) < 2:
        return _rank_only(x, index, parts)
    if len({len(shape) for shape in shapes}) > 1:
        return AVal(ARRAY, x.dtype, None)
    if not shapes[0]:
        return AVal(NP, x.dtype)
    return AVal(ARRAY, x.dtype, tuple(dims[0] if len(set(dims)) == 1 else None
                                      for dims in zip(*shapes)))


_MOST_PROBED = 200


def _probe_limit(index, samples):
    """Sizes up to this one are probed for a dimension known only when the code runs: past
    the largest constant bound or step the length of a slice either stays put or grows
    (``x[:3]`` is 3 only from size 3 on; ``x[1::2]`` grows every other size)."""
    constants = [abs(n.value) for n in trees.walk(index)
                 if isinstance(n, gast.Constant) and type(n.value) is int]
    constants += [abs(int(v)) for v in samples if isinstance(v, (int, np.integer))]
    return 2 * max(constants, default=0) + 8


def _rank_only(x, index, parts):
    """What is known without probing: ``x[i]`` drops the first dimension."""
    if _plain_integer(index, parts) and x.shape is not None and len(x.shape) >= 1:
        rest = x.shape[1:]
        return AVal(ARRAY, x.dtype, rest) if rest else AVal(NP, x.dtype)
    return AVal(ARRAY, x.dtype, None)


def _unknown_int(part):
    """An integer whose value is only known when the code runs (an index that may be out of
    range here is the code's own IndexError, not srcdiff's to report)."""
    return part.kind in (PY, NP) and part.dtype is not None and (
        np.dtype(part.dtype).kind in "iu") and avals.known_int(part) is None


def _variable_slices(entries, parts):
    """Positions of index entries that are slices with a bound or step not known now."""
    found = []
    for position, entry in enumerate(entries):
        if isinstance(entry, gast.Slice) and any(
                slot(b) is not None and _unknown_int(parts[slot(b)])
                for b in (entry.lower, entry.upper, entry.step)):
            found.append(position)
    return found


def _axes_of(entries, parts, ndim):
    """The axis of ``x`` that each index entry consumes (None for ``None``), or None when
    an entry's reach is not plain (booleans, an ellipsis with other complications)."""
    consuming = []
    for entry in entries:
        k = slot(entry)
        if isinstance(entry, gast.Constant) and entry.value is None:
            consuming.append(0)
        elif isinstance(entry, gast.Constant) and entry.value is Ellipsis:
            consuming.append(None)
        elif isinstance(entry, gast.Constant) and isinstance(entry.value, bool):
            return None
        elif k is not None and parts[k].dtype is not None and (
                np.dtype(parts[k].dtype).kind == "b"):
            return None
        else:
            consuming.append(1)
    if consuming.count(None) > 1:
        return None
    rest = ndim - sum(c for c in consuming if c is not None)
    axes, axis = [], 0
    for count in consuming:
        axes.append(axis if count == 1 else None)
        axis += rest if count is None else count
    return axes


def _opened(index, variable):
    """The index with its variable slices opened to ``:`` (their size is probed, not
    computed from sample bounds)."""
    if not variable:
        return index
    full = gast.Slice(lower=None, upper=None, step=None)
    if isinstance(index, gast.Tuple):
        elts = [full if k in variable else e for k, e in enumerate(index.elts)]
        return gast.Tuple(elts=elts, ctx=gast.Load())
    return full


def _plain_integer(index, parts):
    k = slot(index)
    if k is not None:
        return parts[k].kind == PY and parts[k].dtype in (int, bool)
    return isinstance(index, gast.Constant) and isinstance(index.value, int)


def _sample(part):
    """A concrete stand-in for an index part: its value where known, 0 for another integer
    (the result's shape does not depend on which), None where the shape would."""
    if part.kind in (PY, NP) and part.dtype is not None and np.dtype(part.dtype).kind in "iu":
        known = avals.known_int(part)
        return known if known is not None else 0
    if part.kind == PY and part.dtype is bool:
        return None
    if part.kind == ARRAY and part.known_shape is not None and all(
            isinstance(d, int) for d in part.known_shape):
        if part.dtype.kind == "b":
            return None
        return np.zeros(part.known_shape, dtype=part.dtype)
    return None


def _evaluate(probe, index, samples):
    """``probe[index]`` with the index's variable parts set to samples."""
    import ast

    names = [gast.Name(id=f"_p{k}", ctx=gast.Load(), annotation=None, type_comment=None)
             for k in range(len(samples))]
    subscript = gast.Subscript(value=gast.Name(id="_x", ctx=gast.Load(), annotation=None,
                                               type_comment=None),
                               slice=fill(index, names), ctx=gast.Load())
    text = ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(subscript)))
    scope = {f"_p{k}": sample for k, sample in enumerate(samples)}
    scope["_x"] = probe
    return eval(text, {"__builtins__": {}}, scope)  # noqa: S307 (our own index expression)


def store_aval(x, v, parts, index, located, node, symbol="="):
    """``y[index] = v`` leaves ``y`` an array of the same kind; the index must select
    part of it, and ``v`` must fit that part (``+=`` and ``-=`` cannot drop dimensions)."""
    if x.kind == OTHER and (x.container or x.pytype in (list, dict, tuple)):
        raise located.error(node, f"assignment into an element of a {x.describe()} is not "
                            "supported", "build a new list or dict instead")
    if x.kind == NP:
        raise located.error(node, f"assignment into {x.describe()} (a NumPy scalar or 0-d "
                            "array) is not supported", "assign a new value to the name instead")
    if x.kind != ARRAY:
        raise located.error(node, f"assignment into an element of {x.describe()} is not "
                            "supported", "only NumPy arrays can be written into")
    _check_rows(parts, index, located, node)
    region = result_aval(x, parts, index, located, node)
    if v.kind not in (PY, NP, ARRAY, UNKNOWN):
        raise located.error(node, f"cannot store {v.describe()} into an array",
                            "store numbers or arrays")
    target, source = region.known_shape, v.known_shape
    if target is not None and source is not None and all(
            isinstance(d, int) for d in target + source):
        try:
            fitted = _squeezed(source, len(target)) if symbol == "=" else source
            np.broadcast_to(np.empty(fitted), target)
        except ValueError:
            raise located.error(node, f"cannot store {v.describe()} into a part of shape "
                                f"{target}", "the value must broadcast to the part's "
                                "shape") from None
    return x


def _check_rows(parts, index, located, node):
    """``y[i][j] = v`` was read as ``y[i, j] = v``, which is the same only for an integer
    ``i`` (for a slice or an array, ``y[i]`` is another array, or a copy)."""
    rows = getattr(index, "srcdiff_rows", 0)
    for entry in index.elts[:rows] if rows else ():
        k = slot(entry)
        integer = (isinstance(entry, gast.Constant) and type(entry.value) is int) or (
            k is not None and parts[k].kind in (PY, NP) and parts[k].dtype is not None
            and np.dtype(parts[k].dtype).kind in "iu")
        if not integer:
            raise located.error(node, "writing through y[i][j] is supported when i is an "
                                "integer", "write y[i, j] = ... with the whole index")


def _squeezed(shape, ndim):
    """NumPy stores a value with extra leading dimensions of size 1 as if they were not
    there (``y[0] = v`` with ``v`` of shape (1, 3) into a part of shape (3,))."""
    shape = tuple(shape)
    while len(shape) > ndim and shape[0] == 1:
        shape = shape[1:]
    return shape


def stored_aval(v, region):
    """The stored value as NumPy broadcasts it into the part: leading 1s dropped."""
    if v.kind != ARRAY or v.shape is None or region.ndim is None or len(v.shape) <= region.ndim:
        return v
    return AVal(ARRAY, v.dtype, _squeezed(v.shape, region.ndim))


def index_value(index):
    """An index as a value passed to a function (``np.add.at(g, (slice(None), i), v)``,
    ``last_assigned(g, (slice(None), i))``): ``:`` is written only inside a subscript,
    elsewhere it is ``slice(None)``."""
    if isinstance(index, gast.Slice):
        parts = [index.lower, index.upper, index.step]
        if index.step is None:
            parts = [index.upper] if index.lower is None else parts[:2]
        return gast.Call(func=code.ref(code.OBJ, slice),
                         args=[code.const(None) if p is None else p for p in parts],
                         keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[index_value(e) for e in index.elts], ctx=gast.Load())
    return index


def may_view(parts, index):
    """Whether ``x[index]`` may be a view of ``x`` (NumPy basic indexing) rather than a copy:
    only an integer or boolean array (or a list) in the index makes a copy for certain."""
    if any(isinstance(node, gast.List) for node in trees.walk(index)):
        return False
    return not any(p.kind == ARRAY for p in parts)


def repeats(parts, index):
    """Whether an index may name a position twice (an integer array or list part)."""
    if any(isinstance(node, gast.List) for node in trees.walk(index)):
        return True
    return any(p.kind == ARRAY and (p.dtype is None or p.dtype.kind in "iu") for p in parts)
