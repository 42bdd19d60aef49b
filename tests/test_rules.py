"""Every rule in the registry, checked against central finite differences.

For each rule the test writes the source of a small module whose function calls the
primitive as a user would (``x + y``, ``math.sin(x)``, ``np.sum(a, axis=0, keepdims=True)``,
``abs(x)``), registers it with ``linecache`` so srcdiff can read it, and compares
``srcdiff.gradient`` with each parameter against finite differences at seeded points of the
rule's domain. The primitive's result is weighted by a fixed ``W`` (``np.sum(W * op(...))``
for arrays) so that every element of the adjoint, and the adjoint's scale, are checked.

Calls come from the rule's kind (elementwise rules get broadcasting shapes, reductions
vectors and matrices, matrix products every pairing of ranks, batched ones included) and
from CALLS, which lists the calls of rules that need constant arguments (``axis``, a shape,
einsum subscripts) or particular shapes. Every array case runs in float64 and float32.

Rules with a ``shape`` hook are also checked directly: the abstract value the hook gives
must match the primitive's real result, and must stay compatible when the operands' sizes
are unknown or symbolic.

A newly declared rule is picked up automatically; one that this file cannot exercise fails
``test_rule`` with the reason, unless it is listed in EXCLUDED.
"""

from __future__ import annotations

import itertools
import linecache
import math
import pathlib
import subprocess
import sys
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from finite_diff import DOMAINS, central_difference, sample

import srcdiff
from srcdiff import runtime
from srcdiff.ir import avals
from srcdiff.ir import nodes as ir
from srcdiff.primitives import REGISTRY, registry
from srcdiff.primitives.registry import ELEMENTWISE, GENERAL, MATMUL, NONDIFF, REDUCE, SCALAR

# Rules this file deliberately does not exercise, by rule id, each with the reason.
EXCLUDED: dict[str, str] = {
    "numpy.linalg.slogdet/1": "returns a pair: checked in test_containers.py",
    "sum/2": "takes a list, tuple or array: checked against finite differences in "
             "test_lists.py and test_frontend_forms.py",
    "numpy.concatenate/2": "takes a list: checked in test_joining.py",
    "numpy.stack/2": "takes a list: checked in test_joining.py",
    "numpy.hstack/1": "takes a list: checked in test_joining.py",
    "numpy.vstack/1": "takes a list: checked in test_joining.py",
    "numpy.array/1": "of a list of values: checked in test_joining.py",
    "numpy.split/3": "returns a list: checked in test_joining.py",
    "numpy.array_split/3": "returns a list: checked in test_joining.py",
}

# Known failures, by case id, each tracking a bug or a missing feature in the compiler core.
KNOWN_BUGS: dict[str, str] = {}

SEEDS = (0, 1, 2)
MARGIN = 0.1
JUMP_PROBE = 0.02
F64_TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}
F32_TOLERANCE = {"rtol": 1e-3, "atol": 1e-5}

