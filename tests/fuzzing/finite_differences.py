"""Central differences that know when they mean something.

For one coordinate x0 of one argument, ``probe`` evaluates the function at x0 ± h, ± 2h
(h = 1e-6 relative) and ± H (H = 1e-4 relative), in float64:

* the slope is the central difference at h; its rounding noise is estimated by how much the
  central difference at 2h differs from it, and from the size of the values differenced;
* a kink at x0 (max ties, abs at 0, a branch boundary) shows as a jump in one-sided slopes,
  measured free of curvature as d = 2 gap(h) - gap(2h), where gap(s) is the one-sided slope
  jump (f(x0+s) - 2 f(x0) + f(x0-s)) / s; a smooth function has gap(s) = s f'' + O(s^3).
  Where |d| exceeds the tolerance the coordinate is skipped, so a kink smaller than that can
  only move the central difference by half of it, inside the tolerance;
* a jump (a changed trip count, a discontinuous branch) between x0 - 2h and x0 + 2h makes the
  differences at h and 2h disagree; one within H makes the difference at H disagree;
* the lines the function executes (also in helpers and nested functions) at x0 ± h must be
  those at x0: the derivative describes the path taken.

Only coordinates passing all of these are compared; ``tight`` ones (the difference at H
agrees closely too) are far enough from any kink for float32 rounding not to cross it.
"""

import math
import sys
import warnings
from dataclasses import dataclass

import numpy as np

SMALL, LARGE = 1e-6, 1e-4
RTOL = 1e-5
EPS = float(np.finfo(np.float64).eps)


@dataclass
class Probe:
    slope: float
    smooth: bool
    tight: bool
    tolerance: float


def traced_path(f, args):
    """The (function, line) events of a call of ``f`` in its own source file."""
    events = []

    def line(frame, event):
        if event == "line":
            events.append((frame.f_code.co_name, frame.f_lineno))
    _traced(f, args, line)
    return tuple(events)


def _traced(f, args, visit):
    """Call ``f`` with ``visit(frame, event)`` run for each event in its own source file."""
    filename = f.__code__.co_filename

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != filename:
            return None
        visit(frame, event)
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        _evaluate(f, args)
    finally:
        sys.settrace(previous)


WHOLE = 2.0 ** 52


def largest_intermediate(f, args):
    """The largest magnitude of a real number that a call of ``f`` holds in a local variable
    of its own source file (arrays and lists of numbers included).

    From ``WHOLE`` = 2**52 on, every float is a whole number: floor, trunc and round are the
    identity there in floats though not on the reals, so central differences cannot see
    their steps (``math.trunc(x) - x`` is 0 in floats, its derivative -1)."""
    largest = 0.0

    def magnitude(value):
        if isinstance(value, (bool, np.bool_)):
            return 0.0
        if isinstance(value, (int, float, np.integer, np.floating)):
            value = abs(float(value))
            return value if math.isfinite(value) else 0.0
        if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size:
            finite = np.abs(value[np.isfinite(value)])
            return float(finite.max()) if finite.size else 0.0
        if isinstance(value, (list, tuple)):
            return max((magnitude(item) for item in value), default=0.0)
        return 0.0

    def scan(frame, event):
        nonlocal largest
        if event in ("line", "return"):
            for value in list(frame.f_locals.values()):
                largest = max(largest, magnitude(value))
    _traced(f, args, scan)
    return largest


def _evaluate(f, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                value = f(*args)
        value = complex(value)
        return value.real if value.imag == 0.0 else math.nan
    except Exception:
        return math.nan


def probe(f, moved, x0, f0, base_path):
    """The central-difference slope of ``f`` along one coordinate and whether to trust it.

    ``moved(t)`` is the argument tuple with the coordinate moved by t; ``f0`` the value at
    t = 0 and ``base_path`` its traced path."""
    scale_x = max(1.0, abs(x0))
    h, big = SMALL * scale_x, LARGE * scale_x
    values = {}
    for t in (h, -h, 2 * h, -2 * h, big, -big):
        args = moved(t)
        if abs(t) == h:
            if traced_path(f, args) != base_path:
                return Probe(math.nan, False, False, math.inf)
        values[t] = _evaluate(f, args)
    if not all(math.isfinite(v) for v in values.values()):
        return Probe(math.nan, False, False, math.inf)
    slope = (values[h] - values[-h]) / (2 * h)
    wide = (values[2 * h] - values[-2 * h]) / (4 * h)
    far = (values[big] - values[-big]) / (2 * big)
    noise = abs(slope - wide)
    scale = max(1.0, abs(slope))
    rounding = 8 * EPS * max(abs(v) for v in values.values()) / h
    tolerance = RTOL * scale + 4 * noise + rounding
    gap = (values[h] - 2 * f0 + values[-h]) / h
    gap2 = (values[2 * h] - 2 * f0 + values[-2 * h]) / (2 * h)
    kink = abs(2 * gap - gap2)
    smooth = (kink <= tolerance and noise <= 1e-4 * scale
              and abs(slope - far) <= 1e-3 * scale + 10 * noise)
    tight = smooth and abs(slope - far) <= 1e-5 * scale + 4 * noise
    return Probe(slope, smooth, tight, tolerance)
