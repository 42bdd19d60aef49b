"""The primitive protocol: each primitive answers for itself what the analyses and the
reverse sweep ask of it (its effects, what its VJP reads, which sweep method transposes it),
so that nothing outside ``srcdiff.primitives`` branches on what kind of primitive it is."""

import operator

import gast
import numpy as np
import pytest

from srcdiff.ir import avals
from srcdiff.ir import nodes as ir
from srcdiff.ir.avals import ARRAY, OTHER, PY, AVal
from srcdiff.primitives import REGISTRY, RuleError, calls, containers, effects, indexing
from srcdiff.primitives.protocol import Refusal, Rule, Site
from srcdiff.primitives.registry import declare
from srcdiff.transforms.forward import _Forward
from srcdiff.transforms.reverse import _Reverse

FLOAT = AVal(PY, float)
VECTOR = AVal(ARRAY, np.dtype(float), (3,))
SOMETIME_VECTOR = AVal(ARRAY, np.dtype(float), (None,))


def _rule(fn):
    return REGISTRY.lookup(fn)[0]


def _call(rule, *names, index=None):
    return ir.Call(rule, tuple(ir.Var(n) for n in names), (), None, index)


class _Recorder:
    """A reverse sweep that records which of its methods a primitive calls."""

    def __init__(self):
        self.called = []

    def __getattr__(self, name):
        def method(*args):
            self.called.append(name)
            return {}
        return method


def _callee_rule():
    def h(a, b=2.0):
        return a * b
    return calls.callee_rule(calls.Callee("h", fn=h), None, None)


STRUCTURAL = {
    "index": indexing.rule(1),
    "store": indexing.store_rule(1),
    "pack": containers.pack_rule(tuple, 2),
    "append": containers.append_rule(),
    "call": _callee_rule(),
    "template": _rule(operator.mul),
}
# By class: (method that walks back over the statement, method that transposes the call)
DISPATCH = {
    "IndexRule": ("reverse_call", "index_adjoint"),
    "StoreRule": ("reverse_store", None),
    "PackRule": ("reverse_call", "unpack_adjoint"),
    "AppendRule": ("reverse_append", None),
    "ShrinkRule": ("reverse_shrink", None),
    "CallRule": ("reverse_call", "user_call"),
    "EffectRule": ("reverse_call", "contributions"),
    "Rule": ("reverse_call", "contributions"),
}


def test_the_registry_holds_an_example_of_every_structural_primitive():
    kinds = {type(rule).__name__ for rule in REGISTRY.structural.values()}
    assert kinds == set(DISPATCH) - {"Rule"}
    assert all(rule.adjoint_text for rule in REGISTRY.structural.values())


@pytest.mark.parametrize("form", sorted(REGISTRY.structural) + ["x * y"])
def test_each_primitive_names_the_sweep_method_that_transposes_it(form):
    rule = REGISTRY.structural.get(form) or _rule(operator.mul)
    walk, transpose = DISPATCH[type(rule).__name__]
    sweep = _Recorder()
    rule.reverse_statement(sweep, None, {})
    assert sweep.called == [walk]
    assert hasattr(_Reverse, walk)
    if transpose is not None:
        sweep = _Recorder()
        rule.adjoint(sweep, None, None, {}, [])
        assert sweep.called == [transpose]
        assert hasattr(_Reverse, transpose)


# By class: the forward transform's method that makes the statement's tangent
TANGENTS = {"IndexRule": "tangent_index", "StoreRule": "tangent_store",
            "PackRule": "tangent_pack", "AppendRule": "tangent_append",
            "ShrinkRule": "tangent_shrink", "CallRule": "tangent_user_call",
            "EffectRule": "primal_only", "Rule": "tangent_call"}


