"""The invariants of the reverse sweep's adjoint state (``transforms/adjoint_state.py``)."""

import numpy as np

import srcdiff
from srcdiff.ir import avals, code
from srcdiff.ir.avals import ARRAY, PY
from srcdiff.ir.code import ADJ, DEF
from srcdiff.transforms.adjoint_state import Adjoints, AdjointState, Lazy


def test_a_copy_is_a_state_of_its_own():
    """What one path of a branch binds or comes to own does not reach the other path."""
    state = AdjointState({"x": "x_bar", "y": Lazy(1.0)}, owned={"y"})
    body, orelse = state.copy(), state.copy()
    body["x"] = "copy"
    body.owned.add("x")
    body.pop("y")
    assert orelse["x"] == "x_bar" and "y" in orelse and orelse.owned == {"y"}
    assert state["x"] == "x_bar" and state.owned == {"y"}


def test_restricted_keeps_the_named_adjoints_and_their_ownership_apart():
    state = AdjointState({"x": "x_bar", "y": "y_bar", "z": "z_bar"}, owned={"x", "z"})
    body = state.restricted({"x", "y"})
    assert set(body) == {"x", "y"} and body.owned == {"x", "z"}
    body.owned.discard("x")
    assert state.owned == {"x", "z"}


def test_iteration_gives_variables_only_and_clear_forgets_ownership():
    state = AdjointState({"x": "x_bar"}, owned={"x"})
    assert list(state) == ["x"] and len(state) == 1 and "x" in state
    assert state.get("missing") is None and state.pop("missing") is None
    state.clear()
    assert not list(state) and not state.owned


def _accumulated(contribution, web="t1", last="t3", kind=PY, passed_through=True):
    """The lines and state after ``web`` receives ``contribution`` while the sweep walks back
    over ``last``, in code that overwrites nothing (``passed_through``) or not."""
    avals = {"t1": AVALS[kind], "y": AVALS[kind], "t3": AVALS[kind]}
    adjoints = Adjoints(lambda w: avals[w], lambda w: w, lambda node: kind == PY,
                        passed_through=(lambda w: w.startswith("t")) if passed_through
                        else None)
    state = AdjointState()
    lines = adjoints.accumulate({web: [contribution]}, state, last=last)
    return lines, state


AVALS = {PY: avals.of_value(1.0), ARRAY: avals.of_value(np.ones(3))}


def test_a_temporary_whose_adjoint_is_a_value_names_that_value():
    """``t1_bar`` would be ``t2``: nothing is written, and the sweep reads ``t2``."""
    lines, state = _accumulated(code.ref(DEF, "t2"))
    assert lines == [] and code.ref_of(state["t1"]) == (DEF, "t2")
    lines, state = _accumulated(code.ref(ADJ, "t3"))  # the complete adjoint of the value
    assert lines == [] and code.ref_of(state["t1"]) == (ADJ, "t3")  # walked back over


def test_an_adjoint_still_growing_a_user_variable_or_an_array_is_written():
    for contribution, options in [
            (code.ref(ADJ, "x"), {}),  # x's adjoint may still change
            (code.ref(DEF, "t2"), {"web": "y"}),  # a user's variable keeps its adjoint
            (code.ref(DEF, "t2"), {"kind": ARRAY}),  # arrays: ownership decides copies
            (code.ref(DEF, "t2"), {"passed_through": False})]:  # values may be restored
        lines, state = _accumulated(contribution, **options)
        web = options.get("web", "t1")
        assert [line.target for line in lines] == [(ADJ, web)]
        assert code.ref_of(state[web]) == (ADJ, web)


def test_a_passed_through_adjoint_gives_the_code_a_hand_would_write():
    def e(a, b):
        return (a + b) * (b + 1)

    text = srcdiff.source(e, wrt=(0, 1), args=(1.5, 2.5))
    assert "t1_bar" not in text and "t2_bar" not in text
    assert srcdiff.gradient(e, wrt=(0, 1))(1.5, 2.5) == (3.5, 7.5)
