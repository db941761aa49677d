"""The PDF receipt of an application, and the archive of everything the applicant sent and received (the decision
letters among its files, the signed act that grants the aid under ``acte/``).

The receipt is an HTML page (``templates/receipt.jinja2``) printed by
WeasyPrint: the answers as the pages show them (:func:`answer_rows`), the
files with their SHA-256, the submission's date and time in Nouméa time.
WeasyPrint fetches nothing: the page carries its own style, and an answer
that looks like an address stays text. Each rendering's time is logged
(``cagou_aids.receipts``), so that it stays watched in production.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import unicodedata
import zipfile
from itertools import groupby
from typing import IO

import weasyprint
from pyramid.renderers import render
from pyramid.request import Request
from weasyprint.urls import URLFetcher
from zope.interface import implementer

from cagou.kit import IFileStorage, local
from cagou_aids.answers import answer_rows, applicant_name
from cagou_aids.interfaces import IReceipts
from cagou_aids.models import MESSAGE_AUTHORS, Application, ApplicationMessage, StoredFile
from cagou_aids.queries import files_sent, messages_of
from cagou_aids.services.transition_effects import signed_line

log = logging.getLogger(__name__)

TEMPLATE = "cagou_aids:templates/receipt.jinja2"
#: What a name keeps in the archive: letters, digits and a few signs; anything else (a slash, a control
#: character, a Windows reserved sign) becomes "_", so that no entry leaves its folder.
UNSAFE = re.compile(r"[^\w.,()+=@ -]")
MAX_NAME = 120
#: Copied in blocks: a file of 20 MB never sits whole in memory.
BLOCK = 1024 * 1024


@implementer(IReceipts)
class ReceiptService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def pdf(self, application: Application) -> bytes:
        request = self.request
        started = time.perf_counter()
        definition = application.version.parsed
        rows = answer_rows(definition, application.answers)
        values = {
            "application": application, "procedure": application.version.procedure,
            "submitted": local(request.registry, application.submitted_at), "applicant": applicant_name(application),
            "pages": [(title, [(value, spec) for _title, value, spec in group])
                      for title, group in groupby(rows, key=lambda row: row[0])],
            "files": files_sent(request.db, application),
        }  # fmt: skip
        html = render(TEMPLATE, values, request=request)
        data: bytes = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
        log.info("Récépissé %s rendu en %.0f ms (%d octets).", application.receipt,
                 (time.perf_counter() - started) * 1000, len(data))  # fmt: skip
        return data

    def archive(self, application: Application) -> IO[bytes]:
        # Written to a temporary file, never in memory: an application may carry 50 MB of files.
        # Returned open: the response streams it, and closing it (at the response's end) deletes it.
        archive = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self.write_archive(application, archive)
        except BaseException:
            archive.close()
            raise
        archive.seek(0)
        return archive

    def write_archive(self, application: Application, archive: IO[bytes]) -> None:
        storage = self.request.find_service(IFileStorage)
        # Stored, not deflated: PDF, JPEG and PNG are compressed already, and CPU is shared.
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
            bundle.writestr(receipt_name(application), self.pdf(application))
            taken: set[str] = set()
            files = [
                (f"fichiers/{safe_name(stored.field)}", stored) for stored in files_sent(self.request.db, application)
            ]
            messages = messages_of(self.request.db, application)
            if messages:
                bundle.writestr("messages.txt", self.messages_text(messages))
                files += [(f"messages/{number}", stored) for number, (_message, attached) in enumerate(messages, 1)
                          for stored in attached]  # fmt: skip
            entries = [(unique_name(f"{folder}/{safe_name(stored.filename)}", taken), stored.storage_key)
                       for folder, stored in files]  # fmt: skip
            line = signed_line(self.request, application)
            if line is not None:  # the signed act that grants the aid, as its signatory froze it
                entries.append((f"acte/{safe_name(line.act.reference)}.pdf", line.act.pdf_key))
            for name, key in entries:
                try:
                    source = storage.open(key)
                except KeyError:  # erased (retention): the receipt still lists it with its SHA-256
                    continue
                with source, bundle.open(name, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, BLOCK)

    def messages_text(self, messages: list[tuple[ApplicationMessage, list[StoredFile]]]) -> str:
        """The messages both ways, as plain text (their files sit in ``messages/<number>/``)."""
        parts = []
        for number, (message, attached) in enumerate(messages, start=1):
            when = local(self.request.registry, message.at)
            files = "".join(f"\n  [fichier joint, messages/{number}/] {stored.filename}" for stored in attached)
            parts.append(
                f"{number}. {when:%d/%m/%Y à %H:%M} — {MESSAGE_AUTHORS[message.author]} :\n{message.text}{files}\n"
            )
        return "\n".join(parts)


def receipt_name(application: Application) -> str:
    return f"recepisse-{safe_name(application.receipt)}.pdf"


def archive_name(application: Application) -> str:
    return f"demande-{safe_name(application.receipt)}.zip"


def safe_name(name: str) -> str:
    """A file's name as an archive entry: no folder, no control character, never empty nor a dot alone."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE.sub("_", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= 10:
        return f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}" if stem else f"fichier.{extension}"
    return name[:MAX_NAME] or "fichier"


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… when two files of a field have the same name."""
    stem, dot, extension = name.rpartition(".") if "." in name.rsplit("/", 1)[-1] else (name, "", "")
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{extension}"
    taken.add(candidate.lower())
    return candidate
