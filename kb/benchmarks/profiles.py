"""Sizes for ``make bench`` (full) and ``make bench-quick``.

The full profile measures at the sizes the issues set their targets for. A few KB_BENCH_*
variables override a size, e.g. to try the full report at half size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    base: int  # experiences: saving, supplier page, search (a municipality's decade)
    large: int  # experiences: search at an intermediary's size, insight pages
    loop: int  # experiences in the tender-draft area
    import_rows: int
    drain_seconds: float  # how long the import's search drain is measured
    saves: int
    page_renders: int
    queries: int  # search queries, each run plain and with two facet filters
    insight_requests: int
    aggregate_repeats: int  # raw GROUP BY baselines
    load_seconds: int  # the load test at ``large`` (issue 10)
    load_users: int
    scaling_requests: int  # per request of the scaling curve, at every size
    search_sizes: tuple[int, ...] = ()  # more sizes to search at; base and large always are

    def world_sizes(self) -> list[int]:
        """The sizes the shared world grows through, searched at each, smallest first."""
        return sorted({*self.search_sizes, self.base, self.large})


FULL = Profile(
    name="full",
    base=20_000,
    large=100_000,
    loop=20_000,
    import_rows=100_000,
    drain_seconds=60,
    saves=200,
    page_renders=60,
    queries=220,
    insight_requests=60,
    aggregate_repeats=60,
    load_seconds=90,
    load_users=50,
    scaling_requests=40,
    search_sizes=(10_000, 20_000, 100_000),  # issue 4: figures at 10,000 and 100,000
)
QUICK = Profile(
    name="quick",
    base=1_500,
    large=3_000,
    loop=1_500,
    import_rows=2_000,
    drain_seconds=5,
    saves=30,
    page_renders=12,
    queries=60,
    insight_requests=12,
    aggregate_repeats=20,
    load_seconds=15,
    load_users=10,
    scaling_requests=8,
)
OVERRIDES = {
    "KB_BENCH_SCALE": "base",
    "KB_BENCH_INSIGHT_SIZE": "large",
    "KB_BENCH_LOOP_EXPERIENCES": "loop",
    "KB_BENCH_IMPORT_ROWS": "import_rows",
    "KB_BENCH_IMPORT_DRAIN_SECONDS": "drain_seconds",
    "KB_BENCH_INSIGHT_REQUESTS": "insight_requests",
    "KB_BENCH_LOAD_SECONDS": "load_seconds",
    "KB_BENCH_LOAD_USERS": "load_users",
}


def profile_from_environment(quick: bool) -> Profile:
    profile = QUICK if quick else FULL
    changes: dict[str, float | int] = {}
    for variable, field_name in OVERRIDES.items():
        if os.environ.get(variable):
            kind = float if field_name == "drain_seconds" else int
            changes[field_name] = kind(os.environ[variable])
    if not changes:
        return profile
    return replace(profile, name=f"{profile.name} (sizes from KB_BENCH_*)", **changes)
