"""A differential fuzzer for srcdiff: typed random programs and the oracles that judge them.

``grammar`` (with one module per area of the language: ``scalars``, ``arrays``, ``indexing``,
``calls``, ``containers``, ``sizes``) writes well-typed module source; ``generators`` names
the mixes of areas that the tests and ``tests/fuzz_hunt.py`` run; ``oracle`` runs a program
and its derivative and says what is wrong, if anything; ``refusals`` writes programs with a
construct srcdiff must refuse, and checks the refusal is located.
"""
