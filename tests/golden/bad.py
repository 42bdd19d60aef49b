import math


def fine(x):
    return math.sin(x)


def looping(x):
    for i in range(3):
        x = x * 2.0
    return x
