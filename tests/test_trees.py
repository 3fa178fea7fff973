"""Exports as clients deliver them: CloudTrail's S3 delivery tree (a small file per region every
five minutes) and folders of small NDJSON files load in a few set-based statements, with the
same canonical rows and per-file accounting as file-by-file loading."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import rows

import agentaudit
from agentaudit import containers

ACCOUNT = "111122223333"


def cloudtrail_record(i: int, when: datetime) -> dict:
    """A CloudTrail record as the CloudTrail user guide shows one (IAM user, access key)."""
    user = ["alice", "ci-deployer", "reporting"][i % 3]
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDAEXAMPLE{i % 3:05d}",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "accessKeyId": f"AKIAIOSFODNN{i % 3:04d}EX",
            "userName": user,
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": ["GetObject", "PutObject", "ListBuckets"][i % 3],
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/2.18.6 Python/3.12.6 Linux/6.1",
        "requestID": f"req-{i}",
        "eventID": f"evt-{i}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
    }


def s3_tree(root: Path, files: int = 60, per_file: int = 7) -> Path:
    """`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_
    <time>_<id>.json.gz`, the layout CloudTrail delivers to S3, plus a digest file."""
    start = datetime(2026, 3, 2, tzinfo=UTC)
    n = 0
    for f in range(files):
        region = ["eu-west-1", "us-east-1"][f % 2]
        at = start + timedelta(minutes=5 * f)
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / region / at.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        recs = [cloudtrail_record(n + i, at + timedelta(seconds=i)) for i in range(per_file)]
        n += per_file
        name = f"{ACCOUNT}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{f:016x}.json.gz"
        (folder / name).write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    digest = root / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "eu-west-1" / "2026/03/02"
    digest.mkdir(parents=True)
    (digest / f"{ACCOUNT}_CloudTrail-Digest_eu-west-1_20260302T010000Z.json.gz").write_bytes(
        gzip.compress(
            json.dumps(
                {
                    "awsAccountId": ACCOUNT,
                    "digestStartTime": "2026-03-02T00:00:00Z",
                    "digestEndTime": "2026-03-02T01:00:00Z",
                    "digestS3Bucket": "trail-bucket",
                    "logFiles": [],
                }
            ).encode()
        )
    )
    return root / "AWSLogs"


def okta_folder(root: Path, files: int = 15, per_file: int = 4) -> Path:
    folder = root / "okta"
    folder.mkdir()
    for f in range(files):
        lines = []
        for i in range(per_file):
            lines.append(
                json.dumps(
                    {
                        "uuid": f"u-{f}-{i}",
                        "published": f"2026-03-02T{f:02d}:{i:02d}:00.000Z",
                        "eventType": "user.session.start",
                        "actor": {
                            "id": f"00u{f % 4}",
                            "type": "User",
                            "alternateId": f"user{f % 4}@example.com",
                        },
                        "client": {
                            "userAgent": {"rawUserAgent": "Mozilla/5.0", "browser": "CHROME"}
                        },
                        "outcome": {"result": "SUCCESS"},
                    }
                )
            )
        (folder / f"system_log_{f:03d}.ndjson").write_text("\n".join(lines) + "\n")
    return folder


CANONICAL = """SELECT regexp_extract(f.path, '[^/]+$') AS file, e.record_no, e.source_format,
       e.event_id, e.event_time, e.event_type, e.outcome, e.actor_key, e.actor_name,
       e.actor_type, e.credential_key, e.credential_type, e.user_agent, e.source_ip,
       e.is_interactive, e.target_id, e.raw::JSON = e.raw::JSON AS parses
