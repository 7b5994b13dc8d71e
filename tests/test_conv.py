"""conv2d and conv2d_loop against independent references, over shapes, strides, padding, dilation."""

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convlib import conv2d, conv2d_loop, leftover, output_size, zero_pad

SEED_IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
SEED_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
BOTH = pytest.mark.parametrize("conv", [conv2d, conv2d_loop], ids=["fast", "loop"])


def reference(image, kernel, bias=0.0, stride=(1, 1), pad=((0, 0), (0, 0)), dilation=(1, 1)):
    """A plain dictionary-of-positions implementation, written apart from convlib.

    image (N, H, W, C), kernel (K, kh, kw, C) -> (N, H', W', K). Padding is applied by index
    arithmetic (reading outside the image gives 0), not by np.pad.
    """
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    n_img, height, width, channels = image.shape
    n_k, kh, kw, _ = kernel.shape
    (top, bottom), (left, right) = pad
    rows = (height + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    cols = (width + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n_img, rows, cols, n_k))
    for n in range(n_img):
        for k in range(n_k):
            for r in range(rows):
                for c in range(cols):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            y = r * stride[0] + i * dilation[0] - top
                            x = c * stride[1] + j * dilation[1] - left
                            if 0 <= y < height and 0 <= x < width:
                                for ch in range(channels):
                                    total += image[n, y, x, ch] * kernel[k, i, j, ch]
                    out[n, r, c, k] = total + np.broadcast_to(bias, (n_k,))[k]
    return out


# ----------------------------------------------------------------------------- the seed example


@BOTH
def test_seed_example(conv):
    out = conv(SEED_IMAGE, SEED_KERNEL)
    assert out.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert out.dtype == np.int64


def test_seed_example_agrees_with_scipy():
    expected = scipy.signal.correlate2d(SEED_IMAGE, SEED_KERNEL, mode="valid")
    np.testing.assert_array_equal(conv2d(SEED_IMAGE, SEED_KERNEL), expected)


@BOTH
def test_no_flip_cross_correlation(conv):
    # An asymmetric kernel tells correlation from convolution.
    image = np.arange(16).reshape(4, 4)
    kernel = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(conv(image, kernel), scipy.signal.correlate2d(image, kernel, "valid"))
    assert not np.array_equal(conv(image, kernel), scipy.signal.convolve2d(image, kernel, "valid"))


# ----------------------------------------------------------------------------- shapes and dtypes


@BOTH
@pytest.mark.parametrize(
    "image_shape, kernel_shape, expected",
    [
        ((5, 5), (3, 3), (3, 3)),
        ((5, 5, 1), (3, 3), (3, 3)),
        ((5, 5), (3, 3, 1), (3, 3)),
        ((32, 32, 3), (5, 5, 3), (28, 28)),
        ((32, 32, 3), (6, 5, 5, 3), (28, 28, 6)),
        ((2, 32, 32, 3), (5, 5, 3), (2, 28, 28)),
        ((2, 8, 9, 3), (4, 3, 2, 3), (2, 6, 8, 4)),
    ],
)
def test_result_shapes(conv, image_shape, kernel_shape, expected):
    assert conv(np.ones(image_shape), np.ones(kernel_shape)).shape == expected


@BOTH
@pytest.mark.parametrize(
    "image_dtype, kernel_dtype, expected",
    [
        (bool, int, np.int64),
        (np.uint8, np.int8, np.int64),
        (np.int32, bool, np.int64),
        (np.float32, np.float32, np.float32),
        (np.float32, int, np.float32),
        (np.float16, np.float16, np.float32),
        (np.float32, np.float64, np.float64),
        (int, float, np.float64),
    ],
)
def test_result_dtype(conv, image_dtype, kernel_dtype, expected):
    out = conv(np.ones((6, 6), dtype=image_dtype), np.ones((3, 3), dtype=kernel_dtype))
    assert out.dtype == expected
    np.testing.assert_array_equal(out, np.full((4, 4), 9))


def test_uint8_image_does_not_overflow():
    image = np.full((4, 4), 255, dtype=np.uint8)
    assert conv2d(image, np.full((3, 3), 255, dtype=np.uint8)).tolist() == [[9 * 255 * 255] * 2] * 2


def test_float32_bias_keeps_float32():
    out = conv2d(np.ones((4, 4, 3), np.float32), np.ones((2, 3, 3, 3), np.float32), bias=0.5)
    assert out.dtype == np.float32
    assert conv2d(np.ones((4, 4), int), np.ones((3, 3), int), bias=0.5).dtype == np.float64
    assert conv2d(np.ones((4, 4), int), np.ones((3, 3), int), bias=2).dtype == np.int64


