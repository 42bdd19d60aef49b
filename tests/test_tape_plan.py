"""The tape plan's shortcut for straight-line code that overwrites nothing: it must decide
exactly what the full analysis decides (nothing pushed, recomputed or left unbound), and it
must not apply where an assignment overwrites a value."""

import math

import numpy as np
import pytest

import srcdiff
from srcdiff.transforms import reverse, tape


def scalars(a, b):
    return (a + b) * (b + 1)


def unused_temporary(x, y):
    u = x * 3.0
    z = math.sin(x) * y
    return z + x * 0.0 * u


def arrays(w, x):
    h = np.tanh(w @ x)
    return np.sum(h * h) + 0.5 * np.sum(w)


def container(x, y):
    pair = (x * y, math.exp(y))
    return pair[0] + pair[1]


def indexed(x):
    first = x[0]
    rest = x[1:]
    return first * np.sum(rest ** 2)


STRAIGHT = [
    (scalars, (1.5, 2.5), (0, 1), False),
    (unused_temporary, (0.7, 1.3), (0, 1), False),
    (arrays, (np.full((3, 2), 0.3), np.array([0.5, -1.0])), (0, 1), False),
    (container, (0.4, 0.9), (0, 1), True),
    (indexed, (np.array([1.0, 2.0, -0.5]),), 0, True),
]


def reassigned(x):
    z = x * 3.0
    z = z * z
    return z


def parameter_overwritten(x):
    x = x * 2.0
    return math.sin(x) * x


def stored(x):
    y = np.zeros(2)
    y[0] = x * 2.0
    return np.sum(y * y)


def looped(x):
    s = 0.0
    for k in range(3):
        s = s + x * k
    return s


def branched(x):
    y = x * 2.0
    if x > 0:
        return y * y
    return y


@pytest.fixture
def plans(monkeypatch):
    """The plans reverse mode makes, each also made by the full analysis."""
    made = []

    def planned(program, activity, wrt, with_value):
        quick = tape.plan(program, activity, wrt, with_value)
        with monkeypatch.context() as patched:
            patched.setattr(tape, "overwrites_nothing", lambda fn: False)
            full = tape.plan(program, activity, wrt, with_value)
        made.append((program.fn, quick, full))
        return quick

    monkeypatch.setattr(reverse, "plan", planned)
    return made


@pytest.mark.parametrize("fn, args, wrt, with_value", STRAIGHT,
                         ids=[case[0].__name__ for case in STRAIGHT])
def test_the_shortcut_plans_what_the_full_analysis_plans(plans, fn, args, wrt, with_value):
    made = srcdiff.value_and_grad if with_value else srcdiff.gradient
    made(fn, wrt=wrt)(*args)
    assert plans, "the reverse transform made no plan"
    for lowered, quick, full in plans:
        assert tape.overwrites_nothing(lowered)
        assert quick == full
        assert not quick.pushed and not quick.recomputed and not quick.unbound


@pytest.mark.parametrize("fn", [reassigned, parameter_overwritten, stored, looped, branched])
def test_the_shortcut_does_not_apply_where_a_value_is_overwritten(plans, fn):
    srcdiff.gradient(fn)(0.8)
    assert plans
    assert not any(tape.overwrites_nothing(lowered) for lowered, _, _ in plans)


def test_the_shortcut_plans_arrays_of_sizes_known_only_when_the_code_runs(plans):
    """After eight sizes a derivative is specialized on ranks alone: zero adjoints are then
    made from the arrays themselves, which the plan must read."""
    g = srcdiff.gradient(arrays, wrt=(0, 1))
    for n in range(1, 11):
        g(np.full((3, n), 0.3), np.linspace(-1.0, 1.0, n))
    general = [(quick, full) for lowered, quick, full in plans
               if any(site == tape.SHAPE for sites in quick.sites.values() for site in sites)]
    assert general, "no plan read an array for its shape"
    for quick, full in general:
        assert quick == full
