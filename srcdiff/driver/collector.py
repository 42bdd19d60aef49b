"""Compiling with the cyclic garbage collector paused.

Lowering and transforming a function allocate many small objects (tree nodes, IR records)
that live until the derivative is compiled. Each automatic collection meanwhile traverses
them, and a full one also traverses everything the process holds (NumPy's modules, the
user's data), to find nothing: that was a fifth of the CPU time of a first gradient. Pausing
collection while srcdiff compiles leaves the work to the collection that follows, which
runs once over what survived, as a compiler's allocation burst calls for (mypy raises its
thresholds for the same reason).
"""

from __future__ import annotations

import _thread
import gc

_lock = _thread.allocate_lock()
_depth = 0
_was_enabled = False


class paused:
    """``with paused():`` runs its body with automatic collection off, restoring it after
    the outermost such block ends (nested and concurrent blocks share one pause), unless
    something else turned collection off first.

    ``paused(long_lived=True)`` says that what the body made stays for the process's life
    (srcdiff's modules, on import): it is then moved to the oldest generation, as
    collections would move it one generation at a time, without traversing it. A process
    that froze objects itself (``gc.freeze()``, before forking) is left as it was.
    """

    __slots__ = ("long_lived",)

    def __init__(self, long_lived=False):
        self.long_lived = long_lived

    def __enter__(self):
        global _depth, _was_enabled
        with _lock:
            if _depth == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _depth += 1
        return self

    def __exit__(self, *exc):
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and self.long_lived and gc.get_freeze_count() == 0:
                gc.freeze()  # every tracked object to the permanent generation,
                gc.unfreeze()  # and back to the oldest one
            if _depth == 0 and _was_enabled:
                gc.enable()
        return False
