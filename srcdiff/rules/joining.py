"""Joining arrays from a list or tuple (and splitting the adjoint back into pieces).

The sequence argument is a container value; its adjoint is a list of pieces of ``g``, which
the container's own adjoint then hands to each element.
"""

import numpy as np

from ..avals import ARRAY, OTHER, UNKNOWN_AVAL, AVal, of_value
from .registry import GENERAL, declare


def _joined(fn, sequence, *options):
    """The result of ``fn`` on zero arrays of the elements' shapes (where all are known)."""
    def hook(avals, bound):
        items = avals[sequence]
        if items.kind == ARRAY and fn is np.array:
            return items
        if items.kind != OTHER or items.items is None:
            return UNKNOWN_AVAL
        samples = []
        for item in items.items:
            shape = item.known_shape
            if shape is None or not all(isinstance(d, int) for d in shape):
                return AVal(ARRAY, None, None)
            dtype = item.dtype if item.kind == ARRAY or item.kind == "np" else np.float64
            if item.kind == "py":
                dtype = np.dtype(item.dtype)
            samples.append(np.zeros(shape, dtype=dtype))
        keywords = {name: getattr(bound[name], "value", None) for name in options}
        return of_value(fn(samples, **keywords))
    return hook


declare(np.concatenate, "arrays, axis=0", "split_like(g, arrays, axis)", None,
        kind=GENERAL, name="numpy.concatenate", shape=_joined(np.concatenate, "arrays", "axis"))
declare(np.stack, "arrays, axis=0", "unstack_like(g, arrays, axis)", None,
        kind=GENERAL, name="numpy.stack", shape=_joined(np.stack, "arrays", "axis"))
declare(np.hstack, "tup", "split_hstack(g, tup)", kind=GENERAL, name="numpy.hstack",
        shape=_joined(np.hstack, "tup"))
declare(np.vstack, "tup", "split_vstack(g, tup)", kind=GENERAL, name="numpy.vstack",
        shape=_joined(np.vstack, "tup"))
declare(np.array, "a, /", "unarray(g, a)", kind=GENERAL, name="numpy.array",
        shape=_joined(np.array, "a"),
        notes="of a list or tuple of numbers or arrays (np.array of an array copies it)")
