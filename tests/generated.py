"""Functions made from generated source text, registered with linecache so that srcdiff can
read their source as it reads a file's."""

import itertools
import linecache

_count = itertools.count()


def namespace_from(text, label):
    """Execute module source ``text``; its globals (helpers, constants, closures) as a dict."""
    filename = f"<{label} {next(_count)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {"__name__": filename}
    exec(compile(text, filename, "exec"), namespace)
    return namespace


def function_from(text, label, name="f"):
    return namespace_from(text, label)[name]
