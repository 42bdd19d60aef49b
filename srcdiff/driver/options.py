"""The one object that says what the pipeline makes of a function."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """What to make of a function. ``wrt`` names the differentiated parameters (a
    :class:`~srcdiff.transforms.reverse.Wrt`); ``with_value`` also returns the function's
    value; ``vjp`` makes a vector-Jacobian product, whose result adjoint is a parameter (as
    for a callee), leaving out the result elements listed in ``unused_outputs``; ``name``
    names the generated function; ``prologue`` holds statements put first (a guard)."""

    wrt: object
    with_value: bool = False
    vjp: bool = False
    name: str | None = None
    prologue: tuple = ()
    unused_outputs: tuple = ()
