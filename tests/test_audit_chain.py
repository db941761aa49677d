"""The audit log is complete, append-only and tamper-evident, on the database the suite runs on.

Entries are written through the service, sealed into the chain, then
verified; the tampering below goes around the application and its triggers
(as someone with the database's keys would), and ``verify`` must name the
first broken entry.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from audit_tampering import command_runner, seals, tampering, write

from cagou.audit.chain import DIGEST_FIELDS, GENESIS, entry_digest, link_hash
from cagou.audit.checkpoints import generate_key, load_private_key, load_public_key, public_key_path
from cagou.audit.keys import get_audit_keys, new_nonce
from cagou.audit.models import AuditEntry, AuditPurge, AuditSeal, AuditTombstone
from cagou.audit.purge import checkpoint, purge
from cagou.audit.sealer import link, seal
from cagou.audit.verify import verify
from cagou.db import get_engine, transaction_scope
from cagou.identity.models import AGENT
from cagou.identity.policy import act_as
from cagou.interfaces import IAccounts, IAuditLog
from cagou.testing import is_postgresql, login, write_ini
from cagou_sample import hooks as sample_hooks

PASSWORD = "un-mot-de-passe-solide"


#: SQLite's triggers refuse; on PostgreSQL the application's role lacks the privilege
#: before the trigger is reached (tests/test_audit_roles.py tests the trigger as the owner).
REFUSED = "ajout seul|permission denied"


# -- writing and sealing ------------------------------------------------------------


def test_entries_are_sealed_into_a_chain_in_order(registry):
    ids = write(registry, 3)
    assert seals(registry) == []  # writers never touch the chain
    assert seal(registry) == 3
    assert seal(registry) == 0
    chain = seals(registry)
    assert [(position, entry) for position, entry, _, _ in chain] == [(1, ids[0]), (2, ids[1]), (3, ids[2])]
    previous, keys = GENESIS, get_audit_keys(registry)
    for position, entry, digest, chain_hash in chain:
        # Keyed: nobody without the key can compute a link, so nobody can rebuild the chain.
        assert chain_hash == link(keys, keys.current, previous, position, entry, digest)
        assert chain_hash != link_hash(previous, position, entry, digest)
        previous = chain_hash
    result = verify(registry)
    assert result.intact, result.broken
    assert (result.checked, result.head.position, result.pending) == (3, 3, 0)


def test_the_digest_covers_the_content_as_it_reads_back(registry):
    with transaction_scope(registry) as request:
        entry = request.find_service(IAuditLog).record(
            "sample:note:edit",
            "Note « Été » renommée « Hiver ».",
            module="sample",
            object_type="note",
            object_id=7,
            changes={
                "before": {"title": "Été", 1: (2, 3)},
                "after": {"title": "Hiver", "when": datetime.date(2026, 3, 1)},
            },
        )
        entry_id = entry.id
    with transaction_scope(registry) as request:
        stored = request.db.get_one(AuditEntry, entry_id)
        assert stored.object_id == "7"
        assert stored.changes == {
            "before": {"title": "Été", "1": [2, 3]},
            "after": {"title": "Hiver", "when": "2026-03-01"},
        }
        assert stored.digest == entry_digest({name: getattr(stored, name) for name in DIGEST_FIELDS})
    assert verify(registry).intact


def test_new_entries_extend_the_chain_after_verification(registry):
    write(registry, 2)
    assert verify(registry).intact
    write(registry, 2)
    result = verify(registry)
    assert result.intact and result.head.position == 4


def test_an_empty_log_verifies(registry):
    result = verify(registry)
    assert result.intact
    assert (result.checked, result.head.position) == (0, 0)


# -- tampering ----------------------------------------------------------------------


def test_verify_names_a_modified_entry(registry):
    ids = write(registry, 3)
    seal(registry)
    with tampering(registry) as connection:
        connection.execute(sa.update(AuditEntry).where(AuditEntry.id == ids[1]).values(summary="Rien à signaler."))
    result = verify(registry)
    assert not result.intact
    assert result.broken.entry_id == ids[1]
    assert f"Entrée n° {ids[1]} (position 2) modifiée" in result.broken.message


def test_verify_names_an_entry_modified_with_its_digest(registry):
    ids = write(registry, 2)
    seal(registry)
    with tampering(registry) as connection:
        row = connection.execute(sa.select(AuditEntry.__table__).where(AuditEntry.id == ids[0])).mappings().one()
        forged = {**row, "summary": "Autre chose."}
        values = {"summary": forged["summary"], "digest": entry_digest(forged)}
        connection.execute(sa.update(AuditEntry).where(AuditEntry.id == ids[0]).values(**values))
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 1
    assert "modifiée" in result.broken.message


def test_verify_names_a_deleted_entry(registry):
    ids = write(registry, 3)
    seal(registry)
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == ids[2]))
    result = verify(registry)
    assert result.broken is not None
    assert result.broken.message == f"Entrée n° {ids[2]} (position 3) supprimée du journal sans purge."


def test_verify_names_a_link_removed_from_the_chain(registry):
    write(registry, 3)
    seal(registry)
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == seals(registry)[1][1]))
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position == 2))
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 2
    assert "Position 2 absente de la chaîne" in result.broken.message


def test_verify_names_entries_moved_in_the_chain(registry):
    ids = write(registry, 4)
    seal(registry)
    with tampering(registry) as connection:
        # Swap the entries sealed at positions 2 and 3, digests along.
        for position, entry in ((2, ids[2]), (3, ids[1])):
            digest = connection.scalar(sa.select(AuditEntry.digest).where(AuditEntry.id == entry))
            connection.execute(
                sa.update(AuditSeal).where(AuditSeal.position == position).values(entry_id=-position, digest=digest)
            )
        for position, entry in ((2, ids[2]), (3, ids[1])):
            connection.execute(sa.update(AuditSeal).where(AuditSeal.position == position).values(entry_id=entry))
    result = verify(registry)
    assert result.broken is not None and result.broken.position == 2
    assert "Chaînage rompu à la position 2" in result.broken.message


def test_verify_names_an_entry_inserted_outside_the_chain(registry):
    ids = write(registry, 3)
    seal(registry)
    with transaction_scope(registry) as request:
        row = request.db.get_one(AuditEntry, ids[1])
        values = {column.name: getattr(row, column.name) for column in AuditEntry.__table__.columns}
    # An old-looking entry slipped in: an unused identifier below the others, an old transaction,
    # a nonce of its own (the real entry's is taken) and the real entry's HMAC (nobody else can compute one).
    values.update(id=0, summary="Accès accordé à tout le monde.", xid=1 if is_postgresql() else None, nonce=new_nonce())
    values["digest"] = entry_digest(values)
    with tampering(registry) as connection:
        connection.execute(sa.insert(AuditEntry).values(**values))
    result = verify(registry)
    assert result.broken is not None
    assert result.broken.message == (
        "Entrée n° 0 insérée hors de la chaîne : elle n'a jamais été scellée, "
        "elle n'a pas été écrite par l'application."
    )


# -- append-only ------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET summary = 'effacé'",
        "DELETE FROM audit_entry",
        "UPDATE audit_seal SET chain_hash = 'x'",
        "DELETE FROM audit_seal",
    ],
)
def test_the_database_refuses_to_change_the_log(registry, statement):
    write(registry, 2)
    seal(registry)
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED), get_engine(registry).begin() as connection:
        connection.execute(sa.text(statement))
    assert verify(registry).intact


@pytest.mark.skipif(not is_postgresql(), reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_to_truncate_the_log(registry):
    write(registry, 1)
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED), get_engine(registry).begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_entry CASCADE"))


@pytest.mark.skipif(not is_postgresql(), reason="the writing transaction's id is PostgreSQL's")
def test_postgresql_stamps_the_writing_transaction_whatever_the_writer_says(registry):
    with get_engine(registry).begin() as connection:
        xid = connection.scalar(sa.text("SELECT pg_current_xact_id()::text::bigint"))
        values = {
            "occurred_at": datetime.datetime.now(datetime.UTC),
            "module": "core",
            "action": "core:test",
            "category": "action",
            "summary": "Écrit à la main.",
            "digest": "0" * 64,
            "xid": 1,
        }
        connection.execute(sa.insert(AuditEntry).values(**values))
        assert connection.scalar(sa.select(AuditEntry.xid)) == xid


# -- what is recorded ---------------------------------------------------------------


def test_refused_attempts_stay_although_the_transaction_aborts(registry):
    observed = sample_hooks.OBSERVED.setdefault(id(registry), [])
    observed.clear()
    with pytest.raises(RuntimeError), transaction_scope(registry) as request:
        audit = request.find_service(IAuditLog)
        audit.record("sample:note:create", "Note créée puis annulée.", module="sample")
        audit.record_now("sample:note:refused", "Création de note refusée.", module="sample")
        raise RuntimeError("la requête échoue")
    with transaction_scope(registry) as request:
        rows = request.db.execute(sa.select(AuditEntry.action, AuditEntry.category)).all()
    assert [tuple(row) for row in rows] == [("sample:note:refused", "refused")]
    assert [entry.action for entry in observed] == ["sample:note:refused"]
    assert observed[0].category == "refused"
    assert verify(registry).intact


def test_a_read_of_sensitive_data_is_recorded_as_such(registry):
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record_read(
            "sample:note:read", "Note n° 4 consultée.", module="sample", object_type="note", object_id="4"
        )
    with transaction_scope(registry) as request:
        entry = request.db.scalars(sa.select(AuditEntry)).one()
    assert (entry.category, entry.object_type, entry.object_id) == ("read", "note", "4")


def test_who_really_acted_is_recorded_when_someone_acts_as_another(registry):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        agent = accounts.create("l.nea", "Léa Néa", AGENT, password=PASSWORD)
        admin = accounts.create("c.dubois", "Claire Dubois", "admin", password=PASSWORD)
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        # Signed in as Léa, while Claire really acts (impersonation sets request.impersonator).
        act_as(request, accounts.by_login("l.nea"))
        request.impersonator = accounts.by_login("c.dubois")
        entry_id = request.find_service(IAuditLog).record("core:test", "Fait pour Léa.").id
    with transaction_scope(registry) as request:
        entry = request.db.get_one(AuditEntry, entry_id)
        assert (entry.actor_id, entry.actor_login, entry.actor_kind) == (agent.id, "l.nea", "agent")
        assert (entry.impersonator_id, entry.impersonator_login) == (admin.id, "c.dubois")
    with tampering(registry) as connection:
        connection.execute(sa.update(AuditEntry).where(AuditEntry.id == entry_id).values(impersonator_login=None))
    assert "modifiée" in verify(registry).broken.message


def test_a_failed_sign_in_and_a_refused_page_are_recorded(app, registry):
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("l.nea", "Léa Néa", AGENT, password=PASSWORD)
    page = app.get("/intranet/connexion")
    page.forms[0]["login"], page.forms[0]["password"] = "l.nea", "pas le bon"
    page.forms[0].submit(status=401)
    login(app, "l.nea", PASSWORD)
    app.get("/intranet/console/", status=403)
    with transaction_scope(registry) as request:
        rows = request.db.execute(
            sa.select(AuditEntry.action, AuditEntry.category, AuditEntry.actor_login, AuditEntry.summary)
            .where(AuditEntry.category == "refused")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("core:session:login-failed", "refused", None, "Échec de connexion pour l'identifiant « l.nea »."),
        (
            "core:access:refused",
            "refused",
            "l.nea",
            "Accès refusé à GET /intranet/console/ (permission « core:console:view » manquante).",
        ),
    ]
    assert verify(registry).intact


# -- retention --------------------------------------------------------------------


@pytest.fixture
def signing_key(registry) -> tuple[Path, Path]:
    """The signing key where the settings say, and the checkpoints folder."""
    path = Path(registry.settings["cagou.audit.signing_key"])
    generate_key(path)
    return path, Path(registry.settings["cagou.audit.checkpoints"])


def test_purging_old_entries_keeps_the_chain_verifiable(registry, clock, signing_key):
    key_path, folder = signing_key
    key = load_private_key(key_path)
    old_core = write(registry, 1, module="core")
    old_sample = write(registry, 3, module="sample")
    clock.advance(days=40)
    kept_core = write(registry, 1, module="core")
    recent_sample = write(registry, 1, module="sample")
    result = purge(registry, {"sample": 30, "core": 3650}, clock.now(), key, folder)
    assert result.removed == {"sample": 3}
    assert result.kept_from == 1  # the old core entry opens the kept part
    assert result.checkpoint is not None and result.checkpoint.parent == folder
    with transaction_scope(registry) as request:
        remaining = set(request.db.scalars(sa.select(AuditEntry.id)))
        tombstones = list(request.db.scalars(sa.select(AuditTombstone.position).order_by(AuditTombstone.position)))
    assert remaining == set(old_core + kept_core + recent_sample)
    assert tombstones == [2, 3, 4]
    checked = verify(registry, load_public_key(public_key_path(key_path)), folder)
    assert checked.intact, checked.broken
    assert (checked.checked, checked.purged, checked.checkpoints) == (3, 3, 1)
    assert set(old_sample).isdisjoint(remaining)


def test_a_purge_that_empties_the_start_of_the_chain_moves_its_start(registry, clock, signing_key):
    key_path, folder = signing_key
    write(registry, 3, module="sample")
    clock.advance(days=40)
    kept = write(registry, 2, module="sample")
    result = purge(registry, {"*": 30}, clock.now(), load_private_key(key_path), folder)
    assert result.removed == {"sample": 3}
    assert result.kept_from == 4
    assert [entry for _, entry, _, _ in seals(registry)] == kept
    write(registry, 1)
    checked = verify(registry, load_public_key(key_path), folder)
    assert checked.intact, checked.broken
    assert (checked.start.kept_from, checked.checked, checked.head.position) == (4, 3, 6)
    # Everything older than 30 days, the head's entry included: its seal stays, and the chain goes on from it.
    clock.advance(days=40)
    assert purge(registry, {"*": 30}, clock.now(), load_private_key(key_path), folder).kept_from == 6
    write(registry, 1)
    checked = verify(registry, load_public_key(key_path), folder)
    assert checked.intact, checked.broken
    assert (checked.start.kept_from, checked.purged, checked.checked) == (6, 1, 1)


def test_an_entry_removed_as_if_purged_is_caught_by_the_checkpoints(registry, clock, signing_key):
    key_path, folder = signing_key
    ids = write(registry, 3, module="core")
    clock.advance(days=40)
    write(registry, 1, module="sample")
    purge(registry, {"sample": 1}, clock.now(), load_private_key(key_path), folder)  # nothing old enough
    checkpoint(registry, load_private_key(key_path), folder)
    with tampering(registry) as connection:
        forged = {"purged_at": clock.now(), "kept_from": 1, "previous_hash": GENESIS, "removed": 1}
        purge_id = connection.scalar(sa.insert(AuditPurge).values(**forged).returning(AuditPurge.id))
        connection.execute(sa.insert(AuditTombstone).values(position=2, purge_id=purge_id))
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == ids[1]))
    # Nobody without the key can authenticate a tombstone: the database alone tells a forged purge…
    alone = verify(registry)
    assert alone.broken is not None and alone.broken.entry_id == ids[1]
    assert "sa trace de purge n'est pas authentique, ce n'est pas une purge" in alone.broken.message
    caught = verify(registry, load_public_key(key_path), folder)  # …and so do the signed checkpoints
    assert caught.broken is not None


# -- checkpoints --------------------------------------------------------------------


def rewrite_everything(registry, summary: str) -> None:
    """Change the first entry, then recompute every digest and link: the database alone agrees."""
    with tampering(registry) as connection:
        rows = connection.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.id)).mappings().all()
        previous = GENESIS
        for position, row in enumerate(rows, start=1):
            values = dict(row)
            if position == 1:
                values["summary"] = summary
            digest = entry_digest(values)
            connection.execute(
                sa.update(AuditEntry).where(AuditEntry.id == row["id"]).values(summary=values["summary"], digest=digest)
            )
            previous = link_hash(previous, position, row["id"], digest)
            connection.execute(
                sa.update(AuditSeal).where(AuditSeal.position == position).values(digest=digest, chain_hash=previous)
            )


def test_a_table_rewritten_as_a_whole_is_caught_by_the_signed_checkpoints(registry, signing_key):
    key_path, folder = signing_key
    write(registry, 3)
    path, position = checkpoint(registry, load_private_key(key_path), folder)
    assert position == 3
    document = json.loads(path.read_text())
    assert (document["position"], document["kind"]) == (3, "checkpoint")
    write(registry, 2)
    assert verify(registry, load_public_key(key_path), folder).intact
    rewrite_everything(registry, "Tout va bien.")
    # The links are HMACs: recomputed as plain SHA-256, the first one no longer holds.
    alone = verify(registry)
    assert alone.broken is not None and alone.broken.position == 1
    assert "Chaînage rompu à la position 1" in alone.broken.message


def test_a_checkpoint_signed_with_another_key_is_refused(registry, signing_key, tmp_path):
    key_path, folder = signing_key
    write(registry, 1)
    other = tmp_path / "autre.key"
    generate_key(other)
    checkpoint(registry, load_private_key(other), folder)
    caught = verify(registry, load_public_key(key_path), folder)
    assert caught.broken is not None and "signature invalide" in caught.broken.message


def test_a_chain_cut_after_its_last_checkpoint_is_caught(registry, signing_key):
    key_path, folder = signing_key
    write(registry, 3)
    checkpoint(registry, load_private_key(key_path), folder)
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position == 3))
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == seals(registry)[-1][1]))
    caught = verify(registry, load_public_key(key_path), folder)
    assert caught.broken is not None
    assert "La chaîne s'arrête à la position 2" in caught.broken.message


# -- the command line -------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, settings: dict, monkeypatch):
    return command_runner(
        write_ini(tmp_path / "test.ini", settings, audit_retention="sample:30 core:3650"), monkeypatch
    )


def test_the_audit_commands(run, registry, clock):
    ids = write(registry, 2, module="sample")  # dated March 2026 by the frozen clock: older than 30 days
    write(registry, 1, module="core")
    assert run("audit", "seal").output == "3 entrée(s) scellée(s).\n"
    without_key = run("audit", "checkpoint")
    assert without_key.exit_code == 1
    assert "cagou audit keygen" in without_key.output
    keygen = run("audit", "keygen")
    assert keygen.exit_code == 0, keygen.output
    assert run("audit", "keygen").exit_code == 1  # never replaced by accident
    signed = run("audit", "checkpoint")
    assert signed.exit_code == 0, signed.output
    assert "Point de contrôle signé à la position 3" in signed.output
    intact = run("audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "Journal d'audit intact : 4 entrée(s) vérifiée(s)" in intact.output  # the checkpoint's own entry too
    assert "1 point(s) de contrôle signé(s) concordent." in intact.output
    purged = run("audit", "purge")
    assert purged.exit_code == 0, purged.output
    assert "2 entrée(s) purgée(s) (sample : 2)." in purged.output
    assert run("audit", "verify").exit_code == 0
    with tampering(registry) as connection:
        remaining = connection.scalar(sa.select(sa.func.min(AuditEntry.id)).where(AuditEntry.id > ids[-1]))
        connection.execute(sa.update(AuditEntry).where(AuditEntry.id == remaining).values(summary="Changé."))
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert f"Journal d'audit ALTÉRÉ. Première anomalie : Entrée n° {remaining} " in broken.output


def test_verify_with_a_public_key_given(run, registry, tmp_path):
    write(registry, 1)
    assert run("audit", "keygen").exit_code == 0
    assert run("audit", "checkpoint").exit_code == 0
    public = public_key_path(Path(registry.settings["cagou.audit.signing_key"]))
    moved = tmp_path / "archive.pub"
    moved.write_bytes(public.read_bytes())
    Path(registry.settings["cagou.audit.signing_key"]).unlink()
    public.unlink()
    result = run("audit", "verify", "--public-key", str(moved))
    assert result.exit_code == 0, result.output
    assert "point(s) de contrôle signé(s) concordent" in result.output
    assert run("audit", "verify", "--public-key", str(tmp_path / "absente.pub")).exit_code == 1


def test_a_malformed_retention_stops_the_platform(settings):
    from pyramid.exceptions import ConfigurationError

    from cagou import configure

    with pytest.raises(ConfigurationError, match="règle de conservation invalide « sample:trente »"):
        configure({**settings, "cagou.audit.retention": "core:3650 sample:trente"})


# -- the migration ------------------------------------------------------------------


@pytest.mark.skipif(is_postgresql(), reason="upgrades a database of its own, a SQLite file")
def test_entries_written_before_the_chain_get_their_digest_and_verify(tmp_path, settings):
    from alembic import command

    from cagou import configure
    from cagou.db import migrate

    registry = configure({**settings, "cagou.database_url": f"sqlite:///{tmp_path}/ancienne.sqlite"}).registry
    with get_engine(registry).begin() as connection:
        command.upgrade(migrate.alembic_config(registry, connection), "0001_core")
        for number in range(3):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_entry (occurred_at, actor_login, module, action, summary, changes) "
                    "VALUES (:at, 'admin', 'core', 'core:module:disable', :summary, :changes)"
                ),
                {"at": f"2026-03-0{number + 1} 10:00:00.000000", "summary": f"Entrée {number}.", "changes": '{"a": 1}'},
            )
    migrate.upgrade(registry)
    result = verify(registry)
    assert result.intact, result.broken
    assert result.checked == 3
    with transaction_scope(registry) as request:
        assert set(request.db.scalars(sa.select(AuditEntry.category))) == {"action"}
    get_engine(registry).dispose()
