"""Workflows as data: the workflows and their versions, each procedure's link to one, the transitions taken.

Revision ID: 0005_aids_workflows
Revises: 0004_aids_confirmation

A procedure without a workflow (every one before this revision) keeps its
applications' two states, submitted and withdrawn. ``validation_levels`` is
how many distinct validators a proposal needs. ``aids_application_transition``
records who took which transition, for the four-eyes rule and the history;
``aids_application_event.public`` lets a workflow keep a history line for the
instructors (every earlier line was the applicant's to read).
``aids_document_request.from_state`` is where the applicant's answer brings
the application back (under a workflow, a request may be made from several
states; every earlier one was made from "deposee").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_aids_workflows"
down_revision = "0004_aids_confirmation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aids_workflow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_workflow")),
        sa.UniqueConstraint("code", name=op.f("uq_aids_workflow_code")),
    )
    op.create_table(
        "aids_workflow_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"], ["aids_workflow.id"], name=op.f("fk_aids_workflow_version_workflow_id_aids_workflow")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_workflow_version")),
        sa.UniqueConstraint("workflow_id", "number", name=op.f("uq_aids_workflow_version_workflow_id_number")),
    )
    with op.batch_alter_table("aids_procedure") as table:
        table.add_column(sa.Column("workflow_version_id", sa.Integer(), nullable=True))
        table.add_column(sa.Column("validation_levels", sa.Integer(), server_default="1", nullable=False))
        table.create_foreign_key(
            op.f("fk_aids_procedure_workflow_version_id_aids_workflow_version"), "aids_workflow_version",
            ["workflow_version_id"], ["id"],
        )  # fmt: skip
    with op.batch_alter_table("aids_application_event") as table:
        table.add_column(sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index("ix_aids_application_state", "aids_application", ["procedure_id", "state"])
    with op.batch_alter_table("aids_document_request") as table:
        table.add_column(sa.Column("from_state", sa.String(length=16), server_default="deposee", nullable=False))
    op.create_table(
        "aids_application_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("workflow_version_id", sa.Integer(), nullable=False),
        sa.Column("transition", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_aids_application_transition_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"],
            name=op.f("fk_aids_application_transition_application_id_aids_application"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_version_id"], ["aids_workflow_version.id"],
            name=op.f("fk_aids_application_transition_workflow_version_id_aids_workflow_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_application_transition")),
    )  # fmt: skip
    op.create_index(
        "ix_aids_application_transition_application", "aids_application_transition", ["application_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_aids_application_transition_application", table_name="aids_application_transition")
    op.drop_table("aids_application_transition")
    with op.batch_alter_table("aids_document_request") as table:
        table.drop_column("from_state")
    op.drop_index("ix_aids_application_state", table_name="aids_application")
    with op.batch_alter_table("aids_application_event") as table:
        table.drop_column("public")
    with op.batch_alter_table("aids_procedure") as table:
        table.drop_constraint(op.f("fk_aids_procedure_workflow_version_id_aids_workflow_version"), type_="foreignkey")
        table.drop_column("validation_levels")
        table.drop_column("workflow_version_id")
    op.drop_table("aids_workflow_version")
    op.drop_table("aids_workflow")
