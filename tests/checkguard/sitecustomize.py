"""Imported by every Python started while this folder is on ``PYTHONPATH`` (``make check``):
installs the guard of :mod:`checkguard`."""

import checkguard  # noqa: F401
