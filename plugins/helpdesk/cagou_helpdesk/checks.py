"""What people send to the helpdesk, and its checks: the forms' and the API's inputs, attachments.

The services run these checks before they change anything; the views, the
API schemas and the mail reader read the limits from here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyramid.request import Request

from cagou.kit import FormErrors, Upload, check_upload
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import Article, Category

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_FILENAME = 255
MAX_ARTICLE = 50_000
MAX_ANSWER = MAX_TEXT
PHONE_NUMBER = re.compile(r"^[+0-9 .()-]{6,20}$")


#: Content types accepted as attachments, recognised from the bytes, not the name.
ACCEPTED_TYPES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
    "text/plain": "texte",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.oasis.opendocument.text": "texte OpenDocument",
    "application/vnd.oasis.opendocument.spreadsheet": "tableur OpenDocument",
}


@dataclass
class TicketInput:
    title: str = ""
    description: str = ""
    category: str = ""
    urgency: str = "2"
    impact: str = "1"
    contact_phone: str = ""
    uploads: list[Upload] = field(default_factory=list)


def check_choice(errors: FormErrors, name: str, value: str, choices: dict[int, str], label: str) -> int:
    if value.strip().isdigit() and int(value) in choices:
        return int(value)
    errors.add(name, f"{label} : choisissez une valeur de la liste.")
    return min(choices)


def check_uploads(
    request: Request, errors: FormErrors, uploads: Iterable[Upload], name: str = "attachments"
) -> list[tuple[Upload, str]]:
    """The attachments that pass the kit's check (their type from their bytes, the helpdesk's size limit)."""
    limit = helpdesk_settings.get(request.registry).max_attachment_bytes
    checked = []
    for upload in uploads:
        if not upload.data and not upload.filename:
            continue
        content_type = check_upload(errors, name, upload, ACCEPTED_TYPES, limit)
        if content_type is not None:
            checked.append((upload, content_type))
    return checked


@dataclass
class CategoryInput:
    name: str = ""
    parent: str = ""
    group: str = ""

    @classmethod
    def of(cls, category: Category) -> CategoryInput:
        return cls(category.name, str(category.parent_id or ""), str(category.default_group_id or ""))


@dataclass
class ArticleInput:
    title: str = ""
    body: str = ""
    category: str = ""

    @classmethod
    def of(cls, article: Article) -> ArticleInput:
        return cls(article.title, article.body, str(article.category_id or ""))


# The administration's matrix and service levels: their fields' names, their durations.

#: The longest service level accepted, in business hours (about six months of working days).
MAX_SERVICE_HOURS = 1000


#: The two delays of a service level: form name -> label.
MEASURES: dict[str, str] = {"first_response": "Première réponse", "resolution": "Résolution"}


def cell_name(urgency: int, impact: int) -> str:
    return f"cell-{urgency}-{impact}"


def level_name(measure: str, priority: int) -> str:
    return f"{measure}-{priority}"


def format_minutes(total: int) -> str:
    """``270`` → ``4 h 30``; ``240`` → ``4 h``; ``30`` → ``30 min``."""
    hours, minutes = divmod(total, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"


# Names the administration stores: tidied, and compared as people read them.


def sort_key(text: str) -> str:
    """Alphabetical order as people expect it: accents and case do not count (« Écran » after « Disque »)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def tidy(text: str) -> str:
    """Spaces trimmed and runs of spaces (or line breaks) reduced to one."""
    return " ".join(text.split())


def check_name(errors: FormErrors, name: str, value: str, label: str, maximum: int) -> str:
    value = tidy(value)
    if not value:
        errors.add(name, f"{label} est obligatoire.")
    elif len(value) > maximum:
        errors.add(name, f"{label} fait {maximum} caractères au plus (vous en avez saisi {len(value)}).")
    return value
