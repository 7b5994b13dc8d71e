"""Grade exercise submissions: ``python -m convlib.grade SUBMISSIONS... --out grades.csv``.

Every submission goes through the steps of :mod:`convlib.grading`, in order::

    read -> identify -> policy -> assemble -> execute (sandbox) -> judge -> report

The learner's code runs only inside a sandbox of its own (bubblewrap, an unprivileged uid, no
network, resource limits), under nbval, and hands back plain data; the answers are judged in
this process, against references the sandbox never sees, on hidden inputs drawn fresh for
each submission. Nothing a submission prints, patches or writes can earn a point, and a
broken or hostile file costs only its own row. Submissions are only read, never written.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Queue

import nbformat
import numpy as np

from . import __version__
from .exercises import MODULES, questions
from .exercises.answer_key import SOLUTIONS
from .grading.assemble import graded_copy, inputs_for
from .grading.identify import cell_role, exercise_of
from .grading.judge import judge
from .answers.policy import Scanner, ScanRefused, scan
from .grading.read import read
from .grading.feedback import titles, write_feedback
from .grading.gradescope import write_gradescope
from .grading.canary import CanaryFailed, check
from .grading.canvas import write_canvas
from .grading.cause import grader_error, kernel_death
from .grading.learners import write_learners
from .grading.moodle import write_moodle
from .grading.packages import forbidden_within_reach
from .grading.progress import Progress
from .grading.report import OLDER_COPY, Gradebook, Result, merge, summary, write_rows
from .grading.similarity import review_notes, similar_pairs, write_similarity
from .grading.roster import parse_shard, roster
from .grading.sandbox import NO_SANDBOX, UID, Executor, Limits, exposed, sandbox_kind
from .grading.stage import stages
from .grading.text import capped
from .answers.blocks import strip_solutions
from .notebook import notebooks_in

__all__ = ["Result", "grade_one", "grade", "Grading", "CanaryFailed", "main", "DEFAULT_SOLUTIONS"]

# the answer key: inside the package when installed (a wheel), else the repository's solutions/
DEFAULT_SOLUTIONS = SOLUTIONS

STATUS_UNKNOWN = "belongs to no known exercise"
STATUS_TIMEOUT = "timed out"
STATUS_KERNEL = "kernel died"
STATUS_MEMORY = "out of memory"
STATUS_ANSWER_TOO_LARGE = "answer too large"
MAX_ANSWER_CHARS = 256 * 1024  # one answer cell; larger ones are refused before any parsing
# IPython rewrites a cell once per line of its own syntax (!ls, %time, x?, /f x, x = !ls), reading the
# whole cell each time: lines that may be rewritten times the cell's length, at most this, before the scan
MAX_REWRITE_WORK = 2_000_000
IPYTHON_LINE = re.compile(r"^[ \t]*[!%?/;,]|=[ \t]*[!%]|\?[ \t]*$", re.M)


def _too_much_rewriting(source):
    """Whether IPython's rewriting of ``source`` could take more than ``MAX_REWRITE_WORK``."""
    return len(IPYTHON_LINE.findall(source)) * len(source) > MAX_REWRITE_WORK


def _refused_answers(answers):
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
    return raised[:10]


def grade_one(path, executor, solutions_dir=DEFAULT_SOLUTIONS, entry=None, scanner=None):
    """Grade one submitted notebook; never writes to it, never raises. Returns a :class:`Result`.

    ``entry`` (from :func:`~convlib.grading.roster.roster`) holds what was read of the file (it is
    not read again), names the learner and says whether a newer copy is graded instead; without
    it the file is read here and the learner comes from the file's name. ``scanner``
    (a :class:`~convlib.answers.policy.Scanner`) reads the answers in a bounded process of its
    own; without it they are read here.
    """
    started = time.monotonic()
    entry = entry or roster([path])[0]
    result = Result(submission=str(path), learner=entry.learner.name, lms_id=entry.learner.lms_id,
                    platform=entry.learner.platform, late=entry.learner.late, exercise=entry.exercise or "",
                    sandbox=executor.kind)
    try:
        if entry.graded_instead is not None:
            result.status = OLDER_COPY
            result.detail = f"{entry.graded_instead} is graded instead"
        else:
            _grade_into(result, Path(path), executor, Path(solutions_dir), scanner, entry.submission)
    except Exception as err:  # noqa: BLE001 - one row's trouble, never the batch's; no point survives it
        result.questions = dict.fromkeys(result.questions, False)
        result.status = f"grader error: {type(err).__name__}: {capped(err, 200)}"
        result.detail = grader_error(f"{type(err).__name__}: {capped(err, 200)}", during="grading")
    result.review = "; ".join(filter(None, [*entry.notes, result.review]))
    result.seconds = time.monotonic() - started
    return result


