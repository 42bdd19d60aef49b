"""Evaluating a primitive on samples of its operands' abstract values: how abstract
evaluation learns a result's kind and dtype from NumPy itself rather than from tables."""

from __future__ import annotations

import _thread
import functools
import warnings

import numpy as np

from ..ir import avals
from ..ir import nodes as ir


def evaluated_on_samples(rule, bound, args):
    """The primitive applied to samples of its operands' kinds. Where the first samples hit
    a point outside its domain (a division by ``i - 2``), other samples decide. Where known
    numbers put it outside whatever the samples (``x / sum([])``, ``math.log(0)``), the
    statement raises whenever it runs, in the derivative as in the function (often it is
    code that never runs): samples in their place give its result's kind."""
    for variant in (0, 1, 2):
        samples = {}
        for name, operand in bound.items():
            aval = args[name]
            if variant == 2 and _known_number(operand, aval):
                samples[name] = avals.sample(avals.AVal(aval.kind, aval.dtype),
                                             rule.domain.get(name, "real"), 1)
            elif isinstance(operand, ir.Const):
                samples[name] = operand.value
            elif isinstance(operand, ir.Global) and operand.known and not isinstance(
                    operand.value, np.ndarray):
                samples[name] = operand.value
            else:
                samples[name] = avals.sample(aval, rule.domain.get(name, "real"),
                                             min(variant, 1))
        with quietly():
            if any(type(sample) is np.ndarray for sample in samples.values()):
                quietly.refuse_scalar_conversion()
            try:
                return rule.fn(*[samples[p] for p in rule.params])
            except (ArithmeticError, ValueError):
                if variant == 2 or variant == 1 and not any(
                        _known_number(operand, args[name]) for name, operand in bound.items()):
                    raise


def _known_number(operand, aval):
    """Whether the operand is a Python int or float whose value is known."""
    if aval.kind != avals.PY or aval.dtype not in (int, float):
        return False
    if isinstance(operand, ir.Const):
        return type(operand.value) in (int, float)
    return avals.known_int(aval) is not None


_SCALAR_CONVERSION = "Conversion of an array with ndim > 0"


@functools.cache
def converts_with_a_warning():
    """Whether this NumPy still converts a one-element array to a scalar (with a warning),
    as NumPy 2.2 does; later versions refuse. Asked once, and only where a sample is an
    array (see :meth:`quietly.refuse_scalar_conversion`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            float(np.ones(1))
        except TypeError:
            return False
    return True


class quietly:
    """Samples are evaluated without warnings, and with NumPy's floating point errors
    ignored (a sample may divide by zero). Entered once around a whole specialization, so
    that each sample does not pay for both context managers; nested entries cost nothing.
    Per thread: NumPy's error state is, and a thread must not rely on another's."""

    _state = _thread._local()  # the depth of nesting, and whether conversions are refused

    def __enter__(self):
        state = self._state
        depth = getattr(state, "depth", 0)
        state.depth = depth + 1
        if depth == 0:
            state.refusing = False
            self._contexts = (warnings.catch_warnings(), np.errstate(all="ignore"))
            for context in self._contexts:
                context.__enter__()
            warnings.simplefilter("ignore")
        return self

    @classmethod
    def refuse_scalar_conversion(cls):
        """Inside the scope, where this NumPy still converts a one-element array to a
        Python scalar with a warning (``math.sin(np.ones(1))``), make that warning an
        error: a sample has one element, the real array more, and later NumPy refuses it,
        so the primitive does not apply. Asked where a sample is an array: probing NumPy
        and compiling the filter's pattern cost a program of scalars 0.04M instructions."""
        state = cls._state
        if not state.refusing:
            state.refusing = True
            if converts_with_a_warning():
                warnings.filterwarnings("error", _SCALAR_CONVERSION, DeprecationWarning)

    def __exit__(self, *exc):
        self._state.depth -= 1
        for context in reversed(getattr(self, "_contexts", ())):
            context.__exit__(*exc)
        return False
