"""Misuse and hostile input: nothing lost, nothing silent, no traceback.

A path that is not a database, records nested past Python's recursion limit, a first record
larger than the sniff window, decompression bombs, special files and link loops in a folder,
and temporary files left behind."""

from __future__ import annotations

import gzip
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentaudit
from agentaudit import containers
from agentaudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
OKTA = (FIXTURES / "okta_system_log.ndjson").read_text().splitlines()


def nested(depth: int) -> str:
    """A JSON object nested `depth` levels deep."""
    return '{"a":' * depth + "1" + "}" * depth


def files_of(con) -> dict[str, tuple]:
    return {
        Path(p).name: (status, loaded, rejected, message)
        for p, status, loaded, rejected, message in con.sql(
            "SELECT path, status, rows_loaded, rows_rejected, message FROM files"
        ).fetchall()
    }


# --- 1. --db must be a DuckDB database or a new path ---------------------------------------

NOT_A_DATABASE = {
    "ingest": ["ingest", str(FIXTURES / "hr_roster.csv"), "--db", "{db}", "--quiet"],
    "assess": ["assess", "--db", "{db}"],
    "report": ["report", "--db", "{db}", "--client", "A", "--out", "{tmp}/r"],
    "export": ["export", "--db", "{db}", "--out", "{tmp}/x"],
    "sql": ["sql", "--db", "{db}", "SELECT 1"],
    "schema": ["schema", "--db", "{db}"],
    "lake": ["lake", "--db", "{db}", "--out", "{tmp}/lake"],
    "lab": ["lab", "--db", "{db}", "--workdir", "{tmp}/lab", "--dry-run"],
}


@pytest.mark.parametrize("command", sorted(NOT_A_DATABASE))
@pytest.mark.parametrize("name", ["roster.csv", "events.json", "notes.duckdb"])
def test_a_file_that_is_no_duckdb_database_is_refused_as_db_and_left_as_it_was(
    command, name, tmp_path
):
    db = tmp_path / name
    db.write_bytes((FIXTURES / "hr_roster.csv").read_bytes())
    before = db.read_bytes()
    args = [a.format(db=db, tmp=tmp_path) for a in NOT_A_DATABASE[command]]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert name in res.output and "not a DuckDB database" in " ".join(res.output.split())
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing else was written


def test_a_new_path_is_a_new_database_and_an_empty_file_is_refused(tmp_path):
    db = tmp_path / "new.duckdb"
    assert agentaudit.ingest([FIXTURES / "hr_roster.csv"], db).files[0].status == "loaded"
    con = agentaudit.connect(db, read_only=True)
    assert con.sql("SELECT count(*) FROM roster").fetchall()[0][0] > 0
    con.close()
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    res = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", str(empty), "--quiet"])
    assert res.exit_code == 2 and "empty file" in res.output and empty.stat().st_size == 0


def test_lab_refuses_a_database_that_is_no_audit_database(tmp_path):
    import duckdb

    db = tmp_path / "other.duckdb"
    duckdb.connect(str(db)).close()
    res = CliRunner().invoke(main, ["lab", "--db", str(db), "--workdir", str(tmp_path / "lab")])
    assert res.exit_code == 2 and "not an audit database" in " ".join(res.output.split())
    assert not (tmp_path / "lab").exists()


# --- 2. no input reaches a traceback -----------------------------------------------------


def test_a_record_nested_past_the_recursion_limit_is_rejected_and_the_rest_loads(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "deep.ndjson").write_text("\n".join([nested(1500), *OKTA]) + "\n")
    (folder / "deep_array.json").write_text("[" + ", ".join([*OKTA, nested(3000)]) + "]")
    (folder / "okta.ndjson").write_text("\n".join(OKTA) + "\n")
    db = tmp_path / "a.duckdb"
    res = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--quiet"])
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    explain = CliRunner().invoke(main, ["ingest", str(folder), "--explain"])
    assert explain.exit_code == 0 and "okta_system_log" in explain.output, explain.output
    con = agentaudit.connect(db, read_only=True)
    files = files_of(con)
    assert files["deep.ndjson"][:3] == ("loaded", len(OKTA), 1)
    assert files["okta.ndjson"][:3] == ("loaded", len(OKTA), 0)
    # the array: its good records load, the deep one is accounted for as a reject
    status, loaded, rejected, _ = files["deep_array.json"]
    assert (status, loaded + rejected) == ("loaded", len(OKTA) + 1) and loaded == len(OKTA)
    con.close()


