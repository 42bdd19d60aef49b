"""Reductions over axes: sums, means, products, extrema, moments, cumulative sums, norms.

Each rule has forms for the layouts a call can have, chosen by its literal ``axis`` and
``keepdims``: ``scalar`` (a 0-d operand), ``all`` (everything reduced to a scalar),
``keepdims`` (the reduced axes kept with length 1, so ``g`` broadcasts as it is), ``axis``
(the reduced axes put back with ``np.expand_dims``) and ``general`` (axis or keepdims known
only at run time). Placeholders: ``{axis}`` is the literal axis, ``{n}`` the number of
elements reduced (``a.shape[0]``), ``{m}`` that number less ``ddof``.

Ties in max, min, ptp and the infinity norms split the adjoint equally among the tied
elements, as JAX does: the symmetric choice, and the one a finite difference of a tie
sees on average.

Most adjoints here are ``g`` (its reduced axes put back) times weights of the operand's
shape: the tie weights, the product of the other elements, the deviations. The tangent is
then the transpose, the weighted sum of the operand's tangent over the same axes, in the
same layouts: ``np.sum(a_dot * tie_weights(a, ans))``.
"""

import numpy as np

from . import results as R
from .families import linear
from .registry import (
    HOLOMORPHIC,
    REDUCE,
    AppliedText,
    Spread,
    declare,
    signature_of,
    tangent_form,
    tangents_of,
)

TIES = "ties split the adjoint equally among the tied elements"
AXIS_SIGNATURE = "a, axis=None, *, keepdims=False"


def _count(name, aval, axis):
    if aval.kind != R.ARRAY:
        return f"np.size({name})" if axis is None else _product(
            [f"np.shape({name})[{k}]" for k in _tuple(axis)])
    if axis is None:
        return f"{name}.size"
    return _product([f"{name}.shape[{k}]" for k in _tuple(axis)])


def _product(parts):
    return parts[0] if len(parts) == 1 else "(" + " * ".join(parts) + ")"


def _tuple(axis):
    return axis if isinstance(axis, tuple) else (axis,)


def layout(rule, avals, bound, axis="axis", keepdims="keepdims", operand=None):
    """The form label for a reduction's call, and the placeholder text."""
    name = operand or rule.params[0]
    aval = avals[name]
    ndim = aval.ndim
    if ndim == 0:
        return "scalar", {}
    values = R.literals(bound, *[p for p in (axis, keepdims) if p in bound])
    if values is None:
        return "general", {}
    ax = values[0] if axis in bound else None
    keep = bool(values[-1]) if keepdims in bound else False
    if ax is not None and ndim is not None:
        try:
            everything = len(R.normalized(ax, ndim)) == ndim
        except ValueError:
            return "general", {}
        if everything and not keep:
            ax = None
    text = {"axis": repr(ax), "n": _count(name, aval, ax)}
    if keep:
        return "keepdims", text
    if ax is None:
        return "all", text
    if ndim is None:
        return "general", {}
    return "axis", text


def select_reduction(rule, avals, bound):
    label, text = layout(rule, avals, bound)
    if label + "_maybe_empty" in rule.forms and not _surely_nonempty(avals[rule.params[0]]):
        label += "_maybe_empty"
    return rule.form(label, **text)


def _surely_nonempty(aval):
    """Whether the array's size is known when the derivative is compiled, and not 0."""
    shape = aval.known_shape
    return shape is not None and all(isinstance(d, int) and d > 0 for d in shape)


def select_reduction_tangents(rule, avals, bound):
    label, text = layout(rule, avals, bound)
    return tangent_form(rule, label, **text)


def _moment_layout(rule, avals, bound):
    label, text = layout(rule, avals, bound)
    if label in ("scalar", "general"):
        return label, {}
    ddof = R.literals(bound, "ddof")
    if ddof is None:
        return "general", {}
    text["m"] = text["n"] if ddof[0] == 0 else f"({text['n']} - {ddof[0]})"
    return label, text


def select_moment(rule, avals, bound):
    label, text = _moment_layout(rule, avals, bound)
    return rule.form(label, **text)


def select_moment_tangents(rule, avals, bound):
    label, text = _moment_layout(rule, avals, bound)
    return tangent_form(rule, label, **text)


