"""The *read* step: a submitted file's bytes to a notebook, or the reason it is not one.

A learner's file may be anything: a symbolic link (to the answer key), a FIFO, a device, not
UTF-8, not JSON, JSON that is not a notebook, a notebook whose cells have numbers for sources or
lists for metadata. :func:`read` never raises on such input, never follows a link or blocks on
a FIFO, and never writes to the file; it returns a notebook whose every cell has a string
``cell_type``, a string ``source`` and dict ``metadata``, or a status that says what was wrong.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["Submission", "read", "read_regular", "file_kind", "MAX_NOTEBOOK_BYTES", "STATUS_NOT_NOTEBOOK",
           "STATUS_TOO_LARGE", "STATUS_NOT_A_FILE"]

MAX_NOTEBOOK_BYTES = 32 * 2**20
STATUS_NOT_NOTEBOOK = "not a notebook"
STATUS_TOO_LARGE = "too large"
STATUS_NOT_A_FILE = "not a regular file"
KINDS = [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder")]


def file_kind(mode):
    """What a file that is not regular is (``'a symbolic link'``, ``'a FIFO (named pipe)'``, ...)."""
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


class NotRegular(OSError):
    """The path is a link, a FIFO, a device...: never opened, never followed."""


def read_regular(path, cap):
    """``(bytes, mtime)`` of a regular file, at most ``cap + 1`` bytes; :class:`NotRegular` otherwise.

    ``lstat`` first, then ``open`` with ``O_NOFOLLOW | O_NONBLOCK`` and ``fstat`` again, so a
    symbolic link is never followed and a FIFO or a device never blocks, even if the file is
    swapped between the two looks.
    """
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegular(f"it is {file_kind(mode)}")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(f"it is {file_kind(info.st_mode)}")
        if info.st_size > cap:
            return None, info.st_mtime, info.st_size
        return handle.read(cap + 1), info.st_mtime, info.st_size


@dataclass
class Submission:
    notebook: object = None  # nbformat.NotebookNode, or None
    status: str = ""  # empty when read
    detail: str = ""
    modified: float = 0.0  # the file's mtime


def _clean_cells(nb):
    """Cells with string types and sources and dict metadata; anything else dropped or blanked."""
    cells = []
    for cell in nb.get("cells") if isinstance(nb.get("cells"), list) else []:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        if kind not in ("code", "markdown", "raw"):
            continue
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
        new = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
               if kind == "markdown" else nbformat.v4.new_raw_cell)(source=source, metadata=metadata)
        if cell_id:
            new["id"] = cell_id[:64]
        cells.append(new)
    return cells


def read(path):
    """A :class:`Submission`: ``status`` is empty when ``path`` held a notebook."""
    path = Path(path)
    result = Submission()
    try:
        raw, result.modified, size = read_regular(path, MAX_NOTEBOOK_BYTES)
        if raw is None or len(raw) > MAX_NOTEBOOK_BYTES:
            result.status = STATUS_TOO_LARGE
            result.detail = f"{size // 2**20} MB; a notebook may have at most {MAX_NOTEBOOK_BYTES // 2**20} MB"
            return result
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        result.status, result.detail = STATUS_NOT_NOTEBOOK, "the file is not UTF-8 text"
        return result
    except (json.JSONDecodeError, RecursionError) as err:
        result.status, result.detail = STATUS_NOT_NOTEBOOK, f"invalid JSON: {str(err)[:120]}"
        return result
    except NotRegular as err:
        result.status, result.detail = STATUS_NOT_A_FILE, f"{err}; only regular files are graded"
        return result
    except OSError as err:
        result.status, result.detail = STATUS_NOT_NOTEBOOK, f"cannot be read: {err.strerror}"
        return result
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        result.status, result.detail = STATUS_NOT_NOTEBOOK, "JSON, but not a notebook (no list of cells)"
        return result
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    nb = nbformat.v4.new_notebook(metadata=metadata)
    nb.cells = _clean_cells(data)
    result.notebook = nb
    return result
