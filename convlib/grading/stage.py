"""The copy of ``convlib`` that a sandbox sees: everything but the answer key.

Inside a sandbox, ``convlib`` must work as the lessons use it (``conv2d``, data, plots) while
``convlib.exercises`` holds no reference answers, hidden cases or mistakes: there each question
is a :class:`~convlib.grading.record.Recorder`. :func:`stage` writes such a copy into a folder
that the sandbox mounts read-only, and that the zygote imports from. ``convlib.answers`` (the
policy, calling a function within its limits, the solution markers: no answer in it) is copied
whole, since the recorder calls the learner's function through it.

Each exercise's sandboxes get a copy without the functions that exercise forbids
(:func:`stages`; every name of its questions' ``forbidden``, :func:`forbidden_names`): the
functions themselves, every import of them, their entries in ``__all__``, and where a
convolution is forbidden ``convlib.fast`` that computes its planes. So no spelling --
``getattr`` with a built name, a ``match`` class pattern, ``string.Formatter``, ``exec`` of
encoded text, ``operator.attrgetter``, ``pydoc.locate``, reading the module's file -- reaches
them: they are not there. Libraries that would do the work (SciPy, OpenCV, torch) are not staged
at all (:data:`~.packages.NEVER_STAGED`). The policy's review is a second line, not the only one.

Beside the copies, ``python`` holds the standard library and the packages a sandbox may import,
staged by :mod:`.packages` where the sandbox's uid can read them, wherever the course is
installed (a link to the folder staged once for this Python and kept between runs).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import convlib
from convlib.exercises import MODULES, questions

from .packages import SITE, cached_site, stage_packages

__all__ = ["stage", "stages", "forbidden_names", "SANDBOX_MODULES", "CONVOLUTIONS"]

PACKAGE = Path(convlib.__file__).resolve().parent
# what a sandbox gets of convlib/grading: the inside half of grading, no judge
SANDBOX_MODULES = ("__init__.py", "confine.py", "environment.py", "exits.py", "record.py", "runner.py", "wire.py",
                   "zygote.py")
LEFT_OUT = {"exercises", "grading", "solutions", "grade.py", "assign.py", "__pycache__"}
# convlib's own convolutions, gone from a copy for an exercise that forbids them
CONVOLUTIONS = ("conv2d", "conv2d_loop")
PLANES = ("conv_layer", "conv_plane")  # what conv2d computes with, imported from convlib.fast
PLANES_MODULE = "fast.py"  # left out of such a copy altogether


class _Without(ast.NodeTransformer):
    """Takes definitions and imports of ``names`` out of a module, and their entries in ``__all__``."""

    def __init__(self, names):
        self.names = set(names)

    def visit_FunctionDef(self, node):
        if node.name in self.names:
            return None
        self.generic_visit(node)  # an import of them inside a kept function goes too
        node.body = node.body or [ast.Pass()]
        return node

    def visit_ImportFrom(self, node):
        node.names = [a for a in node.names if a.name not in self.names and a.asname not in self.names]
        return node if node.names else None

    def visit_Assign(self, node):
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets) and \
                isinstance(node.value, (ast.List, ast.Tuple)):
            node.value.elts = [e for e in node.value.elts
                               if not (isinstance(e, ast.Constant) and e.value in self.names)]
        return node


def _strip(package, names):
    """Rewrite every module of the staged ``package`` without ``names``."""
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        new = ast.fix_missing_locations(_Without(names).visit(tree))
        path.write_text(ast.unparse(new) + "\n", encoding="utf-8")


def _stub_module(exercise):
    names = [q.name for q in questions(exercise)]
    lines = [f'"""{exercise} while grading: each question records answers; the judging is elsewhere."""',
             "", "from ..grading.record import Recorder", ""]
    lines += [f"q{i} = Recorder({name!r})" for i, name in enumerate(names, start=1)]
    return "\n".join(lines) + "\n"


def stage(folder, without=()):
    """Write the sandbox's ``convlib`` into ``folder/convlib`` (without the functions named in
    ``without``); returns ``folder``."""
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
    if set(CONVOLUTIONS) & set(without):  # and what computes them
        (target / PLANES_MODULE).unlink()
        without = [*without, *PLANES]
    if without:
        _strip(target, without)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def forbidden_names(exercise):
    """Every name any question of ``exercise`` forbids (sorted)."""
    return tuple(sorted({name for q in questions(exercise) for name in q.forbidden}))


def forbids_convolution(exercise):
    """Whether any question of ``exercise`` forbids convlib's own convolutions."""
    return bool(set(CONVOLUTIONS) & set(forbidden_names(exercise)))


def stages(folder, exercises=None):
    """``{exercise: staged folder}``: for each of ``exercises`` (default: every exercise of the
    course) a copy without the functions it forbids (the whole copy, ``folder/full``, for those
    that forbid nothing; exercises that forbid the same names share one copy,
    ``folder/without-<exercise>``), and beside them, in ``folder/python``, the Python a sandbox
    imports from (:mod:`.packages`). A run stages only the exercises it grades."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    cached = cached_site()
    if cached is not None:
        (folder / SITE).symlink_to(cached, target_is_directory=True)
    else:
        stage_packages(folder / SITE)
    made = {}

    def copy(exercise):
        names = forbidden_names(exercise)
        if names not in made:
            made[names] = stage(folder / (f"without-{exercise}" if names else "full"), names)
        return made[names]

    return {exercise: copy(exercise) for exercise in sorted(MODULES if exercises is None else exercises)}
