"""Every table and page the grader writes: one writer, atomic and private.

Grades are personal data, and an instructor's output folder may sit on a shared machine or
cluster disk. Each file is written whole to a temporary file beside it (``0600``, never through
a link), flushed to disk and renamed over the old one, so a reader never sees half a file and a
killed run leaves the previous one as it was; a folder the grader makes is ``0700``. A cell
that came from a learner goes through :func:`cell`: escaped (:func:`~.text.shown`), capped,
never a spreadsheet formula.

>>> cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> cell("ok")
'ok'
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .text import shown

__all__ = ["cell", "write_table", "write_text", "private_folder", "FIELD_MAX", "FILE_MODE", "FOLDER_MODE"]

FIELD_MAX = 32 * 1024  # characters of one field: well under what any CSV reader accepts (128 KiB here)
FILE_MODE, FOLDER_MODE = 0o600, 0o700
FORMULA_STARTS = ("=", "+", "-", "@", "\t")


def cell(value):
    """Learner-made text, safe in a spreadsheet and in UTF-8: escaped, capped at ``FIELD_MAX``
    characters, and never a formula (no leading ``= + - @``)."""
    value = shown(value, keep="\n")
    if len(value) > FIELD_MAX:
        value = value[:FIELD_MAX] + " … (cut)"
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def private_folder(path):
    """Make ``path`` (and its missing parents) a folder only the grader's user can enter; returns it."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    for made in missing:
        made.chmod(FOLDER_MODE)
    return path


def write_text(path, text):
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename), mode ``0600``."""
    path = Path(path)
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    os.replace(temporary, path)
    return path


def write_table(path, header, lines):
    """Write ``lines`` (lists, or dicts keyed by ``header``) under ``header`` as a UTF-8 CSV at
    ``path``, atomically and privately (:func:`write_text`); returns the path."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([line.get(c, "") for c in header] if isinstance(line, dict) else line for line in lines)
    return write_text(path, buffer.getvalue())
