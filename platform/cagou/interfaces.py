"""The core's services, as zope.interface interfaces.

A view or a module asks the request for a service by its interface
(``request.find_service(IAuditLog)``) and never cares which implementation
answers: a setting, or a test, picks it. Each implementation lives in the
``services.py`` of its domain package, next to its factory.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface

# ruff: noqa: N805  (zope.interface methods are declared without ``self``)


class IPlugins(Interface):
    """Registry utility: the application's :class:`cagou.plugins.Plugins`."""


class IModuleStates(Interface):
    """Which module is enabled on which site; shared by every process."""

    def is_enabled(module, site):
        """True when ``module`` is enabled on ``site`` (built-in modules always are)."""

    def enabled_on(site):
        """The names of the modules enabled on ``site``, built-in ones included."""

    def active():
        """The names of the modules enabled on at least one site."""

    def state(module, site):
        """The stored state: True, False, or None when the default applies."""

    def set_enabled(request, module, site, enabled):
        """Enable or disable ``module`` on ``site`` in the request's transaction, audited.

        Raises ``ValueError`` with a French message for an unknown module, a
        built-in module, a broken one, or a site the module does not serve.
        """

    def forget():
        """Drop the cached states so that the next question reads the database."""


class IClock(Interface):
    """The time, so that tests can freeze it."""

    def now():
        """The current instant, timezone-aware, in UTC."""


class IAccounts(Interface):
    """Accounts, directorates and roles: the identity service."""

    def by_id(account_id):
        """The account with this id, or None."""

    def by_login(login):
        """The account with this login (case-insensitive), or None."""

    def public_by_email(email):
        """The citizen's or company's account that uses this address, or None."""

    def authenticate(login, password):
        """The active account these credentials identify, or None (backends in turn).

        Raises ``cagou.identity.services.AuthenticationUnavailableError`` (its
        ``message`` in French) when no backend recognised the person and one
        could not check, its directory being down.
        """

    def create(login, display_name, kind, email=None, password=None, directorate=None, ridet=None, email_verified=True):
        """Create an account; agents trigger ``cagou_agent_created``.

        Raises ``ValueError`` in French for a taken login, a weak password or
        an invalid RIDET. Public accounts are created with ``email_verified=False``
        until their holder follows the link mailed to them.
        """

    def confirm_email(account):
        """Record that the holder of ``account`` received mail at its address."""

    def delete(account):
        """Detach a public account from its login; what it submitted stays."""

    def set_password(account, password):
        """Hash and store a new password for ``account``."""

    def change_password(account, password, keep=None):
        """The holder's new password, audited; their sessions end but ``keep`` (the current one)."""

    def change_email(account, email):
        """A public account's new address (and login), once its holder confirmed it; audited."""

    def deactivate(account):
        """Deactivate ``account``; agents trigger ``cagou_agent_deactivated`` once."""

    def reactivate(account):
        """Let a deactivated (not deleted) account sign in again."""

    def update(account, display_name, email):
        """Change the name and address of ``account``, audited."""

    def revoke(account, grant):
        """Withdraw one of the account's role grants, audited."""

    def move(account, directorate):
        """Move an agent to ``directorate``, triggering ``cagou_agent_moved``."""

    def roles_of(account):
        """The names of the roles granted to ``account``."""

    def grant(account, role, directorate=None):
        """Grant ``role`` to ``account`` (within ``directorate`` when given)."""

    def find_agent(text):
        """The active agent whose login or address is ``text`` (case-insensitive), or None."""

    def staff_by_email(address):
        """The active agents and IT administrators who use ``address``, oldest account first."""

    def holders_of(roles):
        """The active accounts holding one of ``roles`` (anywhere), by name."""

    def directorate(code):
        """The directorate of this code, or None."""

    def ids_of(logins):
        """login → id of the accounts among ``logins`` that exist."""

    def create_many(people, created_at=None):
        """Create in one INSERT the :class:`~cagou.contributions.NewAccount` whose login is free.

        For imports and demonstration data. One audit entry for them all;
        ``cagou_agent_created`` for each agent created. Returns login → id of
        every login of ``people``, created now or already there.
        """

    def grant_many(grants):
        """Grant platform-wide each ``(account id, role)`` not held yet, in one INSERT; one audit entry.

        Returns how many were granted.
        """


