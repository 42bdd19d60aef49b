"""Every rule in the registry, checked against central finite differences.

For each rule the test writes the source of a small module whose function calls the
primitive as a user would (``x + y``, ``math.sin(x)``, ``np.maximum(x, y)``, ``abs(x)``),
registers it with ``linecache`` so srcdiff can read it, and compares ``srcdiff.gradient`` with
each parameter against finite differences at seeded points of the rule's domain. The
primitive's result is weighted by a fixed ``W`` (``np.sum(W * op(...))`` for arrays) so that
every element of the adjoint, and the adjoint's scale, are checked.

A newly declared rule is picked up automatically; one that this file cannot exercise fails
``test_rule`` with the reason, unless it is listed in EXCLUDED.
"""

from __future__ import annotations

import itertools
import linecache
import math
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from finite_diff import DOMAINS, central_difference, sample

import srcdiff
from srcdiff.rules import REGISTRY, registry
from srcdiff.rules.registry import ELEMENTWISE, MATMUL, NONDIFF, REDUCE, SCALAR

# Rules this file deliberately does not exercise, by rule id, each with the reason.
EXCLUDED: dict[str, str] = {}

# Known failures, by case id, each tracking a bug in the compiler core.
KNOWN_BUGS: dict[str, str] = {}

SEEDS = (0, 1, 2)
MARGIN = 0.1
JUMP_PROBE = 0.02
F64_TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}
F32_TOLERANCE = {"rtol": 1e-3, "atol": 1e-5}

