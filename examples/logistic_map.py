"""A long loop in reverse mode: the logistic map, x_{k+1} = r x_k (1 - x_k), 10,000 steps.

In the spirit of seed 001's many_sines (a derivative should have the shape of the
program, not of its unrolled expression), with a loop far too long to unroll: 10,000
steps of the logistic map from x0, differentiated with respect to both r and x0 by one
backward sweep (srcdiff.value_and_grad with wrt=("r", "x0")).

The tape. Each step is lowered to t1 = r * x, t2 = 1.0 - x, x = t1 * t2, and its reverse
step is the chain rule

    t1_bar = x_bar * t2                  # ∂x_new/∂t1 = t2
    t2_bar = x_bar * t1                  # ∂x_new/∂t2 = t1
    r_bar = r_bar + t1_bar * x           # r feeds every step: signals add up
    x_bar = -t2_bar + t1_bar * r         # the error signal of the previous x

so step k's adjoint needs that step's t1, t2 and x. The forward loop overwrites all
three in the next step, so before each overwrite it appends the old value to a tape, a
plain list (t1_tape, t2_tape, x_tape; the first entries are None placeholders for
t1 and t2, which have no value before the loop), and the reversed loop pops them back
in the opposite order. Three floats per step: for 10,000 steps the tapes hold 30,000
floats, memory proportional to the length of the loop, which is the price of reverse
mode. (r is never overwritten, so it needs no tape.)

What the derivatives should be. With r = 2.5 the map converges to the fixed point
x* = 1 - 1/r = 0.6, so dx_n/dr tends to dx*/dr = 1/r² = 0.16, and the start is
forgotten: dx_n/dx0 is the product of the slopes r (1 - 2 x_k), which tend to
2 - r = -0.5, so it shrinks like 0.5^n (and is exactly 0.0 in floating point from
n = 1,077 on). The script checks srcdiff against

* the seed's forward mode (dual numbers), written out by hand as a tangent loop that
  carries dx/dr and dx/dx0 along with x, at n = 10 ... 10,000;
* central finite differences, for dx/dr at every n and for dx/dx0 where it is still
  large enough to measure (n = 10);
* the limits 0.6 and 0.16.

Finally it differentiates the chaotic regime r = 3.9, where the derivative grows
exponentially with n: srcdiff still agrees with the forward-mode tangent, but finite
differences are meaningless there, which is why the checks above use r = 2.5.

Run it from the repository root:

    python examples/logistic_map.py
"""

import math
import re

import srcdiff


def logistic_map(r, x0, n: int):
    x = x0
    for k in range(n):
        x = r * x * (1.0 - x)
    return x


