"""Values as a reader wants them on one line: numbers short, arrays as their dtype and shape
with a few elements, containers with a few items; never an internal repr.

Also the values a user types for the command line's ``--trace`` and ``--at``
(``a=2,b=1``, ``x=[1.0, 2.0]``), read as Python literals, never executed.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np

from ..errors import SrcdiffError

SHOWN_ITEMS = 3


def describe(value, items=SHOWN_ITEMS):
    """``3.0``, ``float64[3, 4] [0.1, 0.2, 0.3, ...]``, ``[1.0, 2.0]``, ``list[0]``."""
    if isinstance(value, np.ndarray):
        shape = ", ".join(str(n) for n in value.shape)
        if value.size == 0:
            return f"{value.dtype}[{shape}]"
        flat = [number(v) for v in value.ravel()[:items]]
        more = ", ..." if value.size > items else ""
        if value.ndim == 0:
            return f"{value.dtype}[] {flat[0]}"
        return f"{value.dtype}[{shape}] [{', '.join(flat)}{more}]"
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, (int, float, complex, np.number)):
        return number(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return f"{type(value).__name__}[0]"
        shown = [describe(v, items) for v in value[:items]]
        if len(value) > items:
            shown.append(f"... ({len(value)} items)")
        if isinstance(value, list):
            return "[" + ", ".join(shown) + "]"
        return "(" + ", ".join(shown) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        shown = [f"{k!r}: {describe(v, items)}" for k, v in list(value.items())[:items]]
        if len(value) > items:
            shown.append("...")
        return "{" + ", ".join(shown) + "}"
    if isinstance(value, range):
        return repr(value)
    return f"<{type(value).__name__}>"


def number(value, digits=None):
    """A number as Python prints it where that is short (``3.0``, ``-0.25``), else with
    six significant digits; ``digits`` forces ``%g`` with that many."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (complex, np.complexfloating)):
        z = complex(value)
        sign = "-" if z.imag < 0 else "+"
        return f"({number(z.real, digits)}{sign}{number(abs(z.imag), digits)}j)"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if digits is not None:
        return f"{value:.{digits}g}"
    text = repr(value)
    return text if len(text) <= 9 else f"{value:.6g}"


def snapshot(value):
    """A copy that later writes into the value (arrays, tapes) leave as it was. Lists and
    dicts are copied, not their items: what generated code pushes on a tape is never
    written into afterwards, and copying every item at every push would cost the square
    of the tape's length."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def is_scalar(value):
    return isinstance(value, (int, float, complex, np.number)) or (
        isinstance(value, np.ndarray) and value.ndim == 0)


def parse_pairs(text, flag):
    """``NAME=VALUE,NAME=VALUE`` as ``{name: value}``, each VALUE a Python literal (a number,
    or a list such as ``[1.0, 2.0]``: commas inside brackets do not separate pairs). An
    error shows the text with a caret under the pair at fault."""
    pairs, start, openers = {}, 0, []
    for position, char in enumerate(text + ","):
        if char in "([{":
            openers.append(position)
        elif char in ")]}" and not openers:
            raise in_argument(flag, text, position, f"{flag}: {char!r} closes nothing",
                               "balance the brackets of each value")
        elif char in ")]}":
            openers.pop()
        if position == len(text) and openers:
            raise in_argument(flag, text, openers[-1], f"{flag}: {text[openers[-1]]!r} is "
                               "not closed", "balance the brackets of each value")
        if char != "," or openers:
            continue
        item = text[start:position]
        name, sep, value = item.partition("=")
        at = start + len(item) - len(item.lstrip())
        if not sep or not name.strip().isidentifier() or not value.strip():
            raise in_argument(flag, text, at, f"{flag}: write NAME=VALUE pairs separated "
                               "by commas", "for example a=2,b=1 or x=[1.0, 2.0],y=0.5")
        if name.strip() in pairs:
            raise in_argument(flag, text, at, f"{flag}: {name.strip()} is given twice",
                               "give each parameter's value once")
        try:
            pairs[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            at += len(name) + 1 + len(value) - len(value.lstrip())
            raise in_argument(flag, text, at, f"{flag}: {value.strip()!r} is not a Python "
                               "literal", "write a number, or a list of numbers such as "
                               "[1.0, 2.0] for an array") from None
        start = position + 1
    return pairs


def in_argument(flag, text, column, message, hint):
    """An error in a command-line argument, with the argument quoted and a caret."""
    return SrcdiffError(message, source_line=f"{flag} {text}",
                        col_offset=len(flag) + 1 + column, hint=hint)


def parse_assignments(text, flag):
    """``"a=2,b=[1.0, 2.0]"`` as ``{"a": 2, "b": array([1., 2.])}``: lists of numbers
    become float64 arrays. Whole numbers stay ints here: :func:`bind` makes floats of those
    that are not counts."""
    return {name: _literal(name, value, flag)
            for name, value in parse_pairs(text, flag).items()}


def _literal(name, value, flag):
    if isinstance(value, (bool, int, float, complex)):
        return value
    if isinstance(value, (list, tuple)) and _numbers(value):
        return np.array(value, dtype=np.float64)
    raise SrcdiffError(f"{flag}: the value of {name}, {value!r}, is neither a number nor a "
                       "list of numbers", hint="lists of numbers become float64 arrays")


def _numbers(value):
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_numbers(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def bind(param_names, given, flag, counts=(), defaults=None):
    """The values of ``given`` (by name) in parameter order, a parameter left out taking its
    value from ``defaults`` (the function's own defaults, as a call would); a missing or
    unknown name is an error with a hint. Whole numbers given become floats, except for the
    parameters in ``counts`` (loop bounds and indices), which stay ints."""
    defaults = defaults or {}
    unknown = [name for name in given if name not in param_names]
    if unknown:
        raise SrcdiffError(f"{flag}: the function has no parameter named {unknown[0]!r}",
                           hint=f"its parameters are: {', '.join(param_names)}")
    missing = [name for name in param_names if name not in given and name not in defaults]
    if missing:
        example = ",".join(f"{name}=1.0" for name in param_names if name not in defaults)
        raise SrcdiffError(f"{flag}: no value for {', '.join(missing)}",
                           hint=f"give every parameter without a default a value, e.g. "
                                f"{flag} {example}")
    return [defaults[name] if name not in given else given[name]
            if name in counts or not _whole(given[name]) else float(given[name])
            for name in param_names]


def defaults_of(fn):
    """The default values of a function's parameters, by name (none where ``fn`` is None)."""
    if fn is None:
        return {}
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)