@pytest.mark.parametrize("form", sorted(REGISTRY.structural) + ["x * y"])
def test_each_primitive_names_the_method_that_makes_its_tangent(form):
    rule = REGISTRY.structural.get(form) or _rule(operator.mul)
    sweep = _Recorder()
    rule.tangent_statement(sweep, None)
    assert sweep.called == [TANGENTS[type(rule).__name__]]
    assert hasattr(_Forward, sweep.called[0])


@pytest.mark.parametrize("label", sorted(STRUCTURAL))
def test_effects_are_consistent(label):
    rule = STRUCTURAL[label]
    assert rule.writes is None or rule.writes in rule.params
    assert not rule.writes_part or rule.writes is not None
    assert not rule.grows_list or rule.writes is not None
    assert not rule.reads_part or rule.writes is None


def test_effects_say_what_changes_in_place():
    assert STRUCTURAL["store"].writes == "x" and STRUCTURAL["store"].writes_part
    assert STRUCTURAL["append"].writes == "lst" and STRUCTURAL["append"].grows_list
    assert STRUCTURAL["append"].statement_only
    assert effects.print_call([], []).rule.statement_only
    assert all(STRUCTURAL[k].writes is None for k in ("index", "pack", "call", "template"))
    assert not STRUCTURAL["call"].pure and not effects.print_call([], []).rule.pure
    assert STRUCTURAL["call"].callee is not None and STRUCTURAL["template"].callee is None


def test_a_template_vjp_reads_what_its_active_templates_name():
    mul = _rule(operator.mul)
    call = _call(mul, "x", "y")
    both = mul.vjp_reads(call, {"x": FLOAT, "y": FLOAT}, FLOAT, {"x", "y"}, None)
    assert both == {"x", "y"}
    assert mul.vjp_reads(call, {"x": FLOAT, "y": FLOAT}, FLOAT, {"x"}, None) == {"y"}
    exp = _rule(np.exp)
    assert exp.vjp_reads(_call(exp, "x"), {"x": VECTOR}, VECTOR, {"x"}, None) == {"ans"}


def test_a_broadcast_only_known_at_run_time_reads_the_operand():
    """``x + y`` with shapes known only when the code runs: ``unbroadcast(g, x)``."""
    add = _rule(operator.add)
    call = _call(add, "x", "y")
    args = {"x": SOMETIME_VECTOR, "y": VECTOR}
    assert add.vjp_reads(call, args, SOMETIME_VECTOR, {"x"}, None) == {"x"}
    known = {"x": VECTOR, "y": VECTOR}
    assert add.vjp_reads(call, known, VECTOR, {"x"}, None) == set()


def test_an_inactive_primitive_reads_nothing():
    lt = _rule(operator.lt)
    assert not lt.has_vjp
    assert lt.vjp_reads(_call(lt, "x", "y"), {"x": FLOAT, "y": FLOAT}, AVal(PY, bool),
                        {"x", "y"}, None) == set()


def test_indexing_reads_its_index_and_the_array_only_where_its_shape_is_unknown():
    rule = indexing.rule(1)
    call = _call(rule, "x", "i", index=indexing.placeholder(0))
    integer = AVal(PY, int)
    assert rule.vjp_reads(call, {"x": VECTOR, "i0": integer}, FLOAT, {"x"}, None) == {"i0"}
    unknown = avals.array(1, float)
    assert rule.vjp_reads(call, {"x": unknown, "i0": integer}, FLOAT, {"x"}, None) == {
        "i0", "x"}


def test_a_store_reads_the_value_where_its_part_is_summed_back_at_run_time():
    rule = indexing.store_rule(0)
    call = _call(rule, "y", "v", index=gast.Slice(lower=None, upper=None, step=None))
    site = Site(None, None)
    fixed = rule.vjp_reads(call, {"x": VECTOR, "v": VECTOR}, VECTOR, {"x", "v"}, site)
    assert fixed == set()
    later = rule.vjp_reads(call, {"x": VECTOR, "v": SOMETIME_VECTOR}, VECTOR, {"v"}, site)
    assert later == {"v"}


