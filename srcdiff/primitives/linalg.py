"""Products and linear algebra: dot, matmul (batched), inner, outer, tensordot, einsum, trace,
kron, cross, vecdot, and ``np.linalg``'s inv, solve, det, slogdet, cholesky, eigvalsh, svdvals
and matrix_power.

Where the operands' ranks are known the adjoints are the textbook ones (``g @ b.T``,
``-ans.T @ g @ ans.T``, an einsum with the subscripts moved round); otherwise a helper from
:mod:`srcdiff.runtime` handles stacks and broadcasting. The tangents are the textbook ones
too (``-ans @ a_dot @ ans``, ``np.linalg.solve(a, b_dot)``; an einsum of one operand's
tangent with the others); the decompositions' go through helpers, each the transpose of
its adjoint's (the same triangle read, the same ties).
"""

import operator

import numpy as np

from .. import runtime as rt
from . import results as R
from .families import bilinear, linear
from .registry import (
    ELEMENTWISE,
    GENERAL,
    HOLOMORPHIC,
    MATMUL,
    AppliedText,
    Refusal,
    declare,
    tangent_form,
    tangents_of,
)
from .shapes import diagonal_axes

CONJUGATED = ("NumPy conjugates the first operand where it is complex, so its adjoint is a "
              "conjugate: conj(g * b) for sum(conj(a) * b)")
MATRIX_CASES = {(2, 2): ("g @ b.T", "a.T @ g"),
                (2, 1): ("np.outer(g, b)", "a.T @ g"),
                (1, 2): ("b @ g", "np.outer(a, g)"),
                (1, 1): ("g * b", "g * a")}
BATCHED = {"batched": ("g @ np.swapaxes(b, -1, -2)", "np.swapaxes(a, -1, -2) @ g"),
           "stacked_matrix": ("g @ b.T", "np.tensordot(a, g, axes=({lead}, {lead}))")}


def select_matmul(rule, avals, bound):
    """Plain products for matrices and vectors; for stacks, ``@`` with ``np.swapaxes`` when
    the stack shapes are known to match, else the runtime helpers (which broadcast)."""
    a, b = (avals[p] for p in rule.params)
    ndims = (a.ndim, b.ndim)
    if ndims in MATRIX_CASES:
        return rule.templates_for(ndims)
    if None in ndims or min(ndims) < 2 or rule.fn is np.dot:
        return rule.templates
    if ndims[1] == 2:
        return rule.form("stacked_matrix", lead=repr(tuple(range(ndims[0] - 1))))
    shapes = (a.known_shape, b.known_shape)
    if ndims[0] == ndims[1] and None not in shapes and shapes[0][:-2] == shapes[1][:-2]:
        return rule.form("batched")
    return rule.templates


def _matmul(fn, name, symbol=None, shape=None):
    bilinear(fn, "a, b", "matmul_lhs_vjp(g, a, b)", "matmul_rhs_vjp(g, a, b)", kind=MATMUL,
             name=name, symbol=symbol, cases=MATRIX_CASES, forms=BATCHED,
             selector=select_matmul, shape=shape, complex=HOLOMORPHIC)


def _dot_dims(avals, bound):
    a, b = R.dims_of(avals, "a"), R.dims_of(avals, "b")
    if not a or not b:
        return R.broadcast(a, b)
    if len(b) == 1:
        return a[:-1]
    return a[:-1] + b[:-2] + b[-1:]


_matmul(operator.matmul, "a @ b", symbol="@")
_matmul(np.matmul, "numpy.matmul")
_matmul(np.linalg.matmul, "numpy.linalg.matmul")
bilinear(np.dot, "a, b", "dot_lhs_vjp(g, a, b)", "dot_rhs_vjp(g, a, b)", kind=MATMUL,
         name="numpy.dot", cases=MATRIX_CASES, shape=R.result(_dot_dims, R.same("a", "b")),
         notes="N-d arrays contract a's last axis with b's second-to-last, as np.dot does",
         complex=HOLOMORPHIC)


def _matvec_dims(avals, bound):
    a, v = R.dims_of(avals, "a"), R.dims_of(avals, "v")
    return R.broadcast(a[:-2], v[:-1]) + (a[-2],)


def _vecmat_dims(avals, bound):
    v, a = R.dims_of(avals, "v"), R.dims_of(avals, "a")
    return R.broadcast(v[:-1], a[:-2]) + (a[-1],)


