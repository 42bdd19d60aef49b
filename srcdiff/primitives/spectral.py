"""The rules of the helpers that the derivatives of ``np.linalg.eigvalsh``,
``np.linalg.svdvals`` and the matrix norms built on singular values call, in both modes:
derivatives of every order.

The first and second derivatives keep their own helpers, whose text reads as what they are
(``eigvalsh_vjp``, ``eigvalsh_tangent``, ``eigvalsh_hvp``, forward mode's ``eigvalsh_jvp``
and ``eigvalsh_jvp2``, and the same for ``svdvals``). Their derivatives are second
derivatives where one exists among them (the adjoint of ``eigvalsh_tangent`` in ``a`` is
``eigvalsh_hvp``, the Hessian being symmetric), and otherwise calls of the family of
:mod:`srcdiff.runtime.spectral`: ``eigvalsh_derivative(b, order)``, the derivative of the
given order with its point and directions packed in the block matrix ``b`` by nested
``power_block`` calls, and ``eigvalsh_derivative_vjp(v, b, order)``, the adjoint of that in
``b``. The family is closed: the derivative of either along ``b_dot`` is one of them at
``power_block(b, b_dot)`` one order up (``diagonal_blocks`` taking the adjoint back to
``b``), as ``matrix_power``'s derivatives are powers of blocks of blocks. The matrix norms
``'nuc'``, 2 and -2 are ``svdvals_derivative`` with a ``norm``: the user-facing norm rule
calls that family from the first derivative on.
"""

from .. import runtime as rt
from . import helper_results as H
from .registry import GENERAL, declare


def _name(fn):
    return f"srcdiff.runtime.{fn.__name__}"


def _general(fn, signature, *vjps, jvp, shape, **options):
    declare(fn, signature, *vjps, kind=GENERAL, name=_name(fn), jvp=jvp, shape=shape,
            **options)


def _packed(point, *directions):
    """The text of ``power_block`` calls packing ``point`` and ``directions`` (each made a
    block of the depth reached so far, with zeros for the products it is not in)."""
    packed = point
    for depth, direction in enumerate(directions):
        lifted = direction
        for _ in range(depth):
            lifted = f"power_block({lifted}, 0.0 * {lifted})"
        packed = f"power_block({packed}, {lifted})"
    return packed


def _at_point(text, depth):
    """The adjoint in the point of a packed matrix, from that in the packed matrix."""
    for _ in range(depth):
        text = f"diagonal_blocks({text})"
    return text


