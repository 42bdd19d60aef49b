"""What a reverse-mode derivative returns: each gradient in its argument's type (a Python
float for a float, an array of its dtype, a container of the same structure), and the value
where it is asked for."""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..backend.arrays import NUMPY
from ..ir import code
from ..ir.avals import ARRAY, NP, PY
from ..ir.code import ADJ, DEF, OBJ
from ..ir.ssa import Param
from ..primitives.registry import is_complex
from .adjoint_state import Lazy
from .adjoints import np_call, python_expr, real_part, zero_like, zero_literal

VALUE = "value"  # the name of the function's value where it is returned too


class Results:
    """A part of the reverse transform (see :mod:`srcdiff.transforms.reverse`); forward
    mode casts its result's tangent with it, reading tangents (``derivative_kind``) where
    reverse mode reads adjoints."""

    derivative_kind = ADJ
    exact_types = False

    def result(self, state, returned):
        grads = [self.gradient(name, state) for name in self.wrt]
        value = grads[0] if len(grads) == 1 and not self.wrt.multiple else gast.Tuple(
            elts=grads, ctx=gast.Load())
        if not self.with_value:
            return value
        if self._result_restored():
            primal = code.ref(DEF, VALUE)
        else:
            primal = self.operand(returned, returned.value)
        return gast.Tuple(elts=[primal, value], ctx=gast.Load())

    def gradient(self, name, state):
        web = self.web(Param(name))
        aval = self.program.avals[Param(name)]
        current = state.get(web)
        if current is None:
            # Written out where the kind allows: the variable may hold a rebound value now.
            return zero_literal(aval) or zero_like(aval, code.ref(DEF, web))
        if isinstance(current, Lazy) and aval.kind == ARRAY:
            return self.adjoints.filled(web, current.expr)
        if isinstance(current, Lazy):
            current = self.adjoints.filled(web, current.expr)
        if self.vjp and not self.exact_types:
            return current
        if aval.container:
            return self.cast_container(current, aval, code.ref(DEF, web))
        return self.cast(current, aval)

    def cast_container(self, value, aval, like):
        """A container's gradient with each element of its argument's element's type: the
        elements of a literal (``{'w': w_bar, 's': float(s_bar)}``) are cast one by one, any
        other container through ``cast_tree``."""
        literal = self._final_literal(value)
        if literal is not None:
            elements = literal.values if isinstance(literal, gast.Dict) else literal.elts
            keys = [k for k, _ in aval.items] if aval.pytype is dict else range(len(elements))
            for k, (key, element, leaf) in enumerate(zip(keys, elements, aval.elements)):
                part = None if like is None else gast.Subscript(
                    value=code.clone(like), slice=code.const(key), ctx=gast.Load())
                elements[k] = (self.cast_container(element, leaf, part) if leaf.container
                               else self.cast(element, leaf))
            return value
        if like is None or not _needs_cast(aval):
            return value
        return gast.Call(func=code.ref(OBJ, runtime.cast_tree), args=[value, like],
                         keywords=[])

    def _final_literal(self, value):
        """The tuple, list or dict display the adjoint ``value`` last received, when that is
        the last assignment to it."""
        if isinstance(value, (gast.Dict, gast.Tuple, gast.List)):
            return value
        target = code.ref_of(value)
        if target is None or target[0] != ADJ:
            return None
        for line in reversed(self.body_lines):
            if isinstance(line, code.Assign) and line.target == target:
                if isinstance(line.value, (gast.Dict, gast.Tuple, gast.List)):
                    return line.value
                return None
            if any(a.target == target for a in _assignments([line])):
                return None
        return None

    def cast(self, value, aval):
        """A gradient of exactly its argument's type, shape and dtype. Adjoints follow NumPy's
        arithmetic, which may hand back a Python int or float for a NumPy scalar, a NumPy
        scalar for a 0-d array, or float64 for float32 (a float64 constant promotes it): the
        cast puts each back. A Python float needs none where the adjoint is certainly a float
        already. In a function with complex values, a real argument's adjoint may have come
        through a complex array it was stored in (``y[0] = x``): its real part is the
        derivative."""
        if aval.container or aval.kind not in (PY, NP, ARRAY) or aval.dtype is None:
            return value
        if not is_complex(aval) and code.ref_of(value) and any(
                map(is_complex, self.program.avals.values())):
            value = real_part(value)
        if aval.kind == PY:
            if aval.dtype is float and python_expr(value, self.aval_of, self.python_adjoints()):
                return value
            if code.is_const(value):
                return code.const(aval.dtype(value.value))
            return gast.Call(func=code.ref(OBJ, aval.dtype), args=[value], keywords=[])
        dtype = NUMPY.dtype(aval.dtype)
        if aval.kind == NP:
            return gast.Call(func=dtype, args=[value], keywords=[])
        if aval.shape == ():
            return np_call("asarray", [value], dtype=dtype)
        if aval.dtype == np.float64:
            return value
        method = gast.Attribute(value=value, attr="astype", ctx=gast.Load())
        return gast.Call(func=method, args=[dtype],
                         keywords=[gast.keyword(arg="copy", value=code.const(False))])

    def python_adjoints(self):
        """The adjoints that are certainly Python floats (built from Python floats only),
        found once the adjoint statements are all written."""
        known = self.__dict__.get("_python_adjoints")
        if known is None:
            known = self._python_adjoints = self._find_python_adjoints()
        return known

    def given_python_floats(self):
        """The derivatives that are parameters and certainly Python floats."""
        return {}

    def _find_python_adjoints(self):
        """Loops carry adjoints from a later assignment back to an earlier one, so the
        assignments are read until nothing changes. An adjoint is judged by the variable
        that holds it: values that share a variable (``x`` rebound) share their adjoint's
        variable too, and on a path that assigns only one of them, it still holds what the
        other's assignment put there (``x_bar = 2.0 * x`` of a NumPy float, then the
        adjoint of the float ``x`` before it, assigned ``0.0`` on another path alone)."""
        kind_read = self.derivative_kind

        def variable(key):
            return self._variable_of((kind_read, key))
        held = {variable(key): given for key, given in self.given_python_floats().items()}
        python = _ByVariable(held, variable)
        assignments = _assignments(self.body_lines)
        changed = True
        while changed:
            changed = False
            for line in assignments:
                if line.target and isinstance(line.target[0], tuple):
                    # ``a_bar, b_bar = h_vjp(...)``: whatever the VJP returns.
                    for kind, key in line.target:
                        if kind == kind_read:
                            changed = changed or held.get(variable(key)) is not False
                            held[variable(key)] = False
                elif line.target[0] == kind_read:
                    target = variable(line.target[1])
                    now = python_expr(line.value, self.aval_of, python) and held.get(target, True)
                    changed = changed or held.get(target) != now
                    held[target] = now
        return python


class _ByVariable:
    """Whether the adjoint (or tangent) of a key is certainly a Python float, answered for
    the variable that holds it (see ``Results._find_python_adjoints``)."""

    def __init__(self, held, variable):
        self.held = held
        self.variable = variable

    def get(self, key, default=None):
        return self.held.get(self.variable(key), default)


def _assignments(lines):
    return [line for line in code.walk_lines(lines) if isinstance(line, code.Assign)]


def _needs_cast(aval):
    """Whether a container holds an element whose gradient NumPy may give another type."""
    return any(_needs_cast(e) if e.container else not (
        e.kind == ARRAY and e.dtype == np.float64 and e.ndim != 0) for e in aval.elements)
