"""Derivative rules, one family table per module; importing this package registers them all."""

from . import (  # noqa: F401  (registration side effects)
    arith,
    builtins,
    calls,
    containers,
    creation,
    effects,
    every_order,
    forward_helpers,
    helpers,
    indexing,
    joining,
    linalg,
    linalg_orders,
    math,
    numpy,
    reductions,
    shapes,
    spectral,
)
from .registry import REGISTRY, Rule, RuleError, declare

__all__ = ["REGISTRY", "Rule", "RuleError", "declare"]