@BOTH
def test_bias_per_filter(conv):
    image = np.ones((4, 4, 2))
    out = conv(image, np.ones((3, 2, 2, 2)), bias=[0, 10, 100])
    np.testing.assert_array_equal(out[0, 0], [8, 18, 108])
    np.testing.assert_array_equal(conv(image, np.ones((2, 2, 2)), bias=-8), np.zeros((3, 3)))


@BOTH
def test_nested_lists_and_bools(conv):
    image = [[True, False], [False, True]]
    assert conv(image, [[True]]).tolist() == [[1, 0], [0, 1]]


# ----------------------------------------------------------------------------- padding & stride


def test_same_padding_keeps_size_at_stride_one():
    for size in (3, 4):  # odd and even kernels
        out = conv2d(np.ones((7, 9)), np.ones((size, size)), padding="same")
        assert out.shape == (7, 9)
    assert conv2d(np.ones((7, 9)), np.ones((3, 3)), padding="same", stride=2).shape == (4, 5)


def test_same_padding_puts_even_kernels_extra_zeros_bottom_right():
    image = np.arange(1, 10).reshape(3, 3)
    out = conv2d(image, np.ones((2, 2)), padding="same")
    # the window at (0, 0) covers image[0:2, 0:2]; the last row and column see padding
    assert out[0, 0] == 1 + 2 + 4 + 5
    assert out[2, 2] == 9


def test_padding_matches_scipy_full_and_same():
    rng = np.random.default_rng(1)
    image, kernel = rng.integers(-5, 5, (7, 8)), rng.integers(-3, 3, (3, 3))
    np.testing.assert_array_equal(conv2d(image, kernel, padding=2), scipy.signal.correlate2d(image, kernel, "full"))
    np.testing.assert_array_equal(conv2d(image, kernel, padding=1), scipy.signal.correlate2d(image, kernel, "same"))


def test_zero_pad():
    padded = zero_pad(np.ones((2, 3, 3)), (1, 2))
    assert padded.shape == (4, 7, 3)
    assert padded.sum() == 18 and padded[0].sum() == 0 and padded[:, :2].sum() == 0
    assert zero_pad(np.ones((5, 2, 3, 3)), 1).shape == (5, 4, 5, 3)


# ----------------------------------------------------------------------------- output_size


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((5, 3), {}, 3),
        ((5, 3), {"padding": 1}, 5),
        ((7, 3), {"stride": 2}, 3),
        ((8, 3), {"stride": 2}, 3),
        ((32, 5), {"padding": 2}, 32),
        ((227, 11), {"stride": 4}, 55),
        ((224, 3), {"stride": 2, "padding": "same"}, 112),
        ((9, 3), {"dilation": 2}, 5),
        ((5, 5), {"padding": "valid"}, 1),
    ],
)
def test_output_size(args, kwargs, expected):
    assert output_size(*args, **kwargs) == expected


def test_leftover_tells_an_uneven_stride():
    assert leftover(7, 3, stride=2) == 0
    assert leftover(8, 3, stride=2) == 1
    assert leftover(10, 3, stride=4) == 3


def test_output_size_errors():
    with pytest.raises(ValueError, match="kernel spans 7 but the padded input is only 5"):
        output_size(5, 7)
    with pytest.raises(TypeError, match="stride must be a positive whole number"):
        output_size(5, 3, stride=1.5)
    with pytest.raises(ValueError, match="padding must be a whole number >= 0"):
        output_size(5, 3, padding=-1)


# ----------------------------------------------------------------------------- properties


@st.composite
def problems(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)), st.just("same")))
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    pads = (0, 0) if isinstance(padding, str) else (padding if isinstance(padding, tuple) else (padding, padding))
    height = draw(st.integers(max(1, span[0] - 2 * pads[0]), 12))
    width = draw(st.integers(max(1, span[1] - 2 * pads[1]), 12))
    n_img, channels, n_k = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    image = rng.integers(-4, 5, (n_img, height, width, channels))
    kernel = rng.integers(-3, 4, (n_k, kh, kw, channels))
    bias = rng.integers(-5, 5, n_k)
    return image, kernel, bias, stride, padding, dilation


