"""The helpdesk administrator's pages: categories, groups, priority matrix, service levels.

Everything here needs ``helpdesk:settings:manage``. Each page works without
JavaScript: a form posts, the change is checked (French messages next to the
fields, answer 400, nothing stored), written, audited, and the browser is sent
back to the page with a flash message.

- **Categories** form a tree (``Réseau > VPN``). A node's ``path`` (its names
  from the root) is what agents type and technicians filter on, so renaming or
  moving a node rewrites the path of every descendant. A category may name the
  group whose queue receives its tickets; a category without one inherits its
  parent's, and the root falls back to the ``helpdesk.default_group`` setting.
  Deactivating a category deactivates its subtree: new tickets can no longer
  choose it, existing tickets keep it. An active category never sits under an
  inactive one.
- **Groups** of technicians have a code (fixed at creation: the
  ``helpdesk.default_group`` setting and the audit log name groups by it), a
  name, a manager (an account with the ``helpdesk:manager`` role) and members
  (accounts with the ``helpdesk:technician`` or ``helpdesk:manager`` role).
  Removing a member gives their open tickets of that group back to its queue.
- **Priorities**: the urgency × impact matrix, stored as ``PriorityRule`` rows
  over ``services.DEFAULT_MATRIX``. Tickets already open keep their priority.
- **Service levels** per priority, in business hours and minutes, stored as
  ``ServiceLevel`` rows over ``services.DEFAULT_SERVICE_LEVELS``. The working
  hours they count in come from the settings and are only shown here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from cagou.kit import INTRANET, Account, FormErrors, IAccounts, IAuditLog, Invalid, Refused, savepoint
from cagou_helpdesk import services
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import (
    ASSIGNED,
    IMPACTS,
    IN_PROGRESS,
    NEW,
    OPEN_STATUSES,
    PRIORITIES,
    URGENCIES,
    Category,
    Group,
    Member,
    PriorityRule,
    ServiceLevel,
    Ticket,
)

PERMISSION = "helpdesk:settings:manage"
PREFIX = "/assistance/administration"
TEMPLATES = "cagou_helpdesk:templates/"

SEPARATOR = " > "
MAX_CATEGORY_NAME = 100
MAX_PATH = 500
MAX_GROUP_NAME = 200
MAX_LOGIN = 120
GROUP_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
#: Roles whose holders may be members of a group, and be its manager.
MEMBER_ROLES = ("helpdesk:technician", "helpdesk:manager")
MANAGER_ROLES = ("helpdesk:manager",)
#: The longest service level accepted, in business hours (about six months of working days).
MAX_SERVICE_HOURS = 1000

#: The administration's sections, in the order of its tabs.
SECTIONS: dict[str, str] = {
    "helpdesk.admin": "Vue d'ensemble",
    "helpdesk.admin.categories": "Catégories",
    "helpdesk.admin.groups": "Groupes de techniciens",
    "helpdesk.admin.priorities": "Priorités",
    "helpdesk.admin.service_levels": "Niveaux de service",
}


def includeme(config: Configurator) -> None:
    route = config.add_site_route
    route(INTRANET, "helpdesk.admin", PREFIX + "/")
    route(INTRANET, "helpdesk.admin.categories", PREFIX + "/categories/")
    route(INTRANET, "helpdesk.admin.category", PREFIX + r"/categories/{id:\d+}")
    route(INTRANET, "helpdesk.admin.category_state", PREFIX + r"/categories/{id:\d+}/etat")
    route(INTRANET, "helpdesk.admin.groups", PREFIX + "/groupes/")
    route(INTRANET, "helpdesk.admin.group", PREFIX + r"/groupes/{id:\d+}")
    route(INTRANET, "helpdesk.admin.group_manager", PREFIX + r"/groupes/{id:\d+}/responsable")
    route(INTRANET, "helpdesk.admin.group_members", PREFIX + r"/groupes/{id:\d+}/membres")
    route(INTRANET, "helpdesk.admin.group_member_remove", PREFIX + r"/groupes/{id:\d+}/membres/{account:\d+}/retirer")
    route(INTRANET, "helpdesk.admin.priorities", PREFIX + "/priorites")
    route(INTRANET, "helpdesk.admin.service_levels", PREFIX + "/niveaux-de-service")
    config.scan("cagou_helpdesk.admin")


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def record(
    request: Request,
    action: str,
    summary: str,
    object_type: str,
    object_id: object | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    """One audit entry ``helpdesk:<action>`` for a change of the configuration."""
    changes = None if before is None and after is None else {"before": before, "after": after}
    request.find_service(IAuditLog).record(
        f"helpdesk:{action}",
        summary,
        module=services.MODULE,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        changes=changes,
    )


def sort_key(text: str) -> str:
    """Alphabetical order as people expect it: accents and case do not count (« Écran » after « Disque »)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def tidy(text: str) -> str:
    """Spaces trimmed and runs of spaces (or line breaks) reduced to one."""
    return " ".join(text.split())


def check_name(errors: FormErrors, name: str, value: str, label: str, maximum: int) -> str:
    value = tidy(value)
    if not value:
        errors.add(name, f"{label} est obligatoire.")
    elif len(value) > maximum:
        errors.add(name, f"{label} fait {maximum} caractères au plus (vous en avez saisi {len(value)}).")
    return value


