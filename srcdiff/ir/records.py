"""Plain data records: the fields listed once, ``__init__`` written out by hand.

``dataclasses`` would write these classes' methods for us, but it compiles them when
srcdiff is imported, about 0.9 ms of CPU a class (1.6 ms a frozen one): some 45 ms for the
IR's fifty classes, most of what importing srcdiff cost. A record names its fields in
``fields`` and writes its own ``__init__``; its repr comes from the field list, and so
does equality where ``compared`` names the fields it compares (identity otherwise).
"""

from __future__ import annotations

import operator


class Record:
    fields: tuple = ()
    hidden: tuple = ()
    """Fields the repr leaves out (a syntax tree, a source file)."""
    compared: tuple | None = None
    """The fields equality compares; None: records are equal only to themselves."""
    hashable: bool = False
    """With ``compared``: whether records hash by those fields (they must not change)."""

    def __repr__(self):
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields
                          if name not in self.hidden)
        return f"{type(self).__name__}({shown})"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.compared is not None:
            cls._key = operator.attrgetter(*cls.compared)
            cls.__eq__ = _equal
            cls.__hash__ = _hash if cls.hashable else None


def _equal(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self._key(self) == other._key(other)


def _hash(self):
    return hash(self._key(self))
