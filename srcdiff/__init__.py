"""srcdiff: source-to-source automatic differentiation for Python and NumPy.

``gradient(f)`` compiles ``f``'s derivative into ordinary Python source that you can read
(``source(f)``, or the ``srcdiff`` command) and runs it at the speed of hand-written code.
"""

from .api import (
    gradient,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    page,
    show,
    source,
    value_and_grad,
    value_and_tangent,
    vjp,
)
from .errors import SrcdiffError
from .primitives.user import defjvp, defvjp, nondifferentiable, vjp_of

__version__ = "0.1.0"
__all__ = ["SrcdiffError", "defjvp", "defvjp", "gradient", "hessian", "hvp", "jacfwd",
           "jacobian", "jacrev", "jvp", "nondifferentiable", "source", "value_and_grad",
           "value_and_tangent", "vjp", "vjp_of", "__version__"]
__all__ += ["page", "show"]
