"""The public API: reverse mode (``gradient``, ``value_and_grad``, ``vjp``, ``jacrev``),
forward mode (``value_and_tangent``, ``jvp``, ``jacfwd``), ``jacobian``, ``source``, and
the side-by-side view (``page``, ``show``)."""

from __future__ import annotations

import functools
import inspect

import gast
import numpy as np

from .analysis import usage
from .backend import standalone
from .driver import dispatch, pipeline
from .driver.options import FORWARD, REVERSE, Options, composite_of
from .driver.wrt import normalize_wrt
from .errors import SrcdiffError, describe_object
from .frontend.callees import is_derivative
from .frontend.scope import Live
from .ir import avals, specs


def _jacobians():
    """Jacobians, Hessians and JVPs are imported when first used, as derivatives of
    derivatives are (:func:`_higher`): ``import srcdiff`` stays fast."""
    from .driver import jacobians
    return jacobians


def _higher():
    from .driver import higher
    return higher


def _public(function):
    """Errors from the public API carry the user's location, not the compiler's frames."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SrcdiffError as error:
            raise error.with_traceback(None) from None
    return wrapper


@_public
def gradient(f=None, *, wrt=None):
    """The gradient of ``f``'s scalar result with respect to the parameters in ``wrt``.

    Use it as ``@gradient``, ``@gradient(wrt=...)`` or ``gradient(f, wrt=...)``. ``wrt`` is
    a parameter index or name (that gradient alone), or a tuple or list of them (a tuple of
    gradients in that order); ``None`` means the first parameter. Each gradient has the type
    and shape of its argument.
    """
    if f is None:
        return functools.partial(gradient, wrt=wrt)
    return _derivative(f, wrt, suffix="_grad")


@_public
def value_and_grad(f=None, *, wrt=None):
    """Like :func:`gradient`, but the function returns ``(value, gradient)``."""
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt)
    return _derivative(f, wrt, suffix="_value_and_grad", with_value=True)


@_public
def value_and_tangent(f=None, *, wrt=None):
    """Forward mode: a function that takes ``f``'s arguments, then one tangent for each
    parameter in ``wrt`` (by position), and returns ``(value, tangent)``: ``f``'s value and
    its directional derivative along those tangents. ``wrt`` is given as for
    :func:`gradient`. Each value's tangent is computed beside it, one pass, no tape."""
    if f is None:
        return functools.partial(value_and_tangent, wrt=wrt)
    return _derivative(f, wrt, suffix="_jvp", mode=FORWARD)


@_public
def jvp(f, primals, tangents):
    """JAX's ``jvp``: ``(f(*primals), tangent)``, the tangent of ``f``'s result along
    ``tangents``, one per primal (``None`` for an argument that is held fixed). Compiled once
    for each kind of arguments and set of tangents given, as :func:`gradient` is."""
    return _jacobians().jvp(_function(f), tuple(primals), tuple(tangents))


@_public
def vjp(f, *primals):
    """JAX's ``vjp``: ``(f(*primals), vjp_fn)``. ``vjp_fn(cotangent)``, for a cotangent of
    the result's shape, returns one gradient per primal: ⟨cotangent, f⟩'s gradient (``None``
    for an argument that is not a float, an array of floats, or a container of them). The
    result may be an array; ``vjp_fn`` runs the forward sweep again with each call."""
    return _jacobians().vjp(_function(f), primals)


@_public
def jacfwd(f, *, wrt=None):
    """A function returning the Jacobian of ``f`` with respect to ``wrt`` (given as for
    :func:`gradient`), of shape ``result.shape + argument.shape``, by forward mode: one
    pass per element of the arguments differentiated."""
    return _jacobians().jacobian_function(_function(f), wrt, FORWARD)


@_public
def jacrev(f, *, wrt=None):
    """Like :func:`jacfwd`, by reverse mode: one forward and one reverse pass per element
    of the result."""
    return _jacobians().jacobian_function(_function(f), wrt, REVERSE)


