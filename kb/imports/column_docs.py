"""The import column lists as Markdown, from the one specification in kb.imports.columns.

``python -m kb.imports.column_docs > docs/import-columns.md`` writes the file the README links
to; a test keeps the two equal.
"""

from __future__ import annotations

from config import TestConfig
from kb.imports.columns import KINDS

HEADER = """# Import: columns per kind

Generated from `kb/imports/columns.py` (`python -m kb.imports.column_docs`); the upload page
shows the same lists. Headers may be Swedish or English, in any case, with spaces for
underscores. Dates are `2024-03-01`, months `2024-03`; decimals take a comma or a point;
lists are separated by `|`; yes/no is `ja`/`nej`. Enum columns take the stored value or the
Swedish label. A template for each kind: `/import/mall/<kind>.csv`.
"""


def columns_markdown() -> str:
    lines = [HEADER]
    for key, kind in KINDS.items():
        also = ", also `tender-rounds`" if key == "tender_rounds" else ""
        lines += [
            f"\n## {kind.label} (`{key}`{also})\n",
            f"{kind.match}\n",
            "| Kolumn (sv) | Column (en) | Obligatorisk | Innehåll |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{c.swedish}` | `{c.english}` | {'ja' if c.required else ''} | {c.description} |"
            for c in kind.columns
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    from kb import create_app

    app = create_app(TestConfig)
    with app.test_request_context():
        print(columns_markdown(), end="")


if __name__ == "__main__":
    main()
