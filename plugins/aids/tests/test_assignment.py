"""Groups of instructors, assignment, transfer, following, badges and the widgets of part 2 (services and pages)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.assignment import badges_for, group_for, groups_of, to_validate, waiting_for_me
from cagou_aids.interfaces import IAssignments, IInstructorGroups, IMessages
from cagou_aids.models import APPLICANT, Application, Assignment, Follower, InstructorGroup, Procedure
from cagou_aids.queries import application_by_receipt
from pyramid.registry import Registry
from pyramid.request import Request
from test_services import ANSWERS, published, submit
from test_workflows import AGENTS, RECEIPT, business, take

from cagou.kit import AGENT, IAccounts, Invalid, Refused, act_as, transaction_scope
from cagou.testing import delivered_mail, is_postgresql, login

PASSWORD = "lagon-vanille-tricot-2026"


@pytest.fixture
def people(registry: Registry, demonstration: None) -> dict[str, int]:
    """test_workflows's agents, each with an address (followers are mailed)."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        found = {}
        for login_name, (role, code) in AGENTS.items():
            account = accounts.create(login_name, login_name.title(), AGENT, email=f"{login_name}@example.nc",
                                      password=PASSWORD)  # fmt: skip
            accounts.grant(account, role, accounts.directorate(code))
            found[login_name] = account.id
        return found


def as_agent(request: Request, who: int) -> None:
    act_as(request, request.find_service(IAccounts).by_id(who))


def the_application(request: Request, receipt: str = RECEIPT) -> Application:
    application = application_by_receipt(request.db, business(request), receipt)
    assert application is not None
    return application


def audited(request: Request, action: str) -> list[str]:
    query = sa.text("SELECT summary FROM audit_entry WHERE action = :action ORDER BY id")
    return list(request.db.scalars(query, {"action": action}))


def census_groups(registry: Registry) -> int:
    procedure_id = published(registry)
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        groups = request.find_service(IInstructorGroups)
        groups.save(procedure, "Nouméa", "commune", ["Nouméa"], [])
        groups.save(procedure, "Grand Nouméa", "commune", ["Dumbéa", "Le Mont-Dore", "Païta"], [])
        groups.save(procedure, "Brousse et îles", "", [], [], is_default=True)
    return procedure_id


def group_of(registry: Registry, receipt: str) -> str | None:
    with transaction_scope(registry) as request:
        query = (sa.select(InstructorGroup.name).join(Assignment, Assignment.group_id == InstructorGroup.id)
                 .join(Application, Application.id == Assignment.application_id)
                 .where(Application.receipt == receipt))  # fmt: skip
        return request.db.scalar(query)


def test_the_submission_routes_by_commune_and_the_default_group_takes_the_rest(registry: Registry) -> None:
    procedure_id = census_groups(registry)
    noumea = submit(registry, procedure_id, "clef-1")
    paita = submit(registry, procedure_id, "clef-2", {**ANSWERS, "commune": "Païta"})
    thio = submit(registry, procedure_id, "clef-3", {**ANSWERS, "commune": "Thio", "nom": "Autre"})
    assert [group_of(registry, r) for r in (noumea, paita, thio)] == ["Nouméa", "Grand Nouméa", "Brousse et îles"]


def test_saving_groups_routes_the_applications_sent_before_them(registry: Registry) -> None:
    procedure_id = published(registry)
    before = submit(registry, procedure_id, "clef-1", {**ANSWERS, "commune": "Dumbéa"})
    assert group_of(registry, before) is None
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        request.find_service(IInstructorGroups).save(procedure, "Grand Nouméa", "commune", ["Dumbéa"], [])
        assert "(1 demande(s) orientée(s))" in audited(request, "aids:procedure:groups")[-1]
    assert group_of(registry, before) == "Grand Nouméa"


def test_a_group_is_refused_field_by_field_and_nothing_is_kept(registry: Registry) -> None:
    procedure_id = census_groups(registry)
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        groups = request.find_service(IInstructorGroups)
        with pytest.raises(Invalid) as refused:
            groups.save(procedure, "nouméa", "pas_un_champ", [], [999_999])
        assert set(refused.value.errors) == {"nom", "champ", "membres"}
        with pytest.raises(Invalid) as refused:
            groups.save(procedure, "Îles", "", [], [], is_default=True)
        assert refused.value.errors["defaut"].startswith("La démarche a déjà un groupe par défaut")
        with pytest.raises(Invalid) as refused:
            groups.save(procedure, "Sud", "commune", ["  "], [])
        assert set(refused.value.errors) == {"valeurs"}
        assert len(groups_of(request.db, procedure_id)) == 3


