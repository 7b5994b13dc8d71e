"""Notebook files: find them, and execute them in place.

    python -m convlib.notebook notebooks solutions     # re-execute every notebook, outputs saved

What the course's metadata means, and the functions that read it (``cell_role``,
``exercise_of``), are in :mod:`convlib.schema`; they can be imported from here too.
"""

from __future__ import annotations

import argparse
import os
import sys
from fnmatch import fnmatchcase
from pathlib import Path

from .schema import META, cell_role, exercise_of

__all__ = ["execute", "notebook_files", "notebooks_in", "import_nbformat", "without_iri_syntax", "cell_role",
           "exercise_of", "META", "main"]

CHECKPOINTS = ".ipynb_checkpoints"  # JupyterLab's autosaved copies: never a notebook of their own
# jsonschema, which nbformat validates notebooks with, imports rfc3987-syntax whenever it is
# installed (jupyter-events brings it, through jsonschema[format-nongpl]), and rfc3987-syntax
# 1.1.0 builds 38 Earley parsers as it is imported: 1.3 s of every process that reads a notebook
# (python-jsonschema/jsonschema#1428). It serves only the formats "iri" and "iri-reference",
# which no notebook schema uses, so the course's processes import jsonschema without it.
IRI_SYNTAX = "rfc3987_syntax"


def without_iri_syntax():
    """Leave :data:`IRI_SYNTAX` out of this process (unless it is already imported): jsonschema
    then checks no "iri" format, as where rfc3987-syntax is not installed. Call it before
    anything imports nbformat, nbval or jsonschema.

    Examples
    --------
    >>> without_iri_syntax()
    >>> import sys
    >>> sys.modules[IRI_SYNTAX] is None or IRI_SYNTAX in sys.modules
    True
    """
    sys.modules.setdefault(IRI_SYNTAX, None)


def import_nbformat():
    """The ``nbformat`` module, imported here (it takes a while; see :func:`without_iri_syntax`)."""
    without_iri_syntax()
    import nbformat

    return nbformat


def notebook_files(paths, pattern="*.ipynb"):
    """``[(file, root)]``: every ``.ipynb`` file (every path ``pattern`` matches) under the given
    files and folders, with the path it was found under, sorted by file; checkpoints left out.

    A folder is searched all the way down and is the ``root`` of what is found in it; a file is
    taken as it is, whatever its name, with its own folder as ``root``. A file reached twice
    (folders given inside one another) is listed once, with the first path given that holds it.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders, in the order given.

    Returns
    -------
    list of (Path, Path)

    Examples
    --------
    >>> import tempfile
    >>> top = Path(tempfile.mkdtemp())
    >>> for name in ("a/x.ipynb", "a/.ipynb_checkpoints/x-checkpoint.ipynb", "b.ipynb", "a/notes.txt"):
    ...     (top / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (top / name).write_text("{}")
    >>> [(f.relative_to(top).as_posix(), r.relative_to(top).as_posix()) for f, r in notebook_files([top / "a", top])]
    [('a/x.ipynb', 'a'), ('b.ipynb', '.')]
    >>> import shutil; shutil.rmtree(top)
    """
    found = {}
    for path in map(Path, paths):
        if path.is_dir():
            for file in _below(path):
                if fnmatchcase(file.name, pattern) and CHECKPOINTS not in file.parts:
                    found.setdefault(file, path)
        else:
            found.setdefault(path, path.parent)
    return sorted(found.items())


def _below(top):
    """Every path below the folder ``top``, found without recursion (a folder nested thousands deep
    is walked like any other) and never through a link to a folder."""
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    yield Path(entry.path)
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
        except OSError:  # unreadable, or gone since it was listed: nothing below it is handed in
            continue


def notebooks_in(paths):
    """Every ``.ipynb`` file under the given files and folders, sorted; checkpoints left out
    (:func:`notebook_files` without the roots)."""
    return [file for file, _root in notebook_files(paths)]


def execute(path, timeout=120):
    """Run a notebook top to bottom on a fresh kernel, in its own folder, and save its outputs."""
    nbformat = import_nbformat()
    from nbclient import NotebookClient  # here: nbclient takes a while to import

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:  # no timestamps: a notebook changes only when its outputs do
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description="Re-execute notebooks in place (outputs saved).")
    parser.add_argument("paths", nargs="+", help="notebooks or folders of them")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in notebooks_in(args.paths):
        print(f"executing {path}", flush=True)
        execute(path, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
