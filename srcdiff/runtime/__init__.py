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

The first four families serve most first derivatives and are imported with the package. The
others are imported when one of their helpers is first asked for (PEP 562's module
``__getattr__``), which ``LAZY`` makes possible by naming them; a test checks it against the
modules.
"""

import importlib
import sys

from . import arithmetic, containers, reductions, shapes
from .arithmetic import *  # noqa: F403
from .containers import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shapes import *  # noqa: F403

LAZY = {
    "linalg": (
        "matmul_lhs_vjp", "matmul_rhs_vjp", "dot_lhs_vjp", "dot_rhs_vjp", "tensordot_lhs_vjp",
        "tensordot_rhs_vjp", "inner_lhs_vjp", "inner_rhs_vjp", "kron_vjp", "einsum_labels",
        "einsum_swapped", "einsum_like", "solve_rhs_vjp", "solve_lhs_vjp", "cholesky_vjp",
        "eigvalsh_vjp", "svdvals_vjp", "matrix_power_vjp", "adjugate", "polyval_derivative",
        "polyval_coefficients_vjp", "linspace_vjp", "cholesky_jvp", "eigvalsh_jvp",
        "svdvals_jvp", "matrix_power_jvp"),
    "derivatives": (
        "scaled_power", "assigned_only", "sort_like", "cut_from_full", "unspread",
        "product_of_others_jvp", "product_of_others_hvp", "cumprod_tangent", "cumprod_jvp2",
        "cumprod_hvp", "norm_tangent", "norm_hvp", "average_vjp_jvp", "average_vjp_vjp"),
    "linalg_derivatives": (
        "solve_rhs_vjp_jvp", "solve_lhs_vjp_jvp", "solve_lhs_vjp_vjp", "cholesky_tangent",
        "eigvalsh_tangent", "eigvalsh_hvp", "svdvals_tangent", "svdvals_hvp",
        "matrix_power_tangent", "matrix_power_hvp", "power_block", "top_right",
        "diagonal_blocks"),
    "linalg_orders": (
        "adjugate_jvp", "adjugate_jvp2", "adjugate_jvp3", "lower_halved", "from_lower",
        "onto_lower"),
    "forward_derivatives": ("eigvalsh_jvp2", "svdvals_jvp2", "matrix_power_jvp2", "norm_jvp2"),
    "duals": ("dual", "dual_primal", "dual_tangent", "dual_cumprod", "dual_cumprod_vjp"),
    "spectral": ("eigvalsh_derivative", "eigvalsh_derivative_vjp", "svdvals_derivative",
                 "svdvals_derivative_vjp"),
}
_HOME = {name: module for module, names in LAZY.items() for name in names}

__all__ = [name for module in (arithmetic, reductions, shapes, containers)
           for name in module.__all__] + list(_HOME)


def _adopt(module):
    """Generated code imports every helper from this package, whatever module defines it."""
    for name in module.__all__:
        helper = getattr(module, name)
        helper.__module__ = __name__
        globals()[name] = helper


def __getattr__(name):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    importlib.import_module(f".{home}", __name__)
    for module, names in LAZY.items():  # with the modules it imported
        if names[0] not in globals() and f"{__name__}.{module}" in sys.modules:
            _adopt(sys.modules[f"{__name__}.{module}"])
    return globals()[name]


def __dir__():
    return sorted(set(globals()) | set(__all__))


for _module in (arithmetic, reductions, shapes, containers):
    _adopt(_module)
