"""Exercise 5: learn a filter by gradient descent."""

import numpy as np

from ..conv import conv2d
from .answer_key import answer_key
from .question import SEEDS, Case, Mistake


key = answer_key(__name__)  # solutions/05_learning_a_filter.ipynb
loss_gradient = key["loss_gradient"].function


def _problem(shape, k, seed):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal(shape).round(2)
    true = rng.standard_normal((k, k)).round(1)
    start = rng.standard_normal((k, k)).round(1)
    return start, image, conv2d(image, true)


_shown = _problem((6, 6), 3, 50)


def _hidden(rng, rates=()):
    seeds = [int(s) for s in rng.integers(0, SEEDS, 3)]
    problems = [_problem((9, 7), 3, seeds[0]), _problem((8, 8), 2, seeds[1]), _problem((10, 9), 4, seeds[2])]
    return [Case(p + ((rate,) if rates else ())) for p, rate in zip(problems, rates or (None,) * 3)]

q1 = key.question(
    "mse_loss",
    cases=[Case(_shown, shown=True)],
    hidden=_hidden,
    mistakes=[
        Mistake(lambda k, im, t: np.sum((conv2d(im, k) - t) ** 2), "you summed the squared errors; take their mean."),
        Mistake(lambda k, im, t: np.mean(np.abs(conv2d(im, k) - t)), "square the errors rather than take their size."),
        Mistake(lambda k, im, t: np.mean(conv2d(im, k) - t) ** 2, "square each error before the mean, not the mean."),
        Mistake(lambda k, im, t: np.sqrt(np.mean((conv2d(im, k) - t) ** 2)), "that is the root of the mean squared error."),
    ],
    hints=["error = conv2d(image, kernel) - target", "np.mean(error ** 2)"],
)

q2 = key.question(
    "loss_gradient",
    depends_on=("mse_loss",),
    cases=[Case(_shown, shown=True)],
    hidden=_hidden,
    mistakes=[
        Mistake(lambda k, im, t: -loss_gradient(k, im, t), "the sign is flipped: the gradient points to where the loss grows."),
        Mistake(lambda k, im, t: loss_gradient(k, im, t) / 2, "a factor 2 is missing: the derivative of e² is 2e."),
        Mistake(lambda k, im, t: loss_gradient(k, im, t) * (conv2d(im, k).size),
                "divide by the number of outputs M: the loss is a mean."),
        Mistake(lambda k, im, t: loss_gradient(k, im, t)[::-1, ::-1], "your gradient is flipped: tap (i, j) saw image[r + i, c + j]."),
    ],
    hints=[
        "The loss is mean(e²) with e = conv2d(image, kernel) - target; tap (i, j) of the kernel multiplies image[r + i, c + j] in output (r, c).",
        "So d(loss)/d(kernel[i, j]) = 2/M · Σ over r, c of e[r, c] · image[r + i, c + j].",
        "That sum over positions is itself a cross-correlation: conv2d(image, e) has the kernel's shape.",
    ],
)

q3 = key.question(
    "gradient_step",
    depends_on=("mse_loss", "loss_gradient"),
    cases=[Case(_shown + (0.1,), shown=True)],
    hidden=lambda rng: _hidden(rng, rates=(0.05, 0.2, 0.01)),
    mistakes=[
        Mistake(lambda k, im, t, lr: k + lr * loss_gradient(k, im, t), "you stepped uphill: subtract the gradient."),
        Mistake(lambda k, im, t, lr: k - loss_gradient(k, im, t), "the step is the gradient times the learning rate."),
    ],
    hints=["new kernel = kernel - learning_rate * gradient", "Use your loss_gradient (or the reference formula)."],
)
