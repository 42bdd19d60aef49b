"""A softmax classifier: multinomial logistic regression by steepest descent.

In the spirit of seed 001 (backpropagation is steepest descent with automatic
differentiation), whose network ends in a linear layer under a squared error. A
classifier puts a softmax on that layer instead and measures it with the cross-entropy.
For n points x (rows of X, 2-D here) with labels one-hot encoded in `onehot`, and
3 classes,

    logits = X W + b,    p_ic = exp(logit_ic) / Σ_c' exp(logit_ic'),
    E(W, b) = −(1/n) Σ_i Σ_c onehot_ic log p_ic.

`cross_entropy` below computes log p without ever forming exp(logit): it subtracts each
row's largest logit first (`logits - logits.max(axis=1, keepdims=True)`), which changes
no probability but keeps np.exp from overflowing when the logits are large, and then
log p = shifted − log Σ exp(shifted), the log-sum-exp.

The gradient has a famous closed form: the error signal of the logits is
(p − onehot) / n, so

    ∂E/∂W = Xᵀ (p − onehot) / n,    ∂E/∂b = Σ_i (p_i − onehot_i) / n.

srcdiff's derivative (printed by the script) reaches it one line at a time, backwards:
log_probs_bar = −onehot / n; the log-sum-exp sends Σ_c onehot_ic / n = 1/n per row
back through the log and the sum, where exp(shifted) / Σ exp(shifted) = p appears, so
shifted_bar = (p − onehot) / n. The max subtraction then adds, to the logits, the
row-sums of −shifted_bar times the max's tie weights (`tie_weights` marks which entry
is the largest in each row, sharing ties equally). Those row-sums are
−Σ_c (p_ic − onehot_ic) / n = 0: the shift does not change the loss, so it adds
nothing to the gradient (zero up to rounding). Last, through logits = X @ W + b:
W_bar = X.T @ logits_bar, and b_bar sums the rows, since b was broadcast over them.

The script builds three Gaussian blobs of 100 points each in the plane (and a fresh
test set from the same blobs), checks srcdiff's gradient against the closed form and
against central finite differences, shows the gradient staying finite where the
logits are in the thousands (np.exp of them overflows to inf), then trains
by steepest descent (γ = 0.5) to more than 90% accuracy on both sets.

The string annotations give the shapes (d features, c classes, n points) for the
command line: `srcdiff examples/softmax_classifier.py --wrt W,b` prints the derivative
without running the script.

Run it from the repository root:

    python examples/softmax_classifier.py
"""

import numpy as np

import srcdiff


def cross_entropy(W: "array[d, c]", b: "array[c]", X: "array[n, d]", onehot: "array[n, c]"):
    logits = X @ W + b
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(onehot * log_probs) / X.shape[0]


