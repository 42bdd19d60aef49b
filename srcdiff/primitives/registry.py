"""The derivative-rule registry: rules are data, looked up by the primitive they describe.

A rule names a primitive (``math.sin``, ``operator.mul``, ``numpy.matmul``), its signature,
and one vector-Jacobian template per parameter: a Python expression in ``g`` (the adjoint
flowing in), ``ans`` (the primitive's result) and the parameter names. The reverse stage
substitutes operands into the template, so the template's text becomes the emitted adjoint.

Modules in templates: ``math`` and ``np`` mean themselves; ``xp`` means ``math`` when every
operand is a Python scalar and ``np`` otherwise. Any other free name is a helper from
:mod:`srcdiff.runtime`.

Kinds say how the result's abstract value is found and whether adjoints are summed back over
broadcast axes: ``elementwise`` (broadcasting; contributions of the result's shape are reduced
to each operand's), ``scalar`` (Python scalars), ``reduce`` and ``general`` (the rule's
``shape`` hook gives the result; contributions already have their operand's shape),
``matmul``, and ``nondiff`` (no adjoint at all).

A rule may also carry ``forms``: named alternative templates that its ``selector`` picks by
constant arguments (``axis=None`` or an int, ``keepdims``), so that the emitted code is the
plain one for the case at hand. Form templates may hold ``{placeholders}`` that the selector
fills with text (a count such as ``a.shape[0]``) before they are parsed.

Complex operands follow JAX's convention: the adjoint of a complex value ``z = x + iy`` is
``z_bar = dL/dx - i dL/dy`` for the real result L. Under it, the adjoint of a holomorphic
function is ``g * f'(z)``, the real template unchanged. A rule says how it treats complex
operands with ``complex``: ``HOLOMORPHIC`` (its templates hold as they are; linear maps with
real coefficients, such as sums and reshapes, are holomorphic), a tuple of templates used
whenever an operand is complex (``abs``: ``g * np.conj(np.sign(x))``), or None: not verified
for complex operands, so a call with one is refused rather than risk a wrong gradient.
"""

from __future__ import annotations

import ast
import functools
import string
import sys
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import runtime

TEMPLATE_MODULES = ("math", "np", "xp")
ELEMENTWISE, SCALAR, REDUCE, MATMUL, NONDIFF, GENERAL = (
    "elementwise", "scalar", "reduce", "matmul", "nondiff", "general")
KINDS = (ELEMENTWISE, SCALAR, REDUCE, MATMUL, NONDIFF, GENERAL)
DOMAINS = ("real", "positive", "unit", "nonzero", "above1", "int", "invertible", "spd")
HOLOMORPHIC = "holomorphic"
PYTHON_FAMILIES = ("arith", "builtins", "math", "user")


class RuleError(ValueError):
    """A malformed rule declaration (a bug in a rule table or a user's defvjp call)."""


@dataclass(frozen=True)
class Template:
    """One adjoint expression as text. Its syntax tree is parsed the first time a derivative
    needs it: parsing every table's templates with gast when srcdiff is imported would cost
    more than the rest of the import. ``check()`` parses at once, for rules given at run time
    (``defvjp``); tests check every table's templates."""

    text: str
    allowed: frozenset = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text, allowed):
        template = cls(text, frozenset(allowed))
        template.check()
        return template

    @property
    def expr(self):
        return _expression(self.text, self.allowed)

    def check(self):
        """Raise RuleError where the text is not an expression or uses an unknown name."""
        self.expr  # noqa: B018 (parsed and checked, then cached)


@functools.cache
def _expression(text, allowed):
    try:
        expr = gast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise RuleError(f"template {text!r} is not a Python expression: {exc.msg}") from None
    for node in gast.walk(expr):
        if isinstance(node, gast.Name) and node.id not in allowed:
            if node.id in TEMPLATE_MODULES or hasattr(runtime, node.id):
                continue
            raise RuleError(f"template {text!r} uses unknown name {node.id!r}")
    return expr


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


