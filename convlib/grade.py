"""The command line: ``convlib-grade SUBMISSIONS... --out grades.csv`` (also ``python -P -m convlib.grade``).

This module parses arguments and prints; the run itself is :mod:`convlib.grading.pipeline`
(read -> identify -> assemble -> scan -> execute -> observe -> judge -> explain, each
submission in a sandbox of its own, the canary before anyone). The learner's code runs only
inside its sandbox and hands back plain data; the answers are judged in the grader's process,
against references the sandbox never sees, on hidden inputs drawn fresh for each submission.
Nothing a submission prints, patches or writes can earn a point, and a broken or hostile file
costs only its own row. Submissions are only read, never written.

``convlib-grade merge PARTS...`` joins the gradebooks of shards; ``convlib-grade
gradescope-autograder`` writes the zip Gradescope takes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from . import __version__
from .exercises import MODULES
from .grading.capped import is_regular
from .grading.canvas import parse_column, read_export, write_canvas
from .grading.identify import looks_like_teams
from .grading.feedback import join_index, write_feedback
from .grading.gradescope import write_gradescope
from .grading.learners import write_learners
from .grading.moodle import write_moodle
from .grading.packages import forbidden_within_reach
from .grading.pipeline import DEFAULT_SOLUTIONS, CanaryFailed, Grading, class_answers, finish
from .grading.progress import Progress
from .grading.report import Gradebook, summary
from .grading.shards import merge, write_record
from .grading.roster import parse_shard
from .grading.sandbox import NO_SANDBOX, UID, Limits, exposed, sandbox_kind
from .grading.similarity import answer_prints, write_similarity
from .grading.solutions import SolutionBook
from .notebook import notebook_files

__all__ = ["main", "PROG", "EXIT_CANARY"]

PROG = "convlib-grade"  # also python -m convlib.grade
EXIT_CANARY = 3  # the canary failed: no one was graded


def _bytes(text):
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a size like 2G or 512M, not {text!r}")
    return int(float(match.group(1)) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2).lower()])


def _exercise(text):
    try:
        return parse_column(f"{text}=-")[0]
    except ValueError:
        raise argparse.ArgumentTypeError(f"an exercise number (1) or notebook name ({next(iter(MODULES))}), "
                                         f"not {text!r}") from None


def _column(text):
    try:
        return parse_column(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _canvas_columns(parser, args, titles):
    """``args.canvas_columns``: ``{exercise: column}`` from --canvas-from and --canvas-column, or None."""
    columns = None
    if args.canvas_from:
        try:
            columns = read_export(args.canvas_from, list(MODULES), titles)
        except (OSError, ValueError) as err:
            parser.error(f"--canvas-from: {err}")
    if args.canvas_column:
        columns = {**(columns or {}), **dict(args.canvas_column)}
    args.canvas_columns = columns


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


def _parser(command, description):
    parser = argparse.ArgumentParser(prog=f"{PROG} {command}".strip(), description=description)
    parser.add_argument("--version", action="version", version=f"%(prog)s (convlib {__version__})")
    return parser


def _lms_options(parser):
    parser.add_argument("--by-learner", metavar="FILE",
                        help="also write one row per learner, one column per exercise graded, Total and Possible")
    parser.add_argument("--canvas", metavar="FILE", help="also write Canvas's gradebook import file (Grades > Import)")
    parser.add_argument("--canvas-from", metavar="EXPORT",
                        help="Canvas's gradebook export (Grades > Export): --canvas fills its assignments' columns, "
                             "each exercise's found by its number or title")
    parser.add_argument("--canvas-column", metavar="N=TITLE", action="append", type=_column, default=[],
                        help="the Canvas column of exercise N, as the export names it: 1=\"Exercise 1 (12345)\" "
                             "(repeat for each; wins over --canvas-from)")
    parser.add_argument("--moodle", metavar="DIR",
                        help="also write one Moodle grading worksheet per exercise into DIR (the assignment's "
                             "Upload grading worksheet)")


def _write_lms(args, rows):
    """The per-learner files the options ask for, from gradebook ``rows``."""
    if args.by_learner:
        lines = write_learners(args.by_learner, rows)
        print(f"per learner ({len(lines)}): {args.by_learner}")
    if args.canvas:
        count, warnings = write_canvas(args.canvas, rows, args.canvas_columns)
        print(f"canvas ({count} learners): {args.canvas}")
        for warning in warnings:
            print(f"canvas: {warning}", file=sys.stderr)
    if args.moodle:
        written, warnings = write_moodle(args.moodle, rows, pages=bool(args.feedback))
        print(f"moodle worksheets ({len(written)}): " + ", ".join(str(p) for p in written.values()))
        for warning in warnings:
            print(f"moodle: {warning}", file=sys.stderr)


def _grade_parser():
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
    parser.add_argument("--moodle-teams", action="store_true",
                        help="the download is of a Moodle assignment with team submissions: each folder names a "
                             "group (Group A_42_assignsubmission_file/), graded once for the team")
    parser.add_argument("--shard", type=_shard, metavar="K/N",
                        help="grade only the K-th of N shares of the files (the same share on every machine); "
                             f"writes OUT.shard.json beside the gradebook for '{PROG} merge'")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one cell may run (default 60)")
    parser.add_argument("--memory", type=_bytes, default=Limits.memory,
                        help="memory of the whole sandbox, all its processes together (per process where no "
                             "control group can be made; default 2G)")
    parser.add_argument("--solutions", default=str(DEFAULT_SOLUTIONS), help="folder of solution notebooks")
    parser.epilog = ("Before anyone is graded, each exercise's shipped solution and untouched handout are graded "
                     "in the same sandboxes (the canary); exit status 3 when they do not score full marks and zero: "
                     "no one is graded, and stderr says why.")
    return parser


def _sandbox_note(found, solutions):
    """Which sandbox this machine gives, printed before grading; the line the summary ends with."""
    kind, reason = sandbox_kind()
    note = f"sandbox: {kind}"
    if kind == NO_SANDBOX:
        note = (f"WARNING: NO SANDBOX: {reason}. The learners' code ran with your rights, under resource "
                "limits only; every row says sandbox=none. Grade an untrusted class on a Linux machine with bubblewrap.")
    elif kind == UID:
        note = _uid_warnings(reason, [p for p in found if is_regular(p)], Path(solutions))
    if kind in (NO_SANDBOX, UID):
        print(note, file=sys.stderr, flush=True)
    return kind, note


def _grade_class(args, kind, limits):
    """The run: canary, then the class, rows written as they come; the results, or None if the canary failed."""
    progress = None
    try:
        with Grading(args.submissions, args.solutions, jobs=args.jobs, limits=limits, kind=kind,
                     shard=args.shard, teams=args.moodle_teams) as run:
            progress = Progress(len(run.entries))
            if not args.moodle_teams and looks_like_teams(e.relative for e in run.entries):
                print("WARNING: this looks like a Moodle download of team submissions (a folder of Moodle's default "
                      "team): its folders name groups, whose numbers are not participants'; grade it with "
                      "--moodle-teams", file=sys.stderr, flush=True)
            checked = run.canary()
            print(checked, file=sys.stderr, flush=True)
            book = Gradebook(args.out)  # only now: a failed canary leaves an earlier gradebook as it was
            results, pairs = [], []
            try:
                results = run.grade(progress, book)
                if args.shard[1] == 1:  # the whole class: its answers compared here
                    pairs = finish(results, run.solutions)
            finally:
                progress.close()
                book.close(results or None)
            if args.shard != (1, 1) or args.shard_given:  # a shard: what the merge compares across the class
                write_record(args.out, args.shard, len(results), answer_prints(class_answers(results)))
            return results, pairs, checked, run.solutions.titles()
    except CanaryFailed as err:
        if progress is not None:
            progress.close()
        print(f"{PROG}: stopped before grading anyone: {err}", file=sys.stderr)
        return None


def _grade_main(argv):
    parser = _grade_parser()
    args = parser.parse_args(argv)
    args.shard_given, args.shard = args.shard is not None, args.shard or (1, 1)
    # every Python this run starts (the answers' reader, as this user) keeps the working folder off its
    # path: started inside a folder someone handed in, a convlib/ there is never imported
    os.environ["PYTHONSAFEPATH"] = "1"
    found = [file for file, _root in notebook_files(args.submissions, "*") if not file.is_dir()]  # all handed in
    inputs = {Path(os.path.realpath(p)) for p in found}  # realpath: a link to itself or a loop never raises
    _refuse_notebook_outputs(parser, inputs, out=args.out, by_learner=args.by_learner, gradescope=args.gradescope,
                             canvas=args.canvas, similarity=args.similarity)
    if not inputs:
        parser.error("nothing handed in found in " + " ".join(args.submissions))
    if not Path(args.solutions).is_dir():
        parser.error(f"no solutions folder at {args.solutions}")
    _canvas_columns(parser, args, SolutionBook(args.solutions).titles())
    kind, note = _sandbox_note(found, args.solutions)
    limits = Limits.from_options(memory=args.memory, timeout=args.timeout)
    graded = _grade_class(args, kind, limits)
    if graded is None:
        return EXIT_CANARY
    results, pairs, checked, titles = graded
    print(summary(results, f"{note}\n{checked}"))
    print(f"\ngradebook: {args.out}")
    _write_outputs(args, results, pairs, titles)
    return 0


def _write_outputs(args, results, pairs, titles):
    """The files the options ask for, beside the gradebook."""
    if args.similarity:
        write_similarity(args.similarity, pairs)
        print(f"similar answers ({len(pairs)} pairs, for a person to look at; nothing deducted): {args.similarity}")
    _write_lms(args, [r.record() for r in results])
    if args.feedback:
        pages = write_feedback(args.feedback, results, titles, args.shard)
        unnamed = sum(not r.learner for r in results)
        index = (f"index: {Path(args.feedback) / 'index.html'}" if args.shard[1] == 1 else
                 f"this shard's part of the index; '{PROG} merge --feedback {args.feedback}' joins them")
        print(f"feedback pages ({len(pages)}): {args.feedback}"
              + (f"; {unnamed} file(s) name no learner and have no page" if unnamed else "") + f"; {index}")
    if args.gradescope:
        data = write_gradescope(args.gradescope, results)
        print(f"gradescope: {args.gradescope} ({data['score']} points)")


def _merge_parser():
    parser = _parser("merge", "Join the gradebooks that shards (--shard K/N) wrote into one, in file order, "
                              "as one run would have written it: refused when a shard is missing or given twice.")
    parser.add_argument("parts", nargs="+", help="the shards' gradebook CSVs (each with its .shard.json beside it)")
    parser.add_argument("--out", default="grades.csv", help="the joined gradebook (default grades.csv)")
    parser.add_argument("--partial", action="store_true",
                        help="join the parts given even when shards are missing (answers compared only among them)")
    parser.add_argument("--feedback", metavar="DIR",
                        help="also join the index parts the shards wrote into DIR into index.csv / index.html")
    parser.add_argument("--similarity", metavar="FILE", help="also list pairs of answers alike across the whole class")
    parser.add_argument("--solutions", default=str(DEFAULT_SOLUTIONS), help="folder of solution notebooks")
    _lms_options(parser)
    return parser


def _merge_main(argv):
    parser = _merge_parser()
    args = parser.parse_args(argv)
    _refuse_notebook_outputs(parser, set(), out=args.out, by_learner=args.by_learner, canvas=args.canvas,
                             similarity=args.similarity)
    if Path(args.out).resolve() in {Path(p).resolve() for p in args.parts}:
        parser.error(f"--out {args.out} is one of the parts; give a new path")
    _canvas_columns(parser, args, SolutionBook(args.solutions).titles())
    try:
        rows, pairs = merge(args.parts, args.out, SolutionBook(args.solutions), partial=args.partial)
        pages = join_index(args.feedback, partial=args.partial) if args.feedback else None
    except (OSError, ValueError) as err:
        parser.error(str(err))
    print(f"gradebook: {args.out} ({len(rows)} rows from {len(args.parts)} parts)")
    if args.similarity:
        write_similarity(args.similarity, pairs)
        print(f"similar answers ({len(pairs)} pairs, for a person to look at; nothing deducted): {args.similarity}")
    if pages is not None:
        print(f"feedback index ({pages} pages): {Path(args.feedback) / 'index.html'}")
    _write_lms(args, rows)
    return 0


def _autograder_main(argv):
    from .grading.autograder import write_autograder

    parser = _parser("gradescope-autograder",
                     "Write the autograder zip Gradescope takes as it is (Configure Autograder: upload it): "
                     "setup.sh and run_autograder at its root, the course installable from where setup.sh "
                     "installs it; each upload is graded as one learner and always gets a results.json.")
    parser.add_argument("--exercise", required=True, type=_exercise, metavar="N",
                        help="the exercise this assignment grades: its number (1) or notebook name "
                             "(01_image_and_kernel); only its notebooks count, its questions are the tests")
    parser.add_argument("--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    args = parser.parse_args(argv)
    try:
        names = write_autograder(args.out, args.exercise)
    except OSError as err:
        parser.error(str(err))
    print(f"autograder: {args.out} ({len(names)} files), grading {args.exercise} only")
    return 0


def main(argv=None):
    """``convlib-grade SUBMISSIONS...``, ``convlib-grade merge PARTS...`` or
    ``convlib-grade gradescope-autograder --exercise 1 --out autograder.zip``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["merge"]:
        return _merge_main(argv[1:])
    if argv[:1] == ["gradescope-autograder"]:
        return _autograder_main(argv[1:])
    return _grade_main(argv)


if __name__ == "__main__":
    sys.exit(main())