def _reduction(fn, forms, *, signature=AXIS_SIGNATURE, dtype=R.same, selector=select_reduction,
               name=None, notes="", domain=None, complex=None, spread=None, tangents=None):
    """A reduction over ``axis``; one that spreads its adjoint evenly (a sum, a mean) is a
    linear map of its operand. ``tangents``: the JVP forms of the others, by layout."""
    param = signature.split(",")[0].strip()
    family = declare if spread is None else linear
    jvp = {} if tangents is None else dict(
        jvp=tangents["general"], jvp_forms=tangents,
        jvp_selector=select_moment_tangents if selector is select_moment
        else select_reduction_tangents)
    family(fn, signature, *forms["general"], kind=REDUCE, name=name or f"numpy.{fn.__name__}",
           shape=R.result(R.reduced(param), dtype(param)), forms=forms, selector=selector,
           notes=notes, domain=domain, complex=complex, spread=spread, **jvp)


def _forms(scalar, all_, keepdims, axis, general, extra=0):
    """One template per layout for the reduced operand; ``extra`` constant parameters."""
    rest = (None,) * (extra + 2)
    return {label: (text,) + rest for label, text in (
        ("scalar", scalar), ("all", all_), ("keepdims", keepdims), ("axis", axis),
        ("general", general))}


def _weighted(scalar, all_, keepdims, axis, general, extra=0):
    """JVP forms, one per layout: the operand's tangent times the adjoint's weights (the
    adjoint is ``g`` times them), summed over the reduced axes; ``scalar``, a 0-d operand's."""
    return _forms(scalar, f"np.sum(a_dot * {all_})",
                  f"np.sum(a_dot * {keepdims}, {{axis}}, keepdims=True)",
                  f"np.sum(a_dot * {axis}, {{axis}})",
                  f"np.sum(a_dot * {general}, axis, keepdims=keepdims)", extra)


SUM = _forms("g", "np.full_like(a, g)", "np.full_like(a, g)",
             "np.full_like(a, np.expand_dims(g, {axis}))",
             "np.full_like(a, expand_reduced(g, axis, keepdims))")
MEAN = {**_forms("g", "np.full_like(a, g / {n})", "np.full_like(a, g / {n})",
                 "np.full_like(a, np.expand_dims(g, {axis}) / {n})",
                 "np.full_like(a, expand_reduced(g, axis, keepdims)) / reduced_size(a, axis)"),
        # where the count may be 0 (an empty a), g / 0 would raise for a Python float g
        "all_maybe_empty": ("np.full_like(a, g) / {n}", None, None),
        "keepdims_maybe_empty": ("np.full_like(a, g) / {n}", None, None)}
PROD = _forms("g", "g * product_of_others(a)", "g * product_of_others(a, {axis})",
              "np.expand_dims(g, {axis}) * product_of_others(a, {axis})",
              "expand_reduced(g, axis, keepdims) * product_of_others(a, axis)")
EXTREMUM = _forms(
    "g", "g * tie_weights(a, ans)", "g * tie_weights(a, ans, {axis})",
    "np.expand_dims(g, {axis}) * tie_weights(a, np.expand_dims(ans, {axis}), {axis})",
    "expand_reduced(g, axis, keepdims) * tie_weights(a, expand_reduced(ans, axis, keepdims), "
    "axis)")
PTP = _forms(
    "0.0 * g", "g * (tie_weights(a, np.max(a)) - tie_weights(a, np.min(a)))",
    "g * (tie_weights(a, np.max(a, {axis}, keepdims=True), {axis}) - "
    "tie_weights(a, np.min(a, {axis}, keepdims=True), {axis}))",
    "np.expand_dims(g, {axis}) * (tie_weights(a, np.max(a, {axis}, keepdims=True), {axis}) - "
    "tie_weights(a, np.min(a, {axis}, keepdims=True), {axis}))",
    "expand_reduced(g, axis, keepdims) * (tie_weights(a, np.max(a, axis, keepdims=True), axis) "
    "- tie_weights(a, np.min(a, axis, keepdims=True), axis))")
NANSUM = _forms("g * (not np.isnan(a))", "np.full_like(a, g) * ~np.isnan(a)",
                "np.full_like(a, g) * ~np.isnan(a)",
                "np.full_like(a, np.expand_dims(g, {axis})) * ~np.isnan(a)",
                "np.full_like(a, expand_reduced(g, axis, keepdims)) * ~np.isnan(a)")
VAR = _forms("0.0 * g", "2.0 * g * (a - np.mean(a)) / {m}",
             "2.0 * g * (a - np.mean(a, {axis}, keepdims=True)) / {m}",
             "2.0 * np.expand_dims(g, {axis}) * (a - np.mean(a, {axis}, keepdims=True)) / {m}",
             "2.0 * expand_reduced(g, axis, keepdims) * (a - np.mean(a, axis, keepdims=True)) / "
             "(reduced_size(a, axis) - ddof)", extra=1)
