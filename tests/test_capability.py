"""Grading by capability: what an exercise forbids is absent from its sandbox, not only detected.

Each attack here reaches a forbidden function by a spelling a scan of the answer cannot see
(a ``match`` class pattern, ``__builtins__.getattr`` with a built name, ``exec`` of hex-encoded
text, ``string.Formatter``, SciPy). Run in this process, against the whole convlib and the
grader's own environment, every one of them works (``test_each_attack_works_where_the_function_is``);
in the grader's sandboxes each gains no point, while the honest solutions score full marks.
"""

import ast
import builtins
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from convlib.grading import pipeline
from convlib.answers.policy import scan
from convlib.grading.identify import cell_role
from convlib.grading.packages import NEVER_STAGED, distributions, python_command
from convlib.grading.sandbox import BWRAP, Limits
from convlib.grading.stage import forbidden_names, stages

from gradingkit import EX1, KIND, ROOT, course_notebook, needs_sandbox

EX7 = "07_a_small_cnn"
RELU_BY_MATCH = ("from convlib import cnn as _c\n"
                 "match _c:\n    case object(max_pool=MP, relu=R):\n        pass\n"
                 "def relu(x):\n    return R(x)\n")
POOL_BY_MATCH = ("from convlib import cnn as _c\n"
                 "match _c:\n    case object(max_pool=MP, relu=R):\n        pass\n"
                 "def max_pool(x, size, stride):\n    return MP(x, size, stride)\n")
POOL_BY_GETATTR = ("from convlib import cnn as _c\n"
                   "def max_pool(x, size, stride):\n"
                   "    return __builtins__.getattr(_c, 'max_' + 'pool')(x, size, stride)\n")
HIDDEN = "from convlib.cnn import relu as R"
RELU_BY_EXEC = (f"__builtins__.exec(bytes.fromhex({HIDDEN.encode().hex()!r}).decode())\n"
                "def relu(x):\n    return R(x)\n")
POOL_BY_FORMATTER = ("import string\nfrom convlib import cnn as _c\n"
                     "MP = string.Formatter().get_field('0.max_pool', (_c,), {})[0]\n"
                     "def max_pool(x, size, stride):\n    return MP(x, size, stride)\n")
FEATURE_MAP_BY_SCIPY = ("import scipy.signal as _s\n"
                        "match _s:\n    case object(correlate2d=C):\n        pass\n"
                        "def feature_map(image, kernel):\n    return C(image, kernel, mode='valid')\n")
# (exercise, question, answer): each reaches a function its question forbids
ATTACKS = {
    "relu_by_match": (EX7, "relu", RELU_BY_MATCH),
    "max_pool_by_match": (EX7, "max_pool", POOL_BY_MATCH),
    "max_pool_by_getattr": (EX7, "max_pool", POOL_BY_GETATTR),
    "relu_by_exec": (EX7, "relu", RELU_BY_EXEC),
    "max_pool_by_formatter": (EX7, "max_pool", POOL_BY_FORMATTER),
    "feature_map_by_scipy": (EX1, "feature_map", FEATURE_MAP_BY_SCIPY),
}


def _site_with_scipy():
    """The grader's own package folder that holds SciPy (what a sandbox must not reach)."""
    import scipy

    return str(Path(scipy.__file__).resolve().parent.parent)


def _solution(exercise):
    return course_notebook("solutions", exercise)


def _with(exercise, name, source):
    nb = _solution(exercise)
    [cell] = [c for c in nb.cells if cell_role(c) == ("answer", name)]
    cell.source = source
    return nb


