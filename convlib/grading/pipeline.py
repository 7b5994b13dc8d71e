"""A grading run, step by step: what ``convlib-grade`` does between its arguments and its outputs.

Each submission goes through :data:`STEPS` in order, in the spirit of nbgrader's preprocessors:
each step is a small function ``step(work, run)`` that reads and fills one :class:`Work` (the
submission on its way) with the :class:`Run`'s shared parts (answer key, sandbox, answer reader,
limits), and ends the submission's way by raising :class:`Stop` once its row is decided::

    read -> identify -> assemble -> scan -> execute -> observe -> judge -> explain

- **read**: what :func:`~.roster.roster` read of the file, once per run (or why it is no notebook);
- **identify**: its exercise and that exercise's questions and solution (:class:`~.solutions.SolutionBook`);
- **assemble**: the graded copy and the learner's answers (:mod:`.assemble`), answers too costly to read refused;
- **scan**: the policy on each answer (:mod:`convlib.answers.policy`), decided before any point, and
  the inputs drawn fresh for this submission;
- **execute**: the graded copy run in its sandbox (:mod:`.sandbox`), plain data back;
- **observe**: the status, only from what the grader itself saw (its timer, the cgroup, exit statuses);
- **judge**: each answer against its reference (:mod:`.judge`), a later answer that calls a wrong
  earlier one said so;
- **explain**: the row's detail, for the instructor (cells that raised, limits reached).

:class:`Grading` is one run: the class's roster, the staged sandboxes and workers, the canary
(:mod:`.canary`) before anyone, then the class; :func:`grade` does all three. :func:`finish`
adds what only the whole class shows (answers alike, :mod:`.similarity`). The command line
(:mod:`convlib.grade`) parses arguments and writes the outputs; nothing here prints.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

import numpy as np

from ..answers.policy import Scanner, ScanRefused, scan
from ..exercises import MODULES, questions
from ..exercises.answer_key import SOLUTIONS
from ..notebook import import_nbformat
from .assemble import graded_copy, inputs_for
from .canary import CanaryFailed, check
from .cause import grader_error, kernel_death
from .identify import cell_role
from .judge import judge
from .report import Result
from .roster import roster
from .sandbox import UID, Executor, Limits, sandbox_kind
from .similarity import review_notes, similar_pairs
from .solutions import SolutionBook
from .stage import stages
from .status import Status
from .text import capped

__all__ = ["Grading", "Run", "Work", "Stop", "STEPS", "grade", "grade_one", "finish", "class_answers", "refused_answers",
           "DEFAULT_SOLUTIONS", "MAX_ANSWER_CHARS", "MAX_REWRITE_WORK", "CanaryFailed"]

# the answer key: inside the package when installed (a wheel), else the repository's solutions/
DEFAULT_SOLUTIONS = SOLUTIONS
MAX_ANSWER_CHARS = 256 * 1024  # one answer cell; larger ones are refused before any parsing
# IPython rewrites a cell once per line of its own syntax (!ls, %time, x?, /f x, x = !ls), reading the
# whole cell each time: lines that may be rewritten times the cell's length, at most this, before the scan
MAX_REWRITE_WORK = 2_000_000
IPYTHON_LINE = re.compile(r"^[ \t]*[!%?/;,]|=[ \t]*[!%]|\?[ \t]*$", re.M)
MAX_CELLS_NAMED = 10  # cells that raised, named in a row's detail


class Stop(Exception):
    """Raised by a step once the row is decided: the steps after it do not run."""


@dataclass
class Run:
    """What every submission of a run shares: the answer key, a sandbox and an answer reader."""

    executor: Executor
    solutions: SolutionBook
    scanner: Scanner | None = None  # reads the answers in a bounded process; None: in this process

    @property
    def limits(self):
        return self.executor.limits


@dataclass
class Work:
    """One submission on its way through the steps: its row, and what the steps found so far."""

    result: Result
    path: Path
    submission: object = None  # what the read step read (:class:`~.read.Submission`)
    asked: list = field(default_factory=list)  # the exercise's questions
    solution: object = None  # its solution notebook
    notebook: object = None  # the graded copy
    findings: dict = field(default_factory=dict)  # question name -> the policy's findings
    cases: dict = field(default_factory=dict)  # question name -> the cases its answer is called on
    inputs: str = ""  # their arguments, as the sandbox receives them
    execution: object = None  # what came back from the sandbox (:class:`~.sandbox.Execution`)
    notes: list = field(default_factory=list)  # the row's detail, in order


def _stop(result, status, detail, review=False):
    result.status, result.detail = status, detail
    if review:
        result.review = detail
    raise Stop


def read_step(work, run):
    """The file as read once by the roster; a file that is no notebook ends here with its status."""
    if work.submission.status:
        _stop(work.result, work.submission.status, work.submission.detail)


def identify_step(work, run):
    """The exercise the roster identified, its questions and its solution notebook."""
    result = work.result
    exercise = result.exercise
    if not exercise:
        _stop(result, Status.UNKNOWN_EXERCISE,
              f"no convlib.exercise in its metadata and no exercise name ({', '.join(MODULES)}) in its file name")
    result.exercise = exercise
    work.asked = questions(exercise)
    result.questions = {q.name: False for q in work.asked}
    try:
        work.solution = run.solutions.notebook(exercise)
    except (OSError, ValueError):
        where = run.solutions.path(exercise)
        result.error = f"no solution notebook {where}"
        _stop(result, Status.GRADER_ERROR, grader_error(f"no solution notebook {where}", during="solution"))


def _too_much_rewriting(source):
    """Whether IPython's rewriting of ``source`` could take more than ``MAX_REWRITE_WORK``."""
    return len(IPYTHON_LINE.findall(source)) * len(source) > MAX_REWRITE_WORK


