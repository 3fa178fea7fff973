"""Rows in, facts out: the vocabulary's facts each reader sets on records written by hand from
the vendors' documented examples (each fixture folder's SOURCE.md names its sources)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentaudit

TESTS = Path(__file__).resolve().parent
SAML = "identity_shapes/aws_saml_federation/cloudtrail.json"
CONSOLE = "identity_shapes/aws_console_user/cloudtrail.json"
GITHUB = "identity_shapes/github_token_creator/audit.ndjson"
ENTRA = "fixtures_issuance/entra/directory_audits.json"
OKTA = "fixtures_issuance/okta/system_log.json"

# (fixture, where the record is, the facts it must carry)
CASES = [
    (
        SAML,
        "event_type = 'AssumeRoleWithSAML' AND target_credential = 'ASIAJORDANSA1EXAMPLE'",
        {
            "class_uid": 3002,
            "activity_id": 3,
            "auth_method": "saml",
            "credential_action": "created",
        },
    ),
    (
        SAML,
        "event_type = 'DescribeInstances'",
        {
            "class_uid": 6003,
            "activity_id": 2,
            "auth_method": "session_credentials",
            "credential_action": None,
        },
    ),
    (
        CONSOLE,
        "event_type = 'ConsoleLogin' AND outcome = 'success'",
        {"class_uid": 3002, "activity_id": 1, "auth_method": "password", "auth_mfa": True},
    ),
    (
        CONSOLE,
        "event_type = 'CreateUser'",
        {"class_uid": 3001, "activity_id": 1, "issued_kind": "user"},
    ),
    (
        GITHUB,
        "event_type = 'user.two_factor_challenge_success'",
        {"class_uid": 3002, "activity_id": 1, "auth_mfa": True, "auth_method": None},
    ),
    (
        GITHUB,
        "event_type = 'personal_access_token.create'",
        {
            "issued_kind": "personal_access_token",
            "issued_for_name": "release-notes",
            "auth_method": None,
            "credential_action": None,
        },
    ),
    (
        GITHUB,
        "event_type = 'oauth_access.create'",
        {
            "class_uid": 3005,
            "activity_id": 1,
            "app_key": "github:oauth_app:4400123",
            "issued_kind": None,
        },
    ),
    (
        GITHUB,
        "event_type = 'git.clone' AND actor_id = 'dana-fox'",
        {"auth_method": "personal_access_token", "credential_action": "used"},
    ),
    (
        ENTRA,
        "event_id = 'Directory_b09d7f35-28ae-4c61-8d4f-3a6c1e95b7d2_TN5CL_66218052'",
        {
            "class_uid": 3005,
            "activity_id": 1,
            "issued_kind": "oauth_grant",
            "consent_type": "admin",
            "consent_scopes": [
                "User.Read",
                "Calendars.Read",
                "OnlineMeetingTranscript.Read.All",
                "offline_access",
            ],
            "issued_for_id": "6a2f8c14-e9d3-4b75-a018-2c7e5b94d3f6",
            "correlation_id": "b09d7f35-28ae-4c61-8d4f-3a6c1e95b7d2",
        },
    ),
    (
        ENTRA,
        "event_id = 'Directory_b09d7f35-28ae-4c61-8d4f-3a6c1e95b7d2_TN5CL_66218047'",
        {
            "issued_kind": "oauth_grant",
            "consent_type": "admin",
            "issued_for_id": "6a2f8c14-e9d3-4b75-a018-2c7e5b94d3f6",
        },
    ),
    (
        ENTRA,
        "event_id = 'Directory_4c7e1b58-a96d-4203-bf37-d85a2e06c19f_WB8FS_94027716'",
        {
            "issued_kind": "credential",
            "credential_action": "created",
            "target_credential": "a93f5c07-1e8b-42d6-b7c4-6f20e8d5a31b",
        },
    ),
    (
        OKTA,
        "event_type = 'system.api_token.create'",
        {"issued_kind": "api_token", "credential_action": "created"},
    ),
    (
        OKTA,
        "event_type = 'app.oauth2.as.consent.grant'",
        {"class_uid": 3005, "activity_id": 1, "issued_kind": "oauth_grant", "consent_type": "user"},
    ),
]


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    con = agentaudit.connect(str(tmp_path_factory.mktemp("facts") / "facts.duckdb"))
    files = sorted({c[0] for c in CASES}) + ["fixtures_facts/auth0/tenant_logs.json"]
    agentaudit.ingest([TESTS / f for f in files], con)
    return con


@pytest.mark.parametrize("fixture, where, facts", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_a_reader_turns_a_documented_record_into_its_facts(events, fixture, where, facts):
    cols = ", ".join(facts)
    rows = events.execute(
        f"""SELECT {cols} FROM events e JOIN files f USING (file_id)
            WHERE f.path LIKE '%' || ? AND {where}""",
        [fixture],
    ).fetchall()
    assert rows, f"no record of {fixture} where {where}"
    for row in rows:
        assert dict(zip(facts, row, strict=True)) == facts


def test_auth0_log_codes_give_the_documented_facts(events):
    folder = TESTS / "fixtures_facts" / "auth0"
    want = json.loads((folder / "expected.json").read_text())["tenant_logs.json"]
    cols = [k for k in want[0] if k != "event_id"]
    got = events.execute(
        f"SELECT event_id, {', '.join(cols)} FROM events WHERE platform = 'auth0' ORDER BY event_id"
    ).fetchall()
    assert [dict(zip(["event_id", *cols], r, strict=True)) for r in got] == want
