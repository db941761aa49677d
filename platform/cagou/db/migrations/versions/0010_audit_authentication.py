"""Le journal d'audit authentifié par une clé que la base ne détient pas (cagou.audit.keys)

Revision ID: 0010_audit_authentication
Revises: 0009_audit_chain

Entries get a nonce, the fingerprint of their key and their HMAC; seals,
tombstones and purges get theirs (see :mod:`cagou.audit.keys`). Columns are
added in place, without recreating ``audit_entry`` (on SQLite, a recreated
table would lose its append-only triggers and its full-text table).

Entries already there cannot be authenticated after the fact without
vouching for whatever someone may have slipped in before: they keep no HMAC,
and the upgrade seals every one not sealed yet with the plain SHA-256 links
of revision 0009, so that from here on every entry the sealer meets must
carry a valid HMAC. Check the log (``cagou audit verify``) before upgrading.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cagou.audit.sealer import SEALER_LOCK, is_postgresql, seal_with
from cagou.db.migrate import MigrationRefusedError

revision = "0010_audit_authentication"
down_revision = "0009_audit_chain"
branch_labels = None
depends_on = None

KEY = sa.String(length=16)
MAC = sa.String(length=64)


def upgrade() -> None:
    op.add_column("audit_entry", sa.Column("nonce", sa.String(length=32), nullable=True))
    op.add_column("audit_entry", sa.Column("mac_key", KEY, nullable=True))
    op.add_column("audit_entry", sa.Column("mac", MAC, nullable=True))
    op.create_index("ix_audit_entry_nonce", "audit_entry", ["nonce"], unique=True)
    op.add_column("audit_seal", sa.Column("mac_key", KEY, nullable=True))
    for table in ("audit_tombstone", "audit_purge"):
        op.add_column(table, sa.Column("mac_key", KEY, nullable=True))
        op.add_column(table, sa.Column("mac", MAC, nullable=True))
    connection = op.get_bind()
    if is_postgresql(connection):
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SEALER_LOCK)))
    # The unkeyed links of 0009, for the entries written before this revision.
    seal_with(connection, None)


def downgrade() -> None:
    seals = sa.table("audit_seal", sa.column("mac_key", KEY))
    if op.get_bind().execute(sa.select(seals.c.mac_key).where(seals.c.mac_key.is_not(None)).limit(1)).first():
        raise MigrationRefusedError(
            "Le journal d'audit contient des entrées authentifiées : revenir avant la révision "
            "0010_audit_authentication effacerait leurs authentifiants et le rendrait invérifiable."
        )
    for table in ("audit_purge", "audit_tombstone"):
        op.drop_column(table, "mac")
        op.drop_column(table, "mac_key")
    op.drop_column("audit_seal", "mac_key")
    op.drop_index("ix_audit_entry_nonce", table_name="audit_entry")
    op.drop_column("audit_entry", "mac")
    op.drop_column("audit_entry", "mac_key")
    op.drop_column("audit_entry", "nonce")
