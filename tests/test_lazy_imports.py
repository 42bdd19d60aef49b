"""What ``import srcdiff`` leaves for later: the rule tables of the runtime's own helpers,
the runtime's less used families, forward mode, Jacobians, derivatives of derivatives and
the views are imported when first needed; collection is paused while srcdiff imports.
Each is checked in a fresh process, where nothing was imported before."""

import gc
import importlib
import pkgutil
import subprocess
import sys
import textwrap

import pytest

from srcdiff import runtime
from srcdiff.driver import collector
from srcdiff.primitives import HELPER_TABLES, REGISTRY
from srcdiff.primitives.registry import _key

LATER = ["srcdiff.transforms.forward", "srcdiff.transforms.tangents", "srcdiff.driver.higher",
         "srcdiff.driver.jacobians", "srcdiff.views.check", "threading"]
LATER += [f"srcdiff.primitives.{table}" for table in HELPER_TABLES]
LATER += [f"srcdiff.runtime.{module}" for module in runtime.LAZY]


def _fresh(code, tmp_path):
    """Run ``code`` in a new interpreter, beside a module ``shapes_of`` of functions."""
    (tmp_path / "shapes_of.py").write_text(textwrap.dedent("""
        import numpy as np

        def e(a, b):
            return (a + b) * (b + 1)

        def loss(w, x):
            return np.sum(np.tanh(x @ w) ** 2)

        def cubic(x):
            return np.sum(np.cumprod(x) ** 2)
    """))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_first_gradient_imports_only_what_it_needs(tmp_path):
    out = _fresh(f"""
        import gc, sys
        import numpy as np
        numpys = set(sys.modules)  # NumPy 2.2 imports threading itself
        import srcdiff, shapes_of
        enabled = [gc.isenabled()]
        print(srcdiff.gradient(shapes_of.e)(1.5, 2.5))
        print(np.round(srcdiff.gradient(shapes_of.loss)(np.ones((3, 2)), np.ones((4, 3))), 6))
        enabled.append(gc.isenabled())
        print(*enabled, *[m for m in {LATER!r} if m in sys.modules and m not in numpys])
    """, tmp_path)
    assert out[-2:] == ["True", "True"]  # nothing was left paused, and nothing more imported


def test_what_was_left_is_imported_when_needed(tmp_path):
    """A Hessian needs forward mode, the helpers' own rules and some late runtime families;
    a view, the checks; the answers are the same as with everything imported first."""
    code = """
        import numpy as np
        import srcdiff, shapes_of
        {first}
        x = np.array([1.0, 2.0, 0.5])
        print(np.round(srcdiff.hessian(shapes_of.cubic)(x), 6).ravel().tolist())
        print(srcdiff.check_grad(shapes_of.cubic, x).ok)
    """
    lazily = _fresh(code.format(first=""), tmp_path)
    eagerly = _fresh(code.format(first="import srcdiff.primitives.helpers, srcdiff.runtime."
                                       "linalg, srcdiff.driver.jacobians"), tmp_path)
    assert lazily == eagerly and lazily[-1] == "True"


def test_lazy_runtime_families_name_their_helpers():
    """``runtime.LAZY`` names each late family's helpers, as its ``__all__`` does; the other
    families are imported with the package. Every helper is a name of the package, and says
    so in its ``__module__`` (generated code imports it from there)."""
    eager = {"arithmetic", "containers", "reductions", "shapes"}
    families = {m.name for m in pkgutil.iter_modules(runtime.__path__)}
    assert families == eager | set(runtime.LAZY)
    for family, names in runtime.LAZY.items():
        module = importlib.import_module(f"srcdiff.runtime.{family}")
        assert sorted(module.__all__) == sorted(names), family
    assert len(set(runtime.__all__)) == len(runtime.__all__)
    for name in runtime.__all__:
        assert getattr(runtime, name).__module__ == "srcdiff.runtime", name
    with pytest.raises(AttributeError, match="no attribute 'no_such_helper'"):
        runtime.no_such_helper  # noqa: B018


def test_a_late_helper_is_listed_before_it_is_imported(tmp_path):
    out = _fresh("""
        import sys
        from srcdiff import runtime
        print("dual" in dir(runtime), "srcdiff.runtime.duals" in sys.modules)
    """, tmp_path)
    assert out == ["True", "False"]


def test_helper_tables_declare_only_helpers_no_other_table_declares():
    """A helper table is loaded when a helper without a rule is looked up: so it may declare
    nothing but helpers, and no helper another table declares (that one would be found
    first, and the helper table's overloads missed)."""
    rules = list(REGISTRY)
    late = [r for r in rules if r.family in HELPER_TABLES]
    assert late and all(r.fn.__module__ == "srcdiff.runtime" for r in late)
    early = {_key(r.fn) for r in rules if r.family not in HELPER_TABLES and not r.user}
    assert not [r.name for r in late if _key(r.fn) in early]


def test_a_users_rule_for_a_helper_outlives_the_helper_tables(tmp_path):
    out = _fresh("""
        import sys
        import srcdiff
        from srcdiff import runtime
        from srcdiff.primitives import REGISTRY
        before = "srcdiff.primitives.helpers" in sys.modules
        srcdiff.defvjp(runtime.scaled_power, lambda g, ans, c, x, k: g * 7.0, signature="c, x, k")
        (rule,) = REGISTRY.lookup(runtime.scaled_power)
        list(REGISTRY)
        (still,) = REGISTRY.lookup(runtime.scaled_power)
        print(before, rule.user, still.user, "srcdiff.primitives.helpers" in sys.modules)
    """, tmp_path)
    assert out == ["False", "True", "True", "True"]


def test_collection_is_back_on_after_a_long_lived_block():
    assert gc.isenabled()
    with collector.long_lived():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with collector.long_lived():
            raise ValueError
    assert gc.isenabled()


def test_collection_stays_off_where_it_was_off():
    gc.disable()
    try:
        with collector.long_lived():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_long_lived_block_made_goes_to_the_oldest_generation():
    """Collections would move srcdiff's modules to the oldest generation one at a time,
    traversing them each time; the import's block moves them there at once."""
    gc.collect()
    with collector.long_lived():
        made = [[index] for index in range(2000)]
    assert gc.get_count()[0] < 100 and gc.is_tracked(made[0])
    assert any(made[0] is obj for obj in gc.get_objects(generation=2))


def test_a_process_that_froze_objects_keeps_them_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector.long_lived():
            pass
        assert gc.get_freeze_count() == frozen > 0
    finally:
        gc.unfreeze()


def test_every_thread_finds_the_helpers_rules_while_a_table_loads(tmp_path):
    """Threads look up helpers at once: the first loads the helper tables, and the others
    must wait for it rather than find a helper without a rule."""
    out = _fresh("""
        import sys
        import threading
        import srcdiff
        from srcdiff import runtime
        from srcdiff.primitives import REGISTRY
        sys.setswitchinterval(1e-6)  # switch threads inside the loading of a table
        helpers = [getattr(runtime, name) for name in
                   ("scaled_power", "unbroadcast", "one_hot", "cumprod_tangent", "dual")]
        missing = []
        barrier = threading.Barrier(8)

        def look():
            barrier.wait()
            for helper in helpers:
                if not REGISTRY.lookup(helper):
                    missing.append(helper.__name__)
        threads = [threading.Thread(target=look) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(missing), *missing)
    """, tmp_path)
    assert out == ["0"]
