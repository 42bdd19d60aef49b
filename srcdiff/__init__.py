"""srcdiff: source-to-source automatic differentiation for Python and NumPy.

``gradient(f)`` compiles ``f``'s derivative into ordinary Python source that you can read
(``source(f)``, or the ``srcdiff`` command) and runs it at the speed of hand-written code.
"""

from .driver import collector

with collector.long_lived():
    from .api import (
        assert_grad,
        check_grad,
        gradient,
        graph,
        hessian,
        hvp,
        jacfwd,
        jacobian,
        jacrev,
        jvp,
        page,
        show,
        source,
        trace,
        value_and_grad,
        value_and_tangent,
        vjp,
    )
    from .errors import SrcdiffError
    from .primitives.user import defjvp, defvjp, nondifferentiable, vjp_of

__version__ = "0.1.0"
__all__ = ["SrcdiffError", "assert_grad", "check_grad", "defjvp", "defvjp", "gradient",
           "graph", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "nondifferentiable",
           "page", "show", "source", "trace", "value_and_grad", "value_and_tangent", "vjp",
           "vjp_of", "__version__"]
