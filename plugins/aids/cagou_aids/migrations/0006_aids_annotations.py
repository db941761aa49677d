"""Private annotations, eligibility rules and the triage's weights per procedure; annotation values; eligibility
snapshots kept with proposals.

Revision ID: 0006_aids_annotations
Revises: 0005_aids_workflows

``aids_instruction_rules`` is one row per procedure that has any (none
before this revision: every procedure then has no annotation, no rule and no
weight). ``aids_annotation_value`` holds the instructors' values, one per
application and annotation code. ``aids_eligibility_snapshot`` keeps, with
each proposal (a row of ``aids_application_transition``), the eligibility
suggestion at that moment.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_aids_annotations"
down_revision = "0005_aids_workflows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aids_instruction_rules",
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("triage", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["aids_procedure.id"], name=op.f("fk_aids_instruction_rules_procedure_id_aids_procedure")
        ),
        sa.PrimaryKeyConstraint("procedure_id", name=op.f("pk_aids_instruction_rules")),
    )
    op.create_table(
        "aids_annotation_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"],
            name=op.f("fk_aids_annotation_value_application_id_aids_application"),
        ),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_aids_annotation_value_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_annotation_value")),
        sa.UniqueConstraint("application_id", "code", name=op.f("uq_aids_annotation_value_application_id_code")),
    )  # fmt: skip
    op.create_table(
        "aids_eligibility_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("transition_id", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"],
            name=op.f("fk_aids_eligibility_snapshot_application_id_aids_application"),
        ),
        sa.ForeignKeyConstraint(
            ["transition_id"], ["aids_application_transition.id"],
            name=op.f("fk_aids_eligibility_snapshot_transition_id_aids_application_transition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_eligibility_snapshot")),
        sa.UniqueConstraint("transition_id", name=op.f("uq_aids_eligibility_snapshot_transition_id")),
    )  # fmt: skip
    op.create_index(
        "ix_aids_eligibility_snapshot_application", "aids_eligibility_snapshot", ["application_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_aids_eligibility_snapshot_application", table_name="aids_eligibility_snapshot")
    op.drop_table("aids_eligibility_snapshot")
    op.drop_table("aids_annotation_value")
    op.drop_table("aids_instruction_rules")