bilinear(np.matvec, "a, v, /", "unbroadcast(g[..., :, None] * v[..., None, :], a)",
         "unbroadcast(np.matvec(np.matrix_transpose(a), g), v)", kind=GENERAL,
         name="numpy.matvec", shape=R.result(_matvec_dims, R.same("a", "v")),
         cases={(2, 1): ("np.outer(g, v)", "a.T @ g")}, complex=HOLOMORPHIC)
bilinear(np.vecmat, "v, a, /", "unbroadcast(np.matvec(a, g), v)",
         "unbroadcast(v[..., :, None] * g[..., None, :], a)", kind=GENERAL,
         name="numpy.vecmat", shape=R.result(_vecmat_dims, R.same("v", "a")),
         cases={(1, 2): ("a @ g", "np.outer(v, g)")},
         complex=("unbroadcast(np.conj(np.matvec(a, g)), v)",
                  "unbroadcast(np.conj(v)[..., :, None] * g[..., None, :], a)"),
         notes=CONJUGATED)


def _inner_dims(avals, bound):
    a, b = R.dims_of(avals, "a"), R.dims_of(avals, "b")
    if not a or not b:
        return R.broadcast(a, b)
    return a[:-1] + b[:-1]


bilinear(np.inner, "a, b, /", "inner_lhs_vjp(g, a, b)", "inner_rhs_vjp(g, a, b)", kind=GENERAL,
         name="numpy.inner", shape=R.result(_inner_dims, R.same("a", "b")),
         cases={(1, 1): ("g * b", "g * a"), (2, 1): ("np.outer(g, b)", "g @ a"),
                (1, 2): ("g @ b", "np.outer(g, a)"), (2, 2): ("g @ b", "g.T @ a")},
         complex=HOLOMORPHIC)


def _outer_dims(avals, bound):
    return (R.total(avals, "a"), R.total(avals, "b"))


for _fn, _name in ((np.outer, "numpy.outer"), (np.linalg.outer, "numpy.linalg.outer")):
    bilinear(_fn, "a, b, /", "np.reshape(g @ np.ravel(b), np.shape(a))",
             "np.reshape(np.ravel(a) @ g, np.shape(b))", kind=GENERAL, name=_name,
             shape=R.result(_outer_dims, R.same("a", "b")),
             cases={(1, 1): ("g @ b", "a @ g")}, complex=HOLOMORPHIC)
bilinear(np.vdot, "a, b, /", "g * np.reshape(b, np.shape(a))", "g * np.reshape(a, np.shape(b))",
         kind=GENERAL, name="numpy.vdot", shape=R.result(lambda avals, bound: (),
                                                        R.same("a", "b")),
         complex=("np.conj(g * np.reshape(b, np.shape(a)))",
                  "g * np.conj(np.reshape(a, np.shape(b)))"),
         notes=CONJUGATED)


def _tensordot_axes(bound, a_ndim, b_ndim):
    axes = R.constant(bound, "axes", 2)
    if isinstance(axes, int):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = list(a_axes) if isinstance(a_axes, tuple) else [a_axes]
    b_axes = list(b_axes) if isinstance(b_axes, tuple) else [b_axes]
    return [x % a_ndim for x in a_axes], [x % b_ndim for x in b_axes]


def _tensordot_dims(avals, bound):
    a, b = R.dims_of(avals, "a"), R.dims_of(avals, "b")
    a_axes, b_axes = _tensordot_axes(bound, len(a), len(b))
    return (tuple(d for k, d in enumerate(a) if k not in a_axes)
            + tuple(d for k, d in enumerate(b) if k not in b_axes))


def _select_tensordot(rule, avals, bound):
    """With an int ``axes`` the free axes keep their order, so each adjoint is one
    tensordot of ``g`` with the other operand."""
    axes = R.literals(bound, "axes")
    na, nb = avals["a"].ndim, avals["b"].ndim
    if axes is None or not isinstance(axes[0], int) or na is None or nb is None:
        return rule.templates
    n = axes[0]
    free_a, free_b = na - n, nb - n
    if free_a == 0 and free_b == 0:
        return rule.form("full")
    return rule.form("int", g_b=repr(tuple(range(free_a, free_a + free_b))),
                     b_free=repr(tuple(range(n, nb))), a_free=repr(tuple(range(free_a))),
                     g_a=repr(tuple(range(free_a))))


