"""The assessment engine: planted truth found exactly for every maturity profile, metric data
cases, the real samples, the policy file and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from samples import SAMPLES, needs_samples, panther_folder

import agentaudit
from agentaudit.assess import assess, records
from agentaudit.assess.views import catalogue
from agentaudit.cli import main
from agentaudit.errors import InputError
from agentaudit.synth import config_for, generate

SMALL = dict(humans=30, nhi_per_human=3.0, events=12_000)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=["level1", "level2", "level3", "level4", "level5"])
def profile(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    truth = generate(out, config_for(request.param, seed=5, **SMALL)).truth
    con = agentaudit.connect()
    agentaudit.ingest([out / "exports"], con)
    result = assess(con)
    yield truth, result, con
    con.close()


def keys(df, column: str = "identity_key") -> set[str]:
    return set(df[column])


def test_engine_lands_on_the_planted_level_and_first_failing_criterion(profile):
    truth, result, _ = profile
    assert result.level == truth["maturity"]["intended_level"]
    assert result.first_failing_criterion == truth["maturity"]["first_failing_criterion"]


def test_classification_finds_every_nhi_and_ai_agent(profile):
    truth, result, _ = profile
    nhis = result.tables["nhis"]
    assert keys(nhis) == set(truth["nhis"]["identities"])
    assert keys(nhis[nhis.is_ai_agent]) == set(truth["nhis"]["ai_agents"])
    humans = result.tables["classified_identities"]
    humans = humans[humans["class"] == "human"]
    assert keys(humans) - {"aws:arn:aws:iam::111122223333:root"} == set(
        k
        for k in truth["humans"]["identities"]
        if k in keys(result.tables["classified_identities"])
    )
    assert nhis.classification_rule.notna().all()
    ci = result.tables["classified_identities"]
    assert keys(ci[ci["class"] == "external_human"]) == set(truth["external_humans"]["identities"])
    assert (ci["class"] != "unresolved").all(), ci[ci["class"] == "unresolved"]
    o = result.overall()
    assert (o["nhis"], o["humans"]) == (truth["nhis"]["active"], truth["humans"]["roster_active"])
    assert round(o["ratio"], 4) == truth["nhi_to_human_ratio"]


def test_every_generated_consent_is_in_the_ledger_with_its_channel_and_ai_apps_are_named(
    profile,
):
    """The discovery audit on a generated enterprise: each consent flow the truth lists is one
    grant in the ledger (its permission grant folded in), with the consenting person, the
    channel and the scopes; the AI apps among them, and only those, are `ai_app_grants`."""
    truth, result, _ = profile
    ledger = result.tables["credential_issuance"]
    grants = ledger[(ledger.source_format == "entra_audit") & (ledger.created == "oauth_grant")]
    got = sorted(
        (
            r.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            r.for_name,
            r.issuer_name,
            r.channel,
            r.consent_type,
            list(r.scopes),
        )
        for r in grants.itertuples()
    )
    want = sorted(
        (c["granted_at"], c["app"], c["granted_by"], c["channel"], c["consent_type"], c["scopes"])
        for c in truth["consents"]
    )
    assert got == want
    # each app is used: the consenting person signs in to it (its appId in the sign-in log)
    assert grants.first_used_at.notna().all()
    created = ledger[ledger.created == "service_principal"]
    assert sorted(created.for_name) == sorted(
        c["app"] for c in truth["consents"] if c["created_service_principal"]
    )
    ai = result.to_dict()["ai_app_grants"]
    assert sorted((g["app"], g["granted_by"], g["consent_type"]) for g in ai) == sorted(
        (c["app"], c["granted_by"], c["consent_type"]) for c in truth["consents"] if c["ai"]
    )
    self_service = [c for c in truth["consents"] if c["channel"] == "self_service"]
    assert (truth["generator"]["config"]["user_consents"] == 0) == (not self_service)


def test_platform_agents_are_known_from_the_platform_under_their_blueprint(profile):
    """The generated Entra Agent ID agents: AI agents known from the platform, grouped under the
    blueprint (its principal not an agent of its own), with their sponsors; the registry-only
    agent is not shadow; every delegation chain the truth plants is found, leavers marked."""
    truth, result, _ = profile
    want = truth["platform_agents"]
    agents = {g["identity_key"]: g for g in result.to_dict()["ai_agents"]}
    native = {k for k, g in agents.items() if g["known_from"] == "platform"}
    assert native == set(want["agents"])
    for key in want["agents"]:
        assert agents[key]["parent"] == want["parents"][key]
        assert agents[key]["sponsor"] == want["sponsors"].get(key, agents[key]["sponsor"])
    assert want["blueprint"] not in agents
    status = {
        r["identity_key"]: r["status"] for r in records(result.tables["agent_reconciliation"])
    }
    for key in want["registry_only"]:
        assert status[key] == "registry only"
        assert key not in set(result.tables["shadow_agents"]["identity_key"])
    chains = {
        (d["agent"], d["person"], not d["person_active"])
        for d in result.to_dict()["agent_delegations"]
    }
    assert chains == {tuple(c) for c in want["delegations"]}
    m = result.metrics["metric_native_agents"]
    assert m["platform"] == len(want["agents"])
    leavers = {c[0] for c in want["delegations"] if c[2]}
    assert m["acting_for_leavers"] == len(leavers)
    found = {f.check.id: set(f.rows.identity_key) for f in result.findings}
    assert found.get("NHI-AGENT-FOR-LEAVER", set()) == leavers


@pytest.mark.parametrize("name", ["level1", "level5"])
def test_classification_holds_without_the_roster_and_the_credential_report(name, tmp_path):
    """People are people by how they sign in, not by matching an e-mail: without the HR
    roster and the IAM credential report, every identity still gets its true class."""
    out = tmp_path / name
    truth = generate(
        out, config_for(name, seed=5, credential_report=False, github_saml=False, **SMALL)
    ).truth
    exports = out / "exports"
    (exports / "hr_roster.csv").unlink()
    con = agentaudit.connect()
    agentaudit.ingest([exports], con)
    ci = assess(con).tables["classified_identities"]
    cls = dict(zip(ci.identity_key, ci["class"], strict=True))
    ci = ci[ci.seen_in_exports]  # inventory rows never seen keep the inventory's own key
    seen = set(ci.identity_key)
    assert keys(ci[ci["class"] == "nhi"]) == set(truth["nhis"]["identities"]) & seen
    people = set(truth["humans"]["identities"]) & seen
    assert {k for k in people if cls[k] != "human"} == set()
    assert {
        k for k in truth["external_humans"]["identities"] if cls[k] != "external_human"
    } == set()
    con.close()


def test_exact_sets_of_planted_findings(profile):
    truth, result, _ = profile
    t = result.tables
    assert keys(t["shadow_agents"]) == set(truth["shadow_agents"])
    assert keys(t["orphaned_nhis"]) == {o["identity_key"] for o in truth["orphaned_nhis"]}
    assert keys(t["dormant_nhis"]) == set(truth["dormant_nhis"])
    shared = {r.credential_key: sorted(r.reasons) for r in t["shared_credentials"].itertuples()}
    assert shared == {s["credential_key"]: s["reasons"] for s in truth["shared_credentials"]}
    ages = t["credential_ages"]
    assert keys(ages, "credential_key") == set(truth["credentials"]["dated"])
    assert keys(ages[ages.stale], "credential_key") == set(truth["credentials"]["stale"])
    active = set(truth["nhis"]["identities"]) - set(truth["nhis"]["decommissioned"])
    assert keys(t["privileged_nhis"]) == set(truth["privileged_nhis"]) & active
    found = {
        (r.identity_key, r.kind, r.day.strftime("%Y-%m-%d")) for r in t["anomalies"].itertuples()
    }
    assert found == {(a["identity_key"], a["kind"], a["date"]) for a in truth["anomalies"]}
    life = {
        (r.identity_key, bool(r.all_revoked_in_time))
        for r in t["lifecycle_revocations"].itertuples()
    }
    assert life == {(x["identity_key"], x["revoked_within_7_days"]) for x in truth["lifecycle"]}


def test_alerts_and_revocations_match_the_alerts_export(profile):
    truth, result, _ = profile
    alerts = result.tables["nhi_alerts"]
    planted = [a for a in truth["alerts"] if a["identity_key"]]
    assert set(alerts.alert_id) == {a["alert_id"] for a in planted}
    assert dict(zip(alerts.alert_id, alerts.identity_key, strict=True)) == {
        a["alert_id"]: a["identity_key"] for a in planted
    }


def test_every_finding_names_its_evidence(profile):
    _, result, _ = profile
    for f in result.findings:
        assert {"identity_key", "credential_key", "evidence"} <= set(f.rows.columns)
        assert f.rows.evidence.notna().all(), f.check.id


def test_json_contract_and_masking(profile):
    truth, result, _ = profile
    d = json.loads(json.dumps(result.to_dict(), default=str))
    for key in (
        "level",
        "first_failing_criterion",
        "criteria",
        "nhi_count",
        "human_count",
        "nhi_to_human_ratio",
        "shared_credentials",
        "shadow_agents",
        "orphaned_nhis",
        "dormant_nhis",
        "findings",
        "window",
        "data_gaps",
    ):
        assert key in d, key
    assert set(d["criteria"]) == {
        "D1",
        "D2",
        "D3",
        "G1",
        "G2",
        "G3",
        "M1",
        "M2",
        "M3",
        "F1",
        "F2",
        "F3",
    }
    for c in d["criteria"].values():
        assert c["status"] in ("pass", "fail", "not_evidenced") and c["threshold"]
    raw_ids = {s["credential_key"].rsplit(":", 1)[-1] for s in truth["shared_credentials"]}
    text = json.dumps(d["shared_credentials"])
    assert not any(i in text for i in raw_ids if len(i) > 4)
    assert all(
        s["credential_id"].split(":")[-1].startswith("****") for s in d["shared_credentials"]
    )


def test_views_are_queryable_with_plain_duckdb(tmp_path):
    out = tmp_path / "e"
    generate(out, config_for("level2", seed=9, humans=12, nhi_per_human=2.0, events=3000))
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([out / "exports"], db)
    assess(db)
    con = duckdb.connect(str(db), read_only=True)  # no agentaudit macros, no session settings
    for doc in catalogue():
        con.sql(f"SELECT count(*) FROM {doc.name}").fetchall()
    assert con.sql("SELECT count(*) FROM shadow_agents").fetchall()[0][0] > 0
    con.close()


def test_a_read_only_assessment_reuses_the_stored_tables_while_their_inputs_are_unchanged(
    tmp_path,
):
    out = tmp_path / "e"
    generate(out, config_for("level2", seed=9, humans=12, nhi_per_human=2.0, events=3000))
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([out / "exports" / "okta"], db)
    stored = assess(db)
    materialized = sorted(d.name for d in catalogue() if d.materialized)

    def recomputed(con) -> list[str]:
        return sorted(
            r[0]
            for r in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE temporary "
                "AND table_name IN (SELECT unnest($t))",
                params={"t": materialized},
            ).fetchall()
        )

    con = agentaudit.connect(db, read_only=True)
    again = assess(con, persist=False)
    assert recomputed(con) == []  # the stored tables were used
    same, before = again.to_dict(), stored.to_dict()
    same.pop("generated_at"), before.pop("generated_at")  # wall clock: may tick between the two
    assert same == before
    assess(con, persist=False, dormant_days=7)  # another policy: computed afresh
    assert recomputed(con) == materialized
    con.close()
    agentaudit.ingest([out / "exports" / "github"], db)  # new data: the stored tables are stale
    con = agentaudit.connect(db, read_only=True)
    assess(con, persist=False)
    assert recomputed(con) == materialized
    con.close()


def test_assessing_again_keeps_the_stored_tables_while_their_inputs_are_unchanged(tmp_path):
    """`report --db` after `assess` (both storing the views) does not recompute the heavy
    tables; new data or another policy does. A marker row added to a stored table shows
    which: it survives a reuse and vanishes when the table is computed afresh."""
    out = tmp_path / "e"
    generate(out, config_for("level2", seed=9, humans=12, nhi_per_human=2.0, events=3000))
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([out / "exports" / "okta"], db)

    def rows() -> int:
        con = agentaudit.connect(db, read_only=True)
        n = con.sql("SELECT count(*) FROM classified_identities").fetchall()[0][0]
        con.close()
        return n

    first = assess(db).to_dict()
    computed = rows()
    con = agentaudit.connect(db)
    con.execute("INSERT INTO classified_identities SELECT * FROM classified_identities LIMIT 1")
    con.close()
    assess(db)
    assert rows() == computed + 1  # kept: the marker row is still there
    assess(db, dormant_days=7)  # another policy: computed afresh
    assert rows() == computed
    second = assess(db).to_dict()
    first.pop("generated_at"), second.pop("generated_at")
    assert first == second


def test_every_view_is_documented():
    text = (REPO / "docs" / "assessment-views.md").read_text()
    for doc in catalogue():
        assert f"`{doc.name}`" in text, doc.name
        assert doc.measures and doc.unit and doc.feeds, doc.name


# --- metric data cases: small inputs, expected outputs ------------------------------------

ROSTER = (
    "employee_id,email,display_name,department,status,hire_date,termination_date,"
    "manager_email\nE1,ana@x.com,Ana,Eng,active,2020-01-01,,\n"
    "E2,bo@x.com,Bo,Eng,terminated,2020-01-01,2026-03-02,\n"
)
INVENTORY_HEADER = (
    "agent_id,name,kind,platform,platform_id,credential_ids,owner_email,"
    "sanctioned,privileges,created_at,last_reviewed_at,decommissioned_at,"
    "purpose\n"
)


def okta(
    i: int,
    actor: str,
    kind: str = "PublicClientApp",
    ua: str = "python-requests/2.32",
    ip: str = "10.0.0.5",
    token: str | None = None,
    browser: str = "UNKNOWN",
    day: int = 2,
    hour: int = 10,
) -> str:
    rec = {
        "uuid": f"u{i}",
        "published": f"2026-03-{day:02d}T{hour:02d}:00:{i % 60:02d}Z",
        "eventType": "app.oauth2.as.token.grant.access_token",
        "actor": {"id": actor, "type": kind, "alternateId": actor, "displayName": actor},
        "client": {"userAgent": {"rawUserAgent": ua, "browser": browser}, "ipAddress": ip},
        "outcome": {"result": "SUCCESS"},
        "target": [],
        "transaction": {"detail": {"requestApiTokenId": token} if token else {}},
    }
    return json.dumps(rec)


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


CASES = {
    "no inventory: D1-D3 and G3 not evidenced": (
        {"okta.ndjson": okta(1, "0oaA") + "\n" + okta(2, "0oaB") + "\n"},
        lambda a: (
            [a.criterion(c).status for c in ("D1", "D2", "D3", "G3")] == ["not_evidenced"] * 4
            and a.level == 1
            and a.first_failing_criterion == "D1"
        ),
    ),
    "no roster: humans come from the identity provider": (
        {
            "okta.ndjson": "\n".join(
                [
                    okta(1, "0oaA"),
                    okta(2, "00uP", "User", "Mozilla/5.0", browser="CHROME"),
                    okta(3, "00uQ", "User", "Mozilla/5.0", browser="CHROME"),
                ]
            )
        },
        lambda a: (
            a.overall()["humans"] == 2
            and a.overall()["nhis"] == 1
            and a.overall()["humans_from"] == "identity providers"
            and a.overall()["ratio"] == 0.5
        ),
    ),
    "zero humans: the ratio is undefined, not a crash": (
        {"okta.ndjson": okta(1, "0oaA") + "\n"},
        lambda a: (
            a.overall()["humans"] == 0
            and a.overall()["ratio"] is None
            and a.to_dict()["nhi_to_human_ratio"] is None
        ),
    ),
    "an empty window: only client files, nothing crashes": (
        {"hr_roster.csv": ROSTER},
        lambda a: (
            a.overall()["nhis"] == 0
            and a.criterion("M1").status == "not_evidenced"
            and a.window["start"] is None
        ),
    ),
    "a credential with no dates is a data gap, not a failure": (
        {
            "okta.ndjson": okta(1, "00uS", "User", token="00Tabc") + "\n",
            "hr_roster.csv": ROSTER,
            "agent_inventory.csv": INVENTORY_HEADER
            + "A1,svc,service_account,okta,00uS,00Tabc,ana@x.com,true,read,,2026-01-01,,\n",
        },
        lambda a: (
            a.criterion("G2").status == "not_evidenced"
            and any("carry no creation or rotation date" in g for g in a.data_gaps)
        ),
    ),
    "one token under two principals is shared": (
        {
            "okta.ndjson": okta(1, "00uS", "User", token="00Tx")
            + "\n"
            + okta(2, "00uT", "User", token="00Tx")
            + "\n"
        },
        lambda a: list(a.tables["shared_credentials"].reasons.iloc[0]) == ["multiple_principals"],
    ),
    "a person at a browser as the NHI whose token a workload uses": (
        {
            "okta.ndjson": okta(1, "00uS", "User", token="00Ty")
            + "\n"
            + okta(2, "00uS", "User", "Mozilla/5.0", browser="CHROME")
            + "\n",
            "hr_roster.csv": ROSTER,
        },
        lambda a: (
            list(a.tables["shared_credentials"].reasons.iloc[0]) == ["human_and_workload"]
            and list(a.tables["nhi_human_use"].identity_key) == ["okta:00uS"]
        ),
    ),
    "three workloads on one key is shared; two is not": (
        {
            "okta.ndjson": "\n".join(
                [
                    okta(1, "0oaW", ua="a/1", ip="10.1.1.1"),
                    okta(2, "0oaW", ua="b/1", ip="10.2.1.1"),
                    okta(3, "0oaW", ua="c/1", ip="10.3.1.1"),
                    okta(4, "0oaV", ua="a/1", ip="10.1.1.1"),
                    okta(5, "0oaV", ua="b/1", ip="10.2.1.1"),
                ]
            )
            + "\n"
        },
        lambda a: set(a.tables["shared_credentials"].credential_key) == {"okta:client:0oaW"},
    ),
    "an owner who left makes the NHI orphaned": (
        {
            "okta.ndjson": okta(1, "0oaA") + "\n",
            "hr_roster.csv": ROSTER,
            "agent_inventory.csv": INVENTORY_HEADER
            + "A1,app,oauth_app,okta,0oaA,0oaA,bo@x.com,true,okta.*,,2026-01-01,,\n",
        },
        lambda a: (
            list(a.tables["orphaned_nhis"].why) == ["owner status terminated"]
            and list(a.tables["privileged_nhis"].identity_key) == ["okta:0oaA"]
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_metric_data_cases(case: str, tmp_path: Path):
    files, expect = CASES[case]
    con = agentaudit.connect()
    agentaudit.ingest([write(tmp_path / "in", files)], con)
    result = assess(con)
    assert expect(result), (case, result.to_dict())


def test_policy_file_overrides_thresholds_and_refuses_unknown_keys(tmp_path: Path):
    files, _ = CASES["no roster: humans come from the identity provider"]
    con = agentaudit.connect()
    agentaudit.ingest([write(tmp_path / "in", files)], con)
    policy = tmp_path / "policy.yaml"
    policy.write_text("dormant_days: 30\nshared_workload_threshold: 2\n")
    result = assess(con, policy=policy)
    assert result.policy["dormant_days"] == 30
    assert result.criterion("D1").threshold == {"min": 0.8}
    policy.write_text("dormant_dayz: 30\n")
    with pytest.raises(InputError, match="unknown policy key"):
        assess(con, policy=policy)


def test_assess_cli_json(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    agentaudit.ingest([FIXTURES], db)
    res = CliRunner().invoke(main, ["assess", "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["level"] >= 1 and "criteria" in d
    table = CliRunner().invoke(main, ["assess", "--db", str(db)])
    assert table.exit_code == 0 and "Maturity level" in table.output


# --- the real samples ----------------------------------------------------------------------


@needs_samples
def test_real_samples_classification(tmp_path: Path):
    for folder in ("okta_system_log", "github_audit"):
        panther_folder(folder, tmp_path)
    con = agentaudit.connect()
    agentaudit.ingest([SAMPLES / "cloudtrail", SAMPLES / "aws_credential_report", tmp_path], con)
    result = assess(con)
    ident = result.tables["classified_identities"].set_index("identity_key")
    assert ident.loc["aws:arn:aws:iam::123456789012:user/auditor_tmp", "class"] == "nhi"
    assert (
        ident.loc["aws:arn:aws:iam::123456789012:user/auditor_tmp", "classification_rule"]
        == "IAM user with no console password (credential report)"
    )
    roles = ident[ident.vendor_type == "AssumedRole"]
    assert len(roles) >= 4 and (roles["class"] == "nhi").all()
    assert ident.loc["okta:okta.1234.", "class"] == "nhi"
    assert ident.loc["okta:okta.1234.", "classification_rule"] == "Okta actor type PublicClientApp"
    bots = ident[ident.index.str.endswith("[bot]")]
    assert len(bots) >= 2 and (bots["class"] == "nhi").all()
    bedrock = ident.loc["aws:arn:aws:iam::494659789341:role/test-role"]
    assert bedrock.is_ai_agent and bedrock.ai_rule == "calls Amazon Bedrock"
