"""The PostgreSQL rebuild analyses documents in forked processes (postgres_literals)."""

from __future__ import annotations

import os
import random

from kb.search.analysis import default_lexicon
from kb.search.documents import SearchDocument
from kb.search.postgres_backend import tsvector_literal
from kb.search.postgres_literals import MIN_DOCUMENTS, literals

WORDS = [
    "familjehemsplacering",
    "kvällsbemanningen",
    "beslutet",
    "avtalet",
    "mötet",
    "skolgång",
    "LVU",
    "HVB",
    "genomförandeplan",
    "kontaktperson",
    "ungdomen",
    "personalen",
    "läkemedel",
]


def _documents(count: int) -> list[SearchDocument]:
    rng = random.Random(5)
    return [
        SearchDocument(
            key=f"experience:{number}",
            kind="experience",
            title=" ".join(rng.choices(WORDS, k=4)),
            body=" ".join(rng.choices(WORDS, k=40)),
            date=None,
            access=["all", f"org:{number % 7}"],
        )
        for number in range(count)
    ]


def _literal(document: SearchDocument) -> str:
    return tsvector_literal(document.title, document.body, document.access)


def _pid_and_literal(document: SearchDocument) -> str:
    return f"{os.getpid()} {_literal(document)}"


def test_forked_analysis_gives_every_literal_in_document_order():
    documents = _documents(MIN_DOCUMENTS + 777)
    default_lexicon().add_text("\n".join(d.title + "\n" + d.body for d in documents))
    found = list(literals(documents, _pid_and_literal))
    assert [line.split(" ", 1)[1] for line in found] == [_literal(d) for d in documents]
    assert os.getpid() not in {int(line.split(" ", 1)[0]) for line in found}  # forked
    assert "'familjehemsplacering'" in found[0] or "'familjehemsplacering'" in found[1]


def test_few_documents_are_analysed_in_this_process():
    documents = _documents(10)
    found = list(literals(documents, _pid_and_literal))
    assert {int(line.split(" ", 1)[0]) for line in found} == {os.getpid()}
