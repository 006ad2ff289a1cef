"""OCDS export: the package validates against the official OCDS 1.1 release-package schema
with the local extension merged in, uses only codelist codes, publishes no personal data and
no small groups, and is served on the API to token holders only.

The official schema is read from ../shared/ocds-1.1/ beside the repository (never copied into
it, never fetched from the network). Only the tests that need it skip when it is absent.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from kb.api.tokens import create_token
from kb.audit.context import Actor, acting_as
from kb.auth.models import Role, User
from kb.demo.loader import load_demo
from kb.exchange.ocds import (
    CONTRACT_STATUS,
    MILESTONE_STATUS,
    PROCUREMENT_METHOD,
    TENDER_STATUS,
    release_package,
    settings_for,
)
from kb.experiences.models import EndReason, Experience, ExperienceRating, ExperienceStatus
from kb.followups.models import FollowUpKind, FollowUpResult
from kb.suppliers.models import Unit
from kb.tenders.models import Contract, ProcurementForm, TenderRound, TenderRoundStatus
from kb.themes import Theme

REPO = Path(__file__).resolve().parents[1]
# KB_OCDS_SCHEMA_DIR points elsewhere when the checkout is not beside ../shared (see .ci/run).
OCDS_DIR = Path(os.environ.get("KB_OCDS_SCHEMA_DIR") or REPO.parent / "shared" / "ocds-1.1")
EXTENSION_DIR = REPO / "docs" / "ocds-extension"
DEMO_ACTOR = Actor(None, "demo", None)


def _official() -> Path:
    if not (OCDS_DIR / "release-package-schema.json").is_file():
        pytest.skip(f"the official OCDS 1.1 schema is not at {OCDS_DIR} (../shared/ocds-1.1)")
    return OCDS_DIR


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON Merge Patch (RFC 7386), as OCDS applies an extension's release-schema.json."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@pytest.fixture(scope="module")
def package_validator() -> Draft4Validator:
    folder = _official()
    release = merge_patch(
        _load(folder / "release-schema.json"), _load(EXTENSION_DIR / "release-schema.json")
    )
    registry = Registry().with_resource(
        release["id"], Resource.from_contents(release, default_specification=DRAFT4)
    )
    schema = _load(folder / "release-package-schema.json")
    Draft4Validator.check_schema(schema)
    Draft4Validator.check_schema(release)
    return Draft4Validator(schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def codelist(name: str) -> set[str]:
    with (_official() / "codelists" / f"{name}.csv").open(encoding="utf-8") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


def assert_valid(validator: Draft4Validator, package: dict) -> None:
    errors = sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])


def assert_codelists(package: dict) -> None:
    """Every closed and open codelist field the export fills uses the codelist's codes."""
    for release in package["releases"]:
        assert set(release["tag"]) <= codelist("releaseTag")
        assert release["initiationType"] in codelist("initiationType")
        for party in release["parties"]:
            assert set(party["roles"]) <= codelist("partyRole"), party
        tender = release["tender"]
        assert tender["status"] in codelist("tenderStatus")
        assert tender["procurementMethod"] in codelist("method")
        assert tender["mainProcurementCategory"] in codelist("procurementCategory")
        for item in tender["items"]:
            for c in [item.get("classification"), *item.get("additionalClassifications", [])]:
                assert c is None or c["scheme"] in codelist("itemClassificationScheme")
        for award in release.get("awards", []):
            assert award["status"] in codelist("awardStatus")
        milestones = list(tender.get("milestones", []))
        for contract in release.get("contracts", []):
            assert contract["status"] in codelist("contractStatus")
            milestones += contract.get("implementation", {}).get("milestones", [])
        for milestone in milestones:
            assert milestone["status"] in codelist("milestoneStatus")
            assert milestone["type"] in codelist("milestoneType")
        for related in release.get("relatedProcesses", []):
            assert set(related["relationship"]) <= codelist("relatedProcess")


def _demo(app: Flask) -> None:
    with app.app_context(), acting_as(DEMO_ACTOR):
        from kb.extensions import db

        load_demo()
        db.session.commit()


def _package(app: Flask) -> dict:
    with app.app_context():
        from kb.extensions import db

        rounds = db.session.scalars(select(TenderRound).order_by(TenderRound.id)).all()
        settings = settings_for(app)
        return release_package(rounds, settings, settings.base_url + "/ocds/alla.json")


def test_mappings_use_only_codelist_codes() -> None:
    assert set(TENDER_STATUS) == set(TenderRoundStatus)
    assert set(TENDER_STATUS.values()) <= codelist("tenderStatus")
    assert set(PROCUREMENT_METHOD) == set(ProcurementForm)
    assert set(PROCUREMENT_METHOD.values()) <= codelist("method")
    assert set(CONTRACT_STATUS.values()) <= codelist("contractStatus")
    assert set(MILESTONE_STATUS) == set(FollowUpResult)
    assert set(MILESTONE_STATUS.values()) | {"scheduled"} <= codelist("milestoneStatus")


