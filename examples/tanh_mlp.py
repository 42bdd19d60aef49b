"""The delta rule of seed 001, read off srcdiff's output for one sample.

Seed 001 trains a tanh network on E = 1/2 ||yhat - y||^2 and derives backpropagation by
hand: the error at the output is delta = yhat - y, a layer's weights get delta z^T, and
delta travels back through the weights and the slope of tanh, 1 - tanh^2. srcdiff prints
these steps and no others (`srcdiff examples/tanh_mlp.py --wrt w1,w2`):

    yhat_bar = t1                        # delta = yhat - y   (t1 = yhat - y)
    w2_bar = np.outer(yhat_bar, z1)      # delta z^T
    z1_bar = w2.T @ yhat_bar             # sum_k delta_k w_kj
    a1_bar = z1_bar * (1.0 - z1 * z1)    # tanh' = 1 - tanh^2, reusing z1
    w1_bar = np.outer(a1_bar, x)

Five adjoint statements, as many as the derivation by hand (docs/adjoint-counts.md). The
script checks srcdiff's gradient against the delta rule written out, and against central
differences. Run it from the repository root:

    python examples/tanh_mlp.py
"""

import numpy as np

import srcdiff


def loss(w1: "array[h, n]", w2: "array[k, h]", x: "array[n]", y: "array[k]"):  # noqa: F821
    a1 = w1 @ x
    z1 = np.tanh(a1)
    yhat = w2 @ z1
    return 0.5 * np.sum((yhat - y) ** 2)


def main():
    def delta_rule(w1, w2, x, y):
        """Backpropagation as the seed writes it: delta at the output, then backwards."""
        z1 = np.tanh(w1 @ x)
        delta = w2 @ z1 - y
        delta_hidden = (w2.T @ delta) * (1.0 - z1 ** 2)
        return np.outer(delta_hidden, x), np.outer(delta, z1)

    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    x, y = rng.normal(size=3), rng.normal(size=2)
    print(srcdiff.source(loss, wrt=("w1", "w2"), args=(w1, w2, x, y)))
    gradient = srcdiff.gradient(loss, wrt=("w1", "w2"))
    by_srcdiff = gradient(w1, w2, x, y)
    by_hand = delta_rule(w1, w2, x, y)
    for name, mine, theirs in zip(("w1", "w2"), by_srcdiff, by_hand):
        assert np.allclose(mine, theirs, rtol=1e-13, atol=1e-15), name
        print(f"dE/d{name}: srcdiff and the delta rule agree "
              f"(largest difference {np.max(np.abs(mine - theirs)):.1e})")
    check = srcdiff.check_grad(loss, w1, w2, x, y, wrt=("w1", "w2"))
    assert check.ok, check
    print(f"E = {loss(w1, w2, x, y):.6f}; central differences agree "
          f"(largest relative error {max(check.errors.values()):.1e})")


if __name__ == "__main__":
    main()
