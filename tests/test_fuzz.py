"""Differential fuzzing: generated programs that cover the supported language, their
derivatives judged by ``fuzzing.oracle`` (central differences where meaningful, types,
shapes, dtypes, memory, unchanged arguments, no crashes, no unexpected refusals).

The default run is deterministic and small: ``DEFAULT_COUNTS`` programs per generator from
fixed seeds, the programs ``tests/fuzz_hunt.py --generator NAME --seed 0 --count N`` makes.
(Not hypothesis with ``derandomize=True``: hypothesis mixes constants it finds in the
project's loaded modules into what it draws, so its examples change with the set of tests
that ran before.) ``SRCDIFF_FUZZ=N`` runs N programs per generator through hypothesis from
fresh random seeds; ``SRCDIFF_FUZZ_SHRINK=1`` also lets it shrink a failure (slow: up to
five minutes per failing generator, since every example compiles a derivative)::

    SRCDIFF_FUZZ=2000 python -m pytest tests/test_fuzz.py

For thousands of programs filed as repro files, run ``tests/fuzz_hunt.py``. The tests at the
end check the generators themselves: every construct of the README's table keeps being
generated, and generated programs run.
"""

import collections
import copy
import functools
import os

import numpy as np
import pytest
from fuzzing import oracle
from fuzzing.choices import RandomChoices
from fuzzing.coverage import README_ROWS, REQUIRED, constructs
from fuzzing.finite_differences import traced_path
from fuzzing.generators import GENERATORS, Program, program_for, strategy
from fuzzing.refusals import SNIPPETS, refusal_problems, refusal_program
from fuzzing.values import same_value
from generated import function_from, namespace_from
from hypothesis import HealthCheck, Phase, given, reject, settings

SCALED = int(os.environ.get("SRCDIFF_FUZZ", "0"))
SHRINK = os.environ.get("SRCDIFF_FUZZ_SHRINK", "") not in ("", "0")
DEFAULT_COUNTS = {"scalars": 28, "arrays": 28, "indexing": 28, "calls": 22, "containers": 30,
                  "sizes": 30, "aliasing": 26, "language": 26}


def judge(name, program, seen, how_to_reproduce):
    """Check one program; False where it cannot be judged (the function itself fails)."""
    try:
        report = oracle.check(program)
    except oracle.Discard:
        return False
    except oracle.GeneratorBug as error:
        raise AssertionError(f"the {name} generator made a program that does not run "
                             f"({error}):\n{program.text}\nargs = {program.args!r}") from None
    seen["judged"] += 1
    seen["compared"] += report.compared
    # Arguments exactly at a primitive's kink inside a smooth function get a subgradient
    # (README, "At the edges of a formula"); the oracle tells them apart.
    assert all(f.kind == oracle.TIE for f in report.failures), (
        f"{how_to_reproduce}\n{report.text()}")
    return True


@pytest.mark.parametrize("name", list(GENERATORS))
def test_derivatives_of_generated_programs(name):
    """Exact or (in the aliasing generator, for stale reads) refused with a located error;
    the failure message has the program, arguments, gradient, expected values and the
    generated derivative."""
    seen = collections.Counter()
    if SCALED:
        phases = (Phase.explicit, Phase.reuse, Phase.generate) + (
            (Phase.shrink,) if SHRINK else ())

        @settings(max_examples=SCALED, deadline=None, derandomize=False, phases=phases,
                  suppress_health_check=list(HealthCheck))
        @given(strategy(name))
        def run(program):
            if not judge(name, program, seen, "(a hypothesis example)"):
                reject()

        run()
    else:
        for seed in range(DEFAULT_COUNTS[name]):
            judge(name, program_for(name, seed), seen,
                  f"reproduce: python tests/fuzz_hunt.py --generator {name} --seed {seed} "
                  f"--count 1 --out DIR")
    assert seen["judged"] > 0 and seen["compared"] > 0


