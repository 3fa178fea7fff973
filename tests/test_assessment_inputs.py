"""The assessment's inputs reach it by every road (assess, report, a batch manifest), the
stored tables are reused only for the same inputs, and the modules import without cycles."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit import pipeline
from agentaudit.assess import assess
from agentaudit.batch import read_manifest
from agentaudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
ENTRA = ROOT / "tests" / "fixtures_issuance" / "entra"
CATALOGUE = (
    "platform,match,pattern,app,vendor,category,source\n"
    "any,name,Meeting Notes,Fabrikam Notes,Fabrikam,meeting_notes,client list\n"
)


def test_options_are_named_so_no_caller_drops_one():
    with pytest.raises(TypeError):
        pipeline.AssessOptions("policy.yaml", None, None)  # type: ignore[misc]
    names = {f.name for f in dataclasses.fields(pipeline.AssessOptions)}
    assert set(pipeline.AssessOptions.FILES) <= names


def test_report_takes_the_consultants_ai_app_catalogue_as_assess_does(tmp_path):
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([ENTRA], db)
    mine = tmp_path / "ai_apps.csv"
    mine.write_text(CATALOGUE)
    out = tmp_path / "report"
    args = ["report", "--db", str(db), "--client", "C", "--out", str(out), "--ai-apps", str(mine)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assessment = json.loads((out / pipeline.BUNDLE_DIR / "assessment.json").read_text())
    assert {g["app"] for g in assessment["ai_app_grants"]} == {"Fabrikam Meeting Notes AI"}


def test_a_batch_manifest_row_names_every_assessment_input(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "ai_apps.csv").write_text(CATALOGUE)
    manifest = tmp_path / "clients.csv"
    manifest.write_text(
        "client,exports,ai_apps,window_start\n"
        f"Acme,{ENTRA},mine/ai_apps.csv,2026-01-01\n"
        f"Beta,{ENTRA},,\n"
    )
    acme, beta = (pipeline.AssessOptions.from_row(r) for r in read_manifest(manifest))
    assert acme.ai_apps == str((tmp_path / "mine" / "ai_apps.csv").resolve())
    assert acme.window_start == "2026-01-01"
    assert beta == pipeline.AssessOptions()


def _stored_inputs(db: Path, catalogue: Path) -> str:
    con = agentaudit.connect(db)
    assess(con, ai_apps=catalogue)
    (inputs,) = con.execute("SELECT value FROM meta WHERE key = 'assessment_inputs'").fetchone()
    con.close()
    return inputs


def test_stored_tables_are_recomputed_when_only_the_catalogues_app_ids_change(tmp_path):
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([ENTRA], db)
    header = "platform,match,pattern,app,vendor,category,source\n"
    one, other = tmp_path / "one.csv", tmp_path / "other.csv"
    one.write_text(header + "entra,app_id,00000000-0000-0000-0000-00000000000a,A,V,chat,x\n")
    other.write_text(header + "entra,app_id,00000000-0000-0000-0000-00000000000b,A,V,chat,x\n")
    assert _stored_inputs(db, one) != _stored_inputs(db, other)
    assert _stored_inputs(db, one) == _stored_inputs(db, one)


def _imports() -> dict[str, set[str]]:
    """Each agentaudit module and the agentaudit modules it imports, at the top or inside a
    function (not under `if TYPE_CHECKING`)."""
    modules = {}
    for path in (ROOT / "agentaudit").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agentaudit"):
                subs = [f"{node.module}.{a.name}" for a in node.names]
                found = {s for s in subs if s in modules}
                if len(found) < len(subs):
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found = {a.name for a in node.names if a.name.startswith("agentaudit")}
            else:
                continue
            graph[name] |= {m for m in found if m in modules and m != name}
    return graph


def test_no_two_modules_import_each_other_even_lazily():
    graph = _imports()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return False

    cycles = sorted((a, b) for a in graph for b in graph[a] if reaches(b, a))
    assert cycles == []
    # batch and Spark scheduling live outside the report package
    assert not {"agentaudit.spark", "agentaudit.pipeline"} & graph["agentaudit.report"]


def test_the_scheduler_has_its_own_option_and_old_scripts_still_run(tmp_path):
    for command in ("ingest", "batch"):
        shown = CliRunner().invoke(main, [command, "--help"]).output
        assert "--scheduler" in shown and "--engine" not in shown
    db = tmp_path / "a.duckdb"
    res = CliRunner().invoke(main, ["ingest", str(ENTRA), "--db", str(db), "--engine", "duckdb"])
    assert res.exit_code == 0 and "now --scheduler" in res.output, res.output
    res = CliRunner().invoke(main, ["ingest", str(ENTRA), "--db", str(db), "--spark-tasks", "2"])
    assert res.exit_code == 2 and "--scheduler spark" in res.output
