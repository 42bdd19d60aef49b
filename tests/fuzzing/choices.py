"""The random decisions a program generator makes, drawn from hypothesis or from a seeded RNG.

The grammar only talks to a ``Choices``: under pytest, hypothesis draws (so failures shrink
toward the first option of each choice, which the grammar keeps the simplest); in
``fuzz_hunt.py`` a ``random.Random`` makes thousands of programs without hypothesis'
bookkeeping.
"""

import random

from hypothesis import strategies as st

SPECIAL_VALUES = (0.0, 1.0, -1.0, 0.5, -0.5)


class Choices:
    def integer(self, low, high):
        raise NotImplementedError

    def real(self, low, high):
        raise NotImplementedError

    def pick(self, options):
        options = list(options)
        return options[self.integer(0, len(options) - 1)]

    def weighted(self, options):
        """One of ``(weight, value)`` pairs; integer weights, zero weights never chosen."""
        options = [(weight, value) for weight, value in options if weight > 0]
        roll = self.integer(0, sum(weight for weight, _ in options) - 1)
        for weight, value in options:
            if roll < weight:
                return value
            roll -= weight
        raise AssertionError("unreachable")

    def chance(self, probability):
        """True with ``probability``; shrinks toward False."""
        return self.integer(0, 999) >= round(1000 * (1.0 - probability))

    def value(self, low=-1.5, high=1.5):
        """An argument value: mostly uniform, sometimes a point where kinks and edge cases
        live (0.0 for ``x ** 0`` and polynomials, equal values for ties)."""
        if self.chance(0.15):
            return self.pick(SPECIAL_VALUES)
        return self.real(low, high)


class HypothesisChoices(Choices):
    def __init__(self, draw):
        self.draw = draw

    def integer(self, low, high):
        return self.draw(st.integers(low, high))

    def real(self, low, high):
        return self.draw(st.floats(low, high, allow_nan=False, allow_infinity=False))


class RandomChoices(Choices):
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def integer(self, low, high):
        return self.rng.randint(low, high)

    def real(self, low, high):
        return self.rng.uniform(low, high)