def _names_defined(folder):
    """Every name a staged copy of convlib defines or imports, by module."""
    found = set()
    for path in Path(folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                found |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
    return found


# ------------------------------------------------------------------------------ what is staged
@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staged")
    folder.chmod(0o755)
    return stages(folder / "stage")


def test_each_exercise_is_staged_without_what_it_forbids(staged):
    for exercise, folder in staged.items():
        forbidden = set(forbidden_names(exercise))
        assert not forbidden & _names_defined(folder), exercise
    assert {"relu", "max_pool", "conv_backward", "numerical_gradient", "output_size"} <= set(forbidden_names(EX7))
    assert {"conv2d", "output_size"} <= set(forbidden_names(EX1))
    # what an exercise does not forbid is still there: exercise 7 builds on conv2d, exercise 1 on relu
    assert "conv2d" in _names_defined(staged[EX7]) and "relu" in _names_defined(staged[EX1])


def _in_sandbox_python(folder, code):
    command, path = python_command(folder, "x")
    done = subprocess.run([*command[:3], "-c", code], env={"PYTHONPATH": path, "PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_no_library_that_does_the_work_is_importable_from_the_staged_python(staged):
    assert not set(NEVER_STAGED) & set(distributions())
    code = ("import importlib.util\nfor name in ('scipy', 'sklearn', 'cv2', 'torch', 'skimage', 'numpy', 'matplotlib'):\n"
            "    print(name, importlib.util.find_spec(name) is not None)\n"
            "import convlib.cnn, convlib\n"
            "print('relu', hasattr(convlib.cnn, 'relu'), 'max_pool', hasattr(convlib.cnn, 'max_pool'), "
            "'conv2d', hasattr(convlib, 'conv2d'))")
    words = _in_sandbox_python(staged[EX7], code)
    found = dict(zip(words[::2], words[1::2]))
    assert found == {"scipy": "False", "sklearn": "False", "cv2": "False", "torch": "False", "skimage": "False",
                     "numpy": "True", "matplotlib": "True", "relu": "False", "max_pool": "False", "conv2d": "True"}


# ------------------------------------------------------------------------------ the scan, a reviewer
def test_each_attack_works_where_the_function_is():
    """Outside a sandbox (the whole convlib, SciPy installed) every attack gets a working function."""
    x = np.arange(-8.0, 8.0).reshape(4, 4, 1)
    image, kernel = np.arange(16.0).reshape(4, 4), np.array([[1.0, 0.0], [0.0, -1.0]])
    from convlib import cnn, conv2d

    for label, (exercise, name, source) in ATTACKS.items():
        space = {"__builtins__": builtins}  # as in a kernel's namespace: the module
        exec(compile(source, label, "exec"), space)  # noqa: S102 - the attack, run here on purpose
        function = space[name]
        if name == "relu":
            assert np.array_equal(function(x), cnn.relu(x)), label
        elif name == "max_pool":
            assert np.array_equal(function(x, 2, 2), cnn.max_pool(x, 2, 2)), label
        else:
            assert np.allclose(function(image, kernel), conv2d(image, kernel)), label


def test_the_scan_reviews_every_spelling_and_deducts_only_what_it_reads():
    findings = {label: scan(source, forbidden_names(exercise)) for label, (exercise, _, source) in ATTACKS.items()}
    assert findings["relu_by_match"].forbidden == ["max_pool", "relu"]  # a class pattern's names are read
    assert "matches a class pattern" in findings["relu_by_match"].review
    assert "calls getattr" in findings["max_pool_by_getattr"].review
    assert findings["relu_by_exec"].forbidden == []  # opaque text: a person reads it, no deduction
    assert "runs text as code" in findings["relu_by_exec"].review
    assert {"uses Formatter", "uses get_field"} <= set(findings["max_pool_by_formatter"].review)
    assert "formats an attribute by name" in scan("f = '{0.max_pool}'.format", ()).review
    assert "uses exec" in scan("run = __builtins__.exec", ()).review  # handed on, not called
    for exercise in (EX1, EX7):
        for cell in _solution(exercise).cells:
            if cell_role(cell)[0] == "answer":
                assert scan(cell.source, forbidden_names(exercise)) == scan("", ()), cell.source


# ------------------------------------------------------------------------------ graded in sandboxes
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capability")
    nbformat.write(_solution(EX1), folder / f"honest_{EX1}.ipynb")
    nbformat.write(_solution(EX7), folder / f"honest_{EX7}.ipynb")
    for label, (exercise, name, source) in ATTACKS.items():
        nbformat.write(_with(exercise, name, source), folder / f"{label}_{exercise}.ipynb")
    if KIND == BWRAP:  # the environment's own packages, put back on the path by hand
        nbformat.write(_with(EX1, "feature_map", f"import sys\nsys.path.append({_site_with_scipy()!r})\n"
                             + FEATURE_MAP_BY_SCIPY), folder / f"scipy_by_path_{EX1}.ipynb")
    results = pipeline.grade([folder], jobs=2, limits=Limits(cell_timeout=60))
    return {Path(r.submission).stem: r for r in results}


@needs_sandbox
def test_honest_solutions_score_full_marks_beside_the_attacks(graded):
    for exercise in (EX1, EX7):
        result = graded[f"honest_{exercise}"]
        assert result.status == "graded" and all(result.questions.values()) and result.review == "", result


@needs_sandbox
def test_no_spelling_reaches_a_forbidden_function(graded):
    attacks = {**ATTACKS, **({"scipy_by_path": (EX1, "feature_map", "")} if KIND == BWRAP else {})}
    for label, (exercise, name, _) in attacks.items():
        result = graded[f"{label}_{exercise}"]
        assert result.questions[name] is False, (label, result)
        others = {q: ok for q, ok in result.questions.items() if q != name}
        assert all(others.values()), (label, result)  # the rest of the solution still counts


# ------------------------------------------------------------------------------ kernels apart
WAITS = ("import os, time\nflag = os.path.join(os.environ['TMPDIR'], 'done')\nend = time.monotonic() + 120\n"
         "while not os.path.exists(flag) and time.monotonic() < end:\n    time.sleep(0.02)\n")


def _listening_uids():
    """The uids of every TCP socket listening on this machine's network (state 0A), v4 and v6."""
    uids = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        uids |= {int(line.split()[7]) for line in lines if line.split()[3] == "0A"}
    return uids


def _connects_as(uid, paths):
    """Whether a process of ``uid`` can connect to any of the unix sockets ``paths``."""
    import socket

    child = os.fork()
    if child == 0:
        code = 0
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for path in paths:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    try:
                        probe.connect(str(path))
                        code = 1
                    except OSError:
                        pass
        except BaseException:  # noqa: BLE001
            code = 2
        os._exit(code)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.sandbox
@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"), reason="the uid mode is root's")
def test_in_the_uid_mode_a_kernel_listens_on_no_port_and_no_other_uid_can_connect():
    import shutil
    import stat
    import tempfile
    import threading
    import time

    from convlib.grading.sandbox import UID, Executor
    from convlib.grading.uids import lease

    work = Path(tempfile.mkdtemp(prefix="convlib-capability-"))
    try:
        work.chmod(0o711)
        staged = stages(work / "stage")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WAITS)])
        executor = Executor(staged, Limits(cell_timeout=150, wall=200), kind=UID, work_dir=work)
        listening_before = _listening_uids()
        done = {}
        runner = threading.Thread(target=lambda: done.setdefault("result", executor.execute(nbformat.writes(nb), "{}")))
        runner.start()
        deadline, sockets = time.monotonic() + 120, []
        while len(sockets) < 5:  # the kernel's shell, iopub, stdin, control and heartbeat
            assert time.monotonic() < deadline and runner.is_alive(), "the kernel's sockets never came"
            time.sleep(0.05)
            sockets = [p for p in work.glob("sandbox-*/tmp/rt/k-*") if stat.S_ISSOCK(p.lstat().st_mode)]
        scratch = sockets[0].parents[2]
        owner = {p.lstat().st_uid for p in sockets}
        try:
            [uid] = owner
            assert uid != 0
            assert {stat.S_IMODE(p.lstat().st_mode) for p in sockets} == {0o700}
            assert stat.S_IMODE((scratch / "tmp" / "rt").stat().st_mode) == 0o700
            assert uid not in _listening_uids() - listening_before  # no TCP port of the kernel to find
            other = lease()  # another sandbox's uid, as a classmate's cell would run
            try:
                assert _connects_as(other.uid, sockets) == 0
            finally:
                other.release()
            assert _connects_as(uid, sockets) == 1  # the probe itself works: the owner can connect
        finally:
            (scratch / "tmp" / "done").write_text("")
            runner.join(timeout=200)
            executor.close()
        assert not runner.is_alive() and not done["result"].error, done
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------ one owner of time
def test_every_time_limit_is_ordered_so_a_call_stops_before_its_cell():
    from convlib.grading.limits import CALL_SHARE, WALL_FACTOR, TimeLimits

    for cpu in (0.1, 1, 2, 10, 100):
        for cell in (1, 8, 60, 600):
            for notebook in (0.5, 120, 300):
                t = TimeLimits(call_cpu=cpu, cell=cell, notebook=notebook)
                assert t.call_cpu <= t.call_wall <= CALL_SHARE * t.cell < t.cell <= t.notebook <= t.process_cpu
                assert t.call_wall == min(cpu * WALL_FACTOR, CALL_SHARE * cell)
    assert TimeLimits().call_cpu == 10 and TimeLimits().cell == 60 and TimeLimits().notebook == 300
    limits = Limits(cell_timeout=8, wall=120, check_time_limit=2)
    assert limits.for_process()["check_wall_limit"] == 4.0 < limits.for_process()["cell_timeout"] == 8
    with pytest.raises(ValueError, match="cell must be a positive number"):
        Limits(cell_timeout=0)


