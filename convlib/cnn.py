"""A small CNN in NumPy: ReLU, max pooling, a conv layer's forward and backward, and a trainer.

The network of lesson 7, one block of each kind::

    images (N, H, W, C) -> conv (K filters f x f, 'same' padding) -> ReLU -> max-pool
                        -> flatten -> dense -> softmax over the classes

Every layer has a forward function and a backward function: the backward one takes the
gradient of the loss with respect to the layer's output (``d_out``, the output's shape) and
returns the gradients with respect to its input and its learnable numbers. The conv layer's
:func:`conv_forward` and :func:`conv_backward` compute with :func:`convlib.conv2d`: its weight
gradient is lesson 5's cross-correlation of the input with the error, added up over the images
of the batch. Inside the network (:func:`forward`, :func:`loss_and_gradients`, :func:`train`)
the same layer is computed as lesson 6's one matrix product of the windows (im2col), whose
windows serve the weight gradient too: the same numbers (the tests hold them equal), fast enough
to train several networks within a lesson.

Shapes are channels last, as everywhere in convlib: images and maps ``(N, H, W, C)``, a layer's
kernels ``(K, kh, kw, C)``.

Examples
--------
>>> params = init_params((8, 8, 1), n_filters=4, seed=0)
>>> {name: value.shape for name, value in params.items()}
{'conv_w': (4, 3, 3, 1), 'conv_b': (4,), 'dense_w': (64, 10), 'dense_b': (10,)}
>>> scores, _ = forward(params, np.zeros((5, 8, 8, 1)))
>>> scores.shape
(5, 10)
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

try:  # comes with scikit-learn, which lesson 7 reads its digits from
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - then NumPy's matrix products pick their own threads
    threadpool_limits = None

from .checks import as_numbers, shape_text, whole
from .conv import conv2d, output_size

__all__ = ["relu", "relu_backward", "max_pool", "max_pool_backward", "average_pool", "conv_forward", "conv_backward",
           "softmax", "cross_entropy", "init_params", "forward", "loss_and_gradients", "predict",
           "accuracy", "train", "numerical_gradient", "relative_error"]


# ------------------------------------------------------------------------------------ ReLU


def relu(x):
    """The rectified linear unit: every negative number becomes 0, the others stay.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray of float, the shape of ``x``

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not an array of numbers.

    Examples
    --------
    >>> relu([[-2, 0, 3], [1, -1, 5]])
    array([[0., 0., 3.],
           [1., 0., 5.]])
    """
    return np.maximum(as_numbers(x, "x").astype(float), 0.0)


def relu_backward(x, d_out):
    """The gradient through a ReLU: ``d_out`` where ``x`` was positive, 0 where it was cut.

    Parameters
    ----------
    x : array_like, any shape
        What went into the ReLU.
    d_out : array_like, the shape of ``x``
        The gradient of the loss with respect to the ReLU's output.

    Returns
    -------
    ndarray of float, the shape of ``x``

    Examples
    --------
    >>> relu_backward([-1.0, 2.0, 0.0], [5.0, 5.0, 5.0])
    array([0., 5., 0.])
    """
    x, d_out = as_numbers(x, "x"), as_numbers(d_out, "d_out")
    _same_shape(d_out, x.shape, "d_out", "the ReLU's input x")
    return np.where(x > 0, d_out, 0.0).astype(float)


# ------------------------------------------------------------------------------ max pooling


def _maps(x, name):
    """``x`` as (N, H, W, C) maps, and a function that gives a result ``x``'s own number of axes."""
    arr = as_numbers(x, name).astype(float)
    if arr.ndim == 2:
        return arr[None, :, :, None], lambda y: y[0, :, :, 0]
    if arr.ndim == 3:
        return arr[None], lambda y: y[0]
    if arr.ndim == 4:
        return arr, lambda y: y
    raise ValueError(f"{name} must be one map (H, W), a stack of maps (H, W, C) or a batch (N, H, W, C); "
                     f"got shape {shape_text(arr.shape)}")


def _pool_arguments(maps, size, stride, name):
    size = whole(size, "size")
    stride = size if stride is None else whole(stride, "stride")
    height, width = maps.shape[1:3]
    if size > min(height, width):
        raise ValueError(f"the pooling window is {size}x{size} but {name}'s maps are only {height}x{width}: "
                         "use a smaller window")
    return size, stride, output_size(height, size, stride=stride), output_size(width, size, stride=stride)


