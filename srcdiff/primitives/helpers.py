"""The helpers of :mod:`srcdiff.runtime`, which generated code calls: their own derivatives,
so that a derivative's code can be differentiated again (``gradient(gradient(f))``,
``hessian``, ``hvp``).

Most helpers are linear in the adjoint they move (``unbroadcast``, ``untile``, ``split_like``,
``matmul_lhs_vjp``): the tangent is the helper applied to the tangent, and the adjoint the
move the other way (``np.tile`` for ``untile``, ``np.concatenate`` for ``split_like``). A
helper that gives an integer, a mask or tie weights has no derivative; the checks
(``require_assigned``, ``check_scalar``) are run for their effect. The others get their
derivatives from helpers of their own (:mod:`srcdiff.runtime.derivatives` and
:mod:`srcdiff.runtime.linalg_derivatives`), exact where the helper is (``dpow_dx`` at x = 0,
products with zeros, the adjugate of a singular matrix).

What generated code calls besides the helpers (casts such as ``np.float32(x_bar)`` and
``x_bar.astype(np.float32, copy=False)``, ``complex(z_bar)``, ``np.correlate`` in
``np.convolve``'s adjoint, ``slice(None)``) has its rules in the tables of user-facing
functions (:mod:`.shapes`, :mod:`.builtins`), since user code calls them too. This table and
the other tables of helpers are imported when a helper is first looked up
(:mod:`srcdiff.primitives`): first derivatives never need them.

A parameter that holds the result the helper's adjoint was made from (the ``ans`` of
``cumprod_vjp`` and ``norm_vjp``, a cache of a function of another argument) gets no adjoint:
the other argument's rule differentiates the helper with that result following it, which is
the derivative the code needs (the result is always computed from that argument). A
derivative this table would need of a helper that serves only higher derivatives (a third
derivative of ``np.prod``) is refused where it is asked for. ``matrix_power``'s helpers have
derivatives of every order: each is a derivative of a power of a block matrix
``[[a, t], [0, a]]`` (``power_block``), whose top right block is the power's derivative. So
have ``np.cumprod``'s, whose third derivatives are cumulative products of dual numbers
(:mod:`.every_order`).
The rules of ``eigvalsh``'s and ``svdvals``' helpers, which have derivatives of every order
too, are in :mod:`.spectral`.
The helpers of ``np.linalg.cholesky`` and of the adjugate (``det``) are declared in
:mod:`srcdiff.primitives.linalg_orders`, with derivatives of higher orders.
"""



from .. import runtime as rt
from . import helper_results as H
from .effects import CHECKS
from .every_order import cumprod_derivative, cumprod_gradient
from .families import elementwise, linear, multilinear, zero_derivative
from .registry import GENERAL, HOLOMORPHIC, REGISTRY, Refusal, declare

THIRD = ("the derivatives of {} that this would need are not supported (a derivative of "
         "order three or more through {})")


def _name(fn):
    return f"srcdiff.runtime.{fn.__name__}"


def _refused(what, where):
    return Refusal(THIRD.format(what, where), "differentiate fewer times, or write the "
                   "computation out")


def _linear(fn, signature, vjp, *rest, shape, complex=HOLOMORPHIC, **options):
    """A helper linear in its first parameter (which moves or sums an adjoint)."""
    linear(fn, signature, vjp, *rest, kind=GENERAL, name=_name(fn), shape=shape,
           complex=complex, **options)


def _multilinear(fn, signature, *vjps, linear_in, shape, complex=HOLOMORPHIC, **options):
    multilinear(fn, signature, *vjps, linear_in=linear_in, kind=GENERAL, name=_name(fn),
                shape=shape, complex=complex, **options)


def _general(fn, signature, *vjps, jvp, shape, **options):
    declare(fn, signature, *vjps, kind=GENERAL, name=_name(fn), jvp=jvp, shape=shape,
            **options)


