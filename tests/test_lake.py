"""The canonical Parquet lake: an audit database written as a shard, shards from different file
sets read together, and the same assessment as the database gives."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit import lake
from agentaudit.assess import assess
from agentaudit.cli import main
from agentaudit.resources import demo_exports

EXPORTS = demo_exports()
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _contract(source) -> dict:
    d = assess(source, persist=False).to_dict()
    d.pop("generated_at")
    return d


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The demo's files loaded three ways: all in one database, and every other file in two."""
    base = tmp_path_factory.mktemp("lake")
    files = sorted(p for p in EXPORTS.rglob("*") if p.is_file())
    dbs = {}
    for name, part in (("all", files), ("a", files[0::2]), ("b", files[1::2])):
        dbs[name] = base / f"{name}.duckdb"
        agentaudit.ingest(part, dbs[name])
    return base, dbs


def test_a_lake_gives_the_assessment_its_database_gives(halves, tmp_path):
    _, dbs = halves
    shard = lake.write(dbs["all"], tmp_path / "lake")
    marker = json.loads((shard / lake.MARKER).read_text())
    assert marker["schema_version"] == agentaudit.db.SCHEMA_VERSION
    assert marker["tables"]["events"] > 10_000
    months = {p.name for p in shard.glob("events/source_format=*/month=*")}
    assert months and all(m.startswith("month=2026-") for m in months)
    assert _contract(lake.connect(tmp_path / "lake")) == _contract(dbs["all"])


def test_shards_from_different_files_merge_in_any_order(halves, tmp_path):
    """Identities and credentials seen in both halves are merged as one ingest merges them:
    the two shards, written in either order, assess as the database of every file does."""
    _, dbs = halves
    want = _contract(dbs["all"])
    for order, folder in ((("a", "b"), "ab"), (("b", "a"), "ba")):
        for name in order:
            lake.write(dbs[name], tmp_path / folder)
        assert len(lake.shards(tmp_path / folder)) == 2
        assert _contract(lake.connect(tmp_path / folder)) == want


def test_writing_a_database_again_replaces_its_shard(halves, tmp_path):
    _, dbs = halves
    first = lake.write(dbs["a"], tmp_path)
    again = lake.write(dbs["a"], tmp_path)
    assert first == again and lake.shards(tmp_path) == [first]
    assert not list(tmp_path.glob("*.partial"))


def test_a_folder_that_is_not_a_lake_is_refused_by_name(tmp_path, halves):
    with pytest.raises(lake.LakeError, match="no _lake.json"):
        lake.connect(tmp_path)
    _, dbs = halves
    shard = lake.write(dbs["b"], tmp_path / "old")
    marker = json.loads((shard / lake.MARKER).read_text())
    marker["schema_version"] = "0"
    (shard / lake.MARKER).write_text(json.dumps(marker))
    with pytest.raises(lake.LakeError, match="schema version '0'"):
        lake.connect(tmp_path / "old")