def test_a_siem_cell_holding_json_nested_past_the_limit_is_one_reject(tmp_path):
    """Log Analytics writes dynamic columns as JSON text; the envelope reader decodes them."""
    rows = json.loads((ROOT / "tests/fixtures_siem/log_analytics_signinlogs.json").read_text())
    rows = rows if isinstance(rows, list) else next(iter(rows.values()))
    hostile = dict(rows[0], Id="deep", DeviceDetail=nested(5000))
    path = tmp_path / "signins.json"
    path.write_text(json.dumps([hostile, *rows]))
    con = agentaudit.connect()
    (f,) = agentaudit.ingest([path], con).files
    assert (f.status, f.rows_loaded + f.rows_rejected) == ("loaded", len(rows) + 1), f
    assert f.rows_loaded >= len(rows)


def test_a_database_path_is_checked_for_every_folder_entry_not_only_files(tmp_path):
    res = CliRunner().invoke(main, ["assess", "--db", str(tmp_path)])
    assert res.exit_code == 2 and "Traceback" not in res.output


RECORD = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=20,
)


@st.composite
def hostile_line(draw) -> bytes:
    """A record as a hostile export would write one: deeply nested, huge, binary, or a
    JSON value that is not a record."""
    kind = draw(st.sampled_from(["nested", "nested_array", "huge", "binary", "value"]))
    if kind == "nested":
        return nested(draw(st.integers(900, 5000))).encode()
    if kind == "nested_array":
        depth = draw(st.integers(900, 5000))
        return ("[" * depth + "]" * depth).encode()
    if kind == "huge":
        size = draw(st.sampled_from([2 << 20, 17 << 20]))
        return json.dumps({"eventType": "x", "blob": "y" * size}).encode()
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=200)).replace(b"\n", b"\x00")
    return json.dumps(draw(RECORD)).encode()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(hostile_line(), min_size=1, max_size=3),
    first=st.booleans(),
    container=st.sampled_from(["ndjson", "array", "gzip"]),
)
def test_hostile_records_are_accounted_for_and_never_crash(tmp_path, lines, first, container):
    good = [line.encode() for line in OKTA]
    records = [*lines, *good] if first else [*good, *lines]
    path = tmp_path / f"hostile.{container}"
    if container == "array":
        path.write_bytes(b"[" + b",\n".join(records) + b"]")
    else:
        data = b"\n".join(records) + b"\n"
        path.write_bytes(gzip.compress(data, 1) if container == "gzip" else data)
    con = agentaudit.connect()
    try:
        (f,) = agentaudit.ingest([path], con).files
        assert f.rows_read == f.rows_loaded + f.rows_rejected
        assert f.status in ("loaded", "refused", "failed"), f
        events = con.sql("SELECT count(*) FROM events").fetchall()[0][0]
        assert events == f.rows_loaded
        rejects = con.sql("SELECT count(*) FROM rejects WHERE record_no IS NOT NULL")
        assert rejects.fetchall()[0][0] == f.rows_rejected
        if f.status == "loaded" and container != "array":
            # every line of a detected NDJSON file is a record: loaded or rejected, never lost
            assert f.rows_read == len(records) - sum(1 for r in records if not r.strip()), f
    finally:
        con.close()
        path.unlink()


# --- 3. a folder ingest loads every good file --------------------------------------------


def test_special_files_and_links_in_a_folder_are_listed_and_the_rest_loads(tmp_path):
    folder = tmp_path / "exports"
    (folder / "sub").mkdir(parents=True)
    (folder / "okta.ndjson").write_text("\n".join(OKTA) + "\n")
    (folder / "sub" / "roster.csv").write_bytes((FIXTURES / "hr_roster.csv").read_bytes())
    (folder / "loop").symlink_to("loop")  # a link to itself: ELOOP
    (folder / "gone").symlink_to("nowhere")
    (folder / "sub" / "up").symlink_to("..")  # a folder link back up: a cycle
    os.mkfifo(folder / "pipe")  # opening it would block forever
    db = tmp_path / "a.duckdb"
    res = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--quiet"])
    assert res.exit_code == 2, res.output  # some files could not be read: the README's code
    out = " ".join(res.output.split())
    assert "3 files could not be read" in out and "Traceback" not in out
    con = agentaudit.connect(db, read_only=True)
    files = files_of(con)
    assert files["okta.ndjson"][0] == files["roster.csv"][0] == "loaded"
    assert "loops" in files["loop"][3] and files["loop"][0] == "unreadable"
    assert "points to nothing" in files["gone"][3]
    assert "named pipe" in files["pipe"][3]
    assert "up" not in files  # the cycle is followed once, then skipped
    unread = con.sql(
        "SELECT count(*) FROM rejects WHERE reason LIKE '%link%' OR reason LIKE '%pipe%'"
    )
    assert unread.fetchall()[0][0] == 3
    con.close()


