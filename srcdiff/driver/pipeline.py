"""The pipeline for one specialization: lowered IR to printed (and, with a linker that
compiles, runnable) derivative source.

``derive`` runs the stages in order: specialize the IR on the arguments' abstract values,
check what is differentiated, find the active values, transform, and emit. What it makes is
decided by one :class:`~srcdiff.driver.options.Options` object; the VJPs of the user
functions the code calls come from a :class:`~srcdiff.driver.linker.Linker`, which runs this
same pipeline for each.
"""

from __future__ import annotations

import os

from ..analysis import activity
from ..analysis import specialize as infer
from ..backend import emit
from ..backend.compile import Stats
from ..errors import SrcdiffError
from ..ir import avals
from ..ir import nodes as ir
from ..ir.avals import ARRAY, OTHER
from ..transforms import reverse
from .linker import Linker
from .options import FORWARD


def derive(fn_ir, scope, param_avals, options, compiled=False):
    """Run the pipeline from lowered IR to printed source for one specialization, with the
    VJPs of the user functions it calls (compiled too where ``compiled``)."""
    linker = new_linker(compiled)
    try:
        emitted = stages(fn_ir, scope, param_avals, options, linker)
        emitted.callees = list(linker.emitted)
        return emitted
    except SrcdiffError:
        raise
    except Exception as exc:
        if os.environ.get("SRCDIFF_DEBUG"):
            raise
        located = fn_ir.source.located
        error = located.error(fn_ir.node, f"internal error while differentiating {fn_ir.name}: "
                              f"{type(exc).__name__}: {exc}",
                              "this is a bug in srcdiff; please report it with this function "
                              "(set SRCDIFF_DEBUG=1 to see the compiler's traceback)")
        error.internal = exc
        raise error from None


def new_linker(compiled):
    return Linker(compiled, stages)


def stages(fn_ir, scope, param_avals, options, linker):
    """The stages themselves; a callee's VJP runs them inside its caller's ``derive``."""
    Stats.transforms += 1
    located = fn_ir.source.located
    wrt = options.wrt
    if not options.vjp:
        _check_wrt_types(fn_ir, param_avals, wrt, located)
    program = infer.specialize(fn_ir, param_avals, located)
    if options.mode == FORWARD:
        from ..transforms import forward  # forward mode is imported when first used

        act = activity.analyze(program, wrt)
        out = forward.transform(program, act, wrt, name=options.name, linker=linker)
    else:
        if not options.vjp:
            _check_result(program, located)
        act = activity.analyze(program, wrt, options.unused_outputs)
        out = reverse.transform(program, act, wrt, with_value=options.with_value,
                                name=options.name, vjp=options.vjp, linker=linker,
                                exact_types=options.exact_types)
    out.prologue = list(options.prologue)
    header = [_header(fn_ir, wrt, param_avals, options)]
    return emit.emit(out, fn_ir, scope, header)


def _header(fn_ir, wrt, param_avals, options):
    what = "value and gradient" if options.with_value else "gradient"
    if options.vjp:
        what = "vector-Jacobian product"
    if options.mode == FORWARD:
        what = "value and tangent (forward mode)"
    respect = ", ".join(wrt)
    if wrt.multiple:
        respect = f"({respect})"
    kinds = ", ".join(f"{p}: {param_avals[p].describe()}" for p in fn_ir.param_names)
    return f"{what} of {fn_ir.name} with respect to {respect}; {kinds}"


def _check_wrt_types(fn_ir, param_avals, wrt, located):
    for name in wrt:
        aval = param_avals[name]
        if not aval.differentiable:
            node = next(a for a in _param_nodes(fn_ir.node) if a.id == name)
            raise located.error(node, f"cannot differentiate with respect to {name}: it is "
                                f"{_article(aval.describe())}",
                                "pass a float (or a float array) for the parameters in wrt")


def _article(kind):
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _param_nodes(node):
    args = node.args
    return list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)


def _check_result(program, located):
    """A gradient needs a scalar result on every path: each returned value is checked, not
    only their join (a scalar on one path and an array on another join to "unknown")."""
    result_stmt = program.fn.result
    if program.result is None:
        returned = [(program.aval(result_stmt, result_stmt.value), result_stmt.origin.node)]
    else:
        returned = [(program.avals.get(v, avals.UNKNOWN_AVAL), _node_of(v, result_stmt))
                    for v in program.ssa.concrete(program.result)]
    for aval, node in returned:
        if aval.kind == ARRAY and aval.ndim:
            raise located.error(node, f"{program.fn.name} returns an array "
                                f"({aval.describe()}); gradient needs a scalar result",
                                "reduce it to a scalar, e.g. with np.sum (vector results come "
                                "with vjp/jacobian)")
        if aval.kind == OTHER:
            raise located.error(node, f"{program.fn.name} returns "
                                f"{_article(aval.describe())}; gradient needs a single scalar "
                                "result", "return one scalar (vector results come with "
                                "vjp/jacobian)")


def _node_of(value, result_stmt):
    """The source statement that gives the result this value."""
    if isinstance(value, ir.Assign) and value.origin is not None:
        return value.origin.node
    return result_stmt.origin.node
