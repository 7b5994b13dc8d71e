"""The *policy* step: what an answer may call, read from its source (``ast``), never run.

The sandbox is the first line: what an exercise forbids is absent from it (its staged convlib
has no such function, no library that would do the work is importable; see
:mod:`convlib.grading.stage`). The scan reads the answer for the learner (``check()``) and for
the reviewer. Two findings:

- **forbidden**: the answer uses a name its question forbids -- the function that would do the
  question's work (``conv2d`` where the loop is the point). Such an answer gets no point, and
  the learner is told which name, in the notebook (``check()``) as in the gradebook.
- **review**: code that hides what it calls or reaches outside the exercise (``getattr`` with a
  computed name, ``__import__``, ``importlib``, ``exec``/``eval``, ``sys.modules``, opening
  files, ``os``/``subprocess``/``signal``/``ctypes``, IPython hooks and shell escapes, dunder
  attributes, ``getattr`` handed to another function (``functools.reduce(getattr, ...)``),
  ``operator.attrgetter``, ``pydoc.locate``, ``pkgutil``, ``posix``, ``zipimport``,
  ``numpy.ctypeslib``, ``string.Formatter``, a format string that reads an attribute), whether
  called by name, as an attribute (``__builtins__.getattr``, ``builtins.exec``) or handed on.
  Text handed to ``exec``, ``eval`` or ``compile`` is opaque: what it runs cannot be read, so it
  goes to review ("runs text as code"), never to a deduction. It is not judged wrong -- the sandbox already keeps such code from any answer
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
import json
import re
import resource
import select
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field

__all__ = ["Findings", "scan", "Scanner", "ScanRefused", "CONVOLUTION", "SCAN_MEMORY", "SCAN_SECONDS"]

SCAN_MEMORY = 1 * 2**30  # address space of the process that reads learners' answers
SCAN_SECONDS = 30.0  # for one answer

# what computes a convolution for you (forbidden where the exercise is to write it)
CONVOLUTION = ("conv2d", "conv2d_loop", "correlate", "correlate2d", "convolve", "convolve2d",
               "fftconvolve", "oaconvolve", "filter2D", "sliding_window_view", "as_strided")

SUSPECT_CALLS = {"getattr", "setattr", "delattr", "__import__", "eval", "exec", "compile", "open",
                 "globals", "locals", "vars", "breakpoint", "get_ipython", "input", "memoryview"}
SUSPECT_MODULES = {"os", "sys", "subprocess", "signal", "ctypes", "importlib", "builtins", "inspect",
                   "gc", "IPython", "ipykernel", "pathlib", "shutil", "socket", "multiprocessing",
                   "threading", "pickle", "marshal", "io", "resource", "atexit", "code", "types",
                   "runpy", "pty", "fcntl", "mmap", "tempfile", "glob", "nbformat", "pytest", "nbval",
                   "jupyter_client", "zmq", "convlib.exercises", "convlib.grading", "unittest", "site",
                   "operator", "pydoc", "pkgutil", "posix", "zipimport", "numpy.ctypeslib", "_posixsubprocess",
                   "posixpath", "_io", "_imp", "_thread"}
# names that fetch an attribute or a module by a computed name, however they are reached
SUSPECT_NAMES = {"attrgetter", "methodcaller", "ctypeslib", "locate", "import_module", "find_spec",
                 "find_loader", "get_loader", "iter_modules", "walk_packages", "zipimporter", "Formatter",
                 "get_field", "format_map", "vformat"}
RUNS_TEXT = {"exec", "eval", "compile"}  # what they run is text the scan cannot read
# a format field that reads an attribute or an item by name: "{0.max_pool}", "{x.__dict__[k]}"
FORMAT_ATTRIBUTE = re.compile(r"\{[^{}!:]*[.\[]")
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
    """:class:`Findings` for one answer cell's source (text that does not parse finds nothing: it
    cannot run either); :class:`ScanRefused` for text too large or too deep to read."""
    findings = Findings()
    if not isinstance(source, str) or not source.strip():
        return findings
    try:
        tree = ast.parse(_python(source))
    except (SyntaxError, ValueError):
        return findings
    except (RecursionError, MemoryError):
        raise ScanRefused("too large or too deeply nested to read") from None
    forbidden = set(forbidden)
    for node in ast.walk(tree):  # breadth first: a call is seen before the name it calls
        _look(node, forbidden, findings)
    findings.forbidden.sort()
    return findings


def _note(items, text):
    if text not in items:
        items.append(text)


def _look(node, forbidden, findings):
    """What one node of an answer's tree adds to ``findings``."""
    if isinstance(node, ast.Name):
        _look_name(node.id, forbidden, findings)
    elif isinstance(node, ast.Attribute):
        _look_attribute(node, forbidden, findings)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        _look_import(node, forbidden, findings)
    elif isinstance(node, ast.MatchClass):  # case object(max_pool=f): attribute names as strings
        for attr in node.kwd_attrs:
            if attr in forbidden:
                _note(findings.forbidden, attr)
            if attr.startswith("__") or attr in SUSPECT_CALLS | SUSPECT_NAMES:
                _note(findings.review, f"uses {attr}")
        _note(findings.review, "matches a class pattern")
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and FORMAT_ATTRIBUTE.search(node.value):
        _note(findings.review, "formats an attribute by name")
    if isinstance(node, ast.Call):
        called = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else None
        if called in SUSPECT_CALLS:
            _note(findings.review, f"calls {called}")
        if called in RUNS_TEXT:
            _note(findings.review, "runs text as code")
    if isinstance(node, ast.Attribute) and node.attr in SUSPECT_CALLS and f"calls {node.attr}" not in findings.review:
        _note(findings.review, f"uses {node.attr}")  # __builtins__.getattr, builtins.exec, handed on or called


