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
