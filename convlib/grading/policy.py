"""The *policy* step: what an answer may call, read from its source (``ast``), never run.

Two findings:

- **forbidden**: the answer uses a name its question forbids -- the function that would do the
  question's work (``conv2d`` where the loop is the point). Such an answer gets no point, and
  the learner is told which name, in the notebook (``check()``) as in the gradebook.
- **review**: code that hides what it calls or reaches outside the exercise (``getattr`` with a
  computed name, ``__import__``, ``importlib``, ``exec``/``eval``, ``sys.modules``, opening
  files, ``os``/``subprocess``/``signal``/``ctypes``, IPython hooks and shell escapes, dunder
  attributes). It is not judged wrong -- the sandbox already keeps such code from any answer
  key -- but the row is flagged for a person to read.

Examples
--------
>>> scan("def f(im, k):\\n    from convlib import conv2d as c\\n    return c(im, k)", ("conv2d",))
Findings(forbidden=['conv2d'], review=[])
>>> scan("import os\\ndef f():\\n    return getattr(os, 'sys' + 'tem')('ls')", ()).review
['imports os', 'calls getattr']
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["Findings", "scan", "CONVOLUTION"]

# what computes a convolution for you (forbidden where the exercise is to write it)
CONVOLUTION = ("conv2d", "conv2d_loop", "correlate", "correlate2d", "convolve", "convolve2d",
               "fftconvolve", "oaconvolve", "filter2D", "sliding_window_view", "as_strided")

SUSPECT_CALLS = {"getattr", "setattr", "delattr", "__import__", "eval", "exec", "compile", "open",
                 "globals", "locals", "vars", "breakpoint", "get_ipython", "input", "memoryview"}
SUSPECT_MODULES = {"os", "sys", "subprocess", "signal", "ctypes", "importlib", "builtins", "inspect",
                   "gc", "IPython", "ipykernel", "pathlib", "shutil", "socket", "multiprocessing",
                   "threading", "pickle", "marshal", "io", "resource", "atexit", "code", "types",
                   "runpy", "pty", "fcntl", "mmap", "tempfile", "glob", "nbformat", "pytest", "nbval",
                   "jupyter_client", "zmq", "convlib.exercises", "convlib.grading", "unittest", "site"}
HARMLESS_DUNDERS = {"__name__", "__doc__", "__init__", "__len__", "__class__"}


@dataclass
class Findings:
    forbidden: list = field(default_factory=list)
    review: list = field(default_factory=list)


def _python(source):
    """The cell as plain Python: IPython's magics and ``!`` escapes become ``get_ipython()`` calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - no IPython, or text it cannot transform
        return source


def _module_suspect(name):
    return any(name == m or name.startswith(m + ".") for m in SUSPECT_MODULES)


def scan(source, forbidden=()):
    """:class:`Findings` for one answer cell's source (text that does not parse finds nothing)."""
    findings = Findings()
    if not isinstance(source, str) or not source.strip():
        return findings
    try:
        tree = ast.parse(_python(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return findings

    def note(items, text):
        if text not in items:
            items.append(text)

    forbidden = set(forbidden)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id in forbidden:
                note(findings.forbidden, node.id)
        elif isinstance(node, ast.Attribute):
            if node.attr in forbidden:
                note(findings.forbidden, node.attr)
            if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in HARMLESS_DUNDERS:
                note(findings.review, f"uses {node.attr}")
            if node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                note(findings.review, "uses sys.modules")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _module_suspect(alias.name):
                    note(findings.review, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if _module_suspect(node.module or "") or node.level:
                note(findings.review, f"imports from {module}")
            for alias in node.names:
                if alias.name in forbidden:
                    note(findings.forbidden, alias.name)
                if _module_suspect(f"{node.module}.{alias.name}") or alias.name in SUSPECT_CALLS:
                    note(findings.review, f"imports {alias.name} from {module}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SUSPECT_CALLS:
            note(findings.review, f"calls {node.func.id}")
    findings.forbidden.sort()
    return findings
