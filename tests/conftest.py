"""The suite's markers, and the guard of ``make check``.

Markers (registered in pyproject.toml), each for what a test starts:

- ``sandbox``: a grading run (the grader's sandboxes: bubblewrap, a uid of its own, or a kernel
  with limits only), Gradescope's autograder included;
- ``kernel``: a Jupyter kernel (nbval over the notebooks, nbclient);
- ``browser``: JupyterLab in Chromium.

nbval's cells are ``kernel`` and everything in ``tests/test_browser.py`` is ``browser`` (added
here); the rest are marked on the tests (``gradingkit.needs_sandbox`` marks ``sandbox`` too).
The files with the most ``sandbox`` and ``browser`` tests run first (the longest work first).
``make check`` runs ``-m "not (sandbox or kernel or browser)"`` with ``CONVLIB_CHECK_ONLY=1``:
then the guard in ``tests/checkguard/checkguard.py`` refuses to start any of those, here and in
every Python started from here, so a test that needs one and is not marked fails loudly instead
of slowing the loop down.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

GUARD = Path(__file__).resolve().parent / "checkguard"
sys.path.insert(0, str(GUARD))
import checkguard  # noqa: E402  (tests/checkguard/checkguard.py)

sys.path.remove(str(GUARD))

collect_ignore = ["checkguard"]  # started by Python itself, not a module of tests


def pytest_configure(config):
    if not os.environ.get(checkguard.ENV):
        return
    checkguard.install()
    # every Python started from here imports the guard (tests/checkguard/sitecustomize.py)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), os.environ.get("PYTHONPATH")]))
    from convlib.grading import sandbox

    def refused(self, *args, **kwargs):
        raise checkguard.StartedInCheck("make check starts no sandbox, but a test made a grading Executor "
                                        "(mark it sandbox: it runs in make test)")

    sandbox.Executor.__init__ = refused


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.kernel)
        elif item.path.name == "test_browser.py":
            item.add_marker(pytest.mark.browser)
    # the files with the most grading runs and browser tests first, the rest in their order: two
    # workers (`make test`, each file whole on one) then end together, the short files filling in
    heavy = {}
    for item in items:
        if item.get_closest_marker("sandbox") or item.get_closest_marker("browser"):
            heavy[item.path] = heavy.get(item.path, 0) + 1
    items.sort(key=lambda item: -heavy.get(item.path, 0))
