"""The module kit: everything a module may use from the core, and nothing else.

A module imports the core from here (and, in its tests, from
:mod:`cagou.testing`); an import of any other part of the core from a
module's package is a red build (``lint-imports`` and
``tests/test_import_contracts.py``). Each name is documented in
``docs/plugins.md``, grouped as below. What the core keeps out of this list
may change without notice; what is in it changes only with the modules.

Modules never read or write the core's tables: accounts, roles and grants go
through :class:`IAccounts`. :class:`Account` is here as a type (the signed-in
person, what ``IAccounts`` returns) and as the target of a module model's
``relationship()``; a module does not ``select`` it.
"""

from __future__ import annotations

from cagou.api.bodies import json_object
from cagou.api.errors import ApiError, invalid, refusals
from cagou.cli import Environment, fail, pass_env
from cagou.clock import local, timezone
from cagou.contributions import (
    INTRANET,
    PUBLIC,
    AuditEntryView,
    AuthenticationUnavailable,
    Equipment,
    HealthResult,
    ModuleInfo,
    NavEntry,
    NewAccount,
    Permission,
    RateLimit,
    Role,
    ScheduledJob,
    SearchResult,
    Widget,
)
from cagou.db import Base, get_engine, get_session_factory, is_sqlite_busy, savepoint, transaction_scope
from cagou.db.migrate import MigrationRefusedError
from cagou.db.types import Encrypted, UTCDateTime
from cagou.files.scanner import ScannerUnavailable, ScanResult, ScanStatus
from cagou.hookspecs import hookimpl
from cagou.identity.models import AGENT, CITIZEN, COMPANY, STAFF_KINDS, Account, Directorate
from cagou.identity.policy import Root, act_as, directorate_acl, principals_of
from cagou.identity.services import account_names
from cagou.identity.validation import normalize_ridet
from cagou.interfaces import (
    IAccounts,
    IAuditLog,
    IClock,
    IFileStorage,
    IJobQueue,
    IMailer,
    IModuleStates,
    IRateLimits,
    ISecrets,
    IVirusScanner,
)
from cagou.mail.services import check_address, deliver_mail, sender_domain
from cagou.plugins import call_enabled, flatten
from cagou.refusals import Invalid, Refused
from cagou.settings import environment_name
from cagou.web.exports import csv_cell, csv_lines, csv_response, spreadsheet_text, xlsx_file, xlsx_response
from cagou.web.form_bodies import PostedFile
from cagou.web.form_handling import Form, TextField, form_class, submit
from cagou.web.forms import FormErrors, check_text, parse_date, read_date, read_period
from cagou.web.i18n import translate
from cagou.web.uploads import Upload, attachment_response, check_upload, sniffed_type, uploads_of
from cagou.web.views import json_error

__all__ = [
    "AGENT",
    "CITIZEN",
    "COMPANY",
    "INTRANET",
    "PUBLIC",
    "STAFF_KINDS",
    "Account",
    "ApiError",
    "AuditEntryView",
    "AuthenticationUnavailable",
    "Base",
    "Directorate",
    "Encrypted",
    "Environment",
    "Equipment",
    "Form",
    "FormErrors",
    "HealthResult",
    "IAccounts",
    "IAuditLog",
    "IClock",
    "IFileStorage",
    "IJobQueue",
    "IMailer",
    "IModuleStates",
    "IRateLimits",
    "ISecrets",
    "IVirusScanner",
    "Invalid",
    "MigrationRefusedError",
    "ModuleInfo",
    "NavEntry",
    "NewAccount",
    "Permission",
    "PostedFile",
    "RateLimit",
    "Refused",
    "Role",
    "Root",
    "ScanResult",
    "ScanStatus",
    "ScannerUnavailable",
    "ScheduledJob",
    "SearchResult",
    "TextField",
    "UTCDateTime",
    "Upload",
    "Widget",
    "account_names",
    "act_as",
    "attachment_response",
    "call_enabled",
    "check_address",
    "check_text",
    "check_upload",
    "csv_cell",
    "csv_lines",
    "csv_response",
    "deliver_mail",
    "directorate_acl",
    "environment_name",
    "fail",
    "flatten",
    "form_class",
    "get_engine",
    "get_session_factory",
    "hookimpl",
    "invalid",
    "is_sqlite_busy",
    "json_error",
    "json_object",
    "local",
    "normalize_ridet",
    "parse_date",
    "pass_env",
    "principals_of",
    "read_date",
    "read_period",
    "refusals",
    "savepoint",
    "sender_domain",
    "sniffed_type",
    "spreadsheet_text",
    "submit",
    "timezone",
    "transaction_scope",
    "translate",
    "uploads_of",
    "xlsx_file",
    "xlsx_response",
]