def test_the_call_takes_its_clock_limit_from_the_grader(monkeypatch):
    import time

    from convlib.answers import calls

    monkeypatch.setenv("CONVLIB_CHECK_WALL_LIMIT", "0.3")
    start = time.monotonic()
    record = calls.call(time.sleep, (30,), seconds=0.2)  # asleep: no CPU time, stopped by the clock
    assert record == {"kind": "timeout", "seconds": 0.2, "by": "clock"}
    assert time.monotonic() - start < 5


@needs_sandbox
def test_an_endless_call_without_cpu_is_stopped_before_its_cell_runs_out(tmp_path):
    """A call that gets no CPU (asleep, as a call starved on a loaded machine): before one owner
    ordered the limits, its clock backstop (6 x 2 s) outlasted the 8 s cell and the row said
    "ran out of time" under load, "stopped" when idle."""
    nbformat.write(_with(EX1, "feature_map", "import time\ndef feature_map(image, kernel):\n"
                         "    while True:\n        time.sleep(1)\n"), tmp_path / f"asleep_{EX1}.ipynb")
    limits = Limits(cell_timeout=8, wall=120, check_time_limit=2)
    [result] = pipeline.grade([tmp_path], jobs=1, limits=limits)
    assert result.questions == {"window_sum": True, "feature_map": False, "feature_map_shape": True}, result
    assert "was stopped" in result.messages["feature_map"] and "ran out of time" not in result.detail, result


def test_the_uid_mode_warns_of_a_forbidden_library_every_user_can_read(tmp_path):
    """Without namespaces a library cannot be hidden; the instructor is told where it lies open."""
    from convlib.grade import _uid_warnings
    from convlib.grading.packages import readable_by_others

    site = _site_with_scipy()
    note = _uid_warnings("no namespaces", [], tmp_path)
    if readable_by_others(site):
        assert f"can be imported by every user from {site}" in note and "scipy" in note.lower(), note
    else:
        assert site not in note, note
