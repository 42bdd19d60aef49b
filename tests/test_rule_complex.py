"""Every rule with complex operands: exact under JAX's convention, or a located refusal.

For a real result L of a complex argument z = x + iy, srcdiff's gradient is
``z_bar = dL/dx - i dL/dy`` (JAX's convention). For each rule this test calls the primitive
as ``tests/test_rules.py`` does, but with complex values for every differentiable operand,
and weighs both parts of the result (``L = sum(W * Re(op) + V * Im(op))``), so that every
element of the adjoint and both of its parts are checked. A rule that declares how it treats
complex operands (``complex=`` in its table) must match finite differences taken along x and
along y separately; any other rule must refuse the call with an error that points at it.

Real arguments whose values pass through complex arithmetic get the real part of their
share (``(z_bar * 1j).real``), which is the true derivative; the last tests check that.
"""

from __future__ import annotations

import itertools
import linecache
import warnings
import zlib

import numpy as np
import pytest
from finite_diff import sample
from test_rules import CASES, EXCLUDED, NAMESPACE, Generated, imports, rule_id

import srcdiff
from srcdiff.primitives.registry import NONDIFF

TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}
# Some primitives cast complex operands to real (np.full_like into a real array, astype):
# NumPy warns, and the test checks the derivative of what it computes.
pytestmark = pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
STEP = 1e-6
# Imaginary parts small enough to keep each domain's points away from branch cuts (log,
# sqrt and the inverse functions cut along parts of the real axis outside their domain).
SPREAD = {"real": 1.0, "positive": 0.4, "unit": 0.3, "nonzero": 0.4, "above1": 0.3,
          "invertible": 0.3, "spd": 0.3}


def _representative(cases):
    """One case per rule: the first float64 one whose operands are arrays, else the first."""
    chosen = {}
    for case in cases:
        if case.problem is not None or case.dtype != "float64" or case.rule.kind == NONDIFF:
            continue
        if rule_id(case.rule) in EXCLUDED or not case.names:
            continue
        key = rule_id(case.rule)
        arrays = any(shape is not None for _, shape in case.shapes)
        if key not in chosen or (arrays and not chosen[key][1]):
            chosen[key] = (case, arrays)
    return [case for case, _ in chosen.values()]


REPRESENTATIVE = _representative(CASES)
_counter = itertools.count()


def complex_sample(domain, shape, rng):
    real = sample(domain, shape, rng)
    if domain == "int":
        return real
    imaginary = rng.uniform(-1.0, 1.0, size=np.shape(real)) * SPREAD[domain]
    value = real + 1j * imaginary
    return complex(value) if shape is None else value


class ComplexModule:
    """A case's primitive with complex operands, its result weighted part by part."""

    def __init__(self, case, rng):
        generated = Generated(case, rng)
        self.case, self.names = case, generated.names
        self.differentiable = [p for p in self.names if case.rule.domain.get(p) != "int"]
        self.args = tuple(complex_sample(case.rule.domain.get(p, "real"),
                                         generated.shape_of[p], rng) for p in self.names)
        namespace = {**NAMESPACE, **generated.constants}
        try:
            shape = np.shape(eval(generated.call_text, namespace | dict(zip(self.names,
                                                                            self.args))))
            self.error = None
        except Exception as error:  # the primitive itself rejects complex operands
            shape, self.error = (), error
        weights = [np.round(rng.uniform(0.5, 1.5, size=shape), 2) for _ in range(2)]
        lines = ["import math", "", "import numpy as np", ""] + imports(case.rule)
        lines += [f"{name} = {_literal(value)}" for name, value in zip("WV", weights)]
        lines += [f"{p} = {_literal(v)}" for p, v in generated.constants.items()]
        lines += ["", "", f"def f({', '.join(self.names)}):",
                  f"    r = {generated.call_text}",
                  "    return np.sum(W * np.real(r) + V * np.imag(r))", ""]
        self.source = "\n".join(lines)
        filename = f"<srcdiff-complex-rule-test-{next(_counter)}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True),
                                     filename)
        namespace = {"__name__": "generated_complex_rule_test"}
        exec(compile(self.source, filename, "exec"), namespace)
        self.fn = namespace["f"]


