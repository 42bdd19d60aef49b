"""Abstract values: what the compiler knows about a variable's type, shape and dtype.

A derivative is specialized on the abstract values of its arguments. Knowing that two
operands have the same shape lets the adjoint skip a broadcasting reduction; knowing that
every operand is a Python float lets it use ``math`` and plain arithmetic. What is not
known stays ``None`` and the emitted code falls back to a general (still exact) form.
"""

from __future__ import annotations

import numpy as np

from .records import Record

PY, NP, ARRAY, OTHER, UNKNOWN = "py", "np", "array", "other", "unknown"


class AVal(Record):
    """An abstract value: ``kind`` (PY, NP, ARRAY, OTHER, UNKNOWN), the dtype (a Python
    type for PY), the shape (None: rank unknown; None dimensions: sizes unknown), and for
    OTHER the Python type with the ``items`` of a tuple, list or dict (``element`` for one
    whose length is not known). ``value``, for a Python int, is its value when the
    derivative is compiled knows it, as for a dimension of an argument's shape
    (``x.shape[0]``, ``len(x)``), which is part of the specialization; arguments' own
    values never are. Abstract values never change once made."""

    fields = compared = ("kind", "dtype", "shape", "pytype", "items", "element", "value")
    hashable = True

    def __init__(self, kind, dtype=None, shape=(), pytype=None, items=None, element=None,
                 value=None):
        self.kind = kind
        self.dtype = dtype
        self.shape = shape
        self.pytype = pytype
        self.items = items
        self.element = element
        self.value = value

    @property
    def is_scalar(self):
        return self.kind in (PY, NP)

    @property
    def known_shape(self):
        """The shape when every dimension is known, else None."""
        if self.kind in (PY, NP):
            return ()
        if self.kind == ARRAY and self.shape is not None and None not in self.shape:
            return self.shape
        return None

    @property
    def ndim(self):
        if self.kind in (PY, NP):
            return 0
        if self.kind == ARRAY and self.shape is not None:
            return len(self.shape)
        return None

    @property
    def differentiable(self):
        if self.kind == UNKNOWN:
            return True
        if self.kind == PY:
            return self.dtype in (float, complex)
        if self.kind in (NP, ARRAY):
            return self.dtype is None or self.dtype.kind in "fc"
        if self.items is not None or self.element is not None:
            return any(item.differentiable for item in self.elements)
        return False

    @property
    def container(self):
        return self.items is not None or self.element is not None

    @property
    def elements(self):
        """The abstract values inside a tuple, list or dict (one for a list that grows)."""
        if self.element is not None:
            return (self.element,)
        if self.items is None:
            return ()
        if self.pytype is dict:
            return tuple(item for _, item in self.items)
        return self.items

    def describe(self):
        if self.kind == PY:
            return self.dtype.__name__
        if self.kind == NP:
            return f"numpy.{self.dtype.name}"
        if self.kind == ARRAY:
            dtype = self.dtype.name if self.dtype is not None else "ndarray"
            if self.shape is None:
                return f"{dtype}[...]"
            dims = ", ".join("?" if d is None else str(d) for d in self.shape)
            return f"{dtype}[{dims}]"
        if self.kind == OTHER and self.element is not None:
            return f"{self.pytype.__name__}[{self.element.describe()}, ...]"
        if self.kind == OTHER and self.items is not None:
            if self.pytype is dict:
                inner = ", ".join(f"{k!r}: {v.describe()}" for k, v in self.items)
                return "dict[" + inner + "]"
            return f"{self.pytype.__name__}[{', '.join(v.describe() for v in self.items)}]"
        if self.kind == OTHER:
            return self.pytype.__name__
        return "unknown"


UNKNOWN_AVAL = AVal(UNKNOWN, shape=None)
PY_FLOAT = AVal(PY, float)
PY_INT = AVal(PY, int)


def of_value(value):
    kind = type(value)
    if kind in (float, int, bool, complex):
        return AVal(PY, kind)
    if isinstance(value, np.ndarray):
        return AVal(ARRAY, value.dtype, tuple(value.shape))
    if isinstance(value, np.generic):
        return AVal(NP, value.dtype)
    if isinstance(value, (float, int, complex)):
        return AVal(PY, float if isinstance(value, float) else type(value).__mro__[1])
    if kind in (tuple, list):
        return AVal(OTHER, pytype=kind, items=tuple(of_value(v) for v in value))
    if kind is dict and all(isinstance(k, str) for k in value):
        return AVal(OTHER, pytype=dict, items=tuple((k, of_value(v)) for k, v in value.items()))
    return AVal(OTHER, pytype=kind)