def _offsets(size, stride, out_h, out_w):
    """For each place (i, j) of a window, row by row: the slices that pick it out of every window.

    ``maps[:, rows, cols, :]`` is then (N, H', W', C): the number at place (i, j) of each window.
    """
    for i in range(size):
        for j in range(size):
            yield slice(i, i + stride * (out_h - 1) + 1, stride), slice(j, j + stride * (out_w - 1) + 1, stride)


def max_pool(x, size=2, stride=None):
    """Max pooling: the largest number of each ``size`` x ``size`` window, channel by channel.

    The window moves ``stride`` pixels at a time (by default ``size``: windows side by side,
    not overlapping); each channel is pooled on its own, so the depth stays. An output is
    ``output_size(H, size, stride=stride)`` long, as for a convolution without padding:
    ``floor((H - size) / stride) + 1``; rows or columns that no window reaches are left out.

    Parameters
    ----------
    x : array_like, shape (H, W), (H, W, C) or (N, H, W, C)
        One map, a stack of activation maps, or a batch of stacks.
    size : int
        The window's side.
    stride : int, optional
        Step between two windows; ``size`` when not given.

    Returns
    -------
    ndarray of float, shape (H', W'), (H', W', C) or (N, H', W', C), as ``x``

    Raises
    ------
    TypeError
        If ``size`` or ``stride`` is not a whole number.
    ValueError
        If ``x`` has not 2 to 4 axes, or the window is larger than a map.

    Examples
    --------
    >>> m = np.array([[1, 3, 2, 0],
    ...               [4, 2, 1, 1],
    ...               [0, 0, 5, 6],
    ...               [1, 2, 7, 0]])
    >>> max_pool(m)
    array([[4., 2.],
           [2., 7.]])
    >>> max_pool(m, size=3, stride=1)
    array([[5., 6.],
           [7., 7.]])
    >>> max_pool(np.zeros((2, 6, 6, 8))).shape
    (2, 3, 3, 8)
    """
    maps, back = _maps(x, "x")
    size, stride, out_h, out_w = _pool_arguments(maps, size, stride, "x")
    places = _offsets(size, stride, out_h, out_w)
    out = maps[(slice(None),) + next(places)].copy()
    for rows, cols in places:
        np.maximum(out, maps[:, rows, cols, :], out=out)
    return back(out)


def max_pool_backward(x, d_out, size=2, stride=None):
    """The gradient through max pooling: each window's gradient goes to the number that was its max.

    The other numbers of the window did not change the output, so their gradient is 0. When a
    window holds its maximum twice, the first one (row by row) gets it, as the frameworks do;
    where windows overlap, a number that is the max of several gets the sum.

    Parameters
    ----------
    x : array_like, shape (H, W), (H, W, C) or (N, H, W, C)
        What went into the pooling.
    d_out : array_like, the shape of ``max_pool(x, size, stride)``
        The gradient of the loss with respect to the pooled maps.
    size, stride : int
        As in :func:`max_pool`.

    Returns
    -------
    ndarray of float, the shape of ``x``

    Examples
    --------
    >>> m = np.array([[1, 3], [4, 2]])
    >>> max_pool_backward(m, [[10.0]])
    array([[ 0.,  0.],
           [10.,  0.]])
    """
    maps, back = _maps(x, "x")
    size, stride, out_h, out_w = _pool_arguments(maps, size, stride, "x")
    expected = back(np.empty((maps.shape[0], out_h, out_w, maps.shape[3]))).shape  # in x's own layout
    _same_shape(as_numbers(d_out, "d_out"), expected, "d_out", "max_pool's output")
    grad, _ = _maps(d_out, "d_out")
    pooled = _maps(max_pool(x, size, stride), "x")[0]
    dx = np.zeros_like(maps)
    given = np.zeros(pooled.shape, dtype=bool)  # windows whose gradient has gone to their max already
    for rows, cols in _offsets(size, stride, out_h, out_w):
        first = (maps[:, rows, cols, :] == pooled) & ~given
        dx[:, rows, cols, :] += np.where(first, grad, 0.0)
        given |= first
    return back(dx)


