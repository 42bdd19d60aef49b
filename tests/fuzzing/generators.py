"""The named generators: each mixes the grammar's areas in its own proportions, draws the
function's parameters (and their values), and assembles one module's source.

``GENERATORS[name](choices)`` returns a ``Program``; ``strategy(name)`` is the same as a
hypothesis strategy. Every generator can draw float32 arrays, module-level constants and the
edge points in ``choices.SPECIAL_VALUES``.
"""

import re
import zlib
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from fuzzing import arrays, calls, containers, indexing, scalars, sizes
from fuzzing.choices import HypothesisChoices, RandomChoices
from fuzzing.grammar import CORE_RULES, Module, Writer
from fuzzing.indexing import stale_reads
from fuzzing.kinds import FLOAT, Arr, Dct, Lst, Tup, exact

RULES = (CORE_RULES + scalars.RULES + arrays.RULES + indexing.RULES + calls.RULES
         + containers.RULES + sizes.RULES)
HEADER = "import math\n\nimport numpy as np\n"


@dataclass
class Program:
    generator: str
    text: str
    params: list       # parameter names, in order
    args: tuple
    wrt: object        # as passed to srcdiff
    wrt_names: list
    may_refuse: tuple = ()  # message fragments of refusals this program may legitimately get
    constants: list = field(default_factory=list)


@dataclass
class Profile:
    areas: dict
    floats: tuple = (1, 2)
    vectors: tuple = (0, 1)
    matrices: tuple = (0, 0)
    ints: tuple = (0, 0)
    containers: tuple = (0, 0)
    helpers: tuple = (0, 0)
    factories: float = 0.0
    user_rules: float = 0.0
    constants: float = 0.2
    budget: tuple = (2, 6)
    aliasing: bool = False


PROFILES = {
    "scalars": Profile({"scalar": 10, "control": 8, "arrays": 1}, floats=(1, 3),
                       vectors=(0, 1), ints=(0, 1), budget=(2, 7)),
    "arrays": Profile({"arrays": 10, "scalar": 2, "indexing": 1, "sizes": 1, "control": 1},
                      floats=(0, 1), vectors=(1, 2), matrices=(0, 2), budget=(2, 5)),
    "indexing": Profile({"indexing": 8, "writes": 8, "arrays": 3, "scalar": 2, "control": 4},
                        floats=(0, 1), vectors=(1, 2), matrices=(0, 1), ints=(0, 1),
                        budget=(3, 7)),
    "calls": Profile({"calls": 10, "scalar": 4, "arrays": 2, "control": 4}, floats=(1, 2),
                     vectors=(0, 1), helpers=(1, 3), factories=0.6, user_rules=0.3,
                     budget=(2, 6)),
    "containers": Profile({"containers": 10, "scalar": 3, "arrays": 2, "control": 3},
                          floats=(0, 2), vectors=(0, 1), containers=(1, 2), budget=(3, 7)),
    "sizes": Profile({"sizes": 10, "arrays": 3, "indexing": 2, "control": 3, "scalar": 2,
                      "writes": 2}, floats=(1, 1), vectors=(1, 1), matrices=(0, 1),
                     ints=(1, 2), budget=(2, 6)),
    "aliasing": Profile({"aliasing": 6, "writes": 8, "indexing": 3, "arrays": 2, "scalar": 2,
                         "control": 1}, floats=(0, 1), vectors=(1, 1), matrices=(0, 1),
                        budget=(3, 7), aliasing=True),
    "language": Profile({"scalar": 4, "control": 5, "arrays": 6, "indexing": 4, "writes": 4,
                         "calls": 3, "containers": 3, "sizes": 3}, floats=(0, 2),
                        vectors=(0, 2), matrices=(0, 2), ints=(0, 1), containers=(0, 1),
                        helpers=(0, 3), factories=0.3, user_rules=0.15, constants=0.4,
                        budget=(3, 8)),
}
REFUSAL_FRAGMENTS = ("shares memory",)
# ``y[1:] = y[:-1]``: NumPy copies overlapping views element by element in some layouts, so
# srcdiff refuses every store of a value that may share the array's memory.
OVERLAP_FRAGMENT = "writes into an array a value that shares memory"
_STORE = re.compile(r"\s*(\w+)\[.*?\]\s*=(?!=)(.*)$")


def _stores_a_view_of_itself(line):
    match = _STORE.match(line)
    return bool(match) and re.search(rf"\b{re.escape(match.group(1))}\b", match.group(2))


def _array_value(c, shape, float32):
    values = [c.value() for _ in range(int(np.prod(shape)) if shape else 1)]
    array = np.array(values, dtype=np.float32 if float32 else np.float64).reshape(shape)
    return array


def _shape(c, rank, dims):
    """A shape mostly made of the program's few sizes, so that arguments combine."""
    return tuple(c.pick(dims) if c.chance(0.85) else c.integer(1, 4) for _ in range(rank))