def test_group_for_reads_a_multiple_choice_and_ignores_a_missing_answer() -> None:
    medical = InstructorGroup(name="Médical", field="criteres", routing_values=["Besoin médical"], is_default=False)
    rest = InstructorGroup(name="Autres", field="", routing_values=[], is_default=True)
    assert group_for([medical, rest], {"criteres": ["Grossesse", "Besoin médical"]}) is medical
    assert group_for([medical, rest], {"criteres": None}) is rest
    assert group_for([medical], {}) is None


def test_the_demonstration_routes_the_business_aid_by_commune(registry: Registry, demonstration: None) -> None:
    with transaction_scope(registry) as request:
        procedure = business(request)
        names = [group.name for group in groups_of(request.db, procedure.id)]
        assert sorted(names) == ["Brousse et îles", "Grand Nouméa", "Nouméa"]
        grouped = request.db.scalar(sa.select(sa.func.count()).select_from(Assignment)
                                    .where(Assignment.group_id.is_not(None)))  # fmt: skip
        total = request.db.scalar(sa.select(sa.func.count()).select_from(Application)
                                  .where(Application.procedure_id == procedure.id))  # fmt: skip
        assert grouped == total
        agent = request.find_service(IAccounts).by_login("agent")
        assert len(waiting_for_me(request.db, agent.id)) == 8


def test_assign_then_transfer_with_a_message_mails_the_colleague_and_is_audited(
    registry: Registry, people: dict[str, int]
) -> None:
    with transaction_scope(registry) as request:
        as_agent(request, people["lea"])
        service = request.find_service(IAssignments)
        application = the_application(request)
        service.assign(application, people["lea"])  # "Me l'attribuer"
        with pytest.raises(Invalid) as refused:
            service.transfer(application, people["hugo"], "   ")
        assert refused.value.errors["message"] == "Le message à votre collègue est obligatoire."
        service.transfer(application, people["hugo"], "Le RIB est à vérifier avec la banque.")
        assignment = request.db.get(Assignment, application.id)
        assert assignment.assignee_id == people["hugo"]
        followers = set(
            request.db.scalars(sa.select(Follower.account_id).where(Follower.application_id == application.id))
        )
        assert followers == {people["lea"], people["hugo"]}
        assert audited(request, "aids:application:assign") == [f"Demande {RECEIPT} attribuée à Lea."]
        assert audited(request, "aids:application:transfer") == [f"Demande {RECEIPT} transmise à Hugo."]
        with pytest.raises(Refused) as not_mine:  # Léa no longer holds it
            service.transfer(application, people["lea"], "Retour")
        assert not_mine.value.status == 403
    [mail] = [m for m in delivered_mail(registry) if m["Subject"] == f"Une demande vous est transmise : {RECEIPT}"]
    assert mail["To"] == "hugo@example.nc"


def test_only_an_instructor_of_the_directorate_gets_or_gives_a_file(registry: Registry, people: dict[str, int]) -> None:
    with transaction_scope(registry) as request:
        as_agent(request, people["lea"])
        service = request.find_service(IAssignments)
        application = the_application(request)
        for somebody in ("paul", "kenji"):  # a validator; an agent of another directorate
            with pytest.raises(Refused) as refused:
                service.assign(application, people[somebody])
            assert refused.value.status == 403
        as_agent(request, people["paul"])
        with pytest.raises(Refused) as refused:
            service.assign(application, people["lea"])
        assert refused.value.status == 403 and "instructeur" in refused.value.message


