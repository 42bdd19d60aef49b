"""Start-up cost: importing each method, and its first gradient, in fresh processes.

Steady-state timings (`run.py`) hide what a user pays once per process: the import, and the
first call, where srcdiff parses, transforms and compiles, JAX traces and compiles, and
tangent writes its code. Each measurement runs in a new Python process and reads that
process's own CPU time (`resource.getrusage`), so other load on a shared machine counts
little. NumPy is imported first and not counted: every method needs it. Bytecode caches are
written, as in a user's installation, by one process that is not counted.

For each method and workload: the CPU milliseconds of importing the method's modules, and of
preparing and making its first gradient call (the medians over `--runs` processes). srcdiff
is also measured on `e` defined at the end of a 300-line module of other functions, the case
its start-up targets name: import at most 50 ms beyond NumPy, that first gradient at most 5 ms.

NumPy's BLAS library (OpenBLAS) starts worker threads that busy-wait for work for tens of
milliseconds after they start, and again after each BLAS call: on this machine, one worker
spins for about 60 ms after ``import numpy``. A process's CPU time counts that spinning, which
had doubled srcdiff's measured import (27 ms of its own) and added 4 ms to its first gradient
in most runs. Each step is therefore measured only once the process's other threads are idle:
what is counted is the step's own work, and that of any thread the step itself wakes.

CPU time on a shared machine moves by half with its load. ``--instructions`` also counts the
instructions of srcdiff's import and of that first gradient under Valgrind's callgrind (when
it is installed): a count the load does not change, to compare code across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = {
    "hand-written": [],
    "srcdiff": ["srcdiff"],
    "autograd": ["autograd", "autograd.numpy"],
    "jax (eager)": ["jax", "jax.numpy"],
    "jax (jit)": ["jax", "jax.numpy"],
    "torch (eager)": ["torch"],
    "tangent": ["tangent"],
}
WORKLOADS = ["e", "mlp"]
TARGETS = {"import": 0.050, "first e in a 300-line module": 0.005}

CHILD = textwrap.dedent("""
    import dataclasses, importlib, json, resource, sys, time
    sys.path.insert(0, {root!r})

    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def settle(limit=3.0):  # until the process's other threads are idle (see the docstring)
        start, busy = time.perf_counter(), cpu() - time.thread_time()
        while time.perf_counter() - start < limit:
            time.sleep(0.01)
            now = cpu() - time.thread_time()
            if now - busy < 0.0002:
                return
            busy = now

    import numpy
    settle()
    from benchmarks.peers import PEERS, Unavailable, short_reason
    from benchmarks.workloads import BY_NAME

    peer = next(p for p in PEERS if p.name == {peer!r})
    result = {{}}
    try:
        start = cpu()
        for module in {modules!r}:
            importlib.import_module(module)
        result["import"] = cpu() - start
        workload = BY_NAME[{workload!r}]
        workload.make_args()  # NumPy's random generator and BLAS warm up outside the timing
        if {module_file!r}:
            sys.path.insert(0, {module_dir!r})
            function = importlib.import_module({module_name!r}).e
            workload = dataclasses.replace(workload, func=function)
        settle()
        start = cpu()
        prepared = peer.prepare(workload)
        value = prepared.grad(*prepared.args)
        if prepared.sync:
            prepared.sync(value)
        result["first"] = cpu() - start
    except Unavailable as error:
        result["error"] = str(error)
    except Exception as error:
        result["error"] = "fails: " + short_reason(error)
    print(json.dumps(result))
""")


def module_of_300_lines(folder):
    """A module of 60 small functions, then ``e``: 300-odd lines."""
    lines = ["import math", "", ""]
    for i in range(60):
        lines += [f"def helper_{i}(x, y):", f"    z = x * {i}.0 + math.sin(y)",
                  "    return z * z", "", ""]
    lines += ["def e(a, b):", "    return (a + b) * (b + 1)", ""]
    path = Path(folder) / "three_hundred_lines.py"
    path.write_text("\n".join(lines))
    return path


def measure(peer, workload, module_file=None):
    """One fresh process: {'import': s, 'first': s} or {'error': reason}."""
    module_dir = str(module_file.parent) if module_file else ""
    module_name = module_file.stem if module_file else ""
    code = CHILD.format(root=str(ROOT), peer=peer, modules=IMPORTS[peer], workload=workload,
                        module_file=str(module_file or ""), module_dir=module_dir,
                        module_name=module_name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"fails: {tail[:70]}"}
    return json.loads(lines[-1])


def medians(peer, workload, runs, module_file=None):
    """Medians over ``runs`` processes, after one that is not counted (it writes the
    bytecode caches a user's first import would have written); ``fastest`` holds the
    minima, the runs least disturbed by other load on a shared machine."""
    samples = [measure(peer, workload, module_file) for _ in range(runs + 1)][1:]
    errors = [s["error"] for s in samples if "error" in s]
    if errors:
        return {"error": errors[0]}
    keys = ("import", "first")
    found = {key: statistics.median(s[key] for s in samples) for key in keys}
    found["fastest"] = {key: min(s[key] for s in samples) for key in keys}
    return found


COUNTED = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import numpy
    sys.path.insert(0, {module_dir!r})
    import {module_name} as module
    {step}
    import os
    os._exit(0)  # the interpreter's own exit, and what it frees, are not counted
""")
STEPS = {"before": "pass", "import": "import srcdiff",
         "first": "import srcdiff; srcdiff.gradient(module.e, wrt=(0, 1))(1.5, 2.5)"}


