"""What keeps the public side's forms from robots, without a third-party CAPTCHA.

- Rate limits, declared to the core (``cagou_rate_limits``) and counted by
  its ``IRateLimits`` across processes: drafts started per address,
  submissions per address and per e-mail address. The ``cagou.ratelimits``
  setting may change them.
- A honeypot: a field the page hides from people (and from screen readers)
  that a robot filling every input fills.
- A minimum time between the review page's display and its submission
  (``aids.min_seconds``, 3 by default): a person reads their answers first.

A refused attempt stores nothing and says why, in French.
"""

from __future__ import annotations

import datetime
import math

from pyramid.request import Request

from cagou.kit import IClock, IRateLimits, RateLimit, Refused
from cagou_aids.models import Draft

DRAFTS_PER_ADDRESS = RateLimit("aids.drafts.address", 30, datetime.timedelta(hours=1))
SUBMISSIONS_PER_ADDRESS = RateLimit("aids.submissions.address", 20, datetime.timedelta(hours=1))
SUBMISSIONS_PER_EMAIL = RateLimit("aids.submissions.email", 5, datetime.timedelta(hours=1))
GUEST_CODES = RateLimit("aids.guest-codes.draft", 5, datetime.timedelta(minutes=15))
RATE_LIMITS = [DRAFTS_PER_ADDRESS, SUBMISSIONS_PER_ADDRESS, SUBMISSIONS_PER_EMAIL, GUEST_CODES]
#: The honeypot's name: a field nobody is asked to fill, which a password manager has no reason to either.
HONEYPOT = "laisser_vide"
MIN_SECONDS = 3.0


def refuse_if_limited(request: Request, checks: dict[str, str]) -> None:
    refuse_waiting(request.find_service(IRateLimits).blocked_for(checks))


def count_or_refuse(request: Request, checks: dict[str, str]) -> None:
    """One attempt more for each rule, in one statement, or Refused (429): raising, it is not counted."""
    refuse_waiting(request.find_service(IRateLimits).check_and_count(checks))


def refuse_waiting(wait: datetime.timedelta | None) -> None:
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise Refused(f"Trop de tentatives depuis votre connexion : réessayez dans {minutes} minute(s).", 429)


def before_start(request: Request) -> None:
    """A draft more from this address, or Refused (429)."""
    checks = {DRAFTS_PER_ADDRESS.name: request.client_addr or ""}
    refuse_if_limited(request, checks)
    request.find_service(IRateLimits).count(checks)


def before_guest_code(request: Request, draft: Draft) -> None:
    """One more try of a guest's code on this draft (six digits: the tries are few), or Refused (429)."""
    checks = {GUEST_CODES.name: draft.token}
    refuse_if_limited(request, checks)
    request.find_service(IRateLimits).count(checks)


def review_shown(request: Request, draft: Draft) -> None:
    """Remember when the review page was shown, in the person's session."""
    request.session[f"aids.review.{draft.id}"] = request.find_service(IClock).now().timestamp()


def before_submission(request: Request, draft: Draft) -> dict[str, str]:
    """Refused unless the submission looks like a person's; the rate limits' checks, to count once it is stored."""
    if request.POST.get(HONEYPOT, ""):
        raise Refused("Le formulaire n'a pas pu être envoyé : laissez vide le champ « Ne pas remplir ».", 400)
    shown = request.session.get(f"aids.review.{draft.id}")
    minimum = float(request.registry.settings.get("aids.min_seconds", MIN_SECONDS))
    now = request.find_service(IClock).now().timestamp()
    if not isinstance(shown, float) or now - shown < minimum:
        review_shown(request, draft)
        raise Refused("Prenez le temps de relire vos réponses, puis déposez votre demande.", 400)
    checks = {SUBMISSIONS_PER_ADDRESS.name: request.client_addr or ""}
    email = draft.reply_address
    if email:
        checks[SUBMISSIONS_PER_EMAIL.name] = email.casefold()
    refuse_if_limited(request, checks)
    return checks


def submitted(request: Request, checks: dict[str, str]) -> None:
    request.find_service(IRateLimits).count(checks)
