"""URL converters: an id in a path is never larger than the database's integers.

Werkzeug's ``int`` accepts any number of digits; a path like ``/leverantorer/10^30`` then
reached the database and failed there (SQLite: OverflowError, PostgreSQL: out of range), a
500. With this converter such a path simply matches no route: 404, like any missing id.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of the id columns (INTEGER on both databases)


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