FROM events e JOIN files f USING (file_id) ORDER BY file, record_no"""


def _load(paths: list[Path], grouped: bool, monkeypatch) -> agentaudit.IngestResult:
    if not grouped:
        monkeypatch.setattr(containers, "groupable", lambda sample: False)
    con = agentaudit.connect()
    result = agentaudit.ingest(paths, con)
    monkeypatch.undo()
    return con, result


def test_a_tree_loads_as_file_by_file_would(tmp_path: Path, monkeypatch):
    paths = [s3_tree(tmp_path / "s3"), okta_folder(tmp_path)]
    by_file, r1 = _load(paths, grouped=False, monkeypatch=monkeypatch)
    grouped, r2 = _load(paths, grouped=True, monkeypatch=monkeypatch)
    assert rows(grouped, CANONICAL) == rows(by_file, CANONICAL)
    assert len(rows(grouped, CANONICAL)) == 60 * 7 + 15 * 4
    for table in ("identities", "credentials"):
        cols = "* EXCLUDE (file_ids)"
        q = f"SELECT {cols} FROM {table} ORDER BY ALL"
        assert rows(grouped, q) == rows(by_file, q), table
    accounting = """SELECT regexp_extract(path, '[^/]+$'), format, status, rows_read, rows_loaded,
                           rows_rejected FROM files ORDER BY 1"""
    assert rows(grouped, accounting) == rows(by_file, accounting)
    loaded = [f for f in r2.files if f.status == "loaded"]
    assert len(loaded) == 75 and all(f.rows_read == f.rows_loaded + f.rows_rejected for f in loaded)
    digest = [f for f in r2.files if "Digest" in f.path]
    assert [(f.status, f.message) for f in digest] == [
        ("skipped", "CloudTrail digest file: integrity hashes of the log files, no events")
    ]


def test_a_bad_file_in_a_tree_is_read_on_its_own(tmp_path: Path):
    tree = s3_tree(tmp_path / "s3", files=12)
    victim = sorted(tree.rglob("*_CloudTrail_eu-west-1_*.json.gz"))[3]
    text = gzip.decompress(victim.read_bytes()).decode()
    cut = text.index('{"eventVersion"', text.index('{"eventVersion"') + 1)
    broken = text[:cut] + '{"eventVersion": "1.09", "eventTime": ' + text[cut:]
    victim.write_bytes(gzip.compress(broken.encode()))
    con = agentaudit.connect()
    result = agentaudit.ingest([tree], con)
    by_name = {Path(f.path).name: f for f in result.files}
    bad = by_name[victim.name]
    assert bad.status == "loaded" and bad.rows_read == bad.rows_loaded + bad.rows_rejected
    others = [f for n, f in by_name.items() if n != victim.name and "Digest" not in n]
    assert len(others) == 11 and all(f.rows_loaded == 7 and not f.rows_rejected for f in others)
    assert rows(con, "SELECT count(*) FROM events") == [(11 * 7 + bad.rows_loaded,)]


def test_progress_moves_by_records_once_per_file(tmp_path: Path):
    paths = [s3_tree(tmp_path / "s3", files=30), okta_folder(tmp_path, files=5)]
    seen: list[tuple[str, int]] = []
    result = agentaudit.ingest(
        paths, agentaudit.connect(), on_progress=lambda p, n: seen.append((p.name, n))
    )
    assert sorted(seen) == sorted((Path(f.path).name, f.rows_read) for f in result.files)
    assert sum(n for _, n in seen) == 30 * 7 + 5 * 4
    # A group's files report when the group is read, so a report never precedes its records.
    assert [n for _, n in seen if n] == [f.rows_read for f in result.files if f.rows_read]


@pytest.mark.parametrize("grouped", [True, False])
def test_loading_a_tree_twice_adds_nothing(tmp_path: Path, grouped: bool, monkeypatch):
    tree = s3_tree(tmp_path / "s3", files=10)
    if not grouped:
        monkeypatch.setattr(containers, "groupable", lambda sample: False)
    db = tmp_path / "audit.duckdb"
    agentaudit.ingest([tree], db)
    again = agentaudit.ingest([tree], db)
    assert {f.status for f in again.files} == {"skipped"}
    con = agentaudit.connect(db, read_only=True)
    assert rows(con, "SELECT count(*) FROM events") == [(70,)]
    con.close()


def test_the_cli_sums_a_tree_up_and_lists_only_the_files_with_a_problem(tmp_path: Path):
    from click.testing import CliRunner

    from agentaudit.cli import main

    tree = s3_tree(tmp_path / "s3", files=50)
    (tree / "notes.txt").write_text("the bucket policy is attached\n")
    res = CliRunner().invoke(
        main, ["ingest", str(tree), "--db", str(tmp_path / "a.duckdb"), "--quiet"]
    )
    text = " ".join(res.output.split())
    assert "50 files │ cloudtrail │ loaded │ 350 │ 350 │ 0" in text, res.output
    assert "notes.txt" in text and "refused" in text
    assert "_CloudTrail_eu-west-1_" not in text  # loaded files are not listed one by one