for _fn, _name in ((np.tensordot, "numpy.tensordot"), (np.linalg.tensordot,
                                                         "numpy.linalg.tensordot")):
    _signature = "a, b, axes=2" if _fn is np.tensordot else "a, b, /, *, axes=2"
    bilinear(_fn, _signature, "tensordot_lhs_vjp(g, a, b, axes)",
             "tensordot_rhs_vjp(g, a, b, axes)", None, kind=GENERAL, name=_name,
             shape=R.result(_tensordot_dims, R.same("a", "b")), selector=_select_tensordot,
             forms={"full": ("g * b", "g * a", None),
                    "int": ("np.tensordot(g, b, axes=({g_b}, {b_free}))",
                            "np.tensordot(a, g, axes=({a_free}, {g_a}))", None)},
             complex=HOLOMORPHIC)


# einsum


def _einsum_dims(avals, bound):
    operands = [p for p in ("a", "b", "c") if p in avals]
    subscripts = R.constant(bound, "subscripts")
    dims = [R.dims_of(avals, p) for p in operands]
    terms, output = rt.einsum_labels(subscripts, [len(d) for d in dims])
    sizes = {}
    for term, shape in zip(terms, dims):
        for label, size in zip(term, shape):
            sizes[label] = R.broadcast((sizes.get(label, 1),), (size,))[0]
    return tuple(sizes[c] for c in output)


SUBLISTS = Refusal("np.einsum's sublist form (operands, each followed by a list of axis "
                   "numbers) is not supported", "write the subscripts as a string, as in "
                   "np.einsum('ij->ji', x)")


def _select_einsum(rule, avals, bound):
    """``np.einsum("ij,jk->ik", a, b)`` has adjoints ``np.einsum("ik,jk->ij", g, b)`` and
    ``np.einsum("ij,ik->jk", a, g)``: the output's labels trade places with the operand's.
    Diagonals, ellipses, broadcasting and labels summed within one operand go to
    ``einsum_like``, with the subscripts traded the same way (``einsum_like('i->ii', a, g)``
    for ``np.einsum('ii->i', a)``)."""
    operands = [p for p in rule.params[1:]]
    if avals["subscripts"].kind in (R.PY, R.NP, R.ARRAY):
        return (SUBLISTS,) * len(rule.params)
    subscripts = R.literals(bound, "subscripts")
    if subscripts is None:
        return rule.templates
    general = [rule.parse(_into_operand(operands, i, repr(rt.einsum_swapped(subscripts[0], i))))
               for i in range(len(operands))]
    ndims = [avals[p].ndim for p in operands]
    if None in ndims:
        return (SUBLISTS, *general)
    terms, output = rt.einsum_labels(subscripts[0], ndims)
    shapes = [avals[p].known_shape for p in operands]
    if not _same_sizes(terms, shapes):
        return (SUBLISTS, *general)
    templates = [SUBLISTS]
    for i, term in enumerate(terms):
        others = [(t, p) for j, (t, p) in enumerate(zip(terms, operands)) if j != i]
        available = set(output).union(*[t for t, _ in others])
        if len(set(term)) != len(term) or not set(term) <= available or not (
                output or others):
            templates.append(general[i])
            continue
        if not output:
            spec = ",".join(t for t, _ in others) + "->" + term
            text = f"g * np.einsum({spec!r}, {', '.join(p for _, p in others)})"
        else:
            spec = ",".join([output] + [t for t, _ in others]) + "->" + term
            text = f"np.einsum({spec!r}, {', '.join(['g'] + [p for _, p in others])})"
        templates.append(rule.parse(text))
    return tuple(templates)


def _into_operand(operands, i, subscripts):
    """The adjoint of operand ``i``: ``einsum_like`` into it, of ``g`` in its place and the
    other operands, with its labels and the output's swapped."""
    args = ", ".join("g" if k == i else p for k, p in enumerate(operands))
    return f"einsum_like({subscripts}, {operands[i]}, {args})"


def _select_einsum_tangents(rule, avals, bound):
    """The sublist form is refused, as in reverse mode."""
    if avals["subscripts"].kind in (R.PY, R.NP, R.ARRAY):
        return tangents_of(rule, (SUBLISTS,) * len(rule.params))
    return rule.jvp


