"""What runs inside a submission's sandbox: nbval over the graded copy.

``run(folder)`` runs ``folder/in/graded.ipynb`` under pytest and nbval (lax: only that every
cell runs is checked; nothing is compared), writing nbval's JUnit report to
``folder/out/junit.xml``. The notebook's check cells record the answers (see
:mod:`convlib.grading.record`). The report only tells the instructor which cell raised: points
never come from it, so a submission that forges it forges nothing that counts.

The kernel nbval starts is forked from this (already warm) process rather than started afresh,
which saves about half a second per submission; it stays in the same sandbox. It and this
process talk over unix sockets (jupyter_client's ``ipc`` transport), never TCP: the sockets lie
in the sandbox's own runtime folder (``KERNEL_SOCKETS`` in ``$JUPYTER_RUNTIME_DIR``, mode
``0700``, its files ``0700`` too), so no other sandbox -- another uid in the ``uid`` mode, where
all share the machine's network, or another mount namespace under bubblewrap -- can find,
connect to or subscribe to a kernel that is not its own.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import time
from queue import Empty

from .environment import sandbox_environment
from .exits import runner_code

__all__ = ["run", "prepare", "main"]

_seen = {"kernel died": False, "cell timed out": False}
KERNEL_SOCKETS = "k"  # the kernel's sockets: $JUPYTER_RUNTIME_DIR/k-1 ... k-5 (a unix socket's path is short)


class _ForkedKernel:
    """The part of ``subprocess.Popen`` that jupyter_client uses, for a kernel made by fork()."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = -1
        return self.returncode

    def send_signal(self, signum):
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def _launch_forked_kernel(cmd, stdin=None, stdout=None, stderr=None, env=None, cwd=None, **_):
    """jupyter_client's ``launch_kernel``, by fork(): the kernel inherits the warm imports."""
    connection_file = cmd[cmd.index("-f") + 1]
    pid = os.fork()
    if pid:
        try:
            os.setpgid(pid, pid)  # in both processes, so that interrupts never reach the runner
        except OSError:
            pass
        return _ForkedKernel(pid)
    try:
        gc.freeze()  # the runner's objects, inherited: the kernel's collector need not walk them
        os.setpgid(0, 0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if cwd:
            os.chdir(cwd)
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(asyncio.new_event_loop())
        from ipykernel.kernelapp import IPKernelApp

        _private_output_pipe()

        app = IPKernelApp.instance()
        app.initialize(["-f", connection_file, "--HistoryManager.enabled=False"])
        app.start()
        code = 0
    except BaseException:  # noqa: BLE001
        code = 1
    os._exit(code)


def _await_reply_or_death(original):
    """nbval's wait for a cell's reply, in short steps that notice a kernel that died."""

    def await_reply(self, msg_id, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 0.5 if deadline is None else max(0.01, min(0.5, deadline - time.monotonic()))
            try:
                return original(self, msg_id, timeout=step)
            except Empty:
                if not self.is_alive():
                    _seen["kernel died"] = True
                    raise RuntimeError("Kernel died while running the cell") from None
                if deadline is not None and time.monotonic() >= deadline:
                    _seen["cell timed out"] = True
                    raise

    return await_reply


def _private_kernel_manager(base):
    """``base`` (jupyter_client's ``KernelManager``) talking to its kernel over unix sockets in the
    sandbox's private runtime folder, whatever the configuration says."""
    from traitlets import default

    class PrivateKernelManager(base):
        _private_sockets = True

        @default("transport")
        def _transport_default(self):
            return "ipc"

        @default("ip")
        def _ip_default(self):
            return os.path.join(os.environ["JUPYTER_RUNTIME_DIR"], KERNEL_SOCKETS)

    return PrivateKernelManager


def _private_output_pipe():
    """The kernel's pipe for output of the processes it forks, as a unix socket in the private
    runtime folder (ipykernel binds it to a TCP port of 127.0.0.1 otherwise)."""
    import zmq
    from ipykernel import iostream
    from zmq.eventloop.zmqstream import ZMQStream

    address = "ipc://" + os.path.join(os.environ["JUPYTER_RUNTIME_DIR"], KERNEL_SOCKETS + "-pipe")

    def setup_pipe_in(self):
        self._pipe_uuid = os.urandom(16)
        pipe_in = self.socket.context.socket(zmq.PULL)
        pipe_in.linger = 0
        try:
            pipe_in.bind(address)
        except zmq.ZMQError:
            self._pipe_flag = False  # the forked processes' output is lost, the kernel runs on
            pipe_in.close()
            return
        self._pipe_in = ZMQStream(pipe_in, self.io_loop)
        self._pipe_in.on_recv(self._handle_pipe_msg)

    def setup_pipe_out(self):
        context = zmq.Context()  # a new one after fork
        pipe_out = context.socket(zmq.PUSH)
        pipe_out.linger = 3000
        pipe_out.connect(address)
        return context, pipe_out

    iostream.IOPubThread._setup_pipe_in = setup_pipe_in
    iostream.IOPubThread._setup_pipe_out = setup_pipe_out


def prepare():
    """Import what pytest loads when it starts, and route kernel launches through fork()."""
    import importlib

    from ..notebook import without_iri_syntax

    without_iri_syntax()  # before nbval imports nbformat
    import _pytest.config
    from jupyter_client.provisioning import local_provisioner
    from nbval import kernel as nbval_kernel
    from nbval.kernel import RunningKernel

    if not getattr(RunningKernel.await_reply, "_notices_death", False):
        RunningKernel.await_reply = _await_reply_or_death(RunningKernel.await_reply)
        RunningKernel.await_reply._notices_death = True

    if not getattr(nbval_kernel.KernelManager, "_private_sockets", False):
        nbval_kernel.KernelManager = _private_kernel_manager(nbval_kernel.KernelManager)

    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:
            pass
    local_provisioner.launch_kernel = _launch_forked_kernel


def _environment(folder, limits):
    """This process's environment, for itself and the kernel it forks (:func:`.environment.sandbox_environment`):
    its private scratch folder (the sandbox's ``/tmp``, else ``folder/tmp``), the grading folder,
    the limits of a call of the learner's function."""
    scratch = "/tmp" if folder == "/grading" else os.path.join(folder, "tmp")
    os.makedirs(scratch, exist_ok=True)
    os.environ.update(sandbox_environment(scratch, private=True, folder=folder, limits=limits))
    os.umask(0o077)  # the kernel's sockets and the runner's files: this uid's alone
    os.makedirs(os.environ["JUPYTER_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    os.chmod(os.environ["JUPYTER_RUNTIME_DIR"], 0o700)
    import tempfile

    tempfile.tempdir = scratch


def run(folder="/grading", limits=None):
    """Run nbval on ``folder/in/graded.ipynb`` within ``limits`` (the grader's
    :meth:`~convlib.grading.limits.Limits.for_process`, as plain data: its ``cell_timeout``, and
    a call's limits for :func:`_environment`; without them nbval's own); returns pytest's exit
    code (0-5), plus :data:`.exits.KERNEL_DIED` when the kernel process died and
    :data:`.exits.CELL_TIMED_OUT` when a cell ran out of time (:func:`.exits.runner_code`: what
    this process saw of its child, never what a cell printed)."""
    limits = limits or {}
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an over-long file fails a write, not the run
    _environment(folder, limits)
    prepare()
    import pytest

    work = os.path.join(folder, "out", "work")
    os.makedirs(work, exist_ok=True)
    notebook = os.path.join(work, "graded.ipynb")
    with open(os.path.join(folder, "in", "graded.ipynb"), "rb") as source, open(notebook, "wb") as target:
        target.write(source.read())
    ini = os.path.join(work, "pytest.ini")
    with open(ini, "w") as handle:
        handle.write("[pytest]\n")
    os.chdir(work)
    timeout = [f"--nbval-cell-timeout={int(limits['cell_timeout'])}"] if limits.get("cell_timeout") else []
    code = int(pytest.main([
        notebook, "-c", ini, "--rootdir", work, "-p", "nbval.plugin", "-p", "no:cacheprovider",
        "-p", "no:faulthandler", "-p", "no:stepwise", "-p", "no:warnings", "-s", "-q", "--no-header", "--nbval-lax",
        "--nbval-current-env", *timeout, f"--junitxml={os.path.join(folder, 'out', 'junit.xml')}",
    ]))
    return runner_code(code, _seen["kernel died"], _seen["cell timed out"])


def main(argv=None):
    """``python -m convlib.grading.runner FOLDER LIMITS`` (a fresh process, no zygote): ``LIMITS``
    is the JSON object the zygote would have had in its request (see :func:`run`)."""
    from .confine import confine

    confine()  # no user namespace, no keyring, for this process and all it starts
    argv = sys.argv[1:] if argv is None else argv
    folder = argv[0] if argv else "/grading"
    limits = json.loads(argv[1]) if len(argv) > 1 else {}
    return run(folder, limits)


if __name__ == "__main__":
    sys.exit(main())
