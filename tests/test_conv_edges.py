"""conv2d at the edges of its numbers: NaN, infinities, huge and tiny values, integer limits.

The fast path must agree with the loop twin output by output, within a tolerance set by the
numbers in each output's own window, however wild the rest of the image is.
"""

from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convlib import conv2d, conv2d_loop, fast
from convlib.fast import fft_is_exact_enough

SPECIAL = [np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-300, 1e150, -3e200]


def _agree(fast, loop, image, kernel, **kw):
    """NaN where the loop has NaN, the same infinities, and the finite rest within tolerance.

    The tolerance of an output is 1e-9 of the sum of |products| in its own window (what the
    direct sum's rounding can reach) plus 1e-12 of the image's typical magnitude times |kernel|.
    """
    assert fast.shape == loop.shape and fast.dtype == loop.dtype
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(loop))
    infinite = np.isinf(loop)
    np.testing.assert_array_equal(fast[infinite], loop[infinite])
    finite = np.isfinite(loop)
    assert np.isfinite(fast[finite]).all()
    with np.errstate(over="ignore", invalid="ignore"):
        local = conv2d_loop(np.abs(np.nan_to_num(image, posinf=0, neginf=0)), np.abs(kernel), **kw)
    typical = np.median(np.abs(image[np.isfinite(image)])) * np.abs(kernel).sum()
    tolerance = 1e-9 * local + 1e-12 * typical
    with np.errstate(invalid="ignore"):  # inf - inf where both are infinite, checked above
        error = np.abs(fast - loop)
    worst = np.unravel_index(np.argmax(np.where(finite, error - tolerance, -np.inf)), error.shape)
    assert (error[finite] <= tolerance[finite]).all(), (worst, error[worst], tolerance[worst])


