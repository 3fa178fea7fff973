"""Exports inside a SIEM's or transport's envelope (Splunk exports, CloudWatch Logs
subscriptions, Okta event hooks, Logstash): hand-written from the documentation
(tests/fixtures_envelopes/<shape>/SOURCE.md), each loads as the vendor records it carries,
with the same canonical rows as the vendor's own export of those records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import rows

import agentaudit

ENVELOPES = Path(__file__).resolve().parent / "fixtures_envelopes"
CASES = sorted(
    (folder, name, spec)
    for folder in ENVELOPES.iterdir()
    if (folder / "expected.json").is_file()
    for name, spec in json.loads((folder / "expected.json").read_text()).items()
)
CANONICAL = """SELECT record_no, source_format, event_id, event_time, event_type, outcome,
                      actor_key, actor_name, actor_type, credential_key, user_agent, source_ip,
                      is_interactive, target_id
               FROM events ORDER BY record_no"""


@pytest.mark.parametrize(
    ("folder", "name", "spec"), CASES, ids=[f"{f.name}/{n}" for f, n, _ in CASES]
)
def test_an_envelope_loads_as_the_records_it_carries(folder: Path, name: str, spec: dict, tmp_path):
    con = agentaudit.connect()
    (f,) = agentaudit.ingest([folder / name], con).files
    assert f.rows_read == f.rows_loaded + f.rows_rejected
    if not spec["records"]:  # a control message carries no record
        assert (f.status, f.rows_read) == ("skipped", 0), f
        assert "control message" in f.message
        return
    assert (f.status, f.format, f.rows_loaded) == ("loaded", spec["format"], spec["records"]), f
    ids = [r[0] for r in rows(con, "SELECT event_id FROM events ORDER BY record_no")]
    if "event_id" in spec.get("lost", []):  # the export carries no event id
        assert ids == [None] * spec["records"]
    else:
        assert ids == spec["event_ids"]
    # The same records as the vendor's own export (one per line) give the same rows.
    native = tmp_path / "native.ndjson"
    native.write_text(
        "".join(r[0] + "\n" for r in rows(con, "SELECT raw FROM events ORDER BY record_no"))
    )
    plain = agentaudit.connect()
    (g,) = agentaudit.ingest([native], plain).files
    assert g.format == spec["format"]
    if f.rows_rejected == 0:
        assert rows(plain, CANONICAL) == rows(con, CANONICAL)
    else:  # lines without a record (Splunk's preview rows) shift the numbering
        strip = CANONICAL.replace("record_no, ", "", 1)
        assert rows(plain, strip) == rows(con, strip)
    if spec.get("native"):  # the same events as the vendor's own export, written by hand
        _same_rows_as_native(con, folder / spec["native"], spec.get("lost", []))


def _same_rows_as_native(con, native: Path, lost: list[str]) -> None:
    """The export gives the canonical rows the vendor's own export of the same events gives,
    apart from the columns the export cannot carry (named in expected.json, why in SOURCE.md)."""
    vendor = agentaudit.connect()
    (n,) = agentaudit.ingest([native], vendor).files
    assert n.status == "loaded" and not n.rows_rejected, n
    cols = [c.strip() for c in CANONICAL.split("SELECT", 1)[1].split("FROM")[0].split(",")]
    keep = [c for c in cols if c not in {"record_no", *lost}]
    query = f"SELECT {', '.join(keep)} FROM events ORDER BY event_time, event_type, actor_key"
    assert rows(con, query) == rows(vendor, query)


def test_firehose_gzip_members_back_to_back_load_as_one_file(tmp_path):
    """Firehose writes CloudWatch Logs payloads to S3 each gzip-compressed on its own, the
    members concatenated in one object; gunzip reads them as one stream, and so must we."""
    import gzip

    folder = ENVELOPES / "cloudwatch_subscription"
    text = (folder / "firehose_concatenated.json").read_text()
    decoder, pos, payloads = json.JSONDecoder(), 0, []
    while pos < len(text.rstrip()):
        value, pos = decoder.raw_decode(text, pos)
        payloads.append(json.dumps(value))
    assert len(payloads) > 1
    members = tmp_path / "firehose.gz"
    members.write_bytes(b"".join(gzip.compress(p.encode()) for p in payloads))
    plain, packed = agentaudit.connect(), agentaudit.connect()
    (a,) = agentaudit.ingest([folder / "firehose_concatenated.json"], plain).files
    (b,) = agentaudit.ingest([members], packed).files
    assert (b.status, b.rows_loaded, b.container) == ("loaded", a.rows_loaded, a.container)
    assert rows(packed, CANONICAL) == rows(plain, CANONICAL)
