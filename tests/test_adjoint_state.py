"""The invariants of the reverse sweep's adjoint state (``transforms/adjoint_state.py``)."""

from srcdiff.transforms.adjoint_state import AdjointState, Lazy


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
