"""The derivative-rule registry: rules are data, looked up by the primitive they describe.

A rule names a primitive (``math.sin``, ``operator.mul``, ``numpy.matmul``), its signature,
and one vector-Jacobian template per parameter: a Python expression in ``g`` (the adjoint
flowing in), ``ans`` (the primitive's result) and the parameter names. The reverse stage
substitutes operands into the template, so the template's text becomes the emitted adjoint.

Modules in templates: ``math`` and ``np`` mean themselves; ``xp`` means ``math`` when every
operand is a Python scalar and ``np`` otherwise. Any other free name is a helper from
:mod:`srcdiff.runtime`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from .. import runtime

TEMPLATE_MODULES = ("math", "np", "xp")
ELEMENTWISE, SCALAR, REDUCE, MATMUL, NONDIFF = (
    "elementwise", "scalar", "reduce", "matmul", "nondiff")
KINDS = (ELEMENTWISE, SCALAR, REDUCE, MATMUL, NONDIFF)
DOMAINS = ("real", "positive", "unit", "nonzero", "above1", "int")


class RuleError(ValueError):
    """A malformed rule declaration (a bug in a rule table or a user's defvjp call)."""


@dataclass(frozen=True)
class Template:
    text: str
    expr: object = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text, allowed):
        try:
            expr = gast.parse(text, mode="eval").body
        except SyntaxError as exc:
            raise RuleError(f"template {text!r} is not a Python expression: {exc.msg}") from None
        for node in gast.walk(expr):
            if isinstance(node, gast.Name) and node.id not in allowed:
                if node.id in TEMPLATE_MODULES or hasattr(runtime, node.id):
                    continue
                raise RuleError(f"template {text!r} uses unknown name {node.id!r}")
        return cls(text, expr)


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

    @property
    def differentiable(self):
        return tuple(p for p, t in zip(self.params, self.templates) if t is not None)

    def templates_for(self, ndims):
        for case in self.cases:
            if case.ndims == ndims:
                return case.templates
        return self.templates

    def select(self, avals, bound):
        """The templates for operands with these abstract values (``avals`` by parameter;
        ``bound`` holds the operands, so constant arguments such as ``axis`` can decide).
        A rule's ``selector(rule, avals, bound)`` may choose; by default, ``cases`` are
        matched on the operands' numbers of dimensions."""
        if self.selector is not None:
            return self.selector(self, avals, bound)
        return self.templates_for(tuple(avals[p].ndim for p in self.params))

    def bind(self, nargs, keywords):
        """Map a call's positional count and keyword names onto parameters, or None."""
        if nargs > len(self.params):
            return None
        names = list(self.params[:nargs])
        for key in keywords:
            if key not in self.params or key in names:
                return None
            names.append(key)
        missing = [p for p in self.params if p not in names and p not in self.defaults]
        return None if missing else names


def parse_signature(signature):
    """``"x, base=10.0"`` -> (("x", "base"), {"base": 10.0})."""
    try:
        node = gast.parse(f"def _({signature}): pass").body[0]
    except SyntaxError:
        raise RuleError(f"bad rule signature {signature!r}") from None
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise RuleError(f"rule signature {signature!r}: only plain parameters are supported")
    params = tuple(a.id for a in args.args)
    defaults = {}
    for param, default in zip(params[len(params) - len(args.defaults):], args.defaults):
        if not isinstance(default, gast.Constant):
            raise RuleError(f"rule signature {signature!r}: defaults must be literals")
        defaults[param] = default.value
    return params, defaults


class Registry:
    def __init__(self):
        self._by_fn = {}
        self._order = []

    def add(self, rule):
        overloads = self._by_fn.setdefault(_key(rule.fn), [])
        overloads[:] = [r for r in overloads if r.params != rule.params]
        overloads.append(rule)
        self._order = [r for r in self._order if not (r.fn is rule.fn and r.params == rule.params)]
        self._order.append(rule)
        return rule

    def lookup(self, fn):
        try:
            return self._by_fn.get(_key(fn), [])
        except TypeError:
            return []

    def __contains__(self, fn):
        return bool(self.lookup(fn))

    def __iter__(self):
        return iter(list(self._order))

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
            notes="", symbol=None, shape=None, user=False, helpers=None, selector=None):
    """Declare a primitive's reverse rule; one template (or None) per parameter.

    ``helpers`` maps extra template names to objects (a user's VJP function, say); generated
    code calls them by that name. ``shape(avals, bound)`` gives the result's abstract value
    where the kind's own rule does not; ``selector`` picks templates (see ``Rule.select``).
    """
    if kind not in KINDS:
        raise RuleError(f"unknown rule kind {kind!r}")
    params, defaults = parse_signature(signature)
    helpers = dict(helpers or {})
    allowed = set(params) | {"g", "ans"} | set(helpers)
    if kind == NONDIFF:
        templates = (None,) * len(params)
    if len(templates) != len(params):
        raise RuleError(f"{_display(fn, name)}: {len(params)} parameters but "
                        f"{len(templates)} templates")
    parsed = parse_templates(templates, allowed)
    parsed_cases = tuple(
        Case(tuple(ndims), parse_templates(ts, allowed)) for ndims, ts in (cases or {}).items())
    for param in (domain or {}):
        if param not in params or domain[param] not in DOMAINS:
            raise RuleError(f"{_display(fn, name)}: bad domain {param}={domain[param]!r}")
    rule = Rule(fn=fn, name=_display(fn, name), params=params, defaults=defaults,
                templates=parsed, kind=kind, cases=parsed_cases, domain=dict(domain or {}),
                notes=notes, symbol=symbol, shape=shape, user=user, helpers=helpers,
                selector=selector)
    return REGISTRY.add(rule)


def parse_templates(templates, allowed):
    return tuple(None if t is None else Template.parse(t, allowed) for t in templates)


def _display(fn, name):
    if name:
        return name
    module = getattr(fn, "__module__", None) or ""
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    return f"{module}.{qualname}" if module else qualname
