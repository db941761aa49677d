"""The platform's single audit log."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.audit.services import audit_log_factory
from cagou.interfaces import IAuditLog


def includeme(config: Configurator) -> None:
    config.register_service_factory(audit_log_factory, IAuditLog)