def _enum(definition: str, *path: str) -> list:
    node = _load(EXTENSION_DIR / "release-schema.json")["definitions"][definition]
    for name in path:
        node = node["properties"][name] if name != "items" else node["items"]
    return [value for value in node["enum"] if value is not None]


def test_extension_schema_enums_are_the_models_codes() -> None:
    from kb.findings.models import FindingStatus
    from kb.followups.models import FollowUpMethod
    from kb.tenders.models import ContractStatus

    assert _enum("KunskapsbankenRound", "roundStatus") == [s.value for s in TenderRoundStatus]
    assert _enum("KunskapsbankenRound", "procurementForm") == [f.value for f in ProcurementForm]
    assert _enum("KunskapsbankenContract", "status") == [s.value for s in ContractStatus]
    assert _enum("KunskapsbankenFinding", "status") == [s.value for s in FindingStatus]
    assert _enum("KunskapsbankenFinding", "theme") == [t.value for t in Theme]
    assert _enum("KunskapsbankenFollowUp", "kind") == [k.value for k in FollowUpKind]
    assert _enum("KunskapsbankenFollowUp", "methods", "items") == [m.value for m in FollowUpMethod]
    extension = _load(EXTENSION_DIR / "extension.json")
    assert extension["schemas"] == ["release-schema.json"]
    assert extension["compatibility"] == ["1.1"]


def test_demo_package_is_valid_ocds_with_the_extension(
    app: Flask, package_validator: Draft4Validator
) -> None:
    _demo(app)
    package = _package(app)
    assert_valid(package_validator, package)
    assert_codelists(package)
    releases = {r["tender"]["id"]: r for r in package["releases"]}
    assert len(releases) == len(package["releases"]) > 1
    active = next(r for r in package["releases"] if r["kunskapsbanken"]["roundStatus"] == "aktiv")
    assert active["awards"] and active["contracts"]
    assert active["relatedProcesses"][0]["relationship"] == ["prior"]
    assert active["kunskapsbanken"]["findings"] and active["kunskapsbanken"]["requirementChanges"]
    procuring = [p for p in active["parties"] if "procuringEntity" in p["roles"]]
    assert [p["name"] for p in procuring] == [active["tender"]["procuringEntity"]["name"]]
    suppliers = [p for p in active["parties"] if p["roles"] == ["supplier"]]
    assert suppliers and all(p["identifier"]["scheme"] == "SE-BLV" for p in suppliers)
    assert all(len(p["identifier"]["id"]) == 10 for p in suppliers)
    cpv = active["tender"]["items"][0]["classification"]
    assert cpv["scheme"] == "CPV" and cpv["id"].isdigit()


def test_demo_package_holds_no_personal_data_or_experience_text(app: Flask) -> None:
    _demo(app)
    text = json.dumps(_package(app), ensure_ascii=False)
    with app.app_context():
        from kb.extensions import db

        users = db.session.execute(select(User.name, User.email)).all()
        addresses = db.session.scalars(select(Unit.address).where(Unit.address.is_not(None)))
        narratives = db.session.execute(
            select(Experience.worked_md, Experience.not_worked_md, Experience.advice_md)
        ).all()
        forbidden = [*(v for row in users for v in row), *addresses]
        forbidden += [v for row in narratives for v in row if len(v) > 25]
    assert forbidden
    leaked = [value for value in forbidden if value in text]
    assert not leaked, leaked[:5]
    assert "@" not in text


class SmallWorld:
    """One round with one contract and exactly `count` submitted experiences under it."""

    def __init__(self, app: Flask, make: Any, count: int) -> None:
        from kb.extensions import db

        self.area = make.agreement_area()
        supplier = make.supplier()
        self.unit = make.unit(supplier)
        organisation = self.organisation = make.organisation()
        outsider = make.organisation()
        with app.app_context(), acting_as(DEMO_ACTOR):
            tender_round = TenderRound(
                reference=f"T-{count}",
                title="Liten omgång",
                agreement_area_id=self.area,
                procurement_form=ProcurementForm.DIRECT_AWARD,
                lead_organisation_id=organisation,
                status=TenderRoundStatus.ACTIVE,
                contract_start=date(2024, 1, 1),
                contract_end=date(2025, 12, 31),
            )
            contract = Contract(tender_round=tender_round, supplier_id=supplier, lot="Norr")
            db.session.add_all([tender_round, contract])
            db.session.flush()
            for number in range(count):
                experience = Experience(
                    organisation_id=organisation,
                    unit_id=self.unit,
                    agreement_area_id=self.area,
                    contract_id=contract.id,
                    start_year=2024,
                    start_month=1 + number,
                    end_year=2024,
                    end_month=6 + number,
                    end_reason=EndReason.BREAKDOWN if number == 0 else EndReason.PLANNED,
                    status=ExperienceStatus.SUBMITTED,
                    submitted_at=datetime(2024, 7, 1),
                    worked_md=f"Hemlig berättelse nummer {number}",
                    ratings=[ExperienceRating(theme=Theme.BEMANNING, rating=2 + number)],
                )
                db.session.add(experience)
            db.session.add(  # another network's experience under the contract never counts
                Experience(
                    organisation_id=outsider,
                    contract_id=contract.id,
                    start_year=2024,
                    start_month=1,
                    end_year=2024,
                    end_month=2,
                    end_reason=EndReason.BREAKDOWN,
                    status=ExperienceStatus.SUBMITTED,
                    ratings=[ExperienceRating(theme=Theme.BEMANNING, rating=1)],
                )
            )
            db.session.commit()
            self.round_id = tender_round.id