def base_values(request: Request, section: str) -> dict[str, Any]:
    return {"sections": SECTIONS, "section": section, "errors": FormErrors()}


# ---------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------


@dataclass
class Node:
    """A category in the tree, with its children and the group its tickets land in."""

    category: Category
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    @property
    def group(self) -> Group | None:
        """The group of the nearest category up the tree that names one."""
        node: Node | None = self
        while node is not None:
            if node.category.default_group is not None:
                return node.category.default_group
            node = node.parent
        return None

    def descendants(self) -> list[Node]:
        found = []
        for child in self.children:
            found.append(child)
            found.extend(child.descendants())
        return found

    def ancestors(self) -> list[Node]:
        found = []
        node = self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found


@dataclass
class Tree:
    roots: list[Node]
    nodes: dict[int, Node]

    def ordered(self) -> list[Node]:
        """Every node, depth first, siblings alphabetically: the order of the tree's display and of selects."""
        found = []
        for root in self.roots:
            found.append(root)
            found.extend(root.descendants())
        return found


def load_tree(request: Request) -> Tree:
    """The whole category tree, read in one query (an administration's tree holds tens of nodes, not thousands)."""
    categories = list(request.db.scalars(sa.select(Category).options(selectinload(Category.default_group))))
    nodes = {category.id: Node(category) for category in categories}
    roots = []
    for node in nodes.values():
        parent_id = node.category.parent_id
        if parent_id is not None and parent_id in nodes:
            node.parent = nodes[parent_id]
            node.parent.children.append(node)
        else:
            roots.append(node)

    def arrange(siblings: list[Node], depth: int) -> None:
        siblings.sort(key=lambda node: sort_key(node.category.name))
        for node in siblings:
            node.depth = depth
            arrange(node.children, depth + 1)

    arrange(roots, 0)
    return Tree(roots, nodes)


def groups(request: Request) -> list[Group]:
    return sorted(request.db.scalars(sa.select(Group)), key=lambda group: sort_key(group.name))


def default_group_code(request: Request) -> str:
    return helpdesk_settings.get(request.registry).default_group


def category_or_404(request: Request) -> Category:
    category: Category | None = request.db.get(Category, int(request.matchdict["id"]))
    if category is None:
        raise HTTPNotFound()
    return category


def check_category_name(errors: FormErrors, value: str) -> str:
    name = check_name(errors, "name", value, "Le nom", MAX_CATEGORY_NAME)
    if ">" in name:
        errors.add("name", "Le nom ne peut pas contenir le signe « > », qui sépare les niveaux de l'arborescence.")
    return name


def check_sibling(errors: FormErrors, tree: Tree, name: str, parent: Node | None, itself: Category | None) -> None:
    """Names are unique among siblings, whatever the case and accents, so that a path names one category."""
    siblings = parent.children if parent is not None else tree.roots
    for sibling in siblings:
        if sibling.category is not itself and sort_key(sibling.category.name) == sort_key(name):
            where = f"sous « {parent.category.path} »" if parent is not None else "à la racine"
            errors.add(
                "name", f"Une catégorie « {sibling.category.name} » existe déjà {where} : choisissez un autre nom."
            )


def lost_race(
    request: Request, error: sa.exc.IntegrityError, name: str, parent: str, itself: Category | None
) -> Invalid:
    """The form's own error when another administrator stored the same category between our check and our write.

    The database's unique constraint and index (``lower(path)``) refused the
    row; read again, the tree now holds that category, so the sibling check
    says what it would have said a moment later. Any other refusal is not a
    race this knows: it is raised again.
    """
    tree = load_tree(request)
    errors = FormErrors()
    check_sibling(errors, tree, name, parent_of(errors, tree, parent), itself)
    if "name" not in errors:
        raise error
    return Invalid(errors)


def parent_of(errors: FormErrors, tree: Tree, value: str) -> Node | None:
    """The node a parent select names (empty: the root); an unknown one is an error."""
    value = value.strip()
    if not value:
        return None
    node = tree.nodes.get(int(value)) if value.isdigit() else None
    if node is None:
        errors.add("parent", "Choisissez la catégorie parente dans la liste.")
    return node


def group_of(request: Request, errors: FormErrors, value: str, name: str = "group") -> Group | None:
    value = value.strip()
    if not value:
        return None
    group = request.db.get(Group, int(value)) if value.isdigit() else None
    if group is None:
        errors.add(name, "Choisissez un groupe de la liste.")
    return group


def check_path_lengths(errors: FormErrors, node_path: str, node: Node | None) -> None:
    """The stored path of the node and of its descendants fits the column."""
    longest = len(node_path)
    if node is not None:
        prefix = len(node.category.path)
        for descendant in node.descendants():
            longest = max(longest, len(node_path) + len(descendant.category.path) - prefix)
    if longest > MAX_PATH:
        errors.add("name", f"Le chemin complet dépasserait {MAX_PATH} caractères : choisissez un nom plus court.")


def joined(parent: Node | None, name: str) -> str:
    return f"{parent.category.path}{SEPARATOR}{name}" if parent is not None else name


