"""The knowledge base and the canned answers.

Agents read and search the published articles, never the drafts; technicians
write, edit, publish and unpublish; an article's text never becomes HTML.
Technicians manage the canned answers, which the ticket page offers through
a small fragment.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token
from cagou_helpdesk import knowledge, queries
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import Article, CannedAnswer, Category

ARTICLES = "/intranet/assistance/articles"
CANNED = "/intranet/assistance/reponses-types"
HTMX = {"HX-Request": "true"}


def text_of(element) -> str:
    return " ".join(element.get_text(" ").split())


def flashed(page: webtest.TestResponse) -> list[str]:
    return [text_of(message) for message in page.html.find_all("p", class_="alert-ok")]


def post(app: webtest.TestApp, url: str, data: dict[str, str], status: int | str = 303) -> webtest.TestResponse:
    token = csrf_token(app.get("/intranet/"))
    return app.post(url, {"csrf_token": token, **data}, status=status)


def error_of(page: webtest.TestResponse, field: str) -> str:
    message = page.html.find(id=f"erreur-{field}")
    assert message is not None, f"no error next to {field}"
    control = page.html.find(id=f"champ-{field}")
    assert f"erreur-{field}" in control["aria-describedby"].split()
    assert control["aria-invalid"] == "true"
    return message.text.strip()


def listed_titles(page: webtest.TestResponse) -> list[str]:
    return [link.text for list_ in page.html.find_all("ul", class_="article-list") for link in list_.find_all("a")]


def articles_in(registry) -> dict[str, tuple[bool, str, str | None]]:
    """title -> (published, body, category path)."""
    with transaction_scope(registry) as request:
        return {
            a.title: (a.published, a.body, a.category.path if a.category else None)
            for a in request.db.scalars(sa.select(Article))
        }


def audit_entries(registry, action: str) -> list[tuple[str, str | None, dict | None]]:
    with transaction_scope(registry) as request:
        rows = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(row.summary, row.object_id, row.changes) for row in rows]


# --- Reading ------------------------------------------------------------------------------------------------------


def test_an_agent_sees_the_published_articles_only(app, sign_in, helpdesk):
    sign_in("agent")
    page = app.get(f"{ARTICLES}/")
    assert listed_titles(page) == ["Configurer le VPN à la maison"]
    assert "Brouillon" not in page.text
    assert page.html.find("a", href="/intranet/assistance/articles/nouveau") is None
    assert listed_titles(app.get(f"{ARTICLES}/", {"q": "VPN"})) == ["Configurer le VPN à la maison"]
    assert listed_titles(app.get(f"{ARTICLES}/", {"q": "secours"})) == []


def test_an_agent_gets_404_on_a_draft(app, sign_in, helpdesk):
    sign_in("agent")
    app.get(f"{ARTICLES}/{helpdesk.articles['brouillon']}", status=404)
    app.get(f"{ARTICLES}/9999", status=404)
    page = app.get(f"{ARTICLES}/{helpdesk.articles['vpn']}")
    assert page.html.find("h1").text == "Configurer le VPN à la maison"
    assert page.html.find(id="gestion-titre") is None


@pytest.mark.parametrize(
    "url",
    [f"{ARTICLES}/nouveau", f"{ARTICLES}/{{vpn}}/modifier", f"{CANNED}/", f"{CANNED}/choix?ticket=1"],
)
def test_an_agent_cannot_write(app, sign_in, helpdesk, url):
    sign_in("agent")
    app.get(url.format(vpn=helpdesk.articles["vpn"]), status=403)


def test_an_agent_cannot_publish_nor_post(app, sign_in, helpdesk, registry):
    sign_in("agent")
    post(app, f"{ARTICLES}/{helpdesk.articles['brouillon']}/publication", {"published": "1"}, status=403)
    post(app, f"{ARTICLES}/nouveau", {"title": "Pirate", "body": "Texte"}, status=403)
    post(app, f"{CANNED}/", {"title": "Pirate", "body": "Texte"}, status=403)
    assert articles_in(registry)["Brouillon sur le VPN de secours"][0] is False
    assert "Pirate" not in articles_in(registry)


def test_a_technician_sees_the_drafts_apart(app, sign_in, helpdesk):
    sign_in("tech1")
    page = app.get(f"{ARTICLES}/", {"q": "VPN"})
    assert listed_titles(page) == ["Brouillon sur le VPN de secours", "Configurer le VPN à la maison"]
    headings = [h2.text for h2 in page.html.find(id="resultats-articles").find_all("h2")]
    assert headings == ["Brouillons (visibles des seuls techniciens)", "Articles publiés"]
    draft = app.get(f"{ARTICLES}/{helpdesk.articles['brouillon']}")
    assert text_of(draft.html.find("h1")) == "Brouillon sur le VPN de secours Brouillon"


def test_search_needs_a_word_of_three_letters(app, sign_in, helpdesk):
    sign_in("agent")
    page = app.get(f"{ARTICLES}/", {"q": "le la"})
    assert "Tapez au moins un mot de trois lettres." in text_of(page.html.find(id="resultats-articles"))
    page = app.get(f"{ARTICLES}/", {"q": "imprimante"})
    assert text_of(page.html.find(id="resultats-articles")) == "Aucun article ne contient « imprimante »."


def test_htmx_gets_the_results_alone(app, sign_in, helpdesk):
    sign_in("agent")
    page = app.get(f"{ARTICLES}/", {"q": "maison"}, headers=HTMX)
    assert "<html" not in page.text and "<main" not in page.text
    assert listed_titles(page) == ["Configurer le VPN à la maison"]
    assert text_of(page.html.find("p")) == "Articles contenant « maison » : 1."
    field = app.get(f"{ARTICLES}/").html.find(id="champ-q")
    assert field["hx-get"] == f"{ARTICLES}/" and field["hx-target"] == "#resultats-articles"


def test_the_body_is_plain_text_in_paragraphs(app, sign_in, helpdesk, registry):
    body = (
        "Ouvrez le client <b>VPN</b>.\r\n"
        "Tapez votre identifiant.\r\n\r\n\r\n"
        '<script>alert("pris")</script> & <a href="http://mal.example">ici</a>\n  \n'
        "Fin."
    )
    with transaction_scope(registry) as request:
        article = request.db.get_one(Article, helpdesk.articles["vpn"])
        article.body = body
    sign_in("agent")
    page = app.get(f"{ARTICLES}/{helpdesk.articles['vpn']}")
    container = page.html.find("div", class_="kb-body")
    paragraphs = container.find_all("p")
    assert [p.get_text() for p in paragraphs] == [
        "Ouvrez le client <b>VPN</b>.Tapez votre identifiant.",
        '<script>alert("pris")</script> & <a href="http://mal.example">ici</a>',
        "Fin.",
    ]
    assert [tag.name for tag in container.find_all(True)] == ["p", "br", "p", "p"]
    assert "&lt;script&gt;alert(&#34;pris&#34;)&lt;/script&gt; &amp; &lt;a href=" in page.text
    assert "<script>alert" not in page.text


def test_paragraphs_split_on_blank_lines():
    assert knowledge.paragraphs("Un\ndeux\n\n  trois  \n \t\nquatre\n") == [["Un", "deux"], ["trois"], ["quatre"]]
    assert knowledge.paragraphs(" \n\n ") == []


# --- Writing ------------------------------------------------------------------------------------------------------


def test_a_technician_writes_a_draft_then_publishes_it(app, sign_in, helpdesk, registry):
    sign_in("tech1")
    page = post(
        app,
        f"{ARTICLES}/nouveau",
        {"title": "  Réinitialiser   son mot de passe ", "body": "Allez sur le portail.\r\n\r\nSuivez le lien.",
         "category": str(helpdesk.categories["comptes"])},
    ).follow()  # fmt: skip
    assert flashed(page) == [
        "Article « Réinitialiser son mot de passe » enregistré comme brouillon : publiez-le quand il est prêt."
    ]
    assert articles_in(registry)["Réinitialiser son mot de passe"] == (
        False,
        "Allez sur le portail.\n\nSuivez le lien.",
        "Comptes et accès",
    )
    with transaction_scope(registry) as request:
        created = request.db.scalars(sa.select(Article).where(Article.title.startswith("Réinit"))).one()
        article_id, author = created.id, created.author.login
        assert queries.search_articles(request, "mot de passe") == []
    assert author == "tech1"
    sign_in("agent")
    app.get(f"{ARTICLES}/{article_id}", status=404)
    sign_in("tech1")
    page = post(app, f"{ARTICLES}/{article_id}/publication", {"published": "1"}).follow()
    assert flashed(page) == [
        "Article « Réinitialiser son mot de passe » publié : les agents le voient et la recherche le propose."
    ]
    with transaction_scope(registry) as request:
        assert [a.id for a in queries.search_articles(request, "mot de passe")] == [article_id]
    sign_in("agent")
    assert listed_titles(app.get(f"{ARTICLES}/", {"q": "passe"})) == ["Réinitialiser son mot de passe"]
    app.get(f"{ARTICLES}/{article_id}", status=200)
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:article:create")
    assert (summary, object_id) == ("Article « Réinitialiser son mot de passe » rédigé (brouillon).", str(article_id))
    assert changes == {
        "before": None,
        "after": {"title": "Réinitialiser son mot de passe", "category": "Comptes et accès", "published": False,
                  "length": 38},
    }  # fmt: skip
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:article:publish")
    assert summary == "Article « Réinitialiser son mot de passe » publié."
    assert changes == {"before": {"published": False}, "after": {"published": True}}


def test_unpublishing_hides_the_article_from_agents(app, sign_in, helpdesk, registry):
    sign_in("tech2")
    page = post(app, f"{ARTICLES}/{helpdesk.articles['vpn']}/publication", {"published": "0"}).follow()
    assert flashed(page) == ["Article « Configurer le VPN à la maison » retiré : seuls les techniciens le voient."]
    assert articles_in(registry)["Configurer le VPN à la maison"][0] is False
    [(summary, _, _)] = audit_entries(registry, "helpdesk:article:unpublish")
    assert summary == "Article « Configurer le VPN à la maison » retiré de la publication."
    sign_in("agent")
    app.get(f"{ARTICLES}/{helpdesk.articles['vpn']}", status=404)
    assert listed_titles(app.get(f"{ARTICLES}/")) == []


def test_publish_takes_0_or_1(app, sign_in, helpdesk, registry):
    sign_in("tech1")
    post(app, f"{ARTICLES}/{helpdesk.articles['brouillon']}/publication", {"published": "oui"}, status=400)
    assert articles_in(registry)["Brouillon sur le VPN de secours"][0] is False


def test_editing_an_article(app, sign_in, helpdesk, registry):
    sign_in("tech2")
    vpn = helpdesk.articles["vpn"]
    form = app.get(f"{ARTICLES}/{vpn}/modifier")
    assert form.html.find(id="champ-title")["value"] == "Configurer le VPN à la maison"
    assert form.html.find(id="champ-category").find("option", selected=True).text == "Réseau > VPN"
    page = post(
        app,
        f"{ARTICLES}/{vpn}/modifier",
        {"title": "Le VPN depuis la maison", "body": "Nouveau texte.", "category": ""},
    )
    assert flashed(page.follow()) == ["Article « Le VPN depuis la maison » enregistré."]
    assert articles_in(registry)["Le VPN depuis la maison"] == (True, "Nouveau texte.", None)
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:article:update")
    assert summary == "Article « Le VPN depuis la maison » modifié."
    assert changes["before"] == {
        "title": "Configurer le VPN à la maison", "category": "Réseau > VPN", "published": True, "length": 76,
    }  # fmt: skip
    assert changes["after"] == {"title": "Le VPN depuis la maison", "category": None, "published": True, "length": 14}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "body": "Texte"}, "title", "Le titre est obligatoire."),
        ({"title": "x" * 201, "body": "Texte"}, "title",
         "Le titre fait 200 caractères au plus (vous en avez saisi 201)."),
        ({"title": "Titre", "body": "  \r\n "}, "body", "Le texte de l'article est obligatoire."),
        ({"title": "Titre", "body": "Texte", "category": "9999"}, "category",
         "Choisissez une catégorie de la liste, ou aucune."),
        ({"title": "Titre", "body": "Texte", "category": "abc"}, "category",
         "Choisissez une catégorie de la liste, ou aucune."),
    ],
)  # fmt: skip
def test_a_bad_article_is_refused_next_to_the_field(app, sign_in, helpdesk, registry, data, field, message):
    sign_in("tech1")
    page = post(app, f"{ARTICLES}/nouveau", data, status=400)
    assert error_of(page, field) == message
    assert page.html.title.text.startswith("Erreur")
    assert set(articles_in(registry)) == {"Configurer le VPN à la maison", "Brouillon sur le VPN de secours"}
    assert audit_entries(registry, "helpdesk:article:create") == []


def test_a_bad_edit_keeps_the_article_and_what_was_typed(app, sign_in, helpdesk, registry):
    sign_in("tech1")
    vpn = helpdesk.articles["vpn"]
    page = post(app, f"{ARTICLES}/{vpn}/modifier", {"title": "y" * 201, "body": "Mon nouveau texte"}, status=400)
    assert error_of(page, "title") == "Le titre fait 200 caractères au plus (vous en avez saisi 201)."
    assert page.html.find(id="champ-body").text == "Mon nouveau texte"
    assert articles_in(registry)["Configurer le VPN à la maison"][1].startswith("Installez le client VPN")


def test_an_inactive_category_is_refused_for_an_article_unless_it_already_has_it(app, sign_in, helpdesk, registry):
    with transaction_scope(registry) as request:
        request.db.get_one(Category, helpdesk.categories["vpn"]).active = False
    sign_in("tech1")
    vpn = str(helpdesk.categories["vpn"])
    page = post(app, f"{ARTICLES}/nouveau", {"title": "Titre", "body": "Texte", "category": vpn}, status=400)
    assert error_of(page, "category") == "Choisissez une catégorie de la liste, ou aucune."
    assert vpn not in [
        o["value"] for o in app.get(f"{ARTICLES}/nouveau").html.find(id="champ-category").find_all("option")
    ]
    article = helpdesk.articles["vpn"]
    post(app, f"{ARTICLES}/{article}/modifier", {"title": "VPN à la maison", "body": "Texte", "category": vpn})
    assert articles_in(registry)["VPN à la maison"][2] == "Réseau > VPN"


# --- Canned answers -----------------------------------------------------------------------------------------------


def canned_in(registry) -> dict[str, str]:
    with transaction_scope(registry) as request:
        return {answer.title: answer.body for answer in request.db.scalars(sa.select(CannedAnswer))}


def add_canned(registry, title: str, body: str) -> int:
    with transaction_scope(registry) as request:
        answer = CannedAnswer(title=title, body=body)
        request.db.add(answer)
        request.db.flush()
        return answer.id


def test_a_technician_creates_edits_and_deletes_a_canned_answer(app, sign_in, helpdesk, registry):
    sign_in("tech1")
    page = post(
        app,
        f"{CANNED}/",
        {"title": "Mot de passe réinitialisé", "body": "Bonjour,\r\nvotre mot de passe est réinitialisé."},
    )
    assert flashed(page.follow()) == ["Réponse type « Mot de passe réinitialisé » créée."]
    assert canned_in(registry) == {"Mot de passe réinitialisé": "Bonjour,\nvotre mot de passe est réinitialisé."}
    listing = app.get(f"{CANNED}/").html.find("table")
    assert listing.find("caption").text == "Les réponses types, par titre"
    assert [row.find("th").text for row in listing.find("tbody").find_all("tr")] == ["Mot de passe réinitialisé"]
    with transaction_scope(registry) as request:
        answer_id = request.db.scalar(sa.select(CannedAnswer.id))
    post(app, f"{CANNED}/{answer_id}", {"title": "Mot de passe changé", "body": "C'est fait."})
    assert canned_in(registry) == {"Mot de passe changé": "C'est fait."}
    page = post(app, f"{CANNED}/{answer_id}/supprimer", {}).follow()
    assert flashed(page) == ["Réponse type « Mot de passe changé » supprimée."]
    assert canned_in(registry) == {}
    actions = [(action, summary) for action in ("create", "update", "delete")
               for summary, _, _ in audit_entries(registry, f"helpdesk:canned_answer:{action}")]  # fmt: skip
    assert actions == [
        ("create", "Réponse type « Mot de passe réinitialisé » créée."),
        ("update", "Réponse type « Mot de passe changé » modifiée."),
        ("delete", "Réponse type « Mot de passe changé » supprimée."),
    ]
    [(_, _, changes)] = audit_entries(registry, "helpdesk:canned_answer:update")
    assert changes == {
        "before": {"title": "Mot de passe réinitialisé", "body": "Bonjour,\nvotre mot de passe est réinitialisé."},
        "after": {"title": "Mot de passe changé", "body": "C'est fait."},
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "body": "Texte"}, "title", "Le titre est obligatoire."),
        ({"title": "t" * 201, "body": "Texte"}, "title",
         "Le titre fait 200 caractères au plus (vous en avez saisi 201)."),
        ({"title": "Titre", "body": ""}, "body", "Le texte de la réponse est obligatoire."),
        ({"title": "VPN RÉTABLI", "body": "Texte"}, "title",
         "Une réponse type s'intitule déjà « VPN rétabli » : choisissez un autre titre."),
    ],
)  # fmt: skip
def test_a_bad_canned_answer_is_refused_next_to_the_field(app, sign_in, helpdesk, registry, data, field, message):
    add_canned(registry, "VPN rétabli", "Le VPN fonctionne de nouveau.")
    sign_in("tech2")
    page = post(app, f"{CANNED}/", data, status=400)
    assert error_of(page, field) == message
    assert canned_in(registry) == {"VPN rétabli": "Le VPN fonctionne de nouveau."}


def test_renaming_a_canned_answer_onto_another_is_refused(app, sign_in, helpdesk, registry):
    first = add_canned(registry, "VPN rétabli", "Le VPN fonctionne.")
    add_canned(registry, "Imprimante", "Redémarrez-la.")
    sign_in("tech1")
    page = post(app, f"{CANNED}/{first}", {"title": "imprimante", "body": "x"}, status=400)
    assert error_of(page, "title") == "Une réponse type s'intitule déjà « Imprimante » : choisissez un autre titre."
    assert canned_in(registry) == {"VPN rétabli": "Le VPN fonctionne.", "Imprimante": "Redémarrez-la."}


def test_the_choice_fragment_offers_each_canned_answer_for_the_ticket(app, sign_in, helpdesk, registry):
    vpn = add_canned(registry, "VPN rétabli", "Le VPN fonctionne de nouveau.")
    printer = add_canned(registry, "Imprimante", "Redémarrez-la.")
    sign_in("tech1")
    fragment = app.get(f"{CANNED}/choix", {"ticket": "42"}, headers=HTMX)
    assert "<html" not in fragment.text
    links = fragment.html.find_all("a", class_="canned-link")
    assert [link.text for link in links] == ["Imprimante", "VPN rétabli"]
    url = f"/intranet/assistance/tickets/42?reponse_type={vpn}#reponse"
    assert links[1]["href"] == url
    assert (links[1]["hx-get"], links[1]["hx-select"], links[1]["hx-target"], links[1]["hx-swap"]) == (
        url, "#reponse", "#reponse", "outerHTML"
    )  # fmt: skip
    assert fragment.html.find_all("span", class_="canned-excerpt")[0].text == "Redémarrez-la."
    filtered = app.get(f"{CANNED}/choix", {"ticket": "42", "q": "impri"}, headers=HTMX)
    assert [link.text for link in filtered.html.find_all("a", class_="canned-link")] == ["Imprimante"]
    whole = app.get(f"{CANNED}/choix", {"ticket": "42"})
    assert whole.html.find("h1").text == "Réponses types" and len(whole.html.find_all("a", class_="canned-link")) == 2
    app.get(f"{CANNED}/choix", status=400)
    app.get(f"{CANNED}/choix", {"ticket": "abc"}, status=400)
    with transaction_scope(registry) as request:
        assert knowledge.canned_answer_text(request, str(printer)) == "Redémarrez-la."
        assert knowledge.canned_answer_text(request, "9999") == ""
        assert knowledge.canned_answer_text(request, "<x>") == ""


def test_the_global_search_links_to_a_published_article(app, sign_in, helpdesk):
    sign_in("agent")
    page = app.get("/intranet/recherche", {"q": "VPN maison"})
    link = page.html.find("a", href=f"{ARTICLES}/{helpdesk.articles['vpn']}")
    assert link is not None and link.text.strip() == "Configurer le VPN à la maison"
    assert app.get(link["href"]).status_int == 200


def test_the_ticket_page_offers_the_canned_answers_with_a_filter(app, sign_in, helpdesk, registry):
    add_canned(registry, "VPN rétabli", "Le VPN fonctionne de nouveau.")
    printer = add_canned(registry, "Imprimante", "Redémarrez-la.")
    with transaction_scope(registry) as request:
        agent = request.find_service(IAccounts).by_login("agent")
        data = TicketInput(title="Imprimante bloquée", description="Elle clignote.", category="Logiciels")
        ticket_id = request.find_service(ITickets).open(data, agent).id
    sign_in("tech1")
    page = app.get(f"/intranet/assistance/tickets/{ticket_id}")
    links = page.html.select("details.canned a.canned-link")
    assert [link.text for link in links] == ["Imprimante", "VPN rétabli"]
    search = page.html.find("input", id="reponses-types-filtre")
    assert page.html.find("label", attrs={"for": "reponses-types-filtre"}).text == "Filtrer par titre"
    assert search["hx-get"] == f"{CANNED}/choix" and search["hx-target"] == "#reponses-types"
    # Without JavaScript, the filter's form opens the list on a page of its own, filtered.
    form = page.forms[next(key for key, form in page.forms.items() if form.action == f"{CANNED}/choix")]
    form["q"] = "impri"
    filtered = form.submit()
    assert [link.text for link in filtered.html.find_all("a", class_="canned-link")] == ["Imprimante"]
    chosen = filtered.click("Imprimante")
    assert chosen.html.find("textarea", attrs={"name": "body"}).text.strip() == "Redémarrez-la."
    assert f"reponse_type={printer}" in chosen.request.url


def test_the_requester_sees_no_canned_answers(app, sign_in, helpdesk, registry):
    add_canned(registry, "VPN rétabli", "Le VPN fonctionne de nouveau.")
    with transaction_scope(registry) as request:
        agent = request.find_service(IAccounts).by_login("agent")
        data = TicketInput(title="VPN coupé", description="Depuis ce matin.", category="Logiciels")
        ticket_id = request.find_service(ITickets).open(data, agent).id
    sign_in("agent")
    page = app.get(f"/intranet/assistance/tickets/{ticket_id}")
    assert page.html.select("details.canned") == []


# ---------------------------------------------------------------------------
# Suggestions by relevance (the database's own full-text search)
# ---------------------------------------------------------------------------


def suggested(app: webtest.TestApp, title: str) -> list[str]:
    fragment = app.get("/intranet/assistance/suggestions", {"title": title}, headers={"HX-Request": "true"})
    return [link.text for link in fragment.html.find_all("a")]


@pytest.fixture
def demo_articles(app, registry, clock):
    """The demonstration's knowledge base (VPN, laptops, Teams, passwords, Wi-Fi…), read by a demo agent."""
    from cagou.demo import load_demo
    from cagou.testing import login

    with transaction_scope(registry) as request:
        load_demo(request)
    login(app, "agent", "demo-agent-2026")