@_public
def jacobian(f, *, wrt=None, mode="auto"):
    """Like :func:`jacfwd` (``mode="forward"``) or :func:`jacrev` (``"reverse"``); ``"auto"``
    picks forward mode where the arguments differentiated have fewer elements than the
    result, reverse mode otherwise, at each call."""
    if mode not in ("auto", FORWARD, REVERSE):
        raise SrcdiffError(f"mode must be 'auto', 'forward' or 'reverse', not {mode!r}",
                           hint="mode='auto' picks the cheaper one")
    return _jacobians().jacobian_function(_function(f), wrt, mode)


@_public
def hessian(f, *, wrt=None):
    """A function returning the Hessian of ``f``'s scalar result with respect to ``wrt``
    (given as for :func:`gradient`): forward mode over reverse mode, the Jacobian of the
    gradient, of shape ``argument.shape + argument.shape`` (a nested tuple of blocks for
    several parameters). It costs one forward pass over the gradient's code per element."""
    return _jacobians().hessian_function(_function(f), wrt)


@_public
def hvp(f, *, wrt=None):
    """A function ``g(*args, v)``: the Hessian of ``f`` at ``args`` times ``v`` (one vector
    of the argument's shape, or a tuple of them for several parameters), by one forward
    pass over the gradient's code."""
    return _jacobians().hvp_function(_function(f), wrt)


@_public
def source(f, *, wrt=None, args=None, mode=None):
    """The generated derivative source of ``f``, as the ``srcdiff`` command prints it:
    reverse mode (the gradient) or, with ``mode="forward"``, forward mode (the JVP).

    Without ``args`` the parameters are taken to be what their annotations say, and Python
    floats where they have none. With ``args`` (example arguments, a tuple), the source is
    the code specialized for arguments like them, as ``gradient`` runs it. For a function
    made by :func:`gradient`, :func:`value_and_grad` or :func:`value_and_tangent`, the
    source of what it runs: once it has been called (and without ``wrt``, ``args`` or
    ``mode``), each specialization compiled for it so far, in the order compiled.
    """
    if getattr(f, "__srcdiff__", None) is not None and args is None and wrt is None and (
            mode is None):
        ran = _compiled_source(f)
        if ran is not None:
            return ran
    fn_ir, emitted, _ = _emitted(f, wrt, args, mode)
    return _printed(fn_ir, emitted)


@_public
def page(f, *, wrt=None, args=None, mode=None):
    """A self-contained HTML page showing, side by side, ``f``'s source, its three-address
    form and its derivative (the one :func:`source` prints for the same arguments), each
    line highlighting, under the mouse, the lines it came from or produced."""
    from .views import page as side_by_side  # imported when first used: start-up stays fast
    fn_ir, emitted, mode = _emitted(f, wrt, args, mode)
    view = side_by_side.function_view(fn_ir, emitted, mode)
    return side_by_side.html_page([view], f"srcdiff: {fn_ir.name}")


@_public
def show(f, *args, wrt=None, mode=None):
    """The side-by-side view of :func:`page` for a notebook (its ``_repr_html_``), of the
    code specialized for example arguments ``args`` where given, and then with the
    computation graph at them (:func:`graph`) below it where Graphviz is installed; printed
    in a console, it is the derivative's source."""
    from .views import page as side_by_side  # imported when first used: start-up stays fast
    fn_ir, emitted, mode = _emitted(f, wrt, args or None, mode)
    view = side_by_side.function_view(fn_ir, emitted, mode)
    picture = None
    if args and getattr(f, "__srcdiff__", None) is None and composite_of(f) is None:
        def picture():
            return graph(f, *args, wrt=wrt)
    return side_by_side.Shown([view], _printed(fn_ir, emitted), picture)


def _printed(fn_ir, emitted):
    return standalone.module_text(emitted.full_text, emitted.all_imports, fn_ir.source,
                                  fn_ir.source.filename)


