"""Runtime helpers whose derivatives are calls of the same helpers, so that what they serve
has derivatives of every order: ``np.cumprod`` through dual numbers, ``np.einsum`` through
``einsum_like``.

``dual_cumprod`` and ``dual_cumprod_vjp`` compute with sums and products alone, on arrays of
dual numbers (:mod:`srcdiff.runtime.duals`): each one's derivative along ``t`` is read off
the same helper applied to ``dual(x, t)``, numbers with one generator more, where
``dual_tangent`` (the new generator's coefficient) or ``dual_primal`` (the rest) picks it
out, as ``top_right`` picks the derivative out of ``matrix_power`` of a ``power_block``. The
rules of ``np.cumprod``'s second-derivative helpers (``helpers.py``) call them for a third
derivative, on the arrays made dual numbers by ``np.expand_dims(a, -1)``
(:func:`cumprod_derivative`, :func:`cumprod_gradient`).

``einsum_like(subscripts, like, a, b)`` is the gradient in ``like`` of the sum over all
labels of the product of ``like``, ``a`` and ``b``, each indexed by its labels: linear in
each operand, so its tangents replace one operand by its tangent, and the adjoint of one
is the gradient in that operand, the same sum's: ``einsum_like`` again, with that operand's
labels and ``like``'s trading places (``einsum_swapped``) and ``g`` in its place. It is
declared for one, two and three operands, as ``np.einsum`` is.
"""

from .. import runtime as rt
from . import helper_results as H
from . import results as R
from .families import linear, zero_derivative
from .registry import GENERAL, HOLOMORPHIC, declare


def _name(fn):
    return f"srcdiff.runtime.{fn.__name__}"


def _general(fn, signature, *vjps, jvp, shape, **options):
    declare(fn, signature, *vjps, kind=GENERAL, name=_name(fn), jvp=jvp, shape=shape,
            **options)


# dual numbers and their cumulative products

_CUMULATIVE = "axis, include_initial"
_general(rt.dual, "x, t", "unbroadcast(dual_primal(g), x)", "unbroadcast(dual_tangent(g), t)",
         jvp=("dual(x_dot, 0.0 * t)", "dual(0.0 * x, t_dot)"),
         shape=H.parts("x", "t", scale=2), complex=HOLOMORPHIC,
         notes="x + t e for a new generator e: the parts of x, then those of t")
linear(rt.dual_primal, "x", "dual(g, 0.0 * g)", kind=GENERAL, name=_name(rt.dual_primal),
       shape=H.parts("x", scale=0.5), views=True, complex=HOLOMORPHIC,
       notes="the dual numbers without their last generator: the first half of the parts")
linear(rt.dual_tangent, "x", "dual(0.0 * g, g)", kind=GENERAL, name=_name(rt.dual_tangent),
       shape=H.parts("x", scale=0.5), views=True, complex=HOLOMORPHIC,
       notes="the last generator's coefficient: the second half of the parts")
_general(rt.dual_cumprod, "x, axis=None, include_initial=False",
         f"dual_cumprod_vjp(g, x, {_CUMULATIVE})", None, None,
         jvp=(f"dual_tangent(dual_cumprod(dual(x, x_dot), {_CUMULATIVE}))", None, None),
         shape=H.dual_cumulative, complex=HOLOMORPHIC,
         notes="np.cumprod of dual numbers; its tangent is the new generator's coefficient "
               "of dual_cumprod of dual(x, x_dot)")
_general(rt.dual_cumprod_vjp, "v, x, axis=None, include_initial=False",
         f"dual_tangent(dual_cumprod(dual(x, g), {_CUMULATIVE}))",
         f"dual_primal(dual_cumprod_vjp(dual(0.0, v), dual(x, g), {_CUMULATIVE}))", None, None,
         jvp=(f"dual_cumprod_vjp(v_dot, x, {_CUMULATIVE})",
              f"dual_primal(dual_cumprod_vjp(dual(0.0, v), dual(x, x_dot), {_CUMULATIVE}))",
              None, None),
         shape=H.like("x", "v", "x"), complex=HOLOMORPHIC,
         notes="the gradient of sum(v * dual_cumprod(x)): linear in v (its adjoint is "
               "dual_cumprod's tangent); its derivative in x, the Hessian of that sum times "
               "the direction, is the gradient for dual(0.0, v) at dual(x, direction), "
               "without the new generator")


