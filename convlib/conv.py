"""The convolution of a CNN layer: a fast ``conv2d``, its readable loop twin, output sizes.

Every function here computes what a deep-learning framework calls a convolution: a
*cross-correlation*. The kernel is laid on the image as it is, without flipping it, and at each
position the products of overlapping numbers are summed::

    out[r, c] = sum over i, j of  image[r*s + i*d, c*s + j*d] * kernel[i, j]

(``s`` the stride, ``d`` the dilation). The textbook convolution of signal processing flips the
kernel first; a layer that *learns* its kernel does not care, because learning simply finds the
flipped numbers.

Shapes, channels last as images are stored on disk:

============  =====================  ==============================================
argument      shape                  meaning
============  =====================  ==============================================
image         ``(H, W)``             one grayscale image
image         ``(H, W, C)``          one image with ``C`` channels (3 for colour)
image         ``(N, H, W, C)``       a batch of ``N`` images
kernel        ``(kh, kw)``           one 2-D filter, for a one-channel image
kernel        ``(kh, kw, C)``        one filter through the full depth of the image
kernel        ``(K, kh, kw, C)``     a layer of ``K`` filters
result        ``(H', W')``           one filter
result        ``(H', W', K)``        a layer of ``K`` filters
============  =====================  ==============================================

A batch puts ``N`` in front of the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import as_numbers, channels_first_hint, padding_amounts, pair, shape_text, whole
from .fast import conv_layer, conv_plane

__all__ = [
    "conv2d",
    "conv2d_loop",
    "output_size",
    "leftover",
    "zero_pad",
]

@dataclass
class _Plan:
    """Everything conv2d needs once its arguments are checked: 4-D arrays and the output shape."""

    x: np.ndarray  # (N, H, W, C), not yet padded, in the result's dtype
    w: np.ndarray  # (K, kh, kw, C), in the result's dtype
    b: np.ndarray | None  # (K,) or None
    stride: tuple
    dilation: tuple
    pad: tuple  # ((top, bottom), (left, right))
    out_hw: tuple  # (H', W')
    batched: bool
    layer: bool
    dtype: np.dtype


def _result_dtype(image, kernel, bias, bias_given):
    """int64 for integer/bool inputs (exact sums); otherwise the widest float that came in."""
    floats = [a.dtype for a in (image, kernel) if a.dtype.kind == "f"]
    if bias is not None and bias.dtype.kind == "f":
        # A Python float bias does not turn float32 into float64, but does make integers float.
        if not isinstance(bias_given, float) or not floats:
            floats.append(bias.dtype)
    if not floats:
        return np.dtype(np.int64)
    dtype = np.result_type(*floats)
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


INT64_MAX = 2**63 - 1


def _largest_magnitude(a):
    """max |a| as a Python int, exactly (no wrap-around at int64's or uint64's edges)."""
    return max(abs(int(a.max())), abs(int(a.min()))) if a.size else 0


def _check_integer_range(x, w, b):
    """Integer inputs give exact int64 sums; an OverflowError if a sum could leave int64.

    The bound is ``max|pixel| * sum|kernel| + |bias|`` for the worst filter, computed in floats
    first (fast) and, only when that comes near the edge, exactly with Python integers.
    """
    pixel = float(np.abs(x.astype(np.float64)).max())
    taps = np.abs(w.astype(np.float64)).reshape(w.shape[0], -1).sum(axis=1)
    extra = np.abs(b.astype(np.float64)) if b is not None else np.zeros(w.shape[0])
    if float(np.max(pixel * taps + extra)) < 2.0**62:
        return
    largest = _largest_magnitude(x)
    sums = [sum(abs(int(v)) for v in f.ravel()) for f in w]
    biases = [abs(int(v)) for v in b] if b is not None else [0] * len(sums)
    bound = max(largest * s + extra_b for s, extra_b in zip(sums, biases))
    if bound > INT64_MAX or largest > INT64_MAX:
        raise OverflowError(
            f"integer inputs give exact int64 results, but a sum here could reach {bound:,} "
            f"(largest |pixel| {largest:,} x sum of |kernel| {max(sums):,}), beyond int64's largest "
            f"value {INT64_MAX:,}. For an approximate result, convert to float first: "
            "conv2d(np.asarray(image, dtype=float), kernel)"
        )


def _plan(image, kernel, bias, stride, padding, dilation):
    x = as_numbers(image, "image")
    w = as_numbers(kernel, "kernel")

    if x.ndim not in (2, 3, 4):
        raise ValueError(
            "image must have shape (H, W), (H, W, C) or (N, H, W, C); "
            f"got {x.ndim} dimension{'s' if x.ndim != 1 else ''}, shape {shape_text(x.shape)}"
        )
    if w.ndim not in (2, 3, 4):
        raise ValueError(
            "kernel must have shape (kh, kw), (kh, kw, C) or (K, kh, kw, C); "
            f"got {w.ndim} dimension{'s' if w.ndim != 1 else ''}, shape {shape_text(w.shape)}"
        )
    if x.size == 0:
        raise ValueError(f"image is empty (shape {shape_text(x.shape)}); it needs at least one pixel")
    if w.size == 0:
        raise ValueError(f"kernel is empty (shape {shape_text(w.shape)}); it needs at least one number")

    batched = x.ndim == 4
    layer = w.ndim == 4
    # everything as a batch of images (N, H, W, C) and a layer of filters (K, kh, kw, C)
    x4 = x[np.newaxis, :, :, np.newaxis] if x.ndim == 2 else (x[np.newaxis] if x.ndim == 3 else x)
    w4 = w[np.newaxis, :, :, np.newaxis] if w.ndim == 2 else (w[np.newaxis] if w.ndim == 3 else w)
    channels, depth = x4.shape[3], w4.shape[3]

    if depth != channels:
        image_kind = "a grayscale (H, W) image" if x.ndim == 2 else f"shape {shape_text(x.shape)}"
        message = (f"kernel has depth {depth} but the image has {channels} channel"
                   f"{'s' if channels != 1 else ''} ({image_kind}).")
        hint = channels_first_hint(x.shape, depth)
        if hint:  # (3, 32, 32) with a (5, 5, 3) kernel: the channels come first, most likely
            message += hint
        elif w.ndim == 4 and w.shape[1] == channels and w.shape[2] == w.shape[3]:  # square kh x kw
            message += (f" The kernel looks like (K, C, kh, kw) = {shape_text(w.shape)}, as PyTorch stores "
                        "weights; convlib wants (K, kh, kw, C): kernel.transpose(0, 2, 3, 1).")
        else:
            message += (" A filter extends through the full depth of its input: give the kernel shape "
                        f"({w4.shape[1]}, {w4.shape[2]}, {channels})")
            if w.ndim == 3 and channels == 1:
                message += (
                    f", or, if you meant {w.shape[0]} filters of {w.shape[1]}x{w.shape[2]}, "
                    f"shape ({w.shape[0]}, {w.shape[1]}, {w.shape[2]}, 1)"
                )
        raise ValueError(message)

    stride = pair(stride, "stride", minimum=1)
    dilation = pair(dilation, "dilation", minimum=1)
    kh, kw = w4.shape[1], w4.shape[2]
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    pad = padding_amounts(padding, span)

    height = x4.shape[1] + pad[0][0] + pad[0][1]
    width = x4.shape[2] + pad[1][0] + pad[1][1]
    if span[0] > height or span[1] > width:
        spans = "" if dilation == (1, 1) else f", spanning {span[0]}x{span[1]} with dilation {dilation}"
        padded = "padded image" if pad != ((0, 0), (0, 0)) else "image"
        raise ValueError(
            f"kernel is {kh}x{kw}{spans} but the {padded} is only {height}x{width}: "
            "the kernel must fit inside the image; use a smaller kernel or more padding"
        )
    out_hw = ((height - span[0]) // stride[0] + 1, (width - span[1]) // stride[1] + 1)

    n_filters = w4.shape[0]
    b = None
    if bias is not None:
        b = as_numbers(bias, "bias")
        if b.ndim == 0:
            b = np.full(n_filters, b)
        elif b.ndim != 1 or (b.shape[0] != n_filters and not (layer is False and b.shape[0] == 1)):
            expected = "a number" if not layer else f"a number or {n_filters} values, one per filter"
            raise ValueError(
                f"bias has shape {shape_text(b.shape)} but there "
                f"{'is 1 filter' if n_filters == 1 else f'are {n_filters} filters'}; expected {expected}"
            )

    dtype = _result_dtype(x4, w4, b, bias)
    if dtype.kind == "i":
        _check_integer_range(x4, w4, b)
    return _Plan(
        x=x4.astype(dtype, copy=False),
        w=w4.astype(dtype, copy=False),
        b=None if b is None else b.astype(dtype, copy=False),
        stride=stride,
        dilation=dilation,
        pad=pad,
        out_hw=out_hw,
        batched=batched,
        layer=layer,
        dtype=dtype,
    )


def _finish(out, plan, bias_added=False):
    """(N, H', W', K) -> the shape the caller's arguments ask for, with the bias added."""
    if plan.b is not None and not bias_added:
        out += plan.b
    if not plan.layer:
        out = out[..., 0]
    if not plan.batched:
        out = out[0]
    return out


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def zero_pad(image, padding):
    """Surround an image with rows and columns of zeros.

    Parameters
    ----------
    image : array_like, shape (H, W), (H, W, C) or (N, H, W, C)
    padding : int or (int, int)
        Zeros added on *both* sides: ``p`` rows above and below, ``p`` columns left and right.

    Returns
    -------
    ndarray, shape (H + 2*p_rows, W + 2*p_cols, ...)
        Same dtype as the image.

    Raises
    ------
    TypeError, ValueError
        If the image is not an array of numbers, or padding is not whole and non-negative.

    Examples
    --------
    >>> zero_pad([[1, 2], [3, 4]], 1)
    array([[0, 0, 0, 0],
           [0, 1, 2, 0],
           [0, 3, 4, 0],
           [0, 0, 0, 0]])
    """
    x = as_numbers(image, "image")
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            f"image must have shape (H, W), (H, W, C) or (N, H, W, C); got shape {shape_text(x.shape)}"
        )
    rows, cols = pair(padding, "padding", minimum=0)
    width = [(0, 0)] * x.ndim
    first = 1 if x.ndim == 4 else 0
    width[first] = (rows, rows)
    width[first + 1] = (cols, cols)
    return np.pad(x, width)


