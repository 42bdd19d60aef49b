"""Python builtins. Ties in max and min go to the first argument, as Python's own choice."""

import builtins as py

from ..ir.avals import ARRAY, NP, OTHER, PY, AVal, join
from .arith import POWER_NOTES, power_forms, select_power
from .families import elementwise, zero_derivative
from .registry import GENERAL, HOLOMORPHIC, SCALAR, declare
from .results import length, one_of

elementwise(py.abs, "x", "g * np.sign(x)", name="abs", notes="abs'(0) = 0",
            complex=("g * np.conj(np.sign(x))",),
            complex_jvp=("np.real(np.conj(np.sign(x)) * x_dot)",))
elementwise(py.max, "x, y", "g if x >= y else 0.0", "0.0 if x >= y else g", kind=SCALAR,
            name="max", notes="a tie goes to the first argument", shape=one_of("x", "y"))
elementwise(py.max, "x, y, z", "g if x >= y and x >= z else 0.0", "g if y > x and y >= z else 0.0",
            "g if z > x and z > y else 0.0", kind=SCALAR, name="max",
            notes="a tie goes to the earliest argument", shape=one_of("x", "y", "z"))
elementwise(py.min, "x, y", "g if x <= y else 0.0", "0.0 if x <= y else g", kind=SCALAR,
            name="min", notes="a tie goes to the first argument", shape=one_of("x", "y"))
elementwise(py.min, "x, y, z", "g if x <= y and x <= z else 0.0", "g if y < x and y <= z else 0.0",
            "g if z < x and z < y else 0.0", kind=SCALAR, name="min",
            notes="a tie goes to the earliest argument", shape=one_of("x", "y", "z"))
elementwise(py.pow, "x, y", "g * dpow_dx(x, y)", "g * dpow_dy(x, ans)", name="pow",
            domain={"x": "positive"}, selector=select_power,
            forms=power_forms("g * y * x ** (y - 1)", "g * ans * xp.log(x)"), notes=POWER_NOTES,
            complex=HOLOMORPHIC)
elementwise(py.float, "x", "g", kind=SCALAR, name="float")
zero_derivative(py.int, "x", name="int")
zero_derivative(py.round, "x", name="round")
zero_derivative(py.bool, "x", name="bool")
zero_derivative(py.range, "stop", name="range", domain={"stop": "int"})
zero_derivative(py.range, "start, stop", name="range",
                domain={"start": "int", "stop": "int"})
zero_derivative(py.range, "start, stop, step", name="range",
                domain={"start": "int", "stop": "int", "step": "int"})
zero_derivative(py.len, "x", name="len", shape=length("x"), shape_only=True)



def _sum_result(avals, bound):
    """``start + item + item ...``: the items of a list or tuple, or the rows of an array
    (its elements for a vector); ``start`` alone when there are none."""
    iterable, start = avals["iterable"], avals["start"]
    if iterable.kind == ARRAY:
        if iterable.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        shape = None if iterable.shape is None else iterable.shape[1:]
        items = (AVal(NP, iterable.dtype) if shape == () else AVal(ARRAY, iterable.dtype, shape),)
    else:
        items = iterable.elements
    if not items:
        return start
    result = items[0]
    for item in items[1:]:
        result = join(result, item)
    if start.kind == PY and result.kind != PY:
        return result
    return join(start, result)


declare(py.sum, "iterable, /, start=0", "spread(g, iterable)", "unbroadcast(g, start)",
        kind=GENERAL, name="sum", shape=_sum_result,
        notes="over a list or tuple of numbers or arrays, or the rows of an array",
        complex=HOLOMORPHIC,
        jvp=("sum_tangents(iterable_dot, iterable, ans)", "spread_like(start_dot, ans)"))
declare(py.complex, "x", "cast_like(g, x)", kind=SCALAR, name="complex",
        jvp=("x_dot + 0j",), complex=HOLOMORPHIC,
        notes="a cast, as a gradient of a complex argument ends; a real x gets the real part "
              "of the adjoint")


def _slice(avals, bound):
    return AVal(OTHER, pytype=slice)


for _signature in ("stop", "start, stop", "start, stop, step"):
    # ``last_assigned(g, (slice(None), i))``: generated code passes slices as values
    zero_derivative(py.slice, _signature, name="slice", shape=_slice)