MATMUL_SHAPES = (((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((3,), (3,)),
                 ((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)),
                 ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (2, 3, 4)))


@dataclass(frozen=True)
class Value:
    """A constant argument that is not a literal: a module-level array of the test module."""

    value: object

    def __hash__(self):
        return id(self)


def _alternating(shape):
    if shape is None:
        return True
    return (np.arange(math.prod(shape)) % 2 == 0).reshape(shape)


# Values for parameters that are neither differentiable nor typed by a domain, by rule name;
# each takes the broadcast shape of the varying arguments (None: all Python floats).
CONSTANTS = {
    ("numpy.where", "condition"): _alternating,
    ("numpy.copysign", "y"): lambda shape: -1 if shape is None else (
        np.arange(math.prod(shape)) % 2 * 2 - 1).reshape(shape).astype(np.int8),
    ("numpy.heaviside", "x"): lambda shape: -1 if shape is None else (
        np.arange(math.prod(shape)) % 3 - 1).reshape(shape).astype(np.int8),
}


def call(**args):
    """One call: a shape (tuple, or None for a Python float) per varying parameter, source
    text per literal constant argument, or a Value for a module-level constant."""
    return args


def axes(x, shape, *, keepdims=True, ddof=None, extra=None):
    """Calls of a reduction over ``x`` of ``shape`` (2-d or more) with the axis forms."""
    extra = extra or {}
    calls = [call(**{x: None}, **extra), call(**{x: (3,)}, **extra), call(**{x: shape}, **extra),
             call(**{x: shape, "axis": "0"}, **extra),
             call(**{x: shape, "axis": "-1"}, **extra),
             call(**{x: (2, 3, 4), "axis": "(0, 2)"}, **extra)]
    if keepdims:
        calls += [call(**{x: shape, "axis": "1", "keepdims": "True"}, **extra),
                  call(**{x: shape, "keepdims": "True"}, **extra),
                  call(**{x: (3,), "axis": "0"}, **extra)]
    if ddof is not None:
        calls.append(call(**{x: shape, "axis": "0", "ddof": ddof}, **extra))
    return calls


INDICES = Value(np.array([2, 0, 2, 1]))
ALONG = Value(np.array([[0, 2, 2], [1, 1, 0]]))
REPEATS = Value(np.array([1, 0, 3]))
SORTED = Value(np.array([-1.0, 0.0, 1.0]))


def _einsum(subscripts, *shapes):
    return call(subscripts=repr(subscripts), **dict(zip("abc", shapes)))


def _norms(vector_ords, matrix_ords):
    calls = [call(x=(4,), ord=o) for o in vector_ords]
    calls += [call(x=(2, 3), ord=o, axis="1") for o in vector_ords]
    calls += [call(x=(2, 3), ord=o, axis="0", keepdims="True") for o in vector_ords]
    calls += [call(x=(3, 3), ord=o) for o in matrix_ords]
    calls += [call(x=(2, 3, 3), ord=o, axis="(1, 2)") for o in matrix_ords]
    return calls


CALLS = {
    "numpy.sum": axes("a", (2, 3)),
    "numpy.mean": axes("a", (2, 3)),
    "numpy.prod": axes("a", (2, 3)),
    "numpy.max": axes("a", (2, 3)), "numpy.amax": axes("a", (2, 3)),
    "numpy.min": axes("a", (2, 3)), "numpy.amin": axes("a", (2, 3)),
    "numpy.nanmax": axes("a", (2, 3)), "numpy.nanmin": axes("a", (2, 3)),
    "numpy.ptp": axes("a", (2, 3)),
    "numpy.nansum": axes("a", (2, 3)),
    "numpy.median": axes("a", (2, 3)) + [call(a=(4,)), call(a=(2, 4), axis="1")],
    "numpy.var": axes("a", (2, 3), ddof="1") + [call(a=(4,), ddof="1")],
    "numpy.std": axes("a", (2, 3), ddof="1") + [call(a=(4,), ddof="1")],
    "numpy.average": axes("a", (2, 3)) + [
        call(a=(2, 3), weights=(2, 3)), call(a=(2, 3), weights=(3,), axis="1"),
        call(a=(2, 3), weights=(2,), axis="0"),
        call(a=(2, 3), weights=(2, 3), axis="0", keepdims="True")],
    "numpy.cumsum": [call(a=(4,)), call(a=(2, 3)), call(a=(2, 3), axis="1"),
                     call(a=(2, 3, 2), axis="-2")],
    "numpy.cumprod": [call(a=(4,)), call(a=(2, 3)), call(a=(2, 3), axis="1"),
                      call(a=(2, 3, 2), axis="-2")],
    "numpy.cumulative_sum": [call(x=(4,)), call(x=(2, 3), axis="1"),
                             call(x=(2, 3), axis="0", include_initial="True")],
    "numpy.cumulative_prod": [call(x=(4,)), call(x=(2, 3), axis="1"),
                              call(x=(2, 3), axis="0", include_initial="True")],
    "numpy.linalg.norm": [call(x=None), call(x=(4,)), call(x=(2, 3)), call(x=(2, 3, 2)),
                          call(x=(2, 3), axis="1"), call(x=(2, 3), axis="(0, 1)",
                                                          keepdims="True")]
    + _norms(["1", "2", "3", "0.5", "np.inf", "-np.inf", "-1"],
             ["'fro'", "'nuc'", "1", "-1", "2", "-2", "np.inf", "-np.inf"])
    + [call(x=(3, 2, 3), ord="'nuc'", axis="(0, 2)"),
       call(x=(2, 3), ord="2", axis="(1, 0)", keepdims="True"),
       call(x=(3, 2, 2), ord="-2", axis="(-1, 0)", keepdims="True")],
    "numpy.linalg.vector_norm": [call(x=(4,)), call(x=(2, 3)), call(x=(2, 3), ord="1"),
                                 call(x=(2, 3), ord="np.inf", axis="(0, 1)"),
                                 call(x=(2, 3, 2), axis="-1", ord="3"),
                                 call(x=(2, 3), axis="0", keepdims="True", ord="0")],
    "numpy.linalg.matrix_norm": [call(x=(3, 3)), call(x=(2, 3, 2), ord="'nuc'"),
                                 call(x=(2, 2, 3), ord="2", keepdims="True"),
                                 call(x=(3, 2), ord="1", keepdims="True"),
                                 call(x=(2, 3, 3), ord="np.inf")],
    "numpy.reshape": [call(a=(2, 3), shape="(3, 2)"), call(a=(6,), shape="(2, -1)"),
                      call(a=None, shape="(1, 1)"), call(a=(2, 3), shape="-1")],
    "numpy.ravel": [call(a=(2, 3)), call(a=(3,)), call(a=None)],
    "numpy.ndarray.flatten": [call(a=(2, 3)), call(a=(3,))],
    "numpy.atleast_1d": [call(a=None), call(a=(3,))],
    "numpy.atleast_2d": [call(a=None), call(a=(3,)), call(a=(2, 3))],
    "numpy.atleast_3d": [call(a=None), call(a=(3,)), call(a=(2, 3))],
    "numpy.transpose": [call(a=(2, 3)), call(a=(2, 3, 4), axes="(1, 2, 0)"),
                        call(a=(2, 3, 4), axes="(-1, 0, 1)"), call(a=(3,))],
    "numpy.matrix_transpose": [call(x=(2, 3)), call(x=(2, 3, 4))],
    "numpy.linalg.matrix_transpose": [call(x=(2, 3, 4))],
    "numpy.swapaxes": [call(a=(2, 3, 4), axis1="0", axis2="-1")],
    "numpy.moveaxis": [call(a=(2, 3, 4), source="0", destination="-1"),
                       call(a=(2, 3, 4), source="(0, 1)", destination="(2, 0)")],
    "numpy.expand_dims": [call(a=(2, 3), axis="1"), call(a=(2, 3), axis="(0, -1)"),
                          call(a=None, axis="0")],
    "numpy.squeeze": [call(a=(2, 1, 3)), call(a=(1, 3, 1), axis="0"),
                      call(a=(1, 3, 1), axis="(0, 2)")],
    "numpy.broadcast_to": [call(array=(3,), shape="(2, 3)"), call(array=(2, 1), shape="(2, 3)"),
                           call(array=None, shape="(2, 2)")],
    "numpy.tile": [call(A=(2, 3), reps="(2, 1)"), call(A=(3,), reps="(2, 2)"),
                   call(A=(2, 3), reps="2"), call(A=None, reps="3")],
    "numpy.repeat": [call(a=(2, 3), repeats="2"), call(a=(2, 3), repeats="2", axis="1"),
                     call(a=(3,), repeats=REPEATS, axis="0"), call(a=None, repeats="3")],
    "numpy.flip": [call(m=(2, 3)), call(m=(2, 3), axis="1"), call(m=(2, 3, 2), axis="(0, 2)")],
    "numpy.fliplr": [call(m=(2, 3))],
    "numpy.flipud": [call(m=(2, 3))],
    "numpy.rot90": [call(m=(2, 3)), call(m=(2, 3), k="3"),
                    call(m=(2, 3, 4), k="2", axes="(1, 2)")],
    "numpy.roll": [call(a=(5,), shift="2"), call(a=(2, 3), shift="1", axis="1"),
                   call(a=(2, 3), shift="(1, -1)", axis="(0, 1)")],
    "numpy.diag": [call(v=(3,)), call(v=(3,), k="1"), call(v=(3, 3)), call(v=(3, 4), k="-1")],
    "numpy.diagonal": [call(a=(3, 3)), call(a=(3, 4), offset="1"),
                       call(a=(2, 3, 3), axis1="1", axis2="2")],
    "numpy.linalg.diagonal": [call(x=(3, 3)), call(x=(2, 3, 4), offset="-1")],
    "numpy.triu": [call(m=(3, 3)), call(m=(3, 4), k="1"), call(m=(3,))],
    "numpy.tril": [call(m=(3, 3)), call(m=(2, 3, 3), k="-1")],
    "numpy.pad": [call(array=(2, 3), pad_width="1"),
                  call(array=(2, 3), pad_width="((1, 0), (0, 2))"),
                  call(array=(3,), pad_width="(2, 1)")],
    "numpy.take": [call(a=(4,), indices=INDICES), call(a=(2, 3), indices=INDICES),
                   call(a=(2, 3), indices="(2, 0, 2)", axis="1"), call(a=(3, 2), indices="1",
                                                                       axis="0")],
    "numpy.take_along_axis": [call(arr=(2, 3), indices=ALONG, axis="1"),
                              call(arr=(3, 3), indices=ALONG, axis="0")],
    "numpy.sort": [call(a=(5,)), call(a=(2, 3), axis="0"), call(a=(2, 3), axis="None")],
    "numpy.append": [call(arr=(3,), values=(2,)), call(arr=(2, 3), values=(2, 2), axis="1"),
                     call(arr=None, values=(2,))],
    "numpy.diff": [call(a=(5,)), call(a=(2, 4), n="2"), call(a=(3, 2), axis="0")],
    "numpy.astype": [call(x=(2, 3), dtype="'float64'")],
    "numpy.convolve": [call(a=(4,), v=(3,)), call(a=(4,), v=(3,), mode="'same'"),
                       call(a=(3,), v=(5,), mode="'same'"), call(a=(5,), v=(2,), mode="'valid'")],
    "numpy.inner": [call(a=(3,), b=(3,)), call(a=(2, 3), b=(3,)), call(a=(3,), b=(2, 3)),
                    call(a=(2, 3), b=(4, 3)), call(a=(2, 2, 3), b=(4, 3)), call(a=None, b=(3,))],
    "numpy.outer": [call(a=(3,), b=(2,)), call(a=(2, 2), b=(3,)), call(a=None, b=(2,))],
    "numpy.linalg.outer": [call(a=(3,), b=(2,))],
    "numpy.vdot": [call(a=(3,), b=(3,)), call(a=(2, 3), b=(3, 2))],
    "numpy.tensordot": [call(a=(2, 3, 4), b=(3, 4, 2)), call(a=(2, 3), b=(3, 4), axes="1"),
                        call(a=(3, 4), b=(3, 4), axes="2"),
                        call(a=(2, 3, 4), b=(4, 2, 3), axes="((1, 2), (2, 0))"),
                        call(a=(2, 3), b=(2, 3), axes="0")],
    "numpy.linalg.tensordot": [call(a=(2, 3, 4), b=(3, 4, 2)),
                               call(a=(2, 3, 4), b=(4, 3), axes="((1, 2), (1, 0))")],
    "numpy.einsum/2": [_einsum("ij->ji", (2, 3)), _einsum("ij->i", (2, 3)),
                       _einsum("ii->i", (3, 3)), _einsum("ii", (3, 3)),
                       _einsum("...j->...", (2, 3, 4)), _einsum("ij", (2, 3))],
    "numpy.einsum/3": [_einsum("ij,jk->ik", (2, 3), (3, 4)), _einsum("i,i->", (3,), (3,)),
                       _einsum("ij,j", (2, 3), (3,)), _einsum("bij,bjk->bik", (2, 2, 3),
                                                              (2, 3, 2)),
                       _einsum("ij,kj->ikj", (2, 3), (4, 3)), _einsum("ij,k->ij", (2, 3), (4,)),
                       _einsum("...ij,jk->...ik", (2, 2, 3), (3, 2)),
                       _einsum("ij,ij->ij", (2, 3), (1, 3)), _einsum("ii,i->i", (3, 3), (3,))],
    "numpy.einsum/4": [_einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
                       _einsum("i,i,i->", (3,), (3,), (3,))],
    "numpy.trace": [call(a=(3, 3)), call(a=(3, 4), offset="1"),
                    call(a=(2, 3, 3), axis1="1", axis2="2")],
    "numpy.linalg.trace": [call(x=(3, 3)), call(x=(2, 3, 3), offset="1")],
    "numpy.kron": [call(a=(2, 2), b=(3, 2)), call(a=(3,), b=(2, 2)), call(a=(2,), b=(3,))],
    "numpy.cross": [call(a=(3,), b=(3,)), call(a=(2, 3), b=(3,)), call(a=(2, 3), b=(2, 3))],
    "numpy.linalg.cross": [call(a=(3,), b=(3,)), call(a=(2, 3), b=(3,))],
    "numpy.vecdot": [call(a=(3,), b=(3,)), call(a=(2, 3), b=(2, 3)), call(a=(2, 3), b=(3,)),
                     call(a=(3, 2), b=(3, 2), axis="0")],
    "numpy.linalg.vecdot": [call(a=(3,), b=(3,)), call(a=(2, 3), b=(3,))],
    "numpy.polyval": [call(p=(3,), x=None), call(p=(4,), x=(2, 3))],
    "numpy.matvec": [call(a=(2, 3), v=(3,)), call(a=(2, 2, 3), v=(3,)),
                     call(a=(2, 3), v=(4, 3))],
    "numpy.vecmat": [call(v=(3,), a=(3, 2)), call(v=(4, 3), a=(3, 2)),
                     call(v=(3,), a=(2, 3, 2))],
    "numpy.linalg.inv": [call(a=(3, 3)), call(a=(2, 3, 3))],
    "numpy.linalg.det": [call(a=(3, 3)), call(a=(2, 3, 3))],
    "numpy.linalg.solve": [call(a=(3, 3), b=(3,)), call(a=(3, 3), b=(3, 2)),
                           call(a=(2, 3, 3), b=(2, 3, 2)), call(a=(2, 3, 3), b=(3,)),
                           call(a=(2, 3, 3), b=(3, 2))],
    "numpy.linalg.cholesky": [call(a=(3, 3)), call(a=(2, 3, 3))],
    "numpy.linalg.eigvalsh": [call(a=(3, 3)), call(a=(2, 3, 3), UPLO="'U'")],
    "numpy.linalg.svdvals": [call(x=(3, 3)), call(x=(2, 3, 2))],
    "numpy.linalg.matrix_power": [call(a=(3, 3), n="3"), call(a=(3, 3), n="-2"),
                                  call(a=(2, 3, 3), n="2"), call(a=(3, 3), n="0")],
    "numpy.clip": [call(a=(2, 3), a_min="-0.5", a_max="0.5"),
                   call(a=(2, 3), a_min="0.0", a_max="None"),
                   call(a=(2, 3), a_min="None", a_max="0.3"),
                   call(a=(2, 3), a_min="None", a_max="None"),
                   call(a=(2, 3), a_min=(3,), a_max="1.0"),
                   call(a=(3,), a_min=(2, 1), a_max=(1, 3))],
    "numpy.zeros": [call(shape="(2, 3)"), call(shape="3", dtype="'float32'")],
    "numpy.ones": [call(shape="(2, 3)")],
    "numpy.empty": [call(shape="(2, 3)")],
    "numpy.zeros_like": [call(a=(2, 3))],
    "numpy.ones_like": [call(a=(2, 3)), call(a=(3,), dtype="'float32'")],
    "numpy.empty_like": [call(a=(2, 3))],
    "numpy.eye": [call(N="3"), call(N="2", M="3", k="1")],
    "numpy.identity": [call(n="3")],
    "numpy.full": [call(shape="(2, 3)", fill_value=None), call(shape="(2, 3)", fill_value=(3,))],
    "numpy.full_like": [call(a=Value(np.zeros((2, 3))), fill_value=None),
                        call(a=Value(np.zeros((2, 3))), fill_value=(3,))],
    "numpy.arange": [call(start="4"), call(start=None, stop="12.5", step="5.0"),
                     call(start="0", stop="5", step="2")],
    "numpy.linspace": [call(start=None, stop=None, num="5"),
                       call(start=None, stop=None, num="4", endpoint="False"),
                       call(start=(2,), stop=None, num="3")],
    "numpy.shape": [call(a=(2, 3))],
    "numpy.ndim": [call(a=(2, 3))],
    "numpy.size": [call(a=(2, 3)), call(a=(2, 3), axis="1")],
    "numpy.argmax": [call(a=(2, 3)), call(a=(2, 3), axis="1", keepdims="True")],
    "numpy.argmin": [call(a=(2, 3), axis="0")],
    "numpy.all": [call(a=(2, 3)), call(a=(2, 3), axis="0")],
    "numpy.any": [call(a=(2, 3), axis="1", keepdims="True")],
    "numpy.count_nonzero": [call(a=(2, 3)), call(a=(2, 3), axis="0")],
    "numpy.argsort": [call(a=(2, 3)), call(a=(2, 3), axis="None")],
    "numpy.searchsorted": [call(a=SORTED, v=(2, 3))],
    "numpy.digitize": [call(x=(2, 3), bins=SORTED)],
    "numpy.flatnonzero": [call(a=(2, 3))],
    "numpy.argwhere": [call(a=(2, 3))],
    "numpy.allclose": [call(a=(2, 3), b=(3,))],
    "numpy.array_equal": [call(a1=(2, 3), a2=(2, 3))],
    "len": [call(x=(3,))],
    "numpy.round": [call(a=(2, 3), decimals="1")],
    "numpy.around": [call(a=(2, 3), decimals="1")],
}


def _zeros(*shape):
    return Value(np.zeros(shape))


def _values(*shape):
    """Distinct values away from zero and from each other, of this shape."""
    size = math.prod(shape)
    return Value(((np.arange(size) * 7 % size) * 0.3 + 0.4).reshape(shape))


INVERTIBLE = Value(np.array([[3.2, 0.4, -0.7], [0.1, 2.6, 0.5], [-0.3, 0.8, 3.9]]))
SINGULAR = Value(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]]))
LOWER = Value(np.array([[1.5, 0.0, 0.0], [0.3, 1.2, 0.0], [-0.4, 0.6, 2.1]]))
SYMMETRIC = Value(np.array([[2.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 3.1]]))

