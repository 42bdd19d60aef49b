"""Property-based tests: random programs with branches and loops, against finite differences.

Loops run for literal trip counts of 0, 1 and several, and while loops for counters with an
active condition, so every program terminates; conditions on active values and on loop
counters send the branches both ways across examples.
"""

import os
import sys

from generated import function_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_random_programs import check_gradient

EXPRESSIONS = [
    "math.sin({a}) * {b}", "{a} * 0.5 + {b}", "math.tanh({a} + {b})", "{a} - math.cos({b})",
    "{a} * {b} * 0.3", "math.exp(math.sin({a}))", "{a} / (2.0 + math.cos({b}))",
    "np.sin({a}) + {b} * {b} * 0.1",
]
TRIPS = ["0", "1", "3", "n"]


class Writer:
    def __init__(self, draw):
        self.draw = draw
        self.counters = 0

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def expression(self, names):
        return self.pick(EXPRESSIONS).format(a=self.pick(names), b=self.pick(names))

    def block(self, names, depth, loop, indent):
        lines = []
        for _ in range(self.draw(st.integers(1, 3))):
            kinds = ["assign", "assign", "augmented"]
            if depth < 2:
                kinds += ["if", "for", "while"]
            if loop:
                kinds += ["break", "continue"]
            if depth > 0:
                kinds += ["return"]
            lines += self.statement(self.pick(kinds), names, depth, loop, indent)
        return lines

    def statement(self, kind, names, depth, loop, indent):
        pad = "    " * indent
        target = self.pick(names)
        if kind == "assign":
            return [f"{pad}{target} = {self.expression(names)}"]
        if kind == "augmented":
            return [f"{pad}{target} {self.pick(['+=', '-=', '*='])} math.sin({self.pick(names)})"]
        if kind == "return":
            return [f"{pad}return {self.expression(names)}"]
        if kind in ("break", "continue"):
            condition = self.condition(names, loop)
            return [f"{pad}if {condition}:", f"{pad}    {kind}"]
        if kind == "if":
            lines = [f"{pad}if {self.condition(names, loop)}:"]
            lines += self.block(names, depth + 1, loop, indent + 1)
            if self.draw(st.booleans()):
                lines += [f"{pad}else:"] + self.block(names, depth + 1, loop, indent + 1)
            return lines
        if kind == "for":
            self.counters += 1
            index = f"i{self.counters}"
            lines = [f"{pad}for {index} in range({self.pick(TRIPS)}):"]
            return lines + self.block(names, depth + 1, index, indent + 1)
        self.counters += 1
        counter = f"c{self.counters}"
        bound = self.pick(TRIPS[1:])
        value = self.pick(names)
        limit = self.pick(["0.5", "2.0", "9.0"])
        lines = [f"{pad}{counter} = 0",
                 f"{pad}while {counter} < {bound} and {value} < {limit}:",
                 f"{pad}    {counter} += 1"]
        return lines + self.block(names, depth + 1, counter, indent + 1)

    def condition(self, names, loop):
        options = [f"{self.pick(names)} > {self.draw(st.sampled_from(['-0.5', '0.0', '0.4']))}"]
        if loop:
            options.append(f"{loop} % 2 == 0")
            options.append(f"{loop} > 1 and {self.pick(names)} < 1.0")
        return self.pick(options)


@st.composite
def programs(draw):
    writer = Writer(draw)
    names = ["x", "y", "v"]
    lines = ["v = x * y"] + [line[4:] for line in writer.block(names, 0, None, 1)]
    return lines, f"{writer.expression(names)} + v"


@settings(max_examples=int(os.environ.get("SRCDIFF_RANDOM_PROGRAMS", "2500")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(programs(), st.floats(-1.2, 1.2), st.floats(-1.2, 1.2))
def test_random_program_with_control_flow(program, x, y):
    lines, result = program
    body = "".join(f"    {line}\n" for line in lines)
    text = (f"import math\nimport numpy as np\n\n\ndef f(x, y, n=2):\n{body}"
            f"    return {result}\n")
    check_gradient(_exec(text), text, x, y, same_path)


def same_path(f, args, index, step=1e-6):
    """Whether nudging the argument leaves every branch and trip count as it was: at a
    branch boundary a derivative describes the path taken, not the neighbourhood."""
    paths = []
    for delta in (-step, 0.0, step):
        moved = list(args)
        moved[index] += delta
        paths.append(_path(f, moved))
    return paths[0] == paths[1] == paths[2]


def _path(f, args):
    lines = []
    code = f.__code__

    def trace(frame, event, arg):
        if frame.f_code is code and event == "line":
            lines.append(frame.f_lineno)
        return trace

    sys.settrace(trace)
    try:
        f(*args)
    except (ValueError, ZeroDivisionError, OverflowError):
        pass
    finally:
        sys.settrace(None)
    return lines


def _exec(text):
    return function_from(text, "control flow program")


def test_generated_programs_cover_both_branches_and_every_trip_count():
    """Over a hundred generated programs run at random points, branches are taken and
    skipped, and loops run zero, one and several times."""
    import random
    import warnings

    rng = random.Random(0)
    taken = skipped = 0
    trips = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = [programs().example() for _ in range(120)]
    for lines, result in samples:
        body = "".join(f"    {line}\n" for line in lines)
        text = (f"import math\nimport numpy as np\n\n\ndef f(x, y, n=2):\n{body}"
                f"    return {result}\n")
        executed = _path(_exec(text), (rng.uniform(-1.2, 1.2), rng.uniform(-1.2, 1.2)))
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("if ") and number in executed:
                if number + 1 in executed:
                    taken += 1
                else:
                    skipped += 1
            if stripped.startswith(("for ", "while ")) and number in executed:
                trips.add(min(executed.count(number + 1), 2))
    assert taken > 5 and skipped > 5
    assert trips >= {0, 1, 2}
