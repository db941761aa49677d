"""What the mail listener's files share: its settings, limits and log."""

from __future__ import annotations

import datetime
import logging

from cagou.kit import (
    RateLimit,
)

log = logging.getLogger(__name__)

#: The category of tickets opened by mail (a mail names none); its full path.
MAIL_CATEGORY_SETTING = "helpdesk.mail_category"
MAIL_CATEGORY_DEFAULT = "Autre"
#: The largest message the listener takes, in bytes (announced by ``SIZE``).
DATA_SIZE_LIMIT = 40 * 1024 * 1024
#: How many times a delivery is tried again after a conflict with another one.
ATTEMPTS = 4
#: Refused or dropped messages written in the audit log per sender and for all senders; the rest are only logged.
REFUSALS_PER_SENDER = RateLimit("helpdesk.mail-refusals.sender", 10, datetime.timedelta(hours=1))
REFUSALS_OVERALL = RateLimit("helpdesk.mail-refusals.all", 100, datetime.timedelta(hours=1))
