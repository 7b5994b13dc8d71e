"""A uid for each sandbox that no other sandbox on this machine uses at the same time.

Per-uid kernel state is shared by every process of a uid on the host: ``RLIMIT_NPROC`` counts
them all, the kernel keyring keeps keys between them. A fixed uid per worker would be shared by
two grading runs on one node (a Slurm array, two pods) and passed from one sandbox to the next.
So each sandbox leases a uid: an exclusive ``flock`` on a lock file named for it, in a
root-only folder (``/run/convlib-grade``, else ``/tmp/convlib-grade-uids``), held while the
sandbox lives and dropped by the kernel if the grader dies. A uid that still has a process
anywhere on the machine is skipped.
"""

from __future__ import annotations

import fcntl
import os
import random
import stat
from pathlib import Path

__all__ = ["Lease", "lease", "FIRST_UID", "UID_COUNT", "processes_of"]

FIRST_UID = 61000
UID_COUNT = 4000  # 61000-64999: no account, no files on the host
LOCK_FOLDERS = (Path("/run/convlib-grade"), Path("/tmp/convlib-grade-uids"))


def _lock_folder():
    for folder in LOCK_FOLDERS:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
            return folder
    raise OSError("no private folder for uid lock files (/run or /tmp)")


def processes_of(uid):
    """The pids of every live process on this machine whose real or effective uid is ``uid``
    (zombies, already dead and holding nothing but their pid, are left out)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"State:") and line.split()[1:2] in ([b"Z"], [b"X"]):
                        break
                    if line.startswith(b"Uid:"):
                        if uid in map(int, line.split()[1:3]):
                            found.append(int(entry.name))
                        break
        except OSError:
            continue
    return found


class Lease:
    """A uid held for one sandbox; ``release()`` when every process of the sandbox is gone."""

    def __init__(self, uid, fd):
        self.uid, self._fd = uid, fd

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def lease():
    """A :class:`Lease` on a uid no sandbox of any grading run on this machine is using."""
    folder = _lock_folder()
    start = random.randrange(UID_COUNT)
    for i in range(UID_COUNT):
        uid = FIRST_UID + (start + i) % UID_COUNT
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        if processes_of(uid):  # left over from elsewhere: not ours to reuse
            os.close(fd)
            continue
        return Lease(uid, fd)
    raise OSError("every sandbox uid is in use")
