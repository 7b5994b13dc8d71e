"""The grading pipeline's steps one by one: read, identify, policy, assemble, wire, judge."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from convlib.grading.status import Status
from convlib.exercises import CORRECT, MODULES, WRONG, image_and_kernel, questions, slide
from convlib.grading import canary, cause, packages, wire
from convlib.grading.assemble import graded_copy, inputs_for
from convlib.grading.identify import cell_role, exercise_of_file
from convlib.grading.judge import judge
from convlib.answers.policy import CONVOLUTION, scan
from convlib.grading.read import read
from convlib.answers.calls import call
from convlib.grading.stage import stage, stages
from convlib.grading.text import MESSAGE_MAX, shown

ROOT = Path(__file__).resolve().parent.parent


def _read(folder, name):
    return nbformat.read(ROOT / folder / f"{name}.ipynb", as_version=4)


# ------------------------------------------------------------------------------ read
@pytest.mark.parametrize("content, status", [
    (b"\xff\xfe not utf-8", Status.NOT_NOTEBOOK),
    (b"[1, 2, 3]", Status.NOT_NOTEBOOK),
    (b'{"cells": 5}', Status.NOT_NOTEBOOK),
    (b"[" * 100_000 + b"]" * 100_000, Status.NOT_NOTEBOOK),
])
def test_read_refuses_what_is_not_a_notebook(tmp_path, content, status):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    assert read(path).status == status


def test_read_cleans_cells_of_the_wrong_kind(tmp_path):
    data = {"cells": [{"cell_type": "code", "source": 42, "metadata": ["x"]}, "junk",
                      {"cell_type": "markdown", "source": ["a", 3, "b"]}, {"cell_type": "python"}],
            "metadata": {"convlib": "not a dict"}}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(data))
    nb = read(path).notebook
    assert [(c.cell_type, c.source) for c in nb.cells] == [("code", ""), ("markdown", "ab")]
    assert cell_role(nb.cells[0]) == (None, None) and exercise_of_file(nb, path) is None


def test_read_refuses_a_huge_file(tmp_path, monkeypatch):
    from convlib.grading import read as read_module

    monkeypatch.setattr(read_module, "MAX_NOTEBOOK_BYTES", 10)
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nbformat.v4.new_notebook()))
    assert read_module.read(path).status == Status.TOO_LARGE


# ------------------------------------------------------------------------------ identify
def test_exercise_from_metadata_else_from_the_file_name(tmp_path):
    nb = _read("exercises", "02_the_slide")
    assert exercise_of_file(nb, tmp_path / "whatever.ipynb") == "02_the_slide"
    nb.metadata.pop("convlib")
    assert exercise_of_file(nb, tmp_path / "jdoe_02_the_slide (1).ipynb") == "02_the_slide"
    assert exercise_of_file(nb, tmp_path / "holiday.ipynb") is None


# ------------------------------------------------------------------------------ policy
def test_policy_finds_forbidden_names_however_imported():
    assert scan("from convlib import conv2d as c\nc(1, 2)", CONVOLUTION).forbidden == ["conv2d"]
    assert scan("import scipy.signal\nscipy.signal.correlate2d(a, b)", CONVOLUTION).forbidden == ["correlate2d"]
    assert scan("def f(a, k):\n    return np.convolve(a, k)", CONVOLUTION).forbidden == ["convolve"]
    assert scan("def f(a, k):\n    return (a * k).sum()", CONVOLUTION).forbidden == []


@pytest.mark.parametrize("source, reason", [
    ("getattr(np, 'con' + 'volve')", "calls getattr"),
    ("__import__('os')", "calls __import__"),
    ("import importlib", "imports importlib"),
    ("import sys\nsys.modules['x']", "uses sys.modules"),
    ("exec('x = 1')", "calls exec"),
    ("open('/etc/passwd')", "calls open"),
    ("from subprocess import run", "imports from subprocess"),
    ("!ls /", "calls get_ipython"),
    ("%load solution.py", "calls get_ipython"),
    ("f.__globals__", "uses __globals__"),
])
def test_policy_flags_code_that_hides_what_it_calls(source, reason):
    assert reason in scan(source, ()).review


def test_policy_leaves_honest_code_alone():
    assert len(MODULES) == len(list((ROOT / "solutions").glob("*.ipynb")))
    for exercise in MODULES:
        nb = _read("solutions", exercise)
        for cell in nb.cells:
            role, name = cell_role(cell)
            if role == "answer":
                q = next(q for q in questions(exercise) if q.name == name)
                assert scan(cell.source, q.forbidden).forbidden == [] and scan(cell.source).review == [], name


def test_check_in_the_notebook_refuses_a_forbidden_call_kindly():
    from convlib import conv2d

    def feature_map(image, kernel):
        return conv2d(image, kernel)

    outcome, message = image_and_kernel.q2.evaluate(feature_map)
    assert outcome == WRONG and "`conv2d`" in message and "write it yourself" in message


# ------------------------------------------------------------------------------ assemble
def test_graded_copy_takes_only_answers_and_drops_outputs_markers_and_demos():
    submission = _read("exercises", "05_learning_a_filter")
    for cell in submission.cells:
        cell.metadata["tags"] = ["raises-exception", "nbval-skip"]
        if cell_role(cell)[0] == "check":
            cell.source = "print('all good')"
    copy, answers = graded_copy(submission, _read("solutions", "05_learning_a_filter"))
    checks = [c for c in copy.cells if cell_role(c)[0] == "check"]
    assert all(c.source.startswith("ex.q") for c in checks)
    assert cell_role(copy.cells[-1])[0] == "check"  # the demonstration after the last check is gone
    code = [c for c in copy.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and not {"raises-exception", "nbval-skip"} & set(c.metadata["tags"]) for c in code)
    assert all("NotImplementedError" in s for s in answers.values())


def test_hidden_inputs_are_fresh_for_every_draw_and_the_shown_ones_stay():
    asked = questions("01_image_and_kernel")
    one, text_one = inputs_for(asked, np.random.default_rng(1))
    two, text_two = inputs_for(asked, np.random.default_rng(2))
    assert text_one != text_two
    assert one["window_sum"][0].shown and np.array_equal(one["window_sum"][0].args[0], two["window_sum"][0].args[0])
    assert "expected" not in text_one and "reference" not in text_one


def test_the_sandbox_copy_of_convlib_holds_no_answer_key(tmp_path):
    folder = stage(tmp_path / "stage")
    text = "\n".join(p.read_text() for p in folder.rglob("*.py"))
    for answer in ("def window_sum", "def feature_map", "def loss_gradient", "Mistake(", "hidden="):
        assert answer not in text
    assert not (folder / "convlib" / "exercises" / "question.py").exists()
    assert not (folder / "convlib" / "grading" / "judge.py").exists()
    assert (folder / "convlib" / "answers" / "calls.py").exists()  # the recorder calls answers through it
    assert "Recorder('window_sum')" in (folder / "convlib" / "exercises" / "image_and_kernel.py").read_text()


def test_the_sandbox_imports_only_staged_packages_that_every_user_can_read(tmp_path):
    """What a sandbox may import is staged readable by every user; convlib (the answer key) never."""
    dists = packages.distributions()
    assert {"numpy", "matplotlib", "ipykernel", "nbval", "pytest", "pyzmq", "traitlets"} <= set(dists)
    assert "convlib" not in dists and "jupyterlab" not in dists  # the course's own copy; the editor
    tmp_path.chmod(0o755)
    site = packages.stage_packages(tmp_path / "site", {k: dists[k] for k in ("numpy", "traitlets")})
    staged = site / packages.PACKAGES
    assert (staged / "numpy" / "__init__.py").is_file() and (staged / "traitlets" / "__init__.py").is_file()
    assert not (staged / "matplotlib").exists() and not list(staged.glob("convlib*"))
    assert (site / "stdlib" / "json" / "__init__.py").is_file() and not (site / "stdlib" / "test").exists()
    assert list((site / "lib-dynload").glob("_json*.so")) or sys.modules["_json"].__spec__.origin == "built-in"
    folders = [Path(d) for d, _, _ in os.walk(site)]
    assert all(f.stat().st_mode & 0o005 == 0o005 for f in folders)
    assert all(p.stat().st_mode & 0o004 for p in site.rglob("*") if p.is_file())
    command, path = packages.python_command(tmp_path / "stage", "convlib.grading.zygote")
    assert command[1:3] == ["-S", "-P"]
    assert path.split(os.pathsep) == [str(tmp_path / "stage"), *(str(tmp_path / packages.SITE / part)
                                                                   for part in ("stdlib", "lib-dynload", "site-packages"))]


def test_a_path_the_sandbox_uid_cannot_read_is_named_with_its_fix():
    base = Path(tempfile.mkdtemp())  # in /tmp, which every user may pass through
    try:
        base.chmod(0o755)
        private = base / "home"
        private.mkdir(mode=0o700)
        staged = private / "stage"
        staged.mkdir(mode=0o755)
        [(path, what, fix)] = packages.unreachable([staged])
        assert path == str(staged) and "staged" in what and f"chmod o+x {private} " in fix
        private.chmod(0o711)
        assert packages.unreachable([staged]) == []
        private.chmod(0o700)
        with pytest.raises(canary.CanaryFailed, match=f"uid cannot read .*{staged}.*chmod o\\+x {private} "):
            canary.check({"01_image_and_kernel"}, Path("solutions"), base / "canary", grade_file=None, limits=None,
                         uid_mode=True, stage_dirs=[str(staged)])
        assert not (base / "canary").exists()  # stopped before anything ran
    finally:
        shutil.rmtree(base)


def test_a_dead_kernel_is_put_down_to_the_learner_or_the_set_up():
    nb = _read("solutions", "01_image_and_kernel")
    code = [c for c in nb.cells if c.cell_type == "code"]
    number = {cell_role(c): i for i, c in enumerate(code)}
    answer, check = number[("answer", "window_sum")], number[("check", "window_sum")]
    first_answer = min(i for (role, _), i in number.items() if role == "answer")

    def junit(cell):
        return (f'<testsuite><testcase name="Cell {cell}"><failure message="RuntimeError: Kernel died while running '
                'the cell"/></testcase></testsuite>').encode()

    assert "cause: the learner's code: the kernel died in cell" in cause.kernel_death(junit(answer), nb)
    assert "the check that calls the answer window_sum" in cause.kernel_death(junit(check), nb)
    assert cause.kernel_death(junit(0), nb).startswith("cause: the grader's set-up") and first_answer > 0
    assert "most likely the learner's code" in cause.kernel_death(None, nb)
    failed = cause.kernel_death(None, nb, runner_failed=True, log="...\nPermissionError: [Errno 13] /x")
    assert failed.startswith("cause: the grader's set-up") and "PermissionError: [Errno 13] /x" in failed
    assert cause.grader_error("bubblewrap did not start", "sandbox").startswith("cause: the grader's set-up")
    assert "not the learner's code" in cause.grader_error("RecursionError: deep", "grading")


# ------------------------------------------------------------------------------ wire
def test_wire_round_trips_plain_data():
    value = {"a": (np.arange(6, dtype=np.int32).reshape(2, 3), 1.5, float("nan"), [True, None, "x"])}
    back = wire.loads(wire.dumps(value))
    assert back["a"][0].dtype == np.int32 and np.array_equal(back["a"][0], value["a"][0])
    assert np.isnan(back["a"][2]) and back["a"][3] == [True, None, "x"]


@pytest.mark.parametrize("text", [
    '{"__ndarray__": [1], "shape": [1], "dtype": "object"}',
    '{"__ndarray__": [1, 2], "shape": [3], "dtype": "int64"}',
    '{"__ndarray__": [], "shape": [-1], "dtype": "int64"}',
    '{"__ndarray__": ["os.system"], "shape": [1], "dtype": "float64"}',
    "[" * 5000 + "]" * 5000,
    '{"__reduce__": "os.system"}',
])
def test_wire_refuses_what_is_not_plain_data(text):
    with pytest.raises(ValueError):
        wire.loads(text)


def test_wire_refuses_what_is_too_large():
    with pytest.raises(ValueError):
        wire.loads(" " * (wire.MAX_BYTES + 1))
    with pytest.raises((TypeError, ValueError)):
        wire.dumps(object())


# ------------------------------------------------------------------------------ judge
def test_judge_scores_recorded_answers_against_the_reference():
    q = slide.q1
    cases = q.cases_for(np.random.default_rng(5))
    right = [call(slide.output_length, c.args) for c in cases]
    raw = wire.dumps(right).encode()
    assert judge(q, cases, raw).solved
    wrong = [call(lambda n, f, s, p: (n + 2 * p - f) // s, c.args) for c in cases]
    verdict = judge(q, cases, wire.dumps(wrong).encode())
    assert not verdict.solved and "one short" in verdict.message
    assert not judge(q, cases, wire.dumps(right[:-1]).encode()).solved  # not one per input
    assert not judge(q, cases, b"not json").solved
    assert not judge(q, cases, None).solved  # too large to read
    assert "did not run" in judge(q, cases, ...).message
    assert "`output_size`" in judge(q, cases, raw, forbidden=["output_size"]).message


def test_judge_and_check_agree():
    q = image_and_kernel.q2
    records = [call(image_and_kernel.feature_map, c.args) for c in q.cases]
    assert q.judge(q.cases, records)[0] == CORRECT == q.evaluate(image_and_kernel.feature_map)[0]


# ------------------------------------------------------------------------------ the edges
def test_read_takes_regular_files_only_and_never_blocks(tmp_path):
    target = ROOT / "solutions" / "01_image_and_kernel.ipynb"
    (tmp_path / "link.ipynb").symlink_to(target)
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "folder.ipynb").mkdir()
    cases = {"link.ipynb": "a symbolic link", "fifo.ipynb": "a FIFO", "folder.ipynb": "a folder"}
    for name, kind in cases.items():
        submission = read(tmp_path / name)  # a FIFO with no writer: this returns at once
        assert (submission.status, submission.notebook) == (Status.NOT_A_FILE, None)
        assert kind in submission.detail
    assert read("/dev/zero").status == Status.NOT_A_FILE


def test_names_are_shown_escaped():
    latin1 = os.fsdecode(b"J\xe9r\xf4me_01.ipynb")
    assert shown(latin1) == "J\\xe9r\\xf4me_01.ipynb"
    assert shown("a\x1b[31mred\u202eevil\r") == "a\\x1b[31mred\\u202eevil\\x0d"
    assert shown("two\nlines", keep="\n") == "two\nlines"
    shown(latin1).encode("utf-8")  # writable anywhere


def test_wire_refuses_numbers_its_dtype_cannot_hold():
    for text in ('{"__ndarray__": [1000000000000000000000000000000], "shape": [1], "dtype": "int8"}',
                 '{"__complex__": [1' + "0" * 400 + ', 1]}'):
        with pytest.raises(ValueError):
            wire.loads(text)


class _Question:
    """A question whose judging misbehaves, as a reference on a hostile value might."""

    name, forbidden = "window_sum", ()

    def __init__(self, judged):
        self._judged = judged

    def judge(self, cases, records):
        return self._judged()


def test_judging_fails_closed_and_caps_what_it_says():
    raw = wire.dumps([{"kind": "value", "value": 1}]).encode()
    cases = [None]

    def raises():
        raise OverflowError("Python int too large")

    verdict = judge(_Question(raises), cases, raw)
    assert not verdict.solved and "grader error" in verdict.message
    verdict = judge(_Question(lambda: (WRONG, "x" * 10**6)), cases, raw)
    assert not verdict.solved and len(verdict.message) < MESSAGE_MAX + 100
    overflow = b'[{"kind": "value", "value": {"__ndarray__": [1e999999], "shape": [1], "dtype": "int8"}}]'
    assert not judge(_Question(lambda: (CORRECT, "")), cases, overflow).solved


@pytest.mark.parametrize("source, flag", [
    ("import operator, convlib\ndef f(a, b):\n    return operator.attrgetter('conv' + '2d')(convlib)(a, b)", "attrgetter"),
    ("import pydoc\ndef f(a, b):\n    return pydoc.locate('convlib.conv2' + 'd')(a, b)", "imports pydoc"),
    ("import functools, convlib\ndef f(a, b):\n    return functools.reduce(getattr, ['conv2d'], convlib)(a, b)",
     "uses getattr"),
    ("import posix", "imports posix"), ("import pkgutil", "imports pkgutil"), ("import zipimport", "imports zipimport"),
    ("import numpy as np\nc = np.ctypeslib.ctypes", "ctypeslib"),
])
def test_policy_flags_the_simplest_hides(source, flag):
    assert any(flag in item for item in scan(source, CONVOLUTION).review)


def test_a_forbidding_exercise_gets_a_convlib_without_conv2d(tmp_path):
    staged = stages(tmp_path / "stage")
    bare, full = staged["01_image_and_kernel"], staged["04_filter_effects"]
    assert bare != full
    probe = ("import convlib, convlib.conv, convlib.data, convlib.plot\n"
             "print(hasattr(convlib, 'conv2d'), hasattr(convlib.conv, 'conv2d_loop'), hasattr(convlib, 'output_size'))")
    for folder, expected in ((bare, "False False False"), (full, "True True True")):  # exercise 1 forbids output_size
        done = subprocess.run([sys.executable, "-P", "-c", probe], env={"PYTHONPATH": str(folder)}, cwd=tmp_path,
                              capture_output=True, text=True)
        assert done.stdout.split() == expected.split(), done.stderr
    text = "\n".join(p.read_text() for p in (bare / "convlib").rglob("*.py"))
    assert "def conv2d(" not in text and "def conv2d_loop(" not in text and "def conv_plane(" not in text


def test_a_call_is_limited_by_its_own_cpu_time_not_by_the_clock():
    def sleeps():
        time.sleep(0.5)
        return 1

    def spins():
        while True:
            pass

    assert call(sleeps, (), seconds=0.2) == {"kind": "value", "value": 1}  # waiting uses no CPU
    assert call(spins, (), seconds=0.2)["kind"] == "timeout"


def test_the_policy_reads_answers_within_a_memory_bound():
    from convlib.answers.policy import Scanner, ScanRefused

    scanner = Scanner(memory=190 * 2**20)  # this Python with IPython: about 150 MB of address space
    try:
        assert scanner.scan("from convlib import conv2d", CONVOLUTION).forbidden == ["conv2d"]
        with pytest.raises(ScanRefused):
            scanner.scan("x = [" + "[1, 2.5, 'a']," * 20_000 + "]\n", ())  # 256 KB whose tree outgrows the bound
        assert scanner.scan("import os", ()).review == ["imports os"]  # a fresh process for the next answer
    finally:
        scanner.close()


def test_the_policy_reads_each_answer_within_its_cpu_seconds():
    """The answer reader runs outside any sandbox: past its CPU seconds for one answer, the kernel
    ends it (SIGXCPU), however long the answer would take; with more seconds, the same answer is read."""
    import signal

    answer = json.dumps({"source": "!ls\n" * 480, "forbidden": []}) + "\n"  # IPython's rewriting: seconds of CPU

    def serve(seconds):
        process = subprocess.Popen([sys.executable, "-P", "-m", "convlib.answers.policy", str(2**31), str(seconds)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/")
        reply = process.communicate(answer, timeout=120)[0]
        return process.returncode, reply

    code, reply = serve(1)
    assert code == -signal.SIGXCPU and reply == ""
    code, reply = serve(60)
    assert code == 0 and json.loads(reply)["forbidden"] == []


# ------------------------------------------------------------------------------ the execute step's set-up
@pytest.mark.parametrize("timeout", [1, 8, 60, 75, 150, 600])
def test_one_rule_gives_the_notebook_its_time_however_the_limits_are_made(timeout):
    from convlib.grading.limits import Limits, TimeLimits

    from_options = Limits.from_options(memory=3 * 2**30, timeout=timeout)
    assert from_options.wall == Limits(cell_timeout=timeout).wall == TimeLimits(cell=timeout).notebook
    assert from_options.wall == max(300, 4 * timeout) == from_options.times.notebook
    assert (from_options.memory, from_options.cell_timeout) == (3 * 2**30, timeout)
    assert Limits.from_options() == Limits() and Limits().wall == 300
    assert Limits(cell_timeout=timeout, wall=0.5).wall == timeout  # asked for less than a cell: a cell


def test_a_sandbox_leaves_its_files_read_within_caps_never_through_a_link(tmp_path):
    from convlib.grading.capped import NotRegularFile, read_capped
    from convlib.grading.limits import Limits
    from convlib.grading.sandbox import collect

    out = tmp_path / "out"
    (out / "answers").mkdir(parents=True)
    (out / "answers" / "small.json").write_text("[1]")
    (out / "answers" / "big.json").write_text("[" + "1, " * 1000 + "1]")
    (out / "answers" / "link.json").symlink_to(out / "answers" / "small.json")
    os.mkfifo(out / "answers" / "fifo.json")  # no writer: opening it must not block
    (out / "junit.xml").symlink_to(ROOT / "solutions" / "01_image_and_kernel.ipynb")
    (out / "runner.log").write_bytes(b"x" * 100_000 + b"the end")
    result = collect(str(out), Limits(out_size=1000, log_tail=64))
    assert result.answers == {"small": b"[1]", "big": None, "link": None, "fifo": None}
    assert result.junit is None
    assert len(result.log_tail) == 64 and result.log_tail.endswith("the end")
    with pytest.raises(NotRegularFile):
        read_capped(out / "answers" / "fifo.json", 10)
    assert read_capped(out / "answers" / "small.json", 3)[0] == b"[1]"
    assert read_capped(out / "answers" / "small.json", 2)[0] is None


def test_the_runner_hands_a_call_the_limits_the_grader_sent(tmp_path):
    """The grader's limits reach a call of the learner's function one way only: as plain data
    to the runner, which puts them in the environment its kernel inherits."""
    from convlib.grading.limits import Limits

    limits = Limits(cell_timeout=8, check_time_limit=2).for_process(cgroup=True)
    program = ("import json, sys\nfrom convlib.grading import runner\n"
               "runner._environment(sys.argv[1], json.loads(sys.argv[2]))\n"
               "from convlib.answers.calls import time_limit, wall_limit\n"
               "import os\nprint(time_limit(), wall_limit(time_limit()), os.environ['CONVLIB_GRADING_DIR'])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVLIB_")}
    done = subprocess.run([sys.executable, "-P", "-c", program, str(tmp_path), json.dumps(limits)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2.0", "4.0", str(tmp_path)]
    assert (tmp_path / "tmp" / "rt").stat().st_mode & 0o777 == 0o700  # the kernel's sockets: this uid's alone


def test_the_staged_convlib_holds_every_module_that_runs_inside(tmp_path):
    """What runs inside imports only what is staged for it: no grading module of the grader's side."""
    from convlib.grading.stage import SANDBOX_MODULES

    folder = stage(tmp_path / "stage")
    inside = sorted(f"convlib.grading.{name[:-3]}" for name in SANDBOX_MODULES if name != "__init__.py")
    program = (f"import {', '.join(inside)}\nimport convlib, sys\nprint(convlib.__file__)\n"
               "print(' '.join(sorted(m for m in sys.modules if m.startswith('convlib.grading.'))))")
    done = subprocess.run([sys.executable, "-P", "-c", program], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(folder)), cwd="/")
    assert done.returncode == 0, done.stderr
    where, imported = done.stdout.splitlines()
    assert where.startswith(str(folder))
    assert imported.split() == inside and {"convlib.grading.environment", "convlib.grading.exits"} <= set(inside)


