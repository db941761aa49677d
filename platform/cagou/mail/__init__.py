"""Mail that leaves only if the transaction commits (see :mod:`cagou.mail.services`)."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.interfaces import IMailer
from cagou.mail.delivery import make_delivery
from cagou.mail.services import DELIVER_JOB, deliver_job, mailer_factory


def includeme(config: Configurator) -> None:
    config.registry["cagou.mail.delivery"] = make_delivery(config.get_settings())
    config.register_service_factory(mailer_factory, IMailer)
    config.add_job(DELIVER_JOB, deliver_job)