def _spectral(helper, a, tail, domain, notes):
    """The rules of the first and second derivatives' helpers of ``eigvalsh`` (``helper``
    "eigvalsh", matrix ``a``, ``tail`` ", UPLO") or ``svdvals`` ("svdvals", "x", "")."""
    vjp, tangent, hvp, jvp, jvp2 = (getattr(rt, f"{helper}_{name}") for name in (
        "vjp", "tangent", "hvp", "jvp", "jvp2"))
    derivative, derivative_vjp = f"{helper}_derivative", f"{helper}_derivative_vjp"
    options = dict(domain=domain) if domain else {}
    upper = ", UPLO='L'" if tail else ""
    none = (None,) if tail else ()
    values = H.eigenvalues if tail else H.singular_values
    its = f"np.linalg.{helper}'" + ("s" if tail else "")

    def third(v, *directions):
        return _at_point(f"{derivative_vjp}({v}, {_packed(a, *directions)}, 2{tail})", 2)

    _general(vjp, f"v, {a}{upper}", f"{helper}_tangent({a}, g{tail})",
             f"{helper}_hvp(v, {a}, g{tail})", *none,
             jvp=(f"{helper}_vjp(v_dot, {a}{tail})", f"{helper}_hvp(v, {a}, {a}_dot{tail})",
                  *none),
             shape=H.like(a, a, "v"), notes=notes, **options)
    _general(tangent, f"{a}, t{upper}", f"{helper}_hvp(g, {a}, t{tail})",
             f"{helper}_vjp(g, {a}{tail})", *none,
             jvp=(f"{helper}_jvp2({a}, t, {a}_dot{tail})", f"{helper}_tangent({a}, t_dot{tail})",
                  *none),
             shape=values, notes=f"{its} tangent", **options)
    _general(hvp, f"v, {a}, t{upper}", f"{helper}_jvp2({a}, t, g{tail})", third("v", "t", "g"),
             f"{helper}_hvp(v, {a}, g{tail})", *none,
             jvp=(f"{helper}_hvp(v_dot, {a}, t{tail})", third("v", "t", f"{a}_dot"),
                  f"{helper}_hvp(v, {a}, t_dot{tail})", *none),
             shape=H.like(a, a, "v", "t"), **options,
             notes=f"the Hessian of sum(v * {helper}({a})) times t; its derivative in {a} is a "
                   f"third derivative, of the family of {derivative}")
    _general(jvp, f"t, {a}{upper}", f"{helper}_vjp(g, {a}{tail})", f"{helper}_hvp(g, {a}, t{tail})",
             *none,
             jvp=(f"{helper}_jvp(t_dot, {a}{tail})", f"{helper}_jvp2({a}, t, {a}_dot{tail})",
                  *none),
             shape=values, notes=f"{its} tangent in forward mode", **options)
    _general(jvp2, f"{a}, t, s{upper}", third("g", "t", "s"), f"{helper}_hvp(g, {a}, s{tail})",
             f"{helper}_hvp(g, {a}, t{tail})", *none,
             jvp=(f"{derivative}({_packed(a, 't', 's', f'{a}_dot')}, 3{tail})",
                  f"{helper}_jvp2({a}, t_dot, s{tail})", f"{helper}_jvp2({a}, t, s_dot{tail})",
                  *none),
             shape=values, notes=f"{its} second derivative", **options)


def _family(helper, extra, signature, domain, notes):
    """``{helper}_derivative(b, order{extra})`` and its adjoint: each one's derivatives are
    the two of them at ``power_block(b, ...)``, one order up."""
    derivative, derivative_vjp = (getattr(rt, f"{helper}_{name}") for name in (
        "derivative", "derivative_vjp"))
    up = f"order + 1{extra}"
    options = dict(domain={"b": domain}) if domain else {}
    _general(derivative, f"b, order, {signature}", f"{helper}_derivative_vjp(g, b, order{extra})",
             None, None,
             jvp=(f"{helper}_derivative(power_block(b, b_dot), {up})", None, None),
             shape=H.packed_spectrum("b", singular=helper == "svdvals"), notes=notes, **options)
    _general(derivative_vjp, f"v, b, order, {signature}",
             f"{helper}_derivative(power_block(b, g), {up})",
             f"diagonal_blocks({helper}_derivative_vjp(v, power_block(b, g), {up}))", None, None,
             jvp=(f"{helper}_derivative_vjp(v_dot, b, order{extra})",
                  f"diagonal_blocks({helper}_derivative_vjp(v, power_block(b, b_dot), {up}))",
                  None, None),
             shape=H.like("b", "b", "v"), **options,
             notes="the gradient of sum(v * the derivative) in b: linear in v, and symmetric "
                   "as a Hessian is, so that its derivative in b is its adjoint")


_spectral("eigvalsh", "a", ", UPLO", {"a": "spd"}, "distinct eigenvalues")
_spectral("svdvals", "x", "", None, "distinct nonzero singular values")
_family("eigvalsh", ", UPLO", "UPLO='L'", "spd",
        "the derivative of the given order of eigvalsh, its point and directions packed in b "
        "by power_block (each matrix read from its triangle UPLO); distinct eigenvalues")
_family("svdvals", ", norm", "norm=None", "nonzero",
        "the derivative of the given order of svdvals (with norm 'nuc', 2 or -2, of that "
        "matrix norm), its point and directions packed in b by power_block; distinct "
        "nonzero singular values")
