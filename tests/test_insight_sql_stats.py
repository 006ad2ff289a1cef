"""Medians computed in the database, on SQLite and (with the PostgreSQL run) on PostgreSQL."""

from __future__ import annotations

import statistics

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from kb.extensions import db
from kb.insight.sql_stats import grouped_median

VALUES = {"a": [5, 1, 3], "b": [10, 2, 8, 4], "c": [7], "d": []}


def _table(connection) -> Table:
    table = Table("median_probe", MetaData(), Column("g", String(5)), Column("value", Integer))
    table.create(connection)
    rows = [{"g": g, "value": v} for g, values in VALUES.items() for v in values]
    connection.execute(insert(table), [*rows, {"g": "a", "value": None}])
    return table


def test_grouped_and_overall_medians_equal_pythons(app):
    with app.app_context():
        connection = db.session.connection()
        table = _table(connection)
        source = select(table.c.g, table.c.value).subquery()
        found = {
            g: (float(median), n)
            for g, median, n in connection.execute(grouped_median(source, groups=["g"]))
        }
        overall = connection.execute(grouped_median(source)).one()
        empty = select(table.c.value).where(table.c.g == "d").subquery()
        nothing = tuple(connection.execute(grouped_median(empty)).one())
        db.session.rollback()
    expected = {g: (statistics.median(v), len(v)) for g, v in VALUES.items() if v}
    assert found == expected
    everything = [v for values in VALUES.values() for v in values]
    assert (float(overall.median), overall.n) == (statistics.median(everything), len(everything))
    assert nothing == (None, None)