@pytest.mark.parametrize("construct", list(SNIPPETS))
def test_refused_construct_is_located(construct):
    for seed in range(max(2, SCALED // 100)):
        program = refusal_program(RandomChoices(seed), construct)
        f = function_from(program.text, "fuzz refusal")
        problems = refusal_problems(program, f)
        assert not problems, f"{construct}:\n{program.text}\n{problems}"


# -- the generators themselves ----------------------------------------------------------------

@functools.cache
def sample(name, count):
    return [program_for(name, seed) for seed in range(count)]


@functools.cache
def found_in(name, count):
    return set().union(*(constructs(p) for p in sample(name, count)))


@pytest.mark.parametrize("name", list(REQUIRED))
def test_generator_produces_its_constructs(name):
    found = found_in(name, 120)
    assert REQUIRED[name] <= found, f"{name} no longer generates {REQUIRED[name] - found}"


def test_whole_language_generator_covers_every_row_of_the_readme_table():
    found = found_in("language", 400)
    missing = {row: names - found for row, names in README_ROWS.items() if names - found}
    assert not missing, f"the language generator no longer generates {missing}"


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generated_programs_run(name):
    """Generated programs are well typed: they run at their arguments, apart from a few
    numeric failures (domain errors, overflow), which the oracle discards; and they leave
    their arguments alone (srcdiff refuses changes to the caller's arrays)."""
    outcomes = collections.Counter()
    for program in sample(name, 120):
        f = namespace_from(program.text, "fuzz sample")["f"]
        args = copy.deepcopy(program.args)
        try:
            oracle.run_function(f, args)
            outcomes["ran"] += 1
        except oracle.Discard:
            outcomes["discarded"] += 1
        except oracle.GeneratorBug as error:
            pytest.fail(f"{name} made a program that does not run ({error}):\n{program.text}")
        assert same_value(args, program.args), f"{name} changed its arguments:\n{program.text}"
    assert outcomes["discarded"] <= 0.1 * sum(outcomes.values()), outcomes


def test_generated_programs_take_both_branches_and_every_trip_count():
    """At their arguments, generated programs take branches and skip them, and run loops
    zero times, once and several times."""
    taken = skipped = 0
    trips = set()
    for program in sample("scalars", 120) + sample("language", 120):
        f = namespace_from(program.text, "fuzz sample")["f"]
        executed = [line for code, line in traced_path(f, copy.deepcopy(program.args))
                    if code == "f"]
        lines = program.text.splitlines()
        first = next(i for i, line in enumerate(lines, 1) if line.startswith("def f("))
        for number in range(first, len(lines) + 1):
            text = lines[number - 1].strip()
            if number not in executed or number + 1 > len(lines):
                continue
            if text.startswith("if "):
                taken += number + 1 in executed
                skipped += number + 1 not in executed
            if text.startswith(("for ", "while ")):
                trips.add(min(executed.count(number + 1), 2))
    assert taken > 20 and skipped > 20, (taken, skipped)
    assert trips >= {0, 1, 2}, trips


def test_float32_and_edge_point_arguments_are_drawn():
    found = set().union(*(found_in(name, 120) for name in REQUIRED))
    assert {"float32 argument", "0-d array argument", "argument at 0.0"} <= found



KINK_PROGRAM = """import numpy as np


def f(a, x):
    x -= np.ptp(np.clip(a, -0.5, 0.5))
    return x * x
"""
WRONG_RULE_PROGRAM = """import numpy as np
import srcdiff


def cube(v):
    return v * v * v


srcdiff.defvjp(cube, lambda g, ans, v: g * 2.0 * v * v)


def f(a, x):
    return x * np.sum(cube(a))
"""


@pytest.mark.parametrize("text, kinds", [
    (KINK_PROGRAM, {oracle.TIE}),
    (WRONG_RULE_PROGRAM, {"wrong gradient"}),
], ids=["kink", "wrong rule"])
def test_oracle_tells_a_kink_of_a_primitive_from_a_wrong_gradient(text, kinds):
    """At ``a[1, 2] == 0.5`` clip has a kink, and ptp's maximum ties it with clipped values:
    the function is flat there but srcdiff's subgradient is not 0; nudged off the tie the
    gradient is exact. A wrong rule is wrong at the nudged point too."""
    a = np.array([[-0.07, 0.89, -0.98], [-0.5, 0.0, 0.5], [0.88, -0.88, -0.5]])
    program = Program("test", text, ["a", "x"], (a, -1.08), (0, 1), ["a", "x"])
    report = oracle.check(program)
    assert report.failures and {f.kind for f in report.failures} == kinds


WHOLE_PROGRAM = """import math


def f(x):
    return math.trunc(x) - x
"""


def test_oracle_discards_programs_whose_floats_are_all_whole():
    """Near 9e16 every float is a whole number, so ``math.trunc(x) - x`` is 0 in floats and
    central differences give 0, while the derivative on the reals, srcdiff's, is -1. At a
    small argument the same program is compared and passes."""
    program = Program("test", WHOLE_PROGRAM, ["x"], (9.3e16,), (0,), ["x"])
    with pytest.raises(oracle.Discard, match="whole"):
        oracle.check(program)
    small = oracle.check(Program("test", WHOLE_PROGRAM, ["x"], (2.25,), (0,), ["x"]))
    assert small.compared == 1 and not small.failures


MUTATING_PROGRAM = """import numpy as np


def f(a, x):
    a[0] = x
    return np.sum(a) * x
"""


def test_oracle_finds_a_function_that_changes_its_float64_arguments():
    """The oracle runs the function twice (as given, then in float64); the second run must
    get copies too, or a float64 argument it changes looks unchanged by comparison."""
    program = Program("test", MUTATING_PROGRAM, ["a", "x"], (np.array([1.0, 2.0]), 0.5),
                      (1,), ["x"])
    with pytest.raises(oracle.GeneratorBug, match="changes its arguments"):
        oracle.check(program)


ILL_CONDITIONED_PROGRAM = """import math

import numpy as np


def f(x):
    a = math.exp(8.0 * x * x)
    return 0.5 * a / np.logaddexp(0.5 * a, 0.5 * a)
"""


def test_oracle_discards_programs_whose_derivative_formulas_round_away():
    """At x = -1.9, ``a`` is about 3e12: ``a / logaddexp(a, a)`` is 1 - 2e-13, flat in
    floats (central differences give 0), while the exact formula's two terms of size 1/a
    cancel to rounding noise that the chain rule then multiplies by 1e14."""
    program = Program("test", ILL_CONDITIONED_PROGRAM, ["x"], (-1.9,), (0,), ["x"])
    with pytest.raises(oracle.Discard, match="1e12 or more"):
        oracle.check(program)


def test_a_store_through_an_alias_of_the_target_may_be_refused():
    """Aliasing program 2500625 stores ``c12[:, -1]``, where ``c12 = y8.T``, into ``y8[2]``:
    the same memory, though no line shows it. srcdiff refuses such a store, and the
    generator must allow that refusal (it flagged it as unexpected)."""
    program = program_for("aliasing", 2500625)
    assert "y8[2] = c12[:, -1]" in program.text
    assert any(fragment in "writes into an array a value that shares memory with it"
               for fragment in program.may_refuse)


def test_a_stale_view_read_in_the_index_of_a_store_may_be_refused():
    """Aliasing program 3700364 makes ``c4 = u.reshape(-1)``, writes ``u[-1:] *= ...``,
    and then reads ``c4`` in the index of a store into ``u``: srcdiff refuses the read of
    the changed view, and the generator must allow that (it looked at the right-hand
    sides of stores alone, and flagged the refusal as unexpected)."""
    program = program_for("aliasing", 3700364)
    assert "u[np.full((2,), c4[1]) > 0.0] = " in program.text
    assert "shares memory" in program.may_refuse


def test_a_helper_that_stores_a_view_of_itself_may_be_refused():
    """Language program 2700683 calls a helper that stores ``a0[:, 1]`` into ``a0[1]``: the
    refusal of that store is allowed, as it is in the function itself."""
    program = program_for("language", 2700683)
    assert "    a0[1] = a0[:, 1]" in program.text
    assert any(fragment in "writes into an array a value that shares memory with it"
               for fragment in program.may_refuse)