def test_a_file_that_fails_to_read_is_listed_and_the_others_load(tmp_path, monkeypatch):
    ingest_mod = importlib.import_module("agentaudit.ingest")  # the module, not the function
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.ndjson").write_text("\n".join(OKTA[:2]) + "\n")
    (folder / "b.ndjson").write_text("\n".join(OKTA[2:]) + "\n")
    real = ingest_mod.sha256_of

    def denied(path):
        if path.name == "a.ndjson":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(ingest_mod, "sha256_of", denied)
    con = agentaudit.connect()
    result = agentaudit.ingest([folder], con)
    by_name = {Path(f.path).name: f for f in result.files}
    assert by_name["a.ndjson"].status == "unreadable"
    assert "Permission denied" in by_name["a.ndjson"].message
    assert by_name["b.ndjson"].rows_loaded == len(OKTA) - 2
    assert [f.path for f in result.unreadable] == [str(folder / "a.ndjson")]


# --- 5. records larger than the sniff window; decompression bombs --------------------------


def test_a_first_record_larger_than_the_sniff_window_is_detected_and_rejected_not_lost(
    tmp_path,
):
    head = json.loads(OKTA[0])
    head["debugContext"] = {"debugData": {"blob": "x" * (50 << 20)}}
    path = tmp_path / "okta.ndjson"
    path.write_text("\n".join([json.dumps(head), *OKTA[1:]]) + "\n")
    con = agentaudit.connect()
    (f,) = agentaudit.ingest([path], con).files
    assert (f.format, f.status, f.rows_loaded, f.rows_rejected) == (
        "okta_system_log",
        "loaded",
        len(OKTA) - 1,
        1,
    )
    assert "larger than the 1 MB read" in f.message
    (reason, raw) = con.sql("SELECT reason, raw FROM rejects WHERE record_no = 1").fetchall()[0]
    assert "larger than the 16 MB a record may be" in reason and len(raw) <= 20_000
    con.close()


def test_a_first_element_larger_than_the_sniff_window_still_names_the_format(tmp_path):
    first = json.loads(OKTA[0])
    first["debugContext"] = {"debugData": {"blob": "x" * (2 << 20)}}
    path = tmp_path / "okta.json"
    path.write_text(json.dumps([first, *map(json.loads, OKTA[1:])]))
    sample = containers.sniff(path)
    assert sample.container == "json_array" and {"eventType", "actor"} <= set(sample.first)


# Runs the CLI and, as it exits, writes its own peak resident memory (VmHWM of its address
# space). The parent's wait4 figure is no use here: a child started by fork or vfork counts
# the test process's own memory in its ru_maxrss.
_MEASURED = """
import atexit, re, sys
from agentaudit.cli import main
figure = sys.argv[1]
def _peak():
    status = open("/proc/self/status").read()
    open(figure, "w").write(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
atexit.register(_peak)
sys.argv = ["agentaudit", *sys.argv[2:]]
main()
"""


def _peak_rss_of(args: list[str], cwd: Path) -> tuple[int, str, int]:
    """Run `agentaudit *args`; its exit code, output and peak resident memory in bytes."""
    figure = cwd / "peak.kb"
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(figure), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    peak = int(figure.read_text()) * 1024
    figure.unlink()
    return proc.returncode, proc.stdout + proc.stderr, peak


def test_a_decompression_bomb_keeps_memory_bounded_and_its_records(tmp_path):
    """1 MB of gzip inflating to 1 GiB of spaces between two runs of records: read past in
    bounded pieces (2.3 GB peak before), every record kept."""
    okta = ("\n".join(OKTA) + "\n").encode()
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [z.compress(okta)]
    block = b" " * (1 << 20)
    parts += [z.compress(block) for _ in range(1024)]
    parts += [z.compress(b"\n" + okta), z.flush()]
    bomb = tmp_path / "bomb.ndjson.gz"
    bomb.write_bytes(b"".join(parts))
    assert bomb.stat().st_size < 2 << 20
    args = ["ingest", str(bomb), "--db", str(tmp_path / "a.duckdb"), "--quiet"]
    code, out, peak = _peak_rss_of(args, tmp_path)
    assert code == 0, out
    assert peak < 1 << 30, f"peak RSS {peak / 2**20:.0f} MB for a 1 GiB inflation"
    con = agentaudit.connect(tmp_path / "a.duckdb", read_only=True)
    assert con.sql("SELECT rows_loaded FROM files").fetchall() == [(2 * len(OKTA),)]
    con.close()


