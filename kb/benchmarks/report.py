"""Figures as the benchmarks measure them, each with its target and its baselines.

A bench records a figure the moment it has measured it, then prints its usual line from the
recorded values. The writers turn the same records into ``report.md`` and ``report.json``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

BELOW = "below"
AT_LEAST = "at least"
GROUPS = {
    "saving": "Saving an experience",
    "pages": "Pages",
    "search": "Search",
    "insight": "Insight pages",
    "loop": "Learning loop: tender draft",
    "import": "Data in: demo, --scale and CSV import",
    "scaling": "Scaling curve (issue 10)",
    "load": "Load test (issue 10)",
}
UNITS = {
    "_ms": "ms",
    "docs_per_s": "docs/s",
    "rows_per_s": "rows/s",
    "experiences_per_s": "experiences/s",
    "_mb": "MB",
    "requests_per_s": "requests/s",
    "errors": "errors",
}


@dataclass(frozen=True)
class Target:
    """A limit an issue set, quoted where it was set."""

    limit: float
    direction: str
    source: str
    size: int | None = None
    relative_to: str | None = None  # the limit is that figure's value in the same run

    def __post_init__(self) -> None:
        if self.direction not in (BELOW, AT_LEAST):
            raise ValueError(f"unknown target direction {self.direction!r}")

    def met_by(self, value: float) -> bool | None:
        if math.isnan(self.limit):
            return None
        return value < self.limit if self.direction == BELOW else value >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "direction": self.direction,
            "source": self.source,
            "size": self.size,
            "relative_to": self.relative_to,
        }


@dataclass
class Figure:
    """One measured number. ``value`` is None when it could not be measured."""

    name: str
    label: str
    value: float | None
    unit: str
    group: str
    target: Target | None = None
    baselines: tuple[str, ...] = ()
    samples: int | None = None
    size: int | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.target.met_by(self.value)

    @property
    def at_target_size(self) -> bool:
        """Whether it was measured at the corpus size its target was set for."""
        return self.target is None or self.target.size in (None, self.size)


def latency_ms(samples_seconds: Sequence[float]) -> tuple[float, float]:
    """Median and p95 of request times, in milliseconds (p95: the sample at rank 0.95·n)."""
    ordered = sorted(samples_seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


@dataclass
class Report:
    """Collects figures and notes for one run; ``expected`` maps figure names to targets."""

    quick: bool = False
    expected: dict[str, Target] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)

    def record(
        self,
        name: str,
        label: str,
        value: float | None,
        unit: str,
        group: str,
        **details: Any,
    ) -> Figure:
        """Keep a figure; its target comes from ``expected`` unless one is given."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}")
        if name in self.figures:
            raise ValueError(f"figure {name} recorded twice")
        if details.get("target") is None:
            details["target"] = self.expected.get(name)
        figure = Figure(name, label, value, unit, group, **details)
        self.figures[name] = figure
        return figure

    def finish(self, reasons: dict[str, str] | None = None) -> None:
        """Resolve targets relative to other figures; list expected figures never measured.

        ``reasons`` maps a name prefix (e.g. ``search.postgres``) to why it was not measured.
        """
        for figure in self.figures.values():
            target = figure.target
            if target is not None and target.relative_to is not None:
                other = self.figures.get(target.relative_to)
                limit = other.value if other is not None else None
                figure.target = replace(target, limit=limit if limit is not None else float("nan"))
                if limit is None:
                    figure.note = figure.note or f"{target.relative_to} was not measured"
        for name, target in self.expected.items():
            if name in self.figures:
                continue
            reason = next(
                (text for prefix, text in (reasons or {}).items() if name.startswith(prefix)),
                "not measured in this run",
            )
            unit = next((u for suffix, u in UNITS.items() if name.endswith(suffix)), "")
            self.record(
                name, "Not measured", None, unit, name.split(".")[0], target=target, note=reason
            )

    def record_latency(
        self,
        prefix: str,
        label: str,
        samples_seconds: Sequence[float],
        group: str,
        *,
        target: Target | None = None,
        baselines: Sequence[str] = (),
        size: int | None = None,
    ) -> tuple[Figure, Figure]:
        """Record ``<prefix>.median_ms`` and ``<prefix>.p95_ms``; the target applies to p95."""
        median, p95 = latency_ms(samples_seconds)
        common = {"samples": len(samples_seconds), "size": size}
        return (
            self.record(
                f"{prefix}.median_ms",
                f"{label}, median",
                median,
                "ms",
                group,
                baselines=tuple(f"{b}.median_ms" for b in baselines),
                **common,
            ),
            self.record(
                f"{prefix}.p95_ms",
                f"{label}, p95",
                p95,
                "ms",
                group,
                target=target,
                baselines=tuple(f"{b}.p95_ms" for b in baselines),
                **common,
            ),
        )

    def note(self, text: str) -> None:
        """Keep a line for the report and print it, as the benches always have."""
        self.notes.append(text)
        print(text, flush=True)

    def phase(self, name: str, seconds: float) -> None:
        self.phases.append((name, seconds))

    def ratio(self, figure: Figure, baseline_name: str) -> float | None:
        """Ours divided by the baseline measured in the same run."""
        baseline = self.figures.get(baseline_name)
        if baseline is None or baseline.value in (None, 0) or figure.value is None:
            return None
        return figure.value / baseline.value

    def targets(self) -> dict[str, dict[str, Any]]:
        """Each target's name (the figure it is checked on) -> value, target, unit, met."""
        return {
            figure.name: {
                "value": figure.value,
                "target": figure.target.limit,
                "unit": figure.unit,
                "met": figure.met,
            }
            for figure in self.figures.values()
            if figure.target is not None
        }

    def figure_dict(self, figure: Figure) -> dict[str, Any]:
        return {
            "name": figure.name,
            "label": figure.label,
            "value": figure.value,
            "unit": figure.unit,
            "group": figure.group,
            "size": figure.size,
            "samples": figure.samples,
            "target": figure.target.as_dict() if figure.target else None,
            "met": figure.met,
            "at_target_size": figure.at_target_size,
            "baselines": [
                {
                    "name": name,
                    "value": self.figures[name].value if name in self.figures else None,
                    "ratio": self.ratio(figure, name),
                }
                for name in figure.baselines
            ],
            "note": figure.note,
        }
