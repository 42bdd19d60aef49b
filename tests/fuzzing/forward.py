"""Forward mode against reverse mode, on every program the fuzzer makes.

For random tangents ``v`` of the differentiated arguments, forward mode's tangent of the
result must equal ⟨∇f, v⟩ from reverse mode's gradient: two transforms that share no code
past the primitives' rules, checking each other where central differences cannot see (at
large or ill-conditioned values). Forward mode must also give the function's value, a
tangent of the value's type, and leave the arguments and the tangents unchanged.
"""

import copy
import warnings
import zlib

import numpy as np

import srcdiff
from fuzzing.values import leaves, literal, same_value

NOT_YET = ("(defvjp) but no forward rule",)
"""User rules given for reverse mode alone: an allowed refusal. (Every table rule has a JVP,
so forward mode refusing a primitive for want of one is a failure.)"""


def tangent_like(value, rng):
    """A random tangent of ``value``'s structure, type and dtype (None for an integer)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fc":
            return None
        return rng.standard_normal(value.shape).astype(value.dtype)
    if isinstance(value, np.floating):
        return type(value)(rng.standard_normal())
    if isinstance(value, float):
        return float(rng.standard_normal())
    if isinstance(value, (list, tuple)):
        return type(value)(tangent_like(v, rng) for v in value)
    if isinstance(value, dict):
        return {k: tangent_like(v, rng) for k, v in value.items()}
    return None


def check_forward(report, f, args64, grads64, value64):
    """Forward mode at the float64 arguments against the float64 gradient."""
    program = report.program
    rng = np.random.default_rng(zlib.crc32(program.text.encode()))
    wrt_args = [args64[program.params.index(name)] for name in program.wrt_names]
    tangents = [tangent_like(arg, rng) for arg in wrt_args]
    tangents_before = copy.deepcopy(tangents)
    args = copy.deepcopy(args64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                derivative = srcdiff.value_and_tangent(f, wrt=program.wrt)
                value, tangent = derivative(*args, *tangents)
    except srcdiff.SrcdiffError as error:
        if any(reason in error.message for reason in NOT_YET) or any(
                fragment in error.message for fragment in program.may_refuse):
            report.forward_refused = error.message
            return
        report.fail("forward refusal", str(error))
        return
    except Exception as error:
        report.fail(f"forward crash: {type(error).__name__}", f"{type(error).__name__}: {error}")
        return
    for name, now, was in zip(program.params, args, args64):
        if not same_value(now, was):
            report.fail("forward changes argument", f"{name}: was {literal(was)}, now "
                        f"{literal(now)}")
    if not same_value(tangents, tangents_before):
        report.fail("forward changes tangent", f"was {literal(tangents_before)}, now "
                    f"{literal(tangents)}")
    if not np.isclose(float(value), float(value64), rtol=1e-9, atol=1e-9):
        report.fail("forward value", f"forward mode gives {value!r}, the function {value64!r}")
    constant = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and (
        isinstance(tangent, (int, float, np.number)) and tangent == 0)
    # (An integer result, such as the sum of an empty list, is piecewise constant: its
    # tangent is a zero, in the float type the abstract values give it.)
    if type(tangent) is not type(value) and not constant and not (
            isinstance(value, float) and type(tangent) is float):
        report.fail("forward type", f"the value is {type(value).__name__}, its tangent "
                    f"{type(tangent).__name__} {literal(tangent)}")
    expected, scale = 0.0, 0.0
    for grad, direction in zip(grads64, tangents):
        for (_, g), (_, v) in zip(leaves(grad), leaves(direction)):
            expected += float(np.sum(np.asarray(g, dtype=np.float64) * v))
            scale += float(np.sum(np.abs(np.asarray(g, dtype=np.float64) * v)))
    if not np.isclose(float(tangent), expected, rtol=1e-7, atol=1e-9 * (1.0 + scale)):
        report.fail("forward differs from reverse",
                    f"tangents {literal(tangents)}: forward mode gives {tangent!r}, "
                    f"⟨gradient, tangent⟩ is {expected!r}")
