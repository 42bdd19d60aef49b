"""Derivative rules, one family table per module.

Importing this package registers the rules of what user code calls. The tables of
:mod:`srcdiff.runtime`'s helpers (their own derivatives, which only derivatives of
derivatives need) are imported when one of those helpers is first looked up: they are a
fifth of the rule tables' code, and ``import srcdiff`` stays fast without them.
"""

from . import (  # noqa: F401  (registration side effects)
    arith,
    builtins,
    calls,
    containers,
    creation,
    effects,
    indexing,
    joining,
    linalg,
    math,
    numpy,
    reductions,
    shapes,
)
from .registry import REGISTRY, Rule, RuleError, declare

HELPER_TABLES = ("helpers", "every_order", "forward_helpers", "linalg_orders", "spectral")


def _is_helper(fn):
    return getattr(fn, "__module__", None) == "srcdiff.runtime"


def _load_helper_tables():
    from . import every_order, forward_helpers, helpers, linalg_orders, spectral  # noqa: F401


REGISTRY.load_when(_is_helper, _load_helper_tables)

__all__ = ["HELPER_TABLES", "REGISTRY", "Rule", "RuleError", "declare"]
