"""The helpdesk administrator's pages, one file per administered thing.

Categories, groups, the priority matrix and the service levels.

Everything here needs ``helpdesk:settings:manage``. Each page works without
JavaScript: a form posts, the change is checked (French messages next to the
fields, answer 400, nothing stored), written, audited, and the browser is sent
back to the page with a flash message.

- **Categories** form a tree (``Réseau > VPN``). A node's ``path`` (its names
  from the root) is what agents type and technicians filter on, so renaming or
  moving a node rewrites the path of every descendant. A category may name the
  group whose queue receives its tickets; a category without one inherits its
  parent's, and the root falls back to the ``helpdesk.default_group`` setting.
  Deactivating a category deactivates its subtree: new tickets can no longer
  choose it, existing tickets keep it. An active category never sits under an
  inactive one.
- **Groups** of technicians have a code (fixed at creation: the
  ``helpdesk.default_group`` setting and the audit log name groups by it), a
  name, a manager (an account with the ``helpdesk:manager`` role) and members
  (accounts with the ``helpdesk:technician`` or ``helpdesk:manager`` role).
  Removing a member gives their open tickets of that group back to its queue.
- **Priorities**: the urgency × impact matrix, stored as ``PriorityRule`` rows
  over ``rules.DEFAULT_MATRIX``. Tickets already open keep their priority.
- **Service levels** per priority, in business hours and minutes, stored as
  ``ServiceLevel`` rows over ``rules.DEFAULT_SERVICE_LEVELS``. The working
  hours they count in come from the settings and are only shown here.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET
from cagou_helpdesk.admin.common import PREFIX


def includeme(config: Configurator) -> None:
    route = config.add_site_route
    route(INTRANET, "helpdesk.admin", PREFIX + "/")
    route(INTRANET, "helpdesk.admin.categories", PREFIX + "/categories/")
    route(INTRANET, "helpdesk.admin.category", PREFIX + r"/categories/{id:\d+}")
    route(INTRANET, "helpdesk.admin.category_state", PREFIX + r"/categories/{id:\d+}/etat")
    route(INTRANET, "helpdesk.admin.groups", PREFIX + "/groupes/")
    route(INTRANET, "helpdesk.admin.group", PREFIX + r"/groupes/{id:\d+}")
    route(INTRANET, "helpdesk.admin.group_manager", PREFIX + r"/groupes/{id:\d+}/responsable")
    route(INTRANET, "helpdesk.admin.group_members", PREFIX + r"/groupes/{id:\d+}/membres")
    route(INTRANET, "helpdesk.admin.group_member_remove", PREFIX + r"/groupes/{id:\d+}/membres/{account:\d+}/retirer")
    route(INTRANET, "helpdesk.admin.priorities", PREFIX + "/priorites")
    route(INTRANET, "helpdesk.admin.service_levels", PREFIX + "/niveaux-de-service")
    config.scan("cagou_helpdesk.admin")
