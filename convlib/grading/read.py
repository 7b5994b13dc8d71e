"""The *read* step: a submitted file's bytes to a notebook, or the reason it is not one.

A learner's file may be anything: not UTF-8, not JSON, JSON that is not a notebook, a notebook
whose cells have numbers for sources or lists for metadata. :func:`read` never raises on such
input and never writes to the file; it returns a notebook whose every cell has a string
``cell_type``, a string ``source`` and dict ``metadata``, or a status that says what was wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["Submission", "read", "MAX_NOTEBOOK_BYTES", "STATUS_NOT_NOTEBOOK", "STATUS_TOO_LARGE"]

MAX_NOTEBOOK_BYTES = 32 * 2**20
STATUS_NOT_NOTEBOOK = "not a notebook"
STATUS_TOO_LARGE = "too large"


@dataclass
class Submission:
    path: Path
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
    result = Submission(path=path)
    try:
        stat = path.stat()
        result.modified = stat.st_mtime
        if stat.st_size > MAX_NOTEBOOK_BYTES:
            result.status = STATUS_TOO_LARGE
            result.detail = f"{stat.st_size // 2**20} MB; a notebook may have at most {MAX_NOTEBOOK_BYTES // 2**20} MB"
            return result
        with path.open("rb") as handle:
            raw = handle.read(MAX_NOTEBOOK_BYTES + 1)
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        result.status, result.detail = STATUS_NOT_NOTEBOOK, "the file is not UTF-8 text"
        return result
    except (json.JSONDecodeError, RecursionError) as err:
        result.status, result.detail = STATUS_NOT_NOTEBOOK, f"invalid JSON: {str(err)[:120]}"
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
