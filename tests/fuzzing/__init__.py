"""A differential fuzzer for srcdiff: typed random programs and the oracles that judge them.

* ``grammar``: the typed writer (scopes, memory, statements, rule dispatch), with one module
  of rules per area of the language: ``scalars`` (and control flow), ``arrays``,
  ``indexing`` (and writes), ``calls``, ``containers``, ``sizes``; ``kinds`` are the types
  it tracks, ``choices`` where its random decisions come from (hypothesis or a seed).
* ``generators``: the named mixes of areas, with their parameters and argument values.
* ``oracle``: runs a program and its derivative and lists what is wrong, using
  ``finite_differences`` (central differences that know when they mean something) and
  ``values`` (argument trees).
* ``refusals``: programs with a construct srcdiff must refuse, and the check that the
  refusal is located.
* ``coverage``: which constructs a program contains, for the tests that keep the grammar
  from shrinking; ``reduce``: shrinking a failing program for ``tests/fuzz_hunt.py``.
"""
