"""The instructor's side of grading: learners, copies, the per-learner table, feedback pages,
Gradescope's results.json, shards merged, and the grader installed from a wheel.

One class of four learners, handed in the ways learning platforms deliver files.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from convlib.grading.feedback import page_name, standalone
from convlib.grading.identify import cell_role
from convlib.grading.report import OLDER_COPY, QUESTION_COLUMNS

from gradingkit import (EX1, EX2, EX3, GRADE, KIND, ROOT, as_gradescope_at_once, autograder_zip, check_results,
                        course_notebook as _notebook, needs_sandbox, questions_in as _questions_in)


def _with_answer(exercise, name, source, base="exercises"):
    nb = _notebook(base, exercise)
    next(c for c in nb.cells if cell_role(c) == ("answer", name)).source = source
    return nb


def _write(folder, relative, nb, modified=None):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    if modified is not None:
        os.utime(path, (modified, modified))
    return path


def _class(folder):
    """jdoe (plain names), doejane (Canvas, two copies), Ann Lee (Moodle folders), a notebook named
    only by its metadata (Zoë), and mallory, whose notebook claims to be jdoe's."""
    _write(folder, f"jdoe_{EX1}.ipynb", _notebook("solutions", EX1))
    _write(folder, f"jdoe_{EX2}.ipynb", _notebook("exercises", EX2))
    _write(folder, f"doejane_12345_67890_{EX1}.ipynb", _notebook("exercises", EX1), modified=1_700_000_000)
    _write(folder, f"doejane_LATE_12345_67999_{EX1}.ipynb", _notebook("solutions", EX1), modified=1_700_090_000)
    moodle = "Ann Lee_812_assignsubmission_file_"
    _write(folder, f"{moodle}/{EX1}.ipynb",
           _with_answer(EX1, "window_sum", "def window_sum(image, kernel, row, col):\n    return 4\n", "solutions"))
    _write(folder, f"{moodle}/{EX3}.ipynb", _notebook("solutions", EX3))
    slide = _notebook("solutions", EX2)  # a lesson-2 notebook named like lesson 1, named only inside
    slide.metadata["convlib"]["learner"] = "Zoë Ng"
    _write(folder, f"{EX1}.ipynb", slide)
    impostor = _notebook("exercises", EX1)  # claims to be jdoe's newest copy
    impostor.metadata["convlib"]["learner"] = "jdoe"
    _write(folder, f"mallory_{EX1}.ipynb", impostor, modified=2_000_000_000)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _by_file(rows, folder):
    return {Path(r["submission"]).relative_to(folder).as_posix(): r for r in rows}