class IAuditLog(Interface):
    """The single audit log of the platform."""

    def record(action, summary, module="core", object_type=None, object_id=None, changes=None, category="action"):
        """Append an entry in the current transaction: who, when, from where and what.

        ``action`` follows ``module:subject:action`` (``core:module:enable``);
        ``summary`` is a readable French sentence; ``changes`` is a JSON-able
        dict, typically ``{"before": ..., "after": ...}``.
        """

    def record_read(action, summary, module, object_type, object_id):
        """Record a read of sensitive personal data (category ``read``), in the current transaction."""

    def record_now(action, summary, module="core", object_type=None, object_id=None, changes=None, category="refused"):
        """Record a failed or refused attempt that must stay even though the request fails.

        Written outside the request's transaction (at once on PostgreSQL, just
        after the transaction ends on SQLite); returns nothing.
        """


class IMailer(Interface):
    """Mail that leaves only if the transaction commits, and is retried."""

    def send(to, subject, body, html=None, reply_to=None, message_id=None, key=None, attachments=()):
        """Queue a message in the current transaction; return its outbox id.

        ``attachments`` are ``(filename, content_type, data)`` triples (``data`` in bytes, such as
        a PDF receipt): kept encrypted with the message, and sent as its attached files.

        ``message_id`` (``<…@domain>``) lets the caller recognise the replies
        to this message by their ``In-Reply-To``; by default the mailer makes one.
        ``key`` (at most 255 characters, such as ``helpdesk.ticket.42.acknowledgement``)
        makes the mail idempotent: the outbox holds one mail per key, and a
        second ``send`` with a key already written (by a job run twice, or by
        a concurrent transaction, which it waits for on PostgreSQL) writes
        nothing and returns None.
        """


class IFileStorage(Interface):
    """Where uploaded files are kept."""

    def store(data, filename, content_type):
        """Keep ``data`` (bytes) and return a key that finds it again."""

    def open(key):
        """A binary file object for ``key``; raises ``KeyError`` when unknown."""

    def exists(key):
        """True when a file is kept under ``key``."""

    def delete(key):
        """Remove the bytes kept under ``key`` (a file found infected); nothing happens when none are."""


class IVirusScanner(Interface):
    """Looks for viruses in a file's bytes: clamd when ``cagou.clamd`` names it, none by default.

    :meth:`scan` answers a :class:`cagou.files.scanner.ScanResult` and never
    raises because the scanner is down: a caller keeps the file in quarantine
    on ``unavailable`` and asks again later. With no scanner configured every
    answer is ``not-scanned``, so a caller always knows whether a file was
    looked at.
    """

    configured = Attribute("True when a scanner is configured (``cagou.clamd``).")
    address = Attribute("Where the scanner listens (``unix:///run/clamav/clamd.ctl``); empty without one.")

    def scan(data):
        """The verdict on ``data``, bytes or a binary file object read to its end."""

    def version():
        """The scanner's version and that of its signatures; raises ``ScannerUnavailable`` when it cannot answer."""


class ISecrets(Interface):
    """Secrets a module must be able to read back (a TOTP seed, another system's password), encrypted at rest.

    Encrypted with the key ring of ``cagou.secrets.keys``, a file outside the
    database; stored in a column of type ``cagou.db.types.Encrypted``, which
    is how ``cagou secrets rotate`` finds them all. Passwords that only need
    checking are hashed instead, never encrypted.
    """

    def encrypt(text):
        """A token (ASCII text) to store in an ``Encrypted`` column."""

    def decrypt(token):
        """The clear text of ``token``.

        Raises ``cagou.secrets.SecretUnreadableError`` (its message in French)
        when no key of the ring decrypts it: the wrong ring, or a lost key.
        """


class IReferenceNumbers(Interface):
    """Human reference numbers, without gaps: ``AIDE-2026-000123``."""

    def next(prefix):
        """The next number of ``prefix`` for the current year, in the current transaction."""


class IRateLimits(Interface):
    """Attempts counted per rule and subject, shared by every process."""

    def blocked_for(checks):
        """How long the first exhausted rule of ``{rule: subject}`` still blocks, or None."""

    def count(checks):
        """Count one more attempt for each ``{rule: subject}`` in the current transaction."""


class IJobQueue(Interface):
    """Work handed to the background worker."""

    def enqueue(name, **arguments):
        """Run the job ``name`` in the worker once the transaction commits."""

    jobs = Attribute("The registered jobs, by name.")
