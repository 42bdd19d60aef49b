"""The VJPs (and, in forward mode, JVPs) of the user functions that differentiated code
calls.

A call ``z = h(a, b)`` is walked back over with ``h``'s vector-Jacobian product, generated
by the same pipeline for the kinds of ``h``'s arguments at that call and the arguments that
need adjoints. For running code each VJP is compiled (and cached, in
:mod:`srcdiff.driver.caches`); for printed code it only needs a name.
"""

from __future__ import annotations

import types

from .. import runtime
from ..backend.compile import Compiled, filename_for
from ..frontend import callees
from ..primitives import calls
from ..transforms import reverse
from . import caches
from .options import FORWARD, Options


class Linker:
    """Generates (and, for running code, compiles) the VJPs of called user functions."""

    def __init__(self, compiled, stages):
        self.compiled = compiled
        self.stages = stages  # the pipeline, run for each VJP
        self.emitted = []
        self.made = {}

    def vjp(self, callee, arg_avals, active, located, node, unused_outputs=()):
        """The VJP of ``callee`` with respect to ``active``, for a caller that gives no
        adjoint to the results at ``unused_outputs`` (of a tuple, list or dict result)."""
        wrt = reverse.Wrt(list(active), multiple=len(active) > 1)
        options = Options(wrt, vjp=True, name=_derivative_name(callee.name, "vjp"),
                          unused_outputs=tuple(unused_outputs))
        return self._made(callee, arg_avals, options, located, node)

    def jvp(self, callee, arg_avals, active, located, node):
        """The forward derivative of ``callee`` along tangents of the ``active`` parameters:
        ``h_jvp(a, b, a_dot)`` returns ``(value, value_dot)``."""
        wrt = reverse.Wrt(list(active), multiple=len(active) > 1)
        options = Options(wrt, mode=FORWARD, name=_derivative_name(callee.name, "jvp"))
        return self._made(callee, arg_avals, options, located, node)

    def _made(self, callee, arg_avals, options, located, node):
        callee = callees.resolved(callee, arg_avals)
        key = (callees.specialized_key(callee), tuple(arg_avals.items()), options)
        cache = caches.vjps if self.compiled else self.made
        if key in cache:
            return cache[key]
        calls.RECURSION.enter(callee, located, node)
        try:
            callee_ir, scope = callees.lowered(callee)
            emitted = self.stages(callee_ir, scope, arg_avals, options, self)
        finally:
            calls.RECURSION.leave()
        emitted.namespace = getattr(callee.fn, "__globals__", None)
        self.emitted.append(emitted)
        if self.compiled:
            compiled = Compiled(emitted, filename_for(emitted.name))
            made = types.FunctionType(compiled.code, callee.fn.__globals__, emitted.name)
        else:
            made = _Named(emitted.name)
        cache[key] = made
        return made


def _derivative_name(name, suffix):
    """``h_vjp`` for ``h``; ``h_vjp_`` where that is a runtime helper's name (a function of
    the user's called ``matrix_power`` would hide the helper ``matrix_power_vjp`` that
    printed code imports)."""
    made = f"{name}_{suffix}"
    while hasattr(runtime, made):
        made += "_"
    return made


class _Named:
    """Stands for a generated function in printed code (nothing runs it)."""

    def __init__(self, name):
        self.__name__ = name
