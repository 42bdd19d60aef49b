"""Judging one generated program: run it, run its derivative, and say what is wrong.

The function runs first; where it raises a numeric error, warns about invalid values or
returns something non-finite the program is *discarded* (``Discard``): there is nothing to
compare with. Otherwise every check runs and each problem becomes a ``Failure`` whose
``kind`` groups it (``fuzz_hunt.py`` files repros by kind):

* the gradient against central differences (``finite_differences``), where those are
  meaningful, for float64 arguments; float32 gradients against the float64 ones;
* ``value_and_grad``'s value against the function's value, its gradient against ``gradient``;
* each gradient's type, shape and dtype against its argument's; no memory shared with any
  argument or module-level array; arguments and module-level arrays unchanged;
* no exception from generated code, and no refusal unless the program may be refused;
* forward mode's tangent against the gradient (``forward``).
"""

import copy
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from generated import namespace_from

import srcdiff
from fuzzing.finite_differences import WHOLE, Probe, largest_intermediate, probe, traced_path
from fuzzing.forward import check_forward
from fuzzing.values import leaves, literal, nudged, rebuild, replaced, same_value, to_float64
from srcdiff.backend import unparse

INTERNAL_REPRS = ("AVal(", "<function", "object at 0x", "Traceback")
unparse.CHECK = True  # every printed statement agrees with ast.unparse, or fails as internal


class Discard(Exception):
    """The program cannot be judged at these arguments (the function itself fails)."""


class GeneratorBug(Exception):
    """The function raised a non-numeric error: the grammar made an ill-typed program."""


@dataclass
class Failure:
    kind: str
    detail: str


@dataclass
class Report:
    program: object
    failures: list = field(default_factory=list)
    compared: int = 0
    skipped: int = 0
    refused: str = ""
    forward_refused: str = ""
    gradient: object = None
    expected: dict = field(default_factory=dict)
    source: str = ""

    def fail(self, kind, detail):
        self.failures.append(Failure(kind, detail))

    def text(self):
        """Everything needed to turn the failure into a regression test."""
        p = self.program
        parts = ["generator: " + p.generator, "program:", p.text,
                 f"args = {literal(p.args)}", f"wrt = {p.wrt!r}"]
        parts += [f"FAILURE [{f.kind}]: {f.detail}" for f in self.failures]
        if self.gradient is not None:
            parts.append(f"gradient = {literal(self.gradient)}")
        for name, value in self.expected.items():
            parts.append(f"expected (central differences) {name} = {literal(value)}")
        if self.source:
            parts += ["generated derivative:", self.source]
        return "\n".join(parts)


NUMERIC = (ArithmeticError, FloatingPointError, np.linalg.LinAlgError, RuntimeWarning)


