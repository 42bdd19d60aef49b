"""Steepest descent on a cost written as a loop over the data points.

From seed 001 (backpropagation is steepest descent with automatic differentiation).
The seed fits y = m x + c to the points xs = 1..10, ys = 2x + 1 by minimizing

    L(m, c) = 1/(2n) Σ (y − (m x + c))²

with steepest descent, (m, c) ← (m, c) − γ ∇L(m, c), γ = 0.04, 1000 steps from
(0.1, 0.1). linear_regression.py writes L with NumPy arrays and np.sum; this script
writes it the way the seed's Haskell does, one data point at a time, as a Python loop
that accumulates the squared residuals, and lets srcdiff differentiate the loop.

The data are NumPy arrays passed in as arguments, and the loop reads point i as
xs[i], ys[i]; they are not differentiated (only m and c are), so srcdiff gives them no
adjoints.

The printed derivative code is the loop run backwards. The error signal of the total
is 1/(2n); each reverse step sends it through `total = total + r * r` (r_bar =
2 r total_bar, the residual scaled by 1/n) and through r = y − (m x + c), which adds
−r_bar x to m_bar and −r_bar to c_bar: the sums

    ∂L/∂m = −(1/n) Σ x (y − (m x + c)),    ∂L/∂c = −(1/n) Σ (y − (m x + c))

accumulated one data point at a time, last point first. What a reverse step reads (the
data point and its residual) is cheap to compute again from m, c and the data, so each
reverse step starts by recomputing it: no tape, and no forward loop at all, since the
running total itself is not needed for the gradient.

The script checks the gradient against the closed form at the start, runs the descent
with srcdiff.gradient(cost, wrt=("m", "c")) and checks that it recovers m = 2, c = 1.

Run it from the repository root:

    python examples/regression_fit.py
"""

import math

import numpy as np

import srcdiff


def cost(m, c, xs: "array[n]", ys: "array[n]"):
    n = len(xs)
    total = 0.0
    for i in range(n):
        r = ys[i] - (m * xs[i] + c)
        total = total + r * r
    return total / (2.0 * n)


if __name__ == "__main__":
    n = 10
    gamma = 0.04
    steps = 1000
    m, c = 0.1, 0.1

    print("The derivative code srcdiff generates for the cost, with respect to (m, c):\n")
    xs = np.arange(1.0, n + 1.0)
    ys = 2.0 * xs + 1.0
    code = srcdiff.source(cost, wrt=("m", "c"), args=(m, c, xs, ys))
    print(code)
    assert "for i in reversed(range(n)):" in code, f"expected a reversed loop:\n{code}"

    cost_grad = srcdiff.gradient(cost, wrt=("m", "c"))

    # The gradient at the starting point, against the closed form on NumPy arrays.
    dm, dc = cost_grad(m, c, xs, ys)
    residual = ys - (m * xs + c)
    dm_exact = float(-np.sum(xs * residual) / n)
    dc_exact = float(-np.sum(residual) / n)
    print(f"Gradient at (m, c) = ({m}, {c}):")
    print(f"  srcdiff:     dL/dm = {dm!r}, dL/dc = {dc!r}")
    print(f"  closed form: dL/dm = {dm_exact!r}, dL/dc = {dc_exact!r}")
    assert math.isclose(dm, dm_exact, rel_tol=1e-12), (
        f"dL/dm at (0.1, 0.1): srcdiff gives {dm}, the closed form {dm_exact}")
    assert math.isclose(dc, dc_exact, rel_tol=1e-12), (
        f"dL/dc at (0.1, 0.1): srcdiff gives {dc}, the closed form {dc_exact}")
    expected_cost = float(np.sum(residual ** 2) / (2 * n))
    assert math.isclose(cost(m, c, xs, ys), expected_cost, rel_tol=1e-12), (
        "the loop cost and the NumPy cost disagree at (0.1, 0.1)")

    # Steepest descent, as in the seed.
    print(f"\nSteepest descent, gamma = {gamma}, {steps} steps from (m, c) = ({m}, {c}):")
    print(f"  {'step':>5}  {'m':>20}  {'c':>20}  {'cost':>12}")
    for step in range(steps + 1):
        if step in (0, 1, 10, 100, 500, steps):
            print(f"  {step:5d}  {m:20.15f}  {c:20.15f}  {cost(m, c, xs, ys):12.4e}")
        if step < steps:
            dm, dc = cost_grad(m, c, xs, ys)
            m, c = m - gamma * dm, c - gamma * dc

    final_cost = cost(m, c, xs, ys)
    print(f"\nRecovered m = {m:.6f}, c = {c:.6f} (the data were made with m = 2, c = 1);")
    print(f"final cost {final_cost:.3e}")
    assert abs(m - 2.0) < 1e-3 and abs(c - 1.0) < 1e-3, (
        f"steepest descent should approach (m, c) = (2, 1), it reached ({m}, {c})")
    assert final_cost < 1e-8, f"the final cost should be near 0, it is {final_cost}"
    print("\nOK: the loop's reverse sweep gives the closed-form gradient and descent recovers")
    print("m = 2, c = 1")
