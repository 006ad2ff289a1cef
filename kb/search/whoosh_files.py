"""The Whoosh index's files: read with pread rather than mapped, written by a writer that lets go.

- Whoosh maps segment files into memory. A mapped file cut short under a running process
  kills that process with SIGBUS at the next read past its new end. Read with pread, a
  damaged file gives short reads instead, so reading fails with an ordinary exception, which
  says the index must be rebuilt. Positional reads keep no shared file position, so readers
  in several threads stay apart as they do on a mapped file.
- A Whoosh writer that fails part-way through its commit (a full disk) keeps the writer lock
  until the process exits, so every later write would fail. ``writing`` and ``abandon`` free
  it whatever happened.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from weakref import WeakSet

from whoosh import index
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.util import random_name
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

from kb.search.backend import SearchIndexDamagedError, SearchUnavailableError

LOCKED = (
    "Sökindexet är låst av en annan process (LockError). Ändringen ligger kvar i kön och görs "
    "vid nästa försök."
)
log = logging.getLogger(__name__)


class _OpenFile:
    """A file descriptor, closed when nothing refers to it any more.

    Not when Whoosh closes the file: a searcher's refresh closes the readers of segments that
    are merged away while a search in another thread may still be reading them, which works
    on a mapped file (the map lives on while views of it do) and so must work here."""

    def __init__(self, path: str) -> None:
        self.descriptor = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.descriptor).st_size

    def pread(self, size: int, offset: int) -> bytes:
        return os.pread(self.descriptor, size, offset)

    def __del__(self) -> None:
        if hasattr(self, "descriptor"):  # not if os.open failed
            os.close(self.descriptor)


class _Window:
    """Part of an open file, read with os.pread at a position of its own; read-only.

    The segment readers are shared by the threads of a worker, so each thread has its own
    position: one thread's seek must not move another's read (that returned garbage).
    """

    def __init__(self, file: _OpenFile, start: int, length: int) -> None:
        self.file, self.start, self.length = file, start, length
        self._local = threading.local()

    @property
    def position(self) -> int:
        return getattr(self._local, "position", 0)

    @position.setter
    def position(self, value: int) -> None:
        self._local.position = value

    def pread(self, position: int, size: int) -> bytes:
        size = min(size, self.length - position)
        if size <= 0:
            return b""
        return self.file.pread(size, self.start + position)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.length - self.position
        data = self.pread(self.position, size)
        self.position += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        line = b""
        while not line.endswith(b"\n") and (size is None or size < 0 or len(line) < size):
            chunk = self.pread(self.position, 256)
            if not chunk:
                break
            end = chunk.find(b"\n") + 1 or len(chunk)
            line += chunk[:end]
            self.position += end
        return line

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.position, os.SEEK_END: self.length}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        """The descriptor is closed when nothing uses it (_OpenFile)."""


class _ReadFile(StructFile):
    """Whoosh's StructFile over a _Window: positional reads (get) leave the position alone,
    as they do on a mapped file, and subsets share the open file."""

    def __init__(self, window: _Window, name: str, onclose: object = None) -> None:
        super().__init__(window, name=name, onclose=onclose)
        self.window = window

    def get(self, position: int, length: int) -> bytes:
        return self.window.pread(position, length)

    def get_array(self, position: int, typecode: str, length: int) -> array:
        found = array(typecode)
        found.frombytes(self.get(position, length * found.itemsize))
        if sys.byteorder == "little":
            found.byteswap()
        return found

    def subset(self, offset: int, length: int, name: str | None = None) -> StructFile:
        window = _Window(self.window.file, self.window.start + offset, length)
        return _ReadFile(window, name or self._name)


class _WrittenFiles(FileStorage):
    """A FileStorage that remembers the files it creates, and its temporary storages', so a
    failed writer's files can be closed (Whoosh leaves them open when closing fails)."""

    def __init__(self, path: str | Path, created: WeakSet | None = None) -> None:
        super().__init__(str(path), supports_mmap=False)
        self.created: WeakSet[StructFile] = WeakSet() if created is None else created

    def create_file(self, name: str, **kwargs: object) -> StructFile:
        file = super().create_file(name, **kwargs)
        self.created.add(file)
        return file

    def temp_storage(self, name: str | None = None) -> FileStorage:
        path = os.path.join(self.folder, name or f"{random_name()}.tmp")
        return _WrittenFiles(path, self.created).create()

    def close_created(self) -> None:
        for file in list(self.created):
            if not file.is_closed:
                with suppress(Exception):  # a full disk fails the flush; the file still closes
                    file.close()


