"""The dependency rule: the core imports no module, no module imports another, and modules see the kit only.

import-linter checks the core and the helpdesk in CI (setup.cfg); this test
checks every module package present, whatever their number, including the
test modules.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import grimp

ROOT = Path(__file__).parent.parent


def module_packages() -> list[str]:
    folders = [*ROOT.glob("plugins/*/cagou_*"), *ROOT.glob("tests/plugins/cagou_*")]
    return sorted({folder.name for folder in folders if (folder / "__init__.py").exists()} - {"cagou_broken"})


def test_there_are_module_packages_to_check():
    assert "cagou_sample" in module_packages()


def test_the_core_imports_no_module():
    packages = module_packages()
    graph = grimp.build_graph("cagou", *packages)
    for package in packages:
        chains = graph.find_shortest_chains(importer="cagou", imported=package, as_packages=True)
        assert not chains, f"the core imports {package}: {chains}"


def test_no_module_imports_another():
    packages = module_packages()
    graph = grimp.build_graph(*packages)
    for importer, imported in itertools.permutations(packages, 2):
        chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
        assert not chains, f"{importer} imports {imported}: {chains}"


#: What a module's package may import of the core: the kit, and in its tests the test fixtures.
MODULE_API = {"cagou.kit", "cagou.testing"}


def test_modules_import_the_core_through_the_kit_only():
    packages = module_packages()
    graph = grimp.build_graph("cagou", *packages)
    for package in packages:
        for importer in graph.find_children(package) | graph.find_descendants(package) | {package}:
            core = {name for name in graph.find_modules_directly_imported_by(importer) if name.split(".")[0] == "cagou"}
            assert core <= MODULE_API, f"{importer} imports {sorted(core - MODULE_API)}, outside cagou.kit"
