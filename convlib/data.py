"""The lessons' images and kernels. Nothing is downloaded: photos come from installed packages.

Shapes follow ``conv2d``: grayscale ``(H, W)``, colour ``(H, W, 3)``, channels last.
"""

from __future__ import annotations

import numpy as np

__all__ = ["binary_image", "x_kernel", "photo", "small_photo"]


def binary_image():
    """The 5x5 image of the first lesson: pixels that are only 0 or 1.

    Returns
    -------
    ndarray of int64, shape (5, 5)
        A new array each call, so a learner may change it freely.

    Examples
    --------
    >>> binary_image()
    array([[1, 1, 1, 0, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 1, 1, 1],
           [0, 0, 1, 1, 0],
           [0, 1, 1, 0, 0]])
    """
    return np.array(
        [
            [1, 1, 1, 0, 0],
            [0, 1, 1, 1, 0],
            [0, 0, 1, 1, 1],
            [0, 0, 1, 1, 0],
            [0, 1, 1, 0, 0],
        ]
    )


def x_kernel():
    """The 3x3 kernel of the first lesson, ones on the corners and the centre (an "x").

    Returns
    -------
    ndarray of int64, shape (3, 3)

    Examples
    --------
    >>> x_kernel()
    array([[1, 0, 1],
           [0, 1, 0],
           [1, 0, 1]])
    """
    return np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def _load_photo():
    """Grace Hopper's portrait from matplotlib's own sample data: (600, 512, 3) uint8."""
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        return Image.open(handle).convert("RGB")


def photo(gray=True, size=None):
    """A real photo, from the sample data that matplotlib installs.

    Parameters
    ----------
    gray : bool
        True: one channel of brightness, ``(H, W)``. False: colour, ``(H, W, 3)``.
    size : int, optional
        Crop the photo to a centred square and shrink it to ``size`` x ``size`` pixels.

    Returns
    -------
    ndarray of uint8, values 0 (black) to 255 (white)
        ``(600, 512)`` or ``(600, 512, 3)`` at full size.

    Examples
    --------
    >>> photo().shape, photo().dtype
    ((600, 512), dtype('uint8'))
    >>> photo(gray=False, size=64).shape
    (64, 64, 3)
    """
    from PIL import Image

    if not isinstance(gray, (bool, np.bool_)):
        raise TypeError(f"gray must be True (one channel of brightness) or False (colour); got {gray!r}")
    picture = _load_photo()
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"size must be a positive whole number of pixels; got {size!r}")
        width, height = picture.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 4  # keep the face: crop nearer the top
        picture = picture.crop((left, top, left + side, top + side))
        picture = picture.resize((size, size), Image.Resampling.LANCZOS)
    if gray:
        picture = picture.convert("L")
    return np.asarray(picture).copy()


def small_photo(size=32):
    """The photo as a small colour image, ``(size, size, 3)`` uint8: a CIFAR-sized input.

    Examples
    --------
    >>> small_photo().shape
    (32, 32, 3)
    """
    return photo(gray=False, size=size)
