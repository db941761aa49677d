"""The badge « nouveau : avis »: an expert opinion answered since the agent last opened the file, a confidential
one for its asker only; still one query with the other kinds."""

from __future__ import annotations

import sqlalchemy as sa
import webtest
from cagou_aids.assignment import badges_for
from cagou_aids.interfaces import IOpinions
from cagou_aids.models import Application
from cagou_aids.models.opinions import Opinion
from pyramid.registry import Registry
from test_opinions import EXPERT, agent, ask, case, clock, mailed_link, path_of  # noqa: F401  (case, clock: fixtures)

from cagou.clock import FrozenClock
from cagou.kit import IAccounts, transaction_scope


def ids(registry: Registry, receipt: str, *logins: str) -> tuple[int, list[int]]:
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application).where(Application.receipt == receipt)).one()
        accounts = request.find_service(IAccounts)
        return application.id, [accounts.by_login(login).id for login in logins]


def answered(registry: Registry, text: str) -> None:
    token = path_of(mailed_link(registry)).rsplit("/", 1)[1]
    with transaction_scope(registry) as request:
        opinions = request.find_service(IOpinions)
        opinions.answer(opinions.by_token(token), True, text, [], None)


def test_an_answered_opinion_badges_the_file_until_the_agent_opens_it(
    app: webtest.TestApp,
    registry: Registry,
    case: dict[str, object],  # noqa: F811  (the fixtures imported above)
    clock: FrozenClock,  # noqa: F811
) -> None:
    colleague = agent(app, registry, "collegue", [("aids:instructor", "DEFE-SAE")])
    application_id, (asker, other) = ids(registry, str(case["receipt"]), "instructrice", "collegue")
    clock.advance(minutes=2)
    ask(case, destinataire="expert", courriel=EXPERT, visibilite="partage")
    with transaction_scope(registry) as request:
        assert badges_for(request.db, asker, [application_id]) == {}  # asked, not answered: nothing new
    clock.advance(minutes=2)
    answered(registry, "Oui, un motif médical.")
    with transaction_scope(registry) as request:
        assert badges_for(request.db, asker, [application_id]) == {application_id: ["avis"]}
        assert badges_for(request.db, other, [application_id]) == {application_id: ["avis"]}
    colleague.get(str(case["path"]))  # opening the page clears it, for that agent only
    with transaction_scope(registry) as request:
        assert badges_for(request.db, other, [application_id]) == {}
        assert badges_for(request.db, asker, [application_id]) == {application_id: ["avis"]}


def test_a_confidential_opinion_badges_its_asker_only(
    app: webtest.TestApp,
    registry: Registry,
    case: dict[str, object],  # noqa: F811  (the fixtures imported above)
    clock: FrozenClock,  # noqa: F811
) -> None:
    agent(app, registry, "collegue", [("aids:instructor", "DEFE-SAE")])
    application_id, (asker, other) = ids(registry, str(case["receipt"]), "instructrice", "collegue")
    clock.advance(minutes=2)
    ask(case, destinataire="expert", courriel=EXPERT, visibilite="confidentiel")
    clock.advance(minutes=2)
    answered(registry, "Non.")
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(Opinion.visibility)).one() == "confidentiel"
        assert badges_for(request.db, asker, [application_id]) == {application_id: ["avis"]}
        assert badges_for(request.db, other, [application_id]) == {}
