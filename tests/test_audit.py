from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.audit.context import Actor, acting_as
from kb.audit.models import AuditRecord
from kb.audit.recorder import AuditLogAppendOnlyError
from kb.auth.models import Role, User
from kb.organisations.models import Organisation, OrganisationKind
from kb.search.models import SearchOutbox
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from tests.conftest import post_form

ACTOR = Actor(None, "testkörning", None)


def records(db, entity: str) -> list[AuditRecord]:
    return list(
        db.session.scalars(
            select(AuditRecord).where(AuditRecord.entity == entity).order_by(AuditRecord.id)
        )
    )


def test_create_update_delete_each_write_one_record_with_before_and_after(db):
    with acting_as(ACTOR):
        organisation = Organisation(name="Påhittköping", kind=OrganisationKind.MUNICIPALITY)
        db.session.add(organisation)
        db.session.commit()
        organisation.name = "Påhittköpings kommun"
        db.session.commit()
        db.session.delete(organisation)
        db.session.commit()
    create, update, delete = records(db, "Organisation")
    assert (create.action, update.action, delete.action) == ("create", "update", "delete")
    assert create.entity_id == update.entity_id == delete.entity_id
    assert create.changes["name"] == [None, "Påhittköping"]
    assert create.changes["kind"] == [None, "kommun"]
    assert update.changes == {"name": ["Påhittköping", "Påhittköpings kommun"]}
    assert delete.changes["name"] == ["Påhittköpings kommun", None]
    assert {create.actor_label, update.actor_label} == {"testkörning"}


def test_audit_rows_roll_back_with_the_change(db):
    with acting_as(ACTOR):
        db.session.add(Organisation(name="Tillfällig", kind=OrganisationKind.MUNICIPALITY))
        db.session.flush()
        assert len(records(db, "Organisation")) == 1
        db.session.rollback()
    assert records(db, "Organisation") == []


def test_unchanged_assignment_writes_no_record(db):
    organisation = Organisation(name="Samma", kind=OrganisationKind.MUNICIPALITY)
    db.session.add(organisation)
    db.session.commit()
    organisation.name = "Samma"
    db.session.commit()
    assert [r.action for r in records(db, "Organisation")] == ["create"]


def test_password_hash_is_never_written_to_the_log(db):
    organisation = Organisation(name="Lösenordsby", kind=OrganisationKind.MUNICIPALITY)
    user = User(name="Test", email="t@test.invalid", organisation=organisation)
    user.set_password("hemligt-lösenord-1")
    user.set_roles({Role.CASEWORKER})
    db.session.add(user)
    db.session.commit()
    user.set_password("ett-annat-lösenord-2")
    db.session.commit()
    create, update = records(db, "User")
    assert create.changes["password_hash"] == [None, "[dolt]"]
    assert update.changes == {"password_hash": ["[dolt]", "[dolt]"]}
    assert "scrypt" not in str(create.changes) + str(update.changes)


def test_many_to_many_changes_are_recorded_as_id_lists(db):
    area_a = AgreementArea(name="Område A", category=AreaCategory.IFO)
    area_b = AgreementArea(name="Område B", category=AreaCategory.FO)
    supplier = Supplier(
        name="Fiktiva Hem AB", org_number="559900-0006", legal_form=LegalForm.AKTIEBOLAG
    )
    unit = Unit(supplier=supplier, name="Fiktivgården", agreement_areas=[area_a])
    db.session.add(unit)
    db.session.commit()
    unit.agreement_areas.append(area_b)
    db.session.commit()
    update = records(db, "Unit")[-1]
    assert update.changes["agreement_areas"] == [[str(area_a.id)], [str(area_a.id), str(area_b.id)]]