def test_cli_writes_a_lake_and_assesses_it(halves, tmp_path: Path):
    _, dbs = halves
    runner = CliRunner()
    out = runner.invoke(main, ["lake", "--db", str(dbs["all"]), "--out", str(tmp_path / "lk")])
    assert out.exit_code == 0, out.output
    res = runner.invoke(main, ["assess", "--lake", str(tmp_path / "lk"), "--format", "json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    got.pop("generated_at")
    assert got == json.loads(json.dumps(_contract(dbs["all"]), default=str))
    both = runner.invoke(main, ["assess", "--lake", str(tmp_path), "--db", str(dbs["all"])])
    assert both.exit_code == 2 and "one of --db" in both.output


def test_ingest_writes_a_shard_directly(halves, tmp_path: Path):
    """`ingest --lake` without `--db`: the files become a shard, no database is left behind;
    two such shards assess as one database of both file sets."""
    _, dbs = halves
    files = sorted(p for p in EXPORTS.rglob("*") if p.is_file())
    runner = CliRunner()
    for part in (files[0::2], files[1::2]):
        res = runner.invoke(
            main, ["ingest", *map(str, part), "--lake", str(tmp_path / "lk"), "--quiet"]
        )
        assert res.exit_code == 0, res.output
    assert not list(tmp_path.rglob("*.duckdb"))
    assert _contract(lake.connect(tmp_path / "lk")) == _contract(dbs["all"])


def test_a_database_from_before_the_agent_markers_reads_read_only(tmp_path: Path):
    """A database written before the agent columns and the registry table existed, opened
    read-only (its schema cannot be brought up to date), assesses as a current one does."""
    db = tmp_path / "old.duckdb"
    agentaudit.ingest([EXPORTS / "github", EXPORTS / "hr_roster.csv"], db)  # no agent markers
    want = _contract(db)
    con = duckdb.connect(str(db))
    for column in ("agent_id", "agent_type", "agent_parent_id", "on_behalf_of"):
        con.execute(f"ALTER TABLE events DROP COLUMN {column}")
    con.execute("DROP TABLE agent_registry")
    con.close()
    ro = agentaudit.connect(db, read_only=True)
    assert _contract(ro) == want
    ro.close()
    assert "agent_id" not in {
        r[0] for r in duckdb.connect(str(db)).sql("DESCRIBE events").fetchall()
    }


def test_two_connections_to_one_database_in_one_process(halves):
    """DuckDB shares one instance per file within a process: the second connection must not
    fail on the functions the first registered."""
    _, dbs = halves
    first = agentaudit.connect(dbs["a"], read_only=True)
    second = agentaudit.connect(dbs["a"], read_only=True)
    assert second.sql("SELECT aa_siem('{}', 'entra')").fetchall() == [("{}",)]
    first.close()
    assert second.sql("SELECT count(*) FROM events").fetchall()[0][0] > 0
    second.close()


def test_a_file_loaded_in_two_shards_is_refused_by_name(halves, tmp_path):
    """Its events would be counted twice: the lake names the file and both shards."""
    _, dbs = halves
    lake.write(dbs["all"], tmp_path / "lake")
    lake.write(dbs["a"], tmp_path / "lake")
    with pytest.raises(lake.LakeError, match="counted twice") as err:
        lake.connect(tmp_path / "lake")
    assert str(err.value).count("shard-") == 2


def test_a_shard_without_events_reads_beside_others(tmp_path):
    """A shard of a roster alone (no events folder) merges with one of logs."""
    roster, logs = tmp_path / "roster.duckdb", tmp_path / "logs.duckdb"
    agentaudit.ingest([FIXTURES / "hr_roster.csv"], roster)
    agentaudit.ingest([FIXTURES / "okta_system_log.ndjson"], logs)
    lake.write(roster, tmp_path / "lake")
    assert not lake.has_events(lake.shards(tmp_path / "lake")[0])
    only_roster = lake.connect(tmp_path / "lake")
    assert only_roster.sql("SELECT count(*) FROM events").fetchall() == [(0,)]
    lake.write(logs, tmp_path / "lake")
    both = lake.connect(tmp_path / "lake")
    counts = both.sql("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM roster)")
    assert counts.fetchall()[0][0] > 0 and counts.fetchall()[0][1] > 0
    assess(both, persist=False)


def test_an_okta_record_whose_target_is_no_list_does_not_stop_the_assessment(tmp_path):
    """The issuance ledger reads Okta's `target` as a list; a record with one object there
    (seen in hand-made exports) is read without its targets, not a failed cast."""
    record = json.loads((FIXTURES / "okta_system_log.ndjson").read_text().splitlines()[0])
    record.update(
        uuid="odd-target-1", eventType="app.oauth2.as.consent.grant", target={"id": "0oa1"}
    )
    path = tmp_path / "okta.ndjson"
    path.write_text(json.dumps(record) + "\n")
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([path], db)
    grants = assess(db, persist=False).tables["credential_issuance"]
    assert len(grants) == 1
