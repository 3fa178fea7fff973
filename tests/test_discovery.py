"""The shadow agent discovery audit: the credential issuance ledger and the AI apps employees
connect, checked against exports hand-written from the vendors' documented examples
(tests/fixtures_issuance/<platform>/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentaudit
from agentaudit.assess import assess, records

ISSUANCE = Path(__file__).resolve().parent / "fixtures_issuance"
PLATFORMS = sorted(p.name for p in ISSUANCE.iterdir() if (p / "expected.json").is_file())


def _expected(platform: str) -> list[dict]:
    spec = json.loads((ISSUANCE / platform / "expected.json").read_text())
    return [row for rows in spec.values() for row in rows]


@pytest.fixture(scope="module")
def assessed():
    con = agentaudit.connect()
    agentaudit.ingest([ISSUANCE], con)
    a = assess(con, persist=False)
    yield con, a
    con.close()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_issuance_event_is_in_the_ledger_with_its_issuer(assessed, platform):
    _, a = assessed
    ledger = {r["event_id"]: r for r in records(a.tables["credential_issuance"])}
    for want in _expected(platform):
        got = ledger.get(want["event_id"])
        if got is None:  # an Entra permission grant written twice, counted once
            notes = want["notes"].lower()
            assert any(w in notes for w in ("same grant", "once", "duplicate")), want
            continue
        assert got["created"] == want["created"], (want["event_type"], got["created"])
        kind = got["issuer_kind"]
        assert kind == want["issuer_kind"], (want["event_type"], got["issued_by"])
        assert got["consent_type"] == want["consent_type"], want["event_type"]
        if want["scopes"]:
            got_scopes = [] if got["scopes"] is None else list(got["scopes"])
            assert set(got_scopes) == set(want["scopes"]), want["event_type"]
        expected_channel = (
            "automation"
            if kind == "nhi"
            else "self_service"
            if want["consent_type"] == "user"
            else None
        )
        if expected_channel:
            assert got["channel"] == expected_channel, want["event_type"]


def test_an_employee_consenting_an_ai_app_to_mail_and_files_is_a_finding(assessed):
    _, a = assessed
    grants = a.to_dict()["ai_app_grants"]
    writer = [g for g in grants if "QuillMind" in (g["app"] or "")]
    assert writer and writer[0]["consent_type"] == "user"
    assert {"Mail.Read", "Files.Read.All"} <= set(writer[0]["scopes"])
    assert writer[0]["granted_by"] and "maya.chen" in writer[0]["granted_by"]
    broad = next(f for f in a.findings if f.check.id == "NHI-AI-BROAD-SCOPES")
    assert any("QuillMind" in r["evidence"] for r in records(broad.rows))
    admin = [g for g in grants if g["consent_type"] == "admin"]
    assert all("QuillMind" not in (g["app"] or "") for g in admin)
    summary = a.to_dict()["credential_issuance_summary"]
    assert summary["issued"] == len(records(a.tables["credential_issuance"]))
    assert set(summary["by_channel"]) <= {"automation", "admin", "self_service"}
    assert summary["by_channel"].get("self_service", 0) >= 2


def test_the_catalogue_names_real_ai_apps_by_their_published_ids(tmp_path):
    """A consultant's catalogue replaces the shipped one."""
    con = agentaudit.connect()
    agentaudit.ingest([ISSUANCE / "entra"], con)
    mine = tmp_path / "ai_apps.csv"
    mine.write_text(
        "platform,match,pattern,app,vendor,category,source\n"
        "any,name,Meeting Notes,Fabrikam Notes,Fabrikam,meeting_notes,client list\n"
    )
    a = assess(con, persist=False, ai_apps=mine)
    apps = {g["app"] for g in a.to_dict()["ai_app_grants"]}
    assert apps == {"Fabrikam Meeting Notes AI"}


def test_the_criteria_table_shows_issuance_outside_it_beside_d1_and_d2(assessed):
    from agentaudit.report import content

    _, a = assessed
    m = a.metrics["metric_issuance"]
    html = content.criteria_table(a)
    assert "Issuance outside IT" in html and "not scored" in html
    assert f"{m['self_service']} of {m['issued']} issued" in html
    assert html.index("<td>D2</td>") < html.index("Issuance outside IT") < html.index("<td>D3</td>")
