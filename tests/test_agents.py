"""Agents as the identity platforms name them: Entra Agent ID, Okta for AI Agents, Auth0 agents
and Bedrock AgentCore, checked against exports hand-written from the vendors' documentation
(tests/fixtures_agents/<platform>/SOURCE.md names every page and what is assumed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentaudit
from agentaudit.assess import assess, records

AGENTS = Path(__file__).resolve().parent / "fixtures_agents"

# Records a reader does not take a marker from, and why (each is explained in SOURCE.md).
NOT_READ = {
    "resource.owner.update": "that Okta writes it for AI agents is assumed, not documented",
    "GetResourceOauth2Token": "the token naming the agent and the user is redacted",
}


def _expected(platform: str) -> dict[str, list[dict]]:
    spec = json.loads((AGENTS / platform / "expected.json").read_text())
    if isinstance(spec, list):
        return {"cloudtrail.json": spec}
    return {k: (v["records"] if isinstance(v, dict) else v) for k, v in spec.items()}


@pytest.fixture(scope="module")
def assessed():
    con = agentaudit.connect()
    data = sorted(p for p in AGENTS.rglob("*.json") if p.name != "expected.json")
    result = agentaudit.ingest(data, con)
    assert all(f.status == "loaded" and not f.rows_rejected for f in result.files), result.files
    a = assess(con, persist=False)
    yield con, a
    con.close()


def _identities(a) -> dict[str, dict]:
    return {r["identity_key"]: r for r in records(a.tables["classified_identities"])}


def _event(con, event_id: str) -> dict:
    cols = ["agent_id", "agent_type", "agent_parent_id", "on_behalf_of", "actor_key"]
    rows = con.execute(
        f"SELECT {', '.join(cols)} FROM events WHERE event_id = ?", [event_id]
    ).fetchall()
    assert rows, event_id
    return dict(zip(cols, rows[0], strict=True))


def test_entra_agent_identities_group_under_their_blueprint_with_their_sponsor(assessed):
    """Agent identities are AI agents known from the platform, under the blueprint their
    sign-ins and registry rows name (by appId); the blueprint (application and principal) and
    an agent's own user account are part of an agent, not agents of their own; a non-agentic
    service principal stays a plain NHI."""
    con, a = assessed
    ids = _identities(a)
    registry = {
        r[0]: r[1]
        for r in con.sql(
            "SELECT app_id, native_id FROM agent_registry WHERE kind = 'blueprint_principal'"
        ).fetchall()
    }
    seen = set()
    for rows in _expected("entra").values():
        for want in rows:
            key = f"entra:{want['identity_id']}"
            if key in seen:
                continue
            seen.add(key)
            got = ids[key]
            if not want["is_agent"]:  # a person, or an ordinary service principal
                assert got["agent_role"] is None and not got["is_ai_agent"], key
                continue
            assert got["class"] == "nhi", key
            instance = want["agent_subject_type"] == "agenticAppInstance"
            assert got["is_ai_agent"] == instance, (key, got["agent_role"])
            assert got["agent_role"] is not None, key
            if instance:
                assert got["known_from"] == "platform"
                assert got["agent_parent"] == f"entra:{registry[want['parent']]}", key
            if want["sponsor"] and got["agent_role"] != "blueprint":
                assert got["sponsor"] == want["sponsor"], key
    agents = {g["identity_key"] for g in a.to_dict()["ai_agents"] if g["platform"] == "entra"}
    assert ids["entra:d2735ea8-91a0-42ef-b4c6-708192a3b4c5"]["class"] == "nhi"  # not agentic
    assert agents == {
        f"entra:{w['identity_id']}" for w in _expected("entra")["registry_agent_identities.json"]
    }


def test_entra_sign_in_markers_read_alike_from_graph_and_sentinel(assessed):
    con, _ = assessed
    for name in ("signins_graph.json", "signins_sentinel.json"):
        for want in _expected("entra")[name]:
            got = _event(con, want["record_id"])
            if want["is_agent"]:
                assert got["agent_id"] == want["identity_id"], want["record_id"]
            else:
                assert got["agent_id"] is None, want["record_id"]
            person = want["on_behalf_of"]
            if person:
                who = con.execute(
                    "SELECT name FROM identities WHERE identity_key = ?", [got["on_behalf_of"]]
                ).fetchall()
                assert who == [(person,)], want["record_id"]
            else:
                assert got["on_behalf_of"] is None, want["record_id"]


@pytest.mark.parametrize("platform", ["okta", "auth0", "aws"])
def test_agent_and_on_behalf_of_markers_per_record(assessed, platform):
    con, _ = assessed
    for rows in _expected(platform).values():
        for want in rows:
            event_id = want.get("record_id") or want.get("eventID")
            kind = want.get("event_type") or want.get("eventName")
            if kind is None:  # a registry row: checked below
                continue
            got = _event(con, event_id)
            if kind in NOT_READ:
                assert got["agent_id"] is None, (kind, NOT_READ[kind])
                continue
            agent = want.get("agent_id", want.get("agent"))
            if agent is None:
                assert got["agent_id"] is None, event_id
            else:  # AgentCore: by ARN, the expected file names some by their last segment
                assert got["agent_id"].rsplit("/", 1)[-1] == agent.rsplit("/", 1)[-1], event_id
            acting = want.get("acting_for")
            person = acting.get("id") if isinstance(acting, dict) else acting
            if person and agent:
                assert got["on_behalf_of"].split(":", 1)[-1] == person, event_id
            else:
                assert got["on_behalf_of"] is None, event_id


def test_registries_load_and_reconcile_three_ways(assessed):
    """Every registry object is a row of its source; agents the registry lists but no log shows
    acting are `listed, not seen acting`; the Okta agent the logs show is `registry only` (the
    client's inventory does not list it)."""
    con, a = assessed
    kinds = dict(con.sql("SELECT kind, count(*) FROM agent_registry GROUP BY ALL").fetchall())
    assert kinds == {
        "blueprint": 1,
        "blueprint_principal": 1,
        "agent_identity": 2,
        "agent_user": 1,
        "ai_agent": 3,
    }
    status = {r["identity_key"]: r["status"] for r in records(a.tables["agent_reconciliation"])}
    assert status["okta:wlpy8dttUELbTBfFYS9u"] == "registry only"
    assert status["okta:wlpguQpPitu6K1sAkVoX"] == "registry only"
    agents = {g["identity_key"]: g for g in a.to_dict()["ai_agents"]}
    assert agents["okta:wlpy8dttUELbTBfFYS9u"]["acted_in_logs"]
    assert not agents["okta:wlpguQpPitu6K1sAkVoX"]["acted_in_logs"]
    # Auth0 and AgentCore agents act in the logs but no registry or inventory lists them
    assert status["auth0:agt_RvQ3m2rV7YLTQnbpfh8wjz"] == "shadow"
    shadow = set(a.tables["shadow_agents"]["identity_key"])
    assert "entra:9e3f1a64-5d7c-4eab-b082-3c4d5e6f7081" not in shadow  # the registry lists it


def test_delegation_chains_name_the_person(assessed):
    _, a = assessed
    chains = {(d["agent"], d["person"]) for d in a.to_dict()["agent_delegations"]}
    assert ("entra:af402b75-6e8d-4fbc-8193-4d5e6f708192", "Sam Rivera") in chains
    assert ("auth0:agt_RvQ3m2rV7YLTQnbpfh8wjz", "sam.rivera@example.com") in chains
    assert any(p == "alice@example.com" and k.endswith("/support_agent-wid") for k, p in chains)
    native = a.metrics["metric_native_agents"]
    assert native["platform"] >= 9 and 0 < native["native_share"] <= 1


def test_a_person_delegating_to_more_agents_than_the_policy_allows_is_a_finding(assessed):
    con, _ = assessed
    a = assess(con, persist=False, delegation_agents_max=0)
    rows = next(f.rows for f in a.findings if f.check.id == "NHI-DELEGATION-SPRAWL")
    people = {d["person"] for d in a.to_dict()["agent_delegations"]}
    assert set(rows.identity_key) == {f"person:{p}" for p in people}
    default = assess(con, persist=False).findings
    assert not any(len(f.rows) for f in default if f.check.id == "NHI-DELEGATION-SPRAWL")
