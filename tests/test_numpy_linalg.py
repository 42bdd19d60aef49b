"""Products and linear algebra in whole programs, and the code they read as."""

import numpy as np
from finite_diff import central_difference

import srcdiff

RNG = np.random.default_rng(7)


def fd_check(fn, args, wrt=0, rtol=1e-6, atol=1e-8):
    grad = srcdiff.gradient(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(grad, central_difference(fn, tuple(args), wrt), rtol=rtol,
                               atol=atol)
    return grad


def test_least_squares(module_from):
    mod = module_from("""
        import numpy as np

        def loss(w, a, y):
            r = a @ w - y
            return 0.5 * np.dot(r, r)
        """)
    a, y, w = RNG.normal(size=(5, 3)), RNG.normal(size=5), RNG.normal(size=3)
    grad = fd_check(mod.loss, (w, a, y))
    np.testing.assert_allclose(grad, a.T @ (a @ w - y))


def test_einsum_adjoints_are_einsums(module_from):
    mod = module_from("""
        import numpy as np

        def f(a, b):
            return np.sum(np.einsum("ij,jk->ik", a, b) ** 2)
        """)
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    fd_check(mod.f, (a, b), wrt=0)
    fd_check(mod.f, (a, b), wrt=1)
    text = srcdiff.source(mod.f, wrt=(0, 1), args=(a, b))
    assert "a_bar = np.einsum('ik,jk->ij', t1_bar, b)" in text
    assert "b_bar = np.einsum('ik,ij->jk', t1_bar, a)" in text


def test_batched_matmul_reads_as_swapaxes(module_from):
    mod = module_from("""
        import numpy as np

        def f(a, b):
            return np.sum(np.tanh(a @ b))
        """)
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
    fd_check(mod.f, (a, b), wrt=0)
    fd_check(mod.f, (a, b), wrt=1)
    text = srcdiff.source(mod.f, wrt=(0, 1), args=(a, b))
    assert "@ np.swapaxes(b, -1, -2)" in text and "np.swapaxes(a, -1, -2) @" in text


def test_inverse_determinant_and_solve_agree(module_from):
    mod = module_from("""
        import numpy as np

        def by_solve(a, b):
            return np.sum(np.linalg.solve(a, b) ** 2) + np.log(np.abs(np.linalg.det(a)))

        def by_inverse(a, b):
            return np.sum((np.linalg.inv(a) @ b) ** 2) + np.log(np.abs(np.linalg.det(a)))
        """)
    a = RNG.normal(size=(3, 3)) + 3.0 * np.eye(3)
    b = RNG.normal(size=3)
    g1 = fd_check(mod.by_solve, (a, b))
    g2 = fd_check(mod.by_inverse, (a, b))
    np.testing.assert_allclose(g1, g2, rtol=1e-10)
    text = srcdiff.source(mod.by_solve, args=(a, b))
    assert "np.linalg.solve(a.T, " in text and "adjugate(a).T" in text


def test_cholesky_of_a_gram_matrix(module_from):
    mod = module_from("""
        import numpy as np

        WEIGHTS = np.arange(9.0).reshape(3, 3)

        def f(b):
            a = np.matmul(b, np.transpose(b)) + 3.0 * np.eye(3)
            return np.sum(np.linalg.cholesky(a) * WEIGHTS)
        """)
    fd_check(mod.f, (RNG.normal(size=(3, 3)),))


def test_tensordot_and_trace(module_from):
    mod = module_from("""
        import numpy as np

        def f(a, b):
            return np.trace(np.tensordot(a, b, axes=((1, 2), (2, 0))))
        """)
    a, b = RNG.normal(size=(3, 2, 4)), RNG.normal(size=(4, 3, 2))
    fd_check(mod.f, (a, b), wrt=0)
    fd_check(mod.f, (a, b), wrt=1)


def test_dot_of_higher_rank_arrays(module_from):
    mod = module_from("""
        import numpy as np

        def f(a, b):
            return np.sum(np.sin(np.dot(a, b)))
        """)
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(5, 4, 2))
    fd_check(mod.f, (a, b), wrt=0)
    fd_check(mod.f, (a, b), wrt=1)


def test_slogdet_unpacked(module_from):
    mod = module_from("""
        import numpy as np

        def f(a):
            sign, logdet = np.linalg.slogdet(a)
            return logdet
        """)
    a = RNG.normal(size=(3, 3)) + 3.0 * np.eye(3)
    np.testing.assert_allclose(srcdiff.gradient(mod.f)(a), np.linalg.inv(a).T)