if __name__ == "__main__":
    def blobs(rng, per_class):
        """Points around three centres in the plane, with labels 0, 1, 2."""
        centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
        labels = np.repeat(np.arange(3), per_class)
        points = centres[labels] + 0.8 * rng.normal(size=(3 * per_class, 2))
        return points, labels

    def probabilities(W, b, X):
        logits = X @ W + b
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def accuracy(W, b, X, labels):
        return float(np.mean(np.argmax(X @ W + b, axis=1) == labels))

    rng = np.random.default_rng(0)
    X, labels = blobs(rng, 100)
    X_test, labels_test = blobs(rng, 100)
    onehot = np.eye(3)[labels]
    n = len(X)
    W = 0.1 * rng.normal(size=(2, 3))
    b = np.zeros(3)

    print("srcdiff's derivative of cross_entropy with respect to (W, b):\n")
    code = srcdiff.source(cross_entropy, wrt=("W", "b"), args=(W, b, X, onehot))
    print(code)
    assert "W_bar = X.T @ " in code and "b_bar = np.sum(logits_bar, axis=0)" in code, (
        f"expected W_bar = X.T @ ... and b_bar summed over the rows:\n{code}")

    loss_grad = srcdiff.value_and_grad(cross_entropy, wrt=("W", "b"))

    # 1. The closed form: the logits' error signal is (p - onehot) / n.
    E, (W_bar, b_bar) = loss_grad(W, b, X, onehot)
    signal = (probabilities(W, b, X) - onehot) / n
    W_closed, b_closed = X.T @ signal, signal.sum(axis=0)
    print(f"At the random start, E = {E:.6f} (log 3 = {np.log(3.0):.6f} for a blind guess)")
    for label, value in (("∂E/∂W, srcdiff:    ", W_bar), ("∂E/∂W, closed form:", W_closed),
                         ("∂E/∂b, srcdiff:    ", b_bar), ("∂E/∂b, closed form:", b_closed)):
        prefix = f"  {label} "
        print(prefix + np.array2string(value, precision=10, prefix=prefix))
    print("  (closed form: Xᵀ (p − onehot) / n and Σ_i (p_i − onehot_i) / n)")
    assert np.allclose(W_bar, W_closed, rtol=1e-12, atol=1e-15), (
        f"∂E/∂W: srcdiff gives\n{W_bar}\nthe closed form\n{W_closed}")
    assert np.allclose(b_bar, b_closed, rtol=1e-12, atol=1e-15), (
        f"∂E/∂b: srcdiff gives {b_bar}, the closed form {b_closed}")

    # 2. Central finite differences, one weight at a time.
    h = 1e-6
    W_fd, b_fd = np.zeros_like(W), np.zeros_like(b)
    for index in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[index] = h
        W_fd[index] = (cross_entropy(W + step, b, X, onehot)
                       - cross_entropy(W - step, b, X, onehot)) / (2 * h)
    for index in np.ndindex(b.shape):
        step = np.zeros_like(b)
        step[index] = h
        b_fd[index] = (cross_entropy(W, b + step, X, onehot)
                       - cross_entropy(W, b - step, X, onehot)) / (2 * h)
    fd_error = max(np.max(np.abs(W_bar - W_fd)), np.max(np.abs(b_bar - b_fd)))
    print(f"Largest difference from central finite differences (h = {h}): {fd_error:.1e}")
    assert fd_error < 1e-8, (
        f"srcdiff and finite differences disagree by {fd_error}:\n{W_bar}\n{W_fd}\n{b_bar}\n{b_fd}")

    # 3. Large logits: without the max subtraction np.exp would overflow to inf.
    W_big = 10_000.0 * W
    logits_big = X @ W_big + b
    with np.errstate(over="ignore"):
        overflowed = int(np.sum(np.isinf(np.exp(logits_big))))
    E_big, (W_bar_big, b_bar_big) = loss_grad(W_big, b, X, onehot)
    signal_big = (probabilities(W_big, b, X) - onehot) / n
    print(f"\nWith W scaled by 10,000 the logits reach {np.max(logits_big):.0f}; np.exp of "
          f"them overflows to inf\nin {overflowed} places, but with the shift E = {E_big:.1f} "
          "and the gradient is finite and exact:")
    print(f"  ∂E/∂W = {np.array2string(W_bar_big, precision=6, prefix='  ∂E/∂W = ')}")
    assert overflowed > 0, "the example needs logits large enough to overflow np.exp"
    assert np.isfinite(E_big) and np.all(np.isfinite(W_bar_big)), (
        f"the shifted softmax should give finite values, got E = {E_big}, ∂E/∂W = {W_bar_big}")
    assert np.allclose(W_bar_big, X.T @ signal_big, rtol=1e-10, atol=1e-13) and np.allclose(
        b_bar_big, signal_big.sum(axis=0), rtol=1e-10, atol=1e-13), (
        "with large logits srcdiff's gradient should still be Xᵀ (p − onehot) / n")

    # 4. Steepest descent.
    gamma, iterations = 0.5, 200
    print(f"\nSteepest descent, γ = {gamma}, {iterations} steps:")
    print(f"  {'step':>5}  {'E':>9}  {'train accuracy':>14}")
    curve = []
    for step in range(iterations + 1):
        E, (W_bar, b_bar) = loss_grad(W, b, X, onehot)
        curve.append(float(E))
        if step in (0, 1, 5, 20, 50, 100, iterations):
            print(f"  {step:5d}  {E:9.6f}  {accuracy(W, b, X, labels):14.1%}")
        if step < iterations:
            W = W - gamma * W_bar
            b = b - gamma * b_bar

    train, test = accuracy(W, b, X, labels), accuracy(W, b, X_test, labels_test)
    print(f"\nAccuracy after training: {train:.1%} on the training set, {test:.1%} on "
          f"{len(X_test)} fresh points")
    assert curve[-1] < 0.5 * curve[0], f"the loss should at least halve: {curve[0]} -> {curve[-1]}"
    assert train > 0.9 and test > 0.9, (
        f"the classifier should be more than 90% accurate, got {train:.1%} (train), "
        f"{test:.1%} (test)")
    print("\nOK: srcdiff's gradient is Xᵀ (p − onehot) / n, and steepest descent with it "
          "separates the blobs")