def test_followers_are_mailed_the_applicants_messages_and_others_transitions(
    registry: Registry, people: dict[str, int]
) -> None:
    take(registry, people["lea"], "instruire")  # taken in hand: Léa follows it
    with transaction_scope(registry) as request:
        as_agent(request, people["hugo"])
        application = the_application(request)
        request.find_service(IAssignments).follow(application)
        assert audited(request, "aids:application:follow") == [f"Hugo suit la demande {RECEIPT}."]
    with transaction_scope(registry) as request:  # the applicant, through their private link
        request.find_service(IMessages).write(the_application(request), APPLICANT, "Mon attestation.", [], None)
    take(registry, people["lea"], "proposer", "Éligible : 200 000 F CFP.")
    subjects = [(mail["To"], mail["Subject"]) for mail in delivered_mail(registry)]
    for address in ("lea@example.nc", "hugo@example.nc"):
        assert (address, f"Message du demandeur : {RECEIPT}") in subjects
    assert ("hugo@example.nc", f"Demande {RECEIPT} : Proposer une décision") in subjects
    assert ("lea@example.nc", f"Demande {RECEIPT} : Proposer une décision") not in subjects  # her own
    with transaction_scope(registry) as request:
        as_agent(request, people["hugo"])
        request.find_service(IAssignments).follow(the_application(request), following=False)
        assert audited(request, "aids:application:follow")[-1] == f"Hugo ne suit plus la demande {RECEIPT}."


def test_badges_say_what_changed_since_the_agent_last_opened_the_file(
    registry: Registry, people: dict[str, int]
) -> None:
    with transaction_scope(registry) as request:
        application = the_application(request)
        request.find_service(IMessages).write(application, APPLICANT, "Une question.", [], None)
        application_id = application.id
    take(registry, people["hugo"], "instruire")
    with transaction_scope(registry) as request:
        assert badges_for(request.db, people["lea"], [application_id]) == {application_id: ["message", "transition"]}
        assert badges_for(request.db, people["hugo"], [application_id]) == {application_id: ["message"]}  # his own
        as_agent(request, people["lea"])
        request.find_service(IAssignments).seen(the_application(request))
        request.find_service(IAssignments).seen(the_application(request))  # twice is once
    with transaction_scope(registry) as request:
        assert badges_for(request.db, people["lea"], [application_id]) == {}


def test_the_widgets_count_my_waiting_files_and_the_proposals_i_may_validate(
    registry: Registry, people: dict[str, int]
) -> None:
    with transaction_scope(registry) as request:
        as_agent(request, people["lea"])
        request.find_service(IAssignments).assign(the_application(request), people["lea"])
    take(registry, people["lea"], "instruire")
    with transaction_scope(registry) as request:
        assert [a.receipt for a in waiting_for_me(request.db, people["lea"])] == [RECEIPT]
    take(registry, people["lea"], "proposer", "Éligible.")
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        procedures = [business(request)]
        assert waiting_for_me(request.db, people["lea"]) == []  # proposed: it waits for a validator
        assert [a.receipt for a in to_validate(request, procedures, accounts.by_id(people["paul"]))] == [RECEIPT]
        assert to_validate(request, procedures, accounts.by_id(people["lea"])) == []  # not a validator
        assert to_validate(request, procedures, accounts.by_id(people["kenji"])) == []  # another directorate


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_two_instructors_taking_one_file_at_once_give_one_assignment(
    registry: Registry, people: dict[str, int]
) -> None:
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def take_it(who: int) -> None:
        barrier.wait()
        try:
            with transaction_scope(registry) as request:
                as_agent(request, who)
                request.find_service(IAssignments).assign(the_application(request), who)
        except Exception as error:
            errors.append(error)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(take_it, [people["lea"], people["hugo"]]))
    assert errors == []
    with transaction_scope(registry) as request:
        application = the_application(request)
        rows = request.db.scalars(sa.select(Assignment).where(Assignment.application_id == application.id)).all()
        assert len(rows) == 1 and rows[0].assignee_id in (people["lea"], people["hugo"])
        assert len(audited(request, "aids:application:assign")) == 2


# -- the pages --


def signed_in(app: webtest.TestApp, login_name: str) -> webtest.TestApp:
    login(app, login_name, PASSWORD)
    return app


