"""The six weeks of tickets, planned without a database: a pure function of the clock and the settings."""

from __future__ import annotations

import datetime
import itertools
import math
import random
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cagou_helpdesk.calendar import BusinessCalendar
from cagou_helpdesk.demo.catalogue import CATEGORIES, TOPICS
from cagou_helpdesk.demo.common import SEED
from cagou_helpdesk.demo.people import GROUPS, STAFF, Staff
from cagou_helpdesk.demo.texts import (
    ACKNOWLEDGEMENTS,
    ANSWERS,
    BUSY,
    COMMUNES,
    ISPS,
    NOTES,
    PRINTERS,
    QUESTIONS,
    RATING_COMMENTS,
    REOPENINGS,
    REQUESTS,
    SERVICES,
    SOLUTIONS,
    THIRD_PARTY,
    THIRD_PARTY_BACK,
    THIRD_PARTY_NOTES,
)
from cagou_helpdesk.models import (
    ASSIGNED,
    CLOSED,
    IN_PROGRESS,
    MAIL,
    NEW,
    NOTE,
    PHONE,
    REPLY,
    RESOLVED,
    WAITING,
    WAITING_FOR_REQUESTER,
    WAITING_FOR_THIRD_PARTY,
    WEB,
)

#: Tickets opened in each of the six weeks, oldest first: the 3rd is the first week of lockdown.
WEEKLY_TICKETS = (108, 113, 452, 296, 204, 161)
PEAK_WEEK = 2
#: How much the lockdown weighs on each week (0: an ordinary week, 1: the first week of lockdown).
LOCKDOWN = (0.0, 0.0, 1.0, 0.8, 0.6, 0.45)
#: What agents ask about in an ordinary week, and in the first week of lockdown.
ORDINARY_TOPICS = {
    "portable": 8, "fixe": 14, "imprimante": 14, "vpn": 5, "wifi": 4, "bureautique": 16,
    "metier": 13, "mdp": 13, "droits": 7, "telephonie": 4, "visio": 2,
}  # fmt: skip
LOCKDOWN_TOPICS = {
    "portable": 26, "fixe": 5, "imprimante": 1, "vpn": 30, "wifi": 5, "bureautique": 7,
    "metier": 5, "mdp": 7, "droits": 3, "telephonie": 5, "visio": 10,
}  # fmt: skip
#: (urgency, impact): weight.
URGENCY_IMPACT = {(2, 1): 55, (1, 1): 12, (3, 1): 18, (2, 2): 8, (3, 2): 4, (1, 2): 2, (2, 3): 0.5, (3, 3): 0.5}
#: When tickets come in: weight of each local hour on a working day (weekends and holidays much less).
HOURLY = (
    0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.1, 0.6, 1.0, 0.9, 0.8, 0.5,
    0.4, 0.8, 0.7, 0.6, 0.3, 0.1, 0.05, 0.05, 0.05, 0.03, 0.02, 0.01,
)  # fmt: skip
#: Median delays of the bureau in business minutes, by priority, in an ordinary week.
FIRST_RESPONSE_MINUTES = {1: 15, 2: 35, 3: 110, 4: 220}
WORK_MINUTES = {1: 90, 2: 240, 3: 480, 4: 720}
#: The major incident: how many agents write in about it.
INCIDENT_DUPLICATES = 15
#: The closing job runs at a quarter past every hour (cagou_helpdesk.hooks), the breach job every 5 minutes.
CLOSING_MINUTE = 15
BREACH_JOB_MINUTES = 5


#: An event still to come: later than any instant of the history.
FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)
#: Stands for the ticket's requester among message authors (the requester is chosen after planning).
REQUESTER = ""


@dataclass
class PlannedMessage:
    author: str
    kind: str
    body: str
    created_at: datetime.datetime
    source: str = WEB


