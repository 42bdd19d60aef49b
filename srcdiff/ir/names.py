"""Every name srcdiff gives to something in generated code, decided here.

* ``t1, t2, ...``: temporaries of the three-address form, one per sub-expression;
* ``y_2, y_3, ...``: another variable of a name already taken (an older value of ``y``
  that the reverse sweep still reads, or a second helper of srcdiff's own);
* ``g_v``: the local ``v`` of a nested function ``g`` inlined into its caller;
* ``y_bar``: the adjoint of ``y``; ``y_bar_index``: a part of it made apart;
* ``y_dot``: the tangent of ``y`` (forward mode);
* ``y_tape``: the values of ``y`` saved for the reverse sweep;
* ``y_new``: the value an assignment gave ``y``, kept while the old one is restored.

A suffixed name that is already one of the user's takes underscores until it is not
(``y_bar_``), so generated code never shadows a name the user's code reads.
"""

from __future__ import annotations

from . import trees

ADJOINT = "_bar"
TANGENT = "_dot"
TAPE = "_tape"
NEW = "_new"


def spelled_in(node, walked=None):
    """Every identifier a source tree spells, read or written: the names generated code
    must not take. Found once per tree and kept on it, as the frontend, the tape and the
    emitter all ask for the function's (``walked``: they, where a caller walked the tree
    for its own ends already)."""
    found = node.__dict__.get("_srcdiff_spelled")
    if found is None:
        found = node._srcdiff_spelled = frozenset(
            walked if walked is not None else (n.id for n in trees.names(node)))
    return found


def numbered(base, taken, first=None):
    """``base`` itself where it is not in ``taken`` (and ``first`` is None), else the first
    of ``base_2``, ``base_3``, ... (from ``first``) that is not; added to ``taken``."""
    name, n = base, (first or 2)
    if first is not None or name in taken:
        while f"{base}_{n}" in taken:
            n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def temporary(counter, taken):
    """The first ``t<k>`` with ``k > counter`` not in ``taken``: ``(name, k)``, added."""
    while True:
        counter += 1
        if f"t{counter}" not in taken:
            taken.add(f"t{counter}")
            return f"t{counter}", counter


def is_temporary(name, user_names):
    """Whether ``name`` is one of the three-address form's temporaries (``t<k>`` that the
    user's code does not spell)."""
    return name[:1] == "t" and name[1:].isdigit() and name not in user_names


def inlined(function, local):
    """The name a nested function's local gets in the caller it is inlined into."""
    return f"{function}_{local}"


def suffixed(name, suffix, user_names):
    """``name`` + ``suffix``, with underscores added while that is one of ``user_names``."""
    result = name + suffix
    while result in user_names:
        result += "_"
    return result


def adjoint(name, user_names):
    return suffixed(name, ADJOINT, user_names)


def tangent(name, user_names):
    return suffixed(name, TANGENT, user_names)


def tape(name, user_names):
    return suffixed(name, TAPE, user_names)


def new_value(name, user_names):
    return suffixed(name, NEW, user_names)


def part(adjoint_name, label):
    """A part of an adjoint made apart from it (``t3_bar_index``)."""
    return f"{adjoint_name}_{label}"