@pytest.mark.parametrize("count", [2, 3])
def test_aggregates_are_suppressed_below_the_minimum_group_size(
    app: Flask, make: Any, package_validator: Draft4Validator, count: int
) -> None:
    world = SmallWorld(app, make, count)
    package = _package(app)
    assert_valid(package_validator, package)
    release = package["releases"][0]
    assert release["tender"]["procurementMethod"] == "direct"
    assert release["tender"]["lots"] == [{"id": "Norr", "title": "Norr"}]
    assert release["awards"][0]["relatedLots"] == ["Norr"]
    aggregates = release["kunskapsbanken"]["experienceAggregates"]
    staffing = next(t for t in aggregates["themeRatings"] if t["theme"] == "bemanning")
    others = [t for t in aggregates["themeRatings"] if t["theme"] != "bemanning"]
    assert all(t["suppressed"] and t["ratedCount"] is None for t in others)
    if count < app.config["MIN_GROUP_SIZE"]:
        assert aggregates["suppressed"] is True
        assert aggregates["experienceCount"] is None
        assert aggregates["breakdownShare"] is None
        assert staffing == {
            "theme": "bemanning",
            "ratedCount": None,
            "meanRating": None,
            "suppressed": True,
        }
    else:
        assert aggregates["experienceCount"] == 3
        assert aggregates["breakdownShare"] == round(1 / 3, 3)
        assert staffing["meanRating"] == 3.0 and staffing["ratedCount"] == 3
    assert "Hemlig berättelse" not in json.dumps(package, ensure_ascii=False)
    assert world.round_id == int(release["ocid"].rsplit("-", 1)[1])


def _token_for(
    app: Flask, make: Any, organisation: int | None = None, role: Role = Role.CASEWORKER
) -> str:
    user_id = make.user(role, organisation=organisation)
    with app.app_context():
        from kb.extensions import db

        created = create_token(
            db.session.get(User, user_id), "ocds", "read", None, datetime.now(UTC)
        )
        db.session.commit()
        return created.secret


def test_route_needs_a_token_and_serves_the_package(
    app: Flask, make: Any, package_validator: Draft4Validator
) -> None:
    world = SmallWorld(app, make, 3)
    client = app.test_client()
    url = f"/api/v1/ocds/tender-rounds/{world.round_id}"
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"]
    outsider = {"Authorization": f"Bearer {_token_for(app, make)}"}
    refused = client.get(url, headers=outsider)
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    headers = {"Authorization": f"Bearer {_token_for(app, make, world.organisation)}"}
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    package = response.get_json()
    assert_valid(package_validator, package)
    assert package["uri"] == "http://localhost" + url
    assert package["extensions"][0] == "http://localhost/api/v1/ocds/extension/extension.json"
    for role in Role:  # every role in the network reads the same package
        token = _token_for(app, make, world.organisation, role)
        again = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 200, role
        assert again.get_json()["releases"] == package["releases"]
    missing = client.get("/api/v1/ocds/tender-rounds/999999", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    extension = client.get(
        package["extensions"][0].removeprefix("http://localhost"), headers=headers
    )
    assert extension.status_code == 200
    assert extension.get_json()["schemas"] == ["release-schema.json"]
    assert client.get("/api/v1/ocds/extension/README.md", headers=headers).status_code == 404
    assert client.get("/api/v1/ocds/extension/extension.json").status_code == 401
    assert client.get("/api/v1/ocds/extension/extension.json", headers=outsider).status_code == 200


def test_cli_writes_one_file_per_round_or_one_package(
    app: Flask, make: Any, tmp_path: Path, package_validator: Draft4Validator
) -> None:
    first = SmallWorld(app, make, 3)
    second = SmallWorld(app, make, 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kb", "export", "ocds", str(tmp_path / "omgangar")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "omgangar").glob("*.json"))
    assert [f.name for f in files] == [
        f"tender-round-{first.round_id}.json",
        f"tender-round-{second.round_id}.json",
    ]
    for file in files:
        package = _load(file)
        assert_valid(package_validator, package)
        assert len(package["releases"]) == 1
    result = runner.invoke(
        args=["kb", "export", "ocds", str(tmp_path / "alla.json"), "--base-url", "https://kb.test"]
    )
    assert result.exit_code == 0, result.output
    package = _load(tmp_path / "alla.json")
    assert_valid(package_validator, package)
    assert len(package["releases"]) == 2
    assert package["uri"] == "https://kb.test/ocds/alla.json"
