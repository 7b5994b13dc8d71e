"""Exercise 1: an image, a kernel, and the feature map they make."""

import numpy as np

from ..data import binary_image, x_kernel
from .answer_key import answer_key
from .forbidden import CONVOLUTION, CONVOLUTION_OR_SIZE
from .question import Case, Mistake


key = answer_key(__name__)  # solutions/01_image_and_kernel.ipynb
window_sum, feature_map = key["window_sum"].function, key["feature_map"].function
BROADCAST = r"broadcast together with shapes \(([\d,]*)\) \(([\d,]*)\)"  # NumPy's words for window * kernel


def _window_is_not_the_kernel(match, args):
    """What a broadcast error in ``window * kernel`` means: the window's shape is not the kernel's."""
    size = lambda shape: "x".join(map(str, shape))  # noqa: E731
    kernel = tuple(int(n) for n in np.shape(args[1]))
    shapes = [tuple(int(n) for n in text.split(",") if n) for text in match.groups()]
    cut = "Cut the window with the kernel's own sizes: kh, kw = kernel.shape, then image[row : row + kh, col : col + kw]."
    window = shapes[1] if shapes[0] == kernel else shapes[0]
    if kernel not in shapes or len(window) != len(kernel):
        return (f"you multiplied arrays of shapes {shapes[0]} and {shapes[1]}, but the window must have the "
                f"kernel's shape, {kernel}. {cut}")
    if window == (3, 3):
        said = f"your window is 3x3, the size of the lesson's kernel, but this kernel is {size(kernel)}"
    else:
        said = f"your window is {size(window)} but the kernel is {size(kernel)}"
    text = f"{said}: to multiply them element by element they need the same shape. {cut}"
    if len(window) == len(kernel) and all(w <= k for w, k in zip(window, kernel)):
        text += (" A window also comes out short when it runs past the image's last row or column: the last "
                 "one starts at row H - kh and column W - kw, so there are H - kh + 1 positions down.")
    return text


q1 = key.question(
    "window_sum",
    cases=[Case((binary_image(), x_kernel(), 0, 0), shown=True)],
    hidden=lambda rng: [Case((binary_image(), x_kernel(), int(r), int(c))) for r, c in rng.integers(0, 3, (3, 2))]
    + [Case((rng.integers(0, 2, (6, 7)), rng.integers(-2, 3, (3, 2)), int(rng.integers(0, 4)), int(rng.integers(0, 6)))),
       Case((rng.integers(0, 2, (4, 4)), rng.integers(1, 5, (2, 3)), int(rng.integers(0, 3)), int(rng.integers(0, 2))))],
    forbidden=CONVOLUTION,
    error_hints=[(BROADCAST, _window_is_not_the_kernel)],
    mistakes=[
        Mistake(lambda im, k, r, c: window_sum(im, k, c, r),
                "you swapped row and column: row counts down the image, column across it."),
        Mistake(lambda im, k, r, c: np.sum(im[r : r + k.shape[0], c : c + k.shape[1]]),
                "you summed the window but did not multiply it by the kernel first."),
        Mistake(lambda im, k, r, c: window_sum(im, k[::-1, ::-1], r, c),
                "your sum is what a *flipped* kernel gives (turned by half a turn, upside down and mirrored); "
                "lay the kernel on the window as it is: window[i, j] * kernel[i, j]."),
    ],
    hints=[
        "Cut out the window: image[row : row + kh, col : col + kw], with kh, kw = kernel.shape.",
        "Multiply the window and the kernel element by element (window * kernel), then add it all up with np.sum.",
    ],
)

q2 = key.question(
    "feature_map",
    cases=[Case((binary_image(), x_kernel()), shown=True)],
    hidden=lambda rng: [Case((rng.integers(0, 2, (6, 8)), rng.integers(-3, 4, (3, 3)))),
                        Case((rng.integers(0, 2, (7, 5)), rng.integers(-3, 4, (2, 3)))),
                        Case((rng.integers(0, 2, (4, 4)), rng.integers(1, 4, (4, 4))))],
    forbidden=CONVOLUTION,
    error_hints=[(BROADCAST, _window_is_not_the_kernel)],
    mistakes=[
        Mistake(lambda im, k: feature_map(im, k[::-1, ::-1]),
                "your map is what a *flipped* kernel gives (turned by half a turn, upside down and mirrored). "
                "A CNN layer lays the kernel on the image as it is."),
        Mistake(lambda im, k: feature_map(im, k)[:-1, :-1],
                "your map is one row and one column short: with H rows there are H - kh + 1 positions, "
                "so loop with range(H - kh + 1)."),
        Mistake(lambda im, k: feature_map(im, k[:, ::-1]),
                "your map is what a kernel mirrored left to right gives (as np.convolve would compute it row by "
                "row). Multiply window and kernel as they are: window[i, j] * kernel[i, j]."),
        Mistake(lambda im, k: feature_map(im, k[::-1, :]),
                "your map is what a kernel turned upside down gives: take the kernel's rows in their order."),
    ],
    depends_on=("window_sum",),
    hints=[
        "The map has image.shape[0] - kh + 1 rows and image.shape[1] - kw + 1 columns; start with np.zeros of that shape.",
        "Two nested loops, over row and col; at each position the value is your window_sum.",
        "Check your answer on the example: the first row of the map is [4, 3, 4].",
    ],
)

q3 = key.question(
    "feature_map_shape",
    depends_on=("window_sum", "feature_map"),
    cases=[Case(((5, 5), (3, 3)), shown=True)],
    hidden=lambda rng: [Case(((int(h), int(w)), (int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1)))))
                        for h, w in rng.integers(2, 40, (3, 2))],
    forbidden=CONVOLUTION_OR_SIZE,
    mistakes=[
        Mistake(lambda i, k: (i[0] - k[0], i[1] - k[1]),
                "you are one short: count the positions, first and last included (H - kh + 1)."),
        Mistake(lambda i, k: (i[1] - k[1] + 1, i[0] - k[0] + 1), "rows and columns are swapped."),
        Mistake(lambda i, k: tuple(i), "the map is smaller than the image: the kernel must fit inside it."),
    ],
    hints=[
        "Along one axis, a kernel of length f can start at positions 0, 1, ..., n - f.",
        "Return a tuple: (rows, columns).",
    ],
)