def _pointwise(fn, signature, *vjps, **options):
    elementwise(fn, signature, *vjps, name=_name(fn), **options)


def _inactive(fn, signature, shape, **options):
    zero_derivative(fn, signature, name=_name(fn), shape=shape, **options)


for _rule in CHECKS:
    REGISTRY.defer(_rule.fn, lambda rule=_rule: rule)


# elementwise adjoints and the special cases of powers and sinc

_linear(rt.unbroadcast, "v, x", "spread_like(g, v)", None, views=("v",), shape=H.unbroadcast_result,
        notes="sums v over the axes along which x was broadcast; its adjoint spreads g back")
_pointwise(rt.spread_like, "t, like", "g", None, complex=HOLOMORPHIC, views=("t",),
           notes="t broadcast to like's shape; the adjoint sums g back")
_linear(rt.last_assigned, "v, index", "assigned_only(g, v, index)", None, shape=H.indexed,
        notes="v[index] where only the last write to a repeated position counts")
_linear(rt.assigned_only, "h, v, index", "last_assigned(g, index)", None, None,
        shape=H.like("v", "h", "v"), notes="zeros like v with h written at index")
_linear(rt.cast_like, "value, x", "cast_like(g, value)", None, views=("value",),
        shape=H.cast_result, notes="value in x's dtype; the adjoint goes back to value's (a "
                                   "real value's share of a complex adjoint is its real part)")
_pointwise(rt.dpow_dx, "x, y", "g * scaled_power(y * (y - 1), x, y - 2)",
           "g * (scaled_power(1.0, x, y - 1) + dpow_dy(x, ans))", domain={"x": "positive"},
           notes="y * x ** (y - 1), 0 where y is 0: its slopes keep that case (the factor y "
                 "* (y - 1) is 0 for y = 0 and y = 1, where the helper is constant in x)")
_pointwise(rt.dpow_dy, "x, p", "g * unit(p, x)", "g * dpow_dy(x, 1.0)",
           domain={"x": "positive"},
           notes="p * log(x), 0 where x is 0 (where it is constant in p, and its slope in x "
                 "is taken as 0)")
_pointwise(rt.dsinc_dx, "x, s",
           "g * (np.where(np.equal(x, 0), -np.pi ** 2 / 3, -np.pi ** 2 * np.sinc(x)) "
           "- unit(ans, x))", "-unit(g, x)",
           notes="(cos(pi x) - s) / x, 0 at x = 0; at x = 0 its slope in s is taken as 0 and "
                 "its slope in x as -pi**2 / 3, so that with s = sinc(x) the total is sinc's "
                 "second derivative there")
_pointwise(rt.scaled_power, "c, x, k", "g * scaled_power(1.0, x, k)",
           "g * scaled_power(c * k, x, k - 1)", "g * dpow_dy(x, ans)", domain={"x": "positive"},
           notes="c * x ** k, 0 where c is 0 (even where x ** k is inf)")
_pointwise(rt.unit, "x, norm", "unit(g, norm)", "-g * unit(ans, norm)",
           domain={"norm": "nonzero"},
           notes="x / norm, 0 where norm is 0 (and so are its slopes there)")


# reductions

_linear(rt.expand_reduced, "v, axis=None, keepdims=False", "np.reshape(g, np.shape(v))", None,
        None, shape=H.expanded, views=True, notes="a reshape of v")
_inactive(rt.reduced_size, "a, axis=None", shape=H.count, shape_only=True)
_linear(rt.deviations, "a, axis=None", "deviations(g, axis)", None,
        shape=H.like("a", inexact=True),
        notes="a minus its mean along axis: a projection, its own adjoint")
_inactive(rt.tie_weights, "a, m, axis=None", shape=H.weights("a", "m"),
          notes="piecewise constant")
