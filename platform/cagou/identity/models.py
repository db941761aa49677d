"""Accounts, directorates and role grants."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.db import Base
from cagou.db.types import Encrypted, UTCDateTime

AGENT = "agent"
CITIZEN = "citizen"
COMPANY = "company"
ADMIN = "admin"

KIND_LABELS = {
    AGENT: "Agent",
    CITIZEN: "Particulier",
    COMPANY: "Entreprise",
    ADMIN: "Administrateur informatique",
}

#: The kinds of account that sign in on each site.
STAFF_KINDS = (AGENT, ADMIN)
PUBLIC_KINDS = (CITIZEN, COMPANY)


class Directorate(Base):
    """A directorate, or a service within one: they form a tree."""

    __tablename__ = "directorate"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directorate.id"))

    parent: Mapped[Directorate | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Directorate]] = relationship(back_populates="parent", order_by="Directorate.name")


class Account(Base):
    """A person who signs in: an agent, a citizen, a company or an IT administrator."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(120), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: A company's identifier in New Caledonia: ``1234567.001`` (company, then establishment).
    ridet: Mapped[str | None] = mapped_column(sa.String(11))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    directorate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directorate.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: Public accounts sign in once their address is confirmed; staff accounts are created confirmed.
    email_verified_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: A deleted public account keeps its row, detached from any login, for the files it submitted.
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)

    directorate: Mapped[Directorate | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(back_populates="account", cascade="all, delete-orphan")

    @property
    def is_staff(self) -> bool:
        return self.kind in STAFF_KINDS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


class RoleGrant(Base):
    """A role held by an account, platform-wide or within one directorate."""

    __tablename__ = "role_grant"
    __table_args__ = (sa.UniqueConstraint("account_id", "role", "directorate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(120))
    directorate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directorate.id"))

    account: Mapped[Account] = relationship(back_populates="grants")
    directorate: Mapped[Directorate | None] = relationship()


class LoginSession(Base):
    """A sign-in, kept on the server: the cookie only carries a random token.

    The row is found by the SHA-256 of that token, so a copy of the table does
    not let anyone sign in. Ending the row (logout, inactivity, deactivation,
    password change) signs the person out in every process at once.
    """

    __tablename__ = "login_session"
    __table_args__ = (sa.Index("ix_login_session_account_open", "account_id", "ended_at"),)

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(32))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    #: When the person gave their second factor in this session (required for some roles).
    second_factor_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)

    #: Loaded with the session, grants included, by :func:`cagou.identity.sessions.current_session`.
    account: Mapped[Account] = relationship(viewonly=True)


VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105  (a purpose, not a password)
#: A public account's new address, confirmed by a link mailed to it (the link is bound to the address).
CHANGE_EMAIL = "change-email"


class AccountLink(Base):
    """A single-use link mailed to a person: confirm an address, choose a new password.

    Only the SHA-256 of the token is kept; the link dies when used, when it
    expires, or when a newer link of the same purpose is sent.
    """

    __tablename__ = "account_link"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)


class SecondFactor(Base):
    """The time-based one-time password (TOTP) an account signs in with, once confirmed.

    ``secret`` is the TOTP secret encrypted with the key ring (``ISecrets``);
    ``last_time_step`` is the 30-second step of the last code accepted: a code
    is accepted once, never again, even within its validity.
    """

    __tablename__ = "second_factor"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(Encrypted)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    last_time_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class RecoveryCode(Base):
    """A single-use code that replaces the second factor when the phone is lost."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A personal token for the JSON API: scoped, expiring, revocable, shown once.

    Only the SHA-256 of the token is kept, with its first characters so that
    its owner recognises it in the list.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
