"""Exercise 7: a small CNN: ReLU, the pooled size, max pooling, the conv layer's weight gradient."""

import numpy as np

from .answer_key import answer_key
from .question import Case, Mistake

key = answer_key(__name__)  # solutions/07_a_small_cnn.ipynb
pool_output_size, max_pool, filter_gradient = (key[name].function for name in ("pool_output_size", "max_pool",
                                                                               "filter_gradient"))

# the mistakes below pool with this name: the answer's own may not call max_pool
_pool = max_pool


def _pooled_per_channel(x, size, stride):
    """(H, W, C) read as channels-first (C, H, W): the windows move over W and C, H is kept."""
    return np.moveaxis(_pool(np.moveaxis(x, 0, -1), size, stride), -1, 0)


def _average_pool(x, size, stride):
    out_h, out_w = pool_output_size(x.shape[0], size, stride), pool_output_size(x.shape[1], size, stride)
    return np.array([[x[r * stride : r * stride + size, c * stride : c * stride + size].mean(axis=(0, 1))
                      for c in range(out_w)] for r in range(out_h)])


q1 = key.question(
    "relu",
    cases=[Case((np.array([[-2.0, 0.0, 3.0], [1.5, -0.5, 5.0]]),), shown=True)],
    hidden=lambda rng: [Case((rng.normal(size=(7,)).round(2),)), Case((rng.normal(size=(4, 5)).round(2),)),
                        Case((rng.normal(size=(3, 4, 2)).round(2),)), Case((rng.integers(-5, 6, (2, 3, 3, 2)),))],
    forbidden=("relu", "maximum_filter"),
    mistakes=[
        Mistake(lambda x: np.minimum(x, 0),
                "your ReLU is on the wrong side of 0: it keeps the negative numbers and drops the positive ones. "
                "ReLU keeps max(x, 0)."),
        Mistake(lambda x: np.abs(x), "you turned the negative numbers positive (np.abs); ReLU sets them to 0."),
        Mistake(lambda x: x > 0,
                "you returned where x is positive (True/False); return the numbers themselves there, and 0 elsewhere."),
        Mistake(lambda x: np.clip(x, 0, 1), "you capped the numbers at 1: ReLU leaves every positive number as it is."),
        Mistake(lambda x: np.max(x, 0),
                "np.max(x, 0) is the largest number along axis 0 (its 0 is an axis, not a number to compare "
                "with), so your result lost that axis. ReLU compares every number with 0 and keeps the shape: "
                "np.maximum(x, 0)."),
    ],
    hints=[
        "ReLU works number by number: a positive number stays, a negative one becomes 0. The shape does not change.",
        "np.maximum(x, 0) compares every number with 0 and keeps the larger (not np.max, which gives one number).",
    ],
)

