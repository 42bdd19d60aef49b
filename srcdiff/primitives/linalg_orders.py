"""The helpers behind the derivatives of ``np.linalg.cholesky`` and ``np.linalg.det``, with
rules that reach derivatives of higher order (see :mod:`srcdiff.runtime.linalg_orders`).

The Cholesky helpers form a family closed under differentiation. With ``Li = inv(L)`` and
``S = from_lower(t)``, ``cholesky_tangent(L, t) = L Phi(Li S Li^T)`` moves along ``D`` by
``D Li C - cholesky_tangent(L, M + M^T)`` (``C`` the tangent itself, ``M = D Li S``), and
``cholesky_vjp(v, L) = onto_lower(R)``, ``R = Li^T Phi(L^T v) Li``, by
``cholesky_vjp(Li^T D^T v, L) - onto_lower(Li^T D^T R + R D Li)``; their adjoints in ``L``
are the transposes of those maps. Every template is made of the two helpers, ``inv``,
products and the linear maps ``lower_halved`` (Phi), ``from_lower`` and ``onto_lower``,
all of which have rules again: derivatives of every order follow. ``cholesky_jvp(t, L)``,
which forward mode calls, is ``cholesky_tangent(L, t)`` with its arguments swapped.

The adjugate's derivatives are its mixed derivatives along one, two and three directions
(``adjugate_jvp``, ``adjugate_jvp2``, ``adjugate_jvp3``), symmetric and multilinear in the
directions, so the adjoint of a direction is the same helper with ``g.T`` in its place, and
the derivative in the matrix is the helper of the next order: derivatives of ``det`` up to
the fourth. The fifth (``adjugate_jvp3``'s derivative in the matrix) is refused.
"""

from .. import runtime as rt
from . import helper_results as H
from .families import linear
from .registry import GENERAL, HOLOMORPHIC, Refusal, declare


def _name(fn):
    return f"srcdiff.runtime.{fn.__name__}"


def _general(fn, signature, *vjps, jvp, shape, **options):
    declare(fn, signature, *vjps, kind=GENERAL, name=_name(fn), jvp=jvp, shape=shape,
            **options)


def _linear(fn, signature, vjp, *, shape, **options):
    linear(fn, signature, vjp, kind=GENERAL, name=_name(fn), shape=shape, complex=HOLOMORPHIC,
           **options)


def _t(x):
    return f"np.matrix_transpose({x})"


# np.linalg.cholesky

_INV = "np.linalg.inv(L)"
_INV_T = _t(_INV)


def _tangent_slope(tangent, direction):
    """The derivative of ``cholesky_tangent(L, direction)`` in ``L`` along ``L_dot``, the
    tangent itself written ``tangent`` (a call of ``cholesky_tangent`` or ``cholesky_jvp``
    whose direction is replaced by ``{}``)."""
    m = f"L_dot @ {_INV} @ from_lower({direction})"
    return (f"L_dot @ {_INV} @ {tangent.format(direction)} - "
            f"{tangent.format(f'{m} + {_t(m)}')}")


def _tangent_adjoint(tangent, direction):
    """The adjoint in ``L`` of ``cholesky_tangent(L, direction)`` for the adjoint ``g``."""
    w = "cholesky_vjp(g, L)"
    return (f"g @ {_t(tangent.format(direction))} @ {_INV_T} - "
            f"({w} + {_t(w)}) @ from_lower({direction}) @ {_INV_T}")


_R = f"{_INV_T} @ lower_halved({_t('L')} @ v) @ {_INV}"
_SHAPE_TANGENT = H.like("L", "L", "t")
_general(rt.cholesky_tangent, "L, t", _tangent_adjoint("cholesky_tangent(L, {})", "t"),
         "cholesky_vjp(g, L)",
         jvp=(_tangent_slope("cholesky_tangent(L, {})", "t"), "cholesky_tangent(L, t_dot)"),
         shape=_SHAPE_TANGENT, domain={"L": "invertible"},
         notes="np.linalg.cholesky's tangent L Phi(L^-1 S L^-T), S the symmetric matrix of t's "
               "lower triangle; its derivatives are again made of this family")
