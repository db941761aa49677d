"""The API's operations as the OpenAPI document describes them."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou_helpdesk.api.common import (
    ATTACHMENT_ROUTE,
    CREATE,
    FILES,
    MESSAGES,
    MULTIPART,
    RATING,
    TAGS,
    TICKET,
    TICKETS,
    WORK,
)
from cagou_helpdesk.api.schemas import (
    CREATE_BODY,
    FILE_SCHEMA,
    LIST_PARAMETERS,
    MESSAGE,
    MESSAGE_BODY,
    PATCH_BODY,
    RATING_BODY,
    TICKET_DETAIL,
    TICKET_PAGE,
    with_files,
)


def declare_operations(config: Configurator) -> None:
    files = (
        f"Avec des fichiers : les mêmes champs en {MULTIPART}, en texte, et une partie « {FILES} » par fichier, "
        f"avec son nom (curl -F … -F {FILES}=@capture.png). Chaque fichier est vérifié comme sur le formulaire : "
        "taille (réglage helpdesk.max_attachment_mb) et type reconnu d'après son contenu (images, PDF, texte, "
        f"Word, Excel, OpenDocument) ; un fichier refusé l'est dans errors.{FILES} et rien n'est enregistré. "
    )
    errors = (
        'Erreurs : {"error": "message"} ; une saisie refusée donne aussi "errors" : champ → message. '
        "404 : ticket inconnu ou que vous ne pouvez pas voir ; 409 : refusé dans l'état du ticket."
    )
    conflict = {409: "Refusé dans l'état du ticket (clos, pas encore résolu, déjà rattaché…)."}
    config.add_api_operation(
        TICKETS,
        "GET",
        summary="Les tickets que vous pouvez voir, page par page",
        description="Demandeur : ses demandes (view=requested). Technicien (helpdesk:ticket:work) : les files de "
        "ses groupes. Pagination par curseur : passez « next » en ?after= jusqu'à ce qu'il soit null.",
        permission=CREATE,
        response=TICKET_PAGE,
        parameters=LIST_PARAMETERS,
        tags=TAGS,
    )
    config.add_api_operation(
        TICKETS,
        "POST",
        summary="Ouvrir un ticket",
        description="Un technicien peut l'ouvrir pour un autre agent (« requester »). " + files + errors,
        permission=CREATE,
        request_body=CREATE_BODY,
        other_request_bodies={MULTIPART: with_files(CREATE_BODY)},
        response=TICKET_DETAIL,
        status=201,
        tags=TAGS,
    )
    config.add_api_operation(
        TICKET,
        "GET",
        summary="Un ticket, ses messages et ses pièces jointes",
        description="Les notes internes et leurs pièces jointes ne sont montrées qu'aux techniciens du groupe du "
        "ticket, comme les tickets rattachés à un incident majeur (children). " + errors,
        permission=CREATE,
        response=TICKET_DETAIL,
        tags=TAGS,
    )
    config.add_api_operation(
        TICKET,
        "PATCH",
        summary="Modifier un ticket : statut, priorité, groupe, technicien, incident parent",
        description="Pour les techniciens des groupes du ticket (sinon 403). Tout ou rien : si une partie est "
        "refusée, rien n'est modifié. Un demandeur rouvre un ticket résolu en y répondant. " + errors,
        permission=WORK,
        request_body=PATCH_BODY,
        response=TICKET_DETAIL,
        errors=conflict,
        tags=TAGS,
    )
    config.add_api_operation(
        MESSAGES,
        "POST",
        summary="Répondre sur un ticket, ou y ajouter une note interne, avec ou sans fichiers",
        description="Une réponse du demandeur relance un ticket qui l'attendait et rouvre un ticket résolu "
        "(dans le délai de réouverture). Un ticket clos ne reçoit plus de réponse (409). " + files + errors,
        permission=CREATE,
        request_body=MESSAGE_BODY,
        other_request_bodies={MULTIPART: with_files(MESSAGE_BODY)},
        response=MESSAGE,
        status=201,
        errors=conflict,
        tags=TAGS,
    )
    config.add_api_operation(
        ATTACHMENT_ROUTE,
        "GET",
        summary="Télécharger une pièce jointe d'un ticket",
        description="La réponse est le fichier lui-même, pas du JSON : son type (Content-Type, reconnu d'après le "
        "contenu à l'envoi) et son nom (Content-Disposition, filename*). Les adresses sont dans les « url » des "
        "pièces jointes du ticket. Celles des notes internes pour les techniciens du groupe du ticket "
        "seulement. " + errors,
        permission=CREATE,
        response=FILE_SCHEMA,
        response_media_type="*/*",
        tags=TAGS,
    )
    config.add_api_operation(
        RATING,
        "PUT",
        summary="Noter la réponse à son ticket résolu, de 1 à 5, avec un commentaire",
        description="Pour le demandeur seulement (403 pour les autres), une fois le ticket résolu ou clos (409 "
        "avant) ; une nouvelle note remplace la précédente. " + errors,
        permission=CREATE,
        request_body=RATING_BODY,
        response=TICKET_DETAIL,
        errors=conflict,
        tags=TAGS,
    )