def average_pool(x, size=2, stride=None):
    """Average pooling: the mean of each ``size`` x ``size`` window, channel by channel.

    The windows are those of :func:`max_pool`; only what is kept of each differs (its mean
    instead of its largest number).

    Parameters
    ----------
    x : array_like, shape (H, W), (H, W, C) or (N, H, W, C)
    size : int
    stride : int, optional
        ``size`` when not given.

    Returns
    -------
    ndarray of float, shape (H', W'), (H', W', C) or (N, H', W', C), as ``x``

    Examples
    --------
    >>> average_pool(np.array([[1, 3, 2, 0],
    ...                        [4, 2, 1, 1],
    ...                        [0, 0, 5, 6],
    ...                        [1, 2, 7, 0]]))
    array([[2.5 , 1.  ],
           [0.75, 4.5 ]])
    """
    maps, back = _maps(x, "x")
    size, stride, out_h, out_w = _pool_arguments(maps, size, stride, "x")
    out = np.zeros((maps.shape[0], out_h, out_w, maps.shape[3]))
    for rows, cols in _offsets(size, stride, out_h, out_w):
        out += maps[:, rows, cols, :]
    return back(out / (size * size))


# -------------------------------------------------------------------------------- conv layer


def conv_forward(x, w, b, padding=0):
    """A conv layer: ``conv2d(x, w, b, padding=padding)`` at stride 1.

    Parameters
    ----------
    x : array_like, shape (N, H, W, C)
    w : array_like, shape (K, kh, kw, C)
    b : array_like, shape (K,)
    padding : int
        Zeros on each side of the images.

    Returns
    -------
    ndarray, shape (N, H', W', K)
        ``H' = H + 2 * padding - kh + 1``, likewise ``W'``.

    Examples
    --------
    >>> conv_forward(np.ones((2, 5, 5, 1)), np.ones((3, 3, 3, 1)), np.zeros(3), padding=1).shape
    (2, 5, 5, 3)
    """
    x, w = as_numbers(x, "x"), as_numbers(w, "w")
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"a conv layer takes a batch x (N, H, W, C) and kernels w (K, kh, kw, C); "
                         f"got x {shape_text(x.shape)} and w {shape_text(w.shape)}")
    return conv2d(x, w, b, padding=whole(padding, "padding", minimum=0))