def _grade_into(result, path, executor, solutions_dir, scanner=None, submission=None):
    # read: once per run, by the roster
    submission = submission if submission is not None else read(path)
    if submission.status:
        result.status, result.detail = submission.status, submission.detail
        return
    # identify
    exercise = exercise_of(submission.notebook, path)
    if exercise is None:
        result.status = STATUS_UNKNOWN
        result.detail = f"no convlib.exercise in its metadata and no exercise name ({', '.join(MODULES)}) in its file name"
        return
    result.exercise = exercise
    asked = questions(exercise)
    result.questions = {q.name: False for q in asked}
    solution_path = solutions_dir / f"{exercise}.ipynb"
    if not solution_path.is_file():
        result.status = f"grader error: no solution notebook {solution_path}"
        result.detail = grader_error(f"no solution notebook {solution_path}", during="solution")
        return
    solution = nbformat.read(solution_path, as_version=4)
    # assemble, and the policy on the learner's answers: flags are decided before any point
    notebook, answers = graded_copy(submission.notebook, solution)
    result.answers = answers
    refused = _refused_answers(answers)
    if refused:
        result.status, result.detail = STATUS_ANSWER_TOO_LARGE, refused
        result.review = result.detail
        return
    try:
        findings = {q.name: (scanner.scan if scanner else scan)(answers.get(q.name, ""), q.forbidden) for q in asked}
    except ScanRefused as err:
        result.status, result.detail = STATUS_ANSWER_TOO_LARGE, f"an answer cell: {err}"
        result.review = result.detail
        return
    result.review = "; ".join(f"{name}: {', '.join(f.review)}" for name, f in findings.items() if f.review)
    cases, inputs = inputs_for(asked, np.random.default_rng(secrets.randbits(128)))
    # execute, in a sandbox
    execution = executor.execute(nbformat.writes(notebook), inputs, exercise=exercise)
    result.sandbox = execution.sandbox or result.sandbox
    result.log = execution.log_tail
    if execution.warning:
        result.review = "; ".join(filter(None, [result.review, execution.warning]))
    if execution.error:
        result.status = f"grader error: {capped(execution.error, 300)}"
        result.detail = grader_error(execution.error, during="sandbox")
        return
    # the status: only from what the grader itself saw (its timer, the cgroup, exit statuses)
    if execution.timed_out:
        result.status = STATUS_TIMEOUT
    elif execution.out_of_memory:
        result.status = STATUS_MEMORY
    elif execution.kernel_died:
        result.status = STATUS_KERNEL
    # judge, here
    reached = execution.junit is not None and not execution.timed_out
    notes = []
    if result.status == STATUS_KERNEL:
        notes.append(kernel_death(execution.junit, notebook, execution.runner_failed, execution.log_tail))
    for q in asked:
        verdict = judge(q, cases[q.name], execution.answers.get(q.name, ...), findings[q.name].forbidden, reached)
        result.questions[q.name] = verdict.solved
        if not verdict.solved:
            result.messages[q.name] = verdict.message
            notes.append(verdict.message if q.name in verdict.message else f"{q.name}: {verdict.message}")
    for q in asked:  # a later answer that calls an earlier one that is wrong: say so
        broken = [name for name in q.calls(answers.get(q.name, "")) if not result.questions.get(name, True)]
        if not result.questions[q.name] and broken:
            note = q.dependency_note(broken).strip()
            result.messages[q.name] = result.messages.get(q.name, "") + "\n" + note
            notes.append(f"{q.name}: {note}")
    raised = _cells_that_raised(execution.junit, notebook)
    if raised:
        notes.append("cells that raised: " + ", ".join(raised))
    if execution.timed_out:
        notes.append(f"the notebook ran out of time ({executor.limits.times.notebook:g} s)")
    if execution.out_of_memory:
        notes.append(f"the sandbox used up its memory ({executor.limits.memory / 2**30:g} GB, all processes together)")
    if execution.cell_timed_out:
        notes.append("a cell ran out of time; the cells after it did not run")
    result.detail = " | ".join(notes)


