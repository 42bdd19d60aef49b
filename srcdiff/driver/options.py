"""The one object that says what the pipeline makes of a function."""

from __future__ import annotations

from ..ir.records import Record

REVERSE, FORWARD = "reverse", "forward"


class Options(Record):
    """What to make of a function. ``mode`` is ``"reverse"`` (gradients, VJPs) or
    ``"forward"`` (a JVP: the value and its tangent along tangents given for ``wrt``).
    ``wrt`` names the differentiated parameters (a :class:`~srcdiff.transforms.reverse.Wrt`);
    ``with_value`` also returns the function's value; ``vjp`` makes a vector-Jacobian
    product, whose result adjoint is a parameter (as for a callee), leaving out the result
    elements listed in ``unused_outputs``; ``exact_types`` casts a VJP's results to their
    arguments' types, as gradients are (for users; a callee's VJP needs no cast); ``name``
    names the generated function; ``prologue`` holds statements put first (a guard)."""

    fields = ("wrt", "with_value", "vjp", "name", "prologue", "unused_outputs", "mode",
              "exact_types")
    compared = ("wrt_key",) + fields[1:]
    hashable = True

    def __init__(self, wrt, with_value=False, vjp=False, name=None, prologue=(),
                 unused_outputs=(), mode=REVERSE, exact_types=False):
        self.wrt = wrt
        self.with_value = with_value
        self.vjp = vjp
        self.name = name
        self.prologue = prologue
        self.unused_outputs = unused_outputs
        self.mode = mode
        self.exact_types = exact_types

    @property
    def wrt_key(self):
        return tuple(self.wrt), getattr(self.wrt, "multiple", None)

    def but(self, **changed):
        """These options with some fields changed."""
        values = {name: getattr(self, name) for name in self.fields}
        values.update(changed)
        return Options(**values)

    @property
    def extra_arguments(self):
        """How many arguments the generated function takes after the function's own: the
        result's adjoint of a VJP, or one tangent per ``wrt`` parameter of a JVP."""
        if self.mode == FORWARD:
            return len(self.wrt)
        return 1 if self.vjp else 0


def composite_of(fn):
    """What assembled ``fn``, where srcdiff made it from derivatives (a Jacobian, a Hessian,
    or a derivative of one of them); None for any other function."""
    return getattr(fn, "__srcdiff_composite__", None)


def mark_composite(fn, composite):
    fn.__srcdiff_composite__ = composite