def _einsum_tangent(operands, i):
    """The einsum with operand ``i``'s tangent in its place: it is linear in each."""
    args = ", ".join(f"{p}_dot" if k == i else p for k, p in enumerate(operands))
    return AppliedText(f"np.einsum(subscripts, {args})")


def _same_sizes(terms, shapes):
    """Whether every label has one size (no broadcasting of size-1 dimensions)."""
    sizes = {}
    for term, shape in zip(terms, shapes):
        if shape is None:
            return False
        for label, size in zip(term, shape):
            if sizes.setdefault(label, size) != size:
                return False
    return True


for _operands in (("a",), ("a", "b"), ("a", "b", "c")):
    _names = ", ".join(_operands)
    declare(np.einsum, f"subscripts, {_names}, /", SUBLISTS,
            *[_into_operand(_operands, i, f"einsum_swapped(subscripts, {i})")
              for i in range(len(_operands))],
            kind=GENERAL, name="numpy.einsum",
            shape=R.result(_einsum_dims, R.same(*_operands), _operands),
            selector=_select_einsum,
            notes="where the labels allow, the adjoint is an einsum with the output's labels "
                  "traded for the operand's: np.einsum('ij,jk->ik', a, b) gives "
                  "ā = np.einsum('ik,jk->ij', g, b); diagonals (repeated labels), ellipses "
                  "and broadcasting go through einsum_like, whose derivatives are "
                  "einsum_like again",
            views=len(_operands) == 1, complex=HOLOMORPHIC,
            jvp=(None,) + tuple(_einsum_tangent(_operands, i) for i in range(len(_operands))),
            jvp_selector=_select_einsum_tangents)


# traces and other products


def _trace_dims(x):
    def dims(avals, bound):
        source = R.dims_of(avals, x)
        axes = diagonal_axes(bound, len(source))
        return tuple(d for k, d in enumerate(source) if k not in axes)
    return dims


def _select_trace(rule, avals, bound):
    x = rule.params[0]
    names = [p for p in ("offset", "axis1", "axis2") if p in bound]
    values = R.literals(bound, *names)
    if avals[x].ndim != 2 or values is None:
        return rule.templates
    given = dict(zip(names, values))
    if (given.get("axis1", 0), given.get("axis2", 1)) not in ((0, 1), (-2, -1), (0, -1)):
        return rule.templates
    return rule.form("matrix" if given["offset"] == 0 else "matrix_offset")


linear(np.trace, "a, offset=0, axis1=0, axis2=1", "untrace(g, a, offset, axis1, axis2)", None,
        None, None, kind=GENERAL, name="numpy.trace", shape=R.result(_trace_dims("a"),
                                                                     R.same("a")),
        selector=_select_trace,
        forms={"matrix": ("g * eye_like(a)", None, None, None),
               "matrix_offset": ("g * eye_like(a, offset)", None, None, None)},
        complex=HOLOMORPHIC)
linear(np.linalg.trace, "x, /, *, offset=0", "untrace(g, x, offset, -2, -1)", None,
        kind=GENERAL, name="numpy.linalg.trace", shape=R.result(_trace_dims("x"), R.same("x")),
        selector=_select_trace,
        forms={"matrix": ("g * eye_like(x)", None),
               "matrix_offset": ("g * eye_like(x, offset)", None)},
        complex=HOLOMORPHIC)


def _kron_dims(avals, bound):
    a, b = R.dims_of(avals, "a"), R.dims_of(avals, "b")
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return tuple(x * y if isinstance(x, int) and isinstance(y, int) else None
                 for x, y in zip(a, b))


bilinear(np.kron, "a, b", "kron_vjp(g, a, b)", "kron_vjp(g, a, b, 'b')", kind=GENERAL,
         name="numpy.kron", shape=R.result(_kron_dims, R.same("a", "b")), complex=HOLOMORPHIC)


def _cross_dims(avals, bound):
    return R.broadcast(R.dims_of(avals, "a"), R.dims_of(avals, "b"))


for _fn, _name in ((np.cross, "numpy.cross"), (np.linalg.cross, "numpy.linalg.cross")):
    bilinear(_fn, "a, b, /", "np.cross(b, g)", "np.cross(g, a)", kind=ELEMENTWISE, name=_name,
             pointwise=False,
             shape=R.result(_cross_dims, R.same("a", "b")),
             notes="3-vectors along the last axis; other axes broadcast", complex=HOLOMORPHIC)