_inactive(rt.median_weights, "a, axis=None", shape=H.weights("a"), notes="piecewise constant")
_general(rt.product_of_others, "a, axis=None", "product_of_others_jvp(a, g, axis)", None,
         jvp=("product_of_others_jvp(a, a_dot, axis)", None), shape=H.like("a"),
         complex=HOLOMORPHIC, notes="its Jacobian is symmetric; no division (exact with zeros)")
_general(rt.product_of_others_jvp, "a, t, axis=None", "product_of_others_hvp(a, t, g, axis)",
         "product_of_others_jvp(a, g, axis)", None,
         jvp=("product_of_others_hvp(a, t, a_dot, axis)",
              "product_of_others_jvp(a, t_dot, axis)", None),
         shape=H.like("a", "a", "t"), complex=HOLOMORPHIC)
_PROD4 = _refused("product_of_others_hvp", "np.prod")
_general(rt.product_of_others_hvp, "a, t, s, axis=None", _PROD4,
         "product_of_others_hvp(a, g, s, axis)", "product_of_others_hvp(a, t, g, axis)", None,
         jvp=(_PROD4, "product_of_others_hvp(a, t_dot, s, axis)",
              "product_of_others_hvp(a, t, s_dot, axis)", None),
         shape=H.like("a", "a", "t", "s"), complex=HOLOMORPHIC,
         notes="the second derivative of product_of_others; a is refused (fourth derivatives "
               "of np.prod)")
_linear(rt.reverse_cumsum, "v, a, axis=None, include_initial=False",
        "np.cumulative_sum(np.ravel(g) if axis is None else g, axis=0 if axis is None else axis, "
        "include_initial=include_initial)", None, None, None, shape=H.like("a", "v"))
_CUMPROD = "cumprod_hvp(v, a, {}, axis, include_initial)"
_general(rt.cumprod_vjp, "v, p, a, axis=None, include_initial=False",
         "cumprod_tangent(a, g, axis, include_initial)", None, _CUMPROD.format("g"), None, None,
         jvp=("cumprod_vjp(v_dot, p, a, axis, include_initial)", None,
              _CUMPROD.format("a_dot"), None, None), shape=H.like("a", inexact=True),
         notes="p is np.cumprod(a), which a's rule follows; exact where elements are zero")
_general(rt.cumprod_tangent, "a, t, axis=None, include_initial=False",
         "cumprod_hvp(g, a, t, axis, include_initial)",
         "cumprod_vjp(g, np.cumulative_prod(np.ravel(a) if axis is None else a, axis=0 if axis "
         "is None else axis, include_initial=include_initial), a, axis, include_initial)",
         None, None, jvp=("cumprod_jvp2(a, t, a_dot, axis, include_initial)",
                          "cumprod_tangent(a, t_dot, axis, include_initial)", None, None),
         shape=H.cumulative, notes="np.cumprod's tangent")
_general(rt.cumprod_jvp2, "a, t, s, axis=None, include_initial=False",
         cumprod_gradient("g", "a", "t", "s"), "cumprod_hvp(g, a, s, axis, include_initial)",
         "cumprod_hvp(g, a, t, axis, include_initial)", None, None,
         jvp=(cumprod_derivative("a", "t", "s", "a_dot"),
              "cumprod_jvp2(a, t_dot, s, axis, include_initial)",
              "cumprod_jvp2(a, t, s_dot, axis, include_initial)", None, None),
         shape=H.cumulative, notes="np.cumprod's second derivative; its derivatives in a are "
                                   "those of dual_cumprod, of every order")
_general(rt.cumprod_hvp, "v, a, t, axis=None, include_initial=False",
         "cumprod_jvp2(a, g, t, axis, include_initial)", cumprod_gradient("v", "a", "t", "g"),
         "cumprod_hvp(v, a, g, axis, include_initial)", None, None,
         jvp=("cumprod_hvp(v_dot, a, t, axis, include_initial)",
              cumprod_gradient("v", "a", "t", "a_dot"),
              "cumprod_hvp(v, a, t_dot, axis, include_initial)", None, None),
         shape=H.like("a", inexact=True), notes="its derivatives in a are those of "
                                                "dual_cumprod_vjp, of every order")