def of_literal(value):
    """The abstract value of a literal in the code (or of a watched module-level constant):
    integers carry their values, so that sizes written as ``(m, 3)`` or ``x[1:4]`` are known
    without guarding anything."""
    if type(value) is int:
        return AVal(PY, int, value=value)
    if type(value) is tuple:
        return AVal(OTHER, pytype=tuple, items=tuple(of_literal(v) for v in value))
    return of_value(value)


def known_int(aval):
    """The value of an integer whose value the specialization knows, else None."""
    if aval.kind == PY and aval.dtype is int:
        return aval.value
    return None


def shape_tuple(dims):
    """The abstract value of ``x.shape``: a tuple of ints, each carrying its dimension when
    the specialization knows it (and so guards it)."""
    if dims is None:
        return AVal(OTHER, pytype=tuple, element=AVal(PY, int))
    return AVal(OTHER, pytype=tuple,
                items=tuple(AVal(PY, int, value=d if isinstance(d, int) else None)
                            for d in dims))


def array(ndim=None, dtype=None):
    return AVal(ARRAY, None if dtype is None else np.dtype(dtype),
                None if ndim is None else (None,) * ndim)


def generalize(aval):
    """Forget the sizes of an array's dimensions, keeping its rank and dtype (also for the
    arrays inside a tuple, list or dict)."""
    if aval.kind == ARRAY and aval.shape is not None:
        return AVal(ARRAY, aval.dtype, (None,) * len(aval.shape))
    if aval.kind == OTHER and aval.items is not None:
        if aval.pytype is dict:
            items = tuple((k, generalize(v)) for k, v in aval.items)
        else:
            items = tuple(generalize(v) for v in aval.items)
        return AVal(OTHER, pytype=aval.pytype, items=items)
    return aval


def join(a, b):
    """The least abstract value covering both (the kind of a variable across paths)."""
    if a == b:
        return a
    if a.kind == UNKNOWN or b.kind == UNKNOWN:
        return UNKNOWN_AVAL
    if a.kind == PY and b.kind == PY and {a.dtype, b.dtype} <= {bool, int, float, complex}:
        order = [bool, int, float, complex]
        return AVal(PY, max(a.dtype, b.dtype, key=order.index))
    if {a.kind, b.kind} <= {PY, NP} and all(holds_numbers(x) for x in (a, b)):
        # A Python number on one path, a NumPy scalar on another (``x > 0.0`` of a float
        # or of an np.float64): a NumPy scalar covers both.
        dtype = np.result_type(*(x.dtype if x.kind == NP else x.dtype(0) for x in (a, b)))
        return AVal(NP, dtype)
    if {a.kind, b.kind} in ({ARRAY, PY}, {ARRAY, NP}) and a.differentiable and (
            b.differentiable):
        # A scalar on one path and an array on another: an array of unknown rank, unless
        # the array is 0-d (a NumPy scalar and a 0-d array behave alike).
        array, scalar = (a, b) if a.kind == ARRAY else (b, a)
        other = scalar.dtype(0) if scalar.kind == PY else scalar.dtype
        dtype = np.result_type(array.dtype, other) if array.dtype is not None else None
        return AVal(ARRAY, dtype, () if array.shape == () else None)
    if a.kind == ARRAY and b.kind == ARRAY:
        dtype = np.result_type(a.dtype, b.dtype) if a.dtype and b.dtype else None
        if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
            return AVal(ARRAY, dtype, None)
        return AVal(ARRAY, dtype, tuple(x if x == y else None for x, y in zip(a.shape, b.shape)))
    if a.kind == OTHER and b.kind == OTHER and a.pytype is list and a.container and (
            b.container) and (a.element is not None or b.element is not None
                              or len(a.items) != len(b.items)):
        merged = None
        for item in a.elements + b.elements:
            merged = item if merged is None else join(merged, item)
        return AVal(OTHER, pytype=list, element=merged or UNKNOWN_AVAL)
    if a.kind == OTHER and b.kind == OTHER and a.pytype is b.pytype:
        if a.items is not None and b.items is not None and len(a.items) == len(b.items):
            if a.pytype is dict:
                if [k for k, _ in a.items] != [k for k, _ in b.items]:
                    return UNKNOWN_AVAL
                return AVal(OTHER, pytype=dict, items=tuple(
                    (k, join(x, y)) for (k, x), (_, y) in zip(a.items, b.items)))
            return AVal(OTHER, pytype=a.pytype,
                        items=tuple(join(x, y) for x, y in zip(a.items, b.items)))
        if a.pytype is tuple and a.container and b.container:
            # Tuples of different or unknown lengths (``x.shape`` of an array whose rank a
            # loop changes): a tuple of unknown length, each item of the items' kinds.
            merged = None
            for item in a.elements + b.elements:
                merged = item if merged is None else join(merged, item)
            return AVal(OTHER, pytype=tuple, element=merged or UNKNOWN_AVAL)
        if a.items is None and b.items is None:
            return a
        return UNKNOWN_AVAL
    return UNKNOWN_AVAL


