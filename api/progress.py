"""Progress for long commands (seed, import, export, benchmarks): a bar on a terminal, lines in a log."""

from __future__ import annotations

import sys
import time


class Progress:
    """Call with the number done so far; prints at most every half second, and always at the end."""

    def __init__(self, label: str, total: int | None, stream=None) -> None:
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.started = self.last = time.monotonic()
        self.tty = self.stream.isatty()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        final = self.total is not None and done >= self.total
        if not final and now - self.last < 0.5:
            return
        self.last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total}" if self.total is not None else ""
        pct = f" {100 * done / self.total:5.1f}%" if self.total else ""
        line = f"{self.label}: {done}{of}{pct}  {rate:,.0f}/s  {elapsed:.1f}s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
