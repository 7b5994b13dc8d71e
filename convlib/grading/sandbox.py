"""The *execute* step: run one graded copy in a sandbox of its own, within limits.

Four ways, best first (:func:`sandbox_kind` says which this machine allows):

``bubblewrap`` (as root)
    For every submission, bubblewrap builds a fresh sandbox: its own mount, PID, network, IPC
    and UTS namespaces; a read-only view of the system, the Python environment and the
    sandbox's copy of convlib (no answer key, see :mod:`.stage`); a private ``/tmp`` and a
    size-capped ``/grading/out``; the graded copy and its inputs read-only in ``/grading/in``.
    Nothing else: not the course folder, not ``solutions/``, not the submissions, not the
    gradebook, not other sandboxes. A warm zygote (:mod:`.zygote`) forks a runner into it,
    which drops to an unprivileged uid of its own before the learner's code runs.
``uid`` (as root, where bubblewrap cannot make namespaces: Gradescope, unprivileged containers)
    The same runner, forked from the same zygote, as an unprivileged uid of its own, with the
    staged convlib first on its path; its folder is its own (``0700``), every other sandbox's
    and the gradebook are not readable by it. Afterwards every process of that uid is killed.
``bubblewrap (user namespace)`` (not root)
    The bubblewrap sandbox through a user namespace, with a fresh Python in it (slower).
``none``
    No bubblewrap and not root (macOS, some containers): resource limits only. The summary
    and every row say so.

Every sandbox, as root, has a uid that no other sandbox on the machine uses at the same time
(:mod:`.uids`) and a control group of its own (:mod:`.cgroup`): memory (``--memory``) and
processes for the sandbox as a whole, an equal CPU share. Where no control group can be made,
per-process limits stand in and the row says so. Other limits (``Limits``): CPU seconds, file
size, open files, the size of ``/tmp`` and of ``/grading/out``, and the wall time of the whole
notebook (every limit, its default and the option that sets it: :class:`~.limits.Limits`).
When a submission is done, every process of its group and of its uid is killed;
only then are its answer files read, and its uid given back.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import convlib

from . import cgroup as cgroups
from . import exits
from .capped import open_folder, read_capped
from .environment import sandbox_environment
from .limits import Limits
from .packages import python_command, readable_by_others, site_of
from .uids import FIRST_UID, UID_COUNT, lease, processes_of
from .wire import MAX_BYTES
from .zygote import set_limits

__all__ = ["Limits", "Execution", "Executor", "sandbox_kind", "kill_uid", "exposed", "readable_by_others", "BWRAP",
           "BWRAP_USERNS", "UID", "NO_SANDBOX", "FIRST_UID", "UID_COUNT", "NO_CGROUP"]

BWRAP, BWRAP_USERNS, UID, NO_SANDBOX = "bubblewrap", "bubblewrap (user namespace)", "uid", "none"
NO_CGROUP = ("no control group on this machine: memory and processes were bounded per process, "
             "not for the sandbox as a whole")

@dataclass
class Execution:
    """What came out of a sandbox: raw bytes only; judging them is :mod:`.judge`'s work."""

    answers: dict = field(default_factory=dict)  # question name -> JSON bytes (None if too large)
    junit: bytes | None = None
    log_tail: str = ""
    # what the grader itself observed: its timer, the cgroup's count, the runner's exit status
    timed_out: bool = False
    out_of_memory: bool = False
    kernel_died: bool = False
    cell_timed_out: bool = False
    runner_failed: bool = False  # the runner ended before the notebook ran: the set-up, not the learner
    error: str = ""  # the grader's own trouble with this sandbox
    sandbox: str = ""  # which separation was used
    warning: str = ""  # a limit that could not be applied here

    def observe(self, code, timed_out, group):
        """Fill in the status fields from what was seen (``group``: the sandbox's cgroup or None)."""
        self.timed_out = timed_out
        self.kernel_died, self.cell_timed_out = exits.outcome(code)
        self.runner_failed = exits.set_up_failed(code)
        self.out_of_memory = bool(group and group.out_of_memory())
        return self


