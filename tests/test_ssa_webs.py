"""SSA webs: the values one variable of the generated code holds. A write in place
(``y[i] = v``, ``lst.append(v)``) makes a new SSA value of the same object, so it joins the
web of the value it changes; the tape, the adjoint state and the emitted names all read
storage from the webs, so no other place decides that a store's array keeps its name."""

import numpy as np

from srcdiff.frontend import callees
from srcdiff.ir import nodes as ir
from srcdiff.ir.ssa import SSA
from srcdiff.primitives.calls import Callee


def _ssa_of(fn):
    fn_ir, _ = callees.lowered(Callee(fn.__name__, fn=fn))
    return fn_ir, SSA(fn_ir)


def _assignments(fn_ir, target):
    return [s for s in ir.walk(fn_ir.body) if isinstance(s, ir.Assign) and s.target == target]


def f(x):
    y = np.zeros(3)
    y[0] = x
    y[1] += x
    acc = []
    acc.append(x)
    acc.append(y)
    z = y * 2.0
    return z, acc


def test_stores_and_appends_join_the_web_of_what_they_change():
    fn_ir, ssa = _ssa_of(f)
    made, stored, added = _assignments(fn_ir, "y")
    assert ssa.web(stored) is ssa.web(made) and ssa.web(added) is ssa.web(made)
    empty, first, second = _assignments(fn_ir, "acc")
    assert ssa.web(first) is ssa.web(empty) and ssa.web(second) is ssa.web(empty)


def test_a_new_value_starts_a_web_of_its_own():
    fn_ir, ssa = _ssa_of(f)
    (z,) = _assignments(fn_ir, "z")
    (y, *_) = _assignments(fn_ir, "y")
    assert ssa.web(z) is not ssa.web(y)


def test_parameters_of_one_name_are_one_object():
    """The analyses key their tables by values; parameters, asked for by name everywhere,
    are one object per name, so that they hash and compare as fast as statements do, and
    copies keep being that object."""
    import copy
    import pickle
    import threading

    from srcdiff.ir.ssa import Param

    made = []
    barrier = threading.Barrier(4)

    def make():
        barrier.wait()
        made.append(Param("interned_in_threads"))
    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = made[0]
    assert all(p is first for p in made) and Param("interned_in_threads") is first
    assert copy.deepcopy(first) is first and pickle.loads(pickle.dumps(first)) is first
    assert Param("a") == Param("a") and Param("a") != Param("b")
    assert {Param("a"): 1}[Param("a")] == 1