def output_size(n, f, *, stride=1, padding=0, dilation=1):
    """Length of the output along one axis: ``floor((n + 2p - d(f-1) - 1) / s) + 1``.

    Parameters
    ----------
    n : int
        Length of the input (its height or its width).
    f : int
        Length of the kernel along the same axis.
    stride : int
        Step between two positions of the kernel.
    padding : int, 'valid' or 'same'
        Zeros added on each side; ``'same'`` keeps the size at stride 1.
    dilation : int
        Spacing between the kernel's taps (1: the taps touch).

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        If an argument is not a whole number, or the kernel does not fit in the padded input.

    See Also
    --------
    leftover : how many of the last rows or columns a stride leaves out.

    Examples
    --------
    >>> output_size(5, 3)
    3
    >>> output_size(32, 5, padding=2)
    32
    >>> output_size(7, 3, stride=2)
    3
    >>> output_size(224, 3, stride=2, padding="same")
    112
    """
    n, f, s, p, d = _axis_arguments(n, f, stride, padding, dilation)
    return (n + p - d * (f - 1) - 1) // s + 1


def leftover(n, f, *, stride=1, padding=0, dilation=1):
    """How many of the last rows (or columns) of the padded input no window reaches.

    Zero when the stride fits evenly: ``(n + 2p - d(f-1) - 1)`` divides by ``s``. A lesson can
    use it to show what an uneven stride loses.

    Parameters
    ----------
    n, f, stride, padding, dilation
        As in :func:`output_size`.

    Returns
    -------
    int
        ``0 <= leftover < stride``.

    Examples
    --------
    >>> leftover(7, 3, stride=2)
    0
    >>> leftover(8, 3, stride=2)
    1
    """
    n, f, s, p, d = _axis_arguments(n, f, stride, padding, dilation)
    return (n + p - d * (f - 1) - 1) % s


