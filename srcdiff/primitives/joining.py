"""Joining arrays from a list or tuple (and splitting the adjoint back into pieces), and
splitting an array into a list of pieces (and joining the pieces' adjoints back).

The sequence argument is a container value; its adjoint is a list of pieces of ``g``, which
the container's own adjoint then hands to each element. A split's result is a list whose
adjoint ``g`` holds one array per piece (zeros for pieces that were not used).

Joins and splits are linear, so their tangents are the same calls of the tangents: the
tangent of a list is the list of its items' tangents. An integer item has None for a
tangent, and where one may (or the list's items are known only when the code runs),
``filled_tangents`` puts zeros in its place first.
"""

import numpy as np

from ..ir.avals import ARRAY, NP, OTHER, PY, UNKNOWN_AVAL, AVal, of_value
from . import results as R
from .registry import GENERAL, HOLOMORPHIC, AppliedText, declare, tangent_form


def _joined(fn, sequence, *options):
    """The result of ``fn`` on zero arrays of the elements' shapes (where all are known)."""
    def hook(avals, bound):
        items = avals[sequence]
        if items.kind == ARRAY and fn is np.array:
            return items
        keywords = {name: getattr(bound[name], "value", None) for name in options}
        if items.kind == OTHER and items.element is not None:
            # A list that grows: as many elements as the code appends.
            return _probed(fn, [AVal(OTHER, pytype=list, items=(items.element,) * length)
                                for length in range(1, 5)], keywords)
        if items.kind != OTHER or items.items is None:
            return UNKNOWN_AVAL
        samples = _sample(items)
        if samples is not None:
            return of_value(fn(samples, **keywords))
        return _probed(fn, [items], keywords)
    return hook


def _probed(fn, variants, keywords):
    """Where element sizes (or the number of elements) are known only when the code runs
    (ranks are known), ``fn`` on zeros with those sizes set to each of several values, for
    each of the ``variants`` of the sequence: a result dimension that moves with them is
    unknown. Sizes that make the pieces disagree are left out."""
    results = []
    for items in variants:
        for size in range(1, 7):
            samples = _sample(items, size)
            if samples is None:
                return AVal(ARRAY, None, None)
            try:
                results.append(of_value(fn(samples, **keywords)))
            except (ValueError, TypeError, IndexError):
                continue
    if len(results) < 2 or any(r.kind != ARRAY or len(r.shape) != len(results[0].shape)
                               for r in results):
        return AVal(ARRAY, None, None)
    dims = tuple(d[0] if len(set(d)) == 1 else None for d in zip(*(r.shape for r in results)))
    return AVal(ARRAY, results[0].dtype, dims)


def _sample(item, size=None):
    """Zeros shaped like ``item``, nested lists for nested lists and tuples
    (``np.array([[a, b], [c, d]])``); None where a shape is not known (with ``size``: a
    dimension not known is ``size``, and only an unknown rank gives None)."""
    if item.kind == OTHER and item.items is not None and item.pytype in (list, tuple):
        samples = [_sample(i, size) for i in item.items]
        return None if any(s is None for s in samples) else samples
    shape = item.known_shape
    if size is not None and item.kind == ARRAY and item.shape is not None:
        shape = tuple(size if d is None else d for d in item.shape)
    if shape is None or not all(isinstance(d, int) for d in shape):
        return None
    dtype = item.dtype if item.kind == ARRAY or item.kind == "np" else np.float64
    if item.kind == "py":
        dtype = np.dtype(item.dtype)
    return np.zeros(shape, dtype=dtype)


def every_tangent(aval):
    """Whether every item of a value of this kind surely has a tangent (no integers, and
    the items known)."""
    if aval.kind in (PY, NP, ARRAY):
        return aval.differentiable
    return aval.kind == OTHER and aval.items is not None and all(map(every_tangent,
                                                                     aval.items))


def _select_joined_tangents(rule, avals, bound):
    return rule.jvp if every_tangent(avals[rule.params[0]]) else tangent_form(rule, "filled")


def _join(fn, signature, vjp, *constants, rest="", **options):
    """A join of the items of its first parameter; ``rest`` spells its other arguments."""
    items = signature.split(",")[0]
    name = f"numpy.{fn.__name__}"
    spelled = f"np.{fn.__name__}({{}}{rest})"
    declare(fn, signature, vjp, *constants, kind=GENERAL, name=name,
            shape=_joined(fn, items, *[c.strip() for c in rest.split(",") if c.strip()]),
            complex=HOLOMORPHIC,
            jvp=(AppliedText(spelled.format(f"{items}_dot")),) + constants,
            jvp_forms={"filled": (spelled.format(f"filled_tangents({items}_dot, {items})"),)
                       + constants},
            jvp_selector=_select_joined_tangents, **options)


_join(np.concatenate, "arrays, axis=0", "split_like(g, arrays, axis)", None, rest=", axis")
_join(np.stack, "arrays, axis=0", "unstack_like(g, arrays, axis)", None, rest=", axis")
_join(np.hstack, "tup", "split_hstack(g, tup)")
_join(np.vstack, "tup", "split_vstack(g, tup)")
_join(np.array, "a, /", "unarray(g, a)",
      notes="of a list or tuple of numbers or arrays (np.array of an array copies it)")


def _pieces(fn):
    """The list ``fn`` returns: its pieces' shapes where the array's shape and the sections
    are known (written as constants), else a list of arrays of unknown length."""
    def hook(avals, bound):
        ary = avals["ary"]
        try:
            sections = R.constant(bound, "indices_or_sections")
            axis = R.constant(bound, "axis", 0)
        except R.NotConstant:
            sections = axis = None
        shape = ary.known_shape
        if ary.kind == ARRAY and sections is not None and shape is not None and all(
                isinstance(d, int) for d in shape):
            return of_value(fn(np.zeros(shape, dtype=ary.dtype or np.float64), sections, axis))
        piece = AVal(ARRAY, ary.dtype if ary.kind == ARRAY else None,
                     (None,) * ary.ndim if ary.ndim is not None else None)
        return AVal(OTHER, pytype=list, element=piece)
    return hook


SPLIT_NOTES = "returns a list of views; the adjoint joins the pieces' adjoints"
for _fn in (np.split, np.array_split):
    declare(_fn, "ary, indices_or_sections, axis=0", "np.concatenate(g, axis=axis)", None, None,
            kind=GENERAL, name=f"numpy.{_fn.__name__}", shape=_pieces(_fn), notes=SPLIT_NOTES,
            views=True, complex=HOLOMORPHIC,
            jvp=(AppliedText(f"np.{_fn.__name__}(ary_dot, indices_or_sections, axis)"), None,
                 None))