def holds_numbers(aval):
    """Whether values of this kind are numbers (of any dtype, in arrays too), or containers
    that hold numbers only."""
    if aval.kind == PY:
        return aval.dtype in (bool, int, float, complex)
    if aval.container:
        return (aval.items is not None or aval.element is not None) and all(
            holds_numbers(element) for element in aval.elements)
    return aval.dtype is not None and np.dtype(aval.dtype).kind in "biufc"


def broadcast_shapes(*shapes):
    """NumPy's broadcasting on shapes whose dimensions may be unknown (None) or symbolic
    (a name such as ``"n"``: some fixed size, equal to every other ``"n"``)."""
    if any(s is None for s in shapes):
        return None
    ndim = max((len(s) for s in shapes), default=0)
    result = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            if all(isinstance(d, int) for d in known):
                raise ValueError(f"shapes {shapes} cannot be broadcast together")
            result.append(None)
        elif known:
            result.append(known.pop())
        elif None in dims:
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def parse_spec(text):
    """An abstract value from a written spec: ``float``, ``int``, ``array``, ``float32[n, 3]``.

    Dimensions are sizes or names; equal names are equal sizes. ``array`` means float64.
    """
    text = text.strip()
    python = {"float": float, "int": int, "bool": bool, "complex": complex}
    if text in python:
        return AVal(PY, python[text])
    head, _, rest = text.partition("[")
    head = head.strip()
    try:
        dtype = np.dtype(float) if head in ("array", "ndarray") else np.dtype(head)
    except TypeError:
        raise ValueError(f"unknown kind {head!r} in {text!r}") from None
    if dtype.kind not in "biufc" or not head:
        raise ValueError(f"unknown kind {head!r} in {text!r}: use a numeric dtype such as "
                         "float64, float32 or int64")
    if not rest:
        return AVal(ARRAY, dtype, None)
    if not rest.endswith("]"):
        raise ValueError(f"missing ']' in {text!r}")
    dims = [d.strip() for d in rest[:-1].split(",")]
    if dims and not dims[-1] and len(dims) > 1:
        dims.pop()
    if dims == [""]:
        dims = []
    for d in dims:
        if not (d.isdigit() or d == "?" or d.isidentifier()):
            raise ValueError(f"{d!r} in {text!r} is not a size: write a number, a name, or ?")
    shape = tuple(int(d) if d.isdigit() else (None if d == "?" else d) for d in dims)
    return AVal(ARRAY, dtype, shape)


def shape_of(aval):
    if aval.kind in (PY, NP):
        return ()
    if aval.kind == ARRAY:
        return aval.shape
    return None


SAMPLES = {"real": 0.5, "positive": 0.5, "unit": 0.5, "nonzero": 0.5, "above1": 1.5, "int": 2}


def sample(aval, domain="real", variant=0):
    """A small concrete value of the same kind and dtype, for evaluating result types.
    Integers whose value is known are that value. ``variant`` 1 gives other values, for
    operations that reject the first ones (a division by ``i - 2``)."""
    known = known_int(aval)
    if known is not None:
        return known
    value = SAMPLES.get(domain, 0.5) + 0.25 * variant
    if aval.kind == PY:
        if aval.dtype is bool:
            return True
        return 2 + variant if aval.dtype is int else aval.dtype(value)
    dtype = aval.dtype if aval.dtype is not None else np.dtype(float)
    if dtype.kind in "iub":
        value = 1 + variant if dtype.kind != "b" else True
    if aval.kind == NP:
        return dtype.type(value)
    if aval.kind == ARRAY:
        return np.full((1,) * (aval.ndim or 0), value, dtype=dtype)
    raise TypeError(aval)


def from_result(value, shape):
    """The abstract value of a sample result, with the real (broadcast) shape.

    Samples of arrays whose rank is unknown are 0-d, so a sample result may be a scalar
    where the real one is an array: the shape, not the sample, decides."""
    aval = of_value(value)
    if shape is None or len(shape) > 0:
        dtype = aval.dtype if aval.kind in (NP, ARRAY) else np.result_type(value)
        return AVal(ARRAY, dtype, shape)
    return aval
