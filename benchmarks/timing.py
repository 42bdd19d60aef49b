"""Interleaved timeit measurements, summarised by median, quartiles and minimum."""

import statistics
import timeit
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Stats:
    median: float
    q1: float
    q3: float
    minimum: float
    number: int
    repeats: int

    @property
    def iqr(self):
        return self.q3 - self.q1

    def as_dict(self):
        return {**asdict(self), "iqr": self.iqr}


def make_timer(grad, args, sync=None):
    """A timer for the bare statement `g(a0, a1, ...)`, wrapped in `sync(...)` if given."""
    names = [f"a{i}" for i in range(len(args))]
    call = f"g({', '.join(names)})"
    scope = {"g": grad, "sync": sync, **dict(zip(names, args, strict=True))}
    return timeit.Timer(f"sync({call})" if sync else call, globals=scope)


def calibrate(timer, min_time):
    """Smallest loop count in the 1-2-5 series whose loop takes at least `min_time` seconds.

    The calls made while searching double as the warm-up.
    """
    number = 1
    while True:
        for step in (1, 2, 5):
            n = number * step
            if timer.timeit(n) >= min_time:
                return n
        number *= 10


def summarize(per_call, number):
    ordered = sorted(per_call)
    if len(ordered) > 1:
        q1, _, q3 = statistics.quantiles(ordered, n=4)
    else:
        q1 = q3 = ordered[0]
    return Stats(statistics.median(ordered), q1, q3, ordered[0], number, len(ordered))


def measure(timers, repeats, min_time):
    """Time each timer `repeats` times, taking turns so drift on a shared machine hits all alike.

    Returns per-call `Stats` (seconds) for each key, or the exception a timer raised.
    """
    results = {}
    numbers = {}
    for key, timer in timers.items():
        try:
            numbers[key] = calibrate(timer, min_time)
        except Exception as exc:
            results[key] = exc
    samples = {key: [] for key in numbers}
    for _ in range(repeats):
        for key in list(samples):
            try:
                samples[key].append(timers[key].timeit(numbers[key]) / numbers[key])
            except Exception as exc:
                results[key] = exc
                del samples[key]
    for key, per_call in samples.items():
        results[key] = summarize(per_call, numbers[key])
    return results