def run_function(f, args):
    """The function's value, or Discard where it fails numerically or is not a finite
    scalar of moderate size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
                value = f(*args)
    except _Timeout:
        raise
    except NUMERIC as error:
        raise Discard(f"{type(error).__name__}: {error}") from None
    except ValueError as error:
        if "math" in str(error) or "domain" in str(error):
            raise Discard(str(error)) from None
        raise GeneratorBug(f"{type(error).__name__}: {error}") from error
    except Exception as error:
        raise GeneratorBug(f"{type(error).__name__}: {error}") from error
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (complex, np.complexfloating)):
        raise Discard("complex result")
    if not isinstance(value, (float, int, np.floating, np.integer)):
        raise GeneratorBug(f"result is a {type(value).__name__}")
    if not math.isfinite(float(value)) or abs(float(value)) > 1e6:
        raise Discard(f"result {value!r}")
    return value


def check(program, timeout=60):
    """A ``Report`` on ``program``; raises Discard or GeneratorBug where the function itself
    cannot be run at the program's arguments, and Discard where its floats are too large for
    central differences to mean anything."""
    with _time_limit(timeout):
        namespace = namespace_from(program.text, f"fuzz {program.generator}")
        f = namespace["f"]
        constants = {name: copy.deepcopy(namespace[name]) for name in program.constants}
        args = copy.deepcopy(program.args)  # a derivative that changes them changes a copy
        before = copy.deepcopy(args)
        try:
            ran_with = copy.deepcopy(args)
            value = run_function(f, ran_with)
            value64 = run_function(f, to_float64(copy.deepcopy(args)))
        except _Timeout:
            raise Discard("the function does not finish in time") from None
        if not same_value(ran_with, args) or any(
                not same_value(namespace[n], constants[n]) for n in constants):
            raise GeneratorBug("the function changes its arguments or module-level arrays")
        report = Report(program)
        try:
            _check(report, f, namespace, args, before, value, value64)
        except _Timeout:
            if not any(failure.kind == "timeout" for failure in report.failures):
                report.fail("timeout", "checking the derivative took too long")
    for name, saved in constants.items():
        if not same_value(namespace[name], saved):
            report.fail("changes module constant", f"{name} is now {namespace[name]!r}")
    if report.failures and not report.refused:
        report.source = _source(f, program)
    return report


def _check(report, f, namespace, args, before, value, value64):
    program = report.program
    grads = _call(report, srcdiff.gradient(f, wrt=program.wrt), args)
    if grads is None:
        return
    grads = _as_tuple(report, grads)
    report.gradient = grads
    _unchanged(report, args, before, "gradient")
    _check_types(report, args, grads)
    _check_memory(report, args, grads, namespace)
    result = _call(report, srcdiff.value_and_grad(f, wrt=program.wrt), args)
    if result is not None:
        _unchanged(report, args, before, "value_and_grad")
        got_value, grads2 = result
        _check_value(report, value, got_value, args)
        if not _same_numbers(grads, _as_tuple(report, grads2)):
            report.fail("value_and_grad gradient differs",
                        f"gradient {literal(grads)}\nvalue_and_grad {literal(grads2)}")
    args64 = to_float64(args)
    if args64 is args:
        grads64 = grads
    else:
        grads64 = _call(report, srcdiff.gradient(f, wrt=program.wrt), args64)
        if grads64 is None:
            return
        grads64 = _as_tuple(report, grads64)
        _check_types(report, args64, grads64)
    tight = _compare_with_differences(report, f, args64, grads64, value64)
    check_forward(report, f, args64, grads64, value64)
    if any(failure.kind == "wrong gradient" for failure in report.failures):
        largest = largest_intermediate(f, args64)
        if largest >= WHOLE:
            raise Discard("intermediate values of 2**52 or more, where every float is whole: "
                          "central differences cannot see floor, trunc or round")
        if largest >= ILL_CONDITIONED:
            raise Discard("intermediate values of 1e12 or more: rounding them (a unit in the "
                          "last place is 1e-4) moves a derivative formula's terms by more "
                          "than the tolerance (x / logaddexp(x, x) at x = 3e12)")
        if _exact_off_the_tie(report.program, f, args64):
            _at_a_tie(report)
    if args64 is not args and _close(value, value64, 1e-3):
        # (Where float32 rounding takes another branch of a conditional expression, which
        # the line trace cannot see, the values differ and the gradients may rightly too.)
        _compare_float32(report, f, args, args64, grads, grads64, tight)
    _check_live_constants(report, f, namespace, args)


def _check_live_constants(report, f, namespace, args):
    """Module-level constants are read live: after rebinding one, the value and gradient are
    those of a program written with the new value from the start."""
    program = report.program
    name = next((n for n in ("C", "W") if n in program.constants), None)
    if name is None:
        return
    old = namespace[name]
    new = old + 0.5 if name == "C" else old * 2.0
    definition = f"{name} = {new!r}" if name == "C" else f"{name} = np.array({new.tolist()!r})"
    lines = [definition if line.startswith(f"{name} = ") else line
             for line in program.text.splitlines()]
    text = "\n".join(lines) + "\n"
    namespace[name] = new
    try:
        value = run_function(f, copy.deepcopy(args))
        fresh = namespace_from(text, f"fuzz {program.generator} rebound")["f"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = srcdiff.gradient(fresh, wrt=program.wrt)(*copy.deepcopy(args))
    except Exception:  # the function fails with the new value, or srcdiff refuses it
        namespace[name] = old
        return
    try:
        result = _call(report, srcdiff.value_and_grad(f, wrt=program.wrt), args)
    finally:
        namespace[name] = old
    if result is None:
        return
    got_value, grads = result
    if not _close(got_value, value, 1e-9) or not (
            _same_numbers(_as_tuple(report, grads), _as_tuple(report, expected))):
        report.fail("stale module constant", f"after {name} = {literal(new)}: value_and_grad "
                    f"gives {got_value!r}, {literal(grads)}; the function {value!r}, and a "
                    f"program written with the new value {literal(expected)}")


def _call(report, derivative, args):
    """The derivative's result, or None after recording a refusal or a crash."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return derivative(*args)
    except srcdiff.SrcdiffError as error:
        _refusal(report, error)
    except _Timeout:
        report.fail("timeout", "the derivative did not finish in time")
        raise
    except Exception as error:
        report.fail(f"crash: {type(error).__name__}", f"{type(error).__name__}: {error}")
    return None


