"""Exercise 3: filters through the full depth of the input, and a layer of them."""

import numpy as np

from ..data import small_photo
from .answer_key import answer_key
from .forbidden import CONVOLUTION, CONVOLUTION_OR_SIZE
from .question import Case, Mistake


key = answer_key(__name__)  # solutions/03_depth.ipynb
depth_conv, layer_output_shape = key["depth_conv"].function, key["layer_output_shape"].function
_photo = (small_photo(8) / 255.0).round(2)

q1 = key.question(
    "depth_conv",
    cases=[Case((_photo, np.random.default_rng(3003).integers(-1, 2, (3, 3, 3)), 0.5), shown=True)],
    hidden=lambda rng: [Case((rng.integers(0, 4, (6, 5, 3)), rng.integers(-2, 3, (3, 2, 3)), int(rng.integers(1, 4)))),
                        Case((rng.integers(0, 4, (5, 5, 2)), rng.integers(-2, 3, (2, 2, 2)), -int(rng.integers(1, 4)))),
                        Case((rng.integers(0, 4, (4, 6, 4)), rng.integers(-2, 3, (3, 3, 4)), 0))],
    error_hints=[(r"broadcast", "Channels come last here: the image is (H, W, C) and the kernel (kh, kw, C), "
                                "so image[:, :, c] is channel c. Did your code read them as channels-first (C, H, W)?")],
    forbidden=CONVOLUTION,
    mistakes=[
        Mistake(lambda im, k, b: depth_conv(im, k, 0), "the bias is missing: add it once to every output."),
        Mistake(lambda im, k, b: depth_conv(im, k, b * im.shape[2]),
                "you added the bias once per channel; a filter has one bias, added once."),
        Mistake(lambda im, k, b: depth_conv(im[:, :, :1], k[:, :, :1], b),
                "only the first channel counts in your map: the filter goes through all channels."),
        Mistake(lambda im, k, b: (depth_conv(im, k, 0) / im.shape[2]) + b,
                "you averaged over the channels; the filter *sums* over them."),
    ],
    hints=[
        "Same loops as in lesson 1; the window is now image[row : row + kh, col : col + kw, :], a small volume.",
        "window * kernel multiplies all kh*kw*C numbers; np.sum adds them all, across channels too. Then + bias.",
        "To compare, call convlib.conv2d(image, kernel, bias) in a cell of its own: the check refuses an answer "
        "cell that uses it.",
    ],
)

q2 = key.question(
    "layer_output_shape",
    depends_on=("depth_conv",),
    cases=[Case(((32, 32, 3), 6, 5, 1, 0), shown=True)],
    hidden=lambda rng: [Case(((32, 32, 3), int(rng.integers(2, 20)), 5, 1, 2)), Case(((227, 227, 3), 96, 11, 4, 0)),
                        Case(((int(rng.integers(20, 40)), int(rng.integers(12, 30)), 16), 8, 3, 2, 1)),
                        Case(((9, 9, 1), 4, 3, 3, 0))],
    forbidden=CONVOLUTION_OR_SIZE,
    mistakes=[
        Mistake(lambda s, k, f, st, p: layer_output_shape(s, s[2], f, st, p),
                "the depth of the output is the number of filters, not the input's channels."),
        Mistake(lambda s, k, f, st, p: layer_output_shape(s, k, f, st, p)[:2],
                "the output is a volume: (H', W', number of filters)."),
        Mistake(lambda s, k, f, st, p: ((s[0] + 2 * p - f) // st, (s[1] + 2 * p - f) // st, k),
                "each side is one short: the output length is (n + 2p - f) // stride + 1."),
    ],
    hints=[
        "Each filter makes one activation map of H' x W'; the maps are stacked.",
        "H' = (H + 2p - f) // stride + 1, likewise W'.",
    ],
)

q3 = key.question(
    "layer_parameters",
    depends_on=("depth_conv", "layer_output_shape"),
    cases=[Case((5, 3, 6), shown=True)],
    hidden=lambda rng: [Case((3, 3, int(rng.integers(8, 128)))), Case((11, 3, 96)),
                        Case((1, int(rng.integers(2, 64)), int(rng.integers(2, 32)))), Case((3, 64, 128))],
    mistakes=[
        Mistake(lambda f, c, k: f * f * c * k, "each filter also has one bias."),
        Mistake(lambda f, c, k: (f * f + 1) * k, "a filter goes through the full depth: f * f * channels weights."),
        Mistake(lambda f, c, k: f * f * c + 1, "that is one filter; the layer has n_filters of them."),
    ],
    hints=["Count one filter first: f x f x channels weights, plus a bias.", "Then multiply by the number of filters."],
)