class Grading:
    """One grading run: its staged sandboxes and workers, its canary, then its class.

    ``with Grading(paths, ...) as run: run.canary(); results = run.grade(...)``; the canary
    (:mod:`~convlib.grading.canary`) grades the shipped solution and the untouched handout of
    every exercise among ``paths`` with the same workers, sandboxes and limits as the class, and
    raises :class:`~convlib.grading.canary.CanaryFailed` (nobody graded) if they do not score
    full marks and zero. Arguments as :func:`grade`'s.
    """

    def __init__(self, paths, solutions_dir=DEFAULT_SOLUTIONS, *, jobs=1, limits=None, kind=None, shard=(1, 1),
                 learner=None):
        self.entries = roster(paths, shard, learner)
        self.solutions_dir = Path(solutions_dir)
        self.jobs = max(1, jobs)
        self.limits = limits or Limits()
        self.kind = kind or sandbox_kind()[0]
        self.checked = None  # the canary's log line, once it passed

    def __enter__(self):
        self.work = Path(tempfile.mkdtemp(prefix="convlib-grade-"))
        self.work.chmod(0o711)  # a sandbox's uid may pass through to its own folder, never list the others
        self.executors = Queue()
        self.scanners = Queue()  # one per worker: an answer slow to read holds up no other worker
        for _ in range(self.jobs):
            self.scanners.put(Scanner())
        self.pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            try:
                self.staged = stages(self.work / "stage")
            except LookupError as err:  # a package every notebook needs is not installed
                raise CanaryFailed(f"the sandbox's Python cannot be staged: {err}") from None
            for slot in range(self.jobs):
                self.executors.put(Executor(self.staged, self.limits, slot=slot, kind=self.kind, work_dir=self.work))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(wait=True)
        while not self.scanners.empty():
            self.scanners.get().close()
        while not self.executors.empty():
            self.executors.get().close()
        shutil.rmtree(self.work, ignore_errors=True)

    def _grade_one(self, path, entry=None):
        executor, scanner = self.executors.get(), self.scanners.get()
        try:
            return grade_one(path, executor, self.solutions_dir, entry, scanner)
        finally:
            self.executors.put(executor)
            self.scanners.put(scanner)

    def canary(self):
        """Grade what the grader knows the answer to (see :mod:`~convlib.grading.canary`); its log line."""
        exercises = {e.exercise for e in self.entries if e.exercise in MODULES and e.graded_instead is None}
        self.checked = check(exercises, self.solutions_dir, self.work / "canary", self._grade_one,
                             lambda function, items: list(self.pool.map(function, items)), limits=self.limits,
                             uid_mode=self.kind == UID, stage_dirs=sorted({*map(str, self.staged.values())}))
        return self.checked

    def grade(self, progress=None, gradebook=None):
        """Grade the class (after :meth:`canary`); results in file order, each also handed to
        ``gradebook.add`` and ``progress(done, total, result)`` as soon as it is ready."""
        if self.checked is None:
            raise RuntimeError("the canary has not run: call canary() first")
        entries, results, lock, done = self.entries, [None] * len(self.entries), threading.Lock(), [0]

        def task(index):
            result = self._grade_one(entries[index].path, entries[index])
            entries[index].submission = None  # graded: its notebook is not needed again
            with lock:
                results[index] = result
                done[0] += 1
                for report in ([gradebook.add] if gradebook is not None else []) + ([progress] if progress else []):
                    try:
                        report(result) if report is not progress else report(done[0], len(entries), result)
                    except Exception as err:  # noqa: BLE001 - a row that cannot be shown never ends the run
                        print(f"could not report a row: {type(err).__name__}", file=sys.stderr)

        list(self.pool.map(task, range(len(entries))))
        return results


