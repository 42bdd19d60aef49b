import importlib.util
import itertools
import sys
import textwrap

import pytest

_counter = itertools.count()


@pytest.fixture
def module_from(tmp_path):
    """Write source to a real file and import it, so srcdiff reads it like user code."""
    def load(source, name=None):
        name = name or f"srcdiff_test_module_{next(_counter)}"
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return load


def pytest_configure(config):
    """Every statement srcdiff prints in the tests is also printed by ``ast.unparse``, and
    the two texts must agree (see :mod:`srcdiff.backend.unparse`)."""
    from srcdiff.backend import unparse

    unparse.CHECK = True