# The runtime helpers, called as generated code calls them: an adjoint ``v`` with the shape
# of the result it came from, and the operands it goes back to as constants.
R = RUNTIME = "srcdiff.runtime."
CALLS.update({
    R + "unbroadcast": [call(v=(2, 3), x=_zeros(3)), call(v=(2, 3), x=_zeros(2, 1)),
                        call(v=(3,), x=_zeros(3)), call(v=(2, 3), x="0.0"),
                        call(v=None, x="0.0")],
    R + "spread_like": [call(t=(3,), like=_zeros(2, 3)), call(t=(2, 1), like=_zeros(2, 3)),
                        call(t=None, like=_zeros(3)), call(t=(2, 3), like=_zeros(2, 3))],
    R + "last_assigned": [call(v=(4,), index=INDICES), call(v=(3, 2), index="(1, 0)"),
                          call(v=(3, 2), index="(slice(None), 1)")],
    R + "assigned_only": [call(h=(4,), v=_zeros(4), index=INDICES),
                          call(h=None, v=_zeros(3, 2), index="(1, 0)"),
                          call(h=(3,), v=_zeros(3, 2), index="(slice(None), 1)")],
    R + "cast_like": [call(value=(2, 3), x=_zeros(3)), call(value=None, x="0.0"),
                      call(value=(3,), x="1.0"), call(value=(2, 3), x="np.float64(0.0)")],
    R + "expand_reduced": [call(v=(2, 3), axis="1"), call(v=(2, 3), axis="(0, 2)"),
                           call(v=(3,), axis="None"), call(v=(2, 1), axis="1",
                                                            keepdims="True"),
                           call(v=None, axis="0")],
    R + "reduced_size": [call(a=(2, 3)), call(a=(2, 3), axis="1")],
    R + "deviations": [call(a=(4,)), call(a=(2, 3), axis="1"), call(a=(2, 3, 2), axis="(0, 2)")],
    R + "median_weights": [call(a=(5,)), call(a=(2, 3), axis="1")],
    R + "product_of_others": [call(a=(4,)), call(a=(2, 3), axis="1"),
                              call(a=(2, 3, 2), axis="(0, 2)"), call(a=None)],
    R + "product_of_others_jvp": [call(a=(4,), t=(4,)), call(a=(2, 3), t=(2, 3), axis="1"),
                                  call(a=(2, 3), t=(2, 3))],
    R + "product_of_others_hvp": [call(a=_values(4), t=(4,), s=(4,)),
                                  call(a=_values(2, 3), t=(2, 3), s=(2, 3), axis="1")],
    R + "reverse_cumsum": [call(v=(4,), a=_zeros(4)), call(v=(2, 3), a=_zeros(2, 3), axis="1"),
                           call(v=(6,), a=_zeros(2, 3)),
                           call(v=(3, 3), a=_zeros(2, 3), axis="0", include_initial="True")],
    R + "cumprod_tangent": [call(a=(4,), t=(4,)), call(a=(2, 3), t=(2, 3), axis="1"),
                        call(a=(2, 3), t=(2, 3)),
                        call(a=(2, 3), t=(2, 3), axis="0", include_initial="True")],
    R + "cumprod_jvp2": [call(a=(4,), t=(4,), s=(4,)),
                         call(a=(2, 3), t=(2, 3), s=(2, 3), axis="1"),
                         call(a=(2, 3), t=(2, 3), s=(2, 3)),
                         call(a=(2, 3), t=(2, 3), s=(2, 3), axis="0", include_initial="True")],
    R + "cumprod_hvp": [call(v=(4,), a=(4,), t=(4,)),
                        call(v=(2, 3), a=(2, 3), t=(2, 3), axis="1"),
                        call(v=(6,), a=(2, 3), t=(2, 3)),
                        call(v=(3, 3), a=(2, 3), t=(2, 3), axis="0", include_initial="True"),
                        call(v=(7,), a=(2, 3), t=(2, 3), include_initial="True")],
    R + "dual": [call(x=(3, 2), t=(3, 2)), call(x=(2, 3, 1), t=(3, 1)), call(x=(4, 2), t="0.0"),
                 call(x="0.0", t=(4, 2))],
    R + "dual_primal": [call(x=(3, 2)), call(x=(2, 3, 4))],
    R + "dual_tangent": [call(x=(3, 2)), call(x=(2, 3, 4))],
    R + "dual_cumprod": [call(x=(4, 1)), call(x=(2, 3, 2), axis="1"), call(x=(2, 3, 4)),
                         call(x=(2, 3, 2), axis="0", include_initial="True"),
                         call(x=(3, 2, 2), axis="-1", include_initial="True")],
    R + "dual_cumprod_vjp": [call(v=(4, 1), x=(4, 1)), call(v=(2, 3, 2), x=(2, 3, 2), axis="1"),
                             call(v=(6, 4), x=(2, 3, 4)),
                             call(v=(7, 2), x=(2, 3, 2), include_initial="True"),
                             call(v=(3, 3, 2), x=(2, 3, 2), axis="0", include_initial="True"),
                             call(v=(3, 3, 2), x=(3, 2, 2), axis="-1", include_initial="True")],
    R + "average_vjp": [
        call(v=(3,), r=(3,), a=(2, 3), weights=(2, 3), axis="0"),
        call(v=(2,), r=(2,), a=(2, 3), weights=(3,), axis="1", wrt="'weights'"),
        call(v=None, r=None, a=(4,), weights=(4,), wrt="'weights'"),
        call(v=(1, 3), r=(1, 3), a=(2, 3), weights=(2, 3), axis="0", keepdims="True",
             wrt="'weights'"),
        call(v=(2,), r=(2,), a=(2, 3), weights=(3,), axis="1"),
        call(v=(3,), r=(3,), a=(2, 3), weights=(2,), axis="0", wrt="'weights'")],
    R + "average_vjp_jvp": [
        call(v=_values(3), r=_values(3), a=_values(2, 3), weights=_values(2, 3), axis="0",
             d_weights=(2, 3)),
        call(v=_values(2), r=_values(2), a=_values(2, 3), weights=_values(3), axis="1",
             wrt="'weights'", d_ans=(2,), d_a=(2, 3), d_weights=(3,))],
    R + "average_vjp_vjp": [
        call(h=(2, 3), v=_values(3), r=_values(3), a=_values(2, 3), weights=_values(2, 3),
             axis="0", of=f"'{of}'") for of in ("g", "weights")] + [
        call(h=(3,), v=_values(2), r=_values(2), a=_values(2, 3), weights=_values(3), axis="1",
             wrt="'weights'", of=f"'{of}'") for of in ("g", "ans", "a", "weights")],
    R + "untile": [call(v=(4, 6), a=_zeros(2, 3), reps="(2, 2)"),
                   call(v=(2, 6), a=_zeros(3), reps="(2, 2)"), call(v=(3,), a="0.0", reps="3")],
    R + "unrepeat": [call(v=(2, 6), a=_zeros(2, 3), repeats="2", axis="1"),
                     call(v=(12,), a=_zeros(2, 3), repeats="2"),
                     call(v=(4,), a=_zeros(3), repeats=REPEATS, axis="0")],
    R + "unpad": [call(v=(4, 5), pad_width="1"), call(v=(5,), pad_width="(2, 1)")],
    R + "untake": [call(v=(4,), a=_zeros(4), indices=INDICES),
                   call(v=(2, 3), a=_zeros(2, 3), indices="(2, 0, 2)", axis="1")],
    R + "untake_along_axis": [call(v=(2, 3), arr=_zeros(2, 3), indices=ALONG, axis="1")],
    R + "unsort": [call(v=(5,), a=_values(5)), call(v=(2, 3), a=_values(2, 3), axis="0"),
                   call(v=(6,), a=_values(2, 3), axis="None")],
    R + "sort_like": [call(h=(5,), a=_values(5)), call(h=(2, 3), a=_values(2, 3), axis="0"),
                      call(h=(2, 3), a=_values(2, 3), axis="None")],
    R + "undiagonal": [call(v=(3,), a=_zeros(3, 3)), call(v=(3,), a=_zeros(3, 4), offset="1"),
                       call(v=(2, 3), a=_zeros(2, 3, 3), axis1="1", axis2="2")],
    R + "untrace": [call(v=None, a=_zeros(3, 3)),
                    call(v=(2,), a=_zeros(2, 3, 3), axis1="1", axis2="2")],
    R + "eye_like": [call(a=(3, 3)), call(a=(3, 4), offset="1")],
    R + "diff_vjp": [call(v=(4,), a=_zeros(5)), call(v=(2, 2), a=_zeros(2, 4), n="2")],
    R + "pad_to_full": [call(v=(6,), a=_zeros(4), w=_zeros(3), mode="'full'"),
                        call(v=(4,), a=_zeros(4), w=_zeros(3), mode="'same'"),
                        call(v=(2,), a=_zeros(4), w=_zeros(3), mode="'valid'")],
    R + "cut_from_full": [call(h=(6,), a=_zeros(4), v=_zeros(3), mode="'full'"),
                          call(h=(6,), a=_zeros(4), v=_zeros(3), mode="'same'"),
                          call(h=(6,), a=_zeros(4), v=_zeros(3), mode="'valid'")],
    R + "add_tree": [call(a=(2, 3), b=(2, 3)), call(a=None, b=None)],
    R + "spread": [call(v=(3,), items=_zeros(2, 3)), call(v=None, items=_zeros(4))],
    R + "unspread": [call(items=(2, 3), like=_zeros(3)), call(items=(4,), like="0.0")],
    R + "cast_tree": [call(v=(2, 3), like=_zeros(2, 3)), call(v=None, like="0.0")],
    R + "matmul_lhs_vjp": [call(v=(2, 4), a=_zeros(2, 3), b=(3, 4)),
                           call(v=(2,), a=_zeros(2, 3), b=(3,)),
                           call(v=(4,), a=_zeros(3), b=(3, 4)), call(v=None, a=_zeros(3), b=(3,)),
                           call(v=(2, 2, 4), a=_zeros(2, 2, 3), b=(2, 3, 4)),
                           call(v=(2, 2, 4), a=_zeros(2, 3), b=(2, 3, 4))],
    R + "matmul_rhs_vjp": [call(v=(2, 4), a=(2, 3), b=_zeros(3, 4)),
                           call(v=(2,), a=(2, 3), b=_zeros(3)),
                           call(v=(4,), a=(3,), b=_zeros(3, 4)),
                           call(v=(2, 2, 4), a=(2, 2, 3), b=_zeros(2, 3, 4)),
                           call(v=(2, 2, 4), a=(2, 2, 3), b=_zeros(3, 4))],
    R + "dot_lhs_vjp": [call(v=(2, 4), a=_zeros(2, 3), b=(3, 4)),
                        call(v=(2, 3), a="0.0", b=(2, 3)),
                        call(v=(2, 2, 4), a=_zeros(2, 3), b=(2, 3, 4))],
    R + "dot_rhs_vjp": [call(v=(2, 4), a=(2, 3), b=_zeros(3, 4)),
                        call(v=(2, 2, 4), a=(2, 3), b=_zeros(2, 3, 4))],
    R + "inner_lhs_vjp": [call(v=(2, 4), a=_zeros(2, 3), b=(4, 3)),
                          call(v=None, a=_zeros(3), b=(3,))],
    R + "inner_rhs_vjp": [call(v=(2, 4), a=(2, 3), b=_zeros(4, 3))],
    R + "tensordot_lhs_vjp": [call(v=(2, 4), a=_zeros(2, 3), b=(3, 4), axes="1"),
                              call(v=(2, 2), a=_zeros(2, 3, 4), b=(3, 4, 2))],
    R + "tensordot_rhs_vjp": [call(v=(2, 4), a=(2, 3), b=_zeros(3, 4), axes="1"),
                              call(v=(2, 2), a=(2, 3, 4), b=_zeros(3, 4, 2))],
    R + "kron_vjp": [call(v=(6, 4), a=(2, 2), b=(3, 2)),
                     call(v=(6, 4), a=(2, 2), b=(3, 2), wrt="'b'"), call(v=(6,), a=(2,), b=(3,))],
    R + "solve_rhs_vjp": [call(v=(3,), a=(3, 3), b=_zeros(3)),
                          call(v=(3, 2), a=(3, 3), b=_zeros(3, 2)),
                          call(v=(2, 3, 2), a=(2, 3, 3), b=_zeros(2, 3, 2)),
                          call(v=(2, 3), a=(2, 3, 3), b=_zeros(3)),
                          call(v=(2, 3, 2), a=(2, 3, 3), b=_zeros(3, 2))],
    R + "solve_rhs_vjp_jvp": [call(v=_values(3), a=INVERTIBLE, b=_zeros(3), t=(3, 3)),
                              call(v=_values(3, 2), a=INVERTIBLE, b=_zeros(3, 2), t=(3, 3))],
    R + "solve_lhs_vjp": [call(v=(3,), p=(3,), a=(3, 3), b=_zeros(3)),
                          call(v=(3, 2), p=(3, 2), a=(3, 3), b=_zeros(3, 2)),
                          call(v=(2, 3), p=(2, 3), a=(2, 3, 3), b=_zeros(3))],
    R + "solve_lhs_vjp_jvp": [
        call(v=_values(3), p=_values(3), a=INVERTIBLE, b=_zeros(3), t=(3, 3)),
        call(v=_values(3, 2), p=_values(3, 2), a=INVERTIBLE, b=_zeros(3, 2), t=(3, 3))],
    R + "solve_lhs_vjp_vjp": [
        call(h=(3, 3), v=_values(3), p=_values(3), a=INVERTIBLE, b=_zeros(3), of=f"'{of}'")
        for of in ("g", "ans", "a")] + [
        call(h=(3, 3), v=_values(3, 2), p=_values(3, 2), a=INVERTIBLE, b=_zeros(3, 2),
             of=f"'{of}'") for of in ("g", "ans", "a")],
    R + "cholesky_vjp": [call(v=(3, 3), L=(3, 3)), call(v=(2, 3, 3), L=(2, 3, 3))],
    R + "cholesky_tangent": [call(L=LOWER, t=(3, 3))],
    R + "lower_halved": [call(x=(3, 3)), call(x=(2, 3, 3))],
    R + "from_lower": [call(t=(3, 3)), call(t=(2, 3, 3))],
    R + "onto_lower": [call(s=(3, 3)), call(s=(2, 3, 3))],
    R + "eigvalsh_vjp": [call(v=(3,), a=(3, 3)), call(v=(2, 3), a=(2, 3, 3), UPLO="'U'")],
    R + "eigvalsh_tangent": [call(a=SYMMETRIC, t=(3, 3)), call(a=SYMMETRIC, t=(3, 3), UPLO="'U'")],
    R + "eigvalsh_hvp": [call(v=_values(3), a=SYMMETRIC, t=(3, 3)),
                         call(v=_values(3), a=SYMMETRIC, t=(3, 3), UPLO="'U'")],
    R + "svdvals_vjp": [call(v=(2,), x=(3, 2)), call(v=(3,), x=(3, 3)),
                        call(v=(2, 2), x=(2, 2, 3))],
    R + "svdvals_tangent": [call(x=_values(3, 2), t=(3, 2))],
    R + "svdvals_hvp": [call(v=_values(2), x=_values(3, 2), t=(3, 2)),
                        call(v=_values(3), x=INVERTIBLE, t=(3, 3)),
                        call(v=_values(2), x=_values(2, 3), t=(2, 3))],
    R + "eigvalsh_derivative": [call(b=(3, 3), order="0"), call(b=(6, 6), order="1"),
                                call(b=(12, 12), order="2", UPLO="'U'"),
                                call(b=(2, 6, 6), order="1")],
    R + "eigvalsh_derivative_vjp": [call(v=(3,), b=(3, 3), order="0"),
                                    call(v=(3,), b=(6, 6), order="1", UPLO="'U'"),
                                    call(v=(2, 3), b=(2, 12, 12), order="2")],
    R + "svdvals_derivative": [call(b=(3, 2), order="0"), call(b=(6, 4), order="1"),
                               call(b=(8, 12), order="2"),
                               call(b=(6, 6), order="1", norm="'nuc'"),
                               call(b=(4, 6), order="1", norm="2"),
                               call(b=(2, 6, 4), order="1", norm="-2")],
    R + "svdvals_derivative_vjp": [call(v=(2,), b=(3, 2), order="0"),
                                   call(v=(2,), b=(6, 4), order="1"),
                                   call(v=(2, 2), b=(2, 8, 12), order="2"),
                                   call(v=None, b=(6, 6), order="1", norm="'nuc'"),
                                   call(v=None, b=(3, 2), order="0", norm="2"),
                                   call(v=(2,), b=(2, 4, 6), order="1", norm="-2")],
    R + "matrix_power_vjp": [call(v=(3, 3), a=(3, 3), n="3"), call(v=(3, 3), a=(3, 3), n="-2"),
                             call(v=(2, 3, 3), a=(2, 3, 3), n="2"),
                             call(v=(3, 3), a=(3, 3), n="0")],
    R + "matrix_power_tangent": [call(a=INVERTIBLE, t=(3, 3), n="3"),
                                 call(a=INVERTIBLE, t=(3, 3), n="-2"),
                                 call(a=(3, 3), t=(3, 3), n="3"), call(a=(3, 3), t=(3, 3), n="-2"),
                                 call(a=(2, 3, 3), t=(2, 3, 3), n="2")],
    R + "matrix_power_hvp": [call(v=_values(3, 3), a=INVERTIBLE, t=(3, 3), n="3"),
                             call(v=_values(3, 3), a=INVERTIBLE, t=(3, 3), n="-2"),
                             call(v=(3, 3), a=(3, 3), t=(3, 3), n="3"),
                             call(v=(3, 3), a=(3, 3), t=(3, 3), n="-2"),
                             call(v=(2, 3, 3), a=(2, 3, 3), t=(2, 3, 3), n="2")],
    R + "einsum_like/3": [call(subscripts="'i->ii'", like=_zeros(3, 3), a=(3,)),
                          call(subscripts="'ii->i'", like=_zeros(3), a=(3, 3)),
                          call(subscripts="'i->ij'", like=_zeros(3, 2), a=(3,)),
                          call(subscripts="'ij->ij'", like=_zeros(1, 3), a=(2, 3)),
                          call(subscripts="'ij->ij'", like=_zeros(2, 3), a=(1, 3)),
                          call(subscripts="'...i->...i'", like=_zeros(3), a=(2, 3)),
                          call(subscripts="'i->...i'", like=_zeros(2, 3), a=(3,)),
                          call(subscripts="'->ii'", like=_zeros(3, 3), a=None),
                          call(subscripts="'ji'", like=_zeros(3, 2), a=(2, 3))],
    R + "einsum_like/4": [call(subscripts="'ik,jk->ij'", like=_zeros(2, 3), a=(2, 4), b=(3, 4)),
                          call(subscripts="'i,i->ii'", like=_zeros(3, 3), a=(3,), b=(3,)),
                          call(subscripts="'...i,...->...i'", like=_zeros(3), a=(2, 3),
                               b=(2,)),
                          call(subscripts="'ij,j->ij'", like=_zeros(2, 3), a=(1, 3), b=(3,)),
                          call(subscripts="'i,i->'", like="0.0", a=(3,), b=(3,))],
    R + "einsum_like/5": [call(subscripts="'jl,ij,kl->ik'", like=_zeros(2, 3), a=(4, 2),
                               b=(2, 4), c=(3, 2)),
                          call(subscripts="'i,i,i->i'", like=_zeros(3), a=(3,), b=(3,), c=(3,))],
    R + "power_block": [call(a=(3, 3), t=(3, 3)), call(a=(2, 3, 3), t=(3, 3))],
    R + "top_right": [call(x=(4, 4)), call(x=(2, 6, 6))],
    R + "diagonal_blocks": [call(x=(4, 4)), call(x=(2, 6, 6))],
    R + "average_jvp": [
        call(t=(2, 3), r=(3,), a=(2, 3), weights=(2, 3), axis="0"),
        call(t=(3,), r=(2,), a=(2, 3), weights=(3,), axis="1"),
        call(t=(4,), r=None, a=(4,), weights=(4,)),
        call(t=(2, 3), r=(1, 3), a=(2, 3), weights=(2, 3), axis="0", keepdims="True")],
    R + "cholesky_jvp": [call(t=(3, 3), L=(3, 3)), call(t=(2, 3, 3), L=(2, 3, 3))],
    R + "eigvalsh_jvp": [call(t=(3, 3), a=(3, 3)), call(t=(2, 3, 3), a=(2, 3, 3), UPLO="'U'")],
    R + "eigvalsh_jvp2": [call(a=SYMMETRIC, t=(3, 3), s=(3, 3)),
                          call(a=SYMMETRIC, t=(3, 3), s=(3, 3), UPLO="'U'")],
    R + "svdvals_jvp": [call(t=(3, 2), x=(3, 2)), call(t=(3, 3), x=(3, 3)),
                        call(t=(2, 2, 3), x=(2, 2, 3))],
    R + "svdvals_jvp2": [call(x=_values(3, 2), t=(3, 2), s=(3, 2)),
                         call(x=INVERTIBLE, t=(3, 3), s=(3, 3)),
                         call(x=_values(2, 3), t=(2, 3), s=(2, 3))],
    R + "matrix_power_jvp": [call(t=(3, 3), a=(3, 3), n="3"), call(t=(3, 3), a=(3, 3), n="-2"),
                             call(t=(2, 3, 3), a=(2, 3, 3), n="2"),
                             call(t=(3, 3), a=(3, 3), n="0")],
    R + "matrix_power_jvp2": [call(a=INVERTIBLE, t=(3, 3), s=(3, 3), n="3"),
                              call(a=INVERTIBLE, t=(3, 3), s=(3, 3), n="-2")],
    R + "adjugate": [call(a=(3, 3)), call(a=(2, 3, 3))],
    R + "adjugate_jvp": [call(a=INVERTIBLE, t=(3, 3)), call(a=SINGULAR, t=(3, 3))],
    R + "adjugate_jvp2": [call(a=INVERTIBLE, t=(3, 3), s=(3, 3)),
                          call(a=SINGULAR, t=(3, 3), s=(3, 3)),
                          call(a=(4, 4), t=(4, 4), s=(4, 4))],
    R + "adjugate_jvp3": [call(a=_values(4, 4), t=(4, 4), s=(4, 4), r=(4, 4)),
                          call(a=_values(2, 4, 4), t=(2, 4, 4), s=(2, 4, 4), r=(2, 4, 4))],
    R + "polyval_derivative": [call(p=(4,), x=None), call(p=(4,), x=(2, 3)),
                               call(p=(5,), x=(3,), order="2")],
    R + "polyval_coefficients_vjp": [call(v=(2, 3), p=_zeros(4), x=(2, 3)),
                                     call(v=None, p=_zeros(3), x=None),
                                     call(v=(3,), p=_zeros(5), x=(3,), order="2")],
    R + "linspace_vjp": [call(v=(5,), start="0.0", stop="1.0", num="5"),
                         call(v=(4, 2), start=_zeros(2), stop="1.0", num="4", endpoint="False"),
                         call(v=(5,), start="0.0", stop="1.0", num="5", wrt="'stop'")],
    "numpy.correlate": [call(a=(5,), v=(3,)), call(a=(3,), v=(5,)),
                        call(a=(4,), v=(3,), mode="'full'")],
    "numpy.asarray/2": [call(a=(2, 3), dtype="np.float64"), call(a=None, dtype="np.float64")],
    "numpy.astype/3": [call(x=(2, 3), dtype="np.float64", copy="False")],
})
EXCLUDED.update({
    R + "require_assigned/2": "a check run for its effect: tests/test_helper_rules.py",
    R + "check_scalar/2": "a check run for its effect: tests/test_helper_rules.py",
    R + "tie_weights/3": "constant only while m moves with a (m is a's maximum): checked in "
                         "tests/test_helper_rules.py",
    R + "einsum_labels/2": "gives labels, not numbers",
    R + "einsum_swapped/2": "gives subscripts, not numbers",
    R + "cumprod_vjp/5": "p is np.cumprod(a), which the rule follows: checked with p tied to "
                         "a in tests/test_helper_rules.py",
    R + "norm_vjp/7": "r is the norm of x, which the rule follows: tests/test_helper_rules.py",
    R + "norm_tangent/7": "r is the norm of x, which the rule follows: tests/test_helper_rules.py",
    R + "norm_hvp/8": "r is the norm of x, which the rule follows: tests/test_helper_rules.py",
    R + "cumprod_jvp/5": "p is np.cumprod(a), which the rule follows: checked with p tied to "
                         "a in tests/test_helper_rules.py",
    R + "norm_jvp/7": "r is the norm of x, which the rule follows: tests/test_helper_rules.py",
    R + "norm_jvp2/8": "r is the norm of x, which the rule follows: tests/test_helper_rules.py",
    R + "filled_tangents/2": "of a container: tests/test_helper_rules.py",
    R + "sum_tangents/3": "of a container: tests/test_helper_rules.py",
    R + "one_hot/3": "of a container: tests/test_helper_rules.py",
    R + "split_like/3": "returns a list: tests/test_helper_rules.py",
    R + "unstack_like/3": "returns a list: tests/test_helper_rules.py",
    R + "split_hstack/2": "returns a list: tests/test_helper_rules.py",
    R + "split_vstack/2": "returns a list: tests/test_helper_rules.py",
    R + "unarray/2": "returns a list: tests/test_helper_rules.py",
    "numpy.float32/1": "rounds to float32, which finite differences of float64 values cannot "
                       "follow: tests/test_helper_rules.py",
    "numpy.complex64/1": "rounds to complex64: tests/test_helper_rules.py",
    "numpy.complex128/1": "makes complex numbers of real ones: tests/test_helper_rules.py",
    "complex/1": "makes complex numbers of real ones: tests/test_helper_rules.py",
    "slice/1": "makes a slice, for an index: tests/test_helper_rules.py",
    "slice/2": "makes a slice, for an index: tests/test_helper_rules.py",
    "slice/3": "makes a slice, for an index: tests/test_helper_rules.py",
})

