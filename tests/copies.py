"""One generated function holding several copies of a rule's call, for tests that need the
same primitive at several argument kinds or shapes.

Compiling a derivative is the costly step of a rule test; a function that sums weighted
copies of one call (``W0 * op(x_0) + W1 * op(x_1)``) gets each copy's gradients from one
compilation, and since the copies share no arguments, each copy's gradient is exactly its
own call's.
"""

from __future__ import annotations

import itertools
import linecache
import re

import numpy as np
from test_rules import Generated, _literal, imports

_counter = itertools.count()


def renamed(text, names, suffix):
    """``text`` with each of ``names`` (not keyword names) given ``suffix``."""
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b(?!\s*=[^=])", f"{name}{suffix}", text)
    return text


class Copies:
    """Copies of ``generated`` calls (Generated objects of one rule, one per copy)."""

    def __init__(self, copies, rng):
        self.copies = copies
        self.names, self.shape_of, lines, terms = [], {}, [], []
        for k, generated in enumerate(copies):
            suffix = f"_{k}"
            local = list(generated.names) + list(generated.constants)
            call = renamed(generated.call_text, local, suffix)
            weight = float(np.round(rng.uniform(0.5, 1.5), 2))
            terms.append(f"np.sum({weight} * ({call}))")
            lines += [f"{p}{suffix} = {_literal(v)}" for p, v in generated.constants.items()]
            self.names += [f"{p}{suffix}" for p in generated.names]
            self.shape_of.update((f"{p}{suffix}", generated.shape_of[p])
                                 for p in generated.names)
        body = "\n        + ".join(terms)
        self.source = "\n".join(["import math", "", "import numpy as np", "",
                                 *imports(copies[0].case.rule), *lines, "", "",
                                 f"def f({', '.join(self.names)}):",
                                 f"    return ({body})", ""])
        filename = f"<srcdiff-rule-copies-{next(_counter)}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True),
                                     filename)
        namespace = {"__name__": "generated_rule_copies"}
        exec(compile(self.source, filename, "exec"), namespace)
        self.fn = namespace["f"]


def generated_or_none(case, rng):
    """The case's Generated module, or None where the primitive rejects its shapes."""
    try:
        with np.errstate(all="ignore"):
            return Generated(case, rng)
    except Exception:
        return None
