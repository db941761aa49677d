"""Serve Cagou or the bare application with the waitress settings of production.ini.

What ``pserve production.ini`` does (logging, then the application, then
waitress with the ``[server:main]`` settings), except that the address is
the free local port the benchmark chose: both applications are then served
by the same server with the same number of threads.

    python bench/serve.py --port 8765 cagou
    python bench/serve.py --port 8765 bare --database-url sqlite:////tmp/x.sqlite
"""

from __future__ import annotations

import argparse
from typing import Any

import plaster
import waitress

DEFAULT_INI = "production.ini"


def server_settings(ini: str, port: int) -> dict[str, Any]:
    """The ``[server:main]`` settings of ``ini`` (threads, proxies…), on 127.0.0.1:port."""
    settings = dict(plaster.get_loader(ini, protocols=["wsgi"]).get_settings("server:main"))
    settings.pop("use", None)
    settings["listen"] = f"127.0.0.1:{port}"
    return settings


def cagou_app(ini: str) -> Any:
    """The platform as pserve loads it: logging configured first, like production."""
    loader = plaster.get_loader(ini, protocols=["wsgi"])
    loader.setup_logging()
    return loader.get_wsgi_app()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", choices=["cagou", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ini", default=DEFAULT_INI, help="the server settings (and Cagou's) come from here")
    parser.add_argument("--database-url", help="bare application only; Cagou reads CAGOU_DATABASE_URL")
    parser.add_argument("--page-bytes", type=int, help="bare application only: size of its /intranet/ page")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    if arguments.app == "cagou":
        app = cagou_app(arguments.ini)
    else:
        # Imported here: the bare application must not pay for Cagou's imports, nor Cagou for its.
        from bare_app import DEFAULT_PAGE_BYTES, make_app

        if not arguments.database_url:
            raise SystemExit("--database-url is required for the bare application")
        app = make_app(arguments.database_url, arguments.page_bytes or DEFAULT_PAGE_BYTES)
    waitress.serve(app, **server_settings(arguments.ini, arguments.port))


if __name__ == "__main__":
    main()
