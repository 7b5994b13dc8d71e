"""The usual mistakes of exercises 1, 2 and 4, each submitted as a learner would write it: each gets
its own message, in the learner's terms, and the grader (from what a sandbox records) reaches the
same judgement as check()."""

import numpy as np
import pytest

from convlib.answers.calls import call
from convlib.exercises import CORRECT, WRONG, filter_effects, image_and_kernel, slide
from convlib.exercises.question import Case, Question, _copies, whole_number
from convlib.grading.judge import judge
from convlib.grading.wire import dumps


def graded(q, answer):
    """The grader's verdict on ``answer``, from the records a sandbox would send back."""
    records = [call(answer, _copies(case.args)) for case in q.cases]
    return judge(q, q.cases, dumps(records).encode())


def assert_both(q, answer, *fragments, absent=()):
    """check() and the grader both say WRONG with every fragment in the message, none of ``absent``."""
    outcome, message = q.evaluate(answer)
    verdict = graded(q, answer)
    assert outcome == WRONG and not verdict.solved
    assert verdict.message == message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    for fragment in absent:
        assert fragment not in message, (fragment, message)
    return message


# ------------------------------------------------------------------ exercise 2: the slide


def test_the_one_added_inside_the_floor_is_told_apart_from_one_short():
    def output_length(n, f, stride, padding):
        return (n + 2 * padding - f + 1) // stride

    message = assert_both(slide.q1, output_length, "you added the 1 inside the floor",
                          "(n + 2p - f) // s + 1", absent=("one short",))
    assert "(7, 3, 2, 0)" in message  # right at stride 1, first wrong at the example with stride 2

    def one_short(n, f, stride, padding):
        return (n + 2 * padding - f) // stride

    assert_both(slide.q1, one_short, "you are one short", absent=("inside the floor",))