_NORM = "ord, axis, keepdims, vector"
_general(rt.norm_vjp, "v, r, x, ord=None, axis=None, keepdims=False, vector=False",
         f"norm_tangent(x, g, r, {_NORM})", None, f"norm_hvp(v, r, x, g, {_NORM})", None, None,
         None, None,
         jvp=(f"norm_vjp(v_dot, r, x, {_NORM})", None, f"norm_hvp(v, r, x, x_dot, {_NORM})",
              None, None, None, None), shape=H.like("x", inexact=True),
         notes="r is the norm of x, which x's rule follows")
_NORM3 = _refused("norm_tangent", "a norm")
_general(rt.norm_tangent, "x, t, r, ord=None, axis=None, keepdims=False, vector=False",
         f"norm_hvp(g, r, x, t, {_NORM})", f"norm_vjp(g, r, x, {_NORM})", None, None, None, None,
         None, jvp=(_NORM3, f"norm_tangent(x, t_dot, r, {_NORM})", None, None, None, None, None),
         shape=H.like("r", "x", "t", inexact=True),
         notes="r is the norm of x; x's tangent is refused")
_NORM4 = _refused("norm_hvp", "a norm")
_general(rt.norm_hvp, "v, r, x, t, ord=None, axis=None, keepdims=False, vector=False",
         _NORM4, None, _NORM4, f"norm_hvp(v, r, x, g, {_NORM})", None, None, None, None,
         jvp=(f"norm_hvp(v_dot, r, x, t, {_NORM})", None, _NORM4,
              f"norm_hvp(v, r, x, t_dot, {_NORM})", None, None, None, None),
         shape=H.like("x", inexact=True), notes="v and x are refused")
_AVERAGE = "axis, keepdims, wrt"
_AVERAGE_SHAPE = H.chosen("wrt", "a", {"a": H.like("a", inexact=True),
                                       "weights": H.like("weights", inexact=True)})
_general(rt.average_vjp, "v, r, a, weights, axis=None, keepdims=False, wrt='a'",
         *[f"average_vjp_vjp(g, v, r, a, weights, {_AVERAGE}, {of!r})"
           for of in ("g", "ans", "a", "weights")], None, None, None,
         jvp=(f"average_vjp(v_dot, r, a, weights, {_AVERAGE})",
              f"average_vjp_jvp(v, r, a, weights, {_AVERAGE}, d_ans=r_dot)",
              f"average_vjp_jvp(v, r, a, weights, {_AVERAGE}, d_a=a_dot)",
              f"average_vjp_jvp(v, r, a, weights, {_AVERAGE}, d_weights=weights_dot)",
              None, None, None), shape=_AVERAGE_SHAPE,
         notes="r is the average, an argument of its own in the weights' adjoint")
_AVERAGE3 = _refused("average_vjp_jvp", "np.average")
_TANGENTS = "d_ans, d_a, d_weights"
_general(rt.average_vjp_jvp, "v, r, a, weights, axis=None, keepdims=False, wrt='a', d_ans=0.0, "
         "d_a=0.0, d_weights=0.0", _AVERAGE3, _AVERAGE3, _AVERAGE3, _AVERAGE3, None, None, None,
         *[f"average_vjp_vjp(g, v, r, a, weights, {_AVERAGE}, {of!r})"
           for of in ("ans", "a", "weights")],
         jvp=(f"average_vjp_jvp(v_dot, r, a, weights, {_AVERAGE}, {_TANGENTS})", _AVERAGE3,
              _AVERAGE3, _AVERAGE3, None, None, None,
              f"average_vjp_jvp(v, r, a, weights, {_AVERAGE}, d_ans=d_ans_dot)",
              f"average_vjp_jvp(v, r, a, weights, {_AVERAGE}, d_a=d_a_dot)",
              f"average_vjp_jvp(v, r, a, weights, {_AVERAGE}, d_weights=d_weights_dot)"),
         shape=_AVERAGE_SHAPE, notes="linear in v and in the tangents; the rest is refused")
