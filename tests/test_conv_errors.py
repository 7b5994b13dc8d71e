"""Every bad input a learner may give gets a clear TypeError/ValueError naming what to fix."""

import numpy as np
import pytest

from convlib import conv2d, conv2d_loop

IMAGE = np.ones((5, 5))
KERNEL = np.ones((3, 3))
BOTH = pytest.mark.parametrize("conv", [conv2d, conv2d_loop], ids=["fast", "loop"])

CASES = [
    # (call arguments, exception, a phrase the message must contain)
    (dict(image=np.ones((5, 5, 3)), kernel=KERNEL), ValueError, "kernel has depth 1 but the image has 3 channels"),
    (dict(image=np.ones((5, 5, 3)), kernel=np.ones((3, 3, 2))), ValueError, "kernel has depth 2 but the image has 3 channels"),
    (dict(image=np.ones((2, 5, 5, 3)), kernel=np.ones((4, 3, 3, 1))), ValueError, "give the kernel shape (3, 3, 3)"),
    (dict(image=IMAGE, kernel=np.ones((4, 3, 3))), ValueError, "if you meant 4 filters of 3x3, shape (4, 3, 3, 1)"),
    (dict(image=IMAGE, kernel=np.ones((7, 7))), ValueError, "kernel is 7x7 but the image is only 5x5"),
    (dict(image=IMAGE, kernel=np.ones((7, 7)), padding=0), ValueError, "must fit inside the image"),
    (dict(image=IMAGE, kernel=np.ones((9, 9)), padding=1), ValueError, "padded image is only 7x7"),
    (dict(image=IMAGE, kernel=KERNEL, dilation=3), ValueError, "spanning 7x7 with dilation (3, 3)"),
    (dict(image=IMAGE, kernel=KERNEL, stride=0), ValueError, "stride must be a positive whole number; got 0"),
    (dict(image=IMAGE, kernel=KERNEL, stride=-1), ValueError, "stride must be a positive whole number"),
    (dict(image=IMAGE, kernel=KERNEL, stride=1.5), TypeError, "stride must be a positive whole number or a (rows, cols) pair"),
    (dict(image=IMAGE, kernel=KERNEL, stride=2.0), TypeError, "got 2.0 (float)"),
    (dict(image=IMAGE, kernel=KERNEL, stride="2"), TypeError, "stride must be"),
    (dict(image=IMAGE, kernel=KERNEL, stride=True), TypeError, "stride must be"),
    (dict(image=IMAGE, kernel=KERNEL, stride=(1, 2, 3)), ValueError, "(rows, cols) pair; got 3 values"),
    (dict(image=IMAGE, kernel=KERNEL, dilation=0), ValueError, "dilation must be a positive whole number"),
    (dict(image=IMAGE, kernel=KERNEL, dilation=0.5), TypeError, "dilation must be"),
    (dict(image=IMAGE, kernel=KERNEL, padding=-1), ValueError, "padding must be a whole number >= 0"),
    (dict(image=IMAGE, kernel=KERNEL, padding=0.5), TypeError, "padding must be"),
    (dict(image=IMAGE, kernel=KERNEL, padding="full"), ValueError, "'valid' or 'same'; got 'full'"),
    (dict(image=np.ones(5), kernel=KERNEL), ValueError, "image must have shape (H, W), (H, W, C) or (N, H, W, C); got 1 dimension"),
    (dict(image=np.ones((1, 1, 5, 5, 1)), kernel=KERNEL), ValueError, "got 5 dimensions"),
    (dict(image=IMAGE, kernel=np.ones(3)), ValueError, "kernel must have shape (kh, kw), (kh, kw, C) or (K, kh, kw, C)"),
    (dict(image=IMAGE, kernel=5), ValueError, "kernel must have shape"),
    (dict(image=np.ones((0, 5)), kernel=KERNEL), ValueError, "image is empty"),
    (dict(image=IMAGE, kernel=np.ones((0, 3))), ValueError, "kernel is empty"),
    (dict(image=[], kernel=KERNEL), ValueError, "image"),
    (dict(image=[["a", "b"], ["c", "d"]], kernel=KERNEL), TypeError, "image must hold numbers"),
    (dict(image=IMAGE, kernel=[[1, 2], [3, None]]), ValueError, "kernel is not rectangular or holds things that are not numbers"),
    (dict(image=[[1, 2, 3], [4, 5]], kernel=[[1]]), ValueError, "image is not rectangular"),
    (dict(image=np.ones((5, 5), complex), kernel=KERNEL), TypeError, "image must hold real numbers"),
    (dict(image=None, kernel=KERNEL), TypeError, "image is None"),
    (dict(image=IMAGE, kernel=None), TypeError, "kernel is None"),
    (dict(image="cat.png", kernel=KERNEL), TypeError, "image must be an array of numbers, got the text 'cat.png'"),
    (dict(image=IMAGE, kernel=np.ones((2, 3, 3, 1)), bias=[1, 2, 3]), ValueError, "bias has shape (3,) but there are 2 filters"),
    (dict(image=IMAGE, kernel=KERNEL, bias=[1, 2]), ValueError, "bias has shape (2,) but there is 1 filter; expected a number"),
    (dict(image=IMAGE, kernel=KERNEL, bias=[[1]]), ValueError, "bias has shape (1, 1)"),
    (dict(image=IMAGE, kernel=KERNEL, bias="one"), TypeError, "bias must be an array of numbers"),
]


@BOTH
@pytest.mark.parametrize("kwargs, error, phrase", CASES, ids=[c[2][:40] for c in CASES])
def test_bad_input_message(conv, kwargs, error, phrase):
    kwargs = dict(kwargs)
    with pytest.raises(error) as info:
        conv(kwargs.pop("image"), kwargs.pop("kernel"), **kwargs)
    assert phrase in str(info.value)
    # never NumPy's own words from deep inside
    for leak in ("broadcast", "einsum", "operands could not", "index", "inhomogeneous"):
        assert leak not in str(info.value)


@BOTH
def test_no_index_error_on_any_small_shape_combination(conv):
    # Every combination of small shapes either works or raises a learner-facing error.
    shapes = [(1,), (2, 2), (3, 3), (2, 2, 1), (2, 2, 3), (4, 4, 3), (2, 3, 3, 3), (1, 4, 4, 1), (0, 3)]
    for image_shape in shapes:
        for kernel_shape in shapes:
            try:
                conv(np.ones(image_shape), np.ones(kernel_shape))
            except (TypeError, ValueError) as err:
                assert "image" in str(err) or "kernel" in str(err)