STD = _forms("0.0 * g", "g * unit(deviations(a), ans) / {m}",
             "g * unit(deviations(a, {axis}), ans) / {m}",
             "np.expand_dims(g, {axis}) * unit(deviations(a, {axis}), "
             "np.expand_dims(ans, {axis})) / {m}",
             "expand_reduced(g, axis, keepdims) * unit(deviations(a, axis), "
             "expand_reduced(ans, axis, keepdims)) / (reduced_size(a, axis) - ddof)", extra=1)
STD_NOTES = ("where the slice is constant the adjoint is 0: exactly the derivative for a slice "
             "of one element (the standard deviation is then the constant 0); for longer "
             "slices the derivative does not exist there, and 0 is a subgradient, as for the "
             "2-norm at 0. The deviations are centred twice, so that shifting every element "
             "(which leaves the standard deviation unchanged) gets no adjoint even where the "
             "values are equal up to rounding")
PROD_TANGENTS = _weighted("a_dot", "product_of_others(a)", "product_of_others(a, {axis})",
                          "product_of_others(a, {axis})", "product_of_others(a, axis)")
EXTREMUM_TANGENTS = _weighted(
    "a_dot", "tie_weights(a, ans)", "tie_weights(a, ans, {axis})",
    "tie_weights(a, np.expand_dims(ans, {axis}), {axis})",
    "tie_weights(a, expand_reduced(ans, axis, keepdims), axis)")
PTP_TANGENTS = _weighted(
    "0.0 * a_dot", "(tie_weights(a, np.max(a)) - tie_weights(a, np.min(a)))",
    *["(tie_weights(a, np.max(a, {axis}, keepdims=True), {axis}) - "
      "tie_weights(a, np.min(a, {axis}, keepdims=True), {axis}))"] * 2,
    "(tie_weights(a, np.max(a, axis, keepdims=True), axis) - "
    "tie_weights(a, np.min(a, axis, keepdims=True), axis))")
NANSUM_TANGENTS = _weighted("a_dot * (not np.isnan(a))", *["~np.isnan(a)"] * 4)
VAR_TANGENTS = _forms(
    "0.0 * a_dot", "2.0 * np.sum(a_dot * (a - np.mean(a))) / {m}",
    "2.0 * np.sum(a_dot * (a - np.mean(a, {axis}, keepdims=True)), {axis}, keepdims=True) / {m}",
    "2.0 * np.sum(a_dot * (a - np.mean(a, {axis}, keepdims=True)), {axis}) / {m}",
    "2.0 * np.sum(a_dot * (a - np.mean(a, axis, keepdims=True)), axis, keepdims=keepdims) / "
    "(reduced_size(a, axis) - ddof)", extra=1)
STD_TANGENTS = _forms(
    "0.0 * a_dot", "np.sum(a_dot * unit(deviations(a), ans)) / {m}",
    "np.sum(a_dot * unit(deviations(a, {axis}), ans), {axis}, keepdims=True) / {m}",
    "np.sum(a_dot * unit(deviations(a, {axis}), np.expand_dims(ans, {axis})), {axis}) / {m}",
    "np.sum(a_dot * unit(deviations(a, axis), expand_reduced(ans, axis, keepdims)), axis, "
    "keepdims=keepdims) / (reduced_size(a, axis) - ddof)", extra=1)
MEDIAN = _forms("g", "g * median_weights(a)", "g * median_weights(a, {axis})",
                "np.expand_dims(g, {axis}) * median_weights(a, {axis})",
                "expand_reduced(g, axis, keepdims) * median_weights(a, axis)")
MEDIAN_TANGENTS = _weighted("a_dot", "median_weights(a)", "median_weights(a, {axis})",
                            "median_weights(a, {axis})", "median_weights(a, axis)")
MOMENT_SIGNATURE = "a, axis=None, *, ddof=0, keepdims=False"

_reduction(np.sum, SUM, complex=HOLOMORPHIC, spread=Spread())
_reduction(np.mean, MEAN, dtype=R.inexact, complex=HOLOMORPHIC, spread=Spread(divides=True))
_reduction(np.prod, PROD, notes="exact where elements are zero: each element's adjoint is "
           "the product of the others, computed without division", complex=HOLOMORPHIC,
           tangents=PROD_TANGENTS)
