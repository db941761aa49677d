"""Amounts, the budget envelope and the acts: what a proposal grants, the ceiling, the arrêtés and their lines.

Revision ID: 0007_aids_acts
Revises: 0006_aids_annotations

``aids_application.amount`` and ``aids_application_transition.amount`` hold a
proposal's amount (F CFP). ``aids_envelope`` is a procedure's ceiling;
``aids_act_template`` the texts its designer writes for its acts. ``aids_act``
and ``aids_act_line`` are the acts and their beneficiaries, numbered by
``aids_act_counter``; the partial unique index ``uq_aids_act_line_active``
keeps an application in one act not withdrawn at most.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_aids_acts"
down_revision = "0006_aids_annotations"
branch_labels = None
depends_on = None

PROCEDURE_FK = "aids_procedure.id"


def upgrade() -> None:
    with op.batch_alter_table("aids_application") as table:
        table.add_column(sa.Column("amount", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("aids_application_transition") as table:
        table.add_column(sa.Column("amount", sa.BigInteger(), nullable=True))
    op.create_table(
        "aids_envelope",
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"], [PROCEDURE_FK], name=op.f("fk_aids_envelope_procedure_id_aids_procedure")
        ),
        sa.PrimaryKeyConstraint("procedure_id", name=op.f("pk_aids_envelope")),
    )
    op.create_table(
        "aids_act_template",
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("visas", sa.Text(), nullable=False),
        sa.Column("considerants", sa.Text(), nullable=False),
        sa.Column("articles", sa.Text(), nullable=False),
        sa.Column("imputation", sa.String(length=200), nullable=False),
        sa.Column("signatory", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"], [PROCEDURE_FK], name=op.f("fk_aids_act_template_procedure_id_aids_procedure")
        ),
        sa.PrimaryKeyConstraint("procedure_id", name=op.f("pk_aids_act_template")),
    )
    op.create_table(
        "aids_act_counter",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_aids_act_counter")),
    )
    op.create_table(
        "aids_act",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("visas", sa.Text(), nullable=False),
        sa.Column("considerants", sa.Text(), nullable=False),
        sa.Column("articles", sa.Text(), nullable=False),
        sa.Column("imputation", sa.String(length=200), nullable=False),
        sa.Column("signatory", sa.String(length=300), nullable=False),
        sa.Column("refers_to_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_key", sa.String(length=255), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["procedure_id"], [PROCEDURE_FK], name=op.f("fk_aids_act_procedure_id_aids_procedure")),
        sa.ForeignKeyConstraint(["refers_to_id"], ["aids_act.id"], name=op.f("fk_aids_act_refers_to_id_aids_act")),
        sa.ForeignKeyConstraint(["created_by_id"], ["account.id"], name=op.f("fk_aids_act_created_by_id_account")),
        sa.ForeignKeyConstraint(["signed_by_id"], ["account.id"], name=op.f("fk_aids_act_signed_by_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_act")),
        sa.UniqueConstraint("kind", "year", "number", name=op.f("uq_aids_act_kind_year_number")),
    )
    op.create_index("ix_aids_act_procedure", "aids_act", ["procedure_id", "id"])
    op.create_table(
        "aids_act_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("act_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(["act_id"], ["aids_act.id"], name=op.f("fk_aids_act_line_act_id_aids_act")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"], name=op.f("fk_aids_act_line_application_id_aids_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_act_line")),
    )
    op.create_index("ix_aids_act_line_act", "aids_act_line", ["act_id", "id"])
    op.create_index("uq_aids_act_line_active", "aids_act_line", ["application_id"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_aids_act_line_active", table_name="aids_act_line")
    op.drop_index("ix_aids_act_line_act", table_name="aids_act_line")
    op.drop_table("aids_act_line")
    op.drop_index("ix_aids_act_procedure", table_name="aids_act")
    op.drop_table("aids_act")
    op.drop_table("aids_act_counter")
    op.drop_table("aids_act_template")
    op.drop_table("aids_envelope")
    with op.batch_alter_table("aids_application_transition") as table:
        table.drop_column("amount")
    with op.batch_alter_table("aids_application") as table:
        table.drop_column("amount")