def _vecdot_dims(avals, bound):
    dims = R.broadcast(R.dims_of(avals, "a"), R.dims_of(avals, "b"))
    k = R.normalized(R.constant(bound, "axis", -1), len(dims))[0]
    return dims[:k] + dims[k + 1:]


def _select_vecdot(rule, avals, bound):
    a, b = avals["a"], avals["b"]
    if a.ndim == 1 and b.ndim == 1:
        return rule.form("vectors")
    if a.known_shape is not None and a.known_shape == b.known_shape:
        return rule.form("same")
    return rule.templates


for _fn, _name in ((np.vecdot, "numpy.vecdot"), (np.linalg.vecdot, "numpy.linalg.vecdot")):
    bilinear(_fn, "a, b, /, *, axis=-1", "unbroadcast(np.expand_dims(g, axis) * b, a)",
             "unbroadcast(np.expand_dims(g, axis) * a, b)", None, kind=GENERAL, name=_name,
             shape=R.result(_vecdot_dims, R.same("a", "b")), selector=_select_vecdot,
             forms={"vectors": ("g * b", "g * a", None),
                    "same": ("np.expand_dims(g, axis) * b", "np.expand_dims(g, axis) * a",
                             None)},
             complex=("unbroadcast(np.conj(np.expand_dims(g, axis) * b), a)",
                      "unbroadcast(np.expand_dims(g, axis) * np.conj(a), b)", None),
             notes=CONJUGATED)


def _polyval_dims(avals, bound):
    return R.dims_of(avals, "x")


declare(np.polyval, "p, x", "polyval_coefficients_vjp(g, p, x)",
        "g * polyval_derivative(p, x)", kind=GENERAL, name="numpy.polyval",
        shape=R.result(_polyval_dims, R.same("p", "x")), complex=HOLOMORPHIC,
        jvp=(AppliedText("np.polyval(p_dot, x)"), "x_dot * np.polyval(np.polyder(p), x)"))


# numpy.linalg

INVERTIBLE = "a must be invertible"


def _linalg(fn, signature, *templates, dims, domain=None, **options):
    x = signature.split(",")[0].strip()
    declare(fn, signature, *templates, kind=GENERAL, name=f"numpy.linalg.{fn.__name__}",
            shape=R.result(dims, R.inexact(x)), domain=domain or {x: "invertible"},
            **options)


def _select_matrix_tangents(rule, avals, bound):
    """The ``matrix`` form for a single matrix (no stack to keep apart)."""
    return tangent_form(rule, "matrix") if avals[rule.params[0]].ndim == 2 else rule.jvp


def _select_solve_tangents(rule, avals, bound):
    """``b`` a vector but ``a`` a stack: the products and solves need ``ans`` as a stack of
    one-column matrices."""
    a, b = avals["a"].ndim, avals["b"].ndim
    if b is None or (b == 1 and a is None):
        return rule.jvp
    return tangent_form(rule, "columns" if b == 1 and a > 2 else "plain")


def _batch(x, drop):
    def dims(avals, bound):
        return R.dims_of(avals, x)[:len(R.dims_of(avals, x)) - drop]
    return dims


def _solve_dims(avals, bound):
    a, b = R.dims_of(avals, "a"), R.dims_of(avals, "b")
    if len(b) == 1:
        return a[:-2] + b
    return R.broadcast(a[:-2], b[:-2]) + b[-2:]


_linalg(np.linalg.inv, "a", "-np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)",
        dims=R.like("a"), cases={(2,): ("-ans.T @ g @ ans.T",)}, notes=INVERTIBLE,
        complex=HOLOMORPHIC, jvp=("-ans @ a_dot @ ans",))
_linalg(np.linalg.det, "a", "np.expand_dims(g, (-2, -1)) * np.swapaxes(adjugate(a), -1, -2)",
        dims=_batch("a", 2), cases={(2,): ("g * adjugate(a).T",)},
        notes="the adjugate is det(a) * inv(a) where a is invertible, and comes from the SVD "
              "where it is not (the derivative of det exists everywhere)", complex=HOLOMORPHIC,
        jvp=("np.trace(adjugate(a) @ a_dot, axis1=-2, axis2=-1)",),
        jvp_forms={"matrix": ("np.trace(adjugate(a) @ a_dot)",)},
        jvp_selector=_select_matrix_tangents)
