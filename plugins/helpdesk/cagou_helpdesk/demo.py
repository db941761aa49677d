"""Demonstration data of the helpdesk."""

from __future__ import annotations

from pyramid.request import Request


def load_demo(request: Request) -> None:
    """Groups, categories, articles and six weeks of tickets, added only where missing."""