_general(rt.average_vjp_vjp, "h, v, r, a, weights, axis=None, keepdims=False, wrt='a', of='g'",
         f"average_vjp(g, r, a, weights, {_AVERAGE}) if of == 'g' else average_vjp_jvp(v, r, a, "
         f"weights, {_AVERAGE}, g if of == 'ans' else 0.0, g if of == 'a' else 0.0, "
         "g if of == 'weights' else 0.0)", _AVERAGE3, _AVERAGE3, _AVERAGE3, _AVERAGE3, None,
         None, None, None,
         jvp=(f"average_vjp_vjp(h_dot, v, r, a, weights, {_AVERAGE}, of)", _AVERAGE3, _AVERAGE3,
              _AVERAGE3, _AVERAGE3, None, None, None, None),
         shape=H.chosen("of", "g", {"g": H.like("v", inexact=True),
                                    "ans": H.like("r", inexact=True),
                                    "a": H.like("a", inexact=True),
                                    "weights": H.like("weights", inexact=True)}),
         notes="linear in h; the rest is refused")


# moving elements

_linear(rt.untile, "v, a, reps", "np.tile(g, reps)", None, None, shape=H.like("a", "v"))
_linear(rt.unrepeat, "v, a, repeats, axis=None", "np.repeat(g, repeats, axis)", None, None,
        None, shape=H.like("a", "v"))
_linear(rt.unpad, "v, pad_width", "np.pad(g, pad_width)", None, views=True, shape=H.unpadded)
_linear(rt.untake, "v, a, indices, axis=None", "np.take(g, indices, axis)", None, None, None,
        shape=H.like("a", "v", "a"))
_linear(rt.untake_along_axis, "v, arr, indices, axis=-1", "np.take_along_axis(g, indices, axis)",
        None, None, None, shape=H.like("arr", "v", "arr"))
_linear(rt.unsort, "v, a, axis=-1", "sort_like(g, a, axis)", None, None,
        shape=H.chosen("axis", -1, {None: H.like("a", "v")}, H.like("v")))
_linear(rt.sort_like, "h, a, axis=-1", "unsort(g, a, axis)", None, None, shape=H.sorted_like,
        notes="h in the order that sorts a (the sort's tangent)")
_linear(rt.undiagonal, "v, a, offset=0, axis1=0, axis2=1", "np.diagonal(g, offset, axis1, axis2)",
        None, None, None, None, shape=H.like("a", "v", "a"))
_linear(rt.untrace, "v, a, offset=0, axis1=0, axis2=1", "np.trace(g, offset, axis1, axis2)",
        None, None, None, None, shape=H.like("a", "v", "a"))
_inactive(rt.eye_like, "a, offset=0", shape=H.like("a"), notes="np.trace's adjoint is g times it")
_linear(rt.diff_vjp, "v, a, n=1, axis=-1", "np.diff(g, n, axis)", None, None, None,
        shape=H.like("a", "v", "a"))
_linear(rt.pad_to_full, "v, a, w, mode", "cut_from_full(g, a, w, mode)", None, None, None,
        views=("v",), shape=H.convolution("a", "w", "v"))
_linear(rt.cut_from_full, "h, a, v, mode", "pad_to_full(g, a, v, mode)", None, None, None,
        views=("h",), shape=H.convolution("a", "v", "h"))


# products and linear algebra: helpers that cast their result to a real operand's dtype
# (tensordot_lhs_vjp(g, a, b) for a real a) are not holomorphic there, and refuse complex
# operands

