"""The Whoosh rebuild's parallel writer makes the index Whoosh's own writer makes.

Forked processes each write a segment of their share of the documents: the terms, positions,
weights, term statistics, field lengths and stored fields must be exactly those of one plain
Whoosh writer, with the documents in their order, also when a writer spills to disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index
from whoosh.reading import IndexReader

from kb.search import whoosh_bulk
from kb.search.analysis import default_lexicon
from kb.search.whoosh_backend import WhooshBackend, _fields, build_schema
from kb.search.whoosh_bulk import bulk_processes, write_index
from tests.test_search_whoosh import make_documents

DOCUMENTS = make_documents(count=150, seed=9)


def contents(path: Path) -> tuple[list, list, list]:
    """Stored fields and field lengths in docnum order, and every posting with its docnum."""
    with index.open_dir(str(path)).reader() as reader:
        stored = [fields for _, fields in reader.iter_docs()]
        lengths = [
            [reader.doc_field_length(docnum, field) for field in ("title", "body")]
            for docnum in reader.all_doc_ids()
        ]
        return stored, lengths, postings(reader)


def postings(reader: IndexReader) -> list[tuple]:
    """Each term's statistics (lengths for BM25 included), then its postings."""
    found = []
    for fieldname, text in reader.all_terms():
        info = reader.term_info(fieldname, text)
        statistics = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length())
        found.append((fieldname, text, statistics, info.max_weight()))
        matcher = reader.postings(fieldname, text)
        while matcher.is_active():
            found.append((fieldname, text, matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
    return found


@pytest.fixture(scope="module")
def whoosh_made(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list, list]:
    """The index Whoosh's own writer makes of DOCUMENTS, one after the other."""
    default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in DOCUMENTS))
    path = tmp_path_factory.mktemp("whoosh_made")
    writer = index.create_in(str(path), build_schema()).writer()
    for document in DOCUMENTS:
        writer.add_document(**_fields(document))
    writer.commit()
    return contents(path)


@pytest.mark.parametrize("processes", [1, 3])
@pytest.mark.parametrize("pool_postings", [whoosh_bulk.POOL_POSTINGS, 500])
def test_the_parallel_writer_makes_what_whoosh_makes(
    whoosh_made, tmp_path: Path, monkeypatch, processes: int, pool_postings: int
):
    monkeypatch.setattr(whoosh_bulk, "POOL_POSTINGS", pool_postings)  # 500: spills to disk
    ix = index.create_in(str(tmp_path), build_schema())
    write_index(ix, [_fields(d) for d in DOCUMENTS], processes, timeout=1.0)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == processes  # one segment each
    assert contents(tmp_path) == whoosh_made
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []


def test_a_failing_share_fails_the_rebuild_and_the_old_index_answers(tmp_path: Path):
    backend = WhooshBackend(tmp_path)
    backend.rebuild(DOCUMENTS[:10])
    fields = [_fields(d) for d in DOCUMENTS]
    fields[3]["no_such_field"] = "x"  # in the first share, a forked process's
    with pytest.raises(RuntimeError, match="sub-process: UnknownFieldError"):
        write_index(index.open_dir(str(tmp_path)), fields, 2, timeout=1.0)
    assert backend.stored_keys() == {d.key for d in DOCUMENTS[:10]}
    backend.rebuild(DOCUMENTS)  # the lock was released
    assert backend.stored_keys() == {d.key for d in DOCUMENTS}


def test_small_rebuilds_are_written_in_one_process():
    assert bulk_processes(0) == bulk_processes(whoosh_bulk.MIN_SHARE * 2 - 1) == 1


def test_no_documents_make_an_empty_index(tmp_path: Path):
    ix = index.create_in(str(tmp_path), build_schema())
    write_index(ix, [_fields(d) for d in DOCUMENTS[:2]], 2, timeout=1.0)
    write_index(ix, [], 2, timeout=1.0)
    with ix.reader() as reader:
        assert reader.doc_count_all() == 0