def refused_answers(answers):
    """Why ``answers`` (``{name: source}``) are not read further, or ``''``: the policy never sees them."""
    huge = [name for name, source in answers.items() if len(source) > MAX_ANSWER_CHARS]
    if huge:
        return (f"answer cell(s) {', '.join(huge)} hold more than {MAX_ANSWER_CHARS // 1024} KB of text; "
                "not read further")
    rewritten = [name for name, source in answers.items() if _too_much_rewriting(source)]
    if rewritten:
        return (f"answer cell(s) {', '.join(rewritten)} hold too many lines of IPython's own syntax (!, %, ?) "
                "for their length; not read further")
    return ""


def assemble_step(work, run):
    """The graded copy (solution cells + the learner's answers); answers too costly to read end here."""
    work.notebook, work.result.answers = graded_copy(work.submission.notebook, work.solution)
    refused = refused_answers(work.result.answers)
    if refused:
        _stop(work.result, Status.ANSWER_TOO_LARGE, refused, review=True)


def scan_step(work, run):
    """The policy on every answer (flags decided before any point), and this submission's inputs."""
    read = run.scanner.scan if run.scanner else scan
    try:
        work.findings = {q.name: read(work.result.answers.get(q.name, ""), q.forbidden) for q in work.asked}
    except ScanRefused as err:
        _stop(work.result, Status.ANSWER_TOO_LARGE, f"an answer cell: {err}", review=True)
    work.result.review = "; ".join(f"{name}: {', '.join(f.review)}" for name, f in work.findings.items() if f.review)
    work.cases, work.inputs = inputs_for(work.asked, np.random.default_rng(secrets.randbits(128)))


def execute_step(work, run):
    """The graded copy, run in a sandbox of its own; the grader's trouble with it ends here."""
    result = work.result
    execution = work.execution = run.executor.execute(import_nbformat().writes(work.notebook), work.inputs,
                                                       exercise=result.exercise)
    result.sandbox = execution.sandbox or result.sandbox
    result.log = execution.log_tail
    if execution.warning:
        result.review = "; ".join(filter(None, [result.review, execution.warning]))
    if execution.error:
        result.error = capped(execution.error, 300)
        _stop(result, Status.GRADER_ERROR, grader_error(execution.error, during="sandbox"))


def observe_step(work, run):
    """The status, from what the grader itself saw: its timer, the cgroup, the runner's exit status."""
    execution, result = work.execution, work.result
    if execution.timed_out:
        result.status = Status.TIMED_OUT
    elif execution.out_of_memory:
        result.status = Status.OUT_OF_MEMORY
    elif execution.kernel_died:
        result.status = Status.KERNEL_DIED
        work.notes.append(kernel_death(execution.junit, work.notebook, execution.runner_failed, execution.log_tail))


def judge_step(work, run):
    """Each recorded answer against its reference; a wrong answer that calls a wrong one says so."""
    execution, result = work.execution, work.result
    reached = execution.junit is not None and not execution.timed_out
    for q in work.asked:
        verdict = judge(q, work.cases[q.name], execution.answers.get(q.name, ...), work.findings[q.name].forbidden,
                        reached)
        result.questions[q.name] = verdict.solved
        if not verdict.solved:
            result.messages[q.name] = verdict.message
            work.notes.append(f"{q.name}: {verdict.message}")  # by question, whatever the message says
    for q in work.asked:  # a later answer that calls an earlier one that is wrong
        broken = [name for name in q.calls(result.answers.get(q.name, "")) if not result.questions.get(name, True)]
        if not result.questions[q.name] and broken:
            note = q.dependency_note(broken).strip()
            result.messages[q.name] = result.messages.get(q.name, "") + "\n" + note
            work.notes.append(f"{q.name}: {note}")


