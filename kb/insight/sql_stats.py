"""Aggregates SQLite and PostgreSQL both compute: medians by window functions.

SQLite has no percentile function, so a median is the mean of the middle one or two values of
each group, ranked with ROW_NUMBER: one pass over the group's values in the database, no rows
fetched into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class not_indexed(FunctionElement[Any]):  # noqa: N801 - reads like the SQL it writes
    """The column, written so that SQLite does not search it by its own index (``+column``).

    Without planner statistics SQLite prefers any equality on an indexed column, e.g. all the
    ratings of one theme, over a join driven by a narrower covering index. PostgreSQL plans
    from its statistics and gets the plain column.
    """

    inherit_cache = True
    name = "not_indexed"

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(not_indexed)
def _not_indexed_sqlite(element: not_indexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(next(iter(element.clauses)), **kw)


@compiles(not_indexed, "postgresql")
def _not_indexed_postgresql(element: not_indexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


def grouped_median(source: Subquery, value: str = "value", groups: Sequence[str] = ()) -> Select:
    """``SELECT <groups>, median, n FROM source GROUP BY <groups>`` over non-null values.

    ``source`` is a subquery with a column named ``value`` (or as given) and the group columns.
    Without groups the result is always one row (an aggregate over no rows); its median and
    n are NULL when there are no values.
    """
    group_columns = [source.c[name] for name in groups]
    ranked = (
        select(
            *group_columns,
            source.c[value].label("value"),
            func.row_number()
            .over(partition_by=group_columns or None, order_by=source.c[value])
            .label("rank"),
            func.count().over(partition_by=group_columns or None).label("n"),
        )
        .where(source.c[value].is_not(None))
        .subquery("ranked")
    )
    ranked_groups = [ranked.c[name] for name in groups]
    middle = ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    return (
        select(
            *ranked_groups,
            func.avg(ranked.c.value).label("median"),
            func.max(ranked.c.n).label("n"),
        )
        .where(middle)
        .group_by(*ranked_groups)
    )
