"""Arithmetic errors raised while the adjoints of a derivative run, told as the user's own.

Where a primitive's derivative is infinite (``math.sqrt`` at 0, ``math.asin`` at 1), the
adjoint's arithmetic on Python floats raises ``ZeroDivisionError`` (NumPy gives inf instead).
The user's function raised nothing there, so such an error must not leave the derivative as
it is: the compiled derivative (not its printed text) catches arithmetic and domain errors,
and one raised after the forward sweep becomes a :class:`SrcdiffError` at the source line
whose derivative failed. Errors of the forward sweep are the user's function's own and
pass unchanged. A ``ValueError`` other than a math domain error (shapes that do not
broadcast) is srcdiff's own bug, and says so.
"""

from __future__ import annotations

import linecache
import re

from ..errors import SrcdiffError

CAUGHT = (ArithmeticError, ValueError)
_SOURCE_LINE = re.compile(r"#\s(?P<text>.*?)\s+\(line (?P<line>\d+)\)\s*$")


class AdjointSite:
    """Where a compiled derivative's adjoints start, and the files to explain a failure."""

    def __init__(self, name, generated_file, adjoint_line, source_file):
        self.name = name
        self.generated_file = generated_file
        self.adjoint_line = adjoint_line
        self.source_file = source_file

    def explain(self, error):
        """The error to raise for ``error``: itself, where the forward sweep raised it."""
        line = self._failing_line(error)
        if line is None or line < self.adjoint_line:
            return error
        lineno, text = self._source_of(line)
        what = f"the adjoint of '{text}'" if text else "an adjoint"
        raised = f"{what} raised {type(error).__name__} ({error})"
        if isinstance(error, ValueError) and "math domain error" not in str(error):
            # NumPy's ValueErrors (shapes that do not broadcast, ...) are not about slopes.
            return self._located(
                f"internal error while differentiating {self.name}: {raised}", lineno,
                "this is a bug in srcdiff (or in a rule given to srcdiff.defvjp); please "
                "report it with this function")
        return self._located(
            f"{self.name} has no finite derivative here: {raised}", lineno,
            "a primitive has an infinite slope at this point (math.sqrt at 0, math.asin at "
            "1, ...); differentiate at another point")

    def _located(self, message, lineno, hint):
        source = linecache.getline(self.source_file, lineno) if lineno else ""
        return SrcdiffError(
            message, filename=self.source_file, lineno=lineno,
            col_offset=len(source) - len(source.lstrip()) if lineno else None,
            source_line=source or None, hint=hint)

    def _failing_line(self, error):
        line = None
        traceback = error.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == self.generated_file:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        return line

    def _source_of(self, line):
        """The source line and text that the nearest comment above ``line`` quotes."""
        for number in range(line, self.adjoint_line - 1, -1):
            match = _SOURCE_LINE.search(linecache.getline(self.generated_file, number))
            if match:
                return int(match.group("line")), match.group("text")
        return None, None