def _cells_that_raised(junit, notebook):
    """``['cell 3 (answer window_sum)', ...]`` from nbval's report (informational only)."""
    if not junit:
        return []
    try:
        root = ET.fromstring(junit)
    except ET.ParseError:
        return []
    code = [c for c in notebook.cells if c.cell_type == "code"]
    raised = []
    for case in root.iter("testcase"):
        match = re.search(r"Cell (\d+)", case.get("name", ""))
        if match and any(child.tag in ("failure", "error") for child in case):
            number = int(match.group(1))
            role, name = cell_role(code[number]) if number < len(code) else (None, None)
            raised.append(f"cell {number}" + (f" ({role} {name})" if role else ""))
    return raised[:MAX_CELLS_NAMED]


def explain_step(work, run):
    """The row's detail for the instructor: what was lost, cells that raised, limits reached."""
    execution, notes, limits = work.execution, work.notes, run.limits
    raised = _cells_that_raised(execution.junit, work.notebook)
    if raised:
        notes.append("cells that raised: " + ", ".join(raised))
    if execution.timed_out:
        notes.append(f"the notebook ran out of time ({limits.times.notebook:g} s)")
    if execution.out_of_memory:
        notes.append(f"the sandbox used up its memory ({limits.memory / 2**30:g} GB, all processes together)")
    if execution.cell_timed_out:
        notes.append("a cell ran out of time; the cells after it did not run")
    work.result.detail = " | ".join(notes)


STEPS = (read_step, identify_step, assemble_step, scan_step, execute_step, observe_step, judge_step, explain_step)


def _result_for(entry, executor):
    learner = entry.learner
    return Result(submission=str(entry.path), learner=learner.name, lms_id=learner.lms_id, platform=learner.platform,
                  late=learner.late, exercise=entry.exercise or "", sandbox=executor.kind)


def grade_one(path, executor, solutions=DEFAULT_SOLUTIONS, entry=None, scanner=None):
    """Grade one submitted notebook through :data:`STEPS`; never writes to it, never raises.

    ``entry`` (from :func:`~.roster.roster`) holds what was read of the file (it is not read
    again), names the learner and says whether a newer copy is graded instead; without it the
    file is read here. ``solutions``: a :class:`~.solutions.SolutionBook` or its folder.
    ``scanner`` (a :class:`~convlib.answers.policy.Scanner`) reads the answers in a bounded
    process of its own; without it they are read here. Returns a :class:`~.report.Result`.
    """
    started = time.monotonic()
    entry = entry or roster([path])[0]
    book = solutions if isinstance(solutions, SolutionBook) else SolutionBook(solutions)
    result = _result_for(entry, executor)
    work, run = Work(result, Path(path), entry.submission), Run(executor, book, scanner)
    try:
        if entry.graded_instead is not None:
            _stop(result, Status.OLDER_COPY, f"{entry.graded_instead} is graded instead")
        for step in STEPS:
            step(work, run)
    except Stop:
        pass
    except Exception as err:  # noqa: BLE001 - one row's trouble, never the batch's; no point survives it
        result.questions = dict.fromkeys(result.questions, False)
        result.status, result.error = Status.GRADER_ERROR, f"{type(err).__name__}: {capped(err, 200)}"
        result.detail = grader_error(result.error, during="grading")
    result.review = "; ".join(filter(None, [*entry.notes, result.review]))
    result.seconds = time.monotonic() - started
    return result


