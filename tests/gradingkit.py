"""What the grading tests share: the course's root, the grader's command, the sandbox this
machine gives, the course's own notebooks to build submissions from, and Gradescope's
autograder run as Gradescope runs it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convlib.grading.sandbox import NO_SANDBOX, sandbox_kind

ROOT = Path(__file__).resolve().parent.parent
EX1, EX2, EX3 = "01_image_and_kernel", "02_the_slide", "03_depth"
GRADE = [sys.executable, "-m", "convlib.grade"]
KIND, WHY = sandbox_kind()

# only the tests that grade in a sandbox need one; CI always has bubblewrap (.ci/run installs it)
_sandbox_here = pytest.mark.skipif(KIND == NO_SANDBOX and not os.environ.get("CI"),
                                   reason=f"grading sandbox unavailable ({WHY or KIND}); .ci/run installs bubblewrap")

# one learner's window_sum under other names and a comment, handed in by two (answers alike)
COPIED_WINDOW_SUM = """def window_sum(picture, filt, r, c):
    # my own work
    total = 0
    for i in range(filt.shape[0]):
        for j in range(filt.shape[1]):
            total += picture[r + i, c + j] * filt[i, j]
    return total
"""

def needs_sandbox(test):
    """A test that grades in a sandbox: marked ``sandbox`` (left out of ``make check``), skipped
    where this machine gives none (outside CI)."""
    return pytest.mark.sandbox(_sandbox_here(test))


def course_notebook(folder, exercise=EX1):
    """``folder/exercise.ipynb`` of the course (``solutions``, ``exercises``, ``notebooks``)."""
    return nbformat.read(ROOT / folder / f"{exercise}.ipynb", as_version=4)


def questions_in(exercise):
    """How many answers an exercise asks for, counted from its solution's answer cells."""
    from convlib.grading.identify import cell_role

    return sum(cell_role(c)[0] == "answer" for c in course_notebook("solutions", exercise).cells)


def autograder_zip(folder):
    """``folder/autograder.zip``, as ``convlib-grade gradescope-autograder`` writes it."""
    out = Path(folder) / "autograder.zip"
    done = subprocess.run([*GRADE, "gradescope-autograder", "--exercise", "1", "--out", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def _setup_chmods(setup_sh):
    """The ``chmod`` command of the zip's ``setup.sh`` (with its continuation lines), run with the
    Python that runs the autograder here instead of the one setup.sh installs."""
    lines = setup_sh.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("chmod "))
    end = next(i for i in range(start, len(lines)) if not lines[i].endswith("\\"))
    command = "\n".join(lines[start:end + 1])
    assert "/autograder/source" in command and "convlib.__file__" in command  # the source and the installed package
    return command.replace("/opt/course/bin/python", '"$CONVLIB_PYTHON"')


def as_gradescope(tmp_path, zip_path, upload, *, setup=False, grader_bwrap="present"):
    """Run the zip's ``run_autograder`` as root with a folder laid out like ``/autograder`` bound at
    /autograder (a new mount namespace over this machine's own folders, made by bubblewrap for the
    test); returns ``(results.json, stderr)``. The course is imported from the zip's own source.

    ``setup``: first run setup.sh's ``chmod`` of the source and of the installed package.
    ``grader_bwrap``: what the grader finds: ``present``, ``absent`` (not on its PATH) or
    ``refused`` (installed, but the container refuses namespaces: no CAP_SYS_ADMIN, as in
    Docker's default set).
    """
    import zipfile

    home = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(home / "source")
        setup_sh = archive.read("setup.sh").decode()
    shutil.copy(home / "source" / "run_autograder", home / "run_autograder")
    (home / "run_autograder").chmod(0o755)
    shutil.copytree(upload, home / "submission")
    (home / "submission_metadata.json").write_text('{"users": [{"name": "Ann Lee", "id": 4242}]}')
    binds = []
    for entry in sorted(Path("/").iterdir()):
        if entry.name in ("proc", "dev", "autograder", "lost+found"):
            continue
        binds += ["--symlink", os.readlink(entry), str(entry)] if entry.is_symlink() else ["--bind", str(entry), str(entry)]
    env = {**os.environ, "CONVLIB_PYTHON": sys.executable, "PYTHONPATH": "/autograder/source"}
    if grader_bwrap == "absent":
        tools = tmp_path / "bin"  # what run_autograder and setup.sh's chmod call, and no bwrap
        tools.mkdir()
        for name in ("bash", "sh", "mkdir", "cat", "chmod", "env"):
            (tools / name).symlink_to(shutil.which(name))
        env["PATH"] = str(tools)
    wrapper = [shutil.which("bwrap"), *binds, "--dev-bind", "/dev", "/dev", "--proc", "/proc", "--bind", str(home), "/autograder"]
    if grader_bwrap == "refused":
        wrapper += ["--cap-drop", "CAP_SYS_ADMIN"]
    if setup:
        chmod = subprocess.run([*wrapper, "bash", "-euxc", _setup_chmods(setup_sh)], capture_output=True, text=True,
                               timeout=120, env=env)
        assert chmod.returncode == 0, chmod.stderr[-2000:]
        assert (home / "source").stat().st_mode & 0o077 == 0  # root's alone, as on Gradescope
    done = subprocess.run([*wrapper, "/autograder/run_autograder"], capture_output=True, text=True, timeout=600,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((home / "results" / "results.json").read_text(encoding="utf-8")), done.stderr


def as_gradescope_at_once(tmp_path, zip_path, uploads, **options):
    """:func:`as_gradescope` for each of ``uploads``, the runs side by side (each in its own
    /autograder, as on Gradescope's machines); ``{name: (results.json, stderr)}``.

    ``uploads``: ``{name: folder}``, or ``{name: (folder, {option: value})}`` for options of that
    run alone; ``options`` are every run's.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(uploads)) as pool:
        runs = {}
        for name, upload in uploads.items():
            folder, own = upload if isinstance(upload, tuple) else (upload, {})
            runs[name] = pool.submit(as_gradescope, tmp_path / name, zip_path, folder, **{**options, **own})
        return {name: run.result() for name, run in runs.items()}


def check_results(data):
    """results.json as Gradescope's autograder specification describes it."""
    assert isinstance(data["score"], (int, float)) and isinstance(data["tests"], list)
    assert data["output_format"] in ("text", "html", "simple_format", "md", "ansi")
    assert isinstance(data["execution_time"], (int, float)) and data["execution_time"] >= 0
    for test in data["tests"]:
        assert isinstance(test["name"], str) and isinstance(test["output"], str) and test["output"]
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == sum(t["score"] for t in data["tests"])
