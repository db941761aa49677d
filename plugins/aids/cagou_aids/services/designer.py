"""The designer's changes to a procedure: its settings, its form's fields and pages, its versions and its state.

Every change to the form is made on its JSON data and goes through
:func:`~cagou_aids.definition.parse_definition` before it is kept: a
definition that does not parse is never stored, and its problems come back
in French (``Invalid``). A published procedure is never edited in place: the
first change makes a new version (a copy of the latest), which the public
sees once it is published again; the applications keep their own version.
Each change is audited (``aids:procedure:…``).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from typing import Any

from zope.interface import implementer

from cagou.kit import FormErrors, IAccounts, IAuditLog, IClock, Invalid, Refused
from cagou_aids.definition import (
    FIELD_TYPES,
    MAX_FIELDS,
    MAX_PAGES,
    REPEAT,
    DefinitionError,
    definition_data,
    parse_definition,
)
from cagou_aids.interfaces import IProcedures, IWorkflows
from cagou_aids.models import CLOSED, DRAFT, PUBLISHED, TEST, Procedure, ProcedureVersion
from cagou_aids.services.procedures import ProcedureService, ProcedureSettings, checked_settings, delete_tests
from cagou_aids.transfer import read_file

#: A new procedure's form: one empty page, for the designer to fill.
BLANK = {"pages": [{"title": "Vos informations", "fields": []}]}
#: The settings a designer changes (the others are the procedure's state and history).
SETTINGS = ("title", "summary", "help_text", "audience", "category", "contact_email", "opens_at", "closes_at",
            "directorate_id", "receipt_prefix", "data_notice")  # fmt: skip


def name_from(label: str, taken: set[str]) -> str:
    """A field's name made from its label (``Date de naissance`` → ``date_naissance``), free in the form."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()
    words = [word for word in re.split(r"[^a-z0-9]+", ascii_label) if (word and len(word) > 2) or word.isdigit()]
    base = "_".join(words)[:30].strip("_") or "champ"
    if not base[0].isalpha():
        base = f"champ_{base}"[:30]
    candidates = (base if n == 1 else f"{base}_{n}" for n in range(1, len(taken) + 2))
    return next(candidate for candidate in candidates if candidate not in taken)


def names_in(data: dict[str, Any]) -> set[str]:
    return {spec["name"] for page in data["pages"] for spec in walk(page["fields"])}