def grade(paths, solutions_dir=DEFAULT_SOLUTIONS, *, jobs=1, limits=None, progress=None, gradebook=None,
          kind=None, shard=(1, 1), learner=None, log=None):
    """Grade every notebook under ``paths`` (the ``shard`` ``(k, n)`` of them); results in file order.

    ``learner``: the :class:`~convlib.grading.identify.Learner` who handed in every file (one
    Gradescope upload), else each file's names say whose it is.

    The canary runs first (:class:`Grading`); its line goes to ``log`` (a callable; default
    stderr), and if it fails, :class:`~convlib.grading.canary.CanaryFailed` is raised and no
    one is graded. Each result goes to ``gradebook.add`` (when given) and
    ``progress(done, total, result)`` as soon as it is ready.
    """
    with Grading(paths, solutions_dir, jobs=jobs, limits=limits, kind=kind, shard=shard, learner=learner) as run:
        line = run.canary()
        (log or (lambda text: print(text, file=sys.stderr, flush=True)))(line)
        return run.grade(progress, gradebook)


def _similarity_inputs(results, solutions_dir):
    """``(answers, solutions, handout)`` for :func:`~convlib.grading.similarity.similar_pairs`."""
    answers, solutions, handout = {}, {}, {}
    for r in results:
        if r.status == OLDER_COPY or r.exercise not in MODULES:
            continue
        for name, source in r.answers.items():
            who = f"{r.learner} ({r.platform} {r.lms_id})" if r.lms_id else (r.learner or r.submission)
            answers.setdefault((r.exercise, name), []).append((who, r.submission, source))
    for exercise in {exercise for exercise, _ in answers}:
        try:
            solution = nbformat.read(solutions_dir / f"{exercise}.ipynb", as_version=4)
        except (OSError, ValueError):
            continue
        for cell in solution.cells:
            role, name = cell_role(cell)
            if role == "answer" and cell.cell_type == "code":
                solutions[(exercise, name)] = cell.source
                handout[(exercise, name)] = strip_solutions(cell.source)
    return answers, solutions, handout


def _bytes(text):
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a size like 2G or 512M, not {text!r}")
    return int(float(match.group(1)) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2).lower()])


def _shard(text):
    try:
        return parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _refuse_notebook_outputs(parser, inputs, **outputs):
    for flag, value in outputs.items():
        if value is None:
            continue
        path = Path(value)
        if path.suffix == ".ipynb" or Path(os.path.realpath(path)) in inputs:
            parser.error(f"--{flag.replace('_', '-')} {path} would overwrite a notebook; give another path")


def _regular(path):
    """Whether ``path`` is a regular file itself (not a link, a FIFO, a folder); never follows a link."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _uid_warnings(reason, inputs, solutions):
    """The ``uid`` mode's note: what an unprivileged user could read on this machine."""
    from . import exercises

    lines = [f"sandbox: {UID} ({reason}): each learner's code runs as an unprivileged uid of its own, "
             "without namespaces; it can read whatever every user of this machine can read."]
    key = exposed([solutions, Path(exercises.__file__).parent])
    if key:
        lines.append(f"WARNING: the answer key is readable by every user ({len(key)} files, e.g. {key[0]}): "
                     f"chmod -R go-rwx {solutions} {Path(exercises.__file__).parent}")
    for folder, names in forbidden_within_reach().items():
        lines.append(f"WARNING: {', '.join(names)} can be imported by every user from {folder}, so by a learner's "
                     f"code that puts it on its path (the exercises forbid what they compute): install them "
                     f"elsewhere, or chmod o-rx {folder}")
    open_files = exposed(sorted(inputs))
    if len(inputs) > 1 and open_files:
        lines.append(f"WARNING: {len(open_files)} submission(s) are readable by every user, so by the other "
                     f"learners' code: chmod -R go-rwx the submissions folder before grading")
    return "\n".join(lines)


PROG = "convlib-grade"  # also python -m convlib.grade


