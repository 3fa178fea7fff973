"""Classification against the world: hand-written exports in the vendors' documented shapes
(tests/identity_shapes/<shape>/, each with SOURCE.md naming the documentation it follows and
expected.json saying what every identity is), never against our own generator."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import agentaudit
from agentaudit.assess import assess

SHAPES = Path(__file__).resolve().parent / "identity_shapes"
FOLDERS = sorted(p for p in SHAPES.iterdir() if (p / "expected.json").is_file())
# A credential as the fixture names it: its id, or a token hash the events that used it carry.
NAMED = """credential_id = $c OR credential_key LIKE '%' || $c
           OR credential_key IN (SELECT credential_key FROM events
                                 WHERE contains(raw, '"' || $c || '"'))"""
NOT_EXPORTS = {"SOURCE.md", "expected.json", "expected_credentials.json"}


def _assessed(folder: Path):
    con = agentaudit.connect()
    files = [p for p in sorted(folder.iterdir()) if p.name not in NOT_EXPORTS]
    result = agentaudit.ingest(files, con)
    assert all(f.status == "loaded" for f in result.files), result.files
    assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(0,)]
    return con, assess(con)


def _find(ci: pd.DataFrame, platform: str, name: str) -> pd.Series:
    hits = ci[
        (ci.platform == platform)
        & ((ci.name == name) | (ci.display_name == name) | (ci.native_id == name))
    ]
    assert len(hits) == 1, f"{platform} identity named {name!r}: {len(hits)} matches\n{ci}"
    return hits.iloc[0]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_identity_is_what_the_vendor_documents(folder: Path):
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    con, a = _assessed(folder)
    ci = a.tables["classified_identities"]
    for e in expected:
        row = _find(ci, e["platform"], e["name"])
        assert row["class"] == e["class"], (e, row.classification_rule)
        if e.get("person"):
            assert row.person == e["person"].lower(), (e, row.person_rule, row.person_candidates)
        if "active" in e:
            assert bool(row.is_active) == e["active"], e
        if "vendor_managed" in e:
            assert bool(row.vendor_managed) == e["vendor_managed"], e
        if "credentials" in e:  # how many credentials the log gives the identity
            (held,) = con.execute(
                "SELECT count(*) FROM credentials WHERE identity_key = ?", [row.identity_key]
            ).fetchone()
            assert held == e["credentials"], e
    # The NHI count is exact: every active NHI is one the vendor's fields prove to be one.
    nhis = sorted(ci.loc[(ci["class"] == "nhi") & ci.is_active, "identity_key"])
    wanted = sorted(
        _find(ci, e["platform"], e["name"]).identity_key for e in expected if e["class"] == "nhi"
    )
    assert nhis == wanted, ci[["identity_key", "name", "class", "classification_rule"]]
    assert a.overall()["nhis"] == len(wanted)
    # A person's own session never reads as "a person signs in as an NHI".
    human_use = next(f for f in a.findings if f.check.id == "NHI-HUMAN-USE")
    assert human_use.rows.empty, human_use.rows
    con.close()


@pytest.mark.parametrize(
    "folder",
    [p for p in FOLDERS if (p / "expected_credentials.json").is_file()],
    ids=lambda p: p.name,
)
def test_credentials_are_created_and_used_as_the_log_says(folder: Path):
    expected = json.loads((folder / "expected_credentials.json").read_text(encoding="utf-8"))
    con, _ = _assessed(folder)
    for e in expected:
        found = con.execute(
            f"""SELECT credential_type, created_at, last_used_at FROM credentials
               WHERE {NAMED}""",
            {"c": e["credential"]},
        ).fetchall()
        assert len(found) == 1, (e, found)
        ctype, created, last_used = found[0]
        assert ctype == e["type"], e
        want_created = pd.Timestamp(e["created"]) if e.get("created") else None
        assert (pd.Timestamp(created) if created else None) == want_created, e
        if e.get("first_used") is None:
            assert last_used is None, e  # a creation is not a use
        else:
            first_use = con.execute(
                f"""SELECT min(event_time) FROM events
                   WHERE credential_key IN (SELECT credential_key FROM credentials
                                            WHERE {NAMED})""",
                {"c": e["credential"]},
            ).fetchall()[0][0]
            assert pd.Timestamp(first_use) == pd.Timestamp(e["first_used"]), e
    con.close()
