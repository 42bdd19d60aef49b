"""The primitive protocol: everything srcdiff knows about one primitive operation.

A primitive (a :class:`Rule`) declares
- its spelling and signature (``name``, ``symbol``, ``params``, ``defaults``);
- its abstract evaluation, :meth:`Rule.abstract_eval` (the result's kind, dtype and shape);
- its vector-Jacobian product: one template per parameter, or, for the structural
  primitives (indexing, stores, packing, append, calls of the user's functions), the
  reverse sweep's method that transposes it (:meth:`Rule.reverse_statement`,
  :meth:`Rule.adjoint`);
- a JVP slot (``jvp``), one template per parameter, that forward mode fills;
- what its VJP reads (:meth:`Rule.vjp_reads`), so that the tape keeps exactly that;
- its effects: the parameter it changes in place (``writes``), whether its result may share
  memory with an operand (:meth:`Rule.result_memory`, ``views``), whether equal operands give
  equal results (``pure``).

The analyses and transforms ask these questions of the primitive; none of them branches on
what kind of primitive it is. Template primitives come in families (``kind``) that decide
how their result's shape is found and whether their adjoints are summed back over broadcast
axes; the structural primitives are subclasses of :class:`Rule` in their own modules.
"""

from __future__ import annotations

import functools
import re

import gast
import numpy as np

from .. import runtime
from ..ir import avals, trees
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, OTHER, PY, UNKNOWN, AVal
from ..ir.records import Record
from ..ir.trees import parse_expression
from .sampling import evaluated_on_samples

TEMPLATE_MODULES = ("math", "np", "xp")
ELEMENTWISE, SCALAR, REDUCE, MATMUL, NONDIFF, GENERAL = (
    "elementwise", "scalar", "reduce", "matmul", "nondiff", "general")
KINDS = (ELEMENTWISE, SCALAR, REDUCE, MATMUL, NONDIFF, GENERAL)
DOMAINS = ("real", "positive", "unit", "nonzero", "above1", "int", "invertible", "spd")
HOLOMORPHIC = "holomorphic"
PYTHON_FAMILIES = ("arith", "builtins", "math", "user")


UNBROADCAST = ("unbroadcast",)
TRANSPOSED = "transposed"
"""The JVP slot of a pointwise primitive: its Jacobian is diagonal, so the tangent part of
each parameter is the VJP template chosen for the call, with the tangent in place of ``g``."""
_G = re.compile(r"\bg\b")


class RuleError(ValueError):
    """A malformed rule declaration (a bug in a rule table or a user's defvjp call)."""



class Template(Record):
    """One adjoint expression as text. Its syntax tree is parsed the first time a derivative
    needs it: parsing every table's templates with gast when srcdiff is imported would cost
    more than the rest of the import. ``check()`` parses at once, for rules given at run time
    (``defvjp``); tests check every table's templates."""

    fields = ("text", "allowed")
    hidden = ("allowed",)
    compared = ("text",)
    hashable = True

    def __init__(self, text, allowed):
        self.text = text
        self.allowed = allowed

    @classmethod
    def parse(cls, text, allowed):
        template = cls(text, frozenset(allowed))
        template.check()
        return template

    @property
    def expr(self):
        return _expression(self.text)

    @property
    def names(self):
        """The names the template reads."""
        return _names(self.text)

    applied = False
    """A linear primitive's tangent: the call itself, with its operand's tangent in the
    operand's place (see :class:`Applied`)."""

    def check(self):
        """Raise RuleError where the text is not an expression or uses an unknown name. A
        table's templates are not checked as a derivative first uses them: the tests check
        every one."""
        for name in sorted(self.names - self.allowed):
            if name not in TEMPLATE_MODULES and not hasattr(runtime, name):
                raise RuleError(f"template {self.text!r} uses unknown name {name!r}")


class AppliedText(str):
    """The text of a linear primitive's tangent, spelled as a table would write the call
    (``np.sum(x_dot, axis, keepdims=keepdims)``)."""


class Applied(Template):
    """The tangent of a primitive linear in one operand: the call with the operand's
    tangent in its place. Forward mode prints the call as the user spelled it
    (``np.sum(t2_dot)``, ``x_dot.T``); the text, which spells every parameter, is what the
    tests evaluate."""

    applied = True


@functools.cache
def _expression(text):
    try:
        return parse_expression(text)
    except SyntaxError as exc:
        raise RuleError(f"template {text!r} is not a Python expression: {exc.msg}") from None