def walk(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list of fields, each repeatable block followed by its own fields."""
    found = []
    for spec in fields:
        found.append(spec)
        found.extend(spec.get("fields", []) if spec.get("type") == REPEAT else [])
    return found


def holder_of(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The list (a page's fields, or a repeatable block's) that holds the field ``name``."""
    for page in data["pages"]:
        for spec in page["fields"]:
            if spec["name"] == name:
                return list_of(page)
            if spec.get("type") == REPEAT and any(inner["name"] == name for inner in spec.get("fields", [])):
                return list_of(spec)
    raise Refused("Ce champ n'existe pas (ou plus) dans le formulaire.", 404)


def list_of(holder: dict[str, Any]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = holder["fields"]
    return fields


def with_field(data: dict[str, Any], name: str, values: dict[str, Any]) -> dict[str, Any]:
    """``data`` with field ``name``'s keys replaced by ``values`` (its name, type and own fields stay); ``values``'
    ``identifies``, when there, puts the field in the definition's list of those that say who applies, or out."""
    values = dict(values)
    identifies = values.pop("identifies", None)
    if identifies is not None:
        listed = [listed for listed in data.get("identifies", []) if listed != name]
        data["identifies"] = [*listed, name] if identifies else listed
    fields = holder_of(data, name)
    index = index_of(fields, name)
    spec = fields[index]
    kept = {"name": spec["name"], "type": spec["type"]}
    if spec["type"] == REPEAT:
        kept["fields"] = spec["fields"]
    fields[index] = {**{key: value for key, value in values.items() if value not in (None, "")}, **kept}
    return data


def index_of(fields: list[dict[str, Any]], name: str) -> int:
    return next(index for index, spec in enumerate(fields) if spec["name"] == name)


@implementer(IProcedures)
class DesignerService(ProcedureService):
    """The procedures service with the designer's changes (docs/aids.md, "The designer's pages")."""

    # --- creating -------------------------------------------------------------------------------

    def create_blank(self, settings: ProcedureSettings) -> Procedure:
        return self.create(settings, copy.deepcopy(BLANK))

    def clone(self, procedure: Procedure, settings: ProcedureSettings) -> Procedure:
        copied = self.create(settings, copy.deepcopy(procedure.latest.definition))
        if procedure.workflow_version is not None:  # the copy follows the same workflow, with as many levels
            self.request.find_service(IWorkflows).attach(copied, procedure.workflow_version,
                                                         procedure.validation_levels)  # fmt: skip
        return copied

    def import_file(self, content: bytes, directorate_id: int | None = None) -> Procedure:
        try:
            transfer = read_file(content)
        except DefinitionError as error:
            raise Invalid(FormErrors(file=" ".join(error.problems))) from None
        settings = transfer.settings
        if transfer.directorate is not None:
            directorate = self.request.find_service(IAccounts).directorate(transfer.directorate)
            if directorate is None:
                raise Invalid(FormErrors(file=f"La direction « {transfer.directorate[:40]} » n'existe pas ici."))
            directorate_id = directorate.id
        settings = ProcedureSettings(**{**settings.__dict__, "directorate_id": directorate_id})
        try:
            return self.create(settings, transfer.definition)
        except Invalid as error:
            raise Invalid(FormErrors(file=" ".join(error.errors.values()))) from None

    # --- settings ------------------------------------------------------------------------------

    def update_settings(self, procedure: Procedure, settings: ProcedureSettings) -> Procedure:
        errors, title, summary = checked_settings(settings)
        if errors:
            raise Invalid(errors)
        before = {name: str(getattr(procedure, name)) for name in SETTINGS}
        values = {**settings.__dict__, "title": title, "summary": summary, "category": settings.category.strip(),
                  "contact_email": settings.contact_email.strip(),
                  "data_notice": dict(settings.data_notice)}  # fmt: skip
        for name in SETTINGS:
            setattr(procedure, name, values[name])
        procedure.updated_at = self.now()
        after = {name: str(getattr(procedure, name)) for name in SETTINGS}
        changed = [name for name in SETTINGS if before[name] != after[name]]
        self.audit(procedure, "settings", f"Réglages de la démarche « {title} » modifiés.",
                   {"before": {n: before[n] for n in changed}, "after": {n: after[n] for n in changed}})  # fmt: skip
        return procedure

    # --- the form's fields ---------------------------------------------------------------------

    def add_field(
        self, procedure: Procedure, page: int, kind: str, label: str, required: bool = False,
        choices: tuple[str, ...] = (), parent: str = "",
    ) -> str:  # fmt: skip
        """Add a field of type ``kind`` at the end of page ``page`` (from 1), or of the block ``parent``; its name."""
        errors = FormErrors()
        if kind not in FIELD_TYPES:
            errors.add("type", "Choisissez un type de champ dans la liste.")
        if not label.strip():
            errors.add("label", "Donnez un libellé au champ.")
        if errors:
            raise Invalid(errors)
        data = self.editable(procedure)
        name = name_from(label, names_in(data))
        spec: dict[str, Any] = {"name": name, "type": kind, "label": label.strip()}
        if required:
            spec["required"] = True
        if kind in ("choice", "choices"):
            spec["choices"] = list(choices) or ["Premier choix", "Deuxième choix"]
        if kind == REPEAT:
            spec["fields"] = [{"name": name_from(f"{label} nom", {name, *names_in(data)}), "type": "text",
                               "label": "Nom et prénom", "required": True}]  # fmt: skip
        if parent:
            holder = next((s for s in walk(self.all_fields(data)) if s["name"] == parent), None)
            if holder is None or holder.get("type") != REPEAT:
                raise Invalid(FormErrors(type="Ce bloc répétable n'existe pas."))
            holder["fields"].append(spec)
        else:
            if not 1 <= page <= len(data["pages"]):
                raise Invalid(FormErrors(page="Cette page n'existe pas."))
            data["pages"][page - 1]["fields"].append(spec)
        self.store(procedure, data, "field", f"Champ « {label.strip()} » ajouté.", "label")
        return name

    def update_field(self, procedure: Procedure, name: str, values: dict[str, Any]) -> None:
        """Replace what the designer sets of field ``name`` (its name, type and own fields stay)."""
        data = with_field(self.editable(procedure), name, values)
        self.store(procedure, data, "field", f"Champ « {values.get('label', name)} » modifié.", "form")

    def remove_field(self, procedure: Procedure, name: str) -> None:
        data = self.editable(procedure)
        fields = holder_of(data, name)
        removed = fields.pop(index_of(fields, name))
        self.store(procedure, data, "field", f"Champ « {removed['label']} » supprimé.", "form")

    def move_field(self, procedure: Procedure, name: str, offset: int) -> None:
        """Move field ``name`` up (-1) or down (+1) among its page's fields; over the page's edge, to the page
        before or after."""
        data = self.editable(procedure)
        fields = holder_of(data, name)
        index = index_of(fields, name)
        target = index + offset
        if 0 <= target < len(fields):
            fields.insert(target, fields.pop(index))
        else:
            pages = [page["fields"] for page in data["pages"]]
            number = next((n for n, page in enumerate(pages) if page is fields), None)
            if number is None or not 0 <= number + offset < len(pages):
                raise Invalid(FormErrors(form="Ce champ est déjà à cette extrémité."))
            spec = fields.pop(index)
            neighbour = pages[number + offset]
            neighbour.insert(len(neighbour) if offset < 0 else 0, spec)
        self.store(procedure, data, "field", f"Champ « {name} » déplacé.", "form")

    # --- the form's pages ----------------------------------------------------------------------

    def add_page(self, procedure: Procedure, title: str) -> int:
        data = self.editable(procedure)
        if not title.strip():
            raise Invalid(FormErrors(title="Donnez un titre à la page."))
        if len(data["pages"]) >= MAX_PAGES:
            raise Invalid(FormErrors(title=f"{MAX_PAGES} pages au plus."))
        data["pages"].append({"title": title.strip(), "fields": []})
        self.store(procedure, data, "page", f"Page « {title.strip()} » ajoutée.", "title")
        return len(data["pages"])

    def update_page(self, procedure: Procedure, number: int, values: dict[str, Any]) -> None:
        data = self.editable(procedure)
        page = self.page_of(data, number)
        page.clear()
        page.update({key: value for key, value in values.items() if value not in (None, "")})
        page["fields"] = values["fields"]
        self.store(procedure, data, "page", f"Page {number} modifiée.", "form")

    def remove_page(self, procedure: Procedure, number: int) -> None:
        data = self.editable(procedure)
        page = self.page_of(data, number)
        if len(data["pages"]) == 1:
            raise Invalid(FormErrors(form="Le formulaire garde au moins une page."))
        data["pages"].remove(page)
        self.store(procedure, data, "page", f"Page « {page['title']} » supprimée avec ses champs.", "form")

    def move_page(self, procedure: Procedure, number: int, offset: int) -> None:
        data = self.editable(procedure)
        page = self.page_of(data, number)
        if not 1 <= number + offset <= len(data["pages"]):
            raise Invalid(FormErrors(form="Cette page est déjà à cette extrémité."))
        data["pages"].insert(number - 1 + offset, data["pages"].pop(number - 1))
        self.store(procedure, data, "page", f"Page « {page['title']} » déplacée.", "form")

    # --- versions and states -------------------------------------------------------------------

    def new_version(self, procedure: Procedure) -> ProcedureVersion:
        """A new version of a published procedure's form, a copy of the latest, to edit and publish again."""
        latest = procedure.latest
        if latest.published_at is None:
            return latest
        version = ProcedureVersion(number=latest.number + 1, definition=copy.deepcopy(latest.definition),
                                   created_at=self.now())  # fmt: skip
        procedure.versions.append(version)
        self.request.db.flush()
        self.audit(procedure, "version", f"Version {version.number} de « {procedure.title} » ouverte.",
                   {"after": {"version": version.number}})  # fmt: skip
        return version

    def put_in_test(self, procedure: Procedure) -> Procedure:
        if procedure.state not in (DRAFT, TEST):
            raise Refused("Seule une démarche en brouillon se met en test.", 409)
        procedure.state, procedure.updated_at = TEST, self.now()
        self.audit(procedure, "test", f"Démarche « {procedure.title} » mise en test.", {"after": {"state": TEST}})
        return procedure

    def back_to_draft(self, procedure: Procedure) -> Procedure:
        """A procedure in test goes back to draft; its test submissions are deleted."""
        if procedure.state != TEST:
            raise Refused("Seule une démarche en test revient en brouillon.", 409)
        removed = delete_tests(self.request.db, procedure)
        procedure.state, procedure.updated_at = DRAFT, self.now()
        self.audit(procedure, "draft", f"Démarche « {procedure.title} » revenue en brouillon ; {removed} dépôt(s) "
                   "de test supprimé(s).", {"after": {"state": DRAFT}})  # fmt: skip
        return procedure

    def close(self, procedure: Procedure) -> Procedure:
        """Close a published procedure now: it says when, and takes no more submissions."""
        if procedure.state != PUBLISHED:
            raise Refused("Seule une démarche publiée se ferme.", 409)
        instant = self.now()
        if procedure.closes_at is None or procedure.closes_at > instant:
            procedure.closes_at = instant
        procedure.state, procedure.updated_at = CLOSED, instant
        self.audit(procedure, "close", f"Démarche « {procedure.title} » fermée.", {"after": {"state": CLOSED}})
        return procedure

    # --- helpers -------------------------------------------------------------------------------

    def editable(self, procedure: Procedure) -> dict[str, Any]:
        """A copy of the form's data to change: the latest version's, a new version once it is published."""
        if procedure.state == CLOSED:
            raise Refused("Une démarche fermée ne se modifie plus.", 409)
        return copy.deepcopy(self.new_version(procedure).definition)

    def store(self, procedure: Procedure, data: dict[str, Any], subject: str, summary: str, where: str) -> None:
        """Keep ``data`` as the latest version's form once it parses; ``Invalid`` under ``where`` otherwise.

        The fields that say who applies (``identifies``) lose those removed: the others still say it."""
        if "identifies" in data:
            data["identifies"] = [kept for kept in data["identifies"] if kept in names_in(data)]
        try:
            parsed = parse_definition(data)
        except DefinitionError as error:
            raise Invalid(FormErrors({where: " ".join(error.problems)})) from None
        if sum(1 for _ in parsed.fields()) > MAX_FIELDS:
            raise Invalid(FormErrors({where: f"{MAX_FIELDS} champs au plus."}))
        version = procedure.latest
        before = version.definition
        version.definition = definition_data(parsed)
        procedure.updated_at = self.now()
        self.audit(procedure, subject, f"« {procedure.title} », version {version.number} : {summary}",
                   {"before": {"definition": before}, "after": {"definition": version.definition}})  # fmt: skip

    def page_of(self, data: dict[str, Any], number: int) -> dict[str, Any]:
        if not 1 <= number <= len(data["pages"]):
            raise Refused("Cette page n'existe pas.", 404)
        page: dict[str, Any] = data["pages"][number - 1]
        return page

    def all_fields(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return [spec for page in data["pages"] for spec in page["fields"]]

    def now(self) -> Any:
        return self.request.find_service(IClock).now()

    def audit(self, procedure: Procedure, subject: str, text: str, changes: dict[str, Any]) -> None:
        self.request.db.flush()
        self.request.find_service(IAuditLog).record(
            f"aids:procedure:{subject}", text, module="aids", object_type="aids_procedure",
            object_id=str(procedure.id), changes=changes,
        )  # fmt: skip
