"""A gradient needs a scalar result on every path the function can take."""

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError, runtime


def array_on_one_branch(x, flag):
    if flag > 0:
        return x * 2.0
    return np.sum(x)


def scalar_on_both_branches(x, flag):
    if flag > 0:
        return np.sum(x * 2.0)
    return np.sum(x)


def squeezed(x: np.ndarray):
    return np.squeeze(x) * 2.0


def test_an_array_returned_on_one_path_is_refused_where_it_is_returned():
    with pytest.raises(SrcdiffError) as caught:
        srcdiff.gradient(array_on_one_branch)(np.ones(3), 1)
    error = caught.value
    assert "returns an array (float64[3])" in str(error)
    assert error.lineno == array_on_one_branch.__code__.co_firstlineno + 2
    assert srcdiff.gradient(scalar_on_both_branches)(np.ones(3), 1) == pytest.approx(
        np.full(3, 2.0))


def test_a_result_of_unknown_rank_is_checked_when_the_code_runs():
    text = srcdiff.source(squeezed)
    assert "check_scalar(" in text
    namespace = {"np": np}
    exec(compile(text, "<squeezed_grad>", "exec"), namespace)
    assert namespace["squeezed_grad"](np.array([[3.0]])) == np.array([[2.0]])
    with pytest.raises(SrcdiffError, match="squeezed returned an array of shape"):
        namespace["squeezed_grad"](np.ones((2, 1)))
    assert runtime.check_scalar(np.array(2.0), "f") == 2.0
    with pytest.raises(SrcdiffError, match="f returned an array of shape"):
        runtime.check_scalar(np.ones((1, 2)), "f")