@dataclass
class CategoryInput:
    name: str = ""
    parent: str = ""
    group: str = ""

    @classmethod
    def from_post(cls, post: Mapping[str, str]) -> CategoryInput:
        return cls(**{name: str(post.get(name, ""))[:1000] for name in ("name", "parent", "group")})

    @classmethod
    def of(cls, category: Category) -> CategoryInput:
        return cls(category.name, str(category.parent_id or ""), str(category.default_group_id or ""))


def add_category(request: Request, data: CategoryInput) -> Category:
    """A new active category under ``data.parent`` (or at the root); raises :class:`Invalid`."""
    tree = load_tree(request)
    errors = FormErrors()
    name = check_category_name(errors, data.name)
    parent = parent_of(errors, tree, data.parent)
    group = group_of(request, errors, data.group)
    if parent is not None and not parent.category.active:
        errors.add("parent", f"La catégorie « {parent.category.path} » est désactivée : réactivez-la d'abord.")
    if name and "name" not in errors:
        check_sibling(errors, tree, name, parent, None)
        check_path_lengths(errors, joined(parent, name), None)
    if errors:
        raise Invalid(errors)
    category = Category(
        name=name,
        parent=parent.category if parent else None,
        path=joined(parent, name),
        default_group=group,
        active=True,
    )
    try:
        with savepoint(request.db):
            request.db.add(category)
            request.db.flush()
    except sa.exc.IntegrityError as error:
        raise lost_race(request, error, name, data.parent, None) from error
    record(
        request,
        "category:create",
        f"Catégorie « {category.path} » ajoutée.",
        "category",
        category.id,
        after={"path": category.path, "group": group.code if group else None},
    )
    return category


def update_category(request: Request, category: Category, data: CategoryInput) -> list[str]:
    """Rename, move and set the group of ``category``; what changed, in words. Raises :class:`Invalid`."""
    tree = load_tree(request)
    node = tree.nodes[category.id]
    errors = FormErrors()
    name = check_category_name(errors, data.name)
    parent = parent_of(errors, tree, data.parent)
    group = group_of(request, errors, data.group)
    if parent is not None and (parent is node or parent in node.descendants()):
        errors.add(
            "parent",
            f"« {category.name} » ne peut pas être rangée sous « {parent.category.path} », "
            "qui est elle-même ou l'une de ses sous-catégories.",
        )
    elif parent is not None and category.active and not parent.category.active:
        errors.add("parent", f"La catégorie « {parent.category.path} » est désactivée : réactivez-la d'abord.")
    if name and "name" not in errors and "parent" not in errors:
        check_sibling(errors, tree, name, parent, category)
        check_path_lengths(errors, joined(parent, name), node)
    if errors:
        raise Invalid(errors)
    changes = []
    old_name, old_path, new_path = category.name, category.path, joined(parent, name)
    old_parent = node.parent.category.path if node.parent else None
    new_parent = parent.category.path if parent else None
    try:
        with savepoint(request.db):
            if old_name != name:
                category.name = name
            if old_parent != new_parent:
                category.parent = parent.category if parent else None
            if old_path != new_path:
                category.path = new_path
                for descendant in node.descendants():
                    descendant.category.path = new_path + descendant.category.path[len(old_path) :]
            request.db.flush()
    except sa.exc.IntegrityError as error:
        raise lost_race(request, error, name, data.parent, category) from error
    if old_name != name:
        record(request, "category:rename", f"Catégorie « {old_path} » renommée « {name} ».", "category", category.id,
               {"name": old_name, "path": old_path},
               {"name": name, "path": new_path})  # fmt: skip
        changes.append(f"renommée « {name} »")
    if old_parent != new_parent:
        where = f"sous « {new_parent} »" if new_parent else "à la racine"
        record(request, "category:move", f"Catégorie « {old_path} » déplacée {where}.", "category", category.id,
               {"parent": old_parent, "path": old_path}, {"parent": new_parent, "path": new_path})  # fmt: skip
        changes.append(f"déplacée {where}")
    if category.default_group_id != (group.id if group else None):
        before = category.default_group.code if category.default_group else None
        category.default_group = group
        label = f"le groupe « {group.name} »" if group else "le groupe de sa catégorie parente"
        summary = f"Les tickets de « {new_path} » vont désormais " + (
            f"au groupe « {group.name} »." if group else "au groupe de sa catégorie parente."
        )
        record(request, "category:group", summary, "category", category.id,
               {"group": before}, {"group": group.code if group else None})  # fmt: skip
        changes.append(f"tickets pour {label}")
    return changes


def set_category_active(request: Request, category: Category, active: bool) -> list[Category]:
    """Deactivate a category and its subtree, or reactivate it alone; the categories changed.

    Raises :class:`Refused` when reactivating a category whose parent is inactive.
    """
    tree = load_tree(request)
    node = tree.nodes[category.id]
    if active:
        inactive = [ancestor for ancestor in node.ancestors() if not ancestor.category.active]
        if inactive:
            raise Refused(
                f"La catégorie parente « {inactive[-1].category.path} » est désactivée : réactivez-la d'abord.", 409
            )
        if category.active:
            return []
        category.active = True
        record(request, "category:activate", f"Catégorie « {category.path} » réactivée.", "category", category.id,
               {"active": False}, {"active": True})  # fmt: skip
        return [category]
    changed = [item.category for item in [node, *node.descendants()] if item.category.active]
    if not changed:
        return []
    for item in changed:
        item.active = False
    also = [item.path for item in changed if item is not category]
    summary = f"Catégorie « {category.path} » désactivée" + (
        f", avec ses sous-catégories : {', '.join(also)}." if also else "."
    )
    record(request, "category:deactivate", summary, "category", category.id,
           {"active": True}, {"active": False, "subcategories": also})  # fmt: skip
    return changed


