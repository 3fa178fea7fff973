"""Property: whatever happens to a record, every reader accounts for it and never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentaudit

# One valid file per reader, as text: the corruptions are applied to its records.
JSON_LINES = {
    "okta_system_log": (FIXTURES / "okta_system_log.ndjson").read_text().splitlines(),
    "github_audit": (FIXTURES / "github_audit.ndjson").read_text().splitlines(),
    "entra_signin": [
        json.dumps(r)
        for r in json.loads((FIXTURES / "entra_graph_signins.json").read_text())["value"]
    ],
}
CSV_FILES = [
    "hr_roster.csv",
    "agent_inventory.csv",
    "alerts.csv",
    "aws_credential_report.csv",
    "github_audit.csv",
]


def corrupt(draw, line: str) -> str:
    """Cut, splice, drop a key from, or retype a record."""
    how = draw(st.sampled_from(["cut", "splice", "drop", "retype", "same"]))
    if how == "cut":
        return line[: draw(st.integers(0, max(len(line) - 1, 0)))]
    if how == "splice":
        pos = draw(st.integers(0, len(line)))
        return line[:pos] + draw(st.text(max_size=8)) + line[pos:]
    if how in ("drop", "retype") and line.startswith("{"):
        try:
            rec = json.loads(line)
        except ValueError:
            return line
        if isinstance(rec, dict) and rec:
            key = draw(st.sampled_from(sorted(rec)))
            if how == "drop":
                del rec[key]
            else:
                rec[key] = draw(
                    st.one_of(
                        st.integers(),
                        st.lists(st.integers(), max_size=2),
                        st.none(),
                        st.text(max_size=5),
                    )
                )
            return json.dumps(rec)
    return line


def check(path: Path) -> None:
    con = agentaudit.connect()
    try:
        (f,) = agentaudit.ingest([path], con).files
        every_record_rejected = f.status == "failed" and f.rows_read == f.rows_rejected > 0
        assert f.status in ("loaded", "refused", "empty") or every_record_rejected, f
        assert f.rows_read == f.rows_loaded + f.rows_rejected
        tables = con.sql(
            "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM roster)"
            " + (SELECT count(*) FROM inventory) + (SELECT count(*) FROM alerts)"
        ).fetchall()[0][0]
        if f.format != "aws_credential_report":
            assert tables == f.rows_loaded
        rejected = con.sql("SELECT count(*) FROM rejects WHERE record_no IS NOT NULL").fetchall()[
            0
        ][0]
        assert rejected == f.rows_rejected
    finally:
        con.close()


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("reader", sorted(JSON_LINES))
@SETTINGS
@given(data=st.data())
def test_corrupted_json_records_are_accounted_for(reader: str, data, tmp_path_factory):
    lines = [corrupt(data.draw, line) for line in JSON_LINES[reader]]
    container = data.draw(st.sampled_from(["ndjson", "array"]))
    path = tmp_path_factory.mktemp("p") / f"{reader}.json"
    if container == "ndjson":
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_text("[" + ",\n".join(lines) + "]", encoding="utf-8")
    check(path)


@pytest.mark.parametrize("name", CSV_FILES)
@SETTINGS
@given(data=st.data())
def test_corrupted_csv_rows_are_accounted_for(name: str, data, tmp_path_factory):
    header, *body = (FIXTURES / name).read_text().splitlines()
    body = [corrupt(data.draw, line) for line in body]
    path = tmp_path_factory.mktemp("p") / name
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    check(path)


@SETTINGS
@given(cut=st.integers(min_value=10, max_value=900))
def test_truncated_gzip_of_any_length_is_accounted_for(cut: int, tmp_path_factory):
    raw = (FIXTURES / "cloudtrail_records.json.gz").read_bytes()
    path = tmp_path_factory.mktemp("p") / "ct.json.gz"
    path.write_bytes(raw[: min(cut, len(raw) - 1)])
    check(path)
