"""Newton's method with srcdiff's Hessian: second derivatives from the derivative's code.

Steepest descent (seed 001) steps along -∇f with a fixed rate. Newton's method solves the
quadratic model of f around x instead: x ← x - H⁻¹ ∇f, with H the Hessian, and near a
minimum it doubles the number of correct digits each step. ``srcdiff.hessian`` makes H by
forward mode over the gradient's generated code: one forward pass per parameter, each the
gradient's own code with a tangent beside every value.

The function is Rosenbrock's banana valley, f(x, y) = (1 - x)² + 100 (y - x²)², whose
minimum is at (1, 1) at the bottom of a long curved valley where steepest descent crawls.
The script checks the Hessian against the one written out by hand, runs Newton's method
from (-1.2, 1) and steepest descent for comparison, and prints both paths.

    python examples/newton.py

or print the gradient whose code the Hessian differentiates:

    srcdiff examples/newton.py
"""

import numpy as np

import srcdiff


def rosenbrock(p: "float64[2]"):
    x, y = p[0], p[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def main():
    def hand_hessian(p):
        x, y = p
        return np.array([[2.0 - 400.0 * (y - 3.0 * x * x), -400.0 * x],
                         [-400.0 * x, 200.0]])

    gradient = srcdiff.gradient(rosenbrock)
    hessian = srcdiff.hessian(rosenbrock)
    start = np.array([-1.2, 1.0])
    assert np.allclose(hessian(start), hand_hessian(start), rtol=1e-12)
    print("The Hessian at (-1.2, 1), by forward mode over the gradient's code:")
    print(hessian(start))

    p = start.copy()
    print("\nNewton's method:  step  x                   y                   f")
    for step in range(1, 8):
        p = p - np.linalg.solve(hessian(p), gradient(p))
        print(f"                  {step:4d}  {p[0]: .15f}  {p[1]: .15f}  {rosenbrock(p):.3e}")
    assert np.allclose(p, [1.0, 1.0], atol=1e-12), f"Newton's method ended at {p}"

    q = start.copy()
    for _ in range(5000):
        q = q - 0.001 * gradient(q)
    print(f"\nSteepest descent (rate 0.001) after 5000 steps: ({q[0]:.6f}, {q[1]:.6f}), "
          f"f = {rosenbrock(q):.3e}")
    print("OK: Newton's method with srcdiff.hessian reaches the minimum (1, 1) in 7 steps")


if __name__ == "__main__":
    main()