def is_complex(aval):
    """Whether values of this abstract value are complex, or hold complex values (a list of
    complex arrays); a dtype that is not known is taken to be real."""
    if aval.kind == "py":
        return aval.dtype is complex
    if aval.kind in ("np", "array"):
        return aval.dtype is not None and np.dtype(aval.dtype).kind == "c"
    return any(is_complex(item) for item in aval.elements)


@dataclass
class Case:
    """Templates that apply when the operands have the given numbers of dimensions."""

    ndims: tuple
    templates: tuple


@dataclass
class Rule:
    fn: object
    name: str
    params: tuple
    defaults: dict
    templates: tuple
    kind: str = ELEMENTWISE
    cases: tuple = ()
    domain: dict = field(default_factory=dict)
    notes: str = ""
    symbol: str | None = None
    shape: object = None
    user: bool = False
    helpers: dict = field(default_factory=dict)
    selector: object = None
    forms: dict = field(default_factory=dict)
    positional: int | None = None
    positional_only: int = 0
    family: str = ""
    views: object = False
    complex: object = None
    shape_only: bool = False
    """The result depends on the operand's shape alone (``len``, ``np.shape``): a stale
    view may be read by it, and writes into the operand do not change it."""
    pointwise: bool = True
    """For an elementwise rule: each element of the adjoint depends on the same element of
    ``g`` alone, so a ``g`` that is one scalar broadcast over the result may be used as it
    is. Not so for ``np.cross``, which mixes the three components."""

    def returns_view(self, avals):
        """Whether the result may share memory with an operand, for operands of these kinds
        (``views`` is a bool, or a function of the operands' abstract values)."""
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
def _parse_form(texts, allowed, text):
    values = dict(text)
    return tuple(None if t is None else Template.parse(t.format(**values), allowed)
                 for t in texts)


@dataclass(frozen=True)
class Signature:
    params: tuple
    defaults: dict
    positional: int
    positional_only: int


