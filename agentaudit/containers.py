"""Open an export file whatever its container, and stage its records as text in `_raw`.

A container is how records are packed (NDJSON, a JSON array, a wrapper object such as
CloudTrail's `{"Records": [...]}` or Graph's `{"value": [...]}`, one JSON document, or CSV),
independent of the vendor format inside. DuckDB's own readers do the work; Python only looks
at the head of the file, transcodes odd encodings and salvages what it can from truncated or
malformed documents so that the good records still load.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from agentaudit import siem
from agentaudit.db import insert_rows, scalar, setting
from agentaudit.jsontext import loads, raw_decode

HEAD_BYTES = 1 << 20
# `data`: Okta's newer APIs (the AI agents list) page their objects as `{"data": [...]}`.
WRAPPER_KEYS = ("Records", "value", "Events", "logEvents", "QueryResultRows", "data")
_WRAPPER_RE = re.compile(r'"(Records|value|Events|logEvents|QueryResultRows|data)"\s*:\s*\[')
MAX_RAW_CHARS = 20_000  # raw text kept for one reject
# Largest record DuckDB's readers take; a larger one sends its file down the record-by-record
# salvage path. DuckDB sizes its read buffers from this (16x): at 256 MB, reading one 650 MB
# gzip NDJSON file peaked at 3.1 GB RSS whatever the memory limit; at 16 MB, 1.0 GB.
MAX_RECORD_BYTES = 16 << 20


# The containers as a message names them.
CONTAINER_NAMES = {
    "ndjson": "an NDJSON file (one JSON value per line)",
    "json_sequence": "JSON values back to back",
    "json_array": "a JSON array",
    "json_wrapper": "a JSON object wrapping a records array",
    "json_document": "one JSON document",
    "csv": "a CSV file",
    "unknown": "neither JSON nor CSV text",
}


@dataclass
class Sample:
    """What the head of a file shows: its container and first record, for format detection."""

    path: Path
    # ndjson | json_sequence (JSON values back to back, no separator) | json_array |
    # json_wrapper | json_document | csv | empty | unknown
    container: str
    compression: str = "none"
    encoding: str = "utf-8"
    first: dict[str, Any] | None = None
    header: list[str] | None = None
    wrapper_key: str | None = None
    document: Any = None
    read_path: Path | None = None  # what DuckDB reads (a transcoded copy when needed)
    notes: list[str] = field(default_factory=list)
    envelope: str | None = None  # a SIEM's or transport's wrapping around each vendor record
    unwrap: str | None = None  # SQL over `raw`: the vendor record's text inside the envelope
    spread: str | None = None  # JSON path of the records array inside each envelope element
    later: list[Any] = field(default_factory=list)  # a few records after the first, decoded

    @property
    def record_container(self) -> str:
        """The container readers see: an envelope's records are JSON whatever carries them,
        and a sequence of JSON values is read as lines of them would be."""
        if self.container == "json_sequence" or (self.unwrap and self.container == "csv"):
            return "ndjson"
        return self.container

    @property
    def label(self) -> str:
        """The container as `files.container` records it (with its envelope, if any)."""
        return f"{self.container}/{self.envelope}" if self.envelope else self.container

    def keys(self) -> set[str]:
        """Top-level keys of the first record (CSV: the header), as written."""
        if self.first is not None:
            return set(self.first)
        return set(self.header or [])

    def lower_keys(self) -> set[str]:
        """Top-level keys lower-cased, for exports that lower-case vendor keys."""
        return {k.lower() for k in self.keys()}


def _read_head(path: Path) -> tuple[bytes, str, bool]:
    """First bytes of the (decompressed) file past any leading whitespace, its compression,
    and whether the head is the whole file. Whitespace is read past however long it runs
    (a stream of it is a classic decompression bomb), so the head is the file's first text."""
    with open(path, "rb") as fh:
        compression = "gzip" if fh.read(2) == b"\x1f\x8b" else "none"
    # A gzip file may hold several members back to back (Firehose concatenates the
    # gzip-compressed payloads it delivers): read on across them, as gunzip does.
    stream = _Stream(path, compression)
    try:
        head = b""
        while len(head) <= HEAD_BYTES:
            chunk = stream.read(HEAD_BYTES + 1 - len(head))
            if not chunk:
                break
            head += chunk.lstrip(b" \t\r\n") if not head else chunk
        whole = len(head) <= HEAD_BYTES and not stream.truncated
    finally:
        stream.close()
    return head[: HEAD_BYTES + 1], compression, whole


