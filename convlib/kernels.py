"""The named filters of the filter-effects table, each a 3x3 array of floats.

>>> list(KERNELS)[:3]
['identity', 'edge detection (diagonal)', 'edge detection (Laplacian)']
>>> float(KERNELS["sharpen"].sum())
1.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["KERNELS", "kernel", "describe", "DESCRIPTIONS"]

KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "edge detection (diagonal)": np.array([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], dtype=float),
    "edge detection (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "edge detection (all directions)": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "box blur": np.ones((3, 3)) / 9,
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16,
}

DESCRIPTIONS = {
    "identity": "changes nothing: the output pixel is the pixel under the centre",
    "edge detection (diagonal)": "responds where brightness changes along the diagonals",
    "edge detection (Laplacian)": "responds where a pixel differs from its four neighbours",
    "edge detection (all directions)": "responds where a pixel differs from all eight neighbours",
    "sharpen": "the pixel plus its difference from its neighbours: edges stand out",
    "box blur": "the average of the 3x3 neighbourhood",
    "Gaussian blur": "a weighted average, the centre counting most: a softer blur",
}


def kernel(name):
    """A copy of the named kernel.

    Parameters
    ----------
    name : str
        One of ``KERNELS``'s keys; case does not matter.

    Returns
    -------
    ndarray of float, shape (3, 3)

    Raises
    ------
    KeyError
        If no kernel has that name; the message lists the names there are.

    Examples
    --------
    >>> kernel("Gaussian blur") * 16
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    for key, value in KERNELS.items():
        if key.lower() == str(name).lower():
            return value.copy()
    raise KeyError(f"no kernel named {name!r}; the names are: {', '.join(KERNELS)}")


def describe(name):
    """One sentence on what the named kernel does to an image.

    >>> describe("box blur")
    'the average of the 3x3 neighbourhood'
    """
    kernel(name)  # the same error for an unknown name
    return next(text for key, text in DESCRIPTIONS.items() if key.lower() == str(name).lower())
