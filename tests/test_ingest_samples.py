"""The readers on the real public sample exports in ../shared/samples."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import one, rows
from samples import SAMPLES, needs_samples, panther_folder

import agentaudit

pytestmark = needs_samples


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def raw_db(tmp_path_factory: pytest.TempPathFactory):
    """Every raw sample file of a first-wave format, loaded as it is."""
    con = agentaudit.connect(tmp_path_factory.mktemp("raw") / "raw.duckdb")
    result = agentaudit.ingest([SAMPLES / "cloudtrail", SAMPLES / "aws_credential_report"], con)
    yield con, result
    con.close()


@pytest.fixture(scope="module")
def panther_db(tmp_path_factory: pytest.TempPathFactory):
    """The events of the rule-test YAML files, extracted to NDJSON and loaded."""
    tmp = tmp_path_factory.mktemp("panther")
    for folder in ("okta_system_log", "entra_signin", "entra_audit", "github_audit"):
        panther_folder(folder, tmp)
    con = agentaudit.connect()
    result = agentaudit.ingest([tmp], con)
    yield con, result
    con.close()


def test_every_raw_sample_loads_without_rejects(raw_db):
    con, result = raw_db
    assert len(result.files) == 14
    for f in result.files:
        assert f.status == "loaded", f
        assert f.rows_rejected == 0, f
        assert f.rows_read == f.rows_loaded > 0
    assert {f.format for f in result.files} == {"cloudtrail", "aws_credential_report"}
    assert one(con, "SELECT count(*) FROM events")[0] == 138


def test_lookup_events_unwraps_the_cloudtrail_event_string(raw_db):
    con, _ = raw_db
    got = one(
        con,
        """SELECT actor_key, actor_type, credential_id, credential_type, event_time, source_ip,
                  is_interactive
           FROM events WHERE event_id = '0828c0d2-3589-4390-b954-c78b4a7df44b'""",
    )
    assert got == (
        "aws:arn:aws:iam::012345678901:user/fakeusername",
        "IAMUser",
        "0123456789ABCDEFGHIJ",
        "access_key",
        utc(2022, 2, 7, 22, 23, 37),
        "1.2.3.4",
        True,
    )


def test_service_invoked_event_without_identity_type_is_an_aws_service(raw_db):
    con, _ = raw_db
    got = one(
        con,
        "SELECT actor_key, actor_type FROM events WHERE event_type = 'SharedSnapshotVolumeCreated'",
    )
    assert got == ("aws:ec2.amazonaws.com", "AWSService")


def test_assumed_role_sessions_are_keyed_by_their_role(raw_db):
    con, _ = raw_db
    got = rows(
        con,
        """SELECT DISTINCT actor_key, actor_name, session_name, credential_id, credential_type
           FROM events WHERE actor_type = 'AssumedRole' AND event_type = 'GetCallerIdentity'
           ORDER BY 1""",
    )
    assert (
        "aws:arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role",
        "stratus-red-team-ec2-steal-credentials-role",
        "i-786a3A8B5C0d92eF4",
        "ASIAP5CT9NN8EYVU1FXV",
        "session_credentials",
    ) in got


def test_federated_user_is_its_own_identity(raw_db):
    con, _ = raw_db
    got = one(con, "SELECT actor_key, credential_id FROM events WHERE actor_type = 'FederatedUser'")
    assert got == (
        "aws:arn:aws:sts::742491224508:federated-user/stratus_red_team",
        "ASIASTJKC5GCM7ZE6LUP",
    )


def test_created_access_key_is_a_credential_with_its_creation_date(raw_db):
    con, _ = raw_db
    got = one(
        con,
        """SELECT credential_type, identity_key, status, created_at FROM credentials
           WHERE credential_id = 'AKIAL80DWDVKKM0UXEER'""",
    )
    assert got == (
        "access_key",
        "aws:arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user",
        "active",
        utc(2024, 7, 30, 21, 53, 13),
    )


def test_credential_report_users_and_keys(raw_db):
    con, _ = raw_db
    users = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT name, vendor_type, has_password, mfa_active, created_at FROM identities "
            "WHERE 'aws_credential_report' IN source_formats",
        )
    }
    assert users == {
        "<root_account>": ("Root", None, True, utc(2018, 8, 12, 17, 20, 55)),
        "auditor_tmp": ("IAMUser", False, False, utc(2019, 5, 7, 15, 35, 54)),
        "user": ("IAMUser", True, False, utc(2018, 5, 7, 15, 35, 54)),
    }
    keys = rows(
        con,
        """SELECT credential_id, credential_type, status, last_rotated_at, last_used_at
           FROM credentials WHERE identity_key LIKE 'aws:arn:aws:iam::123456789012:%'
           ORDER BY 1""",
    )
    assert keys == [
        (
            "<root_account>#access_key_1",
            "access_key",
            "active",
            utc(2018, 11, 23, 16, 1, 14),
            utc(2018, 11, 27, 0, 2),
        ),
        ("auditor_tmp#access_key_1", "access_key", "active", utc(2019, 5, 7, 15, 35, 55), None),
        ("user#access_key_1", "access_key", "active", utc(2019, 5, 7, 15, 35, 55), None),
        (
            "user#access_key_2",
            "access_key",
            "active",
            utc(2018, 5, 7, 15, 35, 54),
            utc(2018, 5, 7, 15, 35, 54),
        ),
        ("user#password", "password", "active", None, utc(2018, 5, 7, 15, 35, 54)),
    ]


def test_rule_yaml_files_themselves_are_refused_as_unknown(tmp_path: Path):
    yml = SAMPLES / "okta_system_log" / "panther_rule_tests" / "okta_api_key_created.yml"
    result = agentaudit.ingest([yml], tmp_path / "x.duckdb")
    (f,) = result.files
    assert f.status == "refused"
    assert "not a recognised export" in f.message and "Okta System Log" in f.message


def test_panther_events_load_and_rejects_name_the_missing_field(panther_db):
    con, result = panther_db
    for f in result.files:
        assert f.rows_read == f.rows_loaded + f.rows_rejected
    by_file = {Path(f.path).stem: f for f in result.files}
    assert by_file["okta_app_refresh_access_token_reuse"].rows_loaded == 2
    # 17 minimal GitHub events without any timestamp: each is rejected, with the reason.
    supply = by_file["github_supply_chain_suspicious_user_agents"]
    assert (supply.rows_read, supply.rows_loaded, supply.rows_rejected) == (17, 0, 17)
    reasons = rows(con, "SELECT DISTINCT reason FROM rejects WHERE path LIKE '%supply_chain%'")
    assert reasons == [("missing timestamp: expected @timestamp (or created_at)",)]
    assert one(
        con, "SELECT record_no, reason FROM rejects WHERE path LIKE '%repo_initial_access%'"
    ) == (4, "missing actor: expected actor")


def test_okta_public_client_app_and_api_tokens(panther_db):
    con, _ = panther_db
    got = rows(
        con,
        """SELECT DISTINCT actor_key, actor_type, credential_key, credential_type,
                              event_time FROM events WHERE actor_type = 'PublicClientApp'
                       ORDER BY event_time""",
    )
    assert got[0] == (
        "okta:okta.1234.",
        "PublicClientApp",
        "okta:client:okta.1234.",
        "oauth_client",
        utc(2022, 12, 13, 15, 22, 58, 759000),
    )
    token = one(
        con,
        "SELECT credential_type, identity_key, status, created_at, revoked_at "
        "FROM credentials WHERE credential_id = '00Tpki36zlWjhjQ1u2p4'",
    )
    assert token == (
        "api_token",
        "okta:00u3q14ei6KUOm4Xi2p4",
        "revoked",
        utc(2021, 1, 8, 21, 28, 34, 875000),
        utc(2021, 1, 8, 21, 28, 34, 875000),
    )


def test_okta_two_digit_fractions_and_failures(panther_db):
    con, _ = panther_db
    got = rows(
        con,
        """SELECT event_time, outcome, outcome_detail FROM events
                       WHERE event_type = 'user.session.start' AND outcome = 'failure'
                       ORDER BY event_time LIMIT 1""",
    )
    assert got == [(utc(2021, 6, 25, 21, 27, 3, 490000), "failure", "VERIFICATION_ERROR")]


def test_entra_service_principal_sign_in(panther_db):
    con, _ = panther_db
    got = rows(
        con,
        """SELECT DISTINCT actor_key, actor_name, actor_type, is_interactive, outcome,
                              event_time, category
                       FROM events WHERE source_format = 'entra_signin'
                         AND actor_type = 'ServicePrincipal' ORDER BY event_time""",
    )
    assert got[0] == (
        "entra:b1c34143-e405-4058-8e29-84596ad737b8",
        "some-service-principal",
        "ServicePrincipal",
        False,
        "failure",
        utc(2023, 7, 26, 22, 58, 30, 983201),
        "ServicePrincipalSignInLogs",
    )
    users = rows(
        con,
        "SELECT count(*) FROM events WHERE source_format = 'entra_signin' AND actor_type = 'User'",
    )
    assert users[0][0] >= 4


def test_entra_audit_service_principal_credentials_added(panther_db):
    con, _ = panther_db
    got = one(
        con,
        """SELECT actor_key, actor_name, target_id, target_type, event_time
                      FROM events WHERE event_type = 'Add service principal credentials'
                        AND target_id = 'sp-app-456'""",
    )
    assert got == (
        "entra:admin-123",
        "frodo@lotr.com",
        "sp-app-456",
        "ServicePrincipal",
        utc(2025, 1, 15, 9, 30, 20, 123456),
    )
    sp = one(
        con, "SELECT vendor_type, name FROM identities WHERE identity_key = 'entra:sp-app-456'"
    )
    assert sp == ("ServicePrincipal", "Production API Service")
    cred = one(
        con,
        "SELECT credential_type, status, created_at FROM credentials "
        "WHERE identity_key = 'entra:sp-app-456'",
    )
    assert cred == ("client_secret", "active", utc(2025, 1, 15, 9, 30, 20, 123456))


def test_github_bot_with_app_token(panther_db):
    con, _ = panther_db
    got = one(
        con,
        """SELECT actor_key, actor_type, credential_key, credential_type, event_time
                      FROM events WHERE actor_id = 'github-actions[bot]'""",
    )
    assert got == (
        "github:github-actions[bot]",
        "Bot",
        "github:token:1111111111111",
        "github_app_token",
        utc(2025, 10, 15, 18, 45, 47, 48000),
    )
    # created_at as a float of epoch milliseconds (1.621305118553e+12)
    epoch = one(con, "SELECT event_time FROM events WHERE event_type = 'repo.archived'")
    assert epoch == (utc(2021, 5, 18, 2, 31, 58, 553000),)
