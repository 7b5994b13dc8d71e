"""The Python a sandbox imports from, staged where its uid can read it.

A sandbox's code runs as an unprivileged uid. In the ``uid`` mode (root without namespaces:
Gradescope, Kubernetes) that uid reads the host's own file system, so a course installed in a
private folder (a mode-``0700`` home, ``/root``, ``mktemp -d``; ``setup.sh`` of the Gradescope
autograder makes the installed package root-only), or a Python installed in ``/root/.pyenv``,
is out of its reach, and every notebook would stop at its first import. So the grader stages
the standard library (``stdlib``, ``lib-dynload``: without its tests, IDLE and Tk) and the
distributions a sandbox needs (:data:`SANDBOX_REQUIREMENTS` and everything they require,
nothing else; never convlib, never a library of :data:`NEVER_STAGED` that would do an
exercise's work) into one folder of :data:`PARTS`: each file hard-linked when it is
readable by every user and on the same file system, else copied readable. That folder is made
once per Python and kept between runs in :func:`cache_folder` (:func:`cached_site`), so runs
and shards on one machine share it; each run links it beside its staged copies of convlib
(:func:`site_of`). The sandbox's Python starts without the ``site`` module (``-S``,
:func:`python_command`): its ``sys.path`` is the staged convlib, standard library and packages
first, whatever else the environment holds.

What a sandbox must read is checked before the canary (:func:`unreachable`): a path its uid
cannot read is named, with how to fix it, and the run stops before anyone is graded.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import shutil
import stat
import sys
import time
from pathlib import Path

__all__ = ["SANDBOX_REQUIREMENTS", "NEVER_STAGED", "SITE", "PARTS", "distributions", "stage_packages", "cached_site", "cache_folder",
           "site_of", "python_command", "unreachable", "readable_by_others", "forbidden_within_reach"]

# what the course's code imports (convlib's own requirements but JupyterLab, the editor, and
# scikit-learn, whose digits only lessons and the demonstration after an exercise's last check
# read) and what runs a notebook (pytest, nbval, a kernel); their requirements are staged with them
SANDBOX_REQUIREMENTS = ("numpy", "matplotlib", "pillow", "ipywidgets", "anywidget", "ipykernel",
                        "nbval", "pytest")
# libraries that would do an exercise's work (a convolution, pooling, a layer's gradient): never
# staged, even where a requirement names them, so no spelling in an answer can import them
NEVER_STAGED = ("scipy", "scikit-learn", "scikit-image", "opencv-python", "opencv-python-headless",
                "opencv-contrib-python", "opencv-contrib-python-headless", "torch", "torchvision", "tensorflow",
                "tensorflow-cpu", "keras", "jax", "jaxlib", "numba", "cupy", "astropy", "pywavelets")
SITE = "python"  # beside the staged copies of convlib: the Python a sandbox imports from
PACKAGES = "site-packages"
PARTS = ("stdlib", "lib-dynload", PACKAGES)  # in SITE, in the order a sandbox's sys.path holds them
STDLIB_LEFT_OUT = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages",
                   "dist-packages"}
# the sandbox has its own convlib (:mod:`.stage`), without the answer key; the rest do its work
LEFT_OUT = ("convlib", *NEVER_STAGED)
CACHE_FORMAT = "3"  # the staged folders' layout; a new one is staged when it changes
CACHE_KEEP = 4  # staged folders kept for Pythons that still exist
PREFIX_FILE = ".convlib-prefix"  # in a staged folder: the Python it was staged from


def _name(requirement):
    return re.split(r"[\s;<>=!~\[(@]", requirement.strip(), maxsplit=1)[0]


def _key(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(requirement):
    """Whether a ``Requires-Dist`` line applies here (no extra asked for; markers evaluated)."""
    marker = requirement.partition(";")[2].strip()
    if not marker:
        return True
    if "extra" in marker:
        return False
    try:
        from packaging.markers import Marker
    except ImportError:  # without packaging, stage it: too much is harmless, too little stops the canary
        return True
    try:
        return Marker(marker).evaluate()
    except Exception:  # noqa: BLE001 - an unreadable marker: stage it
        return True


def distributions(roots=SANDBOX_REQUIREMENTS):
    """``{name: Distribution}``: ``roots`` and everything they require, as installed here.

    Raises
    ------
    LookupError
        A root is not installed in this Python (then no notebook could import it).
    """
    found, todo = {}, list(roots)
    while todo:
        name = todo.pop()
        key = _key(_name(name))
        if key in found or key in LEFT_OUT:
            continue
        try:
            dist = metadata.distribution(key)
        except metadata.PackageNotFoundError:
            if name in roots:
                raise LookupError(f"{name} is not installed in {sys.prefix}: pip install {name}") from None
            continue  # an optional requirement not installed: nothing to stage
        found[key] = dist
        todo += [r for r in dist.requires or () if _applies(r)]
    return found


def _files(dist):
    """The files of ``dist`` under its own site folder, as ``(source, relative)`` paths (text)."""
    base = os.path.normpath(str(dist.locate_file("")))
    listed = dist.files
    if listed is None:  # no RECORD (installed by a system package manager): its top-level folders
        tops = (dist.read_text("top_level.txt") or "").split()
        listed = [os.path.relpath(p, base) for top in tops for p in Path(base).glob(f"{top}*")]
        listed = [os.path.relpath(os.path.join(d, f), base) for top in listed
                  for d, _, files in os.walk(os.path.join(base, top)) for f in files] + listed
    for entry in map(str, listed):
        relative = os.path.normpath(entry)
        if relative.startswith(("..", os.sep)):
            continue  # scripts and data outside the site folder
        yield os.path.join(base, relative), relative


def _place(source, target):
    """Hard-link ``source`` at ``target`` if every user may read it, else copy it readable."""
    info = os.stat(source)
    if info.st_mode & 0o004:
        try:
            os.link(source, target)
            return
        except OSError:
            pass  # another file system, or links refused: a copy
    shutil.copy2(source, target)  # its time kept: the compiled files next to it stay valid
    os.chmod(target, 0o755 if info.st_mode & 0o100 else 0o644)


def _folder(path, made):
    """Make ``path`` and the folders above it up to one in ``made``, each ``0755`` whatever the umask."""
    if path in made:
        return
    _folder(os.path.dirname(path), made)
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        pass
    os.chmod(path, 0o755)
    made.add(path)


def _stdlib_files():
    """The standard library's files, as ``(source, part, relative)``: its modules (``stdlib``)
    and its compiled modules (``lib-dynload``), without its tests, IDLE, Tk and site folders."""
    for entry in sys.path:
        entry = os.path.normpath(entry) if entry else ""
        if not entry or not os.path.isdir(entry) or "-packages" in entry or not \
                any(entry.startswith(os.path.normpath(p) + os.sep) for p in (sys.base_prefix, sys.base_exec_prefix)):
            continue
        part = "lib-dynload" if os.path.basename(entry) == "lib-dynload" else "stdlib"
        for folder, subfolders, files in os.walk(entry):
            if folder == entry:
                subfolders[:] = [d for d in subfolders if d not in STDLIB_LEFT_OUT and not d.startswith("config-")]
            for name in files:
                source = os.path.join(folder, name)
                yield source, part, os.path.relpath(source, entry)


def stage_packages(site, dists=None):
    """Stage the standard library and ``dists`` (default :func:`distributions`) into the new
    folder ``site`` (its parts :data:`PARTS`); returns it."""
    site = str(site)
    os.mkdir(site, 0o755)
    os.chmod(site, 0o755)
    made = {site}
    files = [(source, PACKAGES, relative) for dist in (dists or distributions()).values()
             for source, relative in _files(dist)]
    for source, part, relative in [*_stdlib_files(), *files]:
        target = os.path.join(site, part, relative)
        _folder(os.path.dirname(target), made)
        try:
            _place(source, target)
        except FileExistsError:
            pass  # listed by two distributions (a shared namespace folder's file)
        except FileNotFoundError:
            pass  # listed but gone (a file removed after the install)
    for part in PARTS:
        _folder(os.path.join(site, part), made)
    return Path(site)


def _private(folder):
    """Whether ``folder`` is a real folder of this user that no one else may write to."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _safe(folder):
    """A folder no one but root and this user may change (so no one can swap what lies below it)."""
    try:
        info = os.stat(folder)
    except OSError:
        return False
    return info.st_uid in (0, os.geteuid()) and not info.st_mode & 0o022


