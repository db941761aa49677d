"""Categories: a tree whose paths agents type; renaming or moving a node rewrites its descendants' paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from cagou.kit import Form, FormErrors, Invalid, Refused, TextField, savepoint, submit
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_1000, base_values, check_name, record, sort_key
from cagou_helpdesk.models import (
    Category,
    Group,
    Ticket,
)

SEPARATOR = " > "
MAX_CATEGORY_NAME = 100
MAX_PATH = 500


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
    def of(cls, category: Category) -> CategoryInput:
        return cls(category.name, str(category.parent_id or ""), str(category.default_group_id or ""))


class CategoryForm(Form):
    name = TextField(filters=[at_most_1000])
    parent = TextField(filters=[at_most_1000])
    group = TextField(filters=[at_most_1000])


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
    return submit(
        request,
        CategoryForm(request.POST),
        lambda form: add_category(request, CategoryInput(**form.data)),
        message=lambda category: f"Catégorie « {category.path} » ajoutée.",
        redirect_to=lambda category: request.route_path(
            "helpdesk.admin.categories", _anchor=f"categorie-{category.id}"
        ),
        render=lambda form: categories_values(request, form.field_errors(), CategoryInput(**form.data)),
    )


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
    return submit(
        request,
        CategoryForm(request.POST),
        lambda form: update_category(request, category, CategoryInput(**form.data)),
        message=lambda changes: (
            f"Catégorie « {category.path} » : {', '.join(changes)}." if changes else "Aucune modification."
        ),
        redirect_to=request.route_path("helpdesk.admin.category", id=category.id),
        render=lambda form: category_values(request, category, form.field_errors(), CategoryInput(**form.data)),
    )


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
