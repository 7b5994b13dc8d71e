"""Exercise 2: the slide, with stride, zero padding and dilation."""

import numpy as np

from ..data import binary_image, x_kernel
from .answer_key import answer_key
from .forbidden import CONVOLUTION_OR_SLIDE
from .question import Case, Mistake, whole_number


def _lengths(rng):
    cases = []
    for _ in range(6):
        f = int(rng.integers(1, 12))
        stride, padding = int(rng.integers(1, 5)), int(rng.integers(0, 4))
        cases.append(Case((int(rng.integers(max(1, f - 2 * padding), 240)), f, stride, padding)))
    return cases


key = answer_key(__name__)  # solutions/02_the_slide.ipynb
output_length, strided_feature_map = key["output_length"].function, key["strided_feature_map"].function


q1 = key.question(
    "output_length",
    cases=[Case((5, 3, 1, 0), shown=True), Case((7, 3, 2, 0), shown=True)],
    hidden=_lengths,
    compare=whole_number("positions"),
    forbidden=CONVOLUTION_OR_SLIDE,
    mistakes=[
        # before "one short": at a stride of 2 or more both can give the same number
        Mistake(lambda n, f, s, p: (n + 2 * p - f + 1) // s,
                "you added the 1 inside the floor, (n + 2p - f + 1) // s, so the stride divides it too. "
                "The first position counts once, whatever the stride: divide the free room first, "
                "then add 1: (n + 2p - f) // s + 1."),
        Mistake(lambda n, f, s, p: (n + 2 * p - f) // s, "you are one short: the first position counts too (+ 1)."),
        Mistake(lambda n, f, s, p: (n + p - f) // s + 1, "padding adds zeros on *both* sides: n + 2p."),
        Mistake(lambda n, f, s, p: -(-(n + 2 * p - f) // s) + 1,
                "you rounded up; a kernel that would hang over the edge is not a position: round down (//)."),
        Mistake(lambda n, f, s, p: n + 2 * p - f + 1, "the stride divides the free room: (n + 2p - f) // s."),
        Mistake(lambda n, f, s, p: (n + 2 * p - f) / s + 1, "positions are whole numbers: use // rather than /."),
    ],
    hints=[
        "Without padding or stride there are n - f + 1 positions.",
        "Padding p makes the input n + 2p long; a stride s divides the free room n + 2p - f, rounded down.",
    ],
)

q2 = key.question(
    "same_padding",
    depends_on=("output_length",),
    cases=[Case((3,), shown=True)],
    hidden=lambda rng: [Case((1,))] + [Case((int(f),)) for f in 2 * rng.integers(2, 8, 4) + 1],
    compare=whole_number("zeros on each side"),
    forbidden=CONVOLUTION_OR_SLIDE,
    mistakes=[
        Mistake(lambda f: (f - 1) / 2, "a padding is a count of zeros, a whole number, but you returned a "
                                       "float (1.0 for f = 3; / always gives one): divide with //, (f - 1) // 2."),
        Mistake(lambda f: f - 1, "f - 1 zeros is the total; they are split between the two sides."),
        Mistake(lambda f: f, "that pads too much: with p = f the output is n + f + 1 long, larger than the "
                             "input (a 1x1 kernel, f = 1, needs no padding at all: p = 0)."),
    ],
    hints=[
        "The output length at stride 1 is n + 2p - f + 1. For which p is that n?",
        "n + 2p - f + 1 = n gives p = (f - 1) / 2, a whole number for odd f.",
    ],
)

q3 = key.question(
    "strided_feature_map",
    depends_on=("output_length", "same_padding"),
    cases=[Case((binary_image(), x_kernel(), 2, 1), shown=True)],
    hidden=lambda rng: [Case((binary_image(), x_kernel(), 1, 0)),
                        Case((rng.integers(0, 2, (7, 9)), rng.integers(-2, 3, (3, 3)), 2, 0)),
                        Case((rng.integers(0, 2, (6, 6)), rng.integers(-2, 3, (3, 2)), 3, 2)),
                        Case((rng.integers(0, 5, (8, 5)), rng.integers(-2, 3, (2, 2)), 1, 1))],
    forbidden=CONVOLUTION_OR_SLIDE,
    mistakes=[
        Mistake(lambda im, k, s, p: strided_feature_map(im, k, 1, p),
                "the kernel should move `stride` pixels at a time: top, left = row * stride, col * stride."),
        Mistake(lambda im, k, s, p: strided_feature_map(im, k, s, 0),
                "the padding is missing: put the image inside a larger array of zeros first."),
        Mistake(lambda im, k, s, p: strided_feature_map(im, k[::-1, ::-1], s, p),
                "your kernel is flipped: lay it on the image as it is."),
        Mistake(lambda im, k, s, p: strided_feature_map(np.pad(im, ((0, 2 * p), (0, 2 * p))), k, s, 0)
                if p else None,
                "all your zeros are at the bottom and right: the image goes in the middle of the padded array, "
                "padded[p : p + H, p : p + W] = image, with p zeros on every side."),
    ],
    hints=[
        "First make the padded image: np.zeros of shape (H + 2p, W + 2p), then copy the image into its middle.",
        "The output size along each axis is your output_length; the window of output (row, col) starts at (row * stride, col * stride).",
    ],
)

q4 = key.question(
    "dilated_same_padding",
    depends_on=("output_length", "same_padding", "strided_feature_map"),
    cases=[Case((3, 2), shown=True)],
    hidden=lambda rng: [Case((3, 1)), Case((3, 3)), Case((5, 3))]
    + [Case((int(f), int(d))) for f, d in zip(2 * rng.integers(1, 5, 3) + 1, rng.integers(2, 6, 3))],
    compare=whole_number("zeros on each side"),
    forbidden=CONVOLUTION_OR_SLIDE,
    mistakes=[
        Mistake(lambda f, d: (f - 1) // 2,
                "that is the padding of the kernel without holes. At dilation d the kernel spans d(f - 1) + 1 "
                "pixels, not f, so it needs d times as many zeros."),
        Mistake(lambda f, d: d * (f - 1), "d(f - 1) zeros is the total; they are split between the two sides."),
        Mistake(lambda f, d: (d * f - 1) // 2,
                "the dilated kernel spans d(f - 1) + 1 pixels, not d * f: there is no hole after its last tap."),
        Mistake(lambda f, d: d * (f - 1) / 2, "a padding is a count of zeros, a whole number, but you returned a "
                                              "float (2.0 for f = 3, d = 2; / always gives one): divide with //, "
                                              "d * (f - 1) // 2."),
    ],
    hints=[
        "At stride 1 the output is n + 2p - d(f - 1) long (lesson 2's formula with s = 1). For which p is that n?",
        "n + 2p - d(f - 1) = n gives p = d(f - 1) / 2: d times the padding of the same kernel without holes.",
    ],
)