def test_sums_and_means_spread_their_adjoint():
    assert _rule(np.sum).spread is not None and not _rule(np.sum).spread.divides
    assert _rule(np.mean).spread.divides
    assert _rule(np.prod).spread is None


def test_every_rule_answers_the_protocol():
    """Every registered rule is a Rule whose effects and families are consistent: a rule
    without a VJP is not asked to transpose anything, and none writes in place."""
    for rule in REGISTRY:
        assert isinstance(rule, Rule), rule.name
        assert rule.writes is None and rule.callee is None, rule.name
        assert rule.has_vjp == any(t is not None for t in rule.templates), rule.name
        assert rule.has_vjp or rule.differentiable == (), rule.name
        assert not rule.writes_part and not rule.grows_list and not rule.packs, rule.name


def test_the_jvp_slot_takes_one_tangent_template_per_parameter():
    def twice(x):
        return 2.0 * x

    rule = declare(twice, "x", "2.0 * g", jvp=("2.0 * x_dot",), user=True)
    assert rule.jvp[0].text == "2.0 * x_dot"
    assert _rule(np.sort).jvp[0].text == (
        "np.take_along_axis(a_dot, np.argsort(a, axis, kind='stable'), axis)")
    with pytest.raises(RuleError, match="tangent templates"):
        declare(twice, "x", "2.0 * g", jvp=("x_dot", "x_dot"), user=True)
    with pytest.raises(RuleError, match="unknown name"):
        declare(twice, "x", "2.0 * g", jvp=("y_dot",), user=True)


def test_a_pointwise_tangent_is_the_selected_adjoint_with_the_tangent_for_g():
    sin = _rule(np.sin)
    assert sin.tangents({"x": VECTOR}, {"x": ir.Var("x")})[0].text == "x_dot * np.cos(x)"
    clip = _rule(np.clip)
    bound = {"a": ir.Var("a"), "a_min": ir.Const(0.0, "0.0"), "a_max": ir.Const(None, "None")}
    operands = {"a": VECTOR, "a_min": FLOAT, "a_max": AVal(OTHER, pytype=type(None))}
    low = clip.tangents(operands, bound)
    assert low[0].text == "np.where(a >= a_min, a_dot, 0.0)" and low[2] is None


def test_a_tangent_not_verified_for_complex_operands_is_refused():
    maximum = _rule(np.maximum)
    complex_vector = AVal(ARRAY, np.dtype(complex), (3,))
    operands = {"x": ir.Var("x"), "y": ir.Var("y")}
    refused = maximum.tangents({"x": complex_vector, "y": complex_vector}, operands)
    assert isinstance(refused[0], Refusal)
    assert "complex" in refused[0].message
    exp = _rule(np.exp)
    assert exp.tangents({"x": complex_vector}, {"x": ir.Var("x")})[0].text == "x_dot * ans"


def test_a_primitive_that_is_not_holomorphic_declares_its_complex_tangent():
    complex_vector = AVal(ARRAY, np.dtype(complex), (3,))
    tangent = _rule(np.absolute).tangents({"x": complex_vector}, {"x": ir.Var("x")})[0]
    assert tangent.text == "np.real(np.conj(np.sign(x)) * x_dot)"
    real_vector = AVal(ARRAY, np.dtype(float), (3,))
    assert _rule(np.absolute).tangents({"x": real_vector}, {"x": ir.Var("x")})[0].text == (
        "x_dot * np.sign(x)")