@pytest.mark.parametrize("answer", [
    lambda f: (f - 1) / 2,
    lambda f: float((f - 1) // 2),
    lambda f: np.float64((f - 1) // 2),
])
def test_same_padding_as_a_float_does_not_pass(answer):
    assert_both(slide.q2, answer, "a whole number", "float", "//")


@pytest.mark.parametrize("answer", [lambda f: (f - 1) // 2, lambda f: np.int64((f - 1) // 2), lambda f: f // 2])
def test_same_padding_as_a_whole_number_passes(answer):
    assert slide.q2.evaluate(answer)[0] == CORRECT
    assert graded(slide.q2, answer).solved


def test_a_float_that_holds_the_right_count_is_told_so():
    """A float no known mistake explains still gets the reason: the right number, but not whole."""
    q = Question("count", reference=lambda n: n // 2, solution_text="", cases=[Case((6,), shown=True)],
                 compare=whole_number("positions"))
    outcome, message = q.evaluate(lambda n: n / 2)
    assert outcome == WRONG and "you returned 3.0, a float: the number is right, but it counts positions" in message
    assert q.evaluate(lambda n: np.int32(n // 2))[0] == CORRECT
    assert "a truth value" in q.evaluate(lambda n: True)[1]
    assert q.evaluate(lambda n: 2.5)[1].endswith("you returned 2.5, expected 3.")


def test_output_length_divided_with_a_slash_is_named():
    assert_both(slide.q1, lambda n, f, s, p: (n + 2 * p - f) / s + 1, "use // rather than /")


def test_dilated_same_padding_right_answers_pass():
    for answer in (lambda f, d: d * (f - 1) // 2, lambda f, d: d * ((f - 1) // 2), lambda f, d: (d * (f - 1) + 1) // 2):
        assert slide.q4.evaluate(answer)[0] == CORRECT
        assert graded(slide.q4, answer).solved
    # the reference agrees with the size conv2d keeps, on sizes it was not written from
    from convlib import conv2d

    for f, d in [(3, 1), (3, 2), (5, 3), (7, 4), (1, 5)]:
        p = slide.q4.reference(f, d)
        assert conv2d(np.zeros((31, 31)), np.ones((f, f)), padding=p, dilation=d).shape == (31, 31)


@pytest.mark.parametrize("answer, fragments", [
    (lambda f, d: (f - 1) // 2, ("padding of the kernel without holes", "d(f - 1) + 1")),
    (lambda f, d: d * (f - 1), ("is the total", "split between the two sides")),
    (lambda f, d: (d * f - 1) // 2, ("not d * f", "no hole after its last tap")),
    (lambda f, d: d * (f - 1) / 2, ("a whole number", "float", "d * (f - 1) // 2")),
])
def test_dilated_same_padding_mistakes(answer, fragments):
    assert_both(slide.q4, answer, *fragments)


def test_exercise_2_asks_about_dilation_with_hints_and_a_solution(capsys):
    q = slide.q4
    assert q.name == "dilated_same_padding" and any(c.shown for c in q.cases)
    assert sum(not c.shown for c in q.cases) >= 4 and any(c.args[1] >= 3 for c in q.cases)
    q._hints_given = 0
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Hint 1 of 2" in out and "return dilation * (f - 1) // 2" in out


# ------------------------------------------------------------------ exercise 4: filter effects


@pytest.mark.parametrize("turn", [1, -1])
def test_a_quarter_turn_is_not_the_flip(turn):
    def to_convolution(kernel):
        return np.rot90(kernel, turn)

    assert_both(filter_effects.q3, to_convolution, "a quarter turn (90°", "half a turn (180°)", "np.rot90(kernel, 2)")


def test_a_half_turn_with_rot90_is_right():
    assert filter_effects.q3.evaluate(lambda kernel: np.rot90(kernel, 2))[0] == CORRECT


def test_the_edge_kernel_message_names_what_it_judges_not_an_empty_input():
    message = assert_both(filter_effects.q1, lambda: [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
                          "on what vertical_edge_kernel() returns", "horizontal edges")
    assert " ()" not in message and "input you have not seen" not in message


# ------------------------------------------------------------------ exercise 1: the window


def test_a_window_cut_3x3_whatever_the_kernel_is_diagnosed():
    def window_sum(image, kernel, row, col):
        return np.sum(image[row:row + 3, col:col + 3] * kernel)

    message = assert_both(image_and_kernel.q1, window_sum, "raised ValueError",
                          "your window is 3x3, the size of the lesson's kernel, but this kernel is",
                          "kh, kw = kernel.shape", "Call it with these arguments")
    kernel = next(c.args[1] for c in image_and_kernel.q1.cases if call(window_sum, c.args)["kind"] == "error")
    assert f"this kernel is {kernel.shape[0]}x{kernel.shape[1]}" in message

    def feature_map(image, kernel):
        kh, kw = kernel.shape
        out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
        for r in range(out.shape[0]):
            for c in range(out.shape[1]):
                out[r, c] = np.sum(image[r:r + 3, c:c + 3] * kernel)
        return out

    assert_both(image_and_kernel.q2, feature_map, "your window is 3x3, the size of the lesson's kernel")


def test_a_loop_that_runs_past_the_edge_is_diagnosed():
    def feature_map(image, kernel):
        kh, kw = kernel.shape
        out = np.zeros((image.shape[0] - kh + 2, image.shape[1] - kw + 1))
        for r in range(out.shape[0]):
            for c in range(out.shape[1]):
                out[r, c] = np.sum(image[r:r + kh, c:c + kw] * kernel)
        return out

    assert_both(image_and_kernel.q2, feature_map, "your window is 2x3 but the kernel is 3x3",
                "runs past the image's last row or column", "H - kh + 1", "Try it on the example above")


def test_a_broadcast_error_of_other_shapes_still_gets_advice():
    def window_sum(image, kernel, row, col):
        return np.sum(image[row:row + 3, col:col + 3] * kernel.ravel())

    message = assert_both(image_and_kernel.q1, window_sum, "you multiplied arrays of shapes (3, 3) and (9,)",
                          "the window must have the kernel's shape")
    assert "Traceback" not in message