_COMPLEX = {"np.matmul": HOLOMORPHIC, "np.dot": None, "np.inner": None}

for _lhs, _rhs, _product in ((rt.matmul_lhs_vjp, rt.matmul_rhs_vjp, "np.matmul"),
                             (rt.dot_lhs_vjp, rt.dot_rhs_vjp, "np.dot"),
                             (rt.inner_lhs_vjp, rt.inner_rhs_vjp, "np.inner")):
    _multilinear(_lhs, "v, a, b", f"{_product}(g, b)", None, f"{_rhs.__name__}(v, g, b)",
                 linear_in=("v", "b"), shape=H.like("a", "v", "b"), complex=_COMPLEX[_product],
                 notes=f"a's adjoint in {_product}(a, b), linear in v and b; a gives a shape")
    _multilinear(_rhs, "v, a, b", f"{_product}(a, g)", f"{_lhs.__name__}(v, a, g)", None,
                 linear_in=("v", "a"), shape=H.like("b", "v", "a"), complex=_COMPLEX[_product],
                 notes=f"b's adjoint in {_product}(a, b), linear in v and a; b gives a shape")
_multilinear(rt.tensordot_lhs_vjp, "v, a, b, axes=2", "np.tensordot(g, b, axes)", None,
             "tensordot_rhs_vjp(v, g, b, axes)", None, linear_in=("v", "b"), shape=H.like("a"),
             complex=None)
_multilinear(rt.tensordot_rhs_vjp, "v, a, b, axes=2", "np.tensordot(a, g, axes)",
             "tensordot_lhs_vjp(v, a, g, axes)", None, None, linear_in=("v", "a"),
             shape=H.like("b"), complex=None)
_general(rt.kron_vjp, "v, a, b, wrt='a'", "np.kron(g, b) if wrt == 'a' else np.kron(a, g)",
         "kron_vjp(v, a, g, 'a') if wrt == 'b' else np.zeros_like(a)",
         "kron_vjp(v, g, b, 'b') if wrt == 'a' else np.zeros_like(b)", None,
         jvp=("kron_vjp(v_dot, a, b, wrt)",
              "kron_vjp(v, a_dot, b, wrt) if wrt == 'b' else 0.0 * ans",
              "kron_vjp(v, a, b_dot, wrt) if wrt == 'a' else 0.0 * ans", None),
         shape=H.chosen("wrt", "a", {"a": H.like("a"), "b": H.like("b")}),
         notes="linear in v and in the operand other than wrt")
_SOLVE3 = _refused("the solve helpers", "np.linalg.solve")
_general(rt.solve_rhs_vjp, "v, a, b", "np.linalg.solve(a, g)",
         "solve_lhs_vjp(v, np.linalg.solve(a, g), a, b)", None,
         jvp=("solve_rhs_vjp(v_dot, a, b)", "solve_rhs_vjp_jvp(v, a, b, a_dot)", None),
         shape=H.like("b", "v", "a"), domain={"a": "invertible"}, complex=HOLOMORPHIC)
_general(rt.solve_rhs_vjp_jvp, "v, a, b, t", _SOLVE3, _SOLVE3, None,
         "solve_lhs_vjp(v, np.linalg.solve(a, g), a, b)",
         jvp=("solve_rhs_vjp_jvp(v_dot, a, b, t)", _SOLVE3, None,
              "solve_rhs_vjp_jvp(v, a, b, t_dot)"),
         shape=H.like("b", "v", "a", "t"), domain={"a": "invertible"}, complex=HOLOMORPHIC,
         notes="v and a are refused")
_general(rt.solve_lhs_vjp, "v, p, a, b", *[f"solve_lhs_vjp_vjp(g, v, p, a, b, {of!r})"
                                          for of in ("g", "ans", "a")], None,
         jvp=("solve_lhs_vjp(v_dot, p, a, b)", "solve_lhs_vjp(v, p_dot, a, b)",
              "solve_lhs_vjp_jvp(v, p, a, b, a_dot)", None),
         shape=H.like("a", "v", "p", "a"), domain={"a": "invertible"}, complex=HOLOMORPHIC,
         notes="p is the solution, an argument of its own: the adjoint is linear in it")
