"""The example scripts run, check themselves, and print their key numbers."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "backprop_basics.py": ["def e_grad(a, b):", "de/da = 2.0", "de/db = 5.0", "1*2 + 1*3"],
    "sqrt_sin.py": ["def f_grad(x):", "-0.3779412091869595", "1.6516332160855343"],
    "exp_sin.py": ["def f_grad(x):", "f'(0.5) = 555.97196790150"],
    "linear_regression.py": ["def cost_grad(m, c, xs, ys, n):", "dL/dm = -78.1",
                             "Recovered m = 2.0000", "c = 0.9998"],
    "many_sines.py": ["def many_sines_grad(x):", "for i in reversed(range(1, 7)):",
                      "t1_tape.pop()", "n = 6: (((((2cos(2x)+1)cos(sin(2x)+x)+1)",
                      "f'(0.5) = 0.0793100103733"],
    "logistic_map.py": ["def logistic_map_grad(r, x0, n):", "save 30,000 floats",
                        "x_n = 0.6,", "dx_n/dr = 0.159999999999", "dx_n/dx0 = 0.0"],
    "regression_fit.py": ["def cost_grad(m, c, xs, ys):", "for i in reversed(range(n)):",
                          "dL/dm = -78.1", "Recovered m = 2.0000", "c = 0.9998"],
    "mlp_backprop.py": ["def cost_grad(w1, b1, w2, b2, X, Y):", "for k in reversed(range(",
                        "w2_bar = w2_bar + np.outer(",
                        "a1_bar = z1_bar * (1.0 - z1 * z1)", "E = 2.845888;",
                        "E fell from 2.8459 to 0.0091"],
    "softmax_classifier.py": ["def cross_entropy_grad(W, b, X, onehot):",
                              "W_bar = X.T @ ", "E = 0.981492",
                              "overflows to inf", "98.3% on the training set"],
    "smoothing.py": ["def smoothing_loss_grad(alpha, x, target):", "y_bar[t] = 0.0",
                     "dE/dalpha = -3.5247060638", "alpha = 0.8000"],
    "dual_numbers.py": ["def f_jvp(x, x_dot):", "t1_dot = x_dot * math.cos(x)",
                        "Dual 1.6516332160855343 (-0.3779412091869595)",
                        "srcdiff.jvp        1.6516332160855343 (-0.3779412091869595)",
                        "1/(2x) = 0.25"],
    "forward_vs_reverse.py": ["200 inputs, 1 output", "1 input, 200 outputs",
                              "reverse mode:     1 pass of", "forward mode:     1 pass of",
                              "each wins where seed 002 says it does"],
    "newton.py": ["[[1330.  480.]", "reaches the minimum (1, 1) in 7 steps",
                  "1.000000000000000   1.000000000000000"],
    "finite_difference_error.py": ["def f_grad(x):", "x_bar = f", "error 0",
                                   "best at ε = 2^-26 (error 3.7e-08)", "at ε = 2^-18",
                                   "<- best forward", "srcdiff's derivative is exact"],
    "tanh_mlp.py": ["def loss_grad(w1, w2, x, y):", "    yhat_bar = t1\n",
                    "a1_bar = z1_bar * (1.0 - z1 * z1)", "srcdiff and the delta rule agree",
                    "E = 2.996064; central differences agree"],
    "rnn.py": ["def rnn_loss_grad(Wx, Wh, h0, xs, target):", "h = h_tape.pop()",
               "h_bar = Wh.T @ ", "E = 0.7759139710", "t =  1  |∂E/∂x_t| = 8.74"],
}


def run(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_every_example_is_tested():
    assert sorted(p.name for p in (ROOT / "examples").glob("*.py")) == sorted(EXPECTED)


# Files an example writes, named on its command line so that they land in a test's tmp_path.
WRITES = {"finite_difference_error.py": "chart.png"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_and_checks_itself(name, tmp_path):
    written = [str(tmp_path / WRITES[name])] if name in WRITES else []
    result = run(str(Path("examples") / name), *written)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    for text in EXPECTED[name]:
        assert text in result.stdout, f"{name} did not print {text!r}:\n{result.stdout}"
    if name == "finite_difference_error.py":
        _check_chart(tmp_path / WRITES[name], result.stdout)


def _check_chart(path, stdout):
    """The chart is drawn where matplotlib is installed; elsewhere the script says how to
    install it and still succeeds."""
    if importlib.util.find_spec("matplotlib") is None:
        assert "pip install 'srcdiff[plot]'" in stdout and not path.exists()
    else:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"The chart is in {path}." in stdout


def test_cli_reads_backprop_basics():
    result = run("-m", "srcdiff", "examples/backprop_basics.py", "--wrt", "a,b")
    assert result.returncode == 0, result.stderr
    assert "def e_grad(a, b):" in result.stdout
    assert "return a_bar, b_bar" in result.stdout
