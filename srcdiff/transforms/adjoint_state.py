"""The adjoints at one point of the reverse sweep, and which of them the sweep owns.

Walking backwards, the reverse transform keeps for each variable (an SSA web) the
expression its adjoint has so far: a reference to an adjoint variable (``y_bar``), a folded
constant, a :class:`Lazy` scalar not yet broadcast, or a :class:`View` of another adjoint.
A variable with no entry has a zero adjoint.

*Owned* adjoints are arrays this sweep made (``2.0 * y``, a copy, zeros): they may be
changed in place (``x_bar[i] += g``). Any other array adjoint may be the very array another
adjoint holds (``w_bar = x_bar = t_bar`` after ``t = x + w``), so it is copied before it is
changed. Each path through a branch, and each loop body, gets a state of its own; what one
path owns says nothing about another, which may still share the array.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..backend.arrays import NUMPY
from ..backend.simplify import simplify
from ..ir import code
from ..ir.avals import NP, PY
from ..ir.code import ADJ, DEF, OBJ
from .adjoints import merge_repeats, zero_like, zero_literal


class Lazy:
    """An adjoint equal everywhere to a scalar, not yet broadcast to its variable's shape:
    ``np.sum(a)`` hands ``a`` its scalar adjoint, and elementwise templates broadcast it for
    free (``a_bar = 2.0 * s_bar * a`` rather than first filling an array with ``s_bar``).
    ``expr`` is a constant or the variable's own adjoint, which holds that scalar."""

    def __init__(self, expr):
        self.expr = expr


class View:
    """A contribution that is a view of another adjoint (``y_bar[1:]``, handed to ``v`` by a
    store). Added to something it is safe; assigned as an adjoint of its own it is copied,
    since the adjoint it views is changed in place later (zeroed, or scattered into)."""

    def __init__(self, expr):
        self.expr = expr


class AdjointState:
    """Variable -> adjoint expression, and the set of variables whose adjoints are owned."""

    def __init__(self, bindings=None, owned=()):
        self.bindings = dict(bindings or {})
        self.owned = set(owned)

    def copy(self):
        """A state of its own, for one path of a branch: changes to either, bindings or
        ownership, do not reach the other."""
        return AdjointState(self.bindings, self.owned)

    def restricted(self, webs):
        """A state of its own holding the adjoints of ``webs`` alone (a loop body's view of
        the variables it carries), with the same ownership."""
        return AdjointState({w: v for w, v in self.bindings.items() if w in webs},
                            self.owned)

    def clear(self):
        self.bindings.clear()
        self.owned.clear()

    def get(self, web, default=None):
        return self.bindings.get(web, default)

    def pop(self, web, default=None):
        return self.bindings.pop(web, default)

    def items(self):
        return self.bindings.items()

    def __getitem__(self, web):
        return self.bindings[web]

    def __setitem__(self, web, value):
        self.bindings[web] = value

    def __contains__(self, web):
        return web in self.bindings

    def __iter__(self):
        return iter(self.bindings)

    def __len__(self):
        return len(self.bindings)


SCATTERED = "index"  # the name of a part made by scattering ``g`` into zeros (a new array)