_general(rt.cholesky_vjp, "v, L", "cholesky_tangent(L, g)",
         f"v @ {_t('cholesky_tangent(L, g)')} @ {_INV_T} - "
         f"({_R} + {_t(_R)}) @ from_lower(g) @ {_INV_T}",
         jvp=("cholesky_vjp(v_dot, L)",
              f"cholesky_vjp({_INV_T} @ {_t('L_dot')} @ v, L) - "
              f"onto_lower({_INV_T} @ {_t('L_dot')} @ {_R} + {_R} @ L_dot @ {_INV})"),
         shape=H.like("L", "L", "v"), domain={"L": "invertible"},
         notes="L is the factor, whose every entry the formula reads; its derivatives are "
               "again made of this family")
_general(rt.cholesky_jvp, "t, L", "cholesky_vjp(g, L)",
         _tangent_adjoint("cholesky_jvp({}, L)", "t"),
         jvp=("cholesky_jvp(t_dot, L)", _tangent_slope("cholesky_jvp({}, L)", "t")),
         shape=_SHAPE_TANGENT, domain={"L": "invertible"},
         notes="np.linalg.cholesky's tangent at the factor L (forward mode's): "
               "cholesky_tangent(L, t)")
_linear(rt.lower_halved, "x", "lower_halved(g)", shape=H.like("x"),
        notes="Phi: the lower triangle with the diagonal halved, a mask (its own adjoint)")
_linear(rt.from_lower, "t", "onto_lower(g)", shape=H.like("t"),
        notes="the symmetric matrix of t's lower triangle")
_linear(rt.onto_lower, "s", "from_lower(g)", shape=H.like("s"),
        notes="from_lower's adjoint: s + s.T below the diagonal, s's diagonal on it")


# np.linalg.det

def _swapped(x):
    return f"np.swapaxes({x}, -1, -2)"


def _adjugate(order, *directions):
    name = "adjugate_jvp" + (str(order) if order > 1 else "")
    return f"{name}(a, {', '.join(directions)})"


def _replaced(directions, k, value):
    return [value if j == k else d for j, d in enumerate(directions)]


_FIFTH = Refusal("the derivative of adjugate_jvp3 in the matrix that this would need is not "
                 "supported (a derivative of order five or more through np.linalg.det)",
                 "differentiate fewer times, or write the computation out")
_general(rt.adjugate, "a", _swapped(_adjugate(1, _swapped("g"))),
         jvp=(_adjugate(1, "a_dot"),), shape=H.like("a"), domain={"a": "invertible"},
         complex=HOLOMORPHIC,
         notes="its derivatives come from det's in the SVD's bases, exact for singular "
               "matrices too")
for _order, _directions in ((1, ("t",)), (2, ("t", "s")), (3, ("t", "s", "r"))):
    _fn = getattr(rt, "adjugate_jvp" + (str(_order) if _order > 1 else ""))
    _next = (_swapped(_adjugate(_order + 1, *_directions, _swapped("g"))),
             _adjugate(_order + 1, *_directions, "a_dot")) if _order < 3 else (_FIFTH, _FIFTH)
    _general(_fn, ", ".join(("a",) + _directions),
             _next[0], *[_swapped(_adjugate(_order, *_replaced(_directions, k, _swapped("g"))))
                         for k in range(_order)],
             jvp=(_next[1], *[_adjugate(_order, *_replaced(_directions, k, f"{d}_dot"))
                              for k, d in enumerate(_directions)]),
             shape=H.like("a", "a", *_directions), domain={"a": "invertible"},
             complex=HOLOMORPHIC,
             notes=f"the derivative of order {_order} of adjugate(a) along "
                   f"{', '.join(_directions)}: symmetric and linear in each"
                   + ("; a is refused (a fifth derivative of det)" if _order == 3 else ""))
