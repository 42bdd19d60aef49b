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

import _thread
import ast
import functools
import itertools
import keyword
import sys

from ..ir.records import Record
from .protocol import (  # noqa: F401  (the protocol's names, re-exported for the tables)
    DOMAINS,
    ELEMENTWISE,
    GENERAL,
    HOLOMORPHIC,
    KINDS,
    MATMUL,
    NONDIFF,
    REDUCE,
    SCALAR,
    TRANSPOSED,
    Applied,
    AppliedText,
    Case,
    Refusal,
    Rule,
    RuleError,
    Spread,
    Template,
    is_complex,
)


class Signature(Record):
    fields = ("params", "defaults", "positional", "positional_only")
    compared = ("params", "defaults", "positional", "positional_only")
    hashable = True

    def __init__(self, params, defaults, positional, positional_only):
        self.params = params
        self.defaults = defaults
        self.positional = positional
        self.positional_only = positional_only


@functools.cache
def signature_of(signature):
    """Parameters, literal defaults, and how many may be passed by position (``*`` ends them)
    or only by position (``/`` ends those), as in a ``def``. A plain list of names, the
    commonest (``a, b``), is read without the parser, which a rule's first use would start
    for it."""
    names = [name.strip() for name in signature.split(",")] if signature.strip() else []
    if len(set(names)) == len(names) and all(
            name.isidentifier() and not keyword.iskeyword(name) for name in names):
        return Signature(tuple(names), {}, len(names), 0)
    return _parsed_signature(signature)


def _parsed_signature(signature):
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
    """The primitives, looked up by the function they describe. The structural primitives
    (indexing, stores, displays, append, calls of user functions, effects) are made per
    call site, since their parameters depend on it (``x[i, j]`` has two index operands);
    ``structural`` holds a representative of each, by the form it stands for."""

    def __init__(self):
        self._by_fn = {}
        self._order = {}  # (function key, parameters) -> (sequence, rule); redeclared: last
        self._pending = {}  # function key -> [(sequence, build)], made on first lookup
        self._sequence = itertools.count()
        self._lock = _thread.RLock()  # not threading's: importing it costs 1 ms
        self._tables = []  # [(covers, load)]: tables imported when a primitive needs them
        self._deferred_tables = False  # whether any ever was (a miss then takes the lock)
        self.version = 0
        self.listeners = []
        self.structural = {}

    def add_structural(self, form, example):
        self.structural[form] = example
        return example

    def add(self, rule):
        """Add a rule now (a user's, at run time): derivatives made before may differ, so
        the caches are told."""
        self.version += 1
        for listener in self.listeners:
            listener()
        self._load_tables(rule.fn)  # a table loaded later must not replace the user's rule
        key = _key(rule.fn)
        self._settle(key)
        self._insert(key, rule, next(self._sequence))
        return rule

    def defer(self, fn, build):
        """Add the rule that ``build()`` makes when the primitive is first looked up: most of
        the tables' rules are never used in a process, and making them all would cost more
        than the rest of importing srcdiff. Declaration order is kept."""
        self._pending.setdefault(_key(fn), []).append((next(self._sequence), build))

    def load_when(self, covers, load):
        """Import tables later: ``load()`` declares the rules of every primitive for which
        ``covers(fn)`` is true, the first time one of them is looked up and has no rule yet.
        Their rules must be for primitives no other table declares (a test checks)."""
        self._tables.append((covers, load))
        self._deferred_tables = True

    def _load_tables(self, fn=None):
        """Load the tables that cover ``fn`` (all of them for None). Each leaves the list
        before it loads, so that a lookup its own import makes does not load it again."""
        with self._lock:
            for table in [t for t in self._tables if fn is None or t[0](fn)]:
                self._tables.remove(table)
                table[1]()

    def _settle(self, key):
        if key not in self._pending:
            return
        with self._lock:
            # The key stays pending until its rules are in, so that another thread looking
            # it up meanwhile waits here rather than finding no rule.
            for sequence, build in self._pending.get(key, ()):
                self._insert(key, build(), sequence)
            self._pending.pop(key, None)

    def _insert(self, key, rule, sequence):
        overloads = self._by_fn.setdefault(key, [])
        overloads[:] = [r for r in overloads if r.params != rule.params]
        overloads.append(rule)
        self._order.pop((key, rule.params), None)
        self._order[key, rule.params] = (sequence, rule)

    def lookup(self, fn):
        try:
            key = _key(fn)
            self._settle(key)
            found = self._by_fn.get(key)
            if found is None and self._deferred_tables:
                with self._lock:  # a table another thread is loading is in once held
                    self._load_tables(fn)
                    self._settle(key)
                    found = self._by_fn.get(key)
            return found or []
        except TypeError:
            return []

    def __contains__(self, fn):
        return bool(self.lookup(fn))

    def __iter__(self):
        self._load_tables()
        for key in list(self._pending):
            self._settle(key)
        return iter([rule for _, rule in sorted(self._order.values(), key=_first)])

    def __len__(self):
        self._load_tables()
        for key in list(self._pending):
            self._settle(key)
        return len(self._order)