def conv_backward(x, w, d_out, padding=0):
    """The gradients of a conv layer (stride 1): with respect to its input, kernels and biases.

    Weight ``w[k, i, j, c]`` multiplied ``x_padded[n, r + i, s + j, c]`` in output
    ``(n, r, s, k)``, so its gradient is the sum over the batch and the positions of
    ``d_out[n, r, s, k] * x_padded[n, r + i, s + j, c]``: for each filter and channel, lesson 5's
    cross-correlation of the input with the error, the images of the batch added up (here they
    are the channels of one ``conv2d`` call). The input's gradient sends each output's error
    back through the weights: a 'full' cross-correlation of ``d_out`` with the kernels turned
    half a turn, the padding cut off again.

    Parameters
    ----------
    x : array_like, shape (N, H, W, C)
        The layer's input.
    w : array_like, shape (K, kh, kw, C)
        Its kernels.
    d_out : array_like, shape (N, H', W', K)
        The gradient of the loss with respect to the layer's output.
    padding : int
        The padding of the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, H, W, C)
    dw : ndarray, shape (K, kh, kw, C)
    db : ndarray, shape (K,)

    Raises
    ------
    ValueError
        If the shapes do not fit together (``d_out`` must have the forward output's shape).

    Examples
    --------
    One image, one 2x2 filter: the weight gradient is the input slid over the error.

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> d_out = np.ones((1, 2, 2, 1))
    >>> dx, dw, db = conv_backward(x, np.ones((1, 2, 2, 1)), d_out)
    >>> dw[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    >>> db
    array([4.])
    >>> dx[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    x, w, d_out = (as_numbers(a, name).astype(float) for a, name in ((x, "x"), (w, "w"), (d_out, "d_out")))
    padding = whole(padding, "padding", minimum=0)
    if x.ndim != 4 or w.ndim != 4 or w.shape[3] != x.shape[3]:
        raise ValueError(f"a conv layer takes a batch x (N, H, W, C) and kernels w (K, kh, kw, C) of the same C; "
                         f"got x {shape_text(x.shape)} and w {shape_text(w.shape)}")
    n, height, width, channels = x.shape
    k, kh, kw, _ = w.shape
    _same_shape(d_out, (n, height + 2 * padding - kh + 1, width + 2 * padding - kw + 1, k), "d_out",
                "the layer's output")
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    errors = d_out.transpose(3, 1, 2, 0)  # (K, H', W', N): the batch as channels
    dw = np.empty_like(w)
    for c in range(channels):
        dw[..., c] = conv2d(padded[..., c].transpose(1, 2, 0), errors).transpose(2, 0, 1)  # (kh, kw, K) -> (K, kh, kw)
    turned = w[:, ::-1, ::-1, :].transpose(3, 1, 2, 0)  # (C, kh, kw, K)
    dx_padded = conv2d(d_out, turned, padding=(kh - 1, kw - 1))
    dx = dx_padded[:, padding:padding + height, padding:padding + width, :]
    return dx, dw, d_out.sum(axis=(0, 1, 2))


# --------------------------------------------------------------------------- scores to loss


def softmax(scores):
    """Scores to probabilities along the last axis: ``exp(s) / sum(exp(s))``, computed stably.

    Parameters
    ----------
    scores : array_like, shape (N, classes)

    Returns
    -------
    ndarray, shape (N, classes), each row adding up to 1

    Examples
    --------
    >>> softmax([[0.0, 0.0], [0.0, np.log(3)]]).round(2)
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    scores = as_numbers(scores, "scores").astype(float)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(scores, labels):
    """The mean cross-entropy loss of the scores, and its gradient with respect to them.

    Parameters
    ----------
    scores : array_like, shape (N, classes)
    labels : array_like of int, shape (N,)
        The right class of each row, from 0 to classes - 1.

    Returns
    -------
    loss : float
        The mean over the rows of ``-log(probability of the right class)``.
    d_scores : ndarray, shape (N, classes)
        ``(softmax(scores) - one_hot(labels)) / N``.

    Examples
    --------
    >>> loss, d = cross_entropy([[0.0, 0.0]], [1])
    >>> round(loss, 4), d.tolist()
    (0.6931, [[0.5, -0.5]])
    """
    p = softmax(scores)
    labels = _labels(labels, p.shape)
    rows = np.arange(len(labels))
    loss = float(-np.mean(np.log(p[rows, labels] + 1e-300)))
    d_scores = p.copy()
    d_scores[rows, labels] -= 1
    return loss, d_scores / len(labels)


# ------------------------------------------------------------------------------ the network


def init_params(input_shape, n_filters=8, f=3, pool=2, n_classes=10, seed=0, filter_std=0.1):
    """Random starting numbers for conv (``n_filters`` of ``f`` x ``f``) -> ReLU -> pool -> dense.

    The filters start as small random numbers (standard deviation ``filter_std``), as lesson 5's
    kernel did, so that what they hold after training is what the data put there. The dense
    weights are drawn with the standard deviation ``sqrt(2 / inputs)`` (He's rule, which keeps
    the scores' size steady from layer to layer); biases start at 0.

    Parameters
    ----------
    input_shape : (H, W, C)
        One image's shape.
    n_filters, f, pool, n_classes : int
        Filters, their side, the pooling window's side (stride the same), the classes.
    seed : int
        Seed of the random numbers: the same seed gives the same network.
    filter_std : float
        The spread of the filters' starting numbers.

    Returns
    -------
    dict of ndarray
        ``conv_w`` (K, f, f, C), ``conv_b`` (K,), ``dense_w`` (H/pool * W/pool * K, classes),
        ``dense_b`` (classes,).
    """
    height, width, channels = (whole(v, "each number of input_shape") for v in input_shape)
    n_filters, f, pool, n_classes = (whole(v, name) for v, name in
                                     ((n_filters, "n_filters"), (f, "f"), (pool, "pool"), (n_classes, "n_classes")))
    if f % 2 == 0:
        raise ValueError(f"f must be odd, so that 'same' padding puts as many zeros on each side; got {f}")
    rng = np.random.default_rng(seed)
    features = output_size(height, pool, stride=pool) * output_size(width, pool, stride=pool) * n_filters
    return {
        "conv_w": rng.normal(0.0, filter_std, (n_filters, f, f, channels)),
        "conv_b": np.zeros(n_filters),
        "dense_w": rng.normal(0.0, np.sqrt(2 / features), (features, n_classes)),
        "dense_b": np.zeros(n_classes),
    }


