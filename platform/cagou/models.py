"""Every model of the core, imported in one place so the metadata is complete.

Alembic's environment and the test that compares models with migrations rely
on this import; a module's models are imported by its own package.
"""

from cagou.audit.models import AuditEntry
from cagou.identity.models import Account, Directorate, RoleGrant
from cagou.jobs.models import ScheduledRun
from cagou.mail.models import OutboxMail
from cagou.modules.models import ModuleState
from cagou.ratelimits.models import AttemptCounter
from cagou.references.models import ReferenceCounter

__all__ = [
    "Account",
    "AttemptCounter",
    "AuditEntry",
    "Directorate",
    "ModuleState",
    "OutboxMail",
    "ReferenceCounter",
    "RoleGrant",
    "ScheduledRun",
]
