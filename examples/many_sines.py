"""Differentiating a loop: seed 001's many_sines, symbolic expansion versus srcdiff.

From seed 001 (backpropagation is steepest descent with automatic differentiation).
The seed's argument against symbolic differentiation is this six-line program:

    def many_sines(x):
        y = x
        for i in range(1, 7):
            y = np.sin(x + y)
        return y

Unrolled, it is f(x) = sin(x + sin(x + sin(x + sin(x + sin(x + sin(x + x)))))), and
its symbolic derivative is

    (((((2cos(2x)+1)cos(sin(2x)+x)+1)cos(sin(sin(2x)+x)+x)+1)cos(...)+1)cos(...)+1)cos(...)

in which every factor spells out all the sines inside it again. That is expression
swell: for n sines the derivative has n(n-1)/2 sine calls and its text grows like n²,
although the program that computes f grows by nothing at all (n is one number in
range(1, n + 1)). `many_sines_symbolic` below is the seed's expression transcribed
into Python.

srcdiff instead differentiates the program, so its derivative has the shape of the
program: a forward loop that computes y exactly as many_sines does, then the same loop
run backwards (`for i in reversed(range(1, 7))`), each reverse step being the chain rule
for one `y = np.sin(x + y)`:

    t1_bar = y_bar * np.cos(t1)      # through the sine, at its argument t1 = x + y
    x_bar = x_bar + t1_bar           # x feeds every step, so its signals add up
    y_bar = t1_bar                   # and the previous y gets the rest

The reverse step needs the sine's argument t1 = x + y of *that* iteration, but the
forward loop overwrote it five times. So the forward loop keeps a tape, a plain Python
list `t1_tape`: before each overwrite it appends the value t1 is about to lose (a None
placeholder the first time, when t1 has no value yet), and each reverse step pops it
back after using the newer one. One float per iteration, six sines and six cosines in
all: the cost of the derivative grows linearly with the number of sines, and the code
not at all.

The script prints the generated code next to the symbolic expression, rebuilds the
seed's expression text with the chain rule to show how it swells, and checks that
srcdiff, the symbolic derivative and central differences agree at a few points.

Run it from the repository root:

    python examples/many_sines.py
"""

import inspect
import math

import numpy as np

import srcdiff


def many_sines(x):
    y = x
    for i in range(1, 7):
        y = np.sin(x + y)
    return y


def many_sines_symbolic(x):
    return (((((2.0 * np.cos(2.0 * x) + 1.0)
               * np.cos(np.sin(2.0 * x) + x) + 1.0)
              * np.cos(np.sin(np.sin(2.0 * x) + x) + x) + 1.0)
             * np.cos(np.sin(np.sin(np.sin(2.0 * x) + x) + x) + x) + 1.0)
            * np.cos(np.sin(np.sin(np.sin(np.sin(2.0 * x) + x) + x) + x) + x) + 1.0) \
        * np.cos(np.sin(np.sin(np.sin(np.sin(np.sin(2.0 * x) + x) + x) + x) + x) + x)


# The seed's f'(x), as printed there (without the \cdot and the line breaks).
SEED_DERIVATIVE = ("(((((2cos(2x)+1)cos(sin(2x)+x)+1)cos(sin(sin(2x)+x)+x)+1)"
                   "cos(sin(sin(sin(2x)+x)+x)+x)+1)cos(sin(sin(sin(sin(2x)+x)+x)+x)+x)+1)"
                   "cos(sin(sin(sin(sin(sin(2x)+x)+x)+x)+x)+x)")


if __name__ == "__main__":
    code = srcdiff.source(many_sines)
    print("srcdiff's derivative of many_sines: a forward loop with a tape, then the loop")
    print("run backwards:\n")
    print(code)
    assert "for i in reversed(range(1, 7)):" in code and "t1_tape.pop()" in code, (
        f"the derivative of a loop should be a reversed loop reading a tape:\n{code}")

    print("The symbolic derivative from the seed, as a Python function:\n")
    print(inspect.getsource(many_sines_symbolic))

    # Expression swell: build the seed's derivative text by the chain rule. With
    # y1 = sin(2x) and y_k = sin(y_{k-1} + x), the derivative is d1 = 2cos(2x) and
    # d_k = (d_{k-1} + 1) cos(y_{k-1} + x), each factor repeating y_{k-1} in full.
    print("Expression swell: the symbolic derivative of n nested sines, as text, built")
    print("by the chain rule; for n = 6 it is the seed's f'(x):")
    print(f"  {'n':>3}  {'characters':>10}  {'sin calls':>9}  {'cos calls':>9}")
    for n in (6, 12, 24, 48):
        y_text, d_text = "sin(2x)", "2cos(2x)"
        for k in range(2, n + 1):
            d_text = f"({d_text}+1)cos({y_text}+x)"
            y_text = f"sin({y_text}+x)"
        sines, cosines = d_text.count("sin("), d_text.count("cos(")
        print(f"  {n:3d}  {len(d_text):10d}  {sines:9d}  {cosines:9d}")
        assert sines == n * (n - 1) // 2 and cosines == n, (
            f"n = {n}: expected n(n-1)/2 = {n * (n - 1) // 2} sines and {n} cosines, "
            f"counted {sines} and {cosines}")
        if n == 6:
            assert d_text == SEED_DERIVATIVE, (
                f"the chain rule rebuilds\n  {d_text}\nbut the seed prints\n  {SEED_DERIVATIVE}")
            seed_text = d_text
    print(f"  n = 6: {seed_text}")
    lines = len(code.splitlines())
    print(f"srcdiff's derivative: {lines} lines for any n (only the 7 in range(1, 7)")
    print("changes); at run time one sin per step forward and one cos per step back.\n")

    print(f"{'x':>5}  {'f(x)':>20}  {'srcdiff':>20}  {'symbolic':>20}  "
          f"{'finite differences':>20}  {'fd rel. error':>13}")
    many_sines_grad = srcdiff.gradient(many_sines)
    for x in (-1.0, 0.5, 2.0):
        derivative = many_sines_grad(x)
        symbolic = float(many_sines_symbolic(x))
        h = 1e-6
        fd = float(many_sines(x + h) - many_sines(x - h)) / (2.0 * h)
        fd_error = abs(fd - derivative) / abs(derivative)
        print(f"{x:5.1f}  {float(many_sines(x)):20.15f}  {derivative:20.15f}  "
              f"{symbolic:20.15f}  {fd:20.15f}  {fd_error:13.1e}")
        assert type(derivative) is float, (
            f"the gradient of a float argument should be a float, got {type(derivative)}")
        assert math.isclose(derivative, symbolic, rel_tol=1e-12), (
            f"at x = {x}: srcdiff gives f'(x) = {derivative}, the seed's symbolic "
            f"derivative {symbolic}")
        assert fd_error < 1e-7, (
            f"at x = {x}: srcdiff gives f'(x) = {derivative}, central differences {fd}")

    print("\nOK: the reversed loop gives the seed's symbolic derivative (and central")
    print("differences) without ever writing the expression down.")
    print(f"f'(0.5) = {many_sines_grad(0.5)!r}")
