"""``cagou aids export`` and ``cagou aids import``: a procedure carried from one instance to another."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cagou_aids.models import DRAFT, Procedure
from cagou_aids.transfer import FORMAT
from click.testing import CliRunner, Result
from pyramid.registry import Registry
from test_services import published

from cagou.cli import build_cli
from cagou.kit import transaction_scope
from cagou.testing import write_ini

SLUG = "recensement-des-residents-bloques-a-l-etranger"


@pytest.fixture
def run(tmp_path: Path, settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch, cagou_modules: tuple[str, ...],
        registry: Registry) -> Callable[..., Result]:  # fmt: skip
    """``cagou -c test.ini …`` on the test's database, with this platform's modules."""
    ini = write_ini(tmp_path / "test.ini", settings)
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(build_cli(), ["-c", str(ini), *args], catch_exceptions=False)

    return invoke


def titles(registry: Registry) -> list[tuple[str, str]]:
    with transaction_scope(registry) as request:
        return [
            tuple(row) for row in request.db.execute(sa.select(Procedure.slug, Procedure.state).order_by(Procedure.id))
        ]


def test_a_procedure_exported_is_imported_as_a_new_draft(run: Callable[..., Result], registry: Registry,
                                                          tmp_path: Path) -> None:  # fmt: skip
    published(registry)
    exported = run("aids", "export", SLUG, str(tmp_path / "demarche.json"))
    assert exported.exit_code == 0, exported.output
    data = json.loads((tmp_path / "demarche.json").read_text(encoding="utf-8"))
    assert data["format"] == FORMAT and data["procedure"]["receipt_prefix"] == "RAP"
    imported = run("aids", "import", str(tmp_path / "demarche.json"))
    assert imported.exit_code == 0, imported.output
    assert f"importée en brouillon (adresse /demarches/{SLUG}-2)" in imported.output
    assert titles(registry) == [(SLUG, "publiee"), (f"{SLUG}-2", DRAFT)]


def test_a_file_with_anything_unknown_is_refused_whole(run: Callable[..., Result], registry: Registry,
                                                       tmp_path: Path) -> None:  # fmt: skip
    published(registry)
    run("aids", "export", SLUG, str(tmp_path / "demarche.json"))
    data = json.loads((tmp_path / "demarche.json").read_text(encoding="utf-8"))
    data["procedure"]["couleur"] = "bleu"
    data["definition"]["pages"][0]["fields"][0]["type"] = "hologramme"
    data["definition"]["pages"][1]["fields"][0]["show_if"] = {"field": "inconnu", "equals": "oui"}
    (tmp_path / "broken.json").write_text(json.dumps(data), encoding="utf-8")
    refused = run("aids", "import", str(tmp_path / "broken.json"))
    assert refused.exit_code == 1
    assert "- Réglage inconnu : « couleur »." in refused.output
    assert "- Page 1, champ 1 (« nom ») : type de champ inconnu : « hologramme »." in refused.output
    assert "qui n'est pas un champ précédent" in refused.output
    (tmp_path / "other.json").write_text('{"format": "autre"}', encoding="utf-8")
    assert "n'est pas une démarche exportée par Cagou" in run("aids", "import", str(tmp_path / "other.json")).output
    data = json.loads((tmp_path / "demarche.json").read_text(encoding="utf-8"))
    data["directorate"] = "NULLE-PART"
    (tmp_path / "elsewhere.json").write_text(json.dumps(data), encoding="utf-8")
    assert (
        "la direction « NULLE-PART » n'existe pas ici" in run("aids", "import", str(tmp_path / "elsewhere.json")).output
    )
    assert titles(registry) == [(SLUG, "publiee")]


def test_an_unknown_procedure_is_said_so(run: Callable[..., Result]) -> None:
    result = run("aids", "export", "nulle-part")
    assert result.exit_code == 1 and "Aucune démarche « nulle-part »." in result.output


def test_a_workflow_is_exported_and_imported_again_and_a_bad_file_refused_whole(
    run: Callable[..., Result], registry: Registry, tmp_path: Path
) -> None:  # fmt: skip
    from cagou_aids.models import Workflow, WorkflowVersion

    published(registry)  # the census, following the shipped "recensement_tri"
    exported = run("aids", "workflow-export", "recensement_tri", str(tmp_path / "circuit.json"))
    assert exported.exit_code == 0, exported.output
    data = json.loads((tmp_path / "circuit.json").read_text(encoding="utf-8"))
    assert data["code"] == "recensement_tri"
    same = run("aids", "workflow-import", str(tmp_path / "circuit.json"))
    assert same.exit_code == 0 and "(version 1)" in same.output  # the same file changes nothing
    data["states"][0]["label"] = "Reçue"
    data["transitions"][0]["role"] = "aids:root"
    data["transitions"][1]["to"] = "ailleurs"
    (tmp_path / "mauvais.json").write_text(json.dumps(data), encoding="utf-8")
    bad = run("aids", "workflow-import", str(tmp_path / "mauvais.json"))
    assert bad.exit_code != 0 and "aids:root" in bad.output and "ailleurs" in bad.output
    del data["transitions"][:2]
    data["transitions"][0]["label"] = "Qualifier l'inscription"
    (tmp_path / "bon.json").write_text(json.dumps(data), encoding="utf-8")
    good = run("aids", "workflow-import", str(tmp_path / "bon.json"))
    assert good.exit_code == 0 and "(version 2)" in good.output
    assert run("aids", "workflow-export", "inconnu").exit_code != 0
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Workflow)) == 1
        assert request.db.scalar(sa.select(sa.func.count()).select_from(WorkflowVersion)) == 2