for _fn in (np.max, np.amax, np.min, np.amin):
    _reduction(_fn, EXTREMUM, notes=TIES, tangents=EXTREMUM_TANGENTS)
for _fn in (np.nanmax, np.nanmin):
    _reduction(_fn, EXTREMUM, notes=TIES + "; NaNs get none", tangents=EXTREMUM_TANGENTS)
_reduction(np.ptp, PTP, notes=TIES, tangents=PTP_TANGENTS)
_reduction(np.nansum, NANSUM, notes="NaNs get no adjoint", complex=HOLOMORPHIC,
           tangents=NANSUM_TANGENTS)
_reduction(np.median, MEDIAN, dtype=R.inexact,
           notes="the middle element gets the adjoint, or the two middle ones half each; "
                 "among tied middle values, the one the sort puts in the middle",
           tangents=MEDIAN_TANGENTS)
_reduction(np.var, VAR, signature=MOMENT_SIGNATURE, dtype=R.inexact, selector=select_moment,
           tangents=VAR_TANGENTS)
_reduction(np.std, STD, signature=MOMENT_SIGNATURE, dtype=R.inexact, selector=select_moment,
           notes=STD_NOTES, tangents=STD_TANGENTS)


def _select_average(rule, avals, bound):
    weights = R.literals(bound, "weights")
    if weights is not None and weights[0] is None:
        return select_reduction(rule, avals, bound)
    return rule.form("weighted")


WEIGHTED = ("average_vjp(g, ans, a, weights, axis, keepdims)", None,
            "average_vjp(g, ans, a, weights, axis, keepdims, 'weights')", None)
declare(np.average, "a, axis=None, weights=None, *, keepdims=False", *WEIGHTED, kind=REDUCE,
        name="numpy.average", shape=R.result(R.reduced("a"), R.inexact("a", "weights")),
        forms={**{k: v[:2] + (None, None) for k, v in MEAN.items()}, "weighted": WEIGHTED},
        selector=_select_average, notes="without weights, the mean's forms", complex=HOLOMORPHIC,
        jvp=(AppliedText("np.average(a_dot, axis, weights, keepdims=keepdims)"), None,
             "average_jvp(weights_dot, ans, a, weights, axis, keepdims)", None))


# cumulative sums and products: the result has the operand's shape (flattened for axis=None)


def _cumulative_shape(name, axis="axis", include="include_initial"):
    def dims(avals, bound):
        source = R.shape(avals[name])
        ax = R.constant(bound, axis, None)
        extra = 1 if R.constant(bound, include, False) else 0
        if ax is None:
            total = R.product(source) if source is not None else None
            if source is not None and len(source) == 1:
                total = source[0]
            return ((total + extra if isinstance(total, int) else None),)
        if source is None:
            return None
        k = R.normalized(ax, len(source))[0]
        grown = source[k] + extra if isinstance(source[k], int) else (
            source[k] if not extra else None)
        return source[:k] + (grown,) + source[k + 1:]
    return dims


def _select_cumsum(rule, avals, bound):
    name = rule.params[0]
    aval = avals[name]
    values = R.literals(bound, *[p for p in ("axis", "include_initial") if p in bound])
    if aval.ndim == 0:
        return rule.form("scalar")
    if values is None or (len(values) > 1 and values[1]):
        return rule.form("general")
    axis = values[0]
    if axis is None or aval.ndim == 1:
        return rule.form("flat" if aval.ndim == 1 else "ravelled")
    return rule.form("axis", axis=repr(axis))


def _cumsum(fn, signature, general, name=None):
    params = signature_of(signature).params
    param, rest = params[0], (None,) * (len(params) - 1)
    linear(fn, signature, general, *rest, kind=REDUCE, name=name or f"numpy.{fn.__name__}",
            shape=R.result(_cumulative_shape(param), R.same(param)),
            forms={"scalar": ("np.sum(g)",) + rest, "flat": ("np.cumsum(g[::-1])[::-1]",) + rest,
                   "ravelled": (f"np.reshape(np.cumsum(g[::-1])[::-1], np.shape({param}))",)
                   + rest,
                   "axis": ("np.flip(np.cumsum(np.flip(g, {axis}), {axis}), {axis})",) + rest,
                   "general": (general,) + rest},
            selector=_select_cumsum, complex=HOLOMORPHIC)


_cumsum(np.cumsum, "a, axis=None", "reverse_cumsum(g, a, axis)")
_cumsum(np.cumulative_sum, "x, /, *, axis=None, include_initial=False",
        "reverse_cumsum(g, x, axis, include_initial)")
