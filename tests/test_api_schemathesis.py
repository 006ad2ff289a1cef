"""schemathesis (its default checks) against every API operation, signed in with a real token
in a seeded world, with valid and invalid data: no 500s, and every response conforms to the
OpenAPI document.

One allowance, for the experience writes only: a body the schema accepts can still break a
rule of the domain (a unit that does not exist, a start month in the future), which the API
answers with 422 validation_failed; positive_data_acceptance is not applied to such a 422.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api_world import build_api_world

EXAMPLES = 25
WRITES = {"POST", "PUT", "PATCH"}


@pytest.fixture
def api_world(app_db):
    with app_db() as session:
        return build_api_world(session)


def check_operation(
    operation, mode: GenerationMode, headers: dict[str, str], statuses: set[int]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
        if header is None or header.mode != GenerationMode.NEGATIVE:
            case.headers = {**(case.headers or {}), **headers}  # the real user's token
        response = case.call()
        statuses.add(response.status_code)
        excluded = []
        if case.method.upper() in WRITES and response.status_code == 422:
            excluded = [positive_data_acceptance]
        case.validate_response(response, excluded_checks=excluded)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_conforms_to_the_document(app, api_world, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = api_world.headers("caseworker")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:
        statuses: set[int] = set()
        try:
            check_operation(operation, mode, headers, statuses)
        except Exception as failure:
            failures.append(f"{operation.label}: {failure}")
        listing = operation.method.upper() == "GET" and "{" not in operation.path
        if mode == GenerationMode.POSITIVE and listing and not statuses & {200}:
            failures.append(f"{operation.label}: never answered 200 ({sorted(statuses)})")
    assert failures == [], "\n\n".join(failures)
