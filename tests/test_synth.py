"""The synthetic enterprise: loads cleanly, reproduces byte for byte, and its truth.json says
what the files contain, counted back through SQL on the ingested database."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit.cli import main
from agentaudit.synth import config_for, generate

SMALL = dict(humans=30, nhi_per_human=3.0, events=12_000)


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory):
    """A level-2 enterprise, generated and ingested once for the module."""
    out = tmp_path_factory.mktemp("synth") / "level2"
    result = generate(out, config_for("level2", seed=11, **SMALL))
    con = agentaudit.connect()
    ingested = agentaudit.ingest([out / "exports"], con)
    yield result, ingested, con
    con.close()


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.sql(sql, params=params).fetchall()


def keys(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> set[str]:
    return {r[0] for r in q(con, sql, params)}


def test_every_generated_file_loads_with_zero_rejects(enterprise):
    result, ingested, con = enterprise
    formats = {f.format for f in ingested.files}
    assert formats == {
        "okta_system_log",
        "entra_signin",
        "entra_audit",
        "cloudtrail",
        "github_audit",
        "aws_credential_report",
        "hr_roster",
        "agent_inventory",
        "alerts",
        "agent_registry",
    }
    for f in ingested.files:
        assert f.status == "loaded" and f.rows_rejected == 0, f
    assert q(con, "SELECT count(*) FROM rejects") == [(0,)]
    by_source = dict(q(con, "SELECT source_format, count(*) FROM events GROUP BY 1"))
    assert by_source == result.truth["events"]
    assert sum(by_source.values()) == result.total_events


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: Path):
    def digests(out: Path) -> dict[str, str]:
        return {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }

    cfg = config_for("level4", seed=3, humans=12, nhi_per_human=2.0, events=3000)
    a = digests(generate(tmp_path / "a", cfg).out_dir)
    b = digests(generate(tmp_path / "b", cfg).out_dir)
    c = digests(
        generate(
            tmp_path / "c", config_for("level4", seed=4, humans=12, nhi_per_human=2.0, events=3000)
        ).out_dir
    )
    assert a == b and len(a) > 20
    assert a["truth.json"] != c["truth.json"]
    assert sum(a[k] != c.get(k) for k in a) > 15


def test_people_and_inventory_are_what_truth_says(enterprise):
    result, _, con = enterprise
    truth = result.truth
    assert q(con, "SELECT count(*), count(*) FILTER (status = 'active') FROM roster") == [
        (truth["humans"]["roster_total"], truth["humans"]["roster_active"])
    ]
    # every identity the logs and reports show is one truth knows, human or not
    known = (
        set(truth["humans"]["identities"])
        | set(truth["external_humans"]["identities"])
        | set(truth["nhis"]["identities"])
    )
    assert keys(con, "SELECT identity_key FROM identities") - known == {
        "aws:arn:aws:iam::111122223333:root"
    }


def inventoried(con: duckdb.DuckDBPyConnection) -> str:
    """SQL: identities that an inventory row names by platform id."""
    return """SELECT identity_key FROM identities i WHERE EXISTS (
                SELECT 1 FROM inventory v WHERE v.platform = i.platform
                  AND list_contains(i.aliases, v.platform_id))"""


def test_shadow_agents_are_the_nhis_no_inventory_row_names(enterprise):
    result, _, con = enterprise
    # apps seen only as the target of a consent never act: the discovery audit lists them
    nhis = set(result.truth["nhis"]["identities"]) - set(result.truth["nhis"]["target_only"])
    seen = keys(con, "SELECT identity_key FROM identities") & nhis
    listed = keys(con, inventoried(con))
    # the platform's agent registry lists its agents and their blueprint
    registry = keys(con, "SELECT platform || ':' || native_id FROM agent_registry")
    assert seen - listed - registry == set(result.truth["shadow_agents"])
    assert result.truth["shadow_agents"]


def test_dormant_nhis_show_no_activity_in_the_last_90_days(enterprise):
    result, _, con = enterprise
    truth = result.truth
    end = datetime.fromisoformat(truth["window"]["end"].replace("Z", "+00:00"))
    cutoff = end - timedelta(days=90)
    nhis = (
        set(truth["nhis"]["identities"])
        - set(truth["nhis"]["decommissioned"])
        - set(truth["nhis"]["target_only"])
    )
    last = dict(
        q(
            con,
            """SELECT i.identity_key, greatest(i.last_seen, max(c.last_used_at))
                          FROM identities i LEFT JOIN credentials c USING (identity_key)
                          GROUP BY i.identity_key, i.last_seen""",
        )
    )
    dormant_seen = {k for k in nhis & set(last) if last[k] is None or last[k] < cutoff}
    dormant = set(truth["dormant_nhis"])
    assert dormant_seen == dormant & set(last)
    # the rest never appear in a log or report: the inventory is their only evidence
    never_seen = dormant - set(last)
    unmatched = q(
        con,
        """SELECT count(*) FROM inventory v WHERE NOT EXISTS (
                              SELECT 1 FROM identities i WHERE i.platform = v.platform
                                AND list_contains(i.aliases, v.platform_id))""",
    )
    assert unmatched == [(len(never_seen),)]
    assert dormant


def test_shared_credentials_are_visible_in_the_exports(enterprise):
    result, _, con = enterprise
    shared = result.truth["shared_credentials"]
    by_reason: dict[str, set[str]] = {}
    for s in shared:
        for r in s["reasons"]:
            by_reason.setdefault(r, set()).add(s["credential_key"])
    assert set(by_reason) == {
        "inventory_multiple_agents",
        "human_and_workload",
        "multiple_workloads",
    }
    # several workloads: three or more distinct (user agent, /24 network) pairs
    multi = keys(
        con,
        """SELECT credential_key FROM events WHERE credential_key IS NOT NULL
                         GROUP BY credential_key
                         HAVING count(DISTINCT user_agent || '|' ||
                                      regexp_extract(source_ip, '^(\\d+\\.\\d+\\.\\d+)\\.', 1))
                                >= 3""",
    )
    nhi = set(result.truth["nhis"]["identities"])
    owners = dict(q(con, "SELECT credential_key, identity_key FROM credentials"))
    assert {k for k in multi if owners.get(k) in nhi} == by_reason["multiple_workloads"]
    # a person signs in interactively as an NHI whose key a workload uses
    interactive = keys(con, "SELECT DISTINCT actor_key FROM events WHERE is_interactive")
    assert interactive & nhi == set(result.truth["interactive_nhis"])
    human_use = keys(
        con,
        """SELECT DISTINCT credential_key FROM events
                             WHERE credential_key IS NOT NULL AND NOT is_interactive
                               AND actor_key IN (SELECT actor_key FROM events
                                                 WHERE is_interactive)""",
    )
    assert {k for k in human_use if owners.get(k) in nhi} == by_reason["human_and_workload"]
    # listed for two agents in the inventory
    listed_twice = keys(
        con,
        """SELECT c FROM (SELECT unnest(credential_ids) AS c FROM inventory)
                                GROUP BY c HAVING count(*) > 1""",
    )
    ids = {
        s["credential_key"].rsplit(":", 1)[-1]
        for s in shared
        if "inventory_multiple_agents" in s["reasons"]
    }
    assert listed_twice == ids


def test_stale_and_revoked_credentials(enterprise):
    result, _, con = enterprise
    truth = result.truth
    end = datetime.fromisoformat(truth["window"]["end"].replace("Z", "+00:00"))
    # AWS keys are dated by the credential report's slots (the report names no key id)
    dated = keys(
        con,
        """SELECT credential_key FROM credentials
                         WHERE credential_type IN ('access_key', 'client_secret', 'api_token')
                           AND credential_key NOT LIKE 'aws:AKIA%'
                           AND coalesce(status, 'active') = 'active' AND revoked_at IS NULL
                           AND coalesce(last_rotated_at, created_at) IS NOT NULL""",
    )
    nhi_creds = keys(
        con,
        "SELECT credential_key FROM credentials WHERE identity_key IN (SELECT unnest(?))",
        [truth["nhis"]["identities"]],
    )
    live_nhi = set(truth["nhis"]["identities"]) - set(truth["nhis"]["decommissioned"])
    live_creds = keys(
        con,
        "SELECT credential_key FROM credentials WHERE identity_key IN (SELECT unnest(?))",
        [sorted(live_nhi)],
    )
    assert dated & nhi_creds & live_creds == set(truth["credentials"]["dated"])
    stale = keys(
        con,
        """SELECT credential_key FROM credentials
                         WHERE coalesce(last_rotated_at, created_at) < ?""",
        [end - timedelta(days=90)],
    )
    assert stale & set(truth["credentials"]["dated"]) == set(truth["credentials"]["stale"])
    revoked = keys(con, "SELECT credential_key FROM credentials WHERE revoked_at IS NOT NULL")
    assert revoked == {r["credential_key"] for r in truth["revocations"]}


def test_planted_anomalies_stand_out_in_the_events(enterprise):
    result, _, con = enterprise
    for an in result.truth["anomalies"]:
        day = an["date"]
        if an["kind"] == "off_hours":
            (n,) = q(
                con,
                """SELECT count(*) FROM events WHERE actor_key = ?
                             AND event_time::DATE = ?::DATE AND hour(event_time) BETWEEN 2 AND 3""",
                [an["identity_key"], day],
            )[0]
            assert n >= 20, an
            (before,) = q(
                con,
                """SELECT count(*) FROM events WHERE actor_key = ?
                                  AND event_time::DATE <> ?::DATE
                                  AND (hour(event_time) < 7 OR hour(event_time) >= 19)""",
                [an["identity_key"], day],
            )[0]
            assert before == 0, an
        elif an["kind"] == "new_network":
            nets = q(
                con,
                """SELECT regexp_extract(source_ip, '^(\\d+\\.\\d+\\.\\d+)\\.', 1) AS net,
                                    count(*), count(DISTINCT event_time::DATE)
                             FROM events WHERE actor_key = ? GROUP BY 1 ORDER BY 2""",
                [an["identity_key"]],
            )
            assert len(nets) == 2 and nets[0][1] >= 10 and nets[0][2] == 1, (an, nets)
        else:
            days = q(
                con,
                """SELECT event_time::DATE, count(*) FROM events WHERE actor_key = ?
                             GROUP BY 1""",
                [an["identity_key"]],
            )
            counts = sorted(c for _, c in days)
            spike = dict((str(d), c) for d, c in days)[day]
            assert spike >= 5 * counts[len(counts) // 2], (an, spike, counts)


def test_alerts_and_the_okta_log_gap(enterprise):
    result, _, con = enterprise
    truth = result.truth
    assert q(con, "SELECT count(*) FROM alerts") == [(len(truth["alerts"]),)]
    gap = truth["log_gap"]
    assert gap and gap["hours"] >= 24
    (longest,) = q(
        con,
        """SELECT max(gap) FROM (SELECT event_time - lag(event_time)
                           OVER (ORDER BY event_time) AS gap FROM events
                           WHERE source_format = 'okta_system_log')""",
    )[0]
    assert longest >= timedelta(hours=gap["hours"])
    for source in ("entra_signin", "cloudtrail", "github_audit", "entra_audit"):
        (other,) = q(
            con,
            """SELECT max(gap) FROM (SELECT event_time - lag(event_time)
                             OVER (ORDER BY event_time) AS gap FROM events
                             WHERE source_format = ?)""",
            [source],
        )[0]
        assert other < timedelta(hours=24), source


def test_profiles_plant_what_their_level_needs(tmp_path: Path):
    t1 = generate(tmp_path / "l1", config_for("level1", **SMALL)).truth
    t5 = generate(tmp_path / "l5", config_for("level5", **SMALL)).truth
    assert (t1["maturity"], t5["maturity"]) == (
        {"intended_level": 1, "first_failing_criterion": "D1"},
        {"intended_level": 5, "first_failing_criterion": None},
    )
    assert len(t1["shadow_agents"]) > 0.3 * t1["nhis"]["active"]
    assert t5["shadow_agents"] == [] and t5["shared_credentials"] == []
    assert t5["log_gap"] is None and t5["dormant_nhis"] == []
    assert all(x["revoked_within_7_days"] for x in t5["lifecycle"])
    assert all(
        a["automated"] and a["action_by"] == "automation" for a in t5["alerts"] if a["identity_key"]
    )


def test_synth_cli_writes_exports_and_truth(tmp_path: Path):
    out = tmp_path / "e"
    res = CliRunner().invoke(
        main,
        [
            "synth",
            str(out),
            "--profile",
            "level3",
            "--humans",
            "10",
            "--events",
            "2000",
            "--set",
            "anomalies=3",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "intended level 3" in res.output and "first failing: M2" in res.output
    truth = json.loads((out / "truth.json").read_text())
    assert truth["generator"]["config"]["anomalies"] == 3
    assert (out / "exports" / "agent_inventory.csv").exists()
    bad = CliRunner().invoke(main, ["synth", str(out), "--set", "nonsense=1"])
    assert bad.exit_code == 2 and "unknown synth parameter" in bad.output


def test_bundled_demo_is_what_the_generator_writes(tmp_path: Path):
    from agentaudit.synth import DEMO

    demo = Path(__file__).resolve().parent.parent / "data" / "demo"
    params = dict(DEMO)
    out = generate(tmp_path / "demo", config_for(params.pop("profile"), **params)).out_dir
    mine = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    committed = {p.relative_to(demo): p.read_bytes() for p in demo.rglob("*") if p.is_file()}
    assert mine.keys() == committed.keys()
    assert [k for k in mine if mine[k] != committed[k]] == []
    assert sum(len(b) for b in committed.values()) < 5_000_000  # a few MB at most


def test_cloudtrail_as_an_s3_delivery_tree_holds_the_same_events(tmp_path: Path):
    """`cloudtrail_layout=s3` writes what S3 holds (per region, a file every five minutes,
    under AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/); it loads to the same events."""
    small = dict(seed=3, humans=12, nhi_per_human=2.0, events=3000, days=100)
    monthly = generate(tmp_path / "m", config_for("level3", **small))
    tree = generate(tmp_path / "s", config_for("level3", cloudtrail_layout="s3", **small))
    files = sorted((tmp_path / "s" / "exports" / "aws" / "AWSLogs").rglob("*.json.gz"))
    assert len(files) > 100
    assert all(
        re.fullmatch(
            r"111122223333_CloudTrail_(eu-west-1|us-east-1)_\d{8}T\d{4}Z_[0-9a-f]{16}\.json\.gz",
            f.name,
        )
        and f.parent.parent.parent.parent.name in ("eu-west-1", "us-east-1")
        for f in files
    )
    q = """SELECT event_id, event_time, event_type, actor_key, credential_key, raw::JSON
           FROM events WHERE source_format = 'cloudtrail' ORDER BY event_id, event_time"""
    got = []
    for out in (tmp_path / "m", tmp_path / "s"):
        con = agentaudit.connect()
        agentaudit.ingest([out / "exports"], con)
        got.append(con.execute(q).fetchall())
        con.close()
    assert got[0] == got[1] and len(got[0]) > 500
    assert monthly.truth["nhis"] == tree.truth["nhis"]


def test_siem_layouts_load_to_the_same_events_as_the_vendors_own(tmp_path: Path):
    """`entra_layout=log_analytics` writes Entra logs as Sentinel's tables (PascalCase columns,
    dynamic values as JSON text) and `okta_layout=splunk` Okta's as a Splunk export; both load
    to the events the vendors' own shapes give. Azure Monitor's `callerIpAddress` has no
    AuditLogs column: an app's audit event loses its IP there, and only there."""
    small = dict(seed=3, humans=10, nhi_per_human=2.0, events=3000, days=100)
    generate(tmp_path / "native", config_for("level3", **small))
    siem = dict(entra_layout="log_analytics", okta_layout="splunk")
    generate(tmp_path / "siem", config_for("level3", **siem, **small))
    line = json.loads(
        gzip.decompress(next((tmp_path / "siem").rglob("signin_*")).read_bytes()).splitlines()[0]
    )
    assert {"TimeGenerated", "Type", "IPAddress", "Status"} <= set(line)
    assert isinstance(line["Status"], str)
    query = """SELECT source_format, event_id, event_time, event_type, outcome, actor_key,
                      actor_name, actor_type, credential_key, credential_type, user_agent,
                      CASE WHEN source_format = 'entra_audit' AND actor_type <> 'User'
                           THEN NULL ELSE source_ip END,
                      is_interactive, target_id, app_id, session_name, category
               FROM events ORDER BY ALL"""
    got, containers = [], []
    for out in ("native", "siem"):
        con = agentaudit.connect()
        result = agentaudit.ingest([tmp_path / out / "exports"], con)
        assert all(f.status == "loaded" and not f.rows_rejected for f in result.files)
        containers.append({f.container for f in result.files})
        got.append(q(con, query))
    assert got[0] == got[1] and len(got[0]) > 1000
    assert {"ndjson/log_analytics", "ndjson/splunk"} <= containers[1] - containers[0]


def test_generated_event_ids_are_unique(enterprise):
    _, _, con = enterprise
    assert q(con, "SELECT count(*) - count(DISTINCT (source_format, event_id)) FROM events") == [
        (0,)
    ]
