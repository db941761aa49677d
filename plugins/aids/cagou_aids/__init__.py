"""The aids module: procedures an agent publishes, and the applications residents and companies send.

What is there so far (docs/aids.md): the procedures' definitions and their
forms, the procedures, drafts and applications services (receipt numbers,
idempotent submission), and on the public site the catalogue, each
procedure's page, the multi-page form with its drafts, the review page and
"Mes démarches".
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.static import static_view

from cagou.kit import INTRANET, PUBLIC
from cagou_aids import models  # noqa: F401  (the module's tables join the metadata)
from cagou_aids.hooks import *  # noqa: F403  (the hook implementations are the module's API)
from cagou_aids.services.applications import CONFIRM_JOB
from cagou_aids.views.annotations import includeme as annotation_routes
from cagou_aids.views.instruction import procedure_context

DRAFT = "/demarches/{slug}/brouillon/{token}"


def includeme(config: Configurator) -> None:
    config.include("cagou_aids.services")
    config.include("cagou_aids.api")
    config.include(annotation_routes)  # a callable: the dotted name would meet __future__'s ``annotations``
    config.add_job(CONFIRM_JOB, "cagou_aids.jobs.confirm")
    config.add_site_route(PUBLIC, "aids.catalogue", "/demarches/")
    config.add_site_route(PUBLIC, "aids.procedure", "/demarches/{slug}")
    config.add_site_route(PUBLIC, "aids.start", "/demarches/{slug}/commencer")
    config.add_site_route(PUBLIC, "aids.guest_start", "/demarches/{slug}/sans-compte")
    config.add_site_route(PUBLIC, "aids.guest_confirm", DRAFT + "/confirmation")
    config.add_site_route(PUBLIC, "aids.guest_follow", DRAFT + "/suivi")
    config.add_site_route(PUBLIC, "aids.guest_withdraw", DRAFT + "/suivi/retirer")
    config.add_site_route(PUBLIC, "aids.guest_message", DRAFT + "/suivi/messages")
    config.add_site_route(PUBLIC, "aids.guest_complement", DRAFT + "/suivi/complements")
    config.add_site_route(PUBLIC, "aids.guest_file", DRAFT + r"/suivi/fichiers/{file:\d+}")
    config.add_site_route(PUBLIC, "aids.guest_receipt", DRAFT + "/suivi/recepisse.pdf")
    config.add_site_route(PUBLIC, "aids.guest_archive", DRAFT + "/suivi/demande.zip")
    config.add_site_route(PUBLIC, "aids.step", DRAFT + "/etape/{number}")
    config.add_site_route(PUBLIC, "aids.autosave", DRAFT + "/etape/{number}/sauvegarde")
    config.add_site_route(PUBLIC, "aids.review", DRAFT + "/verification")
    config.add_site_route(PUBLIC, "aids.mine", "/mes-demarches/")
    config.add_site_route(PUBLIC, "aids.my_application", "/mes-demarches/{receipt}")
    config.add_site_route(PUBLIC, "aids.withdraw", "/mes-demarches/{receipt}/retirer")
    config.add_site_route(PUBLIC, "aids.my_file", r"/mes-demarches/{receipt}/fichiers/{file:\d+}")
    config.add_site_route(PUBLIC, "aids.my_receipt", "/mes-demarches/{receipt}/recepisse.pdf")
    config.add_site_route(PUBLIC, "aids.my_archive", "/mes-demarches/{receipt}/demande.zip")
    config.add_site_route(PUBLIC, "aids.my_message", "/mes-demarches/{receipt}/messages")
    config.add_site_route(PUBLIC, "aids.my_complement", "/mes-demarches/{receipt}/complements")
    config.add_site_route(INTRANET, "aids.procedures", "/demarches/")
    procedure = {"factory": procedure_context}
    config.add_site_route(INTRANET, "aids.applications", r"/demarches/{id:\d+}/demandes", **procedure)
    config.add_site_route(INTRANET, "aids.application", r"/demarches/{id:\d+}/demandes/{receipt}", **procedure)
    config.add_site_route(
        INTRANET, "aids.application_file", r"/demarches/{id:\d+}/demandes/{receipt}/fichiers/{file:\d+}", **procedure
    )
    config.add_site_route(
        INTRANET, "aids.application_message", r"/demarches/{id:\d+}/demandes/{receipt}/messages", **procedure
    )
    config.add_site_route(
        INTRANET, "aids.application_request", r"/demarches/{id:\d+}/demandes/{receipt}/complements", **procedure
    )
    config.add_site_route(INTRANET, "aids.bulk", r"/demarches/{id:\d+}/actions-groupees", **procedure)
    config.add_site_route(INTRANET, "aids.saved_views", r"/demarches/{id:\d+}/vues", **procedure)
    config.add_site_route(INTRANET, "aids.saved_view_delete", r"/demarches/{id:\d+}/vues/{view:\d+}/supprimer",
                          **procedure)  # fmt: skip
    config.add_site_route(INTRANET, "aids.export_csv", r"/demarches/{id:\d+}/export.csv", **procedure)
    config.add_site_route(INTRANET, "aids.export_xlsx", r"/demarches/{id:\d+}/export.xlsx", **procedure)
    config.add_site_route(INTRANET, "aids.design_new", "/demarches/nouvelle")
    config.add_site_route(INTRANET, "aids.design_import", "/demarches/importer")
    design = r"/demarches/{id:\d+}/conception"
    config.add_site_route(INTRANET, "aids.design", design, **procedure)
    config.add_site_route(INTRANET, "aids.design_settings", design + "/reglages", **procedure)
    config.add_site_route(INTRANET, "aids.design_state", design + "/etat/{action}", **procedure)
    config.add_site_route(INTRANET, "aids.design_export", design + "/export.json", **procedure)
    config.add_site_route(INTRANET, "aids.design_preview", design + "/apercu", **procedure)
    config.add_site_route(INTRANET, "aids.design_add_field", design + "/champs", **procedure)
    config.add_site_route(INTRANET, "aids.design_field", design + "/champs/{name}", **procedure)
    config.add_site_route(INTRANET, "aids.design_field_preview", design + "/champs/{name}/apercu", **procedure)
    config.add_site_route(INTRANET, "aids.design_field_action", design + "/champs/{name}/{action}", **procedure)
    config.add_site_route(INTRANET, "aids.design_add_page", design + "/pages", **procedure)
    config.add_site_route(INTRANET, "aids.design_page", design + r"/pages/{number:\d+}", **procedure)
    config.add_site_route(INTRANET, "aids.design_page_action", design + r"/pages/{number:\d+}/{action}", **procedure)
    config.add_site_route(INTRANET, "aids.transition", r"/demarches/{id:\d+}/demandes/{receipt}/circuit", **procedure)
    config.add_site_route(INTRANET, "aids.workflow", r"/demarches/{id:\d+}/circuit", **procedure)
    # The module's stylesheet (the workflow's diagram), under the intranet; 404 while the module is disabled there.
    config.add_site_route(INTRANET, "aids.static", "/static-aids/*subpath")
    config.add_view(static_view("cagou_aids:static", use_subpath=True, cache_max_age=3600), route_name="aids.static",
                    permission=NO_PERMISSION_REQUIRED)  # fmt: skip
    config.include("cagou_aids.views.assignment")
    config.include("cagou_aids.views.opinions")  # its routes (expert opinions)
    config.include("cagou_aids.views.acts")
    config.scan("cagou_aids.views")