class UnmappedStorage(_WrittenFiles):
    """A FileStorage that reads its files with pread, never through a memory map."""

    def open_file(self, name: str, **kwargs: object) -> StructFile:
        file = _OpenFile(self._fpath(name))
        return _ReadFile(_Window(file, 0, file.size), name, kwargs.get("onclose"))


def open_index(path: Path) -> index.Index:
    """The index in path, its table of contents read; raises SearchIndexDamagedError."""
    storage = UnmappedStorage(path)
    if not path.is_dir() or not any(name.endswith(".toc") for name in storage.list()):
        raise SearchIndexDamagedError("Sökindexet saknas.")
    try:
        ix = storage.open_index()  # reads the table of contents
        ix.doc_count_all()  # opens every segment
    except Exception as error:
        raise SearchIndexDamagedError(f"Sökindexet kan inte läsas: {error}") from error
    return ix


def create_index(path: Path, schema: Schema) -> index.Index:
    path.mkdir(parents=True, exist_ok=True)
    return UnmappedStorage(path).create_index(schema)


def damage(path: Path) -> SearchIndexDamagedError | None:
    """What stops the index in path from being read in full, or None if nothing does."""
    try:
        with open_index(path).searcher() as searcher:
            for _ in searcher.all_stored_fields():
                pass
    except SearchIndexDamagedError as error:
        return error
    except Exception as error:
        return SearchIndexDamagedError(f"Sökindexet är skadat: {error or type(error).__name__}")
    return None


def abandon(writer: SegmentWriter) -> None:
    """Cancel a writer that failed, even half-way through its commit, and free the lock."""
    try:
        writer.cancel()
    except Exception:  # closing its files can fail the same way the commit did
        log.warning("Whoosh writer could not be cancelled cleanly", exc_info=True)
    if isinstance(writer.storage, _WrittenFiles):
        writer.storage.close_created()
    if not writer.is_closed:
        with suppress(Exception):
            writer._tempstorage.destroy()
        if writer.writelock is not None:
            with suppress(Exception):
                writer.writelock.release()
        writer.is_closed = True


def take_writer(
    ix: index.Index, timeout: float, writer_class: type[SegmentWriter] = SegmentWriter
) -> SegmentWriter:
    """Take the writer lock (waiting up to timeout seconds), then make the writer; a writer
    that fails to start (it writes its first files at once) gives the lock back."""
    lock = ix.lock("WRITELOCK")
    if not try_for(lock.acquire, timeout=timeout, delay=0.1):
        raise SearchUnavailableError(LOCKED)
    try:
        writer = writer_class(ix, _lk=False)
    except BaseException:
        if isinstance(ix.storage, _WrittenFiles):
            ix.storage.close_created()
        lock.release()
        raise
    writer.writelock = lock  # released when the writer commits or is cancelled
    return writer


@contextmanager
def writing(path: Path, ix: index.Index, timeout: float) -> Iterator[SegmentWriter]:
    """A writer that commits when the block ends and is abandoned if anything fails.

    A failure that is neither the disk's (OSError) nor the lock's is checked against the
    files: if the index cannot be read in full, SearchIndexDamagedError says so.
    """
    writer = take_writer(ix, timeout)
    try:
        yield writer
        writer.commit()
    except BaseException as error:
        abandon(writer)
        if isinstance(error, Exception) and not isinstance(error, OSError | SearchUnavailableError):
            found = damage(path)
            if found is not None:
                raise found from error
        raise