q2 = key.question(
    "pool_output_size",
    cases=[Case((6, 2, 2), shown=True)],
    hidden=lambda rng: [Case((7, 2, 2)), Case((7, 3, 2)), Case((8, 3, 1)), Case((10, 4, 3))]
    + [Case((int(n), int(f), int(s))) for n, f, s in zip(rng.integers(9, 40, 2), rng.integers(2, 5, 2), rng.integers(2, 4, 2))],
    forbidden=("output_size", "max_pool"),
    depends_on=("relu",),
    mistakes=[
        Mistake(lambda n, f, s: n - f + 1,
                "that is the number of windows at stride 1: the stride was forgotten. Each window starts `stride` "
                "pixels after the one before."),
        Mistake(lambda n, f, s: n // f,
                "n // size counts the windows only when they sit side by side and fill the map exactly; count the "
                "window starts instead: (n - size) // stride + 1."),
        Mistake(lambda n, f, s: n // s,
                "n // stride counts the windows only when they fill the map exactly; count the window starts: "
                "0, stride, 2 * stride, ... up to n - size."),
        Mistake(lambda n, f, s: (n - f) // s, "one short: the first window, at 0, counts too (+ 1)."),
        Mistake(lambda n, f, s: -(-(n - f) // s) + 1,
                "you rounded up: a window that would stick out past the edge does not count, so round down (//)."),
    ],
    hints=[
        "The windows start at 0, stride, 2 * stride, ...; the last start must leave room for the whole window: at most n - size.",
        "So there are (n - size) // stride + 1 of them: the convolution's size formula without padding.",
    ],
)

q3 = key.question(
    "max_pool",
    cases=[Case((np.array([[[1, 0], [3, 2], [2, 5], [0, 1]],
                           [[4, 1], [2, 0], [1, 1], [1, 3]],
                           [[0, 2], [0, 7], [5, 0], [6, 2]],
                           [[1, 1], [2, 0], [7, 4], [0, 0]]]), 2, 2), shown=True)],
    hidden=lambda rng: [Case((rng.integers(-9, 10, (6, 6, 3)), 2, 2)), Case((rng.integers(-9, 10, (7, 5, 2)), 3, 2)),
                        Case((rng.integers(-9, 10, (5, 6, 2)), 2, 1)), Case((rng.normal(size=(8, 7, 4)).round(2), 3, 3)),
                        Case((rng.integers(0, 9, (9, 9, 3)), 3, 2))],
    forbidden=("max_pool", "maximum_filter", "block_reduce", "max_pool2d", "MaxPool2d"),
    depends_on=("relu", "pool_output_size"),
    mistakes=[
        Mistake(_pooled_per_channel,
                "you pooled over the wrong axes: x is (H, W, C), so the window moves over the first two axes (rows "
                "and columns) and each channel is pooled on its own."),
        Mistake(lambda x, f, s: _pool(x, f, s).max(axis=-1),
                "you took the maximum over the channels too: each channel is pooled on its own, so the depth stays "
                "(window.max(axis=(0, 1)))."),
        Mistake(lambda x, f, s: np.repeat(_pool(x, f, s).max(axis=-1, keepdims=True), x.shape[2], axis=-1),
                "every channel got the same number: the maximum over the window *and* the channels. Take one "
                "maximum per channel: window.max(axis=(0, 1))."),
        Mistake(lambda x, f, s: _pool(x, f, 1),
                "your windows move one pixel at a time: the stride was forgotten. Window (r, c) starts at row "
                "r * stride, column c * stride."),
        Mistake(lambda x, f, s: _pool(x, f, f),
                "your windows move by the window's size; move them by stride: window (r, c) starts at row "
                "r * stride, column c * stride."),
        Mistake(_average_pool,
                "that is average pooling, the mean of each window (lesson 7 compares it with max pooling under a "
                "shift): max pooling keeps the largest number of each window, window.max(axis=(0, 1))."),
        Mistake(lambda x, f, s: _pool(x, f, s)[:-1, :-1],
                "your map is one window short on each side: there are (H - size) // stride + 1 window starts."),
    ],
    hints=[
        "The output has (H - size) // stride + 1 rows, as many columns by the same rule with W, and the same C.",
        "Loop over the output's rows r and columns c; the window is x[r * stride : r * stride + size, "
        "c * stride : c * stride + size, :].",
        "window.max(axis=(0, 1)) gives the C maxima at once, one per channel.",
    ],
)

q4 = key.question(
    "filter_gradient",
    cases=[Case((np.array([[[1, 0, 2, 1, 0], [0, 1, 1, 0, 2], [2, 0, 0, 1, 1], [1, 1, 0, 0, 2], [0, 2, 1, 1, 0]],
                           [[0, 1, 0, 0, 1], [1, 2, 1, 0, 0], [0, 0, 1, 2, 1], [2, 1, 0, 1, 0], [1, 0, 0, 1, 2]]]),
                 np.array([[[[1, 0], [0, -1], [2, 1]], [[-1, 1], [1, 0], [0, 2]], [[0, -2], [1, 1], [-1, 0]]],
                           [[[2, 1], [-1, 0], [0, 1]], [[1, -1], [0, 2], [1, 0]], [[-2, 0], [0, 1], [1, -1]]]])),
                shown=True)],
    hidden=lambda rng: [Case((rng.normal(size=(3, 6, 7)).round(2), rng.normal(size=(3, 4, 5, 2)).round(2))),
                        Case((rng.normal(size=(2, 8, 8)).round(2), rng.normal(size=(2, 5, 6, 3)).round(2))),
                        Case((rng.integers(0, 3, (4, 5, 5)), rng.integers(-2, 3, (4, 4, 4, 1))))],
    forbidden=("conv_backward", "loss_and_gradients", "numerical_gradient"),
    depends_on=("relu", "pool_output_size", "max_pool"),
    mistakes=[
        Mistake(lambda x, d: filter_gradient(x[:1], d[:1]),
                "you used only the first image: each image of the batch adds its own part to the gradient."),
        Mistake(lambda x, d: filter_gradient(x, d) / len(x),
                "you divided by the number of images: d_maps is already the gradient of the batch's loss, so add "
                "the images' parts up as they are."),
        Mistake(lambda x, d: filter_gradient(x, d)[:, ::-1, ::-1],
                "your gradient is turned half a turn: weight (i, j) multiplied images[n, r + i, c + j], so slide "
                "the image under the error map as it is (cross-correlation, conv2d(image, error), as in lesson 5)."),
        Mistake(lambda x, d: filter_gradient(x, d).transpose(1, 2, 0),
                "your filters come last: return (K, kh, kw), one kh x kw gradient per filter, filters first."),
        Mistake(lambda x, d: filter_gradient(x, d[..., ::-1]),
                "your filters are in reverse order: gradient k belongs to d_maps[..., k]."),
        Mistake(lambda x, d: -filter_gradient(x, d),
                "your gradient has the wrong sign: it points to where the loss falls. Each weight's gradient adds "
                "up d_maps times the pixel the weight multiplied, with a + sign; the minus belongs to the step of "
                "gradient descent (w -= learning_rate * gradient), not to the gradient."),
    ],
    error_hints=[(r"kernel is \d+x\d+ but the image is only",
                  "conv2d(image, error): the image goes first and the error map slides over it (lesson 5).")],
    hints=[
        "For one image and one filter this is lesson 5's gradient: conv2d(image, error map), of the kernel's shape.",
        "Filter k's error maps are d_maps[:, :, :, k]; add conv2d(images[n], d_maps[n, :, :, k]) up over the images n.",
        "Stack the K results into an array (K, kh, kw), with kh = H - H' + 1 and kw = W - W' + 1.",
    ],
)