class Adjoints:
    """Writing adjoints into a state: contributions accumulated (the first assigned, later
    ones added), adjoints made variables where code needs one (zeros, fills), and ownership
    kept as the module docstring says. ``aval_of`` gives a variable's abstract value,
    ``name_of`` the generated name of a value's variable, ``scalar`` whether a name node
    holds a scalar (for simplification).

    ``passed_through(web)`` says whether a scalar adjoint of ``web`` whose whole value is
    another variable may stay that variable's name (``t1_bar`` is ``t2``: nothing is
    written, and the sweep reads ``t2`` where it would read ``t1_bar``). That holds for the
    temporaries of code that overwrites no variable: the value named is not changed for the
    rest of the sweep, whether it is a value of the forward sweep or an adjoint already
    complete (that of the statement walked back over). It is what ``tidy.adjoint_copies``
    would make of the copy, without writing the copy first."""

    def __init__(self, aval_of, name_of, scalar, unbound=frozenset(), passed_through=None):
        self.aval_of = aval_of
        self.name = name_of
        self.scalar = scalar
        self.unbound = unbound  # variables that may hold no value yet (bound to None)
        self.passed_through = passed_through

    def accumulate(self, contributions, state, last=None, staying=()):
        """First contributions are assigned, later ones added; an adjoint sharing its name
        with ``last`` (the variable being walked back over) is written last. ``staying``:
        what ``last``'s own variable keeps (the adjoint of the value it held before, in the
        same variable): a reference to ``last``'s adjoint there keeps that array in use."""
        lines = []
        shares = self._shares_name_with(last)
        handed = self._handed_over(contributions, state, last, staying)
        for web in sorted(contributions, key=shares):
            items = contributions[web]
            current = state.get(web)
            if current is not None:
                items = [current] + items
            lazy = all(isinstance(e, Lazy) for e in items)
            exprs = merge_repeats([code.clone(expression_of(e)) for e in items])
            value = simplify(exprs[0], self.scalar)
            if len(items) == 1 and isinstance(items[0], View):
                value = code.copy_of(value)
            for extra in exprs[1:]:
                if self.aval_of(web).container:
                    value = gast.Call(func=code.ref(OBJ, runtime.add_tree), args=[value, extra],
                                      keywords=[])
                    continue
                value = simplify(gast.BinOp(left=value, op=gast.Add(), right=extra), self.scalar)
            if lazy:
                if code.is_const(value):
                    state[web] = Lazy(value)
                else:
                    lines.append(code.Assign((ADJ, web), value))
                    state[web] = Lazy(code.ref(ADJ, web))
                continue
            if code.is_const(value) and self.aval_of(web).kind in (PY, NP):
                state[web] = value
                continue
            if self._stays_a_name(value, web, last):
                state[web] = value
                state.owned.discard(web)
                continue
            if not self._same_variable(value, web):
                lines.append(code.Assign((ADJ, web), value))
            state[web] = code.ref(ADJ, web)
            owned = state.owned
            if _fresh(value) or (handed is not None and code.ref_of(value) == handed):
                owned.add(web)
            else:
                owned.discard(web)
        return lines

    def _stays_a_name(self, value, web, last):
        """Whether the adjoint of ``web`` may stay ``value``, the name of another variable
        (see ``passed_through``)."""
        if self.passed_through is None or type(value) is not gast.Name:
            return False
        ref = code.ref_of(value)
        if ref is None or type(ref[1]) is tuple or not (
                ref[0] == DEF or ref[0] == ADJ and ref[1] == last and last != web):
            return False
        return self.aval_of(web).kind in (PY, NP) and self.passed_through(web)

    def _same_variable(self, value, web):
        """Whether ``value`` is the adjoint of a value sharing ``web``'s name: the adjoint is
        then already in the variable (``z_bar = z_bar`` would say nothing)."""
        ref = code.ref_of(value)
        return (isinstance(value, gast.Name) and ref is not None and ref[0] == ADJ
                and not isinstance(ref[1], tuple) and self.name(ref[1]) == self.name(web))

    def _handed_over(self, contributions, state, last, staying=()):
        """The adjoint of ``last`` (the value being walked back over, whose adjoint is now
        complete) when it is this sweep's own array and goes, as it is, to exactly one
        other adjoint, and not also on in ``last``'s own variable (``u = u + v`` gives the
        old ``u`` the same ``u_bar``): that one may then own it (``y_bar = t11_bar``)."""
        if last is None or last not in state.owned:
            return None
        ref = (ADJ, last)
        given = [expression_of(e) for exprs in contributions.values() for e in exprs]
        count = sum(1 for e in given if code.ref_of(e) == ref)
        if any(ref in code.refs(expression_of(e)) for e in staying):
            return None
        if any(code.ref_of(e) != ref and ref in code.refs(e) and not _fresh(e) for e in given):
            # Another contribution may be that very array (unbroadcast(g, y) returns g
            # where the shapes agree): then no one adjoint owns it.
            return None
        return ref if count == 1 else None

    def _shares_name_with(self, last):
        name = base_name(last)

        def shares(web):
            return last is not None and web is not last and base_name(web) == name
        return shares

    def zero(self, web):
        """The zero adjoint of a variable: written out where its kind allows, else made
        from its value, and None where the variable may hold none yet (a path that never
        assigned it: nothing reads that adjoint there)."""
        aval = self.aval_of(web)
        literal = zero_literal(aval)
        if literal is not None:
            return literal
        if self.name(web) in self.unbound:
            return gast.Call(func=code.ref(OBJ, runtime.zeros_like_tree),
                             args=[code.ref(DEF, web)], keywords=[])
        return zero_like(aval, code.ref(DEF, web))

    def materialize(self, web, state, lines):
        """Make the adjoint a variable: zero if undefined, or its folded constant."""
        current = state.get(web)
        if current is None:
            lines.append(code.Assign((ADJ, web), self.zero(web)))
            state.owned.add(web)
        elif isinstance(current, Lazy):
            lines.append(code.Assign((ADJ, web), self.filled(web, current.expr)))
            state.owned.add(web)
        elif not code.ref_of(current):
            lines.append(code.Assign((ADJ, web), current))
        state[web] = code.ref(ADJ, web)

    def filled(self, web, value):
        """An array of the variable's shape full of ``value``."""
        aval = self.aval_of(web)
        shape = aval.known_shape
        if shape is not None and all(isinstance(d, int) for d in shape) and aval.dtype:
            return NUMPY.full(shape, code.clone(value), aval.dtype)
        return NUMPY.full_like(code.ref(DEF, web), code.clone(value))


def expression_of(value):
    """The expression of an adjoint binding (a lazy or view adjoint's own)."""
    return value.expr if isinstance(value, (Lazy, View)) else value


def _fresh(value):
    """Whether an adjoint expression certainly makes a new array that nothing else holds:
    arithmetic, a ``.copy()``, a NumPy ufunc (``np.cos(y)``), or a scattered part."""
    if isinstance(value, gast.BinOp):
        return True
    ref = code.ref_of(value)
    if ref is not None and ref[0] == ADJ and isinstance(ref[1], tuple):
        return ref[1][0] == "part" and ref[1][2] == SCATTERED
    if not isinstance(value, gast.Call):
        return False
    if isinstance(value.func, gast.Attribute) and value.func.attr == "copy" and not value.args:
        return True
    target = code.ref_of(value.func)
    if target is None and isinstance(value.func, gast.Attribute):
        base = code.ref_of(value.func.value)
        if base == (OBJ, np):
            target = (OBJ, getattr(np, value.func.attr, None))
    return target is not None and target[0] == OBJ and isinstance(target[1], np.ufunc)


def base_name(web):
    if web is None:
        return None
    return getattr(web, "name", None) or getattr(web, "target", None)