def _first(entry):
    return entry[0]


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
            forms=None, views=False, complex=None, pointwise=True, shape_only=False,
            spread=None, jvp=None, complex_jvp=None, jvp_forms=None, jvp_selector=None):
    """Declare a primitive's reverse rule; one template (or None) per parameter.

    ``signature`` is written as in a ``def``: literal defaults, ``/`` and ``*`` allowed.
    ``helpers`` maps extra template names to objects (a user's VJP function, say); generated
    code calls them by that name. ``shape(avals, bound)`` gives the result's abstract value
    where the kind's own rule does not (``general`` rules must have one); ``selector`` picks
    templates (see ``Rule.select``), among ``forms`` (label -> one template per parameter).
    ``views`` says the result may share memory with an operand (NumPy returns a view), so
    that writing into one would change the other: True (any operand), a function of the
    operands' abstract values where that depends on their kinds (``np.diag`` of a vector is
    new), or a tuple of the parameters whose operands it may be a view of (``unbroadcast(v,
    x)`` may return ``v``, never ``x``), so that a write into another operand leaves it be.
    ``pointwise=False`` marks an elementwise rule whose adjoint mixes elements of ``g``
    (``np.cross``). ``shape_only=True`` marks a result that depends on the first operand's
    shape alone (``len``, ``np.shape``). ``complex`` is ``HOLOMORPHIC``, one template per
    parameter for complex operands, or None (complex operands are refused). ``spread``
    marks a reduction whose adjoint spreads ``g`` evenly over its operand (a sum, a mean);
    ``jvp`` gives one tangent template per parameter (forward mode), or TRANSPOSED for a
    pointwise primitive (see :mod:`srcdiff.primitives.families`), or a function of the
    parsed signature that gives either; ``complex_jvp``, one per parameter for complex
    operands of a pointwise primitive that is not holomorphic (``abs``, ``np.real``).
    ``jvp_selector(rule, avals, bound)`` picks tangent templates where they depend on the
    call, as ``selector`` picks adjoints: among ``jvp_forms`` (label -> one tangent template
    per parameter, with ``{placeholders}``) through :func:`tangent_form`, or made by
    :func:`tangents_of`; ``jvp`` is then what it falls back on.

    A user's rule (``user=True``) is checked and added at once; a table's is made when its
    primitive is first looked up (tests make every one).
    """
    arguments = dict(kind=kind, name=name, cases=cases, domain=domain, notes=notes,
                     symbol=symbol, shape=shape, user=user, helpers=helpers, selector=selector,
                     forms=forms, views=views, complex=complex, pointwise=pointwise,
                     shape_only=shape_only, spread=spread, jvp=jvp, complex_jvp=complex_jvp,
                     jvp_forms=jvp_forms, jvp_selector=jvp_selector)
    if user:
        return REGISTRY.add(_make(fn, signature, templates, family="user", **arguments))
    family = _family()
    REGISTRY.defer(fn, lambda: _make(fn, signature, templates, family=family, **arguments))
    return None


