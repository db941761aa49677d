"""The core services: reference numbers, files, clock, settings, display of local facts."""

from __future__ import annotations

import datetime
import threading

import pytest
import sqlalchemy as sa
from pyramid.exceptions import ConfigurationError

from cagou import configure
from cagou.audit.models import AuditEntry
from cagou.clock import local
from cagou.db import savepoint, transaction_scope
from cagou.files.services import LocalFileStorage
from cagou.identity.models import Directorate
from cagou.identity.services import password_hasher, verify_password
from cagou.interfaces import IAccounts, IAuditLog, IClock, IFileStorage, IJobQueue, IMailer, IReferenceNumbers
from cagou.settings import DEVELOPMENT_SECRET, normalize
from cagou.testing import is_postgresql, production
from cagou.web.filters import francs


def next_reference(registry, prefix: str = "AIDE", fail: bool = False) -> str:
    with transaction_scope(registry) as request:
        reference = request.find_service(IReferenceNumbers).next(prefix)
        if fail:
            raise RuntimeError("abandon")
    return reference


def test_every_core_service_is_found_from_the_request(registry):
    with transaction_scope(registry) as request:
        for interface in (IAccounts, IAuditLog, IClock, IFileStorage, IJobQueue, IMailer, IReferenceNumbers):
            assert interface.providedBy(request.find_service(interface)), interface


def test_reference_numbers_follow_each_other_per_prefix_and_year(registry, clock):
    assert next_reference(registry) == "AIDE-2026-000001"
    assert next_reference(registry) == "AIDE-2026-000002"
    assert next_reference(registry, "ACTE") == "ACTE-2026-000001"
    clock.instant = datetime.datetime(2026, 12, 31, 13, 0, tzinfo=datetime.UTC)  # 1 January in Nouméa
    assert next_reference(registry) == "AIDE-2027-000001"


def test_an_aborted_transaction_gives_its_number_back(registry, clock):
    assert next_reference(registry, "ACTE") == "ACTE-2026-000001"
    with pytest.raises(RuntimeError):
        next_reference(registry, "ACTE", fail=True)
    assert next_reference(registry, "ACTE") == "ACTE-2026-000002"


def test_concurrent_transactions_never_share_a_number(registry, clock):
    numbers: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(10):
            reference = next_reference(registry, "RECU")
            with lock:
                numbers.append(reference)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == [f"RECU-2026-{n:06d}" for n in range(1, 41)]


def test_a_bad_prefix_is_refused(registry):
    with pytest.raises(ValueError, match="Préfixe de référence invalide"):
        next_reference(registry, "aide; drop table")


def test_files_are_kept_by_content(tmp_path):
    storage = LocalFileStorage(tmp_path)
    key = storage.store(b"%PDF-1.7 attestation", "attestation.pdf", "application/pdf")
    assert storage.store(b"%PDF-1.7 attestation", "copie.pdf", "application/pdf") == key
    with storage.open(key) as stored:
        assert stored.read() == b"%PDF-1.7 attestation"
    assert storage.exists(key)
    assert not storage.exists("../../etc/passwd")
    with pytest.raises(KeyError):
        storage.open("0" * 64)


def test_instants_are_shown_in_noumea_time(registry):
    instant = datetime.datetime(2026, 3, 23, 22, 30, tzinfo=datetime.UTC)
    assert local(registry, instant).strftime("%d/%m/%Y %H:%M") == "24/03/2026 09:30"


def test_amounts_in_cfp_francs():
    assert francs(150000) == "150\u202f000\u00a0F\u00a0CFP"
    assert francs(906_000_000) == "906\u202f000\u202f000\u00a0F\u00a0CFP"


def test_the_environment_overrides_the_ini_file():
    settings = normalize({"cagou.mail.delivery": "folder"}, environ={"CAGOU_MAIL_DELIVERY": "smtp"})
    assert settings["cagou.mail.delivery"] == "smtp"


def test_production_refuses_the_development_secret():
    with pytest.raises(ConfigurationError, match="CAGOU_SECRET"):
        normalize({"cagou.environment": "production"}, environ={})
    with pytest.raises(ConfigurationError, match="32 caractères"):
        normalize({"cagou.environment": "production", "cagou.secret": "court"}, environ={})
    settings = normalize({"cagou.environment": "production"}, environ={"CAGOU_SECRET": "s" * 48})
    assert settings["cagou.secret"] != DEVELOPMENT_SECRET


def test_the_production_configuration_refuses_to_start_with_a_default_secret(settings, monkeypatch):
    monkeypatch.delenv("CAGOU_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="CAGOU_SECRET"):
        configure(production(settings))


def test_passwords_cost_at_least_owasps_minimum_in_production():
    in_production = {"cagou.environment": "production"}
    secret = {"CAGOU_SECRET": "s" * 48}
    assert normalize(in_production, environ=secret)["cagou.passwords.memory_kib"] == 19456  # the default
    for cheap in (
        {"cagou.passwords.memory_kib": "8"},
        {"cagou.passwords.memory_kib": "65536", "cagou.passwords.time_cost": "1"},
    ):
        with pytest.raises(ConfigurationError, match="recommandés par l'OWASP"):
            normalize({**in_production, **cheap}, environ=secret)
    with pytest.raises(ConfigurationError, match="au moins 8"):
        normalize({"cagou.passwords.memory_kib": "4"}, environ={})


def test_a_password_is_rehashed_at_sign_in_when_the_costs_change(registry):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.create("costs", "Paul Coûts", "agent", password="un-mot-de-passe-solide-2026")
        cheap = account.password_hash
    assert "$m=8,t=1," in cheap
    registry["cagou.password_hasher"] = password_hasher(
        {"cagou.passwords.memory_kib": 16, "cagou.passwords.time_cost": 2}
    )
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login("costs")
        assert not verify_password(registry, account, "pas le bon")
        assert account.password_hash == cheap  # a wrong password changes nothing
        assert verify_password(registry, account, "un-mot-de-passe-solide-2026")
    with transaction_scope(registry) as request:
        rehashed = request.find_service(IAccounts).by_login("costs").password_hash
    assert "$m=16,t=2," in rehashed


@pytest.mark.skipif(is_postgresql(), reason="checks the SQLite pragmas")
def test_sqlite_runs_in_wal_mode(registry):
    import sqlalchemy as sa

    from cagou.db import get_engine

    with get_engine(registry).connect() as connection:
        assert connection.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(sa.text("PRAGMA foreign_keys")) == 1


def test_a_savepoint_undoes_what_failed_inside_it_and_the_transaction_goes_on(registry):
    """``cagou.db.savepoint``: the refused reference is undone, the audit entry before it commits (SQLite too)."""
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record("core:essai", "Avant le point de sauvegarde.")
        with pytest.raises(sa.exc.IntegrityError), savepoint(request.db):
            request.db.add(Directorate(code="DRH", name="Ressources humaines"))
            request.db.add(Directorate(code="DRH", name="Doublon"))
            request.db.flush()
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(Directorate.code)).all() == []
        summaries = request.db.scalars(sa.select(AuditEntry.summary).where(AuditEntry.action == "core:essai")).all()
        assert summaries == ["Avant le point de sauvegarde."]