def test_exit_statuses_read_alike_from_a_wait_status_and_a_return_code():
    import signal

    from convlib.grading import exits

    child = os.fork()
    if child == 0:
        os.kill(os.getpid(), signal.SIGKILL)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    code = exits.from_wait_status(status)
    assert code == exits.from_returncode(-signal.SIGKILL) == exits.SIGNALLED + signal.SIGKILL
    assert exits.outcome(code) == (True, False) and not exits.set_up_failed(code)
    assert exits.outcome(exits.runner_code(0, False, True)) == (False, True)
    assert exits.set_up_failed(exits.STILL_PRIVILEGED) and exits.outcome(exits.CHILD_FAILED) == (True, False)


@pytest.mark.sandbox  # it makes an Executor (which make check's guard refuses), though it starts none
def test_a_run_stages_only_the_exercises_it_grades_and_refuses_any_other(tmp_path):
    from convlib.grading.sandbox import Executor

    staged = stages(tmp_path / "stage", {"01_image_and_kernel"})
    assert list(staged) == ["01_image_and_kernel"]
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == ["python", "without-01_image_and_kernel"]
    executor = Executor(staged, kind="none", work_dir=tmp_path)
    with pytest.raises(LookupError, match="no sandbox was staged for the exercise '04_filter_effects'"):
        executor.execute("{}", "{}", exercise="04_filter_effects")  # not another exercise's copy


def test_reading_a_notebook_builds_no_iri_grammar():
    """jsonschema imports rfc3987-syntax when installed, which builds 38 parsers (1.3 s) as it is
    imported; the course's readers and the sandbox's runner leave it out, and still validate."""
    program = ("import sys\nfrom convlib.notebook import import_nbformat\nnb = import_nbformat()\n"
               "nb.validate(nb.read('solutions/01_image_and_kernel.ipynb', as_version=4))\n"
               "import convlib.grading.runner as r\nr.prepare()\n"
               "print(sorted(m for m in ('lark', 'rfc3987_syntax', 'jsonschema', 'nbval') if sys.modules.get(m)))")
    done = subprocess.run([sys.executable, "-P", "-c", program], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['jsonschema',", "'nbval']"]
