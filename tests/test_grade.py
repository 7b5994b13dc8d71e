"""Grading: an honest class graded exactly, and a class of attackers that earn nothing.

One grading run (``--jobs 2``, in bubblewrap sandboxes) over a folder of crafted submissions of
exercise 1; every attack the grader is meant to stop is one file here.
"""

import csv
import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from convlib.grading.status import Status
from convlib import grade
from convlib.grading import pipeline
from convlib.grading.identify import cell_role
from convlib.grading.sandbox import BWRAP_USERNS, FIRST_UID, NO_SANDBOX, UID_COUNT
from convlib.grading.text import shown
from convlib.grading.uids import LOCK_FOLDERS

from gradingkit import EX1, GRADE, KIND, ROOT, WHY, course_notebook as _read, needs_sandbox


def _cells(nb, role, name=None):
    return [c for c in nb.cells if cell_role(c)[0] == role and (name is None or cell_role(c)[1] == name)]


def _answer(nb, name, source):
    _cells(nb, "answer", name)[0].source = source


def _solution_source(name, exercise=EX1):
    return _cells(_read("solutions", exercise), "answer", name)[0].source


RIGHT_WINDOW = _solution_source("window_sum")
WRONG_WINDOW = "def window_sum(image, kernel, row, col):\n    return 0\n"
LATIN1_NAME = os.fsdecode(b"ren\xe9e_01_image_and_kernel.ipynb")  # what unzip makes of a Latin-1 zip
ESCAPE_NAME = "evil\x1b[2J\x1b]0;pwned\x07_01_image_and_kernel.ipynb"
DETACHED = f"detached-{os.getpid()}"  # in the command line of the process detached.ipynb leaves behind


def _if_it_worked(attack):
    """An answer that is right only if ``attack`` (code that sets ``worked``) got through the sandbox."""
    right = "\n".join("    " + line for line in RIGHT_WINDOW.splitlines())
    return f"worked = False\n{attack}\n{WRONG_WINDOW}if worked:\n{right}\n"


def _with(answer_source, name="window_sum", base="exercises"):
    nb = _read(base)
    _answer(nb, name, answer_source)
    return nb