def _pad_pairs(padding, kernel, dilation):
    if padding == "same":
        spans = [d * (k - 1) for d, k in zip(dilation, kernel.shape[1:3])]
        return tuple((s // 2, s - s // 2) for s in spans)
    rows, cols = padding if isinstance(padding, tuple) else (padding, padding)
    return ((rows, rows), (cols, cols))


@settings(max_examples=150, deadline=None)
@given(problems())
def test_fast_and_loop_match_an_independent_reference(problem):
    image, kernel, bias, stride, padding, dilation = problem
    expected = reference(image, kernel, bias, stride, _pad_pairs(padding, kernel, dilation), dilation)
    args = dict(stride=stride, padding=padding, dilation=dilation)
    fast = conv2d(image, kernel, bias, **args)
    loop = conv2d_loop(image, kernel, bias, **args)
    assert fast.dtype == np.int64  # integers in, exact integers out
    np.testing.assert_array_equal(fast, expected)
    np.testing.assert_array_equal(loop, expected)
    for axis, (n, f) in enumerate([(image.shape[1], kernel.shape[1]), (image.shape[2], kernel.shape[2])]):
        pad = padding if isinstance(padding, str) else (padding[axis] if isinstance(padding, tuple) else padding)
        assert fast.shape[1 + axis] == output_size(n, f, stride=stride[axis], padding=pad, dilation=dilation[axis])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_2d_matches_scipy_ndimage(height, width, kh, kw, seed):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((height + kh - 1, width + kw - 1))
    kernel = rng.standard_normal((kh, kw))
    # ndimage centres the kernel at index k // 2 and keeps the input's size; the window that
    # starts at (r, c) is centred at (r + kh // 2, c + kw // 2).
    centred = scipy.ndimage.correlate(image, kernel, mode="constant")
    expected = centred[kh // 2 : kh // 2 + height, kw // 2 : kw // 2 + width]
    np.testing.assert_allclose(conv2d(image, kernel), expected, atol=1e-10)


@pytest.mark.parametrize("size", [7, 9, 15])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 2e-3)])
@pytest.mark.parametrize("stride, dilation, padding", [(1, 1, 0), (2, 1, "same"), (1, 2, 3)])
def test_large_kernels_fft_path(size, dtype, tol, stride, dilation, padding):
    # Large float kernels take the FFT path (on images of any size here, from 128x128 otherwise,
    # to keep the loop cheap); it must agree with the loop.
    from test_conv_edges import fft_at_any_size

    from convlib import fast

    rng = np.random.default_rng(size)
    image = rng.standard_normal((40, 46)).astype(dtype)
    kernel = rng.standard_normal((size, size)).astype(dtype)
    with fft_at_any_size() as taken:
        out = conv2d(image, kernel, stride=stride, dilation=dilation, padding=padding)
    assert bool(taken) == (kernel.nbytes > fast._FFT_TAP_BYTES)  # 9x9 float64 and 15x15 do
    assert out.dtype == dtype
    expected = conv2d_loop(image.astype(float), kernel.astype(float), stride=stride, dilation=dilation, padding=padding)
    np.testing.assert_allclose(out, expected, atol=tol * np.abs(expected).max())


def test_layer_larger_than_one_chunk():
    # The layer path fills the output chunk by chunk (at least 64 KiB of patches each); make it
    # take several chunks per image: each image's patch matrix is 40 x 20 x 72 numbers, 450 KiB.
    rng = np.random.default_rng(3)
    image = rng.standard_normal((2, 40, 40, 8))
    kernel = rng.standard_normal((4, 3, 3, 8))
    bias = rng.standard_normal(4)
    out = conv2d(image, kernel, bias, padding=1, stride=(1, 2))
    assert out.shape[1] * out.shape[2] * kernel[0].size * 8 > 6 * 64 * 1024
    expected = conv2d_loop(image, kernel, bias, padding=1, stride=(1, 2))
    np.testing.assert_allclose(out, expected, atol=1e-9)


def test_layer_of_small_images_several_per_chunk():
    rng = np.random.default_rng(4)
    image = rng.integers(0, 9, (9, 6, 5, 2))
    kernel = rng.integers(-2, 3, (3, 2, 2, 2))
    np.testing.assert_array_equal(conv2d(image, kernel), reference(image, kernel))


def test_conv2d_does_not_modify_its_inputs():
    image = np.arange(36.0).reshape(6, 6)
    kernel = np.ones((3, 3))
    before = image.copy(), kernel.copy()
    conv2d(image, kernel, bias=1.0, padding=1)
    np.testing.assert_array_equal(image, before[0])
    np.testing.assert_array_equal(kernel, before[1])
