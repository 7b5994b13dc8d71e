"""The named filters of the filter-effects table, each a 3x3 array of floats.

>>> list(KERNELS)[:3]
['identity', 'mixed second derivative', 'edge detection (Laplacian)']
>>> float(KERNELS["sharpen"].sum())
1.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["KERNELS", "kernel", "describe", "DESCRIPTIONS", "canonical_name", "name_of", "divisor"]

KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    # the mixed second derivative d2/dx dy (times 4, by central differences): not an edge detector
    "mixed second derivative": np.array([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], dtype=float),
    "edge detection (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "edge detection (all directions)": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "box blur": np.ones((3, 3)) / 9,
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16,
}

DESCRIPTIONS = {
    "identity": "changes nothing: the output pixel is the pixel under the centre",
    "mixed second derivative": "0 on ramps and straight horizontal or vertical edges; answers at corners, "
                               "diagonal lines, saddles",
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
    return KERNELS[canonical_name(name)].copy()


def canonical_name(name):
    """The key of ``KERNELS`` that ``name`` means, case aside; KeyError listing the names if none.

    >>> canonical_name("gaussian BLUR")
    'Gaussian blur'
    """
    for key in KERNELS:
        if key.lower() == str(name).lower():
            return key
    raise KeyError(f"no kernel named {name!r}; the names are: {', '.join(KERNELS)}")


def name_of(values):
    """The name of the named kernel equal to ``values`` (3x3), or None.

    >>> name_of([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    'sharpen'
    >>> name_of(np.zeros((3, 3))) is None
    True
    """
    values = np.asarray(values, dtype=float)
    return next((n for n, k in KERNELS.items() if k.shape == values.shape and np.allclose(k, values)), None)


def divisor(values, largest=32):
    """The smallest d <= ``largest`` that makes every number of ``values`` times d whole (else 1).

    Writes 1/9 and 1/16 kernels as whole numbers over a fraction:

    >>> divisor(KERNELS["box blur"]), divisor(KERNELS["Gaussian blur"]), divisor(KERNELS["sharpen"])
    (9, 16, 1)
    """
    values = np.asarray(values, dtype=float)
    return next((d for d in range(1, largest + 1) if np.allclose(values * d, np.round(values * d))), 1)


def describe(name):
    """One sentence on what the named kernel does to an image.

    >>> describe("box blur")
    'the average of the 3x3 neighbourhood'
    """
    return DESCRIPTIONS[canonical_name(name)]