# Bodies for inactive calls whose result is not a number to multiply by, or not a
# deterministic one.
WRAPPERS = {"numpy.shape": "np.zeros({call})", "range": "len({call})",
            "numpy.empty": "np.zeros_like({call})", "numpy.empty_like": "np.zeros_like({call})"}

# Distance to where a differentiable primitive jumps or blows up; points closer than MARGIN
# are redrawn.
KINKS = {
    "x % y": lambda x, y: np.abs(x / y - np.round(x / y)),
    "numpy.remainder": lambda x, y: np.abs(x / y - np.round(x / y)),
    "numpy.fmod": lambda x, y: np.abs(x / y - np.round(x / y)),
    "math.tan": lambda x: np.abs(np.cos(x)),
    "numpy.tan": lambda x: np.abs(np.cos(x)),
}


class Unexercisable(Exception):
    """The test does not know how to call this rule's primitive."""


@dataclass(frozen=True)
class Case:
    rule: object
    shapes: tuple = ()
    consts: tuple = ()
    dtype: str = "float64"
    problem: str | None = None

    @property
    def id(self):
        if self.problem is not None:
            return f"{rule_id(self.rule)}-unexercisable"
        shapes = ",".join(f"{p}={_shape_text(s)}" if self.consts else _shape_text(s)
                          for p, s in self.shapes)
        consts = ",".join(f"{p}={_const_text(v)}" for p, v in self.consts)
        suffix = "" if self.dtype == "float64" else f"-{self.dtype}"
        return f"{rule_id(self.rule)}-{shapes}" + (f"-{consts}" if consts else "") + suffix

    @property
    def names(self):
        return tuple(p for p, _ in self.shapes)


