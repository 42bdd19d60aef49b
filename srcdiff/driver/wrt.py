"""Which parameters a derivative is taken with respect to, as users name them."""

from __future__ import annotations

from ..errors import SrcdiffError, describe_object
from ..transforms.reverse import Wrt


def normalize_wrt(params, wrt, fname):
    """``wrt`` as parameter names, remembering whether a tuple of gradients was asked for."""
    if not params:
        raise SrcdiffError(f"{fname} has no parameters to differentiate with respect to",
                           hint="give it the parameters its result depends on")
    if wrt is None:
        return Wrt([params[0]], multiple=False)
    if isinstance(wrt, (tuple, list)):
        if not wrt:
            raise SrcdiffError("wrt is empty; name at least one parameter",
                               hint=f"its parameters are: {', '.join(params)}")
        names = [_one_wrt(params, w, fname) for w in wrt]
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise SrcdiffError(f"wrt names the parameter {twice} twice",
                               hint="name each parameter once")
        return Wrt(names, multiple=True)
    return Wrt([_one_wrt(params, wrt, fname)], multiple=False)


def _one_wrt(params, item, fname):
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        raise SrcdiffError(f"wrt must be parameter indices or names, not "
                           f"{describe_object(item)}", hint=f"its parameters are: "
                           f"{', '.join(params)}")
    if isinstance(item, int):
        if not -len(params) <= item < len(params):
            raise SrcdiffError(f"wrt={item} is out of range: {fname} has {len(params)} "
                               f"parameter{'s' if len(params) != 1 else ''} "
                               f"({', '.join(params)})",
                               hint=f"use an index from {-len(params)} to {len(params) - 1}, "
                                    "or a parameter name")
        return params[item]
    if item not in params:
        raise SrcdiffError(f"{fname} has no parameter named {item!r}",
                           hint=f"its parameters are: {', '.join(params)}")
    return item
