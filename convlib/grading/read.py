"""The *read* step: a submitted file's bytes to a notebook, or the reason it is not one.

A learner's file may be anything: a symbolic link (to the answer key, to itself, in a loop), a
FIFO, a device, not UTF-8, not JSON, JSON that is not a notebook, a notebook whose cells have
numbers for sources or lists for metadata, JSON nested hundreds deep, hundreds of thousands of
empty cells. :func:`read` reads each file once, never raises on such input, never follows a
link or blocks on a FIFO, and never writes to the file; it returns a notebook whose every cell
has a string ``cell_type``, a string ``source`` and dict ``metadata``, or a status that says
what was wrong.

Reading is bounded before the file is parsed, so one file costs at most its own row: at most
``MAX_NOTEBOOK_BYTES`` bytes, ``MAX_CONTAINERS`` JSON objects and lists and ``MAX_STRINGS``
strings (counted from the bytes ``{``, ``[`` and ``"``, which JSON cannot escape, so the count
bounds what parsing builds: memory and parse time), nesting at most ``MAX_DEPTH`` deep (checked
without recursion), at most ``MAX_CELLS`` cells and ``MAX_SOURCE_CHARS`` characters of source.
The notebook kept (until the file is graded) holds only what grading reads: each cell's type, id
and source and the ``convlib`` part of the metadata; no outputs, no attachments.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path


from ..notebook import import_nbformat
from ..schema import META
from .status import Status

__all__ = ["Submission", "read", "read_bytes", "read_regular", "file_kind", "MAX_NOTEBOOK_BYTES", "MAX_CELLS", "MAX_CONTAINERS",
           "MAX_STRINGS", "MAX_DEPTH", "MAX_SOURCE_CHARS", "Status"]

MAX_NOTEBOOK_BYTES = 32 * 2**20
MAX_CELLS = 10_000  # a course notebook has under a hundred
MAX_CONTAINERS = 100_000  # JSON objects and lists in one file
MAX_STRINGS = 1_000_000  # JSON strings in one file
MAX_DEPTH = 64  # a notebook with widget state nests about ten deep
MAX_SOURCE_CHARS = 4 * 2**20  # the cells' sources together: what is kept of a file until it is graded
KINDS = [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder")]


def file_kind(mode):
    """What a file that is not regular is (``'a symbolic link'``, ``'a FIFO (named pipe)'``, ...)."""
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


class NotRegular(OSError):
    """The path is a link, a FIFO, a device...: never opened, never followed."""


def read_regular(path, cap):
    """``(bytes, mtime, size)`` of a regular file, bytes None when it holds more than ``cap``;
    :class:`NotRegular` otherwise.

    Read by :func:`.capped.read_capped`: ``lstat`` first, then ``open`` with ``O_NOFOLLOW |
    O_NONBLOCK`` and ``fstat`` again, so a symbolic link is never followed and a FIFO or a
    device never blocks, even if the file is swapped between the two looks.
    """
    from .capped import NotRegularFile, read_capped

    try:
        raw, info = read_capped(path, cap)
    except NotRegularFile as err:
        raise NotRegular(f"it is {file_kind(err.mode)}") from None
    return raw, info.st_mtime, info.st_size


@dataclass
class Submission:
    notebook: object = None  # nbformat.NotebookNode, or None
    status: str = ""  # empty when read
    detail: str = ""
    modified: float = 0.0  # the file's mtime


def _kept(metadata):
    """Of a notebook's or a cell's metadata, only what the grader reads (``convlib``), if a dict."""
    return {META: metadata[META]} if isinstance(metadata, dict) and isinstance(metadata.get(META), dict) else {}


def _random_cell_id():
    import_nbformat()
    from nbformat.corpus.words import generate_corpus_id

    return generate_corpus_id()


def _clean_cells(nb):
    """Cells with string types and sources and dict metadata; anything else dropped or blanked."""
    cells = []
    for cell in nb.get("cells") if isinstance(nb.get("cells"), list) else []:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) and cell.get("id") else _random_cell_id()
        new = {"id": cell_id[:64], "cell_type": kind, "metadata": _kept(cell.get("metadata")), "source": source}
        if kind == "code":
            new.update(outputs=[], execution_count=None)
        cells.append(new)
    return cells


def _bounds(raw):
    """Why the bytes ``raw`` are more than a notebook may be, before any parsing; else ``''``."""
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > MAX_CONTAINERS:
        return f"more than {MAX_CONTAINERS:,} JSON objects and lists; a notebook may have at most {MAX_CONTAINERS:,}"
    if raw.count(b'"') > 2 * MAX_STRINGS:
        return f"more than {MAX_STRINGS:,} JSON strings; a notebook may have at most {MAX_STRINGS:,}"
    return ""


def _deeper_than(data, limit):
    """Whether ``data`` (parsed JSON) nests more than ``limit`` deep; no recursion."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _parse(raw, result):
    """The JSON of ``raw`` within the bounds, or None with ``result``'s status and detail set."""
    why = _bounds(raw)
    if why:
        result.status, result.detail = Status.TOO_LARGE, why
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        result.status, result.detail = Status.NOT_NOTEBOOK, "the file is not UTF-8 text"
        return None
    except (json.JSONDecodeError, RecursionError) as err:
        result.status, result.detail = Status.NOT_NOTEBOOK, f"invalid JSON: {str(err)[:120]}"
        return None
    if _deeper_than(data, MAX_DEPTH):
        result.status = Status.TOO_LARGE
        result.detail = f"nested more than {MAX_DEPTH} deep; a notebook may nest at most {MAX_DEPTH} deep"
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        result.status, result.detail = Status.NOT_NOTEBOOK, "JSON, but not a notebook (no list of cells)"
        return None
    if len(data["cells"]) > MAX_CELLS:
        result.status = Status.TOO_LARGE
        result.detail = f"{len(data['cells']):,} cells; a notebook may have at most {MAX_CELLS:,}"
        return None
    return data