declare(np.cumprod, "a, axis=None", "cumprod_vjp(g, ans, a, axis)", None, kind=REDUCE,
        name="numpy.cumprod", shape=R.result(_cumulative_shape("a"), R.same("a")),
        notes="exact where elements are zero", complex=HOLOMORPHIC,
        jvp=("cumprod_jvp(a_dot, ans, a, axis)", None))
declare(np.cumulative_prod, "x, /, *, axis=None, include_initial=False",
        "cumprod_vjp(g, ans, x, axis, include_initial)", None, None, kind=REDUCE,
        name="numpy.cumulative_prod", shape=R.result(_cumulative_shape("x"), R.same("x")),
        notes="exact where elements are zero", complex=HOLOMORPHIC,
        jvp=("cumprod_jvp(x_dot, ans, x, axis, include_initial)", None, None))


# norms


NORM_WEIGHTS = {
    "scalar": "np.sign(x)",
    "two": "unit(x, ans)",
    "two_axis": "unit(x, np.expand_dims(ans, {axis}))",
    "one": "np.sign(x)",
    "one_axis": "np.sign(x)",
    "inf": "np.sign(x) * tie_weights(np.abs(x), ans, {axis})",
    "inf_axis": "np.sign(x) * tie_weights(np.abs(x), np.expand_dims(ans, {axis}), {axis})",
    "p": "np.sign(x) * (np.abs(x) / ans) ** ({ord} - 1)",
    "p_axis": "np.sign(x) * (np.abs(x) / np.expand_dims(ans, {axis})) ** ({ord} - 1)",
}
"""A norm's adjoint is ``g`` (its reduced axes put back) times these weights of ``x``'s
shape, and its tangent the sum of ``x_dot`` times them over the reduced axes."""
NORM_FORMS = {label: ("np.expand_dims(g, {axis}) * " if label.endswith("_axis") else "g * ")
              + weights for label, weights in NORM_WEIGHTS.items()}
NORM_NOTES = ("vector orders 1, 2, inf, -inf and any other p; matrix orders 'fro', 'nuc', 1, "
              "-1, 2, -2, inf, -inf (in norm_vjp); " + TIES + "; at x = 0 the 2-norm and "
              "Frobenius norm take the subgradient 0 (unit(x, 0) is 0); the matrix orders "
              "'nuc', 2 and -2, with literal arguments, go through svdvals_derivative_vjp(g, "
              "x, 0, ord) (the matrices' axes moved last), whose derivatives have every order")


def _norm_label(kind, ndim, ord_, axis):
    """The form for a norm of this kind ("norm", "vector", "matrix"), or None."""
    if kind == "matrix" or (kind == "norm" and (
            (axis is None and ord_ is not None and ndim == 2)
            or (isinstance(axis, tuple) and len(axis) == 2))):
        return "two" if ord_ in (None, "fro") else None
    if kind == "norm" and axis is None and ord_ is not None and ndim != 1:
        return None
    if ord_ in (None, 2):
        return "two"
    if ord_ == 1:
        return "one"
    if ord_ in (np.inf, -np.inf):
        return "inf"
    if isinstance(ord_, (int, float)) and not isinstance(ord_, bool) and ord_ != 0:
        return "p"
    return None


NORM_KINDS = {"numpy.linalg.norm": "norm", "numpy.linalg.vector_norm": "vector",
              "numpy.linalg.matrix_norm": "matrix"}


def _norm_layout(rule, avals, bound):
    """The form for a norm's call, whether it keeps the reduced axes, and the placeholder
    text; None where only the helper knows (an order or axis known at run time)."""
    kind = NORM_KINDS[rule.name]
    ndim = avals["x"].ndim
    present = [p for p in ("ord", "axis", "keepdims") if p in bound]
    values = R.literals(bound, *present)
    if values is None or ndim is None:
        return None
    if ndim == 0:
        return "scalar", False, {}
    given = dict(zip(present, values))
    ord_, axis, keep = given.get("ord"), given.get("axis"), bool(given.get("keepdims"))
    if kind == "matrix":
        axis = (-2, -1)
    label = _norm_label(kind, ndim, ord_, axis)
    if label is None:
        return None
    try:
        everything = axis is None or len(R.normalized(axis, ndim)) == ndim
    except ValueError:
        return None
    if not keep and not everything:
        label += "_axis"
    return label, keep, {"axis": repr(axis), "ord": repr(ord_)}