def test_the_application_page_assigns_follows_and_clears_the_badges(
    app: webtest.TestApp, registry: Registry, people: dict[str, int]
) -> None:
    with transaction_scope(registry) as request:
        procedure_id = business(request).id
        request.find_service(IMessages).write(the_application(request), APPLICANT, "Une question.", [], None)
    signed_in(app, "lea")
    listing = app.get(f"/intranet/demarches/{procedure_id}/demandes", {"q": RECEIPT})
    assert "nouveau : message" in listing.html.select_one("#demandes tbody tr").text
    page = app.get(f"/intranet/demarches/{procedure_id}/demandes/{RECEIPT}")
    assert page.html.select_one("#groupe-instructeur").text.strip() in ("Nouméa", "Grand Nouméa", "Brousse et îles")
    page = page.forms[next(k for k, f in page.forms.items() if f.action.endswith("/attribution/moi"))].submit().follow()
    assert page.html.select_one("#attribuee-a").text.strip() == "Lea"
    assert "Lea" in page.html.select_one("#suivie-par").text
    form = page.forms["formulaire-transmettre"]
    refused = form.submit(status=400)
    assert refused.html.select_one("#erreur-message").text == "Le message à votre collègue est obligatoire."
    assert refused.html.select_one("#champ-message")["aria-describedby"] == "erreur-message"
    listing = app.get(f"/intranet/demarches/{procedure_id}/demandes", {"q": RECEIPT})
    assert "nouveau" not in listing.html.select_one("#demandes tbody tr").text
    mine = app.get("/intranet/demarches/mes-dossiers")
    assert [a.text for a in mine.html.select("#mes-dossiers td:first-child a")] == [RECEIPT]
    home = app.get("/intranet/")
    assert "Mes dossiers en attente" in home.text and "En attente de ma validation" in home.text


def test_the_list_shows_a_members_groups_by_default_and_everything_on_demand(
    app: webtest.TestApp, registry: Registry, people: dict[str, int]
) -> None:
    with transaction_scope(registry) as request:
        procedure = business(request)
        [noumea] = [group for group in groups_of(request.db, procedure.id) if group.name == "Nouméa"]
        request.find_service(IInstructorGroups).save(procedure, "Nouméa", "commune", ["Nouméa"], [people["lea"]],
                                                     group=noumea)  # fmt: skip
        in_noumea = set(request.db.scalars(sa.select(Application.receipt).join(Assignment, Assignment.application_id
                                                                                == Application.id)
                                           .where(Assignment.group_id == noumea.id)))  # fmt: skip
    signed_in(app, "lea")
    path = f"/intranet/demarches/{procedure.id}/demandes"
    mine = app.get(path)
    assert mine.html.select_one("#champ-groupes option[selected]")["value"] == "miens"
    listed = {link.text for link in mine.html.select("#demandes td:first-child a")}
    assert listed and listed <= in_noumea
    everything = app.get(path, {"groupes": "toutes"})
    assert everything.html.select_one("#champ-groupes option[selected]")["value"] == "toutes"
    assert {link.text for link in everything.html.select("#demandes td:first-child a")} - in_noumea


def test_the_designer_defines_a_group_on_its_page(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:
    with transaction_scope(registry) as request:
        procedure_id = business(request).id
    login(app, "agent", "demo-agent-2026")
    page = app.get(f"/intranet/demarches/{procedure_id}/groupes")
    form = page.forms["formulaire-groupe"]
    form["nom"] = "Commerce"
    refused = form.submit(status=400)
    assert refused.html.select_one("#erreur-champ").text.startswith("Choisissez le champ")
    form = refused.forms["formulaire-groupe"]
    form["champ"], form["valeurs"] = "secteur", "Commerce\nTourisme"
    saved = form.submit().follow()
    assert "Commerce — Secteur d'activité : Commerce, Tourisme" in " ".join(
        saved.html.select_one("#groupes").text.split()
    )


def test_the_badges_of_a_page_of_fifty_files_are_one_query(registry: Registry, people: dict[str, int]) -> None:
    with transaction_scope(registry) as request:
        ids = list(request.db.scalars(sa.select(Application.id).where(Application.procedure_id == business(request).id)
                                      .order_by(Application.id).limit(50)))  # fmt: skip
        request.find_service(IMessages).write(request.db.get(Application, ids[3]), APPLICANT, "Bonjour.", [], None)
    with transaction_scope(registry) as request:
        statements: list[str] = []
        engine = request.db.get_bind()

        def counted(*args: Any) -> None:
            statements.append(args[2])

        sa.event.listen(engine, "before_cursor_execute", counted)
        try:
            found = badges_for(request.db, people["lea"], ids)
        finally:
            sa.event.remove(engine, "before_cursor_execute", counted)
        assert found == {ids[3]: ["message"]}
        assert len(statements) == 1