def test_a_printer_jam_is_offered_nothing_rather_than_unrelated_articles(app, demo_articles):
    """The walk through the demo typed a printer jam and got Teams, remote desktop, Wi-Fi, call forwarding…"""
    assert suggested(app, "L'imprimante ne marche plus : bourrage papier") == []
    assert suggested(app, "Imprimante du 2e étage en bourrage") == []
    assert suggested(app, "Bonjour, j'ai un problème depuis ce matin") == []


def test_suggestions_come_by_relevance(app, demo_articles):
    assert suggested(app, "Je n'arrive plus à me connecter au VPN depuis chez moi")[0] == (
        "Se connecter au VPN depuis chez soi"
    )
    assert suggested(app, "Mot de passe Windows oublié")[0] == "Réinitialiser son mot de passe Windows"
    teams = suggested(app, "Réunion Teams impossible")
    assert teams[0] == "Participer à une réunion Teams ou en visioconférence"
    assert "Réinitialiser son mot de passe Windows" not in teams


def test_an_edited_article_is_found_by_its_new_words(app, registry, sign_in, helpdesk):
    """The full-text index follows the article (SQLite: the FTS5 table's triggers)."""
    with transaction_scope(registry) as request:
        article = request.db.get_one(Article, helpdesk.articles["vpn"])
        article.title = "Débloquer une imprimante en bourrage"
        article.body = "Ouvrez le capot, retirez la feuille coincée."
    sign_in("agent")
    assert suggested(app, "Imprimante en bourrage") == ["Débloquer une imprimante en bourrage"]
    assert suggested(app, "VPN maison") == []
    with transaction_scope(registry) as request:
        request.db.delete(request.db.get_one(Article, helpdesk.articles["vpn"]))
    assert suggested(app, "Imprimante en bourrage") == []