def categories_values(
    request: Request, errors: FormErrors | None = None, data: CategoryInput | None = None
) -> dict[str, Any]:
    tree = load_tree(request)
    values = base_values(request, "helpdesk.admin.categories")
    preselected = str(request.params.get("parent", ""))
    values.update(
        tree=tree,
        nodes=tree.ordered(),
        groups=groups(request),
        default_group=default_group_code(request),
        data=data or CategoryInput(parent=preselected if preselected.isdigit() else ""),
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.categories",
    request_method="GET",
    renderer=TEMPLATES + "admin_categories.jinja2",
    permission=PERMISSION,
)
def categories(request: Request) -> dict[str, Any]:
    return categories_values(request)


@view_config(
    route_name="helpdesk.admin.categories",
    request_method="POST",
    renderer=TEMPLATES + "admin_categories.jinja2",
    permission=PERMISSION,
)
def category_add(request: Request) -> Any:
    data = CategoryInput.from_post(request.POST)
    try:
        category = add_category(request, data)
    except Invalid as error:
        request.response.status_int = 400
        return categories_values(request, error.errors, data)
    request.session.flash(f"Catégorie « {category.path} » ajoutée.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.categories", _anchor=f"categorie-{category.id}"))


def category_values(
    request: Request, category: Category, errors: FormErrors | None = None, data: CategoryInput | None = None
) -> dict[str, Any]:
    tree = load_tree(request)
    node = tree.nodes[category.id]
    excluded = {node.category.id} | {item.category.id for item in node.descendants()}
    tickets = request.db.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.category_id == category.id))
    values = base_values(request, "helpdesk.admin.categories")
    values.update(
        category=category,
        node=node,
        parents=[item for item in tree.ordered() if item.category.id not in excluded],
        groups=groups(request),
        default_group=default_group_code(request),
        tickets=tickets,
        data=data or CategoryInput.of(category),
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.category",
    request_method="GET",
    renderer=TEMPLATES + "admin_category.jinja2",
    permission=PERMISSION,
)
def category_page(request: Request) -> dict[str, Any]:
    return category_values(request, category_or_404(request))


@view_config(
    route_name="helpdesk.admin.category",
    request_method="POST",
    renderer=TEMPLATES + "admin_category.jinja2",
    permission=PERMISSION,
)
def category_edit(request: Request) -> Any:
    category = category_or_404(request)
    data = CategoryInput.from_post(request.POST)
    try:
        changes = update_category(request, category, data)
    except Invalid as error:
        request.response.status_int = 400
        return category_values(request, category, error.errors, data)
    if changes:
        request.session.flash(f"Catégorie « {category.path} » : {', '.join(changes)}.")
    else:
        request.session.flash("Aucune modification.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.category", id=category.id))


@view_config(
    route_name="helpdesk.admin.category_state",
    request_method="POST",
    renderer=TEMPLATES + "admin_category.jinja2",
    permission=PERMISSION,
)
def category_state(request: Request) -> Any:
    category = category_or_404(request)
    active = request.POST.get("active") == "1"
    try:
        changed = set_category_active(request, category, active)
    except Refused as error:
        request.response.status_int = error.status
        return category_values(request, category, FormErrors(state=error.message))
    if not changed:
        request.session.flash("Aucune modification.")
    elif active:
        request.session.flash(f"Catégorie « {category.path} » réactivée : on peut de nouveau la choisir.")
    else:
        count = len(changed) - 1
        also = f" avec {count} sous-catégorie{'s' if count > 1 else ''}" if count else ""
        request.session.flash(
            f"Catégorie « {category.path} » désactivée{also} : les nouveaux tickets ne peuvent plus la choisir, "
            "les tickets existants la gardent."
        )
    return HTTPSeeOther(request.route_path("helpdesk.admin.category", id=category.id))


# ---------------------------------------------------------------------------
# Groups of technicians
# ---------------------------------------------------------------------------


def group_or_404(request: Request) -> Group:
    group: Group | None = request.db.get(Group, int(request.matchdict["id"]))
    if group is None:
        raise HTTPNotFound()
    return group


def holders_of(request: Request, roles: Iterable[str]) -> list[Account]:
    """Active accounts holding one of ``roles``: who may join a group, or manage one."""
    holders: list[Account] = request.find_service(IAccounts).holders_of(roles)
    return holders