@functools.cache
def _names(text):
    return frozenset(n.id for n in trees.names(_expression(text)))


class Refusal:
    """Stands where a template would when a rule cannot differentiate a call exactly (a
    complex operand of a rule not verified for them, a calling convention it does not
    support). The reverse stage raises it as a located error, and only if the operand in
    question needs an adjoint; everything else reads it as a template that reads nothing."""

    def __init__(self, message, hint=None):
        self.message = message
        self.hint = hint
        self.text = f"refused: {message}"
        self.expr = gast.Constant(value=None, kind=None)
        self.names = frozenset()


def _may_hold_arrays(aval):
    """Whether a value of this kind may be, or hold, an array that a view could see: a tuple
    of integers (``np.reshape(u, a.shape)``) cannot, so a view does not share its memory."""
    if aval.kind in (PY, NP):
        return False
    if aval.kind == OTHER and (aval.items is not None or aval.element is not None):
        return any(_may_hold_arrays(element) for element in aval.elements)
    return True


def is_complex(aval):
    """Whether values of this abstract value are complex, or hold complex values (a list of
    complex arrays); a dtype that is not known is taken to be real."""
    if aval.kind == "py":
        return aval.dtype is complex
    if aval.kind in ("np", "array"):
        return aval.dtype is not None and np.dtype(aval.dtype).kind == "c"
    return any(is_complex(item) for item in aval.elements)


class Case(Record):
    """Templates that apply when the operands have the given numbers of dimensions."""

    fields = compared = ("ndims", "templates")

    def __init__(self, ndims, templates):
        self.ndims = ndims
        self.templates = templates