def cache_folder():
    """Where staged packages are kept between runs (every run, every shard on this machine): a
    folder of the grader's user that only it may write, every user may read; None if there is none."""
    if os.geteuid() == 0:
        base = Path("/var/cache")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "convlib-grade"
    try:
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError:
        return None
    if not _private(folder) or not all(_safe(parent) for parent in folder.parents):
        return None
    folder.chmod(0o755)
    return folder


def _cache_key(dists):
    """What the staged folder depends on: this Python and each distribution's version and files."""
    import hashlib

    digest = hashlib.sha256("\0".join([CACHE_FORMAT, sys.prefix, sys.version, *SANDBOX_REQUIREMENTS]).encode())
    for name in sorted(dists):
        digest.update(f"\0{name}\0{dists[name].version}\0".encode())
        digest.update((dists[name].read_text("RECORD") or "").encode())
    return digest.hexdigest()[:20]


def cached_site(dists=None):
    """The staged packages for this Python, made once and kept in :func:`cache_folder` (kept
    as long as its Python exists; at most :data:`CACHE_KEEP` of them); None if no cache."""
    folder = cache_folder()
    if folder is None:
        return None
    dists = dists or distributions()
    site = folder / f"site-{_cache_key(dists)}"
    if not site.is_dir() or site.is_symlink():
        building = folder / f".building-{site.name}-{os.getpid()}-{time.monotonic_ns()}"
        stage_packages(building, dists)
        (building / PREFIX_FILE).write_text(sys.prefix, encoding="utf-8")
        try:
            os.rename(building, site)  # whole, or not at all
        except OSError:  # another run made it meanwhile
            shutil.rmtree(building, ignore_errors=True)
        _prune(folder, keep=site)
    os.utime(site)
    return site