def test_a_tangent_selector_picks_the_form_for_the_call():
    """np.max's tangent is the tie-weighted sum of its operand's tangent, in the layout its
    adjoint has for the call: over everything, over a literal axis, or the general one."""
    matrix = AVal(ARRAY, np.dtype(float), (2, 3))
    maximum = _rule(np.max)

    def chosen(**constants):
        bound = {"a": ir.Var("a"), "axis": ir.Const(None, "None"),
                 "keepdims": ir.Const(False, "False")}
        bound.update((k, ir.Const(v, repr(v))) for k, v in constants.items())
        operands = {p: matrix if p == "a" else AVal(PY, type(c.value)) for p, c in
                    bound.items()}
        return maximum.tangents(operands, bound)[0].text

    assert chosen() == "np.sum(a_dot * tie_weights(a, ans))"
    assert chosen(axis=1) == (
        "np.sum(a_dot * tie_weights(a, np.expand_dims(ans, 1), 1), 1)")
    assert chosen(axis=0, keepdims=True) == (
        "np.sum(a_dot * tie_weights(a, ans, 0), 0, keepdims=True)")
    general = maximum.tangents({"a": matrix, "axis": AVal(PY, int), "keepdims": AVal(PY, bool)},
                               {"a": ir.Var("a"), "axis": ir.Var("k"),
                                "keepdims": ir.Const(False, "False")})
    assert general[0].text == maximum.jvp[0].text
    refused = maximum.tangents({"a": AVal(ARRAY, np.dtype(complex), (3,)),
                                "axis": AVal(OTHER, pytype=type(None)),
                                "keepdims": AVal(PY, bool)},
                               {"a": ir.Var("a"), "axis": ir.Const(None, "None"),
                                "keepdims": ir.Const(False, "False")})
    assert isinstance(refused[0], Refusal) and refused[1:] == (None, None)


def test_a_tangent_form_has_one_template_per_parameter():
    def twice(x, axis=None):
        return 2.0 * x

    with pytest.raises(RuleError, match="tangent form 'all'"):
        declare(twice, "x, axis=None", "2.0 * g", None, jvp=("2.0 * x_dot", None),
                jvp_forms={"all": ("x_dot",)}, user=True)
    with pytest.raises(RuleError, match="needs the default tangents"):
        declare(twice, "x, axis=None", "2.0 * g", None, jvp_selector=lambda *a: None,
                user=True)


def test_linear_and_bilinear_tangents_apply_the_primitive_to_the_tangent():
    assert _rule(np.transpose).jvp[0].text == "np.transpose(a_dot, axes)"
    assert [t.text for t in _rule(operator.matmul).jvp] == ["a_dot @ b", "a @ b_dot"]
    assert _rule(np.sum).jvp[0].text == "np.sum(a_dot, axis, keepdims=keepdims)"
    assert _rule(operator.lt).jvp == (None, None)


