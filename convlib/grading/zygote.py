"""A warm process that forks one sandboxed runner per submission (the *execute* step's engine).

Starting Python and importing pytest, nbval, jupyter_client, ipykernel, NumPy and matplotlib
costs about 2.5 s, far more than running an exercise's cells. The zygote pays it once: it
imports all of that (and nothing of the answer key: it runs on the sandbox's copy of convlib,
which has none), then, for each submission, forks a child that

1. joins the sandbox's control group (:mod:`.cgroup`), so that everything it starts counts
   against the sandbox's memory, processes and CPU share;
2. joins the namespaces of that submission's bubblewrap sandbox (mount, PID, network, IPC,
   UTS) through ``setns(2)``, so it sees only that sandbox's file system and processes and has
   no network (in the ``uid`` mode, where there are no namespaces, it stays where it is);
3. forks again (a process enters a new PID namespace only through its children); the parent,
   still root, waits: its exit status is the runner's, which the learner cannot write;
4. drops every privilege: no supplementary groups, the sandbox's own unprivileged uid and gid,
   ``no_new_privs``, resource limits, the seccomp filter of :mod:`.confine` (no user
   namespace, no keyring); closes every inherited file descriptor;
5. runs :func:`convlib.grading.runner.run` in the sandbox's folder (``/grading``).

Bubblewrap builds each sandbox (its mounts, its namespaces); the zygote only joins it, so no
two submissions ever share one. When the grader ends a submission it kills the sandbox's
bubblewrap, whose PID namespace takes every process the submission started with it.

Protocol, one JSON object per line: the grader writes ``{"pid": P, "uid": U, "limits": {...},
"cgroup": [cgroup.procs files], "folder": F}`` on stdin (``pid`` null: no namespaces to join);
the zygote answers ``{"ok": true, "status": N}`` when the runner has ended (N: its exit status,
:mod:`.exits`), or ``{"ok": false, "error": "..."}``. ``limits`` is
:meth:`~convlib.grading.limits.Limits.for_process`: the resource limits set here, and the cell's
and a call's time limits, which the runner hands on (:func:`convlib.grading.runner.run`).

Linux only; needs the rights to join the sandbox's namespaces (the grader runs it as root,
the one case where it is used).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import signal
import sys

from .environment import sandbox_environment
from .exits import CHILD_FAILED, STILL_PRIVILEGED, from_wait_status

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
# joined in this order: the mount namespace last but one, the PID namespace (for children) last
NAMESPACES = [("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS), ("net", CLONE_NEWNET),
              ("mnt", CLONE_NEWNS), ("pid", CLONE_NEWPID)]

# what pytest, nbval and a kernel import only once they run: in the ``uid`` mode the Python
# environment may not be readable by the sandbox's uid (a root-only home), so the zygote has them
LATER_IMPORTS = ["pdb", "encodings.unicode_escape", "encodings.latin_1", "encodings.ascii", "encodings.idna"]

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def set_limits(limits):
    """Resource limits for the runner and everything it starts (``limits``: a dict; absent keys: none)."""
    table = {
        "memory": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "file_size": resource.RLIMIT_FSIZE,
        "processes": resource.RLIMIT_NPROC,
        "open_files": resource.RLIMIT_NOFILE,
    }
    for key, which in table.items():
        if limits.get(key):
            value = int(limits[key])
            resource.setrlimit(which, (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def enter(pid, uid, limits, folder="/grading", cgroup=()):
    """In a freshly forked child: join the cgroup and sandbox ``pid``'s namespaces, fork, drop privileges.

    Returns in the grandchild only (the child waits for it and exits with its status).
    """
    from .confine import confine

    for procs in cgroup:
        with open(procs, "w") as handle:
            handle.write("0")
    if pid is not None:
        fds = [(name, flag, os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY)) for name, flag in NAMESPACES]
        for name, flag, fd in fds:
            _check(_libc.setns(fd, flag), f"setns {name}")
            os.close(fd)
    child = os.fork()
    if child:
        _, status = os.waitpid(child, 0)
        os._exit(from_wait_status(status))
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl PDEATHSIG")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to another uid: every capability is dropped
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl NO_NEW_PRIVS")
    if os.getuid() == 0 or os.geteuid() == 0:
        os._exit(STILL_PRIVILEGED)
    set_limits(limits)
    if not confine():
        os.write(2, b"no seccomp filter on this machine\n")
    os.chdir(folder)


def _serve_one(request):
    pid = None if request.get("pid") is None else int(request["pid"])
    uid, limits = int(request["uid"]), request.get("limits", {})
    folder, cgroup = str(request.get("folder") or "/grading"), [str(p) for p in request.get("cgroup") or ()]
    child = os.fork()
    if child == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            enter(pid, uid, limits, folder, cgroup)
            log = os.open(os.path.join(folder, "out", "runner.log"),
                          os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.closerange(3, 65536)
            sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
            sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
            from .runner import run

            code = run(folder, limits)
        except BaseException as err:  # noqa: BLE001 - the child must always end here
            try:
                os.write(2, f"zygote child failed: {type(err).__name__}: {err}\n".encode())
            except OSError:
                pass
            code = CHILD_FAILED
        os._exit(code if isinstance(code, int) else CHILD_FAILED)
    _, status = os.waitpid(child, 0)
    return from_wait_status(status)


def warm_up():
    """Import what every runner needs, so that forked children start warm (in the sandbox's
    environment, :func:`.environment.sandbox_environment`, as the grader starts it)."""
    for name, value in sandbox_environment().items():
        os.environ.setdefault(name, value)
    import numpy  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import pytest  # noqa: F401
    from ..notebook import without_iri_syntax

    without_iri_syntax()  # before nbval imports nbformat
    import nbval.plugin  # noqa: F401
    import jupyter_client  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.debugger  # noqa: F401  (what a kernel imports as it starts: debugpy, a tenth of a second each time)
    import IPython.core.completerlib  # noqa: F401
    import IPython.extensions.storemagic  # noqa: F401
    import convlib  # the sandbox's copy: no answer key
    import convlib.data  # noqa: F401
    import convlib.exercises

    staged = os.environ.get("PYTHONPATH", "").split(os.pathsep)[0]
    if not (staged and os.path.abspath(convlib.__file__).startswith(os.path.abspath(staged) + os.sep)) \
            or hasattr(convlib.exercises, "questions"):
        raise SystemExit("the zygote must run on the sandbox's copy of convlib (PYTHONPATH)")
    from . import runner  # noqa: F401
    runner.prepare()
    import importlib

    for name in LATER_IMPORTS:  # loaded here, they need not be readable by the sandbox's uid
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # what is imported now lives as long as the zygote: out of reach of the collector, whose
    # passes over it would cost every forked runner and kernel time and copies of shared pages
    gc.freeze()


def main():
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl PDEATHSIG")
    warm_up()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            status = _serve_one(json.loads(line))
            reply = {"ok": True, "status": status}
        except Exception as err:  # noqa: BLE001
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
