"""The category tree's changes: agents type its paths, so renaming or moving a node rewrites its descendants'."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, Invalid, Refused, savepoint
from cagou_helpdesk.checks import CategoryInput, check_name, sort_key
from cagou_helpdesk.interfaces import ICategories
from cagou_helpdesk.models import Category, Group
from cagou_helpdesk.services.common import record
from cagou_helpdesk.tree import Node, Tree, load_tree

SEPARATOR = " > "
MAX_CATEGORY_NAME = 100
MAX_PATH = 500


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


@implementer(ICategories)
class CategoryService:
    """The categories of the request's database, changed in the request's transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def add(self, data: CategoryInput) -> Category:
        """A new active category under ``data.parent`` (or at the root); raises :class:`Invalid`."""
        request = self.request
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

    def update(self, category: Category, data: CategoryInput) -> list[str]:
        """Rename, move and set the group of ``category``; what changed, in words. Raises :class:`Invalid`."""
        request = self.request
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
            record(
                request,
                "category:rename",
                f"Catégorie « {old_path} » renommée « {name} ».",
                "category",
                category.id,
                {"name": old_name, "path": old_path},
                {"name": name, "path": new_path},
            )
            changes.append(f"renommée « {name} »")
        if old_parent != new_parent:
            where = f"sous « {new_parent} »" if new_parent else "à la racine"
            record(
                request,
                "category:move",
                f"Catégorie « {old_path} » déplacée {where}.",
                "category",
                category.id,
                {"parent": old_parent, "path": old_path},
                {"parent": new_parent, "path": new_path},
            )
            changes.append(f"déplacée {where}")
        if category.default_group_id != (group.id if group else None):
            before = category.default_group.code if category.default_group else None
            category.default_group = group
            label = f"le groupe « {group.name} »" if group else "le groupe de sa catégorie parente"
            summary = f"Les tickets de « {new_path} » vont désormais " + (
                f"au groupe « {group.name} »." if group else "au groupe de sa catégorie parente."
            )
            record(
                request,
                "category:group",
                summary,
                "category",
                category.id,
                {"group": before},
                {"group": group.code if group else None},
            )
            changes.append(f"tickets pour {label}")
        return changes

    def set_active(self, category: Category, active: bool) -> list[Category]:
        """Deactivate a category and its subtree, or reactivate it alone; the categories changed.

        Raises :class:`Refused` when reactivating a category whose parent is inactive.
        """
        request = self.request
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
            record(
                request,
                "category:activate",
                f"Catégorie « {category.path} » réactivée.",
                "category",
                category.id,
                {"active": False},
                {"active": True},
            )
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
        record(
            request,
            "category:deactivate",
            summary,
            "category",
            category.id,
            {"active": True},
            {"active": False, "subcategories": also},
        )
        return changed


def category_service_factory(context: Any, request: Request) -> CategoryService:
    return CategoryService(request)
