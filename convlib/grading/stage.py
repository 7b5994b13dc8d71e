"""The copy of ``convlib`` that a sandbox sees: everything but the answer key.

Inside a sandbox, ``convlib`` must work as the lessons use it (``conv2d``, data, plots) while
``convlib.exercises`` holds no reference answers, hidden cases or mistakes: there each question
is a :class:`~convlib.grading.record.Recorder`. :func:`stage` writes such a copy into a folder
that the sandbox mounts read-only, and that the zygote imports from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import convlib
from convlib.exercises import MODULES, questions

__all__ = ["stage", "SANDBOX_MODULES"]

PACKAGE = Path(convlib.__file__).resolve().parent
# what a sandbox gets of convlib/grading: the inside half of grading, no judge
SANDBOX_MODULES = ("__init__.py", "record.py", "runner.py", "wire.py", "zygote.py")
LEFT_OUT = {"exercises", "grading", "solutions", "grade.py", "assign.py", "__pycache__"}


def _stub_module(exercise):
    names = [q.name for q in questions(exercise)]
    lines = [f'"""{exercise} while grading: each question records answers; the judging is elsewhere."""',
             "", "from ..grading.record import Recorder", ""]
    lines += [f"q{i} = Recorder({name!r})" for i, name in enumerate(names, start=1)]
    return "\n".join(lines) + "\n"


def stage(folder):
    """Write the sandbox's ``convlib`` into ``folder/convlib``; returns ``folder``."""
    folder = Path(folder)
    target = folder / "convlib"
    shutil.copytree(PACKAGE, target, ignore=lambda d, names: [n for n in names if Path(d) == PACKAGE and n in LEFT_OUT or n == "__pycache__"])
    (target / "grading").mkdir()
    for name in SANDBOX_MODULES:
        shutil.copy2(PACKAGE / "grading" / name, target / "grading" / name)
    (target / "exercises").mkdir()
    init = ['"""The questions, while grading: recorders only (no answer key in this sandbox)."""', "",
            f"MODULES = {dict(MODULES)!r}", ""]
    (target / "exercises" / "__init__.py").write_text("\n".join(init))
    for exercise, module in MODULES.items():
        (target / "exercises" / f"{module}.py").write_text(_stub_module(exercise))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder
