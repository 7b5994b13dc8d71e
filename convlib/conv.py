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

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "conv2d",
    "conv2d_loop",
    "output_size",
    "leftover",
    "zero_pad",
]

# The 2-D path works on strips of output rows this many bytes large, so that the rows it reads
# and writes stay in the processor's cache between the kernel's taps.
_STRIP_BYTES = 512 * 1024
# The layer path fills the output in chunks whose patch matrix is about this many bytes.
_CHUNK_BYTES = 4 * 1024 * 1024
# Above this many (taps x bytes per number) the 2-D path switches from shifted slices to the FFT.
_FFT_TAP_BYTES = 300
_FFT_MIN_PIXELS = 128 * 128


# --------------------------------------------------------------------------------------------
# Argument checks, shared by conv2d and conv2d_loop
# --------------------------------------------------------------------------------------------


def _as_numbers(value, name):
    """``value`` as an ndarray of real numbers, or a TypeError/ValueError that names ``name``."""
    if value is None:
        raise TypeError(f"{name} is None; expected an array of numbers")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got the text {value!r}")
    try:
        arr = np.asarray(value)
    except ValueError:  # a ragged nested list
        raise ValueError(
            f"{name} is not rectangular: its rows have different lengths; "
            "every row needs the same number of values"
        ) from None
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "c":
            raise TypeError(f"{name} must hold real numbers, got complex numbers")
        if arr.dtype == object and arr.ndim >= 1 and arr.size > 1:
            raise ValueError(
                f"{name} is not rectangular or holds things that are not numbers "
                f"(NumPy sees dtype object, shape {arr.shape})"
            )
        raise TypeError(
            f"{name} must hold numbers, got values of type {arr.dtype} "
            f"(for example {arr.ravel()[:1].tolist()[0]!r})"
            if arr.size
            else f"{name} must hold numbers, got dtype {arr.dtype}"
        )
    return arr


def _shape_text(shape):
    return str(tuple(int(n) for n in shape))


def _pair(value, name, *, minimum):
    """A ``(rows, cols)`` pair of whole numbers >= ``minimum`` from an int or a pair."""
    what = "a positive whole number" if minimum == 1 else "a whole number >= 0"
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be {what} or a (rows, cols) pair; got {len(value)} values {value!r}"
            )
        items = list(value)
    else:
        items = [value, value]
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(
                f"{name} must be {what} or a (rows, cols) pair of them; "
                f"got {value!r} ({type(item).__name__})"
            )
        if item < minimum:
            raise ValueError(f"{name} must be {what}; got {value!r}")
        out.append(int(item))
    return tuple(out)


def _padding(padding, kernel_span):
    """Padding as ``((top, bottom), (left, right))``; ``kernel_span`` is (rows, cols) covered."""
    if isinstance(padding, str):
        name = padding.lower()
        if name == "valid":
            return ((0, 0), (0, 0))
        if name == "same":
            pads = []
            for span in kernel_span:
                total = span - 1
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"padding must be a number, a (rows, cols) pair, 'valid' or 'same'; got {padding!r}")
    rows, cols = _pair(padding, "padding", minimum=0)
    return ((rows, rows), (cols, cols))


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