class Grading:
    """One grading run: its roster, staged sandboxes and workers, its canary, then its class.

    ``with Grading(paths, ...) as run: run.canary(); results = run.grade(...)``; the canary
    (:mod:`~convlib.grading.canary`) grades the shipped solution and the untouched handout of
    every exercise among ``paths`` with the same workers, sandboxes and limits as the class, and
    raises :class:`~convlib.grading.canary.CanaryFailed` (nobody graded) if they do not score
    full marks and zero. Arguments as :func:`grade`'s.
    """

    def __init__(self, paths, solutions_dir=DEFAULT_SOLUTIONS, *, jobs=1, limits=None, kind=None, shard=(1, 1),
                 learner=None, teams=False):
        self.entries = roster(paths, shard, learner, teams)
        self.solutions = SolutionBook(solutions_dir)
        self.jobs = max(1, jobs)
        self.limits = limits or Limits()
        self.kind = kind or sandbox_kind()[0]
        self.checked = None  # the canary's log line, once it passed

    def __enter__(self):
        self.work = Path(tempfile.mkdtemp(prefix="convlib-grade-"))
        self.work.chmod(0o711)  # a sandbox's uid may pass through to its own folder, never list the others
        self.runs = Queue()  # one per worker: its sandbox and its answer reader, held up by no other worker
        self.pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            try:
                self.staged = stages(self.work / "stage", self.exercises())
            except LookupError as err:  # a package every notebook needs is not installed
                raise CanaryFailed(f"the sandbox's Python cannot be staged: {err}") from None
            for slot in range(self.jobs):
                executor = Executor(self.staged, self.limits, slot=slot, kind=self.kind, work_dir=self.work)
                self.runs.put(Run(executor, self.solutions, Scanner()))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(wait=True)
        while not self.runs.empty():
            run = self.runs.get()
            run.scanner.close()
            run.executor.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def _grade_one(self, path, entry=None):
        run = self.runs.get()
        try:
            return grade_one(path, run.executor, self.solutions, entry, run.scanner)
        finally:
            self.runs.put(run)

    def exercises(self):
        """The course's exercises this run grades (the roster's)."""
        return {e.exercise for e in self.entries if e.exercise in MODULES and e.graded_instead is None}

    def canary(self):
        """Grade what the grader knows the answer to (see :mod:`~convlib.grading.canary`); its log line."""
        self.checked = check(self.exercises(), self.solutions, self.work / "canary", self._grade_one,
                             lambda function, items: list(self.pool.map(function, items)), limits=self.limits,
                             uid_mode=self.kind == UID, stage_dirs=sorted({*map(str, self.staged.values())}))
        return self.checked

    def grade(self, progress=None, gradebook=None):
        """Grade the class (after :meth:`canary`); results in file order, each also handed to
        ``gradebook.add`` and ``progress(done, total, result)`` as soon as it is ready."""
        if self.checked is None:
            raise RuntimeError("the canary has not run: call canary() first")
        entries, results, lock, done = self.entries, [None] * len(self.entries), threading.Lock(), [0]
        reports = ([gradebook.add] if gradebook is not None else []) + ([progress] if progress else [])

        def task(index):
            result = self._grade_one(entries[index].path, entries[index])
            entries[index].submission = None  # graded: its notebook is not needed again
            with lock:
                results[index] = result
                done[0] += 1
                for report in reports:
                    try:
                        report(result) if report is not progress else report(done[0], len(entries), result)
                    except Exception as err:  # noqa: BLE001 - a row that cannot be shown never ends the run
                        print(f"could not report a row: {type(err).__name__}", file=sys.stderr)

        list(self.pool.map(task, range(len(entries))))
        return results


def grade(paths, solutions_dir=DEFAULT_SOLUTIONS, *, jobs=1, limits=None, progress=None, gradebook=None,
          kind=None, shard=(1, 1), learner=None, log=None, teams=False):
    """Grade every notebook under ``paths`` (the ``shard`` ``(k, n)`` of them); results in file order.

    ``learner``: the :class:`~convlib.grading.identify.Learner` who handed in every file (one
    Gradescope upload), else each file's names say whose it is; ``teams``: a Moodle download of
    team submissions (its folders name groups).

    The canary runs first (:class:`Grading`); its line goes to ``log`` (a callable; default
    stderr), and if it fails, :class:`~convlib.grading.canary.CanaryFailed` is raised and no
    one is graded. Each result goes to ``gradebook.add`` (when given) and
    ``progress(done, total, result)`` as soon as it is ready.
    """
    with Grading(paths, solutions_dir, jobs=jobs, limits=limits, kind=kind, shard=shard, learner=learner,
                 teams=teams) as run:
        line = run.canary()
        (log or (lambda text: print(text, file=sys.stderr, flush=True)))(line)
        return run.grade(progress, gradebook)


def class_answers(results):
    """``{(exercise, question): [(learner, file, source)]}`` of the graded rows, in file order."""
    answers = {}
    for r in results:
        if r.status == Status.OLDER_COPY or r.exercise not in MODULES:
            continue
        for name, source in r.answers.items():
            who = f"{r.learner} ({r.platform} {r.lms_id})" if r.lms_id else (r.learner or r.submission)
            answers.setdefault((r.exercise, name), []).append((who, r.submission, source))
    return answers


def finish(results, solutions=DEFAULT_SOLUTIONS):
    """What only the whole class shows: pairs of answers alike (:func:`~.similarity.similar_pairs`),
    each noted in the rows' ``review``; returns the pairs."""
    book = solutions if isinstance(solutions, SolutionBook) else SolutionBook(solutions)
    answers = class_answers(results)
    pairs = similar_pairs(answers, *book.references({exercise for exercise, _ in answers}))
    notes = review_notes(pairs)
    for r in results:
        r.review = "; ".join(filter(None, [r.review, *notes.get(r.submission, [])]))
    return pairs
