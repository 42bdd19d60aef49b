"""The error of finite differences against the step ε, beside srcdiff's exact derivative.

From seed 001 (numerical differentiation). For f(x) = eˣ, whose derivative is eˣ itself,
the seed approximates f'(x) by the forward difference

    f'(x) ≈ (f(x + ε) − f(x)) / ε

and charts its error against ε: "in theory we should get a closer and closer approximation
as epsilon decreases but ... at some point (with ε ≈ 2⁻²⁶) the approximation worsens as a
result of the fact that we are using floating point arithmetic".

Two errors add up. Truncation: the forward difference is f'(x) + ε f''(x)/2 + ..., off by
about ε. Rounding: f(x + ε) and f(x) are each rounded to about eˣ·2⁻⁵³, and their
difference, divided by ε, carries an error of about eˣ·2⁻⁵³/ε. The sum is smallest where
the two are equal, at ε ≈ √(2⁻⁵²) = 2⁻²⁶, and there it is still a few times 1e-8: only
half the digits of a float. Central differences (f(x + ε) − f(x − ε)) / 2ε truncate at ε²
instead, so their best step is near the cube root, 2⁻¹⁸ here, with an error near 1e-11
(that is the step srcdiff.check_grad takes).

srcdiff's derivative is the code `x_bar = g * ans`: eˣ exactly as math.exp computes it,
with no step to choose and an error of 0 here (at worst the rounding of eˣ itself, 1 ulp).

The seed does not say where it evaluated the derivative; this script takes x = 1, where
f'(1) = e. It prints a table of the errors for ε = 2⁻ᵏ, k = 1, ..., 52, and draws the
seed's chart when matplotlib is installed (`pip install 'srcdiff[plot]'`):

    python examples/finite_difference_error.py [PNG]

(PNG defaults to finite_difference_error.png in the current directory.)
"""

import importlib.util
import math
import sys

import srcdiff


def f(x):
    return math.exp(x)


def forward_difference(x, eps):
    return (f(x + eps) - f(x)) / eps


def central_difference(x, eps):
    return (f(x + eps) - f(x - eps)) / (2.0 * eps)


if __name__ == "__main__":
    x = 1.0
    exact = math.exp(x)
    derivative = srcdiff.gradient(f)(x)
    exact_error = abs(derivative - exact)

    print("srcdiff's derivative of f(x) = math.exp(x):\n")
    print(srcdiff.source(f))
    print(f"At x = {x}: srcdiff gives f'(x) = {derivative!r}, e = {exact!r}, "
          f"error {exact_error:g}\n")

    ks = list(range(1, 53))
    forward_errors = [abs(forward_difference(x, 2.0 ** -k) - exact) for k in ks]
    central_errors = [abs(central_difference(x, 2.0 ** -k) - exact) for k in ks]
    best_forward = ks[forward_errors.index(min(forward_errors))]
    best_central = ks[central_errors.index(min(central_errors))]

    print("  k   ε = 2^-k     forward difference error  central difference error")
    for k, forward, central in zip(ks, forward_errors, central_errors):
        if k % 3 == 1 or k in (best_forward, best_central):
            mark = "  <- best forward" if k == best_forward else ""
            mark += "  <- best central" if k == best_central else ""
            print(f"  {k:2d}  {2.0 ** -k:10.3e}  {forward:24.3e}  {central:24.3e}{mark}")
    print(f"\nThe forward difference is best at ε = 2^-{best_forward} (error "
          f"{min(forward_errors):.1e}), the central difference at ε = 2^-{best_central} "
          f"(error {min(central_errors):.1e});")
    print(f"both grow again for smaller steps, to {forward_errors[-1]:.2g} at ε = 2^-52. "
          f"srcdiff's error: {exact_error:g}.")

    assert exact_error <= math.ulp(exact), f"srcdiff's derivative of exp is off by {exact_error}"
    assert 24 <= best_forward <= 28, f"the seed finds the best step near 2^-26, not {best_forward}"
    assert 1e-9 < min(forward_errors) < 1e-7, f"best forward error {min(forward_errors)}"
    assert 15 <= best_central <= 21, f"the best central step is 2^-{best_central}"
    assert forward_errors[-1] > 1e-2 and forward_errors[0] > 0.5, "both ends should be poor"

    path = sys.argv[1] if len(sys.argv) > 1 else "finite_difference_error.png"
    if importlib.util.find_spec("matplotlib") is None:
        print("\nmatplotlib is not installed, so no chart was drawn; "
              "pip install 'srcdiff[plot]' (or pip install matplotlib) to draw it.")
    else:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        # The seed's chart on log scales; srcdiff's error (0) is drawn at one ulp of e.
        steps = [2.0 ** -k for k in ks]
        ulp = math.ulp(math.e)
        figure, axes = plt.subplots(figsize=(7, 4.5))
        axes.loglog(steps, [max(e, ulp / 4) for e in forward_errors], "o-", markersize=3,
                    label="forward difference (f(x+ε) − f(x)) / ε")
        axes.loglog(steps, [max(e, ulp / 4) for e in central_errors], "s-", markersize=3,
                    label="central difference (f(x+ε) − f(x−ε)) / 2ε")
        axes.axhline(max(exact_error, ulp), color="black", linestyle="--",
                     label=f"srcdiff's derivative (error {exact_error:g}; drawn at 1 ulp)")
        axes.axvline(2.0 ** -26, color="grey", linewidth=0.8,
                     label="ε = 2⁻²⁶, the seed's best step")
        axes.set_xscale("log", base=2)
        axes.set_xlabel("step ε")
        axes.set_ylabel("|approximation − eˣ| at x = 1")
        axes.set_title("Finite differences of exp at x = 1 (seed 001)")
        axes.legend(fontsize=8, loc="upper center")
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)
        print(f"\nThe chart is in {path}.")
    print("\nOK: finite differences are best near ε = 2^-26 and keep about half the digits; "
          "srcdiff's derivative is exact")