def _axis_arguments(n, f, stride, padding, dilation):
    """Check the one-axis arguments; return n, f, stride, total padding, dilation."""
    for name, value in (("n", n), ("f", f), ("stride", stride), ("dilation", dilation)):
        if isinstance(value, (tuple, list)):
            raise TypeError(f"{name} must be one whole number for one axis; got {value!r}")
        whole(value, name)
    if isinstance(padding, (tuple, list)):
        raise TypeError(f"padding must be one whole number for one axis; got {padding!r}")
    span = dilation * (f - 1) + 1
    if isinstance(padding, str):
        (before, after), _ = padding_amounts(padding, (span, span))
        total = before + after
    else:
        total = 2 * whole(padding, "padding", minimum=0)
    if span > n + total:
        raise ValueError(
            f"the kernel spans {span} but the padded input is only {n + total} long; "
            "use a smaller kernel or more padding"
        )
    return int(n), int(f), int(stride), total, int(dilation)


def conv2d(image, kernel, bias=None, *, stride=1, padding=0, dilation=1):
    """Convolve an image with a filter, or a layer of filters, as a CNN layer does.

    This is cross-correlation, as in every deep-learning framework: the kernel is *not* flipped.

    Parameters
    ----------
    image : array_like, shape (H, W), (H, W, C) or (N, H, W, C)
        Grayscale, channels-last, or a batch. Nested lists, bool and integer arrays are welcome.
    kernel : array_like, shape (kh, kw), (kh, kw, C) or (K, kh, kw, C)
        One 2-D filter (one-channel images only), one filter through the image's full depth
        ``C``, or a layer of ``K`` such filters.
    bias : number or array_like of shape (K,), optional
        Added to every output of a filter.
    stride : int or (int, int), keyword-only
        Step between two positions of the kernel (rows, cols).
    padding : int, (int, int), 'valid' or 'same', keyword-only
        Zeros added on *both* sides of the image; ``'same'`` keeps the size at stride 1
        (for an even kernel the extra row and column go at the bottom and right).
    dilation : int or (int, int), keyword-only
        Spacing between the kernel's taps.

    Returns
    -------
    ndarray, shape (H', W') for one filter or (H', W', K) for a layer, with N in front for a batch
        ``H' = output_size(H, kh, stride=..., padding=..., dilation=...)``, likewise ``W'``.
        Integer and bool inputs give exact int64 results; otherwise the widest float given
        (float32 in, float32 out).

    Raises
    ------
    TypeError
        ``None``, something that is not numbers, or a stride/dilation/padding that is not a whole
        number.
    ValueError
        Wrong number of dimensions, empty arrays, a kernel depth that differs from the image's
        channels, a kernel larger than the padded image, zero or negative stride/dilation,
        negative padding or an unknown padding name, a bias of the wrong length.

    See Also
    --------
    conv2d_loop : the same computation as plain loops, to read.
    output_size : the output length along one axis.

    Examples
    --------
    The 5x5 binary image and 3x3 kernel of the first lesson:

    >>> image = [[1, 1, 1, 0, 0],
    ...          [0, 1, 1, 1, 0],
    ...          [0, 0, 1, 1, 1],
    ...          [0, 0, 1, 1, 0],
    ...          [0, 1, 1, 0, 0]]
    >>> kernel = [[1, 0, 1],
    ...           [0, 1, 0],
    ...           [1, 0, 1]]
    >>> conv2d(image, kernel)
    array([[4, 3, 4],
           [2, 4, 3],
           [2, 3, 4]])
    >>> conv2d(image, kernel, padding=1).shape
    (5, 5)
    >>> conv2d(image, kernel, stride=2)
    array([[4, 4],
           [2, 4]])

    A layer of two filters on a colour image gives a stack of two activation maps:

    >>> colour = np.ones((4, 4, 3))
    >>> conv2d(colour, np.ones((2, 3, 3, 3)), bias=[0.0, 1.0]).shape
    (2, 2, 2)
    """
    plan = _plan(image, kernel, bias, stride, padding, dilation)
    n_images, n_filters, channels = plan.x.shape[0], plan.w.shape[0], plan.x.shape[3]
    out = np.empty((n_images,) + plan.out_hw + (n_filters,), dtype=plan.dtype)
    if n_filters == 1 and channels == 1:
        for n in range(n_images):
            conv_plane(plan.x[n, :, :, 0], plan.w[0, :, :, 0], plan, out[n, :, :, 0])
    else:
        conv_layer(plan, out)
        return _finish(out, plan, bias_added=True)
    return _finish(out, plan)