def _shape_text(shape):
    return "float" if shape is None else "x".join(map(str, shape)) or "0d"


def _const_text(value):
    return "array" if isinstance(value, Value) else value.replace(" ", "")


def rule_id(rule):
    return f"{rule.name}/{len(rule.params)}"


# Rules declared at run time by users (``user=True``) are not part of the library's tables.
RULES = [rule for rule in REGISTRY if not rule.user]


def varying(rule):
    """The parameters that vary in generated cases: the differentiable ones, or for rules
    without adjoints the required ones; never integers."""
    if rule.kind == NONDIFF:
        names = [p for p in rule.params if p not in rule.defaults]
    else:
        names = rule.differentiable
    return tuple(p for p in names if rule.domain.get(p) != "int")


def call_text(rule, present):
    """The call spelled as a user would: positional while no parameter is skipped."""
    if rule.symbol is not None:
        names = [present[p] for p in rule.params]
        if len(names) == 1:
            space = " " if rule.symbol.isalpha() else ""
            return f"{rule.symbol}{space}{names[0]}"
        if len(names) == 2:
            return f"{names[0]} {rule.symbol} {names[1]}"
        raise Unexercisable(f"operator {rule.symbol!r} with {len(names)} operands")
    positional = len(rule.params) if rule.positional is None else rule.positional
    args, gap = [], False
    for index, p in enumerate(rule.params):
        if p not in present:
            gap = True
            continue
        if not gap and index < positional:
            args.append(present[p])
        elif index < rule.positional_only:
            raise Unexercisable(f"positional-only {p} after a skipped parameter")
        else:
            args.append(f"{p}={present[p]}")
    return f"{function_text(rule)}({', '.join(args)})"


