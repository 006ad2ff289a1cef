"""SQL date arithmetic the learning dashboard needs, written once for SQLite and PostgreSQL.

Each construct compiles to the dialect's own functions, so durations and deadlines are computed
in the database, next to the aggregates that use them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class days_between(FunctionElement[float]):  # noqa: N801 - reads like the SQL function it is
    """Days (with fraction) from the first timestamp to the second: later minus earlier."""

    type = Float()
    inherit_cache = True
    name = "days_between"

    def __init__(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> None:
        super().__init__(start, end)


class reporting_deadline(FunctionElement[Any]):  # noqa: N801
    """The end of the 30th day after the last day of the month (year, month): a timestamp.

    A placement ending in March is reported in time when submitted before 1 April + 30 days,
    i.e. at the latest on 30 April, 30 days after 31 March.
    """

    type = DateTime()
    inherit_cache = True
    name = "reporting_deadline"

    def __init__(self, year: ColumnElement[Any], month: ColumnElement[Any]) -> None:
        super().__init__(year, month)


def _arguments(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(argument, **kw) for argument in element.clauses]


@compiles(days_between)
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = _arguments(element, compiler, **kw)
    return f"(julianday({end}) - julianday({start}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = _arguments(element, compiler, **kw)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(reporting_deadline)
def _deadline_sqlite(element: reporting_deadline, compiler: Any, **kw: Any) -> str:
    year, month = _arguments(element, compiler, **kw)
    first = f"printf('%04d-%02d-01', {year}, {month})"
    return f"datetime({first}, '+1 month', '+30 days')"


@compiles(reporting_deadline, "postgresql")
def _deadline_postgresql(element: reporting_deadline, compiler: Any, **kw: Any) -> str:
    year, month = _arguments(element, compiler, **kw)
    first = f"make_date(CAST({year} AS INTEGER), CAST({month} AS INTEGER), 1)"
    return f"({first} + INTERVAL '1 month 30 days')"
