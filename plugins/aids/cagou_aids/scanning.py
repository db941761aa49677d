"""The virus scan of the files applicants send: quarantine until clean, infected files removed.

Without a scanner (``cagou.clamd`` empty) a file is stored "non analysé" and
served as before. With one, a file is stored in quarantine, then scanned at
once; it is marked clean only on clamd's clean answer. Infected, its bytes
are removed from storage, it is never served, and the audit log says so.
When clamd cannot answer the file stays in quarantine (the upload is kept)
and the ``aids.files.scan`` job asks again every five minutes, until it is
found clean or infected.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import (
    IAuditLog,
    IClock,
    IFileStorage,
    IMailer,
    IVirusScanner,
    ScanResult,
    ScanStatus,
    transaction_scope,
)
from cagou_aids.models import CLEAN, INFECTED, NOT_SCANNED, QUARANTINED, Application, StoredFile

log = logging.getLogger(__name__)

#: Files the job scans at most in one run; the next run goes on.
BATCH = 200


def first_state(request: Request) -> str:
    """The state of a file just stored: in quarantine when a scanner will look at it."""
    return QUARANTINED if request.find_service(IVirusScanner).configured else NOT_SCANNED


def scan(request: Request, stored: StoredFile) -> ScanResult:
    """Scan a quarantined file, and record what the scanner said (the caller decides whether to keep it).

    Infected: every file stored under the same bytes is marked infected too
    (the same bytes, the same virus), the bytes are removed, and the audit log
    says which file, of which draft or application, and what was found.
    """
    storage = request.find_service(IFileStorage)
    try:
        with storage.open(stored.storage_key) as data:
            result: ScanResult = request.find_service(IVirusScanner).scan(data)
    except KeyError:
        result = ScanResult(ScanStatus.UNAVAILABLE, reason="fichier absent du stockage")
    now = request.find_service(IClock).now()
    if result.status is ScanStatus.CLEAN:
        stored.scan_state, stored.scanned_at = CLEAN, now
    elif result.status is ScanStatus.INFECTED:
        request.db.execute(
            sa.update(StoredFile).where(StoredFile.storage_key == stored.storage_key)
            .values(scan_state=INFECTED, scan_signature=result.signature[:200], scanned_at=now)
        )  # fmt: skip
        storage.delete(stored.storage_key)
        where = f"de la demande {stored.application_id}" if stored.application_id else f"du brouillon {stored.draft_id}"
        request.find_service(IAuditLog).record(
            "aids:file:infected",
            f"Fichier « {stored.filename} » {where} infecté ({result.signature}) : supprimé.",
            module="aids", object_type="aids_file", object_id=str(stored.id),
            changes={"after": {"sha256": stored.sha256, "signature": result.signature}},
        )  # fmt: skip
    else:
        log.warning("File %s not found clean: %s %s", stored.id, result.status, result.reason)
    request.db.flush()
    return result


def scan_refusal(request: Request, stored: StoredFile) -> str | None:
    """Scan a file just sent: why it is not kept (infected, too large to scan), or None (kept: clean, or in
    quarantine while the scanner cannot answer)."""
    result = scan(request, stored)
    if result.status is ScanStatus.INFECTED:
        message = (f"« {stored.filename} » contient un virus ({result.signature}) : il n'a pas été gardé. "
                   "Envoyez un fichier sain.")  # fmt: skip
    elif result.status is ScanStatus.TOO_LARGE:
        message = (f"« {stored.filename} » est trop volumineux pour l'analyse antivirus : il n'a pas été gardé. "
                   "Envoyez un fichier plus léger.")  # fmt: skip
        if not request.db.scalar(sa.select(StoredFile.id).where(
            StoredFile.storage_key == stored.storage_key, StoredFile.id != stored.id,
        ).limit(1)):  # fmt: skip
            request.find_service(IFileStorage).delete(stored.storage_key)
    else:
        return None
    request.db.delete(stored)
    request.db.flush()
    return message


def scan_quarantined(registry: Registry) -> None:
    """The job: scan again the files left in quarantine, one transaction each; stop when clamd is down."""
    with transaction_scope(registry) as request:
        if not request.find_service(IVirusScanner).configured:
            return
    last = 0
    for _ in range(BATCH):
        with transaction_scope(registry) as request:
            # Another worker running the same job skips the row this one holds (PostgreSQL).
            stored = request.db.scalars(
                sa.select(StoredFile).where(StoredFile.scan_state == QUARANTINED, StoredFile.id > last)
                .order_by(StoredFile.id).limit(1).with_for_update(skip_locked=True)
            ).first()  # fmt: skip
            if stored is None:
                return
            last = stored.id
            if not request.find_service(IFileStorage).exists(stored.storage_key):
                log.warning("File %s is in quarantine without its bytes in storage", stored.id)
                continue
            result = scan(request, stored)
            if result.status is ScanStatus.UNAVAILABLE:
                return
            if result.status is ScanStatus.INFECTED and stored.application_id is not None:
                tell_applicant(request, stored, result)


def tell_applicant(request: Request, stored: StoredFile, result: ScanResult) -> None:
    """A file of a submitted application found infected from quarantine: its applicant is told by mail, and how
    to send a sound one (a message from their application's page)."""
    application = request.db.get(Application, stored.application_id)
    if application is None or application.anonymised_at is not None or not application.email:
        return
    request.find_service(IMailer).send(
        application.email, f"Demande {application.receipt} : un fichier contenait un virus",
        f"Bonjour,\n\nLe fichier « {stored.filename} » joint à votre demande {application.receipt} "
        f"« {application.version.procedure.title} » contenait un virus ({result.signature}) : il a été supprimé.\n\n"
        "Envoyez un fichier sain en écrivant au service instructeur depuis la page de votre demande (Mes démarches, "
        "ou votre lien personnel).\n\nLa province Sud",
    )  # fmt: skip
