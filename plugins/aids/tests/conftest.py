"""The aids module's tests: a real platform with the module, from cagou.testing's fixtures."""

from __future__ import annotations

from typing import Any

import pytest
import webtest
from pyramid.registry import Registry

from cagou.kit import CITIZEN, COMPANY, PUBLIC, IAccounts, transaction_scope

pytest_plugins = ["cagou.testing", "cagou.testing_browser"]


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    """The platform of these tests loads this module only (cagou.testing migrates its branch too)."""
    return ("cagou_aids",)


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The core's test settings; a test submits as soon as the review page shows (tests/test_abuse.py checks the
    minimum time)."""
    return {**settings, "aids.min_seconds": "0"}


CITIZEN_LOGIN = "marie.wamytan@example.nc"
CITIZEN_PASSWORD = "lagon-vanille-tricot-2026"
PASSWORD = CITIZEN_PASSWORD


@pytest.fixture
def citizen(registry: Registry) -> Any:
    """A resident with a public account."""
    with transaction_scope(registry) as request:
        return request.find_service(IAccounts).create(
            CITIZEN_LOGIN, "Marie Wamytan", CITIZEN, email=CITIZEN_LOGIN, password=CITIZEN_PASSWORD
        )


@pytest.fixture
def citizen_app(app: webtest.TestApp, citizen: Any) -> webtest.TestApp:
    """The public site, with the resident signed in through the real sign-in form."""
    from cagou.testing import login

    login(app, CITIZEN_LOGIN, CITIZEN_PASSWORD, site=PUBLIC)
    return app


def business_aid_published(registry: Registry) -> None:
    from cagou_aids.interfaces import IProcedures
    from cagou_aids.services.procedures import ProcedureSettings
    from test_services import NOTICE

    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        settings = ProcedureSettings(title="Aide aux entreprises", audience="entreprises", receipt_prefix="AIDE",
                                     data_notice=NOTICE)  # fmt: skip
        procedures.publish(procedures.create_from_model("business_aid", settings))


def company_signed_in(app: webtest.TestApp, registry: Registry) -> webtest.TestApp:
    from cagou.testing import login

    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create(
            "boulangerie", "Boulangerie du Mont-Dore", COMPANY, email="contact@boulangerie.nc", password=PASSWORD,
            ridet="0123456.001",
        )  # fmt: skip
    login(app, "boulangerie", PASSWORD, site="public")
    return app


@pytest.fixture
def company_app(app: webtest.TestApp, registry: Registry) -> webtest.TestApp:
    """A company signed in on the public site, and the business aid published (its files' page: test_files.py)."""
    business_aid_published(registry)
    return company_signed_in(app, registry)