class Rule(Record):
    """A primitive (see the module docstring), as a rule table declares it.

    ``shape_only``: the result depends on the operand's shape alone (``len``, ``np.shape``):
    a stale view may be read by it, and writes into the operand do not change it.
    ``pointwise``: for an elementwise rule, each element of the adjoint depends on the same
    element of ``g`` alone, so a ``g`` that is one scalar broadcast over the result may be
    used as it is (not so for ``np.cross``, which mixes the three components). ``jvp``: the
    JVP slot, read through :meth:`tangents`: one tangent template per parameter (in
    ``x_dot`` for the parameter ``x``), TRANSPOSED for a pointwise primitive, or None where
    none is declared yet. ``spread``: for a reduction over everything (``np.sum``,
    ``np.mean``), its adjoint is ``g`` spread evenly over the operand, which the reverse
    sweep keeps as one lazy scalar. A primitive is equal only to itself."""

    fields = ("fn", "name", "params", "defaults", "templates", "kind", "cases", "domain",
              "notes", "symbol", "shape", "user", "helpers", "selector", "forms",
              "positional", "positional_only", "family", "views", "complex", "shape_only",
              "pointwise", "jvp", "spread")
    hidden = ("notes", "helpers", "selector", "forms", "cases", "shape")

    def __init__(self, fn, name, params, defaults, templates, kind=ELEMENTWISE, cases=(),
                 domain=None, notes="", symbol=None, shape=None, user=False, helpers=None,
                 selector=None, forms=None, positional=None, positional_only=0, family="",
                 views=False, complex=None, shape_only=False, pointwise=True, jvp=None,
                 spread=None):
        self.fn = fn
        self.name = name
        self.params = params
        self.defaults = defaults
        self.templates = templates
        self.kind = kind
        self.cases = cases
        self.domain = {} if domain is None else domain
        self.notes = notes
        self.symbol = symbol
        self.shape = shape
        self.user = user
        self.helpers = {} if helpers is None else helpers
        self.selector = selector
        self.forms = {} if forms is None else forms
        self.positional = positional
        self.positional_only = positional_only
        self.family = family
        self.views = views
        self.complex = complex
        self.shape_only = shape_only
        self.pointwise = pointwise
        self.jvp = jvp
        self.spread = spread

    # Effects, declared by the structural primitives (class attributes, not fields).
    writes = None
    """The parameter the primitive changes in place (a store's array, the list appended
    to); its result is then that same object."""
    writes_part = False
    """It changes the indexed part of ``writes`` alone (a store): restoring it restores
    that part."""
    grows_list = False
    """It changes the length of the list ``writes`` (append, pop), not the arrays the list
    holds."""
    undo_reads = ()
    """The operands that undoing its change reads besides ``writes`` (the item a pop put
    back)."""
    reads_part = False
    """Its result is a part of its first operand, picked by the other operands (indexing)."""
    statement_only = False
    """It is run for its effect alone (``lst.append(v)``, ``print(x)``): its statement is
    an expression statement, whose value is never named."""
    packs = False
    """Its result is a container of its operands, in order (or under ``keys``)."""
    keys = None
    callee = None
    """The user's function it calls, whose own derivative it needs."""
    pure = True
    """Equal operands give equal results, so that two such calls may be merged."""
    adjoint_text = ""
    """For a structural primitive, what its adjoint does, as the generated code says it
    (the rule table prints it; a template primitive's templates say it themselves)."""

    @property
    def identity(self):
        """What makes two calls the same primitive for merging equal expressions."""
        return id(self)

    @property
    def broadcasts(self):
        """Whether operands broadcast to the result, so that an adjoint contribution of the
        result's shape is summed back to its operand's."""
        return self.kind == ELEMENTWISE

    @property
    def adjoint_is_pointwise(self):
        """Whether a ``g`` that is one scalar broadcast over the result may be used as it
        is (each adjoint element reads the same element of ``g`` alone)."""
        return self.broadcasts and self.pointwise

    @property
    def has_vjp(self):
        return any(t is not None for t in self.templates)

    @property
    def folds_integers(self):
        """Whether applying the primitive to known integers gives its known result (``n - 1``
        for a known size ``n``)."""
        return self.kind in (SCALAR, ELEMENTWISE, NONDIFF) and callable(self.fn)

    def cheap(self, operand_avals):
        """Whether recomputing the result costs no more than storing it would."""
        return self.kind == SCALAR or (self.kind == ELEMENTWISE and all(
            a.is_scalar for a in operand_avals))

    def abstract_eval(self, call, args, site):
        """The result's abstract value for operands with the abstract values ``args`` (by
        parameter). ``site`` gives ``located`` and ``node`` for errors, and
        ``callee_result(callee, args)``. Raises NotApplicable where the primitive rejects
        its operands, ShapeMismatch where their shapes do not fit together."""
        bound = call.bound()
        if self.shape is not None:
            try:
                return self.shape(args, _with_known_values(bound, args))
            except (TypeError, ValueError, IndexError) as exc:
                raise NotApplicable(exc) from None
        if any(a.kind == UNKNOWN for a in args.values()):
            return AVal(PY, float) if self.kind == SCALAR else avals.UNKNOWN_AVAL
        try:
            value = evaluated_on_samples(self, bound, args)
        except Exception as exc:  # the primitive rejected its operands' kinds
            if any(a.kind == ARRAY and a.ndim is None for a in args.values()):
                return AVal(ARRAY, None, None)  # a sample of unknown rank proves nothing
            raise NotApplicable(exc) from None
        shape = _shape(self, args)
        if shape is _FAILED:
            raise ShapeMismatch()
        return avals.from_result(value, shape)

    def result_memory(self, call, sharing):
        """The roots of the memory the result may see (see :mod:`srcdiff.analysis.memory`):
        its own, and its operands' where it may be a view of one (of those ``views`` names,
        where it names them)."""
        bound = call.bound()
        if not self.returns_view({p: sharing.aval(op) for p, op in bound.items()}):
            return sharing.own
        if isinstance(self.views, tuple):
            return sharing.own.union(*(sharing.of(bound[p]) for p in self.views if p in bound))
        return sharing.own.union(*(sharing.of(a) for a in call.args
                                   if _may_hold_arrays(sharing.aval(a))))

    def vjp_reads(self, call, args, result, active, site):
        """The parameters (and ``ans``, the result) whose values the adjoints of the
        ``active`` parameters read, for operands of abstract values ``args``."""
        if not self.has_vjp:
            return set()
        templates = self.select(args, call.bound())
        reads = set()
        for p, template in zip(self.params, templates):
            if template is None or p not in active:
                continue
            names = template.names
            reads |= names & (set(self.params) | {"ans"})
            if self.broadcasts and reduction(args[p], result) == UNBROADCAST:
                reads.add(p)
        return reads

    complex_jvp = None
    """The tangent templates for complex operands of a pointwise primitive that is not
    holomorphic (``abs(z)``: ``np.real(np.conj(np.sign(z)) * z_dot)``)."""

    jvp_selector = None
    """``selector(rule, avals, bound)`` picks the tangent templates of a call where they
    depend on the operands (a user's JVP spread over a broadcast result), or on constant
    arguments (a reduction's ``axis``), among ``jvp_forms`` (label -> templates' text)."""
    jvp_forms = {}

    def tangents(self, avals, bound):
        """One tangent template per parameter for operands with these abstract values (None
        for a parameter no tangent flows from), or None where the primitive has no JVP."""
        complex_operands = any(is_complex(aval) for aval in avals.values())
        if self.jvp != TRANSPOSED:
            if self.jvp is not None and complex_operands and self.complex is None:
                refusal = Refusal(f"{self.name} is not supported for complex operands",
                                  "take np.real/np.imag first")
                return tuple(None if t is None else refusal for t in self.jvp)
            if self.jvp is not None and self.jvp_selector is not None:
                return self.jvp_selector(self, avals, bound)
            return self.jvp
        if complex_operands and self.complex_jvp is not None:
            return self.complex_jvp
        if complex_operands and self.complex != HOLOMORPHIC:
            return self.refuse(f"the tangent of {self.name} is not supported for complex "
                               "operands", "take np.real/np.imag first")
        allowed = frozenset(self.allowed())
        return tuple(t if t is None or isinstance(t, Refusal) else _tangent(t.text, p, allowed)
                     for p, t in zip(self.params, self.select(avals, bound)))

    def reverse_statement(self, sweep, stmt, state):
        """Walk the reverse sweep back over ``stmt``, a call of this primitive."""
        return sweep.reverse_call(stmt, state)

    def tangent_statement(self, sweep, stmt):
        """The forward transform's statements for ``stmt``, a call of this primitive: the
        call itself, and its result's tangent (see :mod:`srcdiff.transforms.tangents`)."""
        return sweep.tangent_call(stmt)

    def adjoint(self, sweep, stmt, g, state, lines):
        """The contributions of the result's adjoint ``g`` to the operands' adjoints."""
        return sweep.contributions(stmt, g)

    def expression(self, call, operand):
        """The expression that computes the call, where it is not an operator or a call of
        the primitive by its spelling (None then); ``operand(op)`` gives each operand."""
        return None

    @property
    def referenced(self):
        """The object a call of the primitive by its spelling refers to."""
        return self.fn

    def returns_view(self, avals):
        """Whether the result may share memory with an operand, for operands of these kinds
        (``views`` is a bool, a function of the operands' abstract values, or the names of
        the parameters whose operands the result may be a view of)."""
        return self.views(avals) if callable(self.views) else bool(self.views)

    @property
    def differentiable(self):
        return tuple(p for p, t in zip(self.params, self.templates)
                     if t is not None and not isinstance(t, Refusal))

    @property
    def numpy_semantics(self):
        """Whether the primitive computes as NumPy does, with inf and NaN where Python's
        arithmetic raises (np.log(0.0) is -inf, math.log(0.0) an error): its adjoint must
        then compute so too, even on Python floats."""
        return self.family not in PYTHON_FAMILIES

    def templates_for(self, ndims):
        for case in self.cases:
            if case.ndims == ndims:
                return case.templates
        return self.templates

    def select(self, avals, bound):
        """The templates for operands with these abstract values (``avals`` by parameter;
        ``bound`` holds the operands, so constant arguments such as ``axis`` can decide).
        A rule's ``selector(rule, avals, bound)`` may choose; by default, ``cases`` are
        matched on the operands' numbers of dimensions. With a complex operand, the rule's
        ``complex`` setting decides (see the module docstring)."""
        if any(is_complex(aval) for aval in avals.values()):
            if self.complex is None:
                return self.refuse(f"{self.name} is not supported for complex operands",
                                   "differentiate with respect to real and imaginary parts "
                                   "separately, or take np.real/np.imag first")
            if self.complex != HOLOMORPHIC:
                return self.complex
        if self.selector is not None:
            return self.selector(self, avals, bound)
        return self.templates_for(tuple(avals[p].ndim for p in self.params))

    def refuse(self, message, hint=None):
        """Refusals in place of this rule's templates (None stays None: no adjoint)."""
        refusal = Refusal(message, hint)
        return tuple(None if t is None else refusal for t in self.templates)

    def form(self, label, **text):
        """The templates of the form ``label``, with its placeholders filled by ``text``."""
        return _parse_form(self.forms[label], frozenset(self.allowed()),
                           tuple(sorted(text.items())))

    def parse(self, text):
        """A template made by a selector at compile time (parsed once per text)."""
        return _parse_form((text,), frozenset(self.allowed()), ())[0]

    def allowed(self):
        return set(self.params) | {"g", "ans"} | set(self.helpers)

    def bind(self, nargs, keywords):
        """Map a call's positional count and keyword names onto parameters, or None."""
        positional = len(self.params) if self.positional is None else self.positional
        if nargs > positional:
            return None
        names = list(self.params[:nargs])
        for key in keywords:
            if key not in self.params or key in names or key in self.params[:self.positional_only]:
                return None
            names.append(key)
        missing = [p for p in self.params if p not in names and p not in self.defaults]
        return None if missing else names