def _look_name(name, forbidden, findings):
    if name in forbidden:
        _note(findings.forbidden, name)
    if name in SUSPECT_CALLS and f"calls {name}" not in findings.review:
        _note(findings.review, f"uses {name}")  # getattr handed on: reduce(getattr, ...)
    if name in SUSPECT_NAMES:
        _note(findings.review, f"uses {name}")


def _look_attribute(node, forbidden, findings):
    if node.attr in forbidden:
        _note(findings.forbidden, node.attr)
    if node.attr in SUSPECT_NAMES:
        _note(findings.review, f"uses {node.attr}")
    if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in HARMLESS_DUNDERS:
        _note(findings.review, f"uses {node.attr}")
    if node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
        _note(findings.review, "uses sys.modules")


def _look_import(node, forbidden, findings):
    if isinstance(node, ast.Import):
        for alias in node.names:
            if _module_suspect(alias.name):
                _note(findings.review, f"imports {alias.name}")
        return
    module = "." * node.level + (node.module or "")
    if _module_suspect(node.module or "") or node.level:
        _note(findings.review, f"imports from {module}")
    for alias in node.names:
        if alias.name in forbidden:
            _note(findings.forbidden, alias.name)
        if _module_suspect(f"{node.module}.{alias.name}") or alias.name in SUSPECT_CALLS | SUSPECT_NAMES:
            _note(findings.review, f"imports {alias.name} from {module}")


class ScanRefused(Exception):
    """An answer the policy could not read within its bounds (memory, time)."""


class Scanner:
    """:func:`scan` in a process of its own, under ``SCAN_MEMORY`` and ``SCAN_SECONDS``.

    Reading learner text is work the grader does outside any sandbox; here it is bounded, so a
    pathological answer costs that process (restarted for the next answer), never the grader's
    memory. One per grading run, shared by its threads.
    """

    def __init__(self, memory=SCAN_MEMORY, seconds=SCAN_SECONDS):
        self.memory, self.seconds = memory, seconds
        self._process = None
        self._lock = threading.Lock()

    def _start(self):
        # -P and a folder of its own: a convlib/ in the folder the grader was started from (a
        # class folder, an upload) is never imported in its place
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", "convlib.answers.policy", str(self.memory), str(self.seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8",
            errors="surrogateescape", cwd="/")

    def scan(self, source, forbidden=()):
        """:class:`Findings` for ``source``; :class:`ScanRefused` if it could not be read."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            try:
                self._process.stdin.write(json.dumps({"source": source, "forbidden": list(forbidden)}) + "\n")
                self._process.stdin.flush()
                ready, _, _ = select.select([self._process.stdout], [], [], self.seconds)
                line = self._process.stdout.readline() if ready else ""
                reply = json.loads(line) if line else None
            except (OSError, ValueError):
                reply = None
            if not isinstance(reply, dict) or "forbidden" not in reply:
                self.close()
                raise ScanRefused(f"the policy could not read it within {self.memory // 2**20} MB and "
                                  f"{self.seconds:g} s")
            return Findings(list(reply["forbidden"]), list(reply["review"]))

    def close(self):
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None


def _serve(memory, seconds):
    """``python -m convlib.answers.policy MEMORY SECONDS``: scan each JSON request on stdin, one
    reply per line, each within ``SECONDS`` of CPU time (past it the kernel ends the process, and
    :class:`Scanner` refuses that answer and starts another) and all within ``MEMORY`` bytes."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    for line in sys.stdin:
        used = resource.getrusage(resource.RUSAGE_SELF)
        allowed = int(used.ru_utime + used.ru_stime + seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (allowed if hard == resource.RLIM_INFINITY else min(allowed, hard), hard))
        try:
            request = json.loads(line)
            reply = asdict(scan(request["source"], request.get("forbidden", ())))
        except (ScanRefused, MemoryError, RecursionError, ValueError, KeyError, TypeError):
            reply = {"error": "could not be read"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), float(sys.argv[2]))
