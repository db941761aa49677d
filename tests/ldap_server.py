"""A real OpenLDAP server (Debian's slapd) for the directory tests.

The session starts one ``slapd`` as a child process, in a temporary folder
(its configuration, its mdb database, its TLS certificate), on free loopback
ports: ``ldap://`` and, when ``openssl`` is there, ``ldaps://`` with a
certificate signed by a throw-away authority. Each test gets the same
Province Sud organisation, loaded afresh through ldap3 (``ldap_directory``);
a test may stop the server, the next one starts it again. Skipped, with the
reason, where slapd is not installed (``apt-get install slapd ldap-utils``;
``.ci/run`` does it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ldap3 import HASHED_SALTED_SHA, MODIFY_REPLACE, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException
from ldap3.utils.hashed import hashed

from cagou.testing import require_program, stop_process

SLAPD = Path("/usr/sbin/slapd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")

SUFFIX = "dc=province-sud,dc=nc"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groupes,{SUFFIX}"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "racine-de-l-annuaire"
SERVICE_DN = f"cn=cagou,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "compte-de-service-cagou"

#: The group that gives a platform-wide role, and the one that gives a role within the DEFE.
READERS = f"cn=lecteurs,{GROUPS}"
EDITORS_DEFE = f"cn=redacteurs-defe,{GROUPS}"
EVERYONE = f"cn=tous-les-agents,{GROUPS}"
ROLES = f"{READERS} = sample:reader\nCN=Redacteurs-DEFE, OU=Groupes,DC=province-sud,DC=nc = sample:editor@DEFE"


@dataclass(frozen=True)
class DirectoryAgent:
    uid: str
    given_name: str
    surname: str
    mail: str
    directorate: str
    password: str

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.surname}"


AGENTS = (
    DirectoryAgent("mwamytan", "Marie", "Wamytan", "marie.wamytan@province-sud.nc", "DSI-BAU", "niaouli-2026-bau"),
    DirectoryAgent("hpoadja", "Henri", "Poadja", "henri.poadja@province-sud.nc", "DEFE-SAE", "kaori-2026-defe"),
    DirectoryAgent("eneaoutyine", "Élise", "Néaoutyine", "elise.neaoutyine@province-sud.nc", "DFI-SB", "gaiac-2026"),
)
MEMBERS = {
    READERS: ("mwamytan", "hpoadja"),
    EDITORS_DEFE: ("hpoadja",),
    EVERYONE: tuple(agent.uid for agent in AGENTS),
}


def agent(uid: str) -> DirectoryAgent:
    return next(candidate for candidate in AGENTS if candidate.uid == uid)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def closed_port_url() -> str:
    """An ldap:// address where nothing listens."""
    return f"ldap://127.0.0.1:{free_port()}"


