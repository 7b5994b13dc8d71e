"""Argument checks and number formatting shared by the course's functions.

Every public function of ``convlib`` turns what a learner passes into arrays and whole numbers
here, so that a wrong argument gets the same clear message wherever it is passed: what was
wrong, and what was expected, in the lesson's terms.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_numbers", "shape_text", "pair", "whole", "padding_amounts", "grid", "shape_triple",
           "channels_first_hint", "format_number"]




def as_numbers(value, name):
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


def shape_text(shape):
    return str(tuple(int(n) for n in shape))


def pair(value, name, *, minimum):
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


def padding_amounts(padding, kernel_span):
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
    rows, cols = pair(padding, "padding", minimum=0)
    return ((rows, rows), (cols, cols))


def whole(value, name, *, minimum=1):
    """One whole number >= ``minimum`` (for one axis, one count), or a TypeError/ValueError.

    >>> whole(3, "n")
    3
    >>> whole(5.0, "n")
    Traceback (most recent call last):
    TypeError: n must be a positive whole number; got 5.0 (float)
    """
    what = "a positive whole number" if minimum == 1 else f"a whole number >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}; got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return int(value)


def channels_first_hint(shape, channels=None):
    """A sentence for an image whose shape looks channels-first ``(C, H, W)`` / ``(N, C, H, W)``.

    ``channels``: the depth expected (a kernel's), when known. Empty when the shape does not
    look that way.

    >>> channels_first_hint((3, 32, 32), 3)
    ' The image looks channels-first (C, H, W) = (3, 32, 32), as PyTorch stores images; convlib puts channels last (H, W, C): np.moveaxis(image, 0, -1) gives shape (32, 32, 3).'
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) not in (3, 4):
        return ""
    axis = len(shape) - 3  # where C would be in (C, H, W) / (N, C, H, W)
    c, last = shape[axis], shape[-1]
    fits = c == channels if channels is not None else c in (1, 3, 4) and last not in (1, 3, 4)
    if not fits or c == last:
        return ""
    moved = shape[:axis] + shape[axis + 1:] + (c,)
    layout = "(C, H, W)" if axis == 0 else "(N, C, H, W)"
    return (f" The image looks channels-first {layout} = {shape}, as PyTorch stores images; convlib puts "
            f"channels last {'(H, W, C)' if axis == 0 else '(N, H, W, C)'}: np.moveaxis(image, {axis}, -1) "
            f"gives shape {moved}.")


def grid(values, name, where):
    """``values`` as a non-empty 2-D float array (H, W) for a figure, or a clear error.

    ``where`` names the function for the message (``"draw_grid"``).

    >>> grid([[1, 2], [3, 4]], "values", "draw_grid").shape
    (2, 2)
    """
    arr = as_numbers(values, name)
    if arr.ndim != 2:
        extra = ""
        if arr.ndim == 3:
            extra = "; for one channel of a colour image, pass image[:, :, 0]"
        elif arr.ndim == 1:
            extra = f"; for one row write [{name}] or {name}.reshape(1, -1)"
        raise ValueError(f"{where} draws a 2-D array (H, W); got {name} of shape {shape_text(arr.shape)}{extra}")
    if arr.size == 0:
        raise ValueError(f"{where} needs at least one number; got {name} of shape {shape_text(arr.shape)}")
    return arr.astype(float)


def shape_triple(value, name, labels="(H, W, C)"):
    """A shape of three positive whole numbers, ``(H, W, C)``, or a clear error.

    >>> shape_triple([32, 32, 3], "input_shape")
    (32, 32, 3)
    """
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise ValueError(f"{name} must be three whole numbers {labels}; got {value!r}")
    return tuple(whole(v, f"each number of {name}") for v in value)


def format_number(value):
    """Short text for a number in a cell: integers as integers, others with 2 decimals.

    >>> format_number(4.0), format_number(0.125), format_number(-1234.5)
    ('4', '0.12', '-1234')
    """
    value = float(value)
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("∞" if value > 0 else "-∞")
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.0f}"