def test_a_file_of_whitespace_is_empty_however_large_and_records_after_it_load(tmp_path):
    spaces = tmp_path / "spaces.json.gz"
    spaces.write_bytes(gzip.compress(b" " * (8 << 20), 1))
    late = tmp_path / "late.ndjson.gz"
    late.write_bytes(gzip.compress(b" \n" * (2 << 20) + ("\n".join(OKTA) + "\n").encode(), 1))
    con = agentaudit.connect()
    result = {Path(f.path).name: f for f in agentaudit.ingest([spaces, late], con).files}
    assert result["spaces.json.gz"].status == "empty"
    assert "whitespace" in result["spaces.json.gz"].message
    assert (result["late.ndjson.gz"].format, result["late.ndjson.gz"].rows_loaded) == (
        "okta_system_log",
        len(OKTA),
    )
    con.close()


def test_a_broken_document_past_the_salvage_limit_says_what_was_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(containers, "MAX_SALVAGE_BYTES", 4096)
    records = [json.loads(line) for line in OKTA] * 10
    path = tmp_path / "okta.json"
    path.write_text(json.dumps(records)[:-1] + ", {broken")  # not valid JSON as a whole
    con = agentaudit.connect()
    (f,) = agentaudit.ingest([path], con).files
    assert f.rows_loaded > 0 and f.rows_rejected == 1
    (reason,) = con.sql("SELECT reason FROM rejects WHERE record_no IS NOT NULL").fetchall()[0]
    assert re.search(r"the remaining [\d,]+ bytes were not read", reason), reason
    con.close()


# --- messages ----------------------------------------------------------------------------


def test_refusals_and_notes_speak_of_the_file_not_of_the_readers_internals(tmp_path):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(1, 256)) * 4)
    bad_csv = tmp_path / "roster.csv"
    text = (FIXTURES / "hr_roster.csv").read_text().splitlines()
    bad_csv.write_text("\n".join([text[0], text[1], '"unclosed,' + text[2], *text[3:]]) + "\n")
    utf16 = tmp_path / "inventory.csv"
    utf16.write_text((FIXTURES / "agent_inventory.csv").read_text(), encoding="utf-16")
    con = agentaudit.connect()
    result = {Path(f.path).name: f for f in agentaudit.ingest([binary, bad_csv, utf16], con).files}
    assert "a unknown" not in result["blob.bin"].message
    assert "neither JSON nor CSV" in result["blob.bin"].message
    notes = " ".join(f.message for f in result.values())
    assert "none input" not in notes and "plain input" in notes
    for internal in ("Parser options", "Possible Solution", "Parallel CSV Reader"):
        assert internal not in notes
    con.close()


# --- 6. the duckdb range tested ------------------------------------------------------------


def test_the_installed_duckdb_is_within_the_range_the_project_declares_and_ci_tests():
    import duckdb
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (req,) = [Requirement(d) for d in project["project"]["dependencies"] if d.startswith("duckdb")]
    assert req.specifier.contains(duckdb.__version__), (duckdb.__version__, str(req.specifier))
    lowest = next(s.version for s in req.specifier if s.operator == ">=")
    assert any(s.operator == "<" for s in req.specifier), "the range has an upper bound"
    ci = (ROOT / ".ci" / "run").read_text()
    assert f'lowest="{lowest}"' in ci, "CI tests the lowest duckdb the range allows"


# --- 7. nothing left in the temp folder ---------------------------------------------------


def test_loading_leaves_no_temporary_files_behind(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    utf16 = tmp_path / "inventory.csv"
    utf16.write_text((FIXTURES / "agent_inventory.csv").read_text(), encoding="utf-16")
    cp1252 = tmp_path / "roster.csv"
    cp1252.write_bytes((FIXTURES / "hr_roster.csv").read_bytes() + "x,Zoë,é\n".encode("cp1252"))
    files = [utf16, cp1252, FIXTURES / "aws_credential_report_base64.json", FIXTURES]
    con = agentaudit.connect()
    agentaudit.ingest(files, con)
    agentaudit.ingest(files, con)  # the second time every file is skipped as loaded
    con.close()
    res = CliRunner().invoke(main, ["ingest", *map(str, files), "--explain"])
    assert res.exit_code == 0, res.output
    assert list(scratch.iterdir()) == []