def _parser(command, description):
    parser = argparse.ArgumentParser(prog=f"{PROG} {command}".strip(), description=description)
    parser.add_argument("--version", action="version", version=f"%(prog)s (convlib {__version__})")
    return parser


def _lms_options(parser):
    parser.add_argument("--by-learner", metavar="FILE",
                        help="also write one row per learner, one column per exercise graded, Total and Possible")
    parser.add_argument("--canvas", metavar="FILE", help="also write Canvas's gradebook import file (Grades > Import)")
    parser.add_argument("--moodle", metavar="DIR",
                        help="also write one Moodle grading worksheet per exercise into DIR (the assignment's "
                             "Upload grading worksheet)")


def _write_lms(args, rows):
    """The per-learner files the options ask for, from gradebook ``rows``."""
    if args.by_learner:
        lines = write_learners(args.by_learner, rows)
        print(f"per learner ({len(lines)}): {args.by_learner}")
    if args.canvas:
        count, warnings = write_canvas(args.canvas, rows)
        print(f"canvas ({count} learners): {args.canvas}")
        for warning in warnings:
            print(f"canvas: {warning}", file=sys.stderr)
    if args.moodle:
        written, warnings = write_moodle(args.moodle, rows)
        print(f"moodle worksheets ({len(written)}): " + ", ".join(str(p) for p in written.values()))
        for warning in warnings:
            print(f"moodle: {warning}", file=sys.stderr)


def _grade_main(argv):
    parser = _parser("", "Grade submitted exercise notebooks: each in a sandbox, judged against the solutions. "
                         f"'{PROG} merge --help' joins the gradebooks of shards; '{PROG} gradescope-autograder "
                         "--help' writes the autograder zip Gradescope takes.")
    parser.add_argument("submissions", nargs="+", help="notebooks, or folders searched for *.ipynb")
    parser.add_argument("--out", default="grades.csv", help="the gradebook CSV to write (default grades.csv)")
    _lms_options(parser)
    parser.add_argument("--feedback", metavar="DIR",
                        help="also write one HTML feedback page per learner into DIR, and index.csv / index.html")
    parser.add_argument("--similarity", metavar="FILE",
                        help="also list pairs of answers alike once names, comments and layout are set aside "
                             "(two learners', or one and the shipped solution), with a score; nothing is deducted")
    parser.add_argument("--gradescope", metavar="FILE",
                        help="also write Gradescope's results.json for this (one learner's) submission")
    parser.add_argument("--shard", type=_shard, default=(1, 1), metavar="K/N",
                        help="grade only the K-th of N shares of the files (the same share on every machine)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one cell may run (default 60)")
    parser.add_argument("--memory", type=_bytes, default=Limits.memory,
                        help="address space per process in the sandbox (default 2G)")
    parser.add_argument("--solutions", default=str(DEFAULT_SOLUTIONS), help="folder of solution notebooks")
    parser.epilog = ("Before anyone is graded, each exercise's shipped solution and untouched handout are graded "
                     "in the same sandboxes (the canary); exit status 3 when they do not score full marks and zero: "
                     "no one is graded, and stderr says why.")
    args = parser.parse_args(argv)
    # every Python this run starts (the answers' reader, as this user) keeps the working folder off its
    # path: started inside a folder someone handed in, a convlib/ there is never imported
    os.environ["PYTHONSAFEPATH"] = "1"

    found = notebooks_in(args.submissions)
    inputs = {Path(os.path.realpath(p)) for p in found}  # realpath: a link to itself or a loop never raises
    _refuse_notebook_outputs(parser, inputs, out=args.out, by_learner=args.by_learner, gradescope=args.gradescope,
                             canvas=args.canvas, similarity=args.similarity)
    if not Path(args.solutions).is_dir():
        parser.error(f"no solutions folder at {args.solutions}")
    if not inputs:
        parser.error("no notebooks found in " + " ".join(args.submissions))

    kind, reason = sandbox_kind()
    note = f"sandbox: {kind}"
    if kind == NO_SANDBOX:
        note = (f"WARNING: NO SANDBOX: {reason}. The learners' code ran with your rights, under resource "
                "limits only; every row says sandbox=none. Grade an untrusted class on a Linux machine with bubblewrap.")
        print(note, file=sys.stderr, flush=True)
    elif kind == UID:
        note = _uid_warnings(reason, [p for p in found if _regular(p)], Path(args.solutions))
        print(note, file=sys.stderr, flush=True)
    limits = Limits(memory=args.memory, cell_timeout=args.timeout, wall=max(120.0, args.timeout * 4))

    progress = Progress(len(inputs))
    try:
        with Grading(args.submissions, args.solutions, jobs=args.jobs, limits=limits, kind=kind,
                     shard=args.shard) as run:
            checked = run.canary()
            print(checked, file=sys.stderr, flush=True)
            note = f"{note}\n{checked}"
            book = Gradebook(args.out)  # only now: a failed canary leaves an earlier gradebook as it was
            try:
                results = run.grade(progress, book)
            finally:
                progress.close()
                book.close()
    except CanaryFailed as err:
        progress.close()
        print(f"{PROG}: stopped before grading anyone: {err}", file=sys.stderr)
        return 3
    pairs = similar_pairs(*_similarity_inputs(results, Path(args.solutions)))
    if pairs:
        notes = review_notes(pairs)
        for r in results:
            r.review = "; ".join(filter(None, [r.review, *notes.get(r.submission, [])]))
        write_rows(args.out, [r.record() for r in results])
    if args.similarity:
        write_similarity(args.similarity, pairs)
    print(summary(results, note))
    print(f"\ngradebook: {args.out}")
    if args.similarity:
        print(f"similar answers ({len(pairs)} pairs, for a person to look at; nothing deducted): {args.similarity}")
    _write_lms(args, [r.record() for r in results])
    if args.feedback:
        pages = write_feedback(args.feedback, results, titles(args.solutions))
        unnamed = sum(not r.learner for r in results)
        print(f"feedback pages ({len(pages)}): {args.feedback}"
              + (f"; {unnamed} file(s) name no learner and have no page" if unnamed else "")
              + f"; index: {Path(args.feedback) / 'index.html'}")
    if args.gradescope:
        data = write_gradescope(args.gradescope, results)
        print(f"gradescope: {args.gradescope} ({data['score']} points)")
    return 0