def _emitted(f, wrt, args, mode):
    """What :func:`source` prints, before printing: the lowered function, its emitted
    derivative, and the mode it was made in."""
    spec = getattr(f, "__srcdiff__", None)
    request = None
    if spec is not None:
        f, wrt_given, request = spec
        wrt = wrt_given if wrt is None else wrt
        if args is not None and request.extra_arguments:
            args = tuple(args)[:len(args) - request.extra_arguments]
    if is_derivative(f):
        if args is None:
            raise SrcdiffError(f"the source of a derivative of {f.__name__} depends on the "
                               "kinds of its arguments", hint="pass example arguments: "
                               "source(g, args=(...))")
        f = _higher().materialized(f, tuple(args))
    fn = _function(f)
    fn_ir, scope = dispatch.lowered(fn)
    names = normalize_wrt(fn_ir.param_names, wrt, fn.__name__)
    if mode not in (None, FORWARD, REVERSE):
        raise SrcdiffError(f"mode must be 'forward' or 'reverse', not {mode!r}",
                           hint="mode='forward' prints the JVP, 'reverse' the gradient")
    if request is None or mode is not None and mode != request.mode:
        request = Options(names, mode=mode or REVERSE)
    request = request.but(wrt=names)
    if args is None:
        param_avals = assumed_avals(fn_ir, scope)
    else:
        values = dispatch.Family(fn, fn_ir, scope, request).bind(tuple(args), {})
        param_avals = {p: avals.of_value(v) for p, v in zip(fn_ir.param_names, values)}
    return fn_ir, pipeline.derive(fn_ir, scope, param_avals, request), request.mode


@_public
def check_grad(f, *args, wrt=None, rtol=None, raise_on_failure=False):
    """Compare ``f``'s gradient at ``args`` by reverse mode, forward mode and central
    differences, for the parameters in ``wrt`` (as :func:`gradient` takes it; None: every
    argument that is a float, an array of floats or a container of them).

    Returns a :class:`srcdiff.views.check.GradCheck`: ``ok``, the largest relative error of
    each argument (``errors``), and ``str()`` a readable report that names the odd one out.
    ``rtol`` replaces the tolerance (1e-6 for float64, 1e-3 for float32); with
    ``raise_on_failure`` a disagreement raises ``GradientMismatch``, both a
    :class:`SrcdiffError` and an ``AssertionError``, whose message is the report.
    """
    from .views import check  # imported when first used: start-up stays fast
    result = check.check_grad(_function(f), args, wrt, rtol)
    if raise_on_failure and not result.ok:
        raise check.GradientMismatch(str(result).rstrip("\n"))
    return result


def assert_grad(f, *args, wrt=None, rtol=None):
    """:func:`check_grad` that raises ``GradientMismatch`` (an ``AssertionError``) when the
    derivatives disagree, as autograd's and JAX's ``check_grads`` do; returns the check."""
    return check_grad(f, *args, wrt=wrt, rtol=rtol, raise_on_failure=True)


def _compiled_source(holder):
    """The code ``holder`` has run: each specialization compiled for it so far, in the
    order compiled (its first line names the kinds of arguments it serves); None before
    its first call. Later calls run the installed code without a dispatcher, so which
    specialization ran last is not recorded: a call costs nothing more for this."""
    kinds = dispatch.compiled_kinds(holder)
    if not kinds:
        return None
    fn, wrt_given, request = holder.__srcdiff__
    fn_ir, scope = dispatch.lowered(fn)
    request = request.but(wrt=normalize_wrt(fn_ir.param_names, wrt_given, fn.__name__)
                          if not hasattr(wrt_given, "multiple") else wrt_given)
    imports, texts = [], []
    for param_avals in kinds:
        emitted = pipeline.derive(fn_ir, scope, param_avals, request)
        imports += [i for i in emitted.all_imports if i not in imports]
        texts.append(emitted.full_text)
    text = standalone.module_text("\n\n".join(texts), imports, fn_ir.source,
                                  fn_ir.source.filename)
    if len(texts) > 1:
        text = (f"# {len(texts)} specializations of {fn.__name__}'s derivative, in the "
                "order they were compiled\n\n" + text)
    return text


@_public
def trace(f, *args, wrt=None, mode=None):
    """Run ``f``'s derivative at ``args`` and record it statement by statement: a
    :class:`~srcdiff.views.trace.Trace`, whose ``str()`` is a table of each generated
    statement, the values it gave and the source line it came from (reverse mode: the
    forward sweep, then the adjoints; ``mode="forward"``: values and tangents, the tangents
    of ``wrt`` seeded with ones), and whose ``steps`` hold the values themselves."""
    from .views import trace as trace_view  # imported when first used: start-up stays fast
    return trace_view.trace(_function(f), args, wrt, mode)