def _plan(image, kernel, bias, stride, padding, dilation):
    x = _as_numbers(image, "image")
    w = _as_numbers(kernel, "kernel")

    if x.ndim not in (2, 3, 4):
        raise ValueError(
            "image must have shape (H, W), (H, W, C) or (N, H, W, C); "
            f"got {x.ndim} dimension{'s' if x.ndim != 1 else ''}, shape {_shape_text(x.shape)}"
        )
    if w.ndim not in (2, 3, 4):
        raise ValueError(
            "kernel must have shape (kh, kw), (kh, kw, C) or (K, kh, kw, C); "
            f"got {w.ndim} dimension{'s' if w.ndim != 1 else ''}, shape {_shape_text(w.shape)}"
        )
    if x.size == 0:
        raise ValueError(f"image is empty (shape {_shape_text(x.shape)}); it needs at least one pixel")
    if w.size == 0:
        raise ValueError(f"kernel is empty (shape {_shape_text(w.shape)}); it needs at least one number")

    batched = x.ndim == 4
    layer = w.ndim == 4
    # everything as a batch of images (N, H, W, C) and a layer of filters (K, kh, kw, C)
    x4 = x[np.newaxis, :, :, np.newaxis] if x.ndim == 2 else (x[np.newaxis] if x.ndim == 3 else x)
    w4 = w[np.newaxis, :, :, np.newaxis] if w.ndim == 2 else (w[np.newaxis] if w.ndim == 3 else w)
    channels, depth = x4.shape[3], w4.shape[3]

    if depth != channels:
        image_kind = "a grayscale (H, W) image" if x.ndim == 2 else f"shape {_shape_text(x.shape)}"
        message = (
            f"kernel has depth {depth} but the image has {channels} channel"
            f"{'s' if channels != 1 else ''} ({image_kind}). A filter extends through the full "
            f"depth of its input: give the kernel shape ({w4.shape[1]}, {w4.shape[2]}, {channels})"
        )
        if w.ndim == 3 and channels == 1:
            message += (
                f", or, if you meant {w.shape[0]} filters of {w.shape[1]}x{w.shape[2]}, "
                f"shape ({w.shape[0]}, {w.shape[1]}, {w.shape[2]}, 1)"
            )
        raise ValueError(message)

    stride = _pair(stride, "stride", minimum=1)
    dilation = _pair(dilation, "dilation", minimum=1)
    kh, kw = w4.shape[1], w4.shape[2]
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    pad = _padding(padding, span)

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
        b = _as_numbers(bias, "bias")
        if b.ndim == 0:
            b = np.full(n_filters, b)
        elif b.ndim != 1 or (b.shape[0] != n_filters and not (layer is False and b.shape[0] == 1)):
            expected = "a number" if not layer else f"a number or {n_filters} values, one per filter"
            raise ValueError(
                f"bias has shape {_shape_text(b.shape)} but there "
                f"{'is 1 filter' if n_filters == 1 else f'are {n_filters} filters'}; expected {expected}"
            )

    dtype = _result_dtype(x4, w4, b, bias)
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
    x = _as_numbers(image, "image")
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            f"image must have shape (H, W), (H, W, C) or (N, H, W, C); got shape {_shape_text(x.shape)}"
        )
    rows, cols = _pair(padding, "padding", minimum=0)
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
    for name, value, minimum in (("n", n, 1), ("f", f, 1), ("stride", stride, 1), ("dilation", dilation, 1)):
        _pair(value, name, minimum=minimum)  # raises the learner-facing error
        if isinstance(value, (tuple, list)):
            raise TypeError(f"{name} must be one whole number for one axis; got {value!r}")
    span = dilation * (f - 1) + 1
    if isinstance(padding, str):
        (before, after), _ = _padding(padding, (span, span))
        total = before + after
    else:
        if isinstance(padding, (tuple, list)):
            raise TypeError(f"padding must be one whole number for one axis; got {padding!r}")
        total = 2 * _pair(padding, "padding", minimum=0)[0]
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
            _conv_plane(plan.x[n, :, :, 0], plan.w[0, :, :, 0], plan, out[n, :, :, 0])
    else:
        _conv_layer(plan, out)
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


# --------------------------------------------------------------------------------------------
# Fast paths
# --------------------------------------------------------------------------------------------


