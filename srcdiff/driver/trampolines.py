"""The code a derivative's function object runs until its first call compiles it: a
function with the derivative's parameter list that hands its arguments to the dispatcher::

    def e_grad(a, b):
        dispatch = srcdiff_dispatcher
        return dispatch(a, b)

Compiling even that costs some 0.25M instructions, 3% of a first gradient. A list of up to
eight parameters that take positional arguments (the commonest by far) is not compiled:
one of ``_takes_0`` to ``_takes_8`` below, compiled with srcdiff itself, is renamed instead
(its parameters, name, file and first line), and the dispatcher takes the place of the
string constant it calls. Its columns are those of its own one-letter names; for other
names, its line table is rewritten without columns (once per number of parameters), so
that a traceback shows the line without carets rather than carets in the wrong place.
Keyword-only parameters are passed by keyword, which is other code: such a list is
compiled, once.
"""

from __future__ import annotations

from ..backend.compile import compiled_function, filename_for, remember_text
from ..ir import names

_CALLED = "\x00srcdiff:dispatch"
"""The constant a trampoline calls until the dispatcher replaces it."""
_CALLER = "dispatch"
_SHOWN_DISPATCHER = "srcdiff_dispatcher"


def _takes_0():
    dispatch = "\x00srcdiff:dispatch"
    return dispatch()


def _takes_1(a):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a)


def _takes_2(a, b):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b)


def _takes_3(a, b, c):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b, c)


def _takes_4(a, b, c, d):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b, c, d)


def _takes_5(a, b, c, d, e):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b, c, d, e)


def _takes_6(a, b, c, d, e, f):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b, c, d, e, f)


def _takes_7(a, b, c, d, e, f, g):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b, c, d, e, f, g)


def _takes_8(a, b, c, d, e, f, g, h):
    dispatch = "\x00srcdiff:dispatch"
    return dispatch(a, b, c, d, e, f, g, h)


_BY_ARITY = tuple(f.__code__ for f in (_takes_0, _takes_1, _takes_2, _takes_3, _takes_4,
                                       _takes_5, _takes_6, _takes_7, _takes_8))
_COMPILED = {}  # a parameter list no template serves (keyword-only, or long) -> its code


def trampoline(name, positional_only, positional, keyword_only, dispatch):
    """The code of ``def name(...)``, the parameters named in each of the three lists in
    turn, calling ``dispatch`` with its arguments (the keyword-only ones by keyword)."""
    params = positional_only + positional + keyword_only
    caller = names.numbered(_CALLER, set(params))
    renamed = {"co_name": name, "co_filename": filename_for(name), "co_firstlineno": 1}
    template = None
    if not keyword_only and len(params) < len(_BY_ARITY):
        exact = caller == _CALLER and all(len(p) == 1 for p in params)
        template = _BY_ARITY[len(params)] if exact else _relined(len(params))
    if template is None:
        template = _compiled(positional_only, positional, keyword_only, caller)
    else:
        renamed.update(co_varnames=tuple(params) + (caller,),
                       co_posonlyargcount=len(positional_only))
    if hasattr(template, "co_qualname"):  # Python 3.11 and later
        renamed["co_qualname"] = name
    arguments = ", ".join(positional_only + positional + [f"{p}={p}" for p in keyword_only])
    remember_text(renamed["co_filename"],
                  f"def {name}({_signature(positional_only, positional, keyword_only)}):\n"
                  f"    {caller} = {_SHOWN_DISPATCHER}\n    return {caller}({arguments})\n")
    return template.replace(co_consts=tuple(
        dispatch if type(c) is str and c == _CALLED else c for c in template.co_consts),
        **renamed)


def _relined(arity):
    """``_takes_N`` with no columns, for names of other lengths than its own; None on a
    Python whose line tables this does not write (the table is checked against
    ``co_positions()``, which reads it). Python 3.10 has no columns to go wrong."""
    if arity not in _RELINED:
        template = _BY_ARITY[arity]
        positions = getattr(template, "co_positions", None)
        _RELINED[arity] = template if positions is None else _without_columns(
            template, [None if line is None else line - template.co_firstlineno + 1
                       for line, _, _, _ in positions()])
    return _RELINED[arity]


_RELINED = {}


def _without_columns(template, lines):
    table, previous, k = bytearray(), 1, 0
    while k < len(lines):
        line, run = lines[k], 1
        while run < 8 and k + run < len(lines) and lines[k + run] == line:
            run += 1
        if line is None:
            table.append(0xF8 | run - 1)  # an entry with no location
        else:
            table.append(0xE8 | run - 1)  # a line and no columns: the change of line follows
            table.append(line - previous << 1 if line >= previous else previous - line << 1 | 1)
            previous = line
        k += run
    made = template.replace(co_linetable=bytes(table), co_firstlineno=1)
    expected = [(line, line, None, None) for line in lines]
    return made if list(made.co_positions()) == expected else None


def _compiled(positional_only, positional, keyword_only, caller):
    key = (tuple(positional_only), tuple(positional), tuple(keyword_only), caller)
    made = _COMPILED.get(key)
    if made is None:
        arguments = ", ".join(positional_only + positional
                              + [f"{p}={p}" for p in keyword_only])
        made = _COMPILED[key] = compiled_function(
            f"def trampoline({_signature(positional_only, positional, keyword_only)}):\n"
            f"    {caller} = {_CALLED!r}\n    return {caller}({arguments})\n",
            "<srcdiff trampoline>", {})
    return made


def _signature(positional_only, positional, keyword_only):
    parts = list(positional_only)
    if positional_only:
        parts.append("/")
    parts += positional
    if keyword_only:
        parts.append("*")
        parts += keyword_only
    return ", ".join(parts)
