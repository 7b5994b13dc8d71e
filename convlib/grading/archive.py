"""A ``.zip`` handed in: the notebooks it holds, read without trusting it.

Moodle accepts any file, and a learner who zips a folder should be graded, not lost. The zip is
never unpacked to disk: it is read whole within ``MAX_ZIP_BYTES`` (a regular file, never through
a link), its member count is read from its end record and bounded before Python parses its
directory, and each notebook in it is decompressed into memory, at most
``MAX_NOTEBOOK_BYTES + 1`` bytes of it whatever its header claims, within ``MAX_UNPACKED`` for
the whole zip, then read by the same bounded reader as any notebook (:func:`~.read.read_bytes`).
Members that are links, absolute paths or reach outside the zip (``..``), zips inside the zip,
encrypted members and JupyterLab's checkpoints are named and never opened.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from pathlib import PurePosixPath

from .read import MAX_NOTEBOOK_BYTES, NotRegular, Submission, read_bytes, read_regular
from .status import Status

__all__ = ["Archive", "open_zip", "MAX_ZIP_BYTES", "MAX_MEMBERS", "MAX_UNPACKED", "MAX_NOTEBOOKS"]

MAX_ZIP_BYTES = 64 * 2**20  # a zip handed in
MAX_MEMBERS = 1000  # files and folders in it
MAX_UNPACKED = 128 * 2**20  # bytes decompressed from one zip, all its notebooks together
MAX_NOTEBOOKS = 50  # notebooks read from one zip (each is a row); the others are named
END_RECORD = b"PK\x05\x06"  # the end of central directory record: its entry count bounds the parse
SKIPPED = ("__MACOSX", ".ipynb_checkpoints")


class Archive:
    """What a zip held: ``notebooks`` (``[(member name, Submission)]``), the ``others`` it held
    (names), ``refused`` (``[name and why]``), or ``status``/``detail`` when it could not be read."""

    def __init__(self):
        self.notebooks, self.others, self.refused = [], [], []
        self.status, self.detail, self.modified = "", "", 0.0


def _member_count(raw):
    """The number of entries the zip's end record declares, or None when it has none."""
    at = raw.rfind(END_RECORD, max(0, len(raw) - 65_557))
    if at < 0 or at + 22 > len(raw):
        return None
    return struct.unpack_from("<H", raw, at + 10)[0]


def _why_refused(info):
    """Why a member is not opened, or ``''``."""
    name = PurePosixPath(info.filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a link"
    if name.is_absolute() or ".." in name.parts or "\\" in info.filename or ":" in info.filename:
        return "a path outside the zip"
    if info.flag_bits & 0x1:
        return "encrypted"
    if name.suffix.lower() == ".zip":
        return "a zip inside the zip"
    return ""


def open_zip(path):
    """The :class:`Archive` of the zip at ``path``; never raises."""
    found = Archive()
    try:
        raw, found.modified, size = read_regular(path, MAX_ZIP_BYTES)
    except (NotRegular, OSError) as err:
        found.status, found.detail = Status.NOT_A_FILE if isinstance(err, NotRegular) else Status.NOT_NOTEBOOK, \
            f"a zip that cannot be read: {err}"
        return found
    if raw is None:
        found.status, found.detail = Status.TOO_LARGE, f"a zip of {size // 2**20} MB; at most {MAX_ZIP_BYTES // 2**20} MB"
        return found
    count = _member_count(raw)
    if count is None or count == 0xFFFF or count > MAX_MEMBERS:
        found.status = Status.TOO_LARGE if count and count > MAX_MEMBERS else Status.NOT_NOTEBOOK
        found.detail = (f"a zip of more than {MAX_MEMBERS} files" if found.status == Status.TOO_LARGE
                        else "a .zip that is not a zip file this grader reads")
        return found
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            _read_members(archive, found)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as err:
        found.status, found.detail = Status.NOT_NOTEBOOK, f"a zip that cannot be read ({type(err).__name__})"
    return found


def _read_members(archive, found):
    budget = MAX_UNPACKED
    for info in archive.infolist()[:MAX_MEMBERS]:
        name = info.filename
        if info.is_dir() or any(part in SKIPPED for part in PurePosixPath(name).parts):
            continue
        why = _why_refused(info)
        if why:
            found.refused.append(f"{name} ({why}, not opened)")
        elif PurePosixPath(name).suffix.lower() != ".ipynb":
            found.others.append(name)
        elif len(found.notebooks) >= MAX_NOTEBOOKS:
            found.refused.append(f"{name} (more than {MAX_NOTEBOOKS} notebooks in one zip, not opened)")
        elif budget <= 0:
            found.notebooks.append((name, Submission(status=Status.TOO_LARGE, detail="the zip unpacks to too much")))
        else:
            allowed = min(MAX_NOTEBOOK_BYTES + 1, budget)
            with archive.open(info) as member:
                data = member.read(allowed)
            budget -= len(data)
            if len(data) == allowed <= MAX_NOTEBOOK_BYTES:
                submission = Submission(status=Status.TOO_LARGE, detail="the zip unpacks to too much")
            else:
                submission = read_bytes(data if len(data) <= MAX_NOTEBOOK_BYTES else None, size=info.file_size)
            submission.modified = found.modified
            found.notebooks.append((name, submission))
