"""Helpers for the adjoints of products and linear algebra where ranks, batches or
broadcasting are known only at run time, and where the textbook formula needs an inverse
that may not exist (``adjugate``); and for the tangents of the decompositions."""

import numpy as np

from .arithmetic import cast_like, unbroadcast
from .reductions import product_of_others

__all__ = [
    "matmul_lhs_vjp", "matmul_rhs_vjp", "dot_lhs_vjp", "dot_rhs_vjp", "tensordot_lhs_vjp",
    "tensordot_rhs_vjp", "inner_lhs_vjp", "inner_rhs_vjp", "kron_vjp", "einsum_labels",
    "einsum_swapped", "einsum_like", "solve_rhs_vjp", "solve_lhs_vjp", "cholesky_vjp",
    "eigvalsh_vjp", "svdvals_vjp", "matrix_power_vjp", "adjugate", "polyval_derivative",
    "polyval_coefficients_vjp", "linspace_vjp", "cholesky_jvp", "eigvalsh_jvp", "svdvals_jvp",
    "matrix_power_jvp",
]


def matmul_lhs_vjp(g, a, b):
    """Adjoint of ``a`` in ``a @ b`` for any ranks (NumPy's matmul rules, batches included)."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        result = np.multiply.outer(g, b) if a.ndim > 1 else g * b
    elif a.ndim == 1:
        result = (b @ g[..., None])[..., 0]
    else:
        result = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(result, a)


def matmul_rhs_vjp(g, a, b):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 1:
        result = a[:, None] * g[..., None, :] if b.ndim > 1 else g * a
    elif b.ndim == 1:
        result = np.swapaxes(a, -1, -2) @ g[..., None]
        result = result[..., 0]
    else:
        result = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(result, b)


def dot_lhs_vjp(g, a, b):
    """Adjoint of ``a`` in ``np.dot(a, b)``: scalars, vectors, matrices, and N-d arrays
    (a sum over the last axis of ``a`` and the second-to-last of ``b``)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return tensordot_lhs_vjp(g, a, b, _dot_axes(b))
    return matmul_lhs_vjp(g, a, b)


def dot_rhs_vjp(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return tensordot_rhs_vjp(g, a, b, _dot_axes(b))
    return matmul_rhs_vjp(g, a, b)


def _dot_axes(b):
    return ((-1,), (-2 if np.ndim(b) > 1 else -1,))


def _tensordot_axes(axes, a_ndim, b_ndim):
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(a_ndim - n, a_ndim)), list(range(n))
    a_axes, b_axes = axes
    a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
    b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    return [x % a_ndim for x in a_axes], [x % b_ndim for x in b_axes]


def tensordot_lhs_vjp(g, a, b, axes=2):
    """The adjoint of ``a`` in ``np.tensordot(a, b, axes)``."""
    a, b = np.asarray(a), np.asarray(b)
    a_axes, b_axes = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    g_b = list(range(len(a_free), len(a_free) + len(b_free)))
    result = np.tensordot(g, b, axes=(g_b, b_free))
    order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    return cast_like(np.transpose(result, np.argsort(order)), a)


def tensordot_rhs_vjp(g, a, b, axes=2):
    """The adjoint of ``b`` in ``np.tensordot(a, b, axes)``."""
    a, b = np.asarray(a), np.asarray(b)
    a_axes, b_axes = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    result = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return cast_like(np.transpose(result, np.argsort(order)), b)


