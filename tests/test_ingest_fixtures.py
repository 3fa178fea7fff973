"""The readers on small hand-written files in the exact vendor shapes the samples lack."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import FIXTURES, one, rows

import agentaudit


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_fixture_is_detected_as_its_format(fixtures_db):
    got = dict(rows(fixtures_db, "SELECT regexp_extract(path, '[^/]+$'), format FROM files"))
    assert got == {
        "agent_inventory.csv": "agent_inventory",
        "alerts.csv": "alerts",
        "aws_credential_report.csv": "aws_credential_report",
        "aws_credential_report_base64.json": "aws_credential_report",
        "cloudtrail_records.json.gz": "cloudtrail",
        "entra_graph_signins.json": "entra_signin",
        "github_audit.csv": "github_audit",
        "github_audit.ndjson": "github_audit",
        "hr_roster.csv": "hr_roster",
        "okta_system_log.ndjson": "okta_system_log",
    }
    assert one(fixtures_db, "SELECT count(*) FROM rejects") == (0,)


def test_okta_api_token_use_and_offset_timestamps(fixtures_db):
    got = one(
        fixtures_db,
        """SELECT actor_key, credential_key, credential_type, event_time,
                                      user_agent, is_interactive
                               FROM events WHERE event_type = 'user.lifecycle.deactivate'""",
    )
    assert got == (
        "okta:00u9svcsync00000001",
        "okta:00T94e3cn9kSEO3c51s5",
        "api_token",
        utc(2026, 3, 2, 13, 7, 45),
        "okta-sdk-python/2.9.2 python/3.11.7 Linux/6.1",
        False,
    )
    created = one(
        fixtures_db,
        "SELECT status, created_at, identity_key FROM credentials "
        "WHERE credential_id = '00Tnewtoken000000001'",
    )
    assert created == ("active", utc(2026, 3, 2, 16, 20), "okta:00u1a2b3c4d5e6f7g8h9")
    app = one(
        fixtures_db,
        "SELECT actor_type, app_id, app_name FROM events WHERE actor_id = '0oa5agentclient0001'",
    )
    assert app == ("PublicClientApp", "0oa5agentclient0001", "Ticket Triage Agent")


def test_entra_graph_sign_in_categories(fixtures_db):
    got = rows(
        fixtures_db,
        """SELECT category, actor_type, actor_key, credential_id,
                                      credential_type, outcome, event_time
                               FROM events WHERE source_format = 'entra_signin'
                               ORDER BY event_time""",
    )
    assert got == [
        (
            "SignInLogs",
            "User",
            "entra:d3f1a2b4-1111-4c2e-9b7a-0e5c3a1f2d01",
            None,
            None,
            "success",
            utc(2026, 3, 3, 8, 15, 4),
        ),
        (
            "ServicePrincipalSignInLogs",
            "ServicePrincipal",
            "entra:9a8b7c6d-3333-4e5f-8a9b-0c1d2e3f4a5b",
            "5c6d7e8f-4444-4a1b-9c2d-3e4f5a6b7c8d",
            "client_secret",
            "success",
            utc(2026, 3, 3, 8, 16, 0, 123456),
        ),
        (
            "ManagedIdentitySignInLogs",
            "ManagedIdentity",
            "entra:7e8f9a0b-6666-4c7d-8e9f-0a1b2c3d4e5f",
            None,
            "managed_identity",
            "success",
            utc(2026, 3, 3, 9, 0),
        ),
        (
            "ServicePrincipalSignInLogs",
            "ServicePrincipal",
            "entra:9a8b7c6d-3333-4e5f-8a9b-0c1d2e3f4a5b",
            "5c6d7e8f-4444-4a1b-9c2d-3e4f5a6b7c8d",
            "client_secret",
            "failure",
            utc(2026, 3, 3, 9, 30),
        ),
    ]


def test_github_export_json_and_csv(fixtures_db):
    got = rows(
        fixtures_db,
        """SELECT actor_key, actor_type, credential_key, credential_type,
                                      event_time FROM events WHERE platform = 'github'
                               ORDER BY event_time""",
    )
    assert got == [
        (
            "github:deploy-bot[bot]",
            "Bot",
            "github:token:881122",
            "github_app_token",
            utc(2026, 3, 3, 14, 20),
        ),
        ("github:dana-ng", "User", None, None, utc(2026, 3, 3, 15, 20, 0, 123000)),
        (
            "github:dana-ng",
            "User",
            "github:token:990011",
            "personal_access_token",
            utc(2026, 3, 3, 16, 20),
        ),
        (
            "github:github-actions[bot]",
            "Bot",
            "github:token:445566",
            "github_app_token",
            utc(2026, 3, 3, 17, 20),
        ),
        (
            "github:ci-runner-svc",
            "User",
            "github:token:778899",
            "oauth_token",
            utc(2026, 3, 3, 18, 20),
        ),
    ]


def test_credential_report_csv_and_base64_json_agree(fixtures_db):
    got = rows(
        fixtures_db,
        """SELECT credential_id, status, last_rotated_at, last_used_at,
                                      list_sort(file_ids)
                               FROM credentials WHERE platform = 'aws' AND credential_id LIKE
                               '%#%' ORDER BY 1""",
    )
    ids = [r[0] for r in got]
    assert ids == ["ana.lopez#password", "ci-deployer#access_key_1", "ci-deployer#access_key_2"]
    key1 = got[1]
    assert key1[1:4] == ("active", utc(2022, 6, 1, 12, 5), utc(2026, 3, 1, 3, 14))
    assert len(key1[4]) == 2  # both files evidence the same key
    # no_information means "no value", never a timestamp
    assert got[2][3] is None
    ci = one(
        fixtures_db,
        "SELECT has_password, event_count FROM identities WHERE "
        "identity_key = 'aws:arn:aws:iam::111122223333:user/ci-deployer'",
    )
    assert ci == (False, 2)


def test_cloudtrail_gz_secrets_are_masked_and_key_ids_kept(fixtures_db):
    raw = one(
        fixtures_db, "SELECT raw::VARCHAR FROM events WHERE event_type = 'GetFederationToken'"
    )[0]
    assert "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" not in raw
    assert "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENVALUE1234" not in raw
    # The record is kept as written in the file (spacing included), secrets masked.
    assert json.loads(raw)["responseElements"]["credentials"]["secretAccessKey"] == "****EKEY"
    assert "ASIAEXAMPLEFEDERATE1" in raw and "AKIAEXAMPLECIDEPLOY1" in raw
    deleted = one(
        fixtures_db,
        "SELECT status, revoked_at, identity_key FROM credentials "
        "WHERE credential_id = 'AKIAEXAMPLEOLDBATCH1'",
    )
    assert deleted == (
        "revoked",
        utc(2026, 3, 3, 10, 6),
        "aws:arn:aws:iam::111122223333:user/old-batch",
    )
    agent = one(
        fixtures_db,
        "SELECT actor_key, session_name, user_agent FROM events WHERE event_type = 'InvokeModel'",
    )
    assert agent[0] == "aws:arn:aws:iam::111122223333:role/bedrock-agent-role"
    assert agent[1] == "agent-session-42" and "strands-agents" in agent[2]


def test_client_csvs(fixtures_db):
    assert rows(
        fixtures_db, "SELECT email, status, termination_date FROM roster ORDER BY employee_id"
    ) == [
        ("dana.ng@example.com", "active", None),
        ("ana.lopez@example.com", "terminated", datetime(2026, 1, 31).date()),
        ("sam.okafor@example.com", "leave", None),
    ]
    inv = one(
        fixtures_db,
        "SELECT kind, platform_id, credential_ids, privileges, owner_email, "
        "sanctioned, purpose FROM inventory WHERE agent_id = 'AG-001'",
    )
    assert inv == (
        "ai_agent",
        "0oa5agentclient0001",
        ["0oa5agentclient0001"],
        ["okta.users.read", "okta.groups.read"],
        "dana.ng@example.com",
        True,
        "Triage inbound tickets, summarise, route",
    )
    assert rows(
        fixtures_db,
        "SELECT alert_id, automated, action, action_at, created_at FROM alerts ORDER BY 1",
    ) == [
        ("AL-1", True, "revoked", utc(2026, 3, 3, 10, 12, 30), utc(2026, 3, 3, 10, 10)),
        ("AL-2", False, "none", None, utc(2026, 3, 4, 8, 0)),
    ]


def test_column_mapping_loads_a_clients_own_headers(con, tmp_path):
    roster = tmp_path / "people.csv"
    roster.write_text(
        "Emp #,Work Email,Name,Employment Status\n7,Kim@Example.com,Kim,Active\n", encoding="utf-8"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "hr_roster:\n  employee_id: 'Emp #'\n  email: Work Email\n"
        "  display_name: Name\n  status: Employment Status\n",
        encoding="utf-8",
    )
    result = agentaudit.ingest([roster], con, mapping=mapping)
    assert result.files[0].format == "hr_roster" and result.files[0].rows_loaded == 1
    assert rows(con, "SELECT employee_id, email, status FROM roster") == [
        ("7", "kim@example.com", "active")
    ]


def test_every_identity_and_credential_names_its_files(fixtures_db):
    assert one(
        fixtures_db, "SELECT count(*) FROM identities WHERE len(file_ids) = 0 OR file_ids IS NULL"
    ) == (0,)
    assert one(
        fixtures_db, "SELECT count(*) FROM credentials WHERE len(file_ids) = 0 OR file_ids IS NULL"
    ) == (0,)
    dangling = one(
        fixtures_db,
        """SELECT count(*) FROM (SELECT unnest(file_ids) AS f
                                   FROM identities) WHERE f NOT IN (SELECT file_id FROM files)""",
    )
    assert dangling == (0,)


def test_fixture_folder_is_what_the_tests_expect():
    assert len(list(FIXTURES.iterdir())) == 10