def _refusal(report, error):
    message = error.message
    program = report.program
    if "internal error" in message:
        cause = message.split(": ", 2)[-1].split(":")[0]
        report.fail(f"internal error: {cause}", str(error))
        return
    if any(fragment in message for fragment in program.may_refuse):
        report.refused = message
        problems = located_problems(error)
        if problems:
            report.fail("badly located refusal", f"{problems}\n{error}")
        return
    report.fail("unexpected refusal", str(error))


def located_problems(error):
    """What is missing from a refusal that should point at the user's source."""
    problems = []
    if not error.filename or error.lineno is None or error.col_offset is None:
        problems.append("no file:line:col")
    text = str(error)
    problems += [f"internal repr {r!r} in message" for r in INTERNAL_REPRS if r in text]
    return "; ".join(problems)


def _as_tuple(report, grads):
    if isinstance(report.program.wrt, (tuple, list)):
        if not isinstance(grads, tuple) or len(grads) != len(report.program.wrt_names):
            report.fail("wrong type", f"expected a tuple of {len(report.program.wrt_names)} "
                        f"gradients, got {literal(grads)}")
            return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        return grads
    return (grads,)


def _unchanged(report, args, before, call):
    for name, now, was in zip(report.program.params, args, before):
        if not same_value(now, was):
            report.fail("changes argument", f"{call} changed {name}: was {literal(was)}, "
                        f"now {literal(now)}")


def _check_types(report, args, grads):
    for name, grad in zip(report.program.wrt_names, grads):
        arg = args[report.program.params.index(name)]
        problem = type_problem(arg, grad)
        if problem:
            report.fail("wrong type", f"gradient of {name}: {problem}")


def type_problem(arg, grad, where=""):
    """How ``grad`` fails to have ``arg``'s type, shape and dtype, or ''."""
    at = f" at {where}" if where else ""
    if isinstance(arg, np.ndarray):
        expected = f"ndarray {arg.dtype}{list(arg.shape)}"
        if not isinstance(grad, np.ndarray):
            return f"expected {expected}{at}, got {type(grad).__name__} {literal(grad)}"
        if grad.shape != arg.shape or grad.dtype != arg.dtype:
            return f"expected {expected}{at}, got ndarray {grad.dtype}{list(grad.shape)}"
        return ""
    if isinstance(arg, float):
        if type(grad) is not float:
            return f"expected float{at}, got {type(grad).__name__} {literal(grad)}"
        return ""
    if isinstance(arg, (list, tuple)):
        if type(grad) is not type(arg) or len(grad) != len(arg):
            return (f"expected {type(arg).__name__} of {len(arg)}{at}, got "
                    f"{literal(grad)}")
        problems = [type_problem(a, g, f"{where}[{i}]") for i, (a, g) in enumerate(zip(arg, grad))]
        return "; ".join(p for p in problems if p)
    if isinstance(arg, dict):
        if not isinstance(grad, dict) or set(grad) != set(arg):
            return f"expected dict with keys {sorted(arg)}{at}, got {literal(grad)}"
        problems = [type_problem(arg[k], grad[k], f"{where}[{k!r}]") for k in arg]
        return "; ".join(p for p in problems if p)
    return ""


def _check_memory(report, args, grads, namespace):
    owners = [(name, leaf) for name, arg in zip(report.program.params, args)
              for _, leaf in leaves(arg)]
    owners += [(name, namespace[name]) for name in report.program.constants]
    for name, grad in zip(report.program.wrt_names, grads):
        for path, leaf in leaves(grad):
            for owner, other in owners:
                if isinstance(leaf, np.ndarray) and isinstance(other, np.ndarray) and (
                        np.shares_memory(leaf, other)):
                    report.fail("shares memory", f"gradient of {name}{path} shares memory "
                                f"with {owner}")


def _check_value(report, value, got, args):
    float32 = any(isinstance(leaf, np.ndarray) and leaf.dtype == np.float32
                  for _, leaf in leaves(args))
    tolerance = 1e-4 if float32 else 1e-9
    if not _close(got, value, tolerance):
        report.fail("wrong value", f"value_and_grad gives {got!r}, the function {value!r}")


def _close(got, value, tolerance):
    """Whether ``got`` is a scalar equal to ``value`` within ``tolerance`` (relative and
    absolute)."""
    if np.ndim(got) != 0 or np.iscomplexobj(got):
        return False
    return bool(np.isclose(float(got), float(value), rtol=tolerance, atol=tolerance))


def _same_numbers(a, b):
    pairs = list(zip([leaf for _, leaf in leaves(a)], [leaf for _, leaf in leaves(b)]))
    return len(pairs) == len(leaves(a)) == len(leaves(b)) and all(
        np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True) for x, y in pairs)


