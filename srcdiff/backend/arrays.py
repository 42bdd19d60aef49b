"""The array library generated code computes with, in one place.

The rule templates say what each primitive's adjoint is, in NumPy's spelling. Everything
else the compiler writes or checks about arrays goes through an :class:`ArrayNamespace`: the
zeros and fills that adjoints start from, the scatter-add of an index's adjoint, the dtype
casts, the guard that tells whether a compiled specialization fits its arguments, and the
key the specialization is cached under. Another array library is another namespace here.
"""

from __future__ import annotations

import gast
import numpy as np

from ..ir import code
from ..ir.code import OBJ


class ArrayNamespace:
    def __init__(self, module, array_type, scalar_type, prefix):
        self.module = module
        self.prefix = prefix
        self.array_type = array_type
        self.scalar_type = scalar_type

    # -- expressions in generated code ------------------------------------------------------

    def call(self, name, args, **keywords):
        """``np.<name>(*args, **keywords)``; keyword values are nodes or constants."""
        func = gast.Attribute(value=code.ref(OBJ, self.module), attr=name, ctx=gast.Load())
        func.srcdiff_ref = (OBJ, getattr(self.module, name))
        kws = [gast.keyword(arg=k, value=v if isinstance(v, gast.AST) else code.const(v))
               for k, v in keywords.items()]
        return gast.Call(func=func, args=args, keywords=kws)

    def dtype(self, dtype):
        """The dtype as the library spells it: ``np.float32``."""
        return gast.Attribute(value=code.ref(OBJ, self.module), attr=np.dtype(dtype).name,
                              ctx=gast.Load())

    def zeros(self, shape, dtype):
        return self.call("zeros", [code.const(shape)], dtype=self.dtype(dtype))

    def zeros_like(self, operand):
        return self.call("zeros_like", [operand])

    def full(self, shape, value, dtype):
        return self.call("full", [code.const(shape), value], dtype=self.dtype(dtype))

    def full_like(self, operand, value):
        return self.call("full_like", [operand, value])

    def scatter_add(self, target, index, value):
        """``np.add.at(target, index, value)``: adds at every position an index names, as
        often as it names it (``x_bar[index] += value`` adds once where positions repeat)."""
        add = gast.Attribute(value=code.ref(OBJ, self.module), attr="add", ctx=gast.Load())
        at = gast.Attribute(value=add, attr="at", ctx=gast.Load())
        return gast.Expr(value=gast.Call(func=at, args=[target, index, value], keywords=[]))

    # -- dispatch -----------------------------------------------------------------------------

    def guard_tests(self, writer, name, aval):
        """Tests, true where the variable ``name`` no longer holds an array of ``aval``'s
        kind: its type, dtype, and its shape (or, where sizes are not specialized, its
        rank), written with a :class:`srcdiff.backend.guard.GuardWriter`."""
        dtype = aval.dtype.type
        tests = [writer.type_is_not(writer.name(name), self.array_type,
                                    self.spelled(self.array_type)),
                 writer.compare(writer.attribute(writer.name(name), "dtype"), "!=",
                                writer.obj(dtype, self.spelled(dtype)))]
        if aval.known_shape is not None:
            tests.append(writer.compare(writer.attribute(writer.name(name), "shape"), "!=",
                                        writer.literal(aval.known_shape)))
        else:
            tests.append(writer.compare(writer.attribute(writer.name(name), "ndim"), "!=",
                                        writer.literal(aval.ndim)))
        return tests

    def spelled(self, kind):
        """How a type of the library is printed (``np.float64``)."""
        return f"{self.prefix}.{kind.__name__}"

    def value_key(self, value, general):
        """The part of a specialization's key an array gives (shape and dtype, or rank and
        dtype where sizes are ``general``), or None for a value that is not this library's."""
        if type(value) is self.array_type:
            if general:
                return ("general", value.ndim, value.dtype)
            return (self.array_type, value.shape, value.dtype)
        if isinstance(value, self.scalar_type):
            return (type(value),)
        return None


NUMPY = ArrayNamespace(np, np.ndarray, np.generic, "np")