class Slapd:
    """One slapd process and its folder; ``start`` and ``stop`` may be called again and again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.tls_port = free_port()
        self.tls = shutil.which("openssl") is not None
        self.process: subprocess.Popen[bytes] | None = None
        (folder / "db").mkdir()
        if self.tls:
            make_certificates(folder)
        (folder / "slapd.conf").write_text(self.configuration())

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    def configuration(self) -> str:
        lines = [f"include {SCHEMAS / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")]
        lines += [
            f"modulepath {MODULES}",
            "moduleload back_mdb",
            f"pidfile {self.folder / 'slapd.pid'}",
            f"argsfile {self.folder / 'slapd.args'}",
        ]
        if self.tls:
            lines += [
                f"TLSCACertificateFile {self.ca_file}",
                f"TLSCertificateFile {self.folder / 'server.pem'}",
                f"TLSCertificateKeyFile {self.folder / 'server.key'}",
            ]
        lines += [
            "database mdb",
            "maxsize 16777216",
            f'suffix "{SUFFIX}"',
            f'rootdn "{ADMIN_DN}"',
            f"rootpw {ADMIN_PASSWORD}",
            f"directory {self.folder / 'db'}",
            "access to attrs=userPassword by self write by anonymous auth by * none",
            "access to * by * read",
        ]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        listen = self.url + "/" + (f" {self.ldaps_url}/" if self.tls else "")
        self.process = subprocess.Popen(
            [str(SLAPD), "-h", listen, "-f", str(self.folder / "slapd.conf"), "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "slapd.log").open("ab"),
        )
        deadline = time.monotonic() + 20
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "slapd.log").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"slapd did not start:\n{log}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            connection = Connection(Server("127.0.0.1", port=self.port, connect_timeout=1), receive_timeout=1)
            connection.bind()
            connection.unbind()
        except LDAPException:
            return False
        return True

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def admin(self) -> Connection:
        connection = Connection(Server("127.0.0.1", port=self.port), ADMIN_DN, ADMIN_PASSWORD, raise_exceptions=True)
        connection.bind()
        return connection

    def reset(self) -> None:
        """Empty the directory, then load the organisation of the Province Sud."""
        connection = self.admin()
        try:
            connection.search(SUFFIX, "(objectClass=*)", SUBTREE, attributes=["1.1"])
            for dn in sorted((entry["dn"] for entry in connection.response), key=lambda dn: -dn.count(",")):
                connection.delete(dn)
        except LDAPException:
            pass  # the suffix entry itself does not exist yet
        try:
            load_organisation(connection)
        finally:
            connection.unbind()

    def set_members(self, group: str, uids: tuple[str, ...]) -> None:
        """Change who belongs to ``group`` (groupOfNames needs one member: the group's own DN stands in)."""
        members = [agent(uid).dn for uid in uids] or [group]
        with self.admin() as connection:
            connection.modify(group, {"member": [(MODIFY_REPLACE, members)]})

    def modify_agent(self, uid: str, **attributes: str) -> None:
        with self.admin() as connection:
            connection.modify(agent(uid).dn, {name: [(MODIFY_REPLACE, [value])] for name, value in attributes.items()})

    def add_agent(self, person: DirectoryAgent) -> None:
        with self.admin() as connection:
            add_person(connection, person)


def make_certificates(folder: Path) -> None:
    """A certificate authority for the test, and the server's certificate for 127.0.0.1, with openssl."""

    def openssl(*arguments: str) -> None:
        subprocess.run(["openssl", *arguments], cwd=folder, check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Autorite de test Cagou",
        "-keyout", "ca.key", "-out", "ca.pem",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"
    )
    (folder / "san.cnf").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.cnf", "-out", "server.pem",
    )  # fmt: skip


def add_person(connection: Connection, person: DirectoryAgent) -> None:
    connection.add(
        person.dn,
        ["inetOrgPerson"],
        {
            "uid": person.uid,
            "cn": person.name,
            "givenName": person.given_name,
            "sn": person.surname,
            "mail": person.mail,
            "departmentNumber": person.directorate,
            "userPassword": hashed(HASHED_SALTED_SHA, person.password),
        },
    )


def load_organisation(connection: Connection) -> None:
    connection.add(SUFFIX, ["dcObject", "organization"], {"dc": "province-sud", "o": "Province Sud"})
    for unit in ("people", "groupes", "services"):
        connection.add(f"ou={unit},{SUFFIX}", ["organizationalUnit"], {"ou": unit})
    connection.add(
        SERVICE_DN,
        ["applicationProcess", "simpleSecurityObject"],
        {"cn": "cagou", "userPassword": hashed(HASHED_SALTED_SHA, SERVICE_PASSWORD)},
    )
    for person in AGENTS:
        add_person(connection, person)
    for group, uids in MEMBERS.items():
        name = group.split(",")[0].removeprefix("cn=")
        connection.add(group, ["groupOfNames"], {"cn": name, "member": [agent(uid).dn for uid in uids]})


def directory_settings(server: Slapd, **overrides: str) -> dict[str, str]:
    """The ``cagou.ldap.*`` settings of a platform that signs agents in with ``server``."""
    values = {
        "cagou.ldap.url": server.url,
        "cagou.ldap.timeout": "3",
        "cagou.ldap.bind_dn": SERVICE_DN,
        "cagou.ldap.bind_password": SERVICE_PASSWORD,
        "cagou.ldap.base_dn": PEOPLE,
        "cagou.ldap.group_base_dn": GROUPS,
        "cagou.ldap.roles": ROLES,
    }
    values.update({f"cagou.ldap.{key}": value for key, value in overrides.items()})
    return values


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """The session's OpenLDAP server, stopped at the end."""
    require_program(SLAPD, "slapd")
    server = Slapd(tmp_path_factory.mktemp("slapd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ldap_directory(slapd: Slapd) -> Slapd:
    """The OpenLDAP server, running, with the organisation of the Province Sud loaded afresh."""
    slapd.start()
    slapd.reset()
    return slapd
