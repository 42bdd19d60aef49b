"""The adjoints at one point of the reverse sweep, and which of them the sweep owns.

Walking backwards, the reverse transform keeps for each variable (an SSA web) the
expression its adjoint has so far: a reference to an adjoint variable (``y_bar``), a folded
constant, a :class:`Lazy` scalar not yet broadcast, or a :class:`View` of another adjoint.
A variable with no entry has a zero adjoint.

*Owned* adjoints are arrays this sweep made (``2.0 * y``, a copy, zeros): they may be
changed in place (``x_bar[i] += g``). Any other array adjoint may be the very array another
adjoint holds (``w_bar = x_bar = t_bar`` after ``t = x + w``), so it is copied before it is
changed. Each path through a branch, and each loop body, gets a state of its own; what one
path owns says nothing about another, which may still share the array.
"""

from __future__ import annotations


class Lazy:
    """An adjoint equal everywhere to a scalar, not yet broadcast to its variable's shape:
    ``np.sum(a)`` hands ``a`` its scalar adjoint, and elementwise templates broadcast it for
    free (``a_bar = 2.0 * s_bar * a`` rather than first filling an array with ``s_bar``).
    ``expr`` is a constant or the variable's own adjoint, which holds that scalar."""

    def __init__(self, expr):
        self.expr = expr


class View:
    """A contribution that is a view of another adjoint (``y_bar[1:]``, handed to ``v`` by a
    store). Added to something it is safe; assigned as an adjoint of its own it is copied,
    since the adjoint it views is changed in place later (zeroed, or scattered into)."""

    def __init__(self, expr):
        self.expr = expr


class AdjointState:
    """Variable -> adjoint expression, and the set of variables whose adjoints are owned."""

    def __init__(self, bindings=None, owned=()):
        self.bindings = dict(bindings or {})
        self.owned = set(owned)

    def copy(self):
        """A state of its own, for one path of a branch: changes to either, bindings or
        ownership, do not reach the other."""
        return AdjointState(self.bindings, self.owned)

    def restricted(self, webs):
        """A state of its own holding the adjoints of ``webs`` alone (a loop body's view of
        the variables it carries), with the same ownership."""
        return AdjointState({w: v for w, v in self.bindings.items() if w in webs},
                            self.owned)

    def clear(self):
        self.bindings.clear()
        self.owned.clear()

    def get(self, web, default=None):
        return self.bindings.get(web, default)

    def pop(self, web, default=None):
        return self.bindings.pop(web, default)

    def items(self):
        return self.bindings.items()

    def __getitem__(self, web):
        return self.bindings[web]

    def __setitem__(self, web, value):
        self.bindings[web] = value

    def __contains__(self, web):
        return web in self.bindings

    def __iter__(self):
        return iter(self.bindings)

    def __len__(self):
        return len(self.bindings)