def _prune(folder, keep):
    """Remove staged folders whose Python is gone, and the oldest beyond :data:`CACHE_KEEP`."""
    found = []
    for entry in folder.glob("site-*"):
        if entry == keep or not _private(entry):
            continue
        try:
            prefix = (entry / PREFIX_FILE).read_text(encoding="utf-8")
        except OSError:
            prefix = ""
        if not prefix or not os.path.exists(prefix):
            shutil.rmtree(entry, ignore_errors=True)
        else:
            found.append((entry.stat().st_mtime, entry))
    for _, entry in sorted(found)[:max(0, len(found) + 1 - CACHE_KEEP)]:
        shutil.rmtree(entry, ignore_errors=True)
    for entry in folder.glob(".building-*"):  # left by a run that was killed while staging
        if time.time() - entry.stat().st_mtime > 3600:
            shutil.rmtree(entry, ignore_errors=True)


def site_of(stage_dir):
    """The staged Python a sandbox staged in ``stage_dir`` imports from: shared by every staged
    copy of convlib of a run (a link to :func:`cached_site`, or the folder itself)."""
    return Path(stage_dir).parent / SITE


def python_command(stage_dir, module, *args):
    """``(argv, PYTHONPATH)``: this Python running ``module`` on the staged convlib, standard
    library and packages (``-S``: no site folder of the environment; ``-P``: not the working folder)."""
    site = site_of(stage_dir)
    return ([sys.executable, "-S", "-P", "-m", module, *map(str, args)],
            os.pathsep.join([str(stage_dir), *(str(site / part) for part in PARTS)]))


def readable_by_others(path):
    """Whether a user with no rights of its own (the ``uid`` mode's sandbox) can read ``path``:
    every folder above it searchable by others, the file readable (a folder also searchable)."""
    path = Path(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode
        if not mode & 0o004 or (stat.S_ISDIR(mode) and not mode & 0o001):
            return False
        return all(os.stat(folder).st_mode & 0o001 for folder in path.parents)
    except OSError:
        return False


def _blocking(path):
    """The first folder on the way to ``path`` that others cannot pass (or ``path`` itself)."""
    path = Path(os.path.abspath(path))
    for folder in reversed(path.parents):
        try:
            if not os.stat(folder).st_mode & 0o001:
                return folder
        except OSError:
            return folder
    return path


def unreachable(stage_dirs=()):
    """``[(path, what, fix)]``: what a sandbox's uid must read, in the ``uid`` mode, and cannot.

    That is each staged folder (``stage_dirs``) and the staged Python beside it (the standard
    library and packages, wherever the cache put them); an empty list when all are readable.
    """
    needed = [(str(folder), "the sandbox's staged convlib") for folder in stage_dirs]
    needed += [(os.path.realpath(site_of(folder) / part), f"the sandbox's staged Python ({part})")
               for folder in stage_dirs for part in PARTS]
    found, seen = [], set()
    for path, what in needed:
        if path in seen or not os.path.exists(path):
            continue
        seen.add(path)
        if not readable_by_others(path):
            block = _blocking(path)
            fix = (f"chmod o+x {block} (every folder above it), or install Python where every user can read it"
                   if block != Path(os.path.abspath(path)) else f"chmod -R o+rX {path}")
            found.append((path, what, fix))
    return found


def forbidden_within_reach():
    """``{folder: [distribution, ...]}``: libraries of :data:`NEVER_STAGED` installed in this
    Python where every user can read them. In the ``uid`` mode a learner's code can put such a
    folder on its ``sys.path`` by hand (there is no mount namespace to hide it; bubblewrap hides
    the environment's package folders)."""
    found = {}
    for name in NEVER_STAGED:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        folder = os.path.normpath(str(dist.locate_file("")))
        if readable_by_others(folder):
            found.setdefault(folder, []).append(dist.metadata["Name"] or name)
    return found
