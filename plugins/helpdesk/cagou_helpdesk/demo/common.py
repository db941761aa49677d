"""What the demonstration's files share: its roles, seed and mail domain."""

from __future__ import annotations

#: The roles of cagou_helpdesk.hooks (which imports this module: named here to avoid a cycle).
TECHNICIAN = "helpdesk:technician"
MANAGER = "helpdesk:manager"
ADMINISTRATOR = "helpdesk:admin"

SEED = 2020
DEMO_AGENT = "agent"
DOMAIN = "province-sud.example.nc"
