"""Grade exercise submissions with nbval: ``python -m convlib.grade SUBMISSIONS... --out grades.csv``.

For each submitted notebook (files, or folders searched for ``*.ipynb``):

1. find its exercise (notebook metadata ``convlib.exercise``, else the file name);
2. build a *graded copy*: the solution notebook, with only the learner's answer cells (cell
   metadata ``convlib.answer``) taken from the submission. Checks, given code, prose and every
   expected output come from the solution, so edited outputs, edited or deleted checks and
   added ``raises-exception`` / ``nbval-skip`` tags change nothing;
3. run nbval on the copy (lax mode: only the check cells' outputs are compared), in the
   grader's own Python environment, with a per-cell timeout;
4. score one point per question whose check cell passed; write a gradebook CSV and print a
   summary.

Submissions are only read, never written. A submission that is not valid JSON, belongs to no
known exercise, loops forever or kills its kernel is reported in the ``status`` column and the
run goes on.

Limit: the learner's code runs with the grader's rights. For an untrusted class, run the
grader in a container or as a separate user.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .assign import make_exercise
from .exercises import MODULES
from .notebook import cell_role, exercise_of, notebooks_in

__all__ = ["Result", "graded_copy", "grade_one", "grade", "write_gradebook", "main"]

DEFAULT_SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"

OK = "graded"
STATUS_NOT_JSON = "not a notebook (invalid JSON)"
STATUS_UNKNOWN = "belongs to no known exercise"
STATUS_TIMEOUT = "timed out"
STATUS_KERNEL = "kernel died"


@dataclass
class Result:
    """One submission's grade."""

    submission: str
    exercise: str = ""
    status: str = OK
    questions: dict = field(default_factory=dict)  # name -> True/False, in order
    detail: str = ""

    @property
    def passed(self):
        return sum(bool(v) for v in self.questions.values())

    @property
    def total(self):
        return len(self.questions)

    @property
    def score(self):
        return round(100.0 * self.passed / self.total, 1) if self.total else 0.0


# -------------------------------------------------------------------------- the graded copy


def _find_exercise(nb, path):
    name = exercise_of(nb)
    if name in MODULES:
        return name
    stem = Path(path).stem.lower()
    for known in MODULES:  # a learner's file name: "01_image_and_kernel (1).ipynb", "alice_02_the_slide"
        if known in stem:
            return known
    return None


def _answer_cells(nb):
    """name -> source of the learner's answer cells (by metadata, cell id, or def name)."""
    found = {}
    for cell in nb.cells:
        role, name = cell_role(cell)
        if cell.cell_type == "code" and role == "answer" and name not in found:
            found[name] = cell.source
    return found


def graded_copy(submission, solution):
    """The notebook to run: the solution, with the submission's answer cells put in.

    Returns ``(notebook, {code cell number: question name})`` for the check cells, numbered as
    nbval numbers its tests (``Cell N``, counting code cells only).
    """
    copy = nbformat.from_dict(json.loads(json.dumps(solution)))
    stubs = make_exercise(solution)
    answers = _answer_cells(submission)
    by_id = {cell.get("id"): cell.source for cell in submission.cells if cell.cell_type == "code"}
    checks, number = {}, 0
    for index, cell in enumerate(copy.cells):
        if cell.cell_type != "code":
            continue
        role, name = cell_role(cell)
        if role == "answer":
            source = answers.get(name)
            if source is None:
                source = by_id.get(cell.get("id"))
            if source is None:  # last resort: a cell that defines the function
                source = next((c.source for c in submission.cells if c.cell_type == "code"
                               and re.search(rf"^def {re.escape(name)}\(", c.source, re.M)), None)
            cell.source = source if source is not None else stubs.cells[index].source
            cell.outputs = []
        elif role == "check":
            checks[number] = name
        number += 1
    return copy, checks


# -------------------------------------------------------------------------- running nbval


def _run_nbval(notebook_path, junit_path, cell_timeout, total_timeout):
    """Run nbval on one graded copy; returns (returncode or None if killed, output text)."""
    ini = notebook_path.parent / "pytest.ini"
    ini.write_text("[pytest]\n")
    command = [
        sys.executable, "-m", "pytest", str(notebook_path), "-c", str(ini),
        "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={cell_timeout}",
        f"--junitxml={junit_path}", "-p", "no:cacheprovider", "-q", "--no-header",
    ]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    try:
        done = subprocess.run(command, cwd=notebook_path.parent, capture_output=True, text=True,
                              timeout=total_timeout, env=env)
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        return None, ""


def _passed_cells(junit_path):
    """{cell number: passed?} from nbval's junit report."""
    results = {}
    root = ET.parse(junit_path).getroot()
    for case in root.iter("testcase"):
        match = re.search(r"Cell (\d+)", case.get("name", ""))
        if not match:
            continue
        bad = any(child.tag in ("failure", "error", "skipped") for child in case)
        results[int(match.group(1))] = not bad
    return results


