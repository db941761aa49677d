"""The plugin contract: discovery, isolation of broken modules, hook calls."""

from __future__ import annotations

import sys
from pathlib import Path

import pluggy
import pytest
import webtest

from cagou import configure
from cagou.interfaces import IAccounts
from cagou.plugins import CORE, Plugins, discover, get_plugins
from cagou.settings import normalize
from cagou.testing import login


def with_modules(settings: dict, *modules: str) -> dict:
    return {**settings, "cagou.plugins.extra": " ".join(modules)}


def test_core_and_listed_modules_are_loaded(registry):
    plugins = get_plugins(registry)
    assert [m.name for m in plugins.loaded()] == [CORE, "sample"]
    sample = plugins.modules["sample"]
    assert sample.title == "Module d'exemple"
    assert sample.version == "1.0"
    assert sample.package == "cagou_sample"


def discover_installed(tmp_path: Path, monkeypatch, entry_point: str) -> Plugins:
    """Install a distribution declaring ``entry_point`` in group cagou.plugins, then discover."""
    dist = tmp_path / "cagou_installed-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cagou-installed\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[cagou.plugins]\n{entry_point}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return discover(normalize({"here": str(tmp_path), "cagou.plugins.entry_points": "true"}))


def test_modules_are_found_through_the_entry_point_group(tmp_path, monkeypatch):
    """A distribution that declares a cagou.plugins entry point is loaded."""
    plugins = discover_installed(tmp_path, monkeypatch, "sample = cagou_sample")
    assert "sample" in plugins.modules
    assert not plugins.modules["sample"].broken


def test_entry_point_name_must_match_the_module_name(tmp_path, monkeypatch):
    plugins = discover_installed(tmp_path, monkeypatch, "other = cagou_sample")
    assert plugins.modules["other"].broken
    assert "sample" in (plugins.modules["other"].error or "")


def test_a_module_that_fails_to_import_is_shown_broken_and_the_rest_works(settings):
    config = configure(with_modules(settings, "cagou_sample", "cagou_broken"))
    plugins = get_plugins(config.registry)
    broken = plugins.modules["broken"]
    assert broken.broken
    assert "cagou_this_dependency_is_missing" in (broken.error or "")
    app = webtest.TestApp(config.make_wsgi_app())
    assert app.get("/").status_int == 200
    assert app.get("/exemple/").status_int == 200


def test_a_module_whose_includeme_raises_is_left_out_without_its_routes(settings):
    config = configure(with_modules(settings, "cagou_sample", "cagou_badinclude"))
    module = get_plugins(config.registry).modules["badinclude"]
    assert module.broken
    assert "badinclude.url" in (module.error or "")
    app = webtest.TestApp(config.make_wsgi_app())
    app.get("/intranet/mal-configure/", status=404)
    assert app.get("/exemple/").status_int == 200


def test_a_hook_that_raises_does_not_break_the_page(settings, registry):
    from cagou.db import transaction_scope
    from cagou.demo import load_demo

    config = configure(with_modules(settings, "cagou_sample", "cagou_faulty"))
    with transaction_scope(config.registry) as request:
        load_demo(request)
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")
    app = webtest.TestApp(config.make_wsgi_app())
    space = login(app, "agent", "demo-agent-2026")
    assert space.status_int == 200
    assert "Mon espace" in space.text
    assert "Mes notes d'exemple" in space.text  # the sample module still answers
    faults = get_plugins(config.registry).modules["faulty"].faults
    assert any("cagou_navigation" in fault for fault in faults)
    assert any("cagou_dashboard_widgets" in fault for fault in faults)


def test_the_console_shows_broken_and_faulty_modules(settings):
    from cagou.db import transaction_scope
    from cagou.demo import load_demo

    config = configure(with_modules(settings, "cagou_sample", "cagou_broken", "cagou_faulty"))
    with transaction_scope(config.registry) as request:
        load_demo(request)
    app = webtest.TestApp(config.make_wsgi_app())
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/")  # the faulty navigation hook raises here
    page = app.get("/intranet/console/")
    row = page.html.find(id="module-broken")
    assert "En panne" in row.text
    assert "cagou_this_dependency_is_missing" in row.text
    faulty = page.html.find(id="module-faulty")
    assert "la navigation du module défaillant a échoué" in faulty.text


def test_a_misspelled_hook_stops_the_platform_at_start_up(settings):
    with pytest.raises(pluggy.PluginValidationError, match="cagou_navigaton"):
        configure(with_modules(settings, "cagou_misspelled"))


def test_a_module_without_description_is_broken():
    plugins = Plugins()
    module = plugins.add(sys.modules[__name__], expected_name="nameless")
    assert module is not None
    assert module.broken
    assert "cagou_module_info" in (module.error or "")


def test_two_modules_cannot_share_a_name():
    import cagou_sample

    plugins = Plugins()
    plugins.add(cagou_sample)
    duplicate = plugins.add(cagou_sample, expected_name=None)
    assert duplicate is not None
    assert duplicate.broken


def test_authentication_backends_answer_before_local_accounts(app, registry):
    """The sample module's directory answers first; local accounts are the last resort."""
    from cagou.db import transaction_scope
    from cagou.demo import load_demo
    from cagou_sample.hooks import DIRECTORY_LOGIN, DIRECTORY_PASSWORD

    with transaction_scope(registry) as request:
        load_demo(request)
    page = login(app, DIRECTORY_LOGIN, DIRECTORY_PASSWORD)
    assert "Agent de l'annuaire" in page.html.get_text()
    app.reset()
    assert "Paul Wahetra" in login(app, "agent", "demo-agent-2026").text  # the directory says None: local answers
    app.reset()
    refused = app.get("/intranet/connexion")
    refused.forms[0]["login"] = DIRECTORY_LOGIN
    refused.forms[0]["password"] = "pas-le-bon"
    refused.forms[0].submit(status=401)


def test_the_local_backend_is_registered_last(registry):
    impls = get_plugins(registry).manager.hook.cagou_authenticate.get_hookimpls()
    assert impls[0].plugin_name == "cagou.identity.hooks"
    assert impls[0].trylast


def test_the_sample_module_lives_under_tests():
    import cagou_sample

    assert Path(cagou_sample.__file__).parts[-4:-1] == ("tests", "plugins", "cagou_sample")