_general(rt.solve_lhs_vjp_jvp, "v, p, a, b, t", _SOLVE3, _SOLVE3, _SOLVE3, None,
         "solve_lhs_vjp_vjp(g, v, p, a, b, 'a')",
         jvp=("solve_lhs_vjp_jvp(v_dot, p, a, b, t)", "solve_lhs_vjp_jvp(v, p_dot, a, b, t)",
              _SOLVE3, None, "solve_lhs_vjp_jvp(v, p, a, b, t_dot)"),
         shape=H.like("a", "v", "p", "a", "t"), domain={"a": "invertible"},
         complex=HOLOMORPHIC, notes="v, p and a are refused")
_general(rt.solve_lhs_vjp_vjp, "h, v, p, a, b, of='g'",
         "solve_lhs_vjp(g, p, a, b) if of == 'g' else solve_lhs_vjp(v, g, a, b) if of == 'ans' "
         "else solve_lhs_vjp_jvp(v, p, a, b, g)", _SOLVE3, _SOLVE3, _SOLVE3, None, None,
         jvp=("solve_lhs_vjp_vjp(h_dot, v, p, a, b, of)", _SOLVE3, _SOLVE3, _SOLVE3, None,
              None),
         shape=H.chosen("of", "g", {"g": H.like("v", "v", "h"), "ans": H.like("p", "p", "h"),
                                    "a": H.like("a", "a", "h")}),
         domain={"a": "invertible"}, complex=HOLOMORPHIC, notes="v, p and a are refused")

def _second_power(a, t, s):
    """The second derivative of ``matrix_power(a, n)`` along ``t`` and ``s``: the top right
    block of the derivative of the power of ``power_block(a, t)``."""
    return (f"top_right(matrix_power_tangent(power_block({a}, {t}), "
            f"power_block({s}, 0.0 * {t}), n))")


def _third_power(a, t, s, r):
    """Its third derivative, along ``t``, ``s`` and ``r``: the second derivative's, of blocks."""
    second = _second_power(f"power_block({a}, {t})", f"power_block({s}, 0.0 * {t})",
                           f"power_block({r}, 0.0 * {t})")
    return f"top_right({second})"


_AT = "np.matrix_transpose"
_general(rt.matrix_power_vjp, "v, a, n", "matrix_power_tangent(a, g, n)",
         "matrix_power_hvp(v, a, g, n)", None,
         jvp=("matrix_power_vjp(v_dot, a, n)", "matrix_power_hvp(v, a, a_dot, n)", None),
         shape=H.like("a", "a", "v"), domain={"a": "invertible", "n": "int"})
_general(rt.matrix_power_tangent, "a, t, n", "matrix_power_hvp(g, a, t, n)",
         "matrix_power_vjp(g, a, n)", None,
         jvp=(_second_power("a", "t", "a_dot"), "matrix_power_tangent(a, t_dot, n)", None),
         shape=H.like("a", "a", "t"), domain={"a": "invertible", "n": "int"},
         notes="its derivatives of every order are derivatives of powers of power_block(a, t)")
_general(rt.matrix_power_hvp, "v, a, t, n", _second_power("a", "g", "t"),
         _third_power(f"{_AT}(a)", "v", f"{_AT}(t)", f"{_AT}(g)"),
         "matrix_power_hvp(v, a, g, n)", None,
         jvp=("matrix_power_hvp(v_dot, a, t, n)",
              _third_power(f"{_AT}(a)", "v", f"{_AT}(t)", f"{_AT}(a_dot)"),
              "matrix_power_hvp(v, a, t_dot, n)", None),
         shape=H.like("a", "a", "v", "t"), domain={"a": "invertible", "n": "int"},
         notes="the Hessian of sum(v * matrix_power(a, n)) times t; symmetric in t and the "
               "adjoint, and its derivative in a is symmetric too")
