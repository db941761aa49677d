"""The segmented walk of ``verify`` names what the single walk names.

Segments are forced on a short chain (``parallel_from=0``, three walkers):
thirty positions, cut before positions 11 and 21. Each tampering is placed
at the start of the chain, inside the first, middle and last segments, on
both sides of each boundary and at the head; the segmented walk must find the
same break (message, position, entry) and the same counts as the single walk.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from audit_tampering import command_runner, seals, tampering, write

from cagou.audit import verify as verify_module
from cagou.audit.chain import GENESIS, entry_digest, link_hash
from cagou.audit.checkpoints import generate_key, load_private_key, load_public_key
from cagou.audit.keys import PURPOSE, get_audit_keys, new_nonce
from cagou.audit.models import AuditEntry, AuditPurge, AuditSeal, AuditTombstone
from cagou.audit.purge import checkpoint, purge
from cagou.audit.sealer import seal
from cagou.audit.segments import Segment, enter_snapshot, plan, walk_segments
from cagou.audit.verify import Verification, verify
from cagou.db import get_engine
from cagou.secrets import keyring
from cagou.testing import is_postgresql, write_ini

COUNT = 30
WALKERS = 3
#: The chain's first position, inside the first segment, both sides of each boundary, the middle, the head.
POSITIONS = [1, 5, 10, 11, 15, 20, 21, 30]


def outcome(result: Verification) -> tuple:
    return (
        result.broken,
        result.checked,
        result.purged,
        result.pending,
        result.unauthenticated,
        result.unverifiable,
        result.keyed_from,
        result.latest,
        result.start,
        result.head,
        result.checkpoints,
    )


def both(registry, **options) -> Verification:
    """The single walk's result, once the segmented walk was found to give exactly the same."""
    single = verify(registry, walkers=1, **options)
    segmented = verify(registry, walkers=WALKERS, parallel_from=0, **options)
    assert outcome(segmented) == outcome(single)
    return single


def chain(registry, clock, backdated_at: int | None = None) -> list[int]:
    """``COUNT`` entries sealed in order, four by four at the same minute: ids by position (index 0: position 1)."""
    ids: list[int] = []
    for position in range(1, COUNT + 1):
        if position == backdated_at:
            clock.advance(days=-90)  # written by the application, with a clock set back
            ids += write(registry)
            clock.advance(days=90)
        else:
            ids += write(registry)
        if position % 4 == 0:
            clock.advance(minutes=1)
    seal(registry)
    assert [entry for _, entry, _, _ in seals(registry)] == ids
    return ids


def entry_values(connection: sa.Connection, entry_id: int) -> dict:
    return dict(connection.execute(sa.select(AuditEntry.__table__).where(AuditEntry.id == entry_id)).mappings().one())


# -- the plan ---------------------------------------------------------------------


def test_the_positions_are_cut_into_contiguous_segments():
    assert plan(1, 30, 3, parallel_from=0) == [Segment(1, 11), Segment(11, 21), Segment(21)]
    assert plan(9, 30, 2, parallel_from=0) == [Segment(9, 20), Segment(20)]
    assert plan(5, 6, 4, parallel_from=0) == [Segment(5, 6), Segment(6)]  # never an empty segment
    assert plan(1, 30, 3, parallel_from=30) == [Segment(1)]  # not above the threshold: one walk
    assert plan(1, 30, 1, parallel_from=0) == [Segment(1)]
    assert plan(1, 0, 3, parallel_from=0) == [Segment(1)]  # an empty chain


# -- an intact chain ------------------------------------------------------------------


def test_an_intact_chain_verifies_with_the_same_counts_segment_by_segment(registry, clock, monkeypatch):
    chain(registry, clock)
    walked: list[tuple[Segment, int]] = []
    original = verify_module.walk_segments

    def spying(connection, segments, walk_one, broken):
        outcomes = original(connection, segments, walk_one, broken)
        walked.extend((one.segment, one.tally.checked) for one in outcomes)
        return outcomes

    monkeypatch.setattr(verify_module, "walk_segments", spying)
    result = both(registry)
    assert result.intact, result.broken
    assert (result.checked, result.head.position, result.keyed_from) == (COUNT, COUNT, 1)
    assert walked == [(Segment(1), COUNT), (Segment(1, 11), 10), (Segment(11, 21), 10), (Segment(21), 10)]


