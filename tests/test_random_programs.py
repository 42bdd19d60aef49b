"""Property-based tests: random straight-line programs, gradients against finite differences."""

import math

import numpy as np
from generated import function_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srcdiff import gradient

UNARY = [
    "math.sin({})", "math.cos({})", "math.tanh({})", "math.atan({})", "np.sin({})",
    "np.tanh({})", "math.exp(math.sin({}))", "math.sqrt(1.0 + {0} * {0})",
    "math.log(2.0 + math.cos({}))", "np.exp(np.cos({}))", "-{}", "({}) ** 2",
    "math.hypot({}, 1.5)", "np.square({})",
]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (2.0 + math.cos({}))",
          "math.atan2({}, 3.0 + {} ** 2)", "np.maximum({}, {} + 0.25)"]
AUGMENTED = ["+=", "-=", "*="]



@st.composite
def programs(draw):
    names = ["x", "y"]
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["unary", "binary", "augmented", "unpack", "constant"]))
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        target = draw(st.sampled_from(names + [f"v{len(names)}"]))
        if kind == "unary":
            lines.append(f"{target} = {draw(st.sampled_from(UNARY)).format(a)}")
        elif kind == "binary":
            lines.append(f"{target} = {draw(st.sampled_from(BINARY)).format(a, b)}")
        elif kind == "augmented" and target in names:
            lines.append(f"{target} {draw(st.sampled_from(AUGMENTED))} math.sin({a})")
        elif kind == "unpack":
            other = draw(st.sampled_from(names))
            if other == target or target not in names:
                continue
            lines.append(f"{target}, {other} = {other} * 0.5, math.cos({target})")
        else:
            lines.append(f"{target} = {draw(st.floats(-2, 2).map(lambda v: round(v, 2)))} * {a}")
        if target not in names:
            names.append(target)
    result = " + ".join(f"math.sin({n})" for n in draw(
        st.lists(st.sampled_from(names), min_size=1, max_size=3)))
    return lines, result


def compile_program(lines, result):
    body = "".join(f"    {line}\n" for line in lines)
    text = f"import math\nimport numpy as np\n\n\ndef f(x, y):\n{body}    return {result}\n"
    return function_from(text, "random program"), text


def central_difference(f, args, index, step=1e-6):
    up, down = list(args), list(args)
    up[index] += step
    down[index] -= step
    return (f(*up) - f(*down)) / (2 * step)


def smooth(f, args, index, slope, step=1e-4):
    """Whether f is differentiable here: one-sided differences agree (max ties are kinks)."""
    moved = list(args)
    moved[index] += step
    right = (f(*moved) - f(*args)) / step
    moved[index] -= 2 * step
    left = (f(*args) - f(*moved)) / step
    gap = abs(right - left)
    # A kink shows as one-sided slopes that differ, also where both are small.
    return gap <= 1e-2 * max(1.0, abs(slope)) and gap <= 1e-5 + 1e-2 * max(abs(right),
                                                                            abs(left))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_random_straight_line_program(program, x, y):
    f, text = compile_program(*program)
    check_gradient(f, text, x, y)


def check_gradient(f, text, x, y, same_path=None):
    """The gradient of a generated program against central differences, where ``f`` is
    defined and smooth (and, with ``same_path``, takes the same path nearby)."""
    try:
        value = f(x, y)
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    if not math.isfinite(value) or abs(value) > 1e6:
        return
    gx, gy = gradient(f, wrt=(0, 1))(x, y)
    for index, got in enumerate((gx, gy)):
        try:
            expected = central_difference(f, (x, y), index)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if not smooth(f, (x, y), index, expected):
            continue
        if same_path is not None and not same_path(f, (x, y), index):
            continue
        assert math.isfinite(got), text
        assert abs(got - expected) <= 1e-5 * max(1.0, abs(expected)), (text, index, got, expected)


def _plain(line):
    """``x += e`` on an argument array would modify the caller's array (which srcdiff
    refuses); write it as ``x = x + e``."""
    for op in AUGMENTED:
        target, found, value = line.partition(f" {op} ")
        if found:
            return f"{target} = {target} {op[0]} ({value})"
    return line


@settings(max_examples=60, deadline=None)
@given(programs())
def test_random_program_on_arrays_matches_scalar_calls(program):
    """The same program on arrays: the gradient of the summed result, elementwise."""
    lines, result = program
    lines = [_plain(line) for line in lines]
    if any("math." in line for line in lines) or "math." in result:
        lines = [line.replace("math.", "np.") for line in lines]
        result = result.replace("math.", "np.")
    f, text = compile_program(lines, f"np.sum({result})")
    xs, ys = np.linspace(-1.0, 1.0, 4), np.linspace(0.5, -0.5, 4)
    with np.errstate(all="ignore"):
        value = f(xs, ys)
    if not np.isfinite(value):
        return
    gx, gy = gradient(f, wrt=(0, 1))(xs, ys)
    assert gx.shape == xs.shape and gy.shape == ys.shape
    scalar_f = compile_program(lines, result)[0]
    for i in range(4):
        scalar = gradient(scalar_f, wrt=(0, 1))(float(xs[i]), float(ys[i]))
        np.testing.assert_allclose((gx[i], gy[i]), scalar, rtol=1e-9, atol=1e-12,
                                   err_msg=text)