def _pool_size(params, x):
    """The pooling window's side, read from the dense layer's size."""
    k = params["conv_w"].shape[0]
    for pool in range(1, min(x.shape[1:3]) + 1):
        if output_size(x.shape[1], pool, stride=pool) * output_size(x.shape[2], pool, stride=pool) * k \
                == params["dense_w"].shape[0]:
            return pool
    raise ValueError(f"images of shape {shape_text(x.shape[1:])} do not fit a dense layer of "
                     f"{params['dense_w'].shape[0]} inputs; give the shape init_params was given")


def forward(params, images):
    """The network's scores for a batch of images, and what the backward pass needs.

    Parameters
    ----------
    params : dict
        From :func:`init_params`.
    images : array_like, shape (N, H, W, C)

    Returns
    -------
    scores : ndarray, shape (N, classes)
        One number per class; the largest is the prediction (:func:`softmax` makes them
        probabilities).
    cache : dict
        Each layer's output: ``conv`` (N, H, W, K), ``relu`` (the same), ``pool``
        (N, H/pool, W/pool, K), and the ``images`` and ``pool_size``.
    """
    x = as_numbers(images, "images").astype(float)
    if x.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C); got shape {shape_text(x.shape)}"
                         + ("; for one image write images[None]" if x.ndim == 3 else ""))
    return _forward(params, x, _pool_size(params, x))


def _forward(params, x, pool):
    """:func:`forward` of checked images ``x`` (N, H, W, C) of float, pooled ``pool`` x ``pool``."""
    w = params["conv_w"]
    patches = _windows(x, w.shape[1])  # (N * H * W, f * f * C)
    conv = (patches @ w.reshape(len(w), -1).T + params["conv_b"]).reshape(x.shape[:3] + (len(w),))
    activated = np.maximum(conv, 0.0)
    pooled, first = _max_pool_fast(activated, pool)
    scores = pooled.reshape(len(x), -1) @ params["dense_w"] + params["dense_b"]
    return scores, {"images": x, "conv": conv, "relu": activated, "pool": pooled, "pool_size": pool,
                    "windows": patches, "first max": first}


def _windows(x, f):
    """The f x f windows of ``x`` (N, H, W, C), 'same' padding, one row each: (N * H * W, f * f * C).

    Row ``(n, r, s)`` holds the window of output ``(n, r, s)`` in the order of a kernel
    ``(f, f, C)``, so that ``windows @ w.reshape(K, -1).T`` is the layer (lesson 6's im2col).
    """
    pad = f // 2
    padded = np.zeros((x.shape[0], x.shape[1] + 2 * pad, x.shape[2] + 2 * pad, x.shape[3]))
    padded[:, pad:pad + x.shape[1], pad:pad + x.shape[2]] = x
    windows = np.lib.stride_tricks.sliding_window_view(padded, (f, f), axis=(1, 2))  # (N, H, W, C, f, f)
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, f * f * x.shape[3])