def _make(fn, signature, templates, *, kind, name, cases, domain, notes, symbol, shape, user,
          helpers, selector, forms, views, complex, pointwise, shape_only, spread, jvp,
          complex_jvp, jvp_forms, jvp_selector, family):
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
    if isinstance(views, tuple) and not (views and set(views) <= set(params)):
        raise RuleError(f"{label}: views names {views!r}, not among its parameters")
    rule = Rule(fn=fn, name=label, params=params, defaults=dict(parsed_signature.defaults),
                templates=parsed, kind=kind, cases=parsed_cases, domain=dict(domain or {}),
                notes=notes, symbol=symbol, shape=shape, user=user, helpers=helpers,
                selector=selector, forms=forms, positional=parsed_signature.positional,
                positional_only=parsed_signature.positional_only,
                family=family, views=views, complex=complex, pointwise=pointwise,
                shape_only=shape_only, spread=spread)
    if callable(jvp):
        jvp = jvp(parsed_signature)
    if jvp not in (None, TRANSPOSED):
        jvp = _jvp_templates(label, jvp, params, allowed, user)
    rule.jvp = jvp
    if complex_jvp is not None:
        rule.complex_jvp = _jvp_templates(label, complex_jvp, params, allowed, user)
    rule.jvp_forms = {key: tuple(texts) for key, texts in (jvp_forms or {}).items()}
    for key, texts in rule.jvp_forms.items():
        if len(texts) != len(params):
            raise RuleError(f"{label}: tangent form {key!r} has {len(texts)} templates")
    if jvp_selector is not None:
        if jvp is None:
            raise RuleError(f"{label}: a tangent selector needs the default tangents (jvp)")
        rule.jvp_selector = jvp_selector
    return rule


def _jvp_templates(label, texts, params, allowed, check):
    if len(texts) != len(params):
        raise RuleError(f"{label}: {len(params)} parameters but {len(texts)} tangent templates")
    tangents = {f"{p}_dot" for p in params}
    return parse_templates(texts, set(allowed) | tangents, check=check)


def tangent_form(rule, label, **text):
    """The tangent templates of the rule's JVP form ``label``, its placeholders filled by
    ``text`` (a selector's choice, as :meth:`Rule.form` is for adjoints)."""
    return tangents_of(rule, rule.jvp_forms[label], **text)


def tangents_of(rule, texts, **text):
    """Tangent templates from their text (one per parameter, None for none; an AppliedText
    stays a call of the primitive), made by a selector at compile time and parsed once."""
    allowed = frozenset(rule.allowed() | {f"{p}_dot" for p in rule.params})
    kinds = tuple((t, isinstance(t, AppliedText)) if isinstance(t, str) else (t, False)
                  for t in texts)
    return _tangent_texts(kinds, allowed, tuple(sorted(text.items())))


@functools.cache
def _tangent_texts(kinds, allowed, text):
    values = dict(text)
    return tuple(t if t is None or isinstance(t, Refusal) else
                 (Applied if applied else Template).parse(t.format(**values), allowed)
                 for t, applied in kinds)


def _family():
    """The rule table (module of this package) that is declaring a rule."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(__package__ + ".") and module.rsplit(".", 1)[1] not in (
                "registry", "results", "families"):
            return module.rsplit(".", 1)[1]
        frame = frame.f_back
    return ""


def check_form(texts, allowed):
    """Raise RuleError where a form's template, its placeholders filled, is malformed."""
    for text in texts:
        if text is None or isinstance(text, Refusal):
            continue
        import string  # only for rules given at run time; importing it costs 1.4 ms

        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        Template.parse(text.format(**{f: "1" for f in fields}), allowed)


def parse_templates(templates, allowed, check=True):
    """Templates from their text, checked now or (``check=False``) parsed when first used; a
    Refusal stays as it is (a parameter that would need an adjoint only in a calling
    convention the rule does not support)."""
    allowed = frozenset(allowed)
    made = tuple(t if t is None or isinstance(t, Refusal) else
                 (Applied if isinstance(t, AppliedText) else Template)(str(t), allowed)
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
