"""Importing srcdiff with the cyclic garbage collector paused.

The import makes tens of thousands of objects (functions, rule tables, records) that live
as long as the process. Automatic collections meanwhile traverse them, and a full one
everything else the process holds, to find nothing; later collections move them one
generation at a time, traversing them again. Pausing collection during the import and then
moving what it made to the oldest generation at once saves about a sixteenth of the
import's instructions (measured with ``benchmarks/startup.py --instructions``).

Compiling a derivative gains nothing from the same: its objects are mostly garbage by the
end, and collecting them then costs what collecting them on the way does.
"""

from __future__ import annotations

import gc


class long_lived:
    """``with long_lived():`` runs its body with automatic collection off, then moves every
    tracked object to the oldest generation (``gc.freeze()`` and ``gc.unfreeze()``,
    neither of which traverses them) and turns collection back on if it was on. A process
    that froze objects itself (before forking, say) is left as it was: unfreezing would
    undo that."""

    __slots__ = ("enabled",)

    def __enter__(self):
        self.enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc):
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if self.enabled:
            gc.enable()
        return False
