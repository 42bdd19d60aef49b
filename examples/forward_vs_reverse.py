"""Seed 002's argument, measured: when forward mode beats reverse mode, and back.

Forward mode pushes one direction through the computation per pass: the tangent of every
value along one input direction. Reverse mode pulls one output's sensitivity back through
it per pass: the adjoint of every value for one output. So a whole Jacobian of a function
from n inputs to m outputs costs n forward passes or m reverse passes (each reverse pass
also runs the function forward once, and keeps what the backward sweep needs). The seed:
with many inputs and one output (a loss), reverse mode wins, by a factor of the number of
inputs; with one input and many outputs, forward mode wins.

This script builds both Jacobians of two functions with ``srcdiff.jacfwd`` and
``srcdiff.jacrev``, checks they agree, and prints the passes each mode makes, the
statements each pass runs (counted in the generated code) and the CPU time each takes
(medians over runs, alternated in one process so that the machine's load falls on both).

    python examples/forward_vs_reverse.py

or print both functions' forward code (one pass each) without running anything:

    srcdiff examples/forward_vs_reverse.py --mode forward
"""

import statistics
import time

import numpy as np

import srcdiff

N = 200


def many_inputs(x: "float64[200]"):
    """R^200 -> R: a loss of 200 parameters."""
    return np.sum(np.sin(x) * x + 0.5 * x * x)


def many_outputs(t):
    """R -> R^200: one parameter, 200 outputs."""
    k = np.arange(1.0, 201.0)
    return np.sin(t * k) / k


class Measure:
    """How the two modes are compared: statements per pass and CPU time."""

    @staticmethod
    def statements(f, mode, args):
        """The statements one pass runs: the generated code's, without comments and header."""
        text = srcdiff.source(f, mode=mode, args=args)
        return sum(1 for line in text.splitlines()
                   if line.startswith("    ") and not line.strip().startswith(("#", "return")))


    @staticmethod
    def cpu_medians(jobs, runs=15):
        """The median CPU seconds of each job, the jobs alternated within each run."""
        times = {name: [] for name in jobs}
        for _ in range(runs):
            for name, job in jobs.items():
                start = time.process_time()
                job()
                times[name].append(time.process_time() - start)
        return {name: statistics.median(ts) for name, ts in times.items()}


    @staticmethod
    def compare(title, f, args, inputs, outputs):
        forward, reverse = srcdiff.jacfwd(f), srcdiff.jacrev(f)
        jf, jr = forward(*args), reverse(*args)
        assert np.allclose(jf, jr, rtol=1e-12, atol=1e-12), "the two modes disagree"
        per_forward = Measure.statements(f, "forward", args)
        per_reverse = Measure.statements(f, "reverse", args) if np.ndim(f(*args)) == 0 else None
        seconds = Measure.cpu_medians({"forward": lambda: forward(*args),
                                       "reverse": lambda: reverse(*args)})
        print(f"{title}: {Measure.count(inputs, 'input')}, {Measure.count(outputs, 'output')}; "
              f"Jacobian of shape {np.shape(jf)}")
        each = f" of {per_reverse} statements" if per_reverse is not None else ""
        print(f"  forward mode: {Measure.count(inputs, 'pass'):>10} of {per_forward} statements  "
              f"{1e3 * seconds['forward']:8.2f} ms CPU")
        print(f"  reverse mode: {Measure.count(outputs, 'pass'):>10}{each:<17}  "
              f"{1e3 * seconds['reverse']:8.2f} ms CPU")
        return seconds


    @staticmethod
    def count(n, noun):
        plural = noun + ("es" if noun.endswith("s") else "s")
        return f"{n} {noun if n == 1 else plural}"


def main():
    x = np.linspace(-1.0, 1.0, N)
    wide = Measure.compare("many inputs, one output", many_inputs, (x,), N, 1)
    tall = Measure.compare("one input, many outputs", many_outputs, (0.3,), 1, N)
    print()
    print(f"reverse mode is {wide['forward'] / wide['reverse']:.0f}x faster for the loss "
          f"(n = {N} inputs); forward mode is {tall['reverse'] / tall['forward']:.0f}x "
          f"faster for the curve (m = {N} outputs)")
    assert wide["reverse"] < wide["forward"], "reverse mode should win with many inputs"
    assert tall["forward"] < tall["reverse"], "forward mode should win with many outputs"
    auto = srcdiff.jacobian(many_outputs)(0.3)
    assert np.allclose(auto, srcdiff.jacfwd(many_outputs)(0.3))
    print("OK: both modes give the same Jacobians; each wins where seed 002 says it does "
          "(jacobian(..., mode='auto') picks it)")


if __name__ == "__main__":
    main()
