"""What the dashboard's files share: its permission, templates and limits."""

from __future__ import annotations

import re

PERMISSION = "helpdesk:dashboard:view"
TEMPLATE = "cagou_helpdesk:templates/dashboard.jinja2"
RESULTS_TEMPLATE = "cagou_helpdesk:templates/dashboard_results.jinja2"
#: The element htmx swaps when the filters change.
TARGET = "tableau-de-bord"

DEFAULT_WEEKS = 6
DEFAULT_WINDOW = 12
MAX_WINDOW = 52
MAX_DAYS = 731
#: Beyond this, the bars of a daily chart are too thin to read: the weekly chart says it all.
DAILY_CHART_DAYS = 92
TOP_CATEGORIES = 10
MAX_TEXT = 200
WEEK_YEAR_FIRST = re.compile(r"^(\d{4})\s*-?\s*[WS]\s*(\d{1,2})$", re.IGNORECASE)
WEEK_YEAR_LAST = re.compile(r"^[WS]\s*(\d{1,2})\s*[-/ ]\s*(\d{4})$", re.IGNORECASE)
#: The query string parameters of the filter form (French, as they show in the address bar).
PARAMETERS = ("du", "au", "groupe", "categorie", "priorite", "semaine", "fenetre")
NO_CATEGORY = "(sans catégorie)"