@functools.cache
def _tangent(text, param, allowed):
    tangent = f"{param}_dot"
    return Template(_G.sub(tangent, text), allowed | {tangent})


@functools.cache
def _parse_form(texts, allowed, text):
    values = dict(text)
    return tuple(t if t is None or isinstance(t, Refusal) else
                 Template.parse(t.format(**values), allowed) for t in texts)




class Site(Record):
    """Where a primitive is applied, for its abstract evaluation's errors; calls of the
    user's functions ask ``callee_result(callee, args)`` for their result."""

    fields = ("located", "node", "callee_result")

    def __init__(self, located, node, callee_result=None):
        self.located = located
        self.node = node
        self.callee_result = callee_result


class NotApplicable(Exception):
    """The primitive rejects operands of these kinds; ``reason`` is what it said."""

    def __init__(self, reason=None):
        super().__init__(reason)
        self.reason = reason


class ShapeMismatch(Exception):
    """The operands' shapes do not fit together."""


class Spread(Record):
    """A reduction whose adjoint spreads ``g`` evenly: ``divides`` by the number of
    elements gathered (a mean) or not (a sum)."""

    fields = compared = ("divides",)
    hashable = True

    def __init__(self, divides=False):
        self.divides = divides


def reduction(operand, result):
    """How an elementwise contribution of the result's shape returns to its operand's:
    ``None`` (it has it), ``("sum", axis, keepdims)`` when the shapes say which axes were
    broadcast, or ``UNBROADCAST`` when only run time can tell."""
    if operand.kind in (PY, NP):
        return None if result.kind in (PY, NP) else ("sum", None, False)
    target, source = operand.known_shape, result.known_shape
    if target is not None and target == source:
        return None
    if target is not None and source is not None:
        lead = len(source) - len(target)
        kept = tuple(i for i, n in enumerate(target) if n == 1 and source[lead + i] != 1)
        if lead and not kept:
            return ("sum", tuple(range(lead)), False)
        if kept and not lead:
            return ("sum", kept, True)
    return UNBROADCAST