def read(path):
    """A :class:`Submission`: ``status`` is empty when ``path`` held a notebook. Never raises."""
    path = Path(path)
    result = Submission()
    try:
        raw, result.modified, size = read_regular(path, MAX_NOTEBOOK_BYTES)
    except NotRegular as err:
        result.status, result.detail = Status.NOT_A_FILE, f"{err}; only regular files are graded"
        return result
    except OSError as err:
        result.status, result.detail = Status.NOT_NOTEBOOK, f"cannot be read: {err.strerror}"
        return result
    return read_bytes(raw, result, size)


def read_bytes(raw, result=None, size=None):
    """A :class:`Submission` from a notebook file's bytes (``raw``, read at most
    ``MAX_NOTEBOOK_BYTES + 1`` of them; None: too large), within the same bounds as :func:`read`
    (a notebook found inside a zip is read this way). Never raises."""
    result = result if result is not None else Submission()
    if raw is None or len(raw) > MAX_NOTEBOOK_BYTES:
        result.status = Status.TOO_LARGE
        size = size if size is not None else len(raw or b"")
        result.detail = f"{size // 2**20} MB; a notebook may have at most {MAX_NOTEBOOK_BYTES // 2**20} MB"
        return result
    try:
        data = _parse(raw, result)
        del raw
        if data is None:
            return result
        cells = _clean_cells(data)
        if sum(len(cell["source"]) for cell in cells) > MAX_SOURCE_CHARS:
            result.status = Status.TOO_LARGE
            result.detail = (f"its cells hold more than {MAX_SOURCE_CHARS // 2**20} M characters; a notebook may hold "
                             f"at most {MAX_SOURCE_CHARS // 2**20} M")
            return result
        nb = import_nbformat().from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": _kept(data.get("metadata")),
                                 "cells": cells})
    except (RecursionError, MemoryError, ValueError, TypeError) as err:  # within the bounds, never expected
        result.status, result.detail = Status.NOT_NOTEBOOK, f"cannot be read: {type(err).__name__}"
        return result
    result.notebook = nb
    return result
