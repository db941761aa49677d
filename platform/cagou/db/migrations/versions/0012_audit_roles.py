"""Le journal d'audit ne se purge plus que par la fonction audit_purge_delete (PostgreSQL)

Revision ID: 0012_audit_roles
Revises: 0011_encrypted_secrets

Until now the append-only trigger let a DELETE through whenever the session
had set ``cagou.audit_purge``, which any session may set. From here on
(PostgreSQL only) the trigger refuses UPDATE and TRUNCATE always, and DELETE
unless the current role owns the table *and* the transaction says it is
purging. The purge goes through ``audit_purge_delete()``, a SECURITY DEFINER
function owned by the migrating role (the schema owner): a role that may
execute it (``cagou db grant --purge``) deletes what a purge deletes and
nothing else; the application's role, which has neither the ownership nor
the DELETE privilege nor EXECUTE on the function, cannot delete at all.
SQLite keeps the triggers of 0009 (no roles there).
"""

from __future__ import annotations

from alembic import op

revision = "0012_audit_roles"
down_revision = "0011_encrypted_secrets"
branch_labels = None
depends_on = None

REFUSED = "Le journal d'audit est en ajout seul : modification ou suppression refusée."
#: The message as an SQL string literal's content.
REFUSED_SQL = REFUSED.replace("'", "''")

APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only the owner of the table (the purge function runs as the owner)
    -- may delete, and only when its transaction says it is purging: a
    -- session setting alone opens nothing, since any role can set it.
    IF TG_OP = 'DELETE'
        AND current_setting('cagou.audit_purge', true) = 'on'
        AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{REFUSED_SQL} (% sur %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$
"""  # noqa: S608 (REFUSED_SQL is this file's constant)

PURGE_DELETE = """
CREATE OR REPLACE FUNCTION audit_purge_delete(purge_id bigint, kept_from bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    -- The three deletes of a purge (cagou.audit.purge.delete_purged): the
    -- entries whose tombstone belongs to this purge, then the chain's prefix.
    PERFORM set_config('cagou.audit_purge', 'on', true);
    DELETE FROM audit_entry WHERE id IN (
        SELECT s.entry_id FROM audit_seal s JOIN audit_tombstone t ON t.position = s.position
        WHERE t.purge_id = audit_purge_delete.purge_id
    );
    DELETE FROM audit_tombstone WHERE position < audit_purge_delete.kept_from;
    DELETE FROM audit_seal WHERE position < audit_purge_delete.kept_from;
    PERFORM set_config('cagou.audit_purge', 'off', true);
END $$
"""

#: The 0009 definition, for the downgrade.
APPEND_ONLY_0009 = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('cagou.audit_purge', true) = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NULL END;
    END IF;
    RAISE EXCEPTION '{REFUSED_SQL} (% sur %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(APPEND_ONLY)
    op.execute(PURGE_DELETE)
    # Owned by the role that migrates (the schema owner); only the roles
    # that `cagou db grant --purge` names may call it.
    op.execute("REVOKE ALL ON FUNCTION audit_purge_delete(bigint, bigint) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION audit_purge_delete(bigint, bigint)")
    op.execute(APPEND_ONLY_0009)
