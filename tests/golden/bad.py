import math


def fine(x):
    return math.sin(x)


def guarded(x):
    try:
        x = x * 2.0
    except ValueError:
        pass
    return x
