"""Entra logs as Microsoft Sentinel / Log Analytics hands them over (PascalCase columns,
dynamic columns as JSON text, the portal's CSV with `[UTC]` headers and 12-hour times),
hand-written from the documentation and real exports (tests/fixtures_siem/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import rows

import agentaudit

SIEM = Path(__file__).resolve().parent / "fixtures_siem"
EXPECTED = json.loads((SIEM / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_log_analytics_export_loads_as_the_entra_records_it_holds(name: str):
    spec = EXPECTED[name]
    con = agentaudit.connect()
    (f,) = agentaudit.ingest([SIEM / name], con).files
    assert (f.status, f.format, f.rows_loaded, f.rows_rejected) == (
        "loaded",
        spec["format"],
        spec["records"],
        0,
    ), f
    assert f.container.endswith("/log_analytics")
    got = rows(
        con,
        """SELECT event_id, event_time, actor_id, actor_type, outcome FROM events
           ORDER BY record_no""",
    )
    want = [
        (r["id"], pd.Timestamp(r["time"]).floor("us"), r["actor"], r["actor_type"], r["outcome"])
        for r in spec["rows"]
    ]
    assert [(i, pd.Timestamp(t), a, k, o) for i, t, a, k, o in got] == want


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        ("4/28/2021, 2:08:45.221 PM", "2021-04-28T14:08:45.221000Z"),  # en-US
        ("21/04/2025, 09:45:54.000", "2025-04-21T09:45:54.000000Z"),  # en-GB, 24-hour
        ("3/2/2026, 8:14:05 AM", "2026-03-02T08:14:05.000000Z"),
    ],
)
def test_the_portal_writes_times_in_the_browsers_locale_and_both_read(cell: str, iso: str):
    from agentaudit import siem

    got = siem.normalise({"TimeGenerated [UTC]": cell, "Id": "x", "CreatedDateTime [UTC]": cell})
    assert got["timeGenerated"] == got["createdDateTime"] == iso
