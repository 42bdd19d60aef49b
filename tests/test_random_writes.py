"""Property-based tests: random programs that write into arrays (stores, augmented stores,
repeated indices, writes in loops and branches, reads and views between writes), their
gradients against finite differences."""

import os

import numpy as np
from generated import function_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srcdiff import SrcdiffError, gradient

SCALAR_PARTS = ["0", "-1", "2", "i"]
PAIR_PARTS = ["1:3", "::2", "2:"]
REPEATED_PARTS = ["[0, 2, 0]", "[3, 3]"]
SCALAR_VALUES = ["np.sin(x[{k}])", "x[{k}] * {a}[{j}]", "np.tanh({a}[{j}]) + x[{k}]", "1.5",
                 "x[{k}] ** 2"]
PAIR_VALUES = ["np.sin(x[2:4])", "{a}[0:2] * x[{k}]", "x[1:3] * x[{k}]",
               "x[None, 2:4] * x[{k}]"]
READS = ["s = s + np.sum({a} * {a}) * x[{k}]", "s = s + np.sum(np.sin({a}[1:3]) * x[{k}])",
         "s = s + {a}[{j}] * x[{k}]"]
OPERATORS = ["=", "+=", "-=", "*="]



@st.composite
def statements(draw, arrays, loop):
    a = draw(st.sampled_from(arrays))
    k, j = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    fill = {"a": a, "k": k, "j": j}
    kind = draw(st.sampled_from(["store", "store", "read", "view"]))
    if kind == "read":
        return draw(st.sampled_from(READS)).format(**fill)
    if kind == "view":
        return f"r = {a}[1:3]\n    s = s + np.sum(r * r) * x[{k}]"
    shape = draw(st.sampled_from(["scalar", "pair", "repeated"]))
    op = draw(st.sampled_from(OPERATORS))
    if shape == "scalar":
        parts = SCALAR_PARTS if loop else SCALAR_PARTS[:3]
        index = draw(st.sampled_from(parts))
        value = draw(st.sampled_from(SCALAR_VALUES))
    elif shape == "pair":
        index = draw(st.sampled_from(PAIR_PARTS))
        value = draw(st.sampled_from(SCALAR_VALUES + PAIR_VALUES))
        if "None" in value:
            op = "="  # NumPy cannot add a (1, 2) value into a (2,) part in place
    else:
        index, op = draw(st.sampled_from(REPEATED_PARTS)), draw(st.sampled_from(["=", "+="]))
        value = draw(st.sampled_from(SCALAR_VALUES))
    return f"{a}[{index}] {op} {value.format(**fill)}"


@st.composite
def programs(draw):
    arrays = ["a", "b"]
    lines = ["a = x * 1.0", draw(st.sampled_from(["b = np.zeros(4)", "b = np.ones(4) * x[0]"])),
             "s = 0.0"]
    for _ in range(draw(st.integers(1, 5))):
        block = draw(st.sampled_from(["plain", "plain", "loop", "branch"]))
        if block == "loop":
            body = [draw(statements(arrays, True)) for _ in range(draw(st.integers(1, 3)))]
            lines.append("for i in range(4):")
            lines += ["    " + line.replace("\n    ", "\n        ") for line in body]
        elif block == "branch":
            lines.append(f"if x[{draw(st.integers(0, 3))}] > 0.0:")
            lines.append("    " + draw(statements(arrays, False)).replace("\n    ", "\n        "))
        else:
            lines.append(draw(statements(arrays, False)))
    lines.append("return s + np.sum(np.sin(a) * b) + np.sum(a * a)")
    return lines


def compile_program(lines):
    body = "".join(f"    {line}\n" for line in lines)
    text = f"import numpy as np\n\n\ndef f(x):\n{body}"
    return function_from(text, "random write program"), text


def central_difference(f, x, step=1e-6):
    grad = np.zeros_like(x)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up[k] += step
        down[k] -= step
        grad[k] = (f(up) - f(down)) / (2 * step)
    return grad


def same_branches(text, x, step=1e-4):
    """Finite differences are only meaningful where no branch flips nearby."""
    return all(abs(x[k]) > 10 * step for k in range(x.size)) if "if x[" in text else True


@settings(max_examples=int(os.environ.get("SRCDIFF_RANDOM_PROGRAMS", "2500")) // 8,
          deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(st.floats(-1.5, 1.5), min_size=4, max_size=4))
def test_random_program_writing_into_arrays(lines, values):
    f, text = compile_program(lines)
    x = np.array(values)
    if not same_branches(text, x):
        return
    before = x.copy()
    grad = gradient(f)(x)
    np.testing.assert_array_equal(x, before, err_msg=text)
    expected = central_difference(f, x)
    rounding = 1e-8 * abs(f(x))  # finite differences lose digits on large values
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6 + rounding, err_msg=text)


ALIASES = ["c = a", "c = a[1:3]", "c = a.reshape(2, 2)", "c = a[::2]", "c = b.T",
           "c = np.ravel(a)", "c = a[[0, 1]]", "c = a.copy()"]
ALIAS_READS = ["s = s + np.sum(c * c) * x[{k}]", "s = s + np.sum(np.sin(c)) * a[{j}]"]


@st.composite
def aliasing_programs(draw):
    """Programs that also make aliases and views (``c = a[1:3]``) and read them later,
    possibly after writes through the original name."""
    lines = ["a = x * 1.0", "b = np.ones(4) * x[0]", "s = 0.0",
             draw(st.sampled_from(ALIASES))]
    for _ in range(draw(st.integers(2, 6))):
        kind = draw(st.sampled_from(["alias", "read", "read", "write", "write"]))
        k, j = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        if kind == "alias":
            lines.append(draw(st.sampled_from(ALIASES)))
        elif kind == "read":
            lines.append(draw(st.sampled_from(ALIAS_READS)).format(k=k, j=j))
        else:
            lines.append(draw(statements(["a", "b"], False)))
    lines.append("return s + np.sum(np.sin(a) * b)")
    return lines


@settings(max_examples=int(os.environ.get("SRCDIFF_RANDOM_PROGRAMS", "2500")) // 8,
          deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(aliasing_programs(), st.lists(st.floats(-1.5, 1.5), min_size=4, max_size=4))
def test_random_program_with_aliases_is_exact_or_refused(lines, values):
    """Never a silently wrong gradient: either srcdiff refuses a read that a write through
    another name made stale, or its gradient matches finite differences."""
    f, text = compile_program(lines)
    x = np.array(values)
    try:
        grad = gradient(f)(x)
    except SrcdiffError as error:
        assert "shares memory" in error.message, text
        return
    expected = central_difference(f, x)
    rounding = 1e-8 * abs(f(x))
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6 + rounding, err_msg=text)