def _lifted(x):
    return f"np.expand_dims({x}, -1)"


def _dual_numbers(a, directions):
    """Template text for the dual numbers ``a + d1 e1 + d2 e2 + ...``: ``a`` made dual
    numbers, then for each direction a new generator, the direction its coefficient (with
    no part for the earlier generators, ``dual(d, 0.0)`` as often as there are)."""
    numbers = _lifted(a)
    for k, direction in enumerate(directions):
        coefficient = _lifted(direction)
        for _ in range(k):
            coefficient = f"dual({coefficient}, 0.0)"
        numbers = f"dual({numbers}, {coefficient})"
    return numbers


def _picked(text, part, times):
    for _ in range(times):
        text = f"{part}({text})"
    return f"{text}[..., 0]"


def cumprod_derivative(a, *directions):
    """Template text for the derivative of ``np.cumprod(a, axis)`` (``include_initial`` as
    ``np.cumulative_prod``) along every one of ``directions``: the coefficient of all the
    generators in the cumulative product of ``a + d1 e1 + d2 e2 + ...``."""
    product = f"dual_cumprod({_dual_numbers(a, directions)}, {_CUMULATIVE})"
    return _picked(product, "dual_tangent", len(directions))


def cumprod_gradient(v, a, *directions):
    """Template text for the gradient in ``a`` of the derivative of ``sum(v * np.cumprod(a,
    axis))`` along every one of ``directions``: ``dual_cumprod_vjp`` for ``v`` placed on all
    the generators at ``a + d1 e1 + ...``, its part without any generator."""
    placed = _lifted(v)
    for _ in directions:
        placed = f"dual(0.0, {placed})"
    gradient = f"dual_cumprod_vjp({placed}, {_dual_numbers(a, directions)}, {_CUMULATIVE})"
    return _picked(gradient, "dual_primal", len(directions))


# einsum into an array's shape

zero_derivative(rt.einsum_swapped, "subscripts, index", name=_name(rt.einsum_swapped),
                shape=H.python_object(str), notes="subscripts, two of their terms swapped")


def _einsum_like_templates(operands, swapped):
    """The adjoint of each operand: ``einsum_like`` into it, of ``g`` and the others, with
    its labels and ``like``'s swapped (``swapped(k)``: the subscripts' text)."""
    templates = [None, None]
    for k, operand in enumerate(operands):
        others = ", ".join("g" if j == k else p for j, p in enumerate(operands))
        templates.append(f"einsum_like({swapped(k)}, {operand}, {others})")
    return templates


def _select_einsum_like(rule, avals, bound):
    """Literal subscripts give literal swapped ones: ``einsum_like('ii->i', g, h)``."""
    subscripts = R.literals(bound, "subscripts")
    if subscripts is None:
        return rule.templates
    texts = _einsum_like_templates(rule.params[2:],
                                   lambda k: repr(rt.einsum_swapped(subscripts[0], k)))
    return tuple(None if text is None else rule.parse(text) for text in texts)


for _operands in (("a",), ("a", "b"), ("a", "b", "c")):
    _general(rt.einsum_like, f"subscripts, like, {', '.join(_operands)}",
             *_einsum_like_templates(_operands, lambda k: f"einsum_swapped(subscripts, {k})"),
             jvp=(None, None) + tuple(
                 "einsum_like(subscripts, like, " + ", ".join(
                     f"{p}_dot" if p == operand else p for p in _operands) + ")"
                 for operand in _operands),
             shape=H.cast_to("like"), selector=_select_einsum_like, complex=None,
             notes="linear in each operand; like gives a shape and a dtype")
