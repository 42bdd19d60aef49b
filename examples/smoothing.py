"""Writing into an array: fitting the factor of an exponential moving average.

An exponential moving average smooths a signal x_0 … x_{n−1} one step at a time,

    y_0 = x_0,    y_t = α y_{t−1} + (1 − α) x_t,

and written in NumPy it fills an array element by element: y[t] = ... . Here the loss
is E = ½ Σ (y_t − target_t)², and srcdiff differentiates it with respect to the factor α
and the signal x.

Backpropagation walks the recurrence backwards. Every y_t feeds the loss and the next
step, so its error signal ȳ_t collects both, and passes on through y_t = α y_{t−1} +
(1 − α) x_t, t = n−1 … 1:

    ᾱ += ȳ_t (y_{t−1} − x_t),    ȳ_{t−1} += α ȳ_t,    x̄_t = (1 − α) ȳ_t

The generated code does the same with one new move, the one that writing into an
array needs. The statement y[t] = … overwrites the element y[t], so walking back over
it, the written value gets ȳ_t (t10_bar = y_bar[t]), and then y_bar[t] is zeroed:
the value y[t] held before the write never reached the loss. (Here that old value is
the 0 from np.zeros, so the zero is plain to see; when a loop writes the same place
twice, it is what keeps the first write from getting the second's adjoint.)

The adjoints need none of the overwritten elements, so the array itself is never
saved. ᾱ's update does read y_{t−1}, which each forward step takes out of the array
into a temporary (t5); the forward loop keeps those on a tape (t5_tape), one number per
step, since in general a later write could change the array. Cheaper values, t − 1 and
x[t], each reverse step simply computes again.

The script checks ∂E/∂α and ∂E/∂x against the recursion above and against central
differences, then fits α by steepest descent to a target smoothed with α = 0.8,
starting from α = 0.3.

Run it from the repository root:

    python examples/smoothing.py
"""

import numpy as np

import srcdiff


def smoothing_loss(alpha: float, x: "array[n]", target: "array[n]"):
    y = np.zeros(len(x))
    y[0] = x[0]
    for t in range(1, len(x)):
        y[t] = alpha * y[t - 1] + (1.0 - alpha) * x[t]
    return 0.5 * np.sum((y - target) ** 2)


if __name__ == "__main__":
    def by_hand(alpha, x, target):
        """The adjoint recursion from the docstring, written out."""
        n = len(x)
        y = np.zeros(n)
        y[0] = x[0]
        for t in range(1, n):
            y[t] = alpha * y[t - 1] + (1.0 - alpha) * x[t]
        y_bar = y - target
        alpha_bar, x_bar = 0.0, np.zeros(n)
        for t in range(n - 1, 0, -1):
            alpha_bar += y_bar[t] * (y[t - 1] - x[t])
            y_bar[t - 1] += alpha * y_bar[t]
            x_bar[t] = (1.0 - alpha) * y_bar[t]
        x_bar[0] = y_bar[0]
        return alpha_bar, x_bar


    def central_difference(f, args, index, h=1e-6):
        args = list(args)
        value = args[index]
        if np.ndim(value) == 0:
            up, down = list(args), list(args)
            up[index], down[index] = value + h, value - h
            return (f(*up) - f(*down)) / (2 * h)
        grad = np.zeros_like(value)
        for k in range(value.size):
            step = np.zeros_like(value)
            step[k] = h
            up, down = list(args), list(args)
            up[index], down[index] = value + step, value - step
            grad[k] = (f(*up) - f(*down)) / (2 * h)
        return grad

    rng = np.random.default_rng(7)
    n = 50
    signal = np.sin(np.linspace(0.0, 6.0, n)) + 0.3 * rng.standard_normal(n)
    target = np.zeros(n)
    target[0] = signal[0]
    for t in range(1, n):
        target[t] = 0.8 * target[t - 1] + 0.2 * signal[t]

    code = srcdiff.source(smoothing_loss, wrt=("alpha", "x"), args=(0.3, signal, target))
    print("srcdiff's derivative of smoothing_loss with respect to (alpha, x):\n")
    print(code)
    for line in ("t10_bar = y_bar[t]", "y_bar[t] = 0.0", "for t in reversed(range(1, ",
                 "t5 = t5_tape.pop()", "alpha_bar = alpha_bar - t7_bar + t10_bar * t5"):
        assert line in code, f"expected {line!r} in the derivative:\n{code}"
    assert "y_tape" not in code, "the overwritten elements are not needed: no tape of y"

    grad = srcdiff.gradient(smoothing_loss, wrt=("alpha", "x"))
    alpha_bar, x_bar = grad(0.3, signal, target)
    hand_alpha, hand_x = by_hand(0.3, signal, target)
    fd_alpha = central_difference(smoothing_loss, (0.3, signal, target), 0)
    fd_x = central_difference(smoothing_loss, (0.3, signal, target), 1)
    print(f"At alpha = 0.3: dE/dalpha = {alpha_bar:.10f} (by hand {hand_alpha:.10f}, "
          f"finite differences {fd_alpha:.10f})")
    assert np.isclose(alpha_bar, hand_alpha, rtol=1e-12) and np.isclose(alpha_bar, fd_alpha,
                                                                          rtol=1e-6)
    assert np.allclose(x_bar, hand_x, rtol=1e-12, atol=1e-14)
    assert np.allclose(x_bar, fd_x, rtol=1e-6, atol=1e-8)
    print(f"|dE/dx| = {np.linalg.norm(x_bar):.10f}, equal to the recursion's and to finite "
          "differences\n")

    alpha, gamma = 0.3, 0.02
    d_alpha = srcdiff.gradient(smoothing_loss, wrt="alpha")
    print("Steepest descent on alpha, gamma = 0.02:")
    for step in range(201):
        if step in (0, 10, 50, 100, 200):
            print(f"  step {step:3d}   alpha = {alpha:.6f}   E = "
                  f"{smoothing_loss(alpha, signal, target):.3e}")
        alpha -= gamma * d_alpha(alpha, signal, target)
    assert abs(alpha - 0.8) < 1e-3, alpha
    print(f"\nOK: alpha = {alpha:.4f}, the factor the target was smoothed with (0.8).")