@_public
def graph(f, *args, wrt=None, highlight=None):
    """The computation graph of ``f``'s three-address form as a picture: executed at
    ``args`` (values on the nodes, local partials on the edges), or static without them.
    ``highlight`` (a parameter name) marks the paths from that input to the result and adds
    up their products of partials. The result has ``.dot``, ``.write(path)`` (``.dot``,
    ``.svg``, ``.png``; the last two need Graphviz) and a notebook picture."""
    from .views import graph as graph_view  # imported when first used: start-up stays fast
    return graph_view.graph(_function(f), args or None, wrt, highlight)


def _derivative(f, wrt, *, suffix, with_value=False, mode=REVERSE):
    fn = _function(f)
    if composite_of(fn) is not None:
        return _jacobians().composite_derivative(fn, wrt, with_value, mode)
    names = normalize_wrt(_parameter_names(fn), wrt, fn.__name__)
    request = Options(names, with_value=with_value, mode=mode)
    family = (_higher().family_for(fn, request) if is_derivative(fn) else
              dispatch.LazyFamily(fn, request))
    holder = dispatch.make_holder(family, fn.__name__ + suffix)
    holder.__module__ = fn.__module__
    holder.__doc__ = fn.__doc__
    holder.__qualname__ = fn.__qualname__ + suffix
    holder.__srcdiff__ = (fn, wrt, request)
    return holder


def _function(f):
    if isinstance(f, functools.partial) or not inspect.isfunction(f):
        raise SrcdiffError(f"{describe_object(f)} is not a Python function; srcdiff "
                           "differentiates functions defined with def or lambda",
                           hint="pass the function itself (for a partial, a def that calls "
                                "it with the fixed arguments)")
    return f


def _parameter_names(fn):
    return [p.name for p in dispatch.parameters(fn)]


def assumed_avals(fn_ir, scope, overrides=None):
    """Parameter kinds for code printed without example arguments: ``overrides`` (specs by
    name, see :func:`srcdiff.ir.avals.parse_spec`), else annotations, else ints for loop
    bounds and indices, else arrays where the function uses them as arrays
    (:mod:`srcdiff.analysis.usage`), else Python floats."""
    overrides = overrides or {}
    counts = _used_as_counts(fn_ir.node)
    given = {p.name: overrides[p.name] if p.name in overrides else
             annotation_aval(p.annotation, scope, fn_ir.source.located)
             for p in fn_ir.params if p.name in overrides or p.annotation is not None}
    given.update((name, avals.PY_INT) for name in counts if name not in given)
    arrays = usage.array_parameters(fn_ir.node, scope, given)
    return {p.name: given.get(p.name) or arrays.get(p.name) or avals.PY_FLOAT
            for p in fn_ir.params}


def _used_as_counts(node):
    """Parameters the function uses as loop bounds or indices: integers, not floats."""
    names = set()
    for sub in gast.walk(node):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name) and (
                sub.func.id == "range"):
            names |= {a.id for a in sub.args if isinstance(a, gast.Name)}
        elif isinstance(sub, gast.Subscript):
            names |= {n.id for n in gast.walk(sub.slice) if isinstance(n, gast.Name)}
    return names


def annotation_aval(annotation, scope, located):
    if annotation is None:
        return avals.PY_FLOAT
    if isinstance(annotation, gast.Constant) and isinstance(annotation.value, str):
        try:
            return specs.parse(annotation.value)
        except ValueError as exc:
            raise located.error(annotation, f"cannot read the annotation: {exc}",
                                "write e.g. 'float', 'array[n]' or 'float32[n, 3]'") from None
    target = None
    if isinstance(annotation, gast.Name):
        found = scope.lookup(annotation.id)
        target = found.value if isinstance(found, Live) else None
    elif isinstance(annotation, gast.Attribute) and isinstance(annotation.value, gast.Name):
        found = scope.lookup(annotation.value.id)
        if isinstance(found, Live):
            target = getattr(found.value, annotation.attr, None)
    if target in (float, int, bool, complex):
        return avals.AVal(avals.PY, target)
    if target is np.ndarray:
        return avals.array(None, np.float64)
    return avals.PY_FLOAT
