"""Demonstration data of the helpdesk: the lockdown as the user-assistance bureau lived it.

Two groups of technicians (the user-assistance bureau, ``BAU``, and the
infrastructure bureau, ``INFRA``), the category tree, knowledge-base
articles, canned answers, forty agents of the Province Sud who ask for help,
and six weeks of tickets ending now (the platform's clock): two ordinary
weeks (about 110 tickets), then the first week of lockdown (about 450, VPN
and laptops first, with the morning the VPN fell over: one major incident
and fifteen duplicates linked to it), then the slow return to normal. They
are calendar weeks, Monday to Sunday in the platform's time zone, as the
dashboard counts them: the last one is the current week, drawn up to now
only (on a Monday morning it holds a handful of tickets).

The history is computed, not recorded: a seeded random generator draws when
each ticket came in (office hours, few at night and at weekends), what it
was about, how long the bureau took to answer and to solve it in business
hours (longer while the backlog lasted), and where it stands now. Due dates
are those :func:`cagou_helpdesk.rules.set_service_levels` gives, from the
configured priority matrix, service levels and calendar, pushed back by the
time a ticket waited, as :func:`~cagou_helpdesk.rules.shift_due_dates`
does. The same clock gives the same tickets.

Tickets, messages and the agents who never sign in are inserted in bulk
(one ``INSERT`` executed for many rows), because the browser tests load the
demonstration before each test: that bypasses the services, so this history
has **no audit entries and sent no mail** — the audit log and the outbox
start with the demonstration's first real action. The people who sign in
(technicians, managers) are created through ``IAccounts``, with their
passwords checked and their creation audited like any account.

Loading is idempotent: what exists is left as it is (groups by code,
categories by path, articles and canned answers by title, accounts by
login), and the ticket history is added only when none of the demonstration
agents has a ticket yet.

The package: the people and groups in ``people``, the categories, articles
and canned answers in ``catalogue``, what agents write and technicians answer
in ``texts``, the six weeks planned without a database in ``planner``, and
what the database receives in ``loading``.
"""
