"""Seed 001's forward mode: dual numbers, written out as code by srcdiff.

A dual number carries a value and its derivative together, a + b ε with ε² = 0, and every
operation updates both: (a + bε)(c + dε) = ac + (ad + bc)ε. Evaluating f at x + 1ε gives
f(x) + f'(x) ε. The seed implements this with a Dual class and operator overloading and
prints, for f(x) = sqrt(3 sin x) at x = 2,

    Dual 1.6516332160855343 (-0.3779412091869595)

and, for g(x) = log(sqrt x) at x = 2, the derivative 1/(2x) = 0.25.

srcdiff's forward mode does the same arithmetic without a Dual class: it writes the dual
part of each value as a variable of its own, ``t1_dot`` beside ``t1``, one primitive per
line, right after the value it belongs to. This script runs the seed's Dual class and
srcdiff's forward code side by side, prints both, and checks them against the symbolic
derivatives 3 cos x / (2 √(3 sin x)) and 1/(2x).

Run it from the repository root:

    python examples/dual_numbers.py

or print the forward code without running anything:

    srcdiff examples/dual_numbers.py --mode forward
"""

import math

import srcdiff


def f(x):
    return math.sqrt(3.0 * math.sin(x))


def g(x):
    return math.log(math.sqrt(x))


class Dual:
    """The seed's dual numbers, for the comparison: a value and its derivative."""

    def __init__(self, value, derivative):
        self.value, self.derivative = value, derivative

    def __mul__(self, other):
        if not isinstance(other, Dual):
            other = Dual(other, 0.0)
        return Dual(self.value * other.value,
                    self.value * other.derivative + self.derivative * other.value)

    __rmul__ = __mul__

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.derivative)

    def sqrt(self):
        root = math.sqrt(self.value)
        return Dual(root, self.derivative / (2.0 * root))

    def log(self):
        return Dual(math.log(self.value), self.derivative / self.value)


def main():
    x = 2.0
    print("srcdiff's forward code for f(x) = sqrt(3 sin x): each value, then its tangent\n")
    print(srcdiff.source(f, mode="forward"))
    print("The seed's dual numbers do the same arithmetic on (value, derivative) pairs:")
    print("  u = x + 1ε        = Dual(2.0, 1.0)")
    print("  sin(u)            = Dual(sin 2, cos 2 · 1)        # t1, t1_dot")
    print("  3 · sin(u)        = Dual(3 sin 2, 3 cos 2)        # t2, t2_dot")
    print("  sqrt(3 · sin(u))  = Dual(√t2, t2_dot / (2 √t2))   # f, f_dot\n")

    dual = (3.0 * Dual(x, 1.0).sin()).sqrt()
    value, tangent = srcdiff.jvp(f, (x,), (1.0,))
    symbolic = 3.0 * math.cos(x) / (2.0 * math.sqrt(3.0 * math.sin(x)))
    print(f"f(2):  dual numbers Dual {dual.value!r} ({dual.derivative!r})")
    print(f"       srcdiff.jvp        {value!r} ({tangent!r})")
    print(f"       3 cos x / (2 sqrt(3 sin x)) = {symbolic!r}\n")
    assert math.isclose(value, 1.6516332160855343, rel_tol=1e-15)
    assert math.isclose(tangent, symbolic, rel_tol=1e-14)
    assert math.isclose(tangent, dual.derivative, rel_tol=1e-14)

    print("srcdiff's forward code for g(x) = log(sqrt x):\n")
    print(srcdiff.source(g, mode="forward"))
    dual = Dual(x, 1.0).sqrt().log()
    value, tangent = srcdiff.jvp(g, (x,), (1.0,))
    print(f"g'(2): dual numbers {dual.derivative!r}, srcdiff.jvp {tangent!r}, 1/(2x) = "
          f"{1 / (2 * x)!r}")
    assert math.isclose(tangent, 0.25, rel_tol=1e-15)
    assert math.isclose(tangent, dual.derivative, rel_tol=1e-15)
    assert math.isclose(tangent, srcdiff.gradient(g)(x), rel_tol=1e-15)
    print("\nOK: forward mode (srcdiff and the dual numbers) and reverse mode agree")


if __name__ == "__main__":
    main()