def _class(folder, gradebook):
    """{file name: notebook} of the class: honest learners and attackers."""
    subs = {}
    # ---------------------------------------------------------------- honest work
    subs["alice.ipynb"] = _read("solutions")
    subs["untouched.ipynb"] = _read("exercises")
    nb = _read("exercises")
    _answer(nb, "feature_map_shape", _solution_source("feature_map_shape"))
    subs["partial.ipynb"] = nb
    debug = RIGHT_WINDOW.replace("    ### BEGIN SOLUTION\n",
                                 "    ### BEGIN SOLUTION\n    print('debug: row', row, 'col', col)\n"
                                 "    import warnings; warnings.warn('a leftover warning')\n")
    subs["debug_prints.ipynb"] = _with(debug, base="solutions")
    nb = _read("solutions")  # metadata lost (copied into a new notebook): matched by file and def names
    nb.metadata.pop("convlib")
    for cell in nb.cells:
        cell.metadata.pop("convlib", None)
        cell.id = f"x{abs(hash(cell.source)) % 10**8}"
    subs[f"bob_{EX1}.ipynb"] = nb
    # ---------------------------------------------------------------- the notebook as data
    nb = _read("exercises")
    for mine, theirs in zip(_cells(nb, "check"), _cells(_read("solutions"), "check")):
        mine.outputs, mine.execution_count = theirs.outputs, theirs.execution_count
    subs["edited_outputs.ipynb"] = nb
    nb = _read("exercises")
    for cell in _cells(nb, "check"):
        cell.source = 'print("✅ Correct: window_sum passes all 6 checks.")'
    subs["edited_checks.ipynb"] = nb
    nb = _read("exercises")
    for cell in nb.cells:
        cell.metadata["tags"] = cell.metadata.get("tags", []) + ["raises-exception", "nbval-skip"]
    subs["tags.ipynb"] = nb
    subs["hard_coded.ipynb"] = _with("def window_sum(image, kernel, row, col):\n    return 4")
    # ---------------------------------------------------------------- tampering in the kernel
    subs["patched_check.ipynb"] = _with(WRONG_WINDOW + "ex.q1.check = lambda *a: print('✅ Correct: window_sum passes all 6 checks.')")
    subs["patched_numpy.ipynb"] = _with(WRONG_WINDOW + "np.allclose = np.isclose = np.array_equal = lambda *a, **k: True")
    subs["patched_print.ipynb"] = _with(WRONG_WINDOW + "import builtins\nbuiltins.print = lambda *a, **k: None")
    subs["forged_record.ipynb"] = _with(
        WRONG_WINDOW + "import json, os\nos.makedirs('/grading/out/answers', exist_ok=True)\n"
        "open('/grading/out/answers/window_sum.json', 'w').write(json.dumps([{'kind': 'value', 'value': 4}] * 6))\n"
        "ex.q1.check = lambda *a: None")
    subs["input_transformer.ipynb"] = _with(
        WRONG_WINDOW + "get_ipython().input_transformers_post.append("
        "lambda lines: ['ex.q1.check(lambda *a: 4)\\n'] if lines and 'check' in lines[0] else lines)")
    # ---------------------------------------------------------------- the answer key
    subs["imports_reference.ipynb"] = _with(
        "from convlib.exercises.image_and_kernel import window_sum as reference\n"
        "def window_sum(image, kernel, row, col):\n    return reference(image, kernel, row, col)")
    subs["uses_q_reference.ipynb"] = _with(
        "def window_sum(image, kernel, row, col):\n    return ex.q1.reference(image, kernel, row, col)")
    solution_path = ROOT / "solutions" / f"{EX1}.ipynb"
    subs["reads_solutions.ipynb"] = _with(
        f"import json\nsource = [c for c in json.load(open({str(solution_path)!r}))['cells'] if 'def window_sum' in ''.join(c['source'])]\n"
        "exec(''.join(source[0]['source']))")
    subs["forbidden_conv2d.ipynb"] = _with(
        "from convlib import conv2d\ndef feature_map(image, kernel):\n    return conv2d(image, kernel)", name="feature_map")
    subs["hidden_conv2d.ipynb"] = _with(
        "def feature_map(image, kernel):\n    c = getattr(__import__('convlib'), 'conv' + '2d')\n    return c(image, kernel)",
        name="feature_map")
    # ---------------------------------------------------------------- other learners, the grader
    subs["reads_classmates.ipynb"] = _with(
        f"import json\nnb = json.load(open({str(folder / 'alice.ipynb')!r}))\n"
        "exec(''.join(c['source'] if isinstance(c['source'], str) else ''.join(c['source']) for c in nb['cells'] if 'def window_sum' in str(c['source'])))")
    subs["overwrites_classmates.ipynb"] = _with(
        WRONG_WINDOW + f"for name in {sorted(['alice.ipynb', 'partial.ipynb'])!r}:\n"
        f"    try:\n        open({str(folder)!r} + '/' + name, 'w').write('{{}}')\n    except OSError:\n        pass\n"
        f"try:\n    open({str(ROOT / 'convlib' / '__init__.py')!r}, 'a').write('\\nraise SystemExit')\nexcept OSError:\n    pass")
    subs["kills_everything.ipynb"] = _with(
        WRONG_WINDOW + "import os, signal\nfor pid in range(2, 4000):\n    try:\n        os.kill(pid, signal.SIGKILL) if pid != os.getpid() else None\n"
        "    except OSError:\n        pass")
    subs["fake_report.ipynb"] = _with(
        WRONG_WINDOW + "open('/grading/out/junit.xml', 'w').write('<testsuite tests=\"9\" failures=\"0\"/>')\n"
        "import os\nos.kill(os.getppid(), 9)")
    subs["detached.ipynb"] = _with(
        WRONG_WINDOW + "import subprocess\nsubprocess.Popen(['sh', '-c', "
        f"'(sleep 2; echo hacked > {gradebook}; echo hacked > /tmp/x; sleep 60; : {DETACHED}) &'], start_new_session=True)")
    # ---------------------------------------------------------------- resources, dead kernels
    subs["memory.ipynb"] = _with(_if_it_worked("big = bytearray(3 * 2**30)\nworked = True"))
    subs["flood.ipynb"] = _with(RIGHT_WINDOW.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION\n", "")
                                + "\nprint('x' * 60_000_000)\n", base="solutions")
    subs["kills_kernel.ipynb"] = _with("import os\nos._exit(3)")
    nb = _read("solutions")
    _answer(nb, "window_sum", "while True:\n    pass")
    subs["endless_cell.ipynb"] = nb
    subs["endless_function.ipynb"] = _with("def feature_map(image, kernel):\n    while True:\n        pass", name="feature_map")
    # ---------------------------------------------------------------- the edges: whole sandboxes, what comes back
    subs["children_memory.ipynb"] = _with(_if_it_worked(
        "import os, time\npids = []\nfor i in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
        "        block = bytearray(1500 * 2**20)\n        time.sleep(4)\n        os._exit(0)\n    pids.append(pid)\n"
        "worked = all(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids)"))
    subs["nested_userns.ipynb"] = _with(_if_it_worked(
        "import subprocess\nrun = subprocess.run(['unshare', '-Urm', 'sh', '-c', "
        "'mount -t tmpfs -o size=8g none /tmp && echo MOUNTED'], capture_output=True, text=True)\n"
        "worked = 'MOUNTED' in run.stdout"))
    subs["keyring.ipynb"] = _with(_if_it_worked(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "worked = libc.syscall(248, b'user', b'answers', b'4', 1, ctypes.c_long(-4)) != -1"))  # add_key, user keyring
    subs["spoofed_status.ipynb"] = _with(
        "def window_sum(image, kernel, row, col):\n    raise RuntimeError('Kernel died')\n"
        "def feature_map(image, kernel):\n    return 'MemoryError'\n"
        "print('MemoryError Kernel died DeadKernelError Timeout of 8 seconds')")
    subs["text_flood.ipynb"] = _with("def window_sum(image, kernel, row, col):\n"
                                     "    return ['mounts, environment, host files ' * 70] * 200")
    subs["overflow_and_hidden.ipynb"] = _with(
        "import numpy as np\nclass Big(np.ndarray):\n    def tolist(self):\n        return [10**30]\n"
        "def window_sum(image, kernel, row, col):\n    return np.zeros(1, dtype=np.int8).view(Big)\n"
        "def feature_map(image, kernel):\n    c = getattr(__import__('convlib'), 'conv' + '2d')\n    return c(image, kernel)")
    subs["attrgetter_conv2d.ipynb"] = _with(
        "import operator, convlib\ndef feature_map(image, kernel):\n"
        "    return operator.attrgetter('conv' + '2d')(convlib)(image, kernel)", name="feature_map")
    subs["locate_conv2d.ipynb"] = _with(
        "import pydoc\ndef feature_map(image, kernel):\n    return pydoc.locate('convlib.conv' + '2d')(image, kernel)",
        name="feature_map")
    subs["reduce_conv2d.ipynb"] = _with(
        "import functools, convlib.conv\ndef feature_map(image, kernel):\n"
        "    return functools.reduce(getattr, ['conv', 'conv' + '2d_loop'], convlib)(image, kernel)", name="feature_map")
    subs["huge_cell.ipynb"] = _with(RIGHT_WINDOW + "\n" + "# padding\n" * 40_000)

    for name, nb in subs.items():
        nbformat.write(nb, folder / name)
    # ---------------------------------------------------------------- files that are not notebooks
    (folder / "broken.ipynb").write_text('{"cells": [ this is not json')
    (folder / "latin1.ipynb").write_bytes(b"\xff\xfe\x00not utf-8")
    (folder / "not_a_notebook_01_image_and_kernel.ipynb").write_text('{"cells": {"a": 1}}')
    weird = json.loads(nbformat.writes(_read("solutions")))
    for cell in weird["cells"]:
        answer = cell["metadata"].get("convlib", {}).get("answer")
        if answer == "window_sum":
            cell["metadata"]["convlib"] = ["answer", "window_sum"]
        elif answer == "feature_map_shape":
            cell["source"] = 42
    (folder / "weird_metadata.ipynb").write_text(json.dumps(weird))
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), folder / "holiday_photos.ipynb")
    # ---------------------------------------------------------------- what unzip and downloads make
    os.symlink(ROOT / "solutions" / f"{EX1}.ipynb", folder / f"linker_{EX1}.ipynb")
    os.mkfifo(folder / f"fifo_{EX1}.ipynb")
    nbformat.write(_read("solutions"), folder / LATIN1_NAME)
    nbformat.write(_read("solutions"), folder / ESCAPE_NAME)


