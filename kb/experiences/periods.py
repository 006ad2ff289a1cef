"""Year-month periods: placements are recorded by month, never by date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class YearMonth:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None) -> YearMonth | None:
        """Parse 'YYYY-MM'; return None for empty text, raise ValueError for anything else."""
        if not text or not text.strip():
            return None
        year_text, separator, month_text = text.strip().partition("-")
        if not separator or len(year_text) != 4 or not (year_text + month_text).isdigit():
            raise ValueError(text)
        year, month = int(year_text), int(month_text)
        if not 1 <= month <= 12 or not 1990 <= year <= 2100:
            raise ValueError(text)
        return cls(year, month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        following = YearMonth(self.year + self.month // 12, self.month % 12 + 1)
        return date.fromordinal(following.first_day.toordinal() - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def from_columns(year: int | None, month: int | None) -> YearMonth | None:
    return YearMonth(year, month) if year and month else None
