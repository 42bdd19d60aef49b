"""Where the reverse sweep reads a value, beside the statements whose adjoints read it.

The tape plan records, for each value, the places that read it: an adjoint statement (the
IR statement walked back over), or one of these markers.
"""

END = "end"  # after the reverse sweep: a returned value, or a gradient of an argument
SHAPE = "shape"  # only the array's shape, anywhere in the reverse sweep (zeros made from it)
