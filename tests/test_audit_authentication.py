"""The audit log against someone who can write to its database but does not hold its keys.

Whoever can write to the tables can compute the public digest of an entry;
only the application, with the ring of ``cagou.audit.keys`` kept outside the
database, can compute the HMACs. Each attack below goes around the
application as such a person would, and ``verify`` must name it.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from audit_tampering import command_runner, seals, tampering, write
from pyramid.exceptions import ConfigurationError

from cagou import configure
from cagou.audit.chain import entry_digest, link_hash
from cagou.audit.keys import PURPOSE, get_audit_keys, new_nonce
from cagou.audit.models import AuditEntry, AuditPurge, AuditSeal
from cagou.audit.sealer import seal
from cagou.audit.verify import verify
from cagou.db import get_engine, migrate
from cagou.secrets import keyring
from cagou.testing import is_postgresql, production, write_ini


def entry_row(registry, entry_id: int) -> dict:
    with get_engine(registry).connect() as connection:
        return dict(
            connection.execute(sa.select(AuditEntry.__table__).where(AuditEntry.id == entry_id)).mappings().one()
        )


def forged_copy(registry, entry_id: int, **changes) -> dict:
    """A row like entry ``entry_id``, changed, with a digest computed as anybody can, and a new number."""
    values = {**entry_row(registry, entry_id), **changes}
    del values["id"]
    values["xid"] = None
    values["digest"] = entry_digest(values)
    return values


@pytest.fixture
def ring_path(registry) -> Path:
    return Path(registry.settings["cagou.audit.keys"])


# -- what is written ------------------------------------------------------------------


def test_every_entry_carries_a_nonce_and_the_hmac_of_the_current_key(registry):
    ids = write(registry, 2)
    keys = get_audit_keys(registry)
    rows = [entry_row(registry, entry_id) for entry_id in ids]
    assert {row["mac_key"] for row in rows} == {keys.current}
    assert len({row["nonce"] for row in rows}) == 2
    assert all(len(row["mac"]) == 64 for row in rows)
    seal(registry)
    assert {key for key in get_keys_of_seals(registry)} == {keys.current}


def get_keys_of_seals(registry) -> list[str | None]:
    with get_engine(registry).connect() as connection:
        return list(connection.scalars(sa.select(AuditSeal.mac_key)))


# -- forged entries ---------------------------------------------------------------------


def test_an_entry_computed_with_the_public_digest_is_not_sealed_and_is_named(registry):
    ids = write(registry, 2)
    seal(registry)
    # The latest entry, rewritten as one granting everything, inserted as a new one: digest and all.
    forged = forged_copy(registry, ids[1], summary="Droits d'administration accordés à m.intrus.", nonce=new_nonce())
    with tampering(registry) as connection:
        forged_id = connection.scalar(sa.insert(AuditEntry).values(**forged).returning(AuditEntry.id))
    assert seal(registry) == 0  # the sealer leaves it out of the chain
    result = verify(registry)
    assert result.broken is not None and result.broken.entry_id == forged_id
    # Left out of the chain: awaiting sealing without a valid HMAC (SQLite), or, with no writing
    # transaction stamped (the trigger did not run for the intruder), outside the chain (PostgreSQL).
    assert "elle n'a pas été écrite par l'application" in result.broken.message


def test_an_entry_without_any_authentication_is_named(registry):
    ids = write(registry, 1)
    forged = forged_copy(registry, ids[0], summary="Rien.", nonce=None, mac=None, mac_key=None)
    with tampering(registry) as connection:
        forged_id = connection.scalar(sa.insert(AuditEntry).values(**forged).returning(AuditEntry.id))
    result = verify(registry)
    assert result.broken is not None and result.broken.entry_id == forged_id


def test_a_copy_of_a_real_entry_under_a_new_number_is_refused_then_named(registry):
    ids = write(registry, 2)
    seal(registry)
    copy = forged_copy(registry, ids[0])  # same nonce, same HMAC: all of it is authentic
    with pytest.raises(sa.exc.IntegrityError), tampering(registry) as connection:
        connection.execute(sa.insert(AuditEntry).values(**copy))
    with tampering(registry) as connection:
        # The database's owner can take the uniqueness away first.
        connection.execute(sa.text("DROP INDEX ix_audit_entry_nonce"))
        copy_id = connection.scalar(sa.insert(AuditEntry).values(**copy).returning(AuditEntry.id))
    try:
        result = verify(registry)
    finally:
        # PostgreSQL's schema outlives the test: the index must be back for the next ones.
        with tampering(registry) as connection:
            connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == copy_id))
            connection.execute(sa.text("CREATE UNIQUE INDEX ix_audit_entry_nonce ON audit_entry (nonce)"))
    assert result.broken is not None and result.broken.entry_id == copy_id
    assert result.broken.message == f"Entrée n° {copy_id} : copie de l'entrée n° {ids[0]} sous un autre numéro."


def test_an_entry_modified_with_its_digest_recomputed_is_named_by_its_hmac(registry):
    ids = write(registry, 2)
    seal(registry)
    with tampering(registry) as connection:
        forged = forged_copy(registry, ids[0], summary="Autre chose.")
        connection.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.id == ids[0])
            .values(summary=forged["summary"], digest=forged["digest"])
        )
        # The seal too, so that only the HMACs can tell.
        connection.execute(sa.update(AuditSeal).where(AuditSeal.position == 1).values(digest=forged["digest"]))
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 1
    assert "Chaînage rompu à la position 1" in result.broken.message


def test_an_entry_dated_back_is_named_beyond_the_tolerance(registry, clock):
    write(registry, 2)
    clock.advance(minutes=-30)  # within the tolerance (60 minutes): a long transaction commits late
    write(registry, 1)
    assert verify(registry).intact
    clock.advance(days=-90)
    late = write(registry, 1)
    result = verify(registry)
    assert result.broken is not None and result.broken.entry_id == late[0]
    assert "plus de 60 minutes avant l'entrée" in result.broken.message
    assert "elle a été antidatée" in result.broken.message


def test_a_forged_purge_record_is_named(registry):
    write(registry, 3)
    seal(registry)
    keys = get_audit_keys(registry)
    with tampering(registry) as connection:
        # A purge that would make the chain start at position 3, with a made-up HMAC.
        start_hash = connection.scalar(sa.select(AuditSeal.chain_hash).where(AuditSeal.position == 2))
        connection.execute(
            sa.insert(AuditPurge).values(
                id=1,
                purged_at=datetime.datetime.now(datetime.UTC),
                kept_from=3,
                previous_hash=start_hash,
                removed=2,
                mac_key=keys.current,
                mac="0" * 64,
            )
        )
    result = verify(registry)
    assert result.broken is not None
    assert result.broken.message.startswith("La purge n° 1 n'est pas authentique")


def test_a_purge_record_without_hmac_cannot_move_the_start_of_a_keyed_chain(registry):
    write(registry, 3)
    seal(registry)
    with tampering(registry) as connection:
        start_hash = connection.scalar(sa.select(AuditSeal.chain_hash).where(AuditSeal.position == 2))
        connection.execute(
            sa.insert(AuditPurge).values(
                id=1, purged_at=datetime.datetime.now(datetime.UTC), kept_from=3, previous_hash=start_hash, removed=2
            )
        )
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position < 3))
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 3
    assert "qui n'est pas authentifiée : des entrées ont été retirées sans purge" in result.broken.message


# -- keys: rotation, loss, the ring outside the database --------------------------------


@pytest.fixture
def run(tmp_path: Path, settings: dict, monkeypatch):
    return command_runner(write_ini(tmp_path / "test.ini", settings), monkeypatch)


def test_a_rotation_keeps_old_entries_verifiable_and_the_old_key_until_they_are_gone(run, registry, ring_path):
    write(registry, 2)
    old = keyring.read(ring_path, purpose=PURPOSE).fingerprints[0]
    added = run("audit", "keys", "add")
    assert added.exit_code == 0, added.output
    new = keyring.read(ring_path, purpose=PURPOSE).fingerprints[1]
    assert get_audit_keys(registry).current == old  # added, checking only, until it is used
    used = run("audit", "keys", "use", new)
    assert used.exit_code == 0, used.output
    assert get_audit_keys(registry).current == new  # a running process sees the rotation at once
    write(registry, 2)
    result = verify(registry)
    assert result.intact, result.broken
    listing = run("audit", "keys", "list")
    assert listing.exit_code == 0, listing.output
    assert f"clé {new} (authentifie et vérifie)" in listing.output
    # The two entries and the add-key one; the sealer, which ran after the rotation, chained them with the new key.
    assert f"clé {old} (vérifie seulement) : 3 entrée(s)\n" in listing.output
    refused = run("audit", "keys", "drop", old)
    assert refused.exit_code == 1
    assert "doit rester au trousseau" in refused.output
    assert old in keyring.read(ring_path, purpose=PURPOSE).fingerprints


def test_a_lost_key_is_named_and_can_be_declared_lost(run, registry, ring_path):
    write(registry, 2)
    seal(registry)
    old = get_audit_keys(registry).current
    assert run("audit", "keys", "use").exit_code == 0  # a new key authenticates from now on
    write(registry, 1)
    # The old key is lost: only the new one is left.
    ring = keyring.read(ring_path, purpose=PURPOSE)
    keyring.write(ring_path, ring.without(old), PURPOSE)
    broken = verify(registry)
    assert broken.broken is not None and broken.broken.position == 1
    assert f"clé {old}, absente du trousseau cagou.audit.keys" in broken.broken.message
    assert f"--lost-key {old}" in broken.broken.message
    declared = verify(registry, lost_keys=frozenset({old}))
    assert declared.intact, declared.broken
    assert declared.unverifiable > 0
    result = run("audit", "verify", "--lost-key", old)
    assert result.exit_code == 0, result.output
    assert "d'une clé déclarée perdue n'ont pas pu être vérifiés" in result.output
    assert run("audit", "keys", "list").exit_code == 1  # the log still needs a key the ring lacks


def test_a_wrong_ring_breaks_verification_at_the_first_entry(registry, ring_path):
    write(registry, 1)
    seal(registry)
    pending = write(registry, 1)
    ring_path.unlink()
    keyring.create(ring_path, PURPOSE)  # another instance's ring
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 1
    assert "absente du trousseau" in result.broken.message
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditSeal))
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id != pending[0]))
    result = verify(registry)  # an entry the sealer could not check names the key it lacks too
    assert result.broken is not None and result.broken.entry_id == pending[0]
    assert "en attente de scellement, est authentifié(e) par la clé" in result.broken.message


def test_production_refuses_to_start_without_the_audit_keys(settings, monkeypatch, tmp_path, run):
    monkeypatch.setenv("CAGOU_SECRET", "s" * 48)
    path = Path(settings["cagou.var"]) / "audit.keys"
    path.unlink()
    with pytest.raises(ConfigurationError, match=r"Trousseau de clés introuvable.*cagou\.audit\.keys"):
        configure(production(settings))
    assert not path.exists()
    created = run("audit", "keys", "create")  # without starting the platform
    assert created.exit_code == 0, created.output
    assert path.stat().st_mode & 0o777 == 0o600
    assert run("audit", "keys", "create").exit_code == 1  # never replaced by accident


# -- entries of before the keys ---------------------------------------------------------


@pytest.mark.skipif(is_postgresql(), reason="upgrades a database of its own, a SQLite file")
def test_entries_of_before_the_keys_stay_chained_and_nothing_unkeyed_may_follow(tmp_path, settings):
    from alembic import command

    registry = configure({**settings, "cagou.database_url": f"sqlite:///{tmp_path}/ancienne.sqlite"}).registry
    engine = get_engine(registry)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(registry, connection), "0009_audit_chain")
        for number in range(3):
            values = {
                "occurred_at": datetime.datetime(2026, 3, 1 + number, 10, tzinfo=datetime.UTC),
                **{name: None for name in ("actor_id", "actor_login", "actor_kind", "impersonator_id")},
                **{name: None for name in ("impersonator_login", "address", "user_agent", "request_id")},
                "module": "core",
                "action": "core:module:disable",
                "category": "action",
                "object_type": None,
                "object_id": None,
                "summary": f"Entrée {number}.",
                "changes": None,
            }
            values["digest"] = entry_digest(values)
            connection.execute(sa.table("audit_entry", *map(sa.column, values)).insert().values(**values))
    migrate.upgrade(registry)  # seals the three with the plain links of before
    write(registry, 2)
    result = verify(registry)
    assert result.intact, result.broken
    assert (result.checked, result.unauthenticated, result.keyed_from) == (5, 3, 4)
    # Something unkeyed appended after the keyed part: a plain link, as anybody can compute one.
    head = seals(registry)[-1]
    forged = forged_copy(registry, head[1], summary="Ajoutée.", nonce=None, mac=None, mac_key=None)
    with tampering(registry) as connection:
        forged_id = connection.scalar(sa.insert(AuditEntry).values(**forged).returning(AuditEntry.id))
        connection.execute(
            sa.insert(AuditSeal).values(
                position=6,
                entry_id=forged_id,
                digest=forged["digest"],
                chain_hash=link_hash(head[3], 6, forged_id, forged["digest"]),
            )
        )
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 6
    assert "chaînée sans clé, après la position 4" in result.broken.message
    engine.dispose()
