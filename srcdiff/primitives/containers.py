"""Tuples, lists and dicts as values: building them and reading their elements.

``t = (a, b)`` packs operands; its adjoint hands ``t_bar[0]`` to ``a`` and ``t_bar[1]`` to
``b``. Reading ``t[0]`` (or unpacking ``a, b = t``) adds into the container's adjoint with
``one_hot``; container adjoints have the container's structure, so the gradient with respect
to a list of arrays is a list of arrays, and they add with ``add_tree``.
"""

from __future__ import annotations

import gast

from ..ir.avals import NP, OTHER, PY, UNKNOWN_AVAL, AVal, join
from .protocol import Rule
from .registry import REGISTRY

PACK = "pack"
APPEND = "append"
_ACTIVE = object()


class PackRule(Rule):
    """``(a, b)``, ``[a, b]``, ``{"w": a}``: a new container of the operands."""

    packs = True
    adjoint_text = "`a_bar = t_bar[0]`, `b_bar = t_bar[1]` (by key for a dict)"

    def abstract_eval(self, call, args, site):
        return packed(self, args)

    def result_memory(self, call, sharing):
        inner = frozenset().union(*(sharing.of(a) for a in call.args))
        return inner if self.fn is tuple else sharing.own | inner

    def vjp_reads(self, call, args, result, active, site):
        return set()

    def adjoint(self, sweep, stmt, g, state, lines):
        return sweep.unpack_adjoint(stmt, g)

    def tangent_statement(self, sweep, stmt):
        return sweep.tangent_pack(stmt)

    def expression(self, call, operand):
        elements = [operand(a) for a in call.args]
        if self.fn is dict:
            return gast.Dict(keys=[gast.Constant(value=k, kind=None) for k in self.keys],
                             values=elements)
        node = gast.Tuple if self.fn is tuple else gast.List
        return node(elts=elements, ctx=gast.Load())


class AppendRule(Rule):
    """``lst.append(value)``: the same list, grown by one, in place."""

    writes = "lst"
    grows_list = True
    statement_only = True
    adjoint_text = "`value_bar = lst_bar.pop()`; `lst.pop()` undoes the append where needed"

    def abstract_eval(self, call, args, site):
        return appended(args["lst"], args["value"], site.located, site.node)

    def result_memory(self, call, sharing):
        return sharing.of(call.args[0]) | sharing.of(call.args[1])

    def vjp_reads(self, call, args, result, active, site):
        return set()

    def reverse_statement(self, sweep, stmt, state):
        return sweep.reverse_append(stmt, state)

    def tangent_statement(self, sweep, stmt):
        return sweep.tangent_append(stmt)

    def expression(self, call, operand):
        method = gast.Attribute(value=operand(call.args[0]), attr="append", ctx=gast.Load())
        return gast.Call(func=method, args=[operand(call.args[1])], keywords=[])


class ShrinkRule(Rule):
    """``lst.pop()``: the same list without its last item, in place. The item itself is read
    first, as ``lst[-1]``, and is the rule's second operand: walking back over the pop puts
    it back (``lst.append(item)``) where the reverse sweep reads the list, and grows the
    list's adjoint by a zero (the read ``lst[-1]`` carries the item's own adjoint). A
    derivative's tapes pop what they saved, so a derivative of a derivative meets it."""

    writes = "lst"
    grows_list = True
    undo_reads = ("item",)
    statement_only = True
    adjoint_text = ("`lst_bar.append(item_bar)` (a zero where the read `lst[-1]` adds it); "
                    "`lst.append(item)` undoes the pop where needed")

    def abstract_eval(self, call, args, site):
        return shrunk(args["lst"], site.located, site.node)

    def result_memory(self, call, sharing):
        return sharing.of(call.args[0])

    def vjp_reads(self, call, args, result, active, site):
        """The item, where its zero is made from it (an array, or a value of unknown kind)."""
        return set() if args["item"].kind in (PY, NP) else {"item"}

    def reverse_statement(self, sweep, stmt, state):
        return sweep.reverse_shrink(stmt, state)

    def tangent_statement(self, sweep, stmt):
        return sweep.tangent_shrink(stmt)

    def expression(self, call, operand):
        method = gast.Attribute(value=operand(call.args[0]), attr="pop", ctx=gast.Load())
        return gast.Call(func=method, args=[], keywords=[])


