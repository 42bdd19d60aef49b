"""Backpropagation on a computational graph: e = (a + b) * (b + 1).

From seed 002 (computational graphs). The expression is broken into one node per
operation,

    c = a + b        d = b + 1        e = c * d

and each edge of the graph carries a local partial derivative:
∂c/∂a = 1, ∂c/∂b = 1, ∂d/∂b = 1, ∂e/∂c = d, ∂e/∂d = c. The derivative of e with
respect to an input is the *sum over all paths* from that input to e of the product
of the edge derivatives along the path. At a = 2, b = 1 (so c = 3, d = 2):

    ∂e/∂a = 1·2          = 2     (one path:  a → c → e)
    ∂e/∂b = 1·2 + 1·3    = 5     (two paths: b → c → e and b → d → e)

Reverse mode (backpropagation) computes this sum without listing paths: it walks
the graph once from the output back to the inputs, and at each node adds up the
"error signals" x̄ = ∂e/∂x arriving from its children. One backward sweep gives
the derivative with respect to every input at once.

srcdiff writes that backward sweep out as ordinary Python. This script prints the
function, the derivative code srcdiff generates for it, and checks the numbers
against the sum over paths.

Run it from the repository root:

    python examples/backprop_basics.py

The srcdiff command reads this file without running it and prints the derivative
code of its top-level functions (here: with respect to both a and b):

    srcdiff examples/backprop_basics.py --wrt a,b
"""

import inspect
import math

import srcdiff


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def e_expr(a, b):
    return (a + b) * (b + 1.0)


if __name__ == "__main__":
    a, b = 2.0, 1.0

    print("The function, one line per node of the graph:\n")
    print(inspect.getsource(e))
    print("The derivative code srcdiff generates (x_bar is ∂e/∂x, the error signal):\n")
    print(srcdiff.source(e, wrt=("a", "b")))

    e_value_and_grad = srcdiff.value_and_grad(e, wrt=("a", "b"))
    value, (e_a, e_b) = e_value_and_grad(a, b)
    print(f"At a = {a}, b = {b}:")
    print(f"  e     = {value}")
    print(f"  de/da = {e_a}")
    print(f"  de/db = {e_b}")

    # The sum over paths, edge by edge, for the same point.
    c, d = a + b, b + 1.0
    dc_da, dc_db, dd_db = 1.0, 1.0, 1.0
    de_dc, de_dd = d, c
    paths_a = dc_da * de_dc
    paths_b = dc_db * de_dc + dd_db * de_dd
    print()
    print("Sum over paths (multiply the edge derivatives along each path, add the paths):")
    print(f"  de/da:  a -> c -> e                  = {dc_da:g}*{de_dc:g}        = {paths_a:g}")
    print(f"  de/db:  b -> c -> e  +  b -> d -> e  = {dc_db:g}*{de_dc:g} + {dd_db:g}*{de_dd:g}"
          f"  = {paths_b:g}")
    print("In the generated code, b_bar = d_bar is the path through d (1*3), and")
    print("b_bar = b_bar + c_bar adds the path through c (1*2): the paths are summed")
    print("node by node, as the backward sweep reaches b from each of its children.")

    assert value == 6.0, f"e(2, 1) should be 6, srcdiff's value_and_grad gave {value}"
    assert e_a == paths_a == 2.0, f"de/da should be 2 (sum over paths), srcdiff gave {e_a}"
    assert e_b == paths_b == 5.0, f"de/db should be 5 (sum over paths), srcdiff gave {e_b}"

    # Written as a single expression, srcdiff names the intermediate nodes itself
    # (t1 = a + b, t2 = b + 1.0) and differentiates the same graph.
    print()
    print("The same graph written as one expression, (a + b) * (b + 1.0):\n")
    print(srcdiff.source(e_expr, wrt=("a", "b")))
    e_expr_grad = srcdiff.gradient(e_expr, wrt=("a", "b"))
    expr_a, expr_b = e_expr_grad(a, b)
    print(f"  de/da = {expr_a}, de/db = {expr_b}")
    assert (expr_a, expr_b) == (e_a, e_b), (
        f"the one-expression form gave {(expr_a, expr_b)}, the node form {(e_a, e_b)}")

    # Reverse mode gave both partials from one backward sweep. Forward mode (or finite
    # differences) needs one pass per input; check against central differences.
    h = 1e-6
    fd_a = (e(a + h, b) - e(a - h, b)) / (2 * h)
    fd_b = (e(a, b + h) - e(a, b - h)) / (2 * h)
    assert math.isclose(fd_a, e_a, rel_tol=1e-8), f"finite differences give de/da = {fd_a}"
    assert math.isclose(fd_b, e_b, rel_tol=1e-8), f"finite differences give de/db = {fd_b}"
    print(f"  finite differences agree: de/da ~ {fd_a:.6f}, de/db ~ {fd_b:.6f}")
    print("\nOK: de/da = 2, de/db = 5 = 1*2 + 1*3")
