"""Bulk indexing for the Whoosh backend: a rebuild written in parallel, one segment per process.

Whoosh's MpWriter pickles every document into job files for its sub-processes, and its writers
spill postings to sorted runs on disk past 128 MB (by their estimate) and merge them back in
Python: at 20,000 documents that spill was a third of the work. Here forked processes each
index a contiguous share of the documents, inherited rather than pickled, into a segment of
their own; the parent indexes the last share and commits all the segments as the whole index,
in the documents' order. Each writer keeps up to POOL_POSTINGS postings in memory, adding each
without a Python call, and reads the field lengths once per field, not once per posting.

Whoosh 2.7.4 is pinned (test_search_installation): _BulkWriter changes its SegmentWriter's
pool and one step, _flush_segment.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from itertools import pairwise
from multiprocessing.connection import Connection

from whoosh.codec.base import PerDocumentReader
from whoosh.fields import Schema
from whoosh.index import Index
from whoosh.writing import PostingPool, SegmentWriter

from kb.search.whoosh_files import abandon, take_writer

POOL_POSTINGS = 8_000_000  # a writer's postings in memory (some 250 bytes each), then a run
MIN_SHARE = 2000  # fewer documents per process are not worth a process
MAX_PROCESSES = 4


def bulk_processes(count: int) -> int:
    """How many processes should index count documents: one per core, if they are forked.

    They must be forked to inherit the lexicon just learned: a spawned one would split no
    compounds.
    """
    if multiprocessing.get_start_method() != "fork":
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES, count // MIN_SHARE))


class _Lengths:
    """A segment's field lengths as its per-document reader gives them, read once per field.

    Only a scorable field records lengths: any other has the default for every document."""

    def __init__(self, reader: PerDocumentReader, schema: Schema) -> None:
        self.reader = reader
        self.schema = schema
        self._lengths: dict[tuple[str, int], list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self._lengths.get((fieldname, default))
        if lengths is None:
            count = self.reader.doc_count_all()
            if self.schema[fieldname].scorable:
                read = self.reader.doc_field_length
                lengths = [read(each, fieldname, default) for each in range(count)]
            else:
                lengths = [default] * count
            self._lengths[fieldname, default] = lengths
        return lengths[docnum]

    def close(self) -> None:
        self.reader.close()


class _Pool(PostingPool):
    """Whoosh's posting pool, adding a posting with list.append rather than a Python method
    that checks it and estimates its size: the writer has it spill between documents."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.add = self.current.append  # type: ignore[method-assign]

    def save(self) -> None:
        super().save()  # sorts the postings into a run on disk and starts a new list
        self.add = self.current.append  # type: ignore[method-assign]


class _BulkWriter(SegmentWriter):
    """Whoosh's segment writer with a faster pool, giving the postings writer lengths read
    once per field."""

    def __init__(self, ix: Index, **kwargs: object) -> None:
        super().__init__(ix, **kwargs)
        self.pool = _Pool(self._tempstorage, self.newsegment)

    def add_document(self, **fields: object) -> None:
        super().add_document(**fields)
        if len(self.pool.current) >= POOL_POSTINGS:
            self.pool.save()

    def _flush_segment(self) -> None:  # SegmentWriter._flush_segment with _Lengths
        self.perdocwriter.close()
        lengths = None
        if self.codec.length_stats:
            lengths = _Lengths(self.per_document_reader(), self.schema)
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if lengths:
            lengths.close()


def write_index(ix: Index, documents: Sequence[dict], processes: int, timeout: float) -> None:
    """Replace everything in the index with the documents (Whoosh fields), in their order.

    Waits up to timeout seconds for the writer lock (else SearchUnavailableError); the old
    index answers until the commit. A failure anywhere, the commit included, frees the lock.
    """
    writer = take_writer(ix, timeout, _BulkWriter)  # holds the lock
    processes = max(1, min(processes, len(documents)))  # no empty segments
    bounds = [len(documents) * part // processes for part in range(processes + 1)]
    children: list[tuple[multiprocessing.Process, Connection]] = []
    try:
        for start, end in pairwise(bounds[:-1]):
            children.append(_start_child(ix, documents[start:end]))
        for fields in documents[bounds[-2] :]:
            writer.add_document(**fields)
        segments = [_result(child, connection) for child, connection in children]
        writer.commit(mergetype=lambda _writer, _old_segments: segments)
    except BaseException:
        for child, _ in children:
            child.terminate()
            child.join()
        abandon(writer)
        raise


def _start_child(
    ix: Index, documents: Sequence[dict]
) -> tuple[multiprocessing.Process, Connection]:
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_write_segment, args=(ix, documents, sending), daemon=True)
    child.start()
    sending.close()  # the child's end: receiving sees EOF if the child dies
    return child, receiving


def _write_segment(ix: Index, documents: Sequence[dict], connection: Connection) -> None:
    """In a child: write the documents into a new segment and send it, or the error."""
    writer = _BulkWriter(ix, _lk=False)  # the parent holds the lock
    try:
        for fields in documents:
            writer.add_document(**fields)
        connection.send((writer._finalize_segment(), None))
    except BaseException as error:
        writer._close_segment()
        connection.send((None, f"{type(error).__name__}: {error}"))
    connection.close()


def _result(child: multiprocessing.Process, connection: Connection) -> object:
    """The segment a child wrote; raises if it failed."""
    try:
        segment, error = connection.recv()
    except EOFError:  # it died without a word
        segment, error = None, None
    finally:
        connection.close()
    child.join()
    if segment is None:
        raise RuntimeError(
            f"Indexing failed in a sub-process: {error or f'exit code {child.exitcode}'}"
        )
    return segment