def _encoding_of(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the head
            return "cp1252"
    return "utf-8"


def temp_path(suffix: str) -> Path:
    """A new empty temporary file; the caller deletes it."""
    fd, name = tempfile.mkstemp(prefix="agentaudit-", suffix=suffix)
    os.close(fd)
    return Path(name)


def _transcode(path: Path, compression: str, encoding: str) -> Path:
    """Write a plain UTF-8 copy of a file DuckDB cannot read as it is (BOMs, UTF-16, cp1252)."""
    opener = gzip.open if compression == "gzip" else open
    out = temp_path(".txt")
    with opener(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        reader = io.TextIOWrapper(src, encoding=encoding, errors="replace", newline="")
        try:
            while chunk := reader.read(1 << 20):
                dst.write(chunk)
        except (EOFError, zlib.error, gzip.BadGzipFile):
            pass  # truncated: keep what decoded; the record check rejects the cut tail
    return out


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _first_element(text: str, start: int) -> Any:
    """Decode the first JSON value after position `start` (just past a '['); a value cut by
    the end of the head is decoded as far as it goes (`partial_object`)."""
    i = _skip_ws(text, start)
    if i < len(text) and text[i] == "]":
        return None
    try:
        return raw_decode(text, i)[0]
    except ValueError:
        if i < len(text) and text[i] == "{":
            found = partial_object(text, i)
            if found:
                return found
        raise


# How deep `partial_object` follows objects cut by the end of the head.
_PARTIAL_DEPTH = 8


def partial_object(text: str, start: int, depth: int = 0) -> dict[str, Any] | None:
    """The members of the JSON object opening at `start` that can be read before the text
    ends or a member fails to decode: the keys of a record larger than the sniff window.

    A member whose value is cut keeps its key, with an object read the same way, or an
    empty value of its type (list, string) or None; None when not even one key can be read.
    """
    if start >= len(text) or text[start] != "{":
        return None
    out: dict[str, Any] = {}
    i = start + 1
    while True:
        i = _skip_ws(text, i)
        if i >= len(text) or text[i] != '"':
            break
        try:
            key, i = raw_decode(text, i)
        except ValueError:
            break
        i = _skip_ws(text, i)
        if i >= len(text) or text[i] != ":":
            break
        i = _skip_ws(text, i + 1)
        try:
            out[key], i = raw_decode(text, i)
        except ValueError:
            opener = text[i : i + 1]
            if opener == "{" and depth < _PARTIAL_DEPTH:
                out[key] = partial_object(text, i, depth + 1) or {}
            else:
                out[key] = {"[": [], '"': ""}.get(opener)
            break
        i = _skip_ws(text, i)
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        break
    return out or None


def sniff(path: str | Path) -> Sample:
    """Look at the head of a file and say what container it is and what its first record holds."""
    path = Path(path)
    if path.stat().st_size == 0:
        return Sample(path, "empty")
    raw_head, compression, whole = _read_head(path)
    encoding = _encoding_of(raw_head)
    sample = Sample(path, "unknown", compression=compression, encoding=encoding, read_path=path)
    if not raw_head:
        sample.container = "empty"
        sample.notes.append("the file holds nothing but whitespace")
        return sample
    if encoding != "utf-8":
        sample.read_path = _transcode(path, compression, encoding)
        sample.compression = "none"
        source = "gzip-compressed" if compression == "gzip" else "plain"
        sample.notes.append(f"transcoded from {encoding} ({source} input)")
    text = raw_head.decode(encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace")
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    if not stripped:
        sample.container = "empty"
        return sample
    offset = len(text) - len(stripped)
    try:
        if stripped[0] == "[":
            sample.container = "json_array"
            sample.first = _as_record(_first_element(text, offset + 1))
            if sample.first is not None and not whole and _cut(text, offset + 1):
                sample.notes.append(_CUT_NOTE)
        elif stripped[0] == "{":
            _sniff_object(sample, text, whole)
        else:
            _sniff_csv(sample, stripped)
    except (ValueError, csv.Error):
        # The head does not decode as far as the first record: let the reader reject it.
        if sample.container == "unknown" and stripped[0] in "[{":
            sample.container = "json_array" if stripped[0] == "[" else "ndjson"
    _sniff_envelope(sample)
    return sample


def discard_copy(sample: Sample) -> None:
    """Delete the transcoded copy `sniff` made of a file, if it made one."""
    if sample.read_path is not None and sample.read_path != sample.path:
        Path(sample.read_path).unlink(missing_ok=True)


def _as_record(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _element(sample: Sample, value: Any) -> dict[str, Any] | None:
    """A wrapper's first element as a record; a CloudTrail Lake result row (a list of one-key
    maps) is read through its envelope."""
    if sample.wrapper_key == "QueryResultRows":
        sample.envelope, sample.unwrap = "cloudtrail_lake", "aa_cloudtrail_lake(raw)"
        sample.notes.append(f"records read from {ENVELOPES['cloudtrail_lake']}")
        return siem.lake_record(value)
    return _as_record(value)


# Envelopes: (name, test on the first element or document, SQL giving the record's text).
# Splunk's JSON export (`/services/search/jobs/export?output_mode=json`, Splunk Web "Export")
# writes `{"preview": false, "result": {"_raw": "<event>", "_time": ...}}` per line; its CSV
# export has a `_raw` column. CloudWatch Logs subscriptions deliver `{"messageType":
# "DATA_MESSAGE", "logGroup": ..., "logEvents": [{"id", "timestamp", "message"}]}`, each
# message one log record. Okta event hooks POST `{"eventType": "com.okta.event_hook", ...,
# "data": {"events": [LogEvent, ...]}}`.
def _sniff_envelope(sample: Sample) -> None:
    first = sample.first or {}
    if sample.container in ("ndjson", "json_sequence", "json_array") and _spread(sample, first):
        return
    result = first.get("result")
    if isinstance(result, dict) and isinstance(result.get("_raw"), str):
        sample.envelope, sample.unwrap = "splunk", "json_extract_string(raw, '$.result._raw')"
        inner = result["_raw"]
    elif isinstance(first.get("_raw"), str):
        sample.envelope, sample.unwrap = "splunk", "json_extract_string(raw, '$._raw')"
        inner = first["_raw"]
    elif sample.wrapper_key == "logEvents" and isinstance(first.get("message"), str):
        sample.envelope, sample.unwrap = "cloudwatch", "json_extract_string(raw, '$.message')"
        inner = first["message"]
    elif sample.container == "csv" and siem.portal_kind(first):
        sample.envelope, sample.unwrap = "entra_admin_center", "aa_entra_portal(raw)"
        kind = siem.portal_kind(first)
        sample.first = siem.portal_signin(first) if kind == "signin" else siem.portal_audit(first)
        sample.notes.append(f"records read from an {ENVELOPES[sample.envelope]}")
        return
    elif found := siem.kind(first):
        sample.envelope = "dotted_columns" if found == "dotted" else "log_analytics"
        sample.unwrap = f"aa_siem(raw, '{found}')"
        sample.first = siem.normalise(first, found)
        sample.notes.append(f"records unwrapped from a {ENVELOPES[sample.envelope]}")
        return
    else:
        return
    try:
        sample.first = _as_record(loads(inner))
    except ValueError:
        sample.first = None  # not JSON inside: no reader recognises it
    sample.notes.append(f"records unwrapped from a {ENVELOPES[sample.envelope]}")


def _spread(sample: Sample, first: dict[str, Any]) -> bool:
    """Envelopes carrying several records each, one envelope per line or back to back:
    CloudWatch Logs payloads as Firehose writes them to S3, Okta event-hook bodies as a
    receiver logs them. Each element's records array is spread into records."""
    if first.get("messageType") in ("DATA_MESSAGE", "CONTROL_MESSAGE") and isinstance(
        first.get("logEvents"), list
    ):
        sample.envelope, sample.spread = "cloudwatch", "$.logEvents"
        sample.unwrap = "json_extract_string(raw, '$.message')"
        # A subscription's first payload is often its control message: look past it.
        data = [first, *sample.later]
        first = next(
            (d for d in data if isinstance(d, dict) and d.get("messageType") == "DATA_MESSAGE"),
            first,
        )
        events = first["logEvents"]
        inner = events[0].get("message") if events and isinstance(events[0], dict) else None
        try:
            sample.first = _as_record(loads(inner)) if isinstance(inner, str) else None
        except ValueError:
            sample.first = None
    elif first.get("eventType") == "com.okta.event_hook" and isinstance(
        (first.get("data") or {}).get("events"), list
    ):
        sample.envelope, sample.spread = "okta_event_hook", "$.data.events"
        events = first["data"]["events"]
        sample.first = _as_record(events[0]) if events else None
    else:
        return False
    sample.notes.append(f"records unwrapped from a series of: {ENVELOPES[sample.envelope]}")
    return True


ENVELOPES = {
    "splunk": "Splunk export (result._raw)",
    "cloudwatch": "CloudWatch Logs subscription (logEvents[].message)",
    "okta_event_hook": "Okta event hook delivery (data.events)",
    "log_analytics": "Log Analytics / Sentinel export (PascalCase columns, dynamic as JSON text)",
    "entra_admin_center": "Entra admin center CSV download (the portal's column titles)",
    "dotted_columns": "flattened export (nested fields as dotted column names)",
    "cloudtrail_lake": "CloudTrail Lake query results (QueryResultRows)",
}


def _sniff_object(sample: Sample, text: str, whole: bool) -> None:
    first_line = text.lstrip().split("\n", 1)[0].strip()
    doc: Any = None
    if whole:
        try:
            doc = loads(text)
        except ValueError:
            doc = None
    if isinstance(doc, dict):
        data = doc.get("data")
        if isinstance(data, dict) and isinstance(data.get("events"), list):  # Okta event hook
            sample.container, sample.wrapper_key = "json_wrapper", "data.events"
            sample.envelope = "okta_event_hook"
            sample.first = _as_record(data["events"][0]) if data["events"] else None
            sample.notes.append(f"records unwrapped from an {ENVELOPES['okta_event_hook']}")
            return
        for key in WRAPPER_KEYS:
            if isinstance(doc.get(key), list):
                sample.container, sample.wrapper_key = "json_wrapper", key
                sample.document = {k: v for k, v in doc.items() if k != key}  # the envelope
                sample.first = _element(sample, doc[key][0]) if doc[key] else None
                return
        # One object: a one-line NDJSON file, or one pretty-printed document.
        sample.container = "ndjson" if first_line == text.strip() else "json_document"
        sample.first, sample.document = doc, doc
        return
    try:
        sample.first = _as_record(loads(first_line))
        sample.container = "ndjson"
        if sample.first and sample.first.get("messageType") == "CONTROL_MESSAGE":
            sample.later = _values_after(text, text.index(first_line) + len(first_line))
        return
    except ValueError:
        pass
    start = len(text) - len(text.lstrip())
    try:  # JSON values back to back (Firehose concatenates the records it delivers)
        value, end = raw_decode(text, start)
        if text[end:].lstrip()[:1] == "{":
            sample.container, sample.first = "json_sequence", _as_record(value)
            sample.later = _values_after(text, end)
            return
    except ValueError:
        pass
    # The first object does not decode whole: larger than the head, nested too deeply, or
    # broken. Its top-level keys still say what it is: a wrapper's records array, or a record.
    partial = partial_object(text, start)
    cut = not whole and "\n" not in text.lstrip()[: len(first_line) + 1]
    for key in WRAPPER_KEYS:
        if partial and isinstance(partial.get(key), list):
            match = re.compile(r'"' + key + r'"\s*:\s*\[').search(text)
            if match:
                sample.container, sample.wrapper_key = "json_wrapper", key
                sample.first = _element(sample, _first_element(text, match.end()))
                return
    if partial and cut:  # one record larger than the head: detected from the keys it shows
        sample.container, sample.first = "ndjson", partial
        sample.notes.append(_CUT_NOTE)
        return
    match = _WRAPPER_RE.search(text)
    if match:
        sample.container, sample.wrapper_key = "json_wrapper", match.group(1)
        sample.first = _element(sample, _first_element(text, match.end()))
        return
    sample.container = "ndjson"  # a first line that is not JSON: every bad line is rejected
    later = _next_record(text, first_line)
    if later is not None:
        sample.first = later
        sample.notes.append(
            "the first line is not a JSON record this reader could decode (it is rejected); "
            "the format was recognised from a later line"
        )


_CUT_NOTE = (
    "the first record is larger than the 1 MB read to recognise the format: recognised from "
    "the keys at its start"
)


def _cut(text: str, start: int) -> bool:
    """True when the first array element at `start` does not end inside the text."""
    try:
        raw_decode(text, _skip_ws(text, start))
    except ValueError:
        return True
    return False


def _next_record(text: str, first_line: str, limit: int = 50) -> dict[str, Any] | None:
    """The first of the next `limit` whole lines of the head that decodes as a record."""
    lines = text.lstrip().split("\n")[1 : limit + 1]
    if lines and len(text) > HEAD_BYTES - 1:
        lines = lines[:-1]  # the last line of a full head may be cut
    for line in lines:
        try:
            rec = _as_record(loads(line.strip()))
        except ValueError:
            continue
        if rec:
            return rec
    return None


def _values_after(text: str, pos: int, limit: int = 20) -> list[Any]:
    """Up to `limit` whole JSON values following position `pos` of the head."""
    out: list[Any] = []
    while len(out) < limit:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        try:
            value, pos = raw_decode(text, pos)
        except ValueError:
            break
        out.append(value)
    return out


def _sniff_csv(sample: Sample, text: str) -> None:
    lines = text.splitlines()
    if not lines or "," not in lines[0]:
        return
    rows = list(csv.reader(io.StringIO("\n".join(lines[:50]))))
    sample.container = "csv"
    sample.header = [h.strip() for h in rows[0]]
    if len(rows) > 1:
        sample.first = dict(zip(sample.header, rows[1], strict=False))


# --- staging records -------------------------------------------------------------------------

# `_raw` is a view: over `_records` (filled record by record) or, for NDJSON, straight over the
# lines DuckDB read, so that a large file's text is not copied once more before mapping.
_RAW_TABLE = """
CREATE OR REPLACE TEMP TABLE _records (rec_no BIGINT, raw VARCHAR, problem VARCHAR);
CREATE OR REPLACE TEMP VIEW _raw AS SELECT rec_no, raw, problem FROM _records;
"""


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def stage_records(
    con: duckdb.DuckDBPyConnection, sample: Sample, rename: dict[str, str] | None = None
) -> list[str]:
    """Make temp view `_raw(rec_no, raw, problem)` hold the file's records; return notes.

    `rename` maps a CSV's own headers to ours (from a column-mapping file).
    """
    con.execute(_RAW_TABLE)
    if sample.container == "ndjson":
        notes = _stage_ndjson(con, sample)
    elif sample.container == "json_sequence":
        notes = _stage_sequence(con, sample)
    elif sample.container in ("json_array", "json_wrapper", "json_document"):
        notes = _stage_document(con, sample)
    elif sample.container == "csv":
        notes = _stage_csv(con, sample, rename or {})
    else:
        raise ValueError(f"cannot stage container {sample.container}")
    if sample.spread:
        _spread_records(con, sample.spread)
    if sample.unwrap:
        _unwrap(con, sample.unwrap)
    return notes


# Envelope elements that carry no records: CloudWatch Logs control messages (health checks).
_NO_RECORDS = "json_extract_string(raw, '$.messageType') = 'CONTROL_MESSAGE'"


def _spread_records(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Make `_raw` hold the records of each element's array at `path`, numbered across the
    file; an element without that array is a record with a problem, a control message none."""
    con.execute("ALTER VIEW _raw RENAME TO _raw_outer")
    con.execute(
        f"""CREATE TEMP VIEW _raw AS
        WITH e AS (
            SELECT rec_no, raw, problem,
                   CASE WHEN problem IS NULL AND json_valid(raw)
                         AND json_type(raw, {_sql_str(path)}) = 'ARRAY'
                        THEN CAST(json_extract(raw, {_sql_str(path)}) AS JSON[]) END AS recs
            FROM _raw_outer
            WHERE problem IS NOT NULL OR NOT json_valid(raw) OR NOT coalesce({_NO_RECORDS}, false)),
        x AS (
            SELECT rec_no, 0 AS i, raw,
                   coalesce(problem, 'the envelope has no records array at {path}') AS problem
            FROM e WHERE recs IS NULL
            UNION ALL
            SELECT rec_no, unnest(range(1, len(recs) + 1)) AS i, unnest(recs)::VARCHAR AS raw,
                   NULL AS problem
            FROM e WHERE recs IS NOT NULL)
        SELECT row_number() OVER (ORDER BY rec_no, i) AS rec_no, raw, problem FROM x"""
    )


def _unwrap(con: duckdb.DuckDBPyConnection, unwrap: str) -> None:
    """Make `_raw` hold the vendor records an envelope carries; an element that carries none
    is a record with a problem, so every line or element is still accounted for."""
    con.execute("ALTER VIEW _raw RENAME TO _raw_envelope")
    con.execute(
        f"""CREATE TEMP VIEW _raw AS
        SELECT rec_no, coalesce(inner_raw, raw) AS raw,
               coalesce(problem, CASE WHEN inner_raw IS NULL
                                      THEN 'the envelope carries no record here' END) AS problem
        FROM (SELECT *, {unwrap} AS inner_raw FROM _raw_envelope)"""
    )


# A file small enough to be read with others in one statement (CloudTrail delivers one file
# per region every 5 minutes, tens of kilobytes each).
GROUP_MAX_BYTES = 8 << 20


def groupable(sample: Sample) -> bool:
    """True for a small, plainly encoded NDJSON or records-wrapper file: one of a tree of
    such files is read with the others in one set-based statement (`stage_many`)."""
    return (
        sample.container in ("ndjson", "json_wrapper")
        and sample.encoding == "utf-8"
        and sample.read_path == sample.path
        and sample.path.stat().st_size <= GROUP_MAX_BYTES
        and (sample.container == "ndjson" or bool(sample.wrapper_key))
        and sample.envelope is None
    )


def stage_many(con: duckdb.DuckDBPyConnection, samples: list[Sample], file_ids: list[int]) -> None:
    """Make temp view `_raw(file_id, rec_no, raw, problem)` hold the records of many files of
    one container and compression, read by DuckDB in one statement (a file list, with
    `filename`), instead of one staging pass per file. Raises duckdb.Error when any file does
    not parse: the caller then stages the files one by one, where bad records are salvaged.
    """
    first = samples[0]
    con.execute("CREATE OR REPLACE TEMP TABLE _group_files (filename VARCHAR, file_id INTEGER)")
    insert_rows(
        con, "_group_files", [[str(s.read_path), f] for s, f in zip(samples, file_ids, strict=True)]
    )
    files = "[" + ", ".join(_sql_str(s.read_path) for s in samples) + "]"
    compression = _compression(first)
    if first.container == "ndjson":
        with setting(con, "preserve_insertion_order", "true"):  # rowid order = line order
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _lines AS SELECT filename, line FROM "
                + _read_lines(files, compression, filename=True)
            )
        con.execute(
            """CREATE OR REPLACE TEMP VIEW _raw AS
            SELECT f.file_id, rec_no, raw, NULL::VARCHAR AS problem
            FROM (SELECT filename, row_number() OVER (PARTITION BY filename ORDER BY rowid)
                                   AS rec_no, ltrim(line, chr(65279)) AS raw
                  FROM _lines) l
            JOIN _group_files f USING (filename)
            WHERE raw IS NOT NULL AND length(raw) > 0
              AND NOT (ascii(raw) IN (9, 13, 32) AND trim(raw) = '')"""
        )
        return
    key = _sql_str(first.wrapper_key or "")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _elements AS
        SELECT filename, unnest(range(1, len(recs) + 1)) AS rec_no, unnest(recs)::VARCHAR AS raw
        FROM (SELECT filename, CAST(json_extract(doc, '$.' || {key}) AS JSON[]) AS recs
              FROM read_json_objects({files}, format='unstructured', filename=true,
                                     maximum_object_size={GROUP_MAX_BYTES * 8},
                                     compression='{compression}') t(doc, filename))"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW _raw AS
        SELECT f.file_id, rec_no, raw, NULL::VARCHAR AS problem
        FROM _elements JOIN _group_files f USING (filename)"""
    )


def clear_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staged records of the last file (they can be as large as the file)."""
    con.execute("DROP VIEW IF EXISTS _raw")
    con.execute("DROP VIEW IF EXISTS _raw_envelope")
    con.execute("DROP VIEW IF EXISTS _raw_outer")
    for table in (
        "_lines",
        "_elements",
        "_records",
        "_csv",
        "_csv_rejects",
        "_csv_scans",
        "_group_files",
    ):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _compression(sample: Sample) -> str:
    return "gzip" if sample.compression == "gzip" else "none"


def _read_lines(files: str, compression: str, filename: bool = False) -> str:
    """DuckDB's CSV reader as a line reader: one VARCHAR column per line (\x01 never occurs
    unescaped in JSON text) over `files` (a quoted path or a list of them)."""
    return f"""read_csv({files}, columns={{'line': 'VARCHAR'}}, delim='\x01', quote='',
        escape='', header=false, auto_detect=false, strict_mode=false, new_line='\\r\\n',
        max_line_size={MAX_RECORD_BYTES}, compression='{compression}',
        filename={str(filename).lower()})"""


def _stage_ndjson(con: duckdb.DuckDBPyConnection, sample: Sample) -> list[str]:
    # One VARCHAR column per line: \x01 never occurs unescaped in JSON text. The temp table
    # keeps file order (preserve_insertion_order), so rowid order is line order. Row ids of a
    # table created inside a transaction start at a large offset: count from the smallest.
    try:
        with setting(con, "preserve_insertion_order", "true"):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _lines AS SELECT line FROM "
                + _read_lines(_sql_str(sample.read_path), _compression(sample))
            )
    except duckdb.Error as exc:
        return _salvage(con, sample, exc)
    first = scalar(con, "SELECT min(rowid) FROM _lines")
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _raw AS
           SELECT rowid - {first or 0} + 1 AS rec_no,
                  CASE WHEN rowid = {first or 0} THEN ltrim(line, chr(65279)) ELSE line END AS raw,
                  NULL::VARCHAR AS problem
           FROM _lines
           WHERE line IS NOT NULL AND length(line) > 0
             AND NOT (ascii(line) IN (9, 13, 32) AND trim(line) = '')"""
    )
    return []


def _stage_sequence(con: duckdb.DuckDBPyConnection, sample: Sample) -> list[str]:
    """JSON values back to back, each a record, numbered in file order."""
    try:
        with setting(con, "preserve_insertion_order", "true"):  # rowid order = file order
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _elements AS
                SELECT json AS raw FROM read_json_objects({_sql_str(sample.read_path)},
                    format='unstructured', maximum_object_size={MAX_RECORD_BYTES},
                    compression='{_compression(sample)}')"""
            )
    except duckdb.Error as exc:
        return _salvage(con, sample, exc)
    first = scalar(con, "SELECT min(rowid) FROM _elements") or 0
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _raw AS
        SELECT rowid - {first} + 1 AS rec_no, raw, NULL::VARCHAR AS problem FROM _elements"""
    )
    return []


def _stream_array(con: duckdb.DuckDBPyConnection, sample: Sample) -> bool:
    """Stream the records of a JSON array (top level, or a wrapper's `Records` / `value`
    array) element by element; False when the file does not allow it (then the whole
    document is parsed, and salvaged if need be).

    Parsing a whole document holds it several times over in memory: a 500 MB CloudTrail
    file took over 5 GB. DuckDB streams a top-level array, so a wrapper's array is first cut
    out into a temporary file (the bytes from its `[` to the last `]`).
    """
    path, compression = sample.read_path, _compression(sample)
    if sample.container == "json_wrapper":
        path, compression = _cut_wrapper_array(sample), "none"
        if path is None:
            return False
    try:
        with setting(con, "preserve_insertion_order", "true"):  # rowid order = file order
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _elements AS
                SELECT json AS raw FROM read_json_objects({_sql_str(path)}, format='array',
                    maximum_object_size={MAX_RECORD_BYTES}, compression='{compression}')"""
            )
    except duckdb.Error:
        return False
    finally:
        if path != sample.read_path:
            Path(path).unlink(missing_ok=True)
    first = scalar(con, "SELECT min(rowid) FROM _elements") or 0
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _raw AS
        SELECT rowid - {first} + 1 AS rec_no, raw, NULL::VARCHAR AS problem FROM _elements"""
    )
    return True


