"""Plain data across the sandbox wall: numbers, strings, lists, tuples and NumPy arrays as JSON.

The grader hands a submission its inputs and gets its answers back as JSON text, never as
pickles or code: decoding can only ever build numbers, strings, lists, tuples and numeric
arrays, and it refuses text that is too large or nested too deeply.

Examples
--------
>>> import numpy as np
>>> text = dumps({"args": (np.arange(4).reshape(2, 2), 3, 0.5)})
>>> loads(text)["args"]
(array([[0, 1],
       [2, 3]]), 3, 0.5)
>>> loads('{"__ndarray__": [1, 2], "dtype": "object"}')
Traceback (most recent call last):
...
ValueError: arrays of dtype 'object' are not accepted
"""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["dumps", "loads", "encode", "decode", "MAX_BYTES", "MAX_ITEMS"]

MAX_BYTES = 8 * 2**20  # one answer file
MAX_ITEMS = 1_000_000  # numbers in one decoded value
MAX_DEPTH = 32
MAX_TEXT = 2000  # characters of a string kept
DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128"}


def _number(x):
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, complex) or isinstance(x, np.complexfloating):
        return {"__complex__": [_number(x.real), _number(x.imag)]}
    x = float(x)
    return x if math.isfinite(x) else {"__float__": repr(x)}


def encode(value, depth=0):
    """A JSON-ready form of ``value`` (raises TypeError for anything that is not plain data)."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if value is None or isinstance(value, str):
        return value if value is None else value[:MAX_TEXT]
    if isinstance(value, (bool, int, float, complex, np.generic)) and not isinstance(value, (np.str_, np.bytes_, np.void)):
        return _number(value)
    if isinstance(value, np.ndarray):
        if value.dtype.name not in DTYPES:
            raise TypeError(f"an array of dtype {value.dtype}")
        if value.size > MAX_ITEMS:
            raise ValueError(f"an array of {value.size} numbers (at most {MAX_ITEMS})")
        flat = [_number(x) for x in value.ravel().tolist()]
        return {"__ndarray__": flat, "shape": list(value.shape), "dtype": value.dtype.name}
    if isinstance(value, (list, tuple)):
        items = [encode(v, depth + 1) for v in value]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {"__dict__": [[str(k)[:MAX_TEXT], encode(v, depth + 1)] for k, v in value.items()]}
    raise TypeError(f"{type(value).__name__} is not plain data")


def _scalar(x):
    if isinstance(x, dict):
        if "__float__" in x and x["__float__"] in ("nan", "inf", "-inf"):
            return float(x["__float__"])
        if "__complex__" in x and isinstance(x["__complex__"], list) and len(x["__complex__"]) == 2:
            return complex(_scalar(x["__complex__"][0]), _scalar(x["__complex__"][1]))
        raise ValueError("not a number")
    if isinstance(x, bool) or isinstance(x, (int, float)):
        return x
    raise ValueError("not a number")


def decode(data, depth=0, budget=None):
    """The value that :func:`encode` made; only numbers, strings, lists, tuples, dicts, arrays."""
    budget = budget if budget is not None else [MAX_ITEMS]
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("too many values")
    if data is None or isinstance(data, (bool, int, float)):
        return data
    if isinstance(data, str):
        return data[:MAX_TEXT]
    if isinstance(data, list):
        return [decode(v, depth + 1, budget) for v in data]
    if not isinstance(data, dict):
        raise ValueError(f"unexpected {type(data).__name__}")
    if "__tuple__" in data and isinstance(data["__tuple__"], list):
        return tuple(decode(v, depth + 1, budget) for v in data["__tuple__"])
    if "__dict__" in data and isinstance(data["__dict__"], list):
        return {str(k)[:MAX_TEXT]: decode(v, depth + 1, budget) for k, v in data["__dict__"]}
    if "__ndarray__" in data:
        dtype, shape, flat = data.get("dtype"), data.get("shape"), data["__ndarray__"]
        if dtype not in DTYPES:
            raise ValueError(f"arrays of dtype {dtype!r} are not accepted")
        if not (isinstance(shape, list) and all(isinstance(n, int) and 0 <= n for n in shape) and len(shape) <= 8):
            raise ValueError("a malformed array shape")
        if not isinstance(flat, list) or len(flat) != math.prod(shape):
            raise ValueError("an array whose numbers do not fill its shape")
        budget[0] -= len(flat)
        if budget[0] < 0:
            raise ValueError("too many values")
        try:
            return np.array([_scalar(x) for x in flat], dtype=dtype).reshape(shape)
        except (OverflowError, TypeError) as err:  # a number its dtype cannot hold
            raise ValueError(f"numbers that a {dtype} array cannot hold ({str(err)[:100]})") from None
    return _scalar(data)


def dumps(value):
    """JSON text for plain data."""
    return json.dumps(encode(value), allow_nan=False)


def loads(text):
    """Plain data from JSON text (bytes or str), refusing what is too large or too deep."""
    if len(text) > MAX_BYTES:
        raise ValueError(f"more than {MAX_BYTES // 2**20} MB")
    try:
        return decode(json.loads(text))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except OverflowError as err:  # a number no Python float or complex can hold
        raise ValueError(f"a number too large ({str(err)[:100]})") from None
