"""Categories: the tree's pages; their changes go through ``ICategories`` (``services/categories.py``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import Form, FormErrors, TextField, submit
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_1000, base_values
from cagou_helpdesk.checks import CategoryInput, sort_key
from cagou_helpdesk.interfaces import ICategories
from cagou_helpdesk.models import (
    Category,
    Group,
    Ticket,
)
from cagou_helpdesk.tree import load_tree


def groups(request: Request) -> list[Group]:
    return sorted(request.db.scalars(sa.select(Group)), key=lambda group: sort_key(group.name))


def default_group_code(request: Request) -> str:
    return helpdesk_settings.get(request.registry).default_group


def category_or_404(request: Request) -> Category:
    category: Category | None = request.db.get(Category, int(request.matchdict["id"]))
    if category is None:
        raise HTTPNotFound()
    return category


class StateForm(Form):
    """The category page's button: enable or disable (``active``: "1" or not)."""

    active = TextField(filters=[at_most_1000])


class CategoryForm(Form):
    name = TextField(filters=[at_most_1000])
    parent = TextField(filters=[at_most_1000])
    group = TextField(filters=[at_most_1000])


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
        lambda form: request.find_service(ICategories).add(CategoryInput(**form.data)),
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
        lambda form: request.find_service(ICategories).update(category, CategoryInput(**form.data)),
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
    return submit(
        request,
        StateForm(request.POST),
        lambda form: request.find_service(ICategories).set_active(category, active),
        message=lambda changed: state_message(category, changed, active),
        redirect_to=request.route_path("helpdesk.admin.category", id=category.id),
        render=lambda form: category_values(request, category, FormErrors(state=form.field_errors()["form"])),
    )


def state_message(category: Category, changed: list[Category], active: bool) -> str:
    if not changed:
        return "Aucune modification."
    if active:
        return f"Catégorie « {category.path} » réactivée : on peut de nouveau la choisir."
    count = len(changed) - 1
    also = f" avec {count} sous-catégorie{'s' if count > 1 else ''}" if count else ""
    return (
        f"Catégorie « {category.path} » désactivée{also} : les nouveaux tickets ne peuvent plus la choisir, "
        "les tickets existants la gardent."
    )
