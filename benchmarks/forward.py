"""Forward mode and Hessian-vector products against hand-written code and the peers.

Usage: python benchmarks/forward.py [--quick] [--json FILE]

JVP workloads: the workloads of ``run.py`` differentiated along a fixed direction of their
``wrt`` arguments; each method returns the value and its tangent. srcdiff is timed as the
compiled function ``value_and_tangent`` gives (what a user calls in a loop) and through
``srcdiff.jvp`` (JAX's signature, which checks the tangents and finds the compiled code on
every call). The HVP workload: the Hessian of the MLP loss with respect to ``w1`` times a
direction, by srcdiff's ``hvp`` (forward mode over the gradient's code), JAX (``jvp`` of
``grad``, eager and jit), autograd and PyTorch (``torch.func``). Ratios are to the
hand-written code; timings alternate between methods in one process (see ``timing.py``).
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import math  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import timing  # noqa: E402
from benchmarks.peers import Unavailable, import_peer, rebind, short_reason  # noqa: E402
from benchmarks.workloads import BY_NAME  # noqa: E402

SETTINGS = {"full": {"repeats": 25, "min_time": 0.04}, "quick": {"repeats": 5, "min_time": 0.005}}
JVP_WORKLOADS = ("e", "sqrt_sin", "exp_sin", "mlp")
SCALAR_TARGET = 1.2


def e_jvp(a, b, a_dot, b_dot):
    c, d = a + b, b + 1
    return c * d, (a_dot + b_dot) * d + c * b_dot


def sqrt_sin_jvp(x, x_dot):
    s = math.sqrt(3 * math.sin(x))
    return s, 3 * math.cos(x) * x_dot / (2 * s)


def exp_sin_jvp(x, x_dot):
    u = math.exp(x)
    v = u + u * u
    return math.exp(v) + math.sin(v), (math.exp(v) + math.cos(v)) * (u + 2 * u * u) * x_dot


def mlp_jvp(w1, w2, x, y, w1_dot, w2_dot):
    z1 = np.tanh(w1 @ x)
    r = w2 @ z1 - y
    z1_dot = (1 - z1 * z1) * (w1_dot @ x)
    return 0.5 * np.sum(r * r), np.sum(r * (w2_dot @ z1 + w2 @ z1_dot))


HAND_JVPS = {"e": e_jvp, "sqrt_sin": sqrt_sin_jvp, "exp_sin": exp_sin_jvp, "mlp": mlp_jvp}


def mlp_hvp(w1, w2, x, y, v):
    """d/dw1 of the gradient with respect to w1, along v: by hand."""
    z1 = np.tanh(w1 @ x)
    slope = 1 - z1 * z1
    delta = w2 @ z1 - y
    z1_dot = slope * (v @ x)
    back = w2.T @ delta
    return np.outer((w2.T @ (w2 @ z1_dot)) * slope - back * 2 * z1 * z1_dot, x)


def directions(wl, args):
    rng = np.random.default_rng(7)
    return tuple(rng.standard_normal(np.shape(args[i])) if np.ndim(args[i]) else 0.5 + 0.25 * i
                 for i in wl.wrt)


def jvp_methods(wl):
    """name -> (function, arguments, sync) of every method that runs here."""
    args = wl.make_args()
    tangents = directions(wl, args)
    methods = {"hand-written": (HAND_JVPS[wl.name], args + tangents, None)}
    made = {}
    try:
        import srcdiff
        compiled = srcdiff.value_and_tangent(wl.func, wrt=wl.wrt if len(wl.wrt) > 1
                                             else wl.wrt[0])
        made["srcdiff"] = (compiled, args + tangents, None)
        full = tuple(tangents[wl.wrt.index(i)] if i in wl.wrt else None
                     for i in range(len(args)))
        made["srcdiff.jvp"] = (lambda *a: srcdiff.jvp(wl.func, a, full), args, None)
    except Exception as exc:
        made["srcdiff"] = exc
    for name, maker in (("autograd", _autograd_jvp), ("jax (eager)", _jax_jvp(False)),
                        ("jax (jit)", _jax_jvp(True)), ("torch.func", _torch_jvp)):
        try:
            made[name] = maker(wl, args, tangents)
        except Unavailable as exc:
            made[name] = str(exc)
        except Exception as exc:
            made[name] = f"fails: {short_reason(exc)}"
    methods.update(made)
    return methods


def _along(func, arguments, wrt):
    """``func`` of the ``wrt`` arguments alone, the others fixed at ``arguments``."""
    def along(*moving):
        full = list(arguments)
        for i, m in zip(wrt, moving):
            full[i] = m
        return func(*full)
    return along


def _autograd_jvp(wl, args, tangents):
    autograd = import_peer("autograd")
    anp = import_peer("autograd.numpy")
    func = rebind(wl.func, math=anp, np=anp)

    def jvp(*a):
        along = _along(func, a[:len(args)], wl.wrt)
        return autograd.make_jvp(lambda t: along(*[a[i] + t * d for i, d in
                                                   zip(wl.wrt, a[len(args):])]))(0.0)(1.0)
    return jvp, args + tangents, None


def _jax_jvp(jit):
    def make(wl, args, tangents):
        jax = import_peer("jax")
        jax.config.update("jax_enable_x64", True)
        jnp = import_peer("jax.numpy")
        func = rebind(wl.func, math=jnp, np=jnp)
        n = len(args)

        def jvp(*a):
            return jax.jvp(_along(func, a[:n], wl.wrt), tuple(a[i] for i in wl.wrt),
                           tuple(a[n:]))
        ready = jax.jit(jvp) if jit else jvp
        as_jax = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a
                       for a in args + tangents)
        return ready, as_jax, jax.block_until_ready
    return make


def _torch_jvp(wl, args, tangents):
    torch = import_peer("torch")
    ops = types.SimpleNamespace(sqrt=torch.sqrt, sin=torch.sin, exp=torch.exp, cos=torch.cos,
                                tanh=torch.tanh, sum=torch.sum)
    func = rebind(wl.func, math=ops, np=ops)
    n = len(args)

    def as_tensor(a):
        return torch.tensor(a, dtype=torch.float64)

    def jvp(*a):
        return torch.func.jvp(_along(func, a[:n], wl.wrt), tuple(a[i] for i in wl.wrt),
                              tuple(a[n:]))
    return jvp, tuple(as_tensor(a) for a in args + tangents), None


def hvp_methods():
    wl = BY_NAME["mlp"]
    args = wl.make_args()
    v = directions(wl, args)[0]
    methods = {"hand-written": (mlp_hvp, args + (v,), None)}
    try:
        import srcdiff
        methods["srcdiff"] = (srcdiff.hvp(wl.func, wrt=0), args + (v,), None)
    except Exception as exc:
        methods["srcdiff"] = f"fails: {short_reason(exc)}"
    for jit in (False, True):
        name = f"jax ({'jit' if jit else 'eager'})"
        try:
            jax = import_peer("jax")
            jax.config.update("jax_enable_x64", True)
            jnp = import_peer("jax.numpy")
            func = rebind(wl.func, math=jnp, np=jnp)

            def hvp(w1, w2, x, y, d, func=func, jax=jax):
                return jax.jvp(lambda w: jax.grad(func)(w, w2, x, y), (w1,), (d,))[1]
            ready = jax.jit(hvp) if jit else hvp
            methods[name] = (ready, tuple(jnp.asarray(a) for a in args + (v,)),
                             jax.block_until_ready)
        except Unavailable as exc:
            methods[name] = str(exc)
    try:
        autograd = import_peer("autograd")
        anp = import_peer("autograd.numpy")
        func = rebind(wl.func, math=anp, np=anp)
        methods["autograd"] = (autograd.hessian_vector_product(func, 0), args + (v,), None)
    except Unavailable as exc:
        methods["autograd"] = str(exc)
    return methods, mlp_hvp(*args, v)


def measure(methods, reference, repeats, min_time, pick):
    ready, rows = {}, {}
    for name, made in methods.items():
        if isinstance(made, (str, Exception)):
            rows[name] = {"status": made if isinstance(made, str) else
                          f"fails: {short_reason(made)}"}
            continue
        fn, args, sync = made
        try:
            out = fn(*args)
            got = np.asarray(pick(out), dtype=float)
            if not np.allclose(got, reference, rtol=1e-7, atol=1e-9):
                rows[name] = {"status": "WRONG"}
                continue
        except Exception as exc:
            rows[name] = {"status": f"fails: {short_reason(exc)}"}
            continue
        ready[name] = timing.make_timer(fn, args, sync)
    measured = timing.measure(ready, repeats, min_time)
    hand = measured.get("hand-written")
    for name, stats in measured.items():
        if isinstance(stats, timing.Stats):
            rows[name] = {"status": "ok", **stats.as_dict(),
                          "ratio": stats.median / hand.median if hand else None}
        else:
            rows[name] = {"status": f"fails: {short_reason(stats)}"}
    return rows


def render(title, rows):
    lines = [title, f"  {'method':<14}  {'median µs':>10}  {'min µs':>9}  {'vs hand':>8}"]
    for name, row in rows.items():
        if row["status"] == "ok":
            ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
            lines.append(f"  {name:<14}  {1e6 * row['median']:>10.2f}  "
                         f"{1e6 * row['minimum']:>9.2f}  {ratio:>8}")
        else:
            lines.append(f"  {name:<14}  {row['status']}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    settings = SETTINGS["quick" if args.quick else "full"]
    results = {}
    for name in JVP_WORKLOADS:
        wl = BY_NAME[name]
        methods = jvp_methods(wl)
        reference = np.asarray(methods["hand-written"][0](*methods["hand-written"][1])[1])
        rows = measure(methods, reference, settings["repeats"], settings["min_time"],
                       lambda out: out[1])
        results[f"jvp {name}"] = rows
        print(render(f"jvp {name}: {wl.description}", rows), flush=True)
        ratio = rows.get("srcdiff", {}).get("ratio")
        if wl.name != "mlp" and ratio is not None:
            verdict = "OK" if ratio <= SCALAR_TARGET else "OVER TARGET"
            print(f"  >> srcdiff / hand-written: {ratio:.2f}x (target <= {SCALAR_TARGET}x): "
                  f"{verdict}")
        print()
    methods, reference = hvp_methods()
    rows = measure(methods, reference, settings["repeats"], settings["min_time"],
                   lambda out: out)
    results["hvp mlp"] = rows
    print(render("hvp mlp: the Hessian of the MLP loss wrt w1 (2048 parameters) times v",
                 rows))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
