"""Backpropagation through time: srcdiff differentiates an unrolled tanh RNN.

In the spirit of seed 001 (backpropagation is steepest descent with automatic
differentiation), whose many_sines loop showed that the derivative of a loop is the
loop run backwards. A recurrent network is such a loop: one tanh layer applied once per
time step, with its own output fed back in,

    h_t = tanh(Wx x_t + Wh h_{t−1}),    t = 1 … T,

and here a loss on the final state, E = ½‖h_T − target‖². The same weights Wx and Wh
are used at every step, so E depends on them through all T steps.

Backpropagation through time (BPTT) is the seed's δ rule applied to the unrolled loop,
one copy of the layer per step: start from the error signal of the final state,
h̄_T = h_T − target, and walk back, t = T … 1:

    δ_t = h̄_t ⊙ (1 − h_t²)           through the tanh (reusing h_t, as the seed's f')
    Wh̄ += δ_t h_{t−1}ᵀ,  Wx̄ += δ_t x_tᵀ   each step adds its share: the weights are shared
    h̄_{t−1} = Whᵀ δ_t                the error signal of the previous state

That is the reversed loop srcdiff generates (printed by the script), with t4 the
pre-activation Wx @ x + Wh @ h:

    t4_bar = h_bar * (1.0 - h * h)           # δ_t
    h = h_tape.pop()                         # h_{t−1}, back from the tape
    t2_bar = t4_bar                          # a sum passes δ_t to both of its terms,
    t3_bar = t4_bar                          #   t2 = Wx @ x and t3 = Wh @ h
    Wh_bar = Wh_bar + np.outer(t3_bar, h)
    h_bar = Wh.T @ t3_bar
    Wx_bar = Wx_bar + np.outer(t2_bar, x)

Each reverse step needs that step's h_{t−1}, which the forward loop overwrote, so the
forward loop keeps a tape of it: before each overwrite it appends the old value to a
plain list (h_tape), and the reverse loop pops them back, newest first. The step's
input x_t is cheaper to read again than to save: each reversed step starts with
x = xs[k]. One state per time step: the memory of BPTT grows with the length of the
sequence.

The script checks ∂E/∂Wx and ∂E/∂Wh against central finite differences, entry by
entry. Then it asks for ∂E/∂xs, how much each input of the sequence moves the loss, on
a longer sequence (T = 20). Each h̄_{t−1} is h̄_t multiplied by Whᵀ diag(1 − h_t²).
Since tanh' ≤ 1, a recurrent matrix with spectral norm below 1 (0.94 here) shrinks the
signal at every step back, and tanh's saturation shrinks it more: the gradient reaching
early inputs fades geometrically. That is the vanishing gradient of plain RNNs, visible
in the printed norms (checked against finite differences too).

The string annotations give the shapes (d inputs, h hidden units, T time steps) for
the command line: `srcdiff examples/rnn.py --wrt Wx,Wh` prints the derivative without
running the script.

Run it from the repository root:

    python examples/rnn.py
"""

import numpy as np

import srcdiff


def rnn_loss(Wx: "array[h, d]", Wh: "array[h, h]", h0: "array[h]", xs: "array[T, d]",
             target: "array[h]"):
    h = h0
    for x in xs:
        h = np.tanh(Wx @ x + Wh @ h)
    return 0.5 * np.sum((h - target) ** 2)


if __name__ == "__main__":
    def central_differences(f, array, h=1e-6):
        """∂f/∂array entry by entry; f reads the array, which is nudged in place."""
        gradient = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + h
            up = f()
            array[index] = saved - h
            down = f()
            array[index] = saved
            gradient[index] = (up - down) / (2 * h)
        return gradient

    rng = np.random.default_rng(0)
    steps, inputs, hidden = 6, 2, 3
    Wx = 0.5 * rng.normal(size=(hidden, inputs))
    Wh = 0.3 * rng.normal(size=(hidden, hidden))
    h0 = np.zeros(hidden)
    xs = rng.normal(size=(steps, inputs))      # the sequence x_1 ... x_T, one row per step
    target = rng.normal(size=hidden)

    code = srcdiff.source(rnn_loss, wrt=("Wx", "Wh"), args=(Wx, Wh, h0, xs, target))
    print("srcdiff's derivative of rnn_loss with respect to (Wx, Wh): the forward loop")
    print("keeps a tape of h, the reversed loop is backpropagation through time.\n")
    print(code)
    for line in ("h_tape.append(h)", "for k in reversed(range(", "h = h_tape.pop()",
                 "(1.0 - h * h)", "h_bar = Wh.T @ "):
        assert line in code, f"expected {line!r} in the derivative:\n{code}"

    # The gradient with respect to the weights, against central finite differences.
    E, (Wx_bar, Wh_bar) = srcdiff.value_and_grad(rnn_loss, wrt=("Wx", "Wh"))(
        Wx, Wh, h0, xs, target)
    Wx_fd = central_differences(lambda: rnn_loss(Wx, Wh, h0, xs, target), Wx)
    Wh_fd = central_differences(lambda: rnn_loss(Wx, Wh, h0, xs, target), Wh)
    print(f"T = {steps} steps, E = {E:.10f}")
    for name, grad, fd in (("Wx", Wx_bar, Wx_fd), ("Wh", Wh_bar, Wh_fd)):
        prefix = f"  ∂E/∂{name}, srcdiff:            "
        print(prefix + np.array2string(grad, precision=9, prefix=prefix))
        prefix = f"  ∂E/∂{name}, finite differences: "
        print(prefix + np.array2string(fd, precision=9, prefix=prefix))
        error = np.max(np.abs(grad - fd))
        print(f"  largest difference {error:.1e}")
        assert error < 1e-8, f"∂E/∂{name}: srcdiff gives\n{grad}\nfinite differences\n{fd}"

    # Vanishing gradients: how much does each input of a longer sequence move E?
    long_steps = 20
    long_xs = rng.normal(size=(long_steps, inputs))
    xs_bar = srcdiff.gradient(rnn_loss, wrt="xs")(Wx, Wh, h0, long_xs, target)
    xs_fd = central_differences(lambda: rnn_loss(Wx, Wh, h0, long_xs, target), long_xs)
    error = np.max(np.abs(xs_bar - xs_fd))
    assert xs_bar.shape == long_xs.shape and error < 1e-8, (
        f"∂E/∂xs: srcdiff gives\n{xs_bar}\nfinite differences\n{xs_fd}")
    norms = np.linalg.norm(xs_bar, axis=1)
    print(f"\nT = {long_steps}: the size of ∂E/∂x_t, the error signal reaching each input "
          f"(differs from\nfinite differences by at most {error:.1e}); "
          f"the spectral norm of Wh is {np.linalg.norm(Wh, 2):.2f}:")
    for t in (long_steps, long_steps - 1, long_steps - 2, 15, 10, 5, 1):
        print(f"  t = {t:2d}  |∂E/∂x_t| = {norms[t - 1]:.3e}")
    assert norms[0] < 1e-3 * norms[-1], (
        f"the signal reaching x_1 should have faded: |∂E/∂x_1| = {norms[0]}, "
        f"|∂E/∂x_T| = {norms[-1]}")
    print(f"The first input gets {norms[0] / norms[-1]:.1e} of the last one's signal: "
          "the gradient vanishes going back in time.")
    print("\nOK: the reversed loop with its tape is backpropagation through time, and agrees "
          "with finite differences")