def account_with_role(
    request: Request, errors: FormErrors, name: str, login: str, roles: tuple[str, ...], what: str
) -> Account | None:
    """The active account of ``login`` holding one of ``roles``; else an error on ``name``."""
    login = login.strip()
    if not login:
        errors.add(name, "Indiquez l'identifiant de connexion de la personne.")
        return None
    if len(login) > MAX_LOGIN:
        errors.add(name, f"Un identifiant fait {MAX_LOGIN} caractères au plus.")
        return None
    accounts = request.find_service(IAccounts)
    account: Account | None = accounts.by_login(login)
    if account is None or account.deleted_at is not None:
        errors.add(name, f"Aucun compte n'a l'identifiant « {login} ».")
        return None
    if not account.active:
        errors.add(name, f"Le compte « {account.login} » ({account.display_name}) est désactivé.")
        return None
    if not accounts.roles_of(account) & set(roles):
        errors.add(
            name,
            f"{account.display_name} ({account.login}) n'a pas le rôle {what} : "
            "accordez-le d'abord depuis la console informatique (Comptes).",
        )
        return None
    return account


def check_group_code(request: Request, errors: FormErrors, value: str) -> str:
    code = value.strip().upper()
    if not code:
        errors.add("code", "Le code est obligatoire.")
    elif not GROUP_CODE.match(code):
        errors.add(
            "code",
            "Le code fait 32 caractères au plus : des lettres sans accent, des chiffres, « - » ou « _ » "
            "(par exemple BAU).",
        )
    elif request.db.scalar(sa.select(Group.id).where(sa.func.upper(Group.code) == code)) is not None:
        errors.add("code", f"Un groupe a déjà le code « {code} ».")
    return code


def check_group_name(request: Request, errors: FormErrors, value: str, itself: Group | None) -> str:
    name = check_name(errors, "name", value, "Le nom", MAX_GROUP_NAME)
    if name and "name" not in errors:
        for other in groups(request):
            if other is not itself and sort_key(other.name) == sort_key(name):
                errors.add("name", f"Le groupe « {other.code} » porte déjà ce nom.")
    return name


def create_group(request: Request, code: str, name: str) -> Group:
    errors = FormErrors()
    code = check_group_code(request, errors, code)
    name = check_group_name(request, errors, name, None)
    if errors:
        raise Invalid(errors)
    group = Group(code=code, name=name)
    request.db.add(group)
    request.db.flush()
    record(request, "group:create", f"Groupe de techniciens « {name} » ({code}) créé.", "group", group.id,
           after={"code": code, "name": name})  # fmt: skip
    return group


def rename_group(request: Request, group: Group, name: str) -> bool:
    errors = FormErrors()
    name = check_group_name(request, errors, name, group)
    if errors:
        raise Invalid(errors)
    if name == group.name:
        return False
    before, group.name = group.name, name
    record(request, "group:rename", f"Groupe {group.code} renommé « {name} ».", "group", group.id,
           {"name": before}, {"name": name})  # fmt: skip
    return True


def set_manager(request: Request, group: Group, login: str) -> bool:
    """Make the account of ``login`` the group's manager (empty: no manager); whether it changed."""
    errors = FormErrors()
    manager = None
    if login.strip():
        manager = account_with_role(
            request, errors, "manager", login, MANAGER_ROLES, "de responsable d'un groupe de techniciens"
        )
    if errors:
        raise Invalid(errors)
    if group.manager_id == (manager.id if manager else None):
        return False
    before = group.manager.login if group.manager else None
    group.manager = manager
    who = manager.display_name if manager else "personne"
    record(request, "group:manager", f"Responsable du groupe « {group.name} » : {who}.", "group", group.id,
           {"manager": before}, {"manager": manager.login if manager else None})  # fmt: skip
    return True


def add_member(request: Request, group: Group, login: str) -> Account:
    errors = FormErrors()
    account = account_with_role(request, errors, "member", login, MEMBER_ROLES, "de technicien ni de responsable")
    if account is not None and account.id in {member.id for member in group.members}:
        errors.add("member", f"{account.display_name} est déjà membre du groupe « {group.name} ».")
    if errors or account is None:
        raise Invalid(errors)
    request.db.add(Member(group_id=group.id, account_id=account.id))
    request.db.flush()
    request.db.expire(group, ["members"])
    record(request, "group:member_add", f"{account.display_name} rejoint le groupe « {group.name} ».", "group",
           group.id, after={"member": account.login})  # fmt: skip
    return account


def remove_member(request: Request, group: Group, account: Account) -> int:
    """Take ``account`` out of ``group``; their open tickets of that group go back to its queue. How many did."""
    membership = request.db.get(Member, (group.id, account.id))
    if membership is None:
        raise HTTPNotFound()
    request.db.delete(membership)
    request.db.flush()
    request.db.expire(group, ["members"])
    record(request, "group:member_remove", f"{account.display_name} quitte le groupe « {group.name} ».", "group",
           group.id, before={"member": account.login})  # fmt: skip
    if group.manager_id == account.id:
        return 0  # as the manager, they still work on the group's tickets
    tickets = request.db.scalars(
        sa.select(Ticket).where(
            Ticket.group_id == group.id, Ticket.assignee_id == account.id, Ticket.status.in_(OPEN_STATUSES)
        )
    ).all()
    for ticket in tickets:
        ticket.assignee = None
        if ticket.status in (ASSIGNED, IN_PROGRESS):
            ticket.status = NEW
        ticket.updated_at = services.now(request)
        summary = (
            f"Ticket {ticket.reference} rendu à la file « {group.name} » : {account.display_name} a quitté le groupe."
        )
        services.audit(request, ticket, "release", summary, {"assignee": account.login}, {"assignee": None})
    return len(tickets)


