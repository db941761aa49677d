"""``cagou module new NAME``: a new module distribution, ready to install and test.

The files are in ``template/``, shipped as package data, with a ``.tmpl``
suffix so that the linters and the packagers never take them for code. They
are filled with :class:`string.Template` rather than Jinja2: the generated
Jinja2 templates carry ``{{ }}`` and ``{% %}`` of their own, which ``$name``
leaves alone. In paths, ``NAME`` is replaced by the module's name.
"""

from __future__ import annotations

import keyword
import re
import string
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

#: A module's name is its entry point, its branch of migrations, its table prefix and its permission scope.
NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Table and constraint names are built on it (PostgreSQL cuts identifiers at 63 characters), and
#: the generated code is laid out to pass ``ruff format`` with names up to this length.
MAX_LENGTH = 20
#: Names the core already uses where a module's name goes (the core's branch of migrations and scope).
RESERVED = frozenset({"core", "kit"})
SUFFIX = ".tmpl"


class ScaffoldError(ValueError):
    """A refusal to generate, in French."""


def check_name(name: str) -> None:
    """Refuse, in French, a name that cannot be a module's (see :data:`NAME`)."""
    if not NAME.fullmatch(name):
        raise ScaffoldError(
            f"« {name} » ne peut pas nommer un module : une lettre minuscule, "
            "puis des lettres minuscules, des chiffres ou des soulignés (_), sans accent."
        )
    if len(name) > MAX_LENGTH:
        raise ScaffoldError(f"« {name} » est trop long : {MAX_LENGTH} caractères au plus.")
    if name in RESERVED or keyword.iskeyword(name):
        raise ScaffoldError(f"« {name} » est réservé : choisissez un autre nom.")


def values(name: str) -> dict[str, str]:
    return {"name": name, "package": f"cagou_{name}", "title": name.replace("_", " ").capitalize()}


def template_files(folder: Traversable, relative: Path = Path()) -> list[tuple[Path, Traversable]]:
    """Every template file under ``folder``, with its path relative to the template's root."""
    found: list[tuple[Path, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found += template_files(entry, relative / entry.name)
        elif entry.name.endswith(SUFFIX):
            found.append((relative / entry.name.removesuffix(SUFFIX), entry))
    return found


def create(name: str, directory: Path) -> Path:
    """Write the distribution of module ``name`` into ``directory/name``; return that folder.

    Refuses (:class:`ScaffoldError`) a bad name or a folder that exists: a
    scaffold never writes over someone's work.
    """
    check_name(name)
    target = directory / name
    if target.exists():
        raise ScaffoldError(f"{target} existe déjà : rien n'a été écrit.")
    filling = values(name)
    for relative, source in template_files(resources.files(__package__) / "template"):
        path = target / Path(*(part.replace("NAME", name) for part in relative.parts))
        path.parent.mkdir(parents=True, exist_ok=True)
        # substitute, not safe_substitute: a misspelled placeholder must fail here, not ship.
        path.write_text(string.Template(source.read_text(encoding="utf-8")).substitute(filling), encoding="utf-8")
    return target
