"""Serve Cagou or the bare application as production does: gunicorn with gunicorn.conf.py.

What ``gunicorn --config gunicorn.conf.py --paste production.ini`` does (each
process loads the application after its fork, logging configured from the
``.ini`` first), except that the address is the free local port the benchmark
chose and the number of processes may be given: both applications are then
served by the same server, with the same processes and threads.

    python bench/serve.py --port 8765 cagou
    python bench/serve.py --port 8765 --workers 1 cagou
    python bench/serve.py --port 8765 bare --database-url sqlite:////tmp/x.sqlite
"""

from __future__ import annotations

import argparse
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plaster
from gunicorn.app.base import BaseApplication

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INI = "production.ini"
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"


def production_server() -> dict[str, Any]:
    """gunicorn.conf.py's settings (processes, threads…), as gunicorn reads them."""
    return {key: value for key, value in runpy.run_path(str(GUNICORN_CONFIG)).items() if not key.startswith("_")}


class Server(BaseApplication):
    """gunicorn with gunicorn.conf.py, on 127.0.0.1:port, loading ``load()`` in each process."""

    def __init__(self, load: Callable[[], Any], port: int, workers: int | None) -> None:
        self.load_application, self.port, self.workers = load, port, workers
        super().__init__()

    def load_config(self) -> None:
        for key, value in production_server().items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)
        self.cfg.set("bind", [f"127.0.0.1:{self.port}"])
        if self.workers:
            self.cfg.set("workers", self.workers)

    def load(self) -> Any:
        return self.load_application()


def serve(load: Callable[[], Any], port: int, workers: int | None = None) -> None:
    Server(load, port, workers).run()


def cagou_app(ini: str) -> Any:
    """The platform as gunicorn's --paste loads it: logging configured first, like production."""
    loader = plaster.get_loader(ini, protocols=["wsgi"])
    loader.setup_logging()
    return loader.get_wsgi_app()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", choices=["cagou", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ini", default=DEFAULT_INI, help="Cagou's settings come from here")
    parser.add_argument("--workers", type=int, help="processes (gunicorn.conf.py's: one per core)")
    parser.add_argument("--database-url", help="bare application only; Cagou reads CAGOU_DATABASE_URL")
    parser.add_argument("--page-bytes", type=int, help="bare application only: size of its /intranet/ page")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    if arguments.app == "cagou":
        serve(lambda: cagou_app(arguments.ini), arguments.port, arguments.workers)
        return
    # Imported here: the bare application must not pay for Cagou's imports, nor Cagou for its.
    from bare_app import DEFAULT_PAGE_BYTES, make_app

    if not arguments.database_url:
        raise SystemExit("--database-url is required for the bare application")
    serve(lambda: make_app(arguments.database_url, arguments.page_bytes or DEFAULT_PAGE_BYTES), arguments.port,
          arguments.workers)  # fmt: skip


if __name__ == "__main__":
    main()