# What the generated modules' calls may name: NumPy, math, and the runtime helpers, which a
# module imports by name (``from srcdiff.runtime import unbroadcast``).
NAMESPACE = {"np": np, "math": math, **{name: getattr(runtime, name) for name in runtime.__all__}}


def function_text(rule):
    text = "np." + rule.name[len("numpy."):] if rule.name.startswith("numpy.") else rule.name
    if text.startswith(RUNTIME):
        text = text[len(RUNTIME):]
    try:
        found = eval(text, NAMESPACE)
    except Exception as exc:
        raise Unexercisable(f"cannot spell the primitive as {text!r}: {exc}") from None
    if found is not rule.fn:
        raise Unexercisable(f"{text!r} is not the rule's function {rule.fn!r}")
    return text


def broadcast_shapes(arity):
    if arity == 1:
        return [((3,),), ((2, 3),)]
    rest = arity - 1
    return [((3,),) * arity, ((2, 3),) + ((3,),) * rest, ((2, 1),) + ((1, 3),) * rest,
            (None,) + ((2, 3),) * rest, ((2, 3),) + (None,) * rest]


def takes_arrays(rule):
    args = [np.full((2, 3), 0.5) for _ in rule.params]
    try:
        return np.shape(rule.fn(*args)) == (2, 3)
    except Exception:
        return False


def auto_shapes(rule):
    """Shapes of the varying parameters for a rule whose kind says how to call it."""
    arity = len(varying(rule))
    if arity == 0 and rule.kind == NONDIFF:
        return [()]
    if arity == 0:
        raise Unexercisable("no parameter to differentiate with respect to")
    floats = [(None,) * arity]
    if rule.kind == SCALAR:
        return floats
    if rule.kind == ELEMENTWISE:
        return floats + broadcast_shapes(arity)
    if rule.kind == REDUCE:
        return floats + [((3,),) * arity, ((2, 3),) * arity]
    if rule.kind == MATMUL:
        if arity != 2:
            raise Unexercisable(f"a matmul rule with {arity} differentiable parameters")
        return list(MATMUL_SHAPES)
    if rule.kind == NONDIFF:
        return floats + (broadcast_shapes(arity) if takes_arrays(rule) else [])
    raise Unexercisable(f"a {rule.kind} rule needs its calls listed in CALLS")


