"""Aggregates SQLite and PostgreSQL both compute: medians by window functions.

SQLite has no percentile function, so a median is the mean of the middle one or two values of
each group, ranked with ROW_NUMBER: one pass over the group's values in the database, no rows
fetched into Python.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, Subquery, func, select


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
