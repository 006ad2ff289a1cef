"""Resident memory of gunicorn's workers, sampled while the load test runs.

Linux keeps each process's peak resident size (VmHWM) beside its current one (VmRSS), so a
peak between two samples is not missed. A worker that was replaced during the run (a crash, or
gunicorn's max_requests) keeps its peak in the figures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


@dataclass
class WorkerMemory:
    """Per worker pid: the peak resident MB seen and the last resident MB read."""

    master_pid: int
    peak_mb: dict[int, float] = field(default_factory=dict)
    last_mb: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        try:
            workers = psutil.Process(self.master_pid).children()
        except psutil.Error:
            return
        for worker in workers:
            peak, now = _status_kib(worker.pid, "VmHWM"), _status_kib(worker.pid, "VmRSS")
            if peak is not None:
                self.peak_mb[worker.pid] = max(self.peak_mb.get(worker.pid, 0.0), peak / 1024)
            if now is not None:
                self.last_mb[worker.pid] = now / 1024

    def start(self, every_seconds: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.wait(every_seconds):
                self.sample()

        self.sample()
        self._thread = threading.Thread(target=loop, name="worker-memory", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling after one last sample: the workers' memory after the run."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.last_mb.clear()
        self.sample()

    def summary(self) -> dict:
        return {
            "workers_seen": len(self.peak_mb),
            "peak_mb": round(max(self.peak_mb.values(), default=0.0), 1),
            "after_mb": round(max(self.last_mb.values(), default=0.0), 1),
            "per_worker_peak_mb": {str(pid): round(mb, 1) for pid, mb in self.peak_mb.items()},
            "per_worker_after_mb": {str(pid): round(mb, 1) for pid, mb in self.last_mb.items()},
        }
