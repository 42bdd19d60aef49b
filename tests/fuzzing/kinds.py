"""The types the grammar tracks for every variable, so that generated programs run.

Shapes are concrete: arguments are drawn together with the program, so ``np.zeros(n)`` has
the shape of the ``n`` that will be passed. Integers carry the range of values they may take
(a loop index over ``range(1, 4)`` is ``Int(1, 3)``), which decides where they can index.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Float:
    """A Python float or NumPy scalar (np.float64, np.float32)."""


@dataclass(frozen=True)
class Int:
    low: int
    high: int

    @property
    def exact(self):
        return self.low == self.high


@dataclass(frozen=True)
class Arr:
    shape: tuple

    @property
    def rank(self):
        return len(self.shape)


@dataclass(frozen=True)
class Mask:
    """A boolean array, for ``y[m] = 0.0`` and ``np.where(m, a, b)``."""
    shape: tuple


@dataclass(frozen=True)
class Tup:
    items: tuple


@dataclass(frozen=True)
class Lst:
    """A list of one kind of item; ``length`` is None once appends in a loop made it unknown."""
    item: object
    length: object
    min_len: int


@dataclass(frozen=True)
class Dct:
    items: tuple  # (key, kind) pairs


FLOAT = Float()


def exact(value):
    return Int(value, value)


def size(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


def merge(a, b):
    """The kind a variable has after a branch that gave it kind ``a`` on one path and ``b`` on
    the other, or None where no kind covers both."""
    if a == b:
        return a
    if isinstance(a, Int) and isinstance(b, Int):
        return Int(min(a.low, b.low), max(a.high, b.high))
    if isinstance(a, Lst) and isinstance(b, Lst) and a.item == b.item:
        length = a.length if a.length == b.length else None
        return Lst(a.item, length, min(a.min_len, b.min_len))
    if isinstance(a, Tup) and isinstance(b, Tup) and len(a.items) == len(b.items):
        items = tuple(merge(x, y) for x, y in zip(a.items, b.items))
        return None if None in items else Tup(items)
    return None


def unknown_length(kind):
    """``kind`` as a loop body sees it: lists may have grown by any number of appends."""
    if isinstance(kind, Lst):
        return Lst(kind.item, None, kind.min_len)
    return kind


def is_float_like(kind):
    return isinstance(kind, Float) or (isinstance(kind, Arr) and kind.shape == ())


def broadcasts_to(small, shape):
    """Whether an operand of shape ``small`` broadcasts to exactly ``shape``."""
    if len(small) > len(shape):
        return False
    return all(s in (1, t) for s, t in zip(reversed(small), reversed(shape)))
