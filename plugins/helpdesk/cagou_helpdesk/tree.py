"""The category tree, read in one query: the administration shows it, its service checks against it."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import selectinload

from cagou_helpdesk.checks import sort_key
from cagou_helpdesk.models import Category, Group


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
