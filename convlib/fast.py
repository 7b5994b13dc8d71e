"""The fast paths behind :func:`convlib.conv2d` (the lesson's version is :func:`convlib.conv2d_loop`).

``conv_plane``
    one 2-D image and one 2-D kernel: a sum of shifted slices, a strip of rows at a time; for
    kernels with more taps than there are outputs, one dot product per output; for large
    kernels on large, finite images of bounded range, the FFT;
``conv_layer``
    images with channels and a layer of filters: the windows as a patch matrix, one matmul
    per chunk of output rows.

Both write into an output the caller made and take the checked arguments of
:func:`convlib.conv._plan` (``plan.stride``, ``plan.pad``, ...).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

__all__ = ["conv_plane", "conv_layer", "fft_is_exact_enough"]

# The 2-D path works on strips of output rows this many bytes large, so that the rows it reads
# and writes stay in the processor's cache between the kernel's taps.
_STRIP_BYTES = 1024 * 1024
# The layer path fills the output in chunks whose patch matrix is about this many bytes.
_CHUNK_BYTES = 4 * 1024 * 1024
# Above this many (taps x bytes per number) the 2-D path switches from shifted slices to the FFT
# (measured on 2048x2048: from 9x9 in float64, from 11x11 in float32).
_FFT_TAP_BYTES = 400
_FFT_MIN_PIXELS = 128 * 128
# ... and only for images whose root-mean-square is within this factor of their median magnitude
_FFT_RANGE = 1e3
# Planes with at least this many outputs are shared out, a band of rows each, over the cores
# (NumPy lets go of the GIL inside its loops).
_THREAD_MIN_OUTPUTS = 512 * 512




def conv_plane(x, k, plan, out):
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
        factors = _rank_one(k, plan.dtype) if plan.dtype.kind == "f" else None
        if factors is not None and _finite_energy(inner):
            _in_bands(_plane_separable, inner, factors, plan, interior)
        elif (plan.dtype.kind == "f" and k.size * plan.dtype.itemsize > _FFT_TAP_BYTES
              and interior.size >= _FFT_MIN_PIXELS and fft_is_exact_enough(inner, k)):
            _plane_fft(inner, k, plan, interior)
        else:
            _in_bands(_plane_direct, inner, k, plan, interior)
        bands = [(0, r_lo, 0, out_w), (r_hi, out_h, 0, out_w), (r_lo, r_hi, 0, c_lo), (r_lo, r_hi, c_hi, out_w)]
    else:
        bands = [(0, out_h, 0, out_w)]
    for r0, r1, c0, c1 in bands:
        if r1 > r0 and c1 > c0:
            rows = (r0 * sr, (r1 - 1) * sr + span_h)
            cols = (c0 * sc, (c1 - 1) * sc + span_w)
            _plane_direct(_padded_region(x, plan.pad, rows, cols), k, plan, out[r0:r1, c0:c1])


class _Steps(NamedTuple):
    """What the slice loops need of a plan: ``stride``, ``dilation``, ``dtype``."""

    stride: tuple
    dilation: tuple
    dtype: np.dtype


_pool = None


def _workers():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="convlib")
    return _pool


def _forget_pool():  # a forked child has none of its parent's threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _in_bands(method, x, k, plan, out):
    """``method(x, k, plan, out)``, split into bands of output rows, one per core, when large."""
    bands = min(4, os.cpu_count() or 1) if out.size >= _THREAD_MIN_OUTPUTS else 1
    if bands < 2:
        method(x, k, plan, out)
        return
    step = -(-out.shape[0] // bands)
    sr = plan.stride[0]
    caller = np.geterr()  # NumPy's error state belongs to a thread: the workers take the caller's

    def band(r0):
        with np.errstate(**caller):
            method(x[r0 * sr:], k, plan, out[r0:r0 + step])

    jobs = [_workers().submit(band, r0) for r0 in range(0, out.shape[0], step)]
    for job in jobs:
        job.result()


def _finite_energy(x):
    """Whether every value of ``x`` is finite and their squares sum without overflowing."""
    return bool(np.isfinite(np.einsum("ij,ij->", x, x)))


def _rank_one(k, dtype):
    """``(column, row)`` with ``k == column[:, None] * row[None, :]`` to ``dtype``'s precision, or None.

    Box, Gaussian and Sobel kernels are such outer products: two 1-D passes of ``kh`` and ``kw``
    taps then do the work of ``kh * kw``. The row is one of the kernel's own rows and the column
    that row's multiples, so that simple kernels stay exact (the identity stays 0s and a 1).
    """
    if k.shape[0] < 2 or k.shape[1] < 2 or k.size < 9 or not np.isfinite(k).all():
        return None
    k64 = k.astype(np.float64)
    i, j = np.unravel_index(np.argmax(np.abs(k64)), k64.shape)
    if k64[i, j] == 0:
        return None
    column, row = k64[:, j] / k64[i, j], k64[i]
    eps = np.finfo(dtype).eps
    if not np.allclose(np.outer(column, row), k64, rtol=16 * eps, atol=16 * eps * abs(k64[i, j])):
        return None
    return column.astype(dtype), row.astype(dtype)


def _plane_separable(x, factors, plan, out):
    """``out`` from a rank-one kernel: a pass down the columns, then one along the rows."""
    column, row = factors
    (sr, sc), (dr, dc) = plan.stride, plan.dilation
    width = (out.shape[1] - 1) * sc + dc * (len(row) - 1) + 1  # the columns the second pass reads
    middle = np.empty((out.shape[0], width), dtype=plan.dtype)
    _plane_slices(x[:, :width], column[:, None], _Steps((sr, 1), (dr, 1), plan.dtype), middle)
    _plane_slices(middle, row[None, :], _Steps((1, sc), (1, dc), plan.dtype), out)


def fft_is_exact_enough(x, k):
    """Whether the FFT may compute ``x`` (H, W) correlated with ``k`` (kh, kw).

    The FFT spreads every rounding error over the whole image, in proportion to the image's
    energy: one NaN or infinity makes every output NaN, one huge pixel shifts outputs far away
    from it. The FFT is used only for finite inputs whose root-mean-square stays within
    ``_FFT_RANGE`` times their median magnitude (a sample of it); anything else takes the
    direct path, where each output depends on its own window only.

    >>> rng = np.random.default_rng(0)
    >>> photo = rng.random((256, 256))
    >>> fft_is_exact_enough(photo, np.ones((9, 9)))
    True
    >>> photo[3, 3] = 1e300
    >>> fft_is_exact_enough(photo, np.ones((9, 9)))
    False
    """
    if not np.isfinite(k).all():
        return False
    energy = np.einsum("ij,ij->", x, x)  # no copy; inf or NaN if any pixel is, or if it overflows
    if not np.isfinite(energy):
        return False
    step_r, step_c = max(1, x.shape[0] // 64), max(1, x.shape[1] // 64)
    typical = float(np.median(np.abs(x[::step_r, ::step_c])))
    return typical > 0 and float(np.sqrt(energy / x.size)) <= _FFT_RANGE * typical


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


def _plane_direct(x, k, plan, out):
    """``out`` computed tap by tap (:func:`_plane_slices`), or window by window
    (:func:`_plane_windows`) when the kernel has more taps than there are outputs."""
    (_plane_windows if k.size > out.size > 0 else _plane_slices)(x, k, plan, out)


def _plane_windows(x, k, plan, out):
    """``out`` as one dot product per output: its window of ``x`` times ``k``.

    A kernel larger than its output (a gradient: the image correlated with a map of errors the
    size of the output) would take thousands of passes of a few numbers each, tap by tap. Same
    arguments as :func:`_plane_slices`; ``x`` is not copied.
    """
    (sr, sc), (dr, dc) = plan.stride, plan.dilation
    span_h, span_w = dr * (k.shape[0] - 1) + 1, dc * (k.shape[1] - 1) + 1
    rows, cols = (out.shape[0] - 1) * sr + span_h, (out.shape[1] - 1) * sc + span_w
    windows = np.lib.stride_tricks.sliding_window_view(x[:rows, :cols], (span_h, span_w))
    np.einsum("rcij,ij->rc", windows[::sr, ::sc, ::dr, ::dc], k, out=out)


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


def conv_layer(plan, out):
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
    # ... and at most a fifth of the output, so that the peak stays near the output's own size
    chunk_bytes = max(64 * 1024, min(_CHUNK_BYTES, out.nbytes // 5))
    row_bytes = out_w * taps * plan.dtype.itemsize
    rows = max(1, chunk_bytes // row_bytes)
    if rows >= out_h:  # whole images fit in a chunk: take several at once
        images, rows = max(1, chunk_bytes // (row_bytes * out_h)), out_h
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