@dataclass
class PlannedTicket:
    week: int
    topic: str
    title: str
    description: str
    urgency: int
    impact: int
    priority: int
    source: str
    requester: str
    opened_by: str
    group: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    first_response_due: datetime.datetime
    resolution_due: datetime.datetime
    status: str = NEW
    contact_phone: str | None = None
    assignee: str | None = None
    priority_reason: str | None = None
    waiting_for: str | None = None
    first_response_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    paused_since: datetime.datetime | None = None
    breach_notified_at: datetime.datetime | None = None
    reopened: int = 0
    rating: int | None = None
    rating_comment: str | None = None
    #: "parent" for the major incident, "child" for the duplicates linked to it.
    incident: str = ""
    messages: list[PlannedMessage] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """What the helpdesk is configured with: the same rules as the services apply."""

    calendar: BusinessCalendar
    matrix: dict[tuple[int, int], int]
    levels: dict[int, tuple[int, int]]
    reopen_days: int


def weeks_until(
    instant: datetime.datetime, zone: zoneinfo.ZoneInfo
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The six weeks as UTC bounds: calendar weeks from Monday 00:00 in ``zone``, the last one cut at ``instant``.

    Calendar weeks, not the seven days before now: the dashboard counts weeks
    from Monday (Nouméa time), so the lockdown week must be one of them
    whatever the day the demonstration is loaded, or its peak view would see
    it split in two.
    """
    today = instant.astimezone(zone).date()
    first = today - datetime.timedelta(days=today.weekday(), weeks=len(WEEKLY_TICKETS) - 1)
    mondays = [first + datetime.timedelta(weeks=week) for week in range(len(WEEKLY_TICKETS) + 1)]
    starts = [datetime.datetime.combine(day, datetime.time(), tzinfo=zone).astimezone(datetime.UTC) for day in mondays]
    return [(start, min(stop, instant)) for start, stop in itertools.pairwise(starts)]


class Planner:
    """Draws the six weeks of tickets, deterministically for a given clock."""

    def __init__(
        self,
        instant: datetime.datetime,
        rules: Rules,
        requesters: Sequence[str],
        queues: dict[str, str] | None = None,
        seed: int = SEED,
    ) -> None:
        self.now = instant.astimezone(datetime.UTC)
        self.rules = rules
        self.calendar = rules.calendar
        self.requesters = list(requesters)
        #: topic -> the code of the group whose queue receives its tickets (rules.group_for).
        self.queues = queues or {topic: default_queue(TOPICS[topic]) for topic in TOPICS}
        self.chance = random.Random(seed)  # noqa: S311  (demonstration data, not a secret)
        self.members: dict[str, list[Staff]] = {
            code: [p for p in STAFF if p.group == code or p.manages == code] for code in GROUPS
        }

    # -- the whole history --------------------------------------------------

    def plan(self) -> list[PlannedTicket]:
        tickets: list[PlannedTicket] = []
        for week, (week_start, week_stop) in enumerate(weeks_until(self.now, self.calendar.timezone)):
            # The current week is drawn up to now only, with the share of its tickets already come in.
            regular = round(WEEKLY_TICKETS[week] * self.share_before(week, week_start, week_stop))
            if week == PEAK_WEEK:
                incident = self.incident(week, week_start)
                tickets += incident
                regular -= len(incident)
            for _ in range(regular):
                tickets.append(self.ticket(week, self.arrival(week, week_start, week_stop)))
        tickets.sort(key=lambda ticket: ticket.created_at)
        return tickets

    def weight(self, week: int, instant: datetime.datetime) -> float:
        """How likely a ticket comes in at ``instant``: office hours mostly, Mondays more, nights, weekends little."""
        local = instant.astimezone(self.calendar.timezone)
        weight = HOURLY[local.hour] * (1.2 if local.isoweekday() == 1 else 1.0)
        if not self.calendar.is_working_day(local.date()):
            weight *= 0.06 + 0.1 * LOCKDOWN[week]
        return weight

    def share_before(self, week: int, week_start: datetime.datetime, stop: datetime.datetime) -> float:
        """The share of a week's tickets that come in before ``stop``: 1 for a whole week, less for this one."""
        hour = datetime.timedelta(hours=1)
        total = before = 0.0
        for n in range(7 * 24):
            start = week_start + n * hour
            weight = self.weight(week, start)
            total += weight
            before += weight * min(max((stop - start) / hour, 0.0), 1.0)
        return before / total

    def arrival(self, week: int, week_start: datetime.datetime, stop: datetime.datetime) -> datetime.datetime:
        """When a ticket comes in, between the start of its week and ``stop`` (its end, or now)."""
        seconds = max(int((stop - week_start).total_seconds()), 1)
        while True:
            instant = week_start + datetime.timedelta(seconds=self.chance.randrange(seconds))
            if self.chance.random() * 1.2 < self.weight(week, instant):
                return instant

    def minutes(self, median: float, sigma: float) -> int:
        """A delay in business minutes around ``median`` (log-normal: most are short, a few very long)."""
        return max(5, round(self.chance.lognormvariate(math.log(median), sigma)))

    def at(self, start: datetime.datetime, minutes: float) -> datetime.datetime:
        return self.calendar.add(start, datetime.timedelta(minutes=minutes))

    def timeline(self, start: datetime.datetime, offsets: Sequence[int]) -> list[datetime.datetime]:
        """The instants ``offsets`` (increasing) business minutes after ``start``; :data:`FUTURE` after now.

        Each instant is added to the one before, so that the calendar walks
        the days once: ``add(add(s, a), b - a)`` is ``add(s, b)``.
        """
        instants, cursor, elapsed = [], start, 0
        for offset in offsets:
            if cursor is not FUTURE and offset > elapsed:
                cursor = self.at(cursor, offset - elapsed)
                cursor = cursor if cursor <= self.now else FUTURE
            elapsed = offset
            instants.append(cursor)
        return instants

    def phone(self) -> str:
        first = self.chance.choice("2457899")
        digits = [self.chance.randrange(10) for _ in range(5)]
        return f"{first}{digits[0]} {digits[1]}{digits[2]} {digits[3]}{digits[4]}"

    def fill(self, text: str) -> str:
        communes = self.chance.sample(COMMUNES, 2)
        return text.format(
            commune=communes[0], commune2=communes[1], service=self.chance.choice(SERVICES),
            isp=self.chance.choice(ISPS), printer=self.chance.choice(PRINTERS), phone=self.phone(),
            number=self.chance.randrange(1, 99999), stock=self.chance.randrange(3, 40),
        )  # fmt: skip

    def weighted(self, weights: dict[str, float]) -> str:
        return self.chance.choices(list(weights), list(weights.values()))[0]

    def assignee_for(self, group: str) -> str:
        people = self.members[group]
        return self.chance.choices([p.login for p in people], [p.share for p in people])[0]

    def dues(self, created: datetime.datetime, priority: int) -> tuple[datetime.datetime, datetime.datetime]:
        """As rules.set_service_levels computes them."""
        first_response, resolution = self.rules.levels[priority]
        first = self.at(created, first_response)
        if resolution < first_response:
            return first, self.at(created, resolution)
        return first, first if resolution == first_response else self.at(first, resolution - first_response)

    # -- one ticket ----------------------------------------------------------

    def ticket(self, week: int, created: datetime.datetime) -> PlannedTicket:
        chance, lockdown = self.chance, LOCKDOWN[week]
        weights = {k: (1 - lockdown) * ORDINARY_TOPICS[k] + lockdown * LOCKDOWN_TOPICS[k] for k in ORDINARY_TOPICS}
        topic = self.weighted(weights)
        title, description = chance.choice(REQUESTS[topic])
        pairs = list(URGENCY_IMPACT)
        urgency, impact = chance.choices(
            pairs, [URGENCY_IMPACT[p] + (8 * lockdown if p == (3, 1) else 0) for p in pairs]
        )[0]
        priority = self.rules.matrix[(urgency, impact)]
        reason = None
        if chance.random() < 0.015 and priority > 1:
            priority, reason = priority - 1, "Demande de la direction générale : réunion du comité de crise."
        source = self.weighted({WEB: 65, PHONE: 25 + 10 * lockdown, MAIL: 10})
        group = self.queues[topic]
        requester = chance.choice(self.requesters)
        opened_by = requester
        if source == PHONE:
            opened_by = chance.choice([p.login for p in STAFF if p.group == "BAU"])
        first_response_due, resolution_due = self.dues(created, priority)
        ticket = PlannedTicket(
            week=week, topic=topic, title=title, description=self.fill(description), urgency=urgency, impact=impact,
            priority=priority, priority_reason=reason, source=source, requester=requester, opened_by=opened_by,
            group=group, created_at=created, updated_at=created, first_response_due=first_response_due,
            resolution_due=resolution_due, contact_phone=self.phone() if chance.random() < 0.5 else None,
        )  # fmt: skip
        self.live(ticket, lockdown)
        return ticket

    def live(self, ticket: PlannedTicket, lockdown: float) -> None:
        """What happened to the ticket up to now: taken, answered, waiting, resolved, reopened, closed, rated."""
        chance, created, priority = self.chance, ticket.created_at, ticket.priority
        # The backlog of the lockdown weeks makes every delay longer.
        answer = self.minutes(FIRST_RESPONSE_MINUTES[priority] * (1 + 2.5 * lockdown), 0.7)
        work = self.minutes(WORK_MINUTES[priority] * (1 + 1.2 * lockdown), 0.8)
        if ticket.topic == "portable" and lockdown:
            work += self.minutes(300, 0.5)  # a laptop to prepare and hand over
        answer, work = self.keep_promises(priority, lockdown, answer, work)
        waiting_for, wait = None, 0
        draw = chance.random()
        if draw < 0.05:
            waiting_for, wait = WAITING_FOR_THIRD_PARTY, self.minutes(2400, 0.5)
        elif draw < 0.27:
            waiting_for, wait = WAITING_FOR_REQUESTER, self.minutes(300, 0.8)
        reopens = chance.random() < 0.04
        second_look = self.minutes(120, 0.6) if reopens else 0
        ticket.assignee = self.assignee_for(ticket.group)
        tech = ticket.assignee
        offsets = (
            round(answer * 0.6), answer, answer + wait, answer + wait + round(work * 0.3),
            answer + wait + round(work * 0.6), answer + wait + round(work * 0.6) + second_look,
            answer + wait + work + second_look,
        )  # fmt: skip
        taken_at, answered_at, resumed_at, note_at, first_solution, reopened_at, solved_at = self.timeline(
            created, offsets
        )
        if taken_at > self.now:
            ticket.assignee = None
            return
        ticket.status, ticket.updated_at = ASSIGNED, taken_at
        if answered_at > self.now:
            return
        messages = ticket.messages
        busy = BUSY if lockdown >= 0.6 else ""
        if waiting_for == WAITING_FOR_REQUESTER:
            messages.append(PlannedMessage(tech, REPLY, chance.choice(QUESTIONS), answered_at))
        elif waiting_for == WAITING_FOR_THIRD_PARTY:
            messages.append(PlannedMessage(tech, REPLY, chance.choice(THIRD_PARTY), answered_at))
            note = self.fill(chance.choice(THIRD_PARTY_NOTES))
            messages.append(PlannedMessage(tech, NOTE, note, answered_at))
        else:
            messages.append(PlannedMessage(tech, REPLY, chance.choice(ACKNOWLEDGEMENTS).format(busy=busy), answered_at))
        ticket.first_response_at = answered_at
        ticket.status, ticket.updated_at = IN_PROGRESS, max(answered_at, ticket.updated_at)
        since = None
        if waiting_for:
            self.notice_breach(ticket, until=answered_at)  # before the pause, with the due dates as they were
            if resumed_at > self.now:
                ticket.status, ticket.waiting_for, ticket.paused_since = WAITING, waiting_for, answered_at
                return
            since = resumed_at
            # rules.shift_due_dates: the business time spent waiting does not count.
            paused = self.calendar.between(answered_at, resumed_at)
            ticket.resolution_due = self.calendar.add(ticket.resolution_due, paused)
            if waiting_for == WAITING_FOR_REQUESTER:
                answer_text = self.fill(chance.choice(ANSWERS))
                source = MAIL if ticket.source == MAIL else WEB
                messages.append(PlannedMessage(REQUESTER, REPLY, answer_text, resumed_at, source))
            else:
                messages.append(PlannedMessage(tech, NOTE, chance.choice(THIRD_PARTY_BACK), resumed_at))
            ticket.updated_at = resumed_at
        if chance.random() < 0.3 and note_at <= self.now:
            notes = NOTES.get(ticket.topic, NOTES[""])
            messages.append(PlannedMessage(tech, NOTE, self.fill(chance.choice(notes)), note_at))
        solution = chance.choice(SOLUTIONS[ticket.topic])
        if reopens and first_solution <= self.now:
            messages.append(PlannedMessage(tech, REPLY, f"Bonjour,\n\n{solution}", first_solution))
            if reopened_at > self.now:
                ticket.status, ticket.resolved_at, ticket.updated_at = RESOLVED, first_solution, first_solution
                self.notice_breach(ticket, until=first_solution, since=since)
                self.close_and_rate(ticket)
                return
            messages.append(PlannedMessage(REQUESTER, REPLY, chance.choice(REOPENINGS), reopened_at))
            ticket.reopened, ticket.updated_at = 1, reopened_at
            solution = "Nous avons repris le diagnostic : " + chance.choice(SOLUTIONS[ticket.topic]).lower()
        if solved_at > self.now:
            self.notice_breach(ticket, until=self.now, since=since)
            messages.sort(key=lambda message: message.created_at)
            ticket.updated_at = max(ticket.updated_at, *(m.created_at for m in messages))
            return
        messages.append(PlannedMessage(tech, REPLY, f"Bonjour,\n\n{solution}", solved_at))
        messages.sort(key=lambda message: message.created_at)
        ticket.status, ticket.resolved_at, ticket.updated_at = RESOLVED, solved_at, solved_at
        self.notice_breach(ticket, until=solved_at, since=since)
        self.close_and_rate(ticket)

    def keep_promises(self, priority: int, lockdown: float, answer: int, work: int) -> tuple[int, int]:
        """Most tickets that would miss a due date are taken up in time: the bureau watches its queue's highlights.

        Without this the log-normal tails left four open tickets in ten "Hors
        délai" on any day, which empties the highlight of meaning. A ticket
        about to breach is rescued (answered, or solved, before its due date)
        with a chance that falls in the first week of lockdown, when the
        bureau was submerged and the dashboard must show it.
        """
        rescue = 0.97 - 0.2 * lockdown**3
        first_response, resolution = self.rules.levels[priority]
        if answer > first_response and self.chance.random() < rescue:
            answer = max(1, round(first_response * self.chance.uniform(0.4, 0.9)))
        # Business minutes from the ticket's creation, as dues() counts them (a pause shifts both alike).
        if answer + work > resolution and resolution > answer and self.chance.random() < rescue:
            work = max(1, round((resolution - answer) * self.chance.uniform(0.5, 0.9)))
        return answer, work

    def close_and_rate(self, ticket: PlannedTicket) -> None:
        """Closed by the hourly job once the reopening delay is over; rated by some requesters."""
        assert ticket.resolved_at is not None
        closing = self.closing_time(ticket.resolved_at)
        if closing <= self.now:
            ticket.status, ticket.closed_at, ticket.updated_at = CLOSED, closing, closing
        if ticket.incident != "child" and self.chance.random() < 0.4:
            on_time = ticket.resolved_at <= ticket.resolution_due
            weights = {5: 60, 4: 27, 3: 9, 2: 3, 1: 1} if on_time else {5: 25, 4: 30, 3: 25, 2: 15, 1: 5}
            ticket.rating = self.chance.choices(list(weights), list(weights.values()))[0]
            ticket.rating_comment = self.chance.choice(RATING_COMMENTS[ticket.rating]) or None

    def closing_time(self, resolved_at: datetime.datetime) -> datetime.datetime:
        """The first run of the closing job (hh:15) after the reopening delay."""
        due = resolved_at + datetime.timedelta(days=self.rules.reopen_days)
        run = due.replace(minute=CLOSING_MINUTE, second=0, microsecond=0)
        return run if run > due else run + datetime.timedelta(hours=1)

    def notice_breach(
        self, ticket: PlannedTicket, until: datetime.datetime, since: datetime.datetime | None = None
    ) -> None:
        """When the breach job (every 5 minutes) saw the ticket late, if it ran between ``since`` and ``until``.

        The job skips a waiting ticket (paused), and sees each ticket once.
        """
        if ticket.breach_notified_at is not None:
            return
        late = []
        if ticket.first_response_at is None or ticket.first_response_at > ticket.first_response_due:
            late.append(ticket.first_response_due)
        late.append(ticket.resolution_due)
        seen = max(min(late), since) if since is not None else min(late)
        step = BREACH_JOB_MINUTES * 60
        seconds = math.floor(seen.timestamp() / step + 1) * step
        run = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        if run < until and run <= self.now:
            ticket.breach_notified_at = run

    # -- the morning the VPN fell over ----------------------------------------

    def incident(self, week: int, week_start: datetime.datetime) -> list[PlannedTicket]:
        """The first caller's ticket, made the major incident, and the agents' duplicates linked to it."""
        day = week_start.astimezone(self.calendar.timezone).date()
        working_days = 0
        while True:
            day += datetime.timedelta(days=1)
            if self.calendar.is_working_day(day):
                working_days += 1
                if working_days == 2:
                    break
        outage = datetime.datetime.combine(day, datetime.time(7, 40), tzinfo=self.calendar.timezone)
        outage = outage.astimezone(datetime.UTC)
        opened = outage + datetime.timedelta(minutes=25)
        first_response_due, resolution_due = self.dues(opened, self.rules.matrix[(3, 3)])
        parent = PlannedTicket(
            week=week, topic="vpn", title="Incident majeur : VPN inaccessible pour les agents en télétravail",
            description=(
                "Appel de l'agent à 8 h 05. Depuis 7 h 40, le concentrateur VPN refuse toutes les nouvelles "
                "connexions : les agents en télétravail n'ont plus accès au réseau de la Province. Les demandes "
                "en double sont rattachées à ce ticket."
            ),
            urgency=3, impact=3, priority=self.rules.matrix[(3, 3)], source=PHONE,
            requester=self.chance.choice(self.requesters), opened_by="reseau", group="INFRA", created_at=opened,
            updated_at=opened, first_response_due=first_response_due, resolution_due=resolution_due,
            assignee="reseau", contact_phone=self.phone(),
            incident="parent",
        )  # fmt: skip
        answered = opened + datetime.timedelta(minutes=12)
        solved = self.at(opened, 240)
        parent.messages = [
            PlannedMessage(
                "reseau", NOTE,
                "Licences simultanées du concentrateur épuisées (250 sur 250). Achat de 250 licences "
                "supplémentaires validé par le directeur ; en attendant, déconnexion des sessions inactives.",
                answered - datetime.timedelta(minutes=5),
            ),
            PlannedMessage(
                "reseau", REPLY,
                "Bonjour,\n\nIncident identifié : le VPN a atteint son nombre maximal de connexions simultanées. "
                "Nous libérons des connexions et ajoutons des licences. Inutile de refaire une demande : vous serez "
                "prévenus dès le rétablissement.",
                answered,
            ),
            PlannedMessage(
                "reseau", REPLY,
                "Bonjour,\n\nLe VPN est rétabli : 250 licences supplémentaires sont actives. Si vous ne parvenez "
                "toujours pas à vous connecter, redémarrez votre ordinateur puis réessayez.",
                solved,
            ),
        ]  # fmt: skip
        parent.first_response_at, parent.status = answered, RESOLVED
        parent.resolved_at = parent.updated_at = solved
        children = []
        titles = (
            "VPN inaccessible",
            "Impossible de me connecter au VPN ce matin",
            "Plus d'accès au réseau en télétravail",
        )
        for minutes in sorted(self.chance.randrange(5, 170) for _ in range(INCIDENT_DUPLICATES)):
            created = outage + datetime.timedelta(minutes=minutes)
            urgency, impact = 3, 1
            first_due, resolution_due = self.dues(created, self.rules.matrix[(urgency, impact)])
            child = PlannedTicket(
                week=week, topic="vpn", title=self.chance.choice(titles),
                description=self.fill(
                    "Le VPN refuse ma connexion depuis ce matin (« nombre maximal de connexions atteint »). "
                    "Je suis en télétravail à {commune} et ne peux plus rien faire."
                ),
                urgency=urgency, impact=impact, priority=self.rules.matrix[(urgency, impact)],
                source=self.weighted({WEB: 6, MAIL: 2, PHONE: 2}), requester=self.chance.choice(self.requesters),
                opened_by="", group="INFRA", created_at=created, updated_at=max(created, opened),
                first_response_due=first_due, resolution_due=resolution_due, incident="child",
            )  # fmt: skip
            child.opened_by = child.requester if child.source != PHONE else "technicien"
            # ITickets.set_status resolves the children with their parent, without a message.
            child.status, child.resolved_at, child.updated_at = RESOLVED, solved, solved
            children.append(child)
        for ticket in (parent, *children):
            self.notice_breach(ticket, until=solved)
            self.close_and_rate(ticket)
        return [parent, *children]


def default_queue(path: str) -> str:
    """The group of a category path in :data:`CATEGORIES` (a node's, else its nearest parent's)."""
    while path:
        code = dict(CATEGORIES).get(path)
        if code:
            return code
        path = path.rpartition(" > ")[0]
    return "BAU"


Wish = tuple[Callable[[PlannedTicket], bool], bool, tuple[int, str] | None]


def for_the_demo_agent(tickets: Sequence[PlannedTicket], login: str) -> None:
    """Give the demonstration agent a few tickets worth showing: each stage of the lifecycle once."""

    def pick(condition: Callable[[PlannedTicket], bool], latest: bool) -> PlannedTicket | None:
        candidates = [t for t in tickets if not t.incident and t.requester != login and condition(t)]
        return (candidates[-1] if latest else candidates[0]) if candidates else None

    wishes: list[Wish] = [
        (lambda t: t.status == CLOSED and t.week == PEAK_WEEK and t.topic == "vpn", False,
         (5, "Accès ouvert dans la matinée en pleine semaine de confinement, merci !")),
        (lambda t: t.status == CLOSED and t.week in (PEAK_WEEK, PEAK_WEEK + 1) and t.topic == "portable", False,
         (4, "Portable prêt le lendemain, merci.")),
        (lambda t: t.status == CLOSED and t.topic == "metier", True, None),
        (lambda t: t.status == WAITING and t.waiting_for == WAITING_FOR_REQUESTER, True, None),
        (lambda t: t.status == RESOLVED and t.rating is None, True, None),
        (lambda t: t.status in (IN_PROGRESS, ASSIGNED), True, None),
        (lambda t: t.status == NEW, True, None),
    ]  # fmt: skip
    for condition, latest, rating in wishes:
        chosen = pick(condition, latest)
        if chosen is None:
            continue
        chosen.requester = login
        if chosen.source != PHONE:
            chosen.opened_by = login
        if rating is not None:
            chosen.rating, chosen.rating_comment = rating
