"""Faults in the Whoosh index, made for real from the test harness.

- ``damage_index``: delete the index folder, or cut its segment files (``*.seg``) to half their
  length or to nothing, or its table of contents (``*.toc``) in half.
- ``writer_lock_held``: another process (this module run as a script) opens the index and holds
  Whoosh's writer lock until the block ends.
- ``disk_full_after``: every file Whoosh creates writes into one shared budget of bytes; past
  it, a write raises OSError(ENOSPC) as a full disk would.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filestore import FileStorage

from config import BASE_DIR

DAMAGES = ("deleted", "segments-halved", "segments-emptied", "toc-halved")


def damage_index(path: Path, how: str) -> None:
    if how == "deleted":
        shutil.rmtree(path)
        return
    pattern, keep = {
        "segments-halved": ("*.seg", 0.5),
        "segments-emptied": ("*.seg", 0.0),
        "toc-halved": ("*.toc", 0.5),
    }[how]
    files = list(path.glob(pattern))
    assert files, f"no {pattern} in {path}"
    for file in files:
        os.truncate(file, int(file.stat().st_size * keep))


@contextmanager
def writer_lock_held(path: Path) -> Iterator[subprocess.Popen]:
    """Another process holds the index's writer lock until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.fault_whoosh", str(path)],
        cwd=BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held", "the lock holder did not start"
        yield holder
    finally:
        holder.stdin.close()  # tells it to let go
        holder.wait(timeout=30)
        holder.stdout.close()
    assert holder.returncode == 0


class _FullDisk:
    """A file whose writes draw on a shared budget of bytes, then fail with ENOSPC."""

    def __init__(self, file: Any, budget: dict[str, int]) -> None:
        self._file, self._budget = file, budget

    def write(self, data: bytes) -> int:
        room = self._budget["left"]
        if len(data) > room:
            self._file.write(bytes(data)[:room])
            self._budget["left"] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._budget["left"] = room - len(data)
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


@contextmanager
def disk_full_after(budget: int) -> Iterator[dict[str, int]]:
    """Whoosh's files (the index's and its temporary ones) may write budget bytes in all."""
    state = {"left": budget}
    create_file = FileStorage.create_file

    def create_on_full_disk(self: FileStorage, name: str, **kwargs: Any) -> Any:
        file = create_file(self, name, **kwargs)
        file.file = _FullDisk(file.file, state)
        return file

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FileStorage, "create_file", create_on_full_disk)
        yield state


def _hold_lock(path: str) -> None:
    from whoosh import index

    writer = index.open_dir(path).writer()  # takes the writer lock or raises
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    writer.cancel()


if __name__ == "__main__":
    _hold_lock(sys.argv[1])
