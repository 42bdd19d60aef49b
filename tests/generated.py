"""Functions made from generated source text, registered with linecache so that srcdiff can
read their source as it reads a file's."""

import itertools
import linecache

_count = itertools.count()


def function_from(text, label, name="f"):
    filename = f"<{label} {next(_count)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), namespace)
    return namespace[name]
