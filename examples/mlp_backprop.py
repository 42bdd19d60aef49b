"""Backpropagation is the reverse sweep: seed 001's tanh network, its δ rule and srcdiff.

From seed 001 (backpropagation is steepest descent with automatic differentiation).
The seed's network has one hidden layer of tanh units,

    a_j = Σ_i w⁽¹⁾_ji x_i + b⁽¹⁾_j,    z_j = tanh(a_j),    ŷ_k = Σ_j w⁽²⁾_kj z_j + b⁽²⁾_k,

(the seed folds the biases into the weights with a constant input x_0 = 1; here they
are separate vectors b1 and b2), and the cost of one data point is E = ½‖ŷ − y‖². In
NumPy, with w1[j, i] = w⁽¹⁾_ji (a row per receiving unit), that is a1 = w1 @ x + b1,
z1 = np.tanh(a1), yhat = w2 @ z1 + b2. The seed derives the gradient by hand, as
backpropagation:

    1. propagate forward, computing every a_j and z_j;
    2. at the output, δ_k = ∂E/∂ŷ_k = ŷ_k − y_k;
    3. propagate δ backwards: δ_j = f'(a_j) Σ_k δ_k w_kj, with f'(a) = 1 − tanh²(a);
    4. read off the weights' gradient: ∂E/∂w_kj = δ_k z_j (and ∂E/∂b_k = δ_k).

`cost` below is that network with the cost summed over a data set, one point (a row of
X and Y) at a time. srcdiff differentiates it with respect to (w1, b1, w2, b2) and its
derivative is the seed's algorithm: the forward loop is step 1, and the reversed loop
does steps 2 to 4 for each point, last point first, adding each point's δ zᵀ into the
gradient (`w2_bar = w2_bar + np.outer(..., z1)`). Matrix notation makes step 3 one
line: Σ_k δ_k w_kj for every j at once is w2.T @ δ. And f'(a_j) = 1 − z_j² reuses the
forward sweep's z1 instead of recomputing tanh. (Step 2 is 2 · ½ · (ŷ − y), the
derivative of ½ t² with t = yhat - y; the constants fold, and it reads E_bar * t.)

A loop over the data needs a tape: the reverse step for point k reads that point's z1
and ŷ − y, which the forward loop has overwritten by the time the reverse loop gets
there, so the forward loop appends them to plain lists (z1_tape, t6_tape) and the
reverse loop pops them back, last point first. That is the bookkeeping of
backpropagation, which keeps each layer's activations from the forward pass. The point
itself is cheaper to read again than to save: each reversed step starts with x = X[k].

The script prints the generated code, lines it up with the seed's four steps, and checks
it against the δ rule written out by hand in NumPy (`delta_rule`, which agrees to
rounding). Then it does what the seed's title says: steepest descent,
w ← w − γ ∇E(w), with γ = 0.02 and the gradient from srcdiff, fitting y = sin(x) at 21
points of [−3, 3] with 8 hidden units; E falls from 2.85 to 0.0091 in 500 steps.

The string annotations give the shapes (d inputs, h hidden units, o outputs, n data
points) for the command line, which reads the file without running it:
`srcdiff examples/mlp_backprop.py --wrt w1,b1,w2,b2` prints the same derivative with
symbolic sizes.

Run it from the repository root:

    python examples/mlp_backprop.py
"""

import re

import numpy as np

import srcdiff


def cost(w1: "array[h, d]", b1: "array[h]", w2: "array[o, h]", b2: "array[o]",
         X: "array[n, d]", Y: "array[n, o]"):
    E = 0.0
    for x, y in zip(X, Y):
        a1 = w1 @ x + b1
        z1 = np.tanh(a1)
        yhat = w2 @ z1 + b2
        E = E + 0.5 * np.sum((yhat - y) ** 2)
    return E


