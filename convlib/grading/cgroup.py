"""One control group per sandbox: its memory, processes and CPU share, for all its processes together.

Per-process limits do not bound a sandbox: three children of 1.5 GB each under a 2 GB
address-space limit hold 4.5 GB. A control group does: every process the sandbox starts is in
it, and the kernel counts them together.

- **memory**: the ``--memory`` budget for the whole sandbox; past it the kernel's out-of-memory
  killer ends a process of the sandbox (never one outside) and counts it, which is how the
  grader knows (:meth:`Cgroup.out_of_memory`) -- never from text the learner could print;
- **pids**: the number of processes and threads;
- **CPU**: an equal weight for every sandbox, so one that spins 200 processes gets no more of
  the machine than one that runs a single slow, honest function.

cgroup v2 (``/sys/fs/cgroup/cgroup.controllers``: ``memory.max``, ``pids.max``, ``cpu.weight``,
``memory.events``) where the machine has it, else v1 (``/sys/fs/cgroup/{memory,pids,cpu}``:
``memory.limit_in_bytes``, ``pids.max``, ``cpu.shares``, ``memory.oom_control``). A group is made
below the grader's own group, else at the root of the hierarchy; where neither works (not root,
a read-only ``/sys/fs/cgroup``) :func:`create` returns None and the caller falls back to
per-process limits, and says so on the row.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path

__all__ = ["Cgroup", "create", "ROOT"]

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu")
# every sandbox the same weight: that of two busy processes (the runner and its kernel), so that
# beside the machine's other work a sandbox keeps the share its notebook would have without a group
CPU_SHARES, CPU_WEIGHT = 2 * 1024, 2 * 100


def _own_paths():
    """``{controller: path}`` of this process's groups (``""`` for the v2 hierarchy)."""
    paths = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path.lstrip("/")
    return paths


def _write(path, value):
    with open(path, "w") as handle:
        handle.write(str(value))


def _make(parent_options, name):
    """The first of ``parent_options`` below which a group ``name`` can be made."""
    for parent in parent_options:
        folder = parent / name
        try:
            folder.mkdir()
            return folder
        except OSError:
            continue
    return None


class Cgroup:
    """A sandbox's group(s): ``join`` a process, ``kill_all``, ``out_of_memory``, ``remove``."""

    def __init__(self, folders, version):
        self.folders = folders  # v1: one per controller (memory first); v2: one
        self.version = version

    @property
    def procs(self):
        return [folder / "cgroup.procs" for folder in self.folders]

    def join(self, pid=0):
        """Put process ``pid`` (0: the caller) in the group, in every hierarchy."""
        for path in self.procs:
            _write(path, pid)

    def pids(self):
        try:
            return [int(line) for line in self.procs[0].read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self, timeout=10.0):
        """SIGKILL every process of the group, again until none is left; True when it is empty."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
        return not self.pids()

    def out_of_memory(self):
        """Whether the kernel killed a process of this group for memory (its own count)."""
        name, key = ("memory.oom_control", "oom_kill") if self.version == 1 else ("memory.events", "oom_kill")
        try:
            for line in (self.folders[0] / name).read_text().splitlines():
                field, _, value = line.partition(" ")
                if field == key:
                    return int(value) > 0
        except (OSError, ValueError):
            pass
        return False

    def remove(self):
        for folder in self.folders:
            for _ in range(200):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # a process still leaving
                    time.sleep(0.01)


def _create_v2(name, memory, processes):
    own = ROOT / _own_paths().get("", "")
    for parent in (own.parent if own != ROOT else ROOT, ROOT):
        folder = _make([parent], name)
        if folder is None:
            continue
        try:
            _write(folder / "memory.max", memory)
            _write(folder / "memory.swap.max", 0) if (folder / "memory.swap.max").exists() else None
            _write(folder / "pids.max", processes)
            _write(folder / "cpu.weight", CPU_WEIGHT)
            return Cgroup([folder], 2)
        except OSError:
            Cgroup([folder], 2).remove()
    return None


def _create_v1(name, memory, processes):
    own, folders = _own_paths(), []
    try:
        for controller in V1_CONTROLLERS:
            base = ROOT / controller
            folder = _make([base / own.get(controller, ""), base], name)
            if folder is None:
                raise OSError(f"no {controller} group")
            folders.append(folder)
        _write(folders[0] / "memory.limit_in_bytes", memory)
        if (folders[0] / "memory.memsw.limit_in_bytes").exists():
            _write(folders[0] / "memory.memsw.limit_in_bytes", memory)
        _write(folders[1] / "pids.max", processes)
        _write(folders[2] / "cpu.shares", CPU_SHARES)
        return Cgroup(folders, 1)
    except OSError:
        Cgroup(folders, 1).remove()
        return None


def create(memory, processes, tag="sandbox"):
    """A fresh :class:`Cgroup` with these limits, or None where the machine allows none."""
    name = f"convlib-{tag}-{secrets.token_hex(4)}"
    if (ROOT / "cgroup.controllers").exists():
        return _create_v2(name, memory, processes)
    if all((ROOT / controller / "cgroup.procs").exists() for controller in V1_CONTROLLERS):
        return _create_v1(name, memory, processes)
    return None
