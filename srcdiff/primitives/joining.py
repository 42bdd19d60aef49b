"""Joining arrays from a list or tuple (and splitting the adjoint back into pieces), and
splitting an array into a list of pieces (and joining the pieces' adjoints back).

The sequence argument is a container value; its adjoint is a list of pieces of ``g``, which
the container's own adjoint then hands to each element. A split's result is a list whose
adjoint ``g`` holds one array per piece (zeros for pieces that were not used).
"""

import numpy as np

from ..ir.avals import ARRAY, OTHER, UNKNOWN_AVAL, AVal, of_value
from . import results as R
from .registry import GENERAL, HOLOMORPHIC, declare


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


declare(np.concatenate, "arrays, axis=0", "split_like(g, arrays, axis)", None,
        kind=GENERAL, name="numpy.concatenate", shape=_joined(np.concatenate, "arrays", "axis"),
        complex=HOLOMORPHIC)
declare(np.stack, "arrays, axis=0", "unstack_like(g, arrays, axis)", None,
        kind=GENERAL, name="numpy.stack", shape=_joined(np.stack, "arrays", "axis"),
        complex=HOLOMORPHIC)
declare(np.hstack, "tup", "split_hstack(g, tup)", kind=GENERAL, name="numpy.hstack",
        shape=_joined(np.hstack, "tup"), complex=HOLOMORPHIC)
declare(np.vstack, "tup", "split_vstack(g, tup)", kind=GENERAL, name="numpy.vstack",
        shape=_joined(np.vstack, "tup"), complex=HOLOMORPHIC)
declare(np.array, "a, /", "unarray(g, a)", kind=GENERAL, name="numpy.array",
        shape=_joined(np.array, "a"), complex=HOLOMORPHIC,
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
declare(np.split, "ary, indices_or_sections, axis=0", "np.concatenate(g, axis=axis)", None, None,
        kind=GENERAL, name="numpy.split", shape=_pieces(np.split), notes=SPLIT_NOTES,
        views=True, complex=HOLOMORPHIC)
declare(np.array_split, "ary, indices_or_sections, axis=0", "np.concatenate(g, axis=axis)", None,
        None, kind=GENERAL, name="numpy.array_split", shape=_pieces(np.array_split),
        notes=SPLIT_NOTES, views=True, complex=HOLOMORPHIC)
