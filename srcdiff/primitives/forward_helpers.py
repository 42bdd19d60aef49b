"""The helpers that forward-mode code calls (the tangents of ``np.cumprod``, the norms,
``np.average``'s weights, the decompositions and ``np.linalg.matrix_power``, and the joins
of lists' tangents): their own derivatives, so that a forward derivative can be
differentiated again (``srcdiff.jvp`` or ``srcdiff.vjp`` of what ``value_and_tangent``
makes).

Each helper is linear in the tangent it carries, its first parameter: the tangent of that
is the helper applied to the new tangent, and its adjoint the reverse-mode helper of the
same primitive (``eigvalsh_vjp`` for ``eigvalsh_jvp``), of which it is the transpose. Its
derivative in the operand is a second derivative of the primitive in two directions,
symmetric in them: the adjoint is the Hessian-vector product the reverse-mode rules already
call (``matrix_power_hvp``), the tangent a helper of
:mod:`srcdiff.runtime.forward_derivatives` (``matrix_power_jvp2``) whose own derivative in
the operand is refused (a third derivative). The rules of ``eigvalsh_jvp``, ``svdvals_jvp``
and their second derivatives, which have derivatives of every order, are in
:mod:`.spectral`. ``average_jvp`` takes the average as an argument of its own; the joins of
tangents are linear in the tangents, the items giving only shapes. ``cholesky_jvp``, which
takes the factor ``L`` rather than the matrix, is declared with the Cholesky helpers whose
family it belongs to (:mod:`srcdiff.primitives.linalg_orders`), where derivatives of every
order are made.

As in ``helpers.py``, a parameter that holds a result computed from another argument (``p``
is ``np.cumprod(a)``, ``r`` the norm of ``x``) gets no derivative: the other argument's rule
differentiates the helper with that result following it.
"""

import numpy as np

from .. import runtime as rt
from ..ir.avals import ARRAY, OTHER, UNKNOWN_AVAL, AVal
from . import helper_results as H
from .families import linear
from .helpers import THIRD
from .registry import GENERAL, HOLOMORPHIC, Refusal, declare
from .results import shape


def _name(fn):
    return f"srcdiff.runtime.{fn.__name__}"


def _refused(what, where):
    return Refusal(THIRD.format(what, where), "differentiate fewer times, or write the "
                   "computation out")


def _general(fn, signature, *vjps, jvp, shape, **options):
    declare(fn, signature, *vjps, kind=GENERAL, name=_name(fn), jvp=jvp, shape=shape,
            **options)


def _linear(fn, signature, vjp, *rest, shape, **options):
    """A helper linear in its first parameter, the others giving only shapes."""
    linear(fn, signature, vjp, *rest, kind=GENERAL, name=_name(fn), shape=shape,
           complex=HOLOMORPHIC, **options)


def _filled(avals, bound):
    """``filled_tangents(tangents, items)``: the tangents, an array of the item's shape
    where one is None."""
    return _filled_item(avals["tangents"], avals["items"])


def _filled_item(tangent, item):
    if item.kind == OTHER and item.container and item.pytype in (list, tuple):
        if item.element is not None:
            part = tangent.element if tangent.kind == OTHER and tangent.element is not None else (
                UNKNOWN_AVAL)
            return AVal(OTHER, pytype=item.pytype, element=_filled_item(part, item.element))
        parts = tangent.items if tangent.kind == OTHER and tangent.items is not None and len(
            tangent.items) == len(item.items) else (UNKNOWN_AVAL,) * len(item.items)
        return AVal(OTHER, pytype=item.pytype,
                    items=tuple(map(_filled_item, parts, item.items)))
    if tangent.kind == OTHER and tangent.pytype is type(None):
        return AVal(ARRAY, np.dtype(float), shape(item))
    return tangent


# cumulative products, norms and weighted averages

_CUMPROD = "axis, include_initial"
_general(rt.cumprod_jvp, "t, p, a, axis=None, include_initial=False",
         f"cumprod_vjp(g, p, a, {_CUMPROD})", None, f"cumprod_hvp(g, a, t, {_CUMPROD})", None,
         None, jvp=(f"cumprod_jvp(t_dot, p, a, {_CUMPROD})", None,
                    f"cumprod_jvp2(a, t, a_dot, {_CUMPROD})", None, None),
         shape=H.like("p", "a", "t"),
         notes="np.cumprod's tangent; p is np.cumprod(a), which a's rule follows")