def cases_for(rule):
    try:
        listed = CALLS.get(rule_id(rule), CALLS.get(rule.name))
        calls = []
        if listed is not None:
            for spec in listed:
                shapes = tuple((p, s) for p, s in spec.items() if s is None or isinstance(s,
                                                                                       tuple))
                consts = tuple((p, v) for p, v in spec.items() if isinstance(v, (str, Value)))
                calls.append((shapes, consts))
        try:
            if listed is not None and (rule.kind != ELEMENTWISE or rule.shape is not None):
                raise Unexercisable("listed in CALLS")
            names = varying(rule)
            missing = [p for p in rule.params if p not in names and p not in rule.defaults
                       and rule.domain.get(p) != "int" and (rule.name, p) not in CONSTANTS]
            if missing:
                raise Unexercisable(f"no value for non-differentiable parameter(s) {missing}; "
                                    "list calls in CALLS or add them to CONSTANTS")
            calls += [(tuple(zip(names, shapes)), ()) for shapes in auto_shapes(rule)]
        except Unexercisable:
            if listed is None:
                raise
        cases = []
        for shapes, consts in calls:
            case = Case(rule, shapes, consts)
            body_text(case)
            cases.append(case)
            arrays = any(s is not None for _, s in shapes)
            if rule.kind != NONDIFF and arrays:
                cases.append(Case(rule, shapes, consts, "float32"))
        return cases
    except Unexercisable as exc:
        return [Case(rule, problem=str(exc))]


def _present(case):
    """The text of each argument the call passes: a name, or a literal."""
    present = {p: p for p in case.names}
    for p, value in case.consts:
        present[p] = p if isinstance(value, Value) else value
    for p in case.rule.params:
        if p not in present and p not in case.rule.defaults:
            present[p] = p
    return present


def body_text(case):
    """The primitive's call; for rules without adjoints, a float times it."""
    rule = case.rule
    text = call_text(rule, _present(case))
    if rule.kind == NONDIFF:
        return f"u * ({WRAPPERS.get(rule.name, '{call}').format(call=text)})"
    return text


def params_for(case):
    marks = []
    if rule_id(case.rule) in EXCLUDED:
        marks.append(pytest.mark.skip(reason=EXCLUDED[rule_id(case.rule)]))
    elif case.id in KNOWN_BUGS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case.id]))
    return pytest.param(case, id=case.id, marks=marks)


CASES = [case for rule in RULES for case in cases_for(rule)]


class Generated:
    """A module written for one case: its source, its function, and its constants."""

    counter = itertools.count()

    def __init__(self, case, rng):
        self.case = case
        rule = case.rule
        self.shape_of = dict(case.shapes)
        self.constants = {p: self._constant(p, rng) for p in rule.params
                          if p not in self.shape_of and p not in dict(case.consts)
                          and p not in rule.defaults}
        self.constants.update((p, v.value) for p, v in case.consts if isinstance(v, Value))
        self.body = body_text(case)
        self.call_text = call_text(rule, _present(case))
        self.inactive_text = self.body[len("u * "):] if rule.kind == NONDIFF else self.call_text
        self.names = case.names
        self.call = self.body
        sample_args = {p: sample(rule.domain.get(p, "real"), self.shape_of[p], rng)
                       for p in case.names}
        namespace = {**NAMESPACE, **self.constants, **sample_args}
        if rule.kind == NONDIFF:
            self.names = self.names + ("u",)
            self.shape_of["u"] = np.shape(eval(self.body[len("u * "):], namespace)) or None
            namespace["u"] = 1.0
        shape = np.shape(eval(self.body, namespace))
        self.weights = self._weights(shape, rng)
        self.source = self._source(self.body, shape)
        self.fn = self._compile()

    def _constant(self, param, rng):
        if self.case.rule.domain.get(param) == "int":
            return sample("int", None, rng)
        shapes = [s for _, s in self.case.shapes]
        return CONSTANTS[(self.case.rule.name, param)](_broadcast(shapes))

    def _weights(self, shape, rng):
        values = np.round(rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape), 2)
        return float(values) if shape == () else cast(values, self.case.dtype)

    def _source(self, body, shape):
        lines = ["import math", "", "import numpy as np", ""] + imports(self.case.rule)
        lines += [f"W = {_literal(self.weights)}"]
        lines += [f"{p} = {_literal(v)}" for p, v in self.constants.items()]
        result = f"W * ({body})" if shape == () else f"np.sum(W * ({body}))"
        lines += ["", "", f"def f({', '.join(self.names)}):", f"    return {result}", ""]
        return "\n".join(lines)

    def _compile(self):
        filename = f"<srcdiff-rule-test-{next(self.counter)}>"
        linecache.cache[filename] = (len(self.source), None,
                                     self.source.splitlines(True), filename)
        namespace = {"__name__": "generated_rule_test"}
        exec(compile(self.source, filename, "exec"), namespace)
        return namespace["f"]

    def evaluate(self, args):
        """The primitive's call (without the factor of inactive rules) at these arguments."""
        namespace = {**NAMESPACE, **self.constants, **dict(zip(self.names, args))}
        return eval(self.inactive_text, namespace)


def imports(rule):
    """The import of the runtime helper a generated module calls (none for other rules)."""
    if not rule.name.startswith(RUNTIME):
        return []
    return [f"from srcdiff.runtime import {rule.name[len(RUNTIME):]}", ""]


def _broadcast(shapes):
    arrays = [s for s in shapes if s is not None]
    return np.broadcast_shapes(*arrays) if arrays else None


def _literal(value):
    if isinstance(value, np.ndarray):
        dtype = "bool_" if value.dtype == bool else value.dtype.name
        items = value.tolist() if dtype == "bool_" or value.dtype.kind in "iu" else np.round(
            value.astype(float), 6).tolist()
        return f"np.array({items!r}, dtype=np.{dtype})"
    return repr(value)


def draw_point(generated, rng, tries=200):
    rule = generated.case.rule
    for _ in range(tries):
        args = {p: sample(rule.domain.get(p, "real"), generated.shape_of[p], rng)
                for p in generated.names}
        if smooth(generated, args):
            return tuple(args[p] for p in generated.names)
    pytest.fail(f"no point of {rule_id(rule)}'s domain away from its kinks in {tries} tries")


def smooth(generated, args):
    """Whether the primitive is smooth (or locally constant, if non-differentiable) here."""
    rule = generated.case.rule
    near_zero = [v for p, v in args.items() if rule.domain.get(p, "real") == "real"]
    if any(np.min(np.abs(v)) < MARGIN for v in near_zero):
        return False
    if rule.kind in (ELEMENTWISE, SCALAR, NONDIFF) or rule.name == "numpy.clip":
        for a, b in itertools.combinations(list(args.values()) + _numbers(generated), 2):
            try:
                if np.min(np.abs(np.subtract(a, b))) < MARGIN:
                    return False
            except ValueError:
                continue
    kink = KINKS.get(rule.name)
    if kink is not None:
        ordered = [args[p] if p in args else generated.constants[p] for p in rule.params]
        if np.min(kink(*ordered)) < MARGIN:
            return False
    return rule.kind != NONDIFF or locally_constant(generated, args)


def _numbers(generated):
    """Literal number arguments (clip's bounds), which ties with the varying ones break."""
    values = []
    for _, text in generated.case.consts:
        try:
            value = eval(text, {"np": np}) if isinstance(text, str) else None
        except Exception:
            continue
        if isinstance(value, float):
            values.append(value)
    return values


def locally_constant(generated, args):
    names = list(generated.names)
    values = [args[p] for p in names]
    base = generated.evaluate(values)
    for i, p in enumerate(names):
        if p == "u" or generated.case.rule.domain.get(p) == "int":
            continue
        for delta in (-JUMP_PROBE, JUMP_PROBE):
            moved = values[:i] + [values[i] + delta] + values[i + 1:]
            if not np.array_equal(generated.evaluate(moved), base):
                return False
    return True


class Context:
    """A failure's explanation, built only when it is printed: the point, the generated
    module and the derivative srcdiff wrote for it."""

    def __init__(self, generated, name, point):
        self.generated, self.name, self.point = generated, name, point

    def __str__(self):
        try:
            derivative = srcdiff.source(self.generated.fn, wrt=self.name, args=self.point)
        except srcdiff.SrcdiffError as error:
            derivative = str(error)
        return (f"d/d{self.name} at {self.point!r}\n--- generated module ---\n"
                f"{self.generated.source}--- derivative ---\n{derivative}")


def cast(value, dtype):
    return value.astype(dtype) if isinstance(value, np.ndarray) else value


def check_kind(grad, arg, context):
    """A float argument has a float gradient; an array one, an array of its shape and dtype."""
    if isinstance(arg, np.ndarray):
        got = (type(grad).__name__, np.shape(grad), getattr(grad, "dtype", None))
        assert got == ("ndarray", arg.shape, arg.dtype), \
            f"gradient {got} for a {arg.dtype} array of shape {arg.shape}\n{context}"
    else:
        assert type(grad) is float, f"gradient of type {type(grad).__name__} for a float\n{context}"


@pytest.mark.parametrize("case", [params_for(c) for c in CASES])
def test_rule(case):
    if case.problem is not None:
        pytest.fail(f"{rule_id(case.rule)} cannot be exercised: {case.problem}; teach "
                    "tests/test_rules.py to call it or list it in EXCLUDED with a reason")
    key = zlib.crc32(case.id.encode())
    generated = Generated(case, np.random.default_rng(key))
    points = [tuple(cast(v, case.dtype)
                    for v in draw_point(generated, np.random.default_rng((key, seed))))
              for seed in SEEDS]
    tolerance = F64_TOLERANCE if case.dtype == "float64" else F32_TOLERANCE
    for index, name in enumerate(generated.names):
        grad_fn = srcdiff.gradient(generated.fn, wrt=name)
        for point in points:
            context = Context(generated, name, point)
            grad = grad_fn(*point)
            check_kind(grad, point[index], context)
            reference = tuple(cast(v, np.float64) for v in point)
            expected = central_difference(generated.fn, reference, index)
            actual = np.asarray(grad, dtype=np.float64)
            if not np.allclose(actual, expected, **tolerance):
                np.testing.assert_allclose(actual, expected, err_msg=str(context), **tolerance)