def sandbox_kind():
    """``(kind, reason)``: which sandbox this machine allows, and why not a better one."""
    root = os.geteuid() == 0 and sys.platform.startswith("linux")
    bwrap = shutil.which("bwrap")
    if not bwrap or not sys.platform.startswith("linux"):
        why = "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)" if bwrap is None else \
            "bubblewrap needs Linux"
        return (UID, why) if root else (NO_SANDBOX, why)
    probe_args = ["--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    if root:
        probe = subprocess.run([bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/",
                                "--proc", "/proc", "--dev", "/dev", "true"], capture_output=True, text=True)
        if probe.returncode == 0:
            return BWRAP, ""
        return UID, f"bubblewrap cannot make namespaces here: {probe.stderr.strip()[:200]}"
    probe = subprocess.run([bwrap, *probe_args], capture_output=True, text=True)
    if probe.returncode == 0:
        return BWRAP_USERNS, ""
    return NO_SANDBOX, f"bubblewrap cannot make a sandbox here: {probe.stderr.strip()[:200]}"


def exposed(paths):
    """The files under ``paths`` (files or folders) that :func:`readable_by_others`."""
    found = []
    for path in map(Path, paths):
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        found += [p for p in files if readable_by_others(p)]
    return found


def kill_uid(uid, timeout=10.0):
    """SIGKILL every process of ``uid`` on the machine and wait until none is left (True), from a
    child that takes that uid: ``kill(-1)`` reaches exactly the processes the uid could signal."""
    deadline = time.monotonic() + timeout
    while True:
        _kill_as(uid)
        if not processes_of(uid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # killed processes still being reaped


def _kill_as(uid, rounds=100):
    child = os.fork()
    if child == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(rounds):
                os.kill(-1, signal.SIGKILL)  # every process of this uid but the caller
        except ProcessLookupError:
            os._exit(0)
        except BaseException:  # noqa: BLE001 - never back into the grader's code
            os._exit(1)
        os._exit(2)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _python_roots():
    """The folders the sandbox needs read-only to run this Python (and nothing of the course)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    roots |= {p.resolve() for p in roots}
    return sorted({str(p) for p in roots if p.exists()})


def _site_folders():
    """The Python environment's and the system's package folders, hidden in a bubblewrap sandbox:
    what a sandbox imports is staged (:mod:`.packages`), so nothing else -- no SciPy, OpenCV or
    torch -- can be put on its ``sys.path``."""
    found = set()
    for root in [*_python_roots(), "/usr", "/usr/local"]:
        for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages", "lib/python3/dist-packages",
                        "lib64/python3*/site-packages"):
            found |= {str(p) for p in Path(root).glob(pattern) if p.is_dir() and not p.is_symlink()}
    return sorted(found)


def _bwrap_args(stage_dir, in_dir, limits, *, user_namespace, uid, out_dir=None):
    """bubblewrap's arguments; ``/grading/out`` is a size-capped tmpfs, or ``out_dir`` bound."""
    args = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if user_namespace:
        args += ["--unshare-user", "--disable-userns", "--uid", str(uid), "--gid", str(uid)]
    else:
        args += ["--cap-drop", "ALL"]
    args += ["--perms", "1777", "--size", str(limits.tmp_size), "--tmpfs", "/tmp",
             "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    made = set()
    for root in [*_python_roots(), str(stage_dir), str(site_of(stage_dir))]:
        for parent in reversed(Path(root).parents[:-1]):  # bwrap would make them 0700
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", os.path.realpath(root), root]  # the staged packages: a link to the cache
    hidden = _site_folders()
    for folder in hidden:  # the environment's own packages (SciPy and all): the staged ones only
        args += ["--tmpfs", folder]
    installed = Path(convlib.__file__).resolve().parent
    if any(installed.is_relative_to(root) for root in _python_roots()) and \
            not any(installed.is_relative_to(folder) for folder in hidden):
        # an installed (not editable) convlib, answer key and all, lies in the Python environment:
        # the sandbox sees its own copy there instead
        args += ["--ro-bind", str(Path(stage_dir) / "convlib"), str(installed)]
    args += [
             "--proc", "/proc", "--dev", "/dev",
             "--perms", "0755", "--dir", "/grading", "--ro-bind", str(in_dir), "/grading/in",
             *(["--bind", str(out_dir), "/grading/out"] if out_dir else
               ["--perms", "0755", "--size", str(limits.out_size), "--tmpfs", "/grading/out"]),
             "--remount-ro", "/", "--chdir", "/grading"]
    return args


def _read_or(default, out, name, cap, tail=False):
    """:func:`.capped.read_capped` of ``name`` in the open folder ``out``; ``default`` where there
    is no such regular file or it holds more than ``cap`` bytes."""
    try:
        data, _ = read_capped(name, cap, dir_fd=out, tail=tail)
    except OSError:
        return default
    return default if data is None else data


def collect(out_path, limits):
    """Read a sandbox's ``out`` folder safely, within ``limits`` (:class:`~.limits.Limits`):
    answers, JUnit report, the log's tail."""
    result = Execution()
    out = open_folder(out_path)
    if out is None:
        return result
    try:
        answers = open_folder("answers", out)
        if answers is not None:
            try:
                for name in sorted(os.listdir(answers))[:limits.answer_files]:
                    if name.endswith(".json"):
                        result.answers[name[:-5]] = _read_or(None, answers, name, min(limits.out_size, MAX_BYTES))
            finally:
                os.close(answers)
        result.junit = _read_or(None, out, "junit.xml", limits.junit_size)
        result.log_tail = _read_or(b"", out, "runner.log", limits.log_tail, tail=True).decode("utf-8", "replace")
    finally:
        os.close(out)
    return result


class _Zygote:
    """A warm process that forks runners into sandboxes (see :mod:`.zygote`)."""

    def __init__(self, stage_dir):
        command, path = python_command(stage_dir, "convlib.grading.zygote")
        env = sandbox_environment(stage_dir, python_path=path)  # its warm-up writes matplotlib's cache there
        self.process = subprocess.Popen(
            command, cwd=stage_dir, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        ready = self._reply(120)
        if not ready or not ready.get("ready"):
            self.close()
            raise RuntimeError("the grading zygote did not start")

    def _reply(self, timeout):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def run(self, request, timeout):
        """Fork a runner into a sandbox (``request``: see :mod:`.zygote`); ``(status, timed_out)``."""
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self._reply(timeout)
        if reply is None:
            return None, True
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error", "the zygote failed"))
        return reply["status"], False

    def finish(self, timeout=30):
        """After a time-out: the reply that comes once the sandbox is gone."""
        return self._reply(timeout)

    def alive(self):
        return self.process.poll() is None

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class Executor:
    """Runs graded copies, one fresh sandbox each. One per worker thread (``slot``).

    ``stages``: the staged convlib's folder, or ``{exercise: folder}`` (see :func:`.stage.stages`).
    """

    def __init__(self, stages, limits=None, *, slot=0, kind=None, work_dir=None):
        self.stages = stages if isinstance(stages, dict) else {None: Path(stages)}
        self.limits = limits or Limits()
        self.slot = slot
        self.kind = kind or sandbox_kind()[0]
        self.work_dir = work_dir
        self._zygotes = {}
        self._cleared = None  # the uid whose processes are all gone already

    def _stage(self, exercise):
        if exercise in self.stages:
            return self.stages[exercise]
        if None in self.stages:  # one staged folder for every exercise
            return self.stages[None]
        if exercise is None:
            return next(iter(self.stages.values()))
        raise LookupError(f"no sandbox was staged for the exercise {exercise!r}")

    def _zygote(self, stage_dir):
        zygote = self._zygotes.get(stage_dir)
        if zygote is None or not zygote.alive():
            zygote = self._zygotes[stage_dir] = _Zygote(stage_dir)
        return zygote

    # ---------------------------------------------------------------- one submission

    def execute(self, notebook_text, inputs_text, exercise=None):
        """Run the graded copy with its inputs; the raw :class:`Execution`."""
        stage_dir = self._stage(exercise)
        root = os.geteuid() == 0 and self.kind in (BWRAP, UID)
        uid_lease = lease() if root else None
        uid = uid_lease.uid if uid_lease else FIRST_UID + self.slot  # without root: the uid inside a user namespace
        group = cgroups.create(self.limits.memory, self.limits.processes) if root else None
        scratch = Path(tempfile.mkdtemp(prefix="sandbox-", dir=self.work_dir))
        try:
            in_dir = scratch / "in"
            in_dir.mkdir()
            (in_dir / "graded.ipynb").write_text(notebook_text, encoding="utf-8")
            (in_dir / "inputs.json").write_text(inputs_text, encoding="utf-8")
            for path in (scratch, in_dir, *in_dir.iterdir()):
                path.chmod(0o755 if path.is_dir() else 0o644)
            if self.kind == BWRAP:
                result = self._execute_zygote(stage_dir, in_dir, uid, group)
            elif self.kind == UID:
                result = self._execute_uid(stage_dir, scratch, uid, group)
            else:
                result = self._execute_fresh(stage_dir, scratch, in_dir, uid)
        finally:
            if group is not None:
                group.kill_all()
                group.remove()
            if uid_lease is not None:
                if self._cleared != uid:  # not yet done after the runner (an error on the way)
                    kill_uid(uid)
                uid_lease.release()
            self._cleared = None
            shutil.rmtree(scratch, ignore_errors=True)
        result.sandbox = self.kind
        if group is None and self.kind != NO_SANDBOX:
            result.warning = NO_CGROUP
        return result

    def _request(self, pid, uid, group, folder):
        return {"pid": pid, "uid": uid, "limits": self.limits.for_process(cgroup=group is not None),
                "cgroup": [str(p) for p in group.procs] if group else [], "folder": folder}

    def _run_in(self, stage_dir, request, group, uid):
        """Fork the runner from the zygote; when it is done, every process of the sandbox is killed."""
        zygote = self._zygote(stage_dir)
        status, timed_out = zygote.run(request, self.limits.times.notebook)
        if group is not None:
            group.kill_all()
        kill_uid(uid)
        self._cleared = uid
        if timed_out and zygote.finish() is None:
            zygote.close()
            self._zygotes.pop(stage_dir, None)
        return status, timed_out

    def _execute_zygote(self, stage_dir, in_dir, uid, group):
        info_read, info_write = os.pipe()
        holder = subprocess.Popen(
            _bwrap_args(stage_dir, in_dir, self.limits, user_namespace=False, uid=uid)
            + ["--info-fd", str(info_write), "--", "sh", "-c", "echo ready; exec sleep infinity"],
            pass_fds=(info_write,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(info_write)
        try:
            with os.fdopen(info_read, "rb") as info:
                text = info.read(4096)
            pid = json.loads(text)["child-pid"]
            if holder.stdout.readline() != b"ready\n":  # the sandbox is set up once its command runs
                raise ValueError("no sandbox")
        except (ValueError, KeyError):
            holder.kill()
            _, err = holder.communicate()
            return Execution(error=f"bubblewrap did not start: {err.decode(errors='replace').strip()[:200]}")
        root = f"/proc/{pid}/root"
        try:
            os.chown(f"{root}/grading/out", uid, uid)
            status, timed_out = self._run_in(stage_dir, self._request(pid, uid, group, "/grading"), group, uid)
            # every process of the learner is gone; the sandbox's PID 1 (root) still holds its files
            result = collect(f"{root}/grading/out", self.limits).observe(status, timed_out, group)
        except (OSError, RuntimeError) as err:
            result = Execution(error=f"{type(err).__name__}: {err}")
        finally:
            try:
                os.kill(pid, signal.SIGKILL)  # PID 1 of the sandbox: every process in it dies
            except ProcessLookupError:
                pass
            holder.wait()
            holder.stdout.close()
            holder.stderr.close()
        return result

    def _execute_uid(self, stage_dir, scratch, uid, group):
        """No namespaces: the runner as ``uid``, in a folder only it (and root) can read."""
        in_dir, out_dir, tmp_dir = scratch / "in", scratch / "out", scratch / "tmp"
        out_dir.mkdir()
        tmp_dir.mkdir()
        for path in (in_dir, *in_dir.iterdir(), out_dir, tmp_dir):
            os.chown(path, uid, uid)
        for path, mode in ((in_dir, 0o500), (out_dir, 0o700), (tmp_dir, 0o700), (scratch, 0o711)):
            path.chmod(mode)
        for path in in_dir.iterdir():
            path.chmod(0o400)
        try:
            status, timed_out = self._run_in(stage_dir, self._request(None, uid, group, str(scratch)), group, uid)
        except (OSError, RuntimeError) as err:
            return Execution(error=f"{type(err).__name__}: {err}")
        return collect(str(out_dir), self.limits).observe(status, timed_out, group)

    def _execute_fresh(self, stage_dir, scratch, in_dir, uid):
        """A fresh Python per submission: in a user-namespace sandbox, or with limits only."""
        limits = self.limits
        # no process limit here: without a uid of its own it would count the instructor's processes
        fresh_limits = {k: v for k, v in limits.for_process().items() if k != "processes"}
        command, path = python_command(stage_dir, "convlib.grading.runner")
        env = sandbox_environment(python_path=path)  # no HOME: the runner makes its own
        out_path = scratch / "out"
        out_path.mkdir()
        if self.kind == BWRAP_USERNS:
            args = _bwrap_args(stage_dir, in_dir, limits, user_namespace=True, uid=uid, out_dir=out_path)
            command = args + ["--"] + command + ["/grading", json.dumps(fresh_limits)]
        else:
            command = command + [str(scratch), json.dumps(fresh_limits)]
        log = open(out_path / "runner.log", "wb")
        try:
            process = subprocess.Popen(command, cwd=scratch, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=lambda: set_limits(fresh_limits))
            try:
                code, timed_out = process.wait(timeout=limits.times.notebook), False
            except subprocess.TimeoutExpired:
                code, timed_out = None, True
            finally:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        finally:
            log.close()
        return collect(str(out_path), limits).observe(exits.from_returncode(code), timed_out, None)

    def close(self):
        for zygote in self._zygotes.values():
            zygote.close()
        self._zygotes.clear()