def shrink_rule():
    """``lst.pop()``: a new value of the list (the same object, one item shorter)."""
    return ShrinkRule(fn=list.pop, name="list.pop", params=("lst", "item"), defaults={},
                      templates=(_ACTIVE, None), kind=APPEND)


def shrunk(lst, located, node):
    if lst.kind != OTHER or lst.pytype is not list:
        raise located.error(node, f"only lists can be popped from; this is "
                            f"{_article(lst.describe())}", "use a list")
    if lst.items is not None:
        if not lst.items:
            raise located.error(node, "pop from an empty list", "append to it first")
        return AVal(OTHER, pytype=list, items=lst.items[:-1])
    return lst


def pack_rule(pytype, count, keys=None):
    """The rule that builds a ``pytype`` (tuple, list or dict with ``keys``) of ``count``."""
    params = tuple(f"e{k}" for k in range(count))
    rule = PackRule(fn=pytype, name=f"{pytype.__name__} display", params=params, defaults={},
                    templates=(_ACTIVE,) * count, kind=PACK)
    rule.keys = keys
    return rule


def append_rule():
    """``lst.append(value)``: a new value of the list (the same object, grown by one)."""
    return AppendRule(fn=list.append, name="list.append", params=("lst", "value"),
                      defaults={}, templates=(_ACTIVE, _ACTIVE), kind=APPEND)


REGISTRY.add_structural("(a, b), [a, b], {'k': a}", pack_rule(tuple, 2))
REGISTRY.add_structural("lst.append(value)", append_rule())
REGISTRY.add_structural("lst.pop()", shrink_rule())


def appended(lst, value, located, node):
    if lst.kind != OTHER or lst.pytype is not list:
        raise located.error(node, f"only lists can be appended to; this is "
                            f"{_article(lst.describe())}", "start the list with [] and append "
                            "to it")
    if lst.items is not None:
        return AVal(OTHER, pytype=list, items=lst.items + (value,))
    return AVal(OTHER, pytype=list, element=join(lst.element, value))


def packed(rule, avals):
    elements = tuple(avals[p] for p in rule.params)
    if rule.fn is dict:
        return AVal(OTHER, pytype=dict, items=tuple(zip(rule.keys, elements)))
    return AVal(OTHER, pytype=rule.fn, items=elements)


def element(container, key, located, node, key_aval=None):
    """The abstract value of ``container[key]`` (``key`` a constant, or None if variable,
    of kind ``key_aval``). A dict read with a variable key (``d[k]`` with ``k`` looping over
    names) may be any of its values."""
    if container.pytype is dict:
        if key is None and key_aval is not None and not (
                key_aval.kind == OTHER and key_aval.pytype is str):
            if isinstance(node, gast.For):
                raise located.error(node, "looping over a dict is not supported",
                                    "loop over its keys written out: for k in ('w', 'b'): "
                                    "... d[k]")
            raise located.error(node, f"a dict can only be indexed by a string, not by "
                                f"{_article(key_aval.describe())}", "index it by its keys")
        if key is None:
            return _joined(container.elements)
        found = dict(container.items).get(key)
        if found is None:
            keys = ", ".join(repr(k) for k, _ in container.items) or "none"
            raise located.error(node, f"the dict has no key {key!r}",
                                f"its keys are: {keys}")
        return found
    if container.element is not None:
        return container.element
    if key is None:
        return _joined(container.elements)
    try:
        return container.items[key]
    except (IndexError, TypeError):
        raise located.error(node, f"index {key!r} is out of range for "
                            f"{container.describe()}",
                            f"it has {len(container.items)} items") from None


def _joined(items):
    """Any one of ``items`` (unknown for none: reading an empty container at a position
    only known when the code runs raises there, so no value of any kind comes out)."""
    if not items:
        return UNKNOWN_AVAL
    result = items[0]
    for item in items[1:]:
        result = join(result, item)
    return result


def _article(kind):
    return ("an " if kind[0] in "aeiou" else "a ") + kind