def _with_known_values(bound, args):
    """The operands, with those whose values the specialization knows (integers from
    shapes and literals, tuples of them) as constants, for the rules' shape hooks."""
    known = {}
    for param, operand in bound.items():
        value = _known_value(args[param])
        known[param] = (ir.Const(value, repr(value))
                        if value is not None and isinstance(operand, ir.Var) else operand)
    return known


def _known_value(aval):
    if aval.kind == OTHER and aval.pytype is tuple and aval.items is not None:
        values = tuple(_known_value(item) for item in aval.items)
        return None if None in values else values
    return avals.known_int(aval)


_FAILED = object()


def _shape(rule, args):
    shapes = [avals.shape_of(a) for a in args.values() if a.kind in (PY, NP, ARRAY)]
    if rule.kind in (ELEMENTWISE, NONDIFF):
        try:
            return avals.broadcast_shapes(*shapes)
        except ValueError:
            return _FAILED
    if rule.kind == SCALAR or rule.kind == REDUCE:
        return ()
    if rule.kind == MATMUL:
        return _matmul_shape(*[avals.shape_of(a) for a in args.values()])
    return None


def _matmul_shape(a, b):
    if a is None or b is None:
        return None
    if len(a) == 0 or len(b) == 0:
        return avals.broadcast_shapes(a, b)
    inner_a, inner_b = a[-1], (b[-2] if len(b) > 1 else b[0])
    if isinstance(inner_a, int) and isinstance(inner_b, int) and inner_a != inner_b:
        return _FAILED
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    return avals.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])