# shape hooks


def _hooked_cases():
    return [c for c in CASES if c.problem is None and c.rule.shape is not None
            and c.dtype == "float64" and rule_id(c.rule) not in EXCLUDED]


def _bound_and_values(case, rng):
    rule = case.rule
    generated = Generated(case, rng)
    bound, values = {}, {}
    for p in rule.params:
        if p in generated.shape_of:
            values[p] = sample(rule.domain.get(p, "real"), generated.shape_of[p], rng)
            bound[p] = ir.Var(p)
        elif p in generated.constants:
            values[p] = generated.constants[p]
            bound[p] = ir.Global(p, values[p], known=True)
        else:
            text = dict(case.consts).get(p)
            values[p] = eval(text, {"np": np}) if text is not None else rule.defaults[p]
            if text is not None and not text.startswith("np."):
                bound[p] = ir.Const(values[p], text)
            elif text is not None:
                bound[p] = ir.Global(text, values[p], known=True)
            else:
                bound[p] = ir.Const(values[p], repr(values[p]))
    return generated, bound, values


def _described(aval):
    """(kind, shape, dtype) with NumPy scalars and 0-d arrays alike."""
    if aval.kind in ("np", "array") and aval.shape == ():
        return ("scalar", (), aval.dtype)
    if aval.kind == "array":
        return ("array", aval.shape, aval.dtype)
    return (aval.kind, None, aval.dtype if aval.kind == "py" else aval.pytype)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in _hooked_cases()])
def test_shape_hook(case):
    """The result's abstract value matches the real result, and forgetting or naming the
    operands' sizes only ever forgets (never invents) sizes of the result."""
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    generated, bound, values = _bound_and_values(case, rng)
    rule = case.rule
    real = eval(generated.call_text, {**NAMESPACE, **values})
    operand_avals = {}
    for p, operand in bound.items():
        aval = avals.of_value(values[p])
        operand_avals[p] = aval if isinstance(operand, ir.Var) else (
            aval if aval.kind == "py" else avals.generalize(aval))
    got = rule.shape(operand_avals, bound)
    expected = avals.of_value(real)
    if expected.kind == "other" and isinstance(real, tuple):
        assert got.kind == "other" and got.pytype is tuple
        return
    generalized = any(isinstance(op, ir.Global) and isinstance(values[p], np.ndarray)
                      for p, op in bound.items())
    exact = rule.name not in DATA_DEPENDENT and not generalized
    assert _compatible(_described(got), _described(expected), exact=exact), (got, expected)
    for size in (None, "n"):
        forgotten = {p: _forget(a, size) if isinstance(bound[p], ir.Var) else a
                     for p, a in operand_avals.items()}
        vague = rule.shape(forgotten, bound)
        assert _compatible(_described(vague), _described(expected)), (size, vague, expected)


# Results whose sizes depend on the operands' values.
DATA_DEPENDENT = {"numpy.flatnonzero", "numpy.argwhere", "numpy.arange"}


def _forget(aval, size):
    if aval.kind != "array":
        return aval
    return avals.AVal("array", aval.dtype, tuple(size if d != 1 else d for d in aval.shape))


def _compatible(got, expected, exact=False):
    kind, shape, dtype = got
    if kind == "unknown":
        return not exact
    if exact:
        return got == expected
    if kind != expected[0] or (dtype is not None and dtype != expected[2]):
        return False
    if shape is None or expected[1] is None:
        return shape is None or expected[1] is None
    return len(shape) == len(expected[1]) and all(
        g is None or isinstance(g, str) or g == e for g, e in zip(shape, expected[1]))


def _view_cases():
    return [c for c in CASES if c.problem is None and c.dtype == "float64"
            and rule_id(c.rule) not in EXCLUDED]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in _view_cases()])
def test_view_flag(case):
    """A rule whose result may share memory with an operand must say so (``views=True``):
    srcdiff's analysis of writes into arrays relies on it to find every name for an array."""
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    generated, bound, values = _bound_and_values(case, rng)
    result = eval(generated.call_text, {**NAMESPACE, **values})
    shared = [p for p, operand in bound.items() if isinstance(operand, ir.Var)
              and isinstance(values[p], np.ndarray) and isinstance(result, np.ndarray)
              and np.shares_memory(result, values[p])]
    avals_ = {p: avals.of_value(values[p]) for p in bound}
    assert not shared or case.rule.returns_view(avals_), (
        f"{case.rule.name} returns a view of {shared}")
    if isinstance(case.rule.views, tuple):
        assert set(shared) <= set(case.rule.views), (
            f"{case.rule.name} returns a view of {shared}, not only of {case.rule.views}")


def test_every_rule_is_tested_or_excluded():
    ids = [rule_id(rule) for rule in RULES]
    assert len(set(ids)) == len(ids), "two rules share a test id (name/arity)"
    assert set(EXCLUDED) <= set(ids), f"stale exclusions: {set(EXCLUDED) - set(ids)}"
    named = {key.split("/")[0] for key in CALLS} | {key for key in CALLS if "/" in key}
    assert named <= set(ids) | {r.name for r in RULES}, f"stale CALLS: {named - set(ids)}"
    tested = {rule_id(case.rule) for case in CASES if rule_id(case.rule) not in EXCLUDED}
    assert len(tested) == len(RULES) - len(EXCLUDED)


def test_every_domain_can_be_sampled():
    assert set(DOMAINS) == set(registry.DOMAINS)


def test_general_rules_have_shape_hooks():
    assert all(r.shape is not None for r in RULES if r.kind == GENERAL)


def test_every_template_parses_and_names_only_what_it_may():
    """The tables' templates are parsed when a derivative first needs them (not when srcdiff
    is imported): this parses all of them, default, per-rank, complex and forms."""
    checked = 0
    for rule in RULES:
        groups = [rule.templates, *(case.templates for case in rule.cases)]
        if isinstance(rule.complex, tuple):
            groups.append(rule.complex)
        for template in itertools.chain.from_iterable(groups):
            if isinstance(template, registry.Template):
                template.check()
                checked += 1
        for texts in rule.forms.values():
            registry.check_form(texts, rule.allowed())
            checked += sum(t is not None for t in texts)
    assert checked > 500


def test_a_malformed_template_is_found():
    bad = registry.Template("g * ", frozenset({"g"}))
    with pytest.raises(registry.RuleError, match="not a Python expression"):
        bad.check()
    with pytest.raises(registry.RuleError, match="unknown name 'y'"):
        registry.Template("g * y", frozenset({"g"})).check()


ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_rules_table_is_up_to_date():
    """docs/rules.md is generated from the registry: regenerate it with
    ``python -m srcdiff.primitives.table --write``."""
    written = (ROOT / "docs" / "rules.md").read_text()
    generated = subprocess.run([sys.executable, "-m", "srcdiff.primitives.table"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout
    assert written == generated, (
        "docs/rules.md is stale: run python -m srcdiff.primitives.table --write")


def test_every_adjoint_a_form_gives_is_visible_to_activity():
    """Activity analysis reads a rule's default templates (and its cases): a parameter that
    only a form or a complex form gives an adjoint would be taken as inactive, and get a
    silent zero gradient. Such a parameter needs a default template, a Refusal at least."""
    for rule in RULES:
        alternatives = list(rule.forms.values()) + [case.templates for case in rule.cases]
        if isinstance(rule.complex, tuple):
            alternatives.append(rule.complex)
        for templates in alternatives:
            for param, template, default in zip(rule.params, templates, rule.templates):
                assert template is None or default is not None, (rule.name, param)


class _PlainSum(Generated):
    """The case under ``np.sum(...)`` with no weights: the adjoint arrives as one scalar
    broadcast over the result, which elementwise rules may take as it is."""

    def _source(self, body, shape):
        return super()._source(body, shape).replace(f"np.sum(W * ({body}))",
                                                    f"np.sum({body})")


def _plain_sum_cases():
    return [pytest.param(c, id=c.id) for c in CASES
            if c.problem is None and c.dtype == "float64" and c.rule.kind == ELEMENTWISE
            and any(shape for _, shape in c.shapes) and rule_id(c.rule) not in EXCLUDED]


@pytest.mark.parametrize("case", _plain_sum_cases())
def test_rule_under_a_plain_sum(case):
    key = zlib.crc32(case.id.encode())
    generated = _PlainSum(case, np.random.default_rng(key))
    if "np.sum(W" in generated.source:
        pytest.skip("the result is a scalar")
    point = tuple(draw_point(generated, np.random.default_rng((key, SEEDS[0]))))
    for index, name in enumerate(generated.names):
        grad = srcdiff.gradient(generated.fn, wrt=name)(*point)
        expected = central_difference(generated.fn, point, index)
        np.testing.assert_allclose(np.asarray(grad, dtype=np.float64), expected,
                                   err_msg=f"d/d{name}\n{generated.source}", **F64_TOLERANCE)