def _parameters(c, profile):
    """Parameters as (name, kind, value, differentiable) with values drawn alongside."""
    params = []
    ints = []
    for name in ["n", "m", "k"][:c.integer(*profile.ints)]:
        value = c.weighted([(1, 0), (3, 1), (4, 2), (4, 3), (2, 4)])
        ints.append(value)
        params.append((name, exact(value), value, False))
    float32 = c.chance(0.25)
    dims = [c.pick([2, 3, 4]), c.pick([1, 2, 3, 4])] + [d for d in ints if d > 0]
    for name in ["x", "y", "z"][:c.integer(*profile.floats)]:
        params.append((name, FLOAT, c.value(), True))
    for name in ["u", "v"][:c.integer(*profile.vectors)]:
        shape = _shape(c, 1, dims)
        if c.chance(0.05):
            shape = ()
        params.append((name, Arr(shape), _array_value(c, shape, float32), True))
    for name in ["a", "b"][:c.integer(*profile.matrices)]:
        shape = _shape(c, 2, dims)
        params.append((name, Arr(shape), _array_value(c, shape, float32), True))
    for name in ["params", "pair", "cfg"][:c.integer(*profile.containers)]:
        kind, value = _container(c, float32)
        params.append((name, kind, value, True))
    order = list(range(len(params)))
    if c.chance(0.5):
        order = order[::-1]
    if c.chance(0.3) and len(order) > 1:
        order = order[1:] + order[:1]
    return [params[i] for i in order]


def _container(c, float32):
    form = c.pick(["list", "tuple", "dict", "nested"])
    if form == "list":
        shape = _shape(c, c.integer(1, 2), [2, 3])
        count = c.integer(1, 3)
        return (Lst(Arr(shape), count, count),
                [_array_value(c, shape, float32) for _ in range(count)])
    if form == "tuple":
        count = c.integer(2, 3)
        return Tup((FLOAT,) * count), tuple(c.value() for _ in range(count))
    if form == "dict":
        shape = _shape(c, 1, [2, 3])
        return (Dct((("w", Arr(shape)), ("s", FLOAT))),
                {"w": _array_value(c, shape, float32), "s": c.value()})
    return Tup((Tup((FLOAT, FLOAT)), FLOAT)), ((c.value(), c.value()), c.value())


def _constants(c, module):
    texts = []
    if c.chance(0.7):
        module.constants.append(("C", FLOAT))
        texts.append(f"C = {c.pick(['0.75', '-1.25', '2.0'])}")
    if c.chance(0.5):
        value = c.integer(1, 3)
        module.constants.append(("K", exact(value)))
        texts.append(f"K = {value}")
    if c.chance(0.5):
        shape = c.pick([(3,), (2,), (2, 3)])
        values = np.round(_array_value(c, shape, False), 2).tolist()
        module.constants.append(("W", Arr(shape)))
        texts.append(f"W = np.array({values})")
    if texts:
        module.blocks.append("\n".join(texts))


def _wrt(c, names, differentiable):
    """One of the ``wrt`` forms: None, an index (maybe negative), a name, a tuple or list."""
    chosen = [n for n in names if n in differentiable]
    forms = [(2, "name"), (2, "index"), (4, "tuple"), (1, "list")]
    if names[0] in differentiable:
        forms.append((2, "none"))
    form = c.weighted(forms)
    if form == "none":
        return None, [names[0]]
    if form in ("name", "index"):
        name = c.pick(chosen)
        if form == "name":
            return name, [name]
        index = names.index(name)
        return (index - len(names) if c.chance(0.3) else index), [name]
    picked = [n for n in chosen if c.chance(0.7)] or [c.pick(chosen)]
    if c.chance(0.3):
        picked = picked[::-1]
    spelled = [names.index(n) if c.chance(0.3) else n for n in picked]
    return (tuple(spelled) if form == "tuple" else spelled), picked


def generate(name, c):
    """One program from generator ``name``, with its arguments and ``wrt``."""
    profile = PROFILES[name]
    params = _parameters(c, profile)
    if not any(p[3] for p in params):
        params.append(("x", FLOAT, c.value(), True))
    module = Module()
    if c.chance(profile.constants):
        _constants(c, module)
    shapes = sorted({p[1].shape for p in params if isinstance(p[1], Arr) and p[1].shape})
    if profile.helpers[1]:
        calls.write_helpers(c, profile.areas, RULES, module, shapes,
                            c.integer(*profile.helpers))
    if c.chance(profile.factories):
        calls.write_factories(c, module)
    if c.chance(profile.user_rules):
        calls.write_user_rules(module)
    writer = Writer(c, profile.areas, RULES, module, budget=c.integer(*profile.budget),
                    aliasing=profile.aliasing)
    for const, kind in module.constants:
        writer.constant(const, kind)
    for pname, kind, _, _ in params:
        writer.define(pname, kind)
    writer.params = [p[0] for p in params]
    lines = writer.body()
    signature = ", ".join(p[0] for p in params)
    docstring = ['    """A generated program."""'] if c.chance(0.1) else []
    function = "\n".join([f"def f({signature}):"] + docstring + lines)
    header = HEADER + ("import srcdiff\n" if module.user_rules else "")
    text = "\n\n\n".join([header.rstrip("\n")] + module.blocks + [function]) + "\n"
    names = [p[0] for p in params]
    wrt, wrt_names = _wrt(c, names, {p[0] for p in params if p[3]})
    may_refuse = ()
    if profile.aliasing and (writer.may_refuse or stale_reads(lines, writer.stale_after)):
        may_refuse = REFUSAL_FRAGMENTS
    if any(_stores_a_view_of_itself(line) for line in text.splitlines()):  # helpers too
        may_refuse = may_refuse + (OVERLAP_FRAGMENT,)
    return Program(name, text, names, tuple(p[2] for p in params), wrt, wrt_names,
                   may_refuse, [n for n, _ in module.constants])


GENERATORS = {name: (lambda c, name=name: generate(name, c)) for name in PROFILES}


def program_for(name, seed):
    """The program number ``seed`` of generator ``name``, the same in every run."""
    return generate(name, RandomChoices(zlib.crc32(name.encode()) * 1_000_003 + seed))


def strategy(name):
    @st.composite
    def programs(draw):
        return generate(name, HypothesisChoices(draw))
    return programs()