def _literal(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub":
            return f"np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
        return f"np.array({np.round(value, 6).tolist()!r})"
    return repr(float(value)) if isinstance(value, np.floating) else repr(value)


def partials(f, args, index):
    """(dL/dx, dL/dy) by central differences along the real and imaginary parts."""
    x = args[index]
    result = []
    for direction in (1.0, 1j):
        if not isinstance(x, np.ndarray):
            result.append(_slope(f, args, index, x + STEP * direction, x - STEP * direction))
            continue
        grad = np.empty(x.shape)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += STEP * direction
            down[i] -= STEP * direction
            grad[i] = _slope(f, args, index, up, down)
        result.append(grad)
    return result


def _slope(f, args, index, up, down):
    rise = float(f(*args[:index], up, *args[index + 1:])) - float(
        f(*args[:index], down, *args[index + 1:]))
    return rise / (2 * STEP)


@pytest.mark.parametrize("case", [pytest.param(c, id=rule_id(c.rule)) for c in REPRESENTATIVE])
def test_complex_operands(case):
    module = ComplexModule(case, np.random.default_rng(zlib.crc32(case.id.encode())))
    grad_fn = srcdiff.gradient(module.fn, wrt=tuple(module.differentiable))
    if case.rule.complex is None or module.error is not None:
        with pytest.raises(srcdiff.SrcdiffError) as caught:
            grad_fn(*module.args)
        assert caught.value.lineno is not None and caught.value.filename is not None, \
            f"{caught.value}\n{module.source}"
        return
    grads = grad_fn(*module.args)
    for name, grad in zip(module.differentiable, grads):
        index = module.names.index(name)
        arg = module.args[index]
        assert type(grad) is type(arg) and np.shape(grad) == np.shape(arg), (type(grad), name)
        assert np.result_type(grad) == np.result_type(arg), (np.result_type(grad), name)
        d_x, d_y = partials(module.fn, module.args, index)
        for part, got, expected in (("real", np.real(grad), d_x),
                                    ("imaginary", -np.imag(grad), d_y)):
            if not np.allclose(got, expected, **TOLERANCE):
                derivative = srcdiff.source(module.fn, wrt=name, args=module.args)
                np.testing.assert_allclose(got, expected, **TOLERANCE, err_msg=(
                    f"{part} part of d/d{name}\n{module.source}\n{derivative}"))


COMPLEX = """
    import numpy as np

    def modulus(x, y):
        return abs(x + 1j * y)

    def phase(x):
        return np.sum(np.real(np.exp(1j * x) * (2.0 - 1j)))

    def energy(z):
        return abs(z) ** 2

    def angle(z):
        return np.angle(z)

    def parts(z):
        return np.sum(3.0 * np.real(z) - 2.0 * np.imag(z))

    def joined(z, w):
        s = np.stack([z, w])
        c = np.concatenate([z, w])
        return np.sum(np.abs(s) ** 2) + np.real(np.sum(c * c))

    def largest(z, w):
        return np.sum(np.maximum(np.real(z), np.real(w))) + np.sum(np.abs(np.maximum(z, w)))
    """


def _check(fn, args, wrt):
    grads = srcdiff.gradient(fn, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for index, grad in zip(wrt if isinstance(wrt, tuple) else (wrt,), grads):
        arg = args[index]
        assert type(grad) is type(arg) and np.result_type(grad) == np.result_type(arg)
        reference = tuple(np.asarray(a, dtype=np.result_type(a, 1.0)).astype(
            np.complex128 if np.iscomplexobj(a) else np.float64)[()] for a in args)
        reference = tuple(a.item() if isinstance(a, np.generic) else a for a in reference)
        tolerance = TOLERANCE if np.result_type(arg).itemsize >= 8 and not (
            np.result_type(arg) == np.complex64) else {"rtol": 1e-4, "atol": 1e-6}
        d_x, d_y = partials(fn, reference, index)
        np.testing.assert_allclose(np.real(grad), d_x, **tolerance)
        if np.iscomplexobj(arg):
            np.testing.assert_allclose(-np.imag(grad), d_y, **tolerance)
    return grads


def test_real_inputs_of_complex_arithmetic(module_from):
    """abs(x + 1j*y) gave the y gradient the wrong sign (no conjugate), and real inputs
    got complex gradients, cast to float with a warning."""
    mod = module_from(COMPLEX)
    x_bar, y_bar = _check(mod.modulus, (1.0, 2.0), (0, 1))
    assert (x_bar, y_bar) == pytest.approx((1 / 5 ** 0.5, 2 / 5 ** 0.5))
    _check(mod.phase, (np.array([0.3, -1.2], dtype=np.float64),), 0)
    _check(mod.phase, (np.array([0.3, -1.2], dtype=np.float32),), 0)


@pytest.mark.parametrize("name", ["energy", "angle"])
@pytest.mark.parametrize("z", [1.5 - 0.5j, np.complex128(-0.5 + 2j), np.complex64(0.25 + 1j)])
def test_non_holomorphic_functions_of_complex_scalars(module_from, name, z):
    """|z|^2 has z_bar = 2 conj(z) under JAX's convention; angle(z) has -1j / z."""
    grad = _check(getattr(module_from(COMPLEX), name), (z,), 0)[0]
    if name == "energy":
        assert grad == pytest.approx(2 * np.conj(z), rel=1e-4)


def test_real_and_imaginary_parts(module_from):
    z = np.array([1.0 + 2.0j, -0.5j])
    grad = _check(module_from(COMPLEX).parts, (z,), 0)[0]
    np.testing.assert_allclose(grad, [3.0 + 2.0j, 3.0 + 2.0j])


def test_joined_complex_arrays(module_from):
    z, w = np.array([1.0 + 2.0j, -0.5j]), np.array([0.5 - 1.0j, 2.0 + 0.0j])
    _check(module_from(COMPLEX).joined, (z, w), (0, 1))


def test_unverified_rules_refuse_complex_operands(module_from):
    """NumPy orders complex numbers lexicographically; np.maximum's rule is not verified for
    them, so differentiating through it is refused where it is called (the real maximum
    on the same line is fine)."""
    mod = module_from(COMPLEX)
    z, w = np.array([1.0 + 2.0j]), np.array([1.0 - 1.0j])
    with pytest.raises(srcdiff.SrcdiffError, match="numpy.maximum is not supported for "
                                                   "complex operands") as caught:
        srcdiff.gradient(mod.largest, wrt=(0, 1))(z, w)
    assert "np.maximum(z, w)" in str(caught.value) and caught.value.hint


def test_user_rules_refuse_complex_operands(module_from):
    """A user's VJP may assume real numbers: srcdiff cannot tell, so it refuses."""
    mod = module_from("""
        import numpy as np

        def twice(x):
            return 2.0 * x

        def f(z):
            return np.sum(np.real(twice(z)))
        """)
    srcdiff.defvjp(mod.twice, lambda g, ans, x: 2.0 * g)
    assert srcdiff.gradient(mod.f)(np.array([1.0, 2.0])).tolist() == [2.0, 2.0]
    with pytest.raises(srcdiff.SrcdiffError, match="not supported for complex") as caught:
        srcdiff.gradient(mod.f)(np.array([1.0 + 1j]))
    assert caught.value.lineno is not None


STORED = """
    import numpy as np

    def stored(x):
        y = np.zeros(2, dtype=complex)
        y[0] = x
        return np.abs(y[0] * (1 + 1j)) ** 2

    def joined(x):
        z = np.array([x, 1j])
        return np.sum(np.abs(z * (1 + 1j)) ** 2)
    """


@pytest.mark.parametrize("name", ["stored", "joined"])
def test_real_numbers_stored_in_complex_arrays(module_from, name):
    """A real float written into a complex array gets the real part of that element's
    adjoint, as a float (float() of a complex adjoint dropped the imaginary part with a
    warning, or raised for a Python complex)."""
    f = getattr(module_from(STORED), name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = srcdiff.gradient(f)(0.7)
    assert type(grad) is float and grad == pytest.approx(4 * 0.7)


def polyval_energy(p, x):
    return np.sum(np.abs(np.polyval(p, x)) ** 2)


def test_a_real_point_of_a_complex_polynomial():
    """``polyval_derivative`` cast the complex slope to the real point's dtype before the
    product with the adjoint, dropping its imaginary part: a wrong gradient for x (found
    by forward mode, which agreed with central differences)."""
    p = np.array([1.0 + 2.0j, -0.5 + 0.1j, 0.3 - 1.0j])
    x = np.array([0.5, 1.5])
    grad = srcdiff.gradient(polyval_energy, wrt=1)(p, x)
    expected = [(polyval_energy(p, x + 1e-6 * e) - polyval_energy(p, x - 1e-6 * e)) / 2e-6
                for e in np.eye(2)]
    np.testing.assert_allclose(grad, expected, rtol=1e-7)
    assert grad.dtype == np.float64
