"""Les secrets des seconds facteurs chiffrés avec le trousseau de clés (cagou.secrets.keys)

Revision ID: 0011_encrypted_secrets
Revises: 0009_audit_chain

The TOTP secrets were stored in clear; the column becomes text (a Fernet
token is about 140 characters) and every secret already there is encrypted
with the first key of the ring, in the upgrade's transaction. The ring exists
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
down_revision = "0009_audit_chain"
branch_labels = None
depends_on = None

SECOND_FACTOR = sa.table("second_factor", sa.column("account_id", sa.Integer), sa.column("secret", sa.Text))


def secrets_service():  # type: ignore[no-untyped-def]
    registry = context.config.attributes.get("registry")
    if registry is None or "cagou.secrets" not in registry:
        raise MigrationRefusedError(
            "Cette migration chiffre les secrets des seconds facteurs avec le trousseau de clés "
            "(cagou.secrets.keys) : lancez-la avec « cagou db upgrade »."
        )
    return registry["cagou.secrets"]


def rewrite(transform) -> None:  # type: ignore[no-untyped-def]
    connection = op.get_bind()
    for account_id, secret in connection.execute(sa.select(SECOND_FACTOR.c.account_id, SECOND_FACTOR.c.secret)):
        new = transform(secret)
        if new != secret:
            connection.execute(
                sa.update(SECOND_FACTOR).where(SECOND_FACTOR.c.account_id == account_id).values(secret=new)
            )


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