def _max_pool_fast(maps, pool):
    """:func:`max_pool` at stride ``pool`` of (N, H, W, K) maps, and where each window's first max was.

    Returns the pooled maps and, for each, the place of its maximum inside the window (row by
    row, the first when it is there twice), or None when the windows do not tile the maps (then
    :func:`max_pool_backward` does the backward pass).
    """
    n, height, width, k = maps.shape
    if height % pool or width % pool:
        return max_pool(maps, pool), None
    blocks = maps.reshape(n, height // pool, pool, width // pool, pool, k).transpose(0, 1, 3, 5, 2, 4)
    blocks = blocks.reshape(n, height // pool, width // pool, k, pool * pool)
    first = blocks.argmax(axis=-1)
    return np.take_along_axis(blocks, first[..., None], axis=-1)[..., 0], first


def _max_pool_fast_backward(cache, d_pooled):
    """The gradient through :func:`_max_pool_fast`: each window's goes to its first max."""
    pool, first, maps = cache["pool_size"], cache["first max"], cache["relu"]
    if first is None:
        return max_pool_backward(maps, d_pooled, pool)
    n, height, width, k = maps.shape
    blocks = np.zeros(first.shape + (pool * pool,))
    np.put_along_axis(blocks, first[..., None], d_pooled[..., None], axis=-1)
    blocks = blocks.reshape(n, height // pool, width // pool, k, pool, pool).transpose(0, 1, 4, 2, 5, 3)
    return blocks.reshape(maps.shape)


def loss_and_gradients(params, images, labels):
    """The mean cross-entropy loss of a batch and its gradient for every learnable number.

    Backpropagation: the gradient of the loss flows back from the scores through the dense
    layer, the pooling, the ReLU and the conv layer, each turning the gradient of its output
    into that of its input and its weights. The conv layer's weight gradient is that of
    :func:`conv_backward` (each window of the input times its error, summed over the batch and
    the positions), computed from the windows the forward pass kept.

    Parameters
    ----------
    params : dict
        From :func:`init_params`.
    images : array_like, shape (N, H, W, C)
    labels : array_like of int, shape (N,)

    Returns
    -------
    loss : float
    grads : dict
        The same keys and shapes as ``params``.
    """
    scores, cache = forward(params, images)
    return _backward(params, cache, _labels(labels, scores.shape))


def _dense_backward(params, features, labels):
    """The loss, the dense layer's gradients and the scores' from flattened pooled maps (N, features)."""
    loss, d_scores = cross_entropy(features @ params["dense_w"] + params["dense_b"], labels)
    return loss, {"dense_w": features.T @ d_scores, "dense_b": d_scores.sum(axis=0)}, d_scores


def _backward(params, cache, labels):
    """:func:`loss_and_gradients` from a forward pass's ``cache`` and checked labels."""
    pooled, w = cache["pool"], params["conv_w"]
    loss, grads, d_scores = _dense_backward(params, pooled.reshape(len(pooled), -1), labels)
    d_pooled = (d_scores @ params["dense_w"].T).reshape(pooled.shape)
    d_conv = np.where(cache["conv"] > 0, _max_pool_fast_backward(cache, d_pooled), 0.0)  # through the ReLU
    d_conv = d_conv.reshape(-1, len(w))
    grads["conv_w"] = (d_conv.T @ cache["windows"]).reshape(w.shape)
    grads["conv_b"] = d_conv.sum(axis=0)
    return loss, {name: grads[name] for name in params}


def predict(params, images):
    """The class with the highest score for each image: ``(N, H, W, C) -> (N,)`` ints."""
    return forward(params, images)[0].argmax(axis=1)


def accuracy(params, images, labels):
    """The fraction of ``images`` (N, H, W, C) whose predicted class is their label (N,)."""
    return float(np.mean(predict(params, images) == _labels(labels, (len(images), None))))


def train(params, images, labels, *, epochs=10, batch_size=32, learning_rate=0.1, seed=0, test=None, frozen=(),
          track=True):
    """Mini-batch gradient descent: ``params -= learning_rate * gradient``, batch after batch.

    Each epoch goes once through the images in a new random order (drawn from ``seed``, so a
    run can be repeated number for number). The numbers named in ``frozen`` keep their
    starting values: ``frozen=("conv_w", "conv_b")`` trains only the dense layer on top of the
    random filters, what the network would do without learning its filters.

    Parameters
    ----------
    params : dict
        Starting numbers, from :func:`init_params`; they are not changed (a trained copy is
        returned).
    images : array_like, shape (N, H, W, C)
    labels : array_like of int, shape (N,)
    epochs, batch_size : int
    learning_rate : float
    seed : int
    test : (images, labels), optional
        Held-out images, to measure the accuracy on after each epoch.
    frozen : tuple of str
        Names of ``params`` not to change.
    track : bool
        Measure the accuracies after each epoch; without (``False``) the history holds only the
        loss, and training takes about a third less time.

    Returns
    -------
    params : dict
        The trained numbers.
    history : dict of lists
        Per epoch: ``loss`` (the mean of the batches' losses) and, when tracked, ``train
        accuracy`` and, with ``test``, ``test accuracy``.
    """
    x = as_numbers(images, "images").astype(float)
    y = _labels(labels, (len(x), None))
    epochs, batch_size = whole(epochs, "epochs"), whole(batch_size, "batch_size")
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number; got {learning_rate!r}")
    unknown = [name for name in frozen if name not in params]
    if isinstance(frozen, str) or unknown:
        raise ValueError(f"frozen names the numbers to keep, a tuple of {', '.join(params)}; got {frozen!r}")
    params = {name: np.array(value, dtype=float) for name, value in params.items()}
    if x.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C); got shape {shape_text(x.shape)}")
    pool = _pool_size(params, x)
    # filters that do not change give every image the same pooled maps all along: compute them once
    features = _forward(params, x, pool)[1]["pool"].reshape(len(x), -1) \
        if {"conv_w", "conv_b"} <= set(frozen) else None
    rng = np.random.default_rng(seed)
    history = {"loss": []} | ({"train accuracy": []} if track else {}) \
        | ({"test accuracy": []} if track and test is not None else {})
    with _one_thread():
        _train_epochs(params, x, y, pool, features, frozen, epochs, batch_size, learning_rate, rng, test, history)
    return params, history


def _one_thread():
    """The network's matrices are small: one thread multiplies them sooner than several that wait on each other."""
    return threadpool_limits(1, user_api="blas") if threadpool_limits else nullcontext()


def _train_epochs(params, x, y, pool, features, frozen, epochs, batch_size, learning_rate, rng, test, history):
    """The loop of :func:`train`, changing ``params`` and ``history`` in place."""
    for _ in range(epochs):
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            if features is None:
                loss, grads = _backward(params, _forward(params, x[batch], pool)[1], y[batch])
            else:
                loss, grads, _ = _dense_backward(params, features[batch], y[batch])
            for name in params:
                if name not in frozen:
                    params[name] -= learning_rate * grads[name]
            losses.append(loss)
        history["loss"].append(float(np.mean(losses)))
        if "train accuracy" in history:
            history["train accuracy"].append(accuracy(params, x, y))
        if "test accuracy" in history:
            history["test accuracy"].append(accuracy(params, *test))


# ----------------------------------------------------------------------- checking gradients


def numerical_gradient(f, array, step=1e-5):
    """The slope of ``f()`` with respect to every number of ``array``, measured by nudging it.

    Each number is moved by ``+step`` and ``-step`` in turn (``array`` is changed in place and
    put back), and the slope is ``(f(plus) - f(minus)) / (2 * step)``: slow, but it needs no
    formula, so it checks one.

    Parameters
    ----------
    f : callable
        Takes nothing, returns a number computed from ``array``.
    array : ndarray of float
        The numbers to nudge (a view into what ``f`` reads).
    step : float

    Returns
    -------
    ndarray, the shape of ``array``

    Examples
    --------
    >>> a = np.array([1.0, 2.0, 3.0])
    >>> numerical_gradient(lambda: np.sum(a ** 2), a).round(6)
    array([2., 4., 6.])
    """
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError("array must be a float ndarray that f reads (nudged in place), "
                        f"got {type(array).__name__}" + (f" of {array.dtype}" if isinstance(array, np.ndarray) else ""))
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + step
        plus = f()
        array[index] = kept - step
        minus = f()
        array[index] = kept
        grad[index] = (plus - minus) / (2 * step)
    return grad


def relative_error(a, b):
    """The largest difference between ``a`` and ``b``, relative to their size: 0 when equal.

    ``max |a - b| / max(|a| + |b|)``, so that it reads the same for large and small gradients;
    below about 1e-6, two gradients agree to the precision of a numerical slope.

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) < 1e-9
    True
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-300))


# ---------------------------------------------------------------------------------- helpers


def _same_shape(value, shape, name, what):
    if value.shape != tuple(shape):
        raise ValueError(f"{name} has shape {shape_text(value.shape)} but {what} has shape {shape_text(shape)}: "
                         "a gradient has the shape of what it is the gradient of")


def _labels(labels, shape):
    """Labels as ints (N,) that fit ``shape`` = (N, classes or None)."""
    labels = as_numbers(labels, "labels")
    if labels.ndim != 1 or len(labels) != shape[0]:
        raise ValueError(f"labels must be one class number per image: shape ({shape[0]},); "
                         f"got {shape_text(labels.shape)}")
    if not np.all(labels == np.round(labels)) or labels.min(initial=0) < 0 \
            or (shape[1] is not None and labels.max(initial=0) >= shape[1]):
        top = "" if shape[1] is None else f" to {shape[1] - 1}"
        raise ValueError(f"labels must be whole class numbers from 0{top}; got values from "
                         f"{labels.min()} to {labels.max()}")
    return labels.astype(int)
