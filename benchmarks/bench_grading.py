"""Grading a class, side by side in one run: `make bench-grading`.

Grades generated classes with ``--jobs 2`` and reports wall time, seconds per submission and
the peak memory (proportional set size, summed over every process of the grading tree:
grader, zygotes, sandboxes, runners, kernels), for

- the grader as it runs: a fresh bubblewrap sandbox per submission, runners forked from a
  warm zygote (the target: 100 submissions of exercise 1 in at most 60 s, 300 across all the
  exercises in at most 5 min, on a 2-core machine), with its set-up (the staged convlib) and
  its canary (each exercise's shipped solution and handout graded first) apart;
- its peers on a smaller class: the ``uid`` mode (root without namespaces: the same zygote, an
  unprivileged uid per sandbox), the bubblewrap sandbox with a fresh Python per submission
  (what an unprivileged user gets), and a fresh Python with no sandbox at all.

    python benchmarks/bench_grading.py              # 100 + 300 submissions, and the peers on 20
    python benchmarks/bench_grading.py --quick      # 10 + 15, peers on 4
    python benchmarks/bench_grading.py --exercise-1 # only the 100 submissions of exercise 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convlib.grading import pipeline  # noqa: E402
from convlib.exercises import MODULES  # noqa: E402
from convlib.grading.identify import cell_role  # noqa: E402
from convlib.grading.sandbox import BWRAP, BWRAP_USERNS, NO_SANDBOX, UID, Limits, sandbox_kind  # noqa: E402


def make_class(folder, exercises, count):
    """``count`` submissions spread over ``exercises``: solutions, untouched, half-done, debug prints."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        exercise = exercises[i % len(exercises)]
        kind = i % 4
        nb = nbformat.read(ROOT / ("exercises" if kind == 1 else "solutions") / f"{exercise}.ipynb", as_version=4)
        if kind in (2, 3):
            stubs = nbformat.read(ROOT / "exercises" / f"{exercise}.ipynb", as_version=4)
            answers = [j for j, c in enumerate(nb.cells) if cell_role(c)[0] == "answer"]
            if kind == 2:
                nb.cells[answers[0]].source = stubs.cells[answers[0]].source
            else:
                nb.cells[answers[0]].source = "print('debugging...')\n" + nb.cells[answers[0]].source
        nbformat.write(nb, folder / f"learner{i:03d}_{exercise}.ipynb")
    return folder


class PeakMemory:
    """Samples the summed PSS of this process and all its descendants."""

    def __init__(self, every=0.2):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self):
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        todo, seen = [os.getpid()], []
        while todo:
            pid = todo.pop()
            seen.append(pid)
            todo += children.get(pid, [])
        return seen

    def _pss(self, pid):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._pss(pid) for pid in self._tree()))
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(label, folder, kind, jobs=2):
    """One grading run; its row: the whole wall time, and of it the set-up (staging, zygotes'
    start comes with the canary's first runs), the canary, and the class itself."""
    with PeakMemory() as memory:
        started = time.monotonic()
        with pipeline.Grading([folder], jobs=jobs, limits=Limits(cell_timeout=60), kind=kind) as grading:
            staged = time.monotonic()
            grading.canary()
            checked = time.monotonic()
            results = grading.grade()
            graded = time.monotonic()
        seconds = time.monotonic() - started
    bad = [r for r in results if r.status != "graded"]
    n = len(results)
    print(f"| {label} | {n} | {seconds:.1f} s | {staged - started:.1f} s | {checked - staged:.1f} s | "
          f"{graded - checked:.1f} s | {(graded - checked) / n:.2f} s | {memory.peak / 2**20:.0f} MB | {len(bad)} |",
          flush=True)
    return seconds


def staging():
    """Seconds to stage the sandbox's Python from nothing (once per Python: runs reuse it)."""
    from convlib.grading.packages import stage_packages

    work = Path(tempfile.mkdtemp(prefix="bench-staging-"))
    try:
        started = time.monotonic()
        stage_packages(work / "python")
        return time.monotonic() - started, sum(len(files) for _, _, files in os.walk(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with small classes")
    parser.add_argument("--exercise-1", action="store_true", help="only the class of exercise 1, with the warm zygote")
    args = parser.parse_args(argv)
    one, five, peers = (10, 15, 4) if args.quick else (100, 300, 20)
    kind, why = sandbox_kind()
    print(f"sandbox on this machine: {kind} {why}".strip())
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        ex1 = make_class(work / "ex1", ["01_image_and_kernel"], one)
        all5 = make_class(work / "all5", list(MODULES), five)
        small = make_class(work / "small", ["01_image_and_kernel"], peers)
        seconds, files = staging()
        print(f"staging the sandbox's Python from nothing (once per Python, then kept): {seconds:.1f} s, "
              f"{files} files linked; load average {os.getloadavg()[0]:.1f}")
        print("\n| how (--jobs 2) | submissions | wall | set-up | canary | class | per submission | "
              "peak memory, whole tree | not graded |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        if args.exercise_1:
            run(f"{kind}, exercise 1", ex1, kind)
            return
        if kind == BWRAP:
            run("bubblewrap + warm zygote, exercise 1", ex1, BWRAP)
            run(f"bubblewrap + warm zygote, all {len(MODULES)} exercises", all5, BWRAP)
            run("bubblewrap + warm zygote, exercise 1 (peer class)", small, BWRAP)
        if kind in (BWRAP, UID):
            run("uid of its own, warm zygote, no namespaces (peer)", small, UID)
        if kind in (BWRAP, BWRAP_USERNS):
            run("bubblewrap, fresh Python each (peer)", small, BWRAP_USERNS)
        run("no sandbox, fresh Python each (peer)", small, NO_SANDBOX)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