def test_importing_srcdiff_makes_almost_no_table_rule():
    """A table's rules are made when their primitive is first looked up (importing looks up
    one, ``x + y``); a user's rule declared before that lookup still replaces the table's."""
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent("""
        import numpy as np
        import srcdiff
        from srcdiff.primitives import REGISTRY
        made = len(REGISTRY._order)
        pending = sum(len(v) for v in REGISTRY._pending.values())
        srcdiff.defvjp(np.tanh, lambda g, ans, x: g * 7.0, signature="x")
        (rule,) = REGISTRY.lookup(np.tanh)
        print(made, pending, rule.user, len(list(REGISTRY)) > 250)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    made, pending, user, all_made = done.stdout.split()
    assert int(made) <= 2 and int(pending) > 250
    assert user == "True" and all_made == "True"


def test_rules_made_on_first_lookup_are_found_by_every_thread():
    """Many threads look up primitives no one has looked up yet: each finds its rules (a
    thread must not see a primitive neither pending nor made)."""
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent("""
        import sys
        import threading
        import numpy as np
        import srcdiff
        from srcdiff.primitives import REGISTRY
        sys.setswitchinterval(1e-6)  # switch threads inside the making of a rule
        functions = [np.sinh, np.cosh, np.arctan, np.log1p, np.expm1, np.hypot, np.cbrt,
                     np.transpose, np.sum, np.mean, np.clip, np.maximum, np.where]
        missing = []
        barrier = threading.Barrier(8)

        def look():
            barrier.wait()
            for fn in functions:
                if not REGISTRY.lookup(fn):
                    missing.append(fn)
        threads = [threading.Thread(target=look) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(len(missing))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "0"


def test_samples_are_evaluated_quietly_and_nesting_restores_the_caller_state():
    """Abstract evaluation runs primitives on samples that may divide by zero: no warning
    escapes and NumPy's error state is restored, however the quiet scopes nest."""
    import warnings

    from srcdiff.primitives.sampling import quietly

    before = np.geterr()
    with np.errstate(divide="raise"):
        with quietly():
            with quietly():
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    assert np.float64(1.0) / np.float64(0.0) == np.inf  # ignored, not raised
            assert np.float64(1.0) / np.float64(0.0) == np.inf
        with pytest.raises(FloatingPointError):
            np.float64(1.0) / np.float64(0.0)
    assert np.geterr() == before


def test_a_one_element_sample_is_not_converted_to_a_scalar(monkeypatch):
    """NumPy before 2.3 converts a one-element array to a Python scalar with a warning
    (``math.sin(np.ones(1))``), where later versions refuse: a sample has one element, the
    real array more, so on such a NumPy that warning is an error inside the quiet scope, and
    the primitive does not apply (on NumPy 2.2 ``math.sin`` of an array had compiled, then
    failed). Other warnings stay quiet."""
    import warnings

    from srcdiff.primitives import sampling

    monkeypatch.setattr(sampling, "converts_with_a_warning", lambda: True)
    with sampling.quietly():
        sampling.quietly.refuse_scalar_conversion()
        with pytest.raises(DeprecationWarning):
            warnings.warn("Conversion of an array with ndim > 0 to a scalar is deprecated",
                          DeprecationWarning, stacklevel=1)
        warnings.warn("something else is deprecated", DeprecationWarning, stacklevel=1)


def test_the_conversion_filter_is_set_where_a_sample_is_an_array_and_only_there(monkeypatch):
    """A primitive that converts a one-element array sample to a scalar, as NumPy 2.2 did
    with a warning, does not apply; a program of scalars does not probe NumPy for it."""
    import types
    import warnings

    from srcdiff.primitives import sampling

    asked = []
    monkeypatch.setattr(sampling, "converts_with_a_warning", lambda: asked.append(1) or True)

    def as_number(x):
        if isinstance(x, np.ndarray):
            warnings.warn("Conversion of an array with ndim > 0 to a scalar is deprecated",
                          DeprecationWarning, stacklevel=1)
        return float(np.sum(x))

    rule = types.SimpleNamespace(fn=as_number, params=("x",), domain={})
    with sampling.quietly():
        assert sampling.evaluated_on_samples(rule, {"x": ir.Var("x")},
                                             {"x": AVal(PY, float)}) == 0.5
        assert asked == []
        with pytest.raises(DeprecationWarning):
            sampling.evaluated_on_samples(rule, {"x": ir.Var("x")},
                                          {"x": AVal(ARRAY, np.dtype(float), (3,))})
    assert asked == [1]


@pytest.mark.parametrize("text", ["a, b", "x", "", "a,b", " a ,  b ", "a, b=1", "a, /, b",
                                  "a, *, b", "a, b=(1, -2)", "x, y, z, w"])
def test_a_rule_signature_reads_as_the_parser_reads_it(text):
    """A plain list of names is read without the parser: the same signature either way."""
    from srcdiff.primitives import registry

    assert registry.signature_of(text) == registry._parsed_signature(text)


@pytest.mark.parametrize("text", ["lambda", "a, b c", "*a", "**k", "a=x"])
def test_a_bad_rule_signature_is_refused_either_way(text):
    from srcdiff.primitives import registry

    with pytest.raises(RuleError):
        registry.signature_of(text)
