"""``make check`` runs no grading sandbox, no Jupyter kernel and no browser; this proves it.

With ``CONVLIB_CHECK_ONLY`` set (the Makefile's ``check`` target sets it), every new process is
looked at before it starts, in pytest's own process (``tests/conftest.py`` installs the guard)
and in every Python process started from it (this folder is put first on ``PYTHONPATH``; its
``sitecustomize.py``, which Python imports at start, imports this module): bubblewrap, the
grader's zygote or runner, an IPython kernel, a JupyterLab server, Playwright's driver or
Chromium raise :class:`StartedInCheck` instead of starting. The only process of those kinds allowed is
bubblewrap's capability probe (``bwrap ... true``), which runs nothing.
"""

from __future__ import annotations

import os
import shlex
import subprocess

__all__ = ["ENV", "StartedInCheck", "install", "refusal"]

ENV = "CONVLIB_CHECK_ONLY"
BROWSERS = {"chromium", "chromium-browser", "chrome", "google-chrome", "headless_shell", "chrome-headless-shell"}
GRADER_PROCESSES = ("convlib.grading.zygote", "convlib.grading.runner")
KERNELS = ("ipykernel_launcher", "ipykernel")


class StartedInCheck(RuntimeError):
    """A process that ``make check`` promises never to start."""


def refusal(argv):
    """Why ``argv`` may not start in check mode (``None``: it may)."""
    words = [os.fsdecode(a) for a in argv]
    if not words:
        return None
    program = os.path.basename(words[0])
    if program == "bwrap":
        return None if words[-1] == "true" else "a grading sandbox (bubblewrap)"
    if any(w in GRADER_PROCESSES for w in words):
        return "a grading sandbox (the grader's zygote or runner)"
    if any(w in KERNELS or os.path.basename(w).startswith("ipykernel_launcher") for w in words):
        return "a Jupyter kernel"
    if program in BROWSERS or "playwright" in words[0] and os.sep + "driver" + os.sep in words[0]:
        return "a browser (Chromium or Playwright's driver)"
    if "lab" in words[1:] and (program in ("jupyter", "jupyter-lab", "make") or "jupyter" in words):
        return "a JupyterLab server"
    if program == "jupyter-lab":
        return "a JupyterLab server"
    return None


def install():
    """Refuse, from now on in this process, to start any process :func:`refusal` names."""
    popen = subprocess.Popen
    if getattr(popen._execute_child, "_check_guard", False):
        return
    real = popen._execute_child

    def guarded(self, args, executable, *rest, **kwargs):
        argv = shlex.split(args) if isinstance(args, str) else [args] if isinstance(args, bytes) else list(args)
        why = refusal(argv)
        if why:
            raise StartedInCheck(f"make check starts no sandbox, kernel or browser, but {why} was about to start: "
                                 f"{shlex.join(map(os.fsdecode, argv))[:300]} (mark the test sandbox, kernel or "
                                 "browser: it runs in make test)")
        return real(self, args, executable, *rest, **kwargs)

    guarded._check_guard = True
    popen._execute_child = guarded


if os.environ.get(ENV):
    install()
