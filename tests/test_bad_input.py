"""Bad input: every bad record is rejected with its reason, the good ones still load, and a
failed load leaves the database as it was."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import FIXTURES, one, rows

import agentaudit
from agentaudit.cli import main
from agentaudit.readers import base

OKTA = [json.loads(line) for line in (FIXTURES / "okta_system_log.ndjson").read_text().splitlines()]


def okta_lines(n: int) -> list[str]:
    return [json.dumps(OKTA[i % len(OKTA)]) for i in range(n)]


def test_malformed_json_lines_are_rejected_with_their_line_numbers(con, tmp_path: Path):
    lines = okta_lines(6)
    lines[1] = lines[1][:40]  # cut short
    lines[4] = "not json at all"
    path = tmp_path / "okta.ndjson"
    path.write_text("\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]) + "\n")
    (f,) = agentaudit.ingest([path], con).files
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_rejected) == ("loaded", 6, 4, 2)
    got = rows(con, "SELECT record_no, reason, left(raw, 15) FROM rejects ORDER BY 1")
    # a blank line is not a record, but it still counts for the line numbers after it
    assert got == [
        (2, "malformed JSON: the record does not parse", lines[1][:15]),
        (6, "malformed JSON: the record does not parse", "not json at all"),
    ]


def test_line_numbers_follow_the_file_order_in_a_large_file(con, tmp_path: Path):
    n, bad = 120_000, {17, 65_537, 119_999}
    path = tmp_path / "big.ndjson"
    with open(path, "w") as fh:
        for i in range(1, n + 1):
            rec = dict(OKTA[0], uuid=f"line-{i}")
            fh.write("{broken\n" if i in bad else json.dumps(rec) + "\n")
    (f,) = agentaudit.ingest([path], con).files
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (n, n - 3, 3)
    assert [r[0] for r in rows(con, "SELECT record_no FROM rejects ORDER BY 1")] == sorted(bad)
    mismatched = one(con, "SELECT count(*) FROM events WHERE event_id <> 'line-' || record_no")
    assert mismatched == (0,)


def test_truncated_gzip_keeps_the_whole_records(con, tmp_path: Path):
    records = [dict(OKTA[0], uuid=f"u{i}") for i in range(400)]
    blob = gzip.compress(json.dumps(records).encode(), mtime=0)
    path = tmp_path / "okta.json.gz"
    path.write_bytes(blob[: len(blob) * 2 // 3])
    (f,) = agentaudit.ingest([path], con).files
    assert f.status == "loaded" and f.format == "okta_system_log"
    assert f.rows_loaded > 100 and f.rows_rejected == 1
    assert f.rows_read == f.rows_loaded + f.rows_rejected
    assert "truncated" in f.message
    (reason,) = one(con, "SELECT reason FROM rejects")
    assert reason.startswith(f"record {f.rows_loaded + 1} is not valid JSON")
    assert rows(con, "SELECT event_id FROM events ORDER BY record_no LIMIT 2") == [("u0",), ("u1",)]


def test_truncated_gzip_ndjson(con, tmp_path: Path):
    blob = gzip.compress(("\n".join(okta_lines(300)) + "\n").encode(), mtime=0)
    path = tmp_path / "okta.ndjson.gz"
    path.write_bytes(blob[: len(blob) // 2])
    (f,) = agentaudit.ingest([path], con).files
    assert f.status == "loaded" and f.rows_loaded >= 5 and "truncated" in f.message
    assert f.rows_read == f.rows_loaded + f.rows_rejected and f.rows_rejected == 1
    # the loaded lines are the file's first lines, in order
    assert [r[0] for r in rows(con, "SELECT record_no FROM events ORDER BY 1")] == list(
        range(1, f.rows_loaded + 1)
    )


def test_a_bad_element_in_a_json_array_stops_only_the_rest_of_that_file(con, tmp_path: Path):
    good = json.dumps(OKTA[0])
    path = tmp_path / "okta.json"
    path.write_text(f'[{good},\n{good},\n{{"uuid": oops}},\n{good}]')
    (f,) = agentaudit.ingest([path], con).files
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (3, 2, 1)
    (reason,) = one(con, "SELECT reason FROM rejects")
    assert reason.startswith("record 3 is not valid JSON (Expecting value at line 3)")


def test_csv_missing_required_columns_is_refused_naming_them(con, tmp_path: Path):
    path = tmp_path / "agent_inventory.csv"
    path.write_text("agent_id,name,kind,owner_email\nA1,x,bot,a@b.c\n")
    (f,) = agentaudit.ingest([path], con).files
    assert f.status == "refused" and f.format == "agent_inventory"
    assert "missing required column(s) platform" in f.message
    assert one(con, "SELECT count(*) FROM inventory") == (0,)
    assert one(con, "SELECT reason FROM rejects")[0] == f.message


def test_bad_csv_rows_are_rejected_and_good_ones_load(con, tmp_path: Path):
    path = tmp_path / "hr_roster.csv"
    path.write_text(
        "employee_id,email,display_name,department,status,hire_date,termination_date,"
        "manager_email\n"
        "1,a@example.com,A,X,active,2020-01-01,,\n"
        "2,b@example.com,B,X,retired,2020-01-01,,\n"
        "3,c@example.com,C,X,active,2020-13-45,,\n"
        "4,d@example.com,D,X,active,2020-01-01,,,extra\n"
        "5,,E,X,active,,,\n"
    )
    (f,) = agentaudit.ingest([path], con).files
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (5, 1, 4)
    reasons = sorted(r[0] for r in rows(con, "SELECT reason FROM rejects"))
    assert reasons[0].startswith("CSV line 5: Expected Number of Columns: 8 Found: 9")
    assert "missing email" in reasons
    assert "status must be active, terminated or leave, got retired" in reasons
    assert "unparseable hire_date 2020-13-45" in reasons


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_excel_encodings_load(con, tmp_path: Path, encoding: str):
    text = (FIXTURES / "hr_roster.csv").read_text(encoding="utf-8").replace("Okafor", "Økafor")
    path = tmp_path / "hr_roster.csv"
    path.write_bytes(text.encode(encoding))
    if encoding == "utf-16":
        assert path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    (f,) = agentaudit.ingest([path], con).files
    assert (f.format, f.rows_loaded, f.rows_rejected) == ("hr_roster", 3, 0)
    assert rows(con, "SELECT display_name FROM roster WHERE employee_id = 'E1003'") == [
        ("Sam Økafor",)
    ]
    assert one(con, "SELECT employee_id FROM roster ORDER BY record_no LIMIT 1") == ("E1001",)


def test_latin1_file_is_transcoded(con, tmp_path: Path):
    text = (FIXTURES / "hr_roster.csv").read_text().replace("Okafor", "Økafor")
    path = tmp_path / "hr_roster.csv"
    path.write_bytes(text.encode("cp1252"))
    (f,) = agentaudit.ingest([path], con).files
    assert f.rows_loaded == 3 and "cp1252" in f.message


def test_empty_and_unknown_files(con, tmp_path: Path):
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "blank.ndjson").write_text("\n  \n")
    (tmp_path / "notes.txt").write_text("hello\nworld\n")
    (tmp_path / "other.json").write_text('{"foo": 1}\n')
    result = agentaudit.ingest([tmp_path], con)
    got = {Path(f.path).name: (f.status, f.rows_read) for f in result.files}
    assert got == {
        "blank.ndjson": ("empty", 0),
        "empty.json": ("empty", 0),
        "notes.txt": ("refused", 0),
        "other.json": ("refused", 0),
    }
    assert not result.anything_loaded
    msgs = [f.message for f in result.files if f.status == "refused"]
    assert all("agentaudit reads:" in m and "AWS CloudTrail" in m for m in msgs)


def test_loading_the_same_file_twice_duplicates_nothing(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    first = agentaudit.ingest([FIXTURES], db)
    second = agentaudit.ingest([FIXTURES], db)
    assert all(f.status == "loaded" for f in first.files)
    assert all(f.status == "skipped" for f in second.files)
    con = agentaudit.connect(db, read_only=True)
    counts = one(
        con,
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM files), "
        "(SELECT sum(event_count) FROM identities), (SELECT count(*) FROM roster)",
    )
    assert counts == (first.rows_loaded - 3 - 3 - 2 - 3 - 3, 10, counts[0], 3)


def test_a_crash_mid_load_leaves_the_database_as_it_was(tmp_path: Path, monkeypatch):
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([FIXTURES / "hr_roster.csv"], db)

    def boom(con):
        con.execute("SELECT 1")
        raise duckdb.IOException("disk full (simulated)")

    real = base.write_extras
    monkeypatch.setattr(base, "write_extras", lambda con, *tables: (real(con, *tables), boom(con)))
    result = agentaudit.ingest([FIXTURES / "okta_system_log.ndjson"], db)
    assert result.files[0].status == "failed"
    assert "disk full (simulated)" in result.files[0].message
    con = agentaudit.connect(db, read_only=True)
    assert one(con, "SELECT count(*) FROM events") == (0,)
    assert one(con, "SELECT count(*) FROM identities") == (0,)
    assert one(con, "SELECT count(*) FROM roster") == (3,)
    assert rows(con, "SELECT status FROM files ORDER BY file_id") == [("loaded",), ("failed",)]
    con.close()
    monkeypatch.undo()
    again = agentaudit.ingest([FIXTURES / "okta_system_log.ndjson"], db)
    assert again.files[0].status == "loaded" and again.files[0].rows_loaded == 5


def test_a_file_failing_at_write_time_does_not_take_its_batch_down(tmp_path: Path, monkeypatch):
    okta = FIXTURES / "okta_system_log.ndjson"
    real = base.write_events

    def fails_for_okta(con, staged):
        n = real(con, staged)
        formats = {
            con.sql(f"SELECT any_value(source_format) FROM {t}").fetchall()[0][0] for t in staged
        }
        if "okta_system_log" in formats:
            raise duckdb.IOException("disk full (simulated)")
        return n

    monkeypatch.setattr(base, "write_events", fails_for_okta)
    files = [FIXTURES / "hr_roster.csv", okta, FIXTURES / "github_audit.ndjson"]
    con = agentaudit.connect(tmp_path / "a.duckdb")
    result = agentaudit.ingest(files, con)
    status = {Path(f.path).name: (f.status, f.rows_loaded) for f in result.files}
    assert status["okta_system_log.ndjson"] == ("failed", 0)
    assert status["hr_roster.csv"][0] == status["github_audit.ndjson"][0] == "loaded"
    assert rows(con, "SELECT DISTINCT source_format FROM events") == [("github_audit",)]
    assert one(con, "SELECT count(*) FROM roster") == (3,)
    assert one(con, "SELECT count(*) FROM files WHERE status = 'failed'") == (1,)
    # The staged copies of every file are gone once the batch is written.
    assert rows(con, "SELECT table_name FROM duckdb_tables() WHERE temporary") == []


def test_cli_summary_and_exit_codes(tmp_path: Path):
    runner = CliRunner()
    ok = runner.invoke(
        main, ["ingest", str(FIXTURES), "--db", str(tmp_path / "a.duckdb"), "--quiet"]
    )
    assert ok.exit_code == 0, ok.output
    assert "okta_system_log" in ok.output and "total" in ok.output
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("nothing to see\n")
    bad = runner.invoke(
        main, ["ingest", str(tmp_path / "junk"), "--db", str(tmp_path / "b.duckdb"), "--quiet"]
    )
    assert bad.exit_code == 1
    assert "refused" in bad.output
    unwritable = runner.invoke(
        main, ["ingest", str(FIXTURES), "--db", str(tmp_path / "nope" / "deeper" / "c.duckdb")]
    )
    assert unwritable.exit_code == 3  # the database, not the input (README: exit codes)
    assert "cannot open database" in unwritable.output


def test_secrets_in_rejected_records_are_masked(con, tmp_path: Path):
    path = tmp_path / "okta.ndjson"
    rec = dict(OKTA[0])
    line = json.dumps(rec)[:-1] + ', "client_secret": "s3cr3tVALUE-abcdefghijkl", broken'
    path.write_text(json.dumps(rec) + "\n" + line + "\n")
    agentaudit.ingest([path], con)
    (raw,) = one(con, "SELECT raw FROM rejects")
    assert "s3cr3tVALUE" not in raw and '"client_secret": "****ijkl"' in raw


def test_a_file_whose_every_record_is_rejected_is_failed_and_says_why(tmp_path: Path):
    """Log Analytics JSON of AuditLogs (PascalCase, `TimeGenerated`) looks like Entra audit but
    carries none of its timestamps: the file fails, the records are in rejects with the
    reason, and an ingest that loaded nothing exits 1 naming it."""
    rec = {
        "TimeGenerated": "2021-04-28T14:08:45.221Z",
        "OperationName": "Add service principal",
        "InitiatedBy": '{"user": {"id": "u1", "userPrincipalName": "ana@example.com"}}',
        "TargetResources": '[{"id": "sp1", "type": "ServicePrincipal"}]',
    }
    path = tmp_path / "auditlogs.json"
    path.write_text(json.dumps([rec, rec]))
    db = tmp_path / "a.duckdb"
    res = CliRunner().invoke(main, ["ingest", str(path), "--db", str(db), "--quiet"])
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "failed" in text and "every record was rejected (2)" in text
    assert "nothing could be loaded" in text and "missing timestamp" in text
    con = agentaudit.connect(db, read_only=True)
    assert con.execute("SELECT status, rows_rejected FROM files").fetchall() == [("failed", 2)]
    assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(2,)]
    con.close()


def test_a_refusal_names_the_closest_format_and_what_it_expects(tmp_path: Path):
    rec = {
        "eventVersion": "1.08",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
    }
    path = tmp_path / "no_time.json"
    path.write_text(json.dumps([rec]))
    (f,) = agentaudit.ingest([path], agentaudit.connect()).files
    assert f.status == "refused"
    assert "closest: AWS CloudTrail [cloudtrail], sharing eventName, eventSource, userIdentity" in (
        f.message
    )
    assert "it expects eventTime (or @timestamp)" in f.message
    res = CliRunner().invoke(main, ["ingest", "--explain", str(path), str(FIXTURES)])
    text = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "format: not recognised; closest: AWS CloudTrail" in text
    assert "okta_system_log.ndjson container: ndjson (none, utf-8)" in text
    assert "format: Okta System Log [okta_system_log]" in text
    missing_db = CliRunner().invoke(main, ["ingest", str(path)])
    assert missing_db.exit_code == 2 and "--db" in missing_db.output