def groups_values(
    request: Request, errors: FormErrors | None = None, data: dict[str, str] | None = None
) -> dict[str, Any]:
    values = base_values(request, "helpdesk.admin.groups")
    counts: dict[int, int] = {
        group_id: count
        for group_id, count in request.db.execute(
            sa.select(Ticket.group_id, sa.func.count())
            .where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.group_id)
        )
    }
    all_groups = list(
        request.db.scalars(sa.select(Group).options(selectinload(Group.members), selectinload(Group.manager)))
    )
    all_groups.sort(key=lambda group: sort_key(group.name))
    values.update(
        groups=all_groups,
        open_tickets=counts,
        default_group=default_group_code(request),
        data=data or {"code": "", "name": ""},
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.groups",
    request_method="GET",
    renderer=TEMPLATES + "admin_groups.jinja2",
    permission=PERMISSION,
)
def groups_page(request: Request) -> dict[str, Any]:
    return groups_values(request)


@view_config(
    route_name="helpdesk.admin.groups",
    request_method="POST",
    renderer=TEMPLATES + "admin_groups.jinja2",
    permission=PERMISSION,
)
def group_add(request: Request) -> Any:
    data = {name: str(request.POST.get(name, ""))[:1000] for name in ("code", "name")}
    try:
        group = create_group(request, data["code"], data["name"])
    except Invalid as error:
        request.response.status_int = 400
        return groups_values(request, error.errors, data)
    request.session.flash(f"Groupe « {group.name} » créé : ajoutez-lui des membres.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.group", id=group.id))


def group_values(
    request: Request, group: Group, errors: FormErrors | None = None, data: dict[str, str] | None = None
) -> dict[str, Any]:
    values = base_values(request, "helpdesk.admin.groups")
    tree = load_tree(request)
    routed = [node for node in tree.ordered() if node.category.default_group_id == group.id]
    member_ids = {member.id for member in group.members}
    values.update(
        group=group,
        categories=routed,
        default_group=default_group_code(request),
        candidates=[account for account in holders_of(request, MEMBER_ROLES) if account.id not in member_ids],
        managers=holders_of(request, MANAGER_ROLES),
        data={
            "name": group.name,
            "manager": group.manager.login if group.manager else "",
            "member": "",
            **(data or {}),
        },
        errors=errors or FormErrors(),
    )
    return values


def group_form(request: Request, name: str) -> str:
    return str(request.POST.get(name, ""))[:1000]