declare(np.linalg.slogdet, "a",
        "np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)",
        kind=GENERAL, name="numpy.linalg.slogdet", domain={"a": "invertible"},
        shape=lambda avals, bound: _slogdet_pair(avals["a"]),
        notes="g is the pair of adjoints of (sign, logabsdet); the sign has none",
        jvp=("(0.0 * ans[0], np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1))",),
        jvp_forms={"matrix": ("(0.0 * ans[0], np.trace(np.linalg.solve(a, a_dot)))",)},
        jvp_selector=_select_matrix_tangents)
_linalg(np.linalg.solve, "a, b", "solve_lhs_vjp(g, ans, a, b)", "solve_rhs_vjp(g, a, b)",
        dims=_solve_dims,
        cases={(2, 1): ("-np.outer(np.linalg.solve(a.T, g), ans)", "np.linalg.solve(a.T, g)"),
               (2, 2): ("-np.linalg.solve(a.T, g) @ ans.T", "np.linalg.solve(a.T, g)")},
        notes=INVERTIBLE, complex=HOLOMORPHIC,
        jvp=("-np.linalg.solve(a, a_dot @ ans[..., None])[..., 0] if np.ndim(b) == 1 else "
             "-np.linalg.solve(a, a_dot @ ans)", "np.linalg.solve(a, b_dot)"),
        jvp_forms={"plain": ("-np.linalg.solve(a, a_dot @ ans)", "np.linalg.solve(a, b_dot)"),
                   "columns": ("-np.linalg.solve(a, a_dot @ ans[..., None])[..., 0]",
                               "np.linalg.solve(a, b_dot)")},
        jvp_selector=_select_solve_tangents)
_linalg(np.linalg.cholesky, "a, /", "cholesky_vjp(g, ans)", dims=R.like("a"),
        domain={"a": "spd"},
        notes="NumPy reads only the lower triangle, so the adjoint lives there; for a "
              "symmetric input built as B @ B.T it gives the usual symmetric gradient",
        jvp=("cholesky_jvp(a_dot, ans)",))


def _select_uplo(rule, avals, bound):
    return rule.form("lower") if R.literals(bound, "UPLO") == ("L",) else rule.templates


def _select_uplo_tangents(rule, avals, bound):
    return tangent_form(rule, "lower") if R.literals(bound, "UPLO") == ("L",) else rule.jvp


_linalg(np.linalg.eigvalsh, "a, UPLO='L'", "eigvalsh_vjp(g, a, UPLO)", None,
        dims=_batch("a", 1), domain={"a": "spd"}, selector=_select_uplo,
        forms={"lower": ("eigvalsh_vjp(g, a)", None)},
        notes="distinct eigenvalues; the adjoint lives on the triangle NumPy reads",
        jvp=("eigvalsh_jvp(a_dot, a, UPLO)", None),
        jvp_forms={"lower": ("eigvalsh_jvp(a_dot, a)", None)},
        jvp_selector=_select_uplo_tangents)


def _svdvals_dims(avals, bound):
    dims = R.dims_of(avals, "x")
    m, n = dims[-2:]
    return dims[:-2] + ((min(m, n) if isinstance(m, int) and isinstance(n, int) else None),)


_linalg(np.linalg.svdvals, "x, /", "svdvals_vjp(g, x)", dims=_svdvals_dims,
        domain={"x": "real"}, notes="distinct, nonzero singular values",
        jvp=("svdvals_jvp(x_dot, x)",))
_linalg(np.linalg.matrix_power, "a, n", "matrix_power_vjp(g, a, n)", None, dims=R.like("a"),
        domain={"a": "invertible", "n": "int"}, complex=HOLOMORPHIC,
        jvp=("matrix_power_jvp(a_dot, a, n)", None))


def _slogdet_pair(a):
    """``(sign, logabsdet)``: two values of ``a``'s batch shape."""
    if a.kind != R.ARRAY or a.shape is None:
        return R.AVal(R.OTHER, pytype=tuple, items=(R.UNKNOWN_AVAL, R.UNKNOWN_AVAL))
    batch = a.shape[:-2]
    value = R.AVal(R.ARRAY, a.dtype, batch) if batch else R.AVal(R.NP, a.dtype)
    return R.AVal(R.OTHER, pytype=tuple, items=(value, value))
