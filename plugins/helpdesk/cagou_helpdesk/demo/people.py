"""The bureau: its groups, its technicians and managers, and the agents who ask for help."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from cagou_helpdesk.demo.common import MANAGER, TECHNICIAN

GROUPS: dict[str, str] = {
    "BAU": "Bureau de l'assistance aux utilisateurs",
    "INFRA": "Bureau des infrastructures",
}


@dataclass(frozen=True)
class Staff:
    """A person of the IT directorate; ``password`` None: created in bulk, never signs in."""

    login: str
    display_name: str
    directorate: str
    role: str
    group: str | None = None
    manages: str | None = None
    password: str | None = None
    #: How many of the group's tickets this person takes, relative to the others.
    share: int = 2


# The passwords are for the demonstration only, listed in the README like the core's (cagou.demo).
STAFF: tuple[Staff, ...] = (
    # The core's demonstration account (cagou.demo): made a technician of the bureau here.
    Staff("technicien", "Marc Kasarhérou", "DSI-BAU", TECHNICIAN, group="BAU", share=3),
    Staff("technicienne", "Léa Wénéhoua", "DSI-BAU", TECHNICIAN, group="BAU", password="demo-technicienne-2026", share=3),  # noqa: S106, E501
    Staff("responsable", "Sandrine Gope", "DSI-BAU", MANAGER, manages="BAU", password="demo-responsable-2026", share=1),  # noqa: S106
    Staff("reseau", "Kévin Hnawia", "DSI-BI", TECHNICIAN, group="INFRA", password="demo-reseau-2026", share=3),  # noqa: S106
    Staff("j.tauvale", "Jonathan Tauvale", "DSI-BAU", TECHNICIAN, group="BAU"),
    Staff("m.nguyen", "Mélanie Nguyen", "DSI-BAU", TECHNICIAN, group="BAU"),
    Staff("y.ouetcho", "Yannick Ouetcho", "DSI-BAU", TECHNICIAN, group="BAU"),
    Staff("s.waia", "Samuel Waia", "DSI-BI", TECHNICIAN, group="INFRA", share=3),
    Staff("t.lecomte", "Thierry Lecomte", "DSI-BI", MANAGER, manages="INFRA", share=1),
)  # fmt: skip

#: The agents who ask for help (name, directorate); they never sign in, the demo ``agent`` does.
REQUESTERS: tuple[tuple[str, str], ...] = (
    ("Anne-Marie Bouchet", "DEFE-SAE"),
    ("Joseph Wakaine", "DEFE-SAE"),
    ("Nadia Ben Saïd", "DEFE-SAE"),
    ("Vaea Teriitehau", "DEFE-SAE"),
    ("Tevita Falakika", "DEFE-SAE"),
    ("Christelle Naouna", "DEFE-SFP"),
    ("Sandra Mercier", "DEFE-SFP"),
    ("Corinne Siapo", "DEFE-SFP"),
    ("Rémi Delathière", "DEFE"),
    ("Frédéric Poitier", "DEFE"),
    ("Françoise Tuilagi", "DFI-SB"),
    ("Thomas Giraud", "DFI-SB"),
    ("Agnès Dang", "DFI-SB"),
    ("Éric Lataï", "DFI-SC"),
    ("Hélène Mulikihaamea", "DFI-SC"),
    ("Manuela Sione", "DFI-SC"),
    ("Vincent Tran", "DFI"),
    ("Ahmed Boukhari", "DFI"),
    ("Mireille Hmae", "DRHFPP-SGP"),
    ("Nathalie Sihaze", "DRHFPP-SGP"),
    ("Laurent Berthier", "DRHFPP"),
    ("Pierre-Yves Le Guen", "DRHFPP"),
    ("Gaëlle Kaouma", "DRHFPP-SGP"),
    ("Patrick Soeryadi", "DJA"),
    ("Isabelle Roche", "DJA"),
    ("Lionel Ihage", "DJA"),
    ("Béatrice Wanabo", "DJA"),
    ("Henri Wejieme", "DJA"),
    ("Jean-Pierre Falelavaki", "DPASS"),
    ("Martine Bearune", "DPASS"),
    ("Stéphane Lopez", "DPASS"),
    ("Céline Nguyen Van", "DPASS"),
    ("Didier Wamo", "DPASS"),
    ("Marie-Claude Nemia", "DPASS"),
    ("Romain Cuénot", "SG"),
    ("Olivier Chaverot", "SG"),
    ("Aurélie Wahéo", "SG"),
    ("Catherine Trolue", "DFI-SC"),
    ("Louise Kecine", "DEFE-SFP"),
    ("Julien Forest", "DRHFPP"),
)


def login_of(display_name: str) -> str:
    """``Pierre-Yves Le Guen`` → ``pierre-yves.le-guen``: first name, a dot, then the name, unaccented."""
    plain = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode().lower()
    first, _, last = plain.partition(" ")
    return f"{first}.{last.replace(' ', '-')}"
