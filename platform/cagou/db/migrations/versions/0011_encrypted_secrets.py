"""Les secrets des seconds facteurs et le corps des courriels chiffrés avec le trousseau de clés (cagou.secrets.keys)

Revision ID: 0011_encrypted_secrets
Revises: 0010_audit_authentication

The TOTP secrets were stored in clear; the column becomes text (a Fernet
token is about 140 characters) and every secret already there is encrypted
with the first key of the ring, in the upgrade's transaction; so are the
bodies of the outbox's mail, which carry password-reset and confirmation
links. The ring exists
by then: ``cagou db upgrade`` starts the platform first, which creates it in
development and refuses to start without it in production. Run by Alembic
without the platform (no ring at hand), the revision refuses rather than
leave secrets in clear. The downgrade decrypts them again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from cagou.db.migrate import MigrationRefusedError
from cagou.db.types import is_encrypted

revision = "0011_encrypted_secrets"
down_revision = "0010_audit_authentication"
branch_labels = None
depends_on = None

SECOND_FACTOR = sa.table("second_factor", sa.column("account_id", sa.Integer), sa.column("secret", sa.Text))
OUTBOX = sa.table(
    "outbox_mail", sa.column("id", sa.Integer), sa.column("body_text", sa.Text), sa.column("body_html", sa.Text)
)
#: Each table with its key and its columns that hold secrets.
ENCRYPTED = [
    (SECOND_FACTOR, SECOND_FACTOR.c.account_id, [SECOND_FACTOR.c.secret]),
    (OUTBOX, OUTBOX.c.id, [OUTBOX.c.body_text, OUTBOX.c.body_html]),
]


def secrets_service():  # type: ignore[no-untyped-def]
    registry = context.config.attributes.get("registry")
    if registry is None or "cagou.secrets" not in registry:
        raise MigrationRefusedError(
            "Cette migration chiffre les secrets des seconds facteurs avec le trousseau de clés "
            "(cagou.secrets.keys) : lancez-la avec « cagou db upgrade »."
        )
    return registry["cagou.secrets"]


def rewrite(transform) -> None:  # type: ignore[no-untyped-def]
    """Apply ``transform`` to every non-empty value of the encrypted columns."""
    connection = op.get_bind()
    for table, key, columns in ENCRYPTED:
        for column in columns:
            for row_id, value in connection.execute(sa.select(key, column).where(column.is_not(None))).all():
                new = transform(value)
                if new != value:
                    connection.execute(sa.update(table).where(key == row_id).values({column.name: new}))


def upgrade() -> None:
    secrets = secrets_service()
    with op.batch_alter_table("second_factor") as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False)
    rewrite(lambda secret: secret if is_encrypted(secret) else secrets.encrypt(secret))


def downgrade() -> None:
    secrets = secrets_service()
    rewrite(lambda secret: secrets.decrypt(secret) if is_encrypted(secret) else secret)
    with op.batch_alter_table("second_factor") as batch_op:
        batch_op.alter_column("secret", existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=False)
