"""Programs with one construct the README lists as refused, placed among generated statements;
srcdiff must refuse each with a located error: the program's file, the construct's line, a
column, and a message free of compiler internals.

The function is ``f(p, x, y)``: ``p`` is an array that only the refused snippet touches (so
that writing into it really changes the caller's array), ``x`` and ``y`` are what the plain
statements around the snippet work with (plain, so that nothing else is refused first). In
a snippet, the line marked ``@`` is the one the error must point at.
"""

from dataclasses import dataclass

import numpy as np

import srcdiff
from fuzzing.generators import HEADER
from fuzzing.oracle import located_problems

SNIPPETS = {
    "write into an argument": ["@p[0] = y"],
    "in-place update of an argument": ["@p += y"],
    "write through a view of an argument": ["q = p[1:]", "@q[0] = y"],
    "write through a transpose of an argument": ["q = p.T", "@q[1] += y"],
    "write into a module-level array": ["@W[0] = y"],
    "write through an alias of a module-level array": ["r = W", "@r[1] = y"],
    "stale view read after a write": ["z = p * 1.0", "r = z[0:2]", "z[0] = y",
                                      "@y = y + np.sum(r)"],
    "stale alias read after a write": ["z = p * 1.0", "r = z", "z[1] += y",
                                       "@y = y * np.sum(r)"],
    "write into a list element": ["lst = [y, y]", "@lst[0] = y"],
    "write into a dict element": ["dd = {'w': y}", "@dd['w'] = y"],
    "a lambda as a value": ["@fs = [lambda v: v]"],
    "a nested function as a value": ["def g(v):", "    return v * y", "@h = g",
                                     "y = h(y)"],
    "class definition": ["@class C:", "    pass"],
    "try": ["@try:", "    y = y * 2.0", "except ValueError:", "    pass"],
    "with": ["@with open('f') as handle:", "    y = y * 2.0"],
    "global": ["@global G", "G = y"],
    "nonlocal": ["def add(v):", "    @nonlocal y", "    y = y + v", "    return v",
                 "y = add(y)"],
    "generator": ["@yield y"],
    "eval": ["@y = eval('y * 2.0')"],
    "exec": ["@exec('y = 1.0')"],
    "del": ["@del y", "y = 1.0"],
    "import": ["@import os"],
    "expression statement": ["@np.sin(y)"],
    "assert": ["@assert y > -10.0"],
    "walrus": ["@y = (t := y * 2.0)"],
    "chained assignment": ["@aa = bb = y"],
    "recursion": ["@y = recurse(y, 3)"],
}
RECURSIVE = ("def recurse(v, n):\n    if n <= 1:\n        return v\n"
             "    return v * recurse(v, n - 1)")


@dataclass
class RefusalProgram:
    construct: str
    text: str
    args: tuple
    line: int  # where the error must point


PLAIN = ["y = math.sin(y) * 2.0", "x = x * 0.5 + y", "y = y + np.sum(x * x)",
         "s = np.tanh(y) - y", "x = np.cos(x) * y"]


def refusal_program(c, construct=None):
    """A program with one refused construct (``construct``, or one drawn) between plain
    statements, and the line its error must name."""
    construct = construct or c.pick(list(SNIPPETS))
    before = [c.pick(PLAIN) for _ in range(c.integer(0, 2))]
    after = [c.pick(PLAIN) for _ in range(c.integer(0, 2))]
    snippet = SNIPPETS[construct]
    body = before + [line.replace("@", "") for line in snippet] + after + [
        "return y + np.sum(x)"]
    prefix = (HEADER + "\n\nW = np.array([0.5, -1.0, 2.0])\n\n\n" + RECURSIVE
              + "\n\n\ndef f(p, x, y):\n")
    text = prefix + "".join(f"    {line}\n" for line in body)
    if construct == "recursion":
        line = text.splitlines().index("    return v * recurse(v, n - 1)") + 1
    else:
        marked = next(i for i, line in enumerate(snippet) if "@" in line)
        line = prefix.count("\n") + len(before) + marked + 1
    args = (np.array([0.3, -0.2, 0.5, 0.9]), np.array([0.1, 0.7, -0.4, 1.2]), 0.4)
    return RefusalProgram(construct, text, args, line)


def refusal_problems(program, f):
    """What is wrong with srcdiff's answer to a refused construct ('' if nothing)."""
    try:
        srcdiff.gradient(f, wrt=(0, 1, 2))(*program.args)
    except srcdiff.SrcdiffError as error:
        problems = [located_problems(error)]
        if "internal error" in error.message:
            problems.append("an internal error instead of a refusal")
        if error.filename != f.__code__.co_filename:
            problems.append(f"filename {error.filename!r}, not {f.__code__.co_filename!r}")
        if error.lineno != program.line:
            problems.append(f"line {error.lineno}, not {program.line}")
        return "; ".join(p for p in problems if p) + (f"\n{error}" if any(problems) else "")
    except Exception as error:
        return f"raised {type(error).__name__}: {error} instead of refusing"
    return "not refused: srcdiff returned a gradient"
