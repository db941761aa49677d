"""Time one start of the platform: ``import cagou``, then ``cagou.configure(settings)``.

Run in a fresh interpreter each time (by run.py), so the imports are really
paid for; prints a JSON object with both durations in seconds and the modules loaded. The settings
are production.ini's ``[app:main]``, read with configparser so that reading
them imports nothing of Pyramid or Cagou; the environment (CAGOU_*) completes
them, as in production.
"""

from __future__ import annotations

import argparse
import configparser
import json
import time
from pathlib import Path
from typing import Any

APP_SECTION = "app:main"


def app_settings(ini: Path) -> dict[str, Any]:
    """What PasteDeploy hands to ``cagou.main``: the section's keys, and ``here``."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep keys as written
    parser.read(ini, encoding="utf-8")
    settings: dict[str, Any] = {key: value for key, value in parser.items(APP_SECTION) if key != "use"}
    settings["here"] = str(ini.resolve().parent)
    return settings


def measure(ini: Path) -> dict[str, Any]:
    settings = app_settings(ini)
    started = time.perf_counter()
    import cagou
    from cagou.plugins import get_plugins

    imported = time.perf_counter()
    config = cagou.configure(settings)
    configured = time.perf_counter()
    # Close the pool the engine may have opened; not part of the start-up.
    config.registry["cagou.engine"].dispose()
    modules = [m.name for m in get_plugins(config.registry).loaded() if not m.builtin]
    return {"import": imported - started, "configure": configured - imported, "modules": modules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ini", type=Path, default=Path("production.ini"))
    print(json.dumps(measure(parser.parse_args().ini)))


if __name__ == "__main__":
    main()
