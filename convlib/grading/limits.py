"""What one submission may use: every limit of the *execute* step, its default, and one rule for time.

:class:`Limits` is the grader's settings object: each field below is one limit, with its
meaning, unit, default and the command-line option that sets it (like a configurable trait).
The time limits among them are ordered by :class:`TimeLimits` so that the innermost fires first;
the notebook's clock time, when it is not given, follows one rule (:func:`notebook_seconds`),
whether the limits come from ``convlib-grade``'s options (:meth:`Limits.from_options`), from
``Limits(...)`` or from ``TimeLimits(...)``.

Inside a sandbox none of this is imported: the runner gets the values it needs as plain data
(:meth:`Limits.for_process`), and a call's limits reach the learner's function through
:mod:`convlib.answers.calls`, which keeps the default a notebook's own ``check()`` uses.

Examples
--------
>>> limits = Limits.from_options(timeout=8)
>>> limits.cell_timeout, limits.wall, limits.cpu
(8.0, 300.0, 600.0)
>>> Limits.from_options(timeout=200).wall  # four cells' worth, past the floor
800.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..answers.calls import DEFAULT_SECONDS, WALL_FACTOR, time_limit

__all__ = ["Limits", "TimeLimits", "notebook_seconds", "CALL_SHARE", "CELL_SECONDS", "NOTEBOOK_SECONDS",
           "NOTEBOOK_CELLS", "PROCESS_CPU_SECONDS", "WALL_FACTOR", "DEFAULT_SECONDS"]

CALL_SHARE = 0.5  # of a cell's time limit, the most one call may take by the clock
CELL_SECONDS = 60.0  # a cell's time limit by default (``--timeout``)
NOTEBOOK_SECONDS = 300.0  # the notebook's clock time: at least this ...
NOTEBOOK_CELLS = 4  # ... and at least this many cells' time limits
PROCESS_CPU_SECONDS = 600.0  # CPU seconds of one process of the sandbox, at least the notebook's time


def notebook_seconds(cell):
    """The notebook's clock time when none is given: the one rule, for a cell limit of ``cell`` s.

    ``max(NOTEBOOK_SECONDS, NOTEBOOK_CELLS * cell)``: five minutes, or four cells that each ran
    out of time, whichever is longer.

    Parameters
    ----------
    cell : float
        A cell's time limit in seconds.

    Returns
    -------
    float
        Seconds by the clock the whole notebook may run.

    Examples
    --------
    >>> notebook_seconds(60), notebook_seconds(8), notebook_seconds(150)
    (300.0, 300.0, 600.0)
    """
    return max(NOTEBOOK_SECONDS, NOTEBOOK_CELLS * float(cell))


@dataclass(frozen=True)
class TimeLimits:
    """Every time limit of a graded notebook, in one place, ordered so the innermost fires first.

    Like a configurable trait, each has a documented default; whatever is asked for, the limits
    kept satisfy ``call_cpu <= call_wall <= CALL_SHARE * cell < cell <= notebook <= process_cpu``:
    a call that never ends is stopped by its own limit (by CPU time, or, starved on a busy
    machine or asleep, by the clock) before its cell runs out of time, so it is "stopped" on an
    idle machine and under load alike, and costs only its own question.

    Parameters
    ----------
    call_cpu : float
        CPU seconds one call of a learner's function may use (default ``DEFAULT_SECONDS``, 10);
        lowered to ``call_wall`` if above it.
    call_wall : float or None
        Seconds by the clock one call may take: ``WALL_FACTOR`` times ``call_cpu`` (None),
        never more than ``CALL_SHARE`` of ``cell``.
    cell : float
        Seconds by the clock a cell may run (nbval's cell timeout; ``--timeout``), default 60.
    notebook : float or None
        Seconds by the clock the whole notebook may run; None: :func:`notebook_seconds` of
        ``cell`` (300 for the default cell); at least ``cell``.
    process_cpu : float
        CPU seconds a process of the sandbox may use (``RLIMIT_CPU``), default 600; at least
        ``notebook``.

    Raises
    ------
    ValueError
        A limit that is not a positive number.

    Examples
    --------
    >>> t = TimeLimits(call_cpu=2, cell=8)
    >>> t.call_cpu, t.call_wall, t.cell, t.notebook
    (2.0, 4.0, 8.0, 300.0)
    >>> TimeLimits(call_cpu=10, cell=8).call_cpu  # a call's limits fit in its cell
    4.0
    """

    call_cpu: float = DEFAULT_SECONDS
    call_wall: float | None = None
    cell: float = CELL_SECONDS
    notebook: float | None = None
    process_cpu: float = PROCESS_CPU_SECONDS

    def __post_init__(self):
        optional = tuple(name for name in ("call_wall", "notebook") if getattr(self, name) is not None)
        for name in ("call_cpu", "cell", "process_cpu") + optional:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"the time limit {name} must be a positive number of seconds, not {value!r}")
        cell = float(self.cell)
        notebook = max(float(notebook_seconds(cell) if self.notebook is None else self.notebook), cell)
        wall = min(float(self.call_wall or self.call_cpu * WALL_FACTOR), CALL_SHARE * cell)
        set_ = object.__setattr__
        set_(self, "cell", cell)
        set_(self, "notebook", notebook)
        set_(self, "process_cpu", max(float(self.process_cpu), notebook))
        set_(self, "call_wall", wall)
        set_(self, "call_cpu", min(float(self.call_cpu), wall))


@dataclass
class Limits:
    """What one submission may use; every field is one limit, kept as :class:`TimeLimits` orders it.

    Built with keywords (``Limits(cell_timeout=60)``) or from ``convlib-grade``'s options
    (:meth:`from_options`). The time fields are ordered on construction (:attr:`times`): what is
    read back is what the sandbox gets.

    Attributes
    ----------
    memory : int
        Bytes of memory for the whole sandbox, all its processes together (its control group;
        per process where there is none). Default ``2 * 2**30`` (2 GB). Option ``--memory``.
    cpu : float
        CPU seconds per process (``RLIMIT_CPU``). Default 600; at least ``wall``. No option.
    file_size : int
        Bytes per file written (``RLIMIT_FSIZE``). Default ``64 * 2**20``. No option.
    processes : int
        Processes and threads of the sandbox (its control group and its uid). Default 256. No option.
    open_files : int
        Open file descriptors per process (``RLIMIT_NOFILE``). Default 256. No option.
    tmp_size : int
        Bytes of the sandbox's private ``/tmp``. Default ``256 * 2**20``. No option.
    out_size : int
        Bytes of ``/grading/out`` (answers, JUnit report, log), and the most one answer file is
        read. Default ``64 * 2**20``. No option.
    cell_timeout : float
        Seconds by the clock a cell may run (nbval's cell timeout). Default 60. Option ``--timeout``.
    wall : float
        Seconds by the clock the whole notebook may run. Default: :func:`notebook_seconds` of
        ``cell_timeout`` (300 s for the default cell); at least ``cell_timeout``. Set by ``--timeout``.
    check_time_limit : float
        CPU seconds per call of a learner's function. Default ``$CONVLIB_CHECK_TIME_LIMIT`` in the
        grader's environment, else 10 (:func:`convlib.answers.calls.time_limit`); lowered to
        fit in half a cell. No option.
    log_tail : int
        Bytes of the end of the runner's log kept for the row (a dead kernel's cause). Default
        ``16 * 2**10``. No option.
    junit_size : int
        Bytes of nbval's JUnit report read at most (which cells raised). Default ``2 * 2**20``. No option.
    answer_files : int
        Answer files read from ``/grading/out/answers`` at most. Default 64. No option.

    Raises
    ------
    ValueError
        A time limit that is not a positive number.

    Examples
    --------
    >>> limits = Limits(cell_timeout=8, check_time_limit=10)
    >>> limits.check_time_limit, limits.times.call_wall, limits.wall
    (4.0, 4.0, 300.0)
    >>> Limits.memory // 2**30
    2
    """

    memory: int = 2 * 2**30
    cpu: float = PROCESS_CPU_SECONDS
    file_size: int = 64 * 2**20
    processes: int = 256
    open_files: int = 256
    tmp_size: int = 256 * 2**20
    out_size: int = 64 * 2**20
    cell_timeout: float = CELL_SECONDS
    wall: float | None = None
    check_time_limit: float = field(default_factory=time_limit)
    log_tail: int = 16 * 2**10
    junit_size: int = 2 * 2**20
    answer_files: int = 64

    def __post_init__(self):
        times = TimeLimits(call_cpu=self.check_time_limit, cell=self.cell_timeout, notebook=self.wall,
                           process_cpu=self.cpu)  # a limit that is no number fails here, not in a sandbox
        self.cell_timeout, self.wall, self.cpu = times.cell, times.notebook, times.process_cpu
        self.check_time_limit = times.call_cpu

    @classmethod
    def from_options(cls, memory=None, timeout=None):
        """The limits ``convlib-grade --memory M --timeout T`` grades with (None: the default).

        Parameters
        ----------
        memory : int, optional
            Bytes for the whole sandbox (``--memory``).
        timeout : float, optional
            Seconds a cell may run (``--timeout``); the notebook's time follows from it
            (:func:`notebook_seconds`).

        Returns
        -------
        Limits
        """
        given = {"memory": memory, "cell_timeout": timeout}
        return cls(**{name: value for name, value in given.items() if value is not None})

    @property
    def times(self):
        """The time limits as kept (:class:`TimeLimits`), ordered."""
        return TimeLimits(call_cpu=self.check_time_limit, cell=self.cell_timeout, notebook=self.wall,
                          process_cpu=self.cpu)

    def for_process(self, cgroup=False):
        """The runner's limits, as plain data for the sandbox (the zygote's request, the fresh
        runner's argument): ``{"memory", "cpu", "file_size", "processes", "open_files",
        "cell_timeout", "check_time_limit", "check_wall_limit"}``; with a ``cgroup`` no
        ``memory`` (the group's, not a per-process bound)."""
        times = self.times
        limits = {"cpu": int(times.process_cpu), "file_size": self.file_size, "processes": self.processes,
                  "open_files": self.open_files, "cell_timeout": times.cell,
                  "check_time_limit": times.call_cpu, "check_wall_limit": times.call_wall}
        return limits if cgroup else {"memory": self.memory, **limits}