_general(rt.power_block, "a, t", "unbroadcast(diagonal_blocks(g), a)",
         "unbroadcast(top_right(g), t)",
         jvp=("power_block(a_dot, 0.0 * t)", "power_block(0.0 * a, t_dot)"),
         shape=H.blocks("a", "t", scale=2), complex=HOLOMORPHIC,
         notes="[[a, t], [0, a]]: linear in a and t together")
_linear(rt.top_right, "x", "power_block(0.0 * g, g)", shape=H.blocks("x", scale=0.5), views=True,
        notes="the top right block; its adjoint is the block matrix with g there alone")
_linear(rt.diagonal_blocks, "x", "power_block(g, 0.0 * g)", shape=H.blocks("x", scale=0.5),
        notes="the sum of the diagonal blocks; its adjoint repeats g on the diagonal")
_general(rt.polyval_derivative, "p, x, order=1", "polyval_coefficients_vjp(g, p, x, order)",
         "g * polyval_derivative(p, x, order + 1)", None,
         jvp=("polyval_derivative(p_dot, x, order)",
              "x_dot * polyval_derivative(p, x, order + 1)", None), shape=H.cast_to("x"),
         notes="the derivative of the given order of the polynomial p at x")
_general(rt.polyval_coefficients_vjp, "v, p, x, order=0", "polyval_derivative(g, x, order)",
         None, "v * polyval_derivative(g, x, order + 1)", None,
         jvp=("polyval_coefficients_vjp(v_dot, p, x, order)", None,
              "polyval_coefficients_vjp(v * x_dot, p, x, order + 1)", None),
         shape=H.cast_to("p"), notes="linear in v; p gives a shape")
_linear(rt.linspace_vjp, "v, start, stop, num, endpoint=True, wrt='start'",
        "np.linspace(g, np.zeros_like(stop), num, endpoint) if wrt == 'start' else "
        "np.linspace(np.zeros_like(start), g, num, endpoint)", None, None, None, None, None,
        shape=H.chosen("wrt", "start", {"start": H.cast_to("start"), "stop": H.cast_to("stop")}),
        complex=None, notes="linear in v")


# containers

_inactive(rt.zeros_like_tree, "x", shape=H.tree("x"))
_multilinear(rt.one_hot, "x, key, v", None, None, "g[key]", linear_in=("v",),
             shape=H.one_hot_result)
_general(rt.add_tree, "a, b", "g", "g", jvp=("a_dot", "b_dot"), shape=H.joined,
         complex=HOLOMORPHIC, notes="tangents of containers add element by element")
_linear(rt.spread, "v, items", "unspread(g, v)", None, shape=H.spread_result, complex=None,
        notes="complex v is refused: an array of items casts it to theirs")
_linear(rt.unspread, "items, like", "spread(g, items)", None, shape=H.unspread_result,
        notes="the sum of items (of an array's rows)")
_linear(rt.split_like, "v, arrays, axis=0", "np.concatenate(g, axis)", None, None,
        shape=H.pieces)
_linear(rt.unstack_like, "v, arrays, axis=0", "np.stack(g, axis)", None, None, shape=H.pieces)
_linear(rt.split_hstack, "v, arrays", "np.hstack(g)", None, shape=H.pieces)
_linear(rt.split_vstack, "v, arrays", "np.vstack(g)", None, shape=H.pieces)
_linear(rt.unarray, "v, items", "np.array(g)", None, shape=H.unarrayed)
_linear(rt.cast_tree, "v, like", "cast_tree(g, v)", None, views=("v",), shape=H.cast_tree_result)
_inactive(rt.einsum_labels, "subscripts, ndims", shape=H.labels)
