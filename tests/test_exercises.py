"""Exercise questions: correct answers pass, common mistakes get their own feedback, hard-coding fails."""

import ast
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from convlib import conv2d, output_size
from convlib.exercises import CORRECT, MODULES, NOT_ATTEMPTED, WRONG, answer_key, question, questions
from convlib.exercises import depth, filter_effects, image_and_kernel, learning, slide
from convlib.answers import calls

ROOT = Path(__file__).resolve().parent.parent
ALL = [q for exercise in MODULES for q in questions(exercise)]
IDS = [q.name for q in ALL]


def not_implemented(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_reference_passes_and_stub_is_not_attempted(q, capsys):
    assert q.evaluate(q.reference)[0] == CORRECT
    assert q.evaluate(not_implemented)[0] == NOT_ATTEMPTED
    assert q.evaluate(None)[0] == NOT_ATTEMPTED
    q.check(not_implemented)
    assert "not attempted yet" in capsys.readouterr().out and q.last_outcome == NOT_ATTEMPTED


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_every_mistake_gets_its_own_message(q):
    for mistake in q.mistakes:
        outcome, message = q.evaluate(mistake.fn)
        assert outcome == WRONG
        assert mistake.message in message, (mistake.message, message)


@pytest.mark.parametrize("q", [q for q in ALL if any(c.shown for c in q.cases)], ids=lambda q: q.name)
def test_hard_coded_answer_to_the_shown_example_fails(q):
    shown = next(c for c in q.cases if c.shown)
    answer = q.reference(*shown.args)
    outcome, message = q.evaluate(lambda *args: answer)
    assert outcome == WRONG and "an input you have not seen" in message


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_at_least_two_numbered_hints(q, capsys):
    assert len(q.hints) >= 2
    q._hints_given = 0
    q.hint()
    q.hint()
    out = capsys.readouterr().out
    assert f"Hint 1 of {len(q.hints)}" in out and f"Hint 2 of {len(q.hints)}" in out


def test_at_least_three_questions_per_exercise():
    for exercise in MODULES:
        assert len(questions(exercise)) >= 3


# ------------------------------------------------------ one text per answer: solutions/


MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _answer_cells(exercise):
    """{name: cell text} of the answer cells of solutions/<exercise>.ipynb, read from its JSON."""
    nb = json.loads((ROOT / "solutions" / f"{exercise}.ipynb").read_text(encoding="utf-8"))
    cells = {}
    for cell in nb["cells"]:
        name = cell["metadata"].get("convlib", {}).get("answer")
        if name:
            assert name not in cells, f"two answer cells for {name}"
            cells[name] = "".join(cell["source"])
    return cells


@pytest.mark.parametrize("exercise", list(MODULES))
def test_every_question_is_one_answer_cell_of_its_solution_notebook(exercise):
    assert [q.name for q in questions(exercise)] == list(_answer_cells(exercise))


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_solution_prints_the_answer_cell_of_solutions(q, capsys):
    """What a learner sees is the answer cell of solutions/, less the two marker lines."""
    cell = _answer_cells(next(e for e in MODULES if q in questions(e)))[q.name]
    shown = "\n".join(line for line in cell.splitlines() if line.strip() not in MARKERS)
    assert len(shown.splitlines()) == len(cell.splitlines()) - 2
    q.solution()
    assert capsys.readouterr().out == f"One solution for {q.name}:\n\n{shown.strip()}\n"


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_the_reference_is_the_function_of_the_answer_cell(q):
    """The function that judges is compiled from the answer cell itself, not from a copy."""
    cell = _answer_cells(next(e for e in MODULES if q in questions(e)))[q.name]
    code = next(c for c in compile(cell, "cell", "exec").co_consts if getattr(c, "co_name", None) == q.name)
    mine = q.reference.__code__
    assert "solutions/" in mine.co_filename
    assert (mine.co_code, mine.co_names, mine.co_varnames) == (code.co_code, code.co_names, code.co_varnames)
    assert [c for c in mine.co_consts if not hasattr(c, "co_code")] == [c for c in code.co_consts if not hasattr(c, "co_code")]


def test_no_answer_is_retyped_in_the_question_modules():
    """No function of a question's name, and no reference or worked text given by hand."""
    names = set(IDS)
    for path in (ROOT / "convlib" / "exercises").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assert not defined & names, f"{path.name} defines {defined & names}"
        if path.name != "answer_key.py":
            given = {k.arg for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords}
            assert not {"reference", "solution_text"} & given, path.name


def test_the_key_is_read_from_the_solutions_the_wheel_ships(tmp_path):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert project["package-dir"]["convlib.solutions"] == "solutions"
    assert "*.ipynb" in project["package-data"]["convlib.solutions"]
    assert answer_key.SOLUTIONS.resolve() == (ROOT / "solutions").resolve()
    # an edited answer cell changes the key: nothing is read from anywhere else
    nb = json.loads((ROOT / "solutions" / "02_the_slide.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("convlib", {}).get("answer") == "same_padding")
    cell["source"] = "".join(cell["source"]).replace("return (f - 1) // 2", "return f // 2  # also right for odd f")
    (tmp_path / "02_the_slide.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    key = answer_key.answer_key("convlib.exercises.slide", tmp_path)
    assert "return f // 2  # also right for odd f" in key["same_padding"].text and key["same_padding"].function(4) == 2
    assert key["strided_feature_map"].function(np.eye(3), np.ones((1, 1)), 1, 0).tolist() == np.eye(3).tolist()
    with pytest.raises(FileNotFoundError, match="answer key .*03_depth.ipynb is missing"):
        answer_key.answer_key("convlib.exercises.depth", tmp_path)
    with pytest.raises(KeyError, match="not an exercise module"):
        answer_key.answer_key("convlib.exercises.question")


def test_solutions_can_be_hidden(capsys, monkeypatch):
    monkeypatch.setenv("CONVLIB_HIDE_SOLUTIONS", "1")
    for q in ALL:
        q.solution()
        out = capsys.readouterr().out
        assert out == "Solutions are hidden for this course run; ask your instructor.\n"


def test_the_sandbox_copy_holds_no_answer_text(tmp_path):
    """The staged convlib a submission runs against holds no worked answer, whatever its layout."""
    from convlib.grading.stage import stage

    folder = stage(tmp_path / "stage")
    staged = " ".join(" ".join(p.read_text(errors="replace").split()) for p in folder.rglob("*") if p.is_file())
    assert not list(folder.rglob("*.ipynb")) and not list(folder.rglob("answer_key.py"))
    for exercise in MODULES:
        for name, cell in _answer_cells(exercise).items():
            body = " ".join(cell.split(MARKERS[0])[1].split(MARKERS[1])[0].split())
            assert body not in staged, name


def test_feedback_names_what_differs():
    q = image_and_kernel.q2
    outcome, message = q.evaluate(lambda image, kernel: np.zeros((2, 2)))
    assert outcome == WRONG and "shape (2, 2)" in message and "shape (3, 3)" in message
    outcome, message = q.evaluate(lambda image, kernel: 1 / 0)
    assert "raised ZeroDivisionError" in message
    outcome, message = q.evaluate(lambda image, kernel: None)
    assert "returned None" in message and "return statement" in message
    outcome, message = q.evaluate(42)
    assert "should be a function" in message


def test_a_function_that_never_ends_is_stopped(monkeypatch):
    monkeypatch.setattr(calls, "TIME_LIMIT", 0.3)

    def forever(*args):
        while True:
            pass

    outcome, message = slide.q1.evaluate(forever)
    assert outcome == WRONG and "ran for more than 0.3 s" in message


def test_learner_cannot_change_the_cases():
    def vandal(image, kernel, row, col):
        image[:] = 0
        return image_and_kernel.window_sum(image, kernel, row, col)

    assert image_and_kernel.q1.evaluate(vandal)[0] == WRONG
    assert image_and_kernel.q1.evaluate(image_and_kernel.window_sum)[0] == CORRECT


# --------------------------------------------------------------------- references are right


def _reference(name):
    return next(q.reference for q in ALL if q.name == name)


def test_references_agree_with_independent_computations():
    feature_map, feature_map_shape = _reference("feature_map"), _reference("feature_map_shape")
    strided_feature_map, output_length = _reference("strided_feature_map"), _reference("output_length")
    same_padding, depth_conv = _reference("same_padding"), _reference("depth_conv")
    rng = np.random.default_rng(0)
    image, kernel = rng.integers(0, 2, (7, 6)), rng.integers(-2, 3, (3, 2))
    np.testing.assert_array_equal(feature_map(image, kernel), signal.correlate2d(image, kernel, "valid"))
    assert feature_map_shape(image.shape, kernel.shape) == signal.correlate2d(image, kernel, "valid").shape
    np.testing.assert_array_equal(strided_feature_map(image, kernel, 2, 1), conv2d(image, kernel, stride=2, padding=1))
    for n, f, s, p in [(5, 3, 1, 0), (227, 11, 4, 0), (8, 3, 2, 1)]:
        assert output_length(n, f, s, p) == output_size(n, f, stride=s, padding=p)
    assert output_length(9, 5, 1, same_padding(5)) == 9
    volume, filt = rng.random((6, 5, 3)), rng.random((3, 3, 3))
    np.testing.assert_allclose(depth_conv(volume, filt, 0.5), conv2d(volume, filt, 0.5))
    assert _reference("layer_parameters")(5, 3, 6) == 456
    assert _reference("layer_output_shape")((32, 32, 3), 6, 5, 1, 0) == conv2d(np.ones((32, 32, 3)), np.ones((6, 5, 5, 3))).shape


def test_filter_references():
    to_convolution = _reference("to_convolution")
    k = np.arange(9).reshape(3, 3)
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1
    # a true convolution of an impulse reproduces the kernel
    np.testing.assert_array_equal(conv2d(impulse, to_convolution(k), padding=1)[1:4, 1:4], k)
    np.testing.assert_array_equal(signal.convolve2d(impulse, k, "same"), conv2d(impulse, to_convolution(k), padding=1))
    assert _reference("box_blur")(4).sum() == pytest.approx(1)
    q = filter_effects.q1
    assert q.evaluate(lambda: [[1, 0, -1]] * 3)[0] == CORRECT  # another right answer
    assert "horizontal edges" in q.evaluate(lambda: [[1, 1, 1], [0, 0, 0], [-1, -1, -1]])[1]
    assert "flat image" in q.evaluate(lambda: np.ones((3, 3)))[1]
    assert "3x3" in q.evaluate(lambda: np.ones((2, 2)))[1]


def test_gradient_reference_matches_finite_differences():
    rng = np.random.default_rng(1)
    mse_loss, loss_gradient, gradient_step = (_reference(n) for n in ("mse_loss", "loss_gradient", "gradient_step"))
    kernel, image = rng.standard_normal((3, 3)), rng.standard_normal((8, 7))
    target = rng.standard_normal((6, 5))
    numeric = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            step = np.zeros((3, 3))
            step[i, j] = 1e-6
            numeric[i, j] = (mse_loss(kernel + step, image, target) - mse_loss(kernel - step, image, target)) / 2e-6
    np.testing.assert_allclose(loss_gradient(kernel, image, target), numeric, rtol=1e-5, atol=1e-8)
    new = gradient_step(kernel, image, target, 0.01)
    assert mse_loss(new, image, target) < mse_loss(kernel, image, target)


def test_every_hidden_case_can_be_rebuilt_from_its_message():
    import re

    from convlib.exercises import MODULES, hidden_case, questions

    rebuilt = 0
    for exercise in MODULES:
        for q in questions(exercise):
            for case in q.cases:
                if case.shown or not q.hidden:
                    continue
                name, seed, index = re.fullmatch(r"hidden_case\('(\w+)', (\d+), (\d+)\)", case.rebuild).groups()
                again = hidden_case(name, seed, index)
                assert name == q.name and len(again) == len(case.args)
                for a, b in zip(again, case.args):
                    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
                rebuilt += 1
    assert rebuilt > 20


def test_a_failed_hidden_check_on_a_large_input_says_how_to_rebuild_it():
    from convlib.exercises import depth
    from convlib.exercises.question import SMALL

    big = next(c for c in depth.q1.cases if not c.shown and any(np.size(a) > SMALL for a in c.args))
    text = big.describe()
    assert "from convlib.exercises import hidden_case; args = hidden_case('depth_conv'," in text


def _module_from(tmp_path, name, source):
    """Answers written to a file, as a notebook's cells are: their source can be read back."""
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_more_mistakes_are_recognised(tmp_path):
    from convlib.exercises import depth, filter_effects, image_and_kernel

    answers = _module_from(tmp_path, "answers_more", '''
import numpy as np

def window_sum(image, kernel, row, col):
    kh, kw = kernel.shape
    return np.sum(image[row:row + kh, col:col + kw] * kernel[::-1, ::-1])

def feature_map(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = np.sum(image[r:r + kh, c:c + kw] * kernel[:, ::-1])
    return out

def feature_map_convolve(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        out[r] = sum(np.convolve(image[r + i], kernel[i], "valid") for i in range(kh))
    return out

def depth_conv(image, kernel, bias):
    C, H, W = image.shape
    kc, kh, kw = kernel.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = np.sum(image[:, r:r + kh, c:c + kw] * kernel) + bias
    return out

def vertical_edge_kernel():
    return [[1, 0, -1], [2, 0], [1, 0, -1]]
''')
    _, text = image_and_kernel.q1.evaluate(answers.window_sum)
    assert "flipped* kernel" in text and "np.array(" in text
    _, text = image_and_kernel.q2.evaluate(answers.feature_map)
    assert "mirrored left to right" in text
    _, text = image_and_kernel.q2.evaluate(answers.feature_map_convolve)
    assert "uses `convolve`" in text
    _, text = depth.q1.evaluate(answers.depth_conv)
    assert "channels-first (C, H, W)" in text and "Traceback" not in text
    outcome, text = filter_effects.q1.evaluate(answers.vertical_edge_kernel)
    assert outcome == "wrong" and "every row needs three numbers" in text


def test_a_later_answer_that_calls_a_wrong_earlier_one_says_so(tmp_path):
    from convlib.exercises import image_and_kernel, learning

    answers = _module_from(tmp_path, "answers_chain", '''
import numpy as np

def window_sum(image, kernel, row, col):
    return 4

def feature_map(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = window_sum(image, kernel, r, c)
    return out

def loss_gradient(kernel, image, target):
    return np.zeros_like(kernel, dtype=float)

def gradient_step(kernel, image, target, learning_rate):
    return kernel - learning_rate * loss_gradient(kernel, image, target)
''')
    _, text = image_and_kernel.q2.evaluate(answers.feature_map)
    assert "feature_map calls your window_sum, which does not pass its own check yet" in text
    _, text = learning.q3.evaluate(answers.gradient_step)
    assert "gradient_step calls your loss_gradient" in text
    honest = _module_from(tmp_path, "answers_honest_chain", '''
import numpy as np

def window_sum(image, kernel, row, col):
    kh, kw = kernel.shape
    return np.sum(image[row:row + kh, col:col + kw] * kernel)

def feature_map(image, kernel):
    return np.zeros((1, 1)) + window_sum(image, kernel, 0, 0)
''')
    _, text = image_and_kernel.q2.evaluate(honest.feature_map)
    assert "Note:" not in text  # its window_sum is right: the mistake is feature_map's own


def _run_cell(source):
    """The names a notebook cell defines, run as IPython runs it (its text kept in linecache)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    result = shell.run_cell(source)
    assert result.success, result.error_in_exec
    return shell.user_ns


@pytest.mark.parametrize("name, cell", [
    ("feature_map", "from convlib import conv2d as _c\n\ndef feature_map(image, kernel):\n    return _c(image, kernel)\n"),
    ("feature_map", "import convlib as cl\nslide = cl.conv2d\n\ndef feature_map(image, kernel):\n    return slide(image, kernel)\n"),
    ("depth_conv", "from scipy.signal import correlate as corr\n\ndef depth_conv(image, kernel, bias):\n"
                   "    return corr(image, kernel, 'valid')[:, :, 0] + bias\n"),
])
def test_check_refuses_a_forbidden_function_under_any_name_as_the_grader_does(name, cell):
    """check() reads the whole cell the answer was defined in, as the grader's policy reads the
    answer cell: an import or alias above the def is seen by both, with the same message."""
    from convlib.grading.judge import judge
    from convlib.answers.policy import scan

    q = next(q for q in ALL if q.name == name)
    answer = _run_cell(cell)[name]
    outcome, text = q.evaluate(answer)
    graded = judge(q, q.cases, None, scan(cell, q.forbidden).forbidden)
    assert outcome == WRONG and not graded.solved
    assert text == graded.message and "which would do this question's work for you" in text


def test_check_does_not_refuse_what_another_cell_imported():
    """Only the answer's own cell is read: the exercise's import cell does not count against it."""
    _run_cell("from convlib import conv2d\n")
    answer = _run_cell("def feature_map_shape(image_shape, kernel_shape):\n"
                       "    return (image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1)\n")
    assert image_and_kernel.q3.evaluate(answer["feature_map_shape"])[0] == CORRECT


@pytest.mark.parametrize("exercise", list(MODULES))
def test_every_answer_that_calls_a_wrong_earlier_one_says_so(exercise):
    """In every exercise, a later answer may call any earlier one: when both are wrong, check()
    names the earlier one, and the grader finds the call in the answer cell (``calls``)."""
    asked = questions(exercise)
    for index, q in enumerate(asked):
        assert set(q.depends_on) == {earlier.name for earlier in asked[:index]}
        for earlier in asked[:index]:
            cell = (f"def {earlier.name}(*args):\n    return -12345\n\n"
                    f"def {q.name}(*args):\n    {earlier.name}(*args)\n    return -12345\n")
            namespace = _run_cell(cell)
            assert earlier.evaluate(namespace[earlier.name])[0] == WRONG
            outcome, text = q.evaluate(namespace[q.name])
            assert outcome == WRONG and q.calls(cell) == [earlier.name]
            assert q.dependency_note([earlier.name]).strip() in text


def test_a_wrong_layout_names_the_array_its_shape_and_the_expected_one():
    from convlib.exercises import network

    outcome, text = network.q3.evaluate(lambda images, kernels: (images.transpose(0, 3, 1, 2), kernels))
    assert outcome == WRONG and len(text.splitlines()) <= 2
    assert "your kernels have shape (6, 3, 2, 3); expected (6, 3, 3, 2), that is (K, C, kh, kw)" in text
    outcome, text = network.q3.evaluate(lambda images, kernels: (images.reshape(2, 3, 4, 5), kernels.transpose(0, 3, 1, 2)))
    assert outcome == WRONG and "your images have the right shape (2, 3, 4, 5)" in text and "numbers are not where" in text


def test_a_cell_the_policy_cannot_read_is_refused_in_words(monkeypatch):
    """Whatever the policy refuses to read (too large, too deep), check() says so, with no traceback."""
    def refuse(source, forbidden=()):
        raise RecursionError("too deeply nested to read")

    monkeypatch.setattr(question, "scan", refuse)
    outcome, text = image_and_kernel.q1.evaluate(image_and_kernel.q1.reference)
    assert outcome == WRONG and "could not be read (too deeply nested to read)" in text
