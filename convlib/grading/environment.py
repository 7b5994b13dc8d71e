"""The environment a sandbox's Python runs with, written in one place.

Three processes get it, each the part it needs (see :func:`sandbox_environment`):

- the zygote (:mod:`.zygote`), started by the grader: a fresh environment (nothing of the
  grader's inherited), with ``HOME`` and matplotlib's folder in the staged folder, where its
  warm-up, still root and outside any sandbox, writes matplotlib's cache once;
- a fresh runner (:mod:`.runner`, no zygote), started by the grader: the same, without a
  ``HOME``: the runner sets its own before anything reads it;
- the runner, inside its sandbox, before pytest and the kernel start: ``HOME``, ``TMPDIR`` and
  every folder IPython, Jupyter and matplotlib write to in its private scratch folder, the
  grading folder, and the limits of a call of the learner's function (from the plain data the
  grader sent, :meth:`convlib.grading.limits.Limits.for_process`: the one way they travel).

Every one of them has one thread for BLAS and OpenMP, no pytest plugin loaded unless asked for
(the runner asks for nbval), no ``.pyc`` files written, UTF-8, and matplotlib's inline backend.

Runs inside a sandbox (the runner and the zygote import it) and in the grader.

Examples
--------
>>> env = sandbox_environment("/tmp", private=True, folder="/grading", limits={"check_time_limit": 2})
>>> env["HOME"], env["JUPYTER_RUNTIME_DIR"], env["CONVLIB_GRADING_DIR"], env["CONVLIB_CHECK_TIME_LIMIT"]
('/tmp', '/tmp/rt', '/grading', '2.0')
>>> "PYTHONPATH" in env, "CONVLIB_CHECK_WALL_LIMIT" in env
(False, False)
"""

from __future__ import annotations

import os

from ..answers.calls import CPU_ENV, WALL_ENV

__all__ = ["sandbox_environment", "INLINE_BACKEND", "THREAD_VARIABLES", "DEFAULT_PATH"]

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
DEFAULT_PATH = "/usr/bin:/bin"  # when the grader has no $PATH
# the runner's private folder: variable -> its sub-folder ("": the folder itself)
PRIVATE = {"TMPDIR": "", "IPYTHONDIR": "ipython", "JUPYTER_RUNTIME_DIR": "rt", "JUPYTER_CONFIG_DIR": "jcfg",
           "JUPYTER_DATA_DIR": "jdata"}
CALL_LIMITS = {"check_time_limit": CPU_ENV, "check_wall_limit": WALL_ENV}  # Limits.for_process -> variable


def sandbox_environment(home=None, *, python_path=None, private=False, folder=None, limits=None, threads=1):
    """The variables a sandbox's Python runs with (a dict of strings; see the module's docstring).

    Parameters
    ----------
    home : str or path, optional
        ``HOME``, and ``MPLCONFIGDIR`` in ``home/mpl``; None: neither.
    python_path : str, optional
        Starting a process: its ``PYTHONPATH`` (the staged convlib, standard library and
        packages, :func:`.packages.python_command`) and ``PATH`` (the grader's).
    private : bool
        ``home`` is the runner's private scratch folder: ``TMPDIR`` is it too, and IPython's and
        Jupyter's folders lie in it (``JUPYTER_RUNTIME_DIR``: ``home/rt``, the kernel's sockets).
    folder : str, optional
        The grading folder (``CONVLIB_GRADING_DIR``: ``in/`` and ``out/`` below it).
    limits : dict, optional
        The runner's limits; their ``check_time_limit`` and ``check_wall_limit`` (seconds)
        become ``$CONVLIB_CHECK_TIME_LIMIT`` and ``$CONVLIB_CHECK_WALL_LIMIT``, which a call of
        the learner's function reads (:mod:`convlib.answers.calls`).
    threads : int
        Threads of BLAS and OpenMP (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``).

    Returns
    -------
    dict
        Variable name to value.
    """
    env = {"LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "MPLBACKEND": INLINE_BACKEND, **{name: str(threads) for name in THREAD_VARIABLES}}
    if python_path is not None:
        env.update(PATH=os.environ.get("PATH", DEFAULT_PATH), PYTHONPATH=str(python_path))
    if home is not None:
        home = str(home)
        env.update(HOME=home, MPLCONFIGDIR=os.path.join(home, "mpl"))
        if private:
            env.update({name: os.path.join(home, sub) if sub else home for name, sub in PRIVATE.items()})
    if folder is not None:
        env["CONVLIB_GRADING_DIR"] = str(folder)
    for key, name in CALL_LIMITS.items():
        if (limits or {}).get(key):
            env[name] = repr(float(limits[key]))
    return env