_NORM = "ord, axis, keepdims, vector"
_general(rt.norm_jvp, "t, r, x, ord=None, axis=None, keepdims=False, vector=False",
         f"norm_vjp(g, r, x, {_NORM})", None, f"norm_hvp(g, r, x, t, {_NORM})", None, None,
         None, None,
         jvp=(f"norm_jvp(t_dot, r, x, {_NORM})", None, f"norm_jvp2(x, t, x_dot, r, {_NORM})",
              None, None, None, None), shape=H.like("r", "x", "t"),
         notes="a norm's tangent; r is the norm of x, which x's rule follows")
_NORM3 = _refused("norm_jvp2", "a norm")
_general(rt.norm_jvp2, "x, t, s, r, ord=None, axis=None, keepdims=False, vector=False",
         _NORM3, f"norm_hvp(g, r, x, s, {_NORM})", f"norm_hvp(g, r, x, t, {_NORM})", None,
         None, None, None, None,
         jvp=(_NORM3, f"norm_jvp2(x, t_dot, s, r, {_NORM})", f"norm_jvp2(x, t, s_dot, r, {_NORM})",
              None, None, None, None, None), shape=H.like("r", "x", "t", "s"),
         notes="a norm's second derivative; x is refused")
_AVERAGE = "axis, keepdims"
_general(rt.average_jvp, "t, r, a, weights, axis=None, keepdims=False",
         f"average_vjp(g, r, a, weights, {_AVERAGE}, 'weights')",
         *[f"average_vjp_vjp(t, g, r, a, weights, {_AVERAGE}, 'weights', {of!r})"
           for of in ("ans", "a", "weights")], None, None,
         jvp=(f"average_jvp(t_dot, r, a, weights, {_AVERAGE})",
              f"average_jvp(t, r_dot, np.zeros_like(a), weights, {_AVERAGE})",
              f"average_jvp(t, np.zeros_like(r), a_dot, weights, {_AVERAGE})",
              f"-ans * average_jvp(weights_dot, np.zeros_like(r), np.ones_like(a), weights, "
              f"{_AVERAGE})", None, None),
         shape=H.like("r", "t", "a", "weights", inexact=True), domain={"weights": "positive"},
         notes="np.average's tangent in its weights, sum(t * (a - r)) / sum(weights): r is "
               "an argument of its own, and the tangents are its calls with a - r moved "
               "(linear in it) or, for the weights, -ans times the weights' relative change")


# decompositions and matrix powers

_POWER3 = _refused("matrix_power_jvp2", "np.linalg.matrix_power")
_general(rt.matrix_power_jvp, "t, a, n", "matrix_power_vjp(g, a, n)",
         "matrix_power_hvp(g, a, t, n)", None,
         jvp=("matrix_power_jvp(t_dot, a, n)", "matrix_power_jvp2(a, t, a_dot, n)", None),
         shape=H.like("a", "a", "t"), domain={"a": "invertible", "n": "int"})
_general(rt.matrix_power_jvp2, "a, t, s, n", _POWER3, "matrix_power_hvp(g, a, s, n)",
         "matrix_power_hvp(g, a, t, n)", None,
         jvp=(_POWER3, "matrix_power_jvp2(a, t_dot, s, n)", "matrix_power_jvp2(a, t, s_dot, n)",
              None), shape=H.like("a", "a", "t", "s"), domain={"a": "invertible", "n": "int"},
         notes="np.linalg.matrix_power's second derivative; a is refused")


# the tangents of lists' items, joined

_linear(rt.filled_tangents, "tangents, items", "g", None, shape=_filled,
        notes="the tangents with zeros where an item has none (an integer's None)")
_linear(rt.sum_tangents, "tangents, items, ans", "spread(g, items)", None, None,
        shape=H.cast_to("ans"),
        notes="sum's tangent: the items' tangents summed (and spread to ans's shape); the "
              "adjoint is g summed back to each item's shape")
