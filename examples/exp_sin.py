"""Reverse mode on f(x) = exp(exp x + (exp x)^2) + sin(exp x + (exp x)^2).

From seed 001 (backpropagation is steepest descent with automatic differentiation).
The seed writes f as a data-flow graph, a sequence of simple functions in which
each one uses only earlier results:

    u1 = x
    u2 = exp u1
    u3 = u2^2
    u4 = u2 + u3
    u5 = sin u4
    u6 = exp u4
    u7 = u6 + u5        (= f(x))

and then runs the backward sweep by hand, from u7 down to u1:

    du7/du6 = 1
    du7/du5 = 1
    du7/du4 = du7/du6 · exp u4  +  du7/du5 · cos u4       (u4 feeds two nodes)
    du7/du3 = du7/du4
    du7/du2 = du7/du4  +  du7/du3 · 2 u2                  (u2 feeds two nodes)
    du7/du1 = du7/du2 · exp u1   (= du7/du2 · u2)

srcdiff generates exactly this sweep from the Python function `f` below: one
comment per source line, visited in reverse order, each u_bar an error signal
du7/du. Where a node feeds two others (u4 and u2), their contributions are added.
The derivative of exp reuses the forward result (u6 for exp u4, u2 for exp x).

The script checks srcdiff against the hand sweep above and against central finite
differences at a few points, and checks that the same formula written as a single
expression gives the same gradient.

Run it from the repository root:

    python examples/exp_sin.py
"""

import math

import srcdiff


def f(x):
    u2 = math.exp(x)
    u3 = u2 ** 2
    u4 = u2 + u3
    u5 = math.sin(u4)
    u6 = math.exp(u4)
    u7 = u6 + u5
    return u7


def f_formula(x):
    return math.exp(math.exp(x) + math.exp(x) ** 2) + math.sin(math.exp(x) + math.exp(x) ** 2)


if __name__ == "__main__":
    print("The derivative code srcdiff generates for f, written as the seed's graph:\n")
    print(srcdiff.source(f))

    f_grad = srcdiff.gradient(f)
    f_formula_grad = srcdiff.gradient(f_formula)

    print(f"{'x':>5}  {'f(x)':>22}  {'srcdiff':>22}  {'hand chain rule':>22}  "
          f"{'finite differences':>22}  {'fd rel. error':>13}")
    for x in (-1.0, 0.0, 0.5, 1.0):
        derivative = f_grad(x)

        # The seed's backward sweep, by hand.
        u2 = math.exp(x)
        u4 = u2 + u2 ** 2
        u4_bar = math.exp(u4) + math.cos(u4)
        u3_bar = u4_bar
        u2_bar = u4_bar + u3_bar * 2.0 * u2
        hand = u2_bar * u2

        # Central differences: two evaluations of f per input, an O(h^2) truncation
        # error and round-off that grows as h shrinks.
        h = 1e-6
        fd = (f(x + h) - f(x - h)) / (2.0 * h)
        fd_error = abs(fd - derivative) / abs(derivative)

        print(f"{x:5.1f}  {f(x):22.15g}  {derivative:22.15g}  {hand:22.15g}  {fd:22.15g}  "
              f"{fd_error:13.1e}")

        assert math.isclose(derivative, hand, rel_tol=1e-13), (
            f"at x = {x}: srcdiff gives f'(x) = {derivative}, the hand chain rule {hand}")
        assert fd_error < 1e-7, (
            f"at x = {x}: srcdiff gives f'(x) = {derivative}, central differences {fd}")
        formula = f_formula_grad(x)
        assert math.isclose(formula, derivative, rel_tol=1e-13), (
            f"at x = {x}: the one-expression f_formula has gradient {formula}, "
            f"the graph form {derivative}")

    print("\nOK: srcdiff's reverse mode matches the seed's hand backward sweep and finite")
    print("differences; the single-expression f_formula gives the same gradient.")
    print(f"f'(0.5) = {f_grad(0.5)!r}")