def _detached_alive():
    """Whether the process that detached.ipynb started still runs anywhere on this host."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if DETACHED.encode() in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


def _uids_alive():
    """Sandbox uids that still have a process, leaving out those a live sandbox holds right now
    (its lock taken: another grading run on this host, another worktree's tests)."""
    alive = {uid for uid, text in _sandbox_processes() if "\nState:\tZ" not in text}
    return {uid for uid in alive if not _leased(uid)} - OTHER_RUNS


def _sandbox_processes():
    """``(uid, /proc status text)`` of every process of a sandbox uid on this host."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        uid = int(text.split("\nUid:")[1].split()[0])
        if FIRST_UID <= uid < FIRST_UID + UID_COUNT:
            yield uid, text


def _leased(uid):
    for folder in LOCK_FOLDERS:
        try:
            fd = os.open(folder / str(uid), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
    return False


OTHER_RUNS = set()
OTHER_RUNS |= _uids_alive()  # before any test here: graders elsewhere on this host (fixed uids of older versions)


def _hashes(folder):
    """{shown name: sha256 of a regular file, or what the entry is}; never opens a FIFO or follows a link."""
    found = {}
    for p in folder.iterdir():
        mode = p.lstat().st_mode
        found[shown(p.name)] = hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(mode) else oct(mode)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = folder.parent / "gradebook.csv"
    _class(folder, out)
    package = {p.name: p.read_bytes() for p in (ROOT / "convlib").rglob("*.py")}
    before = _hashes(folder)
    command = [sys.executable, "-m", "convlib.grade", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "8",
               "--by-learner", str(folder.parent / "learners.csv"), "--feedback", str(folder.parent / "feedback")]
    env = dict(os.environ, CONVLIB_CHECK_TIME_LIMIT="2")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    rows = {Path(r["submission"]).name: r for r in csv.DictReader(text.splitlines())}
    after = _hashes(folder)
    package_after = {p.name: p.read_bytes() for p in (ROOT / "convlib").rglob("*.py")}
    return {"rows": rows, "before": before, "after": after, "done": done, "text": text,
            "package": (package, package_after), "folder": folder,
            "learners": (folder.parent / "learners.csv").read_text(encoding="utf-8"),
            "pages": [p.read_text(encoding="utf-8") for p in (folder.parent / "feedback").iterdir()]}



@needs_sandbox
def test_every_file_has_a_row_and_submissions_are_untouched(graded):
    assert set(graded["rows"]) == set(graded["before"])
    assert graded["before"] == graded["after"]
    assert graded["package"][0] == graded["package"][1]


@needs_sandbox
def test_the_sandbox_is_named_on_every_row_and_nothing_outlives_it(graded):
    assert KIND != NO_SANDBOX, WHY
    assert {r["sandbox"] for r in graded["rows"].values()} == {KIND}
    assert f"sandbox: {KIND}" in graded["done"].stdout
    assert "canary: the shipped solutions scored full marks (01_image_and_kernel 3/3)" in graded["done"].stderr
    assert not _uids_alive()
    # detached.ipynb's process sleeps a minute after its writes: gone now, or it outlived its sandbox
    _wait_for(lambda: not _detached_alive(), timeout=10)


def _flags(row):
    """The review notes other than similarity's (the class hands in the shipped solution more than once)."""
    return [note for note in row["review"].split("; ") if note and "names and comments set aside" not in note]


@pytest.mark.parametrize("name, marks", [
    ("alice.ipynb", ("1", "1", "1")),
    ("untouched.ipynb", ("0", "0", "0")),
    ("partial.ipynb", ("0", "0", "1")),
    ("debug_prints.ipynb", ("1", "1", "1")),
    (f"bob_{EX1}.ipynb", ("1", "1", "1")),
])
@needs_sandbox
def test_honest_rows_are_exact(graded, name, marks):
    row = graded["rows"][name]
    assert (row["window_sum"], row["feature_map"], row["feature_map_shape"]) == marks, row
    assert row["status"] == "graded" and row["exercise"] == EX1 and not _flags(row)
    assert row["passed"] == str(marks.count("1")) and row["total"] == "3"


@needs_sandbox
def test_each_lost_point_says_why(graded):
    row = graded["rows"]["partial.ipynb"]
    assert row["detail"].count("not attempted yet") == 2
    row = graded["rows"]["hard_coded.ipynb"]
    assert "window_sum" in row["detail"] and "an input you have not seen" in row["detail"]
    assert "np.array(" in row["detail"]  # the failing input, small enough to retype


@pytest.mark.parametrize("name", [
    "edited_outputs.ipynb", "edited_checks.ipynb", "tags.ipynb", "hard_coded.ipynb", "patched_check.ipynb",
    "patched_numpy.ipynb", "patched_print.ipynb", "forged_record.ipynb", "input_transformer.ipynb",
    "imports_reference.ipynb", "uses_q_reference.ipynb", "reads_solutions.ipynb", "reads_classmates.ipynb",
    "overwrites_classmates.ipynb", "kills_everything.ipynb", "fake_report.ipynb", "detached.ipynb", "memory.ipynb",
    "kills_kernel.ipynb", "children_memory.ipynb", "nested_userns.ipynb", "keyring.ipynb", "spoofed_status.ipynb",
    "text_flood.ipynb", "overflow_and_hidden.ipynb", "huge_cell.ipynb", f"linker_{EX1}.ipynb", f"fifo_{EX1}.ipynb",
])
@needs_sandbox
def test_attacks_earn_nothing(graded, name):
    row = graded["rows"][name]
    assert row["window_sum"] in ("0", "") and row["passed"] == "0", row  # "": not even graded


@needs_sandbox
def test_hidden_calls_are_flagged_and_forbidden_calls_score_nothing(graded):
    row = graded["rows"]["forbidden_conv2d.ipynb"]
    assert row["feature_map"] == "0" and "conv2d" in row["detail"]
    row = graded["rows"]["hidden_conv2d.ipynb"]
    assert "calls getattr" in row["review"] and "__import__" in row["review"]
    for name in ("patched_print.ipynb", "input_transformer.ipynb", "reads_solutions.ipynb", "kills_everything.ipynb"):
        assert _flags(graded["rows"][name]), name


@needs_sandbox
def test_resources_and_dead_kernels_have_a_status(graded):
    rows = graded["rows"]
    assert rows["memory.ipynb"]["status"] == Status.OUT_OF_MEMORY
    assert rows["kills_kernel.ipynb"]["status"] == Status.KERNEL_DIED
    assert rows["kills_kernel.ipynb"]["detail"].startswith("cause: the learner's code: the kernel died in cell 1, "
                                                           "the answer window_sum")
    flood = rows["flood.ipynb"]
    assert flood["window_sum"] == "1", flood  # printing never costs a point
    assert rows["endless_cell.ipynb"]["window_sum"] == "0"
    assert "ran out of time" in rows["endless_cell.ipynb"]["detail"]
    assert rows["endless_function.ipynb"]["feature_map"] == "0"
    assert "was stopped" in rows["endless_function.ipynb"]["detail"]


@needs_sandbox
def test_malformed_files_cost_only_their_own_row(graded):
    rows = graded["rows"]
    for name in ("broken.ipynb", "latin1.ipynb", "not_a_notebook_01_image_and_kernel.ipynb"):
        assert rows[name]["status"] == Status.NOT_NOTEBOOK, rows[name]
    assert rows["holiday_photos.ipynb"]["status"] == Status.UNKNOWN_EXERCISE
    weird = rows["weird_metadata.ipynb"]
    assert weird["status"] == "graded" and weird["feature_map"] == "1"


@needs_sandbox
def test_links_fifos_and_names_that_are_not_utf8_or_move_the_cursor(graded):
    rows = graded["rows"]
    link = rows[f"linker_{EX1}.ipynb"]
    assert link["status"] == Status.NOT_A_FILE and "symbolic link" in link["detail"], link
    fifo = rows[f"fifo_{EX1}.ipynb"]
    assert fifo["status"] == Status.NOT_A_FILE and "FIFO" in fifo["detail"], fifo
    latin = rows[shown(LATIN1_NAME)]
    assert (latin["passed"], latin["learner"]) == ("3", "ren\\xe9e"), latin
    assert rows[shown(ESCAPE_NAME)]["passed"] == "3"
    done = graded["done"]
    for text in (graded["text"], done.stdout, done.stderr, graded["learners"], *graded["pages"]):
        assert "\x1b" not in text and "\x07" not in text and "\udce9" not in text
    assert "ren\\xe9e" in graded["learners"]


@needs_sandbox
def test_status_is_what_the_grader_saw_never_what_the_learner_printed(graded):
    rows = graded["rows"]
    assert rows["spoofed_status.ipynb"]["status"] == "graded"
    assert rows["children_memory.ipynb"]["status"] == Status.OUT_OF_MEMORY  # memory counted for the sandbox as a whole
    assert "all processes together" in rows["children_memory.ipynb"]["detail"]


@needs_sandbox
def test_one_answer_cannot_break_the_run_nor_erase_its_flags(graded):
    rows = graded["rows"]
    flood = rows["text_flood.ipynb"]
    assert flood["window_sum"] == "0" and len(flood["detail"]) < 4 * 2500, len(flood["detail"])
    hidden = rows["overflow_and_hidden.ipynb"]
    assert hidden["status"] == "graded" and "not plain data" in hidden["detail"], hidden
    assert "calls getattr" in hidden["review"] and hidden["feature_map"] == "0"


@pytest.mark.parametrize("name, flag", [
    ("attrgetter_conv2d.ipynb", "attrgetter"), ("locate_conv2d.ipynb", "locate"), ("reduce_conv2d.ipynb", "uses getattr"),
    ("hidden_conv2d.ipynb", "calls getattr"),
])
@needs_sandbox
def test_no_spelling_reaches_conv2d_where_it_is_forbidden(graded, name, flag):
    row = graded["rows"][name]
    assert row["feature_map"] == "0" and flag in row["review"], row


@needs_sandbox
def test_a_huge_answer_cell_is_refused_before_it_is_read(graded):
    row = graded["rows"]["huge_cell.ipynb"]
    assert (row["status"], row["passed"]) == (Status.ANSWER_TOO_LARGE, "0"), row


@needs_sandbox
def test_summary_and_progress(graded):
    done = graded["done"]
    assert "solved by:" in done.stdout and "flagged for review" in done.stdout
    total = len(graded["rows"])
    assert f"[{total}/{total}]" in done.stderr


@needs_sandbox
def test_all_solutions_full_marks_all_exercises_zero():
    results = pipeline.grade([ROOT / "solutions", ROOT / "exercises"], jobs=2)
    by_folder = {}
    for r in results:
        assert r.status == "graded" and not r.review, r
        by_folder.setdefault(Path(r.submission).parent.name, []).append((r.passed, r.total))
    assert all(p == t >= 3 for p, t in by_folder["solutions"])
    assert all(p == 0 and t >= 3 for p, t in by_folder["exercises"])
    assert len(by_folder["solutions"]) == len(by_folder["exercises"]) == len(pipeline.MODULES)


def _solutions_with(tmp_path, name, source):
    """A copy of the solutions folder whose exercise 1 answer ``name`` is ``source``."""
    folder = tmp_path / "solutions"
    shutil.copytree(ROOT / "solutions", folder)
    nb = _read("solutions")
    _answer(nb, name, source)
    nbformat.write(nb, folder / f"{EX1}.ipynb")
    return folder


@needs_sandbox
def test_a_failed_canary_grades_no_one_and_says_why(tmp_path):
    """The shipped solution that is not full marks, a limit too tight: the run stops before any learner.
    (Exercise 1 needs between 55 and 60 MB of sandbox on this course's machines: 30 MB is too little.)"""
    nbformat.write(_read("solutions"), tmp_path / f"alice_{EX1}.ipynb")
    out = tmp_path / "grades.csv"
    out.write_text("an earlier gradebook\n")
    wrong = _solutions_with(tmp_path, "window_sum", WRONG_WINDOW)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:  # the two runs side by side
        runs = [pool.submit(subprocess.run, [*GRADE, str(tmp_path / f"alice_{EX1}.ipynb"), *options, "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
                for options in (["--solutions", str(wrong)], ["--memory", "30M"])]
        done, tight = (run.result() for run in runs)
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"stopped before grading anyone" in done.stderr and \
        f"{EX1}: the shipped solution scored 1/3 (expected 3/3, status graded)" in done.stderr, done.stderr[-2000:]
    assert "window_sum" in done.stderr  # what differs, as the judge says it
    assert out.read_text() == "an earlier gradebook\n" and "[1/1]" not in done.stderr
    done = tight
    assert done.returncode == 3 and "status out of memory" in done.stderr and "give a larger --memory" in done.stderr
    assert out.read_text() == "an earlier gradebook\n"


@needs_sandbox
def test_a_handout_that_scores_stops_the_run(tmp_path):
    """An answer left outside its solution markers stays in the handout: the judge would give points for nothing."""
    unmarked = _solution_source("feature_map_shape").replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", "")
    nbformat.write(_read("solutions"), tmp_path / f"alice_{EX1}.ipynb")
    with pytest.raises(pipeline.CanaryFailed, match=f"{EX1}: the untouched handout scored 1/3 \\(expected 0/3"):
        pipeline.grade([tmp_path / f"alice_{EX1}.ipynb"], _solutions_with(tmp_path, "feature_map_shape", unmarked))


@pytest.mark.sandbox
def test_without_a_sandbox_it_says_so_on_every_row(tmp_path):
    results = pipeline.grade([ROOT / "solutions" / f"{EX1}.ipynb"], jobs=1, kind=NO_SANDBOX)
    assert [(r.passed, r.total, r.sandbox) for r in results] == [(3, 3, NO_SANDBOX)]


@needs_sandbox
def test_the_user_namespace_sandbox_grades_and_hides_the_key(tmp_path):
    """What an instructor who is not root gets: bubblewrap through a user namespace."""
    nbformat.write(_read("solutions"), tmp_path / "alice.ipynb")
    solution_path = ROOT / "solutions" / f"{EX1}.ipynb"
    nbformat.write(_with(f"import json\nsource = [c for c in json.load(open({str(solution_path)!r}))['cells'] "
                         "if 'def window_sum' in ''.join(c['source'])]\nexec(''.join(source[0]['source']))"),
                   tmp_path / "mallory.ipynb")
    results = {Path(r.submission).name: r for r in pipeline.grade([tmp_path], jobs=2, kind=BWRAP_USERNS)}
    assert (results["alice.ipynb"].passed, results["alice.ipynb"].sandbox) == (3, BWRAP_USERNS)
    assert results["mallory.ipynb"].questions["window_sum"] is False


@needs_sandbox
def test_a_killed_grader_leaves_a_valid_partial_gradebook(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(6):
        nbformat.write(_read("solutions"), folder / f"learner{i}.ipynb")
    out = tmp_path / "grades.csv"
    process = subprocess.Popen([sys.executable, "-m", "convlib.grade", str(folder), "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("[2/6]"):
            process.kill()
            break
    process.wait()
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert 2 <= len(rows) < 6 and all(r["passed"] == "3" for r in rows)


def test_out_must_not_overwrite_a_notebook(tmp_path):
    target = tmp_path / "mine.ipynb"
    target.write_text(json.dumps(nbformat.v4.new_notebook()))
    done = subprocess.run([sys.executable, "-m", "convlib.grade", str(target), "--out", str(target)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "would overwrite a notebook" in done.stderr
    assert json.loads(target.read_text())["cells"] == []


# ---------------------------------------------------------------------------- sandboxes side by side
def _threads_of_sandboxes():
    """The most threads any process of a sandbox uid has now."""
    return max((int(text.split("\nThreads:")[1].split()[0]) for _, text in _sandbox_processes()), default=0)


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came"
        time.sleep(0.05)


RELEASE = f"/tmp/release-{os.getpid()}-{os.urandom(4).hex()}"  # what a waiting attack watches for


def _until_released(seconds):
    """Notebook code that waits until :func:`_release` is called (or ``seconds`` pass)."""
    return (f"import os, time\nend = time.monotonic() + {seconds}\n"
            f"while not os.path.exists({RELEASE!r}) and time.monotonic() < end:\n    time.sleep(0.05)\n")


def _descendants(pid):
    """The pids of every process started under ``pid`` (sandboxed ones included), as the host sees them."""
    children = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
        except OSError:
            continue
        children.setdefault(int(text.rsplit(")", 1)[1].split()[1]), []).append(int(stat_file.parent.name))
    found, todo = [], [pid]
    while todo:
        started = children.get(todo.pop(), [])
        found += started
        todo += started
    return found


def _release(pid):
    """Let every attack started under ``pid`` that waits in :func:`_until_released` go on: the file
    it watches for, in each process's own view of /tmp (a sandbox's own, or this host's)."""
    for child in _descendants(pid):
        try:
            Path(f"/proc/{child}/root{RELEASE}").write_text("")
        except OSError:
            continue


@needs_sandbox
def test_a_cpu_hog_beside_a_slow_honest_answer_costs_the_honest_one_nothing(tmp_path):
    """200 spinning processes in one sandbox; beside it, an answer that needs 0.3 s of CPU a call."""
    hog = _with("import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        end = time.time() + 20\n"
                f"        while time.time() < end and not os.path.exists({RELEASE!r}):\n            pass\n"
                "        os._exit(0)\n" + _until_released(50) + WRONG_WINDOW)  # until the honest one is graded
    slow = _solution_source("feature_map_shape").replace(
        "    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    import time\n    end = time.process_time() + 0.3\n"
        "    while time.process_time() < end:\n        pass\n")
    nbformat.write(hog, tmp_path / "a_hog.ipynb")
    nbformat.write(_with(slow, name="feature_map_shape", base="solutions"), tmp_path / "b_honest.ipynb")
    limits = pipeline.Limits(cell_timeout=60, wall=120, check_time_limit=1.0)  # 1 s of CPU a call; 6 s by the clock

    def release_when_honest_is_graded(done, total, result):
        if Path(result.submission).name == "b_honest.ipynb":
            _release(os.getpid())

    try:
        results = {Path(r.submission).name: r
                   for r in pipeline.grade([tmp_path], jobs=2, limits=limits, progress=release_when_honest_is_graded)}
    finally:
        Path(RELEASE).unlink(missing_ok=True)
    honest = results["b_honest.ipynb"]
    assert (honest.passed, honest.status) == (3, "graded"), honest
    assert results["a_hog.ipynb"].passed == 0
    assert not _uids_alive()


@needs_sandbox
def test_two_grading_runs_at_once_share_no_uid_and_starve_no_one(tmp_path):
    """One run's thread bomb (near its process limit) beside another run of honest work."""
    bomb, honest = tmp_path / "bomb", tmp_path / "honest"
    bomb.mkdir()
    honest.mkdir()
    # the bomb lasts until the honest run is over (its canary included), at most 50 s
    nbformat.write(_with("import threading, time\nfor _ in range(230):\n"
                         "    threading.Thread(target=time.sleep, args=(50,), daemon=True).start()\n"
                         + _until_released(50) + WRONG_WINDOW), bomb / "bomb.ipynb")
    for i in range(4):
        nbformat.write(_read("solutions"), honest / f"learner{i}.ipynb")
    command = [sys.executable, "-m", "convlib.grade", "--jobs", "2", "--timeout", "60"]
    first = subprocess.Popen(command + [str(bomb), "--out", str(tmp_path / "bomb.csv")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _threads_of_sandboxes() >= 200)
        done = subprocess.run(command + [str(honest), "--out", str(tmp_path / "honest.csv")],
                              capture_output=True, text=True, timeout=300)
        still_bombing = _threads_of_sandboxes() >= 200
    finally:
        _release(first.pid)
        first.wait(timeout=300)
        Path(RELEASE).unlink(missing_ok=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert still_bombing  # the honest run was graded entirely beside the bomb
    rows = list(csv.DictReader((tmp_path / "honest.csv").read_text().splitlines()))
    assert [(r["passed"], r["status"]) for r in rows] == [("3", "graded")] * 4, rows
    assert not _uids_alive()


# ---------------------------------------------------------------------------- root without namespaces
@needs_sandbox
def test_root_without_namespaces_separates_learners_by_uid(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the uid mode is the grader's as root")
    from convlib.grading.report import Gradebook
    from convlib.grading.sandbox import UID

    folder = tmp_path / "class"
    folder.mkdir(mode=0o700)
    alice = folder / "alice.ipynb"
    nbformat.write(_read("solutions"), alice)
    book_path = tmp_path / "grades.csv"
    attack = (f"import glob, os, subprocess\n"
              f"def steal():\n"
              f"    for path in [{str(alice)!r}, {str(book_path)!r}] "
              f"+ glob.glob('/proc/[0-9]*/root' + {str(alice)!r}) + glob.glob('/tmp/convlib-grade-*/sandbox-*/in/*'):\n"
              f"        try:\n            open(path).read()\n            return True\n        except OSError:\n"
              f"            pass\n"
              f"    try:\n        open({str(alice)!r}, 'w').write('{{}}')\n        return True\n    except OSError:\n"
              f"        return False\n"
              "subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
              "worked = steal()")
    nbformat.write(_with(_if_it_worked(attack)), folder / "mallory.ipynb")
    before = alice.read_bytes()
    book = Gradebook(book_path)
    try:
        results = {Path(r.submission).name: r for r in pipeline.grade([folder], jobs=2, kind=UID, gradebook=book)}
    finally:
        book.close()
    assert (results["alice.ipynb"].passed, results["alice.ipynb"].sandbox) == (3, UID)
    assert (results["mallory.ipynb"].passed, results["mallory.ipynb"].sandbox) == (0, UID)
    assert alice.read_bytes() == before
    assert oct(book_path.stat().st_mode & 0o777) == oct(0o600)
    assert not _uids_alive()  # the detached sleep was killed with its uid
    open_key = Path(tempfile.mkdtemp(prefix="open-key-"))  # /tmp: every user may pass through it
    try:
        open_key.chmod(0o755)
        shutil.copy(ROOT / "solutions" / f"{EX1}.ipynb", open_key)
        (open_key / f"{EX1}.ipynb").chmod(0o644)
        warning = grade._uid_warnings("no namespaces", set(), open_key)
    finally:
        shutil.rmtree(open_key)
    assert "answer key is readable by every user" in warning and str(open_key) in warning