def _merge_main(argv):
    parser = _parser("merge", "Join the gradebooks that shards (--shard K/N) wrote into one, in file order.")
    parser.add_argument("parts", nargs="+", help="the shards' gradebook CSVs")
    parser.add_argument("--out", default="grades.csv", help="the joined gradebook (default grades.csv)")
    _lms_options(parser)
    args = parser.parse_args(argv)
    _refuse_notebook_outputs(parser, set(), out=args.out, by_learner=args.by_learner, canvas=args.canvas)
    if Path(args.out).resolve() in {Path(p).resolve() for p in args.parts}:
        parser.error(f"--out {args.out} is one of the parts; give a new path")
    try:
        rows = merge(args.parts, args.out)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    print(f"gradebook: {args.out} ({len(rows)} rows from {len(args.parts)} parts)")
    _write_lms(args, rows)
    return 0


def _autograder_main(argv):
    from .grading.autograder import write_autograder

    parser = _parser("gradescope-autograder",
                     "Write the autograder zip Gradescope takes as it is (Configure Autograder: upload it): "
                     "setup.sh and run_autograder at its root, the course installable from where setup.sh "
                     "installs it; each upload is graded as one learner and always gets a results.json.")
    parser.add_argument("--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    args = parser.parse_args(argv)
    try:
        names = write_autograder(args.out)
    except OSError as err:
        parser.error(str(err))
    print(f"autograder: {args.out} ({len(names)} files)")
    return 0


def main(argv=None):
    """``convlib-grade SUBMISSIONS...``, ``convlib-grade merge PARTS...`` or
    ``convlib-grade gradescope-autograder --out autograder.zip``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["merge"]:
        return _merge_main(argv[1:])
    if argv[:1] == ["gradescope-autograder"]:
        return _autograder_main(argv[1:])
    return _grade_main(argv)


if __name__ == "__main__":
    sys.exit(main())
