"""Tuples, lists and dicts as values: building them and reading their elements.

``t = (a, b)`` packs operands; its adjoint hands ``t_bar[0]`` to ``a`` and ``t_bar[1]`` to
``b``. Reading ``t[0]`` (or unpacking ``a, b = t``) adds into the container's adjoint with
``one_hot``; container adjoints have the container's structure, so the gradient with respect
to a list of arrays is a list of arrays, and they add with ``add_tree``.
"""

from __future__ import annotations

from .avals import OTHER, AVal
from .rules.registry import Rule

PACK = "pack"
APPEND = "append"
_ACTIVE = object()


def pack_rule(pytype, count, keys=None):
    """The rule that builds a ``pytype`` (tuple, list or dict with ``keys``) of ``count``."""
    params = tuple(f"e{k}" for k in range(count))
    rule = Rule(fn=pytype, name=f"{pytype.__name__} display", params=params, defaults={},
                templates=(_ACTIVE,) * count, kind=PACK)
    rule.keys = keys
    return rule


def append_rule():
    """``lst.append(value)``: a new value of the list (the same object, grown by one)."""
    return Rule(fn=list.append, name="list.append", params=("lst", "value"), defaults={},
                templates=(_ACTIVE, _ACTIVE), kind=APPEND)


def appended(lst, value):
    from .infer import join
    if lst.items is not None:
        return AVal(OTHER, pytype=list, items=lst.items + (value,))
    return AVal(OTHER, pytype=list, element=join(lst.element, value))


def packed(rule, avals):
    elements = tuple(avals[p] for p in rule.params)
    if rule.fn is dict:
        return AVal(OTHER, pytype=dict, items=tuple(zip(rule.keys, elements)))
    return AVal(OTHER, pytype=rule.fn, items=elements)


def element(container, key, located, node):
    """The abstract value of ``container[key]`` (``key`` a constant, or None if variable)."""
    if container.pytype is dict:
        found = dict(container.items).get(key)
        if found is None:
            raise located.error(node, f"the dict has no key {key!r}")
        return found
    if container.element is not None:
        return container.element
    if key is None:
        items = container.elements
        from .infer import join
        result = items[0]
        for item in items[1:]:
            result = join(result, item)
        return result
    try:
        return container.items[key]
    except (IndexError, TypeError):
        raise located.error(node, f"index {key!r} is out of range for "
                            f"{container.describe()}") from None
