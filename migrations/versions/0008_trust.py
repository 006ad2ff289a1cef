"""Trust: sessions that can be ended, login limits per address, edit conflicts, one submission
per form, retention and recorded consistency checks (issue 9).

Revision ID: 0008_trust
Revises: 0007_rating_totals
Create Date: 2026-11-23

Written by hand.
- users.session_version: part of the id in the session cookie; raised on a password change
  or deactivation, which ends every session of that user.
- login_failures: failed sign-ins per client address, for the per-address limit.
- findings.version: the version a form was read at; an edit of an older one is a conflict.
- experiences.narrative_removed_at: set when the retention rule removed the narrative.
- form_submissions: a creating form's one-time key, so a double submit creates nothing twice.
- consistency_checks: the outcome of each search check and outbox check, for the auditor.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_trust"
down_revision = "0007_rating_totals"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not batch mode: rebuilding these tables on SQLite would drop the
    # audit and rating-total triggers that refer to them.
    op.add_column(
        "users", sa.Column("session_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "findings", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("experiences", sa.Column("narrative_removed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_ip_address_occurred_at",
        "login_failures",
        ["ip_address", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "form_submissions",
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("result_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_form_submissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_form_submissions")),
    )
    op.create_index(
        op.f("ix_form_submissions_user_id"), "form_submissions", ["user_id"], unique=False
    )
    op.create_table(
        "consistency_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consistency_checks")),
    )
    op.create_index(
        "ix_consistency_checks_kind_ran_at", "consistency_checks", ["kind", "ran_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_consistency_checks_kind_ran_at", table_name="consistency_checks")
    op.drop_table("consistency_checks")
    op.drop_index(op.f("ix_form_submissions_user_id"), table_name="form_submissions")
    op.drop_table("form_submissions")
    op.drop_index("ix_login_failures_ip_address_occurred_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_column("experiences", "narrative_removed_at")  # SQLite 3.35+ drops in place
    op.drop_column("findings", "version")
    op.drop_column("users", "session_version")