def grade_one(path, solutions_dir=DEFAULT_SOLUTIONS, *, cell_timeout=60, work_dir=None):
    """Grade one submitted notebook; never writes to it. Returns a :class:`Result`."""
    path = Path(path)
    result = Result(submission=str(path))
    try:
        raw = path.read_bytes()
        submission = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        result.status, result.detail = STATUS_NOT_JSON, str(err).splitlines()[0][:200]
        return result
    except Exception as err:  # valid JSON but not a notebook
        result.status, result.detail = STATUS_NOT_JSON, f"{type(err).__name__}: {str(err)[:200]}"
        return result

    exercise = _find_exercise(submission, path)
    if exercise is None:
        result.status = STATUS_UNKNOWN
        result.detail = f"no convlib.exercise in its metadata and no exercise name ({', '.join(MODULES)}) in its file name"
        return result
    result.exercise = exercise
    solution_path = Path(solutions_dir) / f"{exercise}.ipynb"
    solution = nbformat.read(solution_path, as_version=4)
    copy, checks = graded_copy(submission, solution)
    result.questions = {name: False for name in checks.values()}

    scratch = Path(tempfile.mkdtemp(prefix="grade-", dir=work_dir))
    try:
        notebook_path = scratch / f"{exercise}.ipynb"
        nbformat.write(copy, notebook_path)
        junit = scratch / "junit.xml"
        n_cells = sum(cell.cell_type == "code" for cell in copy.cells)
        code, output = _run_nbval(notebook_path, junit, cell_timeout, cell_timeout * n_cells + 120)
        if code is None:
            result.status, result.detail = STATUS_TIMEOUT, "the whole notebook ran out of time"
            return result
        if not junit.exists():
            result.status, result.detail = STATUS_KERNEL, output.strip().splitlines()[-1][:200] if output.strip() else ""
            return result
        cells = _passed_cells(junit)
        for number, name in checks.items():
            result.questions[name] = cells.get(number, False)
        if "Timeout of" in output:
            result.detail = "a cell ran out of time"
        died = ("Kernel dead", "DeadKernelError", "Failed to interrupt kernel")
        if any(sign in output for sign in died) or (checks and not any(n in cells for n in checks)):
            result.status, result.detail = STATUS_KERNEL, "the kernel stopped while running the notebook"
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade(paths, solutions_dir=DEFAULT_SOLUTIONS, *, jobs=1, cell_timeout=60, progress=None):
    """Grade every notebook under ``paths``; results in the order of the files."""
    files = notebooks_in(paths)
    results = [None] * len(files)
    lock = threading.Lock()
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, f, solutions_dir, cell_timeout=cell_timeout): i for i, f in enumerate(files)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            with lock:
                done += 1
                if progress:
                    progress(done, len(files), results[index])
    return results


# -------------------------------------------------------------------------- the gradebook


def write_gradebook(results, out):
    """Write the CSV: submission, exercise, status, passed, total, score, one column per question."""
    question_columns = []
    for exercise in MODULES:
        for result in results:
            if result.exercise == exercise:
                for name in result.questions:
                    if name not in question_columns:
                        question_columns.append(name)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "exercise", "status", "passed", "total", "score"] + question_columns + ["detail"])
        for r in results:
            marks = [("" if name not in r.questions else int(bool(r.questions[name]))) for name in question_columns]
            writer.writerow([r.submission, r.exercise, r.status, r.passed, r.total, r.score] + marks + [r.detail])
    temporary.replace(out)
    return out


def summary(results):
    """A readable table of the results, and how often each question was solved."""
    lines = []
    width = max([len(r.submission) for r in results] + [10])
    lines.append(f"{'submission':{width}s}  {'exercise':22s} {'score':>6s}  status")
    for r in results:
        lines.append(f"{r.submission:{width}s}  {r.exercise or '-':22s} {r.passed:>2d}/{r.total:<3d}  {r.status}"
                     + (f" ({r.detail})" if r.detail else ""))
    graded = [r for r in results if r.status == OK]
    lines.append(f"\n{len(results)} submission(s): {len(graded)} graded, {len(results) - len(graded)} not gradable.")
    per_question = {}
    for r in results:
        for name, ok in r.questions.items():
            per_question.setdefault((r.exercise, name), []).append(bool(ok))
    if per_question:
        lines.append("solved by:")
        for (exercise, name), marks in per_question.items():
            lines.append(f"  {exercise:22s} {name:22s} {sum(marks)}/{len(marks)}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m convlib.grade",
        description="Grade submitted exercise notebooks with nbval against the solutions.",
    )
    parser.add_argument("submissions", nargs="+", help="notebooks, or folders searched for *.ipynb")
    parser.add_argument("--out", default="grades.csv", help="the gradebook CSV to write (default grades.csv)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--timeout", type=int, default=60, help="seconds one cell may run (default 60)")
    parser.add_argument("--solutions", default=str(DEFAULT_SOLUTIONS), help="folder of solution notebooks")
    args = parser.parse_args(argv)

    out = Path(args.out)
    inputs = {p.resolve() for p in notebooks_in(args.submissions)}
    if out.suffix == ".ipynb" or out.resolve() in inputs:
        parser.error(f"--out {out} would overwrite a notebook; give a .csv path")
    if not Path(args.solutions).is_dir():
        parser.error(f"no solutions folder at {args.solutions}")
    if not inputs:
        parser.error("no notebooks found in " + " ".join(args.submissions))

    def progress(done, total, result):
        print(f"[{done}/{total}] {result.submission}: {result.passed}/{result.total} ({result.status})",
              file=sys.stderr, flush=True)

    results = grade(args.submissions, args.solutions, jobs=args.jobs, cell_timeout=args.timeout, progress=progress)
    write_gradebook(results, out)
    print(summary(results))
    print(f"\ngradebook: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