def test_audit_records_cannot_be_changed_through_the_orm(db):
    db.session.add(Organisation(name="Oföränderlig", kind=OrganisationKind.MUNICIPALITY))
    db.session.commit()
    record = records(db, "Organisation")[0]
    record.action = "delete"
    with pytest.raises(AuditLogAppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(records(db, "Organisation")[0])
    with pytest.raises(AuditLogAppendOnlyError):
        db.session.commit()


def test_searchable_changes_queue_outbox_rows_in_the_same_transaction(db):
    supplier = Supplier(
        name="Köade Hem AB", org_number="559900-0014", legal_form=LegalForm.AKTIEBOLAG
    )
    db.session.add(supplier)
    db.session.commit()
    db.session.delete(supplier)
    db.session.commit()
    rows = db.session.execute(
        select(SearchOutbox.entity, SearchOutbox.entity_id, SearchOutbox.operation).order_by(
            SearchOutbox.id
        )
    ).all()
    assert rows == [("supplier", supplier.id, "upsert"), ("supplier", supplier.id, "delete")]


def test_changes_made_in_a_request_are_attributed_to_the_signed_in_user(
    client, make, login, app_db
):
    admin_id = make.user(Role.ADMIN)
    login(make.email_of(admin_id))
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "Loggköping", "kind": "kommun", "org_number": "", "member_of_id": "0"},
    )
    assert response.status_code == 302
    with app_db() as session:
        record = session.scalar(
            select(AuditRecord)
            .where(AuditRecord.entity == "Organisation")
            .order_by(AuditRecord.id.desc())
        )
        admin = session.get(User, admin_id)
        assert record.actor_id == admin_id
        assert record.actor_label == admin.email
        assert record.organisation_id == admin.organisation_id
        assert record.changes["name"] == [None, "Loggköping"]


def test_admins_and_curators_browse_the_log_filtered_by_entity_and_user(client, make, login):
    intermediary = make.organisation("Förbundet", kind=OrganisationKind.INTERMEDIARY)
    admin_id = make.user(Role.ADMIN, organisation=intermediary)
    login(make.email_of(admin_id))
    post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "Filterby", "kind": "kommun", "member_of_id": "0"},
    )
    page = client.get(f"/logg/?entity=Organisation&actor={admin_id}").get_data(as_text=True)
    assert "Filterby" in page
    filtered_out = client.get("/logg/?entity=Supplier").get_data(as_text=True)
    assert "Filterby" not in filtered_out
    assert "Inga loggposter matchar filtret." in filtered_out
    post_form(client, "/logga-ut", {}, form_url="/")
    login(make.email_of(make.user(Role.CURATOR, organisation=intermediary)))
    assert "Filterby" in client.get("/logg/?entity=Organisation").get_data(as_text=True)


def test_curator_does_not_see_changes_made_in_another_intermediarys_network(client, make, login):
    ours = make.organisation("Vårt förbund", kind=OrganisationKind.INTERMEDIARY)
    theirs = make.organisation("Deras förbund", kind=OrganisationKind.INTERMEDIARY)
    login(make.email_of(make.user(Role.ADMIN, organisation=theirs)))
    post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "Främmandeby", "kind": "kommun", "member_of_id": "0"},
    )
    post_form(client, "/logga-ut", {}, form_url="/")
    login(make.email_of(make.user(Role.CURATOR, organisation=ours)))
    assert "Främmandeby" not in client.get("/logg/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.PROCURER])
def test_other_roles_get_403_on_the_log(client, make, login, role):
    login(make.email_of(make.user(role)))
    response = client.get("/logg/")
    assert response.status_code == 403
    assert "Du har inte behörighet" in response.get_data(as_text=True)


def test_log_survives_hostile_query_values(client, make, login):
    login(make.email_of(make.user(Role.ADMIN)))
    for query in (
        "?page=-5",
        "?page=abc",
        "?actor=x",
        "?entity_id=" + "9" * 500,
        "?page=99999999999",
    ):
        assert client.get("/logg/" + query).status_code == 200, query


def test_every_audited_model_has_a_swedish_label():
    from kb.audit.labels import ENTITY_LABELS
    from kb.database import Audited, Base

    audited = {m.class_.__name__ for m in Base.registry.mappers if issubclass(m.class_, Audited)}
    assert audited == set(ENTITY_LABELS)


def test_rendered_html_is_not_logged_but_its_markdown_is(db):
    organisation = Organisation(name="Textby", kind=OrganisationKind.MUNICIPALITY)
    from kb.experiences.models import Experience

    experience = Experience(
        organisation=organisation, worked_md="**Bra**", worked_html="<p><strong>Bra</strong></p>"
    )
    db.session.add(experience)
    db.session.commit()
    record = records(db, "Experience")[0]
    assert record.changes["worked_md"] == [None, "**Bra**"]
    assert "worked_html" not in record.changes
