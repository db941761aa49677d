"""Groups of instructors, assignment, followers, and what each agent last saw of an application.

Revision ID: 0009_aids_assignment
Revises: 0008_aids_opinions

Every table is new: ``aids_instructor_group`` (a procedure's groups and their routing rule) with its members,
``aids_application_assignment`` (an application's group and assignee, one row per application; the
applications sent before this revision have none and are in no group until a designer saves the groups),
``aids_application_follower`` and ``aids_application_seen`` (per agent and application).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_aids_assignment"
down_revision = "0008_aids_opinions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aids_instructor_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("routing_values", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["aids_procedure.id"], name=op.f("fk_aids_instructor_group_procedure_id_aids_procedure")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_instructor_group")),
        sa.UniqueConstraint("procedure_id", "name", name=op.f("uq_aids_instructor_group_procedure_id_name")),
    )
    op.create_table(
        "aids_instructor_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_aids_instructor_group_member_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["aids_instructor_group.id"],
            name=op.f("fk_aids_instructor_group_member_group_id_aids_instructor_group"),
        ),
        sa.PrimaryKeyConstraint("group_id", "account_id", name=op.f("pk_aids_instructor_group_member")),
    )
    op.create_index("ix_aids_instructor_group_member_account", "aids_instructor_group_member", ["account_id"])
    op.create_table(
        "aids_application_assignment",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["aids_application.id"],
            name=op.f("fk_aids_application_assignment_application_id_aids_application"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["account.id"], name=op.f("fk_aids_application_assignment_assigned_by_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["account.id"], name=op.f("fk_aids_application_assignment_assignee_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["aids_instructor_group.id"],
            name=op.f("fk_aids_application_assignment_group_id_aids_instructor_group"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_aids_application_assignment")),
    )
    op.create_index("ix_aids_application_assignment_group", "aids_application_assignment", ["group_id"])
    op.create_index("ix_aids_application_assignment_assignee", "aids_application_assignment", ["assignee_id"])
    op.create_table(
        "aids_application_follower",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_aids_application_follower_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["aids_application.id"],
            name=op.f("fk_aids_application_follower_application_id_aids_application"),
        ),
        sa.PrimaryKeyConstraint("application_id", "account_id", name=op.f("pk_aids_application_follower")),
    )
    op.create_index("ix_aids_application_follower_account", "aids_application_follower", ["account_id"])
    op.create_table(
        "aids_application_seen",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_aids_application_seen_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["aids_application.id"],
            name=op.f("fk_aids_application_seen_application_id_aids_application"),
        ),
        sa.PrimaryKeyConstraint("application_id", "account_id", name=op.f("pk_aids_application_seen")),
    )


def downgrade() -> None:
    op.drop_table("aids_application_seen")
    op.drop_index("ix_aids_application_follower_account", "aids_application_follower")
    op.drop_table("aids_application_follower")
    op.drop_index("ix_aids_application_assignment_assignee", "aids_application_assignment")
    op.drop_index("ix_aids_application_assignment_group", "aids_application_assignment")
    op.drop_table("aids_application_assignment")
    op.drop_index("ix_aids_instructor_group_member_account", "aids_instructor_group_member")
    op.drop_table("aids_instructor_group_member")
    op.drop_table("aids_instructor_group")