def _compare_with_differences(report, f, args64, grads64, value64):
    """The gradient against central differences, coordinate by coordinate; returns the
    coordinates where the function is smooth at both step sizes (for the float32 check)."""
    program = report.program
    base_path = traced_path(f, args64)
    tight = set()
    for name, grad in zip(program.wrt_names, grads64):
        index = program.params.index(name)
        expected = {}
        for path, leaf in leaves(args64[index]):
            got_leaf = _at(grad, path)
            slopes = np.full(np.shape(leaf), np.nan)
            for coordinate in np.ndindex(np.shape(leaf)):
                def moved(t, index=index, path=path, coordinate=coordinate):
                    return replaced(args64, index, path, coordinate, t)
                result = probe(f, moved, _scalar(leaf, coordinate), float(value64), base_path)
                slopes[coordinate] = result.slope
                got = _scalar(got_leaf, coordinate) if got_leaf is not None else math.nan
                _judge(report, name, path, coordinate, got, result)
                if result.tight:
                    tight.add((name, path, coordinate))
            expected[path] = slopes if isinstance(leaf, np.ndarray) else float(slopes)
        report.expected[name] = rebuild(args64[index], expected)
    return tight


def _exact_off_the_tie(program, f, args64):
    """Whether the derivative is exact at a point nudged off this one: then the arguments
    sit exactly where a primitive inside has a kink (``np.clip`` at a bound, values tied in
    a maximum) though the whole function is smooth there, and srcdiff's subgradient is not
    the function's derivative. No rule of a primitive alone can know that; it is reported
    apart from wrong gradients."""
    nudged_args = nudged(args64, np.random.default_rng(7))
    shadow = Report(program)
    try:
        value = run_function(f, copy.deepcopy(nudged_args))
        grads = srcdiff.gradient(f, wrt=program.wrt)(*copy.deepcopy(nudged_args))
    except Exception:
        return False
    _compare_with_differences(shadow, f, nudged_args, _as_tuple(shadow, grads), float(value))
    return shadow.compared > 0 and not shadow.failures


def _at_a_tie(report):
    for failure in report.failures:
        if failure.kind == "wrong gradient":
            failure.kind = TIE


TIE = "subgradient at a kink of a primitive"
ILL_CONDITIONED = 1e12


def _judge(report, name, path, coordinate, got, result: Probe):
    if not result.smooth:
        report.skipped += 1
        return
    report.compared += 1
    if not (math.isfinite(got) and abs(got - result.slope) <= result.tolerance):
        where = _where(name, path, coordinate)
        report.fail("wrong gradient", f"d f / d {where}: got {got!r}, central differences "
                    f"give {result.slope!r} (±{result.tolerance:.1e})")


def _compare_float32(report, f, args32, args64, grads32, grads64, tight):
    if traced_path(f, args32) != traced_path(f, args64):
        return
    scale = max([1.0] + [float(np.max(np.abs(leaf))) for _, leaf in leaves(grads64)
                         if np.size(leaf) and np.all(np.isfinite(leaf))])
    for name, g32, g64 in zip(report.program.wrt_names, grads32, grads64):
        for path, leaf64 in leaves(g64):
            leaf32 = _at(g32, path)
            if leaf32 is None:
                continue
            for coordinate in np.ndindex(np.shape(leaf64)):
                if (name, path, coordinate) not in tight:
                    continue
                a, b = _scalar(leaf32, coordinate), _scalar(leaf64, coordinate)
                if not (math.isfinite(a) and abs(a - b) <= 2e-3 * scale):
                    report.fail("wrong float32 gradient", f"d f / d "
                                f"{_where(name, path, coordinate)}: float32 gives {a!r}, "
                                f"float64 {b!r}")


def _where(name, path, coordinate):
    return name + "".join(f"[{step!r}]" for step in path) + (
        str(list(coordinate)) if coordinate else "")


def _at(tree, path):
    try:
        for step in path:
            tree = tree[step]
        return tree
    except (TypeError, IndexError, KeyError):
        return None


def _scalar(leaf, coordinate):
    try:
        value = np.asarray(leaf)[coordinate]
        return math.nan if np.iscomplexobj(value) else float(value)
    except (TypeError, ValueError, IndexError):
        return math.nan


def _source(f, program):
    try:
        return srcdiff.source(f, wrt=program.wrt, args=program.args)
    except Exception as error:
        return f"(srcdiff.source failed: {type(error).__name__}: {error})"


class _Timeout(Exception):
    pass


class _time_limit:
    """SIGALRM-based limit on the derivative's compile and run (main thread, POSIX only)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        import signal
        import threading
        self.active = hasattr(signal, "SIGALRM") and (
            threading.current_thread() is threading.main_thread())
        if self.active:
            def expire(signum, frame):
                raise _Timeout()
            self.previous = signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.active:
            import signal
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False

