"""The methods being compared: each turns a workload into a gradient function ready to time.

A peer's `prepare` returns a `Prepared`; it raises `Unavailable` when the peer cannot be used
at all, and any other exception means the peer failed on that workload.
"""

import importlib
import importlib.metadata
import importlib.util
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.workloads import Workload, rebind


class Unavailable(Exception):
    """The peer cannot run here; the message is the status shown in the table."""


@dataclass
class Prepared:
    grad: Callable
    args: tuple
    sync: Callable | None = None


def dist_version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def import_peer(module):
    if importlib.util.find_spec(module.split(".")[0]) is None:
        raise Unavailable("not installed")
    try:
        return importlib.import_module(module)
    except Exception as exc:
        raise Unavailable(f"fails: import: {short_reason(exc)}") from exc


def short_reason(exc, limit=70):
    text = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def as_numpy_tuple(result):
    items = result if isinstance(result, tuple | list) else (result,)
    return tuple(np.asarray(x.detach() if hasattr(x, "detach") else x) for x in items)


class Peer:
    name = ""
    dist = None
    note = ""

    def version(self):
        return dist_version(self.dist) if self.dist else None

    def prepare(self, wl: Workload) -> Prepared:
        raise NotImplementedError


class Hand(Peer):
    name = "hand-written"

    def prepare(self, wl):
        return Prepared(wl.hand_grad, wl.make_args())


class Srcdiff(Peer):
    name = "srcdiff"

    def version(self):
        try:
            srcdiff = importlib.import_module("srcdiff")
        except Exception:
            return "unavailable"
        if not hasattr(srcdiff, "gradient"):
            return "unavailable"
        return getattr(srcdiff, "__version__", "repo")

    def prepare(self, wl):
        try:
            srcdiff = importlib.import_module("srcdiff")
            wrt = wl.wrt[0] if wl.scalar_wrt else wl.wrt
            grad = srcdiff.gradient(wl.func, wrt=wrt)
        except Exception as exc:
            raise Unavailable(f"unavailable ({short_reason(exc)})") from exc
        return Prepared(grad, wl.make_args())


class Autograd(Peer):
    name = "autograd"
    dist = "autograd"
    note = "math -> autograd.numpy"

    def prepare(self, wl):
        autograd = import_peer("autograd")
        anp = import_peer("autograd.numpy")
        argnum = wl.wrt[0] if wl.scalar_wrt else wl.wrt
        return Prepared(autograd.grad(rebind(wl.func, math=anp, np=anp), argnum), wl.make_args())


def _jax():
    jax = import_peer("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, import_peer("jax.numpy")


class JaxEager(Peer):
    name = "jax (eager)"
    dist = "jax"
    note = "jax.grad, no jit, float64"
    jit = False

    def prepare(self, wl):
        jax, jnp = _jax()
        argnums = wl.wrt[0] if wl.scalar_wrt else wl.wrt
        grad = jax.grad(rebind(wl.func, math=jnp, np=jnp), argnums=argnums)
        if self.jit:
            grad = jax.jit(grad)
        args = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in wl.make_args())
        return Prepared(grad, args, sync=jax.block_until_ready)


class JaxJit(JaxEager):
    name = "jax (jit)"
    note = "jax.jit(jax.grad), float64"
    jit = True


class Torch(Peer):
    name = "torch (eager)"
    dist = "torch"
    note = "torch.autograd.grad, float64"

    def prepare(self, wl):
        torch = import_peer("torch")
        ops = types.SimpleNamespace(
            sqrt=torch.sqrt, sin=torch.sin, exp=torch.exp, tanh=torch.tanh, sum=torch.sum,
            zeros=lambda n: torch.zeros(n, dtype=torch.float64),
        )
        func = rebind(wl.func, math=ops, np=ops)
        args = tuple(
            torch.tensor(a, dtype=torch.float64, requires_grad=i in wl.wrt)
            if i in wl.wrt or isinstance(a, np.ndarray)
            else a
            for i, a in enumerate(wl.make_args())
        )
        wrt = wl.wrt

        def grad(*xs):
            return torch.autograd.grad(func(*xs), [xs[i] for i in wrt])

        return Prepared(grad, args)


class Tangent(Peer):
    name = "tangent"
    dist = "tangent-ad"
    note = "math -> numpy (tangent has no math adjoints)"

    def prepare(self, wl):
        tangent = import_peer("tangent")
        return Prepared(tangent.grad(rebind(wl.func, math=np), wrt=wl.wrt), wl.make_args())


PEERS = [Hand(), Srcdiff(), Autograd(), JaxEager(), JaxJit(), Torch(), Tangent()]
