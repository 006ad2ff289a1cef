"""Initial schema: every entity of DESIGN section 4.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22

Generated with ``flask db migrate`` and reviewed by hand:
- enums are VARCHAR columns with named CHECK constraints, identical on SQLite and PostgreSQL;
- every constraint and index is named by the MetaData naming convention in kb/database.py;
- tables are created parents first, so foreign keys resolve on both databases;
- audit_records gets triggers that refuse UPDATE and DELETE (append-only, DESIGN section 6);
- downgrade drops the tables in reverse order.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

AUDIT_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
        "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit records are append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
        "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()",
    ],
}


def upgrade():
    op.create_table(
        "agreement_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "ifo",
                "fo",
                "ao",
                name="area_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("cpv_codes", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_areas")),
        sa.UniqueConstraint("name", name=op.f("uq_agreement_areas_name")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "kommun",
                "intermediar",
                name="organisation_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("org_number", sa.String(length=11), nullable=True),
        sa.Column("member_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_of_id"],
            ["organisations.id"],
            name=op.f("fk_organisations_member_of_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
        sa.UniqueConstraint("org_number", name=op.f("uq_organisations_org_number")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisations_member_of_id"), ["member_of_id"], unique=False
        )

    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_outbox_available_at"), ["available_at"], unique=False
        )
        batch_op.create_index(
            "ix_search_outbox_entity", ["entity", "entity_id"], unique=False
        )

    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("org_number", sa.String(length=11), nullable=False),
        sa.Column(
            "legal_form",
            sa.Enum(
                "ab",
                "ek_for",
                "ideell",
                "stiftelse",
                "hb",
                "ef",
                "kommunal",
                name="legal_form",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("website_note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("org_number", name=op.f("uq_suppliers_org_number")),
    )
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suppliers_name"), ["name"], unique=False)

    op.create_table(
        "requirements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_requirements_owner_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirements")),
        sa.UniqueConstraint("code", name=op.f("uq_requirements_code")),
    )
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirements_owner_organisation_id"),
            ["owner_organisation_id"],
            unique=False,
        )

    op.create_table(
        "tender_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("agreement_area_id", sa.Integer(), nullable=False),
        sa.Column(
            "procurement_form",
            sa.Enum(
                "lou_ramavtal",
                "lov",
                "direktupphandling",
                "dis",
                "iop",
                name="procurement_form",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("lead_organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planering",
                "utkast",
                "annonserad",
                "utvardering",
                "tilldelad",
                "aktiv",
                "avslutad",
                name="tender_round_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("contract_start", sa.Date(), nullable=True),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("extension_until", sa.Date(), nullable=True),
        sa.Column("predecessor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "contract_start IS NULL OR contract_end IS NULL OR contract_start <= contract_end",
            name=op.f("ck_tender_rounds_contract_period"),
        ),
        sa.CheckConstraint(
            "extension_until IS NULL OR contract_end IS NULL OR extension_until >= contract_end",
            name=op.f("ck_tender_rounds_extension_after_end"),
        ),
        sa.CheckConstraint(
            "predecessor_id IS NULL OR predecessor_id <> id",
            name=op.f("ck_tender_rounds_not_own_predecessor"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_area_id"],
            ["agreement_areas.id"],
            name=op.f("fk_tender_rounds_agreement_area_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tender_rounds_lead_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["tender_rounds.id"],
            name=op.f("fk_tender_rounds_predecessor_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_rounds")),
        sa.UniqueConstraint(
            "predecessor_id", name=op.f("uq_tender_rounds_predecessor_id")
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_tender_rounds_reference")),
    )
    with op.batch_alter_table("tender_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tender_rounds_agreement_area_id"),
            ["agreement_area_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tender_rounds_lead_organisation_id"),
            ["lead_organisation_id"],
            unique=False,
        )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("age_min", sa.SmallInteger(), nullable=True),
        sa.Column("age_max", sa.SmallInteger(), nullable=True),
        sa.Column("target_profile", sa.Text(), nullable=True),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("protected_address", sa.Boolean(), nullable=False),
        sa.Column(
            "permit_status",
            sa.Enum(
                "beviljat",
                "ansokt",
                "ej_krav",
                "saknas",
                "aterkallat",
                name="permit_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("permit_reference", sa.String(length=50), nullable=True),
        sa.Column("last_ivo_inspection", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "age_min IS NULL OR age_max IS NULL OR age_min <= age_max",
            name=op.f("ck_units_age_range"),
        ),
        sa.CheckConstraint(
            "places IS NULL OR places >= 0", name=op.f("ck_units_places_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_units_supplier_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_units_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "audit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_records_actor_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_audit_records_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_records_actor", ["actor_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_records_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_records_entity", ["entity", "entity_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_records_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_records_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_round_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=True),
        sa.Column("lot", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "aktivt",
                "uteslutet",
                "uppsagt",
                "havt",
                "avslutat",
                name="contract_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_contracts_supplier_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tender_round_id"],
            ["tender_rounds.id"],
            name=op.f("fk_contracts_tender_round_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contracts_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contracts_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contracts_tender_round_id"),
            ["tender_round_id"],
            unique=False,
        )

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "theme",
            sa.Enum(
                "genomforandeplan",
                "bemanning",
                "kontaktperson",
                "samverkan",
                "avvikelsehantering",
                "halsa",
                "skola",
                "lokaler",
                "delaktighet",
                name="theme",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("agreement_area_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("statement_md", sa.Text(), nullable=False),
        sa.Column("statement_html", sa.Text(), nullable=False),
        sa.Column("recommendation_md", sa.Text(), nullable=False),
        sa.Column("recommendation_html", sa.Text(), nullable=False),
        sa.Column(
            "importance",
            sa.Enum(
                "lag",
                "medel",
                "hog",
                name="importance",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "foreslagen",
                "accepterad",
                "avvisad",
                "tillampad",
                "ersatt",
                name="finding_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column(
            "proposed_change",
            sa.Enum(
                "lagg_till_krav",
                "andra_krav",
                "ta_bort_krav",
                "marknadsfraga",
                "uppfoljningsfraga",
                name="proposed_change",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("target_requirement_id", sa.Integer(), nullable=True),
        sa.Column("proposed_text_md", sa.Text(), nullable=False),
        sa.Column("applied_in_round_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "proposed_change NOT IN ('andra_krav', 'ta_bort_krav') OR target_requirement_id IS NOT NULL",
            name=op.f("ck_findings_change_has_target"),
        ),
        sa.CheckConstraint(
            "status <> 'avvisad' OR rejection_reason IS NOT NULL",
            name=op.f("ck_findings_rejection_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_area_id"],
            ["agreement_areas.id"],
            name=op.f("fk_findings_agreement_area_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["applied_in_round_id"],
            ["tender_rounds.id"],
            name=op.f("fk_findings_applied_in_round_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_findings_author_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_findings_decided_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_findings_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["findings.id"],
            name=op.f("fk_findings_superseded_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_findings_supplier_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_requirement_id"],
            ["requirements.id"],
            name=op.f("fk_findings_target_requirement_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_findings_applied_in_round_id"),
            ["applied_in_round_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_findings_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_findings_status_area", ["status", "agreement_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_findings_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_findings_target_requirement_id"),
            ["target_requirement_id"],
            unique=False,
        )

    op.create_table(
        "requirement_agreement_areas",
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("agreement_area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_area_id"],
            ["agreement_areas.id"],
            name=op.f("fk_requirement_agreement_areas_agreement_area_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_requirement_agreement_areas_requirement_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "requirement_id",
            "agreement_area_id",
            name=op.f("pk_requirement_agreement_areas"),
        ),
    )
    with op.batch_alter_table("requirement_agreement_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_agreement_areas_agreement_area_id"),
            ["agreement_area_id"],
            unique=False,
        )

    op.create_table(
        "requirement_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text_md", sa.Text(), nullable=False),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "kvalificeringskrav",
                "skall_krav",
                "utvarderingskriterium",
                "avtalsvillkor",
                "marknadsfraga",
                "uppfoljningsfraga",
                name="requirement_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("weight", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "level",
            sa.Enum(
                "bas",
                "avancerad",
                "spjutspets",
                name="requirement_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("followup_method", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("frozen_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "number >= 1", name=op.f("ck_requirement_versions_number_positive")
        ),
        sa.CheckConstraint(
            "weight IS NULL OR (weight >= 0 AND weight <= 100)",
            name=op.f("ck_requirement_versions_weight_range"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_requirement_versions_created_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_requirement_versions_requirement_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_versions")),
        sa.UniqueConstraint(
            "requirement_id",
            "number",
            name=op.f("uq_requirement_versions_requirement_id_number"),
        ),
    )
    with op.batch_alter_table("requirement_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_versions_requirement_id"),
            ["requirement_id"],
            unique=False,
        )

    op.create_table(
        "supplier_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "ivo_tillstand",
                "kreditvardighet",
                "skatter_avgifter",
                "belastningsregister",
                "sanktionslistor",
                name="check_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "ok",
                "anmarkning",
                "underkand",
                name="check_result",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_supplier_checks_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_checks_supplier_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_supplier_checks_unit_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_checks")),
    )
    with op.batch_alter_table("supplier_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_checks_next_due"), ["next_due"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_checks_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_checks_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "tender_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_round_id", sa.Integer(), nullable=False),
        sa.Column("base_round_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "utkast",
                "faststalld",
                name="draft_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("finalised_at", sa.DateTime(), nullable=True),
        sa.Column("finalised_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_round_id"],
            ["tender_rounds.id"],
            name=op.f("fk_tender_drafts_base_round_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tender_drafts_created_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["finalised_by_id"],
            ["users.id"],
            name=op.f("fk_tender_drafts_finalised_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tender_round_id"],
            ["tender_rounds.id"],
            name=op.f("fk_tender_drafts_tender_round_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_drafts")),
        sa.UniqueConstraint(
            "tender_round_id", name=op.f("uq_tender_drafts_tender_round_id")
        ),
    )
    with op.batch_alter_table("tender_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tender_drafts_base_round_id"),
            ["base_round_id"],
            unique=False,
        )

    op.create_table(
        "tender_round_participants",
        sa.Column("tender_round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tender_round_participants_organisation_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tender_round_id"],
            ["tender_rounds.id"],
            name=op.f("fk_tender_round_participants_tender_round_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tender_round_id",
            "organisation_id",
            name=op.f("pk_tender_round_participants"),
        ),
    )
    with op.batch_alter_table("tender_round_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tender_round_participants_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "unit_agreement_areas",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("agreement_area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_area_id"],
            ["agreement_areas.id"],
            name=op.f("fk_unit_agreement_areas_agreement_area_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_unit_agreement_areas_unit_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "agreement_area_id", name=op.f("pk_unit_agreement_areas")
        ),
    )
    with op.batch_alter_table("unit_agreement_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unit_agreement_areas_agreement_area_id"),
            ["agreement_area_id"],
            unique=False,
        )

    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "caseworker",
                "coordinator",
                "curator",
                "procurer",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_roles_user_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    op.create_table(
        "contract_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "aktivt",
                "uteslutet",
                "uppsagt",
                "havt",
                "avslutat",
                name="contract_status_from",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "aktivt",
                "uteslutet",
                "uppsagt",
                "havt",
                "avslutat",
                name="contract_status_to",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision_reference", sa.String(length=50), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_contract_status_changes_changed_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_status_changes_contract_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_status_changes")),
    )
    with op.batch_alter_table("contract_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_status_changes_changed_by_id"),
            ["changed_by_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contract_status_changes_contract_id"),
            ["contract_id"],
            unique=False,
        )

    op.create_table(
        "contract_units",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_units_contract_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_contract_units_unit_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "contract_id", "unit_id", name=op.f("pk_contract_units")
        ),
    )
    with op.batch_alter_table("contract_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_units_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "deviations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "fakturering",
                "rapportering",
                "bemanning",
                "incident",
                "lex_sarah",
                "oplanerat_avbrott",
                "lokaler",
                "annat",
                name="deviation_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum(
                "lag",
                "medel",
                "hog",
                "allvarlig",
                name="severity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description_md", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "unit_id IS NOT NULL OR contract_id IS NOT NULL",
            name=op.f("ck_deviations_has_target"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_deviations_contract_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_deviations_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["users.id"],
            name=op.f("fk_deviations_reported_by_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_deviations_unit_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviations")),
    )
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deviations_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deviations_occurred_on"), ["occurred_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deviations_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deviations_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "experiences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("agreement_area_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("off_contract", sa.Boolean(), nullable=False),
        sa.Column(
            "off_contract_reason",
            sa.Enum(
                "kompetens",
                "geografi",
                "lokaler",
                "kapacitet",
                "kvarboende",
                "aldersgrans",
                "annat",
                name="off_contract_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "placement_kind",
            sa.Enum(
                "akut",
                "utredning",
                "behandling",
                "utslussning",
                "stod",
                name="placement_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "legal_basis",
            sa.Enum(
                "sol",
                "lvu",
                "lvm",
                "lss",
                name="legal_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "age_band",
            sa.Enum(
                "0-5",
                "6-12",
                "13-15",
                "16-17",
                "18-20",
                "21-29",
                "30-64",
                "65+",
                name="age_band",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("start_year", sa.SmallInteger(), nullable=True),
        sa.Column("start_month", sa.SmallInteger(), nullable=True),
        sa.Column("end_year", sa.SmallInteger(), nullable=True),
        sa.Column("end_month", sa.SmallInteger(), nullable=True),
        sa.Column(
            "end_reason",
            sa.Enum(
                "planerat",
                "sammanbrott",
                "flytt",
                "pagar",
                name="end_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("goal_attainment", sa.SmallInteger(), nullable=True),
        sa.Column("daily_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("extra_cost_claims", sa.Boolean(), nullable=False),
        sa.Column("invoicing_problems", sa.Boolean(), nullable=False),
        sa.Column(
            "would_place_again",
            sa.Enum(
                "ja",
                "nej",
                "osaker",
                name="would_place_again",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("worked_md", sa.Text(), nullable=False),
        sa.Column("not_worked_md", sa.Text(), nullable=False),
        sa.Column("advice_md", sa.Text(), nullable=False),
        sa.Column("worked_html", sa.Text(), nullable=False),
        sa.Column("not_worked_html", sa.Text(), nullable=False),
        sa.Column("advice_html", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "utkast",
                "inskickad",
                name="experience_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(end_year IS NULL) = (end_month IS NULL)",
            name=op.f("ck_experiences_end_year_and_month_together"),
        ),
        sa.CheckConstraint(
            "NOT (off_contract AND contract_id IS NOT NULL)",
            name=op.f("ck_experiences_off_contract_has_no_contract"),
        ),
        sa.CheckConstraint(
            "daily_price IS NULL OR daily_price >= 0",
            name=op.f("ck_experiences_daily_price"),
        ),
        sa.CheckConstraint(
            "end_month IS NULL OR end_month BETWEEN 1 AND 12",
            name=op.f("ck_experiences_end_month"),
        ),
        sa.CheckConstraint(
            "end_year IS NULL OR start_year IS NULL OR end_year * 12 + end_month >= start_year * 12 + start_month",
            name=op.f("ck_experiences_end_not_before_start"),
        ),
        sa.CheckConstraint(
            "goal_attainment IS NULL OR goal_attainment BETWEEN 1 AND 4",
            name=op.f("ck_experiences_goal_attainment"),
        ),
        sa.CheckConstraint(
            "start_month BETWEEN 1 AND 12", name=op.f("ck_experiences_start_month")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_area_id"],
            ["agreement_areas.id"],
            name=op.f("fk_experiences_agreement_area_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_experiences_author_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_experiences_contract_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_experiences_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_experiences_unit_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiences")),
    )
    with op.batch_alter_table("experiences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_experiences_agreement_area_id"),
            ["agreement_area_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_experiences_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_experiences_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            "ix_experiences_org_status", ["organisation_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_experiences_unit_status", ["unit_id", "status"], unique=False
        )

    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "lopande",
                "handelsestyrd",
                "sarskild",
                name="followup_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "scope",
            sa.Enum(
                "supplier",
                "unit",
                "contract",
                "tender_round",
                "agreement_area",
                name="followup_scope",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("tender_round_id", sa.Integer(), nullable=True),
        sa.Column("agreement_area_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("summary_md", sa.Text(), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "utan_anmarkning",
                "anmarkning",
                "allvarliga_brister",
                name="followup_result",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("actions_taken", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(scope = 'supplier' AND supplier_id IS NOT NULL) OR (scope = 'unit' AND unit_id IS NOT NULL) OR (scope = 'contract' AND contract_id IS NOT NULL) OR (scope = 'tender_round' AND tender_round_id IS NOT NULL) OR (scope = 'agreement_area' AND agreement_area_id IS NOT NULL)",
            name=op.f("ck_followups_scope_target"),
        ),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_start <= period_end",
            name=op.f("ck_followups_period"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_area_id"],
            ["agreement_areas.id"],
            name=op.f("fk_followups_agreement_area_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_followups_author_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_followups_contract_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_followups_organisation_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_followups_supplier_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tender_round_id"],
            ["tender_rounds.id"],
            name=op.f("fk_followups_tender_round_id"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_followups_unit_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followups_agreement_area_id"),
            ["agreement_area_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_followups_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followups_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_followups_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followups_tender_round_id"),
            ["tender_round_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_followups_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "requirement_version_findings",
        sa.Column("requirement_version_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_requirement_version_findings_finding_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_version_id"],
            ["requirement_versions.id"],
            name=op.f("fk_requirement_version_findings_requirement_version_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "requirement_version_id",
            "finding_id",
            name=op.f("pk_requirement_version_findings"),
        ),
    )
    with op.batch_alter_table("requirement_version_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_version_findings_finding_id"),
            ["finding_id"],
            unique=False,
        )

    op.create_table(
        "tender_draft_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column(
            "section",
            sa.Enum(
                "omfattning",
                "kvalificering",
                "tjanstekrav",
                "utvardering",
                "avtalsvillkor",
                "uppfoljningsplan",
                "marknadsfragor",
                name="draft_section",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("requirement_version_id", sa.Integer(), nullable=False),
        sa.Column("previous_version_id", sa.Integer(), nullable=True),
        sa.Column(
            "provenance",
            sa.Enum(
                "overford",
                "tillagd",
                "andrad",
                "borttagen",
                name="provenance",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "provenance = 'overford' OR finding_id IS NOT NULL",
            name=op.f("ck_tender_draft_items_change_has_finding"),
        ),
        sa.CheckConstraint(
            "position >= 0", name=op.f("ck_tender_draft_items_position_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["tender_drafts.id"],
            name=op.f("fk_tender_draft_items_draft_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_tender_draft_items_finding_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["previous_version_id"],
            ["requirement_versions.id"],
            name=op.f("fk_tender_draft_items_previous_version_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_version_id"],
            ["requirement_versions.id"],
            name=op.f("fk_tender_draft_items_requirement_version_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_draft_items")),
    )
    with op.batch_alter_table("tender_draft_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tender_draft_items_draft_section",
            ["draft_id", "section", "position"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tender_draft_items_finding_id"), ["finding_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tender_draft_items_requirement_version_id"),
            ["requirement_version_id"],
            unique=False,
        )

    op.create_table(
        "experience_ratings",
        sa.Column("experience_id", sa.Integer(), nullable=False),
        sa.Column(
            "theme",
            sa.Enum(
                "genomforandeplan",
                "bemanning",
                "kontaktperson",
                "samverkan",
                "avvikelsehantering",
                "halsa",
                "skola",
                "lokaler",
                "delaktighet",
                name="theme",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5",
            name=op.f("ck_experience_ratings_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["experience_id"],
            ["experiences.id"],
            name=op.f("fk_experience_ratings_experience_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "experience_id", "theme", name=op.f("pk_experience_ratings")
        ),
    )
    with op.batch_alter_table("experience_ratings", schema=None) as batch_op:
        batch_op.create_index("ix_experience_ratings_theme", ["theme"], unique=False)

    op.create_table(
        "finding_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("experience_id", sa.Integer(), nullable=True),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("deviation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN experience_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN followup_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN deviation_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_finding_evidence_exactly_one_source"),
        ),
        sa.ForeignKeyConstraint(
            ["deviation_id"],
            ["deviations.id"],
            name=op.f("fk_finding_evidence_deviation_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experience_id"],
            ["experiences.id"],
            name=op.f("fk_finding_evidence_experience_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_evidence_finding_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_finding_evidence_followup_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_evidence")),
        sa.UniqueConstraint(
            "finding_id",
            "deviation_id",
            name=op.f("uq_finding_evidence_finding_id_deviation_id"),
        ),
        sa.UniqueConstraint(
            "finding_id",
            "experience_id",
            name=op.f("uq_finding_evidence_finding_id_experience_id"),
        ),
        sa.UniqueConstraint(
            "finding_id",
            "followup_id",
            name=op.f("uq_finding_evidence_finding_id_followup_id"),
        ),
    )
    with op.batch_alter_table("finding_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finding_evidence_deviation_id"),
            ["deviation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_finding_evidence_experience_id"),
            ["experience_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_finding_evidence_followup_id"), ["followup_id"], unique=False
        )

    op.create_table(
        "followup_deviations",
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("deviation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deviation_id"],
            ["deviations.id"],
            name=op.f("fk_followup_deviations_deviation_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_deviations_followup_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "followup_id", "deviation_id", name=op.f("pk_followup_deviations")
        ),
    )
    with op.batch_alter_table("followup_deviations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_deviations_deviation_id"),
            ["deviation_id"],
            unique=False,
        )

    op.create_table(
        "followup_experiences",
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("experience_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experience_id"],
            ["experiences.id"],
            name=op.f("fk_followup_experiences_experience_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_experiences_followup_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "followup_id", "experience_id", name=op.f("pk_followup_experiences")
        ),
    )
    with op.batch_alter_table("followup_experiences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_experiences_experience_id"),
            ["experience_id"],
            unique=False,
        )

    _add_audit_triggers()


def _add_audit_triggers():
    for statement in AUDIT_APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records")
        op.execute("DROP FUNCTION IF EXISTS audit_records_append_only()")
    with op.batch_alter_table("followup_experiences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_experiences_experience_id"))

    op.drop_table("followup_experiences")
    with op.batch_alter_table("followup_deviations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_deviations_deviation_id"))

    op.drop_table("followup_deviations")
    with op.batch_alter_table("finding_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_evidence_followup_id"))
        batch_op.drop_index(batch_op.f("ix_finding_evidence_experience_id"))
        batch_op.drop_index(batch_op.f("ix_finding_evidence_deviation_id"))

    op.drop_table("finding_evidence")
    with op.batch_alter_table("experience_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_experience_ratings_theme")

    op.drop_table("experience_ratings")
    with op.batch_alter_table("tender_draft_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_draft_items_requirement_version_id"))
        batch_op.drop_index(batch_op.f("ix_tender_draft_items_finding_id"))
        batch_op.drop_index("ix_tender_draft_items_draft_section")

    op.drop_table("tender_draft_items")
    with op.batch_alter_table("requirement_version_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_version_findings_finding_id"))

    op.drop_table("requirement_version_findings")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followups_unit_id"))
        batch_op.drop_index(batch_op.f("ix_followups_tender_round_id"))
        batch_op.drop_index(batch_op.f("ix_followups_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_followups_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_followups_contract_id"))
        batch_op.drop_index(batch_op.f("ix_followups_agreement_area_id"))

    op.drop_table("followups")
    with op.batch_alter_table("experiences", schema=None) as batch_op:
        batch_op.drop_index("ix_experiences_unit_status")
        batch_op.drop_index("ix_experiences_org_status")
        batch_op.drop_index(batch_op.f("ix_experiences_contract_id"))
        batch_op.drop_index(batch_op.f("ix_experiences_author_id"))
        batch_op.drop_index(batch_op.f("ix_experiences_agreement_area_id"))

    op.drop_table("experiences")
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deviations_unit_id"))
        batch_op.drop_index(batch_op.f("ix_deviations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_deviations_occurred_on"))
        batch_op.drop_index(batch_op.f("ix_deviations_contract_id"))

    op.drop_table("deviations")
    with op.batch_alter_table("contract_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_units_unit_id"))

    op.drop_table("contract_units")
    with op.batch_alter_table("contract_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_status_changes_contract_id"))
        batch_op.drop_index(batch_op.f("ix_contract_status_changes_changed_by_id"))

    op.drop_table("contract_status_changes")
    op.drop_table("user_roles")
    with op.batch_alter_table("unit_agreement_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_agreement_areas_agreement_area_id"))

    op.drop_table("unit_agreement_areas")
    with op.batch_alter_table("tender_round_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_round_participants_organisation_id"))

    op.drop_table("tender_round_participants")
    with op.batch_alter_table("tender_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_drafts_base_round_id"))

    op.drop_table("tender_drafts")
    with op.batch_alter_table("supplier_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_checks_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_checks_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_checks_next_due"))

    op.drop_table("supplier_checks")
    with op.batch_alter_table("requirement_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_versions_requirement_id"))

    op.drop_table("requirement_versions")
    with op.batch_alter_table("requirement_agreement_areas", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_requirement_agreement_areas_agreement_area_id")
        )

    op.drop_table("requirement_agreement_areas")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_target_requirement_id"))
        batch_op.drop_index(batch_op.f("ix_findings_supplier_id"))
        batch_op.drop_index("ix_findings_status_area")
        batch_op.drop_index(batch_op.f("ix_findings_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_findings_applied_in_round_id"))

    op.drop_table("findings")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_tender_round_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_status"))

    op.drop_table("contracts")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_records_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_records_occurred_at"))
        batch_op.drop_index("ix_audit_records_entity")
        batch_op.drop_index(batch_op.f("ix_audit_records_batch_id"))
        batch_op.drop_index("ix_audit_records_actor")

    op.drop_table("audit_records")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organisation_id"))

    op.drop_table("users")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_units_name"))

    op.drop_table("units")
    with op.batch_alter_table("tender_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_rounds_lead_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_tender_rounds_agreement_area_id"))

    op.drop_table("tender_rounds")
    with op.batch_alter_table("requirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirements_owner_organisation_id"))

    op.drop_table("requirements")
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suppliers_name"))

    op.drop_table("suppliers")
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_search_outbox_entity")
        batch_op.drop_index(batch_op.f("ix_search_outbox_available_at"))

    op.drop_table("search_outbox")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_member_of_id"))

    op.drop_table("organisations")
    op.drop_table("agreement_areas")