def inner_lhs_vjp(g, a, b):
    """The adjoint of ``a`` in ``np.inner(a, b)`` (a sum over both last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return tensordot_lhs_vjp(g, a, b, ((-1,), (-1,)))


def inner_rhs_vjp(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return tensordot_rhs_vjp(g, a, b, ((-1,), (-1,)))


def kron_vjp(g, a, b, wrt="a"):
    """The adjoint of ``a`` (or ``b``) in ``np.kron(a, b)``."""
    a, b = np.asarray(a), np.asarray(b)
    ndim = max(a.ndim, b.ndim)
    sa = (1,) * (ndim - a.ndim) + a.shape
    sb = (1,) * (ndim - b.ndim) + b.shape
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    outer, inner = range(0, 2 * ndim, 2), range(1, 2 * ndim, 2)
    if wrt == "a":
        result = np.tensordot(blocks, b.reshape(sb), axes=(list(inner), list(range(ndim))))
        return cast_like(result.reshape(a.shape), a)
    result = np.tensordot(blocks, a.reshape(sa), axes=(list(outer), list(range(ndim))))
    return cast_like(result.reshape(b.shape), b)


def einsum_labels(subscripts, ndims):
    """Input and output labels with any ellipsis spelled out in capital letters."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    ellipsis_dims = max((n - len(t.replace("...", "")) for t, n in zip(terms, ndims)
                         if "..." in t), default=0)
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in text][:ellipsis_dims]
    expanded = []
    for term, n in zip(terms, ndims):
        if "..." in term:
            k = n - len(term.replace("...", ""))
            term = term.replace("...", "".join(spare[ellipsis_dims - k:]))
        expanded.append(term)
    if arrow:
        output = output.replace("...", "".join(spare))
    else:
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = "".join(spare) + "".join(sorted(c for c, k in counts.items()
                                                 if k == 1 and c not in spare))
    return expanded, output


def einsum_swapped(subscripts, index):
    """``subscripts`` with the output's labels and those of operand ``index`` trading places
    (an implicit output written out): ``einsum_swapped("ij,jk->ik", 0)`` is
    ``"ik,jk->ij"``, the subscripts of ``a``'s adjoint in ``np.einsum("ij,jk->ik", a, b)``
    (for :func:`einsum_like`, with ``g`` in ``a``'s place)."""
    terms, output = _explicit(subscripts)
    terms[index], output = output, terms[index]
    return ",".join(terms) + "->" + output


def _explicit(subscripts):
    """The operands' labels and the output's, which in implicit mode are the ellipsis and
    then the labels used once, in alphabetical order."""
    inputs, arrow, output = subscripts.replace(" ", "").partition("->")
    terms = inputs.split(",")
    if not arrow:
        letters = inputs.replace("...", "").replace(",", "")
        output = ("..." if "..." in inputs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    return terms, output


def einsum_like(subscripts, like, *operands):
    """The einsum of ``operands`` into an array of ``like``'s shape: the gradient in
    ``like`` of the sum over all labels of the product of ``like`` and the operands, each
    indexed by its labels (output labels included). So the output may repeat a label (a
    diagonal, the rest zero), use one no operand has (the result repeats along it), or
    have size 1 where the operands broadcast (summed), and every operand's adjoint in
    ``np.einsum`` is such an einsum, of ``g`` and the other operands, into the operand
    (:func:`einsum_swapped` gives its subscripts). That sum is linear in each array, so
    the derivatives of an ``einsum_like`` are ``einsum_like`` again, of every order."""
    arrays = [np.asarray(x) for x in operands]
    terms, output = _explicit(subscripts)
    terms, output = _ellipses_named(terms + [output], [x.ndim for x in arrays] + [np.ndim(like)])
    sizes = {}
    for term, shape in zip(terms + [output], [x.shape for x in arrays] + [np.shape(like)]):
        for label, size in zip(term, shape):
            sizes[label] = max(sizes.get(label, 1), size)
    unique = "".join(dict.fromkeys(output))
    missing = "".join(c for c in unique if not any(c in term for term in terms))
    if missing:
        terms, arrays = terms + [missing], arrays + [np.ones([sizes[c] for c in missing])]
    result = np.einsum(",".join(terms) + "->" + unique, *arrays)
    if unique != output:
        result = np.broadcast_to(result, [sizes[c] for c in unique])
        diagonal = np.zeros([sizes[c] for c in output], result.dtype)
        np.einsum(output + "->" + unique, diagonal)[...] = result
        result = diagonal
    result = np.broadcast_to(unbroadcast(result, like), np.shape(like))
    if not result.flags.writeable or any(np.shares_memory(result, x) for x in arrays):
        result = result.copy()
    return cast_like(result, like)


def _ellipses_named(terms, ndims):
    """The terms with each ellipsis spelled out in unused capital letters, right-aligned
    as broadcasting aligns axes."""
    used = "".join(terms)
    counts = [n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t]
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used][:max(counts, default=0)]
    named = []
    for term, n in zip(terms, ndims):
        if "..." in term:
            k = n - len(term.replace("...", ""))
            term = term.replace("...", "".join(spare[len(spare) - k:]))
        named.append(term)
    return named[:-1], named[-1]