def _conv_plane(x, k, plan, out):
    """One unpadded 2-D plane ``x`` (H, W), one kernel ``k`` (kh, kw) -> ``out`` (H', W').

    The padding is never built as a whole padded copy of the image: the interior of the output,
    whose windows lie inside the image, is computed from ``x`` itself, and the thin bands along
    the borders, whose windows overlap the padding, from small zero-padded copies of the edges.
    """
    (sr, sc), (dr, dc) = plan.stride, plan.dilation
    (top, _), (left, _) = plan.pad
    span_h, span_w = dr * (k.shape[0] - 1) + 1, dc * (k.shape[1] - 1) + 1
    out_h, out_w = out.shape
    # output rows (cols) whose windows lie entirely inside the image
    r_lo, c_lo = min(out_h, -(-top // sr)), min(out_w, -(-left // sc))
    r_hi = max(r_lo, min(out_h, (x.shape[0] + top - span_h) // sr + 1))
    c_hi = max(c_lo, min(out_w, (x.shape[1] + left - span_w) // sc + 1))
    if r_hi > r_lo and c_hi > c_lo:
        inner = x[r_lo * sr - top :, c_lo * sc - left :]
        interior = out[r_lo:r_hi, c_lo:c_hi]
        use_fft = (
            plan.dtype.kind == "f"
            and k.size * plan.dtype.itemsize > _FFT_TAP_BYTES
            and interior.size >= _FFT_MIN_PIXELS
        )
        (_plane_fft if use_fft else _plane_slices)(inner, k, plan, interior)
        bands = [(0, r_lo, 0, out_w), (r_hi, out_h, 0, out_w), (r_lo, r_hi, 0, c_lo), (r_lo, r_hi, c_hi, out_w)]
    else:
        bands = [(0, out_h, 0, out_w)]
    for r0, r1, c0, c1 in bands:
        if r1 > r0 and c1 > c0:
            rows = (r0 * sr, (r1 - 1) * sr + span_h)
            cols = (c0 * sc, (c1 - 1) * sc + span_w)
            _plane_slices(_padded_region(x, plan.pad, rows, cols), k, plan, out[r0:r1, c0:c1])


def _padded_region(x, pad, rows, cols):
    """Rows ``rows[0]:rows[1]`` and columns ``cols[0]:cols[1]`` of ``x`` as if zero-padded."""
    (top, _), (left, _) = pad
    region = np.zeros((rows[1] - rows[0], cols[1] - cols[0]), dtype=x.dtype)
    src_r = (max(rows[0] - top, 0), min(rows[1] - top, x.shape[0]))
    src_c = (max(cols[0] - left, 0), min(cols[1] - left, x.shape[1]))
    if src_r[1] > src_r[0] and src_c[1] > src_c[0]:
        dst_r, dst_c = src_r[0] + top - rows[0], src_c[0] + left - cols[0]
        region[dst_r : dst_r + src_r[1] - src_r[0], dst_c : dst_c + src_c[1] - src_c[0]] = x[
            src_r[0] : src_r[1], src_c[0] : src_c[1]
        ]
    return region


def _plane_slices(x, k, plan, out):
    """``out`` = sum of shifted slices ``k[i, j] * x[i:, j:]``, a strip of rows at a time.

    ``x`` needs no padding: the window of output ``(r, c)`` starts at ``x[r*sr, c*sc]``.
    """
    (sr, sc), (dr, dc) = plan.stride, plan.dilation
    out_h, out_w = out.shape
    rows = max(1, _STRIP_BYTES // (out_w * plan.dtype.itemsize))
    scratch = np.empty((2, min(rows, out_h), out_w), dtype=plan.dtype)
    # Summing into a misaligned view (the interior of a padded output) is far slower than
    # into an aligned strip of its own, then copied over.
    in_place = out.flags.c_contiguous or out.ctypes.data % 64 == 0
    last = (k.shape[0] - 1, k.shape[1] - 1)
    for r0 in range(0, out_h, rows):
        r1 = min(out_h, r0 + rows)
        strip = out[r0:r1] if in_place else scratch[1, : r1 - r0]
        tmp = scratch[0, : r1 - r0]
        for i in range(k.shape[0]):
            for j in range(k.shape[1]):
                top, left = r0 * sr + i * dr, j * dc
                shifted = x[top : top + (r1 - r0 - 1) * sr + 1 : sr, left : left + (out_w - 1) * sc + 1 : sc]
                # the last tap writes the finished sum to the output itself
                target = out[r0:r1] if (i, j) == last else strip
                if i == 0 and j == 0:
                    np.multiply(shifted, k[i, j], out=target)
                else:
                    np.multiply(shifted, k[i, j], out=tmp)
                    np.add(strip, tmp, out=target)


def _fast_length(n):
    """The smallest 2^a 3^b 5^c 7^d >= n: lengths the FFT handles quickly."""
    best = 2 * n
    for p7 in (1, 7, 49):
        p5 = p7
        while p5 < best:
            p35 = p5
            while p35 < best:
                m = p35
                while m < n:
                    m *= 2
                best = min(best, m)
                p35 *= 3
            p5 *= 5
    return best


def _small_spectrum(k, shape):
    """``np.fft.rfft2(k, s=shape)`` for a small ``k``, as two small matrix products.

    A kernel has few taps: evaluating its transform directly, ``E_rows @ k @ E_cols.T``, costs
    a fraction of a full-size FFT of a mostly-zero array.
    """
    rows = np.exp(-2j * np.pi * np.outer(np.arange(shape[0]), np.arange(k.shape[0])) / shape[0])
    cols = np.exp(-2j * np.pi * np.outer(np.arange(shape[1] // 2 + 1), np.arange(k.shape[1])) / shape[1])
    return (rows @ k) @ cols.T


def _plane_fft(x, k, plan, out):
    """``out`` through the FFT: for large kernels, cheaper than one pass per tap."""
    (sr, sc), (dr, dc) = plan.stride, plan.dilation
    if (dr, dc) != (1, 1):  # put the taps where the dilation puts them, zeros between
        spread = np.zeros(((k.shape[0] - 1) * dr + 1, (k.shape[1] - 1) * dc + 1), dtype=k.dtype)
        spread[::dr, ::dc] = k
        k = spread
    kh, kw = k.shape
    out_h, out_w = out.shape
    need_h, need_w = (out_h - 1) * sr + kh, (out_w - 1) * sc + kw  # the rows/cols of x we read
    shape = (_fast_length(need_h), _fast_length(need_w))
    # Correlating with k is convolving with k flipped; the circular wrap-around only touches
    # the first kh-1 rows and kw-1 columns, which are not part of the valid output.
    spectrum = np.fft.rfft2(x[:need_h, :need_w], s=shape)
    spectrum *= _small_spectrum(k[::-1, ::-1], shape).astype(spectrum.dtype, copy=False)
    full = np.fft.irfft2(spectrum, s=shape)
    out[...] = full[kh - 1 : need_h : sr, kw - 1 : need_w : sc]


def _conv_layer(plan, out):
    """Images (N, H, W, C), filters (K, kh, kw, C) -> ``out`` (N, H', W', K), in place.

    The output is filled in chunks. For each chunk the numbers under the filter are copied, in
    one go, into a patch matrix (one row per output position, one column per number (i, j, c)
    under the filter) and multiplied by the filters in one matmul written straight into the
    output; the bias is added while the chunk is still in cache. Memory beyond the output stays
    at about one chunk.
    """
    n_filters, kh, kw, channels = plan.w.shape
    (sr, sc), (dr, dc) = plan.stride, plan.dilation
    n_images = plan.x.shape[0]
    out_h, out_w = plan.out_hw
    x = np.pad(plan.x, ((0, 0), plan.pad[0], plan.pad[1], (0, 0)))  # a contiguous copy
    s_n, s_h, s_w, s_c = x.strides
    # every window at once, as a view: (N, H', W', kh, kw, C), stride and dilation included
    windows = np.lib.stride_tricks.as_strided(
        x, shape=(n_images, out_h, out_w, kh, kw, channels),
        strides=(s_n, s_h * sr, s_w * sc, s_h * dr, s_w * dc, s_c), writeable=False,
    )
    taps = kh * kw * channels
    weights = plan.w.transpose(1, 2, 3, 0).reshape(taps, n_filters)  # rows: (i, j, c)

    # a chunk's patch matrix holds about _CHUNK_BYTES: big enough for an efficient matmul,
    # small enough to stay in cache while it is filled and used
    row_bytes = out_w * taps * plan.dtype.itemsize
    rows = max(1, _CHUNK_BYTES // row_bytes)
    if rows >= out_h:  # whole images fit in a chunk: take several at once
        images, rows = max(1, _CHUNK_BYTES // (row_bytes * out_h)), out_h
    else:
        images = 1
    buffer = np.empty(images * rows * out_w * taps, dtype=plan.dtype)
    for n0 in range(0, n_images, images):
        n1 = min(n_images, n0 + images)
        for r0 in range(0, out_h, rows):
            r1 = min(out_h, r0 + rows)
            chunk = windows[n0:n1, r0:r1]
            patches = buffer[: chunk.size].reshape(chunk.shape)  # contiguous, so reshaping is free
            np.copyto(patches, chunk)
            target = out[n0:n1, r0:r1].reshape(-1, n_filters)  # a view: these rows are contiguous
            np.matmul(patches.reshape(-1, taps), weights, out=target)
            if plan.b is not None:
                target += plan.b
