"""Constructors for the families of primitives, as in autograd's ``def_linear`` or JAX's
``deflinear2``/``defbilinear``: a family says what a table line need not repeat.

- ``elementwise``: a pointwise function. Its Jacobian is diagonal, so the tangent part for a
  parameter is its VJP template with the tangent in place of ``g``: ``g * np.cos(x)`` gives
  ``x_dot * np.cos(x)``, in whichever form the call selects. (Forward mode broadcasts each
  part to the result's shape, as reverse mode sums each adjoint back to its operand's.)
- ``linear``: linear in its first parameter, the others constant (a reshape, a transpose,
  a sum): the tangent is the primitive applied to the tangent, ``np.transpose(a_dot, axes)``.
- ``bilinear``: linear in each of its two operands (a product): the tangent parts are
  ``f(a_dot, b)`` and ``f(a, b_dot)``.
- ``multilinear``: linear in each of the parameters it names, wherever they stand, the others
  constant (a runtime helper such as ``matmul_lhs_vjp(g, a, b)``, linear in ``g`` and ``b``,
  ``a`` giving only a shape): the tangent parts are the calls with one of them replaced.
- ``zero_derivative``: nothing flows through it (a comparison, ``np.floor``, a shape).

The tangent templates fill the JVP slot of the primitive protocol, which forward mode reads;
each constructor ends in :func:`srcdiff.primitives.registry.declare`.
"""

from __future__ import annotations

import re

from .protocol import AppliedText
from .registry import ELEMENTWISE, NONDIFF, SCALAR, TRANSPOSED, RuleError, declare

_MODULES = (("numpy.linalg.", "np.linalg."), ("numpy.", "np."), ("math.", "math."),
            ("srcdiff.runtime.", ""))


def elementwise(fn, signature, *vjps, kind=ELEMENTWISE, **options):
    if kind not in (ELEMENTWISE, SCALAR):
        raise RuleError(f"an elementwise primitive is {ELEMENTWISE} or {SCALAR}, not {kind}")
    return declare(fn, signature, *vjps, kind=kind, jvp=TRANSPOSED, **options)


def zero_derivative(fn, signature, **options):
    return declare(fn, signature, kind=NONDIFF, jvp=_none, **options)


def _none(parsed):
    return (None,) * len(parsed.params)


def linear(fn, signature, vjp, *constants, name, **options):
    """``vjp`` is the first parameter's; ``constants`` (None) stand for the others."""
    if any(c is not None for c in constants):
        raise RuleError(f"{name}: a linear primitive differentiates its first parameter only")

    def jvp(parsed):
        first = parsed.params[0]
        return (AppliedText(_spelled(name, parsed, {first: f"{first}_dot"})),) + (
            None,) * len(constants)
    return declare(fn, signature, vjp, *constants, name=name, jvp=jvp, **options)


def bilinear(fn, signature, vjp_a, vjp_b, *constants, name, **options):
    def jvp(parsed):
        a, b = parsed.params[:2]
        return (_spelled(name, parsed, {a: f"{a}_dot"}), _spelled(name, parsed, {b: f"{b}_dot"})
                ) + (None,) * len(constants)
    return declare(fn, signature, vjp_a, vjp_b, *constants, name=name, jvp=jvp, **options)


def multilinear(fn, signature, *vjps, linear_in, name, **options):
    """``vjps`` one per parameter (None for those with no adjoint); the function is linear
    in each parameter of ``linear_in`` apart, the others held."""
    def jvp(parsed):
        unknown = set(linear_in) - set(parsed.params)
        if unknown:
            raise RuleError(f"{name}: no parameters {sorted(unknown)}")
        return tuple(_spelled(name, parsed, {p: f"{p}_dot"}) if p in linear_in else None
                     for p in parsed.params)
    return declare(fn, signature, *vjps, name=name, jvp=jvp, **options)


def _spelled(name, parsed, replaced):
    """The call of the primitive as template text, with some parameters replaced: an
    operator by its rule name (``a @ b``), a function by its module (``np.reshape(a,
    shape)``, a runtime helper by its bare name; keyword-only parameters by keyword)."""
    if not any(name.startswith(prefix) for prefix, _ in _MODULES):
        return re.sub(r"\b\w+\b", lambda m: replaced.get(m.group(), m.group()), name)
    for prefix, spelling in _MODULES:
        if name.startswith(prefix):
            function = spelling + name[len(prefix):]
            break
    args = [replaced.get(p, p) for p in parsed.params[:parsed.positional]]
    args += [f"{p}={replaced.get(p, p)}" for p in parsed.params[parsed.positional:]]
    return f"{function}({', '.join(args)})"
