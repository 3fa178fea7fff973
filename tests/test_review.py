"""The consultant's review of the classification: the exported review file round-trips as
--overrides, its errors name the line, and a criterion without data gives no verdict."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit.assess import assess
from agentaudit.assess.review import REVIEW_COLUMNS
from agentaudit.cli import main
from agentaudit.export import export
from agentaudit.synth import config_for, generate

SMALL = dict(humans=15, nhi_per_human=2.0, events=4000)


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("review")
    generate(base / "gen", config_for("level2", seed=21, **SMALL))
    db = base / "client.duckdb"
    agentaudit.ingest([base / "gen" / "exports"], db)
    return db


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]], columns=None) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns or list(rows[0]), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_the_exported_review_file_round_trips_as_overrides(client, tmp_path):
    paths = export(assess(client), tmp_path / "plan")
    review = _rows(paths["review"])
    assert list(review[0]) == list(REVIEW_COLUMNS)
    assert {r["decision"] for r in review} <= {
        "human",
        "external_human",
        "nhi",
        "unresolved",
        "other",
    }
    # Untouched, the file changes nothing.
    before = assess(client, persist=False)
    same = assess(client, overrides=paths["review"], persist=False)
    assert same.to_dict()["nhi_count"] == before.to_dict()["nhi_count"]
    assert same.to_dict()["overrides"] == []
    # The consultant says one NHI is a person's break-glass account, with a reason.
    nhi = next(r for r in review if r["decision"] == "nhi")
    nhi.update(decision="human", reason="break-glass account of the on-call SRE", reviewer="J. Ng")
    edited = _write(tmp_path / "reviewed.csv", review)
    after = assess(client, overrides=edited, persist=False)
    d = after.to_dict()
    assert d["nhi_count"] == before.to_dict()["nhi_count"] - 1
    assert d["overrides"] == [
        {
            "identity_key": nhi["identity_key"],
            "decision": "human",
            "rules_decided": "nhi",
            "reason": "break-glass account of the on-call SRE",
            "reviewer": "J. Ng",
        }
    ]
    row = after.tables["classified_identities"].set_index("identity_key").loc[nhi["identity_key"]]
    assert (row["class"], row.confidence, bool(row.overridden)) == ("human", "reviewed", True)
    assert "J. Ng" in row.classification_rule
    # The short form is enough; the export written with it says the same.
    short = _write(
        tmp_path / "short.csv",
        [
            {
                "identity_key": nhi["identity_key"],
                "decision": "human",
                "reason": "on-call SRE",
                "reviewer": "J. Ng",
            }
        ],
    )
    assert assess(client, overrides=short, persist=False).to_dict()["nhi_count"] == d["nhi_count"]
    again = _rows(export(after, tmp_path / "again")["review"])
    assert next(r for r in again if r["identity_key"] == nhi["identity_key"])["reviewer"] == "J. Ng"


def test_review_file_errors_name_the_line(client, tmp_path):
    runner = CliRunner()
    key = assess(client, persist=False).tables["nhis"].identity_key.iloc[0]
    cases = {
        "identity_key,decision,reason,reviewer\nokta:nobody,human,x,y\n": (
            "line 2",
            "not an identity of this database",
        ),
        f"identity_key,decision,reason,reviewer\n{key},robot,x,y\n": ("line 2", "robot"),
        f"identity_key,decision,reason,reviewer\n{key},human,,y\n": ("line 2", "needs a reason"),
        f"identity_key,decision,reason\n{key},human,a\n{key},nhi,b\n": ("line 3", "twice"),
        "identity_key,reason\nx,y\n": ("line 1", "decision"),
    }
    for text, expected in cases.items():
        path = tmp_path / "bad.csv"
        path.write_text(text, encoding="utf-8")
        res = runner.invoke(
            main, ["assess", "--db", str(client), "--read-only", "--overrides", str(path)]
        )
        assert res.exit_code != 0, text
        message = " ".join(res.output.split())
        assert all(e in message for e in expected), (text, res.output)
        assert "Traceback" not in res.output
    # A review row whose decision changed but gives no reason is refused, naming the line.
    paths = export(assess(client, persist=False), tmp_path / "plan")
    review = _rows(paths["review"])
    review[3]["decision"] = "unresolved" if review[3]["decision"] != "unresolved" else "nhi"
    res = runner.invoke(
        main,
        [
            "assess",
            "--db",
            str(client),
            "--read-only",
            "--overrides",
            str(_write(tmp_path / "r.csv", review)),
        ],
    )
    message = " ".join(res.output.split())
    assert res.exit_code != 0 and "line 5:" in message and "no reason" in message


def test_json_and_action_plan_name_identities_as_people_read_them(client, tmp_path):
    a = assess(client, persist=False)
    d = json.loads(json.dumps(a.to_dict(), default=str))
    listed = set(d["shadow_agents"]) | set(d["dormant_nhis"]) | set(d["orphaned_nhis"])
    assert listed and listed <= set(d["names"])
    for k in listed:
        n = d["names"][k]
        assert n["name"] and n["platform"] == k.split(":", 1)[0] and n["kind"]
    plan = _rows(export(a, tmp_path / "plan")["csv"])
    identities = [r for r in plan if r["check_id"] != "NHI-LOG-GAP"]  # gaps name a log
    assert identities and all(r["name"] and r["platform"] and r["kind"] for r in identities)


def test_no_verdict_without_data(tmp_path):
    """Logs with people only: no NHI to measure, so the NHI criteria are not evidenced."""
    log = tmp_path / "okta.ndjson"
    log.write_text(
        json.dumps(
            {
                "uuid": "e1",
                "published": "2026-03-02T10:00:00.000Z",
                "eventType": "user.session.start",
                "actor": {
                    "id": "00u1",
                    "type": "User",
                    "alternateId": "ana@example.com",
                    "displayName": "Ana",
                },
                "client": {
                    "userAgent": {"rawUserAgent": "Mozilla/5.0", "browser": "CHROME"},
                    "ipAddress": "192.0.2.1",
                },
                "outcome": {"result": "SUCCESS"},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    con = agentaudit.connect()
    agentaudit.ingest([log], con)
    a = assess(con)
    for cid in ("G3", "M1", "F3"):
        c = a.criterion(cid)
        assert c.status == "not_evidenced", (cid, c.detail)
    assert "0 of 0" not in " ".join(c.detail for c in a.criteria)
    assert any(g.startswith("M1 not evidenced") for g in a.data_gaps)