MATMUL_SHAPES = (((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((3,), (3,)))


def _alternating(shape):
    if shape is None:
        return True
    return (np.arange(math.prod(shape)) % 2 == 0).reshape(shape)


# Values for parameters that are neither differentiable nor typed by a domain, by rule name;
# each takes the broadcast shape of the varying arguments (None: all Python floats).
CONSTANTS = {("numpy.where", "condition"): _alternating}

# Distance to where a differentiable primitive jumps or blows up; points closer than MARGIN
# are redrawn.
KINKS = {
    "x % y": lambda x, y: np.abs(x / y - np.round(x / y)),
    "math.tan": lambda x: np.abs(np.cos(x)),
    "numpy.tan": lambda x: np.abs(np.cos(x)),
}


class Unexercisable(Exception):
    """The test does not know how to call this rule's primitive."""


@dataclass(frozen=True)
class Case:
    rule: object
    shapes: tuple = ()
    dtype: str = "float64"
    problem: str | None = None

    @property
    def id(self):
        if self.problem is not None:
            return f"{rule_id(self.rule)}-unexercisable"
        shapes = ",".join("float" if s is None else "x".join(map(str, s)) or "0d"
                          for s in self.shapes)
        suffix = "" if self.dtype == "float64" else f"-{self.dtype}"
        return f"{rule_id(self.rule)}-{shapes}{suffix}"


def rule_id(rule):
    return f"{rule.name}/{len(rule.params)}"


# Rules declared at run time by users (``user=True``) are not part of the library's tables.
RULES = [rule for rule in REGISTRY if not rule.user]


def varying(rule):
    """The parameters that become the generated function's parameters."""
    if rule.kind == NONDIFF:
        names = rule.params
    else:
        names = rule.differentiable
    return tuple(p for p in names if rule.domain.get(p) != "int")


def constants(rule):
    return tuple(p for p in rule.params if p not in varying(rule))


def call_text(rule, names):
    if rule.symbol is not None:
        if len(names) == 1:
            space = " " if rule.symbol.isalpha() else ""
            return f"{rule.symbol}{space}{names[0]}"
        if len(names) == 2:
            return f"{names[0]} {rule.symbol} {names[1]}"
        raise Unexercisable(f"operator {rule.symbol!r} with {len(names)} operands")
    return f"{function_text(rule)}({', '.join(names)})"


def function_text(rule):
    text = "np." + rule.name[len("numpy."):] if rule.name.startswith("numpy.") else rule.name
    try:
        found = eval(text, {"np": np, "math": math})
    except Exception as exc:
        raise Unexercisable(f"cannot spell the primitive as {text!r}: {exc}") from None
    if found is not rule.fn:
        raise Unexercisable(f"{text!r} is not the rule's function {rule.fn!r}")
    return text


def body_text(rule):
    """The primitive's call, plus the first argument times it for non-differentiable ones."""
    call = call_text(rule, rule.params)
    if rule.kind == NONDIFF:
        return f"{rule.params[0]} * ({call})"
    return call


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


def shapes_and_dtypes(rule):
    """(shapes, dtype) pairs: Python floats, float64 arrays, and float32 arrays except for
    non-differentiable rules."""
    arity = len(varying(rule))
    if arity == 0:
        raise Unexercisable("no parameter to differentiate with respect to")
    floats = [(None,) * arity]
    if rule.kind == SCALAR:
        arrays = []
    elif rule.kind == ELEMENTWISE:
        arrays = broadcast_shapes(arity)
    elif rule.kind == REDUCE:
        arrays = [((3,),) * arity, ((2, 3),) * arity]
    elif rule.kind == MATMUL:
        if arity != 2:
            raise Unexercisable(f"a matmul rule with {arity} differentiable parameters")
        floats, arrays = [], list(MATMUL_SHAPES)
    elif rule.kind == NONDIFF:
        arrays = broadcast_shapes(arity) if takes_arrays(rule) else []
    else:
        raise Unexercisable(f"unknown rule kind {rule.kind!r}")
    singles = arrays if rule.kind != NONDIFF else []
    return [(s, "float64") for s in floats + arrays] + [(s, "float32") for s in singles]


def cases_for(rule):
    try:
        missing = [p for p in constants(rule)
                   if rule.domain.get(p) != "int" and (rule.name, p) not in CONSTANTS]
        if missing:
            raise Unexercisable(f"no value for non-differentiable parameter(s) {missing}; "
                                "add them to CONSTANTS")
        body_text(rule)
        return [Case(rule, shapes, dtype) for shapes, dtype in shapes_and_dtypes(rule)]
    except Unexercisable as exc:
        return [Case(rule, problem=str(exc))]


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
        self.names = varying(rule)
        self.shape_of = dict(zip(self.names, case.shapes))
        self.constants = {p: self._constant(p, rng) for p in constants(rule)}
        body = body_text(rule)
        sample_args = {p: sample(rule.domain.get(p, "real"), self.shape_of[p], rng)
                       for p in self.names}
        shape = np.shape(eval(body, {"np": np, "math": math}, {**self.constants, **sample_args}))
        self.weights = self._weights(shape, rng)
        self.source = self._source(body, shape)
        self.fn = self._compile()

    def _constant(self, param, rng):
        if self.case.rule.domain.get(param) == "int":
            return sample("int", None, rng)
        return CONSTANTS[(self.case.rule.name, param)](_broadcast(self.case.shapes))

    def _weights(self, shape, rng):
        values = np.round(rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape), 2)
        return float(values) if shape == () else cast(values, self.case.dtype)

    def _source(self, body, shape):
        lines = ["import math", "", "import numpy as np", "", f"W = {_literal(self.weights)}"]
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


def _broadcast(shapes):
    arrays = [s for s in shapes if s is not None]
    return np.broadcast_shapes(*arrays) if arrays else None


def _literal(value):
    if isinstance(value, np.ndarray):
        dtype = "bool_" if value.dtype == bool else value.dtype.name
        items = value.tolist() if dtype == "bool_" else np.round(value.astype(float), 6).tolist()
        return f"np.array({items!r}, dtype=np.{dtype})"
    return repr(value)


def draw_point(generated, rng, tries=200):
    rule = generated.case.rule
    for _ in range(tries):
        args = {p: sample(rule.domain.get(p, "real"), generated.shape_of[p], rng)
                for p in generated.names}
        if smooth(rule, args, generated.constants):
            return tuple(args[p] for p in generated.names)
    pytest.fail(f"no point of {rule_id(rule)}'s domain away from its kinks in {tries} tries")


def smooth(rule, args, consts):
    """Whether the primitive is smooth (or locally constant, if non-differentiable) here."""
    near_zero = [v for p, v in args.items() if rule.domain.get(p, "real") == "real"]
    if any(np.min(np.abs(v)) < MARGIN for v in near_zero):
        return False
    if rule.kind != MATMUL:
        for a, b in itertools.combinations(args.values(), 2):
            if np.min(np.abs(np.subtract(a, b))) < MARGIN:
                return False
    ordered = [args[p] if p in args else consts[p] for p in rule.params]
    kink = KINKS.get(rule.name)
    if kink is not None and np.min(kink(*ordered)) < MARGIN:
        return False
    return rule.kind != NONDIFF or locally_constant(rule, ordered, list(args))


def locally_constant(rule, ordered, names):
    base = rule.fn(*ordered)
    for i, p in enumerate(rule.params):
        if p not in names:
            continue
        for delta in (-JUMP_PROBE, JUMP_PROBE):
            moved = ordered[:i] + [ordered[i] + delta] + ordered[i + 1:]
            if not np.array_equal(rule.fn(*moved), base):
                return False
    return True


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
            context = f"d/d{name} at {point!r}\n--- generated module ---\n{generated.source}"
            grad = grad_fn(*point)
            check_kind(grad, point[index], context)
            reference = tuple(cast(v, np.float64) for v in point)
            expected = central_difference(generated.fn, reference, index)
            np.testing.assert_allclose(np.asarray(grad, dtype=np.float64), expected,
                                       err_msg=context, **tolerance)


def test_every_rule_is_tested_or_excluded():
    ids = [rule_id(rule) for rule in RULES]
    assert len(set(ids)) == len(ids), "two rules share a test id (name/arity)"
    assert set(EXCLUDED) <= set(ids), f"stale exclusions: {set(EXCLUDED) - set(ids)}"
    tested = {rule_id(case.rule) for case in CASES if rule_id(case.rule) not in EXCLUDED}
    assert len(tested) == len(RULES) - len(EXCLUDED)


def test_every_domain_can_be_sampled():
    assert set(DOMAINS) == set(registry.DOMAINS)
