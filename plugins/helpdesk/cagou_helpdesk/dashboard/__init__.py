"""The managers' dashboard: the activity in charts, the peak view, and the exports of the filtered tickets.

Who sees what: a group manager (or a technician given the dashboard) sees the
groups they manage or belong to; a helpdesk administrator sees them all. The
filters come from a GET form that works without JavaScript (htmx only swaps
the results in place); a bad value answers 400 with its French message next to
its field, for the page, the JSON figures and the exports alike.

What the figures mean, written the same way on the page:

- **Days are Nouméa's days** (``cagou.timezone``): instants are stored in UTC,
  and "opened on Monday" means between Monday 00:00 and Tuesday 00:00 in
  Nouméa. The counts per day are one SQL query that joins the tickets to a
  ``VALUES`` list of the period's local days given as UTC bounds: exact in any
  time zone, portable between SQLite and PostgreSQL, and it uses the index on
  ``created_at``.
- Tickets **opened** are counted by their opening instant, tickets **resolved**
  by their (last) resolution instant; the backlog and the load per technician
  are the open tickets *now*.
- **Durations are business time** (the helpdesk's calendar of working hours and
  New Caledonia's public holidays, the one service levels are counted in),
  from the opening to the first public reply, and to the resolution; the time
  a ticket spent waiting is included. A ticket resolved without a public reply
  counts its resolution as its first response (the requester received the
  resolution mail). Median, and 90th percentile by the nearest rank. They are
  measured on the tickets answered (or resolved) within the period.
- **Service-level compliance** is the share of those tickets answered before
  their ``first_response_due`` and resolved before their ``resolution_due``
  (due dates already pushed back by the time spent waiting).
- **Satisfaction**: the ratings of the tickets resolved within the period.
- **The peak view** compares one week (by default the busiest of the period)
  with the usual week: the mean of the N weeks before it (12 by default),
  leaving out weeks that began before the helpdesk's first ticket (no
  service, no "usual" week). The chart shows N weeks on either side.

The package: who sees what and the filters in ``filters``, the SQL figures in
``figures``, their French writing and the charts in ``display``, the page and
its JSON in ``page``, the CSV and XLSX exports in ``exports``.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "helpdesk.dashboard", "/assistance/tableau-de-bord/")
    config.add_site_route(INTRANET, "helpdesk.dashboard_data", "/assistance/tableau-de-bord/donnees.json")
    config.add_site_route(INTRANET, "helpdesk.dashboard_csv", "/assistance/tableau-de-bord/export.csv")
    config.add_site_route(INTRANET, "helpdesk.dashboard_xlsx", "/assistance/tableau-de-bord/export.xlsx")
    config.scan("cagou_helpdesk.dashboard")