def _all_at_once(commands, timeout):
    """Run ``commands`` side by side; their ``CompletedProcess`` (text output), in order."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        runs = [pool.submit(subprocess.run, command, capture_output=True, text=True, timeout=timeout)
                for command in commands]
        return [run.result() for run in runs]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    folder = base / "class"
    _class(folder)
    out = {"whole": base / "grades.csv", "learners": base / "learners.csv", "feedback": base / "feedback"}
    parts = [base / f"part{k}.csv" for k in (1, 2)]
    # the whole class and its two shards, graded side by side (as on two machines)
    runs = [[*GRADE, str(folder), "--out", str(out["whole"]), "--jobs", "2",
             "--by-learner", str(out["learners"]), "--feedback", str(out["feedback"])]]
    runs += [[*GRADE, str(folder), "--out", str(part), "--jobs", "2", "--shard", f"{k}/2"]
             for k, part in enumerate(parts, 1)]
    done, *shards = _all_at_once(runs, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for shard in shards:
        assert shard.returncode == 0, shard.stderr[-3000:]
    merged = subprocess.run([*GRADE, "merge", *map(str, parts), "--out", str(base / "merged.csv"),
                             "--by-learner", str(base / "merged_learners.csv")],
                            capture_output=True, text=True, timeout=60)
    assert merged.returncode == 0, merged.stderr
    return {"base": base, "folder": folder, "done": done, "rows": _by_file(_rows(out["whole"]), folder),
            "parts": [_rows(p) for p in parts], "merged": _rows(base / "merged.csv"),
            "whole_rows": _rows(out["whole"]), **out}


@needs_sandbox
def test_each_file_names_its_learner(graded):
    learners = {name: (r["learner"], r["lms_id"]) for name, r in graded["rows"].items()}
    # metadata names no one: the file is graded under no name, its claim noted for review
    assert learners == {
        f"jdoe_{EX1}.ipynb": ("jdoe", ""),
        f"jdoe_{EX2}.ipynb": ("jdoe", ""),
        f"doejane_12345_67890_{EX1}.ipynb": ("doejane", "12345"),
        f"doejane_LATE_12345_67999_{EX1}.ipynb": ("doejane", "12345"),
        f"Ann Lee_812_assignsubmission_file_/{EX1}.ipynb": ("Ann Lee", "812"),
        f"Ann Lee_812_assignsubmission_file_/{EX3}.ipynb": ("Ann Lee", "812"),
        f"{EX1}.ipynb": ("", ""),
        f"mallory_{EX1}.ipynb": ("mallory", ""),
    }


@needs_sandbox
def test_the_newest_copy_is_graded_and_the_older_flagged(graded):
    rows = graded["rows"]
    older, newer = rows[f"doejane_12345_67890_{EX1}.ipynb"], rows[f"doejane_LATE_12345_67999_{EX1}.ipynb"]
    assert older["status"] == OLDER_COPY and older["passed"] == "0" and "older copy" in older["review"]
    assert newer["status"] == "graded" and newer["passed"] == "3"
    assert "doejane_12345_67890" in newer["review"]


@needs_sandbox
def test_a_notebook_that_claims_another_learner_is_filed_under_its_own_name(graded):
    mallory, jdoe = graded["rows"][f"mallory_{EX1}.ipynb"], graded["rows"][f"jdoe_{EX1}.ipynb"]
    assert mallory["learner"] == "mallory" and "says it is jdoe's" in mallory["review"]
    assert (jdoe["status"], jdoe["passed"]) == ("graded", "3")
    assert "mallory" not in jdoe["review"] and "copy" not in jdoe["review"]  # (it is the solution: flagged as such)


@needs_sandbox
def test_a_name_that_disagrees_with_the_metadata_is_flagged(graded):
    row = graded["rows"][f"{EX1}.ipynb"]
    assert row["exercise"] == EX2 and row["passed"] == "4"
    assert f"the file name says {EX1} but the notebook is {EX2}" in row["review"]
    assert "the notebook says it is Zoë Ng's" in row["review"]


@needs_sandbox
def test_every_lost_point_says_why(graded):
    for name, row in graded["rows"].items():
        if row["status"] != "graded":
            continue
        lost = [q for q in QUESTION_COLUMNS if row[q] == "0"]
        for question in lost:
            assert question in row["detail"], (name, question, row["detail"])
        assert bool(lost) == bool(row["detail"]), name
    ann = graded["rows"][f"Ann Lee_812_assignsubmission_file_/{EX1}.ipynb"]
    assert "np.array(" in ann["detail"]  # the failing input, small enough to retype
    assert "feature_map calls your window_sum" in ann["detail"]  # a later answer failing because of an earlier


@needs_sandbox
def test_the_table_per_learner(graded):
    rows = _rows(graded["learners"])
    assert list(rows[0]) == ["Student", "ID", "Platform", "Late", EX1, EX2, EX3, "Total", "Possible"]
    table = {r["Student"]: r for r in rows}
    unnamed = f"(no name) {graded['folder'] / f'{EX1}.ipynb'}"
    assert set(table) == {"Ann Lee", "doejane", "jdoe", "mallory", unnamed}
    assert (table["jdoe"][EX1], table["jdoe"][EX2], table["jdoe"][EX3], table["jdoe"]["Total"]) == ("3", "0", "", "3")
    assert (table["doejane"]["ID"], table["doejane"][EX1], table["doejane"]["Total"]) == ("12345", "3", "3")
    assert (table["Ann Lee"][EX1], table["Ann Lee"][EX3], table["Ann Lee"]["Total"]) == ("1", "3", "4")
    assert (table[unnamed][EX1], table[unnamed][EX2]) == ("", "4")
    assert table["doejane"]["Late"] == "late" and table["jdoe"]["Late"] == ""
    questions_in = {e: sum(cell_role(c)[0] == "answer" for c in _notebook("solutions", e).cells) for e in (EX1, EX2, EX3)}
    assert {r["Possible"] for r in rows} == {str(sum(questions_in.values()))}  # only the exercises graded


@needs_sandbox
def test_one_feedback_page_per_learner_with_each_message(graded):
    pages = sorted(p.name for p in graded["feedback"].glob("*.html") if not p.name.startswith("index"))
    assert pages == sorted([page_name("Ann Lee", "moodle:812"), page_name("doejane", "canvas:12345"),
                            page_name("jdoe"), page_name("mallory")])
    ann = (graded["feedback"] / page_name("Ann Lee", "moodle:812")).read_text(encoding="utf-8")
    assert "Feedback for Ann Lee" in ann and "4 of 6 points" in ann
    assert "Exercise 1 — An image and a kernel — 1 / 3" in ann  # the notebook's own title
    assert " above" not in ann and "Call .hint()" not in ann
    detail = graded["rows"][f"Ann Lee_812_assignsubmission_file_/{EX1}.ipynb"]["detail"]
    message = detail.split(" | ")[0].removeprefix("window_sum: ")  # the row names the question, the page a row
    assert "np.array(" in message and html.escape(standalone(message, 1)) in ann
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", ann)  # nothing fetched from elsewhere
    jane = (graded["feedback"] / page_name("doejane", "canvas:12345")).read_text(encoding="utf-8")
    assert jane.count("<section>") == 1 and "3 of 3 points" in jane
    assert "Handed in late" in jane and f"doejane_12345_67890_{EX1}.ipynb</code>, an older copy" in jane
    with open(graded["feedback"] / "index.csv", newline="", encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert sorted((r["learner"], r["lms_id"], r["page"]) for r in index) == sorted(
        [("Ann Lee", "812", page_name("Ann Lee", "moodle:812")), ("doejane", "12345", page_name("doejane", "canvas:12345")),
         ("jdoe", "", page_name("jdoe")), ("mallory", "", page_name("mallory"))])
    assert all(f'href="{r["page"]}"' in (graded["feedback"] / "index.html").read_text(encoding="utf-8") for r in index)


@needs_sandbox
def test_two_shards_merged_equal_one_run(graded):
    names = [{r["submission"] for r in part} for part in graded["parts"]]
    assert names[0] and names[1] and not names[0] & names[1]
    learners = [{r["learner"] for r in part} for part in graded["parts"]]
    assert not learners[0] & learners[1]  # a learner's files stay in one shard

    def comparable(row):  # hidden inputs are drawn fresh per run: which input fails first may differ;
        # a shard compares answers only with its own learners' (and the shipped solution)
        review = [note for note in row["review"].split("; ") if "names and comments set aside" not in note]
        return {**row, "detail": [part.split(":")[0] for part in row["detail"].split(" | ")], "review": review}

    assert [comparable(r) for r in graded["merged"]] == [comparable(r) for r in graded["whole_rows"]]
    assert _rows(graded["base"] / "merged_learners.csv") == _rows(graded["learners"])


@needs_sandbox
def test_merge_refuses_overlapping_parts(graded, tmp_path):
    part = graded["base"] / "part1.csv"
    done = subprocess.run([*GRADE, "merge", str(part), str(part), "--out", str(tmp_path / "m.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "is in both" in done.stderr
    assert not (tmp_path / "m.csv").exists()


@needs_sandbox
def test_gradescope_results_json(tmp_path):
    submission = tmp_path / "submission"
    _write(submission, f"{EX1}.ipynb",
           _with_answer(EX1, "window_sum", "def window_sum(image, kernel, row, col):\n    return 4\n"))
    results = tmp_path / "results" / "results.json"
    done = subprocess.run([*GRADE, str(submission), "--out", str(tmp_path / "grades.csv"), "--gradescope", str(results)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(results.read_text(encoding="utf-8"))
    assert isinstance(data["score"], (int, float)) and isinstance(data["tests"], list)
    for test in data["tests"]:
        assert {"name", "score", "max_score", "output"} <= set(test)
        assert isinstance(test["name"], str) and isinstance(test["output"], str) and test["output"]
        assert 0 <= test["score"] <= test["max_score"]
    by_name = {t["name"]: t for t in data["tests"]}
    assert set(by_name) == {f"{EX1}: window_sum", f"{EX1}: feature_map", f"{EX1}: feature_map_shape"}
    assert by_name[f"{EX1}: window_sum"]["score"] == 0 and "np.array(" in by_name[f"{EX1}: window_sum"]["output"]
    assert data["score"] == sum(t["score"] for t in data["tests"]) == 0


def test_progress_is_a_bar_on_a_terminal():
    import io

    from convlib.grading.progress import Progress
    from convlib.grading.report import Result

    stream = io.StringIO()
    bar = Progress(4, stream=stream, tty=True)
    for done in range(1, 5):
        bar(done, 4, Result(submission=f"s{done}.ipynb"))
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 4 and "4/4" in text and "/min" in text and text.endswith("\n")
    assert "s1.ipynb" not in text  # one line that redraws, not one line per file
    lines = io.StringIO()
    Progress(1, stream=lines, tty=False)(1, 1, Result(submission="s1.ipynb"))
    assert lines.getvalue().startswith("[1/1] s1.ipynb")


def test_bad_shards_and_outputs_are_refused(tmp_path):
    for shard in ("3/2", "0/2", "1.5/2", "x"):
        done = subprocess.run([*GRADE, str(ROOT / "solutions"), "--shard", shard, "--out", str(tmp_path / "g.csv")],
                              capture_output=True, text=True)
        assert done.returncode == 2 and "shard" in done.stderr, shard
    target = ROOT / "solutions" / f"{EX1}.ipynb"
    done = subprocess.run([*GRADE, str(target), "--by-learner", str(target), "--out", str(tmp_path / "g.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "would overwrite a notebook" in done.stderr


@needs_sandbox
def test_the_installed_wheel_grades_from_any_folder_and_hides_its_key(tmp_path):
    """``pip install .`` (a wheel, not editable) into a new environment, then ``convlib-grade``.

    The wheel is built from the files the ``Dockerfile`` copies, so the container image builds too.
    The new environment sees the course's dependencies where this one has them (a ``.pth`` file):
    pip resolves the wheel's requirements against them and installs the wheel alone. Fetching
    and unpacking them all again (about a minute and a half) would repeat what ``make setup-test``
    did from the same list; the sandbox hides that folder like every other package folder.
    """
    wheels, env, source = tmp_path / "wheels", tmp_path / "env", tmp_path / "source"
    source.mkdir()
    for line in (ROOT / "Dockerfile").read_text().splitlines():  # the files the container image gets
        if line.startswith("COPY "):
            *names, _ = line.split()[1:]
            for name in names:
                (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, source / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(wheels.glob("convlib-*.whl"))
    # no pip of its own (its bootstrap takes seconds): this environment's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    new_site = subprocess.run([env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(new_site, "course-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", env / "bin" / "python", "install", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-2000:]
    where = subprocess.run([env / "bin" / "python", "-c", "import convlib.grade as g; print(g.__file__); "
                            "print(g.DEFAULT_SOLUTIONS)"], capture_output=True, text=True, cwd=tmp_path, check=True)
    module, solutions = where.stdout.split()
    assert Path(module).with_name("static").joinpath("slide.js").is_file()  # the slide widget's JavaScript
    assert module.startswith(str(env)) and solutions.startswith(str(env)) and Path(solutions, f"{EX1}.ipynb").is_file()

    course = tmp_path / "course"
    _write(course, f"alice_{EX1}.ipynb", _notebook("solutions", EX1))
    _write(course, f"bob_{EX2}.ipynb", _notebook("exercises", EX2))
    steal = (f"import json\nsource = [c for c in json.load(open({str(Path(solutions, EX1 + '.ipynb'))!r}))['cells'] "
             "if 'def window_sum' in ''.join(c['source'])]\nexec(''.join(source[0]['source']))")
    _write(course, f"mallory_{EX1}.ipynb", _with_answer(EX1, "window_sum", steal))
    done = subprocess.run([env / "bin" / "convlib-grade", ".", "--out", "grades.csv", "--by-learner", "learners.csv"],
                          capture_output=True, text=True, cwd=course, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    table = {r["Student"]: r for r in _rows(course / "learners.csv")}
    assert (table["alice"][EX1], table["bob"][EX2], table["mallory"][EX1]) == ("3", "0", "0")
    assert {r["sandbox"] for r in _rows(course / "grades.csv")} == {KIND}


def test_the_commands_name_themselves_and_refuse_an_empty_folder(tmp_path):
    from convlib import __version__

    helped = subprocess.run([*GRADE, "--help"], capture_output=True, text=True, check=True)
    assert helped.stdout.startswith("usage: convlib-grade ")
    version = subprocess.run([*GRADE, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"convlib-grade (convlib {__version__})"
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = subprocess.run([sys.executable, "-m", "convlib.assign", str(empty), str(tmp_path / "out")],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "no solution notebooks" in refused.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- Gradescope as it runs there
@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    return autograder_zip(tmp_path_factory.mktemp("zip"))


def _stealing_wrong_window_sum():
    """window_sum wrong, unless the answer key Gradescope unpacked could be read and run."""
    nb = _notebook("solutions", EX1)
    key = f"/autograder/source/solutions/{EX1}.ipynb"
    next(c for c in nb.cells if cell_role(c) == ("answer", "window_sum")).source = (
        "import json\ntry:\n"
        f"    cells = json.load(open({key!r}))['cells']\n"
        "    exec(''.join(next(''.join(c['source']) for c in cells if 'def window_sum' in ''.join(c['source']))))\n"
        "except OSError:\n    def window_sum(image, kernel, row, col):\n        return 4\n")
    return nb


AS_ON_GRADESCOPE = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None,
    reason="Gradescope runs the autograder as root; bubblewrap binds the folder at /autograder")


@pytest.fixture(scope="module")
def gradescope_uid_mode(autograder, tmp_path_factory):
    """The Gradescope runs of the uid mode, side by side: after setup.sh, without bubblewrap (an
    honest notebook, one that tries to read the key, a PDF) and with bubblewrap refused namespaces
    (an honest notebook)."""
    tmp_path = tmp_path_factory.mktemp("uid_mode")
    honest, wrong, pdf = tmp_path / "honest", tmp_path / "wrong", tmp_path / "pdf"
    _write(honest, f"{EX1}.ipynb", _notebook("solutions", EX1), 1_700_000_000)
    _write(wrong, f"{EX1}.ipynb", _stealing_wrong_window_sum(), 1_700_000_000)
    pdf.mkdir()
    (pdf / "my work.pdf").write_bytes(b"%PDF-1.4\n")
    return as_gradescope_at_once(tmp_path, autograder, {"a": honest, "b": wrong, "c": pdf,
                                                        "refused": (honest, {"grader_bwrap": "refused"})},
                                 setup=True, grader_bwrap="absent")


@pytest.mark.sandbox
@AS_ON_GRADESCOPE
def test_gradescope_after_its_setup_grades_in_the_uid_mode_without_bubblewrap(gradescope_uid_mode):
    """As on Gradescope: setup.sh made the source and the package root's alone; no bubblewrap."""
    data, log = gradescope_uid_mode["a"]
    check_results(data)
    assert "sandbox: uid" in log and "canary: the shipped solutions scored full marks" in log, log[-2000:]
    assert data["score"] == _questions_in(EX1), data["output"]

    data, log = gradescope_uid_mode["b"]
    check_results(data)
    assert "sandbox: uid" in log and data["score"] == 1, data  # feature_map_shape; the key stayed out of reach

    data, log = gradescope_uid_mode["c"]
    check_results(data)
    assert data["score"] == 0 and "No notebook" in data["output"]


@pytest.mark.sandbox
@AS_ON_GRADESCOPE
def test_gradescope_with_bubblewrap_but_no_namespaces_grades_in_the_uid_mode(gradescope_uid_mode):
    data, log = gradescope_uid_mode["refused"]
    check_results(data)
    assert "sandbox: uid (bubblewrap cannot make namespaces here" in log, log[-2000:]
    assert data["score"] == _questions_in(EX1), data["output"]