def _cut_wrapper_array(sample: Sample) -> Path | None:
    """A temporary file holding just the wrapper's records array, or None."""
    assert sample.read_path is not None
    key = (sample.wrapper_key or "").encode()
    opener = gzip.open if sample.compression == "gzip" else open
    out = temp_path(".json")
    try:
        with opener(sample.read_path, "rb") as src, open(out, "wb") as dst:
            head = src.read(HEAD_BYTES)
            match = re.search(rb'"' + re.escape(key) + rb'"\s*:\s*\[', head)
            if not match:
                raise ValueError("no records array in the head")
            dst.write(head[match.end() - 1 :])
            shutil.copyfileobj(src, dst, 1 << 20)
        with open(out, "r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 65536))
            tail = fh.read()
            end = tail.rfind(b"]")
            if end < 0:
                raise ValueError("no end of the records array")
            fh.truncate(max(0, size - 65536) + end + 1)
    except (OSError, ValueError, EOFError, zlib.error):
        out.unlink(missing_ok=True)
        return None
    return out


def _stage_document(con: duckdb.DuckDBPyConnection, sample: Sample) -> list[str]:
    if sample.container in ("json_array", "json_wrapper") and _stream_array(con, sample):
        return []
    if sample.container == "json_wrapper":
        records = f"json_extract(doc, '$.{sample.wrapper_key}[*]')"
    elif sample.container == "json_array":
        records = "json_extract(doc, '$[*]')"
    else:
        records = "[doc]"
    try:
        con.execute(
            f"""INSERT INTO _records
            WITH d AS (SELECT json AS doc FROM read_json_objects({_sql_str(sample.read_path)},
                          format='unstructured', maximum_object_size=2147483647,
                          compression='{_compression(sample)}')),
                 l AS (SELECT {records} AS recs FROM d)
            SELECT generate_subscripts(recs, 1), unnest(recs)::VARCHAR, NULL FROM l"""
        )
    except duckdb.Error as exc:
        return _salvage(con, sample, exc)
    return []


def _stage_csv(con: duckdb.DuckDBPyConnection, sample: Sample, rename: dict[str, str]) -> list[str]:
    # The header was read already: DuckDB's sniffer is not needed (and can refuse a file
    # whose rows are damaged), so every column is named and typed VARCHAR up front.
    names = _unique([rename.get(h, h) or f"column{i}" for i, h in enumerate(sample.header or [])])
    columns = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    for strict in ("true", "false"):
        con.execute("DROP TABLE IF EXISTS _csv_rejects")
        con.execute("DROP TABLE IF EXISTS _csv_scans")
        try:
            with setting(con, "preserve_insertion_order", "true"):  # rowid order = file order
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE _csv AS
                SELECT to_json(t)::VARCHAR AS raw FROM (SELECT trim(COLUMNS(*)) FROM read_csv(
                    {_sql_str(sample.read_path)}, columns={columns}, header=true,
                    auto_detect=false, delim=',', quote='"', escape='"', strict_mode={strict},
                    store_rejects=true, rejects_table='_csv_rejects', rejects_scan='_csv_scans',
                    compression='{_compression(sample)}', null_padding=false)) t"""
                )
            break
        except duckdb.Error as exc:
            error = exc
    else:
        return _salvage_csv(con, sample, names, error)
    con.execute(
        """INSERT INTO _records SELECT rowid - m + 1, raw, NULL
           FROM _csv, (SELECT min(rowid) AS m FROM _csv)"""
    )
    n_good = scalar(con, "SELECT count(*) FROM _csv")
    # Rejected rows carry their line numbers; number them after the good rows' ordinals.
    con.execute(
        f"""INSERT INTO _records
        SELECT {n_good} + row_number() OVER (ORDER BY line), any_value(csv_line),
               'CSV line ' || line || ': ' || string_agg(error_message, '; ')
        FROM _csv_rejects GROUP BY line"""
    )
    con.execute("DROP TABLE _csv")
    return []


def _salvage_csv(
    con: duckdb.DuckDBPyConnection, sample: Sample, names: list[str], exc: Exception
) -> list[str]:
    """DuckDB's CSV reader refused the file: read it row by row with Python's csv module,
    streaming (memory stays bounded whatever the file's size)."""
    out = _Salvaged(con)
    n = 0
    with _open_stream(sample) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(text)
        limit = csv.field_size_limit()
        csv.field_size_limit(MAX_RECORD_BYTES)
        try:
            next(reader, None)  # the header, already known
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                n += 1
                if len(row) != len(names):
                    out.add(
                        n,
                        ",".join(row)[:MAX_RAW_CHARS],
                        f"CSV line {reader.line_num}: expected {len(names)} columns, "
                        f"found {len(row)}",
                    )
                else:
                    out.add(n, json.dumps(dict(zip(names, (c.strip() for c in row), strict=True))))
        except csv.Error as err:
            out.add(
                n + 1, "", f"CSV line {reader.line_num}: {err}; the rest of the file was not read"
            )
        except (EOFError, zlib.error, gzip.BadGzipFile):
            stream.truncated = True
        finally:
            csv.field_size_limit(limit)
    out.flush()
    if stream.truncated:
        return ["file is truncated (compressed stream ends early)"]
    return [
        f"read row by row (DuckDB's CSV reader refused the file: {_csv_error(exc)}); "
        "each row that does not fit is rejected with its line"
    ]


def _csv_error(exc: Exception) -> str:
    """What DuckDB's CSV reader said, without its internals (options, hints, reproduction)."""
    text = _first_line(exc)
    for marker in ("Possible Solution", "Parser options", "Original Line", "  "):
        text = text.split(marker, 1)[0]
    return text.removeprefix("Invalid Input Error: ").strip().rstrip(".,:;") or "unreadable"


def _first_line(exc: Exception) -> str:
    """An error's first line, for a note; DuckDB's reader internals cut to what they say."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class _Salvaged:
    """Salvaged records written to `_records` in batches, so that salvaging a large file
    never holds more than one batch in memory."""

    ROWS = 20_000
    CHARS = 32 << 20

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rec_nos: list[int] = []
        self.raws: list[str] = []
        self.problems: list[str | None] = []
        self.chars = 0

    def add(self, rec_no: int, raw: str, problem: str | None = None) -> None:
        self.rec_nos.append(rec_no)
        self.raws.append(raw)
        self.problems.append(problem)
        self.chars += len(raw)
        if len(self.rec_nos) >= self.ROWS or self.chars >= self.CHARS:
            self.flush()

    def flush(self) -> None:
        if not self.rec_nos:
            return
        self.con.register("_salvaged", _arrow(self.rec_nos, self.raws, self.problems))
        self.con.execute("INSERT INTO _records SELECT rec_no, raw, problem FROM _salvaged")
        self.con.unregister("_salvaged")
        self.rec_nos, self.raws, self.problems, self.chars = [], [], [], 0


class _Stream(io.RawIOBase):
    """A file's bytes, decompressed as gunzip does (gzip members back to back read on); a
    compressed stream that ends early or breaks ends the bytes and sets `truncated`."""

    def __init__(self, path: Path, compression: str) -> None:
        self.fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.gzip = compression == "gzip"
        self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.pending = b""
        self.buffer = b""
        self.truncated = False
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self.buffer and not self.done:
            self.buffer = self._next()
        n = min(len(b), len(self.buffer))
        b[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n

    def _next(self) -> bytes:
        chunk = self.pending or self.fh.read(1 << 20)
        self.pending = b""
        if not self.gzip:
            self.done = not chunk
            return chunk
        if not chunk:
            self.done = True
            self.truncated = self.truncated or not self.d.eof
            return b""
        try:
            out = self.d.decompress(chunk, 1 << 20)
        except zlib.error:
            self.done = self.truncated = True
            return b""
        if self.d.unconsumed_tail:
            self.pending = self.d.unconsumed_tail
        elif self.d.eof and self.d.unused_data:  # the next gzip member
            self.pending = self.d.unused_data
            self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return out

    def close(self) -> None:
        self.fh.close()
        super().close()


def _open_stream(sample: Sample) -> io.BufferedReader:
    """The sample's decompressed bytes as a buffered binary file (`_Stream` underneath, as
    `.raw`)."""
    assert sample.read_path is not None
    return io.BufferedReader(_Stream(sample.read_path, _compression(sample)), 1 << 20)


def _arrow(rec_nos: list[int], raws: list[str], problems: list[str | None]) -> Any:
    """Salvaged records as an Arrow table DuckDB can read (pyarrow imported only here)."""
    import pyarrow as pa  # noqa: PLC0415 - only salvage needs it

    return pa.table({"rec_no": rec_nos, "raw": raws, "problem": problems})


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (a repeated header gets a numeric suffix)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        key = n.lower()
        seen[key] = seen.get(key, 0) + 1
        out.append(n if seen[key] == 1 else f"{n}_{seen[key]}")
    return out


def _salvage(con: duckdb.DuckDBPyConnection, sample: Sample, exc: Exception) -> list[str]:
    """DuckDB refused the file (truncated gzip, malformed document, a record over the size
    limit): keep every whole record, and reject the others with their reason."""
    con.execute("DELETE FROM _records")
    out = _Salvaged(con)
    with _open_stream(sample) as stream:
        if sample.container == "ndjson":
            notes = _salvage_lines(stream, out)
        else:
            notes = _salvage_document(sample, stream, out)
        truncated = stream.raw.truncated
    out.flush()
    if truncated:
        lead = "file is truncated (compressed stream ends early)"
    elif sample.container == "ndjson":  # DuckDB's line reader is its CSV reader: not a user's
        lead = "read line by line (DuckDB's line reader refused the file)"
    else:
        lead = f"read record by record after DuckDB reported: {_first_line(exc)}"
    return [lead, *notes]


def _salvage_lines(stream: io.BufferedReader, out: _Salvaged) -> list[str]:
    """Every line as a record, numbered by line; a line over MAX_RECORD_BYTES is rejected
    with its size and its start, read past in bounded pieces."""
    line_no = 0
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return []
        line_no += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            size, blank, head = len(line), not line.strip(), line[: MAX_RAW_CHARS * 4]
            while (more := stream.readline(1 << 20)) and not more.endswith(b"\n"):
                size, blank = size + len(more), blank and not more.strip()
            size, blank = size + len(more), blank and not more.strip()
            if not blank:
                text = head.decode("utf-8", errors="replace")[:MAX_RAW_CHARS]
                out.add(
                    line_no,
                    text,
                    f"record is {size:,} bytes, larger than the {MAX_RECORD_BYTES >> 20} MB a "
                    f"record may be (line {line_no}); its first {len(text):,} characters are kept",
                )
            continue
        if not line.strip():
            continue
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        out.add(line_no, text.lstrip("\ufeff") if line_no == 1 else text)


# The most of a JSON document (array, wrapper, one object) decoded into memory to salvage its
# elements; NDJSON and CSV are salvaged as they stream, whatever their size.
MAX_SALVAGE_BYTES = 256 << 20


def _salvage_document(sample: Sample, stream: io.BufferedReader, out: _Salvaged) -> list[str]:
    data = stream.read(MAX_SALVAGE_BYTES + 1)
    over = len(data) > MAX_SALVAGE_BYTES
    text = data[:MAX_SALVAGE_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    del data
    n = _salvage_elements(sample, text, out, cut=over)
    if not over:
        return []
    rest = 0
    while chunk := stream.read(1 << 20):
        rest += len(chunk)
    limit = f"{MAX_SALVAGE_BYTES / 2**20:g} MB"
    why = (
        f"the file is not valid JSON and over {limit} decompressed: its first {limit} were "
        f"read record by record ({n:,} records); from record {n + 1:,} on, the rest of those "
        f"and the remaining {rest + 1:,} bytes were not read"
    )
    out.add(n + 1, "", why)
    return [why]


def _salvage_elements(sample: Sample, text: str, out: _Salvaged, cut: bool = False) -> int:
    """The whole elements of a document's records array, each a record, then the first that
    does not decode as one rejected with its reason; returns the records counted."""
    if sample.container == "json_document":
        out.add(1, text[:MAX_RAW_CHARS], "the document is not valid JSON")
        return 1
    match = _WRAPPER_RE.search(text) if sample.container == "json_wrapper" else None
    pos = match.end() if match else text.find("[") + 1
    n = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return n
        n += 1
        try:
            value, end = raw_decode(text, pos)
            raw = json.dumps(value)
        except (ValueError, RecursionError) as err:  # dumps too can be too deep
            if cut:
                return n - 1  # cut by the salvage limit, or broken: the caller says what
            where = getattr(err, "pos", pos)
            line = text.count("\n", 0, where) + 1
            what = getattr(err, "msg", None) or "nested too deeply to decode"
            out.add(
                n,
                text[pos : pos + MAX_RAW_CHARS],
                f"record {n} is not valid JSON ({what} at line {line}); "
                "the rest of the file could not be parsed",
            )
            return n
        if len(raw) > MAX_RECORD_BYTES:
            out.add(
                n,
                raw[:MAX_RAW_CHARS],
                f"record {n} is {len(raw):,} characters, larger than the "
                f"{MAX_RECORD_BYTES >> 20} MB a record may be; its first {MAX_RAW_CHARS:,} "
                "are kept",
            )
        else:
            out.add(n, raw)
        pos = end
