"""The one object that says what the pipeline makes of a function."""

from __future__ import annotations

from ..ir.records import Record


class Options(Record):
    """What to make of a function. ``wrt`` names the differentiated parameters (a
    :class:`~srcdiff.transforms.reverse.Wrt`); ``with_value`` also returns the function's
    value; ``vjp`` makes a vector-Jacobian product, whose result adjoint is a parameter (as
    for a callee), leaving out the result elements listed in ``unused_outputs``; ``name``
    names the generated function; ``prologue`` holds statements put first (a guard)."""

    fields = ("wrt", "with_value", "vjp", "name", "prologue", "unused_outputs")
    compared = ("wrt", "with_value", "vjp", "name", "prologue", "unused_outputs")
    hashable = True

    def __init__(self, wrt, with_value=False, vjp=False, name=None, prologue=(), unused_outputs=()):
        self.wrt = wrt
        self.with_value = with_value
        self.vjp = vjp
        self.name = name
        self.prologue = prologue
        self.unused_outputs = unused_outputs