def solve_rhs_vjp(g, a, b):
    """The adjoint of ``b`` in ``np.linalg.solve(a, b)`` (stacks and broadcasting included)."""
    a = np.asarray(a)
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        result = np.linalg.solve(at, np.asarray(g)[..., None])[..., 0]
    else:
        result = np.linalg.solve(at, g)
    return unbroadcast(result, b)


def solve_lhs_vjp(g, ans, a, b):
    """The adjoint of ``a`` in ``x = np.linalg.solve(a, b)``: ``-solve(a.T, g) @ x.T``."""
    a = np.asarray(a)
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        b_bar = np.linalg.solve(at, np.asarray(g)[..., None])
        result = -b_bar * np.asarray(ans)[..., None, :]
    else:
        result = -np.linalg.solve(at, g) @ np.swapaxes(ans, -1, -2)
    return unbroadcast(result, a)


def _lower_part(sym):
    """NumPy's symmetric routines read only the lower triangle: the adjoint of a symmetric
    matrix's entries, moved onto the lower triangle that was read."""
    n = sym.shape[-1]
    return np.tril(2.0 * sym) - sym * np.eye(n, dtype=sym.dtype)


def _symmetric_read(a_dot, UPLO="L"):
    """The symmetric matrix NumPy's symmetric routines see when ``a`` moves by ``a_dot``:
    its lower (or upper) triangle mirrored. The transpose of :func:`_lower_part`."""
    a_dot = np.asarray(a_dot)
    if UPLO != "L":
        a_dot = np.swapaxes(a_dot, -1, -2)
    return np.tril(a_dot) + np.swapaxes(np.tril(a_dot, -1), -1, -2)


def cholesky_jvp(a_dot, L):
    """The tangent of ``L = np.linalg.cholesky(a)``: ``L Phi(L^-1 S L^-T)``, with ``S`` the
    symmetric tangent of the lower triangle NumPy reads and ``Phi`` the lower triangle with
    its diagonal halved."""
    L = np.asarray(L)
    inv = np.linalg.inv(L)
    inner = inv @ _symmetric_read(a_dot) @ np.swapaxes(inv, -1, -2)
    phi = np.tril(inner) - 0.5 * inner * np.eye(L.shape[-1], dtype=L.dtype)
    return L @ phi


def eigvalsh_jvp(a_dot, a, UPLO="L"):
    """The tangent of ``np.linalg.eigvalsh(a, UPLO)``: ``v_i^T S v_i`` for each eigenvector
    ``v_i``, with ``S`` the symmetric tangent of the triangle read (distinct eigenvalues)."""
    _, v = np.linalg.eigh(np.asarray(a), UPLO=UPLO)
    return np.einsum("...ji,...jk,...ki->...i", v, _symmetric_read(a_dot, UPLO), v)


def svdvals_jvp(x_dot, x):
    """The tangent of ``np.linalg.svdvals(x)``: ``u_i^T x_dot v_i`` for each pair of singular
    vectors (singular values distinct and nonzero)."""
    u, _, vt = np.linalg.svd(np.asarray(x), full_matrices=False)
    return np.einsum("...ji,...jk,...ik->...i", u, x_dot, vt)


def matrix_power_jvp(a_dot, a, n):
    """The tangent of ``np.linalg.matrix_power(a, n)``: ``sum_k a^k a_dot a^(n-1-k)``, and
    for a negative ``n`` the same of the inverse, whose tangent is ``-inv a_dot inv``."""
    a, a_dot = np.asarray(a), np.asarray(a_dot)
    if n == 0:
        return np.zeros(np.broadcast_shapes(a.shape, a_dot.shape), dtype=np.result_type(a, a_dot))
    if n < 0:
        inv = np.linalg.inv(a)
        return matrix_power_jvp(-inv @ a_dot @ inv, inv, -n)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return sum(powers[k] @ a_dot @ powers[n - 1 - k] for k in range(n))


def cholesky_vjp(g, L):
    """The adjoint of ``np.linalg.cholesky(a)`` (``L = ans``): Murray's formula
    ``L^-T Phi(L^T g) L^-1`` symmetrized, on the lower triangle that NumPy reads."""
    L = np.asarray(L)
    n = L.shape[-1]
    p = np.tril(np.swapaxes(L, -1, -2) @ g)
    p = p - 0.5 * p * np.eye(n, dtype=L.dtype)
    inv = np.linalg.inv(L)
    s = np.swapaxes(inv, -1, -2) @ p @ inv
    return cast_like(_lower_part(0.5 * (s + np.swapaxes(s, -1, -2))), L)


