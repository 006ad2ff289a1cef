"""The answers of a complete, submitted experience form, as benchmarks and load tests post it.

Used by the saving bench (kb/bench_requests.py), the load test's caseworkers and the
concurrency test, so that all three save the same realistic experience.
"""

from __future__ import annotations

from kb.themes import Theme


def submitted_experience(
    unit_id: int, area_id: int, contract_id: int, worked_md: str, rating: str = "4"
) -> dict[str, str]:
    """Every field of the form, submitted; each theme rated ``rating``."""
    return {
        "unit_id": str(unit_id),
        "agreement_area_id": str(area_id),
        "contract_id": str(contract_id),
        "placement_kind": "behandling",
        "legal_basis": "sol",
        "age_band": "16-17",
        "start": "2024-01",
        "end": "2024-08",
        "end_reason": "planerat",
        "goal_attainment": "3",
        "daily_price": "4 200",
        "would_place_again": "ja",
        "worked_md": worked_md,
        "not_worked_md": "Skolgången kom igång sent.",
        "advice_md": "Fråga om kvällsbemanningen.",
        "submit_experience": "Skicka in",
        **{f"rating_{theme.value}": rating for theme in Theme},
    }
