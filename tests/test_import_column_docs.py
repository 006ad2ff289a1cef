"""docs/import-columns.md is the column specification the importer uses, word for word."""

from __future__ import annotations

from pathlib import Path

from kb.imports.column_docs import columns_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "import-columns.md"


def test_the_documented_columns_are_the_importers(app):
    with app.test_request_context():
        generated = columns_markdown()
    assert DOCS.read_text(encoding="utf-8") == generated, (
        "Kör `python -m kb.imports.column_docs > docs/import-columns.md`"
    )
    assert "`organisationsnummer` | `org_number` | ja" in generated