def instructions(module_file):
    """Millions of instructions that importing srcdiff, and then making the first gradient
    of ``e`` in ``module_file``, execute: each the difference of two processes' totals
    under callgrind, which run the same code up to that step (hash seeds fixed)."""
    counts = {}
    # one BLAS thread: worker threads spin while they wait, and that spinning is counted
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # Without address randomization: orders keyed by ``id`` then repeat from run to run.
    fixed = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    programs = {step: COUNTED.format(root=str(ROOT), module_dir=str(module_file.parent),
                                     module_name=module_file.stem, step=code)
                for step, code in STEPS.items()}
    # Bytecode caches are written first, uncounted, as a user's first import writes them.
    subprocess.run([sys.executable, "-c", programs["first"]], capture_output=True, cwd=ROOT,
                   timeout=600, env=env)
    for step, program in programs.items():
        done = subprocess.run(fixed + ["valgrind", "--tool=callgrind",
                               "--callgrind-out-file=/dev/null",
                               sys.executable, "-c", program], capture_output=True, text=True,
                              cwd=ROOT, timeout=1200, env=env)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or not found:
            return None
        counts[step] = int(found.group(1))
    return {"import": (counts["import"] - counts["before"]) / 1e6,
            "first": (counts["first"] - counts["import"]) / 1e6}


def ms(seconds):
    return f"{1000 * seconds:8.1f}"


def run(peers=None, runs=5, count_instructions=False):
    """Measure, print a table, and return the results."""
    peers = peers or list(IMPORTS)
    results = {}
    print(f"start-up: CPU ms in fresh processes, medians of {runs}; NumPy's own import "
          "is not counted")
    print(f"{'method':<16}{'import':>9}" + "".join(f"{'first ' + w:>12}" for w in WORKLOADS))
    for peer in peers:
        row = {}
        for workload in WORKLOADS:
            row[workload] = medians(peer, workload, runs)
        results[peer] = row
        first = row[WORKLOADS[0]]
        if "error" in first:
            print(f"{peer:<16}  {first['error']}")
            continue
        cells = "".join(f"{ms(row[w]['first']):>12}" if "error" not in row[w] else
                        f"{'fails':>12}" for w in WORKLOADS)
        print(f"{peer:<16}{ms(first['import']):>9}{cells}")
    if "srcdiff" in peers:
        with tempfile.TemporaryDirectory() as folder:
            module_file = module_of_300_lines(folder)
            big = medians("srcdiff", "e", runs, module_file)
            counted = None
            if count_instructions and shutil.which("valgrind"):
                counted = instructions(module_file)
        if "error" not in big:
            results["srcdiff"]["e in a 300-line module"] = big
            imported = results["srcdiff"]["e"]["import"]
            fastest = results["srcdiff"]["e"]["fastest"]["import"], big["fastest"]["first"]
            for label, value, least in (
                    ("import", imported, fastest[0]),
                    ("first e in a 300-line module", big["first"], fastest[1])):
                verdict = "OK" if value <= TARGETS[label] else "over"
                print(f"srcdiff {label}: median {ms(value).strip()} ms, fastest "
                      f"{ms(least).strip()} ms (target <= {1000 * TARGETS[label]:.0f} ms): "
                      f"{verdict}")
        if count_instructions:
            if counted is None:
                print("srcdiff instructions: needs valgrind (callgrind)")
            else:
                results["srcdiff"]["instructions"] = counted
                print(f"srcdiff instructions (millions, callgrind): import "
                      f"{counted['import']:.1f}, first e in a 300-line module "
                      f"{counted['first']:.1f}")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cell")
    parser.add_argument("--only", action="append", choices=list(IMPORTS), metavar="METHOD",
                        help="measure only this method (repeatable)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count srcdiff's instructions under valgrind's callgrind")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    results = run(args.only, args.runs, args.instructions)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
