"""How far a grading run is, on stderr.

On a terminal, one bar that redraws itself: done/total, submissions per minute, time left.
Anywhere else (a log file, CI, a Slurm job), one line per submission, starting ``[done/total]``.
"""

from __future__ import annotations

import sys
import time

from .text import shown

__all__ = ["Progress"]


class Progress:
    """``Progress(total)(done, total, result)`` after each submission; ``close()`` at the end."""

    WIDTH = 28

    def __init__(self, total, stream=None, tty=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = total
        self.started = time.monotonic()

    def _left(self, done):
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate else float("nan")
        return rate, left

    def __call__(self, done, total, result):
        self.total = total
        rate, left = self._left(done)
        if self.tty:
            filled = int(self.WIDTH * done / max(total, 1))
            eta = f"{left:.0f} s left" if left == left else "…"
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}  "
                              f"{rate * 60:.1f}/min  {eta}   ")
        else:
            self.stream.write(f"[{done}/{total}] {shown(result.submission)}: {result.passed}/{result.total} "
                              f"({shown(result.status)[:200]}, {result.seconds:.1f} s)\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