def test_a_purged_chain_verifies_with_the_same_counts(registry, clock, tmp_path):
    key_path = tmp_path / "signing.key"
    generate_key(key_path)
    folder = tmp_path / "checkpoints"
    for number in range(24):
        write(registry, module="sample" if number % 3 == 1 else "core")
    clock.advance(days=40)
    write(registry, 6)
    result = purge(registry, {"sample": 30, "core": 3650}, clock.now(), load_private_key(key_path), folder)
    # Tombstones at positions 2, 5, 8 | 11, 14, 17, 20 | 23: in every segment.
    assert (result.removed, result.kept_from) == ({"sample": 8}, 1)
    checked = both(registry, public_key=load_public_key(key_path), folder=folder)
    assert checked.intact, checked.broken
    assert (checked.checked, checked.purged, checked.checkpoints) == (22, 8, 1)


def test_a_chain_whose_start_was_purged_verifies_with_the_same_counts(registry, clock, tmp_path):
    key_path = tmp_path / "signing.key"
    generate_key(key_path)
    folder = tmp_path / "checkpoints"
    write(registry, 8)
    clock.advance(days=40)
    write(registry, 22)
    assert purge(registry, {"*": 30}, clock.now(), load_private_key(key_path), folder).kept_from == 9
    result = both(registry, public_key=load_public_key(key_path), folder=folder)
    assert result.intact, result.broken
    assert (result.start.kept_from, result.checked, result.checkpoints) == (9, 22, 1)


# -- tampering, at every place --------------------------------------------------------


def modified(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        connection.execute(sa.update(AuditEntry).where(AuditEntry.id == ids[position - 1]).values(summary="Rien."))
    return f"Entrée n° {ids[position - 1]} (position {position}) modifiée"


def modified_with_its_digest(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        forged = {**entry_values(connection, ids[position - 1]), "summary": "Autre chose."}
        values = {"summary": forged["summary"], "digest": entry_digest(forged)}
        connection.execute(sa.update(AuditEntry).where(AuditEntry.id == ids[position - 1]).values(**values))
    return f"Entrée n° {ids[position - 1]} (position {position}) modifiée"


def modified_with_its_seal(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        forged = {**entry_values(connection, ids[position - 1]), "summary": "Autre chose."}
        digest = entry_digest(forged)
        connection.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.id == ids[position - 1])
            .values(summary="Autre chose.", digest=digest)
        )
        connection.execute(sa.update(AuditSeal).where(AuditSeal.position == position).values(digest=digest))
    return f"Chaînage rompu à la position {position} (entrée n° {ids[position - 1]})"


def deleted(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == ids[position - 1]))
    return f"Entrée n° {ids[position - 1]} (position {position}) supprimée du journal sans purge."


def removed_from_the_chain(registry, ids: list[int], position: int) -> str | None:
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == ids[position - 1]))
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position == position))
    if position == COUNT:
        return None  # the head removed: only a signed checkpoint can tell (below)
    return f"Position {position} absente de la chaîne : une entrée scellée a été supprimée"


def two_removed_across_a_boundary(registry, ids: list[int], position: int) -> str | None:
    """The link at ``position`` and the one after it."""
    if position == COUNT:
        return removed_from_the_chain(registry, ids, position)
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id.in_(ids[position - 1 : position + 1])))
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position.in_([position, position + 1])))
    return (
        f"Position {position} absente de la chaîne : une entrée scellée a été supprimée "
        f"(la chaîne reprend à la position {position + 2})."
    )


def moved(registry, ids: list[int], position: int) -> str:
    # Not the head's entry: SQLite's sealer goes on after the head's entry id, and would seal the other again.
    first = min(position, COUNT - 2)
    with tampering(registry) as connection:
        # Swap the entries sealed at two positions, digests along.
        swapped = ((first, ids[first]), (first + 1, ids[first - 1]))
        for place, entry in swapped:
            digest = connection.scalar(sa.select(AuditEntry.digest).where(AuditEntry.id == entry))
            connection.execute(
                sa.update(AuditSeal).where(AuditSeal.position == place).values(entry_id=-place, digest=digest)
            )
        for place, entry in swapped:
            connection.execute(sa.update(AuditSeal).where(AuditSeal.position == place).values(entry_id=entry))
    return f"Chaînage rompu à la position {first} "


