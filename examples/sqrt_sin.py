"""The derivative of f(x) = sqrt(3 sin x) at x = 2, three ways.

From seed 001 (backpropagation is steepest descent with automatic differentiation).
The seed differentiates this function by hand with the chain rule,

    d/dx sqrt(3 sin x) = 3 cos x · 1 / (2 sqrt(3 sin x)),

and then with forward-mode dual numbers, which print

    Dual 1.6516332160855343 (-0.3779412091869595)

for f and f' at x = 2. This script gets the same derivative from srcdiff's
reverse mode, prints the code srcdiff generates, and checks all three agree.

The generated code reads like the chain rule written backwards: the forward pass
names each intermediate result (t1 = sin x, t2 = 3 t1, f = sqrt t2), then each
line of the backward pass multiplies the incoming error signal by one local
derivative. The derivative of sqrt reuses the already computed square root f:
d sqrt(t2)/d t2 = 0.5 / sqrt(t2) = 0.5 / f.

Run it from the repository root:

    python examples/sqrt_sin.py

or see the three-address form and the derivative without running anything:

    srcdiff examples/sqrt_sin.py --show both
"""

import math

import srcdiff


def f(x):
    return math.sqrt(3.0 * math.sin(x))


if __name__ == "__main__":
    x = 2.0
    # The seed's dual-number output for f at idD 2: Dual value derivative.
    seed_value = 1.6516332160855343
    seed_derivative = -0.3779412091869595

    print("The derivative code srcdiff generates for f(x) = math.sqrt(3.0 * math.sin(x)):\n")
    print(srcdiff.source(f))

    value, derivative = srcdiff.value_and_grad(f)(x)
    symbolic = 3.0 * math.cos(x) / (2.0 * math.sqrt(3.0 * math.sin(x)))

    print(f"At x = {x}:")
    print(f"  f(x)                               = {value!r}")
    print(f"  f'(x), srcdiff (reverse mode)      = {derivative!r}")
    print(f"  f'(x), 3cos(x) / (2 sqrt(3 sin x)) = {symbolic!r}")
    print(f"  f'(x), seed's dual numbers         = {seed_derivative!r}")

    assert math.isclose(value, seed_value, rel_tol=1e-15), (
        f"f(2) should be {seed_value} as in the seed, srcdiff's value_and_grad gave {value}")
    assert math.isclose(derivative, symbolic, rel_tol=1e-14), (
        f"srcdiff's f'(2) = {derivative} differs from the symbolic derivative {symbolic}")
    assert math.isclose(derivative, seed_derivative, rel_tol=1e-14), (
        f"srcdiff's f'(2) = {derivative} differs from the seed's dual numbers {seed_derivative}")
    print("\nOK: srcdiff's reverse mode, the symbolic derivative and forward-mode dual numbers")
    print(f"agree: f'(2) = {derivative!r}")