if __name__ == "__main__":
    def tangent(r, x0, n):
        """Forward mode by hand (the seed's dual numbers): x, dx/dr and dx/dx0 together."""
        x, dx_dr, dx_dx0 = x0, 0.0, 1.0
        for _ in range(n):
            slope = r * (1.0 - 2.0 * x)
            x, dx_dr, dx_dx0 = r * x * (1.0 - x), x * (1.0 - x) + slope * dx_dr, slope * dx_dx0
        return x, dx_dr, dx_dx0

    r, x0, steps = 2.5, 0.2, 10_000

    code = srcdiff.source(logistic_map, wrt=("r", "x0"), args=(r, x0, steps))
    print("srcdiff's derivative of logistic_map with respect to (r, x0):\n")
    print(code)
    tapes = re.findall(r"(\w+_tape)\.append\(", code)
    print(f"Tapes: {', '.join(tapes)}; each gets one entry per step, so {steps:,} steps "
          f"save {len(tapes) * steps:,} floats.\n")
    assert sorted(tapes) == ["t1_tape", "t2_tape", "x_tape"], (
        f"expected a tape for t1, t2 and x, found {tapes}:\n{code}")

    value_and_grad = srcdiff.value_and_grad(logistic_map, wrt=("r", "x0"))
    x_n, (dr, dx0) = value_and_grad(r, x0, steps)
    print(f"r = {r}, x0 = {x0}, n = {steps:,}:  x_n = {x_n!r},  dx_n/dr = {dr!r},  "
          f"dx_n/dx0 = {dx0!r}")
    print(f"  limits: x* = 1 - 1/r = {1.0 - 1.0 / r!r}, dx*/dr = 1/r^2 = {1.0 / r**2!r}\n")
    assert math.isclose(x_n, 1.0 - 1.0 / r, rel_tol=1e-14), f"x_n = {x_n}, expected 0.6"
    assert math.isclose(dr, 1.0 / r**2, rel_tol=1e-12), f"dx_n/dr = {dr}, expected 0.16"
    assert dx0 == 0.0, f"dx_n/dx0 should have underflowed to 0.0 by now, it is {dx0}"

    print(f"{'n':>6}  {'dx/dr srcdiff':>20}  {'forward mode':>20}  {'fin. diff.':>20}  "
          f"{'dx/dx0 srcdiff':>23}  {'forward mode':>23}")
    h = 1e-6
    for n in (10, 100, 1000, 10_000):
        x_n, (dr, dx0) = value_and_grad(r, x0, n)
        x_t, dr_t, dx0_t = tangent(r, x0, n)
        dr_fd = (logistic_map(r + h, x0, n) - logistic_map(r - h, x0, n)) / (2.0 * h)
        print(f"{n:6d}  {dr:20.15f}  {dr_t:20.15f}  {dr_fd:20.15f}  {dx0:23.15e}  {dx0_t:23.15e}")
        assert x_n == x_t, f"n = {n}: value_and_grad's value {x_n} is not the map's {x_t}"
        assert math.isclose(dr, dr_t, rel_tol=1e-12), (
            f"n = {n}: srcdiff gives dx/dr = {dr}, forward mode {dr_t}")
        assert math.isclose(dx0, dx0_t, rel_tol=1e-12), (
            f"n = {n}: srcdiff gives dx/dx0 = {dx0}, forward mode {dx0_t}")
        assert math.isclose(dr, dr_fd, rel_tol=1e-8), (
            f"n = {n}: srcdiff gives dx/dr = {dr}, central differences {dr_fd}")
        if n == 10:
            dx0_fd = (logistic_map(r, x0 + h, n) - logistic_map(r, x0 - h, n)) / (2.0 * h)
            print(f"{'':6}  {'':20}  {'':20}  {'':20}  {dx0_fd:23.15e}  (fin. diff.)")
            assert math.isclose(dx0, dx0_fd, rel_tol=1e-7), (
                f"n = 10: srcdiff gives dx/dx0 = {dx0}, central differences {dx0_fd}")

    # The chaotic regime: the derivative is that of the program, exactly, but it grows
    # like e^(λ n) and a finite-difference step of 1e-6 is far outside the region where
    # the map is linear.
    r, n = 3.9, 60
    x_n, (dr, dx0) = value_and_grad(r, x0, n)
    _, dr_t, dx0_t = tangent(r, x0, n)
    dr_fd = (logistic_map(r + h, x0, n) - logistic_map(r - h, x0, n)) / (2.0 * h)
    print(f"\nChaotic regime, r = {r}, n = {n}: srcdiff dx/dr = {dr:.6e}, forward mode "
          f"{dr_t:.6e},\n  central differences {dr_fd:.6e} (meaningless here)")
    assert math.isclose(dr, dr_t, rel_tol=1e-9) and math.isclose(dx0, dx0_t, rel_tol=1e-9), (
        f"r = 3.9, n = 60: srcdiff gives ({dr}, {dx0}), forward mode ({dr_t}, {dx0_t})")

    print("\nOK: one backward sweep over a 10,000-step loop gives dx/dr and dx/dx0; they")
    print("match forward mode, finite differences and the limits x* = 0.6, dx*/dr = 0.16.")