def relinked(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        connection.execute(sa.update(AuditSeal).where(AuditSeal.position == position).values(chain_hash="0" * 64))
    return f"Chaînage rompu à la position {position} (entrée n° {ids[position - 1]})"


def unkeyed(registry, ids: list[int], position: int) -> str:
    """The link at ``position`` recomputed as a plain SHA-256, as anybody can."""
    chain_hashes = {place: chain_hash for place, _, _, chain_hash in seals(registry)}
    digest = next(digest for place, _, digest, _ in seals(registry) if place == position)
    plain = link_hash(chain_hashes.get(position - 1, GENESIS), position, ids[position - 1], digest)
    with tampering(registry) as connection:
        connection.execute(
            sa.update(AuditSeal).where(AuditSeal.position == position).values(mac_key=None, chain_hash=plain)
        )
    if position == 1:
        return "Chaînage rompu à la position 2 "  # the first link may be plain; the second no longer follows it
    return f"Position {position} (entrée n° {ids[position - 1]}) chaînée sans clé, après la position 1 "


def purged_by_hand(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        forged = {"purged_at": datetime.datetime.now(datetime.UTC), "kept_from": 1, "previous_hash": GENESIS}
        purge_id = connection.scalar(sa.insert(AuditPurge).values(**forged, removed=1).returning(AuditPurge.id))
        connection.execute(sa.insert(AuditTombstone).values(position=position, purge_id=purge_id))
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == ids[position - 1]))
    return (
        f"Entrée n° {ids[position - 1]} (position {position}) supprimée du journal : sa trace de purge "
        "n'est pas authentique"
    )


def inserted_outside_the_chain(registry, ids: list[int], position: int) -> str:
    with tampering(registry) as connection:
        values = entry_values(connection, ids[position - 1])
        values.update(id=0, summary="Accès accordé.", xid=1 if is_postgresql() else None, nonce=new_nonce())
        values["digest"] = entry_digest(values)
        connection.execute(sa.insert(AuditEntry).values(**values))
    return "Entrée n° 0 insérée hors de la chaîne"


TAMPERINGS: list[Callable[..., str | None]] = [
    modified,
    modified_with_its_digest,
    modified_with_its_seal,
    deleted,
    removed_from_the_chain,
    two_removed_across_a_boundary,
    moved,
    relinked,
    unkeyed,
    purged_by_hand,
    inserted_outside_the_chain,
]


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda tamper: tamper.__name__)
def test_the_segmented_walk_names_what_the_single_walk_names(registry, clock, tamper, position):
    ids = chain(registry, clock)
    expected = tamper(registry, ids, position)
    result = both(registry)
    if expected is None:
        assert result.intact, result.broken
    else:
        assert result.broken is not None and expected in result.broken.message, result.broken


@pytest.mark.parametrize("position", POSITIONS)
def test_a_backdated_entry_is_named_in_any_segment(registry, clock, position):
    ids = chain(registry, clock, backdated_at=position)
    result = both(registry)
    if position == 1:
        assert result.intact, result.broken  # nothing was sealed before it
        return
    # The latest instant before it is that of the first entry of the minute before it (ties keep the first).
    latest = ids[4 * ((position - 2) // 4)]
    assert result.broken is not None and result.broken.position == position
    assert f"Entrée n° {ids[position - 1]} (position {position}) datée du " in result.broken.message
    assert f"plus de 60 minutes avant l'entrée n° {latest} scellée avant elle" in result.broken.message


@pytest.mark.parametrize("position", [5, 15, 25])
def test_a_copy_under_a_new_number_is_named(registry, clock, position):
    ids = chain(registry, clock)
    with tampering(registry) as connection:
        copy = {**entry_values(connection, ids[position - 1]), "xid": None}
        del copy["id"]
        connection.execute(sa.text("DROP INDEX ix_audit_entry_nonce"))
        copy_id = connection.scalar(sa.insert(AuditEntry).values(**copy).returning(AuditEntry.id))
    try:
        result = both(registry)
    finally:
        # PostgreSQL's schema outlives the test: the index must be back for the next ones.
        with tampering(registry) as connection:
            connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == copy_id))
            connection.execute(sa.text("CREATE UNIQUE INDEX ix_audit_entry_nonce ON audit_entry (nonce)"))
    assert result.broken is not None
    assert (
        result.broken.message == f"Entrée n° {copy_id} : copie de l'entrée n° {ids[position - 1]} sous un autre numéro."
    )


# -- signed checkpoints ----------------------------------------------------------------


@pytest.fixture
def signing_key(registry) -> tuple[Path, Path]:
    path = Path(registry.settings["cagou.audit.signing_key"])
    generate_key(path)
    return path, Path(registry.settings["cagou.audit.checkpoints"])


