"""Helpers that generated code calls, imported by generated code under the stable name
``srcdiff.runtime`` (``from srcdiff.runtime import unbroadcast``). They appear where plain
NumPy would be long-winded (splitting an adjoint into the pieces of a concatenation, the
structure of a list's adjoint), where operands' shapes are not known when the derivative is
compiled, and where a textbook formula fails at a point where the derivative exists; code
specialized on known shapes uses plain NumPy.

The helpers live in one module per family (``arithmetic``, ``reductions``, ``shapes``,
``linalg``, ``containers``, and ``derivatives``, ``linalg_derivatives``, ``linalg_orders``,
``forward_derivatives``, ``duals`` and ``spectral`` for what the derivatives of the helpers
themselves call) and are all names of this package, which is where generated code and the
rule templates find them.
"""

from . import (
    arithmetic,
    containers,
    derivatives,
    duals,
    forward_derivatives,
    linalg,
    linalg_derivatives,
    linalg_orders,
    reductions,
    shapes,
    spectral,
)
from .arithmetic import *  # noqa: F403
from .containers import *  # noqa: F403
from .derivatives import *  # noqa: F403
from .duals import *  # noqa: F403
from .forward_derivatives import *  # noqa: F403
from .linalg import *  # noqa: F403
from .linalg_derivatives import *  # noqa: F403
from .linalg_orders import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shapes import *  # noqa: F403
from .spectral import *  # noqa: F403

__all__ = [name for module in (arithmetic, reductions, shapes, linalg, containers, derivatives,
                               linalg_derivatives, linalg_orders, forward_derivatives, duals,
                               spectral)
           for name in module.__all__]

for _name in __all__:
    # generated code imports every helper from this package, whatever module defines it
    globals()[_name].__module__ = __name__
