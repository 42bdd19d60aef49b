"""Derivative rules, one family table per module; importing this package registers them all."""

from . import arith, builtins, creation, joining, linalg, math, numpy, reductions, shapes  # noqa: F401  (registration side effects)
from .registry import REGISTRY, Rule, RuleError, declare

__all__ = ["REGISTRY", "Rule", "RuleError", "declare"]