def test_a_signed_checkpoint_inside_a_middle_segment_is_checked(registry, signing_key):
    key_path, folder = signing_key
    write(registry, 15)
    assert checkpoint(registry, load_private_key(key_path), folder)[1] == 15
    # The first fifteen links' key is then lost: only the checkpoint can tell that link 15 was changed.
    ring_path = Path(registry.settings["cagou.audit.keys"])
    old = get_audit_keys(registry).current
    keyring.write(ring_path, keyring.read(ring_path, purpose=PURPOSE).with_new_key(), PURPOSE)
    write(registry, 15)
    seal(registry)
    keyring.write(ring_path, keyring.read(ring_path, purpose=PURPOSE).without(old), PURPOSE)
    options = {"public_key": load_public_key(key_path), "folder": folder, "lost_keys": frozenset({old})}
    intact = both(registry, **options)
    assert intact.intact, intact.broken
    assert (intact.checkpoints, intact.unverifiable) == (1, 30)  # fifteen links and fifteen entries
    with tampering(registry) as connection:
        connection.execute(sa.update(AuditSeal).where(AuditSeal.position == 15).values(chain_hash="1" * 64))
    caught = both(registry, **options)
    assert caught.broken is not None and caught.broken.position == 15
    assert "La position 15 ne correspond pas au point de contrôle signé" in caught.broken.message


def test_a_chain_cut_before_its_last_checkpoint_is_caught(registry, signing_key):
    key_path, folder = signing_key
    head = write(registry, COUNT - 1)[-1]
    assert checkpoint(registry, load_private_key(key_path), folder)[1] == COUNT - 1
    with tampering(registry) as connection:
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position == COUNT - 1))
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == head))
    caught = both(registry, public_key=load_public_key(key_path), folder=folder)
    assert caught.broken is not None
    assert f"La chaîne s'arrête à la position {COUNT - 2}" in caught.broken.message


# -- the walkers ------------------------------------------------------------------------


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has no snapshot to share")
def test_every_walker_reads_the_snapshot_of_the_verification(registry):
    write(registry, 3)
    seal(registry)
    count = sa.select(sa.func.count()).select_from(AuditSeal)
    engine = get_engine(registry)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        assert connection.scalar(count) == 3  # the snapshot is taken here
        write(registry, 2)
        seal(registry)
        with engine.connect() as other:
            assert other.scalar(count) == 5
        segments = [Segment(1, 2), Segment(2, 3), Segment(3)]
        seen = walk_segments(connection, segments, lambda walker, _: walker.scalar(count), lambda _: False)
        assert seen == [3, 3, 3]


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has no snapshot to share")
def test_a_walker_takes_the_snapshot_it_is_given(registry):
    engine = get_engine(registry)
    with engine.connect() as connection, engine.connect() as walker:
        connection.execution_options(isolation_level="REPEATABLE READ")
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        enter_snapshot(walker, snapshot)
        assert walker.scalar(sa.text("SELECT current_setting('transaction_isolation')")) == "repeatable read"
    with pytest.raises(ValueError, match="Not a snapshot id"), engine.connect() as walker:
        enter_snapshot(walker, "x'; DROP TABLE audit_entry; --")


def test_a_walker_that_fails_fails_the_verification(registry):
    def walk_one(connection: sa.Connection, segment: Segment) -> int:
        if segment.start == 2:
            raise LookupError("introuvable")
        return segment.start

    with get_engine(registry).connect() as connection:
        with pytest.raises(RuntimeError, match="LookupError: introuvable"):
            walk_segments(connection, [Segment(1, 2), Segment(2, 3), Segment(3)], walk_one, lambda _: False)
        # A break stops the walk: what comes after it is neither waited for nor counted.
        assert walk_segments(connection, [Segment(1, 2), Segment(2, 3), Segment(3)], walk_one, lambda _: True) == [1]


def test_the_command_takes_a_number_of_walkers(registry, tmp_path, settings, monkeypatch):
    run = command_runner(write_ini(tmp_path / "test.ini", settings), monkeypatch)
    write(registry, 2)
    verified = run("audit", "verify", "--walkers", "2")
    assert verified.exit_code == 0, verified.output
    assert "Journal d'audit intact : 2 entrée(s) vérifiée(s)" in verified.output
    assert run("audit", "verify", "--walkers", "0").exit_code == 2  # refused as a usage error
