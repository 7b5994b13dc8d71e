"""Reading a file the grader does not trust: at most so many bytes, never through a link.

A submitted notebook (:mod:`.read`) and what a sandbox left in its ``out`` folder (answers,
nbval's report, the runner's log; :mod:`.sandbox`) are read by :func:`read_capped` alone: the
path is looked at without following a link (``lstat``), opened with ``O_NOFOLLOW |
O_NONBLOCK`` and looked at again (``fstat``), so a symbolic link is never followed and a FIFO
or a device never blocks, even if the file is swapped between the two looks; then at most
``cap`` bytes are read (the file's first ones, or its last with ``tail``), never more.

Examples
--------
>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> with open(os.path.join(folder, "log"), "wb") as handle:
...     _ = handle.write(b"0123456789")
>>> read_capped(os.path.join(folder, "log"), 16)[0], read_capped(os.path.join(folder, "log"), 4)[0]
(b'0123456789', None)
>>> read_capped("log", 4, dir_fd=os.open(folder, os.O_RDONLY), tail=True)[0]
b'6789'
>>> os.symlink("log", os.path.join(folder, "link"))
>>> read_capped(os.path.join(folder, "link"), 16)
Traceback (most recent call last):
...
convlib.grading.capped.NotRegularFile: not a regular file
"""

from __future__ import annotations

import os
import stat

__all__ = ["read_capped", "open_folder", "is_regular", "NotRegularFile", "CHUNK"]

CHUNK = 1 << 20  # bytes read at a time
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


class NotRegularFile(OSError):
    """The path is a link, a FIFO, a device, a folder...: never opened, never followed (``mode``: its ``st_mode``)."""

    def __init__(self, mode):
        super().__init__("not a regular file")
        self.mode = mode


def _read_upto(fd, count):
    chunks, size = [], 0
    while size < count:
        chunk = os.read(fd, min(CHUNK, count - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def is_regular(path):
    """Whether ``path`` is a regular file itself (not a link, a FIFO, a folder); never follows a link."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_capped(path, cap, *, dir_fd=None, tail=False):
    """``(data, info)``: at most ``cap`` bytes of the regular file ``path``, and its ``fstat``.

    Parameters
    ----------
    path : str or path
        The file; relative to the folder ``dir_fd`` when given.
    cap : int
        The most bytes returned.
    dir_fd : int, optional
        An open folder that ``path`` is in.
    tail : bool
        Return the file's last ``cap`` bytes; else its first, or None when it holds more.

    Returns
    -------
    tuple of (bytes or None, os.stat_result)
        ``data`` is None when the file is larger than ``cap`` (without ``tail``): its size
        (``info.st_size``) is then all that was looked at.

    Raises
    ------
    NotRegularFile
        ``path`` is not a regular file (a symbolic link, a FIFO, a device, a folder).
    OSError
        ``path`` cannot be looked at or opened.
    """
    mode = os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(mode)
    fd = os.open(path, OPEN_FLAGS, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(info.st_mode)
        if tail:
            os.lseek(fd, max(0, info.st_size - cap), os.SEEK_SET)
            return _read_upto(fd, cap), info
        if info.st_size > cap:
            return None, info
        data = _read_upto(fd, cap + 1)  # one more: a file that grew since fstat
        return (None if len(data) > cap else data), info
    finally:
        os.close(fd)


def open_folder(path, dir_fd=None):
    """An open file descriptor of the folder ``path`` (not through a link), or None."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return None
