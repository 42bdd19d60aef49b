"""Every cache of compiled derivatives, and the one point that forgets them all.

Derivatives are cached at three levels: the families of a user's function (one per code
object, wrt and options, in ``families``), the compiled VJPs of called user functions
(``vjps``), and the abstract results of calls specialized on their arguments (held by
:mod:`srcdiff.analysis.specialize`). When a derivative rule changes (``defvjp``,
``nondifferentiable``), any of them may be stale: :func:`forget` sends every function a
user holds back to its trampoline, so that its next call compiles afresh.
"""

from __future__ import annotations

import weakref

from ..analysis import specialize
from ..primitives import REGISTRY

families = weakref.WeakKeyDictionary()  # code object -> {(wrt, with_value): Family}
vjps = {}  # (callee key, argument kinds, active, unused outputs) -> compiled VJP
holders = weakref.WeakSet()  # the functions handed to users, each with its trampoline


def forget():
    for holder in list(holders):
        holder.__code__ = holder.__srcdiff_trampoline__
    vjps.clear()
    families.clear()
    specialize.forget()


def forget_compiled():
    """A watched module-level value changed: compiled VJPs may have been specialized on
    it (the family that noticed forgets its own specializations)."""
    vjps.clear()
    specialize.forget()


REGISTRY.listeners.append(forget)
