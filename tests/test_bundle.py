"""The assessment bundle: written by `assess --bundle`, the one thing a report reads; each
figure's evidence query reproduces it from the database in plain DuckDB."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit import bundle, pipeline
from agentaudit.cli import main
from agentaudit.ingest import sha256_of
from agentaudit.synth import config_for, generate


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """A small enterprise, ingested, assessed into a bundle with a policy file."""
    base = tmp_path_factory.mktemp("bundle")
    generate(base / "e", config_for("level3", seed=5, humans=12, nhi_per_human=2.0, events=3000))
    db = base / "audit.duckdb"
    agentaudit.ingest([base / "e" / "exports"], db)
    policy = base / "policy.yaml"
    policy.write_text("rotation_days: 60\n")
    res = CliRunner().invoke(
        main,
        ["assess", "--db", str(db), "--bundle", str(base / "b"), "--policy", str(policy)]
        + ["--format", "json"],
    )
    assert res.exit_code == 0, res.output
    return base, db, base / "b", json.loads(res.output), policy


def test_a_bundle_holds_the_contract_its_tables_and_its_inputs(assessed):
    base, db, out, printed, policy = assessed
    contract = json.loads((out / "assessment.json").read_text())
    assert contract == printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["policy"]["rotation_days"] == 60
    assert manifest["inputs"]["policy"]["sha256"] == sha256_of(policy)
    con = duckdb.connect(str(db), read_only=True)
    files = con.sql("SELECT path, sha256 FROM files ORDER BY file_id").fetchall()
    assert [(f["path"], f["sha256"]) for f in manifest["inputs"]["files"]] == files
    for name in ("shadow_agents", "classified_identities", "metric_nhi_ratio", "files"):
        assert (out / "tables" / f"{name}.parquet").exists(), name


def test_a_bundle_reads_back_to_the_same_assessment(assessed):
    _, _, out, printed, _ = assessed
    for frames in ("pandas", "polars"):
        a, files, _ = bundle.read(out, frames=frames)
        assert json.loads(json.dumps(a.to_dict(), default=str)) == printed
        assert len(files) > 5


def test_every_evidence_query_reproduces_its_figure_in_plain_duckdb(assessed):
    """No agentaudit on the path: DuckDB's own Python module on the stored database."""
    _, db, out, _, _ = assessed
    manifest = json.loads((out / "manifest.json").read_text())
    con = duckdb.connect(str(db), read_only=True)
    assert len(manifest["evidence"]) >= 40
    for name, relative in manifest["evidence"].items():
        query = (out / relative).read_text()
        assert query.lstrip().startswith("--")
        got = con.sql(query).df()
        folder = "findings" if (out / "findings" / f"{name}.parquet").exists() else "tables"
        want = pd.read_parquet(out / folder / f"{name}.parquet")
        assert len(got) == len(want), name
        shared = [c for c in got.columns if c in want.columns]
        key = shared[:1]
        if key and len(got):
            assert sorted(map(str, got[key[0]])) == sorted(map(str, want[key[0]])), name


def _without_ids(html: str) -> str:
    """Report text without what differs between two renderings: random element ids (charts,
    the cell papermill injects)."""
    html = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", html)
    return re.sub(r"cell-id=[0-9a-f]{8}", "cell-id=ID", html)


def test_a_report_renders_from_the_bundle_alone_as_from_the_database(assessed, tmp_path):
    base, db, _, _, _ = assessed
    copy = tmp_path / "audit.duckdb"
    shutil.copy(db, copy)
    first = pipeline.report(
        copy,
        tmp_path / "with_db",
        "Acme",
        report_options=pipeline.ReportOptions(report_date="2026-11-30"),
    )
    copy.unlink()  # the database is gone
    res = CliRunner().invoke(
        main,
        ["report", "--bundle", str(first.bundle), "--client", "Acme"]
        + ["--out", str(tmp_path / "alone")],
    )
    assert res.exit_code == 0, res.output
    alone = (tmp_path / "alone" / "report.html").read_text()
    today = pd.Timestamp.now("UTC").strftime("%Y-%m-%d")
    with_db = first.report.html.read_text().replace("2026-11-30", today)
    assert _without_ids(alone) == _without_ids(with_db)
    assert "Evidence: the query behind each figure" in alone
    assert "evidence/shadow_agents.sql" in alone


def test_report_refuses_a_folder_that_is_no_bundle_and_mixed_inputs(assessed, tmp_path):
    _, db, out, _, policy = assessed
    res = CliRunner().invoke(
        main, ["report", "--bundle", str(tmp_path), "--client", "A", "--out", str(tmp_path / "o")]
    )
    assert res.exit_code != 0 and "not an assessment bundle" in " ".join(res.output.split())
    res = CliRunner().invoke(
        main,
        ["report", "--bundle", str(out), "--policy", str(policy), "--client", "A"]
        + ["--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 2 and "assess again" in res.output
    res = CliRunner().invoke(main, ["report", "--client", "A", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--bundle" in res.output
    assert Path(db).exists()
