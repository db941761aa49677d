from cagou.testing import login


def test_home(app):
    page = app.get("/")
    assert "Services en ligne" in page.text


def test_login_admin(app, registry):
    from cagou.db import transaction_scope
    from cagou.demo import load_demo
    with transaction_scope(registry) as request:
        load_demo(request)
    page = login(app, "admin", "demo-admin-2026")
    assert "Mon espace" in page.text, page.text
    page = app.get("/intranet/console/")
    assert "Module d'exemple" in page.text
    print(page.text)