if __name__ == "__main__":
    def delta_rule(w1, b1, w2, b2, X, Y):
        """The seed's backpropagation by hand: δ backwards, then ∂E/∂w = δ zᵀ, summed."""
        w1_grad, b1_grad = np.zeros_like(w1), np.zeros_like(b1)
        w2_grad, b2_grad = np.zeros_like(w2), np.zeros_like(b2)
        for x, y in zip(X, Y):
            z1 = np.tanh(w1 @ x + b1)                         # step 1: forward
            yhat = w2 @ z1 + b2
            delta2 = yhat - y                                 # step 2: δ at the output
            delta1 = (1.0 - z1 ** 2) * (w2.T @ delta2)        # step 3: f'(a_j) Σ_k δ_k w_kj
            w2_grad += np.outer(delta2, z1)                   # step 4: δ_k z_j
            b2_grad += delta2
            w1_grad += np.outer(delta1, x)                    # δ_j x_i
            b1_grad += delta1
        return w1_grad, b1_grad, w2_grad, b2_grad

    # The data: y = sin(x) at 21 points; one input and one output per point (rows).
    X = np.linspace(-3.0, 3.0, 21)[:, None]
    Y = np.sin(X)
    hidden = 8
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(hidden, 1))
    b1 = rng.normal(size=hidden)
    w2 = rng.normal(size=(1, hidden)) / np.sqrt(hidden)
    b2 = np.zeros(1)
    wrt = ("w1", "b1", "w2", "b2")

    code = srcdiff.source(cost, wrt=wrt, args=(w1, b1, w2, b2, X, Y))
    print("srcdiff's derivative of cost with respect to (w1, b1, w2, b2):\n")
    print(code)

    # Line the generated reverse loop up with the seed's derivation.
    steps = [
        ("step 2, the output error: δ_k = ŷ_k − y_k",
         r"(\w+) = E_bar \* (\w+)\n", ""),
        ("step 4, output layer: ∂E/∂w_kj = δ_k z_j",
         r"w2_bar = w2_bar \+ np\.outer\(\w+, z1\)", ""),
        ("        ∂E/∂b_k = δ_k",
         r"b2_bar = b2_bar \+ \w+", ""),
        ("step 3, back through w2: Σ_k δ_k w_kj",
         r"z1_bar = w2\.T @ \w+", ""),
        ("        times f'(a_j) = 1 − tanh²(a_j)",
         r"a1_bar = z1_bar \* \(1\.0 - z1 \* z1\)", "(reusing z1 = tanh(a1))"),
        ("step 4, hidden layer: ∂E/∂w_ji = δ_j x_i",
         r"w1_bar = w1_bar \+ np\.outer\(\w+, x\)", ""),
        ("        ∂E/∂b_j = δ_j",
         r"b1_bar = b1_bar \+ \w+", ""),
    ]
    print("The seed's δ rule, and the line of the reversed loop that computes it:\n")
    print(f"  {'seed 001 (backpropagation)':<44}  srcdiff (reverse sweep, per data point)")
    for seed_text, pattern, note in steps:
        found = re.search(pattern, code)
        assert found, f"no line of the derivative matches {pattern!r}:\n{code}"
        line = found.group(0).strip()
        if seed_text.startswith("step 2"):
            # 2 * ½ * (ŷ − y), folded: E_bar (= 1) times t = yhat - y
            residual = found.group(2)
            assert f"{residual} = yhat - y" in code, f"expected {residual} = yhat - y:\n{code}"
            note = f"(E_bar = 1, {residual} = yhat - y)"
        print(f"  {seed_text:<44}  {line}  {note}".rstrip())
    assert "for k in reversed(range(" in code, f"expected a reversed loop over the data:\n{code}"
    print()

    # The gradient against the δ rule by hand.
    cost_grad = srcdiff.value_and_grad(cost, wrt=wrt)
    E, grads = cost_grad(w1, b1, w2, b2, X, Y)
    by_hand = delta_rule(w1, b1, w2, b2, X, Y)
    print(f"At the random starting weights E = {E:.6f}; gradient, srcdiff against the δ rule:")
    for name, grad, hand in zip(wrt, grads, by_hand):
        error = np.max(np.abs(grad - hand))
        print(f"  {name}: shape {grad.shape}, |∂E/∂{name}| = {np.linalg.norm(grad):.6f}, "
              f"largest difference {error:.1e}")
        assert grad.shape == hand.shape and np.allclose(grad, hand, rtol=1e-12, atol=1e-12), (
            f"∂E/∂{name}: srcdiff gives\n{grad}\nthe δ rule gives\n{hand}")

    # Steepest descent, w ← w − γ ∇E(w).
    gamma, iterations = 0.02, 500
    print(f"\nSteepest descent, γ = {gamma}, {iterations} steps:")
    print(f"  {'step':>5}  {'E':>10}")
    curve = []
    for step in range(iterations + 1):
        E, (w1_grad, b1_grad, w2_grad, b2_grad) = cost_grad(w1, b1, w2, b2, X, Y)
        curve.append(float(E))
        if step in (0, 1, 10, 50, 100, 200, 300, 400, iterations):
            print(f"  {step:5d}  {E:10.6f}")
        if step < iterations:
            w1 = w1 - gamma * w1_grad
            b1 = b1 - gamma * b1_grad
            w2 = w2 - gamma * w2_grad
            b2 = b2 - gamma * b2_grad

    print("\nThe fitted network against sin(x):")
    print(f"  {'x':>5}  {'sin(x)':>9}  {'network':>9}")
    fitted = np.tanh(X @ w1.T + b1) @ w2.T + b2
    for x, y, yhat in zip(X[::4], Y[::4], fitted[::4]):
        print(f"  {x[0]:5.1f}  {y[0]:9.5f}  {yhat[0]:9.5f}")
    worst = float(np.max(np.abs(fitted - Y)))
    print(f"  largest error over the 21 points: {worst:.3f}")
    assert worst < 0.1, f"the network should fit sin(x) within 0.1, its worst error is {worst}"

    print(f"\nE fell from {curve[0]:.4f} to {curve[-1]:.4f} "
          f"(a factor of {curve[0] / curve[-1]:.0f})")
    assert curve[-1] < 0.01 * curve[0], (
        f"training should cut the cost by more than 100x: {curve[0]} -> {curve[-1]}")
    assert all(later <= earlier for earlier, later in zip(curve, curve[1:])), (
        f"with γ = {gamma} every step of steepest descent should lower the cost")
    print("\nOK: the reverse sweep is the seed's δ rule, and steepest descent with it fits sin(x)")
