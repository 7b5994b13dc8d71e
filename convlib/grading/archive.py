"""A ``.zip`` handed in: the notebooks it holds, read without trusting it.

Moodle accepts any file, and a learner who zips a folder should be graded, not lost. The zip is
never unpacked to disk: it is read whole within ``MAX_ZIP_BYTES`` (a regular file, never through
a link), its member count and the size of its central directory are read from its end record
(as :mod:`zipfile` reads it, Zip64 included) and bounded before Python parses its directory
(:mod:`zipfile` reads as many entries as the directory's bytes hold, whatever the count says),
and each notebook in it is decompressed into memory, at most
``MAX_NOTEBOOK_BYTES + 1`` bytes of it whatever its header claims, within ``MAX_UNPACKED`` for
the whole zip, then read by the same bounded reader as any notebook (:func:`~.read.read_bytes`).
Members that are links, absolute paths or reach outside the zip (``..``), zips inside the zip,
encrypted members, members compressed with bzip2 or LZMA (which :mod:`zipfile` unpacks whole,
whatever is asked of it: a few hundred bytes can hold gigabytes), a second member of a name
already seen (it would be a second row of the same file) and JupyterLab's checkpoints are named
and never opened. A member that cannot be unpacked (a bad checksum, a size that lies) is that
member's row only.
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
MAX_DIRECTORY = MAX_MEMBERS * 1024  # bytes of its central directory: zipfile parses entries until they are used up
UNPACKED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # unpacked a bounded piece at a time
SKIPPED = ("__MACOSX", ".ipynb_checkpoints")


class Archive:
    """What a zip held: ``notebooks`` (``[(member name, Submission)]``), the ``others`` it held
    (names), ``refused`` (``[name and why]``), or ``status``/``detail`` when it could not be read."""

    def __init__(self):
        self.notebooks, self.others, self.refused = [], [], []
        self.status, self.detail, self.modified = "", "", 0.0


def _directory(raw):
    """``(entries, bytes)`` of the zip's central directory as its end record declares them and
    :mod:`zipfile` will read them (Zip64's record when there is one), or None when it has none."""
    try:
        end = zipfile._EndRecData(io.BytesIO(raw))  # the very record ZipFile reads
    except (OSError, ValueError, struct.error, zipfile.BadZipFile):
        return None
    return (end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]) if end else None


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
    if info.compress_type not in UNPACKED_METHODS:
        return f"compressed with method {info.compress_type}, which this grader does not unpack; use deflate"
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
    directory = _directory(raw)
    if directory is None:
        found.status, found.detail = Status.NOT_NOTEBOOK, "a .zip that is not a zip file this grader reads"
        return found
    count, size = directory
    if count > MAX_MEMBERS or size > MAX_DIRECTORY:
        found.status = Status.TOO_LARGE
        found.detail = (f"a zip of more than {MAX_MEMBERS} files" if count > MAX_MEMBERS else
                        f"a zip whose list of files takes more than {MAX_DIRECTORY // 1024} KB")
        return found
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            _read_members(archive, found)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as err:
        found.status, found.detail = Status.NOT_NOTEBOOK, f"a zip that cannot be read ({type(err).__name__})"
    return found


def _read_members(archive, found):
    budget, seen = MAX_UNPACKED, set()
    for info in archive.infolist()[:MAX_MEMBERS]:
        name = info.filename
        if info.is_dir() or any(part in SKIPPED for part in PurePosixPath(name).parts):
            continue
        why = _why_refused(info)
        same = PurePosixPath(name).as_posix()  # the path its row would name: a/./b and a//b are a/b
        if not why and same in seen:
            why = "a second member of that name"
        seen.add(same)
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
            try:
                with archive.open(info) as member:
                    data = member.read(allowed)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                    OSError) as err:  # this member's trouble, never the other notebooks'
                found.notebooks.append((name, Submission(status=Status.NOT_NOTEBOOK, modified=found.modified,
                                                         detail=f"a member that cannot be unpacked ({type(err).__name__})")))
                budget -= allowed
                continue
            budget -= len(data)
            if len(data) == allowed <= MAX_NOTEBOOK_BYTES:
                submission = Submission(status=Status.TOO_LARGE, detail="the zip unpacks to too much")
            else:
                submission = read_bytes(data if len(data) <= MAX_NOTEBOOK_BYTES else None, size=info.file_size)
            submission.modified = found.modified
            found.notebooks.append((name, submission))