@functools.cache
def signature_of(signature):
    """Parameters, literal defaults, and how many may be passed by position (``*`` ends them)
    or only by position (``/`` ends those), as in a ``def``."""
    try:
        node = ast.parse(f"def _({signature}): pass").body[0]
    except SyntaxError:
        raise RuleError(f"bad rule signature {signature!r}") from None
    args = node.args
    if args.vararg or args.kwarg:
        raise RuleError(f"rule signature {signature!r}: *args and **kwargs are not supported")
    positional = list(args.posonlyargs) + list(args.args)
    params = tuple(a.arg for a in positional + list(args.kwonlyargs))
    pairs = list(zip([a.arg for a in positional[len(positional) - len(args.defaults):]],
                     args.defaults))
    pairs += [(a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    defaults = {}
    for param, default in pairs:
        try:
            defaults[param] = _literal(default)
        except ValueError:
            raise RuleError(f"rule signature {signature!r}: defaults must be literals") from None
    return Signature(params, defaults, len(positional), len(args.posonlyargs))


def _literal(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    raise ValueError(node)


class Registry:
    def __init__(self):
        self._by_fn = {}
        self._order = {}  # (function key, parameters) -> rule; one declared again moves last
        self.version = 0
        self.listeners = []

    def add(self, rule):
        self.version += 1
        for listener in self.listeners:
            listener()
        key = _key(rule.fn)
        overloads = self._by_fn.setdefault(key, [])
        overloads[:] = [r for r in overloads if r.params != rule.params]
        overloads.append(rule)
        self._order.pop((key, rule.params), None)
        self._order[key, rule.params] = rule
        return rule

    def lookup(self, fn):
        try:
            return self._by_fn.get(_key(fn), [])
        except TypeError:
            return []

    def __contains__(self, fn):
        return bool(self.lookup(fn))

    def __iter__(self):
        return iter(list(self._order.values()))

    def __len__(self):
        return len(self._order)


def _key(fn):
    return ("id", id(fn)) if not _hashable(fn) else fn


def _hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True


REGISTRY = Registry()


def declare(fn, signature, *templates, kind=ELEMENTWISE, name=None, cases=None, domain=None,
            notes="", symbol=None, shape=None, user=False, helpers=None, selector=None,
            forms=None, views=False, complex=None, pointwise=True, shape_only=False):
    """Declare a primitive's reverse rule; one template (or None) per parameter.

    ``signature`` is written as in a ``def``: literal defaults, ``/`` and ``*`` allowed.
    ``helpers`` maps extra template names to objects (a user's VJP function, say); generated
    code calls them by that name. ``shape(avals, bound)`` gives the result's abstract value
    where the kind's own rule does not (``general`` rules must have one); ``selector`` picks
    templates (see ``Rule.select``), among ``forms`` (label -> one template per parameter).
    ``views`` says the result may share memory with the first operand (NumPy returns a view),
    so that writing into one would change the other: True, or a function of the operands'
    abstract values where that depends on their kinds (``np.diag`` of a vector is new).
    ``pointwise=False`` marks an elementwise rule whose adjoint mixes elements of ``g``
    (``np.cross``). ``shape_only=True`` marks a result that depends on the first operand's
    shape alone (``len``, ``np.shape``). ``complex`` is ``HOLOMORPHIC``, one template per
    parameter for complex operands, or None (complex operands are refused).
    """
    label = _display(fn, name)
    if kind not in KINDS:
        raise RuleError(f"unknown rule kind {kind!r}")
    if kind == GENERAL and shape is None:
        raise RuleError(f"{label}: a general rule needs a shape hook")
    parsed_signature = signature_of(signature)
    params = parsed_signature.params
    helpers = dict(helpers or {})
    allowed = set(params) | {"g", "ans"} | set(helpers)
    if kind == NONDIFF:
        templates = (None,) * len(params)
    if len(templates) != len(params):
        raise RuleError(f"{label}: {len(params)} parameters but {len(templates)} templates")
    parsed = parse_templates(templates, allowed, check=user)
    parsed_cases = tuple(Case(tuple(ndims), parse_templates(ts, allowed, check=user))
                         for ndims, ts in (cases or {}).items())
    forms = {key: tuple(ts) for key, ts in (forms or {}).items()}
    for key, texts in forms.items():
        if len(texts) != len(params):
            raise RuleError(f"{label}: form {key!r} has {len(texts)} templates")
        if user:
            check_form(texts, allowed)
    if complex is not None and complex != HOLOMORPHIC:
        if len(complex) != len(params):
            raise RuleError(f"{label}: {len(complex)} complex templates")
        complex = parse_templates(complex, allowed, check=user)
    for param in (domain or {}):
        if param not in params or domain[param] not in DOMAINS:
            raise RuleError(f"{label}: bad domain {param}={domain[param]!r}")
    rule = Rule(fn=fn, name=label, params=params, defaults=dict(parsed_signature.defaults),
                templates=parsed, kind=kind, cases=parsed_cases, domain=dict(domain or {}),
                notes=notes, symbol=symbol, shape=shape, user=user, helpers=helpers,
                selector=selector, forms=forms, positional=parsed_signature.positional,
                positional_only=parsed_signature.positional_only,
                family="user" if user else _family(), views=views, complex=complex,
                pointwise=pointwise, shape_only=shape_only)
    return REGISTRY.add(rule)


def _family():
    """The rule table (module of this package) that is declaring a rule."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(__package__ + ".") and module.rsplit(".", 1)[1] not in (
                "registry", "results"):
            return module.rsplit(".", 1)[1]
        frame = frame.f_back
    return ""


def check_form(texts, allowed):
    """Raise RuleError where a form's template, its placeholders filled, is malformed."""
    for text in texts:
        if text is None:
            continue
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        Template.parse(text.format(**{f: "1" for f in fields}), allowed)


def parse_templates(templates, allowed, check=True):
    """Templates from their text, checked now or (``check=False``) parsed when first used; a
    Refusal stays as it is (a parameter that would need an adjoint only in a calling
    convention the rule does not support)."""
    allowed = frozenset(allowed)
    made = tuple(t if t is None or isinstance(t, Refusal) else Template(t, allowed)
                 for t in templates)
    if check:
        for template in made:
            if isinstance(template, Template):
                template.check()
    return made


def _display(fn, name):
    if name:
        return name
    module = getattr(fn, "__module__", None) or ""
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    return f"{module}.{qualname}" if module else qualname
