"""Accounts, signing in and out, and the security policy."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.contributions import INTRANET, PUBLIC
from cagou.identity.policy import UNDECLARED_PERMISSION, Root, SecurityPolicy, api_token, can, login_session
from cagou.identity.services import account_service_factory, password_hasher
from cagou.interfaces import IAccounts


def includeme(config: Configurator) -> None:
    config.set_security_policy(SecurityPolicy())
    config.set_root_factory(Root)
    config.set_default_permission(UNDECLARED_PERMISSION)
    config.register_service_factory(account_service_factory, IAccounts)
    config.registry["cagou.password_hasher"] = password_hasher(config.registry.settings)
    # The directory backend's settings (cagou.ldap.*), checked at commit once every role is declared.
    config.include("cagou.identity.directory")
    config.add_site_route(PUBLIC, "login", "/connexion")
    config.add_site_route(PUBLIC, "logout", "/deconnexion")
    config.add_site_route(INTRANET, "intranet.login", "/connexion")
    config.add_site_route(INTRANET, "intranet.logout", "/deconnexion")
    config.add_site_route(PUBLIC, "session.status", "/session")
    config.add_site_route(PUBLIC, "register", "/inscription")
    config.add_site_route(PUBLIC, "register.sent", "/inscription/envoyee")
    config.add_site_route(PUBLIC, "register.confirm", "/inscription/confirmer")
    config.add_site_route(PUBLIC, "password.forgot", "/mot-de-passe-oublie")
    config.add_site_route(PUBLIC, "password.sent", "/mot-de-passe-oublie/envoye")
    config.add_site_route(PUBLIC, "password.reset", "/mot-de-passe/nouveau")
    config.add_site_route(PUBLIC, "account", "/mon-compte")
    config.add_site_route(PUBLIC, "account.delete", "/mon-compte/supprimer")
    config.add_site_route(PUBLIC, "account.profile", "/mon-compte/profil")
    config.add_site_route(PUBLIC, "account.email.confirm", "/mon-compte/adresse/confirmer")
    config.add_site_route(PUBLIC, "account.password", "/mon-compte/mot-de-passe")
    config.add_site_route(PUBLIC, "account.tokens", "/mon-compte/jetons/")
    config.add_site_route(PUBLIC, "account.tokens.revoke", r"/mon-compte/jetons/{id:\d+}/revoquer")
    config.add_site_route(INTRANET, "intranet.session.status", "/session")
    config.add_site_route(INTRANET, "second_factor", "/second-facteur")
    config.add_site_route(INTRANET, "tokens", "/jetons/")
    config.add_site_route(INTRANET, "tokens.revoke", r"/jetons/{id:\d+}/revoquer")
    config.add_request_method(login_session, "login_session", property=True)
    config.add_request_method(can, "can")
    config.add_request_method(api_token, "api_token", property=True)
    config.scan(".views")
    config.scan(".account_views")
    config.scan(".second_factor_views")
    config.scan(".token_views")