def _spectral_layout(rule, avals, bound):
    """For a matrix norm of order 'nuc', 2 or -2 whose order, axes and keepdims are
    literals: the text of its adjoint and of its tangent through ``svdvals_derivative``
    (whose derivatives have derivatives of every order; ``norm_vjp``'s stop at the second),
    the matrices' axes moved last where they are not. Otherwise None."""
    kind = NORM_KINDS[rule.name]
    ndim = avals["x"].ndim
    present = [p for p in ("ord", "axis", "keepdims") if p in bound]
    values = R.literals(bound, *present)
    if kind == "vector" or values is None or ndim is None or ndim < 2:
        return None
    given = dict(zip(present, values))
    ord_, axis, keep = given.get("ord"), given.get("axis"), bool(given.get("keepdims"))
    if isinstance(ord_, bool) or ord_ not in ("nuc", 2, -2):
        return None
    if kind == "matrix":
        axis = (-2, -1)
    elif axis is None and ndim == 2:
        axis = (0, 1)
    if not isinstance(axis, tuple) or len(axis) != 2:
        return None
    try:
        axes = R.normalized_order(axis, ndim)
    except ValueError:
        return None
    if axes[0] == axes[1]:
        return None
    moved = axes != (ndim - 2, ndim - 1)

    def last(name):
        return f"np.moveaxis({name}, {axes}, (-2, -1))" if moved else name
    adjoint = (f"svdvals_derivative_vjp({f'np.squeeze(g, {axes})' if keep else 'g'}, "
               f"{last('x')}, 0, {ord_!r})")
    tangent = f"svdvals_derivative(power_block({last('x')}, {last('x_dot')}), 1, {ord_!r})"
    return (f"np.moveaxis({adjoint}, (-2, -1), {axes})" if moved else adjoint,
            f"np.expand_dims({tangent}, {axes})" if keep else tangent)


def _select_norm(rule, avals, bound):
    spectral = _spectral_layout(rule, avals, bound)
    if spectral is not None:
        return (rule.parse(spectral[0]),) + (None,) * (len(rule.params) - 1)
    found = _norm_layout(rule, avals, bound)
    if found is None:
        return rule.templates
    label, _, text = found
    return rule.form(label, **text)


def _select_norm_tangents(rule, avals, bound):
    spectral = _spectral_layout(rule, avals, bound)
    if spectral is not None:
        return tangents_of(rule, (spectral[1],) + (None,) * (len(rule.params) - 1))
    found = _norm_layout(rule, avals, bound)
    if found is None:
        return rule.jvp
    label, keep, text = found
    weighted = f"x_dot * {NORM_WEIGHTS[label]}"
    if label == "scalar":
        tangent = weighted
    elif label.endswith("_axis"):
        tangent = f"np.sum({weighted}, {{axis}})"
    elif keep:
        tangent = f"np.sum({weighted}, {{axis}}, keepdims=True)"
    else:
        tangent = f"np.sum({weighted})"
    return tangents_of(rule, (tangent,) + (None,) * (len(rule.params) - 1), **text)


def _norm_shape(kind):
    def dims(avals, bound):
        axis = (-2, -1) if kind == "matrix" else R.constant(bound, "axis", None)
        return R.reduced_shape(R.shape(avals["x"]), axis,
                               bool(R.constant(bound, "keepdims", False)))
    return dims


def _norm(fn, signature, general):
    """``general`` is the helper's arguments after the operand's adjoint or tangent."""
    name = f"numpy.linalg.{fn.__name__}"
    rest = (None,) * (len(signature_of(signature).params) - 1)
    forms = {label: (text,) + rest for label, text in NORM_FORMS.items()}
    declare(fn, signature, f"norm_vjp(g, {general})", *rest, kind=REDUCE, name=name,
            shape=R.result(_norm_shape(NORM_KINDS[name]), R.inexact("x")),
            forms=forms, selector=_select_norm, notes=NORM_NOTES,
            jvp=(f"norm_jvp(x_dot, {general})",) + rest, jvp_selector=_select_norm_tangents)


_norm(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", "ans, x, ord, axis, keepdims")
_norm(np.linalg.vector_norm, "x, /, *, axis=None, keepdims=False, ord=2",
      "ans, x, ord, axis, keepdims, vector=True")
_norm(np.linalg.matrix_norm, "x, /, *, keepdims=False, ord='fro'",
      "ans, x, ord, (-2, -1), keepdims")
