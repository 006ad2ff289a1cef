"""rating_totals equals a fresh aggregation of the ratings after every kind of write."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, text, update

from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.insight.models import RatingTotal
from kb.insight.rating_totals_ddl import FRESH_TOTALS
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import Contract, ProcurementForm, TenderRound
from kb.themes import Theme
from tests.factories import fictional_org_number

THEMES = list(Theme)


def stored(session) -> dict[tuple, tuple[int, int, int]]:
    rows = session.execute(select(RatingTotal)).scalars()
    return {
        (r.agreement_area_id, r.unit_id, r.contract_id, r.organisation_id, r.theme): (
            r.n,
            r.total,
            r.total_of_squares,
        )
        for r in rows
    }


def fresh(session) -> dict[tuple, tuple[int, int, int]]:
    rows = session.execute(text(FRESH_TOTALS)).all()
    return {tuple(row[:5]): (int(row[5]), int(row[6]), int(row[7])) for row in rows}


def assert_agree(session) -> None:
    session.flush()
    assert stored(session) == fresh(session)


@pytest.fixture
def world(db):
    """Two organisations, areas, units and contracts to move experiences between."""
    session = db.session
    organisations = [
        Organisation(name=f"Kommun {i}", kind=OrganisationKind.MUNICIPALITY) for i in range(2)
    ]
    areas = [AgreementArea(name=f"Område {i}", category=AreaCategory.IFO) for i in range(2)]
    supplier = Supplier(
        name="Påhittad AB", org_number=fictional_org_number(9001), legal_form=LegalForm.AKTIEBOLAG
    )
    session.add_all([*organisations, *areas, supplier])
    session.flush()
    units = [Unit(supplier_id=supplier.id, name=f"Gården {i}") for i in range(2)]
    rounds = [
        TenderRound(
            reference=f"Dnr {i}",
            title=f"Omgång {i}",
            agreement_area_id=areas[0].id,
            procurement_form=ProcurementForm.LOU_FRAMEWORK,
            lead_organisation_id=organisations[0].id,
            contract_start=date(2024, 1, 1),
        )
        for i in range(2)
    ]
    session.add_all([*units, *rounds])
    session.flush()
    contracts = [Contract(tender_round_id=r.id, supplier_id=supplier.id) for r in rounds]
    session.add_all(contracts)
    session.flush()
    return {
        "organisations": [o.id for o in organisations],
        "areas": [a.id for a in areas],
        "units": [u.id for u in units],
        "contracts": [c.id for c in contracts],
    }


def make_experience(session, world, *, submitted=True, ratings=None, **fields) -> Experience:
    experience = Experience(
        organisation_id=fields.pop("organisation_id", world["organisations"][0]),
        agreement_area_id=fields.pop("agreement_area_id", world["areas"][0]),
        unit_id=fields.pop("unit_id", world["units"][0]),
        contract_id=fields.pop("contract_id", world["contracts"][0]),
        status=ExperienceStatus.SUBMITTED if submitted else ExperienceStatus.DRAFT,
        **fields,
    )
    ratings = (
        {Theme.BEMANNING: 4, Theme.LOKALER: 2, Theme.HALSA: None} if ratings is None else ratings
    )
    experience.ratings = [ExperienceRating(theme=t, rating=v) for t, v in ratings.items()]
    session.add(experience)
    session.flush()
    return experience


def test_create_counts_submitted_experiences_only(db, world) -> None:
    session = db.session
    make_experience(session, world)
    make_experience(session, world, submitted=False)
    make_experience(session, world, ratings={Theme.SKOLA: None})
    assert_agree(session)
    key = (world["areas"][0], world["units"][0], world["contracts"][0], world["organisations"][0])
    totals = stored(session)
    assert totals[(*key, Theme.BEMANNING.value)] == (1, 4, 16)
    assert totals[(*key, "*")] == (1, 0, 0)
    assert (*key, Theme.HALSA.value) not in totals


def test_rating_changes_and_deletes(db, world) -> None:
    session = db.session
    experience = make_experience(session, world)
    for rating in experience.ratings:
        rating.rating = 5 if rating.rating is None else None
    assert_agree(session)
    experience.ratings = [r for r in experience.ratings if r.theme != Theme.HALSA]
    assert_agree(session)  # the last rated theme went: not rated any more
    session.execute(delete(ExperienceRating).where(ExperienceRating.experience_id == experience.id))
    assert_agree(session)
    assert stored(session) == {}


def test_draft_submitted_and_back(db, world) -> None:
    session = db.session
    experience = make_experience(session, world, submitted=False)
    assert stored(session) == {}
    experience.status = ExperienceStatus.SUBMITTED
    assert_agree(session)
    assert stored(session)
    experience.status = ExperienceStatus.DRAFT
    assert_agree(session)
    assert stored(session) == {}


@pytest.mark.parametrize(
    "field, index",
    [("contract_id", 1), ("unit_id", 1), ("agreement_area_id", 1), ("organisation_id", 1)],
)
def test_moving_an_experience(db, world, field: str, index: int) -> None:
    session = db.session
    experience = make_experience(session, world)
    make_experience(session, world)
    plural = {"agreement_area_id": "areas"}.get(field, field.removesuffix("_id") + "s")
    setattr(experience, field, world[plural][index])
    assert_agree(session)
    if field != "organisation_id":
        setattr(experience, field, None)
        assert_agree(session)


def test_deleting_experiences(db, world) -> None:
    session = db.session
    first = make_experience(session, world)
    second = make_experience(session, world)
    session.delete(first)  # the ORM deletes the ratings first
    assert_agree(session)
    session.execute(delete(Experience).where(Experience.id == second.id))  # cascade or orphans
    session.expunge_all()
    assert_agree(session)
    assert stored(session) == {}


def test_bulk_inserts_and_updates(db, world) -> None:
    session = db.session
    ids = list(range(1000, 1040))
    session.execute(
        insert(Experience),
        [
            {
                "id": i,
                "organisation_id": world["organisations"][i % 2],
                "agreement_area_id": world["areas"][i % 2] if i % 3 else None,
                "unit_id": world["units"][i % 2],
                "contract_id": world["contracts"][0] if i % 4 else None,
                "status": "inskickad" if i % 5 else "utkast",
            }
            for i in ids
        ],
    )
    session.execute(
        insert(ExperienceRating),
        [
            {"experience_id": i, "theme": theme.value, "rating": (i + n) % 6 or None}
            for i in ids
            for n, theme in enumerate(THEMES)
        ],
    )
    assert_agree(session)
    session.execute(
        update(ExperienceRating).where(ExperienceRating.experience_id < 1020).values(rating=3)
    )
    assert_agree(session)
    session.execute(update(Experience).where(Experience.id < 1030).values(status="utkast"))
    assert_agree(session)
    session.execute(
        update(Experience)
        .where(Experience.id >= 1030)
        .values(contract_id=world["contracts"][1], unit_id=None)
    )
    assert_agree(session)
    session.execute(delete(ExperienceRating).where(ExperienceRating.theme == Theme.SKOLA))
    assert_agree(session)


WRITE = st.one_of(
    st.tuples(st.just("create"), st.booleans(), st.lists(st.sampled_from(THEMES), unique=True)),
    st.tuples(
        st.just("rate"), st.integers(0, 50), st.sampled_from(THEMES), st.none() | st.integers(1, 5)
    ),
    st.tuples(st.just("unrate"), st.integers(0, 50), st.sampled_from(THEMES)),
    st.tuples(st.just("status"), st.integers(0, 50), st.booleans()),
    st.tuples(
        st.just("move"),
        st.integers(0, 50),
        st.sampled_from(["contract_id", "unit_id", "agreement_area_id", "organisation_id"]),
        st.integers(0, 2),
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)


def _apply(session, world, experiences: list[Experience], write: tuple) -> None:
    kind, *arguments = write
    if kind == "create":
        submitted, themes = arguments
        ratings = {theme: 1 + n % 5 for n, theme in enumerate(themes)}
        experiences.append(make_experience(session, world, submitted=submitted, ratings=ratings))
        return
    if not experiences:
        return
    experience = experiences[arguments[0] % len(experiences)]
    if kind == "rate":
        existing = [r for r in experience.ratings if r.theme == arguments[1]]
        if existing:
            existing[0].rating = arguments[2]
        else:
            experience.ratings.append(ExperienceRating(theme=arguments[1], rating=arguments[2]))
    elif kind == "unrate":
        experience.ratings = [r for r in experience.ratings if r.theme != arguments[1]]
    elif kind == "status":
        experience.status = ExperienceStatus.SUBMITTED if arguments[1] else ExperienceStatus.DRAFT
    elif kind == "move":
        field, choice = arguments[1], arguments[2]
        plural = {"agreement_area_id": "areas"}.get(field, field.removesuffix("_id") + "s")
        values = world[plural]
        if choice < len(values):
            setattr(experience, field, values[choice])
        elif field != "organisation_id":
            setattr(experience, field, None)
    else:
        session.delete(experience)
        experiences.remove(experience)
    session.flush()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(writes=st.lists(WRITE, max_size=25))
def test_random_write_sequences(db, world, writes: list[tuple]) -> None:
    session = db.session
    experiences: list[Experience] = []
    savepoint = session.begin_nested()
    try:
        for write in writes:
            _apply(session, world, experiences, write)
            assert_agree(session)
    finally:
        savepoint.rollback()