@view_config(
    route_name="helpdesk.admin.group",
    request_method="GET",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_page(request: Request) -> dict[str, Any]:
    return group_values(request, group_or_404(request))


@view_config(
    route_name="helpdesk.admin.group",
    request_method="POST",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_rename(request: Request) -> Any:
    group = group_or_404(request)
    name = group_form(request, "name")
    try:
        changed = rename_group(request, group, name)
    except Invalid as error:
        request.response.status_int = 400
        return group_values(request, group, error.errors, {"name": name})
    request.session.flash(f"Groupe renommé « {group.name} »." if changed else "Aucune modification.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.group", id=group.id))


@view_config(
    route_name="helpdesk.admin.group_manager",
    request_method="POST",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_manager(request: Request) -> Any:
    group = group_or_404(request)
    login = group_form(request, "manager")
    try:
        changed = set_manager(request, group, login)
    except Invalid as error:
        request.response.status_int = 400
        return group_values(request, group, error.errors, {"manager": login})
    if not changed:
        request.session.flash("Aucune modification.")
    elif group.manager is not None:
        request.session.flash(f"{group.manager.display_name} est responsable du groupe « {group.name} ».")
    else:
        request.session.flash(f"Le groupe « {group.name} » n'a plus de responsable.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.group", id=group.id))


@view_config(
    route_name="helpdesk.admin.group_members",
    request_method="POST",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_member_add(request: Request) -> Any:
    group = group_or_404(request)
    login = group_form(request, "member")
    try:
        account = add_member(request, group, login)
    except Invalid as error:
        request.response.status_int = 400
        return group_values(request, group, error.errors, {"member": login})
    request.session.flash(f"{account.display_name} est membre du groupe « {group.name} ».")
    return HTTPSeeOther(request.route_path("helpdesk.admin.group", id=group.id, _anchor="membres-titre"))


@view_config(route_name="helpdesk.admin.group_member_remove", request_method="POST", permission=PERMISSION)
def group_member_remove(request: Request) -> HTTPSeeOther:
    group = group_or_404(request)
    account = request.find_service(IAccounts).by_id(int(request.matchdict["account"]))
    if account is None:
        raise HTTPNotFound()
    released = remove_member(request, group, account)
    message = f"{account.display_name} ne fait plus partie du groupe « {group.name} »."
    if released:
        if released == 1:
            message += " Le ticket ouvert qui lui était attribué retourne dans la file du groupe."
        else:
            message += f" Les {released} tickets ouverts qui lui étaient attribués retournent dans la file du groupe."
    request.session.flash(message)
    return HTTPSeeOther(request.route_path("helpdesk.admin.group", id=group.id, _anchor="membres-titre"))


# ---------------------------------------------------------------------------
# Priority matrix
# ---------------------------------------------------------------------------


def cell_name(urgency: int, impact: int) -> str:
    return f"cell-{urgency}-{impact}"


def save_matrix(request: Request, form: Mapping[str, str]) -> dict[tuple[int, int], tuple[int, int]]:
    """Write the nine cells; the cells that changed, as (before, after). Raises :class:`Invalid`."""
    errors = FormErrors()
    wanted: dict[tuple[int, int], int] = {}
    for urgency in URGENCIES:
        for impact in IMPACTS:
            name = cell_name(urgency, impact)
            value = str(form.get(name, "")).strip()
            if value.isdigit() and int(value) in PRIORITIES:
                wanted[(urgency, impact)] = int(value)
            else:
                errors.add(
                    name,
                    f"Urgence « {URGENCIES[urgency].lower()} », impact « {IMPACTS[impact].lower()} » : "
                    "choisissez une priorité de la liste.",
                )
    if errors:
        raise Invalid(errors)
    current = services.priority_matrix(request)
    changed = {cell: (current[cell], priority) for cell, priority in wanted.items() if current[cell] != priority}
    if not changed:
        return {}
    rules = {(rule.urgency, rule.impact): rule for rule in request.db.scalars(sa.select(PriorityRule))}
    for (urgency, impact), priority in wanted.items():
        rule = rules.get((urgency, impact))
        if rule is None:
            request.db.add(PriorityRule(urgency=urgency, impact=impact, priority=priority))
        else:
            rule.priority = priority
    request.db.flush()
    described = "; ".join(
        f"urgence {URGENCIES[u].lower()} × {IMPACTS[i].lower()} : P{before} → P{after}"
        for (u, i), (before, after) in sorted(changed.items(), reverse=True)
    )
    record(
        request,
        "priority_matrix:update",
        f"Matrice des priorités modifiée ({described}).",
        "priority_matrix",
        None,
        {f"{u}-{i}": before for (u, i), (before, _) in changed.items()},
        {f"{u}-{i}": after for (u, i), (_, after) in changed.items()},
    )
    return changed


def priorities_values(
    request: Request, errors: FormErrors | None = None, form: Mapping[str, str] | None = None
) -> dict[str, Any]:
    matrix = services.priority_matrix(request)
    selected = {
        (u, i): str(form.get(cell_name(u, i), "")) if form is not None else str(matrix[(u, i)])
        for u in URGENCIES
        for i in IMPACTS
    }
    values = base_values(request, "helpdesk.admin.priorities")
    values.update(
        urgencies=URGENCIES,
        impacts=IMPACTS,
        priorities=PRIORITIES,
        selected=selected,
        defaults=services.DEFAULT_MATRIX,
        cell_name=cell_name,
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.priorities",
    request_method="GET",
    renderer=TEMPLATES + "admin_priorities.jinja2",
    permission=PERMISSION,
)
def priorities(request: Request) -> dict[str, Any]:
    return priorities_values(request)


@view_config(
    route_name="helpdesk.admin.priorities",
    request_method="POST",
    renderer=TEMPLATES + "admin_priorities.jinja2",
    permission=PERMISSION,
)
def priorities_save(request: Request) -> Any:
    form = {name: str(value)[:10] for name, value in request.POST.items()}
    try:
        changed = save_matrix(request, form)
    except Invalid as error:
        request.response.status_int = 400
        return priorities_values(request, error.errors, form)
    if changed:
        cells = "1 case modifiée" if len(changed) == 1 else f"{len(changed)} cases modifiées"
        request.session.flash(f"Matrice des priorités enregistrée ({cells}) : elle s'applique aux nouveaux tickets.")
    else:
        request.session.flash("Aucune modification.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.priorities"))


# ---------------------------------------------------------------------------
# Service levels
# ---------------------------------------------------------------------------

#: The two delays of a service level: form name -> label.
MEASURES: dict[str, str] = {"first_response": "Première réponse", "resolution": "Résolution"}


def level_name(measure: str, priority: int) -> str:
    return f"{measure}-{priority}"


def read_duration(errors: FormErrors, form: Mapping[str, str], measure: str, priority: int) -> int | None:
    """Minutes from the hours and minutes fields of one delay; None (and an error) when they make no sense."""
    name = level_name(measure, priority)
    label = f"{MEASURES[measure]} en {PRIORITIES[priority]}"
    hours_text = str(form.get(f"{name}-hours", "")).strip() or "0"
    minutes_text = str(form.get(f"{name}-minutes", "")).strip() or "0"
    if not (hours_text.isdigit() and minutes_text.isdigit()):
        errors.add(name, f"{label} : écrivez un nombre entier d'heures et de minutes.")
        return None
    hours, minutes = int(hours_text), int(minutes_text)
    if minutes > 59:
        errors.add(name, f"{label} : les minutes vont de 0 à 59.")
        return None
    total = hours * 60 + minutes
    if total <= 0:
        errors.add(name, f"{label} : le délai doit être positif (au moins une minute ouvrée).")
        return None
    if total > MAX_SERVICE_HOURS * 60:
        errors.add(name, f"{label} : {MAX_SERVICE_HOURS} heures ouvrées au plus.")
        return None
    return total


def save_service_levels(
    request: Request, form: Mapping[str, str]
) -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    """Write the service levels; those that changed, as (before, after). Raises :class:`Invalid`."""
    errors = FormErrors()
    wanted: dict[int, tuple[int, int]] = {}
    for priority in PRIORITIES:
        first = read_duration(errors, form, "first_response", priority)
        resolution = read_duration(errors, form, "resolution", priority)
        if first is not None and resolution is not None:
            if resolution < first:
                errors.add(
                    level_name("resolution", priority),
                    f"Résolution en {PRIORITIES[priority]} : le délai de résolution ne peut pas être plus court "
                    f"que celui de la première réponse ({format_minutes(first)}).",
                )
            else:
                wanted[priority] = (first, resolution)
    if errors:
        raise Invalid(errors)
    current = services.service_levels(request)
    changed = {priority: (current[priority], level) for priority, level in wanted.items() if current[priority] != level}
    stored = {level.priority: level for level in request.db.scalars(sa.select(ServiceLevel))}
    for priority, ((before_first, before_resolution), (first, resolution)) in sorted(changed.items()):
        level = stored.get(priority)
        if level is None:
            request.db.add(ServiceLevel(priority=priority, first_response_minutes=first, resolution_minutes=resolution))
        else:
            level.first_response_minutes, level.resolution_minutes = first, resolution
        record(
            request,
            "service_level:update",
            f"Niveau de service {PRIORITIES[priority]} : première réponse en {format_minutes(first)}, "
            f"résolution en {format_minutes(resolution)} (heures ouvrées).",
            "service_level",
            priority,
            {"first_response_minutes": before_first, "resolution_minutes": before_resolution},
            {"first_response_minutes": first, "resolution_minutes": resolution},
        )
    request.db.flush()
    return changed


def format_minutes(total: int) -> str:
    """``270`` → ``4 h 30``; ``240`` → ``4 h``; ``30`` → ``30 min``."""
    hours, minutes = divmod(total, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"


def weekday_ranges(weekdays: Iterable[int]) -> list[tuple[int, int]]:
    """``{1, 2, 3, 4, 6}`` → ``[(1, 4), (6, 6)]``: working days as people say them."""
    ranges: list[tuple[int, int]] = []
    for day in sorted(weekdays):
        if ranges and ranges[-1][1] == day - 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def service_levels_values(
    request: Request, errors: FormErrors | None = None, form: Mapping[str, str] | None = None
) -> dict[str, Any]:
    levels = services.service_levels(request)
    shown: dict[str, str] = {}
    for priority, (first, resolution) in levels.items():
        for measure, minutes in (("first_response", first), ("resolution", resolution)):
            name = level_name(measure, priority)
            for part, number in (("hours", minutes // 60), ("minutes", minutes % 60)):
                key = f"{name}-{part}"
                shown[key] = str(form.get(key, ""))[:10] if form is not None else str(number)
    calendar = helpdesk_settings.get(request.registry).calendar
    day_minutes = sum(
        (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) for start, end in calendar.periods
    )
    values = base_values(request, "helpdesk.admin.service_levels")
    values.update(
        priorities=PRIORITIES,
        measures=MEASURES,
        levels=levels,
        shown=shown,
        level_name=level_name,
        format_minutes=format_minutes,
        periods=[(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in calendar.periods],
        weekday_ranges=weekday_ranges(calendar.weekdays),
        timezone=str(calendar.timezone),
        day_minutes=day_minutes,
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.service_levels",
    request_method="GET",
    renderer=TEMPLATES + "admin_service_levels.jinja2",
    permission=PERMISSION,
)
def service_levels(request: Request) -> dict[str, Any]:
    return service_levels_values(request)


@view_config(
    route_name="helpdesk.admin.service_levels",
    request_method="POST",
    renderer=TEMPLATES + "admin_service_levels.jinja2",
    permission=PERMISSION,
)
def service_levels_save(request: Request) -> Any:
    form = {name: str(value)[:10] for name, value in request.POST.items()}
    try:
        changed = save_service_levels(request, form)
    except Invalid as error:
        request.response.status_int = 400
        return service_levels_values(request, error.errors, form)
    if changed:
        names = ", ".join(PRIORITIES[priority] for priority in sorted(changed))
        request.session.flash(
            f"Niveaux de service enregistrés ({names}) : ils s'appliquent aux tickets ouverts désormais."
        )
    else:
        request.session.flash("Aucune modification.")
    return HTTPSeeOther(request.route_path("helpdesk.admin.service_levels"))


# ---------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------


@view_config(
    route_name="helpdesk.admin",
    request_method="GET",
    renderer=TEMPLATES + "admin_index.jinja2",
    permission=PERMISSION,
)
def overview(request: Request) -> dict[str, Any]:
    tree = load_tree(request)
    nodes = tree.ordered()
    values = base_values(request, "helpdesk.admin")
    values.update(
        categories=len(nodes),
        inactive=sum(1 for node in nodes if not node.category.active),
        groups=groups(request),
        default_group=default_group_code(request),
        custom_cells=sum(
            1 for cell, value in services.priority_matrix(request).items() if services.DEFAULT_MATRIX[cell] != value
        ),
        levels=services.service_levels(request),
        priorities=PRIORITIES,
        format_minutes=format_minutes,
    )
    return values