def eigvalsh_vjp(g, a, UPLO="L"):
    """The adjoint of ``np.linalg.eigvalsh(a, UPLO)``: ``V diag(g) V^T`` on the triangle read
    (eigenvalues assumed distinct)."""
    a = np.asarray(a)
    _, v = np.linalg.eigh(a, UPLO=UPLO)
    sym = (v * np.asarray(g)[..., None, :]) @ np.swapaxes(v, -1, -2)
    lower = _lower_part(sym)
    result = lower if UPLO == "L" else np.swapaxes(lower, -1, -2)
    return cast_like(result, a)


def svdvals_vjp(g, x):
    """The adjoint of ``np.linalg.svdvals(x)``: ``U diag(g) V^T`` (singular values assumed
    distinct and nonzero)."""
    x = np.asarray(x)
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    return cast_like((u * np.asarray(g)[..., None, :]) @ vt, x)


def matrix_power_vjp(g, a, n):
    """The adjoint of ``np.linalg.matrix_power(a, n)``."""
    a = np.asarray(a)
    if n == 0:
        return np.zeros_like(a)
    if n < 0:
        inv = np.linalg.inv(a)
        inv_bar = matrix_power_vjp(g, inv, -n)
        inv_t = np.swapaxes(inv, -1, -2)
        return cast_like(-inv_t @ inv_bar @ inv_t, a)
    at = np.swapaxes(a, -1, -2)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ at)
    total = sum(powers[k] @ g @ powers[n - 1 - k] for k in range(n))
    return cast_like(total, a)


def adjugate(a):
    """The adjugate of a square matrix (or a stack of them), ``det(a) * inv(a)`` where ``a``
    is invertible. The derivative of ``det(a)`` is ``adjugate(a).T``, which exists for
    singular matrices too: there the adjugate comes from the SVD ``a = u s vt`` as
    ``det(u) det(vt) vt^H diag(products of the other singular values) u^H``."""
    a = np.asarray(a)
    try:
        with np.errstate(all="ignore"):
            inverse = np.linalg.inv(a)
        if np.all(np.isfinite(inverse)):
            return np.linalg.det(a)[..., None, None] * inverse
    except np.linalg.LinAlgError:
        pass
    u, s, vt = np.linalg.svd(a)
    scale = np.linalg.det(u) * np.linalg.det(vt)
    others = product_of_others(s, -1)
    adjoint = np.conj(np.swapaxes(vt, -1, -2)) * others[..., None, :] @ np.conj(
        np.swapaxes(u, -1, -2))
    return scale[..., None, None] * adjoint


def polyval_derivative(p, x, order=1):
    """The derivative (of the given order) of the polynomial ``p`` at ``x``, in ``x``'s
    precision. It is a factor of the adjoint, not the adjoint: complex coefficients give a
    complex slope even at a real ``x``, whose real part is taken only after the product
    with ``g``."""
    slope = np.polyval(np.polyder(p, order), x)
    if np.iscomplexobj(slope) and not np.iscomplexobj(x):
        return slope
    return cast_like(slope, x)


def polyval_coefficients_vjp(g, p, x, order=0):
    """The adjoint of the coefficients ``p`` in ``np.polyval(p, x)`` (``order`` > 0: in
    ``polyval_derivative(p, x, order)``, whose terms are the powers' derivatives)."""
    p = np.asarray(p)
    powers = np.arange(p.shape[0] - 1, -1, -1)
    falling = np.prod([powers - k for k in range(order)], axis=0) if order else 1
    x = np.asarray(x)
    terms = falling * np.power.outer(x, np.maximum(powers - order, 0))
    return cast_like(np.tensordot(np.broadcast_to(g, x.shape), terms, axes=x.ndim), p)


def linspace_vjp(g, start, stop, num, endpoint=True, wrt="start"):
    """The adjoint of ``start`` or ``stop`` in ``np.linspace(start, stop, num, endpoint)``
    for array endpoints (the samples run along the first axis)."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    weights = 1.0 - t if wrt == "start" else t
    summed = np.tensordot(weights, g, axes=(0, 0))
    return cast_like(unbroadcast(summed, start if wrt == "start" else stop),
                     start if wrt == "start" else stop)
