"""Notebook files: execute them in place, find their answer and check cells.

    python -m convlib.notebook notebooks solutions     # re-execute every notebook, outputs saved
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

__all__ = ["execute", "notebooks_in", "cell_role", "exercise_of", "main"]

META = "convlib"  # the key of the course's own cell and notebook metadata


def notebooks_in(paths):
    """Every ``.ipynb`` file under the given files and folders, sorted; checkpoints left out."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
        else:
            found.append(path)
    return sorted(found)


def cell_role(cell):
    """``('answer', name)``, ``('check', name)`` or ``(None, None)`` from a cell's metadata.

    Metadata of the wrong kind (a list, a number) counts as none.
    """
    meta = cell.get("metadata", {})
    meta = meta.get(META) if isinstance(meta, dict) else None
    if isinstance(meta, dict):
        for role in ("answer", "check"):
            if isinstance(meta.get(role), str):
                return role, meta[role]
    return None, None


def exercise_of(nb):
    """The exercise a notebook belongs to (``'01_image_and_kernel'``), from its metadata, or None."""
    meta = nb.get("metadata", {}).get(META)
    name = meta.get("exercise") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None


def execute(path, timeout=120):
    """Run a notebook top to bottom on a fresh kernel, in its own folder, and save its outputs."""
    from nbclient import NotebookClient

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