def conv2d_loop(image, kernel, bias=None, *, stride=1, padding=0, dilation=1):
    """The same as :func:`conv2d`, written as plain loops to be read, not to be fast.

    Takes and returns what :func:`conv2d` does, and raises the same errors.

    Examples
    --------
    >>> conv2d_loop([[1, 2, 0], [0, 1, 2], [2, 0, 1]], [[1, 0], [0, 1]])
    array([[2, 4],
           [0, 2]])
    """
    plan = _plan(image, kernel, bias, stride, padding, dilation)
    x = np.pad(plan.x, ((0, 0), plan.pad[0], plan.pad[1], (0, 0)))  # (N, H, W, C) with zeros
    filters = plan.w  # (K, kh, kw, C)
    n_images, n_filters = x.shape[0], filters.shape[0]
    kh, kw = filters.shape[1], filters.shape[2]
    (step_r, step_c), (dil_r, dil_c) = plan.stride, plan.dilation
    out_h, out_w = plan.out_hw

    out = np.zeros((n_images, out_h, out_w, n_filters), dtype=plan.dtype)
    for n in range(n_images):  # every image of the batch
        for k in range(n_filters):  # every filter of the layer
            for row in range(out_h):  # every position of the filter on the image
                for col in range(out_w):
                    top, left = row * step_r, col * step_c
                    # the patch of the image under the filter, through all its channels
                    window = x[n, top : top + dil_r * (kh - 1) + 1 : dil_r,
                               left : left + dil_c * (kw - 1) + 1 : dil_c, :]
                    out[n, row, col, k] = np.sum(window * filters[k])  # the dot product
    return _finish(out, plan)