@contextmanager
def fft_at_any_size():
    """The FFT path open to images of any size (from 128x128 otherwise), so that the loop twin
    stays cheap as the oracle; yields the list of images the FFT computed."""
    real, taken = fast._plane_fft, []

    def counted(x, *args):
        taken.append(x.shape)
        return real(x, *args)

    with mock.patch.object(fast, "_FFT_MIN_PIXELS", 1), mock.patch.object(fast, "_plane_fft", counted):
        yield taken


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(24, 40),
    taps=st.sampled_from([9, 11]),
    specials=st.lists(st.tuples(st.sampled_from(SPECIAL), st.floats(0, 1), st.floats(0, 1)), max_size=3),
    scale=st.sampled_from([1.0, 1e-200, 1e200]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fast_path_agrees_with_the_loop_on_non_finite_and_wide_ranging_images(size, taps, specials, scale, seed):
    """The FFT path (a 9x9 or 11x11 kernel) exactly where it is exact enough, else the direct one."""
    rng = np.random.default_rng(seed)
    image = rng.random((size, size)) * scale
    for value, fr, fc in specials:
        image[int(fr * (size - 1)), int(fc * (size - 1))] = value
    kernel = rng.standard_normal((taps, taps))
    with np.errstate(all="ignore"):
        loop = conv2d_loop(image, kernel)
    with fft_at_any_size() as taken, np.errstate(all="raise"):  # no RuntimeWarning from an FFT of NaNs
        try:
            out = conv2d(image, kernel)
        except FloatingPointError:
            with np.errstate(all="ignore"):  # the direct path's own inf - inf, as the loop's
                out = conv2d(image, kernel)
    assert bool(taken) == fft_is_exact_enough(image, kernel)
    _agree(out, loop, image, kernel)


def test_one_nan_or_huge_pixel_stays_in_its_windows():
    rng = np.random.default_rng(7)
    image = rng.random((40, 40))
    kernel = rng.random((9, 9)) + 0.5  # not rank one, which would take two 1-D passes instead
    with fft_at_any_size() as taken:
        conv2d(image, kernel)
        assert taken  # a photo-like image takes the FFT path ...
        image[20, 20] = np.nan
        out = conv2d(image, kernel)
        assert np.isnan(out).sum() == 81  # ... one NaN spoils only the 81 windows it is in
        image[20, 20] = 1e300
        out = conv2d(image, kernel)
    far = np.ones(out.shape, bool)
    far[12:21, 12:21] = False
    np.testing.assert_allclose(out[far], conv2d_loop(image, kernel)[far], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_integers_are_exact_up_to_the_edge_of_int64(dtype):
    top = np.iinfo(np.int64).max
    image = np.array([[top // 4, top // 4], [top // 4, top // 4]], dtype=dtype)
    out = conv2d(image, np.ones((2, 2), dtype=dtype))
    assert out.dtype == np.int64 and int(out[0, 0]) == 4 * (top // 4)  # exact, no wrap
    assert int(conv2d_loop(image, np.ones((2, 2), dtype=dtype))[0, 0]) == 4 * (top // 4)


@pytest.mark.parametrize("image, kernel, bound", [
    (np.full((3, 3), 2**62, np.int64), np.ones((2, 2), np.int64), 2**64),
    (np.array([[2**63]], np.uint64), np.ones((1, 1), np.uint8), 2**63),
    (np.array([[np.iinfo(np.int64).min]]), np.array([[1]]), 2**63),
    (np.array([[2**62, 1]]), np.array([[1, 1]]), 2**62 + 2**62),
])
@pytest.mark.parametrize("conv", [conv2d, conv2d_loop], ids=["fast", "loop"])
def test_integers_that_could_overflow_raise_and_name_the_bound(conv, image, kernel, bound):
    with pytest.raises(OverflowError, match=f"could reach {bound:,}") as info:
        conv(image, kernel)
    assert "int64" in str(info.value) and "dtype=float" in str(info.value)


def test_a_bias_counts_towards_the_bound():
    top = np.iinfo(np.int64).max
    assert int(conv2d(np.array([[top - 1]]), np.array([[1]]), bias=1)[0, 0]) == top
    with pytest.raises(OverflowError):
        conv2d(np.array([[top - 1]]), np.array([[1]]), bias=2)


SEPARABLE = {
    "box": np.ones((7, 7)) / 49,
    "Gaussian": np.outer(*[np.array([1.0, 6, 15, 20, 15, 6, 1])] * 2) / 4096,
    "Sobel": np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
}


@pytest.mark.parametrize("name", SEPARABLE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("special", [None, np.nan, np.inf, 1e300])
def test_separable_kernels_two_passes_agree_with_the_loop(name, dtype, special, monkeypatch):
    """Box, Gaussian and Sobel kernels take two 1-D passes, on rows split over the cores."""
    monkeypatch.setattr(fast, "_THREAD_MIN_OUTPUTS", 200)  # split this small image in bands too
    rng = np.random.default_rng(3)
    image = rng.random((36, 41)).astype(dtype)
    if special is not None:
        image[17, 20] = special if dtype == np.float64 or special != 1e300 else 1e30
    kernel = SEPARABLE[name].astype(dtype)
    assert fast._rank_one(kernel, np.dtype(dtype)) is not None
    for kw in ({}, {"stride": 2, "padding": "same"}, {"dilation": 2, "padding": 3}):
        with np.errstate(all="ignore"):
            fast_out, loop = conv2d(image, kernel, **kw), conv2d_loop(image, kernel, **kw)
        if dtype == np.float32:  # float32 rounding: compare in float64 terms
            np.testing.assert_array_equal(np.isnan(fast_out), np.isnan(loop))
            finite = np.isfinite(loop)
            np.testing.assert_allclose(fast_out[finite], loop[finite], rtol=1e-5, atol=1e-5)
        else:
            _agree(fast_out, loop, image, kernel, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("kw", [{}, {"stride": 2}, {"stride": (1, 3), "dilation": 2}, {"padding": 2},
                                {"padding": (1, 3), "dilation": (1, 2)}])
def test_a_kernel_with_more_taps_than_outputs_takes_one_dot_product_per_output(dtype, kw, monkeypatch):
    """A gradient's correlation (a 48x48 image with a 46x46 map of errors, a 3x3 output) is
    computed window by window, and agrees with the loop; a kernel smaller than its output is not."""
    windows = []
    monkeypatch.setattr(fast, "_plane_windows", lambda *args, real=fast._plane_windows: windows.append(1) or real(*args))
    rng = np.random.default_rng(11)
    for image_shape, kernel_shape in [((48, 48), (46, 46)), ((13, 11), (9, 10)), ((30, 30), (3, 3))]:
        windows.clear()
        if dtype == np.int64:
            image, kernel = rng.integers(-9, 10, image_shape), rng.integers(-9, 10, kernel_shape)
        else:
            image, kernel = rng.standard_normal(image_shape).astype(dtype), rng.standard_normal(kernel_shape).astype(dtype)
        try:
            loop = conv2d_loop(image, kernel, **kw)
        except ValueError:  # a dilated kernel wider than the padded image: both refuse it
            with pytest.raises(ValueError):
                conv2d(image, kernel, **kw)
            continue
        out = conv2d(image, kernel, **kw)
        assert out.shape == loop.shape and out.dtype == loop.dtype
        if dtype == np.int64:
            np.testing.assert_array_equal(out, loop)
        else:
            np.testing.assert_allclose(out, loop, rtol=1e-4 if dtype == np.float32 else 1e-12,
                                       atol=1e-3 if dtype == np.float32 else 1e-11)
        assert bool(windows) == (kernel.size > out.size)


def test_a_general_kernel_is_not_taken_for_a_separable_one():
    assert fast._rank_one(np.random.default_rng(0).standard_normal((7, 7)), np.dtype(np.float64)) is None
    assert fast._rank_one(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]), np.dtype(np.float32)) is None


def test_the_callers_numpy_error_state_holds_in_every_band(monkeypatch):
    monkeypatch.setattr(fast, "_THREAD_MIN_OUTPUTS", 100)
    image = np.ones((60, 60))
    image[30, 30] = np.inf
    kernel = np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]])  # zeros: inf * 0 is invalid
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        conv2d(image, kernel)
    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("error")
        assert np.isnan(conv2d(image, kernel)).sum() == 4


@pytest.mark.parametrize("batch, size, filters, k, padding", [(64, 32, 16, 5, 2), (2, 96, 32, 3, 1)])
def test_a_layer_needs_little_memory_beyond_its_output(batch, size, filters, k, padding):
    """Peak allocation (NumPy reports to tracemalloc) under 1.5x the output, float32 and float64."""
    import tracemalloc

    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        images = rng.standard_normal((batch, size, size, 3)).astype(dtype)
        kernels = rng.standard_normal((filters, k, k, 3)).astype(dtype)
        tracemalloc.start()
        try:
            out = conv2d(images, kernels, np.zeros(filters, dtype), padding=padding)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert out.dtype == dtype and peak < 1.5 * out.nbytes, (dtype, peak / out.nbytes)


def test_simple_separable_kernels_stay_exact():
    """The identity and a one-pixel shift are rank one: their two passes must not round."""
    from convlib.data import photo

    image = photo().astype(float)  # 600x512, large enough for the bands
    identity = np.zeros((3, 3))
    identity[1, 1] = 2.0
    np.testing.assert_array_equal(conv2d(image, identity, padding="same"), 2 * image)
    shift = np.zeros((3, 3))
    shift[1, 2] = 1.0  # the output at (r, c) is the pixel at (r + 1, c + 2)
    np.testing.assert_array_equal(conv2d(image, shift), image[1:-1, 2:])
