"""Fitting a line by steepest descent, with the cost gradient from srcdiff.

From seed 001 (backpropagation is steepest descent with automatic differentiation).
The seed fits y = m x + c to the points xs = 1..10, ys = 2x + 1 by minimizing the
cost

    L(m, c) = 1/(2n) Σ (y − (m x + c))²

with steepest descent, (m, c) ← (m, c) − γ ∇L(m, c), γ = 0.04, 1000 steps from
(m, c) = (0.1, 0.1). The seed gets ∇L from forward-mode dual numbers, one pass per
parameter; here srcdiff's reverse mode gives both partial derivatives from one
backward sweep.

The cost is written with NumPy: the data are arrays passed as arguments, and the
sum is np.sum. Only m and c are differentiated (wrt=("m", "c")); xs, ys and n are
plain inputs. srcdiff specializes the derivative code to the arguments of the first
call (here: two floats, two float arrays of length 10 and an int), so the printed
code is the code that runs in the training loop. In it, the error signal of the
residual is residual_bar = residual / n, and the gradient is

    ∂L/∂m = −(1/n) Σ x (y − (m x + c)),    ∂L/∂c = −(1/n) Σ (y − (m x + c)),

which is what the script checks before running the descent.

Run it from the repository root:

    python examples/linear_regression.py
"""

import math

import numpy as np

import srcdiff


def cost(m, c, xs, ys, n):
    residual = ys - (m * xs + c)
    return np.sum(residual ** 2) / (2 * n)


if __name__ == "__main__":
    xs = np.arange(1.0, 11.0)
    ys = 2.0 * xs + 1.0
    n = len(xs)
    gamma = 0.04
    steps = 1000

    print("The derivative code srcdiff generates for the cost, with respect to (m, c),")
    print("specialized to the arguments used below:\n")
    print(srcdiff.source(cost, wrt=("m", "c"), args=(0.1, 0.1, xs, ys, n)))

    cost_grad = srcdiff.gradient(cost, wrt=("m", "c"))

    # Check the gradient against the analytic one at the starting point.
    m, c = 0.1, 0.1
    dm, dc = cost_grad(m, c, xs, ys, n)
    residual = ys - (m * xs + c)
    dm_exact = float(-np.sum(xs * residual) / n)
    dc_exact = float(-np.sum(residual) / n)
    print(f"Gradient at (m, c) = ({m}, {c}):")
    print(f"  srcdiff:  dL/dm = {dm!r}, dL/dc = {dc!r}")
    print(f"  analytic: dL/dm = {dm_exact!r}, dL/dc = {dc_exact!r}")
    assert math.isclose(dm, dm_exact, rel_tol=1e-12), (
        f"dL/dm at (0.1, 0.1): srcdiff gives {dm}, the analytic gradient {dm_exact}")
    assert math.isclose(dc, dc_exact, rel_tol=1e-12), (
        f"dL/dc at (0.1, 0.1): srcdiff gives {dc}, the analytic gradient {dc_exact}")

    # Steepest descent, as in the seed: a plain Python loop that calls the gradient.
    print(f"\nSteepest descent, gamma = {gamma}, {steps} steps from (m, c) = ({m}, {c}):")
    print(f"  {'step':>5}  {'m':>20}  {'c':>20}  {'cost':>12}")
    for step in range(steps + 1):
        if step in (0, 1, 10, 100, 500, steps):
            print(f"  {step:5d}  {m:20.15f}  {c:20.15f}  {cost(m, c, xs, ys, n):12.4e}")
        if step < steps:
            dm, dc = cost_grad(m, c, xs, ys, n)
            m, c = m - gamma * dm, c - gamma * dc

    final_cost = cost(m, c, xs, ys, n)
    print(f"\nRecovered m = {m:.6f}, c = {c:.6f} (the data were made with m = 2, c = 1);")
    print(f"final cost {final_cost:.3e}")
    assert abs(m - 2.0) < 1e-3 and abs(c - 1.0) < 1e-3, (
        f"steepest descent should approach (m, c) = (2, 1), it reached ({m}, {c})")
    assert final_cost < 1e-8, f"the final cost should be near 0, it is {final_cost}"
    print("\nOK: the gradient matches the analytic one and descent recovers m = 2, c = 1")
